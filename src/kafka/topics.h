/* SPDX-License-Identifier: MIT */
#ifndef RSD_TOPICS_H
#define RSD_TOPICS_H

/* The topic check: at start and when a reload recreates the Kafka clients,
 * a thread of its own reads the cluster's metadata (retrying while no
 * broker answers), and creates each topic the daemon uses that is missing
 * (CreateTopics, with [producer] partitions and replication_factor; the raw
 * topic with a max.message.bytes that fits max_page_bytes). Existing topics
 * are never altered. When it has finished it writes the wake fd; the daemon
 * then reads the outcomes and logs them (this module does not log). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

#include "config/config.h"

#define RSD_TOPICS_MAX 16

enum rsd_topic_outcome {
	RSD_TOPIC_EXISTS, /* with at least the configured partitions */
	RSD_TOPIC_FEWER_PARTITIONS, /* exists with fewer: left as it is */
	RSD_TOPIC_CREATED,
	RSD_TOPIC_REFUSED, /* creation not allowed: authorization, policy, CreateTopics not
			    * supported by the cluster */
	RSD_TOPIC_FAILED, /* creation failed otherwise (invalid replication factor, ...) */
};

/* What the daemon wants of one topic (derived from the configuration). */
struct rsd_topic_want {
	const char *name;
	int partitions;
	int replication_factor; /* -1: the broker's default.replication.factor */
	uint64_t max_message_bytes; /* topic config max.message.bytes, 0 = broker default */
	bool compact; /* cleanup.policy=compact (the cluster's state topic) */
};

struct rsd_topic_result {
	struct rsd_topic_want want; /* what was asked (want.name lives as long as the check) */
	const char *name; /* want.name */
	enum rsd_topic_outcome outcome;
	int partitions; /* existing (EXISTS, FEWER_PARTITIONS) or created */
	rd_kafka_resp_err_t err; /* REFUSED, FAILED */
	char reason[256]; /* the broker's or librdkafka's text, REFUSED, FAILED */
};

/* The topics of cfg: producer topic, raw topic (with max.message.bytes
 * from max_page_bytes), consumer topics; in cluster mode frontier_topic
 * and state_topic (compacted) with [cluster] partitions; each once.
 * Returns the count. */
size_t rsd_topics_wanted(const struct rsd_config *cfg, struct rsd_topic_want *out, size_t max);
/* Largest raw HTML message (a page of max_page_bytes, its key and headers):
 * the raw topic's max.message.bytes and the producer's message.max.bytes. */
uint64_t rsd_topics_raw_message_bytes(const struct rsd_config *cfg);

struct rsd_topics;

/* Starts the check on its own thread with a client configured like the
 * producer ([kafka] and [producer] properties). wake_fd is written when it
 * has finished. Errors (bad property, thread) go to errbuf. */
int rsd_topics_start(const struct rsd_config *cfg, const char *bootstrap, int wake_fd, char *errbuf,
		     size_t errlen, struct rsd_topics **out);
/* Blocks until the check finished, or its first metadata request failed
 * (no broker answered: it retries in the background), at most timeout_ms.
 * True when it finished. */
bool rsd_topics_wait(struct rsd_topics *t, int timeout_ms);
/* The outcomes once the check finished (NULL before; *n = 0). Thread-safe;
 * the array lives as long as t. */
const struct rsd_topic_result *rsd_topics_results(struct rsd_topics *t, size_t *n);
/* Stops the retries and waits for the thread: at once while no broker
 * answers, else when the metadata request or the creation under way ends
 * (bounded by their timeouts, 5 s and 10 s, and one more metadata request
 * after a creation that raced another client's). Results stay readable. */
void rsd_topics_stop(struct rsd_topics *t);
/* Stops, then frees. Accepts NULL. */
void rsd_topics_free(struct rsd_topics *t);

#endif
