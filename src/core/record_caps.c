/* SPDX-License-Identifier: MIT */
/* Size caps of a record (see record_caps.h). Applied once, to the finished
 * record, so that the extraction paths stay free of size concerns and the
 * caps live in one table. */
#include "core/record_caps.h"

#include "core/url.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum cap_kind { CAP_TEXT, CAP_URL, CAP_LIST, CAP_MAP };

struct cap {
	const char *key;
	enum cap_kind kind;
	size_t item; /* serialized bytes of the value, or of each item */
	size_t items; /* CAP_LIST, CAP_MAP: item count */
};

/* In record order (docs/architecture.md "Record"). */
static const struct cap CAPS[] = {
	{ "canonical_url", CAP_URL, RSD_CAP_URL, 0 },
	{ "site_name", CAP_TEXT, RSD_CAP_NAME, 0 },
	{ "language", CAP_TEXT, RSD_CAP_LANGUAGE, 0 },
	{ "title", CAP_TEXT, RSD_CAP_NAME, 0 },
	{ "author", CAP_TEXT, RSD_CAP_NAME, 0 },
	{ "description", CAP_TEXT, RSD_CAP_DESCRIPTION, 0 },
	{ "image", CAP_URL, RSD_CAP_URL, 0 },
	{ "yields", CAP_TEXT, RSD_CAP_NAME, 0 },
	{ "ingredients", CAP_LIST, RSD_CAP_INGREDIENT, RSD_CAP_INGREDIENTS },
	{ "instructions_list", CAP_LIST, RSD_CAP_STEP, RSD_CAP_STEPS },
	{ "category", CAP_LIST, RSD_CAP_TERM, RSD_CAP_TERMS },
	{ "cuisine", CAP_LIST, RSD_CAP_TERM, RSD_CAP_TERMS },
	{ "keywords", CAP_LIST, RSD_CAP_TERM, RSD_CAP_KEYWORDS },
	{ "nutrients", CAP_MAP, RSD_CAP_NUTRIENT, RSD_CAP_NUTRIENTS },
};

#define N_CAPS (sizeof CAPS / sizeof CAPS[0])

/* Bytes c takes inside a JSON string as cJSON_PrintUnformatted writes it. */
static size_t escaped(unsigned char c)
{
	if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t')
		return 2;
	return c < 0x20 ? 6 : 1;
}

/* Bytes of s's longest prefix, ending on a character boundary, whose
 * serialized form is at most max bytes; strlen(s) when all of it fits. */
static size_t fitting_prefix(const char *s, size_t max)
{
	/* No byte takes more than six: a string that short fits whole,
	 * as nearly every one does (a byte loop per string was most of the
	 * caps' cost on every record). */
	size_t len = strlen(s);
	if (len <= max / 6)
		return len;
	size_t cost = 0, fit = 0, i = 0;
	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			fit = i; /* s[0..i) ends on a boundary and cost <= max */
		cost += escaped((unsigned char)s[i]);
		if (cost > max)
			return fit;
	}
	return i;
}

/* Cuts a string item to max serialized bytes; true when it was cut. */
static bool cut_string(cJSON *item, size_t max)
{
	if (!cJSON_IsString(item) || !item->valuestring)
		return false;
	size_t n = fitting_prefix(item->valuestring, max);
	if (!item->valuestring[n])
		return false;
	/* cJSON owns valuestring (malloc'd): shortening it in place is safe */
	item->valuestring[n] = '\0';
	return true;
}

/* Drops the items from index keep on, in one pass (deleting them one by
 * one from the end would walk the list for each). keep > 0. */
static bool cut_tail(cJSON *arr, size_t keep)
{
	cJSON *e = arr->child;
	for (size_t i = 0; e && i < keep; i++)
		e = e->next;
	if (!e)
		return false;
	/* cJSON keeps the last item in child->prev: the new last is e->prev */
	arr->child->prev = e->prev;
	e->prev->next = NULL;
	cJSON_Delete(e); /* frees e and every sibling after it */
	return true;
}

static bool cap_list(cJSON *arr, const struct cap *c)
{
	bool cut = cut_tail(arr, c->items);
	cJSON *e;
	cJSON_ArrayForEach (e, arr)
		cut |= cut_string(e, c->item);
	return cut;
}

static bool cap_map(cJSON *obj, const struct cap *c)
{
	bool cut = false;
	int kept = 0;
	for (cJSON *e = obj->child, *next; e; e = next) {
		next = e->next;
		if (kept >= (int)c->items ||
		    fitting_prefix(e->string, RSD_CAP_NUTRIENT_NAME) != strlen(e->string)) {
			cJSON_Delete(cJSON_DetachItemViaPointer(obj, e));
			cut = true;
			continue;
		}
		kept++;
		cut |= cut_string(e, c->item);
	}
	return cut;
}

static bool cap_field(cJSON *rec, const struct cap *c)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, c->key);
	if (!v)
		return false;
	switch (c->kind) {
	case CAP_TEXT:
		return cut_string(v, c->item);
	case CAP_URL: /* a cut URL would name another resource */
		if (!cJSON_IsString(v) ||
		    fitting_prefix(v->valuestring, c->item) == strlen(v->valuestring))
			return false;
		cJSON_DeleteItemFromObjectCaseSensitive(rec, c->key);
		return true;
	case CAP_LIST:
		return cJSON_IsArray(v) && cap_list(v, c);
	case CAP_MAP:
		return cJSON_IsObject(v) && cap_map(v, c);
	}
	return false;
}

int rsd_record_caps_apply(cJSON *rec)
{
	cJSON *truncated = NULL;
	for (size_t i = 0; i < N_CAPS; i++) {
		if (!cap_field(rec, &CAPS[i]))
			continue;
		cJSON *name = cJSON_CreateString(CAPS[i].key);
		if (!name ||
		    (!truncated && !(truncated = cJSON_AddArrayToObject(rec, "truncated"))) ||
		    !cJSON_AddItemToArray(truncated, name)) {
			cJSON_Delete(name);
			return -ENOMEM;
		}
	}
	return 0;
}

/* "key": plus the comma before it. */
static size_t member(const char *key)
{
	return 1 + strlen(key) + 3;
}

size_t rsd_record_caps_bound(void)
{
	/* {} ; url and host: every byte of an admitted URL escaped (6 each);
	 * schema, the three times, ratings, ratings_count, calories: numbers
	 * of at most 32 characters; scraped_at: a 20-byte RFC 3339 time. */
	size_t n = 2 + member("url") + member("host") + 2 * (6 * RSD_URL_MAX_BYTES + 2);
	n += 7 * (member("ratings_count") + 32) + member("scraped_at") + 22;
	size_t names = 2;
	for (size_t i = 0; i < N_CAPS; i++) {
		const struct cap *c = &CAPS[i];
		size_t v = c->item + 2;
		if (c->kind == CAP_LIST)
			v = 2 + c->items * (c->item + 3);
		else if (c->kind == CAP_MAP)
			v = 2 + c->items * (RSD_CAP_NUTRIENT_NAME + 3 + c->item + 3);
		n += member(c->key) + v;
		names += strlen(c->key) + 3;
	}
	return n + member("truncated") + names;
}
