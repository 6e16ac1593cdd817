/* SPDX-License-Identifier: MIT */
/* Shared librdkafka configuration and error bookkeeping (see kafka_conf.h). */
#include "kafka/kafka_conf.h"
#include "core/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

void rsd_kafka_health_init(struct rsd_kafka_health *h, int wake_fd)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	h->wake_fd = wake_fd;
}

void rsd_kafka_health_destroy(struct rsd_kafka_health *h)
{
	pthread_mutex_destroy(&h->lock);
}

void rsd_kafka_cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &ca);
	pthread_condattr_destroy(&ca);
}

bool rsd_kafka_health_record(struct rsd_kafka_health *h, rd_kafka_t *rk, rd_kafka_resp_err_t err,
			     const char *reason)
{
	char fatal[384] = "";
	rd_kafka_resp_err_t orig = RD_KAFKA_RESP_ERR_NO_ERROR;
	bool newly_fatal = false;

	/* Ask librdkafka outside our lock: it takes its own locks. */
	if (err == RD_KAFKA_RESP_ERR__FATAL && rk)
		orig = rd_kafka_fatal_error(rk, fatal, sizeof(fatal));

	pthread_mutex_lock(&h->lock);
	h->errors++;
	snprintf(h->last_error, sizeof(h->last_error), "%s: %s", rd_kafka_err2name(err),
		 reason ? reason : "");
	if (err == RD_KAFKA_RESP_ERR__FATAL && !h->fatal) {
		h->fatal = true;
		newly_fatal = true;
		snprintf(h->fatal_error, sizeof(h->fatal_error), "%s: %s",
			 rd_kafka_err2name(orig ? orig : err),
			 orig ? fatal : (reason ? reason : ""));
	}
	pthread_mutex_unlock(&h->lock);

	if (newly_fatal)
		rsd_eventfd_signal(h->wake_fd);
	return err == RD_KAFKA_RESP_ERR__FATAL;
}

int rsd_kafka_health_fatal(struct rsd_kafka_health *h, char *buf, size_t len)
{
	int fatal;

	pthread_mutex_lock(&h->lock);
	fatal = h->fatal;
	if (fatal && buf && len)
		snprintf(buf, len, "%s", h->fatal_error);
	pthread_mutex_unlock(&h->lock);
	return fatal;
}

uint64_t rsd_kafka_health_last_error(struct rsd_kafka_health *h, char *buf, size_t len)
{
	uint64_t n;

	pthread_mutex_lock(&h->lock);
	n = h->errors;
	if (buf && len)
		snprintf(buf, len, "%s", h->last_error);
	pthread_mutex_unlock(&h->lock);
	return n;
}

/* librdkafka error callback: served on the thread that polls the client. */
static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	rsd_kafka_health_record(opaque, rk, (rd_kafka_resp_err_t)err, reason);
}

static rsd_kafka_debug_fn *debug_handler;

void rsd_kafka_set_debug_handler(rsd_kafka_debug_fn *fn)
{
	debug_handler = fn;
}

/* librdkafka logs through syslog or stderr by default; a module must not.
 * Errors reach the daemon through error_cb (counted, and logged at most
 * once a tick), so librdkafka's own error and warning lines, which repeat
 * them, are dropped. Debug lines are passed on: librdkafka writes them
 * only for the contexts the operator names in a "debug" property. Runs on
 * librdkafka's threads. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	if (level == LOG_DEBUG && debug_handler)
		debug_handler(rd_kafka_name(rk), fac, buf);
}

/* secret: librdkafka's reason may quote the value, which must not be shown. */
static int set_prop(rd_kafka_conf_t *conf, const char *key, const char *value, bool secret,
		    const char *file, unsigned line, char *errbuf, size_t errlen)
{
	char reason[256];

	if (rd_kafka_conf_set(conf, key, value, reason, sizeof(reason)) == RD_KAFKA_CONF_OK)
		return 0;
	if (secret)
		snprintf(reason, sizeof(reason), "invalid value (secret)");
	if (file)
		snprintf(errbuf, errlen, "%s:%u: %s: %s", file, line, key, reason);
	else
		snprintf(errbuf, errlen, "%s: %s", key, reason);
	return -EINVAL;
}

static int set_pairs(rd_kafka_conf_t *conf, const char *const *pairs, char *errbuf, size_t errlen)
{
	for (size_t i = 0; pairs && pairs[i]; i += 2) {
		if (set_prop(conf, pairs[i], pairs[i + 1], false, NULL, 0, errbuf, errlen) < 0)
			return -EINVAL;
	}
	return 0;
}

static int set_list(rd_kafka_conf_t *conf, const struct rsd_config *cfg,
		    const struct rsd_kv_list *list, char *errbuf, size_t errlen)
{
	for (size_t i = 0; list && i < list->n; i++) {
		const struct rsd_kv *kv = &list->items[i];

		if (set_prop(conf, kv->key, kv->value, kv->secret, cfg->path ? cfg->path : "config",
			     kv->line, errbuf, errlen) < 0)
			return -EINVAL;
	}
	return 0;
}

#define PROGRESS_EVERY_MS 1000 /* the slices of a bounded commit */

rd_kafka_resp_err_t rsd_kafka_commit_within(rd_kafka_t *rk,
					    const rd_kafka_topic_partition_list_t *offsets,
					    int timeout_ms, atomic_uint_fast64_t *progress)
{
	/* Ownership: q is ours (destroyed here); the answer comes on it as an
	 * event, ours until rd_kafka_event_destroy. An answer that comes after
	 * the queue is gone is dropped by librdkafka. */
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	if (!q)
		return RD_KAFKA_RESP_ERR__FAIL; /* out of memory */
	rd_kafka_resp_err_t err = rd_kafka_commit_queue(rk, offsets, q, NULL, NULL);
	rd_kafka_event_t *ev = NULL;
	int64_t end = rsd_now_ms() + timeout_ms, left = timeout_ms;
	while (!err && !ev && left > 0) {
		ev = rd_kafka_queue_poll(
			q, (int)(left < PROGRESS_EVERY_MS ? left : PROGRESS_EVERY_MS));
		if (progress)
			atomic_fetch_add(progress, 1);
		if (ev && rd_kafka_event_type(ev) != RD_KAFKA_EVENT_OFFSET_COMMIT) {
			rd_kafka_event_destroy(ev); /* not the answer */
			ev = NULL;
		}
		left = end - rsd_now_ms();
	}
	if (!err)
		err = ev ? rd_kafka_event_error(ev) : RD_KAFKA_RESP_ERR__TIMED_OUT;
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	return err;
}

bool rsd_kafka_consumer_close(rd_kafka_t *rk, int timeout_ms, rsd_kafka_rebalance_fn *rebalance)
{
	/* The close posts the group's events (revocations, messages still
	 * fetched, errors) and, once done, a wake-up to q: served here as
	 * rd_kafka_consumer_close() would, but with an end. q is ours
	 * (rd_kafka_queue_destroy); librdkafka keeps its own reference while
	 * the close runs. */
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	if (!q)
		return false;
	rd_kafka_error_t *error = rd_kafka_consumer_close_queue(rk, q);
	bool closed = true;
	if (error) {
		/* Not a group consumer, closed already, or a fatal error:
		 * nothing runs that destroying could wait for. */
		rd_kafka_error_destroy(error); /* ours */
	} else {
		int64_t deadline = rsd_now_ms() + timeout_ms;
		int64_t left = timeout_ms;
		while (!(closed = rd_kafka_consumer_closed(rk)) && left > 0) {
			rd_kafka_event_t *ev = rd_kafka_queue_poll(q, (int)left); /* ours */
			if (ev && rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE)
				rebalance(rk, rd_kafka_event_error(ev),
					  rd_kafka_event_topic_partition_list(ev),
					  rd_kafka_opaque(rk));
			if (ev)
				rd_kafka_event_destroy(ev);
			left = deadline - rsd_now_ms();
		}
	}
	rd_kafka_queue_destroy(q);
	return closed;
}

void rsd_kafka_consumer_destroy(rd_kafka_t *rk, bool at_risk, bool closed)
{
	if (closed && (!at_risk || rd_kafka_version() >= 0x020300ff))
		rd_kafka_destroy(rk);
}

bool rsd_kafka_was_member(rd_kafka_t *rk)
{
	char *id = rd_kafka_memberid(rk); /* ours, freed with rd_kafka_mem_free */
	bool member = id && *id;
	if (id)
		rd_kafka_mem_free(rk, id);
	return member;
}

rd_kafka_conf_t *rsd_kafka_conf_new(const struct rsd_config *cfg, const char *bootstrap,
				    const char *const *defaults,
				    const struct rsd_kv_list *client_props,
				    const char *const *forced, struct rsd_kafka_health *health,
				    char *errbuf, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	if (!conf) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	if (set_prop(conf, "bootstrap.servers", bootstrap,
		     rsd_config_secret(cfg, "kafka", "brokers"), NULL, 0, errbuf, errlen) < 0 ||
	    set_prop(conf, "client.id", cfg->identifier ? cfg->identifier : "recipe-scraperd",
		     rsd_config_secret(cfg, "journal", "identifier"), NULL, 0, errbuf,
		     errlen) < 0 ||
	    (cfg->kafka_debug &&
	     set_prop(conf, "debug", cfg->kafka_debug, rsd_config_secret(cfg, "kafka", "debug"),
		      NULL, 0, errbuf, errlen) < 0) ||
	    set_pairs(conf, defaults, errbuf, errlen) < 0 ||
	    set_list(conf, cfg, &cfg->kafka_props, errbuf, errlen) < 0 ||
	    set_list(conf, cfg, client_props, errbuf, errlen) < 0 ||
	    set_pairs(conf, forced, errbuf, errlen) < 0) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_opaque(conf, health);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	rd_kafka_conf_set_log_cb(conf, log_cb);
	return conf;
}
