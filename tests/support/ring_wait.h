/* SPDX-License-Identifier: MIT */
#ifndef RSD_TEST_RING_WAIT_H
#define RSD_TEST_RING_WAIT_H

/* Blocking dequeues for tests and benchmarks, built from the ring's public
 * API: try to dequeue; when empty, arm, poll(2) the wait fd, disarm, and try
 * again, as the daemon's producer thread does (src/kafka/producer.c).
 * ring_dequeue_wait() first re-checks a few times with sched_yield() (what
 * the ring's own blocking dequeue did before the API was trimmed to what the
 * daemon uses): while producers are busy the consumer then rarely sleeps,
 * which is what the benchmark's blocking variant measures. ring_dequeue_poll()
 * sleeps at once, exactly the producer thread's pattern.
 * Header-only so that bench/ring (built without the tests too) can use it. */

#include "core/ring.h"
#include "core/util.h"

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>

#define RING_WAIT_YIELDS 8 /* the ring's producers back off as long */

/* Blocks up to timeout_ms (-1 = forever) while the ring is empty, after up
 * to `yields` sched_yield() re-checks. 0 and *item set; -ETIMEDOUT; -EPIPE
 * when closed and empty; or a negative errno from poll(2). An item already
 * there is returned whatever the timeout, without reading the clock (the
 * benchmark's fast path). */
static inline int ring_wait_for_item(rsd_ring *ring, void **item, int timeout_ms, unsigned yields)
{
	int rc = rsd_ring_sc_try_dequeue(ring, item);
	/* Microseconds, so that rounding never ends the wait early. */
	uint64_t deadline = 0;

	if (rc != -EAGAIN)
		return rc;
	if (timeout_ms >= 0)
		deadline = rsd_now_usec(CLOCK_MONOTONIC) + (uint64_t)timeout_ms * 1000u;
	for (unsigned round = 0;; rc = rsd_ring_sc_try_dequeue(ring, item)) {
		struct pollfd p = { .fd = rsd_ring_sc_wait_fd(ring), .events = POLLIN };
		int left = -1;

		if (rc != -EAGAIN)
			return rc;
		if (timeout_ms >= 0) {
			uint64_t now = rsd_now_usec(CLOCK_MONOTONIC);

			if (now >= deadline)
				return -ETIMEDOUT;
			left = (int)((deadline - now + 999u) / 1000u); /* rounded up */
		}
		if (round++ < yields) {
			sched_yield();
			continue;
		}
		if (!rsd_ring_sc_arm(ring))
			continue; /* an item arrived (or the ring closed) meanwhile */
		rc = poll(&p, 1, left);
		rsd_ring_sc_disarm(ring);
		if (rc < 0 && errno != EINTR)
			return -errno;
		round = 0; /* woken: back off again before the next sleep */
	}
}

static inline int ring_dequeue_wait(rsd_ring *ring, void **item, int timeout_ms)
{
	return ring_wait_for_item(ring, item, timeout_ms, RING_WAIT_YIELDS);
}

static inline int ring_dequeue_poll(rsd_ring *ring, void **item, int timeout_ms)
{
	return ring_wait_for_item(ring, item, timeout_ms, 0);
}

#endif
