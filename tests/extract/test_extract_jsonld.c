/* SPDX-License-Identifier: MIT */
/* JSON-LD recipes: @graph and @id references, mainEntity, broken JSON
 * recovered, value objects, one-text methods, junk values and groups. */
#include "extract_fixture.h"

START_TEST(graph_with_references)
{
	struct rsd_extract_result res;
	cJSON *r = extract("graph.html", 0, &res);
	ck_assert_ptr_nonnull(r);
	assert_num(r, "schema", 1);
	assert_str(r, "url", PAGE_URL);
	assert_str(r, "host", "kitchen.test");
	assert_str(r, "canonical_url", "https://kitchen.test/recipes/lemon-drizzle/");
	assert_str(r, "site_name", "Test Kitchen");
	assert_str(r, "language", "en-GB");
	assert_str(r, "title", "Lemon Drizzle Cake"); /* nbsp, double space */
	assert_str(r, "author", "Jane O'Baker"); /* @id reference, &#39; */
	assert_str(r, "description", "A zesty loaf & a crunchy top."); /* tags, &amp;amp; */
	assert_str(r, "image",
		   "https://kitchen.test/img/lemon-drizzle-hero.jpg"); /* og:image, relative */
	assert_str(r, "yields", "8 slices");
	assert_num(r, "prep_time", 20);
	assert_num(r, "cook_time", 65);
	assert_num(r, "total_time", 85);
	assert_list(
		r, "ingredients",
		"225 g butter, softened|225 g caster sugar|4 eggs|1 tsp salt (adjust to taste)");
	/* section and step names kept, "Step 1" labels dropped, lines joined */
	assert_list(r, "instructions_list",
		    "Cake|Heat the oven to 180C.|Cream|Beat butter and sugar until pale.|Drizzle|"
		    "Mix lemon juice with sugar; pour over the warm cake.");
	assert_list(r, "category", "Cake|Baking");
	assert_list(r, "cuisine", "British");
	assert_list(r, "keywords", "lemon|cake|drizzle");
	assert_num(r, "ratings", 4.76);
	assert_num(r, "ratings_count", 212);
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(r, "nutrients");
	assert_str(n, "calories", "399 kcal");
	assert_str(n, "fatContent", "21 g");
	assert_str(n, "sugarContent", "30 g");
	assert_num(r, "calories", 399);
	ck_assert_double_eq(rsd_record_calories(r), 399);
	assert_str(r, "scraped_at", NULL);
	rsd_extract_result_clear(&res);
}
END_TEST

START_TEST(main_entity_and_shapes)
{
	struct rsd_extract_result res;
	cJSON *r = extract("mainentity.html", 0, &res);
	ck_assert_ptr_nonnull(r);
	assert_str(r, "title", "Fish & Chips");
	assert_str(r, "language", "en-AU");
	assert_str(r, "author", "The Chippy"); /* array: the first */
	assert_str(r, "image", "https://kitchen.test/recipes/images/fish.jpg");
	assert_str(r, "yields", "4 servings");
	assert_num(r, "prep_time", 30); /* PT0.5H */
	assert_num(r, "cook_time", 90); /* PT90M */
	assert_num(r, "total_time", 120); /* prep + cook */
	assert_list(r, "ingredients", "4 cod fillets|1 kg potatoes|salt");
	assert_list(r, "instructions_list", "Cut the potatoes.|Fry twice.|Serve hot.");
	assert_num(r, "ratings", 4.5);
	assert_num(r, "ratings_count", 10); /* reviewCount */
	assert_num(r, "calories", 550);
	assert_str(r, "canonical_url", NULL);
	assert_str(r, "description", NULL);
	rsd_extract_result_clear(&res);
}
END_TEST

START_TEST(invalid_json_recovered)
{
	struct rsd_extract_result res;
	cJSON *r = extract("invalid_json.html", 0, &res);
	ck_assert_ptr_nonnull(r);
	assert_str(r, "title", "Crêpes savoyardes"); /* raw newline in a string */
	assert_list(r, "ingredients", "250 g farine|3 œufs"); /* trailing commas */
	assert_list(r, "instructions_list", "La pâte|Mélanger."); /* "Name" */
	assert_num(r, "total_time", 30); /* PTH30MS */
	assert_str(r, "language", "fr");
	rsd_extract_result_clear(&res);
}
END_TEST

/* Values without a letter or digit ("[{" left by an unescaped quote) are
 * absent, so the next source fills them; ingredient group headings
 * ("For the cake:") are dropped; "Serves <strong>8</strong>" is read. */
START_TEST(junk_values_and_groups)
{
	struct rsd_extract_result res;
	cJSON *r = extract("junk_and_groups.html", 0, &res);
	assert_str(r, "description", "A sharp lemon cake.");
	assert_str(r, "yields", "8 servings");
	assert_list(r, "ingredients", "200 g flour|Salt: 1 pinch|100 g icing sugar");
	assert_list(r, "instructions_list",
		    "Mix the flour and the salt.|Bake for 40 minutes, then ice.");
	rsd_extract_result_clear(&res);
	/* page counters are no yields; a label's count is */
	const char page[] =
		"<script type=application/ld+json>{\"@type\":\"Recipe\",\"name\":\"C\","
		"\"author\":\"--\",\"recipeIngredient\":[\"1 egg\",\"\u2022\"]}</script>"
		"<p>1309 people saved this</p><p>\n <span>Makes</span>&nbsp;<b>12</b> buns</p>";
	ck_assert_int_eq(rsd_extract(x, page, sizeof page - 1, PAGE_URL, NULL, 0, &res), 0);
	assert_str(res.record, "author", NULL);
	assert_str(res.record, "yields", "12 buns");
	assert_list(res.record, "ingredients", "1 egg");
	rsd_extract_result_clear(&res);
}
END_TEST

/* A site that numbered its steps by hand inside one text: the steps,
 * without their numbers; "1.5 l" and a step that does not start at 1
 * are no numbering. */
START_TEST(steps_numbered_in_one_text)
{
	assert_fixture_gives(
		"steps_numbered.html", "instructions_list",
		"Soften the onion in butter.|Add the peas and 1.5 l of the stock.|"
		"Simmer for 10 minutes, then blend.|Serve with 2. slices of bread each.");
}
END_TEST

/* A one-text method whose line breaks were lost ("syrup.Stir in"), on a
 * page without a list of its steps: one step per glued piece. */
START_TEST(steps_glued_in_one_text)
{
	assert_fixture_gives(
		"steps_glued.html", "instructions_list",
		"Heat the oven to 180C and line a tin. Melt the butter with the syrup.|"
		"Stir in the oats and press into the tin.|"
		"Bake for 25 minutes, cool, then cut into squares.");
}
END_TEST

/* JSON-LD value objects ({"@type": "Duration", "@value": "PT45M"}) stand
 * for their @value. */
START_TEST(value_objects)
{
	struct rsd_extract_result res;
	cJSON *r = extract("value_objects.html", 0, &res);
	assert_str(r, "title", "Lentejas estofadas");
	assert_num(r, "prep_time", 25);
	assert_num(r, "cook_time", 45);
	assert_num(r, "total_time", 70);
	assert_str(r, "yields", "4 servings");
	rsd_extract_result_clear(&res);
}
END_TEST

static Suite *suite(void)
{
	TCase *tc;
	Suite *s = extract_suite("jsonld", &tc);

	tcase_add_test(tc, graph_with_references);
	tcase_add_test(tc, main_entity_and_shapes);
	tcase_add_test(tc, invalid_json_recovered);
	tcase_add_test(tc, steps_numbered_in_one_text);
	tcase_add_test(tc, steps_glued_in_one_text);
	tcase_add_test(tc, value_objects);
	tcase_add_test(tc, junk_values_and_groups);
	return s;
}

RSD_CHECK_MAIN(suite)
