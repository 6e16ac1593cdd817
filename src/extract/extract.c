/* SPDX-License-Identifier: MIT */
/* Recipe extraction driver (see extract.h): the top layer of the extractor.
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
 * HTML, list_completion.c). Of a page that can hold only a recipe without
 * markup just its first bytes are parsed, and of a Recipe lacking its
 * lists just the element that holds them (list_region.h), whenever their
 * reading is provably the whole page's, and of a microdata Recipe just
 * its element under the same proof (recipe_part.h); else the whole page
 * is parsed.
 * Ingredients given as names only have just the
 * part of the page around those names parsed, and missing yields are read
 * from the page's text with the streaming scanner: both from the raw
 * bytes, the same on either path. Fallbacks in that order: JSON-LD,
 * microdata, hRecipe / plugin container, plain sections. With
 * RSD_EXTRACT_FULL_PARSE the same page_info comes from the gumbo DOM
 * instead; everything after page_info is shared, which is what makes the
 * two paths comparable record for record.
 *
 * Layers, lowest first (src/extract/meson.build lists them; a file
 * includes headers of its own layer or lower ones only, which
 * tests/extract/test_layers.py checks, so there is no cycle):
 *   scan     charset.c, html_scan.c: bytes to UTF-8; tags without a DOM;
 *            html_trim.c: the page without script and style contents,
 *            which is what gumbo parses on the fast path
 *   base     gumbo_guard.c: gumbo under a memory and CPU time budget;
 *            fields.c: the recipe fields and how a value goes into them;
 *            dom.c: reading the gumbo DOM; page_info.c: what the page says
 *            about itself, from the scan and from the DOM alike
 *   sources  jsonld.c, microdata.c, prose.c (facts in the text),
 *            html_lists.c (lists by name or heading), and on top of it
 *            list_completion.c, hrecipe.c, plain_page.c (and
 *            plain_prefix.c: where such a page is cut for gumbo),
 *            recipe_part.c (a microdata Recipe's element alone)
 *   driver   extract.c: which source runs when; the record
 *
 * Peak memory of one extraction, for an input of N bytes with S bytes of
 * JSON-LD: the UTF-8 copy only when the page needs converting or repairing
 * (<= 3 N, kept in the extractor and reused by the next page), the cJSON
 * trees (a few S), a 32 KiB walk queue and the page_info strings (< N);
 * on the DOM path also the copy without scripts and styles (< N; of a
 * plain page's first bytes another without its head's contents, < N,
 * while they are parsed) and the gumbo tree (about 3 N, within
 * gumbo_guard.c's memory budget), freed before returning but for up to
 * RSD_GUMBO_ARENA_KEEP bytes of its chunks, which the extractor keeps for
 * its next parse.
 * Measured with massif on the largest dev page (N = 1.16 MB, valid UTF-8):
 * about 0.1 MB above the input on the fast path, 3.1 MB with the full
 * parse. The fetcher bounds N with scraper.max_page_bytes. */
#include "extract/extract.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract/charset.h"
#include "extract/dom.h"
#include "extract/fields.h"
#include "extract/gumbo_guard.h"
#include "extract/hrecipe.h"
#include "extract/html_lists.h"
#include "extract/jsonld.h"
#include "extract/list_completion.h"
#include "extract/microdata.h"
#include "extract/page_info.h"
#include "extract/plain_page.h"
#include "extract/plain_prefix.h"
#include "extract/prose.h"
#include "extract/recipe_part.h"
#include "core/record_caps.h"
#include "core/text.h"

struct rsd_extractor {
	/* UTF-8 copy of the current page when it was not valid UTF-8 already;
	 * kept between calls so a thread reuses one allocation. */
	struct rsd_text_buf utf8;
	/* gumbo's memory, kept between the thread's parses (gumbo_guard.h) */
	struct rsd_gumbo_arena *arena;
};

int rsd_extractor_new(rsd_extractor **out)
{
	rsd_extractor *x = calloc(1, sizeof *x);
	if (!x || rsd_gumbo_arena_new(&x->arena) < 0) {
		free(x);
		*out = NULL;
		return -ENOMEM;
	}
	*out = x;
	return 0;
}

void rsd_extractor_free(rsd_extractor *x)
{
	if (!x)
		return;
	rsd_text_buf_free(&x->utf8);
	rsd_gumbo_arena_free(x->arena);
	free(x);
}

void rsd_extract_result_clear(struct rsd_extract_result *r)
{
	if (!r)
		return;
	cJSON_Delete(r->record);
	for (size_t i = 0; i < r->n_links; i++)
		rsd_url_link_clear(&r->links[i]);
	free(r->links);
	*r = (struct rsd_extract_result){ 0 };
}

double rsd_record_calories(const cJSON *record)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(record, "calories");
	return cJSON_IsNumber(c) ? c->valuedouble : -1;
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
	char *canonical = pi->canonical ? rsd_fields_resolve_url(base, pi->canonical, false) : NULL;
	/* host_of fails for a host-less file:// page: no "host" then */
	bool ok = rec && cJSON_AddNumberToObject(rec, "schema", 1) &&
		  add_str(rec, "url", page_url) && add_str(rec, "canonical_url", canonical) &&
		  add_str(rec, "host", host) &&
		  add_str(rec, "site_name", pi->og_site_name ? pi->og_site_name : f->site_name) &&
		  add_str(rec, "language", f->language ? f->language : pi->lang) &&
		  add_str(rec, "title", f->title) && add_str(rec, "author", f->author) &&
		  add_str(rec, "description", f->description) && add_str(rec, "image", f->image) &&
		  add_str(rec, "yields", f->yields) &&
		  add_num(rec, "total_time", (double)f->total_time) &&
		  add_num(rec, "prep_time", (double)f->prep_time) &&
		  add_num(rec, "cook_time", (double)f->cook_time) &&
		  add_item(rec, "ingredients", &f->ingredients) &&
		  add_item(rec, "instructions_list", &f->instructions_list) &&
		  add_item(rec, "category", &f->category) &&
		  add_item(rec, "cuisine", &f->cuisine) &&
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

/* The Recipe's own image wins; og:image fills in when it has none.
 * A Recipe that lists several unsized images gives a plugin's crops and
 * thumbnails, the first of them the one it puts first; og:image wins over
 * them only when the page states its size (an SEO plugin's full-size share
 * picture: without a size it is as often a theme's default or a small
 * thumbnail), or when the first names a thumbnail's width in its URL.
 * Otherwise a set of the original upload (no size in its URL) and its
 * renditions gives its square one ("-500x500"): the picture recipe cards
 * show. A single image the Recipe gives without a size (a bare URL, an
 * ImageObject without width and height, no width in its URL) yields to an
 * og:image the page states at full width (>= 600 px), and one it sizes to
 * a larger og:image: the page took more care over the picture it shares.
 * A picture a page without recipe markup shows yields to og:image. A site
 * icon or logo in og:image is not a picture of the dish. */
static void choose_image(const struct rsd_page_info *pi, const char *base,
			 struct rsd_recipe_fields *f)
{
	long named = rsd_fields_url_width(f->image ? f->image : "", NULL);
	bool thumbnail = named > 0 && named < 600;
	double og_area = (double)pi->og_image_width * (double)pi->og_image_height;
	bool og_full = pi->og_image_width >= 600 && named < pi->og_image_width &&
		       (f->image_area <= 0 || og_area > f->image_area);
	bool og_wins = pi->og_image && !looks_like_logo(pi->og_image) &&
		       (!f->image || f->image_from_page || og_full ||
			(f->image_from_set && (pi->og_image_sized || thumbnail)));
	char *chosen = NULL;
	if (og_wins) {
		chosen = rsd_fields_url(base, pi->og_image);
	} else if (f->image_from_set && named == 0 && f->image_square) {
		chosen = f->image_square;
		f->image_square = NULL;
	}
	if (chosen) {
		free(f->image);
		f->image = chosen;
	}
}

/* The site's name without the tagline its og:site_name may add ("Donal
 * Skehan | EAT LIVE GO - ...", "Eat What Tonight - Singapore Food
 * Blog"): what comes before the first " | ", " - " or " – ". */
static int site_as_author(char **author, const char *site_name)
{
	static const char *const SEPARATORS[] = { " | ", " - ", " – ", NULL };
	size_t len = site_name ? strlen(site_name) : 0;
	for (size_t i = 0; SEPARATORS[i]; i++) {
		const char *at = site_name ? strstr(site_name, SEPARATORS[i]) : NULL;
		if (at && at > site_name && (size_t)(at - site_name) < len)
			len = (size_t)(at - site_name);
	}
	if (!len)
		return 0;
	char *name = strndup(site_name, len);
	if (!name)
		return -ENOMEM;
	int rc = rsd_fields_keep_first(author, name, false);
	free(name);
	return rc;
}

/* Page-level values fill what the recipe itself does not say. */
static int apply_page_fallbacks(const struct rsd_page_info *pi, const char *base,
				struct rsd_recipe_fields *f)
{
	int rc = 0;
	if (!f->title)
		rc = rsd_fields_keep_first(&f->title, pi->og_title, false);
	if (!rc && !f->description)
		rc = rsd_fields_keep_first(
			&f->description,
			pi->og_description ? pi->og_description : pi->meta_description, false);
	if (!rc && !f->author)
		rc = rsd_fields_keep_first(&f->author, pi->meta_author, false);
	if (!rc && !f->author) /* no person named: the site that published it */
		rc = site_as_author(&f->author, pi->og_site_name);
	if (!rc)
		choose_image(pi, base, f);
	return rc;
}

/* ---- the extraction ----------------------------------------------------- */

struct extraction {
	const char *html;
	size_t len;
	const char *page_url;
	struct rsd_gumbo_arena *arena; /* the extractor's, for every parse */
	char *base; /* effective base URL (page URL or <base href>) */
	struct rsd_page_info pi;
	struct rsd_gumbo_doc *doc; /* the DOM and its memory (gumbo_guard.h) */
	const GumboOutput *dom; /* doc's tree */
	struct rsd_page_tree tree; /* the DOM is built only when it fits */
	unsigned dom_skipped; /* RSD_EXTRACT_DOM_*: why it was not, or of a part */
	struct rsd_html_trim trim; /* what gumbo need not read (fast path) */
	char *trimmed; /* the page without it, once made (NULL: nothing cut) */
	size_t trimmed_len;
	bool trim_made;
	cJSON **docs;
	size_t n_docs;
	struct rsd_recipe_fields f;
};

static void extraction_clear(struct extraction *j)
{
	free(j->base);
	rsd_page_info_clear(&j->pi);
	rsd_gumbo_doc_free(j->doc);
	free(j->trimmed);
	rsd_html_trim_clear(&j->trim);
	for (size_t i = 0; i < j->n_docs; i++)
		cJSON_Delete(j->docs[i]);
	free(j->docs);
	rsd_fields_clear(&j->f);
}

/* The first reason the whole page's DOM was not built, and whether a
 * part's was. */
const char *rsd_extract_dom_skipped_text(unsigned dom_skipped)
{
	static const char *const why[2][3] = {
		{ "the tag scan finds its tree too deep or too large",
		  "gumbo's tree over its memory budget", "gumbo's parse over its CPU time budget" },
		{ "the tag scan finds its tree too deep or too large; its microdata Recipe read "
		  "from the part around it",
		  "gumbo's tree over its memory budget; its microdata Recipe read from the part "
		  "around it",
		  "gumbo's parse over its CPU time budget; its microdata Recipe read from the part "
		  "around it" },
	};
	int cause = dom_skipped & RSD_EXTRACT_DOM_SHAPE    ? 0
		    : dom_skipped & RSD_EXTRACT_DOM_MEMORY ? 1
							   : 2;
	return why[!!(dom_skipped & RSD_EXTRACT_DOM_PART)][cause];
}

/* Whether the DOM may be built: the estimate of its shape says it fits and
 * no parse (of the page or of a part) ran out of its budget. */
static bool dom_allowed(struct extraction *j)
{
	if (!rsd_page_tree_fits(&j->tree))
		j->dom_skipped |= RSD_EXTRACT_DOM_SHAPE;
	return !j->dom_skipped;
}

/* Turns a guarded parse's verdict into the extraction's: over budget is no
 * error, the page is read without its DOM from then on. */
static int dom_verdict(struct extraction *j, int rc)
{
	if (rc == -E2BIG || rc == -ETIME) {
		j->dom_skipped |= rc == -E2BIG ? RSD_EXTRACT_DOM_MEMORY : RSD_EXTRACT_DOM_TIME;
		return 0;
	}
	return rc;
}

/* The whole page as gumbo reads it: on the fast path without the script
 * and style contents the scan found (html_trim.h); the full parse runs
 * before any scan and reads the page as it is (its scripts hold JSON-LD).
 * Made once; the copy lives as long as the extraction (a DOM's nodes
 * point into it). */
static int page_for_gumbo(struct extraction *j, const char **html, size_t *len)
{
	if (!j->trim_made) {
		bool nomem;
		j->trimmed = rsd_html_trim_copy(&j->trim, j->html, j->len, &j->trimmed_len, &nomem);
		if (nomem)
			return -ENOMEM;
		j->trim_made = true;
	}
	*html = j->trimmed ? j->trimmed : j->html;
	*len = j->trimmed ? j->trimmed_len : j->len;
	return 0;
}

/* Parses html[0, len) under the guard into the DOM: 1 parsed, 0 over its
 * budget (recorded), -ENOMEM. A part is read as it is. */
static int guarded_parse(struct extraction *j, size_t len)
{
	struct rsd_gumbo_limits lim = rsd_gumbo_limits_for(len);
	const char *html = j->html;
	size_t parse_len = len;
	if (len == j->len && page_for_gumbo(j, &html, &parse_len) < 0)
		return -ENOMEM;
	int rc = rsd_gumbo_guard_parse_in(j->arena, html, parse_len, &lim, &j->doc, NULL);
	if (rc < 0)
		return dom_verdict(j, rc);
	j->dom = rsd_gumbo_doc_output(j->doc);
	return 1;
}

/* The DOM of the part of the page around its microdata Recipe, when its
 * shape and its parse fit: a hostile page after its recipe still gives
 * the recipe. Marked RSD_EXTRACT_DOM_PART. */
static int parse_recipe_part(struct extraction *j)
{
	size_t len = rsd_page_recipe_part_len(j->html, j->len); /* page_info may not be read yet */
	if (!len || len == j->len)
		return 0;
	struct rsd_page_tree part = rsd_page_tree_estimate(j->html, len);
	int rc = rsd_page_tree_fits(&part) ? guarded_parse(j, len) : 0;
	if (rc > 0)
		j->dom_skipped |= RSD_EXTRACT_DOM_PART;
	return rc;
}

/* 1 the DOM (of the page, or of the part holding its microdata Recipe) is
 * there, 0 none can be built within its budget, -ENOMEM. */
static int parse_dom(struct extraction *j)
{
	if (j->dom)
		return 1;
	if (j->dom_skipped)
		return 0; /* tried before */
	int rc = dom_allowed(j) ? guarded_parse(j, j->len) : 0;
	return rc ? rc : parse_recipe_part(j);
}

static int parse_scripts(struct extraction *j)
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

static size_t href_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (size_t)h;
}

/* The page's links, resolved and normalised in page order. Hrefs repeat
 * (menus, "read more", share buttons: 43 % of the dev pages' links), and
 * resolving one with curl costs about 16,000 instructions: each distinct
 * href is resolved once and its repeats copy that result. first[] is an
 * open hash of the hrefs (1 + the index of the first of each, 0 empty),
 * got[] where each first one's link is in res->links (1 + index, 0: it did
 * not resolve). */
static int collect_links(struct extraction *j, struct rsd_extract_result *res)
{
	size_t n = j->pi.n_hrefs, n_slots = 16;
	if (!n)
		return 0;
	while (n_slots < 2 * n) /* under half full: probes end at an empty slot */
		n_slots *= 2;
	struct rsd_url_base base = { 0 };
	size_t *first = calloc(n_slots, sizeof *first);
	size_t *got = calloc(n, sizeof *got);
	res->links = calloc(n, sizeof *res->links);
	int rc = first && got && res->links ? rsd_url_base_init(&base, j->base) : -ENOMEM;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *href = j->pi.hrefs[i];
		size_t h = href_hash(href) & (n_slots - 1);
		while (first[h] && strcmp(j->pi.hrefs[first[h] - 1], href) != 0)
			h = (h + 1) & (n_slots - 1);
		struct rsd_url_link *l = &res->links[res->n_links];
		bool made; /* no copy: left out, as a link that did not resolve */
		if (first[h]) {
			size_t prev = got[first[h] - 1];
			made = prev && rsd_url_link_copy(&res->links[prev - 1], l) == 0;
		} else {
			first[h] = i + 1;
			made = rsd_url_link_make(&base, href, l) == 0;
		}
		if (made)
			res->n_links++;
		got[i] = made ? res->n_links : 0;
	}
	rsd_url_base_clear(&base);
	free(first);
	free(got);
	return rc;
}

/* A Recipe whose lists are missing, or whose ingredients are one string
 * (the whole list pasted into one field), or whose method is one string
 * of glued steps, is completed from the HTML. */
static bool lists_incomplete(const struct rsd_recipe_fields *f)
{
	return cJSON_GetArraySize(f->ingredients) < 2 ||
	       cJSON_GetArraySize(f->instructions_list) == 0 ||
	       rsd_fields_glued_method(f->instructions_list);
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

/* The page's rows for names-only ingredients and the rest of a method the
 * data breaks off, each from a parse of the part of the page around them. */
static int read_parts(struct extraction *j)
{
	int rc = dom_verdict(j, rsd_completion_ingredients(j->arena, j->html, j->len,
							   &j->f.ingredients));
	if (rc == 0)
		rc = dom_verdict(j, rsd_completion_method(j->arena, j->html, j->len,
							  &j->f.instructions_list));
	return rc;
}

/* A Recipe's missing lists from the part of the page that holds them,
 * when no DOM of the page is there yet and one may be built: 1 done, 0
 * the whole page's DOM is needed (rsd_completion_lists_from_page). */
static int lists_from_part(struct extraction *j)
{
	const char *html;
	size_t len;
	if (j->dom || !dom_allowed(j))
		return 0;
	int rc = page_for_gumbo(j, &html, &len);
	if (rc == 0 && (rc = rsd_completion_lists_from_page(j->arena, html, len, &j->f)) > 0)
		drop_group_headings(&j->f.ingredients);
	return rc;
}

/* Whether n may have been left open where the page's first bytes were
 * cut: it is on the tree's last path (a last child of a last child ...). */
static bool on_last_path(const GumboNode *n)
{
	for (; n->parent; n = n->parent) {
		const GumboVector *c = rsd_dom_children(n->parent);
		if (c && n->index_within_parent + 1 != c->length)
			return false;
	}
	return true;
}

/* A recipe without markup from a parse of the page's first bytes, up to a
 * little after its title and the first mentions of its lists: 1 found, 0
 * none (both as the whole page's reading), -EAGAIN when the whole page
 * must be read, -ENOMEM. The tree is freed here: a later step that needs
 * a DOM parses the whole page. */
static int plain_from_prefix(struct extraction *j)
{
	const char *html, *cut;
	size_t len;
	struct rsd_list_mentions m[2];
	int rc = page_for_gumbo(j, &html, &len);
	if (rc < 0)
		return rc;
	bool h1_after;
	rsd_html_lists_mentions(html, len, m);
	if (!(cut = rsd_plain_prefix_cut(html, len, m, &h1_after)))
		return -EAGAIN;
	struct rsd_plain_part part;
	if ((rc = rsd_plain_prefix_part(html, cut, m, &part)) < 0)
		return rc;
	struct rsd_gumbo_limits lim = rsd_gumbo_limits_for(part.len);
	struct rsd_gumbo_doc *doc = NULL;
	if ((rc = rsd_gumbo_guard_parse_in(j->arena, part.p, part.len, &lim, &doc, NULL)) < 0) {
		rsd_plain_part_free(&part);
		return rc == -ENOMEM ? rc : -EAGAIN; /* over budget: the whole page decides */
	}
	struct rsd_plain_cut c = { .open = on_last_path, .h1_after = h1_after,
				   .headless = part.headless };
	rc = rsd_plain_page_fields_cut(rsd_gumbo_doc_output(doc), &j->pi, j->base, &c, &j->f);
	rsd_gumbo_doc_free(doc);
	rsd_plain_part_free(&part); /* after the tree, whose nodes point into it */
	if (rc >= 0 && !rsd_plain_prefix_agrees(&c, m, html, cut)) {
		rsd_fields_clear(&j->f);
		rsd_fields_init(&j->f);
		rc = -EAGAIN;
	}
	return rc;
}

/* A microdata Recipe from a parse of its element alone, when no DOM of
 * the page is there yet and one may be built: 1 read as the whole page's
 * DOM would give it, 0 the whole page must be parsed (recipe_part.h).
 * A page whose tree is too large is left to parse_dom (its flags, and the
 * part up to the Recipe's end). */
static int microdata_from_part(struct extraction *j)
{
	const char *html;
	size_t len;
	if (j->dom || j->dom_skipped || !rsd_page_tree_fits(&j->tree))
		return 0;
	int rc = page_for_gumbo(j, &html, &len);
	return rc < 0 ? rc : rsd_recipe_part_microdata(j->arena, html, len, j->base, &j->f);
}

/* The recipe from the DOM (microdata, else hRecipe or a recipe plugin's
 * HTML, else plain sections): 1 found, 0 none, -ENOMEM. A page that can
 * hold only a plain recipe has its first bytes parsed first. */
static int recipe_from_dom(struct extraction *j)
{
	bool microdata = j->pi.has_microdata_recipe;
	/* a microdata Recipe is read from a DOM (its element's or the page's)
	 * before any hRecipe: no search of the page for a container's class
	 * then (three passes over it) */
	bool hrecipe = !microdata && rsd_hrecipe_maybe_present(j->html, j->len);
	if (!microdata && !hrecipe && !rsd_plain_page_maybe_present(j->html, j->len))
		return 0; /* nothing the DOM could add */
	int rc = !microdata && !hrecipe && !j->dom && dom_allowed(j) ? plain_from_prefix(j)
								       : -EAGAIN;
	if (rc != -EAGAIN)
		return rc;
	if (microdata && (rc = microdata_from_part(j)) != 0)
		return rc;
	if ((rc = parse_dom(j)) <= 0)
		return rc; /* or too costly to build */
	rc = rsd_microdata_fields(j->dom, j->base, &j->f);
	if (rc == 0)
		rc = rsd_hrecipe_fields(j->dom, j->base, &j->f);
	if (rc == 0)
		rc = rsd_plain_page_fields(j->dom, &j->pi, j->base, &j->f);
	return rc;
}

/* Finds the recipe (JSON-LD, else microdata, else hRecipe or a recipe
 * plugin's HTML) and fills j->f. 1 found, 0 none. The DOM is parsed only
 * when the page declares a recipe the fast path could not read whole;
 * both paths decide that from the same page_info and bytes. */
static int find_recipe(struct extraction *j)
{
	int rc = parse_scripts(j);
	if (rc < 0)
		return rc;
	const cJSON *recipe = rsd_jsonld_find_recipe(j->docs, j->n_docs);
	if (recipe) {
		if (rsd_jsonld_fields(recipe, j->docs, j->n_docs, j->base, &j->f) < 0)
			return -ENOMEM;
	} else if ((rc = recipe_from_dom(j)) <= 0) {
		return rc;
	}
	drop_group_headings(&j->f.ingredients);
	if (dom_allowed(j) && (rc = read_parts(j)) < 0)
		return rc;
	if (!lists_incomplete(&j->f) || (rc = lists_from_part(j)) != 0 ||
	    (rc = parse_dom(j)) == 0)
		return rc < 0 ? rc : 1;
	if (rc < 0 || (rc = rsd_completion_lists_from_dom(j->dom, &j->f)) < 0)
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
	if (strncasecmp(page_url, "file:", 5) == 0 && declared && rsd_fields_is_web_url(declared))
		url = declared;
	char *base = pi->base_href ? rsd_fields_resolve_url(url, pi->base_href, false) : NULL;
	return base ? base : strdup(url);
}

/* The recipe states no time at all (a stated one makes the page's labels
 * redundant, or another recipe's). */
static bool no_times(const struct rsd_recipe_fields *f)
{
	return f->total_time < 0 && f->prep_time < 0 && f->cook_time < 0;
}

static int run(struct extraction *j, unsigned flags, struct rsd_extract_result *res)
{
	bool want_links = flags & RSD_EXTRACT_LINKS;
	bool full = flags & RSD_EXTRACT_FULL_PARSE;
	int rc;
	if (full)
		j->tree = rsd_page_tree_estimate(j->html, j->len);
	rc = full ? parse_dom(j) : 0;
	if (rc > 0 && !j->dom_skipped)
		rc = rsd_page_info_from_dom(j->dom, want_links, &j->pi);
	else if (rc >= 0)
		rc = rsd_page_info_scan(j->html, j->len, want_links, &j->pi, &j->tree, &j->trim);
	if (rc < 0)
		return rc;
	if (!(j->base = page_base(j->page_url, &j->pi)))
		return -ENOMEM;
	if (want_links && (rc = collect_links(j, res)) < 0)
		return rc;
	rc = find_recipe(j);
	res->dom_skipped = j->dom_skipped;
	if (rc <= 0 || (rc = rsd_fields_unpack_steps(&j->f.instructions_list)) < 0)
		return rc;
	if (!j->f.yields && (rc = rsd_prose_page_yields(j->html, j->len, &j->f.yields)) < 0)
		return rc;
	if (no_times(&j->f) && (rc = rsd_prose_page_times(j->html, j->len, &j->f)) < 0)
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
	*result = (struct rsd_extract_result){ 0 };
	if (!x || (!html && len) || !valid_page_url(page_url))
		return -EINVAL;
	struct extraction j = { .page_url = page_url, .arena = x->arena };
	rsd_fields_init(&j.f);
	x->utf8.len = 0;
	int rc = rsd_charset_to_utf8(html ? html : "", len, content_type, &j.html, &j.len,
				     &x->utf8);
	if (rc == 0)
		rc = run(&j, flags, result);
	extraction_clear(&j);
	if (rc < 0)
		rsd_extract_result_clear(result);
	return rc;
}
