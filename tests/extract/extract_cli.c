/* SPDX-License-Identifier: MIT */
/* extract_cli [--url URL] [--full] [--links] FILE...
 * Prints one JSON record per FILE, one line each, "{}" when the page has no
 * recipe. Without --url the page URL is https://<parent dir>/<file name>,
 * the layout of the evaluation corpus (<site>/<page>.html). Unlike the
 * daemon's "extract" command it can force the full gumbo parse (--full),
 * for comparing the two paths and measuring them. */
#include "extract/extract.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	size_t r;
	while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			char *b = realloc(buf, cap *= 2);
			if (!b) {
				free(buf);
				buf = NULL;
			}
			buf = b;
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

static char *default_url(const char *path)
{
	char *a = strdup(path), *b = strdup(path), *url = NULL;
	if (a && b && asprintf(&url, "https://%s/%s", basename(dirname(a)), basename(b)) < 0)
		url = NULL;
	free(a);
	free(b);
	return url;
}

int main(int argc, char **argv)
{
	const char *url = NULL;
	unsigned flags = 0;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--url") == 0 && i + 1 < argc)
			url = argv[++i];
		else if (strcmp(argv[i], "--full") == 0)
			flags |= RSD_EXTRACT_FULL_PARSE;
		else if (strcmp(argv[i], "--links") == 0)
			flags |= RSD_EXTRACT_LINKS;
		else {
			fprintf(stderr, "usage: %s [--url URL] [--full] [--links] FILE...\n",
				argv[0]);
			return 64;
		}
	}
	rsd_extractor *x;
	if (rsd_extractor_new(&x) < 0)
		return 70;
	int status = 0;
	for (; i < argc; i++) {
		size_t len = 0;
		char *html = read_file(argv[i], &len);
		char *u = url ? strdup(url) : default_url(argv[i]);
		struct rsd_extract_result res;
		int rc = html && u ? rsd_extract(x, html, len, u, NULL, flags, &res) : -EIO;
		if (rc < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(-rc));
			puts("{}");
			status = 65;
		} else {
			char *json = res.record ? cJSON_PrintUnformatted(res.record) : NULL;
			puts(json ? json : "{}");
			free(json);
			if (res.dom_skipped)
				fprintf(stderr, "%s: read without the DOM (%#x)\n", argv[i],
					res.dom_skipped);
			for (size_t k = 0; k < res.n_links; k++) {
				const struct rsd_url_link *l = &res.links[k];
				if (l->error)
					printf("link %s (refused: %s)\n", rsd_url_link_resolved(l),
					       strerror(-l->error));
				else
					printf("link %s\n", l->url);
			}
			rsd_extract_result_clear(&res);
		}
		free(html);
		free(u);
	}
	rsd_extractor_free(x);
	return status;
}
