/* SPDX-License-Identifier: MIT */
/* Hostile pages and limits (linear time, bounded lists and DOM, fuzz
 * regressions in tests/fixtures/extract/regress), and the differential
 * check: the fast path and the full gumbo parse agree on every fixture. */
#include "extract_fixture.h"

#include <dirent.h>
#include <stdbool.h>

#include "core/record_caps.h"

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
		for (size_t i = 0; i < a.n_links; i++) {
			ck_assert_int_eq(a.links[i].error, b.links[i].error);
			ck_assert_str_eq(rsd_url_link_resolved(&a.links[i]),
					 rsd_url_link_resolved(&b.links[i]));
		}
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
	ck_assert_str_eq(res.links[0].url, "https://kitchen.test/recipes/late.html");
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

static Suite *suite(void)
{
	TCase *tc;
	Suite *s = extract_suite("limits", &tc);

	tcase_add_test(tc, plain_html_adversarial);
	tcase_add_test(tc, fast_path_equals_full_parse);
	tcase_add_test(tc, adversarial_pages);
	tcase_add_test(tc, many_references);
	tcase_add_test(tc, huge_lists_are_cut);
	tcase_add_test(tc, dom_depth_bound);
	return s;
}

RSD_CHECK_MAIN(suite)
