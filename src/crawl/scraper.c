/* SPDX-License-Identifier: MIT */
/* The scraper pool.
 *
 * Threads: cfg->threads workers. Each owns a curl multi handle (up to
 * ceil(max_connections / threads) transfers in flight) and an extractor;
 * the frontier is the only shared structure (its own mutex). A worker loop:
 * take every job the frontier has ready, drive the transfers, handle the
 * finished ones, then block in curl_multi_poll until a socket is ready, the
 * frontier's next ready-time comes, or another thread calls
 * curl_multi_wakeup (the frontier does, through wake_worker, when work
 * appears; rsd_scraper_stop does). No worker ever sleeps on a timer.
 *
 * Records: built from the extractor's cJSON by rsd_record_new; ownership
 * passes to the ring when rsd_ring_mp_enqueue_wait returns 0. That call
 * blocks while the ring is full (backpressure: the worker's other
 * transfers wait too, which is the point). -EPIPE means the ring was
 * closed at shutdown: the record is freed here and, never delivered, its
 * URL is fetched again by the next run.
 *
 * Delivered pages (crawl state, in the current cluster and topic) are not
 * fetched again until their copy is refresh_interval_s old, recipe pages
 * included, although with follow_from_recipes = on they are also a source
 * of links: a restart then re-fetches exactly the pages whose records were
 * not delivered plus the hub pages (category pages, which never have a
 * record), through which recipes are reached. The cost (with
 * follow_from_recipes = on): a recipe linked only from an already
 * delivered recipe is not found after a restart. A refresh (the frontier
 * admits due pages at start and each round) is a conditional GET with the
 * delivered copy's validators: 304, or a body with the delivered copy's
 * content hash, gives no record; a changed page a new one. Recrawl rounds (daemon
 * mode, every recrawl_interval_s) revisit the start URLs with a
 * conditional GET (If-None-Match / If-Modified-Since from the crawl
 * state): an unchanged hub (304, or for a server without validators a
 * body with the content hash of this run's last copy) has unchanged links,
 * so nothing below it is fetched again, and a changed one leads to its new
 * recipes. The same holds for sitemaps, which are revisited too, and for
 * recipe pages whose record is still on its way to Kafka: unchanged
 * content is never produced twice by one run.
 *
 * Finish: a job ends (rsd_frontier_done) only after its record is in the
 * ring, so "frontier finished" implies every record was handed over. */

#include "crawl/scraper.h"
#include "core/util.h"
#include "crawl/host_stats.h"
#include "crawl/fetch.h"
#include "crawl/frontier.h"
#include "core/record.h"
#include "crawl/robots.h"
#include "core/url.h"
#include "extract/extract.h"

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

/* curl_multi_poll returns at least this often so `progress` moves while
 * idle (the daemon's watchdog reads it); 1 wake-up a second is free. */
#define MAX_POLL_MS 1000

struct worker {
	struct rsd_scraper *s;
	unsigned id;
	pthread_t thread;
	CURLM *multi;
	rsd_extractor *x;
	unsigned running; /* transfers in this worker's multi */
};

/* Which page produced the record of each canonical recipe this run:
 * print views (?print=1, /amp/), tracking-parameter twins and the like
 * declare the same <link rel=canonical>, and the same recipe must not be
 * published once per URL. Open addressing over 64-bit hashes of the
 * canonical URL and of the claiming page's URL (a revisit of the claiming
 * page keeps its claim). */
struct recipe_claim {
	uint64_t canonical; /* 0 = empty slot */
	uint64_t page;
};

struct recipe_claims {
	pthread_mutex_t lock;
	struct recipe_claim *slots;
	size_t n_slots, used; /* n_slots is a power of two */
};

struct rsd_scraper {
	const struct rsd_config *cfg;
	rsd_ring *ring;
	struct rsd_state *state;
	int wake_fd;
	struct rsd_frontier *frontier;
	struct worker *workers;
	unsigned n_workers, started_workers;
	unsigned per_worker_max;
	char *agent_token; /* robots.txt product token */
	rsd_scraper_failure_fn *on_failure;
	void *failure_ctx;
	struct rsd_host_stats *hosts; /* per-host counts, or NULL */
	rsd_refusal_fn *on_refusal;
	void *refusal_ctx;
	atomic_bool finish_notified;
	bool joined;
	time_t started_at; /* wall clock: crawl state entries older than this are another run's */
	struct recipe_claims claims;
	struct rsd_scraper_stats stats;
};

/* One transfer: the job (owned until the frontier ends it) and its fetch. */
struct transfer {
	struct rsd_job job;
	struct rsd_fetch *fetch;
};

static void bump(atomic_uint_fast64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* Counts a page refused or skipped here (not in the frontier) and tells
 * the refusal callback. */
static void refuse_page(struct rsd_scraper *s, enum rsd_cause cause, const char *url,
			const char *detail)
{
	rsd_scraper_stats_count(&s->stats, cause);
	if (!s->on_refusal)
		return;
	char *host = NULL;
	(void)rsd_url_host(url, &host); /* NULL on failure */
	s->on_refusal(s->refusal_ctx, &(struct rsd_refusal){ .cause = cause,
							     .host = host ? host : "",
							     .url = url,
							     .detail = detail });
	free(host);
}

/* Frontier callback (maybe with its lock held): the pool's callback,
 * which may be set after the frontier was made. */
static void relay_refusal(void *ctx, const struct rsd_refusal *r)
{
	struct rsd_scraper *s = ctx;
	if (s->on_refusal)
		s->on_refusal(s->refusal_ctx, r);
}

/* ---- finishing ---- */

static void notify_finished(struct rsd_scraper *s)
{
	if (atomic_exchange(&s->finish_notified, true) || s->wake_fd < 0)
		return;
	rsd_eventfd_signal(s->wake_fd);
}

/* ---- pages ---- */

/* A stable (unkeyed) content hash, persisted in the crawl state next to
 * the validators: change detection for servers that send none. FNV-1a's
 * multiply over little-endian 8-byte words (the same value on every
 * machine, so a state_dir can move) in four independent lanes: pages are
 * hundreds of KB, and one serial chain of multiplies was 5 % of a scraper
 * thread (perf), the byte loop before it 19 %. The xor-shift mixes the
 * high bits of each product back down. Not for adversarial inputs. */
static uint64_t content_mix(uint64_t h, uint64_t word)
{
	h = (h ^ word) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

static uint64_t content_word(const char *p)
{
	uint64_t word;
	memcpy(&word, p, sizeof word);
	return le64toh(word);
}

static uint64_t content_hash(const char *p, size_t n)
{
	uint64_t lane[4] = { 0xcbf29ce484222325ULL ^ n, 0x84222325cbf29ce4ULL,
			     0x9e3779b97f4a7c15ULL, 0xc2b2ae3d27d4eb4fULL };
	size_t i = 0;
	for (; i + 32 <= n; i += 32)
		for (size_t k = 0; k < 4; k++)
			lane[k] = content_mix(lane[k], content_word(p + i + 8 * k));
	uint64_t h = lane[0];
	for (size_t k = 1; k < 4; k++)
		h = content_mix(h, lane[k]);
	for (; i + 8 <= n; i += 8)
		h = content_mix(h, content_word(p + i));
	for (; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	return h;
}

/* The claims table is keyed by URLs that pages choose: the keyed SipHash
 * the frontier and the crawl state use keeps crafted collisions out. */
static uint64_t hash_string(const char *s)
{
	uint64_t h = rsd_url_hash(s, strlen(s));
	return h ? h : 1; /* 0 marks an empty slot */
}

static struct recipe_claim *claim_slot(struct recipe_claim *slots, size_t n, uint64_t canonical)
{
	for (size_t i = canonical & (n - 1);; i = (i + 1) & (n - 1))
		if (slots[i].canonical == canonical || slots[i].canonical == 0)
			return &slots[i];
}

static int claims_grow(struct recipe_claims *c)
{
	size_t n = c->n_slots ? 2 * c->n_slots : 1024;
	struct recipe_claim *slots = calloc(n, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_slots; i++)
		if (c->slots[i].canonical)
			*claim_slot(slots, n, c->slots[i].canonical) = c->slots[i];
	free(c->slots);
	c->slots = slots;
	c->n_slots = n;
	return 0;
}

/* True when page may publish the recipe whose canonical URL is canonical:
 * nobody has, or this very page did. On ENOMEM it says yes (a duplicate
 * record is better than a lost one). */
static bool claim_recipe(struct recipe_claims *c, const char *canonical, const char *page)
{
	uint64_t key = hash_string(canonical), who = hash_string(page);
	bool mine = true;
	pthread_mutex_lock(&c->lock);
	if (2 * (c->used + 1) > c->n_slots && claims_grow(c) < 0) {
		pthread_mutex_unlock(&c->lock);
		return true;
	}
	struct recipe_claim *slot = claim_slot(c->slots, c->n_slots, key);
	if (slot->canonical == 0) {
		*slot = (struct recipe_claim){ key, who };
		c->used++;
	} else {
		mine = slot->page == who;
	}
	pthread_mutex_unlock(&c->lock);
	return mine;
}

static bool duplicate_of_claimed_recipe(struct rsd_scraper *s, const char *url, const cJSON *rec)
{
	const char *canonical = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(rec, "canonical_url"));
	return !claim_recipe(&s->claims, canonical ? canonical : url, url);
}

/* With raw_topic the record takes the fetch's body (the page is not used
 * after this): no copy of it. The job's ticket (cluster mode) goes with
 * the record: the page is settled when Kafka has its record, not when the
 * fetch ends. */
static void hand_over_record(struct rsd_scraper *s, struct rsd_job *job, cJSON *rec,
			     struct rsd_fetch *f, uint64_t hash)
{
	const char *url = job->url;
	struct rsd_record *r = rsd_record_new(url, rec, NULL, 0);
	if (!r) {
		bump(&s->stats.pages_failed);
		return;
	}
	if (s->cfg->raw_topic && f->body) {
		size_t len, cap;
		char *raw = rsd_fetch_take_body(f, &len, &cap);
		rsd_record_adopt_raw(r, raw, len, cap);
	}
	r->content_hash = hash;
	/* Ownership of r passes to the ring on 0 only. Waits while the ring's
	 * byte budget ([ring] max_bytes) is used up; the producer releases the
	 * charge when it frees r. */
	r->ring_bytes = rsd_record_bytes(r, rsd_config_raw_compressed(s->cfg));
	r->ticket = job->ticket;
	job->ticket = 0;
	if (rsd_ring_mp_enqueue_wait_bytes(s->ring, r, r->ring_bytes) == 0) {
		bump(&s->stats.records);
		return;
	}
	/* Ring closed (stop): never delivered, so the page is not settled. */
	rsd_frontier_settle(s->frontier, r->ticket, RSD_ABANDONED);
	rsd_record_free(r);
}

static uint64_t body_hash(const struct rsd_fetch *f)
{
	return content_hash(f->body ? f->body : "", f->len);
}

/* Records a 2xx in the crawl state. Returns true when the body hashes like
 * a copy already dealt with: a server without validators answered our
 * conditional GET with the same content, which then counts as a 304. Such
 * a copy is the one this run processed on a revisit (its record was
 * produced already, its links are the same), or the one whose record was
 * delivered in the current scope (a refresh of an unchanged page). A copy
 * an earlier run merely fetched does not count: its record may never have
 * been delivered. */
static bool fetched_unchanged(struct rsd_scraper *s, const struct transfer *t,
			      const struct rsd_fetch_result *res, uint64_t hash)
{
	if (!s->state)
		return false;
	bool same = false;
	struct rsd_page_meta m;
	if (rsd_state_lookup(s->state, t->job.url, &m) == 0) {
		same = (t->job.revisit && m.fetched_at >= s->started_at &&
			m.content_hash == hash) ||
		       (m.delivered && m.delivered_hash == hash);
		rsd_page_meta_clear(&m);
	}
	rsd_state_set_fetched(s->state, t->job.url, time(NULL), res->etag, res->last_modified,
			      hash);
	return same;
}

static void process_page(struct worker *w, struct transfer *t, const struct rsd_fetch_result *res)
{
	struct rsd_scraper *s = w->s;
	struct rsd_fetch *f = t->fetch;
	const char *body = f->body ? f->body : "";
	uint64_t hash = body_hash(f); /* once: the state and the record keep it */
	if (fetched_unchanged(s, t, res, hash)) {
		refuse_page(s, RSD_CAUSE_UNCHANGED, t->job.url,
			    "same content as this run's last copy");
		return;
	}
	bump(&s->stats.pages_fetched);
	if (s->hosts)
		rsd_host_stats_count(s->hosts, t->job.url, false);
	struct rsd_extract_result ex = { 0 };
	/* Links past max_depth would be dropped: not collecting them saves a
	 * quarter of the extraction time on the last level of a crawl. */
	bool want_links = t->job.depth < s->cfg->max_depth;
	if (!want_links)
		refuse_page(s, RSD_CAUSE_DEPTH, t->job.url, "its links are beyond max_depth");
	int rc = rsd_extract(w->x, body, f->len, t->job.url, res->content_type,
			     want_links ? RSD_EXTRACT_LINKS : 0, &ex);
	if (ex.dom_skipped)
		refuse_page(s, RSD_CAUSE_MARKUP, t->job.url,
			    rsd_extract_dom_skipped_text(ex.dom_skipped));
	if (rc < 0) {
		bump(&s->stats.no_recipe);
		return;
	}
	/* Links first: other workers can fetch them while this one may block
	 * on a full ring below. A recipe page's links (related recipes, other
	 * categories) lead out of the part of the site the crawl started in:
	 * followed only when the operator asked for it. */
	bool recipe_page = ex.record && t->job.extract;
	if (ex.n_links && (s->cfg->follow_from_recipes || !recipe_page))
		rsd_frontier_add_page_links(s->frontier, t->job.url, ex.links, ex.n_links,
					    t->job.depth + 1);
	if (!ex.record)
		bump(&s->stats.no_recipe);
	else if (!t->job.extract)
		; /* out of the `recipe` pattern: crawled for its links only */
	else if (s->cfg->dedup_canonical && duplicate_of_claimed_recipe(s, t->job.url, ex.record))
		refuse_page(s, RSD_CAUSE_DUPLICATE, t->job.url,
			    "its canonical recipe came from another page");
	else
		hand_over_record(s, &t->job, ex.record, f, hash);
	rsd_extract_result_clear(&ex);
}

/* A 304: the page was seen now; its validators and content hash stand. */
static void mark_unchanged(struct rsd_state *state, const char *url)
{
	struct rsd_page_meta m;
	if (rsd_state_lookup(state, url, &m) < 0)
		return;
	rsd_state_set_fetched(state, url, time(NULL), m.etag, m.last_modified, m.content_hash);
	rsd_page_meta_clear(&m);
}

/* Counts a page given up on and tells the failure callback, once. */
static void give_up(struct rsd_scraper *s, atomic_uint_fast64_t *counter, const char *url,
		    long http_code, const char *reason)
{
	bump(counter);
	if (s->hosts)
		rsd_host_stats_count(s->hosts, url, true);
	if (s->on_failure)
		s->on_failure(s->failure_ctx, url, http_code, reason);
}

/* The next hop goes back through the frontier's admission, which counts
 * and reports a refused one (-EEXIST: the target is known already,
 * nothing is lost). */
static void follow_redirect(struct rsd_scraper *s, struct transfer *t,
			    const struct rsd_fetch_result *res)
{
	(void)rsd_frontier_add_redirect(s->frontier, &t->job, res->location);
}

/* "larger than max_page_bytes (65536 bytes)" */
static void refuse_too_big(struct rsd_scraper *s, const char *url, const char *what)
{
	char detail[128];
	snprintf(detail, sizeof detail, "%s larger than max_page_bytes (%llu bytes)", what,
		 (unsigned long long)s->cfg->max_page_bytes);
	refuse_page(s, RSD_CAUSE_TOO_BIG, url, detail);
}

static void finish_page(struct worker *w, struct transfer *t, const struct rsd_fetch_result *res)
{
	struct rsd_scraper *s = w->s;
	const char *url = t->job.url;
	switch (res->status) {
	case RSD_FETCH_OK:
		process_page(w, t, res);
		break;
	case RSD_FETCH_REDIRECT:
		follow_redirect(s, t, res);
		break;
	case RSD_FETCH_RETRY:
		if (rsd_frontier_retry(s->frontier, &t->job, res->retry_after_ms))
			return; /* the frontier ended the job */
		give_up(s, &s->stats.pages_failed, url, res->http_code, res->reason);
		break;
	case RSD_FETCH_NOT_MODIFIED:
		/* Unchanged since the last round: its links are too. */
		refuse_page(s, RSD_CAUSE_UNCHANGED, url, "304 Not Modified");
		if (s->state)
			mark_unchanged(s->state, url);
		break;
	case RSD_FETCH_TOO_BIG:
		refuse_too_big(s, url, "body");
		break;
	case RSD_FETCH_BLOCKED: /* robots = off, or a name that re-resolved since robots.txt */
		refuse_page(s, RSD_CAUSE_PRIVATE_ADDRESS, url, res->reason);
		break;
	case RSD_FETCH_HTTP_ERROR:
	case RSD_FETCH_ERROR:
		give_up(s, &s->stats.pages_failed, url, res->http_code, res->reason);
		break;
	}
	rsd_frontier_done(s->frontier, &t->job);
}

/* ---- sitemaps ---- */

static const char *sitemap_error(int rc)
{
	switch (rc) {
	case -EBADMSG:
		return "corrupt gzip sitemap";
	case -ENOTSUP:
		return "gzip sitemap inside gzip";
	default:
		return "out of memory";
	}
}

/* An index adds more sitemaps, a urlset adds pages (as links of depth 1:
 * scope, `follow` and `recipe` apply as to any link). A .xml.gz sitemap
 * usually comes without Content-Encoding, so still compressed: it is
 * gunzipped here, capped by max_page_bytes like any decoded body. */
static void read_sitemap(struct rsd_scraper *s, struct transfer *t)
{
	bool index;
	char **locs;
	size_t n;
	struct rsd_fetch *f = t->fetch;
	int rc = rsd_robots_sitemap_read(f->body ? f->body : "", f->len, s->cfg->max_page_bytes,
					 &index, &locs, &n);
	if (rc == -EFBIG) {
		refuse_too_big(s, t->job.url, "gzip sitemap, decompressed,");
		return;
	}
	if (rc < 0) {
		give_up(s, &s->stats.pages_failed, t->job.url, 200, sitemap_error(rc));
		return;
	}
	if (index)
		rsd_frontier_add_sitemaps(s->frontier, t->job.url, locs, n);
	else
		rsd_frontier_add_links(s->frontier, t->job.url, locs, n, 1);
	rsd_robots_sitemap_free(locs, n);
}

/* An unchanged sitemap (304, or the same content in a later round of
 * this run) lists the same URLs: they were admitted already. */
static void finish_sitemap(struct worker *w, struct transfer *t, const struct rsd_fetch_result *res)
{
	struct rsd_scraper *s = w->s;
	if (res->status == RSD_FETCH_OK) {
		if (!fetched_unchanged(s, t, res, body_hash(t->fetch)))
			read_sitemap(s, t);
	} else if (res->status == RSD_FETCH_NOT_MODIFIED) {
		if (s->state)
			mark_unchanged(s->state, t->job.url);
	} else if (res->status == RSD_FETCH_REDIRECT) {
		follow_redirect(s, t, res);
	} else if (res->status == RSD_FETCH_RETRY &&
		   rsd_frontier_retry(s->frontier, &t->job, res->retry_after_ms))
		return;
	else
		give_up(s, &s->stats.pages_failed, t->job.url, res->http_code, res->reason);
	rsd_frontier_done(s->frontier, &t->job);
}

/* ---- robots.txt ---- */

/* robots.txt could not be read: its origin's pages are refused, and the
 * refusals say why ("https://a.test/robots.txt: HTTP 503, server error";
 * for a non-public address, that address). */
static void robots_unavailable(struct rsd_scraper *s, struct transfer *t,
			       const struct rsd_fetch_result *res)
{
	char detail[CURL_ERROR_SIZE + 1024];
	if (res->status == RSD_FETCH_BLOCKED) {
		rsd_frontier_robots_unavailable(s->frontier, &t->job, RSD_CAUSE_PRIVATE_ADDRESS,
						res->reason);
		return;
	}
	if (res->http_code)
		snprintf(detail, sizeof detail, "%.1000s: HTTP %ld, %s", t->job.url, res->http_code,
			 res->reason);
	else
		snprintf(detail, sizeof detail, "%.1000s: %s", t->job.url, res->reason);
	rsd_frontier_robots_unavailable(s->frontier, &t->job, RSD_CAUSE_ROBOTS_UNREACHABLE, detail);
}

static void finish_robots(struct worker *w, struct transfer *t, const struct rsd_fetch_result *res)
{
	struct rsd_scraper *s = w->s;
	struct rsd_robots *rules = NULL;
	switch (res->status) {
	case RSD_FETCH_OK: {
		rsd_robots_parse(t->fetch->body ? t->fetch->body : "", t->fetch->len,
				 s->agent_token, &rules);
		/* Queued before the rules are in: the origin stays closed until
		 * robots_done, so even these wait for the rules. A site's
		 * sitemaps list the whole site: read only with sitemaps = robots. */
		const char *const *maps = NULL;
		size_t n = rules && s->cfg->sitemaps == RSD_SITEMAPS_ROBOTS
				   ? rsd_robots_sitemaps(rules, &maps)
				   : 0;
		rsd_frontier_add_sitemaps(s->frontier, t->job.url, (char *const *)maps, n);
		break;
	}
	case RSD_FETCH_HTTP_ERROR: /* RFC 9309 2.3.1.3: 4xx -> allow all */
	case RSD_FETCH_NOT_MODIFIED: /* never asked conditionally; treat as 4xx */
	case RSD_FETCH_REDIRECT: /* more than 5 hops: 2.3.1.2 "unavailable" */
	case RSD_FETCH_TOO_BIG:
		rsd_robots_new_allow_all(&rules);
		break;
	case RSD_FETCH_RETRY:
		if (rsd_frontier_retry(s->frontier, &t->job, res->retry_after_ms))
			return;
		robots_unavailable(s, t, res); /* 2.3.1.4: unreachable -> complete disallow */
		return;
	case RSD_FETCH_BLOCKED:
	case RSD_FETCH_ERROR:
		robots_unavailable(s, t, res); /* permanent: unreachable, complete disallow */
		return;
	}
	rsd_frontier_robots_done(s->frontier, &t->job, rules);
}

/* ---- transfers ---- */

static void start_transfer(struct worker *w, struct rsd_job *job)
{
	struct rsd_scraper *s = w->s;
	const struct rsd_config *cfg = s->cfg;
	bool robots = job->kind == RSD_JOB_ROBOTS;
	/* robots.txt follows its redirects inside curl (RFC 9309 2.3.1.2 asks
	 * for it, to any host); pages and sitemaps go back through the
	 * frontier per hop, so each hop is checked against scope and robots. */
	struct rsd_fetch_options opt = {
		.user_agent = cfg->user_agent,
		.timeout_s = cfg->timeout_s,
		.max_bytes = robots ? RSD_ROBOTS_MAX_BYTES : cfg->max_page_bytes,
		.truncate = robots,
		.follow_redirects = robots,
		.allow_private = cfg->allow_private_addresses,
	};
	/* A recrawl or refresh asks only for what changed since the copy we
	 * processed; a delivered page only when that copy is the delivered one
	 * (a later fetch whose record never arrived must not answer 304). */
	struct rsd_page_meta meta = { 0 };
	if (job->revisit && !robots && s->state &&
	    rsd_state_lookup(s->state, job->url, &meta) == 0 &&
	    (!meta.delivered || meta.delivered_hash == meta.content_hash)) {
		opt.if_none_match = meta.etag;
		opt.if_modified_since = meta.last_modified;
	}
	struct transfer *t = calloc(1, sizeof(*t));
	int rc = t ? rsd_fetch_new(&opt, job->url, t, &t->fetch) : -ENOMEM;
	rsd_page_meta_clear(&meta);
	if (rc == 0 && curl_multi_add_handle(w->multi, t->fetch->easy) == CURLM_OK) {
		t->job = *job;
		w->running++;
		return;
	}
	if (t)
		rsd_fetch_free(t->fetch);
	free(t);
	/* Out of resources: count it and let the frontier forget the job. */
	bump(&s->stats.pages_failed);
	if (robots)
		rsd_frontier_robots_done(s->frontier, job, NULL);
	else
		rsd_frontier_done(s->frontier, job);
}

static void finish_transfer(struct worker *w, CURL *easy, CURLcode code)
{
	struct rsd_fetch *f = NULL;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&f);
	curl_multi_remove_handle(w->multi, easy);
	w->running--;
	struct transfer *t = f->user;
	struct rsd_fetch_result res;
	rsd_fetch_result(f, code, &res);
	switch (t->job.kind) {
	case RSD_JOB_ROBOTS:
		finish_robots(w, t, &res);
		break;
	case RSD_JOB_SITEMAP:
		finish_sitemap(w, t, &res);
		break;
	case RSD_JOB_PAGE:
		finish_page(w, t, &res);
		break;
	}
	rsd_fetch_free(f);
	free(t);
}

static void reap_transfers(struct worker *w)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(w->multi, &left)))
		if (m->msg == CURLMSG_DONE)
			finish_transfer(w, m->easy_handle, m->data.result);
}

/* Starts every ready job this worker has room for. Returns false when the
 * frontier will hand out nothing more (finished or stopped); *wait_ms is
 * how long until it may have something (-1: until woken). */
static bool take_jobs(struct worker *w, int64_t *wait_ms)
{
	struct rsd_scraper *s = w->s;
	*wait_ms = -1;
	while (w->running < s->per_worker_max) {
		struct rsd_job job;
		int rc = rsd_frontier_next(s->frontier, w->id, &job, wait_ms);
		if (rc == -ENODATA) {
			notify_finished(s);
			return false;
		}
		if (rc == -ESHUTDOWN)
			return false;
		if (rc < 0)
			return true;
		start_transfer(w, &job);
	}
	return true;
}

/* The order matters for politeness: finished transfers are handled first
 * (that may block on a full ring), then new jobs are taken and started at
 * once, so a request is never held back behind a blocked enqueue after the
 * frontier stamped its host's ready-time. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct rsd_scraper *s = w->s;
	bool more = true;
	int still;
	for (;;) {
		bump(&s->stats.progress);
		curl_multi_perform(w->multi, &still);
		reap_transfers(w);
		int64_t wait_ms = -1;
		unsigned before = w->running;
		if (more)
			more = take_jobs(w, &wait_ms);
		if (!more && w->running == 0)
			break;
		/* Only new transfers need a second perform (it sends their
		 * requests at once). Each perform costs a poll(2) per transfer
		 * (curl checks every socket), and the first one just ran: with
		 * nothing started, still == running after the reap, and the
		 * poll below waits for the sockets. */
		if (w->running > before) {
			curl_multi_perform(w->multi, &still);
			/* A transfer that finished in this perform has no socket
			 * left to wake the poll below: reap it now instead of a
			 * second later. */
			if ((unsigned)still < w->running)
				continue;
		}
		int timeout = wait_ms < 0 || wait_ms > MAX_POLL_MS ? MAX_POLL_MS : (int)wait_ms;
		curl_multi_poll(w->multi, NULL, 0, timeout, NULL);
	}
	return NULL;
}

/* ---- public ---- */

/* Frontier callback, with the frontier's lock held: only signal. */
static void wake_worker(void *ctx, unsigned waiter)
{
	struct rsd_scraper *s = ctx;
	curl_multi_wakeup(s->workers[waiter].multi);
}

static int workers_init(struct rsd_scraper *s)
{
	s->workers = calloc(s->n_workers, sizeof(*s->workers));
	if (!s->workers)
		return -ENOMEM;
	for (unsigned i = 0; i < s->n_workers; i++) {
		struct worker *w = &s->workers[i];
		w->s = s;
		w->id = i;
		w->multi = curl_multi_init();
		if (!w->multi)
			return -ENOMEM;
		int rc = rsd_extractor_new(&w->x);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int rsd_scraper_new(const struct rsd_config *cfg, rsd_ring *ring, struct rsd_state *state,
		    int wake_fd, struct rsd_scraper **out)
{
	*out = NULL;
	if (!cfg || !ring || cfg->threads == 0 || cfg->threads > 64)
		return -EINVAL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -ENOMEM;
	struct rsd_scraper *s = calloc(1, sizeof(*s));
	if (!s) {
		curl_global_cleanup();
		return -ENOMEM;
	}
	pthread_mutex_init(&s->claims.lock, NULL);
	s->cfg = cfg;
	s->ring = ring;
	s->state = state;
	s->wake_fd = wake_fd;
	s->n_workers = cfg->threads;
	s->per_worker_max = (cfg->max_connections + cfg->threads - 1) / cfg->threads;
	s->agent_token = rsd_robots_product_token(cfg->user_agent ? cfg->user_agent : "");
	int rc = s->agent_token ? workers_init(s) : -ENOMEM;
	if (rc == 0) {
		struct rsd_frontier_options fo = {
			.cfg = cfg,
			.state = state,
			.stats = &s->stats,
			.once = false,
			.wake = wake_worker,
			.wake_ctx = s,
			.n_waiters = s->n_workers,
			.on_refusal = relay_refusal,
			.refusal_ctx = s,
		};
		rc = rsd_frontier_new(&fo, &s->frontier);
	}
	if (rc < 0) {
		rsd_scraper_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void rsd_scraper_set_once(struct rsd_scraper *s, bool once)
{
	rsd_frontier_set_once(s->frontier, once);
}

void rsd_scraper_set_retry_policy(struct rsd_scraper *s, unsigned max_retries,
				  unsigned backoff_base_ms)
{
	rsd_frontier_set_retry_policy(s->frontier, max_retries, backoff_base_ms);
}

void rsd_scraper_set_failure_cb(struct rsd_scraper *s, rsd_scraper_failure_fn *fn, void *ctx)
{
	s->on_failure = fn;
	s->failure_ctx = ctx;
}

void rsd_scraper_set_refusal_cb(struct rsd_scraper *s, rsd_refusal_fn *fn, void *ctx)
{
	s->on_refusal = fn;
	s->refusal_ctx = ctx;
}

struct rsd_frontier *rsd_scraper_frontier(struct rsd_scraper *s)
{
	return s->frontier;
}

void rsd_scraper_set_host_stats(struct rsd_scraper *s, struct rsd_host_stats *t)
{
	s->hosts = t;
}

int rsd_scraper_start(struct rsd_scraper *s)
{
	s->started_at = time(NULL);
	int rc = rsd_frontier_add_start(s->frontier, &s->cfg->start_urls);
	/* Admitted in the first round, the configured sitemaps are read again
	 * in each recrawl round like those of robots.txt. */
	if (rc >= 0)
		rc = rsd_frontier_add_sitemaps(s->frontier, NULL, s->cfg->sitemap_urls.items,
					       s->cfg->sitemap_urls.n);
	if (rc < 0)
		return rc;
	for (; s->started_workers < s->n_workers; s->started_workers++) {
		struct worker *w = &s->workers[s->started_workers];
		rc = -pthread_create(&w->thread, NULL, worker_main, w);
		if (rc < 0) {
			rsd_scraper_stop(s);
			return rc;
		}
		char name[16]; /* top -H, per-thread CPU; threads <= 64 fits */
		snprintf(name, sizeof name, "rsd-scraper-%u", s->started_workers % 100u);
		pthread_setname_np(w->thread, name);
	}
	return 0;
}

void rsd_scraper_stop(struct rsd_scraper *s)
{
	if (s->frontier)
		rsd_frontier_stop(s->frontier);
}

void rsd_scraper_join(struct rsd_scraper *s)
{
	if (s->joined)
		return;
	for (unsigned i = 0; i < s->started_workers; i++)
		pthread_join(s->workers[i].thread, NULL);
	s->joined = true;
}

void rsd_scraper_free(struct rsd_scraper *s)
{
	if (!s)
		return;
	if (s->started_workers) {
		rsd_scraper_stop(s);
		rsd_scraper_join(s);
	}
	/* The frontier goes first: it may call wake_worker on the multis. */
	rsd_frontier_free(s->frontier);
	for (unsigned i = 0; s->workers && i < s->n_workers; i++) {
		curl_multi_cleanup(s->workers[i].multi);
		rsd_extractor_free(s->workers[i].x);
	}
	free(s->workers);
	free(s->agent_token);
	free(s->claims.slots);
	pthread_mutex_destroy(&s->claims.lock);
	free(s);
	curl_global_cleanup();
}

bool rsd_scraper_finished(const struct rsd_scraper *s)
{
	return rsd_frontier_finished(s->frontier);
}

const struct rsd_scraper_stats *rsd_scraper_stats(const struct rsd_scraper *s)
{
	return &s->stats;
}
