/* SPDX-License-Identifier: MIT */
/* A recipe's lists in plain HTML, by name or by heading (see
 * html_lists.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract/html_lists.h"
#include "extract/dom.h"
#include "core/text.h"

/* The ways a section writes its items, tried in this order: list items,
 * definition terms (with their definitions), table rows, the labels of a
 * checklist (<input type=checkbox><label>2 <p>eggs</p></label>: the label
 * holds the whole item), paragraphs (one item per line: <br> separates
 * them), and at last the lines of the section's text, which is what a
 * grid of <div>s gives. */
static const GumboTag ITEM_FORMS[] = { GUMBO_TAG_LI,    GUMBO_TAG_DT, GUMBO_TAG_TR,
				       GUMBO_TAG_LABEL, GUMBO_TAG_P,  GUMBO_TAG_UNKNOWN };

static int add_item(cJSON **arr, const GumboNode *n, GumboTag form)
{
	switch (form) {
	case GUMBO_TAG_DT:
		return rsd_dom_add_term_text(arr, n);
	case GUMBO_TAG_P:
		return rsd_dom_add_element_lines(arr, n);
	default:
		return rsd_dom_add_element_text(arr, n);
	}
}

/* The text of the link or button that ends item n ("<li>salt <a>shopping
 * list</a></li>"), or NULL. */
static char *item_action(const GumboNode *n)
{
	const GumboVector *c = rsd_dom_children(n);
	for (size_t i = c ? c->length : 0; i-- > 0;) {
		const GumboNode *k = c->data[i];
		if (k->type == GUMBO_NODE_WHITESPACE || k->type == GUMBO_NODE_COMMENT)
			continue;
		if (!rsd_dom_is_element(k) || rsd_dom_is_hidden(k) ||
		    (k->v.element.tag != GUMBO_TAG_A && k->v.element.tag != GUMBO_TAG_BUTTON))
			return NULL;
		char *t = rsd_dom_small_text(k);
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
 * without descending into one: a nested list belongs to its item. Page
 * furniture, root included, has none: the tabs (<ul class="nav">) that
 * switch a list's units, the share buttons that end a method. */
static int collect_items(const GumboNode *root, GumboTag form, cJSON **arr)
{
	if (!rsd_dom_is_element(root) || rsd_dom_is_hidden(root))
		return 0;
	if (form == GUMBO_TAG_UNKNOWN)
		return rsd_dom_add_element_lines(arr, root);
	struct rsd_dom_walker w = { 0 };
	struct item_actions actions = { 0 };
	size_t before = rsd_dom_n_items(*arr);
	int rc = rsd_dom_walker_push(&w, root);
	const GumboNode *n;
	while (rc == 0 && (n = rsd_dom_walker_pop(&w)) != NULL) {
		if (!rsd_dom_is_element(n) || rsd_dom_is_hidden(n) || rsd_html_lists_is_chrome(n))
			continue;
		if (n->v.element.tag == form) {
			rc = add_item(arr, n, form);
			if (form == GUMBO_TAG_LI)
				track_action(&actions, n);
		} else {
			rc = rsd_dom_walker_push_children(&w, n);
		}
	}
	free(w.stack);
	if (rc == 0 && before == 0 && *arr)
		rc = drop_actions(&actions, *arr);
	free(actions.common);
	return rc;
}

/* Class or id fragments that name a list. */
static const char *const LIST_NAMES[2][6] = {
	{ "ingredient", NULL },
	{ "instruction", "direction", "method", "step", "preparation", NULL },
};

/* Heading texts that announce a list (lowercase, without a final ':'), in
 * the languages of most recipe sites: en, de, fr, es, it, nl, pt, sv, no,
 * da, pl, cs, hu, el, zh. The comparison folds ASCII case only, so the
 * Greek words are also listed capitalised, as headings write them. */
static const char *const LIST_HEADINGS[2][40] = {
	{ "ingredients", "ingredient list", "zutaten", "ingrédients", "ingredientes", "ingredienti",
	  "ingrediënten", "ingredienser", "składniki", "suroviny", "ingredience", "what you need",
	  "you will need", "you'll need", "hozzávalók", "υλικά", "Υλικά", "用料", "食材", NULL },
	{ "method",
	  "instructions",
	  "directions",
	  "preparation",
	  "steps",
	  "how to make it",
	  "how to make",
	  "zubereitung",
	  "anleitung",
	  "préparation",
	  "instructions de préparation",
	  "étapes",
	  "preparación",
	  "instrucciones",
	  "elaboración",
	  "pasos",
	  "preparazione",
	  "procedimento",
	  "bereiding",
	  "bereidingswijze",
	  "modo de preparo",
	  "modo de preparação",
	  "preparo",
	  "gör så här",
	  "tillagning",
	  "fremgangsmåte",
	  "fremgangsmåde",
	  "sådan gør du",
	  "przygotowanie",
	  "sposób przygotowania",
	  "postup",
	  "elkészítés",
	  "εκτέλεση",
	  "Εκτέλεση",
	  "οδηγίες",
	  "Οδηγίες",
	  "παρασκευή",
	  "Παρασκευή",
	  "做法",
	  NULL },
};

static bool named_for(const GumboNode *n, int kind)
{
	return rsd_dom_contains_any(rsd_dom_attr(n, "class"), LIST_NAMES[kind]) ||
	       rsd_dom_contains_any(rsd_dom_attr(n, "id"), LIST_NAMES[kind]);
}

/* Class tokens (and ids) of page furniture: exact names, and names that
 * start or end with one ("main-menu", "comments-area", "left-sidebar";
 * not "content-sidebar-wrap", which holds the content). */
static bool chrome_token(const char *t, size_t n)
{
	static const char *const EXACT[] = { "nav",         "navbar",      "navigation",
					     "breadcrumb",  "breadcrumbs", "header",
					     "footer",      "site-header", "site-footer",
					     "widget-area", NULL };
	static const char *const PARTS[] = { "menu",  "sidebar", "comment", "comments",
					     "share", "social",  NULL };
	for (size_t i = 0; EXACT[i]; i++)
		if (rsd_text_ieq(t, n, EXACT[i]))
			return true;
	/* "sidebar-right-layout", "feast-layout--modern-sidebar": the
	 * layout of the whole page, content included */
	if (rsd_text_icasefind(t, n, "layout"))
		return false;
	for (size_t i = 0; PARTS[i]; i++) {
		size_t k = strlen(PARTS[i]);
		if (n < k)
			continue;
		if (rsd_text_ieq(t, k, PARTS[i]) &&
		    (n == k || t[k] == '-' || t[k] == '_' || strcmp(PARTS[i], "comment") == 0))
			return true;
		if (n > k && rsd_text_ieq(t + n - k, k, PARTS[i]) &&
		    (t[n - k - 1] == '-' || t[n - k - 1] == '_'))
			return true;
	}
	return false;
}

/* Page furniture around the content: navigation, sidebars, footers, site
 * headers, forms and comments. Their words ("Ingredients" in a menu, a
 * comment's "method") are not a recipe's sections. A <header> inside an
 * article or <main> heads the content itself; a <form> that is a child of
 * <body> wraps the whole page (ASP.NET). */
bool rsd_html_lists_is_chrome(const GumboNode *n)
{
	switch (n->v.element.tag) {
	case GUMBO_TAG_HTML:
	case GUMBO_TAG_BODY:
		return false; /* the page itself ("no-sidebar" says what it lacks) */
	case GUMBO_TAG_NAV:
	case GUMBO_TAG_ASIDE:
	case GUMBO_TAG_MENU:
	case GUMBO_TAG_FOOTER:
		return true;
	case GUMBO_TAG_HEADER: {
		/* bounded: the walk up costs a constant per header */
		const GumboNode *p = n->parent;
		for (int up = 0; up < 16 && p && rsd_dom_is_element(p); up++, p = p->parent)
			if (p->v.element.tag == GUMBO_TAG_ARTICLE ||
			    p->v.element.tag == GUMBO_TAG_MAIN)
				return false;
		return true;
	}
	case GUMBO_TAG_FORM:
		return !(n->parent && rsd_dom_is_element(n->parent) &&
			 n->parent->v.element.tag == GUMBO_TAG_BODY);
	default:
		return rsd_dom_any_token(rsd_dom_attr(n, "class"), chrome_token) ||
		       rsd_dom_any_token(rsd_dom_attr(n, "id"), chrome_token);
	}
}

static bool query_skips(const struct rsd_list_query *q, const GumboNode *n)
{
	return !rsd_dom_is_element(n) || rsd_dom_is_hidden(n) ||
	       (q->content_only && rsd_html_lists_is_chrome(n));
}

static bool query_after(const struct rsd_list_query *q, const GumboNode *n)
{
	return !q->after || rsd_dom_source_offset(n) > rsd_dom_source_offset(q->after);
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
		if (rsd_dom_n_items(*items) >= min_items)
			break;
	}
	return rc;
}

/* Whether the tree may lack what follows n's last child (q->open): the
 * search's answer may then not be the whole page's, *q->beyond says so. */
static bool cut_short(const struct rsd_list_query *q, const GumboNode *n)
{
	if (!q->open || !n || !q->open(n))
		return false;
	*q->beyond = true;
	return true;
}

/* Lists in groups ("For the sauce") repeat the named container: the
 * containers named alike that follow it, headings between them allowed,
 * add their items. A recipe in parts may give each part its ingredients
 * and then its steps: the other kind's containers between them are
 * passed over too. */
static int sibling_groups(const struct rsd_list_query *q, const GumboNode *n, cJSON **items)
{
	int kind = q->kind, rc = 0;
	if (n == q->bound) {
		*q->beyond = true;
		return 0;
	}
	const GumboNode *s = rsd_dom_next_element(n);
	for (; rc == 0 && s; s = rsd_dom_next_element(s)) {
		if (rsd_dom_heading_level(s->v.element.tag) || rsd_dom_is_hidden(s))
			continue;
		bool mine = named_for(s, kind), other = named_for(s, !kind);
		if (other && !mine)
			continue;
		if (!mine || other)
			break;
		if (cut_short(q, s))
			break;
		cJSON *more = NULL;
		rc = container_items(s, 1, &more);
		for (cJSON *e = more ? more->child : NULL; rc == 0 && e; e = e->next)
			rc = rsd_dom_add_text_item(items, e->valuestring);
		cJSON_Delete(more);
	}
	if (!s)
		cut_short(q, n->parent);
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
	cJSON_ArrayForEach (e, items)
		if (!is_fact(e->valuestring))
			return false;
	return true;
}

/* One element of a list search (list_walk): 0 to search its children,
 * 1 when it was a candidate (the list in *out, or not there: its subtree
 * is not searched either), or -errno. */
typedef int list_visit_fn(const GumboNode *n, const struct rsd_list_query *q,
			  struct rsd_found_list *out);

/* The walk the list searches share: the elements in document order, the
 * query's skipped subtrees aside, until visit finds the list. */
static int list_walk(const GumboNode *root, const struct rsd_list_query *q, list_visit_fn *visit,
		     struct rsd_found_list *out)
{
	struct rsd_dom_walker w = { 0 };
	int rc = rsd_dom_walker_push(&w, root);
	const GumboNode *n;
	while (rc == 0 && !out->items && (n = rsd_dom_walker_pop(&w)) != NULL) {
		if (query_skips(q, n))
			continue;
		rc = visit(n, q, out);
		if (rc == 0)
			rc = rsd_dom_walker_push_children(&w, n);
		else if (rc > 0)
			rc = 0;
	}
	free(w.stack);
	return rc;
}

/* The outermost visible element, first in document order, named for the
 * kind (and not also for the other kind: "ingredients-and-method" wraps
 * both) that holds enough items. A named element with fewer is not
 * searched further, which keeps the walk linear. */
static int visit_named(const GumboNode *n, const struct rsd_list_query *q,
		       struct rsd_found_list *out)
{
	GumboTag t = n->v.element.tag;
	bool body = t == GUMBO_TAG_HTML || t == GUMBO_TAG_BODY;
	if (body || !query_after(q, n) || !named_for(n, q->kind) || named_for(n, !q->kind))
		return 0;
	if (cut_short(q, n))
		return 1; /* its items may go on */
	cJSON *items = NULL;
	int rc = container_items(n, q->min_items, &items);
	if (rc == 0 && rsd_dom_n_items(items) >= q->min_items && rsd_dom_n_items(items) &&
	    !(q->kind == RSD_LIST_INSTRUCTIONS && only_facts(items))) {
		*out = (struct rsd_found_list){ items, n, true };
		rc = sibling_groups(q, n, &out->items);
	} else {
		cJSON_Delete(items);
	}
	return rc < 0 ? rc : 1;
}

static int list_by_name(const GumboNode *root, const struct rsd_list_query *q,
			struct rsd_found_list *out)
{
	return list_walk(root, q, visit_named, out);
}

/* Elements that can label a section: headings, and the emphasis, link,
 * button and plain boxes that pages style as headings (an accordion's
 * "Ingredients" toggle, a <div class="title">). */
static bool may_label(GumboTag t)
{
	switch (t) {
	case GUMBO_TAG_P:
	case GUMBO_TAG_STRONG:
	case GUMBO_TAG_B:
	case GUMBO_TAG_DT:
	case GUMBO_TAG_A:
	case GUMBO_TAG_SPAN:
	case GUMBO_TAG_DIV:
	case GUMBO_TAG_LABEL:
	case GUMBO_TAG_SUMMARY:
	case GUMBO_TAG_BUTTON:
	case GUMBO_TAG_TH:
	case GUMBO_TAG_EM:
	case GUMBO_TAG_LEGEND:
	case GUMBO_TAG_CAPTION:
		return true;
	default:
		return rsd_dom_heading_level(t) != 0;
	}
}

/* Whether n's visible text is short enough for a heading's. */
static bool short_text(const GumboNode *n)
{
	struct rsd_text_buf b = { 0 };
	bool is_short = rsd_dom_text_small(n, 32, &b) == 0 && b.len < 64;
	rsd_text_buf_free(&b);
	return is_short;
}

/* Headings that announce the ingredients only where nothing else does:
 * the Dutch "Benodigdheden" (what is needed) heads the ingredients of a
 * page without an "Ingrediënten" section, and the utensils of one that
 * has one. */
static const char *const WEAK_HEADINGS[] = { "benodigdheden", NULL };

/* Whether n is a short heading-like element whose whole text is one of
 * words ("Ingredients", "Method:"), in any case. */
static bool heading_in(const GumboNode *n, const char *const *words)
{
	if (!may_label(n->v.element.tag))
		return false;
	struct rsd_text_buf b = { 0 };
	char *text = NULL;
	if (rsd_dom_text_small(n, 32, &b) == 0 && b.len < 64)
		text = rsd_text_clean(b.data, b.len);
	rsd_text_buf_free(&b);
	if (!text)
		return false;
	size_t len = strlen(text);
	while (len && (text[len - 1] == ':' || text[len - 1] == ' '))
		len--;
	bool found = false;
	for (size_t i = 0; words[i] && !found; i++)
		found = rsd_text_ieq(text, len, words[i]);
	free(text);
	return found;
}

/* Whether n's whole text announces a list of that kind ("Ingredients",
 * "Method:"). kind -1: of either kind. */
static bool is_list_heading(const GumboNode *n, int kind)
{
	return (kind != RSD_LIST_INSTRUCTIONS && heading_in(n, LIST_HEADINGS[0])) ||
	       (kind != RSD_LIST_INGREDIENTS && heading_in(n, LIST_HEADINGS[1]));
}

/* A sibling that starts another part of the page: a heading of the same
 * or a higher rank, any heading that names a list, or the other list. */
static bool ends_section(const GumboNode *sib, int level, int kind)
{
	int l = rsd_dom_heading_level(sib->v.element.tag);
	return (l && (!level || l <= level)) || is_list_heading(sib, -1) || named_for(sib, !kind);
}

/* Whether the text of heading h's paragraph goes on after it
 * ("<p><strong>Method:<br></strong>Beat the eggs.<br>Bake.</p>"): the
 * heading only starts its paragraph, whose lines are the section's. */
static bool leads_its_paragraph(const GumboNode *h)
{
	if (rsd_dom_heading_level(h->v.element.tag) || !h->parent ||
	    !rsd_dom_is_element(h->parent) || h->parent->v.element.tag != GUMBO_TAG_P)
		return false;
	const GumboVector *c = rsd_dom_children(h->parent);
	bool after = false;
	for (size_t i = 0; c && i < c->length; i++) {
		const GumboNode *k = c->data[i];
		if (k == h)
			after = true;
		else if (after && k->type == GUMBO_NODE_TEXT && rsd_text_has_word(k->v.text.text))
			return true;
	}
	return false;
}

/* The items in the siblings that follow heading h, up to the next section. */
static int items_after(const struct rsd_list_query *q, const GumboNode *h, GumboTag form,
		       cJSON **items)
{
	int kind = q->kind, level = rsd_dom_heading_level(h->v.element.tag);
	if (leads_its_paragraph(h)) {
		if (cut_short(q, h->parent))
			return 0; /* its lines may go on past the cut */
		return form == GUMBO_TAG_P ? collect_items(h->parent, form, items) : 0;
	}
	/* <p><strong>Method</strong></p>: the list follows the wrapper */
	for (int up = 0;
	     up < 3 && !rsd_dom_next_element(h) && !cut_short(q, h->parent) && h->parent &&
	     rsd_dom_is_element(h->parent) && h->parent->v.element.tag != GUMBO_TAG_BODY;
	     up++)
		h = h->parent;
	if (h == q->bound) {
		*q->beyond = true;
		return 0;
	}
	int rc = 0;
	const GumboNode *s = rsd_dom_next_element(h);
	for (; rc == 0 && s && !ends_section(s, level, kind); s = rsd_dom_next_element(s))
		rc = cut_short(q, s) ? 0 : collect_items(s, form, items);
	if (!s)
		cut_short(q, h->parent);
	return rc;
}

/* A short label-like element open at a part's cut: the rest of its text
 * may make it a heading, so the part's answer may not be the page's. */
static void note_cut_label(const struct rsd_list_query *q, const GumboNode *n)
{
	if (q->open && q->open(n) && may_label(n->v.element.tag) && short_text(n))
		cut_short(q, n);
}

/* The list that follows heading n, if it holds enough items. */
static int heading_list(const GumboNode *n, const struct rsd_list_query *q,
			struct rsd_found_list *out)
{
	cJSON *items = NULL;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof ITEM_FORMS / sizeof ITEM_FORMS[0]; i++) {
		cJSON_Delete(items);
		items = NULL;
		rc = items_after(q, n, ITEM_FORMS[i], &items);
		drop_labels(&items);
		if (rsd_dom_n_items(items) >= q->min_items)
			break;
	}
	if (rc == 0 && rsd_dom_n_items(items) >= q->min_items && rsd_dom_n_items(items))
		*out = (struct rsd_found_list){ items, n, false };
	else
		cJSON_Delete(items);
	return rc < 0 ? rc : 1;
}

/* The list that follows the first heading announcing it. */
static int visit_heading(const GumboNode *n, const struct rsd_list_query *q,
			 struct rsd_found_list *out)
{
	note_cut_label(q, n);
	if (!query_after(q, n) || !is_list_heading(n, q->kind))
		return 0;
	return heading_list(n, q, out);
}

static int visit_weak_heading(const GumboNode *n, const struct rsd_list_query *q,
			      struct rsd_found_list *out)
{
	note_cut_label(q, n);
	if (!query_after(q, n) || !heading_in(n, WEAK_HEADINGS))
		return 0;
	return heading_list(n, q, out);
}

/* The list after a heading naming it; for ingredients, after a weaker
 * one only when no heading names them. */
static int list_by_heading(const GumboNode *root, const struct rsd_list_query *q,
			   struct rsd_found_list *out)
{
	int rc = list_walk(root, q, visit_heading, out);
	if (rc == 0 && !out->items && q->kind == RSD_LIST_INGREDIENTS)
		rc = list_walk(root, q, visit_weak_heading, out);
	return rc;
}

/* "1.", "2)", "Step 3:", "Schritt 4": a step's number, written as text. */
static size_t step_number_len(const char *s)
{
	static const char *const WORDS[] = { "step", "schritt", "étape", "etape", "paso", "passo",
					     "stap", "krok",    "steg",  "trin",  NULL };
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
int rsd_html_lists_find(const GumboNode *root, const struct rsd_list_query *q,
			struct rsd_found_list *out)
{
	*out = (struct rsd_found_list){ 0 };
	int rc = list_by_name(root, q, out);
	if (rc == 0 && !out->items)
		rc = list_by_heading(root, q, out);
	if (rc == 0 && q->kind == RSD_LIST_INSTRUCTIONS)
		rc = strip_step_numbers(&out->items);
	if (rc < 0) {
		cJSON_Delete(out->items);
		out->items = NULL;
	}
	return rc;
}

/* Replaces *list by the HTML list of that kind under root, if there is
 * one of at least two items. */
int rsd_html_lists_read(const GumboNode *root, int kind, cJSON **list)
{
	struct rsd_list_query q = { .kind = kind, .min_items = 2 };
	struct rsd_found_list found;
	int rc = rsd_html_lists_find(root, &q, &found);
	if (rc == 0 && rsd_dom_n_items(found.items) >= 2) {
		cJSON_Delete(*list);
		*list = found.items;
		return 1;
	}
	cJSON_Delete(found.items);
	return rc;
}

/* ---- mentions in the raw page ---- */

enum { MENTION_KEYS = 64, MENTION_KEY_MAX = 24, TEXT_LOOKBACK = 256 };

struct mention_key {
	char text[MENTION_KEY_MAX];
	size_t len;
	int kind;
	bool name; /* a container's name, else a heading's letters */
	const char *heading; /* the heading they are of */
	size_t at; /* where in it */
	uint32_t head, fold, mask; /* its first 4 bytes, how to fold case, which count */
};

/* The first 4 bytes at p (zeros past end) as one word. */
static uint32_t word_at(const char *p, const char *end)
{
	unsigned char b[4] = { 0 };
	memcpy(b, p, end - p < 4 ? (size_t)(end - p) : 4);
	uint32_t w;
	memcpy(&w, b, 4);
	return w;
}

/* A key's first bytes as a word the page's are compared with in one step:
 * ASCII letters folded to lowercase, nothing past the key's end. */
static void key_head(struct mention_key *key)
{
	unsigned char h[4] = { 0 }, f[4] = { 0 }, m[4] = { 0 };
	for (size_t i = 0; i < 4 && i < key->len; i++) {
		h[i] = (unsigned char)key->text[i];
		f[i] = h[i] >= 'a' && h[i] <= 'z' ? 0x20 : 0;
		m[i] = 0xff;
	}
	memcpy(&key->head, h, 4);
	memcpy(&key->fold, f, 4);
	memcpy(&key->mask, m, 4);
}

/* The longest run of ASCII letters of a heading ("ingrédients" ->
 * "dients", "what you need" -> "what"): the page writes it as it is, the
 * other letters maybe as references ("&eacute;"). */
static size_t letter_run(const char *w, char out[MENTION_KEY_MAX], size_t *at)
{
	size_t best = 0, best_at = 0;
	for (size_t i = 0, n = 0; ; i++) {
		if (w[i] >= 'a' && w[i] <= 'z') {
			n++;
			continue;
		}
		if (n > best) {
			best = n;
			best_at = i - n;
		}
		n = 0;
		if (!w[i])
			break;
	}
	if (best < 3) { /* "gör så här": its longest word, as UTF-8 */
		for (size_t i = 0, n; w[i]; i += n + (w[i + n] == ' ')) {
			n = strcspn(w + i, " ");
			if (n > best) {
				best = n;
				best_at = i;
			}
		}
	}
	best = best < MENTION_KEY_MAX - 1 ? best : MENTION_KEY_MAX - 1;
	*at = best_at;
	memcpy(out, w + best_at, best);
	out[best] = '\0';
	return best;
}

static size_t mention_keys(struct mention_key *keys)
{
	size_t n = 0;
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; LIST_NAMES[k][i] && n < MENTION_KEYS; i++, n++) {
			keys[n] = (struct mention_key){ .kind = k, .name = true };
			keys[n].len = strlen(LIST_NAMES[k][i]);
			memcpy(keys[n].text, LIST_NAMES[k][i], keys[n].len + 1);
		}
		for (size_t i = 0; LIST_HEADINGS[k][i] && n < MENTION_KEYS; i++) {
			keys[n] = (struct mention_key){ .kind = k,
							.name = false,
							.heading = LIST_HEADINGS[k][i] };
			keys[n].len = letter_run(LIST_HEADINGS[k][i], keys[n].text, &keys[n].at);
			n += keys[n].len > 1;
		}
	}
	for (size_t i = 0; i < n; i++)
		key_head(&keys[i]);
	return n;
}

/* Whether the letters at p stand in text: the nearest '<' or '>' before
 * them is a '>' (a heading's other letters, references and inline tags
 * between), or there is none close by. */
static bool in_text(const char *html, const char *p)
{
	const char *lo = (size_t)(p - html) > TEXT_LOOKBACK ? p - TEXT_LOOKBACK : html;
	const char *lt = memrchr(lo, '<', (size_t)(p - lo)), *gt = memrchr(lo, '>', (size_t)(p - lo));
	return lt ? gt > lt : true;
}

/* Whether the name at p may stand in a class or id attribute (what
 * named_for reads): within a tag, in the value of an attribute so named.
 * Unsure (markup this does not follow) counts as yes. */
static bool in_class_or_id(const char *html, const char *p)
{
	const char *lo = (size_t)(p - html) > TEXT_LOOKBACK ? p - TEXT_LOOKBACK : html;
	const char *lt = memrchr(lo, '<', (size_t)(p - lo)), *gt = memrchr(lo, '>', (size_t)(p - lo));
	const char *eq = memrchr(lo, '=', (size_t)(p - lo));
	if (!lt && !gt && !eq)
		return true;
	if (!eq || (lt && lt > eq) || (gt && gt > eq))
		return false; /* in text, or before any '=' of its tag */
	const char *q = eq + 1;
	/* q[-1] is the '=' before the value (quoted or not: a quote inside
	 * a value ends it, which only makes this answer yes more often) */
	for (q--; q > lo && rsd_text_is_space(q[-1]);)
		q--;
	const char *name_end = q;
	while (q > lo && !rsd_text_is_space(q[-1]) && !strchr("<\"'", q[-1]))
		q--;
	if (q == lo)
		return true;
	return rsd_text_ieq(q, (size_t)(name_end - q), "class") ||
	       rsd_text_ieq(q, (size_t)(name_end - q), "id");
}

/* The longest run of ASCII letters in w[0, n), its length (0: none). */
static size_t word_letters(const char *w, size_t n, const char **run)
{
	size_t best = 0;
	for (size_t i = 0, k = 0; i <= n; i++) {
		if (i < n && w[i] >= 'a' && w[i] <= 'z') {
			k++;
		} else {
			if (k > best) {
				best = k;
				*run = w + i - k;
			}
			k = 0;
		}
	}
	return best;
}

/* The last place in [lo, hi) where run[0, n) stands in text, or NULL. */
static const char *text_before(const char *html, const char *lo, const char *hi,
			       const char *run, size_t n)
{
	for (size_t i = hi - lo >= (ptrdiff_t)n ? (size_t)(hi - lo) - n + 1 : 0; i-- > 0;)
		if (strncasecmp(lo + i, run, n) == 0 && in_text(html, lo + i))
			return lo + i;
	return NULL;
}

/* The first place in [lo, hi) where run[0, n) stands in text, or NULL. */
static const char *text_after(const char *html, const char *lo, const char *hi,
			      const char *run, size_t n)
{
	for (const char *q = lo; q + n <= hi; q++)
		if (strncasecmp(q, run, n) == 0 && in_text(html, q))
			return q;
	return NULL;
}

/* Whether a heading's other words stand around its letters at p, in
 * order ("you" and "will" before "need"): a heading is short, its words
 * within TEXT_LOOKBACK bytes of markup of each other. */
static bool words_around(const char *html, size_t len, const char *p,
			 const struct mention_key *key)
{
	const char *h = key->heading, *cur = p, *run = NULL;
	for (size_t end = key->at; end > 0;) {
		size_t start = end;
		while (start > 0 && h[start - 1] != ' ')
			start--;
		size_t n = word_letters(h + start, end - start, &run);
		const char *lo = (size_t)(cur - html) > TEXT_LOOKBACK ? cur - TEXT_LOOKBACK : html;
		if (n > 1 && !(cur = text_before(html, lo, cur, run, n)))
			return false;
		end = start > 0 ? start - 1 : 0;
	}
	cur = p + key->len;
	for (size_t start = key->at + key->len; h[start];) {
		start += strcspn(h + start, " ");
		start += h[start] == ' ';
		size_t n = word_letters(h + start, strcspn(h + start, " "), &run);
		const char *hi = (size_t)(html + len - cur) > TEXT_LOOKBACK ? cur + TEXT_LOOKBACK
									   : html + len;
		if (n > 1 && !(cur = text_after(html, cur, hi, run, n)))
			return false;
		if (n > 1)
			cur += n;
	}
	return true;
}

static void note_mention(const struct mention_key *key, const char *p,
			 struct rsd_list_mentions *m)
{
	if (!m->first)
		m->first = p;
	m->last = p;
	if (key->name && !m->first_name)
		m->first_name = p;
	if (key->name)
		m->last_name = p;
}

void rsd_html_lists_mentions(const char *html, size_t len, struct rsd_list_mentions out[2])
{
	struct mention_key keys[MENTION_KEYS];
	size_t n_keys = mention_keys(keys);
	/* the keys by first letter and second: one lookup per byte, few
	 * compares (a chain through next[], ending at n_keys) */
	unsigned char head[32][32], next[MENTION_KEYS];
	memset(head, (int)n_keys, sizeof head);
	for (size_t k = n_keys; k-- > 0;) {
		unsigned a = keys[k].text[0] & 31u, b = keys[k].text[1] & 31u;
		next[k] = head[a][b];
		head[a][b] = (unsigned char)k;
	}
	out[0] = out[1] = (struct rsd_list_mentions){ 0 };
	for (size_t i = 0; i + 1 < len; i++) {
		unsigned a = (unsigned char)html[i] & 31u, b = (unsigned char)html[i + 1] & 31u;
		if (head[a][b] == n_keys)
			continue;
		uint32_t w = word_at(html + i, html + len);
		for (size_t k = head[a][b]; k < n_keys; k = next[k]) {
			const struct mention_key *key = &keys[k];
			if (((w | key->fold) & key->mask) != key->head)
				continue;
			if (len - i >= key->len && rsd_text_ieq(html + i, key->len, key->text) &&
			    (key->name ? in_class_or_id(html, html + i)
				       : in_text(html, html + i) && words_around(html, len, html + i, key)))
				note_mention(key, html + i, &out[key->kind]);
		}
	}
}

bool rsd_html_lists_part_agrees(const struct rsd_list_mentions *m, bool found, bool by_name,
				const char *from, const char *to)
{
	bool outside = m->first && (m->first < from || m->last >= to);
	bool name_after = m->last_name && m->last_name >= to;
	bool heading_before = m->first && m->first < from;
	if (found && by_name)
		return true;
	return found ? !name_after && !heading_before : !outside;
}
