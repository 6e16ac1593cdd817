/* SPDX-License-Identifier: MIT */
#ifndef RSD_CRAWL_CLUSTER_BOOK_H
#define RSD_CRAWL_CLUSTER_BOOK_H

/* The bookkeeping of cluster mode (crawl_cluster.h), without Kafka: which
 * frontier messages of each owned partition are settled, the commit point
 * that follows, tickets, and the done table (which URLs the cluster has
 * queued or finished, and when). Not thread-safe: the caller holds its
 * lock. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* A URL hash -> state map, open addressing, never shrinking (like the
 * frontier's seen set). */
#define RSD_DONE_QUEUED ((int64_t)-1) /* queued or in flight somewhere here */
struct rsd_done_map {
	uint64_t *keys; /* 0 = empty */
	int64_t *vals; /* RSD_DONE_QUEUED, or when it was done (Unix time; 0 = not done) */
	size_t cap, n;
};
int rsd_done_put(struct rsd_done_map *m, uint64_t key, int64_t val);
/* 0 when absent. */
int64_t rsd_done_get(const struct rsd_done_map *m, uint64_t key);
void rsd_done_free(struct rsd_done_map *m);

enum rsd_pending_state { PENDING_QUEUED, PENDING_SETTLED, PENDING_ABANDONED };

struct rsd_pending {
	int64_t offset;
	uint64_t hash; /* of the URL */
	char *url; /* while queued; NULL otherwise */
	uint8_t state; /* enum rsd_pending_state */
};

/* One partition of frontier_topic: its messages not yet committable, in
 * offset order (items[head..n)), seq numbering them from 1 since it was
 * assigned. */
struct rsd_book_part {
	bool owned;
	struct rsd_pending *items;
	size_t head, n, cap;
	uint64_t first_seq; /* seq of items[0] */
	int64_t next; /* offset after the last message recorded; -1: none yet */
	int64_t committed; /* last commit point committed; -1: none */
	unsigned queued; /* items still PENDING_QUEUED */
	int64_t assigned_ms; /* CLOCK_MONOTONIC when it was last assigned here */
};

/* Tickets: generation (16 bits), partition (16 bits), seq (32 bits). */
uint64_t rsd_book_ticket(uint16_t generation, int32_t partition, uint64_t seq);
void rsd_book_ticket_split(uint64_t ticket, uint16_t *generation, int32_t *partition,
			   uint64_t *seq);

/* Records message offset of p (url copied while queued). *seq: its
 * number. -ENOMEM. */
int rsd_book_add(struct rsd_book_part *p, int64_t offset, uint64_t hash, const char *url,
		 enum rsd_pending_state state, uint64_t *seq);
/* The message numbered seq, or NULL when it is no longer tracked. */
struct rsd_pending *rsd_book_find(struct rsd_book_part *p, uint64_t seq);
/* Marks item settled or abandoned (from queued) and moves the head past
 * settled items. */
void rsd_book_settle(struct rsd_book_part *p, struct rsd_pending *item, enum rsd_pending_state st);
/* The offset to commit (the first message not settled, or after the last
 * one); -1 when nothing was recorded. */
int64_t rsd_book_commit_point(const struct rsd_book_part *p);
/* Forgets every item (calling each() on the hash of those still queued:
 * the caller un-marks them) and the partition's numbering; next and
 * committed stay. */
void rsd_book_reset(struct rsd_book_part *p, void (*each)(void *ctx, uint64_t hash), void *ctx);

#endif
