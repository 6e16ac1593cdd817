/* SPDX-License-Identifier: MIT */
#ifndef RSD_CLI_H
#define RSD_CLI_H

/* Prints "recipe-scraperd: MESSAGE" and the --help hint on stderr, as every
 * command does for a bad command line; returns RSD_EXIT_USAGE (64). */
int rsd_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
