/* SPDX-License-Identifier: MIT */
#ifndef RSD_EXTRACT_MICRODATA_H
#define RSD_EXTRACT_MICRODATA_H

/* Source: schema.org microdata (itemscope / itemprop) in the DOM. */

#include <gumbo.h>

#include "extract/fields.h"

/* Fills f from the first itemscope Recipe; returns 1 when found, 0 when
 * the page has none, -ENOMEM. */
int rsd_microdata_fields(const GumboOutput *dom, const char *base_url, struct rsd_recipe_fields *f);

#endif
