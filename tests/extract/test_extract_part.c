/* SPDX-License-Identifier: MIT */
/* A microdata Recipe read from a parse of its element alone
 * (src/extract/recipe_part.c): where the element's tokens read as they
 * do within the page, the part gives the whole page's fields; where the
 * page around it changes them (an itemref, a formatting element gumbo
 * carries into it, a table cell that closes it, an end tag of an element
 * around it) the part is refused and the whole page's tree decides, so
 * the record is the full parse's either way. */
#include "extract_fixture.h"

#include "extract/gumbo_guard.h"
#include "extract/microdata.h"
#include "extract/recipe_part.h"

/* The part's reading of fixture `name`: its return, *f filled when 1. */
static int part_fields(const char *name, struct rsd_recipe_fields *f)
{
	size_t len;
	char *html = slurp(name, &len);
	rsd_fields_init(f);
	int rc = rsd_recipe_part_microdata(NULL, html, len, PAGE_URL, f);
	free(html);
	return rc;
}

/* The whole page's reading (the fixtures hold no script or style). */
static void whole_fields(const char *name, struct rsd_recipe_fields *f)
{
	size_t len;
	char *html = slurp(name, &len);
	struct rsd_gumbo_limits lim = rsd_gumbo_limits_for(len);
	struct rsd_gumbo_doc *doc = NULL;
	ck_assert_int_eq(rsd_gumbo_guard_parse(html, len, &lim, &doc, NULL), 0);
	rsd_fields_init(f);
	ck_assert_int_eq(rsd_microdata_fields(rsd_gumbo_doc_output(doc), PAGE_URL, f), 1);
	rsd_gumbo_doc_free(doc);
	free(html);
}

static void assert_same_list(const cJSON *a, const cJSON *b)
{
	ck_assert(cJSON_Compare(a, b, true) || (!a && !b));
}

/* The part reads fixture `name` as the whole page does. */
static void assert_part_is_whole(const char *name, const char *title)
{
	struct rsd_recipe_fields part, whole;
	ck_assert_int_eq(part_fields(name, &part), 1);
	whole_fields(name, &whole);
	ck_assert_str_eq(part.title, title);
	ck_assert_str_eq(part.title, whole.title);
	assert_same_list(part.ingredients, whole.ingredients);
	assert_same_list(part.instructions_list, whole.instructions_list);
	ck_assert_int_eq(cJSON_GetArraySize(part.ingredients), 2);
	rsd_fields_clear(&part);
	rsd_fields_clear(&whole);
}

/* The part of fixture `name` is refused: f untouched. */
static void assert_part_refused(const char *name)
{
	struct rsd_recipe_fields f;
	ck_assert_int_eq(part_fields(name, &f), 0);
	ck_assert_ptr_null(f.title);
	ck_assert_ptr_null(f.ingredients);
	rsd_fields_clear(&f);
}

/* Fixtures whose part reads alone, as the whole page: the part's fields
 * are the whole page's, and the record is the same on both paths.
 * - a plain Recipe <article> between a menu and comments;
 * - a <p> left open before the Recipe: the Recipe's <div> closes it (and
 *   the scan with it);
 * - itemprop on the Recipe's element is a property of the item around it
 *   (the WebPage's mainEntity), in the part as in the page: the Recipe's
 *   name is its own, not the WebPage's. */
START_TEST(part_reads_as_page)
{
	static const struct {
		const char *name, *title, *field, *want;
	} PAGES[] = {
		{ "recipe_part_plain.html", "Lemon cake", "ingredients", "200 g flour|2 lemons" },
		{ "recipe_part_open_p.html", "Potato gratin", "instructions_list",
		  "Slice the potatoes.|Bake them in the cream." },
		{ "recipe_part_scope_prop.html", "Rice pudding", "ingredients",
		  "100 g rice|1 l milk" },
	};
	for (size_t i = 0; i < sizeof PAGES / sizeof PAGES[0]; i++) {
		assert_part_is_whole(PAGES[i].name, PAGES[i].title);
		assert_fixture_str(PAGES[i].name, "title", PAGES[i].title);
		assert_fixture_gives(PAGES[i].name, PAGES[i].field, PAGES[i].want);
	}
}
END_TEST

/* Fixtures whose part is refused: the record (on both paths) is the
 * whole page's, which the part alone would not give.
 * - itemref names ids elsewhere on the page (its list then read from the
 *   page's HTML);
 * - a <b itemprop> left open in a <p> before the Recipe: the <div>
 *   closes the <p> and gumbo reopens the <b> (its attributes too) in the
 *   Recipe's blocks, a property the element alone would not have (the
 *   first of three ingredients);
 * - in a layout table's cell a <td> in the Recipe closes the cell and the
 *   Recipe with it (alone it would be ignored: two ingredients, a method);
 * - </section> of an element around the Recipe closes it in the page. */
START_TEST(refused_reads_as_page)
{
	static const struct {
		const char *name, *field, *want;
	} PAGES[] = {
		{ "recipe_part_itemref.html", "ingredients", "500 g peas|1 onion" },
		{ "recipe_part_unclosed.html", "instructions_list",
		  "Boil the eggs.|Mash them with the mustard." },
		{ "recipe_part_table.html", "ingredients", "300 g flour" },
		{ "recipe_part_stray_end.html", "ingredients", "1 kg tomatoes" },
	};
	for (size_t i = 0; i < sizeof PAGES / sizeof PAGES[0]; i++) {
		assert_part_refused(PAGES[i].name);
		assert_fixture_gives(PAGES[i].name, PAGES[i].field, PAGES[i].want);
	}
	struct rsd_extract_result res;
	cJSON *r = extract("recipe_part_unclosed.html", 0, &res);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(r, "ingredients")), 3);
	rsd_extract_result_clear(&res);
	r = extract("recipe_part_table.html", 0, &res);
	ck_assert_ptr_null(cJSON_GetObjectItem(r, "instructions_list"));
	rsd_extract_result_clear(&res);
}
END_TEST

/* Checks after the parse: an end tag that closes nothing alone (here
 * </span>, ignored both ways) may close the Recipe within a page, a
 * <li> in a <div> Recipe may close an item around it: refused. */
START_TEST(tokens_beyond_refused)
{
	static const char *const PAGES[] = {
		"<!DOCTYPE html><body><main><div itemscope itemtype=https://schema.org/Recipe>"
		"<h1 itemprop=name>S</h1></span><p itemprop=recipeIngredient>1 egg</p>"
		"<p itemprop=recipeIngredient>2 g salt</p></div></main>",
		"<!DOCTYPE html><body><main><div itemscope itemtype=https://schema.org/Recipe>"
		"<h1 itemprop=name>S</h1><li itemprop=recipeIngredient>1 egg"
		"<li itemprop=recipeIngredient>2 g salt</div></main>",
	};
	char tail[4096] = "";
	for (int i = 0; i < 40; i++)
		strcat(tail, "<p>More of the site's pages.</p>\n");
	for (size_t i = 0; i < sizeof PAGES / sizeof PAGES[0]; i++) {
		char html[8192];
		int n = snprintf(html, sizeof html, "%s%s</body>", PAGES[i], tail);
		struct rsd_recipe_fields f;
		rsd_fields_init(&f);
		ck_assert_int_eq(rsd_recipe_part_microdata(NULL, html, (size_t)n, PAGE_URL, &f), 0);
		rsd_fields_clear(&f);
		assert_html_str(html, (size_t)n, "title", "S");
	}
}
END_TEST

static Suite *suite(void)
{
	TCase *tc;
	Suite *s = extract_suite("part", &tc);

	tcase_add_test(tc, part_reads_as_page);
	tcase_add_test(tc, refused_reads_as_page);
	tcase_add_test(tc, tokens_beyond_refused);
	return s;
}

RSD_CHECK_MAIN(suite)
