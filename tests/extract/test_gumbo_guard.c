/* SPDX-License-Identifier: MIT */
/* gumbo under a budget (src/gumbo_guard.h): the tree of a page within its
 * budget is gumbo's own; a parse over its memory or CPU time budget stops
 * with nothing kept (the ASan build checks that nothing leaks); a tree far
 * deeper than the stack would allow a recursive walk is freed. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "extract/gumbo_guard.h"

static const struct rsd_gumbo_limits unlimited = { .max_bytes = (size_t)1 << 40,
						   .max_cpu_ns = (uint64_t)1 << 62 };

/* count copies of piece, NUL-terminated */
static char *repeated(const char *piece, size_t count, size_t *len)
{
	size_t n = strlen(piece);
	char *s = malloc(n * count + 1);
	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < count; i++)
		memcpy(s + i * n, piece, n);
	s[n * count] = '\0';
	*len = n * count;
	return s;
}

START_TEST(parses_like_gumbo)
{
	const char *html = "<p class=a>one<b>two</p>three";
	struct rsd_gumbo_doc *doc;
	struct rsd_gumbo_usage u;
	ck_assert_int_eq(rsd_gumbo_guard_parse(html, strlen(html), &unlimited, &doc, &u), 0);
	const GumboNode *body = rsd_gumbo_doc_output(doc)->root->v.element.children.data[1];
	ck_assert_int_eq(body->v.element.tag, GUMBO_TAG_BODY);
	/* <p>, then the <b> the adoption agency reopened for "three" */
	ck_assert_uint_eq(body->v.element.children.length, 2);
	const GumboNode *b = body->v.element.children.data[1];
	ck_assert_int_eq(b->v.element.tag, GUMBO_TAG_B);
	ck_assert_uint_gt(u.peak_bytes, 0);
	ck_assert_uint_gt(u.allocations, 0);
	rsd_gumbo_doc_free(doc);
	rsd_gumbo_doc_free(NULL);
}
END_TEST

START_TEST(over_memory)
{
	size_t len;
	char *html = repeated("<li>x", 20000, &len);
	struct rsd_gumbo_limits lim = { .max_bytes = 1 << 20, .max_cpu_ns = (uint64_t)1 << 62 };
	struct rsd_gumbo_doc *doc = (void *)1;
	struct rsd_gumbo_usage u;
	ck_assert_int_eq(rsd_gumbo_guard_parse(html, len, &lim, &doc, &u), -E2BIG);
	ck_assert_ptr_null(doc);
	ck_assert_uint_le(u.peak_bytes, lim.max_bytes);
	free(html);
}
END_TEST

/* The adoption agency's clones: N formatting elements reopened for each
 * of M blocks, N * M elements from a page of N + M tags. */
START_TEST(adoption_clones_bounded)
{
	char *html = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&html, &len);
	ck_assert_ptr_nonnull(f);
	fputs("<div>", f);
	for (int i = 0; i < 2000; i++)
		fprintf(f, "<b id=%d>", i);
	fputs("</div>", f);
	for (int i = 0; i < 2000; i++)
		fputs("<div>x</div>", f);
	fclose(f);
	struct rsd_gumbo_limits lim = rsd_gumbo_limits_for(len);
	struct rsd_gumbo_doc *doc;
	struct rsd_gumbo_usage u;
	int rc = rsd_gumbo_guard_parse(html, len, &lim, &doc, &u);
	ck_assert(rc == -E2BIG || rc == -ETIME);
	ck_assert_uint_le(u.peak_bytes, lim.max_bytes);
	free(html);
}
END_TEST

START_TEST(over_time)
{
	size_t len;
	/* unmatched end tags: each <div> nests deeper and searches the stack */
	char *html = repeated("<div></span>", 40000, &len);
	struct rsd_gumbo_limits lim = { .max_bytes = (size_t)1 << 40, .max_cpu_ns = 5000000 };
	struct rsd_gumbo_doc *doc = (void *)1;
	struct rsd_gumbo_usage u;
	ck_assert_int_eq(rsd_gumbo_guard_parse(html, len, &lim, &doc, &u), -ETIME);
	ck_assert_ptr_null(doc);
	/* stopped near the budget: twice it and a check interval, with room
	 * for a descheduled thread's coarse clock */
	ck_assert_uint_lt(u.cpu_ns, 2 * lim.max_cpu_ns + 50000000u);
	free(html);
}
END_TEST

/* A parse stopped for its time costs about twice its budget (gumbo_guard.h). */
static void assert_stopped_near(const char *html, size_t len, uint64_t budget_ns)
{
	struct rsd_gumbo_limits lim = { .max_bytes = (size_t)1 << 40, .max_cpu_ns = budget_ns };
	struct rsd_gumbo_doc *doc = (void *)1;
	struct rsd_gumbo_usage u;
	ck_assert_int_eq(rsd_gumbo_guard_parse(html, len, &lim, &doc, &u), -ETIME);
	ck_assert_ptr_null(doc);
	ck_assert_uint_lt(u.cpu_ns, 2 * budget_ns + 50000000u);
}

/* One tag of distinct attributes: each is compared with all before it
 * (quadratic), three small allocations each and a small tree, so the time
 * is checked at every RSD_GUMBO_CHECK_EVERY-th allocation only. */
START_TEST(over_time_in_small_allocations)
{
	enum { N = 200000 };
	char *html = malloc(N * 8 + 8), *o = html;
	ck_assert_ptr_nonnull(html);
	o += sprintf(o, "<p");
	for (int i = 0; i < N; i++)
		o += sprintf(o, " a%d", i);
	o += sprintf(o, ">");
	assert_stopped_near(html, (size_t)(o - html), 5000000);
	free(html);
}
END_TEST

/* One run of text: after its first 2 KiB only the doubling of its buffer
 * allocates (a big block, always checked). */
START_TEST(over_time_in_one_text_run)
{
	size_t len;
	char *html = repeated("x", 32u << 20, &len);
	memcpy(html, "<p>", 3);
	assert_stopped_near(html, len, 5000000);
	free(html);
}
END_TEST

/* 200,000 nested elements, closed (an unclosed one is a parse error with
 * a copy of the stack: quadratic, which the budget would stop) */
START_TEST(deep_tree_freed)
{
	size_t n, m;
	char *open = repeated("<span>", 200000, &n), *close = repeated("</span>", 200000, &m);
	char *html = malloc(n + m + 1);
	ck_assert_ptr_nonnull(html);
	memcpy(html, open, n);
	memcpy(html + n, close, m + 1);
	struct rsd_gumbo_doc *doc;
	ck_assert_int_eq(rsd_gumbo_guard_parse(html, n + m, &unlimited, &doc, NULL), 0);
	rsd_gumbo_doc_free(doc);
	free(html);
	free(open);
	free(close);
}
END_TEST

START_TEST(limits_grow_with_the_page)
{
	struct rsd_gumbo_limits a = rsd_gumbo_limits_for(0), b = rsd_gumbo_limits_for(1 << 20);
	struct rsd_gumbo_limits huge = rsd_gumbo_limits_for((size_t)1 << 40);
	ck_assert_uint_eq(a.max_bytes, RSD_GUMBO_MEM_BASE);
	ck_assert_uint_eq(b.max_bytes, RSD_GUMBO_MEM_BASE + RSD_GUMBO_MEM_PER_BYTE * (1 << 20));
	ck_assert_uint_eq(huge.max_bytes, RSD_GUMBO_MEM_MAX);
	ck_assert_uint_eq(a.max_cpu_ns, RSD_GUMBO_CPU_BASE_NS * RSD_GUMBO_CPU_SCALE);
	ck_assert_uint_eq(b.max_cpu_ns,
			  (RSD_GUMBO_CPU_BASE_NS + RSD_GUMBO_CPU_PER_BYTE_NS * (1 << 20)) *
				  RSD_GUMBO_CPU_SCALE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gumbo_guard");
	TCase *tc = tcase_create("guard");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, parses_like_gumbo);
	tcase_add_test(tc, over_memory);
	tcase_add_test(tc, adoption_clones_bounded);
	tcase_add_test(tc, over_time);
	tcase_add_test(tc, over_time_in_small_allocations);
	tcase_add_test(tc, over_time_in_one_text_run);
	tcase_add_test(tc, deep_tree_freed);
	tcase_add_test(tc, limits_grow_with_the_page);
	suite_add_tcase(s, tc);
	return rsd_check_run(s);
}
