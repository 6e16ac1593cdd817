/* SPDX-License-Identifier: MIT */
#ifndef RSD_CONFIG_TEST_H
#define RSD_CONFIG_TEST_H

/* What the two sources of the config test binary share. */

#include "config/config.h"

#include <check.h>

/* The smallest valid file: every test text starts with it. */
#define BASE "[scraper]\nstart_urls = https://example.com/\n"

/* Prints the messages so that a failing assertion shows what was reported. */
void dump(const struct rsd_config_diag *d);
/* Loads text as t.ini; asserts it loads without a message. */
struct rsd_config *load_ok(const char *text);
/* The "references" and "include" cases (test_config_refs.c). */
void config_add_reference_cases(Suite *s);

#endif
