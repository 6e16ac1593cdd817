/* SPDX-License-Identifier: MIT */
#ifndef RSD_TEST_CHECK_MAIN_H
#define RSD_TEST_CHECK_MAIN_H

/* The runner every Check test binary ends with, once. */

#include <check.h>
#include <stdlib.h>

/* Runs every test of s (CK_ENV: CK_VERBOSITY, CK_RUN_CASE and friends
 * apply; meson's test_env sets CK_VERBOSITY=normal) and frees it; the exit
 * status for main(). */
static inline int rsd_check_run(Suite *s)
{
	SRunner *sr = srunner_create(s);

	srunner_run_all(sr, CK_ENV);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* main() of a test binary whose suite needs no setup: suite_fn() builds it. */
#define RSD_CHECK_MAIN(suite_fn)                  \
	int main(void)                            \
	{                                         \
		return rsd_check_run(suite_fn()); \
	}

#endif
