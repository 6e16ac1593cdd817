/* SPDX-License-Identifier: MIT */
/* Crawl state log (state.c): replay, torn tails, escaping, compaction. */

#include "state.h"
#include "crawl_test.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *log_path(const char *dir)
{
	char *p;
	ck_assert_int_ge(asprintf(&p, "%s/crawl.log", dir), 0);
	return p;
}

static size_t count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = 0;
	for (int c; (c = fgetc(f)) != EOF;)
		n += c == '\n';
	fclose(f);
	return n;
}

START_TEST(test_replay)
{
	char *dir = crawl_tmpdir();
	struct rsd_state *s;
	ck_assert_int_eq(rsd_state_open(dir, &s), 0);
	ck_assert_int_eq(rsd_state_set_fetched(s, "http://h.test/a", 1000, "\"v1 x\"", "Wed, 21 Oct 2015 07:28:00 GMT", 0xabcdef), 0);
	ck_assert_int_eq(rsd_state_set_fetched(s, "http://h.test/b", 2000, NULL, NULL, 7), 0);
	ck_assert_int_eq(rsd_state_mark_delivered(s, "http://h.test/a"), 0);
	ck_assert_int_eq(rsd_state_mark_delivered(s, "http://h.test/only-delivered"), 0);
	/* a later fetch supersedes the earlier one */
	ck_assert_int_eq(rsd_state_set_fetched(s, "http://h.test/b", 3000, "-", NULL, 8), 0);
	ck_assert_int_eq(rsd_state_sync(s), 0);
	rsd_state_close(s);

	ck_assert_int_eq(rsd_state_open(dir, &s), 0);
	struct rsd_page_meta m;
	ck_assert_int_eq(rsd_state_lookup(s, "http://h.test/a", &m), 0);
	ck_assert_int_eq(m.fetched_at, 1000);
	ck_assert_str_eq(m.etag, "\"v1 x\"");
	ck_assert_str_eq(m.last_modified, "Wed, 21 Oct 2015 07:28:00 GMT");
	ck_assert_uint_eq(m.content_hash, 0xabcdef);
	ck_assert(m.delivered);
	rsd_page_meta_clear(&m);
	ck_assert_int_eq(rsd_state_lookup(s, "http://h.test/b", &m), 0);
	ck_assert_int_eq(m.fetched_at, 3000);
	ck_assert_str_eq(m.etag, "-");
	ck_assert_ptr_null(m.last_modified);
	ck_assert_uint_eq(m.content_hash, 8);
	ck_assert(!m.delivered);
	rsd_page_meta_clear(&m);
	ck_assert(rsd_state_is_delivered(s, "http://h.test/only-delivered"));
	ck_assert(!rsd_state_is_delivered(s, "http://h.test/b"));
	ck_assert_int_eq(rsd_state_lookup(s, "http://h.test/none", &m), -ENOENT);
	rsd_state_close(s);
	crawl_rmdir(dir);
}
END_TEST

START_TEST(test_torn_tail_is_cut)
{
	char *dir = crawl_tmpdir();
	struct rsd_state *s;
	ck_assert_int_eq(rsd_state_open(dir, &s), 0);
	ck_assert_int_eq(rsd_state_mark_delivered(s, "http://h.test/1"), 0);
	rsd_state_close(s);
	/* a crash in the middle of an append leaves a line without newline */
	char *p = log_path(dir);
	FILE *f = fopen(p, "a");
	fputs("D http://h.test/2", f);
	fclose(f);

	ck_assert_int_eq(rsd_state_open(dir, &s), 0);
	ck_assert(rsd_state_is_delivered(s, "http://h.test/1"));
	ck_assert(!rsd_state_is_delivered(s, "http://h.test/2"));
	ck_assert_int_eq(rsd_state_mark_delivered(s, "http://h.test/3"), 0);
	rsd_state_close(s);

	ck_assert_int_eq(rsd_state_open(dir, &s), 0);
	ck_assert(rsd_state_is_delivered(s, "http://h.test/3"));
	ck_assert(!rsd_state_is_delivered(s, "http://h.test/2"));
	rsd_state_close(s);
	ck_assert_uint_eq(count_lines(p), 2);
	free(p);
	crawl_rmdir(dir);
}
END_TEST

START_TEST(test_compaction)
{
	char *dir = crawl_tmpdir();
	struct rsd_state *s;
	ck_assert_int_eq(rsd_state_open(dir, &s), 0);
	for (int i = 0; i < 10000; i++)
		ck_assert_int_eq(rsd_state_set_fetched(s, "http://h.test/same", i + 1, NULL, NULL, (uint64_t)i), 0);
	ck_assert_int_eq(rsd_state_mark_delivered(s, "http://h.test/same"), 0);
	rsd_state_close(s);
	char *p = log_path(dir);
	ck_assert_uint_eq(count_lines(p), 10001);

	ck_assert_int_eq(rsd_state_open(dir, &s), 0);
	ck_assert_uint_le(count_lines(p), 2);
	struct rsd_page_meta m;
	ck_assert_int_eq(rsd_state_lookup(s, "http://h.test/same", &m), 0);
	ck_assert_int_eq(m.fetched_at, 10000);
	ck_assert_uint_eq(m.content_hash, 9999);
	ck_assert(m.delivered);
	rsd_page_meta_clear(&m);
	rsd_state_close(s);
	free(p);
	crawl_rmdir(dir);
}
END_TEST

START_TEST(test_in_memory_and_many)
{
	struct rsd_state *s;
	ck_assert_int_eq(rsd_state_open(NULL, &s), 0);
	char url[64];
	for (int i = 0; i < 5000; i++) { /* forces the table to grow */
		snprintf(url, sizeof(url), "http://h.test/%d", i);
		ck_assert_int_eq(rsd_state_mark_delivered(s, url), 0);
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(url, sizeof(url), "http://h.test/%d", i);
		ck_assert(rsd_state_is_delivered(s, url));
	}
	ck_assert(!rsd_state_is_delivered(s, "http://h.test/5000"));
	ck_assert_int_eq(rsd_state_sync(s), 0);
	rsd_state_close(s);
	rsd_state_close(NULL);
}
END_TEST

START_TEST(test_unwritable_dir)
{
	struct rsd_state *s = NULL;
	ck_assert_int_lt(rsd_state_open("/nonexistent/rsd-state", &s), 0);
	ck_assert_ptr_null(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("state");
	tcase_add_test(tc, test_replay);
	tcase_add_test(tc, test_torn_tail_is_cut);
	tcase_add_test(tc, test_compaction);
	tcase_add_test(tc, test_in_memory_and_many);
	tcase_add_test(tc, test_unwritable_dir);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
