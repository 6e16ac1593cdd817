/* SPDX-License-Identifier: MIT */
/* Cluster mode: the frontier and the crawl state as Kafka topics (see
 * crawl_cluster.h for the protocol; crawl_cluster_book.c keeps the books).
 *
 * Clients: one producer for both topics (idempotent, acks=all, explicit
 * partitions), one consumer in the crawl group (cooperative-sticky, manual
 * commits, no automatic offset store: offsets are committed explicitly),
 * one group-less consumer that reads state_topic partitions by assign()
 * when they are newly owned. */
#include "cluster/crawl_cluster.h"

#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>
#include <librdkafka/rdkafka.h>

#include "crawl/crawl_cluster_book.h"
#include "kafka/kafka_conf.h"
#include "core/url.h"
#include "core/util.h"

#define POLL_MS 500 /* bounded only so the progress counter moves */
#define COMMIT_EVERY_MS 1000 /* bounds what a crash replays beyond in-flight */
#define FLUSH_MS 2000 /* what was produced before a commit must be in Kafka */
#define METADATA_MS 10000
#define STATE_READ_MS 30000 /* reading a partition's state before crawling it */
#define MAX_PARTITIONS 65536 /* tickets hold 16 bits of partition */
/* A commit's answer: a coordinator that does not answer (brokers down)
 * would hold a synchronous commit, and with it the thread, for as long as
 * the outage. Unanswered, the next round commits again. */
#define COMMIT_WAIT_MS 10000
#define ALIVE_EVERY_MS 1000 /* the slices of the bounded waits (progress) */

struct rsd_cluster {
	struct rsd_kafka_health health; /* librdkafka opaque of the three clients */
	const struct rsd_config *cfg;
	struct rsd_state *state;
	rd_kafka_t *prod, *cons, *reader;
	rd_kafka_queue_t *cq; /* consumer queue: yielded by free */

	pthread_mutex_t lock;
	pthread_cond_t changed; /* a ticket settled; the frontier left */
	struct rsd_frontier *frontier;
	unsigned in_frontier; /* threads inside a call of the frontier */
	bool rewind; /* a new frontier: read the unsettled part again */
	uint16_t generation;
	int32_t n_parts;
	struct rsd_book_part *parts;
	struct rsd_done_map done;

	pthread_t thread;
	bool started;
	bool assigned_once; /* see rsd_kafka_consumer_destroy */
	bool was_member; /* had a member id when closed (same) */
	bool closed; /* left the group within close_ms (same) */
	int close_ms; /* how long leaving may take: written before stop is set */
	int64_t close_by_ms; /* the thread's: when leaving began, its deadline */
	bool left; /* rsd_cluster_leave ran (main thread only) */
	atomic_bool stop;
	int64_t last_commit_ms;
	struct rsd_cluster_stats stats;
};

int32_t rsd_cluster_partition_of(const char *host, int32_t n)
{
	/* The murmur2 partitioner reads only the key and the count. */
	return rd_kafka_msg_partitioner_murmur2(NULL, host, strlen(host), n, NULL, NULL);
}

/* The thread is alive: its loop, and every slice of a bounded wait. */
static void alive(struct rsd_cluster *c)
{
	atomic_fetch_add(&c->stats.progress, 1);
}

static uint64_t url_hash(const char *url)
{
	return rsd_url_hash(url, strlen(url));
}

/* ---- the frontier, shared with the thread ---- */

/* The attached frontier, kept from being detached until frontier_leave. */
static struct rsd_frontier *frontier_enter(struct rsd_cluster *c)
{
	pthread_mutex_lock(&c->lock);
	struct rsd_frontier *f = c->frontier;
	c->in_frontier += f != NULL;
	pthread_mutex_unlock(&c->lock);
	return f;
}

static void frontier_leave(struct rsd_cluster *c)
{
	pthread_mutex_lock(&c->lock);
	c->in_frontier--;
	pthread_cond_broadcast(&c->changed);
	pthread_mutex_unlock(&c->lock);
}

/* ---- routing (frontier lock held) ---- */

static int route(void *ctx, const char *url, const char *host, unsigned depth, unsigned redirects,
		 bool sitemap)
{
	struct rsd_cluster *c = ctx;
	char head[48];
	int hl = snprintf(head, sizeof head, "%u %u %c ", depth, redirects, sitemap ? 's' : 'p');
	size_t ul = strlen(url);
	char *value = malloc((size_t)hl + ul);
	if (!value)
		return -ENOMEM;
	memcpy(value, head, (size_t)hl);
	memcpy(value + hl, url, ul);
	/* Ownership: librdkafka copies key and value (MSG_F_FREE hands it the
	 * value on success; on failure it stays ours). No BLOCK flag: this
	 * runs under the frontier's lock, a full queue is refused instead. */
	rd_kafka_resp_err_t err = rd_kafka_producev(
		c->prod, RD_KAFKA_V_TOPIC(c->cfg->frontier_topic),
		RD_KAFKA_V_PARTITION(rsd_cluster_partition_of(host, c->n_parts)),
		RD_KAFKA_V_KEY(host, strlen(host)), RD_KAFKA_V_VALUE(value, (size_t)hl + ul),
		RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE), RD_KAFKA_V_END);
	if (err) {
		free(value);
		rsd_kafka_health_record(&c->health, c->prod, err, "frontier produce failed");
		return -ENOBUFS;
	}
	atomic_fetch_add(&c->stats.routed, 1);
	return 0;
}

/* ---- crawl state entries ---- */

static char *state_value(struct rsd_cluster *c, const char *url, int64_t done_at)
{
	struct rsd_page_meta meta = { 0 };
	cJSON *o = cJSON_CreateObject();
	char hex[17];
	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "done", (double)done_at);
	if (rsd_state_lookup(c->state, url, &meta) == 0) {
		cJSON_AddNumberToObject(o, "fetched", (double)meta.fetched_at);
		snprintf(hex, sizeof hex, "%016" PRIx64, meta.content_hash);
		cJSON_AddStringToObject(o, "hash", hex);
		if (meta.etag)
			cJSON_AddStringToObject(o, "etag", meta.etag);
		if (meta.last_modified)
			cJSON_AddStringToObject(o, "last_modified", meta.last_modified);
		if (meta.delivered && !meta.rejected) {
			snprintf(hex, sizeof hex, "%016" PRIx64, meta.delivered_hash);
			cJSON_AddStringToObject(o, "delivered", hex);
		}
		rsd_page_meta_clear(&meta);
	}
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

/* One state_topic entry; value (malloc'ed, may be NULL) is taken. */
static void produce_state(struct rsd_cluster *c, const char *key, int32_t partition, char *value)
{
	if (!value)
		return; /* only costs a refetch (a wait) by a later owner */
	/* Ownership: MSG_F_FREE passes value to librdkafka on success. */
	rd_kafka_resp_err_t err = rd_kafka_producev(
		c->prod, RD_KAFKA_V_TOPIC(c->cfg->state_topic), RD_KAFKA_V_PARTITION(partition),
		RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(value, strlen(value)),
		RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE), RD_KAFKA_V_END);
	if (err) {
		free(value);
		rsd_kafka_health_record(&c->health, c->prod, err, "state produce failed");
		return;
	}
	atomic_fetch_add(&c->stats.state_written, 1);
}

/* The changelog entry of a settled URL, in its host's partition. */
static void write_state(struct rsd_cluster *c, const char *url, int32_t partition, int64_t done_at)
{
	produce_state(c, url, partition, state_value(c, url, done_at));
}

/* ---- the politeness clock of a host that changes owner ---- */

/* A host's clock is the state_topic entry "host NAME" (no URL has a
 * space), {"not_before": Unix time in ms}: when its next request may
 * start (delay_ms or Crawl-delay after the last one, a Retry-After). Wall
 * clock, as the daemons share nothing else; compaction keeps the last. */
#define CLOCK_KEY "host "

static int64_t wall_ms(void)
{
	return (int64_t)(rsd_now_usec(CLOCK_REALTIME) / 1000);
}

struct handoff {
	struct rsd_cluster *c;
	const bool *which; /* the partitions given up */
};

/* keep() for the clocks: hosts of the partitions not given up. */
static bool not_handed_off(void *ctx, const char *host)
{
	const struct handoff *h = ctx;
	return !h->which[rsd_cluster_partition_of(host, h->c->n_parts)];
}

static void write_clock(void *ctx, const char *host, int64_t wait_ms)
{
	const struct handoff *h = ctx;
	char *key = NULL, *value = NULL;
	if (asprintf(&key, CLOCK_KEY "%s", host) < 0)
		return;
	if (asprintf(&value, "{\"not_before\":%lld}", (long long)(wall_ms() + wait_ms)) < 0)
		value = NULL;
	produce_state(h->c, key, rsd_cluster_partition_of(host, h->c->n_parts), value);
	free(key);
}

/* The new owner: the host waits until its clock says (read with the
 * partition's state, before any of its URLs is queued here). */
static void apply_clock(struct rsd_cluster *c, const char *host, const char *value, size_t len)
{
	cJSON *o = cJSON_ParseWithLength(value, len);
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(o, "not_before");
	int64_t wait = cJSON_IsNumber(at) ? (int64_t)at->valuedouble - wall_ms() : 0;
	cJSON_Delete(o);
	struct rsd_frontier *f = wait > 0 ? frontier_enter(c) : NULL;
	if (f) {
		(void)rsd_frontier_hold_host(f, host, wait);
		frontier_leave(c);
	}
	atomic_fetch_add(&c->stats.state_read, 1);
}

static uint64_t parse_hex(const cJSON *o, const char *name)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
	return s ? strtoull(s, NULL, 16) : 0;
}

static const char *opt_string(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

/* Applies one state_topic entry: the done table, and the local crawl state
 * when the entry's fetch is newer than what it holds. */
static void apply_state(struct rsd_cluster *c, const char *url, const char *value, size_t len)
{
	cJSON *o = cJSON_ParseWithLength(value, len);
	if (!o)
		return; /* not ours; a compacted topic may hold anything */
	int64_t done = (int64_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "done"));
	const cJSON *fetched = cJSON_GetObjectItemCaseSensitive(o, "fetched");
	struct rsd_page_meta meta = { 0 };
	bool newer = cJSON_IsNumber(fetched) && (rsd_state_lookup(c->state, url, &meta) < 0 ||
						 meta.fetched_at < (time_t)fetched->valuedouble);
	rsd_page_meta_clear(&meta);
	if (newer)
		(void)rsd_state_set_fetched(c->state, url, (time_t)fetched->valuedouble,
					    opt_string(o, "etag"), opt_string(o, "last_modified"),
					    parse_hex(o, "hash"));
	if (opt_string(o, "delivered") && !rsd_state_is_delivered(c->state, url, 0))
		(void)rsd_state_mark_delivered(c->state, url, parse_hex(o, "delivered"));
	cJSON_Delete(o);
	pthread_mutex_lock(&c->lock);
	if (done > 0 && rsd_done_get(&c->done, url_hash(url)) < done)
		(void)rsd_done_put(&c->done, url_hash(url), done);
	pthread_mutex_unlock(&c->lock);
	atomic_fetch_add(&c->stats.state_read, 1);
}

/* ---- settling ---- */

static void settle_ticket(struct rsd_cluster *c, uint64_t ticket, enum rsd_settle how)
{
	uint16_t gen;
	int32_t part;
	uint64_t seq;
	char *url = NULL;
	rsd_book_ticket_split(ticket, &gen, &part, &seq);
	int64_t done_at = (int64_t)time(NULL);
	pthread_mutex_lock(&c->lock);
	struct rsd_pending *it = NULL;
	if (gen == c->generation && part < c->n_parts)
		it = rsd_book_find(&c->parts[part], seq);
	if (it && it->state == PENDING_QUEUED) {
		bool ok = how == RSD_SETTLED;
		/* Abandoned: not done, another attempt may queue it. */
		(void)rsd_done_put(&c->done, it->hash, ok ? done_at : 0);
		if (ok)
			url = it->url, it->url = NULL;
		rsd_book_settle(&c->parts[part], it, ok ? PENDING_SETTLED : PENDING_ABANDONED);
		atomic_fetch_add(ok ? &c->stats.settled : &c->stats.abandoned, 1);
		pthread_cond_broadcast(&c->changed);
	}
	pthread_mutex_unlock(&c->lock);
	if (url)
		write_state(c, url, part, done_at);
	free(url);
}

static void settle(void *ctx, uint64_t ticket, enum rsd_settle how)
{
	settle_ticket(ctx, ticket, how);
}

void rsd_cluster_settle_record(void *ctx, uint64_t ticket, bool delivered)
{
	settle_ticket(ctx, ticket, delivered ? RSD_SETTLED : RSD_ABANDONED);
}

/* ---- frontier messages ---- */

struct frontier_msg {
	unsigned depth, redirects;
	bool sitemap;
	const char *url; /* NUL-terminated copy owned by the caller */
};

static int parse_msg(char *text, struct frontier_msg *out)
{
	char kind = 0;
	int used = 0;
	if (sscanf(text, "%u %u %c %n", &out->depth, &out->redirects, &kind, &used) != 3 || !used ||
	    (kind != 'p' && kind != 's'))
		return -EINVAL;
	out->sitemap = kind == 's';
	out->url = text + used;
	return 0;
}

/* Books the message; 0 and *ticket when the frontier should queue it,
 * -EALREADY when it is done or queued already (booked settled), -ESRCH
 * when its partition is not ours (not booked: not committed by us). */
static int book_message(struct rsd_cluster *c, int32_t part, int64_t offset, const char *url,
			uint64_t *ticket)
{
	uint64_t h = url_hash(url), seq = 0; /* 0: no message of ours */
	int64_t fresh_after = (int64_t)time(NULL) - (int64_t)c->cfg->recrawl_interval_s;
	int rc;
	pthread_mutex_lock(&c->lock);
	struct rsd_book_part *p = &c->parts[part];
	int64_t st = rsd_done_get(&c->done, h);
	bool dup = st == RSD_DONE_QUEUED ||
		   (st > 0 && (!c->cfg->recrawl_interval_s || st > fresh_after));
	if (!p->owned || !c->frontier)
		rc = -ESRCH;
	else if ((rc = rsd_book_add(p, offset, h, url, dup ? PENDING_SETTLED : PENDING_QUEUED,
				    &seq)) == 0 &&
		 dup)
		rc = -EALREADY;
	else if (rc == 0 && (rc = rsd_done_put(&c->done, h, RSD_DONE_QUEUED)) == 0)
		*ticket = rsd_book_ticket(c->generation, part, seq);
	else if (rc == -ENOMEM && rsd_book_find(p, seq))
		/* Booked, not marked: it holds the commit point back, and the
		 * partition's next owner reads it again. */
		rsd_book_settle(p, rsd_book_find(p, seq), PENDING_ABANDONED);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

/* The previous owner of a partition sent nothing to its hosts after it
 * gave it up, or after it was told it had lost it: both come before this
 * assignment. So a host's first request here waits delay_ms from the
 * assignment, whatever the hand-off's clocks said (none after a loss). */
static void hold_new_host(struct rsd_cluster *c, struct rsd_frontier *f,
			  const rd_kafka_message_t *m)
{
	pthread_mutex_lock(&c->lock);
	int64_t wait = c->parts[m->partition].assigned_ms + c->cfg->delay_ms - rsd_now_ms();
	pthread_mutex_unlock(&c->lock);
	char *host = wait > 0 && m->key ? strndup(m->key, m->key_len) : NULL;
	if (host)
		(void)rsd_frontier_hold_host(f, host, wait);
	free(host);
}

static void receive(struct rsd_cluster *c, const rd_kafka_message_t *m)
{
	struct frontier_msg fm;
	uint64_t ticket = 0;
	char *text = strndup(m->payload ? m->payload : "", m->len);
	if (!text || m->partition < 0 || m->partition >= c->n_parts || parse_msg(text, &fm) < 0) {
		free(text); /* not a frontier message: skipped (committed past) */
		return;
	}
	atomic_fetch_add(&c->stats.received, 1);
	int rc = book_message(c, m->partition, m->offset, fm.url, &ticket);
	if (rc == -EALREADY)
		atomic_fetch_add(&c->stats.skipped, 1);
	struct rsd_frontier *f = rc == 0 ? frontier_enter(c) : NULL;
	if (f) {
		hold_new_host(c, f, m);
		rc = rsd_frontier_add_owned(f, fm.url, fm.depth, fm.redirects, fm.sitemap, ticket);
		frontier_leave(c);
		/* Not queued: delivered and fresh, or refused (scope; reported
		 * by the frontier) is settled; what a stop, a full queue or a
		 * lack of memory kept out is read again by the next owner. */
		if (rc < 0)
			settle_ticket(c, ticket,
				      rc == -ENOSPC || rc == -ENOBUFS || rc == -ENOMEM
					      ? RSD_ABANDONED
					      : RSD_SETTLED);
	}
	free(text);
}

/* ---- commits ---- */

/* Commits the commit points of the owned partitions (only: those of which
 * is set) that moved. Everything this daemon produced before is flushed
 * first: a settled page's links and state must be in Kafka before its
 * offset is. */
static void commit(struct rsd_cluster *c, const bool *only)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
	if (rd_kafka_flush(c->prod, FLUSH_MS) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		rd_kafka_topic_partition_list_destroy(l);
		return; /* again at the next round */
	}
	pthread_mutex_lock(&c->lock);
	for (int32_t i = 0; i < c->n_parts; i++) {
		struct rsd_book_part *p = &c->parts[i];
		int64_t cp = rsd_book_commit_point(p);
		if ((only ? only[i] : p->owned) && cp >= 0 && cp > p->committed)
			rd_kafka_topic_partition_list_add(l, c->cfg->frontier_topic, i)->offset =
				cp;
	}
	pthread_mutex_unlock(&c->lock);
	/* Once leaving began, its bound holds the commits too (on revocation,
	 * from the close). */
	int wait_ms = rsd_ms_until(c->close_by_ms, COMMIT_WAIT_MS);
	rd_kafka_resp_err_t err = 0;
	if (l->cnt)
		err = wait_ms > 0 ? rsd_kafka_commit_within(c->cons, l, wait_ms, &c->stats.progress)
				  : RD_KAFKA_RESP_ERR__TIMED_OUT;
	if (err)
		rsd_kafka_health_record(&c->health, c->cons, err, "frontier offset commit failed");
	pthread_mutex_lock(&c->lock);
	for (int i = 0; !err && i < l->cnt; i++)
		c->parts[l->elems[i].partition].committed = l->elems[i].offset;
	pthread_mutex_unlock(&c->lock);
	rd_kafka_topic_partition_list_destroy(l);
	c->last_commit_ms = rsd_now_ms();
}

/* ---- the state of newly owned partitions ---- */

/* Where each partition of l ends now (its high watermark, into ->offset);
 * false when a broker did not answer. */
static bool state_ends(struct rsd_cluster *c, rd_kafka_topic_partition_list_t *l)
{
	for (int i = 0; i < l->cnt; i++) {
		int64_t lo, hi;
		alive(c); /* each query is bounded by 5 s */
		rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
			c->reader, c->cfg->state_topic, l->elems[i].partition, &lo, &hi, 5000);
		if (err) {
			rsd_kafka_health_record(&c->health, c->reader, err,
						"state_topic watermarks");
			return false;
		}
		l->elems[i].offset = hi;
	}
	return true;
}

static bool state_reached(const rd_kafka_topic_partition_list_t *ends, const int64_t *pos)
{
	for (int i = 0; i < ends->cnt; i++)
		if (pos[i] < ends->elems[i].offset)
			return false;
	return true;
}

static void note_position(const rd_kafka_topic_partition_list_t *ends, int64_t *pos,
			  const rd_kafka_message_t *m)
{
	for (int i = 0; i < ends->cnt; i++)
		if (ends->elems[i].partition == m->partition && pos[i] < m->offset + 1)
			pos[i] = m->offset + 1;
}

static void apply_entry(struct rsd_cluster *c, const rd_kafka_message_t *m)
{
	char *key = strndup(m->key, m->key_len);
	const char *value = m->payload ? m->payload : "";
	if (key && strncmp(key, CLOCK_KEY, strlen(CLOCK_KEY)) == 0)
		apply_clock(c, key + strlen(CLOCK_KEY), value, m->len);
	else if (key)
		apply_state(c, key, value, m->len);
	free(key);
}

/* Reads the state_topic partitions numbered like parts from their start to
 * where they end now (bounded by STATE_READ_MS and stop). */
static void read_state(struct rsd_cluster *c, const rd_kafka_topic_partition_list_t *parts)
{
	rd_kafka_topic_partition_list_t *ends = rd_kafka_topic_partition_list_new(parts->cnt);
	int64_t *pos = calloc((size_t)parts->cnt + 1, sizeof(*pos));
	for (int i = 0; pos && i < parts->cnt; i++)
		rd_kafka_topic_partition_list_add(ends, c->cfg->state_topic,
						  parts->elems[i].partition)
			->offset = RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_resp_err_t err = pos && ends->cnt ? rd_kafka_assign(c->reader, ends) : 0;
	if (err)
		rsd_kafka_health_record(&c->health, c->reader, err, "state_topic assign failed");
	if (pos && ends->cnt && !err && state_ends(c, ends)) {
		int64_t deadline = rsd_now_ms() + STATE_READ_MS;
		while (!state_reached(ends, pos) && rsd_now_ms() < deadline &&
		       !atomic_load(&c->stop)) {
			/* Ownership: m is ours until rd_kafka_message_destroy. */
			rd_kafka_message_t *m = rd_kafka_consumer_poll(c->reader, 200);
			alive(c); /* the read takes up to STATE_READ_MS */
			if (!m)
				continue;
			if (!m->err && m->key)
				apply_entry(c, m);
			if (!m->err)
				note_position(ends, pos, m);
			rd_kafka_message_destroy(m);
		}
		if (!state_reached(ends, pos))
			rsd_kafka_health_record(
				&c->health, c->reader, RD_KAFKA_RESP_ERR__TIMED_OUT,
				"state_topic not read to its end: some pages may be "
				"fetched again");
	}
	rd_kafka_assign(c->reader, NULL);
	rd_kafka_topic_partition_list_destroy(ends);
	free(pos);
}

/* ---- rebalances (on the thread, from rd_kafka_consumer_poll) ---- */

static void unmark_queued(void *ctx, uint64_t hash)
{
	struct rsd_cluster *c = ctx;
	(void)rsd_done_put(&c->done, hash, 0);
}

/* keep() for the frontier: is host's partition still ours? Called with the
 * frontier's lock held. */
static bool owns_host(void *ctx, const char *host)
{
	struct rsd_cluster *c = ctx;
	pthread_mutex_lock(&c->lock);
	bool owned = c->parts[rsd_cluster_partition_of(host, c->n_parts)].owned;
	pthread_mutex_unlock(&c->lock);
	return owned;
}

static void set_owned(struct rsd_cluster *c, const rd_kafka_topic_partition_list_t *l, bool owned,
		      bool *which)
{
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < l->cnt; i++) {
		int32_t p = l->elems[i].partition;
		if (p < 0 || p >= c->n_parts)
			continue;
		c->parts[p].owned = owned;
		if (which)
			which[p] = true;
		if (owned) {
			c->parts[p].next = c->parts[p].committed = -1;
			c->parts[p].assigned_ms = rsd_now_ms();
		}
	}
	pthread_mutex_unlock(&c->lock);
}

/* Waits until the jobs in flight of the revoked partitions are settled, at
 * most shutdown_timeout_s. Not once the frontier is gone (stop): what it
 * held will not settle any more. */
static void wait_in_flight(struct rsd_cluster *c, const bool *which)
{
	int64_t end = rsd_now_ms() + (int64_t)c->cfg->shutdown_timeout_s * 1000;
	pthread_mutex_lock(&c->lock);
	while (c->frontier) {
		unsigned left = 0;
		for (int32_t i = 0; i < c->n_parts; i++)
			left += which[i] ? c->parts[i].queued : 0;
		int64_t remaining = end - rsd_now_ms();
		if (!left || remaining <= 0)
			break;
		/* In slices: a revoke may wait longer than the watchdog's
		 * limit for a slow page; the wait is bounded, not stuck. */
		struct timespec slice = rsd_deadline_after_ms(
			(int)(remaining < ALIVE_EVERY_MS ? remaining : ALIVE_EVERY_MS));
		(void)pthread_cond_timedwait(&c->changed, &c->lock, &slice);
		alive(c);
	}
	pthread_mutex_unlock(&c->lock);
}

/* After the jobs in flight of which's hosts ended (their retries' waits
 * included), the hosts still waiting tell their next owner until when. */
static void hand_off_clocks(struct rsd_cluster *c, const bool *which)
{
	struct handoff h = { .c = c, .which = which };
	struct rsd_frontier *f = frontier_enter(c);
	if (f) {
		rsd_frontier_host_clocks(f, not_handed_off, &h, write_clock, &h);
		frontier_leave(c);
	}
}

void rsd_cluster_hand_off_clocks(struct rsd_cluster *c)
{
	pthread_mutex_lock(&c->lock);
	bool *owned = c->n_parts ? calloc((size_t)c->n_parts, sizeof(*owned)) : NULL;
	for (int32_t i = 0; owned && i < c->n_parts; i++)
		owned[i] = c->parts[i].owned;
	pthread_mutex_unlock(&c->lock);
	/* Produced now, on the caller's thread: the thread's last commit and
	 * the final revoke's, which run after this (rsd_cluster_leave), flush
	 * the producer before they commit, so the clocks are in state_topic
	 * before the partitions go. */
	if (owned)
		hand_off_clocks(c, owned);
	free(owned);
}

static void revoke(struct rsd_cluster *c, const rd_kafka_topic_partition_list_t *l, bool lost)
{
	bool *which = calloc((size_t)c->n_parts, sizeof(*which));
	if (!which)
		return;
	set_owned(c, l, false, which); /* nothing more is queued for them */
	atomic_fetch_add(lost ? &c->stats.lost : &c->stats.revoked, (uint_fast64_t)l->cnt);
	struct rsd_frontier *f = frontier_enter(c);
	if (f) {
		rsd_frontier_release_hosts(f, owns_host, c);
		frontier_leave(c);
	}
	if (!lost) {
		/* Lost: the group moved on, a commit would be refused (and
		 * the next owner may have read the clocks already). */
		wait_in_flight(c, which);
		hand_off_clocks(c, which);
		commit(c, which); /* flushes the clocks before the partitions go */
	}
	pthread_mutex_lock(&c->lock);
	for (int32_t i = 0; i < c->n_parts; i++)
		if (which[i])
			rsd_book_reset(&c->parts[i], unmark_queued, c);
	pthread_mutex_unlock(&c->lock);
	free(which);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			 rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct rsd_cluster *c = rsd_container_of(opaque, struct rsd_cluster, health);
	bool cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
	rd_kafka_error_t *error = NULL;
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		c->assigned_once = true;
		/* Their state first: a URL done by the previous owner is
		 * then skipped, not fetched again. */
		read_state(c, parts);
		set_owned(c, parts, true, NULL);
		atomic_fetch_add(&c->stats.assigned, (uint_fast64_t)parts->cnt);
		if (cooperative)
			error = rd_kafka_incremental_assign(rk, parts);
		else
			rd_kafka_assign(rk, parts);
	} else {
		revoke(c, parts,
		       err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS || rd_kafka_assignment_lost(rk));
		if (cooperative)
			error = rd_kafka_incremental_unassign(rk, parts);
		else
			rd_kafka_assign(rk, NULL);
	}
	if (error) {
		rsd_kafka_health_record(&c->health, rk, rd_kafka_error_code(error),
					rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	}
	rd_kafka_topic_partition_list_t *now = NULL;
	if (rd_kafka_assignment(rk, &now) == 0 && now) {
		atomic_store(&c->stats.partitions, (uint_fast64_t)now->cnt);
		rd_kafka_topic_partition_list_destroy(now);
	}
	atomic_fetch_add(&c->stats.rebalances, 1);
}

/* ---- the thread ---- */

/* A new frontier (reload): what the old one held unsettled is read again
 * from the commit points; late tickets of the old one find nothing (the
 * generation moved on), and pages it delivered are skipped by the state. */
static void rewind_partitions(struct rsd_cluster *c)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
	pthread_mutex_lock(&c->lock);
	c->rewind = false;
	c->generation++;
	for (int32_t i = 0; i < c->n_parts; i++) {
		struct rsd_book_part *p = &c->parts[i];
		int64_t cp = rsd_book_commit_point(p);
		rsd_book_reset(p, unmark_queued, c);
		if (!p->owned || cp < 0)
			continue;
		p->next = cp;
		rd_kafka_topic_partition_list_add(l, c->cfg->frontier_topic, i)->offset = cp;
	}
	pthread_mutex_unlock(&c->lock);
	rd_kafka_error_t *error = l->cnt ? rd_kafka_seek_partitions(c->cons, l, 5000) : NULL;
	if (error) {
		rsd_kafka_health_record(&c->health, c->cons, rd_kafka_error_code(error),
					rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	}
	rd_kafka_topic_partition_list_destroy(l);
}

static void *cluster_main(void *arg)
{
	struct rsd_cluster *c = arg;
	while (!atomic_load(&c->stop)) {
		alive(c);
		pthread_mutex_lock(&c->lock);
		bool rewind = c->rewind;
		pthread_mutex_unlock(&c->lock);
		if (rewind)
			rewind_partitions(c);
		/* Ownership: m is ours until rd_kafka_message_destroy. */
		rd_kafka_message_t *m = rd_kafka_consumer_poll(c->cons, POLL_MS);
		if (m && m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
			rsd_kafka_health_record(&c->health, c->cons, m->err,
						rd_kafka_message_errstr(m));
		else if (m && !m->err)
			receive(c, m);
		if (m)
			rd_kafka_message_destroy(m);
		rd_kafka_poll(c->prod, 0); /* the producer's errors */
		if (rsd_now_ms() - c->last_commit_ms >= COMMIT_EVERY_MS)
			commit(c, NULL);
	}
	c->close_by_ms = rsd_now_ms() + c->close_ms;
	commit(c, NULL);
	/* Revokes what is left (committing again) and leaves the group, so
	 * that the others take the partitions over at once. */
	c->was_member = rsd_kafka_was_member(c->cons);
	c->closed = rsd_kafka_consumer_close(c->cons, rsd_ms_until(c->close_by_ms, INT_MAX),
					     rebalance_cb);
	return NULL;
}

/* ---- life cycle ---- */

/* [kafka] properties apply to these clients too (security, timeouts). */
static rd_kafka_t *client(struct rsd_cluster *c, const char *bootstrap, rd_kafka_type_t type,
			  const char *const *defaults, const char *const *forced, bool group,
			  char *errbuf, size_t errlen)
{
	static const struct rsd_kv_list none;
	rd_kafka_conf_t *conf = rsd_kafka_conf_new(c->cfg, bootstrap, defaults, &none, forced,
						   &c->health, errbuf, errlen);
	if (!conf)
		return NULL;
	if (group)
		rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
	/* conf is owned by rk on success, still ours on failure. */
	rd_kafka_t *rk = rd_kafka_new(type, conf, errbuf, errlen);
	if (!rk)
		rd_kafka_conf_destroy(conf);
	return rk;
}

static int create_clients(struct rsd_cluster *c, const char *bootstrap, char *errbuf, size_t errlen)
{
	static const char *const prod_forced[] = { "enable.idempotence", "true", "acks", "all",
						   NULL };
	static const char *const prod_defaults[] = { "linger.ms", "5", NULL };
	/* Overridable: a short session makes a crashed daemon's hosts move
	 * sooner ([kafka] session.timeout.ms). */
	static const char *const cons_defaults[] = { "auto.offset.reset", "earliest", NULL };
	const char *const cons_forced[] = { "group.id",
					    c->cfg->cluster_group_id,
					    "partition.assignment.strategy",
					    "cooperative-sticky",
					    "enable.auto.commit",
					    "false",
					    "enable.auto.offset.store",
					    "false",
					    NULL };
	/* assign() needs a group.id in librdkafka (else _UNKNOWN_GROUP); this
	 * one never joins (no subscribe) and never commits. */
	const char *const reader_forced[] = {
		"group.id", c->cfg->cluster_group_id, "enable.auto.commit",
		"false",    "enable.partition.eof",   "false",
		NULL
	};
	c->prod = client(c, bootstrap, RD_KAFKA_PRODUCER, prod_defaults, prod_forced, false, errbuf,
			 errlen);
	if (c->prod)
		c->cons = client(c, bootstrap, RD_KAFKA_CONSUMER, cons_defaults, cons_forced, true,
				 errbuf, errlen);
	if (c->cons)
		c->reader = client(c, bootstrap, RD_KAFKA_CONSUMER, NULL, reader_forced, false,
				   errbuf, errlen);
	if (!c->reader)
		return -EINVAL;
	rd_kafka_poll_set_consumer(c->cons); /* rebalances and errors via consumer_poll */
	rd_kafka_poll_set_consumer(c->reader);
	c->cq = rd_kafka_queue_get_consumer(c->cons);
	return 0;
}

int rsd_cluster_new(const struct rsd_config *cfg, const char *bootstrap, struct rsd_state *state,
		    int wake_fd, char *errbuf, size_t errlen, struct rsd_cluster **out)
{
	*out = NULL;
	if (!cfg->frontier_topic || !cfg->state_topic || !bootstrap || !state) {
		snprintf(errbuf, errlen,
			 "cluster: frontier_topic, state_topic and a state are required");
		return -EINVAL;
	}
	struct rsd_cluster *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	rsd_kafka_health_init(&c->health, wake_fd);
	pthread_mutex_init(&c->lock, NULL);
	rsd_kafka_cond_init(&c->changed);
	c->cfg = cfg;
	c->close_ms = (int)cfg->shutdown_timeout_s * 1000;
	c->state = state;
	int r = create_clients(c, bootstrap, errbuf, errlen);
	if (r < 0) {
		rsd_cluster_free(c);
		return r;
	}
	*out = c;
	return 0;
}

/* The partition count of topic; -ENOENT when the cluster does not know it. */
static int partition_count(struct rsd_cluster *c, const char *topic, int32_t *n)
{
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(c->prod, topic, NULL);
	const struct rd_kafka_metadata *md = NULL;
	int r = -ENOENT;
	if (!rkt)
		return -ENOMEM;
	/* Ownership: md is ours until rd_kafka_metadata_destroy. */
	if (rd_kafka_metadata(c->prod, 0, rkt, &md, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
	    md->topic_cnt == 1 && !md->topics[0].err && md->topics[0].partition_cnt > 0) {
		*n = md->topics[0].partition_cnt;
		r = 0;
	}
	if (md)
		rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	return r;
}

/* Both topics exist with one partition count (retried for METADATA_MS:
 * the topic check may be creating them). */
static int learn_partitions(struct rsd_cluster *c, char *errbuf, size_t errlen)
{
	int32_t nf = 0, ns = 0;
	int64_t deadline = rsd_now_ms() + METADATA_MS;
	int r;
	do
		r = partition_count(c, c->cfg->frontier_topic, &nf);
	while (r == -ENOENT && rsd_now_ms() < deadline);
	while (r == 0 && (r = partition_count(c, c->cfg->state_topic, &ns)) == -ENOENT &&
	       rsd_now_ms() < deadline)
		;
	if (r < 0) {
		snprintf(errbuf, errlen,
			 "topic %s not found (create it with %u partitions, or let the "
			 "daemon create it)",
			 nf ? c->cfg->state_topic : c->cfg->frontier_topic,
			 c->cfg->cluster_partitions);
		return r;
	}
	if (nf != ns || nf > MAX_PARTITIONS) {
		snprintf(errbuf, errlen,
			 "frontier_topic %s has %d partitions, state_topic %s %d: "
			 "they must be equal (and at most %d)",
			 c->cfg->frontier_topic, (int)nf, c->cfg->state_topic, (int)ns,
			 MAX_PARTITIONS);
		return -EPROTO;
	}
	c->parts = calloc((size_t)nf, sizeof(*c->parts));
	if (!c->parts)
		return -ENOMEM;
	for (int32_t i = 0; i < nf; i++)
		c->parts[i].next = c->parts[i].committed = -1;
	c->n_parts = nf;
	return 0;
}

static int join_group(struct rsd_cluster *c, char *errbuf, size_t errlen)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, c->cfg->frontier_topic, RD_KAFKA_PARTITION_UA);
	rd_kafka_resp_err_t err = rd_kafka_subscribe(c->cons, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (err) {
		snprintf(errbuf, errlen, "subscribe to %s: %s", c->cfg->frontier_topic,
			 rd_kafka_err2str(err));
		return -EINVAL;
	}
	int r = pthread_create(&c->thread, NULL, cluster_main, c);
	if (r) {
		snprintf(errbuf, errlen, "thread: %s", strerror(r));
		return -r;
	}
	/* Named for top -H and crash dumps. */
	pthread_setname_np(c->thread, "rsd-cluster");
	c->started = true;
	return 0;
}

int rsd_cluster_attach(struct rsd_cluster *c, struct rsd_frontier *f, char *errbuf, size_t errlen)
{
	if (!c->parts) {
		int r = learn_partitions(c, errbuf, errlen);
		if (r < 0)
			return r;
	}
	struct rsd_frontier_cluster hooks = { .route = route, .settle = settle, .ctx = c };
	rsd_frontier_set_cluster(f, &hooks);
	pthread_mutex_lock(&c->lock);
	c->frontier = f;
	c->rewind = c->started; /* a frontier after another one */
	pthread_mutex_unlock(&c->lock);
	return c->started ? 0 : join_group(c, errbuf, errlen);
}

void rsd_cluster_detach(struct rsd_cluster *c)
{
	pthread_mutex_lock(&c->lock);
	c->frontier = NULL;
	while (c->in_frontier)
		pthread_cond_wait(&c->changed, &c->lock);
	pthread_mutex_unlock(&c->lock);
}

bool rsd_cluster_leave(struct rsd_cluster *c, int close_ms)
{
	if (c->left)
		return c->closed;
	c->left = true;
	c->close_ms = close_ms; /* published by the store to stop (seq_cst) */
	if (c->started) {
		atomic_store(&c->stop, true);
		/* Wakes rd_kafka_consumer_poll (remembered if not waiting yet). */
		rd_kafka_queue_yield(c->cq);
		pthread_join(c->thread, NULL);
	} else if (c->cons) {
		c->was_member = rsd_kafka_was_member(c->cons);
		c->closed = rsd_kafka_consumer_close(c->cons, close_ms, rebalance_cb);
	} else {
		c->closed = true;
	}
	return c->closed;
}

void rsd_cluster_free(struct rsd_cluster *c)
{
	if (!c)
		return;
	rsd_cluster_leave(c, (int)c->cfg->shutdown_timeout_s * 1000);
	if (c->cq)
		rd_kafka_queue_destroy(c->cq);
	if (c->reader) {
		rd_kafka_consumer_close(c->reader);
		rd_kafka_destroy(c->reader);
	}
	if (c->cons)
		rsd_kafka_consumer_destroy(c->cons, c->was_member && !c->assigned_once, c->closed);
	if (c->prod) {
		rd_kafka_flush(c->prod, (int)c->cfg->shutdown_timeout_s * 1000);
		rd_kafka_destroy(c->prod);
	}
	for (int32_t i = 0; i < c->n_parts; i++) {
		rsd_book_reset(&c->parts[i], NULL, NULL);
		free(c->parts[i].items);
	}
	free(c->parts);
	rsd_done_free(&c->done);
	pthread_cond_destroy(&c->changed);
	pthread_mutex_destroy(&c->lock);
	rsd_kafka_health_destroy(&c->health);
	free(c);
}

const struct rsd_cluster_stats *rsd_cluster_stats(const struct rsd_cluster *c)
{
	return &c->stats;
}

void rsd_cluster_counts_read(struct rsd_cluster *c, struct rsd_cluster_counts *out)
{
	char parts[8], unused[8];
	size_t n, total, hosts;
	const struct rsd_cluster_stats *s = &c->stats;
	rsd_cluster_ownership(c, parts, sizeof parts, &n, &total, &hosts);
	*out = (struct rsd_cluster_counts){
		.routed = atomic_load(&s->routed),
		.received = atomic_load(&s->received),
		.skipped = atomic_load(&s->skipped),
		.settled = atomic_load(&s->settled),
		.abandoned = atomic_load(&s->abandoned),
		.state_read = atomic_load(&s->state_read),
		.state_written = atomic_load(&s->state_written),
		.rebalances = atomic_load(&s->rebalances),
		.assigned = atomic_load(&s->assigned),
		.revoked = atomic_load(&s->revoked),
		.lost = atomic_load(&s->lost),
		.errors = rsd_cluster_last_error(c, unused, sizeof unused),
		.owned = n,
		.partitions = total,
		.hosts = hosts,
	};
}

bool rsd_cluster_running(const struct rsd_cluster *c)
{
	/* started is written before the daemon's next look, by the thread
	 * that reads it (the main thread attaches). */
	return c->started && !atomic_load(&c->stop);
}

void rsd_cluster_ownership(struct rsd_cluster *c, char *buf, size_t len, size_t *n, size_t *total,
			   size_t *hosts)
{
	size_t used = 0;
	*n = 0;
	buf[0] = '\0';
	pthread_mutex_lock(&c->lock);
	*total = (size_t)c->n_parts;
	for (int32_t i = 0; i < c->n_parts; i++) {
		if (!c->parts[i].owned)
			continue;
		(*n)++;
		int w = snprintf(buf + used, used < len ? len - used : 0, "%s%d", used ? "," : "",
				 i);
		used += w > 0 ? (size_t)w : 0;
	}
	pthread_mutex_unlock(&c->lock);
	struct rsd_frontier *f = frontier_enter(c);
	*hosts = f ? rsd_frontier_count_hosts(f, owns_host, c) : 0;
	if (f)
		frontier_leave(c);
}

uint64_t rsd_cluster_last_error(struct rsd_cluster *c, char *buf, size_t len)
{
	return rsd_kafka_health_last_error(&c->health, buf, len);
}

int rsd_cluster_fatal(struct rsd_cluster *c, char *buf, size_t len)
{
	return rsd_kafka_health_fatal(&c->health, buf, len);
}
