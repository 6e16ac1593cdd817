/* SPDX-License-Identifier: MIT */
#ifndef RSD_GUMBO_GUARD_H
#define RSD_GUMBO_GUARD_H

/* gumbo under a budget: a parse whose memory and CPU time are bounded in
 * proportion to the page, whatever its markup.
 *
 * gumbo's tree construction is superlinear on some markup: the adoption
 * agency re-clones every open formatting element for each later block
 * (104 KB of <b> and <div> took 18 s and 2.4 GB), each start tag searches
 * the stack of open elements (49,000 nested <div> under unmatched end
 * tags took 7 s), each attribute is compared with the tag's others
 * (200,000 attributes: over a minute). Predicting gumbo's real tree from
 * outside would mean re-implementing its tree construction, so the guard
 * watches the parse itself instead:
 *
 * - memory: every byte gumbo allocates comes from the guard's allocator
 *   (gumbo 0.10.1 calls malloc only through GumboOptions.allocator), an
 *   arena (gumbo_guard.c). A request that would take the bytes the parse
 *   holds past the budget stops the
 *   parse: the allocator does not return to gumbo but jumps back to
 *   rsd_gumbo_guard_parse, which frees every block gumbo held (the guard
 *   keeps them on a list). So the tree gumbo builds, clones included, is
 *   bounded for real, and nothing leaks.
 * - time: the allocator also compares the thread's CPU time with the
 *   budget (read at most every RSD_GUMBO_CHECK_NS of wall time: reading it
 *   is a system call), at every big allocation, at every
 *   RSD_GUMBO_CHECK_EVERY-th small one, and at every one once the parse
 *   holds RSD_GUMBO_CHECK_ALL_HELD bytes. gumbo allocates for every tag,
 *   comment and doctype token, every attribute, every parse error (errors
 *   are recorded for that reason: with max_errors = 0 a tag repeating a
 *   value-less attribute is compared with its others without allocating,
 *   3.6 s for 3 MB) and every doubling of a text run's buffer, which past
 *   SMALL_MAX (2 KiB, gumbo_guard.c) is a big allocation. So a check comes
 *   after every RSD_GUMBO_CHECK_EVERY tokens and, within a run of text
 *   past 2 KiB, before each half of it: the work gumbo can do past a check
 *   that found the budget not spent is a few tokens (each a few scans of
 *   the stack of open elements and of the active formatting elements, or
 *   of a tag's attributes: while the parse holds less than
 *   RSD_GUMBO_CHECK_ALL_HELD, fewer than 30,000 elements or attributes
 *   (a node takes 144 bytes, an attribute 120), well under a millisecond
 *   per token; past it one token, as the budget allows: a few
 *   milliseconds at worst) or the rest of a text run (each character costs
 *   the same, and there are at most as many left as were checked already).
 *   A stopped parse therefore costs at most about twice its budget.
 *
 * Budgets grow linearly with the page (RSD_GUMBO_*_PER_BYTE) from a base,
 * with a margin over what recipe sites' pages need even on a loaded machine
 * (thread CPU time grows with contention for caches: 2x on a 2-core host at
 * load 17). Measured on the 418 pages of the development corpora (errors
 * recorded), gumbo's live memory peaked at 12.6 bytes per page byte on
 * pages under 100 KB, 9.2 above, 6.6 MB at most; its CPU time at 50-95 ns
 * per byte, the largest page (2.3 MB) 106 ms of a 364 ms budget. A 10 MiB
 * page may use 64 MiB and 1.59 s. The price of recording errors: each
 * element left open at the end of the page is one, with a copy of the
 * stack, so a page left open 2000 deep costs 16 MB and tens of ms and one
 * left 5000 deep is over budget (the estimate in extract.c admitted it). */

#include <gumbo.h>
#include <stddef.h>
#include <stdint.h>

#define RSD_GUMBO_MEM_BASE (32u << 20) /* bytes */
#define RSD_GUMBO_MEM_PER_BYTE 16u /* live bytes per page byte */
#define RSD_GUMBO_MEM_MAX (64u << 20) /* whatever the page's size */
#define RSD_GUMBO_CPU_BASE_NS 20000000u /* 20 ms */
#define RSD_GUMBO_CPU_PER_BYTE_NS 150u /* 10 MiB: 1.59 s */
#define RSD_GUMBO_CHECK_NS 2000000u /* wall time between CPU time reads */
#define RSD_GUMBO_CHECK_EVERY 16u /* small allocations between two time checks */
#define RSD_GUMBO_CHECK_ALL_HELD (4u << 20) /* bytes held: from then on, check every one */

/* Sanitizer builds run gumbo several times slower (ASan 5-10x): their CPU
 * time budget is scaled so that they parse the same pages as others. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RSD_GUMBO_CPU_SCALE 10u
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
	__has_feature(memory_sanitizer)
#define RSD_GUMBO_CPU_SCALE 10u
#endif
#endif
#ifndef RSD_GUMBO_CPU_SCALE
#define RSD_GUMBO_CPU_SCALE 1u
#endif

struct rsd_gumbo_limits {
	size_t max_bytes; /* live bytes gumbo may hold */
	uint64_t max_cpu_ns; /* thread CPU time the parse may take */
};

/* The budget of a page of len bytes. */
struct rsd_gumbo_limits rsd_gumbo_limits_for(size_t len);

/* A parsed document and the memory it lives in. */
struct rsd_gumbo_doc;

/* What a parse took (for tests and the extractor's accounting). */
struct rsd_gumbo_usage {
	size_t peak_bytes; /* most bytes the parse held at once (its chunks and big blocks) */
	size_t allocations; /* calls of the allocator */
	size_t requested_bytes; /* what gumbo asked the allocator for, in all */
	uint64_t cpu_ns; /* thread CPU time of the parse */
};

/* Where parses take their memory: chunks a parse used are kept for the
 * next one (up to RSD_GUMBO_ARENA_KEEP bytes), so that a thread that
 * parses page after page does not fault the same pages in again. One per
 * thread (not thread-safe); it may serve several live docs at once and
 * must outlive them. */
struct rsd_gumbo_arena;

/* Spare chunks an arena keeps between parses: what gumbo holds for most
 * recipe pages (the 82 parses of the dev and wide corpora: 0.55 MB the
 * median, 74 within 2 MiB, 5.9 MB the largest); a bigger parse takes the
 * rest from glibc and gives it back. At most 2 MiB of the daemon's RSS
 * per scraper thread, 4 MiB with the default 2. */
#define RSD_GUMBO_ARENA_KEEP (2u << 20)

int rsd_gumbo_arena_new(struct rsd_gumbo_arena **out); /* 0, -ENOMEM */
void rsd_gumbo_arena_free(struct rsd_gumbo_arena *arena); /* no live doc; NULL ok */
/* Bytes of spare chunks the arena holds now (tests). */
size_t rsd_gumbo_arena_spare_bytes(const struct rsd_gumbo_arena *arena);

/* Parses html (UTF-8, len bytes) like gumbo_parse with its default
 * options, within lim. (Parse errors are recorded, see above, each with a
 * copy of the stack of open elements: that memory counts in the budget.)
 * 0 and *doc set; -E2BIG when the tree needed more than lim.max_bytes,
 * -ETIME when the parse needed more than lim.max_cpu_ns (nothing is kept
 * then); -ENOMEM. usage may be NULL. */
int rsd_gumbo_guard_parse(const char *html, size_t len, const struct rsd_gumbo_limits *lim,
			  struct rsd_gumbo_doc **doc, struct rsd_gumbo_usage *usage);
/* The same with its memory from arena (NULL: from glibc, all of it
 * returned when the doc is freed). The budget counts the chunks a parse
 * takes from the arena like those it takes from glibc. */
int rsd_gumbo_guard_parse_in(struct rsd_gumbo_arena *arena, const char *html, size_t len,
			     const struct rsd_gumbo_limits *lim, struct rsd_gumbo_doc **doc,
			     struct rsd_gumbo_usage *usage);
const GumboOutput *rsd_gumbo_doc_output(const struct rsd_gumbo_doc *doc);
/* Frees the tree without walking it (a recursive walk of a tree deeper
 * than the stack allows would crash). NULL is a no-op. */
void rsd_gumbo_doc_free(struct rsd_gumbo_doc *doc);

#endif
