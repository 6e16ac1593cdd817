/* SPDX-License-Identifier: MIT */
/* A Recipe's missing lists read from the part of the page that holds
 * them (src/extract/list_region.c, rsd_completion_lists_from_page): where
 * the part can be delimited, the lists must be exactly what the whole
 * page's tree gives (rsd_completion_lists_from_dom); where it cannot, or
 * where the whole page's search would look beyond it, the caller is told
 * to parse the whole page. (test_plain_prefix.c checks that the extractor's
 * fast path and its full parse agree on such a page.) */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "extract/gumbo_guard.h"
#include "extract/list_completion.h"
#include "extract/list_region.h"

#define ING "<ul><li>1 cup flour</li><li>2 eggs</li><li>3 tbsp sugar</li></ul>"
#define STEPS "<ol><li>Whisk the eggs.</li><li>Fold in the flour.</li><li>Bake.</li></ol>"
#define FILLER_ITEM "<p>A paragraph of the site's story, long enough to matter.</p>\n"
#define FILLER8 FILLER_ITEM FILLER_ITEM FILLER_ITEM FILLER_ITEM \
	FILLER_ITEM FILLER_ITEM FILLER_ITEM FILLER_ITEM
#define FILLER FILLER8 FILLER8

/* A page: doctype, a navigation and an intro before `content`, a footer
 * after it: the part around the lists is a small share of it. */
static char *page(const char *head, const char *content)
{
	size_t cap = strlen(content) + 16384;
	char *p = malloc(cap);
	ck_assert_ptr_nonnull(p);
	snprintf(p, cap,
		 "%s<html><head><title>t</title></head><body>"
		 "<nav><a href=/>Home</a> <a href=/about>About</a></nav>"
		 "<div class=intro>" FILLER "</div>\n%s\n<footer>" FILLER "</footer></body></html>",
		 head, content);
	return p;
}

static char *printed(const cJSON *a)
{
	return a ? cJSON_PrintUnformatted(a) : strdup("null");
}

/* The lists the whole page's tree gives. */
static void from_whole_page(const char *html, struct rsd_recipe_fields *f)
{
	struct rsd_gumbo_limits lim = rsd_gumbo_limits_for(strlen(html));
	struct rsd_gumbo_doc *doc = NULL;
	ck_assert_int_eq(rsd_gumbo_guard_parse(html, strlen(html), &lim, &doc, NULL), 0);
	ck_assert_int_eq(rsd_completion_lists_from_dom(rsd_gumbo_doc_output(doc), f), 0);
	rsd_gumbo_doc_free(doc);
}

/* Reads the lists of the page around content from its part: want_rc 1
 * (read from the part, and then exactly the whole page's) or 0 (the whole
 * page must be parsed, and nothing changed). Returns the lists read from
 * the whole page, "ingredients // steps". */
static char *check_part(const char *head, const char *content, int want_rc)
{
	char *html = page(head, content);
	struct rsd_recipe_fields part, whole;
	rsd_fields_init(&part);
	rsd_fields_init(&whole);
	struct rsd_gumbo_arena *arena;
	ck_assert_int_eq(rsd_gumbo_arena_new(&arena), 0);
	ck_assert_int_eq(rsd_completion_lists_from_page(arena, html, strlen(html), &part), want_rc);
	/* lists read from a part were parsed with the arena's memory, which
	 * keeps its chunks for the next parse */
	if (want_rc == 1 && (part.ingredients || part.instructions_list))
		ck_assert_uint_gt(rsd_gumbo_arena_spare_bytes(arena), 0);
	rsd_gumbo_arena_free(arena);
	from_whole_page(html, &whole);
	char *pi = printed(part.ingredients), *ps = printed(part.instructions_list);
	char *wi = printed(whole.ingredients), *ws = printed(whole.instructions_list);
	if (want_rc == 1) {
		ck_assert_str_eq(pi, wi);
		ck_assert_str_eq(ps, ws);
	} else {
		ck_assert_str_eq(pi, "null");
		ck_assert_str_eq(ps, "null");
	}
	size_t n = strlen(wi) + strlen(ws) + 8;
	char *out = malloc(n);
	snprintf(out, n, "%s // %s", wi, ws);
	free(pi);
	free(ps);
	free(wi);
	free(ws);
	rsd_fields_clear(&part);
	rsd_fields_clear(&whole);
	free(html);
	return out;
}

/* check_part, and its lists are want (NULL: whatever the whole page gives). */
static void assert_part(const char *head, const char *content, int want_rc, const char *want)
{
	char *got = check_part(head, content, want_rc);
	if (want)
		ck_assert_str_eq(got, want);
	free(got);
}

#define DOCTYPE "<!DOCTYPE html>"
#define BOTH "[\"1 cup flour\",\"2 eggs\",\"3 tbsp sugar\"] // " \
	"[\"Whisk the eggs.\",\"Fold in the flour.\",\"Bake.\"]"

START_TEST(named_containers)
{
	assert_part(DOCTYPE,
		    "<div id=main><div class=recipe><div class=card>"
		    "<div class=recipe-ingredients>" ING "</div>"
		    "<div class=recipe-instructions>" STEPS "</div></div></div></div>",
		    1, BOTH);
}
END_TEST

START_TEST(headings)
{
	assert_part(DOCTYPE,
		    "<div id=main><section><div><h2>Ingredients</h2>" ING
		    "<h3>Method:</h3>" STEPS "</div></section></div>",
		    1, BOTH);
	/* a heading written with a reference, and one split by inline markup */
	assert_part(DOCTYPE,
		    "<div id=main><section><div><h2>Ingr&eacute;dients</h2>" ING
		    "<h3><b>How</b> to make it</h3>" STEPS "</div></section></div>",
		    1, "[\"1 cup flour\",\"2 eggs\",\"3 tbsp sugar\"] // "
		       "[\"Whisk the eggs.\",\"Fold in the flour.\",\"Bake.\"]");
	/* no quirks-mode difference: the part gets the page's doctype, or
	 * none when the page has none */
	assert_part("", "<div id=main><div><div><h2>Ingredients</h2>" ING "<h2>Method</h2>" STEPS
		    "</div></div></div>", 1, BOTH);
}
END_TEST

/* The whole page's search takes a named container before any heading:
 * the part is taken around the name, and a heading's list in it is not
 * taken while a name stands outside it. */
START_TEST(names_before_headings)
{
	assert_part(DOCTYPE,
		    "<div id=a><div><div><h2>Ingredients</h2><ul><li>1 pinch salt</li>"
		    "<li>2 l water</li></ul></div></div></div>"
		    "<div id=b><div><div><div class=ingredients>" ING "</div>"
		    "<h2>Method</h2>" STEPS "</div></div></div></div>",
		    1, BOTH);
	/* headings, a named container far after them: the ingredients are
	 * the container's (read from the part around it alone), the method
	 * the heading's */
	assert_part(DOCTYPE,
		    "<div id=a><div><div><div><h2>Ingredients</h2>" ING "<h2>Method</h2>" STEPS
		    "</div></div></div></div>" FILLER
		    "<div id=z><div class=ingredients><ul><li>9 g yeast</li><li>1 l milk</li></ul>"
		    "</div></div>",
		    1, "[\"9 g yeast\",\"1 l milk\"] // "
		       "[\"Whisk the eggs.\",\"Fold in the flour.\",\"Bake.\"]");
	/* ... and with a heading's ingredients list read from a part that
	 * does not hold that name: not taken, the page is parsed whole */
	assert_part(DOCTYPE,
		    "<div id=a><div><div><div><h2>Ingredients</h2>" ING "</div></div></div></div>"
		    "<div id=y><div><div><div><h2>Method</h2>" STEPS "</div></div></div></div>"
		    FILLER8 "<div id=z><div class=ingredients></div></div>",
		    0, NULL);
}
END_TEST

/* a, b and c with 40 KB of the site's story between them: a part that
 * holds a and b is 40 KB or more. */
static char *far_apart(const char *a, const char *b, const char *c)
{
	enum { ITEMS = 640 };
	size_t item = strlen(FILLER_ITEM);
	char *out = malloc(strlen(a) + strlen(b) + strlen(c) + 2 * ITEMS * item + 1), *p = out;
	ck_assert_ptr_nonnull(out);
	p = stpcpy(p, a);
	for (size_t i = 0; i < ITEMS; i++)
		p = stpcpy(p, FILLER_ITEM);
	p = stpcpy(p, b);
	for (size_t i = 0; i < ITEMS; i++)
		p = stpcpy(p, FILLER_ITEM);
	stpcpy(p, c);
	return out;
}

#define ROW_ING "<div class=row><div class=ingredients>" ING "</div></div>"
#define ROW_STEPS "<div class=row><div class=instructions>" STEPS "</div></div>"
#define WRAPPED_ING "<div><div><h2>Ingredients</h2></div>" ING
#define WRAPPED_STEPS "<div><h2>Method</h2></div>" STEPS

static void assert_far_apart(const char *a, const char *b, const char *c, int want_rc,
			     const char *want)
{
	char *content = far_apart(a, b, c);
	assert_part(DOCTYPE, content, want_rc, want);
	free(content);
}

/* Lists far apart each come from the part one level above their own
 * container or heading (rsd_list_region_climb), not from the part that
 * holds both, when that reading is the whole page's; else from the part
 * that holds both, or the page is parsed whole, as before. */
START_TEST(tight_parts)
{
	/* the part holding both is 40 KB, half the page */
	assert_far_apart("<div id=main>" ROW_ING, ROW_STEPS "</div>", "", 1, BOTH);
	char *content = far_apart("<div id=main>" ROW_ING, ROW_STEPS "</div>", "");
	char *html = page(DOCTYPE, content);
	const char *at = strstr(html, "ingredients"), *row = strstr(html, "<div class=row>");
	struct rsd_list_region g;
	ck_assert(rsd_list_region_climb(html, strlen(html), at, at, 1, &g));
	ck_assert_ptr_eq(g.from, row);
	ck_assert_ptr_eq(g.to, strstr(row, "</div></div>") + strlen("</div></div>"));
	ck_assert(rsd_list_region_find(html, strlen(html), at, strstr(html, "instructions"), &g));
	ck_assert_ptr_eq(g.from, strstr(html, "<div id=main>"));
	free(html);
	free(content);
	/* a heading alone in its wrapper: its list follows the wrapper,
	 * beside the tight part; the part holding both reads it */
	assert_far_apart("<div id=main><section>" WRAPPED_ING, WRAPPED_STEPS "</div></section></div>",
			 "", 1, BOTH);
	/* the part holding both is most of the page: the tight parts read
	 * the lists, or the page is parsed whole */
	assert_far_apart("<div id=main>" ROW_ING, ROW_STEPS, "</div>", 1, BOTH);
	assert_far_apart("<div id=main><section>" WRAPPED_ING, WRAPPED_STEPS,
			 "</div></section></div>", 0, NULL);
}
END_TEST

/* A heading whose wrapper is the part's root: its list follows the part,
 * which only the whole page has. */
START_TEST(search_beyond_the_part)
{
	assert_part(DOCTYPE, "<div id=e><h2>Ingredients</h2></div>" ING
		    "<div><h2>Method</h2></div>" STEPS, 0,
		    "[\"1 cup flour\",\"2 eggs\",\"3 tbsp sugar\"] // "
		    "[\"Whisk the eggs.\",\"Fold in the flour.\",\"Bake.\"]");
}
END_TEST

/* Ancestors gumbo reads differently within the page than alone, hidden
 * ones, a formatting element carried on, a late doctype: parsed whole. */
START_TEST(not_delimitable)
{
	static const char *const around[][2] = {
		{ "<div style='display: none'><div><div><div>", "</div></div></div></div>" },
		{ "<div hidden><div><div><div>", "</div></div></div></div>" },
		{ "<table><tr><td><div><div><div>", "</div></div></div></td></tr></table>" },
		{ "<p><span><span><span>", "</span></span></span></p>" },
		{ "<ul><li><div><div><div>", "</div></div></div></li></ul>" },
		{ "<div><b>bold</div><div><div><div><div>", "</div></div></div></div>" },
		{ "<div><form><div><div><div>", "</div></div></div></div></div>" },
	};
	for (size_t i = 0; i < sizeof around / sizeof around[0]; i++) {
		char content[4096];
		snprintf(content, sizeof content,
			 "%s<div class=ingredients>" ING "</div><div class=method>" STEPS "</div>%s",
			 around[i][0], around[i][1]);
		assert_part(DOCTYPE, content, 0, NULL);
	}
	char *late = page("<!-- a comment --><!DOCTYPE html>",
			  "<div><div><div><div class=ingredients>" ING "</div></div></div></div>");
	struct rsd_list_region g;
	ck_assert(!rsd_list_region_find(late, strlen(late), strstr(late, "ingredients"),
					 strstr(late, "ingredients"), &g));
	free(late);
}
END_TEST

/* Unclosed, stray and nested markup: whatever the part gives is the
 * whole page's, or the page is parsed whole. */
START_TEST(broken_markup)
{
	static const char *const contents[] = {
		"<div id=m><div><div class=ingredients><ul><li>1 egg<li>2 eggs<li>3 figs</ul>"
		"</div><div class=method><ol><li>Mix.<li>Bake.</ol>",
		"<div id=m><div><div class=ingredients></span></div></div>" ING "</div>"
		"<div class=method>" STEPS "</div>",
		"<div id=m><div><div class=ingredients><div class=ingredients>" ING
		"</div></div><div class=method><div class=ingredients-and-method>" STEPS
		"</div></div></div></div>",
		"<div id=m><div><div><h2>Ingredients</h2><ul><li>1 egg</li></ul>"
		"<h2>Ingredients</h2>" ING "<h2>Method</h2><p>Mix.</p><p>Bake.</p></div></div>",
		"<div id=m><svg><div class=ingredients>" ING "</div></svg>" STEPS "</div>",
		"<div id=m><div><div><h2>Ingredients</h2>" ING "<h2 hidden>Method</h2>" STEPS
		"</div></div></div>",
	};
	for (size_t i = 0; i < sizeof contents / sizeof contents[0]; i++) {
		char *html = page(DOCTYPE, contents[i]);
		struct rsd_recipe_fields part, whole;
		rsd_fields_init(&part);
		rsd_fields_init(&whole);
		int rc = rsd_completion_lists_from_page(NULL, html, strlen(html), &part);
		ck_assert(rc == 0 || rc == 1);
		if (rc == 1) {
			from_whole_page(html, &whole);
			char *a = printed(part.ingredients), *b = printed(whole.ingredients);
			char *c = printed(part.instructions_list), *d = printed(whole.instructions_list);
			ck_assert_str_eq(a, b);
			ck_assert_str_eq(c, d);
			free(a);
			free(b);
			free(c);
			free(d);
		}
		rsd_fields_clear(&part);
		rsd_fields_clear(&whole);
		free(html);
	}
}
END_TEST

/* A page that names no list the data lacks is not parsed: no tree has
 * one. One nested too deeply for the scan's stack is parsed whole. */
START_TEST(nothing_to_find_and_too_deep)
{
	assert_part(DOCTYPE, "<div><p>Just a story.</p></div>", 1, "null // null");
	size_t n = 300;
	char *deep = malloc(n * 11 + 256), *p = deep;
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "<div>");
	p += sprintf(p, "<div class=ingredients>" ING "</div>");
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "</div>");
	assert_part(DOCTYPE, deep, 0, NULL);
	free(deep);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("list_region");
	TCase *tc = tcase_create("region");
	tcase_add_test(tc, named_containers);
	tcase_add_test(tc, headings);
	tcase_add_test(tc, names_before_headings);
	tcase_add_test(tc, tight_parts);
	tcase_add_test(tc, search_beyond_the_part);
	tcase_add_test(tc, not_delimitable);
	tcase_add_test(tc, broken_markup);
	tcase_add_test(tc, nothing_to_find_and_too_deep);
	suite_add_tcase(s, tc);
	return rsd_check_run(s);
}
