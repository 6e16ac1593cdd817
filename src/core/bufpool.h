/* SPDX-License-Identifier: MIT */
#ifndef RSD_BUFPOOL_H
#define RSD_BUFPOOL_H

/* Spare page buffers, shared by every thread. A page body of hundreds of
 * kilobytes was above the daemon's mmap threshold (128 KiB then): a fresh
 * one was new memory that faulted in a page at a time as it was written (a
 * fifth of a crawl's CPU when measured), and freeing it unmapped it.
 * Keeping a few freed buffers for the next page avoids both whatever the
 * threshold (main.c; a page may be up to max_page_bytes), and the pool is
 * bounded, so it keeps at most RSD_BUFPOOL_BYTES of memory resident.
 *
 * Ownership: rsd_bufpool_get hands the caller a malloc'd buffer (free() or
 * rsd_bufpool_put it); rsd_bufpool_put takes the buffer over in every case.
 * Thread safety: both may be called from any thread (one mutex). */

#include <stddef.h>

#define RSD_BUFPOOL_BYTES (8u << 20)

/* A buffer of at least want bytes, *cap set to its size; NULL on ENOMEM. */
void *rsd_bufpool_get(size_t want, size_t *cap);
/* Gives buf (cap bytes, or NULL) back: kept for a later get, or freed. */
void rsd_bufpool_put(void *buf, size_t cap);

#endif
