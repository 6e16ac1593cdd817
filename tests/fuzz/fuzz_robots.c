/* SPDX-License-Identifier: MIT */
/* libFuzzer target: robots.txt parsing and matching, and sitemap parsing
 * (same module). The input is the file; a few paths derived from it are
 * matched so the wildcard matcher sees hostile patterns against related
 * paths, short and long (its memmem and suffix-automaton searches); then it
 * is read as a sitemap (gunzipped first when it is gzip). */

#include "crawl/robots.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rsd_robots *r = NULL;
	if (rsd_robots_parse((const char *)data, size, "recipe-scraperd", &r) != 0)
		return 0;
	static const char *const paths[] = { "/", "/robots.txt", "/a/b?c=d", "/%41%e3%83%84*$",
					     "" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		(void)rsd_robots_allowed(r, paths[i]);
	/* the tail of the input as a path: patterns meet text made to match
	 * them; then the tail repeated to 4 KiB, long enough for the matcher
	 * to build its suffix automaton of the path */
	size_t n = size > 256 ? 256 : size;
	char *p = malloc(4096 + 2);
	if (p) {
		p[0] = '/';
		memcpy(p + 1, data + size - n, n);
		p[n + 1] = '\0';
		(void)rsd_robots_allowed(r, p);
		for (size_t i = n + 1; n > 0 && i < 4097; i++)
			p[i] = p[1 + (i - 1) % n];
		p[4097] = '\0';
		(void)rsd_robots_allowed(r, p);
		free(p);
	}
	if (rsd_robots_allowed(r, "/robots.txt") != true)
		abort();
	const char *const *maps;
	size_t k = rsd_robots_sitemaps(r, &maps);
	for (size_t i = 0; i < k; i++)
		if (!maps[i])
			abort();
	(void)rsd_robots_crawl_delay_ms(r);
	rsd_robots_free(r);

	bool index;
	char **locs;
	size_t nlocs;
	/* 1 MiB cap: gzip input is inflated too, and bombs must stop there */
	if (rsd_robots_sitemap_read((const char *)data, size, 1 << 20, &index, &locs, &nlocs) ==
	    0) {
		for (size_t i = 0; i < nlocs; i++)
			if (!locs[i] || !locs[i][0])
				abort();
		rsd_robots_sitemap_free(locs, nlocs);
	}
	return 0;
}
