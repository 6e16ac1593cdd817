/* SPDX-License-Identifier: MIT */
#ifndef RSD_EXTRACT_PROSE_H
#define RSD_EXTRACT_PROSE_H

/* Source: facts a page states in its prose rather than its markup
 * (labelled yields and times, a line of facts under a title). */

#include <stddef.h>

#include "extract/fields.h"

/* Reads labelled yields and times from page prose ("Serves 4", "Makes 12
 * cookies", "4 Portionen", "Prep 10 min | Cook 25 min", "Total time: 1
 * hour") into the fields f does not have yet; total_time also from prep +
 * cook. Never overrides a value. 0 or -ENOMEM. */
int rsd_prose_fields(const char *text, size_t len, struct rsd_recipe_fields *f);
/* Sets *yields from a labelled count that starts one of the page's text
 * nodes (">Serves <b>4</b>", ">Servings</div><div>4", ">4 porce"), the
 * first in document order; leaves it NULL when there is none. Reads the
 * raw page with the streaming scanner. 0 or -ENOMEM. */
int rsd_prose_page_yields(const char *html, size_t len, char **yields);
/* For a recipe whose data states no time at all: the times labelled at
 * the start of the page's text nodes with a mark before their value
 * ("Prep: 10 mins<br>Cook: 25 mins", "<b>Prep time |</b> 15 minutes"),
 * the first of each kind in document order, and the total from prep +
 * cook when none is labelled. A label followed by its value without a
 * mark ("Cook 5 minutes" in a method) is no time. A walk over the raw
 * page, no DOM. 0 or -ENOMEM. */
int rsd_prose_page_times(const char *html, size_t len, struct rsd_recipe_fields *f);

#endif
