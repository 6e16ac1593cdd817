/* SPDX-License-Identifier: MIT */
/* Configuration loading.
 *
 * One table, key_specs[], describes every key: section, name, kind (which
 * parser, which C type the field has), field offset, default as written in
 * the file, range and documentation. Parsing, defaults (the default text is
 * run through the same parser), validation, rsd_config_keys() and the
 * generated reference in docs/configuration.md all read that table, so they
 * cannot disagree.
 *
 * Line numbers: Debian's libinih is built without INI_HANDLER_LINENO, so the
 * text reaches ini_parse_stream() through our own reader, which counts
 * lines. inih calls the handler for a line before it asks for the next one,
 * so the reader's count is the line of every handler call.
 *
 * All errors: inih returns only the first line it rejects. The reader
 * therefore runs the same line classification as inih (same comment and
 * continuation rules, taken from ini.h's defaults), reports each line inih
 * would reject with a precise message and hands inih a blank line instead;
 * the handler never fails (it records errors itself). That way parsing
 * always reaches the end of the file and every problem is reported. The
 * reader also tracks sections itself: inih truncates section names to 50
 * bytes and never tells the handler about an empty or unknown section.
 *
 * Nothing here logs or exits: every problem becomes a "FILE:LINE: message"
 * in the caller's rsd_config_diag.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <ini.h>
#include <inttypes.h>
#include <limits.h>
#include <librdkafka/rdkafka.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <curl/curl.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FIELD(name) offsetof(struct rsd_config, name)
/* aux == NO_AUX: the key has no second field (offset 0 is `path`, never an aux). */
#define NO_AUX 0

/* Largest file we read: a configuration is a few KiB; anything bigger is a mistake. */
#define MAX_FILE_BYTES (1024 * 1024)
#define KIB UINT64_C(1024)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)

#define DEFAULT_USER_AGENT "recipe-scraperd/" RSD_VERSION " (+https://github.com/recipe-scraperd)"

/* ---------------------------------------------------------------- tables */

enum kind_id {
	K_STRING,
	K_BOOL,
	K_ENUM,
	K_UINT,
	K_UINT64,
	K_DURATION,
	K_SIZE,
	K_POW2,
	K_NUMBER,
	K_REGEX,
	K_TOPIC,
	K_URL_LIST,
	K_HOST_LIST,
	K_TOPIC_LIST,
	K_BROKERS,
	K_LISTEN,
};

struct choice {
	const char *name;
	int value;
};

struct key_spec {
	const char *section;
	const char *key;
	enum kind_id kind;
	size_t offset; /* the field in struct rsd_config */
	size_t aux;    /* a second field (compiled regex_t) or NO_AUX (0) */
	const char *def; /* default as written in the file; NULL = required */
	/* Range: numbers: min..max; strings: length; lists: minimum item count. */
	uint64_t min, max;
	const struct choice *choices; /* K_ENUM */
	const char *doc;
	const char *doc_default; /* the default as the docs show it, when def would age */
};

static const struct choice sink_choices[] = {
	{ "auto", RSD_SINK_AUTO },
	{ "journal", RSD_SINK_JOURNAL },
	{ "stdout", RSD_SINK_STDOUT },
	{ NULL, 0 },
};

/* syslog's and systemd's names (LogLevelMax=), and two common spellings. */
static const struct choice log_level_choices[] = {
	{ "emerg", LOG_EMERG }, { "alert", LOG_ALERT }, { "crit", LOG_CRIT }, { "err", LOG_ERR },
	{ "warning", LOG_WARNING }, { "notice", LOG_NOTICE }, { "info", LOG_INFO },
	{ "debug", LOG_DEBUG }, { "error", LOG_ERR }, { "warn", LOG_WARNING },
	{ NULL, 0 },
};

static const struct choice sitemaps_choices[] = {
	{ "off", RSD_SITEMAPS_OFF },
	{ "robots", RSD_SITEMAPS_ROBOTS },
	{ NULL, 0 },
};

/* Section, name, kind and field of a key; the rest is designated. */
#define KEY(sec, name, k, field) .section = sec, .key = name, .kind = k, .offset = FIELD(field)

static const struct key_spec key_specs[] = {
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
	{ KEY("daemon", "log_level", K_ENUM, log_level), .def = "info", .choices = log_level_choices,
	  .doc = "Least important priority of the daemon's own log lines that are written: emerg, "
		 "alert, crit, err, warning, notice, info or debug (also error, warn). At "
		 "debug, every refused or skipped page gets a line with its cause (REFUSAL_CAUSE=), "
		 "at most 100 a second (then one line says how many were suppressed). Lines of "
		 "[kafka] debug are written whatever it says. Consumed records are not log lines: "
		 "they are always written. A reload applies it." },

	/* [scraper] */
	{ KEY("scraper", "start_urls", K_URL_LIST, start_urls), .def = NULL, .min = 1,
	  .doc = "Pages the crawl starts from: absolute http or https URLs separated by white space "
		 "(continue the list on indented lines)." },
	{ KEY("scraper", "allowed_hosts", K_HOST_LIST, allowed_hosts), .def = "",
	  .doc = "Host names the crawl may visit (exact match, case-insensitive), separated by white "
		 "space or commas. Empty: the hosts of start_urls. Every start URL's host must be in it." },
	{ KEY("scraper", "follow", K_REGEX, follow), .aux = FIELD(follow_re), .def = "",
	  .doc = "Links whose normalised absolute URL matches this regex (anywhere; anchor it with ^ "
		 "and $) or matches recipe are followed. Empty: every link within allowed_hosts." },
	{ KEY("scraper", "recipe", K_REGEX, recipe), .aux = FIELD(recipe_re), .def = "",
	  .doc = "Only pages whose normalised URL matches this regex are extracted. Empty: every page "
		 "that has a recipe." },
	{ KEY("scraper", "follow_from_recipes", K_BOOL, follow_from_recipes), .def = "off",
	  .doc = "Follow the links found on recipe pages (pages a record is extracted from). off: only "
		 "pages without a recipe (start, category and index pages) lead further, so a crawl "
		 "started on a category stays in it instead of wandering off through each recipe's "
		 "links to related recipes and other categories. on: links of every page are "
		 "candidates (a whole-site crawl)." },
	{ KEY("scraper", "threads", K_UINT, threads), .def = "2", .min = 1, .max = 64,
	  .doc = "Scraper worker threads, each running many transfers at once." },
	{ KEY("scraper", "max_connections", K_UINT, max_connections), .def = "32", .min = 1, .max = 1024,
	  .doc = "Transfers in flight at once, all hosts, whole pool." },
	{ KEY("scraper", "max_connections_per_host", K_UINT, max_connections_per_host), .def = "2",
	  .min = 1, .max = 64,
	  .doc = "Transfers in flight at once to one host; at most max_connections." },
	{ KEY("scraper", "delay_ms", K_UINT, delay_ms), .def = "1000", .min = 0, .max = 600000,
	  .doc = "Minimum time between the starts of two requests to the same host, in milliseconds "
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
	  .doc_default = "recipe-scraperd/VERSION (+https://github.com/recipe-scraperd)",
	  .min = 1, .max = 512,
	  .doc = "User-Agent header of every request, also the name matched against robots.txt "
		 "groups." },
	{ KEY("scraper", "timeout_s", K_DURATION, timeout_s), .def = "30", .min = 1, .max = 3600,
	  .doc = "Limit of one whole transfer, connection included." },
	{ KEY("scraper", "max_page_bytes", K_SIZE, max_page_bytes), .def = "10M", .min = KIB, .max = GIB,
	  .doc = "Larger pages are abandoned and skipped." },
	{ KEY("scraper", "robots", K_BOOL, robots), .def = "on",
	  .doc = "Obey robots.txt (Disallow/Allow and Crawl-delay)." },
	{ KEY("scraper", "sitemaps", K_ENUM, sitemaps), .def = "off", .choices = sitemaps_choices,
	  .doc = "Where sitemaps are discovered: off (only sitemap_urls are read), robots (also the "
		 "Sitemap: lines of each robots.txt; needs robots = on). A site's sitemaps usually "
		 "list the whole site; the URLs they list are links of depth 1 (allowed_hosts, follow "
		 "and recipe apply)." },
	{ KEY("scraper", "sitemap_urls", K_URL_LIST, sitemap_urls), .def = "", .min = 0,
	  .doc = "Sitemaps (or sitemap indexes, XML or gzipped XML) read in every crawl round, "
		 "whatever sitemaps says: absolute http or https URLs on allowed_hosts, separated by "
		 "white space. Empty: none." },
	{ KEY("scraper", "allow_private_addresses", K_BOOL, allow_private_addresses), .def = "off",
	  .doc = "Allow hosts that resolve to addresses that are not public: loopback, private, "
		 "link-local, documentation, reserved, NAT64 and 6to4 (off protects the network the "
		 "daemon runs in; turn on for a local test site; see recipe-scraperd(8))." },
	{ KEY("scraper", "dedup_canonical", K_BOOL, dedup_canonical), .def = "on",
	  .doc = "Publish one record per canonical URL: pages that declare the same <link "
		 "rel=canonical> (print views, tracking-parameter twins) give one record." },
	{ KEY("scraper", "recrawl_interval_s", K_DURATION, recrawl_interval_s), .def = "86400",
	  .min = 0, .max = 31536000,
	  .doc = "In daemon mode, revisit the start URLs (and the sitemaps found the first time) this "
		 "often, with conditional GETs: an unchanged page's links are not followed again; 0 = "
		 "never." },
	{ KEY("scraper", "refresh_interval_s", K_DURATION, refresh_interval_s), .def = "86400",
	  .min = 0, .max = 31536000,
	  .doc = "A page whose record was delivered (to the Kafka cluster and topic in use) is fetched "
		 "again (conditional GET) once its last fetch is older than this, at the next start or "
		 "recrawl round; a changed page gives a new record, an unchanged one (304, or the same "
		 "content) none. 0 = never." },
	{ KEY("scraper", "max_retries", K_UINT, max_retries), .def = "3", .min = 0, .max = 10,
	  .doc = "Retries of a page after a transient failure (connection error, timeout, 5xx, 408, "
		 "429); other 4xx are never retried. 0 = none." },
	{ KEY("scraper", "retry_backoff_ms", K_UINT, retry_backoff_ms), .def = "1000", .min = 10,
	  .max = 600000,
	  .doc = "Wait before the first retry in milliseconds; it doubles with each retry (plus up to "
		 "50% random jitter), and the host's other requests wait too. A Retry-After header "
		 "replaces it." },

	/* [ring] */
	{ KEY("ring", "capacity", K_POW2, ring_capacity), .def = "1024", .min = 2, .max = 1u << 20,
	  .doc = "Records queued between the scrapers and the producer; scrapers wait when it is "
		 "full." },
	{ KEY("ring", "max_bytes", K_SIZE, ring_max_bytes), .def = "64M", .min = MIB, .max = GIB,
	  .doc = "Memory of the records (with their raw pages) between the scrapers and Kafka, from "
		 "the ring until their delivery reports; scrapers wait when it is used up. A record "
		 "larger than this passes alone." },

	/* [kafka] */
	{ KEY("kafka", "brokers", K_BROKERS, brokers), .def = "localhost:9092",
	  .doc = "Bootstrap brokers as host:port separated by commas or white space, or \"embedded\" "
		 "for librdkafka's in-process mock cluster (data is in memory only and lost at exit, and "
		 "so is what the crawl state knows was delivered to it)." },
	{ KEY("kafka", "debug", K_STRING, kafka_debug), .def = "", .min = 0, .max = 255,
	  .doc = "librdkafka's debug contexts for both clients, separated by commas (its debug "
		 "property: broker, topic, msg, protocol, cgrp, fetch, consumer, ..., all); their lines "
		 "are logged at debug priority with KAFKA_CLIENT and KAFKA_FACILITY fields. Empty: "
		 "none." },

	/* [producer] */
	{ KEY("producer", "topic", K_TOPIC, topic), .def = "parsed_recipes", .min = 1, .max = 249,
	  .doc = "Topic of the JSON records." },
	{ KEY("producer", "raw_topic", K_TOPIC, raw_topic), .def = "raw_recipes", .min = 0, .max = 249,
	  .doc = "Topic of the raw HTML of each recipe page (compressed); empty = not published. "
		 "Must differ from topic and must not be consumed." },
	{ KEY("producer", "partitions", K_UINT, partitions), .def = "6", .min = 1, .max = 10000,
	  .doc = "Partitions of each topic the daemon creates (topic, raw_topic, [consumer] topics) "
		 "when it is missing at start or after a reload; an existing topic is never changed, "
		 "one with fewer partitions is reported. It bounds how many consumers of a group "
		 "share the work." },
	{ KEY("producer", "replication_factor", K_UINT, replication_factor), .def = "0", .min = 0,
	  .max = 32767,
	  .doc = "Replicas of each topic the daemon creates; 0 = the broker's "
		 "default.replication.factor (Kafka 2.4 or later)." },

	/* [consumer] */
	{ KEY("consumer", "enabled", K_BOOL, consumer_enabled), .def = "on",
	  .doc = "Run the consumer that writes records to the journal." },
	{ KEY("consumer", "group_id", K_STRING, group_id), .def = "recipe-scraperd", .min = 1, .max = 255,
	  .doc = "Consumer group; daemons with the same group share the partitions." },
	{ KEY("consumer", "topics", K_TOPIC_LIST, topics), .def = "",
	  .doc = "Topics consumed, separated by white space or commas. Empty: [producer] topic." },
	{ KEY("consumer", "calorie_threshold", K_NUMBER, calorie_threshold), .def = "200",
	  .min = 0, .max = 100000,
	  .doc = "Recipes with more calories than this get a warning-priority journal entry." },

	/* [journal] */
	{ KEY("journal", "sink", K_ENUM, sink), .def = "auto", .choices = sink_choices,
	  .doc = "Where consumed records go: journal (sd_journal_send), stdout (one JSON object per "
		 "line, the journal fields), auto (journal when /run/systemd/journal/socket exists)." },
	{ KEY("journal", "identifier", K_STRING, identifier), .def = "recipe-scraperd", .min = 1, .max = 64,
	  .doc = "SYSLOG_IDENTIFIER of the entries." },

	/* [metrics] */
	{ KEY("metrics", "listen", K_LISTEN, metrics_listen), .def = "",
	  .doc = "Address of the HTTP endpoint serving /metrics (Prometheus text format) and "
		 "/healthz, as IPV4:PORT, [IPV6]:PORT or localhost:PORT (127.0.0.1). Empty: no "
		 "endpoint. A reload to another address moves the endpoint (the old one stays if "
		 "the new one cannot be bound). Anyone who can connect reads the counters: bind it to "
		 "loopback or a management network." },

	/* [cluster] */
	{ KEY("cluster", "frontier_topic", K_TOPIC, frontier_topic), .def = "", .min = 0, .max = 249,
	  .doc = "Topic of the URLs to crawl, keyed by host: daemons with the same group_id share "
		 "the crawl, each host crawled by the daemon that owns its partition. Empty: this "
		 "daemon crawls alone (single-node). A reload that changes any [cluster] key "
		 "recreates the Kafka clients (the daemon leaves and rejoins the group); "
		 "--once cannot be combined with it." },
	{ KEY("cluster", "state_topic", K_TOPIC, state_topic), .def = "crawl_state", .min = 1,
	  .max = 249,
	  .doc = "Compacted topic of the crawl state, keyed by URL, partitioned like frontier_topic "
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
#define N_KEYS ARRAY_SIZE(key_specs)

/* Which librdkafka clients a section's dotted keys configure. */
enum { TO_PRODUCER = 1, TO_CONSUMER = 2 };

struct section_spec {
	const char *name;
	size_t props;  /* offset of the rsd_kv_list of dotted keys, or NO_AUX */
	unsigned to;   /* TO_* */
	const char *doc;
};

static const struct section_spec section_specs[] = {
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

/* Dotted keys that have a key of their own: two ways to say one thing would
 * let them disagree. */
static const struct {
	const char *property, *instead;
} owned_properties[] = {
	{ "bootstrap.servers", "kafka.brokers" },
	{ "metadata.broker.list", "kafka.brokers" },
	{ "group.id", "consumer.group_id" },
};

/* Properties the clients force (producer.c, consumer.c) because a delivery
 * guarantee depends on them. A file that sets another value would be
 * silently overridden, so it is an error instead: what -t accepts is what
 * runs. keys[0] is the name librdkafka reports the value under (normalised:
 * "all" reads back as "-1", "0" as "false"); the others are its aliases. */
static const struct {
	unsigned to;
	const char *keys[3];
	const char *value; /* as rd_kafka_conf_get() reports it */
	const char *why;
} forced_properties[] = {
	{ TO_PRODUCER, { "enable.idempotence", NULL }, "true",
	  "must be true: the producer is always idempotent (no duplicate or reordered record "
	  "from its retries); remove the line" },
	{ TO_PRODUCER, { "acks", "request.required.acks", NULL }, "-1",
	  "must be all: a record counts as delivered only once every in-sync replica has it; "
	  "remove the line" },
	{ TO_CONSUMER, { "enable.auto.offset.store", NULL }, "false",
	  "must be false: an offset is stored only after the record reached the journal "
	  "(at least once); remove the line" },
};

/* ---------------------------------------------------------------- loader */

/* The text a ${...} reference expanded to, and the reference as written. */
struct secret {
	char *value;
	char *ref;
};

/* How an indented line after a key is treated. */
enum continuation { CONT_IGNORE, CONT_APPEND, CONT_REJECT };

/* Locations: a line of the main file is its number; a line of an included
 * file carries the file's index (ld->files) above LINE_BITS, so that keys,
 * checks and the sorting of messages know which file a line is in. A file
 * of MAX_FILE_BYTES has fewer lines than 2^LINE_BITS. */
#define LINE_BITS 24
#define LINE_MASK ((1u << LINE_BITS) - 1)
/* include: how deep includes nest, how many files one load reads. */
#define MAX_INCLUDE_DEPTH 8
#define MAX_FILES 64

struct loader {
	const char *name; /* file name in messages: files[file] */
	const char *pos, *end;
	unsigned lineno; /* line last handed to inih */
	struct rsd_config *cfg;
	struct rsd_config_diag found;
	bool oom;

	/* Mirror of inih's lexer state (see the top comment). */
	const struct section_spec *section; /* NULL before the first section */
	bool skip_keys;      /* in an unknown or malformed section: already reported */
	bool have_prev_name; /* inih would take an indented line as a continuation */
	bool is_continuation; /* the line being handled is one */

	enum continuation cont;
	const struct key_spec *cont_spec; /* key being continued (CONT_APPEND) */
	const char *cont_key;             /* its name, for CONT_REJECT messages */

	unsigned key_line[N_KEYS]; /* where each key was set, 0 = default */
	bool key_bad[N_KEYS];      /* a value of the key was reported */

	/* Scratch configurations that validate dotted keys exactly as the
	 * clients will apply them; created on the first dotted key. */
	rd_kafka_conf_t *scratch[2]; /* [0] producer, [1] consumer */

	/* Every ${...} expanded so far: messages show the reference instead. */
	struct secret *secrets;
	size_t n_secrets;

	/* include: every file read (files[0] the main one) and the chain of
	 * files being parsed (by index), to refuse loops. */
	char *files[MAX_FILES];
	char *real[MAX_FILES]; /* realpath() of each, NULL when it has none */
	unsigned n_files;
	unsigned file; /* index of the file being parsed */
	unsigned chain[MAX_INCLUDE_DEPTH + 1];
	unsigned depth;
};

/* Argument of every value parser. */
struct field_ctx {
	struct loader *ld;
	const struct key_spec *spec;
	unsigned line;
	void *field;
	void *aux;
};

static void diag_push(struct loader *ld, unsigned line, char *msg)
{
	struct rsd_config_diag *d = &ld->found;
	char **m = msg ? realloc(d->messages, (d->n + 1) * sizeof(*m)) : NULL;
	if (m)
		d->messages = m;
	unsigned *l = m ? realloc(d->lines, (d->n + 1) * sizeof(*l)) : NULL;
	if (!l) {
		free(msg);
		ld->oom = true;
		return;
	}
	d->lines = l;
	d->messages[d->n] = msg;
	d->lines[d->n] = line;
	d->n++;
}

/* s with every occurrence of from replaced by to (a new string), or NULL. */
static char *replace_all(const char *s, const char *from, const char *to)
{
	char *out = NULL;
	size_t len = 0, flen = strlen(from);
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	for (const char *hit; (hit = strstr(s, from)); s = hit + flen) {
		fwrite(s, 1, (size_t)(hit - s), f);
		fputs(to, f);
	}
	fputs(s, f);
	if (fclose(f) != 0)
		return NULL;
	return out;
}

/* Messages quote values (parsers, librdkafka's verdicts, checks across
 * keys): whatever a reference expanded to is shown as the reference, so
 * that no secret reaches -t output, the journal or STATUS=. Replacing the
 * text rather than each message's argument covers every message at once. */
static char *scrub(struct loader *ld, char *body)
{
	for (size_t i = 0; body && i < ld->n_secrets; i++) {
		if (!*ld->secrets[i].value || !strstr(body, ld->secrets[i].value))
			continue;
		char *clean = replace_all(body, ld->secrets[i].value, ld->secrets[i].ref);
		free(body);
		body = clean;
	}
	return body;
}

/* Records "NAME:LINE: [section.key: ]message" ("NAME: ..." when line is 0). */
__attribute__((format(printf, 4, 0))) static void vreport(struct loader *ld, unsigned line,
							 const struct key_spec *spec,
							 const char *fmt, va_list ap)
{
	char *body = NULL, *msg = NULL;
	if (vasprintf(&body, fmt, ap) < 0 || !(body = scrub(ld, body))) {
		ld->oom = true;
		return;
	}
	/* a line without a file index is one of the file being parsed */
	unsigned file = line >> LINE_BITS ? line >> LINE_BITS : ld->file;
	const char *name = ld->n_files ? ld->files[file] : ld->name;
	char at[16] = "";
	if (line & LINE_MASK)
		snprintf(at, sizeof(at), ":%u", line & LINE_MASK);
	int rc = spec ? asprintf(&msg, "%s%s: %s.%s: %s", name, at, spec->section, spec->key, body)
		      : asprintf(&msg, "%s%s: %s", name, at, body);
	free(body);
	diag_push(ld, line & LINE_MASK ? (line & LINE_MASK) | file << LINE_BITS : 0,
		  rc < 0 ? NULL : msg);
}

__attribute__((format(printf, 3, 4))) static void report(struct loader *ld, unsigned line,
							 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(ld, line, NULL, fmt, ap);
	va_end(ap);
}

/* A problem with a value of the key being parsed. */
__attribute__((format(printf, 2, 3))) static void bad(struct field_ctx *fc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(fc->ld, fc->line, fc->spec, fmt, ap);
	va_end(ap);
	fc->ld->key_bad[fc->spec - key_specs] = true;
}

static void *oom_check(struct loader *ld, void *p)
{
	if (!p)
		ld->oom = true;
	return p;
}

/* The location of a line of the file being parsed (see LINE_BITS). */
static unsigned here(const struct loader *ld, unsigned line)
{
	return line | ld->file << LINE_BITS;
}

/* ---------------------------------------------------------------- helpers */

static void strv_free(struct rsd_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->items[i]);
	free(v->items);
	v->items = NULL;
	v->n = 0;
}

/* Takes ownership of item (also on failure). */
static int strv_push(struct rsd_strv *v, char *item)
{
	char **items = item ? realloc(v->items, (v->n + 1) * sizeof(*items)) : NULL;
	if (!items) {
		free(item);
		return -ENOMEM;
	}
	v->items = items;
	v->items[v->n++] = item;
	return 0;
}

static bool strv_contains(const struct rsd_strv *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->items[i], s) == 0)
			return true;
	return false;
}

static void kv_list_free(struct rsd_kv_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].key);
		free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static const struct rsd_kv *kv_find(const struct rsd_kv_list *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i].key, key) == 0)
			return &l->items[i];
	return NULL;
}

static int kv_push(struct rsd_kv_list *l, const char *key, const char *value, unsigned line)
{
	struct rsd_kv *items = realloc(l->items, (l->n + 1) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	l->items = items;
	char *k = strdup(key), *v = strdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	l->items[l->n++] = (struct rsd_kv){ .key = k, .value = v, .line = line };
	return 0;
}

static void lower_ascii(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Next item of a list separated by any of seps; NULL at the end. */
static const char *next_item(const char **p, const char *seps, size_t *len)
{
	const char *s = *p + strspn(*p, seps);
	if (!*s)
		return NULL;
	*len = strcspn(s, seps);
	*p = s + *len;
	return s;
}

static bool has_item(const char *list, const char *seps, const char *item)
{
	size_t len;
	for (const char *p = list, *i; (i = next_item(&p, seps, &len));)
		if (len == strlen(item) && memcmp(i, item, len) == 0)
			return true;
	return false;
}

#define SPACE " \t\r\n\f\v"
#define SPACE_OR_COMMA SPACE ","

static bool has_control_char(const char *s)
{
	for (; *s; s++)
		if (iscntrl((unsigned char)*s))
			return true;
	return false;
}

static void replace_string(char **field, char *value)
{
	free(*field);
	*field = value;
}

/* ---------------------------------------------------------------- kinds */

typedef void (*parse_fn)(struct field_ctx *fc, const char *value, bool append);
typedef void (*release_fn)(void *field, void *aux);

struct unit {
	const char *suffix;
	uint64_t factor;
};

static const struct unit size_units[] = {
	{ "G", GIB }, { "M", MIB }, { "K", KIB }, { "g", GIB }, { "m", MIB }, { "k", KIB }, { NULL, 0 },
};
static const struct unit duration_units[] = {
	{ "d", 86400 }, { "h", 3600 }, { "m", 60 }, { "s", 1 }, { NULL, 0 },
};

struct kind {
	const char *name; /* type name in the docs */
	parse_fn parse;
	release_fn release;
	bool is_list;           /* indented lines continue the value */
	const char *expected;   /* what a number must look like */
	const struct unit *units; /* suffixes numbers accept */
	size_t width;           /* size of a numeric field */
};

static void parse_string(struct field_ctx *fc, const char *v, bool append);
static void parse_topic(struct field_ctx *fc, const char *v, bool append);
static void parse_bool(struct field_ctx *fc, const char *v, bool append);
static void parse_enum(struct field_ctx *fc, const char *v, bool append);
static void parse_unsigned(struct field_ctx *fc, const char *v, bool append);
static void parse_number(struct field_ctx *fc, const char *v, bool append);
static void parse_regex(struct field_ctx *fc, const char *v, bool append);
static void parse_url_list(struct field_ctx *fc, const char *v, bool append);
static void parse_host_list(struct field_ctx *fc, const char *v, bool append);
static void parse_topic_list(struct field_ctx *fc, const char *v, bool append);
static void parse_brokers(struct field_ctx *fc, const char *v, bool append);
static void parse_listen(struct field_ctx *fc, const char *v, bool append);
static void release_string(void *field, void *aux);
static void release_strv(void *field, void *aux);
static void release_regex(void *field, void *aux);

static const struct kind kinds[] = {
	[K_STRING] = { "string", parse_string, release_string, false, NULL, NULL, 0 },
	[K_BOOL] = { "bool", parse_bool, NULL, false, NULL, NULL, 0 },
	[K_ENUM] = { "enum", parse_enum, NULL, false, NULL, NULL, 0 },
	[K_UINT] = { "uint", parse_unsigned, NULL, false, "an unsigned integer", NULL, sizeof(unsigned) },
	[K_UINT64] = { "uint", parse_unsigned, NULL, false, "an unsigned integer", NULL, sizeof(uint64_t) },
	[K_DURATION] = { "duration", parse_unsigned, NULL, false,
			 "a duration in seconds (optional suffix s, m, h or d)", duration_units,
			 sizeof(unsigned) },
	[K_SIZE] = { "size", parse_unsigned, NULL, false, "a size in bytes (optional suffix K, M or G)",
		     size_units, sizeof(uint64_t) },
	[K_POW2] = { "power-of-two", parse_unsigned, NULL, false, "an unsigned integer", NULL,
		     sizeof(uint32_t) },
	[K_NUMBER] = { "number", parse_number, NULL, false, NULL, NULL, 0 },
	[K_REGEX] = { "regex", parse_regex, release_regex, false, NULL, NULL, 0 },
	[K_TOPIC] = { "topic", parse_topic, release_string, false, NULL, NULL, 0 },
	[K_URL_LIST] = { "url-list", parse_url_list, release_strv, true, NULL, NULL, 0 },
	[K_HOST_LIST] = { "host-list", parse_host_list, release_strv, true, NULL, NULL, 0 },
	[K_TOPIC_LIST] = { "topic-list", parse_topic_list, release_strv, true, NULL, NULL, 0 },
	[K_BROKERS] = { "brokers", parse_brokers, release_string, true, NULL, NULL, 0 },
	[K_LISTEN] = { "address", parse_listen, release_string, false, NULL, NULL, 0 },
};

static void release_string(void *field, void *aux)
{
	(void)aux;
	replace_string(field, NULL);
}

static void release_strv(void *field, void *aux)
{
	(void)aux;
	strv_free(field);
}

static void release_regex(void *field, void *aux)
{
	char **pattern = field;
	if (*pattern)
		regfree(aux);
	replace_string(pattern, NULL);
}

/* Strings: length within min..max, no control characters; an empty value
 * of a key whose minimum length is 0 means "unset" (NULL). */
static bool check_string(struct field_ctx *fc, const char *v)
{
	size_t len = strlen(v);
	if (len < fc->spec->min) {
		bad(fc, "must not be empty");
		return false;
	}
	if (len > fc->spec->max) {
		bad(fc, "is %zu characters long, at most %" PRIu64 " are allowed", len, fc->spec->max);
		return false;
	}
	if (has_control_char(v)) {
		bad(fc, "contains a control character");
		return false;
	}
	return true;
}

static void store_string(struct field_ctx *fc, const char *v)
{
	char *copy = NULL;
	if (*v && !(copy = oom_check(fc->ld, strdup(v))))
		return;
	replace_string(fc->field, copy);
}

static void parse_string(struct field_ctx *fc, const char *v, bool append)
{
	(void)append;
	if (check_string(fc, v))
		store_string(fc, v);
}

/* Kafka's rule for topic names: [a-zA-Z0-9._-], at most 249, not "." or "..". */
static bool valid_topic(const char *t)
{
	size_t len = strlen(t);
	if (len == 0 || len > 249 || strcmp(t, ".") == 0 || strcmp(t, "..") == 0)
		return false;
	return strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len;
}

#define TOPIC_RULE "letters, digits, '.', '_' and '-', at most 249"

static void parse_topic(struct field_ctx *fc, const char *v, bool append)
{
	(void)append;
	if (!check_string(fc, v))
		return;
	if (*v && !valid_topic(v)) {
		bad(fc, "'%s' is not a valid Kafka topic name (" TOPIC_RULE ")", v);
		return;
	}
	store_string(fc, v);
}

static const struct choice bool_choices[] = {
	{ "on", 1 }, { "off", 0 }, { "yes", 1 }, { "no", 0 },
	{ "true", 1 }, { "false", 0 }, { "1", 1 }, { "0", 0 }, { NULL, 0 },
};

static const struct choice *find_choice(const struct choice *c, const char *v)
{
	for (; c->name; c++)
		if (strcasecmp(c->name, v) == 0)
			return c;
	return NULL;
}

static char *choice_list(const struct choice *c)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	if (!f)
		return NULL;
	for (const struct choice *i = c; i->name; i++)
		fprintf(f, "%s%s", i == c ? "" : "|", i->name);
	return fclose(f) == 0 ? s : NULL;
}

/* The matching choice, or NULL after reporting what was expected. */
static const struct choice *parse_choice(struct field_ctx *fc, const char *v,
					 const struct choice *choices)
{
	const struct choice *c = find_choice(choices, v);
	if (!c) {
		char *list = choice_list(choices);
		bad(fc, "expected %s, got '%s'", list ? list : "one of the documented values", v);
		free(list);
	}
	return c;
}

static void parse_bool(struct field_ctx *fc, const char *v, bool append)
{
	(void)append;
	const struct choice *c = parse_choice(fc, v, bool_choices);
	if (c)
		*(bool *)fc->field = c->value != 0;
}

/* Enum fields are stored as an int. */
_Static_assert(sizeof(enum rsd_sink_kind) == sizeof(int), "enum fields are int-sized");
_Static_assert(sizeof(enum rsd_sitemaps) == sizeof(int), "enum fields are int-sized");

static void parse_enum(struct field_ctx *fc, const char *v, bool append)
{
	(void)append;
	const struct choice *c = parse_choice(fc, v, fc->spec->choices);
	if (c)
		memcpy(fc->field, &c->value, sizeof(c->value));
}

/* "10M" -> 10485760 with the given units; false on syntax error, *overflow
 * when it does not fit 64 bits. */
static bool scan_amount(const char *v, const struct unit *units, uint64_t *out, bool *overflow)
{
	*overflow = false;
	if (!isdigit((unsigned char)*v))
		return false;
	errno = 0;
	char *end;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno == ERANGE)
		*overflow = true;
	uint64_t factor = 1;
	if (*end && units) {
		const struct unit *u = units;
		while (u->suffix && strcmp(u->suffix, end) != 0)
			u++;
		if (!u->suffix)
			return false;
		factor = u->factor;
		end += strlen(u->suffix);
	}
	if (*end)
		return false;
	if (n > UINT64_MAX / factor)
		*overflow = true;
	*out = (uint64_t)n * factor;
	return true;
}

/* 1073741824 -> "1G" when units divide it exactly. */
static void format_amount(uint64_t n, const struct unit *units, char *buf, size_t len)
{
	for (const struct unit *u = units; u && u->suffix; u++)
		if (n && n % u->factor == 0) {
			snprintf(buf, len, "%" PRIu64 "%s", n / u->factor, u->suffix);
			return;
		}
	snprintf(buf, len, "%" PRIu64, n);
}

static void format_range(const struct key_spec *spec, char *buf, size_t len)
{
	/* Sizes read best with suffixes ("1K..1G"), durations in seconds. */
	const struct unit *units = spec->kind == K_SIZE ? size_units : NULL;
	const char *unit = spec->kind == K_DURATION ? " seconds" : "";
	char lo[32], hi[32];
	format_amount(spec->min, units, lo, sizeof(lo));
	if (spec->max == UINT64_MAX) {
		snprintf(buf, len, "%s or more%s", lo, unit);
		return;
	}
	format_amount(spec->max, units, hi, sizeof(hi));
	snprintf(buf, len, "%s..%s%s", lo, hi, unit);
}

_Static_assert(sizeof(unsigned) == sizeof(uint32_t), "unsigned fields are 32 bits");

static void store_unsigned(void *field, size_t width, uint64_t n)
{
	if (width == sizeof(uint64_t)) {
		uint64_t v = n;
		memcpy(field, &v, sizeof(v));
	} else if (width == sizeof(uint32_t)) {
		uint32_t v = (uint32_t)n; /* in range: checked against spec->max */
		memcpy(field, &v, sizeof(v));
	}
}

static void parse_unsigned(struct field_ctx *fc, const char *v, bool append)
{
	(void)append;
	const struct kind *k = &kinds[fc->spec->kind];
	uint64_t n = 0;
	bool overflow;
	if (!scan_amount(v, k->units, &n, &overflow)) {
		bad(fc, "expected %s, got '%s'", k->expected, v);
		return;
	}
	if (overflow || n < fc->spec->min || n > fc->spec->max) {
		char range[80];
		format_range(fc->spec, range, sizeof(range));
		bad(fc, "%s is out of range %s", v, range);
		return;
	}
	if (fc->spec->kind == K_POW2 && (n & (n - 1)) != 0) {
		bad(fc, "%s is not a power of two", v);
		return;
	}
	store_unsigned(fc->field, k->width, n);
}

static void parse_number(struct field_ctx *fc, const char *v, bool append)
{
	(void)append;
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (!*v || *end || isspace((unsigned char)*v) || errno == ERANGE || !isfinite(d)) {
		bad(fc, "expected a number, got '%s'", v);
		return;
	}
	if (d < (double)fc->spec->min || d > (double)fc->spec->max) {
		bad(fc, "%s is out of range %" PRIu64 "..%" PRIu64, v, fc->spec->min, fc->spec->max);
		return;
	}
	memcpy(fc->field, &d, sizeof(d));
}

static void parse_regex(struct field_ctx *fc, const char *v, bool append)
{
	(void)append;
	regex_t re;
	char *pattern = NULL;
	if (*v) {
		/* REG_NOSUB: the crawler only asks whether a URL matches. */
		int rc = regcomp(&re, v, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			char why[256];
			regerror(rc, &re, why, sizeof(why));
			bad(fc, "invalid regular expression '%s': %s", v, why);
			return;
		}
		if (!(pattern = oom_check(fc->ld, strdup(v)))) {
			regfree(&re);
			return;
		}
	}
	release_regex(fc->field, fc->aux);
	*(char **)fc->field = pattern;
	if (pattern)
		memcpy(fc->aux, &re, sizeof(re));
}

/* Host of an absolute http(s) URL, lower-cased. 0, -EINVAL with *why, -ENOMEM. */
static int url_host(const char *url, char **host, const char **why)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *h = NULL;
	int rc = -ENOMEM;
	if (!u)
		return rc;
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(u, CURLUPART_HOST, &h, 0);
	if (uc == CURLUE_OUT_OF_MEMORY) {
		rc = -ENOMEM;
	} else if (uc != CURLUE_OK) {
		*why = curl_url_strerror(uc);
		rc = -EINVAL;
	} else if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0) {
		*why = "only http and https URLs are allowed";
		rc = -EPROTONOSUPPORT;
	} else {
		*host = strdup(h);
		rc = *host ? 0 : -ENOMEM;
		if (*host)
			lower_ascii(*host);
	}
	curl_free(scheme);
	curl_free(h);
	curl_url_cleanup(u);
	return rc;
}

static void parse_url_list(struct field_ctx *fc, const char *v, bool append)
{
	struct rsd_strv *list = fc->field;
	if (!append)
		strv_free(list);
	size_t len;
	for (const char *p = v, *item; (item = next_item(&p, SPACE, &len));) {
		char *url = oom_check(fc->ld, strndup(item, len));
		char *host = NULL;
		const char *why = "";
		if (!url)
			return;
		int rc = url_host(url, &host, &why);
		free(host);
		if (rc == -ENOMEM)
			fc->ld->oom = true;
		else if (rc == -EPROTONOSUPPORT)
			bad(fc, "'%s': %s", url, why);
		else if (rc < 0)
			bad(fc, "'%s' is not a valid URL: %s", url, why);
		if (rc == 0 && strv_push(list, url) < 0)
			fc->ld->oom = true;
		if (rc != 0)
			free(url);
	}
}

/* A host name as the crawler compares it: what curl takes as the host of
 * http://HOST/ and nothing more (no port, path or user), no empty label. */
static bool valid_host(const char *host)
{
	if (!*host || strstr(host, "..") || host[0] == '.')
		return false;
	char *url = NULL, *h = NULL;
	const char *why;
	if (asprintf(&url, "http://%s/", host) < 0)
		return false;
	bool ok = url_host(url, &h, &why) == 0 && strcasecmp(h, host) == 0;
	free(url);
	free(h);
	return ok;
}

static void parse_host_list(struct field_ctx *fc, const char *v, bool append)
{
	struct rsd_strv *list = fc->field;
	if (!append)
		strv_free(list);
	size_t len;
	for (const char *p = v, *item; (item = next_item(&p, SPACE_OR_COMMA, &len));) {
		char *host = oom_check(fc->ld, strndup(item, len));
		if (!host)
			return;
		lower_ascii(host);
		if (!valid_host(host)) {
			bad(fc, "'%.*s' is not a valid host name", (int)len, item);
			free(host);
		} else if (strv_contains(list, host)) {
			free(host);
		} else if (strv_push(list, host) < 0) {
			fc->ld->oom = true;
		}
	}
}

static void parse_topic_list(struct field_ctx *fc, const char *v, bool append)
{
	struct rsd_strv *list = fc->field;
	if (!append)
		strv_free(list);
	size_t len;
	for (const char *p = v, *item; (item = next_item(&p, SPACE_OR_COMMA, &len));) {
		char *topic = oom_check(fc->ld, strndup(item, len));
		if (!topic)
			return;
		if (!valid_topic(topic)) {
			bad(fc, "'%s' is not a valid Kafka topic name (" TOPIC_RULE ")", topic);
			free(topic);
		} else if (strv_contains(list, topic)) {
			free(topic);
		} else if (strv_push(list, topic) < 0) {
			fc->ld->oom = true;
		}
	}
}

/* "host:port" or "[v6]:port", port 1..65535. */
static bool valid_broker(const char *b)
{
	const char *colon = strrchr(b, ':');
	if (!colon || colon == b || colon[1] == '\0')
		return false;
	char *end;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (*end || errno || port < 1 || port > 65535 || !isdigit((unsigned char)colon[1]))
		return false;
	char *host = strndup(b, (size_t)(colon - b));
	bool ok = host && valid_host(host);
	free(host);
	return ok;
}

/* Kept as librdkafka's bootstrap.servers wants it: comma separated. */
static void parse_brokers(struct field_ctx *fc, const char *v, bool append)
{
	char **brokers = fc->field;
	char *joined = NULL;
	size_t joined_len = 0;
	FILE *f = oom_check(fc->ld, open_memstream(&joined, &joined_len));
	if (!f)
		return;
	if (append && *brokers)
		fputs(*brokers, f);
	size_t len;
	bool ok = true;
	for (const char *p = v, *item; (item = next_item(&p, SPACE_OR_COMMA, &len));) {
		char *b = strndup(item, len);
		if (!b) {
			fc->ld->oom = true;
			ok = false;
			break;
		}
		if (strcmp(b, "embedded") != 0 && !valid_broker(b)) {
			bad(fc, "'%s' is not host:port (port 1..65535) or \"embedded\"", b);
			ok = false;
		}
		fprintf(f, "%s%s", ftell(f) > 0 ? "," : "", b); /* ftell: bytes written so far */
		free(b);
	}
	if (fclose(f) != 0) {
		fc->ld->oom = true;
		ok = false;
	}
	if (ok && !*joined) {
		bad(fc, "must not be empty");
		ok = false;
	}
	if (ok)
		replace_string(brokers, joined);
	else
		free(joined);
}

/* The port of a listen address: decimal 1..65535, nothing after it. */
static int listen_port(const char *p, uint16_t *port)
{
	char *end;
	errno = 0;
	unsigned long n = *p >= '0' && *p <= '9' ? strtoul(p, &end, 10) : 0;
	if (errno || n < 1 || n > 65535 || *end)
		return -EINVAL;
	*port = htons((uint16_t)n);
	return 0;
}

/* Literal addresses only (and localhost): resolving a name at every load
 * would make -t depend on DNS and a reload bind somewhere else. */
int rsd_config_parse_listen(const char *value, struct sockaddr_storage *addr, unsigned *addrlen,
			    char *err, size_t errlen)
{
	const char *colon = strrchr(value, ':');
	char host[INET6_ADDRSTRLEN + 2];
	size_t hlen = colon ? (size_t)(colon - value) : 0;
	memset(addr, 0, sizeof *addr);
	if (!colon || hlen == 0 || hlen >= sizeof host) {
		snprintf(err, errlen, "'%s' is not HOST:PORT", value);
		return -EINVAL;
	}
	memcpy(host, value, hlen);
	host[hlen] = '\0';
	struct sockaddr_in *in4 = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
	bool bracketed = host[0] == '[' && host[hlen - 1] == ']';
	if (bracketed) {
		host[hlen - 1] = '\0';
		in6->sin6_family = AF_INET6;
		*addrlen = sizeof *in6;
	} else {
		in4->sin_family = AF_INET;
		*addrlen = sizeof *in4;
	}
	int ok = bracketed ? inet_pton(AF_INET6, host + 1, &in6->sin6_addr)
			   : strcasecmp(host, "localhost") == 0
				     ? inet_pton(AF_INET, "127.0.0.1", &in4->sin_addr)
				     : inet_pton(AF_INET, host, &in4->sin_addr);
	if (ok != 1) {
		snprintf(err, errlen, "'%s' is not an IPv4 address, [IPv6 address] or localhost",
			 host);
		return -EINVAL;
	}
	if (listen_port(colon + 1, bracketed ? &in6->sin6_port : &in4->sin_port) < 0) {
		snprintf(err, errlen, "port '%s' is not 1..65535", colon + 1);
		return -EINVAL;
	}
	return 0;
}

static void parse_listen(struct field_ctx *fc, const char *v, bool append)
{
	struct sockaddr_storage addr;
	unsigned len;
	char err[160];
	(void)append;
	if (!*v) {
		replace_string(fc->field, NULL); /* empty: off */
		return;
	}
	if (has_control_char(v) || strlen(v) > 64) {
		bad(fc, "is not HOST:PORT");
		return;
	}
	if (rsd_config_parse_listen(v, &addr, &len, err, sizeof err) < 0) {
		bad(fc, "%s (IPV4:PORT, [IPV6]:PORT or localhost:PORT)", err);
		return;
	}
	store_string(fc, v);
}

/* ---------------------------------------------------------------- lookup */

static const struct section_spec *find_section(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(section_specs); i++)
		if (strlen(section_specs[i].name) == len && memcmp(section_specs[i].name, name, len) == 0)
			return &section_specs[i];
	return NULL;
}

static const struct key_spec *find_key(const char *section, const char *key)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strcmp(key_specs[i].section, section) == 0 && strcmp(key_specs[i].key, key) == 0)
			return &key_specs[i];
	return NULL;
}

static unsigned line_of(const struct loader *ld, const char *section, const char *key)
{
	return ld->key_line[find_key(section, key) - key_specs];
}

static void apply_value(struct loader *ld, const struct key_spec *spec, const char *value,
			bool append, unsigned line)
{
	struct field_ctx fc = {
		.ld = ld,
		.spec = spec,
		.line = line,
		.field = (char *)ld->cfg + spec->offset,
		.aux = spec->aux == NO_AUX ? NULL : (char *)ld->cfg + spec->aux,
	};
	kinds[spec->kind].parse(&fc, value, append);
}

/* ---------------------------------------------------------------- dotted keys */

static rd_kafka_conf_t *scratch_conf(struct loader *ld, unsigned client)
{
	if (!ld->scratch[client])
		ld->scratch[client] = oom_check(ld, rd_kafka_conf_new());
	return ld->scratch[client];
}

/* Lets librdkafka judge the property: the same call the clients will make. */
static bool kafka_accepts(struct loader *ld, const char *key, const char *value, char *why,
			  size_t len)
{
	for (unsigned client = 0; client < 2; client++) {
		if (!(ld->section->to & (client == 0 ? TO_PRODUCER : TO_CONSUMER)))
			continue;
		rd_kafka_conf_t *conf = scratch_conf(ld, client);
		if (!conf)
			return false;
		if (rd_kafka_conf_set(conf, key, value, why, len) != RD_KAFKA_CONF_OK)
			return false;
	}
	return true;
}

/* librdkafka's reading of value, under the property's own name. */
static bool forced_value_kept(const char *key, const char *value, const char *name,
			      const char *want)
{
	char got[64] = "", why[256];
	size_t len = sizeof(got);
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	bool kept = true;
	if (conf && rd_kafka_conf_set(conf, key, value, why, sizeof(why)) == RD_KAFKA_CONF_OK &&
	    rd_kafka_conf_get(conf, name, got, &len) == RD_KAFKA_CONF_OK)
		kept = strcmp(got, want) == 0;
	if (conf)
		rd_kafka_conf_destroy(conf);
	return kept;
}

/* A forced property set to another value (see forced_properties). */
static void check_forced(struct loader *ld, const char *key, const char *value, unsigned line)
{
	for (size_t i = 0; i < ARRAY_SIZE(forced_properties); i++) {
		if (!(ld->section->to & forced_properties[i].to))
			continue;
		for (const char *const *k = forced_properties[i].keys; *k; k++)
			if (strcmp(*k, key) == 0 &&
			    !forced_value_kept(key, value, forced_properties[i].keys[0],
					       forced_properties[i].value))
				report(ld, line, "%s.%s: %s", ld->section->name, key,
				       forced_properties[i].why);
	}
}

static void set_property(struct loader *ld, const char *key, const char *value, unsigned line)
{
	const struct section_spec *sec = ld->section;
	if (sec->props == NO_AUX) {
		report(ld, line,
		       "%s.%s: unknown key (librdkafka properties belong in [kafka], [producer] or "
		       "[consumer])",
		       sec->name, key);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(owned_properties); i++)
		if (strcmp(owned_properties[i].property, key) == 0) {
			report(ld, line, "%s.%s: set %s instead", sec->name, key, owned_properties[i].instead);
			return;
		}
	struct rsd_kv_list *props = (void *)((char *)ld->cfg + sec->props);
	struct rsd_kv *prev = (struct rsd_kv *)kv_find(props, key);
	if (prev && prev->line >> LINE_BITS == ld->file) {
		report(ld, line, "%s.%s: duplicate key (first set on line %u)", sec->name, key,
		       prev->line & LINE_MASK);
		return;
	}
	char why[512] = "";
	if (!kafka_accepts(ld, key, value, why, sizeof(why))) {
		/* librdkafka ends some of its texts with a newline */
		why[strcspn(why, "\r\n")] = '\0';
		if (!ld->oom)
			report(ld, line, "%s.%s: rejected by librdkafka: %s", sec->name, key, why);
		return;
	}
	check_forced(ld, key, value, line);
	if (prev) { /* set in an earlier file: this one overrides it */
		char *copy = oom_check(ld, strdup(value));
		if (!copy)
			return;
		free(prev->value);
		prev->value = copy;
		prev->line = here(ld, line);
	} else if (kv_push(props, key, value, here(ld, line)) < 0) {
		ld->oom = true;
		return;
	}
	ld->cont = CONT_REJECT;
	ld->cont_key = (prev ? prev : &props->items[props->n - 1])->key;
}

/* ---------------------------------------------------------------- references */

static int read_all(int fd, char **text, size_t *len, size_t max);

/* Values may refer to secrets kept out of the file: ${NAME} is the
 * environment variable NAME, ${credential:NAME} the file NAME in
 * $CREDENTIALS_DIRECTORY (systemd's LoadCredential=/SetCredential=), without
 * one trailing newline; $$ is a literal '$'. A '$' followed by anything else
 * stays as it is, so regex anchors need no escape. Every value goes through
 * here once, before its key's parser, so every key accepts references. */

#define CREDENTIAL_PREFIX "credential:"
/* A credential is a password or a token; systemd itself caps them at 1 MiB. */
#define MAX_CREDENTIAL_BYTES (64 * 1024)

static bool valid_env_name(const char *name)
{
	if (!*name || isdigit((unsigned char)*name))
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
	       strlen(name);
}

/* systemd's rule for credential names: a file name, no '/'. */
static bool valid_credential_name(const char *name)
{
	return *name && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && !strchr(name, '/') &&
	       strlen(name) <= NAME_MAX;
}

static int read_credential(const char *name, char **value)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	if (!dir || !*dir)
		return -ENOTDIR;
	char *path = NULL;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return -errno;
	size_t len = 0;
	int rc = read_all(fd, value, &len, MAX_CREDENTIAL_BYTES);
	close(fd);
	if (rc < 0)
		return rc;
	if (memchr(*value, '\0', len)) {
		free(*value);
		return -EILSEQ;
	}
	if (len && (*value)[len - 1] == '\n')
		(*value)[len - 1] = '\0';
	return 0;
}

/* The value of the reference ${name} (name as written, between the braces)
 * in *value (owned by the caller); reports and returns false if it has none. */
static bool resolve(struct loader *ld, unsigned line, const char *name, char **value)
{
	*value = NULL;
	if (strncmp(name, CREDENTIAL_PREFIX, strlen(CREDENTIAL_PREFIX)) != 0) {
		const char *env = valid_env_name(name) ? getenv(name) : NULL;
		if (!valid_env_name(name))
			report(ld, line, "${%s}: not a valid environment variable name", name);
		else if (!env)
			report(ld, line, "${%s}: environment variable %s is not set", name, name);
		else
			*value = oom_check(ld, strdup(env));
		return *value != NULL;
	}
	const char *cred = name + strlen(CREDENTIAL_PREFIX);
	int rc = valid_credential_name(cred) ? read_credential(cred, value) : -EINVAL;
	char buf[128];
	if (rc == -EINVAL)
		report(ld, line, "${%s}: not a valid credential name", name);
	else if (rc == -ENOTDIR)
		report(ld, line, "${%s}: CREDENTIALS_DIRECTORY is not set (LoadCredential= or "
				 "SetCredential= in the unit provide it)", name);
	else if (rc == -ENOMEM)
		ld->oom = true;
	else if (rc == -EILSEQ)
		report(ld, line, "${%s}: the credential contains a NUL byte", name);
	else if (rc < 0)
		report(ld, line, "${%s}: cannot read $CREDENTIALS_DIRECTORY/%s: %s", name, cred,
		       strerror_r(-rc, buf, sizeof(buf)));
	return rc == 0;
}

static void remember_secret(struct loader *ld, char *value, const char *ref, size_t ref_len)
{
	struct secret *s = realloc(ld->secrets, (ld->n_secrets + 1) * sizeof(*s));
	char *r = s ? strndup(ref, ref_len) : NULL;
	if (s)
		ld->secrets = s;
	if (!r) {
		free(value);
		ld->oom = true;
		return;
	}
	ld->secrets[ld->n_secrets++] = (struct secret){ .value = value, .ref = r };
}

/* Expands one ${...} at *p into f; advances *p past it. */
static bool expand_reference(struct loader *ld, unsigned line, const char **p, FILE *f)
{
	const char *start = *p, *end = strchr(start + 2, '}');
	if (!end) {
		report(ld, line, "'${' without a closing '}' (write $$ for a literal '$')");
		*p = start + strlen(start);
		return false;
	}
	char *name = oom_check(ld, strndup(start + 2, (size_t)(end - start - 2)));
	char *value = NULL;
	bool ok = name && resolve(ld, line, name, &value);
	free(name);
	if (ok) {
		fputs(value, f);
		remember_secret(ld, value, start, (size_t)(end - start + 1));
	}
	*p = end + 1;
	return ok;
}

/* The value with its references expanded (owned by the caller), or NULL
 * after reporting every reference that has no value. */
static char *expand(struct loader *ld, const char *raw, unsigned line)
{
	char *out = NULL;
	size_t len = 0;
	bool ok = true;
	FILE *f = open_memstream(&out, &len);
	if (!f) {
		ld->oom = true;
		return NULL;
	}
	for (const char *p = raw; *p;) {
		if (p[0] == '$' && p[1] == '$') {
			fputc('$', f);
			p += 2;
		} else if (p[0] == '$' && p[1] == '{') {
			ok = expand_reference(ld, line, &p, f) && ok;
		} else {
			fputc(*p++, f);
		}
	}
	if (fclose(f) != 0)
		ld->oom = true;
	if (!ok || ld->oom) {
		free(out);
		return NULL;
	}
	return out;
}

static void free_secrets(struct loader *ld)
{
	for (size_t i = 0; i < ld->n_secrets; i++) {
		/* The text of a secret should not linger in freed memory. */
		explicit_bzero(ld->secrets[i].value, strlen(ld->secrets[i].value));
		free(ld->secrets[i].value);
		free(ld->secrets[i].ref);
	}
	free(ld->secrets);
}

/* ---------------------------------------------------------------- include */

/* `include = PATTERN` reads the files that match (glob(3), relative to the
 * including file's directory, in sorted order) as if their text stood at
 * the include line, each starting outside any section. A key set in an
 * earlier file is overridden (lists are replaced, not extended); within
 * one file a key set twice is still an error. No match is not an error (an
 * empty conf.d); a file that matches and cannot be read is. */

/* What the parse of one file changes in the loader: saved around an
 * included file's parse. */
struct parse_state {
	const char *name, *pos, *end;
	unsigned lineno, file;
	const struct section_spec *section;
	bool skip_keys, have_prev_name, is_continuation;
	enum continuation cont;
	const struct key_spec *cont_spec;
	const char *cont_key;
};

static void save_state(const struct loader *ld, struct parse_state *st)
{
	*st = (struct parse_state){ ld->name, ld->pos, ld->end, ld->lineno, ld->file, ld->section,
				    ld->skip_keys, ld->have_prev_name, ld->is_continuation,
				    ld->cont, ld->cont_spec, ld->cont_key };
}

static void restore_state(struct loader *ld, const struct parse_state *st)
{
	ld->name = st->name;
	ld->pos = st->pos;
	ld->end = st->end;
	ld->lineno = st->lineno;
	ld->file = st->file;
	ld->section = st->section;
	ld->skip_keys = st->skip_keys;
	ld->have_prev_name = st->have_prev_name;
	ld->is_continuation = st->is_continuation;
	ld->cont = st->cont;
	ld->cont_spec = st->cont_spec;
	ld->cont_key = st->cont_key;
}

static int on_entry(void *user, const char *section, const char *name, const char *raw);
static char *read_line(char *buf, int size, void *stream);

/* Runs inih over the text of the file being parsed (ld->pos .. ld->end). */
static void parse_file(struct loader *ld)
{
	size_t known_before = ld->found.n;
	int rc = ini_parse_stream(read_line, ld, on_entry, ld);
	if (rc == -2) {
		ld->oom = true;
	} else if (rc > 0) {
		/* The reader should have caught every line inih rejects: keep
		 * inih's verdict in case a later inih is stricter. */
		bool known = false;
		for (size_t i = known_before; i < ld->found.n; i++)
			known = known || (ld->found.lines[i] & LINE_MASK) == (unsigned)rc;
		if (!known)
			report(ld, (unsigned)rc, "syntax error");
	}
}

/* Whether the file is being read already (an include loop). */
static bool in_chain(const struct loader *ld, const char *real)
{
	for (unsigned i = 0; i <= ld->depth; i++)
		if (ld->real[ld->chain[i]] && strcmp(ld->real[ld->chain[i]], real) == 0)
			return true;
	return false;
}

/* Reads path, registers it in files[]; false after reporting at line. */
static bool open_included(struct loader *ld, const char *path, unsigned line, char **text,
			  size_t *len)
{
	char buf[128], *real = realpath(path, NULL);
	int fd = -1, rc = 0;
	if (real && in_chain(ld, real))
		report(ld, line, "include: %s is already being read (an include loop)", path);
	else if (ld->n_files == MAX_FILES)
		report(ld, line, "include: %s: more than %d files in all", path, MAX_FILES);
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		report(ld, line, "include: cannot open %s: %s", path, strerror_r(errno, buf, sizeof(buf)));
	else if ((rc = read_all(fd, text, len, MAX_FILE_BYTES)) < 0 && rc != -ENOMEM)
		report(ld, line, "include: cannot read %s: %s", path, strerror_r(-rc, buf, sizeof(buf)));
	if (fd >= 0)
		close(fd);
	ld->oom = ld->oom || rc == -ENOMEM;
	bool ok = fd >= 0 && rc == 0 && (ld->files[ld->n_files] = oom_check(ld, strdup(path)));
	if (!ok) {
		free(real);
		if (fd >= 0 && rc == 0)
			free(*text);
		return false;
	}
	ld->real[ld->n_files++] = real;
	return true;
}

static void include_file(struct loader *ld, const char *path, unsigned line)
{
	char *text = NULL;
	size_t len = 0;
	if (!open_included(ld, path, line, &text, &len))
		return;
	struct parse_state saved;
	save_state(ld, &saved);
	ld->file = ld->n_files - 1;
	ld->name = ld->files[ld->file];
	ld->chain[++ld->depth] = ld->file;
	ld->pos = text;
	ld->end = text + len;
	ld->lineno = 0;
	ld->section = NULL;
	ld->skip_keys = ld->have_prev_name = ld->is_continuation = false;
	ld->cont = CONT_IGNORE;
	parse_file(ld);
	ld->depth--;
	restore_state(ld, &saved);
	/* a secret may sit in the text */
	explicit_bzero(text, len);
	free(text);
}

/* The pattern relative to the directory of the file being parsed. */
static char *include_pattern(struct loader *ld, const char *pattern)
{
	if (pattern[0] == '/')
		return oom_check(ld, strdup(pattern));
	const char *slash = strrchr(ld->name, '/');
	char *full = NULL;
	if (asprintf(&full, "%.*s%s", slash ? (int)(slash - ld->name + 1) : 0, ld->name, pattern) < 0)
		full = NULL;
	return oom_check(ld, full);
}

/* A directory of the pattern that does not exist is no match (no conf.d:
 * nothing to include); one that cannot be read is an error. */
static int glob_dir_error(const char *path, int err)
{
	(void)path;
	return err != ENOENT && err != ENOTDIR;
}

static void include_files(struct loader *ld, const char *pattern, unsigned line)
{
	if (!*pattern) {
		report(ld, line, "include: needs a file name or a pattern");
		return;
	}
	if (ld->depth == MAX_INCLUDE_DEPTH) {
		report(ld, line, "include: nested more than %d deep", MAX_INCLUDE_DEPTH);
		return;
	}
	char *full = include_pattern(ld, pattern);
	glob_t g = { 0 };
	int rc = full ? glob(full, 0, glob_dir_error, &g) : GLOB_NOMATCH;
	if (rc == GLOB_NOSPACE)
		ld->oom = true;
	else if (rc == GLOB_ABORTED)
		report(ld, line, "include: cannot read the directories of %s", full);
	for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++)
		include_file(ld, g.gl_pathv[i], line);
	if (rc == 0 || rc == GLOB_NOSPACE)
		globfree(&g);
	free(full);
}

/* ---------------------------------------------------------------- inih callbacks */

static void include_files(struct loader *ld, const char *pattern, unsigned line);

static void set_entry(struct loader *ld, const char *name, const char *value, unsigned line)
{
	ld->cont = CONT_IGNORE;
	if (strcmp(name, "include") == 0) { /* a key of no section: anywhere */
		include_files(ld, value, line);
		ld->cont = CONT_REJECT;
		ld->cont_key = "include";
		return;
	}
	if (ld->skip_keys)
		return;
	if (!ld->section) {
		report(ld, line, "%s: key outside of any section (add a [section] line above it)", name);
		return;
	}
	const char *sec = ld->section->name;
	if (!*name) {
		report(ld, line, "[%s]: missing key name before '='", sec);
		return;
	}
	if (strchr(name, '.')) {
		set_property(ld, name, value, line);
		return;
	}
	const struct key_spec *spec = find_key(sec, name);
	if (!spec) {
		bool url_like = strcmp(name, "http") == 0 || strcmp(name, "https") == 0;
		report(ld, line, "%s.%s: unknown key%s", sec, name,
		       url_like ? " (a URL that continues a list must be indented)" : "");
		return;
	}
	unsigned *first = &ld->key_line[spec - key_specs];
	if (*first && *first >> LINE_BITS == ld->file) {
		report(ld, line, "%s.%s: duplicate key (first set on line %u)", sec, name,
		       *first & LINE_MASK);
		return;
	}
	/* Set in an earlier file (main or included): this one overrides it. */
	*first = here(ld, line);
	ld->cont = kinds[spec->kind].is_list ? CONT_APPEND : CONT_REJECT;
	ld->cont_spec = spec;
	ld->cont_key = spec->key;
	apply_value(ld, spec, value, false, line);
}

static void continue_entry(struct loader *ld, const char *value, unsigned line)
{
	if (ld->skip_keys)
		return;
	switch (ld->cont) {
	case CONT_IGNORE:
		break;
	case CONT_APPEND:
		apply_value(ld, ld->cont_spec, value, true, line);
		break;
	case CONT_REJECT:
		report(ld, line, "%s%s%s: takes a single value; only lists continue on indented lines",
		       ld->section ? ld->section->name : "", ld->section ? "." : "", ld->cont_key);
		ld->cont = CONT_IGNORE; /* once per key is enough */
		break;
	}
}

/* A value with a reference that has no value was reported: the key counts
 * as set (no "required key is missing" on top) and as bad, like a value its
 * parser rejected. */
static void unexpanded_entry(struct loader *ld, const char *name, unsigned line)
{
	ld->cont = CONT_IGNORE;
	const struct key_spec *spec = ld->section && !ld->skip_keys ? find_key(ld->section->name, name)
								     : NULL;
	if (spec && !ld->key_line[spec - key_specs])
		ld->key_line[spec - key_specs] = here(ld, line);
	if (spec)
		ld->key_bad[spec - key_specs] = true;
}

static int on_entry(void *user, const char *section, const char *name, const char *raw)
{
	struct loader *ld = user;
	(void)section; /* the reader's own copy: inih truncates it at 50 bytes */
	char *value = expand(ld, raw, ld->lineno);
	if (ld->is_continuation) {
		if (value)
			continue_entry(ld, value, ld->lineno);
	} else {
		/* inih's prev_name: an empty name does not start a continuation. */
		ld->have_prev_name = *name != '\0';
		if (value)
			set_entry(ld, name, value, ld->lineno);
		else
			unexpanded_entry(ld, name, ld->lineno);
	}
	if (value)
		explicit_bzero(value, strlen(value));
	free(value);
	/* Never fail: errors are recorded above, and inih would keep only the first. */
	return 1;
}

/* inih's own scanner (ini.c): the first of chars, or the start of an inline
 * comment (a prefix character after white space), or the end. */
static const char *find_chars_or_comment(const char *s, const char *chars)
{
	bool was_space = false;
	while (*s && (!chars || !strchr(chars, *s)) &&
	       !(INI_ALLOW_INLINE_COMMENTS && was_space && strchr(INI_INLINE_COMMENT_PREFIXES, *s))) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

static const char *skip_space(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

static void enter_section(struct loader *ld, const char *name, size_t len)
{
	ld->have_prev_name = false;
	ld->cont = CONT_IGNORE;
	ld->section = find_section(name, len);
	ld->skip_keys = ld->section == NULL;
	if (!ld->section)
		report(ld, ld->lineno,
		       "unknown section [%.*s] (sections: daemon, scraper, ring, kafka, producer, consumer, "
		       "journal, metrics, cluster)",
		       (int)len, name);
}

/* Classifies the line as inih will; returns false for a line inih would
 * reject, after reporting it. */
static bool check_line(struct loader *ld, const char *line)
{
	const char *start = line;
	if (ld->lineno == 1 && INI_ALLOW_BOM && strncmp(start, "\xEF\xBB\xBF", 3) == 0)
		start += 3;
	start = skip_space(start);
	if (!*start || strchr(INI_START_COMMENT_PREFIXES, *start))
		return true;
	if (INI_ALLOW_MULTILINE && ld->have_prev_name && start > line) {
		ld->is_continuation = true;
		return true;
	}
	if (*start == '[') {
		const char *end = find_chars_or_comment(start + 1, "]");
		if (*end != ']') {
			report(ld, ld->lineno, "expected ']' at the end of the section name");
			ld->section = NULL; /* its keys would land in the previous section */
			ld->skip_keys = true;
			ld->cont = CONT_IGNORE;
			return false;
		}
		enter_section(ld, start + 1, (size_t)(end - start - 1));
		const char *rest = skip_space(end + 1);
		if (*rest && !strchr(";#", *rest))
			report(ld, ld->lineno, "unexpected text after ']'");
		return true;
	}
	const char *eq = find_chars_or_comment(start, "=:");
	if (*eq != '=' && *eq != ':') {
		report(ld, ld->lineno, "expected 'key = value'%s",
		       start > line ? " (an indented line continues only a key's value)" : "");
		return false;
	}
	return true;
}

/* fgets-style reader over the text; see the top comment. */
static char *read_line(char *buf, int size, void *stream)
{
	struct loader *ld = stream;
	if (ld->pos >= ld->end)
		return NULL;
	const char *line = ld->pos;
	const char *nl = memchr(line, '\n', (size_t)(ld->end - line));
	size_t len = (size_t)((nl ? nl : ld->end) - line);
	ld->pos = line + len + (nl != NULL);
	ld->lineno++;
	ld->is_continuation = false;

	bool ok = false;
	if (size < 2 || len > (size_t)size - 2)
		report(ld, ld->lineno, "line is longer than %d characters", size > 2 ? size - 2 : 0);
	else if (memchr(line, '\0', len))
		report(ld, ld->lineno, "line contains a NUL byte");
	else
		ok = true;
	if (ok) {
		memcpy(buf, line, len);
		buf[len] = '\0';
		ok = check_line(ld, buf);
	}
	if (!ok) {
		/* A blank line leaves inih's state as the rejected line would have. */
		buf[0] = '\0';
		return buf;
	}
	buf[len] = '\n';
	buf[len + 1] = '\0';
	return buf;
}

/* ---------------------------------------------------------------- after parsing */

static void apply_defaults(struct loader *ld)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (key_specs[i].def)
			apply_value(ld, &key_specs[i], key_specs[i].def, false, 0);
}

static void check_required(struct loader *ld)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct key_spec *spec = &key_specs[i];
		if (!spec->def && !ld->key_line[i]) {
			report(ld, 0, "%s.%s: required key is missing", spec->section, spec->key);
			continue;
		}
		/* An empty list after bad items would be the same error twice. */
		if (kinds[spec->kind].is_list && spec->kind != K_BROKERS && !ld->key_bad[i]) {
			const struct rsd_strv *v = (void *)((char *)ld->cfg + spec->offset);
			if (v->n < spec->min)
				report(ld, ld->key_line[i], "%s.%s: needs at least %" PRIu64 " value%s",
				       spec->section, spec->key, spec->min, spec->min == 1 ? "" : "s");
		}
	}
}

/* The host of a URL that parsed already: only memory can fail now. */
static char *host_of(struct loader *ld, const char *url)
{
	char *host = NULL;
	const char *why;
	if (url_host(url, &host, &why) < 0)
		ld->oom = true;
	return host;
}

static void check_hosts(struct loader *ld)
{
	struct rsd_config *cfg = ld->cfg;
	bool derive = cfg->allowed_hosts.n == 0;
	for (size_t i = 0; i < cfg->start_urls.n; i++) {
		char *host = host_of(ld, cfg->start_urls.items[i]);
		if (!host)
			return;
		if (strv_contains(&cfg->allowed_hosts, host)) {
			free(host);
		} else if (derive) {
			if (strv_push(&cfg->allowed_hosts, host) < 0)
				ld->oom = true;
		} else {
			report(ld, line_of(ld, "scraper", "start_urls"),
			       "scraper.start_urls: host '%s' of %s is not in scraper.allowed_hosts", host,
			       cfg->start_urls.items[i]);
			free(host);
		}
	}
}

/* A sitemap outside allowed_hosts would be refused by the frontier without
 * a word; robots.txt is never fetched with robots = off, so its Sitemap:
 * lines could not be read. Both are mistakes the operator should hear of. */
static void check_sitemaps(struct loader *ld)
{
	const struct rsd_config *cfg = ld->cfg;
	if (cfg->sitemaps == RSD_SITEMAPS_ROBOTS && !cfg->robots) {
		unsigned line = line_of(ld, "scraper", "sitemaps");
		report(ld, line ? line : line_of(ld, "scraper", "robots"),
		       "scraper.sitemaps: 'robots' needs scraper.robots = on (robots.txt is not read "
		       "otherwise); list the sitemaps in scraper.sitemap_urls instead");
	}
	/* Without allowed_hosts (start_urls missing, reported already) there
	 * is nothing to check against. */
	for (size_t i = 0; cfg->allowed_hosts.n && i < cfg->sitemap_urls.n; i++) {
		char *host = host_of(ld, cfg->sitemap_urls.items[i]);
		if (!host)
			return;
		if (!strv_contains(&cfg->allowed_hosts, host))
			report(ld, line_of(ld, "scraper", "sitemap_urls"),
			       "scraper.sitemap_urls: host '%s' of %s is not in scraper.allowed_hosts",
			       host, cfg->sitemap_urls.items[i]);
		free(host);
	}
}

static void check_limits(struct loader *ld)
{
	const struct rsd_config *cfg = ld->cfg;
	if (cfg->max_connections_per_host > cfg->max_connections) {
		unsigned line = line_of(ld, "scraper", "max_connections_per_host");
		report(ld, line ? line : line_of(ld, "scraper", "max_connections"),
		       "scraper.max_connections_per_host: %u exceeds scraper.max_connections (%u)",
		       cfg->max_connections_per_host, cfg->max_connections);
	}
}

static void check_kafka(struct loader *ld)
{
	struct rsd_config *cfg = ld->cfg;
	cfg->brokers_embedded = cfg->brokers && strcmp(cfg->brokers, "embedded") == 0;
	if (cfg->brokers && !cfg->brokers_embedded && has_item(cfg->brokers, ",", "embedded"))
		report(ld, line_of(ld, "kafka", "brokers"),
		       "kafka.brokers: \"embedded\" cannot be combined with other brokers");
	if (cfg->kafka_debug) {
		char why[512] = "";
		rd_kafka_conf_t *conf = scratch_conf(ld, 0);
		if (conf && rd_kafka_conf_set(conf, "debug", cfg->kafka_debug, why, sizeof(why)) !=
				    RD_KAFKA_CONF_OK) {
			why[strcspn(why, "\r\n")] = '\0';
			report(ld, line_of(ld, "kafka", "debug"), "kafka.debug: rejected by librdkafka: %s",
			       why);
		}
	}
	if (!cfg->topics.n && cfg->topic) {
		char *t = oom_check(ld, strdup(cfg->topic));
		if (t && strv_push(&cfg->topics, t) < 0)
			ld->oom = true;
	}
	if (!cfg->raw_topic)
		return;
	if (cfg->topic && strcmp(cfg->raw_topic, cfg->topic) == 0)
		report(ld, line_of(ld, "producer", "raw_topic"),
		       "producer.raw_topic: must differ from producer.topic ('%s')", cfg->topic);
	else if (cfg->consumer_enabled && strv_contains(&cfg->topics, cfg->raw_topic)) {
		unsigned line = line_of(ld, "consumer", "topics");
		report(ld, line ? line : line_of(ld, "producer", "raw_topic"),
		       "consumer.topics: must not include producer.raw_topic ('%s'): raw HTML is not a "
		       "record",
		       cfg->raw_topic);
	}
}

/* Cluster mode: its two topics carry URLs and crawl state, never records,
 * and its group is not the record consumers' (a member of both would be
 * offered partitions of the other's topics). */
static bool str_eq(const char *a, const char *b);

static void check_cluster(struct loader *ld)
{
	const struct rsd_config *cfg = ld->cfg;
	const char *ft = cfg->frontier_topic, *st = cfg->state_topic;
	if (!ft)
		return;
	unsigned fl = line_of(ld, "cluster", "frontier_topic");
	if (st && strcmp(ft, st) == 0)
		report(ld, fl, "cluster.frontier_topic: must differ from cluster.state_topic ('%s')", st);
	const char *names[] = { ft, st };
	const char *keys[] = { "frontier_topic", "state_topic" };
	for (size_t i = 0; i < 2; i++) {
		unsigned l = line_of(ld, "cluster", keys[i]);
		if (!names[i])
			continue;
		if (str_eq(names[i], cfg->topic) || str_eq(names[i], cfg->raw_topic) ||
		    (cfg->consumer_enabled && strv_contains(&cfg->topics, names[i])))
			report(ld, l ? l : fl,
			       "cluster.%s: '%s' is a record topic (producer.topic, producer.raw_topic "
			       "or consumer.topics)",
			       keys[i], names[i]);
	}
	if (str_eq(cfg->cluster_group_id, cfg->group_id)) {
		unsigned l = line_of(ld, "cluster", "group_id");
		report(ld, l ? l : fl, "cluster.group_id: must differ from consumer.group_id ('%s')",
		       cfg->group_id);
	}
}

/* Stable, so messages of one line keep their order; whole-file ones last. */
static void sort_by_line(struct rsd_config_diag *d)
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
static int diag_move(struct rsd_config_diag *dst, struct rsd_config_diag *src)
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

/* ---------------------------------------------------------------- API */

void rsd_config_diag_clear(struct rsd_config_diag *diag)
{
	if (!diag)
		return;
	for (size_t i = 0; i < diag->n; i++)
		free(diag->messages[i]);
	free(diag->messages);
	free(diag->lines);
	*diag = (struct rsd_config_diag){ 0 };
}

void rsd_config_free(struct rsd_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct key_spec *spec = &key_specs[i];
		release_fn release = kinds[spec->kind].release;
		if (release)
			release((char *)cfg + spec->offset,
				spec->aux == NO_AUX ? NULL : (char *)cfg + spec->aux);
	}
	kv_list_free(&cfg->kafka_props);
	kv_list_free(&cfg->producer_props);
	kv_list_free(&cfg->consumer_props);
	free(cfg->path);
	free(cfg);
}

static int load_text(const char *name, const char *text, size_t len, struct rsd_config **out,
		     struct rsd_config_diag *diag)
{
	struct loader ld = { .name = name, .pos = text, .end = text + len };
	*out = NULL;
	ld.cfg = calloc(1, sizeof(*ld.cfg));
	if (!ld.cfg || !(ld.cfg->path = strdup(name))) {
		free(ld.cfg);
		return -ENOMEM;
	}
	apply_defaults(&ld);
	if (!(ld.files[0] = oom_check(&ld, strdup(name))))
		ld.n_files = 0;
	else
		ld.real[ld.n_files++] = realpath(name, NULL);
	parse_file(&ld);
	check_required(&ld);
	if (ld.cfg->start_urls.n)
		check_hosts(&ld);
	check_sitemaps(&ld);
	check_limits(&ld);
	check_kafka(&ld);
	check_cluster(&ld);
	for (size_t i = 0; i < 2; i++)
		if (ld.scratch[i])
			rd_kafka_conf_destroy(ld.scratch[i]);
	free_secrets(&ld);
	for (unsigned i = 0; i < ld.n_files; i++) {
		free(ld.files[i]);
		free(ld.real[i]);
	}

	int rc = ld.oom ? -ENOMEM : ld.found.n ? -EINVAL : 0;
	sort_by_line(&ld.found);
	for (size_t i = 0; i < ld.found.n; i++)
		ld.found.lines[i] &= LINE_MASK; /* the callers' lines: within each message's file */
	if (diag_move(diag, &ld.found) < 0)
		rc = -ENOMEM;
	if (rc < 0)
		rsd_config_free(ld.cfg);
	else
		*out = ld.cfg;
	return rc;
}

int rsd_config_load_string(const char *name, const char *text, struct rsd_config **out,
			   struct rsd_config_diag *diag)
{
	return load_text(name, text, strlen(text), out, diag);
}

static int file_error(const char *path, int err, const char *what, struct rsd_config_diag *diag)
{
	struct loader ld = { .name = path };
	char buf[128];
	report(&ld, 0, "%s: %s", what, strerror_r(err, buf, sizeof(buf)));
	diag_move(diag, &ld.found);
	return -err;
}

/* All of fd, at most about max bytes, NUL-terminated; 0 or -errno. Reads to
 * the end rather than trusting st_size, so that pipes (-c /dev/stdin) work. */
static int read_all(int fd, char **text, size_t *len, size_t max)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			char *bigger = cap < max ? realloc(buf, 2 * cap + 1) : NULL;
			if (!bigger) {
				free(buf);
				return cap < max ? -ENOMEM : -EFBIG;
			}
			buf = bigger;
			cap *= 2;
		}
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int err = errno;
			free(buf);
			return -err;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

int rsd_config_load(const char *path, struct rsd_config **out, struct rsd_config_diag *diag)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return file_error(path, errno, "cannot open", diag);
	char *text = NULL;
	size_t len = 0;
	int rc = read_all(fd, &text, &len, MAX_FILE_BYTES);
	close(fd);
	if (rc < 0)
		return rc == -ENOMEM ? rc : file_error(path, -rc, "cannot read", diag);
	rc = load_text(path, text, len, out, diag);
	free(text);
	return rc;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool strv_eq(const struct rsd_strv *a, const struct rsd_strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i], b->items[i]) != 0)
			return false;
	return true;
}

/* Order matters: a later property can override an earlier one. */
static bool kv_eq(const struct rsd_kv_list *a, const struct rsd_kv_list *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i].key, b->items[i].key) != 0 ||
		    strcmp(a->items[i].value, b->items[i].value) != 0)
			return false;
	return true;
}

bool rsd_config_kafka_changed(const struct rsd_config *a, const struct rsd_config *b)
{
	return !str_eq(a->brokers, b->brokers) || a->brokers_embedded != b->brokers_embedded ||
	       !str_eq(a->kafka_debug, b->kafka_debug) || !kv_eq(&a->kafka_props, &b->kafka_props) ||
	       !str_eq(a->topic, b->topic) || !str_eq(a->raw_topic, b->raw_topic) ||
	       !kv_eq(&a->producer_props, &b->producer_props) ||
	       a->consumer_enabled != b->consumer_enabled || !str_eq(a->group_id, b->group_id) ||
	       !strv_eq(&a->topics, &b->topics) || a->calorie_threshold != b->calorie_threshold ||
	       !kv_eq(&a->consumer_props, &b->consumer_props) ||
	       !str_eq(a->frontier_topic, b->frontier_topic) ||
	       !str_eq(a->state_topic, b->state_topic) ||
	       !str_eq(a->cluster_group_id, b->cluster_group_id) ||
	       a->cluster_partitions != b->cluster_partitions;
}

/* ---------------------------------------------------------------- the table, for docs */

static struct rsd_config_key_info key_infos[N_KEYS];
static char key_values[N_KEYS][64];
static pthread_once_t key_infos_once = PTHREAD_ONCE_INIT;

static void describe_values(const struct key_spec *spec, char *buf, size_t len)
{
	char *list = NULL;
	switch (spec->kind) {
	case K_BOOL:
		snprintf(buf, len, "on|off");
		break;
	case K_ENUM:
		list = choice_list(spec->choices);
		snprintf(buf, len, "%s", list ? list : "");
		free(list);
		break;
	case K_UINT:
	case K_UINT64:
	case K_DURATION:
	case K_SIZE:
	case K_NUMBER:
		format_range(spec, buf, len);
		break;
	case K_POW2:
		format_range(spec, buf, len);
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
		const struct key_spec *spec = &key_specs[i];
		describe_values(spec, key_values[i], sizeof(key_values[i]));
		key_infos[i] = (struct rsd_config_key_info){
			.section = spec->section,
			.key = spec->key,
			.type = kinds[spec->kind].name,
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
		const char *def = key_specs[i].doc_default ? key_specs[i].doc_default
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
		fprintf(out, "| *any dotted key* | librdkafka property | | | Passed verbatim to %s. |\n",
			sec->to == TO_PRODUCER   ? "the producer"
			: sec->to == TO_CONSUMER ? "the consumer"
						 : "both clients");
	fputc('\n', out);
}

int rsd_config_write_reference(FILE *out)
{
	size_t n;
	const struct rsd_config_key_info *keys = rsd_config_keys(&n);
	for (size_t i = 0; i < ARRAY_SIZE(section_specs); i++)
		write_section(out, &section_specs[i], keys, n);
	return fflush(out) == 0 && !ferror(out) ? 0 : -EIO;
}
