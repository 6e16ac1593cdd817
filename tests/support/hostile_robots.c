/* SPDX-License-Identifier: MIT */
#include "hostile_robots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *hostile_robots_txt(size_t max_len, size_t *len)
{
	char *txt = malloc(max_len + 1);
	if (!txt)
		return NULL;
	static const char head[] = "User-agent: *\n", rule[] = "Disallow: /*";
	size_t n = strlen(head);
	memcpy(txt, head, n);
	/* each rule: the prefix, k a's, "b\n" */
	for (size_t k = 1; n + strlen(rule) + k + 2 <= max_len; k += 37) {
		memcpy(txt + n, rule, strlen(rule));
		n += strlen(rule);
		memset(txt + n, 'a', k);
		n += k;
		memcpy(txt + n, "b\n", 2);
		n += 2;
	}
	txt[n] = '\0';
	*len = n;
	return txt;
}

char *hostile_path(const char *prefix, size_t len, const char *suffix)
{
	size_t p = strlen(prefix), s = strlen(suffix);
	if (len < p + s)
		len = p + s;
	char *path = malloc(len + 1);
	if (!path)
		return NULL;
	memcpy(path, prefix, p);
	memset(path + p, 'a', len - p - s);
	memcpy(path + len - s, suffix, s + 1);
	return path;
}
