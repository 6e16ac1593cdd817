/* SPDX-License-Identifier: MIT */
#include "delivery.h"
#include "check_main.h"

#include <check.h>
#include <ctype.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define POLL_STEP_MS 100

/* ---- cleanup after failures ------------------------------------------- */

#define REAPER_SLOTS 16

static pid_t *reaper_pids; /* MAP_SHARED: written by the test child, read by the runner */

void reaper_setup(void)
{
	reaper_pids = mmap(NULL, REAPER_SLOTS * sizeof(pid_t), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (reaper_pids == MAP_FAILED)
		reaper_pids = NULL;
}

void reaper_teardown(void)
{
	if (!reaper_pids)
		return;
	for (int i = 0; i < REAPER_SLOTS; i++)
		if (reaper_pids[i] > 0)
			kill(reaper_pids[i], SIGKILL);
	munmap(reaper_pids, REAPER_SLOTS * sizeof(pid_t));
	reaper_pids = NULL;
}

void reaper_add(pid_t pid)
{
	for (int i = 0; reaper_pids && i < REAPER_SLOTS; i++) {
		if (reaper_pids[i] <= 0) {
			reaper_pids[i] = pid;
			return;
		}
	}
}

void reaper_forget(pid_t pid)
{
	for (int i = 0; reaper_pids && i < REAPER_SLOTS; i++)
		if (reaper_pids[i] == pid)
			reaper_pids[i] = 0;
}

/* ---- the site ---------------------------------------------------------- */

/* One template for every recipe: only the number changes, so the expected
 * set is simply recipe-00 .. recipe-(n-1). Calories alternate around the
 * threshold so that both journal priorities occur. */
static const char recipe_template[] =
	"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	"<title>Delivery Recipe %u</title>\n"
	"<script type=\"application/ld+json\">\n"
	"{\"@context\": \"https://schema.org\", \"@type\": \"Recipe\",\n"
	" \"name\": \"Delivery Recipe %u\", \"author\": {\"@type\": \"Person\", \"name\": \"Tess "
	"Ter\"},\n"
	" \"description\": \"Generated recipe number %u for the delivery tests.\",\n"
	" \"recipeYield\": \"2 servings\", \"totalTime\": \"PT%uM\",\n"
	" \"recipeIngredient\": [\"%u g flour\", \"1 egg\"],\n"
	" \"recipeInstructions\": [{\"@type\": \"HowToStep\", \"text\": \"Mix and bake.\"}],\n"
	" \"nutrition\": {\"@type\": \"NutritionInformation\", \"calories\": \"%u kcal\"}}\n"
	"</script></head>\n<body><h1>Delivery Recipe %u</h1>"
	"<p><a href=\"../index.html\">All recipes</a></p></body></html>\n";

static void make_dir(const char *path)
{
	ck_assert_msg(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", path,
		      strerror(errno));
}

char *site_recipe_page(unsigned i)
{
	char *html = NULL;
	ck_assert_int_ge(asprintf(&html, recipe_template, i, i, i, 10 + i, 100 + i,
				  i % 2 ? 150 + i : 250 + i, i),
			 0);
	return html;
}

void site_start(struct site *s, const char *dir, unsigned n, unsigned delay_ms)
{
	char path[512];
	ck_assert_uint_le(n, SITE_MAX_RECIPES);
	memset(s, 0, sizeof *s);
	s->n = n;
	snprintf(path, sizeof path, "%s/site", dir);
	make_dir(path);
	snprintf(path, sizeof path, "%s/site/recipes", dir);
	make_dir(path);
	ck_assert_int_eq(rsd_httpd_start(dir, &s->httpd), 0);
	const char *base = rsd_httpd_base(s->httpd);

	char *index = NULL;
	size_t index_len = 0;
	FILE *idx = open_memstream(&index, &index_len);
	ck_assert_ptr_nonnull(idx);
	fputs("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Index</title></head>"
	      "<body><ul>\n",
	      idx);
	for (unsigned i = 0; i < n; i++) {
		ck_assert_int_ge(asprintf(&s->paths[i], "/site/recipes/recipe-%02u.html", i), 0);
		ck_assert_int_ge(asprintf(&s->urls[i], "%s%s", base, s->paths[i]), 0);
		fprintf(idx, "<li><a href=\"recipes/recipe-%02u.html\">Recipe %u</a></li>\n", i, i);

		char *html = site_recipe_page(i);
		snprintf(path, sizeof path, "%s%s", dir, s->paths[i]);
		harness_write_file(path, html);
		/* The route serves the same page, late: faults land mid-crawl. */
		struct rsd_httpd_route r = { .path = s->paths[i],
					     .body = html,
					     .delay_ms = delay_ms };
		ck_assert_int_eq(rsd_httpd_route(s->httpd, &r), 0);
		free(html);
	}
	fputs("</ul></body></html>\n", idx);
	fclose(idx);
	snprintf(path, sizeof path, "%s/site/index.html", dir);
	harness_write_file(path, index);
	free(index);
	snprintf(path, sizeof path, "%s/site/empty.html", dir);
	harness_write_file(path, "<!doctype html>\n<html><head><title>Nothing</title></head>"
				 "<body><p>No recipe here.</p></body></html>\n");
	snprintf(s->index_url, sizeof s->index_url, "%s/site/index.html", base);
	snprintf(s->empty_url, sizeof s->empty_url, "%s/site/empty.html", base);
}

void site_stop(struct site *s)
{
	rsd_httpd_free(s->httpd);
	for (unsigned i = 0; i < s->n; i++) {
		free(s->paths[i]);
		free(s->urls[i]);
	}
	memset(s, 0, sizeof *s);
}

int site_recipe_of_path(const struct site *s, const char *path)
{
	for (unsigned i = 0; i < s->n; i++)
		if (strcmp(s->paths[i], path) == 0)
			return (int)i;
	return -1;
}

int site_recipe_of_url(const struct site *s, const char *url)
{
	for (unsigned i = 0; i < s->n; i++)
		if (strcmp(s->urls[i], url) == 0)
			return (int)i;
	return -1;
}

unsigned site_recipe_requests(const struct site *s, int64_t since_ms, unsigned *counts)
{
	struct rsd_httpd_request *log = NULL;
	size_t n = rsd_httpd_log(s->httpd, &log);
	unsigned total = 0;

	if (counts)
		memset(counts, 0, s->n * sizeof *counts);
	for (size_t i = 0; i < n; i++) {
		int rc = site_recipe_of_path(s, log[i].path);
		if (rc < 0 || log[i].at_ms < since_ms)
			continue;
		total++;
		if (counts)
			counts[rc]++;
	}
	free(log);
	return total;
}

/* ---- the broker process ------------------------------------------------ */

/* One line from fd within timeout_ms (the broker answers each command with
 * exactly one line, so reading byte by byte never consumes the next one). */
static bool read_line(int fd, char *buf, size_t len, int timeout_ms)
{
	size_t used = 0;
	while (used + 1 < len) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return false;
		char c;
		ssize_t n = read(fd, &c, 1);
		if (n <= 0)
			return false;
		if (c == '\n')
			break;
		buf[used++] = c;
	}
	buf[used] = '\0';
	return true;
}

void broker_start(struct broker *b, const char *dir)
{
	const char *binary = getenv("RSD_BINARY");
	int in[2], out[2];

	ck_assert_ptr_nonnull(binary);
	memset(b, 0, sizeof *b);
	snprintf(b->stderr_path, sizeof b->stderr_path, "%s/broker.stderr", dir);
	ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	b->pid = fork();
	ck_assert_int_ge(b->pid, 0);
	if (b->pid == 0) {
		int err = open(b->stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (err < 0 || dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err, 2) < 0)
			_exit(127);
		execl(binary, "recipe-scraperd", "broker", "--stdin-commands", (char *)NULL);
		_exit(127);
	}
	reaper_add(b->pid);
	close(in[0]);
	close(out[1]);
	b->cmd_fd = in[1];
	b->reply_fd = out[0];
	/* Under ASan the start takes a few seconds. */
	ck_assert_msg(read_line(b->reply_fd, b->bootstrap, sizeof b->bootstrap, 60000),
		      "the broker printed no bootstrap servers");
	ck_assert_msg(strchr(b->bootstrap, ':') != NULL, "bootstrap: %s", b->bootstrap);
}

void broker_cmd(struct broker *b, const char *fmt, ...)
{
	char cmd[256], reply[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	size_t len = strlen(cmd);
	cmd[len++] = '\n';
	ck_assert_int_eq(write(b->cmd_fd, cmd, len), (ssize_t)len);
	cmd[len - 1] = '\0';
	ck_assert_msg(read_line(b->reply_fd, reply, sizeof reply, 30000), "no answer to '%s'", cmd);
	ck_assert_msg(strcmp(reply, "ok") == 0, "'%s': %s", cmd, reply);
	printf("broker: %s\n", cmd);
	fflush(stdout);
}

void broker_stop(struct broker *b)
{
	int status = -1;

	if (b->pid <= 0)
		return;
	close(b->cmd_fd); /* end of stdin: it stops */
	ck_assert_int_eq(waitpid(b->pid, &status, 0), b->pid);
	reaper_forget(b->pid);
	close(b->reply_fd);
	b->pid = 0;
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "broker status %d", status);
}

/* ---- consumed records --------------------------------------------------- */

void tally_init(struct tally *t, const struct site *s)
{
	memset(t, 0, sizeof *t);
	t->n = s->n;
}

static void tally_line(struct tally *t, const struct site *s, const char *line)
{
	cJSON *e = cJSON_Parse(line);
	ck_assert_msg(e != NULL, "sink line is not JSON: %.200s", line);
	const cJSON *url = cJSON_GetObjectItemCaseSensitive(e, "RECIPE_URL");
	const cJSON *part = cJSON_GetObjectItemCaseSensitive(e, "KAFKA_PARTITION");
	int rc = cJSON_IsString(url) ? site_recipe_of_url(s, url->valuestring) : -1;
	if (rc < 0)
		t->foreign++;
	else
		t->count[rc]++;
	if (cJSON_IsString(part)) {
		long p = strtol(part->valuestring, NULL, 10);
		if (p >= 0 && p < 64)
			t->partitions |= UINT64_C(1) << p;
	}
	t->lines++;
	cJSON_Delete(e);
}

void tally_add_head(struct tally *t, const struct site *s, const char *path, unsigned lines)
{
	char *text = harness_slurp(path), *line = text, *nl;
	for (unsigned n = 0; n < lines && (nl = strchr(line, '\n')) != NULL; n++) {
		*nl = '\0';
		if (*line)
			tally_line(t, s, line);
		line = nl + 1;
	}
	free(text);
}

void tally_add_file(struct tally *t, const struct site *s, const char *path)
{
	tally_add_head(t, s, path, UINT_MAX);
}

unsigned tally_lost(const struct tally *t)
{
	unsigned lost = 0;
	for (unsigned i = 0; i < t->n; i++)
		lost += t->count[i] == 0;
	return lost;
}

unsigned tally_duplicates(const struct tally *t)
{
	unsigned dup = 0;
	for (unsigned i = 0; i < t->n; i++)
		dup += t->count[i] > 1 ? t->count[i] - 1 : 0;
	return dup;
}

void tally_report_and_assert(const struct tally *t, const char *name)
{
	unsigned lost = tally_lost(t);
	printf("%s: %u recipes, consumed %u distinct (%u lines), lost %u\n", name, t->n,
	       t->n - lost, t->lines, lost);
	printf("duplicates: %u\n", tally_duplicates(t));
	for (unsigned i = 0; i < t->n; i++)
		if (t->count[i] == 0)
			printf("  lost: recipe-%02u\n", i);
	fflush(stdout);
	ck_assert_msg(lost == 0, "%s: %u recipes lost", name, lost);
	ck_assert_msg(t->foreign == 0, "%s: %u entries of unknown URLs", name, t->foreign);
}

void tally_report_against_log(const struct tally *consumed, const struct tally *in_log,
			      const char *name)
{
	unsigned missing_in_log = 0, lost = 0;
	for (unsigned i = 0; i < consumed->n; i++) {
		if (in_log->count[i] == 0) {
			missing_in_log++;
			printf("  not in the broker log: recipe-%02u%s\n", i,
			       consumed->count[i] ? " (but consumed?)" : "");
		} else if (consumed->count[i] == 0) {
			lost++;
			printf("  lost: recipe-%02u (in the broker log, never consumed)\n", i);
		}
	}
	printf("%s: %u recipes, %u in the broker log, consumed %u distinct (%u lines), lost %u\n",
	       name, consumed->n, consumed->n - missing_in_log, consumed->n - tally_lost(consumed),
	       consumed->lines, lost);
	printf("not in the broker log although acknowledged (mock cluster): %u\n", missing_in_log);
	printf("duplicates: %u\n", tally_duplicates(consumed));
	fflush(stdout);
	ck_assert_msg(lost == 0, "%s: %u recipes in Kafka were not consumed", name, lost);
	ck_assert_msg(consumed->foreign == 0, "%s: %u entries of unknown URLs", name,
		      consumed->foreign);
}

static rd_kafka_t *log_reader_new(const char *bootstrap)
{
	char err[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	ck_assert_int_eq(rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof err),
			 RD_KAFKA_CONF_OK);
	ck_assert_int_eq(rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err),
			 RD_KAFKA_CONF_OK);
	/* assign() needs a group id; it neither joins nor commits. */
	ck_assert_int_eq(
		rd_kafka_conf_set(conf, "group.id", "delivery-log-reader", err, sizeof err),
		RD_KAFKA_CONF_OK);
	ck_assert_int_eq(rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err),
			 RD_KAFKA_CONF_OK);
	ck_assert_int_eq(rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err),
			 RD_KAFKA_CONF_OK);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
	ck_assert_msg(rk != NULL, "log reader: %s", err);
	return rk;
}

void tally_broker_log(struct tally *t, const struct site *s, const struct broker *b,
		      const char *topic)
{
	rd_kafka_t *rk = log_reader_new(b->bootstrap);
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	const struct rd_kafka_metadata *md = NULL;
	ck_assert_int_eq(rd_kafka_metadata(rk, 0, rkt, &md, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
	ck_assert_int_eq(md->topic_cnt, 1);
	int parts = md->topics[0].partition_cnt, at_end = 0;
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(parts);
	for (int p = 0; p < parts; p++)
		rd_kafka_topic_partition_list_add(l, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
	ck_assert_int_eq(rd_kafka_assign(rk, l), RD_KAFKA_RESP_ERR_NO_ERROR);
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_metadata_destroy(md);

	/* Bounded: 60 polls of at most 1 s each. */
	for (int polls = 0; at_end < parts && polls < 60;) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
		if (!m) {
			polls++;
			continue;
		}
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			at_end++;
		} else if (!m->err) {
			char key[512];
			snprintf(key, sizeof key, "%.*s", (int)m->key_len, (const char *)m->key);
			int rc = site_recipe_of_url(s, key);
			if (rc < 0)
				t->foreign++;
			else
				t->count[rc]++;
			t->lines++;
		}
		rd_kafka_message_destroy(m);
	}
	ck_assert_msg(at_end == parts, "read only %d of %d partitions to their end", at_end, parts);
	rd_kafka_consumer_close(rk);
	rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(rk);
}

/* ---- crawl state -------------------------------------------------------- */

unsigned state_delivered(const struct site *s, const char *state_dir, bool *delivered)
{
	char path[512];
	unsigned n = 0;

	snprintf(path, sizeof path, "%s/crawl.log", state_dir);
	memset(delivered, 0, s->n * sizeof *delivered);
	char *text = harness_slurp(path), *line = text, *nl;
	while ((nl = strchr(line, '\n')) != NULL) {
		*nl = '\0';
		/* "A <cluster id> <topic> <hash> <url>": the URL is the last field. */
		const char *last = strrchr(line, ' ');
		if (line[0] == 'A' && line[1] == ' ' && last) {
			int rc = site_recipe_of_url(s, last + 1);
			if (rc >= 0 && !delivered[rc]) {
				delivered[rc] = true;
				n++;
			}
		}
		line = nl + 1;
	}
	free(text);
	return n;
}

/* ---- the daemon --------------------------------------------------------- */

static const char conf_template[] =
	"[daemon]\n"
	"state_dir = @STATE@\n"
	"shutdown_timeout_s = @SHUTDOWN@\n"
	"[scraper]\n"
	"start_urls = @START@\n"
	"threads = 2\n"
	"delay_ms = @DELAY@\n"
	"max_connections_per_host = @CONNS@\n"
	"allow_private_addresses = on\n"
	"robots = off\n"
	"timeout_s = 30\n"
	"@SCRAPER@\n"
	"[ring]\n"
	"capacity = 8\n"
	"[kafka]\n"
	"brokers = @BROKERS@\n"
	"@KAFKA@\n"
	"[producer]\n"
	"topic = parsed_recipes\n"
	"raw_topic = @RAW@\n"
	"@PRODUCER@\n"
	"[consumer]\n"
	"enabled = @CONSUMER_ENABLED@\n"
	"group_id = @GROUP@\n"
	/* A member that left (or was killed) is waited for until its session
	 * times out before the group rebalances (librdkafka 2.0.2 with its mock
	 * cluster: about 45 s by default, also with kcat); 6 s keeps the
	 * restarts of these tests short. */
	"session.timeout.ms = 6000\n"
	"heartbeat.interval.ms = 500\n"
	"@CONSUMER@\n"
	"[journal]\n"
	"sink = stdout\n"
	"@SECTIONS@\n";

/* The template's @NAME@ markers: c's value, else the default (NULL: none). */
struct conf_var {
	const char *name, *value, *def;
};

void write_daemon_conf(const struct harness_proc *p, const struct daemon_conf *c)
{
	char state[256], path[256];
	snprintf(state, sizeof state, "%s/state", p->dir);
	const struct conf_var set[] = {
		{ "STATE", c->state_dir, state },
		{ "SHUTDOWN", c->shutdown_s, "30" },
		{ "START", c->start_url, NULL },
		{ "DELAY", c->delay_ms, "0" },
		{ "CONNS", c->conns_per_host, "2" },
		{ "BROKERS", c->brokers, NULL },
		{ "SCRAPER", c->scraper_extra, "" },
		{ "KAFKA", c->kafka_extra, "" },
		{ "RAW", c->raw_topic, "" },
		{ "PRODUCER", c->producer_extra, "" },
		{ "CONSUMER_ENABLED", c->consumer_enabled, "on" },
		{ "GROUP", c->group, "delivery" },
		{ "CONSUMER", c->consumer_extra, "" },
		{ "SECTIONS", c->sections_extra, "" },
	};
	enum { N = sizeof set / sizeof set[0] };
	const char *vars[2 * N + 1];
	for (size_t i = 0; i < N; i++) {
		vars[2 * i] = set[i].name;
		vars[2 * i + 1] = set[i].value ? set[i].value : set[i].def;
	}
	vars[2 * N] = NULL;
	char *text = harness_subst(conf_template, vars);
	harness_write_file(harness_path(p, "rsd.ini", path, sizeof path), text);
	free(text);
}

void daemon_start(struct harness_proc *p, bool once)
{
	const char *argv_once[] = { "recipe-scraperd", "--once", "-c", "rsd.ini", NULL };
	const char *argv_daemon[] = { "recipe-scraperd", "-c", "rsd.ini", NULL };
	harness_spawn(p, once ? argv_once : argv_daemon);
	reaper_add(p->pid);
	expect_notify(p, "READY=1", 1, 60000);
}

/* The wait reads the notify socket all along, as a service manager does: a
 * unix datagram socket queues only net.unix.max_dgram_qlen (10) datagrams,
 * after which the daemon's sd_notify() blocks its main thread. */
void expect_notify(struct harness_proc *p, const char *want, int nth, int timeout_ms)
{
	if (!harness_wait_notify(p, want, nth, timeout_ms)) {
		char *err = harness_slurp(p->stderr_path);
		ck_abort_msg("no %s #%d; stderr:\n%.2500s", want, nth, err);
	}
}

bool daemon_hold(struct harness_proc *p, int ms)
{
	struct pollfd pfd = { p->pidfd, POLLIN, 0 };
	harness_wait_notify(p, "RSD_TEST_NEVER_SENT", 1, ms); /* returns early at exit */
	return poll(&pfd, 1, 0) == 0;
}

void wait_recipe_requests(struct harness_proc *p, const struct site *s, int64_t since_ms,
			  unsigned n, int timeout_ms)
{
	for (int waited = 0; site_recipe_requests(s, since_ms, NULL) < n; waited += POLL_STEP_MS) {
		ck_assert_msg(waited < timeout_ms, "only %u of %u recipe requests arrived",
			      site_recipe_requests(s, since_ms, NULL), n);
		ck_assert_msg(daemon_hold(p, POLL_STEP_MS), "the daemon exited early");
	}
}

void wait_progress(struct harness_proc *p, const struct site *s, const char *state_dir,
		   unsigned marked, unsigned consumed, int timeout_ms)
{
	bool delivered[SITE_MAX_RECIPES];
	for (int waited = 0;; waited += POLL_STEP_MS) {
		struct tally t;
		tally_init(&t, s);
		tally_add_file(&t, s, p->stdout_path);
		unsigned m = state_delivered(s, state_dir, delivered);
		if (m >= marked && t.lines >= consumed)
			return;
		ck_assert_msg(waited < timeout_ms, "only %u marked delivered and %u consumed", m,
			      t.lines);
		ck_assert_msg(daemon_hold(p, POLL_STEP_MS), "the daemon exited early");
	}
}

void wait_all_consumed(struct harness_proc *const *procs, int n, const struct site *s,
		       int timeout_ms)
{
	for (int waited = 0;; waited += POLL_STEP_MS) {
		struct tally t;
		tally_init(&t, s);
		for (int i = 0; i < n; i++)
			tally_add_file(&t, s, procs[i]->stdout_path);
		if (tally_lost(&t) == 0)
			return;
		ck_assert_msg(waited < timeout_ms, "%u recipes still not consumed", tally_lost(&t));
		for (int i = 0; i < n; i++)
			ck_assert_msg(daemon_hold(procs[i], POLL_STEP_MS / n),
				      "a daemon exited early");
	}
}

/* The daemon's own summary, for the test log. */
static void print_summary(const struct harness_proc *p)
{
	char *err = harness_slurp(p->stderr_path);
	const char *at = strstr(err, "Stopped after ");
	if (at)
		printf("daemon: %.*s\n", (int)strcspn(at, "\n"), at);
	free(err);
}

void expect_exit(struct harness_proc *p, int code, int timeout_ms)
{
	pid_t pid = p->pid;
	int waited = 0;
	while (waited < timeout_ms && daemon_hold(p, 500))
		waited += 500;
	int got = harness_wait_exit(p, 0);
	if (got >= 0)
		reaper_forget(pid);
	else
		harness_dump_stacks(p);
	if (got != code) {
		char *err = harness_slurp(p->stderr_path);
		const char *status = strstr(p->notified, "STATUS=pages");
		for (const char *next = status; next; next = strstr(next + 1, "STATUS=pages"))
			status = next;
		ck_abort_msg("exit %d, expected %d; last %.300s\nstderr:\n%.2500s", got, code,
			     status ? status : "STATUS: none", err);
	}
	print_summary(p);
}

bool summary_parse(const char *text, struct summary *out)
{
	const char *at = strstr(text, "Stopped after ");
	if (!at || sscanf(at, "Stopped after %*fs: %llu pages fetched (%llu failed)", &out->fetched,
			  &out->failed) != 2)
		return false;
	/* The refused and skipped pages by cause come between: read on from
	 * the number before "records produced". */
	const char *rec = strstr(at, " records produced, ");
	if (!rec)
		return false;
	while (rec > at && isdigit((unsigned char)rec[-1]))
		rec--;
	return sscanf(rec,
		      "%llu records produced, %llu acknowledged, %llu undelivered, %llu consumed",
		      &out->produced, &out->acknowledged, &out->undelivered, &out->consumed) == 4;
}

/* ---- the runner ----------------------------------------------------------- */

int run_scenarios(const char *suite_name, const struct scenario *sc, size_t n, const char *only,
		  bool (*skipped)(const char *name))
{
	Suite *suite = suite_create(suite_name);
	bool found = false;
	for (size_t i = 0; i < n; i++) {
		if (only && strcmp(only, sc[i].name) != 0)
			continue;
		found = true;
		if (skipped && skipped(sc[i].name)) {
			if (only)
				return 77;
			continue;
		}
		TCase *tc = tcase_create(sc[i].name);
		tcase_add_unchecked_fixture(tc, reaper_setup, reaper_teardown);
		tcase_set_timeout(tc, 280);
		tcase_add_test(tc, sc[i].test);
		suite_add_tcase(suite, tc);
	}
	if (!found) {
		fprintf(stderr, "unknown scenario %s\n", only);
		return EXIT_FAILURE;
	}
	return rsd_check_run(suite);
}
