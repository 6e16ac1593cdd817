/* SPDX-License-Identifier: MIT */
#ifndef RSD_EXTRACT_JSONLD_H
#define RSD_EXTRACT_JSONLD_H

/* Source: schema.org JSON-LD (<script type="application/ld+json">). */

#include <stddef.h>
#include <cjson/cJSON.h>

#include "extract/fields.h"

/* Parses one ld+json body, recovering what browsers accept: HTML comment
 * or CDATA wrappers, trailing commas, raw control characters in strings,
 * several concatenated values. NULL when nothing parses. */
cJSON *rsd_jsonld_parse(const char *text, size_t len);
/* The best Recipe node among docs (borrowed), or NULL. */
const cJSON *rsd_jsonld_find_recipe(cJSON *const *docs, size_t n_docs);
/* Fills f from a Recipe node; image URLs resolved against base_url. */
int rsd_jsonld_fields(const cJSON *recipe, cJSON *const *docs, size_t n_docs, const char *base_url,
		      struct rsd_recipe_fields *f);

#endif
