/* SPDX-License-Identifier: MIT */
#ifndef RSD_TEST_KAFKA_HELPERS_H
#define RSD_TEST_KAFKA_HELPERS_H

/* Shared fixtures of the kafka tests: a config built in memory, records,
 * bounded waits on an eventfd, and reading back what a sink printed. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cjson/cJSON.h>
#include <librdkafka/rdkafka.h>

#include "config/config.h"
#include "core/record.h"

#define T_TOPIC "parsed_recipes"
#define T_RAW_TOPIC "raw_recipes"

/* A config with the defaults the kafka modules read; strings are static. */
struct t_config {
	struct rsd_config cfg;
	char *topics[2];
	struct rsd_kv producer_kv[8], consumer_kv[8];
};
void t_config_init(struct t_config *tc, const char *group);
void t_producer_prop(struct t_config *tc, const char *key, const char *value);
void t_consumer_prop(struct t_config *tc, const char *key, const char *value);

char *t_url(int i); /* malloc'ed "https://recipes.test/r/<i>" */
/* calories < 0: none. with_raw: attach a small raw HTML page. */
struct rsd_record *t_record(int i, double calories, bool with_raw);

/* Waits (bounded by timeout_ms) until pred(arg) is true, re-checking
 * whenever fd becomes readable (and every 50 ms as a safety net). */
bool t_wait(int fd, bool (*pred)(void *), void *arg, int timeout_ms);

/* Output of a stdout sink: one parsed JSON object per line. */
struct t_lines {
	cJSON **items;
	size_t n;
};
void t_lines_parse(struct t_lines *l, const char *buf, size_t len);
void t_lines_free(struct t_lines *l);
const char *t_field(const cJSON *line, const char *name); /* NULL when absent */
/* Number of lines whose RECIPE_URL is url. */
size_t t_count_url(const struct t_lines *l, const char *url);

/* A plain producer for messages the daemon would never produce. */
rd_kafka_t *t_raw_producer(const char *bootstrap, const char *max_bytes);
void t_produce_raw(rd_kafka_t *rk, const char *topic, int32_t partition, const void *value,
		   size_t len);

/* Committed offset of group for topic/partition (-1001 when none). */
int64_t t_committed(const char *bootstrap, const char *group, const char *topic, int32_t partition);

#endif
