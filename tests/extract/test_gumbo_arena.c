/* SPDX-License-Identifier: MIT */
/* The guard's arena (src/extract/gumbo_guard.c): the tree gumbo builds
 * in it is the tree it builds with malloc, small blocks freed during the
 * parse are reused, big ones (past the arena's small sizes) work, the
 * budget bounds the bytes a parse holds, and an rsd_gumbo_arena keeps the
 * chunks of one parse for the next, never more than RSD_GUMBO_ARENA_KEEP,
 * without letting a parse past its budget. */
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

/* An end tag's attributes are allocated and freed with the token: 20,000
 * of them ask for over 100,000 blocks, megabytes in all, of which only
 * the parse errors (each end tag here is one) stay; the arena reuses the
 * freed blocks, so it holds a fraction of what was asked for. */
START_TEST(freed_blocks_reused)
{
	const char *piece = "</span a=1 bb=22 ccc=333>";
	struct rsd_text_buf b = { 0 };
	for (int i = 0; i < 20000; i++)
		ck_assert_int_eq(rsd_text_buf_append(&b, piece, strlen(piece)), 0);
	struct rsd_gumbo_doc *doc;
	struct rsd_gumbo_usage u;
	ck_assert_int_eq(rsd_gumbo_guard_parse(b.data, b.len, &unlimited, &doc, &u), 0);
	ck_assert_uint_gt(u.allocations, 100000);
	ck_assert_uint_gt(u.requested_bytes, 4u << 20);
	ck_assert_uint_lt(u.peak_bytes, u.requested_bytes / 2);
	rsd_gumbo_doc_free(doc);
	rsd_text_buf_free(&b);
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

/* The tree of html parsed in arena, dumped. */
static void dump_parse(struct rsd_gumbo_arena *arena, const char *html, size_t len,
		       struct rsd_text_buf *out)
{
	struct rsd_gumbo_doc *doc;
	ck_assert_int_eq(rsd_gumbo_guard_parse_in(arena, html, len, &unlimited, &doc, NULL), 0);
	dump(rsd_gumbo_doc_output(doc)->document, out);
	rsd_gumbo_doc_free(doc);
}

/* A parse's chunks stay in the arena for the next parse, which takes
 * them (none left spare while it lives) and builds the same tree as a
 * parse with nothing kept; the arena does not grow parse after parse. */
START_TEST(chunks_kept_between_parses)
{
	size_t len;
	char *html = varied_page(&len);
	struct rsd_gumbo_arena *arena;
	ck_assert_int_eq(rsd_gumbo_arena_new(&arena), 0);
	ck_assert_uint_eq(rsd_gumbo_arena_spare_bytes(arena), 0);
	struct rsd_text_buf ref = { 0 }, again = { 0 };
	dump_parse(NULL, html, len, &ref);
	dump_parse(arena, html, len, &again);
	size_t kept = rsd_gumbo_arena_spare_bytes(arena);
	ck_assert_uint_gt(kept, 64u << 10); /* more than one chunk */
	ck_assert_uint_le(kept, RSD_GUMBO_ARENA_KEEP);
	struct rsd_gumbo_doc *doc;
	ck_assert_int_eq(rsd_gumbo_guard_parse_in(arena, html, len, &unlimited, &doc, NULL), 0);
	ck_assert_uint_eq(rsd_gumbo_arena_spare_bytes(arena), 0);
	rsd_gumbo_doc_free(doc);
	ck_assert_uint_eq(rsd_gumbo_arena_spare_bytes(arena), kept);
	for (int i = 0; i < 3; i++) {
		again.len = 0;
		dump_parse(arena, html, len, &again);
		ck_assert_uint_eq(again.len, ref.len);
		ck_assert_int_eq(memcmp(again.data, ref.data, ref.len), 0);
		ck_assert_uint_eq(rsd_gumbo_arena_spare_bytes(arena), kept);
	}
	rsd_text_buf_free(&ref);
	rsd_text_buf_free(&again);
	rsd_gumbo_arena_free(arena);
	rsd_gumbo_arena_free(NULL);
	free(html);
}
END_TEST

/* A parse that holds more than the arena keeps returns the rest to the
 * system: the arena keeps exactly RSD_GUMBO_ARENA_KEEP. */
START_TEST(keep_is_capped)
{
	size_t len;
	char *html = NULL;
	struct rsd_text_buf b = { 0 };
	for (int i = 0; i < 60000; i++)
		ck_assert_int_eq(rsd_text_buf_append(&b, "<li class=x>item", 16), 0);
	len = b.len;
	html = rsd_text_buf_steal(&b);
	struct rsd_gumbo_arena *arena;
	ck_assert_int_eq(rsd_gumbo_arena_new(&arena), 0);
	struct rsd_gumbo_doc *doc;
	struct rsd_gumbo_usage u;
	ck_assert_int_eq(rsd_gumbo_guard_parse_in(arena, html, len, &unlimited, &doc, &u), 0);
	ck_assert_uint_gt(u.peak_bytes, 2 * RSD_GUMBO_ARENA_KEEP);
	rsd_gumbo_doc_free(doc);
	ck_assert_uint_eq(rsd_gumbo_arena_spare_bytes(arena), RSD_GUMBO_ARENA_KEEP);
	rsd_gumbo_arena_free(arena);
	free(html);
}
END_TEST

/* Spare chunks are no credit: a parse taking them counts them in its
 * budget like new ones, stops at the same point as a parse in an empty
 * arena, and the chunks it took go back to the arena. */
START_TEST(budget_holds_with_spare_chunks)
{
	size_t len;
	char *html = varied_page(&len);
	struct rsd_gumbo_arena *arena;
	ck_assert_int_eq(rsd_gumbo_arena_new(&arena), 0);
	struct rsd_gumbo_doc *doc = (void *)1;
	struct rsd_gumbo_usage fresh, reused;
	ck_assert_int_eq(rsd_gumbo_guard_parse_in(arena, html, len, &unlimited, &doc, &fresh), 0);
	rsd_gumbo_doc_free(doc);
	size_t kept = rsd_gumbo_arena_spare_bytes(arena);
	ck_assert_int_eq(rsd_gumbo_guard_parse_in(arena, html, len, &unlimited, &doc, &reused), 0);
	rsd_gumbo_doc_free(doc);
	ck_assert_uint_eq(reused.peak_bytes, fresh.peak_bytes);
	struct rsd_gumbo_limits under = { .max_bytes = fresh.peak_bytes - 1,
					  .max_cpu_ns = (uint64_t)1 << 62 };
	ck_assert_int_eq(rsd_gumbo_guard_parse_in(arena, html, len, &under, &doc, &reused),
			 -E2BIG);
	ck_assert_ptr_null(doc);
	ck_assert_uint_le(reused.peak_bytes, under.max_bytes);
	ck_assert_uint_eq(rsd_gumbo_arena_spare_bytes(arena), kept);
	rsd_gumbo_arena_free(arena);
	free(html);
}
END_TEST

/* The extractor parses a part of the page while the page's DOM lives:
 * two docs from one arena, each its own tree, freed in either order. */
START_TEST(two_live_docs)
{
	size_t len;
	char *html = varied_page(&len);
	const char *small = "<ul><li>one<li>two</ul>";
	struct rsd_gumbo_arena *arena;
	ck_assert_int_eq(rsd_gumbo_arena_new(&arena), 0);
	struct rsd_text_buf ref_big = { 0 }, ref_small = { 0 }, big = { 0 }, part = { 0 };
	dump_parse(NULL, html, len, &ref_big);
	dump_parse(NULL, small, strlen(small), &ref_small);
	for (int order = 0; order < 2; order++) {
		struct rsd_gumbo_doc *a, *b;
		ck_assert_int_eq(
			rsd_gumbo_guard_parse_in(arena, html, len, &unlimited, &a, NULL), 0);
		ck_assert_int_eq(rsd_gumbo_guard_parse_in(arena, small, strlen(small), &unlimited,
							  &b, NULL),
				 0);
		big.len = part.len = 0;
		dump(rsd_gumbo_doc_output(a)->document, &big);
		dump(rsd_gumbo_doc_output(b)->document, &part);
		ck_assert_uint_eq(big.len, ref_big.len);
		ck_assert_int_eq(memcmp(big.data, ref_big.data, big.len), 0);
		ck_assert_uint_eq(part.len, ref_small.len);
		ck_assert_int_eq(memcmp(part.data, ref_small.data, part.len), 0);
		rsd_gumbo_doc_free(order ? a : b);
		rsd_gumbo_doc_free(order ? b : a);
	}
	rsd_text_buf_free(&ref_big);
	rsd_text_buf_free(&ref_small);
	rsd_text_buf_free(&big);
	rsd_text_buf_free(&part);
	rsd_gumbo_arena_free(arena);
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
	tcase_add_test(tc, chunks_kept_between_parses);
	tcase_add_test(tc, keep_is_capped);
	tcase_add_test(tc, budget_holds_with_spare_chunks);
	tcase_add_test(tc, two_live_docs);
	suite_add_tcase(s, tc);
	return rsd_check_run(s);
}
