/* SPDX-License-Identifier: MIT */
#ifndef RSD_CLUSTER_LOG_H
#define RSD_CLUSTER_LOG_H

/* The daemon's side of cluster mode (crawl_cluster.h): starting it next to
 * the Kafka clients, and what it says about it (the module itself does not
 * log). Main thread only. */

#include <stddef.h>
#include <stdint.h>

#include "cluster/crawl_cluster.h"
#include "kafka/producer.h"

/* What was last reported, so each change is logged once. */
struct rsd_cluster_report {
	uint64_t rebalances_seen, errors_seen;
};

/* With [cluster] frontier_topic: creates the cluster clients and makes the
 * producer settle records through them (before the producer starts).
 * Logs and returns a negative errno on failure; 0 and *out NULL when
 * cluster mode is off. */
int rsd_cluster_log_start(const struct rsd_config *cfg, const char *bootstrap,
			  struct rsd_state *state, int wake_fd, struct rsd_producer *producer,
			  struct rsd_cluster **out);
/* Attaches the new scraper pool's frontier; logs a failure. */
int rsd_cluster_log_attach(struct rsd_cluster *c, struct rsd_frontier *f);
/* After each rebalance: a journal entry with the partitions and hosts
 * owned (MESSAGE_ID RSD_MID_CLUSTER_OWNERSHIP, log.h); new errors as a
 * warning. */
void rsd_cluster_log_report(struct rsd_cluster *c, struct rsd_cluster_report *r);
/* "; crawl partitions 0,3,7 (3/12), 5 hosts" for STATUS=, "" when c is NULL. */
void rsd_cluster_log_status(struct rsd_cluster *c, char *buf, size_t len);

#endif
