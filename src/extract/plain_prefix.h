/* SPDX-License-Identifier: MIT */
#ifndef RSD_EXTRACT_PLAIN_PREFIX_H
#define RSD_EXTRACT_PLAIN_PREFIX_H

/* Source helper: where a page that can hold only a recipe without markup
 * (plain_page.h) is cut, so that gumbo parses its first bytes only (and
 * those without its head's contents where that changes nothing else),
 * and whether the reading of that cut tree is the whole page's. The reading
 * of a plain recipe lies near the page's <h1> and the first mentions of
 * its lists (html_lists.h); the cut is a little past the last of those,
 * at a tag. The extractor then reads the tree with
 * rsd_plain_page_fields_cut and keeps the answer only when
 * rsd_plain_prefix_agrees; otherwise it parses the whole page. */

#include <stdbool.h>
#include <stddef.h>

#include "extract/html_lists.h"
#include "extract/plain_page.h"

/* Bytes parsed past the <h1> and the first mention of each list,
 * whichever comes last: a recipe's lists follow their first mention
 * closely, and each byte parsed costs about 280 instructions of gumbo's.
 * A list that goes on past the cut makes the reading fall back to the
 * whole page (the cut reading says so: beyond), after a parse of the part
 * for nothing. Over the 25 pages of the dev and wide corpora that take
 * this path, 12 KiB cost the fewest instructions all told (32, 16, 8 and
 * 6 KiB measured too: the smaller, the more pages fall back). */
enum { RSD_PLAIN_PREFIX_AFTER = 12 * 1024 };

/* The cut of html[0, len) given the page's list mentions m (both kinds,
 * rsd_html_lists_mentions): a tag's '<' RSD_PLAIN_PREFIX_AFTER bytes past
 * the page's first <h1> and the first mention of each list; NULL when
 * that leaves most of the page (the whole page is cheaper to parse than
 * a prefix that may have to be parsed again), or when a reading of the
 * part would not agree with the page's (a list's container names all lie
 * past the cut: the whole page's search would find the first of them).
 * *h1_after: the page has an <h1> past the cut (rsd_plain_cut). */
const char *rsd_plain_prefix_cut(const char *html, size_t len,
				 const struct rsd_list_mentions m[2], bool *h1_after);
/* What gumbo parses of the cut page html[0, cut): those bytes, or a copy
 * without the contents of the page's <head> (its <head> and </head> tags
 * kept) when gumbo builds the rest of the tree alike without them: the
 * page opens with at most a doctype, comments and <html> before <head>,
 * whose contents are only <meta>, <link>, <base>, <title> and emptied
 * (html_trim.h) <script> and <style> elements between white space and
 * plain comments, and no list mention or "<h1" comes before </head>. The
 * tree then differs by the head's children alone, which no plain reading
 * visits but the text before a page's title when it has no <h1>
 * (headless: the caller's reading must then find one, rsd_plain_cut). */
struct rsd_plain_part {
	const char *p;
	size_t len;
	char *copy; /* p when it is a copy; freed by rsd_plain_part_free */
	bool headless;
};
/* 0, or -ENOMEM. */
int rsd_plain_prefix_part(const char *html, const char *cut, const struct rsd_list_mentions m[2],
			  struct rsd_plain_part *out);
void rsd_plain_part_free(struct rsd_plain_part *part);
/* Whether the reading c of the tree of html[0, cut) is the whole page's,
 * given the page's mentions m. */
bool rsd_plain_prefix_agrees(const struct rsd_plain_cut *c, const struct rsd_list_mentions m[2],
			     const char *html, const char *cut);

#endif
