/* SPDX-License-Identifier: MIT */
#ifndef RSD_CRAWL_STATS_H
#define RSD_CRAWL_STATS_H

/* The crawl's counters, shared by the frontier (queued, skipped) and the
 * scraper pool (everything else); apart from both so that the frontier,
 * which sits below the pool, does not include the pool's header. */

#include <stdatomic.h>

#include "crawl/refusal.h"

struct rsd_scraper_stats {
	atomic_uint_fast64_t pages_fetched; /* 2xx bodies received */
	atomic_uint_fast64_t pages_failed; /* transfer errors and non-2xx after retries */
	atomic_uint_fast64_t pages_skipped; /* pages refused or skipped: by_cause summed, but
					      * for RSD_CAUSE_DEPTH (those pages were fetched) */
	atomic_uint_fast64_t records; /* records handed to the ring */
	atomic_uint_fast64_t no_recipe; /* pages fetched that had no recipe */
	atomic_uint_fast64_t in_flight; /* transfers running now */
	atomic_uint_fast64_t queued; /* URLs waiting in the frontier */
	atomic_uint_fast64_t progress; /* bumped by every worker loop iteration (watchdog) */
	atomic_uint_fast64_t by_cause[RSD_CAUSE_COUNT]; /* pages refused or skipped, by cause */
};

/* Counts one page refused or skipped for cause c (the frontier and the
 * pool both count through this, so the totals agree). */
void rsd_scraper_stats_count(struct rsd_scraper_stats *st, enum rsd_cause c);

#endif
