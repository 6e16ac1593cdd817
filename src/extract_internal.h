/* SPDX-License-Identifier: MIT */
#ifndef RSD_EXTRACT_INTERNAL_H
#define RSD_EXTRACT_INTERNAL_H

/* Interfaces between the parts of the extractor (extract.c drives,
 * extract_jsonld.c reads JSON-LD, extract_microdata.c reads the gumbo DOM).
 * Not installed; the public interface is include/recipe-scraperd/extract.h. */

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include <gumbo.h>

#include "core/text.h"

/* What the page says about itself outside the recipe. Filled by the fast
 * scan (extract.c) or from the DOM (extract_microdata.c); both must give the
 * same values for the same page. Strings are malloc'd, decoded, cleaned. */
struct rsd_page_info {
	char *base_href;      /* <base href>, as written */
	char *canonical;      /* <link rel=canonical href>, as written */
	char *lang;           /* <html lang> */
	char *og_site_name;
	char *og_title;
	char *og_description;
	char *og_image;       /* as written */
	char *og_url;         /* as written */
	char *meta_description;
	char *meta_author;
	/* <script type=application/ld+json> bodies: slices of the (UTF-8)
	 * document or of the DOM's text nodes; valid while those live. */
	struct rsd_slice {
		const char *p;
		size_t len;
	} *scripts;
	size_t n_scripts, cap_scripts;
	bool has_microdata_recipe; /* an itemscope with itemtype .../Recipe */
	/* <a href> values, decoded, as written (only with RSD_EXTRACT_LINKS). */
	char **hrefs;
	size_t n_hrefs, cap_hrefs;
};

void rsd_extract_page_info_clear(struct rsd_page_info *pi);
int rsd_extract_page_add_script(struct rsd_page_info *pi, const char *p, size_t len);
int rsd_extract_page_add_href(struct rsd_page_info *pi, char *href); /* takes href */
/* Records one <meta> tag (name/property and content already decoded).
 * The first value of each kind wins, as in the DOM order. */
int rsd_extract_page_meta(struct rsd_page_info *pi, const char *name, const char *content);
/* Records <link rel=... href=...>: canonical (first wins). */
int rsd_extract_page_link(struct rsd_page_info *pi, const char *rel, const char *href);
bool rsd_extract_is_ldjson_type(const char *type);
bool rsd_extract_is_recipe_type(const char *type, size_t len);

/* The recipe fields, before they are put into the record in a fixed order. */
struct rsd_recipe_fields {
	char *title, *author, *description, *image, *yields, *language;
	/* The image was picked from several the Recipe offers (a plugin's
	 * generated crops): the page's own hero image says more. */
	bool image_from_set;
	char *site_name; /* from the JSON-LD WebSite / publisher; og:site_name wins */
	long total_time, prep_time, cook_time; /* minutes, -1 when absent */
	cJSON *ingredients, *instructions_list; /* arrays of strings or NULL */
	cJSON *category, *cuisine, *keywords;
	double ratings;       /* < 0 when absent */
	long ratings_count;   /* < 0 when absent */
	cJSON *nutrients;     /* object of strings or NULL */
	bool has_calories;
	double calories;
};

void rsd_extract_fields_init(struct rsd_recipe_fields *f);
void rsd_extract_fields_clear(struct rsd_recipe_fields *f);

/* Absolute form of ref against base (fragment kept): malloc'd, or NULL
 * when ref cannot be resolved (or ENOMEM). */
char *rsd_extract_resolve_url(const char *base, const char *ref, bool drop_fragment);
/* Sets *dst to value (cleaned: entities, white space) unless *dst is set
 * already or the value is empty: the first non-empty value wins. -ENOMEM. */
int rsd_extract_keep_first(char **dst, const char *value, bool clean);

/* A URL for a record field: an absolute http(s) ref as the page wrote it
 * (trimmed; not re-encoded, so non-ASCII paths stay readable), else ref
 * resolved against base. malloc'd, or NULL. */
char *rsd_extract_field_url(const char *base, const char *ref);

/* Yields text from a number or string: "4" -> "4 servings". */
char *rsd_extract_yields_text(const char *raw);
/* Items read into one list at most. Real pages give under a hundred
 * categories or keywords; dropping duplicates compares each item with the
 * list, so a hostile page's hundred thousand took minutes. */
#define RSD_LIST_READ_MAX 1024
/* Appends the comma separated items of text to the list *arr (created on
 * demand), cleaned, without duplicates, while *budget lasts: the items
 * still to be read into this list, counted down by each one read. */
int rsd_extract_list_add(cJSON **arr, const char *text, bool split_commas, size_t *budget);
/* Nutrients kept at most: schema.org defines a dozen, and each is looked
 * up among those kept before. */
#define RSD_NUTRIENTS_MAX 64
/* Adds nutrient name = text (cleaned) unless the Recipe gave name already
 * or RSD_NUTRIENTS_MAX are kept; the first "calories" sets f->calories. */
int rsd_extract_add_nutrient(struct rsd_recipe_fields *f, const char *name, const char *text);
/* Splits instruction text into steps (lines, <li>, <p>, <br>). */
int rsd_extract_add_steps(cJSON **arr, const char *text, size_t len);
/* A method that is one string of steps glued together ("till cooked.Add
 * the shrimp"): the page's own list of them says more. */
bool rsd_extract_glued_method(const cJSON *instructions);
/* Reads labelled yields and times from page prose ("Serves 4", "Makes 12
 * cookies", "4 Portionen", "Prep 10 min | Cook 25 min", "Total time: 1
 * hour") into the fields f does not have yet; total_time also from prep +
 * cook. Never overrides a value. 0 or -ENOMEM. */
int rsd_extract_prose_fields(const char *text, size_t len, struct rsd_recipe_fields *f);
/* Sets *yields from a labelled count that starts one of the page's text
 * nodes (">Serves <b>4</b>", ">Servings</div><div>4", ">4 porce"), the
 * first in document order; leaves it NULL when there is none. Reads the
 * raw page with the streaming scanner. 0 or -ENOMEM. */
int rsd_extract_page_yields(const char *html, size_t len, char **yields);
/* gumbo's default options without recording parse errors (quadratic in
 * depth on hostile pages; nothing reads them). */
GumboOptions rsd_extract_gumbo_options(void);

/* ---- JSON-LD (extract_jsonld.c) ---- */

/* Parses one ld+json body, recovering what browsers accept: HTML comment
 * or CDATA wrappers, trailing commas, raw control characters in strings,
 * several concatenated values. NULL when nothing parses. */
cJSON *rsd_jsonld_parse(const char *text, size_t len);
/* The best Recipe node among docs (borrowed), or NULL. */
const cJSON *rsd_jsonld_find_recipe(cJSON *const *docs, size_t n_docs);
/* Fills f from a Recipe node; image URLs resolved against base_url. */
int rsd_jsonld_fields(const cJSON *recipe, cJSON *const *docs, size_t n_docs,
		      const char *base_url, struct rsd_recipe_fields *f);

/* ---- DOM (extract_microdata.c) ---- */

/* Collects the page information from a parsed document. */
int rsd_microdata_page_info(const GumboOutput *dom, bool want_links, struct rsd_page_info *pi);
/* Fills f from the first itemscope Recipe; returns 1 when found, 0 when
 * the page has none, -ENOMEM. */
int rsd_microdata_fields(const GumboOutput *dom, const char *base_url, struct rsd_recipe_fields *f);

/* ---- plain HTML (extract_microdata.c) ---- */

/* Cheap test on the raw page: does it name a hRecipe or a recipe plugin's
 * container anywhere? Only then can rsd_html_recipe_fields find one. */
bool rsd_html_may_have_recipe(const char *html, size_t len);
/* Fills f from a hRecipe / h-recipe or a recipe plugin's container with
 * its lists (class/id or heading named <li>/<p> lists); 1 when found, 0
 * when the page has none, -ENOMEM. */
int rsd_html_recipe_fields(const GumboOutput *dom, const char *base_url, struct rsd_recipe_fields *f);
/* For a page known to hold a recipe whose schema.org data lacks its lists
 * (no ingredients or a single string of them, no instructions): fills
 * them from the page's HTML lists when it has some of two items or more.
 * A glued method becomes the page's list of steps when every one of them
 * is in it, in order. */
int rsd_html_recipe_lists(const GumboOutput *dom, struct rsd_recipe_fields *f);
/* Ingredients without a single quantity ("flour", "sugar": the names of a
 * shop's product data) become the page's rows that show each name with
 * its quantity ("200 g flour"), when the page has one for every name.
 * An ingredient list the data breaks off (the page's list starts with
 * exactly its items and goes on) becomes the page's whole list.
 * Reads the raw page and parses only the part around the names, never
 * the whole document. 0 or -ENOMEM. */
int rsd_html_ingredient_rows(const char *html, size_t len, cJSON **ingredients);
/* A method the data breaks off (the page's list of steps starts with
 * exactly its steps, maybe numbered, and goes on) becomes the page's
 * whole list; parsed around that list only, as above. 0 or -ENOMEM. */
int rsd_html_method_rest(const char *html, size_t len, cJSON **steps);

/* ---- recipes without markup (extract_microdata.c) ---- */

/* Cheap test on the raw page: does it carry an ingredients word (any of
 * the languages the section headings are known in)? Only then can
 * rsd_html_plain_recipe_fields find a recipe. */
bool rsd_html_may_have_sections(const char *html, size_t len);
/* Fills f from a page with no recipe markup whose content has an
 * ingredients section (>= 2 items, mostly with quantities) followed by an
 * instructions section (>= 1 step); title, picture, yields and times from
 * the page around them. 1 found, 0 not a recipe, -ENOMEM. */
int rsd_html_plain_recipe_fields(const GumboOutput *dom, const struct rsd_page_info *pi,
				 const char *base_url, struct rsd_recipe_fields *f);

#endif
