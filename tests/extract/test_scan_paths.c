/* SPDX-License-Identifier: MIT */
/* Unit tests of the fast paths of the streaming extraction: the scanner's
 * byte classes and hashed tag names, text cleaning that stores bytes in
 * place, and URL resolution against a base parsed once. Each fast path
 * must give what the plain code it replaced gave. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract/extract.h"
#include "extract/fields.h"
#include "extract/html_scan.h"
#include "core/text.h"
#include "check_main.h"

/* The first tag of html. */
static struct rsd_html_tag first_tag(const char *html)
{
	struct rsd_html_scanner s;
	struct rsd_html_tag t;
	rsd_html_scan_init(&s, html, strlen(html));
	ck_assert(rsd_html_scan_next(&s, &t));
	return t;
}

START_TEST(tag_names_any_case)
{
	static const struct {
		const char *html;
		enum rsd_html_tag_id id;
		unsigned flags;
	} CASES[] = {
		{ "<SCRIPT>x</SCRIPT>", RSD_HTML_SCRIPT, RSD_HTML_RAW_TEXT },
		{ "<sCrIpT type=a>", RSD_HTML_SCRIPT, RSD_HTML_RAW_TEXT },
		{ "<Meta name=a>", RSD_HTML_META, RSD_HTML_BREAKOUT | RSD_HTML_FLAT },
		{ "<a href=x>", RSD_HTML_A, 0 },
		{ "<LI>", RSD_HTML_OTHER, RSD_HTML_BREAKOUT | RSD_HTML_FLAT },
		{ "<plaintext>", RSD_HTML_PLAINTEXT, RSD_HTML_RAW_TEXT },
		/* past eight bytes the rest of the name decides */
		{ "<foreignObject>", RSD_HTML_OTHER, RSD_HTML_HTML_POINT },
		{ "<foreignObjecx>", RSD_HTML_OTHER, 0 },
		{ "<annotation-XML>", RSD_HTML_OTHER, RSD_HTML_HTML_POINT },
		{ "<blockquote>", RSD_HTML_OTHER, RSD_HTML_BREAKOUT },
		{ "<blockquotes>", RSD_HTML_OTHER, 0 },
		/* a known name's prefix, or a longer name sharing it, is unknown */
		{ "<scripts>", RSD_HTML_OTHER, 0 },
		{ "<scrip>", RSD_HTML_OTHER, 0 },
		{ "<ab>", RSD_HTML_OTHER, 0 },
		{ "<svg>", RSD_HTML_OTHER, RSD_HTML_FOREIGN },
		{ "<x-recipe-card-with-a-long-name>", RSD_HTML_OTHER, 0 },
		/* not a letter: the 0x20 of lowercase must not turn '@' into '`' */
		{ "<d@v>", RSD_HTML_OTHER, 0 },
		{ "<d[v>", RSD_HTML_OTHER, 0 },
		/* names read in one word (eight bytes left in the page) and byte
		 * by byte (fewer, at its end) alike */
		{ "<SCRIPT>", RSD_HTML_SCRIPT, RSD_HTML_RAW_TEXT },
		{ "<SCRIPT> ", RSD_HTML_SCRIPT, RSD_HTML_RAW_TEXT },
		{ "<Br", RSD_HTML_OTHER, RSD_HTML_BREAKOUT | RSD_HTML_FLAT },
		{ "<Br/>     ", RSD_HTML_OTHER, RSD_HTML_BREAKOUT | RSD_HTML_FLAT },
		{ "<NOFRAMES", RSD_HTML_OTHER, RSD_HTML_RAW_TEXT },
		{ "<NoFrames>x</NoFrames>", RSD_HTML_OTHER, RSD_HTML_RAW_TEXT },
	};
	for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
		struct rsd_html_tag t = first_tag(CASES[i].html);
		ck_assert_msg(t.id == CASES[i].id && t.flags == CASES[i].flags,
			      "%s: id %d flags %u", CASES[i].html, (int)t.id, t.flags);
	}
}
END_TEST

/* HTML5 keeps the first of duplicate attributes, whatever their case;
 * names that share a length and a first letter are no duplicates. */
START_TEST(duplicate_attributes_keep_the_first)
{
	struct rsd_html_tag t = first_tag("<p ab=1 ac=2 AB=3 aC=4 b=5 B=6>");
	ck_assert_uint_eq(t.n_attrs, 3);
	ck_assert(t.attrs[0].value_len == 1 && t.attrs[0].value[0] == '1');
	ck_assert(t.attrs[1].value_len == 1 && t.attrs[1].value[0] == '2');
	ck_assert(t.attrs[2].value_len == 1 && t.attrs[2].value[0] == '5');
	/* past the limit a wanted attribute takes the last slot, and its
	 * duplicate is still one; an unwanted name the slot held before is
	 * no duplicate any more, and is dropped as unwanted */
	char html[512], *o = html;
	o += sprintf(o, "<p");
	for (int i = 0; i < RSD_HTML_SCAN_MAX_ATTRS - 1; i++)
		o += sprintf(o, " k%d=1", i);
	sprintf(o, " x=1 itemprop=one ITEMPROP=two x=3>");
	t = first_tag(html);
	ck_assert_uint_eq(t.n_attrs, RSD_HTML_SCAN_MAX_ATTRS);
	const struct rsd_html_attr *a = rsd_html_scan_attr(&t, "itemprop");
	ck_assert(a == &t.attrs[RSD_HTML_SCAN_MAX_ATTRS - 1] && a->value_len == 3 &&
		  strncmp(a->value, "one", 3) == 0);
	ck_assert_ptr_null(rsd_html_scan_attr(&t, "x"));
}
END_TEST

START_TEST(attributes_by_class)
{
	/* white space of every kind, '/' between attributes, '=' starting a
	 * name, an unquoted value ending at '>' */
	struct rsd_html_tag t = first_tag("<a\tHREF\f=\r'x y'/ =b\ndata=1 href=z rel=nofollow>");
	ck_assert_uint_eq(t.n_attrs, 4);
	const struct rsd_html_attr *a = rsd_html_scan_attr(&t, "href");
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq((int)a->value_len, 3); /* the first of two */
	ck_assert(strncmp(a->value, "x y", 3) == 0);
	ck_assert_int_eq((int)t.attrs[1].name_len, 2); /* "=b" */
	a = rsd_html_scan_attr(&t, "rel");
	ck_assert(a && a->value_len == 8 && strncmp(a->value, "nofollow", 8) == 0);
	/* same length, other first letter; same first letter, other length */
	ck_assert_ptr_null(rsd_html_scan_attr(&t, "data-"));
	ck_assert_ptr_null(rsd_html_scan_attr(&t, "dat"));
	ck_assert_ptr_null(rsd_html_scan_attr(&t, "mata"));
	ck_assert_ptr_nonnull(rsd_html_scan_attr(&t, "data"));
	/* a name ends at '/', and so does a tag's name */
	t = first_tag("<img/src=a.jpg/>");
	ck_assert_int_eq((int)t.name_len, 3);
	a = rsd_html_scan_attr(&t, "src");
	ck_assert(a && a->value_len == 6);
	ck_assert(t.self_closing);
}
END_TEST

/* The attribute a reader asks for, found the plain way: the first of the
 * kept ones with that name, any case. */
static const struct rsd_html_attr *attr_by_search(const struct rsd_html_tag *t, const char *name)
{
	for (size_t i = 0; i < t->n_attrs; i++)
		if (t->attrs[i].name_len == strlen(name) &&
		    strncasecmp(t->attrs[i].name, name, t->attrs[i].name_len) == 0)
			return &t->attrs[i];
	return NULL;
}

/* rsd_html_scan_attr rules names out by the tag's attr_sigs before it
 * compares any: over tags of random attributes (names sharing lengths and
 * first letters, any case, duplicates, past the attribute limit, on end
 * tags) it finds what the search of every kept attribute finds. */
START_TEST(attribute_signatures)
{
	static const char *const NAMES[] = { "href",  "HREF",  "hreg", "itemtype", "ItemScope",
					     "class", "CLASS", "cls",  "id",       "i",
					     "hidden", "style", "data-x", "src",     "itemprop" };
	static const char *const ASK[] = { "href",   "hreg",  "itemtype", "itemscope", "class",
					   "cls",    "id",    "i",        "hidden",    "style",
					   "data-x", "src",   "itemprop", "content",   "h" };
	const size_t n_names = sizeof NAMES / sizeof NAMES[0];
	unsigned seed = 12345;
	char html[2048];
	for (int round = 0; round < 2000; round++) {
		size_t o = (size_t)sprintf(html, "<%sp", round % 7 == 0 ? "/" : "");
		seed = seed * 1103515245u + 12345u;
		int n = (int)((seed >> 16) % 40);
		for (int i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			o += (size_t)sprintf(html + o, " %s=%d", NAMES[(seed >> 16) % n_names], i);
		}
		sprintf(html + o, ">");
		struct rsd_html_tag t = first_tag(html);
		for (size_t k = 0; k < sizeof ASK / sizeof ASK[0]; k++)
			ck_assert_msg(rsd_html_scan_attr(&t, ASK[k]) == attr_by_search(&t, ASK[k]),
				      "%s: %s", html, ASK[k]);
		if (t.is_end)
			ck_assert(t.n_attrs == 0 && t.attr_sigs == 0);
	}
}
END_TEST

static void assert_clean(const char *in, const char *want)
{
	char *got = rsd_text_clean(in, strlen(in));
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strcmp(got, want) == 0, "clean(\"%s\") = \"%s\", want \"%s\"", in, got, want);
	free(got);
}

START_TEST(clean_in_place)
{
	assert_clean("", "");
	assert_clean(" \t\n", "");
	assert_clean("a", "a");
	/* every kind of dropped byte between two words, and none */
	assert_clean("  salt &amp; pepper  ", "salt & pepper");
	assert_clean("a<br>b", "a b");
	assert_clean("a<b>b</b>c", "abc");
	assert_clean("a\x01\x7f"
		     "b",
		     "ab");
	assert_clean("a\xC2\xA0\xE2\x80\x89"
		     "b",
		     "a b");
	assert_clean("a\xEF\xBB\xBF"
		     "b",
		     "ab");
	assert_clean("1 < 2 <3", "1 < 2 <3");
	assert_clean("caf\xC3\xA9 <p> cr\xC3\xA8me </p>", "caf\xC3\xA9 cr\xC3\xA8me");
	/* the longest output for its input: no byte dropped */
	assert_clean("x~y!z", "x~y!z");
	/* many tags and spaces: the output stays within the input's length */
	char in[4096], want[4096];
	size_t n = 0, w = 0;
	for (int i = 0; i < 300; i++) {
		n += (size_t)sprintf(in + n, "<i>%d</i> <br>", i % 10);
		w += (size_t)sprintf(want + w, i ? " %d" : "%d", i % 10);
	}
	assert_clean(in, want);
}
END_TEST

/* Text that needs no repair is cleaned from the caller's bytes, without
 * a copy; text with invalid UTF-8 from its repaired copy. Both read only
 * the len bytes given, and decode references (twice escaped too) alike. */
START_TEST(clean_without_a_copy)
{
	static const struct {
		const char *in;
		size_t len;
		const char *want;
	} CASES[] = {
#define WHOLE(s) s, sizeof s - 1
		{ WHOLE("salt &amp;amp; pepper"), "salt & pepper" },
		{ WHOLE("salt &amp;amp; pepper\xFF"), "salt & pepper\xEF\xBF\xBD" },
		{ WHOLE("a\0b &amp; c"), "ab & c" },
		{ WHOLE("caf\xC3\xA9 &amp; <b>x</b>"), "caf\xC3\xA9 & x" },
		{ WHOLE("&amp;amp;amp;amp;"), "&amp;" }, /* three decodings at most */
#undef WHOLE
		/* a slice: the bytes after len are not read */
		{ "abc&amp;def", 5, "abc&a" },
		{ "abc\xC3\xA9"
		  "def",
		  4, "abc\xEF\xBF\xBD" },
	};
	for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
		char *got = rsd_text_clean(CASES[i].in, CASES[i].len);
		ck_assert_ptr_nonnull(got);
		ck_assert_msg(strcmp(got, CASES[i].want) == 0, "case %zu: \"%s\"", i, got);
		free(got);
	}
}
END_TEST

/* The repair skips valid runs in blocks: a bad byte or a NUL at any place
 * of a long ASCII text, or a valid sequence there, comes out as it does
 * byte by byte (U+FFFD, dropped, kept). */
START_TEST(repair_in_blocks)
{
	static const struct {
		const char *s;
		size_t len;
		const char *out;
	} probes[] = { { "\xFF", 1, "\xEF\xBF\xBD" },
		       { "", 1, "" },
		       { "\xC3\xA9", 2, "\xC3\xA9" },
		       { "\xE2\x82", 2, "\xEF\xBF\xBD" },
		       { "\xF0\x9F\x8D\xB0", 4, "\xF0\x9F\x8D\xB0" } };
	char page[100], want[120];
	for (size_t k = 0; k < sizeof probes / sizeof probes[0]; k++) {
		for (size_t len = probes[k].len; len <= sizeof page; len++) {
			for (size_t at = 0; at + probes[k].len <= len; at++) {
				memset(page, 'a', sizeof page);
				memcpy(page + at, probes[k].s, probes[k].len);
				size_t o = strlen(probes[k].out);
				memset(want, 'a', at);
				memcpy(want + at, probes[k].out, o);
				memset(want + at + o, 'a', len - at - probes[k].len);
				want[len - probes[k].len + o] = '\0';
				struct rsd_text_buf b = { 0 };
				ck_assert_int_eq(rsd_text_utf8_repair(page, len, &b), 0);
				ck_assert_msg(b.len == strlen(want) && memcmp(b.data, want, b.len) == 0,
					      "probe %zu at %zu of %zu", k, at, len);
				rsd_text_buf_free(&b);
			}
		}
	}
}
END_TEST

/* rsd_url_resolve with a base parsed once gives resolve_url's result. */
static void assert_same_resolution(const char *base, const char *ref, bool drop_fragment)
{
	struct rsd_url_base b;
	ck_assert_int_eq(rsd_url_base_init(&b, base), 0);
	char *once = rsd_url_resolve(&b, ref, drop_fragment);
	char *again = rsd_url_resolve(&b, ref, drop_fragment); /* base unchanged */
	char *each = rsd_fields_resolve_url(base, ref, drop_fragment);
	rsd_url_base_clear(&b);
	ck_assert_msg((!once && !each) || (once && each && strcmp(once, each) == 0),
		      "%s + %s: %s vs %s", base ? base : "(null)", ref ? ref : "(null)",
		      once ? once : "(null)", each ? each : "(null)");
	ck_assert_msg((!once && !again) || (once && again && strcmp(once, again) == 0),
		      "%s + %s: the base changed", base ? base : "(null)", ref ? ref : "(null)");
	free(once);
	free(again);
	free(each);
}

START_TEST(links_against_one_base)
{
	static const char *const BASES[] = {
		"https://www.example.org/a/b/page.html?q=1#top",
		"http://example.org",
		"file:///tmp/x/page.html",
		"not a url",
		NULL,
	};
	static const char *const REFS[] = {
		"/recipes/soup",  "../up/one",  "other.html?x=1#f",
		"#frag",          "",           "  spaced name.html \n",
		"?only=query",    "//cdn.example.net/i.jpg",
		"https://Other.example.com/A/./b/../c", "mailto:cook@example.org",
		"javascript:void(0)", "http://[::1]:8080/x",
		NULL,
	};
	for (size_t i = 0; i < sizeof BASES / sizeof BASES[0]; i++)
		for (size_t j = 0; j < sizeof REFS / sizeof REFS[0]; j++) {
			assert_same_resolution(BASES[i], REFS[j], false);
			assert_same_resolution(BASES[i], REFS[j], true);
		}
	/* and the values themselves, for the common cases */
	char *u = rsd_fields_resolve_url("https://www.example.org/a/b/page.html?q=1#top",
					 "../c d.html#x", true);
	ck_assert_str_eq(u, "https://www.example.org/a/c%20d.html");
	free(u);
	struct rsd_url_base bad;
	ck_assert_int_eq(rsd_url_base_init(&bad, "not a url"), 0);
	ck_assert(bad.bad);
	ck_assert_ptr_null(rsd_url_resolve(&bad, "https://example.org/", true));
	rsd_url_base_clear(&bad);
}
END_TEST

/* A page's repeated hrefs each give their link again, in page order, the
 * same as the first of them; unresolvable ones are left out every time. */
START_TEST(repeated_links_in_page_order)
{
	static const char HTML[] =
		"<html><head><script type=application/ld+json>"
		"{\"@type\":\"Recipe\",\"name\":\"Soup\","
		"\"recipeIngredient\":[\"1 leek\",\"2 potatoes\"],"
		"\"recipeInstructions\":[\"Cook.\"]}</script></head><body>"
		"<a href=/a>1</a><a href='b#x'>2</a><a href=/a>3</a><a href=''>4</a>"
		"<a href='http://[bad'>5</a><a href=b#y>6</a><a href='b#x'>7</a>"
		"<a href='http://[bad'>8</a><a href=/a>9</a><a>10</a><a href=''>11</a>"
		"</body></html>";
	static const char *const WANT[] = {
		"https://example.org/a", "https://example.org/d/b", "https://example.org/a",
		"https://example.org/d/b", "https://example.org/d/b", "https://example.org/a",
	};
	rsd_extractor *x;
	ck_assert_int_eq(rsd_extractor_new(&x), 0);
	struct rsd_extract_result r;
	ck_assert_int_eq(rsd_extract(x, HTML, sizeof HTML - 1, "https://example.org/d/page", NULL,
				     RSD_EXTRACT_LINKS, &r),
			 0);
	ck_assert_ptr_nonnull(r.record);
	ck_assert_uint_eq(r.n_links, sizeof WANT / sizeof WANT[0]);
	for (size_t i = 0; i < r.n_links; i++) {
		ck_assert_int_eq(r.links[i].error, 0);
		ck_assert_str_eq(r.links[i].url, WANT[i]);
		ck_assert_str_eq(r.links[i].host, "example.org");
		for (size_t k = 0; k < i; k++) /* each its own copy */
			ck_assert_ptr_ne(r.links[i].url, r.links[k].url);
	}
	rsd_extract_result_clear(&r);
	rsd_extractor_free(x);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("scan_paths");
	TCase *tc = tcase_create("units");
	tcase_add_test(tc, tag_names_any_case);
	tcase_add_test(tc, attributes_by_class);
	tcase_add_test(tc, duplicate_attributes_keep_the_first);
	tcase_add_test(tc, attribute_signatures);
	tcase_add_test(tc, clean_in_place);
	tcase_add_test(tc, clean_without_a_copy);
	tcase_add_test(tc, repair_in_blocks);
	tcase_add_test(tc, links_against_one_base);
	tcase_add_test(tc, repeated_links_in_page_order);
	suite_add_tcase(s, tc);
	return s;
}

RSD_CHECK_MAIN(suite)
