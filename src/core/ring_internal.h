/* SPDX-License-Identifier: MIT */
#ifndef RECIPE_SCRAPERD_RING_INTERNAL_H
#define RECIPE_SCRAPERD_RING_INTERNAL_H

/* The entry point of the ring (core/ring.h) that the daemon does not use and
 * that cannot be built from its public API. Included by ring.c itself,
 * tests/ring and bench/ring only, never by other daemon code:
 *   - rsd_ring_mp_try_enqueue: the only way to see "full" without blocking,
 *     which is how the tests check the slot hand-back rule (a lap of taken
 *     slots is free again only per cache line, or when the consumer finds
 *     the ring empty) and how the benchmark's spinning variant compares the
 *     ring with ck_ring under the same waiting strategy.
 * A blocking dequeue is built from the public API in tests/support/ring_wait.h. */

#include "core/ring.h"

/* 0 on success; -EAGAIN when full; -EPIPE when closed; -EINVAL for a NULL item.
 * "Full" counts slots the consumer has taken but not yet handed back: rings
 * of 32 slots or more hand them back 8 at a time (a cache line), or all at
 * once when the consumer finds the ring empty. */
int rsd_ring_mp_try_enqueue(rsd_ring *ring, void *item);

#endif
