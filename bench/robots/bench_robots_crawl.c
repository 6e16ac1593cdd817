/* SPDX-License-Identifier: MIT */
/* Issue 17's acceptance: a normal host's crawl beside the hostile
 * robots.txt host takes at most twice its time alone. Both are loopback
 * servers (127.0.0.1 and 127.0.0.2): the normal host links
 * RSD_BENCH_PAGES pages (default 40) crawled with delay_ms = 50, the
 * hostile one serves 500 KiB of costly rules and a page linking
 * RSD_BENCH_LINKS (default 100) 8 KiB paths of each kind (allowed,
 * refused by the first rule, refused by the last) and as many of 16 KiB.
 * Rounds alone and beside alternate (RSD_BENCH_ROUNDS, default 3); the
 * normal host's crawl time is its first request to its last. Prints
 * "key value" lines; numbers only. */

#include "config/config.h"
#include "hostile_robots.h"
#include "httpd.h"
#include "core/record.h"
#include "crawl/scraper.h"
#include "crawl/state.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define DEADLINE_MS 300000

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);
	return v && *v ? strtol(v, NULL, 10) : def;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Runs the pool over cfg until it finishes; the ring is drained as it goes. */
static int crawl(const struct rsd_config *cfg)
{
	rsd_ring *ring;
	struct rsd_state *state;
	struct rsd_scraper *pool;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0 || rsd_ring_new(64, &ring) < 0 || rsd_state_open(NULL, &state) < 0 ||
	    rsd_scraper_new(cfg, ring, state, efd, &pool) < 0)
		return -1;
	rsd_scraper_set_once(pool, true);
	int rc = rsd_scraper_start(pool);
	int64_t deadline = rsd_httpd_now_ms() + DEADLINE_MS;
	uint64_t done = 0;
	while (rc == 0 && read(efd, &done, sizeof(done)) != (ssize_t)sizeof(done)) {
		if (rsd_httpd_now_ms() > deadline)
			rc = -1;
		struct pollfd p = { .fd = efd, .events = POLLIN };
		poll(&p, 1, 100);
		void *item;
		while (rsd_ring_sc_try_dequeue(ring, &item) == 0)
			rsd_record_free(item);
	}
	rsd_scraper_free(pool);
	void *item;
	while (rsd_ring_sc_try_dequeue(ring, &item) == 0)
		rsd_record_free(item);
	rsd_ring_free(ring);
	rsd_state_close(state);
	close(efd);
	return rc;
}

/* The normal host's crawl time in ms (beside the hostile host or alone);
 * negative on failure. */
static int64_t one_round(bool beside, long pages, long links)
{
	struct rsd_httpd *normal = NULL, *hostile = NULL;
	int64_t ms = -1;
	if (rsd_httpd_start(NULL, &normal) < 0 || plain_site_serve(normal, (unsigned)pages) < 0)
		goto out;
	if (beside && (rsd_httpd_start_at("127.0.0.2", NULL, &hostile) < 0 ||
		       hostile_robots_serve(hostile, (unsigned)links) < 0))
		goto out;
	char *ini;
	if (asprintf(&ini,
		     "[scraper]\nstart_urls = %s/%s%s\nthreads = 2\ndelay_ms = 50\n"
		     "allow_private_addresses = on\nmax_page_bytes = 8M\ntimeout_s = 10\n",
		     rsd_httpd_base(normal), beside ? " " : "",
		     beside ? rsd_httpd_base(hostile) : "") < 0)
		goto out;
	struct rsd_config *cfg = NULL;
	struct rsd_config_diag diag = { 0 };
	int rc = rsd_config_load_string("bench.ini", ini, &cfg, &diag);
	for (size_t i = 0; i < diag.n; i++)
		fprintf(stderr, "%s\n", diag.messages[i]);
	free(ini);
	rsd_config_diag_clear(&diag);
	if (rc == 0 && crawl(cfg) == 0) {
		struct rsd_httpd_request *log;
		size_t n = rsd_httpd_log(normal, &log);
		int64_t first = INT64_MAX, last = 0;
		for (size_t i = 0; i < n; i++) {
			first = log[i].at_ms < first ? log[i].at_ms : first;
			last = log[i].at_ms > last ? log[i].at_ms : last;
		}
		if (n != (size_t)pages + 2)
			fprintf(stderr, "normal host: %zu requests, want %ld\n", n, pages + 2);
		if (n == (size_t)pages + 2) /* robots.txt, / and the pages */
			ms = last - first;
		free(log);
	}
	rsd_config_free(cfg);
out:
	rsd_httpd_free(normal);
	rsd_httpd_free(hostile);
	return ms;
}

int main(void)
{
	long pages = env_long("RSD_BENCH_PAGES", 40), links = env_long("RSD_BENCH_LINKS", 100);
	long rounds = env_long("RSD_BENCH_ROUNDS", 3);
	if (pages < 1 || pages > 10000 || links < 0 || links > 1000 || rounds < 1 || rounds > 20) {
		fprintf(stderr, "RSD_BENCH_PAGES 1..10000, RSD_BENCH_LINKS 0..1000, "
				"RSD_BENCH_ROUNDS 1..20\n");
		return 64;
	}
	int64_t alone[20], beside[20];
	for (long i = 0; i < rounds; i++) {
		alone[i] = one_round(false, pages, links);
		beside[i] = one_round(true, pages, links);
		if (alone[i] < 0 || beside[i] < 0) {
			fprintf(stderr, "round %ld failed\n", i);
			return 1;
		}
		printf("round_%ld_alone_ms %lld\nround_%ld_beside_ms %lld\n", i,
		       (long long)alone[i], i, (long long)beside[i]);
	}
	qsort(alone, (size_t)rounds, sizeof(*alone), cmp_i64);
	qsort(beside, (size_t)rounds, sizeof(*beside), cmp_i64);
	int64_t a = alone[rounds / 2], b = beside[rounds / 2];
	printf("normal_alone_ms %lld\nnormal_beside_ms %lld\nbeside_over_alone %.2f\n",
	       (long long)a, (long long)b, a ? (double)b / (double)a : 0.0);
	return 0;
}
