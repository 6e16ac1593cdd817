/* SPDX-License-Identifier: MIT */
/* The key table (see config_spec.h): every key of the configuration file,
 * its parser, default, range and documentation; and the reference the docs
 * are generated from. */
#include "config/config_spec.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* ---------------------------------------------------------------- tables */

static const struct choice sink_choices[] = {
	{ "auto", RSD_SINK_AUTO },
	{ "journal", RSD_SINK_JOURNAL },
	{ "stdout", RSD_SINK_STDOUT },
	{ NULL, 0 },
};

/* syslog's and systemd's names (LogLevelMax=), and two common spellings. */
static const struct choice log_level_choices[] = {
	{ "emerg", LOG_EMERG },
	{ "alert", LOG_ALERT },
	{ "crit", LOG_CRIT },
	{ "err", LOG_ERR },
	{ "warning", LOG_WARNING },
	{ "notice", LOG_NOTICE },
	{ "info", LOG_INFO },
	{ "debug", LOG_DEBUG },
	{ "error", LOG_ERR },
	{ "warn", LOG_WARNING },
	{ NULL, 0 },
};

static const struct choice sitemaps_choices[] = {
	{ "off", RSD_SITEMAPS_OFF },
	{ "robots", RSD_SITEMAPS_ROBOTS },
	{ NULL, 0 },
};

/* Section, name, kind and field of a key; the rest is designated. */
#define KEY(sec, name, k, field) .section = sec, .key = name, .kind = k, .offset = FIELD(field)

const struct key_spec cfg_key_specs[] = {
	/* [daemon] */
	{ KEY("daemon", "state_dir", K_STRING, state_dir), .def = "/var/lib/recipe-scraperd",
	  .min = 1, .max = 4095,
	  .doc = "Directory of the crawl state: when each page was fetched (with its validators) "
		 "and which were delivered to which Kafka cluster and topic. One daemon per "
		 "directory (it holds state_dir/lock)." },
	{ KEY("daemon", "shutdown_timeout_s", K_DURATION, shutdown_timeout_s), .def = "30",
	  .min = 1, .max = 3600,
	  .doc = "On SIGTERM, how long to finish transfers and flush the producer before exiting "
		 "(records still undelivered then are counted in the exit summary)." },
	{ KEY("daemon", "watchdog", K_BOOL, watchdog), .def = "on",
	  .doc = "Send WATCHDOG=1 to systemd while the threads make progress "
		 "(needs WatchdogSec= in the unit)." },
	{ KEY("daemon", "log_level", K_ENUM, log_level), .def = "info",
	  .choices = log_level_choices,
	  .doc = "Least important priority of the daemon's own log lines that are written: emerg, "
		 "alert, crit, err, warning, notice, info or debug (also error, warn). At "
		 "debug, every refused or skipped page gets a line with its cause "
		 "(REFUSAL_CAUSE=), "
		 "at most 100 a second (then one line says how many were suppressed). Lines of "
		 "[kafka] debug are written whatever it says. Consumed records are not log lines: "
		 "they are always written. A reload applies it." },

	/* [scraper] */
	{ KEY("scraper", "start_urls", K_URL_LIST, start_urls), .def = NULL, .min = 1,
	  .doc = "Pages the crawl starts from: absolute http or https URLs separated by white "
		 "space "
		 "(continue the list on indented lines)." },
	{ KEY("scraper", "allowed_hosts", K_HOST_LIST, allowed_hosts), .def = "",
	  .doc = "Host names the crawl may visit (exact match, case-insensitive), separated by "
		 "white "
		 "space or commas. Empty: the hosts of start_urls. Every start URL's host must be "
		 "in it." },
	{ KEY("scraper", "follow", K_REGEX, follow), .aux = FIELD(follow_re), .def = "",
	  .doc = "Links whose normalised absolute URL matches this regex (anywhere; anchor it with "
		 "^ "
		 "and $) or matches recipe are followed. Empty: every link within allowed_hosts." },
	{ KEY("scraper", "recipe", K_REGEX, recipe), .aux = FIELD(recipe_re), .def = "",
	  .doc = "Only pages whose normalised URL matches this regex are extracted. Empty: every "
		 "page "
		 "that has a recipe." },
	{ KEY("scraper", "follow_from_recipes", K_BOOL, follow_from_recipes), .def = "off",
	  .doc = "Follow the links found on recipe pages (pages a record is extracted from). off: "
		 "only "
		 "pages without a recipe (start, category and index pages) lead further, so a "
		 "crawl "
		 "started on a category stays in it instead of wandering off through each recipe's "
		 "links to related recipes and other categories. on: links of every page are "
		 "candidates (a whole-site crawl)." },
	{ KEY("scraper", "threads", K_UINT, threads), .def = "2", .min = 1, .max = 64,
	  .doc = "Scraper worker threads, each running many transfers at once." },
	{ KEY("scraper", "max_connections", K_UINT, max_connections), .def = "32", .min = 1,
	  .max = 1024, .doc = "Transfers in flight at once, all hosts, whole pool." },
	{ KEY("scraper", "max_connections_per_host", K_UINT, max_connections_per_host), .def = "2",
	  .min = 1, .max = 64,
	  .doc = "Transfers in flight at once to one host; at most max_connections." },
	{ KEY("scraper", "delay_ms", K_UINT, delay_ms), .def = "1000", .min = 0, .max = 600000,
	  .doc = "Minimum time between the starts of two requests to the same host, in "
		 "milliseconds "
		 "(a longer robots.txt Crawl-delay or Retry-After wins)." },
	{ KEY("scraper", "max_depth", K_UINT, max_depth), .def = "5", .min = 0, .max = 1000,
	  .doc = "Links followed from a start URL (start URLs are depth 0)." },
	{ KEY("scraper", "max_queued", K_UINT, max_queued), .def = "1000000", .min = 1,
	  .max = 100000000,
	  .doc = "URLs waiting in the frontier (about 100 bytes each); links and sitemap entries "
		 "found beyond it are refused (queue_full) until it drains." },
	{ KEY("scraper", "max_queued_per_host", K_UINT, max_queued_per_host), .def = "100000",
	  .min = 1, .max = 100000000,
	  .doc = "URLs waiting in the frontier for one host, so that one site cannot fill it." },
	{ KEY("scraper", "max_pages", K_UINT64, max_pages), .def = "0", .min = 0, .max = UINT64_MAX,
	  .doc = "Stop fetching after this many pages; 0 = unlimited." },
	{ KEY("scraper", "user_agent", K_STRING, user_agent), .def = DEFAULT_USER_AGENT,
	  .doc_default = "recipe-scraperd/VERSION (+https://github.com/recipe-scraperd)", .min = 1,
	  .max = 512,
	  .doc = "User-Agent header of every request, also the name matched against robots.txt "
		 "groups." },
	{ KEY("scraper", "timeout_s", K_DURATION, timeout_s), .def = "30", .min = 1, .max = 3600,
	  .doc = "Limit of one whole transfer, connection included." },
	{ KEY("scraper", "max_page_bytes", K_SIZE, max_page_bytes), .def = "10M", .min = KIB,
	  .max = GIB, .doc = "Larger pages are abandoned and skipped." },
	{ KEY("scraper", "robots", K_BOOL, robots), .def = "on",
	  .doc = "Obey robots.txt (Disallow/Allow and Crawl-delay)." },
	{ KEY("scraper", "sitemaps", K_ENUM, sitemaps), .def = "off", .choices = sitemaps_choices,
	  .doc = "Where sitemaps are discovered: off (only sitemap_urls are read), robots (also "
		 "the "
		 "Sitemap: lines of each robots.txt; needs robots = on). A site's sitemaps usually "
		 "list the whole site; the URLs they list are links of depth 1 (allowed_hosts, "
		 "follow "
		 "and recipe apply)." },
	{ KEY("scraper", "sitemap_urls", K_URL_LIST, sitemap_urls), .def = "", .min = 0,
	  .doc = "Sitemaps (or sitemap indexes, XML or gzipped XML) read in every crawl round, "
		 "whatever sitemaps says: absolute http or https URLs on allowed_hosts, separated "
		 "by "
		 "white space. Empty: none." },
	{ KEY("scraper", "allow_private_addresses", K_BOOL, allow_private_addresses), .def = "off",
	  .doc = "Allow hosts that resolve to addresses that are not public: loopback, private, "
		 "link-local, documentation, reserved, NAT64 and 6to4 (off protects the network "
		 "the "
		 "daemon runs in; turn on for a local test site; see recipe-scraperd(8))." },
	{ KEY("scraper", "dedup_canonical", K_BOOL, dedup_canonical), .def = "on",
	  .doc = "Publish one record per canonical URL: pages that declare the same <link "
		 "rel=canonical> (print views, tracking-parameter twins) give one record." },
	{ KEY("scraper", "recrawl_interval_s", K_DURATION, recrawl_interval_s), .def = "86400",
	  .min = 0, .max = 31536000,
	  .doc = "In daemon mode, revisit the start URLs (and the sitemaps found the first time) "
		 "this "
		 "often, with conditional GETs: an unchanged page's links are not followed again; "
		 "0 = "
		 "never." },
	{ KEY("scraper", "refresh_interval_s", K_DURATION, refresh_interval_s), .def = "86400",
	  .min = 0, .max = 31536000,
	  .doc = "A page whose record was delivered (to the Kafka cluster and topic in use) is "
		 "fetched "
		 "again (conditional GET) once its last fetch is older than this, at the next "
		 "start or "
		 "recrawl round; a changed page gives a new record, an unchanged one (304, or the "
		 "same "
		 "content) none. 0 = never." },
	{ KEY("scraper", "max_retries", K_UINT, max_retries), .def = "3", .min = 0, .max = 10,
	  .doc = "Retries of a page after a transient failure (connection error, timeout, 5xx, "
		 "408, "
		 "429); other 4xx are never retried. 0 = none." },
	{ KEY("scraper", "retry_backoff_ms", K_UINT, retry_backoff_ms), .def = "1000", .min = 10,
	  .max = 600000,
	  .doc = "Wait before the first retry in milliseconds; it doubles with each retry (plus up "
		 "to "
		 "50% random jitter), and the host's other requests wait too. A Retry-After header "
		 "replaces it." },

	/* [ring] */
	{ KEY("ring", "capacity", K_POW2, ring_capacity), .def = "1024", .min = 2, .max = 1u << 20,
	  .doc = "Records queued between the scrapers and the producer; scrapers wait when it is "
		 "full." },
	{ KEY("ring", "max_bytes", K_SIZE, ring_max_bytes), .def = "16M", .min = MIB, .max = GIB,
	  .doc = "Memory of the records (with their raw pages) between the scrapers and Kafka, "
		 "from the ring until their delivery reports, and of librdkafka's compressed "
		 "copies of them (about their size; a raw page's only when raw_compression is "
		 "not none); scrapers wait when it is used up. A record larger than this "
		 "passes alone." },

	/* [kafka] */
	{ KEY("kafka", "brokers", K_BROKERS, brokers), .def = "localhost:9092",
	  .doc = "Bootstrap brokers as host:port separated by commas or white space, or "
		 "\"embedded\" "
		 "for librdkafka's in-process mock cluster (data is in memory only and lost at "
		 "exit, and "
		 "so is what the crawl state knows was delivered to it)." },
	{ KEY("kafka", "debug", K_STRING, kafka_debug), .def = "", .min = 0, .max = 255,
	  .doc = "librdkafka's debug contexts for both clients, separated by commas (its debug "
		 "property: broker, topic, msg, protocol, cgrp, fetch, consumer, ..., all); their "
		 "lines "
		 "are logged at debug priority with KAFKA_CLIENT and KAFKA_FACILITY fields. Empty: "
		 "none." },

	/* [producer] */
	{ KEY("producer", "topic", K_TOPIC, topic), .def = "parsed_recipes", .min = 1, .max = 249,
	  .doc = "Topic of the JSON records." },
	{ KEY("producer", "raw_topic", K_TOPIC, raw_topic), .def = "raw_recipes", .min = 0,
	  .max = 249,
	  .doc = "Topic of the raw HTML of each recipe page (compressed); empty = not published. "
		 "Must differ from topic and must not be consumed." },
	{ KEY("producer", "raw_compression", K_STRING, raw_compression),
	  .def = RSD_RAW_COMPRESSION_DEFAULT, .min = 1, .max = 32,
	  .doc = "Codec of raw_topic's messages, as CODEC or CODEC:LEVEL: none, gzip, snappy, lz4 "
		 "or zstd, and librdkafka's compression.level (-1..12, -1 = the codec's default). "
		 "lz4 costs the least CPU; zstd:1 sends a third fewer bytes for about twice the "
		 "CPU per page (docs/performance.md). Records keep [producer] compression.type." },
	{ KEY("producer", "partitions", K_UINT, partitions), .def = "6", .min = 1, .max = 10000,
	  .doc = "Partitions of each topic the daemon creates (topic, raw_topic, [consumer] "
		 "topics) "
		 "when it is missing at start or after a reload; an existing topic is never "
		 "changed, "
		 "one with fewer partitions is reported. It bounds how many consumers of a group "
		 "share the work." },
	{ KEY("producer", "replication_factor", K_UINT, replication_factor), .def = "0", .min = 0,
	  .max = 32767,
	  .doc = "Replicas of each topic the daemon creates; 0 = the broker's "
		 "default.replication.factor (Kafka 2.4 or later)." },

	/* [consumer] */
	{ KEY("consumer", "enabled", K_BOOL, consumer_enabled), .def = "on",
	  .doc = "Run the consumer that writes records to the journal." },
	{ KEY("consumer", "group_id", K_STRING, group_id), .def = "recipe-scraperd", .min = 1,
	  .max = 255, .doc = "Consumer group; daemons with the same group share the partitions." },
	{ KEY("consumer", "topics", K_TOPIC_LIST, topics), .def = "",
	  .doc = "Topics consumed, separated by white space or commas. Empty: [producer] topic." },
	{ KEY("consumer", "calorie_threshold", K_NUMBER, calorie_threshold), .def = "200", .min = 0,
	  .max = 100000,
	  .doc = "Recipes with more calories than this get a warning-priority journal entry." },

	/* [journal] */
	{ KEY("journal", "sink", K_ENUM, sink), .def = "auto", .choices = sink_choices,
	  .doc = "Where consumed records go: journal (sd_journal_send), stdout (one JSON object "
		 "per "
		 "line, the journal fields), auto (journal when /run/systemd/journal/socket "
		 "exists)." },
	{ KEY("journal", "identifier", K_STRING, identifier), .def = "recipe-scraperd", .min = 1,
	  .max = 64, .doc = "SYSLOG_IDENTIFIER of the entries." },

	/* [metrics] */
	{ KEY("metrics", "listen", K_LISTEN, metrics_listen), .def = "",
	  .doc = "Address of the HTTP endpoint serving /metrics (Prometheus text format) and "
		 "/healthz, as IPV4:PORT, [IPV6]:PORT or localhost:PORT (127.0.0.1). Empty: no "
		 "endpoint. An address that cannot be bound is an error at start (exit 78) and "
		 "rejects a reload (the old endpoint stays); a reload to another address moves "
		 "the endpoint. Anyone who can connect reads the counters: bind it to loopback or "
		 "a management network." },

	/* [cluster] */
	{ KEY("cluster", "frontier_topic", K_TOPIC, frontier_topic), .def = "", .min = 0,
	  .max = 249,
	  .doc = "Topic of the URLs to crawl, keyed by host: daemons with the same group_id share "
		 "the crawl, each host crawled by the daemon that owns its partition. Empty: this "
		 "daemon crawls alone (single-node). A reload that changes any [cluster] key "
		 "recreates the Kafka clients (the daemon leaves and rejoins the group); "
		 "--once cannot be combined with it." },
	{ KEY("cluster", "state_topic", K_TOPIC, state_topic), .def = "crawl_state", .min = 1,
	  .max = 249,
	  .doc = "Compacted topic of the crawl state, keyed by URL, partitioned like "
		 "frontier_topic "
		 "(same partition count): read by a partition's new owner before it crawls." },
	{ KEY("cluster", "group_id", K_STRING, cluster_group_id), .def = "recipe-scraperd-crawl",
	  .min = 1, .max = 255,
	  .doc = "The crawl group (consumers of frontier_topic); must differ from [consumer] "
		 "group_id." },
	{ KEY("cluster", "partitions", K_UINT, cluster_partitions), .def = "12", .min = 1,
	  .max = 10000,
	  .doc = "Partitions of frontier_topic and state_topic when the daemon creates them; "
		 "existing topics are used as they are. It bounds how many daemons crawl." },
};
const size_t cfg_n_keys = ARRAY_SIZE(cfg_key_specs);
_Static_assert(ARRAY_SIZE(cfg_key_specs) <= RSD_CFG_MAX_KEYS,
	       "more keys than RSD_CFG_MAX_KEYS (config_spec.h): raise it");

const struct section_spec cfg_section_specs[] = {
	{ "daemon", NO_AUX, 0, "The process." },
	{ "scraper", NO_AUX, 0, "The crawl: where it starts, where it may go, how politely." },
	{ "ring", NO_AUX, 0, "The queue between the scrapers and the producer." },
	{ "kafka", FIELD(kafka_props), TO_PRODUCER | TO_CONSUMER,
	  "Settings of both Kafka clients." },
	{ "producer", FIELD(producer_props), TO_PRODUCER, "Publishing the records." },
	{ "consumer", FIELD(consumer_props), TO_CONSUMER,
	  "Reading the records back (consumer group) and writing them to the journal." },
	{ "journal", NO_AUX, 0, "The journal entries." },
	{ "metrics", NO_AUX, 0, "The HTTP endpoint of the metrics and the health check." },
	{ "cluster", NO_AUX, 0, "Sharing one crawl between several daemons through Kafka." },
};
const size_t cfg_n_sections = ARRAY_SIZE(cfg_section_specs);

/* ---------------------------------------------------------------- the table, for docs */

static struct rsd_config_key_info key_infos[RSD_CFG_MAX_KEYS];
static char key_values[RSD_CFG_MAX_KEYS][64];
static pthread_once_t key_infos_once = PTHREAD_ONCE_INIT;

static void describe_values(const struct key_spec *spec, char *buf, size_t len)
{
	char *list = NULL;
	switch (spec->kind) {
	case K_BOOL:
		snprintf(buf, len, "on|off");
		break;
	case K_ENUM:
		list = cfg_choice_list(spec->choices);
		snprintf(buf, len, "%s", list ? list : "");
		free(list);
		break;
	case K_UINT:
	case K_UINT64:
	case K_DURATION:
	case K_SIZE:
	case K_NUMBER:
		cfg_format_range(spec, buf, len);
		break;
	case K_POW2:
		cfg_format_range(spec, buf, len);
		snprintf(buf + strlen(buf), len - strlen(buf), ", a power of two");
		break;
	case K_STRING:
		snprintf(buf, len, "%" PRIu64 "..%" PRIu64 " characters", spec->min, spec->max);
		break;
	case K_TOPIC:
		snprintf(buf, len, "a topic name%s", spec->min ? "" : " or empty");
		break;
	case K_REGEX:
		snprintf(buf, len, "POSIX extended regex or empty");
		break;
	case K_LISTEN:
		snprintf(buf, len, "IPV4:PORT, [IPV6]:PORT, localhost:PORT or empty");
		break;
	case K_URL_LIST:
		snprintf(buf, len, "http/https URLs");
		break;
	case K_HOST_LIST:
		snprintf(buf, len, "host names or empty");
		break;
	case K_TOPIC_LIST:
		snprintf(buf, len, "topic names or empty");
		break;
	case K_BROKERS:
		snprintf(buf, len, "host:port list or embedded");
		break;
	}
}

static void build_key_infos(void)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct key_spec *spec = &cfg_key_specs[i];
		describe_values(spec, key_values[i], sizeof(key_values[i]));
		key_infos[i] = (struct rsd_config_key_info){
			.section = spec->section,
			.key = spec->key,
			.type = cfg_kinds[spec->kind].name,
			.default_value = spec->def ? spec->def : "",
			.doc = spec->doc,
			.values = key_values[i],
			.required = spec->def == NULL,
		};
	}
}

const struct rsd_config_key_info *rsd_config_keys(size_t *n)
{
	pthread_once(&key_infos_once, build_key_infos);
	*n = N_KEYS;
	return key_infos;
}

/* A Markdown table cell: '|' would end it. */
static void put_cell(FILE *out, const char *s)
{
	for (; *s; s++)
		fputs(*s == '|' ? "\\|" : (char[]){ *s, '\0' }, out);
}

static void write_section(FILE *out, const struct section_spec *sec,
			  const struct rsd_config_key_info *keys, size_t n)
{
	fprintf(out, "### [%s]\n\n%s\n\n", sec->name, sec->doc);
	fputs("| Key | Type | Default | Values | Meaning |\n|---|---|---|---|---|\n", out);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(keys[i].section, sec->name) != 0)
			continue;
		const char *def = cfg_key_specs[i].doc_default ? cfg_key_specs[i].doc_default
							       : keys[i].default_value;
		fprintf(out, "| `%s` | %s | ", keys[i].key, keys[i].type);
		if (keys[i].required)
			fputs("*required*", out);
		else if (*def)
			fprintf(out, "`%s`", def);
		else
			fputs("*empty*", out);
		fputs(" | ", out);
		put_cell(out, keys[i].values);
		fputs(" | ", out);
		put_cell(out, keys[i].doc);
		fputs(" |\n", out);
	}
	if (sec->props != NO_AUX)
		fprintf(out,
			"| *any dotted key* | librdkafka property | | | Passed verbatim to %s. |\n",
			sec->to == TO_PRODUCER   ? "the producer"
			: sec->to == TO_CONSUMER ? "the consumer"
						 : "both clients");
	fputc('\n', out);
}

int rsd_config_write_reference(FILE *out)
{
	size_t n;
	const struct rsd_config_key_info *keys = rsd_config_keys(&n);
	for (size_t i = 0; i < cfg_n_sections; i++)
		write_section(out, &cfg_section_specs[i], keys, n);
	return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}
