/* SPDX-License-Identifier: MIT */
#ifndef RSD_TEST_HOSTILE_ROBOTS_H
#define RSD_TEST_HOSTILE_ROBOTS_H

/* The hostile robots.txt host of issue 17, for tests and benchmarks: a
 * robots.txt of max_len bytes made of Disallow rules "/", "*", a run of
 * k a's, "b" (k = 1, 38, 75 ...: all different, so none is merged away),
 * and paths of a's that such rules must be matched against. */

#include <stddef.h>

/* "User-agent: *\n" then the rules while they fit in max_len bytes;
 * malloc'ed, NUL-terminated, *len bytes. NULL when out of memory. */
char *hostile_robots_txt(size_t max_len, size_t *len);
/* prefix, then a's, then suffix: len bytes in all (at least the prefix
 * and suffix); malloc'ed. NULL when out of memory. */
char *hostile_path(const char *prefix, size_t len, const char *suffix);

#endif
