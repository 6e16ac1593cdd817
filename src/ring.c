/* SPDX-License-Identifier: MIT */
/* Bounded lock-free MPSC ring of pointers (scrapers -> producer thread).
 *
 * Design
 * ------
 * Dmitry Vyukov's bounded queue: an array of `capacity` slots, each holding
 * an item and a sequence number that says whose turn the slot is.  For the
 * position pos (a 64-bit counter that never wraps in practice, 2^63 items)
 * the slot slots[pos & mask] is
 *     seq == pos            free: the producer that claims `pos` may fill it
 *     seq == pos + 1        full: the consumer at `pos` may take it
 *     seq == pos + capacity free again, for the producer of the next lap.
 * Producers claim positions with a CAS on `tail`, the single consumer owns
 * `head`.  Data hand-over happens through the slot's seq (release/acquire),
 * so producers never read `head` and the consumer never writes `tail`: the
 * two indices live on separate cache lines and are each written by one side.
 *
 * Closing: bit 63 of `tail` (RING_CLOSED).  Setting it makes every later claim
 * CAS fail, so after close the set of claimed positions is final; a position
 * claimed just before close is still published and delivered.  The consumer
 * reports -EPIPE only when closed AND head == tail, i.e. when nothing was
 * claimed that it has not yet taken: no item can be stranded in the ring.
 *
 * Blocking (no polling, no syscall on the fast path)
 * --------------------------------------------------
 * Consumer sleeps, producers wake it: `cons_state` is IDLE, SLEEPING (the
 * consumer waits on the word itself with FUTEX_WAIT) or ARMED (the consumer
 * sleeps in poll(2) on `wake_fd`, an eventfd).  The protocol is Dekker's:
 *     consumer: store cons_state = SLEEPING/ARMED; load slot[head].seq, tail
 *     producer: store slot.seq = pos + 1;          load cons_state
 * All four are seq_cst, so they are totally ordered: either the consumer's
 * re-check sees the new item (and does not sleep) or the producer sees the
 * consumer's state (and wakes it).  A producer that sees a non-IDLE state
 * exchanges it to IDLE; only the one that got the old value issues the
 * FUTEX_WAKE or eventfd write, so a burst of enqueues costs one syscall.
 * A position claimed but not yet published counts as empty for the re-check:
 * its producer has not yet read cons_state, and will wake us when it does.
 *
 * Producers sleep, the consumer wakes them: `space` is a futex word whose
 * bit 0 (SPACE_WAITERS) says "a producer sleeps or is about to" and whose
 * upper bits are an epoch.  A producer registers with fetch_or(SPACE_WAITERS),
 * which also returns the futex key atomically, re-checks its slot, then waits
 * while the word still equals the key.  The consumer wakes with a single
 * fetch_add(1): with bit 0 set that clears it and bumps the epoch, so any
 * registered waiter's futex word changes and the wait cannot start or
 * returns.  For throughput the consumer wakes producers only once half the
 * ring is free (hysteresis: one wake moves capacity/2 items instead of one
 * wake and one sleep per item), and always before it reports the ring empty,
 * which is what guarantees progress (consumer_after_dequeue() and
 * consumer_found_empty()).
 *
 * There is deliberately no spinning before a futex sleep: measured on the
 * 2-core target it lowered throughput (a spinning consumer fights the
 * producer for the slot's cache line; a sleeping one wakes to a batch).
 *
 * Only the consumer clears SPACE_WAITERS (single consumer), so seeing the bit
 * set it may clear it without a CAS loop; close only bumps the epoch (+2).
 * The 31-bit epoch could in theory ABA-wrap between a producer's key read and
 * its futex syscall (2^31 wakes in a few instructions): not a real risk.
 */
#include "recipe-scraperd/ring.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CACHE_LINE 64
#define RING_CLOSED (UINT64_C(1) << 63)
#define RING_MAX_CAPACITY (UINT64_C(1) << 30)

enum { CONS_IDLE = 0, CONS_SLEEPING = 1, CONS_ARMED = 2 };
#define SPACE_WAITERS 1u
#define SPACE_EPOCH_STEP 2u

struct rsd_ring_slot {
	_Atomic uint64_t seq;
	void *item; /* written by the claiming producer, read by the consumer */
};

struct rsd_ring {
	/* Read-only after rsd_ring_new: shared by everyone, never bounces. */
	uint64_t mask;
	uint64_t capacity;
	uint64_t wake_threshold; /* free slots before sleeping producers are woken */
	int wake_fd;             /* eventfd for rsd_ring_sc_wait_fd() */

	/* Next position to claim (| RING_CLOSED). CAS-ed by every producer. */
	alignas(CACHE_LINE) _Atomic uint64_t tail;
	/* Next position to take. Written by the consumer only; atomic because
	 * rsd_ring_size() may read it from any thread. */
	alignas(CACHE_LINE) _Atomic uint64_t head;
	/* Consumer sleep state (futex word): read by every producer after each
	 * enqueue, so it must not share a line with head, which changes on every
	 * dequeue. */
	alignas(CACHE_LINE) _Atomic uint32_t cons_state;
	/* Producer sleep word (futex): epoch << 1 | SPACE_WAITERS.  Read by the
	 * consumer after each dequeue, written only when producers sleep. */
	alignas(CACHE_LINE) _Atomic uint32_t space;

	alignas(CACHE_LINE) struct rsd_ring_slot slots[];
};

/* ---- futex and eventfd primitives ---------------------------------------- */

/* The futex syscall works on a plain 32-bit integer; _Atomic uint32_t has the
 * same size and representation on Linux, and the kernel compares the value
 * atomically, so handing it the address is sound. */
static uint32_t *futex_addr(_Atomic uint32_t *word)
{
	return (uint32_t *)word;
}

/* Sleeps while *word == expected, until deadline (CLOCK_MONOTONIC, absolute;
 * NULL = forever).  Returns 0 when woken (possibly spuriously), -EAGAIN when
 * the word had already changed, -ETIMEDOUT or -EINTR.  FUTEX_WAIT_BITSET is
 * used because it takes an absolute deadline, so retries after spurious
 * wake-ups need no re-computation. */
static int futex_wait(_Atomic uint32_t *word, uint32_t expected,
		      const struct timespec *deadline)
{
	if (syscall(SYS_futex, futex_addr(word), FUTEX_WAIT_BITSET_PRIVATE, expected,
		    deadline, NULL, FUTEX_BITSET_MATCH_ANY) == 0)
		return 0;
	return -errno;
}

static void futex_wake(_Atomic uint32_t *word, int count)
{
	syscall(SYS_futex, futex_addr(word), FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

/* eventfd_write can only fail with EAGAIN when the counter would overflow
 * (2^64 - 2 pending writes): readiness is already signalled then. */
static void wake_fd_signal(int fd)
{
	(void)eventfd_write(fd, 1);
}

/* Resets the eventfd counter (non-blocking: it may already be 0). */
static void wake_fd_drain(int fd)
{
	eventfd_t ignored;

	(void)eventfd_read(fd, &ignored);
}

/* ---- creation ------------------------------------------------------------ */

int rsd_ring_new(size_t capacity, rsd_ring **out)
{
	rsd_ring *ring;
	void *mem;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (capacity < 2 || capacity > RING_MAX_CAPACITY || (capacity & (capacity - 1)))
		return -EINVAL;
	/* Over-aligned struct: plain malloc only guarantees 16 bytes. */
	if (posix_memalign(&mem, CACHE_LINE,
			   sizeof(*ring) + capacity * sizeof(struct rsd_ring_slot)))
		return -ENOMEM;
	ring = mem;
	ring->mask = capacity - 1;
	ring->capacity = capacity;
	ring->wake_threshold = capacity / 2;
	ring->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ring->wake_fd < 0) {
		int err = -errno;

		free(ring);
		return err;
	}
	/* Plain initialisation: the ring is published to other threads by
	 * whatever hands them the pointer (pthread_create, a mutex...), which
	 * orders these stores before their first access. */
	atomic_init(&ring->tail, 0);
	atomic_init(&ring->head, 0);
	atomic_init(&ring->cons_state, CONS_IDLE);
	atomic_init(&ring->space, 0);
	for (uint64_t i = 0; i < capacity; i++) {
		atomic_init(&ring->slots[i].seq, i);
		ring->slots[i].item = NULL;
	}
	*out = ring;
	return 0;
}

void rsd_ring_free(rsd_ring *ring)
{
	if (!ring)
		return;
	close(ring->wake_fd);
	free(ring);
}

size_t rsd_ring_capacity(const rsd_ring *ring)
{
	return (size_t)ring->capacity;
}

/* ---- waking the consumer (called by producers and close) ---------------- */

/* Claims the pending notification, if any: only the thread whose exchange
 * returns SLEEPING/ARMED makes the syscall, later ones see IDLE.
 * seq_cst: for producers a relaxed exchange would do (their Dekker half is
 * the seq store + cons_state load before it), but rsd_ring_close() relies on
 * this exchange to order its RING_CLOSED fetch_or before a consumer's later
 * SLEEPING store in the seq_cst total order; an acq_rel RMW would not be part
 * of that order.  It only runs when the consumer sleeps, so the cost is moot. */
static void wake_consumer(rsd_ring *ring)
{
	uint32_t old = atomic_exchange_explicit(&ring->cons_state, CONS_IDLE,
						memory_order_seq_cst);

	if (old == CONS_SLEEPING)
		futex_wake(&ring->cons_state, 1);
	else if (old == CONS_ARMED)
		wake_fd_signal(ring->wake_fd);
}

/* ---- producers ----------------------------------------------------------- */

int rsd_ring_mp_try_enqueue(rsd_ring *ring, void *item)
{
	struct rsd_ring_slot *slot;
	/* relaxed: only a guess of the position; the slot's seq (acquire below)
	 * is what proves the slot is ours, and the CAS re-validates tail. */
	uint64_t pos = atomic_load_explicit(&ring->tail, memory_order_relaxed);

	if (!item)
		return -EINVAL;
	for (;;) {
		int64_t diff;

		if (pos & RING_CLOSED)
			return -EPIPE;
		slot = &ring->slots[pos & ring->mask];
		/* acquire: pairs with the consumer's release when it freed the
		 * slot, so its read of the previous item happens before our
		 * write of the new one. */
		diff = (int64_t)(atomic_load_explicit(&slot->seq, memory_order_acquire) - pos);
		if (diff == 0) {
			/* relaxed (success and failure): the CAS only decides which
			 * producer owns pos; it publishes nothing, the seq store
			 * below does.  On failure pos is reloaded and re-checked. */
			if (atomic_compare_exchange_weak_explicit(&ring->tail, &pos, pos + 1,
								  memory_order_relaxed,
								  memory_order_relaxed))
				break;
		} else if (diff < 0) {
			return -EAGAIN; /* slot still holds the item of the last lap */
		} else {
			/* Another producer took pos; relaxed for the same reason as
			 * the first load. */
			pos = atomic_load_explicit(&ring->tail, memory_order_relaxed);
		}
	}
	slot->item = item;
	/* seq_cst, not just release: release publishes the item to the
	 * consumer's acquire; seq_cst additionally puts this store in the single
	 * total order with the consumer's "store cons_state; load seq" so that the
	 * cons_state load below cannot miss a consumer going to sleep (Dekker). */
	atomic_store_explicit(&slot->seq, pos + 1, memory_order_seq_cst);
	/* seq_cst: the other half of the Dekker pair (see the file comment). */
	if (atomic_load_explicit(&ring->cons_state, memory_order_seq_cst) != CONS_IDLE)
		wake_consumer(ring);
	return 0;
}

/* True when a producer should not sleep: the slot at tail is free (or tail
 * moved on, so a retry may succeed) or the ring is closed.  The caller has just
 * done the acquire fetch_or on `space`, which orders these loads after every
 * slot the consumer freed before its last wake (see producer_wait_for_space),
 * hence relaxed loads suffice here. */
static bool producer_may_proceed(rsd_ring *ring)
{
	uint64_t pos = atomic_load_explicit(&ring->tail, memory_order_relaxed);
	uint64_t seq;

	if (pos & RING_CLOSED)
		return true;
	seq = atomic_load_explicit(&ring->slots[pos & ring->mask].seq, memory_order_relaxed);
	return (int64_t)(seq - pos) >= 0;
}

/* Blocks until the consumer frees space (or close), or returns at once when
 * that already happened.  The caller retries its enqueue either way. */
static void producer_wait_for_space(rsd_ring *ring)
{
	/* acquire: if the consumer's last wake (a release RMW on `space`) comes
	 * before this RMW in space's modification order, we synchronise with it
	 * and the re-check sees every slot freed before that wake.  If it comes
	 * after, the word no longer equals key and the futex wait cannot sleep.
	 * The returned value is the key, so "register" and "read key" are one
	 * atomic step: no wake can fall between them. */
	uint32_t key = atomic_fetch_or_explicit(&ring->space, SPACE_WAITERS,
						memory_order_acquire) | SPACE_WAITERS;

	if (producer_may_proceed(ring))
		return;
	(void)futex_wait(&ring->space, key, NULL);
}

int rsd_ring_mp_enqueue_wait(rsd_ring *ring, void *item)
{
	for (;;) {
		int r = rsd_ring_mp_try_enqueue(ring, item);

		if (r != -EAGAIN)
			return r;
		producer_wait_for_space(ring);
	}
}

/* ---- consumer ------------------------------------------------------------ */

/* Clears SPACE_WAITERS and bumps the epoch in one step (bit 0 is set, so +1
 * carries into the epoch), then wakes every sleeping producer: with
 * wake_threshold slots free there is room for all of them.
 * release: pairs with the producers' acquire fetch_or, making the slots we
 * freed visible to their re-check. */
static void wake_producers(rsd_ring *ring)
{
	atomic_fetch_add_explicit(&ring->space, 1, memory_order_release);
	futex_wake(&ring->space, INT_MAX);
}

/* After a successful dequeue: wake sleeping producers once enough space is
 * free.  relaxed loads: this is only the throughput path and may read a stale
 * "no waiters"; correctness rests on consumer_found_empty(), which the consumer
 * always runs before it reports the ring empty or sleeps.  Until then it keeps
 * dequeuing, which makes space anyway.  Only the consumer clears the bit, so
 * when we see it set it is still set at our fetch_add. */
static void consumer_after_dequeue(rsd_ring *ring, uint64_t new_head)
{
	uint64_t tail;

	if (!(atomic_load_explicit(&ring->space, memory_order_relaxed) & SPACE_WAITERS))
		return;
	tail = atomic_load_explicit(&ring->tail, memory_order_relaxed) & ~RING_CLOSED;
	if (ring->capacity - (tail - new_head) >= ring->wake_threshold)
		wake_producers(ring);
}

/* The consumer found nothing to take.  Producers that registered as waiters
 * must not keep sleeping, or both sides could sleep forever.
 * acq_rel RMW (adding 0): an RMW always reads the latest value in space's
 * modification order.  If it reads SPACE_WAITERS, we wake.  If it does not, any
 * later producer fetch_or reads from this release RMW, synchronises with it,
 * and its re-check sees every slot we freed: it will not sleep on a slot we
 * already emptied.  No seq_cst fence is needed (which also keeps TSan, which
 * does not model fences, exact). */
static void consumer_found_empty(rsd_ring *ring)
{
	if (atomic_fetch_add_explicit(&ring->space, 0, memory_order_acq_rel) & SPACE_WAITERS)
		wake_producers(ring);
}

int rsd_ring_sc_try_dequeue(rsd_ring *ring, void **item)
{
	/* relaxed: head is written only by this (the consumer) thread. */
	uint64_t pos = atomic_load_explicit(&ring->head, memory_order_relaxed);
	struct rsd_ring_slot *slot = &ring->slots[pos & ring->mask];
	uint64_t tail;

	/* acquire: pairs with the producer's publishing store, making its write
	 * of slot->item visible before we read it. */
	if (atomic_load_explicit(&slot->seq, memory_order_acquire) == pos + 1) {
		*item = slot->item;
		/* release: our read of item happens before the next producer
		 * (whose acquire load sees pos + capacity) overwrites it. */
		atomic_store_explicit(&slot->seq, pos + ring->capacity, memory_order_release);
		/* relaxed: only rsd_ring_size() reads head from other threads,
		 * and it is documented as approximate. */
		atomic_store_explicit(&ring->head, pos + 1, memory_order_relaxed);
		consumer_after_dequeue(ring, pos + 1);
		return 0;
	}
	/* relaxed: after close tail never changes again, so a value with
	 * RING_CLOSED is the final one and its position count is exact; without
	 * the bit we report -EAGAIN, which is always a correct answer. */
	tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
	if ((tail & RING_CLOSED) && (tail & ~RING_CLOSED) == pos)
		return -EPIPE;
	consumer_found_empty(ring);
	return -EAGAIN;
}

/* The consumer's re-check after announcing it will sleep: true when a
 * dequeue would not return -EAGAIN (an item is published, or closed and
 * drained).  A position claimed but not yet published counts as "not ready":
 * its producer will see our state after publishing and wake us.
 * seq_cst loads: the consumer half of the Dekker pairs described at the top
 * (with the producer's seq store and with close's fetch_or on tail). */
static bool consumer_ready(rsd_ring *ring)
{
	uint64_t pos = atomic_load_explicit(&ring->head, memory_order_relaxed); /* ours */
	uint64_t tail;

	if (atomic_load_explicit(&ring->slots[pos & ring->mask].seq, memory_order_seq_cst) ==
	    pos + 1)
		return true;
	tail = atomic_load_explicit(&ring->tail, memory_order_seq_cst);
	return (tail & RING_CLOSED) && (tail & ~RING_CLOSED) == pos;
}

/* CLOCK_MONOTONIC deadline timeout_ms from now. */
static struct timespec deadline_after_ms(int timeout_ms)
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

int rsd_ring_sc_dequeue_wait(rsd_ring *ring, void **item, int timeout_ms)
{
	struct timespec deadline;
	bool timed = timeout_ms >= 0;

	if (timed)
		deadline = deadline_after_ms(timeout_ms);
	for (;;) {
		int r = rsd_ring_sc_try_dequeue(ring, item);

		if (r != -EAGAIN)
			return r;
		if (timeout_ms == 0)
			return -ETIMEDOUT;
		/* seq_cst: first half of the consumer's Dekker pair; a plain
		 * store suffices because only producers/close change it back,
		 * and they do so after reading SLEEPING. */
		atomic_store_explicit(&ring->cons_state, CONS_SLEEPING, memory_order_seq_cst);
		if (!consumer_ready(ring))
			r = futex_wait(&ring->cons_state, CONS_SLEEPING, timed ? &deadline : NULL);
		/* relaxed: a wake-up that races with this reset at worst causes
		 * one spurious FUTEX_WAKE later; no data is published by it. */
		atomic_store_explicit(&ring->cons_state, CONS_IDLE, memory_order_relaxed);
		if (r == -ETIMEDOUT) {
			r = rsd_ring_sc_try_dequeue(ring, item);
			return r == -EAGAIN ? -ETIMEDOUT : r;
		}
	}
}

int rsd_ring_sc_wait_fd(const rsd_ring *ring)
{
	return ring->wake_fd;
}

/* Same protocol as the futex sleep in rsd_ring_sc_dequeue_wait, with the
 * eventfd as the thing slept on:
 *   1. ARMED is stored (seq_cst) before the re-check (seq_cst loads), so a
 *      producer publishing after the re-check sees ARMED and writes the fd;
 *   2. a producer that published before the re-check is seen by it, and we
 *      return false without sleeping.
 * Either way an item enqueued after arm() makes the fd readable or was
 * already visible: no lost wake-up.  disarm() then drains the fd. */
bool rsd_ring_sc_arm(rsd_ring *ring)
{
	/* seq_cst: see the comment above. */
	atomic_store_explicit(&ring->cons_state, CONS_ARMED, memory_order_seq_cst);
	if (consumer_ready(ring)) {
		rsd_ring_sc_disarm(ring);
		return false;
	}
	/* The consumer is about to sleep: producers must not sleep too. */
	consumer_found_empty(ring);
	return true;
}

/* A producer that exchanged ARMED -> IDLE just before this reset may write the
 * eventfd after our drain: the fd then stays readable until the next
 * disarm(), costing one spurious poll wake-up, never a lost one. */
void rsd_ring_sc_disarm(rsd_ring *ring)
{
	/* relaxed: as in rsd_ring_sc_dequeue_wait, the reset publishes nothing. */
	atomic_store_explicit(&ring->cons_state, CONS_IDLE, memory_order_relaxed);
	wake_fd_drain(ring->wake_fd);
}

/* ---- any thread ---------------------------------------------------------- */

void rsd_ring_close(rsd_ring *ring)
{
	/* seq_cst: pairs with the consumer's seq_cst "store state; load tail"
	 * (Dekker, as for the producers' seq store), so a consumer going to sleep
	 * either sees RING_CLOSED or is woken below.  The RMW also makes every
	 * later claim CAS fail. */
	uint64_t old = atomic_fetch_or_explicit(&ring->tail, RING_CLOSED, memory_order_seq_cst);

	if (old & RING_CLOSED)
		return;
	wake_consumer(ring);
	/* release: a producer whose fetch_or reads this epoch (or a later one)
	 * synchronises with it and its re-check sees RING_CLOSED; one that read
	 * the key before sees the word change and does not sleep.  Bit 0 is
	 * left alone: clearing it is the consumer's privilege. */
	atomic_fetch_add_explicit(&ring->space, SPACE_EPOCH_STEP, memory_order_release);
	futex_wake(&ring->space, INT_MAX);
}

bool rsd_ring_is_closed(const rsd_ring *ring)
{
	/* acquire: a caller that sees "closed" may act on it (stop producing);
	 * cheap on every architecture we target and avoids surprising anyone. */
	return atomic_load_explicit(&ring->tail, memory_order_acquire) & RING_CLOSED;
}

size_t rsd_ring_size(const rsd_ring *ring)
{
	/* relaxed: approximate by contract.  head is read first: tail only grows,
	 * so the difference is at least the true size at the time head was read;
	 * clamp to [0, capacity] for the reorderings relaxed loads allow. */
	uint64_t head = atomic_load_explicit(&ring->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed) & ~RING_CLOSED;

	if (tail <= head)
		return 0;
	return tail - head > ring->capacity ? (size_t)ring->capacity : (size_t)(tail - head);
}
