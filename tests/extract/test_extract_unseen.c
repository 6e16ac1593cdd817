/* SPDX-License-Identifier: MIT */
/* Pages of sites no rule was written for (issue 21): the section headings
 * of more languages, and the words that head the ingredients only where
 * no other heading does. Each case runs on the fast path and with the
 * full parse. */
#include "extract_fixture.h"

/* Hungarian "Hozzávalók" / "Elkészítés" head a markup-less recipe's
 * ingredients and method. */
START_TEST(headings_hungarian)
{
	assert_fixture_gives("plain_recipe_hu.html", "ingredients",
			     "200 g rizs|1 l tej|1 csipet só");
	assert_fixture_gives("plain_recipe_hu.html", "instructions_list",
			     "A tejet a rizzsel és a sóval feltesszük főni.|"
			     "Ha megpuhult a rizs, langyosan tálaljuk.");
}
END_TEST

/* Greek "Υλικά" / "Εκτέλεση", capitalised as pages write them (case is
 * folded for ASCII only). */
START_TEST(headings_greek)
{
	assert_fixture_gives("plain_recipe_el.html", "ingredients",
			     "200 γρ. ρύζι|1 λίτρο γάλα|1 πρέζα αλάτι");
	assert_fixture_gives("plain_recipe_el.html", "instructions_list",
			     "Βράζουμε το γάλα με το ρύζι και το αλάτι.|Σερβίρουμε χλιαρό.");
}
END_TEST

/* Dutch "Benodigdheden" (what is needed) heads the ingredients of a page
 * that names no other ingredients section. */
START_TEST(needed_heads_ingredients)
{
	assert_fixture_gives("plain_needed_nl.html", "ingredients",
			     "250 gram bloem|500 ml melk|2 eieren");
	assert_fixture_gives("plain_needed_nl.html", "instructions_list",
			     "Meng de bloem met de melk en de eieren tot een glad beslag.|"
			     "Bak de pannenkoeken in een hete pan goudbruin.");
}
END_TEST

/* Where "Ingrediënten" heads the ingredients, "Benodigdheden" lists the
 * utensils, even when it comes first. */
START_TEST(needed_are_tools_beside_ingredients)
{
	assert_fixture_gives("plain_needed_tools_nl.html", "ingredients",
			     "300 gram bloem|4 appels|200 gram boter");
}
END_TEST

/* A method heading that starts its paragraph ("<p><strong>Method:<br>
 * </strong>Beat...<br>Bake.</p>"): the paragraph's lines are the steps. */
START_TEST(method_heading_starts_its_paragraph)
{
	assert_fixture_gives("plain_method_in_paragraph.html", "instructions_list",
			     "Klop de eieren los met de melk.|"
			     "Haal het brood door het eimengsel en bak het goudbruin.");
}
END_TEST

/* A Recipe naming no author is the site's: its name, without the
 * tagline og:site_name adds after " | " or " - ". */
START_TEST(site_author_without_tagline)
{
	assert_fixture_str("site_tagline_author.html", "author", "Hearth Kitchen");
}
END_TEST

/* "Â" and a no-break space (C3 82 C2 A0) is a no-break space encoded
 * twice: a space, not an "Â". */
START_TEST(nbsp_encoded_twice)
{
	assert_fixture_str("nbsp_encoded_twice.html", "description", "Baked Tomatoes are easy.");
}
END_TEST

/* Several microdata recipeInstructions values: each is one step, as each
 * string of a JSON-LD list is; its <br>s and the source's line breaks
 * break no step. */
START_TEST(microdata_steps_one_per_value)
{
	assert_fixture_gives("microdata_steps_each.html", "instructions_list",
			     "Pastry Rub the flour into the butter. Chill the dough for an hour.|"
			     "Lemon cream Zest and squeeze the lemons. Stir over a low heat until "
			     "thick.|"
			     "Fill the baked shells.");
}
END_TEST

/* The only microdata recipeInstructions value holds the method: its
 * heading and list items are the lines, and line breaks in the source
 * are white space, as a browser shows them. */
START_TEST(microdata_method_as_rendered)
{
	assert_fixture_gives("microdata_steps_one.html", "instructions_list",
			     "Preparation|"
			     "Cook the noodles according to package directions. Add the escarole "
			     "for the last minute.|"
			     "Toss the noodles with the sauce and divide between bowls.");
}
END_TEST

/* A microdata author given as a link is named by the link's text: its
 * URL names no one. */
START_TEST(microdata_author_link_text)
{
	assert_fixture_str("microdata_steps_one.html", "author", "Jane Doe");
}
END_TEST

/* A HowToStep's name is dropped only where its text starts with it as
 * written ("Preheat", "Bake."): a heading with its own capitals
 * ("Re-Roll" before "Re-roll the scraps") is the author's, kept. */
START_TEST(step_name_repeated_as_written)
{
	assert_fixture_gives("step_names_case.html", "instructions_list",
			     "Preheat the oven to 180C.|"
			     "Roll the dough out 5 mm thick and cut shapes.|"
			     "Re-Roll|Re-roll the scraps and cut more shapes.|"
			     "Bake for 8 minutes.|"
			     "Cool|Leave on a rack until cold.");
}
END_TEST

static Suite *suite(void)
{
	const TTest *const tests[] = {
		headings_hungarian,
		headings_greek,
		needed_heads_ingredients,
		needed_are_tools_beside_ingredients,
		method_heading_starts_its_paragraph,
		site_author_without_tagline,
		nbsp_encoded_twice,
		microdata_steps_one_per_value,
		microdata_method_as_rendered,
		microdata_author_link_text,
		step_name_repeated_as_written,
	};
	TCase *tc;
	Suite *s = extract_suite("unseen", &tc);
	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
		tcase_add_test(tc, tests[i]);
	return s;
}

RSD_CHECK_MAIN(suite)
