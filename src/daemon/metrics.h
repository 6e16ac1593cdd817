/* SPDX-License-Identifier: MIT */
#ifndef RSD_METRICS_H
#define RSD_METRICS_H

/* The HTTP endpoint of [metrics] listen: /metrics in the Prometheus text
 * exposition format (0.0.4) and /healthz, served by libmicrohttpd on one
 * internal thread with bounded connections.
 *
 * The daemon owns every counter and publishes a copy (a snapshot) once a
 * tick; a request copies the latest snapshot under a mutex and renders it
 * without any lock, so a slow client never blocks the pipeline. The module
 * does not log: errors are returned as negative errno values. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cluster/crawl_cluster.h"
#include "kafka/consumer.h"
#include "crawl/host_stats.h"
#include "crawl/refusal.h"

/* Hosts with a series of their own; pages of later hosts count as
 * host="(other)". */
#define RSD_METRICS_HOSTS 20

struct rsd_metrics_snapshot {
	/* counters (totals since start, across reloads) */
	uint64_t pages_fetched, pages_failed, pages_without_recipe;
	uint64_t by_cause[RSD_CAUSE_COUNT];
	uint64_t records_extracted, produced, acknowledged, failed_records, too_large, raw_skipped;
	uint64_t consumed, alerts, invalid, sink_errors;
	uint64_t producer_errors, consumer_errors;
	uint64_t reloads_ok, reloads_rejected;
	/* gauges (now) */
	uint64_t ring_depth, ring_capacity, ring_bytes, records_in_flight, kafka_queue;
	uint64_t frontier_queued, fetches_in_flight, consumer_lag, partitions_assigned;
	struct rsd_host_count hosts[RSD_METRICS_HOSTS];
	size_t n_hosts;
	struct rsd_host_count other_hosts;
	struct rsd_partition_lag lags[RSD_CONSUMER_LAG_PARTITIONS];
	size_t n_lags;
	/* cluster mode ([cluster] frontier_topic): its families are shown
	 * only then (counters totals across reloads, gauges now) */
	bool cluster_mode;
	struct rsd_cluster_counts cluster;
	double start_time_s; /* the process's start, Unix time */
	bool healthy;
	char health_reason[256]; /* why not, when !healthy */
};

struct rsd_metrics;

/* A listening TCP socket on addr (SO_REUSEADDR, CLOEXEC); fd or -errno. */
int rsd_metrics_listen(const struct sockaddr *addr, socklen_t addrlen);
/* Serves on listen_fd, which it owns from here on (closed by stop; on
 * failure the caller must not use it any more). */
int rsd_metrics_start(int listen_fd, struct rsd_metrics **out);
/* Replaces the snapshot requests are answered from (thread-safe). */
void rsd_metrics_publish(struct rsd_metrics *m, const struct rsd_metrics_snapshot *s);
/* Closes the socket and every connection; waits for the thread. Accepts NULL. */
void rsd_metrics_stop(struct rsd_metrics *m);

/* The /metrics text of s, malloc'ed (NULL when out of memory). */
char *rsd_metrics_render(const struct rsd_metrics_snapshot *s, size_t *len);

#endif
