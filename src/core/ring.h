/* SPDX-License-Identifier: MIT */
#ifndef RECIPE_SCRAPERD_RING_H
#define RECIPE_SCRAPERD_RING_H

/* Bounded lock-free multi-producer / single-consumer queue of pointers.
 *
 * Concurrency contract (encoded in each function's name, as in ck_ring):
 *   rsd_ring_mp_*   any number of threads at once (producers)
 *   rsd_ring_sc_*   exactly one thread at a time (the consumer)
 *   others          any thread
 *
 * Items are opaque non-NULL pointers; the ring never dereferences them.
 * Ownership of an item passes to the ring when an enqueue returns 0 and to the
 * consumer when a dequeue returns 0. A failed enqueue leaves the item with
 * the caller.
 *
 * Blocking: a full ring blocks producers in rsd_ring_mp_enqueue_wait()
 * without polling (a few sched_yield() rounds, then a futex sleep); the
 * consumer sleeps in poll(2) on rsd_ring_sc_wait_fd() beside its other fds
 * (rsd_ring_sc_arm/disarm). rsd_ring_close() wakes every waiter.
 *
 * This is the API the daemon uses. core/ring_internal.h adds one entry point
 * that only the ring's tests and benchmark need.
 *
 * Environment: RSD_RING_FENCE=seq_cst (read once per process) disables the
 * membarrier(2) based fences in favour of seq_cst fences on every enqueue;
 * the ring falls back to those by itself when membarrier is unavailable. */

#include <stdbool.h>
#include <stddef.h>

typedef struct rsd_ring rsd_ring;

/* capacity must be a power of two, 2 .. 2^30. Returns 0, -EINVAL or -ENOMEM. */
int rsd_ring_new(size_t capacity, rsd_ring **out);
/* Accepts NULL. The ring must be empty or its items are leaked (it cannot free them). */
void rsd_ring_free(rsd_ring *ring);

/* Blocks while full. 0 on success; -EPIPE when the ring is (or becomes) closed;
 * -EINVAL for a NULL item. */
int rsd_ring_mp_enqueue_wait(rsd_ring *ring, void *item);

/* 0 and *item set; -EAGAIN when empty; -EPIPE when closed and empty. */
int rsd_ring_sc_try_dequeue(rsd_ring *ring, void **item);
/* Takes up to max (>= 1) items at once, in ring order, into items[0..*count):
 * one store of the consumer index and one wake-up check for the whole batch.
 * 0 with *count >= 1; -EAGAIN when empty; -EPIPE when closed and empty;
 * -EINVAL when max is 0.  *count is 0 on every error. */
int rsd_ring_sc_try_dequeue_batch(rsd_ring *ring, void **items, size_t max, size_t *count);

/* For a consumer that multiplexes the ring with other fds in poll(2):
 * rsd_ring_sc_wait_fd() is an fd that becomes readable (POLLIN) after an
 * enqueue into a ring whose consumer is armed, or after close.
 * rsd_ring_sc_arm() returns false when the ring is non-empty or closed (do not
 * sleep, dequeue instead); true when armed (poll the fd now).  Precisely:
 * false when a dequeue would not return -EAGAIN; an item claimed by a producer
 * but not yet published counts as empty (its publication wakes the fd).
 * rsd_ring_sc_disarm() must follow every arm that returned true, after poll
 * returns, whatever woke it; it consumes the fd's readiness. */
int rsd_ring_sc_wait_fd(const rsd_ring *ring);
bool rsd_ring_sc_arm(rsd_ring *ring);
void rsd_ring_sc_disarm(rsd_ring *ring);

/* Byte budget, beside the slots (which bound the count, not the size):
 * rsd_ring_set_max_bytes() before any enqueue (0, the default: none).
 * rsd_ring_mp_enqueue_wait_bytes() charges `bytes` for the item, blocking
 * (futex, no polling) while the charged total would exceed max_bytes (an
 * item always fits an empty budget), then enqueues like
 * rsd_ring_mp_enqueue_wait(); on failure nothing stays charged. Whoever
 * frees the item afterwards calls rsd_ring_release_bytes() with the same
 * bytes (any thread): the budget covers the items until they are freed,
 * not only while queued. */
int rsd_ring_set_max_bytes(rsd_ring *ring, size_t max_bytes);
int rsd_ring_mp_enqueue_wait_bytes(rsd_ring *ring, void *item, size_t bytes);
void rsd_ring_release_bytes(rsd_ring *ring, size_t bytes);
/* Bytes charged now (enqueued with _wait_bytes, not yet released): the
 * metrics' ring_bytes; the tests check it exactly. */
size_t rsd_ring_bytes(const rsd_ring *ring);

/* After close, enqueues fail with -EPIPE and the consumer drains what is left. */
void rsd_ring_close(rsd_ring *ring);

/* Approximate number of queued items (exact when no operation is in progress). */
size_t rsd_ring_size(const rsd_ring *ring);
size_t rsd_ring_capacity(const rsd_ring *ring);

#endif
