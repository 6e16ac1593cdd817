/* SPDX-License-Identifier: MIT */
#ifndef RSD_HTML_SCAN_H
#define RSD_HTML_SCAN_H

/* Streaming HTML tag scanner: the extractor's fast path. It walks the
 * document once, tag by tag, without building a tree and without copying:
 * names, attribute values and raw-text contents are slices of the input.
 * It follows the HTML5 tokenizer where it matters for extraction (comments,
 * attribute quoting, raw-text elements such as <script> whose contents are
 * not markup), so it finds the same tags the gumbo parser would. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RSD_HTML_SCAN_MAX_ATTRS 24

struct rsd_html_attr {
	const char *name; /* not lowercased: compare with rsd_text_ieq */
	size_t name_len;
	const char *value; /* raw: character references not yet decoded */
	size_t value_len;
};

/* What the scanner and its readers need to know of a tag name, found
 * once per tag: one table lookup instead of a string compare per rule. */
enum rsd_html_tag_flag {
	RSD_HTML_RAW_TEXT = 1 << 0, /* script, style, textarea, title, ... */
	RSD_HTML_BREAKOUT = 1 << 1, /* a start tag that ends <svg>/<math> */
	RSD_HTML_FLAT = 1 << 2, /* void, or closed by its next sibling */
	RSD_HTML_FOREIGN = 1 << 3, /* svg, math */
	RSD_HTML_HTML_POINT = 1 << 4 /* foreignObject, desc, mi, ...: HTML inside */
};

/* The tags the extractor reads by name; RSD_HTML_OTHER for the rest. */
enum rsd_html_tag_id {
	RSD_HTML_OTHER,
	RSD_HTML_A,
	RSD_HTML_BASE,
	RSD_HTML_FRAMESET,
	RSD_HTML_HTML,
	RSD_HTML_LINK,
	RSD_HTML_META,
	RSD_HTML_PLAINTEXT,
	RSD_HTML_SCRIPT,
	RSD_HTML_SELECT,
	RSD_HTML_STYLE,
	RSD_HTML_TITLE,
};

struct rsd_html_tag {
	const char *name;
	size_t name_len;
	enum rsd_html_tag_id id; /* from the name, any case */
	unsigned flags; /* enum rsd_html_tag_flag */
	bool is_end;
	bool self_closing; /* written as <name ... /> */
	/* The first RSD_HTML_SCAN_MAX_ATTRS attributes; past that, only the ones
	 * the extractor reads (href, content, itemprop, ...) are kept. */
	struct rsd_html_attr attrs[RSD_HTML_SCAN_MAX_ATTRS];
	size_t n_attrs;
	/* A bit per attribute name (rsd_html_attr_sig) of the start tag: a
	 * superset of the kept ones' bits, 0 when n_attrs is. */
	uint64_t attr_sigs;
	/* For raw-text elements (script, style, textarea, title, ...): the
	 * contents up to the end tag. Otherwise NULL. */
	const char *text;
	size_t text_len;
};

struct rsd_html_scanner {
	const char *p;
	const char *end;
	/* Depth of open <svg>/<math>: foreign content has no raw-text
	 * elements and honours self-closing tags ("<svg><style/>"). */
	unsigned foreign_depth;
};

void rsd_html_scan_init(struct rsd_html_scanner *s, const char *html, size_t len);
/* Next start or end tag; false at the end of the document. */
bool rsd_html_scan_next(struct rsd_html_scanner *s, struct rsd_html_tag *tag);
/* The bit in attr_sigs of an attribute name of n bytes that starts with c
 * (any case). */
static inline uint64_t rsd_html_attr_sig(size_t n, char c)
{
	return (uint64_t)1 << (((unsigned)n * 7u + ((unsigned char)c | 0x20u)) & 63u);
}

/* The first attribute named name[0..n) (lowercase), or NULL. */
const struct rsd_html_attr *rsd_html_scan_attr_n(const struct rsd_html_tag *tag, const char *name,
						 size_t n);

/* The first attribute named name (lowercase), or NULL. Inline, with the
 * name's length known at compile time, the attr_sigs test answers most
 * asks for an attribute the tag lacks: the readers ask every tag for a few
 * (itemscope, itemtype, hidden, class). */
static inline const struct rsd_html_attr *rsd_html_scan_attr(const struct rsd_html_tag *tag,
							     const char *name)
{
	size_t n = strlen(name);
	if (!n || !(tag->attr_sigs & rsd_html_attr_sig(n, name[0])))
		return NULL;
	return rsd_html_scan_attr_n(tag, name, n);
}
bool rsd_html_scan_is(const struct rsd_html_tag *tag, const char *name);

#endif
