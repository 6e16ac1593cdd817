/* SPDX-License-Identifier: MIT */
#include "kafka_helpers.h"

#include <check.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void t_config_init(struct t_config *tc, const char *group)
{
	memset(tc, 0, sizeof(*tc));
	tc->cfg.path = "test.ini";
	tc->cfg.topic = T_TOPIC;
	tc->cfg.raw_topic = T_RAW_TOPIC;
	tc->cfg.max_page_bytes = 10u << 20; /* the configuration's defaults */
	tc->cfg.shutdown_timeout_s = 30;
	tc->cfg.partitions = 6;
	tc->cfg.consumer_enabled = true;
	tc->cfg.group_id = (char *)group;
	tc->topics[0] = T_TOPIC;
	tc->cfg.topics.items = tc->topics;
	tc->cfg.topics.n = 1;
	tc->cfg.calorie_threshold = 200;
	tc->cfg.sink = RSD_SINK_STDOUT;
	tc->cfg.identifier = "recipe-scraperd";
	tc->cfg.producer_props.items = tc->producer_kv;
	tc->cfg.consumer_props.items = tc->consumer_kv;
	/* Fast group joins and topic discovery keep the tests short. Not
	 * faster than 2 s: at 500 ms librdkafka 2.0.2 can take the metadata
	 * for changed after every JoinGroup response and rejoin, 3-5 s a
	 * round, for a minute or more (seen: 0 messages consumed in 30 s). */
	t_consumer_prop(tc, "topic.metadata.refresh.interval.ms", "2000");
	t_consumer_prop(tc, "session.timeout.ms", "6000");
	t_consumer_prop(tc, "heartbeat.interval.ms", "500");
}

static void add_prop(struct rsd_kv_list *l, size_t cap, const char *key, const char *value)
{
	ck_assert_uint_lt(l->n, cap);
	l->items[l->n++] = (struct rsd_kv){ .key = (char *)key, .value = (char *)value, .line = 1 };
}

void t_producer_prop(struct t_config *tc, const char *key, const char *value)
{
	add_prop(&tc->cfg.producer_props, 8, key, value);
}

void t_consumer_prop(struct t_config *tc, const char *key, const char *value)
{
	add_prop(&tc->cfg.consumer_props, 8, key, value);
}

char *t_url(int i)
{
	char *url;

	ck_assert_int_ge(asprintf(&url, "https://recipes.test/r/%d", i), 0);
	return url;
}

struct rsd_record *t_record(int i, double calories, bool with_raw)
{
	char *url = t_url(i), title[64], raw[128];
	cJSON *doc = cJSON_CreateObject();
	struct rsd_record *rec;

	snprintf(title, sizeof(title), "Dish %d", i);
	cJSON_AddNumberToObject(doc, "schema", 1);
	cJSON_AddStringToObject(doc, "url", url);
	cJSON_AddStringToObject(doc, "host", "recipes.test");
	cJSON_AddStringToObject(doc, "title", title);
	if (calories >= 0)
		cJSON_AddNumberToObject(doc, "calories", calories);
	else
		cJSON_AddNullToObject(doc, "calories");
	snprintf(raw, sizeof(raw), "<html><title>Dish %d</title></html>", i);
	rec = rsd_record_new(url, doc, with_raw ? raw : NULL, with_raw ? strlen(raw) : 0);
	ck_assert_ptr_nonnull(rec);
	cJSON_Delete(doc);
	free(url);
	return rec;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool t_wait(int fd, bool (*pred)(void *), void *arg, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;

	while (!pred(arg)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - mono_ms();
		uint64_t v;

		if (left <= 0)
			return false;
		if (poll(&p, fd >= 0 ? 1 : 0, left < 50 ? (int)left : 50) > 0 &&
		    read(fd, &v, sizeof(v)) < 0) {
			/* drained by someone else */
		}
	}
	return true;
}

void t_lines_parse(struct t_lines *l, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len;

	memset(l, 0, sizeof(*l));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		cJSON *obj;

		ck_assert_msg(nl != NULL, "unterminated output line");
		obj = cJSON_ParseWithLength(p, (size_t)(nl - p));
		ck_assert_msg(obj != NULL, "output line is not JSON: %.*s", (int)(nl - p), p);
		l->items = realloc(l->items, (l->n + 1) * sizeof(*l->items));
		l->items[l->n++] = obj;
		p = nl + 1;
	}
}

void t_lines_free(struct t_lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		cJSON_Delete(l->items[i]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

const char *t_field(const cJSON *line, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(line, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

size_t t_count_url(const struct t_lines *l, const char *url)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++) {
		const char *u = t_field(l->items[i], "RECIPE_URL");

		n += u && strcmp(u, url) == 0;
	}
	return n;
}

rd_kafka_t *t_raw_producer(const char *bootstrap, const char *max_bytes)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[256];
	rd_kafka_t *rk;

	ck_assert_int_eq(rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)),
			 RD_KAFKA_CONF_OK);
	if (max_bytes)
		ck_assert_int_eq(
			rd_kafka_conf_set(conf, "message.max.bytes", max_bytes, err, sizeof(err)),
			RD_KAFKA_CONF_OK);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	ck_assert_msg(rk != NULL, "%s", err);
	return rk;
}

void t_produce_raw(rd_kafka_t *rk, const char *topic, int32_t partition, const void *value,
		   size_t len)
{
	rd_kafka_resp_err_t err = rd_kafka_producev(
		rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
		RD_KAFKA_V_VALUE((void *)value, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		RD_KAFKA_V_END);

	ck_assert_msg(err == 0, "produce: %s", rd_kafka_err2str(err));
	ck_assert_int_eq(rd_kafka_flush(rk, 10000), 0);
}

int64_t t_committed(const char *bootstrap, const char *group, const char *topic, int32_t partition)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	char err[256];
	rd_kafka_t *rk;
	int64_t off;

	rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err));
	rd_kafka_conf_set(conf, "group.id", group, err, sizeof(err));
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
	ck_assert_ptr_nonnull(rk);
	rd_kafka_topic_partition_list_add(l, topic, partition);
	ck_assert_int_eq(rd_kafka_committed(rk, l, 10000), 0);
	off = l->elems[0].offset;
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return off;
}
