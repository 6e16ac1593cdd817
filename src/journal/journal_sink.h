/* SPDX-License-Identifier: MIT */
#ifndef RSD_JOURNAL_SINK_H
#define RSD_JOURNAL_SINK_H

/* Where consumed records go: one journald entry per message with the fields
 * of docs/architecture.md "Journal entry", or the same fields as one JSON
 * object per line on a stream (sink = stdout), like `journalctl -o json`.
 * Thread safety: one sink per consumer thread. Never logs or exits. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"

/* MESSAGE_IDs (also in systemd/recipe-scraperd.catalog). */
#define RSD_MESSAGE_ID_RECIPE "6f1c3b0e8d9a4b2c9e7f5a1d3c2b4a60"
#define RSD_MESSAGE_ID_HIGH_CALORIE "c0a1f7e2b6d84f3a9a5e2d1c7b8f6e41"
#define RSD_MESSAGE_ID_INVALID "9d2e4f6a8b0c4d1e8f3a5b7c9d1e3f52"

struct rsd_sink;

struct rsd_sink_message {
	const char *value; /* message payload, not NUL-terminated */
	size_t len;
	const char *topic;
	int32_t partition;
	int64_t offset;
};

enum rsd_sink_outcome {
	RSD_SINK_WROTE_RECIPE, /* PRIORITY 6 */
	RSD_SINK_WROTE_ALERT, /* PRIORITY 4, high-calorie MESSAGE_ID */
	RSD_SINK_WROTE_INVALID, /* PRIORITY 3: not a valid record, skipped */
};

/* Messages above this size are reported as invalid records (PRIORITY 3)
 * instead of being copied into an entry: the producer's records are far
 * smaller (message.max.bytes defaults to 1 MB), so only foreign or broken
 * messages are this large, and journald entries stay bounded. */
#define RSD_SINK_MAX_VALUE (1024 * 1024)

/* One entry as a list of journal fields, built once and written either as
 * journald iovecs or as a JSON line. Field values point into the message,
 * its parsed JSON and the entry's own buffers: valid until
 * rsd_sink_entry_clear(), and only while the message is alive. */
#define RSD_SINK_MAX_FIELDS 16
struct rsd_sink_field {
	const char *name;
	const char *value; /* not NUL-terminated, may contain any byte */
	size_t len;
};
struct rsd_sink_entry {
	struct rsd_sink_field fields[RSD_SINK_MAX_FIELDS];
	size_t n;
	enum rsd_sink_outcome outcome;
	/* storage the fields point into */
	void *doc; /* cJSON of the record */
	char *message; /* MESSAGE */
	char partition[16], offset[24], calories[32], host[256];
};

/* Builds the entry for msg: 0, or -ENOMEM. An invalid record is not an
 * error: it gives an RSD_SINK_WROTE_INVALID entry. */
int rsd_sink_entry_build(const struct rsd_sink *sink, const struct rsd_sink_message *msg,
			 struct rsd_sink_entry *e);
void rsd_sink_entry_clear(struct rsd_sink_entry *e);
/* The value of field name in e, or NULL (len in *len when non-NULL). */
const char *rsd_sink_entry_get(const struct rsd_sink_entry *e, const char *name, size_t *len);

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
