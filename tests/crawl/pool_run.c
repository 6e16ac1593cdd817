/* SPDX-License-Identifier: MIT */
/* The crawl harness of the pool tests (pool_run.h). */

#include "pool_run.h"
#include "crawl_test.h"
#include "crawl/frontier.h"

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s", path);
	char *buf = malloc(1 << 20);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

void serve_site(struct run *r)
{
	ck_assert_int_eq(rsd_httpd_start(crawl_fixture("site"), &r->srv), 0);
	size_t len;
	char *salad = read_file(crawl_fixture("salad.html"), &len);
	const struct rsd_httpd_route routes[] = {
		{ .path = "/old-cake", .status = 301, .location = "/recipes/cake.html" },
		{ .path = "/flaky.html",
		  .fail_times = 1,
		  .fail_status = 503,
		  .retry_after = "1",
		  .then_file = true },
		{ .path = "/gz/salad.html", .body = salad, .gzip = true },
		{ .path = "/big.html", .fill_len = 300 * 1024 },
	};
	SERVE_ROUTES(r, routes);
	free(salad);
}

void serve_routes(struct run *r, const struct rsd_httpd_route *routes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(rsd_httpd_route(r->srv, &routes[i]), 0);
}

const char *start_sitemap_site(struct run *r, char *urlset, size_t size)
{
	ck_assert_int_eq(rsd_httpd_start(NULL, &r->srv), 0);
	const char *base = rsd_httpd_base(r->srv);
	snprintf(urlset, size, "<urlset><url><loc>%s/hidden/cake.html</loc></url></urlset>", base);
	return base;
}

void serve_sitemap_site(struct run *r, const char *robots, const struct rsd_httpd_route *sitemaps,
			size_t n)
{
	size_t len;
	char *cake = read_file(crawl_fixture("site/recipes/cake.html"), &len);
	const struct rsd_httpd_route routes[] = {
		{ .path = "/robots.txt", .body = robots, .content_type = "text/plain" },
		{ .path = "/", .body = "<p>nothing linked</p>" },
		{ .path = "/hidden/cake.html", .body = cake },
	};
	SERVE_ROUTES(r, routes);
	serve_routes(r, sitemaps, n);
	free(cake);
}

Suite *pool_suite(const char *name, TCase **tc)
{
	Suite *s = suite_create(name);
	*tc = tcase_create("pool");
	tcase_set_timeout(*tc, 60);
	suite_add_tcase(s, *tc);
	return s;
}

/* The ring, the finish eventfd and the pool on r->cfg and r->state. */
static void make_pool(struct run *r, size_t ring_capacity, bool once)
{
	ck_assert_int_eq(rsd_ring_new(ring_capacity, &r->ring), 0);
	r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ck_assert_int_ge(r->efd, 0);
	ck_assert_int_eq(rsd_scraper_new(r->cfg, r->ring, r->state, r->efd, &r->pool), 0);
	rsd_scraper_set_once(r->pool, once);
}

void new_pool(struct run *r, size_t ring_capacity, bool once)
{
	if (!r->state)
		ck_assert_int_eq(rsd_state_open(NULL, &r->state), 0);
	ck_assert_int_eq(rsd_state_set_scope(r->state, "test-cluster", "parsed_recipes"), 0);
	make_pool(r, ring_capacity, once);
}

void new_stateless_pool(struct run *r)
{
	ck_assert_ptr_null(r->state);
	make_pool(r, 4, true);
}

static void on_dispatch(void *ctx, const struct rsd_job *job, int64_t at_ms)
{
	struct run *r = ctx;
	const char *base = rsd_httpd_base(r->srv);
	size_t bl = strlen(base);
	pthread_mutex_lock(&r->dispatch_lock);
	if (r->n_dispatched < MAX_DISPATCHES) {
		r->dispatched[r->n_dispatched] =
			strdup(strncmp(job->url, base, bl) == 0 ? job->url + bl : job->url);
		r->dispatched_at[r->n_dispatched++] = at_ms;
	}
	pthread_mutex_unlock(&r->dispatch_lock);
}

void start_pool(struct run *r, const char *extra)
{
	r->cfg = crawl_test_config(
		"[scraper]\nstart_urls = %s/\nthreads = 2\ndelay_ms = %d\n"
		"max_page_bytes = 64K\nallow_private_addresses = on\ntimeout_s = 5\n"
		"user_agent = crawltest/1.0 (+https://x.test)\n%s"
		"[ring]\ncapacity = 4\n",
		rsd_httpd_base(r->srv), DELAY_MS, extra);
	new_pool(r, r->cfg->ring_capacity, true);
	pthread_mutex_init(&r->dispatch_lock, NULL);
	r->watching = true;
	rsd_frontier_set_dispatch_cb(rsd_scraper_frontier(r->pool), on_dispatch, r);
	ck_assert_int_eq(rsd_scraper_start(r->pool), 0);
}

void take_record(struct run *r, void *item)
{
	ck_assert_uint_lt(r->n_records, 64);
	r->records[r->n_records++] = item;
}

/* Consumes records until the pool says it finished (wake_fd), without
 * polling: poll(2) on the ring's wait fd and the eventfd. */
void consume_until_finished(struct run *r)
{
	int64_t deadline = rsd_httpd_now_ms() + DEADLINE_MS;
	bool finished = false;
	for (;;) {
		void *item;
		while (rsd_ring_sc_try_dequeue(r->ring, &item) == 0)
			take_record(r, item);
		if (finished)
			break;
		int64_t left = deadline - rsd_httpd_now_ms();
		ck_assert_msg(left > 0, "crawl did not finish in time");
		struct pollfd fds[2] = { { .fd = r->efd, .events = POLLIN },
					 { .fd = rsd_ring_sc_wait_fd(r->ring), .events = POLLIN } };
		bool armed = rsd_ring_sc_arm(r->ring);
		if (armed) {
			poll(fds, 2, (int)left);
			rsd_ring_sc_disarm(r->ring);
		}
		uint64_t v;
		if (read(r->efd, &v, sizeof(v)) == (ssize_t)sizeof(v)) {
			ck_assert_uint_eq(v, 1);
			finished = true; /* every record is in the ring by now */
		}
	}
	ck_assert(rsd_scraper_finished(r->pool));
}

void end_run(struct run *r)
{
	rsd_scraper_free(r->pool);
	for (size_t i = 0; i < r->n_records; i++)
		rsd_record_free(r->records[i]);
	void *item;
	while (rsd_ring_sc_try_dequeue(r->ring, &item) == 0)
		rsd_record_free(item);
	rsd_ring_free(r->ring);
	rsd_state_close(r->state);
	rsd_config_free(r->cfg);
	rsd_httpd_free(r->srv);
	close(r->efd);
	for (size_t i = 0; i < r->n_dispatched; i++)
		free(r->dispatched[i]);
	if (r->watching)
		pthread_mutex_destroy(&r->dispatch_lock);
}

size_t count_record(const struct run *r, const char *base, const char *path)
{
	char url[256];
	snprintf(url, sizeof(url), "%s%s", base, path);
	size_t n = 0;
	for (size_t i = 0; i < r->n_records; i++)
		n += strcmp(r->records[i]->url, url) == 0;
	return n;
}

/* Failure reports: "PATH CODE REASON"; refusal reports: "PATH CAUSE
 * DETAIL" (refusals only, not skips); from worker threads. */
static pthread_mutex_t reports_lock = PTHREAD_MUTEX_INITIALIZER;
static char failures[16][320], refusals[16][320];
size_t n_failures, n_refusals;

static void on_failure(void *ctx, const char *url, long code, const char *reason)
{
	const char *path = strstr(url + strlen("http://"), "/");
	pthread_mutex_lock(&reports_lock);
	if (n_failures < 16)
		snprintf(failures[n_failures++], sizeof(failures[0]), "%s %ld %s", path, code,
			 reason);
	pthread_mutex_unlock(&reports_lock);
}

static void on_refusal(void *ctx, const struct rsd_refusal *rf)
{
	if (!rsd_cause_is_refusal(rf->cause))
		return;
	const char *path = strstr(rf->url + strlen("http://"), "/");
	pthread_mutex_lock(&reports_lock);
	if (n_refusals < 16)
		snprintf(refusals[n_refusals++], sizeof(refusals[0]), "%s %s %s", path,
			 rsd_cause_info(rf->cause)->name, rf->detail ? rf->detail : "-");
	pthread_mutex_unlock(&reports_lock);
}

static bool reported_once(char (*lines)[320], size_t n, const char *what, const char *prefix)
{
	size_t hits = 0;
	for (size_t i = 0; i < n; i++) {
		fprintf(stderr, "%s: %s\n", what, lines[i]);
		hits += strncmp(lines[i], prefix, strlen(prefix)) == 0;
	}
	return hits == 1;
}

bool failure_reported(const char *prefix)
{
	return reported_once(failures, n_failures, "failure", prefix);
}

/* prefix is "PATH CAUSE DETAIL" with @BASE@ for the server's base URL. */
bool refusal_reported(const struct run *r, const char *prefix)
{
	const char *vars[] = { "@BASE@", rsd_httpd_base(r->srv) };
	char want[320];
	const char *at = strstr(prefix, vars[0]);
	if (at)
		snprintf(want, sizeof want, "%.*s%s%s", (int)(at - prefix), prefix, vars[1],
			 at + strlen(vars[0]));
	else
		snprintf(want, sizeof want, "%s", prefix);
	return reported_once(refusals, n_refusals, "refusal", want);
}

void watch_reports(struct run *r)
{
	n_failures = n_refusals = 0;
	rsd_scraper_set_failure_cb(r->pool, on_failure, NULL);
	rsd_scraper_set_refusal_cb(r->pool, on_refusal, NULL);
}

int by_time(const void *a, const void *b)
{
	const struct rsd_httpd_request *x = a, *y = b;
	return (x->at_ms > y->at_ms) - (x->at_ms < y->at_ms);
}

void start_config(struct run *r, bool once, const char *fmt, ...)
{
	char *text;
	va_list ap;
	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&text, fmt, ap), 0);
	va_end(ap);
	r->cfg = crawl_test_config("%s", text);
	free(text);
	new_pool(r, 4, once);
	watch_reports(r);
	ck_assert_int_eq(rsd_scraper_start(r->pool), 0);
}

size_t expect_requests(const struct run *r, const struct path_count *want, size_t n_want,
		       struct rsd_httpd_request **log)
{
	unsigned total = 0;
	for (size_t i = 0; i < n_want; i++) {
		unsigned got = rsd_httpd_count(r->srv, want[i].path);
		ck_assert_msg(got == want[i].n, "%s: %u requests, want %u", want[i].path, got,
			      want[i].n);
		total += want[i].n;
	}
	size_t n = rsd_httpd_log(r->srv, log);
	if (n != total)
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "request %zu: %s %u\n", i, (*log)[i].path,
				(*log)[i].status);
	ck_assert_uint_eq(n, total); /* nothing else was asked for */
	return n;
}
