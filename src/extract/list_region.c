/* SPDX-License-Identifier: MIT */
/* The part of a page that holds its lists (see list_region.h). */
#include <string.h>
#include <strings.h>

#include "extract/list_region.h"
#include "extract/html_scan.h"
#include "core/text.h"

enum {
	REGION_MAX_DEPTH = 256, /* deeper pages are parsed whole */
	DOCTYPE_LOOK = 1024, /* a doctype later than its first token is looked for this far */
};

struct open_element {
	const char *name;
	size_t name_len;
	const char *start; /* its start tag's '<' */
	bool plain; /* a container gumbo reads alike alone and within the page */
	bool hides;
	bool carried; /* a formatting element or a form: outlives an implied end */
};

/* A rough stack of open elements: start tags push, an end tag pops to the
 * nearest element of its name (none: ignored). Elements closed without an
 * end tag (<p>, <li>) stay open until an enclosing end tag, which makes
 * them look like ancestors of what follows: the part is then refused,
 * which is safe. */
struct region_scan {
	struct rsd_html_scanner s;
	struct open_element st[REGION_MAX_DEPTH];
	size_t depth;
	bool lost; /* a carried element was popped by another's end tag */
	bool overflow;
};

static bool name_in(const struct rsd_html_tag *t, const char *const *names)
{
	for (size_t i = 0; names[i]; i++)
		if (rsd_text_ieq(t->name, t->name_len, names[i]))
			return true;
	return false;
}

static bool is_void(const struct rsd_html_tag *t)
{
	static const char *const VOID[] = { "area",  "base",  "br",     "col",  "embed",
					    "hr",    "img",   "input",  "link", "meta",
					    "param", "source", "track", "wbr",  "keygen",
					    NULL };
	return name_in(t, VOID);
}

static bool attr_has(const struct rsd_html_tag *t, const char *name, const char *fragment)
{
	const struct rsd_html_attr *a = rsd_html_scan_attr(t, name);
	return a && (!fragment || rsd_text_icasefind(a->value, a->value_len, fragment));
}

/* Whether the element may hide its contents (rsd_dom_is_hidden, read
 * more broadly on the raw attributes). */
static bool may_hide(const struct rsd_html_tag *t)
{
	return attr_has(t, "hidden", NULL) || attr_has(t, "style", "none") ||
	       attr_has(t, "class", "sr-only") || attr_has(t, "class", "screen-reader") ||
	       attr_has(t, "class", "visually-hidden");
}

static void push(struct region_scan *r, const struct rsd_html_tag *t)
{
	static const char *const PLAIN[] = { "html",  "body",    "div",    "section", "article",
					     "main",  "header",  "footer", "aside",   "nav",
					     "figure", "blockquote", "details", "center", "ul",
					     "ol",    "dl",      NULL };
	static const char *const CARRIED[] = { "a",     "b",      "big", "code", "em", "font",
					       "i",     "nobr",   "s",   "small", "strike",
					       "strong", "tt",    "u",   "form", NULL };
	if (r->depth == REGION_MAX_DEPTH) {
		r->overflow = true;
		return;
	}
	r->st[r->depth++] = (struct open_element){ .name = t->name,
						   .name_len = t->name_len,
						   .start = t->name - 1,
						   .plain = name_in(t, PLAIN),
						   .hides = may_hide(t),
						   .carried = name_in(t, CARRIED) };
}

static void pop_to(struct region_scan *r, const struct rsd_html_tag *t)
{
	if (rsd_html_scan_is(t, "body") || rsd_html_scan_is(t, "html"))
		return; /* gumbo keeps both open to the end */
	for (size_t i = r->depth; i-- > 0;) {
		const struct open_element *e = &r->st[i];
		if (e->name_len != t->name_len || strncasecmp(e->name, t->name, t->name_len) != 0)
			continue;
		for (size_t j = i + 1; j < r->depth; j++)
			r->lost |= r->st[j].carried;
		r->depth = i;
		return;
	}
}

static void follow(struct region_scan *r, const struct rsd_html_tag *t)
{
	if (t->is_end)
		pop_to(r, t);
	else if (!t->text && !is_void(t) && !(r->s.foreign_depth && t->self_closing))
		push(r, t); /* raw text (script, title, ...) came with its contents */
}

static const char *tag_start(const struct rsd_html_tag *t)
{
	return t->name - 1 - t->is_end;
}

bool rsd_list_region_doctype(const char *html, size_t len, size_t *doctype_len)
{
	size_t i = 0;
	while (i < len && rsd_text_is_space(html[i]))
		i++;
	*doctype_len = 0;
	if (len - i >= 9 && rsd_text_ieq(html + i, 9, "<!doctype")) {
		const char *gt = memchr(html + i, '>', len - i);
		*doctype_len = gt ? (size_t)(gt + 1 - html) : 0;
		return gt != NULL;
	}
	return !rsd_text_icasefind(html, len < DOCTYPE_LOOK ? len : DOCTYPE_LOOK, "<!doctype");
}

static bool is_named(const struct open_element *e, const char *a, const char *b)
{
	return rsd_text_ieq(e->name, e->name_len, a) || rsd_text_ieq(e->name, e->name_len, b);
}

/* E: climb levels above the innermost open element that started at or
 * before `first`, or the outermost element below <body> when it is
 * closer; -1 when it or one of its ancestors is refused. A search that
 * needs more than E is refused after the parse (html_lists.h, bound). */
static long choose_root(const struct region_scan *r, const char *first, size_t climb)
{
	size_t inner = r->depth;
	while (inner > 0 && r->st[inner - 1].start > first)
		inner--;
	size_t below_body = 0; /* the first element E may be */
	while (below_body < inner && is_named(&r->st[below_body], "html", "body"))
		below_body++;
	if (inner <= below_body || r->lost || r->overflow)
		return -1;
	size_t root = inner - 1 >= below_body + climb ? inner - 1 - climb : below_body;
	for (size_t i = 0; i <= root; i++)
		if (!r->st[i].plain || r->st[i].hides)
			return -1;
	return (long)root;
}

bool rsd_list_region_find(const char *html, size_t len, const char *first, const char *last,
			  struct rsd_list_region *out)
{
	return rsd_list_region_climb(html, len, first, last, RSD_LIST_REGION_CLIMB, out);
}

bool rsd_list_region_climb(const char *html, size_t len, const char *first, const char *last,
			   size_t climb, struct rsd_list_region *out)
{
	struct region_scan r = { 0 };
	struct rsd_html_tag t;
	if (!rsd_list_region_doctype(html, len, &out->doctype_len))
		return false;
	rsd_html_scan_init(&r.s, html, len);
	bool more;
	while ((more = rsd_html_scan_next(&r.s, &t)) && tag_start(&t) <= last && !r.overflow)
		follow(&r, &t);
	long root = choose_root(&r, first, climb);
	if (root < 0)
		return false;
	out->from = r.st[root].start;
	out->to = html + len; /* E open to the end */
	for (; more && !r.overflow; more = rsd_html_scan_next(&r.s, &t)) {
		follow(&r, &t);
		if (r.depth <= (size_t)root) {
			out->to = r.s.p; /* E's end tag, or the enclosing one that ends it */
			break;
		}
	}
	/* a part that is most of the page saves nothing */
	return !r.overflow && (size_t)(out->to - out->from) < len / 2 + len / 4;
}
