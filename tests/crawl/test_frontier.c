/* SPDX-License-Identifier: MIT */
/* Frontier admission and scheduling (frontier.c), without any network:
 * jobs are taken and ended by hand. */

#include "crawl/frontier.h"
#include "core/util.h"
#include "crawl/scraper.h"
#include "crawl_test.h"
#include "check_main.h"

#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CFG_HEAD "[scraper]\nstart_urls = http://a.test/\nallowed_hosts = a.test b.test c.test\n"

static atomic_uint wakes[4];
static struct rsd_scraper_stats stats;

static void on_wake(void *ctx, unsigned waiter)
{
	atomic_fetch_add(&wakes[waiter], 1);
}

/* Refusal reports, as "CAUSE HOST URL | DETAIL" (the tests take jobs on
 * one thread: no lock). */
static char reports[32][512];
static size_t n_reports;

static void on_refusal(void *ctx, const struct rsd_refusal *r)
{
	ck_assert_ptr_nonnull(r->host);
	ck_assert_ptr_nonnull(r->url);
	if (n_reports < 32)
		snprintf(reports[n_reports++], sizeof reports[0], "%s %s %s | %s",
			 rsd_cause_info(r->cause)->name, r->host, r->url,
			 r->detail ? r->detail : "-");
}

/* The report that starts with prefix, exactly once. */
static void expect_report(const char *prefix)
{
	size_t hits = 0;
	for (size_t i = 0; i < n_reports; i++)
		hits += strncmp(reports[i], prefix, strlen(prefix)) == 0;
	if (hits != 1)
		for (size_t i = 0; i < n_reports; i++)
			fprintf(stderr, "report: %s\n", reports[i]);
	ck_assert_msg(hits == 1, "%zu reports of \"%s\"", hits, prefix);
}

static struct rsd_frontier *make(const struct rsd_config *cfg, struct rsd_state *state)
{
	memset(&stats, 0, sizeof(stats));
	n_reports = 0;
	for (int i = 0; i < 4; i++)
		atomic_store(&wakes[i], 0);
	struct rsd_frontier_options o = {
		.cfg = cfg,
		.state = state,
		.stats = &stats,
		.once = true,
		.backoff_base_ms = 100,
		.max_retries = 2,
		.wake = on_wake,
		.n_waiters = 4,
		.on_refusal = on_refusal,
	};
	struct rsd_frontier *f;
	ck_assert_int_eq(rsd_frontier_new(&o, &f), 0);
	return f;
}

static int add(struct rsd_frontier *f, unsigned n, ...)
{
	char *urls[16];
	va_list ap;
	va_start(ap, n);
	for (unsigned i = 0; i < n; i++)
		urls[i] = va_arg(ap, char *);
	va_end(ap);
	struct rsd_strv v = { .items = urls, .n = n };
	return rsd_frontier_add_start(f, &v);
}

static struct rsd_job take(struct rsd_frontier *f)
{
	struct rsd_job job;
	int64_t wait;
	int rc = rsd_frontier_next(f, 0, &job, &wait);
	ck_assert_msg(rc == 0, "next: %d (wait %lld)", rc, (long long)wait);
	return job;
}

static int64_t expect_wait(struct rsd_frontier *f, unsigned waiter)
{
	struct rsd_job job;
	int64_t wait;
	ck_assert_int_eq(rsd_frontier_next(f, waiter, &job, &wait), -EAGAIN);
	return wait;
}

static void expect_finished(struct rsd_frontier *f)
{
	struct rsd_job job;
	int64_t wait;
	ck_assert_int_eq(rsd_frontier_next(f, 0, &job, &wait), -ENODATA);
	ck_assert(rsd_frontier_finished(f));
}

START_TEST(test_scope_and_dedup)
{
	struct rsd_config *cfg = crawl_test_config(CFG_HEAD
						   "delay_ms = 0\nrobots = off\nmax_depth = 2\n"
						   "max_connections_per_host = 8\n"
						   "follow = /cat/\nrecipe = /recipe/\n");
	struct rsd_frontier *f = make(cfg, NULL);
	ck_assert_int_eq(add(f, 1, "http://a.test/"), 1);
	char *links[] = {
		"http://a.test/cat/1",
		"http://a.test/recipe/1",
		"http://a.test/about", /* matches neither follow nor recipe */
		"http://d.test/cat/x", /* host not allowed */
		"mailto:cook@a.test", /* scheme */
		"javascript:void(0)",
		"http://a.test/cat/1#comments", /* same page */
		"HTTP://A.TEST:80/cat/./1", /* same page */
		"https://a.test/cat/1", /* another scheme is another URL */
		"http://b.test/recipe/2",
		"http://a.test/", /* the start page again: not `follow` */
	};
	size_t n = sizeof(links) / sizeof(links[0]);
	ck_assert_int_eq(rsd_frontier_add_links(f, "http://a.test/", links, n, 1), 4);
	ck_assert_uint_eq(atomic_load(&stats.pages_skipped), 5);
	ck_assert_uint_eq(atomic_load(&stats.queued), 5);
	/* each refusal by cause, reported under the host of the page the
	 * links were on, with what decided */
	ck_assert_uint_eq(atomic_load(&stats.by_cause[RSD_CAUSE_OUT_OF_SCOPE]), 1);
	ck_assert_uint_eq(atomic_load(&stats.by_cause[RSD_CAUSE_NOT_FOLLOWED]), 2);
	ck_assert_uint_eq(atomic_load(&stats.by_cause[RSD_CAUSE_SCHEME]), 2);
	ck_assert_uint_eq(n_reports, 5);
	expect_report(
		"out_of_scope a.test http://d.test/cat/x | host d.test is not in allowed_hosts");
	expect_report(
		"not_followed a.test http://a.test/about | matches neither follow nor recipe");
	expect_report("not_followed a.test http://a.test/ | ");
	expect_report("scheme a.test mailto:cook@a.test | only http and https are crawled");
	expect_report("scheme a.test javascript:void(0) | ");
	/* beyond max_depth nothing is admitted: a skip, counted */
	char *deep[] = { "http://a.test/cat/deep" };
	ck_assert_int_eq(rsd_frontier_add_links(f, NULL, deep, 1, 3), 0);
	ck_assert_uint_eq(atomic_load(&stats.by_cause[RSD_CAUSE_DEPTH]), 1);
	expect_report("depth a.test http://a.test/cat/deep | -");

	const char *want[] = { "http://a.test/", "http://a.test/cat/1", "http://a.test/recipe/1",
			       "https://a.test/cat/1", "http://b.test/recipe/2" };
	bool seen[5] = { 0 };
	struct rsd_job jobs[5];
	for (int i = 0; i < 5; i++) {
		jobs[i] = take(f);
		int k;
		for (k = 0; k < 5 && strcmp(want[k], jobs[i].url) != 0; k++)
			;
		ck_assert_msg(k < 5 && !seen[k], "unexpected %s", jobs[i].url);
		seen[k] = true;
		ck_assert(jobs[i].extract == (strstr(jobs[i].url, "/recipe/") != NULL));
		ck_assert_uint_eq(jobs[i].depth, k == 0 ? 0 : 1);
	}
	ck_assert_int_eq(expect_wait(f, 0), -1); /* in flight, nothing queued */
	for (int i = 0; i < 5; i++)
		rsd_frontier_done(f, &jobs[i]);
	expect_finished(f);
	rsd_frontier_free(f);
	rsd_config_free(cfg);
}
END_TEST

START_TEST(test_per_host_delay)
{
	struct rsd_config *cfg = crawl_test_config(CFG_HEAD "delay_ms = 300\nrobots = off\n");
	struct rsd_frontier *f = make(cfg, NULL);
	ck_assert_int_eq(add(f, 3, "http://a.test/1", "http://a.test/2", "http://b.test/1"), 3);
	int64_t t0 = rsd_now_ms();
	struct rsd_job j1 = take(f), j2 = take(f);
	ck_assert(j1.host != j2.host); /* the other host does not wait for a.test */
	rsd_frontier_done(f, &j1);
	rsd_frontier_done(f, &j2);
	int64_t wait = expect_wait(f, 0);
	ck_assert_int_gt(wait, 200);
	ck_assert_int_le(wait, 300);
	crawl_wait_ms((int)wait);
	struct rsd_job j3 = take(f);
	ck_assert_str_eq(j3.url, "http://a.test/2");
	ck_assert_int_ge(rsd_now_ms() - t0, 300);
	rsd_frontier_done(f, &j3);
	expect_finished(f);
	rsd_frontier_free(f);
	rsd_config_free(cfg);
}
END_TEST

START_TEST(test_connection_limits)
{
	struct rsd_config *cfg = crawl_test_config(
		CFG_HEAD "delay_ms = 0\nrobots = off\n"
			 "max_connections = 2\nmax_connections_per_host = 1\n");
	struct rsd_frontier *f = make(cfg, NULL);
	ck_assert_int_eq(add(f, 3, "http://a.test/1", "http://a.test/2", "http://b.test/1"), 3);
	struct rsd_job j1 = take(f);
	struct rsd_job j2 = take(f);
	ck_assert(j1.host != j2.host); /* a.test's second URL waits for its first */
	ck_assert_int_eq(expect_wait(f, 1), -1); /* global limit */
	ck_assert_uint_eq(atomic_load(&stats.in_flight), 2);
	struct rsd_job *ja = strstr(j1.url, "a.test") ? &j1 : &j2;
	struct rsd_job *jb = ja == &j1 ? &j2 : &j1;
	rsd_frontier_done(f, jb);
	ck_assert_uint_ge(atomic_load(&wakes[1]), 1); /* the idle waiter is woken */
	ck_assert_int_eq(expect_wait(f, 1), -1); /* b.test is done, a.test still busy */
	rsd_frontier_done(f, ja);
	struct rsd_job j3 = take(f);
	ck_assert_str_eq(j3.url, "http://a.test/2");
	rsd_frontier_done(f, &j3);
	expect_finished(f);
	rsd_frontier_free(f);
	rsd_config_free(cfg);
}
END_TEST

START_TEST(test_robots_before_pages)
{
	struct rsd_config *cfg = crawl_test_config(CFG_HEAD "delay_ms = 0\nrobots = on\n");
	struct rsd_frontier *f = make(cfg, NULL);
	ck_assert_int_eq(add(f, 3, "http://a.test/x", "http://a.test/private/y", "http://b.test/z"),
			 3);
	struct rsd_job r1 = take(f), r2 = take(f);
	ck_assert_int_eq(r1.kind, RSD_JOB_ROBOTS);
	ck_assert_int_eq(r2.kind, RSD_JOB_ROBOTS);
	struct rsd_job *ra = strstr(r1.url, "a.test") ? &r1 : &r2;
	struct rsd_job *rb = ra == &r1 ? &r2 : &r1;
	ck_assert_str_eq(ra->url, "http://a.test/robots.txt");
	ck_assert_int_eq(expect_wait(f, 0), -1); /* no page before its robots.txt */

	const char *txt = "User-agent: *\nDisallow: /private/\n";
	struct rsd_robots *rules;
	ck_assert_int_eq(rsd_robots_parse(txt, strlen(txt), "recipe-scraperd", &rules), 0);
	rsd_frontier_robots_done(f, ra, rules);
	rsd_frontier_robots_done(f, rb, NULL); /* b.test unreachable: disallow all */
	struct rsd_job p = take(f);
	ck_assert_int_eq(p.kind, RSD_JOB_PAGE);
	ck_assert_str_eq(p.url, "http://a.test/x");
	ck_assert_int_eq(expect_wait(f, 0), -1);
	ck_assert_uint_eq(atomic_load(&stats.pages_skipped), 2); /* /private/y, b.test/z */
	/* the rule that decided is named; an unreadable robots.txt says so */
	ck_assert_uint_eq(atomic_load(&stats.by_cause[RSD_CAUSE_ROBOTS_DISALLOW]), 1);
	ck_assert_uint_eq(atomic_load(&stats.by_cause[RSD_CAUSE_ROBOTS_UNREACHABLE]), 1);
	expect_report("robots_disallow a.test http://a.test/private/y | "
		      "http://a.test/robots.txt: \"Disallow: /private/\"");
	expect_report(
		"robots_unreachable b.test http://b.test/z | robots.txt could not be fetched");
	rsd_frontier_done(f, &p);
	expect_finished(f);
	rsd_frontier_free(f);
	rsd_config_free(cfg);
}
END_TEST

/* Politeness is per host name (any scheme or port), robots.txt per origin. */
START_TEST(test_origins_share_politeness)
{
	struct rsd_config *cfg = crawl_test_config(CFG_HEAD "delay_ms = 300\nrobots = off\n");
	struct rsd_frontier *f = make(cfg, NULL);
	ck_assert_int_eq(
		add(f, 3, "http://a.test/1", "https://a.test/2", "http://user@a.test:8080/3"), 3);
	struct rsd_job j = take(f);
	ck_assert_str_eq(j.url, "http://a.test/1");
	ck_assert_int_gt(expect_wait(f, 0), 200);
	rsd_frontier_done(f, &j);
	rsd_frontier_free(f);
	rsd_config_free(cfg);

	cfg = crawl_test_config(CFG_HEAD
				"delay_ms = 0\nrobots = on\nmax_connections_per_host = 4\n");
	f = make(cfg, NULL);
	ck_assert_int_eq(add(f, 2, "http://a.test/1", "https://a.test/2"), 2);
	struct rsd_job r1 = take(f);
	ck_assert_str_eq(r1.url, "http://a.test/robots.txt");
	ck_assert_int_eq(expect_wait(f, 0), -1);
	struct rsd_robots *all;
	ck_assert_int_eq(rsd_robots_new_allow_all(&all), 0);
	rsd_frontier_robots_done(f, &r1, all);
	struct rsd_job p1 = take(f);
	ck_assert_str_eq(p1.url, "http://a.test/1");
	struct rsd_job r2 = take(f);
	ck_assert_int_eq(r2.kind, RSD_JOB_ROBOTS);
	ck_assert_str_eq(r2.url, "https://a.test/robots.txt");
	rsd_frontier_robots_done(f, &r2, NULL);
	rsd_frontier_done(f, &p1);
	expect_finished(f); /* https://a.test/2 was disallowed */
	ck_assert_uint_eq(atomic_load(&stats.pages_skipped), 1);
	rsd_frontier_free(f);
	rsd_config_free(cfg);
}
END_TEST

START_TEST(test_crawl_delay)
{
	struct rsd_config *cfg = crawl_test_config(CFG_HEAD "delay_ms = 100\nrobots = on\n");
	struct rsd_frontier *f = make(cfg, NULL);
	ck_assert_int_eq(add(f, 2, "http://a.test/1", "http://a.test/2"), 2);
	struct rsd_job r = take(f);
	const char *txt = "User-agent: *\nCrawl-delay: 0.5\n";
	struct rsd_robots *rules;
	ck_assert_int_eq(rsd_robots_parse(txt, strlen(txt), "recipe-scraperd", &rules), 0);
	rsd_frontier_robots_done(f, &r, rules);
	crawl_wait_ms((int)expect_wait(f, 0)); /* delay_ms after robots.txt */
	struct rsd_job p = take(f);
	rsd_frontier_done(f, &p);
	/* Crawl-delay (500 ms) is larger than delay_ms (100 ms): it wins */
	int64_t wait = expect_wait(f, 0);
	ck_assert_int_gt(wait, 400);
	ck_assert_int_le(wait, 500);
	rsd_frontier_free(f);
	rsd_config_free(cfg);
}
END_TEST

START_TEST(test_retry_backoff)
{
	struct rsd_config *cfg = crawl_test_config(CFG_HEAD "delay_ms = 0\nrobots = off\n");
	struct rsd_frontier *f = make(cfg, NULL);
	ck_assert_int_eq(add(f, 1, "http://a.test/flaky"), 1);
	/* exponential: ~100 ms, then ~200 ms, each with up to 50% jitter */
	for (unsigned attempt = 0; attempt < 2; attempt++) {
		struct rsd_job j = take(f);
		ck_assert_uint_eq(j.attempt, attempt);
		ck_assert(rsd_frontier_retry(f, &j, 0));
		int64_t wait = expect_wait(f, 0);
		unsigned base = 100u << attempt;
		ck_assert_int_ge(wait, base - 5);
		ck_assert_int_le(wait, base + base / 2);
		crawl_wait_ms((int)wait);
	}
	struct rsd_job j = take(f);
	ck_assert_uint_eq(j.attempt, 2);
	ck_assert(!rsd_frontier_retry(f, &j, 0)); /* max_retries = 2 */
	ck_assert_str_eq(j.url, "http://a.test/flaky"); /* still ours */
	rsd_frontier_done(f, &j);
	expect_finished(f);
	rsd_frontier_free(f);
	rsd_config_free(cfg);
}
END_TEST

START_TEST(test_retry_after)
{
	struct rsd_config *cfg = crawl_test_config(CFG_HEAD "delay_ms = 0\nrobots = off\n");
	struct rsd_frontier *f = make(cfg, NULL);
	ck_assert_int_eq(add(f, 2, "http://a.test/1", "http://a.test/2"), 2);
	struct rsd_job j = take(f);
	ck_assert(rsd_frontier_retry(f, &j, 5000));
	/* the whole host waits, and the retried URL goes first */
	int64_t wait = expect_wait(f, 0);
	ck_assert_int_gt(wait, 4900);
	ck_assert_int_le(wait, 5000);
	/* an unreasonable Retry-After is not honoured by waiting: it fails */
	rsd_frontier_stop(f);
	rsd_frontier_free(f);

	f = make(cfg, NULL);
	ck_assert_int_eq(add(f, 1, "http://a.test/1"), 1);
	j = take(f);
	ck_assert(!rsd_frontier_retry(f, &j, 3600 * 1000));
	rsd_frontier_done(f, &j);
	expect_finished(f);
	rsd_frontier_free(f);
	rsd_config_free(cfg);
}
END_TEST

/* A reload's new frontier on cfg, given the clocks k, with url queued. */
static struct rsd_frontier *reloaded(const struct rsd_config *cfg,
				     const struct rsd_frontier_clocks *k, const char *url)
{
	struct rsd_frontier *f = make(cfg, NULL);
	ck_assert_int_eq(rsd_frontier_clocks_restore(f, k), 0);
	ck_assert_int_eq(add(f, 1, url), 1);
	return f;
}

/* A reload: the old frontier's clocks (delay_ms after a.test's request,
 * b.test's Retry-After) hold the hosts in the new frontier, counted from
 * the old requests, not from the restore; a host without a clock (c.test)
 * is not held. Each wait is read once: no sleeping. */
START_TEST(test_clocks_across_reload)
{
	struct rsd_config *cfg = crawl_test_config(CFG_HEAD "delay_ms = 3000\nrobots = off\n");
	struct rsd_frontier *old = make(cfg, NULL);
	ck_assert_int_eq(add(old, 2, "http://a.test/1", "http://b.test/1"), 2);
	struct rsd_job a = take(old), b = take(old);
	ck_assert_str_eq(a.url, "http://a.test/1");
	rsd_frontier_done(old, &a);
	ck_assert(rsd_frontier_retry(old, &b, 20000)); /* Retry-After: 20 */
	rsd_frontier_stop(old);
	struct rsd_frontier_clocks *k = NULL;
	ck_assert_int_eq(rsd_frontier_clocks_save(old, &k), 0);
	ck_assert_ptr_nonnull(k);
	rsd_frontier_free(old);

	struct rsd_frontier *new = reloaded(cfg, k, "http://a.test/2");
	int64_t wait = expect_wait(new, 0);
	ck_assert_int_gt(wait, 0);
	ck_assert_int_le(wait, 3000);
	ck_assert_int_eq(add(new, 1, "http://c.test/1"), 1);
	struct rsd_job c = take(new);
	ck_assert_str_eq(c.url, "http://c.test/1");
	rsd_frontier_done(new, &c);
	rsd_frontier_free(new);

	new = reloaded(cfg, k, "http://b.test/2");
	rsd_frontier_clocks_free(k);
	wait = expect_wait(new, 0);
	ck_assert_int_gt(wait, 15000); /* the Retry-After, not delay_ms */
	ck_assert_int_le(wait, 20000);
	rsd_frontier_free(new);

	/* No host asked: nothing kept (*out set to NULL). */
	struct rsd_config *fast = crawl_test_config(CFG_HEAD "delay_ms = 0\nrobots = off\n");
	old = make(fast, NULL);
	ck_assert_int_eq(add(old, 1, "http://a.test/1"), 1);
	k = (struct rsd_frontier_clocks *)fast; /* any non-NULL value, never read */
	ck_assert_int_eq(rsd_frontier_clocks_save(old, &k), 0);
	ck_assert_ptr_null(k);
	ck_assert_int_eq(rsd_frontier_clocks_restore(old, NULL), 0);
	rsd_frontier_free(old);
	rsd_config_free(fast);
	rsd_config_free(cfg);
}
END_TEST

/* The clock carried for a host asked just before a reload (old delay_ms)
 * and a new delay_ms: the new frontier holds the host until the later of
 * the old deadline and that request + the new delay_ms. Raised from 0 to
 * 3000 ms, the first request after the reload waits 3 s since the last
 * one before it (it went at once before); lowered, the old deadline stands
 * (test_clocks_across_reload). */
START_TEST(test_clocks_raised_delay)
{
	struct rsd_config *quick = crawl_test_config(CFG_HEAD "delay_ms = 0\nrobots = off\n");
	struct rsd_config *slow = crawl_test_config(CFG_HEAD "delay_ms = 3000\nrobots = off\n");
	struct rsd_frontier *old = make(quick, NULL);
	ck_assert_int_eq(add(old, 1, "http://a.test/1"), 1);
	int64_t asked = rsd_now_ms();
	struct rsd_job a = take(old);
	rsd_frontier_done(old, &a);
	rsd_frontier_stop(old);
	struct rsd_frontier_clocks *k = NULL;
	ck_assert_int_eq(rsd_frontier_clocks_save(old, &k), 0);
	ck_assert_ptr_nonnull(k); /* asked, though not waiting under delay_ms = 0 */
	rsd_frontier_free(old);

	struct rsd_frontier *new = reloaded(quick, k, "http://a.test/2");
	a = take(new); /* the same delay_ms: no wait */
	rsd_frontier_done(new, &a);
	rsd_frontier_free(new);

	new = reloaded(slow, k, "http://a.test/2");
	rsd_frontier_clocks_free(k);
	int64_t wait = expect_wait(new, 0);
	ck_assert_int_le(wait, 3000);
	ck_assert_int_ge(rsd_now_ms() + wait - asked, 3000);
	rsd_frontier_free(new);
	rsd_config_free(quick);
	rsd_config_free(slow);
}
END_TEST

START_TEST(test_max_pages)
{
	struct rsd_config *cfg = crawl_test_config(CFG_HEAD
						   "delay_ms = 0\nrobots = off\nmax_pages = 2\n"
						   "max_connections_per_host = 8\n");
	struct rsd_frontier *f = make(cfg, NULL);
	ck_assert_int_eq(add(f, 3, "http://a.test/1", "http://a.test/2", "http://a.test/3"), 3);
	struct rsd_job j1 = take(f), j2 = take(f);
	ck_assert_int_eq(expect_wait(f, 0), -1);
	ck_assert_uint_eq(atomic_load(&stats.pages_skipped), 1);
	ck_assert_uint_eq(atomic_load(&stats.by_cause[RSD_CAUSE_MAX_PAGES]), 1);
	expect_report("max_pages a.test http://a.test/3 | -");
	/* what comes after the limit is not needed, not refused */
	char *more[] = { "http://a.test/4" };
	ck_assert_int_eq(rsd_frontier_add_links(f, NULL, more, 1, 1), 0);
	ck_assert_uint_eq(atomic_load(&stats.pages_skipped), 1);
	rsd_frontier_done(f, &j1);
	rsd_frontier_done(f, &j2);
	expect_finished(f);
	rsd_frontier_free(f);
	rsd_config_free(cfg);
}
END_TEST

static size_t reports_of(const char *prefix)
{
	size_t hits = 0;
	for (size_t i = 0; i < n_reports; i++)
		hits += strncmp(reports[i], prefix, strlen(prefix)) == 0;
	return hits;
}

/* The frontier holds at most max_queued URLs, max_queued_per_host of one
 * host: beyond, links (and sitemap entries, admitted the same way) are
 * refused as queue_full, counted, and admitted again once there is room. */
START_TEST(test_queue_bounds)
{
	struct rsd_config *cfg = crawl_test_config(CFG_HEAD
						   "delay_ms = 0\nrobots = off\n"
						   "max_queued = 5\nmax_queued_per_host = 3\n"
						   "max_connections_per_host = 8\n");
	struct rsd_frontier *f = make(cfg, NULL);
	char *a[] = { "http://a.test/1", "http://a.test/2", "http://a.test/3", "http://a.test/4" };
	ck_assert_int_eq(rsd_frontier_add_links(f, NULL, a, 4, 1), 3);
	ck_assert_uint_eq(reports_of("queue_full a.test http://a.test/4 | frontier full"), 1);
	char *b[] = { "http://b.test/1", "http://b.test/2", "http://c.test/1" };
	ck_assert_int_eq(rsd_frontier_add_links(f, NULL, b, 3, 1), 2);
	ck_assert_uint_eq(reports_of("queue_full c.test http://c.test/1 | frontier full (5 URLs"),
			  1);
	ck_assert_uint_eq(atomic_load(&stats.queued), 5);
	ck_assert_uint_eq(atomic_load(&stats.by_cause[RSD_CAUSE_QUEUE_FULL]), 2);
	/* room again: the refused URLs were not marked seen */
	struct rsd_job j = take(f);
	ck_assert(strncmp(j.url, "http://a.test/", 14) == 0 ||
		  strncmp(j.url, "http://b.test/", 14) == 0);
	char *again[] = { j.url[7] == 'a' ? "http://a.test/4" : "http://c.test/1" };
	ck_assert_int_eq(rsd_frontier_add_links(f, NULL, again, 1, 1), 1);
	ck_assert_uint_eq(atomic_load(&stats.queued), 5);
	rsd_frontier_done(f, &j);
	for (int i = 0; i < 5; i++) {
		struct rsd_job k = take(f);
		rsd_frontier_done(f, &k);
	}
	expect_finished(f);
	rsd_frontier_free(f);
	rsd_config_free(cfg);
}
END_TEST

START_TEST(test_redirects)
{
	struct rsd_config *cfg = crawl_test_config(CFG_HEAD
						   "delay_ms = 0\nrobots = off\nfollow = /cat/\n");
	struct rsd_frontier *f = make(cfg, NULL);
	ck_assert_int_eq(add(f, 1, "http://a.test/cat/"), 1);
	struct rsd_job j = take(f);
	/* follow does not apply to a redirect: it is the same page */
	ck_assert_int_eq(rsd_frontier_add_redirect(f, &j, "/moved/here"), 0);
	ck_assert_int_eq(rsd_frontier_add_redirect(f, &j, "/moved/here"), -EEXIST);
	ck_assert_int_eq(rsd_frontier_add_redirect(f, &j, "http://evil.test/"), -EPERM);
	ck_assert_int_eq(rsd_frontier_add_redirect(f, &j, "ftp://a.test/x"), -EPROTONOSUPPORT);
	rsd_frontier_done(f, &j);
	j = take(f);
	ck_assert_str_eq(j.url, "http://a.test/moved/here");
	ck_assert_uint_eq(j.redirects, 1);
	j.redirects = 5;
	ck_assert_int_eq(rsd_frontier_add_redirect(f, &j, "/6"), -ELOOP);
	rsd_frontier_done(f, &j);
	expect_finished(f);
	/* refused hops are reported under the redirecting page's host */
	ck_assert_uint_eq(n_reports, 3);
	expect_report("out_of_scope a.test http://a.test/cat/ | redirect to http://evil.test/: "
		      "host evil.test is not in allowed_hosts");
	expect_report("scheme a.test http://a.test/cat/ | redirect to ftp://a.test/x: "
		      "only http and https are crawled");
	expect_report(
		"redirect a.test http://a.test/moved/here | more than 5 redirects, the last to /6");
	rsd_frontier_free(f);
	rsd_config_free(cfg);
}
END_TEST

/* robots.txt at a non-public address: the origin's pages are refused for
 * that address, not for robots.txt. */
START_TEST(test_robots_unavailable_says_why)
{
	struct rsd_config *cfg = crawl_test_config(CFG_HEAD "delay_ms = 0\nrobots = on\n");
	struct rsd_frontier *f = make(cfg, NULL);
	ck_assert_int_eq(add(f, 2, "http://a.test/1", "http://a.test/2"), 2);
	struct rsd_job r = take(f);
	ck_assert_int_eq(r.kind, RSD_JOB_ROBOTS);
	rsd_frontier_robots_unavailable(f, &r, RSD_CAUSE_PRIVATE_ADDRESS,
					"127.0.0.1 is a loopback address (127.0.0.0/8)");
	expect_finished(f);
	ck_assert_uint_eq(atomic_load(&stats.by_cause[RSD_CAUSE_PRIVATE_ADDRESS]), 2);
	ck_assert_uint_eq(atomic_load(&stats.by_cause[RSD_CAUSE_ROBOTS_UNREACHABLE]), 0);
	ck_assert_uint_eq(atomic_load(&stats.pages_skipped), 2);
	expect_report("private_address a.test http://a.test/1 | 127.0.0.1 is a loopback address");
	expect_report("private_address a.test http://a.test/2 | 127.0.0.1 is a loopback address");
	rsd_frontier_free(f);
	rsd_config_free(cfg);
}
END_TEST

/* A frontier that fetched a.test's rules (Disallow: /no, Crawl-delay: 2)
 * and was refused b.test's robots.txt for its loopback address: what it
 * keeps for the next one. */
static struct rsd_frontier_robots *verdicts_before_reload(const struct rsd_config *cfg)
{
	static const char rules[] = "User-agent: *\nDisallow: /no\nCrawl-delay: 2\n";
	struct rsd_frontier *old = make(cfg, NULL);
	ck_assert_int_eq(add(old, 2, "http://a.test/1", "http://b.test/1"), 2);
	for (int i = 0; i < 2; i++) {
		struct rsd_job r = take(old);
		ck_assert_int_eq(r.kind, RSD_JOB_ROBOTS);
		struct rsd_robots *parsed;
		if (strstr(r.url, "://a.test/")) {
			ck_assert_int_eq(
				rsd_robots_parse(rules, strlen(rules), "recipe-scraperd", &parsed),
				0);
			rsd_frontier_robots_done(old, &r, parsed);
		} else {
			rsd_frontier_robots_unavailable(old, &r, RSD_CAUSE_PRIVATE_ADDRESS,
							"127.0.0.1 is a loopback address");
		}
	}
	rsd_frontier_stop(old);
	struct rsd_frontier_robots *k = NULL;
	ck_assert_int_eq(rsd_frontier_robots_save(old, &k), 0);
	ck_assert_ptr_nonnull(k);
	rsd_frontier_free(old);
	return k;
}

/* The same settings: the carried rules refuse a.test/no and their
 * Crawl-delay spaces a.test's requests, b.test stays refused for its
 * address, and no robots.txt is asked for. */
START_TEST(test_robots_verdicts_across_reload)
{
	struct rsd_config *cfg = crawl_test_config(CFG_HEAD "delay_ms = 0\n");
	struct rsd_frontier_robots *k = verdicts_before_reload(cfg);
	struct rsd_frontier *f = make(cfg, NULL);
	ck_assert_int_eq(rsd_frontier_robots_restore(f, k), 0);
	rsd_frontier_robots_free(k);
	ck_assert_int_eq(add(f, 4, "http://a.test/no", "http://a.test/1", "http://a.test/2",
			     "http://b.test/1"),
			 4);
	struct rsd_job j = take(f);
	ck_assert_int_eq(j.kind, RSD_JOB_PAGE);
	ck_assert_str_eq(j.url, "http://a.test/1");
	rsd_frontier_done(f, &j);
	int64_t wait = expect_wait(f, 0); /* b.test/1 refused meanwhile */
	ck_assert_int_gt(wait, 1000);
	ck_assert_int_le(wait, 2000);
	expect_report("robots_disallow a.test http://a.test/no | http://a.test/robots.txt: "
		      "\"Disallow: /no\"");
	expect_report("private_address b.test http://b.test/1 | 127.0.0.1 is a loopback address");
	ck_assert_uint_eq(n_reports, 2);
	rsd_frontier_free(f);
	rsd_config_free(cfg);
}
END_TEST

/* Other settings: allow_private_addresses changed, b.test's robots.txt is
 * asked for again (a.test's rules stay); robots = off, the carried rules
 * are not applied. */
START_TEST(test_robots_verdicts_follow_settings)
{
	struct rsd_config *cfg = crawl_test_config(CFG_HEAD "delay_ms = 0\n");
	struct rsd_config *open = crawl_test_config(CFG_HEAD "delay_ms = 0\n"
							     "allow_private_addresses = on\n");
	struct rsd_config *off = crawl_test_config(CFG_HEAD "delay_ms = 0\nrobots = off\n");
	struct rsd_frontier_robots *k = verdicts_before_reload(cfg);
	struct rsd_frontier *f = make(open, NULL);
	ck_assert_int_eq(rsd_frontier_robots_restore(f, k), 0);
	ck_assert_int_eq(add(f, 1, "http://b.test/1"), 1);
	struct rsd_job j = take(f);
	ck_assert_int_eq(j.kind, RSD_JOB_ROBOTS);
	ck_assert_str_eq(j.url, "http://b.test/robots.txt");
	rsd_frontier_robots_done(f, &j, NULL);
	ck_assert_int_eq(add(f, 1, "http://a.test/no"), 1);
	expect_finished(f); /* b.test/1 refused (no rules), a.test/no by the carried ones */
	expect_report("robots_disallow a.test http://a.test/no ");
	rsd_frontier_free(f);

	f = make(off, NULL);
	ck_assert_int_eq(rsd_frontier_robots_restore(f, k), 0);
	rsd_frontier_robots_free(k);
	ck_assert_int_eq(add(f, 1, "http://a.test/no"), 1);
	j = take(f);
	ck_assert_str_eq(j.url, "http://a.test/no");
	rsd_frontier_done(f, &j);
	rsd_frontier_free(f);
	rsd_config_free(cfg);
	rsd_config_free(open);
	rsd_config_free(off);
}
END_TEST

START_TEST(test_delivered_not_admitted)
{
	struct rsd_config *cfg = crawl_test_config(CFG_HEAD "delay_ms = 0\nrobots = off\n");
	struct rsd_state *st;
	ck_assert_int_eq(rsd_state_open(NULL, &st), 0);
	ck_assert_int_eq(rsd_state_set_scope(st, "test-cluster", "parsed_recipes"), 0);
	ck_assert_int_eq(rsd_state_set_fetched(st, "http://a.test/done", time(NULL), NULL, NULL, 1),
			 0);
	ck_assert_int_eq(rsd_state_mark_delivered(st, "http://a.test/done", 1), 0);
	struct rsd_frontier *f = make(cfg, st);
	ck_assert_int_eq(add(f, 2, "http://a.test/done", "http://a.test/todo"), 1);
	ck_assert_uint_eq(atomic_load(&stats.by_cause[RSD_CAUSE_DELIVERED]), 1);
	expect_report("delivered a.test http://a.test/done | -");
	struct rsd_job j = take(f);
	ck_assert_str_eq(j.url, "http://a.test/todo");
	rsd_frontier_done(f, &j);
	expect_finished(f);
	rsd_frontier_free(f);
	rsd_state_close(st);
	rsd_config_free(cfg);
}
END_TEST

START_TEST(test_wake_and_stop)
{
	struct rsd_config *cfg = crawl_test_config(CFG_HEAD "delay_ms = 0\nrobots = off\n");
	struct rsd_frontier *f = make(cfg, NULL);
	ck_assert_int_eq(add(f, 1, "http://a.test/"), 1);
	struct rsd_job j = take(f);
	ck_assert_int_eq(expect_wait(f, 2), -1);
	char *links[] = { "http://b.test/x" };
	ck_assert_int_eq(rsd_frontier_add_links(f, NULL, links, 1, 1), 1);
	ck_assert_uint_eq(atomic_load(&wakes[2]), 1);
	ck_assert_uint_eq(atomic_load(&wakes[3]), 0); /* only idle waiters */
	rsd_frontier_stop(f);
	struct rsd_job k;
	int64_t wait;
	ck_assert_int_eq(rsd_frontier_next(f, 1, &k, &wait), -ESHUTDOWN);
	ck_assert_uint_eq(atomic_load(&wakes[3]), 1); /* stop wakes everyone */
	rsd_frontier_done(f, &j);
	ck_assert(!rsd_frontier_finished(f));
	rsd_frontier_free(f); /* frees the URL still queued */
	rsd_config_free(cfg);
}
END_TEST

START_TEST(test_recrawl_round)
{
	struct rsd_config *cfg = crawl_test_config(
		CFG_HEAD "delay_ms = 0\nrobots = off\nrecrawl_interval_s = 1\n");
	struct rsd_frontier *f = make(cfg, NULL);
	rsd_frontier_set_once(f, false);
	ck_assert_int_eq(add(f, 1, "http://a.test/"), 1);
	struct rsd_job j = take(f);
	rsd_frontier_done(f, &j);
	int64_t wait = expect_wait(f, 0); /* drained: wait for the next round */
	ck_assert_int_gt(wait, 500);
	ck_assert_int_le(wait, 1000);
	crawl_wait_ms((int)wait);
	ck_assert_int_eq(expect_wait(f, 0), 0); /* the round starts */
	j = take(f);
	ck_assert_str_eq(j.url, "http://a.test/");
	rsd_frontier_done(f, &j);
	ck_assert(!rsd_frontier_finished(f));
	rsd_frontier_free(f);
	rsd_config_free(cfg);
}
END_TEST

/* ---- robots.txt verdicts outside the lock, four workers ---- */

#define VERDICT_PAGES 200 /* per host and kind: /okN allowed, /noN refused */

struct drain {
	struct rsd_frontier *f;
	int efd[4];
	atomic_uint got[2][VERDICT_PAGES]; /* dispatches of a.test's, b.test's /okN */
	atomic_uint other; /* dispatches of anything else */
	atomic_uint dispatched; /* all of them */
	atomic_uint finished; /* workers that saw -ENODATA */
	atomic_uint early; /* ... before every allowed page was dispatched */
};

static void drain_wake(void *ctx, unsigned waiter)
{
	struct drain *d = ctx;
	uint64_t one = 1;
	(void)!write(d->efd[waiter], &one, sizeof(one));
}

static void record_dispatch(struct drain *d, const char *url)
{
	unsigned n;
	char host;
	if (sscanf(url, "http://%c.test/ok%u", &host, &n) == 2 && (host == 'a' || host == 'b') &&
	    n < VERDICT_PAGES)
		atomic_fetch_add(&d->got[host - 'a'][n], 1);
	else
		atomic_fetch_add(&d->other, 1);
	atomic_fetch_add(&d->dispatched, 1);
}

/* A worker: takes jobs and ends them at once until the crawl is over;
 * sleeps on its eventfd (bounded) when told to wait. */
static void *drain_worker(void *arg)
{
	struct drain *d = ((void **)arg)[0];
	unsigned id = (unsigned)(uintptr_t)((void **)arg)[1];
	for (int i = 0; i < 100000; i++) {
		struct rsd_job job;
		int64_t wait;
		int rc = rsd_frontier_next(d->f, id, &job, &wait);
		if (rc == 0) {
			record_dispatch(d, job.url);
			rsd_frontier_done(d->f, &job);
		} else if (rc == -EAGAIN) {
			struct pollfd p = { .fd = d->efd[id], .events = POLLIN };
			poll(&p, 1, wait < 0 || wait > 5000 ? 5000 : (int)wait);
			uint64_t v;
			(void)!read(d->efd[id], &v, sizeof(v));
		} else {
			if (rc == -ENODATA)
				atomic_fetch_add(&d->finished, 1);
			if (rc == -ENODATA && atomic_load(&d->dispatched) < 2 * VERDICT_PAGES)
				atomic_fetch_add(&d->early, 1);
			break;
		}
	}
	return NULL;
}

static void add_verdict_pages(struct rsd_frontier *f)
{
	char *urls[4 * VERDICT_PAGES];
	for (unsigned i = 0; i < VERDICT_PAGES; i++)
		for (unsigned k = 0; k < 4; k++)
			ck_assert_int_ge(asprintf(&urls[4 * i + k], "http://%c.test/%s%u",
						  k % 2 ? 'b' : 'a', k < 2 ? "ok" : "no", i),
					 0);
	struct rsd_strv v = { .items = urls, .n = 4 * VERDICT_PAGES };
	ck_assert_int_eq(rsd_frontier_add_start(f, &v), 4 * VERDICT_PAGES);
	for (unsigned i = 0; i < 4 * VERDICT_PAGES; i++)
		free(urls[i]);
}

/* Four workers drain two hosts whose robots.txt refuses half the pages:
 * every allowed page is dispatched exactly once, every refused one is
 * skipped, and no worker sees the crawl finished while verdicts are still
 * being taken (each ends with -ENODATA only after all of it). */
START_TEST(test_verdicts_outside_lock)
{
	struct rsd_config *cfg = crawl_test_config(CFG_HEAD "delay_ms = 0\nrobots = on\n"
							    "max_connections_per_host = 4\n");
	static struct drain d;
	memset(&d, 0, sizeof(d));
	memset(&stats, 0, sizeof(stats));
	for (int i = 0; i < 4; i++)
		ck_assert_int_ge(d.efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), 0);
	struct rsd_frontier_options o = { .cfg = cfg,
					  .stats = &stats,
					  .once = true,
					  .max_retries = 1,
					  .wake = drain_wake,
					  .wake_ctx = &d,
					  .n_waiters = 4 };
	ck_assert_int_eq(rsd_frontier_new(&o, &d.f), 0);
	add_verdict_pages(d.f);
	/* thousands of rules that match nothing make each verdict take a
	 * while, so that workers often meet while one is pending */
	char *txt = malloc(RSD_ROBOTS_MAX_RULES * 24);
	size_t n = (size_t)sprintf(txt, "User-agent: *\nDisallow: /no\n");
	for (int i = 0; i < RSD_ROBOTS_MAX_RULES - 1; i++)
		n += (size_t)sprintf(txt + n, "Disallow: /*q%d\n", i);
	for (int i = 0; i < 2; i++) {
		struct rsd_job r = take(d.f);
		ck_assert_int_eq(r.kind, RSD_JOB_ROBOTS);
		struct rsd_robots *rules;
		ck_assert_int_eq(rsd_robots_parse(txt, n, "recipe-scraperd", &rules), 0);
		rsd_frontier_robots_done(d.f, &r, rules);
	}
	free(txt);
	pthread_t t[4];
	void *args[4][2];
	for (uintptr_t i = 0; i < 4; i++) {
		args[i][0] = &d;
		args[i][1] = (void *)i;
		ck_assert_int_eq(pthread_create(&t[i], NULL, drain_worker, args[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert_uint_eq(atomic_load(&d.finished), 4);
	ck_assert_uint_eq(atomic_load(&d.early), 0);
	ck_assert_uint_eq(atomic_load(&d.other), 0);
	for (int h = 0; h < 2; h++)
		for (int i = 0; i < VERDICT_PAGES; i++)
			ck_assert_msg(atomic_load(&d.got[h][i]) == 1, "%c.test/ok%d: %u", 'a' + h,
				      i, atomic_load(&d.got[h][i]));
	ck_assert_uint_eq(atomic_load(&stats.pages_skipped), 2 * VERDICT_PAGES);
	rsd_frontier_free(d.f);
	for (int i = 0; i < 4; i++)
		close(d.efd[i]);
	rsd_config_free(cfg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("frontier");
	TCase *tc = tcase_create("frontier");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_scope_and_dedup);
	tcase_add_test(tc, test_per_host_delay);
	tcase_add_test(tc, test_connection_limits);
	tcase_add_test(tc, test_robots_before_pages);
	tcase_add_test(tc, test_origins_share_politeness);
	tcase_add_test(tc, test_crawl_delay);
	tcase_add_test(tc, test_retry_backoff);
	tcase_add_test(tc, test_retry_after);
	tcase_add_test(tc, test_clocks_across_reload);
	tcase_add_test(tc, test_clocks_raised_delay);
	tcase_add_test(tc, test_max_pages);
	tcase_add_test(tc, test_queue_bounds);
	tcase_add_test(tc, test_redirects);
	tcase_add_test(tc, test_delivered_not_admitted);
	tcase_add_test(tc, test_robots_unavailable_says_why);
	tcase_add_test(tc, test_robots_verdicts_across_reload);
	tcase_add_test(tc, test_robots_verdicts_follow_settings);
	tcase_add_test(tc, test_wake_and_stop);
	tcase_add_test(tc, test_recrawl_round);
	tcase_add_test(tc, test_verdicts_outside_lock);
	suite_add_tcase(s, tc);
	return rsd_check_run(s);
}
