/* SPDX-License-Identifier: MIT */
#ifndef RSD_EXTRACT_HRECIPE_H
#define RSD_EXTRACT_HRECIPE_H

/* Source: the hRecipe microformat (h-recipe) and the HTML containers of
 * the WordPress recipe plugins, with their lists. */

#include <stdbool.h>
#include <stddef.h>
#include <gumbo.h>

#include "extract/fields.h"

/* Cheap test on the raw page: does it name a hRecipe or a recipe plugin's
 * container anywhere? Only then can rsd_hrecipe_fields find one. */
bool rsd_hrecipe_maybe_present(const char *html, size_t len);
/* Fills f from a hRecipe / h-recipe or a recipe plugin's container with
 * its lists (class/id or heading named <li>/<p> lists); 1 when found, 0
 * when the page has none, -ENOMEM. */
int rsd_hrecipe_fields(const GumboOutput *dom, const char *base_url, struct rsd_recipe_fields *f);

#endif
