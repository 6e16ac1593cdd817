/* SPDX-License-Identifier: MIT */
#ifndef RSD_EXTRACT_RECIPE_PART_H
#define RSD_EXTRACT_RECIPE_PART_H

/* Source: a page's microdata Recipe read from a parse of the Recipe's
 * element alone, where the parse of the whole page would cost four to
 * ten times as much (the element is 1-25 KB of a 100 KB page), and only
 * when that reading is provably the whole page's:
 *
 * - before the parse, the streaming scan finds the first element gumbo
 *   would take for the Recipe (itemscope, an itemtype token naming
 *   Recipe), follows a conservative stack of open elements up to it and
 *   to its own end tag, and refuses when an ancestor is not a plain
 *   container, a formatting element or a <form> may still be open or
 *   active (gumbo would carry it into the Recipe), an end tag may have
 *   been ignored by gumbo (it crosses a table, a cell, a <button>, a
 *   <select> ..., or for a phrasing element any block), the element
 *   itself is not a block container, it holds a <frameset>, <html>,
 *   <body> or <head> tag or an itemref (ids elsewhere on the page), or
 *   the page has an <html> or <body> tag after it (their attributes go
 *   to elements before it);
 * - after the parse of the page's doctype and the element, every start
 *   tag of the part made an element, every end tag closed one, the
 *   element ends at its own end tag, and no list item of a <div> may
 *   close an item around it: so no token of the part reached beyond the
 *   element, where the whole page's tree differs from the part's.
 *
 * microdata.c reads only the element's descendants (a property on the
 * element itself belongs to an item around it; an itemref, which
 * microdata.c does not follow today, is refused all the same), so the
 * part's tree gives the whole page's fields. */

#include <stddef.h>

#include "extract/fields.h"
#include "extract/gumbo_guard.h"

/* The fields of the page's microdata Recipe (rsd_microdata_fields) from
 * html[0, len) (the page as gumbo reads it: html_trim.h): 1 read, 0 the
 * part cannot be shown to read as the whole page, or its parse was over
 * its budget (f untouched: the caller parses the whole page), -ENOMEM.
 * The parse takes its memory from arena (NULL: from glibc). */
int rsd_recipe_part_microdata(struct rsd_gumbo_arena *arena, const char *html, size_t len,
			      const char *base_url, struct rsd_recipe_fields *f);

#endif
