/* SPDX-License-Identifier: MIT */
/* libFuzzer target: arbitrary bytes as a configuration file. Checks the
 * loader's contract besides memory safety: success <=> no diagnostics, every
 * diagnostic one line naming the file, a loaded configuration complete. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* rsd_config_load_string takes a C string: the text ends at the first NUL. */
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	struct rsd_config *cfg = NULL;
	struct rsd_config_diag diag = { 0 };
	int rc = rsd_config_load_string("fuzz.ini", text, &cfg, &diag);
	if ((rc == 0) != (diag.n == 0) || (rc == 0) != (cfg != NULL))
		abort();
	for (size_t i = 0; i < diag.n; i++)
		if (strncmp(diag.messages[i], "fuzz.ini", 8) != 0 || strchr(diag.messages[i], '\n'))
			abort();
	if (cfg && (cfg->start_urls.n == 0 || cfg->allowed_hosts.n == 0 || cfg->topics.n == 0 ||
		    !cfg->brokers || rsd_config_kafka_changed(cfg, cfg)))
		abort();

	rsd_config_free(cfg);
	rsd_config_diag_clear(&diag);
	free(text);
	return 0;
}
