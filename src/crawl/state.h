/* SPDX-License-Identifier: MIT */
#ifndef RSD_STATE_H
#define RSD_STATE_H

/* Crawl state in state_dir, keyed by URL: which pages' records Kafka
 * acknowledged, and where (so a restart after a crash re-fetches exactly
 * the others, and a run against another cluster or topic delivers them
 * there too), plus per-URL fetch metadata for conditional GETs.
 *
 * Delivered marks belong to a scope: the Kafka cluster (its cluster id)
 * and the record topic they were acknowledged by. Only the current scope's
 * marks count (rsd_state_set_scope); the others are kept for when the
 * daemon is pointed back at their cluster. A scope without a cluster id is
 * ephemeral: its marks live in memory only (the embedded broker, whose
 * records die with the process). Fetch metadata is per URL, unscoped.
 *
 * One process per state_dir: rsd_state_open takes an exclusive lock on
 * state_dir/lock (holding the owner's pid) for as long as the state is open.
 *
 * Thread safety: every function may be called from any thread (an internal
 * mutex guards the table; marks are appended to a log that is fsync'ed in
 * batches by rsd_state_sync(), which the daemon calls periodically and at
 * shutdown, and which also compacts the log when it has grown several
 * times larger than its live entries). */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "core/delivery.h"

struct rsd_state;

struct rsd_page_meta {
	time_t fetched_at; /* 0 = never */
	char *etag; /* or NULL */
	char *last_modified; /* or NULL */
	uint64_t content_hash; /* of the last copy fetched; 0 = unknown */
	bool delivered; /* settled in the current scope: a record of it was
				  * acknowledged, or refused as too large (rejected) */
	bool rejected; /* ... refused: given up until the page changes */
	uint64_t delivered_hash; /* content hash of the copy that record came from */
};

/* Opens (creating) dir/crawl.log and replays it. dir NULL = in memory only.
 * -EWOULDBLOCK when another process holds dir's lock (rsd_state_lock_holder
 * tells which). */
int rsd_state_open(const char *dir, struct rsd_state **out);
void rsd_state_close(struct rsd_state *s); /* syncs; accepts NULL */
/* The pid written in dir/lock by its holder; 0 when unknown. */
pid_t rsd_state_lock_holder(const char *dir);

/* Makes (cluster_id, topic) the current scope; cluster_id NULL = an
 * ephemeral scope (marks in memory only). Marks already kept for that scope
 * count again. */
int rsd_state_set_scope(struct rsd_state *s, const char *cluster_id, const char *topic);

/* Called from the producer's delivery report only: marks url delivered in
 * the current scope, from a copy whose content hash was content_hash.
 * -ENOTCONN when no scope was set. */
int rsd_state_mark_delivered(struct rsd_state *s, const char *url, uint64_t content_hash);
/* Called from the producer's delivery report (or produce call) only, when
 * the cluster refused the record as too large (MSG_SIZE_TOO_LARGE): a
 * settled mark like a delivered one, so the page is not fetched again until
 * it is due for a refresh, and then gives a record only when its content
 * changed. A later delivery of the page replaces it. -ENOTCONN as above. */
int rsd_state_mark_rejected(struct rsd_state *s, const char *url, uint64_t content_hash);
/* The delivery callbacks of core/delivery.h bound to s (set_scope,
 * mark_delivered, mark_rejected): what the daemon hands the producer. s
 * must outlive whoever calls them. */
struct rsd_delivery_marks rsd_state_delivery_marks(struct rsd_state *s);
int rsd_state_set_fetched(struct rsd_state *s, const char *url, time_t when, const char *etag,
			  const char *last_modified, uint64_t content_hash);
/* 0 and *meta filled (strings owned by the caller, free with rsd_page_meta_clear);
 * -ENOENT when unknown. */
int rsd_state_lookup(struct rsd_state *s, const char *url, struct rsd_page_meta *meta);
void rsd_page_meta_clear(struct rsd_page_meta *meta);
/* Delivered in the current scope and fetched at or after not_before (0: at
 * any time): nothing to do for this page. */
bool rsd_state_is_delivered(struct rsd_state *s, const char *url, time_t not_before);
/* The URLs delivered in the current scope and last fetched before
 * not_before (due for a refresh), at most max, into a malloc'ed array of
 * malloc'ed strings. Returns how many, or a negative errno. */
ssize_t rsd_state_due(struct rsd_state *s, time_t not_before, size_t max, char ***urls);

/* Forgets everything about the URLs for which match returns true (fetch
 * metadata and marks in every scope) and rewrites the log without them;
 * dry_run: only counts. each (may be NULL) is called for every URL
 * matched. Returns how many matched, or a negative errno. */
typedef bool rsd_state_match_fn(void *ctx, const char *url);
typedef void rsd_state_each_fn(void *ctx, const char *url);
ssize_t rsd_state_forget(struct rsd_state *s, rsd_state_match_fn *match, rsd_state_each_fn *each,
			 void *ctx, bool dry_run);

/* Flush and fsync appended marks; compacts the log when it is due. */
int rsd_state_sync(struct rsd_state *s);

#endif
