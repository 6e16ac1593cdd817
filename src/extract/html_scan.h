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

#define RSD_HTML_SCAN_MAX_ATTRS 24

struct rsd_html_attr {
	const char *name; /* not lowercased: compare with rsd_text_ieq */
	size_t name_len;
	const char *value; /* raw: character references not yet decoded */
	size_t value_len;
};

struct rsd_html_tag {
	const char *name;
	size_t name_len;
	bool is_end;
	bool self_closing; /* written as <name ... /> */
	/* The first RSD_HTML_SCAN_MAX_ATTRS attributes; past that, only the ones
	 * the extractor reads (href, content, itemprop, ...) are kept. */
	struct rsd_html_attr attrs[RSD_HTML_SCAN_MAX_ATTRS];
	size_t n_attrs;
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
/* The first attribute named name (lowercase), or NULL. */
const struct rsd_html_attr *rsd_html_scan_attr(const struct rsd_html_tag *tag, const char *name);
bool rsd_html_scan_is(const struct rsd_html_tag *tag, const char *name);

#endif
