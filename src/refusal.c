/* SPDX-License-Identifier: MIT */
/* Refusal causes and the rate-limited report table (see refusal.h). */

#include "refusal.h"
#include "url.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const struct rsd_cause_info causes[RSD_CAUSE_COUNT] = {
	[RSD_CAUSE_PRIVATE_ADDRESS] = { "private_address", "private address",
					"allow_private_addresses = off",
					"PAGES_REFUSED_PRIVATE_ADDRESS" },
	[RSD_CAUSE_ROBOTS_DISALLOW] = { "robots_disallow", "robots.txt disallow", "robots = on",
					"PAGES_REFUSED_ROBOTS_DISALLOW" },
	[RSD_CAUSE_ROBOTS_UNREACHABLE] = { "robots_unreachable", "robots.txt unreachable",
					   "robots = on", "PAGES_REFUSED_ROBOTS_UNREACHABLE" },
	[RSD_CAUSE_OUT_OF_SCOPE] = { "out_of_scope", "out of scope", "allowed_hosts",
				     "PAGES_REFUSED_OUT_OF_SCOPE" },
	[RSD_CAUSE_NOT_FOLLOWED] = { "not_followed", "not followed", "follow, recipe",
				     "PAGES_REFUSED_NOT_FOLLOWED" },
	[RSD_CAUSE_TOO_BIG] = { "too_big", "too big", "max_page_bytes", "PAGES_REFUSED_TOO_BIG" },
	[RSD_CAUSE_REDIRECT] = { "redirect", "redirect refused", NULL, "PAGES_REFUSED_REDIRECT" },
	[RSD_CAUSE_SCHEME] = { "scheme", "non-http scheme", NULL, "PAGES_REFUSED_SCHEME" },
	[RSD_CAUSE_INVALID_URL] = { "invalid_url", "invalid URL", NULL,
				    "PAGES_REFUSED_INVALID_URL" },
	[RSD_CAUSE_LIMIT] = { "limit", "crawl limit", NULL, "PAGES_REFUSED_LIMIT" },
	[RSD_CAUSE_DEPTH] = { "depth", "at max_depth", "max_depth", "PAGES_SKIPPED_DEPTH" },
	[RSD_CAUSE_MAX_PAGES] = { "max_pages", "max_pages reached", "max_pages",
				  "PAGES_SKIPPED_MAX_PAGES" },
	[RSD_CAUSE_DELIVERED] = { "delivered", "already delivered", "state_dir",
				  "PAGES_SKIPPED_DELIVERED" },
	[RSD_CAUSE_UNCHANGED] = { "unchanged", "unchanged", NULL, "PAGES_SKIPPED_UNCHANGED" },
	[RSD_CAUSE_DUPLICATE] = { "duplicate", "duplicate recipe", "dedup_canonical = on",
				  "PAGES_SKIPPED_DUPLICATE" },
};

const struct rsd_cause_info *rsd_cause_info(enum rsd_cause c)
{
	return &causes[c < RSD_CAUSE_COUNT ? c : RSD_CAUSE_LIMIT];
}

bool rsd_cause_is_refusal(enum rsd_cause c)
{
	return c < RSD_CAUSE_DEPTH;
}

/* ---- the report table ---- */

struct rsd_refusal_table {
	pthread_mutex_t lock;
	uint64_t *slots;  /* 0 = empty; open addressing, at most half full */
	size_t n_slots;   /* a power of two >= 2 * capacity */
	size_t capacity, used;
	bool overflowed;  /* RSD_REPORT_FULL was returned */
	uint64_t not_itemised;
};

int rsd_refusal_table_new(size_t capacity, struct rsd_refusal_table **out)
{
	*out = NULL;
	if (capacity == 0 || capacity > SIZE_MAX / 4 / sizeof(uint64_t))
		return -EINVAL;
	struct rsd_refusal_table *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->capacity = capacity;
	for (t->n_slots = 2; t->n_slots < 2 * capacity; t->n_slots *= 2)
		;
	t->slots = calloc(t->n_slots, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		return -ENOMEM;
	}
	pthread_mutex_init(&t->lock, NULL);
	*out = t;
	return 0;
}

void rsd_refusal_table_free(struct rsd_refusal_table *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t->slots);
	free(t);
}

void rsd_refusal_table_reset(struct rsd_refusal_table *t)
{
	pthread_mutex_lock(&t->lock);
	memset(t->slots, 0, t->n_slots * sizeof(*t->slots));
	t->used = 0;
	t->overflowed = false;
	t->not_itemised = 0;
	pthread_mutex_unlock(&t->lock);
}

/* The cause goes into the hashed bytes, so "a.test" refused for two causes
 * gives two unrelated keys. */
static uint64_t pair_key(const char *host, enum rsd_cause cause)
{
	size_t len = strlen(host);
	char buf[256 + 1];
	if (len > sizeof(buf) - 1)
		len = sizeof(buf) - 1; /* DNS names are at most 253 octets */
	buf[0] = (char)('A' + cause);
	memcpy(buf + 1, host, len);
	uint64_t h = rsd_url_hash(buf, len + 1);
	return h ? h : 1;
}

enum rsd_report rsd_refusal_table_note(struct rsd_refusal_table *t, const char *host,
				       enum rsd_cause cause)
{
	uint64_t key = pair_key(host ? host : "", cause);
	enum rsd_report verdict = RSD_REPORT_REPEAT;
	pthread_mutex_lock(&t->lock);
	size_t i = key & (t->n_slots - 1);
	/* Bounded: the table is never more than half full. */
	while (t->slots[i] && t->slots[i] != key)
		i = (i + 1) & (t->n_slots - 1);
	if (t->slots[i] == 0) {
		if (t->used < t->capacity) {
			t->slots[i] = key;
			t->used++;
			verdict = RSD_REPORT_NEW;
		} else {
			verdict = t->overflowed ? RSD_REPORT_SUPPRESSED : RSD_REPORT_FULL;
			t->overflowed = true;
			t->not_itemised++;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return verdict;
}

size_t rsd_refusal_table_size(struct rsd_refusal_table *t)
{
	pthread_mutex_lock(&t->lock);
	size_t n = t->used;
	pthread_mutex_unlock(&t->lock);
	return n;
}

uint64_t rsd_refusal_table_not_itemised(struct rsd_refusal_table *t)
{
	pthread_mutex_lock(&t->lock);
	uint64_t n = t->not_itemised;
	pthread_mutex_unlock(&t->lock);
	return n;
}
