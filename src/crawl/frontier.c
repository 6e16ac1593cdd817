/* SPDX-License-Identifier: MIT */
/* The crawl frontier (see frontier.h for the rules it enforces).
 *
 * Design:
 * - One mutex. Every operation is O(log hosts) plus a hash lookup; the
 *   expensive parts (curl URL parsing, regexes) run before taking it.
 * - Memory per queued URL is what makes a million-URL frontier fit: a queue
 *   entry stores only the part after the host's origin (the host is implied
 *   by its queue) next to a 16-byte header, and the seen set stores a 64-bit
 *   keyed hash of each URL in an open-addressing table at most half full
 *   (16-32 bytes per URL). A hash collision (probability ~n^2/2^65, about
 *   3e-8 for a million URLs) would make one URL look seen; that is accepted.
 * - Politeness is per host name (whatever the scheme or port: they reach
 *   the same server), robots.txt per origin (RFC 9309 2.3: scheme, host and
 *   port), so a host record holds a small table of its origins and each
 *   queue entry names its origin by index.
 * - Hosts are never freed while the frontier lives: a host record is small
 *   and keeps its robots.txt cache and politeness clock.
 * - robots.txt verdicts are taken outside the lock: next() pops the page,
 *   takes a reference to its origin's rules (immutable once parsed; the
 *   reference keeps them alive if robots_done replaces them meanwhile),
 *   unlocks, matches, locks again. Meanwhile the host is out of the heap,
 *   so nobody else dispatches from it and its queue order and politeness
 *   hold; an allowed page goes back to the head of its queue, marked
 *   checked, and is dispatched by the usual path.
 * - Admission (normal form, scope, dedup, crawl state, queueing) is in
 *   frontier_admit.c; frontier_spec.h is what the two share.
 * - Time is CLOCK_MONOTONIC milliseconds so that wall-clock steps cannot
 *   make the crawler impolite. */

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

#define ROBOTS_TTL_MS (24LL * 3600 * 1000) /* RFC 9309 2.4: at most 24 h */
#define ROBOTS_RETRY_TTL_MS (3600LL * 1000) /* disallow-all after 5xx: retry in 1 h */
#define MAX_CRAWL_DELAY_MS 60000u /* honour Crawl-delay up to 1 minute */
#define MAX_RETRY_AFTER_MS (600u * 1000u) /* longer Retry-After: give up */
#define NOT_IN_HEAP SIZE_MAX

/* ---- stats ---- */

void frontier_publish_counts(struct rsd_frontier *f)
{
	if (!f->opt.stats)
		return;
	atomic_store_explicit(&f->opt.stats->queued, f->queued, memory_order_relaxed);
	atomic_store_explicit(&f->opt.stats->in_flight, f->in_flight, memory_order_relaxed);
}

/* Counts a page refused or skipped and tells opt.on_refusal. */
void frontier_refuse(struct rsd_frontier *f, enum rsd_cause cause, const char *host,
		     const char *url, const char *detail)
{
	if (f->opt.stats)
		rsd_scraper_stats_count(f->opt.stats, cause);
	if (f->opt.on_refusal)
		f->opt.on_refusal(f->opt.refusal_ctx, &(struct rsd_refusal){ .cause = cause,
									     .host = host,
									     .url = url,
									     .detail = detail });
}

/* The same for an entry queued on h: its URL is rebuilt for the report. */
static void refuse_entry(struct rsd_frontier *f, const struct rsd_frontier_host *h,
			 const struct entry *e, enum rsd_cause cause, const char *detail)
{
	char *url = NULL;
	if (f->opt.on_refusal && asprintf(&url, "%s%s", h->origins[e->origin].prefix, e->rest) < 0)
		url = NULL;
	frontier_refuse(f, cause, h->name, url, detail);
	free(url);
}

/* ---- seen set ---- */

static bool seen_insert_slot(struct seen_set *s, uint64_t h)
{
	size_t i = h & (s->cap - 1);
	while (s->slots[i]) {
		if (s->slots[i] == h)
			return false;
		i = (i + 1) & (s->cap - 1);
	}
	s->slots[i] = h;
	s->n++;
	return true;
}

static int seen_grow(struct seen_set *s)
{
	struct seen_set bigger = { .cap = s->cap ? 2 * s->cap : 1024 };
	bigger.slots = calloc(bigger.cap, sizeof(uint64_t));
	if (!bigger.slots)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i])
			seen_insert_slot(&bigger, s->slots[i]);
	free(s->slots);
	*s = bigger;
	return 0;
}

/* 0 when newly inserted, -EEXIST when present. */
int frontier_seen_insert(struct seen_set *s, const char *url)
{
	if (2 * (s->n + 1) > s->cap && seen_grow(s) < 0)
		return -ENOMEM;
	uint64_t h = rsd_url_hash(url, strlen(url));
	return seen_insert_slot(s, h ? h : 1) ? 0 : -EEXIST;
}

static void seen_clear(struct seen_set *s)
{
	memset(s->slots, 0, s->cap * sizeof(uint64_t));
	s->n = 0;
}

/* ---- host heap (min-heap on ready_at) ---- */

static void heap_set(struct rsd_frontier *f, size_t i, struct rsd_frontier_host *h)
{
	f->heap[i] = h;
	h->heap_idx = i;
}

static void heap_up(struct rsd_frontier *f, size_t i)
{
	struct rsd_frontier_host *h = f->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (f->heap[parent]->ready_at <= h->ready_at)
			break;
		heap_set(f, i, f->heap[parent]);
		i = parent;
	}
	heap_set(f, i, h);
}

static void heap_down(struct rsd_frontier *f, size_t i)
{
	struct rsd_frontier_host *h = f->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= f->heap_len)
			break;
		if (c + 1 < f->heap_len && f->heap[c + 1]->ready_at < f->heap[c]->ready_at)
			c++;
		if (h->ready_at <= f->heap[c]->ready_at)
			break;
		heap_set(f, i, f->heap[c]);
		i = c;
	}
	heap_set(f, i, h);
}

static int heap_push(struct rsd_frontier *f, struct rsd_frontier_host *h)
{
	if (f->heap_len == f->heap_cap) {
		size_t cap = f->heap_cap ? 2 * f->heap_cap : 64;
		struct rsd_frontier_host **n = realloc(f->heap, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		f->heap = n;
		f->heap_cap = cap;
	}
	heap_set(f, f->heap_len++, h);
	heap_up(f, h->heap_idx);
	return 0;
}

static void heap_remove(struct rsd_frontier *f, struct rsd_frontier_host *h)
{
	size_t i = h->heap_idx;
	h->heap_idx = NOT_IN_HEAP;
	struct rsd_frontier_host *last = f->heap[--f->heap_len];
	if (last == h)
		return;
	heap_set(f, i, last);
	heap_up(f, i);
	heap_down(f, last->heap_idx);
}

/* A host is in the heap exactly when it could send a request once its
 * ready-time has come. */
static bool host_schedulable(const struct rsd_frontier *f, const struct rsd_frontier_host *h)
{
	return h->queued > 0 && h->active < f->cfg->max_connections_per_host &&
	       h->robots_fetching == 0 && !h->checking;
}

void frontier_reschedule(struct rsd_frontier *f, struct rsd_frontier_host *h)
{
	bool want = host_schedulable(f, h);
	if (h->heap_idx == NOT_IN_HEAP) {
		/* A failed push only delays the host until its next change. */
		if (want)
			(void)heap_push(f, h);
	} else if (!want) {
		heap_remove(f, h);
	} else {
		heap_up(f, h->heap_idx);
		heap_down(f, h->heap_idx);
	}
}

/* ---- hosts ---- */

static struct rsd_frontier_host **host_bucket(struct rsd_frontier *f, const char *name)
{
	return &f->buckets[rsd_url_hash(name, strlen(name)) & (f->n_buckets - 1)];
}

static int hosts_grow(struct rsd_frontier *f)
{
	size_t n = f->n_buckets ? 2 * f->n_buckets : 64;
	struct rsd_frontier_host **b = calloc(n, sizeof(*b));
	if (!b)
		return -ENOMEM;
	struct rsd_frontier_host **old = f->buckets;
	size_t old_n = f->n_buckets;
	f->buckets = b;
	f->n_buckets = n;
	for (size_t i = 0; i < old_n; i++) {
		for (struct rsd_frontier_host *h = old[i], *next; h; h = next) {
			next = h->next;
			struct rsd_frontier_host **head = host_bucket(f, h->name);
			h->next = *head;
			*head = h;
		}
	}
	free(old);
	return 0;
}

void frontier_each_host(struct rsd_frontier *f,
			void (*each)(void *ctx, struct rsd_frontier_host *h), void *ctx)
{
	for (size_t i = 0; i < f->n_buckets; i++)
		for (struct rsd_frontier_host *h = f->buckets[i]; h; h = h->next)
			each(ctx, h);
}

struct rsd_frontier_host *frontier_host_get(struct rsd_frontier *f, const char *name)
{
	for (struct rsd_frontier_host *h = *host_bucket(f, name); h; h = h->next)
		if (strcmp(h->name, name) == 0)
			return h;
	if (f->n_hosts >= f->n_buckets && hosts_grow(f) < 0)
		return NULL;
	size_t len = strlen(name);
	struct rsd_frontier_host *h = calloc(1, sizeof(*h) + len + 1);
	if (!h)
		return NULL;
	memcpy(h->name, name, len + 1);
	h->heap_idx = NOT_IN_HEAP;
	struct rsd_frontier_host **head = host_bucket(f, name);
	h->next = *head;
	*head = h;
	f->n_hosts++;
	return h;
}

/* Index of the origin url[0..len) in h, added when new; -EMLINK past
 * MAX_ORIGINS, -ENOMEM. */
int frontier_origin_get(struct rsd_frontier_host *h, const char *url, size_t len)
{
	for (unsigned i = 0; i < h->n_origins; i++)
		if (strncmp(h->origins[i].prefix, url, len) == 0 &&
		    h->origins[i].prefix[len] == '\0')
			return (int)i;
	if (h->n_origins == MAX_ORIGINS)
		return -EMLINK;
	struct origin *o = realloc(h->origins, (h->n_origins + 1) * sizeof(*o));
	if (!o)
		return -ENOMEM;
	h->origins = o;
	o[h->n_origins] = (struct origin){ .prefix = strndup(url, len) };
	if (!o[h->n_origins].prefix)
		return -ENOMEM;
	return (int)h->n_origins++;
}

void frontier_host_push(struct rsd_frontier *f, struct rsd_frontier_host *h, struct entry *e,
			bool front)
{
	if (front) {
		e->next = h->head;
		h->head = e;
		if (!h->tail)
			h->tail = e;
	} else {
		e->next = NULL;
		if (h->tail)
			h->tail->next = e;
		else
			h->head = e;
		h->tail = e;
	}
	h->queued++;
	f->queued++;
}

static struct entry *host_pop(struct rsd_frontier *f, struct rsd_frontier_host *h)
{
	struct entry *e = h->head;
	h->head = e->next;
	if (!h->head)
		h->tail = NULL;
	h->queued--;
	f->queued--;
	return e;
}

static void settle(struct rsd_frontier *f, uint64_t *ticket, enum rsd_settle how)
{
	if (*ticket && f->cluster.settle)
		f->cluster.settle(f->cluster.ctx, *ticket, how);
	*ticket = 0;
}

/* A queued entry refused or dropped for good: it is settled (given up,
 * with the refusal reported). */
static void entry_drop(struct rsd_frontier *f, struct entry *e, enum rsd_settle how)
{
	settle(f, &e->ticket, how);
	free(e);
}

static void host_drop_queue(struct rsd_frontier *f, struct rsd_frontier_host *h,
			    enum rsd_cause cause)
{
	while (h->head) {
		struct entry *e = host_pop(f, h);
		refuse_entry(f, h, e, cause, NULL);
		entry_drop(f, e, RSD_SETTLED);
	}
	frontier_reschedule(f, h);
}

static unsigned host_delay_ms(const struct rsd_frontier *f, const struct origin *o)
{
	unsigned d = f->cfg->delay_ms;
	if (o->robots) {
		unsigned cd = rsd_robots_crawl_delay_ms(o->robots);
		if (cd > MAX_CRAWL_DELAY_MS)
			cd = MAX_CRAWL_DELAY_MS;
		if (cd > d)
			d = cd;
	}
	return d;
}

/* ---- waking ---- */

void frontier_wake_idle(struct rsd_frontier *f)
{
	uint64_t mask = f->idle_mask;
	f->idle_mask = 0;
	for (unsigned i = 0; mask; i++, mask >>= 1)
		if ((mask & 1) && f->opt.wake)
			f->opt.wake(f->opt.wake_ctx, i);
}

static void wake_all(struct rsd_frontier *f)
{
	f->idle_mask = f->opt.n_waiters >= 64 ? UINT64_MAX : (UINT64_C(1) << f->opt.n_waiters) - 1;
	frontier_wake_idle(f);
}

/* ---- dispatch ---- */

static bool robots_needed(const struct rsd_frontier *f, const struct origin *o, int64_t now)
{
	if (!f->cfg->robots)
		return false;
	return o->robots_state == ROBOTS_NONE ||
	       (o->robots_state == ROBOTS_READY && now >= o->robots_expires);
}

static int start_job(struct rsd_frontier *f, struct rsd_frontier_host *h, unsigned oi, int64_t now,
		     struct rsd_job *job, const char *rest)
{
	struct origin *o = &h->origins[oi];
	if (asprintf(&job->url, "%s%s", o->prefix, rest) < 0)
		return -ENOMEM;
	job->host = h;
	job->origin = oi;
	h->active++;
	f->in_flight++;
	h->last_start = now;
	h->ready_at = now + host_delay_ms(f, o);
	frontier_reschedule(f, h);
	if (f->on_dispatch)
		f->on_dispatch(f->dispatch_ctx, job, now);
	return 0;
}

static int dispatch_robots(struct rsd_frontier *f, struct rsd_frontier_host *h, unsigned oi,
			   int64_t now, struct rsd_job *job)
{
	struct origin *o = &h->origins[oi];
	*job = (struct rsd_job){ .kind = RSD_JOB_ROBOTS, .attempt = o->robots_attempt };
	enum robots_state prev = o->robots_state;
	o->robots_state = ROBOTS_FETCHING;
	h->robots_fetching++;
	int rc = start_job(f, h, oi, now, job, "/robots.txt");
	if (rc < 0) {
		o->robots_state = prev;
		h->robots_fetching--;
		frontier_reschedule(f, h);
	}
	return rc;
}

/* Octets of a Disallow rule a refusal shows (with its NUL). */
#define RSD_ROBOTS_RULE_SHOWN 257

/* A page robots.txt refuses: by a rule, or by the complete disallow that
 * stands in for a robots.txt that could not be read (and why). */
static void refuse_by_robots(struct rsd_frontier *f, const struct rsd_frontier_host *h,
			     const struct entry *e, const char *rule)
{
	const struct origin *o = &h->origins[e->origin];
	char detail[RSD_ROBOTS_RULE_SHOWN + 320]; /* and the origin */
	if (!rule) {
		refuse_entry(f, h, e, o->deny_cause,
			     o->deny_detail ? o->deny_detail : "robots.txt disallows everything");
		return;
	}
	/* Patterns are as long as a site likes: a long one was cut to
	 * RSD_ROBOTS_RULE_SHOWN. */
	snprintf(detail, sizeof detail, "%s/robots.txt: \"Disallow: %s\"", o->prefix, rule);
	refuse_entry(f, h, e, RSD_CAUSE_ROBOTS_DISALLOW, detail);
}

static void drop_all_queued(struct rsd_frontier *f)
{
	for (size_t i = 0; i < f->n_buckets; i++)
		for (struct rsd_frontier_host *h = f->buckets[i]; h; h = h->next)
			host_drop_queue(f, h, RSD_CAUSE_MAX_PAGES);
}

/* A page whose robots.txt verdict next() takes outside the lock, or (e
 * NULL) an origin whose carried rules' Sitemap: lines it reads there. */
struct robots_check {
	struct rsd_frontier_host *h;
	struct entry *e; /* popped from h's queue; NULL: read the sitemaps */
	struct rsd_robots *robots; /* a reference of its own */
	const char *prefix; /* the origin's (lives as long as the frontier) */
};

/* h leaves the heap while its check runs outside the lock: nobody else
 * dispatches from it, so its queue order and politeness hold. */
static void hold_for_check(struct rsd_frontier *f, struct rsd_frontier_host *h)
{
	h->checking = true;
	f->checking++;
	frontier_reschedule(f, h);
}

/* -EINPROGRESS and *chk: the head page of h needs a verdict first. */
static int dispatch_page(struct rsd_frontier *f, struct rsd_frontier_host *h, int64_t now,
			 struct rsd_job *job, struct robots_check *chk)
{
	struct entry *e = host_pop(f, h);
	const struct origin *o = &h->origins[e->origin];
	if (o->robots && !e->checked) {
		*chk = (struct robots_check){ .h = h, .e = e, .robots = rsd_robots_ref(o->robots) };
		hold_for_check(f, h);
		return -EINPROGRESS;
	}
	*job = (struct rsd_job){ .kind = e->sitemap ? RSD_JOB_SITEMAP : RSD_JOB_PAGE,
				 .depth = e->depth,
				 .attempt = e->attempt,
				 .redirects = e->redirects,
				 .ticket = e->ticket };
	int rc = start_job(f, h, e->origin, now, job, e->rest);
	if (rc < 0) {
		job->ticket = 0; /* still the entry's */
		frontier_host_push(f, h, e, true);
		frontier_reschedule(f, h);
		return rc;
	}
	job->extract = !f->cfg->recipe ||
		       frontier_matches(f->cfg->recipe, &f->cfg->recipe_re, job->url);
	job->revisit = f->round > 0 || e->refresh;
	if (e->attempt == 0 && !e->sitemap)
		f->pages_dispatched++;
	free(e);
	if (f->cfg->max_pages && f->pages_dispatched >= f->cfg->max_pages) {
		/* The limit counts pages sent; what is still queued never will be. */
		f->limit_reached = true;
		drop_all_queued(f);
	}
	return 0;
}

/* Nothing queued and nothing running: finished, or wait for the next round. */
static int drained(struct rsd_frontier *f, int64_t now, int64_t *wait_ms)
{
	unsigned interval = f->cfg->recrawl_interval_s;
	/* Cluster mode: the crawl group hands URLs over at any time (this
	 * daemon's own start URLs come back from frontier_topic after it is
	 * drained), and no member can see the group's crawl end: without
	 * rounds it waits to be woken, it is never finished. */
	bool cluster = f->cluster.route != NULL;
	if (f->opt.once || (interval == 0 && !cluster) || f->limit_reached) {
		if (!f->finished) {
			f->finished = true;
			wake_all(f);
		}
		return -ENODATA;
	}
	if (interval == 0)
		return -EAGAIN; /* *wait_ms -1: until a URL is queued */
	int64_t next_round = f->round_started + (int64_t)interval * 1000;
	if (now < next_round) {
		*wait_ms = next_round - now;
		return -EAGAIN;
	}
	/* A new round: everything may be visited again (delivered pages stay
	 * excluded by the crawl state until they are due for a refresh). */
	f->round_started = now;
	f->round++;
	f->sitemaps = 0;
	seen_clear(&f->seen);
	for (size_t i = 0; i < f->n_start; i++)
		frontier_admit_locked(f, &f->start[i], 0, 0);
	for (size_t i = 0; i < f->n_maps; i++)
		frontier_admit_locked(f, &f->maps[i], 0, 0);
	frontier_admit_due_locked(f);
	*wait_ms = 0;
	return -EAGAIN;
}

/* The first page of an origin whose rules a reload carried (maps_due):
 * their Sitemap: lines are read now when sitemaps = robots, as the fetch
 * of robots.txt would have read them. true and *chk when there are any to
 * read (outside the lock, read_carried_maps). */
static bool take_carried_maps(struct rsd_frontier *f, struct rsd_frontier_host *h, struct origin *o,
			      struct robots_check *chk)
{
	const char *const *maps;
	o->maps_due = false;
	if (f->cfg->sitemaps != RSD_SITEMAPS_ROBOTS || !o->robots ||
	    rsd_robots_sitemaps(o->robots, &maps) == 0)
		return false;
	*chk = (struct robots_check){ .h = h,
				      .robots = rsd_robots_ref(o->robots),
				      .prefix = o->prefix };
	hold_for_check(f, h);
	return true;
}

/* Outside the lock: admits chk's sitemaps as finish_robots does, named
 * after the robots.txt that listed them. */
static bool read_carried_maps(struct rsd_frontier *f, const struct robots_check *chk)
{
	const char *const *maps;
	size_t n = rsd_robots_sitemaps(chk->robots, &maps);
	char *from;
	if (asprintf(&from, "%s/robots.txt", chk->prefix) < 0)
		from = NULL; /* refusals fall under the sitemaps' own hosts */
	rsd_frontier_add_sitemaps(f, from, (char *const *)maps, n);
	free(from);
	return true;
}

/* The verdict on chk's page: an allowed page returns to the head of its
 * queue, checked; a refused one is counted and reported (rule: the
 * Disallow rule that decided, "" for a complete disallow). */
static void judged(struct rsd_frontier *f, const struct robots_check *chk, bool allowed,
		   const char *rule)
{
	struct rsd_frontier_host *h = chk->h;
	if (!allowed)
		refuse_by_robots(f, h, chk->e, rule[0] ? rule : NULL);
	if (allowed && !f->limit_reached) {
		chk->e->checked = true;
		frontier_host_push(f, h, chk->e, true);
	} else {
		entry_drop(f, chk->e, RSD_SETTLED);
	}
}

/* Back under the lock after chk's check (allowed: a page allowed, or
 * carried sitemaps read): the host returns to the heap. */
static void check_done(struct rsd_frontier *f, const struct robots_check *chk, bool allowed,
		       const char *rule)
{
	struct rsd_frontier_host *h = chk->h;
	h->checking = false;
	f->checking--;
	if (chk->e)
		judged(f, chk, allowed, rule);
	frontier_reschedule(f, h);
	/* Waiters that found this host out of the heap may go on; a refusal
	 * wakes nobody: the checking thread goes on itself, and a hostile
	 * host's thousand refusals must not make a thousand wakeups. */
	if (allowed)
		frontier_wake_idle(f);
}

static int next_locked(struct rsd_frontier *f, struct rsd_job *job, int64_t *wait_ms,
		       struct robots_check *chk)
{
	*wait_ms = -1;
	if (f->stopped)
		return -ESHUTDOWN;
	for (;;) {
		int64_t now = rsd_now_ms();
		if (f->in_flight >= f->cfg->max_connections)
			return -EAGAIN;
		if (f->heap_len == 0)
			return f->in_flight == 0 && f->checking == 0 ? drained(f, now, wait_ms)
								     : -EAGAIN;
		struct rsd_frontier_host *h = f->heap[0];
		if (h->ready_at > now) {
			*wait_ms = h->ready_at - now;
			return -EAGAIN;
		}
		struct origin *o = &h->origins[h->head->origin];
		if (robots_needed(f, o, now))
			return dispatch_robots(f, h, h->head->origin, now, job);
		if (o->maps_due && take_carried_maps(f, h, o, chk))
			return -EINPROGRESS;
		return dispatch_page(f, h, now, job, chk);
	}
}

int rsd_frontier_next(struct rsd_frontier *f, unsigned waiter, struct rsd_job *job,
		      int64_t *wait_ms)
{
	pthread_mutex_lock(&f->lock);
	uint64_t bit = UINT64_C(1) << (waiter % 64);
	f->idle_mask &= ~bit;
	struct robots_check chk = { 0 };
	int rc;
	/* Each round takes one queued page off its queue for good or marks it
	 * checked, or reads an origin's carried sitemaps once, so this ends. */
	while ((rc = next_locked(f, job, wait_ms, &chk)) == -EINPROGRESS) {
		char rule[RSD_ROBOTS_RULE_SHOWN];
		pthread_mutex_unlock(&f->lock);
		bool allowed = chk.e ? rsd_robots_check(chk.robots, chk.e->rest, rule, sizeof rule)
				     : read_carried_maps(f, &chk);
		rsd_robots_free(chk.robots);
		pthread_mutex_lock(&f->lock);
		check_done(f, &chk, allowed, rule);
	}
	if (rc == -EAGAIN)
		f->idle_mask |= bit;
	frontier_publish_counts(f);
	pthread_mutex_unlock(&f->lock);
	return rc;
}

static unsigned backoff_ms(struct rsd_frontier *f, unsigned attempt)
{
	uint64_t d = (uint64_t)f->opt.backoff_base_ms << (attempt < 16 ? attempt : 16);
	if (d > MAX_RETRY_AFTER_MS)
		d = MAX_RETRY_AFTER_MS;
	/* Jitter of up to half the delay spreads retries of many URLs. */
	return (unsigned)(d + (uint64_t)rand_r(&f->rand_state) % (d / 2 + 1));
}

/* Ends a job's hold on its host; the caller holds the lock. */
static void release(struct rsd_frontier *f, struct rsd_job *job)
{
	job->host->active--;
	f->in_flight--;
	free(job->url);
	job->url = NULL;
}

static bool requeue(struct rsd_frontier *f, struct rsd_job *job, unsigned retry_after_ms)
{
	struct rsd_frontier_host *h = job->host;
	if (job->attempt >= f->opt.max_retries || retry_after_ms > MAX_RETRY_AFTER_MS)
		return false;
	unsigned delay = retry_after_ms ? retry_after_ms : backoff_ms(f, job->attempt);
	struct origin *o = &h->origins[job->origin];
	if (h->released && job->kind != RSD_JOB_ROBOTS) {
		/* The host is another daemon's now: a retry from here would be
		 * a second crawler on it. Its next owner reads the message
		 * again; the wait below goes with the host's hand-off. */
		settle(f, &job->ticket, RSD_ABANDONED);
	} else if (job->kind == RSD_JOB_ROBOTS) {
		o->robots_state = ROBOTS_NONE;
		o->robots_attempt = job->attempt + 1;
		h->robots_fetching--;
	} else {
		size_t olen = strlen(o->prefix);
		size_t rest = strlen(job->url + olen);
		struct entry *e = malloc(sizeof(*e) + rest + 1);
		if (!e)
			return false;
		e->depth = (uint16_t)job->depth;
		e->attempt = (uint8_t)(job->attempt + 1);
		e->redirects = (uint8_t)job->redirects;
		e->origin = (uint8_t)job->origin;
		e->sitemap = job->kind == RSD_JOB_SITEMAP;
		e->checked = false; /* a retry is judged again */
		e->refresh = job->revisit; /* a retried refresh stays conditional */
		e->ticket = job->ticket; /* the retry carries it on */
		job->ticket = 0;
		memcpy(e->rest, job->url + olen, rest + 1);
		frontier_host_push(f, h, e, true);
	}
	/* The whole host waits: a 503 or 429 is about the server, not the URL. */
	int64_t at = rsd_now_ms() + delay;
	if (at > h->ready_at)
		h->ready_at = at;
	return true;
}

/* Ends the job's hold on its host and lets waiters look again. */
static void finish_job(struct rsd_frontier *f, struct rsd_job *job)
{
	struct rsd_frontier_host *h = job->host;
	settle(f, &job->ticket, RSD_SETTLED);
	release(f, job);
	frontier_reschedule(f, h);
	frontier_wake_idle(f);
	frontier_publish_counts(f);
}

void rsd_frontier_done(struct rsd_frontier *f, struct rsd_job *job)
{
	pthread_mutex_lock(&f->lock);
	finish_job(f, job);
	pthread_mutex_unlock(&f->lock);
}

bool rsd_frontier_retry(struct rsd_frontier *f, struct rsd_job *job, unsigned retry_after_ms)
{
	pthread_mutex_lock(&f->lock);
	bool requeued = requeue(f, job, retry_after_ms);
	if (requeued)
		finish_job(f, job);
	pthread_mutex_unlock(&f->lock);
	return requeued;
}

/* The lock held; detail is copied (failing that, the refusals of the
 * origin's pages only lose their detail). */
static void set_robots(struct rsd_frontier *f, struct rsd_job *job, struct rsd_robots *rules,
		       enum rsd_cause cause, const char *detail)
{
	struct rsd_frontier_host *h = job->host;
	struct origin *o = &h->origins[job->origin];
	rsd_robots_free(o->robots);
	o->robots = rules;
	/* A page allowed by the old rules and not yet dispatched (only ever
	 * the head of its queue) is judged again by the new ones. */
	if (h->head && h->head->origin == job->origin)
		h->head->checked = false;
	o->robots_state = ROBOTS_READY;
	o->robots_attempt = 0;
	o->maps_due = false; /* the fetch read the new rules' sitemaps */
	h->robots_fetching--;
	free(o->deny_detail);
	o->deny_detail = NULL;
	o->deny_cause = RSD_CAUSE_ROBOTS_DISALLOW;
	/* No rules: the server could not be asked (5xx, unreachable, out of
	 * memory). RFC 9309 2.3.1.4: assume complete disallow, but ask again
	 * within the hour instead of trusting that for a day. */
	o->robots_expires = rsd_now_ms() + (rules ? ROBOTS_TTL_MS : ROBOTS_RETRY_TTL_MS);
	if (!rules) {
		rsd_robots_new_disallow_all(&o->robots);
		o->deny_cause = cause;
		o->deny_detail = strdup(detail ? detail : "robots.txt could not be fetched");
	}
	finish_job(f, job);
}

void rsd_frontier_robots_done(struct rsd_frontier *f, struct rsd_job *job, struct rsd_robots *rules)
{
	pthread_mutex_lock(&f->lock);
	set_robots(f, job, rules, RSD_CAUSE_ROBOTS_UNREACHABLE, NULL);
	pthread_mutex_unlock(&f->lock);
}

void rsd_frontier_robots_unavailable(struct rsd_frontier *f, struct rsd_job *job,
				     enum rsd_cause cause, const char *detail)
{
	pthread_mutex_lock(&f->lock);
	set_robots(f, job, NULL, cause, detail);
	pthread_mutex_unlock(&f->lock);
}

void rsd_frontier_set_retry_policy(struct rsd_frontier *f, unsigned max_retries,
				   unsigned backoff_base_ms)
{
	pthread_mutex_lock(&f->lock);
	if (max_retries)
		f->opt.max_retries = max_retries;
	if (backoff_base_ms)
		f->opt.backoff_base_ms = backoff_base_ms;
	pthread_mutex_unlock(&f->lock);
}

void rsd_frontier_set_once(struct rsd_frontier *f, bool once)
{
	pthread_mutex_lock(&f->lock);
	f->opt.once = once;
	pthread_mutex_unlock(&f->lock);
}

void rsd_frontier_set_dispatch_cb(struct rsd_frontier *f, rsd_frontier_dispatch_fn *fn, void *ctx)
{
	pthread_mutex_lock(&f->lock);
	f->on_dispatch = fn;
	f->dispatch_ctx = ctx;
	pthread_mutex_unlock(&f->lock);
}

void rsd_frontier_set_cluster(struct rsd_frontier *f, const struct rsd_frontier_cluster *c)
{
	pthread_mutex_lock(&f->lock);
	f->cluster = *c;
	pthread_mutex_unlock(&f->lock);
}

void rsd_frontier_settle(struct rsd_frontier *f, uint64_t ticket, enum rsd_settle how)
{
	settle(f, &ticket, how);
}

size_t rsd_frontier_release_hosts(struct rsd_frontier *f, bool (*keep)(void *ctx, const char *host),
				  void *ctx)
{
	size_t n = 0;
	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->n_buckets; i++) {
		for (struct rsd_frontier_host *h = f->buckets[i]; h; h = h->next) {
			/* Also a host with only jobs in flight: their retries
			 * must not be fetched here any more. */
			if ((!h->head && !h->active) || keep(ctx, h->name))
				continue;
			h->released = true;
			while (h->head) {
				entry_drop(f, host_pop(f, h), RSD_ABANDONED);
				n++;
			}
			frontier_reschedule(f, h);
		}
	}
	frontier_publish_counts(f);
	pthread_mutex_unlock(&f->lock);
	return n;
}

size_t rsd_frontier_host_clocks(struct rsd_frontier *f, bool (*keep)(void *ctx, const char *host),
				void *ctx, void (*each)(void *ctx, const char *host, int64_t wait_ms),
				void *each_ctx)
{
	size_t n = 0;
	pthread_mutex_lock(&f->lock);
	int64_t now = rsd_now_ms();
	for (size_t i = 0; i < f->n_buckets; i++) {
		for (struct rsd_frontier_host *h = f->buckets[i]; h; h = h->next) {
			if (h->ready_at <= now || (keep && keep(ctx, h->name)))
				continue;
			each(each_ctx, h->name, h->ready_at - now);
			n++;
		}
	}
	pthread_mutex_unlock(&f->lock);
	return n;
}

int rsd_frontier_hold_host(struct rsd_frontier *f, const char *host, int64_t wait_ms)
{
	if (wait_ms <= 0)
		return 0;
	if (wait_ms > MAX_RETRY_AFTER_MS)
		wait_ms = MAX_RETRY_AFTER_MS; /* a skewed or bogus clock waits no longer */
	pthread_mutex_lock(&f->lock);
	struct rsd_frontier_host *h = frontier_host_get(f, host);
	int64_t at = rsd_now_ms() + wait_ms;
	if (h && at > h->ready_at) {
		h->ready_at = at;
		frontier_reschedule(f, h);
	}
	pthread_mutex_unlock(&f->lock);
	return h ? 0 : -ENOMEM;
}

size_t rsd_frontier_count_hosts(struct rsd_frontier *f, bool (*keep)(void *ctx, const char *host),
				void *ctx)
{
	size_t n = 0;
	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->n_buckets; i++)
		for (struct rsd_frontier_host *h = f->buckets[i]; h; h = h->next)
			n += (h->head || h->active) && (!keep || keep(ctx, h->name));
	pthread_mutex_unlock(&f->lock);
	return n;
}

void rsd_frontier_stop(struct rsd_frontier *f)
{
	pthread_mutex_lock(&f->lock);
	f->stopped = true;
	wake_all(f);
	pthread_mutex_unlock(&f->lock);
}

bool rsd_frontier_finished(struct rsd_frontier *f)
{
	pthread_mutex_lock(&f->lock);
	bool done = f->finished;
	pthread_mutex_unlock(&f->lock);
	return done;
}

/* ---- life cycle ---- */

static int copy_start_urls(struct rsd_frontier *f)
{
	const struct rsd_strv *in = &f->cfg->start_urls;
	f->start = calloc(in->n ? in->n : 1, sizeof(*f->start));
	if (!f->start)
		return -ENOMEM;
	for (size_t i = 0; i < in->n; i++) {
		struct candidate *c = &f->start[f->n_start];
		if (frontier_admit_check(f->cfg, in->items[i], NULL, ADMIT_START, c) == 0)
			f->n_start++;
		else
			frontier_candidate_clear(c); /* reported when the crawl starts */
	}
	return 0;
}

int rsd_frontier_new(const struct rsd_frontier_options *opt, struct rsd_frontier **out)
{
	*out = NULL;
	if (!opt->cfg || opt->n_waiters > 64)
		return -EINVAL;
	struct rsd_frontier *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	pthread_mutex_init(&f->lock, NULL);
	f->opt = *opt;
	f->cfg = opt->cfg;
	if (!f->opt.backoff_base_ms)
		f->opt.backoff_base_ms = opt->cfg->retry_backoff_ms ? opt->cfg->retry_backoff_ms
								    : 1000;
	if (!f->opt.max_retries)
		f->opt.max_retries = opt->cfg->max_retries; /* 0 there: never retry */
	f->rand_state = (unsigned)rsd_now_ms();
	f->round_started = rsd_now_ms();
	int rc = hosts_grow(f);
	if (rc == 0)
		rc = seen_grow(&f->seen);
	if (rc == 0)
		rc = copy_start_urls(f);
	if (rc < 0) {
		rsd_frontier_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

void rsd_frontier_free(struct rsd_frontier *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n_buckets; i++) {
		for (struct rsd_frontier_host *h = f->buckets[i], *next; h; h = next) {
			next = h->next;
			while (h->head) {
				/* shutdown or reload: its message is the partition's
				 * next owner's (a ticket is settled exactly once) */
				struct entry *e = host_pop(f, h);
				settle(f, &e->ticket, RSD_ABANDONED);
				free(e);
			}
			for (unsigned k = 0; k < h->n_origins; k++) {
				free(h->origins[k].prefix);
				free(h->origins[k].deny_detail);
				rsd_robots_free(h->origins[k].robots);
			}
			free(h->origins);
			free(h);
		}
	}
	for (size_t i = 0; f->start && i < f->n_start; i++)
		frontier_candidate_clear(&f->start[i]);
	free(f->start);
	for (size_t i = 0; i < f->n_maps; i++)
		frontier_candidate_clear(&f->maps[i]);
	free(f->maps);
	free(f->buckets);
	free(f->heap);
	free(f->seen.slots);
	pthread_mutex_destroy(&f->lock);
	free(f);
}
