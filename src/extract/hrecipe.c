/* SPDX-License-Identifier: MIT */
/* hRecipe and recipe plugin containers (see hrecipe.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract/hrecipe.h"
#include "extract/dom.h"
#include "extract/fields.h"
#include "extract/html_lists.h"
#include "core/text.h"

/* ---- recipes in plain HTML ---------------------------------------------- */

/* Pages without usable schema.org data still mark their recipe up: the
 * hRecipe microformat (class "hrecipe", mf2 "h-recipe") and the containers
 * of the WordPress recipe plugins, each used by thousands of sites. Their
 * lists are <li> (or <p>) under an element whose class or id names them
 * ("ingredients", "instructions", "directions", "method", "steps"), or
 * follow a heading that names them. Here these heuristics only run on a
 * page already known to hold a recipe; the last fallback below (recipes
 * without any markup) uses them too, but only with its stricter test of
 * both sections, outside the page furniture. */

static const char *const RECIPE_ROOTS[] = {
	"hrecipe",       "h-recipe",        "wprm-recipe-container",
	"tasty-recipes", "mv-create-card",  "zlrecipe-container",
	"easyrecipe",    "wpurp-container", NULL
};

/* Whether the "recipe" at p is part of one of the roots that hold it. */
static bool root_around(const char *html, const char *end, const char *p)
{
	for (size_t i = 0; RECIPE_ROOTS[i]; i++) {
		const char *in = strstr(RECIPE_ROOTS[i], "recipe");
		size_t before = in ? (size_t)(in - RECIPE_ROOTS[i]) : 0;
		size_t n = strlen(RECIPE_ROOTS[i]);
		if (in && (size_t)(p - html) >= before && (size_t)(end - (p - before)) >= n &&
		    memcmp(p - before, RECIPE_ROOTS[i], n) == 0)
			return true;
	}
	return false;
}

/* Six of the roots hold "recipe": one pass finds those (each of the
 * page's "recipe" is compared with them in place), another each of the
 * other two, where a pass per root took eight over a page that has
 * none. */
bool rsd_hrecipe_maybe_present(const char *html, size_t len)
{
	const char *end = html + len;
	for (const char *p = html; (p = memmem(p, (size_t)(end - p), "recipe", 6)) != NULL; p++)
		if (root_around(html, end, p))
			return true;
	for (size_t i = 0; RECIPE_ROOTS[i]; i++)
		if (!strstr(RECIPE_ROOTS[i], "recipe") &&
		    memmem(html, len, RECIPE_ROOTS[i], strlen(RECIPE_ROOTS[i])))
			return true;
	return false;
}

/* ---- hRecipe and recipe plugin containers ---- */

/* The first element of root's subtree (root included) with one of the
 * class tokens or whose class contains one of the fragments. */
static const GumboNode *find_class(const GumboNode *root, const char *const *tokens,
				   const char *const *fragments)
{
	struct rsd_dom_walker w = { 0 };
	const GumboNode *n, *found = NULL;
	int rc = rsd_dom_walker_push(&w, root);
	while (rc == 0 && !found && (n = rsd_dom_walker_pop(&w)) != NULL) {
		if (!rsd_dom_is_element(n))
			continue;
		const char *cls = rsd_dom_attr(n, "class");
		if (rsd_dom_has_any_token(cls, tokens) || rsd_dom_contains_any(cls, fragments))
			found = n;
		else
			rc = rsd_dom_walker_push_children(&w, n);
	}
	free(w.stack);
	return found;
}

static char *class_text(const GumboNode *root, const char *const *tokens,
			const char *const *fragments)
{
	const GumboNode *n = find_class(root, tokens, fragments);
	if (!n)
		return NULL;
	struct rsd_text_buf b = { 0 };
	char *t = NULL;
	if (rsd_dom_text_of(n, true, &b) == 0)
		t = rsd_text_clean(b.data, b.len);
	rsd_text_buf_free(&b);
	if (t && !*t) {
		free(t);
		t = NULL;
	}
	return t;
}

/* hRecipe durations: an ISO value in datetime, title (value-title
 * pattern) or content, else the text ("3 hrs"). */
static long class_minutes(const GumboNode *root, const char *token)
{
	const char *const tokens[] = { token, NULL };
	const GumboNode *n = find_class(root, tokens, NULL);
	if (!n)
		return -1;
	const GumboNode *vt = find_class(n, (const char *const[]){ "value-title", NULL }, NULL);
	const char *v = rsd_dom_attr(n, "datetime");
	if (!v)
		v = rsd_dom_attr(n, "content");
	if (!v && vt)
		v = rsd_dom_attr(vt, "title");
	if (v)
		return rsd_text_duration_minutes(v);
	char *t = class_text(n, tokens, NULL);
	long m = rsd_text_duration_minutes(t);
	free(t);
	return m;
}

static int class_image(const GumboNode *root, const char *base_url, char **out)
{
	static const char *const PHOTO[] = { "photo", "u-photo", NULL };
	static const char *const PHOTO_PARTS[] = { "recipe-image", NULL };
	const GumboNode *n = find_class(root, PHOTO, PHOTO_PARTS);
	if (n && n->v.element.tag != GUMBO_TAG_IMG) {
		struct rsd_dom_walker w = { 0 };
		const GumboNode *m = NULL;
		int rc = rsd_dom_walker_push(&w, n);
		for (n = NULL; rc == 0 && !n && (m = rsd_dom_walker_pop(&w)) != NULL;)
			if (rsd_dom_is_element(m) && m->v.element.tag == GUMBO_TAG_IMG)
				n = m;
			else if (rsd_dom_is_element(m))
				rc = rsd_dom_walker_push_children(&w, m);
		free(w.stack);
		if (rc < 0)
			return rc;
	}
	const char *src = n ? rsd_dom_attr(n, "src") : NULL;
	*out = src ? rsd_fields_url(base_url, src) : NULL;
	return 0;
}

static const GumboNode *find_recipe_root(const GumboOutput *dom)
{
	return find_class(dom->root, RECIPE_ROOTS, NULL);
}

/* hRecipe "ingredient" elements one by one, "instructions" as text. */
static int microformat_lists(const GumboNode *root, struct rsd_recipe_fields *f)
{
	static const char *const ING[] = { "ingredient", "p-ingredient", NULL };
	static const char *const INS[] = { "instructions", "e-instructions", NULL };
	struct rsd_dom_walker w = { 0 };
	int rc = f->ingredients ? 0 : rsd_dom_walker_push(&w, root);
	const GumboNode *n;
	while (rc == 0 && (n = rsd_dom_walker_pop(&w)) != NULL) {
		if (!rsd_dom_is_element(n) || rsd_dom_is_hidden(n))
			continue;
		if (rsd_dom_has_any_token(rsd_dom_attr(n, "class"), ING))
			rc = rsd_dom_add_element_text(&f->ingredients, n);
		else
			rc = rsd_dom_walker_push_children(&w, n);
	}
	free(w.stack);
	const GumboNode *ins = rc == 0 && !f->instructions_list ? find_class(root, INS, NULL)
								: NULL;
	if (ins) {
		struct rsd_text_buf b = { 0 };
		rc = rsd_dom_text_of(ins, true, &b);
		if (rc == 0)
			rc = rsd_fields_add_steps(&f->instructions_list, b.data, b.len);
		rsd_text_buf_free(&b);
	}
	return rc;
}

int rsd_hrecipe_fields(const GumboOutput *dom, const char *base_url, struct rsd_recipe_fields *f)
{
	static const char *const NAME[] = { "fn", "p-name", NULL };
	static const char *const NAME_PARTS[] = { "recipe-name", "recipe-title", "recipes-title",
						  "create-title", NULL };
	static const char *const SUMMARY[] = { "summary", "p-summary", NULL };
	static const char *const SUMMARY_PARTS[] = { "recipe-summary", "recipe-description", NULL };
	static const char *const AUTHOR[] = { "author", "p-author", NULL };
	static const char *const AUTHOR_PARTS[] = { "recipe-author", NULL };
	static const char *const YIELD[] = { "yield", "p-yield", NULL };
	static const char *const YIELD_PARTS[] = { "recipe-yield", "recipe-servings", NULL };

	const GumboNode *root = find_recipe_root(dom);
	if (!root)
		return 0;
	int rc = rsd_html_lists_read(root, RSD_LIST_INGREDIENTS, &f->ingredients);
	if (rc >= 0)
		rc = rsd_html_lists_read(root, RSD_LIST_INSTRUCTIONS, &f->instructions_list);
	if (rc >= 0)
		rc = microformat_lists(root, f);
	if (rc < 0)
		return rc;
	if (!f->ingredients && !f->instructions_list)
		return 0; /* a container without a recipe in it */
	f->title = class_text(root, NAME, NAME_PARTS);
	f->description = class_text(root, SUMMARY, SUMMARY_PARTS);
	f->author = class_text(root, AUTHOR, AUTHOR_PARTS);
	char *y = class_text(root, YIELD, YIELD_PARTS);
	f->yields = y ? rsd_fields_yields_text(y) : NULL;
	free(y);
	f->prep_time = class_minutes(root, "preptime");
	f->cook_time = class_minutes(root, "cooktime");
	f->total_time = class_minutes(root, "duration");
	if (f->total_time <= 0 && (f->prep_time > 0 || f->cook_time > 0))
		f->total_time = (f->prep_time > 0 ? f->prep_time : 0) +
				(f->cook_time > 0 ? f->cook_time : 0);
	rc = class_image(root, base_url, &f->image);
	return rc < 0 ? rc : 1;
}
