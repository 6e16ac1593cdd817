/* SPDX-License-Identifier: MIT */
/* The frontier's admission (frontier.h: rsd_frontier_add_*): a URL's normal
 * form and scope are checked before the lock (curl URL parsing, regexes),
 * dedup, the crawl state and the queue bounds under it; in cluster mode an
 * admitted URL is routed to its host's owner. The rest of the frontier, and
 * its design, are in frontier.c. */

#include "crawl/frontier.h"
#include "crawl/frontier_spec.h"
#include "core/url.h"
#include "core/util.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- admission ---- */

static bool allowed_host(const struct rsd_config *cfg, const char *host)
{
	for (size_t i = 0; i < cfg->allowed_hosts.n; i++)
		if (strcmp(cfg->allowed_hosts.items[i], host) == 0)
			return true;
	return false;
}

bool frontier_matches(const char *pattern, const regex_t *re, const char *url)
{
	return pattern && regexec(re, url, 0, NULL, 0) == 0;
}

void frontier_candidate_clear(struct candidate *c)
{
	free(c->url);
	free(c->host);
	*c = (struct candidate){ 0 };
}

static enum rsd_cause normal_form_cause(int rc)
{
	return rc == -EPROTONOSUPPORT ? RSD_CAUSE_SCHEME
	       : rc == -ENAMETOOLONG  ? RSD_CAUSE_LIMIT
				      : RSD_CAUSE_INVALID_URL;
}

/* The scope part of admission, for c in normal form (rc 0) or refused by
 * it (rc < 0, why its cause): 0, or a negative errno with c->refused set
 * (c->url, if any, is the caller's to drop). */
static int scope_check(const struct rsd_config *cfg, enum admit_kind kind, struct candidate *c,
		       int rc, enum rsd_cause why)
{
	if (rc == 0 && !allowed_host(cfg, c->host)) {
		rc = -EPERM;
		why = RSD_CAUSE_OUT_OF_SCOPE;
	}
	/* A link is followed when it matches `follow` (every link when unset)
	 * or `recipe`: a recipe page that is not followed could never be
	 * extracted. */
	if (rc == 0 && kind == ADMIT_LINK && cfg->follow &&
	    !frontier_matches(cfg->follow, &cfg->follow_re, c->url) &&
	    !frontier_matches(cfg->recipe, &cfg->recipe_re, c->url)) {
		rc = -EPERM;
		why = RSD_CAUSE_NOT_FOLLOWED;
	}
	if (rc < 0) {
		if (why != RSD_CAUSE_OUT_OF_SCOPE) { /* its host is the detail */
			free(c->host);
			c->host = NULL;
		}
		c->refused = why;
	}
	c->sitemap = rc == 0 && kind == ADMIT_SITEMAP;
	return rc;
}

/* The lock-free part of admission: normal form and scope. 0, or a
 * negative errno with c->refused set (and c->url NULL). */
int frontier_admit_check(const struct rsd_config *cfg, const char *ref, const char *base,
			 enum admit_kind kind, struct candidate *c)
{
	*c = (struct candidate){ 0 };
	int rc = rsd_url_normalize(ref, base, &c->url);
	enum rsd_cause why = normal_form_cause(rc);
	if (rc == 0)
		rc = rsd_url_host(c->url, &c->host);
	rc = scope_check(cfg, kind, c, rc, why);
	if (rc < 0) {
		free(c->url);
		c->url = NULL;
	}
	return rc;
}

/* admit_check for a link in normal form already (rsd_url_link_make): its
 * url and host move into c; a refused one keeps what its refusal names
 * (rsd_url_link_resolved). */
static int admit_check_link(const struct rsd_config *cfg, struct rsd_url_link *link,
			    struct candidate *c)
{
	*c = (struct candidate){ .url = link->url, .host = link->host };
	link->url = link->host = NULL;
	int rc = link->error;
	if (rc == 0 && (!c->url || !c->host))
		rc = -EINVAL; /* not made by rsd_url_link_make */
	rc = scope_check(cfg, ADMIT_LINK, c, rc, normal_form_cause(rc));
	if (rc < 0) {
		if (!link->resolved) /* the same text */
			link->resolved = c->url;
		else
			free(c->url);
		c->url = NULL;
	}
	return rc;
}

/* Reports a candidate admit_check refused; where names the page it was
 * found on, or the redirect, for the detail ("" for none). */
static void refuse_candidate(struct rsd_frontier *f, const struct candidate *c, const char *host,
			     const char *url, const char *where)
{
	char detail[1280];
	switch (c->refused) {
	case RSD_CAUSE_OUT_OF_SCOPE:
		snprintf(detail, sizeof detail, "%shost %s is not in allowed_hosts", where,
			 c->host);
		break;
	case RSD_CAUSE_NOT_FOLLOWED:
		snprintf(detail, sizeof detail, "%smatches neither follow nor recipe", where);
		break;
	case RSD_CAUSE_SCHEME:
		snprintf(detail, sizeof detail, "%sonly http and https are crawled", where);
		break;
	case RSD_CAUSE_LIMIT: /* the only limit admit_check applies */
		snprintf(detail, sizeof detail, "%sURL longer than %d bytes", where,
			 RSD_URL_MAX_BYTES);
		break;
	default:
		snprintf(detail, sizeof detail, "%snot a valid URL", where);
		break;
	}
	frontier_refuse(f, c->refused, host ? host : c->host ? c->host : "", url, detail);
}

/* Recrawl rounds read the first round's sitemaps again (robots.txt, where
 * they come from, is cached for a day). At most MAX_SITEMAPS, as admitted;
 * a failed copy only means that sitemap waits for robots.txt's expiry. */
static void remember_sitemap(struct rsd_frontier *f, const struct candidate *c)
{
	if (f->n_maps % 16 == 0) {
		struct candidate *m = realloc(f->maps, (f->n_maps + 16) * sizeof(*m));
		if (!m)
			return;
		f->maps = m;
	}
	struct candidate copy = { .url = strdup(c->url), .host = strdup(c->host), .sitemap = true };
	if (!copy.url || !copy.host) {
		frontier_candidate_clear(&copy);
		return;
	}
	f->maps[f->n_maps++] = copy;
}

/* Delivered pages whose last fetch is older than this are due again
 * (crawl state times are wall clock); 0 = never. */
static time_t refresh_cutoff(const struct rsd_frontier *f)
{
	unsigned interval = f->cfg->refresh_interval_s;
	return interval ? time(NULL) - (time_t)interval : 0;
}

/* -EALREADY for a page delivered in the current scope and fresh; *refresh
 * for one delivered and due again. */
static int delivery_check(struct rsd_frontier *f, const char *url, bool *refresh)
{
	*refresh = false;
	if (!f->opt.state || !rsd_state_is_delivered(f->opt.state, url, 0))
		return 0;
	if (rsd_state_is_delivered(f->opt.state, url, refresh_cutoff(f)))
		return -EALREADY;
	*refresh = true;
	return 0;
}

/* Locked part: dedup (not for a ticketed URL: the cluster did), crawl
 * state, queueing. Takes nothing from c. */
static int queue_locked(struct rsd_frontier *f, const struct candidate *c, unsigned depth,
			unsigned redirects, uint64_t ticket)
{
	if (f->limit_reached || f->stopped)
		return -ENOSPC;
	if (c->sitemap && f->sitemaps >= MAX_SITEMAPS)
		return -EDQUOT;
	size_t olen;
	if (rsd_url_split(c->url, &olen) < 0)
		return -EINVAL;
	/* The bounds come before the seen set: a URL refused for a full queue
	 * is admitted when found again after the queue drained. */
	if (f->queued >= f->cfg->max_queued)
		return -ENOBUFS;
	struct rsd_frontier_host *h = frontier_host_get(f, c->host);
	if (!h)
		return -ENOMEM;
	if (h->queued >= f->cfg->max_queued_per_host)
		return -ENOBUFS;
	int rc = ticket ? 0 : frontier_seen_insert(&f->seen, c->url);
	if (rc < 0)
		return rc;
	bool refresh;
	if ((rc = delivery_check(f, c->url, &refresh)) < 0)
		return rc;
	int oi = frontier_origin_get(h, c->url, olen);
	if (oi < 0)
		return oi;
	size_t rest = strlen(c->url + olen);
	struct entry *e = malloc(sizeof(*e) + rest + 1);
	if (!e)
		return -ENOMEM;
	e->depth = (uint16_t)depth;
	e->attempt = 0;
	e->redirects = (uint8_t)redirects;
	e->origin = (uint8_t)oi;
	e->sitemap = c->sitemap;
	e->checked = false;
	e->refresh = refresh;
	e->ticket = ticket;
	f->sitemaps += c->sitemap;
	memcpy(e->rest, c->url + olen, rest + 1);
	frontier_host_push(f, h, e, false);
	if (ticket)
		h->released = false; /* its partition is ours (again) */
	frontier_reschedule(f, h);
	if (c->sitemap && f->round == 0)
		remember_sitemap(f, c);
	return 0;
}

/* Cluster mode: the URL goes to its host's owner (maybe this daemon)
 * through Kafka; the seen set keeps one daemon from sending a URL twice in
 * a round. */
static int route_locked(struct rsd_frontier *f, const struct candidate *c, unsigned depth,
			unsigned redirects)
{
	if (f->stopped)
		return -ENOSPC;
	if (c->sitemap && f->sitemaps >= MAX_SITEMAPS)
		return -EDQUOT;
	int rc = frontier_seen_insert(&f->seen, c->url);
	if (rc < 0)
		return rc;
	f->sitemaps += c->sitemap;
	rc = f->cluster.route(f->cluster.ctx, c->url, c->host, depth, redirects, c->sitemap);
	return rc < 0 ? -ENOBUFS : 0;
}

int frontier_admit_locked(struct rsd_frontier *f, const struct candidate *c, unsigned depth,
			  unsigned redirects)
{
	if (f->cluster.route)
		return route_locked(f, c, depth, redirects);
	return queue_locked(f, c, depth, redirects, 0);
}

/* Reports what admit_locked refused. Duplicates are not refusals, nor is
 * what arrives after max_pages or stop (-ENOSPC): those pages are not
 * refused, just not needed; nor is running out of memory. */
static void refuse_admission(struct rsd_frontier *f, int rc, const struct candidate *c)
{
	char detail[128];
	switch (rc) {
	case -EALREADY:
		frontier_refuse(f, RSD_CAUSE_DELIVERED, c->host, c->url, NULL);
		break;
	case -EDQUOT:
		snprintf(detail, sizeof detail, "more than %d sitemaps in one crawl round",
			 MAX_SITEMAPS);
		frontier_refuse(f, RSD_CAUSE_LIMIT, c->host, c->url, detail);
		break;
	case -EMLINK:
		snprintf(detail, sizeof detail,
			 "more than %d scheme and port combinations of one host", MAX_ORIGINS);
		frontier_refuse(f, RSD_CAUSE_LIMIT, c->host, c->url, detail);
		break;
	case -EINVAL:
		frontier_refuse(f, RSD_CAUSE_INVALID_URL, c->host, c->url, "not a valid URL");
		break;
	case -ENOBUFS:
		snprintf(detail, sizeof detail,
			 "frontier full (%zu URLs queued, max_queued = %u, "
			 "max_queued_per_host = %u)",
			 f->queued, f->cfg->max_queued, f->cfg->max_queued_per_host);
		frontier_refuse(f, RSD_CAUSE_QUEUE_FULL, c->host, c->url, detail);
		break;
	default:
		break;
	}
}

/* Admits a batch (the candidates admit_check refused were reported);
 * returns how many were queued. */
static int add_batch(struct rsd_frontier *f, const struct candidate *c, size_t n, unsigned depth)
{
	int added = 0;
	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < n; i++) {
		if (!c[i].url)
			continue;
		int rc = frontier_admit_locked(f, &c[i], depth, 0);
		if (rc == 0)
			added++;
		else
			refuse_admission(f, rc, &c[i]);
	}
	if (added)
		frontier_wake_idle(f);
	frontier_publish_counts(f);
	pthread_mutex_unlock(&f->lock);
	return added;
}

/* Reports candidate i of a batch that admit_check refused: the refusal
 * names ref, and falls under from's host (NULL: none; looked up once per
 * batch into *from_host). */
static void refuse_in_batch(struct rsd_frontier *f, const char *from, char **from_host,
			    const struct candidate *c, const char *ref)
{
	if (from && !*from_host && rsd_url_host(from, from_host) < 0)
		*from_host = NULL;
	refuse_candidate(f, c, *from_host, ref, "");
}

/* Admits the batch c[0..n) and frees it. */
static int add_checked(struct rsd_frontier *f, struct candidate *c, size_t n, unsigned depth)
{
	int added = add_batch(f, c, n, depth);
	for (size_t i = 0; i < n; i++)
		frontier_candidate_clear(&c[i]);
	free(c);
	return added;
}

/* from: the page the refs were found on (NULL: none); its host is the one
 * scope refusals are reported under. */
static int add_refs(struct rsd_frontier *f, const char *from, char *const *refs, size_t n,
		    unsigned depth, enum admit_kind kind)
{
	struct candidate *c = calloc(n ? n : 1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	char *from_host = NULL;
	for (size_t i = 0; i < n; i++)
		if (frontier_admit_check(f->cfg, refs[i], NULL, kind, &c[i]) < 0)
			refuse_in_batch(f, from, &from_host, &c[i], refs[i]);
	free(from_host);
	return add_checked(f, c, n, depth);
}

/* Delivered pages due for a refresh, at the start and at each round:
 * admitted directly rather than through the links that led to them (a hub
 * that answers 304 is not read again), scope applying and `follow` not
 * (they were reached once), at max_depth so that their own links are not
 * followed again: new recipes are found through the hubs. */
void frontier_admit_due_locked(struct rsd_frontier *f)
{
	if (!f->opt.state || !f->cfg->refresh_interval_s)
		return;
	char **urls = NULL;
	size_t max = f->cfg->max_pages ? (size_t)f->cfg->max_pages : SIZE_MAX;
	ssize_t n = rsd_state_due(f->opt.state, refresh_cutoff(f), max, &urls);
	for (ssize_t i = 0; i < n; i++) {
		struct candidate c;
		if (frontier_admit_check(f->cfg, urls[i], NULL, ADMIT_REFRESH, &c) == 0)
			frontier_admit_locked(f, &c, f->cfg->max_depth, 0);
		frontier_candidate_clear(&c);
		free(urls[i]);
	}
	free(urls);
}

int rsd_frontier_add_start(struct rsd_frontier *f, const struct rsd_strv *urls)
{
	int added = add_refs(f, NULL, urls->items, urls->n, 0, ADMIT_START);
	pthread_mutex_lock(&f->lock);
	frontier_admit_due_locked(f);
	frontier_wake_idle(f);
	frontier_publish_counts(f);
	pthread_mutex_unlock(&f->lock);
	return added;
}

/* Links beyond max_depth (sitemap URLs with max_depth = 0: pages at
 * max_depth do not collect their links, the pool counts those pages) are
 * refused under their own host. */
static void refuse_too_deep(struct rsd_frontier *f, const char *url, const char *host)
{
	char *own = NULL;
	if (!host && f->opt.on_refusal)
		(void)rsd_url_host(url, &own); /* NULL on failure */
	host = host ? host : own;
	frontier_refuse(f, RSD_CAUSE_DEPTH, host ? host : "", url, NULL);
	free(own);
}

int rsd_frontier_add_links(struct rsd_frontier *f, const char *from, char *const *links, size_t n,
			   unsigned depth)
{
	if (depth > f->cfg->max_depth) {
		for (size_t i = 0; i < n; i++)
			refuse_too_deep(f, links[i], NULL);
		return 0;
	}
	return n ? add_refs(f, from, links, n, depth, ADMIT_LINK) : 0;
}

int rsd_frontier_add_page_links(struct rsd_frontier *f, const char *from,
				struct rsd_url_link *links, size_t n, unsigned depth)
{
	if (depth > f->cfg->max_depth) {
		for (size_t i = 0; i < n; i++)
			refuse_too_deep(f, rsd_url_link_resolved(&links[i]), links[i].host);
		return 0;
	}
	if (!n)
		return 0;
	struct candidate *c = calloc(n, sizeof(*c));
	if (!c)
		return -ENOMEM;
	char *from_host = NULL;
	for (size_t i = 0; i < n; i++)
		if (admit_check_link(f->cfg, &links[i], &c[i]) < 0)
			refuse_in_batch(f, from, &from_host, &c[i],
					rsd_url_link_resolved(&links[i]));
	free(from_host);
	return add_checked(f, c, n, depth);
}

int rsd_frontier_add_sitemaps(struct rsd_frontier *f, const char *from, char *const *urls, size_t n)
{
	return n ? add_refs(f, from, urls, n, 0, ADMIT_SITEMAP) : 0;
}

/* Admits one candidate that passed admit_check (a ticketed one is queued
 * here, in cluster mode, without routing), reports a refusal, clears c. */
static int admit_candidate(struct rsd_frontier *f, struct candidate *c, unsigned depth,
			   unsigned redirects, uint64_t ticket)
{
	pthread_mutex_lock(&f->lock);
	int rc = ticket ? queue_locked(f, c, depth, redirects, ticket)
			: frontier_admit_locked(f, c, depth, redirects);
	if (rc == 0)
		frontier_wake_idle(f);
	else
		refuse_admission(f, rc, c);
	frontier_publish_counts(f);
	pthread_mutex_unlock(&f->lock);
	frontier_candidate_clear(c);
	return rc;
}

int rsd_frontier_add_redirect(struct rsd_frontier *f, const struct rsd_job *job,
			      const char *location)
{
	char where[1024];
	snprintf(where, sizeof where, "redirect to %s: ", location);
	if (job->redirects >= MAX_REDIRECTS) {
		snprintf(where, sizeof where, "more than %d redirects, the last to %s",
			 MAX_REDIRECTS, location);
		frontier_refuse(f, RSD_CAUSE_REDIRECT, job->host->name, job->url, where);
		return -ELOOP;
	}
	struct candidate c;
	int rc = frontier_admit_check(f->cfg, location, job->url, ADMIT_REDIRECT, &c);
	if (rc < 0) {
		refuse_candidate(f, &c, job->host->name, job->url, where);
		frontier_candidate_clear(&c);
		return rc;
	}
	c.sitemap = job->kind == RSD_JOB_SITEMAP; /* a moved sitemap is still one */
	return admit_candidate(f, &c, job->depth, job->redirects + 1, 0);
}

int rsd_frontier_add_owned(struct rsd_frontier *f, const char *url, unsigned depth,
			   unsigned redirects, bool sitemap, uint64_t ticket)
{
	struct candidate c;
	if (!ticket)
		return -EINVAL;
	/* ADMIT_START: `follow` was the sender's to apply. */
	int rc = frontier_admit_check(f->cfg, url, NULL, sitemap ? ADMIT_SITEMAP : ADMIT_START, &c);
	if (rc < 0) {
		refuse_candidate(f, &c, NULL, url, "");
		frontier_candidate_clear(&c);
		return rc;
	}
	return admit_candidate(f, &c, depth, redirects, ticket);
}
