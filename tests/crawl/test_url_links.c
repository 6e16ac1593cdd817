/* SPDX-License-Identifier: MIT */
/* A page's links in the crawler's normal form from one parse
 * (rsd_url_link_make, rsd_frontier_add_page_links) against the way they
 * took before: resolved by the extractor (rsd_url_resolve), then parsed
 * again by the frontier (rsd_url_normalize, rsd_url_host). The same hrefs,
 * hostile ones among them, go both ways: the links, their errors, the
 * frontier's refusals (cause, host, URL, detail) and the pages it hands
 * out (robots.txt applied; each host's in order, see sort_from) must be
 * the same. */

#include "core/url.h"
#include "crawl/frontier.h"
#include "crawl/crawl_stats.h"
#include "crawl/robots.h"
#include "crawl_test.h"
#include "check_main.h"

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The page URLs links resolve against (what the extractor's base is: the
 * page, or its <base href>); NULL: none, refs must be absolute. */
static const char *const BASES[] = {
	"https://kitchen.test/recipes/soup.html?x=1#top",
	"http://Kitchen.TEST:80/r/a/b/",
	"https://cook:secret@kitchen.test:443/r/",
	"https://bücher.test/ä/x.html",
	"http://[::1]:8080/p/q",
	"not a url",
	NULL,
};

/* Hostile hrefs, written out; more are built from parts below. */
static const char *const HREFS[] = {
	"", " ", "#", "#top", "?", "?q=1#x", ".", "..", "./", "../../../../../x",
	"/a/../../b/./c", "%2e%2E/x", "a/%2e/b", "//other.test/x", "//KITCHEN.test:443/y",
	"///x", "//cook:pw@kitchen.test:443/z", "//[::1]:80/", "//[fe80::1%25eth0]/v",
	"//[bad", "http://[bad", "http:", "https:", "http:rel/x", "https:/one-slash",
	"http:\\\\kitchen.test\\x", "\\\\kitchen.test\\x", "javascript:void(0)",
	"JavaScript:alert(1)", " javascript:x", "java\tscript:x", "jav&#x09;ascript:x",
	"mailto:cook@kitchen.test", "data:text/html,<b>x</b>", "tel:+1", "ftp://kitchen.test/f",
	"file:///etc/passwd", "about:blank", "blob:https://kitchen.test/1", "x:y", "a:b/c",
	"HTTP://KITCHEN.TEST/UPPER", "https://kitchen.test:443/p", "http://kitchen.test:80/p",
	"https://kitchen.test:/p", "https://kitchen.test:0/p", "https://kitchen.test:99999/p",
	"https://kitchen.test:8443/p", "https://bücher.test/ä ö?ü=1", "https://xn--bcher-kva.test/",
	"https://Bücher.TEST/", "https://h%2etest/", "https://kitchen.test/%zz%41%c3%a4",
	"https://kitchen.test/%F0%9F%8D%B2?q=%F0%9F", "/spaced name.html", " /trimmed\n",
	"\t\r\n/x\t", "/tab\tinside", "/nl\ninside", "/ctl\x01\x1f", "/del\x7f", "/hi\x80\xff",
	"\x01/lead", "https://kitchen.test\x01/x", "https://kit chen.test/", "http://0x7f.1/",
	"http://2130706433/", "http://127.1/", "http://[::ffff:127.0.0.1]/", "https://u@kitchen.test/",
	"https://:@kitchen.test/", "https://kitchen.test/a#b#c", "?a=b c&d=é", "#only frag",
	"https://kitchen.test?q", "https://kitchen.test#f", "//", "/", "https://", "http://.",
	"http://../", "https://kitchen.test./", "https://KITCHEN.test../x", "/r/private/x",
	"../../private/z", "/r/Private", "/r/%70rivate",
};

/* The parts of built hrefs: every prefix, middle and suffix. */
static const char *const PREFIXES[] = {
	"", "/", "//other.test", "//Kitchen.TEST:443", "https://u:p@kitchen.test:443",
	"http://kitchen.test:80", "HTTPS://Kitchen.Test", "javascript:", " ", "http:",
	"\\\\", "//[::1]:8080", "..", "%2F%2F",
};
static const char *const MIDDLES[] = {
	"", "a/../b", "../../x", "./.", "%2e%2E/x", "ä ö/ü", "%zz%41", "\x01\x1f", "\x7f",
	"a b", "?q=a b&c=ä", "#frag", "/%F0%9F%8D%B2", "\\x",
};
static const char *const SUFFIXES[] = { "", "#x", "?", "/../", " " };

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define N_BUILT (N_OF(PREFIXES) * N_OF(MIDDLES) * N_OF(SUFFIXES))
#define LONG_HREFS 8

/* Long hrefs around RSD_URL_MAX_BYTES: as written, once resolved, once
 * normalised (credentials and a default port make the resolved link
 * longer than its normal form). i < LONG_HREFS; malloc'ed. */
static char *long_href(size_t i)
{
	static const size_t lengths[LONG_HREFS] = { 8150, 8170, 8180, 8190, 8192, 8193, 9000,
						    100000 };
	size_t len = lengths[i];
	char *s = malloc(len + 1);
	ck_assert_ptr_nonnull(s);
	memset(s, 'a', len);
	s[len] = '\0';
	if (i % 2 == 0) { /* absolute, with credentials and a default port */
		static const char head[] = "https://cook:pw@kitchen.test:443/";
		memcpy(s, head, sizeof head - 1);
	} else { /* relative: its base makes it longer */
		s[0] = '/';
	}
	return s;
}

/* Every href of the test, by index (malloc'ed). */
static size_t n_hrefs(void)
{
	return N_OF(HREFS) + N_BUILT + LONG_HREFS;
}

static char *href_at(size_t i)
{
	if (i < N_OF(HREFS))
		return strdup(HREFS[i]);
	i -= N_OF(HREFS);
	if (i >= N_BUILT)
		return long_href(i - N_BUILT);
	size_t s = i % N_OF(SUFFIXES), m = i / N_OF(SUFFIXES) % N_OF(MIDDLES);
	size_t p = i / N_OF(SUFFIXES) / N_OF(MIDDLES);
	char *out;
	ck_assert_int_ge(asprintf(&out, "%s%s%s", PREFIXES[p], MIDDLES[m], SUFFIXES[s]), 0);
	return out;
}

/* The old way: the extractor's link (NULL: left out), the frontier's
 * normal form and host, and its error (0, or rsd_url_normalize's or
 * rsd_url_host's). */
struct old_link {
	char *resolved, *url, *host;
	int error;
};

static struct old_link old_way(const struct rsd_url_base *b, const char *href)
{
	struct old_link o = { .resolved = rsd_url_resolve(b, href, true) };
	if (!o.resolved)
		return o;
	o.error = rsd_url_normalize(o.resolved, NULL, &o.url);
	if (o.error == 0 && (o.error = rsd_url_host(o.url, &o.host)) < 0) {
		free(o.url);
		o.url = NULL;
	}
	return o;
}

static const char *show(const char *s)
{
	return s ? s : "(null)";
}

static void expect_same_link(const char *base, const struct rsd_url_base *b, const char *href)
{
	struct old_link o = old_way(b, href);
	struct rsd_url_link l;
	int rc = rsd_url_link_make(b, href, &l);
	ck_assert_msg(rc == (o.resolved ? 0 : -ENOENT), "%s + \"%.200s\": %d, old %s", show(base),
		      href, rc, show(o.resolved));
	if (o.resolved) {
		ck_assert_msg(l.error == o.error && strcmp(rsd_url_link_resolved(&l), o.resolved) == 0,
			      "%s + \"%.200s\": error %d vs %d, resolved %.200s vs %.200s",
			      show(base), href, l.error, o.error, show(rsd_url_link_resolved(&l)),
			      o.resolved);
		ck_assert_msg((!l.url && !o.url) || (l.url && o.url && strcmp(l.url, o.url) == 0),
			      "%s + \"%.200s\": url %.200s vs %.200s", show(base), href, show(l.url),
			      show(o.url));
		ck_assert_msg((!l.host && !o.host) ||
				      (l.host && o.host && strcmp(l.host, o.host) == 0),
			      "%s + \"%.200s\": host %s vs %s", show(base), href, show(l.host),
			      show(o.host));
		/* resolved is kept only when it says something url does not */
		ck_assert(!l.resolved || !l.url || strcmp(l.resolved, l.url) != 0);
	}
	rsd_url_link_clear(&l);
	free(o.resolved);
	free(o.url);
	free(o.host);
}

START_TEST(link_equals_old_path)
{
	const char *base = BASES[_i];
	struct rsd_url_base b;
	ck_assert_int_eq(rsd_url_base_init(&b, base), 0);
	for (size_t i = 0; i < n_hrefs(); i++) {
		char *href = href_at(i);
		expect_same_link(base, &b, href);
		free(href);
	}
	rsd_url_base_clear(&b);
}
END_TEST

/* The cases that matter most, spelled out (base: the first of BASES). */
START_TEST(link_values)
{
	struct rsd_url_base b;
	ck_assert_int_eq(rsd_url_base_init(&b, "https://cook:pw@Kitchen.test:443/r/a.html"), 0);
	struct rsd_url_link l;
	ck_assert_int_eq(rsd_url_link_make(&b, " ../x/./y z.html?q=1#f ", &l), 0);
	ck_assert_int_eq(l.error, 0);
	ck_assert_str_eq(l.url, "https://kitchen.test/x/y%20z.html?q=1");
	ck_assert_str_eq(l.host, "kitchen.test");
	ck_assert_str_eq(l.resolved, "https://cook:pw@Kitchen.test:443/x/y%20z.html?q=1");
	rsd_url_link_clear(&l);
	/* another scheme that resolves: refused, named as resolved */
	ck_assert_int_eq(rsd_url_link_make(&b, "FTP://Kitchen.test/f#x", &l), 0);
	ck_assert_int_eq(l.error, -EPROTONOSUPPORT);
	ck_assert_ptr_null(l.url);
	ck_assert_ptr_null(l.host);
	ck_assert_str_eq(rsd_url_link_resolved(&l), "ftp://Kitchen.test/f");
	rsd_url_link_clear(&l);
	/* curl takes no scheme without "//": no link, as before */
	ck_assert_int_eq(rsd_url_link_make(&b, "javascript:void(0)", &l), -ENOENT);
	/* a percent sign in the host: parsed again from the text, as before */
	ck_assert_int_eq(rsd_url_link_make(&b, "//Other.test%zz/", &l), 0);
	ck_assert_str_eq(l.url, "https://other.test%25zz/");
	rsd_url_link_clear(&l);
	ck_assert_int_eq(rsd_url_link_make(&b, "", &l), -ENOENT);
	ck_assert_int_eq(rsd_url_link_make(&b, "http://[bad", &l), -ENOENT);
	rsd_url_base_clear(&b);
	/* the same as written: nothing kept twice */
	ck_assert_int_eq(rsd_url_base_init(&b, "https://kitchen.test/"), 0);
	ck_assert_int_eq(rsd_url_link_make(&b, "//other.test/a", &l), 0);
	ck_assert_str_eq(l.url, "https://other.test/a");
	ck_assert_ptr_null(l.resolved);
	struct rsd_url_link copy;
	ck_assert_int_eq(rsd_url_link_copy(&l, &copy), 0);
	ck_assert_str_eq(copy.url, l.url);
	ck_assert_str_eq(copy.host, "other.test");
	rsd_url_link_clear(&copy);
	rsd_url_link_clear(&l);
	rsd_url_base_clear(&b);
}
END_TEST

/* ---- the frontier: the same admission both ways ---- */

/* What one frontier did: its refusal reports and the jobs it handed out,
 * one line each. */
struct transcript {
	char **lines;
	size_t n, cap;
};

static void note(struct transcript *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct transcript *t, const char *fmt, ...)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 256;
		t->lines = realloc(t->lines, t->cap * sizeof *t->lines);
		ck_assert_ptr_nonnull(t->lines);
	}
	va_list ap;
	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&t->lines[t->n++], fmt, ap), 0);
	va_end(ap);
}

static void transcript_clear(struct transcript *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->lines[i]);
	free(t->lines);
	*t = (struct transcript){ 0 };
}

static void on_refusal(void *ctx, const struct rsd_refusal *r)
{
	note(ctx, "refused %s host=%s url=%.300s | %s", rsd_cause_info(r->cause)->name,
	     show(r->host), show(r->url), show(r->detail));
}

static struct rsd_frontier *frontier_for(const struct rsd_config *cfg, struct transcript *t,
					 struct rsd_scraper_stats *stats)
{
	struct rsd_frontier_options o = { .cfg = cfg,
					  .stats = stats,
					  .once = true,
					  .on_refusal = on_refusal,
					  .refusal_ctx = t };
	struct rsd_frontier *f;
	ck_assert_int_eq(rsd_frontier_new(&o, &f), 0);
	return f;
}

/* Hands out every job (robots.txt answered with rules that keep out
 * /r/private), noting each; bounded by the hrefs given. */
static void drain(struct rsd_frontier *f, struct transcript *t, size_t bound)
{
	static const char rules[] = "User-agent: *\nDisallow: /r/private\n";
	for (size_t i = 0; i < bound; i++) {
		struct rsd_job job;
		int64_t wait;
		int rc = rsd_frontier_next(f, 0, &job, &wait);
		if (rc == -ENODATA)
			return;
		ck_assert_msg(rc == 0, "next: %d (wait %lld)", rc, (long long)wait);
		note(t, "job %d %s depth %u extract %d", (int)job.kind, job.url, job.depth,
		     (int)job.extract);
		if (job.kind == RSD_JOB_ROBOTS) {
			struct rsd_robots *r;
			ck_assert_int_eq(rsd_robots_parse(rules, sizeof rules - 1, "rsd", &r), 0);
			rsd_frontier_robots_done(f, &job, r);
		} else {
			rsd_frontier_done(f, &job);
		}
	}
	ck_abort_msg("more than %zu jobs", bound);
}

/* The origin a line is about: its first URL's "host[:port]" ("" none). */
static size_t line_origin(const char *line, const char **origin)
{
	const char *p = strstr(line, "://");
	*origin = p ? p + 3 : "";
	return p ? strcspn(*origin, "/") : 0;
}

static bool origin_after(const char *a, const char *b)
{
	const char *oa, *ob;
	size_t na = line_origin(a, &oa), nb = line_origin(b, &ob);
	int c = memcmp(oa, ob, na < nb ? na : nb);
	return c > 0 || (c == 0 && na > nb);
}

/* Sorts the lines from index from on by their origin, keeping each
 * origin's lines in order (an insertion sort: stable; a few hundred
 * lines). Which of two hosts ready at once goes first depends on the
 * clock (their ready-times), so two frontiers hand out the same pages,
 * each host's in the same order, interleaved differently. */
static void sort_from(struct transcript *t, size_t from)
{
	for (size_t i = from + 1; i < t->n; i++) {
		char *line = t->lines[i];
		size_t k = i;
		for (; k > from && origin_after(t->lines[k - 1], line); k--)
			t->lines[k] = t->lines[k - 1];
		t->lines[k] = line;
	}
}

static void expect_same_transcript(const struct transcript *a, const struct transcript *b)
{
	for (size_t i = 0; i < a->n && i < b->n; i++)
		ck_assert_msg(strcmp(a->lines[i], b->lines[i]) == 0, "line %zu:\n old %s\n new %s", i,
			      a->lines[i], b->lines[i]);
	ck_assert_uint_eq(a->n, b->n);
}

/* One page's hrefs the old way (the extractor's links, then add_links)
 * and the new (add_page_links) into two frontiers alike, at depth. */
static void admit_both(const struct rsd_config *cfg, const char *page, unsigned depth,
		       struct transcript *old_t, struct transcript *new_t)
{
	static struct rsd_scraper_stats old_s, new_s;
	memset(&old_s, 0, sizeof old_s);
	memset(&new_s, 0, sizeof new_s);
	struct rsd_frontier *fo = frontier_for(cfg, old_t, &old_s);
	struct rsd_frontier *fn = frontier_for(cfg, new_t, &new_s);
	size_t n = n_hrefs(), n_old = 0, n_new = 0;
	char **old_links = calloc(n, sizeof *old_links);
	struct rsd_url_link *links = calloc(n, sizeof *links);
	ck_assert(old_links && links);
	struct rsd_url_base b;
	ck_assert_int_eq(rsd_url_base_init(&b, page), 0);
	for (size_t i = 0; i < n; i++) {
		char *href = href_at(i);
		if ((old_links[n_old] = rsd_url_resolve(&b, href, true)))
			n_old++;
		if (rsd_url_link_make(&b, href, &links[n_new]) == 0)
			n_new++;
		free(href);
	}
	rsd_url_base_clear(&b);
	int added_old = rsd_frontier_add_links(fo, page, old_links, n_old, depth);
	int added_new = rsd_frontier_add_page_links(fn, page, links, n_new, depth);
	ck_assert_int_eq(added_old, added_new);
	ck_assert_uint_eq(n_old, n_new);
	size_t old_mark = old_t->n, new_mark = new_t->n;
	drain(fo, old_t, 2 * n + 16);
	drain(fn, new_t, 2 * n + 16);
	sort_from(old_t, old_mark);
	sort_from(new_t, new_mark);
	for (size_t c = 0; c < RSD_CAUSE_COUNT; c++)
		ck_assert_uint_eq(atomic_load(&old_s.by_cause[c]), atomic_load(&new_s.by_cause[c]));
	for (size_t i = 0; i < n_old; i++)
		free(old_links[i]);
	for (size_t i = 0; i < n_new; i++)
		rsd_url_link_clear(&links[i]);
	free(old_links);
	free(links);
	rsd_frontier_free(fo);
	rsd_frontier_free(fn);
}

START_TEST(frontier_admits_the_same)
{
	/* scope, follow and recipe patterns, robots.txt, queue bounds */
	struct rsd_config *cfg = crawl_test_config(
		"[scraper]\nstart_urls = https://kitchen.test/\n"
		"allowed_hosts = kitchen.test other.test bücher.test 127.0.0.1\n"
		"follow = /r/|/p|/x\nrecipe = /recipes/\nmax_depth = 3\ndelay_ms = 0\n"
		"max_connections_per_host = 8\nmax_queued_per_host = 40\n");
	for (size_t i = 0; i < N_OF(BASES); i++) {
		struct transcript old_t = { 0 }, new_t = { 0 };
		for (unsigned depth = 1; depth <= 4; depth += 3) /* 4: beyond max_depth */
			admit_both(cfg, BASES[i], depth, &old_t, &new_t);
		bool bad_base = BASES[i] && strcmp(BASES[i], "not a url") == 0;
		ck_assert_msg(bad_base == (old_t.n == 0), "%s: %zu events", show(BASES[i]), old_t.n);
		if (getenv("RSD_TEST_SHOW"))
			for (size_t k = 0; k < old_t.n; k++)
				fprintf(stderr, "%s\n", old_t.lines[k]);
		expect_same_transcript(&old_t, &new_t);
		transcript_clear(&old_t);
		transcript_clear(&new_t);
	}
	rsd_config_free(cfg);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("url_links");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, link_equals_old_path, 0, N_OF(BASES));
	tcase_add_test(tc, link_values);
	tcase_add_test(tc, frontier_admits_the_same);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

RSD_CHECK_MAIN(suite)
