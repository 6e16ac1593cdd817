/* SPDX-License-Identifier: MIT */
#include "hostile_robots.h"
#include "httpd.h"

#include <errno.h>
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

/* Appends <a href="PREFIX a... SUFFIX"> with a path of len octets. */
static int add_link(char **page, size_t *n, size_t *cap, const char *prefix, size_t len,
		    const char *suffix)
{
	char *path = hostile_path(prefix, len, suffix);
	if (!path)
		return -ENOMEM;
	size_t need = *n + strlen(path) + 32;
	if (need > *cap) {
		size_t c = need * 2;
		char *p = realloc(*page, c);
		if (!p) {
			free(path);
			return -ENOMEM;
		}
		*page = p;
		*cap = c;
	}
	*n += (size_t)snprintf(*page + *n, *cap - *n, "<a href=\"%s\">x</a>\n", path);
	free(path);
	return 0;
}

static int hostile_links(char **page, unsigned count)
{
	size_t n = 0, cap = 0;
	int rc = 0;
	*page = NULL;
	for (unsigned i = 0; i < count && rc == 0; i++) {
		char allowed[32], first[32], last[32];
		snprintf(allowed, sizeof(allowed), "/b%u", i);
		snprintf(first, sizeof(first), "/%u-", i);
		snprintf(last, sizeof(last), "/%ub", i);
		rc = add_link(page, &n, &cap, allowed, 8000, "");
		if (rc == 0)
			rc = add_link(page, &n, &cap, first, 8000, "b");
		if (rc == 0)
			rc = add_link(page, &n, &cap, last, 8000, "-ab");
		if (rc == 0)
			rc = add_link(page, &n, &cap, allowed, 16 * 1024, "");
	}
	if (rc < 0) {
		free(*page);
		*page = NULL;
	}
	return rc;
}

int hostile_robots_serve(struct rsd_httpd *srv, unsigned n)
{
	size_t len;
	char *robots = hostile_robots_txt(500 * 1024, &len), *page = NULL;
	int rc = robots ? hostile_links(&page, n) : -ENOMEM;
	if (rc == 0)
		rc = rsd_httpd_route(srv,
				     &(struct rsd_httpd_route){ .path = "/robots.txt",
								.body = robots,
								.content_type = "text/plain" });
	if (rc == 0)
		rc = rsd_httpd_route(srv, &(struct rsd_httpd_route){ .path = "/", .body = page });
	free(robots);
	free(page);
	return rc;
}

int plain_site_serve(struct rsd_httpd *srv, unsigned n)
{
	char *hub = malloc((size_t)n * 32 + 1);
	if (!hub)
		return -ENOMEM;
	size_t len = 0;
	int rc = 0;
	for (unsigned i = 0; i < n && rc == 0; i++) {
		char path[16];
		snprintf(path, sizeof(path), "/p%u", i);
		len += (size_t)snprintf(hub + len, 32, "<a href=\"%s\">%u</a>", path, i);
		rc = rsd_httpd_route(
			srv, &(struct rsd_httpd_route){ .path = path, .body = "<p>plain</p>" });
	}
	hub[len] = '\0';
	if (rc == 0)
		rc = rsd_httpd_route(srv, &(struct rsd_httpd_route){ .path = "/", .body = hub });
	free(hub);
	return rc;
}
