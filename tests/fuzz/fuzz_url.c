/* SPDX-License-Identifier: MIT */
/* libFuzzer target: URL normalisation. Input: "ref\nbase" (base optional).
 * Checks the invariants the frontier relies on: a normalised URL is
 * http(s), splits into origin + "/...", and normalising it again is a
 * no-op (one spelling per resource). */

#include "core/url.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1);
	if (!in)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	if (strlen(in) != size) { /* embedded NUL: not a C string */
		free(in);
		return 0;
	}
	char *base = strchr(in, '\n');
	if (base)
		*base++ = '\0';
	char *out = NULL;
	if (rsd_url_normalize(in, base, &out) == 0) {
		if (strncmp(out, "http://", 7) != 0 && strncmp(out, "https://", 8) != 0)
			abort();
		size_t olen;
		if (rsd_url_split(out, &olen) != 0 || out[olen] != '/')
			abort();
		char *again = NULL;
		if (rsd_url_normalize(out, NULL, &again) != 0 || strcmp(out, again) != 0)
			abort();
		free(again);
		char *host = NULL;
		if (rsd_url_host(out, &host) != 0)
			abort();
		free(host);
	}
	free(out);
	free(in);
	return 0;
}
