/* SPDX-License-Identifier: MIT */
/* Consumer thread against the mock cluster: invalid messages, sink
 * failures and stored/committed offsets, consumer groups, late topics. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "kafka/broker_embedded.h"
#include "core/util.h"
#include "kafka/consumer.h"
#include "kafka_helpers.h"
#include "check_main.h"

#define TOPIC1 "one_partition"
#define TOPIC4 "four_partitions"

static struct rsd_broker *broker_1p, *broker_4p;
static int wake_fd;

static void setup(void)
{
	static const char *const t1[] = { TOPIC1 }, *const t4[] = { TOPIC4 };
	char err[256];

	ck_assert_msg(rsd_broker_new(1, 1, t1, 1, 0, err, sizeof(err), &broker_1p) == 0, "%s", err);
	ck_assert_msg(rsd_broker_new(1, 4, t4, 1, 0, err, sizeof(err), &broker_4p) == 0, "%s", err);
	wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

static void teardown(void)
{
	rsd_broker_free(broker_1p);
	rsd_broker_free(broker_4p);
	close(wake_fd);
}

/* A consumer writing to out (a stdout sink). */
static struct rsd_consumer *consumer(struct t_config *tc, const char *bootstrap, FILE *out)
{
	struct rsd_sink *sink;
	struct rsd_consumer *c;
	char err[512];

	ck_assert_int_eq(rsd_sink_new(RSD_SINK_STDOUT, "rsd-test", 200, out, &sink), 0);
	ck_assert_msg(rsd_consumer_new(&tc->cfg, bootstrap, sink, wake_fd, err, sizeof(err), &c) ==
			      0,
		      "%s", err);
	ck_assert_int_eq(rsd_consumer_start(c), 0);
	return c;
}

static char *valid_record(int i)
{
	char *v;

	ck_assert_int_ge(asprintf(&v,
				  "{\"schema\":1,\"url\":\"https://recipes.test/r/%d\","
				  "\"title\":\"Dish %d\",\"calories\":%d}",
				  i, i, i % 2 ? 500 : 100),
			 0);
	return v;
}

static void produce_valid(const char *bootstrap, const char *topic, int from, int to, int parts)
{
	rd_kafka_t *rk = t_raw_producer(bootstrap, NULL);

	for (int i = from; i < to; i++) {
		char *v = valid_record(i);

		t_produce_raw(rk, topic, i % parts, v, strlen(v));
		free(v);
	}
	rd_kafka_destroy(rk);
}

struct count_arg {
	struct rsd_consumer *c[2];
	uint64_t want;
};

static bool consumed_at_least(void *arg)
{
	struct count_arg *a = arg;
	uint64_t n = 0;

	for (int i = 0; i < 2; i++)
		if (a->c[i])
			n += atomic_load(&rsd_consumer_stats(a->c[i])->consumed);
	return n >= a->want;
}

static void stop(struct rsd_consumer *c)
{
	rsd_consumer_stop(c, 30000);
	ck_assert_msg(rsd_consumer_join(c), "the group was not left within 30 s");
}

/* Invalid JSON, wrong schema, no url, a 4 MB value: PRIORITY 3 entries with
 * their offsets, and the consumer carries on with the next valid record.
 * (The mock broker keeps at most ~5 MB per partition log, evicting older
 * batches, so 10 MB cannot go through it; test_sink covers 10 MB values.) */
START_TEST(invalid_messages_skipped)
{
	const char *bs = rsd_broker_bootstrap(broker_1p);
	rd_kafka_t *rk = t_raw_producer(bs, "20000000");
	static const char *const bad[] = {
		"{not json",
		"[1,2,3]",
		"{\"schema\":2,\"url\":\"https://a.test/\"}",
		"{\"schema\":1}",
	};
	size_t big_len = 4 * 1024 * 1024;
	char *big = malloc(big_len), *good = valid_record(7), *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct t_config tc;
	struct count_arg arg = { .want = 6 };
	struct t_lines lines;

	for (size_t i = 0; i < 4; i++)
		t_produce_raw(rk, TOPIC1, 0, bad[i], strlen(bad[i]));
	memset(big, '[', big_len);
	t_produce_raw(rk, TOPIC1, 0, big, big_len);
	t_produce_raw(rk, TOPIC1, 0, good, strlen(good));
	rd_kafka_destroy(rk);

	t_config_init(&tc, "invalid");
	tc.topics[0] = TOPIC1;
	arg.c[0] = consumer(&tc, bs, out);
	ck_assert_msg(t_wait(wake_fd, consumed_at_least, &arg, 30000),
		      "not all messages consumed: %ju",
		      (uintmax_t)atomic_load(&rsd_consumer_stats(arg.c[0])->consumed));
	ck_assert_uint_eq(atomic_load(&rsd_consumer_stats(arg.c[0])->invalid), 5);
	stop(arg.c[0]);
	fclose(out);
	t_lines_parse(&lines, buf, len);
	ck_assert_uint_eq(lines.n, 6);
	for (size_t i = 0; i < 5; i++) {
		char off[8];

		snprintf(off, sizeof(off), "%zu", i);
		ck_assert_str_eq(t_field(lines.items[i], "PRIORITY"), "3");
		ck_assert_str_eq(t_field(lines.items[i], "MESSAGE_ID"), RSD_MESSAGE_ID_INVALID);
		ck_assert_str_eq(t_field(lines.items[i], "KAFKA_OFFSET"), off);
		ck_assert_str_eq(t_field(lines.items[i], "KAFKA_TOPIC"), TOPIC1);
		ck_assert_str_eq(t_field(lines.items[i], "KAFKA_PARTITION"), "0");
		ck_assert_uint_lt(strlen(t_field(lines.items[i], "MESSAGE")), 512);
	}
	ck_assert_str_eq(t_field(lines.items[5], "PRIORITY"), "4");
	ck_assert_str_eq(t_field(lines.items[5], "RECIPE_URL"), "https://recipes.test/r/7");
	ck_assert_int_eq(t_committed(bs, "invalid", TOPIC1, 0), 6);
	rsd_consumer_free(arg.c[0]);
	t_lines_free(&lines);
	free(buf);
	free(big);
	free(good);
}
END_TEST

/* ---- a sink that fails: fopencookie stream ---- */

struct flaky {
	char *buf;
	size_t len;
	FILE *mem;
	int ok_writes; /* successful writes before failing */
	int failures; /* failures to inject after that (-1 = forever) */
	bool at_line_start;
	atomic_int failed;
};

/* Fails whole lines only (glibc may split one fwrite into several writes;
 * a real stream cannot undo a partial line either). */
static ssize_t flaky_write(void *cookie, const char *data, size_t size)
{
	struct flaky *f = cookie;

	if (f->at_line_start && f->ok_writes == 0 && f->failures != 0) {
		if (f->failures > 0)
			f->failures--;
		atomic_fetch_add(&f->failed, 1);
		return -1;
	}
	f->at_line_start = size > 0 && data[size - 1] == '\n';
	if (f->at_line_start && f->ok_writes > 0)
		f->ok_writes--;
	fwrite(data, 1, size, f->mem);
	return (ssize_t)size;
}

static FILE *flaky_open(struct flaky *f)
{
	cookie_io_functions_t io = { .write = flaky_write };
	FILE *fp;

	f->mem = open_memstream(&f->buf, &f->len);
	fp = fopencookie(f, "w", io);
	/* Fully buffered like stdout on a pipe: the sink's fflush hands each
	 * line to flaky_write in one piece. */
	setvbuf(fp, NULL, _IOFBF, 1 << 20);
	return fp;
}

static bool failed_thrice(void *arg)
{
	return atomic_load(&((struct flaky *)arg)->failed) >= 3;
}

/* Writes fail from the 6th message on: the consumer retries it (with
 * backoff) and never stores, hence never commits, past it; a new member of
 * the group resumes exactly there. */
START_TEST(sink_failure_blocks_commit)
{
	const char *bs = rsd_broker_bootstrap(broker_1p);
	struct flaky f = { .ok_writes = 5, .failures = -1, .at_line_start = true };
	FILE *fp = flaky_open(&f);
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	struct t_config tc;
	struct count_arg arg = { .want = 5 };
	struct t_lines lines;

	produce_valid(bs, TOPIC1, 0, 10, 1);
	t_config_init(&tc, "flaky");
	tc.topics[0] = TOPIC1;
	arg.c[0] = consumer(&tc, bs, fp);
	ck_assert(t_wait(-1, failed_thrice, &f, 30000));
	ck_assert_uint_eq(atomic_load(&rsd_consumer_stats(arg.c[0])->consumed), 5);
	rsd_consumer_free(arg.c[0]); /* stops: commits stored offsets */
	fclose(fp);
	fclose(f.mem);
	t_lines_parse(&lines, f.buf, f.len);
	ck_assert_uint_eq(lines.n, 5);
	t_lines_free(&lines);
	ck_assert_int_eq(t_committed(bs, "flaky", TOPIC1, 0), 5);

	out = open_memstream(&buf, &len);
	arg.c[0] = consumer(&tc, bs, out);
	ck_assert(t_wait(wake_fd, consumed_at_least, &arg, 30000));
	stop(arg.c[0]);
	fclose(out);
	t_lines_parse(&lines, buf, len);
	ck_assert_uint_eq(lines.n, 5);
	for (size_t i = 0; i < 5; i++) {
		char off[8];

		snprintf(off, sizeof(off), "%zu", i + 5);
		ck_assert_str_eq(t_field(lines.items[i], "KAFKA_OFFSET"), off);
	}
	ck_assert_int_eq(t_committed(bs, "flaky", TOPIC1, 0), 10);
	rsd_consumer_free(arg.c[0]);
	t_lines_free(&lines);
	free(buf);
	free(f.buf);
}
END_TEST

/* Three failures then the sink recovers: every message once, in order. */
START_TEST(sink_recovers_in_order)
{
	const char *bs = rsd_broker_bootstrap(broker_1p);
	struct flaky f = { .ok_writes = 4, .failures = 3, .at_line_start = true };
	FILE *fp = flaky_open(&f);
	struct t_config tc;
	struct count_arg arg = { .want = 10 };
	struct t_lines lines;

	produce_valid(bs, TOPIC1, 0, 10, 1);
	t_config_init(&tc, "recover");
	tc.topics[0] = TOPIC1;
	arg.c[0] = consumer(&tc, bs, fp);
	ck_assert(t_wait(wake_fd, consumed_at_least, &arg, 30000));
	stop(arg.c[0]);
	fclose(fp);
	fclose(f.mem);
	ck_assert_int_eq(atomic_load(&f.failed), 3);
	t_lines_parse(&lines, f.buf, f.len);
	ck_assert_uint_eq(lines.n, 10);
	for (size_t i = 0; i < 10; i++) {
		char off[8];

		snprintf(off, sizeof(off), "%zu", i);
		ck_assert_str_eq(t_field(lines.items[i], "KAFKA_OFFSET"), off);
	}
	ck_assert_int_eq(t_committed(bs, "recover", TOPIC1, 0), 10);
	rsd_consumer_free(arg.c[0]);
	t_lines_free(&lines);
	free(f.buf);
}
END_TEST

static bool both_assigned(void *arg)
{
	struct count_arg *a = arg;

	return atomic_load(&rsd_consumer_stats(a->c[0])->assigned) > 0 &&
	       atomic_load(&rsd_consumer_stats(a->c[1])->assigned) > 0 &&
	       atomic_load(&rsd_consumer_stats(a->c[0])->assigned) +
			       atomic_load(&rsd_consumer_stats(a->c[1])->assigned) ==
		       4;
}

/* Two members of one group split the partitions and together write every
 * message; _i = 0 eager (range), 1 cooperative-sticky. */
START_TEST(group_splits_partitions)
{
	static const char *const strategy[] = { "range", "cooperative-sticky" };
	const char *bs = rsd_broker_bootstrap(broker_4p);
	const int n = 80;
	char *buf[2] = { NULL, NULL };
	size_t len[2] = { 0, 0 };
	FILE *out[2];
	struct t_config tc;
	struct count_arg arg = { .want = n };
	struct t_lines lines[2];

	t_config_init(&tc, strategy[_i]);
	tc.topics[0] = TOPIC4;
	t_consumer_prop(&tc, "partition.assignment.strategy", strategy[_i]);
	for (int i = 0; i < 2; i++) {
		out[i] = open_memstream(&buf[i], &len[i]);
		arg.c[i] = consumer(&tc, bs, out[i]);
	}
	ck_assert_msg(t_wait(-1, both_assigned, &arg, 40000), "partitions not split");
	produce_valid(bs, TOPIC4, 0, n, 4);
	ck_assert(t_wait(wake_fd, consumed_at_least, &arg, 30000));
	for (int i = 0; i < 2; i++) {
		stop(arg.c[i]);
		fclose(out[i]);
		t_lines_parse(&lines[i], buf[i], len[i]);
		ck_assert_uint_gt(lines[i].n, 0);
	}
	for (int i = 0; i < n; i++) {
		char *url = t_url(i);

		ck_assert_msg(t_count_url(&lines[0], url) + t_count_url(&lines[1], url) == 1,
			      "%s not written exactly once", url);
		free(url);
	}
	for (int i = 0; i < 2; i++) {
		rsd_consumer_free(arg.c[i]);
		t_lines_free(&lines[i]);
		free(buf[i]);
	}
}
END_TEST

/* Subscribed before the topic exists: waits, then consumes it. */
START_TEST(waits_for_missing_topic)
{
	const char *bs = rsd_broker_bootstrap(broker_1p);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct t_config tc;
	struct count_arg arg = { .want = 3 };

	t_config_init(&tc, "late");
	tc.topics[0] = "created_later";
	/* The mock cluster auto-creates topics on metadata requests; an error
	 * on the topic makes it look absent until cleared. */
	rd_kafka_mock_topic_set_error(rsd_broker_mock_cluster(broker_1p), "created_later",
				      RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
	arg.c[0] = consumer(&tc, bs, out);
	ck_assert(!t_wait(wake_fd, consumed_at_least, &arg, 1500));
	rd_kafka_mock_topic_set_error(rsd_broker_mock_cluster(broker_1p), "created_later",
				      RD_KAFKA_RESP_ERR_NO_ERROR);
	produce_valid(bs, "created_later", 0, 3, 1);
	ck_assert_msg(t_wait(wake_fd, consumed_at_least, &arg, 30000), "late topic not consumed");
	stop(arg.c[0]);
	rsd_consumer_free(arg.c[0]);
	fclose(out);
	free(buf);
}
END_TEST

/* An OffsetCommit error on revoke/shutdown is reported, not fatal; the
 * next member replays (at-least-once: duplicates, no loss). The error is
 * one the broker means (OFFSET_METADATA_TOO_LARGE): with NOT_COORDINATOR,
 * librdkafka 2.0.2 marks the coordinator dead and then fails the retried
 * commit with a local transport error, again and again, for as long as the
 * timing of the mock cluster's connection allows (4 s to over 90 s here,
 * librdkafka issue 3740), which tests librdkafka's patience, not ours. */
START_TEST(commit_error_replays)
{
	const char *bs = rsd_broker_bootstrap(broker_1p);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct t_config tc;
	struct count_arg arg = { .want = 4 };
	struct rsd_consumer *c;

	produce_valid(bs, TOPIC1, 0, 4, 1);
	t_config_init(&tc, "commit-errors");
	tc.topics[0] = TOPIC1;
	t_consumer_prop(&tc, "enable.auto.commit", "false");
	arg.c[0] = c = consumer(&tc, bs, out);
	ck_assert(t_wait(wake_fd, consumed_at_least, &arg, 30000));
	rd_kafka_mock_push_request_errors(rsd_broker_mock_cluster(broker_1p), 8 /* OffsetCommit */,
					  4, RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE,
					  RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE,
					  RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE,
					  RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE);
	stop(c); /* the final commits fail */
	char last[256];
	ck_assert_uint_ge(rsd_consumer_last_error(c, last, sizeof(last)), 1);
	ck_assert_msg(strstr(last, "OFFSET_METADATA_TOO_LARGE") != NULL, "last error: %s", last);
	ck_assert(!rsd_consumer_fatal(c, NULL, 0));
	rsd_consumer_free(c);
	rd_kafka_mock_clear_request_errors(rsd_broker_mock_cluster(broker_1p), 8);
	/* Whatever was committed, offsets never pass what was written. */
	ck_assert_int_le(t_committed(bs, "commit-errors", TOPIC1, 0), 4);
	fclose(out);
	free(buf);
}
END_TEST

/* Stopping never waits longer than the bound it is given for leaving the
 * group, even when no broker answers any more (the final commit and the
 * LeaveGroup then have nobody to go to): the daemon's stop budget holds
 * whatever librdkafka's close does (librdkafka#4527 can make it wait
 * forever). A member that cannot leave in time reports it (join returns
 * false) and is freed without being destroyed. */
START_TEST(leaving_is_bounded_when_brokers_are_gone)
{
	const char *bs = rsd_broker_bootstrap(broker_1p);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct t_config tc;
	struct count_arg arg = { .want = 2 };
	const int close_ms = 1500;

	produce_valid(bs, TOPIC1, 0, 2, 1);
	t_config_init(&tc, "gone");
	tc.topics[0] = TOPIC1;
	arg.c[0] = consumer(&tc, bs, out);
	ck_assert(t_wait(wake_fd, consumed_at_least, &arg, 30000));
	ck_assert_int_eq(rd_kafka_mock_broker_set_down(rsd_broker_mock_cluster(broker_1p), 1), 0);
	int64_t t0 = rsd_now_ms();
	rsd_consumer_stop(arg.c[0], close_ms);
	bool left = rsd_consumer_join(arg.c[0]);
	int64_t took = rsd_now_ms() - t0;
	printf("leaving with the broker down: %s after %lld ms (bound %d ms)\n",
	       left ? "left" : "given up", (long long)took, close_ms);
	/* The final commit and the close share the bound; slack for a
	 * loaded machine's scheduling. */
	ck_assert(!left);
	ck_assert_int_lt(took, close_ms + 2000);
	rsd_consumer_free(arg.c[0]);
	fclose(out);
	free(buf);
}
END_TEST

static Suite *consumer_suite(void)
{
	Suite *s = suite_create("kafka_consumer");
	TCase *tc = tcase_create("consumer");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, invalid_messages_skipped);
	tcase_add_test(tc, sink_failure_blocks_commit);
	tcase_add_test(tc, sink_recovers_in_order);
	tcase_add_loop_test(tc, group_splits_partitions, 0, 2);
	tcase_add_test(tc, waits_for_missing_topic);
	tcase_add_test(tc, commit_error_replays);
	tcase_add_test(tc, leaving_is_bounded_when_brokers_are_gone);
	suite_add_tcase(s, tc);
	return s;
}

RSD_CHECK_MAIN(consumer_suite)
