/* SPDX-License-Identifier: MIT */
#ifndef RSD_EXTRACT_LIST_COMPLETION_H
#define RSD_EXTRACT_LIST_COMPLETION_H

/* Source: the page's HTML lists in place of a Recipe's missing,
 * name-only, cut-short or glued ones. Runs after a source found the
 * recipe; never finds one itself. */

#include <stddef.h>
#include <cjson/cJSON.h>
#include <gumbo.h>

#include "extract/fields.h"
#include "extract/gumbo_guard.h"

/* Ingredients without a single quantity ("flour", "sugar": the names of a
 * shop's product data) become the page's rows that show each name with
 * its quantity ("200 g flour"), when the page has one for every name.
 * An ingredient list the data breaks off (the page's list starts with
 * exactly its items and goes on) becomes the page's whole list.
 * Reads the raw page and parses only the part around the names, never
 * the whole document, its memory from arena (gumbo_guard.h; NULL: from
 * glibc). 0, -E2BIG or -ETIME (that part's parse was over
 * its budget, gumbo_guard.h: nothing changed) or -ENOMEM. */
int rsd_completion_ingredients(struct rsd_gumbo_arena *arena, const char *html, size_t len,
			       cJSON **ingredients);
/* A method the data breaks off (the page's list of steps starts with
 * exactly its steps, maybe numbered, and goes on) becomes the page's
 * whole list; parsed around that list only, as above (same returns). */
int rsd_completion_method(struct rsd_gumbo_arena *arena, const char *html, size_t len,
			  cJSON **steps);
/* For a page known to hold a recipe whose schema.org data lacks its lists
 * (no ingredients or a single string of them, no instructions): fills
 * them from the page's HTML lists when it has some of two items or more.
 * A glued method becomes the page's list of steps when every one of them
 * is in it, in order. 0 or -ENOMEM. */
int rsd_completion_lists_from_dom(const GumboOutput *dom, struct rsd_recipe_fields *f);
/* The same from the raw page (with script and style contents cut,
 * html_trim.h, or not), parsing only the element that holds the lists'
 * names and headings (list_region.h): 1 done (also when the page names
 * no list it lacks: no tree has one then), 0 when that part cannot be
 * delimited or read as the whole page would be (the caller parses the
 * whole page and calls rsd_completion_lists_from_dom), -ENOMEM. The
 * parse takes its memory from arena (NULL: from glibc). */
int rsd_completion_lists_from_page(struct rsd_gumbo_arena *arena, const char *html, size_t len,
				   struct rsd_recipe_fields *f);

#endif
