/* SPDX-License-Identifier: MIT */
/* Frontier benchmarks, printing "key value" lines.
 *
 * Memory (issue 5: 1 million queued URLs in at most 200 MB RSS): queues
 * RSD_BENCH_URLS URLs (default 1 000 000) spread over RSD_BENCH_HOSTS
 * hosts (default 8, 1..8): resident and heap bytes per queued URL, the
 * mean URL length, and the cost of an add.
 *
 * Links (issue 20), with RSD_BENCH_PAGES=DIR: the way a page's links go
 * from the extractor into the frontier, on saved pages (DIR/SITE/NAME.html,
 * each with NAME.json naming its canonical_url, as in the dev corpus):
 * every page is extracted with its links (rsd_extract, RSD_EXTRACT_LINKS)
 * and they are admitted at depth 1 into a frontier of the page's site
 * (allowed_hosts its host, made and freed outside the clock),
 * RSD_BENCH_ROUNDS times (default 5). Prints the pages, links and links queued, and the CPU time
 * (CLOCK_PROCESS_CPUTIME_ID) per page of the extraction and of the
 * admission, and per link of the admission.
 *
 * NOTE (crawl2): the memory part was overwritten by mistake by the crawl2
 * helper and rebuilt from the bench engineer's compiled object
 * (build-bench/bench/frontier): same inputs, same output keys and values,
 * same exit codes. Its author may want to restore the original text. */

#include "config/config.h"
#include "core/url.h"
#include "crawl/frontier.h"
#include "extract/extract.h"

#include <cjson/cJSON.h>
#include <dirent.h>
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

/* The config of an INI text, or NULL (its errors printed). */
static struct rsd_config *load_config(const char *ini)
{
	struct rsd_config *cfg = NULL;
	struct rsd_config_diag diag = { 0 };
	if (rsd_config_load_string("bench.ini", ini, &cfg, &diag) < 0)
		for (size_t i = 0; i < diag.n; i++)
			fprintf(stderr, "%s\n", diag.messages[i]);
	rsd_config_diag_clear(&diag);
	return cfg;
}

/* ---- links: extractor to frontier ---- */

#define MAX_PAGES 4096

struct page {
	char *url, *host, *html;
	size_t len;
	struct rsd_config *cfg;
};

struct pages {
	struct page p[MAX_PAGES];
	size_t n;
};

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0, got;
	do {
		if (n == cap) {
			char *b = realloc(buf, cap = cap ? 2 * cap : 65536);
			if (!b) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = b;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	*len = n;
	return buf;
}

/* A config whose allowed_hosts is the page's host, as in a crawl of its
 * site. */
static struct rsd_config *page_config(const struct page *pg)
{
	char ini[1024];
	snprintf(ini, sizeof ini, "[scraper]\nstart_urls = https://%s/\nmax_depth = 10\n"
				  "allowed_hosts = %s\n", pg->host, pg->host);
	return load_config(ini);
}

/* path names a page (NAME.html beside NAME.json): added to ps when its
 * JSON names a canonical_url. */
static void load_page(struct pages *ps, const char *path)
{
	size_t n = strlen(path), jlen, len;
	if (ps->n == MAX_PAGES || n < 5 || strcmp(path + n - 5, ".html") != 0)
		return;
	char json_path[4096];
	snprintf(json_path, sizeof json_path, "%.*s.json", (int)(n - 5), path);
	char *json = read_file(json_path, &jlen);
	cJSON *doc = json ? cJSON_ParseWithLength(json, jlen) : NULL;
	const char *url = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "canonical_url"));
	struct page pg = { .url = url ? strdup(url) : NULL };
	if (pg.url && rsd_url_host(pg.url, &pg.host) == 0 && (pg.cfg = page_config(&pg)) &&
	    (pg.html = read_file(path, &len))) {
		pg.len = len;
		ps->p[ps->n++] = pg;
	} else {
		free(pg.url);
		free(pg.host);
		rsd_config_free(pg.cfg);
	}
	cJSON_Delete(doc);
	free(json);
}

static void load_pages(struct pages *ps, const char *dir)
{
	struct dirent **sites;
	int n_sites = scandir(dir, &sites, NULL, alphasort);
	for (int i = 0; i < n_sites; i++) {
		char site[4096];
		snprintf(site, sizeof site, "%s/%s", dir, sites[i]->d_name);
		struct dirent **files;
		int n_files = sites[i]->d_name[0] == '.' ? -1 : scandir(site, &files, NULL, alphasort);
		for (int k = 0; k < n_files; k++) {
			char path[8192];
			snprintf(path, sizeof path, "%s/%s", site, files[k]->d_name);
			load_page(ps, path);
			free(files[k]);
		}
		if (n_files >= 0)
			free(files);
		free(sites[i]);
	}
	if (n_sites >= 0)
		free(sites);
}

static double cpu_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return seconds(&t);
}

struct link_times {
	double extract, admit;
	size_t links, queued;
};

/* One round: every page extracted with its links, which are admitted
 * into a frontier of the page's site (made and freed outside the clock). */
static int links_round(const struct pages *ps, rsd_extractor *x, struct link_times *t)
{
	for (size_t i = 0; i < ps->n; i++) {
		const struct page *pg = &ps->p[i];
		struct rsd_frontier_options opt = { .cfg = pg->cfg, .once = true };
		struct rsd_frontier *f = NULL;
		if (rsd_frontier_new(&opt, &f) < 0)
			return -1;
		struct rsd_extract_result ex = { 0 };
		double t0 = cpu_now();
		int rc = rsd_extract(x, pg->html, pg->len, pg->url, NULL, RSD_EXTRACT_LINKS, &ex);
		double t1 = cpu_now();
		int added = rc < 0 ? rc
				   : rsd_frontier_add_page_links(f, pg->url, ex.links, ex.n_links, 1);
		t->admit += cpu_now() - t1;
		t->extract += t1 - t0;
		t->links += ex.n_links;
		t->queued += added > 0 ? (size_t)added : 0;
		rsd_extract_result_clear(&ex);
		rsd_frontier_free(f);
	}
	return 0;
}

static int bench_links(const char *dir)
{
	static struct pages ps;
	load_pages(&ps, dir);
	long rounds = env_long("RSD_BENCH_ROUNDS", 5);
	rsd_extractor *x = NULL;
	if (!ps.n || rounds < 1 || rsd_extractor_new(&x) < 0) {
		fprintf(stderr, "%s: no pages (DIR/SITE/NAME.html and NAME.json), or "
				"RSD_BENCH_ROUNDS < 1\n", dir);
		return 64;
	}
	struct link_times t = { 0 };
	for (long r = 0; r < rounds; r++)
		if (links_round(&ps, x, &t) < 0)
			return 1;
	double pages = (double)ps.n * (double)rounds;
	printf("pages %zu\n", ps.n);
	printf("rounds %ld\n", rounds);
	printf("links_per_page %.1f\n", (double)t.links / pages);
	printf("queued_per_page %.1f\n", (double)t.queued / pages);
	printf("extract_us_per_page %.1f\n", 1e6 * t.extract / pages);
	printf("admit_us_per_page %.1f\n", 1e6 * t.admit / pages);
	printf("admit_ns_per_link %.0f\n", 1e9 * t.admit / (double)(t.links ? t.links : 1));
	printf("links_us_per_page %.1f\n", 1e6 * (t.extract + t.admit) / pages);
	rsd_extractor_free(x);
	for (size_t i = 0; i < ps.n; i++) {
		rsd_config_free(ps.p[i].cfg);
		free(ps.p[i].url);
		free(ps.p[i].host);
		free(ps.p[i].html);
	}
	return 0;
}

int main(void)
{
	const char *pages_dir = getenv("RSD_BENCH_PAGES");
	if (pages_dir && *pages_dir)
		return bench_links(pages_dir);
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
	struct rsd_config *cfg = load_config(ini);
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
