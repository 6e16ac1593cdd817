/* SPDX-License-Identifier: MIT */
#ifndef RSD_CONFIG_H
#define RSD_CONFIG_H

/* The configuration file (docs/architecture.md "Configuration"), parsed with
 * libinih through one table of {section, key, parser, field, default, doc}
 * that also drives validation, defaults and the documentation. Parsing is
 * complete before anything is applied: a reload builds a new rsd_config and
 * the daemon swaps it in only when it has no error. Values may refer to
 * ${ENV} and ${credential:NAME} (expanded before parsing; such a value is
 * a secret, shown as "(secret)", never its text), and include = PATTERN
 * reads more files. */

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RSD_DEFAULT_CONFIG_PATH "/etc/recipe-scraperd/recipe-scraperd.ini"

enum rsd_sink_kind { RSD_SINK_AUTO, RSD_SINK_JOURNAL, RSD_SINK_STDOUT };
/* Where the crawl learns of sitemaps besides sitemap_urls. */
enum rsd_sitemaps { RSD_SITEMAPS_OFF, RSD_SITEMAPS_ROBOTS };

/* A librdkafka property taken verbatim from a dotted key. */
struct rsd_kv {
	char *key;
	char *value;
	unsigned line; /* where it was set, for messages */
	bool secret; /* from a ${...} reference, or a secret by its name: never shown */
};

struct rsd_kv_list {
	struct rsd_kv *items;
	size_t n;
};

struct rsd_strv {
	char **items;
	size_t n;
};

struct rsd_config {
	char *path; /* file it was read from */

	/* [daemon] */
	char *state_dir; /* default /var/lib/recipe-scraperd */
	unsigned shutdown_timeout_s; /* default 30, 1..3600 */
	bool watchdog; /* default on */
	int log_level; /* syslog priority (LOG_*): less important lines are not
				       * written; default LOG_INFO */

	/* [scraper] */
	struct rsd_strv start_urls; /* absolute http(s) URLs, at least one */
	struct rsd_strv allowed_hosts; /* lower-case host names; default: hosts of start_urls */
	char *follow; /* regex (POSIX extended) or NULL = follow every in-scope link */
	regex_t follow_re; /* compiled when follow != NULL */
	char *recipe; /* regex or NULL = any page with a recipe */
	regex_t recipe_re;
	unsigned threads; /* default 2, 1..64 */
	unsigned max_connections; /* default 32, 1..1024 (all hosts, whole pool) */
	unsigned max_connections_per_host; /* default 2, 1..64 */
	unsigned delay_ms; /* default 1000, 0..600000 (per host) */
	unsigned max_depth; /* default 5, 0..1000 (start URLs are depth 0) */
	uint64_t max_pages; /* default 0 = unlimited */
	uint32_t max_queued; /* URLs in the frontier, default 1000000 */
	uint32_t max_queued_per_host; /* of them per host, default 100000 */
	char *user_agent; /* default "recipe-scraperd/VERSION (+https://...)" */
	unsigned timeout_s; /* default 30, 1..3600 (whole transfer) */
	uint64_t max_page_bytes; /* default 10 MiB, 1 KiB .. 1 GiB */
	bool robots; /* default on */
	enum rsd_sitemaps sitemaps; /* default off: robots.txt Sitemap: lines are not read */
	struct rsd_strv sitemap_urls; /* sitemaps read in every round; default none */
	bool follow_from_recipes; /* default off: a recipe page's links are not followed */
	bool allow_private_addresses; /* default off */
	bool dedup_canonical; /* default on: one record per canonical URL */
	unsigned recrawl_interval_s; /* default 86400, 0 = never */
	unsigned refresh_interval_s; /* delivered pages: default 86400, 0 = never */
	unsigned max_retries; /* default 3, 0..10 (transient failures) */
	unsigned retry_backoff_ms; /* default 1000, 10..600000 (first retry; doubles) */

	/* [ring] */
	uint32_t ring_capacity; /* default 1024, power of two 2..2^20 */
	uint64_t ring_max_bytes; /* default 16 MiB, 1 MiB .. 1 GiB */

	/* [kafka] */
	char *brokers; /* "host:port,..." or "embedded" (default localhost:9092) */
	bool brokers_embedded;
	char *kafka_debug; /* librdkafka debug contexts, NULL = none */
	struct rsd_kv_list kafka_props; /* dotted keys: both clients */

	/* [producer] */
	char *topic; /* default parsed_recipes */
	char *raw_topic; /* default raw_recipes; NULL when set empty (off) */
	char *raw_compression; /* raw_topic's "CODEC[:LEVEL]"; NULL = RSD_RAW_COMPRESSION_DEFAULT */
	unsigned partitions; /* default 6, 1..10000: of the topics the daemon creates */
	unsigned replication_factor; /* default 0 = the broker's default, 1..32767 */
	struct rsd_kv_list producer_props;

	/* [consumer] */
	bool consumer_enabled; /* default on */
	char *group_id; /* default recipe-scraperd */
	struct rsd_strv topics; /* default: [producer] topic */
	double calorie_threshold; /* default 200, >= 0 */
	struct rsd_kv_list consumer_props;

	/* [journal] */
	enum rsd_sink_kind sink; /* default auto */
	char *identifier; /* default recipe-scraperd */

	/* [metrics] */
	char *metrics_listen; /* "HOST:PORT" of the HTTP endpoint, NULL = off (default) */

	/* Per key of the table: where it was set and whether its value is a
	 * secret; read with rsd_config_origin() and rsd_config_secret(). */
	struct rsd_config_key_state *key_state;
	/* [cluster]: the crawl shared by several daemons (crawl_cluster.h) */
	char *frontier_topic; /* NULL = off (default): single-node crawl */
	char *state_topic; /* default crawl_state */
	char *cluster_group_id; /* default recipe-scraperd-crawl */
	unsigned
		cluster_partitions; /* default 12: of the two topics when the daemon creates them */
};

/* "FILE:LINE" where section.key was set (FILE is the included file when
 * set in one), or NULL when the key has its default. */
const char *rsd_config_origin(const struct rsd_config *cfg, const char *section, const char *key);
/* True when the value of section.key is a secret: it came (wholly or in
 * part) from a ${...} reference, or the key is one by its name (*password,
 * *secret, sasl.*, ssl.key.*; dotted keys carry their own rsd_kv.secret).
 * Whatever shows such a value shows "(secret)" instead. */
bool rsd_config_secret(const struct rsd_config *cfg, const char *section, const char *key);
/* value, or "(secret)" when rsd_config_secret(cfg, section, key). */
const char *rsd_config_shown(const struct rsd_config *cfg, const char *section, const char *key,
			     const char *value);

/* A [metrics] listen value ("127.0.0.1:9464", "[::1]:9464",
 * "localhost:9464") as a socket address. Returns 0, or -EINVAL with what is
 * wrong in err. */
struct sockaddr_storage;
int rsd_config_parse_listen(const char *value, struct sockaddr_storage *addr, unsigned *addrlen,
			    char *err, size_t errlen);

/* Diagnostics: one "FILE:LINE: message" string per problem, in file order
 * (the main file's, then each included file's in the order read; "FILE:
 * message" for whole-file problems, which come last). FILE is the included
 * file for a problem in one. A load appends
 * to what is already there; rsd_config_diag_clear empties it. */
struct rsd_config_diag {
	char **messages;
	size_t n;
	unsigned *lines; /* lines[i]: the line of messages[i] in the file it names
			  * (the main file or an included one), 0 = whole file */
};
void rsd_config_diag_clear(struct rsd_config_diag *diag);

/* Parse and validate the file completely. Returns 0 and *out (owned by the
 * caller) when there is no error; -EINVAL with every problem in *diag (each
 * once, with its line; line 0 for whole-file problems such as a missing
 * required key); -ENOENT/-EACCES/-EFBIG (over 1 MiB)/... when the file cannot
 * be read (also in *diag). diag may be NULL. Never logs, never exits. */
int rsd_config_load(const char *path, struct rsd_config **out, struct rsd_config_diag *diag);
/* The same from a string (fuzzing, tests); name is used in messages. */
int rsd_config_load_string(const char *name, const char *text, struct rsd_config **out,
			   struct rsd_config_diag *diag);
void rsd_config_free(struct rsd_config *cfg); /* accepts NULL */

/* True when anything that the Kafka clients depend on differs
 * ([kafka], [producer], [consumer]); reload recreates the clients only then. */
/* [producer] raw_compression's default: lz4 keeps pace with the crawl on two
 * cores, zstd does not (docs/performance.md, "The raw topic's codec"). */
#define RSD_RAW_COMPRESSION_DEFAULT "lz4"

/* Splits a raw_compression value "CODEC[:LEVEL]" (level "-1" when absent).
 * -EINVAL when a part is empty or does not fit. */
int rsd_config_split_compression(const char *spec, char *codec, size_t len, char *level,
				 size_t level_len);
/* Whether raw pages go to Kafka compressed: raw_topic set and its
 * raw_compression's codec other than none. */
bool rsd_config_raw_compressed(const struct rsd_config *cfg);
bool rsd_config_kafka_changed(const struct rsd_config *a, const struct rsd_config *b);

/* The table, for docs and the man-page consistency test. */
struct rsd_config_key_info {
	const char *section;
	const char *key;
	const char *type; /* "string", "bool", "uint", "size", "regex", "url-list", ... */
	const char *default_value; /* as written in the file, "" for empty */
	const char *doc;
	const char *values; /* accepted values, e.g. "1..64", "1K..1G", "on|off" */
	bool required; /* no default: the file must set it */
};
const struct rsd_config_key_info *rsd_config_keys(size_t *n);

/* Writes the reference of every section and key (Markdown, generated from
 * the table: docs/configuration.md embeds it) to out, for
 * `recipe-scraperd --dump-config-keys`. Returns 0 or -EIO. */
int rsd_config_write_reference(FILE *out);

#endif
