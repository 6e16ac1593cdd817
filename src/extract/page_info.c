/* SPDX-License-Identifier: MIT */
/* Page information, both halves (see page_info.h): tag by tag from the
 * streaming scan, and from the gumbo DOM. A change to one half needs the
 * same change to the other: the differential test (test_extract_limits.c)
 * compares the records of the two paths. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract/page_info.h"
#include "extract/dom.h"
#include "extract/fields.h"
#include "extract/html_scan.h"
#include "core/text.h"

/* ---- recording what the page says (both halves) -------------------------- */

void rsd_page_info_clear(struct rsd_page_info *pi)
{
	char **strs[] = { &pi->base_href,    &pi->canonical, &pi->lang,
			  &pi->og_site_name, &pi->og_title,  &pi->og_description,
			  &pi->og_image,     &pi->og_url,    &pi->meta_description,
			  &pi->meta_author };
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		free(*strs[i]);
	free(pi->scripts);
	for (size_t i = 0; i < pi->n_hrefs; i++)
		free(pi->hrefs[i]);
	free(pi->hrefs);
	*pi = (struct rsd_page_info){ 0 };
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

static int page_add_script(struct rsd_page_info *pi, const char *p, size_t len)
{
	if (grow((void **)&pi->scripts, &pi->cap_scripts, pi->n_scripts, sizeof *pi->scripts) < 0)
		return -ENOMEM;
	pi->scripts[pi->n_scripts++] = (struct rsd_slice){ p, len };
	return 0;
}

static int page_add_href(struct rsd_page_info *pi, char *href)
{
	if (!href ||
	    grow((void **)&pi->hrefs, &pi->cap_hrefs, pi->n_hrefs, sizeof *pi->hrefs) < 0) {
		free(href);
		return -ENOMEM;
	}
	pi->hrefs[pi->n_hrefs++] = href;
	return 0;
}

static int page_meta(struct rsd_page_info *pi, const char *name, const char *content)
{
	static const struct {
		const char *name;
		size_t off;
		bool clean;
	} KEYS[] = {
		{ "og:site_name", offsetof(struct rsd_page_info, og_site_name), true },
		{ "og:title", offsetof(struct rsd_page_info, og_title), true },
		{ "og:description", offsetof(struct rsd_page_info, og_description), true },
		{ "og:image", offsetof(struct rsd_page_info, og_image), false },
		{ "og:image:url", offsetof(struct rsd_page_info, og_image), false },
		{ "og:image:secure_url", offsetof(struct rsd_page_info, og_image), false },
		{ "twitter:image", offsetof(struct rsd_page_info, og_image), false },
		{ "og:url", offsetof(struct rsd_page_info, og_url), false },
		{ "description", offsetof(struct rsd_page_info, meta_description), true },
		{ "author", offsetof(struct rsd_page_info, meta_author), true },
	};
	/* A page that states its share picture's size chose a full-size
	 * picture for it (SEO plugins fill these from the upload). */
	bool width = rsd_text_ieq(name, strlen(name), "og:image:width");
	if ((width || rsd_text_ieq(name, strlen(name), "og:image:height")) && content[0] >= '1' &&
	    content[0] <= '9') {
		long *dim = width ? &pi->og_image_width : &pi->og_image_height;
		pi->og_image_sized = true;
		if (!*dim)
			*dim = strtol(content, NULL, 10);
	}
	for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++)
		if (rsd_text_ieq(name, strlen(name), KEYS[i].name))
			return rsd_fields_keep_first((char **)((char *)pi + KEYS[i].off), content,
						     KEYS[i].clean);
	return 0;
}

/* rel is a space separated token list: "canonical", "alternate canonical". */
static int page_link(struct rsd_page_info *pi, const char *rel, const char *href)
{
	for (const char *p = rel; *p;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		size_t n = strcspn(p, " \t\n");
		if (rsd_text_ieq(p, n, "canonical"))
			return rsd_fields_keep_first(&pi->canonical, href, false);
		p += n;
	}
	return 0;
}

static bool is_ldjson_type(const char *type)
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
	struct rsd_text_buf b = { 0 };
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
			rc = page_meta(pi, key, content);
		free(key);
	}
	free(content);
	return rc;
}

/* An itemscope start tag whose itemtype names a Recipe. */
static bool is_recipe_scope(const struct rsd_html_tag *t)
{
	const struct rsd_html_attr *it = rsd_html_scan_attr(t, "itemtype");
	return !t->is_end && it && rsd_html_scan_attr(t, "itemscope") &&
	       rsd_text_icasefind(it->value, it->value_len, "recipe") != NULL;
}

static void note_recipe_scope(const struct rsd_html_tag *t, struct rsd_page_info *pi)
{
	if (!pi->has_microdata_recipe && t->n_attrs)
		pi->has_microdata_recipe = is_recipe_scope(t);
}

static int scan_tag(const struct rsd_html_tag *t, bool want_links, struct rsd_page_info *pi)
{
	int rc = 0;
	char *v = NULL, *w = NULL;
	if (t->is_end)
		return 0;
	if (t->id == RSD_HTML_OTHER) {
		/* most tags: nothing read by name, nothing to free (the two
		 * free(NULL) calls were a tenth of this loop's own time) */
		note_recipe_scope(t, pi);
		return 0;
	}
	switch (t->id) {
	case RSD_HTML_A:
		if (want_links && (v = attr_value(t, "href", &rc)) != NULL)
			return page_add_href(pi, v);
		break;
	case RSD_HTML_SCRIPT:
		if ((v = attr_value(t, "type", &rc)) && is_ldjson_type(v))
			rc = page_add_script(pi, t->text, t->text_len);
		break;
	case RSD_HTML_META:
		rc = scan_meta(t, pi);
		break;
	case RSD_HTML_LINK:
		if ((v = attr_value(t, "rel", &rc)) && (w = attr_value(t, "href", &rc)))
			rc = page_link(pi, v, w);
		break;
	case RSD_HTML_BASE:
		if ((v = attr_value(t, "href", &rc)))
			rc = rsd_fields_keep_first(&pi->base_href, v, false);
		break;
	case RSD_HTML_HTML:
		if ((v = attr_value(t, "lang", &rc)))
			rc = rsd_fields_keep_first(&pi->lang, v, true);
		break;
	default:
		break;
	}
	note_recipe_scope(t, pi);
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

static void tree_track(struct rsd_page_tree *e, const struct rsd_html_scanner *s,
		       const struct rsd_html_tag *t)
{
	if (!t->is_end)
		e->elements++;
	if (t->flags & RSD_HTML_FLAT) /* void, or closed by its next sibling */
		return;
	if (t->is_end) {
		if (e->depth)
			e->depth--;
	} else if (!(t->self_closing && s->foreign_depth > 0) && ++e->depth > e->max_depth) {
		e->max_depth = e->depth;
	}
}

bool rsd_page_tree_fits(const struct rsd_page_tree *e)
{
	return e->max_depth <= MAX_DOM_DEPTH && e->elements <= MAX_DOM_ELEMENTS;
}

/* The full-parse path's estimate: the same scan, nothing else read. */
struct rsd_page_tree rsd_page_tree_estimate(const char *html, size_t len)
{
	struct rsd_html_scanner s;
	struct rsd_html_tag t;
	struct rsd_page_tree e = { 0 };
	rsd_html_scan_init(&s, html, len);
	while (rsd_html_scan_next(&s, &t))
		tree_track(&e, &s, &t);
	return e;
}

int rsd_page_info_scan(const char *html, size_t len, bool want_links, struct rsd_page_info *pi,
		       struct rsd_page_tree *tree, struct rsd_html_trim *trim)
{
	struct rsd_html_scanner s;
	struct rsd_html_tag t;
	struct rsd_page_tree e = { 0 };
	rsd_html_scan_init(&s, html, len);
	for (unsigned depth = 0; rsd_html_scan_next(&s, &t); depth = s.foreign_depth) {
		int rc = scan_tag(&t, want_links, pi);
		if (rc == 0)
			rc = rsd_html_trim_track(trim, &s, depth, &t);
		if (rc < 0)
			return rc;
		tree_track(&e, &s, &t);
	}
	*tree = e;
	return 0;
}

#define RECIPE_PART_AFTER (64u << 10)

size_t rsd_page_recipe_part_len(const char *html, size_t len)
{
	struct rsd_html_scanner s;
	struct rsd_html_tag t;
	rsd_html_scan_init(&s, html, len);
	bool found = false;
	while (!found && rsd_html_scan_next(&s, &t))
		found = is_recipe_scope(&t);
	if (!found)
		return 0;
	size_t at = (size_t)(t.name - html);
	size_t cut = len - at > RECIPE_PART_AFTER ? at + RECIPE_PART_AFTER : len;
	struct rsd_page_tree e = { .depth = 1 }; /* the Recipe's element */
	while (rsd_html_scan_next(&s, &t) && (size_t)(s.p - html) <= cut) {
		tree_track(&e, &s, &t);
		if (e.depth == 0)
			return (size_t)(s.p - html);
	}
	while (cut < len && cut > at && html[cut] != '<')
		cut--;
	return cut;
}

/* ---- reference path: page info from the DOM ----------------------------- */

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
		if (want_links && (v = rsd_dom_attr(n, "href")))
			rc = page_add_href(pi, strdup(v));
		break;
	case GUMBO_TAG_SCRIPT:
		if ((v = rsd_dom_attr(n, "type")) && is_ldjson_type(v)) {
			const GumboNode *t = e->children.length ? e->children.data[0] : NULL;
			if (t && (t->type == GUMBO_NODE_TEXT || t->type == GUMBO_NODE_WHITESPACE ||
				  t->type == GUMBO_NODE_CDATA))
				rc = page_add_script(pi, t->v.text.text, strlen(t->v.text.text));
			else
				rc = page_add_script(pi, "", 0);
		}
		break;
	case GUMBO_TAG_META:
		if ((v = rsd_dom_attr(n, "content"))) {
			const char *key = rsd_dom_attr(n, "property");
			if (!key || !*key)
				key = rsd_dom_attr(n, "name");
			if (key)
				rc = page_meta(pi, key, v);
		}
		break;
	case GUMBO_TAG_LINK:
		if ((v = rsd_dom_attr(n, "rel")) && rsd_dom_attr(n, "href"))
			rc = page_link(pi, v, rsd_dom_attr(n, "href"));
		break;
	case GUMBO_TAG_BASE:
		rc = rsd_fields_keep_first(&pi->base_href, rsd_dom_attr(n, "href"), false);
		break;
	case GUMBO_TAG_HTML:
		rc = rsd_fields_keep_first(&pi->lang, rsd_dom_attr(n, "lang"), true);
		break;
	default:
		break;
	}
	if (!pi->has_microdata_recipe)
		pi->has_microdata_recipe = rsd_dom_is_recipe_item(rsd_dom_attr(n, "itemscope"),
								  rsd_dom_attr(n, "itemtype"));
	return rc;
}

int rsd_page_info_from_dom(const GumboOutput *dom, bool want_links, struct rsd_page_info *pi)
{
	struct rsd_dom_walker w = { 0 };
	int rc = rsd_dom_walker_push(&w, dom->document);
	const GumboNode *n;
	while (rc == 0 && (n = rsd_dom_walker_pop(&w)) != NULL) {
		if (rsd_dom_is_element(n))
			rc = page_element(n, want_links, pi);
		if (rc == 0)
			rc = rsd_dom_walker_push_children(&w, n);
	}
	free(w.stack);
	return rc;
}
