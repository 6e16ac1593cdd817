/* SPDX-License-Identifier: MIT */
/* Embedded development broker (see broker_embedded.h).
 *
 * librdkafka's mock cluster lives inside an rd_kafka_t; a throwaway producer
 * with no bootstrap servers hosts it. The mock brokers listen on ephemeral
 * loopback ports and librdkafka 2.0.2 has no option to choose them, so a fixed
 * port (the `broker --port N` subcommand, configs that say
 * brokers = 127.0.0.1:N) is served by a small TCP forwarder thread: it relays
 * bootstrap connections on 127.0.0.1:N to broker 1. That is enough because
 * Kafka clients use the bootstrap connection only to fetch metadata, which
 * carries the real broker addresses they then connect to directly.
 *
 * The forwarder is one thread multiplexing every connection in poll(2) with a
 * fixed buffer per direction; a stop eventfd ends it.
 *
 * Fault injection (rsd_broker_command) is a thin text front end to
 * rdkafka_mock.h, so that tests of the real daemon binary can take brokers
 * down, slow them, move leaders and fail requests in a broker process that
 * outlives the daemon (kill -9 and restart scenarios). */
#include "kafka/broker_embedded.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define FWD_BUF 65536
#define FWD_MAX_CONNS 256

struct fwd_dir {
	char buf[FWD_BUF];
	size_t len, off; /* buf[off..len) still to be written */
};

/* A relayed connection: fd[0] client side, fd[1] broker side; dir[0] carries
 * client -> broker bytes, dir[1] broker -> client. */
struct fwd_conn {
	int fd[2];
	struct fwd_dir dir[2];
};

struct rsd_broker {
	rd_kafka_t *rk; /* hosts the mock cluster */
	rd_kafka_mock_cluster_t *mc;
	int n_brokers; /* mock broker ids are 1..n_brokers */
	char *bootstrap;

	int listen_fd, stop_fd;
	struct sockaddr_storage target; /* broker 1 */
	socklen_t target_len;
	pthread_t thread;
	bool forwarding;
	struct fwd_conn **conns;
	size_t n_conns;
};

/* ---- forwarder ---- */

static void conn_close(struct rsd_broker *b, size_t i)
{
	close(b->conns[i]->fd[0]);
	close(b->conns[i]->fd[1]);
	free(b->conns[i]);
	b->conns[i] = b->conns[--b->n_conns];
}

static void accept_conn(struct rsd_broker *b)
{
	int cfd = accept4(b->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	int sfd;
	struct fwd_conn *c;

	if (cfd < 0)
		return;
	if (b->n_conns == FWD_MAX_CONNS) {
		close(cfd);
		return;
	}
	/* Loopback connect completes at once (or is refused when broker 1 is
	 * set down); blocking keeps this simple. */
	sfd = socket(b->target.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sfd < 0 || connect(sfd, (struct sockaddr *)&b->target, b->target_len) < 0 ||
	    !(c = calloc(1, sizeof(*c)))) {
		if (sfd >= 0)
			close(sfd);
		close(cfd);
		return;
	}
	fcntl(sfd, F_SETFL, fcntl(sfd, F_GETFL) | O_NONBLOCK);
	c->fd[0] = cfd;
	c->fd[1] = sfd;
	b->conns[b->n_conns++] = c;
}

/* Moves bytes along one direction; false when the connection is finished. */
static bool relay(struct fwd_conn *c, int d, short in_ev, short out_ev)
{
	struct fwd_dir *dir = &c->dir[d];
	int src = c->fd[d], dst = c->fd[!d];
	ssize_t n;

	if ((in_ev & (POLLIN | POLLHUP | POLLERR)) && dir->len < FWD_BUF) {
		n = read(src, dir->buf + dir->len, FWD_BUF - dir->len);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return false;
		if (n > 0)
			dir->len += (size_t)n;
	}
	if ((out_ev & (POLLOUT | POLLERR)) || dir->len > dir->off) {
		n = write(dst, dir->buf + dir->off, dir->len - dir->off);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return false;
		if (n > 0)
			dir->off += (size_t)n;
		if (dir->off == dir->len)
			dir->off = dir->len = 0;
	}
	return true;
}

static void *forwarder_main(void *arg)
{
	struct rsd_broker *b = arg;
	struct pollfd *fds = calloc(2 + 2 * FWD_MAX_CONNS, sizeof(*fds));

	if (!fds)
		return NULL;
	for (;;) {
		size_t n = 2;

		fds[0] = (struct pollfd){ .fd = b->stop_fd, .events = POLLIN };
		fds[1] = (struct pollfd){ .fd = b->listen_fd, .events = POLLIN };
		for (size_t i = 0; i < b->n_conns; i++) {
			struct fwd_conn *c = b->conns[i];

			for (int s = 0; s < 2; s++) {
				/* side s reads into dir[s] and writes dir[!s]. */
				short ev = 0;

				if (c->dir[s].len < FWD_BUF)
					ev |= POLLIN;
				if (c->dir[!s].len > c->dir[!s].off)
					ev |= POLLOUT;
				fds[n++] = (struct pollfd){ .fd = c->fd[s], .events = ev };
			}
		}
		if (poll(fds, n, -1) < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			break;
		/* Walk backwards: conn_close moves the last connection into i. */
		for (size_t i = b->n_conns; i-- > 0;) {
			short ev0 = fds[2 + 2 * i].revents, ev1 = fds[3 + 2 * i].revents;

			if ((ev0 | ev1) &&
			    (!relay(b->conns[i], 0, ev0, ev1) || !relay(b->conns[i], 1, ev1, ev0)))
				conn_close(b, i);
		}
		if (fds[1].revents & POLLIN)
			accept_conn(b);
	}
	free(fds);
	return NULL;
}

/* Resolves "host:port" (the first of a bootstrap list) into b->target. */
static int resolve_first(struct rsd_broker *b, const char *list)
{
	char host[256], port[16];
	const char *colon, *end = list + strcspn(list, ",");
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	size_t n;

	colon = memrchr(list, ':', (size_t)(end - list));
	if (!colon || (n = (size_t)(colon - list)) >= sizeof(host))
		return -EINVAL;
	memcpy(host, list, n);
	host[n] = '\0';
	snprintf(port, sizeof(port), "%.*s", (int)(end - colon - 1), colon + 1);
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -EINVAL;
	memcpy(&b->target, res->ai_addr, res->ai_addrlen);
	b->target_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int listen_on(int port)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

static int start_forwarder(struct rsd_broker *b, int port, char *errbuf, size_t errlen)
{
	int rc = resolve_first(b, rd_kafka_mock_cluster_bootstraps(b->mc));

	if (rc < 0) {
		snprintf(errbuf, errlen, "cannot parse mock bootstrap servers");
		return rc;
	}
	b->conns = calloc(FWD_MAX_CONNS, sizeof(*b->conns));
	b->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (!b->conns || b->stop_fd < 0) {
		snprintf(errbuf, errlen, "out of resources");
		return -ENOMEM;
	}
	b->listen_fd = listen_on(port);
	if (b->listen_fd < 0) {
		snprintf(errbuf, errlen, "cannot listen on 127.0.0.1:%d: %s", port,
			 strerror(-b->listen_fd));
		return b->listen_fd;
	}
	rc = pthread_create(&b->thread, NULL, forwarder_main, b);
	if (rc) {
		snprintf(errbuf, errlen, "cannot start forwarder: %s", strerror(rc));
		return -rc;
	}
	b->forwarding = true;
	return 0;
}

/* ---- cluster ---- */

/* The hosting client logs about having no bootstrap servers; a library
 * module does not log. */
static void silent_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
}

static int create_cluster(struct rsd_broker *b, int n_brokers, char *errbuf, size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	if (!conf) {
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	rd_kafka_conf_set_log_cb(conf, silent_log);
	/* conf is owned by rk on success, still ours on failure. */
	b->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errbuf, errlen);
	if (!b->rk) {
		rd_kafka_conf_destroy(conf);
		return -EINVAL;
	}
	b->mc = rd_kafka_mock_cluster_new(b->rk, n_brokers);
	if (!b->mc) {
		snprintf(errbuf, errlen, "cannot create the mock cluster");
		return -EIO;
	}
	return 0;
}

static int create_topics(struct rsd_broker *b, int n_brokers, int partitions,
			 const char *const *topics, size_t n_topics, char *errbuf, size_t errlen)
{
	int replicas = n_brokers < 3 ? n_brokers : 3;

	for (size_t i = 0; i < n_topics; i++) {
		rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(b->mc, topics[i], partitions,
								     replicas);

		if (err) {
			snprintf(errbuf, errlen, "cannot create topic %s: %s", topics[i],
				 rd_kafka_err2str(err));
			return -EINVAL;
		}
	}
	return 0;
}

int rsd_broker_new(int n_brokers, int partitions, const char *const *topics, size_t n_topics,
		   int port, char *errbuf, size_t errlen, struct rsd_broker **out)
{
	struct rsd_broker *b;
	int rc;

	*out = NULL;
	if (n_brokers < 1 || partitions < 1 || port < 0 || port > 65535) {
		snprintf(errbuf, errlen, "invalid broker count, partition count or port");
		return -EINVAL;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	b->listen_fd = b->stop_fd = -1;
	b->n_brokers = n_brokers;
	rc = create_cluster(b, n_brokers, errbuf, errlen);
	if (rc == 0)
		rc = create_topics(b, n_brokers, partitions, topics, n_topics, errbuf, errlen);
	if (rc == 0 && port > 0)
		rc = start_forwarder(b, port, errbuf, errlen);
	if (rc == 0) {
		if (port > 0)
			rc = asprintf(&b->bootstrap, "127.0.0.1:%d", port) < 0 ? -ENOMEM : 0;
		else
			rc = (b->bootstrap = strdup(rd_kafka_mock_cluster_bootstraps(b->mc)))
				     ? 0
				     : -ENOMEM;
		if (rc < 0)
			b->bootstrap = NULL;
	}
	if (rc < 0) {
		rsd_broker_free(b);
		return rc;
	}
	*out = b;
	return 0;
}

void rsd_broker_free(struct rsd_broker *b)
{
	if (!b)
		return;
	if (b->forwarding) {
		rsd_eventfd_signal(b->stop_fd);
		pthread_join(b->thread, NULL);
	}
	while (b->n_conns)
		conn_close(b, b->n_conns - 1);
	free(b->conns);
	if (b->listen_fd >= 0)
		close(b->listen_fd);
	if (b->stop_fd >= 0)
		close(b->stop_fd);
	if (b->mc)
		rd_kafka_mock_cluster_destroy(b->mc);
	if (b->rk)
		rd_kafka_destroy(b->rk);
	free(b->bootstrap);
	free(b);
}

const char *rsd_broker_bootstrap(const struct rsd_broker *b)
{
	return b->bootstrap;
}

void *rsd_broker_mock_cluster(struct rsd_broker *b)
{
	return b->mc;
}

/* ---- fault injection ---- */

#define CMD_MAX_WORDS 5
#define CMD_MAX_ERRORS 100000

/* Whole-word integer in [min, max]. */
static bool parse_int(const char *word, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(word, &end, 10);
	if (errno || end == word || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* An error code as a number or as its librdkafka name without the ERR_
 * prefix (NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT, ...). */
static bool parse_error_code(const char *word, rd_kafka_resp_err_t *out)
{
	const struct rd_kafka_err_desc *descs;
	size_t n;
	long v;

	if (parse_int(word, INT_MIN, INT_MAX, &v)) {
		*out = (rd_kafka_resp_err_t)v;
		return true;
	}
	rd_kafka_get_err_descs(&descs, &n);
	for (size_t i = 0; i < n; i++) {
		if (descs[i].name && strcasecmp(descs[i].name, word) == 0) {
			*out = descs[i].code;
			return true;
		}
	}
	return false;
}

static rd_kafka_resp_err_t set_all_brokers(struct rsd_broker *b, bool up)
{
	for (int id = 1; id <= b->n_brokers; id++) {
		rd_kafka_resp_err_t err = up ? rd_kafka_mock_broker_set_up(b->mc, id)
					     : rd_kafka_mock_broker_set_down(b->mc, id);

		if (err)
			return err;
	}
	return RD_KAFKA_RESP_ERR_NO_ERROR;
}

static rd_kafka_resp_err_t push_errors(struct rsd_broker *b, long api_key, long count,
				       rd_kafka_resp_err_t code)
{
	rd_kafka_resp_err_t *errs = malloc((size_t)count * sizeof(*errs));

	if (!errs)
		return RD_KAFKA_RESP_ERR__FAIL;
	for (long i = 0; i < count; i++)
		errs[i] = code;
	/* The mock cluster copies the array. */
	rd_kafka_mock_push_request_errors_array(b->mc, (int16_t)api_key, (size_t)count, errs);
	free(errs);
	return RD_KAFKA_RESP_ERR_NO_ERROR;
}

/* Splits line into at most max blank-separated words (in place). */
static int split_words(char *line, char **words, int max)
{
	char *save = NULL;
	int n = 0;

	for (char *w = strtok_r(line, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == max)
			return -1;
		words[n++] = w;
	}
	return n;
}

/* Runs one parsed command; false with errbuf set on bad arguments. */
static bool run_command(struct rsd_broker *b, char **w, int n, rd_kafka_resp_err_t *err,
			char *errbuf, size_t errlen)
{
	long id, ms, part, api_key, count;
	rd_kafka_resp_err_t code;

	if (strcmp(w[0], "alldown") == 0 && n == 1)
		*err = set_all_brokers(b, false);
	else if (strcmp(w[0], "allup") == 0 && n == 1)
		*err = set_all_brokers(b, true);
	else if (strcmp(w[0], "down") == 0 && n == 2 && parse_int(w[1], 1, b->n_brokers, &id))
		*err = rd_kafka_mock_broker_set_down(b->mc, (int32_t)id);
	else if (strcmp(w[0], "up") == 0 && n == 2 && parse_int(w[1], 1, b->n_brokers, &id))
		*err = rd_kafka_mock_broker_set_up(b->mc, (int32_t)id);
	else if (strcmp(w[0], "rtt") == 0 && n == 3 && parse_int(w[1], 1, b->n_brokers, &id) &&
		 parse_int(w[2], 0, 3600000, &ms))
		*err = rd_kafka_mock_broker_set_rtt(b->mc, (int32_t)id, (int)ms);
	else if (strcmp(w[0], "leader") == 0 && n == 4 && parse_int(w[2], 0, INT32_MAX, &part) &&
		 parse_int(w[3], -1, b->n_brokers, &id))
		*err = rd_kafka_mock_partition_set_leader(b->mc, w[1], (int32_t)part, (int32_t)id);
	else if (strcmp(w[0], "topic") == 0 && n == 3 && parse_int(w[2], 1, 10000, &count))
		*err = rd_kafka_mock_topic_create(b->mc, w[1], (int)count,
						  b->n_brokers < 3 ? 1 : 3);
	else if (strcmp(w[0], "errors") == 0 && n == 4 && parse_int(w[1], 0, INT16_MAX, &api_key) &&
		 parse_int(w[2], 1, CMD_MAX_ERRORS, &count) && parse_error_code(w[3], &code))
		*err = push_errors(b, api_key, count, code);
	else {
		snprintf(errbuf, errlen,
			 "usage: down ID | up ID | alldown | allup | rtt ID MS | "
			 "leader TOPIC PARTITION ID | topic NAME PARTITIONS | errors APIKEY COUNT "
			 "CODE "
			 "(broker ids 1..%d)",
			 b->n_brokers);
		return false;
	}
	return true;
}

int rsd_broker_command(struct rsd_broker *b, const char *line, char *errbuf, size_t errlen)
{
	char *copy = strdup(line), *words[CMD_MAX_WORDS];
	rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
	int n, rc = 0;

	if (!copy) {
		snprintf(errbuf, errlen, "out of memory");
		return -ENOMEM;
	}
	n = split_words(copy, words, CMD_MAX_WORDS);
	if (n <= 0) {
		snprintf(errbuf, errlen, n == 0 ? "empty command" : "too many words");
		rc = -EINVAL;
	} else if (!run_command(b, words, n, &err, errbuf, errlen)) {
		rc = -EINVAL;
	} else if (err) {
		snprintf(errbuf, errlen, "%s: %s", rd_kafka_err2name(err), rd_kafka_err2str(err));
		rc = -EINVAL;
	}
	free(copy);
	return rc;
}
