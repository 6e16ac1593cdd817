/* SPDX-License-Identifier: MIT */
/* The extractor on hostile pages (hostile.c), on both paths (JSON-LD and
 * microdata, which has gumbo parse the page):
 *
 *   test_hostile            linearity: doubling a page (256 KiB) at most 3x
 *                           the CPU time and the memory of its extraction
 *   test_hostile --max N    every class at N bytes (the default
 *                           max_page_bytes): within 3 s of CPU time and
 *                           256 MB, into a record of at most 1,000,000 bytes
 *   test_hostile --size N [CLASS]
 *                           linearity from N bytes, or of one class
 *   test_hostile --page CLASS jsonld|microdata SIZE
 *                           writes one page to stdout (to measure by hand)
 *
 * Each measurement runs in a child process: its peak RSS is its own, and a
 * crash names the class. Times are the extraction call's thread CPU time,
 * the best of a few runs, so the load of a shared machine hardly moves
 * them; the ratios have a floor below which a page is too quick to
 * compare. In a sanitizer build (whose allocator is not linear) the pages
 * need only extract cleanly; the ratios are printed, not asserted. */
#include "extract/extract.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "extract/gumbo_guard.h"
#include "hostile.h"

#define LINEAR_SIZE (256u << 10)
#define LINEAR_ATTEMPTS 5
#define LINEAR_RUNS 3
#define MAX_RATIO 3.0 /* quadratic work grows >= 4x; see linear() */
#define TIME_FLOOR_NS 3000000.0 /* 3 ms: below, too quick to compare */
#define MEM_FLOOR_KB 4096.0 /* 4 MB: below, allocator noise */
#define MAX_CPU_NS 3000000000.0 /* 3 s */
#define MAX_MEM_KB (256.0 * 1024) /* 256 MB */
#define MAX_RECORD 1000000

struct cost {
	double cpu_ns; /* best of the runs */
	double mem_kb; /* peak RSS growth during the extractions */
	long record_len; /* serialized record, -1 when none */
	unsigned dom_skipped;
	int rc;
};

static uint64_t cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static long maxrss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* In the child: builds the page, extracts it runs times. */
static struct cost measure_here(const struct hostile_class *c, enum hostile_path path, size_t size,
				int runs)
{
	struct cost k = { .cpu_ns = 1e18, .record_len = -1 };
	size_t len;
	char *page = hostile_page(c, path, size, &len);
	rsd_extractor *x = NULL;
	if (!page || rsd_extractor_new(&x) < 0) {
		k.rc = -ENOMEM;
		return k;
	}
	long before = maxrss_kb();
	for (int r = 0; r < runs; r++) {
		struct rsd_extract_result res;
		uint64_t t0 = cpu_now();
		k.rc = rsd_extract(x, page, len, "https://hostile.test/page", "text/html", 0, &res);
		double t = (double)(cpu_now() - t0);
		k.cpu_ns = t < k.cpu_ns ? t : k.cpu_ns;
		char *json = res.record ? cJSON_PrintUnformatted(res.record) : NULL;
		k.record_len = json ? (long)strlen(json) : -1;
		k.dom_skipped = res.dom_skipped;
		if (json && !cJSON_Parse(json))
			k.rc = -EBADMSG; /* (leaks the child's copy: it exits) */
		free(json);
		rsd_extract_result_clear(&res);
	}
	k.mem_kb = (double)(maxrss_kb() - before);
	rsd_extractor_free(x);
	free(page);
	return k;
}

static bool measure(const struct hostile_class *c, enum hostile_path path, size_t size, int runs,
		    struct cost *k)
{
	int fds[2];
	if (pipe(fds) < 0)
		return false;
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		struct cost m = measure_here(c, path, size, runs);
		_exit(write(fds[1], &m, sizeof m) == (ssize_t)sizeof m ? 0 : 1);
	}
	close(fds[1]);
	ssize_t n = pid > 0 ? read(fds[0], k, sizeof *k) : -1;
	close(fds[0]);
	int status = 0;
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (n != (ssize_t)sizeof *k || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s: the extraction crashed (status %#x)\n", c->name, status);
		return false;
	}
	return true;
}

static const char *path_name(enum hostile_path p)
{
	return p == HOSTILE_JSONLD ? "jsonld" : "microdata";
}

static double ratio(double big, double small, double floor)
{
	return big / (small > floor ? small : floor);
}

static void keep_best(struct cost *best, const struct cost *k)
{
	best->cpu_ns = k->cpu_ns < best->cpu_ns ? k->cpu_ns : best->cpu_ns;
	best->mem_kb = k->mem_kb < best->mem_kb ? k->mem_kb : best->mem_kb;
	best->rc = k->rc < 0 ? k->rc : best->rc;
	best->dom_skipped = k->dom_skipped;
}

/* Size against 2 x size: within MAX_RATIO in time and memory. A shared
 * machine's load can slow a whole child process (each measurement runs
 * in one, best of LINEAR_RUNS), so each size keeps its best over up to
 * LINEAR_ATTEMPTS children, and the class passes as soon as the best
 * pair does. Superlinear work fails every pairing (it grows at least 4x
 * when the page doubles). The bound is 3x, not 2.5x: the extractor keeps
 * gumbo's arena between parses, which gives the small page a head start;
 * on two loaded cores a linear class (lt-flood, microdata path) measured
 * x3.3 in one child pair and x1.4 in the next. */
static bool linear(const struct hostile_class *c, enum hostile_path path, size_t size)
{
	struct cost a = { .cpu_ns = 1e18, .mem_kb = 1e18 }, b = a, k;
	bool ok = false;
	double rt = 0, rm = 0;
	/* a sanitizer's allocator (quarantine, shadow memory) is not linear:
	 * there the pages need only extract, and the ratios are shown */
	bool sanitized = RSD_GUMBO_CPU_SCALE > 1;
	for (int i = 1; i <= LINEAR_ATTEMPTS && !ok; i++) {
		if (!measure(c, path, size, LINEAR_RUNS, &k))
			return false;
		keep_best(&a, &k);
		if (!measure(c, path, 2 * size, LINEAR_RUNS, &k))
			return false;
		keep_best(&b, &k);
		rt = ratio(b.cpu_ns, a.cpu_ns, TIME_FLOOR_NS);
		rm = ratio(b.mem_kb, a.mem_kb, MEM_FLOOR_KB);
		ok = a.rc >= 0 && b.rc >= 0 && ((rt <= MAX_RATIO && rm <= MAX_RATIO) || sanitized);
	}
	printf("%-20s %-9s %7.1f ms -> %7.1f ms (x%.2f)  %6.0f KB -> %6.0f KB (x%.2f)  dom %#x%s\n",
	       c->name, path_name(path), a.cpu_ns / 1e6, b.cpu_ns / 1e6, rt, a.mem_kb, b.mem_kb, rm,
	       b.dom_skipped, ok ? "" : "  FAIL");
	return ok;
}

static bool within_max(const struct hostile_class *c, enum hostile_path path, size_t size)
{
	struct cost k;
	if (!measure(c, path, size, 1, &k))
		return false;
	bool ok = k.rc >= 0 && k.cpu_ns <= MAX_CPU_NS && k.mem_kb <= MAX_MEM_KB &&
		  k.record_len > 0 && k.record_len <= MAX_RECORD;
	printf("%-20s %-9s %8.1f ms %8.0f KB  record %7ld B  dom %#x%s\n", c->name, path_name(path),
	       k.cpu_ns / 1e6, k.mem_kb, k.record_len, k.dom_skipped, ok ? "" : "  FAIL");
	return ok;
}

static int write_page(const char *name, const char *path, const char *size)
{
	for (size_t i = 0; i < hostile_n_classes; i++) {
		if (strcmp(hostile_classes[i].name, name) != 0)
			continue;
		size_t len;
		enum hostile_path p = strcmp(path, "jsonld") == 0 ? HOSTILE_JSONLD
								  : HOSTILE_MICRODATA;
		char *page = hostile_page(&hostile_classes[i], p, strtoul(size, NULL, 0), &len);
		bool ok = page && fwrite(page, 1, len, stdout) == len;
		free(page);
		return ok ? 0 : 1;
	}
	fprintf(stderr, "no class %s\n", name);
	return 64;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "--page") == 0)
		return write_page(argv[2], argv[3], argv[4]);
	size_t max = argc >= 3 && strcmp(argv[1], "--max") == 0 ? strtoul(argv[2], NULL, 0) : 0;
	size_t size = argc >= 3 && strcmp(argv[1], "--size") == 0 ? strtoul(argv[2], NULL, 0) : 0;
	const char *only = argc >= 4 ? argv[3] : NULL; /* one class */
	int failed = 0;
	for (size_t i = 0; i < hostile_n_classes; i++) {
		if (only && strcmp(only, hostile_classes[i].name) != 0)
			continue;
		for (int p = HOSTILE_JSONLD; p <= HOSTILE_MICRODATA; p++) {
			bool ok = max ? within_max(&hostile_classes[i], p, max)
				      : linear(&hostile_classes[i], p, size ? size : LINEAR_SIZE);
			failed += !ok;
		}
	}
	printf("%d of %zu failed\n", failed, 2 * hostile_n_classes);
	return failed ? 1 : 0;
}
