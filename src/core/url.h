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

/* A base URL parsed once for the many references of one page: parsing the
 * base for each of them was half of the cost of resolving one. */
struct rsd_url_base {
	struct Curl_URL *u; /* NULL: no base (refs must be absolute) or bad */
	bool bad; /* the base does not parse: nothing resolves against it */
};

/* base may be NULL. 0, or -ENOMEM. */
int rsd_url_base_init(struct rsd_url_base *b, const char *base);
void rsd_url_base_clear(struct rsd_url_base *b);

/* Absolute form of ref against b, as a browser reads an href: surrounding
 * white space ignored, bytes that must be encoded percent-encoded, any
 * scheme kept (mailto:, javascript:), the fragment dropped when asked,
 * nothing else normalised. malloc'ed, or NULL when ref is empty or does not
 * resolve (or ENOMEM). */
char *rsd_url_resolve(const struct rsd_url_base *b, const char *ref, bool drop_fragment);

/* A page's link as the crawler takes it: what rsd_url_normalize and
 * rsd_url_host give for the link rsd_url_resolve gives (fragment dropped),
 * from one parse of it instead of three. */
struct rsd_url_link {
	char *url; /* the normal form; NULL when error is set */
	char *host; /* url's host, lower-case; NULL when error is set */
	/* The link as resolved (what a refusal names) when it differs from
	 * url (credentials, a default port, host case) or error is set;
	 * NULL: the same as url. */
	char *resolved;
	int error; /* rsd_url_normalize's: -EPROTONOSUPPORT, -ENAMETOOLONG, -EINVAL */
};

/* Resolves ref against b into *link. 0 (link->error may be set: a link
 * the crawler refuses); -ENOENT when ref does not resolve (no link: the
 * same as rsd_url_resolve's NULL); -ENOMEM. */
int rsd_url_link_make(const struct rsd_url_base *b, const char *ref, struct rsd_url_link *link);
/* A copy of a link (a page repeats its hrefs). 0 or -ENOMEM. */
int rsd_url_link_copy(const struct rsd_url_link *from, struct rsd_url_link *to);
/* The link as resolved (what a refusal names). */
const char *rsd_url_link_resolved(const struct rsd_url_link *link);
void rsd_url_link_clear(struct rsd_url_link *link); /* frees, zeroes */

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
