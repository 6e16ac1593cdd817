/* SPDX-License-Identifier: MIT */
/* Recipes without any markup (see plain_page.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract/plain_page.h"
#include "extract/dom.h"
#include "extract/fields.h"
#include "extract/html_lists.h"
#include "extract/prose.h"
#include "core/text.h"

/* ---- recipes without any markup ----------------------------------------- */

/* Some sites publish recipes with no schema.org data, microformat or
 * plugin: just an "Ingredients" section and a "Method" section. A page is
 * taken for such a recipe only when its content (page furniture aside,
 * see rsd_html_lists_is_chrome) has both: an ingredients section of two items or more,
 * most of them with a quantity (a digit or a fraction; a cosmetic's or a
 * product's ingredient list has none), and an instructions section of
 * at least one step, after it or else anywhere in the content (a
 * two-column card may put the method first in the source), each found
 * by a heading or a class/id name as above. The rest of the record comes from the page around them:
 * the page's <h1> (else og:title without the site name), the first
 * picture after that heading (og:image wins, as for a Recipe's image
 * set), and labelled yields and times in the prose between the heading
 * and the ingredients. */

/* Ingredient words of the languages in html_lists.c's headings (and its
 * weaker "Benodigdheden"), as they appear in the raw page (headings and
 * class names): no page without one of them can pass the test above, so
 * the DOM is not parsed for it. */
static const char *const SECTION_WORDS[] = {
	"ngredi",     "NGREDI",     "ngrédi",   "NGRÉDI",       "utaten",       "UTATEN",
	"kładnik",    "KŁADNIK",    "uroviny",  "UROVINY",      "ou need",      "OU NEED",
	"ou'll need", "OU'LL NEED", "ozzávaló", "OZZÁVALÓ",     "υλικά",        "Υλικά",
	"ΥΛΙΚΑ",      "用料",       "食材",     "enodigdheden", "ENODIGDHEDEN", NULL
};

bool rsd_plain_page_maybe_present(const char *html, size_t len)
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
	cJSON_ArrayForEach (e, items) {
		all++;
		with += rsd_text_has_quantity(e->valuestring);
	}
	return all >= 2 && 2 * with >= all;
}

/* The first visible <h1> of the content that is not the site's name. */
static int content_title(const GumboNode *root, const char *site_name, char **title,
			 const GumboNode **at)
{
	struct rsd_dom_walker w = { 0 };
	int rc = rsd_dom_walker_push(&w, root);
	const GumboNode *n;
	while (rc == 0 && !*title && (n = rsd_dom_walker_pop(&w)) != NULL) {
		if (!rsd_dom_is_element(n) || rsd_dom_is_hidden(n) || rsd_html_lists_is_chrome(n))
			continue;
		if (n->v.element.tag != GUMBO_TAG_H1) {
			rc = rsd_dom_walker_push_children(&w, n);
			continue;
		}
		struct rsd_text_buf b = { 0 };
		if ((rc = rsd_dom_text_of(n, true, &b)) == 0 &&
		    !(*title = rsd_text_clean(b.data, b.len)))
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
	static const char *const SEPARATORS[] = { "-", "|", ":", "–", "—", "·", "•", "::", NULL };
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
	const char *src = rsd_dom_attr(img, "src");
	if (src && *src && strncmp(src, "data:", 5) != 0)
		return src;
	const char *lazy = rsd_dom_attr(img, "data-src");
	return lazy ? lazy : rsd_dom_attr(img, "data-lazy-src");
}

/* The first content picture between the title and the ingredients. */
static int picture_after(const GumboNode *root, const GumboNode *title, const GumboNode *end,
			 const char *base_url, char **out)
{
	struct rsd_dom_walker w = { 0 };
	int rc = rsd_dom_walker_push(&w, root);
	const GumboNode *n;
	while (rc == 0 && !*out && (n = rsd_dom_walker_pop(&w)) != NULL) {
		if (!rsd_dom_is_element(n) || rsd_dom_is_hidden(n) || rsd_html_lists_is_chrome(n))
			continue;
		size_t at = rsd_dom_source_offset(n);
		if (n->v.element.tag == GUMBO_TAG_IMG && at > rsd_dom_source_offset(title) &&
		    at < rsd_dom_source_offset(end) && image_source(n))
			*out = rsd_fields_url(base_url, image_source(n));
		else
			rc = rsd_dom_walker_push_children(&w, n);
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
	size_t lo = from ? rsd_dom_source_offset(from) : 0, hi = rsd_dom_source_offset(to);
	struct rsd_dom_walker w = { 0 };
	int rc = rsd_dom_walker_push(&w, root);
	const GumboNode *n;
	while (rc == 0 && out->len < MAX_PROSE && (n = rsd_dom_walker_pop(&w)) != NULL) {
		if (n->type == GUMBO_NODE_TEXT) {
			size_t at = n->v.text.start_pos.offset;
			if (at > lo && at < hi)
				rc = rsd_dom_append_text_node(n, RSD_DOM_TEXT_LINES, out);
			continue;
		}
		if (rsd_dom_is_element(n) && !rsd_dom_is_hidden(n) && !rsd_html_lists_is_chrome(n))
			rc = rsd_dom_walk_into_element(&w, n, out);
	}
	free(w.stack);
	return rc;
}

/* Title, picture, yields and times of a recipe found by its sections. */
static int plain_recipe_details(const GumboOutput *dom, const struct rsd_page_info *pi,
				const char *base_url, const GumboNode *ingredients,
				struct rsd_plain_cut *cut, struct rsd_recipe_fields *f)
{
	const GumboNode *heading = NULL;
	int rc = content_title(dom->root, pi->og_site_name, &f->title, &heading);
	if (cut && (heading ? cut->open(heading) : cut->h1_after || cut->headless))
		cut->beyond = true; /* the title's text, or the title, may come later;
				     * the text before the content is the head's too */
	if (rc == 0 && !f->title && pi->og_title &&
	    !(f->title = title_without_site(pi->og_title, pi->og_site_name)))
		rc = -ENOMEM;
	if (rc == 0 && heading) {
		rc = picture_after(dom->root, heading, ingredients, base_url, &f->image);
		f->image_from_page = true; /* a picture of the page: og:image says more */
	}
	struct rsd_text_buf prose = { 0 };
	if (rc == 0)
		rc = text_between(dom->root, heading, ingredients, &prose);
	if (rc == 0 && prose.len)
		rc = rsd_prose_fields(prose.data, prose.len, f);
	rsd_text_buf_free(&prose);
	return rc;
}

int rsd_plain_page_fields_cut(const GumboOutput *dom, const struct rsd_page_info *pi,
			      const char *base_url, struct rsd_plain_cut *cut,
			      struct rsd_recipe_fields *f)
{
	struct rsd_list_query q = { .kind = RSD_LIST_INGREDIENTS,
				    .min_items = 2,
				    .content_only = true,
				    .open = cut ? cut->open : NULL,
				    .beyond = cut ? &cut->beyond : NULL };
	struct rsd_found_list ing, ins = { 0 };
	int rc = rsd_html_lists_find(dom->root, &q, &ing);
	if (rc == 0 && ing.items && mostly_quantities(ing.items)) {
		q.kind = RSD_LIST_INSTRUCTIONS;
		q.min_items = 1;
		q.after = ing.at;
		rc = rsd_html_lists_find(dom->root, &q, &ins);
		/* a two-column card may put the method first in the source */
		q.after = NULL;
		if (rc == 0 && !ins.items)
			rc = rsd_html_lists_find(dom->root, &q, &ins);
	}
	if (cut) {
		cut->searched[RSD_LIST_INGREDIENTS] = true;
		cut->searched[RSD_LIST_INSTRUCTIONS] = q.kind == RSD_LIST_INSTRUCTIONS;
		cut->found[RSD_LIST_INGREDIENTS] = ing.items;
		cut->by_name[RSD_LIST_INGREDIENTS] = ing.by_name;
		cut->found[RSD_LIST_INSTRUCTIONS] = ins.items;
		cut->by_name[RSD_LIST_INSTRUCTIONS] = ins.by_name;
	}
	if (rc < 0 || !ins.items) {
		cJSON_Delete(ing.items);
		cJSON_Delete(ins.items);
		return rc;
	}
	f->ingredients = ing.items;
	f->instructions_list = ins.items;
	rc = plain_recipe_details(dom, pi, base_url, ing.at, cut, f);
	return rc < 0 ? rc : 1;
}

int rsd_plain_page_fields(const GumboOutput *dom, const struct rsd_page_info *pi,
			  const char *base_url, struct rsd_recipe_fields *f)
{
	return rsd_plain_page_fields_cut(dom, pi, base_url, NULL, f);
}
