/* SPDX-License-Identifier: MIT */
/* Command line: run the daemon, check a configuration, extract recipes from
 * files, forget crawl state, or run a standalone development broker
 * (docs/architecture.md "Command line and exit codes"; recipe-scraperd(8)). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "kafka/broker_embedded.h"
#include "daemon/cli.h"
#include "config/config.h"
#include "daemon/daemon.h"
#include "daemon/reload_cli.h"
#include "daemon/state_cli.h"
#include "extract/extract.h"

static const char usage_text[] =
	"Usage: recipe-scraperd [-c FILE] [--once]\n"
	"       recipe-scraperd -t|--check-config [-c FILE]\n"
	"       recipe-scraperd extract [--url URL] FILE...\n"
	"       recipe-scraperd state forget [-c FILE] [-n] [-q] (--host HOST | --url REGEX | "
	"--all)\n"
	"       recipe-scraperd reload [--pid PID] [--timeout SECONDS]\n"
	"       recipe-scraperd broker [--port N] [--stdin-commands]\n"
	"       recipe-scraperd --version | --help\n"
	"\n"
	"Crawl recipe sites, publish each recipe as a JSON record to Kafka, and write\n"
	"the records consumed back from Kafka to the journal.\n"
	"\n"
	"Options:\n"
	"  -c, --config=FILE     configuration file\n"
	"                        (default " RSD_DEFAULT_CONFIG_PATH ")\n"
	"      --once            crawl until the frontier is empty, wait until every\n"
	"                        record is acknowledged and consumed, then exit\n"
	"  -t, -n, --check-config\n"
	"                        validate the configuration and exit (78 on errors)\n"
	"  -h, --help            show this help and exit\n"
	"  -V, --version         show the version and exit\n"
	"\n"
	"Commands:\n"
	"  extract [--url URL] FILE...\n"
	"                        print one JSON record per FILE, one line each, in\n"
	"                        order ({} when a page has no recipe)\n"
	"  state forget [-c FILE] [-n] [-q] (--host HOST | --url REGEX | --all)\n"
	"                        forget what the crawl state in state_dir knows about\n"
	"                        the pages of HOST, the URLs matching the extended\n"
	"                        REGEX, or every page (fetch metadata and delivered\n"
	"                        marks of every cluster): the daemon fetches and\n"
	"                        delivers them again. Prints each URL forgotten (not\n"
	"                        with -q, --quiet) and their count; -n, --dry-run\n"
	"                        only prints. Refuses (75) while a daemon holds\n"
	"                        state_dir: stop it first\n"
	"  reload [--pid PID] [--timeout SECONDS]\n"
	"                        make the daemon ($MAINPID, or PID) reload its\n"
	"                        configuration (SIGHUP) and wait for its verdict on\n"
	"                        that reload in $RUNTIME_DIRECTORY, at most SECONDS\n"
	"                        (default 80): 0 applied, 78 rejected (the file's\n"
	"                        errors on stderr; the previous configuration runs\n"
	"                        on), 1 otherwise. The unit's ExecReload=\n"
	"  broker [--port N] [--stdin-commands]\n"
	"                        run an in-memory development Kafka cluster and print\n"
	"                        its bootstrap servers; stops on SIGINT/SIGTERM.\n"
	"                        Reads fault-injection commands on stdin, one a line,\n"
	"                        answering \"ok\" or \"error: ...\" on stdout:\n"
	"                          down ID, up ID, alldown, allup   (broker ids 1-3)\n"
	"                          rtt ID MS                        slow broker ID\n"
	"                          leader TOPIC PARTITION ID        move a leader\n"
	"                          topic NAME PARTITIONS            create a topic\n"
	"                          errors APIKEY COUNT CODE         fail the next COUNT\n"
	"                            requests of a Kafka API (0 Produce, 8 OffsetCommit)\n"
	"                            with CODE (number or name, e.g. REQUEST_TIMED_OUT)\n"
	"      --stdin-commands  also stop at the end of stdin (without it, the end of\n"
	"                        stdin, e.g. /dev/null under a service manager, only\n"
	"                        ends reading commands)\n"
	"\n"
	"Exit status: 0 success, 1 failure, 64 usage error, 65 unreadable input\n"
	"(extract), 69 Kafka unavailable (--once), 75 state_dir in use by another\n"
	"process (daemon, state forget), 78 configuration error.\n"
	"\n"
	"Full documentation: recipe-scraperd(8), recipe-scraperd.ini(5).\n"
	"Report bugs to: <https://github.com/recipe-scraperd/recipe-scraperd/issues>\n"
	"recipe-scraperd home page: <https://github.com/recipe-scraperd/recipe-scraperd>\n";

static const char version_text[] =
	"recipe-scraperd " RSD_VERSION "\n"
	"Copyright (C) 2026 The recipe-scraperd authors.\n"
	"License MIT: <https://opensource.org/licenses/MIT>.\n"
	"This is free software: you are free to change and redistribute it.\n"
	"There is NO WARRANTY, to the extent permitted by law.\n";

static int check_config(const char *path)
{
	struct rsd_config *cfg = NULL;
	struct rsd_config_diag diag = { 0 };

	int rc = rsd_config_load(path, &cfg, &diag);
	for (size_t i = 0; i < diag.n; i++)
		fprintf(stderr, "%s\n", diag.messages[i]);
	rsd_config_diag_clear(&diag);
	rsd_config_free(cfg);
	if (rc < 0)
		return RSD_EXIT_CONFIG;
	fprintf(stderr, "%s: configuration OK\n", path);
	return RSD_EXIT_OK;
}

/* getopt runs with opterr = 0: one message of our own per bad option.
 * optopt is the option character when one was recognised but lacks its
 * argument (or is unknown); argv[optind - 1] is the word as typed. */
static int bad_option(const char *command, char **argv)
{
	const char *prefix = command ? command : "", *sep = command ? ": " : "";
	const char *typed = argv[optind - 1];
	if (optopt && strchr("cup", optopt))
		return rsd_usage_error("%s%soption '%s' requires an argument", prefix, sep, typed);
	return rsd_usage_error("%s%sunrecognized option '%s'", prefix, sep, typed);
}

/* ---- extract --------------------------------------------------------------- */

static int read_file(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	char *buf = NULL;
	size_t size = 0, used = 0;
	for (;;) {
		if (used == size) {
			size = size ? size * 2 : 65536;
			char *grown = realloc(buf, size);
			if (!grown) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = grown;
		}
		size_t n = fread(buf + used, 1, size - used, f);
		used += n;
		if (n == 0)
			break;
	}
	int err = ferror(f) ? -EIO : 0;
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	*data = buf;
	*len = used;
	return 0;
}

/* Without --url a file gets a file:// URL, so relative links and images
 * still resolve to something stable and recognisable. */
static char *page_url_for(const char *path, const char *url)
{
	char resolved[PATH_MAX], *out = NULL;
	if (url)
		return strdup(url);
	if (!realpath(path, resolved))
		return NULL;
	if (asprintf(&out, "file://%s", resolved) < 0)
		return NULL;
	return out;
}

static int extract_one(rsd_extractor *x, const char *path, const char *url)
{
	char *html = NULL, *page_url = NULL, *json = NULL;
	size_t len = 0;
	struct rsd_extract_result res = { 0 };
	int rc = read_file(path, &html, &len);

	if (rc < 0) {
		fprintf(stderr, "recipe-scraperd: %s: %s\n", path, strerror(-rc));
		puts("{}");
		return RSD_EXIT_DATAERR;
	}
	page_url = page_url_for(path, url);
	rc = page_url ? rsd_extract(x, html, len, page_url, NULL, 0, &res) : -ENOMEM;
	if (rc < 0) {
		fprintf(stderr, "recipe-scraperd: %s: extraction failed: %s\n", path,
			strerror(-rc));
		puts("{}");
	} else {
		json = res.record ? cJSON_PrintUnformatted(res.record) : NULL;
		puts(json ? json : "{}");
	}
	free(json);
	rsd_extract_result_clear(&res);
	free(page_url);
	free(html);
	return rc < 0 ? RSD_EXIT_DATAERR : RSD_EXIT_OK;
}

static int cmd_extract(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *url = NULL;
	int c, code = RSD_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, "u:h", opts, NULL)) != -1) {
		if (c == 'u')
			url = optarg;
		else if (c == 'h' || c == 'V')
			return fputs(c == 'h' ? usage_text : version_text, stdout), RSD_EXIT_OK;
		else
			return bad_option("extract", argv);
	}
	if (optind >= argc)
		return rsd_usage_error("extract: no FILE given");

	rsd_extractor *x = NULL;
	if (rsd_extractor_new(&x) < 0)
		return RSD_EXIT_FAILURE;
	for (int i = optind; i < argc; i++) {
		if (extract_one(x, argv[i], url) != RSD_EXIT_OK)
			code = RSD_EXIT_DATAERR;
	}
	rsd_extractor_free(x);
	return code;
}

/* ---- broker ---------------------------------------------------------------- */

/* Fault-injection commands arrive on stdin, one a line, so that tests can
 * drive a broker process that outlives the daemon under test; each line is
 * answered on stdout with "ok" or "error: REASON". */
struct command_reader {
	char buf[1024];
	size_t len;
	bool discarding; /* inside an over-long line: skip to its end */
};

static void answer_command(struct rsd_broker *b, const char *line)
{
	char err[512];
	if (rsd_broker_command(b, line, err, sizeof err) < 0)
		printf("error: %s\n", err);
	else
		puts("ok");
	fflush(stdout);
}

/* Answers every complete line in r->buf, keeps the incomplete rest. */
static void answer_lines(struct rsd_broker *b, struct command_reader *r)
{
	char *start = r->buf, *nl;
	while ((nl = memchr(start, '\n', r->len - (size_t)(start - r->buf))) != NULL) {
		*nl = '\0';
		if (!r->discarding)
			answer_command(b, start);
		r->discarding = false;
		start = nl + 1;
	}
	r->len -= (size_t)(start - r->buf);
	memmove(r->buf, start, r->len);
	if (r->len == sizeof r->buf) {
		if (!r->discarding) {
			puts("error: command too long");
			fflush(stdout);
		}
		r->discarding = true;
		r->len = 0;
	}
}

/* Reads what stdin has and answers it; false at the end of input (a last
 * line without a newline is answered first) or on a read error. */
static bool read_commands(struct rsd_broker *b, struct command_reader *r)
{
	ssize_t n = read(STDIN_FILENO, r->buf + r->len, sizeof r->buf - r->len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n > 0) {
		r->len += (size_t)n;
		answer_lines(b, r);
		return true;
	}
	if (r->len && !r->discarding) {
		r->buf[r->len] = '\n';
		r->len++;
		answer_lines(b, r);
	}
	return false;
}

/* Serves commands until SIGINT/SIGTERM, or the end of stdin when
 * stop_at_eof. Without it the end of stdin (/dev/null in a service) only
 * stops the reading. */
static int serve_broker(struct rsd_broker *b, bool stop_at_eof)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0)
		return -errno;
	struct command_reader reader = { .len = 0 };
	struct pollfd fds[] = { { sfd, POLLIN, 0 }, { STDIN_FILENO, POLLIN, 0 } };
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[0].revents)
			break;
		if (fds[1].revents && !read_commands(b, &reader)) {
			if (stop_at_eof)
				break;
			fds[1].fd = -1; /* poll ignores it from now on */
		}
	}
	close(sfd);
	return 0;
}

static int cmd_broker(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "stdin-commands", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	static const char *const topics[] = { "parsed_recipes", "raw_recipes" };
	int c, port = 0;
	bool stop_at_eof = false;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
		if (c == 'p') {
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 65535)
				return rsd_usage_error("broker: --port %s is not a port number",
						       optarg);
			port = (int)v;
		} else if (c == 's') {
			stop_at_eof = true;
		} else if (c == 'h' || c == 'V') {
			return fputs(c == 'h' ? usage_text : version_text, stdout), RSD_EXIT_OK;
		} else {
			return bad_option("broker", argv);
		}
	}

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	pthread_sigmask(SIG_BLOCK, &mask, NULL); /* before librdkafka starts threads */

	char err[512];
	struct rsd_broker *b = NULL;
	if (rsd_broker_new(3, 6, topics, 2, port, err, sizeof err, &b) < 0) {
		fprintf(stderr, "recipe-scraperd: cannot start the broker: %s\n", err);
		return RSD_EXIT_UNAVAILABLE;
	}
	printf("%s\n", rsd_broker_bootstrap(b));
	fflush(stdout);
	fprintf(stderr,
		"recipe-scraperd: in-memory development broker running at %s; "
		"data is lost when it stops (SIGINT/SIGTERM%s)\n",
		rsd_broker_bootstrap(b), stop_at_eof ? ", end of stdin" : "");
	serve_broker(b, stop_at_eof);
	rsd_broker_free(b);
	return RSD_EXIT_OK;
}

/* ---- main ------------------------------------------------------------------ */

/* glibc's malloc, tuned for this daemon's two kinds of large buffer.
 *
 * Page bodies (hundreds of KB, allocated by one thread and freed by
 * another) come from a bounded pool (core/bufpool.h), so their memory no
 * longer depends on these settings.
 *
 * librdkafka's broker threads allocate each compressed message set's
 * output buffer afresh: lz4's bound of a 1,000,000-byte batch.size, about
 * 1 MiB. Above the mmap threshold every one was a new mapping, faulted in a
 * page at a time and unmapped with TLB shootdowns after its produce
 * response: half the broker threads' CPU with the raw topic on (medians of
 * 8,192-page runs under load: 4.1 against 2.2 ms of daemon CPU per page).
 * A fixed threshold of 1.5 MiB (a fixed one also keeps glibc from raising
 * it to the largest buffer freed, up to a 10 MiB page) lets such buffers be
 * reused from the heap, and a 4 MiB trim threshold keeps a freed one from
 * being given back only to be faulted in again.
 *
 * Each thread that allocates would otherwise get an arena of its own (up to
 * 8 per core), and every broker thread's arena would keep its freed buffers:
 * peak RSS 80 MB against 54 MB with two arenas (medians of the same runs),
 * at the same CPU. Once extraction got faster, two arenas still peaked at
 * 116-120 MB with the raw topic on (8,192 pages, quiet machine); one arena
 * peaked at 62-65 MB at the same CPU (1.71-1.76 against 1.66-1.80 ms per
 * page): the scrapers and the broker threads take the lock briefly, and
 * what one thread frees the next allocation anywhere reuses. */
#define RSD_MALLOC_MMAP_THRESHOLD (1536 * 1024)
#define RSD_MALLOC_TRIM_THRESHOLD (4 * 1024 * 1024)
#define RSD_MALLOC_ARENAS 1

static void tune_malloc(void)
{
	(void)mallopt(M_ARENA_MAX, RSD_MALLOC_ARENAS);
	(void)mallopt(M_MMAP_THRESHOLD, RSD_MALLOC_MMAP_THRESHOLD);
	(void)mallopt(M_TRIM_THRESHOLD, RSD_MALLOC_TRIM_THRESHOLD);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "check-config", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		/* Undocumented: the config table as Markdown, for docs/configuration.md. */
		{ "dump-config-keys", no_argument, NULL, 'D' },
		{ 0 },
	};
	struct rsd_daemon_options opt = { .config_path = RSD_DEFAULT_CONFIG_PATH };
	bool check = false;
	int c;

	opterr = 0;
	if (argc > 1 && strcmp(argv[1], "extract") == 0)
		return cmd_extract(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "broker") == 0)
		return cmd_broker(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "state") == 0)
		return rsd_cmd_state(argc - 1, argv + 1, usage_text);
	if (argc > 1 && strcmp(argv[1], "reload") == 0)
		return rsd_cmd_reload(argc - 1, argv + 1, usage_text);

	while ((c = getopt_long(argc, argv, "c:tnhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			opt.config_path = optarg;
			break;
		case 'o':
			opt.once = true;
			break;
		case 't':
		case 'n':
			check = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return RSD_EXIT_OK;
		case 'V':
			fputs(version_text, stdout);
			return RSD_EXIT_OK;
		case 'D':
			return rsd_config_write_reference(stdout) < 0 ? RSD_EXIT_FAILURE
								      : RSD_EXIT_OK;
		default:
			return bad_option(NULL, argv);
		}
	}
	if (optind < argc)
		return rsd_usage_error("unexpected argument '%s'", argv[optind]);
	if (check)
		return check_config(opt.config_path);
	tune_malloc();
	return rsd_daemon_run(&opt);
}
