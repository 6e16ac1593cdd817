/* SPDX-License-Identifier: MIT */
#ifndef RSD_FRONTIER_H
#define RSD_FRONTIER_H

/* The crawl frontier: which URL to fetch next and when.
 *
 * Admission (rsd_frontier_add*): http/https only, at most RSD_URL_MAX_BYTES
 * (8 KiB, as written and normalised), host in allowed_hosts,
 * links must match `follow` or `recipe` (when set), depth <= max_depth, not
 * seen before (dedup on the normalised URL), not already delivered in the
 * crawl state's current scope unless its copy is refresh_interval_s old
 * (then it is a conditional GET), max_pages not reached. Delivered pages
 * due for a refresh are also admitted directly from the crawl state, at
 * the start and at each recrawl round. Every URL refused or dropped (but
 * the duplicates and what arrives after max_pages or stop) is counted by
 * cause and reported through opt.on_refusal, as are pages robots.txt
 * refuses at dispatch.
 *
 * Scheduling (rsd_frontier_next): per-host (host name, any scheme or port)
 * FIFO queues and a min-heap of the
 * hosts that may send a request, keyed by the time they may send it (the
 * host's ready-time: last request start + max(delay_ms, Crawl-delay), or a
 * retry backoff / Retry-After). A host leaves the heap while it has
 * max_connections_per_host requests running or its robots.txt is being
 * fetched; nothing is dispatched while max_connections requests run.
 * robots.txt is fetched per origin (scheme, host, port) before its first
 * page and cached for 24 hours (across a reload too: robots_save).
 * Workers never sleep here: next() says how long until something is ready
 * and the frontier calls `wake` for idle workers when work appears.
 *
 * Thread safety: all functions may be called from any thread (one mutex).
 * next() takes robots.txt verdicts without holding it: a costly robots.txt
 * delays only the caller that judges one of its pages. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/url.h"
#include "crawl/crawl_stats.h"
#include "crawl/refusal.h"
#include "crawl/robots.h"
#include "crawl/state.h"

struct rsd_frontier;
struct rsd_frontier_host;

struct rsd_frontier_options {
	const struct rsd_config *cfg; /* must outlive the frontier */
	struct rsd_state *state; /* delivered pages are not admitted until due; may be NULL */
	struct rsd_scraper_stats *stats; /* queued, in_flight, pages_skipped; may be NULL */
	bool once; /* false: restart from start_urls and the first round's
				       * sitemaps every recrawl_interval_s */
	/* Overrides of [scraper] retry_backoff_ms and max_retries; 0 = the config's. */
	unsigned backoff_base_ms; /* first retry waits about this long */
	unsigned max_retries; /* retries per URL after the first attempt */
	/* Called (with the frontier's lock held; must only signal, e.g.
	 * curl_multi_wakeup) for each idle waiter when work may be available. */
	void (*wake)(void *ctx, unsigned waiter);
	void *wake_ctx;
	unsigned n_waiters; /* <= 64 */
	/* Told of every page refused or skipped, after it is counted in
	 * stats->by_cause (refusal.h; may be called with the lock held); NULL
	 * for none. */
	rsd_refusal_fn *on_refusal;
	void *refusal_ctx;
};

enum rsd_job_kind { RSD_JOB_PAGE, RSD_JOB_ROBOTS, RSD_JOB_SITEMAP };

/* One request handed to a worker. The worker owns url until
 * rsd_frontier_done()/rsd_frontier_robots_done() frees it. */
struct rsd_job {
	enum rsd_job_kind kind;
	char *url;
	unsigned depth; /* links of this page get depth + 1 */
	unsigned attempt; /* 0 for the first try */
	unsigned redirects; /* hops followed to reach url */
	bool extract; /* the URL matches `recipe` (or it is unset) */
	bool revisit; /* a recrawl round: a conditional GET is in order */
	/* The frontier's bookkeeping: which host and origin it came from. */
	struct rsd_frontier_host *host;
	unsigned origin;
	/* Cluster mode: the frontier-topic message this page came from (0:
	 * none). The job owns it until it ends (settled then), unless the
	 * worker hands it to the page's record (rsd_record.ticket) and sets
	 * this to 0. */
	uint64_t ticket;
};

int rsd_frontier_new(const struct rsd_frontier_options *opt, struct rsd_frontier **out);
/* Accepts NULL. Frees the queued URLs; in cluster mode their tickets are
 * settled RSD_ABANDONED first, so the settle hook's ctx must outlive it. */
void rsd_frontier_free(struct rsd_frontier *f);

/* Start URLs (depth 0, `follow` not applied). Returns the number admitted
 * or a negative errno. */
int rsd_frontier_add_start(struct rsd_frontier *f, const struct rsd_strv *urls);
/* Links found on page `from` (already absolute; normalised here), at
 * depth. Refusals of links on admission (scope, follow, scheme) are
 * reported under from's host (NULL: the link's own host). */
int rsd_frontier_add_links(struct rsd_frontier *f, const char *from, char *const *links, size_t n,
			   unsigned depth);
/* The same for links in normal form already (an extraction's, see
 * rsd_url_link_make in core/url.h): the same checks and refusals without
 * parsing them again. The url and host of each link move into the
 * frontier (left NULL); the links stay the caller's to clear. */
int rsd_frontier_add_page_links(struct rsd_frontier *f, const char *from,
				struct rsd_url_link *links, size_t n, unsigned depth);
/* Sitemaps to read (from robots.txt, or children of a sitemap index):
 * scope is checked, `follow` is not, at most 1000 per crawl round; the URLs
 * they list are then added as links of depth 1. from: the robots.txt or
 * sitemap index that named them, as for add_links. */
int rsd_frontier_add_sitemaps(struct rsd_frontier *f, const char *from, char *const *urls,
			      size_t n);
/* A redirect from job to location (relative to job->url). Each hop is
 * admitted like a new URL (scope, robots, dedup) but `follow` is not applied
 * (a redirect is the same page, not a link; a sitemap's target is read as a
 * sitemap); more than 5 hops are refused.
 * 0 when admitted, -ELOOP (too many hops), -EEXIST (seen), -EPERM (out of
 * scope), -EPROTONOSUPPORT, -ENAMETOOLONG (longer than RSD_URL_MAX_BYTES),
 * -EINVAL; a refusal is counted and reported (opt.on_refusal) here, under
 * job's host. */
int rsd_frontier_add_redirect(struct rsd_frontier *f, const struct rsd_job *job,
			      const char *location);

/* 0 and *job: fetch it now. -EAGAIN: nothing ready; *wait_ms is how long
 * until something may be (-1: until woken). -ENODATA: the crawl is finished
 * (once mode, or no recrawl). -ESHUTDOWN after rsd_frontier_stop(). A
 * waiter that got -EAGAIN is woken through opt->wake when that may change. */
int rsd_frontier_next(struct rsd_frontier *f, unsigned waiter, struct rsd_job *job,
		      int64_t *wait_ms);
/* Ends a job (fetched, failed for good, or redirected). */
void rsd_frontier_done(struct rsd_frontier *f, struct rsd_job *job);
/* Transient failure: requeues the job to run after retry_after_ms (0:
 * exponential backoff with jitter; the whole host waits) and ends it: true.
 * false when its retries are exhausted or retry_after_ms is unreasonably
 * long: nothing happened, the job is still the caller's to end. */
bool rsd_frontier_retry(struct rsd_frontier *f, struct rsd_job *job, unsigned retry_after_ms);
/* Ends a RSD_JOB_ROBOTS job with the host's rules (ownership passes), cached
 * for 24 hours. rules NULL: the server could not be asked (5xx or
 * unreachable after retries): the host is disallowed for an hour. */
void rsd_frontier_robots_done(struct rsd_frontier *f, struct rsd_job *job,
			      struct rsd_robots *rules);
/* The same as robots_done with rules NULL, saying why: the origin's pages
 * are then refused for cause (RSD_CAUSE_ROBOTS_UNREACHABLE or, when
 * robots.txt was at a non-public address, RSD_CAUSE_PRIVATE_ADDRESS) with
 * detail (copied; may be NULL) until the rules are asked for again. */
void rsd_frontier_robots_unavailable(struct rsd_frontier *f, struct rsd_job *job,
				     enum rsd_cause cause, const char *detail);

/* Before the first next(): see rsd_frontier_options (0 keeps the current value). */
void rsd_frontier_set_retry_policy(struct rsd_frontier *f, unsigned max_retries,
				   unsigned backoff_base_ms);
/* Told of every request start, at the instant the politeness clock
 * counts from (CLOCK_MONOTONIC ms, rsd_now_ms), with the lock held: must
 * only record. What a request's arrival at a server cannot tell, as it
 * comes a scheduling delay later: the spacing the frontier enforces.
 * Before the first next(); NULL for none. */
typedef void rsd_frontier_dispatch_fn(void *ctx, const struct rsd_job *job, int64_t at_ms);
void rsd_frontier_set_dispatch_cb(struct rsd_frontier *f, rsd_frontier_dispatch_fn *fn, void *ctx);
/* Before the first next(): see rsd_frontier_options.once. */
void rsd_frontier_set_once(struct rsd_frontier *f, bool once);
/* No more dispatching; next() returns -ESHUTDOWN. Wakes every waiter. */
void rsd_frontier_stop(struct rsd_frontier *f);
bool rsd_frontier_finished(struct rsd_frontier *f);

/* Cluster mode (cluster/crawl_cluster.h). Every URL admitted (scope, depth and
 * the other checks above passed, not sent before this round) is handed to
 * route() instead of being queued: it goes to the daemon that owns its
 * host, which queues it with rsd_frontier_add_owned() and a ticket. A
 * ticket is settled exactly once: RSD_SETTLED when the page was fetched
 * or given up on (its record, if any, acknowledged or given up),
 * RSD_ABANDONED when it was dropped unfinished (released, shutdown,
 * record not delivered): its message is then read again by whoever owns
 * the partition next. */
enum rsd_settle { RSD_SETTLED, RSD_ABANDONED };
struct rsd_frontier_cluster {
	/* Called with the frontier's lock held: must not block or call back
	 * into the frontier. 0, or a negative errno (counted as queue full). */
	int (*route)(void *ctx, const char *url, const char *host, unsigned depth,
		     unsigned redirects, bool sitemap);
	/* May be called with the frontier's lock held, from any thread. */
	void (*settle)(void *ctx, uint64_t ticket, enum rsd_settle how);
	void *ctx;
};
/* Before the first add. */
void rsd_frontier_set_cluster(struct rsd_frontier *f, const struct rsd_frontier_cluster *c);
/* Queues a URL routed to this daemon (normalised by its sender; scope is
 * checked again, the seen set is not: the caller deduplicates), with a
 * ticket (not 0). 0 when
 * queued (ticket is the frontier's until settled); a negative errno when
 * not: -EALREADY (delivered and fresh), -ENOSPC (stopped or max_pages),
 * -ENOBUFS (queue full), -EPERM (out of scope), ... */
int rsd_frontier_add_owned(struct rsd_frontier *f, const char *url, unsigned depth,
			   unsigned redirects, bool sitemap, uint64_t ticket);
/* Settles a ticket through the hook (a worker whose record did not make
 * it into the ring). */
void rsd_frontier_settle(struct rsd_frontier *f, uint64_t ticket, enum rsd_settle how);
/* Drops every queued URL of the hosts for which keep() returns false
 * (their tickets RSD_ABANDONED): a rebalance took their partition away.
 * Jobs in flight run to their end; a retry of one is not queued here but
 * RSD_ABANDONED (the next owner fetches it), until a URL of the host is
 * queued here again with a ticket. Returns how many were dropped. */
size_t rsd_frontier_release_hosts(struct rsd_frontier *f, bool (*keep)(void *ctx, const char *host),
				  void *ctx);
/* The politeness clock across a hand-off. host_clocks: each(each_ctx,
 * host, wait_ms) for every host keep() rejects (keep NULL: every host)
 * that may not send its next request for wait_ms > 0 more milliseconds
 * (delay_ms or Crawl-delay since its last request start, a retry's
 * backoff or Retry-After): what the owner giving hosts up tells the next
 * one. Returns how many. */
size_t rsd_frontier_host_clocks(struct rsd_frontier *f, bool (*keep)(void *ctx, const char *host),
				void *ctx, void (*each)(void *ctx, const char *host, int64_t wait_ms),
				void *each_ctx);
/* host sends nothing for at least wait_ms from now (at most 10 minutes):
 * what the new owner (or the next frontier, clocks_restore) does with it.
 * 0 or -ENOMEM. */
int rsd_frontier_hold_host(struct rsd_frontier *f, const char *host, int64_t wait_ms);
/* The politeness clocks across a reload: a scraper's frontier is freed
 * and a new one built. clocks_save: every host's clock (as host_clocks,
 * kept as CLOCK_MONOTONIC deadlines, so the time until the next frontier
 * exists counts) and its last request's start, from a frontier whose
 * jobs ended; *out is NULL when no host waits or was asked in the last 10
 * minutes (delay_ms's maximum). 0 or -ENOMEM. clocks_restore: each host of
 * k waits in f, before f's first request, until the later of its deadline
 * and its last request + f's delay_ms (a raised delay_ms counts from the
 * last request before the reload; a lowered one does not shorten the
 * deadline) (hold_host). 0 or -ENOMEM (a host not held). clocks_free
 * accepts NULL. */
struct rsd_frontier_clocks;
int rsd_frontier_clocks_save(struct rsd_frontier *f, struct rsd_frontier_clocks **out);
int rsd_frontier_clocks_restore(struct rsd_frontier *f, const struct rsd_frontier_clocks *k);
void rsd_frontier_clocks_free(struct rsd_frontier_clocks *k);
/* The robots.txt verdicts across a reload, the same way. robots_save:
 * every origin's verdict in force (its parsed rules, shared, or the
 * complete disallow of a robots.txt that could not be fetched, with why),
 * with its CLOCK_MONOTONIC expiry (24 hours, or 1 hour for a disallow,
 * after its fetch), the user_agent it was fetched and parsed for and
 * allow_private_addresses; from a frontier whose jobs ended; *out is NULL
 * when there is none (robots = off). 0 or -ENOMEM. robots_restore: before
 * f's first request, f uses each verdict of k until it expires as the old
 * frontier would have (its age is kept: it is fetched again then), and
 * reads the Sitemap: lines of carried rules (sitemaps = robots) when the
 * origin's first page is dispatched, as a fetch would have. Nothing is
 * carried into a frontier with robots = off or another user_agent (rules
 * are parsed for its product token; robots.txt is fetched again); a
 * disallow for a robots.txt at a non-public address is not carried when
 * allow_private_addresses changed. Scope and the address of each page are
 * checked by admission and the fetch as always: a verdict only decides
 * robots.txt. 0 or -ENOMEM (a verdict not carried: fetched again).
 * robots_free accepts NULL. */
struct rsd_frontier_robots;
int rsd_frontier_robots_save(struct rsd_frontier *f, struct rsd_frontier_robots **out);
int rsd_frontier_robots_restore(struct rsd_frontier *f, const struct rsd_frontier_robots *k);
void rsd_frontier_robots_free(struct rsd_frontier_robots *k);
/* Whether k's verdicts hold under f's configuration at all (robots on, the
 * same user_agent), and how many k holds: what an operator is told when a
 * reload makes every origin's robots.txt be fetched again. */
bool rsd_frontier_robots_hold(const struct rsd_frontier *f, const struct rsd_frontier_robots *k);
size_t rsd_frontier_robots_count(const struct rsd_frontier_robots *k);
/* How many hosts have URLs queued or in flight (those keep() accepts;
 * keep NULL: all). */
size_t rsd_frontier_count_hosts(struct rsd_frontier *f, bool (*keep)(void *ctx, const char *host),
				void *ctx);

#endif
