/* SPDX-License-Identifier: MIT */
#ifndef RSD_TEST_HARNESS_H
#define RSD_TEST_HARNESS_H

/* Runs the real daemon binary for integration and system tests: a private
 * temporary directory, stdout/stderr captured to files, and a NOTIFY_SOCKET
 * of our own so tests wait on READY=1/RELOADING=1/STOPPING=1 exactly as
 * systemd would, instead of sleeping. */

#include <stdbool.h>
#include <sys/types.h>
#include <cjson/cJSON.h>

struct harness_proc {
	pid_t pid;
	int pidfd;
	int notify_fd;
	char dir[64]; /* private temporary directory */
	char stdout_path[sizeof "/stdout" + 64];
	char stderr_path[sizeof "/stderr" + 64];
	char notify_path[sizeof "/notify" + 64];
	char notified[8192]; /* every notify datagram so far, newline separated */
};

/* Creates the directory and the notify socket. */
void harness_init(struct harness_proc *p);
/* Removes the directory. Kills the process if still running. */
void harness_cleanup(struct harness_proc *p);

/* Path of NAME inside the private directory (static buffer per call site is
 * the caller's: writes into buf). */
const char *harness_path(const struct harness_proc *p, const char *name, char *buf, size_t len);
void harness_write_file(const char *path, const char *content);
char *harness_slurp(const char *path); /* NUL-terminated; "" if missing */

/* Starts RSD_BINARY with argv (argv[0] is ignored), cwd = the directory. */
void harness_spawn(struct harness_proc *p, const char *const *argv);
/* Waits until a notify datagram had a line starting with want (e.g. "READY=1");
 * counts occurrences: returns true when at least nth (1-based) were seen. */
bool harness_wait_notify(struct harness_proc *p, const char *want, int nth, int timeout_ms);
/* Waits for exit; returns the exit code, 128+signal, or -1 on timeout. */
int harness_wait_exit(struct harness_proc *p, int timeout_ms);
void harness_signal(struct harness_proc *p, int sig);
/* Prints every thread's stack of a process that is still running (gdb, when
 * installed) to stdout: a test that gives up waiting shows where it hung. */
void harness_dump_stacks(const struct harness_proc *p);

/* Every line of the file parsed as JSON (invalid lines make the test fail). */
cJSON *harness_json_lines(const char *path);
/* Substitutes @KEY@ markers: vars is {"KEY", "value", ..., NULL}. Caller frees. */
char *harness_subst(const char *tmpl, const char *const *vars);

#endif
