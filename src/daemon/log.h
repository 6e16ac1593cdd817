/* SPDX-License-Identifier: MIT */
#ifndef RSD_LOG_H
#define RSD_LOG_H

/* The daemon's own events (not consumed records: those go through the sink).
 * Under journald (stderr is the journal stream, JOURNAL_STREAM) each event is
 * a structured entry with PRIORITY, MESSAGE_ID and extra fields; otherwise a
 * "<N>message" line on stderr (the SyslogLevelPrefix convention), readable
 * in a terminal and parsed by journald if it ever captures the stream.
 * Only main.c and daemon.c log. Thread-safe. */

#include <stdbool.h>
#include <syslog.h>

/* MESSAGE_IDs of daemon events (systemd/recipe-scraperd.catalog explains them). */
#define RSD_MID_STARTED "1e3a5c7e9b2d4f6a8c0e2b4d6f8a0c37"
#define RSD_MID_RELOADED "5a7c9e1b3d5f4a2c8e0b6d4f2a0c8e25"
#define RSD_MID_RELOAD_REJECTED "3b8e2f1a9c7d4e6b8a0f2c4e6a8b0d13"
#define RSD_MID_STOPPING "7f9b1d3f5a7c4e2b9d1f3a5c7e9b1d49"
#define RSD_MID_STATS "2c4e6a8c0e2b4d6f9a1c3e5a7c9e1b58"
#define RSD_MID_REFUSED "13c33949024e46de839266bcfc2c7596"
#define RSD_MID_TOPIC_CREATED "71453a9b583640a083c9e88eb08a3e8a"
#define RSD_MID_TOPIC_NOT_CREATED "6767a212d31744d989121c5cd5b05e9f"
#define RSD_MID_TOPIC_PARTITIONS "d7954b99c7fc4f95bba214ed0e0c4bac"
#define RSD_MID_CLUSTER_OWNERSHIP "caef8b5edf0a40a4921bde16a4123111"

void rsd_log_init(const char *identifier);

/* Lines less important than level (a LOG_* priority; LOG_INFO until set)
 * are not written: [daemon] log_level. Thread-safe; a reload sets it. */
void rsd_log_set_level(int level);
/* Whether a line of this priority would be written (skip building it). */
bool rsd_log_enabled(int priority);

/* printf-style message, no MESSAGE_ID. */
void rsd_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A structured event: message_id may be NULL; fields is a NULL-terminated
 * list of "KEY=value" strings (upper-case journal field names), may be NULL. */
void rsd_log_event(int priority, const char *message_id, const char *const *fields, const char *fmt,
		   ...) __attribute__((format(printf, 4, 5)));
/* The same, whatever the level: lines the configuration asked for by name
 * ([kafka] debug). */
void rsd_log_event_always(int priority, const char *message_id, const char *const *fields,
			  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
