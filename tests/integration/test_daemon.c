/* SPDX-License-Identifier: MIT */
/* The daemon end to end: the real binary crawls tests/fixtures/site on a
 * loopback HTTP server, publishes through the embedded broker and consumes
 * into the stdout sink; plus the command line contracts and signals. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "httpd.h"
#include "check_main.h"

#define ALERT_ID "c0a1f7e2b6d84f3a9a5e2d1c7b8f6e41"
#define RECIPE_ID "6f1c3b0e8d9a4b2c9e7f5a1d3c2b4a60"

static const char config_template[] = "[daemon]\n"
				      "state_dir = @DIR@/state\n"
				      "shutdown_timeout_s = @SHUTDOWN@\n"
				      "[scraper]\n"
				      "start_urls = @BASE@/site/index.html\n"
				      "threads = 2\n"
				      "delay_ms = @DELAY@\n"
				      "max_connections_per_host = 4\n"
				      "allow_private_addresses = @PRIVATE@\n"
				      "robots = on\n"
				      "@SCRAPER@\n"
				      "timeout_s = 20\n"
				      "[ring]\n"
				      "capacity = 8\n"
				      "[kafka]\n"
				      "brokers = @BROKERS@\n"
				      "[producer]\n"
				      "topic = parsed_recipes\n"
				      "raw_topic = raw_recipes\n"
				      "@PRODUCER@\n"
				      "[consumer]\n"
				      "group_id = integration\n"
				      "calorie_threshold = 200\n"
				      "[journal]\n"
				      "sink = stdout\n";

struct fixture_site {
	struct rsd_httpd *httpd;
	cJSON *expected; /* EXPECTED.json: [{path, title, calories}] */
};

static struct fixture_site site_start(void)
{
	const char *fixtures = getenv("RSD_FIXTURES");
	ck_assert_ptr_nonnull(fixtures);
	struct fixture_site s = { 0 };
	ck_assert_int_eq(rsd_httpd_start(fixtures, &s.httpd), 0);

	char path[512];
	snprintf(path, sizeof path, "%s/site/EXPECTED.json", fixtures);
	char *text = harness_slurp(path);
	s.expected = cJSON_Parse(text);
	free(text);
	ck_assert_msg(cJSON_IsArray(s.expected), "cannot read %s", path);
	return s;
}

static void site_stop(struct fixture_site *s)
{
	rsd_httpd_free(s->httpd);
	cJSON_Delete(s->expected);
}

struct config_opts {
	const char *brokers;
	const char *delay_ms;
	const char *shutdown_s;
	const char *producer_extra;
	const char *private_addresses; /* allow_private_addresses; NULL: on */
	const char *scraper_extra; /* more [scraper] lines */
};

static void write_config(struct harness_proc *p, const struct fixture_site *s,
			 const struct config_opts *o, const char *name)
{
	const char *vars[] = {
		"DIR",      p->dir,
		"BASE",     rsd_httpd_base(s->httpd),
		"BROKERS",  o->brokers ? o->brokers : "embedded",
		"DELAY",    o->delay_ms ? o->delay_ms : "0",
		"SHUTDOWN", o->shutdown_s ? o->shutdown_s : "20",
		"PRODUCER", o->producer_extra ? o->producer_extra : "",
		"PRIVATE",  o->private_addresses ? o->private_addresses : "on",
		"SCRAPER",  o->scraper_extra ? o->scraper_extra : "",
		NULL,
	};
	char *text = harness_subst(config_template, vars), path[256];
	harness_write_file(harness_path(p, name, path, sizeof path), text);
	free(text);
}

/* The daemon (not --once) on rsd.ini written with o, until READY=1. */
static void start_daemon(struct harness_proc *p, const struct fixture_site *s,
			 const struct config_opts *o)
{
	write_config(p, s, o, "rsd.ini");
	const char *argv[] = { "recipe-scraperd", "-c", "rsd.ini", NULL };
	harness_spawn(p, argv);
	ck_assert_msg(harness_wait_notify(p, "READY=1", 1, 60000), "no READY=1: %s", p->notified);
}

static const char *field(const cJSON *entry, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(entry, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int count_entries_for(const cJSON *entries, const char *url, const cJSON **found)
{
	int n = 0;
	const cJSON *e;
	cJSON_ArrayForEach (e, entries) {
		const char *u = field(e, "RECIPE_URL");
		if (u && strcmp(u, url) == 0) {
			*found = e;
			n++;
		}
	}
	return n;
}

/* Every expected recipe consumed exactly once, with its title, calories and
 * priority; nothing else consumed. */
static void assert_consumed_exactly(const struct fixture_site *s, const cJSON *entries)
{
	const cJSON *exp;
	int alerts = 0;

	cJSON_ArrayForEach (exp, s->expected) {
		char url[512];
		const cJSON *entry = NULL, *cal = cJSON_GetObjectItem(exp, "calories");
		snprintf(url, sizeof url, "%s/site/%s", rsd_httpd_base(s->httpd),
			 field(exp, "path"));
		ck_assert_msg(count_entries_for(entries, url, &entry) == 1,
			      "%s consumed %d times, expected once", url,
			      count_entries_for(entries, url, &entry));
		ck_assert_str_eq(field(entry, "RECIPE_TITLE"), field(exp, "title"));
		ck_assert_str_eq(field(entry, "RECIPE_HOST"), "127.0.0.1");
		ck_assert_str_eq(field(entry, "KAFKA_TOPIC"), "parsed_recipes");
		ck_assert_ptr_nonnull(field(entry, "KAFKA_PARTITION"));
		ck_assert_ptr_nonnull(field(entry, "KAFKA_OFFSET"));

		cJSON *record = cJSON_Parse(field(entry, "RECIPE_JSON"));
		ck_assert_ptr_nonnull(record);
		ck_assert_int_eq(cJSON_GetObjectItem(record, "schema")->valueint, 1);
		ck_assert_str_eq(cJSON_GetObjectItem(record, "url")->valuestring, url);
		ck_assert_ptr_nonnull(cJSON_GetObjectItem(record, "scraped_at"));
		cJSON_Delete(record);

		bool alert = cJSON_IsNumber(cal) && cal->valuedouble > 200;
		if (cJSON_IsNumber(cal)) {
			ck_assert_double_eq_tol(strtod(field(entry, "RECIPE_CALORIES"), NULL),
						cal->valuedouble, 0.01);
		} else {
			ck_assert_ptr_null(field(entry, "RECIPE_CALORIES"));
		}
		ck_assert_str_eq(field(entry, "PRIORITY"), alert ? "4" : "6");
		ck_assert_str_eq(field(entry, "MESSAGE_ID"), alert ? ALERT_ID : RECIPE_ID);
		ck_assert_msg(
			strncmp(field(entry, "MESSAGE"),
				alert ? "High-calorie recipe: " : "Recipe: ", alert ? 21 : 8) == 0,
			"MESSAGE: %s", field(entry, "MESSAGE"));
		alerts += alert;
	}
	ck_assert_int_eq(cJSON_GetArraySize(entries), cJSON_GetArraySize(s->expected));
	ck_assert_int_ge(alerts, 1);
}

START_TEST(once_crawls_publishes_and_consumes_every_recipe_once)
{
	struct fixture_site s = site_start();
	struct harness_proc p;
	harness_init(&p);
	write_config(&p, &s, &(struct config_opts){ 0 }, "rsd.ini");

	const char *argv[] = { "recipe-scraperd", "--once", "-c", "rsd.ini", NULL };
	harness_spawn(&p, argv);
	int code = harness_wait_exit(&p, 120000);
	char *err = harness_slurp(p.stderr_path);
	ck_assert_msg(code == 0, "exit %d, stderr:\n%s", code, err);
	ck_assert_ptr_nonnull(
		strstr(err, "records live in memory")); /* the embedded-broker warning */
	ck_assert_ptr_nonnull(strstr(err, "0 undelivered"));
	ck_assert_ptr_nonnull(strstr(p.notified, "READY=1"));

	cJSON *entries = harness_json_lines(p.stdout_path);
	assert_consumed_exactly(&s, entries);
	/* The fragment-twin links and the about page were each fetched once. */
	ck_assert_uint_eq(rsd_httpd_count(s.httpd, "/site/recipes/lemon-herb-rice.html"), 1);
	ck_assert_uint_eq(rsd_httpd_count(s.httpd, "/site/about.html"), 1);

	cJSON_Delete(entries);
	free(err);
	harness_cleanup(&p);
	site_stop(&s);
}
END_TEST

/* A raw page above the producer's message.max.bytes is not published to
 * raw_topic; its record is, and the stop entry counts the raw page. */
START_TEST(once_counts_raw_pages_not_published)
{
	struct fixture_site s = site_start();
	char file[512], *body, *big;
	snprintf(file, sizeof file, "%s/site/recipes/lemon-herb-rice.html", getenv("RSD_FIXTURES"));
	body = harness_slurp(file);
	size_t len = strlen(body), pad = 40000;
	big = malloc(len + pad + 16);
	ck_assert_ptr_nonnull(big);
	/* The padding is an HTML comment ahead of the page: the recipe is unchanged. */
	memcpy(big, "<!--", 4);
	memset(big + 4, 'x', pad);
	memcpy(big + 4 + pad, "-->", 3);
	memcpy(big + 7 + pad, body, len + 1);
	struct rsd_httpd_route r = { .path = "/site/recipes/lemon-herb-rice.html", .body = big };
	ck_assert_int_eq(rsd_httpd_route(s.httpd, &r), 0);
	free(body);
	free(big);

	struct harness_proc p;
	harness_init(&p);
	write_config(&p, &s, &(struct config_opts){ .producer_extra = "message.max.bytes = 30000" },
		     "rsd.ini");
	const char *argv[] = { "recipe-scraperd", "--once", "-c", "rsd.ini", NULL };
	harness_spawn(&p, argv);
	int code = harness_wait_exit(&p, 120000);
	char *err = harness_slurp(p.stderr_path);
	ck_assert_msg(code == 0, "exit %d, stderr:\n%s", code, err);
	ck_assert_msg(strstr(err, " 0 undelivered") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "; 1 raw pages not published") != NULL, "%s", err);
	cJSON *entries = harness_json_lines(p.stdout_path);
	assert_consumed_exactly(&s, entries);
	cJSON_Delete(entries);
	free(err);
	harness_cleanup(&p);
	site_stop(&s);
}
END_TEST

START_TEST(once_exits_69_when_kafka_is_unreachable)
{
	struct fixture_site s = site_start();
	struct harness_proc p;
	harness_init(&p);
	/* Port 9 (discard) on loopback: nothing listens, connections are refused. */
	write_config(&p, &s,
		     &(struct config_opts){ .brokers = "127.0.0.1:9",
					    .producer_extra = "message.timeout.ms = 1500" },
		     "rsd.ini");
	const char *argv[] = { "recipe-scraperd", "--once", "-c", "rsd.ini", NULL };
	harness_spawn(&p, argv);
	int code = harness_wait_exit(&p, 120000);
	char *err = harness_slurp(p.stderr_path);
	ck_assert_msg(code == 69, "exit %d, stderr:\n%s", code, err);
	/* Delivered marks belong to a cluster: with none known the crawl never
	 * starts, so nothing is fetched for records that could not go anywhere. */
	ck_assert_msg(
		strstr(err, "answered within message.timeout.ms (1500 ms); nothing was crawled"),
		"stderr:\n%s", err);
	ck_assert_uint_eq(rsd_httpd_count(s.httpd, "/site/index.html"), 0);
	free(err);
	harness_cleanup(&p);
	site_stop(&s);
}
END_TEST

static unsigned count_substr(const char *text, const char *needle)
{
	unsigned n = 0;
	for (const char *at = text; (at = strstr(at, needle)); at += strlen(needle))
		n++;
	return n;
}

/* The SSRF guard, seen by the operator: a start URL on 127.0.0.1 with
 * allow_private_addresses = off is refused, stderr says which address,
 * what it is and which key allows it (once: the rate limit), and the
 * summary counts the page by cause. Nothing reaches the server. */
START_TEST(once_private_start_url_refusal_says_why)
{
	struct fixture_site s = site_start();
	struct harness_proc p;
	harness_init(&p);
	write_config(&p, &s, &(struct config_opts){ .private_addresses = "off" }, "rsd.ini");
	const char *argv[] = { "recipe-scraperd", "--once", "-c", "rsd.ini", NULL };
	harness_spawn(&p, argv);
	int code = harness_wait_exit(&p, 60000);
	char *err = harness_slurp(p.stderr_path);
	ck_assert_msg(code == 0, "exit %d, stderr:\n%s", code, err);
	char want[512];
	snprintf(want, sizeof want,
		 "<4>Refused %s/site/index.html on host 127.0.0.1: private address: 127.0.0.1 is a "
		 "loopback address (127.0.0.0/8); allow_private_addresses = on allows it",
		 rsd_httpd_base(s.httpd));
	ck_assert_msg(strstr(err, want) != NULL, "no \"%s\" in:\n%s", want, err);
	ck_assert_msg(count_substr(err, "<4>Refused ") == 1, "one line per host and cause:\n%s",
		      err);
	ck_assert_msg(strstr(err, "<6>Stopped after ") != NULL, "%s", err);
	ck_assert_msg(strstr(err,
			     " 0 pages fetched (0 failed), 1 refused: 1 private address "
			     "(allow_private_addresses = off), 0 skipped, 0 records produced") !=
			      NULL,
		      "summary without the refusal:\n%s", err);
	struct rsd_httpd_request *log;
	ck_assert_uint_eq(rsd_httpd_log(s.httpd, &log), 0);
	free(log);
	free(err);
	harness_cleanup(&p);
	site_stop(&s);
}
END_TEST

/* The same as a service: STATUS= (systemctl status) counts the refusal by
 * cause with the setting that decided. */
START_TEST(status_counts_refusals_by_cause)
{
	struct fixture_site s = site_start();
	struct harness_proc p;
	harness_init(&p);
	start_daemon(&p, &s, &(struct config_opts){ .private_addresses = "off" });
	/* STATUS= is sent every 2 s */
	ck_assert_msg(
		harness_wait_notify(&p,
				    "STATUS=pages 0 fetched, 0 failed, 1 refused: 1 private "
				    "address (allow_private_addresses = off), 0 skipped, 0 queued;",
				    1, 10000),
		"%s", p.notified);
	harness_signal(&p, SIGTERM);
	ck_assert_int_eq(harness_wait_exit(&p, 60000), 0);
	harness_cleanup(&p);
	site_stop(&s);
}
END_TEST

/* ${NAME} and ${credential:NAME} in a value reach their user expanded (here
 * the web server, in User-Agent), and the secret appears in none of the
 * daemon's output. */
START_TEST(references_expand_into_user_agent)
{
	struct fixture_site s = site_start();
	struct harness_proc p;
	harness_init(&p);
	write_config(&p, &s, &(struct config_opts){ 0 }, "rsd.ini");
	char path[256], creds[256];
	harness_path(&p, "rsd.ini", path, sizeof path);
	char *text = harness_slurp(path), *more = NULL;
	ck_assert_int_ge(asprintf(&more,
				  "%s[scraper]\nuser_agent = rsd-test/${RSD_TEST_UA} "
				  "(${credential:ua-token})\n",
				  text),
			 0);
	harness_write_file(path, more);
	harness_path(&p, "creds", creds, sizeof creds);
	ck_assert_int_eq(mkdir(creds, 0700), 0);
	char cred_file[300];
	snprintf(cred_file, sizeof cred_file, "%s/ua-token", creds);
	harness_write_file(cred_file, "tok-0600-secret\n");
	/* the spawned daemon inherits the environment of this (forked) test */
	setenv("RSD_TEST_UA", "env-secret-1", 1);
	setenv("CREDENTIALS_DIRECTORY", creds, 1);

	const char *argv[] = { "recipe-scraperd", "--once", "-c", "rsd.ini", NULL };
	harness_spawn(&p, argv);
	int code = harness_wait_exit(&p, 120000);
	char *err = harness_slurp(p.stderr_path);
	ck_assert_msg(code == 0, "exit %d, stderr:\n%s", code, err);

	struct rsd_httpd_request *log = NULL;
	size_t n = rsd_httpd_log(s.httpd, &log);
	ck_assert_uint_gt(n, 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(log[i].user_agent, "rsd-test/env-secret-1 (tok-0600-secret)");
	ck_assert_ptr_null(strstr(err, "secret"));
	ck_assert_ptr_null(strstr(p.notified, "secret"));

	/* -t with an unset variable: FILE:LINE, exit 78, the reference as written */
	unsetenv("RSD_TEST_UA");
	const char *check[] = { "recipe-scraperd", "-t", "-c", "rsd.ini", NULL };
	harness_spawn(&p, check);
	ck_assert_int_eq(harness_wait_exit(&p, 30000), 78);
	free(err);
	err = harness_slurp(p.stderr_path);
	unsigned line = 2; /* user_agent: two lines after the template's text */
	for (const char *c = text; *c; c++)
		line += *c == '\n';
	char want[128];
	snprintf(want, sizeof want,
		 "rsd.ini:%u: ${RSD_TEST_UA}: environment variable RSD_TEST_UA is not set", line);
	ck_assert_msg(strstr(err, want) != NULL, "want %s, stderr: %s", want, err);
	ck_assert_ptr_null(strstr(err, "secret"));

	free(log);
	free(err);
	free(text);
	free(more);
	harness_cleanup(&p);
	site_stop(&s);
}
END_TEST

/* log_level = debug: a line per refused or skipped page with its cause (the
 * fixture site's recipes link to each other: with follow_from_recipes off
 * their links are skipped as already seen or not followed); warning: no
 * info line (the "started" entry) is written. */
START_TEST(log_level_debug_lines_per_page_and_warning_hides_info)
{
	struct fixture_site s = site_start();
	struct harness_proc p;
	harness_init(&p);
	char path[256];
	harness_path(&p, "rsd.ini", path, sizeof path);
	const char *levels[] = { "debug", "warning" };
	for (int i = 0; i < 2; i++) {
		write_config(&p, &s, &(struct config_opts){ 0 }, "rsd.ini");
		char *text = harness_slurp(path), *more = NULL;
		ck_assert_int_ge(asprintf(&more,
					  "%s[daemon]\nlog_level = %s\n[scraper]\nmax_depth = 0\n",
					  text, levels[i]),
				 0);
		harness_write_file(path, more);
		free(text);
		free(more);
		const char *argv[] = { "recipe-scraperd", "--once", "-c", "rsd.ini", NULL };
		harness_spawn(&p, argv);
		int code = harness_wait_exit(&p, 120000);
		char *err = harness_slurp(p.stderr_path);
		ck_assert_msg(code == 0, "exit %d, stderr:\n%s", code, err);
		if (i == 0) {
			/* max_depth = 0: the start page's links are skipped, each with a line */
			ck_assert_msg(strstr(err, "<7>Skipped ") != NULL, "stderr:\n%s", err);
			ck_assert_msg(
				strstr(err, "/site/index.html on host 127.0.0.1: at max_depth") !=
					NULL,
				"stderr:\n%s", err);
			ck_assert_ptr_nonnull(strstr(err, "<6>recipe-scraperd "));
		} else {
			ck_assert_msg(strstr(err, "<6>") == NULL && strstr(err, "<7>") == NULL,
				      "stderr:\n%s", err);
		}
		free(err);
	}
	harness_cleanup(&p);
	site_stop(&s);
}
END_TEST

START_TEST(check_config_reports_file_line_and_exits_78)
{
	struct harness_proc p;
	harness_init(&p);
	char path[256];
	harness_write_file(harness_path(&p, "bad.ini", path, sizeof path),
			   "[scraper]\n"
			   "start_urls = http://127.0.0.1/\n"
			   "threads = 0\n"
			   "[nosuchsection]\n"
			   "x = 1\n");
	const char *argv[] = { "recipe-scraperd", "--check-config", "-c", "bad.ini", NULL };
	harness_spawn(&p, argv);
	ck_assert_int_eq(harness_wait_exit(&p, 30000), 78);
	char *err = harness_slurp(p.stderr_path);
	ck_assert_msg(strstr(err, "bad.ini:3: ") != NULL, "stderr: %s", err);
	ck_assert_msg(strstr(err, "bad.ini:4: ") != NULL || strstr(err, "bad.ini:5: ") != NULL,
		      "stderr: %s", err);
	free(err);

	/* A property the producer forces is refused at -t, not overridden later. */
	harness_write_file(path, "[scraper]\nstart_urls = http://127.0.0.1/\n"
				 "[producer]\nenable.idempotence = false\n");
	harness_spawn(&p, argv);
	ck_assert_int_eq(harness_wait_exit(&p, 30000), 78);
	err = harness_slurp(p.stderr_path);
	ck_assert_msg(strstr(err, "bad.ini:4: producer.enable.idempotence: must be true") != NULL,
		      "stderr: %s", err);
	free(err);

	harness_write_file(path, "[scraper]\nstart_urls = http://127.0.0.1/\n");
	harness_spawn(&p, argv);
	ck_assert_int_eq(harness_wait_exit(&p, 30000), 0);
	harness_cleanup(&p);
}
END_TEST

START_TEST(extract_prints_one_line_per_file_in_order)
{
	const char *fixtures = getenv("RSD_FIXTURES");
	char a[512], b[512], c[512];
	snprintf(a, sizeof a, "%s/site/recipes/smoky-chickpea-stew.html", fixtures);
	snprintf(b, sizeof b, "%s/site/about.html", fixtures);
	snprintf(c, sizeof c, "%s/site/recipes/roasted-tomato-soup.html", fixtures);
	struct harness_proc p;
	harness_init(&p);
	const char *argv[] = { "recipe-scraperd",
			       "extract",
			       "--url",
			       "https://example.org/r/page.html",
			       a,
			       b,
			       c,
			       NULL };
	harness_spawn(&p, argv);
	ck_assert_int_eq(harness_wait_exit(&p, 30000), 0);
	cJSON *lines = harness_json_lines(p.stdout_path);
	ck_assert_int_eq(cJSON_GetArraySize(lines), 3);
	ck_assert_str_eq(field(cJSON_GetArrayItem(lines, 0), "title"), "Smoky Chickpea Stew");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetArrayItem(lines, 1)), 0); /* {} */
	ck_assert_str_eq(field(cJSON_GetArrayItem(lines, 2), "title"), "Roasted Tomato Soup");
	ck_assert_str_eq(field(cJSON_GetArrayItem(lines, 2), "host"), "example.org");
	cJSON_Delete(lines);

	const char *missing[] = { "recipe-scraperd", "extract", "/nonexistent.html", NULL };
	harness_spawn(&p, missing);
	ck_assert_int_eq(harness_wait_exit(&p, 30000), 65);
	harness_cleanup(&p);
}
END_TEST

START_TEST(usage_errors_exit_64)
{
	struct harness_proc p;
	harness_init(&p);
	const char *argv[] = { "recipe-scraperd", "--no-such-option", NULL };
	harness_spawn(&p, argv);
	ck_assert_int_eq(harness_wait_exit(&p, 30000), 64);
	const char *argv2[] = { "recipe-scraperd", "extract", NULL };
	harness_spawn(&p, argv2);
	ck_assert_int_eq(harness_wait_exit(&p, 30000), 64);
	const char *argv3[] = { "recipe-scraperd", "--version", NULL };
	harness_spawn(&p, argv3);
	ck_assert_int_eq(harness_wait_exit(&p, 30000), 0);
	char *out = harness_slurp(p.stdout_path);
	ck_assert_msg(strncmp(out, "recipe-scraperd ", 16) == 0, "%s", out);
	free(out);
	harness_cleanup(&p);
}
END_TEST

/* SIGHUP with a valid file reloads (RELOADING=1 then READY=1 again); with an
 * invalid one it logs FILE:LINE and keeps running; SIGTERM then drains and
 * exits 0 with a summary, having consumed every recipe exactly once. */
START_TEST(sighup_reloads_valid_rejects_invalid_then_sigterm_drains)
{
	struct fixture_site s = site_start();
	struct harness_proc p;
	harness_init(&p);
	start_daemon(&p, &s, &(struct config_opts){ 0 });

	write_config(&p, &s, &(struct config_opts){ .delay_ms = "5" }, "rsd.ini");
	harness_signal(&p, SIGHUP);
	ck_assert_msg(harness_wait_notify(&p, "RELOADING=1", 1, 60000), "%s", p.notified);
	ck_assert_msg(harness_wait_notify(&p, "READY=1", 2, 60000), "%s", p.notified);
	ck_assert_ptr_nonnull(strstr(p.notified, "MONOTONIC_USEC="));

	char path[256];
	harness_write_file(harness_path(&p, "rsd.ini", path, sizeof path),
			   "[scraper]\nstart_urls = http://127.0.0.1/\nthreads = many\n");
	harness_signal(&p, SIGHUP);
	ck_assert_msg(harness_wait_notify(&p, "STATUS=Reload rejected", 1, 60000), "%s",
		      p.notified);
	ck_assert_msg(harness_wait_notify(&p, "RELOADING=1", 2, 500) == false,
		      "an invalid file must not start a reload");
	/* The periodic STATUS= (every 2 s) keeps the rejection ... */
	p.notified[0] = '\0';
	ck_assert_msg(harness_wait_notify(&p, "STATUS=pages ", 2, 10000), "%s", p.notified);
	ck_assert_msg(strstr(p.notified, "; last reload rejected: rsd.ini:3: scraper.threads: ") !=
			      NULL,
		      "%s", p.notified);
	/* ... until a good reload. */
	write_config(&p, &s, &(struct config_opts){ 0 }, "rsd.ini");
	p.notified[0] = '\0';
	harness_signal(&p, SIGHUP);
	ck_assert_msg(harness_wait_notify(&p, "READY=1", 1, 60000), "%s", p.notified);
	p.notified[0] = '\0';
	ck_assert_msg(harness_wait_notify(&p, "STATUS=pages ", 1, 10000), "%s", p.notified);
	ck_assert_msg(strstr(p.notified, "last reload rejected") == NULL, "%s", p.notified);

	harness_signal(&p, SIGTERM);
	ck_assert_int_eq(harness_wait_exit(&p, 60000), 0);
	ck_assert_ptr_nonnull(strstr(p.notified, "STOPPING=1"));
	char *err = harness_slurp(p.stderr_path);
	ck_assert_msg(strstr(err, "rsd.ini:3: ") != NULL, "no FILE:LINE in: %s", err);
	ck_assert_msg(strstr(err, "Stopped after") != NULL, "no summary in: %s", err);
	free(err);
	harness_cleanup(&p);
	site_stop(&s);
}
END_TEST

/* Until the server logged at least n requests (the daemon must live on):
 * the log, its length in *len. */
static struct rsd_httpd_request *wait_requests(struct harness_proc *p, struct fixture_site *s,
					       size_t n, size_t *len)
{
	struct rsd_httpd_request *log = NULL;
	for (int waited = 0; (*len = rsd_httpd_log(s->httpd, &log)) < n; waited += 50) {
		free(log);
		log = NULL;
		ck_assert_msg(waited < 60000, "fewer than %zu requests", n);
		/* The next 50 ms, in which the daemon must not exit. */
		ck_assert_msg(harness_wait_exit(p, 50) == -1, "the daemon exited");
	}
	return log;
}

/* A reload right after a request to the host: the new scraper does not ask
 * the host again before the old delay_ms (3 s) since that request, even
 * though the reload lowers delay_ms to 1 ms (the carried wait is the old
 * clock). Without the carried clocks its first request followed the
 * reload at once. The server's arrival stamps lag the request starts
 * (scheduling, up to ~300 ms under load): 1/4 is left for that. */
START_TEST(sighup_keeps_the_hosts_politeness_clock)
{
	struct fixture_site s = site_start();
	struct harness_proc p;
	harness_init(&p);
	start_daemon(&p, &s, &(struct config_opts){ .delay_ms = "3000" });
	size_t n;
	free(wait_requests(&p, &s, 1, &n));
	write_config(&p, &s, &(struct config_opts){ .delay_ms = "1" }, "rsd.ini");
	harness_signal(&p, SIGHUP);
	ck_assert_msg(harness_wait_notify(&p, "READY=1", 2, 60000), "%s", p.notified);
	struct rsd_httpd_request *log = wait_requests(&p, &s, 2, &n);
	int64_t gap = log[1].at_ms - log[0].at_ms;
	printf("reload: %s then %s, %lld ms apart\n", log[0].path, log[1].path, (long long)gap);
	ck_assert_msg(gap >= 3000 * 3 / 4, "%s asked %lld ms after %s, across the reload",
		      log[1].path, (long long)gap, log[0].path);
	free(log);
	harness_signal(&p, SIGTERM);
	ck_assert_int_eq(harness_wait_exit(&p, 60000), 0);
	harness_cleanup(&p);
	site_stop(&s);
}
END_TEST

/* Until the server was asked for path at least n times (the daemon must
 * live on). */
static void wait_count(struct harness_proc *p, struct fixture_site *s, const char *path, unsigned n)
{
	for (int waited = 0; rsd_httpd_count(s->httpd, path) < n; waited += 50) {
		ck_assert_msg(waited < 60000, "%s asked fewer than %u times", path, n);
		ck_assert_msg(harness_wait_exit(p, 50) == -1, "the daemon exited");
	}
}

/* A reload that changes nothing robots.txt depends on (delay_ms does not)
 * asks no origin for robots.txt again: the new scraper starts over from
 * the start page with the verdict the old one fetched. Before, each
 * reload asked every origin again. A changed user_agent asks again, and
 * the log says so. */
START_TEST(sighup_keeps_robots_txt_verdicts)
{
	struct fixture_site s = site_start();
	struct harness_proc p;
	harness_init(&p);
	start_daemon(&p, &s, &(struct config_opts){ 0 });
	wait_count(&p, &s, "/site/index.html", 1);
	ck_assert_uint_eq(rsd_httpd_count(s.httpd, "/robots.txt"), 1);
	write_config(&p, &s, &(struct config_opts){ .delay_ms = "5" }, "rsd.ini");
	harness_signal(&p, SIGHUP);
	ck_assert_msg(harness_wait_notify(&p, "READY=1", 2, 60000), "%s", p.notified);
	wait_count(&p, &s, "/site/index.html", 2);
	ck_assert_uint_eq(rsd_httpd_count(s.httpd, "/robots.txt"), 1);
	/* Rules fetched for another agent do not hold: asked again, and said. */
	write_config(&p, &s,
		     &(struct config_opts){ .delay_ms = "5",
					    .scraper_extra = "user_agent = rsd-test-other/2.0" },
		     "rsd.ini");
	harness_signal(&p, SIGHUP);
	ck_assert_msg(harness_wait_notify(&p, "READY=1", 3, 60000), "%s", p.notified);
	wait_count(&p, &s, "/site/index.html", 3);
	ck_assert_uint_eq(rsd_httpd_count(s.httpd, "/robots.txt"), 2);
	harness_signal(&p, SIGTERM);
	ck_assert_int_eq(harness_wait_exit(&p, 60000), 0);
	char *err = harness_slurp(p.stderr_path);
	ck_assert_msg(strstr(err, "robots.txt verdicts dropped (origins: 1)") != NULL, "%s", err);
	free(err);
	harness_cleanup(&p);
	site_stop(&s);
}
END_TEST

/* SIGTERM while fetches are in flight (slow pages): clean exit 0 within the
 * bound, a drain summary, and no record lost among those produced. */
START_TEST(sigterm_mid_crawl_drains_and_exits_0)
{
	struct fixture_site s = site_start();
	/* Every recipe page answers after 1.5 s: SIGTERM lands mid-transfer. */
	cJSON *exp;
	cJSON_ArrayForEach (exp, s.expected) {
		char route_path[512], file[512];
		snprintf(route_path, sizeof route_path, "/site/%s", field(exp, "path"));
		snprintf(file, sizeof file, "%s/site/%s", getenv("RSD_FIXTURES"),
			 field(exp, "path"));
		char *body = harness_slurp(file);
		struct rsd_httpd_route r = { .path = route_path, .body = body, .delay_ms = 1500 };
		ck_assert_int_eq(rsd_httpd_route(s.httpd, &r), 0);
		free(body);
	}
	struct harness_proc p;
	harness_init(&p);
	start_daemon(&p, &s, &(struct config_opts){ .shutdown_s = "15" });
	/* The index has been fetched and recipe fetches are in flight once the
	 * first recipe request reaches the server. */
	for (int i = 0;
	     i < 200 &&
	     rsd_httpd_count(s.httpd, "/site/recipes/lemon-herb-rice.html") +
			     rsd_httpd_count(s.httpd, "/site/recipes/roasted-tomato-soup.html") ==
		     0;
	     i++)
		harness_wait_notify(&p, "never", 1, 50);
	harness_signal(&p, SIGTERM);
	int code = harness_wait_exit(&p, 60000);
	char *err = harness_slurp(p.stderr_path);
	ck_assert_msg(code == 0, "exit %d: %s", code, err);
	ck_assert_msg(strstr(err, "Stopped after") != NULL, "no summary in: %s", err);
	ck_assert_msg(strstr(err, " 0 undelivered") != NULL, "records lost: %s", err);
	free(err);
	harness_cleanup(&p);
	site_stop(&s);
}
END_TEST

/* Runs `recipe-scraperd state forget` with args on p's rsd.ini; returns
 * the exit code, stdout and stderr (caller frees). */
static int forget(struct harness_proc *p, const char *const *args, char **out, char **err)
{
	const char *argv[9] = { "recipe-scraperd", "state", "forget", "-c",
				"rsd.ini" }; /* NULL-ended */
	for (int i = 0; args[i] && i < 3; i++)
		argv[5 + i] = args[i];
	harness_spawn(p, argv);
	int code = harness_wait_exit(p, 30000);
	*out = harness_slurp(p->stdout_path);
	*err = harness_slurp(p->stderr_path);
	return code;
}

/* One daemon per state_dir: a second one (and `state forget`) is refused
 * with exit 75 naming the directory and the holder's pid; once the daemon
 * is gone `state forget` works and says what it forgot. */
START_TEST(state_dir_lock_and_state_forget)
{
	struct fixture_site s = site_start();
	struct harness_proc p, q;
	char msg[512], *out, *err;
	harness_init(&p);
	harness_init(&q);
	write_config(&p, &s, &(struct config_opts){ 0 }, "rsd.ini");
	write_config(&q, &s, &(struct config_opts){ 0 }, "rsd.ini");
	/* q's configuration names p's state directory */
	char q_ini[256], *text = harness_slurp(harness_path(&q, "rsd.ini", q_ini, sizeof q_ini));
	char *state_line = strstr(text, q.dir);
	ck_assert_ptr_nonnull(state_line);
	memcpy(state_line, p.dir, strlen(p.dir)); /* same length: both mkdtemp names */
	harness_write_file(q_ini, text);
	free(text);

	const char *once[] = { "recipe-scraperd", "--once", "-c", "rsd.ini", NULL };
	harness_spawn(&p, once); /* fetch metadata for state forget */
	ck_assert_int_eq(harness_wait_exit(&p, 120000), 0);
	const char *run[] = { "recipe-scraperd", "-c", "rsd.ini", NULL };
	harness_spawn(&p, run);
	/* The second READY=1 of p: the first was the --once run's. */
	ck_assert(harness_wait_notify(&p, "READY=1", 2, 60000));

	harness_spawn(&q, run);
	int code = harness_wait_exit(&q, 30000);
	err = harness_slurp(q.stderr_path);
	snprintf(msg, sizeof msg,
		 "The state directory %s/state is in use by another process (pid %d)", p.dir,
		 (int)p.pid);
	ck_assert_msg(code == 75 && strstr(err, msg), "exit %d, stderr:\n%s", code, err);
	free(err);
	code = forget(&q, (const char *const[]){ "--all", NULL }, &out, &err);
	ck_assert_msg(code == 75 && strstr(err, "stop the daemon first"), "exit %d: %s", code, err);
	free(out);
	free(err);

	harness_signal(&p, SIGTERM);
	ck_assert_int_eq(harness_wait_exit(&p, 60000), 0);
	code = forget(&q, (const char *const[]){ "--dry-run", "--host", "127.0.0.1", NULL }, &out,
		      &err);
	ck_assert_msg(code == 0 && strstr(err, "would forget "), "exit %d: %s", code, err);
	ck_assert_ptr_nonnull(strstr(out, "/site/index.html\n"));
	free(out);
	free(err);
	code = forget(&q, (const char *const[]){ "--url", "/recipes/", NULL }, &out, &err);
	ck_assert_msg(code == 0 && strstr(err, "forgot "), "exit %d: %s", code, err);
	ck_assert_ptr_null(strstr(out, "/site/index.html"));
	ck_assert_ptr_nonnull(strstr(out, "/site/recipes/"));
	free(out);
	free(err);
	code = forget(&q, (const char *const[]){ "--url", "/recipes/", NULL }, &out, &err);
	ck_assert_msg(code == 0 && strstr(err, "forgot 0 pages"), "exit %d: %s", code, err);
	free(out);
	free(err);
	harness_cleanup(&q);
	harness_cleanup(&p);
	site_stop(&s);
}
END_TEST

static Suite *daemon_suite(void)
{
	Suite *s = suite_create("daemon");
	TCase *cli = tcase_create("command line");
	tcase_add_test(cli, check_config_reports_file_line_and_exits_78);
	tcase_add_test(cli, extract_prints_one_line_per_file_in_order);
	tcase_add_test(cli, usage_errors_exit_64);
	suite_add_tcase(s, cli);

	TCase *e2e = tcase_create("pipeline");
	tcase_set_timeout(e2e, 180);
	tcase_add_test(e2e, once_crawls_publishes_and_consumes_every_recipe_once);
	tcase_add_test(e2e, once_exits_69_when_kafka_is_unreachable);
	tcase_add_test(e2e, once_private_start_url_refusal_says_why);
	tcase_add_test(e2e, status_counts_refusals_by_cause);
	tcase_add_test(e2e, once_counts_raw_pages_not_published);
	suite_add_tcase(s, e2e);

	TCase *refs = tcase_create("references");
	tcase_set_timeout(refs, 180);
	tcase_add_test(refs, references_expand_into_user_agent);
	tcase_add_test(refs, log_level_debug_lines_per_page_and_warning_hides_info);
	suite_add_tcase(s, refs);

	TCase *sig = tcase_create("signals");
	tcase_set_timeout(sig, 180);
	tcase_add_test(sig, sighup_reloads_valid_rejects_invalid_then_sigterm_drains);
	tcase_add_test(sig, sighup_keeps_the_hosts_politeness_clock);
	tcase_add_test(sig, sighup_keeps_robots_txt_verdicts);
	tcase_add_test(sig, sigterm_mid_crawl_drains_and_exits_0);
	tcase_add_test(sig, state_dir_lock_and_state_forget);
	suite_add_tcase(s, sig);
	return s;
}

RSD_CHECK_MAIN(daemon_suite)
