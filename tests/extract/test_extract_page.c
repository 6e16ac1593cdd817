/* SPDX-License-Identifier: MIT */
/* What the page says around its recipe: Open Graph and <meta>, charsets,
 * links, images, the page's own URL, yields on the page; the API's errors. */
#include "extract_fixture.h"

#include <errno.h>

/* A page of a JSON-LD Recipe with the members `members`, then html, has
 * the text field = want (NULL: absent), on the fast path. */
static void assert_page_str(const char *members, const char *html, const char *field,
			    const char *want)
{
	struct rsd_extract_result res;
	char *page = recipe_page(members, html);
	ck_assert_int_eq(rsd_extract(x, page, strlen(page), PAGE_URL, NULL, 0, &res), 0);
	assert_str(res.record, field, want);
	rsd_extract_result_clear(&res);
	free(page);
}

START_TEST(og_meta_fallbacks)
{
	struct rsd_extract_result res;
	cJSON *r = extract("og_fallback.html", 0, &res);
	ck_assert_ptr_nonnull(r);
	assert_str(r, "title", "Toast & Jam");
	assert_str(r, "description", "Crunchy.");
	assert_str(r, "image", "https://img.kitchen.test/toast.jpg");
	assert_str(r, "author", "Sam");
	assert_list(r, "instructions_list", "Toast the bread.|Spread the jam.");
	ck_assert_double_eq(rsd_record_calories(r), -1);
	rsd_extract_result_clear(&res);
}
END_TEST

START_TEST(charset_and_repair)
{
	struct rsd_extract_result res;
	cJSON *r = extract("latin1.html", 0, &res);
	ck_assert_ptr_nonnull(r);
	assert_str(r, "title", "Crème brûlée – classic"); /* windows-1252 0x96 */
	assert_list(r, "ingredients", "500 ml crème");
	rsd_extract_result_clear(&res);

	r = extract("bad_utf8.html", 0, &res);
	ck_assert_ptr_nonnull(r);
	assert_str(r, "title",
		   "Bad \xEF\xBF\xBD\xEF\xBF\xBD bytes \xEF\xBF\xBD( here \xEF\xBF\xBD");
	rsd_extract_result_clear(&res);

	/* the HTTP header wins over <meta charset> */
	const char page[] = "<meta charset=utf-8><script type=application/ld+json>"
			    "{\"@type\":\"Recipe\",\"name\":\"\xC9t\xE9\"}</script>";
	ck_assert_int_eq(rsd_extract(x, page, sizeof page - 1, PAGE_URL,
				     "text/html; charset=ISO-8859-1", 0, &res),
			 0);
	assert_str(res.record, "title", "Été");
	rsd_extract_result_clear(&res);
}
END_TEST

/* "#x" is the page itself (RFC 3986 5.2.2), not its directory. */
START_TEST(fragment_links_name_the_page)
{
	static const char page[] = "<a href=\"#top\">t</a><a href=\"#\">e</a>"
				   "<a href=\"other.html?q=1#x\">o</a>";
	struct rsd_extract_result res;
	ck_assert_int_eq(
		rsd_extract(x, page, sizeof page - 1, PAGE_URL, NULL, RSD_EXTRACT_LINKS, &res), 0);
	ck_assert_uint_eq(res.n_links, 3);
	ck_assert_str_eq(res.links[0].url, PAGE_URL);
	ck_assert_str_eq(res.links[1].url, PAGE_URL);
	ck_assert_str_eq(res.links[2].url, "https://kitchen.test/recipes/other.html?q=1");
	rsd_extract_result_clear(&res);
}
END_TEST

START_TEST(no_recipe_and_links)
{
	struct rsd_extract_result res;
	ck_assert_ptr_null(extract("no_recipe.html", RSD_EXTRACT_LINKS, &res));
	const char *want[] = { "https://kitchen.test/blog/post-1.html",
			       "https://kitchen.test/about?x=1&y=2", "https://other.test/page",
			       "https://kitchen.test/spaced%20path.html" };
	ck_assert_uint_eq(res.n_links, 4);
	for (size_t i = 0; i < 4; i++)
		ck_assert_str_eq(res.links[i].url, want[i]);
	rsd_extract_result_clear(&res);
	ck_assert_ptr_null(res.links);
	/* without the flag: no links */
	extract("no_recipe.html", 0, &res);
	ck_assert_uint_eq(res.n_links, 0);
	rsd_extract_result_clear(&res);
}
END_TEST

/* A Recipe naming one image chose it: it wins over og:image, and an
 * absolute URL stays as written (not percent-encoded). Several unsized
 * images are generated crops: a sized og:image, the original, wins. */
START_TEST(image_single_or_set)
{
	assert_fixture_str("image_single.html", "title", "Crème brûlée");
	assert_fixture_str("image_single.html", "image",
			   "https://kitchen.test/img/crème-brûlée-960x960.jpg");
	assert_fixture_str("image_set.html", "image", "https://kitchen.test/img/sablés.jpg");
	/* ImageObjects that state their sizes: the largest, over og:image */
	assert_fixture_str("image_sized.html", "image", "https://kitchen.test/img/tart-1x1.jpg");
	/* one URL and an empty string are no set: the Recipe's URL wins */
	assert_fixture_str("image_one_of_empty.html", "image",
			   "https://kitchen.test/img/salad-large.jpg");
}
END_TEST

/* An og:image whose size the page does not state is as often a theme's
 * default as the dish: the first of the Recipe's set wins over it, unless
 * that first one names a thumbnail's width in its URL. */
START_TEST(image_set_against_unsized_og)
{
	assert_fixture_str("image_set_unsized_og.html", "image",
			   "https://pantry.test/photos/barley-broth-full.jpg");
	assert_fixture_str("image_set_thumbs.html", "image",
			   "https://cdn.pantry.test/crop/w-1200-h-630/rye-bread.jpg");
}
END_TEST

/* A page read from a file resolves relative URLs against the address it
 * declares (og:url), not the file's directory; a fetched page against its
 * own URL. Both paths. */
START_TEST(saved_page_declares_its_url)
{
	static const unsigned FLAGS[] = { 0, RSD_EXTRACT_FULL_PARSE };
	size_t len;
	char *html = slurp("saved_page.html", &len);
	for (size_t i = 0; i < 2; i++) {
		struct rsd_extract_result res;
		ck_assert_int_eq(rsd_extract(x, html, len, "file:///home/me/saved/oat.html", NULL,
					     FLAGS[i], &res),
				 0);
		assert_str(res.record, "image", "https://bakery.test/img/oat-biscuits.jpg");
		assert_str(res.record, "url", "file:///home/me/saved/oat.html");
		rsd_extract_result_clear(&res);
		ck_assert_int_eq(rsd_extract(x, html, len, "https://mirror.test/a/b/c.html", NULL,
					     FLAGS[i], &res),
				 0);
		assert_str(res.record, "image", "https://mirror.test/img/oat-biscuits.jpg");
		rsd_extract_result_clear(&res);
	}
	free(html);
}
END_TEST

/* "8 os." (Polish: persons) on a recipe card is the yields; a count of
 * other things that start alike is not. */
START_TEST(people_count_abbreviated)
{
	assert_fixture_str("people_count_pl.html", "yields", "8 servings");
	static const char *const PAGES[] = {
		"<p>8 ostatnich przepisów</p>",
		"<p>2 oz butter</p>",
		"<p>3 osobne miski</p>",
	};
	for (size_t i = 0; i < sizeof PAGES / sizeof PAGES[0]; i++)
		assert_page_str("\"recipeIngredient\":[\"1 egg\"]", PAGES[i], "yields", NULL);
}
END_TEST

/* A servings scaler: the count is the <select>'s shown option (the one
 * marked selected, else the first), read with the label before it or the
 * unit after it. */
START_TEST(servings_scaler)
{
	assert_fixture_str("servings_scaler.html", "yields", "6 servings");
	static const struct {
		const char *html, *yields;
	} PAGES[] = {
		{ "<p>Serves: <select><option>2</option><option selected>4</option></select></p>",
		  "4 servings" },
		{ "<small>Pour <select><option value=1>1</option><option value=6 selected "
		  "class='yield'>6"
		  "</option></select>\n personnes</small>",
		  "6 servings" },
		{ "<p>Makes <select><option>12</option><option>24</option></select> cookies</p>",
		  "12 cookies" },
		{ "<div>Sort by <select><option>4</option></select> stars</div>", NULL },
		{ "<div>Servings <select><option>All</option></select></div>", NULL },
		{ "<div>Show <select><option>all</option><option>12</option></select> people</div>",
		  NULL },
	};
	for (size_t i = 0; i < sizeof PAGES / sizeof PAGES[0]; i++)
		assert_page_str("\"recipeIngredient\":[\"1 egg\"]", PAGES[i].html, "yields",
				PAGES[i].yields);
}
END_TEST

START_TEST(api_errors)
{
	struct rsd_extract_result res;
	ck_assert_int_eq(rsd_extract(x, "<p>", 3, NULL, NULL, 0, &res), -EINVAL);
	ck_assert_ptr_null(res.record);
	ck_assert_int_eq(rsd_extract(x, "<p>", 3, "not a url", NULL, 0, &res), -EINVAL);
	ck_assert_int_eq(rsd_extract(x, "<p>", 3, "ftp://h/x", NULL, 0, &res), -EINVAL);
	ck_assert_int_eq(rsd_extract(NULL, "<p>", 3, PAGE_URL, NULL, 0, &res), -EINVAL);
	ck_assert_int_eq(rsd_extract(x, NULL, 0, PAGE_URL, NULL, 0, &res), 0);
	ck_assert_ptr_null(res.record);
	/* NUL bytes and a truncated document */
	const char nul[] =
		"<script type=\"application/ld+json\">{\"@type\":\"Recipe\",\"name\":\"a\0b\"";
	ck_assert_int_eq(rsd_extract(x, nul, sizeof nul - 1, PAGE_URL, NULL, 0, &res), 0);
	rsd_extract_result_clear(&res);
	/* a local file: no host */
	const char page[] = "<script type=application/ld+json>{\"@type\":\"Recipe\",\"name\":\"F\","
			    "\"image\":\"img/f.jpg\"}</script>";
	ck_assert_int_eq(
		rsd_extract(x, page, sizeof page - 1, "file:///srv/site/r.html", NULL, 0, &res), 0);
	assert_str(res.record, "host", NULL);
	assert_str(res.record, "image", "file:///srv/site/img/f.jpg");
	rsd_extract_result_clear(&res);
	rsd_extractor_free(NULL);
	rsd_extract_result_clear(NULL);
	ck_assert_double_eq(rsd_record_calories(NULL), -1);
}
END_TEST

/* recipeYield: a range of counts ("4-6", "10 to 12") gives its upper
 * bound, as recipe-scrapers reads it; a spaced "4 - 6" is no range to it,
 * and an array's counts stay as its elements say. */
START_TEST(yields_range_upper_bound)
{
	assert_fixture_str("yields_range.html", "yields", "6 servings");
	static const struct {
		const char *json, *want;
	} CASES[] = {
		{ "\"10 to 12 cookies\"", "12 cookies" },
		{ "\"4 - 6 servings\"", "4 - 6 servings" },
		{ "[\"8\", \"8 to 10 servings\"]", "8 to 10 servings" },
		{ "\"2\"", "2 servings" },
	};
	for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
		char members[128];
		snprintf(members, sizeof members, "\"recipeYield\":%s", CASES[i].json);
		assert_page_str(members, "", "yields", CASES[i].want);
	}
}
END_TEST

/* The page's record of a Recipe whose data states no time at all. */
static cJSON *times_page(const char *html, struct rsd_extract_result *res)
{
	char *page = recipe_page("\"recipeIngredient\":[\"1 egg\"]", html);
	ck_assert_int_eq(rsd_extract(x, page, strlen(page), PAGE_URL, NULL, 0, res), 0);
	free(page);
	ck_assert_ptr_nonnull(res->record);
	return res->record;
}

/* rec's minutes field is want; want < 0: the field is absent. */
static void assert_minutes(const cJSON *rec, const char *field, double want)
{
	if (want >= 0)
		assert_num(rec, field, want);
	else
		ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(rec, field));
}

/* Times the Recipe data does not state, labelled on the page with a mark
 * before their value, fill prep and cook time and their total; a label
 * without a mark (a method's "Cook 5 minutes") is no time, and a time the
 * data states keeps the page's labels out. */
START_TEST(labelled_times_on_the_page)
{
	static const struct {
		const char *html;
		double total, prep, cook;
	} CASES[] = {
		{ "<p>Easy.</p><p>Prep: 10 mins<br/>Cook: 25 mins<br/>Serves 4</p>", 35, 10, 25 },
		{ "<h3><strong>Prep time&nbsp;|</strong>&nbsp;15 minutes<br/>"
		  "<strong>Cooking time&nbsp;|</strong>&nbsp;20 minutes</h3>",
		  35, 15, 20 },
		{ "<dl><dt>Total time =</dt><dd>1 hour 5 min</dd></dl>", 65, -1, -1 },
		{ "<ol><li>Cook 5 minutes, stirring.</li><li>Prep the rest 10 minutes ahead."
		  "</li></ol>",
		  -1, -1, -1 },
	};
	for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
		struct rsd_extract_result res;
		cJSON *r = times_page(CASES[i].html, &res);
		assert_minutes(r, "total_time", CASES[i].total);
		assert_minutes(r, "prep_time", CASES[i].prep);
		assert_minutes(r, "cook_time", CASES[i].cook);
		rsd_extract_result_clear(&res);
	}
	struct rsd_extract_result res;
	char *page = recipe_page("\"totalTime\":\"PT20M\"", "<p>Prep: 10 mins</p>");
	ck_assert_int_eq(rsd_extract(x, page, strlen(page), PAGE_URL, NULL, 0, &res), 0);
	assert_num(res.record, "total_time", 20);
	assert_minutes(res.record, "prep_time", -1);
	rsd_extract_result_clear(&res);
	free(page);
}
END_TEST

static Suite *suite(void)
{
	TCase *tc;
	Suite *s = extract_suite("page", &tc);

	tcase_add_test(tc, og_meta_fallbacks);
	tcase_add_test(tc, charset_and_repair);
	tcase_add_test(tc, no_recipe_and_links);
	tcase_add_test(tc, fragment_links_name_the_page);
	tcase_add_test(tc, image_single_or_set);
	tcase_add_test(tc, image_set_against_unsized_og);
	tcase_add_test(tc, yields_range_upper_bound);
	tcase_add_test(tc, saved_page_declares_its_url);
	tcase_add_test(tc, servings_scaler);
	tcase_add_test(tc, people_count_abbreviated);
	tcase_add_test(tc, labelled_times_on_the_page);
	tcase_add_test(tc, api_errors);
	return s;
}

RSD_CHECK_MAIN(suite)
