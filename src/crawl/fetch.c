/* SPDX-License-Identifier: MIT */
/* One crawler transfer (see fetch.h). The address check sits in the
 * open-socket callback: it sees the address curl is about to connect to,
 * after DNS resolution, so a name that resolves (or re-resolves: DNS
 * rebinding) to an internal address is refused however it was reached. */

#include "crawl/fetch.h"
#include "core/bufpool.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONNECT_TIMEOUT_S 10
#define LOW_SPEED_BYTES 1 /* below 1 byte/s for ... */
#define LOW_SPEED_TIME_S 30 /* ... 30 s: the server is hanging */
#define MAX_REDIRS 5
/* curl's read buffer (default 16 KiB): each fill is one recv(2), and each
 * recv one more turn of the worker's perform/poll loop, about 24 per page
 * of 385 KB. 64 KiB takes a quarter of them (8,192 pages, raw_topic off:
 * 1.66-1.69 against 1.80-1.84 ms of CPU per page) and stays below the
 * daemon's mmap threshold (main.c; it was 128 KiB then), so the buffer of each transfer
 * comes from the thread's malloc arena rather than a fresh mapping faulted
 * in page by page (120 KiB measured no better than 16 KiB in the same runs).
 * It costs 48 KiB more per transfer in flight (max_connections). */
#define RECV_BUFFER_BYTES 65536L

/* ---- address ranges ---- */

/* From the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890
 * and updates): every range not globally reachable, plus those that reach
 * other networks through an embedded address; for IPv6 also everything
 * outside 2000::/3, the only global unicast space allocated. Each range
 * says what it is, for the refusal's detail ("127.0.0.1 is " + what). */

struct v4_range {
	uint32_t net;
	uint8_t len;
	const char *what;
};

static const struct v4_range v4_blocked[] = {
	/* 0.0.0.0 reaches the local host */
	{ 0x00000000, 8, "a \"this network\" address (0.0.0.0/8)" },
	{ 0x0a000000, 8, "a private address (10.0.0.0/8)" },
	{ 0x64400000, 10, "a shared (CGNAT) address (100.64.0.0/10)" },
	{ 0x7f000000, 8, "a loopback address (127.0.0.0/8)" },
	{ 0xa9fe0000, 16, "a link-local address (169.254.0.0/16)" },
	{ 0xac100000, 12, "a private address (172.16.0.0/12)" },
	{ 0xc0000000, 24, "an IETF protocol assignment (192.0.0.0/24)" },
	{ 0xc0000200, 24, "a documentation address (192.0.2.0/24)" },
	{ 0xc0586300, 24, "a 6to4 relay anycast address (192.88.99.0/24)" },
	{ 0xc0a80000, 16, "a private address (192.168.0.0/16)" },
	{ 0xc6120000, 15, "a benchmarking address (198.18.0.0/15)" },
	{ 0xc6336400, 24, "a documentation address (198.51.100.0/24)" },
	{ 0xcb007100, 24, "a documentation address (203.0.113.0/24)" },
	{ 0xe0000000, 4, "a multicast address (224.0.0.0/4)" },
	/* 255.255.255.255 included */
	{ 0xf0000000, 4, "a reserved or broadcast address (240.0.0.0/4)" },
};

static const char *ipv4_kind(uint32_t a) /* host byte order */
{
	for (size_t i = 0; i < sizeof(v4_blocked) / sizeof(v4_blocked[0]); i++) {
		uint32_t mask = UINT32_MAX << (32 - v4_blocked[i].len);
		if ((a & mask) == v4_blocked[i].net)
			return v4_blocked[i].what;
	}
	return NULL;
}

static uint32_t ipv4_at(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

struct v6_range {
	unsigned char prefix[16];
	uint8_t len;
	bool embeds_v4; /* the last 32 bits are an IPv4 address: judge that */
	const char *what;
};

/* Global unicast (2000::/3) only, less these; the forms carrying an IPv4
 * address come first. Everything outside 2000::/3 is refused (IANA:
 * reserved or special): ::/8 (::, ::1, IPv4-compatible, local-use NAT64
 * 64:ff9b:1::/48), 100::/64 discard, 100:0:0:1::/64 dummy, 5f00::/16
 * segment routing, fc00::/7 unique local, fe80::/10 link-local, fec0::/10
 * site-local, ff00::/8 multicast. */
static const struct v6_range v6_ranges[] = {
	{ { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff },
	  96,
	  true,
	  NULL }, /* ::ffff:0:0/96 IPv4-mapped */
	{ { 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0 }, 96, true, NULL }, /* ::ffff:0:0:0/96 SIIT */
	{ { 0, 0x64, 0xff, 0x9b }, 96, true, NULL }, /* 64:ff9b::/96 NAT64 */
	/* Teredo, benchmarking, ORCHID ... */
	{ { 0x20, 0x01 }, 23, false, "an IETF protocol assignment (2001::/23)" },
	{ { 0x20, 0x01, 0x0d, 0xb8 }, 32, false, "a documentation address (2001:db8::/32)" },
	/* 6to4 reaches any IPv4 address, private ones too */
	{ { 0x20, 0x02 }, 16, false, "a 6to4 address (2002::/16)" },
	{ { 0x3f, 0xff, 0 }, 20, false, "a documentation address (3fff::/20)" },
	/* Outside 2000::/3, refused anyway: named for the refusal's detail. */
	{ { [15] = 1 }, 128, false, "the loopback address (::1)" },
	{ { 0xfc }, 7, false, "a unique local address (fc00::/7)" },
	{ { 0xfe, 0x80 }, 10, false, "a link-local address (fe80::/10)" },
	{ { 0xfe, 0xc0 }, 10, false, "a site-local address (fec0::/10)" },
	{ { 0xff }, 8, false, "a multicast address (ff00::/8)" },
};

static bool v6_in(const unsigned char *a, const struct v6_range *r)
{
	size_t whole = r->len / 8;
	unsigned rest = r->len % 8;
	if (memcmp(a, r->prefix, whole) != 0)
		return false;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return rest == 0 || (a[whole] & mask) == r->prefix[whole];
}

static const char *ipv6_kind(const struct in6_addr *in)
{
	const unsigned char *b = in->s6_addr;
	/* The first match decides. */
	for (size_t i = 0; i < sizeof(v6_ranges) / sizeof(v6_ranges[0]); i++)
		if (v6_in(b, &v6_ranges[i]))
			return v6_ranges[i].embeds_v4 ? ipv4_kind(ipv4_at(b + 12))
						      : v6_ranges[i].what;
	if ((b[0] & 0xe0) == 0x20)
		return NULL;
	return "not a global unicast address (outside 2000::/3: loopback, unique local, "
	       "link-local, multicast or reserved)";
}

const char *rsd_fetch_addr_kind(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ipv4_kind(
			ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr));
	if (sa->sa_family == AF_INET6)
		return ipv6_kind(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr);
	return "not an internet address"; /* AF_UNIX and the rest are never crawled */
}

bool rsd_fetch_addr_restricted(const struct sockaddr *sa)
{
	return rsd_fetch_addr_kind(sa) != NULL;
}

bool rsd_fetch_ip_restricted(const char *ip)
{
	struct sockaddr_in v4 = { .sin_family = AF_INET };
	struct sockaddr_in6 v6 = { .sin6_family = AF_INET6 };
	if (inet_pton(AF_INET, ip, &v4.sin_addr) == 1)
		return rsd_fetch_addr_restricted((const struct sockaddr *)&v4);
	if (inet_pton(AF_INET6, ip, &v6.sin6_addr) == 1)
		return rsd_fetch_addr_restricted((const struct sockaddr *)&v6);
	return true;
}

/* ---- Retry-After ---- */

int rsd_fetch_parse_retry_after(const char *value, time_t now, unsigned *seconds)
{
	while (*value == ' ' || *value == '\t')
		value++;
	if (isdigit((unsigned char)*value)) {
		unsigned long long v = 0;
		const char *p = value;
		for (; isdigit((unsigned char)*p); p++)
			v = v > UINT_MAX ? v : v * 10 + (unsigned)(*p - '0');
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\0')
			return -EINVAL;
		*seconds = v > UINT_MAX ? UINT_MAX : (unsigned)v;
		return 0;
	}
	time_t when = curl_getdate(value, NULL);
	if (when == -1)
		return -EINVAL;
	*seconds = when <= now ? 0 : (when - now > UINT_MAX ? UINT_MAX : (unsigned)(when - now));
	return 0;
}

/* ---- callbacks ---- */

/* "127.0.0.1 is a loopback address (127.0.0.0/8)": the refusal's detail. */
static void describe_blocked(struct rsd_fetch *f, const struct sockaddr *sa, const char *kind)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, ip,
			  sizeof ip);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, ip,
			  sizeof ip);
	snprintf(f->blocked_why, sizeof f->blocked_why, "%s is %s", ip, kind);
}

/* Called for each address curl tries: a refused one makes curl go on to
 * the next address of the name, so a refusal only marks the attempt. */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
{
	struct rsd_fetch *f = clientp;
	const char *kind = f->allow_private ? NULL : f->addr_kind(&addr->addr);
	if (kind) {
		f->blocked = true;
		describe_blocked(f, &addr->addr, kind);
		return CURL_SOCKET_BAD;
	}
	return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

/* A connection is up (or reused) for the next request: refusals of other
 * addresses before it did not stop this hop. A later hop (a followed
 * redirect) that is refused marks blocked again. */
static int on_connected(void *clientp, char *primary_ip, char *local_ip, int primary_port,
			int local_port)
{
	struct rsd_fetch *f = clientp;
	f->blocked = false;
	return CURL_PREREQFUNC_OK;
}

/* The body's first buffer: the announced Content-Length when there is one
 * (a hint, capped by max_bytes; a compressed body grows past it), so that a
 * page is not copied from buffer to doubled buffer as it arrives. */
static size_t first_capacity(struct rsd_fetch *f)
{
	curl_off_t announced = -1;
	size_t cap = 16384;
	CURLcode rc = curl_easy_getinfo(f->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced);
	if (rc == CURLE_OK && announced >= (curl_off_t)cap)
		cap = (uint64_t)announced < f->max_bytes ? (size_t)announced + 1 : f->max_bytes + 1;
	return cap;
}

/* Receives the decoded body: the cap applies after decompression, so a
 * small gzip bomb cannot expand past max_bytes. Returning less than
 * offered aborts the transfer. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct rsd_fetch *f = userp;
	size_t n = size * nmemb;
	if (f->len + n > f->max_bytes) {
		if (!f->truncate) {
			f->too_big = true;
			return 0;
		}
		f->truncated = true;
		n = f->max_bytes - f->len;
		if (n == 0)
			return 0;
	}
	if (f->len + n + 1 > f->cap) {
		size_t cap = f->cap ? f->cap : first_capacity(f);
		while (cap < f->len + n + 1)
			cap *= 2;
		if (cap > f->max_bytes + 1)
			cap = f->max_bytes + 1;
		/* The first buffer may be a spare one (bufpool.h), at least cap. */
		char *b = f->body ? realloc(f->body, cap) : rsd_bufpool_get(cap, &cap);
		if (!b)
			return 0;
		f->body = b;
		f->cap = cap;
	}
	memcpy(f->body + f->len, data, n);
	f->len += n;
	return f->truncated ? 0 : n;
}

/* ---- life cycle ---- */

static int setup(struct rsd_fetch *f, const struct rsd_fetch_options *opt, const char *url)
{
	CURL *e = f->easy;
	CURLcode rc = CURLE_OK;
#define SET(opt_, val_)                                       \
	do {                                                  \
		if (rc == CURLE_OK)                           \
			rc = curl_easy_setopt(e, opt_, val_); \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PRIVATE, f);
	SET(CURLOPT_ERRORBUFFER, f->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USERAGENT, opt->user_agent);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, opt->follow_redirects ? 1L : 0L);
	SET(CURLOPT_MAXREDIRS, (long)MAX_REDIRS);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	/* An environment proxy would be the address connected to, which would
	 * defeat the address check; the crawler talks to origins directly. */
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_ACCEPT_ENCODING, ""); /* every encoding curl supports */
	SET(CURLOPT_TIMEOUT, (long)opt->timeout_s);
	SET(CURLOPT_CONNECTTIMEOUT,
	    (long)(opt->timeout_s < CONNECT_TIMEOUT_S ? opt->timeout_s : CONNECT_TIMEOUT_S));
	SET(CURLOPT_LOW_SPEED_LIMIT, (long)LOW_SPEED_BYTES);
	SET(CURLOPT_LOW_SPEED_TIME, (long)LOW_SPEED_TIME_S);
	if (!opt->truncate)
		SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)opt->max_bytes);
	SET(CURLOPT_BUFFERSIZE, RECV_BUFFER_BYTES);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, f);
	SET(CURLOPT_OPENSOCKETFUNCTION, open_socket);
	SET(CURLOPT_OPENSOCKETDATA, f);
	SET(CURLOPT_PREREQFUNCTION, on_connected);
	SET(CURLOPT_PREREQDATA, f);
	if (f->headers)
		SET(CURLOPT_HTTPHEADER, f->headers);
#undef SET
	return rc == CURLE_OK ? 0 : rc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
}

static int add_header(struct rsd_fetch *f, const char *name, const char *value)
{
	if (!value)
		return 0;
	char *line;
	if (asprintf(&line, "%s: %s", name, value) < 0)
		return -ENOMEM;
	struct curl_slist *l = curl_slist_append(f->headers, line);
	free(line);
	if (!l)
		return -ENOMEM;
	f->headers = l;
	return 0;
}

int rsd_fetch_new(const struct rsd_fetch_options *opt, const char *url, void *user,
		  struct rsd_fetch **out)
{
	*out = NULL;
	struct rsd_fetch *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->user = user;
	f->max_bytes = opt->max_bytes;
	f->truncate = opt->truncate;
	f->allow_private = opt->allow_private;
	f->addr_kind = rsd_fetch_addr_kind;
	f->easy = curl_easy_init();
	int rc = f->easy ? 0 : -ENOMEM;
	if (rc == 0)
		rc = add_header(f, "If-None-Match", opt->if_none_match);
	if (rc == 0)
		rc = add_header(f, "If-Modified-Since", opt->if_modified_since);
	if (rc == 0)
		rc = setup(f, opt, url);
	if (rc < 0) {
		rsd_fetch_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

char *rsd_fetch_take_body(struct rsd_fetch *f, size_t *len, size_t *cap)
{
	char *body = f->body;
	*len = f->len;
	*cap = f->cap;
	f->body = NULL;
	f->len = f->cap = 0;
	return body;
}

void rsd_fetch_free(struct rsd_fetch *f)
{
	if (!f)
		return;
	curl_easy_cleanup(f->easy);
	curl_slist_free_all(f->headers);
	rsd_bufpool_put(f->body, f->cap);
	free(f);
}

/* ---- classification ---- */

static const char *header(struct rsd_fetch *f, const char *name)
{
	struct curl_header *h;
	if (curl_easy_header(f->easy, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return NULL;
	return h->value;
}

static bool transient(CURLcode code)
{
	switch (code) {
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static void classify_http(struct rsd_fetch *f, struct rsd_fetch_result *res)
{
	long code = res->http_code;
	if (code >= 200 && code < 300) {
		res->status = RSD_FETCH_OK;
		return;
	}
	if (code == 304) {
		res->status = RSD_FETCH_NOT_MODIFIED;
		res->reason = "not modified";
		return;
	}
	if (code >= 300 && code < 400) {
		char *loc = NULL;
		curl_easy_getinfo(f->easy, CURLINFO_REDIRECT_URL, &loc);
		res->location = loc;
		res->status = loc ? RSD_FETCH_REDIRECT : RSD_FETCH_HTTP_ERROR;
		res->reason = loc ? "redirect" : "redirect without Location";
		return;
	}
	if (code >= 500 || code == 429 || code == 408) {
		res->status = RSD_FETCH_RETRY;
		res->reason = code == 429   ? "too many requests"
			      : code == 408 ? "request timeout"
					    : "server error";
		const char *ra = header(f, "Retry-After");
		unsigned s;
		if (ra && rsd_fetch_parse_retry_after(ra, time(NULL), &s) == 0)
			res->retry_after_ms = s > UINT_MAX / 1000 ? UINT_MAX : s * 1000;
		return;
	}
	res->status = RSD_FETCH_HTTP_ERROR;
	res->reason = "client error";
}

void rsd_fetch_result(struct rsd_fetch *f, CURLcode code, struct rsd_fetch_result *res)
{
	*res = (struct rsd_fetch_result){ .status = RSD_FETCH_ERROR };
	curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &res->http_code);
	if (f->body)
		f->body[f->len] = '\0';
	/* blocked: the last connection attempts included a refused address
	 * and none connected (a transfer that connected elsewhere is judged
	 * by what happened next). */
	if (f->blocked && code != CURLE_OK) {
		res->status = RSD_FETCH_BLOCKED;
		res->reason = f->blocked_why;
	} else if (f->too_big || code == CURLE_FILESIZE_EXCEEDED) {
		res->status = RSD_FETCH_TOO_BIG;
		res->reason = "larger than max_page_bytes";
	} else if (code == CURLE_OK || (f->truncated && code == CURLE_WRITE_ERROR)) {
		classify_http(f, res);
	} else {
		res->status = transient(code) ? RSD_FETCH_RETRY : RSD_FETCH_ERROR;
		res->reason = f->errbuf[0] ? f->errbuf : curl_easy_strerror(code);
	}
	char *ct = NULL;
	curl_easy_getinfo(f->easy, CURLINFO_CONTENT_TYPE, &ct);
	res->content_type = ct;
	res->etag = header(f, "ETag");
	res->last_modified = header(f, "Last-Modified");
}
