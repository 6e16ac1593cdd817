/* SPDX-License-Identifier: MIT */
/* What a reload carries of robots.txt (rsd_frontier_robots_save/restore),
 * through the scraper pool against the loopback server: a crawl, then a
 * new pool on the same server given the verdicts the first one's frontier
 * kept, as the daemon's reload does; the server counts the requests. An
 * entry's age is set through the frontier's insides (frontier_spec.h):
 * "fetched an hour ago" cannot be waited for. */

#include "pool_run.h"
#include "httpd.h"
#include "crawl_test.h"
#include "check_main.h"
#include "crawl/frontier.h"
#include "crawl/frontier_spec.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UA "crawltest/1.0 (+https://x.test)"
#define HOUR_MS (3600LL * 1000)
#define DAY_MS (24 * HOUR_MS)
#define MINUTE_MS (60LL * 1000)

static void age_origins(void *ctx, struct rsd_frontier_host *h)
{
	const int64_t *by = ctx;
	for (unsigned i = 0; i < h->n_origins; i++)
		h->origins[i].robots_expires -= *by;
}

/* Every verdict of f as if fetched by_ms earlier. */
static void age_verdicts(struct rsd_frontier *f, int64_t by_ms)
{
	pthread_mutex_lock(&f->lock);
	frontier_each_host(f, age_origins, &by_ms);
	pthread_mutex_unlock(&f->lock);
}

/* One crawl of srv (once, a new pool and crawl state) with user_agent ua
 * and the [scraper] lines extra, given the verdicts in (NULL: none), as a
 * reload's new scraper; *out: its own as they stand at its end, aged by
 * age_ms, as the next reload takes them. Its refusals stay in the
 * reports (pool_run.h) until the next crawl. */
static void crawl(struct rsd_httpd *srv, const char *ua, const char *extra,
		  const struct rsd_frontier_robots *in, int64_t age_ms,
		  struct rsd_frontier_robots **out)
{
	struct run r = { .srv = srv };
	r.cfg = crawl_test_config("[scraper]\nstart_urls = %s/\ndelay_ms = 0\nthreads = 1\n"
				  "allow_private_addresses = on\nmax_retries = 0\n"
				  "user_agent = %s\n%s",
				  rsd_httpd_base(srv), ua, extra);
	new_pool(&r, 4, true);
	watch_reports(&r);
	struct rsd_frontier *f = rsd_scraper_frontier(r.pool);
	ck_assert_int_eq(rsd_frontier_robots_restore(f, in), 0);
	ck_assert_int_eq(rsd_scraper_start(r.pool), 0);
	consume_until_finished(&r);
	rsd_scraper_stop(r.pool);
	rsd_scraper_join(r.pool);
	age_verdicts(f, age_ms);
	ck_assert_int_eq(rsd_frontier_robots_save(f, out), 0);
	r.srv = NULL; /* the next crawl's */
	end_run(&r);
}

static void expect_count(struct rsd_httpd *srv, const char *path, unsigned n)
{
	unsigned got = rsd_httpd_count(srv, path);
	ck_assert_msg(got == n, "%s: %u requests, want %u", path, got, n);
}

/* A site whose robots.txt disallows /private and names a sitemap that
 * lists /hidden.html (linked from nowhere). */
static struct rsd_httpd *rules_site(void)
{
	struct rsd_httpd *srv;
	ck_assert_int_eq(rsd_httpd_start(NULL, &srv), 0);
	char robots[256], map[256];
	snprintf(robots, sizeof robots, "User-agent: *\nDisallow: /private\nSitemap: %s/map.xml\n",
		 rsd_httpd_base(srv));
	snprintf(map, sizeof map, "<urlset><url><loc>%s/hidden.html</loc></url></urlset>",
		 rsd_httpd_base(srv));
	const struct rsd_httpd_route routes[] = {
		{ .path = "/robots.txt", .body = robots, .content_type = "text/plain" },
		{ .path = "/",
		  .body = "<a href=\"/private.html\">p</a><a href=\"/page.html\">q</a>" },
		{ .path = "/page.html", .body = "<p>page</p>" },
		{ .path = "/private.html", .body = "<p>private</p>" },
		{ .path = "/map.xml", .body = map, .content_type = "application/xml" },
		{ .path = "/hidden.html", .body = "<p>hidden</p>" },
	};
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
		ck_assert_int_eq(rsd_httpd_route(srv, &routes[i]), 0);
	return srv;
}

/* The pages of rules_site were each asked n times, the disallowed one never. */
static void expect_pages(struct rsd_httpd *srv, unsigned n)
{
	expect_count(srv, "/", n);
	expect_count(srv, "/page.html", n);
	expect_count(srv, "/map.xml", n);
	expect_count(srv, "/hidden.html", n);
	expect_count(srv, "/private.html", 0);
}

/* Still-valid rules are not asked for again: the rebuilt pool obeys the
 * carried ones (and reads their Sitemap: line); another user_agent asks
 * again, with its own User-Agent. */
START_TEST(test_carried_rules_not_fetched_again)
{
	struct rsd_httpd *srv = rules_site();
	struct rsd_frontier_robots *k1, *k2, *k3;
	crawl(srv, UA, "sitemaps = robots\n", NULL, 0, &k1);
	ck_assert_ptr_nonnull(k1);
	expect_count(srv, "/robots.txt", 1);
	expect_pages(srv, 1);

	crawl(srv, UA, "sitemaps = robots\n", k1, 0, &k2);
	expect_count(srv, "/robots.txt", 1);
	expect_pages(srv, 2);

	crawl(srv, "othertest/2.0", "sitemaps = robots\n", k2, 0, &k3);
	expect_count(srv, "/robots.txt", 2);
	expect_pages(srv, 3);
	struct rsd_httpd_request *log;
	size_t n = rsd_httpd_log(srv, &log), robots = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(log[i].path, "/robots.txt") == 0 && robots++ == 1)
			ck_assert_str_eq(log[i].user_agent, "othertest/2.0");
	free(log);
	rsd_frontier_robots_free(k1);
	rsd_frontier_robots_free(k2);
	rsd_frontier_robots_free(k3);
	rsd_httpd_free(srv);
}
END_TEST

/* An entry's age goes with it: rules fetched 24 h less a minute ago are
 * used after the reload, and expire at the same instant as before it (two
 * more minutes later they are asked for again, not 24 h later). */
START_TEST(test_carried_rules_expire_on_time)
{
	struct rsd_httpd *srv = rules_site();
	struct rsd_frontier_robots *k1, *k2, *k3;
	crawl(srv, UA, "", NULL, DAY_MS - MINUTE_MS, &k1);
	ck_assert_ptr_nonnull(k1);
	crawl(srv, UA, "", k1, 2 * MINUTE_MS, &k2);
	expect_count(srv, "/robots.txt", 1);
	expect_count(srv, "/private.html", 0);
	ck_assert_ptr_null(k2); /* expired: nothing left to carry */
	crawl(srv, UA, "", k2, 0, &k3);
	expect_count(srv, "/robots.txt", 2);
	expect_count(srv, "/", 3);
	expect_count(srv, "/private.html", 0);
	rsd_frontier_robots_free(k1);
	rsd_frontier_robots_free(k3);
	rsd_httpd_free(srv);
}
END_TEST

/* robots.txt answered 503: the origin is disallowed for an hour, and a
 * reload does not end (or renew) that hour: 58 and 59 minutes after the
 * fetch its pages are still refused, for the same reason, without asking;
 * past the hour, robots.txt is asked for again. */
START_TEST(test_unreachable_stays_disallowed_for_its_hour)
{
	struct rsd_httpd *srv;
	ck_assert_int_eq(rsd_httpd_start(NULL, &srv), 0);
	ck_assert_int_eq(rsd_httpd_route(srv, &(struct rsd_httpd_route){ .path = "/robots.txt",
									 .status = 503 }),
			 0);
	ck_assert_int_eq(rsd_httpd_route(srv, &(struct rsd_httpd_route){ .path = "/",
									 .body = "<p>home</p>" }),
			 0);
	struct run view = { .srv = srv }; /* for refusal_reported's @BASE@ */
	struct rsd_frontier_robots *k1, *k2, *k3, *k4;
	crawl(srv, UA, "", NULL, HOUR_MS - 2 * MINUTE_MS, &k1);
	ck_assert_ptr_nonnull(k1);
	expect_count(srv, "/robots.txt", 1);
	crawl(srv, UA, "", k1, MINUTE_MS, &k2);
	expect_count(srv, "/robots.txt", 1);
	expect_count(srv, "/", 0);
	ck_assert(refusal_reported(
		&view, "/ robots_unreachable @BASE@/robots.txt: HTTP 503, server error"));
	ck_assert_ptr_nonnull(k2);
	crawl(srv, UA, "", k2, 2 * MINUTE_MS, &k3);
	expect_count(srv, "/robots.txt", 1);
	ck_assert_ptr_null(k3); /* its hour is over */
	crawl(srv, UA, "", k3, 0, &k4);
	expect_count(srv, "/robots.txt", 2);
	expect_count(srv, "/", 0);
	rsd_frontier_robots_free(k1);
	rsd_frontier_robots_free(k2);
	rsd_frontier_robots_free(k4);
	rsd_httpd_free(srv);
}
END_TEST

int main(void)
{
	TCase *tc;
	Suite *s = pool_suite("pool_reload", &tc);
	tcase_add_test(tc, test_carried_rules_not_fetched_again);
	tcase_add_test(tc, test_carried_rules_expire_on_time);
	tcase_add_test(tc, test_unreachable_stays_disallowed_for_its_hour);
	return rsd_check_run(s);
}
