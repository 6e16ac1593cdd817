/* SPDX-License-Identifier: MIT */
#ifndef RSD_SCRAPER_H
#define RSD_SCRAPER_H

/* The scraper pool: cfg->threads workers, each with its own libcurl multi
 * handle and extractor, sharing one frontier that enforces scope, depth,
 * max_pages and per-host politeness. Workers hand records to the ring
 * (blocking when it is full: backpressure, never a drop). */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "crawl/crawl_stats.h"
#include "crawl/refusal.h"
#include "crawl/state.h"
#include "core/ring.h"

struct rsd_scraper;

/* Creates the pool (no threads yet). wake_fd: an eventfd the pool writes to
 * when the crawl is finished (frontier empty, nothing in flight) so the main
 * thread can notice; -1 for none. cfg, ring and state must outlive the pool. */
int rsd_scraper_new(const struct rsd_config *cfg, rsd_ring *ring, struct rsd_state *state,
		    int wake_fd, struct rsd_scraper **out);
int rsd_scraper_start(struct rsd_scraper *s);
/* Stop fetching new pages; transfers in flight finish (bounded by timeout_s)
 * and their records are enqueued. Returns at once; rsd_scraper_join waits. */
void rsd_scraper_stop(struct rsd_scraper *s);
void rsd_scraper_join(struct rsd_scraper *s);
void rsd_scraper_free(struct rsd_scraper *s); /* joins if needed; accepts NULL */

/* True once the frontier is empty and no transfer is in flight (or max_pages
 * was reached); stays true. */
bool rsd_scraper_finished(const struct rsd_scraper *s);
const struct rsd_scraper_stats *rsd_scraper_stats(const struct rsd_scraper *s);
/* In daemon mode (not --once) start URLs are revisited every recrawl_interval_s. */
void rsd_scraper_set_once(struct rsd_scraper *s, bool once);
/* Transient failures (5xx, 429, 408, timeouts, connection errors) are
 * retried up to max_retries times, the first after about backoff_base_ms,
 * doubling each time, with jitter; Retry-After replaces the backoff.
 * The pool takes both from cfg ([scraper] max_retries, retry_backoff_ms);
 * this overrides them (0 keeps the current value). Call before start. */
void rsd_scraper_set_retry_policy(struct rsd_scraper *s, unsigned max_retries,
				  unsigned backoff_base_ms);
/* Called once per page that failed for good (after its retries), from a
 * worker thread: http_code 0 when there was no response; reason is human-readable
 * and only valid during the call. Must be thread-safe and must not block
 * for long (the pool does not log: this is how the daemon can). Call
 * before start; NULL for none. */
typedef void rsd_scraper_failure_fn(void *ctx, const char *url, long http_code, const char *reason);
void rsd_scraper_set_failure_cb(struct rsd_scraper *s, rsd_scraper_failure_fn *fn, void *ctx);
/* Called once per page refused or skipped, with its cause (refusal.h: a
 * private address, robots.txt, scope, too big, a refused redirect, ...;
 * and the skips: depth, max_pages, delivered, unchanged, duplicate), after
 * it was counted in by_cause. See rsd_refusal_fn for the rules. Call
 * before start; NULL for none. */
void rsd_scraper_set_refusal_cb(struct rsd_scraper *s, rsd_refusal_fn *fn, void *ctx);
/* Pages fetched and given up on are also counted per host in t (owned by
 * the caller, outliving the pool). Call before start; NULL for none. */
struct rsd_host_stats;
/* The pool's frontier, for cluster mode (rsd_frontier_set_cluster before
 * start, rsd_frontier_add_owned and release_hosts while it runs); it lives
 * until rsd_scraper_free. */
struct rsd_frontier;
struct rsd_frontier *rsd_scraper_frontier(struct rsd_scraper *s);
void rsd_scraper_set_host_stats(struct rsd_scraper *s, struct rsd_host_stats *t);

#endif
