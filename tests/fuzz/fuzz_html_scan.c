/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the streaming tag scanner and the text helpers it
 * feeds (attribute decoding, cleaning, charset detection). Checks the
 * scanner's invariants: every slice lies inside the input and the scan
 * always advances. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract/charset.h"
#include "extract/html_scan.h"
#include "core/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_slice(const char *base, size_t size, const char *p, size_t n)
{
	if (n && (p < base || p + n > base + size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *html = (const char *)data;
	struct rsd_html_scanner s;
	struct rsd_html_tag t;
	rsd_html_scan_init(&s, html, size);
	const char *last = html;
	while (rsd_html_scan_next(&s, &t)) {
		if (s.p < last || s.p > html + size)
			abort();
		last = s.p;
		check_slice(html, size, t.name, t.name_len);
		check_slice(html, size, t.text, t.text_len);
		for (size_t i = 0; i < t.n_attrs; i++) {
			check_slice(html, size, t.attrs[i].name, t.attrs[i].name_len);
			check_slice(html, size, t.attrs[i].value, t.attrs[i].value_len);
			struct rsd_text_buf b = { 0 };
			rsd_text_decode_entities(t.attrs[i].value, t.attrs[i].value_len, true, &b);
			rsd_text_buf_free(&b);
		}
	}
	char *c = rsd_text_clean(html, size);
	if (c && !rsd_text_utf8_valid(c, strlen(c)))
		abort(); /* cleaned text is always valid UTF-8 */
	free(c);
	const char *out;
	size_t len;
	struct rsd_text_buf b = { 0 };
	if (rsd_charset_to_utf8(html, size, NULL, &out, &len, &b) == 0 &&
	    !rsd_text_utf8_valid(out, len))
		abort();
	rsd_text_buf_free(&b);
	rsd_text_duration_minutes(c ? "PT1H" : NULL);
	return 0;
}
