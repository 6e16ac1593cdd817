/* SPDX-License-Identifier: MIT */
/* The topic check (topics.c).
 *
 * Against librdkafka's mock cluster: existing topics are left alone (fewer
 * partitions reported), a creation that fails gives the error the daemon
 * logs; a check started while every broker is down finishes once they are
 * back. librdkafka 2.0.2's mock cluster neither implements CreateTopics nor
 * names a controller, so a creation against it fails with _TIMED_OUT
 * ("waiting for controller").
 *
 * Against a Kafka protocol test double (kafka_double.py: ApiVersions,
 * Metadata, CreateTopics on one loopback broker that is also the
 * controller): missing topics are created with the configured partitions
 * and replication factor (the raw topic with its max.message.bytes),
 * existing ones are never asked for again, one created meanwhile by another
 * client is read again, and the broker's refusals (authorization, policy)
 * are told apart from other failures. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "kafka/broker_embedded.h"
#include "kafka_helpers.h"
#include "kafka/topics.h"

/* The double, a child process: its stdin ends it, its stdout tells its
 * port, then one JSON line per topic a CreateTopics request asked for. */
struct t_double {
	pid_t pid;
	int in_fd;
	FILE *out;
	char bootstrap[32];
};

static struct t_config tc;
static struct rsd_broker *broker;
static struct t_double dbl;
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

/* Runs one check to its end (a previous one is freed). */
static void run_check(const char *bootstrap, int timeout_ms)
{
	char err[512];

	rsd_topics_free(check);
	check = NULL;
	ck_assert_msg(rsd_topics_start(&tc.cfg, bootstrap, wake_fd, err, sizeof(err), &check) == 0,
		      "%s", err);
	ck_assert_msg(t_wait(wake_fd, check_done, NULL, timeout_ms),
		      "the topic check did not finish");
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
	run_check(rsd_broker_bootstrap(broker), 30000);

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
	ck_assert_msg(t_wait(wake_fd, check_done, NULL, 30000),
		      "no result once the brokers were up");
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

/* ---- against the protocol double ---- */

/* In the child: only dup2 and exec (the parent has threads). The pipes
 * are close-on-exec; dup2's copies are not. */
static void double_exec(int in[2], int out[2], const char *const *argv)
{
	if (dup2(in[0], STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0)
		_exit(126);
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

/* Starts the double with args (NULL-terminated: --topic NAME:N, --refuse NAME:CODE:MSG). */
static void double_start(const char *const *args)
{
	const char *argv[16] = { getenv("RSD_PYTHON"), getenv("RSD_KAFKA_DOUBLE"), "--timeout",
				 "60" };
	int in[2], out[2], port = 0;
	char line[64];
	size_t n = 4;

	ck_assert_msg(argv[0] && argv[1],
		      "RSD_PYTHON and RSD_KAFKA_DOUBLE must be set (meson test does)");
	for (; args && *args; args++) {
		ck_assert_uint_lt(n, 15);
		argv[n++] = *args;
	}
	argv[n] = NULL;
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	dbl.pid = fork();
	ck_assert_int_ge(dbl.pid, 0);
	if (dbl.pid == 0)
		double_exec(in, out, argv);
	close(in[0]);
	close(out[1]);
	dbl.in_fd = in[1];
	dbl.out = fdopen(out[0], "r");
	/* Not fscanf("...\n"): it would wait for the next non-blank output. */
	ck_assert_msg(fgets(line, sizeof(line), dbl.out) && sscanf(line, "PORT %d", &port) == 1 &&
			      port > 0,
		      "the double did not tell its port");
	snprintf(dbl.bootstrap, sizeof(dbl.bootstrap), "127.0.0.1:%d", port);
}

/* Ends the double and returns the CreateTopics topics it was asked for, in order. */
static cJSON *double_finish(void)
{
	cJSON *asked = cJSON_CreateArray();
	char line[4096];
	int status;

	close(dbl.in_fd);
	dbl.in_fd = -1;
	while (fgets(line, sizeof(line), dbl.out)) {
		cJSON *obj = cJSON_Parse(line);

		ck_assert_msg(obj != NULL, "double output is not JSON: %s", line);
		ck_assert_msg(!cJSON_HasObjectItem(obj, "unexpected_api"), "unexpected request: %s",
			      line);
		cJSON_AddItemToArray(asked, obj);
	}
	fclose(dbl.out);
	dbl.out = NULL;
	ck_assert_int_eq(waitpid(dbl.pid, &status, 0), dbl.pid);
	dbl.pid = 0;
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the double failed: %d",
		      status);
	return asked;
}

static void setup_double(void)
{
	t_config_init(&tc, "topics-create-test");
	tc.cfg.partitions = 12;
	tc.cfg.replication_factor = 3;
	wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	check = NULL;
	memset(&dbl, 0, sizeof(dbl));
	dbl.in_fd = -1;
}

static void teardown_double(void)
{
	rsd_topics_free(check);
	if (dbl.pid > 0) { /* a failed test: end the double now */
		kill(dbl.pid, SIGTERM);
		waitpid(dbl.pid, NULL, 0);
	}
	if (dbl.in_fd >= 0)
		close(dbl.in_fd);
	if (dbl.out)
		fclose(dbl.out);
	close(wake_fd);
}

/* The request the double recorded for name (exactly one). */
static const cJSON *asked_for(const cJSON *asked, const char *name)
{
	const cJSON *found = NULL, *it;

	cJSON_ArrayForEach (it, asked) {
		if (strcmp(t_field(it, "name"), name) != 0)
			continue;
		ck_assert_msg(found == NULL, "%s asked for twice", name);
		found = it;
	}
	ck_assert_msg(found != NULL, "%s not asked for", name);
	return found;
}

static int int_field(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	ck_assert_msg(cJSON_IsNumber(v), "no number %s", name);
	return v->valueint;
}

/* name was asked for once with the configured partitions and replication
 * factor, and max.message.bytes (NULL: no topic config). */
static void assert_asked(const cJSON *asked, const char *name, const char *max_message_bytes)
{
	const cJSON *req = asked_for(asked, name);
	const cJSON *configs = cJSON_GetObjectItemCaseSensitive(req, "configs");
	int rf = tc.cfg.replication_factor ? (int)tc.cfg.replication_factor : -1;

	ck_assert_int_eq(int_field(req, "partitions"), 12);
	ck_assert_int_eq(int_field(req, "replication_factor"), rf);
	ck_assert_int_eq(cJSON_GetArraySize(configs), max_message_bytes ? 1 : 0);
	if (max_message_bytes)
		ck_assert_str_eq(t_field(configs, "max.message.bytes"), max_message_bytes);
}

static void assert_result(const char *name, enum rsd_topic_outcome outcome, int partitions)
{
	const struct rsd_topic_result *r = result_of(name);

	ck_assert_int_eq(r->outcome, outcome);
	ck_assert_int_eq(r->partitions, partitions);
}

/* Missing topics are created with [producer] partitions and
 * replication_factor, the raw one sized for max_page_bytes; a topic with
 * fewer partitions is reported and left alone; a second check finds
 * everything in place and asks for nothing. */
START_TEST(creates_missing)
{
	static const char *const args[] = { "--topic", "wide:4", NULL };
	char *topics[] = { (char *)T_TOPIC, (char *)"wide" };
	char raw_bytes[32];
	cJSON *asked;

	tc.cfg.topics.items = topics;
	tc.cfg.topics.n = 2;
	snprintf(raw_bytes, sizeof(raw_bytes), "%ju",
		 (uintmax_t)rsd_topics_raw_message_bytes(&tc.cfg));
	double_start(args);
	run_check(dbl.bootstrap, 30000);
	assert_result(T_TOPIC, RSD_TOPIC_CREATED, 12);
	assert_result(T_RAW_TOPIC, RSD_TOPIC_CREATED, 12);
	assert_result("wide", RSD_TOPIC_FEWER_PARTITIONS, 4);
	run_check(dbl.bootstrap, 30000);
	assert_result(T_TOPIC, RSD_TOPIC_EXISTS, 12);
	assert_result(T_RAW_TOPIC, RSD_TOPIC_EXISTS, 12);
	assert_result("wide", RSD_TOPIC_FEWER_PARTITIONS, 4);
	asked = double_finish();
	ck_assert_int_eq(cJSON_GetArraySize(asked), 2); /* "wide" never, nothing the second time */
	assert_asked(asked, T_TOPIC, NULL);
	assert_asked(asked, T_RAW_TOPIC, raw_bytes);
	cJSON_Delete(asked);
}
END_TEST

/* replication_factor unset: the broker's default (-1, CreateTopics v4). */
START_TEST(default_replication_factor)
{
	cJSON *asked;

	tc.cfg.replication_factor = 0;
	tc.cfg.raw_topic = NULL;
	double_start(NULL);
	run_check(dbl.bootstrap, 30000);
	asked = double_finish();
	assert_result(T_TOPIC, RSD_TOPIC_CREATED, 12);
	ck_assert_int_eq(cJSON_GetArraySize(asked), 1);
	assert_asked(asked, T_TOPIC, NULL);
	ck_assert_int_eq(int_field(asked_for(asked, T_TOPIC), "version"), 4);
	cJSON_Delete(asked);
}
END_TEST

/* A topic another client created between the check's metadata request and
 * its CreateTopics (TOPIC_ALREADY_EXISTS) is read again: its partitions
 * are known, fewer than configured reported. */
START_TEST(created_meanwhile)
{
	static const char *const args[] = { "--hidden", T_TOPIC ":3", "--hidden", T_RAW_TOPIC ":12",
					    NULL };
	cJSON *asked;

	double_start(args);
	run_check(dbl.bootstrap, 30000);
	assert_result(T_TOPIC, RSD_TOPIC_FEWER_PARTITIONS, 3);
	assert_result(T_RAW_TOPIC, RSD_TOPIC_EXISTS, 12);
	asked = double_finish();
	ck_assert_int_eq(cJSON_GetArraySize(asked), 2);
	cJSON_Delete(asked);
}
END_TEST

static void assert_not_created(const char *name, enum rsd_topic_outcome outcome,
			       rd_kafka_resp_err_t err, const char *reason)
{
	const struct rsd_topic_result *r = result_of(name);

	ck_assert_int_eq(r->outcome, outcome);
	ck_assert_int_eq(r->err, err);
	ck_assert_str_eq(r->reason, reason);
}

/* Authorization and policy answers are refusals (the operator must create
 * the topic or grant the right), with the broker's text; other errors are
 * failures. Nothing is created. */
START_TEST(refused_and_failed)
{
	static const char *const args[] = {
		"--refuse", T_TOPIC ":29:Authorization failed.",
		"--refuse", T_RAW_TOPIC ":44:Topic names must start with x",
		"--refuse", "audit:31:Cluster authorization failed.",
		"--refuse", "wide:38:Replication factor: 3 larger than available brokers: 1.",
		NULL
	};
	char *topics[] = { (char *)"audit", (char *)"wide" };
	cJSON *asked;

	tc.cfg.topics.items = topics;
	tc.cfg.topics.n = 2;
	double_start(args);
	run_check(dbl.bootstrap, 30000);
	assert_not_created(T_TOPIC, RSD_TOPIC_REFUSED, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
			   "Authorization failed.");
	assert_not_created(T_RAW_TOPIC, RSD_TOPIC_REFUSED, RD_KAFKA_RESP_ERR_POLICY_VIOLATION,
			   "Topic names must start with x");
	assert_not_created("audit", RSD_TOPIC_REFUSED,
			   RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED,
			   "Cluster authorization failed.");
	assert_not_created("wide", RSD_TOPIC_FAILED, RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR,
			   "Replication factor: 3 larger than available brokers: 1.");
	asked = double_finish();
	ck_assert_int_eq(cJSON_GetArraySize(asked), 4);
	cJSON_Delete(asked);
}
END_TEST

static Suite *topics_suite(void)
{
	Suite *s = suite_create("kafka_topics");
	TCase *mock = tcase_create("mock_cluster"), *created = tcase_create("protocol_double");

	tcase_add_checked_fixture(mock, setup, teardown);
	tcase_set_timeout(mock, 90);
	tcase_add_test(mock, wanted_topics);
	tcase_add_test(mock, existing_kept_missing_failed);
	tcase_add_test(mock, brokers_down_then_up);
	tcase_add_test(mock, stop_while_brokers_down);
	suite_add_tcase(s, mock);
	tcase_add_checked_fixture(created, setup_double, teardown_double);
	tcase_set_timeout(created, 90);
	tcase_add_test(created, creates_missing);
	tcase_add_test(created, default_replication_factor);
	tcase_add_test(created, created_meanwhile);
	tcase_add_test(created, refused_and_failed);
	suite_add_tcase(s, created);
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
