/* SPDX-License-Identifier: MIT */
/* The robots.txt verdicts carried from a frontier to the next one (a
 * reload rebuilds the scraper): without them the new frontier would ask
 * every origin for robots.txt again, a burst of requests to every site and
 * a pause per host while it waits. A verdict keeps its age: it expires in
 * the new frontier when it would have in the old one.
 *
 * What a verdict depends on decides whether it is still valid: the rules
 * were parsed for the product token of user_agent, from what the server
 * answered that User-Agent (a changed user_agent: none is carried); with
 * robots = off the new frontier has no use for them. An origin refused
 * because its robots.txt was at a non-public address was refused by
 * allow_private_addresses: when that changed, it is asked again. Scope and
 * the address check of each page are not the verdict's business: admission
 * and the fetch apply them in the new frontier as always. */
#include "crawl/frontier.h"
#include "crawl/frontier_spec.h"
#include "core/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct verdict {
	char *host;
	char *prefix; /* "https://host[:port]" */
	struct rsd_robots *robots; /* a reference */
	int64_t expires; /* CLOCK_MONOTONIC ms, as the old frontier had it */
	enum rsd_cause deny_cause;
	char *deny_detail; /* NULL: none */
};

struct rsd_frontier_robots {
	char *user_agent; /* what the rules were fetched and parsed with */
	bool allow_private; /* allow_private_addresses when they were fetched */
	struct verdict *v;
	size_t n, cap;
	int64_t now;
	bool failed; /* an allocation failed: the set is incomplete */
};

static void verdict_clear(struct verdict *v)
{
	free(v->host);
	free(v->prefix);
	free(v->deny_detail);
	rsd_robots_free(v->robots);
}

static bool keep_verdict(struct rsd_frontier_robots *k, const struct rsd_frontier_host *h,
			 const struct origin *o)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 16;
		struct verdict *v = realloc(k->v, cap * sizeof(*v));
		if (!v)
			return false;
		k->v = v;
		k->cap = cap;
	}
	struct verdict *v = &k->v[k->n];
	*v = (struct verdict){ .host = strdup(h->name),
			       .prefix = strdup(o->prefix),
			       .expires = o->robots_expires,
			       .deny_cause = o->deny_cause,
			       .deny_detail = o->deny_detail ? strdup(o->deny_detail) : NULL };
	if (!v->host || !v->prefix || (o->deny_detail && !v->deny_detail)) {
		verdict_clear(v);
		return false;
	}
	v->robots = rsd_robots_ref(o->robots);
	k->n++;
	return true;
}

/* frontier_each_host's each(), the lock held: the origins whose rules are
 * in and not expired (one being fetched again has expired ones). */
static void keep_host(void *ctx, struct rsd_frontier_host *h)
{
	struct rsd_frontier_robots *k = ctx;
	for (unsigned i = 0; i < h->n_origins && !k->failed; i++) {
		const struct origin *o = &h->origins[i];
		if (o->robots_state == ROBOTS_READY && o->robots && k->now < o->robots_expires &&
		    !keep_verdict(k, h, o))
			k->failed = true;
	}
}

int rsd_frontier_robots_save(struct rsd_frontier *f, struct rsd_frontier_robots **out)
{
	*out = NULL;
	if (!f->cfg->robots)
		return 0; /* nothing was asked for */
	struct rsd_frontier_robots *k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->allow_private = f->cfg->allow_private_addresses;
	k->user_agent = strdup(f->cfg->user_agent ? f->cfg->user_agent : "");
	k->failed = !k->user_agent;
	pthread_mutex_lock(&f->lock);
	k->now = rsd_now_ms();
	if (!k->failed)
		frontier_each_host(f, keep_host, k);
	pthread_mutex_unlock(&f->lock);
	if (k->failed) {
		rsd_frontier_robots_free(k);
		return -ENOMEM;
	}
	if (k->n == 0)
		rsd_frontier_robots_free(k);
	else
		*out = k;
	return 0;
}

bool rsd_frontier_robots_hold(const struct rsd_frontier *f, const struct rsd_frontier_robots *k)
{
	const char *agent = f->cfg->user_agent ? f->cfg->user_agent : "";
	return f->cfg->robots && strcmp(agent, k->user_agent) == 0;
}

/* v into its origin of f, unless f has a verdict of its own there; the
 * lock held. 0 or -ENOMEM. */
static int put_verdict(struct rsd_frontier *f, const struct verdict *v)
{
	struct rsd_frontier_host *h = frontier_host_get(f, v->host);
	int oi = h ? frontier_origin_get(h, v->prefix, strlen(v->prefix)) : -ENOMEM;
	if (oi < 0)
		return oi == -EMLINK ? 0 : oi; /* -EMLINK: its pages are refused anyway */
	struct origin *o = &h->origins[oi];
	if (o->robots_state != ROBOTS_NONE || o->robots)
		return 0;
	char *detail = v->deny_detail ? strdup(v->deny_detail) : NULL;
	if (v->deny_detail && !detail)
		return -ENOMEM;
	const char *const *maps;
	o->robots = rsd_robots_ref(v->robots);
	o->robots_state = ROBOTS_READY;
	o->robots_expires = v->expires;
	o->deny_cause = v->deny_cause;
	o->deny_detail = detail;
	o->maps_due = rsd_robots_sitemaps(v->robots, &maps) > 0;
	return 0;
}

int rsd_frontier_robots_restore(struct rsd_frontier *f, const struct rsd_frontier_robots *k)
{
	if (!k || !rsd_frontier_robots_hold(f, k))
		return 0;
	int rc = 0;
	bool private_changed = k->allow_private != f->cfg->allow_private_addresses;
	pthread_mutex_lock(&f->lock);
	int64_t now = rsd_now_ms();
	for (size_t i = 0; i < k->n; i++) {
		const struct verdict *v = &k->v[i];
		if (now >= v->expires ||
		    (private_changed && v->deny_cause == RSD_CAUSE_PRIVATE_ADDRESS))
			continue; /* asked again, as it would have been */
		if (put_verdict(f, v) < 0)
			rc = -ENOMEM;
	}
	pthread_mutex_unlock(&f->lock);
	return rc;
}

void rsd_frontier_robots_free(struct rsd_frontier_robots *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++)
		verdict_clear(&k->v[i]);
	free(k->v);
	free(k->user_agent);
	free(k);
}

size_t rsd_frontier_robots_count(const struct rsd_frontier_robots *k)
{
	return k ? k->n : 0;
}
