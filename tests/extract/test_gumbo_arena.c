/* SPDX-License-Identifier: MIT */
/* The guard's arena (src/extract/gumbo_guard.c): the tree gumbo builds
 * in it is the tree it builds with malloc, small blocks freed during the
 * parse are reused, big ones (past the arena's small sizes) work, and the
 * budget bounds the bytes the arena holds. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "core/text.h"
#include "extract/gumbo_guard.h"

static const struct rsd_gumbo_limits unlimited = { .max_bytes = (size_t)1 << 40,
						   .max_cpu_ns = (uint64_t)1 << 62 };

/* A page that makes gumbo allocate and free in every way it does: text
 * runs from a few bytes to 2 KB (buffers that double past the arena's
 * small sizes), many attributes, misnested formatting (the adoption
 * agency clones and frees), a table that fosters its text, comments. */
static char *varied_page(size_t *len)
{
	struct rsd_text_buf b = { 0 };
	ck_assert_int_eq(rsd_text_buf_append(&b, "<!doctype html><title>t</title>", 31), 0);
	for (int i = 0; i < 150; i++) {
		char tag[256];
		int n = snprintf(tag, sizeof tag,
				 "<div id=d%d class='a b c' data-x=%d title=\"t%d\"><b><i>x%d</b>y"
				 "</i><table>fostered %d<tr><td>c</table><!-- note %d -->",
				 i, i, i, i, i, i);
		ck_assert_int_eq(rsd_text_buf_append(&b, tag, (size_t)n), 0);
		for (int k = 0; k < (i % 7) * (i % 7) * 60; k++)
			ck_assert_int_eq(rsd_text_buf_putc(&b, (char)('a' + k % 26)), 0);
		ck_assert_int_eq(rsd_text_buf_append(&b, "</div>", 6), 0);
	}
	*len = b.len;
	return rsd_text_buf_steal(&b);
}

/* Appends a readable form of the tree: types, tags, attributes, texts. */
static void dump(const GumboNode *n, struct rsd_text_buf *out)
{
	char line[64];
	snprintf(line, sizeof line, "<%d ", (int)n->type);
	ck_assert_int_eq(rsd_text_buf_append(out, line, strlen(line)), 0);
	if (n->type == GUMBO_NODE_ELEMENT) {
		const GumboElement *e = &n->v.element;
		snprintf(line, sizeof line, "%d", (int)e->tag);
		ck_assert_int_eq(rsd_text_buf_append(out, line, strlen(line)), 0);
		for (size_t i = 0; i < e->attributes.length; i++) {
			const GumboAttribute *a = e->attributes.data[i];
			ck_assert_int_eq(rsd_text_buf_append(out, a->name, strlen(a->name)), 0);
			ck_assert_int_eq(rsd_text_buf_append(out, a->value, strlen(a->value)), 0);
		}
		for (size_t i = 0; i < e->children.length; i++)
			dump(e->children.data[i], out);
	} else if (n->type == GUMBO_NODE_DOCUMENT) {
		for (size_t i = 0; i < n->v.document.children.length; i++)
			dump(n->v.document.children.data[i], out);
	} else {
		const char *t = n->v.text.text;
		ck_assert_int_eq(rsd_text_buf_append(out, t, strlen(t)), 0);
	}
	ck_assert_int_eq(rsd_text_buf_putc(out, '>'), 0);
}

START_TEST(same_tree_as_malloc)
{
	size_t len;
	char *html = varied_page(&len);
	GumboOutput *ref = gumbo_parse_with_options(&kGumboDefaultOptions, html, len);
	struct rsd_gumbo_doc *doc;
	struct rsd_gumbo_usage u;
	ck_assert_int_eq(rsd_gumbo_guard_parse(html, len, &unlimited, &doc, &u), 0);
	struct rsd_text_buf a = { 0 }, b = { 0 };
	dump(ref->document, &a);
	dump(rsd_gumbo_doc_output(doc)->document, &b);
	ck_assert_uint_gt(a.len, len / 2);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert_int_eq(memcmp(a.data, b.data, a.len), 0);
	rsd_text_buf_free(&a);
	rsd_text_buf_free(&b);
	gumbo_destroy_output(&kGumboDefaultOptions, ref);
	rsd_gumbo_doc_free(doc);
	free(html);
}
END_TEST

/* gumbo frees each token's temporary blocks: with them reused, the arena
 * holds far fewer bytes than it handed out blocks (a 16-byte head and at
 * least 16 bytes each). */
START_TEST(freed_blocks_reused)
{
	size_t len;
	char *html = varied_page(&len);
	struct rsd_gumbo_doc *doc;
	struct rsd_gumbo_usage u;
	ck_assert_int_eq(rsd_gumbo_guard_parse(html, len, &unlimited, &doc, &u), 0);
	ck_assert_uint_lt(u.peak_bytes, u.allocations * 32 + len * 2);
	rsd_gumbo_doc_free(doc);
	free(html);
}
END_TEST

/* The budget bounds the bytes held: a budget smaller than the arena's
 * first chunk stops the parse, one just above a parse's peak lets it
 * through, and the peak never passes the budget. */
START_TEST(budget_counts_held_bytes)
{
	size_t len;
	char *html = varied_page(&len);
	struct rsd_gumbo_doc *doc = (void *)1;
	struct rsd_gumbo_usage u;
	struct rsd_gumbo_limits tiny = { .max_bytes = 4096, .max_cpu_ns = (uint64_t)1 << 62 };
	ck_assert_int_eq(rsd_gumbo_guard_parse("<p>x", 4, &tiny, &doc, &u), -E2BIG);
	ck_assert_ptr_null(doc);
	ck_assert_uint_le(u.peak_bytes, tiny.max_bytes);
	ck_assert_int_eq(rsd_gumbo_guard_parse(html, len, &unlimited, &doc, &u), 0);
	rsd_gumbo_doc_free(doc);
	struct rsd_gumbo_limits exact = { .max_bytes = u.peak_bytes,
					  .max_cpu_ns = (uint64_t)1 << 62 };
	ck_assert_int_eq(rsd_gumbo_guard_parse(html, len, &exact, &doc, &u), 0);
	ck_assert_uint_le(u.peak_bytes, exact.max_bytes);
	rsd_gumbo_doc_free(doc);
	struct rsd_gumbo_limits under = { .max_bytes = exact.max_bytes - 1,
					  .max_cpu_ns = (uint64_t)1 << 62 };
	ck_assert_int_eq(rsd_gumbo_guard_parse(html, len, &under, &doc, &u), -E2BIG);
	ck_assert_ptr_null(doc);
	ck_assert_uint_le(u.peak_bytes, under.max_bytes);
	free(html);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gumbo_arena");
	TCase *tc = tcase_create("arena");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, same_tree_as_malloc);
	tcase_add_test(tc, freed_blocks_reused);
	tcase_add_test(tc, budget_counts_held_bytes);
	suite_add_tcase(s, tc);
	return rsd_check_run(s);
}
