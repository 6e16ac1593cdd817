/* SPDX-License-Identifier: MIT */
/* Recipes without JSON-LD: schema.org microdata, the hRecipe
 * microformat and recipe plugins' markup. */
#include "extract_fixture.h"
#include "extract/hrecipe.h"

/* The raw page test names each root, whether or not it holds "recipe",
 * wherever it stands (the first and the last bytes too), and only then. */
START_TEST(hrecipe_roots_found_anywhere)
{
	static const char *const found[] = {
		"hrecipe",
		"<div class=\"h-recipe\">",
		"x wprm-recipe-container",
		"tasty-recipes",
		"<i class=mv-create-card>",
		"recipe recipe zlrecipe-container",
		"easyrecipe",
		"a wpurp-container",
	};
	static const char *const not_found[] = {
		"",
		"recipe",
		"h recipe hrecip",
		"wprm-recipe-containe",
		"tasty-recipe",
		"mv-create-car",
		"Easyrecipe HRECIPE",
		"recipe-container wpurp",
	};
	for (size_t i = 0; i < sizeof found / sizeof found[0]; i++)
		ck_assert_msg(rsd_hrecipe_maybe_present(found[i], strlen(found[i])), "%s",
			      found[i]);
	for (size_t i = 0; i < sizeof not_found / sizeof not_found[0]; i++)
		ck_assert_msg(!rsd_hrecipe_maybe_present(not_found[i], strlen(not_found[i])), "%s",
			      not_found[i]);
	/* a root cut off by the length is not there */
	ck_assert(!rsd_hrecipe_maybe_present("easyrecipe", 9));
	ck_assert(!rsd_hrecipe_maybe_present("tasty-recipes", 12));
}
END_TEST

START_TEST(microdata_fallback)
{
	struct rsd_extract_result res;
	cJSON *r = extract("microdata.html", 0, &res);
	ck_assert_ptr_nonnull(r);
	assert_str(r, "title", "Kartoffel\xC2\xADsalat"); /* &shy; kept */
	assert_str(r, "author", "Oma Else");
	assert_str(r, "image", "https://cdn.kitchen.test/base/salad.jpg"); /* <base href> */
	assert_str(r, "description", "From og:description");
	assert_str(r, "yields", "6 servings");
	assert_num(r, "total_time", 40);
	assert_list(r, "ingredients", "1 kg Kartoffeln|1 Zwiebel");
	assert_list(r, "instructions_list", "Kochen.|Schneiden & mischen.");
	assert_list(r, "category", "Salat|Beilage");
	assert_num(r, "ratings", 4.2);
	assert_num(r, "ratings_count", 17);
	assert_num(r, "calories", 250);
	assert_str(r, "language", "de");
	rsd_extract_result_clear(&res);
}
END_TEST

START_TEST(hrecipe_microformat)
{
	struct rsd_extract_result res;
	cJSON *r = extract("hrecipe.html", 0, &res);
	ck_assert_ptr_nonnull(r);
	assert_str(r, "title", "Oat & honey biscuits");
	assert_str(r, "author", "Ada Crumb");
	assert_str(r, "description", "Crisp biscuits for the tin.");
	assert_str(r, "image", "https://kitchen.test/photos/oat-biscuits.jpg");
	assert_str(r, "yields", "Makes 24 biscuits");
	assert_num(r, "prep_time", 15); /* value-title ISO duration */
	assert_num(r, "cook_time", 12); /* text */
	assert_num(r, "total_time", 27);
	assert_list(r, "ingredients", "100 g rolled oats|100 g butter|2 tbsp honey");
	assert_list(r, "instructions_list",
		    "Melt the butter with the honey.|Stir in the oats, shape and bake.");
	assert_str(r, "site_name", "Old Recipes");
	rsd_extract_result_clear(&res);
}
END_TEST

START_TEST(recipe_plugin_without_jsonld)
{
	struct rsd_extract_result res;
	cJSON *r = extract("plugin_no_jsonld.html", 0, &res);
	assert_str(r, "title", "Green salad");
	assert_str(r, "image", "https://kitchen.test/wp-content/uploads/salad.jpg");
	assert_list(r, "ingredients", "1 lettuce|2 tbsp olive oil|1 tbsp vinegar");
	assert_list(r, "instructions_list", "Wash the lettuce.|Dress and toss.");
	rsd_extract_result_clear(&res);
}
END_TEST

/* Microdata ingredients are kept as the page repeats them: salt for the
 * dough and salt for the topping, as a JSON-LD list would give them. */
START_TEST(microdata_repeated_ingredient)
{
	assert_fixture_gives("microdata_repeated.html", "ingredients",
			     "225 g self-raising flour|1/2 teaspoon salt|55 g butter|"
			     "50 g cheddar, grated|1/2 teaspoon salt");
}
END_TEST

static Suite *suite(void)
{
	TCase *tc;
	Suite *s = extract_suite("microdata", &tc);

	tcase_add_test(tc, microdata_fallback);
	tcase_add_test(tc, microdata_repeated_ingredient);
	tcase_add_test(tc, hrecipe_microformat);
	tcase_add_test(tc, hrecipe_roots_found_anywhere);
	tcase_add_test(tc, recipe_plugin_without_jsonld);
	return s;
}

RSD_CHECK_MAIN(suite)
