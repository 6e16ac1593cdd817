/* SPDX-License-Identifier: MIT */
/* The scraper pool against the loopback server, continued: sitemaps
 * (robots.txt, gzip, redirects, sources) and recrawl rounds (conditional
 * GET, unchanged content, sitemaps revisited). */

#include "pool_run.h"
#include "httpd.h"
#include "crawl_test.h"
#include "ring_wait.h"
#include "check_main.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Daemon mode: start URLs are revisited every recrawl_interval_s with a
 * conditional GET; delivered pages are not fetched again. */
START_TEST(test_recrawl_conditional_get)
{
	struct run r = { 0 };
	ck_assert_int_eq(rsd_httpd_start(NULL, &r.srv), 0);
	size_t len;
	char *soup = read_file(crawl_fixture("site/recipes/soup.html"), &len);
	ck_assert_int_eq(
		rsd_httpd_route(r.srv,
				&(struct rsd_httpd_route){ .path = "/",
							   .body = "<a href=\"/r1\">soup</a>",
							   .etag = "\"v1\"" }),
		0);
	ck_assert_int_eq(
		rsd_httpd_route(r.srv, &(struct rsd_httpd_route){ .path = "/r1", .body = soup }),
		0);
	free(soup);
	r.cfg = crawl_test_config(
		"[scraper]\nstart_urls = %s/\ndelay_ms = 0\nallow_private_addresses = on\n"
		"recrawl_interval_s = 1\n",
		rsd_httpd_base(r.srv));
	new_pool(&r, 4, false);
	ck_assert_int_eq(rsd_scraper_start(r.pool), 0);
	/* the first round's record, "delivered" as the producer would mark it */
	void *item;
	ck_assert_int_eq(ring_dequeue_wait(r.ring, &item, 10000), 0);
	take_record(&r, item);
	ck_assert_int_eq(
		rsd_state_mark_delivered(r.state, r.records[0]->url, r.records[0]->content_hash),
		0);
	/* bounded wait for the second round's request of the start page */
	for (int i = 0; i < 300 && rsd_httpd_count(r.srv, "/") < 2; i++)
		crawl_wait_ms(20);
	rsd_scraper_stop(r.pool);
	rsd_scraper_join(r.pool);
	struct rsd_httpd_request *log;
	size_t n = rsd_httpd_log(r.srv, &log);
	unsigned starts = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(log[i].path, "/") != 0)
			continue;
		ck_assert_uint_eq(log[i].status, starts++ == 0 ? 200 : 304);
	}
	free(log);
	ck_assert_uint_eq(starts, 2);
	ck_assert_uint_eq(rsd_httpd_count(r.srv, "/r1"), 1);
	ck_assert_uint_eq(rsd_ring_size(r.ring), 0); /* nothing produced again */
	ck_assert(!rsd_scraper_finished(r.pool));
	end_run(&r);
}
END_TEST

/* robots.txt -> sitemap index -> urlset -> pages linked from nowhere. */
START_TEST(test_sitemaps)
{
	struct run r = { 0 };
	ck_assert_int_eq(rsd_httpd_start(NULL, &r.srv), 0);
	const char *base = rsd_httpd_base(r.srv);
	size_t len;
	char *soup = read_file(crawl_fixture("site/recipes/cake.html"), &len); /* no links */
	char robots[256], index[512], urlset[512];
	snprintf(robots, sizeof(robots),
		 "User-agent: *\nDisallow: /private/\nSitemap: %s/sitemap_index.xml\n", base);
	snprintf(index, sizeof(index),
		 "<sitemapindex><sitemap><loc>%s/sitemap-recipes.xml</loc></sitemap>"
		 "<sitemap><loc>http://elsewhere.test/sitemap.xml</loc></sitemap></sitemapindex>",
		 base);
	snprintf(urlset, sizeof(urlset),
		 "<urlset><url><loc>%s/hidden/soup.html</loc></url>"
		 "<url><loc>%s/hidden/pie.html?a=1&amp;b=2</loc></url>"
		 "<url><loc>%s/private/secret.html</loc></url>"
		 "<url><loc>http://elsewhere.test/x.html</loc></url></urlset>",
		 base, base, base);
	const struct rsd_httpd_route routes[] = {
		{ .path = "/robots.txt", .body = robots, .content_type = "text/plain" },
		{ .path = "/", .body = "<p>nothing linked</p>" },
		{ .path = "/sitemap_index.xml", .body = index, .content_type = "application/xml" },
		{ .path = "/sitemap-recipes.xml",
		  .body = urlset,
		  .content_type = "application/xml",
		  .gzip = true },
		{ .path = "/hidden/soup.html", .body = soup },
		{ .path = "/hidden/pie.html", .body = soup },
		{ .path = "/private/secret.html", .body = soup },
	};
	SERVE_ROUTES(&r, routes);
	free(soup);
	r.cfg = crawl_test_config(
		"[scraper]\nstart_urls = %s/\ndelay_ms = 0\nallow_private_addresses = on\n"
		"sitemaps = robots\n",
		base);
	new_stateless_pool(&r);
	ck_assert_int_eq(rsd_scraper_start(r.pool), 0);
	consume_until_finished(&r);
	ck_assert_uint_eq(r.n_records, 2);
	ck_assert_uint_eq(count_record(&r, base, "/hidden/soup.html"), 1);
	ck_assert_uint_eq(count_record(&r, base, "/hidden/pie.html?a=1&b=2"), 1);
	const char *paths[] = { "/robots.txt",        "/",
				"/sitemap_index.xml", "/sitemap-recipes.xml",
				"/hidden/soup.html",  "/hidden/pie.html" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		ck_assert_msg(rsd_httpd_count(r.srv, paths[i]) == 1, "%s", paths[i]);
	struct rsd_httpd_request *log;
	ck_assert_uint_eq(rsd_httpd_log(r.srv, &log), 6); /* not /private/, not elsewhere */
	free(log);
	end_run(&r);
}
END_TEST

/* A sitemap.xml.gz served as application/x-gzip, without Content-Encoding:
 * gunzipped by the crawler; a gzip bomb of a sitemap stops at
 * max_page_bytes and is reported. */
START_TEST(test_gzip_sitemap_file)
{
	struct run r = { 0 };
	char robots[256], urlset[256];
	const char *base = start_sitemap_site(&r, urlset, sizeof(urlset));
	snprintf(robots, sizeof(robots),
		 "User-agent: *\nSitemap: %s/sitemap.xml.gz\nSitemap: %s/bomb.xml.gz\n", base,
		 base);
	char *gz = NULL, *bomb = NULL;
	size_t gz_len = 0, bomb_len = 0;
	crawl_test_gzip(urlset, strlen(urlset), &gz, &gz_len);
	char *zeros = calloc(1, 4 << 20);
	crawl_test_gzip(zeros, 4 << 20, &bomb, &bomb_len); /* 4 MiB inflated, ~4 KiB sent */
	free(zeros);
	const struct rsd_httpd_route sitemaps[] = {
		{ .path = "/sitemap.xml.gz",
		  .body = gz,
		  .body_len = gz_len,
		  .content_type = "application/x-gzip" },
		{ .path = "/bomb.xml.gz",
		  .body = bomb,
		  .body_len = bomb_len,
		  .content_type = "application/x-gzip" },
	};
	serve_sitemap_site(&r, robots, sitemaps, sizeof(sitemaps) / sizeof(sitemaps[0]));
	free(gz);
	free(bomb);
	start_config(&r, true,
		     "[scraper]\nstart_urls = %s/\ndelay_ms = 0\nallow_private_addresses = on\n"
		     "max_page_bytes = 1M\nsitemaps = robots\n",
		     base);
	consume_until_finished(&r);
	ck_assert_uint_eq(r.n_records, 1);
	ck_assert_uint_eq(count_record(&r, base, "/hidden/cake.html"), 1);
	ck_assert_uint_eq(rsd_httpd_count(r.srv, "/bomb.xml.gz"), 1);
	ck_assert_uint_eq(n_failures, 0);
	ck_assert_uint_eq(n_refusals, 1);
	ck_assert(refusal_reported(&r,
				   "/bomb.xml.gz too_big gzip sitemap, decompressed, larger than "
				   "max_page_bytes (1048576 bytes)"));
	end_run(&r);
}
END_TEST

/* Bounded wait (6 s) until pages_skipped exceeds was. */
static void wait_skipped_above(const struct rsd_scraper_stats *st, uint_fast64_t was)
{
	for (int i = 0; i < 300 && atomic_load(&st->pages_skipped) <= was; i++)
		crawl_wait_ms(20);
	ck_assert_uint_gt(atomic_load(&st->pages_skipped), was);
}

/* A server without validators answers every recrawl with 200: the same
 * content (same hash) is not produced again, changed content is. */
START_TEST(test_recrawl_same_content)
{
	struct run r = { 0 };
	ck_assert_int_eq(rsd_httpd_start(NULL, &r.srv), 0);
	size_t len;
	char *soup = read_file(crawl_fixture("site/recipes/soup.html"), &len);
	char *cake = read_file(crawl_fixture("site/recipes/cake.html"), &len);
	ck_assert_int_eq(
		rsd_httpd_route(r.srv, &(struct rsd_httpd_route){ .path = "/r1", .body = soup }),
		0);
	start_config(&r, false,
		     "[scraper]\nstart_urls = %s/r1\ndelay_ms = 0\nallow_private_addresses = on\n"
		     "robots = off\nrecrawl_interval_s = 1\n",
		     rsd_httpd_base(r.srv));
	/* round 1: the record (never marked delivered: still "in flight") */
	void *item;
	ck_assert_int_eq(ring_dequeue_wait(r.ring, &item, 10000), 0);
	take_record(&r, item);
	/* later rounds: same body, judged unchanged each time (bounded wait) */
	const struct rsd_scraper_stats *st = rsd_scraper_stats(r.pool);
	wait_skipped_above(st, 0);
	ck_assert_uint_ge(rsd_httpd_count(r.srv, "/r1"), 2);
	ck_assert_uint_eq(atomic_load(&st->records), 1);
	ck_assert_uint_eq(rsd_ring_size(r.ring), 0);
	/* the page changed: one new record ... */
	ck_assert_int_eq(
		rsd_httpd_route(r.srv, &(struct rsd_httpd_route){ .path = "/r1", .body = cake }),
		0);
	ck_assert_int_eq(ring_dequeue_wait(r.ring, &item, 10000), 0);
	take_record(&r, item);
	ck_assert_ptr_nonnull(strstr(r.records[1]->json, "Cake"));
	/* ... and only one: the next round finds it unchanged again */
	wait_skipped_above(st, atomic_load(&st->pages_skipped));
	rsd_scraper_stop(r.pool);
	rsd_scraper_join(r.pool);
	ck_assert_uint_eq(atomic_load(&st->records), 2);
	ck_assert_uint_eq(rsd_ring_size(r.ring), 0);
	ck_assert_uint_ge(rsd_httpd_count(r.srv, "/r1"), 4);
	free(soup);
	free(cake);
	end_run(&r);
}
END_TEST

/* Recrawl rounds read the sitemaps again (robots.txt itself is cached for
 * a day), conditionally: an unchanged sitemap (304) adds nothing, so its
 * pages are not fetched again. */
START_TEST(test_recrawl_revisits_sitemaps)
{
	struct run r = { 0 };
	char robots[128], urlset[256];
	const char *base = start_sitemap_site(&r, urlset, sizeof(urlset));
	snprintf(robots, sizeof(robots), "User-agent: *\nSitemap: %s/sm.xml\n", base);
	const struct rsd_httpd_route sitemap = { .path = "/sm.xml",
						 .body = urlset,
						 .content_type = "application/xml",
						 .etag = "\"s1\"" };
	serve_sitemap_site(&r, robots, &sitemap, 1);
	start_config(&r, false,
		     "[scraper]\nstart_urls = %s/\ndelay_ms = 0\nallow_private_addresses = on\n"
		     "recrawl_interval_s = 1\nsitemaps = robots\n",
		     base);
	void *item;
	ck_assert_int_eq(ring_dequeue_wait(r.ring, &item, 10000), 0);
	take_record(&r, item);
	/* bounded wait for the second round's sitemap request and its answer */
	struct rsd_httpd_request *log = NULL;
	size_t n = 0;
	for (int i = 0; i < 300; i++) {
		free(log);
		n = rsd_httpd_log(r.srv, &log);
		bool answered = true;
		for (size_t k = 0; k < n; k++)
			answered &= log[k].status != 0;
		if (n >= 6 && answered)
			break;
		crawl_wait_ms(20);
	}
	rsd_scraper_stop(r.pool);
	rsd_scraper_join(r.pool);
	unsigned maps = 0, starts = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(log[i].path, "/sm.xml") == 0)
			ck_assert_uint_eq(log[i].status, maps++ == 0 ? 200 : 304);
		starts += strcmp(log[i].path, "/") == 0;
	}
	free(log);
	ck_assert_uint_ge(maps, 2); /* more if the test thread was slow to stop it */
	ck_assert_uint_ge(starts, 2);
	ck_assert_uint_eq(rsd_httpd_count(r.srv, "/robots.txt"), 1);
	ck_assert_uint_eq(rsd_httpd_count(r.srv, "/hidden/cake.html"), 1);
	ck_assert_uint_eq(rsd_ring_size(r.ring), 0);
	ck_assert_uint_eq(n_failures, 0);
	end_run(&r);
}
END_TEST

/* A sitemap's redirect hops are checked like a page's: out of scope or
 * into a disallowed path they are not followed; an allowed target is read
 * as a sitemap. */
START_TEST(test_sitemap_redirects_checked)
{
	struct run r = { 0 };
	char robots[512], urlset[256];
	const char *base = start_sitemap_site(&r, urlset, sizeof(urlset));
	snprintf(robots, sizeof(robots),
		 "User-agent: *\nDisallow: /private/\nSitemap: %s/old-sm.xml\nSitemap: "
		 "%s/away-sm.xml\n"
		 "Sitemap: %s/blocked-sm.xml\n",
		 base, base, base);
	const struct rsd_httpd_route sitemaps[] = {
		{ .path = "/old-sm.xml", .status = 301, .location = "/sm.xml" },
		{ .path = "/away-sm.xml",
		  .status = 302,
		  .location = "http://elsewhere.test/sm.xml" },
		{ .path = "/blocked-sm.xml", .status = 302, .location = "/private/sm.xml" },
		{ .path = "/private/sm.xml", .body = urlset, .content_type = "application/xml" },
		{ .path = "/sm.xml", .body = urlset, .content_type = "application/xml" },
	};
	serve_sitemap_site(&r, robots, sitemaps, sizeof(sitemaps) / sizeof(sitemaps[0]));
	start_config(&r, true,
		     "[scraper]\nstart_urls = %s/\ndelay_ms = 0\nallow_private_addresses = on\n"
		     "sitemaps = robots\n",
		     base);
	consume_until_finished(&r);
	ck_assert_uint_eq(r.n_records, 1);
	ck_assert_uint_eq(count_record(&r, base, "/hidden/cake.html"), 1);
	const char *once[] = { "/robots.txt",     "/",       "/old-sm.xml",      "/away-sm.xml",
			       "/blocked-sm.xml", "/sm.xml", "/hidden/cake.html" };
	for (size_t i = 0; i < sizeof(once) / sizeof(once[0]); i++)
		ck_assert_msg(rsd_httpd_count(r.srv, once[i]) == 1, "%s", once[i]);
	ck_assert_uint_eq(rsd_httpd_count(r.srv, "/private/sm.xml"), 0);
	struct rsd_httpd_request *log;
	ck_assert_uint_eq(rsd_httpd_log(r.srv, &log), 7);
	free(log);
	ck_assert_uint_eq(n_failures, 0);
	ck_assert_uint_eq(n_refusals, 2);
	ck_assert(refusal_reported(
		&r, "/away-sm.xml out_of_scope redirect to http://elsewhere.test/sm.xml: "
		    "host elsewhere.test is not in allowed_hosts"));
	ck_assert(refusal_reported(&r, "/private/sm.xml robots_disallow @BASE@/robots.txt: "
				       "\"Disallow: /private/\""));
	end_run(&r);
}
END_TEST

/* A site whose robots.txt names /robots-sm.xml (listing /whole-site/cake.html)
 * and which also has /listed-sm.xml (listing /listed/cake.html). */
static void serve_two_sitemaps(struct run *r)
{
	ck_assert_int_eq(rsd_httpd_start(NULL, &r->srv), 0);
	const char *base = rsd_httpd_base(r->srv);
	size_t len;
	char *cake = read_file(crawl_fixture("site/recipes/cake.html"), &len);
	char robots[128], urlset[256], listed[256];
	snprintf(robots, sizeof(robots), "User-agent: *\nSitemap: %s/robots-sm.xml\n", base);
	snprintf(urlset, sizeof(urlset),
		 "<urlset><url><loc>%s/whole-site/cake.html</loc></url></urlset>", base);
	snprintf(listed, sizeof(listed),
		 "<urlset><url><loc>%s/listed/cake.html</loc></url></urlset>", base);
	const struct rsd_httpd_route routes[] = {
		{ .path = "/robots.txt", .body = robots, .content_type = "text/plain" },
		{ .path = "/", .body = "<p>nothing linked</p>" },
		{ .path = "/robots-sm.xml", .body = urlset, .content_type = "application/xml" },
		{ .path = "/listed-sm.xml", .body = listed, .content_type = "application/xml" },
		{ .path = "/whole-site/cake.html", .body = cake },
		{ .path = "/listed/cake.html", .body = cake },
	};
	SERVE_ROUTES(r, routes);
	free(cake);
}

/* sitemaps = off (the default): robots.txt's Sitemap: lines are not read;
 * the sitemaps of sitemap_urls are, even with robots.txt not read at all. */
START_TEST(test_sitemap_sources)
{
	struct run r = { 0 };
	serve_two_sitemaps(&r);
	const char *base = rsd_httpd_base(r.srv);
	start_config(&r, true,
		     "[scraper]\nstart_urls = %s/\ndelay_ms = 0\nallow_private_addresses = on\n",
		     base);
	consume_until_finished(&r);
	ck_assert_uint_eq(rsd_httpd_count(r.srv, "/robots.txt"), 1);
	ck_assert_uint_eq(rsd_httpd_count(r.srv, "/"), 1);
	struct rsd_httpd_request *log;
	ck_assert_uint_eq(rsd_httpd_log(r.srv, &log), 2); /* neither sitemap, no page of theirs */
	free(log);
	ck_assert_uint_eq(r.n_records, 0);
	end_run(&r);

	r = (struct run){ 0 };
	serve_two_sitemaps(&r);
	base = rsd_httpd_base(r.srv);
	start_config(&r, true,
		     "[scraper]\nstart_urls = %s/\ndelay_ms = 0\nallow_private_addresses = on\n"
		     "robots = off\nsitemap_urls = %s/listed-sm.xml\n",
		     base, base);
	consume_until_finished(&r);
	ck_assert_uint_eq(rsd_httpd_count(r.srv, "/robots.txt"), 0);
	ck_assert_uint_eq(rsd_httpd_count(r.srv, "/listed-sm.xml"), 1);
	ck_assert_uint_eq(rsd_httpd_count(r.srv, "/robots-sm.xml"), 0);
	ck_assert_uint_eq(r.n_records, 1);
	ck_assert_uint_eq(count_record(&r, base, "/listed/cake.html"), 1);
	end_run(&r);
}
END_TEST

int main(void)
{
	TCase *tc;
	Suite *s = pool_suite("pool_recrawl", &tc);
	tcase_add_test(tc, test_recrawl_conditional_get);
	tcase_add_test(tc, test_sitemaps);
	tcase_add_test(tc, test_gzip_sitemap_file);
	tcase_add_test(tc, test_sitemap_redirects_checked);
	tcase_add_test(tc, test_sitemap_sources);
	tcase_add_test(tc, test_recrawl_same_content);
	tcase_add_test(tc, test_recrawl_revisits_sitemaps);
	return rsd_check_run(s);
}
