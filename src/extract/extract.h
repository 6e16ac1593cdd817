/* SPDX-License-Identifier: MIT */
#ifndef RSD_EXTRACT_H
#define RSD_EXTRACT_H

/* Recipe extraction from one HTML page into a record (docs/record.schema.json).
 *
 * Fast path: a streaming scan of the document finds <script
 * type="application/ld+json"> blocks, <link rel=canonical>, <meta> tags,
 * <html lang>, <base href> and <a href> links without building a DOM; the
 * JSON-LD is parsed with cJSON. The gumbo DOM is built only when no JSON-LD
 * Recipe was found (microdata, then Open Graph/meta fallbacks).
 *
 * Thread safety: an rsd_extractor is scratch space for one thread at a time;
 * use one per thread. Nothing here logs, exits or touches global state. */

#include <stddef.h>
#include <cjson/cJSON.h>

#include "core/url.h"

typedef struct rsd_extractor rsd_extractor;

enum rsd_extract_flags {
	RSD_EXTRACT_DEFAULT = 0,
	/* Always build the gumbo DOM and extract from it (reference path; the
	 * differential test asserts it gives the same record as the fast path). */
	RSD_EXTRACT_FULL_PARSE = 1 << 0,
	/* Also collect the page's links into rsd_extract_result.links. */
	RSD_EXTRACT_LINKS = 1 << 1,
};

struct rsd_extract_result {
	/* The record, or NULL when the page has no recipe. Owned by the caller
	 * (cJSON_Delete). Contains every record field (docs/architecture.md
	 * "Record") that the page provides, including schema, url and host;
	 * not scraped_at. */
	cJSON *record;
	/* With RSD_EXTRACT_LINKS: the page's links (resolved against <base
	 * href> or the page URL, fragment removed) in the crawler's normal form
	 * with their host, or with the error that form refuses them for
	 * (rsd_url_link_make, core/url.h: another scheme, too long), in
	 * document order, duplicates possible, not otherwise filtered. The
	 * crawler takes them as they are rather than parsing each again.
	 * Owned by the caller (rsd_extract_result_clear frees them). */
	struct rsd_url_link *links;
	size_t n_links;
	/* RSD_EXTRACT_DOM_* flags, 0 when the page did not need its DOM or had
	 * it built: the page needed gumbo's tree (microdata, a recipe plugin's
	 * HTML, lists missing from its JSON-LD) but its markup would cost more
	 * than the budget of a page of its size, so it was read from its
	 * JSON-LD and <meta> tags only, or from the part of the page around
	 * its microdata Recipe. The caller counts and reports it. */
	unsigned dom_skipped;
};

enum {
	/* the tag scan's estimate: too deep or too many elements */
	RSD_EXTRACT_DOM_SHAPE = 1u << 0,
	/* gumbo's tree outgrew its memory budget */
	RSD_EXTRACT_DOM_MEMORY = 1u << 1,
	/* gumbo's parse outran its CPU time budget */
	RSD_EXTRACT_DOM_TIME = 1u << 2,
	/* with one of those: the microdata Recipe was read from the DOM of the
	 * part of the page up to the end of its element (at most 64 KiB past
	 * its itemscope tag) */
	RSD_EXTRACT_DOM_PART = 1u << 3,
};

/* What dom_skipped flags say, for a log line: "gumbo's parse over its CPU
 * time budget; the microdata Recipe read from the part around it". */
const char *rsd_extract_dom_skipped_text(unsigned dom_skipped);

int rsd_extractor_new(rsd_extractor **out);
void rsd_extractor_free(rsd_extractor *x); /* accepts NULL */

/* Extract from html[0..len) (need not be NUL-terminated, may be any bytes).
 * page_url: absolute http(s) URL the page was fetched from (resolves relative
 * URLs; gives url and host), or a file:// URL for local files (no host). content_type: the HTTP Content-Type header value
 * or NULL; its charset (else BOM, else <meta charset>) decides the conversion
 * to UTF-8. Returns 0 (result->record may still be NULL: no recipe),
 * -EINVAL (bad arguments or page_url), -ENOMEM. On error *result is empty. */
int rsd_extract(rsd_extractor *x, const char *html, size_t len, const char *page_url,
		const char *content_type, unsigned flags, struct rsd_extract_result *result);

void rsd_extract_result_clear(struct rsd_extract_result *result); /* frees contents, zeroes */

/* Calories of a record as a number (the record's "calories" field), or -1 if absent. */
double rsd_record_calories(const cJSON *record);

#endif
