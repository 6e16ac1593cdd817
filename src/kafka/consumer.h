/* SPDX-License-Identifier: MIT */
#ifndef RSD_CONSUMER_H
#define RSD_CONSUMER_H

/* The consumer thread: a member of group_id subscribed to topics; writes
 * every message to the sink and stores its offset only after the sink wrote
 * it (enable.auto.offset.store=false: at-least-once). Commits stored offsets
 * on partition revoke and at shutdown. */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "journal/journal_sink.h"
#include "kafka/offsets.h"

struct rsd_consumer;

struct rsd_consumer_stats {
	atomic_uint_fast64_t consumed; /* messages written to the sink */
	atomic_uint_fast64_t alerts; /* of which high-calorie */
	atomic_uint_fast64_t invalid; /* of which not a valid record */
	atomic_uint_fast64_t lag; /* sum over assigned partitions, sampled */
	atomic_uint_fast64_t assigned; /* partitions currently assigned */
	atomic_uint_fast64_t progress; /* bumped every loop iteration (watchdog) */
	atomic_uint_fast64_t sink_errors; /* failed journal (sink) writes, each retried */
};

/* The sink is owned by the consumer from here on (freed by rsd_consumer_free,
 * or by rsd_consumer_new itself when it fails). */
int rsd_consumer_new(const struct rsd_config *cfg, const char *bootstrap, struct rsd_sink *sink,
		     int wake_fd, char *errbuf, size_t errlen, struct rsd_consumer **out);
int rsd_consumer_start(struct rsd_consumer *c);
/* Ask the thread to stop: it commits stored offsets, closes the consumer
 * (leaving the group, for at most close_ms) and exits; join waits for it
 * and returns whether the group was left in time (false: the others take
 * its partitions only after session.timeout.ms). Before stop, the bound is
 * the configuration's shutdown_timeout_s. */
void rsd_consumer_stop(struct rsd_consumer *c, int close_ms);
bool rsd_consumer_join(struct rsd_consumer *c);
void rsd_consumer_free(struct rsd_consumer *c); /* accepts NULL */

const struct rsd_consumer_stats *rsd_consumer_stats(const struct rsd_consumer *c);
/* Latest librdkafka error as "ERR_NAME: reason"; returns the error count. */
uint64_t rsd_consumer_last_error(struct rsd_consumer *c, char *buf, size_t len);
/* Non-zero after a fatal consumer error (the thread has stopped); message in buf. */
int rsd_consumer_fatal(struct rsd_consumer *c, char *buf, size_t len);
/* --once: true when, for every (partition, offset) in target (of the first
 * configured topic), this consumer has written the message before offset to
 * the sink (its stored position >= offset). Thread-safe. */
/* Per-partition lag, for the metrics: bounded, so that a consumer of a
 * thousand partitions does not make a thousand series (stats.lag stays the
 * exact sum). */
#define RSD_CONSUMER_LAG_PARTITIONS 64
struct rsd_partition_lag {
	char topic[250]; /* Kafka topic names are at most 249 bytes */
	int32_t partition;
	uint64_t lag;
};
/* The lag of the assigned partitions at the last sample (once a second),
 * at most n and at most RSD_CONSUMER_LAG_PARTITIONS of them. Thread-safe. */
size_t rsd_consumer_partition_lag(struct rsd_consumer *c, struct rsd_partition_lag *out, size_t n);
bool rsd_consumer_reached(struct rsd_consumer *c, const struct rsd_offsets *target);

#endif
