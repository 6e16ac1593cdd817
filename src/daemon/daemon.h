/* SPDX-License-Identifier: MIT */
#ifndef RSD_DAEMON_H
#define RSD_DAEMON_H

#include <stdbool.h>

/* Exit codes (docs/architecture.md "Command line and exit codes";
 * sysexits.h values). */
enum {
	RSD_EXIT_OK = 0,
	RSD_EXIT_FAILURE = 1,
	RSD_EXIT_USAGE = 64,
	RSD_EXIT_DATAERR = 65,
	RSD_EXIT_UNAVAILABLE = 69,
	RSD_EXIT_TEMPFAIL = 75, /* the state directory is in use by another process */
	RSD_EXIT_CONFIG = 78,
};

struct rsd_daemon_options {
	const char *config_path;
	bool once;
};

/* Runs the daemon until SIGTERM/SIGINT (or, with once, until the crawl is
 * delivered and consumed). Returns the process exit code. */
int rsd_daemon_run(const struct rsd_daemon_options *opt);

#endif
