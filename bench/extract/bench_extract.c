/* SPDX-License-Identifier: MIT */
/* Extraction benchmark: ms/page and MB/s of the fast path and of the full
 * gumbo parse over every *.html page of a corpus directory (and its
 * subdirectories one level down: <site>/<page>.html).
 *
 * usage: bench_extract [DIR]   (default $RSD_BENCH_CORPUS, else
 * /work/shared/corpus/dev). A missing directory is a skip (exit 77), never
 * a failure: benchmarks report numbers, they do not judge them. */
#include "extract/extract.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct page {
	char *path;
	char *html;
	size_t len;
};

struct corpus {
	struct page *v;
	size_t n, cap;
	size_t bytes;
};

static int load(struct corpus *c, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	struct stat st;
	char *buf = NULL;
	if (fstat(fileno(f), &st) == 0 && (buf = malloc((size_t)st.st_size + 1)) != NULL &&
	    fread(buf, 1, (size_t)st.st_size, f) == (size_t)st.st_size) {
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 64;
			c->v = realloc(c->v, c->cap * sizeof *c->v);
			if (!c->v)
				abort();
		}
		c->v[c->n++] = (struct page){ strdup(path), buf, (size_t)st.st_size };
		c->bytes += (size_t)st.st_size;
		buf = NULL;
	}
	free(buf);
	fclose(f);
	return 0;
}

static void scan_dir(struct corpus *c, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char *p;
		if (asprintf(&p, "%s/%s", dir, e->d_name) < 0)
			continue;
		size_t n = strlen(e->d_name);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode) && depth == 0)
			scan_dir(c, p, 1);
		else if (n > 5 && strcmp(e->d_name + n - 5, ".html") == 0)
			load(c, p);
		free(p);
	}
	closedir(d);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs every page `rounds` times; returns seconds, or -1 on error. */
static double run(rsd_extractor *x, const struct corpus *c, unsigned flags, int rounds,
		  size_t *recipes)
{
	double t0 = now();
	*recipes = 0;
	for (int r = 0; r < rounds; r++) {
		for (size_t i = 0; i < c->n; i++) {
			struct rsd_extract_result res;
			if (rsd_extract(x, c->v[i].html, c->v[i].len, "https://bench.invalid/page",
					NULL, flags, &res) < 0)
				return -1;
			*recipes += res.record != NULL;
			rsd_extract_result_clear(&res);
		}
	}
	return now() - t0;
}

static void report(const char *name, double secs, int rounds, const struct corpus *c,
		   size_t recipes)
{
	double pages = (double)c->n * rounds;
	printf("%-22s %8.3f ms/page %8.1f MB/s  (%zu pages x %d, %zu with a recipe)\n", name,
	       1000 * secs / pages, (double)c->bytes * rounds / secs / 1e6, c->n, rounds,
	       recipes / (size_t)rounds);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("RSD_BENCH_CORPUS");
	if (!dir)
		dir = "/work/shared/corpus/dev";
	struct corpus c = { 0 };
	scan_dir(&c, dir, 0);
	if (c.n == 0) {
		printf("bench_extract: no *.html pages under %s, skipped\n", dir);
		return 77;
	}
	rsd_extractor *x;
	if (rsd_extractor_new(&x) < 0)
		return 1;
	printf("corpus %s: %zu pages, %.1f MB, avg %.0f KB/page\n", dir, c.n, c.bytes / 1e6,
	       c.bytes / 1e3 / c.n);
	size_t recipes;
	run(x, &c, 0, 1, &recipes); /* warm up caches and the allocator */
	double fast = run(x, &c, RSD_EXTRACT_DEFAULT, 5, &recipes);
	report("fast path", fast, 5, &c, recipes);
	double links = run(x, &c, RSD_EXTRACT_LINKS, 5, &recipes);
	report("fast path + links", links, 5, &c, recipes);
	double full = run(x, &c, RSD_EXTRACT_FULL_PARSE, 1, &recipes);
	report("full gumbo parse", full, 1, &c, recipes);
	if (fast > 0)
		printf("speed-up of the fast path over the full parse: %.1fx\n", full * 5 / fast);
	rsd_extractor_free(x);
	for (size_t i = 0; i < c.n; i++) {
		free(c.v[i].path);
		free(c.v[i].html);
	}
	free(c.v);
	return fast < 0 || full < 0 ? 1 : 0;
}
