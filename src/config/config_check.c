/* SPDX-License-Identifier: MIT */
/* The checks after parsing: defaults, required keys, and what no single
 * key can check alone (see config_spec.h). */
#include "config/config_spec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

/* ---------------------------------------------------------------- after parsing */

void cfg_apply_defaults(struct loader *ld)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (cfg_key_specs[i].def)
			cfg_apply_value(ld, &cfg_key_specs[i], cfg_key_specs[i].def, false, 0);
}

void cfg_check_required(struct loader *ld)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct key_spec *spec = &cfg_key_specs[i];
		if (!spec->def && !ld->key_line[i]) {
			cfg_report(ld, 0, "%s.%s: required key is missing", spec->section,
				   spec->key);
			continue;
		}
		/* An empty list after bad items would be the same error twice. */
		if (cfg_kinds[spec->kind].is_list && spec->kind != K_BROKERS && !ld->key_bad[i]) {
			const struct rsd_strv *v = (void *)((char *)ld->cfg + spec->offset);
			if (v->n < spec->min)
				cfg_report(ld, ld->key_line[i],
					   "%s.%s: needs at least %" PRIu64 " value%s",
					   spec->section, spec->key, spec->min,
					   spec->min == 1 ? "" : "s");
		}
	}
}

/* The host of a URL that parsed already: only memory can fail now. */
static char *host_of(struct loader *ld, const char *url)
{
	char *host = NULL;
	const char *why;
	if (cfg_url_host(url, &host, &why) < 0)
		ld->oom = true;
	return host;
}

/* url, of the scraper list `key`, has a host outside allowed_hosts. */
static void report_host_outside(struct loader *ld, const char *key, const char *host,
				const char *url)
{
	cfg_report(ld, cfg_line_of(ld, "scraper", key),
		   "scraper.%s: host %s of %s is not in scraper.allowed_hosts", key,
		   cfg_quoted_key(ld, "scraper", key, host),
		   cfg_key_shown(ld, "scraper", key, url));
}

void cfg_check_hosts(struct loader *ld)
{
	struct rsd_config *cfg = ld->cfg;
	bool derive = cfg->allowed_hosts.n == 0;
	for (size_t i = 0; i < cfg->start_urls.n; i++) {
		char *host = host_of(ld, cfg->start_urls.items[i]);
		if (!host)
			return;
		if (cfg_strv_contains(&cfg->allowed_hosts, host)) {
			free(host);
		} else if (derive) {
			if (cfg_strv_push(&cfg->allowed_hosts, host) < 0)
				ld->oom = true;
		} else {
			report_host_outside(ld, "start_urls", host, cfg->start_urls.items[i]);
			free(host);
		}
	}
}

/* A sitemap outside allowed_hosts would be refused by the frontier without
 * a word; robots.txt is never fetched with robots = off, so its Sitemap:
 * lines could not be read. Both are mistakes the operator should hear of. */
void cfg_check_sitemaps(struct loader *ld)
{
	const struct rsd_config *cfg = ld->cfg;
	if (cfg->sitemaps == RSD_SITEMAPS_ROBOTS && !cfg->robots) {
		unsigned line = cfg_line_of(ld, "scraper", "sitemaps");
		cfg_report(ld, line ? line : cfg_line_of(ld, "scraper", "robots"),
			   "scraper.sitemaps: 'robots' needs scraper.robots = on (robots.txt is "
			   "not read "
			   "otherwise); list the sitemaps in scraper.sitemap_urls instead");
	}
	/* Without allowed_hosts (start_urls missing, reported already) there
	 * is nothing to check against. */
	for (size_t i = 0; cfg->allowed_hosts.n && i < cfg->sitemap_urls.n; i++) {
		char *host = host_of(ld, cfg->sitemap_urls.items[i]);
		if (!host)
			return;
		if (!cfg_strv_contains(&cfg->allowed_hosts, host))
			report_host_outside(ld, "sitemap_urls", host, cfg->sitemap_urls.items[i]);
		free(host);
	}
}

void cfg_check_limits(struct loader *ld)
{
	const struct rsd_config *cfg = ld->cfg;
	if (cfg->max_connections_per_host > cfg->max_connections) {
		unsigned line = cfg_line_of(ld, "scraper", "max_connections_per_host");
		cfg_report(
			ld, line ? line : cfg_line_of(ld, "scraper", "max_connections"),
			"scraper.max_connections_per_host: %u exceeds scraper.max_connections (%u)",
			cfg->max_connections_per_host, cfg->max_connections);
	}
}

int rsd_config_split_compression(const char *spec, char *codec, size_t len, char *level,
				 size_t level_len)
{
	size_t n = strcspn(spec, ":");
	const char *lv = spec[n] ? spec + n + 1 : "-1";
	if (n == 0 || n >= len || !*lv || strlen(lv) >= level_len)
		return -EINVAL;
	memcpy(codec, spec, n);
	codec[n] = '\0';
	strcpy(level, lv);
	return 0;
}

bool rsd_config_raw_compressed(const struct rsd_config *cfg)
{
	const char *spec = cfg->raw_compression ? cfg->raw_compression
						: RSD_RAW_COMPRESSION_DEFAULT;
	size_t n = strcspn(spec, ":");
	return cfg->raw_topic && *cfg->raw_topic && !(n == 4 && strncmp(spec, "none", 4) == 0);
}

/* librdkafka judges the codec and level, as it will for the raw topic. */
static void check_raw_compression(struct loader *ld)
{
	const char *spec = ld->cfg->raw_compression;
	char codec[16], level[16], why[256] = "";
	if (!spec)
		return;
	rd_kafka_topic_conf_t *tconf = cfg_oom_check(ld, rd_kafka_topic_conf_new());
	if (!tconf)
		return;
	if (rsd_config_split_compression(spec, codec, sizeof(codec), level, sizeof(level)) < 0)
		snprintf(why, sizeof(why), "expected CODEC or CODEC:LEVEL");
	else if (rd_kafka_topic_conf_set(tconf, "compression.type", codec, why, sizeof(why)) ==
		 RD_KAFKA_CONF_OK)
		(void)rd_kafka_topic_conf_set(tconf, "compression.level", level, why, sizeof(why));
	rd_kafka_topic_conf_destroy(tconf);
	if (why[0]) {
		why[strcspn(why, "\r\n")] = '\0';
		cfg_report(ld, cfg_line_of(ld, "producer", "raw_compression"),
			   "producer.raw_compression: '%s': %s", spec, why);
	}
}

void cfg_check_kafka(struct loader *ld)
{
	struct rsd_config *cfg = ld->cfg;
	cfg->brokers_embedded = cfg->brokers && strcmp(cfg->brokers, "embedded") == 0;
	if (cfg->brokers && !cfg->brokers_embedded && cfg_has_item(cfg->brokers, ",", "embedded"))
		cfg_report(ld, cfg_line_of(ld, "kafka", "brokers"),
			   "kafka.brokers: \"embedded\" cannot be combined with other brokers");
	if (cfg->kafka_debug) {
		char why[512] = "";
		rd_kafka_conf_t *conf = cfg_scratch_conf(ld, 0);
		if (conf && rd_kafka_conf_set(conf, "debug", cfg->kafka_debug, why, sizeof(why)) !=
				    RD_KAFKA_CONF_OK) {
			why[strcspn(why, "\r\n")] = '\0';
			cfg_report(ld, cfg_line_of(ld, "kafka", "debug"),
				   "kafka.debug: rejected by librdkafka: %s",
				   cfg_key_shown(ld, "kafka", "debug", why));
		}
	}
	if (!cfg->topics.n && cfg->topic) {
		char *t = cfg_oom_check(ld, strdup(cfg->topic));
		if (t && cfg_strv_push(&cfg->topics, t) < 0)
			ld->oom = true;
	}
	if (!cfg->raw_topic)
		return;
	check_raw_compression(ld);
	if (cfg->topic && strcmp(cfg->raw_topic, cfg->topic) == 0)
		cfg_report(ld, cfg_line_of(ld, "producer", "raw_topic"),
			   "producer.raw_topic: must differ from producer.topic (%s)",
			   cfg_quoted_key(ld, "producer", "topic", cfg->topic));
	else if (cfg->consumer_enabled && cfg_strv_contains(&cfg->topics, cfg->raw_topic)) {
		unsigned line = cfg_line_of(ld, "consumer", "topics");
		cfg_report(ld, line ? line : cfg_line_of(ld, "producer", "raw_topic"),
			   "consumer.topics: must not include producer.raw_topic (%s): raw HTML "
			   "is not a record",
			   cfg_quoted_key(ld, "producer", "raw_topic", cfg->raw_topic));
	}
}

/* Stable, so messages of one line keep their order; whole-file ones last. */
void cfg_sort_by_line(struct rsd_config_diag *d)
{
	for (size_t i = 1; i < d->n; i++) {
		char *m = d->messages[i];
		unsigned l = d->lines[i], key = l ? l : UINT_MAX;
		size_t j = i;
		for (; j > 0 && (d->lines[j - 1] ? d->lines[j - 1] : UINT_MAX) > key; j--) {
			d->messages[j] = d->messages[j - 1];
			d->lines[j] = d->lines[j - 1];
		}
		d->messages[j] = m;
		d->lines[j] = l;
	}
}

/* Appends src's messages to dst (NULL: drops them). */
int cfg_diag_move(struct rsd_config_diag *dst, struct rsd_config_diag *src)
{
	int rc = 0;
	if (dst && src->n) {
		char **m = realloc(dst->messages, (dst->n + src->n) * sizeof(*m));
		if (m)
			dst->messages = m;
		unsigned *l = m ? realloc(dst->lines, (dst->n + src->n) * sizeof(*l)) : NULL;
		if (l) {
			dst->lines = l;
			memcpy(dst->messages + dst->n, src->messages, src->n * sizeof(*m));
			memcpy(dst->lines + dst->n, src->lines, src->n * sizeof(*l));
			dst->n += src->n;
			free(src->messages);
			free(src->lines);
			*src = (struct rsd_config_diag){ 0 };
		} else {
			rc = -ENOMEM;
		}
	}
	rsd_config_diag_clear(src);
	return rc;
}

static bool same_name(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* Cluster mode: its two topics carry URLs and crawl state, never records,
 * and its group is not the record consumers' (a member of both would be
 * offered partitions of the other's topics). */
void cfg_check_cluster(struct loader *ld)
{
	const struct rsd_config *cfg = ld->cfg;
	const char *ft = cfg->frontier_topic, *st = cfg->state_topic;
	if (!ft)
		return;
	unsigned fl = cfg_line_of(ld, "cluster", "frontier_topic");
	if (st && strcmp(ft, st) == 0)
		cfg_report(ld, fl,
			   "cluster.frontier_topic: must differ from cluster.state_topic ('%s')",
			   st);
	const char *names[] = { ft, st };
	const char *keys[] = { "frontier_topic", "state_topic" };
	for (size_t i = 0; i < 2; i++) {
		unsigned l = cfg_line_of(ld, "cluster", keys[i]);
		if (!names[i])
			continue;
		if (same_name(names[i], cfg->topic) || same_name(names[i], cfg->raw_topic) ||
		    (cfg->consumer_enabled && cfg_strv_contains(&cfg->topics, names[i])))
			cfg_report(ld, l ? l : fl,
				   "cluster.%s: '%s' is a record topic (producer.topic, "
				   "producer.raw_topic or consumer.topics)",
				   keys[i], names[i]);
	}
	if (same_name(cfg->cluster_group_id, cfg->group_id)) {
		unsigned l = cfg_line_of(ld, "cluster", "group_id");
		cfg_report(ld, l ? l : fl,
			   "cluster.group_id: must differ from consumer.group_id ('%s')",
			   cfg->group_id);
	}
}
