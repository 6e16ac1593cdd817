/* SPDX-License-Identifier: MIT */
/* Unit tests of the configuration loader: every value of a full file,
 * the defaults, every error path with its exact message and line, several
 * errors in one file, librdkafka pass-through, file errors, the key table
 * and the generated reference in docs/configuration.md. ${...} references
 * and include are in test_config_refs.c (the same binary). */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "config_test.h"
#include "check_main.h"

static const char *docs_path; /* argv[1]: docs/configuration.md */

static char *fixture(const char *name)
{
	const char *dir = getenv("RSD_FIXTURES");
	char *path = NULL;
	ck_assert_ptr_nonnull(dir);
	ck_assert_int_ge(asprintf(&path, "%s/config/%s", dir, name), 0);
	return path;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	char *text = NULL;
	size_t cap = 0;
	ssize_t n = getdelim(&text, &cap, '\0', f);
	ck_assert_int_ge(n, 0);
	fclose(f);
	return text;
}

void dump(const struct rsd_config_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "  diag[%zu] line %u: %s\n", i, d->lines[i], d->messages[i]);
}

struct rsd_config *load_ok(const char *text)
{
	struct rsd_config *cfg = NULL;
	struct rsd_config_diag diag = { 0 };
	int rc = rsd_config_load_string("t.ini", text, &cfg, &diag);
	dump(&diag);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(diag.n, 0);
	ck_assert_ptr_nonnull(cfg);
	return cfg;
}

static bool matches(const regex_t *re, const char *s)
{
	return regexec(re, s, 0, NULL, 0) == 0;
}

/* ------------------------------------------------------------ valid files */

/* The ring charges librdkafka's compressed copy of a raw page only when
 * the raw topic is on and its codec compresses. */
START_TEST(raw_compressed_follows_topic_and_codec)
{
	static const struct {
		const char *producer;
		bool compressed;
	} cases[] = {
		{ "", true }, /* raw_topic and lz4 by default */
		{ "raw_compression = zstd:3\n", true },
		{ "raw_compression = none\n", false },
		{ "raw_topic =\n", false },
		{ "raw_topic =\nraw_compression = lz4\n", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), BASE "[producer]\n%s", cases[i].producer);
		struct rsd_config *cfg = load_ok(text);
		ck_assert_msg(rsd_config_raw_compressed(cfg) == cases[i].compressed, "%s",
			      cases[i].producer);
		rsd_config_free(cfg);
	}
}
END_TEST

START_TEST(full_file_sets_every_key)
{
	char *path = fixture("full.ini");
	struct rsd_config *cfg = NULL;
	struct rsd_config_diag diag = { 0 };
	int rc = rsd_config_load(path, &cfg, &diag);
	dump(&diag);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(cfg->path, path);

	ck_assert_str_eq(cfg->state_dir, "/tmp/rsd-state");
	ck_assert_uint_eq(cfg->shutdown_timeout_s, 120);
	ck_assert(!cfg->watchdog);

	ck_assert_uint_eq(cfg->start_urls.n, 3);
	ck_assert_str_eq(cfg->start_urls.items[0], "https://Recipes.Example/category/soups");
	ck_assert_str_eq(cfg->start_urls.items[1], "http://cooking.example:8080/index.html");
	ck_assert_str_eq(cfg->start_urls.items[2], "https://recipes.example/category/cakes?page=2");
	ck_assert_uint_eq(cfg->allowed_hosts.n, 3);
	ck_assert_str_eq(cfg->allowed_hosts.items[0], "recipes.example");
	ck_assert_str_eq(cfg->allowed_hosts.items[1], "cooking.example");
	ck_assert_str_eq(cfg->allowed_hosts.items[2], "other.example");
	ck_assert_str_eq(cfg->follow, "^https?://[^/]+/(category|recipe)/");
	ck_assert(matches(&cfg->follow_re, "https://recipes.example/recipe/soup"));
	ck_assert(!matches(&cfg->follow_re, "https://recipes.example/about"));
	ck_assert_str_eq(cfg->recipe, "/recipe/[a-z0-9-]+$");
	ck_assert(matches(&cfg->recipe_re, "https://x.example/recipe/pea-soup"));
	ck_assert_uint_eq(cfg->threads, 8);
	ck_assert_uint_eq(cfg->max_connections, 128);
	ck_assert_uint_eq(cfg->max_connections_per_host, 4);
	ck_assert_uint_eq(cfg->delay_ms, 250);
	ck_assert_uint_eq(cfg->max_depth, 3);
	ck_assert_uint_eq(cfg->max_pages, 5000000000u);
	ck_assert_uint_eq(cfg->max_queued, 2000000);
	ck_assert_uint_eq(cfg->max_queued_per_host, 50000);
	ck_assert_str_eq(cfg->user_agent, "TestBot/1.0 (#not-a-comment; contact@example.org)");
	ck_assert_uint_eq(cfg->timeout_s, 45);
	ck_assert_uint_eq(cfg->max_page_bytes, 2 * 1024 * 1024);
	ck_assert(!cfg->robots);
	ck_assert(cfg->follow_from_recipes);
	ck_assert_int_eq(cfg->sitemaps, RSD_SITEMAPS_OFF);
	ck_assert_uint_eq(cfg->sitemap_urls.n, 2);
	ck_assert_str_eq(cfg->sitemap_urls.items[0], "https://recipes.example/sitemap.xml");
	ck_assert_str_eq(cfg->sitemap_urls.items[1],
			 "http://cooking.example:8080/sitemap-index.xml.gz");
	ck_assert(cfg->allow_private_addresses);
	ck_assert_uint_eq(cfg->recrawl_interval_s, 3600);
	ck_assert_uint_eq(cfg->refresh_interval_s, 7 * 86400);

	ck_assert_uint_eq(cfg->ring_capacity, 4096);
	ck_assert_uint_eq(cfg->ring_max_bytes, 128 * 1024 * 1024);

	ck_assert_str_eq(cfg->brokers, "k1.example:9092,k2.example:9093,[::1]:9094");
	ck_assert(!cfg->brokers_embedded);
	ck_assert_uint_eq(cfg->kafka_props.n, 2);
	ck_assert_str_eq(cfg->kafka_props.items[0].key, "socket.timeout.ms");
	ck_assert_str_eq(cfg->kafka_props.items[0].value, "10000");
	ck_assert_uint_eq(cfg->kafka_props.items[0].line, 45);
	ck_assert_str_eq(cfg->kafka_props.items[1].key, "client.id");
	ck_assert_uint_eq(cfg->kafka_props.items[1].line, 46);
	ck_assert_str_eq(cfg->kafka_debug, "cgrp, fetch");

	ck_assert_str_eq(cfg->topic, "recipes.parsed");
	ck_assert_ptr_null(cfg->raw_topic);
	ck_assert_uint_eq(cfg->producer_props.n, 2);
	ck_assert_str_eq(cfg->producer_props.items[0].key, "linger.ms");
	ck_assert_str_eq(cfg->producer_props.items[1].value, "lz4");

	ck_assert(!cfg->consumer_enabled);
	ck_assert_str_eq(cfg->group_id, "rsd-group");
	ck_assert_uint_eq(cfg->topics.n, 2);
	ck_assert_str_eq(cfg->topics.items[0], "recipes.parsed");
	ck_assert_str_eq(cfg->topics.items[1], "recipes.legacy");
	ck_assert_double_eq(cfg->calorie_threshold, 350.5);
	ck_assert_uint_eq(cfg->consumer_props.n, 1);
	ck_assert_str_eq(cfg->consumer_props.items[0].key, "session.timeout.ms");
	ck_assert_uint_eq(cfg->consumer_props.items[0].line, 60);

	ck_assert_int_eq(cfg->sink, RSD_SINK_STDOUT);
	ck_assert_str_eq(cfg->identifier, "rsd-test");

	rsd_config_free(cfg);
	free(path);
}
END_TEST

START_TEST(defaults_of_a_minimal_file)
{
	char *path = fixture("minimal.ini");
	struct rsd_config *cfg = NULL;
	ck_assert_int_eq(rsd_config_load(path, &cfg, NULL), 0);

	ck_assert_str_eq(cfg->state_dir, "/var/lib/recipe-scraperd");
	ck_assert_uint_eq(cfg->shutdown_timeout_s, 30);
	ck_assert(cfg->watchdog);
	ck_assert_int_eq(cfg->log_level, 6); /* LOG_INFO */
	ck_assert_uint_eq(cfg->start_urls.n, 1);
	/* allowed_hosts: the start URL's host, lower-cased, without the port */
	ck_assert_uint_eq(cfg->allowed_hosts.n, 1);
	ck_assert_str_eq(cfg->allowed_hosts.items[0], "example.com");
	ck_assert_ptr_null(cfg->follow);
	ck_assert_ptr_null(cfg->recipe);
	ck_assert_uint_eq(cfg->threads, 2);
	ck_assert_uint_eq(cfg->max_connections, 32);
	ck_assert_uint_eq(cfg->max_connections_per_host, 2);
	ck_assert_uint_eq(cfg->delay_ms, 1000);
	ck_assert_uint_eq(cfg->max_depth, 5);
	ck_assert_uint_eq(cfg->max_pages, 0);
	ck_assert_uint_eq(cfg->max_queued, 1000000);
	ck_assert_uint_eq(cfg->max_queued_per_host, 100000);
	ck_assert_str_eq(cfg->user_agent,
			 "recipe-scraperd/" RSD_VERSION " (+https://github.com/recipe-scraperd)");
	ck_assert_uint_eq(cfg->timeout_s, 30);
	ck_assert_uint_eq(cfg->max_page_bytes, 10 * 1024 * 1024);
	ck_assert(cfg->robots);
	/* A category crawl stays in its category: no whole-site sitemaps, no
	 * wandering through each recipe's related-recipe links. */
	ck_assert_int_eq(cfg->sitemaps, RSD_SITEMAPS_OFF);
	ck_assert_uint_eq(cfg->sitemap_urls.n, 0);
	ck_assert(!cfg->follow_from_recipes);
	ck_assert(!cfg->allow_private_addresses);
	ck_assert_uint_eq(cfg->recrawl_interval_s, 86400);
	ck_assert_uint_eq(cfg->refresh_interval_s, 86400);
	ck_assert_uint_eq(cfg->ring_capacity, 1024);
	ck_assert_uint_eq(cfg->ring_max_bytes, 16 * 1024 * 1024);
	ck_assert_str_eq(cfg->brokers, "localhost:9092");
	ck_assert(!cfg->brokers_embedded);
	ck_assert_ptr_null(cfg->kafka_debug);
	ck_assert_uint_eq(cfg->kafka_props.n, 0);
	ck_assert_str_eq(cfg->topic, "parsed_recipes");
	ck_assert_str_eq(cfg->raw_topic, "raw_recipes");
	ck_assert_str_eq(cfg->raw_compression, RSD_RAW_COMPRESSION_DEFAULT);
	ck_assert_uint_eq(cfg->producer_props.n, 0);
	ck_assert(cfg->consumer_enabled);
	ck_assert_str_eq(cfg->group_id, "recipe-scraperd");
	/* topics: [producer] topic */
	ck_assert_uint_eq(cfg->topics.n, 1);
	ck_assert_str_eq(cfg->topics.items[0], "parsed_recipes");
	ck_assert_double_eq(cfg->calorie_threshold, 200);
	ck_assert_uint_eq(cfg->consumer_props.n, 0);
	ck_assert_int_eq(cfg->sink, RSD_SINK_AUTO);
	ck_assert_str_eq(cfg->identifier, "recipe-scraperd");
	ck_assert_ptr_null(cfg->metrics_listen); /* off */

	rsd_config_free(cfg);
	free(path);
}
END_TEST

/* [metrics] listen: literal addresses and localhost, as socket addresses. */
START_TEST(metrics_listen_addresses)
{
	static const struct {
		const char *value;
		int family;
		const char *addr;
		unsigned port;
	} ok[] = {
		{ "127.0.0.1:9464", AF_INET, "127.0.0.1", 9464 },
		{ "0.0.0.0:1", AF_INET, "0.0.0.0", 1 },
		{ "localhost:65535", AF_INET, "127.0.0.1", 65535 },
		{ "[::1]:9464", AF_INET6, "::1", 9464 },
		{ "[::]:80", AF_INET6, "::", 80 },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		struct sockaddr_storage ss;
		unsigned len;
		char err[160], text[64];
		ck_assert_int_eq(rsd_config_parse_listen(ok[i].value, &ss, &len, err, sizeof err),
				 0);
		ck_assert_int_eq(ss.ss_family, ok[i].family);
		const void *a = ok[i].family == AF_INET
					? (const void *)&((struct sockaddr_in *)&ss)->sin_addr
					: (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
		unsigned port = ntohs(ok[i].family == AF_INET
					      ? ((struct sockaddr_in *)&ss)->sin_port
					      : ((struct sockaddr_in6 *)&ss)->sin6_port);
		ck_assert_str_eq(inet_ntop(ok[i].family, a, text, sizeof text), ok[i].addr);
		ck_assert_uint_eq(port, ok[i].port);
		ck_assert_uint_eq(len, ok[i].family == AF_INET ? sizeof(struct sockaddr_in)
							       : sizeof(struct sockaddr_in6));
	}
	struct rsd_config *cfg = load_ok(BASE "[metrics]\nlisten = [::1]:9464\n");
	ck_assert_str_eq(cfg->metrics_listen, "[::1]:9464");
	rsd_config_free(cfg);
	cfg = load_ok(BASE "[metrics]\nlisten =\n");
	ck_assert_ptr_null(cfg->metrics_listen);
	rsd_config_free(cfg);
}
END_TEST

/* The forced properties set to the values the clients force are fine. */
START_TEST(forced_properties_at_their_value)
{
	struct rsd_config *cfg = NULL;
	struct rsd_config_diag diag = { 0 };
	int rc = rsd_config_load_string("t.ini",
					BASE
					"[kafka]\nenable.idempotence = true\n[producer]\n"
					"request.required.acks = all\nlinger.ms = 5\n[consumer]\n"
					"enable.auto.offset.store = false\n",
					&cfg, &diag);
	dump(&diag);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(cfg->producer_props.n, 2);
	rsd_config_free(cfg);
}
END_TEST

START_TEST(bom_crlf_and_inline_comments)
{
	char *path = fixture("bom_crlf.ini");
	struct rsd_config *cfg = NULL;
	struct rsd_config_diag diag = { 0 };
	int rc = rsd_config_load(path, &cfg, &diag);
	dump(&diag);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(cfg->start_urls.items[0], "http://crlf.example/");
	ck_assert_uint_eq(cfg->threads, 3);
	ck_assert_int_eq(cfg->sink, RSD_SINK_JOURNAL);
	rsd_config_free(cfg);
	free(path);
}
END_TEST

START_TEST(value_syntax)
{
	struct rsd_config *cfg = load_ok(
		"[scraper]\n"
		"start_urls = http://a.example/\n"
		"  http://b.example/ http://a.example/x\n"
		"follow = a;b\n" /* ';' without white space before it is data */
		"recipe: x ; y\n" /* ':' works like '=' and ' ;' starts a comment */
		"max_page_bytes = 1g\n" /* suffixes are case-insensitive */
		"timeout_s = 1h\n"
		"[ring]\ncapacity = 2\n"
		"[kafka]\nbrokers = embedded\n"
		"[producer]\nraw_topic = raw.html\n"
		"[scraper]\n" /* a section may appear twice */
		"robots = OFF\n"
		"[journal]\nsink = Journal\n"
		"[daemon]\nshutdown_timeout_s = 3600s\n");
	ck_assert_uint_eq(cfg->start_urls.n, 3);
	ck_assert_uint_eq(cfg->allowed_hosts.n, 2); /* deduplicated */
	ck_assert_str_eq(cfg->allowed_hosts.items[1], "b.example");
	ck_assert_str_eq(cfg->follow, "a;b");
	ck_assert_str_eq(cfg->recipe, "x");
	ck_assert_uint_eq(cfg->max_page_bytes, 1024u * 1024 * 1024);
	ck_assert_uint_eq(cfg->timeout_s, 3600);
	ck_assert_uint_eq(cfg->ring_capacity, 2);
	ck_assert(cfg->brokers_embedded);
	ck_assert_str_eq(cfg->brokers, "embedded");
	ck_assert_str_eq(cfg->raw_topic, "raw.html");
	ck_assert(!cfg->robots);
	ck_assert_int_eq(cfg->sink, RSD_SINK_JOURNAL);
	ck_assert_uint_eq(cfg->shutdown_timeout_s, 3600);
	rsd_config_free(cfg);
}
END_TEST

START_TEST(size_suffixes_and_powers_of_two)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} sizes[] = {
		{ "1024", 1024 },    { "1K", 1024 },       { "64k", 65536 },
		{ "10M", 10485760 }, { "1G", 1073741824 }, { "1048576", 1048576 },
	};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *text = NULL;
		ck_assert_int_ge(asprintf(&text, BASE "max_page_bytes = %s\n", sizes[i].text), 0);
		struct rsd_config *cfg = load_ok(text);
		ck_assert_uint_eq(cfg->max_page_bytes, sizes[i].bytes);
		rsd_config_free(cfg);
		free(text);
	}
	for (uint32_t cap = 2; cap <= (1u << 20); cap <<= 1) {
		char *text = NULL;
		ck_assert_int_ge(asprintf(&text, BASE "[ring]\ncapacity = %u\n", cap), 0);
		struct rsd_config *cfg = load_ok(text);
		ck_assert_uint_eq(cfg->ring_capacity, cap);
		rsd_config_free(cfg);
		free(text);
	}
}
END_TEST

/* ------------------------------------------------------------ error paths */

struct error_case {
	const char *text;
	const char *messages[3]; /* exact, in order; NULL-terminated */
};

#define SECTIONS \
	"(sections: daemon, scraper, ring, kafka, producer, consumer, journal, metrics, cluster)"
#define LONG50 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const struct error_case error_cases[] = {
	{ "[daemon]\nlog_level = verbose\n" BASE,
	  { "t.ini:2: daemon.log_level: expected emerg|alert|crit|err|warning|notice|info|debug|"
	    "error|warn, got 'verbose'" } },
	/* numbers */
	{ BASE "threads = 0\n", { "t.ini:3: scraper.threads: 0 is out of range 1..64" } },
	{ BASE "threads = 65\n", { "t.ini:3: scraper.threads: 65 is out of range 1..64" } },
	{ BASE "threads = abc\n",
	  { "t.ini:3: scraper.threads: expected an unsigned integer, got 'abc'" } },
	{ BASE "threads = -1\n",
	  { "t.ini:3: scraper.threads: expected an unsigned integer, got '-1'" } },
	{ BASE "threads =\n",
	  { "t.ini:3: scraper.threads: expected an unsigned integer, got ''" } },
	{ BASE "threads = 99999999999999999999999\n",
	  { "t.ini:3: scraper.threads: 99999999999999999999999 is out of range 1..64" } },
	{ BASE "delay_ms = 600001\n",
	  { "t.ini:3: scraper.delay_ms: 600001 is out of range 0..600000" } },
	{ BASE "max_pages = 18446744073709551616\n",
	  { "t.ini:3: scraper.max_pages: 18446744073709551616 is out of range 0 or more" } },
	{ BASE "max_page_bytes = 2G\n",
	  { "t.ini:3: scraper.max_page_bytes: 2G is out of range 1K..1G" } },
	{ BASE "max_page_bytes = 1023\n",
	  { "t.ini:3: scraper.max_page_bytes: 1023 is out of range 1K..1G" } },
	{ BASE "max_page_bytes = 99999999999G\n",
	  { "t.ini:3: scraper.max_page_bytes: 99999999999G is out of range 1K..1G" } },
	{ BASE "max_page_bytes = 10X\n",
	  { "t.ini:3: scraper.max_page_bytes: expected a size in bytes (optional suffix K, M or "
	    "G), "
	    "got '10X'" } },
	{ BASE "max_page_bytes = 10 M\n",
	  { "t.ini:3: scraper.max_page_bytes: expected a size in bytes (optional suffix K, M or "
	    "G), "
	    "got '10 M'" } },
	{ BASE "timeout_s = 2h\n",
	  { "t.ini:3: scraper.timeout_s: 2h is out of range 1..3600 seconds" } },
	{ BASE "timeout_s = 5w\n",
	  { "t.ini:3: scraper.timeout_s: expected a duration in seconds (optional suffix s, m, h "
	    "or d), "
	    "got '5w'" } },
	{ BASE "[ring]\ncapacity = 1000\n",
	  { "t.ini:4: ring.capacity: 1000 is not a power of two" } },
	{ BASE "[ring]\ncapacity = 1\n",
	  { "t.ini:4: ring.capacity: 1 is out of range 2..1048576" } },
	{ BASE "[ring]\ncapacity = 2097152\n",
	  { "t.ini:4: ring.capacity: 2097152 is out of range 2..1048576" } },
	{ BASE "[consumer]\ncalorie_threshold = -1\n",
	  { "t.ini:4: consumer.calorie_threshold: -1 is out of range 0..100000" } },
	{ BASE "[consumer]\ncalorie_threshold = lots\n",
	  { "t.ini:4: consumer.calorie_threshold: expected a number, got 'lots'" } },
	{ BASE "[consumer]\ncalorie_threshold = nan\n",
	  { "t.ini:4: consumer.calorie_threshold: expected a number, got 'nan'" } },
	/* booleans and enums */
	{ BASE "robots = maybe\n",
	  { "t.ini:3: scraper.robots: expected on|off|yes|no|true|false|1|0, got 'maybe'" } },
	{ BASE "[daemon]\nwatchdog = 2\n",
	  { "t.ini:4: daemon.watchdog: expected on|off|yes|no|true|false|1|0, got '2'" } },
	{ BASE "sitemaps = on\n", { "t.ini:3: scraper.sitemaps: expected off|robots, got 'on'" } },
	{ BASE "follow_from_recipes = some\n",
	  { "t.ini:3: scraper.follow_from_recipes: expected on|off|yes|no|true|false|1|0, got "
	    "'some'" } },
	{ BASE "sitemap_urls = /sitemap.xml\n",
	  { "t.ini:3: scraper.sitemap_urls: '/sitemap.xml' is not a valid URL: Bad scheme" } },
	{ BASE "[journal]\nsink = syslog\n",
	  { "t.ini:4: journal.sink: expected auto|journal|stdout, got 'syslog'" } },
	/* strings */
	{ BASE "user_agent =\n", { "t.ini:3: scraper.user_agent: must not be empty" } },
	{ BASE "[daemon]\nstate_dir =\n", { "t.ini:4: daemon.state_dir: must not be empty" } },
	{ BASE "[journal]\nidentifier = " LONG50 "x12345678901234\n",
	  { "t.ini:4: journal.identifier: is 65 characters long, at most 64 are allowed" } },
	{ BASE "user_agent = a\tb\n",
	  { "t.ini:3: scraper.user_agent: contains a control character" } },
	{ BASE "[producer]\ntopic = bad topic!\n",
	  { "t.ini:4: producer.topic: 'bad topic!' is not a valid Kafka topic name (letters, "
	    "digits, "
	    "'.', '_' and '-', at most 249)" } },
	{ BASE "[producer]\ntopic =\n", { "t.ini:4: producer.topic: must not be empty" } },
	{ BASE "[consumer]\ntopics = ok, ..\n",
	  { "t.ini:4: consumer.topics: '..' is not a valid Kafka topic name (letters, digits, '.', "
	    "'_' and '-', at most 249)" } },
	/* URLs and hosts */
	{ "[scraper]\nstart_urls = ftp://example.com/\n",
	  { "t.ini:2: scraper.start_urls: 'ftp://example.com/': only http and https URLs are "
	    "allowed" } },
	{ "[scraper]\nstart_urls = garbage\n",
	  { "t.ini:2: scraper.start_urls: 'garbage' is not a valid URL: Bad scheme" } },
	{ "[scraper]\nstart_urls = http://a.example/ mailto:x@y.example http://\n",
	  { "t.ini:2: scraper.start_urls: 'mailto:x@y.example' is not a valid URL: Unsupported URL "
	    "scheme",
	    "t.ini:2: scraper.start_urls: 'http://' is not a valid URL: No host part in the "
	    "URL" } },
	{ "[scraper]\nstart_urls =\n", { "t.ini:2: scraper.start_urls: needs at least 1 value" } },
	{ "[scraper]\nthreads = 2\n", { "t.ini: scraper.start_urls: required key is missing" } },
	{ BASE "allowed_hosts = bad/host, ok.example\n",
	  { "t.ini:2: scraper.start_urls: host 'example.com' of https://example.com/ is not in "
	    "scraper.allowed_hosts",
	    "t.ini:3: scraper.allowed_hosts: 'bad/host' is not a valid host name" } },
	{ BASE "allowed_hosts = a..b\n",
	  { "t.ini:3: scraper.allowed_hosts: 'a..b' is not a valid host name" } },
	/* regexes: the regerror() text is appended, see check_error_case */
	{ BASE "follow = (\n", { "t.ini:3: scraper.follow: invalid regular expression '(': " } },
	{ BASE "recipe = a{2,1}\n",
	  { "t.ini:3: scraper.recipe: invalid regular expression 'a{2,1}': " } },
	/* brokers */
	{ BASE "[kafka]\nbrokers = localhost\n",
	  { "t.ini:4: kafka.brokers: 'localhost' is not host:port (port 1..65535) or "
	    "\"embedded\"" } },
	{ BASE "[kafka]\nbrokers = a.example:0\n",
	  { "t.ini:4: kafka.brokers: 'a.example:0' is not host:port (port 1..65535) or "
	    "\"embedded\"" } },
	{ BASE "[kafka]\nbrokers = a.example:65536 b.example:x\n",
	  { "t.ini:4: kafka.brokers: 'a.example:65536' is not host:port (port 1..65535) or "
	    "\"embedded\"",
	    "t.ini:4: kafka.brokers: 'b.example:x' is not host:port (port 1..65535) or "
	    "\"embedded\"" } },
	{ BASE "[kafka]\nbrokers = embedded, a.example:9092\n",
	  { "t.ini:4: kafka.brokers: \"embedded\" cannot be combined with other brokers" } },
	{ BASE "[kafka]\nbrokers =\n", { "t.ini:4: kafka.brokers: must not be empty" } },
/* [metrics] listen */
#define LISTEN_FORMS " (IPV4:PORT, [IPV6]:PORT or localhost:PORT)"
	{ BASE "[metrics]\nlisten = 9464\n",
	  { "t.ini:4: metrics.listen: '9464' is not HOST:PORT" LISTEN_FORMS } },
	{ BASE "[metrics]\nlisten = 127.0.0.1:0\n",
	  { "t.ini:4: metrics.listen: port '0' is not 1..65535" LISTEN_FORMS } },
	{ BASE "[metrics]\nlisten = 127.0.0.1:65536\n",
	  { "t.ini:4: metrics.listen: port '65536' is not 1..65535" LISTEN_FORMS } },
	{ BASE "[metrics]\nlisten = metrics.example:9464\n",
	  { "t.ini:4: metrics.listen: 'metrics.example' is not an IPv4 address, [IPv6 address] or "
	    "localhost" LISTEN_FORMS } },
	{ BASE "[metrics]\nlisten = ::1:9464\n",
	  { "t.ini:4: metrics.listen: '::1' is not an IPv4 address, [IPv6 address] or "
	    "localhost" LISTEN_FORMS } },
	{ BASE "[metrics]\nlisten = [::1]:x\n",
	  { "t.ini:4: metrics.listen: port 'x' is not 1..65535" LISTEN_FORMS } },
	/* cross-key */
	{ BASE "sitemaps = robots\nrobots = off\n",
	  { "t.ini:3: scraper.sitemaps: 'robots' needs scraper.robots = on (robots.txt is not read "
	    "otherwise); list the sitemaps in scraper.sitemap_urls instead" } },
	{ BASE "sitemap_urls = https://example.com/sm.xml\n  https://cdn.example/sm.xml\n",
	  { "t.ini:3: scraper.sitemap_urls: host 'cdn.example' of https://cdn.example/sm.xml is "
	    "not "
	    "in scraper.allowed_hosts" } },
	{ BASE "max_connections_per_host = 64\n",
	  { "t.ini:3: scraper.max_connections_per_host: 64 exceeds scraper.max_connections "
	    "(32)" } },
	{ BASE "max_connections = 1\n",
	  { "t.ini:3: scraper.max_connections_per_host: 2 exceeds scraper.max_connections (1)" } },
	{ BASE "[producer]\nraw_topic = parsed_recipes\n",
	  { "t.ini:4: producer.raw_topic: must differ from producer.topic ('parsed_recipes')" } },
	{ BASE "[consumer]\ntopics = parsed_recipes raw_recipes\n",
	  { "t.ini:4: consumer.topics: must not include producer.raw_topic ('raw_recipes'): raw "
	    "HTML "
	    "is not a record" } },
	/* cluster mode */
	{ BASE "[cluster]\nfrontier_topic = crawl\nstate_topic = crawl\n",
	  { "t.ini:4: cluster.frontier_topic: must differ from cluster.state_topic ('crawl')" } },
	{ BASE "[cluster]\nfrontier_topic = parsed_recipes\n",
	  { "t.ini:4: cluster.frontier_topic: 'parsed_recipes' is a record topic (producer.topic, "
	    "producer.raw_topic or consumer.topics)" } },
	{ BASE "[cluster]\nfrontier_topic = crawl\nstate_topic = raw_recipes\n",
	  { "t.ini:5: cluster.state_topic: 'raw_recipes' is a record topic (producer.topic, "
	    "producer.raw_topic or consumer.topics)" } },
	{ BASE "[cluster]\nfrontier_topic = crawl\ngroup_id = recipe-scraperd\n",
	  { "t.ini:5: cluster.group_id: must differ from consumer.group_id ('recipe-scraperd')" } },
	{ BASE "[cluster]\nfrontier_topic = crawl\npartitions = 0\n",
	  { "t.ini:5: cluster.partitions: 0 is out of range 1..10000" } },
	/* structure */
	{ BASE "threads = 2\nthreads = 3\n",
	  { "t.ini:4: scraper.threads: duplicate key (first set on line 3)" } },
	{ BASE "start_urls = https://b.example/\n",
	  { "t.ini:3: scraper.start_urls: duplicate key (first set on line 2)" } },
	{ BASE "threads = 2\n  3\n",
	  { "t.ini:4: scraper.threads: takes a single value; only lists continue on indented "
	    "lines" } },
	{ BASE "bogus = 1\n", { "t.ini:3: scraper.bogus: unknown key" } },
	{ BASE "https://b.example/\n",
	  { "t.ini:3: scraper.https: unknown key (a URL that continues a list must be "
	    "indented)" } },
	{ BASE "[bogus]\nkey = 1\n  more\n", { "t.ini:3: unknown section [bogus] " SECTIONS } },
	{ BASE "[]\n", { "t.ini:3: unknown section [] " SECTIONS } },
	{ BASE "[ scraper ]\n", { "t.ini:3: unknown section [ scraper ] " SECTIONS } },
	{ BASE "[scraper\nthreads = 0\n  x\n",
	  { "t.ini:3: expected ']' at the end of the section name" } },
	{ BASE "[scraper ; comment]\n",
	  { "t.ini:3: expected ']' at the end of the section name" } },
	{ BASE "[scraper] junk\n", { "t.ini:3: unexpected text after ']'" } },
	{ BASE "just words\n", { "t.ini:3: expected 'key = value'" } },
	{ "\n  indented words\n" BASE,
	  { "t.ini:2: expected 'key = value' (an indented line continues only a key's value)" } },
	{ BASE "= value\n", { "t.ini:3: [scraper]: missing key name before '='" } },
	{ "threads = 2\n" BASE,
	  { "t.ini:1: threads: key outside of any section (add a [section] line above it)" } },
	{ BASE "follow = " LONG50 LONG50 LONG50 LONG50 "\n",
	  { "t.ini:3: line is longer than 198 characters" } },
	/* librdkafka properties */
	{ BASE "[daemon]\nfoo.bar = 1\n",
	  { "t.ini:4: daemon.foo.bar: unknown key (librdkafka properties belong in [kafka], "
	    "[producer] "
	    "or [consumer])" } },
	{ BASE "[kafka]\nbootstrap.servers = a.example:9092\n",
	  { "t.ini:4: kafka.bootstrap.servers: set kafka.brokers instead" } },
	{ BASE "[consumer]\ngroup.id = g\n",
	  { "t.ini:4: consumer.group.id: set consumer.group_id instead" } },
	{ BASE "[kafka]\nsocket.timeout.ms = 6000\nsocket.timeout.ms = 7000\n",
	  { "t.ini:5: kafka.socket.timeout.ms: duplicate key (first set on line 4)" } },
	/* forced by the clients: a file that says otherwise is refused, not overridden */
	{ BASE "[producer]\nenable.idempotence = false\n",
	  { "t.ini:4: producer.enable.idempotence: must be true: the producer is always idempotent "
	    "(no duplicate or reordered record from its retries); remove the line" } },
	{ BASE "[kafka]\nenable.idempotence = 0\n",
	  { "t.ini:4: kafka.enable.idempotence: must be true: the producer is always idempotent "
	    "(no duplicate or reordered record from its retries); remove the line" } },
	{ BASE "[producer]\nrequest.required.acks = 1\n",
	  { "t.ini:4: producer.request.required.acks: must be all: a record counts as delivered "
	    "only "
	    "once every in-sync replica has it; remove the line" } },
	{ BASE "[consumer]\nenable.auto.offset.store = true\n",
	  { "t.ini:4: consumer.enable.auto.offset.store: must be false: an offset is stored only "
	    "after the record reached the journal (at least once); remove the line" } },
	{ BASE "[producer]\nlinger.ms = 5\n  6\n",
	  { "t.ini:5: producer.linger.ms: takes a single value; only lists continue on indented "
	    "lines" } },
	/* rejected by librdkafka: its error text is appended, see check_error_case */
	{ BASE "[kafka]\nsocket.timeout.ms = 1\n",
	  { "t.ini:4: kafka.socket.timeout.ms: rejected by librdkafka: " } },
	{ BASE "[producer]\nno.such.property = 1\n",
	  { "t.ini:4: producer.no.such.property: rejected by librdkafka: " } },
	{ BASE "[consumer]\nauto.offset.reset = sideways\n",
	  { "t.ini:4: consumer.auto.offset.reset: rejected by librdkafka: " } },
	{ BASE "[kafka]\ndebug = broker,sideways\n",
	  { "t.ini:4: kafka.debug: rejected by librdkafka: " } },
	{ BASE "[producer]\nraw_compression = brotli\n",
	  { "t.ini:4: producer.raw_compression: 'brotli': " } },
	{ BASE "[producer]\nraw_compression = zstd:99\n",
	  { "t.ini:4: producer.raw_compression: 'zstd:99': " } },
	{ BASE "[producer]\nraw_compression = :3\n",
	  { "t.ini:4: producer.raw_compression: ':3': expected CODEC or CODEC:LEVEL" } },
};

/* What librdkafka says about key = value, as the loader should quote it. */
static char *kafka_error(const char *key, const char *value)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char why[512] = "";
	ck_assert_int_ne(rd_kafka_conf_set(conf, key, value, why, sizeof(why)), RD_KAFKA_CONF_OK);
	rd_kafka_conf_destroy(conf);
	why[strcspn(why, "\r\n")] = '\0'; /* the loader keeps one line per message */
	return strdup(why);
}

static char *regex_error(const char *pattern)
{
	regex_t re;
	char why[256];
	int rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);
	ck_assert_int_ne(rc, 0);
	regerror(rc, &re, why, sizeof(why));
	return strdup(why);
}

/* Messages ending in ": " get the library's own error text appended. */
static char *expected_message(const char *msg)
{
	static const struct {
		const char *prefix;
		const char *key, *value; /* librdkafka */
		const char *pattern; /* regcomp */
	} suffixes[] = {
		{ "t.ini:4: kafka.socket.timeout.ms", "socket.timeout.ms", "1", NULL },
		{ "t.ini:4: producer.no.such", "no.such.property", "1", NULL },
		{ "t.ini:4: consumer.auto.offset.reset", "auto.offset.reset", "sideways", NULL },
		{ "t.ini:4: kafka.debug", "debug", "broker,sideways", NULL },
		{ "t.ini:4: producer.raw_compression: 'brotli'", "compression.type", "brotli",
		  NULL },
		{ "t.ini:4: producer.raw_compression: 'zstd:99'", "compression.level", "99", NULL },
		{ "t.ini:3: scraper.follow", NULL, NULL, "(" },
		{ "t.ini:3: scraper.recipe", NULL, NULL, "a{2,1}" },
	};
	size_t len = strlen(msg);
	if (len < 2 || strcmp(msg + len - 2, ": ") != 0)
		return strdup(msg);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (strncmp(msg, suffixes[i].prefix, strlen(suffixes[i].prefix)) != 0)
			continue;
		char *why = suffixes[i].pattern ? regex_error(suffixes[i].pattern)
						: kafka_error(suffixes[i].key, suffixes[i].value);
		char *full = NULL;
		ck_assert_int_ge(asprintf(&full, "%s%s", msg, why), 0);
		free(why);
		return full;
	}
	ck_abort_msg("no suffix for %s", msg);
	return NULL;
}

START_TEST(error_case)
{
	const struct error_case *c = &error_cases[_i];
	struct rsd_config *cfg = (void *)1;
	struct rsd_config_diag diag = { 0 };
	int rc = rsd_config_load_string("t.ini", c->text, &cfg, &diag);
	fprintf(stderr, "case %d:\n%s", _i, c->text);
	dump(&diag);
	ck_assert_int_eq(rc, -EINVAL);
	ck_assert_ptr_null(cfg);
	size_t n = 0;
	while (n < 3 && c->messages[n])
		n++;
	ck_assert_uint_eq(diag.n, n);
	for (size_t i = 0; i < n; i++) {
		char *want = expected_message(c->messages[i]);
		ck_assert_str_eq(diag.messages[i], want);
		ck_assert_ptr_null(strpbrk(diag.messages[i], "\r\n")); /* one line each */
		free(want);
	}
	rsd_config_diag_clear(&diag);
	ck_assert_uint_eq(diag.n, 0);
}
END_TEST

START_TEST(every_error_of_a_file_is_reported)
{
	char *path = fixture("errors.ini");
	struct rsd_config *cfg = NULL;
	struct rsd_config_diag diag = { 0 };
	ck_assert_int_eq(rsd_config_load(path, &cfg, &diag), -EINVAL);
	ck_assert_ptr_null(cfg);
	dump(&diag);
	char *regex_why = regex_error("(unclosed");
	char *kafka_why = kafka_error("socket.timeout.ms", "1");
	char *want[] = {
		"2: daemon.watchdog: expected on|off|yes|no|true|false|1|0, got 'sometimes'",
		"3: expected ']' at the end of the section name",
		"6: scraper.threads: 100 is out of range 1..64",
		"7: scraper.max_page_bytes: 3G is out of range 1K..1G",
		"8: scraper.start_urls: 'ftp://example.com/': only http and https URLs are allowed",
		NULL, /* 9: regex */
		"11: ring.capacity: 1000 is not a power of two",
		"12: unknown section [nonsense] " SECTIONS,
		"15: kafka.brokers: 'localhost' is not host:port (port 1..65535) or \"embedded\"",
		NULL, /* 16: librdkafka */
		"17: expected 'key = value'",
		"19: journal.sink: expected auto|journal|stdout, got 'syslog'",
		"20: journal.sink: duplicate key (first set on line 19)",
	};
	ck_assert(asprintf(&want[5],
			   "9: scraper.follow: invalid regular expression '(unclosed': %s",
			   regex_why) > 0);
	ck_assert(asprintf(&want[9], "16: kafka.socket.timeout.ms: rejected by librdkafka: %s",
			   kafka_why) > 0);
	size_t n = sizeof(want) / sizeof(want[0]);
	ck_assert_uint_eq(diag.n, n);
	for (size_t i = 0; i < n; i++) {
		char *full = NULL;
		ck_assert(asprintf(&full, "%s:%s", path, want[i]) > 0);
		ck_assert_str_eq(diag.messages[i], full);
		ck_assert_uint_eq(diag.lines[i], (unsigned)atoi(want[i]));
		free(full);
	}
	free(want[5]);
	free(want[9]);
	free(regex_why);
	free(kafka_why);
	rsd_config_diag_clear(&diag);
	free(path);
}
END_TEST

START_TEST(diagnostics_are_sorted_and_appended)
{
	struct rsd_config *cfg = NULL;
	struct rsd_config_diag diag = { 0 };
	/* A cross-key error (reported after parsing) on line 2 comes before a
	 * parse error on line 4; the missing key comes last. */
	ck_assert_int_eq(
		rsd_config_load_string("a.ini",
				       "[scraper]\nmax_connections_per_host = 40\n\nthreads = 0\n",
				       &cfg, &diag),
		-EINVAL);
	ck_assert_int_eq(rsd_config_load_string("b.ini", "[ring]\ncapacity = 3\n", &cfg, &diag),
			 -EINVAL);
	dump(&diag);
	ck_assert_uint_eq(diag.n, 5);
	ck_assert_str_eq(diag.messages[0], "a.ini:2: scraper.max_connections_per_host: 40 exceeds "
					   "scraper.max_connections (32)");
	ck_assert_str_eq(diag.messages[1], "a.ini:4: scraper.threads: 0 is out of range 1..64");
	ck_assert_str_eq(diag.messages[2], "a.ini: scraper.start_urls: required key is missing");
	ck_assert_uint_eq(diag.lines[2], 0);
	ck_assert_str_eq(diag.messages[3], "b.ini:2: ring.capacity: 3 is not a power of two");
	ck_assert_str_eq(diag.messages[4], "b.ini: scraper.start_urls: required key is missing");
	rsd_config_diag_clear(&diag);
	rsd_config_diag_clear(NULL);
}
END_TEST

/* ------------------------------------------------------------ files */

START_TEST(file_errors)
{
	struct rsd_config *cfg = (void *)1;
	struct rsd_config_diag diag = { 0 };
	ck_assert_int_eq(rsd_config_load("/nonexistent/rsd.ini", &cfg, &diag), -ENOENT);
	ck_assert_ptr_null(cfg);
	ck_assert_uint_eq(diag.n, 1);
	ck_assert_str_eq(diag.messages[0],
			 "/nonexistent/rsd.ini: cannot open: No such file or directory");
	rsd_config_diag_clear(&diag);

	const char *dir = getenv("RSD_FIXTURES");
	ck_assert_int_eq(rsd_config_load(dir, &cfg, &diag), -EISDIR);
	ck_assert_uint_eq(diag.n, 1);
	ck_assert_ptr_nonnull(strstr(diag.messages[0], ": cannot read: Is a directory"));
	rsd_config_diag_clear(&diag);

	/* diag may be NULL when the caller only wants the code */
	ck_assert_int_eq(rsd_config_load("/nonexistent/rsd.ini", &cfg, NULL), -ENOENT);
}
END_TEST

START_TEST(nul_byte_in_file)
{
	char path[] = "/tmp/rsd-config-test-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	static const char text[] = BASE "threads = 4\0junk\n";
	ck_assert_int_eq(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	struct rsd_config *cfg = NULL;
	struct rsd_config_diag diag = { 0 };
	ck_assert_int_eq(rsd_config_load(path, &cfg, &diag), -EINVAL);
	unlink(path);
	ck_assert_uint_eq(diag.n, 1);
	ck_assert_uint_eq(diag.lines[0], 3);
	ck_assert_ptr_nonnull(strstr(diag.messages[0], ":3: line contains a NUL byte"));
	rsd_config_diag_clear(&diag);
}
END_TEST

START_TEST(file_too_large)
{
	char path[] = "/tmp/rsd-config-test-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 1024 * 1024 / 16 + 1; i++)
		fputs("; padding line\n\n", f); /* 16 bytes */
	fclose(f);
	struct rsd_config *cfg = NULL;
	struct rsd_config_diag diag = { 0 };
	ck_assert_int_eq(rsd_config_load(path, &cfg, &diag), -EFBIG);
	unlink(path);
	ck_assert_uint_eq(diag.n, 1);
	ck_assert_ptr_nonnull(strstr(diag.messages[0], ": cannot read: File too large"));
	rsd_config_diag_clear(&diag);
}
END_TEST

/* ------------------------------------------------------------ API */

START_TEST(kafka_changed)
{
	struct rsd_config *a = load_ok(BASE "[producer]\nlinger.ms = 5\n");
	struct rsd_config *same = load_ok(BASE "threads = 7\n[producer]\nlinger.ms = 5\n");
	ck_assert(!rsd_config_kafka_changed(a, a));
	ck_assert(!rsd_config_kafka_changed(a, same)); /* [scraper] does not matter */

	static const char *const changes[] = {
		BASE "[producer]\nlinger.ms = 6\n",
		BASE "[producer]\nlinger.ms = 5\nbatch.size = 1000\n",
		BASE "[producer]\nlinger.ms = 5\n[kafka]\nbrokers = other.example:9092\n",
		BASE "[producer]\nlinger.ms = 5\n[kafka]\nbrokers = embedded\n",
		BASE "[producer]\nlinger.ms = 5\n[kafka]\nclient.id = x\n",
		BASE "[producer]\nlinger.ms = 5\n[kafka]\ndebug = cgrp\n",
		BASE "[producer]\nlinger.ms = 5\ntopic = other\n",
		BASE "[producer]\nlinger.ms = 5\nraw_topic =\n",
		BASE "[producer]\nlinger.ms = 5\n[consumer]\nenabled = off\n",
		BASE "[producer]\nlinger.ms = 5\n[consumer]\ngroup_id = g2\n",
		BASE "[producer]\nlinger.ms = 5\n[consumer]\ntopics = parsed_recipes extra\n",
		BASE "[producer]\nlinger.ms = 5\n[consumer]\ncalorie_threshold = 201\n",
		BASE "[producer]\nlinger.ms = 5\n[consumer]\nfetch.min.bytes = 2\n",
		BASE "[cluster]\nfrontier_topic = crawl\n",
	};
	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		struct rsd_config *b = load_ok(changes[i]);
		ck_assert_msg(rsd_config_kafka_changed(a, b), "change %zu not seen", i);
		ck_assert(rsd_config_kafka_changed(b, a));
		rsd_config_free(b);
	}
	rsd_config_free(a);
	rsd_config_free(same);
	rsd_config_free(NULL);
}
END_TEST

START_TEST(keys_table_lists_every_key)
{
	static const char *const expected[] = {
		"daemon.state_dir",
		"daemon.shutdown_timeout_s",
		"daemon.watchdog",
		"daemon.log_level",
		"scraper.start_urls",
		"scraper.allowed_hosts",
		"scraper.follow",
		"scraper.recipe",
		"scraper.follow_from_recipes",
		"scraper.threads",
		"scraper.max_connections",
		"scraper.max_connections_per_host",
		"scraper.delay_ms",
		"scraper.max_depth",
		"scraper.max_queued",
		"scraper.max_queued_per_host",
		"scraper.max_pages",
		"scraper.user_agent",
		"scraper.timeout_s",
		"scraper.max_page_bytes",
		"scraper.robots",
		"scraper.sitemaps",
		"scraper.sitemap_urls",
		"scraper.allow_private_addresses",
		"scraper.dedup_canonical",
		"scraper.recrawl_interval_s",
		"scraper.refresh_interval_s",
		"scraper.max_retries",
		"scraper.retry_backoff_ms",
		"ring.capacity",
		"ring.max_bytes",
		"kafka.brokers",
		"kafka.debug",
		"producer.topic",
		"producer.raw_topic",
		"producer.raw_compression",
		"producer.partitions",
		"producer.replication_factor",
		"consumer.enabled",
		"consumer.group_id",
		"consumer.topics",
		"consumer.calorie_threshold",
		"journal.sink",
		"journal.identifier",
		"metrics.listen",
		"cluster.frontier_topic",
		"cluster.state_topic",
		"cluster.group_id",
		"cluster.partitions",
	};
	size_t n = 0;
	const struct rsd_config_key_info *keys = rsd_config_keys(&n);
	ck_assert_uint_eq(n, sizeof(expected) / sizeof(expected[0]));
	for (size_t i = 0; i < n; i++) {
		char *name = NULL;
		ck_assert(asprintf(&name, "%s.%s", keys[i].section, keys[i].key) > 0);
		ck_assert_str_eq(name, expected[i]);
		ck_assert(*keys[i].type && *keys[i].doc);
		ck_assert_ptr_nonnull(keys[i].default_value);
		ck_assert_ptr_nonnull(keys[i].values);
		ck_assert_int_eq(keys[i].required, strcmp(name, "scraper.start_urls") == 0);
		free(name);

		/* Every default, written in the file as documented, is accepted. */
		if (keys[i].required)
			continue;
		char *text = NULL;
		ck_assert(asprintf(&text, BASE "[%s]\n%s = %s\n", keys[i].section, keys[i].key,
				   keys[i].default_value) > 0);
		rsd_config_free(load_ok(text));
		free(text);
	}
	size_t again = 0;
	ck_assert_ptr_eq(rsd_config_keys(&again), keys);
	ck_assert_uint_eq(again, n);
}
END_TEST

/* docs/configuration.md embeds the generated reference verbatim. */
START_TEST(docs_contain_generated_reference)
{
	char *ref = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&ref, &len);
	ck_assert_int_eq(rsd_config_write_reference(f), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(ref, "| `threads` | uint | `2` | 1..64 |"));
	ck_assert_ptr_nonnull(strstr(ref, "| `start_urls` | url-list | *required* |"));
	char *docs = read_text(docs_path);
	ck_assert_msg(
		strstr(docs, ref) != NULL,
		"%s is out of date: regenerate the reference with rsd_config_write_reference()",
		docs_path);
	free(docs);
	free(ref);
}
END_TEST

/* syslog's names, systemd's, case-insensitive. */
START_TEST(log_levels)
{
	const struct {
		const char *name;
		int level;
	} levels[] = {
		{ "emerg", 0 },   { "alert", 1 }, { "crit", 2 },   { "err", 3 },  { "error", 3 },
		{ "warning", 4 }, { "WARN", 4 },  { "notice", 5 }, { "info", 6 }, { "Debug", 7 },
	};
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		char *text = NULL;
		ck_assert_int_ge(asprintf(&text, "[daemon]\nlog_level = %s\n" BASE, levels[i].name),
				 0);
		struct rsd_config *cfg = load_ok(text);
		ck_assert_int_eq(cfg->log_level, levels[i].level);
		rsd_config_free(cfg);
		free(text);
	}
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *valid = tcase_create("valid");
	tcase_add_test(valid, full_file_sets_every_key);
	tcase_add_test(valid, raw_compressed_follows_topic_and_codec);
	tcase_add_test(valid, defaults_of_a_minimal_file);
	tcase_add_test(valid, metrics_listen_addresses);
	tcase_add_test(valid, log_levels);
	tcase_add_test(valid, bom_crlf_and_inline_comments);
	tcase_add_test(valid, forced_properties_at_their_value);
	tcase_add_test(valid, value_syntax);
	tcase_add_test(valid, size_suffixes_and_powers_of_two);
	suite_add_tcase(s, valid);

	TCase *errors = tcase_create("errors");
	tcase_add_loop_test(errors, error_case, 0,
			    (int)(sizeof(error_cases) / sizeof(error_cases[0])));
	tcase_add_test(errors, every_error_of_a_file_is_reported);
	tcase_add_test(errors, diagnostics_are_sorted_and_appended);
	tcase_add_test(errors, file_errors);
	tcase_add_test(errors, nul_byte_in_file);
	tcase_add_test(errors, file_too_large);
	suite_add_tcase(s, errors);

	config_add_reference_cases(s);

	TCase *api = tcase_create("api");
	tcase_add_test(api, kafka_changed);
	tcase_add_test(api, keys_table_lists_every_key);
	if (docs_path)
		tcase_add_test(api, docs_contain_generated_reference);
	suite_add_tcase(s, api);
	return s;
}

int main(int argc, char **argv)
{
	docs_path = argc > 1 ? argv[1] : NULL;
	return rsd_check_run(config_suite());
}
