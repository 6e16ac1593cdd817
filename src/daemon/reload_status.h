/* SPDX-License-Identifier: MIT */
#ifndef RSD_RELOAD_STATUS_H
#define RSD_RELOAD_STATUS_H

/* The verdict of each reload, in a file of the runtime directory
 * ($RUNTIME_DIRECTORY/reload-status, RuntimeDirectory= in the unit), so
 * that `recipe-scraperd reload` (the unit's ExecReload=) can tell systemd
 * whether the reload it asked for was applied.
 *
 * The file is replaced whole (a rename) at every step of a reload:
 *
 *   GENERATION STATE
 *   DETAIL...
 *
 * GENERATION counts the reloads of the process (0 = the start); STATE is
 * "started" before the daemon reads the configuration file, then one of
 * the final states. A reader that saw generation G before it signalled
 * waits for a final state of a generation above G: that reload began after
 * it looked, so it read the file as it was when the reload was asked for,
 * whatever other reloads run meanwhile (docs/operations.md, "Reload").
 * The detail has the FILE:LINE messages of a rejection (never a secret:
 * the loader's messages do not carry one). Nothing here logs. */

#include <stdbool.h>
#include <stdint.h>

#define RSD_RELOAD_STATUS_FILE "reload-status"

enum rsd_reload_state {
	RSD_RELOAD_STARTED, /* signal received, file being read */
	RSD_RELOAD_APPLIED, /* the new configuration runs (generation 0: the start) */
	RSD_RELOAD_REJECTED, /* errors in the file: the previous configuration runs on */
	RSD_RELOAD_FAILED, /* valid, but applying it failed: the daemon stops */
	RSD_RELOAD_IGNORED, /* not reloaded (stopping, or the --once crawl is over) */
};

/* The directory of the verdicts: the first of $RUNTIME_DIRECTORY (systemd
 * separates several RuntimeDirectory= with ':'), malloc'ed; NULL when it
 * is not set (not under systemd: nobody waits for a verdict). */
char *rsd_reload_status_dir(void);

const char *rsd_reload_state_name(enum rsd_reload_state state);
static inline bool rsd_reload_state_final(enum rsd_reload_state state)
{
	return state != RSD_RELOAD_STARTED;
}

/* Replaces dir/reload-status (mode 0600) by way of a temporary file and
 * rename(2), so a reader never sees half a file. detail may be NULL.
 * Returns 0 or -errno. */
int rsd_reload_status_write(const char *dir, uint64_t generation, enum rsd_reload_state state,
			    const char *detail);

/* Reads dir/reload-status: *detail is malloc'ed ("" when none). Returns 0,
 * -ENOENT when there is none yet, -EBADMSG when it is not one, or -errno. */
int rsd_reload_status_read(const char *dir, uint64_t *generation, enum rsd_reload_state *state,
			   char **detail);

#endif
