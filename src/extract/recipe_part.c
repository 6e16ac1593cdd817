/* SPDX-License-Identifier: MIT */
/* A microdata Recipe from a parse of its element alone (see
 * recipe_part.h). The argument, token by token: gumbo builds the
 * element's subtree from the element's tokens and the parser's state when
 * it starts (the stack of open elements below it, the active formatting
 * elements, the form pointer, the insertion mode, the document's mode).
 * The part's parse starts with the page's doctype (same mode), nothing
 * below the element but <html> and <body>, no formatting element or form
 * active, in body. The scan's checks make the page's state alike where
 * the element's tokens can see it (no formatting element or form carried,
 * in body: no table, cell, select or template below the element), and
 * the element, a block container, closed any <p> open below it. What
 * remains are tokens that look below the element: an end tag whose
 * element is not open in the part (the page may close the Recipe with
 * it; the part ignores it, so it closes nothing there), a table part that
 * a cell below the element would take (the part ignores it: no element),
 * and an <li>, <dd> or <dt> that looks through <div>s for an item to
 * close. The checks after the parse refuse each of them. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract/recipe_part.h"
#include "extract/dom.h"
#include "extract/html_scan.h"
#include "extract/list_region.h"
#include "extract/microdata.h"
#include "core/text.h"

/* What a tag name is to the tree builder, as far as the checks ask. */
enum {
	C_PLAIN = 1 << 0, /* a container gumbo treats alike within the page and alone */
	C_BLOCK = 1 << 1, /* the Recipe's element may be one: it closes a <p> */
	C_CARRIED = 1 << 2, /* a formatting element or a form: outlives an implied end */
	C_SPECIAL = 1 << 3, /* HTML's "special" category: stops a phrasing end tag */
	C_BARRIER = 1 << 4, /* ends an "in scope" search (or is a select, table ...) */
	C_LIST = 1 << 5, /* ends a list item's scope search */
	C_BUTTON = 1 << 6, /* ends a <p>'s scope search */
	C_VOID = 1 << 7, /* no end tag, never open */
	C_REFUSED = 1 << 8, /* inside the Recipe: the part cannot be read alone */
	C_CLOSES_P = 1 << 9, /* its start tag closes a <p> in button scope */
};

#define PB (C_PLAIN | C_BLOCK | C_SPECIAL | C_CLOSES_P)
#define SP C_SPECIAL
#define CP (C_SPECIAL | C_CLOSES_P)
#define VS (C_VOID | C_SPECIAL)
#define SB (C_SPECIAL | C_BARRIER)

/* Tag names by length; any other name is a phrasing element. */
static const struct tag_class {
	const char *name;
	unsigned cls;
} CLASSES[11][20] = {
	[1] = { { "a", C_CARRIED },
		{ "b", C_CARRIED },
		{ "i", C_CARRIED },
		{ "p", CP },
		{ "s", C_CARRIED },
		{ "u", C_CARRIED } },
	[2] = { { "dd", CP },
		{ "dl", PB },
		{ "dt", CP },
		{ "em", C_CARRIED },
		{ "h1", CP },
		{ "h2", CP },
		{ "h3", CP },
		{ "h4", CP },
		{ "h5", CP },
		{ "h6", CP },
		{ "hr", VS | C_CLOSES_P },
		{ "li", CP },
		{ "ol", PB | C_LIST },
		{ "td", SB },
		{ "th", SB },
		{ "tr", SP },
		{ "tt", C_CARRIED },
		{ "ul", PB | C_LIST },
		{ "br", VS } },
	[3] = { { "big", C_CARRIED },
		{ "div", PB },
		{ "img", VS },
		{ "nav", PB },
		{ "pre", CP },
		{ "wbr", VS },
		{ "col", VS },
		{ "svg", SB },
		{ "xmp", CP },
		{ "dir", CP } },
	[4] = { { "html", C_PLAIN | SB | C_REFUSED },
		{ "body", C_PLAIN | SP | C_REFUSED },
		{ "head", SP | C_REFUSED },
		{ "main", PB },
		{ "form", C_CARRIED | SP },
		{ "font", C_CARRIED },
		{ "nobr", C_CARRIED },
		{ "code", C_CARRIED },
		{ "area", VS },
		{ "base", VS },
		{ "link", VS },
		{ "meta", VS },
		{ "math", SB },
		{ "menu", CP } },
	[5] = { { "table", SB },
		{ "tbody", SP },
		{ "thead", SP },
		{ "tfoot", SP },
		{ "embed", VS },
		{ "input", VS },
		{ "param", VS },
		{ "track", VS },
		{ "frame", VS },
		{ "aside", PB },
		{ "small", C_CARRIED },
		{ "title", SP },
		{ "style", SP } },
	[6] = { { "header", PB },
		{ "footer", PB },
		{ "center", PB },
		{ "figure", PB },
		{ "strong", C_CARRIED },
		{ "strike", C_CARRIED },
		{ "select", SB },
		{ "button", SP | C_BUTTON },
		{ "applet", SB },
		{ "object", SB },
		{ "source", VS },
		{ "keygen", VS },
		{ "iframe", SP },
		{ "hgroup", CP },
		{ "script", SP } },
	[7] = { { "article", PB },
		{ "section", PB },
		{ "details", PB },
		{ "caption", SB },
		{ "marquee", SB },
		{ "address", CP },
		{ "summary", CP },
		{ "listing", CP },
		{ "noembed", SP },
		{ "bgsound", VS } },
	[8] = { { "template", SB },
		{ "fieldset", CP },
		{ "frameset", SP | C_REFUSED },
		{ "colgroup", SP },
		{ "basefont", VS },
		{ "noframes", SP },
		{ "textarea", SP },
		{ "noscript", SP } },
	[9] = { { "plaintext", CP } },
	[10] = { { "blockquote", PB }, { "figcaption", CP } },
};

#undef PB
#undef SP
#undef CP
#undef VS
#undef SB

static unsigned tag_class(const struct rsd_html_tag *t)
{
	if (t->name_len >= sizeof CLASSES / sizeof CLASSES[0])
		return 0;
	const struct tag_class *c = CLASSES[t->name_len];
	for (size_t i = 0; i < sizeof CLASSES[0] / sizeof CLASSES[0][0] && c[i].name; i++)
		if (rsd_text_ieq(t->name, t->name_len, c[i].name))
			return c[i].cls;
	return 0;
}

enum { PART_MAX_DEPTH = 256 }; /* deeper pages are parsed whole */

struct open_element {
	const char *name;
	size_t name_len;
	unsigned cls;
};

/* A conservative stack of open elements: start tags push, an end tag
 * pops to the nearest element of its name (none: ignored), a block's
 * start tag closes a <p> (close_p). Other elements gumbo closes without
 * an end tag (<li>, <dd>, a <p> before a <table>) stay open here, so they
 * look like ancestors of what follows: refused, which is safe. `unsure`
 * when gumbo may not have done what the scan did (it keeps an active
 * formatting element, or ignores the end tag). */
struct part_scan {
	struct rsd_html_scanner s;
	struct open_element st[PART_MAX_DEPTH];
	size_t depth;
	bool unsure;
};

/* Whether gumbo ends target's search at e, keeping what the scan pops. */
static bool stops_search(unsigned target, const char *name, size_t len, unsigned e)
{
	if (!(target & C_SPECIAL)) /* "any other end tag" stops at a special one */
		return e & C_SPECIAL;
	unsigned barrier = C_BARRIER;
	if (rsd_text_ieq(name, len, "li"))
		barrier |= C_LIST;
	else if (rsd_text_ieq(name, len, "p"))
		barrier |= C_BUTTON;
	return e & barrier;
}

/* A start tag that closes a <p>: gumbo pops to the <p> when no table,
 * cell, button ... stands above it (HTML's "button scope"). A <p> gumbo
 * closed otherwise (a <table>'s start tag, a <form>'s) stays here, an
 * ancestor of what follows: refused, which is safe. */
static void close_p(struct part_scan *ps)
{
	size_t i = ps->depth;
	while (i > 0 && !(ps->st[i - 1].name_len == 1 && (ps->st[i - 1].name[0] | 0x20) == 'p')) {
		if (ps->st[i - 1].cls & (C_BARRIER | C_BUTTON))
			return;
		i--;
	}
	if (i == 0)
		return;
	for (size_t j = i; j < ps->depth; j++)
		ps->unsure |= (ps->st[j].cls & C_CARRIED) != 0;
	ps->depth = i - 1;
}

/* An end tag: the index popped to, or -1 when nothing was popped. */
static long scan_end(struct part_scan *ps, const struct rsd_html_tag *t, unsigned cls)
{
	if (rsd_html_scan_is(t, "body") || rsd_html_scan_is(t, "html"))
		return -1; /* gumbo keeps both open to the end */
	size_t i = ps->depth;
	while (i > 0 && (ps->st[i - 1].name_len != t->name_len ||
			 strncasecmp(ps->st[i - 1].name, t->name, t->name_len) != 0))
		i--;
	if (i == 0)
		return -1;
	/* gumbo's </form> takes the form out of the stack, nothing above it */
	if (i < ps->depth && rsd_html_scan_is(t, "form"))
		ps->unsure = true;
	for (size_t j = i; j < ps->depth; j++)
		if ((ps->st[j].cls & C_CARRIED) ||
		    stops_search(cls, t->name, t->name_len, ps->st[j].cls))
			ps->unsure = true;
	ps->depth = i - 1;
	return (long)(i - 1);
}

/* The next tag into the stack: its class, *popped the index an end tag
 * popped to (-1 none); false at the end of the page or past the depth. */
static bool scan_follow(struct part_scan *ps, struct rsd_html_tag *t, unsigned *cls, long *popped)
{
	*popped = -1;
	if (!rsd_html_scan_next(&ps->s, t))
		return false;
	*cls = tag_class(t);
	if (t->is_end) {
		*popped = scan_end(ps, t, *cls);
		return true;
	}
	if ((*cls & C_CLOSES_P) && !ps->s.foreign_depth)
		close_p(ps);
	if (!(*cls & C_VOID) && !(ps->s.foreign_depth && t->self_closing)) {
		if (ps->depth == PART_MAX_DEPTH)
			return false;
		ps->st[ps->depth++] = (struct open_element){ t->name, t->name_len, *cls };
	}
	return true;
}

/* A start tag gumbo takes for a Recipe item (rsd_dom_is_recipe_item on
 * the decoded itemtype); *rc -ENOMEM. */
static bool is_recipe_start(const struct rsd_html_tag *t, int *rc)
{
	const struct rsd_html_attr *it = t->n_attrs ? rsd_html_scan_attr(t, "itemtype") : NULL;
	if (!it || t->is_end || !rsd_html_scan_attr(t, "itemscope") ||
	    !rsd_text_icasefind(it->value, it->value_len, "recipe"))
		return false;
	struct rsd_text_buf b = { 0 };
	if (rsd_text_decode_entities(it->value, it->value_len, true, &b) < 0 ||
	    rsd_text_buf_append(&b, "", 0) < 0) {
		rsd_text_buf_free(&b);
		*rc = -ENOMEM;
		return false;
	}
	bool recipe = rsd_dom_is_recipe_item("", b.data);
	rsd_text_buf_free(&b);
	return recipe;
}

/* The part: the Recipe's start tag to its end tag, and the page's doctype. */
struct recipe_part {
	const char *from, *to;
	const char *end_tag; /* the Recipe's end tag, the part's last tag */
	size_t doctype_len;
	bool is_div;
};

/* Scans to the page's first Recipe item: true with ps at its start tag
 * (pushed) when every element open around it is a plain container and
 * nothing may be carried into it; false otherwise or on -ENOMEM (*rc). */
static bool scan_to_recipe(struct part_scan *ps, struct rsd_html_tag *t, int *rc)
{
	unsigned cls;
	long popped;
	while (*rc == 0 && scan_follow(ps, t, &cls, &popped)) {
		if (t->is_end || !is_recipe_start(t, rc))
			continue;
		/* pushed, a block container, nothing carried into it */
		bool plain = (cls & C_BLOCK) && !ps->unsure && !rsd_html_scan_attr(t, "itemref") &&
			     ps->depth && ps->st[ps->depth - 1].name == t->name;
		for (size_t i = 0; plain && i + 1 < ps->depth; i++)
			plain = ps->st[i].cls & C_PLAIN;
		return plain;
	}
	return false;
}

/* Scans the Recipe's element to its own end tag (its depth: at), refusing
 * the tags that make its part read otherwise alone. */
static bool scan_recipe(struct part_scan *ps, struct rsd_html_tag *t, size_t at,
			struct recipe_part *part)
{
	unsigned cls;
	long popped;
	while (scan_follow(ps, t, &cls, &popped)) {
		if (!t->is_end && ((cls & C_REFUSED) || rsd_html_scan_attr(t, "itemref")))
			return false;
		if (popped < 0 || (size_t)popped > at)
			continue;
		if ((size_t)popped < at) /* an end tag of an element around it */
			return false;
		part->end_tag = t->name - 2;
		part->to = ps->s.p;
		return true;
	}
	return false;
}

/* No <html> or <body> tag in [p, end): a later one gives its attributes
 * to an element before the Recipe (an itemscope, a class). */
static bool no_root_tag_in(const char *p, const char *end)
{
	while ((p = memchr(p, '<', (size_t)(end - p))) != NULL && end - p > 5) {
		p++;
		if ((rsd_text_ieq(p, 4, "html") || rsd_text_ieq(p, 4, "body")) &&
		    (rsd_text_is_space(p[4]) || p[4] == '>' || p[4] == '/'))
			return false;
	}
	return true;
}

/* Finds the part (see recipe_part.h): 1 found, 0 none that reads alone,
 * -ENOMEM. */
static int find_part(const char *html, size_t len, struct recipe_part *part)
{
	struct part_scan *ps = malloc(sizeof *ps);
	struct rsd_html_tag t;
	int rc = 0;
	if (!ps)
		return -ENOMEM;
	ps->depth = 0;
	ps->unsure = false;
	rsd_html_scan_init(&ps->s, html, len);
	bool found = rsd_list_region_doctype(html, len, &part->doctype_len) &&
		     scan_to_recipe(ps, &t, &rc);
	if (found) {
		part->from = t.name - 1;
		part->is_div = rsd_html_scan_is(&t, "div");
		found = scan_recipe(ps, &t, ps->depth - 1, part) &&
			no_root_tag_in(part->to, html + len) &&
			(size_t)(part->to - part->from) < len / 2 + len / 4; /* else no saving */
	}
	free(ps);
	return rc < 0 ? rc : found;
}

/* ---- after the parse: the part's tree against its tags ---- */

struct offsets {
	size_t *v;
	size_t n, cap;
};

static int offsets_add(struct offsets *o, size_t at)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 256;
		size_t *v = reallocarray(o->v, cap, sizeof *v);
		if (!v)
			return -ENOMEM;
		o->v = v;
		o->cap = cap;
	}
	o->v[o->n++] = at;
	return 0;
}

static int cmp_offset(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

static bool offsets_have(const struct offsets *o, size_t at)
{
	return bsearch(&at, o->v, o->n, sizeof *o->v, cmp_offset) != NULL;
}

enum { ITEM_MAX_UP = 64 }; /* <div>s an item's check climbs before it refuses */

/* An <li>, <dd> or <dt> whose search for an open item to close passes
 * only <div>, <p> and <address> up to the Recipe's element (a <div>):
 * within the page it would go on below it. */
static bool item_sees_beyond(const GumboNode *n, const GumboNode *root)
{
	GumboTag tag = n->v.element.tag;
	if (tag != GUMBO_TAG_LI && tag != GUMBO_TAG_DD && tag != GUMBO_TAG_DT)
		return false;
	/* bounded: a hostile nest of <div>s is refused, not walked per item */
	size_t up = 0;
	for (const GumboNode *a = n->parent; a && rsd_dom_is_element(a); a = a->parent) {
		if (a == root || ++up > ITEM_MAX_UP)
			return true;
		tag = a->v.element.tag;
		if (tag != GUMBO_TAG_DIV && tag != GUMBO_TAG_P && tag != GUMBO_TAG_ADDRESS)
			return false;
	}
	return true;
}

/* The explicit elements' start tags and the end tags that closed
 * elements, in root's subtree; -E2BIG for an item that sees beyond a
 * <div> root. */
static int tree_offsets(const GumboNode *root, bool div, struct offsets *starts,
			struct offsets *ends)
{
	enum {
		MADE = GUMBO_INSERTION_IMPLIED | GUMBO_INSERTION_CONVERTED_FROM_END_TAG |
		       GUMBO_INSERTION_FROM_ISINDEX |
		       GUMBO_INSERTION_RECONSTRUCTED_FORMATTING_ELEMENT |
		       GUMBO_INSERTION_ADOPTION_AGENCY_CLONED
	};
	struct rsd_dom_walker w = { 0 };
	int rc = rsd_dom_walker_push(&w, root);
	const GumboNode *n;
	while (rc == 0 && (n = rsd_dom_walker_pop(&w)) != NULL) {
		if (!rsd_dom_is_element(n))
			continue;
		const GumboElement *e = &n->v.element;
		if (div && item_sees_beyond(n, root))
			rc = -E2BIG;
		if (rc == 0 && !(n->parse_flags & MADE))
			rc = offsets_add(starts, e->start_pos.offset);
		if (rc == 0 && e->original_end_tag.length)
			rc = offsets_add(ends, e->end_pos.offset);
		if (rc == 0)
			rc = rsd_dom_walker_push_children(&w, n);
	}
	free(w.stack);
	qsort(starts->v, starts->n, sizeof *starts->v, cmp_offset);
	qsort(ends->v, ends->n, sizeof *ends->v, cmp_offset);
	return rc;
}

/* The body's element that starts at offset at, or NULL. */
static const GumboNode *element_at(const GumboOutput *out, size_t at)
{
	const GumboVector *c = rsd_dom_children(out->root);
	for (size_t i = 0; c && i < c->length; i++) {
		const GumboNode *n = c->data[i];
		if (rsd_dom_is_element(n) && n->v.element.tag == GUMBO_TAG_BODY) {
			c = rsd_dom_children(n);
			for (i = 0; i < c->length; i++) {
				n = c->data[i];
				if (rsd_dom_is_element(n) && n->v.element.start_pos.offset == at)
					return n;
			}
			return NULL;
		}
	}
	return NULL;
}

/* Whether every tag of buf[from, n) made an element of root's subtree
 * (start tags) or closed one (end tags): 1, 0 not, -ENOMEM. */
static int tags_agree(const GumboNode *root, bool div, const char *buf, size_t from, size_t n)
{
	struct offsets starts = { 0 }, ends = { 0 };
	int rc = tree_offsets(root, div, &starts, &ends);
	struct rsd_html_scanner s;
	struct rsd_html_tag t;
	rsd_html_scan_init(&s, buf + from, n - from);
	bool agree = rc == 0;
	while (agree && rsd_html_scan_next(&s, &t)) {
		size_t at = (size_t)(t.name - buf) - 1 - t.is_end;
		/* </form> takes the form pointer's element out of the stack
		 * without closing it: with no form pointer at the start of the
		 * part (no form open before it), the same in the part and the page */
		agree = offsets_have(t.is_end ? &ends : &starts, at) ||
			(t.is_end && rsd_html_scan_is(&t, "form"));
	}
	free(starts.v);
	free(ends.v);
	return rc == -ENOMEM ? rc : agree;
}

/* Whether the part's tree is the page's Recipe element as the whole
 * page's tree has it: 1, 0 not, -ENOMEM. */
static int part_agrees(const GumboOutput *out, const struct recipe_part *part, const char *buf,
		       size_t n)
{
	const GumboNode *root = element_at(out, part->doctype_len);
	size_t end_tag = part->doctype_len + (size_t)(part->end_tag - part->from);
	if (!root || root->v.element.end_pos.offset != end_tag ||
	    !root->v.element.original_end_tag.length)
		return 0; /* not closed by its own end tag */
	return tags_agree(root, part->is_div, buf, part->doctype_len, n);
}

int rsd_recipe_part_microdata(struct rsd_gumbo_arena *arena, const char *html, size_t len,
			      const char *base_url, struct rsd_recipe_fields *f)
{
	struct recipe_part part;
	int rc = find_part(html, len, &part);
	if (rc <= 0)
		return rc;
	size_t n = part.doctype_len + (size_t)(part.to - part.from);
	char *buf = malloc(n + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, html, part.doctype_len);
	memcpy(buf + part.doctype_len, part.from, (size_t)(part.to - part.from));
	buf[n] = '\0';
	struct rsd_gumbo_limits lim = rsd_gumbo_limits_for(n);
	struct rsd_gumbo_doc *doc = NULL;
	rc = rsd_gumbo_guard_parse_in(arena, buf, n, &lim, &doc, NULL);
	if (rc == 0 && (rc = part_agrees(rsd_gumbo_doc_output(doc), &part, buf, n)) > 0)
		rc = rsd_microdata_fields(rsd_gumbo_doc_output(doc), base_url, f);
	rsd_gumbo_doc_free(doc);
	free(buf);
	/* over its budget: the whole page's parse decides, under its own */
	return rc == -E2BIG || rc == -ETIME ? 0 : rc;
}
