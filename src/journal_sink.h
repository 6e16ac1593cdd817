/* SPDX-License-Identifier: MIT */
#ifndef RSD_JOURNAL_SINK_H
#define RSD_JOURNAL_SINK_H

/* Where consumed records go: one journald entry per message with the fields
 * of ARCHITECTURE.md "Journal entry", or the same fields as one JSON object
 * per line on a stream (sink = stdout), like `journalctl -o json`.
 * Thread safety: one sink per consumer thread. Never logs or exits. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

/* MESSAGE_IDs (also in systemd/recipe-scraperd.catalog). */
#define RSD_MESSAGE_ID_RECIPE        "6f1c3b0e8d9a4b2c9e7f5a1d3c2b4a60"
#define RSD_MESSAGE_ID_HIGH_CALORIE  "c0a1f7e2b6d84f3a9a5e2d1c7b8f6e41"
#define RSD_MESSAGE_ID_INVALID       "9d2e4f6a8b0c4d1e8f3a5b7c9d1e3f52"

struct rsd_sink;

struct rsd_sink_message {
	const char *value; /* message payload, not NUL-terminated */
	size_t len;
	const char *topic;
	int32_t partition;
	int64_t offset;
};

enum rsd_sink_outcome {
	RSD_SINK_WROTE_RECIPE,     /* PRIORITY 6 */
	RSD_SINK_WROTE_ALERT,      /* PRIORITY 4, high-calorie MESSAGE_ID */
	RSD_SINK_WROTE_INVALID,    /* PRIORITY 3: not a valid record, skipped */
};

/* kind AUTO resolves to JOURNAL when /run/systemd/journal/socket exists.
 * out: the stream for STDOUT (NULL = stdout). */
int rsd_sink_new(enum rsd_sink_kind kind, const char *identifier, double calorie_threshold,
		 FILE *out, struct rsd_sink **sink);
void rsd_sink_free(struct rsd_sink *sink); /* accepts NULL */
enum rsd_sink_kind rsd_sink_kind(const struct rsd_sink *sink); /* resolved, never AUTO */

/* Writes the entry for one message. Returns 0 with *outcome set once the
 * entry was written (the caller may then store the offset); negative errno
 * when the write failed (do not store the offset; retry). */
int rsd_sink_write(struct rsd_sink *sink, const struct rsd_sink_message *msg,
		   enum rsd_sink_outcome *outcome);

#endif
