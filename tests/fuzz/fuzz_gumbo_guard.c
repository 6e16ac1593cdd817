/* SPDX-License-Identifier: MIT */
/* libFuzzer target: gumbo under a budget (src/gumbo_guard.h) stopped at
 * any point of a parse. The first input byte picks the memory budget
 * (64 KiB to 16 MiB); the rest is the page. A parse over it must stop
 * with nothing kept (LeakSanitizer sees every block gumbo held) and
 * never past the budget; one within it gives a tree that is freed whole.
 * Seeds: tests/fixtures/extract (as for fuzz_extract). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "extract/gumbo_guard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	struct rsd_gumbo_limits lim = {
		.max_bytes = (size_t)(data[0] + 1) << 16,
		.max_cpu_ns = 2000000000u, /* the fuzzer's own timeout is 10 s */
	};
	struct rsd_gumbo_doc *doc = NULL;
	struct rsd_gumbo_usage u;
	int rc = rsd_gumbo_guard_parse((const char *)data + 1, size - 1, &lim, &doc, &u);
	if (u.peak_bytes > lim.max_bytes || (rc == 0) != (doc != NULL))
		abort();
	if (rc == 0 && !rsd_gumbo_doc_output(doc)->root)
		abort();
	if (rc != 0 && rc != -E2BIG && rc != -ETIME && rc != -ENOMEM)
		abort();
	rsd_gumbo_doc_free(doc);
	return 0;
}
