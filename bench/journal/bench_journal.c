/* SPDX-License-Identifier: MIT */
/* Journal sink throughput against bare journald writes.
 *
 * Writes the same record (RECORD_FILE, one JSON record such as
 * bench/journal/record.json) as journal entries in three ways, interleaved
 * round by round so that load on the shared machine hits all alike:
 *
 *   sink      rsd_sink_write(): what the consumer thread does per message
 *             (parse the record, build the 12 fields, sd_journal_sendv)
 *   sendv     a bare sd_journal_sendv() loop with the very iovecs the sink
 *             builds, prepared once: journald's IPC cost alone (the floor)
 *   send      a bare sd_journal_send() loop with printf formats, the way a
 *             hand-written notifier would do it
 *
 * For each: entries/s (wall) and client CPU microseconds per entry, median
 * of the rounds; "ratio" is sink / sendv within the same round (median).
 * journald itself is usually the bottleneck (the datagram socket fills and
 * the sender blocks), which is why client CPU is reported separately.
 *
 * usage: bench_journal RECORD_FILE   (env RSD_BENCH_ENTRIES per round,
 * default 20000; RSD_BENCH_RUNS rounds, default 5). It writes 300,000
 * entries, so it runs only when RSD_BENCH_JOURNAL=1 says the journald at
 * /run/systemd/journal/socket is a scratch one (bench/perf.py journal starts
 * a private journald, rate limiting off, and sets it); otherwise, or without
 * a journald, it exits 77 (skip). */
#include "config/config.h"
#include "journal/journal_sink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 64
#define IDENT "rsd-bench-journal"

enum mode { M_SINK, M_SENDV, M_SEND, N_MODES };
static const char *const mode_names[N_MODES] = { "sink", "sendv", "send" };

struct sample {
	double per_s; /* entries per second, wall clock */
	double cpu_us; /* client CPU per entry */
};

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);
	return v && *v ? strtol(v, NULL, 10) : def;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n + 4096 > cap) {
			char *b = realloc(buf, cap = cap ? 2 * cap : 8192);
			if (!b)
				break;
			buf = b;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	while (buf && n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	*len = n;
	return buf;
}

/* The fields of one entry as "NAME=value" iovecs (owned by the caller:
 * free(iov[i].iov_base) for each, then iov). */
static int prebuilt_iovecs(const struct rsd_sink *sink, const struct rsd_sink_message *msg,
			   struct iovec **out, size_t *n)
{
	struct rsd_sink_entry e;
	int rc = rsd_sink_entry_build(sink, msg, &e);
	if (rc < 0)
		return rc;
	struct iovec *iov = calloc(e.n, sizeof(*iov));
	for (size_t i = 0; iov && i < e.n; i++) {
		size_t nl = strlen(e.fields[i].name);
		char *p = malloc(nl + 1 + e.fields[i].len);
		if (!p)
			return -ENOMEM;
		memcpy(p, e.fields[i].name, nl);
		p[nl] = '=';
		memcpy(p + nl + 1, e.fields[i].value, e.fields[i].len);
		iov[i] = (struct iovec){ p, nl + 1 + e.fields[i].len };
	}
	*out = iov;
	*n = e.n;
	rsd_sink_entry_clear(&e);
	return iov ? 0 : -ENOMEM;
}

static int run_mode(enum mode m, struct rsd_sink *sink, struct rsd_sink_message *msg,
		    const struct iovec *iov, size_t n_iov, const struct rsd_sink_entry *e, long n,
		    struct sample *out)
{
	size_t tl = 0, ul = 0, jl = 0;
	const char *title = rsd_sink_entry_get(e, "RECIPE_TITLE", &tl);
	const char *url = rsd_sink_entry_get(e, "RECIPE_URL", &ul);
	const char *json = rsd_sink_entry_get(e, "RECIPE_JSON", &jl);
	double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (long i = 0; i < n; i++) {
		int rc = 0;
		enum rsd_sink_outcome outcome;
		switch (m) {
		case M_SINK:
			msg->offset = i;
			rc = rsd_sink_write(sink, msg, &outcome);
			break;
		case M_SENDV:
			rc = sd_journal_sendv(iov, (int)n_iov);
			break;
		case M_SEND:
			rc = sd_journal_send(
				"MESSAGE=Recipe: %.*s — %s kcal — %.*s", (int)tl, title, "350",
				(int)ul, url, "PRIORITY=6", "MESSAGE_ID=" RSD_MESSAGE_ID_RECIPE,
				"SYSLOG_IDENTIFIER=" IDENT, "RECIPE_URL=%.*s", (int)ul, url,
				"RECIPE_TITLE=%.*s", (int)tl, title, "RECIPE_CALORIES=350",
				"RECIPE_HOST=bbcgoodfood.com", "RECIPE_JSON=%.*s", (int)jl, json,
				"KAFKA_TOPIC=parsed_recipes", "KAFKA_PARTITION=0",
				"KAFKA_OFFSET=%ld", i, NULL);
			break;
		default:
			break;
		}
		if (rc < 0)
			return rc;
	}
	double w = clock_s(CLOCK_MONOTONIC) - w0, c = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	out->per_s = (double)n / w;
	out->cpu_us = c * 1e6 / (double)n;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s RECORD_FILE\n", argv[0]);
		return 64;
	}
	const char *scratch = getenv("RSD_BENCH_JOURNAL");
	if (!scratch || strcmp(scratch, "1") != 0) {
		printf("SKIP: set RSD_BENCH_JOURNAL=1 only for a scratch journald (bench/perf.py "
		       "journal)\n");
		return 77;
	}
	if (access("/run/systemd/journal/socket", W_OK) != 0) {
		printf("SKIP: no journald socket\n");
		return 77;
	}
	long n = env_long("RSD_BENCH_ENTRIES", 20000);
	int runs = (int)env_long("RSD_BENCH_RUNS", 5);
	if (n < 1 || runs < 1 || runs > MAX_RUNS)
		return 64;
	size_t len;
	char *record = read_file(argv[1], &len);
	if (!record) {
		perror(argv[1]);
		return 66;
	}
	struct rsd_sink *sink = NULL;
	if (rsd_sink_new(RSD_SINK_JOURNAL, IDENT, 200, NULL, &sink) < 0)
		return 1;
	struct rsd_sink_message msg = { record, len, "parsed_recipes", 0, 0 };
	struct iovec *iov = NULL;
	size_t n_iov = 0;
	struct rsd_sink_entry e;
	if (prebuilt_iovecs(sink, &msg, &iov, &n_iov) < 0 ||
	    rsd_sink_entry_build(sink, &msg, &e) < 0)
		return 1;

	static double per_s[N_MODES][MAX_RUNS], cpu[N_MODES][MAX_RUNS], ratio[MAX_RUNS];
	for (int r = 0; r < runs; r++) {
		struct sample s[N_MODES];
		for (int m = 0; m < N_MODES; m++) {
			int rc = run_mode((enum mode)m, sink, &msg, iov, n_iov, &e, n, &s[m]);
			if (rc < 0) {
				fprintf(stderr, "%s: %s\n", mode_names[m], strerror(-rc));
				return 1;
			}
			per_s[m][r] = s[m].per_s;
			cpu[m][r] = s[m].cpu_us;
		}
		ratio[r] = s[M_SINK].per_s / s[M_SENDV].per_s;
	}
	printf("entries_per_round %ld\nrounds %d\nrecord_bytes %zu\n", n, runs, len);
	for (int m = 0; m < N_MODES; m++)
		printf("%s entries_per_s %.0f cpu_us_per_entry %.2f\n", mode_names[m],
		       median(per_s[m], runs), median(cpu[m], runs));
	printf("ratio_sink_vs_sendv %.3f\n", median(ratio, runs));

	rsd_sink_entry_clear(&e);
	for (size_t i = 0; i < n_iov; i++)
		free(iov[i].iov_base);
	free(iov);
	rsd_sink_free(sink);
	free(record);
	return 0;
}
