/* SPDX-License-Identifier: MIT */
/* Script and style contents cut before gumbo parses a page (see html_trim.h). */
#include "extract/html_trim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/text.h"

static int add_cut(struct rsd_html_trim *t, const struct rsd_html_tag *tag)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct rsd_html_cut *v = reallocarray(t->cuts, cap, sizeof *v);
		if (!v)
			return -ENOMEM;
		t->cuts = v;
		t->cap = cap;
	}
	t->cuts[t->n++] = (struct rsd_html_cut){ tag->text, tag->text_len,
						 tag->id == RSD_HTML_SCRIPT };
	return 0;
}

/* Inside <svg>/<math>: gumbo parses the contents as foreign elements, and
 * the scanner follows only their nesting. Whatever could make gumbo read
 * HTML there, or leave foreign content where the scanner does not, ends
 * the cutting: HTML integration points and a foreign <title>'s markup,
 * raw-text elements, nested roots, a breakout tag, a mismatched end. */
static void track_foreign(struct rsd_html_trim *t, const struct rsd_html_scanner *s,
			  const struct rsd_html_tag *tag)
{
	if (tag->is_end) {
		if (tag->id == RSD_HTML_TITLE)
			t->in_svg_title = false;
		else if ((tag->flags & RSD_HTML_FOREIGN) && tag->name_len != t->root_len)
			t->done = true;
		return;
	}
	if ((tag->flags & (RSD_HTML_RAW_TEXT | RSD_HTML_HTML_POINT | RSD_HTML_FOREIGN)) ||
	    t->in_svg_title || s->foreign_depth == 0) {
		/* a foreign <title> holds text; anything else is a doubt */
		if (tag->id == RSD_HTML_TITLE && !t->in_svg_title && s->foreign_depth > 0)
			t->in_svg_title = true;
		else
			t->done = true;
	}
}

/* The end tag the scanner found after the contents is complete: gumbo
 * ends the element there too (a bare "</script" at the end of the page
 * would be text to it). */
static bool closed(const struct rsd_html_scanner *s, const struct rsd_html_tag *tag)
{
	const char *after = tag->text + tag->text_len;
	return (size_t)(s->end - after) > tag->name_len + 2;
}

int rsd_html_trim_track(struct rsd_html_trim *t, const struct rsd_html_scanner *s,
			unsigned depth_before, const struct rsd_html_tag *tag)
{
	if (t->done)
		return 0;
	if (tag->id == RSD_HTML_FRAMESET) {
		t->done = true;
		return 0;
	}
	if (depth_before > 0) {
		track_foreign(t, s, tag);
		return 0;
	}
	if ((tag->flags & RSD_HTML_FOREIGN) && !tag->is_end) {
		t->root_len = (unsigned)tag->name_len;
		t->in_svg_title = false;
	}
	if (tag->id == RSD_HTML_SELECT)
		t->in_select = !tag->is_end;
	if (t->in_select) {
		/* "in select" ignores <style> and the other raw-text tags but
		 * <script>: their contents are markup to gumbo */
		if (!tag->is_end && (tag->flags & RSD_HTML_RAW_TEXT) && tag->id != RSD_HTML_SCRIPT)
			t->done = true;
		return 0;
	}
	if (tag->is_end || !tag->text || !tag->text_len ||
	    (tag->id != RSD_HTML_SCRIPT && tag->id != RSD_HTML_STYLE) || !closed(s, tag))
		return 0;
	return add_cut(t, tag);
}

/* A place in the markup between the contents the scanner reads more
 * simply than gumbo: a "--!>" (a comment end the scanner does not know)
 * or a CDATA section (which the scanner ends at the first '>'). Both hold
 * a '!', a rare byte in markup: one memchr pass finds either, where two
 * memmem calls per gap between contents (each building its shift table
 * first) cost 12,700 instructions a gap. */
static bool doubtful_markup(const char *p, size_t len)
{
	const char *end = p + len;
	for (const char *q = p; (q = memchr(q, '!', (size_t)(end - q))) != NULL; q++) {
		if (q - p >= 2 && end - q >= 2 && q[-2] == '-' && q[-1] == '-' && q[1] == '>')
			return true;
		if (q - p >= 1 && end - q >= 8 && q[-1] == '<' && memcmp(q + 1, "[CDATA[", 7) == 0)
			return true;
	}
	return false;
}

/* "script" and the space, '/' or '>' after it at p: where "<script"
 * opens and "</script" closes a script within a script's escaped text. */
static bool script_word(const char *p, const char *end)
{
	return end - p > 6 && strncasecmp(p, "script", 6) == 0 &&
	       (rsd_text_is_space(p[6]) || p[6] == '/' || p[6] == '>');
}

/* Where gumbo ends a script whose text holds "<!--": HTML5's script
 * data states, in which "<!--" starts escaped text, "<script" in that
 * text starts a double-escaped part that only "</script" or "-->" ends,
 * and "-->" returns to plain script data. The "</script" that ends the
 * element, or end. */
static const char *escaped_script_end(const char *p, const char *end)
{
	enum { DATA, ESCAPED, DOUBLE } state = DATA;
	for (; p < end; p++) {
		if (state != DATA && end - p >= 3 && memcmp(p, "-->", 3) == 0) {
			state = DATA;
			p += 2;
		} else if (*p != '<') {
			continue;
		} else if (p + 1 < end && p[1] == '/' && script_word(p + 2, end)) {
			if (state != DOUBLE)
				return p;
			state = ESCAPED;
			p += 8; /* "</script" and the byte after it */
		} else if (state == DATA && end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
			state = ESCAPED;
			p += 1; /* its dashes may start the "-->" of "<!-->" */
		} else if (state == ESCAPED && script_word(p + 1, end)) {
			state = DOUBLE;
			p += 7; /* "<script" and the byte after it */
		}
	}
	return end;
}

/* How many cuts are certain: those before a doubtful place in the markup
 * or a script whose escaped text gumbo ends elsewhere. */
static size_t certain_cuts(const struct rsd_html_trim *t, const char *html, size_t len)
{
	const char *p = html, *end = html + len;
	size_t i = 0;
	for (; i < t->n; p = t->cuts[i].p + t->cuts[i].len, i++) {
		const struct rsd_html_cut *c = &t->cuts[i];
		if (doubtful_markup(p, (size_t)(c->p - p)))
			break;
		if (c->script && memmem(c->p, c->len, "<!--", 4) &&
		    escaped_script_end(c->p, end) != c->p + c->len)
			break;
	}
	return i;
}

char *rsd_html_trim_copy(const struct rsd_html_trim *t, const char *html, size_t len,
			 size_t *out_len, bool *nomem)
{
	size_t n = certain_cuts(t, html, len);
	*nomem = false;
	if (n == 0)
		return NULL;
	char *out = malloc(len + 1), *o = out;
	if (!out) {
		*nomem = true;
		return NULL;
	}
	const char *p = html;
	for (size_t i = 0; i < n; i++) {
		memcpy(o, p, (size_t)(t->cuts[i].p - p));
		o += t->cuts[i].p - p;
		p = t->cuts[i].p + t->cuts[i].len;
	}
	memcpy(o, p, (size_t)(html + len - p));
	o += html + len - p;
	*o = '\0';
	*out_len = (size_t)(o - out);
	return out;
}

void rsd_html_trim_clear(struct rsd_html_trim *t)
{
	free(t->cuts);
	*t = (struct rsd_html_trim){ 0 };
}
