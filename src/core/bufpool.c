/* SPDX-License-Identifier: MIT */
/* Spare page buffers (see bufpool.h). */
#include "core/bufpool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

/* Smaller buffers come from malloc's arenas, which reuse memory anyway;
 * larger ones are rare and would crowd the pool. */
#define POOL_MIN_BYTES (64u << 10)
#define POOL_MAX_BYTES (2u << 20)
#define POOL_SLOTS 16

static struct {
	pthread_mutex_t lock;
	void *buf[POOL_SLOTS];
	size_t cap[POOL_SLOTS];
	size_t n, bytes;
} pool = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* The spare buffer that fits want best, or the largest one (realloc grows
 * it); NULL when the pool is empty. Called with the lock held. */
static void *take_locked(size_t want, size_t *cap)
{
	size_t best = pool.n;
	for (size_t i = 0; i < pool.n; i++) {
		bool fits = pool.cap[i] >= want;
		bool best_fits = best < pool.n && pool.cap[best] >= want;
		if (best == pool.n || (fits && (!best_fits || pool.cap[i] < pool.cap[best])) ||
		    (!fits && !best_fits && pool.cap[i] > pool.cap[best]))
			best = i;
	}
	if (best == pool.n)
		return NULL;
	void *buf = pool.buf[best];
	*cap = pool.cap[best];
	pool.bytes -= *cap;
	pool.n--;
	pool.buf[best] = pool.buf[pool.n];
	pool.cap[best] = pool.cap[pool.n];
	return buf;
}

void *rsd_bufpool_get(size_t want, size_t *cap)
{
	void *buf = NULL;
	if (want >= POOL_MIN_BYTES / 4) {
		pthread_mutex_lock(&pool.lock);
		buf = take_locked(want, cap);
		pthread_mutex_unlock(&pool.lock);
	}
	if (buf && *cap >= want)
		return buf;
	/* realloc keeps the spare's mapped pages; on failure it stays ours. */
	void *grown = realloc(buf, want);
	if (!grown) {
		free(buf);
		return NULL;
	}
	*cap = want;
	return grown;
}

void rsd_bufpool_put(void *buf, size_t cap)
{
	if (!buf)
		return;
	if (cap >= POOL_MIN_BYTES && cap <= POOL_MAX_BYTES) {
		pthread_mutex_lock(&pool.lock);
		bool kept = pool.n < POOL_SLOTS && pool.bytes + cap <= RSD_BUFPOOL_BYTES;
		if (kept) {
			pool.buf[pool.n] = buf;
			pool.cap[pool.n++] = cap;
			pool.bytes += cap;
		}
		pthread_mutex_unlock(&pool.lock);
		if (kept)
			return;
	}
	free(buf);
}
