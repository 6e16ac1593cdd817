/* SPDX-License-Identifier: MIT */
#ifndef RSD_STATE_CLI_H
#define RSD_STATE_CLI_H

/* `recipe-scraperd state forget [-c FILE] [-n] [-q] (--host HOST | --url
 * REGEX | --all)`: argv[0] is "state". usage is printed for --help.
 * Returns the process exit code (0, 1, 64, 75 state in use, 78). */
int rsd_cmd_state(int argc, char **argv, const char *usage);

#endif
