/* SPDX-License-Identifier: MIT */
#include "crawl_test.h"

#include <check.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

struct rsd_config *crawl_test_config(const char *fmt, ...)
{
	char *text;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	struct rsd_config *cfg = NULL;
	struct rsd_config_diag diag = { 0 };
	int rc = rsd_config_load_string("test.ini", text, &cfg, &diag);
	if (rc != 0)
		for (size_t i = 0; i < diag.n; i++)
			fprintf(stderr, "%s\n", diag.messages[i]);
	ck_assert_int_eq(rc, 0);
	rsd_config_diag_clear(&diag);
	free(text);
	return cfg;
}

const char *crawl_fixture(const char *name)
{
	static char path[1024];
	const char *dir = getenv("RSD_FIXTURES");
	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof(path), "%s/crawl/%s", dir, name);
	return path;
}

char *crawl_tmpdir(void)
{
	const char *t = getenv("TMPDIR");
	char *dir;
	ck_assert_int_ge(asprintf(&dir, "%s/rsd-crawl-XXXXXX", t ? t : "/tmp"), 0);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

void crawl_rmdir(char *dir)
{
	char *cmd;
	ck_assert_int_ge(asprintf(&cmd, "rm -rf '%s'", dir), 0);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(dir);
}

void crawl_wait_ms(int ms)
{
	poll(NULL, 0, ms);
}

void crawl_test_gzip(const char *in, size_t len, char **buf, size_t *n)
{
	z_stream z = { 0 };
	ck_assert_int_eq(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY),
			 Z_OK);
	size_t cap = deflateBound(&z, (uLong)len) + 32;
	*buf = realloc(*buf, *n + cap);
	ck_assert_ptr_nonnull(*buf);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)*buf + *n;
	z.avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	*n += cap - z.avail_out;
	deflateEnd(&z);
}

int crawl_test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
