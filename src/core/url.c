/* SPDX-License-Identifier: MIT */
/* URL normalisation and hashing for the crawler (see url.h). Everything that
 * parses a URL goes through the curl URL API: one parser for the whole
 * crawler means a URL can never mean one thing to the scope check and another
 * to the transfer. */

#include "core/url.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <curl/curl.h>

static int curlu_errno(CURLUcode rc)
{
	switch (rc) {
	case CURLUE_OK:
		return 0;
	case CURLUE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLUE_UNSUPPORTED_SCHEME:
		return -EPROTONOSUPPORT;
	default:
		return -EINVAL;
	}
}

static bool scheme_is_http(const char *scheme)
{
	return strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0;
}

/* curl keeps the host's case; hosts compare case-insensitively, so the
 * normal form has it lower-cased (*changed: it was not). *keep (when not
 * NULL): the host as set, malloc'ed. */
static int lowercase_host(CURLU *u, char **keep, bool *changed)
{
	char *host = NULL;
	int rc = curlu_errno(curl_url_get(u, CURLUPART_HOST, &host, 0));
	if (rc < 0)
		return rc;
	*changed = false;
	for (char *p = host; *p; p++) {
		if (isupper((unsigned char)*p)) {
			*p = (char)tolower((unsigned char)*p);
			*changed = true;
		}
	}
	if (*changed)
		rc = curlu_errno(curl_url_set(u, CURLUPART_HOST, host, 0));
	if (rc == 0 && keep && !(*keep = strdup(host)))
		rc = -ENOMEM;
	curl_free(host);
	return rc;
}

static int check_scheme(CURLU *u)
{
	char *scheme = NULL;
	int rc = curlu_errno(curl_url_get(u, CURLUPART_SCHEME, &scheme, 0));
	if (rc < 0)
		return rc;
	rc = scheme_is_http(scheme) ? 0 : -EPROTONOSUPPORT;
	curl_free(scheme);
	return rc;
}

/* RFC 3986 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":".
 * A lexical test only, so that "mailto:" or "javascript:" references are
 * reported as another scheme instead of as unparsable. */
static bool has_other_scheme(const char *ref)
{
	if (!isalpha((unsigned char)ref[0]))
		return false;
	size_t n = 1;
	while (isalnum((unsigned char)ref[n]) || ref[n] == '+' || ref[n] == '-' || ref[n] == '.')
		n++;
	if (ref[n] != ':')
		return false;
	return !((n == 4 && strncasecmp(ref, "http", 4) == 0) ||
		 (n == 5 && strncasecmp(ref, "https", 5) == 0));
}

/* Parsing flags: any scheme parses (so mailto:/javascript: are recognised as
 * "not http" rather than as garbage), bytes that must be encoded are
 * percent-encoded so that one resource has one spelling (browsers encode
 * the spaces of an href the same way). */
#define PARSE_FLAGS (CURLU_NON_SUPPORT_SCHEME | CURLU_URLENCODE)

/* What is refused before parsing: a megabyte-long link is not worth it. */
static int check_text(const char *ref)
{
	if (strnlen(ref, RSD_URL_MAX_BYTES + 1) > RSD_URL_MAX_BYTES)
		return -ENAMETOOLONG;
	return has_other_scheme(ref) ? -EPROTONOSUPPORT : 0;
}

/* The first half of the normal form of the URL parsed into u (see
 * rsd_url_normalize): the scheme checked, the host lower-cased (*changed:
 * it was not) and kept in *host when host is not NULL (malloc'ed). */
static int normal_host(CURLU *u, char **host, bool *changed)
{
	int rc = check_scheme(u);
	return rc < 0 ? rc : lowercase_host(u, host, changed);
}

/* The second half: fragment and credentials dropped, the URL written
 * without a default port into *out (malloc'ed). Changes u. */
static int normal_text(CURLU *u, char **out)
{
	int rc = curlu_errno(curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0));
	/* Credentials never belong in a crawled URL, and "user@host" must not
	 * make one server look like many (politeness is per host). */
	if (rc == 0)
		rc = curlu_errno(curl_url_set(u, CURLUPART_USER, NULL, 0));
	if (rc == 0)
		rc = curlu_errno(curl_url_set(u, CURLUPART_PASSWORD, NULL, 0));
	char *s = NULL;
	if (rc == 0)
		rc = curlu_errno(curl_url_get(u, CURLUPART_URL, &s, CURLU_NO_DEFAULT_PORT));
	if (rc == 0 && strlen(s) > RSD_URL_MAX_BYTES)
		rc = -ENAMETOOLONG; /* a relative link made long by its base */
	if (rc == 0 && !(*out = strdup(s)))
		rc = -ENOMEM;
	curl_free(s);
	return rc;
}

/* The part of u is absent (curl says so with its own code: anything
 * else, out of memory included, counts as present). */
static bool part_absent(CURLU *u, CURLUPart what, unsigned flags, CURLUcode absent)
{
	char *p = NULL;
	CURLUcode rc = curl_url_get(u, what, &p, flags);
	curl_free(p);
	return rc == absent;
}

/* normal_text would write the URL in u as curl writes it with no flags:
 * no fragment, no credentials, no port or not the scheme's default one. */
static bool text_is_normal(CURLU *u)
{
	return part_absent(u, CURLUPART_FRAGMENT, 0, CURLUE_NO_FRAGMENT) &&
	       part_absent(u, CURLUPART_USER, 0, CURLUE_NO_USER) &&
	       part_absent(u, CURLUPART_PASSWORD, 0, CURLUE_NO_PASSWORD) &&
	       (part_absent(u, CURLUPART_PORT, 0, CURLUE_NO_PORT) ||
		!part_absent(u, CURLUPART_PORT, CURLU_NO_DEFAULT_PORT, CURLUE_NO_PORT));
}

int rsd_url_normalize(const char *ref, const char *base, char **out)
{
	if (!ref || !out)
		return -EINVAL;
	*out = NULL;
	int rc = check_text(ref);
	if (rc < 0)
		return rc;
	CURLU *u = curl_url();
	if (!u)
		return -ENOMEM;
	if (base)
		rc = curlu_errno(curl_url_set(u, CURLUPART_URL, base, PARSE_FLAGS));
	/* RFC 3986 5.2.2: an empty or fragment-only reference is the base
	 * document itself (curl 7.88 resolves "#x" to the root instead). */
	bool same_document = base && (ref[0] == '\0' || ref[0] == '#');
	if (rc == 0 && !same_document)
		rc = curlu_errno(curl_url_set(u, CURLUPART_URL, ref, PARSE_FLAGS));
	bool changed;
	if (rc == 0)
		rc = normal_host(u, NULL, &changed);
	if (rc == 0)
		rc = normal_text(u, out);
	curl_url_cleanup(u);
	return rc;
}

/* ---- a page's references against its base ---- */

int rsd_url_base_init(struct rsd_url_base *b, const char *base)
{
	*b = (struct rsd_url_base){ 0 };
	if (!base)
		return 0;
	if (!(b->u = curl_url()))
		return -ENOMEM;
	if (curl_url_set(b->u, CURLUPART_URL, base, PARSE_FLAGS) != CURLUE_OK) {
		curl_url_cleanup(b->u);
		b->u = NULL;
		b->bad = true;
	}
	return 0;
}

void rsd_url_base_clear(struct rsd_url_base *b)
{
	curl_url_cleanup(b->u);
	*b = (struct rsd_url_base){ 0 };
}

static bool href_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* ref resolved against b, in a handle of its own (NULL: ref is empty or
 * does not resolve, or ENOMEM). */
static CURLU *resolve_handle(const struct rsd_url_base *b, const char *ref, bool drop_fragment)
{
	if (!ref || !*ref || b->bad)
		return NULL;
	/* a copy of the parsed base: the same state a parse of it gives */
	CURLU *u = b->u ? curl_url_dup(b->u) : curl_url();
	if (!u)
		return NULL;
	while (href_space(*ref))
		ref++;
	size_t n = strlen(ref);
	while (n && href_space(ref[n - 1]))
		n--;
	char *r = strndup(ref, n);
	/* An empty or fragment-only reference names the base document itself; curl 7.88
	 * resolves "#x" against the base's directory instead (RFC 3986 5.2.2
	 * says: base path and query, new fragment). */
	bool same_document = r && (r[0] == '#' || r[0] == '\0') && b->u;
	bool ok = r &&
		  (same_document
			   ? curl_url_set(u, CURLUPART_FRAGMENT, *r ? r + 1 : NULL, PARSE_FLAGS)
			   : curl_url_set(u, CURLUPART_URL, r, PARSE_FLAGS)) == CURLUE_OK &&
		  (!drop_fragment || curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) == CURLUE_OK);
	free(r);
	if (!ok) {
		curl_url_cleanup(u);
		return NULL;
	}
	return u;
}

/* The URL in u as it stands (malloc'ed), or NULL. */
static char *url_text(CURLU *u)
{
	char *tmp = NULL, *out = NULL;
	if (curl_url_get(u, CURLUPART_URL, &tmp, 0) == CURLUE_OK)
		out = strdup(tmp);
	curl_free(tmp);
	return out;
}

char *rsd_url_resolve(const struct rsd_url_base *b, const char *ref, bool drop_fragment)
{
	CURLU *u = resolve_handle(b, ref, drop_fragment);
	char *out = u ? url_text(u) : NULL;
	curl_url_cleanup(u);
	return out;
}

/* A percent sign in the authority of a URL curl wrote: curl reads
 * "%zz" in a host as written but writes it back as "%25zz", so the parse
 * of such a text is not the parse it was written from. */
static bool authority_has_percent(const char *url)
{
	const char *p = strstr(url, "://");
	if (!p)
		return false;
	p += 3;
	size_t n = strcspn(p, "/?#");
	return memchr(p, '%', n) != NULL;
}

/* rsd_url_normalize(link->resolved, NULL) and rsd_url_host of its result,
 * from u, the parse of link->resolved: the checks are the same ones, in the
 * same order, and curl parses the text it wrote into the parts it wrote it
 * from, but for the hosts authority_has_percent finds, whose text is
 * parsed again (tests/crawl/test_url_links.c compares the two ways). Most
 * links are in normal form as resolved: their text is not written again
 * (curl writes a URL through its printf, the costliest step of a link). */
static int link_normal_form(CURLU *u, struct rsd_url_link *link)
{
	bool changed = false;
	int rc = check_text(link->resolved);
	if (rc == 0 && authority_has_percent(link->resolved)) {
		rc = rsd_url_normalize(link->resolved, NULL, &link->url);
		if (rc == 0)
			rc = rsd_url_host(link->url, &link->host);
	} else if (rc == 0 && (rc = normal_host(u, &link->host, &changed)) == 0) {
		if (!changed && text_is_normal(u)) {
			link->url = link->resolved; /* check_text checked its length */
			link->resolved = NULL;
			return 0;
		}
		rc = normal_text(u, &link->url);
	}
	if (rc < 0) {
		free(link->url);
		free(link->host);
		link->url = link->host = NULL;
		return rc;
	}
	if (strcmp(link->url, link->resolved) == 0) {
		free(link->resolved);
		link->resolved = NULL;
	}
	return 0;
}

int rsd_url_link_make(const struct rsd_url_base *b, const char *ref, struct rsd_url_link *link)
{
	*link = (struct rsd_url_link){ 0 };
	CURLU *u = resolve_handle(b, ref, true);
	if (!u)
		return -ENOENT;
	link->resolved = url_text(u);
	int rc = link->resolved ? 0 : -ENOENT;
	if (rc == 0)
		link->error = link_normal_form(u, link);
	curl_url_cleanup(u);
	return rc;
}

static int copy_text(const char *from, char **to)
{
	*to = from ? strdup(from) : NULL;
	return from && !*to ? -ENOMEM : 0;
}

int rsd_url_link_copy(const struct rsd_url_link *from, struct rsd_url_link *to)
{
	*to = (struct rsd_url_link){ .error = from->error };
	if (copy_text(from->url, &to->url) < 0 || copy_text(from->host, &to->host) < 0 ||
	    copy_text(from->resolved, &to->resolved) < 0) {
		rsd_url_link_clear(to);
		return -ENOMEM;
	}
	return 0;
}

const char *rsd_url_link_resolved(const struct rsd_url_link *link)
{
	return link->resolved ? link->resolved : link->url;
}

void rsd_url_link_clear(struct rsd_url_link *link)
{
	free(link->url);
	free(link->host);
	free(link->resolved);
	*link = (struct rsd_url_link){ 0 };
}

int rsd_url_split(const char *url, size_t *origin_len)
{
	const char *sep = strstr(url, "://");
	if (!sep)
		return -EINVAL;
	const char *path = strchr(sep + 3, '/');
	if (!path)
		return -EINVAL;
	*origin_len = (size_t)(path - url);
	return 0;
}

int rsd_url_host(const char *url, char **host)
{
	*host = NULL;
	CURLU *u = curl_url();
	if (!u)
		return -ENOMEM;
	int rc = curlu_errno(curl_url_set(u, CURLUPART_URL, url, PARSE_FLAGS));
	char *h = NULL;
	if (rc == 0)
		rc = curlu_errno(curl_url_get(u, CURLUPART_HOST, &h, 0));
	if (rc == 0) {
		*host = strdup(h);
		if (!*host)
			rc = -ENOMEM;
		for (char *p = *host; p && *p; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	curl_free(h);
	curl_url_cleanup(u);
	return rc;
}

/* ---- SipHash-2-4 (Aumasson & Bernstein), keyed once per process ---- */

static uint64_t sip_key[2];
static pthread_once_t sip_once = PTHREAD_ONCE_INIT;

static void sip_init_key(void)
{
	/* getrandom on a 16-byte request does not fail short once the pool is
	 * initialised; if it fails anyway, a fixed key only loses flooding
	 * resistance, never correctness. */
	if (getrandom(sip_key, sizeof(sip_key), 0) != (ssize_t)sizeof(sip_key)) {
		sip_key[0] = 0x736f6d6570736575ULL;
		sip_key[1] = 0x646f72616e646f6dULL;
	}
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                   \
	do {                       \
		v0 += v1;          \
		v1 = ROTL(v1, 13); \
		v1 ^= v0;          \
		v0 = ROTL(v0, 32); \
		v2 += v3;          \
		v3 = ROTL(v3, 16); \
		v3 ^= v2;          \
		v0 += v3;          \
		v3 = ROTL(v3, 21); \
		v3 ^= v0;          \
		v2 += v1;          \
		v1 = ROTL(v1, 17); \
		v1 ^= v2;          \
		v2 = ROTL(v2, 32); \
	} while (0)

static uint64_t load_le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

uint64_t rsd_url_hash(const void *data, size_t len)
{
	pthread_once(&sip_once, sip_init_key);
	const unsigned char *in = data;
	uint64_t v0 = 0x736f6d6570736575ULL ^ sip_key[0];
	uint64_t v1 = 0x646f72616e646f6dULL ^ sip_key[1];
	uint64_t v2 = 0x6c7967656e657261ULL ^ sip_key[0];
	uint64_t v3 = 0x7465646279746573ULL ^ sip_key[1];
	size_t full = len - len % 8;
	for (size_t i = 0; i < full; i += 8) {
		uint64_t m = load_le64(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	uint64_t b = (uint64_t)len << 56;
	for (size_t i = 0; i < len % 8; i++)
		b |= (uint64_t)in[full + i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}
