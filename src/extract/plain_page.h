/* SPDX-License-Identifier: MIT */
#ifndef RSD_EXTRACT_PLAIN_PAGE_H
#define RSD_EXTRACT_PLAIN_PAGE_H

/* Source: a recipe without any markup, an ingredients and a method
 * section in the page's content. The last fallback. */

#include <stdbool.h>
#include <stddef.h>
#include <gumbo.h>

#include "extract/fields.h"
#include "extract/page_info.h"

/* Cheap test on the raw page: does it carry an ingredients word (any of
 * the languages the section headings are known in)? Only then can
 * rsd_plain_page_fields find a recipe. */
bool rsd_plain_page_maybe_present(const char *html, size_t len);
/* Fills f from a page with no recipe markup whose content has an
 * ingredients section (>= 2 items, mostly with quantities) followed by an
 * instructions section (>= 1 step); title, picture, yields and times from
 * the page around them. 1 found, 0 not a recipe, -ENOMEM. */
int rsd_plain_page_fields(const GumboOutput *dom, const struct rsd_page_info *pi,
			  const char *base_url, struct rsd_recipe_fields *f);

/* A tree of the page's first bytes only, cut at a tag: what the reading
 * could depend on beyond its end (the end of an element's children or
 * text, an <h1> later when the part has none, no <h1> in a tree without
 * the head's contents) sets beyond. */
struct rsd_plain_cut {
	bool (*open)(const GumboNode *n); /* n's children may go on past the end */
	bool h1_after; /* the page has an <h1> past the end */
	/* the tree lacks the head's contents (plain_prefix.h): the text
	 * before the content, read when it has no <h1>, may differ */
	bool headless;
	bool beyond;
	bool searched[2], found[2], by_name[2]; /* the list searches' answers (html_lists.h) */
};
/* The same on such a tree; the caller checks cut's answers against the
 * whole page's mentions (rsd_html_lists_part_agrees) before it keeps f. */
int rsd_plain_page_fields_cut(const GumboOutput *dom, const struct rsd_page_info *pi,
			      const char *base_url, struct rsd_plain_cut *cut,
			      struct rsd_recipe_fields *f);

#endif
