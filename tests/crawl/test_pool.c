/* SPDX-License-Identifier: MIT */
/* The scraper pool against the loopback server: a small site with every
 * kind of link and failure, a real ring consumed by the test thread. */

#include "pool_run.h"
#include "httpd.h"
#include "crawl_test.h"
#include "hostile_robots.h"
#include "check_main.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The k-th start of path among the frontier's (index), or -1. */
static ssize_t nth_dispatch(struct run *r, const char *path, unsigned k)
{
	for (size_t j = 0; j < r->n_dispatched; j++)
		if (strcmp(r->dispatched[j], path) == 0 && k-- == 0)
			return (ssize_t)j;
	return -1;
}

/* Politeness, from the frontier's own request starts: robots.txt first,
 * then starts DELAY_MS apart or more, the flaky page's retry its
 * Retry-After (1 s) later. The server's arrival stamps cannot say it:
 * they lag the starts by a scheduling delay (under load ~10, 294 ms made
 * two starts 300 ms apart arrive 6 ms apart). What they do say: every
 * request the server saw was started by the frontier, before it arrived. */
static void assert_polite(struct run *r, const struct rsd_httpd_request *log, size_t n)
{
	pthread_mutex_lock(&r->dispatch_lock);
	ck_assert_uint_eq(r->n_dispatched, n);
	ck_assert_str_eq(r->dispatched[0], "/robots.txt");
	for (size_t i = 1; i < n; i++)
		ck_assert_msg(r->dispatched_at[i] - r->dispatched_at[i - 1] >= DELAY_MS,
			      "%s started %lld ms after %s", r->dispatched[i],
			      (long long)(r->dispatched_at[i] - r->dispatched_at[i - 1]),
			      r->dispatched[i - 1]);
	ssize_t flaky = nth_dispatch(r, "/flaky.html", 0), again = nth_dispatch(r, "/flaky.html", 1);
	ck_assert(flaky >= 0 && again >= 0);
	ck_assert_int_ge(r->dispatched_at[again] - r->dispatched_at[flaky], 1000);
	for (size_t i = 0; i < n; i++) {
		unsigned k = 0;
		for (size_t j = 0; j < i; j++)
			k += strcmp(log[j].path, log[i].path) == 0;
		ssize_t d = nth_dispatch(r, log[i].path, k);
		ck_assert_msg(d >= 0, "%s requested without a start", log[i].path);
		ck_assert_int_ge(log[i].at_ms, r->dispatched_at[d]);
	}
	pthread_mutex_unlock(&r->dispatch_lock);
}

START_TEST(test_crawl_site)
{
	struct run r = { 0 };
	serve_site(&r);
	start_pool(&r, "");
	consume_until_finished(&r);
	const char *base = rsd_httpd_base(r.srv);

	/* exactly these recipes, once each */
	const char *recipes[] = {
		"/recipes/pancakes.html", "/recipes/soup.html", "/recipes/stew.html",
		"/recipes/cake.html",     "/flaky.html",        "/gz/salad.html"
	};
	size_t n_recipes = sizeof(recipes) / sizeof(recipes[0]);
	for (size_t i = 0; i < n_recipes; i++)
		ck_assert_msg(count_record(&r, base, recipes[i]) == 1, "%s", recipes[i]);
	ck_assert_uint_eq(r.n_records, n_recipes);
	/* the records are the extractor's, keyed by the fetched URL */
	for (size_t i = 0; i < r.n_records; i++) {
		cJSON *j = cJSON_Parse(r.records[i]->json);
		ck_assert_ptr_nonnull(j);
		ck_assert(cJSON_IsString(cJSON_GetObjectItem(j, "title")));
		cJSON_Delete(j);
	}

	/* exactly these requests */
	const struct path_count want[] = {
		{ "/robots.txt", 1 },
		{ "/", 1 },
		{ "/index.html", 1 },
		{ "/about.html", 1 },
		{ "/recipes/pancakes.html", 1 },
		{ "/recipes/soup.html", 1 },
		{ "/recipes/stew.html", 1 },
		{ "/old-cake", 1 },
		{ "/recipes/cake.html", 1 },
		{ "/flaky.html", 2 },
		{ "/gz/salad.html", 1 },
		{ "/big.html", 1 },
		{ "/missing.html", 1 },
		{ "/private/secret.html", 0 },
	};
	struct rsd_httpd_request *log;
	size_t n = expect_requests(&r, want, sizeof(want) / sizeof(want[0]), &log);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(log[i].user_agent, "crawltest/1.0 (+https://x.test)");
	assert_polite(&r, log, n);
	free(log);

	const struct rsd_scraper_stats *st = rsd_scraper_stats(r.pool);
	ck_assert_uint_eq(atomic_load(&st->records), n_recipes);
	ck_assert_uint_eq(atomic_load(&st->pages_fetched), 9);
	ck_assert_uint_eq(atomic_load(&st->no_recipe), 3); /* /, /index.html, /about.html */
	ck_assert_uint_eq(atomic_load(&st->pages_failed), 1); /* 404 */
	ck_assert_uint_ge(atomic_load(&st->pages_skipped), 2); /* big, private, foreign links */
	ck_assert_uint_eq(atomic_load(&st->in_flight), 0);
	ck_assert_uint_eq(atomic_load(&st->queued), 0);
	ck_assert_uint_gt(atomic_load(&st->progress), 0);
	end_run(&r);
}
END_TEST

START_TEST(test_recipe_pattern_and_delivered)
{
	/* recipe = /recipes/: /flaky.html and /gz/salad.html are crawled but
	 * not extracted; pancakes is already delivered: not even fetched */
	struct run r = { 0 };
	serve_site(&r);
	ck_assert_int_eq(rsd_state_open(NULL, &r.state), 0);
	ck_assert_int_eq(rsd_state_set_scope(r.state, "test-cluster", "parsed_recipes"), 0);
	char url[256];
	snprintf(url, sizeof(url), "%s/recipes/pancakes.html", rsd_httpd_base(r.srv));
	/* fetched and delivered a moment ago: not due for a refresh */
	ck_assert_int_eq(rsd_state_set_fetched(r.state, url, time(NULL), NULL, NULL, 1), 0);
	ck_assert_int_eq(rsd_state_mark_delivered(r.state, url, 1), 0);
	start_pool(&r, "recipe = /recipes/\n");
	consume_until_finished(&r);
	const char *base = rsd_httpd_base(r.srv);
	ck_assert_uint_eq(r.n_records, 3);
	ck_assert_uint_eq(count_record(&r, base, "/recipes/soup.html"), 1);
	ck_assert_uint_eq(count_record(&r, base, "/recipes/stew.html"), 1);
	ck_assert_uint_eq(count_record(&r, base, "/recipes/cake.html"), 1);
	ck_assert_uint_eq(rsd_httpd_count(r.srv, "/recipes/pancakes.html"), 0);
	ck_assert_uint_eq(rsd_httpd_count(r.srv, "/gz/salad.html"), 1);
	/* fetched pages are recorded in the crawl state */
	struct rsd_page_meta m;
	snprintf(url, sizeof(url), "%s/recipes/soup.html", base);
	ck_assert_int_eq(rsd_state_lookup(r.state, url, &m), 0);
	ck_assert_int_gt(m.fetched_at, 0);
	ck_assert_uint_ne(m.content_hash, 0);
	ck_assert(!m.delivered); /* only the producer's delivery report marks it */
	rsd_page_meta_clear(&m);
	end_run(&r);
}
END_TEST

/* Pages that declare the same <link rel=canonical> (a print view, a
 * tracking-parameter twin) are one recipe: one record. */
START_TEST(test_canonical_twins_produce_one_record)
{
	struct run r = { 0 };
	ck_assert_int_eq(rsd_httpd_start(NULL, &r.srv), 0);
	static const char index[] = "<a href=\"/r.html\">r</a><a href=\"/print/r.html\">print</a>"
				    "<a href=\"/other.html\">o</a>";
	static const char twin[] = "<link rel=canonical href=\"https://canon.test/r\">"
				   "<script type=\"application/ld+json\">{\"@type\":\"Recipe\","
				   "\"name\":\"Twin\",\"recipeIngredient\":[\"a\"]}</script>";
	static const char other[] = "<link rel=canonical href=\"https://canon.test/other\">"
				    "<script type=\"application/ld+json\">{\"@type\":\"Recipe\","
				    "\"name\":\"Other\",\"recipeIngredient\":[\"b\"]}</script>";
	const struct rsd_httpd_route routes[] = {
		{ .path = "/", .body = index },
		{ .path = "/r.html", .body = twin },
		{ .path = "/print/r.html", .body = twin },
		{ .path = "/other.html", .body = other },
	};
	SERVE_ROUTES(&r, routes);
	start_pool(&r, "");
	consume_until_finished(&r);
	const char *base = rsd_httpd_base(r.srv);
	ck_assert_uint_eq(rsd_httpd_count(r.srv, "/r.html"), 1);
	ck_assert_uint_eq(rsd_httpd_count(r.srv, "/print/r.html"), 1);
	ck_assert_uint_eq(
		count_record(&r, base, "/r.html") + count_record(&r, base, "/print/r.html"), 1);
	ck_assert_uint_eq(count_record(&r, base, "/other.html"), 1);
	ck_assert_uint_eq(r.n_records, 2);
	end_run(&r);
}
END_TEST

START_TEST(test_private_addresses_refused)
{
	struct rsd_httpd *srv;
	ck_assert_int_eq(rsd_httpd_start(crawl_fixture("site"), &srv), 0);
	struct run r = { .srv = srv };
	/* the same crawl without allow_private_addresses: 127.0.0.1 is refused
	 * on connect, robots.txt is unreachable, so everything is disallowed */
	r.cfg = crawl_test_config("[scraper]\nstart_urls = %s/\ndelay_ms = 0\n",
				  rsd_httpd_base(srv));
	new_stateless_pool(&r);
	watch_reports(&r);
	ck_assert_int_eq(rsd_scraper_start(r.pool), 0);
	consume_until_finished(&r);
	struct rsd_httpd_request *log;
	ck_assert_uint_eq(rsd_httpd_log(srv, &log), 0);
	free(log);
	ck_assert_uint_eq(r.n_records, 0);
	ck_assert_uint_eq(atomic_load(&rsd_scraper_stats(r.pool)->pages_skipped), 1);
	/* the start page is refused for the address robots.txt was at */
	ck_assert_uint_eq(
		atomic_load(&rsd_scraper_stats(r.pool)->by_cause[RSD_CAUSE_PRIVATE_ADDRESS]), 1);
	ck_assert_uint_eq(n_refusals, 1);
	ck_assert(refusal_reported(
		&r, "/ private_address 127.0.0.1 is a loopback address (127.0.0.0/8)"));
	ck_assert_uint_eq(n_failures, 0);
	end_run(&r);
}
END_TEST

/* A page whose markup is over gumbo's budget (the adoption agency's
 * clones: 1,500 open <b> reopened by each of 2,000 blocks, 3 million
 * elements from 55 KB) is counted as a markup skip, and still gives its
 * microdata Recipe, read from the part of the page around it. (The
 * Recipe sits in a layout table: its element alone would read otherwise,
 * so the whole page's tree is needed, recipe_part.h.) */
START_TEST(test_hostile_markup_counted)
{
	struct run r = { 0 };
	ck_assert_int_eq(rsd_httpd_start(crawl_fixture("site"), &r.srv), 0);
	char *page = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&page, &len);
	ck_assert_ptr_nonnull(f);
	fputs("<html><body><table><tr><td><div itemscope itemtype=\"https://schema.org/Recipe\">"
	      "<h1 itemprop=name>Hostile pancakes</h1><p itemprop=recipeIngredient>200 g flour</p>"
	      "<p itemprop=recipeIngredient>2 eggs</p></div></td></tr></table><div>",
	      f);
	for (int i = 0; i < 1500; i++)
		fprintf(f, "<b id=b%d>", i);
	fputs("</div>", f);
	for (int i = 0; i < 2000; i++)
		fputs("<div>x</div>", f);
	fclose(f);
	const struct rsd_httpd_route route = { .path = "/", .body = page, .body_len = len };
	ck_assert_int_eq(rsd_httpd_route(r.srv, &route), 0);
	free(page);
	start_pool(&r, "");
	consume_until_finished(&r);
	ck_assert_uint_eq(atomic_load(&rsd_scraper_stats(r.pool)->by_cause[RSD_CAUSE_MARKUP]), 1);
	ck_assert_uint_eq(r.n_records, 1);
	cJSON *j = cJSON_Parse(r.records[0]->json);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "title")), "Hostile pancakes");
	cJSON_Delete(j);
	end_run(&r);
}
END_TEST

START_TEST(test_stop_finishes_in_flight)
{
	struct run r = { 0 };
	serve_site(&r);
	size_t len;
	char *page = read_file(crawl_fixture("site/recipes/soup.html"), &len);
	ck_assert_int_eq(rsd_httpd_route(r.srv, &(struct rsd_httpd_route){ .path = "/",
									   .body = page,
									   .delay_ms = 1500 }),
			 0);
	free(page);
	start_pool(&r, "robots = off\n");
	/* wait (bounded) until the slow start page is being served */
	for (int i = 0; i < 200 && atomic_load(&rsd_scraper_stats(r.pool)->in_flight) == 0; i++)
		crawl_wait_ms(10);
	ck_assert_uint_eq(atomic_load(&rsd_scraper_stats(r.pool)->in_flight), 1);
	int64_t t0 = rsd_httpd_now_ms();
	rsd_scraper_stop(r.pool);
	rsd_scraper_join(r.pool);
	ck_assert_int_lt(rsd_httpd_now_ms() - t0, 5000);
	/* the transfer in flight finished and its record was handed over ... */
	void *item;
	while (rsd_ring_sc_try_dequeue(r.ring, &item) == 0)
		take_record(&r, item);
	ck_assert_uint_eq(r.n_records, 1);
	/* ... but none of its links was fetched */
	struct rsd_httpd_request *log;
	size_t n = rsd_httpd_log(r.srv, &log);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(log[0].path, "/");
	free(log);
	ck_assert(!rsd_scraper_finished(r.pool));
	end_run(&r);
}
END_TEST

/* Rules under attack: redirect loops and chains, redirects out of scope,
 * 429 with Retry-After, a hanging page, a gzip bomb, a server that always
 * fails, an ISO-8859-1 page. */

START_TEST(test_hostile_site)
{
	struct run r = { 0 };
	ck_assert_int_eq(rsd_httpd_start(NULL, &r.srv), 0); /* /robots.txt: 404, allow all */
	size_t len, soup_len, latin_len;
	char *hostile = read_file(crawl_fixture("hostile.html"), &len);
	char *soup = read_file(crawl_fixture("site/recipes/soup.html"), &soup_len);
	char *latin = read_file(crawl_fixture("latin1.html"), &latin_len);
	const struct rsd_httpd_route routes[] = {
		{ .path = "/", .body = hostile },
		{ .path = "/loop1", .status = 302, .location = "/loop2" },
		{ .path = "/loop2", .status = 302, .location = "/loop1" },
		{ .path = "/out", .status = 302, .location = "http://elsewhere.test/recipe" },
		{ .path = "/c0", .status = 302, .location = "/c1" },
		{ .path = "/c1", .status = 302, .location = "/c2" },
		{ .path = "/c2", .status = 302, .location = "/c3" },
		{ .path = "/c3", .status = 302, .location = "/c4" },
		{ .path = "/c4", .status = 302, .location = "/c5" },
		{ .path = "/c5", .status = 302, .location = "/c6" },
		{ .path = "/c6", .status = 302, .location = "/final" },
		{ .path = "/rate",
		  .body = soup,
		  .fail_times = 1,
		  .fail_status = 429,
		  .retry_after = "1" },
		{ .path = "/hang", .body = soup, .delay_ms = 5000 },
		{ .path = "/bomb", .fill_len = 8 << 20, .gzip = true },
		{ .path = "/latin1",
		  .body = latin,
		  .content_type = "text/html; charset=iso-8859-1" },
		{ .path = "/boom", .status = 500 },
	};
	SERVE_ROUTES(&r, routes);
	free(hostile);
	free(soup);
	free(latin);

	r.cfg = crawl_test_config(
		"[scraper]\nstart_urls = %s/\nthreads = 2\ndelay_ms = 0\n"
		"max_connections_per_host = 4\nmax_page_bytes = 64K\n"
		"allow_private_addresses = on\ntimeout_s = 1\nfollow_from_recipes = on\n"
		"[ring]\ncapacity = 2\n",
		rsd_httpd_base(r.srv));
	new_pool(&r, r.cfg->ring_capacity, true);
	rsd_scraper_set_retry_policy(r.pool, 1, 200);
	watch_reports(&r);
	ck_assert_int_eq(rsd_scraper_start(r.pool), 0);
	consume_until_finished(&r);

	const struct path_count want[] = {
		{ "/robots.txt", 1 }, { "/", 1 },
		{ "/loop1", 1 },      { "/loop2", 1 },
		{ "/out", 1 },        { "/c0", 1 },
		{ "/c1", 1 },         { "/c2", 1 },
		{ "/c3", 1 },         { "/c4", 1 },
		{ "/c5", 1 },         { "/c6", 0 }, /* a 6th hop is not followed */
		{ "/rate", 2 },       { "/hang", 2 },
		{ "/bomb", 1 },       { "/latin1", 1 },
		{ "/boom", 2 }, /* one retry, then given up */
		{ "/index.html", 1 }, { "/pancakes.html", 1 }, /* links of /rate's page: 404 */
	};
	struct rsd_httpd_request *log;
	size_t n = expect_requests(&r, want, sizeof(want) / sizeof(want[0]), &log);
	qsort(log, n, sizeof(*log), by_time);
	int64_t first_rate = -1;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(log[i].path, "/rate") != 0)
			continue;
		if (first_rate < 0)
			first_rate = log[i].at_ms;
		else
			ck_assert_int_ge(log[i].at_ms - first_rate, 1000 - 30); /* Retry-After: 1 */
	}
	free(log);

	const char *base = rsd_httpd_base(r.srv);
	ck_assert_uint_eq(r.n_records, 2);
	ck_assert_uint_eq(count_record(&r, base, "/rate"), 1);
	ck_assert_uint_eq(count_record(&r, base, "/latin1"), 1);
	for (size_t i = 0; i < r.n_records; i++) {
		if (!strstr(r.records[i]->url, "latin1"))
			continue;
		cJSON *j = cJSON_Parse(r.records[i]->json);
		ck_assert_str_eq(cJSON_GetObjectItem(j, "title")->valuestring,
				 "Cr\xc3\xa8me br\xc3\xbbl\xc3\xa9"
				 "e");
		cJSON_Delete(j);
	}
	const struct rsd_scraper_stats *st = rsd_scraper_stats(r.pool);
	ck_assert_uint_eq(atomic_load(&st->pages_failed), 4); /* /hang, /boom, two 404s */
	ck_assert_uint_ge(atomic_load(&st->pages_skipped), 3); /* /out, /c5's hop, /bomb */
	ck_assert_uint_eq(atomic_load(&st->by_cause[RSD_CAUSE_OUT_OF_SCOPE]), 1);
	ck_assert_uint_eq(atomic_load(&st->by_cause[RSD_CAUSE_REDIRECT]), 1);
	ck_assert_uint_eq(atomic_load(&st->by_cause[RSD_CAUSE_TOO_BIG]), 1);
	/* every page refused is reported once, with its cause and detail ... */
	ck_assert_uint_eq(n_refusals, 3);
	ck_assert(refusal_reported(&r,
				   "/out out_of_scope redirect to http://elsewhere.test/recipe: "
				   "host elsewhere.test is not in allowed_hosts"));
	ck_assert(
		refusal_reported(&r, "/c5 redirect more than 5 redirects, the last to @BASE@/c6"));
	ck_assert(refusal_reported(&r,
				   "/bomb too_big body larger than max_page_bytes (65536 bytes)"));
	/* ... and every page given up on once, with its reason */
	ck_assert_uint_eq(n_failures, 4);
	ck_assert(failure_reported("/boom 500 server error"));
	ck_assert(failure_reported("/hang 0 "));
	ck_assert(failure_reported("/index.html 404 client error"));
	ck_assert(failure_reported("/pancakes.html 404 client error"));
	end_run(&r);
}
END_TEST

/* RFC 9309 2.3.1.4: robots.txt answering 5xx means "disallow all" once
 * its retries are spent: no page is requested. */
START_TEST(test_robots_unavailable)
{
	struct run r = { 0 };
	ck_assert_int_eq(rsd_httpd_start(crawl_fixture("site"), &r.srv), 0);
	ck_assert_int_eq(rsd_httpd_route(r.srv, &(struct rsd_httpd_route){ .path = "/robots.txt",
									   .status = 503 }),
			 0);
	r.cfg = crawl_test_config(
		"[scraper]\nstart_urls = %s/\ndelay_ms = 0\nallow_private_addresses = on\n",
		rsd_httpd_base(r.srv));
	new_stateless_pool(&r);
	rsd_scraper_set_retry_policy(r.pool, 2, 100);
	watch_reports(&r);
	ck_assert_int_eq(rsd_scraper_start(r.pool), 0);
	consume_until_finished(&r);
	struct rsd_httpd_request *log;
	size_t n = rsd_httpd_log(r.srv, &log);
	ck_assert_uint_eq(n, 3); /* the first try and two retries */
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(log[i].path, "/robots.txt");
	free(log);
	ck_assert_uint_eq(r.n_records, 0);
	ck_assert_uint_eq(atomic_load(&rsd_scraper_stats(r.pool)->pages_skipped), 1);
	ck_assert_uint_eq(
		atomic_load(&rsd_scraper_stats(r.pool)->by_cause[RSD_CAUSE_ROBOTS_UNREACHABLE]), 1);
	ck_assert(refusal_reported(
		&r, "/ robots_unreachable @BASE@/robots.txt: HTTP 503, server error"));
	end_run(&r);
}
END_TEST

/* "#top" and "" are the page itself (RFC 3986 5.2.2): nothing else is fetched. */
START_TEST(test_same_document_links)
{
	struct run r = { 0 };
	ck_assert_int_eq(rsd_httpd_start(NULL, &r.srv), 0);
	ck_assert_int_eq(rsd_httpd_route(r.srv,
					 &(struct rsd_httpd_route){
						 .path = "/dir/page.html",
						 .body = "<html><body><a href=\"#top\">top</a> <a "
							 "href=\"\">self</a></body></html>" }),
			 0);
	char start[128];
	snprintf(start, sizeof(start), "%s/dir/page.html", rsd_httpd_base(r.srv));
	r.cfg = crawl_test_config(
		"[scraper]\nstart_urls = %s\ndelay_ms = 0\nallow_private_addresses = on\n", start);
	new_stateless_pool(&r);
	ck_assert_int_eq(rsd_scraper_start(r.pool), 0);
	consume_until_finished(&r);
	ck_assert_uint_eq(rsd_httpd_count(r.srv, "/dir/page.html"), 1);
	ck_assert_uint_eq(rsd_httpd_count(r.srv, "/dir/"), 0);
	end_run(&r);
}
END_TEST

/* [scraper] max_retries and retry_backoff_ms reach the pool. */
START_TEST(test_retry_keys)
{
	static const struct {
		unsigned retries, backoff_ms, requests;
	} cases[] = {
		{ 0, 1000, 1 },
		{ 2, 50, 3 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run r = { 0 };
		ck_assert_int_eq(rsd_httpd_start(NULL, &r.srv), 0);
		ck_assert_int_eq(rsd_httpd_route(r.srv, &(struct rsd_httpd_route){ .path = "/busy",
										   .status = 503 }),
				 0);
		start_config(&r, true,
			     "[scraper]\nstart_urls = %s/busy\ndelay_ms = "
			     "0\nallow_private_addresses = on\n"
			     "robots = off\nmax_retries = %u\nretry_backoff_ms = %u\n",
			     rsd_httpd_base(r.srv), cases[i].retries, cases[i].backoff_ms);
		int64_t t0 = rsd_httpd_now_ms();
		consume_until_finished(&r);
		ck_assert_uint_eq(rsd_httpd_count(r.srv, "/busy"), cases[i].requests);
		/* 50 ms then 100 ms (plus jitter), far from the 1 s default */
		if (cases[i].retries)
			ck_assert_int_lt(rsd_httpd_now_ms() - t0, 1500);
		ck_assert(failure_reported("/busy 503 server error"));
		end_run(&r);
	}
}
END_TEST

/* Each redirect hop goes back through the frontier: a hop into a path
 * robots.txt disallows is never requested. */
START_TEST(test_redirect_hop_obeys_robots)
{
	struct run r = { 0 };
	ck_assert_int_eq(rsd_httpd_start(NULL, &r.srv), 0);
	const struct rsd_httpd_route routes[] = {
		{ .path = "/robots.txt",
		  .body = "User-agent: *\nDisallow: /private/\n",
		  .content_type = "text/plain" },
		{ .path = "/", .body = "<a href=\"/go\">go</a>" },
		{ .path = "/go", .status = 302, .location = "/private/x" },
		{ .path = "/private/x", .body = "<p>secret</p>" },
	};
	SERVE_ROUTES(&r, routes);
	start_config(&r, true,
		     "[scraper]\nstart_urls = %s/\ndelay_ms = 0\nallow_private_addresses = on\n",
		     rsd_httpd_base(r.srv));
	consume_until_finished(&r);
	ck_assert_uint_eq(rsd_httpd_count(r.srv, "/go"), 1);
	ck_assert_uint_eq(rsd_httpd_count(r.srv, "/private/x"), 0);
	struct rsd_httpd_request *log;
	ck_assert_uint_eq(rsd_httpd_log(r.srv, &log), 3); /* robots.txt, /, /go */
	free(log);
	end_run(&r);
}
END_TEST

/* Fairness: one worker thread, two hosts (127.0.0.1 and 127.0.0.2, both
 * loopback); every page of the slow one takes 2 s. The fast host's pages
 * are all fetched while the slow ones are still being answered. */
START_TEST(test_slow_host_does_not_stall_others)
{
	struct run r = { 0 };
	struct rsd_httpd *slow;
	ck_assert_int_eq(rsd_httpd_start(NULL, &r.srv), 0);
	ck_assert_int_eq(rsd_httpd_start_at("127.0.0.2", NULL, &slow), 0);
	static const char hub[] = "<a href=\"/p1\">1</a><a href=\"/p2\">2</a><a href=\"/p3\">3</a>"
				  "<a href=\"/p4\">4</a><a href=\"/p5\">5</a><a href=\"/p6\">6</a>";
	const char *pages[] = { "/p1", "/p2", "/p3", "/p4", "/p5", "/p6" };
	ck_assert_int_eq(
		rsd_httpd_route(r.srv, &(struct rsd_httpd_route){ .path = "/", .body = hub }), 0);
	ck_assert_int_eq(
		rsd_httpd_route(slow, &(struct rsd_httpd_route){ .path = "/", .body = hub }), 0);
	for (size_t i = 0; i < 6; i++) {
		ck_assert_int_eq(
			rsd_httpd_route(r.srv, &(struct rsd_httpd_route){ .path = pages[i],
									  .body = "<p>fast</p>" }),
			0);
		ck_assert_int_eq(
			rsd_httpd_route(slow, &(struct rsd_httpd_route){ .path = pages[i],
									 .body = "<p>slow</p>",
									 .delay_ms = 2000 }),
			0);
	}
	start_config(&r, true,
		     "[scraper]\nstart_urls = %s/ %s/\nthreads = 1\nmax_connections = 4\n"
		     "max_connections_per_host = 2\ndelay_ms = 0\nallow_private_addresses = on\n"
		     "robots = off\ntimeout_s = 10\n",
		     rsd_httpd_base(slow), rsd_httpd_base(r.srv));
	consume_until_finished(&r);
	struct rsd_httpd_request *fast_log, *slow_log;
	size_t n_fast = rsd_httpd_log(r.srv, &fast_log), n_slow = rsd_httpd_log(slow, &slow_log);
	ck_assert_uint_eq(n_fast, 7);
	ck_assert_uint_eq(n_slow, 7);
	qsort(fast_log, n_fast, sizeof(*fast_log), by_time);
	qsort(slow_log, n_slow, sizeof(*slow_log), by_time);
	/* the slow host took its time (3 rounds of 2 at 2 s each) ... */
	ck_assert_int_ge(slow_log[n_slow - 1].at_ms - slow_log[0].at_ms, 4000 - JITTER_MS);
	/* ... and the fast one was done before the first slow page came back */
	int64_t first_slow_page = slow_log[1].at_ms; /* [0] is "/" */
	ck_assert_msg(fast_log[n_fast - 1].at_ms < first_slow_page + 2000 - JITTER_MS,
		      "fast host finished %lld ms after the first slow page started",
		      (long long)(fast_log[n_fast - 1].at_ms - first_slow_page));
	for (size_t i = 0; i < n_fast; i++)
		ck_assert_uint_eq(fast_log[i].status, 200);
	free(fast_log);
	free(slow_log);
	end_run(&r);
	rsd_httpd_free(slow);
}
END_TEST

/* Issue 17: beside a host whose robots.txt holds 500 KiB of costly rules
 * and whose page links 8 KiB paths (allowed, refused by the first rule,
 * refused only by the last) and 16 KiB ones, a normal host is crawled in
 * full; of the hostile host, only the allowed paths are fetched. (How long
 * the normal host takes beside it, against alone, is measured by
 * bench/robots/bench_robots_crawl: tests do not judge speed.) */
START_TEST(test_hostile_robots_beside_normal_host)
{
	struct run r = { 0 };
	struct rsd_httpd *hostile;
	ck_assert_int_eq(rsd_httpd_start(NULL, &r.srv), 0);
	ck_assert_int_eq(rsd_httpd_start_at("127.0.0.2", NULL, &hostile), 0);
	ck_assert_int_eq(plain_site_serve(r.srv, 10), 0);
	ck_assert_int_eq(hostile_robots_serve(hostile, 20), 0);
	start_config(&r, true,
		     "[scraper]\nstart_urls = %s/ %s/\nthreads = 2\ndelay_ms = 0\n"
		     "allow_private_addresses = on\nmax_page_bytes = 2M\ntimeout_s = 10\n",
		     rsd_httpd_base(hostile), rsd_httpd_base(r.srv));
	consume_until_finished(&r);
	struct rsd_httpd_request *log;
	size_t n = rsd_httpd_log(r.srv, &log);
	ck_assert_uint_eq(n, 12); /* robots.txt (404), /, /p0 ... /p9 */
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(log[i].status,
				  strcmp(log[i].path, "/robots.txt") == 0 ? 404 : 200);
	free(log);
	ck_assert_uint_eq(rsd_httpd_count(r.srv, "/p9"), 1);
	n = rsd_httpd_log(hostile, &log);
	ck_assert_uint_eq(n, 22); /* robots.txt, / and the 20 allowed paths */
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(strcmp(log[i].path, "/robots.txt") == 0 ||
				      strcmp(log[i].path, "/") == 0 ||
				      strncmp(log[i].path, "/b", 2) == 0,
			      "%s", log[i].path);
	free(log);
	/* the 40 refused by robots.txt and the 20 too long */
	ck_assert_uint_eq(atomic_load(&rsd_scraper_stats(r.pool)->pages_skipped), 60);
	end_run(&r);
	rsd_httpd_free(hostile);
}
END_TEST

/* A recipe page's links lead to related recipes and other categories:
 * followed only with follow_from_recipes = on. soup.html links to
 * ../index.html and pancakes.html. */
START_TEST(test_follow_from_recipes)
{
	for (int on = 0; on < 2; on++) {
		struct run r = { 0 };
		ck_assert_int_eq(rsd_httpd_start(crawl_fixture("site"), &r.srv), 0);
		start_config(&r, true,
			     "[scraper]\nstart_urls = %s/recipes/soup.html\ndelay_ms = 0\n"
			     "allow_private_addresses = on\nfollow_from_recipes = %s\n",
			     rsd_httpd_base(r.srv), on ? "on" : "off");
		consume_until_finished(&r);
		ck_assert_uint_eq(rsd_httpd_count(r.srv, "/recipes/soup.html"), 1);
		ck_assert_uint_eq(rsd_httpd_count(r.srv, "/index.html"), (unsigned)on);
		ck_assert_uint_eq(rsd_httpd_count(r.srv, "/recipes/pancakes.html"), (unsigned)on);
		if (!on)
			ck_assert_uint_eq(r.n_records, 1);
		else
			ck_assert_uint_gt(r.n_records, 2); /* the whole site, from one recipe */
		end_run(&r);
	}
}
END_TEST

int main(void)
{
	TCase *tc;
	Suite *s = pool_suite("pool", &tc);
	tcase_add_test(tc, test_crawl_site);
	tcase_add_test(tc, test_recipe_pattern_and_delivered);
	tcase_add_test(tc, test_private_addresses_refused);
	tcase_add_test(tc, test_stop_finishes_in_flight);
	tcase_add_test(tc, test_hostile_site);
	tcase_add_test(tc, test_robots_unavailable);
	tcase_add_test(tc, test_same_document_links);
	tcase_add_test(tc, test_follow_from_recipes);
	tcase_add_test(tc, test_retry_keys);
	tcase_add_test(tc, test_canonical_twins_produce_one_record);
	tcase_add_test(tc, test_redirect_hop_obeys_robots);
	tcase_add_test(tc, test_slow_host_does_not_stall_others);
	tcase_add_test(tc, test_hostile_robots_beside_normal_host);
	tcase_add_test(tc, test_hostile_markup_counted);
	return rsd_check_run(s);
}
