/* SPDX-License-Identifier: MIT */
#ifndef RSD_EXTRACT_PAGE_INFO_H
#define RSD_EXTRACT_PAGE_INFO_H

/* Base layer of the extractor: what the page says about itself outside
 * the recipe, read either from the streaming scan (the fast path, which
 * also estimates the size of the DOM) or from the gumbo DOM (the
 * reference path). Both halves live in
 * page_info.c because they must give the same values for the same page. */

#include <stdbool.h>
#include <stddef.h>
#include <gumbo.h>

#include "extract/html_trim.h"

/* Strings are malloc'd, decoded, cleaned. */
struct rsd_page_info {
	char *base_href; /* <base href>, as written */
	char *canonical; /* <link rel=canonical href>, as written */
	char *lang; /* <html lang> */
	char *og_site_name;
	char *og_title;
	char *og_description;
	char *og_image; /* as written */
	bool og_image_sized; /* og:image:width or og:image:height stated */
	long og_image_width, og_image_height; /* the first stated, 0 when none */
	char *og_url; /* as written */
	char *meta_description;
	char *meta_author;
	/* <script type=application/ld+json> bodies: slices of the (UTF-8)
	 * document or of the DOM's text nodes; valid while those live. */
	struct rsd_slice {
		const char *p;
		size_t len;
	} * scripts;
	size_t n_scripts, cap_scripts;
	bool has_microdata_recipe; /* an itemscope with itemtype .../Recipe */
	/* <a href> values, decoded, as written (only with want_links). */
	char **hrefs;
	size_t n_hrefs, cap_hrefs;
};

void rsd_page_info_clear(struct rsd_page_info *pi);
/* The size of the tree gumbo would build, estimated from the scanned
 * tags: elements, and the depth of its stack of open elements (start tags
 * push, end tags pop; self-closing tags push only outside <svg>/<math>, as
 * in HTML "<div/>" opens a div). gumbo's time grows with the square of
 * the depth, its memory with the elements: see page_info.c for the bounds. */
struct rsd_page_tree {
	unsigned elements, depth, max_depth;
};

/* Whether gumbo may build the DOM of a page of that size. */
bool rsd_page_tree_fits(const struct rsd_page_tree *tree);
/* The size alone, for the full-parse path (same scan, nothing else read). */
struct rsd_page_tree rsd_page_tree_estimate(const char *html, size_t len);

/* How much of a page whose whole DOM is over budget may still hold its
 * microdata Recipe: up to the end of the Recipe's element (the first
 * itemscope Recipe the tag scan finds, closed as the scan sees it), at
 * most 64 KiB past its start tag, cut before a tag; 0 when it has none.
 * The recipes of the development corpora span under 40 KB. */
size_t rsd_page_recipe_part_len(const char *html, size_t len);

/* Streaming half: the page information, the tree's size and what gumbo
 * need not read (html_trim.h) from one scan of the page. 0 or -ENOMEM. */
int rsd_page_info_scan(const char *html, size_t len, bool want_links, struct rsd_page_info *pi,
		       struct rsd_page_tree *tree, struct rsd_html_trim *trim);
/* DOM half: the same from a parsed document. 0 or -ENOMEM. */
int rsd_page_info_from_dom(const GumboOutput *dom, bool want_links, struct rsd_page_info *pi);

#endif
