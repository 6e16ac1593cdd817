/* SPDX-License-Identifier: MIT */
/* The value parsers, one per kind of key (see config_spec.h). */
#include "config/config_spec.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

/* ---------------------------------------------------------------- kinds */

static const struct unit size_units[] = {
	{ "G", GIB }, { "M", MIB }, { "K", KIB }, { "g", GIB },
	{ "m", MIB }, { "k", KIB }, { NULL, 0 },
};
static const struct unit duration_units[] = {
	{ "d", 86400 }, { "h", 3600 }, { "m", 60 }, { "s", 1 }, { NULL, 0 },
};

static void parse_string(struct field_ctx *fc, const char *v, bool append);
static void parse_topic(struct field_ctx *fc, const char *v, bool append);
static void parse_bool(struct field_ctx *fc, const char *v, bool append);
static void parse_enum(struct field_ctx *fc, const char *v, bool append);
static void parse_unsigned(struct field_ctx *fc, const char *v, bool append);
static void parse_number(struct field_ctx *fc, const char *v, bool append);
static void parse_regex(struct field_ctx *fc, const char *v, bool append);
static void parse_url_list(struct field_ctx *fc, const char *v, bool append);
static void parse_host_list(struct field_ctx *fc, const char *v, bool append);
static void parse_topic_list(struct field_ctx *fc, const char *v, bool append);
static void parse_brokers(struct field_ctx *fc, const char *v, bool append);
static void parse_listen(struct field_ctx *fc, const char *v, bool append);
static void release_string(void *field, void *aux);
static void release_strv(void *field, void *aux);
static void release_regex(void *field, void *aux);

const struct kind cfg_kinds[] = {
	[K_STRING] = { "string", parse_string, release_string, false, NULL, NULL, 0 },
	[K_BOOL] = { "bool", parse_bool, NULL, false, NULL, NULL, 0 },
	[K_ENUM] = { "enum", parse_enum, NULL, false, NULL, NULL, 0 },
	[K_UINT] = { "uint", parse_unsigned, NULL, false, "an unsigned integer", NULL,
		     sizeof(unsigned) },
	[K_UINT64] = { "uint", parse_unsigned, NULL, false, "an unsigned integer", NULL,
		       sizeof(uint64_t) },
	[K_DURATION] = { "duration", parse_unsigned, NULL, false,
			 "a duration in seconds (optional suffix s, m, h or d)", duration_units,
			 sizeof(unsigned) },
	[K_SIZE] = { "size", parse_unsigned, NULL, false,
		     "a size in bytes (optional suffix K, M or G)", size_units, sizeof(uint64_t) },
	[K_POW2] = { "power-of-two", parse_unsigned, NULL, false, "an unsigned integer", NULL,
		     sizeof(uint32_t) },
	[K_NUMBER] = { "number", parse_number, NULL, false, NULL, NULL, 0 },
	[K_REGEX] = { "regex", parse_regex, release_regex, false, NULL, NULL, 0 },
	[K_TOPIC] = { "topic", parse_topic, release_string, false, NULL, NULL, 0 },
	[K_URL_LIST] = { "url-list", parse_url_list, release_strv, true, NULL, NULL, 0 },
	[K_HOST_LIST] = { "host-list", parse_host_list, release_strv, true, NULL, NULL, 0 },
	[K_TOPIC_LIST] = { "topic-list", parse_topic_list, release_strv, true, NULL, NULL, 0 },
	[K_BROKERS] = { "brokers", parse_brokers, release_string, true, NULL, NULL, 0 },
	[K_LISTEN] = { "address", parse_listen, release_string, false, NULL, NULL, 0 },
};

static void release_string(void *field, void *aux)
{
	(void)aux;
	cfg_replace_string(field, NULL);
}

static void release_strv(void *field, void *aux)
{
	(void)aux;
	cfg_strv_free(field);
}

static void release_regex(void *field, void *aux)
{
	char **pattern = field;
	if (*pattern)
		regfree(aux);
	cfg_replace_string(pattern, NULL);
}

/* Strings: length within min..max, no control characters; an empty value
 * of a key whose minimum length is 0 means "unset" (NULL). */
static bool check_string(struct field_ctx *fc, const char *v)
{
	size_t len = strlen(v);
	if (len < fc->spec->min) {
		cfg_bad(fc, "must not be empty");
		return false;
	}
	if (len > fc->spec->max) {
		cfg_bad(fc, "is %zu characters long, at most %" PRIu64 " are allowed", len,
			fc->spec->max);
		return false;
	}
	if (cfg_has_control_char(v)) {
		cfg_bad(fc, "contains a control character");
		return false;
	}
	return true;
}

static void store_string(struct field_ctx *fc, const char *v)
{
	char *copy = NULL;
	if (*v && !(copy = cfg_oom_check(fc->ld, strdup(v))))
		return;
	cfg_replace_string(fc->field, copy);
}

static void parse_string(struct field_ctx *fc, const char *v, bool append)
{
	(void)append;
	if (check_string(fc, v))
		store_string(fc, v);
}

/* Kafka's rule for topic names: [a-zA-Z0-9._-], at most 249, not "." or "..". */
static bool valid_topic(const char *t)
{
	size_t len = strlen(t);
	if (len == 0 || len > 249 || strcmp(t, ".") == 0 || strcmp(t, "..") == 0)
		return false;
	return strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
	       len;
}

#define TOPIC_RULE "letters, digits, '.', '_' and '-', at most 249"

static void parse_topic(struct field_ctx *fc, const char *v, bool append)
{
	(void)append;
	if (!check_string(fc, v))
		return;
	if (*v && !valid_topic(v)) {
		cfg_bad(fc, "%s is not a valid Kafka topic name (" TOPIC_RULE ")",
			cfg_quoted(fc, v));
		return;
	}
	store_string(fc, v);
}

static const struct choice bool_choices[] = {
	{ "on", 1 },    { "off", 0 }, { "yes", 1 }, { "no", 0 }, { "true", 1 },
	{ "false", 0 }, { "1", 1 },   { "0", 0 },   { NULL, 0 },
};

static const struct choice *find_choice(const struct choice *c, const char *v)
{
	for (; c->name; c++)
		if (strcasecmp(c->name, v) == 0)
			return c;
	return NULL;
}

char *cfg_choice_list(const struct choice *c)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	if (!f)
		return NULL;
	for (const struct choice *i = c; i->name; i++)
		fprintf(f, "%s%s", i == c ? "" : "|", i->name);
	return fclose(f) == 0 ? s : NULL;
}

/* The matching choice, or NULL after reporting what was expected. */
static const struct choice *parse_choice(struct field_ctx *fc, const char *v,
					 const struct choice *choices)
{
	const struct choice *c = find_choice(choices, v);
	if (!c) {
		char *list = cfg_choice_list(choices);
		cfg_bad(fc, "expected %s, got %s", list ? list : "one of the documented values",
			cfg_quoted(fc, v));
		free(list);
	}
	return c;
}

static void parse_bool(struct field_ctx *fc, const char *v, bool append)
{
	(void)append;
	const struct choice *c = parse_choice(fc, v, bool_choices);
	if (c)
		*(bool *)fc->field = c->value != 0;
}

/* Enum fields are stored as an int. */
_Static_assert(sizeof(enum rsd_sink_kind) == sizeof(int), "enum fields are int-sized");
_Static_assert(sizeof(enum rsd_sitemaps) == sizeof(int), "enum fields are int-sized");

static void parse_enum(struct field_ctx *fc, const char *v, bool append)
{
	(void)append;
	const struct choice *c = parse_choice(fc, v, fc->spec->choices);
	if (c)
		memcpy(fc->field, &c->value, sizeof(c->value));
}

/* "10M" -> 10485760 with the given units; false on syntax error, *overflow
 * when it does not fit 64 bits. */
static bool scan_amount(const char *v, const struct unit *units, uint64_t *out, bool *overflow)
{
	*overflow = false;
	if (!isdigit((unsigned char)*v))
		return false;
	errno = 0;
	char *end;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno == ERANGE)
		*overflow = true;
	uint64_t factor = 1;
	if (*end && units) {
		const struct unit *u = units;
		while (u->suffix && strcmp(u->suffix, end) != 0)
			u++;
		if (!u->suffix)
			return false;
		factor = u->factor;
		end += strlen(u->suffix);
	}
	if (*end)
		return false;
	if (n > UINT64_MAX / factor)
		*overflow = true;
	*out = (uint64_t)n * factor;
	return true;
}

/* 1073741824 -> "1G" when units divide it exactly. */
static void format_amount(uint64_t n, const struct unit *units, char *buf, size_t len)
{
	for (const struct unit *u = units; u && u->suffix; u++)
		if (n && n % u->factor == 0) {
			snprintf(buf, len, "%" PRIu64 "%s", n / u->factor, u->suffix);
			return;
		}
	snprintf(buf, len, "%" PRIu64, n);
}

void cfg_format_range(const struct key_spec *spec, char *buf, size_t len)
{
	/* Sizes read best with suffixes ("1K..1G"), durations in seconds. */
	const struct unit *units = spec->kind == K_SIZE ? size_units : NULL;
	const char *unit = spec->kind == K_DURATION ? " seconds" : "";
	char lo[32], hi[32];
	format_amount(spec->min, units, lo, sizeof(lo));
	if (spec->max == UINT64_MAX) {
		snprintf(buf, len, "%s or more%s", lo, unit);
		return;
	}
	format_amount(spec->max, units, hi, sizeof(hi));
	snprintf(buf, len, "%s..%s%s", lo, hi, unit);
}

_Static_assert(sizeof(unsigned) == sizeof(uint32_t), "unsigned fields are 32 bits");

static void store_unsigned(void *field, size_t width, uint64_t n)
{
	if (width == sizeof(uint64_t)) {
		uint64_t v = n;
		memcpy(field, &v, sizeof(v));
	} else if (width == sizeof(uint32_t)) {
		uint32_t v = (uint32_t)n; /* in range: checked against spec->max */
		memcpy(field, &v, sizeof(v));
	}
}

static void parse_unsigned(struct field_ctx *fc, const char *v, bool append)
{
	(void)append;
	const struct kind *k = &cfg_kinds[fc->spec->kind];
	uint64_t n = 0;
	bool overflow;
	if (!scan_amount(v, k->units, &n, &overflow)) {
		cfg_bad(fc, "expected %s, got %s", k->expected, cfg_quoted(fc, v));
		return;
	}
	if (overflow || n < fc->spec->min || n > fc->spec->max) {
		char range[80];
		cfg_format_range(fc->spec, range, sizeof(range));
		cfg_bad(fc, "%s is out of range %s", cfg_shown(fc, v), range);
		return;
	}
	if (fc->spec->kind == K_POW2 && (n & (n - 1)) != 0) {
		cfg_bad(fc, "%s is not a power of two", cfg_shown(fc, v));
		return;
	}
	store_unsigned(fc->field, k->width, n);
}

static void parse_number(struct field_ctx *fc, const char *v, bool append)
{
	(void)append;
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (!*v || *end || isspace((unsigned char)*v) || errno == ERANGE || !isfinite(d)) {
		cfg_bad(fc, "expected a number, got %s", cfg_quoted(fc, v));
		return;
	}
	if (d < (double)fc->spec->min || d > (double)fc->spec->max) {
		cfg_bad(fc, "%s is out of range %" PRIu64 "..%" PRIu64, cfg_shown(fc, v),
			fc->spec->min, fc->spec->max);
		return;
	}
	memcpy(fc->field, &d, sizeof(d));
}

static void parse_regex(struct field_ctx *fc, const char *v, bool append)
{
	(void)append;
	regex_t re;
	char *pattern = NULL;
	if (*v) {
		/* REG_NOSUB: the crawler only asks whether a URL matches. */
		int rc = regcomp(&re, v, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			char why[256];
			regerror(rc, &re, why, sizeof(why));
			cfg_bad(fc, "invalid regular expression %s: %s", cfg_quoted(fc, v), why);
			return;
		}
		if (!(pattern = cfg_oom_check(fc->ld, strdup(v)))) {
			regfree(&re);
			return;
		}
	}
	release_regex(fc->field, fc->aux);
	*(char **)fc->field = pattern;
	if (pattern)
		memcpy(fc->aux, &re, sizeof(re));
}

/* Host of an absolute http(s) URL, lower-cased. 0, -EINVAL with *why, -ENOMEM. */
int cfg_url_host(const char *url, char **host, const char **why)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *h = NULL;
	int rc = -ENOMEM;
	if (!u)
		return rc;
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	if (uc == CURLUE_OK)
		uc = curl_url_get(u, CURLUPART_HOST, &h, 0);
	if (uc == CURLUE_OUT_OF_MEMORY) {
		rc = -ENOMEM;
	} else if (uc != CURLUE_OK) {
		*why = curl_url_strerror(uc);
		rc = -EINVAL;
	} else if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0) {
		*why = "only http and https URLs are allowed";
		rc = -EPROTONOSUPPORT;
	} else {
		*host = strdup(h);
		rc = *host ? 0 : -ENOMEM;
		if (*host)
			cfg_lower_ascii(*host);
	}
	curl_free(scheme);
	curl_free(h);
	curl_url_cleanup(u);
	return rc;
}

static void parse_url_list(struct field_ctx *fc, const char *v, bool append)
{
	struct rsd_strv *list = fc->field;
	if (!append)
		cfg_strv_free(list);
	size_t len;
	for (const char *p = v, *item; (item = cfg_next_item(&p, SPACE, &len));) {
		char *url = cfg_oom_check(fc->ld, strndup(item, len));
		char *host = NULL;
		const char *why = "";
		if (!url)
			return;
		int rc = cfg_url_host(url, &host, &why);
		free(host);
		if (rc == -ENOMEM)
			fc->ld->oom = true;
		else if (rc == -EPROTONOSUPPORT)
			cfg_bad(fc, "%s: %s", cfg_quoted(fc, url), why);
		else if (rc < 0)
			cfg_bad(fc, "%s is not a valid URL: %s", cfg_quoted(fc, url), why);
		if (rc == 0 && cfg_strv_push(list, url) < 0)
			fc->ld->oom = true;
		if (rc != 0)
			free(url);
	}
}

/* A host name as the crawler compares it: what curl takes as the host of
 * http://HOST/ and nothing more (no port, path or user), no empty label. */
static bool valid_host(const char *host)
{
	if (!*host || strstr(host, "..") || host[0] == '.')
		return false;
	char *url = NULL, *h = NULL;
	const char *why;
	if (asprintf(&url, "http://%s/", host) < 0)
		return false;
	bool ok = cfg_url_host(url, &h, &why) == 0 && strcasecmp(h, host) == 0;
	free(url);
	free(h);
	return ok;
}

static void parse_host_list(struct field_ctx *fc, const char *v, bool append)
{
	struct rsd_strv *list = fc->field;
	if (!append)
		cfg_strv_free(list);
	size_t len;
	for (const char *p = v, *item; (item = cfg_next_item(&p, SPACE_OR_COMMA, &len));) {
		char *host = cfg_oom_check(fc->ld, strndup(item, len));
		if (!host)
			return;
		cfg_lower_ascii(host);
		if (!valid_host(host)) {
			cfg_bad(fc, "%s is not a valid host name", cfg_quoted_n(fc, item, len));
			free(host);
		} else if (cfg_strv_contains(list, host)) {
			free(host);
		} else if (cfg_strv_push(list, host) < 0) {
			fc->ld->oom = true;
		}
	}
}

static void parse_topic_list(struct field_ctx *fc, const char *v, bool append)
{
	struct rsd_strv *list = fc->field;
	if (!append)
		cfg_strv_free(list);
	size_t len;
	for (const char *p = v, *item; (item = cfg_next_item(&p, SPACE_OR_COMMA, &len));) {
		char *topic = cfg_oom_check(fc->ld, strndup(item, len));
		if (!topic)
			return;
		if (!valid_topic(topic)) {
			cfg_bad(fc, "%s is not a valid Kafka topic name (" TOPIC_RULE ")",
				cfg_quoted(fc, topic));
			free(topic);
		} else if (cfg_strv_contains(list, topic)) {
			free(topic);
		} else if (cfg_strv_push(list, topic) < 0) {
			fc->ld->oom = true;
		}
	}
}

/* "host:port" or "[v6]:port", port 1..65535. */
static bool valid_broker(const char *b)
{
	const char *colon = strrchr(b, ':');
	if (!colon || colon == b || colon[1] == '\0')
		return false;
	char *end;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (*end || errno || port < 1 || port > 65535 || !isdigit((unsigned char)colon[1]))
		return false;
	char *host = strndup(b, (size_t)(colon - b));
	bool ok = host && valid_host(host);
	free(host);
	return ok;
}

/* Kept as librdkafka's bootstrap.servers wants it: comma separated. */
static void parse_brokers(struct field_ctx *fc, const char *v, bool append)
{
	char **brokers = fc->field;
	char *joined = NULL;
	size_t joined_len = 0;
	FILE *f = cfg_oom_check(fc->ld, open_memstream(&joined, &joined_len));
	if (!f)
		return;
	if (append && *brokers)
		fputs(*brokers, f);
	size_t len;
	bool ok = true;
	for (const char *p = v, *item; (item = cfg_next_item(&p, SPACE_OR_COMMA, &len));) {
		char *b = strndup(item, len);
		if (!b) {
			fc->ld->oom = true;
			ok = false;
			break;
		}
		if (strcmp(b, "embedded") != 0 && !valid_broker(b)) {
			cfg_bad(fc, "%s is not host:port (port 1..65535) or \"embedded\"",
				cfg_quoted(fc, b));
			ok = false;
		}
		fprintf(f, "%s%s", ftell(f) > 0 ? "," : "", b); /* ftell: bytes written so far */
		free(b);
	}
	if (fclose(f) != 0) {
		fc->ld->oom = true;
		ok = false;
	}
	if (ok && !*joined) {
		cfg_bad(fc, "must not be empty");
		ok = false;
	}
	if (ok)
		cfg_replace_string(brokers, joined);
	else
		free(joined);
}

/* The port of a listen address: decimal 1..65535, nothing after it. */
static int listen_port(const char *p, uint16_t *port)
{
	char *end;
	errno = 0;
	unsigned long n = *p >= '0' && *p <= '9' ? strtoul(p, &end, 10) : 0;
	if (errno || n < 1 || n > 65535 || *end)
		return -EINVAL;
	*port = htons((uint16_t)n);
	return 0;
}

/* Literal addresses only (and localhost): resolving a name at every load
 * would make -t depend on DNS and a reload bind somewhere else. */
int rsd_config_parse_listen(const char *value, struct sockaddr_storage *addr, unsigned *addrlen,
			    char *err, size_t errlen)
{
	const char *colon = strrchr(value, ':');
	char host[INET6_ADDRSTRLEN + 2];
	size_t hlen = colon ? (size_t)(colon - value) : 0;
	memset(addr, 0, sizeof *addr);
	if (!colon || hlen == 0 || hlen >= sizeof host) {
		snprintf(err, errlen, "'%s' is not HOST:PORT", value);
		return -EINVAL;
	}
	memcpy(host, value, hlen);
	host[hlen] = '\0';
	struct sockaddr_in *in4 = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
	bool bracketed = host[0] == '[' && host[hlen - 1] == ']';
	if (bracketed) {
		host[hlen - 1] = '\0';
		in6->sin6_family = AF_INET6;
		*addrlen = sizeof *in6;
	} else {
		in4->sin_family = AF_INET;
		*addrlen = sizeof *in4;
	}
	int ok = bracketed ? inet_pton(AF_INET6, host + 1, &in6->sin6_addr)
		 : strcasecmp(host, "localhost") == 0
			 ? inet_pton(AF_INET, "127.0.0.1", &in4->sin_addr)
			 : inet_pton(AF_INET, host, &in4->sin_addr);
	if (ok != 1) {
		snprintf(err, errlen, "'%s' is not an IPv4 address, [IPv6 address] or localhost",
			 host);
		return -EINVAL;
	}
	if (listen_port(colon + 1, bracketed ? &in6->sin6_port : &in4->sin_port) < 0) {
		snprintf(err, errlen, "port '%s' is not 1..65535", colon + 1);
		return -EINVAL;
	}
	return 0;
}

static void parse_listen(struct field_ctx *fc, const char *v, bool append)
{
	struct sockaddr_storage addr;
	unsigned len;
	char err[160];
	(void)append;
	if (!*v) {
		cfg_replace_string(fc->field, NULL); /* empty: off */
		return;
	}
	if (cfg_has_control_char(v) || strlen(v) > 64) {
		cfg_bad(fc, "is not HOST:PORT");
		return;
	}
	if (rsd_config_parse_listen(v, &addr, &len, err, sizeof err) < 0) {
		cfg_bad(fc, "%s (IPV4:PORT, [IPV6]:PORT or localhost:PORT)",
			fc->ld->value_secret ? SECRET_SHOWN " is not a valid address" : err);
		return;
	}
	store_string(fc, v);
}
