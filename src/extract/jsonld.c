/* SPDX-License-Identifier: MIT */
/* JSON-LD: tolerant parsing, finding the Recipe node, and normalising its
 * properties into record fields (see jsonld.h).
 *
 * schema.org data in the wild takes many shapes for the same property (a
 * string, an object, an array of either, an {"@id"} reference to another
 * node of the page); every getter below accepts all of them. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract/jsonld.h"
#include "extract/fields.h"
#include "core/text.h"

/* ---- tolerant parsing --------------------------------------------------- */

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Trims white space and the wrappers pages put around JSON in a script:
 * "<!-- ... -->", "<![CDATA[ ... ]]>", "//<![CDATA[ ... //]]>". */
static void trim_wrappers(const char **p, size_t *len)
{
	const char *s = *p, *e = s + *len;
	for (bool changed = true; changed;) {
		changed = false;
		while (s < e && is_ws(*s))
			s++;
		while (e > s && (is_ws(e[-1]) || e[-1] == ';'))
			e--;
		static const char *const OPEN[] = { "<!--", "//<![CDATA[", "<![CDATA[",
						    "/*<![CDATA[*/" };
		static const char *const CLOSE[] = { "-->", "//]]>", "]]>", "/*]]>*/" };
		for (size_t i = 0; i < 4; i++) {
			size_t n = strlen(OPEN[i]);
			if ((size_t)(e - s) >= n && memcmp(s, OPEN[i], n) == 0) {
				s += n;
				changed = true;
			}
			n = strlen(CLOSE[i]);
			if ((size_t)(e - s) >= n && memcmp(e - n, CLOSE[i], n) == 0) {
				e -= n;
				changed = true;
			}
		}
	}
	*p = s;
	*len = (size_t)(e - s);
}

/* Rewrites text into out with the errors browsers' JSON.parse would reject
 * but which have an unambiguous meaning fixed: raw control characters in
 * strings escaped, invalid escapes ("\'") unescaped, trailing commas before
 * '}' or ']' removed, // and block comments outside strings dropped. */
static int repair_json(const char *s, size_t len, struct rsd_text_buf *out)
{
	bool in_str = false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		int rc = 0;
		if (in_str) {
			if (c == '\\' && i + 1 < len) {
				char n = s[i + 1];
				if (strchr("\"\\/bfnrtu", n)) {
					rc = rsd_text_buf_append(out, s + i, 2);
				} else {
					rc = rsd_text_buf_putc(out, n);
				}
				i++;
			} else if (c == '"') {
				in_str = false;
				rc = rsd_text_buf_putc(out, c);
			} else if ((unsigned char)c < 0x20) {
				static const char HEX[] = "0123456789abcdef";
				char esc[6] = { '\\',        'u', '0', '0', HEX[(c >> 4) & 0xF],
						HEX[c & 0xF] };
				rc = rsd_text_buf_append(out, esc, 6);
			} else {
				rc = rsd_text_buf_putc(out, c);
			}
		} else if (c == '"') {
			in_str = true;
			rc = rsd_text_buf_putc(out, c);
		} else if (c == ',') {
			size_t j = i + 1;
			while (j < len && is_ws(s[j]))
				j++;
			if (!(j < len && (s[j] == '}' || s[j] == ']')))
				rc = rsd_text_buf_putc(out, c);
		} else if (c == '/' && i + 1 < len && s[i + 1] == '/') {
			while (i < len && s[i] != '\n')
				i++;
		} else if (c == '/' && i + 1 < len && s[i + 1] == '*') {
			const char *e = memmem(s + i + 2, len - i - 2, "*/", 2);
			i = e ? (size_t)(e - s) + 1 : len;
		} else {
			rc = rsd_text_buf_putc(out, c);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Parses one or more JSON values written one after another (some pages put
 * several objects in one script, with or without commas between). */
static cJSON *parse_values(const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	cJSON *first = NULL, *arr = NULL;
	while (p < end) {
		while (p < end && (is_ws(*p) || *p == ',' || *p == ';'))
			p++;
		if (p >= end)
			break;
		const char *stop = NULL;
		cJSON *v = cJSON_ParseWithLengthOpts(p, (size_t)(end - p), &stop, false);
		if (!v)
			break;
		if (!first) {
			first = v;
		} else {
			if (!arr) {
				arr = cJSON_CreateArray();
				if (!arr || !cJSON_AddItemToArray(arr, first)) {
					cJSON_Delete(arr);
					cJSON_Delete(first);
					cJSON_Delete(v);
					return NULL;
				}
				first = arr;
			}
			if (!cJSON_AddItemToArray(arr, v)) {
				cJSON_Delete(v);
				break;
			}
		}
		if (!stop || stop <= p)
			break;
		p = stop;
	}
	return first;
}

cJSON *rsd_jsonld_parse(const char *text, size_t len)
{
	trim_wrappers(&text, &len);
	if (len == 0)
		return NULL;
	const char *stop = NULL;
	cJSON *v = cJSON_ParseWithLengthOpts(text, len, &stop, false);
	if (v && stop && stop == text + len)
		return v; /* the common case: one valid value and nothing else */
	cJSON_Delete(v);
	struct rsd_text_buf fixed = { 0 };
	if (repair_json(text, len, &fixed) == 0 && fixed.len)
		v = parse_values(fixed.data, fixed.len);
	rsd_text_buf_free(&fixed);
	return v;
}

/* ---- finding the Recipe ------------------------------------------------- */

static bool node_is_recipe(const cJSON *o)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "@type");
	if (cJSON_IsString(t))
		return rsd_fields_is_recipe_type(t->valuestring, strlen(t->valuestring));
	const cJSON *e;
	cJSON_ArrayForEach (e, t)
		if (cJSON_IsString(e) &&
		    rsd_fields_is_recipe_type(e->valuestring, strlen(e->valuestring)))
			return true;
	return false;
}

static int recipe_score(const cJSON *o)
{
	int s = 1;
	if (cJSON_GetObjectItemCaseSensitive(o, "recipeIngredient") ||
	    cJSON_GetObjectItemCaseSensitive(o, "ingredients"))
		s += 2;
	if (cJSON_GetObjectItemCaseSensitive(o, "recipeInstructions"))
		s += 1;
	return s;
}

/* Breadth-first walk over every object of every document, visiting at most
 * MAX_NODES objects: pages wrap the Recipe in @graph, mainEntity, WebPage,
 * ItemList... and the shallowest, most complete Recipe is the page's own. */
#define MAX_NODES 4096

struct walk {
	const cJSON *queue[MAX_NODES];
	size_t head, tail;
};

static void walk_push(struct walk *w, const cJSON *v)
{
	if ((cJSON_IsObject(v) || cJSON_IsArray(v)) && w->tail < MAX_NODES)
		w->queue[w->tail++] = v;
}

const cJSON *rsd_jsonld_find_recipe(cJSON *const *docs, size_t n_docs)
{
	struct walk *w = malloc(sizeof *w);
	if (!w)
		return NULL;
	w->head = w->tail = 0;
	for (size_t i = 0; i < n_docs; i++)
		walk_push(w, docs[i]);
	const cJSON *best = NULL;
	int best_score = 0;
	while (w->head < w->tail) {
		const cJSON *v = w->queue[w->head++];
		if (cJSON_IsObject(v) && node_is_recipe(v)) {
			int s = recipe_score(v);
			if (s > best_score) {
				best = v;
				best_score = s;
			}
		}
		const cJSON *c;
		cJSON_ArrayForEach (c, v)
			walk_push(w, c);
	}
	free(w);
	return best;
}

/* ---- @id references ----------------------------------------------------- */

/* The nodes an {"@id"} reference can resolve to: objects with an @id and at
 * least one more member, at most ID_DEPTH levels into a document, sorted by
 * @id and then document order (the first of equal @ids wins). Built once
 * per Recipe: a search of every document per reference made a Recipe of
 * 30,000 referenced steps (2.4 MB) take 36 s. */
#define ID_DEPTH 16

struct id_node {
	const char *id;
	const cJSON *node;
	size_t order;
};

struct id_index {
	struct id_node *v;
	size_t n, cap;
};

static int id_index_add(struct id_index *x, const char *id, const cJSON *node)
{
	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 64;
		struct id_node *v = realloc(x->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		x->v = v;
		x->cap = cap;
	}
	x->v[x->n] = (struct id_node){ id, node, x->n };
	x->n++;
	return 0;
}

static int id_index_collect(struct id_index *x, const cJSON *v, int depth)
{
	if (depth > ID_DEPTH)
		return 0;
	if (cJSON_IsObject(v)) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(v, "@id");
		if (cJSON_IsString(id) && v->child && v->child->next &&
		    id_index_add(x, id->valuestring, v) < 0)
			return -ENOMEM;
	}
	const cJSON *c;
	cJSON_ArrayForEach (c, v)
		if (id_index_collect(x, c, depth + 1) < 0)
			return -ENOMEM;
	return 0;
}

static int id_node_cmp(const void *a, const void *b)
{
	const struct id_node *x = a, *y = b;
	int c = strcmp(x->id, y->id);
	return c ? c : (x->order > y->order) - (x->order < y->order);
}

static int id_index_build(struct id_index *x, cJSON *const *docs, size_t n_docs)
{
	*x = (struct id_index){ 0 };
	for (size_t i = 0; i < n_docs; i++)
		if (id_index_collect(x, docs[i], 0) < 0)
			return -ENOMEM;
	if (x->n > 1)
		qsort(x->v, x->n, sizeof *x->v, id_node_cmp);
	return 0;
}

/* The first node with this @id other than self, or NULL. */
static const cJSON *id_index_find(const struct id_index *x, const char *id, const cJSON *self)
{
	size_t lo = 0, hi = x->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(x->v[mid].id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < x->n && strcmp(x->v[lo].id, id) == 0; lo++)
		if (x->v[lo].node != self)
			return x->v[lo].node;
	return NULL;
}

struct ctx {
	cJSON *const *docs;
	size_t n_docs;
	const char *base_url;
	struct id_index ids;
};

/* {"@id": "#x"} alone is a reference to the node with that @id elsewhere. */
static const cJSON *deref(const struct ctx *c, const cJSON *v)
{
	if (!cJSON_IsObject(v))
		return v;
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(v, "@id");
	if (!cJSON_IsString(id))
		return v;
	for (const cJSON *m = v->child; m; m = m->next)
		if (m->string && strcmp(m->string, "@id") != 0 && strcmp(m->string, "@type") != 0)
			return v; /* has content of its own */
	const cJSON *r = id_index_find(&c->ids, id->valuestring, v);
	return r ? r : v;
}

static const cJSON *get(const struct ctx *c, const cJSON *o, const char *key)
{
	return deref(c, cJSON_GetObjectItemCaseSensitive(o, key));
}

/* ---- value shapes ------------------------------------------------------- */

static bool has_type(const cJSON *o, const char *type)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "@type");
	if (cJSON_IsString(t))
		return strcmp(t->valuestring, type) == 0;
	const cJSON *e;
	cJSON_ArrayForEach (e, t)
		if (cJSON_IsString(e) && strcmp(e->valuestring, type) == 0)
			return true;
	return false;
}

/* A JSON-LD value object ({"@type": "Duration", "@value": "PT1H"}) stands
 * for its @value (JSON-LD 1.1, 3.3.1), a schema.org QuantitativeValue
 * ({"value": 6, "unitText": "servings"}, an ImageObject's width) for its
 * value. */
static const cJSON *value_of(const cJSON *v)
{
	if (!cJSON_IsObject(v))
		return v;
	const cJSON *inner = cJSON_GetObjectItemCaseSensitive(v, "@value");
	if (!inner && has_type(v, "QuantitativeValue"))
		inner = cJSON_GetObjectItemCaseSensitive(v, "value");
	return inner ? inner : v;
}

/* Text of a scalar: strings cleaned, numbers formatted. NULL otherwise. */
static char *scalar_text(const cJSON *v)
{
	v = value_of(v);
	if (cJSON_IsString(v))
		return rsd_text_clean(v->valuestring, strlen(v->valuestring));
	if (cJSON_IsNumber(v)) {
		char buf[64];
		snprintf(buf, sizeof buf, "%.15g", v->valuedouble);
		return strdup(buf);
	}
	return NULL;
}

/* Text of v that says something (rsd_text_has_word), or of the first
 * array element that has some. */
static char *first_text(const cJSON *v)
{
	if (cJSON_IsArray(v)) {
		const cJSON *e;
		cJSON_ArrayForEach (e, v) {
			char *t = first_text(e);
			if (t)
				return t;
		}
		return NULL;
	}
	char *t = scalar_text(v);
	if (t && !rsd_text_has_word(t)) {
		free(t);
		t = NULL;
	}
	return t;
}

typedef char *value_fn(const struct ctx *c, const cJSON *v, int depth);

/* The common front of the value readers below: follows an @id reference and
 * bounds the depth; for an array, the first element fn reads something from.
 * Returns true when that settled it (*out set, maybe NULL); false when fn
 * must read *v itself (now dereferenced). */
static bool read_first_of(const struct ctx *c, const cJSON **v, int depth, value_fn *fn, char **out)
{
	*out = NULL;
	*v = deref(c, *v);
	if (depth > 4 || !*v)
		return true;
	if (!cJSON_IsArray(*v))
		return false;
	const cJSON *e;
	cJSON_ArrayForEach (e, *v)
		if ((*out = fn(c, e, depth + 1)) != NULL)
			break;
	return true;
}

/* A name from a string, a Person/Organization, an array of them, an @id. */
static char *name_of(const struct ctx *c, const cJSON *v, int depth)
{
	char *found;
	if (read_first_of(c, &v, depth, name_of, &found))
		return found;
	if (cJSON_IsObject(v))
		return name_of(c, get(c, v, "name"), depth + 1);
	char *t = first_text(v);
	/* A bare URL is where a name should be: no name to give. */
	if (t && (strncmp(t, "http://", 7) == 0 || strncmp(t, "https://", 8) == 0)) {
		free(t);
		t = NULL;
	}
	return t;
}

static char *url_of(const struct ctx *c, const cJSON *v, int depth)
{
	char *found;
	if (read_first_of(c, &v, depth, url_of, &found))
		return found;
	if (cJSON_IsObject(v)) {
		char *t = url_of(c, get(c, v, "url"), depth + 1);
		return t ? t : url_of(c, get(c, v, "contentUrl"), depth + 1);
	}
	char *t = first_text(v);
	if (!t)
		return NULL;
	char *abs = rsd_fields_url(c->base_url, t);
	free(t);
	return abs;
}

static long minutes_of(const cJSON *v)
{
	if (cJSON_IsArray(v))
		v = cJSON_GetArrayItem(v, 0);
	v = value_of(v);
	if (cJSON_IsNumber(v))
		return v->valuedouble >= 0 && v->valuedouble < 1e8 ? lround(v->valuedouble) : -1;
	if (cJSON_IsString(v))
		return rsd_text_duration_minutes(v->valuestring);
	return -1;
}

static bool number_of(const cJSON *v, double *out)
{
	if (cJSON_IsArray(v))
		v = cJSON_GetArrayItem(v, 0);
	v = value_of(v);
	if (cJSON_IsNumber(v)) {
		*out = v->valuedouble;
		return isfinite(*out);
	}
	if (cJSON_IsString(v))
		return rsd_text_first_number(v->valuestring, out);
	return false;
}

/* ---- lists -------------------------------------------------------------- */

static int add_string(cJSON **arr, char *text)
{
	if (!text)
		return -ENOMEM;
	if (!rsd_text_has_word(text)) {
		free(text);
		return 0;
	}
	if (!*arr && !(*arr = cJSON_CreateArray())) {
		free(text);
		return -ENOMEM;
	}
	cJSON *s = cJSON_CreateString(text);
	free(text);
	if (!s || !cJSON_AddItemToArray(*arr, s)) {
		cJSON_Delete(s);
		return -ENOMEM;
	}
	return 0;
}

/* Recipe plugins wrap an ingredient's note in parentheses even when the
 * note already has them: "1 tsp salt ((adjust to taste))". A pair that
 * directly encloses another pair says nothing more: drop it, in place. */
static void collapse_double_parens(char *s)
{
	for (char *p = s; (p = strstr(p, "((")) != NULL;) {
		int depth = 0;
		char *close = NULL, *inner_close = NULL;
		for (char *q = p; *q && !close; q++) {
			if (*q == '(')
				depth++;
			else if (*q == ')' && --depth == 1 && !inner_close)
				inner_close = q;
			else if (*q == ')' && depth == 0)
				close = q;
			else if (depth == 1 && inner_close && *q != ')')
				inner_close = NULL; /* the inner pair ended early */
		}
		if (!close || inner_close != close - 1) {
			p += 2;
			continue;
		}
		memmove(close, close + 1, strlen(close + 1) + 1);
		memmove(p, p + 1, strlen(p + 1) + 1);
	}
}

static int add_ingredients(cJSON **arr, const cJSON *v, int depth)
{
	if (depth > 4)
		return 0;
	/* ["a\nb\nc"]: an array of one string is that string, the whole
	 * list pasted into one entry */
	if (cJSON_IsArray(v) && v->child && !v->child->next && cJSON_IsString(v->child))
		return add_ingredients(arr, v->child, depth);
	if (cJSON_IsArray(v)) {
		const cJSON *e;
		cJSON_ArrayForEach (e, v) {
			int rc = add_ingredients(arr, e, depth + 1);
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	if (cJSON_IsObject(v)) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(v, "text");
		return add_ingredients(arr, t ? t : cJSON_GetObjectItemCaseSensitive(v, "name"),
				       depth + 1);
	}
	if (cJSON_IsString(v) && strchr(v->valuestring, '\n') && depth == 0) {
		/* one string holding the whole list, one per line */
		return rsd_fields_add_steps(arr, v->valuestring, strlen(v->valuestring));
	}
	char *t = scalar_text(v);
	if (!t && (cJSON_IsString(v) || cJSON_IsNumber(v)))
		return -ENOMEM;
	if (t)
		collapse_double_parens(t);
	return t ? add_string(arr, t) : 0;
}

static int add_one_step(cJSON **arr, const cJSON *v)
{
	char *t = scalar_text(v);
	if (!t)
		return cJSON_IsString(v) ? -ENOMEM : 0;
	return add_string(arr, t);
}

/* A name ("Name" on some sites) of a section or step, cleaned, or NULL. */
static char *step_name(const cJSON *o)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, "name");
	if (!n)
		n = cJSON_GetObjectItemCaseSensitive(o, "Name");
	return first_text(n);
}

/* "Step 1", "Passo 2", "3.": a numbering label, not a heading. */
static bool is_step_label(const char *name)
{
	const char *p = name;
	while (*p && *p != ' ' && !(*p >= '0' && *p <= '9'))
		p++;
	while (*p == ' ')
		p++;
	if (!(*p >= '0' && *p <= '9'))
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	return *p == '\0' || ((*p == '.' || *p == ':') && p[1] == '\0');
}

/* recipeInstructions: a string (one step per line or <li>/<p>), a list of
 * strings, HowToStep (its text, else its HowToDirection and HowToTip
 * items), HowToSection (its name, then its itemListElement), ItemList,
 * ListItem {item}, nested in any way. A step's text is one step even when
 * it spans lines. A step's name is a heading of its own only
 * when the text does not repeat it as written (many sites copy the text,
 * or its beginning, into the name; "Re-Roll" before "Re-roll the scraps"
 * is a heading the author wrote). */
static int add_instructions(const struct ctx *c, cJSON **arr, const cJSON *v, int depth)
{
	v = deref(c, v);
	if (depth > 8 || !v)
		return 0;
	if (cJSON_IsString(v))
		return depth == 0
			       ? rsd_fields_add_steps(arr, v->valuestring, strlen(v->valuestring))
			       : add_one_step(arr, v);
	if (cJSON_IsArray(v)) {
		const cJSON *e;
		cJSON_ArrayForEach (e, v) {
			int rc = add_instructions(c, arr, e, depth + 1);
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	if (!cJSON_IsObject(v))
		return 0;
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(v, "itemListElement");
	const cJSON *text = cJSON_GetObjectItemCaseSensitive(v, "text");
	if (!text)
		text = cJSON_GetObjectItemCaseSensitive(v, "description");
	if (!text)
		text = cJSON_GetObjectItemCaseSensitive(v, "item");
	char *name = step_name(v);
	int rc = 0;
	if (name && (list || text)) {
		char *t = text ? first_text(text) : NULL;
		size_t n = strlen(name);
		while (n && name[n - 1] == '.')
			n--;
		bool repeated = t && strncmp(t, name, n) == 0;
		free(t);
		if (repeated || is_step_label(name))
			free(name);
		else
			rc = add_string(arr, name);
		name = NULL;
	}
	/* A HowToStep is an ItemList too: without a text of its own, its
	 * HowToDirection and HowToTip items say what to do. */
	if (rc == 0 && list && (!has_type(v, "HowToStep") || !text))
		rc = add_instructions(c, arr, list, depth + 1);
	else if (rc == 0 && text)
		rc = add_instructions(c, arr, text, depth + 1);
	else if (rc == 0 && name) {
		rc = add_string(arr, name);
		name = NULL;
	}
	free(name);
	return rc;
}

/* category / cuisine / keywords: a string (comma separated) or an array. */
static int add_terms(cJSON **arr, const cJSON *v)
{
	size_t budget = RSD_LIST_READ_MAX;
	if (cJSON_IsString(v))
		return rsd_fields_list_add(arr, v->valuestring, true, &budget);
	const cJSON *e;
	for (e = cJSON_IsArray(v) ? v->child : NULL; e && budget > 0; e = e->next) {
		if (!cJSON_IsString(e))
			continue;
		int rc = rsd_fields_list_add(arr, e->valuestring, true, &budget);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int nutrients_of(const cJSON *v, struct rsd_recipe_fields *f)
{
	if (cJSON_IsArray(v))
		v = cJSON_GetArrayItem(v, 0);
	if (!cJSON_IsObject(v))
		return 0;
	for (const cJSON *e = v->child; e; e = e->next) {
		if (!e->string || e->string[0] == '@' || !e->string[0])
			continue;
		char *t = first_text(e);
		if (!t)
			continue;
		int rc = rsd_fields_add_nutrient(f, e->string, t);
		free(t);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* recipeYield. A text's range of counts gives its upper bound, but not
 * in an array, whose first element states the count. */
static char *yields_of(const cJSON *v, bool in_array)
{
	/* ["4", "4 servings"]: the element with words says more. */
	if (cJSON_IsArray(v)) {
		const cJSON *e;
		cJSON_ArrayForEach (e, v) {
			if (!cJSON_IsString(e))
				continue;
			for (const char *p = e->valuestring; *p; p++)
				if ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')
					return yields_of(e, true);
		}
		return yields_of(cJSON_GetArrayItem(v, 0), true);
	}
	char *t = scalar_text(v);
	if (!t || !*t) {
		free(t);
		return NULL;
	}
	/* a QuantitativeValue's unit names what the count is of */
	char *unit = cJSON_IsObject(v) ? first_text(cJSON_GetObjectItemCaseSensitive(v, "unitText"))
				       : NULL;
	char *counted = NULL;
	if (unit && asprintf(&counted, "%s %s", t, unit) < 0)
		counted = NULL;
	const char *text = counted ? counted : t;
	char *y = NULL;
	if (!unit || counted) /* else ENOMEM */
		y = in_array ? rsd_fields_yields_text(text) : rsd_fields_recipe_yields(text);
	free(counted);
	free(unit);
	free(t);
	return y;
}

/* ---- the Recipe --------------------------------------------------------- */

/* The name of the first WebSite node of the page (Yoast and similar put
 * one in their @graph). */
static char *website_name(const struct ctx *c)
{
	for (size_t i = 0; i < c->n_docs; i++) {
		const cJSON *d = c->docs[i];
		const cJSON *g = cJSON_GetObjectItemCaseSensitive(d, "@graph");
		const cJSON *list = cJSON_IsArray(g) ? g : d;
		const cJSON *e;
		if (cJSON_IsObject(list) && has_type(list, "WebSite"))
			return first_text(cJSON_GetObjectItemCaseSensitive(list, "name"));
		cJSON_ArrayForEach (e, list)
			if (cJSON_IsObject(e) && has_type(e, "WebSite"))
				return first_text(cJSON_GetObjectItemCaseSensitive(e, "nam"
										      "e"));
	}
	return NULL;
}

static int set_text(char **dst, char *t)
{
	if (*dst) {
		free(t);
		return 0;
	}
	*dst = t;
	return 0;
}

static bool image_area(const struct ctx *c, const cJSON *v, double *area)
{
	double w, h;
	if (!cJSON_IsObject(v) || !number_of(get(c, v, "width"), &w) ||
	    !number_of(get(c, v, "height"), &h) || !(w > 0 && h > 0))
		return false;
	*area = w * h;
	return true;
}

/* The Recipe's image: the first of several (the url of an ImageObject),
 * unless every entry is an ImageObject stating its width and height: then
 * the largest, as the page sized them. An unsized set is flagged, and the
 * size an ImageObject states is kept: a sized og:image may say more
 * (apply_page_fallbacks). Entries without a URL ("") make no set. */
static void image_of(const struct ctx *c, const cJSON *img, struct rsd_recipe_fields *f)
{
	const cJSON *e, *largest = NULL;
	size_t usable = 0;
	bool all_sized = true;
	double best = 0, area;

	f->image_from_set = false;
	img = deref(c, img);
	if (cJSON_IsArray(img)) {
		cJSON_ArrayForEach (e, img) {
			const cJSON *entry = deref(c, e);
			char *u = url_of(c, entry, 1);
			if (!u)
				continue;
			long h = 0, w = rsd_fields_url_width(u, &h);
			if (w > 0 && w == h && !f->image && !f->image_square)
				f->image_square = u;
			else
				free(u);
			usable++;
			if (!image_area(c, entry, &area))
				all_sized = false;
			else if (area > best)
				best = area, largest = entry;
		}
		if (all_sized && largest)
			img = largest;
		else
			f->image_from_set = usable > 1;
		if (!f->image_from_set) {
			free(f->image_square);
			f->image_square = NULL;
		}
	}
	if (!f->image && image_area(c, img, &area))
		f->image_area = area;
	set_text(&f->image, url_of(c, img, 0));
}

int rsd_jsonld_fields(const cJSON *r, cJSON *const *docs, size_t n_docs, const char *base_url,
		      struct rsd_recipe_fields *f)
{
	struct ctx c = { docs, n_docs, base_url, { 0 } };
	int rc = id_index_build(&c.ids, docs, n_docs);
	if (rc < 0) {
		free(c.ids.v);
		return rc;
	}

	set_text(&f->title, first_text(get(&c, r, "name")));
	if (!f->title)
		set_text(&f->title, first_text(get(&c, r, "headline")));
	set_text(&f->description, first_text(get(&c, r, "description")));
	set_text(&f->author, name_of(&c, get(&c, r, "author"), 0));
	if (!f->author)
		set_text(&f->author, name_of(&c, get(&c, r, "creator"), 0));
	if (!f->author) /* no person named: the organisation responsible */
		set_text(&f->author, name_of(&c, get(&c, r, "publisher"), 0));
	image_of(&c, get(&c, r, "image"), f);
	if (!f->image)
		set_text(&f->image, url_of(&c, get(&c, r, "thumbnailUrl"), 0));
	const cJSON *y = get(&c, r, "recipeYield");
	set_text(&f->yields, yields_of(y ? y : get(&c, r, "yield"), false));

	set_text(&f->site_name, website_name(&c));
	if (!f->site_name)
		set_text(&f->site_name, name_of(&c, get(&c, r, "publisher"), 0));

	const cJSON *lang = get(&c, r, "inLanguage");
	set_text(&f->language, cJSON_IsObject(lang) ? first_text(get(&c, lang, "alternateName"))
						    : first_text(lang));

	f->prep_time = minutes_of(get(&c, r, "prepTime"));
	f->cook_time = minutes_of(get(&c, r, "cookTime"));
	f->total_time = minutes_of(get(&c, r, "totalTime"));
	if (f->total_time <= 0 && (f->prep_time > 0 || f->cook_time > 0))
		f->total_time = (f->prep_time > 0 ? f->prep_time : 0) +
				(f->cook_time > 0 ? f->cook_time : 0);

	const cJSON *ing = get(&c, r, "recipeIngredient");
	if (!ing)
		ing = get(&c, r, "ingredients");
	if (!rc)
		rc = add_ingredients(&f->ingredients, ing, 0);
	if (!rc)
		rc = add_instructions(&c, &f->instructions_list, get(&c, r, "recipeInstructions"),
				      0);
	if (!rc)
		rc = add_terms(&f->category, get(&c, r, "recipeCategory"));
	if (!rc)
		rc = add_terms(&f->cuisine, get(&c, r, "recipeCuisine"));
	if (!rc)
		rc = add_terms(&f->keywords, get(&c, r, "keywords"));
	if (!rc)
		rc = nutrients_of(get(&c, r, "nutrition"), f);

	const cJSON *rating = get(&c, r, "aggregateRating");
	double d;
	if (cJSON_IsObject(rating)) {
		if (number_of(get(&c, rating, "ratingValue"), &d) && d >= 0)
			f->ratings = round(d * 100) / 100;
		const cJSON *n = get(&c, rating, "ratingCount");
		if (number_of(n ? n : get(&c, rating, "reviewCount"), &d) && d >= 0 && d < 1e15)
			f->ratings_count = lround(d);
	}
	free(c.ids.v);
	return rc;
}
