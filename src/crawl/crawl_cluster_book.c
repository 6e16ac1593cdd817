/* SPDX-License-Identifier: MIT */
/* Cluster-mode bookkeeping (see crawl_cluster_book.h). */
#include "crawl/crawl_cluster_book.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- done map ---- */

static size_t slot_of(const struct rsd_done_map *m, uint64_t key)
{
	size_t i = key & (m->cap - 1);
	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static int done_grow(struct rsd_done_map *m)
{
	struct rsd_done_map bigger = { .cap = m->cap ? 2 * m->cap : 1024 };
	bigger.keys = calloc(bigger.cap, sizeof(*bigger.keys));
	bigger.vals = calloc(bigger.cap, sizeof(*bigger.vals));
	if (!bigger.keys || !bigger.vals) {
		rsd_done_free(&bigger);
		return -ENOMEM;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t j = slot_of(&bigger, m->keys[i]);
		bigger.keys[j] = m->keys[i];
		bigger.vals[j] = m->vals[i];
		bigger.n++;
	}
	rsd_done_free(m);
	*m = bigger;
	return 0;
}

int rsd_done_put(struct rsd_done_map *m, uint64_t key, int64_t val)
{
	key = key ? key : 1; /* 0 marks an empty slot */
	if (2 * (m->n + 1) > m->cap && done_grow(m) < 0)
		return -ENOMEM;
	size_t i = slot_of(m, key);
	if (!m->keys[i]) {
		m->keys[i] = key;
		m->n++;
	}
	m->vals[i] = val;
	return 0;
}

int64_t rsd_done_get(const struct rsd_done_map *m, uint64_t key)
{
	key = key ? key : 1;
	if (!m->cap)
		return 0;
	size_t i = slot_of(m, key);
	return m->keys[i] ? m->vals[i] : 0;
}

void rsd_done_free(struct rsd_done_map *m)
{
	free(m->keys);
	free(m->vals);
	*m = (struct rsd_done_map){ 0 };
}

/* ---- tickets ---- */

uint64_t rsd_book_ticket(uint16_t generation, int32_t partition, uint64_t seq)
{
	return (uint64_t)generation << 48 | (uint64_t)(uint16_t)partition << 32 |
	       (seq & UINT32_MAX);
}

void rsd_book_ticket_split(uint64_t ticket, uint16_t *generation, int32_t *partition, uint64_t *seq)
{
	*generation = (uint16_t)(ticket >> 48);
	*partition = (int32_t)(uint16_t)(ticket >> 32);
	*seq = ticket & UINT32_MAX;
}

/* ---- partitions ---- */

/* Drops the settled prefix from the array once it is half of it, so that
 * the array stays proportional to what is unsettled. */
static void compact(struct rsd_book_part *p)
{
	if (p->head < 64 || 2 * p->head < p->n)
		return;
	memmove(p->items, p->items + p->head, (p->n - p->head) * sizeof(*p->items));
	p->first_seq += p->head;
	p->n -= p->head;
	p->head = 0;
}

int rsd_book_add(struct rsd_book_part *p, int64_t offset, uint64_t hash, const char *url,
		 enum rsd_pending_state state, uint64_t *seq)
{
	if (!p->first_seq)
		p->first_seq = 1; /* ticket 0 means none */
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;
		struct rsd_pending *a = realloc(p->items, cap * sizeof(*a));
		if (!a)
			return -ENOMEM;
		p->items = a;
		p->cap = cap;
	}
	struct rsd_pending *it = &p->items[p->n];
	*it = (struct rsd_pending){ .offset = offset, .hash = hash, .state = (uint8_t)state };
	if (state == PENDING_QUEUED && !(it->url = strdup(url)))
		return -ENOMEM;
	*seq = p->first_seq + p->n;
	p->n++;
	p->next = offset + 1;
	if (state == PENDING_QUEUED)
		p->queued++;
	rsd_book_settle(p, it, state); /* moves the head past a settled one */
	return 0;
}

struct rsd_pending *rsd_book_find(struct rsd_book_part *p, uint64_t seq)
{
	if (seq < p->first_seq + p->head || seq >= p->first_seq + p->n)
		return NULL;
	return &p->items[seq - p->first_seq];
}

void rsd_book_settle(struct rsd_book_part *p, struct rsd_pending *item, enum rsd_pending_state st)
{
	if (item->state == PENDING_QUEUED && st != PENDING_QUEUED) {
		p->queued--;
		free(item->url);
		item->url = NULL;
	}
	item->state = (uint8_t)st;
	while (p->head < p->n && p->items[p->head].state == PENDING_SETTLED)
		p->head++;
	compact(p);
}

int64_t rsd_book_commit_point(const struct rsd_book_part *p)
{
	return p->head < p->n ? p->items[p->head].offset : p->next;
}

void rsd_book_reset(struct rsd_book_part *p, void (*each)(void *ctx, uint64_t hash), void *ctx)
{
	for (size_t i = p->head; i < p->n; i++) {
		if (p->items[i].state == PENDING_QUEUED && each)
			each(ctx, p->items[i].hash);
		free(p->items[i].url);
	}
	/* Numbering goes on: a late ticket of the old items finds nothing. */
	p->first_seq += p->n;
	p->head = p->n = 0;
	p->queued = 0;
}
