/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the whole extractor on arbitrary bytes, through the
 * fast path and the full parse alternately, with links. The first input
 * byte picks the flags and the Content-Type header; the rest is the page.
 * Seeds: tests/fixtures/extract. */
#include "extract/extract.h"

#include <stdint.h>
#include <stdlib.h>

static const char *const CONTENT_TYPES[] = {
	NULL,
	"text/html; charset=utf-8",
	"text/html; charset=windows-1252",
	"text/html; charset=shift_jis",
	"text/html; charset=utf-16le",
	"text/html; charset=bogus",
	"text/html;charset=",
	"text/html; charset=\"iso-8859-1\"",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static rsd_extractor *x;
	if (!x && rsd_extractor_new(&x) < 0)
		abort();
	if (size == 0)
		return 0;
	unsigned sel = data[0];
	unsigned flags = RSD_EXTRACT_LINKS | ((sel & 1) ? RSD_EXTRACT_FULL_PARSE : 0);
	const char *ct =
		CONTENT_TYPES[(sel >> 1) % (sizeof CONTENT_TYPES / sizeof CONTENT_TYPES[0])];
	struct rsd_extract_result res;
	int rc = rsd_extract(x, (const char *)data + 1, size - 1, "https://fuzz.test/a/b.html", ct,
			     flags, &res);
	if (rc < 0 && rc != -12 /* ENOMEM */)
		abort(); /* a valid page URL and buffer never give EINVAL */
	if (res.record) {
		char *json = cJSON_PrintUnformatted(res.record);
		if (!json)
			abort();
		cJSON_free(json);
	}
	rsd_extract_result_clear(&res);
	return 0;
}
