/* SPDX-License-Identifier: MIT */
/* Hostile pages (see hostile.h). Each class is a shape: constructs
 * repeated until the requested size; the quadratic ones scale both of
 * their parts (N open elements and M blocks after them), so doubling the
 * size quadruples an unbounded parser's work. */
#include "hostile.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct out {
	char *buf;
	size_t len, cap;
};

/* Appends one formatted piece when it fits in cap; false when it does not. */
__attribute__((format(printf, 2, 3))) static bool put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->len, o->cap - o->len + 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n > o->cap - o->len) {
		o->buf[o->len] = '\0';
		return false;
	}
	o->len += (size_t)n;
	return true;
}

/* Repeats fmt (which may print the counter with %zu) until o is until
 * bytes long. The formats are the literals below, most without %zu, which
 * a checked format would refuse an argument for. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
static void repeat(struct out *o, size_t until, const char *fmt)
{
	for (size_t i = 0; o->len < until && put(o, fmt, i); i++)
		;
}
#pragma GCC diagnostic pop

/* A class's page body: open, then first repeated up to share quarters of
 * the target, then middle, then second repeated up to the target, then
 * close. A piece may print its repetition's number with %zu (distinct ids
 * and attribute names). The quadratic classes give both pieces a share,
 * so that doubling the page doubles N and M. */
static size_t build(const struct shape *sh, char *buf, size_t cap, size_t target)
{
	struct out o = { .buf = buf, .cap = cap };
	put(&o, "%s", sh->open ? sh->open : "");
	if (sh->first)
		repeat(&o, target / 4 * sh->share, sh->first);
	put(&o, "%s", sh->middle ? sh->middle : "");
	repeat(&o, target, sh->second);
	put(&o, "%s", sh->close ? sh->close : "");
	return o.len;
}

/* NUL bytes, which no format can print. */
static size_t nulls(char *buf, size_t target)
{
	size_t n = 0;
	for (; n + 2 <= target; n += 2) {
		buf[n] = '\0';
		buf[n + 1] = 'x';
	}
	buf[n] = '\0';
	return n;
}

#define ENTITIES "&amp;&lt;&#x41;&#65;&notin;&notanentity;&#99999999999;"
#define WORDS "lorem ipsum dolor sit amet "
#define LDJSON "<script type=\"application/ld+json\">"

const struct hostile_class hostile_classes[] = {
	{ "adoption",
	  "N open <b> closed by </div>, M <div>x</div>: clones N per block",
	  { "<div>", "<b id=b%zu>", 2, "</div>", "<div>x</div>", NULL } },
	{ "reopen",
	  "N open <i>, M <p>x: each paragraph reopens all N",
	  { NULL, "<i class=c%zu>", 2, NULL, "<p>x", NULL } },
	{ "unmatched-end",
	  "<div></span> repeated: real depth grows, a naive count does not",
	  { NULL, NULL, 0, NULL, "<div></span>", NULL } },
	{ "deep-text",
	  "hidden depth D, <b>, then text: each character searches D",
	  { NULL, "<div></i>", 1, "<b>", WORDS, NULL } },
	{ "deep-nesting",
	  "<div><span> never closed",
	  { NULL, NULL, 0, NULL, "<div><span>", NULL } },
	{ "attributes",
	  "one element with every attribute distinct",
	  { "<div", NULL, 0, NULL, " a%zu=x", ">" } },
	{ "duplicate-attributes",
	  "one element repeating one attribute",
	  { "<div", NULL, 0, NULL, " class=x class", ">" } },
	{ "entities",
	  "character references, valid, unknown and overflowing, in text and attribute",
	  { "<p title=\"", ENTITIES, 2, "\">", ENTITIES "&", NULL } },
	{ "comments",
	  "comments, CDATA in HTML, empty comments",
	  { NULL, NULL, 0, NULL, "<!-- c%zu --><![CDATA[x]]><!---->", NULL } },
	{ "unclosed-comment",
	  "<!-- never closed, markup inside",
	  { "<!--", NULL, 0, NULL, "<div>-- -> x ", NULL } },
	{ "unclosed-attribute",
	  "a quoted attribute value never closed",
	  { "<div title=\"", NULL, 0, NULL, "<b>x</b> ", NULL } },
	{ "scripts",
	  "script, style and textarea elements holding markup",
	  { NULL, NULL, 0, NULL,
	    "<script>var a%zu='<div>';</script><style>p{}</style><textarea><b></textarea>",
	    NULL } },
	{ "unclosed-script",
	  "<script> never closed, escaped-script states inside",
	  { "<script>", NULL, 0, NULL, "<!--<script>x</script>-->", NULL } },
	{ "many-elements", "<li>x without end tags", { "<ul>", NULL, 0, NULL, "<li>x", NULL } },
	{ "anchors",
	  "<a> never closed: each one runs the adoption agency",
	  { NULL, NULL, 0, NULL, "<a href=/p%zu>x", NULL } },
	{ "tables",
	  "text and formatting in tables: foster parenting",
	  { NULL, NULL, 0, NULL, "<table>x<b>y<tr>z", NULL } },
	{ "selects",
	  "<select> and <optgroup> soup",
	  { NULL, NULL, 0, NULL, "<select><option>x<optgroup>", NULL } },
	{ "foreign",
	  "<svg>/<math> with HTML breaking out",
	  { NULL, NULL, 0, NULL, "<svg><g><math><mi>x<p></svg>", NULL } },
	{ "text", "one line of text without tags", { NULL, NULL, 0, NULL, WORDS, NULL } },
	{ "lt-flood",
	  "'<' that start no tag, nameless end tags",
	  { NULL, NULL, 0, NULL, "<<a<b</</ <a<a x", NULL } },
	{ "nulls", "NUL bytes", { NULL, NULL, 0, NULL, NULL, NULL } },
	{ "jsonld-ingredients",
	  "a JSON-LD Recipe with a huge ingredient list",
	  { LDJSON "{\"@context\":\"https://schema.org\",\"@type\":\"Recipe\",\"name\":\"Many\","
		   "\"recipeInstructions\":[\"Mix.\"],\"recipeIngredient\":[\"1 g salt\"",
	    NULL, 0, NULL, ",\"%zu g flour\"", "]}</script>" } },
	{ "jsonld-strings",
	  "a JSON-LD Recipe with a huge name and description",
	  { LDJSON "{\"@type\":\"Recipe\",\"recipeIngredient\":[\"1 g salt\",\"2 eggs\"],"
		   "\"name\":\"",
	    "Long name \\u00e9 &amp; ", 2, "\",\"description\":\"", "Long text \\\" &lt; ",
	    "\"}</script>" } },
	{ "jsonld-blocks",
	  "many small JSON-LD blocks",
	  { NULL, NULL, 0, NULL, LDJSON "{\"@type\":\"Thing\",\"name\":\"t%zu\"}</script>",
	    NULL } },
	{ "jsonld-nesting",
	  "deeply nested JSON-LD",
	  { LDJSON, "{\"@graph\":[", 2, NULL, "]}", "</script>" } },
	{ "meta-flood",
	  "<meta> and <link rel=canonical> repeated",
	  { NULL, NULL, 0, NULL,
	    "<meta property=og:title content=t%zu><link rel=canonical href=/c>", NULL } },
};
const size_t hostile_n_classes = sizeof hostile_classes / sizeof hostile_classes[0];

static const char jsonld_head[] =
	"<!DOCTYPE html><html><head><title>Hostile</title>"
	"<script "
	"type=\"application/ld+json\">{\"@context\":\"https://schema.org\",\"@type\":\"Recipe\","
	"\"name\":\"Hostile pancakes\",\"recipeIngredient\":[\"200 g flour\",\"2 eggs\"],"
	"\"recipeInstructions\":[\"Mix.\",\"Fry.\"]}</script></head><body>";

static const char microdata_head[] =
	"<!DOCTYPE html><html><head><title>Hostile</title></head><body>"
	"<div itemscope itemtype=\"https://schema.org/Recipe\"><h1 itemprop=\"name\">Hostile "
	"pancakes</h1>"
	"<ul><li itemprop=\"recipeIngredient\">200 g flour</li>"
	"<li itemprop=\"recipeIngredient\">2 eggs</li></ul>"
	"<ol><li itemprop=\"recipeInstructions\">Mix.</li>"
	"<li itemprop=\"recipeInstructions\">Fry.</li></ol></div>";

static const char tail[] = "</body></html>\n";

char *hostile_page(const struct hostile_class *c, enum hostile_path path, size_t size, size_t *len)
{
	const char *head = path == HOSTILE_JSONLD ? jsonld_head : microdata_head;
	size_t head_len = strlen(head), tail_len = strlen(tail);
	size_t body = size > head_len + tail_len + 64 ? size - head_len - tail_len : 64;
	char *page = malloc(head_len + body + tail_len + 1);
	if (!page)
		return NULL;
	memcpy(page, head, head_len);
	/* a repeated piece may overshoot the target: 64 bytes are left for it
	 * and the closing piece */
	size_t n = c->shape.second ? build(&c->shape, page + head_len, body, body - 64)
				   : nulls(page + head_len, body - 64);
	memcpy(page + head_len + n, tail, tail_len + 1);
	*len = head_len + n + tail_len;
	return page;
}
