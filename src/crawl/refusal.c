/* SPDX-License-Identifier: MIT */
/* Refusal causes and the rate-limited report table (see refusal.h). */

#include "crawl/refusal.h"
#include "core/url.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define CAUSE(id, name_, label_, key_, setting_, remedy_, field_) \
	[id] = { .name = name_,                                   \
		 .label = label_,                                 \
		 .key = key_,                                     \
		 .setting = setting_,                             \
		 .remedy = remedy_,                               \
		 .field = field_ }

static const struct rsd_cause_info causes[RSD_CAUSE_COUNT] = {
	CAUSE(RSD_CAUSE_PRIVATE_ADDRESS, "private_address", "private address",
	      "allow_private_addresses", "allow_private_addresses = off",
	      "allow_private_addresses = on allows it", "PAGES_REFUSED_PRIVATE_ADDRESS"),
	CAUSE(RSD_CAUSE_ROBOTS_DISALLOW, "robots_disallow", "robots.txt disallow", "robots",
	      "robots = on", "robots = off would ignore robots.txt",
	      "PAGES_REFUSED_ROBOTS_DISALLOW"),
	CAUSE(RSD_CAUSE_ROBOTS_UNREACHABLE, "robots_unreachable", "robots.txt unreachable",
	      "robots", "robots = on",
	      "robots.txt is asked again within the hour; robots = off would ignore it",
	      "PAGES_REFUSED_ROBOTS_UNREACHABLE"),
	CAUSE(RSD_CAUSE_OUT_OF_SCOPE, "out_of_scope", "out of scope", "allowed_hosts",
	      "allowed_hosts", "allowed_hosts lists the hosts crawled",
	      "PAGES_REFUSED_OUT_OF_SCOPE"),
	CAUSE(RSD_CAUSE_NOT_FOLLOWED, "not_followed", "not followed", "follow", "follow, recipe",
	      "follow and recipe choose the links followed", "PAGES_REFUSED_NOT_FOLLOWED"),
	CAUSE(RSD_CAUSE_TOO_BIG, "too_big", "too big", "max_page_bytes", "max_page_bytes",
	      "max_page_bytes raises the limit", "PAGES_REFUSED_TOO_BIG"),
	CAUSE(RSD_CAUSE_REDIRECT, "redirect", "redirect refused", NULL, NULL,
	      "the limit of 5 redirects is fixed", "PAGES_REFUSED_REDIRECT"),
	CAUSE(RSD_CAUSE_SCHEME, "scheme", "non-http scheme", NULL, NULL,
	      "such links are never fetched", "PAGES_REFUSED_SCHEME"),
	CAUSE(RSD_CAUSE_INVALID_URL, "invalid_url", "invalid URL", NULL, NULL,
	      "the URL cannot be fetched as written", "PAGES_REFUSED_INVALID_URL"),
	CAUSE(RSD_CAUSE_LIMIT, "limit", "crawl limit", NULL, NULL, "the limit is fixed",
	      "PAGES_REFUSED_LIMIT"),
	CAUSE(RSD_CAUSE_QUEUE_FULL, "queue_full", "frontier full", "max_queued",
	      "max_queued, max_queued_per_host",
	      "max_queued and max_queued_per_host raise the bounds; the URL is admitted again when "
	      "found after the queue drained",
	      "PAGES_REFUSED_QUEUE_FULL"),
	CAUSE(RSD_CAUSE_DEPTH, "depth", "at max_depth", "max_depth", "max_depth",
	      "max_depth raises the depth", "PAGES_SKIPPED_DEPTH"),
	CAUSE(RSD_CAUSE_MAX_PAGES, "max_pages", "max_pages reached", "max_pages", "max_pages",
	      "max_pages = 0 removes the limit", "PAGES_SKIPPED_MAX_PAGES"),
	CAUSE(RSD_CAUSE_DELIVERED, "delivered", "already delivered", "state_dir", NULL,
	      "an empty state_dir fetches them again", "PAGES_SKIPPED_DELIVERED"),
	CAUSE(RSD_CAUSE_UNCHANGED, "unchanged", "unchanged", NULL, NULL,
	      "unchanged pages have unchanged records", "PAGES_SKIPPED_UNCHANGED"),
	CAUSE(RSD_CAUSE_DUPLICATE, "duplicate", "duplicate recipe", "dedup_canonical",
	      "dedup_canonical = on", "dedup_canonical = off publishes every page's record",
	      "PAGES_SKIPPED_DUPLICATE"),
	CAUSE(RSD_CAUSE_MARKUP, "markup", "markup over its parse budget", NULL, NULL,
	      "the budget grows with the page and is fixed; the page is read from its JSON-LD and "
	      "<meta> tags, or the part around its microdata Recipe",
	      "PAGES_SKIPPED_MARKUP"),
};

#undef CAUSE

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
	uint64_t *slots; /* 0 = empty; open addressing, at most half full */
	size_t n_slots; /* a power of two >= 2 * capacity */
	size_t capacity, used;
	bool overflowed; /* RSD_REPORT_FULL was returned */
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

/* ---- the per-page line budget ---- */

void rsd_line_budget_init(struct rsd_line_budget *b, unsigned rate, unsigned burst,
			  uint64_t now_usec)
{
	pthread_mutex_init(&b->lock, NULL);
	b->rate = rate;
	b->burst = burst;
	b->tokens = burst;
	b->last_usec = now_usec;
	b->suppressed = 0;
}

void rsd_line_budget_destroy(struct rsd_line_budget *b)
{
	pthread_mutex_destroy(&b->lock);
}

bool rsd_line_budget_take(struct rsd_line_budget *b, uint64_t now_usec, uint64_t *suppressed)
{
	pthread_mutex_lock(&b->lock);
	/* Callers on several threads read the clock before the lock: a time
	 * slightly older than the last refill adds nothing. */
	if (now_usec > b->last_usec) {
		b->tokens += (double)(now_usec - b->last_usec) * b->rate / 1e6;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
		b->last_usec = now_usec;
	}
	bool ok = b->tokens >= 1.0;
	if (ok) {
		b->tokens -= 1.0;
		*suppressed = b->suppressed;
		b->suppressed = 0;
	} else {
		b->suppressed++;
	}
	pthread_mutex_unlock(&b->lock);
	return ok;
}

uint64_t rsd_line_budget_flush(struct rsd_line_budget *b)
{
	pthread_mutex_lock(&b->lock);
	uint64_t n = b->suppressed;
	b->suppressed = 0;
	pthread_mutex_unlock(&b->lock);
	return n;
}
