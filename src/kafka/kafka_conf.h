/* SPDX-License-Identifier: MIT */
#ifndef RSD_KAFKA_CONF_H
#define RSD_KAFKA_CONF_H

/* Configuration shared by the producer and the consumer: bootstrap.servers,
 * then the [kafka] dotted keys, then the client's own dotted keys (later
 * wins), and an error callback that records librdkafka errors by name
 * instead of logging them (modules do not log; the daemon reads the record).
 *
 * Thread safety: the error callback runs on the thread that serves the
 * client's main queue; rsd_kafka_health_* readers may run on any thread. */

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <librdkafka/rdkafka.h>

#include "config/config.h"

/* Errors reported by librdkafka for one client. */
struct rsd_kafka_health {
	pthread_mutex_t lock;
	uint64_t errors; /* error callbacks seen */
	char last_error[256]; /* "ERR_NAME: reason" of the latest one */
	bool fatal; /* rd_kafka_fatal_error() reported an error */
	char fatal_error[512]; /* "ERR_NAME: reason" of the fatal error */
	int wake_fd; /* eventfd written on a fatal error, or -1 */
};

void rsd_kafka_health_init(struct rsd_kafka_health *h, int wake_fd);
void rsd_kafka_health_destroy(struct rsd_kafka_health *h);
/* Records err; on RD_KAFKA_RESP_ERR__FATAL fetches the underlying fatal
 * error from rk, marks h fatal and writes h->wake_fd. Returns true when fatal. */
bool rsd_kafka_health_record(struct rsd_kafka_health *h, rd_kafka_t *rk, rd_kafka_resp_err_t err,
			     const char *reason);
/* Copies the fatal error into buf; returns non-zero when there was one. */
int rsd_kafka_health_fatal(struct rsd_kafka_health *h, char *buf, size_t len);
/* Copies the latest error into buf; returns the number of errors so far. */
uint64_t rsd_kafka_health_last_error(struct rsd_kafka_health *h, char *buf, size_t len);

/* Where librdkafka's debug lines go (those of the contexts named in a
 * "debug" property); other log lines are dropped, errors are recorded in
 * the health. Set it before creating clients: fn runs on librdkafka's
 * threads and must be thread-safe. NULL (the default) drops them too. */
typedef void rsd_kafka_debug_fn(const char *client, const char *facility, const char *message);
void rsd_kafka_set_debug_handler(rsd_kafka_debug_fn *fn);

/* Condition variables with CLOCK_MONOTONIC timeouts (immune to clock
 * steps; deadlines from rsd_deadline_after_ms, core/util.h). */
void rsd_kafka_cond_init(pthread_cond_t *cond);

/* Commits offsets (NULL: the stored offsets of the current assignment) and
 * waits for the group coordinator's answer at most timeout_ms, bumping
 * *progress (when not NULL) at least once a second meanwhile, for the
 * daemon's watchdog. librdkafka's synchronous commit has no bound of its own
 * (with the coordinator down it took 6 s here). Returns the commit's result,
 * RD_KAFKA_RESP_ERR__TIMED_OUT when no answer came in time. */
rd_kafka_resp_err_t rsd_kafka_commit_within(rd_kafka_t *rk,
					    const rd_kafka_topic_partition_list_t *offsets,
					    int timeout_ms, atomic_uint_fast64_t *progress);

/* Closes a group consumer within timeout_ms: commits through its rebalance
 * callback (the one it was configured with, called here on the caller's
 * thread with rd_kafka_opaque) and leaves the group.
 * librdkafka before 2.4.0 can wait forever in rd_kafka_consumer_close when a
 * cooperative-sticky assignment arrives while it closes (a whole group
 * stopping at once; confluentinc/librdkafka#4527), and a daemon must still
 * stop. Returns true when closed; false when given up: the handle has not
 * left the group cleanly (the others take its partitions after
 * session.timeout.ms) and must not be destroyed (pass closed = false to
 * rsd_kafka_consumer_destroy). */
typedef void rsd_kafka_rebalance_fn(rd_kafka_t *rk, rd_kafka_resp_err_t err,
				    rd_kafka_topic_partition_list_t *partitions, void *opaque);
bool rsd_kafka_consumer_close(rd_kafka_t *rk, int timeout_ms, rsd_kafka_rebalance_fn *rebalance);

/* Destroys a consumer (after rsd_kafka_consumer_close). librdkafka before
 * 2.3.0 aborts in rd_kafka_destroy on a cooperative-sticky member that
 * joined but never received an assignment (confluentinc/librdkafka#4312:
 * its assignor state is NULL); such a handle is left alive instead (it has
 * left the group; its memory and threads go with the process). at_risk:
 * it was a member (rsd_kafka_was_member, asked before the close) and was
 * never assigned. A consumer that never reached its group is destroyed;
 * one whose close was given up (closed false) is left alive too. */
void rsd_kafka_consumer_destroy(rd_kafka_t *rk, bool at_risk, bool closed);
/* Whether the consumer has a member id, i.e. joined its group; ask before
 * rd_kafka_consumer_close, which leaves it. */
bool rsd_kafka_was_member(rd_kafka_t *rk);

/* A new librdkafka configuration: bootstrap.servers = bootstrap, then
 * defaults (key/value pairs, NULL-terminated, may be overridden), then
 * cfg->kafka_props, then client_props, then forced (NULL-terminated pairs
 * that the user may not override: the guarantees depend on them). The error
 * callback records into health, which is also the configuration's opaque.
 * Returns NULL with "FILE:LINE: key: reason" in errbuf on a bad property. */
rd_kafka_conf_t *rsd_kafka_conf_new(const struct rsd_config *cfg, const char *bootstrap,
				    const char *const *defaults,
				    const struct rsd_kv_list *client_props,
				    const char *const *forced, struct rsd_kafka_health *health,
				    char *errbuf, size_t errlen);

#endif
