/* SPDX-License-Identifier: MIT */
/* The record as it travels to Kafka: serialized JSON plus copies of the
 * key and raw page (ownership rules in record.h). */
#include "core/record.h"
#include "core/bufpool.h"

#include <stdlib.h>
#include <string.h>

void rsd_format_rfc3339(time_t t, char *buf, size_t len)
{
	struct tm tm;
	if (!gmtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		if (len)
			buf[0] = '\0';
	}
}

static char *memdup(const void *p, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, p, n);
		d[n] = '\0';
	}
	return d;
}

struct rsd_record *rsd_record_new(const char *url, cJSON *rec, const char *raw, size_t raw_len)
{
	struct rsd_record *r = calloc(1, sizeof *r);
	if (!r || !url || !rec)
		goto fail;
	if (!cJSON_GetObjectItemCaseSensitive(rec, "scraped_at")) {
		char ts[32];
		rsd_format_rfc3339(time(NULL), ts, sizeof ts);
		if (!cJSON_AddStringToObject(rec, "scraped_at", ts))
			goto fail;
	}
	const cJSON *cal = cJSON_GetObjectItemCaseSensitive(rec, "calories");
	r->calories = cJSON_IsNumber(cal) ? cal->valuedouble : -1;
	r->url = strdup(url);
	r->json = cJSON_PrintUnformatted(rec);
	if (!r->url || !r->json)
		goto fail;
	r->json_len = strlen(r->json);
	if (raw) {
		r->raw_html = memdup(raw, raw_len);
		if (!r->raw_html)
			goto fail;
		r->raw_len = raw_len;
		r->raw_cap = raw_len + 1;
	}
	return r;
fail:
	rsd_record_free(r);
	return NULL;
}

size_t rsd_record_bytes(const struct rsd_record *r, bool raw_compressed)
{
	size_t held = sizeof(*r) + strlen(r->url) + 1 + r->json_len + 1 +
		      (r->raw_html ? r->raw_cap : 0);
	size_t copies = r->json_len + (r->raw_html && raw_compressed ? r->raw_len : 0);
	return held + copies;
}

void rsd_record_adopt_raw(struct rsd_record *r, char *raw, size_t raw_len, size_t cap)
{
	rsd_bufpool_put(r->raw_html, r->raw_cap);
	r->raw_html = raw;
	r->raw_len = raw_len;
	r->raw_cap = cap;
}

void rsd_record_free(struct rsd_record *r)
{
	if (!r)
		return;
	free(r->url);
	free(r->json);
	rsd_bufpool_put(r->raw_html, r->raw_cap);
	free(r);
}
