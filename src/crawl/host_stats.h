/* SPDX-License-Identifier: MIT */
#ifndef RSD_HOST_STATS_H
#define RSD_HOST_STATS_H

/* Pages fetched and failed per host, for the metrics.
 *
 * Bounded: the first `capacity` hosts seen get an entry each; pages of any
 * host past that are counted in one "other" entry (their sum stays exact,
 * their split is lost), so a crawl of a million hosts costs a fixed amount
 * of memory and a fixed label set. Entries are never evicted: each is a
 * counter that only grows, which rate() needs (a "top N" that changed
 * membership would make series vanish and "other" go down). The daemon owns the table across
 * scraper restarts (reloads); workers count into it from their threads. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RSD_HOST_NAME_MAX 256

struct rsd_host_count {
	char host[RSD_HOST_NAME_MAX]; /* "" for the "other" entry */
	uint64_t fetched, failed;
};

struct rsd_host_stats;

int rsd_host_stats_new(size_t capacity, struct rsd_host_stats **out);
void rsd_host_stats_free(struct rsd_host_stats *t); /* accepts NULL */
/* One page of url's host fetched (failed = false) or given up on. Thread-safe. */
void rsd_host_stats_count(struct rsd_host_stats *t, const char *url, bool failed);
/* Copies up to n entries (in the order hosts were first seen) into out and
 * the "other" entry into *other (host ""); entries that do not fit in out
 * are added to it. Returns how many out holds. Thread-safe. */
size_t rsd_host_stats_read(struct rsd_host_stats *t, struct rsd_host_count *out, size_t n,
			   struct rsd_host_count *other);

#endif
