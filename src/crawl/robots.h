/* SPDX-License-Identifier: MIT */
#ifndef RSD_ROBOTS_H
#define RSD_ROBOTS_H

/* robots.txt (RFC 9309): the rules of the group that applies to our product
 * token, matched longest-match-first with "*" and "$", plus Crawl-delay and
 * Sitemap lines. Immutable after parsing: a parsed file can be read by any
 * number of threads at once, each holding a reference (rsd_robots_ref), so
 * that one thread may match a URL while another replaces the file. A
 * verdict costs at most O(URL length + pattern length) per rule. */

#include <stdbool.h>
#include <stddef.h>

#include "core/url.h"

/* RFC 9309 2.5: crawlers MUST parse at least 500 KiB; we parse that much and
 * ignore the rest. */
#define RSD_ROBOTS_MAX_BYTES (500 * 1024)
/* Rules kept for the group that applies, counted as written (repeats too;
 * they are merged afterwards); later ones are ignored like bytes past
 * RSD_ROBOTS_MAX_BYTES. Real files hold a few hundred; the cap bounds the
 * memory and what one URL's verdict can cost. */
#define RSD_ROBOTS_MAX_RULES 10000
/* A rule whose pattern has more literal octets (after percent-encoding
 * normalisation, '*' and the final '$' not counted) than the longest URL
 * the crawler admits (RSD_URL_MAX_BYTES) could never match: it is ignored. */
#define RSD_ROBOTS_MAX_PATTERN RSD_URL_MAX_BYTES

struct rsd_robots;

/* Parses text[0..len) (any bytes; at most RSD_ROBOTS_MAX_BYTES are read) for
 * the crawler whose product token is `agent` (e.g. "recipe-scraperd"; see
 * rsd_robots_product_token). 0 and *out; -ENOMEM. */
int rsd_robots_parse(const char *text, size_t len, const char *agent, struct rsd_robots **out);
/* The two verdicts RFC 9309 2.3.1 prescribes without a file: 4xx -> allow
 * all, 5xx/unreachable -> disallow all. */
int rsd_robots_new_allow_all(struct rsd_robots **out);
int rsd_robots_new_disallow_all(struct rsd_robots **out);
/* A new reference to r (one per holder; the parse/new call gives the first). */
struct rsd_robots *rsd_robots_ref(struct rsd_robots *r);
/* Drops a reference; the last one frees. Accepts NULL. */
void rsd_robots_free(struct rsd_robots *r);

/* path: the URL's path and query ("/a/b?c"), as sent in the request line.
 * "/robots.txt" is always allowed. */
bool rsd_robots_allowed(const struct rsd_robots *r, const char *path);
/* The same, and when disallowed rule[0..rule_size) holds the Disallow rule
 * that decided, as written in its normalised encoding (cut to fit), or ""
 * for a complete disallow (rsd_robots_new_disallow_all, out of memory). A
 * copy, so that the verdict outlives the caller's reference to r. */
bool rsd_robots_check(const struct rsd_robots *r, const char *path, char *rule, size_t rule_size);
/* Crawl-delay of the matched group in milliseconds, 0 when absent. */
unsigned rsd_robots_crawl_delay_ms(const struct rsd_robots *r);
/* Sitemap: URLs (absolute, as written), in file order. */
size_t rsd_robots_sitemaps(const struct rsd_robots *r, const char *const **urls);

/* Sitemaps (sitemaps.org 0.9), the other half of the exclusion protocol's
 * discovery side: the <loc> values of a <urlset> (pages) or a
 * <sitemapindex> (*is_index: more sitemaps), entity-decoded and trimmed,
 * at most RSD_ROBOTS_SITEMAP_MAX_URLS (the protocol's limit). 0 and
 * *locs and *n (free with rsd_robots_sitemap_free); -ENOTSUP for a gzip file
 * (see rsd_robots_sitemap_read); -ENOMEM. */
#define RSD_ROBOTS_SITEMAP_MAX_URLS 50000
int rsd_robots_sitemap_parse(const char *xml, size_t len, bool *is_index, char ***locs, size_t *n);
void rsd_robots_sitemap_free(char **locs, size_t n);

/* The protocol's limit on an uncompressed sitemap file (50 MB). */
#define RSD_ROBOTS_SITEMAP_MAX_BYTES (50u * 1000 * 1000)
/* The same for a sitemap as fetched: a .xml.gz file served without
 * Content-Encoding (so still compressed; the usual case) is gunzipped
 * first, to at most min(max_bytes, RSD_ROBOTS_SITEMAP_MAX_BYTES) bytes.
 * Also -EFBIG when it inflates past that (a gzip bomb) and -EBADMSG for a
 * corrupt or truncated gzip stream. */
int rsd_robots_sitemap_read(const char *data, size_t len, size_t max_bytes, bool *is_index,
			    char ***locs, size_t *n);
/* gzip (RFC 1952, concatenated members included) to *out (malloc'ed,
 * NUL-terminated, *out_len bytes without the NUL). 0; -EFBIG when the
 * output would exceed max_bytes (nothing is kept); -EBADMSG; -ENOMEM. */
int rsd_robots_gunzip(const char *gz, size_t len, size_t max_bytes, char **out, size_t *out_len);

/* The product token of a User-Agent string: its leading run of [A-Za-z_-]
 * ("recipe-scraperd/0.1 (+https://x)" -> "recipe-scraperd"); malloc'ed. */
char *rsd_robots_product_token(const char *user_agent);

#endif
