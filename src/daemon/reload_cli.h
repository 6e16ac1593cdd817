/* SPDX-License-Identifier: MIT */
#ifndef RSD_RELOAD_CLI_H
#define RSD_RELOAD_CLI_H

/* `recipe-scraperd reload [--pid PID] [--timeout SECONDS]`: argv[0] is
 * "reload". Sends SIGHUP to the daemon ($MAINPID, as systemd gives
 * ExecReload=, or --pid) and waits for its verdict on that reload in
 * $RUNTIME_DIRECTORY (reload_status.h). Returns the process exit code: 0
 * applied, 78 rejected (its FILE:LINE messages on stderr), 1 failed, not
 * done or no verdict in time, 64 usage. */
int rsd_cmd_reload(int argc, char **argv, const char *usage);

#endif
