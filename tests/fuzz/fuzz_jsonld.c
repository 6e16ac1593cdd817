/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the JSON-LD normaliser. The input is one ld+json
 * script body: tolerant parsing, finding the Recipe, and turning it into
 * record fields (every value shape, @id references, durations, texts). */
#include <stdint.h>
#include <stdlib.h>

#include "extract/fields.h"
#include "extract/jsonld.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *doc = rsd_jsonld_parse((const char *)data, size);
	if (!doc)
		return 0;
	const cJSON *recipe = rsd_jsonld_find_recipe(&doc, 1);
	if (recipe) {
		struct rsd_recipe_fields f;
		rsd_fields_init(&f);
		rsd_jsonld_fields(recipe, &doc, 1, "https://fuzz.test/dir/page", &f);
		rsd_fields_clear(&f);
	}
	cJSON_Delete(doc);
	return 0;
}
