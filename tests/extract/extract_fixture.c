/* SPDX-License-Identifier: MIT */
/* The extractor tests' shared set-up and assertions (extract_fixture.h). */
#include "extract_fixture.h"

rsd_extractor *x;

char *slurp(const char *name, size_t *len)
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

cJSON *extract(const char *name, unsigned flags, struct rsd_extract_result *res)
{
	size_t len;
	char *html = slurp(name, &len);
	ck_assert_int_eq(rsd_extract(x, html, len, PAGE_URL, NULL, flags, res), 0);
	free(html);
	return res->record;
}

void assert_str(const cJSON *rec, const char *field, const char *want)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, field);
	if (!want) {
		ck_assert_msg(v == NULL, "%s present", field);
		return;
	}
	ck_assert_msg(cJSON_IsString(v), "%s missing", field);
	ck_assert_str_eq(v->valuestring, want);
}

void assert_num(const cJSON *rec, const char *field, double want)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, field);
	ck_assert_msg(cJSON_IsNumber(v), "%s missing", field);
	ck_assert_double_eq_tol(v->valuedouble, want, 1e-9);
}

void assert_list(const cJSON *rec, const char *field, const char *want)
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

FILE *page_start(struct page *pg)
{
	*pg = (struct page){ 0 };
	pg->f = open_memstream(&pg->p, &pg->len);
	ck_assert_ptr_nonnull(pg->f);
	return pg->f;
}

void page_done(struct page *pg)
{
	ck_assert_int_eq(fclose(pg->f), 0);
	pg->f = NULL;
}

void assert_fixture_gives(const char *name, const char *field, const char *want)
{
	struct rsd_extract_result res;
	for (unsigned full = 0; full < 2; full++) {
		assert_list(extract(name, full ? RSD_EXTRACT_FULL_PARSE : 0, &res), field, want);
		rsd_extract_result_clear(&res);
	}
}

void assert_html_str(const char *html, size_t len, const char *field, const char *want)
{
	struct rsd_extract_result res;
	for (unsigned full = 0; full < 2; full++) {
		ck_assert_int_eq(rsd_extract(x, html, len, PAGE_URL, NULL,
					     full ? RSD_EXTRACT_FULL_PARSE : 0, &res),
				 0);
		assert_str(res.record, field, want);
		rsd_extract_result_clear(&res);
	}
}

void assert_fixture_str(const char *name, const char *field, const char *want)
{
	size_t len;
	char *html = slurp(name, &len);
	assert_html_str(html, len, field, want);
	free(html);
}

char *recipe_page(const char *members, const char *html)
{
	char *page;
	ck_assert_int_ge(asprintf(&page,
				  "<script type=application/ld+json>{\"@type\":\"Recipe\","
				  "\"name\":\"N\",%s}</script>%s",
				  members, html),
			 0);
	return page;
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

Suite *extract_suite(const char *tcase_name, TCase **tc)
{
	Suite *s = suite_create("extract");
	*tc = tcase_create(tcase_name);
	tcase_add_checked_fixture(*tc, setup, teardown);
	suite_add_tcase(s, *tc);
	return s;
}
