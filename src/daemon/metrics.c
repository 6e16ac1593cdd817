/* SPDX-License-Identifier: MIT */
/* /metrics and /healthz over libmicrohttpd (see metrics.h).
 *
 * Bounds, so that a scraper gone wrong (or a hostile client on the
 * management network) cannot take more than a little of the daemon: one
 * internal polling thread serves every connection, at most
 * RSD_METRICS_CONNECTIONS at once and RSD_METRICS_PER_IP from one address
 * (the others are accepted and closed at once), and a connection idle for
 * RSD_METRICS_TIMEOUT_S is dropped. Only GET and HEAD of the two paths. */
#include "daemon/metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RSD_METRICS_CONNECTIONS 16
#define RSD_METRICS_PER_IP 8
#define RSD_METRICS_TIMEOUT_S 10
#define RSD_METRICS_BACKLOG 64
#define RSD_PREFIX "recipe_scraperd_"
#define CONTENT_TYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"

struct rsd_metrics {
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock; /* guards snapshot only: held for a copy, never for I/O */
	struct rsd_metrics_snapshot snapshot;
};

int rsd_metrics_listen(const struct sockaddr *addr, socklen_t addrlen)
{
	int one = 1;
	int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_TCP);
	if (fd < 0)
		return -errno;
	/* A restart must not wait for the old sockets' TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    (addr->sa_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) ||
	    bind(fd, addr, addrlen) < 0 || listen(fd, RSD_METRICS_BACKLOG) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* ---- rendering ---------------------------------------------------------- */

struct metric {
	const char *name; /* after RSD_PREFIX */
	const char *type;
	const char *help;
	size_t offset; /* of a uint64_t in the snapshot */
};

#define M(n, t, f, h)                                             \
	{                                                         \
		n, t, h, offsetof(struct rsd_metrics_snapshot, f) \
	}

static const struct metric scalars[] = {
	M("pages_fetched_total", "counter", pages_fetched, "Pages fetched (2xx bodies received)."),
	M("pages_failed_total", "counter", pages_failed,
	  "Pages given up on: transfer errors and non-2xx statuses after retries."),
	M("pages_without_recipe_total", "counter", pages_without_recipe,
	  "Pages fetched that had no recipe."),
	M("records_extracted_total", "counter", records_extracted,
	  "Records extracted and handed to the ring."),
	M("records_produced_total", "counter", produced, "Records handed to the Kafka producer."),
	M("records_acknowledged_total", "counter", acknowledged,
	  "Records whose delivery Kafka acknowledged."),
	M("records_failed_total", "counter", failed_records,
	  "Records Kafka did not acknowledge (refused or timed out)."),
	M("records_too_large_total", "counter", too_large,
	  "Records the broker refused as too large: given up and marked, not retried."),
	M("raw_pages_not_published_total", "counter", raw_skipped,
	  "Raw pages not published to raw_topic (too large or failed)."),
	M("records_consumed_total", "counter", consumed,
	  "Records the consumer wrote to the journal (or stdout)."),
	M("alerts_total", "counter", alerts,
	  "Consumed records above calorie_threshold (warning-priority entries)."),
	M("invalid_records_total", "counter", invalid,
	  "Consumed messages that were not valid records."),
	M("journal_write_errors_total", "counter", sink_errors,
	  "Failed journal (sink) writes; the record is retried."),
	M("ring_depth", "gauge", ring_depth, "Records waiting in the ring for the producer."),
	M("ring_capacity", "gauge", ring_capacity, "Capacity of the ring ([ring] capacity)."),
	M("ring_bytes", "gauge", ring_bytes,
	  "Bytes charged to [ring] max_bytes: records with their raw pages and librdkafka's "
	  "compressed copies, from the ring until their delivery reports."),
	M("records_in_flight", "gauge", records_in_flight,
	  "Records produced and not yet acknowledged or failed."),
	M("kafka_queue_length", "gauge", kafka_queue,
	  "Messages and requests queued in the producer's librdkafka client."),
	M("frontier_queued", "gauge", frontier_queued, "URLs waiting in the crawl frontier."),
	M("fetches_in_flight", "gauge", fetches_in_flight, "HTTP transfers running now."),
	M("consumer_lag", "gauge", consumer_lag,
	  "Messages behind the end of the assigned partitions, summed."),
	M("consumer_partitions_assigned", "gauge", partitions_assigned,
	  "Partitions assigned to this consumer."),
};

/* Cluster mode's, shown only in cluster mode. */
static const struct metric cluster_scalars[] = {
	M("cluster_frontier_produced_total", "counter", cluster.routed,
	  "URLs this daemon produced to frontier_topic (start URLs and admitted links)."),
	M("cluster_frontier_consumed_total", "counter", cluster.received,
	  "Frontier messages read from the partitions this daemon owned."),
	M("cluster_frontier_skipped_total", "counter", cluster.skipped,
	  "Frontier messages read whose URL was done or queued already in the cluster."),
	M("cluster_frontier_settled_total", "counter", cluster.settled,
	  "Frontier messages settled here: fetched and delivered, or given up with a reason."),
	M("cluster_frontier_abandoned_total", "counter", cluster.abandoned,
	  "Frontier messages left unsettled (revoke, record not delivered, full queue): "
	  "read again by the partition's next owner."),
	M("cluster_state_produced_total", "counter", cluster.state_written,
	  "Crawl state entries produced to state_topic."),
	M("cluster_state_consumed_total", "counter", cluster.state_read,
	  "Crawl state entries read from state_topic for newly assigned partitions."),
	M("cluster_rebalances_total", "counter", cluster.rebalances,
	  "Rebalances of the crawl group seen by this member."),
	M("cluster_partitions_assigned_total", "counter", cluster.assigned,
	  "Frontier partitions assigned to this member, summed over rebalances."),
	M("cluster_partitions_revoked_total", "counter", cluster.revoked,
	  "Frontier partitions handed off: revoked after their in-flight URLs settled and "
	  "their offsets were committed."),
	M("cluster_partitions_lost_total", "counter", cluster.lost,
	  "Frontier partitions lost without a hand-off (the group moved on): their unsettled "
	  "URLs are fetched again by the next owner."),
	M("cluster_partitions_owned", "gauge", cluster.owned,
	  "Frontier partitions this member owns now."),
	M("cluster_partitions", "gauge", cluster.partitions,
	  "Partitions of frontier_topic (and state_topic)."),
	M("cluster_hosts_owned", "gauge", cluster.hosts,
	  "Hosts with URLs queued or in flight in the partitions owned."),
};

static uint64_t value_at(const struct rsd_metrics_snapshot *s, size_t offset)
{
	uint64_t v;
	memcpy(&v, (const char *)s + offset, sizeof v);
	return v;
}

static void header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP " RSD_PREFIX "%s %s\n# TYPE " RSD_PREFIX "%s %s\n", name, help, name,
		type);
}

/* One family of one series per metric of the table. */
static void render_scalars(FILE *f, const struct rsd_metrics_snapshot *s, const struct metric *m,
			   size_t n)
{
	for (size_t i = 0; i < n; i++) {
		header(f, m[i].name, m[i].type, m[i].help);
		fprintf(f, RSD_PREFIX "%s %" PRIu64 "\n", m[i].name, value_at(s, m[i].offset));
	}
}

/* Pages refused (or skipped) by cause: every cause of the kind, zeros
 * included, so that rate() sees a series before its first increment. */
static void render_causes(FILE *f, const struct rsd_metrics_snapshot *s, bool refusals)
{
	const char *name = refusals ? "pages_refused_total" : "pages_skipped_total";
	header(f, name, "counter",
	       refusals ? "Pages a rule or safety check refused, by cause."
			: "Pages the crawl did not need, by cause.");
	for (size_t i = 0; i < RSD_CAUSE_COUNT; i++)
		if (rsd_cause_is_refusal(i) == refusals)
			fprintf(f, RSD_PREFIX "%s{cause=\"%s\"} %" PRIu64 "\n", name,
				rsd_cause_info(i)->name, s->by_cause[i]);
}

/* A label value as the format wants it: backslash, quote and line feed
 * escaped (host names from URLs have none, but the format is not ours to
 * break). */
static void label_value(FILE *f, const char *v)
{
	for (; *v; v++)
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
}

static void render_host_family(FILE *f, const struct rsd_metrics_snapshot *s, bool failed)
{
	const char *name = failed ? "host_pages_failed_total" : "host_pages_fetched_total";
	header(f, name, "counter",
	       failed ? "Pages given up on, by host (the first 20 hosts seen; the rest as (other))."
		      : "Pages fetched, by host (the first 20 hosts seen; the rest as (other)).");
	for (size_t i = 0; i <= s->n_hosts; i++) {
		const struct rsd_host_count *h = i < s->n_hosts ? &s->hosts[i] : &s->other_hosts;
		fprintf(f, RSD_PREFIX "%s{host=\"", name);
		label_value(f, i < s->n_hosts ? h->host : "(other)");
		fprintf(f, "\"} %" PRIu64 "\n", failed ? h->failed : h->fetched);
	}
}

static void render_partition_lag(FILE *f, const struct rsd_metrics_snapshot *s)
{
	header(f, "consumer_partition_lag", "gauge",
	       "Messages behind the end of each assigned partition (at most 64 partitions).");
	for (size_t i = 0; i < s->n_lags; i++) {
		fputs(RSD_PREFIX "consumer_partition_lag{topic=\"", f);
		label_value(f, s->lags[i].topic);
		fprintf(f, "\",partition=\"%" PRId32 "\"} %" PRIu64 "\n", s->lags[i].partition,
			s->lags[i].lag);
	}
}

static void render_labelled(FILE *f, const struct rsd_metrics_snapshot *s)
{
	render_partition_lag(f, s);
	render_host_family(f, s, false);
	render_host_family(f, s, true);
	header(f, "kafka_errors_total", "counter", "Errors librdkafka reported, by client.");
	fprintf(f, RSD_PREFIX "kafka_errors_total{client=\"producer\"} %" PRIu64 "\n",
		s->producer_errors);
	fprintf(f, RSD_PREFIX "kafka_errors_total{client=\"consumer\"} %" PRIu64 "\n",
		s->consumer_errors);
	if (s->cluster_mode)
		fprintf(f, RSD_PREFIX "kafka_errors_total{client=\"cluster\"} %" PRIu64 "\n",
			s->cluster.errors);
	header(f, "reloads_total", "counter", "Configuration reloads (SIGHUP), by result.");
	fprintf(f, RSD_PREFIX "reloads_total{result=\"ok\"} %" PRIu64 "\n", s->reloads_ok);
	fprintf(f, RSD_PREFIX "reloads_total{result=\"rejected\"} %" PRIu64 "\n",
		s->reloads_rejected);
	header(f, "healthy", "gauge", "1 while /healthz answers 200, else 0.");
	fprintf(f, RSD_PREFIX "healthy %d\n", s->healthy ? 1 : 0);
	header(f, "build_info", "gauge", "Always 1; the version is a label.");
	fprintf(f, RSD_PREFIX "build_info{version=\"%s\"} 1\n", RSD_VERSION);
	fputs("# HELP process_start_time_seconds Start time of the process since the Unix epoch "
	      "in seconds.\n# TYPE process_start_time_seconds gauge\n",
	      f);
	fprintf(f, "process_start_time_seconds %.3f\n", s->start_time_s);
}

char *rsd_metrics_render(const struct rsd_metrics_snapshot *s, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	if (!f)
		return NULL;
	render_scalars(f, s, scalars, sizeof scalars / sizeof scalars[0]);
	if (s->cluster_mode)
		render_scalars(f, s, cluster_scalars,
			       sizeof cluster_scalars / sizeof cluster_scalars[0]);
	render_causes(f, s, true);
	render_causes(f, s, false);
	render_labelled(f, s);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* ---- serving ------------------------------------------------------------ */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     char *body, size_t len)
{
	/* MHD frees body (malloc'ed) with the response. */
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
	char *body = strdup(text);
	return body ? reply(conn, status, "text/plain; charset=utf-8", body, strlen(body)) : MHD_NO;
}

static enum MHD_Result serve_healthz(struct MHD_Connection *conn,
				     const struct rsd_metrics_snapshot *s)
{
	char body[sizeof s->health_reason + 2];
	snprintf(body, sizeof body, "%s\n", s->healthy ? "ok" : s->health_reason);
	return reply_text(conn, s->healthy ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, body);
}

static enum MHD_Result serve_metrics(struct MHD_Connection *conn,
				     const struct rsd_metrics_snapshot *s)
{
	size_t len = 0;
	char *text = rsd_metrics_render(s, &len);
	if (!text)
		return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	return reply(conn, MHD_HTTP_OK, CONTENT_TYPE_METRICS, text, len);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	struct rsd_metrics *m = cls;
	bool is_metrics = strcmp(url, "/metrics") == 0, is_health = strcmp(url, "/healthz") == 0;
	if (!is_metrics && !is_health)
		return reply_text(conn, MHD_HTTP_NOT_FOUND,
				  "not found: try /metrics or /healthz\n");
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	/* A copy: rendering and the network write happen without the lock. */
	struct rsd_metrics_snapshot s;
	pthread_mutex_lock(&m->lock);
	s = m->snapshot;
	pthread_mutex_unlock(&m->lock);
	return is_metrics ? serve_metrics(conn, &s) : serve_healthz(conn, &s);
}

int rsd_metrics_start(int listen_fd, struct rsd_metrics **out)
{
	struct rsd_metrics *m = calloc(1, sizeof *m);
	if (!m) {
		close(listen_fd);
		return -ENOMEM;
	}
	pthread_mutex_init(&m->lock, NULL);
	snprintf(m->snapshot.health_reason, sizeof m->snapshot.health_reason, "starting");
	/* No MHD_USE_ERROR_LOG: the module does not log. The port is unused:
	 * MHD_OPTION_LISTEN_SOCKET gives the bound socket. */
	m->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL,
				  handle, m, MHD_OPTION_LISTEN_SOCKET, listen_fd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)RSD_METRICS_CONNECTIONS,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)RSD_METRICS_PER_IP,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)RSD_METRICS_TIMEOUT_S,
				  MHD_OPTION_END);
	if (!m->mhd) {
		/* Not closed here: whether a failed start already closed the
		 * socket differs between MHD versions, and a double close could
		 * hit another thread's new descriptor. At worst one fd leaks. */
		int e = errno ? errno : EIO;
		pthread_mutex_destroy(&m->lock);
		free(m);
		return -e;
	}
	*out = m;
	return 0;
}

void rsd_metrics_publish(struct rsd_metrics *m, const struct rsd_metrics_snapshot *s)
{
	pthread_mutex_lock(&m->lock);
	m->snapshot = *s;
	pthread_mutex_unlock(&m->lock);
}

void rsd_metrics_stop(struct rsd_metrics *m)
{
	if (!m)
		return;
	/* Closes the listening socket too (it was not quiesced). */
	MHD_stop_daemon(m->mhd);
	pthread_mutex_destroy(&m->lock);
	free(m);
}
