/* SPDX-License-Identifier: MIT */
/* Frontier memory benchmark (issue 5: 1 million queued URLs in at most
 * 200 MB RSS). Queues RSD_BENCH_URLS URLs (default 1 000 000) spread over
 * RSD_BENCH_HOSTS hosts (default 8, 1..8) and prints "key value" lines:
 * resident and heap bytes per queued URL, the mean URL length, and the
 * cost of an add.
 *
 * NOTE (crawl2): this file was overwritten by mistake by the crawl2 helper
 * and rebuilt from the bench engineer's compiled object
 * (build-bench/bench/frontier): same inputs, same output keys and values,
 * same exit codes. Its author may want to restore the original text. */

#include "config/config.h"
#include "crawl/frontier.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 1000
#define URL_MAX 160

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return def;
	return strtol(v, NULL, 10);
}

static long long rss_bytes(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	long long kb = 0;
	if (!f)
		return 0;
	char line[256];
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

static double seconds(const struct timespec *t)
{
	return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

int main(void)
{
	long n_urls = env_long("RSD_BENCH_URLS", 1000000);
	long hosts = env_long("RSD_BENCH_HOSTS", 8);
	if (hosts < 1 || hosts > 8 || n_urls < BATCH) {
		fprintf(stderr, "RSD_BENCH_URLS must be >= %d, RSD_BENCH_HOSTS 1..8\n", BATCH);
		return 64;
	}

	size_t ini_size = (size_t)hosts * 40 + 256;
	char *ini = malloc(ini_size);
	if (!ini)
		return 1;
	static const char head[] = "[scraper]\nstart_urls = https://www.recipes-0.example/\n"
				   "max_depth = 10\nallowed_hosts =";
	memcpy(ini, head, sizeof(head));
	size_t off = sizeof(head) - 1;
	for (long i = 0; i < hosts; i++)
		off += (size_t)snprintf(ini + off, ini_size - off, " www.recipes-%ld.example", i);
	snprintf(ini + off, ini_size - off, "\n");
	struct rsd_config *cfg = NULL;
	struct rsd_config_diag diag = { 0 };
	if (rsd_config_load_string("bench.ini", ini, &cfg, &diag) < 0)
		for (size_t i = 0; i < diag.n; i++)
			fprintf(stderr, "%s\n", diag.messages[i]);
	rsd_config_diag_clear(&diag);
	free(ini);
	if (!cfg)
		return 1;

	struct rsd_frontier_options opt = { .cfg = cfg, .once = true };
	struct rsd_frontier *f = NULL;
	if (rsd_frontier_new(&opt, &f) < 0) {
		fprintf(stderr, "rsd_frontier_new failed\n");
		return 1;
	}
	/* The URL texts of a batch live outside the heap being measured. */
	static char storage[BATCH][URL_MAX];
	char *urls[BATCH];
	for (size_t i = 0; i < BATCH; i++)
		urls[i] = storage[i];

	malloc_trim(0);
	long long rss0 = rss_bytes();
	struct mallinfo2 mi0 = mallinfo2();
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long queued = 0;
	size_t url_bytes = 0;
	for (long done = 0; done < n_urls; done += BATCH) {
		for (long i = 0; i < BATCH; i++) {
			long id = done + i;
			url_bytes += (size_t)snprintf(urls[i], URL_MAX,
						      "https://www.recipes-%ld.example/recipes/%ld/"
						      "slow-cooker-chicken-curry-%ld/",
						      id % hosts, id / hosts, id);
		}
		int added = rsd_frontier_add_links(f, NULL, urls, BATCH, 1);
		if (added < 0) {
			fprintf(stderr, "rsd_frontier_add_links: %d\n", added);
			return 1;
		}
		queued += added;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double elapsed = seconds(&t1) - seconds(&t0);
	long long rss1 = rss_bytes();
	struct mallinfo2 mi1 = mallinfo2();

	double per = queued ? (double)queued : 1.0;
	double mean_url = (double)url_bytes / (double)n_urls;
	long long rss_delta = rss1 - rss0;
	double heap_per_url = (double)(long long)(mi1.uordblks + mi1.hblkhd -
						  (mi0.uordblks + mi0.hblkhd)) /
			      per;
	printf("urls_queued %ld\n", queued);
	printf("hosts %ld\n", hosts);
	printf("mean_url_bytes %.1f\n", mean_url);
	printf("rss_delta_bytes %lld\n", rss_delta);
	printf("rss_bytes_per_url %.1f\n", (double)rss_delta / per);
	printf("heap_bytes_per_url %.1f\n", heap_per_url);
	printf("heap_overhead_bytes_per_url %.1f\n", heap_per_url - mean_url);
	printf("ns_per_add %.0f\n", 1e9 * elapsed / per);

	rsd_frontier_free(f);
	rsd_config_free(cfg);
	return 0;
}
