/* SPDX-License-Identifier: MIT */
/* The single-valued fields a Recipe states about itself against what the
 * page says around it (tests/fixtures/extract/meta_*.html): which image
 * wins, yields given as a QuantitativeValue, invisible characters in
 * text. Each page is read on both paths (fast scan and full parse), which
 * must agree. The image cases fill one page, meta_image_page.html, with
 * each case's og:image metas and Recipe image. */
#include "extract_fixture.h"

/* meta_image_page.html with og in place of @OG@ and image of @IMAGE@. */
static void assert_image(const char *og, const char *image, const char *want)
{
	static char html[1 << 15];
	size_t len;
	char *tmpl = slurp("meta_image_page.html", &len);
	ck_assert_uint_lt(len, 1 << 20); /* slurp's buffer: room for the NUL */
	tmpl[len] = '\0';
	char *at_og = strstr(tmpl, "\n@OG@"), *at_img = strstr(tmpl, "@IMAGE@");
	ck_assert(at_og && at_img && at_og < at_img);
	int n = snprintf(html, sizeof html, "%.*s\n%s%.*s%s%s", (int)(at_og - tmpl), tmpl, og,
			 (int)(at_img - at_og - 5), at_og + 5, image, at_img + 7);
	ck_assert(n > 0 && (size_t)n < sizeof html);
	free(tmpl);
	assert_html_str(html, (size_t)n, "image", want);
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
	assert_fixture_str("meta_yield_quantity.html", "yields", "12 cookies");
	assert_fixture_str("meta_yield_value.html", "yields", "6 servings");
}
END_TEST

/* A zero-width space shows nothing and is dropped from text. */
START_TEST(zero_width_space_dropped)
{
	assert_fixture_str("meta_yield_quantity.html", "description",
			  "Nutty and crisp, with a chewymiddle.");
}
END_TEST

static Suite *suite(void)
{
	TCase *tc;
	Suite *s = extract_suite("meta", &tc);
	tcase_add_test(tc, image_og_stated_full_width);
	tcase_add_test(tc, image_recipe_states_more);
	tcase_add_test(tc, image_set_square_rendition);
	tcase_add_test(tc, yields_quantitative_value);
	tcase_add_test(tc, zero_width_space_dropped);
	return s;
}

RSD_CHECK_MAIN(suite)
