/* SPDX-License-Identifier: MIT */
/* Hostile pages (see hostile.h). Each body repeats a construct until the
 * requested size; the quadratic ones scale both of their parts (N open
 * elements and M blocks after them), so doubling the size quadruples an
 * unbounded parser's work. */
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

#define BODY(name) static size_t name(char *buf, size_t cap, size_t target)
#define OUT struct out o = { .buf = buf, .cap = cap }

/* N distinct <b> open, closed by one </div>, then M blocks: each block's
 * text makes gumbo reconstruct (clone) all N formatting elements. */
BODY(adoption)
{
	OUT;
	put(&o, "<div>");
	repeat(&o, target / 2, "<b id=b%zu>");
	put(&o, "</div>");
	repeat(&o, target, "<div>x</div>");
	return o.len;
}

/* The same through <p>: each <p> closes the previous one and the
 * formatting elements inside it, which the next text reopens. */
BODY(reopen)
{
	OUT;
	repeat(&o, target / 2, "<i class=c%zu>");
	repeat(&o, target, "<p>x");
	return o.len;
}

/* Unmatched end tags: gumbo ignores them, so the <div>s nest ever deeper
 * while a naive depth count goes back to zero. */
BODY(unmatched_end)
{
	OUT;
	repeat(&o, target, "<div></span>");
	return o.len;
}

/* Deep nesting (hidden from a depth count as above), a formatting element
 * on top and a long text: each character searches the stack for it. */
BODY(deep_text)
{
	OUT;
	repeat(&o, target / 4, "<div></i>");
	put(&o, "<b>");
	while (o.len < target && put(&o, "%s", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx "))
		;
	return o.len;
}

BODY(deep_nesting)
{
	OUT;
	repeat(&o, target, "<div><span>");
	return o.len;
}

BODY(attributes)
{
	OUT;
	put(&o, "<div");
	repeat(&o, target - 1, " a%zu=x");
	put(&o, ">");
	return o.len;
}

BODY(duplicate_attributes)
{
	OUT;
	put(&o, "<div");
	repeat(&o, target - 1, " class=x");
	put(&o, ">");
	return o.len;
}

BODY(entities)
{
	OUT;
	put(&o, "<p title=\"");
	repeat(&o, target / 2, "&amp;&lt;&#x41;&#65;&notin;&notanentity;&#99999999999;");
	put(&o, "\">");
	repeat(&o, target, "&amp;&lt;&#x41;&#65;&notin;&notanentity;&#99999999999;&");
	return o.len;
}

BODY(comments)
{
	OUT;
	repeat(&o, target, "<!-- c%zu --><![CDATA[x]]><!---->");
	return o.len;
}

BODY(unclosed_comment)
{
	OUT;
	put(&o, "<!--");
	repeat(&o, target, "<div>-- -> x ");
	return o.len;
}

BODY(unclosed_attribute)
{
	OUT;
	put(&o, "<div title=\"");
	repeat(&o, target, "<b>x</b> ");
	return o.len;
}

BODY(scripts)
{
	OUT;
	repeat(&o, target,
	       "<script>var a%zu='<div>';</script><style>p{}</style><textarea><b></textarea>");
	return o.len;
}

BODY(unclosed_script)
{
	OUT;
	put(&o, "<script>");
	repeat(&o, target, "<!--<script>x</script>-->");
	return o.len;
}

BODY(many_elements)
{
	OUT;
	put(&o, "<ul>");
	repeat(&o, target, "<li>x");
	return o.len;
}

BODY(anchors)
{
	OUT;
	repeat(&o, target, "<a href=/p%zu>x");
	return o.len;
}

BODY(tables)
{
	OUT;
	repeat(&o, target, "<table>x<b>y<tr>z");
	return o.len;
}

BODY(selects)
{
	OUT;
	repeat(&o, target, "<select><option>x<optgroup>");
	return o.len;
}

BODY(foreign)
{
	OUT;
	repeat(&o, target, "<svg><g><math><mi>x<p></svg>");
	return o.len;
}

BODY(text)
{
	OUT;
	while (o.len < target && put(&o, "%s", "lorem ipsum dolor sit amet "))
		;
	return o.len;
}

BODY(lt_flood)
{
	OUT;
	repeat(&o, target, "<<a<b</</ <a<a x");
	return o.len;
}

BODY(nulls)
{
	OUT;
	while (o.len + 2 <= target) {
		buf[o.len++] = '\0';
		buf[o.len++] = 'x';
	}
	buf[o.len] = '\0';
	return o.len;
}

BODY(jsonld_ingredients)
{
	OUT;
	put(&o, "<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\","
		"\"@type\":\"Recipe\",\"name\":\"Many\",\"recipeInstructions\":[\"Mix.\"],"
		"\"recipeIngredient\":[\"1 g salt\"");
	repeat(&o, target - 16, ",\"%zu g flour\"");
	put(&o, "]}</script>");
	return o.len;
}

BODY(jsonld_strings)
{
	OUT;
	put(&o, "<script type=\"application/ld+json\">{\"@type\":\"Recipe\","
		"\"recipeIngredient\":[\"1 g salt\",\"2 eggs\"],\"name\":\"");
	while (o.len < target / 2 && put(&o, "%s", "Long name \\u00e9 &amp; "))
		;
	put(&o, "\",\"description\":\"");
	while (o.len < target - 16 && put(&o, "%s", "Long text \\\" &lt; "))
		;
	put(&o, "\"}</script>");
	return o.len;
}

BODY(jsonld_blocks)
{
	OUT;
	repeat(&o, target,
	       "<script "
	       "type=\"application/ld+json\">{\"@type\":\"Thing\",\"name\":\"t%zu\"}</script>");
	return o.len;
}

BODY(jsonld_nesting)
{
	OUT;
	put(&o, "<script type=\"application/ld+json\">");
	repeat(&o, target / 2, "{\"@graph\":[");
	repeat(&o, target - 10, "]}");
	put(&o, "</script>");
	return o.len;
}

BODY(meta_flood)
{
	OUT;
	repeat(&o, target, "<meta property=og:title content=t%zu><link rel=canonical href=/c>");
	return o.len;
}

const struct hostile_class hostile_classes[] = {
	{ "adoption", "N open <b> closed by </div>, M <div>x</div>: clones N per block", adoption },
	{ "reopen", "N open <i>, M <p>x: each paragraph reopens all N", reopen },
	{ "unmatched-end", "<div></span> repeated: real depth grows, a naive count does not",
	  unmatched_end },
	{ "deep-text", "hidden depth D, <b>, then text: each character searches D", deep_text },
	{ "deep-nesting", "<div><span> never closed", deep_nesting },
	{ "attributes", "one element with every attribute distinct", attributes },
	{ "duplicate-attributes", "one element repeating one attribute", duplicate_attributes },
	{ "entities", "character references, valid, unknown and overflowing, in text and attribute",
	  entities },
	{ "comments", "comments, CDATA in HTML, empty comments", comments },
	{ "unclosed-comment", "<!-- never closed, markup inside", unclosed_comment },
	{ "unclosed-attribute", "a quoted attribute value never closed", unclosed_attribute },
	{ "scripts", "script, style and textarea elements holding markup", scripts },
	{ "unclosed-script", "<script> never closed, escaped-script states inside",
	  unclosed_script },
	{ "many-elements", "<li>x without end tags", many_elements },
	{ "anchors", "<a> never closed: each one runs the adoption agency", anchors },
	{ "tables", "text and formatting in tables: foster parenting", tables },
	{ "selects", "<select> and <optgroup> soup", selects },
	{ "foreign", "<svg>/<math> with HTML breaking out", foreign },
	{ "text", "one line of text without tags", text },
	{ "lt-flood", "'<' that start no tag, nameless end tags", lt_flood },
	{ "nulls", "NUL bytes", nulls },
	{ "jsonld-ingredients", "a JSON-LD Recipe with a huge ingredient list",
	  jsonld_ingredients },
	{ "jsonld-strings", "a JSON-LD Recipe with a huge name and description", jsonld_strings },
	{ "jsonld-blocks", "many small JSON-LD blocks", jsonld_blocks },
	{ "jsonld-nesting", "deeply nested JSON-LD", jsonld_nesting },
	{ "meta-flood", "<meta> and <link rel=canonical> repeated", meta_flood },
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
	/* the bodies overshoot their target by one repeated piece */
	size_t n = c->body(page + head_len, body, body - 64);
	memcpy(page + head_len + n, tail, tail_len + 1);
	*len = head_len + n + tail_len;
	return page;
}
