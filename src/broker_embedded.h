/* SPDX-License-Identifier: MIT */
#ifndef RSD_BROKER_EMBEDDED_H
#define RSD_BROKER_EMBEDDED_H

/* librdkafka's in-process mock cluster as a development broker
 * (brokers = embedded, and the `broker` subcommand). Data lives in memory
 * and is lost when the process exits. */

#include <stddef.h>

struct rsd_broker;

/* Starts n_brokers mock brokers on loopback and creates each topic with
 * partitions partitions. port > 0: also accept bootstrap connections on
 * 127.0.0.1:port (forwarded to broker 1). */
int rsd_broker_new(int n_brokers, int partitions, const char *const *topics, size_t n_topics,
		   int port, char *errbuf, size_t errlen, struct rsd_broker **out);
void rsd_broker_free(struct rsd_broker *b); /* accepts NULL */
/* The bootstrap servers clients should use: "127.0.0.1:port" when port > 0,
 * else the mock brokers' own (ephemeral) addresses. */
const char *rsd_broker_bootstrap(const struct rsd_broker *b);
/* The rd_kafka_mock_cluster_t, for fault injection in tests. */
void *rsd_broker_mock_cluster(struct rsd_broker *b);

#endif
