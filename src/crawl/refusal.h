/* SPDX-License-Identifier: MIT */
#ifndef RSD_REFUSAL_H
#define RSD_REFUSAL_H

/* Why a page was not fetched, or fetched and not used: the causes the crawl
 * modules report (counters and a callback) and the daemon turns into log
 * lines, the STATUS= and summary counts (and, later, metrics labels).
 *
 * Two kinds:
 * - refusals: a rule or a safety check stopped a page the operator may
 *   well have wanted (a private address, robots.txt, scope, size, ...):
 *   each (host, cause) pair is worth one warning naming the config key
 *   that changes it;
 * - skips: the crawl did not need the page (depth limit, max_pages,
 *   already delivered, unchanged, duplicate recipe): counted only.
 *
 * The rate-limited report table remembers which (host, cause) pairs were
 * reported already, so a hostile site refusing a million pages costs one
 * line per cause, and a million hosts cost at most `capacity` lines. It
 * does not log (modules never do): it says whether the caller should. */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rsd_cause {
	/* refusals */
	RSD_CAUSE_PRIVATE_ADDRESS, /* the host resolves to a non-public address */
	RSD_CAUSE_ROBOTS_DISALLOW, /* a Disallow rule of the origin's robots.txt */
	RSD_CAUSE_ROBOTS_UNREACHABLE, /* robots.txt 5xx or unreachable: disallow all for an hour */
	RSD_CAUSE_OUT_OF_SCOPE, /* host not in allowed_hosts */
	RSD_CAUSE_NOT_FOLLOWED, /* a link matching neither follow nor recipe */
	RSD_CAUSE_TOO_BIG, /* above max_page_bytes */
	RSD_CAUSE_REDIRECT, /* more than 5 redirects */
	RSD_CAUSE_SCHEME, /* not http or https */
	RSD_CAUSE_INVALID_URL, /* does not parse */
	RSD_CAUSE_LIMIT, /* a fixed crawl limit: origins per host, sitemaps per round */
	RSD_CAUSE_QUEUE_FULL, /* the frontier holds max_queued URLs, or the host max_queued_per_host */
	/* skips */
	RSD_CAUSE_DEPTH, /* a page at max_depth: its links are not followed */
	RSD_CAUSE_MAX_PAGES, /* queued when max_pages was reached */
	RSD_CAUSE_DELIVERED, /* its record was delivered by an earlier run */
	RSD_CAUSE_UNCHANGED, /* a revisit found it unchanged (304 or same content) */
	RSD_CAUSE_DUPLICATE, /* the same canonical recipe came from another page */
	/* its DOM over the parse budget: read without it (not skipped whole:
	 * its record, if any, is published) */
	RSD_CAUSE_MARKUP,
	RSD_CAUSE_COUNT
};

struct rsd_cause_info {
	const char *name; /* stable identifier: REFUSAL_CAUSE=, a metrics label */
	const char *label; /* for people: "private address" */
	const char *key; /* the config key that decides it ("allow_private_addresses"), or NULL */
	const char *setting; /* as counts show it: "allow_private_addresses = off", or NULL */
	const char *remedy; /* what changes it: "allow_private_addresses = on allows it" */
	const char *field; /* its counter's journal field: "PAGES_REFUSED_PRIVATE_ADDRESS" */
};

/* Static description of c (c < RSD_CAUSE_COUNT). */
const struct rsd_cause_info *rsd_cause_info(enum rsd_cause c);
/* True for a refusal, false for a skip. */
bool rsd_cause_is_refusal(enum rsd_cause c);

/* One page refused or skipped, as the crawl modules report it. The strings
 * are valid during the callback only. */
struct rsd_refusal {
	enum rsd_cause cause;
	const char *host; /* the host it is about: the page's, or for a link
			     * refused on admission the host of the page it was on */
	const char *url; /* the page refused (for a link: the link) */
	const char *detail; /* "127.0.0.1 is a loopback address (127.0.0.0/8)",
			     * "Disallow: /private", ...; may be NULL */
};

/* Called for every refused or skipped page, from worker threads, sometimes
 * with the frontier's lock held: must be thread-safe, quick, and must not
 * call back into the scraper or the frontier. */
typedef void rsd_refusal_fn(void *ctx, const struct rsd_refusal *r);

/* ---- the report table ---- */

struct rsd_refusal_table;

/* A table of at most capacity (host, cause) pairs (>= 1). 0 or -ENOMEM. */
int rsd_refusal_table_new(size_t capacity, struct rsd_refusal_table **out);
void rsd_refusal_table_free(struct rsd_refusal_table *t); /* accepts NULL */
/* Forgets every pair (a reload: the new settings deserve new reports). */
void rsd_refusal_table_reset(struct rsd_refusal_table *t);

enum rsd_report {
	RSD_REPORT_NEW, /* first of this (host, cause): report it */
	RSD_REPORT_REPEAT, /* reported before: count only */
	RSD_REPORT_FULL, /* a new pair that did not fit, the first such:
				* say once that further refusals are not itemised */
	RSD_REPORT_SUPPRESSED, /* a new pair after the table filled: count only */
};

/* Notes one refusal of host for cause. Thread-safe. Pairs are kept as
 * keyed 64-bit hashes (url.h), so a site cannot craft host names that
 * collide; an accidental collision would only hide one report. */
enum rsd_report rsd_refusal_table_note(struct rsd_refusal_table *t, const char *host,
				       enum rsd_cause cause);
/* Pairs in the table, and refusals of pairs that did not fit. */
size_t rsd_refusal_table_size(struct rsd_refusal_table *t);
uint64_t rsd_refusal_table_not_itemised(struct rsd_refusal_table *t);

/* ---- the per-page line budget ---- */

/* A token bucket for lines that come with every page (log_level = debug:
 * one line per refused or skipped page): at most `rate` lines a second on
 * average, bursts of `burst`. A line over budget is counted; the caller
 * says how many were suppressed before the next line it writes, so the
 * journal shows that lines are missing rather than silently losing them. */
struct rsd_line_budget {
	pthread_mutex_t lock;
	double tokens;
	uint64_t last_usec; /* refill time */
	uint64_t suppressed; /* lines refused since the last report */
	unsigned rate, burst;
};

/* A full bucket as of now_usec. */
void rsd_line_budget_init(struct rsd_line_budget *b, unsigned rate, unsigned burst,
			  uint64_t now_usec);
void rsd_line_budget_destroy(struct rsd_line_budget *b);
/* True when a line may be written at now_usec (it takes a token); then
 * *suppressed is the number of lines refused before it (reset to 0), to be
 * reported first. False: the line is counted as suppressed. Thread-safe. */
bool rsd_line_budget_take(struct rsd_line_budget *b, uint64_t now_usec, uint64_t *suppressed);
/* Lines suppressed since the last report, reset to 0 (a periodic report
 * when no further line comes). Thread-safe. */
uint64_t rsd_line_budget_flush(struct rsd_line_budget *b);

#endif
