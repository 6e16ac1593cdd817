/* SPDX-License-Identifier: MIT */
#ifndef RSD_TEST_HTTPD_H
#define RSD_TEST_HTTPD_H

/* A loopback HTTP server for tests (libmicrohttpd, one thread per
 * connection): serves a directory and scripted routes (status codes,
 * delays, Retry-After, redirects, gzip, failures before success), and logs
 * every request with a CLOCK_MONOTONIC timestamp so tests can assert what
 * was requested and when.
 *
 * Binds 127.0.0.1 (or another loopback address) on a free port. Delays wait on a condition variable that
 * rsd_httpd_free() signals, so stopping never waits for a sleeping route. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rsd_httpd;

struct rsd_httpd_route {
	const char *path; /* exact request path (no query) */
	unsigned status; /* 0 = 200 */
	const char *body; /* NULL: "" (or fill_len bytes) */
	size_t body_len; /* 0: strlen(body) */
	size_t fill_len; /* body of this many 'x' bytes instead of body */
	const char *content_type; /* NULL: text/html; charset=utf-8 */
	const char *location; /* Location header */
	const char *retry_after; /* Retry-After header (with fail_status) */
	unsigned delay_ms; /* wait before answering */
	unsigned fail_times; /* the first N requests get fail_status ... */
	unsigned fail_status; /* ... (with retry_after), then the route answers normally */
	bool gzip; /* compress the body, Content-Encoding: gzip */
	bool then_file; /* after the failures, serve the file at path */
	const char *etag; /* ETag header; a matching If-None-Match gets 304 */
};

struct rsd_httpd_request {
	char method[8];
	char path[512];
	char user_agent[128];
	unsigned status; /* what was answered (0 while still being answered) */
	int64_t at_ms; /* CLOCK_MONOTONIC when the request arrived */
};

/* root: directory served for paths without a route (NULL: none). */
int rsd_httpd_start(const char *root, struct rsd_httpd **out);
/* The same on another IPv4 address of the machine, e.g. "127.0.0.2"
 * (all of 127/8 is loopback: a second "host" for the tests). */
int rsd_httpd_start_at(const char *ip, const char *root, struct rsd_httpd **out);
/* https on 127.0.0.1 with this key and certificate (PEM texts), for the
 * TLS verification tests; no directory. */
int rsd_httpd_start_tls(const char *key_pem, const char *cert_pem, struct rsd_httpd **out);
void rsd_httpd_free(struct rsd_httpd *h); /* accepts NULL */
/* Copies r (and its strings, body compressed when gzip). Thread-safe. A
 * later route for the same path replaces the earlier one (a page changes). */
int rsd_httpd_route(struct rsd_httpd *h, const struct rsd_httpd_route *r);
/* "http://127.0.0.1:PORT" */
const char *rsd_httpd_base(const struct rsd_httpd *h);
unsigned rsd_httpd_port(const struct rsd_httpd *h);

/* A snapshot of the request log (malloc'ed array, caller frees). */
size_t rsd_httpd_log(struct rsd_httpd *h, struct rsd_httpd_request **out);
/* How many requests had this path. */
unsigned rsd_httpd_count(struct rsd_httpd *h, const char *path);

int64_t rsd_httpd_now_ms(void);

#endif
