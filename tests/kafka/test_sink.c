/* SPDX-License-Identifier: MIT */
/* Journal entry fields and the stdout (JSON lines) sink, without journald. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "journal/journal_sink.h"
#include "kafka_helpers.h"

static struct rsd_sink *sink;

static void setup(void)
{
	ck_assert_int_eq(rsd_sink_new(RSD_SINK_STDOUT, "rsd-test", 200, stdout, &sink), 0);
}

static void teardown(void)
{
	rsd_sink_free(sink);
}

static void build(const char *value, size_t len, struct rsd_sink_entry *e)
{
	struct rsd_sink_message m = { value, len, "parsed_recipes", 3, 42 };

	ck_assert_int_eq(rsd_sink_entry_build(sink, &m, e), 0);
}

static void assert_field(const struct rsd_sink_entry *e, const char *name, const char *want)
{
	size_t len;
	const char *v = rsd_sink_entry_get(e, name, &len);

	if (!want) {
		ck_assert_msg(v == NULL, "%s should be absent", name);
		return;
	}
	ck_assert_msg(v != NULL, "%s missing", name);
	ck_assert_msg(len == strlen(want) && memcmp(v, want, len) == 0, "%s = '%.*s', want '%s'",
		      name, (int)len, v, want);
}

static void assert_origin(const struct rsd_sink_entry *e)
{
	assert_field(e, "SYSLOG_IDENTIFIER", "rsd-test");
	assert_field(e, "KAFKA_TOPIC", "parsed_recipes");
	assert_field(e, "KAFKA_PARTITION", "3");
	assert_field(e, "KAFKA_OFFSET", "42");
}

START_TEST(recipe_below_threshold)
{
	const char *v = "{\"schema\":1,\"url\":\"https://a.test/soup\",\"host\":\"a.test\","
			"\"title\":\"Soup\",\"calories\":150}";
	struct rsd_sink_entry e;

	build(v, strlen(v), &e);
	ck_assert_int_eq(e.outcome, RSD_SINK_WROTE_RECIPE);
	assert_field(&e, "MESSAGE", "Recipe: Soup — 150 kcal — https://a.test/soup");
	assert_field(&e, "PRIORITY", "6");
	assert_field(&e, "MESSAGE_ID", RSD_MESSAGE_ID_RECIPE);
	assert_field(&e, "RECIPE_URL", "https://a.test/soup");
	assert_field(&e, "RECIPE_TITLE", "Soup");
	assert_field(&e, "RECIPE_CALORIES", "150");
	assert_field(&e, "RECIPE_HOST", "a.test");
	assert_field(&e, "RECIPE_JSON", v);
	assert_origin(&e);
	ck_assert_uint_eq(e.n, 12);
	rsd_sink_entry_clear(&e);
}
END_TEST

START_TEST(alert_above_threshold)
{
	const char *v = "{\"schema\":1,\"url\":\"https://a.test/cake\",\"title\":\"Cake\","
			"\"calories\":350.5}";
	struct rsd_sink_entry e;

	build(v, strlen(v), &e);
	ck_assert_int_eq(e.outcome, RSD_SINK_WROTE_ALERT);
	assert_field(&e, "MESSAGE", "High-calorie recipe: Cake — 350.5 kcal — https://a.test/cake");
	assert_field(&e, "PRIORITY", "4");
	assert_field(&e, "MESSAGE_ID", RSD_MESSAGE_ID_HIGH_CALORIE);
	assert_field(&e, "RECIPE_CALORIES", "350.5");
	assert_field(&e, "RECIPE_HOST", "a.test"); /* derived from the URL */
	rsd_sink_entry_clear(&e);
}
END_TEST

START_TEST(threshold_is_exclusive)
{
	const char *v =
		"{\"schema\":1,\"url\":\"https://a.test/x\",\"title\":\"X\",\"calories\":200}";
	struct rsd_sink_entry e;

	build(v, strlen(v), &e);
	ck_assert_int_eq(e.outcome, RSD_SINK_WROTE_RECIPE);
	assert_field(&e, "PRIORITY", "6");
	rsd_sink_entry_clear(&e);
}
END_TEST

START_TEST(unknown_calories)
{
	const char *v = "{\"schema\":1,\"url\":\"https://u:p@B.test:8080/x?q\",\"title\":\"Bread\","
			"\"calories\":null}";
	struct rsd_sink_entry e;

	build(v, strlen(v), &e);
	ck_assert_int_eq(e.outcome, RSD_SINK_WROTE_RECIPE);
	assert_field(&e, "MESSAGE", "Recipe: Bread — https://u:p@B.test:8080/x?q");
	assert_field(&e, "RECIPE_CALORIES", NULL);
	assert_field(&e, "RECIPE_HOST", "B.test");
	ck_assert_uint_eq(e.n, 11);
	rsd_sink_entry_clear(&e);
}
END_TEST

/* Each invalid value with a fragment its MESSAGE must contain. */
static const struct {
	const char *value;
	const char *why;
} invalid[] = {
	{ "not json", "invalid JSON at byte 0" },
	{ "{\"schema\":1,\"url\":\"x\"", "invalid JSON" },
	{ "[1,2]", "not a JSON object" },
	{ "{\"schema\":2,\"url\":\"https://a.test/\"}", "unsupported schema 2 (expected 1)" },
	{ "{\"url\":\"https://a.test/\"}", "missing or non-numeric schema" },
	{ "{\"schema\":1}", "missing url" },
	{ "{\"schema\":1,\"url\":\"\"}", "missing url" },
	{ "{\"schema\":1,\"url\":\"https://a.test/\",\"calories\":\"lots\"}", "wrong type" },
	{ "{\"schema\":1,\"url\":\"https://a.test/\"} x", "trailing data" },
	{ "", "empty message" },
};

START_TEST(invalid_records)
{
	struct rsd_sink_entry e;
	size_t len;
	const char *msg;

	build(invalid[_i].value, strlen(invalid[_i].value), &e);
	ck_assert_int_eq(e.outcome, RSD_SINK_WROTE_INVALID);
	assert_field(&e, "PRIORITY", "3");
	assert_field(&e, "MESSAGE_ID", RSD_MESSAGE_ID_INVALID);
	assert_origin(&e);
	msg = rsd_sink_entry_get(&e, "MESSAGE", &len);
	ck_assert_ptr_nonnull(msg);
	ck_assert_msg(strncmp(msg, "Invalid record at parsed_recipes/3@42: ", 39) == 0, "%s", msg);
	ck_assert_msg(strstr(msg, invalid[_i].why), "'%s' lacks '%s'", msg, invalid[_i].why);
	assert_field(&e, "RECIPE_JSON", NULL);
	rsd_sink_entry_clear(&e);
}
END_TEST

START_TEST(huge_value_is_invalid_not_copied)
{
	size_t len = 10 * 1024 * 1024;
	char *v = malloc(len);
	struct rsd_sink_entry e;
	size_t mlen;

	memset(v, '{', len);
	build(v, len, &e);
	ck_assert_int_eq(e.outcome, RSD_SINK_WROTE_INVALID);
	rsd_sink_entry_get(&e, "MESSAGE", &mlen);
	ck_assert_uint_lt(mlen, 512);
	rsd_sink_entry_clear(&e);
	free(v);
}
END_TEST

/* A record from another producer, under RSD_SINK_MAX_VALUE but with a
 * 900 KB title and a 60 KB URL: MESSAGE, RECIPE_TITLE and RECIPE_URL are
 * cut (at a UTF-8 boundary), so the entry is the record plus ~20 KiB. */
START_TEST(huge_title_and_url_are_cut)
{
	enum { TITLE = 900000, PATH = 60000 };
	char *v = malloc(TITLE + PATH + 128), *p = v;
	struct rsd_sink_entry e;
	size_t len, total = 0;

	p += sprintf(p, "{\"schema\":1,\"url\":\"https://a.test/");
	memset(p, 'p', PATH);
	p += PATH;
	p += sprintf(p, "\",\"title\":\"x");
	for (int i = 0; i < TITLE / 2; i++, p += 2)
		memcpy(p, "\xc3\xa9", 2); /* "é": the cap falls inside one */
	p += sprintf(p, "\",\"calories\":900}");
	build(v, (size_t)(p - v), &e);
	ck_assert_int_eq(e.outcome, RSD_SINK_WROTE_ALERT);
	const char *t = rsd_sink_entry_get(&e, "RECIPE_TITLE", &len);
	ck_assert_uint_eq(len, 1023); /* "x" and 511 whole "é" */
	ck_assert(memcmp(t + len - 2, "\xc3\xa9", 2) == 0);
	rsd_sink_entry_get(&e, "RECIPE_URL", &len);
	ck_assert_uint_eq(len, 8192);
	rsd_sink_entry_get(&e, "MESSAGE", &len);
	ck_assert_uint_lt(len, 1023 + 8192 + 64);
	for (size_t i = 0; i < e.n; i++)
		total += e.fields[i].len;
	ck_assert_uint_lt(total, (size_t)(p - v) + 20 * 1024);
	rsd_sink_entry_clear(&e);
	free(v);
}
END_TEST

/* The stdout sink: one JSON object per line, same fields, any bytes. */
START_TEST(stdout_json_lines)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct rsd_sink *s;
	const char *v =
		"{\"schema\":1,\"url\":\"https://a.test/n\",\"title\":\"Line\\nbreak \\\"q\\\"\","
		"\"calories\":900}";
	const char bad[] = "{\"schema\":1,\"url\":\"https://a.test/b\",\"title\":\"\xff\"}";
	struct rsd_sink_message m1 = { v, strlen(v), "t", 0, 7 };
	struct rsd_sink_message m2 = { bad, sizeof(bad) - 1, "t", 0, 8 };
	enum rsd_sink_outcome out;
	struct t_lines lines;
	const cJSON *title;

	ck_assert_int_eq(rsd_sink_new(RSD_SINK_STDOUT, NULL, 200, f, &s), 0);
	ck_assert_int_eq(rsd_sink_kind(s), RSD_SINK_STDOUT);
	ck_assert_int_eq(rsd_sink_write(s, &m1, &out), 0);
	ck_assert_int_eq(out, RSD_SINK_WROTE_ALERT);
	ck_assert_int_eq(rsd_sink_write(s, &m2, &out), 0);
	ck_assert_int_eq(out, RSD_SINK_WROTE_RECIPE);
	rsd_sink_free(s);
	fclose(f);

	t_lines_parse(&lines, buf, len);
	ck_assert_uint_eq(lines.n, 2);
	ck_assert_str_eq(t_field(lines.items[0], "RECIPE_TITLE"), "Line\nbreak \"q\"");
	ck_assert_str_eq(t_field(lines.items[0], "RECIPE_JSON"), v);
	ck_assert_str_eq(t_field(lines.items[0], "PRIORITY"), "4");
	ck_assert_str_eq(t_field(lines.items[0], "SYSLOG_IDENTIFIER"), "recipe-scraperd");
	ck_assert_str_eq(t_field(lines.items[0], "KAFKA_OFFSET"), "7");
	/* Not UTF-8: a byte array, as journalctl -o json prints it. */
	title = cJSON_GetObjectItemCaseSensitive(lines.items[1], "RECIPE_TITLE");
	ck_assert(cJSON_IsArray(title));
	ck_assert_int_eq(cJSON_GetArraySize(title), 1);
	ck_assert_int_eq(cJSON_GetArrayItem(title, 0)->valueint, 255);
	t_lines_free(&lines);
	free(buf);
}
END_TEST

/* A write error is reported (the consumer then does not store the offset). */
START_TEST(stdout_write_error)
{
	FILE *f = fopen("/dev/full", "w");
	struct rsd_sink *s;
	const char *v = "{\"schema\":1,\"url\":\"https://a.test/x\"}";
	struct rsd_sink_message m = { v, strlen(v), "t", 0, 0 };
	enum rsd_sink_outcome out;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(rsd_sink_new(RSD_SINK_STDOUT, NULL, 200, f, &s), 0);
	ck_assert_int_lt(rsd_sink_write(s, &m, &out), 0);
	rsd_sink_free(s);
	fclose(f);
}
END_TEST

static Suite *sink_suite(void)
{
	Suite *s = suite_create("journal_sink");
	TCase *tc = tcase_create("entry");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, recipe_below_threshold);
	tcase_add_test(tc, alert_above_threshold);
	tcase_add_test(tc, threshold_is_exclusive);
	tcase_add_test(tc, unknown_calories);
	tcase_add_loop_test(tc, invalid_records, 0, (int)(sizeof(invalid) / sizeof(invalid[0])));
	tcase_add_test(tc, huge_value_is_invalid_not_copied);
	tcase_add_test(tc, huge_title_and_url_are_cut);
	tcase_add_test(tc, stdout_json_lines);
	tcase_add_test(tc, stdout_write_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sink_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
