/* SPDX-License-Identifier: MIT */
/* Cluster mode (issue 18): several daemons share one crawl through the
 * frontier and state topics of a standalone `recipe-scraperd broker`.
 *
 * The site has HOSTS hosts (127.0.0.1 .. 127.0.0.6, one test server each,
 * so each has its own request log), PER_HOST slow recipe pages on each,
 * and one index on the first host linking to every recipe. Each daemon has
 * its own user agent, so the request logs say which daemon fetched what.
 * The index answers late (INDEX_MS): the group has formed by the time its
 * links are routed, so the hosts are shared from the first recipe on.
 *
 * Usage: test_cluster SCENARIO (one meson test per scenario). */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "delivery.h"

#define HOSTS 6
#define PER_HOST 20
#define DAEMONS 3
#define PAGE_MS 100 /* every recipe page answers this late */
#define INDEX_MS 4500 /* the index: longer than the mock's 3 s first group join */
/* [scraper] delay_ms, the politeness the test measures: the servers see
 * requests arrive with an absolute jitter (connections, load), which a
 * longer delay keeps small against 0.75 x delay_ms. */
#define DELAY_MS 300
#define RUN_MS 120000

struct cluster_site {
	struct rsd_httpd *h[HOSTS];
	struct site all; /* every recipe URL, for the tallies (all.httpd unused) */
	char allowed[HOSTS * 16];
};

struct world {
	struct cluster_site site;
	struct broker broker;
	struct harness_proc d[DAEMONS + 1];
	int n; /* daemons initialised */
	unsigned delay_ms; /* [scraper] delay_ms */
};

static void add_host(struct cluster_site *s, unsigned k, FILE *idx)
{
	char ip[16];
	snprintf(ip, sizeof ip, "127.0.0.%u", k + 1);
	ck_assert_int_eq(rsd_httpd_start_at(ip, NULL, &s->h[k]), 0);
	snprintf(s->allowed + strlen(s->allowed), sizeof s->allowed - strlen(s->allowed), "%s%s",
		 k ? "," : "", ip);
	for (unsigned i = 0; i < PER_HOST; i++) {
		unsigned r = k * PER_HOST + i;
		char path[64];
		snprintf(path, sizeof path, "/recipes/recipe-%03u.html", r);
		char *html = site_recipe_page(r);
		struct rsd_httpd_route route = { .path = path, .body = html, .delay_ms = PAGE_MS };
		ck_assert_int_eq(rsd_httpd_route(s->h[k], &route), 0);
		free(html);
		ck_assert_int_ge(asprintf(&s->all.paths[r], "%s", path), 0);
		ck_assert_int_ge(asprintf(&s->all.urls[r], "%s%s", rsd_httpd_base(s->h[k]), path),
				 0);
		fprintf(idx, "<li><a href=\"%s\">Recipe %u</a></li>\n", s->all.urls[r], r);
	}
}

/* index_retry_after: the index's first request gets 503 with this
 * Retry-After (NULL: none). */
static void cluster_site_start(struct cluster_site *s, const char *index_retry_after)
{
	char *index = NULL;
	size_t len = 0;
	memset(s, 0, sizeof *s);
	s->all.n = HOSTS * PER_HOST;
	ck_assert_uint_le(s->all.n, SITE_MAX_RECIPES);
	FILE *idx = open_memstream(&index, &len);
	ck_assert_ptr_nonnull(idx);
	fputs("<!doctype html>\n<html><head><title>Index</title></head><body><ul>\n", idx);
	for (unsigned k = 0; k < HOSTS; k++)
		add_host(s, k, idx);
	fputs("</ul></body></html>\n", idx);
	fclose(idx);
	struct rsd_httpd_route route = { .path = "/index.html",
					 .body = index,
					 .delay_ms = INDEX_MS,
					 .fail_times = index_retry_after ? 1 : 0,
					 .fail_status = 503,
					 .retry_after = index_retry_after };
	ck_assert_int_eq(rsd_httpd_route(s->h[0], &route), 0);
	free(index);
	snprintf(s->all.index_url, sizeof s->all.index_url, "%s/index.html",
		 rsd_httpd_base(s->h[0]));
}

static void cluster_site_stop(struct cluster_site *s)
{
	for (unsigned k = 0; k < HOSTS; k++)
		rsd_httpd_free(s->h[k]);
	for (unsigned i = 0; i < s->all.n; i++) {
		free(s->all.paths[i]);
		free(s->all.urls[i]);
	}
}

static void world_start_with(struct world *w, unsigned delay_ms, const char *index_retry_after)
{
	memset(w, 0, sizeof *w);
	w->delay_ms = delay_ms;
	harness_init(&w->d[0]);
	w->n = 1;
	cluster_site_start(&w->site, index_retry_after);
	broker_start(&w->broker, w->d[0].dir);
	broker_cmd(&w->broker, "topic crawl_frontier 12");
	broker_cmd(&w->broker, "topic crawl_state 12");
}

static void world_start(struct world *w, unsigned delay_ms)
{
	world_start_with(w, delay_ms, NULL);
}

static void world_stop(struct world *w)
{
	broker_stop(&w->broker);
	cluster_site_stop(&w->site);
	for (int i = 0; i < w->n; i++)
		harness_cleanup(&w->d[i]);
}

/* Spawns daemon i (READY=1 not awaited): its own user agent
 * ("rsd-member-I") and state_dir. */
static void member_spawn(struct world *w, int i, const char *state_dir)
{
	char scraper[512], agent[32], delay[16];
	snprintf(delay, sizeof delay, "%u", w->delay_ms);
	if (i >= w->n) {
		harness_init(&w->d[i]);
		w->n = i + 1;
	}
	snprintf(agent, sizeof agent, "rsd-member-%d", i);
	snprintf(scraper, sizeof scraper,
		 "allowed_hosts = %s\nuser_agent = %s\nrecrawl_interval_s = 3600\nmax_connections "
		 "= 8",
		 w->site.allowed, agent);
	write_daemon_conf(
		&w->d[i],
		&(struct daemon_conf){
			.brokers = w->broker.bootstrap,
			.state_dir = state_dir,
			.start_url = w->site.all.index_url,
			.group = "records",
			.delay_ms = delay,
			.scraper_extra = scraper,
			/* a killed member's hosts move after 6 s */
			.kafka_extra = "session.timeout.ms = 6000\nheartbeat.interval.ms = 500",
			.sections_extra = "[cluster]\nfrontier_topic = crawl_frontier\n"
					  "state_topic = crawl_state\ngroup_id = crawlers\n",
		});
	const char *argv[] = { "recipe-scraperd", "-c", "rsd.ini", NULL };
	harness_spawn(&w->d[i], argv);
	reaper_add(w->d[i].pid);
}

/* Daemons from..to-1, started together (READY awaited after every spawn):
 * they join the crawl group within the coordinator's first 3 s, in one
 * generation, also where a daemon takes long to start (sanitizers). */
static void members_start(struct world *w, int from, int to, char (*dirs)[128])
{
	for (int i = from; i < to; i++)
		member_spawn(w, i, dirs ? dirs[i] : NULL);
	for (int i = from; i < to; i++)
		expect_notify(&w->d[i], "READY=1", 1, 60000);
}

/* ---- what the request logs say ---- */

struct fetches {
	unsigned recipe_requests; /* every request of a recipe page */
	unsigned twice; /* recipe pages requested more than once */
	unsigned by_member[DAEMONS + 1]; /* recipe requests per daemon */
	unsigned host_share_min; /* lowest share (%) of a host's top daemon */
	/* A host's next request (arrival order) by another daemon than the
	 * one before: only a new owner of its partition does that. */
	unsigned switches;
	/* Closest two requests to one host by two daemons (arrival order
	 * neighbours): a host crawled by two owners at once, or a hand-off
	 * that ignored the old owner's last request. One daemon's spacing is
	 * its frontier's, checked exactly by crawl_frontier and crawl_pool
	 * (from its own issue times): the servers' arrival stamps lag the
	 * request starts by a scheduling delay, which under load (~10 on two
	 * cores) reached 294 ms and made two requests 300 ms apart look 6 ms
	 * apart. */
	int64_t min_gap_ms;
	char min_gap_at[1200]; /* which: host, paths and daemons */
};

static int member_of(const char *agent)
{
	const char *at = strstr(agent, "rsd-member-");
	int i = at ? atoi(at + strlen("rsd-member-")) : -1;
	return i >= 0 && i <= DAEMONS ? i : -1;
}

static void count_host(struct fetches *f, const struct world *w, unsigned k, int64_t since_ms,
		       unsigned *per_recipe)
{
	struct rsd_httpd_request *log = NULL;
	size_t n = rsd_httpd_log(w->site.h[k], &log);
	unsigned mine[DAEMONS + 1] = { 0 }, total = 0, top = 0;
	int64_t last = -1;
	size_t prev = 0;
	for (size_t i = 0; i < n; i++) {
		if (log[i].at_ms < since_ms)
			continue;
		/* The log is in arrival order: gaps between neighbours. */
		bool other = last >= 0 &&
			     member_of(log[i].user_agent) != member_of(log[prev].user_agent);
		f->switches += other;
		if (other && log[i].at_ms - last < f->min_gap_ms) {
			f->min_gap_ms = log[i].at_ms - last;
			snprintf(f->min_gap_at, sizeof f->min_gap_at,
				 "host %u: %s (daemon %d), %s (daemon %d)", k + 1, log[prev].path,
				 member_of(log[prev].user_agent), log[i].path,
				 member_of(log[i].user_agent));
		}
		last = log[i].at_ms;
		prev = i;
		int r = site_recipe_of_path(&w->site.all, log[i].path);
		int m = member_of(log[i].user_agent);
		if (r < 0 || (unsigned)r / PER_HOST != k)
			continue;
		per_recipe[r]++;
		f->recipe_requests++;
		total++;
		if (m >= 0) {
			mine[m]++;
			f->by_member[m]++;
		}
	}
	for (int m = 0; m <= DAEMONS; m++)
		top = mine[m] > top ? mine[m] : top;
	unsigned share = total ? 100 * top / total : 100;
	if (share < f->host_share_min)
		f->host_share_min = share;
	free(log);
}

static struct fetches count_fetches(const struct world *w, int64_t since_ms)
{
	struct fetches f = { .host_share_min = 100, .min_gap_ms = INT64_MAX };
	unsigned per_recipe[SITE_MAX_RECIPES] = { 0 };
	for (unsigned k = 0; k < HOSTS; k++)
		count_host(&f, w, k, since_ms, per_recipe);
	for (unsigned r = 0; r < w->site.all.n; r++)
		f.twice += per_recipe[r] > 1;
	return f;
}

static unsigned members_crawling(const struct fetches *f)
{
	unsigned n = 0;
	for (int m = 0; m <= DAEMONS; m++)
		n += f->by_member[m] > 0;
	return n;
}

static void print_fetches(const char *name, const struct fetches *f, unsigned delay_ms)
{
	printf("%s: %u recipe requests, %u pages fetched twice or more; by daemon:", name,
	       f->recipe_requests, f->twice);
	for (int m = 0; m <= DAEMONS; m++)
		printf(" %u", f->by_member[m]);
	printf("; lowest share of a host's main daemon %u%%; delay_ms %u\n", f->host_share_min,
	       delay_ms);
	if (f->min_gap_ms == INT64_MAX)
		printf("%s: no host requested by two daemons\n", name);
	else
		printf("%s: %u changes of daemon on a host; closest requests to one host by two "
		       "daemons: %lld ms, %s\n",
		       name, f->switches, (long long)f->min_gap_ms, f->min_gap_at);
	fflush(stdout); /* Check's child exits without flushing at a failure */
}

static struct tally consumed_by_all(const struct world *w)
{
	struct tally t;
	tally_init(&t, &w->site.all);
	for (int i = 0; i < w->n; i++)
		tally_add_file(&t, &w->site.all, w->d[i].stdout_path);
	return t;
}

/* Until the sinks of every daemon (a killed one included) hold every
 * recipe, waiting on the living ones (all but dead; -1: none). */
static void wait_all(struct world *w, int dead)
{
	for (int waited = 0;; waited += 200) {
		struct tally t = consumed_by_all(w);
		if (tally_lost(&t) == 0)
			return;
		ck_assert_msg(waited < RUN_MS, "%u recipes still not consumed", tally_lost(&t));
		for (int i = 0; i < w->n; i++)
			ck_assert_msg(i == dead || daemon_hold(&w->d[i], 200 / w->n),
				      "daemon %d exited early", i);
	}
}

/* What each daemon said about the cluster, for the test log. */
static void print_member_logs(const struct world *w)
{
	for (int i = 0; i < w->n; i++) {
		char *err = harness_slurp(w->d[i].stderr_path), *save = NULL;
		for (char *l = strtok_r(err, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			if (strstr(l, "crawl cluster") || strstr(l, "Crawl partitions"))
				printf("daemon %d: %s\n", i, l);
		free(err);
	}
}

static void stop_members(struct world *w, int from, int to)
{
	for (int i = from; i < to; i++)
		harness_signal(&w->d[i], SIGTERM);
	for (int i = from; i < to; i++)
		expect_exit(&w->d[i], 0, 60000);
}

static void assert_cluster_crawl(const char *name, const struct world *w, const struct fetches *f,
				 unsigned max_twice)
{
	print_fetches(name, f, w->delay_ms);
	ck_assert_msg(f->twice <= max_twice, "%u pages fetched twice (at most %u)", f->twice,
		      max_twice);
	ck_assert_msg(members_crawling(f) >= 2, "only one daemon crawled");
	/* A new owner waits delay_ms from its assignment and from the old
	 * owner's clock; 1/4 of it is left for the arrival stamps' lag. */
	ck_assert_msg(f->min_gap_ms >= (int64_t)w->delay_ms * 3 / 4,
		      "two requests to one host by two daemons %lld ms apart",
		      (long long)f->min_gap_ms);
}

/* What the daemons' logs say of the crawl group: *moved, how often a
 * partition was assigned to a daemon beyond its first owner ("Crawl
 * partitions now owned: 0,3,7" lines); *lost, the partitions they lost
 * (their stop entries). */
static void group_changes(const struct world *w, unsigned *moved, unsigned *lost)
{
	const char *key = "Crawl partitions now owned: ";
	bool ever[64] = { false };
	*moved = *lost = 0;
	for (int i = 0; i < w->n; i++) {
		char *err = harness_slurp(w->d[i].stderr_path);
		bool had[64] = { false };
		for (const char *at = err; (at = strstr(at, key)) != NULL;) {
			bool now[64] = { false };
			for (at += strlen(key); *at >= '0' && *at <= '9'; at += *at == ',') {
				unsigned p = (unsigned)strtoul(at, (char **)&at, 10);
				now[p % 64] = true;
			}
			for (int p = 0; p < 64; p++) {
				*moved += now[p] && !had[p] && ever[p];
				ever[p] |= now[p];
				had[p] = now[p];
			}
		}
		const char *stop = strstr(err, " rebalances (");
		unsigned n = 0;
		if (stop && sscanf(stop, " rebalances (%u partitions lost)", &n) == 1)
			*lost += n;
		free(err);
	}
}

/* 1. The acceptance test: three daemons, six hosts, twelve partitions. */
START_TEST(three_daemons)
{
	struct world w;
	world_start(&w, DELAY_MS);
	members_start(&w, 0, DAEMONS, NULL);
	wait_all(&w, -1);
	struct fetches f = count_fetches(&w, 0);
	stop_members(&w, 0, DAEMONS);
	struct tally t = consumed_by_all(&w);
	tally_report_and_assert(&t, "cluster-three");
	print_member_logs(&w);
	unsigned moved, lost;
	group_changes(&w, &moved, &lost);
	printf("cluster-three: partitions moved %u times, %u lost\n", moved, lost);
	/* A page is fetched twice only when it was in flight as its partition
	 * was lost (a revoke waits for it): at most max_connections (8) each
	 * time; otherwise at most 2 % (the group forming). */
	assert_cluster_crawl("cluster-three", &w, &f, HOSTS * PER_HOST / 50 + 8 * lost);
	/* One crawler per host: a host changes daemon only when its partition
	 * moves (under load sessions expire and partitions move mid-crawl;
	 * two daemons on one host would alternate on it all along). */
	ck_assert_msg(f.switches <= moved, "hosts changed daemon %u times, partitions moved %u",
		      f.switches, moved);
	world_stop(&w);
}
END_TEST

/* The daemon that fetched the most recipes so far. */
static int busiest(const struct world *w)
{
	struct fetches f = count_fetches(w, 0);
	int top = 0;
	for (int m = 1; m < DAEMONS; m++)
		top = f.by_member[m] > f.by_member[top] ? m : top;
	return top;
}

static void wait_recipe_fetches(struct world *w, unsigned n)
{
	for (int waited = 0; count_fetches(w, 0).recipe_requests < n; waited += 100) {
		ck_assert_msg(waited < RUN_MS, "fewer than %u recipes fetched", n);
		ck_assert(daemon_hold(&w->d[0], 100));
	}
}

/* 2. kill -9 of one daemon mid-crawl: the others take its partitions over
 * after the session timeout and finish; nothing is lost. */
START_TEST(kill9_member)
{
	struct world w;
	world_start(&w, DELAY_MS);
	members_start(&w, 0, DAEMONS, NULL);
	wait_recipe_fetches(&w, HOSTS * PER_HOST / 3);
	int victim = busiest(&w);
	harness_signal(&w.d[victim], SIGKILL);
	ck_assert_int_eq(harness_wait_exit(&w.d[victim], 10000), 128 + SIGKILL);
	reaper_forget(w.d[victim].pid);
	printf("killed daemon %d after %u recipe requests\n", victim,
	       count_fetches(&w, 0).recipe_requests);
	for (int i = 0; i < DAEMONS; i++)
		if (i != victim)
			ck_assert(daemon_hold(&w.d[i], 0));
	wait_all(&w, victim);
	struct fetches f = count_fetches(&w, 0);
	for (int i = 0; i < DAEMONS; i++)
		if (i != victim)
			harness_signal(&w.d[i], SIGTERM);
	for (int i = 0; i < DAEMONS; i++)
		if (i != victim)
			expect_exit(&w.d[i], 0, 60000);
	print_member_logs(&w);
	struct tally t = consumed_by_all(&w);
	tally_report_and_assert(&t, "cluster-kill9");
	/* What the victim had in flight may be fetched again: its
	 * max_connections (8) at most. */
	assert_cluster_crawl("cluster-kill9", &w, &f, 8);
	world_stop(&w);
}
END_TEST

/* 3. A daemon joins mid-crawl: it gets partitions (crawl group and record
 * group), and what moves is fetched and written twice only as far as it
 * was in flight. */
/* Whether daemon i logged owning at least one crawl partition. */
static bool owned_some(const struct world *w, int i)
{
	char *err = harness_slurp(w->d[i].stderr_path);
	const char *at = err, *key = "Crawl partitions now owned: ";
	bool some = false;
	while (!some && (at = strstr(at, key)) != NULL) {
		at += strlen(key);
		some = *at >= '0' && *at <= '9';
	}
	free(err);
	return some;
}

START_TEST(member_joins)
{
	struct world w;
	world_start(&w, 2 * DELAY_MS); /* the crawl outlasts the join (3 s and more) */
	members_start(&w, 0, 2, NULL);
	wait_recipe_fetches(&w, HOSTS * PER_HOST / 4);
	members_start(&w, 2, 3, NULL);
	wait_all(&w, -1);
	/* The rebalance may end after the crawl on a loaded machine. */
	for (int waited = 0; !owned_some(&w, 2) && waited < 30000; waited += 200)
		ck_assert(daemon_hold(&w.d[2], 200));
	struct fetches f = count_fetches(&w, 0);
	stop_members(&w, 0, DAEMONS);
	print_member_logs(&w);
	struct tally t = consumed_by_all(&w), joiner;
	tally_init(&joiner, &w.site.all);
	tally_add_file(&joiner, &w.site.all, w.d[2].stdout_path);
	printf("joiner: wrote %u records, fetched %u recipes\n", joiner.lines, f.by_member[2]);
	ck_assert_msg(owned_some(&w, 2), "the joiner got no crawl partition");
	tally_report_and_assert(&t, "cluster-join");
	/* In flight when partitions moved: a fetch per connection of the
	 * member that gave them up. */
	print_fetches("cluster-join", &f, w.delay_ms);
	ck_assert_msg(f.twice <= 8, "%u pages fetched twice", f.twice);
	world_stop(&w);
}
END_TEST

/* 4. The whole cluster restarts with empty state directories: the crawl
 * state comes back from state_topic, nothing is fetched again within
 * recrawl_interval_s. */
START_TEST(cluster_restart)
{
	struct world w;
	char dirs[DAEMONS][128];
	world_start(&w, DELAY_MS);
	members_start(&w, 0, DAEMONS, NULL);
	wait_all(&w, -1);
	stop_members(&w, 0, DAEMONS);
	int64_t restart_ms = rsd_httpd_now_ms();
	for (int i = 0; i < DAEMONS; i++)
		snprintf(dirs[i], sizeof dirs[i], "%s/state-after", w.d[i].dir);
	members_start(&w, 0, DAEMONS, dirs); /* new, empty state directories */
	/* Long enough for the group to form (3 s) and the index's owner to
	 * have read its state and skipped it (it answers in 4.5 s). */
	for (int i = 0; i < DAEMONS; i++)
		ck_assert(daemon_hold(&w.d[i], (INDEX_MS + 4000) / DAEMONS));
	struct fetches f = count_fetches(&w, restart_ms);
	struct rsd_httpd_request *log = NULL;
	size_t n = rsd_httpd_log(w.site.h[0], &log);
	unsigned index_after = 0;
	for (size_t i = 0; i < n; i++)
		index_after += log[i].at_ms >= restart_ms &&
			       strcmp(log[i].path, "/index.html") == 0;
	free(log);
	stop_members(&w, 0, DAEMONS);
	printf("cluster-restart: after the restart %u recipe requests, %u of the index\n",
	       f.recipe_requests, index_after);
	ck_assert_uint_eq(f.recipe_requests, 0);
	ck_assert_uint_eq(index_after, 0);
	print_member_logs(&w);
	world_stop(&w);
}
END_TEST

/* The requests of the index so far; their count in *n. */
static struct rsd_httpd_request *index_requests(const struct world *w, size_t *n)
{
	struct rsd_httpd_request *log = NULL, *out = NULL;
	size_t all = rsd_httpd_log(w->site.h[0], &log);
	*n = 0;
	out = calloc(all + 1, sizeof(*out));
	ck_assert_ptr_nonnull(out);
	for (size_t i = 0; i < all; i++)
		if (strcmp(log[i].path, "/index.html") == 0)
			out[(*n)++] = log[i];
	free(log);
	return out;
}

/* Until the index was requested n times and the last request answered,
 * daemon d living on; the requests. */
static struct rsd_httpd_request *wait_index(struct world *w, int d, size_t n)
{
	for (int waited = 0;; waited += 100) {
		size_t got;
		struct rsd_httpd_request *log = index_requests(w, &got);
		if (got >= n && log[n - 1].status)
			return log;
		free(log);
		ck_assert_msg(waited < RUN_MS, "the index was not requested %zu times", n);
		ck_assert(daemon_hold(&w->d[d], 100));
	}
}

/* 5. A member stops (SIGTERM) while its host waits for a Retry-After: the
 * host's clock goes to state_topic before the frontier goes, and the next
 * owner waits for it. The index's first request gets 503 with
 * Retry-After: 20; its member stops; a new member takes every partition
 * (3 s join, then delay_ms from the assignment) and must not ask again
 * before the 20 s (counted from the 503, which came INDEX_MS after the
 * request). Without the clock written at the stop, it asked after about
 * 10 s. */
START_TEST(stop_hands_off_clock)
{
	struct world w;
	world_start_with(&w, DELAY_MS, "20");
	members_start(&w, 0, 1, NULL);
	free(wait_index(&w, 0, 1));
	stop_members(&w, 0, 1);
	members_start(&w, 1, 2, NULL);
	struct rsd_httpd_request *log = wait_index(&w, 1, 2);
	int64_t gap = log[1].at_ms - log[0].at_ms;
	printf("cluster-stop-clock: the index by daemon %d, then by daemon %d %lld ms later\n",
	       member_of(log[0].user_agent), member_of(log[1].user_agent), (long long)gap);
	ck_assert_int_eq(member_of(log[1].user_agent), 1);
	ck_assert_msg(gap >= 20000, "asked %lld ms after the 503 with Retry-After: 20",
		      (long long)gap);
	free(log);
	stop_members(&w, 1, 2);
	print_member_logs(&w);
	world_stop(&w);
}
END_TEST

/* 6. The record consumers (not cluster mode): a second daemon joins the
 * [consumer] group mid-crawl. What may be written twice follows from the
 * protocol and the commit policy, not from timing:
 * - cooperative-sticky moves only the partitions the joiner takes, each
 *   through a revoke callback on the first member's consumer thread;
 * - that thread stores a message's offset right after the sink wrote it,
 *   so at the revoke every written message is stored, and the revoke
 *   commits them synchronously before the partition is given up: the
 *   joiner starts right after the last record written, and a clean
 *   hand-off writes nothing twice (the eager protocol with nothing
 *   committed replayed 138 of 512 records from offset 0 here);
 * - only a hand-off without that commit replays, from the last commit
 *   that succeeded: an assignment lost (a session expired, or the group
 *   fenced the member) or a failed commit, which the daemons log as
 *   consumer errors. librdkafka 2.0.2's mock refuses commits while the
 *   group is joining or syncing (about session.timeout.ms per round; a
 *   real broker takes them), so a member fenced after a loaded join
 *   replays everything it wrote since the join began (45 of 120 records
 *   in session 8, at load ~10 on two cores);
 * - what was written two auto-commit intervals (1 s each) before the join
 *   is committed: it is never written again, whatever happens after.
 * The session stays the other scenarios' 6 s: the mock's join takes
 * session.timeout.ms - 1 s, and with librdkafka's 45 s the crawl ended
 * before the joiner had a partition. */

/* The consumer errors daemon p logged ("Kafka consumer: ..."), printed;
 * how many lines. */
static unsigned consumer_errors(const struct harness_proc *p, const char *name)
{
	char *err = harness_slurp(p->stderr_path), *save = NULL;
	unsigned n = 0;
	for (char *l = strtok_r(err, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (strstr(l, "Kafka consumer: ")) {
			printf("%s: %s\n", name, l);
			n++;
		}
	free(err);
	return n;
}

/* Until daemon p's sink holds at least n lines; that count. */
static unsigned wait_lines(struct harness_proc *p, const struct site *s, unsigned n)
{
	for (int waited = 0;; waited += 100) {
		struct tally t;
		tally_init(&t, s);
		tally_add_file(&t, s, p->stdout_path);
		if (t.lines >= n)
			return t.lines;
		ck_assert_msg(waited < RUN_MS, "fewer than %u records written", n);
		ck_assert(daemon_hold(p, 100));
	}
}

/* The records of a's first `head` lines, each written once in all. */
static void assert_head_once(const struct harness_proc *a, const struct site *s, unsigned head,
			     const struct tally *all)
{
	struct tally early;
	tally_init(&early, s);
	tally_add_head(&early, s, a->stdout_path, head);
	for (unsigned i = 0; i < s->n; i++)
		ck_assert_msg(!early.count[i] || all->count[i] == 1,
			      "recipe %u, committed before the join, written %u times", i,
			      all->count[i]);
}

START_TEST(consumer_join)
{
	struct harness_proc a, b;
	struct site site;
	struct broker broker;
	harness_init(&a);
	harness_init(&b);
	site_start(&site, a.dir, 120, 30);
	broker_start(&broker, a.dir);
	write_daemon_conf(&a, &(struct daemon_conf){ .brokers = broker.bootstrap,
						     .start_url = site.index_url,
						     .group = "pair",
						     .delay_ms = "200" }); /* 24 s */
	daemon_start(&a, false);
	/* Joins once the first member writes records (its first join takes
	 * 3 s) and has committed some: mid-crawl, with records flowing. */
	unsigned committed = wait_lines(&a, &site, 10);
	ck_assert(daemon_hold(&a, 2000)); /* two auto-commit intervals */
	write_daemon_conf(&b, &(struct daemon_conf){ .brokers = broker.bootstrap,
						     .start_url = site.empty_url,
						     .group = "pair" });
	daemon_start(&b, false);
	struct harness_proc *procs[] = { &a, &b };
	wait_all_consumed(procs, 2, &site, RUN_MS);
	harness_signal(&a, SIGTERM);
	harness_signal(&b, SIGTERM);
	expect_exit(&a, 0, 60000);
	expect_exit(&b, 0, 60000);
	struct tally all, second;
	tally_init(&all, &site);
	tally_add_file(&all, &site, a.stdout_path);
	tally_add_file(&all, &site, b.stdout_path);
	tally_init(&second, &site);
	tally_add_file(&second, &site, b.stdout_path);
	printf("consumer-join: %u records committed before the join, %u written by the joiner, "
	       "%u duplicates of %u records\n",
	       committed, second.lines, tally_duplicates(&all), site.n);
	tally_report_and_assert(&all, "consumer-join");
	ck_assert_msg(second.lines > 0, "the joiner wrote nothing");
	assert_head_once(&a, &site, committed, &all);
	if (consumer_errors(&a, "first") + consumer_errors(&b, "joiner") == 0)
		ck_assert_msg(tally_duplicates(&all) == 0,
			      "%u records written twice across clean hand-offs",
			      tally_duplicates(&all));
	broker_stop(&broker);
	site_stop(&site);
	harness_cleanup(&a);
	harness_cleanup(&b);
}
END_TEST

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;
	const struct scenario scenarios[] = {
		{ "cluster-three", three_daemons }, { "cluster-kill9", kill9_member },
		{ "cluster-join", member_joins },   { "cluster-restart", cluster_restart },
		{ "consumer-join", consumer_join }, { "cluster-stop-clock", stop_hands_off_clock },
	};
	return run_scenarios("cluster", scenarios, sizeof scenarios / sizeof scenarios[0], only,
			     NULL);
}
