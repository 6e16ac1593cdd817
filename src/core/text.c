/* SPDX-License-Identifier: MIT */
/* Text normalisation for extracted fields (see text.h).
 *
 * Every function works on byte ranges, appends into an rsd_text_buf and never
 * reads past len, so it is safe on arbitrary (fuzzed) input. */
#include "core/text.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ---- growable buffer ---------------------------------------------------- */

int rsd_text_buf_reserve(struct rsd_text_buf *b, size_t extra)
{
	if (b->cap - b->len > extra)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap - b->len <= extra) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	char *p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int rsd_text_buf_append(struct rsd_text_buf *b, const void *p, size_t n)
{
	if (rsd_text_buf_reserve(b, n) < 0)
		return -ENOMEM;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int rsd_text_buf_putc(struct rsd_text_buf *b, char c)
{
	return rsd_text_buf_append(b, &c, 1);
}

char *rsd_text_buf_steal(struct rsd_text_buf *b)
{
	if (!b->data && rsd_text_buf_reserve(b, 0) < 0)
		return NULL;
	b->data[b->len] = '\0';
	char *p = b->data;
	*b = (struct rsd_text_buf){ 0 };
	return p;
}

void rsd_text_buf_free(struct rsd_text_buf *b)
{
	free(b->data);
	*b = (struct rsd_text_buf){ 0 };
}

/* ---- small helpers ------------------------------------------------------ */

static inline char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static inline bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'z');
}

/* Called for every tag and attribute name of every page against many
 * literals: compares as it walks the literal instead of taking its length
 * first, so most calls end at the first byte. */
bool rsd_text_ieq(const char *s, size_t len, const char *lit)
{
	size_t i = 0;
	for (; i < len && lit[i]; i++)
		if (lower(s[i]) != lit[i])
			return false;
	return i == len && lit[i] == '\0';
}

const char *rsd_text_icasefind(const char *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);
	if (n == 0)
		return s;
	for (size_t i = 0; i + n <= len; i++) {
		if (lower(s[i]) != lit[0])
			continue;
		size_t k = 1;
		while (k < n && lower(s[i + k]) == lit[k])
			k++;
		if (k == n)
			return s + i;
	}
	return NULL;
}

static size_t utf8_encode(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Length of the valid UTF-8 sequence at s (1..4), 0 when invalid or NUL. */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	if (c == 0)
		return 0;
	if (c < 0x80)
		return 1;
	size_t n;
	uint32_t min;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	uint32_t cp = c & (0x7F >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

/* Past the whole 32-byte blocks from p on that are ASCII without NUL:
 * the first block that is not, or the last bytes short of a block. */
static const unsigned char *ascii_blocks_end(const unsigned char *p, const unsigned char *end)
{
#ifdef __SSE2__
	/* Pages are mostly ASCII markup and the extractor checks every byte
	 * of every page: 8 bytes a step made this a tenth of its time. */
	const __m128i zero = _mm_setzero_si128();
	while (end - p >= 32) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
		/* movemask reads each byte's high bit: set by non-ASCII, and
		 * by the 0xFF that compares a NUL equal to zero */
		__m128i stop = _mm_or_si128(_mm_or_si128(a, _mm_cmpeq_epi8(a, zero)),
					    _mm_or_si128(b, _mm_cmpeq_epi8(b, zero)));
		if (_mm_movemask_epi8(stop))
			break;
		p += 32;
	}
#else
	(void)end;
#endif
	return p;
}

/* The end of the valid UTF-8 without NUL that starts at p: end, or the
 * first byte that does not start a valid sequence. */
static const unsigned char *utf8_valid_end(const unsigned char *p, const unsigned char *end)
{
	while (p < end) {
		p = ascii_blocks_end(p, end);
		/* ASCII fast path, 8 bytes at a time. */
		while (end - p >= 8) {
			uint64_t w;
			memcpy(&w, p, 8);
			/* high bit set, or a zero byte, ends the fast path */
			if ((w & 0x8080808080808080ULL) ||
			    ((w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL))
				break;
			p += 8;
		}
		if (p >= end)
			break;
		size_t n = utf8_seq_len(p, (size_t)(end - p));
		if (n == 0)
			return p;
		p += n;
	}
	return end;
}

bool rsd_text_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	return utf8_valid_end(p, p + len) == p + len;
}

static const char REPLACEMENT[] = "\xEF\xBF\xBD";

/* Bytes of the "maximal subpart" of a bad sequence at s (WHATWG/Unicode):
 * the lead byte and the continuation bytes that could still have made a
 * valid character. They become one U+FFFD. */
static size_t bad_sequence_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	size_t need;
	unsigned char lo = 0x80, hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF)
		need = 1;
	else if (c >= 0xE0 && c <= 0xEF)
		need = 2;
	else if (c >= 0xF0 && c <= 0xF4)
		need = 3;
	else
		return 1;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	size_t n = 1;
	while (n <= need && n < avail && s[n] >= lo && s[n] <= hi) {
		n++;
		lo = 0x80;
		hi = 0xBF;
	}
	return n;
}

int rsd_text_utf8_repair(const char *s, size_t len, struct rsd_text_buf *out)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	if (rsd_text_buf_reserve(out, len) < 0)
		return -ENOMEM;
	while (p < end) {
		const unsigned char *run = p;
		p = utf8_valid_end(p, end);
		if (rsd_text_buf_append(out, run, (size_t)(p - run)) < 0)
			return -ENOMEM;
		if (p >= end)
			break;
		if (*p == 0) { /* NUL carries no text: dropped */
			p++;
			continue;
		}
		if (rsd_text_buf_append(out, REPLACEMENT, 3) < 0)
			return -ENOMEM;
		p += bad_sequence_len(p, (size_t)(end - p));
	}
	return 0;
}

/* ---- character references ----------------------------------------------- */

struct entity {
	const char *name;
	const char *utf8;
	/* may appear without ';' (HTML5 legacy list) */
	unsigned char legacy;
};

/* HTML 4 entities plus the HTML5 ones common in recipe text, sorted by
 * byte value of the name (binary search). */
static const struct entity ENTITIES[] = {
	{ "AElig", "\xc3\x86", 1 },
	{ "Aacute", "\xc3\x81", 1 },
	{ "Acirc", "\xc3\x82", 1 },
	{ "Agrave", "\xc3\x80", 1 },
	{ "Alpha", "\xce\x91", 0 },
	{ "Aring", "\xc3\x85", 1 },
	{ "Atilde", "\xc3\x83", 1 },
	{ "Auml", "\xc3\x84", 1 },
	{ "Beta", "\xce\x92", 0 },
	{ "Ccedil", "\xc3\x87", 1 },
	{ "Chi", "\xce\xa7", 0 },
	{ "Dagger", "\xe2\x80\xa1", 0 },
	{ "Delta", "\xce\x94", 0 },
	{ "ETH", "\xc3\x90", 1 },
	{ "Eacute", "\xc3\x89", 1 },
	{ "Ecirc", "\xc3\x8a", 1 },
	{ "Egrave", "\xc3\x88", 1 },
	{ "Epsilon", "\xce\x95", 0 },
	{ "Eta", "\xce\x97", 0 },
	{ "Euml", "\xc3\x8b", 1 },
	{ "Gamma", "\xce\x93", 0 },
	{ "Hat", "^", 0 },
	{ "Iacute", "\xc3\x8d", 1 },
	{ "Icirc", "\xc3\x8e", 1 },
	{ "Igrave", "\xc3\x8c", 1 },
	{ "Iota", "\xce\x99", 0 },
	{ "Iuml", "\xc3\x8f", 1 },
	{ "Kappa", "\xce\x9a", 0 },
	{ "Lambda", "\xce\x9b", 0 },
	{ "Mu", "\xce\x9c", 0 },
	{ "NewLine", "\x0a", 0 },
	{ "Ntilde", "\xc3\x91", 1 },
	{ "Nu", "\xce\x9d", 0 },
	{ "OElig", "\xc5\x92", 0 },
	{ "Oacute", "\xc3\x93", 1 },
	{ "Ocirc", "\xc3\x94", 1 },
	{ "Ograve", "\xc3\x92", 1 },
	{ "Omega", "\xce\xa9", 0 },
	{ "Omicron", "\xce\x9f", 0 },
	{ "Oslash", "\xc3\x98", 1 },
	{ "Otilde", "\xc3\x95", 1 },
	{ "Ouml", "\xc3\x96", 1 },
	{ "Phi", "\xce\xa6", 0 },
	{ "Pi", "\xce\xa0", 0 },
	{ "Prime", "\xe2\x80\xb3", 0 },
	{ "Psi", "\xce\xa8", 0 },
	{ "Rho", "\xce\xa1", 0 },
	{ "Scaron", "\xc5\xa0", 0 },
	{ "Sigma", "\xce\xa3", 0 },
	{ "THORN", "\xc3\x9e", 1 },
	{ "Tab", "\x09", 0 },
	{ "Tau", "\xce\xa4", 0 },
	{ "Theta", "\xce\x98", 0 },
	{ "Uacute", "\xc3\x9a", 1 },
	{ "Ucirc", "\xc3\x9b", 1 },
	{ "Ugrave", "\xc3\x99", 1 },
	{ "Upsilon", "\xce\xa5", 0 },
	{ "Uuml", "\xc3\x9c", 1 },
	{ "Xi", "\xce\x9e", 0 },
	{ "Yacute", "\xc3\x9d", 1 },
	{ "Yuml", "\xc5\xb8", 0 },
	{ "Zeta", "\xce\x96", 0 },
	{ "aacute", "\xc3\xa1", 1 },
	{ "acirc", "\xc3\xa2", 1 },
	{ "acute", "\xc2\xb4", 1 },
	{ "aelig", "\xc3\xa6", 1 },
	{ "agrave", "\xc3\xa0", 1 },
	{ "alefsym", "\xe2\x84\xb5", 0 },
	{ "alpha", "\xce\xb1", 0 },
	{ "amp", "&", 1 },
	{ "and", "\xe2\x88\xa7", 0 },
	{ "ang", "\xe2\x88\xa0", 0 },
	{ "apos", "'", 0 },
	{ "aring", "\xc3\xa5", 1 },
	{ "ast", "*", 0 },
	{ "asymp", "\xe2\x89\x88", 0 },
	{ "atilde", "\xc3\xa3", 1 },
	{ "auml", "\xc3\xa4", 1 },
	{ "bdquo", "\xe2\x80\x9e", 0 },
	{ "beta", "\xce\xb2", 0 },
	{ "brvbar", "\xc2\xa6", 1 },
	{ "bsol", "\x5c", 0 },
	{ "bull", "\xe2\x80\xa2", 0 },
	{ "cap", "\xe2\x88\xa9", 0 },
	{ "ccedil", "\xc3\xa7", 1 },
	{ "cedil", "\xc2\xb8", 1 },
	{ "cent", "\xc2\xa2", 1 },
	{ "centerdot", "\xc2\xb7", 0 },
	{ "check", "\xe2\x9c\x93", 0 },
	{ "chi", "\xcf\x87", 0 },
	{ "circ", "\xcb\x86", 0 },
	{ "clubs", "\xe2\x99\xa3", 0 },
	{ "colon", ":", 0 },
	{ "comma", ",", 0 },
	{ "commat", "@", 0 },
	{ "cong", "\xe2\x89\x85", 0 },
	{ "copy", "\xc2\xa9", 1 },
	{ "crarr", "\xe2\x86\xb5", 0 },
	{ "cross", "\xe2\x9c\x97", 0 },
	{ "cup", "\xe2\x88\xaa", 0 },
	{ "curren", "\xc2\xa4", 1 },
	{ "dArr", "\xe2\x87\x93", 0 },
	{ "dagger", "\xe2\x80\xa0", 0 },
	{ "darr", "\xe2\x86\x93", 0 },
	{ "dash", "\xe2\x80\x90", 0 },
	{ "deg", "\xc2\xb0", 1 },
	{ "delta", "\xce\xb4", 0 },
	{ "diams", "\xe2\x99\xa6", 0 },
	{ "divide", "\xc3\xb7", 1 },
	{ "dollar", "$", 0 },
	{ "eacute", "\xc3\xa9", 1 },
	{ "ecirc", "\xc3\xaa", 1 },
	{ "egrave", "\xc3\xa8", 1 },
	{ "empty", "\xe2\x88\x85", 0 },
	{ "emsp", "\xe2\x80\x83", 0 },
	{ "ensp", "\xe2\x80\x82", 0 },
	{ "epsilon", "\xce\xb5", 0 },
	{ "equals", "=", 0 },
	{ "equiv", "\xe2\x89\xa1", 0 },
	{ "eta", "\xce\xb7", 0 },
	{ "eth", "\xc3\xb0", 1 },
	{ "euml", "\xc3\xab", 1 },
	{ "euro", "\xe2\x82\xac", 0 },
	{ "excl", "!", 0 },
	{ "exist", "\xe2\x88\x83", 0 },
	{ "female", "\xe2\x99\x80", 0 },
	{ "fnof", "\xc6\x92", 0 },
	{ "forall", "\xe2\x88\x80", 0 },
	{ "frac12", "\xc2\xbd", 1 },
	{ "frac13", "\xe2\x85\x93", 0 },
	{ "frac14", "\xc2\xbc", 1 },
	{ "frac15", "\xe2\x85\x95", 0 },
	{ "frac16", "\xe2\x85\x99", 0 },
	{ "frac18", "\xe2\x85\x9b", 0 },
	{ "frac23", "\xe2\x85\x94", 0 },
	{ "frac25", "\xe2\x85\x96", 0 },
	{ "frac34", "\xc2\xbe", 1 },
	{ "frac35", "\xe2\x85\x97", 0 },
	{ "frac38", "\xe2\x85\x9c", 0 },
	{ "frac45", "\xe2\x85\x98", 0 },
	{ "frac56", "\xe2\x85\x9a", 0 },
	{ "frac58", "\xe2\x85\x9d", 0 },
	{ "frac78", "\xe2\x85\x9e", 0 },
	{ "frasl", "\xe2\x81\x84", 0 },
	{ "gamma", "\xce\xb3", 0 },
	{ "ge", "\xe2\x89\xa5", 0 },
	{ "grave", "`", 0 },
	{ "gt", ">", 1 },
	{ "hArr", "\xe2\x87\x94", 0 },
	{ "hairsp", "\xe2\x80\x8a", 0 },
	{ "half", "\xc2\xbd", 0 },
	{ "harr", "\xe2\x86\x94", 0 },
	{ "hearts", "\xe2\x99\xa5", 0 },
	{ "hellip", "\xe2\x80\xa6", 0 },
	{ "hyphen", "\xe2\x80\x90", 0 },
	{ "iacute", "\xc3\xad", 1 },
	{ "icirc", "\xc3\xae", 1 },
	{ "iexcl", "\xc2\xa1", 1 },
	{ "igrave", "\xc3\xac", 1 },
	{ "image", "\xe2\x84\x91", 0 },
	{ "infin", "\xe2\x88\x9e", 0 },
	{ "int", "\xe2\x88\xab", 0 },
	{ "iota", "\xce\xb9", 0 },
	{ "iquest", "\xc2\xbf", 1 },
	{ "isin", "\xe2\x88\x88", 0 },
	{ "iuml", "\xc3\xaf", 1 },
	{ "kappa", "\xce\xba", 0 },
	{ "lArr", "\xe2\x87\x90", 0 },
	{ "lambda", "\xce\xbb", 0 },
	{ "lang", "\xe2\x9f\xa8", 0 },
	{ "laquo", "\xc2\xab", 1 },
	{ "larr", "\xe2\x86\x90", 0 },
	{ "lbrace", "{", 0 },
	{ "lbrack", "[", 0 },
	{ "lceil", "\xe2\x8c\x88", 0 },
	{ "lcub", "{", 0 },
	{ "ldquo", "\xe2\x80\x9c", 0 },
	{ "le", "\xe2\x89\xa4", 0 },
	{ "lfloor", "\xe2\x8c\x8a", 0 },
	{ "lowast", "\xe2\x88\x97", 0 },
	{ "lowbar", "_", 0 },
	{ "loz", "\xe2\x97\x8a", 0 },
	{ "lpar", "(", 0 },
	{ "lrm", "\xe2\x80\x8e", 0 },
	{ "lsaquo", "\xe2\x80\xb9", 0 },
	{ "lsqb", "[", 0 },
	{ "lsquo", "\xe2\x80\x98", 0 },
	{ "lt", "<", 1 },
	{ "macr", "\xc2\xaf", 1 },
	{ "male", "\xe2\x99\x82", 0 },
	{ "mdash", "\xe2\x80\x94", 0 },
	{ "micro", "\xc2\xb5", 1 },
	{ "middot", "\xc2\xb7", 1 },
	{ "minus", "\xe2\x88\x92", 0 },
	{ "mu", "\xce\xbc", 0 },
	{ "nabla", "\xe2\x88\x87", 0 },
	{ "nbsp", "\xc2\xa0", 1 },
	{ "ndash", "\xe2\x80\x93", 0 },
	{ "ne", "\xe2\x89\xa0", 0 },
	{ "ni", "\xe2\x88\x8b", 0 },
	{ "not", "\xc2\xac", 1 },
	{ "notin", "\xe2\x88\x89", 0 },
	{ "nsub", "\xe2\x8a\x84", 0 },
	{ "ntilde", "\xc3\xb1", 1 },
	{ "nu", "\xce\xbd", 0 },
	{ "num", "#", 0 },
	{ "numsp", "\xe2\x80\x87", 0 },
	{ "oacute", "\xc3\xb3", 1 },
	{ "ocirc", "\xc3\xb4", 1 },
	{ "oelig", "\xc5\x93", 0 },
	{ "ograve", "\xc3\xb2", 1 },
	{ "oline", "\xe2\x80\xbe", 0 },
	{ "omega", "\xcf\x89", 0 },
	{ "omicron", "\xce\xbf", 0 },
	{ "oplus", "\xe2\x8a\x95", 0 },
	{ "or", "\xe2\x88\xa8", 0 },
	{ "ordf", "\xc2\xaa", 1 },
	{ "ordm", "\xc2\xba", 1 },
	{ "oslash", "\xc3\xb8", 1 },
	{ "otilde", "\xc3\xb5", 1 },
	{ "otimes", "\xe2\x8a\x97", 0 },
	{ "ouml", "\xc3\xb6", 1 },
	{ "para", "\xc2\xb6", 1 },
	{ "part", "\xe2\x88\x82", 0 },
	{ "percnt", "%", 0 },
	{ "period", ".", 0 },
	{ "permil", "\xe2\x80\xb0", 0 },
	{ "perp", "\xe2\x8a\xa5", 0 },
	{ "phi", "\xcf\x86", 0 },
	{ "phone", "\xe2\x98\x8e", 0 },
	{ "pi", "\xcf\x80", 0 },
	{ "piv", "\xcf\x96", 0 },
	{ "plus", "+", 0 },
	{ "plusmn", "\xc2\xb1", 1 },
	{ "pound", "\xc2\xa3", 1 },
	{ "prime", "\xe2\x80\xb2", 0 },
	{ "prod", "\xe2\x88\x8f", 0 },
	{ "prop", "\xe2\x88\x9d", 0 },
	{ "psi", "\xcf\x88", 0 },
	{ "puncsp", "\xe2\x80\x88", 0 },
	{ "quest", "?", 0 },
	{ "quot", "\x22", 1 },
	{ "rArr", "\xe2\x87\x92", 0 },
	{ "radic", "\xe2\x88\x9a", 0 },
	{ "rang", "\xe2\x9f\xa9", 0 },
	{ "raquo", "\xc2\xbb", 1 },
	{ "rarr", "\xe2\x86\x92", 0 },
	{ "rbrace", "}", 0 },
	{ "rbrack", "]", 0 },
	{ "rceil", "\xe2\x8c\x89", 0 },
	{ "rcub", "}", 0 },
	{ "rdquo", "\xe2\x80\x9d", 0 },
	{ "real", "\xe2\x84\x9c", 0 },
	{ "reg", "\xc2\xae", 1 },
	{ "rfloor", "\xe2\x8c\x8b", 0 },
	{ "rho", "\xcf\x81", 0 },
	{ "rlm", "\xe2\x80\x8f", 0 },
	{ "rpar", ")", 0 },
	{ "rsaquo", "\xe2\x80\xba", 0 },
	{ "rsqb", "]", 0 },
	{ "rsquo", "\xe2\x80\x99", 0 },
	{ "sbquo", "\xe2\x80\x9a", 0 },
	{ "scaron", "\xc5\xa1", 0 },
	{ "sdot", "\xe2\x8b\x85", 0 },
	{ "sect", "\xc2\xa7", 1 },
	{ "semi", ";", 0 },
	{ "shy", "\xc2\xad", 1 },
	{ "sigma", "\xcf\x83", 0 },
	{ "sigmaf", "\xcf\x82", 0 },
	{ "sim", "\xe2\x88\xbc", 0 },
	{ "sol", "/", 0 },
	{ "spades", "\xe2\x99\xa0", 0 },
	{ "star", "\xe2\x98\x86", 0 },
	{ "starf", "\xe2\x98\x85", 0 },
	{ "sub", "\xe2\x8a\x82", 0 },
	{ "sube", "\xe2\x8a\x86", 0 },
	{ "sum", "\xe2\x88\x91", 0 },
	{ "sup", "\xe2\x8a\x83", 0 },
	{ "sup1", "\xc2\xb9", 1 },
	{ "sup2", "\xc2\xb2", 1 },
	{ "sup3", "\xc2\xb3", 1 },
	{ "supe", "\xe2\x8a\x87", 0 },
	{ "szlig", "\xc3\x9f", 1 },
	{ "tau", "\xcf\x84", 0 },
	{ "there4", "\xe2\x88\xb4", 0 },
	{ "theta", "\xce\xb8", 0 },
	{ "thetasym", "\xcf\x91", 0 },
	{ "thinsp", "\xe2\x80\x89", 0 },
	{ "thorn", "\xc3\xbe", 1 },
	{ "tilde", "\xcb\x9c", 0 },
	{ "times", "\xc3\x97", 1 },
	{ "trade", "\xe2\x84\xa2", 0 },
	{ "uArr", "\xe2\x87\x91", 0 },
	{ "uacute", "\xc3\xba", 1 },
	{ "uarr", "\xe2\x86\x91", 0 },
	{ "ucirc", "\xc3\xbb", 1 },
	{ "ugrave", "\xc3\xb9", 1 },
	{ "uml", "\xc2\xa8", 1 },
	{ "upsih", "\xcf\x92", 0 },
	{ "upsilon", "\xcf\x85", 0 },
	{ "uuml", "\xc3\xbc", 1 },
	{ "verbar", "|", 0 },
	{ "vert", "|", 0 },
	{ "weierp", "\xe2\x84\x98", 0 },
	{ "xi", "\xce\xbe", 0 },
	{ "yacute", "\xc3\xbd", 1 },
	{ "yen", "\xc2\xa5", 1 },
	{ "yuml", "\xc3\xbf", 1 },
	{ "zeta", "\xce\xb6", 0 },
	{ "zwj", "\xe2\x80\x8d", 0 },
	{ "zwnj", "\xe2\x80\x8c", 0 },
};

static int entity_cmp(const char *name, size_t len, const char *key)
{
	int c = strncmp(name, key, len);
	if (c)
		return c;
	return key[len] ? -1 : 0;
}

static const struct entity *entity_find(const char *name, size_t len)
{
	size_t lo = 0, hi = sizeof ENTITIES / sizeof ENTITIES[0];
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = entity_cmp(name, len, ENTITIES[mid].name);
		if (c == 0)
			return &ENTITIES[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Windows-1252 meanings of &#128; .. &#159; (HTML5 numeric reference rule). */
static const uint16_t C1_REMAP[32] = {
	0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
	0x2039, 0x0152, 0x8D,   0x017D, 0x8F,   0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
	0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178,
};

/* Numeric reference at s ("#123;" / "#x1F;", after the '&'). Returns the
 * bytes consumed (0: not a reference) and the code point. */
static size_t numeric_ref(const char *s, size_t len, uint32_t *cp)
{
	size_t i = 1;
	bool hex = false;
	if (i < len && (s[i] == 'x' || s[i] == 'X')) {
		hex = true;
		i++;
	}
	size_t digits = i;
	uint32_t v = 0;
	for (; i < len; i++) {
		char c = lower(s[i]);
		uint32_t d;
		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (hex && c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else
			break;
		if (v <= 0x10FFFF)
			v = v * (hex ? 16 : 10) + d;
	}
	if (i == digits)
		return 0;
	if (i < len && s[i] == ';')
		i++;
	if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		v = 0xFFFD;
	else if (v >= 0x80 && v <= 0x9F)
		v = C1_REMAP[v - 0x80];
	*cp = v;
	return i;
}

/* Named reference at s (after the '&'): longest match in the table. */
static size_t named_ref(const char *s, size_t len, bool in_attribute, const struct entity **out)
{
	size_t n = 0;
	while (n < len && n < 32 && is_alnum(s[n]))
		n++;
	if (n < len && s[n] == ';') {
		const struct entity *e = entity_find(s, n);
		if (e) {
			*out = e;
			return n + 1;
		}
	}
	/* Legacy references without ';': the longest prefix that is one. */
	for (size_t k = n; k > 1; k--) {
		const struct entity *e = entity_find(s, k);
		if (!e || !e->legacy)
			continue;
		if (in_attribute && k < len && (is_alnum(s[k]) || s[k] == '='))
			return 0;
		*out = e;
		return k;
	}
	return 0;
}

int rsd_text_decode_entities(const char *s, size_t len, bool in_attribute, struct rsd_text_buf *out)
{
	if (rsd_text_buf_reserve(out, len) < 0)
		return -ENOMEM;
	size_t i = 0;
	while (i < len) {
		const char *amp = memchr(s + i, '&', len - i);
		size_t run = amp ? (size_t)(amp - (s + i)) : len - i;
		if (rsd_text_buf_append(out, s + i, run) < 0)
			return -ENOMEM;
		i += run;
		if (i >= len)
			break;
		i++; /* the '&' */
		size_t used = 0;
		if (i < len && s[i] == '#') {
			uint32_t cp;
			used = numeric_ref(s + i, len - i, &cp);
			if (used) {
				char u[4];
				if (rsd_text_buf_append(out, u, utf8_encode(cp, u)) < 0)
					return -ENOMEM;
			}
		} else {
			const struct entity *e = NULL;
			used = named_ref(s + i, len - i, in_attribute, &e);
			if (used && rsd_text_buf_append(out, e->utf8, strlen(e->utf8)) < 0)
				return -ENOMEM;
		}
		if (!used && rsd_text_buf_putc(out, '&') < 0)
			return -ENOMEM;
		i += used;
	}
	return 0;
}

/* ---- cleaning ----------------------------------------------------------- */

/* Length of an HTML tag starting at s[0] == '<' ("<b>", "</p>", "<br/>",
 * "<!-- x -->"), 0 when the '<' is literal text ("a < b"). */
static size_t tag_len(const char *s, size_t len)
{
	if (len < 3)
		return 0;
	if (len >= 4 && memcmp(s, "<!--", 4) == 0) {
		const char *e = memmem(s + 4, len - 4, "-->", 3);
		return e ? (size_t)(e - s) + 3 : 0;
	}
	char c = lower(s[1]);
	if (!((c >= 'a' && c <= 'z') || c == '/' || c == '!'))
		return 0;
	if (c == '/' && !(lower(s[2]) >= 'a' && lower(s[2]) <= 'z'))
		return 0;
	for (size_t i = 1; i < len; i++) {
		if (s[i] == '>')
			return i + 1;
		if (s[i] == '<')
			return 0;
	}
	return 0;
}

/* Unicode white space (and NBSP) at s, returning its byte length. "Â"
 * and NBSP (C3 82 C2 A0) is an NBSP whose UTF-8 bytes were read as
 * Latin-1 and encoded again ("TomatoesÂ are"): a space too. */
static size_t space_len(const unsigned char *s, size_t len)
{
	unsigned char c = s[0];
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
		return 1;
	if (c == 0xC2 && len >= 2 && (s[1] == 0xA0 || s[1] == 0x85))
		return 2;
	if (c == 0xC3 && len >= 4 && s[1] == 0x82 && s[2] == 0xC2 && s[3] == 0xA0)
		return 4;
	if (c == 0xE2 && len >= 3 && s[1] == 0x80 &&
	    ((s[2] >= 0x80 && s[2] <= 0x8A) || s[2] == 0xA8 || s[2] == 0xA9 || s[2] == 0xAF))
		return 3;
	if (c == 0xE2 && len >= 3 && s[1] == 0x81 && s[2] == 0x9F)
		return 3;
	if (c == 0xE3 && len >= 3 && s[1] == 0x80 && s[2] == 0x80)
		return 3;
	return 0;
}

/* A byte order mark inside text is an artefact of concatenated files, never
 * content; a zero-width space (U+200B) only marks where a line may break
 * and shows nothing. (Soft hyphens and zero-width joiners are content:
 * kept.) */
static size_t invisible_len(const unsigned char *s, size_t len)
{
	if (s[0] == 0xEF && len >= 3 && s[1] == 0xBB && s[2] == 0xBF)
		return 3;
	if (s[0] == 0xE2 && len >= 3 && s[1] == 0x80 && s[2] == 0x8B)
		return 3;
	return 0;
}

/* What strip_and_collapse drops at s[0]: its length (a tag, white space,
 * a control character, an invisible mark), setting *space when it
 * separates words; 0 when s[0] is text. */
static size_t dropped_len(const char *s, size_t len, bool *space)
{
	unsigned char c = (unsigned char)s[0];
	size_t n;
	if (c == '<' && (n = tag_len(s, len)) != 0) {
		/* A tag separates words unless it is inline formatting;
		 * treating all as separators and collapsing is the
		 * conservative choice ("a<br>b" must not become "ab"). */
		static const char *const INLINE[] = { "a",    "b",     "i",    "em",   "strong",
						      "span", "u",     "sup",  "sub",  "small",
						      "abbr", "mark",  "font", NULL };
		size_t k = (s[1] == '/') ? 2 : 1, b = k;
		while (k < n && is_alnum(s[k]))
			k++;
		bool is_inline = false;
		for (size_t t = 0; INLINE[t]; t++)
			if (rsd_text_ieq(s + b, k - b, INLINE[t]))
				is_inline = true;
		if (!is_inline)
			*space = true;
		return n;
	}
	if ((n = space_len((const unsigned char *)s, len)) != 0) {
		*space = true;
		return n;
	}
	if (c < 0x20 || c == 0x7F) /* control characters carry no text */
		return 1;
	return invisible_len((const unsigned char *)s, len);
}

/* Strips tags and collapses white space of valid UTF-8 s into out. */
static int strip_and_collapse(const char *s, size_t len, struct rsd_text_buf *out)
{
	bool pending_space = false;
	if (rsd_text_buf_reserve(out, len) < 0)
		return -ENOMEM;
	size_t i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		/* Printable ASCII other than '<' is text: most bytes take
		 * this branch and skip the checks of dropped_len. */
		size_t n = (c > 0x20 && c < 0x7F && c != '<')
				   ? 0
				   : dropped_len(s + i, len - i, &pending_space);
		if (n) {
			i += n;
			continue;
		}
		/* Stored in place: every byte written consumed at least one
		 * of the len reserved above (a space, the white space or tag
		 * before it), and the buffer append per byte was a third of
		 * the cost of cleaning a text. */
		if (pending_space && out->len > 0)
			out->data[out->len++] = ' ';
		pending_space = false;
		out->data[out->len++] = (char)c;
		i++;
	}
	out->data[out->len] = '\0';
	return 0;
}

char *rsd_text_clean(const char *s, size_t len)
{
	struct rsd_text_buf a = { 0 }, b = { 0 };
	/* The text being cleaned: s itself while it needs no change (valid
	 * UTF-8, as nearly every field is: no copy), else the latest copy. */
	const char *cur = s;
	size_t cur_len = len;
	int rc = 0;
	if (!rsd_text_utf8_valid(s, len)) {
		rc = rsd_text_utf8_repair(s, len, &a);
		cur = a.data ? a.data : "";
		cur_len = a.len;
	}
	/* Decode up to three times: "&amp;amp;" and "&amp;#39;" are common in
	 * feeds that escape already-escaped HTML. A literal "&" that survives
	 * stays as it is. */
	for (int pass = 0; rc == 0 && pass < 3 && cur_len && memchr(cur, '&', cur_len); pass++) {
		b.len = 0;
		rc = rsd_text_decode_entities(cur, cur_len, false, &b);
		if (rc == 0) {
			bool same = cur_len == b.len && memcmp(cur, b.data, cur_len) == 0;
			struct rsd_text_buf t = a;
			a = b;
			b = t;
			cur = a.data;
			cur_len = a.len;
			if (same)
				break;
		}
	}
	if (rc == 0) {
		b.len = 0;
		rc = strip_and_collapse(cur, cur_len, &b);
	}
	rsd_text_buf_free(&a);
	if (rc < 0) {
		rsd_text_buf_free(&b);
		return NULL;
	}
	/* strip_and_collapse never leaves a trailing space, only a pending one */
	return rsd_text_buf_steal(&b);
}

/* ---- what a text holds -------------------------------------------------- */

/* Code points that are neither letters nor digits: Latin-1 punctuation and
 * symbols (bar the fractions), general punctuation, symbols, arrows, box
 * drawing, shapes, dingbats, CJK punctuation, the BOM and replacement
 * character. Other non-ASCII code points count as letters. */
static bool is_symbol(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0xBF && !(cp >= 0xBC && cp <= 0xBE)) || cp == 0xD7 ||
	       cp == 0xF7 || (cp >= 0x2000 && cp <= 0x214F) || (cp >= 0x2190 && cp <= 0x2BFF) ||
	       (cp >= 0x3000 && cp <= 0x303F) || cp == 0xFEFF || cp == 0xFFFD;
}

bool rsd_text_glued_at(const char *s, size_t i)
{
	return i > 0 && s[i] && s[i + 1] && (s[i] == '.' || s[i] == '!' || s[i] == '?') &&
	       s[i - 1] >= 'a' && s[i - 1] <= 'z' && s[i + 1] >= 'A' && s[i + 1] <= 'Z' &&
	       s[i + 2] >= 'a' && s[i + 2] <= 'z';
}

bool rsd_text_glued_sentences(const char *s)
{
	if (!s || !*s)
		return false;
	for (size_t i = 1; s[i] && s[i + 1] && s[i + 2]; i++)
		if (rsd_text_glued_at(s, i))
			return true;
	return false;
}

bool rsd_text_has_word(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (p && *p) {
		if (*p < 0x80) {
			if (is_alnum((char)*p))
				return true;
			p++;
			continue;
		}
		size_t n = utf8_seq_len(p, 4);
		if (n == 0) {
			p++;
			continue;
		}
		uint32_t cp = p[0] & (0x7F >> n);
		for (size_t i = 1; i < n; i++)
			cp = (cp << 6) | (p[i] & 0x3F);
		if (!is_symbol(cp))
			return true;
		p += n;
	}
	return false;
}

bool rsd_text_has_quantity(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
		if ((*p >= '0' && *p <= '9') || (p[0] == 0xC2 && p[1] >= 0xBC && p[1] <= 0xBE) ||
		    (p[0] == 0xE2 && p[1] == 0x85 && p[2] >= 0x90 && p[2] <= 0x9E))
			return true;
	return false;
}

/* ---- numbers and durations ---------------------------------------------- */

bool rsd_text_first_number(const char *s, double *out)
{
	if (!s)
		return false;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			continue;
		double v = 0;
		while (*p >= '0' && *p <= '9')
			v = v * 10 + (*p++ - '0');
		if ((*p == '.' || *p == ',') && p[1] >= '0' && p[1] <= '9') {
			double scale = 0.1;
			for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
				v += (*p - '0') * scale;
		}
		*out = v;
		return true;
	}
	return false;
}

/* Parses "12", "1.5", "1,5" at *p; false when there is no number. */
static bool parse_decimal(const char **p, double *out)
{
	const char *s = *p;
	double v = 0;
	bool any = false;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s++ - '0');
		any = true;
	}
	if ((*s == '.' || *s == ',') && s[1] >= '0' && s[1] <= '9') {
		double scale = 0.1;
		for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10) {
			v += (*s - '0') * scale;
			any = true;
		}
	}
	if (!any || v > 1e9)
		return false;
	*p = s;
	*out = v;
	return true;
}

static long round_minutes(double m)
{
	if (!(m >= 0) || m > 1e8)
		return -1;
	return lround(m);
}

static long iso8601_minutes(const char *s)
{
	const char *p = s + 1; /* after 'P' */
	bool in_time = false, any = false;
	double minutes = 0;
	while (*p) {
		if (*p == 'T' || *p == 't') {
			in_time = true;
			p++;
			continue;
		}
		double v = 0;
		/* "PTH30MS" (a template with empty fields) is common enough to
		 * accept: an empty number before a designator counts as zero. */
		if (!parse_decimal(&p, &v) && !(*p && strchr("YMWDHSymwdhs", *p)))
			return -1;
		switch (*p == 0 ? 0 : (*p | 0x20)) {
		case 'y':
			if (in_time)
				return -1;
			minutes += v * 525600;
			break;
		case 'w':
			if (in_time)
				return -1;
			minutes += v * 10080;
			break;
		case 'd':
			if (in_time)
				return -1;
			minutes += v * 1440;
			break;
		case 'h':
			if (!in_time)
				return -1;
			minutes += v * 60;
			break;
		case 'm':
			minutes += in_time ? v : v * 43200;
			break; /* P1M: a month */
		case 's':
			if (!in_time)
				return -1;
			minutes += v / 60;
			break;
		default:
			return -1;
		}
		any = true;
		p++;
	}
	return any ? round_minutes(minutes) : -1;
}

/* "1 hour 30 minutes", "45 mins", "1h30", "30": the forms sites put in
 * duration fields in place of ISO 8601. */
static long human_minutes(const char *s)
{
	const char *p = s;
	double minutes = 0;
	bool any = false;
	while (*p) {
		double v;
		if (!parse_decimal(&p, &v)) {
			p++;
			continue;
		}
		while (*p == ' ')
			p++;
		char u = (char)(*p | 0x20);
		if (u == 'h')
			minutes += v * 60;
		else if (u == 'd')
			minutes += v * 1440;
		else if (u == 's')
			minutes += v / 60;
		else
			minutes += v; /* minutes, or a bare number */
		any = true;
		while (*p && !(*p >= '0' && *p <= '9'))
			p++;
	}
	return any ? round_minutes(minutes) : -1;
}

long rsd_text_duration_minutes(const char *s)
{
	if (!s)
		return -1;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s == '-')
		return -1; /* a negative duration is an error in the page */
	if (*s == 'P' || *s == 'p')
		return iso8601_minutes(s);
	return human_minutes(s);
}
