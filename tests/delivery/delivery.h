/* SPDX-License-Identifier: MIT */
#ifndef RSD_TEST_DELIVERY_H
#define RSD_TEST_DELIVERY_H

/* Support for the delivery-guarantee tests of the real daemon binary: a
 * generated recipe site on the loopback test server (slow pages, so that
 * faults land mid-crawl), a standalone `recipe-scraperd broker` process
 * driven through its stdin fault-injection commands (it outlives the daemon
 * under test), and the bookkeeping that turns the daemon's stdout sink, the
 * server's request log and the crawl state log into "lost" and "duplicates".
 *
 * Every wait is bounded and blocks on a file descriptor (the daemon's pidfd,
 * the broker's stdout); none sleeps blindly. */

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "harness.h"
#include "httpd.h"

#define SITE_MAX_RECIPES 128

/* Check runs each test in a child that exits at the first failed assertion,
 * skipping any cleanup: processes the test started would outlive it. Their
 * pids go to a shared page; the unchecked teardown (in the runner process,
 * run whatever the outcome) kills those still registered. */
void reaper_setup(void); /* unchecked fixture */
void reaper_teardown(void); /* unchecked fixture */
void reaper_add(pid_t pid);
void reaper_forget(pid_t pid); /* the test waited for it */

struct site {
	struct rsd_httpd *httpd;
	unsigned n; /* recipe pages */
	char *paths[SITE_MAX_RECIPES]; /* request paths, /site/recipes/recipe-NN.html */
	char *urls[SITE_MAX_RECIPES]; /* absolute URLs (what RECIPE_URL holds) */
	char index_url[128], empty_url[128]; /* start page; a page with no link and no recipe */
};

/* Writes n recipe pages (JSON-LD from one template), an index linking them
 * all and an empty page under dir/site, and serves them; every recipe page
 * answers after delay_ms. */
void site_start(struct site *s, const char *dir, unsigned n, unsigned delay_ms);
/* The HTML of recipe i (malloc'ed). */
char *site_recipe_page(unsigned i);
void site_stop(struct site *s);
/* Index of the recipe with this request path or URL, or -1. */
int site_recipe_of_path(const struct site *s, const char *path);
int site_recipe_of_url(const struct site *s, const char *url);
/* Requests of recipe pages that arrived at or after since_ms (CLOCK_MONOTONIC,
 * rsd_httpd_now_ms): per recipe into counts[s->n] (may be NULL); returns the
 * total. */
unsigned site_recipe_requests(const struct site *s, int64_t since_ms, unsigned *counts);

/* A `recipe-scraperd broker --stdin-commands` process. */
struct broker {
	pid_t pid;
	int cmd_fd; /* its stdin */
	int reply_fd; /* its stdout */
	char bootstrap[256];
	char stderr_path[128];
};

void broker_start(struct broker *b, const char *dir);
/* Sends one command; fails the test unless the broker answers "ok". */
void broker_cmd(struct broker *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Closes its stdin (it stops at the end of input) and waits for exit 0. */
void broker_stop(struct broker *b);

/* How often each recipe was written by the sink, over one or more runs. */
struct tally {
	unsigned n;
	unsigned count[SITE_MAX_RECIPES];
	unsigned foreign; /* entries with another RECIPE_URL (or none) */
	unsigned lines; /* complete lines read */
	uint64_t partitions; /* bit p: an entry came from KAFKA_PARTITION p */
};

void tally_init(struct tally *t, const struct site *s);
/* Adds every complete line of a stdout sink file (a torn last line, as
 * kill -9 can leave, is ignored: the sink had not finished writing it). */
void tally_add_file(struct tally *t, const struct site *s, const char *path);
/* The same for the first `lines` lines of the file only. */
void tally_add_head(struct tally *t, const struct site *s, const char *path, unsigned lines);
unsigned tally_lost(const struct tally *t);
unsigned tally_duplicates(const struct tally *t);
/* Prints "NAME: M recipes, consumed D distinct (L lines), lost X" and
 * "duplicates: N", then asserts lost == 0 and no foreign entry. */
void tally_report_and_assert(const struct tally *t, const char *name);

/* What the broker really holds: every message of topic (all partitions,
 * from the beginning) read with a plain librdkafka consumer (no group),
 * tallied by key like the sink's RECIPE_URL. */
void tally_broker_log(struct tally *t, const struct site *s, const struct broker *b,
		      const char *topic);
/* For scenarios that trip librdkafka 2.0.2's mock cluster (see
 * test_delivery.c, request_errors): asserts that every recipe the broker
 * holds was consumed, and prints the acknowledged recipes that the mock never
 * wrote to its log ("not in the broker log: N"), which no client can deliver. */
void tally_report_against_log(const struct tally *consumed, const struct tally *in_log,
			      const char *name);

/* Which recipes are marked delivered ("A CLUSTER TOPIC HASH URL" lines, any
 * cluster) in state_dir/crawl.log,
 * into delivered[s->n]; returns how many. Torn last lines are ignored, as the
 * daemon's replay does. */
unsigned state_delivered(const struct site *s, const char *state_dir, bool *delivered);

/* The daemon's configuration for these tests. NULL fields take defaults. */
struct daemon_conf {
	const char *brokers;
	const char *state_dir;
	const char *start_url;
	const char *group;
	const char *raw_topic; /* "" = off (default) */
	const char *delay_ms; /* per host politeness, default 0 */
	const char *conns_per_host; /* default 2 */
	const char *consumer_enabled;
	const char *scraper_extra; /* lines added to [scraper] */
	const char *kafka_extra; /* lines added to [kafka] */
	const char *producer_extra; /* lines added to [producer] */
	const char *consumer_extra; /* lines added to [consumer] */
	const char *shutdown_s;
	const char *sections_extra; /* whole sections appended at the end */
};
void write_daemon_conf(const struct harness_proc *p, const struct daemon_conf *c);

/* Spawns the daemon with -c rsd.ini (plus --once when once) and waits for READY=1. */
void daemon_start(struct harness_proc *p, bool once);
/* harness_wait_notify, failing the test with the daemon's stderr. */
void expect_notify(struct harness_proc *p, const char *want, int nth, int timeout_ms);
/* Blocks up to ms on the daemon's pidfd; false when it exited meanwhile. */
bool daemon_hold(struct harness_proc *p, int ms);
/* Waits (bounded) until at least n recipe requests have arrived since since_ms. */
void wait_recipe_requests(struct harness_proc *p, const struct site *s, int64_t since_ms,
			  unsigned n, int timeout_ms);
/* Waits (bounded) until at least marked recipes are marked delivered in the
 * crawl state log and the stdout sink holds at least consumed lines. */
void wait_progress(struct harness_proc *p, const struct site *s, const char *state_dir,
		   unsigned marked, unsigned consumed, int timeout_ms);
/* Waits (bounded) until the stdout sinks of procs[0..n) together hold every recipe. */
void wait_all_consumed(struct harness_proc *const *procs, int n, const struct site *s,
		       int timeout_ms);
/* Waits for exit and asserts the code, printing stderr when it differs. */
void expect_exit(struct harness_proc *p, int code, int timeout_ms);

/* The daemon's summary line on stderr ("Stopped after ..."). */
struct summary {
	unsigned long long fetched, failed, produced, acknowledged, undelivered, consumed;
};
bool summary_parse(const char *stderr_text, struct summary *out);

/* One scenario of a test program (one meson test each). */
struct scenario {
	const char *name;
	const TTest *test;
};
/* Runs the scenario named only (NULL: every one) in a Check suite, each
 * with the reaper fixture and a 280 s timeout; skipped(name) (may be NULL)
 * returns true to skip one, having said why. Returns main()'s exit status:
 * 77 (meson's "skipped") when the only scenario asked for was skipped. */
int run_scenarios(const char *suite_name, const struct scenario *sc, size_t n, const char *only,
		  bool (*skipped)(const char *name));

#endif
