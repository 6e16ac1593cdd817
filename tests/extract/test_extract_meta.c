/* SPDX-License-Identifier: MIT */
/* The single-valued fields a Recipe states about itself against what the
 * page says around it (tests/fixtures/extract/meta_*.html): which image
 * wins, yields given as a QuantitativeValue, invisible characters in
 * text. Each page is read on both paths (fast scan and full parse), which
 * must agree. The image cases fill one page, meta_image_page.html, with
 * each case's og:image metas and Recipe image. */
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

/* Fixture `page` into buf (NUL-terminated); its length. */
static size_t read_page(const char *page, char *buf, size_t size)
{
	const char *dir = getenv("RSD_FIXTURES");
	char path[512];
	snprintf(path, sizeof path, "%s/extract/%s", dir ? dir : "tests/fixtures", page);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	size_t len = fread(buf, 1, size - 1, f);
	fclose(f);
	ck_assert_uint_lt(len, size - 1);
	buf[len] = '\0';
	return len;
}

/* The value of string field `field` in the record of html, the same on
 * the fast path and with the full parse; NULL when absent. */
static char *field_of(const char *html, const char *field)
{
	static const unsigned FLAGS[] = { 0, RSD_EXTRACT_FULL_PARSE };
	char *got[2] = { NULL, NULL };
	for (size_t i = 0; i < 2; i++) {
		struct rsd_extract_result res;
		ck_assert_int_eq(rsd_extract(x, html, strlen(html), "https://orchard.test/r/1.html",
					     NULL, FLAGS[i], &res),
				 0);
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(res.record, field);
		got[i] = cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
		rsd_extract_result_clear(&res);
	}
	ck_assert_msg((!got[0] && !got[1]) || (got[0] && got[1] && !strcmp(got[0], got[1])),
		      "%s: fast path and full parse differ", field);
	free(got[1]);
	return got[0];
}

static void assert_field(const char *html, const char *field, const char *want)
{
	char *got = field_of(html, field);
	ck_assert_msg(got != NULL, "no %s", field);
	ck_assert_str_eq(got, want);
	free(got);
}

static void assert_page_field(const char *page, const char *field, const char *want)
{
	static char html[1 << 14];
	read_page(page, html, sizeof html);
	assert_field(html, field, want);
}

/* meta_image_page.html with og in place of @OG@ and image of @IMAGE@. */
static void assert_image(const char *og, const char *image, const char *want)
{
	static char tmpl[1 << 14], html[1 << 15];
	read_page("meta_image_page.html", tmpl, sizeof tmpl);
	char *at_og = strstr(tmpl, "\n@OG@"), *at_img = strstr(tmpl, "@IMAGE@");
	ck_assert(at_og && at_img && at_og < at_img);
	int n = snprintf(html, sizeof html, "%.*s\n%s%.*s%s%s", (int)(at_og - tmpl), tmpl, og,
			 (int)(at_img - at_og - 5), at_og + 5, image, at_img + 7);
	ck_assert(n > 0 && (size_t)n < sizeof html);
	assert_field(html, "image", want);
}

#define OG_SIZED(url, w, h)                                      \
	"<meta property=\"og:image\" content=\"" url "\">\n"     \
	"<meta property=\"og:image:width\" content=\"" w "\">\n" \
	"<meta property=\"og:image:height\" content=\"" h "\">"

/* A single Recipe image without a size yields to an og:image the page
 * states at full width (>= 600 px), not to a smaller one. */
START_TEST(image_og_stated_full_width)
{
	assert_image(OG_SIZED("https://orchard.test/share/galette.jpg", "1200", "800"),
		     "\"https://orchard.test/img/galette.jpg\"",
		     "https://orchard.test/share/galette.jpg");
	assert_image(OG_SIZED("https://orchard.test/share/galette-sq.jpg", "480", "480"),
		     "\"https://orchard.test/img/galette.jpg\"",
		     "https://orchard.test/img/galette.jpg");
}
END_TEST

/* The Recipe keeps its image when it states a larger size than og:image
 * (width and height of an ImageObject, also as QuantitativeValues) or
 * names a wider rendition in its URL. */
START_TEST(image_recipe_states_more)
{
	const char *og = OG_SIZED("https://orchard.test/share/galette.jpg", "1200", "630");
	assert_image(og,
		     "{\"@type\": \"ImageObject\", \"url\": \"https://orchard.test/img/a.jpg\", "
		     "\"width\": 2048, \"height\": 2048}",
		     "https://orchard.test/img/a.jpg");
	assert_image(og,
		     "{\"@type\": \"ImageObject\", \"url\": \"https://orchard.test/img/b.jpg\", "
		     "\"width\": {\"@type\": \"QuantitativeValue\", \"value\": 2400}, "
		     "\"height\": {\"@type\": \"QuantitativeValue\", \"value\": 1600}}",
		     "https://orchard.test/img/b.jpg");
	assert_image(og, "\"https://orchard.test/img/c-1280x853.jpg\"",
		     "https://orchard.test/img/c-1280x853.jpg");
}
END_TEST

/* A set of the original upload and its renditions, with no og:image
 * that wins over it (here an unsized twitter:image), gives the square
 * rendition recipe cards show; a set whose first already names its size
 * keeps that first. */
START_TEST(image_set_square_rendition)
{
	assert_image(
		"<meta name=\"twitter:image\" content=\"https://orchard.test/img/g.jpg\">",
		"[\"https://orchard.test/img/g.jpg\", \"https://orchard.test/img/g-500x500.jpg\", "
		"\"https://orchard.test/img/g-500x375.jpg\"]",
		"https://orchard.test/img/g-500x500.jpg");
	assert_image("",
		     "[\"https://orchard.test/img/p_w1024h576.webp\", "
		     "\"https://orchard.test/img/p_w1024h1024.webp\"]",
		     "https://orchard.test/img/p_w1024h576.webp");
}
END_TEST

/* recipeYield as a QuantitativeValue: its value, with its unitText. */
START_TEST(yields_quantitative_value)
{
	assert_page_field("meta_yield_quantity.html", "yields", "12 cookies");
	assert_page_field("meta_yield_value.html", "yields", "6 servings");
}
END_TEST

/* A zero-width space shows nothing and is dropped from text. */
START_TEST(zero_width_space_dropped)
{
	assert_page_field("meta_yield_quantity.html", "description",
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
