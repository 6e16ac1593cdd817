/* SPDX-License-Identifier: MIT */
/* Cluster mode without Kafka: the frontier's hooks (routing instead of
 * queueing, owned URLs with tickets, settling, releasing a partition's
 * hosts) and the bookkeeping that turns settled tickets into commit points
 * (crawl_cluster_book.c). */

#include "crawl/crawl_cluster_book.h"
#include "check_main.h"
#include "crawl_test.h"
#include "crawl/frontier.h"
#include "crawl/scraper.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CFG_HEAD "[scraper]\nstart_urls = http://a.test/\nallowed_hosts = a.test b.test\n"

struct hooks {
	char routed[8][128];
	unsigned routed_depth[8];
	size_t n_routed;
	uint64_t settled[16];
	enum rsd_settle how[16];
	size_t n_settled;
};

static int on_route(void *ctx, const char *url, const char *host, unsigned depth,
		    unsigned redirects, bool sitemap)
{
	struct hooks *h = ctx;
	ck_assert_uint_lt(h->n_routed, 8);
	ck_assert_ptr_nonnull(strstr(url, host));
	h->routed_depth[h->n_routed] = depth;
	snprintf(h->routed[h->n_routed++], sizeof h->routed[0], "%s", url);
	return 0;
}

static void on_settle(void *ctx, uint64_t ticket, enum rsd_settle how)
{
	struct hooks *h = ctx;
	ck_assert_uint_lt(h->n_settled, 16);
	h->how[h->n_settled] = how;
	h->settled[h->n_settled++] = ticket;
}

static struct rsd_frontier *make_daemon(const struct rsd_config *cfg, struct hooks *h, bool once)
{
	static struct rsd_scraper_stats stats;
	struct rsd_frontier_options o = {
		.cfg = cfg, .stats = &stats, .once = once, .n_waiters = 1
	};
	struct rsd_frontier *f;
	ck_assert_int_eq(rsd_frontier_new(&o, &f), 0);
	memset(h, 0, sizeof *h);
	struct rsd_frontier_cluster c = { .route = on_route, .settle = on_settle, .ctx = h };
	rsd_frontier_set_cluster(f, &c);
	return f;
}

static struct rsd_frontier *make(const struct rsd_config *cfg, struct hooks *h)
{
	return make_daemon(cfg, h, true);
}

static struct rsd_job take(struct rsd_frontier *f)
{
	struct rsd_job job;
	int64_t wait;
	ck_assert_int_eq(rsd_frontier_next(f, 0, &job, &wait), 0);
	return job;
}

/* Admitted URLs are routed, once per round, not queued; owned ones are
 * queued with their ticket and settled when their job ends. */
START_TEST(test_route_then_own)
{
	struct rsd_config *cfg = crawl_test_config(CFG_HEAD "delay_ms = 0\nrobots = off\n");
	struct hooks h;
	struct rsd_frontier *f = make(cfg, &h);
	char *links[] = { "http://b.test/x", "http://b.test/x", "http://c.test/out" };
	ck_assert_int_eq(rsd_frontier_add_links(f, "http://a.test/", links, 3, 1), 1);
	ck_assert_uint_eq(h.n_routed, 1); /* the duplicate once, the out-of-scope never */
	ck_assert_str_eq(h.routed[0], "http://b.test/x");
	ck_assert_uint_eq(h.routed_depth[0], 1);
	struct rsd_job job;
	int64_t wait;
	ck_assert_int_eq(rsd_frontier_next(f, 0, &job, &wait), -ENODATA); /* nothing queued here */

	ck_assert_int_eq(rsd_frontier_add_owned(f, "http://b.test/x", 1, 0, false, 77), 0);
	ck_assert_int_eq(rsd_frontier_add_owned(f, "http://b.test/y", 1, 0, false, 0), -EINVAL);
	ck_assert_int_eq(rsd_frontier_add_owned(f, "http://c.test/z", 1, 0, false, 78), -EPERM);
	job = take(f);
	ck_assert_uint_eq(job.ticket, 77);
	ck_assert_uint_eq(h.n_settled, 0);
	/* A retry carries the ticket on; the end of the job settles it. */
	ck_assert(rsd_frontier_retry(f, &job, 1));
	ck_assert_uint_eq(h.n_settled, 0);
	crawl_wait_ms(5);
	job = take(f);
	ck_assert_uint_eq(job.ticket, 77);
	rsd_frontier_done(f, &job);
	ck_assert_uint_eq(h.n_settled, 1);
	ck_assert_uint_eq(h.settled[0], 77);
	ck_assert_int_eq(h.how[0], RSD_SETTLED);
	rsd_frontier_free(f);
	rsd_config_free(cfg);
}
END_TEST

static bool keep_a(void *ctx, const char *host)
{
	return strcmp(host, "a.test") == 0;
}

/* A daemon without recrawl rounds (recrawl_interval_s = 0): its start URL
 * is routed, so its frontier is empty until the URL comes back from
 * frontier_topic; it must wait for it, not finish (its workers would exit
 * and the URL would never be fetched). */
START_TEST(test_no_rounds_waits_for_the_group)
{
	struct rsd_config *cfg = crawl_test_config(
		CFG_HEAD "delay_ms = 0\nrobots = off\nrecrawl_interval_s = 0\n");
	struct hooks h;
	struct rsd_frontier *f = make_daemon(cfg, &h, false);
	struct rsd_job job;
	int64_t wait;
	ck_assert_int_eq(rsd_frontier_add_start(f, &cfg->start_urls), 1);
	ck_assert_uint_eq(h.n_routed, 1);
	ck_assert_int_eq(rsd_frontier_next(f, 0, &job, &wait), -EAGAIN);
	ck_assert_int_eq(wait, -1); /* woken when a URL is queued */
	ck_assert(!rsd_frontier_finished(f));
	ck_assert_int_eq(rsd_frontier_add_owned(f, h.routed[0], 0, 0, false, 7), 0);
	job = take(f);
	ck_assert_str_eq(job.url, "http://a.test/");
	rsd_frontier_done(f, &job);
	ck_assert_int_eq(rsd_frontier_next(f, 0, &job, &wait), -EAGAIN);
	ck_assert(!rsd_frontier_finished(f));
	ck_assert_uint_eq(h.n_settled, 1);
	ck_assert_uint_eq(h.settled[0], 7);
	rsd_frontier_free(f);
	rsd_config_free(cfg);
}
END_TEST

/* A frontier owning three URLs on two hosts, one request per host at a
 * time, with tickets 1 (b.test/1), 2 (b.test/2) and 3 (a.test/1). */
static struct rsd_frontier *make_owning_three(struct rsd_config **cfg, struct hooks *h)
{
	*cfg = crawl_test_config(CFG_HEAD "delay_ms = 0\nrobots = off\n"
					  "max_connections_per_host = 1\n");
	struct rsd_frontier *f = make(*cfg, h);
	ck_assert_int_eq(rsd_frontier_add_owned(f, "http://b.test/1", 1, 0, false, 1), 0);
	ck_assert_int_eq(rsd_frontier_add_owned(f, "http://b.test/2", 1, 0, false, 2), 0);
	ck_assert_int_eq(rsd_frontier_add_owned(f, "http://a.test/1", 1, 0, false, 3), 0);
	return f;
}

/* A revoked partition's hosts: queued URLs dropped and abandoned, the job
 * in flight runs to its end. */
START_TEST(test_release_hosts)
{
	struct rsd_config *cfg;
	struct hooks h;
	struct rsd_frontier *f = make_owning_three(&cfg, &h);
	ck_assert_uint_eq(rsd_frontier_count_hosts(f, NULL, NULL), 2);
	struct rsd_job first = take(f);
	ck_assert_uint_eq(rsd_frontier_release_hosts(f, keep_a, NULL),
			  strcmp(first.url, "http://b.test/1") == 0 ? 1 : 2);
	ck_assert_uint_eq(rsd_frontier_count_hosts(f, keep_a, NULL), 1);
	for (size_t i = 0; i < h.n_settled; i++)
		ck_assert_int_eq(h.how[i], RSD_ABANDONED);
	size_t abandoned = h.n_settled;
	rsd_frontier_done(f, &first);
	ck_assert_uint_eq(h.n_settled, abandoned + 1);
	ck_assert_int_eq(h.how[abandoned], RSD_SETTLED);
	rsd_frontier_free(f);
	rsd_config_free(cfg);
}
END_TEST

/* Freed with URLs still queued (a stop, a reload): each ticket is settled
 * once, abandoned, so the partition's next owner reads it again and the
 * stop's summary counts it; one already settled is not settled again. */
START_TEST(test_free_abandons_queued)
{
	struct rsd_config *cfg;
	struct hooks h;
	struct rsd_frontier *f = make_owning_three(&cfg, &h);
	struct rsd_job first = take(f);
	rsd_frontier_done(f, &first);
	ck_assert_uint_eq(h.n_settled, 1);
	ck_assert_int_eq(h.how[0], RSD_SETTLED);
	rsd_frontier_free(f);
	ck_assert_uint_eq(h.n_settled, 3);
	bool seen[3] = { false };
	for (size_t i = 0; i < 3; i++) {
		ck_assert_uint_ge(h.settled[i], 1);
		ck_assert_uint_le(h.settled[i], 3);
		ck_assert(!seen[h.settled[i] - 1]);
		seen[h.settled[i] - 1] = true;
		ck_assert_int_eq(h.how[i], i == 0 ? RSD_SETTLED : RSD_ABANDONED);
	}
	rsd_config_free(cfg);
}
END_TEST

struct clocks {
	char host[8][32];
	int64_t wait_ms[8];
	size_t n;
};

static void on_clock(void *ctx, const char *host, int64_t wait_ms)
{
	struct clocks *k = ctx;
	ck_assert_uint_lt(k->n, 8);
	snprintf(k->host[k->n], sizeof k->host[0], "%s", host);
	k->wait_ms[k->n++] = wait_ms;
}

static int64_t next_wait(struct rsd_frontier *f)
{
	struct rsd_job job;
	int64_t wait;
	ck_assert_int_eq(rsd_frontier_next(f, 0, &job, &wait), -EAGAIN);
	return wait;
}

/* A host changing owner: the old owner's last request start (delay_ms
 * ago at most) travels with it, and the new owner's first request waits
 * for the rest; a host not handed over is not held. No clock is read
 * twice here: the waits are what next() computes from one instant. */
START_TEST(test_handoff_clock)
{
	struct rsd_config *cfg = crawl_test_config(CFG_HEAD "delay_ms = 5000\nrobots = off\n");
	struct hooks h_old, h_new;
	struct rsd_frontier *old = make(cfg, &h_old), *new = make(cfg, &h_new);
	ck_assert_int_eq(rsd_frontier_add_owned(old, "http://b.test/1", 1, 0, false, 1), 0);
	ck_assert_int_eq(rsd_frontier_add_owned(old, "http://a.test/1", 1, 0, false, 2), 0);
	struct rsd_job b = take(old), a = take(old);
	ck_assert_str_eq(b.url, "http://b.test/1");
	rsd_frontier_release_hosts(old, keep_a, NULL); /* b.test's partition goes */
	rsd_frontier_done(old, &b);
	rsd_frontier_done(old, &a);
	struct clocks k = { 0 };
	ck_assert_uint_eq(rsd_frontier_host_clocks(old, keep_a, NULL, on_clock, &k), 1);
	ck_assert_str_eq(k.host[0], "b.test");
	ck_assert_int_gt(k.wait_ms[0], 0);
	ck_assert_int_le(k.wait_ms[0], 5000);

	ck_assert_int_eq(rsd_frontier_hold_host(new, "b.test", k.wait_ms[0]), 0);
	ck_assert_int_eq(rsd_frontier_add_owned(new, "http://b.test/2", 1, 0, false, 3), 0);
	int64_t wait = next_wait(new);
	ck_assert_int_gt(wait, 0);
	ck_assert_int_le(wait, k.wait_ms[0]); /* not from now: from the old start */
	ck_assert_int_eq(rsd_frontier_add_owned(new, "http://a.test/2", 1, 0, false, 4), 0);
	struct rsd_job first = take(new); /* a host without a clock goes first */
	ck_assert_str_eq(first.url, "http://a.test/2");
	rsd_frontier_done(new, &first);
	/* A clock from a skewed or bogus entry holds 10 minutes at most. */
	ck_assert_int_eq(rsd_frontier_hold_host(new, "b.test", 24 * 3600 * 1000LL), 0);
	ck_assert_int_le(next_wait(new), 600 * 1000);
	rsd_frontier_free(old);
	rsd_frontier_free(new);
	rsd_config_free(cfg);
}
END_TEST

/* A transient failure of a job in flight on a host given up: the retry is
 * the next owner's (abandoned, not queued here) and its Retry-After goes
 * with the host's clock; once a URL of the host is ours again, retries are
 * queued here as usual. */
START_TEST(test_released_retry)
{
	struct rsd_config *cfg = crawl_test_config(
		"[scraper]\nstart_urls = http://a.test/\nallowed_hosts = a.test b.test c.test\n"
		"delay_ms = 0\nrobots = off\n");
	struct hooks h;
	struct rsd_frontier *f = make(cfg, &h);
	ck_assert_int_eq(rsd_frontier_add_owned(f, "http://b.test/1", 1, 0, false, 5), 0);
	struct rsd_job job = take(f);
	rsd_frontier_release_hosts(f, keep_a, NULL);
	ck_assert(rsd_frontier_retry(f, &job, 3000));
	ck_assert_uint_eq(h.n_settled, 1);
	ck_assert_uint_eq(h.settled[0], 5);
	ck_assert_int_eq(h.how[0], RSD_ABANDONED);
	ck_assert_uint_eq(rsd_frontier_count_hosts(f, NULL, NULL), 0);
	struct clocks k = { 0 };
	ck_assert_uint_eq(rsd_frontier_host_clocks(f, keep_a, NULL, on_clock, &k), 1);
	ck_assert_int_gt(k.wait_ms[0], 2000); /* the Retry-After, not delay_ms */

	ck_assert_int_eq(rsd_frontier_add_owned(f, "http://c.test/1", 1, 0, false, 6), 0);
	job = take(f);
	rsd_frontier_release_hosts(f, keep_a, NULL);
	ck_assert_int_eq(rsd_frontier_add_owned(f, "http://c.test/2", 1, 0, false, 7), 0);
	ck_assert(rsd_frontier_retry(f, &job, 1)); /* c.test is ours again */
	ck_assert_uint_eq(h.n_settled, 1);
	ck_assert_uint_eq(rsd_frontier_count_hosts(f, NULL, NULL), 1);
	rsd_frontier_free(f);
	rsd_config_free(cfg);
}
END_TEST

/* Commit points follow the first unsettled message; abandoned ones hold
 * it; late tickets of reset items find nothing. */
START_TEST(test_book_commit_points)
{
	struct rsd_book_part p = { .next = -1, .committed = -1 };
	uint64_t s[5];
	ck_assert_int_eq(rsd_book_commit_point(&p), -1);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(
			rsd_book_add(&p, 10 + i, 100 + i, "http://a.test/", PENDING_QUEUED, &s[i]),
			0);
	ck_assert_int_eq(rsd_book_commit_point(&p), 10);
	rsd_book_settle(&p, rsd_book_find(&p, s[1]), PENDING_SETTLED);
	ck_assert_int_eq(rsd_book_commit_point(&p), 10);
	rsd_book_settle(&p, rsd_book_find(&p, s[0]), PENDING_SETTLED);
	ck_assert_int_eq(rsd_book_commit_point(&p), 12);
	ck_assert_ptr_null(rsd_book_find(&p, s[0]));
	rsd_book_settle(&p, rsd_book_find(&p, s[2]), PENDING_ABANDONED);
	rsd_book_settle(&p, rsd_book_find(&p, s[3]), PENDING_SETTLED);
	ck_assert_int_eq(rsd_book_commit_point(&p), 12); /* held by the abandoned one */
	ck_assert_uint_eq(p.queued, 0);
	ck_assert_int_eq(rsd_book_add(&p, 14, 104, NULL, PENDING_SETTLED, &s[4]), 0);
	rsd_book_reset(&p, NULL, NULL);
	ck_assert_ptr_null(rsd_book_find(&p, s[3]));
	ck_assert_int_eq(rsd_book_commit_point(&p), 15);
	uint16_t gen;
	int32_t part;
	uint64_t seq;
	rsd_book_ticket_split(rsd_book_ticket(7, 11, s[2]), &gen, &part, &seq);
	ck_assert_uint_eq(gen, 7);
	ck_assert_int_eq(part, 11);
	ck_assert_uint_eq(seq, s[2]);
	free(p.items);
}
END_TEST

/* Many messages: the settled prefix is dropped as it grows. */
START_TEST(test_book_compacts)
{
	struct rsd_book_part p = { .next = -1, .committed = -1 };
	for (int64_t i = 0; i < 10000; i++) {
		uint64_t seq;
		ck_assert_int_eq(rsd_book_add(&p, i, (uint64_t)i, "u", PENDING_QUEUED, &seq), 0);
		rsd_book_settle(&p, rsd_book_find(&p, seq), PENDING_SETTLED);
	}
	ck_assert_int_eq(rsd_book_commit_point(&p), 10000);
	ck_assert_uint_le(p.cap, 128);
	free(p.items);
}
END_TEST

START_TEST(test_done_map)
{
	struct rsd_done_map m = { 0 };
	ck_assert_int_eq(rsd_done_get(&m, 5), 0);
	for (uint64_t k = 0; k < 5000; k++)
		ck_assert_int_eq(rsd_done_put(&m, k * 7919, (int64_t)k + 1), 0);
	ck_assert_int_eq(rsd_done_put(&m, 0, RSD_DONE_QUEUED), 0); /* 0 is a key too */
	ck_assert_int_eq(rsd_done_get(&m, 0), RSD_DONE_QUEUED);
	ck_assert_int_eq(rsd_done_get(&m, 4999 * 7919), 5000);
	ck_assert_int_eq(rsd_done_get(&m, 3), 0);
	rsd_done_free(&m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cluster_hooks");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_route_then_own);
	tcase_add_test(tc, test_no_rounds_waits_for_the_group);
	tcase_add_test(tc, test_release_hosts);
	tcase_add_test(tc, test_free_abandons_queued);
	tcase_add_test(tc, test_handoff_clock);
	tcase_add_test(tc, test_released_retry);
	tcase_add_test(tc, test_book_commit_points);
	tcase_add_test(tc, test_book_compacts);
	tcase_add_test(tc, test_done_map);
	suite_add_tcase(s, tc);
	return rsd_check_run(s);
}
