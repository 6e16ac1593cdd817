/* SPDX-License-Identifier: MIT */
/* Delivery guarantees of the real daemon binary (issue 6).
 *
 * Every scenario crawls a generated site of slow recipe pages, publishes to
 * a standalone `recipe-scraperd broker` process (librdkafka's mock cluster,
 * fault injection through its stdin) and consumes into the stdout sink. A
 * fault is injected mid-crawl; the test then asserts that the set of
 * consumed RECIPE_URLs equals the set of recipe pages (lost = 0) and prints
 * "duplicates: N" (at-least-once allows duplicates, never losses).
 *
 * Usage: test_delivery SCENARIO (one meson test per scenario; without an
 * argument every scenario runs). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "delivery.h"
#include "check_main.h"

#define N_RECIPES 60
#define SLOW_MS 150 /* every recipe page answers this late */
#define SLOWER_MS 300 /* ... in the restart scenarios: records flow before the stop */
#define RUN_MS 150000 /* bound of one daemon run (ASan included) */

struct world {
	struct harness_proc p;
	struct site site;
	struct broker broker;
};

static void world_start(struct world *w, unsigned delay_ms)
{
	harness_init(&w->p);
	site_start(&w->site, w->p.dir, N_RECIPES, delay_ms);
	broker_start(&w->broker, w->p.dir);
}

/* Writes p's config c, on w's broker and, unless c names another start
 * URL, w's site. */
static void world_conf(const struct world *w, const struct harness_proc *p, struct daemon_conf c)
{
	if (!c.brokers)
		c.brokers = w->broker.bootstrap;
	if (!c.start_url)
		c.start_url = w->site.index_url;
	write_daemon_conf(p, &c);
}

static void world_stop(struct world *w)
{
	broker_stop(&w->broker);
	site_stop(&w->site);
	harness_cleanup(&w->p);
}

static void assert_stderr_has(const struct harness_proc *p, const char *want)
{
	char *err = harness_slurp(p->stderr_path);
	ck_assert_msg(strstr(err, want) != NULL, "no '%s' in stderr:\n%s", want, err);
	free(err);
}

static void assert_all_consumed(const struct site *s, const struct harness_proc *p,
				const char *name)
{
	struct tally t;
	tally_init(&t, s);
	tally_add_file(&t, s, p->stdout_path);
	tally_report_and_assert(&t, name);
}

/* Every recipe the broker holds was consumed (see request_errors). */
static void assert_consumed_what_kafka_holds(struct world *w, const char *name)
{
	struct tally consumed, in_log;
	tally_init(&consumed, &w->site);
	tally_add_file(&consumed, &w->site, w->p.stdout_path);
	tally_init(&in_log, &w->site);
	tally_broker_log(&in_log, &w->site, &w->broker, "parsed_recipes");
	tally_report_against_log(&consumed, &in_log, name);
}

/* 1. Every broker down for seconds mid-crawl, then back: the librdkafka
 * queue fills (kept small here so it happens within the test), the ring
 * fills, the scrapers stop fetching; afterwards everything flows and --once
 * exits 0 with nothing undelivered. */
START_TEST(broker_outage)
{
	struct world w;
	world_start(&w, SLOW_MS);
	world_conf(&w, &w.p,
		   (struct daemon_conf){ .raw_topic = "raw_recipes",
					 .producer_extra = "queue.buffering.max.messages = 4" });
	daemon_start(&w.p, true);
	wait_recipe_requests(&w.p, &w.site, 0, 10, RUN_MS);

	broker_cmd(&w.broker, "alldown");
	unsigned at_down = site_recipe_requests(&w.site, 0, NULL);
	ck_assert_msg(daemon_hold(&w.p, 5000), "--once finished during the outage");
	unsigned during = site_recipe_requests(&w.site, 0, NULL) - at_down;
	broker_cmd(&w.broker, "allup");
	expect_exit(&w.p, 0, RUN_MS);

	/* Without backpressure 2 connections fetch ~65 slow pages in 5 s. With
	 * it: what was in flight, the ring (8), librdkafka's queue (4 messages
	 * = 2 records with their raw HTML), one record in each blocked thread. */
	printf("outage: %u recipe requests before, %u during 5 s down\n", at_down, during);
	ck_assert_uint_le(during, 8 + 2 + 3 + 2 + 2);
	assert_stderr_has(&w.p, " 0 undelivered");
	assert_all_consumed(&w.site, &w.p, "broker-outage");
	world_stop(&w);
}
END_TEST

/* 1b. Every broker down from the start: nothing is fetched at all, since
 * the crawl waits for the cluster's id (the crawl state's scope). Once the
 * brokers are up the crawl starts; then every broker goes down again
 * mid-crawl with librdkafka's own queue left at its default (100,000
 * messages): fetching must still pause within the ring's bound, because
 * the producer holds at most ring capacity records out of the ring. Then
 * the brokers come back and every recipe is delivered exactly once: the
 * broker's log is compared. */
START_TEST(brokers_down_from_start)
{
	struct world w;
	world_start(&w, SLOW_MS);
	broker_cmd(&w.broker, "alldown");
	world_conf(&w, &w.p, (struct daemon_conf){ .raw_topic = "raw_recipes" });
	/* Not --once: the daemon must not be finishing on its own meanwhile. */
	daemon_start(&w.p, false);
	ck_assert_msg(daemon_hold(&w.p, 3000), "the daemon exited during the outage");
	unsigned before_up = site_recipe_requests(&w.site, 0, NULL);
	printf("brokers down from the start: %u recipe requests in 3 s\n", before_up);
	ck_assert_uint_eq(before_up, 0);

	broker_cmd(&w.broker, "allup");
	wait_recipe_requests(&w.p, &w.site, 0, 4, RUN_MS);
	broker_cmd(&w.broker, "alldown");
	unsigned at_down = site_recipe_requests(&w.site, 0, NULL);
	/* Ring 8 + 8 records held by the producer + one record blocked in each
	 * of the 2 scraper threads + the 2 transfers in flight per host. */
	const unsigned bound = 8 + 8 + 2 + 2;
	/* 60 pages of 150 ms on 2 connections would all be fetched in 5 s. */
	ck_assert_msg(daemon_hold(&w.p, 5000), "the daemon exited during the outage");
	unsigned during = site_recipe_requests(&w.site, 0, NULL) - at_down;
	printf("brokers down mid-crawl: %u recipe requests before, %u during 5 s (bound %u)\n",
	       at_down, during, bound);
	ck_assert_uint_le(during, bound);

	broker_cmd(&w.broker, "allup");
	struct harness_proc *procs[] = { &w.p };
	wait_all_consumed(procs, 1, &w.site, RUN_MS);
	harness_signal(&w.p, SIGTERM);
	expect_exit(&w.p, 0, RUN_MS);
	assert_stderr_has(&w.p, " 0 undelivered");

	struct tally in_log;
	tally_init(&in_log, &w.site);
	tally_broker_log(&in_log, &w.site, &w.broker, "parsed_recipes");
	ck_assert_uint_eq(tally_lost(&in_log), 0);
	ck_assert_uint_eq(tally_duplicates(&in_log), 0);
	assert_all_consumed(&w.site, &w.p, "brokers-down-from-start");
	ck_assert_uint_eq(site_recipe_requests(&w.site, 0, NULL), N_RECIPES);
	world_stop(&w);
}
END_TEST

/* 1c. The topic check against a cluster that holds parsed_recipes with 6
 * partitions and no raw_pages: with partitions = 8 it warns that
 * parsed_recipes has fewer (and leaves it), tries to create raw_pages and
 * logs why it could not (the mock cluster has no CreateTopics and no
 * controller), before the producer starts; the daemon keeps running and
 * every record is delivered. (The producer's first request for raw_pages
 * then has the mock auto-create it, as a broker with
 * auto.create.topics.enable would.) */
START_TEST(topic_check)
{
	struct world w;
	world_start(&w, SLOW_MS);
	world_conf(&w, &w.p,
		   (struct daemon_conf){ .raw_topic = "raw_pages",
					 .producer_extra = "partitions = 8" });
	daemon_start(&w.p, true);
	expect_exit(&w.p, 0, RUN_MS);
	assert_stderr_has(&w.p, "<4>Kafka topic parsed_recipes has 6 partitions, fewer than "
				"[producer] partitions = 8");
	assert_stderr_has(&w.p, "--alter --topic parsed_recipes --partitions 8");
	assert_stderr_has(&w.p, "<3>Cannot create Kafka topic raw_pages: _TIMED_OUT");
	assert_stderr_has(&w.p, "--create --topic raw_pages --partitions 8 --config "
				"max.message.bytes=10551296");
	assert_stderr_has(&w.p, " 0 undelivered");
	assert_all_consumed(&w.site, &w.p, "topic-check");
	world_stop(&w);
}
END_TEST

/* 1d. A reload that changes the topic settings runs the check again on the
 * new clients: parsed_recipes (6 partitions) is fine with partitions = 6,
 * then reported after a reload to partitions = 12. */
START_TEST(topic_check_on_reload)
{
	struct world w;
	world_start(&w, 0);
	struct daemon_conf conf = {
		.brokers = w.broker.bootstrap,
		.start_url = w.site.index_url,
		.producer_extra = "partitions = 6",
	};
	write_daemon_conf(&w.p, &conf);
	daemon_start(&w.p, false);
	char *err = harness_slurp(w.p.stderr_path);
	ck_assert_msg(strstr(err, "fewer than [producer] partitions") == NULL, "%s", err);
	free(err);

	conf.producer_extra = "partitions = 12";
	write_daemon_conf(&w.p, &conf);
	harness_signal(&w.p, SIGHUP);
	expect_notify(&w.p, "READY=1", 2, 60000);
	harness_signal(&w.p, SIGTERM);
	expect_exit(&w.p, 0, RUN_MS);
	assert_stderr_has(&w.p, "(Kafka clients recreated)");
	assert_stderr_has(&w.p, "<4>Kafka topic parsed_recipes has 6 partitions, fewer than "
				"[producer] partitions = 12");
	world_stop(&w);
}
END_TEST

/* 2. Produce requests fail with retriable errors, OffsetCommit requests
 * fail too (auto-commit runs often here so that they are hit).
 *
 * librdkafka 2.0.2's mock cluster accepts a batch whose predecessor (same
 * producer id, lower sequence) failed with NOT_LEADER_FOR_PARTITION or
 * REQUEST_TIMED_OUT and was never written, where Kafka answers
 * OUT_OF_ORDER_SEQUENCE_NUMBER; the idempotent producer then "implicitly
 * acks" the predecessor (debug=eos,msg: "MsgId 6 ... Not leader", "MsgId 7
 * delivered", "IMPLICITACK msgids 6..6"). Such a record is acknowledged but
 * in no broker log, so no client could deliver it: these scenarios compare
 * the consumed set with what the broker holds, and report the rest. One
 * request in flight per broker makes it rarer. */
START_TEST(request_errors)
{
	struct world w;
	world_start(&w, SLOW_MS);
	world_conf(
		&w, &w.p,
		(struct daemon_conf){ .producer_extra = "max.in.flight.requests.per.connection = 1",
				      .consumer_extra = "auto.commit.interval.ms = 200" });
	daemon_start(&w.p, true);
	wait_recipe_requests(&w.p, &w.site, 0, 10, RUN_MS);
	broker_cmd(&w.broker, "errors 0 30 NOT_LEADER_FOR_PARTITION");
	broker_cmd(&w.broker, "errors 8 10 REQUEST_TIMED_OUT");
	wait_recipe_requests(&w.p, &w.site, 0, 30, RUN_MS);
	broker_cmd(&w.broker, "errors 0 10 REQUEST_TIMED_OUT");
	broker_cmd(&w.broker, "errors 8 10 NOT_COORDINATOR");
	expect_exit(&w.p, 0, RUN_MS);
	assert_stderr_has(&w.p, " 0 undelivered");
	assert_consumed_what_kafka_holds(&w, "request-errors");
	world_stop(&w);
}
END_TEST

static void move_leaders(struct broker *b, int shift)
{
	for (int part = 0; part < 6; part++)
		broker_cmd(b, "leader parsed_recipes %d %d", part, (part + shift) % 3 + 1);
}

/* 3. Partition leaders move twice while brokers answer slowly (the old
 * leader's NOT_LEADER_FOR_PARTITION answers trip the mock cluster as in 2). */
START_TEST(leader_change_and_rtt)
{
	struct world w;
	world_start(&w, SLOW_MS);
	world_conf(&w, &w.p, (struct daemon_conf){ 0 });
	daemon_start(&w.p, true);
	wait_recipe_requests(&w.p, &w.site, 0, 10, RUN_MS);
	broker_cmd(&w.broker, "rtt 1 600");
	broker_cmd(&w.broker, "rtt 2 300");
	move_leaders(&w.broker, 1);
	wait_recipe_requests(&w.p, &w.site, 0, 30, RUN_MS);
	move_leaders(&w.broker, 2);
	broker_cmd(&w.broker, "rtt 1 0");
	broker_cmd(&w.broker, "rtt 3 800");
	wait_recipe_requests(&w.p, &w.site, 0, 45, RUN_MS);
	broker_cmd(&w.broker, "rtt 2 0");
	broker_cmd(&w.broker, "rtt 3 0");
	expect_exit(&w.p, 0, RUN_MS);
	assert_stderr_has(&w.p, " 0 undelivered");
	assert_consumed_what_kafka_holds(&w, "leader-change-rtt");
	world_stop(&w);
}
END_TEST

/* Run 2 of a restart: --once on run 1's crawl state and consumer group.
 * Asserts that it fetched exactly the recipes not marked delivered, once
 * each, and returns the union of both runs' consumed records. */
static void restart_once_and_check(struct world *w, const bool *delivered, struct tally *all)
{
	struct harness_proc p2;
	char state[256];
	unsigned counts[N_RECIPES], refetched = 0;

	harness_init(&p2);
	snprintf(state, sizeof state, "%s/state", w->p.dir);
	world_conf(w, &p2, (struct daemon_conf){ .state_dir = state });
	int64_t since = rsd_httpd_now_ms();
	daemon_start(&p2, true);
	expect_exit(&p2, 0, RUN_MS);
	site_recipe_requests(&w->site, since, counts);
	for (unsigned i = 0; i < N_RECIPES; i++) {
		ck_assert_msg(counts[i] == (delivered[i] ? 0u : 1u),
			      "recipe-%02u: %s in run 1, fetched %u times in run 2", i,
			      delivered[i] ? "delivered" : "not delivered", counts[i]);
		refetched += counts[i];
	}
	printf("run 2 fetched exactly the %u recipes not marked delivered\n", refetched);
	tally_add_file(all, &w->site, w->p.stdout_path);
	tally_add_file(all, &w->site, p2.stdout_path);
	harness_cleanup(&p2);
}

/* 4. kill -9 mid-crawl (daemon mode), then a restart with --once. */
START_TEST(kill9_then_restart)
{
	struct world w;
	bool delivered[N_RECIPES];
	char state[256];
	struct tally run1, all;

	world_start(&w, SLOWER_MS);
	world_conf(&w, &w.p, (struct daemon_conf){ 0 });
	daemon_start(&w.p, false);
	snprintf(state, sizeof state, "%s/state", w.p.dir);
	/* Marks reach the file at the daemon's periodic sync (2 s). */
	wait_progress(&w.p, &w.site, state, 10, 5, RUN_MS);
	pid_t pid = w.p.pid;
	harness_signal(&w.p, SIGKILL);
	ck_assert_int_eq(harness_wait_exit(&w.p, 30000), 128 + SIGKILL);
	reaper_forget(pid);

	unsigned marked = state_delivered(&w.site, state, delivered);
	tally_init(&run1, &w.site);
	tally_add_file(&run1, &w.site, w.p.stdout_path);
	printf("kill -9 after %u recipe requests: %u marked delivered, %u consumed\n",
	       site_recipe_requests(&w.site, 0, NULL), marked, run1.lines);
	ck_assert_uint_lt(marked, N_RECIPES); /* really mid-crawl */

	tally_init(&all, &w.site);
	restart_once_and_check(&w, delivered, &all);
	tally_report_and_assert(&all, "kill9-restart");
	world_stop(&w);
}
END_TEST

/* 5. SIGTERM mid-crawl drains (exit 0, counts consistent), then --once
 * completes the crawl. */
START_TEST(sigterm_then_restart)
{
	struct world w;
	bool delivered[N_RECIPES];
	char state[256];
	struct summary sum;
	struct tally run1, all;

	world_start(&w, SLOWER_MS);
	world_conf(&w, &w.p, (struct daemon_conf){ 0 });
	daemon_start(&w.p, false);
	snprintf(state, sizeof state, "%s/state", w.p.dir);
	wait_progress(&w.p, &w.site, state, 10, 5, RUN_MS);
	harness_signal(&w.p, SIGTERM);
	expect_exit(&w.p, 0, 60000);
	ck_assert_msg(strstr(w.p.notified, "STOPPING=1") != NULL, "%s", w.p.notified);

	char *err = harness_slurp(w.p.stderr_path);
	ck_assert_msg(summary_parse(err, &sum), "no summary in:\n%s", err);
	free(err);
	unsigned marked = state_delivered(&w.site, state, delivered);
	tally_init(&run1, &w.site);
	tally_add_file(&run1, &w.site, w.p.stdout_path);
	printf("SIGTERM: %llu produced, %llu acknowledged, %llu undelivered, %llu consumed; "
	       "%u marked delivered, %u sink lines\n",
	       sum.produced, sum.acknowledged, sum.undelivered, sum.consumed, marked, run1.lines);
	ck_assert_uint_eq(sum.undelivered, 0); /* the broker was healthy */
	ck_assert_uint_eq(sum.produced, sum.acknowledged); /* ... so all were acknowledged */
	ck_assert_uint_eq(sum.acknowledged, marked); /* each ack marked its URL */
	ck_assert_uint_eq(sum.consumed, run1.lines); /* each consumed record written */
	ck_assert_uint_le(sum.consumed, sum.acknowledged);
	ck_assert_uint_lt(marked, N_RECIPES); /* really mid-crawl */

	tally_init(&all, &w.site);
	restart_once_and_check(&w, delivered, &all);
	tally_report_and_assert(&all, "sigterm-restart");
	world_stop(&w);
}
END_TEST

/* 6. Four reloads while crawling, two of them changing a [producer]
 * librdkafka key so that both Kafka clients are drained and recreated. */
START_TEST(sighup_under_load)
{
	static const char *const producer_keys[] = { "linger.ms = 5", "linger.ms = 5",
						     "linger.ms = 20", "linger.ms = 20",
						     "linger.ms = 5" };
	static const char *const delays[] = { "0", "1", "1", "0", "0" };
	struct world w;
	struct daemon_conf conf;
	unsigned counts[N_RECIPES], refetched = 0;

	world_start(&w, SLOW_MS);
	for (int i = 0; i < 5; i++) {
		conf = (struct daemon_conf){ .brokers = w.broker.bootstrap,
					     .start_url = w.site.index_url,
					     .delay_ms = delays[i],
					     .producer_extra = producer_keys[i] };
		write_daemon_conf(&w.p, &conf);
		if (i == 0) {
			daemon_start(&w.p, false);
		} else {
			wait_recipe_requests(&w.p, &w.site, 0, 10u * (unsigned)i, RUN_MS);
			harness_signal(&w.p, SIGHUP);
			expect_notify(&w.p, "READY=1", i + 1, 60000); /* reload i done */
		}
	}
	ck_assert_int_eq(site_recipe_requests(&w.site, 0, NULL) < N_RECIPES, 1);
	struct harness_proc *procs[] = { &w.p };
	wait_all_consumed(procs, 1, &w.site, RUN_MS);
	harness_signal(&w.p, SIGTERM);
	expect_exit(&w.p, 0, 60000);
	assert_stderr_has(&w.p, "(Kafka clients recreated)");
	assert_stderr_has(&w.p, " 0 undelivered");

	site_recipe_requests(&w.site, 0, counts);
	for (unsigned i = 0; i < N_RECIPES; i++)
		refetched += counts[i] - 1;
	printf("recipe pages fetched again after a reload: %u\n", refetched);
	struct tally t;
	tally_init(&t, &w.site);
	tally_add_file(&t, &w.site, w.p.stdout_path);
	tally_report_and_assert(&t, "sighup-under-load");
	ck_assert_msg(tally_duplicates(&t) == 0, "the reloads caused %u duplicates",
		      tally_duplicates(&t));
	world_stop(&w);
}
END_TEST

static unsigned popcount64(uint64_t v)
{
	return (unsigned)__builtin_popcountll(v);
}

/* 7. Two daemons in one consumer group: the second only consumes (its
 * crawl is one empty page). Together they write every record, each from
 * partitions of its own. */
START_TEST(two_instances_share_the_group)
{
	struct world w;
	struct harness_proc second;
	struct tally a, b, all;

	world_start(&w, SLOW_MS);
	harness_init(&second);
	world_conf(&w, &second,
		   (struct daemon_conf){ .start_url = w.site.empty_url, .group = "pair" });
	daemon_start(&second, false);
	world_conf(&w, &w.p, (struct daemon_conf){ .group = "pair" });
	daemon_start(&w.p, false);
	struct harness_proc *procs[] = { &w.p, &second };
	wait_all_consumed(procs, 2, &w.site, RUN_MS);
	harness_signal(&w.p, SIGTERM);
	harness_signal(&second, SIGTERM);
	expect_exit(&w.p, 0, 60000);
	expect_exit(&second, 0, 60000);

	tally_init(&a, &w.site);
	tally_add_file(&a, &w.site, w.p.stdout_path);
	tally_init(&b, &w.site);
	tally_add_file(&b, &w.site, second.stdout_path);
	tally_init(&all, &w.site);
	tally_add_file(&all, &w.site, w.p.stdout_path);
	tally_add_file(&all, &w.site, second.stdout_path);
	printf("crawling instance wrote %u records from %u partitions (mask %#llx), "
	       "consumer-only instance %u from %u partitions (mask %#llx)\n",
	       a.lines, popcount64(a.partitions), (unsigned long long)a.partitions, b.lines,
	       popcount64(b.partitions), (unsigned long long)b.partitions);
	tally_report_and_assert(&all, "two-instances");
	ck_assert_msg(a.lines > 0 && b.lines > 0, "one instance consumed nothing");
	harness_cleanup(&second);
	world_stop(&w);
}
END_TEST

/* ---- kcat ---------------------------------------------------------------- */

static const char *kcat_path(void)
{
	static char found[512];
	const char *path = getenv("PATH");
	char *copy = strdup(path ? path : "/usr/bin:/bin"), *save = NULL;

	found[0] = '\0';
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(found, sizeof found, "%s/kcat", dir);
		if (access(found, X_OK) == 0)
			break;
		found[0] = '\0';
	}
	free(copy);
	return found[0] ? found : NULL;
}

/* Runs a tool with stdin and stdout redirected to files; its exit code. */
static int run_tool(const char *const *argv, const char *in_path, const char *out_path,
		    int timeout_ms)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int in = open(in_path, O_RDONLY),
		    out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0)
			_exit(127);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	reaper_add(pid);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), status;
	struct pollfd pfd = { pidfd, POLLIN, 0 };
	ck_assert_msg(poll(&pfd, 1, timeout_ms) == 1, "%s did not finish", argv[0]);
	close(pidfd);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	reaper_forget(pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Every kcat line (key TAB headers TAB value) of our records is right. */
static void assert_kcat_records(const struct site *s, const char *path)
{
	char *text = harness_slurp(path), *save = NULL;
	unsigned seen[N_RECIPES] = { 0 }, n = 0;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *key = line, *headers = strchr(key, '\t'), *value;
		ck_assert_msg(headers != NULL, "kcat line: %s", line);
		*headers++ = '\0';
		value = strchr(headers, '\t');
		ck_assert_msg(value != NULL, "kcat line: %s", line);
		*value++ = '\0';
		int rc = site_recipe_of_url(s, key);
		ck_assert_msg(rc >= 0, "unknown key %s", key);
		seen[rc]++;
		ck_assert_msg(strstr(headers, "content-type=application/json") &&
				      strstr(headers, "schema=1"),
			      "headers: %s", headers);
		cJSON *rec = cJSON_Parse(value);
		ck_assert_msg(rec != NULL, "value is not JSON: %.200s", value);
		ck_assert_int_eq(cJSON_GetObjectItem(rec, "schema")->valueint, 1);
		ck_assert_str_eq(cJSON_GetObjectItem(rec, "url")->valuestring, key);
		cJSON_Delete(rec);
		n++;
	}
	for (unsigned i = 0; i < s->n; i++)
		ck_assert_msg(seen[i] == 1, "recipe-%02u read %u times by kcat", i, seen[i]);
	printf("kcat read %u records with key, headers and schema 1\n", n);
	free(text);
}

/* kcat reads the daemon's records; a record produced by kcat in the record
 * schema is consumed by the daemon like its own. */
START_TEST(kcat_compatibility)
{
	static const char kcat_url[] = "https://kcat.example/recipes/kcat-soup";
	static const char kcat_record[] =
		"{\"schema\":1,\"url\":\"https://kcat.example/recipes/kcat-soup\","
		"\"host\":\"kcat.example\",\"title\":\"Kcat Soup\",\"calories\":120,"
		"\"ingredients\":[\"1 l water\"],\"scraped_at\":\"2026-01-01T00:00:00Z\"}\n";
	const char *kcat = kcat_path();
	struct world w;
	struct harness_proc consumer;
	char in[256], out[256];

	ck_assert_ptr_nonnull(kcat); /* main() skips the test without kcat */
	world_start(&w, 0);
	world_conf(&w, &w.p, (struct daemon_conf){ .group = "kcat" });
	daemon_start(&w.p, true);
	expect_exit(&w.p, 0, RUN_MS);

	harness_path(&w.p, "empty", in, sizeof in);
	harness_write_file(in, "");
	harness_path(&w.p, "kcat.out", out, sizeof out);
	const char *consume[] = {
		kcat, "-C", "-b", w.broker.bootstrap, "-t", "parsed_recipes", "-o", "beginning",
		"-e", "-q", "-f", "%k\t%h\t%s\n",     NULL
	};
	ck_assert_int_eq(run_tool(consume, in, out, 60000), 0);
	assert_kcat_records(&w.site, out);

	harness_path(&w.p, "record.json", in, sizeof in);
	harness_write_file(in, kcat_record);
	const char *produce[] = { kcat, "-P",
				  "-b", w.broker.bootstrap,
				  "-t", "parsed_recipes",
				  "-k", kcat_url,
				  "-H", "content-type=application/json",
				  "-H", "schema=1",
				  NULL };
	ck_assert_int_eq(run_tool(produce, in, out, 60000), 0);

	/* The same group resumes after the crawled records: only kcat's is new. */
	harness_init(&consumer);
	world_conf(&w, &consumer,
		   (struct daemon_conf){ .start_url = w.site.empty_url, .group = "kcat" });
	daemon_start(&consumer, false);
	cJSON *entry = NULL;
	for (int waited = 0; !entry; waited += 100) {
		ck_assert_msg(waited < RUN_MS, "the kcat record was not consumed");
		ck_assert(daemon_hold(&consumer, 100));
		cJSON *lines = harness_json_lines(consumer.stdout_path), *e;
		cJSON_ArrayForEach (e, lines) {
			const cJSON *u = cJSON_GetObjectItem(e, "RECIPE_URL");
			if (cJSON_IsString(u) && strcmp(u->valuestring, kcat_url) == 0 && !entry)
				entry = cJSON_Duplicate(e, true);
		}
		cJSON_Delete(lines);
	}
	harness_signal(&consumer, SIGTERM);
	expect_exit(&consumer, 0, 60000);
	ck_assert_str_eq(cJSON_GetObjectItem(entry, "RECIPE_TITLE")->valuestring, "Kcat Soup");
	ck_assert_str_eq(cJSON_GetObjectItem(entry, "PRIORITY")->valuestring, "6");
	ck_assert_str_eq(cJSON_GetObjectItem(entry, "RECIPE_CALORIES")->valuestring, "120");
	cJSON_Delete(entry);
	printf("the daemon consumed the record kcat produced\n");
	harness_cleanup(&consumer);
	world_stop(&w);
}
END_TEST

/* ---- crawl state across clusters and runs (issue 22) ----------------------- */

/* One --once run on the shared state_dir; returns its summary, how many
 * recipe pages it requested and the cluster id it logged. No consumer:
 * what the brokers hold is read directly (tally_broker_log). */
struct run_result {
	struct summary sum;
	unsigned requests;
	char cluster[128];
};

static void run_once(struct world *w, const char *brokers, const char *scraper_extra,
		     struct run_result *out)
{
	struct harness_proc p;
	char state[256];
	harness_init(&p);
	snprintf(state, sizeof state, "%s/state", w->p.dir);
	write_daemon_conf(&p, &(struct daemon_conf){ .brokers = brokers,
						     .start_url = w->site.index_url,
						     .state_dir = state,
						     .consumer_enabled = "off",
						     .scraper_extra = scraper_extra });
	int64_t since = rsd_httpd_now_ms();
	daemon_start(&p, true);
	expect_exit(&p, 0, RUN_MS);
	char *err = harness_slurp(p.stderr_path);
	ck_assert_msg(summary_parse(err, &out->sum), "no summary in:\n%s", err);
	/* "Kafka cluster ID, topic ..." (or "Embedded Kafka cluster ID: ...") */
	const char *id = strstr(err, "Kafka cluster ");
	while (id && strncmp(id, "Kafka cluster at ", 17) == 0) /* the embedded broker's warning */
		id = strstr(id + 1, "Kafka cluster ");
	ck_assert_msg(id && sscanf(id, "Kafka cluster %127s", out->cluster) == 1,
		      "no cluster id in:\n%s", err);
	out->cluster[strlen(out->cluster) - 1] = '\0'; /* the ',' or ':' after it */
	free(err);
	out->requests = site_recipe_requests(&w->site, since, NULL);
	printf("run on %s (cluster %s): %u recipe requests, %llu produced, %llu acknowledged\n",
	       brokers, out->cluster, out->requests, out->sum.produced, out->sum.acknowledged);
	harness_cleanup(&p);
}

static void assert_broker_holds_every_recipe(struct world *w, const struct broker *b,
					     const char *name)
{
	struct tally t;
	tally_init(&t, &w->site);
	tally_broker_log(&t, &w->site, b, "parsed_recipes");
	tally_report_and_assert(&t, name);
}

/* 9. Delivered marks belong to the cluster and topic that acknowledged
 * them: a trial run with the embedded broker marks nothing that outlives
 * it, a run against cluster A delivers everything, a re-run there nothing,
 * and a run against cluster B on the same state_dir everything again. */
START_TEST(cluster_scoped_marks)
{
	struct world w;
	struct harness_proc pb;
	struct broker other;
	struct run_result r;
	bool delivered[N_RECIPES];
	char state[256], cluster_a[128];

	world_start(&w, 0);
	snprintf(state, sizeof state, "%s/state", w.p.dir);
	run_once(&w, "embedded", NULL, &r);
	ck_assert_uint_eq(r.sum.acknowledged, N_RECIPES);
	ck_assert_uint_eq(state_delivered(&w.site, state, delivered), 0);

	run_once(&w, w.broker.bootstrap, NULL, &r);
	ck_assert_uint_eq(r.requests, N_RECIPES);
	ck_assert_uint_eq(r.sum.acknowledged, N_RECIPES);
	ck_assert_uint_eq(state_delivered(&w.site, state, delivered), N_RECIPES);
	assert_broker_holds_every_recipe(&w, &w.broker, "cluster A");
	snprintf(cluster_a, sizeof cluster_a, "%s", r.cluster);

	run_once(&w, w.broker.bootstrap, NULL, &r);
	ck_assert_uint_eq(r.requests, 0);
	ck_assert_uint_eq(r.sum.produced, 0);

	harness_init(&pb);
	broker_start(&other, pb.dir);
	run_once(&w, other.bootstrap, NULL, &r);
	ck_assert_str_ne(r.cluster, cluster_a);
	ck_assert_uint_eq(r.requests, N_RECIPES);
	ck_assert_uint_eq(r.sum.acknowledged, N_RECIPES);
	assert_broker_holds_every_recipe(&w, &other, "cluster B");
	broker_stop(&other);
	harness_cleanup(&pb);
	world_stop(&w);
}
END_TEST

/* 10. refresh_interval_s: once a delivered page's copy is older, the next
 * run fetches it again; the changed page gives a new record, the unchanged
 * ones (same content hash: these routes send no validators) none; a run
 * right after fetches nothing. */
START_TEST(refresh_changed_pages)
{
	struct world w;
	struct run_result r;
	const char *refresh = "refresh_interval_s = 1";

	world_start(&w, 0);
	run_once(&w, w.broker.bootstrap, refresh, &r);
	ck_assert_uint_eq(r.sum.acknowledged, N_RECIPES);

	char *changed = NULL;
	ck_assert_int_ge(asprintf(&changed,
				  "<!doctype html><html><head><script type=\"application/ld+json\">"
				  "{\"@context\": \"https://schema.org\", \"@type\": \"Recipe\", "
				  "\"name\": \"Delivery Recipe 7, revised\", \"recipeIngredient\": "
				  "[\"2 eggs\"]}</script></head><body></body></html>"),
			 0);
	ck_assert_int_eq(
		rsd_httpd_route(w.site.httpd, &(struct rsd_httpd_route){ .path = w.site.paths[7],
									 .body = changed }),
		0);
	free(changed);
	/* Crawl state times are wall-clock seconds: let the copies age past 1 s. */
	poll(NULL, 0, 2100);
	run_once(&w, w.broker.bootstrap, refresh, &r);
	ck_assert_uint_eq(r.requests, N_RECIPES); /* every delivered page refreshed */
	ck_assert_uint_eq(r.sum.produced, 1); /* only the changed one is new */
	ck_assert_uint_eq(r.sum.acknowledged, 1);

	/* Within an hour of their refresh nothing is due (a 1 s interval would
	 * race with the length of the run). */
	run_once(&w, w.broker.bootstrap, "refresh_interval_s = 3600", &r);
	ck_assert_uint_eq(r.requests, 0);
	ck_assert_uint_eq(r.sum.produced, 0);

	struct tally t;
	tally_init(&t, &w.site);
	tally_broker_log(&t, &w.site, &w.broker, "parsed_recipes");
	ck_assert_uint_eq(t.count[7], 2); /* the original and the revision */
	ck_assert_uint_eq(tally_duplicates(&t), 1);
	world_stop(&w);
}
END_TEST

/* ---- main ------------------------------------------------------------------ */

/* kcat is optional: its scenario is skipped without it. */
static bool kcat_missing(const char *name)
{
	if (strcmp(name, "kcat") != 0 || kcat_path())
		return false;
	printf("kcat is not installed (Debian package kcat): skipped\n");
	return true;
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	/* Local: Check's test handles are not constant expressions. */
	const struct scenario scenarios[] = {
		{ "broker-outage", broker_outage },
		{ "brokers-down-from-start", brokers_down_from_start },
		{ "topic-check", topic_check },
		{ "topic-check-reload", topic_check_on_reload },
		{ "request-errors", request_errors },
		{ "leader-change-rtt", leader_change_and_rtt },
		{ "kill9-restart", kill9_then_restart },
		{ "sigterm-restart", sigterm_then_restart },
		{ "sighup-under-load", sighup_under_load },
		{ "two-instances", two_instances_share_the_group },
		{ "kcat", kcat_compatibility },
		{ "cluster-scoped-marks", cluster_scoped_marks },
		{ "refresh", refresh_changed_pages },
	};
	return run_scenarios("delivery", scenarios, sizeof scenarios / sizeof scenarios[0], only,
			     kcat_missing);
}
