/* SPDX-License-Identifier: MIT */
#ifndef RSD_OFFSETS_H
#define RSD_OFFSETS_H

/* Partition offsets, the one thing the producer (what it acknowledged) and
 * the consumer (what it has written, for --once) exchange through the
 * daemon: apart from both so that neither includes the other. */

#include <stddef.h>
#include <stdint.h>

/* Highest acknowledged offset + 1 per partition of the record topic. */
struct rsd_partition_offset {
	int32_t partition;
	int64_t offset;
};
struct rsd_offsets {
	struct rsd_partition_offset *items;
	size_t n;
};
void rsd_offsets_clear(struct rsd_offsets *o);

#endif
