/* SPDX-License-Identifier: MIT */
/* The main thread: owns the pipeline and decides what to log and when to stop.
 *
 * Threads: the scraper pool, the producer and the consumer run on their own
 * threads; this one blocks every signal (so all threads inherit the mask) and
 * waits in poll(2) on three fds:
 *   signal_fd  SIGTERM/SIGINT (drain and stop), SIGHUP (reload)
 *   wake_fd    eventfd written by components on events worth a look: the
 *              crawl finished, a fatal producer error, consumer progress
 *   timer_fd   one tick a second: STATUS=, WATCHDOG=1, state fsync, stats
 * Nothing here sleeps or polls on a timer for work: the tick only reports.
 *
 * Pipeline order matters for "lose nothing": stopping goes scraper (in-flight
 * transfers finish, their records enter the ring) -> ring close -> producer
 * (drains the ring, flushes librdkafka within the remaining time) ->
 * consumer (commits stored offsets). A reload stops and restarts the scraper
 * around the swap, and the Kafka clients only when their settings changed,
 * after draining the old ones.
 *
 * The crawl starts only once the producer knows the Kafka cluster's id
 * (crawl_pending until then): delivered marks belong to a cluster and
 * topic, so before the id is known nobody can tell which pages are done. */
#include "daemon/running.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"
#include "kafka/broker_embedded.h"
#include "config/config.h"
#include "kafka/consumer.h"
#include "journal/journal_sink.h"
#include "kafka/kafka_conf.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "kafka/producer.h"
#include "crawl/frontier.h"
#include "crawl/refusal.h"
#include "daemon/reload_status.h"
#include "crawl/scraper.h"
#include "crawl/state.h"
#include "kafka/topics.h"
#include "core/ring.h"

static void log_config_errors(char *const *messages, size_t n, int priority, const char *mid)
{
	for (size_t i = 0; i < n; i++) {
		const char *fields[] = { mid ? "CONFIG_ERROR=1" : NULL, NULL };
		rsd_log_event(priority, mid, mid ? fields : NULL, "%s", messages[i]);
	}
}

/* ---- pipeline construction ----------------------------------------------- */

/* The embedded cluster starts with every topic the clients use, with the
 * configured partitions (its mock brokers do not implement CreateTopics). */
static int start_broker(struct rsd_daemon *d, const struct rsd_config *cfg)
{
	struct rsd_topic_want want[RSD_TOPICS_MAX];
	const char *topics[RSD_TOPICS_MAX];
	size_t n;
	char err[512];

	if (!cfg->brokers_embedded) {
		d->bootstrap = strdup(cfg->brokers);
		return d->bootstrap ? 0 : -ENOMEM;
	}
	n = rsd_topics_wanted(cfg, want, RSD_TOPICS_MAX);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (want[i].partitions == (int)cfg->partitions)
			topics[k++] = want[i].name;
	int rc = rsd_broker_new(RSD_EMBEDDED_BROKERS, (int)cfg->partitions, topics, k, 0, err,
				sizeof err, &d->broker);
	/* The cluster's topics have a partition count of their own. */
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char cmd[320];
		snprintf(cmd, sizeof cmd, "topic %s %d", want[i].name, want[i].partitions);
		if (want[i].partitions != (int)cfg->partitions)
			rc = rsd_broker_command(d->broker, cmd, err, sizeof err);
	}
	if (rc < 0) {
		rsd_log(LOG_ERR, "Cannot start the embedded broker: %s", err);
		return rc;
	}
	d->bootstrap = strdup(rsd_broker_bootstrap(d->broker));
	if (!d->bootstrap)
		return -ENOMEM;
	rsd_log(LOG_WARNING,
		"brokers = embedded: using an in-process mock Kafka cluster at %s; "
		"records live in memory and are LOST when the daemon exits",
		d->bootstrap);
	return 0;
}

static int start_kafka(struct rsd_daemon *d, struct rsd_config *cfg)
{
	struct rsd_delivery_marks marks;
	char err[512] = "";
	struct rsd_sink *sink = NULL;
	int rc;

	rc = rsd_ring_new(cfg->ring_capacity, &d->ring);
	if (rc == 0)
		rc = rsd_ring_set_max_bytes(d->ring, cfg->ring_max_bytes);
	if (rc < 0)
		return rc;
	/* Before the producer asks for its topics (see topics.c): the check
	 * creates the missing ones first, unless no broker answers yet. */
	d->topics_reported = false;
	rc = rsd_topics_start(cfg, d->bootstrap, d->wake_fd, err, sizeof err, &d->topics);
	if (rc < 0) {
		rsd_log(LOG_ERR, "Cannot start the Kafka topic check: %s", err);
		return rc;
	}
	/* The wait is bounded below WatchdogSec=30, but a reload may already
	 * have spent a drain: the main thread is busy, not stuck. */
	if (d->watchdog_usec)
		sd_notify(0, "WATCHDOG=1");
	if (rsd_topics_wait(d->topics, RSD_TOPICS_WAIT_MS))
		daemon_report_topics(d);
	marks = rsd_state_delivery_marks(d->state);
	rc = rsd_producer_new(cfg, d->bootstrap, d->ring, &marks, d->wake_fd, err, sizeof err,
			      &d->producer);
	if (rc < 0) {
		rsd_log(LOG_ERR, "Cannot create the Kafka producer: %s", err);
		return rc;
	}
	d->cluster_report = (struct rsd_cluster_report){ 0 }; /* a new client counts from 0 */
	rc = rsd_cluster_log_start(cfg, d->bootstrap, d->state, d->wake_fd, d->producer,
				   &d->cluster);
	if (rc == 0)
		rc = rsd_producer_start(d->producer);
	if (rc < 0)
		return rc;
	d->crawl_pending = true;
	d->pending_since_usec = rsd_now_usec(CLOCK_MONOTONIC);
	d->pending_warned_usec = 0;
	d->kafka_cfg = cfg;
	d->producer_errors_seen = d->consumer_errors_seen = 0;
	d->ring_records = 0;
	if (!cfg->consumer_enabled)
		return 0;
	rc = rsd_sink_new(cfg->sink, cfg->identifier, cfg->calorie_threshold, NULL, &sink);
	if (rc < 0) {
		rsd_log(LOG_ERR, "Cannot open the %s sink: %s",
			cfg->sink == RSD_SINK_STDOUT ? "stdout" : "journal", strerror(-rc));
		return rc;
	}
	/* The consumer owns the sink from here on, even on failure. */
	rc = rsd_consumer_new(cfg, d->bootstrap, sink, d->wake_fd, err, sizeof err, &d->consumer);
	if (rc < 0) {
		rsd_log(LOG_ERR, "Cannot create the Kafka consumer: %s", err);
		return rc;
	}
	return rsd_consumer_start(d->consumer);
}

/* What a reload could not carry for want of memory costs a wait or a
 * request, not correctness: said, not fatal. */
static void carry_lost(const char *what)
{
	rsd_log(LOG_WARNING, "Out of memory: %s", what);
}

#define CLOCKS_LOST \
	"hosts fetched before the reload may be asked again before their politeness delay"
#define ROBOTS_LOST "origins asked before the reload may be asked for robots.txt again"

/* The hosts asked just before a reload wait in the new frontier as they
 * would have in the old one, before its first request: until the later of
 * the old frontier's clock as it stood (computed with the old delay_ms, or
 * Crawl-delay, Retry-After, backoff: a gap promised when that last
 * request started) and the last request + the new delay_ms (a raised
 * delay_ms governs that gap too). The origins' robots.txt verdicts go on
 * until they expire as they would have, unless what they were fetched
 * for changed (user_agent, robots; see rsd_frontier_robots_restore). */
static void carry_to_scraper(struct rsd_daemon *d)
{
	struct rsd_frontier *f = rsd_scraper_frontier(d->scraper);
	if (d->clocks && rsd_frontier_clocks_restore(f, d->clocks) < 0)
		carry_lost(CLOCKS_LOST);
	if (d->robots && !rsd_frontier_robots_hold(f, d->robots))
		rsd_log(LOG_INFO,
			"Reload: user_agent or robots changed, robots.txt verdicts dropped "
			"(origins: %zu); with robots on, each origin is asked again",
			rsd_frontier_robots_count(d->robots));
	else if (d->robots && rsd_frontier_robots_restore(f, d->robots) < 0)
		carry_lost(ROBOTS_LOST);
	rsd_frontier_clocks_free(d->clocks);
	d->clocks = NULL;
	rsd_frontier_robots_free(d->robots);
	d->robots = NULL;
}

static int start_scraper(struct rsd_daemon *d, const struct rsd_config *cfg)
{
	int rc = rsd_scraper_new(cfg, d->ring, d->state, d->wake_fd, &d->scraper);
	if (rc < 0) {
		rsd_log(LOG_ERR, "Cannot create the scraper pool: %s", strerror(-rc));
		return rc;
	}
	rsd_scraper_set_once(d->scraper, d->opt->once);
	rsd_scraper_set_failure_cb(d->scraper, daemon_log_page_failure, d);
	rsd_scraper_set_refusal_cb(d->scraper, daemon_log_refusal, d);
	rsd_scraper_set_host_stats(d->scraper, d->hosts);
	carry_to_scraper(d);
	if (d->cluster &&
	    (rc = rsd_cluster_log_attach(d->cluster, rsd_scraper_frontier(d->scraper))) < 0)
		return rc;
	return rsd_scraper_start(d->scraper);
}

/* ---- pipeline teardown --------------------------------------------------- */

static int remaining_ms(uint64_t deadline_usec)
{
	uint64_t now = rsd_now_usec(CLOCK_MONOTONIC);
	if (now >= deadline_usec)
		return 0;
	return (deadline_usec - now) / 1000u > INT_MAX ? INT_MAX
						       : (int)((deadline_usec - now) / 1000u);
}

/* Leaving a consumer group gets what is left of the stop's budget, but at
 * least LEAVE_MIN_MS even after a flush that used it all: systemd waits
 * shutdown_timeout_s + 5 s (stop_pipeline), and a member that leaves hands
 * its partitions over at once instead of after session.timeout.ms. */
#define LEAVE_MIN_MS 2000

static int leave_ms(uint64_t deadline_usec)
{
	int ms = remaining_ms(deadline_usec);
	return ms > LEAVE_MIN_MS ? ms : LEAVE_MIN_MS;
}

/* The hosts' politeness clocks outlive the scraper stopped: kept for the
 * next one with the origins' robots.txt verdicts (carry: a reload), handed
 * to the hosts' next owners in the crawl group (hand_off: the crawl
 * cluster is left next). */
static void keep_for_next(struct rsd_daemon *d, bool carry, bool hand_off)
{
	struct rsd_frontier *f = rsd_scraper_frontier(d->scraper);
	if (carry) {
		rsd_frontier_clocks_free(d->clocks);
		if (rsd_frontier_clocks_save(f, &d->clocks) < 0)
			carry_lost(CLOCKS_LOST);
		rsd_frontier_robots_free(d->robots);
		if (rsd_frontier_robots_save(f, &d->robots) < 0)
			carry_lost(ROBOTS_LOST);
	}
	if (hand_off && d->cluster)
		rsd_cluster_hand_off_clocks(d->cluster);
}

/* In-flight transfers finish and their records enter the ring; the hosts'
 * clocks are kept as keep_for_next says, while the frontier still exists. */
static void stop_scraper(struct rsd_daemon *d, bool carry, bool hand_off)
{
	if (!d->scraper)
		return;
	rsd_scraper_stop(d->scraper);
	rsd_scraper_join(d->scraper);
	keep_for_next(d, carry, hand_off);
	if (d->cluster)
		rsd_cluster_detach(d->cluster);
	daemon_counters_retire_scraper(d);
	rsd_scraper_free(d->scraper);
	d->scraper = NULL;
}

static void warn_group_not_left(const char *kind, const char *group, int close_ms)
{
	rsd_log(LOG_WARNING,
		"Leaving %s group %s did not finish within %d ms; the other members take over "
		"its partitions after the group's session timeout",
		kind, group, close_ms);
}

/* Leaves the crawl group (its last revoke counted) within close_ms, then
 * frees it. */
static void free_cluster(struct rsd_daemon *d, int close_ms)
{
	if (!d->cluster)
		return;
	if (!rsd_cluster_leave(d->cluster, close_ms))
		warn_group_not_left("crawl", d->cfg->cluster_group_id, close_ms);
	daemon_counters_retire_cluster(d);
	rsd_cluster_free(d->cluster);
	d->cluster = NULL;
}

/* After the producer: a check still running ends within its request's
 * timeout, and what it found is logged before it goes. */
static void stop_topics(struct rsd_daemon *d)
{
	if (!d->topics)
		return;
	rsd_topics_stop(d->topics);
	daemon_report_topics(d);
	rsd_topics_free(d->topics);
	d->topics = NULL;
}

/* Close the ring so the producer drains it, then flush what librdkafka holds
 * until deadline_usec. Undelivered records are not marked delivered in the
 * crawl state: their pages are fetched again next time. acked (may be NULL)
 * receives the acknowledged offsets before the producer goes. Returns the
 * number of undelivered records. */
static uint64_t stop_producer(struct rsd_daemon *d, uint64_t deadline_usec,
			      struct rsd_offsets *acked)
{
	if (!d->producer) {
		free_cluster(d, leave_ms(deadline_usec));
		stop_topics(d);
		rsd_ring_free(d->ring); /* a start that failed half-way */
		d->ring = NULL;
		return 0;
	}
	rsd_ring_close(d->ring);
	uint64_t undelivered = rsd_producer_join(d->producer, remaining_ms(deadline_usec));
	daemon_report_kafka_errors(d); /* what made records fail, before the client goes */
	d->undelivered += undelivered;
	if (undelivered)
		rsd_log(LOG_ERR,
			"%" PRIu64 " records could not be delivered to Kafka (refused, or not "
			"acknowledged in time); their pages stay undelivered and are fetched "
			"again on the next start",
			undelivered);
	if (acked) {
		rsd_offsets_clear(acked);
		rsd_producer_acked_offsets(d->producer, acked);
	}
	daemon_counters_retire_producer(d);
	rsd_producer_free(d->producer);
	d->producer = NULL;
	/* After the producer: its last reports settled what they carried. */
	free_cluster(d, leave_ms(deadline_usec));
	stop_topics(d);
	rsd_ring_free(d->ring);
	d->ring = NULL;
	return undelivered;
}

static void stop_consumer(struct rsd_daemon *d, int close_ms)
{
	if (!d->consumer)
		return;
	rsd_consumer_stop(d->consumer, close_ms);
	if (!rsd_consumer_join(d->consumer))
		warn_group_not_left("consumer", d->kafka_cfg->group_id, close_ms);
	daemon_counters_retire_consumer(d);
	rsd_consumer_free(d->consumer);
	d->consumer = NULL;
}

static void release_config(struct rsd_daemon *d, struct rsd_config *cfg)
{
	if (cfg && cfg != d->cfg && cfg != d->kafka_cfg)
		rsd_config_free(cfg);
}

/* ---- health ------------------------------------------------------------ */

static bool liveness_check(struct liveness *l, uint64_t value, uint64_t now, uint64_t limit)
{
	if (value != l->last_value || l->last_change_usec == 0) {
		l->last_value = value;
		l->last_change_usec = now;
	}
	return now - l->last_change_usec < limit;
}

static uint64_t stuck_limit_usec(const struct rsd_daemon *d)
{
	return d->watchdog_usec ? d->watchdog_usec / 2 : RSD_STUCK_AFTER_USEC;
}

/* One watched thread: its progress counter, NULL while it is not expected
 * to move (not running, or idle by design). */
struct watched {
	const char *name;
	struct liveness *live;
	const atomic_uint_fast64_t *progress;
};

/* The thread that made no progress within the limit (the last one checked
 * when several), or NULL. Every tick, for WATCHDOG=1 and /healthz alike. */
static const char *find_stuck_thread(struct rsd_daemon *d, uint64_t now)
{
	uint64_t limit = stuck_limit_usec(d);
	const char *stuck = NULL;
	/* Workers exit once the crawl is finished (no recrawl, max_pages):
	 * finished is idle by design, not stuck. The cluster's thread runs
	 * from the crawl's start (after the Kafka cluster is known). */
	bool crawling = d->scraper && !rsd_scraper_finished(d->scraper);
	const struct watched threads[] = {
		{ "scraper", &d->live_scraper,
		  crawling ? &rsd_scraper_stats(d->scraper)->progress : NULL },
		{ "producer", &d->live_producer,
		  d->producer ? &rsd_producer_stats(d->producer)->progress : NULL },
		{ "consumer", &d->live_consumer,
		  d->consumer ? &rsd_consumer_stats(d->consumer)->progress : NULL },
		{ "cluster", &d->live_cluster,
		  d->cluster && rsd_cluster_running(d->cluster)
			  ? &rsd_cluster_stats(d->cluster)->progress
			  : NULL },
	};
	for (size_t i = 0; i < sizeof threads / sizeof threads[0]; i++) {
		const struct watched *t = &threads[i];
		if (!t->progress)
			t->live->last_change_usec = 0; /* not watched: its clock starts again */
		else if (!liveness_check(t->live, atomic_load(t->progress), now, limit))
			stuck = t->name;
	}
	return stuck;
}

/* WATCHDOG=1 only while every thread made progress recently: a stuck
 * thread stops the pings and systemd restarts the service. */
static void watchdog_tick(struct rsd_daemon *d)
{
	if (d->watchdog_usec && (!d->cfg->watchdog || !d->stuck))
		sd_notify(0, "WATCHDOG=1");
}

/* ---- metrics endpoint ------------------------------------------------------ */

/* Produced minus settled: the counters are read one after the other while
 * the producer runs, so settled may be ahead by a report or two. */
static uint64_t records_in_flight(const struct counters *c)
{
	uint64_t settled = c->acknowledged + c->failed_records;
	return c->produced > settled ? c->produced - settled : 0;
}

/* Why /healthz answers 503, or false when healthy: a stuck thread, no
 * broker answering the producer for RSD_KAFKA_DOWN_AFTER_USEC (since the
 * clients started, or since the last answer: an idle producer asks every
 * so often), or records in flight that nothing settled (acknowledged or
 * failed) for as long. */
static bool unhealthy(struct rsd_daemon *d, const struct counters *c, uint64_t now, char *why,
		      size_t len)
{
	uint64_t settled = c->acknowledged + c->failed_records;
	uint64_t in_flight = records_in_flight(c);
	uint64_t limit = RSD_KAFKA_DOWN_AFTER_USEC;
	if (d->producer && (uint64_t)rsd_producer_delivery_timeout_ms(d->producer) * 1000u < limit)
		limit = (uint64_t)rsd_producer_delivery_timeout_ms(d->producer) * 1000u;
	if (in_flight == 0)
		d->live_acks.last_change_usec = 0; /* nothing to wait for: restart the clock */
	bool acks_moving = liveness_check(&d->live_acks, settled, now, limit);
	if (d->stuck)
		snprintf(why, len, "%s thread made no progress for %" PRIu64 "s", d->stuck,
			 stuck_limit_usec(d) / 1000000u);
	else if (d->producer && rsd_producer_silent_ms(d->producer) * 1000u >= limit)
		snprintf(why, len, "no Kafka broker at %s answered for %" PRIu64 "s",
			 daemon_brokers_shown(d), rsd_producer_silent_ms(d->producer) / 1000u);
	else if (!acks_moving)
		snprintf(why, len,
			 "%" PRIu64 " records in flight, none acknowledged for %" PRIu64
			 "s: Kafka unreachable?",
			 in_flight, (now - d->live_acks.last_change_usec) / 1000000u);
	else
		return false;
	return true;
}

static void publish_metrics(struct rsd_daemon *d)
{
	struct counters c;
	if (!d->metrics)
		return;
	daemon_counters_read(d, &c);
	struct rsd_metrics_snapshot s = {
		.pages_fetched = c.fetched,
		.pages_failed = c.failed,
		.pages_without_recipe = c.no_recipe,
		.records_extracted = c.records,
		.produced = c.produced,
		.acknowledged = c.acknowledged,
		.failed_records = c.failed_records,
		.too_large = c.too_large,
		.raw_skipped = c.raw_skipped,
		.consumed = c.consumed,
		.alerts = c.alerts,
		.invalid = c.invalid,
		.sink_errors = c.sink_errors,
		.producer_errors = c.producer_errors,
		.consumer_errors = c.consumer_errors,
		.reloads_ok = d->reloads_ok,
		.reloads_rejected = d->reloads_rejected,
		.ring_depth = c.ring_depth,
		.ring_capacity = c.ring_capacity,
		.ring_bytes = c.ring_bytes,
		.records_in_flight = records_in_flight(&c),
		.kafka_queue = c.outq,
		.frontier_queued = c.queued,
		.fetches_in_flight = c.in_flight,
		.consumer_lag = c.lag,
		.partitions_assigned = c.assigned,
		.cluster_mode = c.cluster_mode,
		.cluster = c.cluster,
		.start_time_s = d->started_unix,
	};
	memcpy(s.by_cause, c.by_cause, sizeof s.by_cause);
	if (d->consumer)
		s.n_lags = rsd_consumer_partition_lag(d->consumer, s.lags,
						      RSD_CONSUMER_LAG_PARTITIONS);
	s.n_hosts = rsd_host_stats_read(d->hosts, s.hosts, RSD_METRICS_HOSTS, &s.other_hosts);
	s.healthy = !unhealthy(d, &c, rsd_now_usec(CLOCK_MONOTONIC), s.health_reason,
			       sizeof s.health_reason);
	rsd_metrics_publish(d->metrics, &s);
}

static const char *listen_shown(const struct rsd_config *cfg)
{
	return rsd_config_shown(cfg, "metrics", "listen", cfg->metrics_listen);
}

/* Binds cfg's [metrics] listen and serves on it; "cannot serve metrics on
 * ADDRESS: REASON" in err on failure (the callers say where the key is). */
static int start_metrics(const struct rsd_config *cfg, struct rsd_metrics **out, char *err,
			 size_t len)
{
	struct sockaddr_storage addr;
	unsigned addrlen;
	/* The configuration accepted the value: it parses. */
	if (rsd_config_parse_listen(cfg->metrics_listen, &addr, &addrlen, err, len) < 0)
		return -EINVAL;
	int fd = rsd_metrics_listen((const struct sockaddr *)&addr, addrlen);
	int rc = fd < 0 ? fd : rsd_metrics_start(fd, out);
	if (rc < 0)
		snprintf(err, len, "cannot serve metrics on %s: %s", listen_shown(cfg),
			 strerror(-rc));
	return rc;
}

static void log_metrics_listening(const struct rsd_config *cfg)
{
	rsd_log(LOG_INFO, "Metrics endpoint listening on http://%s/metrics (and /healthz)",
		listen_shown(cfg));
}

/* "FILE:LINE: metrics.listen: MESSAGE", malloc'ed: where the operator
 * changes the address. */
static char *metrics_error(const struct rsd_config *cfg, const char *message)
{
	const char *where = rsd_config_origin(cfg, "metrics", "listen");
	char *text = NULL;
	if (asprintf(&text, "%s: metrics.listen: %s", where ? where : cfg->path, message) < 0)
		return NULL;
	return text;
}

/* At start, before anything else runs: an address that cannot be bound
 * (port in use, not on this host) is the operator's to fix, so the caller
 * exits 78 and systemd does not restart the daemon. */
static int open_metrics_at_start(struct rsd_daemon *d)
{
	char err[256];
	d->metrics_listen = strdup(d->cfg->metrics_listen);
	d->metrics_secret = rsd_config_secret(d->cfg, "metrics", "listen");
	int rc = d->metrics_listen ? start_metrics(d->cfg, &d->metrics, err, sizeof err) : -ENOMEM;
	if (rc == -ENOMEM)
		snprintf(err, sizeof err, "cannot serve metrics on %s: %s", listen_shown(d->cfg),
			 strerror(ENOMEM));
	char *msg = rc < 0 ? metrics_error(d->cfg, err) : NULL;
	if (rc < 0)
		rsd_log(LOG_ERR, "%s", msg ? msg : err);
	else
		log_metrics_listening(d->cfg);
	free(msg);
	return rc;
}

static bool metrics_moves(const struct rsd_daemon *d, const struct rsd_config *next)
{
	const char *want = next->metrics_listen;
	return want ? !d->metrics_listen || strcmp(want, d->metrics_listen) != 0
		    : d->metrics != NULL;
}

/* A reload to another address binds the new one before anything of the
 * reload is applied: one it cannot have rejects the reload (*error, the
 * FILE:LINE message) and the old endpoint serves on. */
static int prepare_metrics(struct rsd_daemon *d, const struct rsd_config *next,
			   struct rsd_metrics **endpoint, char **error)
{
	char err[256];
	*endpoint = NULL;
	*error = NULL;
	if (!next->metrics_listen || !metrics_moves(d, next))
		return 0;
	int rc = start_metrics(next, endpoint, err, sizeof err);
	if (rc < 0 && !(*error = metrics_error(next, err)))
		return -ENOMEM;
	return rc;
}

/* Once the reload is applied: the endpoint prepared (or none, when the
 * key was emptied) replaces the old one. */
static void swap_metrics(struct rsd_daemon *d, const struct rsd_config *next,
			 struct rsd_metrics *endpoint)
{
	if (!metrics_moves(d, next))
		return;
	char *copy = next->metrics_listen ? strdup(next->metrics_listen) : NULL;
	if (next->metrics_listen && !copy) {
		rsd_metrics_stop(endpoint); /* out of memory: the old one serves on */
		return;
	}
	rsd_metrics_stop(d->metrics);
	if (copy)
		log_metrics_listening(next);
	else
		rsd_log(LOG_INFO, "Metrics endpoint on %s closed ([metrics] listen is empty)",
			d->metrics_secret ? "(secret)" : d->metrics_listen);
	free(d->metrics_listen);
	d->metrics = endpoint;
	d->metrics_listen = copy;
	d->metrics_secret = rsd_config_secret(next, "metrics", "listen");
	publish_metrics(d);
}

/* ---- reload -------------------------------------------------------------- */

static bool ring_changed(const struct rsd_config *a, const struct rsd_config *b)
{
	return a->ring_capacity != b->ring_capacity || a->ring_max_bytes != b->ring_max_bytes;
}

/* The topic check runs again only with new clients: these settings shape
 * the topics it creates (max_page_bytes: the raw topic's message size). */
static bool topic_settings_changed(const struct rsd_config *a, const struct rsd_config *b)
{
	return a->partitions != b->partitions || a->replication_factor != b->replication_factor ||
	       (b->raw_topic && a->max_page_bytes != b->max_page_bytes);
}

static bool sink_changed(const struct rsd_config *a, const struct rsd_config *b)
{
	return a->sink != b->sink || strcmp(a->identifier, b->identifier) != 0;
}

/* The next scraper starts with an empty frontier: a page whose record is
 * still in the ring or in librdkafka is not yet marked delivered and would
 * be fetched and published again. Wait (bounded) until every record of the
 * stopped scraper is acknowledged or failed. */
static void settle_before_restart(struct rsd_daemon *d)
{
	unsigned budget_s = d->kafka_cfg->shutdown_timeout_s;
	if (!d->producer)
		return;
	sd_notifyf(0, "EXTEND_TIMEOUT_USEC=%" PRIu64, (uint64_t)budget_s * 1000000u);
	if (!rsd_producer_wait_settled(d->producer, d->ring_records, (int)budget_s * 1000))
		rsd_log(LOG_WARNING,
			"Reload: records still unacknowledged after %us; their pages may be "
			"fetched and published again",
			budget_s);
}

/* The verdict of reload d->reload_gen, for `recipe-scraperd reload`
 * (reload_status.h). Without a runtime directory (not under systemd)
 * nobody waits for one. */
static void note_reload(struct rsd_daemon *d, enum rsd_reload_state state, const char *detail)
{
	/* reloads_total agrees with the verdict by the time a waiting
	 * `recipe-scraperd reload` returns. */
	if (rsd_reload_state_final(state))
		publish_metrics(d);
	if (!d->runtime_dir)
		return;
	int rc = rsd_reload_status_write(d->runtime_dir, d->reload_gen, state, detail);
	if (rc < 0 && !d->verdict_unwritable)
		rsd_log(LOG_WARNING,
			"Cannot write the reload verdict in %s: %s; `systemctl reload` "
			"cannot tell whether a reload was applied",
			d->runtime_dir, strerror(-rc));
	d->verdict_unwritable = rc < 0;
}

/* The messages, one a line, malloc'ed (NULL when out of memory). */
static char *join_lines(char *const *messages, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? "\n" : "", messages[i]);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static void remember_rejection(struct rsd_daemon *d, char *const *messages, size_t n)
{
	free(d->reload_rejected);
	d->reload_rejected = NULL;
	if (!n)
		return;
	int rc = n > 1 ? asprintf(&d->reload_rejected, "%s (and %zu more)", messages[0], n - 1)
		       : asprintf(&d->reload_rejected, "%s", messages[0]);
	if (rc < 0)
		d->reload_rejected = NULL; /* STATUS= then just lacks the detail */
}

/* The file's errors (or an address the endpoint cannot have): logged,
 * kept in STATUS= until a good reload, and the verdict of this reload. The
 * messages never contain an expanded secret. */
static void reject_reload(struct rsd_daemon *d, const char *path, char *const *messages, size_t n)
{
	log_config_errors(messages, n, LOG_ERR, RSD_MID_RELOAD_REJECTED);
	rsd_log_event(LOG_ERR, RSD_MID_RELOAD_REJECTED, NULL,
		      "Reload of %s rejected (%zu error%s); still running on the previous "
		      "configuration",
		      path, n, n == 1 ? "" : "s");
	d->reloads_rejected++;
	remember_rejection(d, messages, n);
	sd_notifyf(0,
		   "STATUS=Reload rejected: %zu error%s in %s; running the previous "
		   "configuration; %s",
		   n, n == 1 ? "" : "s", path, d->reload_rejected ? d->reload_rejected : "");
	char *detail = join_lines(messages, n);
	note_reload(d, RSD_RELOAD_REJECTED, detail ? detail : d->reload_rejected);
	free(detail);
}

/* The steps of a reload before anything changes: the "started" verdict,
 * the new file, and the new metrics endpoint when it moves. NULL after a
 * rejection (logged, in STATUS= and the verdict). */
static struct rsd_config *load_for_reload(struct rsd_daemon *d, struct rsd_metrics **endpoint)
{
	struct rsd_config_diag diag = { 0 };
	struct rsd_config *next = NULL;
	char *error = NULL;
	const char *path = d->cfg->path;

	/* Before the file is read: see reload_status.h for why. */
	note_reload(d, RSD_RELOAD_STARTED, NULL);
	if (rsd_config_load(path, &next, &diag) < 0) {
		reject_reload(d, path, diag.messages, diag.n);
		rsd_config_diag_clear(&diag);
		return NULL;
	}
	if (prepare_metrics(d, next, endpoint, &error) < 0) {
		reject_reload(d, path, &error, error ? 1 : 0);
		free(error);
		rsd_config_free(next);
		return NULL;
	}
	return next;
}

static void reload(struct rsd_daemon *d)
{
	struct rsd_metrics *endpoint = NULL;
	const char *path = d->cfg->path;
	struct rsd_config *next = load_for_reload(d, &endpoint);
	if (!next)
		return;
	free(d->reload_rejected);
	d->reload_rejected = NULL;
	rsd_log_set_level(next->log_level);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64 "\nSTATUS=Reloading %s",
		   rsd_now_usec(CLOCK_MONOTONIC), path);

	bool kafka = rsd_config_kafka_changed(d->kafka_cfg, next) ||
		     ring_changed(d->kafka_cfg, next) || sink_changed(d->kafka_cfg, next) ||
		     topic_settings_changed(d->kafka_cfg, next);
	struct rsd_config *old = d->cfg, *old_kafka = d->kafka_cfg;

	/* The scraper always restarts: its records so far are in the ring, which
	 * stays open unless the Kafka side is rebuilt below; its hosts' clocks
	 * go to the next one, and to the crawl group when the crawl cluster
	 * goes with the Kafka clients (stop_producer). */
	stop_scraper(d, true, kafka);
	if (kafka) {
		uint64_t deadline = rsd_now_usec(CLOCK_MONOTONIC) +
				    (uint64_t)old_kafka->shutdown_timeout_s * 1000000u;
		sd_notifyf(0, "EXTEND_TIMEOUT_USEC=%" PRIu64,
			   (uint64_t)old_kafka->shutdown_timeout_s * 1000000u);
		stop_producer(d, deadline, NULL);
		stop_consumer(d, leave_ms(deadline));
		bool broker_kept = d->broker && next->brokers_embedded;
		if (!broker_kept) {
			rsd_broker_free(d->broker);
			d->broker = NULL;
			free(d->bootstrap);
			d->bootstrap = NULL;
		}
		d->cfg = next;
		d->kafka_cfg = NULL;
		if ((!broker_kept && start_broker(d, next) < 0) || start_kafka(d, next) < 0) {
			rsd_log(LOG_CRIT, "Reload could not restart the Kafka clients; stopping");
			d->exit_code = RSD_EXIT_FAILURE;
			d->stop_requested = true;
		}
	} else {
		settle_before_restart(d);
		d->cfg = next;
	}
	release_config(d, old);
	if (old_kafka != old) /* one configuration until the first reload: freed once */
		release_config(d, old_kafka);
	/* New settings: their refusals deserve new reports. */
	rsd_refusal_table_reset(d->refusals);
	/* Recreated Kafka clients: the crawl waits for the cluster's id again. */
	if (!d->stop_requested && !d->crawl_pending && start_scraper(d, next) < 0) {
		d->exit_code = RSD_EXIT_FAILURE;
		d->stop_requested = true;
	}
	d->reloads_ok++;
	swap_metrics(d, next, endpoint);
	const char *fields[] = { kafka ? "KAFKA_CLIENTS_RESTARTED=1" : "KAFKA_CLIENTS_RESTARTED=0",
				 NULL };
	rsd_log_event(LOG_NOTICE, RSD_MID_RELOADED, fields, "Reloaded configuration from %s%s",
		      next->path,
		      kafka ? " (Kafka clients recreated)" : ""); /* path died with old */
	sd_notify(0, "READY=1");
	daemon_notify_status(d);
	note_reload(d, d->stop_requested ? RSD_RELOAD_FAILED : RSD_RELOAD_APPLIED,
		    d->stop_requested ? "applying it failed; the daemon stops (see its log)"
				      : NULL);
}

/* ---- waiting for the cluster ---------------------------------------------- */

#define RSD_PENDING_FIRST_WARNING_MS 10000
#define RSD_PENDING_WARNING_EVERY_MS 60000

/* No broker answered yet. --once gives up after message.timeout.ms (its
 * records would have failed by then anyway); the daemon keeps waiting and
 * says so now and then. */
static void still_waiting_for_cluster(struct rsd_daemon *d)
{
	uint64_t now = rsd_now_usec(CLOCK_MONOTONIC);
	uint64_t waited_ms = (now - d->pending_since_usec) / 1000u;
	int limit_ms = rsd_producer_delivery_timeout_ms(d->producer);
	if (d->opt->once && waited_ms >= (uint64_t)limit_ms) {
		rsd_log(LOG_ERR,
			"No Kafka broker at %s answered within message.timeout.ms (%d ms); "
			"nothing was crawled",
			daemon_brokers_shown(d), limit_ms);
		d->exit_code = RSD_EXIT_UNAVAILABLE;
		d->stop_requested = true;
		return;
	}
	if (waited_ms < RSD_PENDING_FIRST_WARNING_MS ||
	    (d->pending_warned_usec &&
	     now - d->pending_warned_usec < RSD_PENDING_WARNING_EVERY_MS * 1000u))
		return;
	d->pending_warned_usec = now;
	rsd_log(LOG_WARNING,
		"Waiting %" PRIu64 "s for a Kafka broker at %s to answer; the crawl starts once "
		"the cluster is known (delivered pages are remembered per cluster)",
		waited_ms / 1000u, daemon_brokers_shown(d));
}

static void log_cluster(const struct rsd_daemon *d, const char *id)
{
	char id_field[300];
	snprintf(id_field, sizeof id_field, "KAFKA_CLUSTER_ID=%s", id);
	const char *fields[] = { id_field, NULL };
	if (d->kafka_cfg->brokers_embedded)
		rsd_log_event(LOG_NOTICE, NULL, fields,
			      "Embedded Kafka cluster %s: pages delivered to it are remembered "
			      "until exit only",
			      id);
	else
		rsd_log_event(LOG_INFO, NULL, fields,
			      "Kafka cluster %s, topic %s: pages delivered there before are "
			      "skipped until refresh_interval_s",
			      id, d->kafka_cfg->topic);
}

static void start_crawl_when_identified(struct rsd_daemon *d)
{
	if (!d->crawl_pending || !d->producer || d->stop_requested || d->phase != PHASE_RUNNING)
		return;
	const char *id = rsd_producer_cluster_id(d->producer);
	if (!id) {
		still_waiting_for_cluster(d);
		return;
	}
	d->crawl_pending = false;
	log_cluster(d, id);
	if (start_scraper(d, d->cfg) < 0) {
		d->exit_code = RSD_EXIT_FAILURE;
		d->stop_requested = true;
	}
}

/* ---- events -------------------------------------------------------------- */

static void handle_signal(struct rsd_daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->signal_fd, &si, sizeof si) == (ssize_t)sizeof si) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			if (!d->stop_requested)
				rsd_log(LOG_INFO, "Received %s, draining and stopping",
					strsignal((int)si.ssi_signo));
			d->stop_requested = true;
			break;
		case SIGHUP:
			d->reload_gen++;
			if (d->phase != PHASE_RUNNING) {
				rsd_log(LOG_NOTICE, "SIGHUP ignored: the --once crawl is over, "
						    "only the consumer is still catching up");
				note_reload(d, RSD_RELOAD_IGNORED, "the --once crawl is over");
			} else if (d->stop_requested) {
				note_reload(d, RSD_RELOAD_IGNORED, "the daemon is stopping");
			} else {
				reload(d);
			}
			break;
		default:
			break;
		}
	}
}

static void handle_tick(struct rsd_daemon *d)
{
	uint64_t expirations;
	if (read(d->timer_fd, &expirations, sizeof expirations) < 0)
		return;
	d->ticks++;
	d->stuck = find_stuck_thread(d, rsd_now_usec(CLOCK_MONOTONIC));
	watchdog_tick(d);
	/* lines refused by the budget and not reported by a later line */
	daemon_log_suppressed_page_lines(rsd_line_budget_flush(&d->page_lines));
	start_crawl_when_identified(d);
	daemon_report_kafka_errors(d);
	if (d->cluster)
		rsd_cluster_log_report(d->cluster, &d->cluster_report);
	if (d->ticks % RSD_STATUS_EVERY_S == 0) {
		daemon_notify_status(d);
		rsd_state_sync(d->state);
	}
	if (d->ticks % RSD_STATS_EVERY_S == 0)
		daemon_log_stats(d);
	publish_metrics(d);
}

/* A fatal error (e.g. an idempotence violation) leaves a client unusable:
 * log it at PRIORITY 2 and exit non-zero so that Restart=on-failure starts a
 * fresh process; the crawl state keeps what was delivered. */
static bool kafka_failed_fatally(struct rsd_daemon *d)
{
	char reason[512];
	const char *client = NULL;
	if (d->producer && rsd_producer_fatal(d->producer, reason, sizeof reason))
		client = "producer";
	else if (d->consumer && rsd_consumer_fatal(d->consumer, reason, sizeof reason))
		client = "consumer";
	else if (d->cluster && rsd_cluster_fatal(d->cluster, reason, sizeof reason))
		client = "crawl cluster";
	if (!client)
		return false;
	rsd_log(LOG_CRIT, "Fatal Kafka %s error: %s; stopping so that systemd restarts us", client,
		reason);
	return true;
}

/* --once: the crawl is over; deliver everything, then wait for the sink.
 * No deadline of our own for the delivery: librdkafka fails each record
 * after message.timeout.ms, which is the configured bound here. */
static void once_crawl_finished(struct rsd_daemon *d)
{
	stop_scraper(d, false, true);
	if (stop_producer(d, UINT64_MAX, &d->once_target))
		d->exit_code = RSD_EXIT_UNAVAILABLE;
	d->phase = PHASE_AWAIT_CONSUMER;
}

static void advance_once(struct rsd_daemon *d)
{
	if (d->phase == PHASE_RUNNING && d->scraper && rsd_scraper_finished(d->scraper))
		once_crawl_finished(d);
	if (d->phase == PHASE_AWAIT_CONSUMER &&
	    (!d->consumer || rsd_consumer_reached(d->consumer, &d->once_target)))
		d->phase = PHASE_DONE;
}

static void handle_wake(struct rsd_daemon *d)
{
	eventfd_t v;
	(void)eventfd_read(d->wake_fd, &v);
	daemon_report_topics(d);
	if (kafka_failed_fatally(d)) {
		d->exit_code = RSD_EXIT_FAILURE;
		d->stop_requested = true;
	}
	start_crawl_when_identified(d);
}

static int run_loop(struct rsd_daemon *d)
{
	struct pollfd fds[] = {
		{ .fd = d->signal_fd, .events = POLLIN },
		{ .fd = d->wake_fd, .events = POLLIN },
		{ .fd = d->timer_fd, .events = POLLIN },
	};

	while (!d->stop_requested && d->phase != PHASE_DONE) {
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (fds[0].revents & POLLIN)
			handle_signal(d);
		if (fds[1].revents & POLLIN)
			handle_wake(d);
		if (fds[2].revents & POLLIN)
			handle_tick(d);
		if (d->opt->once && !d->stop_requested)
			advance_once(d);
	}
	return 0;
}

/* ---- start and stop ------------------------------------------------------ */

static int open_event_fds(struct rsd_daemon *d)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	/* Blocked before any thread starts, so every thread inherits the mask
	 * and only the signalfd sees these signals. */
	if (pthread_sigmask(SIG_BLOCK, &mask, NULL) != 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);

	d->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	d->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->signal_fd < 0 || d->wake_fd < 0 || d->timer_fd < 0)
		return -errno;
	struct itimerspec tick = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	return timerfd_settime(d->timer_fd, 0, &tick, NULL) < 0 ? -errno : 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Like mkdir -p: under systemd StateDirectory= has created it already, by
 * hand (demo, tests) the daemon does. */
static int make_directories(const char *path, mode_t mode)
{
	char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	int rc = 0;
	for (char *slash = copy + 1; rc == 0; slash++) {
		bool last = *slash == '\0';
		if (*slash != '/' && !last)
			continue;
		*slash = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST)
			rc = -errno;
		if (last)
			break;
		*slash = '/';
	}
	free(copy);
	return rc;
}

static int start_pipeline(struct rsd_daemon *d)
{
	int rc = make_directories(d->cfg->state_dir, 0750);
	if (rc == 0)
		rc = rsd_state_open(d->cfg->state_dir, &d->state);
	if (rc == -EWOULDBLOCK) {
		/* Two daemons on one state directory would compact (rename) the
		 * log under each other and lose delivered marks. */
		char holder[24] = "unknown";
		pid_t pid = rsd_state_lock_holder(d->cfg->state_dir);
		if (pid > 0)
			snprintf(holder, sizeof holder, "%ld", (long)pid);
		rsd_log(LOG_ERR,
			"The state directory %s is in use by another process (pid %s); exiting",
			d->cfg->state_dir, holder);
		d->exit_code = RSD_EXIT_TEMPFAIL;
		return rc;
	}
	if (rc < 0) {
		rsd_log(LOG_ERR, "Cannot open the crawl state in %s: %s", d->cfg->state_dir,
			strerror(-rc));
		return rc;
	}
	/* The scraper starts once the cluster is known (start_crawl_when_identified). */
	if ((rc = start_broker(d, d->cfg)) < 0 || (rc = start_kafka(d, d->cfg)) < 0)
		return rc;
	return 0;
}

static void log_summary(struct rsd_daemon *d, double seconds)
{
	struct counters c;
	daemon_counters_read(d, &c);
	struct counter_field cf[RSD_MAX_COUNTER_FIELDS];
	size_t n = daemon_counter_list(&c, false, cf);
	cf[n++] = (struct counter_field){ "RECORDS_UNDELIVERED", d->undelivered };
	char buf[RSD_MAX_COUNTER_FIELDS][48], refused[1024], skipped[1024], cluster[320];
	const char *fields[RSD_MAX_COUNTER_FIELDS + 1];
	daemon_format_counter_fields(cf, n, c.by_cause, buf, fields);
	daemon_format_causes(refused, sizeof refused, c.by_cause, true);
	daemon_format_causes(skipped, sizeof skipped, c.by_cause, false);
	daemon_format_cluster(cluster, sizeof cluster, &c, false);
	rsd_log_event(LOG_INFO, RSD_MID_STOPPING, fields,
		      "Stopped after %.1fs: %" PRIu64 " pages fetched (%" PRIu64
		      " failed), %s, %s, %" PRIu64 " records produced, %" PRIu64
		      " acknowledged, %" PRIu64 " undelivered, %" PRIu64 " consumed (%" PRIu64
		      " alerts, %" PRIu64 " invalid); %" PRIu64 " raw pages not published%s",
		      seconds, c.fetched, c.failed, refused, skipped, c.produced, c.acknowledged,
		      d->undelivered, c.consumed, c.alerts, c.invalid, c.raw_skipped, cluster);
}

/* SIGTERM, --once completion or a fatal error: everything that can still be
 * delivered within shutdown_timeout_s is, and the rest is accounted for. */
static void stop_pipeline(struct rsd_daemon *d)
{
	unsigned budget_s = d->cfg->shutdown_timeout_s;
	uint64_t deadline = rsd_now_usec(CLOCK_MONOTONIC) + (uint64_t)budget_s * 1000000u;

	sd_notifyf(0, "STOPPING=1\nEXTEND_TIMEOUT_USEC=%" PRIu64 "\nSTATUS=Draining",
		   (uint64_t)(budget_s + 5) * 1000000u);
	stop_scraper(d, false, true);
	stop_producer(d, deadline, NULL);
	stop_consumer(d, leave_ms(deadline));
	rsd_state_close(d->state);
	d->state = NULL;
	rsd_broker_free(d->broker);
	d->broker = NULL;
}

/* --once needs the end of the crawl, which no member of a crawl group can
 * see (the others may hand it URLs at any time): a usage error (64), with
 * where cluster mode was set and what to do instead. A frontier offset is
 * committed only once its URL is settled, so the crawl group's lag is 0
 * exactly when every URL produced was crawled. */
static bool once_refused(const struct rsd_daemon_options *opt, const struct rsd_config *cfg)
{
	if (!opt->once || !cfg->frontier_topic)
		return false;
	const char *where = rsd_config_origin(cfg, "cluster", "frontier_topic");
	rsd_log(LOG_ERR,
		"%s: --once cannot be used in cluster mode ([cluster] frontier_topic = %s): a "
		"member of the crawl group cannot tell when the whole crawl is finished. Run the "
		"members without --once and stop them (SIGTERM) once the crawl group's lag is 0 "
		"on every partition (kafka-consumer-groups.sh --describe --group %s), or empty "
		"frontier_topic to crawl once on one machine",
		where ? where : cfg->path,
		rsd_config_shown(cfg, "cluster", "frontier_topic", cfg->frontier_topic),
		rsd_config_shown(cfg, "cluster", "group_id", cfg->cluster_group_id));
	return true;
}

static void daemon_free(struct rsd_daemon *d)
{
	rsd_offsets_clear(&d->once_target);
	if (d->kafka_cfg != d->cfg)
		rsd_config_free(d->kafka_cfg);
	rsd_config_free(d->cfg);
	free(d->bootstrap);
	rsd_metrics_stop(d->metrics);
	free(d->metrics_listen);
	free(d->reload_rejected);
	free(d->runtime_dir);
	rsd_line_budget_destroy(&d->page_lines);
	rsd_refusal_table_free(d->refusals);
	rsd_host_stats_free(d->hosts);
	rsd_frontier_clocks_free(d->clocks);
	rsd_frontier_robots_free(d->robots);
	close_fd(&d->signal_fd);
	close_fd(&d->wake_fd);
	close_fd(&d->timer_fd);
}

int rsd_daemon_run(const struct rsd_daemon_options *opt)
{
	struct rsd_daemon d = { .opt = opt, .signal_fd = -1, .wake_fd = -1, .timer_fd = -1 };
	struct rsd_config_diag diag = { 0 };

	rsd_log_init(NULL);
	if (rsd_config_load(opt->config_path, &d.cfg, &diag) < 0) {
		log_config_errors(diag.messages, diag.n, LOG_ERR, NULL);
		rsd_config_diag_clear(&diag);
		return RSD_EXIT_CONFIG;
	}
	rsd_log_init(d.cfg->identifier);
	d.runtime_dir = rsd_reload_status_dir();
	rsd_log_set_level(d.cfg->log_level);
	if (once_refused(opt, d.cfg)) {
		rsd_config_free(d.cfg);
		return RSD_EXIT_USAGE;
	}
	rsd_line_budget_init(&d.page_lines, RSD_PAGE_LINES_PER_S, RSD_PAGE_LINES_PER_S,
			     rsd_now_usec(CLOCK_MONOTONIC));
	rsd_kafka_set_debug_handler(daemon_log_kafka_debug);
	d.started_usec = rsd_now_usec(CLOCK_MONOTONIC);
	d.started_unix = (double)rsd_now_usec(CLOCK_REALTIME) / 1e6;
	if (sd_watchdog_enabled(0, &d.watchdog_usec) <= 0)
		d.watchdog_usec = 0;

	int rc = rsd_refusal_table_new(RSD_REFUSAL_REPORTS, &d.refusals);
	if (rc == 0)
		rc = rsd_host_stats_new(RSD_METRICS_HOSTS, &d.hosts);
	if (rc < 0) {
		rsd_log(LOG_ERR, "Cannot allocate the refusal and host tables: %s", strerror(-rc));
		daemon_free(&d);
		return RSD_EXIT_FAILURE;
	}
	rc = open_event_fds(&d);
	if (rc < 0) {
		rsd_log(LOG_ERR, "Cannot set up signal handling: %s", strerror(-rc));
		daemon_free(&d);
		return RSD_EXIT_FAILURE;
	}
	/* Before anything else starts: a port in use (or an address not on
	 * this host) is the operator's to fix, so exit 78 and do not restart. */
	if (d.cfg->metrics_listen && open_metrics_at_start(&d) < 0) {
		daemon_free(&d);
		return RSD_EXIT_CONFIG;
	}
	if (start_pipeline(&d) < 0) {
		int code = d.exit_code ? d.exit_code : RSD_EXIT_FAILURE;
		stop_pipeline(&d);
		daemon_free(&d);
		return code;
	}
	const char *fields[] = { "RSD_VERSION=" RSD_VERSION, NULL };
	rsd_log_event(LOG_INFO, RSD_MID_STARTED, fields,
		      "recipe-scraperd " RSD_VERSION " started with %s (%u scraper threads, %s%s)",
		      d.cfg->path, d.cfg->threads,
		      d.cfg->brokers_embedded ? "embedded broker" : "brokers ",
		      d.cfg->brokers_embedded ? "" : daemon_brokers_shown(&d));
	sd_notify(0, "READY=1");
	note_reload(&d, RSD_RELOAD_APPLIED, NULL); /* generation 0: the start */
	daemon_notify_status(&d);
	publish_metrics(&d);

	rc = run_loop(&d);
	if (rc < 0) {
		rsd_log(LOG_ERR, "Main loop failed: %s", strerror(-rc));
		d.exit_code = RSD_EXIT_FAILURE;
	}
	stop_pipeline(&d);
	log_summary(&d, (double)(rsd_now_usec(CLOCK_MONOTONIC) - d.started_usec) / 1e6);
	if (opt->once && d.exit_code == 0 && d.undelivered)
		d.exit_code = RSD_EXIT_UNAVAILABLE;
	int code = d.exit_code;
	daemon_free(&d);
	return code;
}
