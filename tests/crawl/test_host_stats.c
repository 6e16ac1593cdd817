/* SPDX-License-Identifier: MIT */
/* Per-host page counts (host_stats.c): one entry per host up to the
 * capacity, every later host in "other", exact sums, and counting from
 * several threads at once. */

#include "crawl/host_stats.h"
#include "crawl_test.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t sum(const struct rsd_host_count *c, size_t n, const struct rsd_host_count *other,
		    bool failed)
{
	uint64_t total = failed ? other->failed : other->fetched;
	for (size_t i = 0; i < n; i++)
		total += failed ? c[i].failed : c[i].fetched;
	return total;
}

START_TEST(test_hosts_then_other)
{
	struct rsd_host_stats *t;
	struct rsd_host_count c[8], other;
	char url[64];
	ck_assert_int_eq(rsd_host_stats_new(3, &t), 0);
	/* host i gets i + 1 pages; hosts 0..2 fit, 3..9 are "other" */
	for (int i = 0; i < 10; i++)
		for (int k = 0; k <= i; k++) {
			snprintf(url, sizeof url, "https://h%d.test/page/%d", i, k);
			rsd_host_stats_count(t, url, k == 0);
		}
	rsd_host_stats_count(t, "not a url", false);
	size_t n = rsd_host_stats_read(t, c, 8, &other);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(c[0].host, "h0.test");
	ck_assert_str_eq(c[2].host, "h2.test");
	ck_assert_uint_eq(c[2].fetched, 2);
	ck_assert_uint_eq(c[2].failed, 1);
	ck_assert_str_eq(other.host, "");
	ck_assert_uint_eq(other.failed, 7);
	ck_assert_uint_eq(sum(c, n, &other, false), 55 - 10 + 1);
	/* a known host is still counted on its own once the table is full */
	rsd_host_stats_count(t, "http://H1.test:8080/x", false);
	n = rsd_host_stats_read(t, c, 8, &other);
	ck_assert_uint_eq(c[1].fetched, 2);
	/* an output smaller than the table: the rest goes to other */
	n = rsd_host_stats_read(t, c, 1, &other);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(sum(c, n, &other, false), 55 - 10 + 2);
	ck_assert_uint_eq(sum(c, n, &other, true), 10);
	rsd_host_stats_free(t);
}
END_TEST

static void *count_many(void *arg)
{
	for (int i = 0; i < 1000; i++)
		rsd_host_stats_count(arg, i % 2 ? "http://a.test/" : "http://b.test/", i % 10 == 0);
	return NULL;
}

START_TEST(test_threads)
{
	struct rsd_host_stats *t;
	struct rsd_host_count c[2], other;
	pthread_t th[4];
	ck_assert_int_eq(rsd_host_stats_new(2, &t), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, count_many, t), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	size_t n = rsd_host_stats_read(t, c, 2, &other);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(sum(c, n, &other, false), 3600);
	ck_assert_uint_eq(sum(c, n, &other, true), 400);
	ck_assert_uint_eq(other.fetched + other.failed, 0);
	rsd_host_stats_free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("host_stats");
	TCase *tc = tcase_create("host_stats");
	tcase_add_test(tc, test_hosts_then_other);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return crawl_test_run(s);
}
