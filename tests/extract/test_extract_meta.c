/* SPDX-License-Identifier: MIT */
/* The single-valued fields a Recipe states about itself against what the
 * page says around it (tests/fixtures/extract/meta_*.html): which image
 * wins, yields given as a QuantitativeValue, invisible characters in
 * text. Each page is read on both paths (fast scan and full parse), which
 * must agree. */
#include "extract/extract.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"

static rsd_extractor *x;

static void setup(void)
{
	ck_assert_int_eq(rsd_extractor_new(&x), 0);
}

static void teardown(void)
{
	rsd_extractor_free(x);
}

/* The value of string field `field` in the record of fixture `page`, the
 * same on the fast path and with the full parse; NULL when absent. */
static char *field_of(const char *page, const char *field)
{
	const char *dir = getenv("RSD_FIXTURES");
	char path[512], *got[2] = { NULL, NULL };
	snprintf(path, sizeof path, "%s/extract/%s", dir ? dir : "tests/fixtures", page);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	static char html[1 << 16];
	size_t len = fread(html, 1, sizeof html, f);
	fclose(f);
	ck_assert_uint_lt(len, sizeof html);
	static const unsigned FLAGS[] = { 0, RSD_EXTRACT_FULL_PARSE };
	for (size_t i = 0; i < 2; i++) {
		struct rsd_extract_result res;
		ck_assert_int_eq(rsd_extract(x, html, len, "https://orchard.test/r/1.html", NULL,
					     FLAGS[i], &res),
				 0);
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(res.record, field);
		got[i] = cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
		rsd_extract_result_clear(&res);
	}
	ck_assert_msg((!got[0] && !got[1]) || (got[0] && got[1] && !strcmp(got[0], got[1])),
		      "%s %s: fast path and full parse differ", page, field);
	free(got[1]);
	return got[0];
}

static void assert_field(const char *page, const char *field, const char *want)
{
	char *got = field_of(page, field);
	ck_assert_msg(got != NULL, "%s: no %s", page, field);
	ck_assert_str_eq(got, want);
	free(got);
}

/* A single Recipe image without a size yields to an og:image the page
 * states at full width (>= 600 px), not to a smaller one. */
START_TEST(image_og_stated_full_width)
{
	assert_field("meta_og_full_width.html", "image",
		     "https://orchard.test/share/plum-galette.jpg");
	assert_field("meta_og_small.html", "image", "https://orchard.test/img/plum-galette.jpg");
}
END_TEST

/* The Recipe keeps its image when it states a larger size than og:image
 * (width and height of an ImageObject, also as QuantitativeValues) or
 * names a wider rendition in its URL. */
START_TEST(image_recipe_states_more)
{
	assert_field("meta_image_sized_larger.html", "image",
		     "https://orchard.test/img/plum-galette.jpg");
	assert_field("meta_image_quantities.html", "image",
		     "https://orchard.test/img/plum-galette.jpg");
	assert_field("meta_image_url_wider.html", "image",
		     "https://orchard.test/img/plum-galette-1024x684.jpg");
}
END_TEST

/* A set of the original upload and its renditions, with no og:image
 * that wins over it, gives the square rendition recipe cards show; a set
 * whose first already names its size keeps that first. */
START_TEST(image_set_square_rendition)
{
	assert_field("meta_image_set_square.html", "image",
		     "https://orchard.test/img/plum-galette-500x500.jpg");
	assert_field("meta_image_set_named.html", "image",
		     "https://orchard.test/img/plum_w1024h576.webp");
}
END_TEST

/* recipeYield as a QuantitativeValue: its value, with its unitText. */
START_TEST(yields_quantitative_value)
{
	assert_field("meta_yield_quantity.html", "yields", "12 cookies");
	assert_field("meta_yield_value.html", "yields", "6 servings");
}
END_TEST

/* A zero-width space shows nothing and is dropped from text. */
START_TEST(zero_width_space_dropped)
{
	assert_field("meta_yield_quantity.html", "description",
		     "Nutty and crisp, with a chewymiddle.");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("extract_meta");
	TCase *tc = tcase_create("fields");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, image_og_stated_full_width);
	tcase_add_test(tc, image_recipe_states_more);
	tcase_add_test(tc, image_set_square_rendition);
	tcase_add_test(tc, yields_quantitative_value);
	tcase_add_test(tc, zero_width_space_dropped);
	suite_add_tcase(s, tc);
	return s;
}

RSD_CHECK_MAIN(suite)
