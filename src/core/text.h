/* SPDX-License-Identifier: MIT */
#ifndef RSD_TEXT_H
#define RSD_TEXT_H

/* Text normalisation for extracted fields: HTML character references,
 * tag stripping, whitespace collapse, UTF-8 repair, ISO 8601 durations and
 * loose number parsing. Pure functions; no global state. */

#include <stdbool.h>
#include <stddef.h>

/* HTML's ASCII white space: space, tab, LF, CR, FF. */
static inline bool rsd_text_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* The first byte of p[0..end) that is no white space, or end. */
static inline const char *rsd_text_skip_space(const char *p, const char *end)
{
	while (p < end && rsd_text_is_space(*p))
		p++;
	return p;
}

/* Growable byte buffer, always NUL-terminated once anything was appended.
 * The owner frees data with free() (or keeps it: rsd_text_buf_steal). */
struct rsd_text_buf {
	char *data;
	size_t len;
	size_t cap;
};

int rsd_text_buf_reserve(struct rsd_text_buf *b, size_t extra); /* 0 / -ENOMEM */
int rsd_text_buf_append(struct rsd_text_buf *b, const void *p, size_t n);
int rsd_text_buf_putc(struct rsd_text_buf *b, char c);
/* Hands data to the caller (never NULL on success: "" when empty) and resets b. */
char *rsd_text_buf_steal(struct rsd_text_buf *b);
void rsd_text_buf_free(struct rsd_text_buf *b);

/* Decodes HTML character references in s[0..len) and appends the result to
 * out. in_attribute applies the HTML5 rule for legacy references without ';'
 * inside attribute values (not decoded before an alphanumeric or '='). */
int rsd_text_decode_entities(const char *s, size_t len, bool in_attribute,
			     struct rsd_text_buf *out);

/* The full cleaning of one text field: references decoded (repeatedly, for
 * double-encoded text), HTML tags removed, invalid UTF-8 replaced by U+FFFD,
 * control characters dropped, all Unicode white space collapsed to one
 * space, trimmed. Returns a malloc'd string ("" possible) or NULL (ENOMEM). */
char *rsd_text_clean(const char *s, size_t len);

/* True when s[0..len) is valid UTF-8 without NUL bytes. */
bool rsd_text_utf8_valid(const char *s, size_t len);
/* Appends s with every invalid UTF-8 sequence replaced by U+FFFD and NUL
 * bytes dropped. */
int rsd_text_utf8_repair(const char *s, size_t len, struct rsd_text_buf *out);

/* Minutes of an ISO 8601 duration ("PT1H30M", "P0DT0H20M", "PT1.5H",
 * "P1DT2H") or of a plain number of minutes ("30"), rounded to the nearest
 * minute. Also tolerates human forms ("1 hour 30 mins"). -1 when s is not a
 * duration. */
long rsd_text_duration_minutes(const char *s);

/* First decimal number in s ("551 kcal" -> 551, "1,5 g" -> 1.5). */
bool rsd_text_first_number(const char *s, double *out);

/* Whether s has a letter or a digit (any script; vulgar fractions count
 * as digits). Text with none ("[{", "--", "•") is markup debris, not a
 * value. NULL: false. */
bool rsd_text_has_word(const char *s);
/* Whether s has a quantity: an ASCII digit or a vulgar fraction
 * (U+00BC-U+00BE, U+2150-U+215E). NULL: false. */
bool rsd_text_has_quantity(const char *s);
/* Whether s glues two sentences together: a lowercase word's end mark
 * directly followed by a capitalised word ("till cooked.Add the"), the
 * trace of block boundaries lost when a page's list was flattened into
 * one string. NULL: false. */
bool rsd_text_glued_sentences(const char *s);
/* Whether s[i] (i < strlen(s)) is the end mark of such a glue. */
bool rsd_text_glued_at(const char *s, size_t i);

/* ASCII case-insensitive comparison of s[0..len) with a lowercase literal. */
bool rsd_text_ieq(const char *s, size_t len, const char *lower);
/* ASCII case-insensitive search of a lowercase needle in s[0..len). */
const char *rsd_text_icasefind(const char *s, size_t len, const char *lower);

#endif
