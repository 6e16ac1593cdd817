/* SPDX-License-Identifier: MIT */
#ifndef RSD_STATE_H
#define RSD_STATE_H

/* Crawl state in state_dir, keyed by URL: which pages' records Kafka
 * acknowledged (so a restart after a crash re-fetches exactly the others),
 * plus per-URL fetch metadata for conditional recrawls.
 *
 * Thread safety: every function may be called from any thread (an internal
 * mutex guards the table; marks are appended to a log that is fsync'ed in
 * batches by rsd_state_sync(), which the daemon calls periodically and at
 * shutdown). */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct rsd_state;

struct rsd_page_meta {
	time_t fetched_at;     /* 0 = never */
	char *etag;            /* or NULL */
	char *last_modified;   /* or NULL */
	uint64_t content_hash; /* 0 = unknown */
	bool delivered;        /* its record was acknowledged by Kafka */
};

/* Opens (creating) dir/crawl.log and replays it. dir NULL = in memory only. */
int rsd_state_open(const char *dir, struct rsd_state **out);
void rsd_state_close(struct rsd_state *s); /* syncs; accepts NULL */

/* Called from the producer's delivery report only. */
int rsd_state_mark_delivered(struct rsd_state *s, const char *url);
int rsd_state_set_fetched(struct rsd_state *s, const char *url, time_t when, const char *etag,
			  const char *last_modified, uint64_t content_hash);
/* 0 and *meta filled (strings owned by the caller, free with rsd_page_meta_clear);
 * -ENOENT when unknown. */
int rsd_state_lookup(struct rsd_state *s, const char *url, struct rsd_page_meta *meta);
void rsd_page_meta_clear(struct rsd_page_meta *meta);
bool rsd_state_is_delivered(struct rsd_state *s, const char *url);
/* Flush and fsync appended marks. */
int rsd_state_sync(struct rsd_state *s);

#endif
