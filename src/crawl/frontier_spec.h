/* SPDX-License-Identifier: MIT */
#ifndef RSD_CRAWL_FRONTIER_SPEC_H
#define RSD_CRAWL_FRONTIER_SPEC_H

/* The frontier's insides, shared by its files and nothing else:
 * frontier.c (hosts, the seen set, the host heap, dispatch with the
 * robots.txt verdict, retries, the cluster hooks, life cycle),
 * frontier_admit.c (admission: normal form, scope, dedup, crawl state,
 * queueing or routing; the rsd_frontier_add_* entry points) and what a
 * reload carries to the next frontier: frontier_clocks.c (politeness
 * clocks) and frontier_robots.c (robots.txt verdicts). The design is at
 * the top of frontier.c. */

#include "crawl/frontier.h"

#include <pthread.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>

#define MAX_REDIRECTS 5
#define MAX_SITEMAPS 1000 /* sitemap fetches per crawl round */

struct entry {
	struct entry *next;
	uint16_t depth;
	uint8_t attempt;
	uint8_t redirects;
	uint8_t origin; /* index into its host's origins */
	bool sitemap; /* a sitemap to read, not a page */
	bool checked; /* robots.txt allowed it (only a queue's head, just before dispatch) */
	bool refresh; /* delivered before, due again: a conditional GET */
	uint64_t ticket; /* cluster mode: see rsd_frontier_cluster; 0 = none */
	char rest[]; /* path and query, after the origin */
};

enum robots_state { ROBOTS_NONE, ROBOTS_FETCHING, ROBOTS_READY };

/* More than this many scheme/port combinations of one host name are refused. */
#define MAX_ORIGINS 8

struct origin {
	char *prefix; /* "https://host[:port]" */
	enum robots_state robots_state;
	unsigned robots_attempt;
	int64_t robots_expires;
	struct rsd_robots *robots;
	/* Why a complete disallow refuses: RSD_CAUSE_ROBOTS_DISALLOW when
	 * robots.txt was read, else why it could not be (with the detail). */
	enum rsd_cause deny_cause;
	char *deny_detail;
	/* Its rules came from the previous frontier (a reload): their
	 * Sitemap: lines are read when its first page is dispatched, where
	 * the fetch of robots.txt would have read them (frontier_robots.c). */
	bool maps_due;
};

struct rsd_frontier_host {
	struct rsd_frontier_host *next; /* hash chain */
	struct entry *head, *tail;
	size_t queued;
	int64_t ready_at;
	int64_t last_start; /* its last request's start; 0: none yet */
	size_t heap_idx;
	unsigned active;
	unsigned robots_fetching; /* origins whose robots.txt is being fetched */
	bool checking; /* a page's robots.txt verdict is being taken */
	/* Cluster mode: its partition went to another daemon (release_hosts)
	 * and no URL of it was queued here since; a retry is then handed to
	 * the next owner instead of being fetched here. */
	bool released;
	struct origin *origins;
	unsigned n_origins;
	char name[];
};

struct seen_set {
	uint64_t *slots; /* 0 = empty */
	size_t cap, n;
};

struct rsd_frontier {
	pthread_mutex_t lock;
	struct rsd_frontier_options opt;
	const struct rsd_config *cfg;

	struct rsd_frontier_host **buckets;
	size_t n_buckets, n_hosts;
	struct rsd_frontier_host **heap;
	size_t heap_len, heap_cap;
	struct seen_set seen;

	size_t queued; /* URLs in all host queues */
	unsigned in_flight; /* jobs handed out and not done */
	unsigned checking; /* robots.txt verdicts being taken outside the lock */
	uint64_t pages_dispatched;
	bool limit_reached, stopped, finished;
	uint64_t idle_mask; /* waiters that got -EAGAIN since their last wake */
	int64_t round_started;
	unsigned round; /* 0 for the first crawl, then one per recrawl */
	unsigned sitemaps; /* admitted this round */
	struct candidate *start; /* admitted start URLs, for recrawl rounds */
	size_t n_start;
	struct candidate *maps; /* sitemaps admitted in the first round, read again in each */
	size_t n_maps;
	unsigned rand_state;
	struct rsd_frontier_cluster cluster; /* route NULL: single-node */
	rsd_frontier_dispatch_fn *on_dispatch; /* NULL: none */
	void *dispatch_ctx;
};

enum admit_kind { ADMIT_START, ADMIT_LINK, ADMIT_REDIRECT, ADMIT_SITEMAP, ADMIT_REFRESH };

/* A URL that passed the lock-free part of admission, or (url NULL) did
 * not: then refused says why, and host is kept for an out-of-scope one. */
struct candidate {
	char *url; /* normalised */
	char *host; /* its host name */
	bool sitemap; /* to be read as a sitemap */
	enum rsd_cause refused;
};

/* ---- frontier.c, for admission ---- */

/* Counts a page refused or skipped and tells opt.on_refusal. */
void frontier_refuse(struct rsd_frontier *f, enum rsd_cause cause, const char *host,
		     const char *url, const char *detail);
/* The host record of name, created (and put in the hash) if new; NULL when
 * out of memory. */
struct rsd_frontier_host *frontier_host_get(struct rsd_frontier *f, const char *name);
/* Adds url's keyed hash to the seen set: 0, -EEXIST when present, -ENOMEM. */
int frontier_seen_insert(struct seen_set *s, const char *url);
/* The index of url's origin (its first len bytes) in h, added if new;
 * -EMLINK beyond MAX_ORIGINS, -ENOMEM. */
int frontier_origin_get(struct rsd_frontier_host *h, const char *url, size_t len);
/* Queues e on h (at the head when front). */
void frontier_host_push(struct rsd_frontier *f, struct rsd_frontier_host *h, struct entry *e,
			bool front);
/* Puts h in the host heap, or moves or removes it, by whether and when it
 * may next be dispatched. */
void frontier_reschedule(struct rsd_frontier *f, struct rsd_frontier_host *h);
/* Wakes the waiters of rsd_frontier_next that found nothing to do. */
void frontier_wake_idle(struct rsd_frontier *f);
/* Publishes queued and in-flight to opt.stats. */
void frontier_publish_counts(struct rsd_frontier *f);
/* Calls each(ctx, h) for every host record; the caller holds the lock. */
void frontier_each_host(struct rsd_frontier *f,
			void (*each)(void *ctx, struct rsd_frontier_host *h), void *ctx);

/* ---- frontier_admit.c, for the rest ---- */

/* True when pattern is set and url matches its compiled re. */
bool frontier_matches(const char *pattern, const regex_t *re, const char *url);
/* The lock-free part of admission (normal form, scope): 0, or a negative
 * errno with c->refused set and c->url NULL. */
int frontier_admit_check(const struct rsd_config *cfg, const char *ref, const char *base,
			 enum admit_kind kind, struct candidate *c);
/* The locked part: queued here, or routed to the host's owner in cluster
 * mode; takes nothing from c. */
int frontier_admit_locked(struct rsd_frontier *f, const struct candidate *c, unsigned depth,
			  unsigned redirects);
/* Admits the delivered pages due for a refresh (at the start and each
 * round). */
void frontier_admit_due_locked(struct rsd_frontier *f);
/* Frees what c holds and zeroes it. */
void frontier_candidate_clear(struct candidate *c);

#endif
