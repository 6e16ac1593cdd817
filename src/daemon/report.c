/* SPDX-License-Identifier: MIT */
/* What the main thread tells the operator: the counters (STATUS=, the
 * periodic stats line), the topic check's outcome, pages given up on,
 * refused or skipped, and librdkafka's errors and debug lines. Called from
 * the main thread (the page and refusal callbacks from scraper workers:
 * rsd_log is thread-safe). See running.h for the state it reads. */
#include "daemon/running.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

/* ---- counters ---------------------------------------------------------- */

static uint64_t producer_error_count(struct rsd_producer *p)
{
	char unused[8];
	return rsd_producer_last_error(p, unused, sizeof unused);
}

static uint64_t consumer_error_count(struct rsd_consumer *c)
{
	char unused[8];
	return rsd_consumer_last_error(c, unused, sizeof unused);
}

/* The cluster's totals are its first fields, all uint64_t: added as one
 * array, so that a new total cannot be forgotten here. */
#define CLUSTER_TOTALS (offsetof(struct rsd_cluster_counts, owned) / sizeof(uint64_t))

static void cluster_totals_add(struct rsd_cluster_counts *to, const struct rsd_cluster_counts *from)
{
	uint64_t a[CLUSTER_TOTALS], b[CLUSTER_TOTALS];
	memcpy(a, to, sizeof a);
	memcpy(b, from, sizeof b);
	for (size_t i = 0; i < CLUSTER_TOTALS; i++)
		a[i] += b[i];
	memcpy(to, a, sizeof a);
}

/* The cluster's: the totals of the freed ones plus the live one's. */
static void cluster_counters_read(const struct rsd_daemon *d, struct counters *c)
{
	c->cluster_mode = d->cfg && d->cfg->frontier_topic;
	c->cluster = d->cluster_totals;
	if (d->cluster) {
		struct rsd_cluster_counts now;
		rsd_cluster_counts_read(d->cluster, &now);
		cluster_totals_add(&c->cluster, &now);
		c->cluster.owned = now.owned;
		c->cluster.partitions = now.partitions;
		c->cluster.hosts = now.hosts;
	}
}

void daemon_counters_read(const struct rsd_daemon *d, struct counters *c)
{
	memset(c, 0, sizeof *c);
	c->fetched = d->pages_fetched;
	c->failed = d->pages_failed;
	c->produced = d->produced;
	c->acknowledged = d->acknowledged;
	c->failed_records = d->failed_records;
	c->too_large = d->too_large;
	c->raw_skipped = d->raw_skipped;
	c->consumed = d->consumed;
	c->alerts = d->alerts;
	c->invalid = d->invalid;
	c->records = d->records;
	c->no_recipe = d->no_recipe;
	c->sink_errors = d->sink_errors;
	c->producer_errors = d->producer_errors;
	c->consumer_errors = d->consumer_errors;
	memcpy(c->by_cause, d->by_cause, sizeof c->by_cause);
	if (d->scraper) {
		const struct rsd_scraper_stats *s = rsd_scraper_stats(d->scraper);
		c->fetched += atomic_load(&s->pages_fetched);
		c->failed += atomic_load(&s->pages_failed);
		for (size_t i = 0; i < RSD_CAUSE_COUNT; i++)
			c->by_cause[i] += atomic_load(&s->by_cause[i]);
		c->records += atomic_load(&s->records);
		c->no_recipe += atomic_load(&s->no_recipe);
		c->in_flight = atomic_load(&s->in_flight);
		c->queued = atomic_load(&s->queued);
	}
	if (d->producer) {
		const struct rsd_producer_stats *p = rsd_producer_stats(d->producer);
		c->produced += atomic_load(&p->produced);
		c->acknowledged += atomic_load(&p->acknowledged);
		c->failed_records += atomic_load(&p->failed);
		c->too_large += atomic_load(&p->too_large);
		c->raw_skipped += atomic_load(&p->raw_skipped);
		c->outq = atomic_load(&p->outq);
		c->producer_errors += producer_error_count(d->producer);
	}
	if (d->consumer) {
		const struct rsd_consumer_stats *s = rsd_consumer_stats(d->consumer);
		c->consumed += atomic_load(&s->consumed);
		c->alerts += atomic_load(&s->alerts);
		c->invalid += atomic_load(&s->invalid);
		c->lag = atomic_load(&s->lag);
		c->assigned = atomic_load(&s->assigned);
		c->sink_errors += atomic_load(&s->sink_errors);
		c->consumer_errors += consumer_error_count(d->consumer);
	}
	if (d->ring) {
		c->ring_depth = rsd_ring_size(d->ring);
		c->ring_capacity = rsd_ring_capacity(d->ring);
		c->ring_bytes = rsd_ring_bytes(d->ring);
	}
	for (size_t i = 0; i < RSD_CAUSE_COUNT; i++)
		*(rsd_cause_is_refusal(i) ? &c->refused : &c->skipped) += c->by_cause[i];
	cluster_counters_read(d, c);
}

/* Fold a component's counters into the totals before it is freed. */
void daemon_counters_retire_scraper(struct rsd_daemon *d)
{
	const struct rsd_scraper_stats *s = rsd_scraper_stats(d->scraper);
	d->ring_records += atomic_load(&s->records);
	d->records += atomic_load(&s->records);
	d->no_recipe += atomic_load(&s->no_recipe);
	d->pages_fetched += atomic_load(&s->pages_fetched);
	d->pages_failed += atomic_load(&s->pages_failed);
	for (size_t i = 0; i < RSD_CAUSE_COUNT; i++)
		d->by_cause[i] += atomic_load(&s->by_cause[i]);
}

void daemon_counters_retire_producer(struct rsd_daemon *d)
{
	const struct rsd_producer_stats *p = rsd_producer_stats(d->producer);
	d->produced += atomic_load(&p->produced);
	d->acknowledged += atomic_load(&p->acknowledged);
	d->failed_records += atomic_load(&p->failed);
	d->too_large += atomic_load(&p->too_large);
	d->raw_skipped += atomic_load(&p->raw_skipped);
	d->producer_errors += producer_error_count(d->producer);
}

void daemon_counters_retire_consumer(struct rsd_daemon *d)
{
	const struct rsd_consumer_stats *s = rsd_consumer_stats(d->consumer);
	d->consumed += atomic_load(&s->consumed);
	d->alerts += atomic_load(&s->alerts);
	d->invalid += atomic_load(&s->invalid);
	d->sink_errors += atomic_load(&s->sink_errors);
	d->consumer_errors += consumer_error_count(d->consumer);
}

void daemon_counters_retire_cluster(struct rsd_daemon *d)
{
	struct rsd_cluster_counts now;
	rsd_cluster_counts_read(d->cluster, &now);
	cluster_totals_add(&d->cluster_totals, &now);
}

/* "12 refused: 12 private address (allow_private_addresses = off)", or
 * the same for the skips: pages by cause, each with the setting that
 * decided, so the operator sees what to change. */
void daemon_format_causes(char *buf, size_t len, const uint64_t *by_cause, bool refusals)
{
	uint64_t total = 0;
	for (size_t i = 0; i < RSD_CAUSE_COUNT; i++)
		total += rsd_cause_is_refusal(i) == refusals ? by_cause[i] : 0;
	int at = snprintf(buf, len, "%" PRIu64 " %s", total, refusals ? "refused" : "skipped");
	const char *sep = ": ";
	for (size_t i = 0; i < RSD_CAUSE_COUNT && at >= 0 && (size_t)at < len; i++) {
		if (rsd_cause_is_refusal(i) != refusals || by_cause[i] == 0)
			continue;
		const struct rsd_cause_info *info = rsd_cause_info(i);
		int n = snprintf(buf + at, len - (size_t)at, "%s%" PRIu64 " %s", sep, by_cause[i],
				 info->label);
		if (n >= 0 && info->setting && (size_t)(at + n) < len)
			n += snprintf(buf + at + n, len - (size_t)(at + n), " (%s)", info->setting);
		at = n < 0 ? n : at + n;
		sep = ", ";
	}
}

void daemon_notify_status(const struct rsd_daemon *d)
{
	struct counters c;
	char refused[512], cluster[320];
	daemon_counters_read(d, &c);
	daemon_format_causes(refused, sizeof refused, c.by_cause, true);
	rsd_cluster_log_status(d->cluster, cluster, sizeof cluster);
	sd_notifyf(0,
		   "STATUS=pages %" PRIu64 " fetched, %" PRIu64 " failed, %s, %" PRIu64
		   " skipped, %" PRIu64 " queued; records %" PRIu64 " produced, %" PRIu64
		   " acked, %" PRIu64 " in flight; consumed %" PRIu64 " (%" PRIu64
		   " alerts); ring %zu/%zu%s%s%s",
		   c.fetched, c.failed, refused, c.skipped, c.queued, c.produced, c.acknowledged,
		   c.produced - c.acknowledged - c.failed_records, c.consumed, c.alerts,
		   c.ring_depth, c.ring_capacity, cluster,
		   d->reload_rejected ? "; last reload rejected: " : "",
		   d->reload_rejected ? d->reload_rejected : "");
}

/* The fields of cf, then one per cause (PAGES_REFUSED_..., PAGES_SKIPPED_...). */
void daemon_format_counter_fields(const struct counter_field *cf, size_t n,
				  const uint64_t *by_cause, char buf[][48], const char **out)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k < RSD_MAX_COUNTER_FIELDS; i++, k++)
		snprintf(buf[k], 48, "%s=%" PRIu64, cf[i].name, cf[i].value);
	for (size_t i = 0; i < RSD_CAUSE_COUNT && k < RSD_MAX_COUNTER_FIELDS; i++, k++)
		snprintf(buf[k], 48, "%s=%" PRIu64, rsd_cause_info(i)->field, by_cause[i]);
	for (size_t i = 0; i < k; i++)
		out[i] = buf[i];
	out[k] = NULL;
}

static size_t append_fields(struct counter_field *cf, size_t n, const struct counter_field *add,
			    size_t k)
{
	memcpy(cf + n, add, k * sizeof *add);
	return n + k;
}

size_t daemon_counter_list(const struct counters *c, bool now, struct counter_field *cf)
{
	const struct counter_field totals[] = {
		{ "PAGES_FETCHED", c->fetched },
		{ "PAGES_FAILED", c->failed },
		{ "PAGES_REFUSED", c->refused },
		{ "PAGES_SKIPPED", c->skipped },
		{ "RECORDS_PRODUCED", c->produced },
		{ "RECORDS_ACKNOWLEDGED", c->acknowledged },
		{ "RECORDS_FAILED", c->failed_records },
		{ "RECORDS_TOO_LARGE", c->too_large },
		{ "RAW_SKIPPED", c->raw_skipped },
		{ "RECORDS_CONSUMED", c->consumed },
		{ "ALERTS", c->alerts },
		{ "INVALID_RECORDS", c->invalid },
	};
	const struct counter_field gauges[] = {
		{ "RING_DEPTH", c->ring_depth },
		{ "KAFKA_OUTQ", c->outq },
		{ "CONSUMER_LAG", c->lag },
		{ "FRONTIER_QUEUED", c->queued },
		{ "FETCHES_IN_FLIGHT", c->in_flight },
	};
	const struct rsd_cluster_counts *k = &c->cluster;
	/* The totals, then the two gauges (the stats entry's only). */
	const struct counter_field cluster[] = {
		{ "CLUSTER_FRONTIER_PRODUCED", k->routed },
		{ "CLUSTER_FRONTIER_CONSUMED", k->received },
		{ "CLUSTER_FRONTIER_SKIPPED", k->skipped },
		{ "CLUSTER_FRONTIER_SETTLED", k->settled },
		{ "CLUSTER_FRONTIER_ABANDONED", k->abandoned },
		{ "CLUSTER_STATE_PRODUCED", k->state_written },
		{ "CLUSTER_STATE_CONSUMED", k->state_read },
		{ "CLUSTER_REBALANCES", k->rebalances },
		{ "CLUSTER_PARTITIONS_ASSIGNED", k->assigned },
		{ "CLUSTER_PARTITIONS_REVOKED", k->revoked },
		{ "CLUSTER_PARTITIONS_LOST", k->lost },
		{ "CLUSTER_PARTITIONS_OWNED", k->owned },
		{ "CLUSTER_HOSTS", k->hosts },
	};
	size_t n = append_fields(cf, 0, totals, sizeof totals / sizeof totals[0]);
	if (now)
		n = append_fields(cf, n, gauges, sizeof gauges / sizeof gauges[0]);
	if (c->cluster_mode)
		n = append_fields(cf, n, cluster,
				  sizeof cluster / sizeof cluster[0] - (now ? 0 : 2));
	return n;
}

/* "; crawl cluster: 3/12 partitions owned, 2 rebalances ..." for the stats
 * message (now) and the stopping one (the totals: it owns nothing any
 * more); "" in single-node mode. */
void daemon_format_cluster(char *buf, size_t len, const struct counters *c, bool now)
{
	const struct rsd_cluster_counts *k = &c->cluster;
	char owned[64] = "";
	buf[0] = '\0';
	if (!c->cluster_mode)
		return;
	if (now)
		snprintf(owned, sizeof owned, "%" PRIu64 "/%" PRIu64 " partitions owned, ",
			 k->owned, k->partitions);
	snprintf(buf, len,
		 "; crawl cluster: %s%" PRIu64 " rebalances (%" PRIu64 " partitions lost), %" PRIu64
		 " frontier messages read (%" PRIu64 " settled, %" PRIu64
		 " left to the next owner), %" PRIu64 " produced",
		 owned, k->rebalances, k->lost, k->received, k->settled, k->abandoned, k->routed);
}

void daemon_log_stats(const struct rsd_daemon *d)
{
	struct counters c;
	daemon_counters_read(d, &c);
	struct counter_field cf[RSD_MAX_COUNTER_FIELDS];
	size_t n = daemon_counter_list(&c, true, cf);
	char buf[RSD_MAX_COUNTER_FIELDS][48], cluster[320];
	const char *fields[RSD_MAX_COUNTER_FIELDS + 1];
	daemon_format_counter_fields(cf, n, c.by_cause, buf, fields);
	daemon_format_cluster(cluster, sizeof cluster, &c, true);
	rsd_log_event(LOG_INFO, RSD_MID_STATS, fields,
		      "Stats: %" PRIu64 " pages fetched, %" PRIu64 " refused, %" PRIu64
		      " skipped, %" PRIu64 " records acknowledged (%" PRIu64 " failed), %" PRIu64
		      " raw pages not published, %" PRIu64 " consumed, ring %zu/%zu%s",
		      c.fetched, c.refused, c.skipped, c.acknowledged, c.failed_records,
		      c.raw_skipped, c.consumed, c.ring_depth, c.ring_capacity, cluster);
}

/* ---- topic check ----------------------------------------------------------- */

const char *daemon_brokers_shown(const struct rsd_daemon *d)
{
	return rsd_config_shown(d->kafka_cfg ? d->kafka_cfg : d->cfg, "kafka", "brokers",
				d->bootstrap);
}

/* What an operator types to create the topic by hand. */
static void create_command(const struct rsd_daemon *d, const struct rsd_topic_want *w, char *buf,
			   size_t len)
{
	int n = snprintf(buf, len,
			 "kafka-topics.sh --bootstrap-server %s --create --topic %s "
			 "--partitions %d",
			 daemon_brokers_shown(d), w->name, w->partitions);
	if (n > 0 && (size_t)n < len && w->replication_factor > 0)
		n += snprintf(buf + n, len - (size_t)n, " --replication-factor %d",
			      w->replication_factor);
	if (n > 0 && (size_t)n < len && w->max_message_bytes)
		snprintf(buf + n, len - (size_t)n, " --config max.message.bytes=%ju",
			 (uintmax_t)w->max_message_bytes);
}

/* Why a topic was not created, and what the operator can do besides
 * creating it by hand: by the kind of error (an ACL does not lift a policy,
 * nor do settings a timeout). */
static void not_created_advice(rd_kafka_resp_err_t err, const char **why, const char **remedy)
{
	*why = "the cluster refused the settings";
	*remedy = ", or correct [producer] partitions and replication_factor";
	switch (err) {
	case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
		*why = "this client may not create topics";
		*remedy = ", or allow this client to create it (ACL operation CREATE)";
		break;
	case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
		*why = "the cluster's topic creation policy refused it";
		*remedy = " with settings the policy accepts, or correct [producer] partitions and "
			  "replication_factor";
		break;
	case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
	case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
		*why = "the cluster does not let clients create topics";
		*remedy = "";
		break;
	case RD_KAFKA_RESP_ERR__INVALID_ARG:
		*why = "the settings are not valid";
		break;
	default:
		if (err < 0) { /* librdkafka's own: no answer in time, connection lost */
			*why = "the creation did not complete";
			*remedy = "; the check runs again at the next start, or when a reload "
				  "recreates the Kafka clients";
		}
	}
}

static void log_topic_not_created(const struct rsd_daemon *d, const struct rsd_topic_result *r)
{
	const struct rsd_topic_want *w = &r->want;
	char topic[300], error[96], cmd[1024];
	const char *why, *remedy;
	/* The broker's text often ends with a full stop; the message goes on. */
	int reason_len = (int)strlen(r->reason);
	if (reason_len > 0 && r->reason[reason_len - 1] == '.')
		reason_len--;
	snprintf(topic, sizeof topic, "KAFKA_TOPIC=%s", r->name);
	snprintf(error, sizeof error, "KAFKA_ERROR=%s", rd_kafka_err2name(r->err));
	const char *fields[] = { topic, error, NULL };
	create_command(d, w, cmd, sizeof cmd);
	not_created_advice(r->err, &why, &remedy);
	rsd_log_event(
		LOG_ERR, RSD_MID_TOPIC_NOT_CREATED, fields,
		"Cannot create Kafka topic %s: %s%s%.*s; %s. Its records fail until it exists: "
		"create it (%s)%s",
		r->name, rd_kafka_err2name(r->err), reason_len ? ": " : "", reason_len, r->reason,
		why, cmd, remedy);
}

static void log_topic_result(const struct rsd_daemon *d, const struct rsd_topic_result *r)
{
	const struct rsd_topic_want *w = &r->want;
	char topic[300], parts[48], replicas[48];
	snprintf(topic, sizeof topic, "KAFKA_TOPIC=%s", r->name);
	snprintf(replicas, sizeof replicas, "%d", w->replication_factor);
	snprintf(parts, sizeof parts, "KAFKA_PARTITIONS=%d", r->partitions);
	const char *fields[] = { topic, parts, NULL };
	switch (r->outcome) {
	case RSD_TOPIC_EXISTS:
		break;
	case RSD_TOPIC_CREATED:
		rsd_log_event(LOG_NOTICE, RSD_MID_TOPIC_CREATED, fields,
			      "Created Kafka topic %s with %d partitions, replication factor %s",
			      r->name, r->partitions,
			      w->replication_factor > 0 ? replicas : "of the broker's default");
		break;
	case RSD_TOPIC_FEWER_PARTITIONS:
		rsd_log_event(
			LOG_WARNING, RSD_MID_TOPIC_PARTITIONS, fields,
			"Kafka topic %s has %d partitions, fewer than [producer] partitions = %d: "
			"at most %d consumers of a group share it. Existing topics are left as "
			"they are; to add partitions: kafka-topics.sh --bootstrap-server %s "
			"--alter --topic %s --partitions %d",
			r->name, r->partitions, w->partitions, r->partitions,
			daemon_brokers_shown(d), r->name, w->partitions);
		break;
	case RSD_TOPIC_REFUSED:
	case RSD_TOPIC_FAILED:
		log_topic_not_created(d, r);
		break;
	}
}

/* Once the check has finished: its outcome, once per check. */
void daemon_report_topics(struct rsd_daemon *d)
{
	size_t n;
	const struct rsd_topic_result *res = rsd_topics_results(d->topics, &n);
	if (!res || d->topics_reported)
		return;
	d->topics_reported = true;
	for (size_t i = 0; i < n; i++)
		log_topic_result(d, &res[i]);
}

/* ---- pages refused, skipped, given up on ---------------------------------- */

/* Each page given up on is logged once, with its reason, from the worker
 * thread that gave up (rsd_log is thread-safe). */
void daemon_log_page_failure(void *ctx, const char *url, long http_code, const char *reason)
{
	char code[32], url_field[2048];
	snprintf(code, sizeof code, "HTTP_STATUS=%ld", http_code);
	snprintf(url_field, sizeof url_field, "PAGE_URL=%s", url);
	const char *fields[] = { url_field, http_code ? code : NULL, NULL };
	if (http_code)
		rsd_log_event(LOG_WARNING, NULL, fields, "Giving up on %s: HTTP %ld, %s", url,
			      http_code, reason);
	else
		rsd_log_event(LOG_WARNING, NULL, fields, "Giving up on %s: %s", url, reason);
}

/* The journal fields of a refusal or skip (CONFIG_KEY= when with_key). */
struct refusal_fields {
	char cause[64], host[320], url[2100], detail[1500], key[64];
	const char *v[6]; /* NULL-terminated, into the buffers above */
};

static void refusal_fields(struct refusal_fields *f, const struct rsd_refusal *r, bool with_key)
{
	const struct rsd_cause_info *info = rsd_cause_info(r->cause);
	size_t n = 0;
	snprintf(f->cause, sizeof f->cause, "REFUSAL_CAUSE=%s", info->name);
	snprintf(f->host, sizeof f->host, "URL_HOST=%s", r->host);
	f->v[n++] = f->cause;
	f->v[n++] = f->host;
	if (r->url && snprintf(f->url, sizeof f->url, "PAGE_URL=%s", r->url) >= 0)
		f->v[n++] = f->url;
	if (r->detail && snprintf(f->detail, sizeof f->detail, "REFUSAL_DETAIL=%s", r->detail) >= 0)
		f->v[n++] = f->detail;
	if (with_key && info->key &&
	    snprintf(f->key, sizeof f->key, "CONFIG_KEY=%s", info->key) >= 0)
		f->v[n++] = f->key;
	f->v[n] = NULL;
}

/* The first refusal of a (host, cause) pair: what was refused, why (the
 * address, the rule, the status), and the setting that changes it. */
static void log_first_refusal(const struct rsd_refusal *r)
{
	const struct rsd_cause_info *info = rsd_cause_info(r->cause);
	struct refusal_fields f;
	refusal_fields(&f, r, true);
	rsd_log_event(LOG_WARNING, RSD_MID_REFUSED, f.v,
		      "Refused %.512s on host %s: %s%s%s; %s (further %s refusals on %s are only "
		      "counted)",
		      r->url ? r->url : "a page", r->host, info->label, r->detail ? ": " : "",
		      r->detail ? r->detail : "", info->remedy, info->label, r->host);
}

/* Every refused page is counted (by the pool); the first of each (host,
 * cause) pair is logged at warning priority, so a hostile site refusing a
 * million pages costs one line per cause, and a million hosts at most
 * RSD_REFUSAL_REPORTS lines. Skips are counted only, unless log_level =
 * debug asks for a line per page (bounded by the line budget). Called from worker
 * threads, sometimes under the frontier's lock: a table lookup, and a
 * journal write for the first of a pair only. */
void daemon_log_suppressed_page_lines(uint64_t n)
{
	if (n)
		rsd_log(LOG_DEBUG,
			"%" PRIu64 " lines about refused or skipped pages suppressed (at most %d a "
			"second); every page is still counted",
			n, RSD_PAGE_LINES_PER_S);
}

/* log_level = debug: one line per refused or skipped page, with its cause. */
static void log_page_refusal(struct rsd_daemon *d, const struct rsd_refusal *r)
{
	uint64_t suppressed = 0;
	if (!rsd_line_budget_take(&d->page_lines, rsd_now_usec(CLOCK_MONOTONIC), &suppressed))
		return;
	daemon_log_suppressed_page_lines(suppressed);
	const struct rsd_cause_info *info = rsd_cause_info(r->cause);
	struct refusal_fields f;
	refusal_fields(&f, r, false);
	rsd_log_event(LOG_DEBUG, NULL, f.v, "%s %.512s on host %s: %s%s%s",
		      rsd_cause_is_refusal(r->cause) ? "Refused" : "Skipped",
		      r->url ? r->url : "a page", r->host, info->label, r->detail ? ": " : "",
		      r->detail ? r->detail : "");
}

void daemon_log_refusal(void *ctx, const struct rsd_refusal *r)
{
	struct rsd_daemon *d = ctx;
	if (rsd_log_enabled(LOG_DEBUG))
		log_page_refusal(d, r);
	if (!rsd_cause_is_refusal(r->cause))
		return;
	switch (rsd_refusal_table_note(d->refusals, r->host, r->cause)) {
	case RSD_REPORT_NEW:
		log_first_refusal(r);
		break;
	case RSD_REPORT_FULL: {
		const char *fields[] = { "REFUSALS_NOT_ITEMISED=1", NULL };
		rsd_log_event(
			LOG_WARNING, RSD_MID_REFUSED, fields,
			"Refusals on more than %d (host, cause) pairs: further refusals not "
			"itemised; they are still counted (STATUS=, statistics, stop summary)",
			RSD_REFUSAL_REPORTS);
		break;
	}
	default:
		break;
	}
}

/* ---- librdkafka errors -------------------------------------------------- */

/* librdkafka errors (broker down, authentication, ...) are recorded by the
 * clients; logging the latest once a tick keeps an outage readable without
 * flooding the journal. */
static void log_kafka_errors(const char *client, uint64_t count, uint64_t *seen, const char *last)
{
	if (count == *seen)
		return;
	rsd_log(LOG_WARNING, "Kafka %s: %s (%" PRIu64 " error%s since the last report)", client,
		last, count - *seen, count - *seen == 1 ? "" : "s");
	*seen = count;
}

/* librdkafka's debug lines, when a "debug" property asks for them. */
void daemon_log_kafka_debug(const char *client, const char *facility, const char *message)
{
	char client_field[128], facility_field[64];
	snprintf(client_field, sizeof client_field, "KAFKA_CLIENT=%s", client);
	snprintf(facility_field, sizeof facility_field, "KAFKA_FACILITY=%s", facility);
	const char *fields[] = { client_field, facility_field, NULL };
	/* asked for by [kafka] debug: written whatever log_level says */
	rsd_log_event_always(LOG_DEBUG, NULL, fields, "librdkafka %s %s: %s", client, facility,
			     message);
}

void daemon_report_kafka_errors(struct rsd_daemon *d)
{
	char last[256];
	if (d->producer)
		log_kafka_errors("producer",
				 rsd_producer_last_error(d->producer, last, sizeof last),
				 &d->producer_errors_seen, last);
	if (d->consumer)
		log_kafka_errors("consumer",
				 rsd_consumer_last_error(d->consumer, last, sizeof last),
				 &d->consumer_errors_seen, last);
}
