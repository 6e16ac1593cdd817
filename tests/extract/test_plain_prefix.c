/* SPDX-License-Identifier: MIT */
/* A recipe without markup read from a parse of the page's first bytes
 * (src/extract/extract.c plain_from_prefix, plain_prefix.c, plain_page.c):
 * where the page is cut, and when it is not; the reading of
 * the cut tree says when it may depend on what was cut off, and the
 * extractor's record is the whole page's either way (the full parse reads
 * the whole page: both paths must agree). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "extract/extract.h"
#include "extract/gumbo_guard.h"
#include "extract/plain_page.h"
#include "extract/plain_prefix.h"

#define ING "<h2>Ingredients</h2><ul><li>1 cup flour</li><li>2 eggs</li><li>3 tbsp sugar</li></ul>"
#define STEPS "<h2>Method</h2><ol><li>Whisk the eggs.</li><li>Fold in the flour.</li></ol>"
#define PARA "<p>More of the site's story, long enough to fill a page a little.</p>\n"
#define PARA8 PARA PARA PARA PARA PARA PARA PARA PARA

/* A page of head's contents, before, then after and n_fill paragraphs of
 * filler. */
static char *page_with_head(const char *head, const char *before, const char *after,
			    size_t n_fill)
{
	size_t cap = strlen(head) + strlen(before) + strlen(after) +
		     n_fill * 8 * (sizeof PARA8 + 32) + 256;
	char *p = malloc(cap), *o = p;
	ck_assert_ptr_nonnull(p);
	o += sprintf(o, "<!DOCTYPE html><html><head>%s</head><body>%s", head, before);
	for (size_t i = 0; i < n_fill; i++)
		for (int k = 0; k < 8; k++)
			o += sprintf(o, "<div class=more>%s</div>", PARA8);
	sprintf(o, "%s</body></html>", after);
	return p;
}

static char *page(const char *before, const char *after, size_t n_fill)
{
	return page_with_head("<title>Cake</title>", before, after, n_fill);
}

static bool on_last_path(const GumboNode *n)
{
	for (; n->parent; n = n->parent)
		if (n->parent->type == GUMBO_NODE_ELEMENT &&
		    n->index_within_parent + 1 != n->parent->v.element.children.length)
			return false;
	return true;
}

/* Reads html's first n bytes as a plain recipe: its return, *cut set. */
static int read_cut(const char *html, size_t n, struct rsd_plain_cut *cut)
{
	struct rsd_gumbo_limits lim = rsd_gumbo_limits_for(n);
	struct rsd_gumbo_doc *doc = NULL;
	struct rsd_page_info pi = { 0 };
	struct rsd_recipe_fields f;
	rsd_fields_init(&f);
	ck_assert_int_eq(rsd_gumbo_guard_parse(html, n, &lim, &doc, NULL), 0);
	cut->open = on_last_path;
	int rc = rsd_plain_page_fields_cut(rsd_gumbo_doc_output(doc), &pi, "https://k.test/", cut,
					   &f);
	rsd_gumbo_doc_free(doc);
	rsd_fields_clear(&f);
	return rc;
}

START_TEST(recipe_inside_the_cut)
{
	char *html = page("<main><h1>Cake</h1><div>" ING STEPS "</div><p>Enjoy.</p></main>", "", 8);
	struct rsd_plain_cut cut = { 0 };
	ck_assert_int_eq(read_cut(html, strstr(html, "<div class=more>") - html, &cut), 1);
	ck_assert(!cut.beyond);
	ck_assert(cut.found[0] && cut.found[1] && !cut.by_name[0] && !cut.by_name[1]);
	free(html);
}
END_TEST

/* Cut inside the ingredients, inside the method's section, and before
 * the page's <h1>: the reading may not be the whole page's. */
START_TEST(reading_that_needs_more)
{
	char *html = page("<main><div>" ING "<div class=more>" STEPS "</div>", "</div></main>", 0);
	struct rsd_plain_cut cut = { 0 };
	read_cut(html, strstr(html, "<li>2 eggs") - html, &cut);
	ck_assert(cut.beyond);
	cut = (struct rsd_plain_cut){ 0 };
	read_cut(html, strstr(html, "<li>Fold") - html, &cut);
	ck_assert(cut.beyond);
	free(html);
	html = page("<main><div>" ING STEPS "</div><p>x</p><p>y</p></main>", "<h1>Cake</h1>", 0);
	cut = (struct rsd_plain_cut){ .h1_after = false };
	ck_assert_int_eq(read_cut(html, strstr(html, "<p>y") - html, &cut), 1);
	ck_assert(!cut.beyond);
	cut = (struct rsd_plain_cut){ .h1_after = true };
	ck_assert_int_eq(read_cut(html, strstr(html, "<p>y") - html, &cut), 1);
	ck_assert(cut.beyond);
	free(html);
}
END_TEST

/* The cut of html, *h1_after set; m the page's mentions. */
static const char *cut_of(const char *html, struct rsd_list_mentions m[2], bool *h1_after)
{
	rsd_html_lists_mentions(html, strlen(html), m);
	return rsd_plain_prefix_cut(html, strlen(html), m, h1_after);
}

/* A tag RSD_PLAIN_PREFIX_AFTER bytes past the last of the <h1> (either
 * case) and the lists' first mentions; an <h1> past it is noted. */
START_TEST(cut_past_title_and_mentions)
{
	struct rsd_list_mentions m[2];
	bool h1_after = true;
	char *html = page("<main>" ING "<H1>Cake</H1>" STEPS "</main>", "", 16);
	const char *cut = cut_of(html, m, &h1_after), *at = strstr(html, "<h2>Method");
	ck_assert_ptr_nonnull(cut);
	ck_assert_int_eq(*cut, '<');
	ck_assert_uint_ge((size_t)(cut - at), RSD_PLAIN_PREFIX_AFTER);
	ck_assert_uint_lt((size_t)(cut - at), RSD_PLAIN_PREFIX_AFTER + 200);
	ck_assert(!h1_after);
	free(html);
	/* the title last: the cut is measured from it */
	html = page("<main>" ING STEPS PARA8 PARA8 PARA8 "<h1>Cake</h1></main>", "<h1>Late</h1>", 16);
	cut = cut_of(html, m, &h1_after);
	ck_assert_ptr_nonnull(cut);
	ck_assert_uint_ge((size_t)(cut - strstr(html, "<h1>Cake")), RSD_PLAIN_PREFIX_AFTER);
	ck_assert(h1_after);
	free(html);
}
END_TEST

/* No cut where it would save little, or where the part's reading cannot
 * be the page's: every container named for the ingredients lies past it
 * (the whole page's search takes the first of them, a part without one
 * finds its list by a heading or none). */
START_TEST(no_cut_when_it_cannot_pay)
{
	struct rsd_list_mentions m[2];
	bool h1_after;
	char *html = page("<main><h1>Cake</h1>" ING STEPS "</main>", "", 2); /* ~10 KB after */
	ck_assert_ptr_null(cut_of(html, m, &h1_after));
	free(html);
	html = page("<main><h1>Cake</h1>" ING STEPS "</main>",
		    "<div class=ingredients><ul><li>5 g salt</li><li>1 l milk</li></ul></div>", 16);
	ck_assert_ptr_null(cut_of(html, m, &h1_after));
	free(html);
	/* a container so named inside the part as well: cut */
	html = page("<main><h1>Cake</h1><div class=ingredients>" ING "</div>" STEPS "</main>",
		    "<div class=ingredients><ul><li>5 g salt</li><li>1 l milk</li></ul></div>", 16);
	ck_assert_ptr_nonnull(cut_of(html, m, &h1_after));
	free(html);
}
END_TEST

/* The part parsed of head + body[...] cut at its end: headless or not, and
 * without the head's contents then. */
static bool part_headless(const char *head, const char *body)
{
	char html[4096];
	snprintf(html, sizeof html, "<!DOCTYPE html>\n<!-- a comment --><html lang=en>%s<body>%s",
		 head, body);
	struct rsd_list_mentions m[2];
	struct rsd_plain_part part;
	rsd_html_lists_mentions(html, strlen(html), m);
	ck_assert_int_eq(rsd_plain_prefix_part(html, html + strlen(html), m, &part), 0);
	bool headless = part.headless;
	if (headless) {
		ck_assert_ptr_nonnull(strstr(part.p, "<html lang=en><head></head><body>"));
		ck_assert_uint_eq(part.len, strlen(part.p));
	} else {
		ck_assert_ptr_eq(part.p, html);
	}
	rsd_plain_part_free(&part);
	return headless;
}

#define HEAD_OPEN "<head>\n<meta charset=utf-8><title>Cake</title>\n"
#define HEAD_BODY "<main><h1>Cake</h1>" ING STEPS "</main>"

/* The head's contents are left out only when gumbo reads the rest of the
 * page alike without them. */
START_TEST(head_left_out_when_nothing_else_changes)
{
	ck_assert(part_headless(HEAD_OPEN "<link rel=icon href=/i.png><base href=/>"
					  "<script src=a.js></script><style></style><!-- c -->"
					  "<noscript><style></style><link rel=x href=y></noscript>\n</head>",
				HEAD_BODY));
	/* elements that end the head early (then the rest is the body's) */
	ck_assert(!part_headless(HEAD_OPEN "<div>x</div>\n</head>", HEAD_BODY));
	ck_assert(!part_headless(HEAD_OPEN "<noscript><img src=p.gif></noscript>\n</head>",
				 HEAD_BODY));
	ck_assert(!part_headless(HEAD_OPEN "Stray text\n</head>", HEAD_BODY));
	/* a script whose text is left (the scanner may end it elsewhere than
	 * gumbo), comments gumbo ends otherwise than the scanner */
	ck_assert(!part_headless(HEAD_OPEN "<script>var a = 1;</script>\n</head>", HEAD_BODY));
	ck_assert(!part_headless(HEAD_OPEN "<!--> <div> -->\n</head>", HEAD_BODY));
	ck_assert(!part_headless(HEAD_OPEN "<!-- a --!> <div> -->\n</head>", HEAD_BODY));
	/* a mention of a list in the head, a head never closed */
	ck_assert(!part_headless("<head>\n<title>Ingredients and method</title>\n</head>", HEAD_BODY));
	ck_assert(!part_headless(HEAD_OPEN, HEAD_BODY));
}
END_TEST

/* Both extraction paths on html give the same record; its title. */
static char *both_paths(const char *html)
{
	rsd_extractor *x;
	ck_assert_int_eq(rsd_extractor_new(&x), 0);
	struct rsd_extract_result fast, full;
	ck_assert_int_eq(rsd_extract(x, html, strlen(html), "https://k.test/r", NULL, 0, &fast), 0);
	ck_assert_int_eq(rsd_extract(x, html, strlen(html), "https://k.test/r", NULL,
				     RSD_EXTRACT_FULL_PARSE, &full),
			 0);
	char *a = fast.record ? cJSON_PrintUnformatted(fast.record) : strdup("none");
	char *b = full.record ? cJSON_PrintUnformatted(full.record) : strdup("none");
	ck_assert_str_eq(a, b);
	free(b);
	rsd_extract_result_clear(&fast);
	rsd_extract_result_clear(&full);
	rsd_extractor_free(x);
	return a;
}

/* A page's start whose method has n steps and "Serve warm." last. */
static char *long_method(size_t n)
{
	static const char STEP[] =
		"<li>Stir the batter gently for one more minute, then scrape the bowl down.</li>";
	char *p = malloc(sizeof "<main><h1>Cake</h1>" ING "<h2>Method</h2><ol><li>Serve warm.</li></ol>" +
			 n * (sizeof STEP - 1)), *o = p;
	ck_assert_ptr_nonnull(p);
	o += sprintf(o, "<main><h1>Cake</h1>" ING "<h2>Method</h2><ol>");
	for (size_t i = 0; i < n; i++)
		o += sprintf(o, "%s", STEP);
	sprintf(o, "<li>Serve warm.</li></ol>");
	return p;
}

static void assert_head_paths_agree(const char *head, const char *before, const char *after,
				    size_t n_fill, const char *want)
{
	char *html = page_with_head(head, before, after, n_fill);
	char *rec = both_paths(html);
	if (want)
		ck_assert_msg(strstr(rec, want), "%s not in %s", want, rec);
	free(rec);
	free(html);
}

static void assert_paths_agree(const char *before, const char *after, size_t n_fill,
			       const char *want)
{
	assert_head_paths_agree("<title>Cake</title>", before, after, n_fill, want);
}

START_TEST(extractor_paths_agree)
{
	/* the recipe early in a long page: its first bytes */
	assert_paths_agree("<main><h1>Cake</h1><div>" ING STEPS "</div></main>", "", 8,
			   "\"ingredients\":[\"1 cup flour\",\"2 eggs\",\"3 tbsp sugar\"]");
	/* the method's list runs on into the filler, and past the cut */
	assert_paths_agree("<main><h1>Cake</h1>" ING "<h2>Method</h2><ol><li>Mix.</li>", "</ol></main>",
			   8, "\"title\":\"Cake\"");
	/* a named container after the cut takes precedence over the headings */
	assert_paths_agree("<main><h1>Cake</h1><div>" ING STEPS "</div></main>",
			   "<div class=ingredients><ul><li>5 g salt</li><li>1 l milk</li></ul></div>", 8,
			   NULL);
	/* a menu's mention first, the recipe far after it */
	assert_paths_agree("<nav><a href=/i>Ingredients</a></nav>",
			   "<main><h1>Pie</h1><div>" ING STEPS "</div></main>", 8, "\"title\":\"Pie\"");
	/* the first <h1> after the cut */
	assert_paths_agree("<main><div>" ING STEPS "</div></main>", "<h1>Late title</h1>", 8, NULL);
	/* no recipe at all: an ingredients word only */
	assert_paths_agree("<main><h1>Soap</h1><p>Ingredients: water.</p></main>", "", 8, "none");
	/* a Recipe without lists: they come from the part of the page that
	 * holds them (list_region.c) on the fast path, from the whole DOM
	 * with the full parse */
	assert_paths_agree("<script type=application/ld+json>{\"@context\":\"https://schema.org\","
			   "\"@type\":\"Recipe\",\"name\":\"Cake\",\"recipeIngredient\":\"flour\"}"
			   "</script>",
			   "<div id=main><div><div>" ING STEPS "</div></div></div>", 8,
			   "\"ingredients\":[\"1 cup flour\",\"2 eggs\",\"3 tbsp sugar\"]");
	/* a method that runs on past the cut (its first mention plus
	 * RSD_PLAIN_PREFIX_AFTER), though within the page's first three
	 * quarters: the cut reading is refused, the whole page gives it */
	char *steps = long_method(120); /* ~10 KB of steps */
	assert_paths_agree(steps, "</main>", 8, "\"Serve warm.\"]");
	free(steps);
	/* the ingredients' only container name past the cut, a heading's
	 * list before it: the container's list is the page's */
	assert_paths_agree("<main><h1>Cake</h1><div>" ING STEPS "</div>",
			   "<div class=ingredients><ul><li>5 g salt</li><li>1 l milk</li></ul></div>"
			   "</main>",
			   8, "\"ingredients\":[\"5 g salt\",\"1 l milk\"]");
	/* a head gumbo reads alike with or without its contents, which the
	 * parse of the first bytes leaves out */
	assert_head_paths_agree("<meta charset=utf-8><meta property=og:title content=\"Og cake\">"
				"<title>Cake</title><link rel=icon href=/i.png><script></script>"
				"<noscript><style></style></noscript>",
				"<main><h1>Cake</h1><div>" ING STEPS "</div></main>", "", 8,
				"\"title\":\"Cake\"");
	/* no <h1>: the text before the ingredients, read for yields and
	 * times, begins with the head's (its title), so the part without the
	 * head's contents is refused */
	assert_head_paths_agree("<title>Cake for a crowd. Serves: 12. Prep time: 5 minutes</title>",
				"<main><div>" ING STEPS "</div></main>", "", 8, NULL);
	/* a head that a <div> ends early: parsed as it is */
	assert_head_paths_agree("<title>Cake</title><div>Notice</div>",
				"<main><h1>Cake</h1><div>" ING STEPS "</div></main>", "", 8,
				"\"title\":\"Cake\"");
	/* unclosed and misnested markup around the recipe */
	assert_paths_agree("<main><h1>Cake<div><b>" ING "<p>" STEPS "</b></div>", "</i></main>", 8,
			   NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("plain_prefix");
	TCase *tc = tcase_create("prefix");
	tcase_add_test(tc, recipe_inside_the_cut);
	tcase_add_test(tc, reading_that_needs_more);
	tcase_add_test(tc, cut_past_title_and_mentions);
	tcase_add_test(tc, no_cut_when_it_cannot_pay);
	tcase_add_test(tc, head_left_out_when_nothing_else_changes);
	tcase_add_test(tc, extractor_paths_agree);
	suite_add_tcase(s, tc);
	return rsd_check_run(s);
}
