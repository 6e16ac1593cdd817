/* SPDX-License-Identifier: MIT */
#ifndef RSD_UTIL_H
#define RSD_UTIL_H

/* The small helpers every layer needs, once: monotonic time, container_of
 * and the eventfd signal/drain. Header-only (static inline): each is a few
 * instructions on a hot path (the frontier's clock, the ring's wake-up). */

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <time.h>

/* The struct of type that holds member at ptr (the librdkafka opaque
 * pointers are members of our structs). */
#define rsd_container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/* Microseconds on clock (CLOCK_MONOTONIC for intervals, so that wall-clock
 * steps cannot move deadlines; CLOCK_REALTIME for timestamps). */
static inline uint64_t rsd_now_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* CLOCK_MONOTONIC milliseconds. */
static inline int64_t rsd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds from now until deadline_ms (rsd_now_ms's clock), 0 once it
 * passed, at most cap_ms; cap_ms when deadline_ms is 0 (none). */
static inline int rsd_ms_until(int64_t deadline_ms, int cap_ms)
{
	if (!deadline_ms)
		return cap_ms;
	int64_t left = deadline_ms - rsd_now_ms();
	return left <= 0 ? 0 : left < cap_ms ? (int)left : cap_ms;
}

/* The CLOCK_MONOTONIC time timeout_ms from now, as an absolute deadline
 * for futex waits and condition variables created with CLOCK_MONOTONIC. */
static inline struct timespec rsd_deadline_after_ms(int timeout_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* Wakes the reader of eventfd fd (no-op for fd < 0). The write can only
 * fail with EAGAIN when the counter would overflow (2^64 - 2 pending
 * writes): readiness is already signalled then. */
static inline void rsd_eventfd_signal(int fd)
{
	if (fd >= 0)
		(void)eventfd_write(fd, 1);
}

/* Resets the counter of a non-blocking eventfd (EAGAIN: it was 0). */
static inline void rsd_eventfd_drain(int fd)
{
	eventfd_t v;

	(void)eventfd_read(fd, &v);
}

#endif
