/* SPDX-License-Identifier: MIT */
#ifndef RSD_CONFIG_SPEC_H
#define RSD_CONFIG_SPEC_H

/* Inside the configuration loader: the key table's types, the loader's
 * state and the functions its files share. Only src/config/ includes it.
 *   config_keys.c    the key table (cfg_key_specs[]) and the generated reference
 *   config_values.c  one value parser per kind of key
 *   config.c         the INI reader (inih), include, ${...}, the API
 *   config_check.c   checks after parsing */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

#include "config/config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FIELD(name) offsetof(struct rsd_config, name)
/* aux == NO_AUX: the key has no second field (offset 0 is `path`, never an aux). */
#define NO_AUX 0

/* Largest file we read: a configuration is a few KiB; anything bigger is a mistake. */
#define MAX_FILE_BYTES (1024 * 1024)
#define KIB UINT64_C(1024)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)

#define DEFAULT_USER_AGENT "recipe-scraperd/" RSD_VERSION " (+https://github.com/recipe-scraperd)"

/* Room for the table's keys in the loader's per-key arrays (config_keys.c
 * checks at compile time that the table fits). */
#define RSD_CFG_MAX_KEYS 128
#define N_KEYS cfg_n_keys

enum kind_id {
	K_STRING,
	K_BOOL,
	K_ENUM,
	K_UINT,
	K_UINT64,
	K_DURATION,
	K_SIZE,
	K_POW2,
	K_NUMBER,
	K_REGEX,
	K_TOPIC,
	K_URL_LIST,
	K_HOST_LIST,
	K_TOPIC_LIST,
	K_BROKERS,
	K_LISTEN,
};

struct choice {
	const char *name;
	int value;
};

struct key_spec {
	const char *section;
	const char *key;
	enum kind_id kind;
	size_t offset; /* the field in struct rsd_config */
	size_t aux; /* a second field (compiled regex_t) or NO_AUX (0) */
	const char *def; /* default as written in the file; NULL = required */
	/* Range: numbers: min..max; strings: length; lists: minimum item count. */
	uint64_t min, max;
	const struct choice *choices; /* K_ENUM */
	const char *doc;
	const char *doc_default; /* the default as the docs show it, when def would age */
};

/* Which librdkafka clients a section's dotted keys configure. */
enum { TO_PRODUCER = 1, TO_CONSUMER = 2 };

struct section_spec {
	const char *name;
	size_t props; /* offset of the rsd_kv_list of dotted keys, or NO_AUX */
	unsigned to; /* TO_* */
	const char *doc;
};

/* How an indented line after a key is treated. */
enum continuation { CONT_IGNORE, CONT_APPEND, CONT_REJECT };

/* Locations: a line of the main file is its number; a line of an included
 * file carries the file's index (ld->files) above LINE_BITS, so that keys,
 * checks and the sorting of messages know which file a line is in. A file
 * of MAX_FILE_BYTES has fewer lines than 2^LINE_BITS. */
#define LINE_BITS 24
#define LINE_MASK ((1u << LINE_BITS) - 1)
/* include: how deep includes nest, how many files one load reads. */
#define MAX_INCLUDE_DEPTH 8
#define MAX_FILES 64

struct loader {
	const char *name; /* file name in messages: files[file] */
	const char *pos, *end;
	unsigned lineno; /* line last handed to inih */
	struct rsd_config *cfg;
	struct rsd_config_diag found;
	bool oom;

	/* Mirror of inih's lexer state (see the top comment). */
	const struct section_spec *section; /* NULL before the first section */
	bool skip_keys; /* in an unknown or malformed section: already reported */
	bool have_prev_name; /* inih would take an indented line as a continuation */
	bool is_continuation; /* the line being handled is one */

	enum continuation cont;
	const struct key_spec *cont_spec; /* key being continued (CONT_APPEND) */
	const char *cont_key; /* its name, for CONT_REJECT messages */

	unsigned key_line[RSD_CFG_MAX_KEYS]; /* where each key was set, 0 = default */
	bool key_bad[RSD_CFG_MAX_KEYS]; /* a value of the key was reported */

	/* Scratch configurations that validate dotted keys exactly as the
	 * clients will apply them; created on the first dotted key. */
	rd_kafka_conf_t *scratch[2]; /* [0] producer, [1] consumer */

	/* The entry being handled is a secret: its value came from a ${...}
	 * reference or its key is one by name (secret_key_name). Messages
	 * then show "(secret)" where they would quote the value, and the key
	 * stays marked in the configuration (rsd_config_secret). */
	bool value_secret;
	bool key_secret[RSD_CFG_MAX_KEYS];
	char *quoted; /* quoted_key()'s last */

	/* include: every file read (files[0] the main one) and the chain of
	 * files being parsed (by index), to refuse loops. */
	char *files[MAX_FILES];
	char *real[MAX_FILES]; /* realpath() of each, NULL when it has none */
	unsigned n_files;
	unsigned file; /* index of the file being parsed */
	unsigned chain[MAX_INCLUDE_DEPTH + 1];
	unsigned depth;
};

/* Argument of every value parser. */
struct field_ctx {
	struct loader *ld;
	const struct key_spec *spec;
	unsigned line;
	void *field;
	void *aux;
	char *quoted; /* what quoted() last returned, freed with the context */
};

typedef void (*parse_fn)(struct field_ctx *fc, const char *value, bool append);

typedef void (*release_fn)(void *field, void *aux);

struct unit {
	const char *suffix;
	uint64_t factor;
};

struct kind {
	const char *name; /* type name in the docs */
	parse_fn parse;
	release_fn release;
	bool is_list; /* indented lines continue the value */
	const char *expected; /* what a number must look like */
	const struct unit *units; /* suffixes numbers accept */
	size_t width; /* size of a numeric field */
};

extern const struct key_spec cfg_key_specs[];
extern const size_t cfg_n_keys;
extern const struct section_spec cfg_section_specs[];
extern const size_t cfg_n_sections;
extern const struct kind cfg_kinds[];

/* config.c */
/* White space between list items (and commas where lists allow them). */
#define SPACE " \t\r\n\f\v"
#define SPACE_OR_COMMA SPACE ","
/* A problem at line (of the file being parsed, or 0): "FILE:LINE: message". */
__attribute__((format(printf, 3, 4))) void cfg_report(struct loader *ld, unsigned line,
						      const char *fmt, ...);
/* A problem with a value of the key being parsed (marks the key bad). */
__attribute__((format(printf, 2, 3))) void cfg_bad(struct field_ctx *fc, const char *fmt, ...);
void *cfg_oom_check(struct loader *ld, void *p);
/* All of fd (at most about max bytes), NUL-terminated; 0 or -errno. */
int cfg_read_all(int fd, char **text, size_t *len, size_t max);

/* config_refs.c */
/* raw with its ${NAME}, ${credential:NAME} and $$ references expanded
 * (errors reported at line; NULL then); *referenced: it had one. */
char *cfg_expand(struct loader *ld, const char *raw, unsigned line, bool *referenced);

/* config.c, continued */
/* How messages show values. A value that is a secret (ld->value_secret
 * while its entry is parsed, the key's mark in checks across keys) is
 * SECRET_SHOWN, never its text: cfg_shown gives the value or that,
 * cfg_quoted (cfg_quoted_n: its first len bytes) the value in single
 * quotes or that, valid until the next call with fc; cfg_key_shown and
 * cfg_quoted_key the same by the key's mark, valid until the load ends. */
#define SECRET_SHOWN "(secret)"
const char *cfg_shown(const struct field_ctx *fc, const char *v);
const char *cfg_quoted(struct field_ctx *fc, const char *v);
const char *cfg_quoted_n(struct field_ctx *fc, const char *v, size_t len);
const char *cfg_key_shown(struct loader *ld, const char *section, const char *key,
			  const char *value);
const char *cfg_quoted_key(struct loader *ld, const char *section, const char *key,
			   const char *value);
void cfg_strv_free(struct rsd_strv *v);
int cfg_strv_push(struct rsd_strv *v, char *item);
bool cfg_strv_contains(const struct rsd_strv *v, const char *s);
void cfg_lower_ascii(char *s);
const char *cfg_next_item(const char **p, const char *seps, size_t *len);
bool cfg_has_item(const char *list, const char *seps, const char *item);
bool cfg_has_control_char(const char *s);
void cfg_replace_string(char **field, char *value);
unsigned cfg_line_of(const struct loader *ld, const char *section, const char *key);
void cfg_apply_value(struct loader *ld, const struct key_spec *spec, const char *value, bool append,
		     unsigned line);
rd_kafka_conf_t *cfg_scratch_conf(struct loader *ld, unsigned client);

/* config_values.c */
char *cfg_choice_list(const struct choice *c);
void cfg_format_range(const struct key_spec *spec, char *buf, size_t len);
int cfg_url_host(const char *url, char **host, const char **why);

/* config_check.c */
void cfg_apply_defaults(struct loader *ld);
void cfg_check_required(struct loader *ld);
void cfg_check_hosts(struct loader *ld);
void cfg_check_sitemaps(struct loader *ld);
void cfg_check_limits(struct loader *ld);
void cfg_check_kafka(struct loader *ld);
void cfg_check_cluster(struct loader *ld);
void cfg_sort_by_line(struct rsd_config_diag *d);
int cfg_diag_move(struct rsd_config_diag *dst, struct rsd_config_diag *src);

#endif
