/* SPDX-License-Identifier: MIT */
/* Configuration loading.
 *
 * One table, cfg_key_specs[] (config_keys.c), describes every key:
 * section, name, kind (which parser, which C type the field has), field
 * offset, default as written in the file, range and documentation.
 * Parsing, defaults (the default text is run through the same parser),
 * validation, rsd_config_keys() and the generated reference in
 * docs/configuration.md all read that table, so they cannot disagree.
 *
 * Line numbers: Debian's libinih is built without INI_HANDLER_LINENO, so the
 * text reaches ini_parse_stream() through our own reader, which counts
 * lines. inih calls the handler for a line before it asks for the next one,
 * so the reader's count is the line of every handler call.
 *
 * All errors: inih returns only the first line it rejects. The reader
 * therefore runs the same line classification as inih (same comment and
 * continuation rules, taken from ini.h's defaults), reports each line inih
 * would reject with a precise message and hands inih a blank line instead;
 * the handler never fails (it records errors itself). That way parsing
 * always reaches the end of the file and every problem is reported. The
 * reader also tracks sections itself: inih truncates section names to 50
 * bytes and never tells the handler about an empty or unknown section.
 *
 * Nothing here logs or exits: every problem becomes a "FILE:LINE: message"
 * in the caller's rsd_config_diag.
 */
#include "config/config_spec.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <ini.h>
#include <inttypes.h>
#include <limits.h>
#include <librdkafka/rdkafka.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <curl/curl.h>

/* Dotted keys that have a key of their own: two ways to say one thing would
 * let them disagree. */
static const struct {
	const char *property, *instead;
} owned_properties[] = {
	{ "bootstrap.servers", "kafka.brokers" },
	{ "metadata.broker.list", "kafka.brokers" },
	{ "group.id", "consumer.group_id" },
};

/* Properties the clients force (producer.c, consumer.c) because a delivery
 * guarantee depends on them. A file that sets another value would be
 * silently overridden, so it is an error instead: what -t accepts is what
 * runs. keys[0] is the name librdkafka reports the value under (normalised:
 * "all" reads back as "-1", "0" as "false"); the others are its aliases. */
static const struct {
	unsigned to;
	const char *keys[3];
	const char *value; /* as rd_kafka_conf_get() reports it */
	const char *why;
} forced_properties[] = {
	{ TO_PRODUCER,
	  { "enable.idempotence", NULL },
	  "true",
	  "must be true: the producer is always idempotent (no duplicate or reordered record "
	  "from its retries); remove the line" },
	{ TO_PRODUCER,
	  { "acks", "request.required.acks", NULL },
	  "-1",
	  "must be all: a record counts as delivered only once every in-sync replica has it; "
	  "remove the line" },
	{ TO_CONSUMER,
	  { "enable.auto.offset.store", NULL },
	  "false",
	  "must be false: an offset is stored only after the record reached the journal "
	  "(at least once); remove the line" },
};

/* ---------------------------------------------------------------- loader */

static void diag_push(struct loader *ld, unsigned line, char *msg)
{
	struct rsd_config_diag *d = &ld->found;
	char **m = msg ? realloc(d->messages, (d->n + 1) * sizeof(*m)) : NULL;
	if (m)
		d->messages = m;
	unsigned *l = m ? realloc(d->lines, (d->n + 1) * sizeof(*l)) : NULL;
	if (!l) {
		free(msg);
		ld->oom = true;
		return;
	}
	d->lines = l;
	d->messages[d->n] = msg;
	d->lines[d->n] = line;
	d->n++;
}

/* Records "NAME:LINE: [section.key: ]message" ("NAME: ..." when line is 0). */
__attribute__((format(printf, 4, 0))) static void vreport(struct loader *ld, unsigned line,
							  const struct key_spec *spec,
							  const char *fmt, va_list ap)
{
	char *body = NULL, *msg = NULL;
	if (vasprintf(&body, fmt, ap) < 0) {
		ld->oom = true;
		return;
	}
	/* a line without a file index is one of the file being parsed */
	unsigned file = line >> LINE_BITS ? line >> LINE_BITS : ld->file;
	const char *name = ld->n_files ? ld->files[file] : ld->name;
	char at[16] = "";
	if (line & LINE_MASK)
		snprintf(at, sizeof(at), ":%u", line & LINE_MASK);
	int rc = spec ? asprintf(&msg, "%s%s: %s.%s: %s", name, at, spec->section, spec->key, body)
		      : asprintf(&msg, "%s%s: %s", name, at, body);
	free(body);
	diag_push(ld, line & LINE_MASK ? (line & LINE_MASK) | file << LINE_BITS : 0,
		  rc < 0 ? NULL : msg);
}

__attribute__((format(printf, 3, 4))) void cfg_report(struct loader *ld, unsigned line,
						      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(ld, line, NULL, fmt, ap);
	va_end(ap);
}

/* A problem with a value of the key being parsed. */
__attribute__((format(printf, 2, 3))) void cfg_bad(struct field_ctx *fc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(fc->ld, fc->line, fc->spec, fmt, ap);
	va_end(ap);
	fc->ld->key_bad[fc->spec - cfg_key_specs] = true;
}

const char *cfg_shown(const struct field_ctx *fc, const char *v)
{
	return fc->ld->value_secret ? SECRET_SHOWN : v;
}

const char *cfg_quoted_n(struct field_ctx *fc, const char *v, size_t len)
{
	if (fc->ld->value_secret)
		return SECRET_SHOWN;
	free(fc->quoted);
	if (asprintf(&fc->quoted, "'%.*s'", (int)len, v) < 0) {
		fc->quoted = NULL;
		return "the value";
	}
	return fc->quoted;
}

const char *cfg_quoted(struct field_ctx *fc, const char *v)
{
	return cfg_quoted_n(fc, v, strlen(v));
}

void *cfg_oom_check(struct loader *ld, void *p)
{
	if (!p)
		ld->oom = true;
	return p;
}

/* The location of a line of the file being parsed (see LINE_BITS). */
static unsigned here(const struct loader *ld, unsigned line)
{
	return line | ld->file << LINE_BITS;
}

/* ---------------------------------------------------------------- helpers */

void cfg_strv_free(struct rsd_strv *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->items[i]);
	free(v->items);
	v->items = NULL;
	v->n = 0;
}

/* Takes ownership of item (also on failure). */
int cfg_strv_push(struct rsd_strv *v, char *item)
{
	char **items = item ? realloc(v->items, (v->n + 1) * sizeof(*items)) : NULL;
	if (!items) {
		free(item);
		return -ENOMEM;
	}
	v->items = items;
	v->items[v->n++] = item;
	return 0;
}

bool cfg_strv_contains(const struct rsd_strv *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->items[i], s) == 0)
			return true;
	return false;
}

static void kv_list_free(struct rsd_kv_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].key);
		free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static const struct rsd_kv *kv_find(const struct rsd_kv_list *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i].key, key) == 0)
			return &l->items[i];
	return NULL;
}

static int kv_push(struct rsd_kv_list *l, const char *key, const char *value, unsigned line,
		   bool secret)
{
	struct rsd_kv *items = realloc(l->items, (l->n + 1) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	l->items = items;
	char *k = strdup(key), *v = strdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	l->items[l->n++] = (struct rsd_kv){ .key = k, .value = v, .line = line, .secret = secret };
	return 0;
}

void cfg_lower_ascii(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Next item of a list separated by any of seps; NULL at the end. */
const char *cfg_next_item(const char **p, const char *seps, size_t *len)
{
	const char *s = *p + strspn(*p, seps);
	if (!*s)
		return NULL;
	*len = strcspn(s, seps);
	*p = s + *len;
	return s;
}

bool cfg_has_item(const char *list, const char *seps, const char *item)
{
	size_t len;
	for (const char *p = list, *i; (i = cfg_next_item(&p, seps, &len));)
		if (len == strlen(item) && memcmp(i, item, len) == 0)
			return true;
	return false;
}

bool cfg_has_control_char(const char *s)
{
	for (; *s; s++)
		if (iscntrl((unsigned char)*s))
			return true;
	return false;
}

void cfg_replace_string(char **field, char *value)
{
	free(*field);
	*field = value;
}

/* ---------------------------------------------------------------- lookup */

static const struct section_spec *find_section(const char *name, size_t len)
{
	for (size_t i = 0; i < cfg_n_sections; i++)
		if (strlen(cfg_section_specs[i].name) == len &&
		    memcmp(cfg_section_specs[i].name, name, len) == 0)
			return &cfg_section_specs[i];
	return NULL;
}

static const struct key_spec *find_key(const char *section, const char *key)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strcmp(cfg_key_specs[i].section, section) == 0 &&
		    strcmp(cfg_key_specs[i].key, key) == 0)
			return &cfg_key_specs[i];
	return NULL;
}

unsigned cfg_line_of(const struct loader *ld, const char *section, const char *key)
{
	return ld->key_line[find_key(section, key) - cfg_key_specs];
}

const char *cfg_key_shown(struct loader *ld, const char *section, const char *key,
			  const char *value)
{
	return ld->key_secret[find_key(section, key) - cfg_key_specs] ? SECRET_SHOWN : value;
}

const char *cfg_quoted_key(struct loader *ld, const char *section, const char *key,
			   const char *value)
{
	const char *v = cfg_key_shown(ld, section, key, value);
	char *q = NULL;
	if (v == value && asprintf(&q, "'%s'", value) >= 0) {
		free(ld->quoted);
		ld->quoted = q;
		return q;
	}
	return v;
}

void cfg_apply_value(struct loader *ld, const struct key_spec *spec, const char *value, bool append,
		     unsigned line)
{
	struct field_ctx fc = {
		.ld = ld,
		.spec = spec,
		.line = line,
		.field = (char *)ld->cfg + spec->offset,
		.aux = spec->aux == NO_AUX ? NULL : (char *)ld->cfg + spec->aux,
	};
	/* a list is secret when any of its lines is; a key set again by an
	 * included file is what that file says */
	bool *secret = &ld->key_secret[spec - cfg_key_specs];
	*secret = ld->value_secret || (append && *secret);
	cfg_kinds[spec->kind].parse(&fc, value, append);
	free(fc.quoted);
}

/* ---------------------------------------------------------------- dotted keys */

rd_kafka_conf_t *cfg_scratch_conf(struct loader *ld, unsigned client)
{
	if (!ld->scratch[client])
		ld->scratch[client] = cfg_oom_check(ld, rd_kafka_conf_new());
	return ld->scratch[client];
}

/* Lets librdkafka judge the property: the same call the clients will make.
 * RD_KAFKA_CONF_OK, or its verdict with its reason in why. */
static rd_kafka_conf_res_t kafka_accepts(struct loader *ld, const char *key, const char *value,
					 char *why, size_t len)
{
	for (unsigned client = 0; client < 2; client++) {
		if (!(ld->section->to & (client == 0 ? TO_PRODUCER : TO_CONSUMER)))
			continue;
		rd_kafka_conf_t *conf = cfg_scratch_conf(ld, client);
		if (!conf)
			return RD_KAFKA_CONF_INVALID;
		rd_kafka_conf_res_t res = rd_kafka_conf_set(conf, key, value, why, len);
		if (res != RD_KAFKA_CONF_OK)
			return res;
	}
	return RD_KAFKA_CONF_OK;
}

/* librdkafka's reading of value, under the property's own name. */
static bool forced_value_kept(const char *key, const char *value, const char *name,
			      const char *want)
{
	char got[64] = "", why[256];
	size_t len = sizeof(got);
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	bool kept = true;
	if (conf && rd_kafka_conf_set(conf, key, value, why, sizeof(why)) == RD_KAFKA_CONF_OK &&
	    rd_kafka_conf_get(conf, name, got, &len) == RD_KAFKA_CONF_OK)
		kept = strcmp(got, want) == 0;
	if (conf)
		rd_kafka_conf_destroy(conf);
	return kept;
}

/* A forced property set to another value (see forced_properties). */
static void check_forced(struct loader *ld, const char *key, const char *value, unsigned line)
{
	for (size_t i = 0; i < ARRAY_SIZE(forced_properties); i++) {
		if (!(ld->section->to & forced_properties[i].to))
			continue;
		for (const char *const *k = forced_properties[i].keys; *k; k++)
			if (strcmp(*k, key) == 0 &&
			    !forced_value_kept(key, value, forced_properties[i].keys[0],
					       forced_properties[i].value))
				cfg_report(ld, line, "%s.%s: %s", ld->section->name, key,
					   forced_properties[i].why);
	}
}

static void set_property(struct loader *ld, const char *key, const char *value, unsigned line)
{
	const struct section_spec *sec = ld->section;
	if (sec->props == NO_AUX) {
		cfg_report(ld, line,
			   "%s.%s: unknown key (librdkafka properties belong in [kafka], "
			   "[producer] or "
			   "[consumer])",
			   sec->name, key);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(owned_properties); i++)
		if (strcmp(owned_properties[i].property, key) == 0) {
			cfg_report(ld, line, "%s.%s: set %s instead", sec->name, key,
				   owned_properties[i].instead);
			return;
		}
	struct rsd_kv_list *props = (void *)((char *)ld->cfg + sec->props);
	struct rsd_kv *prev = (struct rsd_kv *)kv_find(props, key);
	if (prev && prev->line >> LINE_BITS == ld->file) {
		cfg_report(ld, line, "%s.%s: duplicate key (first set on line %u)", sec->name, key,
			   prev->line & LINE_MASK);
		return;
	}
	char why[512] = "";
	rd_kafka_conf_res_t res = kafka_accepts(ld, key, value, why, sizeof(why));
	if (res != RD_KAFKA_CONF_OK) {
		/* librdkafka ends some of its texts with a newline */
		why[strcspn(why, "\r\n")] = '\0';
		/* Its verdict on a value quotes the value: not a secret one. An
		 * unknown property's names the property only. */
		if (ld->value_secret && res != RD_KAFKA_CONF_UNKNOWN)
			snprintf(why, sizeof(why), "invalid value " SECRET_SHOWN);
		if (!ld->oom)
			cfg_report(ld, line, "%s.%s: rejected by librdkafka: %s", sec->name, key,
				   why);
		return;
	}
	check_forced(ld, key, value, line);
	if (prev) { /* set in an earlier file: this one overrides it */
		char *copy = cfg_oom_check(ld, strdup(value));
		if (!copy)
			return;
		free(prev->value);
		prev->value = copy;
		prev->line = here(ld, line);
		prev->secret = ld->value_secret;
	} else if (kv_push(props, key, value, here(ld, line), ld->value_secret) < 0) {
		ld->oom = true;
		return;
	}
	ld->cont = CONT_REJECT;
	ld->cont_key = (prev ? prev : &props->items[props->n - 1])->key;
}

/* ---------------------------------------------------------------- include */

/* `include = PATTERN` reads the files that match (glob(3), relative to the
 * including file's directory, in sorted order) as if their text stood at
 * the include line, each starting outside any section. A key set in an
 * earlier file is overridden (lists are replaced, not extended); within
 * one file a key set twice is still an error. No match is not an error (an
 * empty conf.d); a file that matches and cannot be read is. */

/* What the parse of one file changes in the loader: saved around an
 * included file's parse. */
struct parse_state {
	const char *name, *pos, *end;
	unsigned lineno, file;
	const struct section_spec *section;
	bool skip_keys, have_prev_name, is_continuation;
	enum continuation cont;
	const struct key_spec *cont_spec;
	const char *cont_key;
};

static void save_state(const struct loader *ld, struct parse_state *st)
{
	*st = (struct parse_state){ ld->name,
				    ld->pos,
				    ld->end,
				    ld->lineno,
				    ld->file,
				    ld->section,
				    ld->skip_keys,
				    ld->have_prev_name,
				    ld->is_continuation,
				    ld->cont,
				    ld->cont_spec,
				    ld->cont_key };
}

static void restore_state(struct loader *ld, const struct parse_state *st)
{
	ld->name = st->name;
	ld->pos = st->pos;
	ld->end = st->end;
	ld->lineno = st->lineno;
	ld->file = st->file;
	ld->section = st->section;
	ld->skip_keys = st->skip_keys;
	ld->have_prev_name = st->have_prev_name;
	ld->is_continuation = st->is_continuation;
	ld->cont = st->cont;
	ld->cont_spec = st->cont_spec;
	ld->cont_key = st->cont_key;
}

static int on_entry(void *user, const char *section, const char *name, const char *raw);
static char *read_line(char *buf, int size, void *stream);

/* Runs inih over the text of the file being parsed (ld->pos .. ld->end). */
static void parse_file(struct loader *ld)
{
	size_t known_before = ld->found.n;
	int rc = ini_parse_stream(read_line, ld, on_entry, ld);
	if (rc == -2) {
		ld->oom = true;
	} else if (rc > 0) {
		/* The reader should have caught every line inih rejects: keep
		 * inih's verdict in case a later inih is stricter. */
		bool known = false;
		for (size_t i = known_before; i < ld->found.n; i++)
			known = known || (ld->found.lines[i] & LINE_MASK) == (unsigned)rc;
		if (!known)
			cfg_report(ld, (unsigned)rc, "syntax error");
	}
}

/* Whether the file is being read already (an include loop). */
static bool in_chain(const struct loader *ld, const char *real)
{
	for (unsigned i = 0; i <= ld->depth; i++)
		if (ld->real[ld->chain[i]] && strcmp(ld->real[ld->chain[i]], real) == 0)
			return true;
	return false;
}

/* Reads path, registers it in files[]; false after reporting at line. */
static bool open_included(struct loader *ld, const char *path, unsigned line, char **text,
			  size_t *len)
{
	char buf[128], *real = realpath(path, NULL);
	int fd = -1, rc = 0;
	if (real && in_chain(ld, real))
		cfg_report(ld, line, "include: %s is already being read (an include loop)", path);
	else if (ld->n_files == MAX_FILES)
		cfg_report(ld, line, "include: %s: more than %d files in all", path, MAX_FILES);
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		cfg_report(ld, line, "include: cannot open %s: %s", path,
			   strerror_r(errno, buf, sizeof(buf)));
	else if ((rc = cfg_read_all(fd, text, len, MAX_FILE_BYTES)) < 0 && rc != -ENOMEM)
		cfg_report(ld, line, "include: cannot read %s: %s", path,
			   strerror_r(-rc, buf, sizeof(buf)));
	if (fd >= 0)
		close(fd);
	ld->oom = ld->oom || rc == -ENOMEM;
	bool ok = fd >= 0 && rc == 0 && (ld->files[ld->n_files] = cfg_oom_check(ld, strdup(path)));
	if (!ok) {
		free(real);
		if (fd >= 0 && rc == 0)
			free(*text);
		return false;
	}
	ld->real[ld->n_files++] = real;
	return true;
}

static void include_file(struct loader *ld, const char *path, unsigned line)
{
	char *text = NULL;
	size_t len = 0;
	if (!open_included(ld, path, line, &text, &len))
		return;
	struct parse_state saved;
	save_state(ld, &saved);
	ld->file = ld->n_files - 1;
	ld->name = ld->files[ld->file];
	ld->chain[++ld->depth] = ld->file;
	ld->pos = text;
	ld->end = text + len;
	ld->lineno = 0;
	ld->section = NULL;
	ld->skip_keys = ld->have_prev_name = ld->is_continuation = false;
	ld->cont = CONT_IGNORE;
	parse_file(ld);
	ld->depth--;
	restore_state(ld, &saved);
	/* a secret may sit in the text */
	explicit_bzero(text, len);
	free(text);
}

/* The pattern relative to the directory of the file being parsed. */
static char *include_pattern(struct loader *ld, const char *pattern)
{
	if (pattern[0] == '/')
		return cfg_oom_check(ld, strdup(pattern));
	const char *slash = strrchr(ld->name, '/');
	char *full = NULL;
	if (asprintf(&full, "%.*s%s", slash ? (int)(slash - ld->name + 1) : 0, ld->name, pattern) <
	    0)
		full = NULL;
	return cfg_oom_check(ld, full);
}

/* A directory of the pattern that does not exist is no match (no conf.d:
 * nothing to include); one that cannot be read is an error. */
static int glob_dir_error(const char *path, int err)
{
	(void)path;
	return err != ENOENT && err != ENOTDIR;
}

static void include_files(struct loader *ld, const char *pattern, unsigned line)
{
	if (!*pattern) {
		cfg_report(ld, line, "include: needs a file name or a pattern");
		return;
	}
	if (ld->depth == MAX_INCLUDE_DEPTH) {
		cfg_report(ld, line, "include: nested more than %d deep", MAX_INCLUDE_DEPTH);
		return;
	}
	char *full = include_pattern(ld, pattern);
	glob_t g = { 0 };
	int rc = full ? glob(full, 0, glob_dir_error, &g) : GLOB_NOMATCH;
	if (rc == GLOB_NOSPACE)
		ld->oom = true;
	else if (rc == GLOB_ABORTED)
		cfg_report(ld, line, "include: cannot read the directories of %s", full);
	for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++)
		include_file(ld, g.gl_pathv[i], line);
	if (rc == 0 || rc == GLOB_NOSPACE)
		globfree(&g);
	free(full);
}

/* ---------------------------------------------------------------- inih callbacks */

static void include_files(struct loader *ld, const char *pattern, unsigned line);

static void set_entry(struct loader *ld, const char *name, const char *value, unsigned line)
{
	ld->cont = CONT_IGNORE;
	if (strcmp(name, "include") == 0) { /* a key of no section: anywhere */
		include_files(ld, value, line);
		ld->cont = CONT_REJECT;
		ld->cont_key = "include";
		return;
	}
	if (ld->skip_keys)
		return;
	if (!ld->section) {
		cfg_report(ld, line,
			   "%s: key outside of any section (add a [section] line above it)", name);
		return;
	}
	const char *sec = ld->section->name;
	if (!*name) {
		cfg_report(ld, line, "[%s]: missing key name before '='", sec);
		return;
	}
	if (strchr(name, '.')) {
		set_property(ld, name, value, line);
		return;
	}
	const struct key_spec *spec = find_key(sec, name);
	if (!spec) {
		bool url_like = strcmp(name, "http") == 0 || strcmp(name, "https") == 0;
		cfg_report(ld, line, "%s.%s: unknown key%s", sec, name,
			   url_like ? " (a URL that continues a list must be indented)" : "");
		return;
	}
	unsigned *first = &ld->key_line[spec - cfg_key_specs];
	if (*first && *first >> LINE_BITS == ld->file) {
		cfg_report(ld, line, "%s.%s: duplicate key (first set on line %u)", sec, name,
			   *first & LINE_MASK);
		return;
	}
	/* Set in an earlier file (main or included): this one overrides it. */
	*first = here(ld, line);
	ld->cont = cfg_kinds[spec->kind].is_list ? CONT_APPEND : CONT_REJECT;
	ld->cont_spec = spec;
	ld->cont_key = spec->key;
	cfg_apply_value(ld, spec, value, false, line);
}

static void continue_entry(struct loader *ld, const char *value, unsigned line)
{
	if (ld->skip_keys)
		return;
	switch (ld->cont) {
	case CONT_IGNORE:
		break;
	case CONT_APPEND:
		cfg_apply_value(ld, ld->cont_spec, value, true, line);
		break;
	case CONT_REJECT:
		cfg_report(ld, line,
			   "%s%s%s: takes a single value; only lists continue on indented lines",
			   ld->section ? ld->section->name : "", ld->section ? "." : "",
			   ld->cont_key);
		ld->cont = CONT_IGNORE; /* once per key is enough */
		break;
	}
}

/* A value with a reference that has no value was reported: the key counts
 * as set (no "required key is missing" on top) and as bad, like a value its
 * parser rejected. */
static void unexpanded_entry(struct loader *ld, const char *name, unsigned line)
{
	ld->cont = CONT_IGNORE;
	const struct key_spec *spec = ld->section && !ld->skip_keys
					      ? find_key(ld->section->name, name)
					      : NULL;
	if (spec && !ld->key_line[spec - cfg_key_specs])
		ld->key_line[spec - cfg_key_specs] = here(ld, line);
	if (spec)
		ld->key_bad[spec - cfg_key_specs] = true;
}

/* Keys whose value is a secret however it is written: passwords, SASL
 * settings (credentials, tokens) and private keys of librdkafka. */
static bool secret_key_name(const char *key)
{
	size_t n = strlen(key);
	return strncmp(key, "sasl.", 5) == 0 || strncmp(key, "ssl.key.", 8) == 0 ||
	       (n >= 8 && strcmp(key + n - 8, "password") == 0) ||
	       (n >= 6 && strcmp(key + n - 6, "secret") == 0);
}

static int on_entry(void *user, const char *section, const char *name, const char *raw)
{
	struct loader *ld = user;
	(void)section; /* the reader's own copy: inih truncates it at 50 bytes */
	bool referenced = false;
	char *value = cfg_expand(ld, raw, ld->lineno, &referenced);
	ld->value_secret = referenced || secret_key_name(name);
	if (ld->is_continuation) {
		if (value)
			continue_entry(ld, value, ld->lineno);
	} else {
		/* inih's prev_name: an empty name does not start a continuation. */
		ld->have_prev_name = *name != '\0';
		if (value)
			set_entry(ld, name, value, ld->lineno);
		else
			unexpanded_entry(ld, name, ld->lineno);
	}
	if (value)
		explicit_bzero(value, strlen(value));
	free(value);
	/* Never fail: errors are recorded above, and inih would keep only the first. */
	return 1;
}

/* inih's own scanner (ini.c): the first of chars, or the start of an inline
 * comment (a prefix character after white space), or the end. */
static const char *find_chars_or_comment(const char *s, const char *chars)
{
	bool was_space = false;
	while (*s && (!chars || !strchr(chars, *s)) &&
	       !(INI_ALLOW_INLINE_COMMENTS && was_space &&
		 strchr(INI_INLINE_COMMENT_PREFIXES, *s))) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

static const char *skip_space(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

static void enter_section(struct loader *ld, const char *name, size_t len)
{
	ld->have_prev_name = false;
	ld->cont = CONT_IGNORE;
	ld->section = find_section(name, len);
	ld->skip_keys = ld->section == NULL;
	if (!ld->section)
		cfg_report(ld, ld->lineno,
			   "unknown section [%.*s] (sections: daemon, scraper, ring, kafka, "
			   "producer, consumer, "
			   "journal, metrics, cluster)",
			   (int)len, name);
}

/* Classifies the line as inih will; returns false for a line inih would
 * reject, after reporting it. */
static bool check_line(struct loader *ld, const char *line)
{
	const char *start = line;
	if (ld->lineno == 1 && INI_ALLOW_BOM && strncmp(start, "\xEF\xBB\xBF", 3) == 0)
		start += 3;
	start = skip_space(start);
	if (!*start || strchr(INI_START_COMMENT_PREFIXES, *start))
		return true;
	if (INI_ALLOW_MULTILINE && ld->have_prev_name && start > line) {
		ld->is_continuation = true;
		return true;
	}
	if (*start == '[') {
		const char *end = find_chars_or_comment(start + 1, "]");
		if (*end != ']') {
			cfg_report(ld, ld->lineno, "expected ']' at the end of the section name");
			ld->section = NULL; /* its keys would land in the previous section */
			ld->skip_keys = true;
			ld->cont = CONT_IGNORE;
			return false;
		}
		enter_section(ld, start + 1, (size_t)(end - start - 1));
		const char *rest = skip_space(end + 1);
		if (*rest && !strchr(";#", *rest))
			cfg_report(ld, ld->lineno, "unexpected text after ']'");
		return true;
	}
	const char *eq = find_chars_or_comment(start, "=:");
	if (*eq != '=' && *eq != ':') {
		cfg_report(ld, ld->lineno, "expected 'key = value'%s",
			   start > line ? " (an indented line continues only a key's value)" : "");
		return false;
	}
	return true;
}

/* fgets-style reader over the text; see the top comment. */
static char *read_line(char *buf, int size, void *stream)
{
	struct loader *ld = stream;
	if (ld->pos >= ld->end)
		return NULL;
	const char *line = ld->pos;
	const char *nl = memchr(line, '\n', (size_t)(ld->end - line));
	size_t len = (size_t)((nl ? nl : ld->end) - line);
	ld->pos = line + len + (nl != NULL);
	ld->lineno++;
	ld->is_continuation = false;

	bool ok = false;
	if (size < 2 || len > (size_t)size - 2)
		cfg_report(ld, ld->lineno, "line is longer than %d characters",
			   size > 2 ? size - 2 : 0);
	else if (memchr(line, '\0', len))
		cfg_report(ld, ld->lineno, "line contains a NUL byte");
	else
		ok = true;
	if (ok) {
		memcpy(buf, line, len);
		buf[len] = '\0';
		ok = check_line(ld, buf);
	}
	if (!ok) {
		/* A blank line leaves inih's state as the rejected line would have. */
		buf[0] = '\0';
		return buf;
	}
	buf[len] = '\n';
	buf[len + 1] = '\0';
	return buf;
}

/* ---------------------------------------------------------------- API */

/* What the loader knew of each key, kept with the configuration. */
struct rsd_config_key_state {
	char *origin; /* "FILE:LINE", NULL = default */
	bool secret; /* see rsd_config_secret() */
};

/* Where each key was set, as messages of the daemon name it (a reload
 * rejected for a port it cannot bind points at the line). */
static void keep_origins(struct loader *ld)
{
	struct rsd_config_key_state *ks = cfg_oom_check(ld, calloc(N_KEYS, sizeof(*ks)));
	ld->cfg->key_state = ks;
	for (size_t i = 0; ks && i < N_KEYS; i++) {
		unsigned at = ld->key_line[i];
		ks[i].secret = ld->key_secret[i];
		if (at && asprintf(&ks[i].origin, "%s:%u", ld->files[at >> LINE_BITS],
				   at & LINE_MASK) < 0) {
			ks[i].origin = NULL;
			ld->oom = true;
		}
	}
}

static const struct rsd_config_key_state *key_state(const struct rsd_config *cfg,
						    const char *section, const char *key)
{
	const struct key_spec *spec = find_key(section, key);
	return spec && cfg->key_state ? &cfg->key_state[spec - cfg_key_specs] : NULL;
}

const char *rsd_config_origin(const struct rsd_config *cfg, const char *section, const char *key)
{
	const struct rsd_config_key_state *ks = key_state(cfg, section, key);
	return ks ? ks->origin : NULL;
}

bool rsd_config_secret(const struct rsd_config *cfg, const char *section, const char *key)
{
	const struct rsd_config_key_state *ks = key_state(cfg, section, key);
	return ks && ks->secret;
}

const char *rsd_config_shown(const struct rsd_config *cfg, const char *section, const char *key,
			     const char *value)
{
	return rsd_config_secret(cfg, section, key) ? SECRET_SHOWN : value;
}

void rsd_config_diag_clear(struct rsd_config_diag *diag)
{
	if (!diag)
		return;
	for (size_t i = 0; i < diag->n; i++)
		free(diag->messages[i]);
	free(diag->messages);
	free(diag->lines);
	*diag = (struct rsd_config_diag){ 0 };
}

void rsd_config_free(struct rsd_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < N_KEYS; i++) {
		const struct key_spec *spec = &cfg_key_specs[i];
		release_fn release = cfg_kinds[spec->kind].release;
		if (release)
			release((char *)cfg + spec->offset,
				spec->aux == NO_AUX ? NULL : (char *)cfg + spec->aux);
	}
	kv_list_free(&cfg->kafka_props);
	kv_list_free(&cfg->producer_props);
	kv_list_free(&cfg->consumer_props);
	for (size_t i = 0; cfg->key_state && i < N_KEYS; i++)
		free(cfg->key_state[i].origin);
	free(cfg->key_state);
	free(cfg->path);
	free(cfg);
}

static int load_text(const char *name, const char *text, size_t len, struct rsd_config **out,
		     struct rsd_config_diag *diag)
{
	struct loader ld = { .name = name, .pos = text, .end = text + len };
	*out = NULL;
	ld.cfg = calloc(1, sizeof(*ld.cfg));
	if (!ld.cfg || !(ld.cfg->path = strdup(name))) {
		free(ld.cfg);
		return -ENOMEM;
	}
	cfg_apply_defaults(&ld);
	if (!(ld.files[0] = cfg_oom_check(&ld, strdup(name))))
		ld.n_files = 0;
	else
		ld.real[ld.n_files++] = realpath(name, NULL);
	parse_file(&ld);
	cfg_check_required(&ld);
	if (ld.cfg->start_urls.n)
		cfg_check_hosts(&ld);
	cfg_check_sitemaps(&ld);
	cfg_check_limits(&ld);
	cfg_check_kafka(&ld);
	cfg_check_cluster(&ld);
	keep_origins(&ld);
	free(ld.quoted);
	for (size_t i = 0; i < 2; i++)
		if (ld.scratch[i])
			rd_kafka_conf_destroy(ld.scratch[i]);
	for (unsigned i = 0; i < ld.n_files; i++) {
		free(ld.files[i]);
		free(ld.real[i]);
	}

	int rc = ld.oom ? -ENOMEM : ld.found.n ? -EINVAL : 0;
	cfg_sort_by_line(&ld.found);
	for (size_t i = 0; i < ld.found.n; i++)
		ld.found.lines[i] &= LINE_MASK; /* the callers' lines: within each message's file */
	if (cfg_diag_move(diag, &ld.found) < 0)
		rc = -ENOMEM;
	if (rc < 0)
		rsd_config_free(ld.cfg);
	else
		*out = ld.cfg;
	return rc;
}

int rsd_config_load_string(const char *name, const char *text, struct rsd_config **out,
			   struct rsd_config_diag *diag)
{
	return load_text(name, text, strlen(text), out, diag);
}

static int file_error(const char *path, int err, const char *what, struct rsd_config_diag *diag)
{
	struct loader ld = { .name = path };
	char buf[128];
	cfg_report(&ld, 0, "%s: %s", what, strerror_r(err, buf, sizeof(buf)));
	cfg_diag_move(diag, &ld.found);
	return -err;
}

/* All of fd, at most about max bytes, NUL-terminated; 0 or -errno. Reads to
 * the end rather than trusting st_size, so that pipes (-c /dev/stdin) work. */
int cfg_read_all(int fd, char **text, size_t *len, size_t max)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			char *bigger = cap < max ? realloc(buf, 2 * cap + 1) : NULL;
			if (!bigger) {
				free(buf);
				return cap < max ? -ENOMEM : -EFBIG;
			}
			buf = bigger;
			cap *= 2;
		}
		ssize_t got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int err = errno;
			free(buf);
			return -err;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

int rsd_config_load(const char *path, struct rsd_config **out, struct rsd_config_diag *diag)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return file_error(path, errno, "cannot open", diag);
	char *text = NULL;
	size_t len = 0;
	int rc = cfg_read_all(fd, &text, &len, MAX_FILE_BYTES);
	close(fd);
	if (rc < 0)
		return rc == -ENOMEM ? rc : file_error(path, -rc, "cannot read", diag);
	rc = load_text(path, text, len, out, diag);
	free(text);
	return rc;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool strv_eq(const struct rsd_strv *a, const struct rsd_strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i], b->items[i]) != 0)
			return false;
	return true;
}

/* Order matters: a later property can override an earlier one. */
static bool kv_eq(const struct rsd_kv_list *a, const struct rsd_kv_list *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i].key, b->items[i].key) != 0 ||
		    strcmp(a->items[i].value, b->items[i].value) != 0)
			return false;
	return true;
}

bool rsd_config_kafka_changed(const struct rsd_config *a, const struct rsd_config *b)
{
	return !str_eq(a->brokers, b->brokers) || a->brokers_embedded != b->brokers_embedded ||
	       !str_eq(a->kafka_debug, b->kafka_debug) ||
	       !kv_eq(&a->kafka_props, &b->kafka_props) || !str_eq(a->topic, b->topic) ||
	       !str_eq(a->raw_topic, b->raw_topic) ||
	       !str_eq(a->raw_compression, b->raw_compression) ||
	       !kv_eq(&a->producer_props, &b->producer_props) ||
	       a->consumer_enabled != b->consumer_enabled || !str_eq(a->group_id, b->group_id) ||
	       !strv_eq(&a->topics, &b->topics) || a->calorie_threshold != b->calorie_threshold ||
	       !kv_eq(&a->consumer_props, &b->consumer_props) ||
	       !str_eq(a->frontier_topic, b->frontier_topic) ||
	       !str_eq(a->state_topic, b->state_topic) ||
	       !str_eq(a->cluster_group_id, b->cluster_group_id) ||
	       a->cluster_partitions != b->cluster_partitions;
}
