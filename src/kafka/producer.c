/* SPDX-License-Identifier: MIT */
/* The producer thread (see producer.h).
 *
 * Design: one thread owns the rd_kafka_t producer. It sleeps in one poll(2)
 * on three eventfds: the ring's wait fd (a scraper enqueued a record), the
 * librdkafka main queue's IO-event fd (delivery reports or errors arrived)
 * and a stop fd (join set a deadline). An idle daemon therefore uses no CPU,
 * and a full librdkafka queue (QUEUE_FULL) blocks the thread on the same fds
 * until a delivery report frees space: backpressure reaches the ring, then
 * the scrapers, and nothing is dropped.
 *
 * Delivery reports are served only on this thread (rd_kafka_poll) and, after
 * the thread exited, on the joining thread (rd_kafka_flush), so record
 * bookkeeping needs no lock. A record counts as delivered only in the report
 * of its parsed-record message; a failure (including delivery.timeout.ms
 * expiry and purge at shutdown) leaves its URL unmarked in the crawl state, so
 * the page is fetched again after a restart: at-least-once, never lost.
 *
 * While no broker acknowledges anything, librdkafka's own bound (100,000
 * messages) is far too loose: the scrapers would fetch that many pages into
 * memory before backpressure. So the thread also bounds the records it holds
 * (taken from the ring, not yet freed: in librdkafka with their raw HTML, or
 * waiting for queue space) to the ring's capacity, and counts the records
 * that failed since the last acknowledgement against that bound too: a
 * record that timed out for want of a broker frees no place, else an outage
 * longer than message.timeout.ms would let fetching go on one ring-full at a
 * time. At the bound it stops dequeuing and sleeps on the librdkafka fd
 * only (not the ring's), so the ring fills and the scrapers block on it. A
 * report wakes it; with nothing held one record is taken anyway, as a probe
 * whose acknowledgement tells that a broker is back. Once join has begun
 * (the ring is closed, nothing more is fetched) the bound no longer applies.
 *
 * Before producing anything the thread learns the cluster's id
 * (rd_kafka_clusterid, from the first Metadata response) and makes
 * (cluster id, topic) the crawl state's scope: marks belong to the cluster
 * that acknowledged them, so a run against another cluster delivers again.
 * The daemon starts crawling only once the id is known (rsd_producer_cluster_id).
 *
 * Ownership of a record: the ring hands it to this thread on dequeue; each
 * message produced from it carries it as msg_opaque and keeps its buffers
 * alive (no RD_KAFKA_MSG_F_COPY); rec->pending_reports counts those messages
 * plus one reference held by the thread while it produces them. Whoever drops
 * the count to zero frees the record. */
#include "kafka/producer.h"

#include <errno.h>
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
#include "core/record.h"
#include "kafka/topics.h"

/* Records taken from the ring per loop iteration before serving reports:
 * bounds the latency of delivery reports without a poll per record. */
#define DRAIN_BATCH 64
/* After purging at shutdown, how long to wait for the purged reports. */
#define PURGE_REPORT_MS 2000
#define HEARTBEAT_MS 1000
/* Bound of one high-watermark query when offsets are computed for --once. */
#define WATERMARK_QUERY_MS 5000
/* An idle producer asks whether a broker still answers this often (or
 * four times per message.timeout.ms, when that is shorter), each time
 * waiting at most PROBE_TIMEOUT_MS (below HEARTBEAT_MS: the watchdog). */
#define PROBE_EVERY_MS 10000
#define PROBE_MIN_EVERY_MS 250
#define PROBE_TIMEOUT_MS 800

struct rsd_producer {
	struct rsd_kafka_health health; /* librdkafka opaque: callbacks find us from it */
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt; /* record topic */
	rd_kafka_topic_t *raw_rkt; /* raw HTML topic, or NULL when off */
	char *topic;
	rd_kafka_queue_t *mainq;
	int q_fd; /* written by librdkafka when the main queue gets an op */
	int stop_fd; /* written by join */
	int wake_fd; /* the daemon's: fatal error, thread exit */
	rsd_ring *ring;
	struct rsd_delivery_marks marks; /* copied at creation; used when has_marks */
	bool has_marks;
	rsd_producer_settle_fn *settle; /* cluster mode, or NULL */
	void *settle_ctx;
	char *bootstrap;
	bool ephemeral; /* brokers = embedded: marks must not outlive the process */
	char *cluster_id; /* written once by the thread, then published: */
	atomic_bool identified; /* release/acquire pairs with cluster_id */
	/* CLOCK_MONOTONIC ms when a broker last answered (creation until the
	 * first answer), and when the idle probe last asked. */
	atomic_int_fast64_t answered_ms;
	int64_t probed_ms; /* producer thread only */
	int probe_every_ms;

	pthread_t thread;
	bool started, joined;
	/* CLOCK_MONOTONIC ms after which records still waiting for queue space
	 * are given up (0 = no deadline): set by join to bound shutdown. */
	atomic_int_fast64_t deadline_ms;

	struct rsd_producer_stats stats;
	atomic_uint_fast64_t taken; /* records dequeued from the ring */
	atomic_uint_fast64_t in_flight; /* record messages not yet reported */
	/* Records taken and not yet freed, and their bound (ring capacity);
	 * held is written on the reporting thread, read by the producer thread. */
	atomic_uint_fast64_t held;
	uint64_t max_held;
	/* Producer thread only: acknowledged when last looked at, and failed
	 * then; failures since count against max_held (see the top comment). */
	uint64_t acked_seen, failed_base;

	pthread_mutex_t acked_lock; /* acked[] is read by other threads */
	pthread_cond_t settled; /* with acked_lock: a record was acknowledged or failed */
	struct acked_partition *acked; /* indexed by partition */
	size_t n_acked;
};

/* What the delivery reports said of one partition. A report can say
 * "persisted" without an offset: librdkafka acknowledges a message whose
 * own response was lost once a later request of the same idempotent
 * producer succeeds (an implicit ack; seen after a leader change with a slow
 * broker), so the highest reported offset can lie below what the broker
 * holds of ours. */
struct acked_partition {
	int64_t end; /* highest reported offset + 1, 0 = none */
	bool offsetless; /* some message was acknowledged without an offset */
};

/* ---- the cluster's identity ---- */

/* librdkafka's mock clusters (brokers = embedded, `recipe-scraperd
 * broker`) name themselves "mockCluster" and the xor of two heap addresses,
 * which a deterministic allocator (ASan's) makes equal in every process:
 * their brokers' ephemeral ports tell two of them apart. */
#define MOCK_CLUSTER_PREFIX "mockCluster"

static char *identity_of(struct rsd_producer *p, const char *id)
{
	char *named = NULL;
	if (strncmp(id, MOCK_CLUSTER_PREFIX, strlen(MOCK_CLUSTER_PREFIX)) != 0)
		return strdup(id);
	return asprintf(&named, "%s@%s", id, p->bootstrap) < 0 ? NULL : named;
}

/* The cluster's id, waiting up to timeout_ms for the first Metadata. A
 * cluster whose Metadata carries no id (Kafka before 0.10.1, or
 * api.version.request=false) is known by its bootstrap servers instead.
 * NULL: nothing answered in time. */
static char *cluster_identity(struct rsd_producer *p, int timeout_ms)
{
	int64_t asked_at = rsd_now_ms();
	char *id = rd_kafka_clusterid(p->rk, timeout_ms);
	if (id) {
		char *copy = identity_of(p, id);
		rd_kafka_mem_free(p->rk, id);
		return copy;
	}
	/* An early NULL means metadata arrived without an id; a late one that
	 * nothing answered in time. */
	if (timeout_ms > 0 && rsd_now_ms() - asked_at >= timeout_ms)
		return NULL;
	char *named = NULL;
	return asprintf(&named, "brokers=%s", p->bootstrap) < 0 ? NULL : named;
}

/* Sets the crawl state's scope and publishes the id (ownership of id
 * passes to p on true). */
static bool adopt_identity(struct rsd_producer *p, char *id)
{
	if (p->has_marks &&
	    p->marks.set_scope(p->marks.ctx, p->ephemeral ? NULL : id, p->topic) < 0)
		return false;
	p->cluster_id = id;
	atomic_store(&p->answered_ms, rsd_now_ms());
	/* Release: a thread that sees identified also sees cluster_id and the scope. */
	atomic_store_explicit(&p->identified, true, memory_order_release);
	rsd_eventfd_signal(p->wake_fd);
	return true;
}

/* ---- record bookkeeping (producer thread, or joiner after the thread) ---- */

/* Drops one reference; the last one frees the record (ownership ends here). */
static void record_release(struct rsd_producer *p, struct rsd_record *rec)
{
	if (--rec->pending_reports == 0) {
		if (rec->ticket && p->settle)
			p->settle(p->settle_ctx, rec->ticket, rec->delivered);
		/* the scraper charged it to the ring's byte budget */
		rsd_ring_release_bytes(p->ring, rec->ring_bytes);
		rsd_record_free(rec);
		atomic_fetch_sub(&p->held, 1);
	}
}

/* Wakes rsd_producer_wait_settled(); called after the counters moved. */
static void announce_settled(struct rsd_producer *p)
{
	pthread_mutex_lock(&p->acked_lock);
	pthread_cond_broadcast(&p->settled);
	pthread_mutex_unlock(&p->acked_lock);
}

static void record_failed(struct rsd_producer *p)
{
	atomic_fetch_add(&p->stats.failed, 1);
	announce_settled(p);
}

static void note_acked(struct rsd_producer *p, int32_t partition, int64_t offset)
{
	if (partition < 0)
		return;
	pthread_mutex_lock(&p->acked_lock);
	if ((size_t)partition >= p->n_acked) {
		size_t n = (size_t)partition + 1;
		struct acked_partition *a = realloc(p->acked, n * sizeof(*a));

		if (a) {
			memset(a + p->n_acked, 0, (n - p->n_acked) * sizeof(*a));
			p->acked = a;
			p->n_acked = n;
		}
	}
	/* On ENOMEM the offset is not noted: --once then waits for a later
	 * acknowledgement on that partition; nothing is lost. */
	if ((size_t)partition < p->n_acked) {
		struct acked_partition *a = &p->acked[partition];

		if (offset < 0)
			a->offsetless = true;
		else if (a->end < offset + 1)
			a->end = offset + 1;
	}
	pthread_mutex_unlock(&p->acked_lock);
}

/* The cluster (or librdkafka's own message.max.bytes check) refused the
 * record as too large: retrying cannot help, so it is given up once and
 * marked rejected, and the page is not fetched again until it changes. */
static void record_too_large(struct rsd_producer *p, const struct rsd_record *rec)
{
	char why[320];

	atomic_fetch_add(&p->stats.too_large, 1);
	if (p->has_marks)
		(void)p->marks.rejected(p->marks.ctx, rec->url, rec->content_hash);
	snprintf(why, sizeof(why),
		 "record of %zu bytes refused as too large, given up until "
		 "the page changes: %.200s",
		 rec->json_len, rec->url);
	rsd_kafka_health_record(&p->health, p->rk, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, why);
	record_failed(p);
}

static void on_record_report(struct rsd_producer *p, struct rsd_record *rec,
			     const rd_kafka_message_t *m)
{
	atomic_fetch_sub(&p->in_flight, 1);
	if (m->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
		record_too_large(p, rec);
		return;
	}
	if (m->err) {
		/* Includes _MSG_TIMED_OUT (delivery.timeout.ms expired) and
		 * _PURGE_* at shutdown: the URL stays unmarked, so the page is
		 * fetched again at the next start. */
		record_failed(p);
		rsd_kafka_health_record(&p->health, p->rk, m->err, "record delivery failed");
		return;
	}
	rec->delivered = true;
	atomic_fetch_add(&p->stats.acknowledged, 1);
	/* Records produced while identify() was cut short by join: an
	 * acknowledgement implies metadata, so the id is there now. */
	if (!atomic_load_explicit(&p->identified, memory_order_relaxed)) {
		char *id = cluster_identity(p, 0);
		if (id && !adopt_identity(p, id))
			free(id);
	}
	if (m->offset < 0)
		atomic_fetch_add(&p->stats.implicit_acks, 1);
	note_acked(p, m->partition, m->offset);
	/* A failed mark only costs a duplicate after a restart (the page is
	 * fetched and produced again); the record itself is in Kafka. */
	if (p->has_marks)
		(void)p->marks.delivered(p->marks.ctx, rec->url, rec->content_hash);
	announce_settled(p);
}

/* Delivery report callback: msg_opaque (m->_private) is the record, whose
 * reference for this message comes back to us here. */
static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct rsd_producer *p = rsd_container_of(opaque, struct rsd_producer, health);
	struct rsd_record *rec = m->_private;

	/* Success or an error of the broker's (librdkafka's own are negative):
	 * a broker answered. */
	if (m->err >= 0)
		atomic_store(&p->answered_ms, rsd_now_ms());
	if (strcmp(rd_kafka_topic_name(m->rkt), p->topic) == 0)
		on_record_report(p, rec, m);
	else if (m->err)
		atomic_fetch_add(&p->stats.raw_skipped, 1); /* raw HTML is best-effort */
	record_release(p, rec);
}

/* ---- waiting ---- */

/* Serves queued delivery reports and errors; returns how many were served. */
static int serve_reports(struct rsd_producer *p)
{
	int n = rd_kafka_poll(p->rk, 0);

	atomic_store(&p->stats.outq, (uint_fast64_t)rd_kafka_outq_len(p->rk));
	return n;
}

/* Blocks until one of the fds is readable or timeout_ms passes, then consumes
 * the readiness of the librdkafka and stop fds (the ring fd is consumed by
 * rsd_ring_sc_disarm). Reading q_fd before serving the queue is what makes
 * the wake-up race-free: an op enqueued after the read writes the fd again. */
static void wait_fds(struct rsd_producer *p, bool with_ring, int timeout_ms)
{
	struct pollfd fds[3] = {
		{ .fd = p->q_fd, .events = POLLIN },
		{ .fd = p->stop_fd, .events = POLLIN },
		{ .fd = with_ring ? rsd_ring_sc_wait_fd(p->ring) : -1, .events = POLLIN },
	};

	if (poll(fds, 3, timeout_ms) > 0) {
		if (fds[0].revents)
			rsd_eventfd_drain(p->q_fd);
		if (fds[1].revents)
			rsd_eventfd_drain(p->stop_fd);
	}
}

/* -1 = no deadline, else ms left (0 when passed). */
static int deadline_left(struct rsd_producer *p)
{
	int64_t d = atomic_load(&p->deadline_ms);
	int64_t left;

	if (d == 0)
		return -1;
	left = d - rsd_now_ms();
	return left > 0 ? (int)(left > 1000000 ? 1000000 : left) : 0;
}

/* QUEUE_FULL: wait until a delivery report frees space. False when the
 * shutdown deadline has passed (the caller gives the message up). */
static bool wait_for_space(struct rsd_producer *p)
{
	int left;

	if (serve_reports(p) > 0)
		return true;
	left = deadline_left(p);
	if (left == 0)
		return false;
	wait_fds(p, false, left);
	serve_reports(p);
	return true;
}

/* ---- producing ---- */

static bool is_fatal(struct rsd_producer *p)
{
	return rsd_kafka_health_fatal(&p->health, NULL, 0) != 0;
}

/* Produces one message whose msg_opaque is rec. rec must stay alive until its
 * report: the caller took a reference for it before calling (librdkafka copies
 * the key and headers, but not the value: no RD_KAFKA_MSG_F_COPY). Retries
 * QUEUE_FULL until space or deadline. */
static rd_kafka_resp_err_t produce_one(struct rsd_producer *p, rd_kafka_topic_t *rkt,
				       struct rsd_record *rec, void *value, size_t len,
				       const char *content_type)
{
	rd_kafka_vu_t vus[] = {
		{ .vtype = RD_KAFKA_VTYPE_RKT, .u.rkt = rkt },
		{ .vtype = RD_KAFKA_VTYPE_KEY, .u.mem = { rec->url, strlen(rec->url) } },
		{ .vtype = RD_KAFKA_VTYPE_VALUE, .u.mem = { value, len } },
		{ .vtype = RD_KAFKA_VTYPE_OPAQUE, .u.ptr = rec },
		{ .vtype = RD_KAFKA_VTYPE_HEADER,
		  .u.header = { "content-type", content_type, -1 } },
		{ .vtype = RD_KAFKA_VTYPE_HEADER, .u.header = { "schema", "1", -1 } },
	};

	for (;;) {
		rd_kafka_error_t *error = rd_kafka_produceva(p->rk, vus,
							     sizeof(vus) / sizeof(vus[0]));
		rd_kafka_resp_err_t err;

		if (!error)
			return RD_KAFKA_RESP_ERR_NO_ERROR; /* librdkafka holds the message */
		err = rd_kafka_error_code(error);
		rd_kafka_error_destroy(error);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			return err;
		if (!wait_for_space(p))
			return RD_KAFKA_RESP_ERR__TIMED_OUT;
	}
}

/* Takes ownership of rec (dequeued from the ring). */
static void produce_record(struct rsd_producer *p, struct rsd_record *rec)
{
	rd_kafka_resp_err_t err;

	atomic_fetch_add(&p->taken, 1);
	atomic_fetch_add(&p->held, 1);
	rec->delivered = false;
	rec->pending_reports = 1; /* this function's reference */
	if (is_fatal(p)) {
		/* The producer is unusable; the daemon is exiting. The URL stays
		 * unmarked and is fetched again after the restart. */
		record_failed(p);
		record_release(p, rec);
		return;
	}

	rec->pending_reports++; /* the record message's reference */
	err = produce_one(p, p->rkt, rec, rec->json, rec->json_len, "application/json");
	if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
		rec->pending_reports--;
		record_too_large(p, rec);
		record_release(p, rec);
		return;
	}
	if (err) {
		rec->pending_reports--;
		record_failed(p);
		rsd_kafka_health_record(&p->health, p->rk, err, "cannot produce record");
		record_release(p, rec);
		return;
	}
	atomic_fetch_add(&p->stats.produced, 1);
	atomic_fetch_add(&p->in_flight, 1);

	if (p->raw_rkt && rec->raw_html) {
		rec->pending_reports++; /* the raw message's reference */
		/* A page above message.max.bytes fails here with
		 * MSG_SIZE_TOO_LARGE: reported in raw_skipped, the record
		 * itself is unaffected. */
		if (produce_one(p, p->raw_rkt, rec, rec->raw_html, rec->raw_len, "text/html")) {
			rec->pending_reports--;
			atomic_fetch_add(&p->stats.raw_skipped, 1);
		}
	}
	record_release(p, rec);
}

/* Whether another record may leave the ring (see the top comment). */
static bool may_take(struct rsd_producer *p)
{
	uint64_t acked = atomic_load(&p->stats.acknowledged);
	uint64_t failed = atomic_load(&p->stats.failed);
	uint64_t held = atomic_load(&p->held);

	if (acked != p->acked_seen) {
		p->acked_seen = acked;
		p->failed_base = failed;
	}
	if (held == 0 || atomic_load(&p->deadline_ms) != 0)
		return true;
	return held + (failed - p->failed_base) < p->max_held;
}

/* ---- whether a broker answers ---- */

/* Nothing in flight, nothing heard: librdkafka notices a lost broker only
 * when it uses it, so every probe_every_ms one Metadata request of the
 * record topic asks (the daemon's /healthz reads the answer's age). It
 * blocks the thread for at most PROBE_TIMEOUT_MS, only while it is idle. */
static void probe_if_idle(struct rsd_producer *p)
{
	int64_t now = rsd_now_ms(), answered = atomic_load(&p->answered_ms);
	if (atomic_load(&p->held) || now - answered < p->probe_every_ms ||
	    now - p->probed_ms < p->probe_every_ms)
		return;
	p->probed_ms = now;
	const struct rd_kafka_metadata *md = NULL;
	if (rd_kafka_metadata(p->rk, 0, p->rkt, &md, PROBE_TIMEOUT_MS) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	atomic_store(&p->answered_ms, rsd_now_ms());
	rd_kafka_metadata_destroy(md); /* ours on success */
}

/* ---- waiting for the cluster ---- */

/* Blocks (in HEARTBEAT_MS steps, so the watchdog sees progress and join
 * is noticed) until the cluster answered. In the daemon nothing is in the
 * ring yet: it starts the scrapers only afterwards. */
static void identify(struct rsd_producer *p)
{
	while (atomic_load(&p->deadline_ms) == 0) {
		atomic_fetch_add(&p->stats.progress, 1);
		serve_reports(p); /* connection errors reach the health record */
		char *id = cluster_identity(p, HEARTBEAT_MS);
		if (id && adopt_identity(p, id))
			return;
		free(id); /* out of memory: try again in a moment */
	}
}

static void *producer_main(void *arg)
{
	struct rsd_producer *p = arg;

	identify(p);
	for (;;) {
		void *item = NULL;
		int rc = 0;

		atomic_fetch_add(&p->stats.progress, 1);
		serve_reports(p);
		if (!may_take(p)) {
			/* The ring fills meanwhile; a report or join wakes us. */
			wait_fds(p, false, HEARTBEAT_MS);
			continue;
		}
		/* One at a time, not rsd_ring_sc_try_dequeue_batch(): a record
		 * out of the ring is memory outside ring_capacity's bound, and
		 * while librdkafka's queue is full a batch would hold up to
		 * DRAIN_BATCH pages (with raw HTML) here instead of one. */
		for (int i = 0; i < DRAIN_BATCH && may_take(p); i++) {
			rc = rsd_ring_sc_try_dequeue(p->ring, &item);
			if (rc < 0)
				break;
			produce_record(p, item); /* ownership: ring -> producer */
		}
		if (rc == -EPIPE)
			break; /* closed and drained */
		if (rc == 0 || !rsd_ring_sc_arm(p->ring))
			continue; /* more work queued */
		probe_if_idle(p);
		/* Bounded so `progress` moves once a second even when idle:
		 * the daemon's watchdog tells a sleeping thread from a stuck one. */
		wait_fds(p, true, HEARTBEAT_MS);
		rsd_ring_sc_disarm(p->ring);
	}
	rsd_eventfd_signal(p->wake_fd);
	return NULL;
}

/* ---- lifecycle ---- */

static int create_topics(struct rsd_producer *p, const struct rsd_config *cfg, char *errbuf,
			 size_t errlen)
{
	rd_kafka_topic_conf_t *tconf;
	char reason[256];

	p->rkt = rd_kafka_topic_new(p->rk, cfg->topic, NULL);
	if (!p->rkt) {
		snprintf(errbuf, errlen, "topic %s: %s", cfg->topic,
			 rd_kafka_err2str(rd_kafka_last_error()));
		return -EINVAL;
	}
	if (!cfg->raw_topic || !*cfg->raw_topic)
		return 0;
	/* Raw HTML compresses several-fold; records keep the producer-wide
	 * codec (lz4 unless configured). The config check accepted the value. */
	const char *spec = cfg->raw_compression ? cfg->raw_compression
						: RSD_RAW_COMPRESSION_DEFAULT;
	char codec[16], level[16];
	tconf = rd_kafka_default_topic_conf_dup(p->rk);
	snprintf(reason, sizeof(reason), "invalid '%s'", spec);
	if (!tconf ||
	    rsd_config_split_compression(spec, codec, sizeof(codec), level, sizeof(level)) < 0 ||
	    rd_kafka_topic_conf_set(tconf, "compression.type", codec, reason, sizeof(reason)) !=
		    RD_KAFKA_CONF_OK ||
	    rd_kafka_topic_conf_set(tconf, "compression.level", level, reason, sizeof(reason)) !=
		    RD_KAFKA_CONF_OK) {
		snprintf(errbuf, errlen, "raw_topic compression: %s",
			 tconf ? reason : "out of memory");
		if (tconf)
			rd_kafka_topic_conf_destroy(tconf);
		return -EINVAL;
	}
	/* tconf is owned by the topic handle on success, still ours on failure. */
	p->raw_rkt = rd_kafka_topic_new(p->rk, cfg->raw_topic, tconf);
	if (!p->raw_rkt) {
		rd_kafka_topic_conf_destroy(tconf);
		snprintf(errbuf, errlen, "topic %s: %s", cfg->raw_topic,
			 rd_kafka_err2str(rd_kafka_last_error()));
		return -EINVAL;
	}
	return 0;
}

static int create_client(struct rsd_producer *p, const struct rsd_config *cfg,
			 const char *bootstrap, char *errbuf, size_t errlen)
{
	/* message.max.bytes: a raw page of max_page_bytes must fit (librdkafka's
	 * default is 1 MB; topics.c gives the raw topic the same limit). */
	char raw_bytes[32];
	const char *const defaults[] = { "compression.type", "lz4",
					 cfg->raw_topic ? "message.max.bytes" : NULL, raw_bytes,
					 NULL };
	snprintf(raw_bytes, sizeof(raw_bytes), "%ju", (uintmax_t)rsd_topics_raw_message_bytes(cfg));
	/* The delivery guarantee depends on these; the user may not weaken them. */
	static const char *const forced[] = { "enable.idempotence", "true", "acks", "all", NULL };
	static const uint64_t one = 1;
	rd_kafka_conf_t *conf;

	conf = rsd_kafka_conf_new(cfg, bootstrap, defaults, &cfg->producer_props, forced,
				  &p->health, errbuf, errlen);
	if (!conf)
		return -EINVAL;
	rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
	/* conf is owned by rk on success, still ours on failure. */
	p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, errlen);
	if (!p->rk) {
		rd_kafka_conf_destroy(conf);
		return -EINVAL;
	}
	p->mainq = rd_kafka_queue_get_main(p->rk);
	/* librdkafka copies the payload; eventfd writes must be 8 bytes. */
	rd_kafka_queue_io_event_enable(p->mainq, p->q_fd, &one, sizeof(one));
	return create_topics(p, cfg, errbuf, errlen);
}

int rsd_producer_new(const struct rsd_config *cfg, const char *bootstrap, rsd_ring *ring,
		     const struct rsd_delivery_marks *marks, int wake_fd, char *errbuf,
		     size_t errlen, struct rsd_producer **out)
{
	struct rsd_producer *p;
	int rc;

	*out = NULL;
	if (!cfg->topic || !*cfg->topic || !bootstrap || !ring) {
		snprintf(errbuf, errlen,
			 "producer: topic, bootstrap servers and ring are required");
		return -EINVAL;
	}
	if (cfg->raw_topic && strcmp(cfg->raw_topic, cfg->topic) == 0) {
		snprintf(errbuf, errlen, "producer: raw_topic must differ from topic");
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	rsd_kafka_health_init(&p->health, wake_fd);
	pthread_mutex_init(&p->acked_lock, NULL);
	rsd_kafka_cond_init(&p->settled);
	p->ring = ring;
	p->max_held = rsd_ring_capacity(ring);
	if (marks) {
		p->marks = *marks;
		p->has_marks = true;
	}
	p->ephemeral = cfg->brokers_embedded;
	p->wake_fd = wake_fd;
	p->q_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	p->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	p->topic = strdup(cfg->topic);
	p->bootstrap = strdup(bootstrap);
	if (p->q_fd < 0 || p->stop_fd < 0 || !p->topic || !p->bootstrap) {
		rc = p->topic && p->bootstrap ? -errno : -ENOMEM;
		snprintf(errbuf, errlen, "producer: %s", strerror(-rc));
		rsd_producer_free(p);
		return rc;
	}
	rc = create_client(p, cfg, bootstrap, errbuf, errlen);
	if (rc < 0) {
		rsd_producer_free(p);
		return rc;
	}
	atomic_store(&p->answered_ms, rsd_now_ms());
	int every = rsd_producer_delivery_timeout_ms(p) / 4;
	p->probe_every_ms = every < PROBE_MIN_EVERY_MS ? PROBE_MIN_EVERY_MS
			    : every > PROBE_EVERY_MS   ? PROBE_EVERY_MS
						       : every;
	*out = p;
	return 0;
}

void rsd_producer_set_settle_cb(struct rsd_producer *p, rsd_producer_settle_fn *fn, void *ctx)
{
	p->settle = fn;
	p->settle_ctx = ctx;
}

int rsd_producer_start(struct rsd_producer *p)
{
	int rc = pthread_create(&p->thread, NULL, producer_main, p);

	if (rc)
		return -rc;
	pthread_setname_np(p->thread, "rsd-producer"); /* top -H, per-thread CPU */
	p->started = true;
	return 0;
}

/* After the thread: wait for outstanding reports, then purge what is left so
 * that every record's report fires (freeing it) before rd_kafka_destroy. */
static void flush_and_purge(struct rsd_producer *p, int timeout_ms)
{
	rd_kafka_flush(p->rk, timeout_ms);
	if (rd_kafka_outq_len(p->rk) == 0)
		return;
	rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	rd_kafka_flush(p->rk, PURGE_REPORT_MS); /* serves the _PURGE_* reports */
}

uint64_t rsd_producer_join(struct rsd_producer *p, int flush_timeout_ms)
{
	int left;

	if (!p->joined) {
		/* CLOCK_MONOTONIC is > 0 once booted, so a deadline is never 0. */
		atomic_store(&p->deadline_ms,
			     rsd_now_ms() + (flush_timeout_ms > 0 ? flush_timeout_ms : 0));
		rsd_eventfd_signal(p->stop_fd);
		if (p->started)
			pthread_join(p->thread, NULL);
		p->joined = true;
		left = deadline_left(p);
		flush_and_purge(p, left < 0 ? 0 : left);
		atomic_store(&p->stats.outq, (uint_fast64_t)rd_kafka_outq_len(p->rk));
	}
	return atomic_load(&p->taken) - atomic_load(&p->stats.acknowledged);
}

void rsd_producer_free(struct rsd_producer *p)
{
	if (!p)
		return;
	if (p->rk && !p->joined)
		rsd_producer_join(p, 0);
	if (p->raw_rkt)
		rd_kafka_topic_destroy(p->raw_rkt);
	if (p->rkt)
		rd_kafka_topic_destroy(p->rkt);
	if (p->mainq) {
		rd_kafka_queue_io_event_enable(p->mainq, -1, NULL, 0);
		rd_kafka_queue_destroy(p->mainq);
	}
	if (p->rk)
		rd_kafka_destroy(p->rk);
	if (p->q_fd >= 0)
		close(p->q_fd);
	if (p->stop_fd >= 0)
		close(p->stop_fd);
	free(p->acked);
	free(p->topic);
	free(p->bootstrap);
	free(p->cluster_id);
	pthread_cond_destroy(&p->settled);
	pthread_mutex_destroy(&p->acked_lock);
	rsd_kafka_health_destroy(&p->health);
	free(p);
}

const struct rsd_producer_stats *rsd_producer_stats(const struct rsd_producer *p)
{
	return &p->stats;
}

int rsd_producer_fatal(struct rsd_producer *p, char *buf, size_t len)
{
	return rsd_kafka_health_fatal(&p->health, buf, len);
}

uint64_t rsd_producer_last_error(struct rsd_producer *p, char *buf, size_t len)
{
	return rsd_kafka_health_last_error(&p->health, buf, len);
}

/* A partition that had offsetless acknowledgements ends, as far as this
 * producer knows, at the partition's high watermark: every message of ours
 * was acknowledged, so it lies below it. Asked of the leader (bounded); on
 * failure the reported offsets stand (--once then may stop before the last
 * records, which stay in Kafka for the next consumer). */
static void raise_to_watermark(struct rsd_producer *p, struct rsd_partition_offset *po)
{
	int64_t low, high;

	/* p->rk stays ours; the call only reads the topic's offsets. */
	if (rd_kafka_query_watermark_offsets(p->rk, p->topic, po->partition, &low, &high,
					     WATERMARK_QUERY_MS) == RD_KAFKA_RESP_ERR_NO_ERROR &&
	    high > po->offset)
		po->offset = high;
}

int rsd_producer_acked_offsets(struct rsd_producer *p, struct rsd_offsets *out)
{
	size_t n = 0;
	bool *offsetless = NULL;

	out->items = NULL;
	out->n = 0;
	pthread_mutex_lock(&p->acked_lock);
	if (p->n_acked) {
		out->items = calloc(p->n_acked, sizeof(*out->items));
		offsetless = calloc(p->n_acked, sizeof(*offsetless));
		if (!out->items || !offsetless) {
			pthread_mutex_unlock(&p->acked_lock);
			free(out->items);
			out->items = NULL;
			free(offsetless);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < p->n_acked; i++) {
		if (p->acked[i].end > 0 || p->acked[i].offsetless) {
			offsetless[n] = p->acked[i].offsetless;
			out->items[n++] = (struct rsd_partition_offset){ (int32_t)i,
									 p->acked[i].end };
		}
	}
	pthread_mutex_unlock(&p->acked_lock);
	/* Outside the lock: these are round trips to the cluster. */
	for (size_t i = 0; i < n; i++)
		if (offsetless[i])
			raise_to_watermark(p, &out->items[i]);
	free(offsetless);
	out->n = n;
	return 0;
}

const char *rsd_producer_cluster_id(struct rsd_producer *p)
{
	/* Acquire: pairs with the release in identify(). */
	return atomic_load_explicit(&p->identified, memory_order_acquire) ? p->cluster_id : NULL;
}

int rsd_producer_delivery_timeout_ms(struct rsd_producer *p)
{
	char buf[32];
	size_t len = sizeof buf;
	/* rd_kafka_conf(rk) is the client's own configuration, still owned by rk. */
	if (rd_kafka_conf_get(rd_kafka_conf(p->rk), "message.timeout.ms", buf, &len) !=
	    RD_KAFKA_CONF_OK)
		return 300000; /* librdkafka's default */
	return atoi(buf);
}

uint64_t rsd_producer_silent_ms(const struct rsd_producer *p)
{
	int64_t age = rsd_now_ms() - atomic_load(&p->answered_ms);
	return age > 0 ? (uint64_t)age : 0;
}

uint64_t rsd_producer_in_flight(const struct rsd_producer *p)
{
	return atomic_load(&p->in_flight);
}

static uint64_t settled_count(const struct rsd_producer *p)
{
	return atomic_load(&p->stats.acknowledged) + atomic_load(&p->stats.failed);
}

bool rsd_producer_wait_settled(struct rsd_producer *p, uint64_t count, int timeout_ms)
{
	struct timespec until = rsd_deadline_after_ms(timeout_ms);
	/* The counters move before announce_settled() takes the lock, so a
	 * check under the lock cannot miss the broadcast that follows. */
	pthread_mutex_lock(&p->acked_lock);
	int rc = 0;
	while (settled_count(p) < count && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&p->settled, &p->acked_lock, &until);
	bool reached = settled_count(p) >= count;
	pthread_mutex_unlock(&p->acked_lock);
	return reached;
}
