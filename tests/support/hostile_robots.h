/* SPDX-License-Identifier: MIT */
#ifndef RSD_TEST_HOSTILE_ROBOTS_H
#define RSD_TEST_HOSTILE_ROBOTS_H

/* The hostile robots.txt host of issue 17, for tests and benchmarks: a
 * robots.txt of max_len bytes made of Disallow rules "/", "*", a run of
 * k a's, "b" (k = 1, 38, 75 ...: all different, so none is merged away),
 * and paths of a's that such rules must be matched against. */

#include <stddef.h>

struct rsd_httpd;

/* "User-agent: *\n" then the rules while they fit in max_len bytes;
 * malloc'ed, NUL-terminated, *len bytes. NULL when out of memory. */
char *hostile_robots_txt(size_t max_len, size_t *len);
/* prefix, then a's, then suffix: len bytes in all (at least the prefix
 * and suffix); malloc'ed. NULL when out of memory. */
char *hostile_path(const char *prefix, size_t len, const char *suffix);

/* Serves the hostile host on srv: /robots.txt (500 KiB of those rules)
 * and / linking, n of each: 8 KiB paths the rules allow but must all be
 * tried on ("/bN" then a's), 8 KiB paths the first rule refuses ("/N-",
 * a's, "b"), 8 KiB paths only the last rule refuses ("/Nb", a's, "-ab"),
 * and 16 KiB links, longer than any admitted URL. 0 or a negative errno. */
int hostile_robots_serve(struct rsd_httpd *srv, unsigned n);
/* A normal site: / linking /p0 ... /p(n-1). 0 or a negative errno. */
int plain_site_serve(struct rsd_httpd *srv, unsigned n);

#endif
