/* SPDX-License-Identifier: MIT */
/* Unit tests of the extractor's building blocks: text normalisation,
 * durations, UTF-8 repair, the streaming tag scanner and the page it
 * gives gumbo, charset detection,
 * tolerant JSON-LD parsing and the Kafka record wrapper. */
#include <check.h>
#include <gumbo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract/charset.h"
#include "extract/fields.h"
#include "extract/jsonld.h"
#include "extract/prose.h"
#include "extract/html_scan.h"
#include "extract/html_trim.h"
#include "extract/page_info.h"
#include "core/record.h"
#include "core/text.h"
#include "check_main.h"

static void assert_clean(const char *in, const char *want)
{
	char *got = rsd_text_clean(in, strlen(in));
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strcmp(got, want) == 0, "clean(\"%s\") = \"%s\", want \"%s\"", in, got, want);
	free(got);
}

START_TEST(entities)
{
	assert_clean("a &amp; b", "a & b");
	assert_clean("&lt;3 &#39;quoted&#x27; &eacute;t&eacute;", "<3 'quoted' été");
	assert_clean("&amp;amp; &amp;#8217;", "& \xE2\x80\x99"); /* double-encoded */
	assert_clean("&#150; &#x96;", "\xE2\x80\x93 \xE2\x80\x93"); /* windows-1252 C1 */
	assert_clean("&#0; &#xD800; &#1114112;", "\xEF\xBF\xBD \xEF\xBF\xBD \xEF\xBF\xBD");
	assert_clean("AT&T &unknown; & &", "AT&T &unknown; & &");
	assert_clean("&copy 2024 &notit;", "\xC2\xA9 2024 \xC2\xACit;"); /* legacy, no ';' */
	assert_clean("&frac12; cup&hellip;", "\xC2\xBD cup\xE2\x80\xA6");

	struct rsd_text_buf b = { 0 };
	ck_assert_int_eq(rsd_text_decode_entities("?a=1&copy=2&amp;b", 17, true, &b), 0);
	ck_assert_str_eq(b.data, "?a=1&copy=2&b"); /* attribute rule */
	rsd_text_buf_free(&b);
}
END_TEST

START_TEST(tags_and_whitespace)
{
	assert_clean("  <p>Hello <b>big</b>\n\t world</p>  ", "Hello big world");
	assert_clean("one<br>two<br/>three", "one two three");
	assert_clean("a < b and c > d", "a < b and c > d");
	assert_clean("&lt;strong&gt;bold&lt;/strong&gt; text", "bold text");
	assert_clean("x\xC2\xA0\xC2\xA0y\xE2\x80\x89z\xE3\x80\x80w", "x y z w");
	assert_clean("bom\xEF\xBB\xBFgone soft\xC2\xADhyphen", "bomgone soft\xC2\xADhyphen");
	assert_clean("ctrl\x01\x02"
		     "chars\x7F",
		     "ctrlchars");
	assert_clean("<!-- hidden -->shown", "shown");
	assert_clean("", "");
	assert_clean("   \n ", "");
}
END_TEST

START_TEST(durations)
{
	static const struct {
		const char *in;
		long want;
	} cases[] = {
		{ "PT1H30M", 90 },  { "P0DT0H20M", 20 },  { "PT90M", 90 }, { "PT1.5H", 90 },
		{ "PT0,5H", 30 },   { "PT45S", 1 },       { "PT29S", 0 },  { "P1D", 1440 },
		{ "P1DT2H", 1560 }, { "pt10m", 10 },      { "PT", -1 },    { "P", -1 },
		{ "PTxM", -1 },     { "PT5X", -1 },       { "P1H", -1 },   { "-PT5M", -1 },
		{ "PTH30MS", 30 },  { " PT15M ", -1 },    { "30", 30 },    { "1 hour 30 mins", 90 },
		{ "2 hrs", 120 },   { "45 minutes", 45 }, { "", -1 },      { "abc", -1 },
		{ NULL, -1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ck_assert_msg(rsd_text_duration_minutes(cases[i].in) == cases[i].want,
			      "duration(\"%s\") = %ld, want %ld",
			      cases[i].in ? cases[i].in : "NULL",
			      rsd_text_duration_minutes(cases[i].in), cases[i].want);
}
END_TEST

START_TEST(numbers)
{
	double v;
	ck_assert(rsd_text_first_number("551 kcal", &v));
	ck_assert_double_eq(v, 551);
	ck_assert(rsd_text_first_number("Calories: 1,5 g", &v));
	ck_assert_double_eq_tol(v, 1.5, 1e-9);
	ck_assert(!rsd_text_first_number("none", &v));
	ck_assert(!rsd_text_first_number(NULL, &v));
}
END_TEST

/* Letters of any script and digits say something; punctuation, symbols
 * and shapes alone do not. Quantities: digits and vulgar fractions. */
START_TEST(words_and_quantities)
{
	static const char *const WORDS[] = { "a",        "7",         "\xC2\xBD",
					     "\xC3\xA9", "\xC3\x96l", "\xE6\x97\xA5\xE6\x9C\xAC",
					     "\xD0\xB1", "[{ x",      NULL };
	static const char *const NONE[] = { "",
					    "[{",
					    "\"",
					    " -- ",
					    "\xE2\x80\xA2",
					    "\xE2\x80\x94",
					    "\xE2\x96\xA2",
					    "\xC2\xA0\xC2\xB7",
					    "\xEF\xBF\xBD",
					    NULL };
	for (size_t i = 0; WORDS[i]; i++)
		ck_assert_msg(rsd_text_has_word(WORDS[i]), "%s", WORDS[i]);
	for (size_t i = 0; NONE[i]; i++)
		ck_assert_msg(!rsd_text_has_word(NONE[i]), "%s", NONE[i]);
	ck_assert(!rsd_text_has_word(NULL));
	ck_assert(!rsd_text_has_word("\xE2\x80")); /* truncated: no letter */
	ck_assert(rsd_text_has_quantity("flour 200 g"));
	ck_assert(rsd_text_has_quantity("\xC2\xBD cup")); /* U+00BD */
	ck_assert(rsd_text_has_quantity("\xE2\x85\x93 cup")); /* U+2153 */
	ck_assert(!rsd_text_has_quantity("For the sauce:"));
	ck_assert(!rsd_text_has_quantity(NULL));
}
END_TEST

/* The check reads long ASCII runs 32 bytes a step: a bad byte, a NUL or
 * a valid sequence at any place of a block, or split across two blocks,
 * in pages of any length, reads as byte by byte. */
START_TEST(utf8_in_blocks)
{
	static const struct {
		const char *s;
		size_t len;
		bool valid;
	} probes[] = { { "\xFF", 1, false },     { "", 1, false },
		       { "\xC3\xA9", 2, true },  { "\xE2\x82\xAC", 3, true },
		       { "\xE2\x82", 2, false }, { "\xF0\x9F\x8D\xB0", 4, true } };
	char page[100];
	for (size_t k = 0; k < sizeof probes / sizeof probes[0]; k++) {
		for (size_t len = probes[k].len; len <= sizeof page; len++) {
			for (size_t at = 0; at + probes[k].len <= len; at++) {
				memset(page, 'a', sizeof page);
				memcpy(page + at, probes[k].s, probes[k].len);
				ck_assert_msg(rsd_text_utf8_valid(page, len) == probes[k].valid,
					      "probe %zu at %zu of %zu", k, at, len);
			}
		}
	}
}
END_TEST

START_TEST(utf8)
{
	ck_assert(rsd_text_utf8_valid("plain ascii text, long enough for words", 39));
	ck_assert(rsd_text_utf8_valid("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x8D\xB0", 9));
	ck_assert(!rsd_text_utf8_valid("a\0b", 3));
	ck_assert(!rsd_text_utf8_valid("\xC0\xAF", 2)); /* overlong */
	ck_assert(!rsd_text_utf8_valid("\xED\xA0\x80", 3)); /* surrogate */
	ck_assert(!rsd_text_utf8_valid("\xF4\x90\x80\x80", 4)); /* > U+10FFFF */
	ck_assert(!rsd_text_utf8_valid("\xE2\x82", 2)); /* truncated */

	struct rsd_text_buf b = { 0 };
	ck_assert_int_eq(rsd_text_utf8_repair("a\xFF"
					      "b\xE2\x82"
					      "c\0d\xF0\x9F\x8D",
					      11, &b),
			 0);
	ck_assert_str_eq(b.data, "a\xEF\xBF\xBD"
				 "b\xEF\xBF\xBD"
				 "cd\xEF\xBF\xBD");
	rsd_text_buf_free(&b);
}
END_TEST

START_TEST(scanner)
{
	const char html[] =
		"<!DOCTYPE html><!-- <meta name=x content=hidden> --><HTML Lang=EN>"
		"<meta name='a' content=\"b > c\" content=dup>"
		"<script type=application/ld+json>{\"a\":\"</scrip\"}</SCRIPT >"
		"<p <a href=x>1 < 2</p><a href=unquoted/path?x=1>t</a><style><a href=no></style>"
		"<br/><img src=y/><textarea><a href=no></textarea></a>";
	struct rsd_html_scanner s;
	struct rsd_html_tag t;
	rsd_html_scan_init(&s, html, sizeof html - 1);
	const char *seen[32];
	size_t n = 0;
	char buf[512] = "";
	while (rsd_html_scan_next(&s, &t) && n < 32) {
		char one[96];
		snprintf(one, sizeof one, "%s%.*s", t.is_end ? "/" : "", (int)t.name_len, t.name);
		const struct rsd_html_attr *h = rsd_html_scan_attr(&t, "href");
		if (h)
			snprintf(one + strlen(one), sizeof one - strlen(one), "[%.*s]",
				 (int)h->value_len, h->value);
		if (rsd_html_scan_is(&t, "meta")) {
			const struct rsd_html_attr *c = rsd_html_scan_attr(&t, "content");
			ck_assert_ptr_nonnull(c);
			snprintf(one + strlen(one), sizeof one - strlen(one), "{%.*s}",
				 (int)c->value_len, c->value);
		}
		if (t.text)
			snprintf(one + strlen(one), sizeof one - strlen(one), "(%.*s)",
				 (int)t.text_len, t.text);
		strcat(buf, one);
		strcat(buf, " ");
		seen[n++] = t.name;
	}
	ck_assert_str_eq(buf, "HTML meta{b > c} script({\"a\":\"</scrip\"}) /SCRIPT p[x] /p "
			      "a[unquoted/path?x=1] /a style(<a href=no>) /style br img "
			      "textarea(<a href=no>) /textarea /a ");
	(void)seen;
	/* truncated inputs end cleanly */
	for (size_t len = 0; len < sizeof html - 1; len++) {
		rsd_html_scan_init(&s, html, len);
		size_t k = 0;
		while (rsd_html_scan_next(&s, &t))
			ck_assert_uint_lt(k++, 64);
	}
}
END_TEST

START_TEST(charset)
{
	char label[32];
	ck_assert_uint_eq(rsd_charset_detect("\xEF\xBB\xBFhi", 5, "text/html; charset=latin1",
					     label, sizeof label),
			  3);
	ck_assert_str_eq(label, "utf-8");
	ck_assert_uint_eq(rsd_charset_detect("<p>", 3, "text/html;charset=\"Shift_JIS\"", label,
					     sizeof label),
			  0);
	ck_assert_str_eq(label, "shift_jis");
	const char meta[] =
		"<head><META http-equiv=Content-Type content='text/html; charset=KOI8-R'>";
	rsd_charset_detect(meta, sizeof meta - 1, NULL, label, sizeof label);
	ck_assert_str_eq(label, "koi8-r");
	rsd_charset_detect("<meta charset=\"windows-1251\">", 29, "text/html", label, sizeof label);
	ck_assert_str_eq(label, "windows-1251");
	rsd_charset_detect("<p>", 3, NULL, label, sizeof label);
	ck_assert_str_eq(label, "utf-8");

	const char *out;
	size_t len;
	struct rsd_text_buf b = { 0 };
	ck_assert_int_eq(
		rsd_charset_to_utf8("caf\xE9", 4, "text/html; charset=iso-8859-1", &out, &len, &b),
		0);
	ck_assert_uint_eq(len, 5);
	ck_assert(memcmp(out, "caf\xC3\xA9", 5) == 0);
	rsd_text_buf_free(&b);
	/* UTF-16LE with BOM */
	ck_assert_int_eq(rsd_charset_to_utf8("\xFF\xFEh\0i\0", 6, NULL, &out, &len, &b), 0);
	ck_assert_uint_eq(len, 2);
	ck_assert(memcmp(out, "hi", 2) == 0);
	rsd_text_buf_free(&b);
	/* valid UTF-8: no copy */
	const char u[] = "d\xC3\xA9j\xC3\xA0";
	ck_assert_int_eq(rsd_charset_to_utf8(u, sizeof u - 1, NULL, &out, &len, &b), 0);
	ck_assert_ptr_eq(out, u);
	ck_assert_ptr_null(b.data);
	/* unknown label: treated as UTF-8 and repaired */
	ck_assert_int_eq(
		rsd_charset_to_utf8("a\xFF", 2, "text/html; charset=x-bogus", &out, &len, &b), 0);
	ck_assert_uint_eq(len, 4);
	rsd_text_buf_free(&b);
}
END_TEST

START_TEST(jsonld_recovery)
{
	static const char *const ok[] = {
		"{\"a\":1,}",
		"<!-- {\"a\":1} -->",
		"<![CDATA[{\"a\":1}]]>",
		"//<![CDATA[\n{\"a\":1}\n//]]>",
		"{\"a\":\"line\nbreak\"}",
		"{\"a\":1} {\"b\":2}",
		"{\"a\":1},{\"b\":2};",
		"{\"a\":\"\\'quoted\\'\"}",
		"{\"a\":1 /* c */, // c\n \"b\":[1,2,],}",
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		cJSON *v = rsd_jsonld_parse(ok[i], strlen(ok[i]));
		ck_assert_msg(v != NULL, "not recovered: %s", ok[i]);
		cJSON_Delete(v);
	}
	cJSON *two = rsd_jsonld_parse("{\"a\":1} {\"b\":2}", 15);
	ck_assert(cJSON_IsArray(two));
	ck_assert_int_eq(cJSON_GetArraySize(two), 2);
	cJSON_Delete(two);
	static const char *const bad[] = { "", "   ", "not json", "{\"a\":", "<!-- -->" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_ptr_null(rsd_jsonld_parse(bad[i], strlen(bad[i])));

	cJSON *doc = cJSON_Parse(
		"{\"@graph\":[{\"@type\":\"Recipe\",\"name\":\"stub\"},"
		"{\"@type\":[\"http://schema.org/Recipe\"],\"recipeIngredient\":[\"x\"]}]}");
	const cJSON *r = rsd_jsonld_find_recipe(&doc, 1);
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(r, "recipeIngredient")); /* the complete one */
	cJSON_Delete(doc);
}
END_TEST

START_TEST(yields)
{
	static const char *const cases[][2] = {
		{ "4", "4 servings" },           { "1", "1 serving" },
		{ "4-6", "4-6 servings" },       { "Serves 4", "4 servings" },
		{ "Servings: 6", "6 servings" }, { "12 cookies", "12 cookies" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *y = rsd_fields_yields_text(cases[i][0]);
		ck_assert_str_eq(y, cases[i][1]);
		free(y);
	}
}
END_TEST

/* Yields and times in the text between a plain page's title and its
 * ingredients: labelled anywhere, or unlabelled on a line of facts. */
START_TEST(prose_fields)
{
	static const struct {
		const char *text, *yields;
		long total;
	} cases[] = {
		{ "Serves 4\nPrep: 10 min\nCook: 20 min", "4 servings", 30 },
		{ "Prep 10\xc2\xa0min, cook 20\xc2\xa0minutes", NULL, 30 }, /* no-break spaces */
		{ "4\xc2\xa0servings | 1\xc2\xa0hour", "4 servings", 60 },
		{ "10 pieces \xe2\x80\x94 20 minutes", "10 pieces", 20 },
		{ "4 servings\xe2\x80\x94"
		  "1 h 15 min.",
		  "4 servings", 75 },
		{ "Serves 4 | 1 hour 10 min", "4 servings", 70 },
		{ "Makes 12 small cookies \xc2\xb7 45 min", "12 small cookies", 45 },
		{ "20\xe2\x80\x93"
		  "25 minutes / 6 slices",
		  "6 slices", 20 }, /* a range, then a count */
		{ "5 ingredients \xe2\x80\xa2 30 minutes", NULL, 30 },
		{ "A quick cake.\n  8 slices - 50 min  \nWe love it.", "8 slices", 50 },
		{ "Ready in 40 minutes\n2 loaves | 3 hours", "2 loaves", 40 }, /* the label wins */
		/* no line of facts: */
		{ "March 3, 2021 \xc2\xb7 5 min read", NULL, -1 },
		{ "By Ada | 20 minutes", NULL, -1 },
		{ "3 comments \xc2\xb7 6 min", NULL, -1 }, /* the page's metadata */
		{ "10 min \xe2\x80\x94 20 min", NULL, -1 }, /* two durations */
		{ "4 \xe2\x80\x94 20 minutes", NULL, -1 }, /* a bare number */
		{ "2 eggs | 3 apples | 20 minutes", NULL, -1 }, /* two counts */
		{ "20 minutes", NULL, -1 },
		{ "We baked 10 pieces in 20 minutes, then 10 more | 5 minutes", NULL, -1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct rsd_recipe_fields f;
		rsd_fields_init(&f);
		ck_assert_int_eq(rsd_prose_fields(cases[i].text, strlen(cases[i].text), &f), 0);
		ck_assert_msg(cases[i].yields ? f.yields && strcmp(f.yields, cases[i].yields) == 0
					      : !f.yields,
			      "\"%s\": yields \"%s\"", cases[i].text,
			      f.yields ? f.yields : "(none)");
		ck_assert_msg(f.total_time == cases[i].total, "\"%s\": total %ld", cases[i].text,
			      f.total_time);
		rsd_fields_clear(&f);
	}
}
END_TEST

START_TEST(record_wrapper)
{
	char ts[32];
	rsd_format_rfc3339(0, ts, sizeof ts);
	ck_assert_str_eq(ts, "1970-01-01T00:00:00Z");
	rsd_format_rfc3339(1795000000, ts, sizeof ts);
	ck_assert_str_eq(ts, "2026-11-18T11:06:40Z");

	cJSON *rec = cJSON_Parse("{\"schema\":1,\"title\":\"T\",\"calories\":350}");
	struct rsd_record *r = rsd_record_new("https://h.test/r", rec, "<html>", 6);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->url, "https://h.test/r");
	ck_assert_uint_eq(r->raw_len, 6);
	ck_assert_str_eq(r->raw_html, "<html>");
	ck_assert_double_eq(r->calories, 350);
	ck_assert_uint_eq(r->json_len, strlen(r->json));
	cJSON *back = cJSON_Parse(r->json);
	const cJSON *at = cJSON_GetObjectItem(back, "scraped_at");
	ck_assert(cJSON_IsString(at));
	ck_assert_uint_eq(strlen(at->valuestring), 20);
	ck_assert_int_eq(at->valuestring[19], 'Z');
	cJSON_Delete(back);
	/* The ring's charge: what r holds plus librdkafka's compressed copies,
	 * the JSON's always and the raw page's only when it is compressed. */
	size_t plain = rsd_record_bytes(r, false);
	ck_assert_uint_ge(plain, sizeof(*r) + strlen(r->url) + 2 * r->json_len + r->raw_cap);
	ck_assert_uint_eq(rsd_record_bytes(r, true), plain + r->raw_len);
	rsd_record_free(r);
	/* an existing scraped_at is kept; no raw page */
	cJSON_ReplaceItemInObject(rec, "scraped_at", cJSON_CreateString("2020-01-01T00:00:00Z"));
	r = rsd_record_new("u", rec, NULL, 0);
	ck_assert_ptr_nonnull(strstr(r->json, "2020-01-01T00:00:00Z"));
	ck_assert_ptr_null(r->raw_html);
	ck_assert_uint_eq(rsd_record_bytes(r, true), rsd_record_bytes(r, false));
	rsd_record_free(r);
	cJSON_Delete(rec);
	ck_assert_ptr_null(rsd_record_new(NULL, NULL, NULL, 0));
	rsd_record_free(NULL);
}
END_TEST

/* ---- the page gumbo parses on the fast path (extract/html_trim.h) ----
 *
 * Without script and style contents, its DOM must be the page's DOM node
 * for node (tags, namespaces, attributes, text, how the tree builder made
 * each node) but for the text inside <script> and <style>. The pages below
 * are the shapes where the streaming scanner and gumbo's tokenizer could
 * disagree on where those contents end; each also says whether anything
 * may be cut. */

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
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("units");
	tcase_add_test(tc, entities);
	tcase_add_test(tc, tags_and_whitespace);
	tcase_add_test(tc, durations);
	tcase_add_test(tc, numbers);
	tcase_add_test(tc, words_and_quantities);
	tcase_add_test(tc, utf8);
	tcase_add_test(tc, utf8_in_blocks);
	tcase_add_test(tc, scanner);
	tcase_add_test(tc, cuts_scripts_and_styles);
	tcase_add_test(tc, stops_where_the_scanner_may_disagree);
	tcase_add_test(tc, charset);
	tcase_add_test(tc, jsonld_recovery);
	tcase_add_test(tc, yields);
	tcase_add_test(tc, prose_fields);
	tcase_add_test(tc, record_wrapper);
	suite_add_tcase(s, tc);
	return s;
}

RSD_CHECK_MAIN(suite)
