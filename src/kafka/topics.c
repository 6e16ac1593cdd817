/* SPDX-License-Identifier: MIT */
/* The topic check (see topics.h).
 *
 * Why a thread: the metadata request blocks until a broker answers, and at
 * start the brokers may be down for as long as they like; the main thread
 * must keep serving signals and the watchdog meanwhile. The thread retries
 * every RETRY_MS, sleeping in poll(2) on a stop eventfd (so a stop is
 * immediate between attempts and bounded by METADATA_TIMEOUT_MS during
 * one), then creates what is missing and ends.
 *
 * Why its own client, and why the daemon creates the producer only once
 * the check finished (or its first attempt found no broker): librdkafka's
 * producer asks for its topics with auto-creation allowed, whatever
 * allow.auto.create.topics says, so on a broker with
 * auto.create.topics.enable its first metadata request would create a
 * missing topic with the broker's default partition count (often 1) before
 * this check could create it with the configured one. The check's metadata
 * request asks for all topics, which creates nothing. */
#include "kafka/topics.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/util.h"
#include "kafka/kafka_conf.h"

#define METADATA_TIMEOUT_MS 5000
#define RETRY_MS 5000
/* Request and broker-side operation timeout of CreateTopics: a cluster
 * without a reachable controller (librdkafka's mock cluster has none) fails
 * with _TIMED_OUT after this. */
#define CREATE_TIMEOUT_MS 10000
/* Key (a URL), headers and record batch framing around a raw page. */
#define RAW_OVERHEAD_BYTES 65536
/* librdkafka's upper limit of message.max.bytes. */
#define MESSAGE_MAX_BYTES_LIMIT UINT64_C(1000000000)

struct rsd_topics {
	struct rsd_kafka_health health; /* librdkafka opaque */
	rd_kafka_t *rk;
	int stop_fd, wake_fd;
	pthread_t thread;
	bool started;
	struct rsd_topic_want want[RSD_TOPICS_MAX];
	char *names[RSD_TOPICS_MAX]; /* want[i].name, owned */
	size_t n;
	struct rsd_topic_result results[RSD_TOPICS_MAX];
	atomic_bool done; /* results[] complete: release/acquire pairs with the readers */
	pthread_mutex_t lock; /* with cond: rsd_topics_wait() */
	pthread_cond_t cond;
	bool settled; /* done, or the first metadata request failed (under lock) */
};

/* Wakes rsd_topics_wait(): the check is over, or no broker answered. */
static void announce_settled(struct rsd_topics *t)
{
	pthread_mutex_lock(&t->lock);
	t->settled = true;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

uint64_t rsd_topics_raw_message_bytes(const struct rsd_config *cfg)
{
	uint64_t bytes = cfg->max_page_bytes + RAW_OVERHEAD_BYTES;

	return bytes > MESSAGE_MAX_BYTES_LIMIT ? MESSAGE_MAX_BYTES_LIMIT : bytes;
}

static void want_add(struct rsd_topic_want *out, size_t max, size_t *n, const char *name,
		     const struct rsd_config *cfg, uint64_t max_message_bytes)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(out[i].name, name) == 0)
			return;
	if (*n == max)
		return;
	out[(*n)++] = (struct rsd_topic_want){
		.name = name,
		.partitions = (int)cfg->partitions,
		.replication_factor = cfg->replication_factor ? (int)cfg->replication_factor : -1,
		.max_message_bytes = max_message_bytes,
	};
}

size_t rsd_topics_wanted(const struct rsd_config *cfg, struct rsd_topic_want *out, size_t max)
{
	size_t n = 0;

	want_add(out, max, &n, cfg->topic, cfg, 0);
	if (cfg->raw_topic)
		want_add(out, max, &n, cfg->raw_topic, cfg, rsd_topics_raw_message_bytes(cfg));
	for (size_t i = 0; cfg->consumer_enabled && i < cfg->topics.n; i++)
		want_add(out, max, &n, cfg->topics.items[i], cfg, 0);
	const char *cluster[] = { cfg->frontier_topic, cfg->state_topic };
	for (size_t i = 0; cfg->frontier_topic && i < 2; i++) {
		size_t before = n;
		want_add(out, max, &n, cluster[i], cfg, 0);
		if (n > before) {
			out[before].partitions = (int)cfg->cluster_partitions;
			out[before].compact = i == 1; /* the latest state per URL is what counts */
		}
	}
	return n;
}

/* ---- the check (thread) ---- */

/* Cluster metadata, retried until a broker answers or stop_fd is written.
 * NULL when stopped. The caller owns the result (rd_kafka_metadata_destroy). */
static const struct rd_kafka_metadata *fetch_metadata(struct rsd_topics *t)
{
	for (;;) {
		const struct rd_kafka_metadata *md = NULL;
		rd_kafka_resp_err_t err = rd_kafka_metadata(t->rk, 1, NULL, &md,
							    METADATA_TIMEOUT_MS);
		struct pollfd pfd = { .fd = t->stop_fd, .events = POLLIN };

		if (!err)
			return md;
		rsd_kafka_health_record(&t->health, t->rk, err, "topic check: no metadata");
		announce_settled(t);
		/* Not a polling loop: a wait for the next attempt that a stop cuts short. */
		if (poll(&pfd, 1, RETRY_MS) != 0)
			return NULL;
	}
}

/* Partition count of name in md; -1 when it is not there. */
static int partitions_of(const struct rd_kafka_metadata *md, const char *name)
{
	for (int k = 0; k < md->topic_cnt; k++) {
		const struct rd_kafka_metadata_topic *mt = &md->topics[k];

		if (mt->err == RD_KAFKA_RESP_ERR_NO_ERROR && strcmp(mt->topic, name) == 0)
			return mt->partition_cnt;
	}
	return -1;
}

static void set_existing(struct rsd_topic_result *r, int partitions)
{
	r->partitions = partitions;
	r->outcome = partitions < r->want.partitions ? RSD_TOPIC_FEWER_PARTITIONS
						     : RSD_TOPIC_EXISTS;
}

/* Fills the result of each wanted topic that exists; returns how many are missing. */
static size_t classify_existing(struct rsd_topics *t, const struct rd_kafka_metadata *md)
{
	size_t missing = 0;

	for (size_t i = 0; i < t->n; i++) {
		struct rsd_topic_result *r = &t->results[i];
		int partitions = partitions_of(md, t->want[i].name);

		r->want = t->want[i];
		r->name = t->want[i].name;
		r->partitions = -1;
		if (partitions < 0)
			missing++;
		else
			set_existing(r, partitions);
	}
	return missing;
}

/* The new-topic request of want; NULL with errstr on a bad setting. */
static rd_kafka_NewTopic_t *new_topic(const struct rsd_topic_want *w, char *errstr, size_t len)
{
	rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(w->name, w->partitions,
							w->replication_factor, errstr, len);
	char bytes[32];

	if (nt && w->compact && rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact")) {
		snprintf(errstr, len, "cleanup.policy = compact refused");
		rd_kafka_NewTopic_destroy(nt);
		return NULL;
	}
	if (!nt || !w->max_message_bytes)
		return nt;
	snprintf(bytes, sizeof(bytes), "%ju", (uintmax_t)w->max_message_bytes);
	if (rd_kafka_NewTopic_set_config(nt, "max.message.bytes", bytes)) {
		snprintf(errstr, len, "max.message.bytes = %s refused", bytes);
		rd_kafka_NewTopic_destroy(nt);
		return NULL;
	}
	return nt;
}

static bool creation_refused(rd_kafka_resp_err_t err)
{
	return err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
	       err == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED ||
	       err == RD_KAFKA_RESP_ERR_POLICY_VIOLATION ||
	       err == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE ||
	       err == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION;
}

static void set_outcome(struct rsd_topic_result *r, const struct rsd_topic_want *w,
			rd_kafka_resp_err_t err, const char *reason)
{
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		r->outcome = RSD_TOPIC_CREATED;
		r->partitions = w->partitions;
	} else if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
		r->outcome =
			RSD_TOPIC_EXISTS; /* created meanwhile by someone else: recheck_raced() */
	} else {
		r->outcome = creation_refused(err) ? RSD_TOPIC_REFUSED : RSD_TOPIC_FAILED;
		r->err = err;
		snprintf(r->reason, sizeof(r->reason), "%s", reason && *reason ? reason : "");
	}
}

/* Index of the wanted topic called name, or -1. */
static int want_index(const struct rsd_topics *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->want[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Reads the CreateTopics result: a request-level error applies to every
 * topic asked for, else each topic has its own. */
static void read_create_result(struct rsd_topics *t, rd_kafka_event_t *ev, const bool *asked)
{
	const rd_kafka_CreateTopics_result_t *res = ev ? rd_kafka_event_CreateTopics_result(ev)
						       : NULL;
	rd_kafka_resp_err_t all = ev ? rd_kafka_event_error(ev) : RD_KAFKA_RESP_ERR__TIMED_OUT;
	const char *all_reason = ev ? rd_kafka_event_error_string(ev) : "no answer in time";
	size_t cnt = 0;
	const rd_kafka_topic_result_t **tr = res && !all ? rd_kafka_CreateTopics_result_topics(res,
											       &cnt)
							 : NULL;

	for (size_t i = 0; i < t->n; i++)
		if (asked[i])
			set_outcome(&t->results[i], &t->want[i],
				    all ? all : RD_KAFKA_RESP_ERR__FAIL,
				    all ? all_reason : "the cluster did not answer for this topic");
	for (size_t k = 0; k < cnt; k++) {
		int i = want_index(t, rd_kafka_topic_result_name(tr[k]));

		if (i >= 0 && asked[i])
			set_outcome(&t->results[i], &t->want[i], rd_kafka_topic_result_error(tr[k]),
				    rd_kafka_topic_result_error_string(tr[k]));
	}
}

/* One CreateTopics request for the missing topics; a topic whose request
 * cannot even be built fails on its own. */
static void create_missing(struct rsd_topics *t)
{
	rd_kafka_NewTopic_t *nts[RSD_TOPICS_MAX];
	bool asked[RSD_TOPICS_MAX] = { false };
	size_t n = 0;
	char errstr[256];

	for (size_t i = 0; i < t->n; i++) {
		if (t->results[i].partitions >= 0)
			continue;
		nts[n] = new_topic(&t->want[i], errstr, sizeof(errstr));
		if (!nts[n]) {
			set_outcome(&t->results[i], &t->want[i], RD_KAFKA_RESP_ERR__INVALID_ARG,
				    errstr);
			continue;
		}
		asked[i] = true;
		n++;
	}
	if (!n)
		return;
	rd_kafka_queue_t *q = rd_kafka_queue_new(t->rk);
	rd_kafka_AdminOptions_t *opts = rd_kafka_AdminOptions_new(t->rk,
								  RD_KAFKA_ADMIN_OP_CREATETOPICS);

	rd_kafka_AdminOptions_set_operation_timeout(opts, CREATE_TIMEOUT_MS, errstr,
						    sizeof(errstr));
	rd_kafka_AdminOptions_set_request_timeout(opts, CREATE_TIMEOUT_MS, errstr, sizeof(errstr));
	/* The request copies nts and opts; they stay ours to destroy. */
	rd_kafka_CreateTopics(t->rk, nts, n, opts, q);
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, CREATE_TIMEOUT_MS + METADATA_TIMEOUT_MS);
	read_create_result(t, ev, asked);
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_NewTopic_destroy_array(nts, n);
	rd_kafka_AdminOptions_destroy(opts);
	rd_kafka_queue_destroy(q);
}

/* A topic another client created between our metadata request and
 * CreateTopics (TOPIC_ALREADY_EXISTS) has an unknown partition count: one
 * more metadata request reads it, so that fewer partitions are still
 * reported. Without an answer it stays EXISTS with partitions -1. */
static void recheck_raced(struct rsd_topics *t)
{
	const struct rd_kafka_metadata *md = NULL;
	bool raced = false;

	for (size_t i = 0; i < t->n; i++)
		raced |= t->results[i].outcome == RSD_TOPIC_EXISTS && t->results[i].partitions < 0;
	if (!raced || rd_kafka_metadata(t->rk, 1, NULL, &md, METADATA_TIMEOUT_MS))
		return;
	for (size_t i = 0; i < t->n; i++) {
		struct rsd_topic_result *r = &t->results[i];
		int partitions = partitions_of(md, r->name);

		if (r->outcome == RSD_TOPIC_EXISTS && r->partitions < 0 && partitions >= 0)
			set_existing(r, partitions);
	}
	rd_kafka_metadata_destroy(md);
}

static void *topics_main(void *arg)
{
	struct rsd_topics *t = arg;
	const struct rd_kafka_metadata *md = fetch_metadata(t);

	if (!md)
		return NULL; /* stopped before any broker answered */
	size_t missing = classify_existing(t, md);
	rd_kafka_metadata_destroy(md);
	if (missing) {
		create_missing(t);
		recheck_raced(t);
	}
	/* Release: the results are complete before a reader sees done. */
	atomic_store_explicit(&t->done, true, memory_order_release);
	announce_settled(t);
	rsd_eventfd_signal(t->wake_fd);
	return NULL;
}

/* ---- lifecycle ---- */

static int copy_wanted(struct rsd_topics *t, const struct rsd_config *cfg)
{
	t->n = rsd_topics_wanted(cfg, t->want, RSD_TOPICS_MAX);
	for (size_t i = 0; i < t->n; i++) {
		t->names[i] = strdup(t->want[i].name);
		if (!t->names[i])
			return -ENOMEM;
		t->want[i].name = t->names[i]; /* cfg may go before the thread ends */
	}
	return 0;
}

static int create_client(struct rsd_topics *t, const struct rsd_config *cfg, const char *bootstrap,
			 char *errbuf, size_t errlen)
{
	static const char *const forced[] = { "allow.auto.create.topics", "false", NULL };
	rd_kafka_conf_t *conf = rsd_kafka_conf_new(cfg, bootstrap, NULL, &cfg->producer_props,
						   forced, &t->health, errbuf, errlen);

	if (!conf)
		return -EINVAL;
	/* conf is owned by rk on success, still ours on failure. */
	t->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, errlen);
	if (!t->rk) {
		rd_kafka_conf_destroy(conf);
		return -EINVAL;
	}
	return 0;
}

int rsd_topics_start(const struct rsd_config *cfg, const char *bootstrap, int wake_fd, char *errbuf,
		     size_t errlen, struct rsd_topics **out)
{
	struct rsd_topics *t = calloc(1, sizeof(*t));
	int rc;

	*out = NULL;
	if (!t) {
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	rsd_kafka_health_init(&t->health, -1);
	pthread_mutex_init(&t->lock, NULL);
	rsd_kafka_cond_init(&t->cond);
	t->wake_fd = wake_fd;
	t->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	rc = t->stop_fd < 0 ? -errno : copy_wanted(t, cfg);
	if (rc == 0)
		rc = create_client(t, cfg, bootstrap, errbuf, errlen);
	else
		snprintf(errbuf, errlen, "topic check: %s", strerror(-rc));
	if (rc == 0) {
		rc = -pthread_create(&t->thread, NULL, topics_main, t);
		if (rc < 0)
			snprintf(errbuf, errlen, "topic check thread: %s", strerror(-rc));
	}
	if (rc < 0) {
		rsd_topics_free(t);
		return rc;
	}
	t->started = true;
	pthread_setname_np(t->thread, "rsd-topics");
	*out = t;
	return 0;
}

const struct rsd_topic_result *rsd_topics_results(struct rsd_topics *t, size_t *n)
{
	/* Acquire: pairs with the release in topics_main. */
	bool done = t && atomic_load_explicit(&t->done, memory_order_acquire);

	*n = done ? t->n : 0;
	return done ? t->results : NULL;
}

bool rsd_topics_wait(struct rsd_topics *t, int timeout_ms)
{
	struct timespec until = rsd_deadline_after_ms(timeout_ms);
	int rc = 0;

	pthread_mutex_lock(&t->lock);
	while (!t->settled && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&t->cond, &t->lock, &until);
	pthread_mutex_unlock(&t->lock);
	return atomic_load_explicit(&t->done, memory_order_acquire);
}

void rsd_topics_stop(struct rsd_topics *t)
{
	if (!t->started)
		return;
	rsd_eventfd_signal(t->stop_fd);
	pthread_join(t->thread, NULL);
	t->started = false;
}

void rsd_topics_free(struct rsd_topics *t)
{
	if (!t)
		return;
	rsd_topics_stop(t);
	if (t->rk)
		rd_kafka_destroy(t->rk);
	if (t->stop_fd >= 0)
		close(t->stop_fd);
	for (size_t i = 0; i < t->n; i++)
		free(t->names[i]);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	rsd_kafka_health_destroy(&t->health);
	free(t);
}
