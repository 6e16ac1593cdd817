/* SPDX-License-Identifier: MIT */
/* Unit and stress tests of the MPSC ring (src/core/ring.c). */
#include "core/ring.h"

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/membarrier.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 10000 /* upper bound of any blocking call that must succeed */

/* Items are small integers disguised as pointers (never dereferenced). */
static void *item_of(uintptr_t v)
{
	return (void *)v;
}

static uintptr_t value_of(void *item)
{
	return (uintptr_t)item;
}

static rsd_ring *ring_new_ok(size_t capacity)
{
	rsd_ring *ring = NULL;

	ck_assert_int_eq(rsd_ring_new(capacity, &ring), 0);
	ck_assert_ptr_nonnull(ring);
	return ring;
}

static void fill(rsd_ring *ring, uintptr_t first, size_t count)
{
	for (size_t i = 0; i < count; i++)
		ck_assert_int_eq(rsd_ring_mp_try_enqueue(ring, item_of(first + i)), 0);
}

static void expect_items(rsd_ring *ring, uintptr_t first, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		void *item = NULL;

		ck_assert_int_eq(rsd_ring_sc_try_dequeue(ring, &item), 0);
		ck_assert_uint_eq(value_of(item), first + i);
	}
}

static long elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

/* ---- helper threads ------------------------------------------------------ */

/* One blocking call in another thread.  `started` is posted right before the
 * call; wait_until_blocked() then waits until the kernel reports the thread
 * asleep, so the test really exercises the wake-up path (the assertions hold
 * either way; only coverage would differ). */
struct blocker {
	pthread_t thread;
	sem_t started;
	rsd_ring *ring;
	pid_t tid;
	uintptr_t value; /* item to enqueue, or the item dequeued */
	int timeout_ms;
	int result;
};

static void *blocking_enqueue(void *arg)
{
	struct blocker *b = arg;

	b->tid = gettid();
	sem_post(&b->started);
	b->result = rsd_ring_mp_enqueue_wait(b->ring, item_of(b->value));
	return NULL;
}

/* Enqueues value charging timeout_ms bytes (the field doubles as the size). */
static void *blocking_enqueue_bytes(void *arg)
{
	struct blocker *b = arg;

	b->tid = gettid();
	sem_post(&b->started);
	b->result = rsd_ring_mp_enqueue_wait_bytes(b->ring, item_of(b->value),
						   (size_t)b->timeout_ms);
	return NULL;
}

static void *blocking_dequeue(void *arg)
{
	struct blocker *b = arg;
	void *item = NULL;

	b->tid = gettid();
	sem_post(&b->started);
	b->result = rsd_ring_sc_dequeue_wait(b->ring, &item, b->timeout_ms);
	b->value = value_of(item);
	return NULL;
}

/* Thread state from /proc: there is no other way to observe that a thread
 * sleeps in the kernel.  Bounded: 5 s of 1 ms naps. */
static char thread_state(pid_t tid)
{
	char path[64], buf[512];
	const char *paren;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' ? paren[2] : '?';
}

static void wait_until_blocked(struct blocker *b)
{
	const struct timespec nap = { 0, 1000000 };

	sem_wait(&b->started);
	for (int i = 0; i < 5000 && thread_state(b->tid) != 'S'; i++)
		nanosleep(&nap, NULL);
	ck_assert_int_eq(thread_state(b->tid), 'S');
}

static void start_blocker(struct blocker *b, rsd_ring *ring, void *(*fn)(void *), uintptr_t value,
			  int timeout_ms)
{
	memset(b, 0, sizeof(*b));
	b->ring = ring;
	b->value = value;
	b->timeout_ms = timeout_ms;
	b->result = 1; /* not a value the ring returns */
	ck_assert_int_eq(sem_init(&b->started, 0, 0), 0);
	ck_assert_int_eq(pthread_create(&b->thread, NULL, fn, b), 0);
	wait_until_blocked(b);
}

static int join_blocker(struct blocker *b)
{
	ck_assert_int_eq(pthread_join(b->thread, NULL), 0);
	sem_destroy(&b->started);
	return b->result;
}

/* ---- basic semantics ----------------------------------------------------- */

START_TEST(test_new_rejects_bad_capacity)
{
	const size_t bad[] = { 0, 1, 3, 6, 100, 1023, (size_t)1 << 31, SIZE_MAX };

	static char sentinel;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rsd_ring *ring = (rsd_ring *)&sentinel; /* must be reset to NULL */

		ck_assert_int_eq(rsd_ring_new(bad[i], &ring), -EINVAL);
		ck_assert_ptr_null(ring);
	}
}
END_TEST

START_TEST(test_new_accepts_powers_of_two)
{
	const size_t good[] = { 2, 4, 64, 1024, 65536 };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		rsd_ring *ring = ring_new_ok(good[i]);

		ck_assert_uint_eq(rsd_ring_capacity(ring), good[i]);
		ck_assert_uint_eq(rsd_ring_size(ring), 0);
		ck_assert(!rsd_ring_is_closed(ring));
		ck_assert_int_ge(rsd_ring_sc_wait_fd(ring), 0);
		rsd_ring_free(ring);
	}
	rsd_ring_free(NULL);
}
END_TEST

START_TEST(test_fifo_full_and_empty)
{
	rsd_ring *ring = ring_new_ok(8);
	void *item = item_of(99);

	ck_assert_int_eq(rsd_ring_sc_try_dequeue(ring, &item), -EAGAIN);
	ck_assert_uint_eq(value_of(item), 99); /* untouched on failure */
	fill(ring, 1, 8);
	ck_assert_uint_eq(rsd_ring_size(ring), 8);
	ck_assert_int_eq(rsd_ring_mp_try_enqueue(ring, item_of(9)), -EAGAIN);
	ck_assert_uint_eq(rsd_ring_size(ring), 8);
	expect_items(ring, 1, 8);
	ck_assert_uint_eq(rsd_ring_size(ring), 0);
	ck_assert_int_eq(rsd_ring_sc_try_dequeue(ring, &item), -EAGAIN);
	rsd_ring_free(ring);
}
END_TEST

START_TEST(test_wraps_around_many_laps)
{
	rsd_ring *ring = ring_new_ok(4);
	uintptr_t next = 1;

	/* 3 in, 3 out: positions drift across the slot array lap after lap. */
	for (int lap = 0; lap < 1000; lap++) {
		fill(ring, next, 3);
		ck_assert_uint_eq(rsd_ring_size(ring), 3);
		expect_items(ring, next, 3);
		next += 3;
	}
	rsd_ring_free(ring);
}
END_TEST

START_TEST(test_null_item_rejected)
{
	rsd_ring *ring = ring_new_ok(2);

	ck_assert_int_eq(rsd_ring_mp_try_enqueue(ring, NULL), -EINVAL);
	ck_assert_int_eq(rsd_ring_mp_enqueue_wait(ring, NULL), -EINVAL);
	ck_assert_uint_eq(rsd_ring_size(ring), 0);
	rsd_ring_free(ring);
}
END_TEST

START_TEST(test_batch_dequeue)
{
	rsd_ring *ring = ring_new_ok(8);
	void *items[16] = { 0 };
	size_t count = 99;

	ck_assert_int_eq(rsd_ring_sc_try_dequeue_batch(ring, items, 4, &count), -EAGAIN);
	ck_assert_uint_eq(count, 0);
	fill(ring, 1, 8);
	ck_assert_int_eq(rsd_ring_sc_try_dequeue_batch(ring, items, 0, &count), -EINVAL);
	ck_assert_int_eq(rsd_ring_sc_try_dequeue_batch(ring, items, 3, &count), 0);
	ck_assert_uint_eq(count, 3);
	for (size_t i = 0; i < 3; i++)
		ck_assert_uint_eq(value_of(items[i]), 1 + i);
	fill(ring, 9, 3); /* the batch freed 3 slots: wraps around */
	ck_assert_int_eq(rsd_ring_sc_try_dequeue_batch(ring, items, 16, &count), 0);
	ck_assert_uint_eq(count, 8);
	for (size_t i = 0; i < 8; i++)
		ck_assert_uint_eq(value_of(items[i]), 4 + i);
	ck_assert_int_eq(rsd_ring_sc_try_dequeue_batch(ring, items, 16, &count), -EAGAIN);
	fill(ring, 12, 1);
	rsd_ring_close(ring);
	ck_assert_int_eq(rsd_ring_sc_try_dequeue_batch(ring, items, 16, &count), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_uint_eq(value_of(items[0]), 12);
	ck_assert_int_eq(rsd_ring_sc_try_dequeue_batch(ring, items, 16, &count), -EPIPE);
	ck_assert_uint_eq(count, 0);
	rsd_ring_free(ring);
}
END_TEST

/* Rings of 32+ slots hand taken slots back to producers a cache line (8
 * slots) at a time, or all at once when the consumer finds the ring empty. */
START_TEST(test_large_ring_hands_back_per_line)
{
	rsd_ring *ring = ring_new_ok(64);
	uintptr_t next_in = 1, next_out = 1;

	for (int lap = 0; lap < 50; lap++) {
		fill(ring, next_in, 64);
		next_in += 64;
		ck_assert_int_eq(rsd_ring_mp_try_enqueue(ring, item_of(next_in)), -EAGAIN);
		expect_items(ring, next_out, 7);
		next_out += 7;
		ck_assert_uint_eq(rsd_ring_size(ring), 57);
		ck_assert_int_eq(rsd_ring_mp_try_enqueue(ring, item_of(next_in)), -EAGAIN);
		expect_items(ring, next_out, 1); /* completes the line: 8 slots free */
		next_out++;
		fill(ring, next_in, 8);
		next_in += 8;
		ck_assert_int_eq(rsd_ring_mp_try_enqueue(ring, item_of(next_in)), -EAGAIN);
		/* Drain, then find it empty: every slot is handed back, even
		 * from a partial line (lap offsets drift by 3). */
		expect_items(ring, next_out, 64);
		next_out += 64;
		fill(ring, next_in, 3);
		expect_items(ring, next_out, 3);
		next_in += 3;
		next_out += 3;
		ck_assert_int_eq(rsd_ring_sc_try_dequeue(ring, &(void *){ NULL }), -EAGAIN);
	}
	rsd_ring_free(ring);
}
END_TEST

/* MEMBARRIER_CMD_GET_REGISTRATIONS (Linux 6.3+), not yet in every header. */
#define MEMBARRIER_GET_REGISTRATIONS (1 << 9)

/* The fence scheme follows RSD_RING_FENCE: the ring registers for
 * membarrier unless forced to seq_cst fences.  The suite runs twice (see
 * meson.build), once per scheme; this checks the forcing works. */
START_TEST(test_fence_scheme_follows_env)
{
	const char *force = getenv("RSD_RING_FENCE");
	bool forced = force && strcmp(force, "seq_cst") == 0;
	rsd_ring *ring = ring_new_ok(4);
	long regs = syscall(SYS_membarrier, MEMBARRIER_GET_REGISTRATIONS, 0, 0);
	long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);

	if (regs >= 0 && cmds >= 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		ck_assert_int_eq(!!(regs & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED), !forced);
	rsd_ring_free(ring);
}
END_TEST

/* ---- close --------------------------------------------------------------- */

START_TEST(test_close_rejects_enqueue_and_drains)
{
	rsd_ring *ring = ring_new_ok(8);
	void *item = NULL;

	fill(ring, 1, 3);
	rsd_ring_close(ring);
	rsd_ring_close(ring); /* idempotent */
	ck_assert(rsd_ring_is_closed(ring));
	ck_assert_int_eq(rsd_ring_mp_try_enqueue(ring, item_of(4)), -EPIPE);
	ck_assert_int_eq(rsd_ring_mp_enqueue_wait(ring, item_of(4)), -EPIPE);
	ck_assert_uint_eq(rsd_ring_size(ring), 3);
	expect_items(ring, 1, 2);
	ck_assert_int_eq(rsd_ring_sc_dequeue_wait(ring, &item, -1), 0);
	ck_assert_uint_eq(value_of(item), 3);
	ck_assert_int_eq(rsd_ring_sc_try_dequeue(ring, &item), -EPIPE);
	ck_assert_int_eq(rsd_ring_sc_dequeue_wait(ring, &item, -1), -EPIPE);
	ck_assert_int_eq(rsd_ring_sc_dequeue_wait(ring, &item, 0), -EPIPE);
	rsd_ring_free(ring);
}
END_TEST

START_TEST(test_close_wakes_blocked_producer)
{
	rsd_ring *ring = ring_new_ok(2);
	struct blocker b;
	void *item = NULL;

	fill(ring, 1, 2);
	start_blocker(&b, ring, blocking_enqueue, 3, 0);
	rsd_ring_close(ring);
	/* The producer fails and still owns item 3: it never enters the ring. */
	ck_assert_int_eq(join_blocker(&b), -EPIPE);
	expect_items(ring, 1, 2);
	ck_assert_int_eq(rsd_ring_sc_try_dequeue(ring, &item), -EPIPE);
	rsd_ring_free(ring);
}
END_TEST

START_TEST(test_close_wakes_blocked_consumer)
{
	rsd_ring *ring = ring_new_ok(4);
	struct blocker b;

	start_blocker(&b, ring, blocking_dequeue, 0, -1);
	rsd_ring_close(ring);
	ck_assert_int_eq(join_blocker(&b), -EPIPE);
	rsd_ring_free(ring);
}
END_TEST

/* ---- byte budget --------------------------------------------------------- */

/* Slots free but bytes used up: the producer sleeps until a release makes
 * room; an item larger than the whole budget passes alone. */
START_TEST(test_bytes_block_until_released)
{
	rsd_ring *ring = ring_new_ok(16);
	struct blocker b;
	void *item = NULL;

	ck_assert_int_eq(rsd_ring_set_max_bytes(ring, 100), 0);
	ck_assert_int_eq(rsd_ring_mp_enqueue_wait_bytes(ring, item_of(1), 60), 0);
	ck_assert_int_eq(rsd_ring_mp_enqueue_wait_bytes(ring, item_of(2), 30), 0);
	start_blocker(&b, ring, blocking_enqueue_bytes, 3, 50);
	ck_assert_uint_eq(rsd_ring_bytes(ring), 90);
	expect_items(ring, 1, 1);
	ck_assert_uint_eq(rsd_ring_bytes(ring), 90); /* charged until released */
	rsd_ring_release_bytes(ring, 60);
	ck_assert_int_eq(join_blocker(&b), 0);
	ck_assert_uint_eq(rsd_ring_bytes(ring), 80);
	expect_items(ring, 2, 2);
	rsd_ring_release_bytes(ring, 80);
	ck_assert_int_eq(rsd_ring_mp_enqueue_wait_bytes(ring, item_of(4), 5000), 0);
	ck_assert_int_eq(rsd_ring_sc_try_dequeue(ring, &item), 0);
	rsd_ring_release_bytes(ring, 5000);
	ck_assert_uint_eq(rsd_ring_bytes(ring), 0);
	rsd_ring_free(ring);
}
END_TEST

START_TEST(test_close_wakes_producer_waiting_for_bytes)
{
	rsd_ring *ring = ring_new_ok(16);
	struct blocker b;

	ck_assert_int_eq(rsd_ring_set_max_bytes(ring, 100), 0);
	ck_assert_int_eq(rsd_ring_mp_enqueue_wait_bytes(ring, item_of(1), 100), 0);
	start_blocker(&b, ring, blocking_enqueue_bytes, 2, 1);
	rsd_ring_close(ring);
	ck_assert_int_eq(join_blocker(&b), -EPIPE);
	ck_assert_uint_eq(rsd_ring_bytes(ring), 100); /* the refused item is not charged */
	expect_items(ring, 1, 1);
	rsd_ring_free(ring);
}
END_TEST

enum { BYTES_PRODUCERS = 4, BYTES_ITEMS = 5000, BYTES_MAX = 1000 };

static size_t size_of_item(uintptr_t v)
{
	return 1 + (v * 7919) % 300; /* 1..300 bytes, never above the budget */
}

static void *bytes_producer(void *arg)
{
	rsd_ring *ring = *(rsd_ring **)arg;
	static atomic_uint next_id;
	uintptr_t base = atomic_fetch_add(&next_id, 1) * BYTES_ITEMS;

	for (uintptr_t i = 1; i <= BYTES_ITEMS; i++)
		if (rsd_ring_mp_enqueue_wait_bytes(ring, item_of(base + i),
						   size_of_item(base + i)) != 0)
			return (void *)1;
	return NULL;
}

/* Producers far faster than the budget allows: they wait, the total charged
 * never exceeds max_bytes, and every item arrives exactly once. */
START_TEST(test_bytes_bound_holds_and_nothing_is_lost)
{
	rsd_ring *ring = ring_new_ok(1024);
	pthread_t t[BYTES_PRODUCERS];
	static unsigned char seen[BYTES_PRODUCERS * BYTES_ITEMS + 1];
	size_t got = 0, peak = 0;

	memset(seen, 0, sizeof(seen));
	ck_assert_int_eq(rsd_ring_set_max_bytes(ring, BYTES_MAX), 0);
	for (int i = 0; i < BYTES_PRODUCERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, bytes_producer, &ring), 0);
	while (got < (size_t)BYTES_PRODUCERS * BYTES_ITEMS) {
		void *item = NULL;
		ck_assert_int_eq(rsd_ring_sc_dequeue_wait(ring, &item, WAIT_MS), 0);
		uintptr_t v = value_of(item);
		ck_assert_uint_le(v, (uintptr_t)BYTES_PRODUCERS * BYTES_ITEMS);
		ck_assert_int_eq(seen[v]++, 0);
		size_t used = rsd_ring_bytes(ring);
		peak = used > peak ? used : peak;
		rsd_ring_release_bytes(ring, size_of_item(v));
		got++;
	}
	for (int i = 0; i < BYTES_PRODUCERS; i++) {
		void *r;
		ck_assert_int_eq(pthread_join(t[i], &r), 0);
		ck_assert_ptr_null(r);
	}
	ck_assert_uint_le(peak, BYTES_MAX);
	ck_assert_uint_eq(rsd_ring_bytes(ring), 0);
	rsd_ring_free(ring);
}
END_TEST

/* ---- blocking and timeouts ----------------------------------------------- */

START_TEST(test_blocked_producer_resumes_after_dequeue)
{
	rsd_ring *ring = ring_new_ok(2);
	struct blocker b;

	fill(ring, 1, 2);
	start_blocker(&b, ring, blocking_enqueue, 3, 0);
	expect_items(ring, 1, 1); /* frees one slot: half of a 2-slot ring */
	ck_assert_int_eq(join_blocker(&b), 0);
	expect_items(ring, 2, 2);
	rsd_ring_free(ring);
}
END_TEST

/* With 8 slots producers are woken once 4 are free (hysteresis), and in any
 * case before the consumer finds the ring empty: draining never deadlocks. */
START_TEST(test_blocked_producer_resumes_before_consumer_sleeps)
{
	rsd_ring *ring = ring_new_ok(8);
	struct blocker b;
	void *item = NULL;

	fill(ring, 1, 8);
	start_blocker(&b, ring, blocking_enqueue, 9, 0);
	expect_items(ring, 1, 8);
	ck_assert_int_eq(rsd_ring_sc_dequeue_wait(ring, &item, WAIT_MS), 0);
	ck_assert_uint_eq(value_of(item), 9);
	ck_assert_int_eq(join_blocker(&b), 0);
	rsd_ring_free(ring);
}
END_TEST

START_TEST(test_blocked_consumer_woken_by_enqueue)
{
	rsd_ring *ring = ring_new_ok(4);
	struct blocker b;

	start_blocker(&b, ring, blocking_dequeue, 0, WAIT_MS);
	ck_assert_int_eq(rsd_ring_mp_try_enqueue(ring, item_of(7)), 0);
	ck_assert_int_eq(join_blocker(&b), 0);
	ck_assert_uint_eq(b.value, 7);
	ck_assert_uint_eq(rsd_ring_size(ring), 0);
	rsd_ring_free(ring);
}
END_TEST

START_TEST(test_dequeue_timeout)
{
	rsd_ring *ring = ring_new_ok(4);
	struct timespec start;
	void *item = NULL;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &start);
	ck_assert_int_eq(rsd_ring_sc_dequeue_wait(ring, &item, 0), -ETIMEDOUT);
	ck_assert_int_lt(elapsed_ms(&start), 1000);

	clock_gettime(CLOCK_MONOTONIC, &start);
	ck_assert_int_eq(rsd_ring_sc_dequeue_wait(ring, &item, 50), -ETIMEDOUT);
	ms = elapsed_ms(&start);
	ck_assert_int_ge(ms, 50);
	ck_assert_int_lt(ms, 5000);

	/* An item already there is returned at once, timeout or not. */
	fill(ring, 5, 1);
	ck_assert_int_eq(rsd_ring_sc_dequeue_wait(ring, &item, 0), 0);
	ck_assert_uint_eq(value_of(item), 5);
	rsd_ring_free(ring);
}
END_TEST

/* ---- wait_fd protocol ---------------------------------------------------- */

static bool fd_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n = poll(&p, 1, timeout_ms);

	ck_assert_int_ge(n, 0);
	return n == 1 && (p.revents & POLLIN);
}

START_TEST(test_wait_fd_quiet_when_not_armed)
{
	rsd_ring *ring = ring_new_ok(4);

	/* Enqueues into a ring whose consumer is not armed make no syscall. */
	fill(ring, 1, 3);
	ck_assert(!fd_readable(rsd_ring_sc_wait_fd(ring), 0));
	rsd_ring_free(ring);
}
END_TEST

START_TEST(test_arm_then_enqueue_makes_fd_readable)
{
	rsd_ring *ring = ring_new_ok(4);
	int fd = rsd_ring_sc_wait_fd(ring);

	ck_assert(rsd_ring_sc_arm(ring));
	ck_assert(!fd_readable(fd, 0));
	fill(ring, 1, 2);
	ck_assert(fd_readable(fd, 0));
	rsd_ring_sc_disarm(ring);
	ck_assert(!fd_readable(fd, 0)); /* readiness consumed */
	expect_items(ring, 1, 2);
	rsd_ring_free(ring);
}
END_TEST

START_TEST(test_arm_refuses_when_items_or_closed)
{
	rsd_ring *ring = ring_new_ok(4);
	void *item = NULL;

	fill(ring, 1, 1);
	ck_assert(!rsd_ring_sc_arm(ring)); /* dequeue instead of sleeping */
	ck_assert(!fd_readable(rsd_ring_sc_wait_fd(ring), 0));
	rsd_ring_close(ring);
	ck_assert(!rsd_ring_sc_arm(ring)); /* closed with an item left */
	expect_items(ring, 1, 1);
	ck_assert(!rsd_ring_sc_arm(ring)); /* closed and drained */
	ck_assert_int_eq(rsd_ring_sc_try_dequeue(ring, &item), -EPIPE);
	rsd_ring_free(ring);
}
END_TEST

START_TEST(test_close_makes_armed_fd_readable)
{
	rsd_ring *ring = ring_new_ok(4);
	void *item = NULL;

	ck_assert(rsd_ring_sc_arm(ring));
	rsd_ring_close(ring);
	ck_assert(fd_readable(rsd_ring_sc_wait_fd(ring), 0));
	rsd_ring_sc_disarm(ring);
	ck_assert_int_eq(rsd_ring_sc_try_dequeue(ring, &item), -EPIPE);
	rsd_ring_free(ring);
}
END_TEST

static void *enqueue_one(void *arg)
{
	return (void *)(intptr_t)rsd_ring_mp_enqueue_wait(arg, item_of(42));
}

START_TEST(test_poll_wakes_on_enqueue_from_other_thread)
{
	rsd_ring *ring = ring_new_ok(4);
	pthread_t thread;
	void *ret = NULL, *item = NULL;

	ck_assert(rsd_ring_sc_arm(ring));
	ck_assert_int_eq(pthread_create(&thread, NULL, enqueue_one, ring), 0);
	ck_assert(fd_readable(rsd_ring_sc_wait_fd(ring), WAIT_MS));
	rsd_ring_sc_disarm(ring);
	ck_assert_int_eq(pthread_join(thread, &ret), 0);
	ck_assert_int_eq((intptr_t)ret, 0);
	ck_assert_int_eq(rsd_ring_sc_try_dequeue(ring, &item), 0);
	ck_assert_uint_eq(value_of(item), 42);
	rsd_ring_free(ring);
}
END_TEST

/* ---- stress -------------------------------------------------------------- */

#define STRESS_PRODUCERS 4
#define STRESS_CAPACITY 64

/* RSD_STRESS_ITEMS (items per producer) lets slow sanitizer builds run a
 * shorter stress; the default is the full 1,000,000. */
static uint64_t stress_items(void)
{
	const char *env = getenv("RSD_STRESS_ITEMS");
	uint64_t n = env ? strtoull(env, NULL, 10) : 0;

	return n ? n : 1000000;
}

/* Item = producer id (1-based) << 32 | sequence (1-based): never NULL, and
 * the consumer can check per-producer order. */
static void *stress_item(unsigned producer, uint64_t seq)
{
	return item_of(((uintptr_t)(producer + 1) << 32) | (uintptr_t)(seq + 1));
}

struct stress_producer {
	pthread_t thread;
	rsd_ring *ring;
	unsigned id;
	uint64_t count; /* items to send */
	uint64_t accepted; /* enqueues that returned 0 */
	int last_error; /* first non-zero enqueue result */
};

static void *stress_produce(void *arg)
{
	struct stress_producer *p = arg;

	for (uint64_t i = 0; i < p->count; i++) {
		int rc = rsd_ring_mp_enqueue_wait(p->ring, stress_item(p->id, i));

		if (rc) {
			p->last_error = rc;
			break;
		}
		p->accepted++;
	}
	return NULL;
}

typedef int (*dequeue_fn)(rsd_ring *ring, void **item);

static int dequeue_futex(rsd_ring *ring, void **item)
{
	return rsd_ring_sc_dequeue_wait(ring, item, WAIT_MS);
}

/* The producer thread's pattern: poll the wait fd (next to other fds in the
 * daemon) whenever the ring is empty. */
static int dequeue_poll(rsd_ring *ring, void **item)
{
	for (int spins = 0; spins < 1000000; spins++) {
		int rc = rsd_ring_sc_try_dequeue(ring, item);
		bool woken;

		if (rc != -EAGAIN)
			return rc;
		if (!rsd_ring_sc_arm(ring))
			continue;
		woken = fd_readable(rsd_ring_sc_wait_fd(ring), WAIT_MS);
		rsd_ring_sc_disarm(ring);
		if (!woken)
			return -ETIMEDOUT;
	}
	return -ETIMEDOUT;
}

/* Checks one received item against the next expected sequence of its
 * producer.  Plain code rather than ck_assert: Check writes a message for
 * every passing assertion, which would dominate a 4,000,000-item loop. */
static bool stress_accept(uint64_t next[STRESS_PRODUCERS], void *item, char *why, size_t len)
{
	uintptr_t v = value_of(item);
	unsigned id = (unsigned)(v >> 32) - 1;
	uint64_t seq = (uint64_t)(v & 0xffffffffu) - 1;

	if (id >= STRESS_PRODUCERS) {
		snprintf(why, len, "bad item %#" PRIxPTR, v);
		return false;
	}
	if (seq != next[id]) {
		snprintf(why, len, "producer %u: got seq %" PRIu64 ", expected %" PRIu64, id, seq,
			 next[id]);
		return false;
	}
	next[id]++;
	return true;
}

/* Consumes until -EPIPE; checks every item is the next one of its producer.
 * close_after: close the ring after that many items (0 = after all). */
static void run_stress(size_t capacity, uint64_t per_producer, dequeue_fn dequeue,
		       uint64_t close_after)
{
	struct stress_producer prod[STRESS_PRODUCERS];
	uint64_t next[STRESS_PRODUCERS] = { 0 };
	uint64_t total = per_producer * STRESS_PRODUCERS, received = 0;
	rsd_ring *ring = ring_new_ok(capacity);
	char why[128] = "";
	bool ok = true;
	int rc;

	for (unsigned i = 0; i < STRESS_PRODUCERS; i++) {
		prod[i] = (struct stress_producer){ .ring = ring, .id = i, .count = per_producer };
		ck_assert_int_eq(pthread_create(&prod[i].thread, NULL, stress_produce, &prod[i]),
				 0);
	}
	for (;;) {
		void *item = NULL;

		if (received == (close_after ? close_after : total))
			rsd_ring_close(ring);
		rc = dequeue(ring, &item);
		if (rc)
			break;
		if (ok)
			ok = stress_accept(next, item, why, sizeof(why));
		received++;
	}
	/* Close (idempotent) before joining, so that producers blocked after an
	 * early failure cannot hang the test. */
	rsd_ring_close(ring);
	for (unsigned i = 0; i < STRESS_PRODUCERS; i++)
		ck_assert_int_eq(pthread_join(prod[i].thread, NULL), 0);
	ck_assert_msg(ok, "%s", why);
	ck_assert_int_eq(rc, -EPIPE);
	for (unsigned i = 0; i < STRESS_PRODUCERS; i++) {
		/* Exactly the accepted items were delivered: none lost, none
		 * delivered whose enqueue failed. */
		ck_assert_uint_eq(next[i], prod[i].accepted);
		if (!close_after) {
			ck_assert_uint_eq(prod[i].accepted, per_producer);
			ck_assert_int_eq(prod[i].last_error, 0);
		} else if (prod[i].accepted < per_producer) {
			ck_assert_int_eq(prod[i].last_error, -EPIPE);
		}
	}
	if (!close_after)
		ck_assert_uint_eq(received, total);
	else
		ck_assert_uint_ge(received, close_after);
	rsd_ring_free(ring);
}

START_TEST(test_stress_futex_consumer)
{
	run_stress(STRESS_CAPACITY, stress_items(), dequeue_futex, 0);
}
END_TEST

START_TEST(test_stress_poll_consumer)
{
	run_stress(STRESS_CAPACITY, stress_items(), dequeue_poll, 0);
}
END_TEST

/* Smallest ring: every enqueue races with blocking and wake-ups. */
START_TEST(test_stress_two_slots)
{
	run_stress(2, stress_items() / 10 + 1, dequeue_futex, 0);
}
END_TEST

/* Close while producers are running and blocked: every accepted item still
 * arrives, in order; the rest fail with -EPIPE. */
START_TEST(test_stress_close_midstream)
{
	uint64_t n = stress_items() / 10 + 1;

	run_stress(STRESS_CAPACITY, n, dequeue_futex, n);
	run_stress(STRESS_CAPACITY, n, dequeue_poll, n);
}
END_TEST

/* ---- lost wake-up stress ------------------------------------------------ */

/* Bursts with hand-shakes: each producer enqueues BURST items, then waits
 * until the consumer has received them all before the next burst.  With 4
 * producers and a 4-slot ring, producers block on a full ring inside a burst,
 * and between bursts the ring runs empty while every producer waits, so the
 * consumer goes to sleep: thousands of sleep/wake cycles on both sides, where
 * a lost wake-up shows as a dequeue timing out. */
#define WAKE_PRODUCERS 4
#define WAKE_BURST 3
#define WAKE_BURSTS 2000

struct wake_producer {
	pthread_t thread;
	rsd_ring *ring;
	sem_t acked; /* posted by the consumer once a burst has arrived */
	unsigned id;
	int result;
};

static bool sem_wait_ms(sem_t *sem, int ms)
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += ms / 1000;
	return sem_timedwait(sem, &deadline) == 0;
}

static void *wake_produce(void *arg)
{
	struct wake_producer *p = arg;

	/* Long enough for the consumer to give up its bounded backoff and
	 * sleep in the kernel before the next burst. */
	const struct timespec pause = { 0, 50000 };

	for (uint64_t burst = 0; burst < WAKE_BURSTS; burst++) {
		nanosleep(&pause, NULL);
		for (uint64_t i = 0; i < WAKE_BURST; i++) {
			p->result = rsd_ring_mp_enqueue_wait(
				p->ring, stress_item(p->id, burst * WAKE_BURST + i));
			if (p->result)
				return NULL;
		}
		if (!sem_wait_ms(&p->acked, WAIT_MS)) {
			p->result = -ETIMEDOUT;
			return NULL;
		}
	}
	return NULL;
}

/* Voluntary context switches of the calling thread: how often it slept. */
static long thread_sleeps(void)
{
	char line[128];
	long n = -1;
	FILE *f = fopen("/proc/thread-self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

START_TEST(test_no_lost_wakeups)
{
	struct wake_producer prod[WAKE_PRODUCERS];
	uint64_t next[STRESS_PRODUCERS] = { 0 };
	uint64_t total = (uint64_t)WAKE_PRODUCERS * WAKE_BURSTS * WAKE_BURST;
	rsd_ring *ring = ring_new_ok(4);
	long sleeps_before = thread_sleeps();
	char why[128] = "";
	bool ok = true;
	int rc = 0;

	for (unsigned i = 0; i < WAKE_PRODUCERS; i++) {
		prod[i] = (struct wake_producer){ .ring = ring, .id = i };
		ck_assert_int_eq(sem_init(&prod[i].acked, 0, 0), 0);
		ck_assert_int_eq(pthread_create(&prod[i].thread, NULL, wake_produce, &prod[i]), 0);
	}
	for (uint64_t received = 0; ok && received < total; received++) {
		void *item = NULL;
		unsigned id;

		rc = rsd_ring_sc_dequeue_wait(ring, &item, WAIT_MS);
		if (rc)
			break;
		ok = stress_accept(next, item, why, sizeof(why));
		id = (unsigned)(value_of(item) >> 32) - 1;
		if (ok && next[id] % WAKE_BURST == 0)
			sem_post(&prod[id].acked);
	}
	rsd_ring_close(ring); /* releases producers after a failure */
	for (unsigned i = 0; i < WAKE_PRODUCERS; i++) {
		sem_post(&prod[i].acked);
		ck_assert_int_eq(pthread_join(prod[i].thread, NULL), 0);
		sem_destroy(&prod[i].acked);
	}
	ck_assert_msg(ok, "%s", why);
	ck_assert_int_eq(rc, 0);
	for (unsigned i = 0; i < WAKE_PRODUCERS; i++) {
		ck_assert_int_eq(prod[i].result, 0);
		ck_assert_uint_eq(next[i], (uint64_t)WAKE_BURSTS * WAKE_BURST);
	}
	ck_assert_int_eq(rsd_ring_sc_try_dequeue(ring, &(void *){ NULL }), -EPIPE);
	/* The test must have exercised the sleep path, not just the backoff. */
	if (sleeps_before >= 0)
		ck_assert_int_ge(thread_sleeps() - sleeps_before, WAKE_BURSTS / 4);
	rsd_ring_free(ring);
}
END_TEST

static Suite *ring_suite(void)
{
	Suite *s = suite_create("ring");
	TCase *tc;

	tc = tcase_create("basic");
	tcase_add_test(tc, test_new_rejects_bad_capacity);
	tcase_add_test(tc, test_new_accepts_powers_of_two);
	tcase_add_test(tc, test_fifo_full_and_empty);
	tcase_add_test(tc, test_wraps_around_many_laps);
	tcase_add_test(tc, test_null_item_rejected);
	tcase_add_test(tc, test_batch_dequeue);
	tcase_add_test(tc, test_large_ring_hands_back_per_line);
	tcase_add_test(tc, test_fence_scheme_follows_env);
	suite_add_tcase(s, tc);

	tc = tcase_create("close");
	tcase_add_test(tc, test_close_rejects_enqueue_and_drains);
	tcase_add_test(tc, test_close_wakes_blocked_producer);
	tcase_add_test(tc, test_close_wakes_blocked_consumer);
	tcase_add_test(tc, test_bytes_block_until_released);
	tcase_add_test(tc, test_close_wakes_producer_waiting_for_bytes);
	tcase_add_test(tc, test_bytes_bound_holds_and_nothing_is_lost);
	suite_add_tcase(s, tc);

	tc = tcase_create("blocking");
	tcase_add_test(tc, test_blocked_producer_resumes_after_dequeue);
	tcase_add_test(tc, test_blocked_producer_resumes_before_consumer_sleeps);
	tcase_add_test(tc, test_blocked_consumer_woken_by_enqueue);
	tcase_add_test(tc, test_dequeue_timeout);
	suite_add_tcase(s, tc);

	tc = tcase_create("wait_fd");
	tcase_add_test(tc, test_wait_fd_quiet_when_not_armed);
	tcase_add_test(tc, test_arm_then_enqueue_makes_fd_readable);
	tcase_add_test(tc, test_arm_refuses_when_items_or_closed);
	tcase_add_test(tc, test_close_makes_armed_fd_readable);
	tcase_add_test(tc, test_poll_wakes_on_enqueue_from_other_thread);
	suite_add_tcase(s, tc);

	tc = tcase_create("stress");
	tcase_set_timeout(tc, 110);
	tcase_add_test(tc, test_stress_futex_consumer);
	tcase_add_test(tc, test_stress_poll_consumer);
	tcase_add_test(tc, test_stress_two_slots);
	tcase_add_test(tc, test_stress_close_midstream);
	tcase_add_test(tc, test_no_lost_wakeups);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ring_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
