/* SPDX-License-Identifier: MIT */
/* How the ingredients and the method are read (issue 21, sites the rules
 * were not written for): schema.org shapes of recipeIngredient and
 * recipeInstructions, and the page's own sections when the Recipe data
 * lacks them or the page has none. Each case runs on the fast path and
 * with the full parse. */
#include "extract_fixture.h"

#include <stdbool.h>

/* The page in html[0, len) gives field = want_json (a JSON array; NULL:
 * no record at all) on both paths. */
static void assert_gives(const char *html, size_t len, const char *field, const char *want_json)
{
	cJSON *want = want_json ? cJSON_Parse(want_json) : NULL;
	ck_assert_msg(!want_json || cJSON_IsArray(want), "bad expectation %s", want_json);
	for (unsigned full = 0; full < 2; full++) {
		struct rsd_extract_result res;
		unsigned flags = full ? RSD_EXTRACT_FULL_PARSE : 0;
		ck_assert_int_eq(rsd_extract(x, html, len, PAGE_URL, NULL, flags, &res), 0);
		const cJSON *got = cJSON_GetObjectItemCaseSensitive(res.record, field);
		char *text = got ? cJSON_PrintUnformatted(got) : NULL;
		ck_assert_msg(want ? cJSON_Compare(got, want, true) : res.record == NULL,
			      "%s (%s path): got %s, want %s", field, full ? "full" : "fast",
			      text ? text : "(none)", want_json ? want_json : "no record");
		free(text);
		rsd_extract_result_clear(&res);
	}
	cJSON_Delete(want);
}

/* Fixture tests/fixtures/extract/<name> gives field = want_json. */
static void assert_fixture(const char *name, const char *field, const char *want_json)
{
	size_t len;
	char *html = slurp(name, &len);
	assert_gives(html, len, field, want_json);
	free(html);
}

/* A page of one JSON-LD Recipe with these members and nothing else. */
static void assert_recipe_gives(const char *members, const char *field, const char *want_json)
{
	char *page = recipe_page(members, "<p>Nothing else.</p>");
	assert_gives(page, strlen(page), field, want_json);
	free(page);
}

/* schema.org: a HowToStep is an ItemList; without a text of its own its
 * HowToDirection / HowToTip items say what to do. With a text, the text
 * alone is the step (as before). */
START_TEST(howto_step_directions)
{
	const char *ing = "\"recipeIngredient\":[\"1 egg\",\"2 cups flour\"],";
	char *m;
	ck_assert_int_ge(
		asprintf(&m,
			 "%s\"recipeInstructions\":["
			 "{\"@type\":\"HowToStep\",\"position\":0,\"itemListElement\":"
			 "{\"@type\":\"HowToDirection\",\"text\":\"Heat the oven.\"}},"
			 "{\"@type\":\"HowToStep\",\"itemListElement\":["
			 "{\"@type\":\"HowToDirection\",\"text\":\"Mix the egg and flour.\"},"
			 "{\"@type\":\"HowToTip\",\"text\":\"Do not overmix.\"}]}]",
			 ing),
		0);
	assert_recipe_gives(m, "instructions_list",
			    "[\"Heat the oven.\",\"Mix the egg and flour.\",\"Do not overmix.\"]");
	free(m);
	ck_assert_int_ge(asprintf(&m,
				  "%s\"recipeInstructions\":[{\"@type\":\"HowToStep\","
				  "\"text\":\"Bake 20 minutes.\",\"itemListElement\":"
				  "{\"@type\":\"HowToDirection\",\"text\":\"Bake.\"}}]",
				  ing),
			 0);
	assert_recipe_gives(m, "instructions_list", "[\"Bake 20 minutes.\"]");
	free(m);
}
END_TEST

/* ["a\nb\nc"]: the whole list pasted into the one entry of an array is
 * read as the string itself would be; one line stays one ingredient, and
 * a line break inside one of several entries does not split it. */
START_TEST(ingredients_one_string_in_array)
{
	const char *steps = ",\"recipeInstructions\":\"Mix everything.\"";
	char *m;
	ck_assert_int_ge(asprintf(&m,
				  "\"recipeIngredient\":[\"1 cup flour\\n2 eggs\\n"
				  "For the filling\\n50 g sugar\"]%s",
				  steps),
			 0);
	assert_recipe_gives(m, "ingredients",
			    "[\"1 cup flour\",\"2 eggs\",\"For the filling\",\"50 g sugar\"]");
	free(m);
	ck_assert_int_ge(asprintf(&m,
				  "\"recipeIngredient\":[\"1 cup flour\",\"2 eggs,\\nbeaten\"]%s",
				  steps),
			 0);
	assert_recipe_gives(m, "ingredients", "[\"1 cup flour\",\"2 eggs, beaten\"]");
	free(m);
}
END_TEST

/* A row <tr><td>amount</td><th>name</th></tr>: the cells are apart. */
START_TEST(table_header_cells)
{
	assert_fixture("plain_header_cells.html", "ingredients",
		       "[\"1 Knoblauchzehe, gepresst\",\"150 g Risottoreis\","
		       "\"3 EL Tomatenpüree\"]");
}
END_TEST

/* body class "no-sidebar" and a "sidebar-right-layout" wrapper are the
 * page and its layout, not a sidebar: the recipe card inside is read. */
START_TEST(layout_is_not_furniture)
{
	assert_fixture("plain_sidebar_layout.html", "ingredients",
		       "[\"1 ripe mango, diced\",\"1/2 red onion, diced\","
		       "\"2 tablespoons lime juice\"]");
	assert_fixture("plain_sidebar_layout.html", "instructions_list",
		       "[\"Mix the mango, onion and lime juice in a bowl.\","
		       "\"Season with salt and serve.\"]");
	/* a real sidebar stays furniture: its "Ingredients" box is no recipe */
	const char *side = "<html><body><div class=\"sidebar-primary\"><h3>Ingredients</h3>"
			   "<ul><li>1 newsletter</li><li>2 popular posts</li></ul>"
			   "<h3>Method</h3><ol><li>Subscribe now.</li></ol></div></body></html>";
	assert_gives(side, strlen(side), "ingredients", NULL);
}
END_TEST

/* The share buttons at the end of a method box are no steps. */
START_TEST(share_menu_is_not_a_method)
{
	assert_fixture("method_share_menu.html", "instructions_list",
		       "[\"Whisk the cream and condensed milk until foamy.\","
		       "\"Churn, then freeze until firm.\"]");
}
END_TEST

/* A two-column card: the method first in the source, the ingredients in
 * Bootstrap tab panes behind unit tabs; the active pane is the list, the
 * tabs are no ingredients. */
START_TEST(tab_panes_and_method_first)
{
	const char *name = "plain_tabs_method_first.html";
	assert_fixture(name, "ingredients",
		       "[\"250 g plain flour\",\"2 tsp baking powder\",\"200 ml buttermilk\"]");
	assert_fixture(name, "instructions_list",
		       "[\"Whisk the flour, baking powder and buttermilk together.\","
		       "\"Fry spoonfuls of batter in a buttered pan.\"]");
	/* without an active pane, the script decides which shows: all count */
	const char *none = "<html><body><h1>P</h1><h3>Ingredients</h3><div class=\"tab-content\">"
			   "<div class=\"tab-pane\"><p>1 cup flour</p><p>2 eggs</p></div></div>"
			   "<h3>Method</h3><ol><li>Mix.</li></ol></body></html>";
	assert_gives(none, strlen(none), "ingredients", "[\"1 cup flour\",\"2 eggs\"]");
}
END_TEST

/* A checklist of ingredients: each <label> (its checkbox beside it) is
 * one item, the quantity and the name in it together. */
START_TEST(checklist_labels)
{
	assert_fixture("plain_checklist_labels.html", "ingredients",
		       "[\"2 αβοκάντο ώριμα\",\"4 αυγά μεγάλα\",\"Αλάτι\"]");
}
END_TEST

static Suite *suite(void)
{
	const TTest *const tests[] = {
		howto_step_directions,      ingredients_one_string_in_array,
		table_header_cells,         layout_is_not_furniture,
		share_menu_is_not_a_method, tab_panes_and_method_first,
		checklist_labels,
	};
	TCase *tc;
	Suite *s = extract_suite("sections", &tc);
	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
		tcase_add_test(tc, tests[i]);
	return s;
}

RSD_CHECK_MAIN(suite)
