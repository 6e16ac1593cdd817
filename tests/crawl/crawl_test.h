/* SPDX-License-Identifier: MIT */
#ifndef RSD_CRAWL_TEST_H
#define RSD_CRAWL_TEST_H

/* Helpers shared by the crawl tests. */

#include "config/config.h"

#include <stddef.h>

/* Parses an INI text built from fmt (aborts the test on error). */
struct rsd_config *crawl_test_config(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* $RSD_FIXTURES/crawl/<name> (static buffer). */
const char *crawl_fixture(const char *name);
/* A fresh empty directory under $TMPDIR (malloc'ed); crawl_rmdir removes it. */
char *crawl_tmpdir(void);
void crawl_rmdir(char *dir);
/* Appends a gzip member (RFC 1952) of in[0..len) to *buf (realloc'ed) at *n. */
void crawl_test_gzip(const char *in, size_t len, char **buf, size_t *n);
/* Runs every test of s (CK_ENV: CK_RUN_CASE etc. apply); the exit status
 * for main(). */
struct Suite;
int crawl_test_run(struct Suite *s);
/* Waits ms milliseconds (poll(2) on nothing: tests only). */
void crawl_wait_ms(int ms);

#endif
