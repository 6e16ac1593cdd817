/* SPDX-License-Identifier: MIT */
/* The page gumbo parses for the DOM fallbacks, without script and style
 * contents (extract/html_trim.h): its DOM must be the page's DOM node for
 * node (tags, namespaces, attributes, text, how the tree builder made each
 * node) but for the text inside <script> and <style>. The pages below are
 * the shapes where the streaming scanner and gumbo's tokenizer could
 * disagree on where those contents end; each also says whether anything
 * may be cut. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gumbo.h>

#include "extract/html_trim.h"
#include "extract/page_info.h"

struct out {
	char *data;
	size_t len;
	FILE *f;
};

static void dump(const GumboNode *n, FILE *f, bool in_raw_text);

static void dump_children(const GumboVector *v, FILE *f, bool in_raw_text)
{
	for (unsigned i = 0; i < v->length; i++)
		dump(v->data[i], f, in_raw_text);
}

/* One line per node; the text of script and style elements left out. */
static void dump(const GumboNode *n, FILE *f, bool in_raw_text)
{
	if (n->type == GUMBO_NODE_DOCUMENT) {
		dump_children(&n->v.document.children, f, false);
		return;
	}
	if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_TEMPLATE) {
		if (!in_raw_text)
			fprintf(f, "text %d [%s] %x\n", (int)n->type, n->v.text.text,
				n->parse_flags);
		return;
	}
	const GumboElement *e = &n->v.element;
	fprintf(f, "<%d ns %d %x", (int)e->tag, (int)e->tag_namespace, n->parse_flags);
	for (unsigned i = 0; i < e->attributes.length; i++) {
		const GumboAttribute *a = e->attributes.data[i];
		fprintf(f, " %s=[%s]", a->name, a->value);
	}
	fputs(">\n", f);
	dump_children(&e->children, f, e->tag == GUMBO_TAG_SCRIPT || e->tag == GUMBO_TAG_STYLE);
	fputs("</>\n", f);
}

static char *dom_of(const char *html, size_t len)
{
	GumboOptions o = kGumboDefaultOptions;
	o.max_errors = 0;
	GumboOutput *dom = gumbo_parse_with_options(&o, html, len);
	ck_assert_ptr_nonnull(dom);
	struct out out = { 0 };
	out.f = open_memstream(&out.data, &out.len);
	ck_assert_ptr_nonnull(out.f);
	dump(dom->document, out.f, false);
	fclose(out.f);
	gumbo_destroy_output(&o, dom);
	return out.data;
}

/* Trims the page as the fast path does; returns the bytes cut and checks
 * that the DOM did not change. */
static size_t check_trim(const char *html)
{
	size_t len = strlen(html), trimmed_len = 0;
	struct rsd_page_info pi = { 0 };
	struct rsd_page_tree tree;
	struct rsd_html_trim trim = { 0 };
	bool nomem;
	ck_assert_int_eq(rsd_page_info_scan(html, len, false, &pi, &tree, &trim), 0);
	char *trimmed = rsd_html_trim_copy(&trim, html, len, &trimmed_len, &nomem);
	ck_assert(!nomem);
	size_t cut = trimmed ? len - trimmed_len : 0;
	if (trimmed) {
		char *want = dom_of(html, len), *got = dom_of(trimmed, trimmed_len);
		ck_assert_msg(strcmp(want, got) == 0, "page %s\nDOM\n%s\ntrimmed DOM\n%s", html,
			      want, got);
		free(want);
		free(got);
	}
	free(trimmed);
	rsd_html_trim_clear(&trim);
	rsd_page_info_clear(&pi);
	return cut;
}

START_TEST(cuts_scripts_and_styles)
{
	ck_assert_uint_eq(check_trim("<html><head><style>p { color: red }</style>"
				     "<script>var a = '<b>' < 2;</script></head>"
				     "<body><p>x<SCRIPT type=x>y</SCRIPT >z</p></body></html>"),
			  strlen("p { color: red }") + strlen("var a = '<b>' < 2;") + 1);
	/* in a table the tree builder reads both as in the head */
	ck_assert_uint_eq(check_trim("<table><style>td{}</style><tr><td>1<script>f()</script>"
				     "</table>"),
			  strlen("td{}") + strlen("f()"));
	/* an <svg> icon with its title, then HTML again */
	ck_assert_uint_eq(check_trim("<svg viewBox='0 0 1 1'><title>Icon</title><path d='M0'/>"
				     "</svg><script>go()</script>"),
			  strlen("go()"));
	/* a script gumbo's escaped states end where the scanner does */
	ck_assert_uint_eq(check_trim("<script><!-- a < b --></script><style>s</style>"),
			  strlen("<!-- a < b -->") + 1);
}
END_TEST

START_TEST(stops_where_the_scanner_may_disagree)
{
	/* "<script" in escaped text: gumbo ends this script at the second
	 * "</script>", the scanner at the first */
	ck_assert_uint_eq(check_trim("<script>1</script><script><!-- <script>a</script>b -->"
				     "</script><style>c</style><p>d</p>"),
			  1);
	/* "in select" ignores <style>: its contents are markup */
	ck_assert_uint_eq(
		check_trim("<select><style>q<option>r</style></select><script>s</script>"), 0);
	/* HTML inside <svg> (an integration point) and a breakout tag */
	ck_assert_uint_eq(check_trim("<svg><foreignObject><script>a</script></foreignObject>"
				     "<script>b<g/></script></svg><style>c</style>"),
			  0);
	ck_assert_uint_eq(check_trim("<svg><b></b><script>a<g/></script></svg><style>c</style>"),
			  0);
	ck_assert_uint_eq(check_trim("<svg></math><script>a<g/></script><style>c</style>"), 0);
	ck_assert_uint_eq(check_trim("<svg><title><i>t</i></title><script>a<g/></script></svg>"
				     "<style>c</style>"),
			  0);
	/* a CDATA section and a "--!>" comment end in the markup */
	ck_assert_uint_eq(check_trim("<style>a</style><svg><![CDATA[ x > </svg><style>y ]]></svg>"
				     "<style>z</style>"),
			  1);
	ck_assert_uint_eq(check_trim("<style>a</style><!-- c --!><script>b</script> -->"
				     "<style>d</style>"),
			  1);
	ck_assert_uint_eq(check_trim("<frameset><style>a</style></frameset>"), 0);
	/* no end tag: the contents run to the end of the page */
	ck_assert_uint_eq(check_trim("<p>a<script>b</script"), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("html_trim");
	TCase *tc = tcase_create("units");
	tcase_add_test(tc, cuts_scripts_and_styles);
	tcase_add_test(tc, stops_where_the_scanner_may_disagree);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
