/* SPDX-License-Identifier: MIT */
/* Recipe extraction driver (see include/recipe-scraperd/extract.h).
 *
 * Pipeline for one page:
 *   bytes --charset--> UTF-8 --scan or DOM--> rsd_page_info
 *         --JSON-LD (else microdata)--> rsd_recipe_fields --> cJSON record
 * The fast path never builds a DOM: the streaming scanner (html_scan.c)
 * yields every tag the record needs, and the DOM is parsed only when the
 * page has no JSON-LD Recipe but declares a microdata Recipe, a hRecipe or
 * a recipe plugin's container, or carries an ingredients word (memmem on
 * the raw bytes: a recipe without any markup, found by its Ingredients and
 * Method sections), or when its Recipe lacks the lists (then read from the
 * HTML, extract_microdata.c). Ingredients given as names only have just the
 * part of the page around those names parsed, and missing yields are read
 * from the page's text with the streaming scanner: both from the raw
 * bytes, the same on either path. Fallbacks in that order: JSON-LD,
 * microdata, hRecipe / plugin container, plain sections. With
 * RSD_EXTRACT_FULL_PARSE the same page_info comes from the gumbo DOM
 * instead; everything after page_info is shared, which is what makes the
 * two paths comparable record for record.
 *
 * Peak memory of one extraction, for an input of N bytes with S bytes of
 * JSON-LD: the UTF-8 copy only when the page needs converting or repairing
 * (<= 3 N, kept in the extractor and reused by the next page), the cJSON
 * trees (a few S), a 32 KiB walk queue and the page_info strings (< N);
 * on the DOM path also the gumbo tree (about 3 N), freed before returning.
 * Measured with massif on the largest dev page (N = 1.16 MB, valid UTF-8):
 * about 0.1 MB above the input on the fast path, 3.1 MB with the full
 * parse. The fetcher bounds N with scraper.max_page_bytes. */
#include <recipe-scraperd/extract.h>

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "charset.h"
#include "extract_internal.h"
#include "html_scan.h"
#include "core/record_caps.h"
#include "core/text.h"

struct rsd_extractor {
	/* UTF-8 copy of the current page when it was not valid UTF-8 already;
	 * kept between calls so a thread reuses one allocation. */
	struct rsd_text_buf utf8;
};

int rsd_extractor_new(rsd_extractor **out)
{
	*out = calloc(1, sizeof **out);
	return *out ? 0 : -ENOMEM;
}

void rsd_extractor_free(rsd_extractor *x)
{
	if (!x)
		return;
	rsd_text_buf_free(&x->utf8);
	free(x);
}

void rsd_extract_result_clear(struct rsd_extract_result *r)
{
	if (!r)
		return;
	cJSON_Delete(r->record);
	for (size_t i = 0; i < r->n_links; i++)
		free(r->links[i]);
	free(r->links);
	*r = (struct rsd_extract_result){0};
}

double rsd_record_calories(const cJSON *record)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(record, "calories");
	return cJSON_IsNumber(c) ? c->valuedouble : -1;
}

/* ---- page info ---------------------------------------------------------- */

void rsd_extract_page_info_clear(struct rsd_page_info *pi)
{
	char **strs[] = {&pi->base_href, &pi->canonical, &pi->lang, &pi->og_site_name,
		&pi->og_title, &pi->og_description, &pi->og_image, &pi->og_url,
		&pi->meta_description, &pi->meta_author};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		free(*strs[i]);
	free(pi->scripts);
	for (size_t i = 0; i < pi->n_hrefs; i++)
		free(pi->hrefs[i]);
	free(pi->hrefs);
	*pi = (struct rsd_page_info){0};
}

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 8;
	void *p = reallocarray(*arr, c, elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

int rsd_extract_page_add_script(struct rsd_page_info *pi, const char *p, size_t len)
{
	if (grow((void **)&pi->scripts, &pi->cap_scripts, pi->n_scripts, sizeof *pi->scripts) < 0)
		return -ENOMEM;
	pi->scripts[pi->n_scripts++] = (struct rsd_slice){p, len};
	return 0;
}

int rsd_extract_page_add_href(struct rsd_page_info *pi, char *href)
{
	if (!href || grow((void **)&pi->hrefs, &pi->cap_hrefs, pi->n_hrefs, sizeof *pi->hrefs) < 0) {
		free(href);
		return -ENOMEM;
	}
	pi->hrefs[pi->n_hrefs++] = href;
	return 0;
}

int rsd_extract_keep_first(char **dst, const char *value, bool clean)
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

int rsd_extract_page_meta(struct rsd_page_info *pi, const char *name, const char *content)
{
	static const struct {
		const char *name;
		size_t off;
		bool clean;
	} KEYS[] = {
		{"og:site_name", offsetof(struct rsd_page_info, og_site_name), true},
		{"og:title", offsetof(struct rsd_page_info, og_title), true},
		{"og:description", offsetof(struct rsd_page_info, og_description), true},
		{"og:image", offsetof(struct rsd_page_info, og_image), false},
		{"og:image:url", offsetof(struct rsd_page_info, og_image), false},
		{"og:image:secure_url", offsetof(struct rsd_page_info, og_image), false},
		{"twitter:image", offsetof(struct rsd_page_info, og_image), false},
		{"og:url", offsetof(struct rsd_page_info, og_url), false},
		{"description", offsetof(struct rsd_page_info, meta_description), true},
		{"author", offsetof(struct rsd_page_info, meta_author), true},
	};
	for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++)
		if (rsd_text_ieq(name, strlen(name), KEYS[i].name))
			return rsd_extract_keep_first((char **)((char *)pi + KEYS[i].off), content, KEYS[i].clean);
	return 0;
}

/* rel is a space separated token list: "canonical", "alternate canonical". */
int rsd_extract_page_link(struct rsd_page_info *pi, const char *rel, const char *href)
{
	for (const char *p = rel; *p;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		size_t n = strcspn(p, " \t\n");
		if (rsd_text_ieq(p, n, "canonical"))
			return rsd_extract_keep_first(&pi->canonical, href, false);
		p += n;
	}
	return 0;
}

bool rsd_extract_is_ldjson_type(const char *type)
{
	/* "application/ld+json", any case, parameters allowed */
	size_t n = strcspn(type, ";");
	while (n && (type[n - 1] == ' ' || type[n - 1] == '\t'))
		n--;
	while (n && (*type == ' ' || *type == '\t')) {
		type++;
		n--;
	}
	return rsd_text_ieq(type, n, "application/ld+json");
}

/* ---- fast path: page info from the streaming scan ----------------------- */

/* Decoded value of attribute name, or NULL (absent); "" when empty.
 * Returns -ENOMEM through *rc. */
static char *attr_value(const struct rsd_html_tag *t, const char *name, int *rc)
{
	const struct rsd_html_attr *a = rsd_html_scan_attr(t, name);
	if (!a)
		return NULL;
	struct rsd_text_buf b = {0};
	if (rsd_text_decode_entities(a->value, a->value_len, true, &b) < 0) {
		*rc = -ENOMEM;
		return NULL;
	}
	char *s = rsd_text_buf_steal(&b);
	if (!s)
		*rc = -ENOMEM;
	return s;
}

static int scan_meta(const struct rsd_html_tag *t, struct rsd_page_info *pi)
{
	int rc = 0;
	char *content = attr_value(t, "content", &rc);
	if (content) {
		char *key = attr_value(t, "property", &rc);
		if (!key || !*key) {
			free(key);
			key = attr_value(t, "name", &rc);
		}
		if (key)
			rc = rsd_extract_page_meta(pi, key, content);
		free(key);
	}
	free(content);
	return rc;
}

static int scan_tag(const struct rsd_html_tag *t, bool want_links, struct rsd_page_info *pi)
{
	int rc = 0;
	char *v = NULL, *w = NULL;
	if (t->is_end)
		return 0;
	if (rsd_html_scan_is(t, "a")) {
		if (want_links && (v = attr_value(t, "href", &rc)) != NULL)
			return rsd_extract_page_add_href(pi, v);
	} else if (rsd_html_scan_is(t, "script")) {
		if ((v = attr_value(t, "type", &rc)) && rsd_extract_is_ldjson_type(v))
			rc = rsd_extract_page_add_script(pi, t->text, t->text_len);
	} else if (rsd_html_scan_is(t, "meta")) {
		rc = scan_meta(t, pi);
	} else if (rsd_html_scan_is(t, "link")) {
		if ((v = attr_value(t, "rel", &rc)) && (w = attr_value(t, "href", &rc)))
			rc = rsd_extract_page_link(pi, v, w);
	} else if (rsd_html_scan_is(t, "base")) {
		if ((v = attr_value(t, "href", &rc)))
			rc = rsd_extract_keep_first(&pi->base_href, v, false);
	} else if (rsd_html_scan_is(t, "html")) {
		if ((v = attr_value(t, "lang", &rc)))
			rc = rsd_extract_keep_first(&pi->lang, v, true);
	}
	if (!pi->has_microdata_recipe && rsd_html_scan_attr(t, "itemscope")) {
		const struct rsd_html_attr *it = rsd_html_scan_attr(t, "itemtype");
		pi->has_microdata_recipe =
			it && rsd_text_icasefind(it->value, it->value_len, "recipe") != NULL;
	}
	free(v);
	free(w);
	return rc;
}

/* ---- the size of the tree: whether gumbo may build the DOM -------------- */

/* gumbo's tree construction searches the stack of open elements for every
 * tag, so its time grows with the square of the nesting depth: 40,000 open
 * <div><i> (160 KB) take a second; real pages nest a few dozen deep.  Its
 * memory grows with the elements, about 450 bytes each: a 4 MB page of
 * small list items costs 130 MB; real pages have a few thousand elements.
 * Past either bound the page is read from JSON-LD and <meta> tags only. */
#define MAX_DOM_DEPTH 2048
#define MAX_DOM_ELEMENTS 50000

/* Elements that do not deepen the tree gumbo builds: void elements, and
 * those whose end tag is optional because the next sibling closes them
 * (lists and tables of thousands of rows omit </li>, </td>). */
static bool leaves_depth(const char *name, size_t len)
{
	static const char *const by_len[][8] = {
		[1] = {"p"},
		[2] = {"br", "hr", "li", "td", "th", "tr", "dt", "dd"},
		[3] = {"col", "img", "wbr"},
		[4] = {"area", "base", "link", "meta"},
		[5] = {"embed", "input", "param", "track", "tbody", "thead", "tfoot"},
		[6] = {"source", "option"},
		[8] = {"optgroup", "colgroup"},
	};
	if (len >= sizeof by_len / sizeof by_len[0])
		return false;
	for (size_t i = 0; i < 8 && by_len[len][i]; i++)
		if (rsd_text_ieq(name, len, by_len[len][i]))
			return true;
	return false;
}

/* Estimates of gumbo's tree from the tags: elements, and the depth of its
 * stack of open elements (start tags push, end tags pop; self-closing tags
 * push only outside <svg>/<math>, as in HTML "<div/>" opens a div). */
struct tree_estimate {
	unsigned elements, depth, max_depth;
};

static void tree_track(struct tree_estimate *e, const struct rsd_html_scanner *s,
		       const struct rsd_html_tag *t)
{
	if (!t->is_end)
		e->elements++;
	if (leaves_depth(t->name, t->name_len))
		return;
	if (t->is_end) {
		if (e->depth)
			e->depth--;
	} else if (!(t->self_closing && s->foreign_depth > 0) && ++e->depth > e->max_depth) {
		e->max_depth = e->depth;
	}
}

static bool tree_fits(const struct tree_estimate *e)
{
	return e->max_depth <= MAX_DOM_DEPTH && e->elements <= MAX_DOM_ELEMENTS;
}

/* The full-parse path's estimate: the same scan, nothing else read. */
static struct tree_estimate estimate_tree(const char *html, size_t len)
{
	struct rsd_html_scanner s;
	struct rsd_html_tag t;
	struct tree_estimate e = {0};
	rsd_html_scan_init(&s, html, len);
	while (rsd_html_scan_next(&s, &t))
		tree_track(&e, &s, &t);
	return e;
}

static int scan_page(const char *html, size_t len, bool want_links, struct rsd_page_info *pi,
		     struct tree_estimate *tree)
{
	struct rsd_html_scanner s;
	struct rsd_html_tag t;
	struct tree_estimate e = {0};
	rsd_html_scan_init(&s, html, len);
	while (rsd_html_scan_next(&s, &t)) {
		int rc = scan_tag(&t, want_links, pi);
		if (rc < 0)
			return rc;
		tree_track(&e, &s, &t);
	}
	*tree = e;
	return 0;
}

/* ---- shared helpers ----------------------------------------------------- */

char *rsd_extract_resolve_url(const char *base, const char *ref, bool drop_fragment)
{
	if (!ref || !*ref)
		return NULL;
	CURLU *u = curl_url();
	if (!u)
		return NULL;
	char *out = NULL, *tmp = NULL;
	/* Browsers strip surrounding white space and percent-encode spaces. */
	const unsigned flags = CURLU_URLENCODE | CURLU_NON_SUPPORT_SCHEME;
	while (*ref == ' ' || *ref == '\t' || *ref == '\n' || *ref == '\r')
		ref++;
	size_t n = strlen(ref);
	while (n && (ref[n - 1] == ' ' || ref[n - 1] == '\t' || ref[n - 1] == '\n' || ref[n - 1] == '\r'))
		n--;
	char *r = strndup(ref, n);
	/* An empty or fragment-only reference names the base document itself; curl 7.88
	 * resolves "#x" against the base's directory instead (RFC 3986 5.2.2
	 * says: base path and query, new fragment). */
	bool same_document = r && (r[0] == '#' || r[0] == '\0') && base;
	if (r && (!base || curl_url_set(u, CURLUPART_URL, base, flags) == CURLUE_OK) &&
	    (same_document ? curl_url_set(u, CURLUPART_FRAGMENT, *r ? r + 1 : NULL, flags)
			   : curl_url_set(u, CURLUPART_URL, r, flags)) == CURLUE_OK &&
	    (!drop_fragment || curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) == CURLUE_OK) &&
	    curl_url_get(u, CURLUPART_URL, &tmp, 0) == CURLUE_OK)
		out = strdup(tmp);
	curl_free(tmp);
	free(r);
	curl_url_cleanup(u);
	return out;
}

static bool is_web_url(const char *url)
{
	return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

char *rsd_extract_field_url(const char *base, const char *ref)
{
	if (!ref)
		return NULL;
	ref += strspn(ref, " \t\n\r\f");
	size_t n = strlen(ref);
	while (n && strchr(" \t\n\r\f", ref[n - 1]))
		n--;
	if (is_web_url(ref) && !memchr(ref, ' ', n) && n > 8)
		return strndup(ref, n);
	return rsd_extract_resolve_url(base, ref, false);
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

char *rsd_extract_yields_text(const char *raw)
{
	char *out = NULL;
	if (only_number(raw)) {
		if (asprintf(&out, "%s %s", raw, strcmp(raw, "1") == 0 ? "serving" : "servings") < 0)
			out = NULL;
		return out;
	}
	/* "Serves 4", "Servings: 4" */
	static const char *const PREFIX[] = {"serves", "servings", "serving", "portions", NULL};
	for (size_t i = 0; PREFIX[i]; i++) {
		size_t n = strlen(PREFIX[i]);
		if (strncasecmp(raw, PREFIX[i], n) != 0)
			continue;
		const char *p = raw + n;
		while (*p == ':' || *p == ' ')
			p++;
		if (*p && only_number(p))
			return rsd_extract_yields_text(p);
	}
	return strdup(raw);
}

int rsd_extract_list_add(cJSON **arr, const char *text, bool split_commas, size_t *budget)
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
		cJSON_ArrayForEach(e, *arr)
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

int rsd_extract_add_nutrient(struct rsd_recipe_fields *f, const char *name, const char *text)
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
	static const char *const BREAK[] = {"li", "p", "br", "div", "ol", "ul", "h1", "h2", "h3",
		"h4", "h5", "h6", "tr", "section", NULL};
	size_t i = 1;
	if (i < len && s[i] == '/')
		i++;
	size_t b = i;
	while (i < len && ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z' ? true : (s[i] >= '1' && s[i] <= '6')))
		i++;
	if (i == b || i >= len || !(s[i] == '>' || s[i] == ' ' || s[i] == '/' || s[i] == '\t' || s[i] == '\n'))
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

int rsd_extract_add_steps(cJSON **arr, const char *text, size_t len)
{
	/* Entities first: "&lt;li&gt;" is a step break too. */
	struct rsd_text_buf a = {0}, b = {0};
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

/* ---- labelled yields and times in prose --------------------------------- */

/* Letters of a word: ASCII letters and any non-ASCII UTF-8 byte. */
static bool word_byte(char c)
{
	unsigned char u = (unsigned char)c;
	return ((u | 0x20) >= 'a' && (u | 0x20) <= 'z') || u >= 0x80;
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Length of the blank at p: a space, a tab or a no-break space (pages put
 * one between a number and its unit: "45&nbsp;min"), else 0. */
static size_t blank_at(const char *p, const char *end)
{
	if (p < end && (*p == ' ' || *p == '\t'))
		return 1;
	return end - p >= 2 && (unsigned char)p[0] == 0xC2 && (unsigned char)p[1] == 0xA0 ? 2 : 0;
}

static const char *skip_blanks(const char *p, const char *end)
{
	for (size_t n; (n = blank_at(p, end)) != 0;)
		p += n;
	return p;
}

/* Length of phrase `lower` at s (ASCII case-insensitive) when it ends a
 * word there, else 0. */
static size_t phrase_at(const char *s, const char *end, const char *lower)
{
	size_t n = strlen(lower);
	if ((size_t)(end - s) < n || !rsd_text_ieq(s, n, lower))
		return 0;
	bool nbsp = end - (s + n) >= 2 && (unsigned char)s[n] == 0xC2 && (unsigned char)s[n + 1] == 0xA0;
	return s + n < end && word_byte(s[n]) && !nbsp ? 0 : n;
}

/* The separators between a label and its value: "Serves: 4", "Prep - 10 min". */
static const char *skip_separators(const char *p, const char *end)
{
	static const char *const SEP[] = {" ", "\xc2\xa0", ":", "-", "=", "\xe2\x80\x93", "\xe2\x80\x94",
		"about ", "approx. ", "ca. ", "env. ", NULL};
	for (bool again = true; again;) {
		again = false;
		for (size_t i = 0; SEP[i]; i++) {
			size_t n = strlen(SEP[i]);
			if ((size_t)(end - p) >= n && rsd_text_ieq(p, n, SEP[i])) {
				p += n;
				again = true;
			}
		}
	}
	return p;
}

/* A count ("4", "2.5", "2-4", "2 - 4", "2 to 4") at p: its end, or p. */
static const char *count_end(const char *p, const char *end)
{
	const char *q = p;
	while (q < end && digit(*q))
		q++;
	if (q == p || q - p > 6)
		return p; /* no count, or a number too long for one (an id, a price) */
	if (q + 1 < end && (*q == '.' || *q == ',') && digit(q[1]))
		for (q++; q < end && digit(*q); q++)
			;
	const char *r = q;
	while (r < end && *r == ' ')
		r++;
	size_t dash = r < end && *r == '-' ? 1 : (end - r >= 3 && memcmp(r, "\xe2\x80\x93", 3) == 0) ? 3
		      : phrase_at(r, end, "to") ? 2 : 0;
	if (dash) {
		r += dash;
		while (r < end && *r == ' ')
			r++;
		if (r < end && digit(*r)) {
			for (q = r; q < end && digit(*q); q++)
				;
		}
	}
	return q;
}

static bool in_list(const char *s, const char *end, const char *const *words)
{
	for (size_t i = 0; words[i]; i++)
		if (phrase_at(s, end, words[i]))
			return true;
	return false;
}

/* Minutes of "1 hour 30 min", "25 minutes", "1 Std. 10 Min." at p, or -1;
 * *stop (when given) is set to the end of the last unit read. */
static long prose_minutes(const char *p, const char *end, const char **stop)
{
	static const char *const HOURS[] = {"h", "hr", "hrs", "hour", "hours", "std", "stunde",
		"stunden", "heure", "heures", "hora", "horas", "ora", "ore", "uur", "timme", "timmar",
		"time", "timer", "godz", "hod", "hodina", "hodiny", "hodin", NULL};
	static const char *const MINUTES[] = {"m", "min", "mins", "minute", "minutes", "minuten",
		"minuti", "minuto", "minutos", "minuter", "minutter", "minut", "minuty", "minutach", NULL};
	double total = 0;
	bool any = false;
	for (int part = 0; part < 3; part++) {
		p = skip_separators(p, end);
		const char *q = count_end(p, end);
		if (q == p)
			break;
		double v = strtod(p, NULL); /* the lower bound of a range */
		q = skip_blanks(q, end);
		const char *u = q;
		while (q < end && word_byte(*q))
			q++;
		double scale = in_list(u, end, HOURS) ? 60 : in_list(u, end, MINUTES) ? 1 : 0;
		if (!scale)
			break;
		total += v * scale;
		any = true;
		p = q;
		if (stop)
			*stop = q;
		if (p < end && *p == '.')
			p++;
		p = skip_blanks(p, end);
		size_t and = phrase_at(p, end, "and") ? 3 : phrase_at(p, end, "und") ? 3
			     : phrase_at(p, end, "et") ? 2 : 0;
		p += and;
	}
	return any && total < 1e6 ? lround(total) : -1;
}

/* The end of at most two words at w ("cookies", "small loaves"), or w. */
static const char *two_words_end(const char *w, const char *end)
{
	const char *q = w;
	for (int words = 0; words < 2 && q < end && word_byte(*q); words++) {
		while (q < end && word_byte(*q))
			q++;
		if (q + 1 < end && *q == ' ' && word_byte(q[1]))
			q++;
	}
	while (q > w && q[-1] == ' ')
		q--;
	return q;
}

/* What follows a count that "makes" something: "12 cookies", "2 loaves". */
static char *made_count(const char *count, const char *count_stop, const char *end)
{
	const char *w = count_stop;
	w = skip_blanks(w, end);
	const char *q = two_words_end(w, end);
	char *num = strndup(count, (size_t)(count_stop - count));
	char *out = NULL;
	if (num && q > w) {
		if (asprintf(&out, "%s %.*s", num, (int)(q - w), w) < 0)
			out = NULL;
	} else if (num) {
		out = rsd_extract_yields_text(num);
	}
	free(num);
	return out;
}

/* Labels before a count of servings, and before a count of things made. */
static const char *const SERVES[] = {"servings", "serving", "serves", "portions", "portionen",
	"porciones", "porzioni", "porções", "personnes", "personen", "porce", "porcje",
	"portioner", NULL};
static const char *const MAKES[] = {"yields", "yield", "makes", "ergibt", "rendement",
	"rendimiento", NULL};

/* "Serves 4", "Makes 12 cookies", "4 personnes": yields at p, or NULL. */
static char *prose_yields(const char *p, const char *end, bool *nomem)
{
	static const char *const UNITS[] = {"servings", "serving", "people", "persons", "personnes",
		"personen", "portionen", "portions", "porciones", "porzioni", "porções", "porce",
		"porcí", "porcje", "porcji", "osoby", "osób", "os", "personas", "persone", "personer",
		"portioner", "pers", NULL}; /* "os.": Polish persons */
	char *out = NULL;
	if (digit(*p)) {
		const char *q = count_end(p, end), *u = q;
		u = skip_blanks(u, end);
		if (q > p && in_list(u, end, UNITS)) {
			char *num = strndup(p, (size_t)(q - p));
			out = num ? rsd_extract_yields_text(num) : NULL;
			free(num);
			*nomem = !out;
		}
		return out;
	}
	for (int makes = 0; makes < 2; makes++) {
		const char *const *labels = makes ? MAKES : SERVES;
		for (size_t i = 0; labels[i]; i++) {
			size_t n = phrase_at(p, end, labels[i]);
			if (!n)
				continue;
			const char *v = skip_separators(p + n, end), *q = count_end(v, end);
			if (q == v)
				return NULL;
			char *num = strndup(v, (size_t)(q - v));
			if (num)
				out = makes ? made_count(v, q, end) : rsd_extract_yields_text(num);
			*nomem = !out;
			free(num);
			return out;
		}
	}
	return NULL;
}

/* A yields label at the start of one of the page's text nodes: ">Serves
 * <b>4</b>", ">Servings</div> <div>4", ">4 porce". Recipe cards show it
 * where the Recipe data has none. Text nodes are read in document order,
 * outside raw-text elements (scripts, styles, the title); only those that
 * start with a digit or a label's first word are cleaned (a few dozen
 * bytes of them, tags dropped) and read. */
static bool may_start_yields(const char *p, const char *end)
{
	static const char *const FIRST[] = {"serv", "yield", "makes", "portion", "porcion",
		"porzion", "porçõ", "personne", "personen", "porce", "porcj", "ergibt", "rendement",
		"rendimiento", NULL};
	if (digit(*p))
		return true;
	for (size_t i = 0; FIRST[i]; i++) {
		size_t n = strlen(FIRST[i]);
		if ((size_t)(end - p) >= n && rsd_text_ieq(p, n, FIRST[i]))
			return true;
	}
	return false;
}

/* The text from p to the next tag, at most max bytes of it, cleaned. */
static char *text_node(const char *p, const char *end, size_t max)
{
	const char *lt = memchr(p, '<', (size_t)(end - p));
	size_t n = (size_t)((lt ? lt : end) - p);
	return rsd_text_clean(p, n < max ? n : max);
}

static bool blank(const char *p, const char *end)
{
	p = rsd_text_skip_space(p, end);
	return p == end || *p == '<';
}

/* The option a <select> shows: the one marked selected, else the first
 * (as a browser does). Leaves *s after </select>. */
static char *shown_option(struct rsd_html_scanner *s)
{
	enum { MAX_OPTIONS = 200, COUNT_BYTES = 32 };
	struct rsd_html_tag t;
	const char *first = NULL, *selected = NULL;
	for (int n = 0; n < MAX_OPTIONS && rsd_html_scan_next(s, &t); n++) {
		if (rsd_html_scan_is(&t, "select") && t.is_end)
			break;
		if (!rsd_html_scan_is(&t, "option") || t.is_end)
			continue;
		first = first ? first : s->p;
		if (!selected && rsd_html_scan_attr(&t, "selected"))
			selected = s->p;
	}
	const char *shown = selected ? selected : first;
	return shown ? text_node(shown, s->end, COUNT_BYTES) : strdup("");
}

/* The next text from s, at most two tags further ("</select>
 * <span>people</span>"), or NULL. */
static const char *next_text(struct rsd_html_scanner s)
{
	struct rsd_html_tag t;
	for (int n = 0; n < 3 && blank(s.p, s.end) && rsd_html_scan_next(&s, &t); n++)
		;
	return blank(s.p, s.end) ? NULL : s.p;
}

/* The last word of the text node at p ("Servings" of "Number of
 * Servings:"), or "" when it ends with no word. */
static char *last_word(const char *p, const char *end)
{
	enum { TAIL = 48 };
	const char *lt = memchr(p, '<', (size_t)(end - p));
	end = lt ? lt : end;
	if (end - p > TAIL)
		for (p = end - TAIL; p < end && ((unsigned char)*p & 0xC0) == 0x80; p++)
			; /* from the start of a character */
	char *text = rsd_text_clean(p, (size_t)(end - p));
	if (!text)
		return NULL;
	size_t n = strlen(text);
	while (n > 0 && (text[n - 1] == ':' || text[n - 1] == ' '))
		n--;
	size_t w = n;
	while (w > 0 && word_byte(text[w - 1]))
		w--;
	memmove(text, text + w, n - w);
	text[n - w] = '\0';
	return text;
}

/* A servings scaler, the count a <select> whose shown option holds it:
 * "Servings: <select><option selected>4</option>…</select>",
 * "<label>Makes</label> <select>…</select> cookies", "Pour <select>…
 * </select> personnes". label is the last text before the <select> (at
 * most two tags before it), or NULL; its last word is the yields label,
 * or else the text after the count is the unit. Leaves *s after the
 * </select>: its options are no text of their own. */
static int scaler_yields(struct rsd_html_scanner *s, const char *label, char **yields)
{
	enum { UNIT_BYTES = 48 };
	char *count = shown_option(s);
	const char *after = next_text(*s);
	char *unit = after ? text_node(after, s->end, UNIT_BYTES) : strdup("");
	char *word = label ? last_word(label, s->end) : strdup("");
	char *text = NULL;
	bool nomem = !count || !unit || !word;
	if (!nomem && *count && asprintf(&text, "%s %s %s", word, count, unit) < 0)
		nomem = true;
	if (text) {
		const char *end = text + strlen(text), *at_count = text + strlen(word) + 1;
		if (*word)
			*yields = prose_yields(text, end, &nomem);
		if (!*yields && !nomem)
			*yields = prose_yields(at_count, end, &nomem);
	}
	free(text);
	free(word);
	free(count);
	free(unit);
	return nomem ? -ENOMEM : 0;
}

/* Whether the digits at p (the page's bytes: not NUL-terminated, so no
 * strtol) make a number of at least min. */
static bool count_at_least(const char *p, const char *end, unsigned long min)
{
	unsigned long v = 0;
	for (; p < end && digit(*p) && v < min; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	return v >= min;
}

int rsd_extract_page_yields(const char *html, size_t len, char **yields)
{
	enum { WINDOW = 96 };
	struct rsd_html_scanner s;
	struct rsd_html_tag t;
	const char *end = html + len, *label = NULL;
	int tags_since_label = 0;
	bool nomem = false;
	rsd_html_scan_init(&s, html, len);
	while (!*yields && !nomem) {
		const char *before = s.p;
		if (!rsd_html_scan_next(&s, &t))
			break;
		if (!blank(before, end)) {
			label = before;
			tags_since_label = 0;
		} else if (tags_since_label <= 2) {
			tags_since_label++;
		}
		if (rsd_html_scan_is(&t, "select") && !t.is_end) {
			int rc = scaler_yields(&s, tags_since_label <= 2 ? label : NULL, yields);
			if (rc < 0)
				return rc;
			continue;
		}
		const char *p = rsd_text_skip_space(s.p, end);
		if (p == end || *p == '<' || !may_start_yields(p, end))
			continue;
		if (count_at_least(p, end, 100))
			continue; /* "1309 people saved this": a page's counter, no yield */
		size_t n = (size_t)(end - p) < WINDOW ? (size_t)(end - p) : WINDOW;
		const char *select = rsd_text_icasefind(p, n, "<select");
		if (select)
			n = (size_t)(select - p); /* the scaler's shown option, not its first */
		char *text = rsd_text_clean(p, n);
		if (!text)
			return -ENOMEM;
		*yields = prose_yields(text, text + strlen(text), &nomem);
		free(text);
	}
	return nomem ? -ENOMEM : 0;
}

/* The time labels: the field they fill, longest phrases first. */
static const struct {
	const char *label;
	size_t field; /* offsetof the long in rsd_recipe_fields */
} TIME_LABELS[] = {
#define PREP offsetof(struct rsd_recipe_fields, prep_time)
#define COOK offsetof(struct rsd_recipe_fields, cook_time)
#define TOTAL offsetof(struct rsd_recipe_fields, total_time)
	{"preparation time", PREP}, {"prep time", PREP}, {"preparation", PREP}, {"prep", PREP},
	{"zubereitungszeit", PREP}, {"vorbereitungszeit", PREP}, {"arbeitszeit", PREP},
	{"vorbereitung", PREP}, {"temps de préparation", PREP}, {"préparation", PREP},
	{"tiempo de preparación", PREP}, {"preparación", PREP}, {"tempo di preparazione", PREP},
	{"preparazione", PREP}, {"bereidingstijd", PREP}, {"voorbereidingstijd", PREP},
	{"tempo de preparo", PREP}, {"příprava", PREP}, {"czas przygotowania", PREP},
	{"cooking time", COOK}, {"cook time", COOK}, {"cooking", COOK}, {"cook", COOK},
	{"kochzeit", COOK}, {"backzeit", COOK}, {"garzeit", COOK}, {"temps de cuisson", COOK},
	{"cuisson", COOK}, {"tiempo de cocción", COOK}, {"cocción", COOK},
	{"tempo di cottura", COOK}, {"cottura", COOK}, {"kooktijd", COOK}, {"baktijd", COOK},
	{"tempo de cozimento", COOK}, {"czas gotowania", COOK},
	{"total time", TOTAL}, {"ready in", TOTAL}, {"total", TOTAL}, {"gesamtzeit", TOTAL},
	{"temps total", TOTAL}, {"tiempo total", TOTAL}, {"tempo totale", TOTAL},
	{"totale tijd", TOTAL}, {"tempo total", TOTAL}, {"celkový čas", TOTAL},
	{"czas całkowity", TOTAL},
#undef PREP
#undef COOK
#undef TOTAL
};

/* A time label and its duration at p: fills the field when still unset. */
static void prose_time(const char *p, const char *end, struct rsd_recipe_fields *f)
{
	for (size_t i = 0; i < sizeof TIME_LABELS / sizeof TIME_LABELS[0]; i++) {
		size_t n = phrase_at(p, end, TIME_LABELS[i].label);
		if (!n)
			continue;
		long *field = (long *)((char *)f + TIME_LABELS[i].field);
		long m = prose_minutes(p + n, end, NULL);
		if (m >= 0 && *field < 0)
			*field = m;
		return;
	}
}

/* ---- a line of facts under a plain page's title ---------------------------
 *
 * Pages without recipe markup often give the yields and the time on a short
 * line of their own under the title, unlabelled: "10 pieces — 20 minutes",
 * "Serves 4 | 1 hour 10 min", "12 cookies · 45 min". A line made only of
 * such parts, with exactly one duration, gives that duration as the total
 * time and its count as the yields. Anything else on the line ("5 min read",
 * a date, a name, two durations) and the line is left alone. */

enum fact { FACT_NONE, FACT_DURATION, FACT_COUNT, FACT_OTHER };

enum { FACT_LINE_MAX = 120 };

/* Length of a separator between two facts at p, or 0. Dashes that may
 * write a range ("20-25", "20–25") count only between spaces. */
static size_t fact_separator(const char *p, const char *end)
{
	static const char *const SEP[] = {"\xe2\x80\x94", " \xe2\x80\x93 ", " - ", "|", "/",
		"\xc2\xb7", "\xe2\x80\xa2", NULL}; /* em dash, en dash, -, |, /, middle dot, bullet */
	for (size_t i = 0; SEP[i]; i++) {
		size_t n = strlen(SEP[i]);
		if ((size_t)(end - p) >= n && memcmp(p, SEP[i], n) == 0)
			return n;
	}
	return 0;
}

/* p..*end without the blanks around it. */
static const char *fact_trim(const char *p, const char **end)
{
	p = skip_blanks(p, *end);
	for (;;) {
		if (*end > p && ((*end)[-1] == ' ' || (*end)[-1] == '\t'))
			*end -= 1;
		else if (*end - p >= 2 && blank_at(*end - 2, *end) == 2)
			*end -= 2;
		else
			return p;
	}
}

/* What the part p..end of a facts line is: a duration (*minutes set), a
 * count and its noun ("10 pieces", "Serves 4"), another count a recipe
 * header shows ("5 ingredients"), or nothing of the kind. A count of the
 * page's own ("3 comments", "12 reviews") makes a line of the page's
 * metadata, whose minutes are more likely a reading time. */
static enum fact fact_kind(const char *p, const char *end, long *minutes)
{
	static const char *const NOT_YIELDS[] = {"ingredients", "ingredient", "steps", "step",
		"calories", "kcal", "cal", NULL};
	static const char *const PAGE_COUNTS[] = {"comments", "comment", "reviews", "review",
		"ratings", "rating", "votes", "vote", "stars", "views", "likes", "shares", NULL};
	const char *stop = NULL;
	long m = prose_minutes(p, end, &stop);
	if (m > 0 && stop && (stop == end || (stop + 1 == end && *stop == '.'))) {
		*minutes = m;
		return FACT_DURATION;
	}
	const char *count = p;
	if (!digit(*p)) { /* "Serves 4", "Makes 12 cookies" */
		if (!in_list(p, end, SERVES) && !in_list(p, end, MAKES))
			return FACT_NONE;
		const char *label = p;
		while (label < end && word_byte(*label))
			label++;
		count = skip_separators(label, end);
	}
	const char *q = count_end(count, end);
	if (q == count)
		return FACT_NONE;
	const char *w = q;
	w = skip_blanks(w, end);
	if (two_words_end(w, end) != end || (count == p && w == end))
		return FACT_NONE; /* more than a noun after the count, or a bare number */
	if (in_list(w, end, PAGE_COUNTS))
		return FACT_NONE;
	return in_list(w, end, NOT_YIELDS) ? FACT_OTHER : FACT_COUNT;
}

/* The yields of a count part: "4 servings" for "Serves 4", "10 pieces". */
static char *fact_yields(const char *p, const char *end)
{
	bool nomem = false;
	char *y = prose_yields(p, end, &nomem);
	if (y || nomem)
		return y;
	const char *q = count_end(p, end);
	return made_count(p, q, end);
}

/* Reads the line p..end when it is a line of facts (see above). */
static int fact_line(const char *p, const char *end, struct rsd_recipe_fields *f)
{
	if (end - p > FACT_LINE_MAX)
		return 0;
	const char *count = NULL, *count_end_at = NULL;
	long minutes = -1;
	int parts = 0, durations = 0;
	while (p < end) {
		const char *e = p;
		while (e < end && !fact_separator(e, end))
			e++;
		const char *next = e < end ? e + fact_separator(e, end) : end;
		const char *s = fact_trim(p, &e);
		long m = -1;
		switch (s < e ? fact_kind(s, e, &m) : FACT_NONE) {
		case FACT_NONE:
			return 0;
		case FACT_DURATION:
			durations++;
			minutes = m;
			break;
		case FACT_COUNT:
			if (count)
				return 0; /* two counts: which one is the yield? */
			count = s;
			count_end_at = e;
			break;
		case FACT_OTHER:
			break;
		}
		parts++;
		p = next;
	}
	if (parts < 2 || durations != 1)
		return 0;
	if (f->total_time < 0)
		f->total_time = minutes;
	if (!f->yields && count && !(f->yields = fact_yields(count, count_end_at)))
		return -ENOMEM;
	return 0;
}

static int fact_lines(const char *text, const char *end, struct rsd_recipe_fields *f)
{
	int rc = 0;
	for (const char *p = text; rc == 0 && p < end;) {
		const char *newline = memchr(p, '\n', (size_t)(end - p));
		const char *e = newline ? newline : end;
		const char *s = fact_trim(p, &e);
		if (s < e)
			rc = fact_line(s, e, f);
		p = newline ? newline + 1 : end;
	}
	return rc;
}

int rsd_extract_prose_fields(const char *text, size_t len, struct rsd_recipe_fields *f)
{
	const char *end = text + len;
	bool had_total = f->total_time >= 0;
	for (const char *p = text; p < end; p++) {
		bool nbsp = p - text >= 2 && (unsigned char)p[-2] == 0xC2 && (unsigned char)p[-1] == 0xA0;
		if (p > text && !nbsp && (word_byte(p[-1]) || digit(p[-1]) || p[-1] == '.' || p[-1] == ','))
			continue; /* not at the start of a word or a number */
		if (!f->yields) {
			bool nomem = false;
			f->yields = prose_yields(p, end, &nomem);
			if (nomem)
				return -ENOMEM;
		}
		if (!digit(*p))
			prose_time(p, end, f);
	}
	int rc = fact_lines(text, end, f); /* after the labels: a label says more */
	if (rc < 0)
		return rc;
	if (!had_total && f->total_time < 0 && (f->prep_time > 0 || f->cook_time > 0))
		f->total_time = (f->prep_time > 0 ? f->prep_time : 0) + (f->cook_time > 0 ? f->cook_time : 0);
	return 0;
}

/* ---- fields and record -------------------------------------------------- */

void rsd_extract_fields_init(struct rsd_recipe_fields *f)
{
	*f = (struct rsd_recipe_fields){
		.total_time = -1, .prep_time = -1, .cook_time = -1, .ratings = -1, .ratings_count = -1,
	};
}

void rsd_extract_fields_clear(struct rsd_recipe_fields *f)
{
	free(f->title);
	free(f->author);
	free(f->description);
	free(f->image);
	free(f->yields);
	free(f->language);
	free(f->site_name);
	cJSON_Delete(f->ingredients);
	cJSON_Delete(f->instructions_list);
	cJSON_Delete(f->category);
	cJSON_Delete(f->cuisine);
	cJSON_Delete(f->keywords);
	cJSON_Delete(f->nutrients);
	rsd_extract_fields_init(f);
}

static bool add_str(cJSON *rec, const char *k, const char *v)
{
	return !v || cJSON_AddStringToObject(rec, k, v);
}

static bool add_num(cJSON *rec, const char *k, double v)
{
	return v < 0 || cJSON_AddNumberToObject(rec, k, v);
}

static bool add_item(cJSON *rec, const char *k, cJSON **v)
{
	if (!*v)
		return true;
	cJSON_AddItemToObject(rec, k, *v);
	*v = NULL; /* now owned by rec */
	return true;
}

/* "www.example.com" -> "example.com": the site, as recipe-scrapers names it. */
static char *host_of(const char *url)
{
	CURLU *u = curl_url();
	char *h = NULL, *out = NULL;
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK && *h) {
		for (char *p = h; *p; p++)
			*p = (*p >= 'A' && *p <= 'Z') ? (char)(*p + 32) : *p;
		out = strdup(strncmp(h, "www.", 4) == 0 ? h + 4 : h);
	}
	curl_free(h);
	curl_url_cleanup(u);
	return out;
}

/* Record fields in the order of docs/architecture.md "Record"
 * (docs/record.schema.json describes each). */
static cJSON *build_record(const char *page_url, const char *base, const struct rsd_page_info *pi,
			   struct rsd_recipe_fields *f)
{
	cJSON *rec = cJSON_CreateObject();
	char *host = host_of(page_url);
	char *canonical = pi->canonical ? rsd_extract_resolve_url(base, pi->canonical, false) : NULL;
	/* host_of fails for a host-less file:// page: no "host" then */
	bool ok = rec && cJSON_AddNumberToObject(rec, "schema", 1) &&
		  add_str(rec, "url", page_url) && add_str(rec, "canonical_url", canonical) &&
		  add_str(rec, "host", host) && add_str(rec, "site_name", pi->og_site_name ? pi->og_site_name : f->site_name) &&
		  add_str(rec, "language", f->language ? f->language : pi->lang) &&
		  add_str(rec, "title", f->title) && add_str(rec, "author", f->author) &&
		  add_str(rec, "description", f->description) && add_str(rec, "image", f->image) &&
		  add_str(rec, "yields", f->yields) && add_num(rec, "total_time", (double)f->total_time) &&
		  add_num(rec, "prep_time", (double)f->prep_time) &&
		  add_num(rec, "cook_time", (double)f->cook_time) &&
		  add_item(rec, "ingredients", &f->ingredients) &&
		  add_item(rec, "instructions_list", &f->instructions_list) &&
		  add_item(rec, "category", &f->category) && add_item(rec, "cuisine", &f->cuisine) &&
		  add_item(rec, "keywords", &f->keywords) && add_num(rec, "ratings", f->ratings) &&
		  add_num(rec, "ratings_count", (double)f->ratings_count) &&
		  add_item(rec, "nutrients", &f->nutrients) &&
		  (!f->has_calories || cJSON_AddNumberToObject(rec, "calories", f->calories));
	free(host);
	free(canonical);
	if (!ok) {
		cJSON_Delete(rec);
		return NULL;
	}
	return rec;
}

static bool looks_like_logo(const char *url)
{
	const char *name = strrchr(url, '/');
	name = name ? name + 1 : url;
	return rsd_text_icasefind(name, strlen(name), "logo") ||
	       rsd_text_icasefind(name, strlen(name), "icon") ||
	       rsd_text_icasefind(name, strlen(name), "favicon") ||
	       rsd_text_icasefind(name, strlen(name), "placeholder");
}

/* Page-level values fill what the recipe itself does not say. */
static int apply_page_fallbacks(const struct rsd_page_info *pi, const char *base,
				struct rsd_recipe_fields *f)
{
	int rc = 0;
	if (!f->title)
		rc = rsd_extract_keep_first(&f->title, pi->og_title, false);
	if (!rc && !f->description)
		rc = rsd_extract_keep_first(&f->description, pi->og_description ? pi->og_description
								   : pi->meta_description, false);
	if (!rc && !f->author)
		rc = rsd_extract_keep_first(&f->author, pi->meta_author, false);
	if (!rc && !f->author) /* no person named: the site that published it */
		rc = rsd_extract_keep_first(&f->author, pi->og_site_name, false);
	/* og:image is the page's chosen hero picture at full size. A Recipe
	 * that names one image chose it for the recipe: it wins. A Recipe
	 * that lists several gives a plugin's generated crops and thumbnails,
	 * where og:image is the original. A site icon or logo in og:image
	 * (pages without a hero image) is not a picture of the dish. */
	if (!rc && pi->og_image && (!f->image || f->image_from_set) && !looks_like_logo(pi->og_image)) {
		char *og = rsd_extract_field_url(base, pi->og_image);
		if (og) {
			free(f->image);
			f->image = og;
		}
	}
	return rc;
}

/* ---- the extraction ----------------------------------------------------- */

struct job {
	const char *html;
	size_t len;
	const char *page_url;
	char *base;           /* effective base URL (page URL or <base href>) */
	struct rsd_page_info pi;
	GumboOutput *dom;
	struct tree_estimate tree; /* the DOM is built only when it fits */
	cJSON **docs;
	size_t n_docs;
	struct rsd_recipe_fields f;
};

static void job_clear(struct job *j)
{
	free(j->base);
	rsd_extract_page_info_clear(&j->pi);
	if (j->dom)
		gumbo_destroy_output(&kGumboDefaultOptions, j->dom);
	for (size_t i = 0; i < j->n_docs; i++)
		cJSON_Delete(j->docs[i]);
	free(j->docs);
	rsd_extract_fields_clear(&j->f);
}

/* gumbo records every parse error with a copy of the open-element stack:
 * on a hostile page of 10,000 nested unclosed elements that is quadratic,
 * gigabytes and tens of seconds for 180 KB.  Nothing here reads the errors,
 * so none are recorded (max_errors = 0 stops recording, not parsing). */
GumboOptions rsd_extract_gumbo_options(void)
{
	GumboOptions o = kGumboDefaultOptions;

	o.max_errors = 0;
	return o;
}

static bool dom_allowed(const struct job *j)
{
	return tree_fits(&j->tree);
}

static int parse_dom(struct job *j)
{
	if (!j->dom) {
		GumboOptions o = rsd_extract_gumbo_options();

		j->dom = gumbo_parse_with_options(&o, j->html, j->len);
	}
	return j->dom ? 0 : -ENOMEM;
}

static int parse_scripts(struct job *j)
{
	if (!j->pi.n_scripts)
		return 0;
	j->docs = calloc(j->pi.n_scripts, sizeof *j->docs);
	if (!j->docs)
		return -ENOMEM;
	for (size_t i = 0; i < j->pi.n_scripts; i++) {
		cJSON *d = rsd_jsonld_parse(j->pi.scripts[i].p, j->pi.scripts[i].len);
		if (d)
			j->docs[j->n_docs++] = d;
	}
	return 0;
}

static int collect_links(struct job *j, struct rsd_extract_result *res)
{
	if (!j->pi.n_hrefs)
		return 0;
	res->links = calloc(j->pi.n_hrefs, sizeof *res->links);
	if (!res->links)
		return -ENOMEM;
	for (size_t i = 0; i < j->pi.n_hrefs; i++) {
		char *u = rsd_extract_resolve_url(j->base, j->pi.hrefs[i], true);
		if (u)
			res->links[res->n_links++] = u;
	}
	return 0;
}

bool rsd_extract_glued_method(const cJSON *instructions)
{
	return cJSON_GetArraySize(instructions) == 1 &&
	       rsd_text_glued_sentences(cJSON_GetArrayItem(instructions, 0)->valuestring);
}

/* A Recipe whose lists are missing, or whose ingredients are one string
 * (the whole list pasted into one field), or whose method is one string
 * of glued steps, is completed from the HTML. */
static bool lists_incomplete(const struct rsd_recipe_fields *f)
{
	return cJSON_GetArraySize(f->ingredients) < 2 || cJSON_GetArraySize(f->instructions_list) == 0 ||
	       rsd_extract_glued_method(f->instructions_list);
}

/* "For the sauce:" among the ingredients heads a group of them; it is no
 * ingredient (a quantity would make it one: "Salt: 1 tsp"). */
static void drop_group_headings(cJSON **ingredients)
{
	for (cJSON *e = *ingredients ? (*ingredients)->child : NULL, *next; e; e = next) {
		next = e->next;
		size_t n = strlen(e->valuestring);
		if (n && e->valuestring[n - 1] == ':' && !rsd_text_has_quantity(e->valuestring))
			cJSON_Delete(cJSON_DetachItemViaPointer(*ingredients, e));
	}
	if (*ingredients && !(*ingredients)->child) {
		cJSON_Delete(*ingredients);
		*ingredients = NULL;
	}
}

/* Finds the recipe (JSON-LD, else microdata, else hRecipe or a recipe
 * plugin's HTML) and fills j->f. 1 found, 0 none. The DOM is parsed only
 * when the page declares a recipe the fast path could not read whole;
 * both paths decide that from the same page_info and bytes. */
static int find_recipe(struct job *j)
{
	int rc = parse_scripts(j);
	if (rc < 0)
		return rc;
	const cJSON *recipe = rsd_jsonld_find_recipe(j->docs, j->n_docs);
	if (recipe) {
		if (rsd_jsonld_fields(recipe, j->docs, j->n_docs, j->base, &j->f) < 0)
			return -ENOMEM;
	} else {
		if (!dom_allowed(j) ||
		    (!j->pi.has_microdata_recipe && !rsd_html_may_have_recipe(j->html, j->len) &&
		     !rsd_html_may_have_sections(j->html, j->len)))
			return 0; /* nothing the DOM could add, or too deep to build */
		if ((rc = parse_dom(j)) < 0)
			return rc;
		rc = rsd_microdata_fields(j->dom, j->base, &j->f);
		if (rc == 0)
			rc = rsd_html_recipe_fields(j->dom, j->base, &j->f);
		if (rc == 0)
			rc = rsd_html_plain_recipe_fields(j->dom, &j->pi, j->base, &j->f);
		if (rc <= 0)
			return rc;
	}
	drop_group_headings(&j->f.ingredients);
	if (dom_allowed(j) && ((rc = rsd_html_ingredient_rows(j->html, j->len, &j->f.ingredients)) < 0 ||
			       (rc = rsd_html_method_rest(j->html, j->len, &j->f.instructions_list)) < 0))
		return rc;
	if (!lists_incomplete(&j->f) || !dom_allowed(j))
		return 1;
	if ((rc = parse_dom(j)) < 0 || (rc = rsd_html_recipe_lists(j->dom, &j->f)) < 0)
		return rc;
	drop_group_headings(&j->f.ingredients);
	return 1;
}

/* What relative references resolve against: <base href>, else the page's
 * URL. A page read from a file (`extract FILE`, a saved copy) declares
 * where it was published in <link rel=canonical> or og:url; its relative
 * image URLs resolve against that, as they did on the web. */
static char *page_base(const char *page_url, const struct rsd_page_info *pi)
{
	const char *url = page_url;
	const char *declared = pi->canonical ? pi->canonical : pi->og_url;
	if (strncasecmp(page_url, "file:", 5) == 0 && declared && is_web_url(declared))
		url = declared;
	char *base = pi->base_href ? rsd_extract_resolve_url(url, pi->base_href, false) : NULL;
	return base ? base : strdup(url);
}

static int run(struct job *j, unsigned flags, struct rsd_extract_result *res)
{
	bool want_links = flags & RSD_EXTRACT_LINKS;
	bool full = flags & RSD_EXTRACT_FULL_PARSE;
	int rc;
	if (full)
		j->tree = estimate_tree(j->html, j->len);
	if (full && tree_fits(&j->tree))
		rc = parse_dom(j) < 0 ? -ENOMEM : rsd_microdata_page_info(j->dom, want_links, &j->pi);
	else
		rc = scan_page(j->html, j->len, want_links, &j->pi, &j->tree);
	if (rc < 0)
		return rc;
	if (!(j->base = page_base(j->page_url, &j->pi)))
		return -ENOMEM;
	if (want_links && (rc = collect_links(j, res)) < 0)
		return rc;
	if ((rc = find_recipe(j)) <= 0)
		return rc;
	if (!j->f.yields && (rc = rsd_extract_page_yields(j->html, j->len, &j->f.yields)) < 0)
		return rc;
	if ((rc = apply_page_fallbacks(&j->pi, j->base, &j->f)) < 0)
		return rc;
	res->record = build_record(j->page_url, j->base, &j->pi, &j->f);
	return res->record ? rsd_record_caps_apply(res->record) : -ENOMEM;
}

static bool valid_page_url(const char *url)
{
	if (!url)
		return false;
	CURLU *u = curl_url();
	char *scheme = NULL;
	bool ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
		  curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
		  (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0 ||
		   strcmp(scheme, "file") == 0);
	curl_free(scheme);
	curl_url_cleanup(u);
	return ok;
}

int rsd_extract(rsd_extractor *x, const char *html, size_t len, const char *page_url,
		const char *content_type, unsigned flags, struct rsd_extract_result *result)
{
	if (!result)
		return -EINVAL;
	*result = (struct rsd_extract_result){0};
	if (!x || (!html && len) || !valid_page_url(page_url))
		return -EINVAL;
	struct job j = {.page_url = page_url};
	rsd_extract_fields_init(&j.f);
	x->utf8.len = 0;
	int rc = rsd_charset_to_utf8(html ? html : "", len, content_type, &j.html, &j.len, &x->utf8);
	if (rc == 0)
		rc = run(&j, flags, result);
	job_clear(&j);
	if (rc < 0)
		rsd_extract_result_clear(result);
	return rc;
}
