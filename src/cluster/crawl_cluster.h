/* SPDX-License-Identifier: MIT */
#ifndef RSD_CRAWL_CLUSTER_H
#define RSD_CRAWL_CLUSTER_H

/* Cluster mode ([cluster] frontier_topic): daemons that share a crawl
 * through Kafka, with no coordinator of their own.
 *
 * - Routing: every URL the frontier admits is produced to frontier_topic,
 *   key = its host, partition = murmur2(host) mod the topic's partition
 *   count (Kafka's Java default partitioner on that key), so one host is
 *   always in one partition. Value: "DEPTH REDIRECTS KIND URL" (KIND p =
 *   page, s = sitemap).
 * - Ownership: each daemon is a member of [cluster] group_id on
 *   frontier_topic (cooperative-sticky assignment) and queues only the
 *   URLs of its partitions, so each host has one crawler at a time and
 *   per-host politeness holds across the cluster.
 * - Crawl state: when a URL is settled, its state (done at, fetched at,
 *   validators, content hash, the hash of the delivered copy) is produced to
 *   state_topic (compacted) keyed by the URL, in the partition of its host.
 *   A newly assigned partition's state is read to its end, into the local
 *   crawl state and the done table, before its first URL is queued.
 * - Offsets: a frontier message's offset is committed only once it and
 *   every message before it in the partition are settled (fetched or given
 *   up, the record acknowledged) and what this daemon produced up to then
 *   (links, state) is acknowledged. A message abandoned unfinished (a
 *   revoke's queued URLs, a record not delivered, a reload) holds the
 *   commit back: whoever owns the partition next reads it again.
 * - Revoke: the partitions' queued URLs are dropped at once, their jobs in
 *   flight are waited for (at most shutdown_timeout_s), the hosts' clocks
 *   ("host NAME" -> {"not_before": Unix ms}) are produced to state_topic,
 *   settled offsets are committed, then the partitions go. On a stop the
 *   clocks are produced before the frontier goes (hand_off_clocks).
 *
 * The module does not log: errors are recorded in its health (like the
 * producer's), ownership changes counted in stats.rebalances for the daemon
 * to report.
 *
 * Threads: one consumer thread (group membership, rebalances, messages,
 * commits). settle() and route() are called from the scraper workers and
 * the producer thread; everything shared is under one mutex, taken after
 * the frontier's (the frontier calls settle with its lock held) and before
 * the crawl state's. */

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "crawl/frontier.h"
#include "crawl/state.h"

struct rsd_cluster;

struct rsd_cluster_stats {
	atomic_uint_fast64_t routed; /* URLs produced to frontier_topic */
	atomic_uint_fast64_t received; /* messages read from owned partitions */
	atomic_uint_fast64_t skipped; /* ... already done or queued in the cluster */
	atomic_uint_fast64_t state_read; /* state_topic entries applied */
	atomic_uint_fast64_t state_written; /* state_topic entries produced */
	atomic_uint_fast64_t settled; /* frontier messages settled here (fetched or given up) */
	atomic_uint_fast64_t abandoned; /* ... left unsettled for the next owner */
	atomic_uint_fast64_t rebalances; /* assignment changes */
	atomic_uint_fast64_t assigned; /* partitions received, summed over rebalances */
	atomic_uint_fast64_t revoked; /* ... handed off (in flight waited for, committed) */
	atomic_uint_fast64_t lost; /* ... lost: the group moved on without a hand-off */
	atomic_uint_fast64_t partitions; /* owned now */
	/* The thread's loop and its bounded waits (reading a partition's
	 * state, a revoke's in-flight URLs, a commit's answer) move it at least
	 * once a second: the daemon's watchdog and /healthz watch it. */
	atomic_uint_fast64_t progress;
};

/* Creates the clients (no thread yet). state must outlive the cluster. */
int rsd_cluster_new(const struct rsd_config *cfg, const char *bootstrap, struct rsd_state *state,
		    int wake_fd, char *errbuf, size_t errlen, struct rsd_cluster **out);
/* Feeds frontier f (hooks set here, before the crawl starts) and, the
 * first time, learns the topics' partition counts (at most 10 s) and joins
 * the group. A frontier attached after another one (reload) re-reads what
 * was not settled. -ENOENT with errbuf when a topic is missing, -EPROTO
 * when their partition counts differ. */
int rsd_cluster_attach(struct rsd_cluster *c, struct rsd_frontier *f, char *errbuf, size_t errlen);
/* The crawl stops for good (the group is left next): the politeness
 * clock of every host of the partitions owned, that may not be asked
 * again yet, is produced to state_topic for the hosts' next owners (the
 * final revoke finds the frontier gone). After the scraper stopped and
 * joined, before rsd_cluster_detach; not on a reload that keeps the
 * cluster (the partitions stay here). */
void rsd_cluster_hand_off_clocks(struct rsd_cluster *c);
/* Before the attached frontier is freed (its scraper stopped and joined). */
void rsd_cluster_detach(struct rsd_cluster *c);
/* Commits what is settled and leaves the group (the thread ends): the
 * counters are final from here on. Call after the producer that settles
 * records is gone. Leaving takes at most close_ms; returns whether the group
 * was left in time (false: the others take this member's partitions only
 * after session.timeout.ms). */
bool rsd_cluster_leave(struct rsd_cluster *c, int close_ms);
/* Leaves (when not done yet) and frees. Accepts NULL. */
void rsd_cluster_free(struct rsd_cluster *c);

/* rsd_producer_settle_fn: a record with a ticket was freed. */
void rsd_cluster_settle_record(void *ctx, uint64_t ticket, bool delivered);

const struct rsd_cluster_stats *rsd_cluster_stats(const struct rsd_cluster *c);
/* What the daemon reports of the cluster (metrics, stats entries). */
struct rsd_cluster_counts {
	/* totals: routed ... lost as in rsd_cluster_stats; errors: librdkafka's */
	uint64_t routed, received, skipped, settled, abandoned, state_read, state_written;
	uint64_t rebalances, assigned, revoked, lost, errors;
	/* now: partitions owned, of the topic's; hosts queued or in flight */
	uint64_t owned, partitions, hosts;
};

/* A snapshot of c's counters into *out (main thread). */
void rsd_cluster_counts_read(struct rsd_cluster *c, struct rsd_cluster_counts *out);
/* Its thread runs (from the first attach until free): stats.progress moves. */
bool rsd_cluster_running(const struct rsd_cluster *c);
/* The partitions owned, as "0,3,7" in buf, their count in *n, of *total;
 * *hosts: hosts with URLs queued or in flight among them. */
void rsd_cluster_ownership(struct rsd_cluster *c, char *buf, size_t len, size_t *n, size_t *total,
			   size_t *hosts);
uint64_t rsd_cluster_last_error(struct rsd_cluster *c, char *buf, size_t len);
int rsd_cluster_fatal(struct rsd_cluster *c, char *buf, size_t len);

/* The partition of host among n (murmur2, as Kafka's default partitioner
 * places a message keyed by host). */
int32_t rsd_cluster_partition_of(const char *host, int32_t n);

#endif
