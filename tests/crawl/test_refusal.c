/* SPDX-License-Identifier: MIT */
/* Refusal causes and the rate-limited report table (refusal.c): one
 * report per (host, cause), a bounded table, one "not itemised" verdict
 * when it is full, and counting that goes on. */

#include "crawl/refusal.h"
#include "config/config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_once_per_host_and_cause)
{
	struct rsd_refusal_table *t;
	ck_assert_int_eq(rsd_refusal_table_new(16, &t), 0);
	ck_assert_int_eq(rsd_refusal_table_note(t, "a.test", RSD_CAUSE_PRIVATE_ADDRESS),
			 RSD_REPORT_NEW);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(rsd_refusal_table_note(t, "a.test", RSD_CAUSE_PRIVATE_ADDRESS),
				 RSD_REPORT_REPEAT);
	/* another cause of the same host, the same cause of another host */
	ck_assert_int_eq(rsd_refusal_table_note(t, "a.test", RSD_CAUSE_ROBOTS_DISALLOW),
			 RSD_REPORT_NEW);
	ck_assert_int_eq(rsd_refusal_table_note(t, "b.test", RSD_CAUSE_PRIVATE_ADDRESS),
			 RSD_REPORT_NEW);
	ck_assert_int_eq(rsd_refusal_table_note(t, "b.test", RSD_CAUSE_ROBOTS_DISALLOW),
			 RSD_REPORT_NEW);
	ck_assert_int_eq(rsd_refusal_table_note(t, "a.test", RSD_CAUSE_ROBOTS_DISALLOW),
			 RSD_REPORT_REPEAT);
	/* "" is a host like any other (a link without one) */
	ck_assert_int_eq(rsd_refusal_table_note(t, "", RSD_CAUSE_SCHEME), RSD_REPORT_NEW);
	ck_assert_int_eq(rsd_refusal_table_note(t, NULL, RSD_CAUSE_SCHEME), RSD_REPORT_REPEAT);
	ck_assert_uint_eq(rsd_refusal_table_size(t), 5);
	ck_assert_uint_eq(rsd_refusal_table_not_itemised(t), 0);
	rsd_refusal_table_free(t);
}
END_TEST

/* Full: the first pair that does not fit says so once, later ones are
 * counted only; the pairs in the table are still recognised. */
START_TEST(test_full_table)
{
	struct rsd_refusal_table *t;
	ck_assert_int_eq(rsd_refusal_table_new(3, &t), 0);
	const char *hosts[] = { "h1.test", "h2.test", "h3.test", "h4.test", "h5.test" };
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(rsd_refusal_table_note(t, hosts[i], RSD_CAUSE_TOO_BIG),
				 RSD_REPORT_NEW);
	ck_assert_int_eq(rsd_refusal_table_note(t, hosts[3], RSD_CAUSE_TOO_BIG), RSD_REPORT_FULL);
	ck_assert_int_eq(rsd_refusal_table_note(t, hosts[4], RSD_CAUSE_TOO_BIG),
			 RSD_REPORT_SUPPRESSED);
	ck_assert_int_eq(rsd_refusal_table_note(t, hosts[3], RSD_CAUSE_TOO_BIG),
			 RSD_REPORT_SUPPRESSED);
	ck_assert_int_eq(rsd_refusal_table_note(t, hosts[0], RSD_CAUSE_TOO_BIG), RSD_REPORT_REPEAT);
	ck_assert_int_eq(rsd_refusal_table_note(t, hosts[0], RSD_CAUSE_REDIRECT),
			 RSD_REPORT_SUPPRESSED);
	ck_assert_uint_eq(rsd_refusal_table_size(t), 3);
	ck_assert_uint_eq(rsd_refusal_table_not_itemised(t), 4);

	/* a reload starts over: new settings deserve new reports */
	rsd_refusal_table_reset(t);
	ck_assert_uint_eq(rsd_refusal_table_size(t), 0);
	ck_assert_uint_eq(rsd_refusal_table_not_itemised(t), 0);
	ck_assert_int_eq(rsd_refusal_table_note(t, hosts[0], RSD_CAUSE_TOO_BIG), RSD_REPORT_NEW);
	ck_assert_int_eq(rsd_refusal_table_note(t, hosts[3], RSD_CAUSE_TOO_BIG), RSD_REPORT_NEW);
	ck_assert_int_eq(rsd_refusal_table_note(t, hosts[4], RSD_CAUSE_TOO_BIG), RSD_REPORT_NEW);
	ck_assert_int_eq(rsd_refusal_table_note(t, hosts[1], RSD_CAUSE_TOO_BIG), RSD_REPORT_FULL);
	rsd_refusal_table_free(t);

	ck_assert_int_eq(rsd_refusal_table_new(0, &t), -EINVAL);
	ck_assert_ptr_null(t);
}
END_TEST

/* A flood of distinct hosts (a hostile site's subdomains): exactly
 * capacity reports and one FULL, whatever the hosts' names. */
START_TEST(test_flood_is_bounded)
{
	struct rsd_refusal_table *t;
	ck_assert_int_eq(rsd_refusal_table_new(64, &t), 0);
	unsigned verdicts[4] = { 0 };
	for (int i = 0; i < 100000; i++) {
		char host[32];
		snprintf(host, sizeof host, "x%d.evil.test", i);
		verdicts[rsd_refusal_table_note(t, host, (enum rsd_cause)(i % RSD_CAUSE_COUNT))]++;
	}
	ck_assert_uint_eq(verdicts[RSD_REPORT_NEW], 64);
	ck_assert_uint_eq(verdicts[RSD_REPORT_FULL], 1);
	ck_assert_uint_eq(verdicts[RSD_REPORT_REPEAT], 0);
	ck_assert_uint_eq(verdicts[RSD_REPORT_SUPPRESSED], 100000 - 65);
	ck_assert_uint_eq(rsd_refusal_table_not_itemised(t), 100000 - 64);
	rsd_refusal_table_free(t);
}
END_TEST

/* Worker threads note the same pairs at once: each is reported once. */
struct noter {
	pthread_t thread;
	struct rsd_refusal_table *t;
	unsigned news;
};

static void *note_all(void *arg)
{
	struct noter *n = arg;
	for (int round = 0; round < 20; round++)
		for (int i = 0; i < 100; i++) {
			char host[32];
			snprintf(host, sizeof host, "h%d.test", i);
			n->news += rsd_refusal_table_note(n->t, host, RSD_CAUSE_OUT_OF_SCOPE) ==
				   RSD_REPORT_NEW;
		}
	return NULL;
}

START_TEST(test_threads_report_each_pair_once)
{
	struct rsd_refusal_table *t;
	ck_assert_int_eq(rsd_refusal_table_new(1024, &t), 0);
	struct noter n[4];
	for (int i = 0; i < 4; i++) {
		n[i] = (struct noter){ .t = t };
		ck_assert_int_eq(pthread_create(&n[i].thread, NULL, note_all, &n[i]), 0);
	}
	unsigned news = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(n[i].thread, NULL);
		news += n[i].news;
	}
	ck_assert_uint_eq(news, 100);
	ck_assert_uint_eq(rsd_refusal_table_size(t), 100);
	rsd_refusal_table_free(t);
}
END_TEST

static bool is_config_key(const char *name)
{
	size_t n;
	const struct rsd_config_key_info *keys = rsd_config_keys(&n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i].key, name) == 0)
			return true;
	return false;
}

/* Every cause is described; names and fields are unique; the key a
 * refusal names is a real configuration key, and its setting starts with
 * it (what the summary prints after the count). */
START_TEST(test_cause_descriptions)
{
	for (int c = 0; c < RSD_CAUSE_COUNT; c++) {
		const struct rsd_cause_info *info = rsd_cause_info((enum rsd_cause)c);
		ck_assert_ptr_nonnull(info->name);
		ck_assert_ptr_nonnull(info->label);
		ck_assert_ptr_nonnull(info->remedy);
		ck_assert_ptr_nonnull(info->field);
		const char *prefix = rsd_cause_is_refusal((enum rsd_cause)c) ? "PAGES_REFUSED_"
									     : "PAGES_SKIPPED_";
		ck_assert_msg(strncmp(info->field, prefix, strlen(prefix)) == 0, "%s", info->field);
		if (info->key) {
			ck_assert_msg(is_config_key(info->key), "%s: no key %s", info->name,
				      info->key);
			ck_assert_msg(!info->setting || strncmp(info->setting, info->key,
								strlen(info->key)) == 0,
				      "%s: setting %s", info->name, info->setting);
		}
		for (int d = 0; d < c; d++) {
			ck_assert_str_ne(info->name, rsd_cause_info((enum rsd_cause)d)->name);
			ck_assert_str_ne(info->field, rsd_cause_info((enum rsd_cause)d)->field);
		}
	}
	ck_assert(rsd_cause_is_refusal(RSD_CAUSE_PRIVATE_ADDRESS));
	ck_assert(!rsd_cause_is_refusal(RSD_CAUSE_DELIVERED));
	ck_assert_str_eq(rsd_cause_info(RSD_CAUSE_PRIVATE_ADDRESS)->setting,
			 "allow_private_addresses = off");
}
END_TEST

/* The budget with a clock the test moves: a burst, then the rate, and the
 * count of lines refused in between reported with the next line. */
START_TEST(test_line_budget)
{
	struct rsd_line_budget b;
	uint64_t t = 1000000, n = 99;
	rsd_line_budget_init(&b, 100, 100, t);
	for (int i = 0; i < 100; i++) {
		ck_assert(rsd_line_budget_take(&b, t, &n));
		ck_assert_uint_eq(n, 0);
	}
	/* the burst is spent: the next 50 at the same instant are refused */
	for (int i = 0; i < 50; i++)
		ck_assert(!rsd_line_budget_take(&b, t, &n));
	/* 10 ms later one token (100/s) is back: the line reports the 50 */
	t += 10000;
	ck_assert(rsd_line_budget_take(&b, t, &n));
	ck_assert_uint_eq(n, 50);
	ck_assert(!rsd_line_budget_take(&b, t, &n));
	/* a clock read before the last refill adds nothing */
	ck_assert(!rsd_line_budget_take(&b, t - 5000, &n));
	ck_assert_uint_eq(rsd_line_budget_flush(&b), 2);
	ck_assert_uint_eq(rsd_line_budget_flush(&b), 0);
	/* a long pause refills at most the burst */
	t += 3600 * 1000000ull;
	int taken = 0;
	for (int i = 0; i < 1000; i++)
		taken += rsd_line_budget_take(&b, t, &n);
	ck_assert_int_eq(taken, 100);
	/* over 10 s at 1 line per ms, 100/s get through (plus the burst) */
	rsd_line_budget_flush(&b);
	taken = 0;
	for (int i = 1; i <= 10000; i++)
		taken += rsd_line_budget_take(&b, t + (uint64_t)i * 1000, &n);
	ck_assert_int_ge(taken, 999);
	ck_assert_int_le(taken, 1001);
	rsd_line_budget_destroy(&b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("refusal");
	TCase *tc = tcase_create("refusal");
	tcase_add_test(tc, test_once_per_host_and_cause);
	tcase_add_test(tc, test_full_table);
	tcase_add_test(tc, test_flood_is_bounded);
	tcase_add_test(tc, test_threads_report_each_pair_once);
	tcase_add_test(tc, test_cause_descriptions);
	tcase_add_test(tc, test_line_budget);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
