/* SPDX-License-Identifier: MIT */
/* robots.txt parser and matcher (RFC 9309).
 *
 * Only the group that applies to us is kept: while parsing, each group's
 * rules go to the "ours" list when one of its user-agent lines names our
 * product token and to the "star" list when one says "*"; at the end the
 * star list is used only when no group named us (2.2.1). Patterns and paths
 * are brought to one percent-encoding form before matching (2.2.2), so
 * "/%62az" matches "/baz" and a UTF-8 rule matches its encoded path.
 *
 * Matching is linear in the path plus the patterns, not their product.
 * A pattern is its '*'-separated literal segments: the first must start
 * the path, each next one is taken at its leftmost occurrence after the one
 * before, and under a final '$' the last must end the path. The leftmost
 * occurrence is never a wrong choice: it leaves the most path to the
 * segments that follow. Occurrences are searched with memmem (linear in
 * the path) until the searches have read the path a few times over; then
 * a suffix automaton of the path is built (linear too), where a segment
 * costs its own length whatever the path, and consecutive rules skip
 * their common prefix. Only a segment whose first occurrence lies before
 * the previous segment's end still needs memmem from there (and a miss is
 * remembered: rules ending in the same segment do not search again).
 * Rules are kept sorted by priority, so the first that matches decides,
 * and a rule is skipped at once when the path is shorter than its literal
 * octets or lacks one of its bytes. The rule count and pattern length are
 * capped (see robots.h); bench/robots measures the worst files.
 *
 * Sitemaps, which robots.txt points to, are read here too, gunzipped
 * when they come compressed (sitemap.xml.gz without Content-Encoding):
 * inflation is capped by the caller's byte limit, so a small file cannot
 * expand into gigabytes. */

#include "crawl/robots.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#define MAX_SITEMAPS 1000
#define MAX_CRAWL_DELAY_MS (24u * 3600u * 1000u)

/* The bytes a text contains, as a 256-bit set. */
struct byteset {
	uint64_t w[4];
};

struct robots_rule {
	bool allow;
	bool anchored; /* the pattern ended in '$' */
	size_t len; /* octets of the normalised pattern: the match priority */
	size_t literal; /* octets of it that the path must contain */
	struct byteset bytes; /* which octets those are */
	char *pattern; /* normalised; '*' wildcard; the final '$' is not stored */
};

struct rule_list {
	struct robots_rule *rules;
	size_t n, cap;
	unsigned crawl_delay_ms;
	bool seen; /* a group for this list existed (even with no rules) */
};

struct rsd_robots {
	atomic_uint refs; /* rsd_robots_ref/rsd_robots_free */
	struct rule_list rules; /* the list that applies, by priority */
	bool disallow_all;
	char **sitemaps;
	size_t n_sitemaps;
};

static bool is_unreserved(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One encoding for patterns and paths: %XX of an unreserved character is
 * decoded, other %XX upper-cased, octets that cannot appear literally in a
 * URI (controls, space, non-ASCII) encoded. At most 3x the input. */
static char *normalize_encoding(const char *in, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(3 * len + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '%' && i + 2 < len && hexval(in[i + 1]) >= 0 && hexval(in[i + 2]) >= 0) {
			int v = hexval(in[i + 1]) * 16 + hexval(in[i + 2]);
			i += 2;
			if (is_unreserved(v)) {
				out[o++] = (char)v;
				continue;
			}
			c = (unsigned char)v;
		} else if (c > 0x20 && c < 0x7f) {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '%';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 15];
	}
	out[o] = '\0';
	return out;
}

static void byteset_add(struct byteset *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		b->w[c >> 6] |= UINT64_C(1) << (c & 63);
	}
}

static bool byteset_within(const struct byteset *a, const struct byteset *b)
{
	return !((a->w[0] & ~b->w[0]) | (a->w[1] & ~b->w[1]) | (a->w[2] & ~b->w[2]) |
		 (a->w[3] & ~b->w[3]));
}

/* ---- suffix automaton of the path ---- */

/* Blumer et al. / Crochemore: one state per class of the path's substrings
 * that end at the same positions; walking a segment's bytes from the root
 * fails as soon as it is no substring, and the state reached knows where
 * its first occurrence ends (firstpos). At most 2n states and 3n edges for
 * a path of n octets; built in O(n x distinct octets). Edge lists are
 * singly linked (index 0: none); the root is state 0, which no edge
 * enters, so 0 also means "no such edge". */
struct sam_edge {
	uint32_t to, next;
	unsigned char c;
};

struct sam_state {
	uint32_t len, link, firstpos, edges;
};

struct sam {
	struct sam_state *st;
	struct sam_edge *ed;
	uint32_t n_st, n_ed, last;
	/* The last walk: the states after each of trail_seg's first
	 * trail_len octets (trail[0] is the root). Rules in priority order
	 * often share long prefixes; the next walk starts after the common
	 * part. */
	uint32_t *trail;
	const char *trail_seg;
	size_t trail_len;
};

#define SAM_NONE UINT32_MAX

static uint32_t sam_next(const struct sam *a, uint32_t v, unsigned char c)
{
	for (uint32_t e = a->st[v].edges; e; e = a->ed[e].next)
		if (a->ed[e].c == c)
			return a->ed[e].to;
	return 0;
}

static void sam_add_edge(struct sam *a, uint32_t from, unsigned char c, uint32_t to)
{
	uint32_t e = ++a->n_ed; /* the bounds make room: see sam_build */
	a->ed[e] = (struct sam_edge){ .to = to, .next = a->st[from].edges, .c = c };
	a->st[from].edges = e;
}

static void sam_redirect(struct sam *a, uint32_t from, unsigned char c, uint32_t to)
{
	for (uint32_t e = a->st[from].edges; e; e = a->ed[e].next)
		if (a->ed[e].c == c)
			a->ed[e].to = to;
}

/* q split: a copy of it for the shorter strings that now also end at i. */
static uint32_t sam_clone(struct sam *a, uint32_t p, uint32_t q, unsigned char c)
{
	uint32_t clone = a->n_st++;
	a->st[clone] = (struct sam_state){ .len = a->st[p].len + 1,
					   .link = a->st[q].link,
					   .firstpos = a->st[q].firstpos };
	for (uint32_t e = a->st[q].edges; e; e = a->ed[e].next)
		sam_add_edge(a, clone, a->ed[e].c, a->ed[e].to);
	for (; p != SAM_NONE && sam_next(a, p, c) == q; p = a->st[p].link)
		sam_redirect(a, p, c, clone);
	a->st[q].link = clone;
	return clone;
}

static void sam_extend(struct sam *a, unsigned char c, uint32_t i)
{
	uint32_t cur = a->n_st++, p = a->last;
	a->st[cur] = (struct sam_state){ .len = a->st[p].len + 1, .firstpos = i };
	for (; p != SAM_NONE && !sam_next(a, p, c); p = a->st[p].link)
		sam_add_edge(a, p, c, cur);
	if (p == SAM_NONE) {
		a->st[cur].link = 0;
	} else {
		uint32_t q = sam_next(a, p, c);
		a->st[cur].link = a->st[p].len + 1 == a->st[q].len ? q : sam_clone(a, p, q, c);
	}
	a->last = cur;
}

/* 0, or -ENOMEM (the caller then searches with memmem alone). */
static int sam_build(struct sam *a, const char *s, size_t n)
{
	if (n > UINT32_MAX / 4)
		return -ENOMEM;
	/* 2n - 1 states and 3n - 4 edges at most (n >= 3); edge 0 unused.
	 * No walk is longer than the path: n + 1 trail states. All three
	 * are 4-byte aligned at these offsets.
	 * One block: below the daemon's fixed 1.5 MiB mmap threshold
	 * (main.c) it comes from the heap and, once freed, stays there for
	 * the next verdict, so a thread does not fault in fresh pages for
	 * every long path (that cost more than the building itself). */
	*a = (struct sam){ 0 };
	size_t st = (2 * n + 2) * sizeof(*a->st), ed = (3 * n + 5) * sizeof(*a->ed);
	char *mem = malloc(st + ed + (n + 1) * sizeof(*a->trail));
	if (!mem)
		return -ENOMEM;
	a->st = (struct sam_state *)(void *)mem;
	a->ed = (struct sam_edge *)(void *)(mem + st);
	a->trail = (uint32_t *)(void *)(mem + st + ed);
	a->st[0] = (struct sam_state){ .link = SAM_NONE };
	a->n_st = 1;
	a->trail[0] = 0;
	for (size_t i = 0; i < n; i++)
		sam_extend(a, (unsigned char)s[i], (uint32_t)i);
	return 0;
}

/* Length of the common prefix of a and b, at most max. */
static size_t common_prefix(const char *a, const char *b, size_t max)
{
	size_t l = 0;
	while (l + 8 <= max && memcmp(a + l, b + l, 8) == 0)
		l += 8;
	while (l < max && a[l] == b[l])
		l++;
	return l;
}

/* Start of seg's leftmost occurrence in the path; -1 when it has none. */
static long sam_first(struct sam *a, const char *seg, size_t n)
{
	size_t l = a->trail_seg
			   ? common_prefix(seg, a->trail_seg, n < a->trail_len ? n : a->trail_len)
			   : 0;
	uint32_t v = a->trail[l];
	a->trail_seg = seg;
	for (size_t i = l; i < n; i++) {
		if (!(v = sam_next(a, v, (unsigned char)seg[i]))) {
			a->trail_len = i;
			return -1;
		}
		a->trail[i + 1] = v;
	}
	a->trail_len = n;
	return (long)a->st[v].firstpos + 1 - (long)n;
}

/* ---- matching ---- */

/* One verdict's view of the path. */
struct subject {
	const char *s;
	size_t n;
	struct byteset bytes;
	struct sam sam;
	int sam_state; /* 0: not built yet, 1: built, negative: could not be */
	size_t scanned; /* octets memmem was given so far */
	/* The last segment memmem did not find, and where it looked from:
	 * many rules ending in the same segment ask again from later on. */
	const char *miss;
	size_t miss_len, miss_pos;
};

/* memmem alone reads the path at most this many times over before the
 * automaton, which costs about as much to build, is built: short or easy
 * verdicts never pay for it. */
#define SAM_AFTER 4

/* Start of seg's leftmost occurrence at or after pos; -1 when none. */
static long find_from(struct subject *x, size_t pos, const char *seg, size_t n)
{
	if (x->sam_state == 0 && x->scanned > SAM_AFTER * x->n)
		x->sam_state = sam_build(&x->sam, x->s, x->n) == 0 ? 1 : -1;
	if (x->sam_state == 1) {
		long first = sam_first(&x->sam, seg, n);
		if (first < 0 || (size_t)first >= pos)
			return first;
	}
	if (x->miss && n == x->miss_len && pos >= x->miss_pos && memcmp(seg, x->miss, n) == 0)
		return -1;
	x->scanned += x->n - pos;
	const char *at = memmem(x->s + pos, x->n - pos, seg, n);
	if (!at) {
		x->miss = seg;
		x->miss_len = n;
		x->miss_pos = pos;
	}
	return at ? (long)(at - x->s) : -1;
}

/* The segments after a pattern's first '*' (p[0..plen)), against the
 * path from pos: each taken at its leftmost occurrence after the previous
 * one; anchored, the last one must end the path. An empty segment ("**",
 * a trailing '*') matches anywhere. */
static bool segments_match(const char *p, size_t plen, struct subject *x, size_t pos, bool anchored)
{
	const char *seg = p, *end = p + plen;
	for (;;) {
		const char *star = memchr(seg, '*', (size_t)(end - seg));
		size_t n = (size_t)((star ? star : end) - seg);
		if (!star && anchored)
			return n <= x->n - pos && memcmp(x->s + x->n - n, seg, n) == 0;
		if (n > 0) {
			long at = find_from(x, pos, seg, n);
			if (at < 0)
				return false;
			pos = (size_t)at + n;
		}
		if (!star)
			return true;
		seg = star + 1;
	}
}

/* 2.2.2: the pattern matches the path from its start; without a final '$'
 * a match of a prefix of the path is enough. */
static bool rule_matches(const struct robots_rule *r, struct subject *x)
{
	if (r->literal > x->n || !byteset_within(&r->bytes, &x->bytes))
		return false;
	const char *p = r->pattern;
	size_t plen = r->anchored ? r->len - 1 : r->len;
	const char *star = memchr(p, '*', plen);
	size_t first = star ? (size_t)(star - p) : plen;
	if (memcmp(p, x->s, first) != 0)
		return false;
	if (!star)
		return !r->anchored || first == x->n;
	return segments_match(star + 1, plen - first - 1, x, first, r->anchored);
}

static struct robots_rule make_rule(bool allow, char *pattern)
{
	struct robots_rule r = { .allow = allow, .len = strlen(pattern), .pattern = pattern };
	r.anchored = r.len > 0 && pattern[r.len - 1] == '$';
	if (r.anchored)
		pattern[r.len - 1] = '\0';
	for (const char *c = pattern; *c; c++) {
		if (*c != '*') {
			r.literal++;
			byteset_add(&r.bytes, c, 1);
		}
	}
	return r;
}

/* Adds the rule for pattern v[0..vlen) (as written). Past
 * RSD_ROBOTS_MAX_RULES the rest of the group is ignored, like the bytes
 * past RSD_ROBOTS_MAX_BYTES; a pattern longer than any URL the crawler
 * admits could never match and is ignored too. */
static int list_add(struct rule_list *l, bool allow, const char *v, size_t vlen)
{
	if (l->n == RSD_ROBOTS_MAX_RULES)
		return 0;
	char *pattern = normalize_encoding(v, vlen);
	if (!pattern)
		return -ENOMEM;
	struct robots_rule r = make_rule(allow, pattern);
	if (r.literal > RSD_ROBOTS_MAX_PATTERN) {
		free(pattern);
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		struct robots_rule *rules = realloc(l->rules, cap * sizeof(*rules));
		if (!rules) {
			free(pattern);
			return -ENOMEM;
		}
		l->rules = rules;
		l->cap = cap;
	}
	l->rules[l->n++] = r;
	return 0;
}

/* Priority order (2.2.2): the longest pattern first, and of two as long
 * Allow first; equal rules end up side by side. */
static int rule_cmp(const void *a, const void *b)
{
	const struct robots_rule *x = a, *y = b;
	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	if (x->allow != y->allow)
		return x->allow ? -1 : 1;
	if (x->anchored != y->anchored)
		return x->anchored ? -1 : 1;
	return strcmp(x->pattern, y->pattern);
}

/* Sorts by priority and drops repeated rules (a repeat never changes a
 * verdict; a file of one rule repeated would only cost time). */
static void list_finish(struct rule_list *l)
{
	if (l->n == 0)
		return;
	qsort(l->rules, l->n, sizeof(*l->rules), rule_cmp);
	size_t o = 1;
	for (size_t i = 1; i < l->n; i++) {
		if (rule_cmp(&l->rules[i], &l->rules[o - 1]) == 0)
			free(l->rules[i].pattern);
		else
			l->rules[o++] = l->rules[i];
	}
	l->n = o;
}

static void list_clear(struct rule_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->rules[i].pattern);
	free(l->rules);
	*l = (struct rule_list){ 0 };
}

/* ---- line-level parsing ---- */

struct parser {
	const char *agent;
	struct rule_list ours, star;
	bool in_agent_lines; /* the previous record was a user-agent line */
	bool group_ours, group_star;
	struct rsd_robots *out;
};

static void trim(const char **s, const char **e)
{
	while (*s < *e && isspace((unsigned char)**s))
		(*s)++;
	while (*e > *s && isspace((unsigned char)(*e)[-1]))
		(*e)--;
}

/* 2.2.1: the product token is matched case-insensitively against the
 * user-agent value's own leading token. */
static bool agent_matches(const char *agent, const char *v, size_t vlen)
{
	size_t n = 0;
	while (n < vlen && (isalpha((unsigned char)v[n]) || v[n] == '-' || v[n] == '_'))
		n++;
	return n > 0 && strlen(agent) == n && strncasecmp(agent, v, n) == 0;
}

static int on_user_agent(struct parser *ps, const char *v, size_t vlen)
{
	if (!ps->in_agent_lines)
		ps->group_ours = ps->group_star = false; /* a new group starts */
	ps->in_agent_lines = true;
	if (vlen == 1 && v[0] == '*') {
		ps->group_star = true;
		ps->star.seen = true;
	} else if (agent_matches(ps->agent, v, vlen)) {
		ps->group_ours = true;
		ps->ours.seen = true;
	}
	return 0;
}

static int on_rule(struct parser *ps, bool allow, const char *v, size_t vlen)
{
	ps->in_agent_lines = false;
	if (vlen == 0)
		return 0; /* "Disallow:" with no path disallows nothing */
	int rc = 0;
	if (ps->group_ours)
		rc = list_add(&ps->ours, allow, v, vlen);
	if (rc == 0 && ps->group_star)
		rc = list_add(&ps->star, allow, v, vlen);
	return rc;
}

static void on_crawl_delay(struct parser *ps, const char *v, size_t vlen)
{
	ps->in_agent_lines = false;
	char buf[32];
	if (vlen == 0 || vlen >= sizeof(buf))
		return;
	memcpy(buf, v, vlen);
	buf[vlen] = '\0';
	char *end;
	double s = strtod(buf, &end);
	if (*end != '\0' || !(s >= 0))
		return;
	unsigned ms = s * 1000 > MAX_CRAWL_DELAY_MS ? MAX_CRAWL_DELAY_MS : (unsigned)(s * 1000);
	if (ps->group_ours)
		ps->ours.crawl_delay_ms = ms;
	if (ps->group_star)
		ps->star.crawl_delay_ms = ms;
}

static int on_sitemap(struct parser *ps, const char *v, size_t vlen)
{
	struct rsd_robots *r = ps->out;
	if (vlen == 0 || r->n_sitemaps == MAX_SITEMAPS)
		return 0;
	char **s = realloc(r->sitemaps, (r->n_sitemaps + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	r->sitemaps = s;
	s[r->n_sitemaps] = strndup(v, vlen);
	if (!s[r->n_sitemaps])
		return -ENOMEM;
	r->n_sitemaps++;
	return 0;
}

static bool key_is(const char *k, size_t klen, const char *name)
{
	return strlen(name) == klen && strncasecmp(k, name, klen) == 0;
}

static int parse_line(struct parser *ps, const char *s, const char *e)
{
	const char *hash = memchr(s, '#', (size_t)(e - s));
	if (hash)
		e = hash;
	const char *colon = memchr(s, ':', (size_t)(e - s));
	if (!colon)
		return 0;
	const char *ks = s, *ke = colon, *vs = colon + 1, *ve = e;
	trim(&ks, &ke);
	trim(&vs, &ve);
	size_t klen = (size_t)(ke - ks), vlen = (size_t)(ve - vs);
	if (key_is(ks, klen, "user-agent"))
		return on_user_agent(ps, vs, vlen);
	if (key_is(ks, klen, "allow"))
		return on_rule(ps, true, vs, vlen);
	if (key_is(ks, klen, "disallow"))
		return on_rule(ps, false, vs, vlen);
	if (key_is(ks, klen, "crawl-delay"))
		on_crawl_delay(ps, vs, vlen);
	else if (key_is(ks, klen, "sitemap"))
		return on_sitemap(ps, vs, vlen);
	return 0; /* unknown records neither end nor start a group */
}

int rsd_robots_parse(const char *text, size_t len, const char *agent, struct rsd_robots **out)
{
	*out = NULL;
	struct rsd_robots *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	struct parser ps = { .agent = agent ? agent : "", .out = r };
	if (len > RSD_ROBOTS_MAX_BYTES)
		len = RSD_ROBOTS_MAX_BYTES;
	const char *p = text, *end = text + len;
	if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	int rc = 0;
	while (p < end && rc == 0) {
		const char *eol = p;
		while (eol < end && *eol != '\n' && *eol != '\r')
			eol++;
		rc = parse_line(&ps, p, eol);
		p = eol + 1;
	}
	if (rc < 0) {
		list_clear(&ps.ours);
		list_clear(&ps.star);
		rsd_robots_free(r);
		return rc;
	}
	atomic_init(&r->refs, 1);
	/* 2.2.1: our own groups win; "*" only when none names us. */
	if (ps.ours.seen) {
		r->rules = ps.ours;
		list_clear(&ps.star);
	} else {
		r->rules = ps.star;
		list_clear(&ps.ours);
	}
	list_finish(&r->rules);
	*out = r;
	return 0;
}

int rsd_robots_new_allow_all(struct rsd_robots **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	atomic_init(&(*out)->refs, 1);
	return 0;
}

int rsd_robots_new_disallow_all(struct rsd_robots **out)
{
	int rc = rsd_robots_new_allow_all(out);
	if (rc == 0)
		(*out)->disallow_all = true;
	return rc;
}

struct rsd_robots *rsd_robots_ref(struct rsd_robots *r)
{
	/* Relaxed: the caller already holds a reference, so the object and
	 * its contents are visible to it; only the count changes. */
	atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
	return r;
}

void rsd_robots_free(struct rsd_robots *r)
{
	if (!r)
		return;
	/* acq_rel: this thread's reads of the rules happen before the count
	 * drops (release), and the thread that frees sees every other
	 * holder's release (acquire) before freeing. */
	if (atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) != 1)
		return;
	list_clear(&r->rules);
	for (size_t i = 0; i < r->n_sitemaps; i++)
		free(r->sitemaps[i]);
	free(r->sitemaps);
	free(r);
}

/* The rule as written (normalised), "$" included; cut to fit. */
static void copy_rule(const struct robots_rule *rule, char *buf, size_t size)
{
	if (size)
		snprintf(buf, size, "%s%s", rule->pattern, rule->anchored ? "$" : "");
}

bool rsd_robots_check(const struct rsd_robots *r, const char *path, char *rule, size_t rule_size)
{
	if (rule_size)
		rule[0] = '\0';
	if (strcmp(path, "/robots.txt") == 0)
		return true; /* 2.2.2: implicitly allowed */
	if (r->disallow_all)
		return false;
	if (r->rules.n == 0)
		return true;
	char *norm = normalize_encoding(path, strlen(path));
	if (!norm)
		return false; /* out of memory: the safe answer */
	struct subject x = { .s = norm, .n = strlen(norm) };
	byteset_add(&x.bytes, norm, x.n);
	/* By priority: the first rule that matches is the longest, Allow on
	 * a tie (2.2.2). */
	bool allowed = true;
	for (size_t i = 0; i < r->rules.n; i++) {
		const struct robots_rule *cand = &r->rules.rules[i];
		if (rule_matches(cand, &x)) {
			allowed = cand->allow;
			if (!allowed)
				copy_rule(cand, rule, rule_size);
			break;
		}
	}
	if (x.sam_state == 1)
		free(x.sam.st); /* the block's start */
	free(norm);
	return allowed;
}

bool rsd_robots_allowed(const struct rsd_robots *r, const char *path)
{
	return rsd_robots_check(r, path, NULL, 0);
}

unsigned rsd_robots_crawl_delay_ms(const struct rsd_robots *r)
{
	return r->rules.crawl_delay_ms;
}

size_t rsd_robots_sitemaps(const struct rsd_robots *r, const char *const **urls)
{
	*urls = (const char *const *)r->sitemaps;
	return r->n_sitemaps;
}

char *rsd_robots_product_token(const char *user_agent)
{
	size_t n = 0;
	while (user_agent[n] && (isalpha((unsigned char)user_agent[n]) || user_agent[n] == '-' ||
				 user_agent[n] == '_'))
		n++;
	return strndup(user_agent, n);
}

/* ---- sitemaps ---- */

static bool is_gzip(const char *p, size_t len)
{
	return len >= 2 && (unsigned char)p[0] == 0x1f && (unsigned char)p[1] == 0x8b;
}

/* Decodes the five XML entities and ASCII character references in place;
 * anything else is left as written (a URL has no business containing it). */
static void xml_unescape(char *s)
{
	static const struct {
		const char *name;
		char c;
	} ents[] = {
		{ "&amp;", '&' },  { "&lt;", '<' },    { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' },
	};
	char *o = s;
	for (char *p = s; *p;) {
		bool done = false;
		for (size_t i = 0; *p == '&' && i < sizeof(ents) / sizeof(ents[0]) && !done; i++) {
			size_t n = strlen(ents[i].name);
			if (strncmp(p, ents[i].name, n) == 0) {
				*o++ = ents[i].c;
				p += n;
				done = true;
			}
		}
		if (!done && p[0] == '&' && p[1] == '#') {
			char *end;
			bool hex = p[2] == 'x' || p[2] == 'X';
			long v = strtol(p + (hex ? 3 : 2), &end, hex ? 16 : 10);
			if (*end == ';' && v > 0x20 && v < 0x7f) {
				*o++ = (char)v;
				p = end + 1;
				done = true;
			}
		}
		if (!done)
			*o++ = *p++;
	}
	*o = '\0';
}

/* The text of one <loc> element, trimmed, CDATA unwrapped; malloc'ed. */
static char *loc_text(const char *s, const char *e)
{
	trim(&s, &e);
	if (e - s >= 12 && memcmp(s, "<![CDATA[", 9) == 0 && memcmp(e - 3, "]]>", 3) == 0) {
		s += 9;
		e -= 3;
		trim(&s, &e);
	}
	char *t = strndup(s, (size_t)(e - s));
	if (t)
		xml_unescape(t);
	return t;
}

int rsd_robots_sitemap_parse(const char *xml, size_t len, bool *is_index, char ***locs, size_t *n)
{
	*locs = NULL;
	*n = 0;
	*is_index = false;
	if (is_gzip(xml, len))
		return -ENOTSUP;
	*is_index = memmem(xml, len, "<sitemapindex", 13) != NULL;
	const char *p = xml, *end = xml + len;
	size_t cap = 0;
	while (*n < RSD_ROBOTS_SITEMAP_MAX_URLS && (p = memmem(p, (size_t)(end - p), "<loc", 4))) {
		const char *gt = memchr(p, '>', (size_t)(end - p));
		if (!gt)
			break;
		bool is_loc = p[4] == '>' || isspace((unsigned char)p[4]);
		p = gt + 1;
		if (!is_loc || gt[-1] == '/')
			continue; /* <location>, <loc/> */
		const char *close = memmem(p, (size_t)(end - p), "</loc>", 6);
		if (!close)
			break;
		char *t = loc_text(p, close);
		p = close + 6;
		if (t && !*t) {
			free(t);
			continue;
		}
		if (t && *n == cap) {
			cap = cap ? 2 * cap : 64;
			char **v = realloc(*locs, cap * sizeof(*v));
			if (!v) {
				free(t);
				t = NULL;
			} else {
				*locs = v;
			}
		}
		if (!t) {
			rsd_robots_sitemap_free(*locs, *n);
			*locs = NULL;
			*n = 0;
			return -ENOMEM;
		}
		(*locs)[(*n)++] = t;
	}
	return 0;
}

void rsd_robots_sitemap_free(char **locs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(locs[i]);
	free(locs);
}

/* ---- gzip ---- */

/* Makes room for more output: doubling, never past max_bytes + 1 usable
 * bytes (one over the cap is how "too big" shows), plus the NUL. */
static int gunzip_grow(char **buf, size_t *cap, size_t max_bytes)
{
	if (*cap > max_bytes)
		return -EFBIG;
	size_t want = *cap ? 2 * *cap : 64 * 1024;
	if (want > max_bytes + 1 || want < *cap)
		want = max_bytes + 1;
	char *b = realloc(*buf, want + 1);
	if (!b)
		return -ENOMEM;
	*buf = b;
	*cap = want;
	return 0;
}

/* One inflate step over all of the remaining input. Returns 1 at the end
 * of the data, 0 to go on, or a negative errno. */
static int gunzip_step(z_stream *z, char **buf, size_t *cap, size_t *n, size_t max_bytes)
{
	if (*n == *cap) {
		int rc = gunzip_grow(buf, cap, max_bytes);
		if (rc < 0)
			return rc;
	}
	size_t room = *cap - *n;
	z->next_out = (Bytef *)*buf + *n;
	z->avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
	uInt out_before = z->avail_out, in_before = z->avail_in;
	int zr = inflate(z, Z_NO_FLUSH);
	*n += out_before - z->avail_out;
	if (*n > max_bytes)
		return -EFBIG;
	if (zr == Z_STREAM_END) {
		/* Another member may follow (RFC 1952 2.2); trailing bytes that
		 * are not one are ignored, as gzip(1) does. */
		if (!is_gzip((const char *)z->next_in, z->avail_in))
			return 1;
		return inflateReset(z) == Z_OK ? 0 : -EBADMSG;
	}
	if (zr == Z_MEM_ERROR)
		return -ENOMEM;
	if (zr != Z_OK && zr != Z_BUF_ERROR)
		return -EBADMSG;
	/* No progress with room to write: the input ended mid-stream. */
	if (z->avail_out > 0 && z->avail_in == in_before && out_before == z->avail_out)
		return -EBADMSG;
	return 0;
}

int rsd_robots_gunzip(const char *gz, size_t len, size_t max_bytes, char **out, size_t *out_len)
{
	*out = NULL;
	*out_len = 0;
	if (len > UINT_MAX)
		return -EFBIG; /* zlib counts input in uInt; no sitemap is 4 GiB */
	z_stream z = { .next_in = (Bytef *)(uintptr_t)gz, .avail_in = (uInt)len };
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) /* 16: gzip wrapper only */
		return -ENOMEM;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	int rc;
	while ((rc = gunzip_step(&z, &buf, &cap, &n, max_bytes)) == 0)
		;
	inflateEnd(&z);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return 0;
}

int rsd_robots_sitemap_read(const char *data, size_t len, size_t max_bytes, bool *is_index,
			    char ***locs, size_t *n)
{
	if (!is_gzip(data, len))
		return rsd_robots_sitemap_parse(data, len, is_index, locs, n);
	*locs = NULL;
	*n = 0;
	*is_index = false;
	char *xml;
	size_t xml_len;
	int rc = rsd_robots_gunzip(
		data, len,
		max_bytes < RSD_ROBOTS_SITEMAP_MAX_BYTES ? max_bytes : RSD_ROBOTS_SITEMAP_MAX_BYTES,
		&xml, &xml_len);
	if (rc < 0)
		return rc;
	/* A gzip inside the gzip is not a sitemap: parse says -ENOTSUP. */
	rc = rsd_robots_sitemap_parse(xml, xml_len, is_index, locs, n);
	free(xml);
	return rc;
}
