/* SPDX-License-Identifier: MIT */
/* The DOM side of the extractor: page information from a gumbo tree (the
 * reference for the fast scan) and schema.org microdata, the fallback for
 * pages without a JSON-LD Recipe.
 *
 * Every walk is iterative with an explicit stack: a hostile page can nest
 * elements far deeper than the thread stack would allow recursion. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "extract_internal.h"

/* ---- iterative pre-order walk ------------------------------------------- */

struct walker {
	const GumboNode **stack;
	size_t n, cap;
};

static int walker_push(struct walker *w, const GumboNode *node)
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

static const GumboVector *children_of(const GumboNode *n)
{
	if (n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE)
		return &n->v.element.children;
	if (n->type == GUMBO_NODE_DOCUMENT)
		return &n->v.document.children;
	return NULL;
}

/* Pushes the children so that they pop in document order. */
static int walker_push_children(struct walker *w, const GumboNode *n)
{
	const GumboVector *c = children_of(n);
	for (size_t i = c ? c->length : 0; i > 0; i--)
		if (walker_push(w, c->data[i - 1]) < 0)
			return -ENOMEM;
	return 0;
}

static const GumboNode *walker_pop(struct walker *w)
{
	return w->n ? w->stack[--w->n] : NULL;
}

static bool is_element(const GumboNode *n)
{
	return n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE;
}

static const char *attr(const GumboNode *n, const char *name)
{
	const GumboAttribute *a = gumbo_get_attribute(&n->v.element.attributes, name);
	return a ? a->value : NULL;
}

/* ---- page info ---------------------------------------------------------- */

static int keep(char **dst, const char *v, bool clean)
{
	if (*dst || !v || !*v)
		return 0;
	*dst = clean ? rsd_text_clean(v, strlen(v)) : strdup(v);
	if (!*dst)
		return -ENOMEM;
	if (!**dst) {
		free(*dst);
		*dst = NULL;
	}
	return 0;
}

/* The itemtype of an itemscope names a Recipe (any of its tokens). */
static bool is_recipe_scope(const char *itemscope, const char *itemtype)
{
	if (!itemscope || !itemtype)
		return false;
	for (const char *p = itemtype; *p;) {
		p += strspn(p, " \t\n\r\f");
		size_t n = strcspn(p, " \t\n\r\f");
		if (n && rsd_extract_is_recipe_type(p, n))
			return true;
		p += n;
	}
	return false;
}

static int page_element(const GumboNode *n, bool want_links, struct rsd_page_info *pi)
{
	const GumboElement *e = &n->v.element;
	int rc = 0;
	const char *v;
	switch (e->tag) {
	case GUMBO_TAG_A:
		/* The tree builder clones an unclosed <a> into later blocks
		 * ("reconstruct the active formatting elements"); a clone is
		 * not a link of the document. */
		if (n->parse_flags & (GUMBO_INSERTION_RECONSTRUCTED_FORMATTING_ELEMENT |
				      GUMBO_INSERTION_ADOPTION_AGENCY_CLONED))
			break;
		if (want_links && (v = attr(n, "href")))
			rc = rsd_extract_page_add_href(pi, strdup(v));
		break;
	case GUMBO_TAG_SCRIPT:
		if ((v = attr(n, "type")) && rsd_extract_is_ldjson_type(v)) {
			const GumboNode *t = e->children.length ? e->children.data[0] : NULL;
			if (t && (t->type == GUMBO_NODE_TEXT || t->type == GUMBO_NODE_WHITESPACE ||
				  t->type == GUMBO_NODE_CDATA))
				rc = rsd_extract_page_add_script(pi, t->v.text.text, strlen(t->v.text.text));
			else
				rc = rsd_extract_page_add_script(pi, "", 0);
		}
		break;
	case GUMBO_TAG_META:
		if ((v = attr(n, "content"))) {
			const char *key = attr(n, "property");
			if (!key || !*key)
				key = attr(n, "name");
			if (key)
				rc = rsd_extract_page_meta(pi, key, v);
		}
		break;
	case GUMBO_TAG_LINK:
		if ((v = attr(n, "rel")) && attr(n, "href"))
			rc = rsd_extract_page_link(pi, v, attr(n, "href"));
		break;
	case GUMBO_TAG_BASE:
		rc = keep(&pi->base_href, attr(n, "href"), false);
		break;
	case GUMBO_TAG_HTML:
		rc = keep(&pi->lang, attr(n, "lang"), true);
		break;
	default:
		break;
	}
	if (!pi->has_microdata_recipe)
		pi->has_microdata_recipe = is_recipe_scope(attr(n, "itemscope"), attr(n, "itemtype"));
	return rc;
}

int rsd_microdata_page_info(const GumboOutput *dom, bool want_links, struct rsd_page_info *pi)
{
	struct walker w = {0};
	int rc = walker_push(&w, dom->document);
	const GumboNode *n;
	while (rc == 0 && (n = walker_pop(&w)) != NULL) {
		if (is_element(n))
			rc = page_element(n, want_links, pi);
		if (rc == 0)
			rc = walker_push_children(&w, n);
	}
	free(w.stack);
	return rc;
}

/* ---- text content ------------------------------------------------------- */

static bool is_block(GumboTag t)
{
	switch (t) {
	case GUMBO_TAG_P: case GUMBO_TAG_LI: case GUMBO_TAG_BR: case GUMBO_TAG_DIV:
	case GUMBO_TAG_OL: case GUMBO_TAG_UL: case GUMBO_TAG_H1: case GUMBO_TAG_H2:
	case GUMBO_TAG_H3: case GUMBO_TAG_H4: case GUMBO_TAG_H5: case GUMBO_TAG_H6:
	case GUMBO_TAG_TR: case GUMBO_TAG_SECTION: case GUMBO_TAG_TD:
		return true;
	default:
		return false;
	}
}

/* Text of n's subtree; block elements end a line (steps of instructions
 * written as <li> or <p> stay apart). Scripts and styles carry no text. */
static int text_content(const GumboNode *root, struct rsd_text_buf *out)
{
	struct walker w = {0};
	int rc = walker_push(&w, root);
	const GumboNode *n;
	while (rc == 0 && (n = walker_pop(&w)) != NULL) {
		if (n == NULL)
			continue;
		if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE ||
		    n->type == GUMBO_NODE_CDATA) {
			rc = rsd_text_buf_append(out, n->v.text.text, strlen(n->v.text.text));
			continue;
		}
		if (!is_element(n))
			continue;
		GumboTag t = n->v.element.tag;
		if (t == GUMBO_TAG_SCRIPT || t == GUMBO_TAG_STYLE || t == GUMBO_TAG_NOSCRIPT)
			continue;
		if (is_block(t))
			rc = rsd_text_buf_putc(out, '\n');
		if (rc == 0)
			rc = walker_push_children(&w, n);
	}
	free(w.stack);
	if (rc == 0 && !out->data)
		rc = rsd_text_buf_reserve(out, 0);
	return rc;
}

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
	p->v[p->n++] = (struct prop){name, len, node};
	return 0;
}

/* The properties of the item rooted at scope, in document order: nested
 * items are values themselves, their own properties belong to them. */
static int item_props(const GumboNode *scope, struct props *out)
{
	struct walker w = {0};
	int rc = walker_push_children(&w, scope);
	const GumboNode *n;
	while (rc == 0 && (n = walker_pop(&w)) != NULL) {
		if (!is_element(n))
			continue;
		const char *ip = attr(n, "itemprop");
		for (const char *p = ip; rc == 0 && p && *p;) {
			p += strspn(p, " \t\n\r\f");
			size_t len = strcspn(p, " \t\n\r\f");
			if (len)
				rc = props_add(out, p, len, n);
			p += len;
		}
		if (rc == 0 && !attr(n, "itemscope"))
			rc = walker_push_children(&w, n);
	}
	free(w.stack);
	return rc;
}

static const struct prop *prop_find(const struct props *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].name_len == strlen(name) && memcmp(p->v[i].name, name, p->v[i].name_len) == 0)
			return &p->v[i];
	return NULL;
}

/* The microdata value of a property element (HTML "itemprop value"). */
static int prop_value(const GumboNode *n, const char *base_url, bool url, char **out)
{
	const char *v = NULL;
	switch (n->v.element.tag) {
	case GUMBO_TAG_META: v = attr(n, "content"); break;
	case GUMBO_TAG_IMG: case GUMBO_TAG_AUDIO: case GUMBO_TAG_EMBED: case GUMBO_TAG_IFRAME:
	case GUMBO_TAG_SOURCE: case GUMBO_TAG_TRACK: case GUMBO_TAG_VIDEO:
		v = attr(n, "src"); url = true; break;
	case GUMBO_TAG_A: case GUMBO_TAG_AREA: case GUMBO_TAG_LINK:
		v = attr(n, "href"); url = true; break;
	case GUMBO_TAG_OBJECT: v = attr(n, "data"); url = true; break;
	case GUMBO_TAG_DATA: case GUMBO_TAG_METER: v = attr(n, "value"); break;
	case GUMBO_TAG_TIME: v = attr(n, "datetime"); break;
	default: break;
	}
	if (!v && attr(n, "content"))
		v = attr(n, "content"); /* common non-standard use on any element */
	if (url) {
		*out = v ? rsd_extract_resolve_url(base_url, v, false) : NULL;
		return 0;
	}
	struct rsd_text_buf b = {0};
	int rc = v ? rsd_text_buf_append(&b, v, strlen(v)) : text_content(n, &b);
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
	if (t && !*t) {
		free(t);
		t = NULL;
	}
	return t;
}

/* A nested item's property ("author" -> its "name"), or the text itself. */
static char *nested_text(const struct props *p, const char *name, const char *inner)
{
	const struct prop *pr = prop_find(p, name);
	if (!pr)
		return NULL;
	if (!attr(pr->node, "itemscope"))
		return prop_text(p, name);
	struct props sub = {0};
	char *t = item_props(pr->node, &sub) == 0 ? prop_text(&sub, inner) : NULL;
	free(sub.v);
	return t;
}

static int nested_props(const struct props *p, const char *name, struct props *sub)
{
	const struct prop *pr = prop_find(p, name);
	if (!pr || !attr(pr->node, "itemscope"))
		return 0;
	return item_props(pr->node, sub);
}

static int add_all(const struct props *p, const char *name, cJSON **arr, int kind)
{
	for (size_t i = 0; i < p->n; i++) {
		if (p->v[i].name_len != strlen(name) || memcmp(p->v[i].name, name, p->v[i].name_len))
			continue;
		const GumboNode *node = p->v[i].node;
		struct props sub = {0};
		char *raw = NULL;
		int rc;
		if (attr(node, "itemscope") && kind == 1) {
			/* a HowToStep / HowToSection item */
			rc = item_props(node, &sub);
			const struct prop *t = rc == 0 ? prop_find(&sub, "text") : NULL;
			rc = rc == 0 ? prop_value(t ? t->node : node, NULL, false, &raw) : rc;
		} else {
			rc = prop_value(node, NULL, false, &raw);
		}
		free(sub.v);
		if (rc == 0 && raw) {
			if (kind == 0) {
				char *t = rsd_text_clean(raw, strlen(raw));
				rc = t ? rsd_extract_list_add(arr, t, false) : -ENOMEM;
				free(t);
			} else if (kind == 1) {
				rc = rsd_extract_add_steps(arr, raw, strlen(raw));
			} else {
				rc = rsd_extract_list_add(arr, raw, true);
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
	struct props sub = {0};
	int rc = nested_props(p, "nutrition", &sub);
	for (size_t i = 0; rc == 0 && i < sub.n; i++) {
		char *name = strndup(sub.v[i].name, sub.v[i].name_len);
		char *raw = NULL, *t = NULL;
		rc = name ? prop_value(sub.v[i].node, NULL, false, &raw) : -ENOMEM;
		if (rc == 0 && raw && !(t = rsd_text_clean(raw, strlen(raw))))
			rc = -ENOMEM;
		if (rc == 0 && t && *t && (f->nutrients || (f->nutrients = cJSON_CreateObject())) &&
		    !cJSON_GetObjectItemCaseSensitive(f->nutrients, name)) {
			if (!cJSON_AddStringToObject(f->nutrients, name, t))
				rc = -ENOMEM;
			if (strcmp(name, "calories") == 0 && !f->has_calories)
				f->has_calories = rsd_text_first_number(t, &f->calories);
		}
		free(name);
		free(raw);
		free(t);
	}
	free(sub.v);
	return rc;
}

static void rating(const struct props *p, struct rsd_recipe_fields *f)
{
	struct props sub = {0};
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
	struct walker w = {0};
	const GumboNode *n, *found = NULL;
	if (walker_push(&w, dom->document) < 0)
		return NULL;
	while (!found && (n = walker_pop(&w)) != NULL) {
		if (is_element(n) && is_recipe_scope(attr(n, "itemscope"), attr(n, "itemtype")))
			found = n;
		else if (walker_push_children(&w, n) < 0)
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
	struct props p = {0};
	int rc = item_props(scope, &p);
	if (rc == 0) {
		f->title = prop_text(&p, "name");
		f->description = prop_text(&p, "description");
		f->author = nested_text(&p, "author", "name");
		f->language = prop_text(&p, "inLanguage");
		const struct prop *img = prop_find(&p, "image");
		if (img && attr(img->node, "itemscope")) {
			struct props sub = {0};
			if (item_props(img->node, &sub) == 0 && (img = prop_find(&sub, "url")) != NULL)
				rc = prop_value(img->node, base_url, true, &f->image);
			free(sub.v);
		} else if (img) {
			rc = prop_value(img->node, base_url, true, &f->image);
		}
		char *y = prop_text(&p, "recipeYield");
		if (!y)
			y = prop_text(&p, "yield");
		f->yields = y ? rsd_extract_yields_text(y) : NULL;
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
		rc = add_all(&p, "recipeInstructions", &f->instructions_list, 1);
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
