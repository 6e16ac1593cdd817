/* SPDX-License-Identifier: MIT */
#ifndef RSD_RECORD_H
#define RSD_RECORD_H

/* The unit that travels scraper -> ring -> producer -> delivery report.
 *
 * Ownership: allocated by the scraper thread that extracted it; owned by the
 * ring while queued; owned by the producer from dequeue until its last
 * delivery report (it is the librdkafka msg_opaque of each message produced
 * from it), where it is freed. librdkafka always copies the key (url) and
 * the headers into its message, but the value only when RD_KAFKA_MSG_F_COPY
 * is given, and the producer does not give it: the value buffers (json,
 * raw_html) stay owned by the record and must outlive every message that
 * points at them, which the record as msg_opaque, freed only after its last
 * delivery report, guarantees. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cjson/cJSON.h>

#define RSD_RECORD_SCHEMA_VERSION 1

struct rsd_record {
	char *url; /* Kafka key: the page URL as fetched (NUL-terminated) */
	char *json; /* Kafka value: the serialized record (NUL-terminated) */
	size_t json_len;
	char *raw_html; /* raw page for [producer] raw_topic, or NULL */
	size_t raw_len;
	size_t raw_cap; /* raw_html's allocated size (raw_len + 1 or more) */
	double calories; /* -1 when unknown; for counters only */
	uint64_t content_hash; /* of the page it came from: kept with its delivered mark */
	size_t ring_bytes; /* charged to the ring's byte budget (rsd_record_bytes) until freed */
	uint64_t ticket; /* cluster mode: the page's frontier ticket, settled by the
			    * producer when the record is freed (0 = none) */
	/* Producer bookkeeping (touched only by the producer thread). */
	int pending_reports; /* delivery reports still expected */
	bool delivered; /* the parsed-record message was acknowledged */
};

/* Takes ownership of nothing: serializes rec (adds scraped_at = now, RFC 3339
 * UTC, when absent) and copies url and raw (raw may be NULL). NULL on ENOMEM. */
struct rsd_record *rsd_record_new(const char *url, cJSON *rec, const char *raw, size_t raw_len);
/* Gives r the raw page: raw (malloc'd, cap bytes holding raw_len bytes then
 * a NUL) becomes r's, in place of a copy of a page of hundreds of
 * kilobytes; r's free hands it to the spare buffers (bufpool.h). */
void rsd_record_adopt_raw(struct rsd_record *r, char *raw, size_t raw_len, size_t cap);
void rsd_record_free(struct rsd_record *r); /* accepts NULL */
/* What r is charged in the ring's byte budget: the memory r holds, plus
 * librdkafka's compressed copy of each message made from it while the
 * message is in flight (a codec's output buffer is sized to its input's
 * bound, about the input): the record's JSON always (the record topic is
 * compressed unless configured otherwise), the raw page when raw_compressed
 * (raw_compression other than none; uncompressed, librdkafka sends from
 * r's buffer). */
size_t rsd_record_bytes(const struct rsd_record *r, bool raw_compressed);

/* Format t as RFC 3339 UTC ("2026-11-25T15:04:05Z") into buf (>= 21 bytes). */
void rsd_format_rfc3339(time_t t, char *buf, size_t len);

#endif
