/* SPDX-License-Identifier: MIT */
/* Completion of a Recipe's lists from the page's HTML (see
 * list_completion.h): quantities for ingredient names, the rest of a
 * cut-short ingredient list or method, the steps of a glued method. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract/list_completion.h"
#include "extract/dom.h"
#include "extract/fields.h"
#include "extract/gumbo_guard.h"
#include "extract/html_lists.h"
#include "extract/html_scan.h"
#include "extract/list_region.h"
#include "core/text.h"

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
	ROW_MAX_UP = 6, /* ancestors tried above a name's text node */
	ROW_MAX_NODES = RSD_DOM_SMALL_NODES, /* a row is a small subtree ... */
	ROW_MAX_EXTRA = 100, /* ... whose text is the name and a few words */
	ROW_MAX_NAMES = 200, /* longer lists are not a shop's recipe */
	ROW_MARGIN = 4096, /* bytes parsed around the first and last name */
	ROW_MAX_SPAN = 256 * 1024, /* names further apart are not one list */
};

static bool names_only(const cJSON *ingredients)
{
	const cJSON *e;
	cJSON_ArrayForEach (e, ingredients)
		if (rsd_text_has_quantity(e->valuestring))
			return false;
	return cJSON_GetArraySize(ingredients) >= 2;
}

/* The row around text node t showing name with a quantity, or NULL. */
static const GumboNode *quantity_row(const GumboNode *t, size_t name_len, char **row_text)
{
	const GumboNode *a = t->parent;
	for (int up = 0; up < ROW_MAX_UP && a && rsd_dom_is_element(a); up++, a = a->parent) {
		GumboTag tag = a->v.element.tag;
		if (tag == GUMBO_TAG_BODY || tag == GUMBO_TAG_HTML)
			break;
		char *text = rsd_dom_small_text(a);
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
	struct rsd_dom_walker w = { 0 };
	const cJSON *name = names->child;
	size_t k = 0;
	int rc = rsd_dom_walker_push(&w, root);
	const GumboNode *n;
	while (rc == 0 && name && (n = rsd_dom_walker_pop(&w)) != NULL) {
		if (n->type == GUMBO_NODE_TEXT) {
			size_t name_len = strlen(name->valuestring);
			char *text = NULL;
			const GumboNode *row = text_is(n, name->valuestring, name_len)
						       ? quantity_row(n, name_len, &text)
						       : NULL;
			if (row) {
				rows[k++] = (struct row){ n, row };
				rc = rsd_dom_add_text_item(out, text);
				free(text);
				name = name->next;
			}
			continue;
		}
		if (rsd_dom_is_element(n) && !rsd_dom_is_hidden(n) &&
		    n->v.element.tag != GUMBO_TAG_SCRIPT && n->v.element.tag != GUMBO_TAG_STYLE)
			rc = rsd_dom_walker_push_children(&w, n);
	}
	free(w.stack);
	if (rc < 0 || name || rsd_dom_n_items(*out) != k)
		return rc;
	for (size_t i = 0; i + 1 < k; i++)
		if (holds(rows[i].row, rows[i + 1].text) || holds(rows[i + 1].row, rows[i].text))
			return 0;
	return 1;
}

/* Replaces the names by their rows when the page shows them all. */
static int quantified_rows(const GumboNode *root, cJSON **ingredients)
{
	size_t n = rsd_dom_n_items(*ingredients);
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

/* How often a byte stands in a page's HTML, roughly: 0 rare (UTF-8,
 * capitals, most punctuation), 1 (other letters and digits), 2 common
 * (markup, white space, the commonest letters). */
static int byte_class(unsigned char c)
{
	if (c >= 0x80 || (c >= 'A' && c <= 'Z'))
		return 0;
	if (strchr(" \t\n\r<>\"=/-etaoinsrlcd", c))
		return 2;
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? 1 : 0;
}

/* The first place in [p, end) that holds s[0, n) (n > 0), as memmem
 * finds it: memchr for the rarest-looking byte of s, a compare at each
 * place it stands. For a step's first 16-24 bytes ("Das Universalmesser
 * ...") this is about half memmem's instructions over a dev pass; for the
 * short lowercase names of ingredients it is not (their search stays
 * memmem's). */
static const char *find_bytes(const char *p, const char *end, const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 1; i < n && byte_class((unsigned char)s[k]); i++)
		if (byte_class((unsigned char)s[i]) < byte_class((unsigned char)s[k]))
			k = i;
	if ((size_t)(end - p) < n)
		return NULL;
	for (const char *q = p + k, *last = end - n + k;
	     q <= last && (q = memchr(q, s[k], (size_t)(last - q) + 1)) != NULL; q++)
		if (memcmp(q - k, s, n) == 0)
			return q - k;
	return NULL;
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
/* The part of the page parse_part reads: from a tag a little before
 * `first` to `after` bytes past `last`. */
static void part_bounds(const char *html, size_t len, const char *first, const char *last,
			size_t after, const char **from_out, const char **to_out)
{
	const char *end = html + len;
	const char *from = first - html > ROW_MARGIN ? first - ROW_MARGIN : html;
	while (from > html &&
	       !(from[0] == '<' && ((from[1] | 0x20) >= 'a' && (from[1] | 0x20) <= 'z')))
		from--;
	*from_out = from;
	*to_out = (size_t)(end - last) > after ? last + after : end;
}

static int parse_part(struct rsd_gumbo_arena *arena, const char *html, size_t len,
		      const char *first, const char *last, size_t after,
		      int (*fill)(const GumboNode *root, cJSON **ingredients), cJSON **ingredients)
{
	const char *from, *to;
	part_bounds(html, len, first, last, after, &from, &to);
	struct rsd_gumbo_limits lim = rsd_gumbo_limits_for((size_t)(to - from));
	struct rsd_gumbo_doc *part;
	int rc = rsd_gumbo_guard_parse_in(arena, from, (size_t)(to - from), &lim, &part, NULL);
	if (rc < 0)
		return rc; /* -E2BIG, -ETIME: the extractor reads on without it */
	rc = fill(rsd_gumbo_doc_output(part)->root, ingredients);
	rsd_gumbo_doc_free(part);
	return rc;
}

static int quantify_names(struct rsd_gumbo_arena *arena, const char *html, size_t len,
			  cJSON **ingredients)
{
	if (!names_only(*ingredients) || rsd_dom_n_items(*ingredients) > ROW_MAX_NAMES)
		return 0;
	const char *end = html + len, *first = NULL, *last = html;
	const cJSON *e;
	cJSON_ArrayForEach (e, *ingredients) {
		const char *p = name_as_text(last, end, e->valuestring);
		if (!p)
			return 0;
		first = first ? first : p;
		last = p + strlen(e->valuestring);
	}
	if (last - first > ROW_MAX_SPAN)
		return 0;
	return parse_part(arena, html, len, first, last, ROW_MARGIN, quantified_rows, ingredients);
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
	PREFIX_ITEM_MAX = 300, /* longer list items are no ingredients */
	PREFIX_MAX_UP = 3, /* the item's text node up to its <li> */
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
	const GumboVector *c = rsd_dom_children(li);
	for (size_t i = 0; c && i < c->length; i++)
		if (rsd_dom_is_element(c->data[i]) &&
		    rsd_dom_heading_level(((const GumboNode *)c->data[i])->v.element.tag))
			return true;
	return false;
}

/* How list_items reads a list's items. */
struct item_form {
	size_t max_nodes, max_len; /* bigger items are no items of the kind */
	bool numbered; /* drop the number before each one */
};

static size_t step_number_prefix(const char *s);

/* The items of the list holding <li> `item`, group headings and hidden
 * items aside; -E2BIG when one is too big. */
static int list_items(const GumboNode *item, const struct item_form *form, cJSON **out)
{
	const GumboVector *c = rsd_dom_children(item->parent);
	int rc = 0;
	for (size_t i = 0; rc == 0 && c && i < c->length; i++) {
		const GumboNode *li = c->data[i];
		if (!rsd_dom_is_element(li) || li->v.element.tag != GUMBO_TAG_LI ||
		    rsd_dom_is_hidden(li) || heading_item(li))
			continue;
		char *text = rsd_dom_bounded_text(li, form->max_nodes);
		if (!text)
			return -E2BIG; /* too big, or ENOMEM: either way no list to take */
		const char *item_text = form->numbered ? text + step_number_prefix(text) : text;
		rc = strlen(item_text) > form->max_len ? -E2BIG
						       : rsd_dom_add_text_item(out, item_text);
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
	return !d && more > 0 && 2 * with_quantity >= more &&
	       rsd_dom_n_items(page) <= PREFIX_MAX_ITEMS;
}

/* The <li> whose text node is the data's last ingredient, or NULL. */
static const GumboNode *last_item(const GumboNode *root, const char *name)
{
	struct rsd_dom_walker w = { 0 };
	const GumboNode *n, *li = NULL;
	size_t name_len = strlen(name);
	if (rsd_dom_walker_push(&w, root) < 0)
		return NULL;
	while (!li && (n = rsd_dom_walker_pop(&w)) != NULL) {
		if (n->type == GUMBO_NODE_TEXT && text_is(n, name, name_len)) {
			const GumboNode *a = n->parent;
			for (int up = 0; up < PREFIX_MAX_UP && a && rsd_dom_is_element(a);
			     up++, a = a->parent)
				if (a->v.element.tag == GUMBO_TAG_LI) {
					li = a;
					break;
				}
		} else if (rsd_dom_is_element(n) && rsd_dom_walker_push_children(&w, n) < 0) {
			break;
		}
	}
	free(w.stack);
	return li;
}

/* The <ul> or <ol> that holds li, or NULL. */
static const GumboNode *item_list(const GumboNode *li)
{
	const GumboNode *l = li ? li->parent : NULL;
	return l && rsd_dom_is_element(l) &&
			       (l->v.element.tag == GUMBO_TAG_UL ||
				l->v.element.tag == GUMBO_TAG_OL)
		       ? l
		       : NULL;
}

static int continued_list(const GumboNode *root, const cJSON *ingredients, cJSON **found,
			  const GumboNode **list)
{
	const cJSON *last = cJSON_GetArrayItem(ingredients, cJSON_GetArraySize(ingredients) - 1);
	const GumboNode *li = last_item(root, last->valuestring);
	if (!(*list = item_list(li)))
		return 0;
	cJSON *page = NULL;
	const struct item_form form = { ROW_MAX_NODES, PREFIX_ITEM_MAX, false };
	int rc = list_items(li, &form, &page);
	if (rc == 0 && page && continues(ingredients, page)) {
		*found = page;
		page = NULL;
	}
	cJSON_Delete(page);
	return rc == -ENOMEM ? rc : 0;
}

/* ---- the part a cut-short list is read from ---- */

/* Reads the page's list that goes on from the data's (*found: its items,
 * NULL when it does not) and the <ul>/<ol> it was read from (*list: NULL
 * when none): 0 or -ENOMEM. */
typedef int list_fill_fn(const GumboNode *root, const cJSON *data, cJSON **found,
			 const GumboNode **list);

/* Just past the end tag of the list (<ul>, <ol>) that holds the text at
 * `at`: the first list end tag in [at, to) that closes no list opened
 * after `at`; NULL when there is none. */
static const char *list_end(const char *at, const char *to)
{
	struct rsd_html_scanner s;
	struct rsd_html_tag t;
	size_t depth = 0;
	rsd_html_scan_init(&s, at, (size_t)(to - at));
	while (rsd_html_scan_next(&s, &t)) {
		if (!rsd_html_scan_is(&t, "ul") && !rsd_html_scan_is(&t, "ol"))
			continue;
		if (!t.is_end)
			depth++;
		else if (depth-- == 0)
			return s.p;
	}
	return NULL;
}

/* Whether the tree of the page's part [from, cut) reads `list` as the
 * tree of the longer part [from, to) does. gumbo builds a prefix's tree
 * as the longer one's first steps; later tokens only append to open
 * elements (the tree's last path), move subtrees of them in the adoption
 * agency (each subtree whole, the order of the nodes kept), put a
 * table's misplaced contents before that table, and add attributes to
 * <html> and <body> from later such tags. So the fills read the same when
 * the list was closed by its own end tag inside the part (nothing is
 * added to it later), no <table> is open at the cut (nothing comes before
 * it later), no <li> is open there (an item before the list, in the order
 * the fills search, whose text would grow) and no <html> or <body> tag
 * follows in [cut, to) (it could hide the page: the method's search
 * skips hidden elements). */
static bool reads_as_longer(const GumboNode *root, const GumboNode *list, const char *cut,
			    const char *to)
{
	GumboStringPiece end = list->v.element.original_end_tag;
	const char *name = list->v.element.tag == GUMBO_TAG_UL ? "</ul" : "</ol";
	if (end.length < 5 || !rsd_text_ieq(end.data, 4, name))
		return false;
	/* the open elements are on the last path, above the first element an
	 * end tag closed (gumbo keeps the tag that popped an element) */
	for (const GumboNode *n = root;
	     n && rsd_dom_is_element(n) && !n->v.element.original_end_tag.length;) {
		GumboTag tag = n->v.element.tag;
		if (tag == GUMBO_TAG_TABLE || tag == GUMBO_TAG_LI)
			return false;
		const GumboVector *c = rsd_dom_children(n);
		n = c && c->length ? c->data[c->length - 1] : NULL;
	}
	return !rsd_text_icasefind(cut, (size_t)(to - cut), "<body") &&
	       !rsd_text_icasefind(cut, (size_t)(to - cut), "<html");
}

/* Parses html[from, to) and runs fill on it, the list found replacing
 * *data; with longer_to (the end of a longer part), only when the reading
 * is the longer part's too (reads_as_longer): 0, -EAGAIN when it may not
 * be, -E2BIG or -ETIME (over budget: nothing read), -ENOMEM. */
static int fill_from(struct rsd_gumbo_arena *arena, const char *from, const char *to,
		     const char *longer_to, list_fill_fn *fill, cJSON **data)
{
	struct rsd_gumbo_limits lim = rsd_gumbo_limits_for((size_t)(to - from));
	struct rsd_gumbo_doc *part;
	int rc = rsd_gumbo_guard_parse_in(arena, from, (size_t)(to - from), &lim, &part, NULL);
	if (rc < 0)
		return rc;
	const GumboNode *root = rsd_gumbo_doc_output(part)->root, *list = NULL;
	cJSON *found = NULL;
	rc = fill(root, *data, &found, &list);
	if (rc == 0 && longer_to && !(list && reads_as_longer(root, list, to, longer_to)))
		rc = -EAGAIN;
	if (rc == 0 && found) {
		cJSON_Delete(*data);
		*data = found;
		found = NULL;
	}
	cJSON_Delete(found);
	rsd_gumbo_doc_free(part);
	return rc;
}

/* The rest of a list from the part of the page around it: from a tag a
 * little before the data's first item to PREFIX_AFTER bytes past its last
 * (that part's reading is the result), read from the part that ends with
 * the list's end tag when that part's reading is provably the same: a
 * list of 3 KB no longer costs a parse of 35. 0, -E2BIG or -ETIME (the
 * longer part was over its budget: the list stays as it is, the
 * extractor reads on), -ENOMEM. */
static int parse_list_part(struct rsd_gumbo_arena *arena, const char *html, size_t len,
			   const char *first, const char *last, list_fill_fn *fill, cJSON **list)
{
	const char *from, *to;
	part_bounds(html, len, first, last, PREFIX_AFTER, &from, &to);
	const char *cut = list_end(last, to);
	int rc = cut && cut < to ? fill_from(arena, from, cut, to, fill, list) : -EAGAIN;
	if (rc == -EAGAIN || rc == -E2BIG || rc == -ETIME)
		rc = fill_from(arena, from, to, NULL, fill, list);
	return rc;
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
	return end - p >= 4 && rsd_text_ieq(p, 3, "<li") &&
	       (rsd_text_is_space(p[3]) || p[3] == '>');
}

static int continue_list(struct rsd_gumbo_arena *arena, const char *html, size_t len,
			 cJSON **ingredients)
{
	size_t n = rsd_dom_n_items(*ingredients);
	if (n < 2 || n >= PREFIX_MAX_ITEMS)
		return 0;
	const char *end = html + len;
	const char *first_name = (*ingredients)->child->valuestring;
	const char *last_name = cJSON_GetArrayItem(*ingredients, (int)n - 1)->valuestring;
	const char *last = name_as_text(html, end, last_name);
	if (!last || !next_item_follows(last + strlen(last_name), end))
		return 0;
	const char *first = name_as_text(last - html > ROW_MAX_SPAN ? last - ROW_MAX_SPAN : html,
					 last, first_name);
	if (!first)
		return 0;
	return parse_list_part(arena, html, len, first, last, continued_list, ingredients);
}

int rsd_completion_ingredients(struct rsd_gumbo_arena *arena, const char *html, size_t len,
			       cJSON **ingredients)
{
	if (names_only(*ingredients))
		return quantify_names(arena, html, len, ingredients);
	return continue_list(arena, html, len, ingredients);
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
	STEP_PREFIX_MIN = 16, /* bytes of a step that find it in the raw page */
	STEP_PREFIX_MAX = 24, /* (inline markup in a step comes later, mostly) */
	STEP_MAX_NODES = 256, /* a step's subtree */
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
	for (const char *p = from; (p = find_bytes(p, end, s, n)) != NULL; p++) {
		const char *b = p;
		while (b > from && rsd_text_is_space(b[-1]))
			b--;
		if (b > from && b[-1] == '>')
			return p;
	}
	return NULL;
}

/* Whether the text at p stands inside a list item: the nearest <li> or
 * </li> tag before it (within ITEM_LOOKBACK bytes: an item's markup
 * before its text) is a start tag. Whatever else stands between them
 * (paragraphs, a number, a label hidden from readers) is left to the
 * parse. */
static bool inside_item(const char *lo, const char *p)
{
	enum { ITEM_LOOKBACK = 4096 };
	const char *start = (size_t)(p - lo) > ITEM_LOOKBACK ? p - ITEM_LOOKBACK : lo;
	for (const char *lt = p; (lt = memrchr(start, '<', (size_t)(lt - start))) != NULL;) {
		bool end_tag = lt[1] == '/';
		const char *name = lt + 1 + end_tag;
		if (p - name >= 3 && rsd_text_ieq(name, 2, "li") &&
		    (name[2] == '>' || name[2] == '/' || rsd_text_is_space(name[2])))
			return !end_tag;
	}
	return false;
}

/* Whether [from, to) has the step (its first n bytes) in a list item,
 * and, with goes_on, that item followed by another ("</li> <li"). The
 * method is read from such items only (a list whose items show the
 * data's steps, maybe after their numbers, and go on past the last), so
 * a page without them has no list to complete it from and its part is
 * not parsed: step text in paragraphs, or a list that ends with the
 * data's last step. */
static bool item_text_in(const char *from, const char *to, const char *step, size_t n,
			 bool goes_on)
{
	size_t span = strlen(step) + STEP_ITEM_SLACK;
	for (const char *p = from; (p = text_starting(p, to, step, n)) != NULL; p++) {
		if (!inside_item(from, p))
			continue;
		if (!goes_on)
			return true;
		const char *close =
			rsd_text_icasefind(p, span < (size_t)(to - p) ? span : (size_t)(to - p), "</li");
		if (close && next_item_follows(close, to))
			return true;
	}
	return false;
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
	struct rsd_dom_walker w = { 0 };
	const GumboNode *n, *li = NULL;
	if (rsd_dom_walker_push(&w, root) < 0)
		return NULL;
	while (!li && (n = rsd_dom_walker_pop(&w)) != NULL) {
		if (!rsd_dom_is_element(n) || rsd_dom_is_hidden(n))
			continue;
		if (n->v.element.tag == GUMBO_TAG_LI) {
			char *t = rsd_dom_bounded_text(n, STEP_MAX_NODES);
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
		if (rsd_dom_walker_push_children(&w, n) < 0)
			break;
	}
	free(w.stack);
	return li;
}

static int continued_method(const GumboNode *root, const cJSON *steps, cJSON **found,
			    const GumboNode **list)
{
	bool numbered = false;
	const GumboNode *li = step_item(root, steps->child->valuestring, &numbered);
	if (!(*list = item_list(li)))
		return 0;
	cJSON *page = NULL;
	const struct item_form form = { STEP_MAX_NODES, SIZE_MAX, numbered };
	int rc = list_items(li, &form, &page);
	const cJSON *d = steps->child, *p = page ? page->child : NULL;
	for (; rc == 0 && d && p && shows_step(p->valuestring, d->valuestring, false);
	     d = d->next, p = p->next)
		;
	if (rc == 0 && !d && p && rsd_dom_n_items(page) <= PREFIX_MAX_ITEMS) {
		*found = page;
		page = NULL;
	}
	cJSON_Delete(page);
	return rc == -ENOMEM ? rc : 0;
}

int rsd_completion_method(struct rsd_gumbo_arena *arena, const char *html, size_t len,
			  cJSON **steps)
{
	size_t n = rsd_dom_n_items(*steps);
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
	const char *close = rsd_text_icasefind(
		last, span < (size_t)(end - last) ? span : (size_t)(end - last), "</li");
	if (!close || !next_item_follows(close, end))
		return 0;
	const char *from, *to;
	part_bounds(html, len, first, last, PREFIX_AFTER, &from, &to);
	if (!item_text_in(from, to, first_step, first_n, false) ||
	    !item_text_in(from, to, last_step, last_n, true))
		return 0; /* no list there to complete the method from */
	return parse_list_part(arena, html, len, first, last, continued_method, steps);
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

/* What reading the lists found, for a check that a part's tree gave what
 * the whole page's would (rsd_completion_lists_from_page). */
struct lists_read {
	bool want[2]; /* by enum rsd_list_kind: the data lacks it */
	bool found[2], by_name[2];
};

static int find_list(const GumboNode *root, struct rsd_list_query *q, struct lists_read *r,
		     struct rsd_found_list *found)
{
	q->min_items = 2;
	int rc = rsd_html_lists_find(root, q, found);
	r->found[q->kind] = rc == 0 && rsd_dom_n_items(found->items) >= 2;
	r->by_name[q->kind] = found->by_name;
	return rc;
}

/* The page's list of that kind in place of *list (of two items or more). */
static int replaced_list(const GumboNode *root, struct rsd_list_query *q, struct lists_read *r,
			 cJSON **list)
{
	struct rsd_found_list found;
	int rc = find_list(root, q, r, &found);
	if (r->found[q->kind]) {
		cJSON_Delete(*list);
		*list = found.items;
		return 0;
	}
	cJSON_Delete(found.items);
	return rc;
}

/* The page's list of steps in place of a glued method that holds them all. */
static int unglued_steps(const GumboNode *root, struct rsd_list_query *q, struct lists_read *r,
			 cJSON **instructions)
{
	struct rsd_found_list found;
	int rc = find_list(root, q, r, &found);
	if (rc == 0 && r->found[q->kind])
		rc = steps_in(cJSON_GetArrayItem(*instructions, 0)->valuestring, found.items);
	if (rc > 0) {
		cJSON_Delete(*instructions);
		*instructions = found.items;
		return 0;
	}
	cJSON_Delete(found.items);
	return rc;
}

static void wanted_lists(const cJSON *ingredients, const cJSON *steps, struct lists_read *r)
{
	*r = (struct lists_read){ 0 };
	r->want[RSD_LIST_INGREDIENTS] = rsd_dom_n_items(ingredients) < 2;
	r->want[RSD_LIST_INSTRUCTIONS] =
		rsd_dom_n_items(steps) == 0 || rsd_fields_glued_method(steps);
}

/* Completes the lists r->want from root's tree; q carries the bound of a
 * part's tree (html_lists.h). */
static int complete_lists(const GumboNode *root, struct rsd_list_query q, struct lists_read *r,
			  cJSON **ingredients, cJSON **steps)
{
	int rc = 0;
	if (r->want[RSD_LIST_INGREDIENTS]) {
		q.kind = RSD_LIST_INGREDIENTS;
		rc = replaced_list(root, &q, r, ingredients);
	}
	q.kind = RSD_LIST_INSTRUCTIONS;
	if (rc < 0 || !r->want[RSD_LIST_INSTRUCTIONS])
		return rc < 0 ? rc : 0;
	if (rsd_dom_n_items(*steps) == 0)
		rc = replaced_list(root, &q, r, steps);
	else
		rc = unglued_steps(root, &q, r, steps);
	return rc < 0 ? rc : 0;
}

int rsd_completion_lists_from_dom(const GumboOutput *dom, struct rsd_recipe_fields *f)
{
	struct lists_read r;
	wanted_lists(f->ingredients, f->instructions_list, &r);
	return complete_lists(dom->root, (struct rsd_list_query){ 0 }, &r, &f->ingredients,
			      &f->instructions_list);
}

/* ---- the lists from the part of the page that holds them ---- */

/* Whether the part's reading is the whole page's: no search read beside
 * the part, and each list wanted agrees (rsd_html_lists_part_agrees). */
static bool same_as_page(const struct lists_read *r, bool beyond,
			 const struct rsd_list_mentions m[2], const char *from, const char *to)
{
	for (int k = 0; k < 2; k++)
		if (r->want[k] &&
		    !rsd_html_lists_part_agrees(&m[k], r->found[k], r->by_name[k], from, to))
			return false;
	return !beyond;
}

/* The body's only element: the part's root E, as its tree has it. */
static const GumboNode *part_root(const GumboOutput *out)
{
	const GumboNode *body = NULL, *only = NULL;
	const GumboVector *c = rsd_dom_children(out->root);
	for (size_t i = 0; c && i < c->length && !body; i++)
		if (rsd_dom_is_element(c->data[i]) &&
		    ((const GumboNode *)c->data[i])->v.element.tag == GUMBO_TAG_BODY)
			body = c->data[i];
	c = body ? rsd_dom_children(body) : NULL;
	for (size_t i = 0; c && i < c->length; i++) {
		if (!rsd_dom_is_element(c->data[i]))
			continue;
		if (only)
			return NULL;
		only = c->data[i];
	}
	return only;
}

/* Copies f's lists into c's (empty): 1, or -ENOMEM (c empty). */
static int copy_lists(const struct rsd_recipe_fields *f, struct rsd_recipe_fields *c)
{
	c->ingredients = f->ingredients ? cJSON_Duplicate(f->ingredients, true) : NULL;
	c->instructions_list =
		f->instructions_list ? cJSON_Duplicate(f->instructions_list, true) : NULL;
	if ((f->ingredients && !c->ingredients) || (f->instructions_list && !c->instructions_list)) {
		cJSON_Delete(c->ingredients);
		cJSON_Delete(c->instructions_list);
		*c = (struct rsd_recipe_fields){ 0 };
		return -ENOMEM;
	}
	return 1;
}

/* Exchanges f's lists with c's. */
static void swap_lists(struct rsd_recipe_fields *f, struct rsd_recipe_fields *c)
{
	cJSON *ingredients = f->ingredients, *steps = f->instructions_list;
	f->ingredients = c->ingredients;
	f->instructions_list = c->instructions_list;
	c->ingredients = ingredients;
	c->instructions_list = steps;
}

/* Reads the lists of the kinds asked (only[k]) from the part's tree into
 * copies of the data's, and takes them when the reading is the whole
 * page's: 1 taken, 0 not. */
static int lists_from_part(const GumboOutput *out, const struct rsd_list_mentions m[2],
			   const struct rsd_list_region *g, const bool only[2],
			   struct rsd_recipe_fields *f)
{
	const GumboNode *root = part_root(out);
	if (!root)
		return 0;
	struct lists_read r;
	bool beyond = false;
	wanted_lists(f->ingredients, f->instructions_list, &r);
	for (int k = 0; k < 2; k++)
		r.want[k] = r.want[k] && only[k];
	struct rsd_recipe_fields c = { 0 };
	int rc = copy_lists(f, &c);
	struct rsd_list_query q = { .bound = root, .beyond = &beyond };
	if (rc > 0)
		rc = complete_lists(out->root, q, &r, &c.ingredients, &c.instructions_list);
	if (rc == 0 && same_as_page(&r, beyond, m, g->from, g->to)) {
		swap_lists(f, &c);
		rc = 1;
	}
	cJSON_Delete(c.ingredients);
	cJSON_Delete(c.instructions_list);
	return rc;
}

/* Parses the part (after the page's doctype, so that gumbo reads it in
 * the page's mode) and reads the lists from it, its memory from arena
 * like every other parse of the page's (a part of 87 KB holds 1.2 MB of
 * gumbo's blocks: malloc and free per block, and the pages faulted in
 * again, where the arena's chunks are warm). */
static int parse_region(struct rsd_gumbo_arena *arena, const char *html,
			const struct rsd_list_region *g, const struct rsd_list_mentions m[2],
			const bool only[2], struct rsd_recipe_fields *f)
{
	size_t part = (size_t)(g->to - g->from), n = g->doctype_len + part;
	char *buf = malloc(n + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, html, g->doctype_len);
	memcpy(buf + g->doctype_len, g->from, part);
	buf[n] = '\0';
	struct rsd_gumbo_limits lim = rsd_gumbo_limits_for(n);
	struct rsd_gumbo_doc *doc = NULL;
	int rc = rsd_gumbo_guard_parse_in(arena, buf, n, &lim, &doc, NULL);
	if (rc == 0)
		rc = lists_from_part(rsd_gumbo_doc_output(doc), m, g, only, f);
	rsd_gumbo_doc_free(doc);
	free(buf);
	/* over its budget: the whole page's parse decides, under its own */
	return rc == -E2BIG || rc == -ETIME ? 0 : rc;
}

/* Where the page's search for a list of kind k starts: its first
 * container name, else its first heading (NULL: none, or not wanted).
 * The whole page's search takes a named container first. */
static const char *list_anchor(const struct lists_read *r, const struct rsd_list_mentions m[2],
			       int k)
{
	if (!r->want[k])
		return NULL;
	return m[k].first_name ? m[k].first_name : m[k].first;
}

/* The lists wanted, each from the parse of the tight part around its own
 * anchor (one level above its container or heading): two lists far apart
 * on a page (alittlebityummy: ingredients at 26 KB, the method at 89 KB)
 * cost two small parses where the one part that holds both is most of the
 * page. 1 when every wanted list read as the whole page's reading
 * (lists_from_part's check, each with its own part's bounds), 0 when one
 * did not (f unchanged: the caller reads the part that holds them all),
 * -ENOMEM. A page mentioning a wanted list nowhere is the caller's. */
static int lists_from_tight_parts(struct rsd_gumbo_arena *arena, const char *html, size_t len,
				  const struct rsd_list_mentions m[2], const struct lists_read *r,
				  struct rsd_recipe_fields *f)
{
	enum { TIGHT_CLIMB = 1 }; /* a container's siblings are its group's (sibling_groups) */
	/* the parts' lists go to copies: a later kind's failure leaves f as it was */
	struct rsd_recipe_fields t = { 0 };
	int rc = copy_lists(f, &t);
	for (int k = 0; k < 2 && rc > 0; k++) {
		const char *at = list_anchor(r, m, k);
		struct rsd_list_region g;
		const bool only[2] = { k == 0, k == 1 };
		if (at && !rsd_list_region_climb(html, len, at, at, TIGHT_CLIMB, &g))
			rc = 0;
		else if (at)
			rc = parse_region(arena, html, &g, m, only, &t);
	}
	if (rc > 0)
		swap_lists(f, &t);
	cJSON_Delete(t.ingredients);
	cJSON_Delete(t.instructions_list);
	return rc;
}

int rsd_completion_lists_from_page(struct rsd_gumbo_arena *arena, const char *html, size_t len,
				   struct rsd_recipe_fields *f)
{
	struct lists_read r;
	struct rsd_list_mentions m[2];
	wanted_lists(f->ingredients, f->instructions_list, &r);
	rsd_html_lists_mentions(html, len, m);
	/* the part holds the first name of each list wanted (a heading's
	 * place when there is none) */
	const char *first = NULL, *last = NULL;
	for (int k = 0; k < 2; k++) {
		const char *at = list_anchor(&r, m, k);
		if (!at)
			continue;
		first = first && first < at ? first : at;
		last = last && last > at ? last : at;
	}
	if (!first)
		return 1; /* no name nor heading of a wanted list: no tree has one */
	/* a part under TIGHT_WORTH is read as it is: the scans for the tight
	 * parts (each from the page's start) cost about what they would save */
	enum { TIGHT_WORTH = 32 * 1024 };
	static const bool both[2] = { true, true };
	struct rsd_list_region g;
	bool found = rsd_list_region_find(html, len, first, last, &g);
	if (found && (size_t)(g.to - g.from) < TIGHT_WORTH)
		return parse_region(arena, html, &g, m, both, f);
	int rc = lists_from_tight_parts(arena, html, len, m, &r, f);
	if (rc != 0 || !found)
		return rc;
	return parse_region(arena, html, &g, m, both, f);
}
