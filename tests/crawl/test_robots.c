/* SPDX-License-Identifier: MIT */
/* robots.txt matching (robots.c) against the examples of RFC 9309. */

#include "crawl/robots.h"
#include "crawl_test.h"
#include "hostile_robots.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct rsd_robots *parse(const char *text, const char *agent)
{
	struct rsd_robots *r = NULL;
	ck_assert_int_eq(rsd_robots_parse(text, strlen(text), agent, &r), 0);
	ck_assert_ptr_nonnull(r);
	return r;
}

/* RFC 9309 5.1 */
static const char rfc_simple[] = "User-Agent: *\n"
				 "Disallow: *.gif$\n"
				 "Disallow: /example/\n"
				 "Allow: /publications/\n"
				 "\n"
				 "User-Agent: foobot\n"
				 "Disallow:/\n"
				 "Allow:/example/page.html\n"
				 "Allow:/example/allowed.gif\n"
				 "\n"
				 "User-Agent: barbot\n"
				 "User-Agent: bazbot\n"
				 "Disallow: /example/page.html\n"
				 "\n"
				 "User-Agent: quxbot\n"
				 "\n"
				 "EOF\n";

START_TEST(test_rfc_simple_example)
{
	struct rsd_robots *foo = parse(rfc_simple, "foobot");
	ck_assert(rsd_robots_allowed(foo, "/example/page.html"));
	ck_assert(rsd_robots_allowed(foo, "/example/allowed.gif"));
	ck_assert(!rsd_robots_allowed(foo, "/example/disallowed.gif"));
	ck_assert(!rsd_robots_allowed(foo, "/other"));
	rsd_robots_free(foo);

	const char *multi[] = { "barbot", "bazbot" };
	for (int i = 0; i < 2; i++) {
		struct rsd_robots *r = parse(rfc_simple, multi[i]);
		ck_assert(!rsd_robots_allowed(r, "/example/page.html"));
		ck_assert(rsd_robots_allowed(r, "/example/other.html"));
		ck_assert(rsd_robots_allowed(r, "/x.gif")); /* the * group does not apply */
		rsd_robots_free(r);
	}

	/* a matching group without rules allows everything */
	struct rsd_robots *qux = parse(rfc_simple, "quxbot");
	ck_assert(rsd_robots_allowed(qux, "/example/page.html"));
	ck_assert(rsd_robots_allowed(qux, "/x.gif"));
	rsd_robots_free(qux);

	/* anyone else gets the * group */
	struct rsd_robots *other = parse(rfc_simple, "recipe-scraperd");
	ck_assert(!rsd_robots_allowed(other, "/image.gif"));
	ck_assert(rsd_robots_allowed(other, "/image.gif?size=2")); /* $ anchors */
	ck_assert(!rsd_robots_allowed(other, "/example/"));
	ck_assert(!rsd_robots_allowed(other, "/example/page.html"));
	ck_assert(rsd_robots_allowed(other, "/publications/"));
	ck_assert(rsd_robots_allowed(other, "/recipes/soup"));
	rsd_robots_free(other);
}
END_TEST

/* RFC 9309 5.2: the longest match wins */
START_TEST(test_rfc_longest_match)
{
	struct rsd_robots *r = parse("User-Agent: foobot\n"
				     "Allow: /example/page/\n"
				     "Disallow: /example/page/disallowed.gif\n",
				     "foobot");
	ck_assert(rsd_robots_allowed(r, "/example/page/"));
	ck_assert(rsd_robots_allowed(r, "/example/page/allowed.gif"));
	ck_assert(!rsd_robots_allowed(r, "/example/page/disallowed.gif"));
	rsd_robots_free(r);
}
END_TEST

/* The refusal names the rule that decided: the longest matching Disallow,
 * in its normalised encoding; none for an allowed path or a complete
 * disallow. */
START_TEST(test_check_names_the_rule)
{
	struct rsd_robots *r = parse("User-agent: *\nDisallow: /a\nDisallow: /a/b\nAllow: /a/b/ok\n"
				     "Disallow: /%7Ecook*.php$\n",
				     "x");
	char rule[64] = "unset";
	ck_assert(!rsd_robots_check(r, "/a/x", rule, sizeof rule));
	ck_assert_str_eq(rule, "/a");
	ck_assert(!rsd_robots_check(r, "/a/b/c", rule, sizeof rule));
	ck_assert_str_eq(rule, "/a/b");
	ck_assert(rsd_robots_check(r, "/a/b/ok", rule, sizeof rule));
	ck_assert_str_eq(rule, "");
	ck_assert(!rsd_robots_check(r, "/~cook/book.php", rule, sizeof rule));
	ck_assert_str_eq(rule, "/~cook*.php$");
	ck_assert(!rsd_robots_check(r, "/~cook/book.php", rule, 4)); /* cut to fit */
	ck_assert_str_eq(rule, "/~c");
	rsd_robots_free(r);
	ck_assert_int_eq(rsd_robots_new_disallow_all(&r), 0);
	strcpy(rule, "unset");
	ck_assert(!rsd_robots_check(r, "/x", rule, sizeof rule));
	ck_assert_str_eq(rule, "");
	rsd_robots_free(r);
}
END_TEST

/* RFC 9309 2.2.2: equivalent Allow and Disallow: Allow wins */
START_TEST(test_tie_allows)
{
	struct rsd_robots *r = parse("user-agent: *\nallow: /page\ndisallow: /page\n", "x");
	ck_assert(rsd_robots_allowed(r, "/page"));
	rsd_robots_free(r);
	r = parse("user-agent: *\ndisallow: /page\nallow: /page\n", "x");
	ck_assert(rsd_robots_allowed(r, "/page"));
	rsd_robots_free(r);
}
END_TEST

/* RFC 9309 2.2.3 special characters */
START_TEST(test_special_characters)
{
	struct rsd_robots *r = parse("User-agent: *\n"
				     "Allow: /this/path/exactly$\n"
				     "Disallow: /this/path/\n"
				     "Disallow: /path/file-with-a-*.html # comment\n"
				     "Disallow: /a*b*c\n",
				     "x");
	ck_assert(rsd_robots_allowed(r, "/this/path/exactly"));
	ck_assert(!rsd_robots_allowed(r, "/this/path/exactly/"));
	ck_assert(!rsd_robots_allowed(r, "/this/path/exactlyyy"));
	ck_assert(!rsd_robots_allowed(r, "/path/file-with-a-foo.html"));
	ck_assert(!rsd_robots_allowed(r, "/path/file-with-a-.html"));
	ck_assert(rsd_robots_allowed(r, "/path/file-with-b.html"));
	ck_assert(!rsd_robots_allowed(r, "/aXXbYYc/zz"));
	ck_assert(rsd_robots_allowed(r, "/aXXcYYb"));
	rsd_robots_free(r);
}
END_TEST

/* RFC 9309 2.2.2 percent-encoding table */
START_TEST(test_percent_encoding)
{
	struct rsd_robots *r = parse("User-agent: *\n"
				     "Disallow: /foo/bar/%62%61%7A\n"
				     "Disallow: /foo/bar/\xE3\x83\x84\n"
				     "Disallow: /q%2fx\n",
				     "x");
	ck_assert(!rsd_robots_allowed(r, "/foo/bar/baz"));
	ck_assert(!rsd_robots_allowed(r, "/foo/bar/%62az"));
	ck_assert(!rsd_robots_allowed(r, "/foo/bar/%E3%83%84"));
	ck_assert(!rsd_robots_allowed(r, "/foo/bar/%e3%83%84"));
	ck_assert(!rsd_robots_allowed(r, "/q%2Fx"));
	ck_assert(rsd_robots_allowed(r, "/q/x")); /* a reserved character stays encoded */
	ck_assert(rsd_robots_allowed(r, "/foo/bar/qux"));
	rsd_robots_free(r);
}
END_TEST

START_TEST(test_user_agent_matching)
{
	const char *txt = "User-agent: FooBot/2.1\nDisallow: /foo\n\n"
			  "User-agent: *\nDisallow: /\n\n"
			  "User-agent: foobot\nDisallow: /also\n";
	/* case-insensitive, version ignored, and the two foobot groups merge */
	struct rsd_robots *r = parse(txt, "foobot");
	ck_assert(!rsd_robots_allowed(r, "/foo"));
	ck_assert(!rsd_robots_allowed(r, "/also"));
	ck_assert(rsd_robots_allowed(r, "/bar"));
	rsd_robots_free(r);
	/* a prefix of the token is not the token */
	r = parse(txt, "foo");
	ck_assert(!rsd_robots_allowed(r, "/bar"));
	rsd_robots_free(r);

	char *tok = rsd_robots_product_token("recipe-scraperd/0.1.0 (+https://x.test)");
	ck_assert_str_eq(tok, "recipe-scraperd");
	free(tok);
}
END_TEST

START_TEST(test_syntax_edges)
{
	/* BOM, CRLF and CR line ends, rules before any user-agent ignored,
	 * empty Disallow, unknown keys and sitemaps inside a group */
	const char *txt = "\xEF\xBB\xBF"
			  "Disallow: /ignored\r\n"
			  "User-agent: *\r\n"
			  "Sitemap: https://h.test/sitemap.xml\r"
			  "Foo: bar\n"
			  "Disallow:\n"
			  "Disallow: /private\n"
			  "Crawl-delay: 2.5\n"
			  "sitemap:https://h.test/s2.xml.gz\n";
	struct rsd_robots *r = parse(txt, "x");
	ck_assert(rsd_robots_allowed(r, "/ignored"));
	ck_assert(!rsd_robots_allowed(r, "/private/x"));
	ck_assert(rsd_robots_allowed(r, "/public"));
	ck_assert_uint_eq(rsd_robots_crawl_delay_ms(r), 2500);
	const char *const *maps;
	ck_assert_uint_eq(rsd_robots_sitemaps(r, &maps), 2);
	ck_assert_str_eq(maps[0], "https://h.test/sitemap.xml");
	ck_assert_str_eq(maps[1], "https://h.test/s2.xml.gz");
	rsd_robots_free(r);
}
END_TEST

START_TEST(test_robots_txt_always_allowed_and_verdicts)
{
	struct rsd_robots *r = parse("User-agent: *\nDisallow: /\n", "x");
	ck_assert(!rsd_robots_allowed(r, "/"));
	ck_assert(rsd_robots_allowed(r, "/robots.txt"));
	rsd_robots_free(r);

	ck_assert_int_eq(rsd_robots_new_allow_all(&r), 0);
	ck_assert(rsd_robots_allowed(r, "/anything"));
	rsd_robots_free(r);
	ck_assert_int_eq(rsd_robots_new_disallow_all(&r), 0);
	ck_assert(!rsd_robots_allowed(r, "/anything"));
	ck_assert(rsd_robots_allowed(r, "/robots.txt"));
	rsd_robots_free(r);
	rsd_robots_free(NULL);
}
END_TEST

START_TEST(test_size_cap)
{
	/* a rule past 500 KiB is not read */
	size_t pad = RSD_ROBOTS_MAX_BYTES;
	const char *head = "User-agent: *\nDisallow: /early\n";
	const char *tail = "\nDisallow: /late\n";
	char *txt = malloc(strlen(head) + pad + strlen(tail) + 1);
	ck_assert_ptr_nonnull(txt);
	strcpy(txt, head);
	memset(txt + strlen(head), '#', pad);
	strcpy(txt + strlen(head) + pad, tail);
	struct rsd_robots *r = NULL;
	ck_assert_int_eq(rsd_robots_parse(txt, strlen(txt), "x", &r), 0);
	ck_assert(!rsd_robots_allowed(r, "/early"));
	ck_assert(rsd_robots_allowed(r, "/late"));
	rsd_robots_free(r);
	free(txt);
}
END_TEST

START_TEST(test_hostile_pattern_is_fast)
{
	/* many wildcards against a long path: must not backtrack exponentially */
	struct rsd_robots *r = parse("User-agent: *\nDisallow: /*a*a*a*a*a*a*a*a*a*a*a*b$\n", "x");
	char path[20001];
	path[0] = '/';
	memset(path + 1, 'a', sizeof(path) - 2);
	path[sizeof(path) - 1] = '\0';
	clock_t t0 = clock();
	ck_assert(rsd_robots_allowed(r, path));
	ck_assert_msg((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0, "matching took too long");
	rsd_robots_free(r);
}
END_TEST

/* ---- the matcher against a reference ---- */

/* The previous matcher, kept as the reference: backtracking to the last
 * '*', O(pattern x path), obviously right. */
static bool ref_wildcard(const char *p, size_t plen, const char *s, size_t slen, bool anchored)
{
	size_t i = 0, j = 0, star = SIZE_MAX, mark = 0;
	for (;;) {
		if (!anchored && i == plen)
			return true;
		if (j == slen)
			break;
		if (i < plen && p[i] == '*') {
			star = i++;
			mark = j;
		} else if (i < plen && p[i] == s[j]) {
			i++;
			j++;
		} else if (star != SIZE_MAX) {
			i = star + 1;
			j = ++mark;
		} else {
			return false;
		}
	}
	while (i < plen && p[i] == '*')
		i++;
	return i == plen;
}

struct ref_rule {
	bool allow;
	char pattern[16];
};

/* 2.2.2 by the book: the longest matching pattern, Allow on a tie. */
static bool ref_allowed(const struct ref_rule *rules, size_t n, const char *path)
{
	const struct ref_rule *best = NULL;
	for (size_t i = 0; i < n; i++) {
		size_t plen = strlen(rules[i].pattern);
		bool anchored = plen > 0 && rules[i].pattern[plen - 1] == '$';
		if (!ref_wildcard(rules[i].pattern, anchored ? plen - 1 : plen, path, strlen(path),
				  anchored))
			continue;
		if (!best || plen > strlen(best->pattern) ||
		    (plen == strlen(best->pattern) && rules[i].allow))
			best = &rules[i];
	}
	return !best || best->allow;
}

static unsigned rnd(unsigned *state, unsigned n)
{
	*state = *state * 1103515245u + 12345u;
	return (*state >> 16) % n;
}

/* Text over a small alphabet, so that random patterns and paths meet:
 * wildcards, '$' anywhere (literal unless last), repeats, empty segments. */
static void random_text(unsigned *st, char *out, size_t max, const char *alphabet)
{
	size_t n = rnd(st, (unsigned)max), k = strlen(alphabet);
	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[rnd(st, (unsigned)k)];
	out[n] = '\0';
}

/* Random robots.txt files of 1..max_rules rules, each against 8 random
 * paths of up to max_path octets: the verdicts are the reference's. */
static void agree_with_reference(unsigned seed, int files, size_t max_rules, size_t max_path)
{
	unsigned st = seed;
	for (int round = 0; round < files; round++) {
		struct ref_rule rules[40];
		size_t n = 1 + rnd(&st, (unsigned)max_rules);
		char txt[40 * 24] = "User-agent: *\n";
		for (size_t i = 0; i < n; i++) {
			rules[i].allow = rnd(&st, 2);
			do
				random_text(&st, rules[i].pattern, 9, "/ab*$");
			while (!rules[i].pattern[0]);
			size_t at = strlen(txt);
			snprintf(txt + at, sizeof(txt) - at, "%s: %s\n",
				 rules[i].allow ? "Allow" : "Disallow", rules[i].pattern);
		}
		struct rsd_robots *r = parse(txt, "x");
		for (int k = 0; k < 8; k++) {
			char path[64] = "/";
			random_text(&st, path + 1, max_path, "ab/$*");
			ck_assert_msg(rsd_robots_allowed(r, path) == ref_allowed(rules, n, path),
				      "%s against %s", txt, path);
		}
		rsd_robots_free(r);
	}
}

/* Small files and short paths: memmem alone. */
START_TEST(test_matcher_agrees_with_reference)
{
	agree_with_reference(12345, 20000, 4, 11);
}
END_TEST

/* Many rules against longer paths: searches read the path over several
 * times, so the suffix automaton is built and used. */
START_TEST(test_automaton_agrees_with_reference)
{
	agree_with_reference(777, 4000, 40, 60);
}
END_TEST

struct verdict {
	const char *path;
	bool allowed;
};

static void check_verdicts(const char *txt, const struct verdict *v, size_t n)
{
	struct rsd_robots *r = parse(txt, "x");
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(rsd_robots_allowed(r, v[i].path) == v[i].allowed, "%s", v[i].path);
	rsd_robots_free(r);
}

START_TEST(test_matcher_edges)
{
	static const struct verdict edges[] = {
		{ "/abc", false },
		{ "/a-b-c-d", false },
		{ "/acb", true },
		{ "/x", false },
		{ "/xyz", false },
		{ "/y$z", false },
		{ "/y", true },
		{ "/doc/a.pdf", false },
		{ "/doc/a.pdf?x", true },
		{ "/longer/than", true },
		{ "/longer/than/the/path/", false },
		/* the anchored last segment must end the path, after the others */
		{ "/mno", true },
		{ "/m-n-o-n-o", true },
		{ "/m-n-o-", false },
		{ "/mo", false }, /* 'n' missing */
		{ "/m-on", false }, /* 'o' must follow 'n' */
	};
	check_verdicts("User-agent: *\n"
		       "Disallow: /a**b***c*\n" /* empty segments */
		       "Disallow: /x*$\n" /* '*' then '$': any path under /x */
		       "Disallow: /y$*\n" /* '$' not last: literal */
		       "Disallow: *.pdf$\n" /* leading '*' */
		       "Disallow: /longer/than/the/path/*\n"
		       "Allow: /m*n*o$\n"
		       "Disallow: /m\n",
		       edges, sizeof(edges) / sizeof(edges[0]));
	/* "$" alone matches no path (paths start with '/') */
	static const struct verdict dollar[] = { { "/", true },
						 { "/only", false },
						 { "/only/", true } };
	check_verdicts("User-agent: *\nDisallow: $\nDisallow: /only$\n", dollar, 3);
}
END_TEST

/* Caps: rules past RSD_ROBOTS_MAX_RULES, counted as written (repeats
 * too), are ignored; patterns longer than RSD_ROBOTS_MAX_PATTERN literal
 * octets are ignored (they could not match an admitted URL), and one
 * exactly that long is kept. */
START_TEST(test_rule_caps)
{
	size_t cap = 64 * 1024 * 8;
	char *txt = malloc(cap);
	ck_assert_ptr_nonnull(txt);
	size_t n = (size_t)snprintf(txt, cap, "User-agent: *\n");
	for (int i = 0; i < 3; i++)
		n += (size_t)snprintf(txt + n, cap - n, "Disallow: /same\n");
	for (int i = 0; i < RSD_ROBOTS_MAX_RULES - 3; i++)
		n += (size_t)snprintf(txt + n, cap - n, "Disallow: /r%d/\n", i);
	n += (size_t)snprintf(txt + n, cap - n, "Disallow: /past-the-cap\n");
	static const struct verdict v[] = {
		{ "/same", false },
		{ "/r0/", false },
		{ "/r9996/", false }, /* the 10,000th rule */
		{ "/past-the-cap", true },
	};
	check_verdicts(txt, v, sizeof(v) / sizeof(v[0]));
	struct rsd_robots *r = NULL;

	size_t max = RSD_ROBOTS_MAX_PATTERN;
	char *path = malloc(max + 2);
	ck_assert_ptr_nonnull(path);
	path[0] = '/';
	memset(path + 1, 'p', max);
	path[max] = '\0'; /* max octets */
	n = (size_t)snprintf(txt, cap, "User-agent: *\nDisallow: *%s$\nDisallow: /*%sp\n", path,
			     path);
	ck_assert_int_eq(rsd_robots_parse(txt, n, "x", &r), 0);
	ck_assert(!rsd_robots_allowed(r, path)); /* the first rule, max literal octets */
	path[max] = 'p';
	path[max + 1] = '\0';
	ck_assert(rsd_robots_allowed(r, path)); /* the second, one more, was ignored */
	rsd_robots_free(r);
	free(path);
	free(txt);
}
END_TEST

/* The hostile host: 500 KiB of Disallow rules made of "/", "*",
 * a run of a's and a "b" (all different) against paths of almost 8 KiB,
 * the longest URL admitted, some with the 'b', some not. The verdicts are
 * right; the time is measured by bench/robots (tests do not judge speed). */
START_TEST(test_hostile_file_verdicts)
{
	size_t n;
	char *txt = hostile_robots_txt(RSD_ROBOTS_MAX_BYTES, &n);
	ck_assert_ptr_nonnull(txt);
	struct rsd_robots *r = NULL;
	ck_assert_int_eq(rsd_robots_parse(txt, n, "x", &r), 0);
	free(txt);
	size_t len = RSD_URL_MAX_BYTES - 32;
	char *none = hostile_path("/", len, ""), *last = hostile_path("/", len, "b"),
	     *first = hostile_path("/b", len, "");
	ck_assert(none && last && first);
	for (int i = 0; i < 100; i++) {
		ck_assert(rsd_robots_allowed(r, none)); /* no 'b' */
		ck_assert(rsd_robots_allowed(r, first)); /* a 'b', but before the a's */
	}
	ck_assert(!rsd_robots_allowed(r, last));
	ck_assert(rsd_robots_allowed(r, "/ok"));
	rsd_robots_free(r);
	free(none);
	free(last);
	free(first);
}
END_TEST

/* A reference keeps the rules alive after the first holder let go. */
START_TEST(test_references)
{
	struct rsd_robots *r = parse("User-agent: *\nDisallow: /x\n", "x");
	struct rsd_robots *held = rsd_robots_ref(r);
	ck_assert_ptr_eq(held, r);
	rsd_robots_free(r);
	ck_assert(!rsd_robots_allowed(held, "/x"));
	rsd_robots_free(held);
}
END_TEST

START_TEST(test_sitemap_urlset)
{
	const char *xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			  "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
			  "<url><loc> https://h.test/a?x=1&amp;y=2 "
			  "</loc><lastmod>2024-01-01</lastmod></url>\n"
			  "<url><loc><![CDATA[https://h.test/b]]></loc></url>\n"
			  "<url><location>https://h.test/not-a-loc</location><loc/></url>\n"
			  "<url><loc>https://h.test/&#99;</loc></url>\n"
			  "<url><loc>   </loc></url>\n"
			  "<url><loc>https://h.test/unterminated";
	bool index;
	char **locs;
	size_t n;
	ck_assert_int_eq(rsd_robots_sitemap_parse(xml, strlen(xml), &index, &locs, &n), 0);
	ck_assert(!index);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(locs[0], "https://h.test/a?x=1&y=2");
	ck_assert_str_eq(locs[1], "https://h.test/b");
	ck_assert_str_eq(locs[2], "https://h.test/c");
	rsd_robots_sitemap_free(locs, n);
}
END_TEST

START_TEST(test_sitemap_index_and_gzip)
{
	const char *xml = "<sitemapindex><sitemap><loc>https://h.test/s1.xml</loc></sitemap>"
			  "<sitemap><loc>https://h.test/s2.xml</loc></sitemap></sitemapindex>";
	bool index;
	char **locs;
	size_t n;
	ck_assert_int_eq(rsd_robots_sitemap_parse(xml, strlen(xml), &index, &locs, &n), 0);
	ck_assert(index);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(locs[1], "https://h.test/s2.xml");
	rsd_robots_sitemap_free(locs, n);
	ck_assert_int_eq(rsd_robots_sitemap_parse("\x1f\x8b\x08", 3, &index, &locs, &n), -ENOTSUP);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(rsd_robots_sitemap_parse("", 0, &index, &locs, &n), 0);
	ck_assert_uint_eq(n, 0);
	rsd_robots_sitemap_free(locs, n);
}
END_TEST

/* sitemap.xml.gz served without Content-Encoding: inflated, then parsed. */
START_TEST(test_sitemap_gzip_read)
{
	const char *xml = "<urlset><url><loc>https://h.test/a</loc></url>"
			  "<url><loc>https://h.test/b</loc></url></urlset>";
	char *gz = NULL;
	size_t gz_len = 0;
	crawl_test_gzip(xml, strlen(xml), &gz, &gz_len);
	bool index = true;
	char **locs;
	size_t n;
	ck_assert_int_eq(rsd_robots_sitemap_read(gz, gz_len, 1024, &index, &locs, &n), 0);
	ck_assert(!index);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(locs[0], "https://h.test/a");
	ck_assert_str_eq(locs[1], "https://h.test/b");
	rsd_robots_sitemap_free(locs, n);
	/* plain XML goes straight to the parser */
	ck_assert_int_eq(rsd_robots_sitemap_read(xml, strlen(xml), 1024, &index, &locs, &n), 0);
	ck_assert_uint_eq(n, 2);
	rsd_robots_sitemap_free(locs, n);
	/* exactly at the cap is fine, one byte less is not */
	ck_assert_int_eq(rsd_robots_sitemap_read(gz, gz_len, strlen(xml), &index, &locs, &n), 0);
	rsd_robots_sitemap_free(locs, n);
	ck_assert_int_eq(rsd_robots_sitemap_read(gz, gz_len, strlen(xml) - 1, &index, &locs, &n),
			 -EFBIG);
	ck_assert_ptr_null(locs);
	ck_assert_uint_eq(n, 0);
	free(gz);
}
END_TEST

START_TEST(test_gunzip_limits)
{
	/* a bomb: 64 MiB of zeros is ~64 KiB of gzip; inflation stops at the cap */
	size_t big = 64u << 20;
	char *zeros = calloc(1, big);
	ck_assert_ptr_nonnull(zeros);
	char *gz = NULL;
	size_t gz_len = 0;
	crawl_test_gzip(zeros, big, &gz, &gz_len);
	free(zeros);
	ck_assert_uint_lt(gz_len, 256 * 1024);
	char *out = (char *)1;
	size_t out_len = 7;
	ck_assert_int_eq(rsd_robots_gunzip(gz, gz_len, 1 << 20, &out, &out_len), -EFBIG);
	ck_assert_ptr_null(out);
	ck_assert_uint_eq(out_len, 0);
	/* the protocol's 50 MB ceiling applies even with a larger max_bytes */
	bool index;
	char **locs;
	size_t n;
	ck_assert_int_eq(rsd_robots_sitemap_read(gz, gz_len, SIZE_MAX / 2, &index, &locs, &n),
			 -EFBIG);
	/* truncated and corrupt streams */
	ck_assert_int_eq(rsd_robots_gunzip(gz, gz_len / 2, 1 << 30, &out, &out_len), -EBADMSG);
	ck_assert_int_eq(
		rsd_robots_gunzip("\x1f\x8b\x08\x00garbage-garbage", 19, 1024, &out, &out_len),
		-EBADMSG);
	ck_assert_int_eq(rsd_robots_gunzip("\x1f\x8b", 2, 1024, &out, &out_len), -EBADMSG);
	ck_assert_int_eq(rsd_robots_gunzip("", 0, 1024, &out, &out_len), -EBADMSG);
	free(gz);
	/* concatenated members are one file (RFC 1952 2.2); trailing junk is ignored */
	gz = NULL;
	gz_len = 0;
	crawl_test_gzip("<urlset><url><loc>https://h.test/1</loc></url>", 46, &gz, &gz_len);
	crawl_test_gzip("<url><loc>https://h.test/2</loc></url></urlset>", 47, &gz, &gz_len);
	gz = realloc(gz, gz_len + 4);
	memcpy(gz + gz_len, "junk", 4);
	ck_assert_int_eq(rsd_robots_gunzip(gz, gz_len + 4, 1024, &out, &out_len), 0);
	ck_assert_uint_eq(out_len, 93);
	ck_assert_uint_eq(strlen(out), 93);
	ck_assert_int_eq(rsd_robots_sitemap_read(gz, gz_len, 1024, &index, &locs, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(locs[1], "https://h.test/2");
	rsd_robots_sitemap_free(locs, n);
	free(out);
	/* a gzip inside the gzip is not a sitemap */
	char *inner = gz;
	size_t inner_len = gz_len;
	gz = NULL;
	gz_len = 0;
	crawl_test_gzip(inner, inner_len, &gz, &gz_len);
	ck_assert_int_eq(rsd_robots_sitemap_read(gz, gz_len, 1024, &index, &locs, &n), -ENOTSUP);
	free(inner);
	free(gz);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("robots");
	TCase *tc = tcase_create("robots");
	tcase_add_test(tc, test_rfc_simple_example);
	tcase_add_test(tc, test_rfc_longest_match);
	tcase_add_test(tc, test_tie_allows);
	tcase_add_test(tc, test_check_names_the_rule);
	tcase_add_test(tc, test_special_characters);
	tcase_add_test(tc, test_percent_encoding);
	tcase_add_test(tc, test_user_agent_matching);
	tcase_add_test(tc, test_syntax_edges);
	tcase_add_test(tc, test_robots_txt_always_allowed_and_verdicts);
	tcase_add_test(tc, test_size_cap);
	tcase_add_test(tc, test_hostile_pattern_is_fast);
	tcase_add_test(tc, test_matcher_agrees_with_reference);
	tcase_add_test(tc, test_automaton_agrees_with_reference);
	tcase_add_test(tc, test_matcher_edges);
	tcase_add_test(tc, test_rule_caps);
	tcase_add_test(tc, test_hostile_file_verdicts);
	tcase_add_test(tc, test_references);
	tcase_add_test(tc, test_sitemap_urlset);
	tcase_add_test(tc, test_sitemap_index_and_gzip);
	tcase_add_test(tc, test_sitemap_gzip_read);
	tcase_add_test(tc, test_gunzip_limits);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
