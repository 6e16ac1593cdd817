/* SPDX-License-Identifier: MIT */
/* The daemon's side of cluster mode (see cluster_log.h). */
#include "daemon/cluster_log.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "daemon/log.h"

int rsd_cluster_log_start(const struct rsd_config *cfg, const char *bootstrap,
			  struct rsd_state *state, int wake_fd, struct rsd_producer *producer,
			  struct rsd_cluster **out)
{
	char err[512] = "";
	*out = NULL;
	if (!cfg->frontier_topic)
		return 0;
	int r = rsd_cluster_new(cfg, bootstrap, state, wake_fd, err, sizeof err, out);
	if (r < 0) {
		rsd_log(LOG_ERR, "Cannot create the crawl cluster's Kafka clients: %s", err);
		return r;
	}
	rsd_producer_set_settle_cb(producer, rsd_cluster_settle_record, *out);
	return 0;
}

int rsd_cluster_log_attach(struct rsd_cluster *c, struct rsd_frontier *f)
{
	char err[512] = "";
	int r = rsd_cluster_attach(c, f, err, sizeof err);
	if (r < 0)
		rsd_log(LOG_ERR, "Cannot join the crawl cluster: %s", err);
	return r;
}

void rsd_cluster_log_report(struct rsd_cluster *c, struct rsd_cluster_report *r)
{
	char last[256], parts[512], f_parts[600], f_hosts[64];
	uint64_t errors = rsd_cluster_last_error(c, last, sizeof last);
	if (errors != r->errors_seen) {
		rsd_log(LOG_WARNING,
			"Kafka crawl cluster: %s (%" PRIu64 " error%s since the last report)", last,
			errors - r->errors_seen, errors - r->errors_seen == 1 ? "" : "s");
		r->errors_seen = errors;
	}
	uint64_t rebalances = atomic_load(&rsd_cluster_stats(c)->rebalances);
	if (rebalances == r->rebalances_seen)
		return;
	r->rebalances_seen = rebalances;
	size_t n, total, hosts;
	rsd_cluster_ownership(c, parts, sizeof parts, &n, &total, &hosts);
	snprintf(f_parts, sizeof f_parts, "CLUSTER_PARTITIONS=%s", parts);
	snprintf(f_hosts, sizeof f_hosts, "CLUSTER_HOSTS=%zu", hosts);
	const char *fields[] = { f_parts, f_hosts, NULL };
	rsd_log_event(LOG_INFO, RSD_MID_CLUSTER_OWNERSHIP, fields,
		      "Crawl partitions now owned: %s (%zu of %zu), %zu host%s queued or in flight",
		      n ? parts : "none", n, total, hosts, hosts == 1 ? "" : "s");
}

void rsd_cluster_log_status(struct rsd_cluster *c, char *buf, size_t len)
{
	char parts[256];
	size_t n, total, hosts;
	buf[0] = '\0';
	if (!c)
		return;
	rsd_cluster_ownership(c, parts, sizeof parts, &n, &total, &hosts);
	snprintf(buf, len, "; crawl partitions %s (%zu/%zu), %zu host%s", n ? parts : "none", n,
		 total, hosts, hosts == 1 ? "" : "s");
}
