/* SPDX-License-Identifier: MIT */
/* Ring throughput: 1, 2 and 4 producers into one consumer.
 *
 * Compared, in the same process and interleaved round by round so that the
 * noise of a shared machine hits all of them alike:
 *   rsd_ring         our ring through its blocking API (enqueue_wait /
 *                    dequeue_wait): what the daemon uses
 *   rsd_ring+yield   our ring's try_ API with sched_yield() when full/empty,
 *                    i.e. the same waiting strategy as ck_ring below
 *   ck_ring          Concurrency Kit's MPSC ring (ck_ring_enqueue_mpsc /
 *                    ck_ring_dequeue_mpsc); it has no blocking, so callers
 *                    sched_yield() when full/empty (pure spinning starves the
 *                    threads on a machine with fewer cores than threads)
 *   mutex+condvar    a bounded array queue under one mutex, two condvars
 *
 * Each run moves `items` pointers in total; we report the median and range of
 * items/s over the runs, and CPU time per item (user+sys of the whole process),
 * which shows what the waiting strategy costs.  Numbers only: the exit status
 * reflects correctness (every item arrived), never timing.
 *
 * Environment: RSD_BENCH_ITEMS (default 1000000), RSD_BENCH_RUNS (default 5),
 * RSD_BENCH_CAPACITY (default 1024, the daemon's default ring size),
 * RSD_BENCH_BUDGET_S (default 25: no new round starts after it),
 * RSD_BENCH_PIN (1: pin threads, see pin_threads), RSD_BENCH_QUEUES (names to
 * run, comma-separated; default all). */
#include "core/ring.h"

#include <ck_ring.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 31
#define RUN_TIMEOUT_MS 2000 /* a run that takes longer is reported as stalled */
#define TOTAL_BUDGET_S 25.0 /* default RSD_BENCH_BUDGET_S: no new round after it */

static const unsigned producer_counts[] = { 1, 2, 4 };
#define N_PRODUCER_COUNTS (sizeof(producer_counts) / sizeof(producer_counts[0]))

struct queue_ops {
	const char *name;
	void *(*create)(size_t capacity);
	void (*destroy)(void *q);
	void (*enqueue)(void *q, void *item); /* returns once the item is queued */
	void *(*dequeue)(void *q); /* returns the next item */
};

/* ---- our ring ------------------------------------------------------------ */

static void *rsd_create(size_t capacity)
{
	rsd_ring *ring = NULL;

	return rsd_ring_new(capacity, &ring) ? NULL : ring;
}

static void rsd_destroy(void *q)
{
	rsd_ring_free(q);
}

static void rsd_enqueue_blocking(void *q, void *item)
{
	if (rsd_ring_mp_enqueue_wait(q, item))
		abort(); /* never closed in this benchmark */
}

static void *rsd_dequeue_blocking(void *q)
{
	void *item = NULL;

	if (rsd_ring_sc_dequeue_wait(q, &item, -1))
		abort();
	return item;
}

static void rsd_enqueue_yield(void *q, void *item)
{
	while (rsd_ring_mp_try_enqueue(q, item) == -EAGAIN)
		sched_yield();
}

static void *rsd_dequeue_yield(void *q)
{
	void *item = NULL;

	while (rsd_ring_sc_try_dequeue(q, &item) == -EAGAIN)
		sched_yield();
	return item;
}

/* ---- ck_ring ------------------------------------------------------------- */

struct ck_queue {
	ck_ring_t ring;
	ck_ring_buffer_t *buffer;
};

static void *ck_create(size_t capacity)
{
	struct ck_queue *q = malloc(sizeof(*q));

	if (!q)
		return NULL;
	/* ck_ring keeps one slot empty: capacity - 1 usable, close enough. */
	q->buffer = calloc(capacity, sizeof(*q->buffer));
	if (!q->buffer) {
		free(q);
		return NULL;
	}
	ck_ring_init(&q->ring, (unsigned)capacity);
	return q;
}

static void ck_destroy(void *q)
{
	struct ck_queue *cq = q;

	free(cq->buffer);
	free(cq);
}

static void ck_enqueue(void *q, void *item)
{
	struct ck_queue *cq = q;

	while (!ck_ring_enqueue_mpsc(&cq->ring, cq->buffer, item))
		sched_yield();
}

static void *ck_dequeue(void *q)
{
	struct ck_queue *cq = q;
	void *item = NULL;

	while (!ck_ring_dequeue_mpsc(&cq->ring, cq->buffer, &item))
		sched_yield();
	return item;
}

/* ---- mutex + condvar ----------------------------------------------------- */

struct locked_queue {
	pthread_mutex_t lock;
	pthread_cond_t not_full, not_empty;
	size_t capacity, head, count;
	void **items;
};

static void *locked_create(size_t capacity)
{
	struct locked_queue *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->items = calloc(capacity, sizeof(*q->items));
	if (!q->items) {
		free(q);
		return NULL;
	}
	q->capacity = capacity;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->not_full, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	return q;
}

static void locked_destroy(void *q)
{
	struct locked_queue *lq = q;

	pthread_cond_destroy(&lq->not_empty);
	pthread_cond_destroy(&lq->not_full);
	pthread_mutex_destroy(&lq->lock);
	free(lq->items);
	free(lq);
}

static void locked_enqueue(void *q, void *item)
{
	struct locked_queue *lq = q;

	pthread_mutex_lock(&lq->lock);
	while (lq->count == lq->capacity)
		pthread_cond_wait(&lq->not_full, &lq->lock);
	lq->items[(lq->head + lq->count++) % lq->capacity] = item;
	pthread_cond_signal(&lq->not_empty);
	pthread_mutex_unlock(&lq->lock);
}

static void *locked_dequeue(void *q)
{
	struct locked_queue *lq = q;
	void *item;

	pthread_mutex_lock(&lq->lock);
	while (lq->count == 0)
		pthread_cond_wait(&lq->not_empty, &lq->lock);
	item = lq->items[lq->head];
	lq->head = (lq->head + 1) % lq->capacity;
	lq->count--;
	pthread_cond_signal(&lq->not_full);
	pthread_mutex_unlock(&lq->lock);
	return item;
}

static const struct queue_ops queues[] = {
	{ "rsd_ring", rsd_create, rsd_destroy, rsd_enqueue_blocking, rsd_dequeue_blocking },
	{ "rsd_ring+yield", rsd_create, rsd_destroy, rsd_enqueue_yield, rsd_dequeue_yield },
	{ "ck_ring+yield", ck_create, ck_destroy, ck_enqueue, ck_dequeue },
	{ "mutex+condvar", locked_create, locked_destroy, locked_enqueue, locked_dequeue },
};
#define N_QUEUES (sizeof(queues) / sizeof(queues[0]))
#define CK_QUEUE 2 /* index of ck_ring in queues[]: the reference for ratios */

/* ---- harness ------------------------------------------------------------- */

struct run {
	const struct queue_ops *ops;
	void *q;
	uint64_t per_producer;
	_Atomic unsigned next_cpu; /* for pinning producers round robin */
	pthread_barrier_t start;
};

struct sample {
	double items_per_s; /* 0 when the run stalled (timed out) */
	double cpu_ns_per_item;
	double sleeps_per_kitem; /* voluntary context switches per 1000 items */
	bool stalled;
	bool ok; /* every item arrived exactly once (sum check) */
};

/* RSD_BENCH_PIN=1: the consumer runs on CPU 0, producers on the other CPUs
 * (round robin), so that the queue is measured across cores even when the
 * scheduler would rather stack the threads on one core (it does on a 2-core
 * machine with a background job on the other core).  Default: unpinned. */
static bool pin_threads;

static void pin_to_cpu(unsigned cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *produce(void *arg)
{
	struct run *run = arg;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (pin_threads && cpus > 1)
		pin_to_cpu(1 +
			   (unsigned)(atomic_fetch_add(&run->next_cpu, 1) % (unsigned)(cpus - 1)));
	pthread_barrier_wait(&run->start);
	for (uint64_t i = 1; i <= run->per_producer; i++)
		run->ops->enqueue(run->q, (void *)(uintptr_t)i);
	return NULL;
}

static double now_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time (user + sys) and voluntary context switches (sleeps in the
 * kernel: futex waits, condvar waits) of the whole process so far. */
static double process_cpu_s(long *sleeps)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	*sleeps = ru.ru_nvcsw;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* One run; the calling thread is the consumer.  Returns false when items
 * were lost or corrupted (sum check). */
static bool run_in_process(const struct queue_ops *ops, unsigned producers, uint64_t items,
			   size_t capacity, struct sample *out)
{
	pthread_t threads[4];
	struct run run = { .ops = ops, .per_producer = items / producers };
	uint64_t total = run.per_producer * producers, sum = 0;
	uint64_t expect = producers * (run.per_producer * (run.per_producer + 1) / 2);
	double t0, cpu0;
	long sleeps0, sleeps1;

	if (pin_threads)
		pin_to_cpu(0);
	run.q = ops->create(capacity);
	if (!run.q)
		return false;
	pthread_barrier_init(&run.start, NULL, producers + 1);
	for (unsigned i = 0; i < producers; i++)
		pthread_create(&threads[i], NULL, produce, &run);
	pthread_barrier_wait(&run.start);
	t0 = now_s(CLOCK_MONOTONIC);
	cpu0 = process_cpu_s(&sleeps0);
	for (uint64_t i = 0; i < total; i++)
		sum += (uintptr_t)ops->dequeue(run.q);
	out->items_per_s = (double)total / (now_s(CLOCK_MONOTONIC) - t0);
	out->cpu_ns_per_item = (process_cpu_s(&sleeps1) - cpu0) * 1e9 / (double)total;
	out->sleeps_per_kitem = (double)(sleeps1 - sleeps0) * 1e3 / (double)total;
	for (unsigned i = 0; i < producers; i++)
		pthread_join(threads[i], NULL);
	pthread_barrier_destroy(&run.start);
	ops->destroy(run.q);
	return sum == expect;
}

/* Runs one sample in a child process so that a stalled run can be killed:
 * ck_ring's MP enqueue spins (inside ck, no yield) until every earlier ticket
 * is committed, so a producer preempted between reserve and commit stalls
 * all the others, for seconds on a loaded 2-core machine. */
static struct sample run_sample(const struct queue_ops *ops, unsigned producers, uint64_t items,
				size_t capacity)
{
	struct sample s = { .stalled = true, .ok = true };
	struct pollfd pfd = { .events = POLLIN };
	int fds[2];
	pid_t pid;

	if (pipe(fds))
		return (struct sample){ .ok = false };
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		s.stalled = false;
		s.ok = run_in_process(ops, producers, items, capacity, &s);
		_exit(write(fds[1], &s, sizeof(s)) == (ssize_t)sizeof(s) ? 0 : 1);
	}
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		return (struct sample){ .ok = false };
	}
	pfd.fd = fds[0];
	if (poll(&pfd, 1, RUN_TIMEOUT_MS) != 1 || read(fds[0], &s, sizeof(s)) != sizeof(s)) {
		kill(pid, SIGKILL);
		s = (struct sample){ .stalled = true, .ok = true };
	}
	waitpid(pid, NULL, 0);
	close(fds[0]);
	return s;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static uint64_t env_u64(const char *name, uint64_t def, uint64_t max)
{
	const char *s = getenv(name);
	uint64_t v = s ? strtoull(s, NULL, 10) : 0;

	return v && v <= max ? v : def;
}

struct summary {
	double median, min, max; /* Mitems/s; a stalled run counts as 0 */
	double cpu_ns_per_item; /* median over the runs that finished */
	double sleeps_per_kitem; /* same */
	unsigned stalls;
};

static struct summary summarise(const struct sample *samples, unsigned runs)
{
	double rate[MAX_RUNS], cpu[MAX_RUNS], sleeps[MAX_RUNS];
	struct summary s = { 0 };
	unsigned finished = 0;

	for (unsigned r = 0; r < runs; r++) {
		rate[r] = samples[r].items_per_s / 1e6;
		if (samples[r].stalled)
			s.stalls++;
		else {
			sleeps[finished] = samples[r].sleeps_per_kitem;
			cpu[finished++] = samples[r].cpu_ns_per_item;
		}
	}
	s.median = median(rate, runs); /* sorts rate */
	s.min = rate[0];
	s.max = rate[runs - 1];
	s.cpu_ns_per_item = finished ? median(cpu, finished) : 0;
	s.sleeps_per_kitem = finished ? median(sleeps, finished) : 0;
	return s;
}

/* RSD_BENCH_QUEUES: comma-separated queue names to run (default: all); the
 * others print as 0.  For profiling one configuration at a time. */
static bool queue_selected(const struct queue_ops *ops)
{
	const char *list = getenv("RSD_BENCH_QUEUES");
	size_t len = strlen(ops->name);

	for (const char *p = list; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		if (strcspn(p, ",") == len && strncmp(p, ops->name, len) == 0)
			return true;
	}
	return !list;
}

int main(void)
{
	static struct sample samples[N_QUEUES][N_PRODUCER_COUNTS][MAX_RUNS];
	struct summary sum[N_QUEUES][N_PRODUCER_COUNTS];
	uint64_t items = env_u64("RSD_BENCH_ITEMS", 1000000, UINT64_C(1) << 32);
	unsigned max_runs = (unsigned)env_u64("RSD_BENCH_RUNS", 5, MAX_RUNS), runs = 0;
	size_t capacity = (size_t)env_u64("RSD_BENCH_CAPACITY", 1024, 1u << 20);
	double budget_s = (double)env_u64("RSD_BENCH_BUDGET_S", (uint64_t)TOTAL_BUDGET_S, 3600);
	double start = now_s(CLOCK_MONOTONIC);
	bool ok = true;

	pin_threads = env_u64("RSD_BENCH_PIN", 0, 1) == 1;
	/* Rounds outermost: every configuration gets one sample per round, so
	 * the machine's noise hits all of them alike.  A round only starts if
	 * the previous one suggests it fits in the time budget. */
	while (runs < max_runs) {
		double round_start = now_s(CLOCK_MONOTONIC);

		for (size_t q = 0; q < N_QUEUES; q++)
			for (size_t p = 0; p < N_PRODUCER_COUNTS; p++) {
				struct sample *smp = &samples[q][p][runs];

				if (!queue_selected(&queues[q])) {
					*smp = (struct sample){ .ok = true };
					continue;
				}

				*smp = run_sample(&queues[q], producer_counts[p], items, capacity);
				ok &= smp->ok;
			}
		runs++;
		if (2 * now_s(CLOCK_MONOTONIC) - round_start - start > budget_s)
			break;
	}
	for (size_t q = 0; q < N_QUEUES; q++)
		for (size_t p = 0; p < N_PRODUCER_COUNTS; p++)
			sum[q][p] = summarise(samples[q][p], runs);

	printf("ring benchmark: %" PRIu64 " items per run, capacity %zu, median of %u runs"
	       " (a run over %d ms counts as stalled, rate 0)%s\n",
	       items, capacity, runs, RUN_TIMEOUT_MS,
	       pin_threads ? ", consumer pinned to CPU 0, producers to the others" : "");
	printf("%-15s %9s %9s %20s %12s %7s %7s %12s\n", "queue", "producers", "Mitems/s",
	       "(min .. max)", "CPU ns/item", "vs ck", "stalls", "sleeps/kitem");
	for (size_t q = 0; q < N_QUEUES; q++)
		for (size_t p = 0; p < N_PRODUCER_COUNTS; p++) {
			const struct summary *s = &sum[q][p];
			double ck = sum[CK_QUEUE][p].median;

			printf("%-15s %9u %9.2f %8.2f .. %8.2f %12.0f ", queues[q].name,
			       producer_counts[p], s->median, s->min, s->max, s->cpu_ns_per_item);
			if (ck > 0)
				printf("%6.2fx", s->median / ck);
			else
				printf("%7s", "-");
			printf(" %7u %12.2f\n", s->stalls, s->sleeps_per_kitem);
		}
	if (!ok)
		fprintf(stderr, "bench_ring: items lost or corrupted\n");
	return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
