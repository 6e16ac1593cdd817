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
/* Applies one fault-injection command, words separated by blanks:
 *   down ID, up ID          broker ID refuses (closing its connections) or
 *                           accepts connections again; ids are 1..n_brokers
 *   alldown, allup          the same for every broker
 *   rtt ID MS               broker ID answers every request MS ms late
 *   leader TOPIC PART ID    broker ID becomes the partition's leader (-1: none)
 *   topic NAME PARTITIONS   creates topic NAME (librdkafka's mock has no
 *                           CreateTopics; it would create it on first use
 *                           with its default partition count)
 *   errors APIKEY COUNT CODE  the next COUNT requests with this Kafka API key
 *                           (0 Produce, 1 Fetch, 8 OffsetCommit, ...), to any
 *                           broker, fail with CODE (a number or a name such
 *                           as NOT_LEADER_FOR_PARTITION)
 * Returns 0, or -EINVAL / -ENOMEM with the reason in errbuf. Callable from
 * any thread (librdkafka serialises mock cluster commands). */
int rsd_broker_command(struct rsd_broker *b, const char *line, char *errbuf, size_t errlen);
/* The rd_kafka_mock_cluster_t, for fault injection in tests. */
void *rsd_broker_mock_cluster(struct rsd_broker *b);

#endif
