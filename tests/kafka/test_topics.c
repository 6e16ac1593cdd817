/* SPDX-License-Identifier: MIT */
/* The topic check (topics.c) against librdkafka's mock cluster: existing
 * topics are left alone (fewer partitions reported), missing ones are asked
 * for with CreateTopics, and a creation that fails gives the error the
 * daemon logs; a check started while every broker is down finishes once
 * they are back.
 *
 * librdkafka 2.0.2's mock cluster neither implements CreateTopics nor names
 * a controller, so a creation against it fails with _TIMED_OUT ("waiting
 * for controller"): the successful creation and the refusals (authorization,
 * policy) cannot be produced here; test_topics_create.c runs them against a
 * Kafka protocol test double. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "broker_embedded.h"
#include "kafka_helpers.h"
#include "topics.h"

static struct t_config tc;
static struct rsd_broker *broker;
static int wake_fd;
static struct rsd_topics *check;

/* The cluster holds parsed_recipes with 2 partitions and "wide" with 8. */
static void setup(void)
{
	static const char *const two[] = { T_TOPIC };
	char err[512];

	t_config_init(&tc, "topics-test");
	ck_assert_msg(rsd_broker_new(3, 2, two, 1, 0, err, sizeof(err), &broker) == 0, "%s", err);
	ck_assert_int_eq(rd_kafka_mock_topic_create(rsd_broker_mock_cluster(broker), "wide", 8, 1),
			 0);
	wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	check = NULL;
}

static void teardown(void)
{
	rsd_topics_free(check);
	rsd_broker_free(broker);
	close(wake_fd);
}

static bool check_done(void *arg)
{
	size_t n;

	return rsd_topics_results(check, &n) != NULL;
}

static void run_check(int timeout_ms)
{
	char err[512];

	ck_assert_msg(rsd_topics_start(&tc.cfg, rsd_broker_bootstrap(broker), wake_fd, err,
				       sizeof(err), &check) == 0,
		      "%s", err);
	ck_assert_msg(t_wait(wake_fd, check_done, NULL, timeout_ms), "the topic check did not finish");
}

static const struct rsd_topic_result *result_of(const char *name)
{
	size_t n;
	const struct rsd_topic_result *r = rsd_topics_results(check, &n);

	for (size_t i = 0; r && i < n; i++)
		if (strcmp(r[i].name, name) == 0)
			return &r[i];
	ck_abort_msg("no result for %s", name);
	return NULL;
}

/* Producer topic, raw topic (sized for max_page_bytes), consumer topics; once each. */
START_TEST(wanted_topics)
{
	struct rsd_topic_want w[RSD_TOPICS_MAX];
	char *topics[] = { (char *)T_TOPIC, (char *)"wide", (char *)T_TOPIC };
	size_t n;

	tc.cfg.topics.items = topics;
	tc.cfg.topics.n = 3;
	tc.cfg.replication_factor = 3;
	n = rsd_topics_wanted(&tc.cfg, w, RSD_TOPICS_MAX);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(w[0].name, T_TOPIC);
	ck_assert_uint_eq(w[0].max_message_bytes, 0);
	ck_assert_str_eq(w[1].name, T_RAW_TOPIC);
	ck_assert_uint_eq(w[1].max_message_bytes, (10u << 20) + 65536);
	ck_assert_str_eq(w[2].name, "wide");
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(w[i].partitions, 6);
		ck_assert_int_eq(w[i].replication_factor, 3);
	}
	tc.cfg.replication_factor = 0; /* the broker's default */
	tc.cfg.raw_topic = NULL;
	tc.cfg.max_page_bytes = 1u << 30; /* above librdkafka's message.max.bytes limit */
	n = rsd_topics_wanted(&tc.cfg, w, RSD_TOPICS_MAX);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(w[0].replication_factor, -1);
	ck_assert_uint_eq(rsd_topics_raw_message_bytes(&tc.cfg), 1000000000u);
}
END_TEST

/* Existing topics: left as they are, fewer partitions than configured
 * reported with their count. The missing raw topic is asked for, and the
 * mock's failure is reported (see the top comment). */
START_TEST(existing_kept_missing_failed)
{
	char *topics[] = { (char *)T_TOPIC, (char *)"wide" };
	const struct rsd_topic_result *r;

	tc.cfg.topics.items = topics;
	tc.cfg.topics.n = 2;
	run_check(30000);

	r = result_of(T_TOPIC);
	ck_assert_int_eq(r->outcome, RSD_TOPIC_FEWER_PARTITIONS);
	ck_assert_int_eq(r->partitions, 2);
	ck_assert_int_eq(r->want.partitions, 6);
	r = result_of("wide");
	ck_assert_int_eq(r->outcome, RSD_TOPIC_EXISTS);
	ck_assert_int_eq(r->partitions, 8);
	r = result_of(T_RAW_TOPIC);
	ck_assert_int_eq(r->outcome, RSD_TOPIC_FAILED);
	ck_assert_int_eq(r->err, RD_KAFKA_RESP_ERR__TIMED_OUT);
	ck_assert_msg(strstr(r->reason, "controller") != NULL, "reason: %s", r->reason);
	ck_assert_uint_eq(r->want.max_message_bytes, (10u << 20) + 65536);
}
END_TEST

static void set_brokers(bool up)
{
	rd_kafka_mock_cluster_t *mc = rsd_broker_mock_cluster(broker);

	for (int id = 1; id <= 3; id++) {
		if (up)
			rd_kafka_mock_broker_set_up(mc, id);
		else
			rd_kafka_mock_broker_set_down(mc, id);
	}
}

/* Starts the check with every broker down; it has no result after wait_ms,
 * and rsd_topics_wait() returned false once the first attempt failed. */
static void start_with_brokers_down(int wait_ms)
{
	char err[512];

	set_brokers(false);
	ck_assert_msg(rsd_topics_start(&tc.cfg, rsd_broker_bootstrap(broker), wake_fd, err,
				       sizeof(err), &check) == 0,
		      "%s", err);
	ck_assert(!t_wait(wake_fd, check_done, NULL, wait_ms));
}

/* Started while every broker is down: it waits (no result), then finishes
 * once a broker answers. */
START_TEST(brokers_down_then_up)
{
	tc.cfg.raw_topic = NULL;
	start_with_brokers_down(500);
	ck_assert(!rsd_topics_wait(check, 20000)); /* the first attempt failed */
	set_brokers(true);
	ck_assert_msg(t_wait(wake_fd, check_done, NULL, 30000), "no result once the brokers were up");
	ck_assert_int_eq(result_of(T_TOPIC)->outcome, RSD_TOPIC_FEWER_PARTITIONS);
}
END_TEST

/* Freeing it while no broker answers is bounded by one metadata attempt. */
START_TEST(stop_while_brokers_down)
{
	start_with_brokers_down(500);
	rsd_topics_free(check);
	check = NULL;
}
END_TEST

static Suite *topics_suite(void)
{
	Suite *s = suite_create("kafka_topics");
	TCase *tc_ = tcase_create("topics");

	tcase_add_checked_fixture(tc_, setup, teardown);
	tcase_set_timeout(tc_, 90);
	tcase_add_test(tc_, wanted_topics);
	tcase_add_test(tc_, existing_kept_missing_failed);
	tcase_add_test(tc_, brokers_down_then_up);
	tcase_add_test(tc_, stop_while_brokers_down);
	suite_add_tcase(s, tc_);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(topics_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
