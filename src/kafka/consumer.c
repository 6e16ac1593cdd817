/* SPDX-License-Identifier: MIT */
/* The consumer thread (see consumer.h).
 *
 * Design: one thread owns the rd_kafka_t consumer and the sink. It sleeps in
 * rd_kafka_consumer_poll (a condition variable inside librdkafka, woken by
 * arriving messages); rsd_consumer_stop wakes it at once with
 * rd_kafka_queue_yield. The IO-event fd of the consumer queue is not used:
 * librdkafka 2.0.2 does not signal it when a fetched batch is moved onto the
 * queue in one piece (seen in the 10 MB test: messages queued, fd silent).
 * The wait is bounded (IDLE_WAIT_MS) only so the progress counter moves for
 * the watchdog. Rebalance and error callbacks are served on this thread by
 * rd_kafka_consumer_poll (the main queue is forwarded to the consumer queue).
 *
 * At-least-once: enable.auto.offset.store is forced off; a message's offset
 * (+1) is stored only after rsd_sink_write returned 0, and auto-commit only
 * ever commits stored offsets. Stored offsets are also committed
 * synchronously when partitions are revoked and at shutdown. If the sink
 * fails, the partition is sought back to the failed message and the thread
 * backs off (100 ms doubling to 5 s, waiting on the stop fd, not spinning):
 * a failing sink (journald gone) is almost always global, so backing off as a
 * whole is what we want. A crash between write and commit replays messages
 * (duplicates), never skips them. */
#include "kafka/consumer.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <librdkafka/rdkafka.h>

#include "core/util.h"
#include "kafka/kafka_conf.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define WAKE_INTERVAL_MS 100 /* at most this often while busy (--once re-checks) */
#define LAG_INTERVAL_MS 1000
#define IDLE_WAIT_MS 1000
/* A commit on revocation waits this long for the coordinator at most. */
#define COMMIT_WAIT_MS 10000

struct rsd_consumer {
	struct rsd_kafka_health health; /* librdkafka opaque: callbacks find us from it */
	rd_kafka_t *rk;
	rd_kafka_queue_t *cq; /* consumer queue, yielded by rsd_consumer_stop */
	int stop_fd; /* ends a sink-failure backoff early */
	int wake_fd;
	struct rsd_sink *sink;
	char *first_topic; /* positions are kept for this one (--once) */

	pthread_t thread;
	bool started, joined;
	bool assigned_once; /* see rsd_kafka_consumer_destroy */
	bool was_member; /* had a member id when closed (same) */
	bool closed; /* left the group within close_ms (same) */
	atomic_bool stop;
	atomic_int close_ms; /* how long leaving the group may take: set by stop */
	int64_t close_by_ms; /* consumer thread: when leaving began, its deadline */

	struct rsd_consumer_stats stats;
	int backoff_ms; /* current sink-failure backoff, 0 = none */
	bool positions_dirty; /* stored positions advanced since the last wake */
	int64_t last_wake_ms, last_lag_ms;

	pthread_mutex_t pos_lock; /* positions are read by other threads */
	int64_t *positions; /* per partition of first_topic: next offset to write */
	size_t n_positions;

	pthread_mutex_t lag_lock; /* lags are read by the main thread (metrics) */
	struct rsd_partition_lag lags[RSD_CONSUMER_LAG_PARTITIONS];
	size_t n_lags;
};

/* ---- offsets ---- */

/* Commits what the sink wrote, within COMMIT_WAIT_MS or, once leaving the
 * group began, what is left of its bound. */
static void commit_stored(struct rsd_consumer *c)
{
	int timeout_ms = rsd_ms_until(c->close_by_ms, COMMIT_WAIT_MS);
	if (timeout_ms == 0)
		return; /* replayed by the next owner: at-least-once */
	/* offsets NULL: the stored offsets of the current assignment. */
	rd_kafka_resp_err_t err = rsd_kafka_commit_within(c->rk, NULL, timeout_ms,
							  &c->stats.progress);

	if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
		rsd_kafka_health_record(&c->health, c->rk, err, "offset commit failed");
}

static void note_position(struct rsd_consumer *c, const char *topic, int32_t partition,
			  int64_t next)
{
	if (partition < 0 || strcmp(topic, c->first_topic) != 0)
		return;
	pthread_mutex_lock(&c->pos_lock);
	if ((size_t)partition >= c->n_positions) {
		size_t n = (size_t)partition + 1;
		int64_t *a = realloc(c->positions, n * sizeof(*a));

		if (a) {
			memset(a + c->n_positions, 0, (n - c->n_positions) * sizeof(*a));
			c->positions = a;
			c->n_positions = n;
		}
	}
	/* On ENOMEM --once waits for the next message of that partition. */
	if ((size_t)partition < c->n_positions && c->positions[partition] < next) {
		c->positions[partition] = next;
		c->positions_dirty = true;
	}
	pthread_mutex_unlock(&c->pos_lock);
}

/* Stores offset+1 of m: from now on auto-commit and revoke may commit it. */
static void store_offset(struct rsd_consumer *c, const rd_kafka_message_t *m)
{
	const char *topic = rd_kafka_topic_name(m->rkt);
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_resp_err_t err;

	rd_kafka_topic_partition_list_add(l, topic, m->partition)->offset = m->offset + 1;
	err = rd_kafka_offsets_store(c->rk, l);
	if (!err)
		err = l->elems[0].err;
	rd_kafka_topic_partition_list_destroy(l);
	if (err) {
		/* Typically _STATE: the partition was revoked meanwhile; its
		 * new owner writes the message again (a duplicate, no loss). */
		rsd_kafka_health_record(&c->health, c->rk, err, "offset store failed");
		return;
	}
	note_position(c, topic, m->partition, m->offset + 1);
}

/* ---- rebalance ---- */

static void update_assigned(struct rsd_consumer *c)
{
	rd_kafka_topic_partition_list_t *parts = NULL;

	if (rd_kafka_assignment(c->rk, &parts) == RD_KAFKA_RESP_ERR_NO_ERROR && parts) {
		atomic_store(&c->stats.assigned, (uint_fast64_t)parts->cnt);
		rd_kafka_topic_partition_list_destroy(parts);
	}
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			 rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct rsd_consumer *c = rsd_container_of(opaque, struct rsd_consumer, health);
	const char *protocol = rd_kafka_rebalance_protocol(rk);
	bool cooperative = protocol && strcmp(protocol, "COOPERATIVE") == 0;
	rd_kafka_error_t *error = NULL;
	rd_kafka_resp_err_t aerr = RD_KAFKA_RESP_ERR_NO_ERROR;

	switch (err) {
	case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
		c->assigned_once = true;
		if (cooperative)
			error = rd_kafka_incremental_assign(rk, parts);
		else
			aerr = rd_kafka_assign(rk, parts);
		break;
	case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
		/* Commit what the sink wrote before another member takes
		 * over; pointless when the assignment was lost (the group
		 * already moved on and the commit would be rejected). */
		if (!rd_kafka_assignment_lost(rk))
			commit_stored(c);
		else
			/* Told: the next owners replay what was written here
			 * since the last commit (duplicates in the journal). */
			rsd_kafka_health_record(&c->health, rk, RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST,
						"partitions lost (session expired or fenced): "
						"records since the last commit are written again");
		if (cooperative)
			error = rd_kafka_incremental_unassign(rk, parts);
		else
			aerr = rd_kafka_assign(rk, NULL);
		break;
	default:
		rsd_kafka_health_record(&c->health, rk, err, "rebalance failed");
		aerr = rd_kafka_assign(rk, NULL);
		break;
	}
	update_assigned(c);
	if (error) {
		aerr = rd_kafka_error_code(error);
		rd_kafka_error_destroy(error);
	}
	if (aerr)
		rsd_kafka_health_record(&c->health, rk, aerr, "partition assignment failed");
}

/* ---- the thread ---- */

/* Sink-failure backoff: sleeps timeout_ms unless a stop is requested. */
static void backoff_wait(struct rsd_consumer *c, int timeout_ms)
{
	struct pollfd pfd = { .fd = c->stop_fd, .events = POLLIN };

	(void)poll(&pfd, 1, timeout_ms);
}

/* --once: tell the main thread to re-check rsd_consumer_reached, at most
 * every WAKE_INTERVAL_MS while busy, at once when going idle. */
static void maybe_wake(struct rsd_consumer *c, bool idle)
{
	int64_t now = rsd_now_ms();
	bool dirty;

	if (!idle && now - c->last_wake_ms < WAKE_INTERVAL_MS)
		return;
	pthread_mutex_lock(&c->pos_lock);
	dirty = c->positions_dirty;
	c->positions_dirty = false;
	pthread_mutex_unlock(&c->pos_lock);
	if (dirty) {
		rsd_eventfd_signal(c->wake_fd);
		c->last_wake_ms = now;
	}
}

static void sample_lag(struct rsd_consumer *c, bool force)
{
	rd_kafka_topic_partition_list_t *parts = NULL;
	uint64_t lag = 0;
	int64_t now = rsd_now_ms();

	if (!force && now - c->last_lag_ms < LAG_INTERVAL_MS)
		return;
	c->last_lag_ms = now;
	if (rd_kafka_assignment(c->rk, &parts) || !parts)
		return;
	rd_kafka_position(c->rk, parts); /* next offset to hand to us */
	pthread_mutex_lock(&c->lag_lock);
	c->n_lags = 0;
	for (int i = 0; i < parts->cnt; i++) {
		const rd_kafka_topic_partition_t *tp = &parts->elems[i];
		int64_t lo, hi;
		uint64_t one = 0;

		/* Cached watermarks from fetch responses: no broker round trip. */
		if (tp->offset >= 0 &&
		    !rd_kafka_get_watermark_offsets(c->rk, tp->topic, tp->partition, &lo, &hi) &&
		    hi > tp->offset)
			one = (uint64_t)(hi - tp->offset);
		lag += one;
		if (c->n_lags < RSD_CONSUMER_LAG_PARTITIONS) {
			struct rsd_partition_lag *pl = &c->lags[c->n_lags++];
			snprintf(pl->topic, sizeof pl->topic, "%s", tp->topic);
			pl->partition = tp->partition;
			pl->lag = one;
		}
	}
	pthread_mutex_unlock(&c->lag_lock);
	rd_kafka_topic_partition_list_destroy(parts);
	atomic_store(&c->stats.lag, lag);
}

/* The sink failed on m: rewind its partition to m and back off. */
static void retry_later(struct rsd_consumer *c, const rd_kafka_message_t *m)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_error_t *error;

	/* The seek also discards the partition's messages already fetched
	 * after m, so nothing after m is written before m. */
	rd_kafka_topic_partition_list_add(l, rd_kafka_topic_name(m->rkt), m->partition)->offset =
		m->offset;
	error = rd_kafka_seek_partitions(c->rk, l, 0 /* async */);
	if (error) {
		rsd_kafka_health_record(&c->health, c->rk, rd_kafka_error_code(error),
					rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	}
	rd_kafka_topic_partition_list_destroy(l);
	c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (c->backoff_ms > BACKOFF_MAX_MS)
		c->backoff_ms = BACKOFF_MAX_MS;
	backoff_wait(c, c->backoff_ms);
}

static void handle_message(struct rsd_consumer *c, const rd_kafka_message_t *m)
{
	struct rsd_sink_message sm = {
		.value = m->payload ? m->payload : "",
		.len = m->len,
		.topic = rd_kafka_topic_name(m->rkt),
		.partition = m->partition,
		.offset = m->offset,
	};
	enum rsd_sink_outcome outcome;

	if (rsd_sink_write(c->sink, &sm, &outcome) < 0) {
		atomic_fetch_add(&c->stats.sink_errors, 1);
		retry_later(c, m);
		return;
	}
	c->backoff_ms = 0;
	atomic_fetch_add(&c->stats.consumed, 1);
	if (outcome == RSD_SINK_WROTE_ALERT)
		atomic_fetch_add(&c->stats.alerts, 1);
	else if (outcome == RSD_SINK_WROTE_INVALID)
		atomic_fetch_add(&c->stats.invalid, 1);
	store_offset(c, m);
}

/* Consumer errors are not fatal unless librdkafka says so: e.g. a subscribed
 * topic that does not exist yet (UNKNOWN_TOPIC_OR_PART) is waited for, the
 * subscription is re-checked at every metadata refresh. */
static void handle_error(struct rsd_consumer *c, const rd_kafka_message_t *m)
{
	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
		return;
	if (rsd_kafka_health_record(&c->health, c->rk, m->err, rd_kafka_message_errstr(m)))
		atomic_store(&c->stop, true); /* fatal: the daemon exits (woken by health) */
}

static void *consumer_main(void *arg)
{
	struct rsd_consumer *c = arg;

	while (!atomic_load(&c->stop)) {
		rd_kafka_message_t *m;

		atomic_fetch_add(&c->stats.progress, 1);
		/* Ownership: m is ours until rd_kafka_message_destroy; the
		 * sink only reads it during the call. */
		m = rd_kafka_consumer_poll(c->rk, 0);
		if (!m) {
			/* Idle: publish progress before sleeping. */
			sample_lag(c, true);
			maybe_wake(c, true);
			m = rd_kafka_consumer_poll(c->rk, IDLE_WAIT_MS);
			if (!m)
				continue;
		}
		if (m->err)
			handle_error(c, m);
		else
			handle_message(c, m);
		rd_kafka_message_destroy(m);
		maybe_wake(c, false);
		sample_lag(c, false);
	}
	c->close_by_ms = rsd_now_ms() + atomic_load(&c->close_ms);
	commit_stored(c);
	c->was_member = rsd_kafka_was_member(c->rk);
	/* Revokes (committing again: the callbacks run on this thread) and
	 * leaves the group. */
	c->closed = rsd_kafka_consumer_close(c->rk, rsd_ms_until(c->close_by_ms, INT_MAX),
					     rebalance_cb);
	maybe_wake(c, true);
	rsd_eventfd_signal(c->wake_fd);
	return NULL;
}

/* ---- lifecycle ---- */

static int create_client(struct rsd_consumer *c, const struct rsd_config *cfg,
			 const char *bootstrap, char *errbuf, size_t errlen)
{
	/* Overridable by [kafka]/[consumer] dotted keys. The refresh interval
	 * bounds how long a not-yet-existing topic takes to be picked up. */
	/* cooperative-sticky: a member joining or leaving moves only the
	 * partitions that change owner, the others keep being written (an
	 * eager rebalance stops every member and, with nothing committed yet,
	 * replayed every partition from its start). auto.commit.interval.ms
	 * bounds what a crash replays. */
	static const char *const defaults[] = {
		"auto.offset.reset",
		"earliest",
		"enable.auto.commit",
		"true",
		"auto.commit.interval.ms",
		"1000",
		"partition.assignment.strategy",
		"cooperative-sticky",
		"topic.metadata.refresh.interval.ms",
		"10000",
		NULL,
	};
	const char *const forced[] = {
		"group.id", cfg->group_id, "enable.auto.offset.store",
		"false", /* at-least-once depends on it */
		NULL,
	};
	rd_kafka_conf_t *conf;

	conf = rsd_kafka_conf_new(cfg, bootstrap, defaults, &cfg->consumer_props, forced,
				  &c->health, errbuf, errlen);
	if (!conf)
		return -EINVAL;
	rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
	/* conf is owned by rk on success, still ours on failure. */
	c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errbuf, errlen);
	if (!c->rk) {
		rd_kafka_conf_destroy(conf);
		return -EINVAL;
	}
	rd_kafka_poll_set_consumer(c->rk); /* errors and rebalances via consumer_poll */
	c->cq = rd_kafka_queue_get_consumer(c->rk);
	if (!c->cq) {
		snprintf(errbuf, errlen, "consumer: no consumer queue");
		return -EINVAL;
	}
	return 0;
}

static int subscribe(struct rsd_consumer *c, const struct rsd_config *cfg, char *errbuf,
		     size_t errlen)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)cfg->topics.n);
	rd_kafka_resp_err_t err;

	for (size_t i = 0; i < cfg->topics.n; i++)
		rd_kafka_topic_partition_list_add(l, cfg->topics.items[i], RD_KAFKA_PARTITION_UA);
	err = rd_kafka_subscribe(c->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (err) {
		snprintf(errbuf, errlen, "subscribe: %s", rd_kafka_err2str(err));
		return -EINVAL;
	}
	return 0;
}

int rsd_consumer_new(const struct rsd_config *cfg, const char *bootstrap, struct rsd_sink *sink,
		     int wake_fd, char *errbuf, size_t errlen, struct rsd_consumer **out)
{
	struct rsd_consumer *c;
	int rc;

	*out = NULL;
	if (!sink || !bootstrap || cfg->topics.n == 0 || !cfg->group_id) {
		snprintf(errbuf, errlen,
			 "consumer: sink, bootstrap servers, topics and group_id are required");
		rsd_sink_free(sink);
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(errbuf, errlen, "out of memory");
		rsd_sink_free(sink);
		return -ENOMEM;
	}
	rsd_kafka_health_init(&c->health, wake_fd);
	pthread_mutex_init(&c->pos_lock, NULL);
	pthread_mutex_init(&c->lag_lock, NULL);
	c->sink = sink; /* ours from here on, even on failure */
	c->wake_fd = wake_fd;
	atomic_init(&c->close_ms, (int)cfg->shutdown_timeout_s * 1000);
	c->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	c->first_topic = strdup(cfg->topics.items[0]);
	if (c->stop_fd < 0 || !c->first_topic) {
		rc = c->first_topic ? -errno : -ENOMEM;
		snprintf(errbuf, errlen, "consumer: %s", strerror(-rc));
		rsd_consumer_free(c);
		return rc;
	}
	rc = create_client(c, cfg, bootstrap, errbuf, errlen);
	if (rc == 0)
		rc = subscribe(c, cfg, errbuf, errlen);
	if (rc < 0) {
		rsd_consumer_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int rsd_consumer_start(struct rsd_consumer *c)
{
	int rc = pthread_create(&c->thread, NULL, consumer_main, c);

	if (rc)
		return -rc;
	/* Named for top -H, per-thread CPU in benchmarks and crash dumps. */
	pthread_setname_np(c->thread, "rsd-consumer");
	c->started = true;
	return 0;
}

void rsd_consumer_stop(struct rsd_consumer *c, int close_ms)
{
	/* Stored before stop (both sequentially consistent): the thread that
	 * sees stop reads this bound. */
	atomic_store(&c->close_ms, close_ms);
	atomic_store(&c->stop, true);
	rsd_eventfd_signal(c->stop_fd);
	/* Wakes rd_kafka_consumer_poll; if the thread is not waiting yet, its
	 * next wait returns at once (the yield is remembered). */
	if (c->cq)
		rd_kafka_queue_yield(c->cq);
}

bool rsd_consumer_join(struct rsd_consumer *c)
{
	if (c->started && !c->joined)
		pthread_join(c->thread, NULL);
	c->joined = true;
	return !c->started || c->closed;
}

void rsd_consumer_free(struct rsd_consumer *c)
{
	if (!c)
		return;
	if (c->started && !c->joined) {
		rsd_consumer_stop(c, atomic_load(&c->close_ms));
		rsd_consumer_join(c);
	}
	if (c->cq)
		rd_kafka_queue_destroy(c->cq);
	if (c->rk) {
		if (!c->started) {
			c->was_member = rsd_kafka_was_member(c->rk);
			c->closed = rsd_kafka_consumer_close(c->rk, atomic_load(&c->close_ms),
							     rebalance_cb);
		}
		rsd_kafka_consumer_destroy(c->rk, c->was_member && !c->assigned_once, c->closed);
	}
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	rsd_sink_free(c->sink);
	free(c->first_topic);
	free(c->positions);
	pthread_mutex_destroy(&c->pos_lock);
	pthread_mutex_destroy(&c->lag_lock);
	rsd_kafka_health_destroy(&c->health);
	free(c);
}

const struct rsd_consumer_stats *rsd_consumer_stats(const struct rsd_consumer *c)
{
	return &c->stats;
}

uint64_t rsd_consumer_last_error(struct rsd_consumer *c, char *buf, size_t len)
{
	return rsd_kafka_health_last_error(&c->health, buf, len);
}

int rsd_consumer_fatal(struct rsd_consumer *c, char *buf, size_t len)
{
	return rsd_kafka_health_fatal(&c->health, buf, len);
}

bool rsd_consumer_reached(struct rsd_consumer *c, const struct rsd_offsets *target)
{
	bool reached = true;

	pthread_mutex_lock(&c->pos_lock);
	for (size_t i = 0; i < target->n && reached; i++) {
		int32_t p = target->items[i].partition;

		reached = p >= 0 && (size_t)p < c->n_positions &&
			  c->positions[p] >= target->items[i].offset;
	}
	pthread_mutex_unlock(&c->pos_lock);
	return reached;
}

size_t rsd_consumer_partition_lag(struct rsd_consumer *c, struct rsd_partition_lag *out, size_t n)
{
	pthread_mutex_lock(&c->lag_lock);
	size_t k = c->n_lags < n ? c->n_lags : n;
	memcpy(out, c->lags, k * sizeof out[0]);
	pthread_mutex_unlock(&c->lag_lock);
	return k;
}
