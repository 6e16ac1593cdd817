/* SPDX-License-Identifier: MIT */
/* Crawl state log (state.c): replay, torn tails, escaping, compaction (at
 * open and while running), scoped marks, the state_dir lock, refresh due
 * lists and forgetting. */

#include "crawl/state.h"
#include "crawl_test.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLUSTER "cluster-A"
#define TOPIC "parsed_recipes"

static struct rsd_state *open_scoped(const char *dir)
{
	struct rsd_state *s;
	ck_assert_int_eq(rsd_state_open(dir, &s), 0);
	ck_assert_int_eq(rsd_state_set_scope(s, CLUSTER, TOPIC), 0);
	return s;
}

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

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_replay)
{
	char *dir = crawl_tmpdir();
	struct rsd_state *s = open_scoped(dir);
	ck_assert_int_eq(rsd_state_set_fetched(s, "http://h.test/a", 1000, "\"v1 x\"",
					       "Wed, 21 Oct 2015 07:28:00 GMT", 0xabcdef),
			 0);
	ck_assert_int_eq(rsd_state_set_fetched(s, "http://h.test/b", 2000, NULL, NULL, 7), 0);
	ck_assert_int_eq(rsd_state_mark_delivered(s, "http://h.test/a", 0xabcdef), 0);
	ck_assert_int_eq(rsd_state_mark_delivered(s, "http://h.test/only-delivered", 5), 0);
	/* a later fetch supersedes the earlier one */
	ck_assert_int_eq(rsd_state_set_fetched(s, "http://h.test/b", 3000, "-", NULL, 8), 0);
	ck_assert_int_eq(rsd_state_sync(s), 0);
	rsd_state_close(s);

	s = open_scoped(dir);
	struct rsd_page_meta m;
	ck_assert_int_eq(rsd_state_lookup(s, "http://h.test/a", &m), 0);
	ck_assert_int_eq(m.fetched_at, 1000);
	ck_assert_str_eq(m.etag, "\"v1 x\"");
	ck_assert_str_eq(m.last_modified, "Wed, 21 Oct 2015 07:28:00 GMT");
	ck_assert_uint_eq(m.content_hash, 0xabcdef);
	ck_assert(m.delivered);
	ck_assert_uint_eq(m.delivered_hash, 0xabcdef);
	rsd_page_meta_clear(&m);
	ck_assert_int_eq(rsd_state_lookup(s, "http://h.test/b", &m), 0);
	ck_assert_int_eq(m.fetched_at, 3000);
	ck_assert_str_eq(m.etag, "-");
	ck_assert_ptr_null(m.last_modified);
	ck_assert_uint_eq(m.content_hash, 8);
	ck_assert(!m.delivered);
	rsd_page_meta_clear(&m);
	ck_assert(rsd_state_is_delivered(s, "http://h.test/only-delivered", 0));
	ck_assert(!rsd_state_is_delivered(s, "http://h.test/b", 0));
	/* never fetched, or fetched before the cutoff: due for a refresh */
	ck_assert(!rsd_state_is_delivered(s, "http://h.test/only-delivered", 1));
	ck_assert(rsd_state_is_delivered(s, "http://h.test/a", 1000));
	ck_assert(!rsd_state_is_delivered(s, "http://h.test/a", 1001));
	ck_assert_int_eq(rsd_state_lookup(s, "http://h.test/none", &m), -ENOENT);
	rsd_state_close(s);
	crawl_rmdir(dir);
}
END_TEST

START_TEST(test_torn_tail_is_cut)
{
	char *dir = crawl_tmpdir();
	struct rsd_state *s = open_scoped(dir);
	ck_assert_int_eq(rsd_state_mark_delivered(s, "http://h.test/1", 1), 0);
	rsd_state_close(s);
	/* a crash in the middle of an append leaves a line without newline */
	char *p = log_path(dir);
	FILE *f = fopen(p, "a");
	fputs("A " CLUSTER " " TOPIC " 2 http://h.test/2", f);
	fclose(f);

	s = open_scoped(dir);
	ck_assert(rsd_state_is_delivered(s, "http://h.test/1", 0));
	ck_assert(!rsd_state_is_delivered(s, "http://h.test/2", 0));
	ck_assert_int_eq(rsd_state_mark_delivered(s, "http://h.test/3", 3), 0);
	rsd_state_close(s);

	s = open_scoped(dir);
	ck_assert(rsd_state_is_delivered(s, "http://h.test/3", 0));
	ck_assert(!rsd_state_is_delivered(s, "http://h.test/2", 0));
	rsd_state_close(s);
	ck_assert_uint_eq(count_lines(p), 2);
	free(p);
	crawl_rmdir(dir);
}
END_TEST

/* A record refused as too large settles its page (a rejected mark with the
 * copy's hash) across restarts and compaction; a later delivery of a changed
 * copy replaces the mark. */
START_TEST(test_rejected_marks)
{
	char *dir = crawl_tmpdir();
	struct rsd_state *s = open_scoped(dir);
	const char *url = "http://h.test/huge";
	ck_assert_int_eq(rsd_state_set_fetched(s, url, 1000, NULL, NULL, 0x77), 0);
	ck_assert_int_eq(rsd_state_mark_rejected(s, url, 0x77), 0);
	ck_assert_int_eq(rsd_state_sync(s), 0);
	rsd_state_close(s);

	for (int round = 0; round < 2; round++) { /* replayed, and from what the replay kept */
		s = open_scoped(dir);
		struct rsd_page_meta m;
		ck_assert_int_eq(rsd_state_lookup(s, url, &m), 0);
		ck_assert(m.delivered && m.rejected);
		ck_assert_uint_eq(m.delivered_hash, 0x77);
		rsd_page_meta_clear(&m);
		ck_assert(rsd_state_is_delivered(s, url, 0));
		rsd_state_close(s);
	}
	s = open_scoped(dir);
	ck_assert_int_eq(rsd_state_mark_delivered(s, url, 0x78), 0);
	rsd_state_close(s);
	s = open_scoped(dir);
	struct rsd_page_meta m;
	ck_assert_int_eq(rsd_state_lookup(s, url, &m), 0);
	ck_assert(m.delivered && !m.rejected);
	ck_assert_uint_eq(m.delivered_hash, 0x78);
	rsd_page_meta_clear(&m);
	/* another cluster (perhaps with a larger message.max.bytes) tries it */
	ck_assert_int_eq(rsd_state_set_scope(s, "cluster-B", TOPIC), 0);
	ck_assert(!rsd_state_is_delivered(s, url, 0));
	rsd_state_close(s);
	crawl_rmdir(dir);
}
END_TEST

START_TEST(test_compaction)
{
	char *dir = crawl_tmpdir();
	struct rsd_state *s = open_scoped(dir);
	for (int i = 0; i < 10000; i++)
		ck_assert_int_eq(rsd_state_set_fetched(s, "http://h.test/same", i + 1, NULL, NULL,
						       (uint64_t)i),
				 0);
	ck_assert_int_eq(rsd_state_mark_delivered(s, "http://h.test/same", 9999), 0);
	rsd_state_close(s); /* close syncs only: no compaction on the way out */
	char *p = log_path(dir);
	ck_assert_uint_eq(count_lines(p), 10001);

	s = open_scoped(dir);
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
	struct rsd_state *s = open_scoped(NULL);
	char url[64];
	for (int i = 0; i < 5000; i++) { /* forces the table to grow */
		snprintf(url, sizeof(url), "http://h.test/%d", i);
		ck_assert_int_eq(rsd_state_mark_delivered(s, url, (uint64_t)i), 0);
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(url, sizeof(url), "http://h.test/%d", i);
		ck_assert(rsd_state_is_delivered(s, url, 0));
	}
	ck_assert(!rsd_state_is_delivered(s, "http://h.test/5000", 0));
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

/* Marks belong to the cluster and topic that acknowledged them. */
START_TEST(test_marks_are_scoped)
{
	char *dir = crawl_tmpdir();
	struct rsd_state *s = open_scoped(dir);
	ck_assert_int_eq(rsd_state_mark_delivered(s, "http://h.test/r", 7), 0);
	rsd_state_close(s);

	ck_assert_int_eq(rsd_state_open(dir, &s), 0);
	ck_assert(!rsd_state_is_delivered(s, "http://h.test/r", 0)); /* no scope yet */
	ck_assert_int_eq(rsd_state_mark_delivered(s, "http://h.test/r", 7), -ENOTCONN);
	ck_assert_int_eq(rsd_state_set_scope(s, "cluster-B", TOPIC), 0);
	ck_assert(!rsd_state_is_delivered(s, "http://h.test/r", 0));
	ck_assert_int_eq(rsd_state_mark_delivered(s, "http://h.test/r", 8), 0);
	ck_assert_int_eq(rsd_state_set_scope(s, CLUSTER, "other_topic"), 0);
	ck_assert(!rsd_state_is_delivered(s, "http://h.test/r", 0));
	rsd_state_close(s);

	s = open_scoped(dir); /* back on cluster A: its mark counts again */
	struct rsd_page_meta m;
	ck_assert_int_eq(rsd_state_lookup(s, "http://h.test/r", &m), 0);
	ck_assert(m.delivered);
	ck_assert_uint_eq(m.delivered_hash, 7);
	rsd_page_meta_clear(&m);
	ck_assert_int_eq(rsd_state_set_scope(s, "cluster-B", TOPIC), 0);
	ck_assert_int_eq(rsd_state_lookup(s, "http://h.test/r", &m), 0);
	ck_assert_uint_eq(m.delivered_hash, 8);
	rsd_page_meta_clear(&m);
	rsd_state_close(s);
	crawl_rmdir(dir);
}
END_TEST

/* The embedded broker's deliveries (no cluster id) live in memory only. */
START_TEST(test_ephemeral_scope_is_not_written)
{
	char *dir = crawl_tmpdir();
	struct rsd_state *s;
	ck_assert_int_eq(rsd_state_open(dir, &s), 0);
	ck_assert_int_eq(rsd_state_set_scope(s, NULL, TOPIC), 0);
	ck_assert_int_eq(rsd_state_set_fetched(s, "http://h.test/r", 100, NULL, NULL, 1), 0);
	ck_assert_int_eq(rsd_state_mark_delivered(s, "http://h.test/r", 1), 0);
	ck_assert(rsd_state_is_delivered(s, "http://h.test/r", 0));
	rsd_state_close(s);
	char *p = log_path(dir);
	ck_assert_uint_eq(count_lines(p), 1); /* the fetch only */

	ck_assert_int_eq(rsd_state_open(dir, &s), 0);
	ck_assert_int_eq(rsd_state_set_scope(s, NULL, TOPIC), 0);
	ck_assert(!rsd_state_is_delivered(s, "http://h.test/r", 0));
	rsd_state_close(s);
	free(p);
	crawl_rmdir(dir);
}
END_TEST

/* "D <url>" lines of older versions name no cluster: not delivered anywhere. */
START_TEST(test_unscoped_legacy_marks_are_dropped)
{
	char *dir = crawl_tmpdir();
	char *p = log_path(dir);
	write_text(p, "F 100 1 \"e\" - http://h.test/r\nD http://h.test/r\n");
	struct rsd_state *s = open_scoped(dir);
	ck_assert(!rsd_state_is_delivered(s, "http://h.test/r", 0));
	struct rsd_page_meta m;
	ck_assert_int_eq(rsd_state_lookup(s, "http://h.test/r", &m), 0);
	ck_assert_str_eq(m.etag, "\"e\""); /* the fetch metadata stays */
	rsd_page_meta_clear(&m);
	rsd_state_close(s);
	free(p);
	crawl_rmdir(dir);
}
END_TEST

/* One process per state_dir. */
START_TEST(test_lock)
{
	char *dir = crawl_tmpdir();
	struct rsd_state *s, *second = NULL;
	ck_assert_int_eq(rsd_state_open(dir, &s), 0);
	ck_assert_int_eq(rsd_state_open(dir, &second), -EWOULDBLOCK);
	ck_assert_ptr_null(second);
	ck_assert_int_eq(rsd_state_lock_holder(dir), getpid());
	rsd_state_close(s);
	ck_assert_int_eq(rsd_state_open(dir, &second), 0);
	rsd_state_close(second);
	crawl_rmdir(dir);
}
END_TEST

#define WRITER_URLS 50
#define WRITER_ROUNDS 400

struct writer {
	struct rsd_state *s;
	atomic_bool done;
};

/* Every URL fetched WRITER_ROUNDS times, delivered once half-way. */
static void *writer_main(void *arg)
{
	struct writer *w = arg;
	char url[64];
	for (int round = 1; round <= WRITER_ROUNDS; round++) {
		for (int i = 0; i < WRITER_URLS; i++) {
			snprintf(url, sizeof url, "http://h.test/%d", i);
			rsd_state_set_fetched(w->s, url, round, "\"e\"", NULL, (uint64_t)round);
			if (round == WRITER_ROUNDS / 2)
				rsd_state_mark_delivered(w->s, url, (uint64_t)round);
		}
	}
	atomic_store(&w->done, true);
	return NULL;
}

/* Compaction while another thread appends: every entry survives, with its
 * last values, and the file shrinks. */
START_TEST(test_compaction_while_running)
{
	char *dir = crawl_tmpdir();
	struct writer w = { .s = open_scoped(dir) };
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, writer_main, &w), 0);
	/* Bounded by the writer's finite work; each pass is a real sync. */
	while (!atomic_load(&w.done))
		ck_assert_int_eq(rsd_state_sync(w.s), 0);
	pthread_join(t, NULL);
	ck_assert_int_eq(rsd_state_sync(w.s), 0);
	rsd_state_close(w.s);
	char *p = log_path(dir);
	size_t lines = count_lines(p);
	printf("compaction while running: %zu lines left of %d written\n", lines,
	       WRITER_URLS * (WRITER_ROUNDS + 1));
	ck_assert_uint_lt(lines, WRITER_URLS * WRITER_ROUNDS / 2);

	struct rsd_state *s = open_scoped(dir);
	char url[64];
	for (int i = 0; i < WRITER_URLS; i++) {
		struct rsd_page_meta m;
		snprintf(url, sizeof url, "http://h.test/%d", i);
		ck_assert_int_eq(rsd_state_lookup(s, url, &m), 0);
		ck_assert_int_eq(m.fetched_at, WRITER_ROUNDS);
		ck_assert_uint_eq(m.content_hash, WRITER_ROUNDS);
		ck_assert(m.delivered);
		ck_assert_uint_eq(m.delivered_hash, WRITER_ROUNDS / 2);
		rsd_page_meta_clear(&m);
	}
	rsd_state_close(s);
	free(p);
	crawl_rmdir(dir);
}
END_TEST

static bool match_host_a(void *ctx, const char *url)
{
	(void)ctx;
	return strncmp(url, "http://a.test/", 14) == 0;
}

static void count_each(void *ctx, const char *url)
{
	(void)url;
	(*(int *)ctx)++;
}

START_TEST(test_due_and_forget)
{
	char *dir = crawl_tmpdir();
	struct rsd_state *s = open_scoped(dir);
	const char *urls[] = { "http://a.test/old", "http://a.test/new", "http://b.test/old" };
	const time_t at[] = { 100, 1000, 100 };
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(rsd_state_set_fetched(s, urls[i], at[i], NULL, NULL, 1), 0);
		ck_assert_int_eq(rsd_state_mark_delivered(s, urls[i], 1), 0);
	}
	ck_assert_int_eq(rsd_state_set_fetched(s, "http://a.test/undelivered", 100, NULL, NULL, 1),
			 0);
	char **due = NULL;
	ck_assert_int_eq(rsd_state_due(s, 500, SIZE_MAX, &due), 2); /* delivered and older */
	for (int i = 0; i < 2; i++) {
		ck_assert(strcmp(due[i], urls[0]) == 0 || strcmp(due[i], urls[2]) == 0);
		free(due[i]);
	}
	free(due);
	ck_assert_int_eq(rsd_state_due(s, 500, 1, &due), 1);
	free(due[0]);
	free(due);

	int seen = 0;
	ck_assert_int_eq(rsd_state_forget(s, match_host_a, count_each, &seen, true), 3);
	ck_assert_int_eq(seen, 3);
	ck_assert(rsd_state_is_delivered(s, urls[0], 0)); /* dry run */
	ck_assert_int_eq(rsd_state_forget(s, match_host_a, NULL, NULL, false), 3);
	rsd_state_close(s);

	s = open_scoped(dir);
	struct rsd_page_meta m;
	ck_assert_int_eq(rsd_state_lookup(s, urls[0], &m), -ENOENT);
	ck_assert_int_eq(rsd_state_lookup(s, "http://a.test/undelivered", &m), -ENOENT);
	ck_assert(rsd_state_is_delivered(s, urls[2], 0));
	rsd_state_close(s);
	crawl_rmdir(dir);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("state");
	tcase_add_test(tc, test_replay);
	tcase_add_test(tc, test_torn_tail_is_cut);
	tcase_add_test(tc, test_rejected_marks);
	tcase_add_test(tc, test_compaction);
	tcase_add_test(tc, test_in_memory_and_many);
	tcase_add_test(tc, test_unwritable_dir);
	tcase_add_test(tc, test_marks_are_scoped);
	tcase_add_test(tc, test_ephemeral_scope_is_not_written);
	tcase_add_test(tc, test_unscoped_legacy_marks_are_dropped);
	tcase_add_test(tc, test_lock);
	tcase_add_test(tc, test_compaction_while_running);
	tcase_add_test(tc, test_due_and_forget);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
