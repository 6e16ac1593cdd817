/* SPDX-License-Identifier: MIT */
#ifndef RSD_RECORD_CAPS_H
#define RSD_RECORD_CAPS_H

/* Size caps of a record (docs/record.schema.json, "Size caps" in
 * docs/architecture.md): every record fits in one Kafka message under the
 * broker's default message.max.bytes (1,000,000), whatever the page holds.
 *
 * Each cap counts the bytes the value takes in the serialized JSON (quotes
 * excluded, escapes included: '"' is two bytes, a control character six), so
 * the sum of the caps is a true bound on the record's size. No real recipe
 * comes near them: the largest expected records of the development corpus
 * have a 2 KiB description, 1.3 KiB steps, 34 ingredients and 32 steps. */

#include <stddef.h>
#include <cjson/cJSON.h>

#define RSD_CAP_NAME 1024 /* title, author, site_name, yields */
#define RSD_CAP_LANGUAGE 64
#define RSD_CAP_DESCRIPTION 16384
#define RSD_CAP_URL 8192 /* canonical_url, image: dropped when longer */
#define RSD_CAP_INGREDIENT 1024 /* each ingredient line */
#define RSD_CAP_INGREDIENTS 200 /* lines */
#define RSD_CAP_STEP 4096 /* each instruction step */
#define RSD_CAP_STEPS 128 /* steps */
#define RSD_CAP_TERM 256 /* each category, cuisine, keyword */
#define RSD_CAP_TERMS 16 /* categories; cuisines */
#define RSD_CAP_KEYWORDS 64
#define RSD_CAP_NUTRIENT_NAME 64 /* a longer name drops the entry */
#define RSD_CAP_NUTRIENT 256 /* each nutrient's text */
#define RSD_CAP_NUTRIENTS 64 /* entries (RSD_NUTRIENTS_MAX) */

/* Upper bound of a record's JSON (rsd_record_caps_bound() <= this), leaving
 * room under 1,000,000 for the key (a URL, at most RSD_URL_MAX_BYTES),
 * headers and Kafka's batch framing. */
#define RSD_RECORD_MAX_BYTES 960000

/* Enforces the caps on rec in place: a string is cut at a UTF-8 character
 * boundary, a list keeps its first items, an over-long URL is removed. The
 * names of the fields changed are listed, in record order, in a "truncated"
 * array added to rec. 0, or -ENOMEM (rec is then partly capped). */
int rsd_record_caps_apply(cJSON *rec);

/* The size of the largest record the caps allow (url and host counted at
 * RSD_URL_MAX_BYTES, every character escaped): for the tests and docs. */
size_t rsd_record_caps_bound(void);

/* Length of the longest prefix of s[0..len) that is at most max bytes and
 * does not end inside a UTF-8 sequence (inline: the journal sink, which
 * does not link the extractor, caps its fields with it too). */
static inline size_t rsd_utf8_prefix(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	size_t n = max;
	/* back off continuation bytes: s[n] must start a character */
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

#endif
