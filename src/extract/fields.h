/* SPDX-License-Identifier: MIT */
#ifndef RSD_EXTRACT_FIELDS_H
#define RSD_EXTRACT_FIELDS_H

/* Base layer of the extractor: the recipe fields every source fills, and
 * the helpers that put a value into them the same way whichever source
 * read it (URLs, yields, lists, nutrients, steps). Depends on nothing of
 * the extractor; see src/extract/meson.build for the layers. */

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

/* The recipe fields, before they are put into the record in a fixed order. */
struct rsd_recipe_fields {
	char *title, *author, *description, *image, *yields, *language;
	/* The image is the first of several the Recipe offers, none sized:
	 * a sized og:image (the full picture an SEO plugin shares) says more. */
	bool image_from_set;
	/* The width times height the Recipe states for its image (an
	 * ImageObject's), 0 when it states none. */
	double image_area;
	/* In such a set, the first rendition whose URL names a square size
	 * ("-500x500"): the one recipe cards show. NULL when none. */
	char *image_square;
	/* The image is a picture found in page without recipe markup:
	 * og:image says more. */
	bool image_from_page;
	char *site_name; /* from the JSON-LD WebSite / publisher; og:site_name wins */
	long total_time, prep_time, cook_time; /* minutes, -1 when absent */
	cJSON *ingredients, *instructions_list; /* arrays of strings or NULL */
	cJSON *category, *cuisine, *keywords;
	double ratings; /* < 0 when absent */
	long ratings_count; /* < 0 when absent */
	cJSON *nutrients; /* object of strings or NULL */
	bool has_calories;
	double calories;
};

void rsd_fields_init(struct rsd_recipe_fields *f);
void rsd_fields_clear(struct rsd_recipe_fields *f);

/* A schema.org type names a Recipe: "Recipe", "schema:Recipe",
 * "http://schema.org/Recipe" (JSON-LD @type, microdata itemtype). */
bool rsd_fields_is_recipe_type(const char *type, size_t len);

/* Absolute form of ref against base (rsd_url_resolve, core/url.h):
 * malloc'd, or NULL when ref cannot be resolved (or ENOMEM). A page's many
 * links resolve against one rsd_url_base instead. */
char *rsd_fields_resolve_url(const char *base, const char *ref, bool drop_fragment);

/* An absolute http(s) URL. */
bool rsd_fields_is_web_url(const char *url);
/* Sets *dst to value (cleaned: entities, white space) unless *dst is set
 * already or the value is empty: the first non-empty value wins. -ENOMEM. */
int rsd_fields_keep_first(char **dst, const char *value, bool clean);

/* A URL for a record field: an absolute http(s) ref as the page wrote it
 * (trimmed; not re-encoded, so non-ASCII paths stay readable), else ref
 * resolved against base. malloc'd, or NULL. */
char *rsd_fields_url(const char *base, const char *ref);

/* The width an image URL names, as CDNs and WordPress write their
 * renditions, and its height when height is not NULL; 0 when it names
 * none. */
long rsd_fields_url_width(const char *url, long *height);

/* Yields text from a number or string: "4" -> "4 servings". */
char *rsd_fields_yields_text(const char *raw);
/* The same for the Recipe's own recipeYield text, where a range of counts
 * ("4 to 6 servings", "Serves 4-6") gives its upper bound, as
 * recipe-scrapers reads the data: "6 servings", "Serves 6". */
char *rsd_fields_recipe_yields(const char *raw);
/* Items read into one list at most. Real pages give under a hundred
 * categories or keywords; dropping duplicates compares each item with the
 * list, so a hostile page's hundred thousand took minutes. */
#define RSD_LIST_READ_MAX 1024
/* Appends the comma separated items of text to the list *arr (created on
 * demand), cleaned, without duplicates, while *budget lasts: the items
 * still to be read into this list, counted down by each one read. */
int rsd_fields_list_add(cJSON **arr, const char *text, bool split_commas, size_t *budget);
/* Nutrients kept at most: schema.org defines a dozen, and each is looked
 * up among those kept before. */
#define RSD_NUTRIENTS_MAX 64
/* Adds nutrient name = text (cleaned) unless the Recipe gave name already
 * or RSD_NUTRIENTS_MAX are kept; the first "calories" sets f->calories. */
int rsd_fields_add_nutrient(struct rsd_recipe_fields *f, const char *name, const char *text);
/* Splits instruction text into steps (lines, <li>, <p>, <br>). */
int rsd_fields_add_steps(cJSON **arr, const char *text, size_t len);
/* A method that is one string of steps glued together ("till cooked.Add
 * the shrimp"): the page's own list of them says more. */
bool rsd_fields_glued_method(const cJSON *instructions);
/* The Recipe's own method, when the site packed several steps into one
 * text and the page had no list to take them from, becomes those steps:
 * numbered by hand inside any step ("1. Heat the oven.2. Mix ..."), or
 * glued where a one-text method lost its line breaks. 0 or -ENOMEM. */
int rsd_fields_unpack_steps(cJSON **steps);

#endif
