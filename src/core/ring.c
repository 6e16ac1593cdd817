/* SPDX-License-Identifier: MIT */
/* Bounded lock-free MPSC ring of pointers (scrapers -> producer thread).
 *
 * Design
 * ------
 * An array of `capacity` slots, each one pointer wide (8 per cache line).
 * Items are non-NULL, so a slot's content is its state: NULL = free, else
 * full.  Positions are 64-bit counters that never wrap in practice (2^63
 * items); position pos lives in slots[pos & mask].
 *   - Producers claim a position with a CAS on `tail`, store the item into
 *     its slot (release) and are done: no producer ever waits for another.
 *   - The single consumer owns `next`: it reads slots[next] (acquire); a
 *     non-NULL value is the item of position next, which it takes.
 *   - It hands taken slots back in groups: clears them to NULL, then
 *     publishes `head` (release), the position before which every slot is
 *     free again.  A group is HAND_BACK slots (one cache line, which the
 *     producers have left, so the clearing does not fight them for it) in
 *     rings of 32 slots or more, one slot in smaller ones; and whatever is
 *     pending whenever the consumer finds the ring empty, so a producer never
 *     waits for slots of an empty ring.  A producer may therefore see the
 *     ring full while up to HAND_BACK - 1 taken slots are pending.
 *   - A producer may claim pos only when pos - head < capacity, i.e. when the
 *     consumer has taken and cleared position pos - capacity.  That check,
 *     not the slot being NULL, is what makes the slot free: a slot can also
 *     be NULL because the producer of pos - capacity claimed it but has not
 *     stored yet (preempted), and filling it then would be overwritten.
 *   - Producers read `head` rarely: they check against `head_seen`, a
 *     lower bound of head kept on the tail line (which they write anyway),
 *     and re-read head only when head_seen says "full".
 * A producer preempted between its claim and its store delays only the
 * consumer, at that slot; other producers keep claiming until the ring is
 * full.  (ck_ring's MP enqueue instead makes every producer wait until all
 * earlier claims are committed, so one preempted producer stalls them all.)
 *
 * Against Vyukov's per-slot sequence numbers (this ring's previous design)
 * the slot is half the size and the consumer writes a slot line once per lap
 * (the hand-back) instead of once per item, so fewer cache lines move
 * between cores.
 *
 * Closing: bit 63 of `tail` (RING_CLOSED).  Setting it makes every later claim
 * CAS fail, so after close the set of claimed positions is final; a position
 * claimed just before close is still published and delivered.  The consumer
 * reports -EPIPE only when closed AND next == tail, i.e. when nothing was
 * claimed that it has not yet taken: no item can be stranded in the ring.
 *
 * Blocking: back off, then sleep in the kernel
 * --------------------------------------------
 * A side that would block first backs off a bounded number of times
 * (BACKOFF_YIELDS sched_yield() calls, each followed by a re-check).  While
 * the other side is busy it makes progress within microseconds: when it
 * shares our core the yield hands it the CPU for a whole batch, when it runs
 * on another core the yield is a cheap syscall.  Either way this is far
 * cheaper than a futex sleep plus FUTEX_WAKE round trip (in a VM the wake
 * includes waking a halted vCPU), which the previous design paid every
 * half ring.  The bound keeps the idle cost at a few microseconds per idle
 * transition: an idle ring then sleeps in the kernel, no polling, no timer.
 * Spinning with pause instead (16..4096 rounds) was measured and rejected:
 * 10-90 % slower on the 2-core target, because when both threads share a
 * core it burns the time slice of the thread it waits for.
 *
 * Consumer sleeps, producers wake it: `cons_state` is IDLE, SLEEPING (the
 * consumer waits on the word itself with FUTEX_WAIT) or ARMED (the consumer
 * sleeps in poll(2) on `wake_fd`, an eventfd).  The protocol is Dekker's:
 *     consumer: store cons_state = SLEEPING/ARMED; FENCE; load slot, tail
 *     producer: store slot = item;                 FENCE; load cons_state
 * Either the consumer's re-check sees the new item (and does not sleep) or
 * the producer sees the consumer's state (and wakes it).  A producer that sees
 * a non-IDLE state exchanges it to IDLE; only the one that got the old value
 * issues the FUTEX_WAKE or eventfd write, so a burst costs one syscall.  A
 * position claimed but not yet published counts as empty for the re-check:
 * its producer has not yet read cons_state, and will wake us when it does.
 *
 * Fences.  The producer's FENCE runs on every enqueue, the consumer's only
 * before a sleep, so the cost is moved to the consumer (the liburcu / folly
 * asymmetricThreadFence technique): the producer's fence is a compiler
 * barrier only, the consumer's is membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED),
 * which runs a full memory barrier on every CPU currently running a thread of
 * this process.  A producer is then either before that barrier (its store
 * ... load pair has not passed the barrier: its load comes after it and sees
 * our state) or after it (its store is visible to our re-check).  When
 * membarrier is unavailable (old kernel, seccomp filter; the systemd unit's
 * @system-service set includes it via @default) or RSD_RING_FENCE=seq_cst is
 * set, both fences are seq_cst thread fences (C11 fence-fence ordering).
 * close() uses seq_cst RMWs, full barriers on their own.
 *
 * Producers sleep, the consumer wakes them: `space` is a futex word whose
 * bit 0 (SPACE_WAITERS) says "a producer sleeps or is about to" and whose
 * upper bits are an epoch.  A producer registers with fetch_or(SPACE_WAITERS),
 * which also returns the futex key atomically, re-checks for space, then waits
 * while the word still equals the key.  The consumer wakes with a single
 * fetch_add(1): with bit 0 set that clears it and bumps the epoch, so any
 * registered waiter's futex word changes and the wait cannot start or
 * returns.  For throughput the consumer wakes producers only once half the
 * ring is free (hysteresis: one wake moves capacity/2 items instead of one
 * wake and one sleep per item), and always before it reports the ring empty,
 * which is what guarantees progress (consumer_after_dequeue() and
 * consumer_found_empty()).  Producers back off until half the ring is free
 * too, for the same reason.
 *
 * Only the consumer clears SPACE_WAITERS (single consumer), so seeing the bit
 * set it may clear it without a CAS loop; close only bumps the epoch (+2).
 * The 31-bit epoch could in theory ABA-wrap between a producer's key read and
 * its futex syscall (2^31 wakes in a few instructions): not a real risk.
 */
#include "core/ring.h"
#include "core/util.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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
/* sched_yield() rounds before a futex sleep: 4..16 measured alike. */
#define BACKOFF_YIELDS 8
/* Slots per cache line: the consumer hands taken slots back per line. */
#define HAND_BACK (CACHE_LINE / sizeof(void *))

struct rsd_ring {
	/* Read-only after rsd_ring_new: shared by everyone, never bounces. */
	uint64_t mask;
	uint64_t capacity;
	uint64_t wake_threshold; /* free slots before sleeping producers are woken */
	int wake_fd; /* eventfd for rsd_ring_sc_wait_fd() */
	uint64_t hand_back; /* taken slots the consumer clears at once */
	bool asym_fence; /* membarrier fences, see "Fences" above */
	uint64_t max_bytes; /* byte budget; 0 = none (see "Bytes" below) */

	/* Producers' line: next position to claim (| RING_CLOSED), CAS-ed by
	 * every producer, and a lower bound of head that spares them a read of
	 * the consumer's line on every enqueue. */
	alignas(CACHE_LINE) _Atomic uint64_t tail;
	_Atomic uint64_t head_seen;
	/* Consumer's line.  next: the next position to take.  head: every
	 * position before it is taken AND its slot cleared, so producers may
	 * refill it; head lags next by less than hand_back (see the file
	 * comment).  Both written by the consumer only; atomic because
	 * producers read head and rsd_ring_size() reads next. */
	alignas(CACHE_LINE) _Atomic uint64_t head;
	_Atomic uint64_t next;
	/* Consumer sleep state (futex word): read by every producer after each
	 * enqueue, so it must not share a line with head or tail, which change
	 * on every operation. */
	alignas(CACHE_LINE) _Atomic uint32_t cons_state;
	/* Producer sleep word (futex): epoch << 1 | SPACE_WAITERS.  Read by the
	 * consumer after each dequeue, written only when producers sleep. */
	alignas(CACHE_LINE) _Atomic uint32_t space;

	/* Byte budget: bytes charged by producers and not yet released, and
	 * the futex word byte waiters sleep on (epoch << 1 | SPACE_WAITERS, as
	 * `space`). Own line: touched once per item by producers and by the
	 * releasing thread, never by the slot protocol. */
	alignas(CACHE_LINE) _Atomic uint64_t bytes_used;
	_Atomic uint32_t bytes_word;

	/* NULL = free; written by the claiming producer and by the consumer. */
	alignas(CACHE_LINE) _Atomic(void *) slots[];
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
static int futex_wait(_Atomic uint32_t *word, uint32_t expected, const struct timespec *deadline)
{
	if (syscall(SYS_futex, futex_addr(word), FUTEX_WAIT_BITSET_PRIVATE, expected, deadline,
		    NULL, FUTEX_BITSET_MATCH_ANY) == 0)
		return 0;
	return -errno;
}

static void futex_wake(_Atomic uint32_t *word, int count)
{
	syscall(SYS_futex, futex_addr(word), FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

/* ---- fences: the two halves of every sleep/wake Dekker pair -------------- */

static bool membarrier_usable;
static pthread_once_t membarrier_once = PTHREAD_ONCE_INIT;

/* Once per process: register for MEMBARRIER_CMD_PRIVATE_EXPEDITED, unless
 * RSD_RING_FENCE=seq_cst forces the portable fences (the tests run both).
 * An old kernel or a seccomp filter makes QUERY or REGISTER fail; then every
 * ring uses seq_cst fences.  Once registered, PRIVATE_EXPEDITED cannot fail:
 * the registration is inherited by fork() and only exec() (which also resets
 * this static) drops it, and syscall filters are fixed before the process
 * runs (systemd's SystemCallFilter=; the daemon installs none itself). */
static void membarrier_init(void)
{
	const char *force = getenv("RSD_RING_FENCE");
	long cmds;

	if (force && strcmp(force, "seq_cst") == 0)
		return;
	cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		return;
	membarrier_usable = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0,
				    0) == 0;
}

/* Producer half, between the publishing store and the load of cons_state.
 * Asymmetric: a compiler barrier only (the CPU may still perform the load
 * before the store becomes visible; the consumer's membarrier() makes that
 * harmless, see "Fences" above).  Portable: a seq_cst fence. */
static inline void producer_fence(const rsd_ring *ring)
{
	if (ring->asym_fence)
		atomic_signal_fence(memory_order_seq_cst);
	else
		atomic_thread_fence(memory_order_seq_cst);
}

/* Consumer half, between announcing sleep (store cons_state) and the re-check
 * of the ring.  membarrier() also implies a full barrier on our own CPU at
 * entry and exit.  Only the sleep path pays for it (a few microseconds of
 * IPIs), never an enqueue. */
static void consumer_fence(const rsd_ring *ring)
{
	if (ring->asym_fence)
		(void)syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
	else
		atomic_thread_fence(memory_order_seq_cst);
}

/* Bounded wait before a futex sleep: true as soon as ready(ring), false after
 * BACKOFF_YIELDS re-checks (the caller then sleeps in the kernel).
 * sched_yield() lets the other side run when it shares our core, and costs one
 * cheap syscall when it does not. */
static bool backoff(rsd_ring *ring, bool (*ready)(rsd_ring *))
{
	for (unsigned i = 0; i < BACKOFF_YIELDS; i++) {
		sched_yield();
		if (ready(ring))
			return true;
	}
	return false;
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
	if (posix_memalign(&mem, CACHE_LINE, sizeof(*ring) + capacity * sizeof(ring->slots[0])))
		return -ENOMEM;
	ring = mem;
	ring->mask = capacity - 1;
	ring->capacity = capacity;
	ring->wake_threshold = capacity / 2;
	ring->hand_back = capacity >= 4 * HAND_BACK ? HAND_BACK : 1;
	pthread_once(&membarrier_once, membarrier_init);
	ring->asym_fence = membarrier_usable;
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
	atomic_init(&ring->head_seen, 0);
	atomic_init(&ring->head, 0);
	atomic_init(&ring->next, 0);
	atomic_init(&ring->cons_state, CONS_IDLE);
	atomic_init(&ring->space, 0);
	atomic_init(&ring->bytes_used, 0);
	atomic_init(&ring->bytes_word, 0);
	ring->max_bytes = 0;
	for (uint64_t i = 0; i < capacity; i++)
		atomic_init(&ring->slots[i], NULL);
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
 * the slot store + fence + cons_state load before it), but rsd_ring_close()
 * relies on this exchange to order its RING_CLOSED fetch_or before a
 * consumer's later SLEEPING store; an acq_rel RMW would not be part of the
 * seq_cst order.  It only runs when the consumer sleeps, so the cost is moot. */
static void wake_consumer(rsd_ring *ring)
{
	uint32_t old = atomic_exchange_explicit(&ring->cons_state, CONS_IDLE, memory_order_seq_cst);

	if (old == CONS_SLEEPING)
		futex_wake(&ring->cons_state, 1);
	else if (old == CONS_ARMED)
		rsd_eventfd_signal(ring->wake_fd);
}

/* ---- producers ----------------------------------------------------------- */

/* True when position pos is free: the consumer has taken pos - capacity.
 * Checked against head_seen first (a lower bound of head on the producers'
 * own line), against head only when that bound says "full".  Signed
 * difference: a stale pos (another producer claimed it since) may lie behind
 * the bound; it counts as free and the caller's CAS rejects it.
 * acquire (both loads): the consumer cleared the slot of pos - capacity
 * before its release store of head; a producer that refreshed head_seen read
 * head with acquire and republished it with release, so either way that
 * clearing happens before our store into the slot (which it could otherwise
 * overwrite). */
static bool producer_slot_free(rsd_ring *ring, uint64_t pos)
{
	uint64_t seen = atomic_load_explicit(&ring->head_seen, memory_order_acquire);

	if ((int64_t)(pos - seen) < (int64_t)ring->capacity)
		return true;
	seen = atomic_load_explicit(&ring->head, memory_order_acquire);
	/* release: see above.  Racing producers may store an older bound
	 * after a newer one; any value <= head is correct, just less useful. */
	atomic_store_explicit(&ring->head_seen, seen, memory_order_release);
	return (int64_t)(pos - seen) < (int64_t)ring->capacity;
}

/* The enqueue, inlined into both public entry points so that the blocking
 * one costs no extra call on its fast path. */
static inline int enqueue_once(rsd_ring *ring, void *item)
{
	/* relaxed: only a guess of the position; the CAS re-validates it. */
	uint64_t pos = atomic_load_explicit(&ring->tail, memory_order_relaxed);

	if (!item)
		return -EINVAL;
	for (;;) {
		if (pos & RING_CLOSED)
			return -EPIPE;
		if (!producer_slot_free(ring, pos))
			return -EAGAIN; /* full: position pos - capacity not taken yet */
		/* relaxed (success and failure): the CAS only decides which
		 * producer owns pos; it publishes nothing, the slot store below
		 * does, and the slot's freedom was established above.  On failure
		 * pos is reloaded and re-checked. */
		if (atomic_compare_exchange_weak_explicit(
			    &ring->tail, &pos, pos + 1, memory_order_relaxed, memory_order_relaxed))
			break;
	}
	/* release: publishes whatever item points to with the pointer itself,
	 * to the consumer's acquire load of the slot. */
	atomic_store_explicit(&ring->slots[pos & ring->mask], item, memory_order_release);
	/* Store above, load below: the producer half of the Dekker pair with a
	 * consumer going to sleep (see "Fences" in the file comment). */
	producer_fence(ring);
	/* relaxed: ordered by the fence pair; a stale SLEEPING costs one
	 * exchange, a stale IDLE cannot happen once the consumer's fence ran. */
	if (atomic_load_explicit(&ring->cons_state, memory_order_relaxed) != CONS_IDLE)
		wake_consumer(ring);
	return 0;
}

int rsd_ring_mp_try_enqueue(rsd_ring *ring, void *item)
{
	return enqueue_once(ring, item);
}

/* True when half the ring (wake_threshold slots) is free, or closed: the
 * point where a sleeping producer would be woken, so a backing-off producer
 * resumes with room for a batch rather than in lock-step with the consumer.
 * relaxed: a hint only, the enqueue re-validates. */
static bool producer_space_ready(rsd_ring *ring)
{
	uint64_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&ring->head, memory_order_relaxed);

	return (tail & RING_CLOSED) || ring->capacity - (tail - head) >= ring->wake_threshold;
}

/* True when a producer should not sleep: a slot is free or the ring is
 * closed.  The caller has just done the acquire fetch_or on `space`, which
 * orders these loads after the head store of the consumer's last wake (see
 * producer_wait_for_space), hence relaxed loads suffice. */
static bool producer_may_proceed(rsd_ring *ring)
{
	uint64_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&ring->head, memory_order_relaxed);

	return (tail & RING_CLOSED) || tail - head < ring->capacity;
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
	uint32_t key = atomic_fetch_or_explicit(&ring->space, SPACE_WAITERS, memory_order_acquire) |
		       SPACE_WAITERS;

	if (producer_may_proceed(ring))
		return;
	(void)futex_wait(&ring->space, key, NULL);
}

/* Out of line: keeps the fast path of rsd_ring_mp_enqueue_wait small. */
static __attribute__((noinline)) int enqueue_wait_slow(rsd_ring *ring, void *item)
{
	for (;;) {
		int rc;

		if (!backoff(ring, producer_space_ready))
			producer_wait_for_space(ring);
		rc = enqueue_once(ring, item);
		if (rc != -EAGAIN)
			return rc;
	}
}

int rsd_ring_mp_enqueue_wait(rsd_ring *ring, void *item)
{
	int rc = enqueue_once(ring, item);

	return rc == -EAGAIN ? enqueue_wait_slow(ring, item) : rc;
}

/* ---- consumer ------------------------------------------------------------ */

/* Clears SPACE_WAITERS and bumps the epoch in one step (bit 0 is set, so +1
 * carries into the epoch), then wakes every sleeping producer: with
 * wake_threshold slots free there is room for all of them.
 * release: pairs with the producers' acquire fetch_or, making the head we
 * published (and the slots cleared before it) visible to their re-check. */
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
 * and its re-check sees the head we published: it will not sleep on a ring we
 * already emptied.  No seq_cst fence is needed (which also keeps TSan, which
 * does not model fences, exact). */
static void consumer_found_empty(rsd_ring *ring)
{
	if (atomic_fetch_add_explicit(&ring->space, 0, memory_order_acq_rel) & SPACE_WAITERS)
		wake_producers(ring);
}

/* Hands every taken slot back to the producers: clears them, then publishes
 * head = next.  Called once hand_back slots are pending (a whole cache line,
 * which producers have moved past, so clearing it does not fight them for
 * it) and whenever the consumer finds the ring empty, so that producers never
 * wait for slots the consumer has already emptied while it sleeps. */
/* Sets the slots of positions [from, to) to NULL (to - from < capacity).
 * Plain memset, not atomic stores: no other thread accesses these slots
 * until it has seen the head published after this (release/acquire), so
 * there is nothing to race with, and a line is cleared in two stores instead
 * of eight.  NULL is all-zero bits on every platform Linux runs on. */
static void clear_slots(rsd_ring *ring, uint64_t from, uint64_t to)
{
	size_t first = (size_t)(from & ring->mask);
	size_t count = (size_t)(to - from);
	size_t until_end = (size_t)ring->capacity - first;

	if (count > until_end) { /* wraps around the end of the array */
		memset((void *)&ring->slots[0], 0, (count - until_end) * sizeof(ring->slots[0]));
		count = until_end;
	}
	memset((void *)&ring->slots[first], 0, count * sizeof(ring->slots[0]));
}

static void consumer_hand_back(rsd_ring *ring)
{
	/* relaxed: both are written only by this (the consumer) thread. */
	uint64_t head = atomic_load_explicit(&ring->head, memory_order_relaxed);
	uint64_t next = atomic_load_explicit(&ring->next, memory_order_relaxed);

	if (head == next)
		return;
	clear_slots(ring, head, next);
	/* release: our reads and clearing of these slots happen before any
	 * producer that sees this head (acquire) refills them. */
	atomic_store_explicit(&ring->head, next, memory_order_release);
	consumer_after_dequeue(ring, next);
}

/* Takes the item at next, if published: the single-item fast path of
 * rsd_ring_sc_try_dequeue and rsd_ring_sc_dequeue_wait.  Unlike
 * take_published it needs no lap bound: fewer than hand_back slots are ever
 * pending, so next is always less than a lap ahead of head. */
static inline bool take_one(rsd_ring *ring, void **item)
{
	/* relaxed: both are written only by this (the consumer) thread. */
	uint64_t pos = atomic_load_explicit(&ring->next, memory_order_relaxed);
	/* acquire: pairs with the producer's release store, making everything
	 * it wrote before (the item's contents) visible. */
	void *got = atomic_load_explicit(&ring->slots[pos & ring->mask], memory_order_acquire);

	if (!got)
		return false;
	*item = got;
	/* relaxed: only rsd_ring_size() reads next elsewhere, and it is
	 * approximate; nothing is published by this store. */
	atomic_store_explicit(&ring->next, pos + 1, memory_order_relaxed);
	if (pos + 1 - atomic_load_explicit(&ring->head, memory_order_relaxed) >= ring->hand_back)
		consumer_hand_back(ring);
	return true;
}

/* Takes up to max (>= 1) published items in order; returns how many. */
static inline size_t take_published(rsd_ring *ring, void **items, size_t max)
{
	/* relaxed: both are written only by this (the consumer) thread. */
	uint64_t pos = atomic_load_explicit(&ring->next, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&ring->head, memory_order_relaxed);
	size_t n = 0;

	/* Stop one lap after head: from there on the slots hold items we took
	 * but have not cleared yet. */
	if (max > ring->capacity - (pos - head))
		max = (size_t)(ring->capacity - (pos - head));
	while (n < max) {
		/* acquire: pairs with the producer's release store, making
		 * everything it wrote before (the item's contents) visible. */
		void *item = atomic_load_explicit(&ring->slots[(pos + n) & ring->mask],
						  memory_order_acquire);

		if (!item)
			break;
		items[n++] = item;
	}
	if (n) {
		/* relaxed: only rsd_ring_size() reads next elsewhere, and it is
		 * approximate; nothing is published by this store. */
		atomic_store_explicit(&ring->next, pos + n, memory_order_relaxed);
		if (pos + n - head >= ring->hand_back)
			consumer_hand_back(ring);
	}
	return n;
}

/* Nothing published at head: -EPIPE when closed and drained, else -EAGAIN
 * after making sure no producer keeps sleeping on a ring that has room. */
static int dequeue_nothing(rsd_ring *ring)
{
	uint64_t pos = atomic_load_explicit(&ring->next, memory_order_relaxed); /* ours */
	/* relaxed: after close tail never changes again, so a value with
	 * RING_CLOSED is the final one and its position count is exact; without
	 * the bit we report -EAGAIN, which is always a correct answer. */
	uint64_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);

	if ((tail & RING_CLOSED) && (tail & ~RING_CLOSED) == pos)
		return -EPIPE;
	consumer_hand_back(ring);
	consumer_found_empty(ring);
	return -EAGAIN;
}

int rsd_ring_sc_try_dequeue(rsd_ring *ring, void **item)
{
	return take_one(ring, item) ? 0 : dequeue_nothing(ring);
}

int rsd_ring_sc_try_dequeue_batch(rsd_ring *ring, void **items, size_t max, size_t *count)
{
	size_t n;

	*count = 0;
	if (max == 0)
		return -EINVAL;
	n = take_published(ring, items, max);
	if (!n)
		return dequeue_nothing(ring);
	*count = n;
	return 0;
}

/* True when the slot at head holds a published item.  relaxed: this only
 * decides whether to dequeue; the dequeue re-reads the slot with acquire. */
static bool consumer_item_published(rsd_ring *ring)
{
	uint64_t pos = atomic_load_explicit(&ring->next, memory_order_relaxed); /* ours */

	return atomic_load_explicit(&ring->slots[pos & ring->mask], memory_order_relaxed) != NULL;
}

/* The consumer's re-check after announcing it will sleep (consumer_announce):
 * true when a dequeue would not return -EAGAIN (an item is published, or
 * closed and drained).  A position claimed but not yet published counts as
 * "not ready": its producer will see our state after publishing and wake us.
 * relaxed loads: the consumer fence before them orders them after our
 * announcement (against the producer's fence, or close's seq_cst fetch_or). */
static bool consumer_ready(rsd_ring *ring)
{
	uint64_t pos = atomic_load_explicit(&ring->next, memory_order_relaxed); /* ours */
	uint64_t tail;

	if (consumer_item_published(ring))
		return true;
	tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
	return (tail & RING_CLOSED) && (tail & ~RING_CLOSED) == pos;
}

/* Announces that the consumer will sleep (on the futex or on wake_fd) and
 * makes that visible to every producer before the re-check.  relaxed store:
 * the consumer fence right after it is what orders it. */
static void consumer_announce(rsd_ring *ring, uint32_t state)
{
	atomic_store_explicit(&ring->cons_state, state, memory_order_relaxed);
	consumer_fence(ring);
}

/* Out of line: keeps the fast path of rsd_ring_sc_dequeue_wait small. */
static __attribute__((noinline)) int dequeue_wait_slow(rsd_ring *ring, void **item, int timeout_ms)
{
	struct timespec deadline;
	bool timed = timeout_ms >= 0;

	if (timed)
		deadline = rsd_deadline_after_ms(timeout_ms);
	for (;;) {
		int rc = rsd_ring_sc_try_dequeue(ring, item);

		if (rc != -EAGAIN)
			return rc;
		if (timeout_ms == 0)
			return -ETIMEDOUT;
		if (backoff(ring, consumer_item_published))
			continue;
		consumer_announce(ring, CONS_SLEEPING);
		if (!consumer_ready(ring))
			rc = futex_wait(&ring->cons_state, CONS_SLEEPING, timed ? &deadline : NULL);
		/* relaxed: a wake-up that races with this reset at worst causes
		 * one spurious FUTEX_WAKE later; no data is published by it. */
		atomic_store_explicit(&ring->cons_state, CONS_IDLE, memory_order_relaxed);
		if (rc == -ETIMEDOUT) {
			rc = rsd_ring_sc_try_dequeue(ring, item);
			return rc == -EAGAIN ? -ETIMEDOUT : rc;
		}
	}
}

int rsd_ring_sc_dequeue_wait(rsd_ring *ring, void **item, int timeout_ms)
{
	return take_one(ring, item) ? 0 : dequeue_wait_slow(ring, item, timeout_ms);
}

int rsd_ring_sc_wait_fd(const rsd_ring *ring)
{
	return ring->wake_fd;
}

/* Same protocol as the futex sleep in rsd_ring_sc_dequeue_wait, with the
 * eventfd as the thing slept on: ARMED is announced (store + consumer fence)
 * before the re-check, so a producer publishing after the re-check sees ARMED
 * and writes the fd, and one that published before is seen by the re-check
 * (we return false without sleeping).  Either way an item enqueued after
 * arm() makes the fd readable or was already visible: no lost wake-up.
 * disarm() then drains the fd.  No backoff here: the caller multiplexes other
 * fds and should go back to them. */
bool rsd_ring_sc_arm(rsd_ring *ring)
{
	consumer_announce(ring, CONS_ARMED);
	if (consumer_ready(ring)) {
		rsd_ring_sc_disarm(ring);
		return false;
	}
	/* The consumer is about to sleep: producers must not sleep too, nor
	 * wait for slots we have emptied. */
	consumer_hand_back(ring);
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
	rsd_eventfd_drain(ring->wake_fd);
}

/* ---- any thread ---------------------------------------------------------- */

void rsd_ring_close(rsd_ring *ring)
{
	/* seq_cst: a full barrier on its own, so it pairs with the consumer's
	 * "announce; fence; load tail" (Dekker, like a producer's publish): a
	 * consumer going to sleep either sees RING_CLOSED or is woken below.
	 * The RMW also makes every later claim CAS fail. */
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
	/* The same for producers waiting for bytes: their re-check sees
	 * RING_CLOSED (seq_cst above) or their word changed. */
	atomic_fetch_add_explicit(&ring->bytes_word, SPACE_EPOCH_STEP, memory_order_release);
	futex_wake(&ring->bytes_word, INT_MAX);
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
	uint64_t head = atomic_load_explicit(&ring->next, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed) & ~RING_CLOSED;

	if (tail <= head)
		return 0;
	return tail - head > ring->capacity ? (size_t)ring->capacity : (size_t)(tail - head);
}

/* ---- byte budget ---------------------------------------------------------
 *
 * Bytes: the slots bound the number of items, not their size. With a budget
 * set, a producer charges an item's size before enqueuing it and waits while
 * the charged total would exceed max_bytes; whoever frees the item releases
 * the charge. An item always fits an empty budget, so one larger than
 * max_bytes passes alone instead of blocking forever.
 *
 * Sleeping mirrors `space`: a waiter registers with fetch_or(SPACE_WAITERS)
 * on bytes_word (which returns the futex key), re-checks bytes_used, and
 * sleeps while the word still equals the key; a releaser subtracts, then
 * reads the word and, with the bit set, clears it and bumps the epoch
 * before FUTEX_WAKE. Both sides are seq_cst (a Dekker pair: "fetch_or word;
 * load used" against "fetch_sub used; load word"): in the single total
 * order either the waiter's load sees the release, or the releaser's load
 * sees the bit and changes the word, so the wait cannot sleep through it. */

int rsd_ring_set_max_bytes(rsd_ring *ring, size_t max_bytes)
{
	if (!ring)
		return -EINVAL;
	ring->max_bytes = max_bytes;
	return 0;
}

size_t rsd_ring_bytes(const rsd_ring *ring)
{
	return (size_t)atomic_load_explicit(&ring->bytes_used, memory_order_relaxed);
}

/* seq_cst load: the second half of the waiter's Dekker pair. */
static bool bytes_fit(rsd_ring *ring, uint64_t n)
{
	uint64_t used = atomic_load_explicit(&ring->bytes_used, memory_order_seq_cst);

	return used == 0 || used + n <= ring->max_bytes;
}

/* Charges n bytes, sleeping while they do not fit. 0, or -EPIPE when the
 * ring is (or becomes) closed. */
static int charge_bytes(rsd_ring *ring, uint64_t n)
{
	for (;;) {
		if (rsd_ring_is_closed(ring))
			return -EPIPE;
		uint64_t used = atomic_load_explicit(&ring->bytes_used, memory_order_relaxed);
		if (used == 0 || used + n <= ring->max_bytes) {
			/* seq_cst: the charge is part of the order releasers and
			 * waiters agree on (see above); relaxed on failure, retried */
			if (atomic_compare_exchange_weak_explicit(&ring->bytes_used, &used,
								  used + n, memory_order_seq_cst,
								  memory_order_relaxed))
				return 0;
			continue;
		}
		/* seq_cst: first half of the waiter's Dekker pair (see above) */
		uint32_t key = atomic_fetch_or_explicit(&ring->bytes_word, SPACE_WAITERS,
							memory_order_seq_cst) |
			       SPACE_WAITERS;
		if (bytes_fit(ring, n) || rsd_ring_is_closed(ring))
			continue;
		(void)futex_wait(&ring->bytes_word, key, NULL);
	}
}

void rsd_ring_release_bytes(rsd_ring *ring, size_t bytes)
{
	if (!ring || !ring->max_bytes || !bytes)
		return;
	/* seq_cst: first half of the releaser's Dekker pair (see above) */
	atomic_fetch_sub_explicit(&ring->bytes_used, bytes, memory_order_seq_cst);
	uint32_t w = atomic_load_explicit(&ring->bytes_word, memory_order_seq_cst);
	/* Clear the bit and bump the epoch in one CAS: releasers may race, and
	 * only the one that clears it needs to wake. seq_cst on success keeps
	 * it in the total order; relaxed on failure reloads w to retry. */
	while (w & SPACE_WAITERS) {
		if (atomic_compare_exchange_weak_explicit(
			    &ring->bytes_word, &w, (w + SPACE_EPOCH_STEP) & ~SPACE_WAITERS,
			    memory_order_seq_cst, memory_order_relaxed)) {
			futex_wake(&ring->bytes_word, INT_MAX);
			return;
		}
	}
}

int rsd_ring_mp_enqueue_wait_bytes(rsd_ring *ring, void *item, size_t bytes)
{
	if (!ring || !item)
		return -EINVAL;
	if (!ring->max_bytes)
		return rsd_ring_mp_enqueue_wait(ring, item);
	int rc = charge_bytes(ring, bytes);
	if (rc < 0)
		return rc;
	rc = rsd_ring_mp_enqueue_wait(ring, item);
	if (rc < 0)
		rsd_ring_release_bytes(ring, bytes); /* the item stays the caller's */
	return rc;
}
