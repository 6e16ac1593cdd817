/* SPDX-License-Identifier: MIT */
/* Loopback test HTTP server (see httpd.h). */

#include "httpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

struct route {
	struct rsd_httpd_route r; /* strings below are owned copies */
	char *body;
	size_t body_len;
	unsigned hits;
};

struct rsd_httpd {
	struct MHD_Daemon *mhd;
	char *root;
	char *tls_key, *tls_cert; /* PEM, when serving https */
	char base[64];
	unsigned port;
	pthread_mutex_t lock;
	pthread_cond_t stopping_cond;
	bool stopping;
	struct route *routes;
	size_t n_routes;
	struct rsd_httpd_request *log;
	size_t n_log, cap_log;
};

int64_t rsd_httpd_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *dup_opt(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int gzip_buf(const char *in, size_t len, char **out, size_t *out_len)
{
	z_stream z = { 0 };
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	size_t cap = deflateBound(&z, len);
	*out = malloc(cap);
	if (!*out) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)*out;
	z.avail_out = (uInt)cap;
	int rc = deflate(&z, Z_FINISH);
	*out_len = cap - z.avail_out;
	deflateEnd(&z);
	return rc == Z_STREAM_END ? 0 : -EIO;
}

int rsd_httpd_route(struct rsd_httpd *h, const struct rsd_httpd_route *r)
{
	struct route n = { .r = *r };
	size_t len = r->fill_len ? r->fill_len
		     : r->body   ? (r->body_len ? r->body_len : strlen(r->body))
				 : 0;
	char *plain = malloc(len + 1);
	if (!plain)
		return -ENOMEM;
	if (r->fill_len)
		memset(plain, 'x', len);
	else if (len)
		memcpy(plain, r->body, len);
	if (r->gzip) {
		int rc = gzip_buf(plain, len, &n.body, &n.body_len);
		free(plain);
		if (rc < 0)
			return rc;
	} else {
		n.body = plain;
		n.body_len = len;
	}
	n.r.path = dup_opt(r->path);
	n.r.content_type = dup_opt(r->content_type);
	n.r.location = dup_opt(r->location);
	n.r.retry_after = dup_opt(r->retry_after);
	n.r.etag = dup_opt(r->etag);
	pthread_mutex_lock(&h->lock);
	struct route *routes = realloc(h->routes, (h->n_routes + 1) * sizeof(*routes));
	if (routes) {
		h->routes = routes;
		routes[h->n_routes++] = n;
	}
	pthread_mutex_unlock(&h->lock);
	return routes ? 0 : -ENOMEM;
}

/* Logged on arrival (so a request that hangs is seen at once); the status
 * is filled in once answered. Returns the entry's index or SIZE_MAX. */
static size_t log_request(struct rsd_httpd *h, struct MHD_Connection *c, const char *method,
			  const char *path, int64_t at)
{
	struct rsd_httpd_request q = { .at_ms = at };
	snprintf(q.method, sizeof(q.method), "%s", method);
	snprintf(q.path, sizeof(q.path), "%s", path);
	const char *ua = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent");
	snprintf(q.user_agent, sizeof(q.user_agent), "%s", ua ? ua : "");
	size_t idx = SIZE_MAX;
	pthread_mutex_lock(&h->lock);
	if (h->n_log == h->cap_log) {
		size_t cap = h->cap_log ? 2 * h->cap_log : 64;
		struct rsd_httpd_request *l = realloc(h->log, cap * sizeof(*l));
		if (l) {
			h->log = l;
			h->cap_log = cap;
		}
	}
	if (h->n_log < h->cap_log) {
		idx = h->n_log++;
		h->log[idx] = q;
	}
	pthread_mutex_unlock(&h->lock);
	return idx;
}

static void log_status(struct rsd_httpd *h, size_t idx, unsigned status)
{
	pthread_mutex_lock(&h->lock);
	if (idx < h->n_log)
		h->log[idx].status = status;
	pthread_mutex_unlock(&h->lock);
}

/* Waits delay_ms or until the server stops, whichever comes first. */
static void route_delay(struct rsd_httpd *h, unsigned delay_ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += delay_ms / 1000;
	until.tv_nsec += (long)(delay_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&h->lock);
	while (!h->stopping &&
	       pthread_cond_timedwait(&h->stopping_cond, &h->lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&h->lock);
}

static const char *mime_of(const char *path)
{
	const char *dot = strrchr(path, '.');
	if (dot && strcmp(dot, ".html") == 0)
		return "text/html; charset=utf-8";
	if (dot && strcmp(dot, ".txt") == 0)
		return "text/plain";
	if (dot && strcmp(dot, ".json") == 0)
		return "application/json";
	if (dot && strcmp(dot, ".xml") == 0)
		return "application/xml";
	return "application/octet-stream";
}

static enum MHD_Result send_buf(struct MHD_Connection *c, unsigned status, const char *body,
				size_t len, const char *type)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
								    MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	if (type)
		MHD_add_response_header(resp, "Content-Type", type);
	enum MHD_Result rc = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result serve_file(struct rsd_httpd *h, struct MHD_Connection *c, const char *path,
				  unsigned *status)
{
	*status = 404;
	if (!h->root || strstr(path, "..") || path[0] != '/')
		return send_buf(c, 404, "not found\n", 10, "text/plain");
	char file[1024];
	size_t n = strlen(path);
	snprintf(file, sizeof(file), "%s%s%s", h->root, path,
		 path[n - 1] == '/' ? "index.html" : "");
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return send_buf(c, 404, "not found\n", 10, "text/plain");
	}
	/* The response takes the fd and closes it. */
	struct MHD_Response *resp = MHD_create_response_from_fd((size_t)st.st_size, fd);
	if (!resp) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", mime_of(file));
	*status = 200;
	enum MHD_Result rc = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* Answers from a route; the lock is held on entry and released here
 * (the delay must not hold it). */
static enum MHD_Result serve_route(struct rsd_httpd *h, struct MHD_Connection *c, struct route *rt,
				   unsigned *status)
{
	bool fail = rt->hits < rt->r.fail_times;
	rt->hits++;
	struct rsd_httpd_route r = rt->r;
	char *body = malloc(rt->body_len + 1);
	size_t len = rt->body_len;
	if (body)
		memcpy(body, rt->body, len);
	pthread_mutex_unlock(&h->lock);
	if (!body)
		return MHD_NO;
	if (r.delay_ms)
		route_delay(h, r.delay_ms);
	const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
	bool not_modified = !fail && r.etag && inm && strcmp(inm, r.etag) == 0;
	*status = fail ? r.fail_status : not_modified ? 304 : r.status ? r.status : 200;
	bool empty = fail || not_modified;
	struct MHD_Response *resp = empty ? MHD_create_response_from_buffer(0, (void *)"",
									    MHD_RESPMEM_PERSISTENT)
					  : MHD_create_response_from_buffer(len, body,
									    MHD_RESPMEM_MUST_FREE);
	if (empty)
		free(body);
	if (resp && r.etag && !fail)
		MHD_add_response_header(resp, "ETag", r.etag);
	if (!resp)
		return MHD_NO;
	if (fail && r.retry_after)
		MHD_add_response_header(resp, "Retry-After", r.retry_after);
	if (!empty) {
		MHD_add_response_header(resp, "Content-Type",
					r.content_type ? r.content_type
						       : "text/html; charset=utf-8");
		if (r.location)
			MHD_add_response_header(resp, "Location", r.location);
		if (r.retry_after)
			MHD_add_response_header(resp, "Retry-After", r.retry_after);
		if (r.gzip)
			MHD_add_response_header(resp, "Content-Encoding", "gzip");
	}
	enum MHD_Result rc = MHD_queue_response(c, *status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct rsd_httpd *h = cls;
	if (!*con_cls) { /* first call: headers only */
		*con_cls = h;
		return MHD_YES;
	}
	size_t idx = log_request(h, c, method, url, rsd_httpd_now_ms());
	unsigned status = 0;
	enum MHD_Result rc;
	pthread_mutex_lock(&h->lock);
	struct route *rt = NULL;
	for (size_t i = h->n_routes; i > 0 && !rt; i--) /* the latest route of a path wins */
		if (strcmp(h->routes[i - 1].r.path, url) == 0)
			rt = &h->routes[i - 1];
	if (rt && rt->r.then_file && rt->hits >= rt->r.fail_times) {
		rt->hits++;
		rt = NULL;
	}
	if (rt) {
		rc = serve_route(h, c, rt, &status);
	} else {
		pthread_mutex_unlock(&h->lock);
		rc = serve_file(h, c, url, &status);
	}
	log_status(h, idx, status);
	return rc;
}

static int start(const char *ip, const char *root, const char *key_pem, const char *cert_pem,
		 struct rsd_httpd **out);

int rsd_httpd_start(const char *root, struct rsd_httpd **out)
{
	return rsd_httpd_start_at("127.0.0.1", root, out);
}

int rsd_httpd_start_at(const char *ip, const char *root, struct rsd_httpd **out)
{
	return start(ip, root, NULL, NULL, out);
}

int rsd_httpd_start_tls(const char *key_pem, const char *cert_pem, struct rsd_httpd **out)
{
	return start("127.0.0.1", NULL, key_pem, cert_pem, out);
}

static int start(const char *ip, const char *root, const char *key_pem, const char *cert_pem,
		 struct rsd_httpd **out)
{
	*out = NULL;
	struct sockaddr_in addr = { .sin_family = AF_INET };
	if (inet_pton(AF_INET, ip, &addr.sin_addr) != 1)
		return -EINVAL;
	struct rsd_httpd *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->stopping_cond, NULL);
	h->root = dup_opt(root);
	/* MHD keeps pointers to the PEM texts: the server owns copies. */
	h->tls_key = dup_opt(key_pem);
	h->tls_cert = dup_opt(cert_pem);
	struct MHD_OptionItem tls[] = {
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls_key },
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls_cert },
		{ MHD_OPTION_END, 0, NULL },
	};
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
			 MHD_USE_ERROR_LOG;
	if (key_pem)
		flags |= MHD_USE_TLS;
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, &addr,
				  MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_ARRAY,
				  key_pem ? tls : tls + 2, MHD_OPTION_END);
	const union MHD_DaemonInfo *info = h->mhd ? MHD_get_daemon_info(h->mhd,
									MHD_DAEMON_INFO_BIND_PORT)
						  : NULL;
	if (!info) {
		rsd_httpd_free(h);
		return -EADDRNOTAVAIL;
	}
	h->port = info->port;
	snprintf(h->base, sizeof(h->base), "%s://%s:%u", key_pem ? "https" : "http", ip, h->port);
	*out = h;
	return 0;
}

void rsd_httpd_free(struct rsd_httpd *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->stopping = true;
	pthread_cond_broadcast(&h->stopping_cond);
	pthread_mutex_unlock(&h->lock);
	if (h->mhd)
		MHD_stop_daemon(h->mhd);
	for (size_t i = 0; i < h->n_routes; i++) {
		struct route *r = &h->routes[i];
		free((char *)(uintptr_t)r->r.path);
		free((char *)(uintptr_t)r->r.content_type);
		free((char *)(uintptr_t)r->r.location);
		free((char *)(uintptr_t)r->r.retry_after);
		free((char *)(uintptr_t)r->r.etag);
		free(r->body);
	}
	free(h->routes);
	free(h->log);
	free(h->root);
	free(h->tls_key);
	free(h->tls_cert);
	pthread_cond_destroy(&h->stopping_cond);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

const char *rsd_httpd_base(const struct rsd_httpd *h)
{
	return h->base;
}

unsigned rsd_httpd_port(const struct rsd_httpd *h)
{
	return h->port;
}

size_t rsd_httpd_log(struct rsd_httpd *h, struct rsd_httpd_request **out)
{
	pthread_mutex_lock(&h->lock);
	size_t n = h->n_log;
	*out = malloc((n ? n : 1) * sizeof(**out));
	if (*out && n)
		memcpy(*out, h->log, n * sizeof(**out));
	else
		n = 0;
	pthread_mutex_unlock(&h->lock);
	return n;
}

unsigned rsd_httpd_count(struct rsd_httpd *h, const char *path)
{
	unsigned n = 0;
	pthread_mutex_lock(&h->lock);
	for (size_t i = 0; i < h->n_log; i++)
		n += strcmp(h->log[i].path, path) == 0;
	pthread_mutex_unlock(&h->lock);
	return n;
}
