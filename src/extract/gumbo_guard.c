/* SPDX-License-Identifier: MIT */
/* gumbo under a budget (see gumbo_guard.h for the argument). */
#include "extract/gumbo_guard.h"

#include <errno.h>
#include <setjmp.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

/* Every block gumbo holds, on a list, so that a stopped parse (which never
 * returns through gumbo's own clean-up) frees them all. */
struct block {
	alignas(max_align_t) struct block *prev;
	struct block *next;
	size_t size; /* header included */
};

struct rsd_gumbo_doc {
	GumboOutput *out;
	struct block *blocks;
	size_t live, peak, allocations;
	struct rsd_gumbo_limits lim;
	uint64_t cpu_start, cpu_used;
	uint64_t wall_checked; /* coarse wall time of the last CPU time read */
	int stop; /* why the parse stopped: -E2BIG, -ETIME, -ENOMEM */
	jmp_buf escape;
};

struct rsd_gumbo_limits rsd_gumbo_limits_for(size_t len)
{
	size_t cap = RSD_GUMBO_MEM_MAX;
	size_t per = len < cap / RSD_GUMBO_MEM_PER_BYTE ? len * RSD_GUMBO_MEM_PER_BYTE : cap;
	uint64_t cpu = (uint64_t)len * RSD_GUMBO_CPU_PER_BYTE_NS;
	return (struct rsd_gumbo_limits){
		.max_bytes = per < cap - RSD_GUMBO_MEM_BASE ? RSD_GUMBO_MEM_BASE + per : cap,
		.max_cpu_ns = (RSD_GUMBO_CPU_BASE_NS + cpu) * RSD_GUMBO_CPU_SCALE,
	};
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Leaves gumbo for good: back to the setjmp in rsd_gumbo_guard_parse.
 * gumbo keeps no state outside the blocks and the parser's stack frames,
 * so abandoning those frames and freeing the blocks loses nothing. */
static _Noreturn void stop(struct rsd_gumbo_doc *d, int why)
{
	d->stop = why;
	longjmp(d->escape, 1);
}

/* The CPU time check, read only when RSD_GUMBO_CHECK_NS of (cheap, coarse)
 * wall time passed since the last read: the thread cannot have used more
 * CPU time than the wall time that passed. */
static void check_time(struct rsd_gumbo_doc *d)
{
	uint64_t wall = clock_ns(CLOCK_MONOTONIC_COARSE);
	if (wall - d->wall_checked < RSD_GUMBO_CHECK_NS)
		return;
	d->wall_checked = wall;
	d->cpu_used = clock_ns(CLOCK_THREAD_CPUTIME_ID) - d->cpu_start;
	if (d->cpu_used > d->lim.max_cpu_ns)
		stop(d, -ETIME);
}

static void *guard_alloc(void *userdata, size_t size)
{
	struct rsd_gumbo_doc *d = userdata;
	size_t total = sizeof(struct block) + size;
	if (total < size || total > d->lim.max_bytes - d->live)
		stop(d, -E2BIG);
	check_time(d);
	struct block *b = malloc(total);
	if (!b)
		stop(d, -ENOMEM);
	*b = (struct block){ .next = d->blocks, .size = total };
	if (d->blocks)
		d->blocks->prev = b;
	d->blocks = b;
	d->allocations++;
	if ((d->live += total) > d->peak)
		d->peak = d->live;
	return b + 1;
}

static void guard_free(void *userdata, void *ptr)
{
	struct rsd_gumbo_doc *d = userdata;
	if (!ptr)
		return;
	struct block *b = (struct block *)ptr - 1;
	if (b->prev)
		b->prev->next = b->next;
	else
		d->blocks = b->next;
	if (b->next)
		b->next->prev = b->prev;
	d->live -= b->size;
	free(b);
}

static void free_blocks(struct rsd_gumbo_doc *d)
{
	for (struct block *b = d->blocks, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	d->blocks = NULL;
	d->live = 0;
}

static void report(const struct rsd_gumbo_doc *d, struct rsd_gumbo_usage *usage)
{
	if (usage)
		*usage = (struct rsd_gumbo_usage){ .peak_bytes = d->peak,
						   .allocations = d->allocations,
						   .cpu_ns = d->cpu_used };
}

int rsd_gumbo_guard_parse(const char *html, size_t len, const struct rsd_gumbo_limits *lim,
			  struct rsd_gumbo_doc **doc, struct rsd_gumbo_usage *usage)
{
	*doc = NULL;
	struct rsd_gumbo_doc *d = calloc(1, sizeof *d);
	if (!d)
		return -ENOMEM;
	d->lim = *lim;
	d->cpu_start = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	d->wall_checked = clock_ns(CLOCK_MONOTONIC_COARSE);
	GumboOptions o = kGumboDefaultOptions;
	o.allocator = guard_alloc;
	o.deallocator = guard_free;
	o.userdata = d;
	o.max_errors = -1; /* every error allocates: a time check (gumbo_guard.h) */
	/* d is only read after the jump (no local changed since setjmp). */
	if (setjmp(d->escape) == 0)
		d->out = gumbo_parse_with_options(&o, html, len);
	d->cpu_used = clock_ns(CLOCK_THREAD_CPUTIME_ID) - d->cpu_start;
	report(d, usage);
	if (d->stop || !d->out) {
		int rc = d->stop ? d->stop : -ENOMEM;
		rsd_gumbo_doc_free(d);
		return rc;
	}
	*doc = d;
	return 0;
}

const GumboOutput *rsd_gumbo_doc_output(const struct rsd_gumbo_doc *doc)
{
	return doc->out;
}

void rsd_gumbo_doc_free(struct rsd_gumbo_doc *doc)
{
	if (!doc)
		return;
	free_blocks(doc);
	free(doc);
}
