/* SPDX-License-Identifier: MIT */
#ifndef RSD_EXTRACT_DOM_H
#define RSD_EXTRACT_DOM_H

/* Base layer of the extractor: reading a gumbo DOM, shared by page_info.c
 * and every DOM source (an iterative walk, attributes and tokens, the
 * text a reader sees, list items). Every walk is iterative with an
 * explicit stack: a hostile page can nest elements far deeper than the
 * thread stack would allow recursion. */

#include <stdbool.h>
#include <stddef.h>
#include <errno.h>
#include <stdlib.h>
#include <cjson/cJSON.h>
#include <gumbo.h>

#include "core/text.h"

/* Iterative pre-order walk: pop a node, push its children. */
struct rsd_dom_walker {
	const GumboNode **stack;
	size_t n, cap;
};

/* The walk helpers below are inline: the walks call them once per node. */
static inline int rsd_dom_walker_push(struct rsd_dom_walker *w, const GumboNode *node)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		const GumboNode **s = reallocarray(w->stack, cap, sizeof *s);
		if (!s)
			return -ENOMEM;
		w->stack = s;
		w->cap = cap;
	}
	w->stack[w->n++] = node;
	return 0;
}

int rsd_dom_walker_push_children(struct rsd_dom_walker *w, const GumboNode *n);

static inline const GumboNode *rsd_dom_walker_pop(struct rsd_dom_walker *w)
{
	return w->n ? w->stack[--w->n] : NULL;
}

/* The children of an element or the document, else NULL. */
static inline const GumboVector *rsd_dom_children(const GumboNode *n)
{
	if (n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE)
		return &n->v.element.children;
	if (n->type == GUMBO_NODE_DOCUMENT)
		return &n->v.document.children;
	return NULL;
}

static inline bool rsd_dom_is_element(const GumboNode *n)
{
	return n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE;
}

/* The value of attribute name of element n, or NULL. */
static inline const char *rsd_dom_attr(const GumboNode *n, const char *name)
{
	const GumboAttribute *a = gumbo_get_attribute(&n->v.element.attributes, name);
	return a ? a->value : NULL;
}

/* The next element sibling of n, or NULL. */
const GumboNode *rsd_dom_next_element(const GumboNode *n);

/* Byte offset of an element's start tag in the page: document order of
 * explicit elements without walking the tree. */
static inline size_t rsd_dom_source_offset(const GumboNode *n)
{
	return n->v.element.start_pos.offset;
}

/* 1..6 for <h1>..<h6>, else 0. */
int rsd_dom_heading_level(GumboTag t);

/* Whether one token of the white space separated list (NULL: none)
 * satisfies the test. */
bool rsd_dom_any_token(const char *list, bool (*test)(const char *token, size_t len));

/* Whether the list has one of the tokens (ASCII case-insensitive). */
bool rsd_dom_has_any_token(const char *list, const char *const *tokens);

/* Whether s contains one of the fragments (ASCII case-insensitive). */
bool rsd_dom_contains_any(const char *s, const char *const *fragments);

/* The itemtype of an itemscope names a Recipe (any of its tokens). */
bool rsd_dom_is_recipe_item(const char *itemscope, const char *itemtype);

/* Text a reader does not see (hidden, or for screen readers only). */
bool rsd_dom_is_hidden(const GumboNode *n);

/* How a subtree's text is rendered: all text, only what a reader sees, or
 * what a reader sees with one line per block (the source's own line
 * breaks are white space then, as in a browser); ALL_LINES is all text
 * with one line per block. */
enum rsd_dom_text_mode {
	RSD_DOM_TEXT_ALL,
	RSD_DOM_TEXT_VISIBLE,
	RSD_DOM_TEXT_LINES,
	RSD_DOM_TEXT_ALL_LINES
};
/* Text of root's subtree; block elements end a line (steps of
 * instructions written as <li> or <p> stay apart). Scripts and styles
 * carry no text. */
int rsd_dom_text(const GumboNode *root, struct rsd_text_buf *out);
int rsd_dom_text_of(const GumboNode *root, bool visible_only, struct rsd_text_buf *out);
/* All text of root's subtree (hidden too: a microdata value's text
 * content), one line per block, the source's line breaks white space. */
int rsd_dom_text_lines(const GumboNode *root, struct rsd_text_buf *out);

/* The same for a small element (a heading): -E2BIG past max_nodes nodes,
 * so that testing every element of a deep tree stays linear. */
int rsd_dom_text_small(const GumboNode *root, size_t max_nodes, struct rsd_text_buf *out);

/* The steps of a caller's own text walk: one node's text, and an
 * element's children pushed (block elements end a line). */
int rsd_dom_append_text_node(const GumboNode *n, enum rsd_dom_text_mode mode,
			     struct rsd_text_buf *out);
int rsd_dom_walk_into_element(struct rsd_dom_walker *w, const GumboNode *n,
			      struct rsd_text_buf *out);

/* Nodes of a small subtree (a row, an item's link). */
#define RSD_DOM_SMALL_NODES 64
/* The cleaned visible text of a subtree of at most max_nodes nodes, or
 * NULL (too big, ENOMEM). */
char *rsd_dom_bounded_text(const GumboNode *n, size_t max_nodes);
char *rsd_dom_small_text(const GumboNode *n);

/* Items of a list (an array of strings; NULL counts 0). */
size_t rsd_dom_n_items(const cJSON *arr);

/* Appends raw (cleaned) to *arr when it has a word. -ENOMEM. */
int rsd_dom_add_text_item(cJSON **arr, const char *raw);

/* The visible text of n, cleaned, appended to *arr when not empty. */
int rsd_dom_add_element_text(cJSON **arr, const GumboNode *n);

/* Each visible line of n (blocks and <br> end one) as an item. */
int rsd_dom_add_element_lines(cJSON **arr, const GumboNode *n);

/* A <dt> with the <dd>s that follow it, as one item. */
int rsd_dom_add_term_text(cJSON **arr, const GumboNode *dt);

#endif
