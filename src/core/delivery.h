/* SPDX-License-Identifier: MIT */
#ifndef RSD_DELIVERY_H
#define RSD_DELIVERY_H

/* What becomes of a record once Kafka has answered for it: the producer
 * (kafka layer) reports through these callbacks, and the daemon points them
 * at the crawl state (crawl layer, rsd_state_delivery_marks). The producer
 * so never knows the crawl state, and neither library links the other. */

#include <stdint.h>

struct rsd_delivery_marks {
	void *ctx; /* passed back to every callback; owned by whoever wired it */
	/* The (cluster id, topic) the marks below belong to; cluster_id is
	 * NULL for an ephemeral cluster (brokers = embedded). Negative errno
	 * on failure (the producer then does not take the identity). */
	int (*set_scope)(void *ctx, const char *cluster_id, const char *topic);
	/* The record of url (page content_hash) is in Kafka. */
	int (*delivered)(void *ctx, const char *url, uint64_t content_hash);
	/* The record of url was refused for good (too large): given up until
	 * the page changes. */
	int (*rejected)(void *ctx, const char *url, uint64_t content_hash);
};

#endif
