/* SPDX-License-Identifier: MIT */
#ifndef RSD_URL_H
#define RSD_URL_H

/* URL handling for the crawler, only through the curl URL API (never by
 * hand-written parsing): resolution of links against a page URL and the one
 * normal form used for deduplication, scope checks, the crawl state and the
 * Kafka key. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest URL the crawler accepts, as written or normalised. RFC 9110
 * 4.1 asks for at least 8000 octets; servers and CDNs commonly stop at 8 KiB,
 * so a longer link is almost never a real page, and the cap bounds what one
 * queued URL and one robots.txt match can cost. */
#define RSD_URL_MAX_BYTES 8192

/* Resolves ref against base (base NULL: ref must be absolute) and normalises:
 * scheme and host lower-cased, default port removed, fragment and
 * user:password dropped, dot segments of the path removed, empty path -> "/". Nothing else changes (the
 * query is kept byte for byte, parameters are not sorted).
 * Returns 0 and *out (malloc'ed, owned by the caller); -EPROTONOSUPPORT when
 * the scheme is not http or https (mailto:, javascript:, data:, ftp: ...);
 * -EINVAL when it does not parse; -ENAMETOOLONG when ref or the result is
 * longer than RSD_URL_MAX_BYTES; -ENOMEM. */
int rsd_url_normalize(const char *ref, const char *base, char **out);

/* Splits a normalised URL into its origin ("https://host[:port]") and the
 * rest ("/path?query"): the frontier stores the rest per host. The returned
 * lengths index into url; no allocation. -EINVAL when url is not normalised. */
int rsd_url_split(const char *url, size_t *origin_len);

/* Host name of an absolute URL (lower-case, malloc'ed). -EINVAL, -ENOMEM. */
int rsd_url_host(const char *url, char **host);

/* Keyed 64-bit hash (SipHash-2-4 with a per-process random key, so a hostile
 * site cannot precompute collisions). */
uint64_t rsd_url_hash(const void *data, size_t len);

#endif
