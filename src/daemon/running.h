/* SPDX-License-Identifier: MIT */
#ifndef RSD_DAEMON_RUNNING_H
#define RSD_DAEMON_RUNNING_H

/* The running daemon's state, shared by daemon.c (the pipeline's life:
 * start, reload, the event loop, stop) and report.c (what it logs and
 * announces). Only src/daemon/ includes it. */

#include "daemon/daemon.h"

#include <stdbool.h>
#include <stdint.h>

#include "core/util.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "kafka/producer.h"
#include "crawl/scraper.h"
#include "kafka/topics.h"
#include "daemon/cluster_log.h"

#define RSD_EMBEDDED_BROKERS 3
/* Bound of the topic check at start: one metadata request (5 s) and one
 * CreateTopics (10 s), with a margin. */
#define RSD_TOPICS_WAIT_MS 20000
#define RSD_STATUS_EVERY_S 2
#define RSD_STATS_EVERY_S 60
/* (host, cause) pairs whose first refusal is logged, per configuration:
 * bounds the journal lines a crawl of hostile sites can cause. */
#define RSD_REFUSAL_REPORTS 1024
/* /healthz: a thread without progress for this long is stuck when systemd's
 * watchdog is off (with it, half of WatchdogSec=, as for WATCHDOG=1). */
#define RSD_STUCK_AFTER_USEC (30 * 1000000ull)
/* /healthz: no broker answered, or records in flight without an
 * acknowledgement, for this long (or the producer's message.timeout.ms,
 * when shorter: records fail then): Kafka is unreachable. */
#define RSD_KAFKA_DOWN_AFTER_USEC (60 * 1000000ull)
/* log_level = debug: lines about single pages, per second (and burst). A
 * crawl refuses or skips thousands of pages a second at times; journald's
 * own rate limit is off for the unit (records must never be dropped). */
#define RSD_PAGE_LINES_PER_S 100

enum daemon_phase {
	PHASE_RUNNING, /* crawling and consuming */
	PHASE_AWAIT_CONSUMER, /* --once: everything produced, waiting for the sink */
	PHASE_DONE,
};

/* Liveness of one thread for the watchdog: its progress counter must move
 * (every thread's loop wakes at least once a second, even when idle). */
struct liveness {
	uint64_t last_value;
	uint64_t last_change_usec;
};

struct rsd_daemon {
	const struct rsd_daemon_options *opt;
	struct rsd_config *cfg; /* current; the scraper pool runs on it */
	struct rsd_config *kafka_cfg; /* what the Kafka clients were built with (may be cfg) */
	struct rsd_broker *broker;
	char *bootstrap;
	struct rsd_state *state;
	rsd_ring *ring;
	struct rsd_scraper *scraper;
	/* The hosts' politeness clocks from the scraper a reload stopped, for
	 * the next one (NULL: none) */
	struct rsd_frontier_clocks *clocks;
	/* ... and its origins' robots.txt verdicts (NULL: none) */
	struct rsd_frontier_robots *robots;
	struct rsd_producer *producer;
	struct rsd_consumer *consumer;
	struct rsd_cluster *cluster; /* [cluster] frontier_topic set, with the producer */
	struct rsd_cluster_report cluster_report;
	struct rsd_topics *topics; /* the topic check of the current Kafka clients */
	bool topics_reported; /* its outcome was logged */
	struct rsd_offsets once_target; /* acknowledged offsets the consumer must reach */

	int signal_fd, wake_fd, timer_fd;
	enum daemon_phase phase;
	bool crawl_pending; /* the scraper waits for the producer's cluster id */
	uint64_t pending_since_usec, pending_warned_usec;
	bool stop_requested;
	int exit_code;
	uint64_t started_usec;
	uint64_t ticks;
	uint64_t watchdog_usec; /* 0 = systemd's watchdog is off */
	struct liveness live_scraper, live_producer, live_consumer, live_cluster;
	struct liveness live_acks; /* records settled, while some are in flight */
	const char *stuck; /* the thread without progress, NULL when all move */

	struct rsd_metrics *metrics; /* NULL = [metrics] listen off */
	char *metrics_listen; /* the address it is bound to */
	bool metrics_secret; /* ... came from a ${...} reference: not shown */
	double started_unix; /* process start, for process_start_time_seconds */
	uint64_t reloads_ok, reloads_rejected;

	uint64_t producer_errors_seen, consumer_errors_seen;
	uint64_t ring_records; /* records stopped scrapers put into the current ring */

	/* Totals across pipeline restarts (reloads recreate components). */
	uint64_t undelivered;
	uint64_t pages_fetched, pages_failed, produced, acknowledged, consumed, alerts, invalid;
	uint64_t by_cause[RSD_CAUSE_COUNT]; /* pages refused or skipped, by cause */
	uint64_t failed_records, too_large, raw_skipped;
	uint64_t records, no_recipe, sink_errors, producer_errors, consumer_errors;
	struct rsd_cluster_counts cluster_totals; /* of the freed clusters (the totals only) */

	struct rsd_refusal_table *refusals; /* which refusals were logged already */
	struct rsd_host_stats *hosts; /* pages per host, across scraper restarts */
	/* First error of the last rejected reload (and how many more), kept in
	 * STATUS= until a reload succeeds: an operator who looks at `systemctl
	 * status` minutes later still sees why the file was not applied. The
	 * loader's messages never contain an expanded secret. */
	char *reload_rejected;
	/* log_level = debug: lines of refused and skipped pages, rate-limited. */
	struct rsd_line_budget page_lines;
	/* $RUNTIME_DIRECTORY: where each reload's verdict goes for
	 * `recipe-scraperd reload` (reload_status.h); NULL when not set. */
	char *runtime_dir;
	uint64_t reload_gen; /* SIGHUPs received: the generation of the verdicts */
	bool verdict_unwritable; /* its failure was logged */
};

/* A snapshot of every component's counters plus the totals of those
 * a reload replaced (daemon_counters_read). */
struct counters {
	uint64_t fetched, failed, refused, skipped, records, in_flight, queued;
	uint64_t by_cause[RSD_CAUSE_COUNT];
	uint64_t produced, acknowledged, failed_records, too_large, raw_skipped, outq;
	uint64_t consumed, alerts, invalid, lag;
	uint64_t no_recipe, sink_errors, producer_errors, consumer_errors, assigned;
	size_t ring_depth, ring_capacity, ring_bytes;
	bool cluster_mode; /* [cluster] frontier_topic set: cluster is reported */
	struct rsd_cluster_counts cluster;
};

/* Counters as journal fields ("NAME=value"), for the stats and stopping
 * events; out is NULL-terminated and points into buf. */
struct counter_field {
	const char *name;
	uint64_t value;
};

/* 12 totals, 5 gauges, 13 of the cluster, 1 the caller adds; the causes. */
#define RSD_MAX_COUNTER_FIELDS (31 + RSD_CAUSE_COUNT)

/* report.c */
/* The bootstrap servers as messages show them: "(secret)" when [kafka]
 * brokers came from a ${...} reference (rsd_config_secret). */
const char *daemon_brokers_shown(const struct rsd_daemon *d);
void daemon_counters_read(const struct rsd_daemon *d, struct counters *c);
void daemon_counters_retire_scraper(struct rsd_daemon *d);
void daemon_counters_retire_producer(struct rsd_daemon *d);
void daemon_counters_retire_consumer(struct rsd_daemon *d);
void daemon_counters_retire_cluster(struct rsd_daemon *d);
/* The fields of the stats entry (now: with the gauges) or of the stopping
 * entry (!now: the totals only) into cf (RSD_MAX_COUNTER_FIELDS - 1 at
 * most: the caller may add one); returns how many. */
size_t daemon_counter_list(const struct counters *c, bool now, struct counter_field *cf);
void daemon_format_causes(char *buf, size_t len, const uint64_t *by_cause, bool refusals);
void daemon_notify_status(const struct rsd_daemon *d);
void daemon_format_counter_fields(const struct counter_field *cf, size_t n,
				  const uint64_t *by_cause, char buf[][48], const char **out);
void daemon_format_cluster(char *buf, size_t len, const struct counters *c, bool now);
void daemon_log_stats(const struct rsd_daemon *d);
void daemon_report_topics(struct rsd_daemon *d);
void daemon_log_page_failure(void *ctx, const char *url, long http_code, const char *reason);
void daemon_log_suppressed_page_lines(uint64_t n);
void daemon_log_refusal(void *ctx, const struct rsd_refusal *r);
void daemon_log_kafka_debug(const char *client, const char *facility, const char *message);
void daemon_report_kafka_errors(struct rsd_daemon *d);

#endif
