/* SPDX-License-Identifier: MIT */
/* Reading the gumbo DOM (see dom.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract/dom.h"
#include "extract/fields.h"
#include "core/text.h"

/* ---- iterative pre-order walk, elements, attributes ---------------------- */

/* Pushes the children so that they pop in document order. */
int rsd_dom_walker_push_children(struct rsd_dom_walker *w, const GumboNode *n)
{
	const GumboVector *c = rsd_dom_children(n);
	for (size_t i = c ? c->length : 0; i > 0; i--)
		if (rsd_dom_walker_push(w, c->data[i - 1]) < 0)
			return -ENOMEM;
	return 0;
}

/* Whether one token of the white space separated list (NULL: none)
 * satisfies the test. */
bool rsd_dom_any_token(const char *list, bool (*test)(const char *token, size_t len))
{
	for (const char *p = list; p && *p;) {
		p += strspn(p, " \t\n\r\f");
		size_t n = strcspn(p, " \t\n\r\f");
		if (n && test(p, n))
			return true;
		p += n;
	}
	return false;
}

/* The itemtype of an itemscope names a Recipe (any of its tokens). */
bool rsd_dom_is_recipe_item(const char *itemscope, const char *itemtype)
{
	return itemscope && rsd_dom_any_token(itemtype, rsd_fields_is_recipe_type);
}

/* ---- text content ------------------------------------------------------- */

static bool is_block(GumboTag t)
{
	switch (t) {
	case GUMBO_TAG_P:
	case GUMBO_TAG_LI:
	case GUMBO_TAG_BR:
	case GUMBO_TAG_DIV:
	case GUMBO_TAG_OL:
	case GUMBO_TAG_UL:
	case GUMBO_TAG_H1:
	case GUMBO_TAG_H2:
	case GUMBO_TAG_H3:
	case GUMBO_TAG_H4:
	case GUMBO_TAG_H5:
	case GUMBO_TAG_H6:
	case GUMBO_TAG_TR:
	case GUMBO_TAG_SECTION:
	case GUMBO_TAG_TD:
	case GUMBO_TAG_TH:
		return true;
	default:
		return false;
	}
}

int rsd_dom_text(const GumboNode *root, struct rsd_text_buf *out)
{
	return rsd_dom_text_of(root, false, out);
}

int rsd_dom_append_text_node(const GumboNode *n, enum rsd_dom_text_mode mode,
			     struct rsd_text_buf *out)
{
	size_t from = out->len;
	int rc = rsd_text_buf_append(out, n->v.text.text, strlen(n->v.text.text));
	bool lines = mode == RSD_DOM_TEXT_LINES || mode == RSD_DOM_TEXT_ALL_LINES;
	for (size_t i = from; rc == 0 && lines && i < out->len; i++)
		if (out->data[i] == '\n' || out->data[i] == '\r')
			out->data[i] = ' ';
	return rc;
}

/* A text walk enters element n: scripts and styles hold no text, a block
 * element starts a new line. */
int rsd_dom_walk_into_element(struct rsd_dom_walker *w, const GumboNode *n,
			      struct rsd_text_buf *out)
{
	GumboTag t = n->v.element.tag;
	if (t == GUMBO_TAG_SCRIPT || t == GUMBO_TAG_STYLE || t == GUMBO_TAG_NOSCRIPT)
		return 0;
	int rc = is_block(t) ? rsd_text_buf_putc(out, '\n') : 0;
	return rc == 0 ? rsd_dom_walker_push_children(w, n) : rc;
}

static int text_walk(const GumboNode *root, enum rsd_dom_text_mode mode, size_t max_nodes,
		     struct rsd_text_buf *out)
{
	struct rsd_dom_walker w = { 0 };
	int rc = rsd_dom_walker_push(&w, root);
	const GumboNode *n;
	size_t visited = 0;
	while (rc == 0 && (n = rsd_dom_walker_pop(&w)) != NULL) {
		if (max_nodes && ++visited > max_nodes) {
			rc = -E2BIG;
			break;
		}
		if (n == NULL)
			continue;
		if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE ||
		    n->type == GUMBO_NODE_CDATA) {
			rc = rsd_dom_append_text_node(n, mode, out);
			continue;
		}
		bool all = mode == RSD_DOM_TEXT_ALL || mode == RSD_DOM_TEXT_ALL_LINES;
		if (rsd_dom_is_element(n) && (all || !rsd_dom_is_hidden(n)))
			rc = rsd_dom_walk_into_element(&w, n, out);
	}
	free(w.stack);
	if (rc == 0 && !out->data)
		rc = rsd_text_buf_append(out, "", 0); /* "" for an empty subtree, terminated */
	return rc;
}

int rsd_dom_text_of(const GumboNode *root, bool visible_only, struct rsd_text_buf *out)
{
	return text_walk(root, visible_only ? RSD_DOM_TEXT_VISIBLE : RSD_DOM_TEXT_ALL, 0, out);
}

int rsd_dom_text_lines(const GumboNode *root, struct rsd_text_buf *out)
{
	return text_walk(root, RSD_DOM_TEXT_ALL_LINES, 0, out);
}

int rsd_dom_text_small(const GumboNode *root, size_t max_nodes, struct rsd_text_buf *out)
{
	return text_walk(root, RSD_DOM_TEXT_VISIBLE, max_nodes, out);
}

/* ---- tokens and visibility ---------------------------------------------- */

/* One pass over the list, each token compared by length first: the DOM
 * sources ask this of every element's class (is it hidden, chrome, a
 * list's container), with a few tokens each. */
bool rsd_dom_has_any_token(const char *list, const char *const *tokens)
{
	for (const char *p = list; p && tokens && *p;) {
		while (rsd_text_is_space(*p))
			p++;
		const char *q = p;
		while (*q && !rsd_text_is_space(*q))
			q++;
		size_t n = (size_t)(q - p);
		for (size_t i = 0; n && tokens[i]; i++)
			if (strlen(tokens[i]) == n && rsd_text_ieq(p, n, tokens[i]))
				return true;
		p = q;
	}
	return false;
}

bool rsd_dom_contains_any(const char *s, const char *const *fragments)
{
	for (size_t i = 0; s && fragments && fragments[i]; i++)
		if (rsd_text_icasefind(s, strlen(s), fragments[i]))
			return true;
	return false;
}

/* An inline style with "display: none" (any spacing and case). */
static bool style_hides(const char *style)
{
	const char *end = style + strlen(style);
	for (const char *p = style;
	     (p = rsd_text_icasefind(p, (size_t)(end - p), "display")) != NULL;) {
		p += 7;
		p += strspn(p, " \t\n\r\f");
		if (*p != ':')
			continue;
		p++;
		p += strspn(p, " \t\n\r\f");
		if (end - p >= 4 && rsd_text_ieq(p, 4, "none"))
			return true;
	}
	return false;
}

/* A tab panel while another panel beside it is the active one
 * (Bootstrap's "tab-pane" shows only the panel marked "active"): the
 * US-units copy of a metric ingredient list. Without an active panel,
 * which one shows is the page script's choice: all count. */
static bool inactive_tab(const GumboNode *n, const char *class)
{
	static const char *const PANE[] = { "tab-pane", NULL };
	static const char *const ACTIVE[] = { "active", NULL };
	if (!rsd_dom_has_any_token(class, PANE) || rsd_dom_has_any_token(class, ACTIVE))
		return false;
	const GumboVector *sib = n->parent ? rsd_dom_children(n->parent) : NULL;
	for (size_t i = 0; sib && i < sib->length; i++) {
		const char *c = rsd_dom_is_element(sib->data[i])
					? rsd_dom_attr(sib->data[i], "class")
					: NULL;
		if (rsd_dom_has_any_token(c, PANE) && rsd_dom_has_any_token(c, ACTIVE))
			return true;
	}
	return false;
}

/* Text a reader does not see (hidden, or for screen readers only: the
 * "▢" of a checkbox, "Ingredient" labels) is not part of the recipe. */
bool rsd_dom_is_hidden(const GumboNode *n)
{
	static const char *const SR_ONLY[] = { "sr-only", "screen-reader-text", "visually-hidden",
					       "wprm-screen-reader-text", NULL };
	if (!rsd_dom_is_element(n))
		return false;
	/* one pass over the attributes (gumbo lowercases their names): this
	 * runs for every element the text walks enter */
	const GumboVector *attrs = &n->v.element.attributes;
	const char *style = NULL, *cls = NULL;
	for (size_t i = 0; i < attrs->length; i++) {
		const GumboAttribute *a = attrs->data[i];
		if (!style && strcmp(a->name, "style") == 0)
			style = a->value;
		else if (!cls && strcmp(a->name, "class") == 0)
			cls = a->value;
		else if (strcmp(a->name, "hidden") == 0)
			return true;
	}
	return (style && style_hides(style)) || rsd_dom_has_any_token(cls, SR_ONLY) ||
	       inactive_tab(n, cls);
}

/* ---- list items ---------------------------------------------------------- */

int rsd_dom_add_text_item(cJSON **arr, const char *raw)
{
	char *t = rsd_text_clean(raw, strlen(raw));
	if (!t)
		return -ENOMEM;
	cJSON *s = NULL;
	int rc = 0;
	if (rsd_text_has_word(t) &&
	    ((!*arr && !(*arr = cJSON_CreateArray())) || !(s = cJSON_CreateString(t)) ||
	     !cJSON_AddItemToArray(*arr, s))) {
		cJSON_Delete(s);
		rc = -ENOMEM;
	}
	free(t);
	return rc;
}

/* The visible text of n, cleaned, appended to *arr when not empty. */
int rsd_dom_add_element_text(cJSON **arr, const GumboNode *n)
{
	struct rsd_text_buf b = { 0 };
	int rc = rsd_dom_text_of(n, true, &b);
	if (rc == 0)
		rc = rsd_dom_add_text_item(arr, b.data);
	rsd_text_buf_free(&b);
	return rc;
}

/* Each visible line of n (blocks and <br> end one) as an item. */
int rsd_dom_add_element_lines(cJSON **arr, const GumboNode *n)
{
	struct rsd_text_buf b = { 0 };
	int rc = text_walk(n, RSD_DOM_TEXT_LINES, 0, &b);
	for (char *line = b.data, *end = NULL; rc == 0 && line; line = end ? end + 1 : NULL) {
		if ((end = strchr(line, '\n')) != NULL)
			*end = '\0';
		rc = rsd_dom_add_text_item(arr, line);
	}
	rsd_text_buf_free(&b);
	return rc;
}

const GumboNode *rsd_dom_next_element(const GumboNode *n)
{
	const GumboNode *p = n->parent;
	if (!p)
		return NULL;
	const GumboVector *c = rsd_dom_children(p);
	for (size_t i = n->index_within_parent + 1; c && i < c->length; i++)
		if (rsd_dom_is_element(c->data[i]))
			return c->data[i];
	return NULL;
}

/* A <dt> with the <dd>s that follow it, as one item. */
int rsd_dom_add_term_text(cJSON **arr, const GumboNode *dt)
{
	struct rsd_text_buf b = { 0 };
	int rc = rsd_dom_text_of(dt, true, &b);
	for (const GumboNode *s = rsd_dom_next_element(dt);
	     rc == 0 && s && s->v.element.tag == GUMBO_TAG_DD; s = rsd_dom_next_element(s))
		if ((rc = rsd_text_buf_putc(&b, ' ')) == 0)
			rc = rsd_dom_text_of(s, true, &b);
	if (rc == 0)
		rc = rsd_dom_add_text_item(arr, b.data);
	rsd_text_buf_free(&b);
	return rc;
}
size_t rsd_dom_n_items(const cJSON *arr)
{
	return arr ? (size_t)cJSON_GetArraySize(arr) : 0;
}

int rsd_dom_heading_level(GumboTag t)
{
	switch (t) {
	case GUMBO_TAG_H1:
		return 1;
	case GUMBO_TAG_H2:
		return 2;
	case GUMBO_TAG_H3:
		return 3;
	case GUMBO_TAG_H4:
		return 4;
	case GUMBO_TAG_H5:
		return 5;
	case GUMBO_TAG_H6:
		return 6;
	default:
		return 0;
	}
}

/* The cleaned visible text of a subtree of at most max_nodes nodes, or
 * NULL (too big, ENOMEM). */
char *rsd_dom_bounded_text(const GumboNode *n, size_t max_nodes)
{
	struct rsd_text_buf b = { 0 };
	char *t = NULL;
	if (rsd_dom_text_small(n, max_nodes, &b) == 0)
		t = rsd_text_clean(b.data, b.len);
	rsd_text_buf_free(&b);
	return t;
}

char *rsd_dom_small_text(const GumboNode *n)
{
	return rsd_dom_bounded_text(n, RSD_DOM_SMALL_NODES);
}
