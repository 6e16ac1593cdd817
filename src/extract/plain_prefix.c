/* SPDX-License-Identifier: MIT */
/* The cut of a page read for a recipe without markup (see plain_prefix.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "extract/plain_prefix.h"
#include "extract/html_scan.h"
#include "core/text.h"

/* The first "<h1" in p[0, n), either case: a memchr walk over the tags,
 * a few instructions a tag where a byte-by-byte compare took ~13 a byte
 * (3.3 M instructions on a 270 KB page, searched once before the cut and
 * once after it). */
static const char *find_h1(const char *p, size_t n)
{
	const char *end = p + n;
	for (const char *lt = p; (lt = memchr(lt, '<', (size_t)(end - lt))) != NULL; lt++)
		if (end - lt >= 3 && (lt[1] | 0x20) == 'h' && lt[2] == '1')
			return lt;
	return NULL;
}

/* Whether a list's container names all lie past the cut: a search of the
 * part then finds no container so named, so it finds that list by a
 * heading or not at all, and either disagrees with a name past the part
 * (rsd_html_lists_part_agrees). The ingredients are always searched, the
 * method when the ingredients are found: parsing the part would be wasted
 * (but for a page whose ingredients the part does not find; refusing the
 * cut is always safe, the whole page then decides). */
static bool names_only_after(const struct rsd_list_mentions m[2], const char *cut)
{
	for (int k = 0; k < 2; k++)
		if (m[k].first_name && m[k].first_name >= cut)
			return true;
	return false;
}

const char *rsd_plain_prefix_cut(const char *html, size_t len,
				 const struct rsd_list_mentions m[2], bool *h1_after)
{
	const char *h1 = find_h1(html, len), *at = h1 ? h1 : html;
	for (int k = 0; k < 2; k++)
		at = m[k].first && m[k].first > at ? m[k].first : at;
	*h1_after = false;
	if ((size_t)(html + len - at) <= RSD_PLAIN_PREFIX_AFTER)
		return NULL;
	const char *cut = memchr(at + RSD_PLAIN_PREFIX_AFTER, '<',
				 (size_t)(html + len - at) - RSD_PLAIN_PREFIX_AFTER);
	if (!cut || (size_t)(cut - html) >= len / 2 + len / 4 || names_only_after(m, cut))
		return NULL;
	*h1_after = find_h1(cut, (size_t)(html + len - cut)) != NULL;
	return cut;
}

bool rsd_plain_prefix_agrees(const struct rsd_plain_cut *c, const struct rsd_list_mentions m[2],
			     const char *html, const char *cut)
{
	for (int k = 0; k < 2; k++)
		if (c->searched[k] &&
		    !rsd_html_lists_part_agrees(&m[k], c->found[k], c->by_name[k], html, cut))
			return false;
	return !c->beyond;
}

/* ---- the head ----------------------------------------------------------- */

/* Whether p[0, end) is white space and comments that the scanner and
 * gumbo both end at their first "-->" (no "<!-->", "<!--->" or "--!>",
 * which gumbo ends otherwise), and, with doctypes, "<!doctype ...>"
 * declarations. */
static bool plain_gap(const char *p, const char *end, bool doctypes)
{
	while (p < end) {
		if (rsd_text_is_space(*p)) {
			p++;
			continue;
		}
		if (doctypes && end - p >= 9 && rsd_text_ieq(p, 9, "<!doctype")) {
			const char *gt = memchr(p, '>', (size_t)(end - p));
			if (!gt)
				return false;
			p = gt + 1;
			continue;
		}
		if (end - p < 7 || memcmp(p, "<!--", 4) != 0 || p[4] == '>' ||
		    (p[4] == '-' && p[5] == '>'))
			return false;
		const char *close = memmem(p + 4, (size_t)(end - p - 4), "-->", 3);
		if (!close || memmem(p + 4, (size_t)(close + 3 - p - 4), "--!>", 4))
			return false;
		p = close + 3;
	}
	return true;
}

/* Where a scan of the head's contents is: inside the element (raw) whose
 * text the last start tag held, inside a <noscript>. */
struct head_state {
	enum rsd_html_tag_id raw;
	bool noscript;
};

/* Whether tag t may stand in the head's contents: a <meta>, <link> or
 * <base>, a <title>, an emptied <script> or <style>, a <noscript> of
 * <meta>, <link> and emptied <style> only (what gumbo reads in a head's
 * <noscript>; anything else there would leave the head), or the end tag
 * of the last of them that holds text. */
static bool head_tag(const struct rsd_html_tag *t, struct head_state *h)
{
	enum rsd_html_tag_id raw = h->raw;
	h->raw = RSD_HTML_OTHER;
	if (raw != RSD_HTML_OTHER)
		return t->is_end && t->id == raw;
	if (t->is_end) {
		bool ok = h->noscript && rsd_html_scan_is(t, "noscript");
		h->noscript = false;
		return ok;
	}
	if (!h->noscript && rsd_html_scan_is(t, "noscript"))
		return (h->noscript = true);
	switch (t->id) {
	case RSD_HTML_META:
	case RSD_HTML_LINK:
		return true;
	case RSD_HTML_BASE:
		return !h->noscript;
	case RSD_HTML_TITLE:
		h->raw = t->id;
		return !h->noscript;
	case RSD_HTML_SCRIPT:
	case RSD_HTML_STYLE:
		h->raw = t->id;
		return t->text_len == 0 && (t->id == RSD_HTML_STYLE || !h->noscript);
	default:
		return false;
	}
}

/* The contents of the page's head, [*from, *to) (*from right after the
 * <head> tag, *to at </head>), when they may be left out (see
 * rsd_plain_prefix_part); false otherwise. */
static bool head_contents(const char *html, const char *cut, const char **from, const char **to)
{
	struct rsd_html_scanner s;
	struct rsd_html_tag t;
	struct head_state h = { RSD_HTML_OTHER, false };
	const char *gap = html;
	*from = NULL;
	rsd_html_scan_init(&s, html, (size_t)(cut - html));
	while (rsd_html_scan_next(&s, &t)) {
		const char *lt = t.name - 1 - t.is_end;
		if (!plain_gap(gap, lt, !*from))
			return false;
		gap = s.p;
		if (!*from && t.id == RSD_HTML_HTML && !t.is_end)
			continue;
		if (!*from) {
			*from = s.p;
			if (t.is_end || !rsd_html_scan_is(&t, "head"))
				return false;
		} else if (t.is_end && h.raw == RSD_HTML_OTHER && !h.noscript &&
			   rsd_html_scan_is(&t, "head")) {
			*to = lt;
			return true;
		} else if (!head_tag(&t, &h)) {
			return false;
		}
	}
	return false;
}

int rsd_plain_prefix_part(const char *html, const char *cut, const struct rsd_list_mentions m[2],
			  struct rsd_plain_part *out)
{
	const char *from, *to;
	*out = (struct rsd_plain_part){ .p = html, .len = (size_t)(cut - html) };
	if (!head_contents(html, cut, &from, &to) || find_h1(html, (size_t)(to - html)))
		return 0;
	for (int k = 0; k < 2; k++)
		if (m[k].first && m[k].first < to)
			return 0;
	size_t head = (size_t)(to - from);
	if (!(out->copy = malloc(out->len - head + 1)))
		return -ENOMEM;
	memcpy(out->copy, html, (size_t)(from - html));
	memcpy(out->copy + (from - html), to, (size_t)(cut - to));
	out->p = out->copy;
	out->len -= head;
	out->copy[out->len] = '\0';
	out->headless = true;
	return 0;
}

void rsd_plain_part_free(struct rsd_plain_part *part)
{
	free(part->copy);
	*part = (struct rsd_plain_part){ 0 };
}
