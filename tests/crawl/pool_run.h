/* SPDX-License-Identifier: MIT */
#ifndef RSD_POOL_RUN_H
#define RSD_POOL_RUN_H

/* A crawl by the scraper pool against the loopback server, for
 * test_pool.c and test_pool_recrawl.c: the server, the pool, and the test
 * thread consuming a real ring. */

#include "core/record.h"
#include "crawl/scraper.h"
#include "httpd.h"

#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DELAY_MS 200
#define JITTER_MS 80
#define DEADLINE_MS 30000
#define MAX_DISPATCHES 64

/* A crawl in progress: server, config, ring, state, pool. */
struct run {
	struct rsd_httpd *srv;
	struct rsd_config *cfg;
	rsd_ring *ring;
	struct rsd_state *state;
	struct rsd_scraper *pool;
	int efd;
	struct rsd_record *records[64];
	size_t n_records;
	/* start_pool's runs: the frontier's request starts, in order (the
	 * path after the server's base, or the whole URL), on its clock. */
	pthread_mutex_t dispatch_lock;
	bool watching;
	char *dispatched[MAX_DISPATCHES];
	int64_t dispatched_at[MAX_DISPATCHES];
	size_t n_dispatched;
};

/* The whole of path, NUL-terminated (at most 1 MiB); malloc'ed. */
char *read_file(const char *path, size_t *len);
/* The fixture site with its scripted routes (redirect, flaky, gzip, big). */
void serve_site(struct run *r);
/* Adds the n routes to r->srv; SERVE_ROUTES, those of an array. */
void serve_routes(struct run *r, const struct rsd_httpd_route *routes, size_t n);
#define SERVE_ROUTES(r, routes) serve_routes(r, routes, sizeof(routes) / sizeof((routes)[0]))
/* Starts r->srv for serve_sitemap_site; urlset (size bytes): a sitemap
 * of its recipe. Returns the server's base URL. */
const char *start_sitemap_site(struct run *r, char *urlset, size_t size);
/* On the started r->srv, a site whose recipe is linked from nowhere:
 * robots.txt (robots), a start page without links, /hidden/cake.html, and
 * the n routes of its sitemaps. */
void serve_sitemap_site(struct run *r, const char *robots, const struct rsd_httpd_route *sitemaps,
			size_t n);
/* A suite name of one test case "pool" (60 s per test); the caller adds
 * its tests to *tc. */
Suite *pool_suite(const char *name, TCase **tc);
/* On r->cfg: a ring of ring_capacity, the crawl state (in memory unless
 * r->state is set already), the finish eventfd and the pool, not started. */
void new_pool(struct run *r, size_t ring_capacity, bool once);
/* On r->cfg: a pool without crawl state (ring of 4, crawling once), not
 * started. */
void new_stateless_pool(struct run *r);
/* A pool of 2 threads on r->srv (delay DELAY_MS, ring of 4), crawling once,
 * its request starts recorded (r->dispatched), started; extra: more
 * [scraper] lines. */
void start_pool(struct run *r, const char *extra);
/* A pool on the given config text (ring of 4, in-memory state), started. */
void start_config(struct run *r, bool once, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void take_record(struct run *r, void *item);
/* Consumes records until the pool says it finished (wake_fd), without
 * polling: poll(2) on the ring's wait fd and the eventfd. */
void consume_until_finished(struct run *r);
void end_run(struct run *r);
/* How many records have the URL base + path. */
size_t count_record(const struct run *r, const char *base, const char *path);
/* Records the pool's failure and refusal reports from now on; n_failures
 * and n_refusals count them (refusals only, not skips). */
void watch_reports(struct run *r);
extern size_t n_failures, n_refusals;
/* Exactly one failure report starts with prefix ("PATH CODE REASON"). */
bool failure_reported(const char *prefix);
/* Exactly one refusal report starts with prefix ("PATH CAUSE DETAIL", with
 * @BASE@ for the server's base URL). */
bool refusal_reported(const struct run *r, const char *prefix);
/* How often a path was requested. */
struct path_count {
	const char *path;
	unsigned n;
};
/* Asserts that the server saw exactly these requests: each path n times and
 * nothing else. Returns the request log (*log, malloc'ed) and its length. */
size_t expect_requests(const struct run *r, const struct path_count *want, size_t n_want,
		       struct rsd_httpd_request **log);
/* qsort order of struct rsd_httpd_request by arrival time. */
int by_time(const void *a, const void *b);

#endif
