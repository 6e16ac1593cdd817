/* SPDX-License-Identifier: MIT */
/* schema.org microdata in the DOM (see microdata.h): the properties of
 * the first Recipe item, nested items (nutrition, rating) included. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract/microdata.h"
#include "extract/dom.h"
#include "extract/fields.h"
#include "core/text.h"

/* ---- microdata items ---------------------------------------------------- */

struct prop {
	const char *name; /* one token of itemprop (points into the attribute) */
	size_t name_len;
	const GumboNode *node;
};

struct props {
	struct prop *v;
	size_t n, cap;
};

static int props_add(struct props *p, const char *name, size_t len, const GumboNode *node)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 32;
		struct prop *v = reallocarray(p->v, cap, sizeof *v);
		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = (struct prop){ name, len, node };
	return 0;
}

/* The properties of the item rooted at scope, in document order: nested
 * items are values themselves, their own properties belong to them. */
static int item_props(const GumboNode *scope, struct props *out)
{
	struct rsd_dom_walker w = { 0 };
	int rc = rsd_dom_walker_push_children(&w, scope);
	const GumboNode *n;
	while (rc == 0 && (n = rsd_dom_walker_pop(&w)) != NULL) {
		if (!rsd_dom_is_element(n))
			continue;
		const char *ip = rsd_dom_attr(n, "itemprop");
		for (const char *p = ip; rc == 0 && p && *p;) {
			p += strspn(p, " \t\n\r\f");
			size_t len = strcspn(p, " \t\n\r\f");
			if (len)
				rc = props_add(out, p, len, n);
			p += len;
		}
		if (rc == 0 && !rsd_dom_attr(n, "itemscope"))
			rc = rsd_dom_walker_push_children(&w, n);
	}
	free(w.stack);
	return rc;
}

static const struct prop *prop_find(const struct props *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].name_len == strlen(name) &&
		    memcmp(p->v[i].name, name, p->v[i].name_len) == 0)
			return &p->v[i];
	return NULL;
}

/* The microdata value of a property element (HTML "itemprop value"). */
static int prop_value(const GumboNode *n, const char *base_url, bool url, char **out)
{
	const char *v = NULL;
	switch (n->v.element.tag) {
	case GUMBO_TAG_META:
		v = rsd_dom_attr(n, "content");
		break;
	case GUMBO_TAG_IMG:
	case GUMBO_TAG_AUDIO:
	case GUMBO_TAG_EMBED:
	case GUMBO_TAG_IFRAME:
	case GUMBO_TAG_SOURCE:
	case GUMBO_TAG_TRACK:
	case GUMBO_TAG_VIDEO:
		v = rsd_dom_attr(n, "src");
		url = true;
		break;
	case GUMBO_TAG_A:
	case GUMBO_TAG_AREA:
	case GUMBO_TAG_LINK:
		v = rsd_dom_attr(n, "href");
		url = true;
		break;
	case GUMBO_TAG_OBJECT:
		v = rsd_dom_attr(n, "data");
		url = true;
		break;
	case GUMBO_TAG_DATA:
	case GUMBO_TAG_METER:
		v = rsd_dom_attr(n, "value");
		break;
	case GUMBO_TAG_TIME:
		v = rsd_dom_attr(n, "datetime");
		break;
	default:
		break;
	}
	if (!v && rsd_dom_attr(n, "content"))
		v = rsd_dom_attr(n, "content"); /* common non-standard use on any element */
	if (url) {
		*out = v ? rsd_fields_url(base_url, v) : NULL;
		return 0;
	}
	struct rsd_text_buf b = { 0 };
	int rc = v ? rsd_text_buf_append(&b, v, strlen(v)) : rsd_dom_text(n, &b);
	if (rc < 0) {
		rsd_text_buf_free(&b);
		return rc;
	}
	*out = rsd_text_buf_steal(&b);
	return *out ? 0 : -ENOMEM;
}

static char *prop_text(const struct props *p, const char *name)
{
	const struct prop *pr = prop_find(p, name);
	char *raw = NULL;
	if (!pr || prop_value(pr->node, NULL, false, &raw) < 0 || !raw)
		return NULL;
	char *t = rsd_text_clean(raw, strlen(raw));
	free(raw);
	if (t && !rsd_text_has_word(t)) {
		free(t);
		t = NULL;
	}
	return t;
}

/* A nested item's property ("author" -> its "name"), or the text itself.
 * A link's value is its URL, which names no one: the person or
 * organisation a link stands for is named by its text. */
static char *nested_text(const struct props *p, const char *name, const char *inner)
{
	const struct prop *pr = prop_find(p, name);
	if (!pr)
		return NULL;
	if (pr->node->v.element.tag == GUMBO_TAG_A && !rsd_dom_attr(pr->node, "content")) {
		char *t = rsd_dom_small_text(pr->node);
		if (t && !rsd_text_has_word(t)) {
			free(t);
			t = NULL;
		}
		return t;
	}
	if (!rsd_dom_attr(pr->node, "itemscope"))
		return prop_text(p, name);
	struct props sub = { 0 };
	char *t = item_props(pr->node, &sub) == 0 ? prop_text(&sub, inner) : NULL;
	free(sub.v);
	return t;
}

static int nested_props(const struct props *p, const char *name, struct props *sub)
{
	const struct prop *pr = prop_find(p, name);
	if (!pr || !rsd_dom_attr(pr->node, "itemscope"))
		return 0;
	return item_props(pr->node, sub);
}

static bool prop_is(const struct prop *pr, const char *name)
{
	return pr->name_len == strlen(name) && memcmp(pr->name, name, pr->name_len) == 0;
}

/* One recipeInstructions value. Its text is the element's text content,
 * where the source's line breaks are white space, as a browser renders
 * it. One of several values is one step, as one of several JSON-LD
 * strings is (its <br>s break lines within the step); the only value is
 * the whole method, its blocks and <br>s the steps. A value from an
 * attribute (a meta's content) may hold the method's HTML. */
static int add_step_value(const GumboNode *node, bool one_of_several, cJSON **arr)
{
	bool text = node->v.element.tag != GUMBO_TAG_META && !rsd_dom_attr(node, "content");
	struct rsd_text_buf b = { 0 };
	char *raw = NULL;
	int rc = text ? rsd_dom_text_lines(node, &b) : prop_value(node, NULL, false, &raw);
	if (text && rc == 0 && !(raw = rsd_text_buf_steal(&b)))
		rc = -ENOMEM;
	rsd_text_buf_free(&b);
	if (rc == 0 && raw)
		rc = one_of_several && text ? rsd_dom_add_text_item(arr, raw)
					    : rsd_fields_add_steps(arr, raw, strlen(raw));
	free(raw);
	return rc;
}

/* recipeInstructions: text values, HowToStep items (their text) and
 * HowToSection items (their whole text, one line a step). */
static int add_steps(const struct props *p, cJSON **arr)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++)
		n += prop_is(&p->v[i], "recipeInstructions");
	for (size_t i = 0; i < p->n; i++) {
		if (!prop_is(&p->v[i], "recipeInstructions"))
			continue;
		const GumboNode *node = p->v[i].node;
		bool step = n > 1;
		int rc = 0;
		if (rsd_dom_attr(node, "itemscope")) {
			struct props sub = { 0 };
			rc = item_props(node, &sub);
			const struct prop *t = rc == 0 ? prop_find(&sub, "text") : NULL;
			step = step && t;
			node = t ? t->node : node;
			free(sub.v);
		}
		if (rc == 0)
			rc = add_step_value(node, step, arr);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int add_all(const struct props *p, const char *name, cJSON **arr, int kind)
{
	/* kinds 0 and 2 read at most RSD_LIST_READ_MAX items; 2 keeps no
	 * duplicates */
	size_t budget = RSD_LIST_READ_MAX;
	for (size_t i = 0; i < p->n && budget > 0; i++) {
		if (!prop_is(&p->v[i], name))
			continue;
		char *raw = NULL;
		int rc = prop_value(p->v[i].node, NULL, false, &raw);
		if (rc == 0 && raw) {
			if (kind == 0) {
				/* kept even when the list has it already: a
				 * recipe may need salt twice (dough and
				 * filling), as its JSON-LD would list it twice */
				rc = rsd_dom_add_text_item(arr, raw);
				budget--;
			} else {
				rc = rsd_fields_list_add(arr, raw, true, &budget);
			}
		}
		free(raw);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static long prop_minutes(const struct props *p, const char *name)
{
	char *t = prop_text(p, name);
	long m = rsd_text_duration_minutes(t);
	free(t);
	return m;
}

static int nutrition(const struct props *p, struct rsd_recipe_fields *f)
{
	struct props sub = { 0 };
	int rc = nested_props(p, "nutrition", &sub);
	for (size_t i = 0; rc == 0 && i < sub.n; i++) {
		char *name = strndup(sub.v[i].name, sub.v[i].name_len);
		char *raw = NULL, *t = NULL;
		rc = name ? prop_value(sub.v[i].node, NULL, false, &raw) : -ENOMEM;
		if (rc == 0 && raw && !(t = rsd_text_clean(raw, strlen(raw))))
			rc = -ENOMEM;
		if (rc == 0 && t && *t)
			rc = rsd_fields_add_nutrient(f, name, t);
		free(name);
		free(raw);
		free(t);
	}
	free(sub.v);
	return rc;
}

static void rating(const struct props *p, struct rsd_recipe_fields *f)
{
	struct props sub = { 0 };
	if (nested_props(p, "aggregateRating", &sub) == 0) {
		char *v = prop_text(&sub, "ratingValue");
		char *c = prop_text(&sub, "ratingCount");
		if (!c)
			c = prop_text(&sub, "reviewCount");
		double d;
		if (v && rsd_text_first_number(v, &d))
			f->ratings = round(d * 100) / 100;
		if (c && rsd_text_first_number(c, &d) && d < 1e15)
			f->ratings_count = lround(d);
		free(v);
		free(c);
	}
	free(sub.v);
}

static const GumboNode *find_recipe_scope(const GumboOutput *dom)
{
	struct rsd_dom_walker w = { 0 };
	const GumboNode *n, *found = NULL;
	if (rsd_dom_walker_push(&w, dom->document) < 0)
		return NULL;
	while (!found && (n = rsd_dom_walker_pop(&w)) != NULL) {
		if (rsd_dom_is_element(n) && rsd_dom_is_recipe_item(rsd_dom_attr(n, "itemscope"),
								    rsd_dom_attr(n, "itemtype")))
			found = n;
		else if (rsd_dom_walker_push_children(&w, n) < 0)
			break;
	}
	free(w.stack);
	return found;
}

int rsd_microdata_fields(const GumboOutput *dom, const char *base_url, struct rsd_recipe_fields *f)
{
	const GumboNode *scope = find_recipe_scope(dom);
	if (!scope)
		return 0;
	struct props p = { 0 };
	int rc = item_props(scope, &p);
	if (rc == 0) {
		f->title = prop_text(&p, "name");
		f->description = prop_text(&p, "description");
		f->author = nested_text(&p, "author", "name");
		f->language = prop_text(&p, "inLanguage");
		const struct prop *img = prop_find(&p, "image");
		if (img && rsd_dom_attr(img->node, "itemscope")) {
			struct props sub = { 0 };
			if (item_props(img->node, &sub) == 0 &&
			    (img = prop_find(&sub, "url")) != NULL)
				rc = prop_value(img->node, base_url, true, &f->image);
			free(sub.v);
		} else if (img) {
			rc = prop_value(img->node, base_url, true, &f->image);
		}
		char *y = prop_text(&p, "recipeYield");
		if (!y)
			y = prop_text(&p, "yield");
		f->yields = y ? rsd_fields_recipe_yields(y) : NULL;
		free(y);
		f->prep_time = prop_minutes(&p, "prepTime");
		f->cook_time = prop_minutes(&p, "cookTime");
		f->total_time = prop_minutes(&p, "totalTime");
		if (f->total_time <= 0 && (f->prep_time > 0 || f->cook_time > 0))
			f->total_time = (f->prep_time > 0 ? f->prep_time : 0) +
					(f->cook_time > 0 ? f->cook_time : 0);
	}
	if (rc == 0)
		rc = add_all(&p, "recipeIngredient", &f->ingredients, 0);
	if (rc == 0 && !f->ingredients)
		rc = add_all(&p, "ingredients", &f->ingredients, 0);
	if (rc == 0)
		rc = add_steps(&p, &f->instructions_list);
	if (rc == 0)
		rc = add_all(&p, "recipeCategory", &f->category, 2);
	if (rc == 0)
		rc = add_all(&p, "recipeCuisine", &f->cuisine, 2);
	if (rc == 0)
		rc = add_all(&p, "keywords", &f->keywords, 2);
	if (rc == 0)
		rc = nutrition(&p, f);
	if (rc == 0)
		rating(&p, f);
	free(p.v);
	return rc < 0 ? rc : 1;
}
