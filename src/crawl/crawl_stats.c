/* SPDX-License-Identifier: MIT */
/* The one update of the crawl counters (see crawl_stats.h). */
#include "crawl/crawl_stats.h"

void rsd_scraper_stats_count(struct rsd_scraper_stats *st, enum rsd_cause c)
{
	/* Relaxed: counters read for metrics only, ordering nothing. */
	atomic_fetch_add_explicit(&st->by_cause[c < RSD_CAUSE_COUNT ? c : RSD_CAUSE_LIMIT], 1,
				  memory_order_relaxed);
	/* A page at max_depth was fetched (and counted so): what it skipped
	 * is its links. */
	if (c != RSD_CAUSE_DEPTH)
		atomic_fetch_add_explicit(&st->pages_skipped, 1, memory_order_relaxed);
}
