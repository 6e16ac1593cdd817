/* SPDX-License-Identifier: MIT */
#ifndef RSD_EXTRACT_PAGE_INFO_H
#define RSD_EXTRACT_PAGE_INFO_H

/* Base layer of the extractor: what the page says about itself outside
 * the recipe, read either tag by tag from the streaming scan (the fast
 * path) or from the gumbo DOM (the reference path). Both halves live in
 * page_info.c because they must give the same values for the same page. */

#include <stdbool.h>
#include <stddef.h>
#include <gumbo.h>

#include "extract/html_scan.h"

/* Strings are malloc'd, decoded, cleaned. */
struct rsd_page_info {
	char *base_href; /* <base href>, as written */
	char *canonical; /* <link rel=canonical href>, as written */
	char *lang; /* <html lang> */
	char *og_site_name;
	char *og_title;
	char *og_description;
	char *og_image; /* as written */
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
/* Streaming half: records what one scanned tag says (call for every tag
 * in document order). 0 or -ENOMEM. */
int rsd_page_info_scan_tag(const struct rsd_html_tag *t, bool want_links, struct rsd_page_info *pi);
/* DOM half: the same from a parsed document. 0 or -ENOMEM. */
int rsd_page_info_from_dom(const GumboOutput *dom, bool want_links, struct rsd_page_info *pi);

#endif
