/* SPDX-License-Identifier: MIT */
/* The politeness clocks carried from a frontier to the next one (a reload
 * rebuilds the scraper): without them the new frontier would ask a host
 * fetched just before the reload again at once, ignoring delay_ms, its
 * Crawl-delay and a pending Retry-After. */
#include "crawl/frontier.h"
#include "core/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct clock {
	char *host;
	int64_t at; /* CLOCK_MONOTONIC ms: its next request may start then */
};

struct rsd_frontier_clocks {
	struct clock *v;
	size_t n, cap;
	bool failed; /* an allocation failed: the set is incomplete */
};

/* host_clocks' each(), under the frontier's lock: no call back into it. */
static void keep_clock(void *ctx, const char *host, int64_t wait_ms)
{
	struct rsd_frontier_clocks *k = ctx;
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
	char *name = strdup(host);
	if (!name) {
		k->failed = true;
		return;
	}
	/* now is read a little after the frontier's: the deadline can only
	 * come later, never earlier, than the frontier's own. */
	k->v[k->n++] = (struct clock){ .host = name, .at = rsd_now_ms() + wait_ms };
}

int rsd_frontier_clocks_save(struct rsd_frontier *f, struct rsd_frontier_clocks **out)
{
	struct rsd_frontier_clocks *k = calloc(1, sizeof(*k));
	*out = NULL;
	if (!k)
		return -ENOMEM;
	(void)rsd_frontier_host_clocks(f, NULL, NULL, keep_clock, k);
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
	for (size_t i = 0; k && i < k->n; i++)
		if (rsd_frontier_hold_host(f, k->v[i].host, k->v[i].at - now) < 0)
			rc = -ENOMEM;
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
