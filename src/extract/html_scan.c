/* SPDX-License-Identifier: MIT */
/* Streaming HTML tag scanner (see html_scan.h).
 *
 * Deliberate simplifications against the full HTML5 tokenizer, none of
 * which changes which <script>, <meta>, <link>, <a> or <base> tags are
 * found: character references are left to the caller, the script-data
 * "escaped" states (a "<!--" inside a script hiding "</script>") are
 * ignored, <noscript> is markup (gumbo parses with scripting off), inside
 * <svg>/<math> only the nesting of those roots and the HTML breakout tags
 * are tracked (not integration points), and attributes beyond
 * RSD_HTML_SCAN_MAX_ATTRS are dropped unless the extractor reads them. */
#include "extract/html_scan.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "core/text.h"

static void build_names(void);
static pthread_once_t name_once = PTHREAD_ONCE_INIT;

void rsd_html_scan_init(struct rsd_html_scanner *s, const char *html, size_t len)
{
	/* the tag name table, built once per process: here rather than per
	 * tag (a library call at each of a page's thousands of tags) */
	pthread_once(&name_once, build_names);
	s->p = html;
	s->end = html + len;
	s->foreign_depth = 0;
}

/* Byte classes of the tokenizer states the scanner follows, one table
 * lookup per byte instead of a chain of compares: the name and attribute
 * loops run over every byte of every tag (about 2,600 tags on a 385 KB
 * page). SPACE is HTML's ASCII white space (rsd_text_is_space). */
enum byte_class {
	C_SPACE = 1 << 0,
	C_ALPHA = 1 << 1,
	C_TAG_NAME_END = 1 << 2, /* space, '/', '>' */
	C_ATTR_NAME_END = 1 << 3, /* space, '/', '>', '=' */
	C_UNQUOTED_END = 1 << 4, /* space, '>' */
	C_ATTR_GAP = 1 << 5, /* space, '/': between attributes */
};

#define SP (C_SPACE | C_TAG_NAME_END | C_ATTR_NAME_END | C_UNQUOTED_END | C_ATTR_GAP)
#define AL C_ALPHA
static const unsigned char CLASS[256] = {
	['\t'] = SP, ['\n'] = SP, ['\f'] = SP, ['\r'] = SP, [' '] = SP,
	['/'] = C_TAG_NAME_END | C_ATTR_NAME_END | C_ATTR_GAP,
	['>'] = C_TAG_NAME_END | C_ATTR_NAME_END | C_UNQUOTED_END,
	['='] = C_ATTR_NAME_END,
	['A'] = AL, ['B'] = AL, ['C'] = AL, ['D'] = AL, ['E'] = AL, ['F'] = AL, ['G'] = AL,
	['H'] = AL, ['I'] = AL, ['J'] = AL, ['K'] = AL, ['L'] = AL, ['M'] = AL, ['N'] = AL,
	['O'] = AL, ['P'] = AL, ['Q'] = AL, ['R'] = AL, ['S'] = AL, ['T'] = AL, ['U'] = AL,
	['V'] = AL, ['W'] = AL, ['X'] = AL, ['Y'] = AL, ['Z'] = AL,
	['a'] = AL, ['b'] = AL, ['c'] = AL, ['d'] = AL, ['e'] = AL, ['f'] = AL, ['g'] = AL,
	['h'] = AL, ['i'] = AL, ['j'] = AL, ['k'] = AL, ['l'] = AL, ['m'] = AL, ['n'] = AL,
	['o'] = AL, ['p'] = AL, ['q'] = AL, ['r'] = AL, ['s'] = AL, ['t'] = AL, ['u'] = AL,
	['v'] = AL, ['w'] = AL, ['x'] = AL, ['y'] = AL, ['z'] = AL,
};
#undef SP
#undef AL

static inline bool is(char c, unsigned cls)
{
	return CLASS[(unsigned char)c] & cls;
}

/* The first byte of [p, end) of class cls, or end. */
static inline const char *find_class(const char *p, const char *end, unsigned cls)
{
	while (p < end && !is(*p, cls))
		p++;
	return p;
}

/* The first byte of [p, end) not of class cls, or end. */
static inline const char *skip_class(const char *p, const char *end, unsigned cls)
{
	while (p < end && is(*p, cls))
		p++;
	return p;
}

static inline bool is_alpha(char c)
{
	return is(c, C_ALPHA);
}

/* Skips to just after needle, or to the end. */
static const char *skip_past(const char *p, const char *end, const char *needle, size_t n)
{
	const char *e = memmem(p, (size_t)(end - p), needle, n);
	return e ? e + n : end;
}

/* Past the attribute limit, the attributes a reader of links, metadata
 * and microdata needs still replace the last slot. */
static bool is_wanted(const struct rsd_html_attr *a)
{
	static const char *const WANTED[] = { "href",     "src",       "content",  "name",
					      "property", "rel",       "type",     "lang",
					      "itemprop", "itemscope", "itemtype", NULL };
	for (size_t i = 0; WANTED[i]; i++)
		if (rsd_text_ieq(a->name, a->name_len, WANTED[i]))
			return true;
	return false;
}

static const char *parse_attrs(const char *p, const char *end, struct rsd_html_tag *tag)
{
	uint64_t seen = 0; /* a bit per kept attribute (a superset: see below) */
	while (p < end) {
		p = skip_class(p, end, C_ATTR_GAP);
		if (p >= end || *p == '>')
			break;
		struct rsd_html_attr a = { .name = p };
		/* An attribute name may start with '=' (HTML5); it ends at
		 * space, '/', '>' or a later '='. */
		p = find_class(p + 1, end, C_ATTR_NAME_END);
		a.name_len = (size_t)(p - a.name);
		p = skip_class(p, end, C_SPACE);
		if (p < end && *p == '=') {
			p = skip_class(p + 1, end, C_SPACE);
			if (p < end && (*p == '"' || *p == '\'')) {
				char q = *p++;
				a.value = p;
				const char *e = memchr(p, q, (size_t)(end - p));
				p = e ? e : end;
				a.value_len = (size_t)(p - a.value);
				if (p < end)
					p++;
			} else {
				a.value = p;
				p = find_class(p, end, C_UNQUOTED_END);
				a.value_len = (size_t)(p - a.value);
			}
		} else {
			a.value = p;
		}
		/* HTML5 keeps the first of duplicate attributes. The kept ones'
		 * lengths and first letters, hashed to a bit each, rule out
		 * most new names without comparing them with every one kept. */
		uint64_t bit = rsd_html_attr_sig(a.name_len, a.name[0]);
		bool dup = false;
		for (size_t i = 0; (seen & bit) && i < tag->n_attrs && !dup; i++)
			dup = tag->attrs[i].name_len == a.name_len &&
			      (tag->attrs[i].name[0] | 0x20) == (a.name[0] | 0x20) &&
			      strncasecmp(tag->attrs[i].name, a.name, a.name_len) == 0;
		if (!dup && tag->n_attrs < RSD_HTML_SCAN_MAX_ATTRS)
			tag->attrs[tag->n_attrs++] = a;
		else if (!dup && is_wanted(&a))
			tag->attrs[RSD_HTML_SCAN_MAX_ATTRS - 1] = a;
		if (!dup)
			seen |= bit;
	}
	tag->attr_sigs = seen;
	return p;
}

/* The contents of a raw-text element end at "</name" followed by space,
 * '/' or '>' (case-insensitive). */
static const char *raw_text_end(const char *p, const char *end, const char *name, size_t n)
{
	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		if (!lt)
			return end;
		if ((size_t)(end - lt) >= n + 2 && lt[1] == '/' &&
		    strncasecmp(lt + 2, name, n) == 0 &&
		    ((size_t)(end - lt) == n + 2 || rsd_text_is_space(lt[n + 2]) ||
		     lt[n + 2] == '/' || lt[n + 2] == '>'))
			return lt;
		p = lt + 1;
	}
	return end;
}

#define RAW RSD_HTML_RAW_TEXT
#define OUT RSD_HTML_BREAKOUT
#define FLAT RSD_HTML_FLAT
#define POINT RSD_HTML_HTML_POINT

/* Every tag name a rule of the scanner or the extractor names, by length.
 * Raw text: contents are not markup. Breakout: HTML start tags that end
 * foreign content (HTML5 "in foreign content"). Flat: elements that do
 * not deepen gumbo's tree (void elements, and those whose end tag is
 * optional because the next sibling closes them). Points: where <svg>
 * and <math> hold HTML again. */
static const struct known_tag {
	const char *name;
	enum rsd_html_tag_id id;
	unsigned flags;
} KNOWN[][24] = {
	[1] = { { "a", RSD_HTML_A, 0 },
		{ "b", 0, OUT },
		{ "i", 0, OUT },
		{ "p", 0, OUT | FLAT },
		{ "s", 0, OUT },
		{ "u", 0, OUT } },
	[2] = { { "br", 0, OUT | FLAT }, { "dd", 0, OUT | FLAT }, { "dl", 0, OUT },
		{ "dt", 0, OUT | FLAT }, { "em", 0, OUT },        { "h1", 0, OUT },
		{ "h2", 0, OUT },        { "h3", 0, OUT },        { "h4", 0, OUT },
		{ "h5", 0, OUT },        { "h6", 0, OUT },        { "hr", 0, OUT | FLAT },
		{ "li", 0, OUT | FLAT }, { "ol", 0, OUT },        { "tt", 0, OUT },
		{ "ul", 0, OUT },        { "td", 0, FLAT },       { "th", 0, FLAT },
		{ "tr", 0, FLAT },       { "mi", 0, POINT },      { "mo", 0, POINT },
		{ "mn", 0, POINT },      { "ms", 0, POINT } },
	[3] = { { "big", 0, OUT },
		{ "div", 0, OUT },
		{ "img", 0, OUT | FLAT },
		{ "pre", 0, OUT },
		{ "sub", 0, OUT },
		{ "sup", 0, OUT },
		{ "var", 0, OUT },
		{ "col", 0, FLAT },
		{ "wbr", 0, FLAT },
		{ "xmp", 0, RAW },
		{ "svg", 0, RSD_HTML_FOREIGN } },
	[4] = { { "body", 0, OUT },
		{ "code", 0, OUT },
		{ "head", 0, OUT },
		{ "menu", 0, OUT },
		{ "meta", RSD_HTML_META, OUT | FLAT },
		{ "nobr", 0, OUT },
		{ "ruby", 0, OUT },
		{ "span", 0, OUT },
		{ "area", 0, FLAT },
		{ "base", RSD_HTML_BASE, FLAT },
		{ "link", RSD_HTML_LINK, FLAT },
		{ "html", RSD_HTML_HTML, 0 },
		{ "math", 0, RSD_HTML_FOREIGN },
		{ "desc", 0, POINT } },
	[5] = { { "embed", 0, OUT | FLAT },
		{ "small", 0, OUT },
		{ "table", 0, OUT },
		{ "input", 0, FLAT },
		{ "param", 0, FLAT },
		{ "track", 0, FLAT },
		{ "tbody", 0, FLAT },
		{ "thead", 0, FLAT },
		{ "tfoot", 0, FLAT },
		{ "style", RSD_HTML_STYLE, RAW },
		{ "title", RSD_HTML_TITLE, RAW },
		{ "mtext", 0, POINT } },
	[6] = { { "center", 0, OUT },
		{ "strong", 0, OUT },
		{ "strike", 0, OUT },
		{ "source", 0, FLAT },
		{ "option", 0, FLAT },
		{ "script", RSD_HTML_SCRIPT, RAW },
		{ "iframe", 0, RAW },
		{ "select", RSD_HTML_SELECT, 0 } },
	[7] = { { "listing", 0, OUT }, { "noembed", 0, RAW } },
	[8] = { { "optgroup", 0, FLAT },
		{ "colgroup", 0, FLAT },
		{ "textarea", 0, RAW },
		{ "noframes", 0, RAW },
		{ "frameset", RSD_HTML_FRAMESET, 0 } },
	[9] = { { "plaintext", RSD_HTML_PLAINTEXT, RAW } },
	[10] = { { "blockquote", 0, OUT } },
	[13] = { { "foreignobject", 0, POINT } },
	[14] = { { "annotation-xml", 0, POINT } },
};

#undef RAW
#undef OUT
#undef FLAT
#undef POINT

/* The lookup of a tag name: an open-addressed hash of the first eight
 * lowercase bytes and the length, built once from KNOWN. The linear search
 * of KNOWN[len] it replaces cost about 115 instructions per tag, a sixth
 * of the scan. */
#define NAME_SLOTS 256 /* a power of two, over twice the names in KNOWN */

static const struct known_tag *name_slot[NAME_SLOTS];
static uint64_t name_key[NAME_SLOTS];

/* The first eight bytes of a name of n bytes, lowercased (ASCII letters),
 * and its length: built in a register. (Lowercasing into a buffer and
 * reading it back as one word stalled the store-to-load forwarding at
 * every tag, a quarter of the scan's time.) */
static uint64_t pack_name(const char *name, size_t n)
{
	uint64_t k = 0;
	for (size_t i = 0; i < n && i < 8; i++) {
		unsigned char c = (unsigned char)name[i];
		k |= (uint64_t)(c | (is_alpha((char)c) ? 0x20u : 0u)) << (8 * i);
	}
	return k ^ ((uint64_t)n << 59);
}

/* pack_name's key with one load, for a name with eight bytes readable at
 * it (a page's, not a table's): its first min(n, 8) bytes, their ASCII
 * capitals lowercased all at once (the bytes of 'A'..'Z' get 0x20). */
static uint64_t pack_name_wide(const char *name, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t w;
	memcpy(&w, name, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w); /* byte i at bits 8 i, as pack_name has it */
#endif
	if (n < 8)
		w &= ((uint64_t)1 << (8 * n)) - 1;
	uint64_t low7 = w & ~high; /* no carry between bytes below */
	uint64_t from_a = low7 + ones * (0x80 - 'A'), past_z = low7 + ones * (0x80 - 'Z' - 1);
	uint64_t upper = from_a & ~past_z & ~w & high; /* the high bits of the capitals */
	return (w | upper >> 2) ^ ((uint64_t)n << 59);
}

/* Whether a name's bytes past its eighth are the known lowercase ones. */
static bool tail_is(const char *known, const char *name, size_t n)
{
	for (size_t i = 8; i < n; i++)
		if ((char)(name[i] | (is_alpha(name[i]) ? 0x20 : 0)) != known[i])
			return false;
	return true;
}

static size_t name_hash(uint64_t key)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 56) & (NAME_SLOTS - 1);
}

static void build_names(void)
{
	for (size_t n = 0; n < sizeof KNOWN / sizeof KNOWN[0]; n++) {
		for (size_t i = 0; i < sizeof KNOWN[0] / sizeof KNOWN[0][0] && KNOWN[n][i].name;
		     i++) {
			uint64_t key = pack_name(KNOWN[n][i].name, n);
			size_t h = name_hash(key);
			while (name_slot[h]) /* bounded: fewer names than slots */
				h = (h + 1) & (NAME_SLOTS - 1);
			name_slot[h] = &KNOWN[n][i];
			name_key[h] = key;
		}
	}
}

static void classify(struct rsd_html_tag *t, const char *end)
{
	t->id = RSD_HTML_OTHER;
	t->flags = 0;
	if (t->name_len >= sizeof KNOWN / sizeof KNOWN[0])
		return;
	/* names built: rsd_html_scan_init */
	uint64_t key = end - t->name >= 8 ? pack_name_wide(t->name, t->name_len)
					  : pack_name(t->name, t->name_len);
	for (size_t h = name_hash(key); name_slot[h]; h = (h + 1) & (NAME_SLOTS - 1)) {
		const struct known_tag *k = name_slot[h];
		if (name_key[h] == key && tail_is(k->name, t->name, t->name_len)) {
			t->id = k->id;
			t->flags = k->flags;
			return;
		}
	}
}

static void track_foreign(struct rsd_html_scanner *s, const struct rsd_html_tag *t)
{
	bool root = t->flags & RSD_HTML_FOREIGN;
	if (t->is_end) {
		if (root && s->foreign_depth > 0)
			s->foreign_depth--;
	} else if (root) {
		if (!t->self_closing)
			s->foreign_depth++;
	} else if (s->foreign_depth > 0 && (t->flags & RSD_HTML_BREAKOUT)) {
		s->foreign_depth = 0;
	}
}

bool rsd_html_scan_next(struct rsd_html_scanner *s, struct rsd_html_tag *tag)
{
	const char *p = s->p, *end = s->end;
	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		if (!lt || end - lt < 2)
			break;
		p = lt + 1;
		if (*p == '!') {
			if (end - p >= 3 && p[1] == '-' && p[2] == '-') {
				/* "<!-->" and "<!--->" are complete (empty) comments */
				const char *c = p + 3;
				if (c < end && *c == '>')
					p = c + 1;
				else if (end - c >= 2 && c[0] == '-' && c[1] == '>')
					p = c + 2;
				else
					p = skip_past(c, end, "-->", 3);
			} else {
				p = skip_past(p, end, ">", 1);
			}
			continue;
		}
		if (*p == '?') {
			p = skip_past(p, end, ">", 1);
			continue;
		}
		bool is_end = false;
		if (*p == '/') {
			is_end = true;
			p++;
			if (p < end && !is_alpha(*p)) {
				p = skip_past(p, end, ">", 1); /* bogus comment */
				continue;
			}
		}
		if (p >= end || !is_alpha(*p))
			continue; /* a literal '<' */
		tag->name = p;
		p = find_class(p, end, C_TAG_NAME_END);
		tag->name_len = (size_t)(p - tag->name);
		classify(tag, end);
		tag->is_end = is_end;
		tag->n_attrs = 0;
		tag->text = NULL;
		tag->text_len = 0;
		p = parse_attrs(p, end, tag);
		tag->self_closing = p < end && p[-1] == '/';
		if (p < end)
			p++; /* '>' */
		track_foreign(s, tag);
		if (is_end) {
			/* attributes on end tags mean nothing */
			tag->n_attrs = 0;
			tag->attr_sigs = 0;
		} else if (s->foreign_depth == 0 && (tag->flags & RSD_HTML_RAW_TEXT)) {
			const char *e = tag->id == RSD_HTML_PLAINTEXT
						? end
						: raw_text_end(p, end, tag->name, tag->name_len);
			tag->text = p;
			tag->text_len = (size_t)(e - p);
			p = e;
		}
		s->p = p;
		return true;
	}
	s->p = end;
	return false;
}

const struct rsd_html_attr *rsd_html_scan_attr_n(const struct rsd_html_tag *tag, const char *name,
						 size_t n)
{
	/* The length and the first letter rule out almost every attribute
	 * without the byte-wise compare. */
	for (size_t i = 0; i < tag->n_attrs; i++) {
		const struct rsd_html_attr *a = &tag->attrs[i];
		if (a->name_len == n && (a->name[0] | 0x20) == name[0] &&
		    rsd_text_ieq(a->name, a->name_len, name))
			return a;
	}
	return NULL;
}

bool rsd_html_scan_is(const struct rsd_html_tag *tag, const char *name)
{
	return rsd_text_ieq(tag->name, tag->name_len, name);
}
