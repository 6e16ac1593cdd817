/* SPDX-License-Identifier: MIT */
/* Crawl state: an in-memory table keyed by URL, made durable by an
 * append-only log (state_dir/crawl.log).
 *
 * Why a log: marks arrive one at a time from the producer's delivery reports
 * and must survive kill -9 once rsd_state_sync() returned. Appending a line
 * and fsync'ing in batches is the cheapest crash-safe write; a torn last line
 * (crash mid-append) is detected at replay (no trailing newline) and cut off.
 * The log is compacted (rewritten to a temporary file, fsync'ed, renamed) at
 * open and by rsd_state_sync() once it holds COMPACT_RATIO times more lines
 * than a compacted one would (every fetch appends a line, so a daemon that
 * refreshes its pages would otherwise grow it without bound).
 *
 * Line format (fields separated by one space, strings escaped so they hold
 * no space, newline or backslash):
 *   F <fetched_at> <hash hex> <etag|-> <last_modified|-> <url>   fetched
 *   A <cluster id> <topic> <hash hex> <url>   a record of the copy with
 *                                             this content hash was
 *                                             acknowledged by that cluster
 *                                             and topic
 *   R <cluster id> <topic> <hash hex> <url>   ... was refused by them as
 *                                             too large (given up until
 *                                             the page changes)
 * Versions before scoped marks wrote "D <url>" (delivered, to a cluster
 * nobody recorded). Those lines belong to no known cluster: replay skips
 * them, so such pages are fetched and delivered again once, and the next
 * compaction drops them. Unknown kinds are skipped too, so an older
 * version reading a newer log only loses marks (it re-delivers).
 *
 * Threads: one mutex guards the table and the FILEs; every call takes it.
 * A compaction holds it only to snapshot the table into memory and, at the
 * end, to append what arrived meanwhile and rename: the bulk of the writing
 * and its fsync run unlocked, while appends still go to the old log (which
 * stays complete until the rename) and to a side buffer (the delta). */

#include "crawl/state.h"
#include "core/url.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define LOG_NAME "crawl.log"
#define LOCK_NAME "lock"
#define COMPACT_MIN_LINES 4096
#define COMPACT_RATIO 4

/* A settled mark: acknowledged in scope (or, rejected, refused there as
 * too large), from a copy hashing to hash. */
struct mark {
	uint32_t scope;
	bool rejected;
	uint64_t hash;
};

struct state_entry {
	struct state_entry *next; /* hash chain */
	time_t fetched_at;
	uint64_t content_hash;
	char *etag, *last_modified;
	struct mark *marks; /* usually one; more after runs against other clusters */
	uint32_t n_marks;
	char url[];
};

/* Where marks were acknowledged; cluster NULL: ephemeral (never written). */
struct scope {
	char *cluster;
	char *topic;
};

struct rsd_state {
	pthread_mutex_t lock;
	struct state_entry **buckets;
	size_t n_buckets, n_entries;
	struct scope *scopes;
	uint32_t n_scopes;
	int64_t current; /* index into scopes; -1 = none set */
	char *dir;
	int lock_fd; /* state_dir/lock, flock'ed; -1 in memory */
	FILE *log; /* NULL: in memory only */
	size_t log_lines; /* lines in the file, for the compaction decision */
	bool dirty; /* appended since the last sync */
	FILE *delta; /* while a compaction runs: lines appended since its snapshot */
	char *delta_buf;
	size_t delta_len, delta_lines;
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
	free(e->marks);
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

/* ---- scopes and marks ---- */

static bool same_string(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Index of (cluster, topic), added when new; negative errno. */
static int64_t scope_intern(struct rsd_state *s, const char *cluster, const char *topic)
{
	for (uint32_t i = 0; i < s->n_scopes; i++)
		if (same_string(s->scopes[i].cluster, cluster) &&
		    strcmp(s->scopes[i].topic, topic) == 0)
			return i;
	struct scope *grown = realloc(s->scopes, (s->n_scopes + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	s->scopes = grown;
	struct scope *sc = &s->scopes[s->n_scopes];
	sc->topic = strdup(topic);
	if (dup_or_null(cluster, &sc->cluster) < 0 || !sc->topic) {
		free(sc->cluster);
		free(sc->topic);
		return -ENOMEM;
	}
	return s->n_scopes++;
}

static struct mark *mark_in(const struct state_entry *e, int64_t scope)
{
	for (uint32_t i = 0; scope >= 0 && i < e->n_marks; i++)
		if (e->marks[i].scope == (uint32_t)scope)
			return &e->marks[i];
	return NULL;
}

/* Records (or updates) e's mark in scope; true when it changed. */
static int set_mark(struct state_entry *e, struct mark want, bool *changed)
{
	struct mark *m = mark_in(e, want.scope);
	*changed = !m || m->hash != want.hash || m->rejected != want.rejected;
	if (m) {
		*m = want;
		return 0;
	}
	struct mark *grown = realloc(e->marks, (e->n_marks + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	e->marks = grown;
	e->marks[e->n_marks++] = want;
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
		case ' ':
			fputs("\\s", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		default:
			fputc(*s, f);
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
		*o++ = *p == 's'   ? ' '
		       : *p == 'n' ? '\n'
		       : *p == 'r' ? '\r'
		       : *p == 't' ? '\t'
				   : *p;
	}
	*o = '\0';
	return s;
}

static void write_mark(FILE *f, const struct scope *sc, const struct mark *m, const char *url)
{
	fputs(m->rejected ? "R " : "A ", f);
	put_escaped(f, sc->cluster);
	fputc(' ', f);
	put_escaped(f, sc->topic);
	fprintf(f, " %" PRIx64 " ", m->hash);
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

/* Up to n blank-separated fields after the kind; false when fewer. */
static bool split_fields(char **save, char **f, int n)
{
	for (int i = 0; i < n; i++)
		if (!(f[i] = strtok_r(NULL, " ", save)))
			return false;
	return true;
}

static int replay_mark(struct rsd_state *s, char **save, bool rejected)
{
	char *f[4];
	if (!split_fields(save, f, 4))
		return 0;
	char *cluster = unescape(f[0]), *topic = unescape(f[1]), *url = unescape(f[3]);
	if (!cluster || !topic || !url)
		return 0;
	int64_t scope = scope_intern(s, cluster, topic);
	struct state_entry *e = scope < 0 ? NULL : find_or_add(s, url);
	bool changed;
	struct mark m = { (uint32_t)scope, rejected, strtoull(f[2], NULL, 16) };
	return e ? set_mark(e, m, &changed) : -ENOMEM;
}

static int replay_fetched(struct rsd_state *s, char **save)
{
	char *f[5];
	if (!split_fields(save, f, 5))
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

static int replay_line(struct rsd_state *s, char *line)
{
	char *save = NULL;
	char *kind = strtok_r(line, " ", &save);
	if (!kind)
		return 0;
	if (strcmp(kind, "F") == 0)
		return replay_fetched(s, &save);
	if (strcmp(kind, "A") == 0 || strcmp(kind, "R") == 0)
		return replay_mark(s, &save, kind[0] == 'R');
	/* "D <url>" (unscoped, see the top) and kinds of newer versions. */
	return 0;
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

/* ---- compaction ---- */

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

/* The lines a compacted log holds for e; returns how many. */
static size_t write_entry(FILE *f, const struct rsd_state *s, const struct state_entry *e)
{
	size_t lines = 0;
	if (e->fetched_at) {
		write_fetched(f, e->url, e->fetched_at, e->etag, e->last_modified, e->content_hash);
		lines++;
	}
	for (uint32_t i = 0; i < e->n_marks; i++) {
		const struct scope *sc = &s->scopes[e->marks[i].scope];
		if (sc->cluster) { /* ephemeral marks never reach the file */
			write_mark(f, sc, &e->marks[i], e->url);
			lines++;
		}
	}
	return lines;
}

static bool compaction_due(const struct rsd_state *s)
{
	return s->log && !s->delta && s->log_lines > COMPACT_MIN_LINES &&
	       s->log_lines > COMPACT_RATIO * s->n_entries;
}

/* Locked: the table as log lines in memory, and the delta opened so that
 * appends from now on are kept for the new file too. */
static int snapshot_locked(struct rsd_state *s, char **buf, size_t *len, size_t *lines)
{
	*lines = 0;
	FILE *m = open_memstream(buf, len);
	if (!m)
		return -errno;
	for (size_t i = 0; i < s->n_buckets; i++)
		for (struct state_entry *e = s->buckets[i]; e; e = e->next)
			*lines += write_entry(m, s, e);
	if (fclose(m) != 0)
		return -ENOMEM;
	s->delta_lines = 0;
	s->delta = open_memstream(&s->delta_buf, &s->delta_len);
	return s->delta ? 0 : -errno;
}

static int flush_and_sync(FILE *f)
{
	return fflush(f) != 0 || fdatasync(fileno(f)) != 0 ? -errno : 0;
}

/* Locked: the delta goes to the new file, which replaces the log (and
 * *tmp becomes the log: NULL from then on). The old log had every line
 * too, so any failure before the rename loses nothing. */
static int finish_locked(struct rsd_state *s, FILE **tmp, const char *tmp_path, const char *path)
{
	int rc = fflush(s->delta) != 0 ? -ENOMEM : 0;
	if (rc == 0 && s->delta_len && fwrite(s->delta_buf, 1, s->delta_len, *tmp) != s->delta_len)
		rc = -EIO;
	if (rc == 0)
		rc = flush_and_sync(*tmp);
	if (rc == 0 && rename(tmp_path, path) < 0)
		rc = -errno;
	if (rc < 0)
		return rc;
	fclose(s->log);
	s->log = *tmp; /* positioned at its end: the next append goes there */
	*tmp = NULL;
	s->dirty = false;
	return fsync_dir(s->dir);
}

static void drop_delta_locked(struct rsd_state *s)
{
	if (s->delta)
		fclose(s->delta);
	free(s->delta_buf);
	s->delta = NULL;
	s->delta_buf = NULL;
	s->delta_len = 0;
}

/* Rewrites the log with only the live lines (see the top for the locking). */
static int compact(struct rsd_state *s)
{
	char *path = NULL, *tmp_path = NULL, *buf = NULL;
	size_t len = 0, lines = 0;
	FILE *tmp = NULL;
	if (asprintf(&path, "%s/" LOG_NAME, s->dir) < 0 ||
	    asprintf(&tmp_path, "%s.tmp", path) < 0) {
		free(path);
		return -ENOMEM;
	}
	pthread_mutex_lock(&s->lock);
	int rc = snapshot_locked(s, &buf, &len, &lines);
	pthread_mutex_unlock(&s->lock);
	if (rc == 0 && !(tmp = fopen(tmp_path, "we")))
		rc = -errno;
	if (rc == 0 && len && fwrite(buf, 1, len, tmp) != len)
		rc = -EIO;
	if (rc == 0)
		rc = flush_and_sync(tmp); /* the bulk, unlocked */
	bool written = rc == 0;
	pthread_mutex_lock(&s->lock);
	if (written)
		rc = finish_locked(s, &tmp, tmp_path, path);
	if (written && !tmp) { /* renamed into place (a failed directory fsync aside) */
		s->log_lines = lines + s->delta_lines;
	} else {
		if (tmp)
			fclose(tmp);
		unlink(tmp_path);
	}
	drop_delta_locked(s);
	pthread_mutex_unlock(&s->lock);
	free(buf);
	free(tmp_path);
	free(path);
	return rc;
}

/* ---- open and close ---- */

/* The exclusive lock: a second daemon (or `state forget`) on the same
 * directory would compact (rename) the log under the first one, whose
 * later marks would then be lost. flock dies with the process, kill -9
 * included, so a stale lock file is never a problem. */
static int take_lock(struct rsd_state *s)
{
	char *path;
	if (asprintf(&path, "%s/" LOCK_NAME, s->dir) < 0)
		return -ENOMEM;
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	free(path);
	if (s->lock_fd < 0)
		return -errno;
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(s->lock_fd, 0) < 0 || pwrite(s->lock_fd, pid, (size_t)n, 0) != n)
		return -errno;
	return 0;
}

pid_t rsd_state_lock_holder(const char *dir)
{
	char *path, buf[32] = "";
	if (asprintf(&path, "%s/" LOCK_NAME, dir) < 0)
		return 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return 0;
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	close(fd);
	/* Empty between the holder's open and its write: unknown. */
	return n > 0 ? (pid_t)strtol(buf, NULL, 10) : 0;
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
	if (rc == 0 && !(s->log = fopen(path, "ae")))
		rc = -errno;
	if (rc == 0 && compaction_due(s))
		rc = compact(s);
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
	s->current = -1;
	s->lock_fd = -1;
	int rc = grow(s);
	if (rc == 0 && dir) {
		s->dir = strdup(dir);
		rc = s->dir ? take_lock(s) : -ENOMEM;
		if (rc == 0)
			rc = open_log(s);
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
	int rc = flush_and_sync(s->log);
	if (rc == 0)
		s->dirty = false;
	return rc;
}

static void free_entries(struct rsd_state *s)
{
	for (size_t i = 0; i < s->n_buckets; i++) {
		for (struct state_entry *e = s->buckets[i], *next; e; e = next) {
			next = e->next;
			entry_free(e);
		}
	}
	free(s->buckets);
	for (uint32_t i = 0; i < s->n_scopes; i++) {
		free(s->scopes[i].cluster);
		free(s->scopes[i].topic);
	}
	free(s->scopes);
}

void rsd_state_close(struct rsd_state *s)
{
	if (!s)
		return;
	if (s->log) {
		sync_locked(s);
		fclose(s->log);
	}
	if (s->lock_fd >= 0)
		close(s->lock_fd); /* releases the lock */
	free_entries(s);
	free(s->dir);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* ---- updates ---- */

/* A write error is remembered by stdio and reported by the next sync. */
static void appended(struct rsd_state *s)
{
	s->dirty = true;
	s->log_lines++;
	s->delta_lines += s->delta != NULL;
}

int rsd_state_set_scope(struct rsd_state *s, const char *cluster_id, const char *topic)
{
	if (!topic)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	int64_t scope = scope_intern(s, cluster_id, topic);
	if (scope >= 0)
		s->current = scope;
	pthread_mutex_unlock(&s->lock);
	return scope < 0 ? (int)scope : 0;
}

static int mark(struct rsd_state *s, const char *url, uint64_t content_hash, bool rejected)
{
	pthread_mutex_lock(&s->lock);
	int rc = -ENOTCONN;
	bool changed = false;
	struct state_entry *e = s->current < 0 ? NULL : find_or_add(s, url);
	struct mark m = { (uint32_t)s->current, rejected, content_hash };
	if (s->current >= 0)
		rc = e ? set_mark(e, m, &changed) : -ENOMEM;
	const struct scope *sc = s->current < 0 ? NULL : &s->scopes[s->current];
	if (rc == 0 && changed && s->log && sc->cluster) {
		FILE *sinks[] = { s->log, s->delta };
		for (size_t i = 0; i < 2 && sinks[i]; i++)
			write_mark(sinks[i], sc, &m, url);
		appended(s);
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int rsd_state_mark_delivered(struct rsd_state *s, const char *url, uint64_t content_hash)
{
	return mark(s, url, content_hash, false);
}

int rsd_state_mark_rejected(struct rsd_state *s, const char *url, uint64_t content_hash)
{
	return mark(s, url, content_hash, true);
}

int rsd_state_set_fetched(struct rsd_state *s, const char *url, time_t when, const char *etag,
			  const char *last_modified, uint64_t content_hash)
{
	pthread_mutex_lock(&s->lock);
	struct state_entry *e = find_or_add(s, url);
	int rc = e ? apply_fetched(e, when, etag, last_modified, content_hash) : -ENOMEM;
	if (rc == 0 && s->log) {
		FILE *sinks[] = { s->log, s->delta };
		for (size_t i = 0; i < 2 && sinks[i]; i++)
			write_fetched(sinks[i], url, when, etag, last_modified, content_hash);
		appended(s);
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* ---- queries ---- */

int rsd_state_lookup(struct rsd_state *s, const char *url, struct rsd_page_meta *meta)
{
	*meta = (struct rsd_page_meta){ 0 };
	pthread_mutex_lock(&s->lock);
	struct state_entry *e = find(s, url);
	int rc = e ? 0 : -ENOENT;
	if (e) {
		const struct mark *m = mark_in(e, s->current);
		meta->fetched_at = e->fetched_at;
		meta->content_hash = e->content_hash;
		meta->delivered = m != NULL;
		meta->rejected = m && m->rejected;
		meta->delivered_hash = m ? m->hash : 0;
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

bool rsd_state_is_delivered(struct rsd_state *s, const char *url, time_t not_before)
{
	pthread_mutex_lock(&s->lock);
	struct state_entry *e = find(s, url);
	bool d = e && mark_in(e, s->current) && e->fetched_at >= not_before;
	pthread_mutex_unlock(&s->lock);
	return d;
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

ssize_t rsd_state_due(struct rsd_state *s, time_t not_before, size_t max, char ***urls)
{
	size_t n = 0, cap = 0;
	char **v = NULL;
	int rc = 0;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; rc == 0 && i < s->n_buckets; i++) {
		for (struct state_entry *e = s->buckets[i]; rc == 0 && e && n < max; e = e->next) {
			if (!mark_in(e, s->current) || e->fetched_at >= not_before)
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				char **grown = realloc(v, cap * sizeof(*v));
				rc = grown ? 0 : -ENOMEM;
				v = grown ? grown : v;
			}
			if (rc == 0 && !(v[n++] = strdup(e->url)))
				rc = -ENOMEM;
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (rc < 0) {
		free_strings(v, n);
		return rc;
	}
	*urls = v;
	return (ssize_t)n;
}

/* Unlinks (or with dry_run only counts) the matching entries of one chain. */
static size_t forget_chain(struct state_entry **link, rsd_state_match_fn *match,
			   rsd_state_each_fn *each, void *ctx, bool dry_run)
{
	size_t n = 0;
	while (*link) {
		struct state_entry *e = *link;
		if (!match(ctx, e->url)) {
			link = &e->next;
			continue;
		}
		n++;
		if (each)
			each(ctx, e->url);
		if (dry_run) {
			link = &e->next;
			continue;
		}
		*link = e->next;
		entry_free(e);
	}
	return n;
}

ssize_t rsd_state_forget(struct rsd_state *s, rsd_state_match_fn *match, rsd_state_each_fn *each,
			 void *ctx, bool dry_run)
{
	size_t n = 0;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n_buckets; i++)
		n += forget_chain(&s->buckets[i], match, each, ctx, dry_run);
	if (!dry_run)
		s->n_entries -= n;
	pthread_mutex_unlock(&s->lock);
	/* The log still holds the forgotten lines: rewrite it without them. */
	int rc = !dry_run && n && s->log ? compact(s) : 0;
	return rc < 0 ? rc : (ssize_t)n;
}

int rsd_state_sync(struct rsd_state *s)
{
	pthread_mutex_lock(&s->lock);
	int rc = sync_locked(s);
	bool due = rc == 0 && compaction_due(s);
	pthread_mutex_unlock(&s->lock);
	return due ? compact(s) : rc;
}

/* ---- delivery callbacks (core/delivery.h) ---- */

static int marks_set_scope(void *ctx, const char *cluster_id, const char *topic)
{
	return rsd_state_set_scope(ctx, cluster_id, topic);
}

static int marks_delivered(void *ctx, const char *url, uint64_t content_hash)
{
	return rsd_state_mark_delivered(ctx, url, content_hash);
}

static int marks_rejected(void *ctx, const char *url, uint64_t content_hash)
{
	return rsd_state_mark_rejected(ctx, url, content_hash);
}

struct rsd_delivery_marks rsd_state_delivery_marks(struct rsd_state *s)
{
	return (struct rsd_delivery_marks){
		.ctx = s,
		.set_scope = marks_set_scope,
		.delivered = marks_delivered,
		.rejected = marks_rejected,
	};
}
