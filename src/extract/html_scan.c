/* SPDX-License-Identifier: MIT */
/* Streaming HTML tag scanner (see html_scan.h).
 *
 * Deliberate simplifications against the full HTML5 tokenizer, none of
 * which changes which <script>, <meta>, <link>, <a> or <base> tags are
 * found: character references are left to the caller, the script-data
 * "escaped" states (a "<!--" inside a script hiding "</script>") are
 * ignored, <noscript> is markup (gumbo parses with scripting off), inside
 * <svg>/<math> only the nesting of those roots and the HTML breakout tags
 * are tracked (not integration points), and attributes beyond
 * RSD_HTML_SCAN_MAX_ATTRS are dropped unless the extractor reads them. */
#include "extract/html_scan.h"

#include <string.h>

#include "core/text.h"

void rsd_html_scan_init(struct rsd_html_scanner *s, const char *html, size_t len)
{
	s->p = html;
	s->end = html + len;
	s->foreign_depth = 0;
}

static inline bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Skips to just after needle, or to the end. */
static const char *skip_past(const char *p, const char *end, const char *needle, size_t n)
{
	const char *e = memmem(p, (size_t)(end - p), needle, n);
	return e ? e + n : end;
}

/* Past the attribute limit, the attributes a reader of links, metadata
 * and microdata needs still replace the last slot. */
static bool is_wanted(const struct rsd_html_attr *a)
{
	static const char *const WANTED[] = { "href",     "src",       "content",  "name",
					      "property", "rel",       "type",     "lang",
					      "itemprop", "itemscope", "itemtype", NULL };
	for (size_t i = 0; WANTED[i]; i++)
		if (rsd_text_ieq(a->name, a->name_len, WANTED[i]))
			return true;
	return false;
}

static const char *parse_attrs(const char *p, const char *end, struct rsd_html_tag *tag)
{
	while (p < end) {
		while (p < end && (rsd_text_is_space(*p) || *p == '/'))
			p++;
		if (p >= end || *p == '>')
			return p;
		struct rsd_html_attr a = { .name = p };
		/* An attribute name may start with '=' (HTML5); it ends at
		 * space, '/', '>' or a later '='. */
		p++;
		while (p < end && !rsd_text_is_space(*p) && *p != '/' && *p != '>' && *p != '=')
			p++;
		a.name_len = (size_t)(p - a.name);
		while (p < end && rsd_text_is_space(*p))
			p++;
		if (p < end && *p == '=') {
			p++;
			while (p < end && rsd_text_is_space(*p))
				p++;
			if (p < end && (*p == '"' || *p == '\'')) {
				char q = *p++;
				a.value = p;
				const char *e = memchr(p, q, (size_t)(end - p));
				p = e ? e : end;
				a.value_len = (size_t)(p - a.value);
				if (p < end)
					p++;
			} else {
				a.value = p;
				while (p < end && !rsd_text_is_space(*p) && *p != '>')
					p++;
				a.value_len = (size_t)(p - a.value);
			}
		} else {
			a.value = p;
		}
		/* HTML5 keeps the first of duplicate attributes. */
		bool dup = false;
		for (size_t i = 0; i < tag->n_attrs && !dup; i++)
			dup = tag->attrs[i].name_len == a.name_len &&
			      strncasecmp(tag->attrs[i].name, a.name, a.name_len) == 0;
		if (!dup && tag->n_attrs < RSD_HTML_SCAN_MAX_ATTRS)
			tag->attrs[tag->n_attrs++] = a;
		else if (!dup && is_wanted(&a))
			tag->attrs[RSD_HTML_SCAN_MAX_ATTRS - 1] = a;
	}
	return p;
}

/* The contents of a raw-text element end at "</name" followed by space,
 * '/' or '>' (case-insensitive). */
static const char *raw_text_end(const char *p, const char *end, const char *name, size_t n)
{
	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		if (!lt)
			return end;
		if ((size_t)(end - lt) >= n + 2 && lt[1] == '/' &&
		    strncasecmp(lt + 2, name, n) == 0 &&
		    ((size_t)(end - lt) == n + 2 || rsd_text_is_space(lt[n + 2]) ||
		     lt[n + 2] == '/' || lt[n + 2] == '>'))
			return lt;
		p = lt + 1;
	}
	return end;
}

#define RAW RSD_HTML_RAW_TEXT
#define OUT RSD_HTML_BREAKOUT
#define FLAT RSD_HTML_FLAT
#define POINT RSD_HTML_HTML_POINT

/* Every tag name a rule of the scanner or the extractor names, by length.
 * Raw text: contents are not markup. Breakout: HTML start tags that end
 * foreign content (HTML5 "in foreign content"). Flat: elements that do
 * not deepen gumbo's tree (void elements, and those whose end tag is
 * optional because the next sibling closes them). Points: where <svg>
 * and <math> hold HTML again. */
static const struct known_tag {
	const char *name;
	enum rsd_html_tag_id id;
	unsigned flags;
} KNOWN[][24] = {
	[1] = { { "a", RSD_HTML_A, 0 },
		{ "b", 0, OUT },
		{ "i", 0, OUT },
		{ "p", 0, OUT | FLAT },
		{ "s", 0, OUT },
		{ "u", 0, OUT } },
	[2] = { { "br", 0, OUT | FLAT }, { "dd", 0, OUT | FLAT }, { "dl", 0, OUT },
		{ "dt", 0, OUT | FLAT }, { "em", 0, OUT },        { "h1", 0, OUT },
		{ "h2", 0, OUT },        { "h3", 0, OUT },        { "h4", 0, OUT },
		{ "h5", 0, OUT },        { "h6", 0, OUT },        { "hr", 0, OUT | FLAT },
		{ "li", 0, OUT | FLAT }, { "ol", 0, OUT },        { "tt", 0, OUT },
		{ "ul", 0, OUT },        { "td", 0, FLAT },       { "th", 0, FLAT },
		{ "tr", 0, FLAT },       { "mi", 0, POINT },      { "mo", 0, POINT },
		{ "mn", 0, POINT },      { "ms", 0, POINT } },
	[3] = { { "big", 0, OUT },
		{ "div", 0, OUT },
		{ "img", 0, OUT | FLAT },
		{ "pre", 0, OUT },
		{ "sub", 0, OUT },
		{ "sup", 0, OUT },
		{ "var", 0, OUT },
		{ "col", 0, FLAT },
		{ "wbr", 0, FLAT },
		{ "xmp", 0, RAW },
		{ "svg", 0, RSD_HTML_FOREIGN } },
	[4] = { { "body", 0, OUT },
		{ "code", 0, OUT },
		{ "head", 0, OUT },
		{ "menu", 0, OUT },
		{ "meta", RSD_HTML_META, OUT | FLAT },
		{ "nobr", 0, OUT },
		{ "ruby", 0, OUT },
		{ "span", 0, OUT },
		{ "area", 0, FLAT },
		{ "base", RSD_HTML_BASE, FLAT },
		{ "link", RSD_HTML_LINK, FLAT },
		{ "html", RSD_HTML_HTML, 0 },
		{ "math", 0, RSD_HTML_FOREIGN },
		{ "desc", 0, POINT } },
	[5] = { { "embed", 0, OUT | FLAT },
		{ "small", 0, OUT },
		{ "table", 0, OUT },
		{ "input", 0, FLAT },
		{ "param", 0, FLAT },
		{ "track", 0, FLAT },
		{ "tbody", 0, FLAT },
		{ "thead", 0, FLAT },
		{ "tfoot", 0, FLAT },
		{ "style", RSD_HTML_STYLE, RAW },
		{ "title", RSD_HTML_TITLE, RAW },
		{ "mtext", 0, POINT } },
	[6] = { { "center", 0, OUT },
		{ "strong", 0, OUT },
		{ "strike", 0, OUT },
		{ "source", 0, FLAT },
		{ "option", 0, FLAT },
		{ "script", RSD_HTML_SCRIPT, RAW },
		{ "iframe", 0, RAW },
		{ "select", RSD_HTML_SELECT, 0 } },
	[7] = { { "listing", 0, OUT }, { "noembed", 0, RAW } },
	[8] = { { "optgroup", 0, FLAT },
		{ "colgroup", 0, FLAT },
		{ "textarea", 0, RAW },
		{ "noframes", 0, RAW },
		{ "frameset", RSD_HTML_FRAMESET, 0 } },
	[9] = { { "plaintext", RSD_HTML_PLAINTEXT, RAW } },
	[10] = { { "blockquote", 0, OUT } },
	[13] = { { "foreignobject", 0, POINT } },
	[14] = { { "annotation-xml", 0, POINT } },
};

#undef RAW
#undef OUT
#undef FLAT
#undef POINT

static void classify(struct rsd_html_tag *t)
{
	char lower[16];
	t->id = RSD_HTML_OTHER;
	t->flags = 0;
	if (t->name_len >= sizeof KNOWN / sizeof KNOWN[0])
		return;
	for (size_t i = 0; i < t->name_len; i++)
		lower[i] = (char)(t->name[i] | (is_alpha(t->name[i]) ? 0x20 : 0));
	const struct known_tag *k = KNOWN[t->name_len];
	for (size_t i = 0; i < sizeof KNOWN[0] / sizeof KNOWN[0][0] && k[i].name; i++) {
		/* inline: a libc call per candidate cost more than the lookup */
		size_t j = 0;
		while (j < t->name_len && k[i].name[j] == lower[j])
			j++;
		if (j == t->name_len) {
			t->id = k[i].id;
			t->flags = k[i].flags;
			return;
		}
	}
}

static void track_foreign(struct rsd_html_scanner *s, const struct rsd_html_tag *t)
{
	bool root = t->flags & RSD_HTML_FOREIGN;
	if (t->is_end) {
		if (root && s->foreign_depth > 0)
			s->foreign_depth--;
	} else if (root) {
		if (!t->self_closing)
			s->foreign_depth++;
	} else if (s->foreign_depth > 0 && (t->flags & RSD_HTML_BREAKOUT)) {
		s->foreign_depth = 0;
	}
}

bool rsd_html_scan_next(struct rsd_html_scanner *s, struct rsd_html_tag *tag)
{
	const char *p = s->p, *end = s->end;
	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		if (!lt || end - lt < 2)
			break;
		p = lt + 1;
		if (*p == '!') {
			if (end - p >= 3 && p[1] == '-' && p[2] == '-') {
				/* "<!-->" and "<!--->" are complete (empty) comments */
				const char *c = p + 3;
				if (c < end && *c == '>')
					p = c + 1;
				else if (end - c >= 2 && c[0] == '-' && c[1] == '>')
					p = c + 2;
				else
					p = skip_past(c, end, "-->", 3);
			} else {
				p = skip_past(p, end, ">", 1);
			}
			continue;
		}
		if (*p == '?') {
			p = skip_past(p, end, ">", 1);
			continue;
		}
		bool is_end = false;
		if (*p == '/') {
			is_end = true;
			p++;
			if (p < end && !is_alpha(*p)) {
				p = skip_past(p, end, ">", 1); /* bogus comment */
				continue;
			}
		}
		if (p >= end || !is_alpha(*p))
			continue; /* a literal '<' */
		tag->name = p;
		while (p < end && !rsd_text_is_space(*p) && *p != '/' && *p != '>')
			p++;
		tag->name_len = (size_t)(p - tag->name);
		classify(tag);
		tag->is_end = is_end;
		tag->n_attrs = 0;
		tag->text = NULL;
		tag->text_len = 0;
		p = parse_attrs(p, end, tag);
		tag->self_closing = p < end && p[-1] == '/';
		if (p < end)
			p++; /* '>' */
		track_foreign(s, tag);
		if (is_end) {
			tag->n_attrs = 0; /* attributes on end tags mean nothing */
		} else if (s->foreign_depth == 0 && (tag->flags & RSD_HTML_RAW_TEXT)) {
			const char *e = tag->id == RSD_HTML_PLAINTEXT
						? end
						: raw_text_end(p, end, tag->name, tag->name_len);
			tag->text = p;
			tag->text_len = (size_t)(e - p);
			p = e;
		}
		s->p = p;
		return true;
	}
	s->p = end;
	return false;
}

const struct rsd_html_attr *rsd_html_scan_attr(const struct rsd_html_tag *tag, const char *name)
{
	for (size_t i = 0; i < tag->n_attrs; i++)
		if (rsd_text_ieq(tag->attrs[i].name, tag->attrs[i].name_len, name))
			return &tag->attrs[i];
	return NULL;
}

bool rsd_html_scan_is(const struct rsd_html_tag *tag, const char *name)
{
	return rsd_text_ieq(tag->name, tag->name_len, name);
}
