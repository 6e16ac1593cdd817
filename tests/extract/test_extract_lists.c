/* SPDX-License-Identifier: MIT */
/* The page's HTML lists: lists that complete or correct a Recipe's data,
 * and recipes in plain HTML without any markup (and pages that are none). */
#include "extract_fixture.h"

/* Each of pages, after a JSON-LD Recipe with the members `members`, has
 * field = want ('|'-separated), on the fast path and with the full parse. */
static void assert_pages_give(const char *members, const char *const *pages, size_t n,
			      const char *field, const char *want)
{
	struct rsd_extract_result res;
	for (size_t i = 0; i < 2 * n; i++) {
		char *page = recipe_page(members, pages[i / 2]);
		unsigned flags = i % 2 ? RSD_EXTRACT_FULL_PARSE : 0;
		ck_assert_int_eq(rsd_extract(x, page, strlen(page), PAGE_URL, NULL, flags, &res),
				 0);
		assert_list(res.record, field, want);
		rsd_extract_result_clear(&res);
		free(page);
	}
}

/* The Recipe's ingredients json_list stay as they are: no rule applies. */
static void assert_ingredients_kept(const char *json_list, const char *const *pages, size_t n,
				    const char *want)
{
	char *members;
	ck_assert_int_ge(asprintf(&members,
				  "\"recipeIngredient\":%s,\"recipeInstructions\":\"Mix.\"",
				  json_list),
			 0);
	assert_pages_give(members, pages, n, "ingredients", want);
	free(members);
}

/* The steps are want, from recipeInstructions json_steps (NULL: none). */
static void assert_steps_kept(const char *json_steps, const char *const *pages, size_t n,
			      const char *want)
{
	char *members;
	ck_assert_int_ge(asprintf(&members, "\"recipeIngredient\":[\"1 egg\",\"2 cups flour\"]%s%s",
				  json_steps ? ",\"recipeInstructions\":" : "",
				  json_steps ? json_steps : ""),
			 0);
	assert_pages_give(members, pages, n, "instructions_list", want);
	free(members);
}

/* A JSON-LD Recipe without lists: named container (hidden and screen
 * reader text skipped, groups joined), then a "Method" heading's list. */
START_TEST(html_lists_complete_a_recipe)
{
	struct rsd_extract_result res;
	cJSON *r = extract("html_lists.html", 0, &res);
	assert_str(r, "title", "Barley broth");
	assert_list(r, "ingredients", "1 litre stock|80 g pearl barley|parsley, chopped");
	assert_list(r, "instructions_list",
		    "Rinse the barley.|Simmer it in the stock for 40 minutes.");
	assert_list(r, "category", "Soup");
	rsd_extract_result_clear(&res);
	/* ingredients pasted as one string: the list after "Ingredients:"
	 * (stopping at the directions); a one-step method is kept */
	r = extract("html_one_string.html", 0, &res);
	assert_list(r, "ingredients", "300 g flour|200 ml water|1 tsp salt");
	assert_list(r, "instructions_list",
		    "Mix everything, knead, rest for an hour and cook in a dry pan.");
	rsd_extract_result_clear(&res);
}
END_TEST

/* Lists and headings alone never make a recipe, nor do the plugins'
 * names outside a class attribute. */
START_TEST(html_lists_without_recipe)
{
	struct rsd_extract_result res;
	ck_assert_ptr_null(extract("html_lists_no_recipe.html", 0, &res));
	ck_assert_ptr_null(extract("html_lists_no_recipe.html", RSD_EXTRACT_FULL_PARSE, &res));
}
END_TEST

/* Recipes without any markup: found by an ingredients section (items
 * with quantities) followed by an instructions section, outside the page
 * furniture; details from the page around them. */
START_TEST(plain_html_recipe)
{
	struct rsd_extract_result res;
	for (unsigned full = 0; full < 2; full++) {
		cJSON *r = extract("plain_recipe.html", full ? RSD_EXTRACT_FULL_PARSE : 0, &res);
		ck_assert_ptr_nonnull(r);
		assert_str(r, "title",
			   "Lemon Bars"); /* the content's <h1>, not the site header's */
		assert_str(r, "author", "Ada Baker");
		assert_str(r, "description", "Tangy bars on a butter crust.");
		/* og:image is a logo: the lazy-loaded picture after the title */
		assert_str(r, "image", "https://kitchen.test/img/lemon-bars.jpg");
		assert_str(r, "yields", "4 servings");
		assert_num(r, "prep_time", 15);
		assert_num(r, "cook_time", 70);
		assert_num(r, "total_time", 85);
		assert_list(r, "ingredients",
			    "200 g flour|100 g cold butter|3 eggs|½ cup lemon juice|"
			    "zest of one lemon");
		assert_list(
			r, "instructions_list",
			"Rub the butter into the flour.|"
			"Press into a tin and bake.|Whisk the filling, pour it over, bake again.");
		rsd_extract_result_clear(&res);
	}
}
END_TEST

START_TEST(plain_html_recipe_forms)
{
	struct rsd_extract_result res;
	/* German labels, table rows, "Schritt 1:", no <h1>: og:title without the site */
	cJSON *r = extract("plain_recipe_de.html", 0, &res);
	assert_str(r, "title", "Apfelkuchen");
	assert_str(r, "image", "https://backstube.test/bilder/apfelkuchen.jpg");
	assert_str(r, "yields", "8 servings");
	assert_num(r, "prep_time", 20);
	assert_num(r, "cook_time", 45);
	assert_num(r, "total_time", 65);
	assert_list(r, "ingredients", "500 g Mehl|4 Äpfel|1 Prise Salz");
	assert_list(r, "instructions_list",
		    "Äpfel schälen und schneiden.|Teig kneten, belegen und backen.");
	rsd_extract_result_clear(&res);
	/* class/id names, <dt>/<dd> pairs, a grid of <div>s, a page-wide <form> */
	r = extract("plain_recipe_grid.html", RSD_EXTRACT_FULL_PARSE, &res);
	assert_str(r, "title", "Green soup");
	assert_str(r, "yields", "6 bowls");
	assert_num(r, "total_time", 65);
	assert_list(r, "ingredients", "1 l vegetable stock|300 g peas|1 bunch mint");
	assert_list(r, "instructions_list", "Boil the stock.|Add the peas and mint, then blend.");
	ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(r, "prep_time"));
	rsd_extract_result_clear(&res);
	/* an unlabelled line of facts under the title; a byline's reading time is none */
	for (unsigned full = 0; full < 2; full++) {
		r = extract("plain_recipe_facts.html", full ? RSD_EXTRACT_FULL_PARSE : 0, &res);
		assert_str(r, "title", "Oat cookies");
		assert_str(r, "yields", "12 cookies");
		assert_num(r, "total_time", 45);
		assert_list(r, "ingredients", "100 g oats|80 g butter|2 tbsp honey");
		rsd_extract_result_clear(&res);
	}
}
END_TEST

/* Prose about ingredients, a product's ingredient label without a
 * method, menus and comments with both words, a cosmetic's list without
 * quantities: no record on either path. */
START_TEST(plain_html_not_a_recipe)
{
	static const char *const PAGES[] = { "plain_article.html", "plain_shop.html",
					     "plain_nav.html", "html_lists_no_recipe.html" };
	struct rsd_extract_result res;
	for (size_t i = 0; i < sizeof PAGES / sizeof PAGES[0]; i++) {
		ck_assert_msg(extract(PAGES[i], 0, &res) == NULL, "%s", PAGES[i]);
		ck_assert_msg(extract(PAGES[i], RSD_EXTRACT_FULL_PARSE, &res) == NULL, "%s",
			      PAGES[i]);
	}
}
END_TEST

/* Recipe data that names the ingredients only: each name's row on the
 * page, with its quantity (a menu link of the same name is no row); a
 * yields label of the page's recipe card when the data has none. */
START_TEST(names_only_ingredients)
{
	struct rsd_extract_result res;
	for (unsigned full = 0; full < 2; full++) {
		cJSON *r = extract("names_only.html", full ? RSD_EXTRACT_FULL_PARSE : 0, &res);
		assert_list(r, "ingredients", "20 g Sonnenblumenöl|50 g Popcornmais|Zucker 3 EL");
		assert_str(r, "yields", "2 servings");
		rsd_extract_result_clear(&res);
	}
	/* a name the page shows without a quantity, names only in a list,
	 * names out of order: the names stay as they are */
	static const char *const PAGES[] = {
		"<div><b>200 g</b> flour</div><div><span>flour</span></div><div>sugar</div>",
		"<ul><li>flour</li><li>sugar</li></ul><p>Serves 2, ready in 10 minutes</p>",
		"<div><b>1 cup</b> <i>sugar</i></div><div><b>2 cups</b> <i>flour</i></div>",
	};
	assert_ingredients_kept("[\"flour\",\"sugar\"]", PAGES, sizeof PAGES / sizeof PAGES[0],
				"flour|sugar");
}
END_TEST

/* Recipe data that breaks its ingredient list off: the page's list that
 * starts with exactly those items and goes on with more is the recipe's;
 * a list that only repeats them, goes on with no quantities, or starts
 * otherwise is not. */
START_TEST(truncated_ingredients)
{
	assert_fixture_gives("truncated_list.html", "ingredients",
			     "200 g Weizenmehl|120 g Butter, kalt|750 g Kürbis|3 Eier|"
			     "Butter, zum Fetten");
	static const char *const PAGES[] = {
		"<ul><li>1 egg</li><li>2 cups flour</li></ul>",
		"<ul><li>1 egg</li><li>2 cups flour</li><li>Print</li><li>Share</li></ul>",
		"<ul><li>3 eggs</li><li>1 egg</li><li>2 cups flour</li><li>1 cup milk</li></ul>",
		"<ul><li>1 egg</li></ul><ul><li>2 cups flour</li><li>1 cup milk</li></ul>",
	};
	assert_ingredients_kept("[\"1 egg\",\"2 cups flour\"]", PAGES,
				sizeof PAGES / sizeof PAGES[0], "1 egg|2 cups flour");
}
END_TEST

/* A method the data gives as one string of glued steps ("cold
 * nights.Fry the kimchi") is the page's list of steps when every one is
 * in it, in order; an intro before the list is no step. A page without
 * such a list leaves the data's own steps, split where they are glued. */
START_TEST(glued_method_from_page_list)
{
	struct rsd_extract_result res;
	for (unsigned full = 0; full < 2; full++) {
		cJSON *r = extract("glued_method.html", full ? RSD_EXTRACT_FULL_PARSE : 0, &res);
		assert_list(r, "instructions_list",
			    "Fry the kimchi in a pot.|"
			    "Add the water and bring it to a boil.|"
			    "Add the tofu and simmer for 10 minutes.");
		assert_list(r, "ingredients", "1 cup kimchi|200 g tofu|2 cups water");
		rsd_extract_result_clear(&res);
	}
	static const char *const PAGES[] = {
		/* a step the string does not have */
		"<ol class=steps><li>Fry the kimchi.</li><li>Add the water.</li><li>Serve "
		"hot.</li></ol>",
		/* the steps in another order */
		"<ol class=steps><li>Add the water.</li><li>Fry the kimchi.</li></ol>",
		/* one step only */
		"<ol class=steps><li>Fry the kimchi.</li></ol>",
		/* no list */
		"<p>Fry the kimchi.</p>",
	};
	assert_steps_kept("\"Fry the kimchi.Add the water.\"", PAGES,
			  sizeof PAGES / sizeof PAGES[0], "Fry the kimchi.|Add the water.");
	/* sentences that are not glued ("e.g. Kimchi", "U.S.A") are one step */
	static const char *const LIST[] = {
		"<ol class=steps><li>Fry the kimchi.</li><li>Add the water.</li></ol>",
	};
	assert_steps_kept("\"Fry the kimchi. Add the water.\"", LIST, 1,
			  "Fry the kimchi. Add the water.");
	assert_steps_kept("\"Use a pot, e.g. Le Creuset.\"", LIST, 1,
			  "Use a pot, e.g. Le Creuset.");
	assert_steps_kept("\"Use rice from the U.S.A.\"", LIST, 1, "Use rice from the U.S.A.");
}
END_TEST

/* A method the data breaks off (2 steps of 4) is the page's list that
 * starts with exactly those steps, the page's numbers before them
 * aside; a list that does not, or that ends there, leaves it. */
START_TEST(truncated_method)
{
	assert_fixture_gives("truncated_method.html", "instructions_list",
			     "Die Zwiebel schälen und fein würfeln.|"
			     "Die Zwiebel im Topf glasig dünsten (Stufe 3 | 120 °C | 4 Min.).|"
			     "Die Tomaten zugeben und 10 Minuten köcheln lassen.|"
			     "Die Gnocchi garen und mit der Sauce servieren.");
	static const char *const PAGES[] = {
		/* the page's list ends with the data's steps */
		"<ol><li>Whisk the eggs with the flour.</li><li>Bake the batter for an "
		"hour.</li></ol>",
		/* another step first */
		"<ol><li>Heat the oven to 180 degrees.</li><li>Whisk the eggs with the flour.</li>"
		"<li>Bake the batter for an hour.</li><li>Let the cake cool down.</li></ol>",
		/* a step in between */
		"<ol><li>Whisk the eggs with the flour.</li><li>Grease a tin with butter.</li>"
		"<li>Bake the batter for an hour.</li><li>Let the cake cool down.</li></ol>",
		/* the steps in two lists */
		"<ol><li>Whisk the eggs with the flour.</li></ol>"
		"<ol><li>Bake the batter for an hour.</li><li>Let the cake cool down.</li></ol>",
	};
	assert_steps_kept("[\"Whisk the eggs with the flour.\",\"Bake the batter for an hour.\"]",
			  PAGES, sizeof PAGES / sizeof PAGES[0],
			  "Whisk the eggs with the flour.|Bake the batter for an hour.");
}
END_TEST

/* A recipe in parts gives each part its ingredients, then its steps:
 * the method's containers between the ingredients' are one method. A
 * container named for both, or for neither, ends it. */
START_TEST(method_in_parts)
{
	assert_fixture_gives("grouped_parts.html", "instructions_list",
			     "Whisk the flour and the eggs into a batter.|"
			     "Fry the batter in a hot pan.|"
			     "Boil the sugar with the water until it thickens.");
	static const char *const PAGES[] = {
		"<main><ul class=instructions><li>Whisk the eggs.</li><li>Fry the batter.</li></ul>"
		"<div class=ingredients-and-method><ul class=instructions><li>Serve "
		"it.</li></ul></div>"
		"<ul class=instructions><li>Serve it.</li></ul></main>",
		"<main><ul class=instructions><li>Whisk the eggs.</li><li>Fry the batter.</li></ul>"
		"<div class=related><ul><li>More recipes</li></ul></div>"
		"<ul class=instructions><li>Serve it.</li></ul></main>",
	};
	assert_steps_kept(NULL, PAGES, sizeof PAGES / sizeof PAGES[0],
			  "Whisk the eggs.|Fry the batter.");
}
END_TEST

/* A box of time facts named like the method ("Prep Time: 5 mins") is
 * no list of steps; the method's list after it is. */
START_TEST(method_facts_are_no_steps)
{
	assert_fixture_gives("method_facts.html", "instructions_list",
			     "Preheat your oven to 180c.|"
			     "Note: bake the cupcakes for 25 minutes.");
}
END_TEST

/* A link every list item ends with ("shopping list") is the list's
 * action, not part of the items; links that differ are the items' own. */
START_TEST(item_actions)
{
	struct rsd_extract_result res;
	assert_fixture_gives("item_actions.html", "ingredients",
			     "3 chicken breasts, diced|salt, to taste|2 cups broccoli florets");
	const char page[] =
		"<script type=application/ld+json>{\"@type\":\"Recipe\",\"name\":\"T\","
		"\"recipeInstructions\":\"Mix.\"}</script><ul class=ingredients>"
		"<li>a <a href=/pot>large pot</a></li><li>a <a href=/pan>baking pan</a></li></ul>";
	ck_assert_int_eq(rsd_extract(x, page, sizeof page - 1, PAGE_URL, NULL, 0, &res), 0);
	assert_list(res.record, "ingredients", "a large pot|a baking pan");
	rsd_extract_result_clear(&res);
}
END_TEST

static Suite *suite(void)
{
	TCase *tc;
	Suite *s = extract_suite("lists", &tc);

	tcase_add_test(tc, html_lists_complete_a_recipe);
	tcase_add_test(tc, html_lists_without_recipe);
	tcase_add_test(tc, plain_html_recipe);
	tcase_add_test(tc, plain_html_recipe_forms);
	tcase_add_test(tc, plain_html_not_a_recipe);
	tcase_add_test(tc, names_only_ingredients);
	tcase_add_test(tc, truncated_ingredients);
	tcase_add_test(tc, glued_method_from_page_list);
	tcase_add_test(tc, truncated_method);
	tcase_add_test(tc, method_in_parts);
	tcase_add_test(tc, method_facts_are_no_steps);
	tcase_add_test(tc, item_actions);
	return s;
}

RSD_CHECK_MAIN(suite)
