/* SPDX-License-Identifier: MIT */
#ifndef RSD_TEST_EXTRACT_FIXTURE_H
#define RSD_TEST_EXTRACT_FIXTURE_H

/* What the extractor's test files (test_extract_*.c) share: an extractor
 * made for each test, the fixture pages (tests/fixtures/extract), the
 * field assertions and pages built with stdio. */

#include "extract/extract.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"

#define PAGE_URL "https://kitchen.test/recipes/x.html"

/* The extractor of the running test: made before it, freed after it. */
extern rsd_extractor *x;

/* A suite "extract" of one test case, named tcase_name, whose tests get x;
 * the caller adds its tests to *tc. */
Suite *extract_suite(const char *tcase_name, TCase **tc);

/* The fixture file `name` (under $RSD_FIXTURES/extract); the caller frees it. */
char *slurp(const char *name, size_t *len);

/* Extracts fixture `name`; the record (NULL when no recipe) is the caller's. */
cJSON *extract(const char *name, unsigned flags, struct rsd_extract_result *res);

/* rec's text field is want (NULL: absent). */
void assert_str(const cJSON *rec, const char *field, const char *want);
void assert_num(const cJSON *rec, const char *field, double want);
/* want: strings separated by '|' */
void assert_list(const cJSON *rec, const char *field, const char *want);

/* Fixture name gives the list field = want ('|'-separated) on both paths. */
void assert_fixture_gives(const char *name, const char *field, const char *want);
/* Fixture name gives the text field = want (NULL: absent) on both paths. */
void assert_fixture_str(const char *name, const char *field, const char *want);
/* The page html[0..len) gives the text field = want (NULL: absent) on both paths. */
void assert_html_str(const char *html, size_t len, const char *field, const char *want);

/* A page of a JSON-LD Recipe named "N" with the members `members` (JSON,
 * without braces), then html; the caller frees it. */
char *recipe_page(const char *members, const char *html);

/* A page written with stdio, for pages too large for a fixture file: write
 * to f, then page_done() makes p and len valid; the caller frees p. */
struct page {
	char *p;
	size_t len;
	FILE *f;
};

FILE *page_start(struct page *pg);
void page_done(struct page *pg);

#endif
