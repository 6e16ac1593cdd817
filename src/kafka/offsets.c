/* SPDX-License-Identifier: MIT */
/* Partition offsets (see offsets.h). */
#include <stdlib.h>

#include "kafka/offsets.h"

void rsd_offsets_clear(struct rsd_offsets *o)
{
	if (!o)
		return;
	free(o->items);
	o->items = NULL;
	o->n = 0;
}
