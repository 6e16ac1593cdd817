/* SPDX-License-Identifier: MIT */
/* Journal and stdout sinks (see journal_sink.h).
 *
 * Both sinks write the same field list, built by rsd_sink_entry_build, so
 * what the stdout sink prints is exactly what journald would store. Values
 * may contain any byte: journald's native protocol (sd_journal_sendv) carries
 * binary values, and the JSON writer escapes them as journalctl -o json does
 * (a value that is not UTF-8 becomes an array of byte values). */
#include "journal/journal_sink.h"

#include "core/record.h"
#include "core/record_caps.h"
#include "core/text.h"
#include "core/url.h"

#include <errno.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <systemd/sd-journal.h>

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

struct buf {
	char *data;
	size_t len, cap;
};

struct rsd_sink {
	enum rsd_sink_kind kind; /* resolved: JOURNAL or STDOUT */
	char *identifier;
	double calorie_threshold;
	FILE *out;
	struct buf line; /* reused for every JSON line / journal field arena */
};

/* ---- growable buffer ---- */

static int buf_reserve(struct buf *b, size_t extra)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *d;

	if (b->len + extra <= b->cap)
		return 0;
	while (cap < b->len + extra)
		cap *= 2;
	d = realloc(b->data, cap);
	if (!d)
		return -ENOMEM;
	b->data = d;
	b->cap = cap;
	return 0;
}

static int buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return -ENOMEM;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

static int buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

/* ---- entry ---- */

static void add_field(struct rsd_sink_entry *e, const char *name, const char *value, size_t len)
{
	/* RSD_SINK_MAX_FIELDS exceeds the 12 fields an entry can have. */
	e->fields[e->n++] = (struct rsd_sink_field){ name, value, len };
}

static void add_str(struct rsd_sink_entry *e, const char *name, const char *value)
{
	add_field(e, name, value, strlen(value));
}

const char *rsd_sink_entry_get(const struct rsd_sink_entry *e, const char *name, size_t *len)
{
	for (size_t i = 0; i < e->n; i++) {
		if (strcmp(e->fields[i].name, name) == 0) {
			if (len)
				*len = e->fields[i].len;
			return e->fields[i].value;
		}
	}
	return NULL;
}

void rsd_sink_entry_clear(struct rsd_sink_entry *e)
{
	cJSON_Delete(e->doc);
	free(e->message);
	memset(e, 0, sizeof(*e));
}

/* 350 -> "350", 350.5 -> "350.5", 1e20 -> "100000000000000000000". */
static void format_number(double v, char *buf, size_t len)
{
	if (v > -1e15 && v < 1e15 && (double)(long long)v == v) {
		snprintf(buf, len, "%lld", (long long)v);
		return;
	}
	snprintf(buf, len, "%.2f", v);
	for (char *end = buf + strlen(buf) - 1; end > buf && (*end == '0' || *end == '.'); end--) {
		char c = *end;

		*end = '\0';
		if (c == '.')
			break;
	}
}

/* Fields every entry has: identifier and where the message came from. */
static void add_origin(const struct rsd_sink *sink, const struct rsd_sink_message *msg,
		       struct rsd_sink_entry *e)
{
	add_str(e, "SYSLOG_IDENTIFIER", sink->identifier);
	add_str(e, "KAFKA_TOPIC", msg->topic ? msg->topic : "");
	snprintf(e->partition, sizeof(e->partition), "%d", (int)msg->partition);
	add_str(e, "KAFKA_PARTITION", e->partition);
	snprintf(e->offset, sizeof(e->offset), "%lld", (long long)msg->offset);
	add_str(e, "KAFKA_OFFSET", e->offset);
}

static int build_invalid(const struct rsd_sink *sink, const struct rsd_sink_message *msg,
			 const char *why, struct rsd_sink_entry *e)
{
	if (asprintf(&e->message, "Invalid record at %s/%d@%lld: %s", msg->topic ? msg->topic : "",
		     (int)msg->partition, (long long)msg->offset, why) < 0) {
		e->message = NULL;
		return -ENOMEM;
	}
	e->outcome = RSD_SINK_WROTE_INVALID;
	add_str(e, "MESSAGE", e->message);
	add_str(e, "PRIORITY", "3");
	add_str(e, "MESSAGE_ID", RSD_MESSAGE_ID_INVALID);
	add_origin(sink, msg, e);
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Parses msg into e->doc; NULL when valid, else why not (written to why). */
static const char *parse_record(const struct rsd_sink_message *msg, struct rsd_sink_entry *e,
				char *why, size_t len)
{
	const char *end = NULL;
	const cJSON *schema, *url;

	if (msg->len == 0)
		return "empty message";
	if (msg->len > RSD_SINK_MAX_VALUE) {
		snprintf(why, len, "message of %zu bytes exceeds the %d-byte limit", msg->len,
			 RSD_SINK_MAX_VALUE);
		return why;
	}
	/* return_parse_end instead of cJSON_GetErrorPtr: the latter is global. */
	e->doc = cJSON_ParseWithLengthOpts(msg->value, msg->len, &end, false);
	if (!e->doc) {
		snprintf(why, len, "invalid JSON at byte %td",
			 end ? end - msg->value : (ptrdiff_t)0);
		return why;
	}
	while (end < msg->value + msg->len && is_space(*end))
		end++;
	if (end < msg->value + msg->len) {
		snprintf(why, len, "trailing data after JSON at byte %td", end - msg->value);
		return why;
	}
	if (!cJSON_IsObject(e->doc))
		return "not a JSON object";
	schema = cJSON_GetObjectItemCaseSensitive(e->doc, "schema");
	if (!cJSON_IsNumber(schema))
		return "missing or non-numeric schema";
	if (schema->valuedouble != RSD_RECORD_SCHEMA_VERSION) {
		snprintf(why, len, "unsupported schema %g (expected %d)", schema->valuedouble,
			 RSD_RECORD_SCHEMA_VERSION);
		return why;
	}
	url = cJSON_GetObjectItemCaseSensitive(e->doc, "url");
	if (!cJSON_IsString(url) || !*url->valuestring)
		return "missing url";
	return NULL;
}

/* A string member, NULL when absent or null; *bad set when of another type. */
static const char *opt_string(const cJSON *doc, const char *name, bool *bad)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, name);

	if (!v || cJSON_IsNull(v))
		return NULL;
	if (!cJSON_IsString(v)) {
		*bad = true;
		return NULL;
	}
	return v->valuestring;
}

/* Host of an absolute URL ("https://user@Host:8080/x" -> "Host") into buf;
 * used when a record has no host field. */
static const char *host_of(const char *url, char *buf, size_t len)
{
	const char *auth = strstr(url, "://"), *at, *end;
	size_t n;

	if (!auth)
		return NULL;
	auth += 3;
	n = strcspn(auth, "/?#");
	at = memrchr(auth, '@', n);
	if (at) {
		n -= (size_t)(at + 1 - auth);
		auth = at + 1;
	}
	if (auth[0] == '[') {
		end = memchr(auth, ']', n);
		n = end ? (size_t)(end - auth) + 1 : n;
	} else {
		end = memchr(auth, ':', n);
		n = end ? (size_t)(end - auth) : n;
	}
	if (n == 0 || n >= len)
		return NULL;
	memcpy(buf, auth, n);
	buf[n] = '\0';
	return buf;
}

static int build_recipe(const struct rsd_sink *sink, const struct rsd_sink_message *msg,
			struct rsd_sink_entry *e, char *why, size_t whylen)
{
	const cJSON *cal = cJSON_GetObjectItemCaseSensitive(e->doc, "calories");
	const char *url = cJSON_GetObjectItemCaseSensitive(e->doc, "url")->valuestring;
	bool bad = false, alert;
	const char *title = opt_string(e->doc, "title", &bad);
	const char *host = opt_string(e->doc, "host", &bad);
	int rc;

	if (bad || (cal && !cJSON_IsNull(cal) && !cJSON_IsNumber(cal))) {
		snprintf(why, whylen, "title, host or calories of the wrong type");
		return 1;
	}
	if (!host)
		host = host_of(url, e->host, sizeof(e->host));
	const char *shown = title ? title : "(untitled)";
	/* The entry is bounded whoever produced the record: title and URL are
	 * cut to the record's caps (RECIPE_JSON is bounded by
	 * RSD_SINK_MAX_VALUE), so one entry stays under about 1 MiB + 20 KiB. */
	int tlen = (int)rsd_utf8_prefix(shown, strlen(shown), RSD_CAP_NAME);
	int ulen = (int)rsd_utf8_prefix(url, strlen(url), RSD_URL_MAX_BYTES);
	alert = cJSON_IsNumber(cal) && cal->valuedouble > sink->calorie_threshold;
	if (cJSON_IsNumber(cal)) {
		format_number(cal->valuedouble, e->calories, sizeof(e->calories));
		rc = asprintf(&e->message, "%s: %.*s — %s kcal — %.*s",
			      alert ? "High-calorie recipe" : "Recipe", tlen, shown, e->calories,
			      ulen, url);
	} else {
		rc = asprintf(&e->message, "Recipe: %.*s — %.*s", tlen, shown, ulen, url);
	}
	if (rc < 0) {
		e->message = NULL;
		return -ENOMEM;
	}
	e->outcome = alert ? RSD_SINK_WROTE_ALERT : RSD_SINK_WROTE_RECIPE;
	add_str(e, "MESSAGE", e->message);
	add_str(e, "PRIORITY", alert ? "4" : "6");
	add_str(e, "MESSAGE_ID", alert ? RSD_MESSAGE_ID_HIGH_CALORIE : RSD_MESSAGE_ID_RECIPE);
	add_origin(sink, msg, e);
	add_field(e, "RECIPE_URL", url, (size_t)ulen);
	if (title)
		add_field(e, "RECIPE_TITLE", title, (size_t)tlen);
	if (cJSON_IsNumber(cal))
		add_str(e, "RECIPE_CALORIES", e->calories);
	if (host)
		add_str(e, "RECIPE_HOST", host);
	add_field(e, "RECIPE_JSON", msg->value, msg->len); /* the record as received */
	return 0;
}

int rsd_sink_entry_build(const struct rsd_sink *sink, const struct rsd_sink_message *msg,
			 struct rsd_sink_entry *e)
{
	char why[160];
	const char *invalid;
	int rc;

	memset(e, 0, sizeof(*e));
	invalid = parse_record(msg, e, why, sizeof(why));
	if (!invalid) {
		rc = build_recipe(sink, msg, e, why, sizeof(why));
		if (rc <= 0)
			return rc;
		invalid = why;
		free(e->message);
		e->message = NULL;
		e->n = 0;
	}
	return build_invalid(sink, msg, invalid, e);
}

/* ---- stdout: one JSON object per line ---- */

/* Valid UTF-8 (text.c's check), NUL bytes allowed: json_string escapes
 * them, as journalctl does. */
static bool is_utf8(const char *s, size_t len)
{
	const char *nul;

	while ((nul = memchr(s, 0, len)) != NULL) {
		if (!rsd_text_utf8_valid(s, (size_t)(nul - s)))
			return false;
		len -= (size_t)(nul - s) + 1;
		s = nul + 1;
	}
	return rsd_text_utf8_valid(s, len);
}

static int json_string(struct buf *b, const char *s, size_t len)
{
	int rc = buf_addc(b, '"');

	for (size_t i = 0; i < len && rc == 0; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			rc = buf_add(b, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			rc = buf_add(b, esc, 6);
		} else {
			rc = buf_addc(b, (char)c);
		}
	}
	return rc ? rc : buf_addc(b, '"');
}

/* journalctl -o json writes values that are not UTF-8 as byte arrays. */
static int json_bytes(struct buf *b, const char *s, size_t len)
{
	int rc = buf_addc(b, '[');

	for (size_t i = 0; i < len && rc == 0; i++) {
		char num[8];
		int n = snprintf(num, sizeof(num), "%s%u", i ? "," : "", (unsigned char)s[i]);

		rc = buf_add(b, num, (size_t)n);
	}
	return rc ? rc : buf_addc(b, ']');
}

static int format_json_line(struct buf *b, const struct rsd_sink_entry *e)
{
	int rc = buf_addc(b, '{');

	for (size_t i = 0; i < e->n && rc == 0; i++) {
		const struct rsd_sink_field *f = &e->fields[i];

		if (i)
			rc = buf_addc(b, ',');
		if (rc == 0)
			rc = json_string(b, f->name, strlen(f->name));
		if (rc == 0)
			rc = buf_addc(b, ':');
		if (rc == 0)
			rc = is_utf8(f->value, f->len) ? json_string(b, f->value, f->len)
						       : json_bytes(b, f->value, f->len);
	}
	if (rc == 0)
		rc = buf_add(b, "}\n", 2);
	return rc;
}

static int write_stdout(struct rsd_sink *sink, const struct rsd_sink_entry *e)
{
	int rc;

	sink->line.len = 0;
	rc = format_json_line(&sink->line, e);
	if (rc < 0)
		return rc;
	/* One fwrite of the whole line, then flush: a reader sees whole lines,
	 * and the offset is stored only once the line left our buffer. */
	clearerr(sink->out);
	if (fwrite(sink->line.data, 1, sink->line.len, sink->out) != sink->line.len ||
	    fflush(sink->out) != 0 || ferror(sink->out)) {
		/* Drop what stdio still holds of the failed line, or it would
		 * be emitted in front of the retry as a torn line. */
		__fpurge(sink->out);
		clearerr(sink->out);
		return -EIO;
	}
	return 0;
}

/* ---- journald ---- */

static int write_journal(struct rsd_sink *sink, const struct rsd_sink_entry *e)
{
	struct iovec iov[RSD_SINK_MAX_FIELDS];
	size_t offsets[RSD_SINK_MAX_FIELDS];

	/* "NAME=value" must be contiguous per iovec: lay them out in one
	 * arena, then point the iovecs into it (the arena may move while it
	 * grows, hence offsets first). */
	sink->line.len = 0;
	for (size_t i = 0; i < e->n; i++) {
		const struct rsd_sink_field *f = &e->fields[i];

		offsets[i] = sink->line.len;
		if (buf_add(&sink->line, f->name, strlen(f->name)) < 0 ||
		    buf_addc(&sink->line, '=') < 0 || buf_add(&sink->line, f->value, f->len) < 0)
			return -ENOMEM;
	}
	for (size_t i = 0; i < e->n; i++) {
		size_t end = i + 1 < e->n ? offsets[i + 1] : sink->line.len;

		iov[i] = (struct iovec){ sink->line.data + offsets[i], end - offsets[i] };
	}
	return sd_journal_sendv(iov, (int)e->n);
}

/* ---- sink ---- */

int rsd_sink_new(enum rsd_sink_kind kind, const char *identifier, double calorie_threshold,
		 FILE *out, struct rsd_sink **sinkp)
{
	struct rsd_sink *sink;

	*sinkp = NULL;
	sink = calloc(1, sizeof(*sink));
	if (!sink)
		return -ENOMEM;
	if (kind == RSD_SINK_AUTO)
		kind = access(JOURNAL_SOCKET, F_OK) == 0 ? RSD_SINK_JOURNAL : RSD_SINK_STDOUT;
	sink->kind = kind;
	sink->identifier = strdup(identifier && *identifier ? identifier : "recipe-scraperd");
	sink->calorie_threshold = calorie_threshold;
	sink->out = out ? out : stdout;
	if (!sink->identifier) {
		rsd_sink_free(sink);
		return -ENOMEM;
	}
	*sinkp = sink;
	return 0;
}

void rsd_sink_free(struct rsd_sink *sink)
{
	if (!sink)
		return;
	free(sink->identifier);
	free(sink->line.data);
	free(sink);
}

enum rsd_sink_kind rsd_sink_kind(const struct rsd_sink *sink)
{
	return sink->kind;
}

int rsd_sink_write(struct rsd_sink *sink, const struct rsd_sink_message *msg,
		   enum rsd_sink_outcome *outcome)
{
	struct rsd_sink_entry e;
	int rc = rsd_sink_entry_build(sink, msg, &e);

	if (rc == 0) {
		rc = sink->kind == RSD_SINK_JOURNAL ? write_journal(sink, &e)
						    : write_stdout(sink, &e);
		if (rc == 0 && outcome)
			*outcome = e.outcome;
	}
	rsd_sink_entry_clear(&e);
	return rc;
}
