/* SPDX-License-Identifier: MIT */
/* One crawler transfer (see fetch.h). The address check sits in the
 * open-socket callback: it sees the address curl is about to connect to,
 * after DNS resolution, so a name that resolves (or re-resolves: DNS
 * rebinding) to an internal address is refused however it was reached. */

#include "fetch.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONNECT_TIMEOUT_S 10
#define LOW_SPEED_BYTES 1     /* below 1 byte/s for ... */
#define LOW_SPEED_TIME_S 30   /* ... 30 s: the server is hanging */
#define MAX_REDIRS 5

/* ---- address ranges ---- */

/* The ranges refused without allow_private_addresses, each with how the
 * refusal names it ("127.0.0.1 is " + what). */
static const char *ipv4_kind(uint32_t a) /* host byte order */
{
	static const struct { uint32_t net, mask; const char *what; } blocked[] = {
		{ 0x00000000, 0xff000000, "a \"this network\" address (0.0.0.0/8)" },
		{ 0x0a000000, 0xff000000, "a private address (10.0.0.0/8)" },
		{ 0x64400000, 0xffc00000, "a shared (CGNAT) address (100.64.0.0/10)" },
		{ 0x7f000000, 0xff000000, "a loopback address (127.0.0.0/8)" },
		{ 0xa9fe0000, 0xffff0000, "a link-local address (169.254.0.0/16)" },
		{ 0xac100000, 0xfff00000, "a private address (172.16.0.0/12)" },
		{ 0xc0000000, 0xffffff00, "an IETF protocol assignment (192.0.0.0/24)" },
		{ 0xc0a80000, 0xffff0000, "a private address (192.168.0.0/16)" },
		{ 0xc6120000, 0xfffe0000, "a benchmarking address (198.18.0.0/15)" },
		{ 0xe0000000, 0xf0000000, "a multicast address (224.0.0.0/4)" },
		{ 0xf0000000, 0xf0000000, "a reserved or broadcast address (240.0.0.0/4)" },
	};
	for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++)
		if ((a & blocked[i].mask) == blocked[i].net)
			return blocked[i].what;
	return NULL;
}

static uint32_t ipv4_at(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static const char *ipv6_kind(const struct in6_addr *in)
{
	const unsigned char *b = in->s6_addr;
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b };
	static const unsigned char zero[12] = { 0 };
	if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0)
		return ipv4_kind(ipv4_at(b + 12));
	if (memcmp(b, zero, 12) == 0) /* ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d */
		return "a loopback, unspecified or IPv4-compatible address (::/96)";
	if (b[0] == 0xff)
		return "a multicast address (ff00::/8)";
	if ((b[0] & 0xfe) == 0xfc)
		return "a unique local address (fc00::/7)";
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return "a link-local address (fe80::/10)";
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) /* deprecated, still routed inside sites */
		return "a site-local address (fec0::/10)";
	return NULL;
}

const char *rsd_fetch_addr_kind(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ipv4_kind(ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr));
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
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, ip, sizeof ip);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, ip,
			  sizeof ip);
	snprintf(f->blocked_why, sizeof f->blocked_why, "%s is %s", ip, kind);
}

static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
{
	struct rsd_fetch *f = clientp;
	const char *kind = f->allow_private ? NULL : rsd_fetch_addr_kind(&addr->addr);
	if (kind) {
		f->blocked = true;
		describe_blocked(f, &addr->addr, kind);
		return CURL_SOCKET_BAD;
	}
	return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
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
		size_t cap = f->cap ? f->cap : 16384;
		while (cap < f->len + n + 1)
			cap *= 2;
		if (cap > f->max_bytes + 1)
			cap = f->max_bytes + 1;
		char *b = realloc(f->body, cap);
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
#define SET(opt_, val_)                                        \
	do {                                                   \
		if (rc == CURLE_OK)                            \
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
	SET(CURLOPT_CONNECTTIMEOUT, (long)(opt->timeout_s < CONNECT_TIMEOUT_S ? opt->timeout_s : CONNECT_TIMEOUT_S));
	SET(CURLOPT_LOW_SPEED_LIMIT, (long)LOW_SPEED_BYTES);
	SET(CURLOPT_LOW_SPEED_TIME, (long)LOW_SPEED_TIME_S);
	if (!opt->truncate)
		SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)opt->max_bytes);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, f);
	SET(CURLOPT_OPENSOCKETFUNCTION, open_socket);
	SET(CURLOPT_OPENSOCKETDATA, f);
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

void rsd_fetch_free(struct rsd_fetch *f)
{
	if (!f)
		return;
	curl_easy_cleanup(f->easy);
	curl_slist_free_all(f->headers);
	free(f->body);
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
		res->reason = code == 429 ? "too many requests" : code == 408 ? "request timeout" : "server error";
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
	if (f->blocked) {
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
