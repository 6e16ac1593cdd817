/* SPDX-License-Identifier: MIT */
#ifndef RSD_EXTRACT_HTML_LISTS_H
#define RSD_EXTRACT_HTML_LISTS_H

/* Source: a recipe's lists in plain HTML, found by the class or id of
 * their container ("ingredients", "method", ...) or by the heading before
 * them, in the languages of most recipe sites. Used by the sources that
 * know a page holds a recipe (list_completion.c, hrecipe.c) and by the
 * recipe found without markup (plain_page.c). */

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include <gumbo.h>

enum rsd_list_kind { RSD_LIST_INGREDIENTS, RSD_LIST_INSTRUCTIONS };

/* What a list search looks for. */
struct rsd_list_query {
	int kind;
	size_t min_items;
	bool content_only; /* skip page furniture (rsd_html_lists_is_chrome) */
	const GumboNode *after; /* only sections that start after this one */
	/* The root of a part of the page parsed alone (list_region.h), or
	 * NULL: a search that would read bound's siblings or parent sets
	 * *beyond, since the whole page's tree has them and the part's not. */
	const GumboNode *bound;
	/* With a tree of the page's first bytes only (plain_page.c), or NULL:
	 * whether n's children may go on past the tree's end. A search that
	 * depends on their end, or on such an element's whole text, sets
	 * *beyond too. */
	bool (*open)(const GumboNode *n);
	bool *beyond;
};

struct rsd_found_list {
	cJSON *items;
	const GumboNode *at; /* the named container or the heading */
	bool by_name; /* found by its container's name, not by a heading */
};

/* Page furniture around the content: navigation, sidebars, footers, site
 * headers, forms and comments. */
bool rsd_html_lists_is_chrome(const GumboNode *n);
/* The list the query describes under root: a container named for it,
 * else the items after a heading that announces it; out->items (owned by
 * the caller, NULL when none) and where it was found. 0 or -ENOMEM. */
int rsd_html_lists_find(const GumboNode *root, const struct rsd_list_query *q,
			struct rsd_found_list *out);
/* Replaces *list by the list of that kind (enum rsd_list_kind) under root
 * when it has two items or more: 1 replaced, 0 not, -ENOMEM. */
int rsd_html_lists_read(const GumboNode *root, int kind, cJSON **list);

/* Where the raw page may mention a list of that kind: a name of its
 * container in a class or id attribute, or the letters of a heading that
 * announces it standing in text ('>' shortly before them). */
struct rsd_list_mentions {
	const char *first; /* the first name or heading, NULL: none */
	const char *last; /* the last one */
	const char *first_name, *last_name; /* the first and last container names */
};
/* Finds them in html[0, len) for both kinds at once (indexed by enum
 * rsd_list_kind): one pass over the bytes. */
void rsd_html_lists_mentions(const char *html, size_t len, struct rsd_list_mentions out[2]);
/* Whether a search of the part [from, to) of the page, which found its
 * list (found) by a container's name (by_name) or not, answers as the
 * whole page's would, given the page's mentions m of that kind. The whole
 * page's search takes the first named container with its list, else the
 * first heading's: a list by its name is the page's when no name comes
 * before the part (the caller's part starts at or before the first); a
 * list by a heading when no name comes after the part either and no
 * heading before it; no list when the page mentions none outside it. */
bool rsd_html_lists_part_agrees(const struct rsd_list_mentions *m, bool found, bool by_name,
				const char *from, const char *to);

#endif
