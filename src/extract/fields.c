/* SPDX-License-Identifier: MIT */
/* The recipe fields and the helpers every source puts values into them
 * with (see fields.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract/fields.h"
#include "core/text.h"
#include "core/url.h"

/* ---- schema.org types --------------------------------------------------- */

bool rsd_fields_is_recipe_type(const char *t, size_t len)
{
	/* "Recipe", "schema:Recipe", "http://schema.org/Recipe" */
	size_t i = len;
	while (i > 0 && t[i - 1] != '/' && t[i - 1] != ':' && t[i - 1] != '#')
		i--;
	return rsd_text_ieq(t + i, len - i, "recipe");
}

int rsd_fields_keep_first(char **dst, const char *value, bool clean)
{
	if (*dst || !value || !*value)
		return 0;
	*dst = clean ? rsd_text_clean(value, strlen(value)) : strdup(value);
	if (!*dst)
		return -ENOMEM;
	if (!**dst) {
		free(*dst);
		*dst = NULL;
	}
	return 0;
}

/* ---- values into fields -------------------------------------------------- */

char *rsd_fields_resolve_url(const char *base, const char *ref, bool drop_fragment)
{
	struct rsd_url_base b;
	if (!ref || !*ref || rsd_url_base_init(&b, base) < 0)
		return NULL;
	char *out = rsd_url_resolve(&b, ref, drop_fragment);
	rsd_url_base_clear(&b);
	return out;
}

bool rsd_fields_is_web_url(const char *url)
{
	return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

char *rsd_fields_url(const char *base, const char *ref)
{
	if (!ref)
		return NULL;
	ref += strspn(ref, " \t\n\r\f");
	size_t n = strlen(ref);
	while (n && strchr(" \t\n\r\f", ref[n - 1]))
		n--;
	if (rsd_fields_is_web_url(ref) && !memchr(ref, ' ', n) && n > 8)
		return strndup(ref, n);
	return rsd_fields_resolve_url(base, ref, false);
}

/* "-330x186.jpg", "_480x480.png", "/v-w-330-h-186-a/", "w1024h576". */
long rsd_fields_url_width(const char *url, long *height)
{
	const char *p = strstr(url, "://");
	for (p = p ? strchr(p + 3, '/') : NULL; p && *p; p++) {
		if (isalnum((unsigned char)p[-1]))
			continue; /* only where a name part starts */
		bool named = *p == 'w' || *p == 'W';
		const char *d = named ? p + 1 + (p[1] == '-') : p;
		if (!isdigit((unsigned char)*d))
			continue;
		char *e;
		long w = strtol(d, &e, 10);
		bool dims = named ? (*e == 'h' || strncmp(e, "-h-", 3) == 0)
				  : (*e == 'x' && isdigit((unsigned char)e[1]));
		if (dims && e - d >= 2 && e - d <= 4) {
			if (height) /* after "x", "h" or "-h-" */
				*height = strtol(e + (*e == '-' ? 3 : 1), NULL, 10);
			return w;
		}
	}
	return 0;
}

/* "4", "4.5", "4-6", "4 - 6", "4 to 6": a count with no unit. */
static bool only_number(const char *s)
{
	bool digit = false;
	while (*s) {
		if (*s >= '0' && *s <= '9')
			digit = true;
		else if (strncmp(s, "to ", 3) == 0)
			s += 2;
		else if (!strchr(".,- /", *s))
			return false;
		s++;
	}
	return digit;
}

/* Where the upper bound of a range of counts starts, written as
 * recipe-scrapers recognises one: "4-6" or "4 to 6" ("4 - 6", spaced,
 * is no range to it). Its digits, or NULL; *lower set to the lower's. */
static const char *range_upper(const char *s, const char **lower)
{
	const char *p = s + strcspn(s, "0123456789");
	if (!*p)
		return NULL;
	*lower = p;
	p += strspn(p, "0123456789");
	size_t spaces = strspn(p, " ");
	if (spaces == 0 && *p == '-')
		p++;
	else if (spaces > 0 && strncasecmp(p + spaces, "to ", 3) == 0)
		p += spaces + 2 + strspn(p + spaces + 2, " ");
	else
		return NULL;
	return *p >= '0' && *p <= '9' ? p : NULL;
}

char *rsd_fields_recipe_yields(const char *raw)
{
	const char *lower, *upper = range_upper(raw, &lower);
	char *cut = NULL;
	if (!upper)
		return rsd_fields_yields_text(raw);
	if (asprintf(&cut, "%.*s%s", (int)(lower - raw), raw, upper) < 0)
		return NULL;
	char *out = rsd_fields_yields_text(cut);
	free(cut);
	return out;
}

char *rsd_fields_yields_text(const char *raw)
{
	char *out = NULL;
	if (only_number(raw)) {
		if (asprintf(&out, "%s %s", raw, strcmp(raw, "1") == 0 ? "serving" : "servings") <
		    0)
			out = NULL;
		return out;
	}
	/* "Serves 4", "Servings: 4" */
	static const char *const PREFIX[] = { "serves", "servings", "serving", "portions", NULL };
	for (size_t i = 0; PREFIX[i]; i++) {
		size_t n = strlen(PREFIX[i]);
		if (strncasecmp(raw, PREFIX[i], n) != 0)
			continue;
		const char *p = raw + n;
		while (*p == ':' || *p == ' ')
			p++;
		if (*p && only_number(p))
			return rsd_fields_yields_text(p);
	}
	return strdup(raw);
}

int rsd_fields_list_add(cJSON **arr, const char *text, bool split_commas, size_t *budget)
{
	const char *p = text;
	for (; p && *budget > 0; --*budget) {
		const char *comma = split_commas ? strchr(p, ',') : NULL;
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		char *t = rsd_text_clean(p, n);
		if (!t)
			return -ENOMEM;
		bool dup = !rsd_text_has_word(t);
		const cJSON *e;
		cJSON_ArrayForEach (e, *arr)
			if (!dup && strcasecmp(e->valuestring, t) == 0)
				dup = true;
		if (!dup) {
			if (!*arr && !(*arr = cJSON_CreateArray())) {
				free(t);
				return -ENOMEM;
			}
			cJSON *s = cJSON_CreateString(t);
			if (!s || !cJSON_AddItemToArray(*arr, s)) {
				cJSON_Delete(s);
				free(t);
				return -ENOMEM;
			}
		}
		free(t);
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

int rsd_fields_add_nutrient(struct rsd_recipe_fields *f, const char *name, const char *text)
{
	if (!f->nutrients && !(f->nutrients = cJSON_CreateObject()))
		return -ENOMEM;
	if (cJSON_GetArraySize(f->nutrients) >= RSD_NUTRIENTS_MAX ||
	    cJSON_GetObjectItemCaseSensitive(f->nutrients, name))
		return 0;
	if (!cJSON_AddStringToObject(f->nutrients, name, text))
		return -ENOMEM;
	if (strcmp(name, "calories") == 0 && !f->has_calories)
		f->has_calories = rsd_text_first_number(text, &f->calories);
	return 0;
}

/* Tags that end one step and start the next inside instruction HTML. */
static bool is_step_break(const char *s, size_t len)
{
	static const char *const BREAK[] = { "li", "p",  "br", "div", "ol", "ul",      "h1", "h2",
					     "h3", "h4", "h5", "h6",  "tr", "section", NULL };
	size_t i = 1;
	if (i < len && s[i] == '/')
		i++;
	size_t b = i;
	while (i < len &&
	       ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z' ? true : (s[i] >= '1' && s[i] <= '6')))
		i++;
	if (i == b || i >= len ||
	    !(s[i] == '>' || s[i] == ' ' || s[i] == '/' || s[i] == '\t' || s[i] == '\n'))
		return false;
	for (size_t k = 0; BREAK[k]; k++)
		if (rsd_text_ieq(s + b, i - b, BREAK[k]))
			return true;
	return false;
}

static int add_step(cJSON **arr, const char *s, size_t n)
{
	char *t = rsd_text_clean(s, n);
	if (!t)
		return -ENOMEM;
	if (!rsd_text_has_word(t)) {
		free(t);
		return 0;
	}
	cJSON *item = NULL;
	if ((!*arr && !(*arr = cJSON_CreateArray())) || !(item = cJSON_CreateString(t)) ||
	    !cJSON_AddItemToArray(*arr, item)) {
		cJSON_Delete(item);
		free(t);
		return -ENOMEM;
	}
	free(t);
	return 0;
}

int rsd_fields_add_steps(cJSON **arr, const char *text, size_t len)
{
	/* Entities first: "&lt;li&gt;" is a step break too. */
	struct rsd_text_buf a = { 0 }, b = { 0 };
	int rc = rsd_text_buf_append(&a, text, len);
	for (int pass = 0; rc == 0 && pass < 2 && memchr(a.data, '&', a.len); pass++) {
		b.len = 0;
		rc = rsd_text_decode_entities(a.data, a.len, false, &b);
		struct rsd_text_buf t = a;
		a = b;
		b = t;
	}
	rsd_text_buf_free(&b);
	size_t start = 0;
	for (size_t i = 0; rc == 0 && i <= a.len; i++) {
		bool brk = i == a.len || a.data[i] == '\n' || a.data[i] == '\r' ||
			   (a.data[i] == '<' && is_step_break(a.data + i, a.len - i));
		if (!brk)
			continue;
		rc = add_step(arr, a.data + start, i - start);
		if (i < a.len && a.data[i] == '<') {
			const char *gt = memchr(a.data + i, '>', a.len - i);
			i = gt ? (size_t)(gt - a.data) : a.len;
		}
		start = i + 1;
	}
	rsd_text_buf_free(&a);
	return rc;
}

bool rsd_fields_glued_method(const cJSON *instructions)
{
	return cJSON_GetArraySize(instructions) == 1 &&
	       rsd_text_glued_sentences(cJSON_GetArrayItem(instructions, 0)->valuestring);
}

/* ---- the fields ---------------------------------------------------------- */

void rsd_fields_init(struct rsd_recipe_fields *f)
{
	*f = (struct rsd_recipe_fields){
		.total_time = -1,
		.prep_time = -1,
		.cook_time = -1,
		.ratings = -1,
		.ratings_count = -1,
	};
}

void rsd_fields_clear(struct rsd_recipe_fields *f)
{
	free(f->title);
	free(f->author);
	free(f->description);
	free(f->image);
	free(f->image_square);
	free(f->yields);
	free(f->language);
	free(f->site_name);
	cJSON_Delete(f->ingredients);
	cJSON_Delete(f->instructions_list);
	cJSON_Delete(f->category);
	cJSON_Delete(f->cuisine);
	cJSON_Delete(f->keywords);
	cJSON_Delete(f->nutrients);
	rsd_fields_init(f);
}

/* ---- steps packed into one text ----------------------------------------- */

/* Where step label n ("2." or "2)", punct as the first label's) starts in
 * [from, end), *text set after it: after white space, a sentence's end or
 * a multibyte character, and followed by no digit ("1.5 cups" is none). */
static const char *step_label(const char *from, const char *end, unsigned n, char punct,
			      const char **text)
{
	char label[16];
	int len = snprintf(label, sizeof label, "%u%c", n, punct);
	for (const char *p = from; p + len <= end; p++) {
		p = memmem(p, (size_t)(end - p), label, (size_t)len);
		if (!p)
			return NULL;
		unsigned char before = (unsigned char)p[-1];
		bool starts = before >= 0x80 || strchr(" \t\n.!?;:)", before);
		if (starts && (p + len == end || !isdigit((unsigned char)p[len]))) {
			*text = p + len;
			return p;
		}
	}
	return NULL;
}

static int add_piece(cJSON *out, const char *p, const char *e)
{
	while (p < e && rsd_text_is_space(*p))
		p++;
	while (e > p && rsd_text_is_space(e[-1]))
		e--;
	char *t = strndup(p, (size_t)(e - p));
	cJSON *item = t && *t ? cJSON_CreateString(t) : NULL;
	bool ok = t && (!*t || (item && cJSON_AddItemToArray(out, item)));
	free(t);
	return ok ? 0 : -ENOMEM;
}

/* "1. Heat the oven.2. Mix ..." (a method the site numbered by hand in
 * one text): the steps it holds, without their numbers, appended to out.
 * 1 when s starts with "1." or "1)" and step 2 follows, else 0. */
static int split_numbered(const char *s, cJSON *out)
{
	const char *end = s + strlen(s), *text, *next_text;
	while (rsd_text_is_space(*s))
		s++;
	if (s[0] != '1' || (s[1] != '.' && s[1] != ')') || isdigit((unsigned char)s[2]))
		return 0;
	const char *next = step_label(s + 2, end, 2, s[1], &next_text);
	if (!next)
		return 0;
	text = s + 2;
	for (unsigned n = 3; text; n++) {
		int rc = add_piece(out, text, next ? next : end);
		if (rc < 0)
			return rc;
		text = next ? next_text : NULL;
		next = next ? step_label(next_text, end, n, s[1], &next_text) : NULL;
	}
	return 1;
}

/* The one text of a method whose line breaks were lost between its steps
 * ("...vorheizen.Den Teig..."): one step per glued piece. */
static int split_glued(const char *s, cJSON *out)
{
	const char *start = s;
	for (size_t i = 1; s[i]; i++) {
		if (!rsd_text_glued_at(s, i))
			continue;
		int rc = add_piece(out, start, s + i + 1);
		if (rc < 0)
			return rc;
		start = s + i + 1;
	}
	return add_piece(out, start, s + strlen(s));
}

int rsd_fields_unpack_steps(cJSON **steps)
{
	if (!*steps)
		return 0;
	bool glued = rsd_fields_glued_method(*steps);
	cJSON *out = cJSON_CreateArray();
	int rc = out ? 0 : -ENOMEM;
	bool changed = glued;
	const cJSON *e;
	for (e = (*steps)->child; e && rc == 0; e = e->next) {
		rc = split_numbered(e->valuestring, out);
		changed |= rc == 1;
		if (rc == 0)
			rc = glued ? split_glued(e->valuestring, out)
				   : add_piece(out, e->valuestring,
					       e->valuestring + strlen(e->valuestring));
		rc = rc < 0 ? rc : 0;
	}
	if (rc == 0 && changed && cJSON_GetArraySize(out) > 0) {
		cJSON_Delete(*steps);
		*steps = out;
		out = NULL;
	}
	cJSON_Delete(out);
	return rc;
}
