/* SPDX-License-Identifier: MIT */
/* The DOM side of the extractor: page information from a gumbo tree (the
 * reference for the fast scan), schema.org microdata, the fallback for
 * pages without a JSON-LD Recipe, recipes in plain HTML (hRecipe, recipe
 * plugins' containers, lists named by class/id or by a heading) and, last,
 * recipes without any markup (an ingredients and a method section).
 *
 * Every walk is iterative with an explicit stack: a hostile page can nest
 * elements far deeper than the thread stack would allow recursion. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract_internal.h"
#include "gumbo_guard.h"

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

/* Whether one token of the white space separated list (NULL: none)
 * satisfies the test. */
static bool any_token(const char *list, bool (*test)(const char *token, size_t len))
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
static bool is_recipe_scope(const char *itemscope, const char *itemtype)
{
	return itemscope && any_token(itemtype, rsd_extract_is_recipe_type);
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

/* How text_walk renders a subtree: all text, only what a reader sees, or
 * what a reader sees with one line per block (the source's own line
 * breaks are white space then, as in a browser). */
enum text_mode { TEXT_ALL, TEXT_VISIBLE, TEXT_LINES };

static int append_text_node(const GumboNode *n, enum text_mode mode, struct rsd_text_buf *out)
{
	size_t from = out->len;
	int rc = rsd_text_buf_append(out, n->v.text.text, strlen(n->v.text.text));
	for (size_t i = from; rc == 0 && mode == TEXT_LINES && i < out->len; i++)
		if (out->data[i] == '\n' || out->data[i] == '\r')
			out->data[i] = ' ';
	return rc;
}

/* A text walk enters element n: scripts and styles hold no text, a block
 * element starts a new line. */
static int walk_into_element(struct walker *w, const GumboNode *n, struct rsd_text_buf *out)
{
	GumboTag t = n->v.element.tag;
	if (t == GUMBO_TAG_SCRIPT || t == GUMBO_TAG_STYLE || t == GUMBO_TAG_NOSCRIPT)
		return 0;
	int rc = is_block(t) ? rsd_text_buf_putc(out, '\n') : 0;
	return rc == 0 ? walker_push_children(w, n) : rc;
}

static int text_walk(const GumboNode *root, enum text_mode mode, size_t max_nodes,
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
			rc = append_text_node(n, mode, out);
			continue;
		}
		if (is_element(n) && (mode == TEXT_ALL || !is_hidden(n)))
			rc = walk_into_element(&w, n, out);
	}
	free(w.stack);
	if (rc == 0 && !out->data)
		rc = rsd_text_buf_append(out, "", 0); /* "" for an empty subtree, terminated */
	return rc;
}

static int text_content_of(const GumboNode *root, bool visible_only, struct rsd_text_buf *out)
{
	return text_walk(root, visible_only ? TEXT_VISIBLE : TEXT_ALL, 0, out);
}

static int text_content_small(const GumboNode *root, size_t max_nodes, struct rsd_text_buf *out)
{
	return text_walk(root, TEXT_VISIBLE, max_nodes, out);
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
	if (t && !rsd_text_has_word(t)) {
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
	size_t budget = RSD_LIST_READ_MAX; /* kinds 0 and 2: lists without duplicates */
	for (size_t i = 0; i < p->n && (kind == 1 || budget > 0); i++) {
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
				rc = t ? rsd_extract_list_add(arr, t, false, &budget) : -ENOMEM;
				free(t);
			} else if (kind == 1) {
				rc = rsd_extract_add_steps(arr, raw, strlen(raw));
			} else {
				rc = rsd_extract_list_add(arr, raw, true, &budget);
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
		if (rc == 0 && t && *t)
			rc = rsd_extract_add_nutrient(f, name, t);
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
 * follow a heading that names them. Here these heuristics only run on a
 * page already known to hold a recipe; the last fallback below (recipes
 * without any markup) uses them too, but only with its stricter test of
 * both sections, outside the page furniture. */

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
	if (rsd_text_has_word(t) && ((!*arr && !(*arr = cJSON_CreateArray())) ||
				     !(s = cJSON_CreateString(t)) || !cJSON_AddItemToArray(*arr, s))) {
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

/* Each visible line of n (blocks and <br> end one) as an item. */
static int add_element_lines(cJSON **arr, const GumboNode *n)
{
	struct rsd_text_buf b = {0};
	int rc = text_walk(n, TEXT_LINES, 0, &b);
	for (char *line = b.data, *end = NULL; rc == 0 && line; line = end ? end + 1 : NULL) {
		if ((end = strchr(line, '\n')) != NULL)
			*end = '\0';
		rc = add_text_item(arr, line);
	}
	rsd_text_buf_free(&b);
	return rc;
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

/* A <dt> with the <dd>s that follow it, as one item. */
static int add_term_text(cJSON **arr, const GumboNode *dt)
{
	struct rsd_text_buf b = {0};
	int rc = text_content_of(dt, true, &b);
	for (const GumboNode *s = next_element(dt); rc == 0 && s && s->v.element.tag == GUMBO_TAG_DD;
	     s = next_element(s))
		if ((rc = rsd_text_buf_putc(&b, ' ')) == 0)
			rc = text_content_of(s, true, &b);
	if (rc == 0)
		rc = add_text_item(arr, b.data);
	rsd_text_buf_free(&b);
	return rc;
}

/* The ways a section writes its items, tried in this order: list items,
 * definition terms (with their definitions), table rows, paragraphs
 * (one item per line: <br> separates them), and at last the lines of the
 * section's text, which is what a grid of <div>s gives. */
static const GumboTag ITEM_FORMS[] = {GUMBO_TAG_LI, GUMBO_TAG_DT, GUMBO_TAG_TR, GUMBO_TAG_P,
	GUMBO_TAG_UNKNOWN};

static int add_item(cJSON **arr, const GumboNode *n, GumboTag form)
{
	switch (form) {
	case GUMBO_TAG_DT: return add_term_text(arr, n);
	case GUMBO_TAG_P: return add_element_lines(arr, n);
	default: return add_element_text(arr, n);
	}
}

static char *small_text(const GumboNode *n);
static size_t n_items(const cJSON *arr);

/* The text of the link or button that ends item n ("<li>salt <a>shopping
 * list</a></li>"), or NULL. */
static char *item_action(const GumboNode *n)
{
	const GumboVector *c = children_of(n);
	for (size_t i = c ? c->length : 0; i-- > 0;) {
		const GumboNode *k = c->data[i];
		if (k->type == GUMBO_NODE_WHITESPACE || k->type == GUMBO_NODE_COMMENT)
			continue;
		if (!is_element(k) || is_hidden(k) ||
		    (k->v.element.tag != GUMBO_TAG_A && k->v.element.tag != GUMBO_TAG_BUTTON))
			return NULL;
		char *t = small_text(k);
		if (t && !rsd_text_has_word(t)) {
			free(t);
			t = NULL;
		}
		return t;
	}
	return NULL;
}

/* The same action closing every item ("Add to shopping list") is the
 * list's, not part of what each item says: tracked item by item, then
 * cut off the items' ends. */
struct item_actions {
	char *common; /* NULL: none yet, or the items differ */
	size_t items;
	bool differ;
};

static void track_action(struct item_actions *a, const GumboNode *item)
{
	char *t = a->differ ? NULL : item_action(item);
	if (!t || (a->common && strcmp(t, a->common) != 0)) {
		a->differ = true;
		free(t);
		return;
	}
	if (!a->common)
		a->common = t;
	else
		free(t);
	a->items++;
}

static int drop_actions(struct item_actions *a, cJSON *arr)
{
	size_t n = a->common ? strlen(a->common) : 0;
	if (a->differ || a->items < 2 || (size_t)cJSON_GetArraySize(arr) != a->items)
		return 0;
	for (cJSON *e = arr->child; e; e = e->next) {
		size_t len = strlen(e->valuestring);
		if (len <= n + 1 || strcmp(e->valuestring + len - n, a->common) != 0 ||
		    e->valuestring[len - n - 1] != ' ')
			return 0;
	}
	for (cJSON *e = arr->child, *next; e; e = next) {
		next = e->next;
		e->valuestring[strlen(e->valuestring) - n - 1] = '\0';
		cJSON *cut = cJSON_CreateString(e->valuestring);
		if (!cut || !cJSON_ReplaceItemViaPointer(arr, e, cut)) {
			cJSON_Delete(cut);
			return -ENOMEM;
		}
	}
	return 0;
}

/* Appends the items of that form in root's subtree (root included),
 * without descending into one: a nested list belongs to its item. */
static int collect_items(const GumboNode *root, GumboTag form, cJSON **arr)
{
	if (!is_element(root) || is_hidden(root))
		return 0;
	if (form == GUMBO_TAG_UNKNOWN)
		return add_element_lines(arr, root);
	struct walker w = {0};
	struct item_actions actions = {0};
	size_t before = n_items(*arr);
	int rc = walker_push(&w, root);
	const GumboNode *n;
	while (rc == 0 && (n = walker_pop(&w)) != NULL) {
		if (!is_element(n) || is_hidden(n))
			continue;
		if (n->v.element.tag == form) {
			rc = add_item(arr, n, form);
			if (form == GUMBO_TAG_LI)
				track_action(&actions, n);
		} else {
			rc = walker_push_children(&w, n);
		}
	}
	free(w.stack);
	if (rc == 0 && before == 0 && *arr)
		rc = drop_actions(&actions, *arr);
	free(actions.common);
	return rc;
}

enum list_kind { LIST_INGREDIENTS, LIST_INSTRUCTIONS };

/* Class or id fragments that name a list. */
static const char *const LIST_NAMES[2][6] = {
	{"ingredient", NULL},
	{"instruction", "direction", "method", "step", "preparation", NULL},
};

/* Heading texts that announce a list (lowercase, without a final ':'), in
 * the languages of most recipe sites: en, de, fr, es, it, nl, pt, sv, no,
 * da, pl, cs. */
static const char *const LIST_HEADINGS[2][32] = {
	{"ingredients", "ingredient list", "zutaten", "ingrédients", "ingredientes", "ingredienti",
	 "ingrediënten", "ingredienser", "składniki", "suroviny", "ingredience", "what you need",
	 "you will need", "you'll need", NULL},
	{"method", "instructions", "directions", "preparation", "steps", "how to make it",
	 "how to make", "zubereitung", "anleitung", "préparation", "instructions de préparation",
	 "étapes", "preparación", "instrucciones", "elaboración", "pasos", "preparazione",
	 "procedimento", "bereiding", "bereidingswijze", "modo de preparo", "modo de preparação",
	 "preparo", "gör så här", "tillagning", "fremgangsmåte", "fremgangsmåde", "sådan gør du",
	 "przygotowanie", "sposób przygotowania", "postup", NULL},
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

/* Class tokens (and ids) of page furniture: exact names, and names that
 * start or end with one ("main-menu", "comments-area", "left-sidebar";
 * not "content-sidebar-wrap", which holds the content). */
static bool chrome_token(const char *t, size_t n)
{
	static const char *const EXACT[] = {"nav", "navbar", "navigation", "breadcrumb",
		"breadcrumbs", "header", "footer", "site-header", "site-footer", "widget-area", NULL};
	static const char *const PARTS[] = {"menu", "sidebar", "comment", "comments", NULL};
	for (size_t i = 0; EXACT[i]; i++)
		if (rsd_text_ieq(t, n, EXACT[i]))
			return true;
	for (size_t i = 0; PARTS[i]; i++) {
		size_t k = strlen(PARTS[i]);
		if (n < k)
			continue;
		if (rsd_text_ieq(t, k, PARTS[i]) && (n == k || t[k] == '-' || t[k] == '_' ||
						      strcmp(PARTS[i], "comment") == 0))
			return true;
		if (n > k && rsd_text_ieq(t + n - k, k, PARTS[i]) && (t[n - k - 1] == '-' || t[n - k - 1] == '_'))
			return true;
	}
	return false;
}


/* Page furniture around the content: navigation, sidebars, footers, site
 * headers, forms and comments. Their words ("Ingredients" in a menu, a
 * comment's "method") are not a recipe's sections. A <header> inside an
 * article or <main> heads the content itself; a <form> that is a child of
 * <body> wraps the whole page (ASP.NET). */
static bool is_chrome(const GumboNode *n)
{
	switch (n->v.element.tag) {
	case GUMBO_TAG_NAV: case GUMBO_TAG_ASIDE: case GUMBO_TAG_MENU: case GUMBO_TAG_FOOTER:
		return true;
	case GUMBO_TAG_HEADER: {
		/* bounded: the walk up costs a constant per header */
		const GumboNode *p = n->parent;
		for (int up = 0; up < 16 && p && is_element(p); up++, p = p->parent)
			if (p->v.element.tag == GUMBO_TAG_ARTICLE || p->v.element.tag == GUMBO_TAG_MAIN)
				return false;
		return true;
	}
	case GUMBO_TAG_FORM:
		return !(n->parent && is_element(n->parent) && n->parent->v.element.tag == GUMBO_TAG_BODY);
	default:
		return any_token(attr(n, "class"), chrome_token) || any_token(attr(n, "id"), chrome_token);
	}
}

/* Byte offset of an element's start tag in the page: document order of
 * explicit elements without walking the tree. */
static size_t source_offset(const GumboNode *n)
{
	return n->v.element.start_pos.offset;
}

/* What a list search looks for. */
struct list_query {
	int kind;
	size_t min_items;
	bool content_only;          /* skip page furniture (is_chrome) */
	const GumboNode *after;     /* only sections that start after this one */
};

struct found_list {
	cJSON *items;
	const GumboNode *at; /* the named container or the heading */
};

static bool query_skips(const struct list_query *q, const GumboNode *n)
{
	return !is_element(n) || is_hidden(n) || (q->content_only && is_chrome(n));
}

static bool query_after(const struct list_query *q, const GumboNode *n)
{
	return !q->after || source_offset(n) > source_offset(q->after);
}

/* An item that only names a list ("Method" in the box that toggles the
 * method open) labels the section; it is not one of its items. */
static void drop_labels(cJSON **items)
{
	for (cJSON *e = *items ? (*items)->child : NULL, *next; e; e = next) {
		next = e->next;
		size_t len = strlen(e->valuestring);
		while (len && (e->valuestring[len - 1] == ':' || e->valuestring[len - 1] == ' '))
			len--;
		for (int k = 0; k < 2; k++)
			for (size_t i = 0; LIST_HEADINGS[k][i]; i++)
				if (e && rsd_text_ieq(e->valuestring, len, LIST_HEADINGS[k][i])) {
					cJSON_Delete(cJSON_DetachItemViaPointer(*items, e));
					e = NULL;
				}
	}
}

/* The items of a list container, in the first form that gives enough. */
static int container_items(const GumboNode *n, size_t min_items, cJSON **items)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof ITEM_FORMS / sizeof ITEM_FORMS[0]; i++) {
		cJSON_Delete(*items);
		*items = NULL;
		rc = collect_items(n, ITEM_FORMS[i], items);
		drop_labels(items);
		if (n_items(*items) >= min_items)
			break;
	}
	return rc;
}

static int heading_level(GumboTag t);

/* Lists in groups ("For the sauce") repeat the named container: the
 * containers named alike that follow it, headings between them allowed,
 * add their items. A recipe in parts may give each part its ingredients
 * and then its steps: the other kind's containers between them are
 * passed over too. */
static int sibling_groups(const GumboNode *n, int kind, cJSON **items)
{
	int rc = 0;
	for (const GumboNode *s = next_element(n); rc == 0 && s; s = next_element(s)) {
		if (heading_level(s->v.element.tag) || is_hidden(s))
			continue;
		bool mine = named_for(s, kind), other = named_for(s, !kind);
		if (other && !mine)
			continue;
		if (!mine || other)
			break;
		cJSON *more = NULL;
		rc = container_items(s, 1, &more);
		for (cJSON *e = more ? more->child : NULL; rc == 0 && e; e = e->next)
			rc = add_text_item(items, e->valuestring);
		cJSON_Delete(more);
	}
	return rc;
}

/* "Prep Time: 5 mins", "Serves: 4": a short label and its value. */
static bool is_fact(const char *item)
{
	enum { LABEL_MAX = 30, FACT_MAX = 48 };
	const char *colon = strchr(item, ':');
	return colon && colon - item <= LABEL_MAX && colon[1] == ' ' && strlen(item) <= FACT_MAX;
}

/* A box of facts ("Prep Time: 5 mins", "Total time: 30 mins") named for
 * the method is no list of steps. */
static bool only_facts(const cJSON *items)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, items)
		if (!is_fact(e->valuestring))
			return false;
	return true;
}

/* The outermost visible element, first in document order, named for the
 * kind (and not also for the other kind: "ingredients-and-method" wraps
 * both) that holds enough items. A named element with fewer is not
 * searched further, which keeps the walk linear. */
static int list_by_name(const GumboNode *root, const struct list_query *q, struct found_list *out)
{
	struct walker w = {0};
	int rc = walker_push(&w, root);
	const GumboNode *n;
	while (rc == 0 && !out->items && (n = walker_pop(&w)) != NULL) {
		if (query_skips(q, n))
			continue;
		GumboTag t = n->v.element.tag;
		bool body = t == GUMBO_TAG_HTML || t == GUMBO_TAG_BODY;
		if (!body && query_after(q, n) && named_for(n, q->kind) && !named_for(n, !q->kind)) {
			cJSON *items = NULL;
			rc = container_items(n, q->min_items, &items);
			if (rc == 0 && n_items(items) >= q->min_items && n_items(items) &&
			    !(q->kind == LIST_INSTRUCTIONS && only_facts(items))) {
				*out = (struct found_list){items, n};
				rc = sibling_groups(n, q->kind, &out->items);
			} else {
				cJSON_Delete(items);
			}
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

/* Elements that can label a section: headings, and the emphasis, link,
 * button and plain boxes that pages style as headings (an accordion's
 * "Ingredients" toggle, a <div class="title">). */
static bool may_label(GumboTag t)
{
	switch (t) {
	case GUMBO_TAG_P: case GUMBO_TAG_STRONG: case GUMBO_TAG_B: case GUMBO_TAG_DT:
	case GUMBO_TAG_A: case GUMBO_TAG_SPAN: case GUMBO_TAG_DIV: case GUMBO_TAG_LABEL:
	case GUMBO_TAG_SUMMARY: case GUMBO_TAG_BUTTON: case GUMBO_TAG_TH: case GUMBO_TAG_EM:
	case GUMBO_TAG_LEGEND: case GUMBO_TAG_CAPTION:
		return true;
	default:
		return heading_level(t) != 0;
	}
}

/* Whether n is a short heading-like element whose whole text announces a
 * list of that kind ("Ingredients", "Method:"). kind -1: of either kind. */
static bool is_list_heading(const GumboNode *n, int kind)
{
	if (!may_label(n->v.element.tag))
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

/* A sibling that starts another part of the page: a heading of the same
 * or a higher rank, any heading that names a list, or the other list. */
static bool ends_section(const GumboNode *sib, int level, int kind)
{
	int l = heading_level(sib->v.element.tag);
	return (l && (!level || l <= level)) || is_list_heading(sib, -1) || named_for(sib, !kind);
}

/* The items in the siblings that follow heading h, up to the next section. */
static int items_after(const GumboNode *h, int kind, GumboTag form, cJSON **items)
{
	int level = heading_level(h->v.element.tag);
	/* <p><strong>Method</strong></p>: the list follows the wrapper */
	for (int up = 0; up < 3 && !next_element(h) && h->parent && is_element(h->parent) &&
			 h->parent->v.element.tag != GUMBO_TAG_BODY; up++)
		h = h->parent;
	int rc = 0;
	for (const GumboNode *s = next_element(h); rc == 0 && s && !ends_section(s, level, kind);
	     s = next_element(s))
		rc = collect_items(s, form, items);
	return rc;
}

/* The list that follows the first heading announcing it. */
static int list_by_heading(const GumboNode *root, const struct list_query *q, struct found_list *out)
{
	struct walker w = {0};
	int rc = walker_push(&w, root);
	const GumboNode *n;
	while (rc == 0 && !out->items && (n = walker_pop(&w)) != NULL) {
		if (query_skips(q, n))
			continue;
		if (!query_after(q, n) || !is_list_heading(n, q->kind)) {
			rc = walker_push_children(&w, n);
			continue;
		}
		cJSON *items = NULL;
		for (size_t i = 0; rc == 0 && i < sizeof ITEM_FORMS / sizeof ITEM_FORMS[0]; i++) {
			cJSON_Delete(items);
			items = NULL;
			rc = items_after(n, q->kind, ITEM_FORMS[i], &items);
			drop_labels(&items);
			if (n_items(items) >= q->min_items)
				break;
		}
		if (rc == 0 && n_items(items) >= q->min_items && n_items(items))
			*out = (struct found_list){items, n};
		else
			cJSON_Delete(items);
	}
	free(w.stack);
	return rc;
}

/* "1.", "2)", "Step 3:", "Schritt 4": a step's number, written as text. */
static size_t step_number_len(const char *s)
{
	static const char *const WORDS[] = {"step", "schritt", "étape", "etape", "paso", "passo",
		"stap", "krok", "steg", "trin", NULL};
	size_t i = 0;
	for (size_t k = 0; WORDS[k] && !i; k++) {
		size_t n = strlen(WORDS[k]);
		if (strncasecmp(s, WORDS[k], n) == 0 && s[n] == ' ')
			i = n + 1;
	}
	size_t digits = i;
	while (s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == digits || i - digits > 3)
		return 0;
	bool word = digits > 0;
	if (s[i] == '.' || s[i] == ')' || s[i] == ':')
		i++;
	else if (!word && s[i] != '\0')
		return 0; /* "2 cups ...": a quantity, not a number */
	while (s[i] == ' ')
		i++;
	return i;
}

/* Steps lose their written numbers; a bare number is no step. */
static int strip_step_numbers(cJSON **arr)
{
	cJSON *e = *arr ? (*arr)->child : NULL;
	while (e) {
		cJSON *next = e->next;
		size_t n = step_number_len(e->valuestring);
		if (n && !e->valuestring[n]) {
			cJSON_Delete(cJSON_DetachItemViaPointer(*arr, e));
		} else if (n) {
			cJSON *s = cJSON_CreateString(e->valuestring + n);
			if (!s || !cJSON_ReplaceItemViaPointer(*arr, e, s)) {
				cJSON_Delete(s);
				return -ENOMEM;
			}
		}
		e = next;
	}
	if (*arr && !(*arr)->child) {
		cJSON_Delete(*arr);
		*arr = NULL;
	}
	return 0;
}

/* The list of that kind under root: a container named for it, else the
 * items after a heading that announces it. */
static int find_list(const GumboNode *root, const struct list_query *q, struct found_list *out)
{
	*out = (struct found_list){0};
	int rc = list_by_name(root, q, out);
	if (rc == 0 && !out->items)
		rc = list_by_heading(root, q, out);
	if (rc == 0 && q->kind == LIST_INSTRUCTIONS)
		rc = strip_step_numbers(&out->items);
	if (rc < 0) {
		cJSON_Delete(out->items);
		out->items = NULL;
	}
	return rc;
}

/* Replaces *list by the HTML list of that kind under root, if there is
 * one of at least two items. */
static int html_list(const GumboNode *root, int kind, cJSON **list)
{
	struct list_query q = {.kind = kind, .min_items = 2};
	struct found_list found;
	int rc = find_list(root, &q, &found);
	if (rc == 0 && n_items(found.items) >= 2) {
		cJSON_Delete(*list);
		*list = found.items;
		return 1;
	}
	cJSON_Delete(found.items);
	return rc;
}

/* ---- quantities for ingredient names ---- */

/* Some shops' Recipe data names the ingredients only ("Zucker"), while
 * the page shows each one in a row with its quantity: "<div><span>3
 * EL</span> <span>Zucker</span></div>", "<li><p>cebula</p><p>1
 * sztuka</p></li>". The row of a name is found from the page's text node
 * that is exactly that name: the nearest of its few closest ancestors
 * whose visible text holds a quantity and not much besides. Rows are
 * taken in the order of the names, and only when every name has one and
 * no row holds another's name (a list container is no row).
 *
 * The raw page must show every name as an element's whole text, in
 * order (">Zucker<"); only the part of the page around those places is
 * parsed, so that these pages stay cheap and read the same on the fast
 * path and with the full parse. */

enum {
	ROW_MAX_UP = 6,       /* ancestors tried above a name's text node */
	ROW_MAX_NODES = 64,   /* a row is a small subtree ... */
	ROW_MAX_EXTRA = 100,  /* ... whose text is the name and a few words */
	ROW_MAX_NAMES = 200,  /* longer lists are not a shop's recipe */
	ROW_MARGIN = 4096,    /* bytes parsed around the first and last name */
	ROW_MAX_SPAN = 256 * 1024, /* names further apart are not one list */
};

static bool names_only(const cJSON *ingredients)
{
	const cJSON *e;
	cJSON_ArrayForEach(e, ingredients)
		if (rsd_text_has_quantity(e->valuestring))
			return false;
	return cJSON_GetArraySize(ingredients) >= 2;
}

/* The cleaned visible text of a subtree of at most max_nodes nodes, or
 * NULL (too big, ENOMEM). */
static char *bounded_text(const GumboNode *n, size_t max_nodes)
{
	struct rsd_text_buf b = {0};
	char *t = NULL;
	if (text_content_small(n, max_nodes, &b) == 0)
		t = rsd_text_clean(b.data, b.len);
	rsd_text_buf_free(&b);
	return t;
}

static char *small_text(const GumboNode *n)
{
	return bounded_text(n, ROW_MAX_NODES);
}

/* The row around text node t showing name with a quantity, or NULL. */
static const GumboNode *quantity_row(const GumboNode *t, size_t name_len, char **row_text)
{
	const GumboNode *a = t->parent;
	for (int up = 0; up < ROW_MAX_UP && a && is_element(a); up++, a = a->parent) {
		GumboTag tag = a->v.element.tag;
		if (tag == GUMBO_TAG_BODY || tag == GUMBO_TAG_HTML)
			break;
		char *text = small_text(a);
		if (!text || strlen(text) > name_len + ROW_MAX_EXTRA) {
			free(text);
			break;
		}
		if (rsd_text_has_quantity(text)) {
			*row_text = text;
			return a;
		}
		free(text);
	}
	return NULL;
}

/* Whether element a is t or one of its ancestors (within a row's depth). */
static bool holds(const GumboNode *a, const GumboNode *t)
{
	for (int up = 0; t && up <= ROW_MAX_NODES; up++, t = t->parent)
		if (t == a)
			return true;
	return false;
}

/* The text node at n is exactly the name (cleaned, ASCII case aside). */
static bool text_is(const GumboNode *n, const char *name, size_t name_len)
{
	const char *raw = n->v.text.text;
	size_t len = strlen(raw);
	if (len < name_len || len > 4 * name_len + 32)
		return false; /* white space and references aside, not that name */
	char *t = rsd_text_clean(raw, len);
	bool same = t && strcasecmp(t, name) == 0;
	free(t);
	return same;
}

struct row {
	const GumboNode *text, *row;
};

/* Finds the rows of the names in document order into rows[] and their
 * texts into *out: 1 when every name has one and no row holds a
 * neighbour's name, 0 when not, -ENOMEM. */
static int find_rows(const GumboNode *root, const cJSON *names, struct row *rows, cJSON **out)
{
	struct walker w = {0};
	const cJSON *name = names->child;
	size_t k = 0;
	int rc = walker_push(&w, root);
	const GumboNode *n;
	while (rc == 0 && name && (n = walker_pop(&w)) != NULL) {
		if (n->type == GUMBO_NODE_TEXT) {
			size_t name_len = strlen(name->valuestring);
			char *text = NULL;
			const GumboNode *row = text_is(n, name->valuestring, name_len)
						       ? quantity_row(n, name_len, &text) : NULL;
			if (row) {
				rows[k++] = (struct row){n, row};
				rc = add_text_item(out, text);
				free(text);
				name = name->next;
			}
			continue;
		}
		if (is_element(n) && !is_hidden(n) && n->v.element.tag != GUMBO_TAG_SCRIPT &&
		    n->v.element.tag != GUMBO_TAG_STYLE)
			rc = walker_push_children(&w, n);
	}
	free(w.stack);
	if (rc < 0 || name || n_items(*out) != k)
		return rc;
	for (size_t i = 0; i + 1 < k; i++)
		if (holds(rows[i].row, rows[i + 1].text) || holds(rows[i + 1].row, rows[i].text))
			return 0;
	return 1;
}

/* Replaces the names by their rows when the page shows them all. */
static int quantified_rows(const GumboNode *root, cJSON **ingredients)
{
	size_t n = n_items(*ingredients);
	struct row *rows = calloc(n, sizeof *rows);
	cJSON *found = NULL;
	if (!rows)
		return -ENOMEM;
	int rc = find_rows(root, *ingredients, rows, &found);
	if (rc > 0) {
		cJSON_Delete(*ingredients);
		*ingredients = found;
		found = NULL;
	}
	cJSON_Delete(found);
	free(rows);
	return rc < 0 ? rc : 0;
}

/* The next place from `from` where the raw page has name as an element's
 * whole text (white space around it aside), or NULL. */
static const char *name_as_text(const char *from, const char *end, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = from; n && (p = memmem(p, (size_t)(end - p), name, n)) != NULL; p++) {
		const char *b = p, *a = p + n;
		while (b > from && rsd_text_is_space(b[-1]))
			b--;
		while (a < end && rsd_text_is_space(*a))
			a++;
		if (b > from && b[-1] == '>' && a < end && *a == '<')
			return p;
	}
	return NULL;
}

/* Parses the part of the page from a tag a little before `first` to
 * `after` bytes past `last`, and runs fill on it. */
static int parse_part(const char *html, size_t len, const char *first, const char *last,
		      size_t after, int (*fill)(const GumboNode *root, cJSON **ingredients),
		      cJSON **ingredients)
{
	const char *end = html + len;
	const char *from = first - html > ROW_MARGIN ? first - ROW_MARGIN : html;
	while (from > html && !(from[0] == '<' && ((from[1] | 0x20) >= 'a' && (from[1] | 0x20) <= 'z')))
		from--;
	const char *to = (size_t)(end - last) > after ? last + after : end;
	struct rsd_gumbo_limits lim = rsd_gumbo_limits_for((size_t)(to - from));
	struct rsd_gumbo_doc *part;
	int rc = rsd_gumbo_guard_parse(from, (size_t)(to - from), &lim, &part, NULL);
	if (rc < 0)
		return rc; /* -E2BIG, -ETIME: the extractor reads on without it */
	rc = fill(rsd_gumbo_doc_output(part)->root, ingredients);
	rsd_gumbo_doc_free(part);
	return rc;
}

static int quantify_names(const char *html, size_t len, cJSON **ingredients)
{
	if (!names_only(*ingredients) || n_items(*ingredients) > ROW_MAX_NAMES)
		return 0;
	const char *end = html + len, *first = NULL, *last = html;
	const cJSON *e;
	cJSON_ArrayForEach(e, *ingredients) {
		const char *p = name_as_text(last, end, e->valuestring);
		if (!p)
			return 0;
		first = first ? first : p;
		last = p + strlen(e->valuestring);
	}
	if (last - first > ROW_MAX_SPAN)
		return 0;
	return parse_part(html, len, first, last, ROW_MARGIN, quantified_rows, ingredients);
}

/* ---- the rest of a list the Recipe data breaks off ---- */

/* Some sites' Recipe data stops after the first ingredients (6 of 12)
 * while the page's list shows them all. When the data's ingredients are
 * exactly the first items of a page list (white space aside) that goes on
 * with more items, mostly with quantities, that list is the recipe's.
 * Group headings in the list ("<li><h3>Für die Füllung</h3></li>") are
 * no items. Only pages whose raw bytes show the data's last ingredient as
 * an element's whole text followed by another list item ("…Type
 * 405</li><li>") are parsed, around that list. */

enum {
	PREFIX_AFTER = 32 * 1024, /* bytes parsed after the data's last ingredient */
	PREFIX_MAX_ITEMS = 200,
	PREFIX_ITEM_MAX = 300,    /* longer list items are no ingredients */
	PREFIX_MAX_UP = 3,        /* the item's text node up to its <li> */
};

/* Equal but for white space and ASCII case ("1Zwiebel", "1 Zwiebel"). */
static bool same_words(const char *a, const char *b)
{
	for (;;) {
		while (rsd_text_is_space(*a))
			a++;
		while (rsd_text_is_space(*b))
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		if (tolower((unsigned char)*a++) != tolower((unsigned char)*b++))
			return false;
	}
}

/* "<li><h3>For the filling</h3></li>": a group heading, no item. */
static bool heading_item(const GumboNode *li)
{
	const GumboVector *c = children_of(li);
	for (size_t i = 0; c && i < c->length; i++)
		if (is_element(c->data[i]) && heading_level(((const GumboNode *)c->data[i])->v.element.tag))
			return true;
	return false;
}

/* How list_items reads a list's items. */
struct item_form {
	size_t max_nodes, max_len; /* bigger items are no items of the kind */
	bool numbered;             /* drop the number before each one */
};

static size_t step_number_prefix(const char *s);

/* The items of the list holding <li> `item`, group headings and hidden
 * items aside; -E2BIG when one is too big. */
static int list_items(const GumboNode *item, const struct item_form *form, cJSON **out)
{
	const GumboVector *c = children_of(item->parent);
	int rc = 0;
	for (size_t i = 0; rc == 0 && c && i < c->length; i++) {
		const GumboNode *li = c->data[i];
		if (!is_element(li) || li->v.element.tag != GUMBO_TAG_LI || is_hidden(li) || heading_item(li))
			continue;
		char *text = bounded_text(li, form->max_nodes);
		if (!text)
			return -E2BIG; /* too big, or ENOMEM: either way no list to take */
		const char *item_text = form->numbered ? text + step_number_prefix(text) : text;
		rc = strlen(item_text) > form->max_len ? -E2BIG : add_text_item(out, item_text);
		free(text);
	}
	return rc;
}

/* The page's items start with the data's and go on with more, most of
 * them with a quantity. */
static bool continues(const cJSON *data, const cJSON *page)
{
	const cJSON *d = data->child, *p = page->child;
	for (; d && p; d = d->next, p = p->next)
		if (!same_words(d->valuestring, p->valuestring))
			return false;
	size_t more = 0, with_quantity = 0;
	for (; p; p = p->next, more++)
		with_quantity += rsd_text_has_quantity(p->valuestring);
	return !d && more > 0 && 2 * with_quantity >= more && n_items(page) <= PREFIX_MAX_ITEMS;
}

/* The <li> whose text node is the data's last ingredient, or NULL. */
static const GumboNode *last_item(const GumboNode *root, const char *name)
{
	struct walker w = {0};
	const GumboNode *n, *li = NULL;
	size_t name_len = strlen(name);
	if (walker_push(&w, root) < 0)
		return NULL;
	while (!li && (n = walker_pop(&w)) != NULL) {
		if (n->type == GUMBO_NODE_TEXT && text_is(n, name, name_len)) {
			const GumboNode *a = n->parent;
			for (int up = 0; up < PREFIX_MAX_UP && a && is_element(a); up++, a = a->parent)
				if (a->v.element.tag == GUMBO_TAG_LI) {
					li = a;
					break;
				}
		} else if (is_element(n) && walker_push_children(&w, n) < 0) {
			break;
		}
	}
	free(w.stack);
	return li;
}

static int continued_list(const GumboNode *root, cJSON **ingredients)
{
	const cJSON *last = cJSON_GetArrayItem(*ingredients, cJSON_GetArraySize(*ingredients) - 1);
	const GumboNode *li = last_item(root, last->valuestring);
	GumboTag list = li && li->parent && is_element(li->parent) ? li->parent->v.element.tag : GUMBO_TAG_UNKNOWN;
	if (list != GUMBO_TAG_UL && list != GUMBO_TAG_OL)
		return 0;
	cJSON *page = NULL;
	const struct item_form form = {ROW_MAX_NODES, PREFIX_ITEM_MAX, false};
	int rc = list_items(li, &form, &page);
	if (rc == 0 && page && continues(*ingredients, page)) {
		cJSON_Delete(*ingredients);
		*ingredients = page;
		page = NULL;
	}
	cJSON_Delete(page);
	return rc == -ENOMEM ? rc : 0;
}

/* After p (an item's text), the list goes on: "</li> <li". */
static bool next_item_follows(const char *p, const char *end)
{
	while (p < end && rsd_text_is_space(*p))
		p++;
	if (end - p < 5 || !rsd_text_ieq(p, 4, "</li"))
		return false;
	const char *gt = memchr(p, '>', (size_t)(end - p));
	for (p = gt ? gt + 1 : end; p < end && rsd_text_is_space(*p);)
		p++;
	return end - p >= 4 && rsd_text_ieq(p, 3, "<li") && (rsd_text_is_space(p[3]) || p[3] == '>');
}

static int continue_list(const char *html, size_t len, cJSON **ingredients)
{
	size_t n = n_items(*ingredients);
	if (n < 2 || n >= PREFIX_MAX_ITEMS)
		return 0;
	const char *end = html + len;
	const char *first_name = (*ingredients)->child->valuestring;
	const char *last_name = cJSON_GetArrayItem(*ingredients, (int)n - 1)->valuestring;
	const char *last = name_as_text(html, end, last_name);
	if (!last || !next_item_follows(last + strlen(last_name), end))
		return 0;
	const char *first = name_as_text(last - html > ROW_MAX_SPAN ? last - ROW_MAX_SPAN : html, last, first_name);
	if (!first)
		return 0;
	return parse_part(html, len, first, last, PREFIX_AFTER, continued_list, ingredients);
}

int rsd_html_ingredient_rows(const char *html, size_t len, cJSON **ingredients)
{
	if (names_only(*ingredients))
		return quantify_names(html, len, ingredients);
	return continue_list(html, len, ingredients);
}

/* ---- the rest of a method the Recipe data breaks off ---- */

/* As with ingredients, some sites' Recipe data stops after the first
 * steps (2 of 6) while the page's list shows them all. When the data's
 * steps are exactly the first items of a page list (white space, and a
 * number the page puts before each step, aside) that goes on with more,
 * that list is the method. Only pages whose raw bytes start an element's
 * text with the data's last step and go on with another list item after
 * it ("…schieben.</li><li>") are parsed, around that list. */

enum {
	STEP_PREFIX_MIN = 16,   /* bytes of a step that find it in the raw page */
	STEP_PREFIX_MAX = 24,   /* (inline markup in a step comes later, mostly) */
	STEP_MAX_NODES = 256,   /* a step's subtree */
	STEP_ITEM_SLACK = 1024, /* bytes of markup in a step beyond its text */
};

/* How many of the first bytes of a step the page's HTML writes as they
 * are: up to the first character markup or a reference may write
 * otherwise. */
static size_t plain_prefix(const char *step)
{
	size_t n = 0;
	while (n < STEP_PREFIX_MAX && step[n] && !strchr("&<>\"'", step[n]))
		n++;
	return n;
}

/* The next place from `from` where an element's text starts with
 * s[0..n) in the raw page, or NULL. */
static const char *text_starting(const char *from, const char *end, const char *s, size_t n)
{
	for (const char *p = from; (p = memmem(p, (size_t)(end - p), s, n)) != NULL; p++) {
		const char *b = p;
		while (b > from && rsd_text_is_space(b[-1]))
			b--;
		if (b > from && b[-1] == '>')
			return p;
	}
	return NULL;
}

/* The length of the number a page writes before a step ("1", "2.",
 * "3) "), 0 when there is none. */
static size_t step_number_prefix(const char *s)
{
	size_t i = 0;
	while (i < 3 && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == 0 || (s[i] >= '0' && s[i] <= '9'))
		return 0;
	if (s[i] == '.' || s[i] == ')' || s[i] == ':')
		i++;
	while (s[i] == ' ')
		i++;
	return i;
}

/* The page's item shows the data's step, maybe after its number. */
static bool shows_step(const char *item, const char *step, bool numbered)
{
	return same_words(numbered ? item + step_number_prefix(item) : item, step);
}

/* The first <li> that shows the step; *numbered when after a number. */
static const GumboNode *step_item(const GumboNode *root, const char *step, bool *numbered)
{
	struct walker w = {0};
	const GumboNode *n, *li = NULL;
	if (walker_push(&w, root) < 0)
		return NULL;
	while (!li && (n = walker_pop(&w)) != NULL) {
		if (!is_element(n) || is_hidden(n))
			continue;
		if (n->v.element.tag == GUMBO_TAG_LI) {
			char *t = bounded_text(n, STEP_MAX_NODES);
			for (int k = 0; t && k < 2 && !li; k++) {
				if (shows_step(t, step, k)) {
					li = n;
					*numbered = k;
				}
			}
			free(t);
			if (li)
				break;
		}
		if (walker_push_children(&w, n) < 0)
			break;
	}
	free(w.stack);
	return li;
}

static int continued_method(const GumboNode *root, cJSON **steps)
{
	bool numbered = false;
	const GumboNode *li = step_item(root, (*steps)->child->valuestring, &numbered);
	if (!li || !li->parent || !is_element(li->parent) ||
	    (li->parent->v.element.tag != GUMBO_TAG_OL && li->parent->v.element.tag != GUMBO_TAG_UL))
		return 0;
	cJSON *page = NULL;
	const struct item_form form = {STEP_MAX_NODES, SIZE_MAX, numbered};
	int rc = list_items(li, &form, &page);
	const cJSON *d = (*steps)->child, *p = page ? page->child : NULL;
	for (; rc == 0 && d && p && shows_step(p->valuestring, d->valuestring, false); d = d->next, p = p->next)
		;
	if (rc == 0 && !d && p && n_items(page) <= PREFIX_MAX_ITEMS) {
		cJSON_Delete(*steps);
		*steps = page;
		page = NULL;
	}
	cJSON_Delete(page);
	return rc == -ENOMEM ? rc : 0;
}

int rsd_html_method_rest(const char *html, size_t len, cJSON **steps)
{
	size_t n = n_items(*steps);
	if (n < 2 || n >= PREFIX_MAX_ITEMS)
		return 0;
	const char *end = html + len;
	const char *first_step = (*steps)->child->valuestring;
	const char *last_step = cJSON_GetArrayItem(*steps, (int)n - 1)->valuestring;
	size_t first_n = plain_prefix(first_step), last_n = plain_prefix(last_step);
	if (first_n < STEP_PREFIX_MIN || last_n < STEP_PREFIX_MIN)
		return 0;
	const char *first = text_starting(html, end, first_step, first_n);
	const char *last = first ? text_starting(first + 1, end, last_step, last_n) : NULL;
	if (!last || last - first > ROW_MAX_SPAN)
		return 0;
	size_t span = strlen(last_step) + STEP_ITEM_SLACK;
	const char *close = rsd_text_icasefind(last, span < (size_t)(end - last) ? span : (size_t)(end - last), "</li");
	if (!close || !next_item_follows(close, end))
		return 0;
	return parse_part(html, len, first, last, PREFIX_AFTER, continued_method, steps);
}

/* ---- the steps a glued method runs together ---- */

/* s lowercased (ASCII) without white space: "Add the" -> "addthe". */
static char *squeezed(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;
	if (!out)
		return NULL;
	for (; *s; s++)
		if (!rsd_text_is_space(*s))
			*o++ = (char)tolower((unsigned char)*s);
	*o = '\0';
	return out;
}

/* Every step is in the method, in order (white space and case aside): 1,
 * 0 when not, -ENOMEM. */
static int steps_in(const char *method, const cJSON *steps)
{
	char *m = squeezed(method);
	if (!m)
		return -ENOMEM;
	const char *at = m;
	int rc = 1;
	for (const cJSON *e = steps->child; rc > 0 && e; e = e->next) {
		char *s = squeezed(e->valuestring);
		const char *found = s && *s ? strstr(at, s) : NULL;
		rc = !s ? -ENOMEM : found != NULL;
		if (found)
			at = found + strlen(s);
		free(s);
	}
	free(m);
	return rc;
}

/* The page's list of steps in place of a glued method that holds them all. */
static int unglued_steps(const GumboNode *root, cJSON **instructions)
{
	struct list_query q = {.kind = LIST_INSTRUCTIONS, .min_items = 2};
	struct found_list found;
	int rc = find_list(root, &q, &found);
	if (rc == 0 && n_items(found.items) >= 2)
		rc = steps_in(cJSON_GetArrayItem(*instructions, 0)->valuestring, found.items);
	if (rc > 0) {
		cJSON_Delete(*instructions);
		*instructions = found.items;
		return 0;
	}
	cJSON_Delete(found.items);
	return rc;
}

int rsd_html_recipe_lists(const GumboOutput *dom, struct rsd_recipe_fields *f)
{
	int rc = 0;
	if (n_items(f->ingredients) < 2)
		rc = html_list(dom->root, LIST_INGREDIENTS, &f->ingredients);
	if (rc >= 0 && n_items(f->instructions_list) == 0)
		rc = html_list(dom->root, LIST_INSTRUCTIONS, &f->instructions_list);
	else if (rc >= 0 && rsd_extract_glued_method(f->instructions_list))
		rc = unglued_steps(dom->root, &f->instructions_list);
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

/* ---- recipes without any markup ----------------------------------------- */

/* Some sites publish recipes with no schema.org data, microformat or
 * plugin: just an "Ingredients" section and a "Method" section. A page is
 * taken for such a recipe only when its content (page furniture aside,
 * see is_chrome) has both: an ingredients section of two items or more,
 * most of them with a quantity (a digit or a fraction; a cosmetic's or a
 * product's ingredient list has none), and after it an instructions
 * section of at least one step, each found by a heading or a class/id
 * name as above. The rest of the record comes from the page around them:
 * the page's <h1> (else og:title without the site name), the first
 * picture after that heading (og:image wins, as for a Recipe's image
 * set), and labelled yields and times in the prose between the heading
 * and the ingredients. */

/* Ingredient words of the languages in LIST_HEADINGS, as they appear in
 * the raw page (headings and class names): no page without one of them
 * can pass the test above, so the DOM is not parsed for it. */
static const char *const SECTION_WORDS[] = {"ngredi", "NGREDI", "ngrédi", "NGRÉDI", "utaten",
	"UTATEN", "kładnik", "KŁADNIK", "uroviny", "UROVINY", "ou need", "OU NEED", "ou'll need",
	"OU'LL NEED", NULL};

bool rsd_html_may_have_sections(const char *html, size_t len)
{
	for (size_t i = 0; SECTION_WORDS[i]; i++)
		if (memmem(html, len, SECTION_WORDS[i], strlen(SECTION_WORDS[i])))
			return true;
	return false;
}

static bool mostly_quantities(const cJSON *items)
{
	size_t with = 0, all = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, items) {
		all++;
		with += rsd_text_has_quantity(e->valuestring);
	}
	return all >= 2 && 2 * with >= all;
}

/* The first visible <h1> of the content that is not the site's name. */
static int content_title(const GumboNode *root, const char *site_name, char **title,
			 const GumboNode **at)
{
	struct walker w = {0};
	int rc = walker_push(&w, root);
	const GumboNode *n;
	while (rc == 0 && !*title && (n = walker_pop(&w)) != NULL) {
		if (!is_element(n) || is_hidden(n) || is_chrome(n))
			continue;
		if (n->v.element.tag != GUMBO_TAG_H1) {
			rc = walker_push_children(&w, n);
			continue;
		}
		struct rsd_text_buf b = {0};
		if ((rc = text_content_of(n, true, &b)) == 0 && !(*title = rsd_text_clean(b.data, b.len)))
			rc = -ENOMEM;
		rsd_text_buf_free(&b);
		if (*title && (!**title || (site_name && strcasecmp(*title, site_name) == 0))) {
			free(*title);
			*title = NULL;
		} else if (*title) {
			*at = n;
		}
	}
	free(w.stack);
	return rc;
}

/* "Donut Glaze - Bakery Co" -> "Donut Glaze" when "Bakery Co" is the
 * site's name; the separators sites put before their name. */
static char *title_without_site(const char *title, const char *site)
{
	static const char *const SEPARATORS[] = {"-", "|", ":", "–", "—", "·", "•", "::", NULL};
	size_t tl = strlen(title), sl = site ? strlen(site) : 0;
	if (sl && tl > sl && strcasecmp(title + tl - sl, site) == 0) {
		size_t k = tl - sl;
		while (k && title[k - 1] == ' ')
			k--;
		for (size_t i = 0; SEPARATORS[i]; i++) {
			size_t n = strlen(SEPARATORS[i]);
			if (k > n && memcmp(title + k - n, SEPARATORS[i], n) == 0) {
				k -= n;
				while (k && title[k - 1] == ' ')
					k--;
				if (k)
					return strndup(title, k);
				break;
			}
		}
	}
	return strdup(title);
}

/* A picture's address: src, unless a lazy loader left a placeholder
 * there and the real one in data-src / data-lazy-src. */
static const char *image_source(const GumboNode *img)
{
	const char *src = attr(img, "src");
	if (src && *src && strncmp(src, "data:", 5) != 0)
		return src;
	const char *lazy = attr(img, "data-src");
	return lazy ? lazy : attr(img, "data-lazy-src");
}

/* The first content picture between the title and the ingredients. */
static int picture_after(const GumboNode *root, const GumboNode *title, const GumboNode *end,
			 const char *base_url, char **out)
{
	struct walker w = {0};
	int rc = walker_push(&w, root);
	const GumboNode *n;
	while (rc == 0 && !*out && (n = walker_pop(&w)) != NULL) {
		if (!is_element(n) || is_hidden(n) || is_chrome(n))
			continue;
		size_t at = source_offset(n);
		if (n->v.element.tag == GUMBO_TAG_IMG && at > source_offset(title) &&
		    at < source_offset(end) && image_source(n))
			*out = rsd_extract_field_url(base_url, image_source(n));
		else
			rc = walker_push_children(&w, n);
	}
	free(w.stack);
	return rc;
}

/* The visible content text that starts after `from` (NULL: the page's
 * start) and before `to`, one line per block; at most a few pages of it,
 * which bounds the prose reader. */
static int text_between(const GumboNode *root, const GumboNode *from, const GumboNode *to,
			struct rsd_text_buf *out)
{
	enum { MAX_PROSE = 64 * 1024 };
	size_t lo = from ? source_offset(from) : 0, hi = source_offset(to);
	struct walker w = {0};
	int rc = walker_push(&w, root);
	const GumboNode *n;
	while (rc == 0 && out->len < MAX_PROSE && (n = walker_pop(&w)) != NULL) {
		if (n->type == GUMBO_NODE_TEXT) {
			size_t at = n->v.text.start_pos.offset;
			if (at > lo && at < hi)
				rc = append_text_node(n, TEXT_LINES, out);
			continue;
		}
		if (is_element(n) && !is_hidden(n) && !is_chrome(n))
			rc = walk_into_element(&w, n, out);
	}
	free(w.stack);
	return rc;
}

/* Title, picture, yields and times of a recipe found by its sections. */
static int plain_recipe_details(const GumboOutput *dom, const struct rsd_page_info *pi,
				const char *base_url, const GumboNode *ingredients,
				struct rsd_recipe_fields *f)
{
	const GumboNode *heading = NULL;
	int rc = content_title(dom->root, pi->og_site_name, &f->title, &heading);
	if (rc == 0 && !f->title && pi->og_title && !(f->title = title_without_site(pi->og_title,
										 pi->og_site_name)))
		rc = -ENOMEM;
	if (rc == 0 && heading) {
		rc = picture_after(dom->root, heading, ingredients, base_url, &f->image);
		f->image_from_set = true; /* a picture of the page: og:image says more */
	}
	struct rsd_text_buf prose = {0};
	if (rc == 0)
		rc = text_between(dom->root, heading, ingredients, &prose);
	if (rc == 0 && prose.len)
		rc = rsd_extract_prose_fields(prose.data, prose.len, f);
	rsd_text_buf_free(&prose);
	return rc;
}

int rsd_html_plain_recipe_fields(const GumboOutput *dom, const struct rsd_page_info *pi,
				 const char *base_url, struct rsd_recipe_fields *f)
{
	struct list_query q = {.kind = LIST_INGREDIENTS, .min_items = 2, .content_only = true};
	struct found_list ing, ins = {0};
	int rc = find_list(dom->root, &q, &ing);
	if (rc == 0 && ing.items && mostly_quantities(ing.items)) {
		q = (struct list_query){.kind = LIST_INSTRUCTIONS, .min_items = 1,
			.content_only = true, .after = ing.at};
		rc = find_list(dom->root, &q, &ins);
	}
	if (rc < 0 || !ins.items) {
		cJSON_Delete(ing.items);
		cJSON_Delete(ins.items);
		return rc;
	}
	f->ingredients = ing.items;
	f->instructions_list = ins.items;
	rc = plain_recipe_details(dom, pi, base_url, ing.at, f);
	return rc < 0 ? rc : 1;
}
