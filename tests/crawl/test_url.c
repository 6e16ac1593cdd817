/* SPDX-License-Identifier: MIT */
/* URL normalisation and resolution (url.c). */

#include "core/url.h"
#include "crawl_test.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct norm_case {
	const char *ref, *base, *want; /* want NULL: error */
	int err;
};

static const struct norm_case cases[] = {
	/* lower-case scheme and host, default port, fragment, dot segments */
	{ "HTTP://Example.COM:80/a/./b/../c?q=1&a=2#frag", NULL, "http://example.com/a/c?q=1&a=2",
	  0 },
	{ "https://example.com:443", NULL, "https://example.com/", 0 },
	{ "https://EXAMPLE.com:8443/X", NULL, "https://example.com:8443/X", 0 },
	{ "http://example.com:443/", NULL, "http://example.com:443/", 0 },
	{ "http://example.com/a/b/../../../c", NULL, "http://example.com/c", 0 },
	/* the query is kept byte for byte: nothing sorted, nothing decoded */
	{ "http://h.test/s?b=2&a=1&b=%2f", NULL, "http://h.test/s?b=2&a=1&b=%2f", 0 },
	{ "http://h.test/%7Euser/", NULL, "http://h.test/%7Euser/", 0 },
	/* resolution */
	{ "../d/e", "http://h.test/a/b/c", "http://h.test/a/d/e", 0 },
	{ "d", "http://h.test/a/b/", "http://h.test/a/b/d", 0 },
	{ "/x/./y", "http://h.test/a/b", "http://h.test/x/y", 0 },
	{ "//Other.test/x", "https://h.test/a", "https://other.test/x", 0 },
	{ "?x=1", "https://h.test/a/b?y", "https://h.test/a/b?x=1", 0 },
	{ "#top", "https://h.test/a?b", "https://h.test/a?b", 0 },
	{ "", "https://h.test/a?b#c", "https://h.test/a?b", 0 },
	{ "page.html#reviews", "http://h.test/r/", "http://h.test/r/page.html", 0 },
	{ "http://h.test", NULL, "http://h.test/", 0 },
	{ "http://user:pw@h.test/x", NULL, "http://h.test/x", 0 },
	/* spaces and non-ASCII are percent-encoded: one spelling per resource */
	{ "my recipe.html", "http://h.test/r/", "http://h.test/r/my%20recipe.html", 0 },
	/* other schemes */
	{ "mailto:cook@h.test", "http://h.test/", NULL, -EPROTONOSUPPORT },
	{ "javascript:void(0)", "http://h.test/", NULL, -EPROTONOSUPPORT },
	{ "JavaScript:alert(1)", "http://h.test/", NULL, -EPROTONOSUPPORT },
	{ "data:text/html,<b>x</b>", "http://h.test/", NULL, -EPROTONOSUPPORT },
	{ "ftp://h.test/file", "http://h.test/", NULL, -EPROTONOSUPPORT },
	{ "tel:+1234", "http://h.test/", NULL, -EPROTONOSUPPORT },
	{ "file:///etc/passwd", NULL, NULL, -EPROTONOSUPPORT },
	/* not absolute without a base */
	{ "h.test/x", NULL, NULL, -EINVAL },
	{ "http://", NULL, NULL, -EINVAL },
};

START_TEST(test_normalize_table)
{
	const struct norm_case *c = &cases[_i];
	char *out = NULL;
	int rc = rsd_url_normalize(c->ref, c->base, &out);
	if (c->want) {
		ck_assert_msg(rc == 0, "%s: rc %d", c->ref, rc);
		ck_assert_str_eq(out, c->want);
	} else {
		ck_assert_msg(rc == c->err, "%s: rc %d, want %d", c->ref, rc, c->err);
		ck_assert_ptr_null(out);
	}
	free(out);
}
END_TEST

START_TEST(test_normalize_idempotent)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!cases[i].want)
			continue;
		char *again = NULL;
		ck_assert_int_eq(rsd_url_normalize(cases[i].want, NULL, &again), 0);
		ck_assert_str_eq(again, cases[i].want);
		free(again);
	}
}
END_TEST

START_TEST(test_split_and_host)
{
	size_t olen;
	const char *u = "https://h.test:8443/a/b?c";
	ck_assert_int_eq(rsd_url_split(u, &olen), 0);
	ck_assert_int_eq(olen, strlen("https://h.test:8443"));
	ck_assert_str_eq(u + olen, "/a/b?c");
	ck_assert_int_eq(rsd_url_split("nonsense", &olen), -EINVAL);

	char *host;
	ck_assert_int_eq(rsd_url_host("http://WWW.H.test:81/x", &host), 0);
	ck_assert_str_eq(host, "www.h.test");
	free(host);
	ck_assert_int_eq(rsd_url_host("not a url", &host), -EINVAL);
	ck_assert_ptr_null(host);
}
END_TEST

START_TEST(test_hash)
{
	const char *a = "http://h.test/a", *b = "http://h.test/b";
	ck_assert_uint_eq(rsd_url_hash(a, strlen(a)), rsd_url_hash(a, strlen(a)));
	ck_assert_uint_ne(rsd_url_hash(a, strlen(a)), rsd_url_hash(b, strlen(b)));
	/* every length class of the tail handling */
	const char *s = "0123456789abcdefg";
	for (size_t n = 0; n < 17; n++)
		ck_assert_uint_ne(rsd_url_hash(s, n), rsd_url_hash(s, n + 1));
}
END_TEST

/* RSD_URL_MAX_BYTES: a URL of exactly the cap passes, one byte more is
 * refused, whether the reference itself or only its resolution is long. */
START_TEST(test_length_cap)
{
	const char *origin = "http://h.test/";
	size_t n = RSD_URL_MAX_BYTES;
	char *url = malloc(n + 2);
	ck_assert_ptr_nonnull(url);
	memcpy(url, origin, strlen(origin));
	memset(url + strlen(origin), 'a', n + 1 - strlen(origin));
	url[n] = '\0';
	char *out = NULL;
	ck_assert_int_eq(rsd_url_normalize(url, NULL, &out), 0);
	ck_assert_uint_eq(strlen(out), n);
	free(out);
	url[n] = 'a';
	url[n + 1] = '\0';
	ck_assert_int_eq(rsd_url_normalize(url, NULL, &out), -ENAMETOOLONG);
	ck_assert_ptr_null(out);
	/* short reference, long base: the base "h.test/aaa.../" of n - 1
	 * bytes and "b" make n, "bc" one more */
	url[n - 2] = '/';
	url[n - 1] = '\0';
	ck_assert_int_eq(rsd_url_normalize("b", url, &out), 0);
	ck_assert_uint_eq(strlen(out), n);
	free(out);
	ck_assert_int_eq(rsd_url_normalize("bc", url, &out), -ENAMETOOLONG);
	ck_assert_ptr_null(out);
	free(url);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("url");
	TCase *tc = tcase_create("url");
	tcase_add_loop_test(tc, test_normalize_table, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_normalize_idempotent);
	tcase_add_test(tc, test_split_and_host);
	tcase_add_test(tc, test_hash);
	tcase_add_test(tc, test_length_cap);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
