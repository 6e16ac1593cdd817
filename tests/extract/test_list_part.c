/* SPDX-License-Identifier: MIT */
/* The rest of a cut-short list read from the part of the page that ends
 * with the list's end tag instead of PREFIX_AFTER bytes past the data's
 * last item (src/extract/list_completion.c, parse_list_part): the result
 * must be what the longer part gives, so where later markup changes what
 * the list reads as (a table's misplaced text, an open item, a later
 * <body hidden>, a list closed by another element's end tag) the longer
 * part is read. Each page here fits in that longer part: its reading is
 * the whole page's, and the expected lists are that reading. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "extract/list_completion.h"

#define ING1 "1 cup flour"
#define ING2 "2 eggs"
#define ING3 "3 tbsp sugar"
#define ING_ITEMS "<li>" ING1 "</li><li>" ING2 "</li><li>" ING3 "</li>"
#define STEP1 "Whisk the eggs with the sugar until pale"
#define STEP2 "Fold in the flour and the melted butter"
#define STEP3 "Bake for twenty minutes until golden brown"
#define STEP_ITEMS "<li>" STEP1 "</li><li>" STEP2 "</li><li>" STEP3 "</li>"
#define AFTER "<div class=footer><p>More recipes</p><ul><li>Cake</li><li>Pie</li></ul></div>"

static char *joined(const cJSON *list)
{
	size_t cap = 1024, len = 0;
	char *out = calloc(1, cap);
	const cJSON *e;
	cJSON_ArrayForEach (e, list)
		len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? "|" : "",
					e->valuestring);
	return out;
}

typedef int completion_fn(struct rsd_gumbo_arena *arena, const char *html, size_t len,
			  cJSON **list);

/* The list (first, second) after complete on html, as "a|b|c", is want. */
static void assert_completed(completion_fn *complete, const char *first, const char *second,
			     const char *html, const char *want)
{
	const char *v[] = { first, second };
	cJSON *list = cJSON_CreateStringArray(v, 2);
	ck_assert_int_eq(complete(NULL, html, strlen(html), &list), 0);
	char *got = joined(list);
	ck_assert_str_eq(got, want);
	free(got);
	cJSON_Delete(list);
}

static void assert_ingredients(const char *html, const char *want)
{
	assert_completed(rsd_completion_ingredients, ING1, ING2, html, want);
}

static void assert_method(const char *html, const char *want)
{
	assert_completed(rsd_completion_method, STEP1, STEP2, html, want);
}

#define ING_ALL ING1 "|" ING2 "|" ING3
#define ING_DATA ING1 "|" ING2
#define STEPS_ALL STEP1 "|" STEP2 "|" STEP3
#define STEPS_DATA STEP1 "|" STEP2

/* A list closed by its end tag, markup after it: read from the part that
 * ends there, the same list. */
START_TEST(list_closed_by_its_end_tag)
{
	assert_ingredients("<div><ul>" ING_ITEMS "</ul>" AFTER "</div>", ING_ALL);
	assert_method("<div><ol>" STEP_ITEMS "</ol>" AFTER "</div>", STEPS_ALL);
	/* a nested list inside an item after the last: its end tag is not
	 * the list's */
	assert_ingredients("<ul>" ING_ITEMS "<li>4 figs<ul><li>or dates</li></ul></li></ul>" AFTER,
			   ING_ALL "|4 figs or dates");
	/* a formatting element open around the list, closed after it (the
	 * adoption agency moves the list's box, the list stays whole) */
	assert_ingredients("<b><div><ul>" ING_ITEMS "</ul></b>" AFTER "</div>", ING_ALL);
	assert_method("<b><div><ol>" STEP_ITEMS "</ol></b>" AFTER "</div>", STEPS_ALL);
}
END_TEST

/* A list in a table cell: the table is open at the list's end, so its
 * misplaced text after the cell would go before it (the longer part is
 * read). The text after the cell here is the data's last ingredient,
 * which the search for it then finds first, in the outer item: no list
 * that goes on. */
START_TEST(list_in_a_table)
{
	assert_ingredients("<table><tr><td><ul>" ING_ITEMS "</ul></td></tr></table>" AFTER,
			   ING_ALL);
	assert_ingredients("<ul><li><table><tr><td><ul>" ING_ITEMS "</ul></td>" ING2
			   "</tr></table></li></ul>" AFTER,
			   ING_DATA);
	assert_method("<table><tr><td><ol>" STEP_ITEMS "</ol></td></tr></table>" AFTER, STEPS_ALL);
}
END_TEST

/* The list inside an item left open: that item comes first in the
 * method's search and its text may grow. */
START_TEST(list_in_an_open_item)
{
	assert_method("<ul><li><ol>" STEP_ITEMS "</ol>" AFTER "</li></ul>", STEPS_ALL);
	assert_method("<ul><li>Note<ol>" STEP_ITEMS "</ol>" AFTER, STEPS_ALL);
}
END_TEST

/* A <body hidden> after the list hides the whole longer part: the method
 * is read from no hidden element, so it stays the data's; the
 * ingredients' search reads no attribute of the page's body. */
START_TEST(body_tag_after_the_list)
{
	assert_method("<div><ol>" STEP_ITEMS "</ol>" AFTER "</div><body hidden>", STEPS_DATA);
	assert_ingredients("<div><ul>" ING_ITEMS "</ul>" AFTER "</div><body hidden>", ING_ALL);
}
END_TEST

/* A list closed by another element's end tag, a stray list end tag
 * after it: the end tag found in the raw page is not the one that closed
 * the list in the tree. */
START_TEST(list_closed_by_another_end_tag)
{
	assert_ingredients("<div><ul>" ING_ITEMS "</div></ul>" AFTER, ING_ALL);
	assert_method("<div><ol>" STEP_ITEMS "</div></ol>" AFTER, STEPS_ALL);
	/* a list whose end the raw page does not show: no shorter part */
	assert_ingredients("<div><ul>" ING_ITEMS "<!-- </ul> --></div>" AFTER, ING_ALL);
}
END_TEST

/* The data's names and steps found in the raw page whatever their bytes
 * (capitals, UTF-8, digits) and wherever they stand, up to the page's
 * last byte. */
START_TEST(names_found_in_the_raw_page)
{
	const char *v[] = { "200 g Zucker", "2 Eier, Größe M" };
	cJSON *list = cJSON_CreateStringArray(v, 2);
	const char *html = "<script>[\"200 g Zucker\",\"2 Eier, Größe M\"]</script>"
			   "<ul><li>200 g Zucker</li><li>2 Eier, Größe M</li><li>1 Prise Salz</li></ul>";
	ck_assert_int_eq(rsd_completion_ingredients(NULL, html, strlen(html), &list), 0);
	char *got = joined(list);
	ck_assert_str_eq(got, "200 g Zucker|2 Eier, Größe M|1 Prise Salz");
	free(got);
	cJSON_Delete(list);
	assert_method("<ol>" STEP_ITEMS "</ol>", STEPS_ALL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("list_part");
	TCase *tc = tcase_create("part");
	tcase_add_test(tc, list_closed_by_its_end_tag);
	tcase_add_test(tc, list_in_a_table);
	tcase_add_test(tc, list_in_an_open_item);
	tcase_add_test(tc, body_tag_after_the_list);
	tcase_add_test(tc, list_closed_by_another_end_tag);
	tcase_add_test(tc, names_found_in_the_raw_page);
	suite_add_tcase(s, tc);
	return rsd_check_run(s);
}
