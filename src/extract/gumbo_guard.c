/* SPDX-License-Identifier: MIT */
/* gumbo under a budget (see gumbo_guard.h for the argument). */
#include "extract/gumbo_guard.h"

#include <errno.h>
#include <setjmp.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

/* gumbo's memory is an arena: gumbo allocates a few small blocks per
 * token (nodes, attributes, names, vectors, text buffers that double) and
 * frees many of them again within the parse, and the whole tree at once
 * when the extractor is done with it. malloc and free per block were a
 * sixth of the parse's instructions; here a small block is bumped from a
 * chunk, a freed one goes on a list of its size class for the next block
 * of that class, and nothing is returned before the end, when the chunks
 * go in one pass (a stopped parse, which never returns through gumbo's
 * own clean-up, frees them the same way). A big block (a long text run, a
 * vector of many children) comes from malloc and is freed at once.
 *
 * The chunks go back to the caller's rsd_gumbo_arena, which keeps up to
 * RSD_GUMBO_ARENA_KEEP bytes of them for the next parse: freed to glibc,
 * 64 KiB blocks merge into the heap's top, which glibc trims, and the next
 * parse faults every page in again (4x the minor faults and more CPU time
 * than the malloc per block the arena saves).
 *
 * The budget counts the bytes the parse holds, its chunks and big blocks,
 * not the bytes gumbo still uses: a freed small block is held until the
 * end, so the bound is on the memory really taken for the parse (the
 * arena's spare chunks beyond that are at most RSD_GUMBO_ARENA_KEEP). */
#define ARENA_ALIGN 16u /* max_align_t on the 64-bit targets */
#define SMALL_MAX 2048u /* bigger blocks come from malloc */
#define N_CLASSES (SMALL_MAX / ARENA_ALIGN + 1) /* class k: k * ARENA_ALIGN bytes */
#define CHUNK_BYTES (64u << 10) /* below glibc's mmap threshold */

/* The word before every block gumbo gets: its size class, 0 for a big one. */
struct small_head {
	alignas(ARENA_ALIGN) size_t unused;
	size_t cls;
};

/* A big block, on a list so that the end frees them all. */
struct block {
	alignas(ARENA_ALIGN) struct block *prev;
	struct block *next;
	size_t size; /* header included */
	size_t cls; /* 0: where the word before the block is */
};

struct chunk {
	alignas(ARENA_ALIGN) struct chunk *next;
};

struct freed {
	struct freed *next;
};

struct rsd_gumbo_arena {
	struct chunk *spare; /* CHUNK_BYTES each, for the next parse */
	size_t n_spare;
};

struct rsd_gumbo_doc {
	GumboOutput *out;
	struct rsd_gumbo_arena *arena; /* where the chunks go back; NULL: free */
	struct block *blocks; /* big ones */
	struct chunk *chunks;
	char *bump, *bump_end; /* the free part of the newest chunk */
	struct freed *free_lists[N_CLASSES];
	size_t held, peak, allocations, requested;
	struct rsd_gumbo_limits lim;
	uint64_t cpu_start, cpu_used;
	uint64_t wall_checked; /* coarse wall time of the last CPU time read */
	unsigned unchecked; /* small allocations since the last time check */
	int stop; /* why the parse stopped: -E2BIG, -ETIME, -ENOMEM */
	jmp_buf escape;
};

int rsd_gumbo_arena_new(struct rsd_gumbo_arena **out)
{
	*out = calloc(1, sizeof **out);
	return *out ? 0 : -ENOMEM;
}

static void free_chunks(struct chunk *c)
{
	for (struct chunk *next; c; c = next) {
		next = c->next;
		free(c);
	}
}

void rsd_gumbo_arena_free(struct rsd_gumbo_arena *a)
{
	if (!a)
		return;
	free_chunks(a->spare);
	free(a);
}

size_t rsd_gumbo_arena_spare_bytes(const struct rsd_gumbo_arena *a)
{
	return a->n_spare * CHUNK_BYTES;
}

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

/* Memory taken for the parse: within the budget, else the parse stops. */
static void *take(struct rsd_gumbo_doc *d, size_t total)
{
	if (total > d->lim.max_bytes - d->held)
		stop(d, -E2BIG);
	void *p = malloc(total);
	if (!p)
		stop(d, -ENOMEM);
	if ((d->held += total) > d->peak)
		d->peak = d->held;
	return p;
}

static void *big_alloc(struct rsd_gumbo_doc *d, size_t size)
{
	size_t total = sizeof(struct block) + size;
	if (total < size)
		stop(d, -E2BIG);
	struct block *b = take(d, total);
	*b = (struct block){ .next = d->blocks, .size = total };
	if (d->blocks)
		d->blocks->prev = b;
	d->blocks = b;
	return b + 1;
}

/* A chunk for the parse: a spare one of the arena's, else a new one; both
 * count in the budget. */
static struct chunk *new_chunk(struct rsd_gumbo_doc *d)
{
	struct rsd_gumbo_arena *a = d->arena;
	struct chunk *c;
	if (a && a->spare) {
		if (CHUNK_BYTES > d->lim.max_bytes - d->held)
			stop(d, -E2BIG);
		c = a->spare;
		a->spare = c->next;
		a->n_spare--;
		if ((d->held += CHUNK_BYTES) > d->peak)
			d->peak = d->held;
	} else {
		c = take(d, CHUNK_BYTES);
	}
	c->next = d->chunks;
	d->chunks = c;
	return c;
}

/* A block of class cls from its list, else from the newest chunk, else
 * from a new chunk (the rest of the old one is left: under a block). */
static void *small_alloc(struct rsd_gumbo_doc *d, size_t cls)
{
	struct freed *f = d->free_lists[cls];
	if (f) {
		d->free_lists[cls] = f->next;
		return f;
	}
	size_t total = sizeof(struct small_head) + cls * ARENA_ALIGN;
	if ((size_t)(d->bump_end - d->bump) < total) {
		struct chunk *c = new_chunk(d);
		d->bump = (char *)(c + 1);
		d->bump_end = (char *)c + CHUNK_BYTES;
	}
	struct small_head *h = (struct small_head *)d->bump;
	d->bump += total;
	h->cls = cls;
	return h + 1;
}

/* Whether this allocation checks the time (gumbo_guard.h): every big one
 * (a text run's buffer past SMALL_MAX doubles through them), every one
 * once the parse holds RSD_GUMBO_CHECK_ALL_HELD bytes (a tree that large
 * may make each token scan a long stack), else every
 * RSD_GUMBO_CHECK_EVERY-th small one. Reading the coarse clock at each of
 * a page's thousands of allocations was a tenth of the allocator's cost. */
static bool time_to_check(struct rsd_gumbo_doc *d, size_t size)
{
	if (size <= SMALL_MAX && d->held < RSD_GUMBO_CHECK_ALL_HELD &&
	    ++d->unchecked < RSD_GUMBO_CHECK_EVERY)
		return false;
	d->unchecked = 0;
	return true;
}

static void *guard_alloc(void *userdata, size_t size)
{
	struct rsd_gumbo_doc *d = userdata;
	if (time_to_check(d, size))
		check_time(d);
	d->allocations++;
	d->requested += size;
	if (size > SMALL_MAX)
		return big_alloc(d, size);
	return small_alloc(d, size ? (size + ARENA_ALIGN - 1) / ARENA_ALIGN : 1);
}

static void guard_free(void *userdata, void *ptr)
{
	struct rsd_gumbo_doc *d = userdata;
	if (!ptr)
		return;
	size_t cls = ((const size_t *)ptr)[-1];
	if (cls) {
		struct freed *f = ptr;
		f->next = d->free_lists[cls];
		d->free_lists[cls] = f;
		return;
	}
	struct block *b = (struct block *)ptr - 1;
	if (b->prev)
		b->prev->next = b->next;
	else
		d->blocks = b->next;
	if (b->next)
		b->next->prev = b->prev;
	d->held -= b->size;
	free(b);
}

/* The big blocks to glibc; the chunks back to the arena up to its keep,
 * the rest to glibc. */
static void free_blocks(struct rsd_gumbo_doc *d)
{
	for (struct block *b = d->blocks, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	struct rsd_gumbo_arena *a = d->arena;
	struct chunk *c = d->chunks;
	while (a && c && (a->n_spare + 1) * CHUNK_BYTES <= RSD_GUMBO_ARENA_KEEP) {
		struct chunk *next = c->next;
		c->next = a->spare;
		a->spare = c;
		a->n_spare++;
		c = next;
	}
	free_chunks(c);
	d->blocks = NULL;
	d->chunks = NULL;
	d->bump = d->bump_end = NULL;
	d->held = 0;
}

static void report(const struct rsd_gumbo_doc *d, struct rsd_gumbo_usage *usage)
{
	if (usage)
		*usage = (struct rsd_gumbo_usage){ .peak_bytes = d->peak,
						   .allocations = d->allocations,
						   .requested_bytes = d->requested,
						   .cpu_ns = d->cpu_used };
}

int rsd_gumbo_guard_parse_in(struct rsd_gumbo_arena *arena, const char *html, size_t len,
			     const struct rsd_gumbo_limits *lim, struct rsd_gumbo_doc **doc,
			     struct rsd_gumbo_usage *usage)
{
	*doc = NULL;
	struct rsd_gumbo_doc *d = calloc(1, sizeof *d);
	if (!d)
		return -ENOMEM;
	d->arena = arena;
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

int rsd_gumbo_guard_parse(const char *html, size_t len, const struct rsd_gumbo_limits *lim,
			  struct rsd_gumbo_doc **doc, struct rsd_gumbo_usage *usage)
{
	return rsd_gumbo_guard_parse_in(NULL, html, len, lim, doc, usage);
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
