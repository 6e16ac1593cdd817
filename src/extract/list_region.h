/* SPDX-License-Identifier: MIT */
#ifndef RSD_EXTRACT_LIST_REGION_H
#define RSD_EXTRACT_LIST_REGION_H

/* Source helper: the part of a page that holds its lists, found with the
 * streaming tag scan, so that the lists of a Recipe that lacks them can
 * be read from a parse of that part instead of the whole page
 * (list_completion.c). The part is one element E (a <div>, <section>,
 * <article>, ...) that holds every place the page mentions a list, three
 * levels above the innermost element holding them all: a list's search
 * reads the siblings of a heading's wrappers, and a search that would
 * read beside E is refused after the parse (html_lists.h, bound).
 *
 * Gumbo builds E's subtree alone as it builds it within the page only
 * when nothing before E changes how it reads E's markup. The part is
 * refused (the caller parses the whole page) when the scan sees an
 * ancestor of E, or E, other than the plain containers (html, body, div,
 * section, article, main, header, footer, aside, nav, figure,
 * blockquote, details, center, ul, ol, dl): a <p>, <li> or <table>
 * ancestor makes later tags close it and E with it, a <b> is
 * reconstructed inside E; when an ancestor hides its contents (hidden,
 * a style with "none", a screen-reader class); when a formatting element
 * or a <form> before E was closed by another element's end tag (gumbo
 * carries it on); when the page's doctype is not its first token (its
 * quirks mode then differs from the part's, which gets the page's
 * doctype); or when the part is most of the page anyway. */

#include <stdbool.h>
#include <stddef.h>

struct rsd_list_region {
	const char *from, *to; /* E's start tag to its end tag */
	size_t doctype_len; /* the page's doctype, html[0, doctype_len), to put before it */
};

enum {
	RSD_LIST_REGION_CLIMB = 3, /* levels above the innermost element holding the mentions */
};

/* The part holding html[first, last]: true and *out set, false when it
 * cannot be delimited safely (see above). */
bool rsd_list_region_find(const char *html, size_t len, const char *first, const char *last,
			  struct rsd_list_region *out);
/* The same with E climb levels above the innermost element instead of
 * RSD_LIST_REGION_CLIMB: a tighter part (climb 1: the parent of a list's
 * named container or heading), whose reading the caller checks the same
 * way and which more often reads beside it. */
bool rsd_list_region_climb(const char *html, size_t len, const char *first, const char *last,
			   size_t climb, struct rsd_list_region *out);

/* The page's doctype, as its first token: its length (0: none); false
 * when a doctype comes later (the page's mode is then not a part's, which
 * gets the page's doctype put before it). */
bool rsd_list_region_doctype(const char *html, size_t len, size_t *doctype_len);

#endif
