/* SPDX-License-Identifier: MIT */
/* Record size caps (src/core/record_caps.h): a page with oversized fields gives
 * a record under Kafka's default message.max.bytes, with the cut fields
 * named in "truncated"; cuts end on UTF-8 boundaries and count escapes. */
#include "extract/extract.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/record.h"
#include "core/record_caps.h"
#include "check_main.h"

#define PAGE_URL "https://kitchen.test/recipes/huge.html"

/* A JSON-LD Recipe whose name and description hold 900 KB each (multi-byte
 * characters and quotes, which the cut and the escaping must respect) and
 * that lists 200,000 distinct ingredients. */
static char *hostile_page(size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	ck_assert_ptr_nonnull(f);
	fputs("<html><head><script type=\"application/ld+json\">{\"@type\":\"Recipe\",\"name\":\"",
	      f);
	for (int i = 0; i < 100000; i++)
		fputs("Gr\xc3\xbc\\\"n ", f); /* "Grü\"n " : 9 bytes of JSON */
	fputs("\",\"description\":\"", f);
	for (int i = 0; i < 100000; i++)
		fputs("\xe2\x82\xac tart ", f); /* "€ tart " */
	fputs("\",\"recipeIngredient\":[", f);
	for (int i = 0; i < 200000; i++)
		fprintf(f, "%s\"%d g flour\"", i ? "," : "", i + 1);
	fputs("],\"recipeInstructions\":\"Mix and bake.\"}</script></head><body></body></html>", f);
	ck_assert_int_eq(fclose(f), 0); /* sets buf and *len */
	return buf;
}

static bool listed(const cJSON *rec, const char *field)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(rec, "truncated"), *e;
	cJSON_ArrayForEach (e, t)
		if (cJSON_IsString(e) && strcmp(e->valuestring, field) == 0)
			return true;
	return false;
}

START_TEST(hostile_page_fits_one_message)
{
	rsd_extractor *x;
	ck_assert_int_eq(rsd_extractor_new(&x), 0);
	size_t len;
	char *html = hostile_page(&len);
	ck_assert_uint_gt(len, 3000000);
	struct rsd_extract_result res;
	ck_assert_int_eq(rsd_extract(x, html, len, PAGE_URL, NULL, 0, &res), 0);
	ck_assert_ptr_nonnull(res.record);
	struct rsd_record *r = rsd_record_new(PAGE_URL, res.record, NULL, 0);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_le(r->json_len, RSD_RECORD_MAX_BYTES);
	ck_assert_uint_le(r->json_len + strlen(PAGE_URL), 1000000);

	cJSON *back = cJSON_Parse(r->json);
	ck_assert_ptr_nonnull(back);
	ck_assert(listed(back, "title") && listed(back, "description") &&
		  listed(back, "ingredients"));
	ck_assert(!listed(back, "instructions_list"));
	const cJSON *title = cJSON_GetObjectItemCaseSensitive(back, "title");
	ck_assert_uint_le(strlen(title->valuestring), RSD_CAP_NAME);
	ck_assert_uint_gt(strlen(title->valuestring), RSD_CAP_NAME / 2);
	ck_assert(strncmp(title->valuestring, "Gr\xc3\xbc\"n Gr", 9) == 0);
	const cJSON *ing = cJSON_GetObjectItemCaseSensitive(back, "ingredients");
	ck_assert_int_eq(cJSON_GetArraySize(ing), RSD_CAP_INGREDIENTS);
	ck_assert_str_eq(cJSON_GetArrayItem(ing, 0)->valuestring, "1 g flour");
	ck_assert_str_eq(cJSON_GetArrayItem(ing, RSD_CAP_INGREDIENTS - 1)->valuestring,
			 "200 g flour");
	cJSON_Delete(back);
	rsd_record_free(r);
	rsd_extract_result_clear(&res);
	free(html);
	rsd_extractor_free(x);
}
END_TEST

START_TEST(caps_bound_under_message_max)
{
	ck_assert_uint_le(rsd_record_caps_bound(), RSD_RECORD_MAX_BYTES);
	ck_assert_uint_le(RSD_RECORD_MAX_BYTES + 8192 + 1024, 1000000);
}
END_TEST

/* The worst case of the bound: every field at its cap, every character
 * escaped to six bytes, still serializes within the bound. */
START_TEST(worst_case_record_within_bound)
{
	cJSON *rec = cJSON_CreateObject();
	char *ctl = malloc(RSD_CAP_DESCRIPTION + 1);
	memset(ctl, '\x01', RSD_CAP_DESCRIPTION);
	ctl[RSD_CAP_DESCRIPTION] = '\0';
	static const char *const text[] = { "site_name", "language",    "title",
					    "author",    "description", "yields" };
	for (size_t i = 0; i < sizeof text / sizeof text[0]; i++)
		cJSON_AddStringToObject(rec, text[i], ctl);
	static const char *const lists[] = { "ingredients", "instructions_list", "category",
					     "cuisine", "keywords" };
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		cJSON *a = cJSON_AddArrayToObject(rec, lists[i]);
		for (int k = 0; k < 300; k++)
			cJSON_AddItemToArray(a, cJSON_CreateString(ctl + RSD_CAP_DESCRIPTION -
								   RSD_CAP_STEP - 7));
	}
	cJSON *n = cJSON_AddObjectToObject(rec, "nutrients");
	for (int k = 0; k < 100; k++) {
		char name[80];
		snprintf(name, sizeof name, "%062d", k);
		cJSON_AddStringToObject(n, name, ctl);
	}
	ck_assert_int_eq(rsd_record_caps_apply(rec), 0);
	char *json = cJSON_PrintUnformatted(rec);
	ck_assert_uint_le(strlen(json), rsd_record_caps_bound());
	ck_assert_uint_eq(strlen(cJSON_GetObjectItem(rec, "title")->valuestring), RSD_CAP_NAME / 6);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(rec, "truncated")), 12);
	free(json);
	free(ctl);
	cJSON_Delete(rec);
}
END_TEST

/* A title of n copies of byte c after the caps: its length. */
static size_t capped_title_len(char c, size_t n)
{
	char *s = malloc(n + 1);
	memset(s, c, n);
	s[n] = '\0';
	cJSON *rec = cJSON_CreateObject();
	cJSON_AddStringToObject(rec, "title", s);
	ck_assert_int_eq(rsd_record_caps_apply(rec), 0);
	size_t len = strlen(cJSON_GetObjectItem(rec, "title")->valuestring);
	cJSON_Delete(rec);
	free(s);
	return len;
}

/* Around the length under which a string fits whatever its bytes (a
 * sixth of the cap, each byte escaped to six at most) and around the
 * cap itself, for bytes escaped to six, two and one. */
START_TEST(cut_at_the_edges)
{
	const size_t max = RSD_CAP_NAME;
	for (size_t n = max / 6 - 2; n <= max / 6 + 2; n++)
		ck_assert_uint_eq(capped_title_len('\x01', n), n <= max / 6 ? n : max / 6);
	for (size_t n = max / 2 - 2; n <= max / 2 + 2; n++)
		ck_assert_uint_eq(capped_title_len('"', n), n <= max / 2 ? n : max / 2);
	for (size_t n = max - 2; n <= max + 2; n++)
		ck_assert_uint_eq(capped_title_len('a', n), n <= max ? n : max);
}
END_TEST

START_TEST(long_urls_dropped_short_fields_untouched)
{
	cJSON *rec = cJSON_CreateObject();
	char *url = malloc(RSD_CAP_URL + 32);
	strcpy(url, "https://kitchen.test/");
	memset(url + 21, 'a', RSD_CAP_URL);
	url[RSD_CAP_URL + 21] = '\0';
	cJSON_AddStringToObject(rec, "image", url);
	cJSON_AddStringToObject(rec, "canonical_url", "https://kitchen.test/x");
	cJSON_AddStringToObject(rec, "title", "Tart");
	cJSON *n = cJSON_AddObjectToObject(rec, "nutrients");
	cJSON_AddStringToObject(n, "calories", "300 kcal");
	ck_assert_int_eq(rsd_record_caps_apply(rec), 0);
	ck_assert_ptr_null(cJSON_GetObjectItem(rec, "image"));
	ck_assert_str_eq(cJSON_GetObjectItem(rec, "canonical_url")->valuestring,
			 "https://kitchen.test/x");
	ck_assert_str_eq(cJSON_GetObjectItem(rec, "title")->valuestring, "Tart");
	const cJSON *t = cJSON_GetObjectItem(rec, "truncated");
	ck_assert_int_eq(cJSON_GetArraySize(t), 1);
	ck_assert_str_eq(cJSON_GetArrayItem(t, 0)->valuestring, "image");
	free(url);
	cJSON_Delete(rec);
}
END_TEST

START_TEST(utf8_prefix_stops_at_boundary)
{
	const char *s = "ab\xe2\x82\xac"; /* "ab€" */
	ck_assert_uint_eq(rsd_utf8_prefix(s, 5, 9), 5);
	ck_assert_uint_eq(rsd_utf8_prefix(s, 5, 4), 2);
	ck_assert_uint_eq(rsd_utf8_prefix(s, 5, 3), 2);
	ck_assert_uint_eq(rsd_utf8_prefix(s, 5, 2), 2);
	ck_assert_uint_eq(rsd_utf8_prefix(s, 5, 0), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("record_caps");
	TCase *tc = tcase_create("caps");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, hostile_page_fits_one_message);
	tcase_add_test(tc, caps_bound_under_message_max);
	tcase_add_test(tc, worst_case_record_within_bound);
	tcase_add_test(tc, long_urls_dropped_short_fields_untouched);
	tcase_add_test(tc, cut_at_the_edges);
	tcase_add_test(tc, utf8_prefix_stops_at_boundary);
	suite_add_tcase(s, tc);
	return rsd_check_run(s);
}
