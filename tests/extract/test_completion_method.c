/* SPDX-License-Identifier: MIT */
/* A method the Recipe data breaks off, completed from the page's list
 * (src/extract/list_completion.c): the raw check that decides whether the
 * part around the steps is parsed at all must let every list that
 * completes the method through, whatever markup stands between its <li>
 * and the step's text, and leave the record alone where no list does. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "extract/list_completion.h"

#define STEP1 "Whisk the eggs with the sugar until pale"
#define STEP2 "Fold in the flour and the melted butter"
#define STEP3 "Bake for twenty minutes until golden brown"

static cJSON *data_steps(void)
{
	const char *v[] = { STEP1, STEP2 };
	return cJSON_CreateStringArray(v, 2);
}

/* The steps after completion on html, as "a|b|c". */
static char *completed(const char *html)
{
	cJSON *steps = data_steps();
	ck_assert_int_eq(rsd_completion_method(NULL, html, strlen(html), &steps), 0);
	size_t cap = 1024, len = 0;
	char *out = calloc(1, cap);
	const cJSON *e;
	cJSON_ArrayForEach (e, steps)
		len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? "|" : "", e->valuestring);
	cJSON_Delete(steps);
	return out;
}

static void assert_completion(const char *html, const char *want)
{
	char *got = completed(html);
	ck_assert_str_eq(got, want);
	free(got);
}

static const char *const ALL = STEP1 "|" STEP2 "|" STEP3;
static const char *const DATA = STEP1 "|" STEP2;

START_TEST(list_that_goes_on)
{
	assert_completion("<ol><li>" STEP1 "</li>\n<li>" STEP2 "</li>\n<li>" STEP3 "</li></ol>", ALL);
	assert_completion("<OL><LI class=s>" STEP1 "</LI><LI>" STEP2 "</LI><LI>" STEP3 "</LI></OL>",
			  ALL);
}
END_TEST

/* Markup between the item and its text: a paragraph, a numbered span, a
 * label hidden from readers, many inline elements. */
START_TEST(markup_before_the_text)
{
	assert_completion("<ol><li><p>" STEP1 "</p></li><li><p>" STEP2 "</p></li><li><p>" STEP3
			  "</p></li></ol>",
			  ALL);
	assert_completion("<ol><li><span class=n>1</span> <div>" STEP1
			  "</div></li><li><span class=n>2</span> <div>" STEP2
			  "</div></li><li><span class=n>3</span> <div>" STEP3 "</div></li></ol>",
			  ALL);
	assert_completion("<ul><li><span class=screen-reader-text>Step 1</span>" STEP1
			  "</li><li><span class=screen-reader-text>Step 2</span>" STEP2
			  "</li><li>" STEP3 "</li></ul>",
			  ALL);
	assert_completion("<ol><li><b><i><u><s><em><span><span><span><span><span>" STEP1
			  "</span></span></span></span></span></em></s></u></i></b></li><li>" STEP2
			  "</li><li>" STEP3 "</li></ol>",
			  ALL);
}
END_TEST

/* The steps in the post's paragraphs, a list of tips after them: nothing
 * to complete from (the part is not parsed). */
START_TEST(steps_in_paragraphs)
{
	assert_completion("<p>" STEP1 "</p><p>" STEP2 "</p><ul><li>A tip</li><li>Another</li></ul>",
			  DATA);
}
END_TEST

/* A recipe card whose list ends with the data's last step: the data is
 * whole. The paragraphs before it do not hide the card's items. */
START_TEST(list_that_ends_with_the_data)
{
	assert_completion("<p>" STEP1 "</p><p>" STEP2 "</p><ul><li>x</li><li>y</li></ul>"
			  "<ol><li>" STEP1 "</li><li>" STEP2 "</li></ol><ul><li>z</li><li>w</li></ul>",
			  DATA);
	assert_completion("<p>" STEP1 "</p><p>" STEP2 "</p><ul><li>x</li><li>y</li></ul>"
			  "<ol><li>" STEP1 "</li><li>" STEP2 "</li><li>" STEP3 "</li></ol>",
			  ALL);
}
END_TEST

/* Words of the item before the step ("Step one:") make it no item
 * showing the step. */
START_TEST(text_before_the_step)
{
	assert_completion("<ol><li>Step one: " STEP1 "</li><li>Step two: " STEP2
			  "</li><li>" STEP3 "</li></ol>",
			  DATA);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("completion_method");
	TCase *tc = tcase_create("method");
	tcase_add_test(tc, list_that_goes_on);
	tcase_add_test(tc, markup_before_the_text);
	tcase_add_test(tc, steps_in_paragraphs);
	tcase_add_test(tc, list_that_ends_with_the_data);
	tcase_add_test(tc, text_before_the_step);
	suite_add_tcase(s, tc);
	return rsd_check_run(s);
}
