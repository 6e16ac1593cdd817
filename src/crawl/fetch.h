/* SPDX-License-Identifier: MIT */
#ifndef RSD_FETCH_H
#define RSD_FETCH_H

/* One HTTP(S) transfer as the crawler wants it: a libcurl easy handle with
 * the safety settings always on (http/https only, TLS verified, no proxy
 * from the environment, size cap enforced while downloading and after
 * decompression, refusal of non-public addresses checked on the socket
 * actually opened), plus the classification of its outcome.
 *
 * A fetch is used by one thread at a time (the worker whose multi handle it
 * is added to). It owns the downloaded body. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/socket.h>
#include <curl/curl.h>

struct rsd_fetch_options {
	const char *user_agent;
	unsigned timeout_s; /* whole transfer */
	uint64_t max_bytes; /* decoded body cap */
	bool truncate; /* at max_bytes keep what came and succeed (robots.txt) */
	bool follow_redirects; /* let curl follow up to 5 (robots.txt); else report them */
	bool allow_private; /* allow_private_addresses */
	/* Validators of the copy we have, for a conditional GET (or NULL). */
	const char *if_none_match; /* its ETag */
	const char *if_modified_since; /* its Last-Modified */
};

struct rsd_fetch {
	CURL *easy;
	void *user; /* the caller's, e.g. its job; never touched here */
	char *body; /* NUL-terminated after completion; owned by the fetch */
	size_t len, cap;
	uint64_t max_bytes;
	bool truncate, truncated, too_big, allow_private;
	bool blocked; /* an address was refused and no connection came up since */
	/* The address check: rsd_fetch_addr_kind, NULL for an address that
	 * may be fetched (tests put their own here after rsd_fetch_new to
	 * refuse some loopback addresses only). */
	const char *(*addr_kind)(const struct sockaddr *sa);
	struct curl_slist *headers; /* request headers, owned */
	char blocked_why[192]; /* "ADDRESS is a loopback address (RANGE)" when blocked */
	char errbuf[CURL_ERROR_SIZE];
};

enum rsd_fetch_status {
	RSD_FETCH_OK, /* 2xx: body is the page */
	RSD_FETCH_REDIRECT, /* 3xx with a Location: see location */
	RSD_FETCH_NOT_MODIFIED, /* 304 to a conditional GET */
	RSD_FETCH_RETRY, /* 5xx, 429, 408, timeout, connection trouble */
	RSD_FETCH_HTTP_ERROR, /* other 4xx (and 3xx without Location ...) */
	RSD_FETCH_TOO_BIG, /* above max_bytes (announced or received) */
	RSD_FETCH_BLOCKED, /* the address is not public (reason names it and its range;
				 * no other address of the name connected) */
	RSD_FETCH_ERROR, /* any other transfer failure */
};

struct rsd_fetch_result {
	enum rsd_fetch_status status;
	long http_code; /* 0 when no response */
	unsigned retry_after_ms; /* from Retry-After on 429/503, else 0 */
	/* The following point into the easy handle; valid until rsd_fetch_free. */
	const char *location; /* absolute redirect target (curl resolved it) */
	const char *content_type;
	const char *etag;
	const char *last_modified;
	const char *reason; /* human-readable cause for failures */
};

int rsd_fetch_new(const struct rsd_fetch_options *opt, const char *url, void *user,
		  struct rsd_fetch **out);
void rsd_fetch_free(
	struct rsd_fetch *f); /* accepts NULL; the easy handle must be out of any multi */

/* Classifies a finished transfer (code from CURLMSG_DONE). */
void rsd_fetch_result(struct rsd_fetch *f, CURLcode code, struct rsd_fetch_result *res);

/* True when the address must not be fetched without allow_private_addresses:
 * every range of the IANA special-purpose registries that is not globally
 * reachable (unspecified, loopback, private: RFC 1918, CGNAT, IPv6 ULA;
 * link-local, site-local, multicast, reserved/broadcast, benchmarking,
 * documentation, discard, local-use NAT64 64:ff9b:1::/48, 2001::/23), and
 * 6to4 2002::/16, which reaches any IPv4 address; the IPv6 forms that carry
 * an IPv4 address (mapped ::ffff:0:0/96, SIIT ::ffff:0:0:0/96, NAT64
 * 64:ff9b::/96) are judged by that address. */
bool rsd_fetch_addr_restricted(const struct sockaddr *sa);
/* What a restricted address is, for people ("a loopback address
 * (127.0.0.0/8)"; static); NULL for a public address. */
const char *rsd_fetch_addr_kind(const struct sockaddr *sa);
/* The same for a textual address; true for anything that does not parse. */
bool rsd_fetch_ip_restricted(const char *ip);

/* Retry-After (RFC 9110 10.2.3): delay-seconds or an HTTP-date (relative to
 * now; a date in the past is 0). 0 and *seconds, or -EINVAL. */
int rsd_fetch_parse_retry_after(const char *value, time_t now, unsigned *seconds);

#endif
