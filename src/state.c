/* SPDX-License-Identifier: MIT */
/* Crawl state: an in-memory table keyed by URL, made durable by an
 * append-only log (state_dir/crawl.log).
 *
 * Why a log: marks arrive one at a time from the producer's delivery reports
 * and must survive kill -9 once rsd_state_sync() returned. Appending a line
 * and fsync'ing in batches is the cheapest crash-safe write; a torn last line
 * (crash mid-append) is detected at replay (no trailing newline) and cut off.
 * The log is compacted (rewritten to a temporary file, fsync'ed, renamed) at
 * open when it holds many superseded lines.
 *
 * Line format (fields separated by one space, strings escaped so they hold
 * no space, newline or backslash):
 *   D <url>                                   record delivered
 *   F <fetched_at> <hash hex> <etag|-> <last_modified|-> <url>   fetched
 *
 * Threads: one mutex guards the table and the FILE; every call takes it. */

#include "state.h"
#include "url.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_NAME "crawl.log"
#define COMPACT_MIN_LINES 4096

struct state_entry {
	struct state_entry *next; /* hash chain */
	time_t fetched_at;
	uint64_t content_hash;
	char *etag, *last_modified;
	bool delivered;
	char url[];
};

struct rsd_state {
	pthread_mutex_t lock;
	struct state_entry **buckets;
	size_t n_buckets, n_entries;
	char *dir;
	FILE *log;       /* NULL: in memory only */
	size_t log_lines; /* lines in the file, for the compaction decision */
	bool dirty;      /* appended since the last sync */
};

/* ---- table ---- */

static struct state_entry **bucket_of(struct rsd_state *s, const char *url)
{
	return &s->buckets[rsd_url_hash(url, strlen(url)) & (s->n_buckets - 1)];
}

static struct state_entry *find(struct rsd_state *s, const char *url)
{
	for (struct state_entry *e = *bucket_of(s, url); e; e = e->next)
		if (strcmp(e->url, url) == 0)
			return e;
	return NULL;
}

static int grow(struct rsd_state *s)
{
	size_t n = s->n_buckets ? 2 * s->n_buckets : 1024;
	struct state_entry **b = calloc(n, sizeof(*b));
	if (!b)
		return -ENOMEM;
	struct state_entry **old = s->buckets;
	size_t old_n = s->n_buckets;
	s->buckets = b;
	s->n_buckets = n;
	for (size_t i = 0; i < old_n; i++) {
		for (struct state_entry *e = old[i], *next; e; e = next) {
			next = e->next;
			struct state_entry **head = bucket_of(s, e->url);
			e->next = *head;
			*head = e;
		}
	}
	free(old);
	return 0;
}

static struct state_entry *find_or_add(struct rsd_state *s, const char *url)
{
	struct state_entry *e = find(s, url);
	if (e)
		return e;
	if (s->n_entries >= s->n_buckets && grow(s) < 0)
		return NULL;
	size_t len = strlen(url);
	e = calloc(1, sizeof(*e) + len + 1);
	if (!e)
		return NULL;
	memcpy(e->url, url, len + 1);
	struct state_entry **head = bucket_of(s, url);
	e->next = *head;
	*head = e;
	s->n_entries++;
	return e;
}

static void entry_free(struct state_entry *e)
{
	free(e->etag);
	free(e->last_modified);
	free(e);
}

static int dup_or_null(const char *in, char **out)
{
	*out = NULL;
	if (in && !(*out = strdup(in)))
		return -ENOMEM;
	return 0;
}

static int apply_fetched(struct state_entry *e, time_t when, const char *etag,
			 const char *last_modified, uint64_t hash)
{
	char *et, *lm;
	if (dup_or_null(etag, &et) < 0)
		return -ENOMEM;
	if (dup_or_null(last_modified, &lm) < 0) {
		free(et);
		return -ENOMEM;
	}
	free(e->etag);
	free(e->last_modified);
	e->etag = et;
	e->last_modified = lm;
	e->fetched_at = when;
	e->content_hash = hash;
	return 0;
}

/* ---- escaping: one token per field ---- */

static void put_escaped(FILE *f, const char *s)
{
	if (!s || !*s) {
		fputc('-', f);
		return;
	}
	if (s[0] == '-' && s[1] == '\0') {
		fputs("\\-", f); /* a literal "-" must not read back as "absent" */
		return;
	}
	for (; *s; s++) {
		switch (*s) {
		case ' ': fputs("\\s", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		case '\\': fputs("\\\\", f); break;
		default: fputc(*s, f);
		}
	}
}

/* Unescapes in place; returns NULL for the "-" placeholder. */
static char *unescape(char *s)
{
	if (strcmp(s, "-") == 0)
		return NULL;
	char *o = s;
	for (char *p = s; *p; p++) {
		if (*p != '\\' || !p[1]) {
			*o++ = *p;
			continue;
		}
		p++;
		*o++ = *p == 's' ? ' ' : *p == 'n' ? '\n' : *p == 'r' ? '\r' : *p == 't' ? '\t' : *p;
	}
	*o = '\0';
	return s;
}

static void write_delivered(FILE *f, const char *url)
{
	fputs("D ", f);
	put_escaped(f, url);
	fputc('\n', f);
}

static void write_fetched(FILE *f, const char *url, time_t when, const char *etag,
			  const char *last_modified, uint64_t hash)
{
	fprintf(f, "F %lld %" PRIx64 " ", (long long)when, hash);
	put_escaped(f, etag);
	fputc(' ', f);
	put_escaped(f, last_modified);
	fputc(' ', f);
	put_escaped(f, url);
	fputc('\n', f);
}

/* ---- replay ---- */

static int replay_line(struct rsd_state *s, char *line)
{
	char *save = NULL;
	char *kind = strtok_r(line, " ", &save);
	if (!kind)
		return 0;
	if (strcmp(kind, "D") == 0) {
		char *url = strtok_r(NULL, " ", &save);
		if (!url || !(url = unescape(url)))
			return 0;
		struct state_entry *e = find_or_add(s, url);
		if (!e)
			return -ENOMEM;
		e->delivered = true;
		return 0;
	}
	if (strcmp(kind, "F") != 0)
		return 0; /* unknown kinds are skipped: newer versions may add some */
	char *f[5];
	for (int i = 0; i < 5; i++)
		if (!(f[i] = strtok_r(NULL, " ", &save)))
			return 0;
	char *url = unescape(f[4]);
	if (!url)
		return 0;
	struct state_entry *e = find_or_add(s, url);
	if (!e)
		return -ENOMEM;
	return apply_fetched(e, (time_t)strtoll(f[0], NULL, 10), unescape(f[2]), unescape(f[3]),
			     strtoull(f[1], NULL, 16));
}

/* Replays every complete line; returns the offset just past the last one so
 * a torn tail can be truncated before appending. */
static int replay(struct rsd_state *s, FILE *f, off_t *good_end)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;
	*good_end = 0;
	while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] != '\n')
			break; /* torn by a crash mid-append */
		line[n - 1] = '\0';
		rc = replay_line(s, line);
		*good_end += n;
		s->log_lines++;
	}
	free(line);
	return rc;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

static void write_entry(FILE *f, const struct state_entry *e)
{
	if (e->fetched_at)
		write_fetched(f, e->url, e->fetched_at, e->etag, e->last_modified, e->content_hash);
	if (e->delivered)
		write_delivered(f, e->url);
}

/* Rewrites the log with one or two lines per entry: crash-safe because the
 * new file is complete and fsync'ed before the rename replaces the old one. */
static int compact(struct rsd_state *s, const char *path)
{
	char *tmp;
	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	int rc = 0;
	FILE *f = fopen(tmp, "we");
	if (!f) {
		rc = -errno;
		goto out;
	}
	size_t lines = 0;
	for (size_t i = 0; i < s->n_buckets; i++)
		for (struct state_entry *e = s->buckets[i]; e; e = e->next, lines += 2)
			write_entry(f, e);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		rc = -errno;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc == 0) {
		rc = fsync_dir(s->dir);
		s->log_lines = lines;
	} else {
		unlink(tmp);
	}
out:
	free(tmp);
	return rc;
}

static int open_log(struct rsd_state *s)
{
	char *path;
	if (asprintf(&path, "%s/" LOG_NAME, s->dir) < 0)
		return -ENOMEM;
	int rc = 0;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r+");
	if (!f) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		goto out;
	}
	off_t good_end;
	rc = replay(s, f, &good_end);
	if (rc == 0 && ftruncate(fd, good_end) < 0)
		rc = -errno;
	fclose(f);
	if (rc == 0 && s->log_lines > COMPACT_MIN_LINES && s->log_lines > 4 * s->n_entries)
		rc = compact(s, path);
	if (rc == 0 && !(s->log = fopen(path, "ae")))
		rc = -errno;
out:
	free(path);
	return rc;
}

int rsd_state_open(const char *dir, struct rsd_state **out)
{
	*out = NULL;
	struct rsd_state *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	int rc = grow(s);
	if (rc == 0 && dir) {
		s->dir = strdup(dir);
		rc = s->dir ? open_log(s) : -ENOMEM;
	}
	if (rc < 0) {
		rsd_state_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

static int sync_locked(struct rsd_state *s)
{
	if (!s->log || !s->dirty)
		return 0;
	if (fflush(s->log) != 0 || fdatasync(fileno(s->log)) != 0)
		return -errno;
	s->dirty = false;
	return 0;
}

void rsd_state_close(struct rsd_state *s)
{
	if (!s)
		return;
	if (s->log) {
		sync_locked(s);
		fclose(s->log);
	}
	for (size_t i = 0; i < s->n_buckets; i++) {
		for (struct state_entry *e = s->buckets[i], *next; e; e = next) {
			next = e->next;
			entry_free(e);
		}
	}
	free(s->buckets);
	free(s->dir);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* A write error is remembered by stdio and reported by the next sync. */
static void appended(struct rsd_state *s)
{
	s->dirty = true;
	s->log_lines++;
}

int rsd_state_mark_delivered(struct rsd_state *s, const char *url)
{
	pthread_mutex_lock(&s->lock);
	struct state_entry *e = find_or_add(s, url);
	int rc = e ? 0 : -ENOMEM;
	if (e && !e->delivered) {
		e->delivered = true;
		if (s->log) {
			write_delivered(s->log, url);
			appended(s);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int rsd_state_set_fetched(struct rsd_state *s, const char *url, time_t when, const char *etag,
			  const char *last_modified, uint64_t content_hash)
{
	pthread_mutex_lock(&s->lock);
	struct state_entry *e = find_or_add(s, url);
	int rc = e ? apply_fetched(e, when, etag, last_modified, content_hash) : -ENOMEM;
	if (rc == 0 && s->log) {
		write_fetched(s->log, url, when, etag, last_modified, content_hash);
		appended(s);
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int rsd_state_lookup(struct rsd_state *s, const char *url, struct rsd_page_meta *meta)
{
	*meta = (struct rsd_page_meta){ 0 };
	pthread_mutex_lock(&s->lock);
	struct state_entry *e = find(s, url);
	int rc = e ? 0 : -ENOENT;
	if (e) {
		meta->fetched_at = e->fetched_at;
		meta->content_hash = e->content_hash;
		meta->delivered = e->delivered;
		if (dup_or_null(e->etag, &meta->etag) < 0 ||
		    dup_or_null(e->last_modified, &meta->last_modified) < 0) {
			rsd_page_meta_clear(meta);
			rc = -ENOMEM;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void rsd_page_meta_clear(struct rsd_page_meta *meta)
{
	free(meta->etag);
	free(meta->last_modified);
	*meta = (struct rsd_page_meta){ 0 };
}

bool rsd_state_is_delivered(struct rsd_state *s, const char *url)
{
	pthread_mutex_lock(&s->lock);
	struct state_entry *e = find(s, url);
	bool d = e && e->delivered;
	pthread_mutex_unlock(&s->lock);
	return d;
}

int rsd_state_sync(struct rsd_state *s)
{
	pthread_mutex_lock(&s->lock);
	int rc = sync_locked(s);
	pthread_mutex_unlock(&s->lock);
	return rc;
}
