/* SPDX-License-Identifier: MIT */
/* Extraction of the authored fixture pages (tests/fixtures/extract), with
 * exact field values, the links, the differential fast path / full parse
 * check over every fixture, and the API's error paths. */
#include "extract/extract.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/record_caps.h"

#define PAGE_URL "https://kitchen.test/recipes/x.html"

static rsd_extractor *x;

static char *slurp(const char *name, size_t *len)
{
	const char *dir = getenv("RSD_FIXTURES");
	char *path;
	ck_assert_int_ge(asprintf(&path, "%s/extract/%s", dir ? dir : "tests/fixtures", name), 0);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	char *buf = malloc(1 << 20);
	ck_assert_ptr_nonnull(buf);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	free(path);
	return buf;
}

/* Extracts fixture `name`; the record (NULL when no recipe) is the caller's. */
static cJSON *extract(const char *name, unsigned flags, struct rsd_extract_result *res)
{
	size_t len;
	char *html = slurp(name, &len);
	ck_assert_int_eq(rsd_extract(x, html, len, PAGE_URL, NULL, flags, res), 0);
	free(html);
	return res->record;
}

static void assert_str(const cJSON *rec, const char *field, const char *want)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, field);
	if (!want) {
		ck_assert_msg(v == NULL, "%s present", field);
		return;
	}
	ck_assert_msg(cJSON_IsString(v), "%s missing", field);
	ck_assert_str_eq(v->valuestring, want);
}

static void assert_num(const cJSON *rec, const char *field, double want)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, field);
	ck_assert_msg(cJSON_IsNumber(v), "%s missing", field);
	ck_assert_double_eq_tol(v->valuedouble, want, 1e-9);
}

/* want: strings separated by '|' */
static void assert_list(const cJSON *rec, const char *field, const char *want)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, field);
	ck_assert_msg(cJSON_IsArray(v), "%s missing", field);
	char *joined = calloc(1, 4096);
	const cJSON *e;
	cJSON_ArrayForEach (e, v) {
		if (*joined)
			strcat(joined, "|");
		strncat(joined, e->valuestring, 4096 - strlen(joined) - 2);
	}
	ck_assert_str_eq(joined, want);
	free(joined);
}

/* Each of pages, after a JSON-LD Recipe with the members `members`, has
 * field = want ('|'-separated), on the fast path and with the full parse. */
static void assert_pages_give(const char *members, const char *const *pages, size_t n,
			      const char *field, const char *want)
{
	struct rsd_extract_result res;
	for (size_t i = 0; i < 2 * n; i++) {
		char *page;
		ck_assert_int_ge(asprintf(&page,
					  "<script type=application/ld+json>{\"@type\":\"Recipe\","
					  "\"name\":\"N\",%s}</script>%s",
					  members, pages[i / 2]),
				 0);
		unsigned flags = i % 2 ? RSD_EXTRACT_FULL_PARSE : 0;
		ck_assert_int_eq(rsd_extract(x, page, strlen(page), PAGE_URL, NULL, flags, &res),
				 0);
		assert_list(res.record, field, want);
		rsd_extract_result_clear(&res);
		free(page);
	}
}

/* A page of a JSON-LD Recipe with the members `members`, then html, has
 * the text field = want (NULL: absent), on the fast path. */
static void assert_page_str(const char *members, const char *html, const char *field,
			    const char *want)
{
	struct rsd_extract_result res;
	char *page;
	ck_assert_int_ge(asprintf(&page,
				  "<script type=application/ld+json>{\"@type\":\"Recipe\","
				  "\"name\":\"N\",%s}</script>%s",
				  members, html),
			 0);
	ck_assert_int_eq(rsd_extract(x, page, strlen(page), PAGE_URL, NULL, 0, &res), 0);
	assert_str(res.record, field, want);
	rsd_extract_result_clear(&res);
	free(page);
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

/* A page written with stdio, for pages too large for a fixture file: write
 * to f, then page_done() makes p and len valid; the caller frees p. */
struct page {
	char *p;
	size_t len;
	FILE *f;
};

static FILE *page_start(struct page *pg)
{
	*pg = (struct page){ 0 };
	pg->f = open_memstream(&pg->p, &pg->len);
	ck_assert_ptr_nonnull(pg->f);
	return pg->f;
}

static void page_done(struct page *pg)
{
	ck_assert_int_eq(fclose(pg->f), 0);
	pg->f = NULL;
}

/* Fixture name gives field = want on both paths. */
static void assert_fixture_gives(const char *name, const char *field, const char *want)
{
	struct rsd_extract_result res;
	for (unsigned full = 0; full < 2; full++) {
		assert_list(extract(name, full ? RSD_EXTRACT_FULL_PARSE : 0, &res), field, want);
		rsd_extract_result_clear(&res);
	}
}

static void setup(void)
{
	ck_assert_int_eq(rsd_extractor_new(&x), 0);
}

static void teardown(void)
{
	rsd_extractor_free(x);
	x = NULL;
}

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
	ck_assert_str_eq(res.links[0], PAGE_URL);
	ck_assert_str_eq(res.links[1], PAGE_URL);
	ck_assert_str_eq(res.links[2], "https://kitchen.test/recipes/other.html?q=1");
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
		ck_assert_str_eq(res.links[i], want[i]);
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
	struct rsd_extract_result res;
	cJSON *r = extract("image_single.html", 0, &res);
	assert_str(r, "title", "Crème brûlée");
	assert_str(r, "image", "https://kitchen.test/img/crème-brûlée-960x960.jpg");
	rsd_extract_result_clear(&res);
	r = extract("image_set.html", 0, &res);
	assert_str(r, "image", "https://kitchen.test/img/sablés.jpg");
	rsd_extract_result_clear(&res);
	/* ImageObjects that state their sizes: the largest, over og:image */
	r = extract("image_sized.html", 0, &res);
	assert_str(r, "image", "https://kitchen.test/img/tart-1x1.jpg");
	rsd_extract_result_clear(&res);
	/* one URL and an empty string are no set: the Recipe's URL wins */
	r = extract("image_one_of_empty.html", 0, &res);
	assert_str(r, "image", "https://kitchen.test/img/salad-large.jpg");
	rsd_extract_result_clear(&res);
}
END_TEST

/* An og:image whose size the page does not state is as often a theme's
 * default as the dish: the first of the Recipe's set wins over it, unless
 * that first one names a thumbnail's width in its URL. */
START_TEST(image_set_against_unsized_og)
{
	struct rsd_extract_result res;
	cJSON *r = extract("image_set_unsized_og.html", 0, &res);
	assert_str(r, "image", "https://pantry.test/photos/barley-broth-full.jpg");
	rsd_extract_result_clear(&res);
	r = extract("image_set_thumbs.html", 0, &res);
	assert_str(r, "image", "https://cdn.pantry.test/crop/w-1200-h-630/rye-bread.jpg");
	rsd_extract_result_clear(&res);
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

/* A hostile page for the section search: 100000 ingredients, 10000
 * nested boxes around the method, a megabyte of prose without a break. */
START_TEST(plain_html_adversarial)
{
	struct page b;
	FILE *f = page_start(&b);
	fputs("<html><body><h1>Big</h1><p>Serves ", f);
	for (int i = 0; i < 1 << 20; i++)
		fputc('9', f);
	fputs("</p><h2>Ingredients</h2><ul>", f);
	for (int i = 0; i < 40000; i++) /* under the element bound of the DOM */
		fputs("<li>1 g salt</li>", f);
	fputs("</ul><h2>Method</h2>", f);
	for (int i = 0; i < 2000; i++) /* just under the depth gumbo is given */
		fputs("<div class=\"x\">", f);
	fputs("<p>Stir.</p></body></html>", f);
	page_done(&b);
	struct rsd_extract_result a, c;
	ck_assert_int_eq(rsd_extract(x, b.p, b.len, PAGE_URL, NULL, 0, &a), 0);
	ck_assert_int_eq(rsd_extract(x, b.p, b.len, PAGE_URL, NULL, RSD_EXTRACT_FULL_PARSE, &c), 0);
	ck_assert_ptr_nonnull(a.record);
	/* all 40,000 read; the record keeps the first RSD_CAP_INGREDIENTS */
	ck_assert_int_eq(
		cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(a.record, "ingredients")),
		RSD_CAP_INGREDIENTS);
	assert_str(a.record, "yields", NULL); /* a million digits are no count */
	assert_list(a.record, "instructions_list", "Stir.");
	assert_str(a.record, "title", "Big");
	char *ja = cJSON_PrintUnformatted(a.record), *jc = cJSON_PrintUnformatted(c.record);
	ck_assert_str_eq(ja, jc);
	free(ja);
	free(jc);
	rsd_extract_result_clear(&a);
	rsd_extract_result_clear(&c);
	free(b.p);
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

/* "8 os." (Polish: persons) on a recipe card is the yields; a count of
 * other things that start alike is not. */
START_TEST(people_count_abbreviated)
{
	struct rsd_extract_result res;
	for (unsigned full = 0; full < 2; full++) {
		cJSON *r = extract("people_count_pl.html", full ? RSD_EXTRACT_FULL_PARSE : 0, &res);
		assert_str(r, "yields", "8 servings");
		rsd_extract_result_clear(&res);
	}
	static const char *const PAGES[] = {
		"<p>8 ostatnich przepisów</p>",
		"<p>2 oz butter</p>",
		"<p>3 osobne miski</p>",
	};
	for (size_t i = 0; i < sizeof PAGES / sizeof PAGES[0]; i++) {
		char *page;
		ck_assert_int_ge(
			asprintf(&page,
				 "<script type=application/ld+json>{\"@type\":\"Recipe\","
				 "\"name\":\"N\",\"recipeIngredient\":[\"1 egg\"]}</script>%s",
				 PAGES[i]),
			0);
		ck_assert_int_eq(rsd_extract(x, page, strlen(page), PAGE_URL, NULL, 0, &res), 0);
		assert_str(res.record, "yields", NULL);
		rsd_extract_result_clear(&res);
		free(page);
	}
}
END_TEST

/* A servings scaler: the count is the <select>'s shown option (the one
 * marked selected, else the first), read with the label before it or the
 * unit after it. */
START_TEST(servings_scaler)
{
	struct rsd_extract_result res;
	for (unsigned full = 0; full < 2; full++) {
		cJSON *r = extract("servings_scaler.html", full ? RSD_EXTRACT_FULL_PARSE : 0, &res);
		assert_str(r, "yields", "6 servings");
		rsd_extract_result_clear(&res);
	}
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

/* Every fixture (and every page of $RSD_DIFF_CORPUS/<site>/, when set):
 * the fast path and the full gumbo parse give the same record and links. */
static void differential_dir(const char *dir, int depth, size_t *checked)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		char *path;
		if (e->d_name[0] == '.' || asprintf(&path, "%s/%s", dir, e->d_name) < 0)
			continue;
		if (depth == 0 && e->d_type == DT_DIR)
			differential_dir(path, 1, checked);
		if (n <= 5 || strcmp(e->d_name + n - 5, ".html") != 0) {
			free(path);
			continue;
		}
		FILE *f = fopen(path, "rb");
		ck_assert_ptr_nonnull(f);
		char *html = malloc(8 << 20);
		size_t len = fread(html, 1, 8 << 20, f);
		fclose(f);
		struct rsd_extract_result a, b;
		ck_assert_int_eq(rsd_extract(x, html, len, PAGE_URL, NULL, RSD_EXTRACT_LINKS, &a),
				 0);
		ck_assert_int_eq(rsd_extract(x, html, len, PAGE_URL, NULL,
					     RSD_EXTRACT_LINKS | RSD_EXTRACT_FULL_PARSE, &b),
				 0);
		char *ja = a.record ? cJSON_PrintUnformatted(a.record) : strdup("{}");
		char *jb = b.record ? cJSON_PrintUnformatted(b.record) : strdup("{}");
		ck_assert_msg(strcmp(ja, jb) == 0, "%s:\n fast %s\n full %s", path, ja, jb);
		ck_assert_msg(a.n_links == b.n_links, "%s: %zu vs %zu links", path, a.n_links,
			      b.n_links);
		for (size_t i = 0; i < a.n_links; i++)
			ck_assert_str_eq(a.links[i], b.links[i]);
		free(ja);
		free(jb);
		rsd_extract_result_clear(&a);
		rsd_extract_result_clear(&b);
		free(html);
		free(path);
		(*checked)++;
	}
	closedir(d);
}

START_TEST(fast_path_equals_full_parse)
{
	const char *fx = getenv("RSD_FIXTURES");
	char *dir;
	ck_assert_int_ge(asprintf(&dir, "%s/extract", fx ? fx : "tests/fixtures"), 0);
	size_t checked = 0;
	differential_dir(dir, 0, &checked);
	ck_assert_uint_ge(checked, 20);
	free(dir);
	if (getenv("RSD_DIFF_CORPUS"))
		differential_dir(getenv("RSD_DIFF_CORPUS"), 0, &checked);
}
END_TEST

/* Hostile shapes (also fuzz-style regressions: tests/fixtures/extract/regress). */
START_TEST(adversarial_pages)
{
	struct rsd_extract_result res;
	/* 20000 nested elements around microdata: too deep for a DOM, no record */
	ck_assert_ptr_null(extract("regress/deep_dom.html", RSD_EXTRACT_FULL_PARSE, &res));
	ck_assert_ptr_null(extract("regress/deep_dom.html", 0, &res));
	cJSON *r;
	ck_assert_ptr_null(
		extract("regress/deep_json.html", 0, &res)); /* beyond cJSON's nesting limit */
	ck_assert_ptr_null(extract("regress/unterminated.html", RSD_EXTRACT_LINKS, &res));
	ck_assert_uint_eq(res.n_links, 0);
	rsd_extract_result_clear(&res);
	r = extract("regress/many_attrs.html", RSD_EXTRACT_LINKS, &res);
	assert_str(r, "title", "attrs");
	ck_assert_uint_eq(res.n_links, 1); /* href after 100 other attributes */
	ck_assert_str_eq(res.links[0], "https://kitchen.test/recipes/late.html");
	rsd_extract_result_clear(&res);
	/* 1000 nested <b> around a heading, 1000 nested step containers, a
	 * long style: the HTML list heuristics stay linear */
	r = extract("regress/deep_headings.html", 0, &res);
	assert_str(r, "title", "deep headings");
	assert_list(r, "instructions_list", "Boil.|Eat.");
	rsd_extract_result_clear(&res);
	/* fuzz_extract crash: an empty hRecipe "ingredient" element (a <meta>)
	 * left the text buffer unterminated; no lists, so no record */
	ck_assert_ptr_null(extract("regress/empty_ingredient.html", 0, &res));
	ck_assert_ptr_null(extract("regress/empty_ingredient.html", RSD_EXTRACT_FULL_PARSE, &res));
	r = extract("regress/selfref.html", 0, &res); /* @id cycles terminate */
	assert_str(r, "title", "loop");
	rsd_extract_result_clear(&res);
	/* fuzz_extract crash: a page ending in the digits of a yields
	 * candidate ("...>0") was read past its end by strtol.  In a buffer
	 * of exactly its size, so that ASan sees any byte beyond. */
	size_t len;
	char *big = slurp("regress/yields_count_at_end.html", &len);
	char *page = malloc(len);
	ck_assert_ptr_nonnull(page);
	memcpy(page, big, len);
	free(big);
	for (unsigned full = 0; full < 2; full++) {
		ck_assert_int_eq(rsd_extract(x, page, len, PAGE_URL, NULL,
					     full ? RSD_EXTRACT_FULL_PARSE : 0, &res),
				 0);
		rsd_extract_result_clear(&res);
	}
	free(page);
}
END_TEST

/* A Recipe whose steps are all {"@id"} references to nodes after it in its
 * @graph. Each reference used to search every document: 20,000 of them
 * took seconds at -O2 (36 s for 30,000) and far past Check's timeout under
 * ASan. A reference that is itself a node with that @id (it has an @type)
 * resolves to the later node with content. */
START_TEST(many_references)
{
	enum { STEPS = 20000 };
	struct page b;
	FILE *f = page_start(&b);
	fputs("<script type=application/ld+json>{\"@graph\":[{\"@type\":\"Recipe\",\"name\":\"R\","
	      "\"author\":{\"@id\":\"#ann\",\"@type\":\"Person\"},\"recipeIngredient\":[\"1 egg\"],"
	      "\"recipeInstructions\":[",
	      f);
	for (int i = 0; i < STEPS; i++)
		fprintf(f, "%s{\"@id\":\"#s%d\"}", i ? "," : "", i);
	fputs("]}", f);
	for (int i = STEPS - 1; i >= 0; i--)
		fprintf(f, ",{\"@id\":\"#s%d\",\"@type\":\"HowToStep\",\"text\":\"Step %d.\"}", i,
			i);
	fputs(",{\"@id\":\"#ann\",\"@type\":\"Person\",\"name\":\"Ann\"}]}</script>", f);
	page_done(&b);
	struct rsd_extract_result res;
	ck_assert_int_eq(rsd_extract(x, b.p, b.len, PAGE_URL, NULL, 0, &res), 0);
	assert_str(res.record, "author", "Ann");
	const cJSON *steps = cJSON_GetObjectItemCaseSensitive(res.record, "instructions_list");
	/* every reference resolved; the record keeps the first RSD_CAP_STEPS */
	ck_assert_int_eq(cJSON_GetArraySize(steps), RSD_CAP_STEPS);
	ck_assert_str_eq(cJSON_GetArrayItem(steps, 0)->valuestring, "Step 0.");
	ck_assert_str_eq(cJSON_GetArrayItem(steps, RSD_CAP_STEPS - 1)->valuestring, "Step 127.");
	rsd_extract_result_clear(&res);
	free(b.p);
}
END_TEST

/* Lists a hostile page makes huge: each item read used to be compared
 * with every one kept (a hundred thousand keywords took minutes, as many
 * nutrients 13 s). The first RSD_LIST_READ_MAX (1024) items of a list are
 * read, the first 64 nutrients kept; real pages give under a hundred. The
 * record then keeps the first items up to its caps (record_caps.h). */
START_TEST(huge_lists_are_cut)
{
	enum { ITEMS = 100000, NUTRIENTS = 64 };
	struct page b;
	FILE *f = page_start(&b);
	fputs("<script type=application/ld+json>{\"@type\":\"Recipe\",\"name\":\"R\","
	      "\"recipeIngredient\":[\"1 egg\"],\"keywords\":\"",
	      f);
	for (int i = 0; i < ITEMS; i++)
		fprintf(f, "%sk%d", i ? "," : "", i);
	fputs("\",\"recipeCategory\":[", f);
	for (int i = 0; i < ITEMS; i++)
		fprintf(f, "%s\"c%d\"", i ? "," : "", i);
	fputs("],\"nutrition\":{\"calories\":\"250 kcal\"", f);
	for (int i = 0; i < ITEMS; i++)
		fprintf(f, ",\"n%d\":\"1 g\"", i);
	fputs("}}</script>", f);
	page_done(&b);
	struct rsd_extract_result res;
	ck_assert_int_eq(rsd_extract(x, b.p, b.len, PAGE_URL, NULL, 0, &res), 0);
	const cJSON *r = res.record;
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "keywords")),
			 RSD_CAP_KEYWORDS);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "category")),
			 RSD_CAP_TERMS);
	ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r, "category"),
					    RSD_CAP_TERMS - 1)
				 ->valuestring,
			 "c15");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "nutrients")),
			 NUTRIENTS);
	assert_num(r, "calories", 250);
	rsd_extract_result_clear(&res);
	free(b.p);

	/* microdata: the same bound for the ingredients read */
	f = page_start(&b);
	fputs("<div itemscope itemtype=\"https://schema.org/Recipe\"><h1 itemprop=name>M</h1>", f);
	for (int i = 0; i < ITEMS / 4; i++)
		fprintf(f, "<p itemprop=recipeIngredient>%d g salt</p>", i);
	fputs("<p itemprop=recipeIngredient>1 g salt</p></div>", f);
	page_done(&b);
	ck_assert_int_eq(rsd_extract(x, b.p, b.len, PAGE_URL, NULL, 0, &res), 0);
	const cJSON *ing = cJSON_GetObjectItemCaseSensitive(res.record, "ingredients");
	ck_assert_int_eq(cJSON_GetArraySize(ing), RSD_CAP_INGREDIENTS);
	ck_assert_str_eq(cJSON_GetArrayItem(ing, 1)->valuestring, "1 g salt");
	rsd_extract_result_clear(&res);
	free(b.p);
}
END_TEST

/* A page of `depth` nested <table><tr><td><a> (4 elements, 2 of which
 * deepen the tree) around a microdata recipe and, optionally, JSON-LD. */
static char *nested_page(int depth, bool jsonld, size_t *len)
{
	struct page pg;
	FILE *f = page_start(&pg);
	if (jsonld)
		fputs("<script type=application/ld+json>{\"@type\":\"Recipe\",\"name\":\"ld\","
		      "\"recipeIngredient\":[\"1 egg\",\"2 g salt\"],"
		      "\"recipeInstructions\":\"Boil.\"}</script>",
		      f);
	fputs("<div itemscope itemtype=\"https://schema.org/Recipe\"><h1 itemprop=name>md</h1>"
	      "<ul><li itemprop=recipeIngredient>1 egg<li itemprop=recipeIngredient>2 g salt</ul>",
	      f);
	for (int i = 0; i < depth / 2; i++)
		fputs("<table><tr><td><a href=x>", f);
	fputs("</div>", f);
	page_done(&pg);
	*len = pg.len;
	return pg.p;
}

static cJSON *extract_both(const char *page, size_t len, struct rsd_extract_result *fast)
{
	struct rsd_extract_result full;
	ck_assert_int_eq(rsd_extract(x, page, len, PAGE_URL, NULL, 0, fast), 0);
	ck_assert_int_eq(rsd_extract(x, page, len, PAGE_URL, NULL, RSD_EXTRACT_FULL_PARSE, &full),
			 0);
	ck_assert_int_eq(fast->record == NULL, full.record == NULL);
	if (fast->record) {
		char *a = cJSON_PrintUnformatted(fast->record),
		     *b = cJSON_PrintUnformatted(full.record);
		ck_assert_str_eq(a, b);
		free(a);
		free(b);
	}
	rsd_extract_result_clear(&full);
	return fast->record;
}

/* gumbo's time is quadratic in nesting depth, its memory linear in
 * elements, and it records every element left open at the end as a parse
 * error with a copy of the stack (quadratic: 29 s and 7.8 GB for 10,000 of
 * these tables when nothing bounded it). The tag scan's estimate refuses
 * pages too deep or too large for the DOM; gumbo's budget (gumbo_guard.h)
 * stops the parse of those whose real tree costs more than the estimate
 * says (each level below adds an implied <tbody>, so the estimate's 2000
 * is a real 5000, left open). Past either, JSON-LD and <meta> only, the
 * same on both paths. A regression shows as the test timeout. */
START_TEST(dom_depth_bound)
{
	struct rsd_extract_result res;
	size_t len;
	char *page = nested_page(300, false, &len);
	assert_str(extract_both(page, len, &res), "title", "md");
	ck_assert_uint_eq(res.dom_skipped, 0);
	rsd_extract_result_clear(&res);
	free(page);
	page = nested_page(2000, false, &len);
	ck_assert_ptr_null(extract_both(page, len, &res));
	ck_assert(res.dom_skipped & (RSD_EXTRACT_DOM_MEMORY | RSD_EXTRACT_DOM_TIME));
	rsd_extract_result_clear(&res);
	free(page);
	page = nested_page(3000, false, &len);
	ck_assert_ptr_null(extract_both(page, len, &res));
	free(page);
	page = nested_page(20000, true, &len);
	cJSON *r = extract_both(page, len, &res);
	assert_str(r, "title", "ld");
	assert_list(r, "ingredients", "1 egg|2 g salt");
	rsd_extract_result_clear(&res);
	free(page);
	/* 60,000 flat elements: over the element bound, no tree of the page;
	 * the Recipe (never closed) is read from the first 64 KiB after it */
	struct page flat;
	FILE *f = page_start(&flat);
	fputs("<div itemscope itemtype=\"https://schema.org/Recipe\"><h1 itemprop=name>md</h1>", f);
	for (int i = 0; i < 60000; i++)
		fputs("<span itemprop=recipeIngredient>1 g salt</span>", f);
	page_done(&flat);
	assert_str(extract_both(flat.p, flat.len, &res), "title", "md");
	ck_assert_uint_eq(res.dom_skipped, RSD_EXTRACT_DOM_SHAPE | RSD_EXTRACT_DOM_PART);
	rsd_extract_result_clear(&res);
	free(flat.p);
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

/* recipeYield: a range of counts ("4-6", "10 to 12") gives its upper
 * bound, as recipe-scrapers reads it; a spaced "4 - 6" is no range to it,
 * and an array's counts stay as its elements say. */
START_TEST(yields_range_upper_bound)
{
	struct rsd_extract_result res;
	for (unsigned full = 0; full < 2; full++) {
		assert_str(extract("yields_range.html", full ? RSD_EXTRACT_FULL_PARSE : 0, &res),
			   "yields", "6 servings");
		rsd_extract_result_clear(&res);
	}
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
	Suite *s = suite_create("extract");
	TCase *tc = tcase_create("fixtures");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, graph_with_references);
	tcase_add_test(tc, main_entity_and_shapes);
	tcase_add_test(tc, invalid_json_recovered);
	tcase_add_test(tc, microdata_fallback);
	tcase_add_test(tc, og_meta_fallbacks);
	tcase_add_test(tc, charset_and_repair);
	tcase_add_test(tc, no_recipe_and_links);
	tcase_add_test(tc, fragment_links_name_the_page);
	tcase_add_test(tc, image_single_or_set);
	tcase_add_test(tc, image_set_against_unsized_og);
	tcase_add_test(tc, steps_numbered_in_one_text);
	tcase_add_test(tc, steps_glued_in_one_text);
	tcase_add_test(tc, yields_range_upper_bound);
	tcase_add_test(tc, value_objects);
	tcase_add_test(tc, microdata_repeated_ingredient);
	tcase_add_test(tc, saved_page_declares_its_url);
	tcase_add_test(tc, html_lists_complete_a_recipe);
	tcase_add_test(tc, hrecipe_microformat);
	tcase_add_test(tc, recipe_plugin_without_jsonld);
	tcase_add_test(tc, html_lists_without_recipe);
	tcase_add_test(tc, plain_html_recipe);
	tcase_add_test(tc, plain_html_recipe_forms);
	tcase_add_test(tc, plain_html_not_a_recipe);
	tcase_add_test(tc, plain_html_adversarial);
	tcase_add_test(tc, names_only_ingredients);
	tcase_add_test(tc, junk_values_and_groups);
	tcase_add_test(tc, servings_scaler);
	tcase_add_test(tc, people_count_abbreviated);
	tcase_add_test(tc, truncated_ingredients);
	tcase_add_test(tc, glued_method_from_page_list);
	tcase_add_test(tc, truncated_method);
	tcase_add_test(tc, method_in_parts);
	tcase_add_test(tc, method_facts_are_no_steps);
	tcase_add_test(tc, item_actions);
	tcase_add_test(tc, fast_path_equals_full_parse);
	tcase_add_test(tc, adversarial_pages);
	tcase_add_test(tc, many_references);
	tcase_add_test(tc, huge_lists_are_cut);
	tcase_add_test(tc, dom_depth_bound);
	tcase_add_test(tc, api_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
