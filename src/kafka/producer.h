/* SPDX-License-Identifier: MIT */
#ifndef RSD_PRODUCER_H
#define RSD_PRODUCER_H

/* The producer thread: drains the ring into librdkafka (idempotent,
 * acks=all), key = record URL, value = record JSON, headers content-type and
 * schema; optional raw HTML to raw_topic. A record counts as delivered only
 * in its delivery report, which marks its URL done in the crawl state (in
 * the scope of the cluster's id and the topic) and frees it. QUEUE_FULL:
 * poll and retry, never drop. */

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "core/delivery.h"
#include "core/ring.h"
#include "kafka/offsets.h"

struct rsd_producer;

struct rsd_producer_stats {
	atomic_uint_fast64_t produced; /* records handed to librdkafka */
	atomic_uint_fast64_t acknowledged; /* records whose delivery report succeeded */
	atomic_uint_fast64_t implicit_acks; /* of acknowledged: reported without an offset,
					     * librdkafka's implicit acknowledgement (a later
					     * request of this idempotent producer succeeded
					     * while this one's answer was lost: the broker's
					     * sequence checks imply it was written) */
	atomic_uint_fast64_t failed; /* records not acknowledged: delivery report failed
					    * (incl. delivery.timeout.ms), not producible, purged
					    * or given up at shutdown; their URLs stay unmarked */
	atomic_uint_fast64_t too_large; /* of failed: refused as too large (MSG_SIZE_TOO_LARGE),
					    * given up and marked rejected in the crawl state */
	atomic_uint_fast64_t raw_skipped; /* raw pages not published (too large, failed) */
	atomic_uint_fast64_t outq; /* rd_kafka_outq_len, sampled */
	atomic_uint_fast64_t progress; /* bumped every loop iteration (watchdog) */
};

/* bootstrap: the resolved bootstrap.servers (the embedded broker's when
 * brokers = embedded). marks: where delivery reports go (the daemon's crawl
 * state), copied; NULL for none. wake_fd: eventfd written on a fatal error and when the
 * producer thread exits; -1 for none. Errors (bad property...) go to errbuf. */
int rsd_producer_new(const struct rsd_config *cfg, const char *bootstrap, rsd_ring *ring,
		     const struct rsd_delivery_marks *marks, int wake_fd, char *errbuf,
		     size_t errlen, struct rsd_producer **out);
int rsd_producer_start(struct rsd_producer *p);
/* Cluster mode: told, when a record with a ticket is freed after its last
 * delivery report, whether it was acknowledged. Runs on the producer thread
 * (or the joining thread); must not block. Set before start. */
typedef void rsd_producer_settle_fn(void *ctx, uint64_t ticket, bool delivered);
void rsd_producer_set_settle_cb(struct rsd_producer *p, rsd_producer_settle_fn *fn, void *ctx);
/* Waits for the thread, which ends once the ring is closed and drained; then
 * flushes librdkafka for at most flush_timeout_ms. Returns the number of
 * records not acknowledged (they are not marked delivered). The timeout also
 * bounds the drain: records still waiting for librdkafka queue space when it
 * expires are given up (counted failed, not marked). What is still queued
 * after the flush is purged: its reports fire (failed) and free the records.
 * Afterwards stats.acknowledged + stats.failed == records taken from the ring. */
uint64_t rsd_producer_join(struct rsd_producer *p, int flush_timeout_ms);
void rsd_producer_free(struct rsd_producer *p); /* accepts NULL */

const struct rsd_producer_stats *rsd_producer_stats(const struct rsd_producer *p);
/* Non-zero after rd_kafka_fatal_error; message in buf. */
int rsd_producer_fatal(struct rsd_producer *p, char *buf, size_t len);
/* Latest librdkafka error as "ERR_NAME: reason"; returns the error count. */
uint64_t rsd_producer_last_error(struct rsd_producer *p, char *buf, size_t len);
/* End offsets of what was acknowledged, per partition: the highest offset
 * reported + 1, or the partition's high watermark where a message was
 * acknowledged without an offset (then a query of the cluster, bounded at
 * 5 s per such partition). Thread-safe. */
int rsd_producer_acked_offsets(struct rsd_producer *p, struct rsd_offsets *out);
/* Blocks until count records taken from the ring are settled (acknowledged
 * or failed), at most timeout_ms. True when reached. Thread-safe; a reload
 * uses it so that the next scraper does not fetch again pages whose
 * records are still on their way. */
bool rsd_producer_wait_settled(struct rsd_producer *p, uint64_t count, int timeout_ms);
/* The cluster's id (or "brokers=LIST" for a cluster that has none, and
 * "ID@LIST" for librdkafka's mock clusters, whose ids repeat), once
 * the producer thread learned it and made (id, topic) the crawl state's
 * scope (an ephemeral one with brokers = embedded); NULL before. The
 * thread writes the daemon's wake_fd when it becomes known. Thread-safe;
 * the string lives as long as the producer. */
const char *rsd_producer_cluster_id(struct rsd_producer *p);
/* The producer's message.timeout.ms (delivery.timeout.ms). */
int rsd_producer_delivery_timeout_ms(struct rsd_producer *p);
/* Milliseconds since a broker last answered the producer: the cluster's
 * id, a delivery report, or the Metadata request an idle producer sends
 * every 10 s (a quarter of message.timeout.ms when shorter); since its
 * creation before the first answer. Thread-safe. */
uint64_t rsd_producer_silent_ms(const struct rsd_producer *p);
/* Records handed to librdkafka and not yet reported (thread-safe). */
uint64_t rsd_producer_in_flight(const struct rsd_producer *p);

#endif
