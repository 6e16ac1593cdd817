/* SPDX-License-Identifier: MIT */
/* The DOM side of the extractor: page information from a gumbo tree (the
 * reference for the fast scan), schema.org microdata, the fallback for
 * pages without a JSON-LD Recipe, and recipes in plain HTML (hRecipe,
 * recipe plugins' containers, lists named by class/id or by a heading).
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
		rc = rsd_extract_keep_first(&pi->base_href, attr(n, "href"), false);
		break;
	case GUMBO_TAG_HTML:
		rc = rsd_extract_keep_first(&pi->lang, attr(n, "lang"), true);
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
static int text_content_of(const GumboNode *root, bool visible_only, struct rsd_text_buf *out);
/* The same for a small element (a heading): -E2BIG past max_nodes nodes,
 * so that testing every element of a deep tree stays linear. */
static int text_content_small(const GumboNode *root, size_t max_nodes, struct rsd_text_buf *out);

static int text_content(const GumboNode *root, struct rsd_text_buf *out)
{
	return text_content_of(root, false, out);
}

static bool is_hidden(const GumboNode *n);

static int text_walk(const GumboNode *root, bool visible_only, size_t max_nodes,
		     struct rsd_text_buf *out)
{
	struct walker w = {0};
	int rc = walker_push(&w, root);
	const GumboNode *n;
	size_t visited = 0;
	while (rc == 0 && (n = walker_pop(&w)) != NULL) {
		if (max_nodes && ++visited > max_nodes) {
			rc = -E2BIG;
			break;
		}
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
		if (visible_only && is_hidden(n))
			continue;
		if (is_block(t))
			rc = rsd_text_buf_putc(out, '\n');
		if (rc == 0)
			rc = walker_push_children(&w, n);
	}
	free(w.stack);
	if (rc == 0 && !out->data)
		rc = rsd_text_buf_append(out, "", 0); /* "" for an empty subtree, terminated */
	return rc;
}

static int text_content_of(const GumboNode *root, bool visible_only, struct rsd_text_buf *out)
{
	return text_walk(root, visible_only, 0, out);
}

static int text_content_small(const GumboNode *root, size_t max_nodes, struct rsd_text_buf *out)
{
	return text_walk(root, true, max_nodes, out);
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
		*out = v ? rsd_extract_field_url(base_url, v) : NULL;
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

/* ---- recipes in plain HTML ---------------------------------------------- */

/* Pages without usable schema.org data still mark their recipe up: the
 * hRecipe microformat (class "hrecipe", mf2 "h-recipe") and the containers
 * of the WordPress recipe plugins, each used by thousands of sites. Their
 * lists are <li> (or <p>) under an element whose class or id names them
 * ("ingredients", "instructions", "directions", "method", "steps"), or
 * follow a heading that names them. These heuristics only ever run on a
 * page already known to hold a recipe: they never make one up. */

static const char *const RECIPE_ROOTS[] = {"hrecipe", "h-recipe", "wprm-recipe-container",
	"tasty-recipes", "mv-create-card", "zlrecipe-container", "easyrecipe", "wpurp-container",
	NULL};

bool rsd_html_may_have_recipe(const char *html, size_t len)
{
	for (size_t i = 0; RECIPE_ROOTS[i]; i++)
		if (memmem(html, len, RECIPE_ROOTS[i], strlen(RECIPE_ROOTS[i])))
			return true;
	return false;
}

/* Whether the white space separated list has the token (ASCII case-insensitive). */
static bool has_token(const char *list, const char *token)
{
	size_t tn = strlen(token);
	for (const char *p = list; p && *p;) {
		p += strspn(p, " \t\n\r\f");
		size_t n = strcspn(p, " \t\n\r\f");
		if (n == tn && rsd_text_ieq(p, n, token))
			return true;
		p += n;
	}
	return false;
}

static bool has_any_token(const char *list, const char *const *tokens)
{
	for (size_t i = 0; tokens && tokens[i]; i++)
		if (has_token(list, tokens[i]))
			return true;
	return false;
}

static bool contains_any(const char *s, const char *const *fragments)
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
	for (const char *p = style; (p = rsd_text_icasefind(p, (size_t)(end - p), "display")) != NULL;) {
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

/* Text a reader does not see (hidden, or for screen readers only: the
 * "▢" of a checkbox, "Ingredient" labels) is not part of the recipe. */
static bool is_hidden(const GumboNode *n)
{
	static const char *const SR_ONLY[] = {"sr-only", "screen-reader-text", "visually-hidden",
		"wprm-screen-reader-text", NULL};
	if (!is_element(n))
		return false;
	const char *style = attr(n, "style");
	return attr(n, "hidden") || (style && style_hides(style)) ||
	       has_any_token(attr(n, "class"), SR_ONLY);
}

static int add_text_item(cJSON **arr, const char *raw)
{
	char *t = rsd_text_clean(raw, strlen(raw));
	if (!t)
		return -ENOMEM;
	cJSON *s = NULL;
	int rc = 0;
	if (*t && ((!*arr && !(*arr = cJSON_CreateArray())) || !(s = cJSON_CreateString(t)) ||
		   !cJSON_AddItemToArray(*arr, s))) {
		cJSON_Delete(s);
		rc = -ENOMEM;
	}
	free(t);
	return rc;
}

/* The visible text of n, cleaned, appended to *arr when not empty. */
static int add_element_text(cJSON **arr, const GumboNode *n)
{
	struct rsd_text_buf b = {0};
	int rc = text_content_of(n, true, &b);
	if (rc == 0)
		rc = add_text_item(arr, b.data);
	rsd_text_buf_free(&b);
	return rc;
}

/* Appends the text of every visible <tag> in root's subtree (root
 * included), without descending into one: a nested list belongs to its
 * item. */
static int collect_items(const GumboNode *root, GumboTag tag, cJSON **arr)
{
	struct walker w = {0};
	int rc = walker_push(&w, root);
	const GumboNode *n;
	while (rc == 0 && (n = walker_pop(&w)) != NULL) {
		if (!is_element(n) || is_hidden(n))
			continue;
		if (n->v.element.tag == tag)
			rc = add_element_text(arr, n);
		else
			rc = walker_push_children(&w, n);
	}
	free(w.stack);
	return rc;
}

enum list_kind { LIST_INGREDIENTS, LIST_INSTRUCTIONS };

/* Class or id fragments that name a list. */
static const char *const LIST_NAMES[2][6] = {
	{"ingredient", NULL},
	{"instruction", "direction", "method", "step", "preparation", NULL},
};

/* Heading texts that announce a list (lowercase, without a final ':'). */
static const char *const LIST_HEADINGS[2][14] = {
	{"ingredients", "ingredient list", "zutaten", "ingrédients", "ingredientes", "ingredienti",
	 "ingrediënten", "ingredienser", "składniki", NULL},
	{"method", "instructions", "directions", "preparation", "steps", "how to make it",
	 "zubereitung", "préparation", "preparación", "preparazione", "bereiding", "fremgangsmåte",
	 "fremgangsmåde", NULL},
};

static bool named_for(const GumboNode *n, int kind)
{
	return contains_any(attr(n, "class"), LIST_NAMES[kind]) ||
	       contains_any(attr(n, "id"), LIST_NAMES[kind]);
}

static size_t n_items(const cJSON *arr)
{
	return arr ? (size_t)cJSON_GetArraySize(arr) : 0;
}

/* The items of a list container: its <li>, else (steps written as
 * paragraphs) its <p>. */
static int container_items(const GumboNode *n, int kind, cJSON **items)
{
	int rc = collect_items(n, GUMBO_TAG_LI, items);
	if (rc == 0 && n_items(*items) < 2 && kind == LIST_INSTRUCTIONS) {
		cJSON_Delete(*items);
		*items = NULL;
		rc = collect_items(n, GUMBO_TAG_P, items);
	}
	return rc;
}

/* The outermost visible element under root, first in document order,
 * named for kind (and not also for the other kind: "ingredients-and-
 * method" wraps both) that holds at least two items. A named element with
 * fewer is not searched further, which keeps the walk linear. */
static int list_by_name(const GumboNode *root, int kind, cJSON **out)
{
	struct walker w = {0};
	int rc = walker_push(&w, root);
	const GumboNode *n;
	while (rc == 0 && !*out && (n = walker_pop(&w)) != NULL) {
		if (!is_element(n) || is_hidden(n))
			continue;
		GumboTag t = n->v.element.tag;
		bool body = t == GUMBO_TAG_HTML || t == GUMBO_TAG_BODY;
		if (!body && named_for(n, kind) && !named_for(n, !kind)) {
			cJSON *items = NULL;
			rc = container_items(n, kind, &items);
			if (rc == 0 && n_items(items) >= 2)
				*out = items;
			else
				cJSON_Delete(items);
			continue;
		}
		rc = walker_push_children(&w, n);
	}
	free(w.stack);
	return rc;
}

static int heading_level(GumboTag t)
{
	switch (t) {
	case GUMBO_TAG_H1: return 1;
	case GUMBO_TAG_H2: return 2;
	case GUMBO_TAG_H3: return 3;
	case GUMBO_TAG_H4: return 4;
	case GUMBO_TAG_H5: return 5;
	case GUMBO_TAG_H6: return 6;
	default: return 0;
	}
}

/* Whether n is a short heading-like element whose whole text announces a
 * list of that kind ("Ingredients", "Method:"). kind -1: of either kind. */
static bool is_list_heading(const GumboNode *n, int kind)
{
	GumboTag t = n->v.element.tag;
	if (!heading_level(t) && t != GUMBO_TAG_P && t != GUMBO_TAG_STRONG && t != GUMBO_TAG_B &&
	    t != GUMBO_TAG_DT)
		return false;
	struct rsd_text_buf b = {0};
	char *text = NULL;
	if (text_content_small(n, 32, &b) == 0 && b.len < 64)
		text = rsd_text_clean(b.data, b.len);
	rsd_text_buf_free(&b);
	if (!text)
		return false;
	size_t len = strlen(text);
	while (len && (text[len - 1] == ':' || text[len - 1] == ' '))
		len--;
	bool found = false;
	for (int k = 0; k < 2 && !found; k++)
		for (size_t i = 0; (kind < 0 || kind == k) && LIST_HEADINGS[k][i] && !found; i++)
			found = rsd_text_ieq(text, len, LIST_HEADINGS[k][i]);
	free(text);
	return found;
}

static const GumboNode *next_element(const GumboNode *n)
{
	const GumboNode *p = n->parent;
	if (!p)
		return NULL;
	const GumboVector *c = children_of(p);
	for (size_t i = n->index_within_parent + 1; c && i < c->length; i++)
		if (is_element(c->data[i]))
			return c->data[i];
	return NULL;
}

/* A sibling that starts another part of the page: a heading of the same
 * or a higher rank, any heading that names a list, or the other list. */
static bool ends_section(const GumboNode *sib, int level, int kind)
{
	int l = heading_level(sib->v.element.tag);
	return (l && (!level || l <= level)) || is_list_heading(sib, -1) || named_for(sib, !kind);
}

/* The items in the siblings that follow heading h, up to the next section. */
static int items_after(const GumboNode *h, int kind, GumboTag tag, cJSON **items)
{
	int level = heading_level(h->v.element.tag);
	/* <p><strong>Method</strong></p>: the list follows the wrapper */
	for (int up = 0; up < 3 && !next_element(h) && h->parent && is_element(h->parent) &&
			 h->parent->v.element.tag != GUMBO_TAG_BODY; up++)
		h = h->parent;
	int rc = 0;
	for (const GumboNode *s = next_element(h); rc == 0 && s && !ends_section(s, level, kind);
	     s = next_element(s))
		if (!is_hidden(s))
			rc = collect_items(s, tag, items);
	return rc;
}

/* The list that follows the first heading announcing it. */
static int list_by_heading(const GumboNode *root, int kind, cJSON **out)
{
	struct walker w = {0};
	int rc = walker_push(&w, root);
	const GumboNode *n;
	while (rc == 0 && !*out && (n = walker_pop(&w)) != NULL) {
		if (!is_element(n) || is_hidden(n))
			continue;
		if (!is_list_heading(n, kind)) {
			rc = walker_push_children(&w, n);
			continue;
		}
		cJSON *items = NULL;
		rc = items_after(n, kind, GUMBO_TAG_LI, &items);
		if (rc == 0 && n_items(items) < 2 && kind == LIST_INSTRUCTIONS) {
			cJSON_Delete(items);
			items = NULL;
			rc = items_after(n, kind, GUMBO_TAG_P, &items);
		}
		if (rc == 0 && n_items(items) >= 2)
			*out = items;
		else
			cJSON_Delete(items);
	}
	free(w.stack);
	return rc;
}

/* Replaces *list by the HTML list of that kind under root, if there is
 * one of at least two items. */
static int html_list(const GumboNode *root, int kind, cJSON **list)
{
	cJSON *found = NULL;
	int rc = list_by_name(root, kind, &found);
	if (rc == 0 && !found)
		rc = list_by_heading(root, kind, &found);
	if (rc == 0 && found) {
		cJSON_Delete(*list);
		*list = found;
		return 1;
	}
	cJSON_Delete(found);
	return rc;
}

int rsd_html_recipe_lists(const GumboOutput *dom, struct rsd_recipe_fields *f)
{
	int rc = 0;
	if (n_items(f->ingredients) < 2)
		rc = html_list(dom->root, LIST_INGREDIENTS, &f->ingredients);
	if (rc >= 0 && n_items(f->instructions_list) == 0)
		rc = html_list(dom->root, LIST_INSTRUCTIONS, &f->instructions_list);
	return rc < 0 ? rc : 0;
}

/* ---- hRecipe and recipe plugin containers ---- */

/* The first element of root's subtree (root included) with one of the
 * class tokens or whose class contains one of the fragments. */
static const GumboNode *find_class(const GumboNode *root, const char *const *tokens,
				   const char *const *fragments)
{
	struct walker w = {0};
	const GumboNode *n, *found = NULL;
	int rc = walker_push(&w, root);
	while (rc == 0 && !found && (n = walker_pop(&w)) != NULL) {
		if (!is_element(n))
			continue;
		const char *cls = attr(n, "class");
		if (has_any_token(cls, tokens) || contains_any(cls, fragments))
			found = n;
		else
			rc = walker_push_children(&w, n);
	}
	free(w.stack);
	return found;
}

static char *class_text(const GumboNode *root, const char *const *tokens, const char *const *fragments)
{
	const GumboNode *n = find_class(root, tokens, fragments);
	if (!n)
		return NULL;
	struct rsd_text_buf b = {0};
	char *t = NULL;
	if (text_content_of(n, true, &b) == 0)
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
	const char *const tokens[] = {token, NULL};
	const GumboNode *n = find_class(root, tokens, NULL);
	if (!n)
		return -1;
	const GumboNode *vt = find_class(n, (const char *const[]){"value-title", NULL}, NULL);
	const char *v = attr(n, "datetime");
	if (!v)
		v = attr(n, "content");
	if (!v && vt)
		v = attr(vt, "title");
	if (v)
		return rsd_text_duration_minutes(v);
	char *t = class_text(n, tokens, NULL);
	long m = rsd_text_duration_minutes(t);
	free(t);
	return m;
}

static int class_image(const GumboNode *root, const char *base_url, char **out)
{
	static const char *const PHOTO[] = {"photo", "u-photo", NULL};
	static const char *const PHOTO_PARTS[] = {"recipe-image", NULL};
	const GumboNode *n = find_class(root, PHOTO, PHOTO_PARTS);
	if (n && n->v.element.tag != GUMBO_TAG_IMG) {
		struct walker w = {0};
		const GumboNode *m = NULL;
		int rc = walker_push(&w, n);
		for (n = NULL; rc == 0 && !n && (m = walker_pop(&w)) != NULL;)
			if (is_element(m) && m->v.element.tag == GUMBO_TAG_IMG)
				n = m;
			else if (is_element(m))
				rc = walker_push_children(&w, m);
		free(w.stack);
		if (rc < 0)
			return rc;
	}
	const char *src = n ? attr(n, "src") : NULL;
	*out = src ? rsd_extract_field_url(base_url, src) : NULL;
	return 0;
}

static const GumboNode *find_recipe_root(const GumboOutput *dom)
{
	return find_class(dom->root, RECIPE_ROOTS, NULL);
}

/* hRecipe "ingredient" elements one by one, "instructions" as text. */
static int microformat_lists(const GumboNode *root, struct rsd_recipe_fields *f)
{
	static const char *const ING[] = {"ingredient", "p-ingredient", NULL};
	static const char *const INS[] = {"instructions", "e-instructions", NULL};
	struct walker w = {0};
	int rc = f->ingredients ? 0 : walker_push(&w, root);
	const GumboNode *n;
	while (rc == 0 && (n = walker_pop(&w)) != NULL) {
		if (!is_element(n) || is_hidden(n))
			continue;
		if (has_any_token(attr(n, "class"), ING))
			rc = add_element_text(&f->ingredients, n);
		else
			rc = walker_push_children(&w, n);
	}
	free(w.stack);
	const GumboNode *ins = rc == 0 && !f->instructions_list ? find_class(root, INS, NULL) : NULL;
	if (ins) {
		struct rsd_text_buf b = {0};
		rc = text_content_of(ins, true, &b);
		if (rc == 0)
			rc = rsd_extract_add_steps(&f->instructions_list, b.data, b.len);
		rsd_text_buf_free(&b);
	}
	return rc;
}

int rsd_html_recipe_fields(const GumboOutput *dom, const char *base_url, struct rsd_recipe_fields *f)
{
	static const char *const NAME[] = {"fn", "p-name", NULL};
	static const char *const NAME_PARTS[] = {"recipe-name", "recipe-title", "recipes-title",
		"create-title", NULL};
	static const char *const SUMMARY[] = {"summary", "p-summary", NULL};
	static const char *const SUMMARY_PARTS[] = {"recipe-summary", "recipe-description", NULL};
	static const char *const AUTHOR[] = {"author", "p-author", NULL};
	static const char *const AUTHOR_PARTS[] = {"recipe-author", NULL};
	static const char *const YIELD[] = {"yield", "p-yield", NULL};
	static const char *const YIELD_PARTS[] = {"recipe-yield", "recipe-servings", NULL};

	const GumboNode *root = find_recipe_root(dom);
	if (!root)
		return 0;
	int rc = html_list(root, LIST_INGREDIENTS, &f->ingredients);
	if (rc >= 0)
		rc = html_list(root, LIST_INSTRUCTIONS, &f->instructions_list);
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
	f->yields = y ? rsd_extract_yields_text(y) : NULL;
	free(y);
	f->prep_time = class_minutes(root, "preptime");
	f->cook_time = class_minutes(root, "cooktime");
	f->total_time = class_minutes(root, "duration");
	if (f->total_time <= 0 && (f->prep_time > 0 || f->cook_time > 0))
		f->total_time = (f->prep_time > 0 ? f->prep_time : 0) + (f->cook_time > 0 ? f->cook_time : 0);
	rc = class_image(root, base_url, &f->image);
	return rc < 0 ? rc : 1;
}
