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

static bool is_raw_text(const struct rsd_html_tag *t)
{
	static const char *const RAW[] = { "script", "style",   "textarea", "title",     "xmp",
					   "iframe", "noembed", "noframes", "plaintext", NULL };
	for (size_t i = 0; RAW[i]; i++)
		if (rsd_text_ieq(t->name, t->name_len, RAW[i]))
			return true;
	return false;
}

/* HTML start tags that end foreign content (HTML5 "in foreign content"). */
static bool breaks_out_of_foreign(const struct rsd_html_tag *t)
{
	static const char *const BREAKOUT[] = {
		"b",       "big",   "blockquote", "body",   "br",     "center", "code", "dd",
		"div",     "dl",    "dt",         "em",     "embed",  "h1",     "h2",   "h3",
		"h4",      "h5",    "h6",         "head",   "hr",     "i",      "img",  "li",
		"listing", "menu",  "meta",       "nobr",   "ol",     "p",      "pre",  "ruby",
		"s",       "small", "span",       "strong", "strike", "sub",    "sup",  "table",
		"tt",      "u",     "ul",         "var",    NULL
	};
	for (size_t i = 0; BREAKOUT[i]; i++)
		if (rsd_text_ieq(t->name, t->name_len, BREAKOUT[i]))
			return true;
	return false;
}

static void track_foreign(struct rsd_html_scanner *s, const struct rsd_html_tag *t)
{
	bool root = rsd_text_ieq(t->name, t->name_len, "svg") ||
		    rsd_text_ieq(t->name, t->name_len, "math");
	if (t->is_end) {
		if (root && s->foreign_depth > 0)
			s->foreign_depth--;
	} else if (root) {
		if (!t->self_closing)
			s->foreign_depth++;
	} else if (s->foreign_depth > 0 && breaks_out_of_foreign(t)) {
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
		} else if (s->foreign_depth == 0 && is_raw_text(tag)) {
			const char *e = rsd_text_ieq(tag->name, tag->name_len, "plaintext")
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
