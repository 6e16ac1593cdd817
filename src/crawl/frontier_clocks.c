/* SPDX-License-Identifier: MIT */
/* The politeness clocks carried from a frontier to the next one (a reload
 * rebuilds the scraper): without them the new frontier would ask a host
 * fetched just before the reload again at once, ignoring delay_ms, its
 * Crawl-delay and a pending Retry-After. */
#include "crawl/frontier.h"
#include "crawl/frontier_spec.h"
#include "core/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* delay_ms's maximum (config_keys.c): a host asked longer ago than this
 * waits for no delay_ms a reload may bring. */
#define MAX_DELAY_MS (600LL * 1000)

struct clock {
	char *host;
	int64_t at; /* CLOCK_MONOTONIC ms: its next request may start then */
	int64_t last; /* its last request's start; 0: none */
};

struct rsd_frontier_clocks {
	struct clock *v;
	size_t n, cap;
	int64_t now;
	bool failed; /* an allocation failed: the set is incomplete */
};

/* frontier_each_host's each(), the lock held: the hosts that wait, or
 * asked recently enough for a raised delay_ms to make them wait. */
static void keep_clock(void *ctx, struct rsd_frontier_host *h)
{
	struct rsd_frontier_clocks *k = ctx;
	bool recent = h->last_start && k->now - h->last_start < MAX_DELAY_MS;
	if (k->failed || (h->ready_at <= k->now && !recent))
		return;
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 16;
		struct clock *v = realloc(k->v, cap * sizeof(*v));
		if (!v) {
			k->failed = true;
			return;
		}
		k->v = v;
		k->cap = cap;
	}
	char *name = strdup(h->name);
	if (!name) {
		k->failed = true;
		return;
	}
	k->v[k->n++] = (struct clock){ .host = name, .at = h->ready_at, .last = h->last_start };
}

int rsd_frontier_clocks_save(struct rsd_frontier *f, struct rsd_frontier_clocks **out)
{
	struct rsd_frontier_clocks *k = calloc(1, sizeof(*k));
	*out = NULL;
	if (!k)
		return -ENOMEM;
	pthread_mutex_lock(&f->lock);
	k->now = rsd_now_ms();
	frontier_each_host(f, keep_clock, k);
	pthread_mutex_unlock(&f->lock);
	if (k->failed) {
		rsd_frontier_clocks_free(k);
		return -ENOMEM;
	}
	if (k->n == 0)
		rsd_frontier_clocks_free(k);
	else
		*out = k;
	return 0;
}

int rsd_frontier_clocks_restore(struct rsd_frontier *f, const struct rsd_frontier_clocks *k)
{
	int rc = 0;
	int64_t now = rsd_now_ms();
	for (size_t i = 0; k && i < k->n; i++) {
		/* The carried deadline was promised with the old delay_ms;
		 * a raised one spaces the last request from the next one too
		 * (a lowered one does not shorten what was promised). */
		int64_t at = k->v[i].at;
		if (k->v[i].last && k->v[i].last + (int64_t)f->cfg->delay_ms > at)
			at = k->v[i].last + (int64_t)f->cfg->delay_ms;
		if (rsd_frontier_hold_host(f, k->v[i].host, at - now) < 0)
			rc = -ENOMEM;
	}
	return rc;
}

void rsd_frontier_clocks_free(struct rsd_frontier_clocks *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++)
		free(k->v[i].host);
	free(k->v);
	free(k);
}
