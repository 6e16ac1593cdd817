/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the record size caps (src/record_caps.h) on any JSON
 * object. The input is the record's JSON; every field the caps know is
 * cut to its cap, on a UTF-8 boundary and whole escapes: the result must
 * print and parse back, and capping it again must change nothing.
 * Seeds: tests/fuzz/record-seed.json, bench/journal/record.json. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/record_caps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *capped(cJSON *rec)
{
	if (rsd_record_caps_apply(rec) < 0)
		return NULL; /* ENOMEM */
	char *json = cJSON_PrintUnformatted(rec);
	if (!json)
		abort();
	return json;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *rec = cJSON_ParseWithLength((const char *)data, size);
	if (!cJSON_IsObject(rec)) {
		cJSON_Delete(rec);
		return 0;
	}
	/* a "truncated" list the input brings would be extended, not rebuilt */
	cJSON_DeleteItemFromObjectCaseSensitive(rec, "truncated");
	char *once = capped(rec);
	cJSON *again = once ? cJSON_Parse(once) : NULL;
	if (once && !again)
		abort(); /* a cut left invalid JSON (half a UTF-8 sequence or escape) */
	if (again) {
		cJSON_DeleteItemFromObjectCaseSensitive(again, "truncated");
		cJSON *first = cJSON_Parse(once);
		cJSON_DeleteItemFromObjectCaseSensitive(first, "truncated");
		char *twice = capped(again), *ref = cJSON_PrintUnformatted(first);
		if (twice && ref && strcmp(twice, ref) != 0)
			abort(); /* capping a capped record changed it */
		cJSON_free(twice);
		cJSON_free(ref);
		cJSON_Delete(first);
	}
	cJSON_free(once);
	cJSON_Delete(again);
	cJSON_Delete(rec);
	return 0;
}
