/* SPDX-License-Identifier: MIT */
/* `recipe-scraperd state forget`: the offline way to make the daemon fetch
 * and deliver pages again (a host's, a pattern's, or all), without deleting
 * state_dir and the fetch metadata of everything else.
 *
 * It takes the state directory's lock like the daemon (the log is rewritten
 * and renamed), so it refuses to run while a daemon holds it: stop the
 * daemon first. */
#include "daemon/state_cli.h"

#include <errno.h>
#include <getopt.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/cli.h"
#include "config/config.h"
#include "daemon/daemon.h"
#include "crawl/state.h"
#include "core/url.h"

enum forget_what { FORGET_NONE, FORGET_HOST, FORGET_URL, FORGET_ALL };

struct forget {
	enum forget_what what;
	const char *host;
	regex_t re;
	const char *pattern;
	bool dry_run, quiet;
	const char *config_path;
};

static bool forget_match(void *ctx, const char *url)
{
	const struct forget *f = ctx;
	char *host = NULL;
	bool hit;
	switch (f->what) {
	case FORGET_ALL:
		return true;
	case FORGET_URL:
		return regexec(&f->re, url, 0, NULL, 0) == 0;
	case FORGET_HOST:
		hit = rsd_url_host(url, &host) == 0 && strcasecmp(host, f->host) == 0;
		free(host);
		return hit;
	default:
		return false;
	}
}

static void forget_print(void *ctx, const char *url)
{
	const struct forget *f = ctx;
	if (!f->quiet)
		puts(url);
}

/* One selector; --url compiles its regex. */
static int choose(struct forget *f, enum forget_what what, const char *arg)
{
	if (f->what != FORGET_NONE)
		return rsd_usage_error("state forget: %s", "give one of --host, --url and --all");
	f->what = what;
	if (what == FORGET_HOST)
		f->host = arg;
	if (what != FORGET_URL)
		return 0;
	f->pattern = arg;
	if (regcomp(&f->re, arg, REG_EXTENDED | REG_NOSUB) != 0) {
		f->what = FORGET_NONE;
		return rsd_usage_error(
			"state forget: --url '%s' is not a valid extended regular expression", arg);
	}
	return 0;
}

static int parse_forget(int argc, char **argv, struct forget *f)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "host", required_argument, NULL, 'H' },
		{ "url", required_argument, NULL, 'u' },
		{ "all", no_argument, NULL, 'a' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ 0 },
	};
	int c, rc = 0;
	optind = 1;
	while (rc == 0 && (c = getopt_long(argc, argv, "c:nq", opts, NULL)) != -1) {
		if (c == 'c')
			f->config_path = optarg;
		else if (c == 'n')
			f->dry_run = true;
		else if (c == 'q')
			f->quiet = true;
		else if (c == 'H' || c == 'u' || c == 'a')
			rc = choose(f,
				    c == 'H'   ? FORGET_HOST
				    : c == 'u' ? FORGET_URL
					       : FORGET_ALL,
				    optarg);
		else if (optopt && strchr("cHu", optopt))
			rc = rsd_usage_error("state forget: option '%s' requires an argument",
					     argv[optind - 1]);
		else
			rc = rsd_usage_error("state forget: unrecognized option '%s'",
					     argv[optind - 1]);
	}
	if (rc == 0 && optind < argc)
		rc = rsd_usage_error("state forget: unexpected argument '%s'", argv[optind]);
	if (rc == 0 && f->what == FORGET_NONE)
		rc = rsd_usage_error("state forget: %s",
				     "say what to forget: --host HOST, --url REGEX or --all");
	return rc;
}

/* Opens the configured state; an exit code when that is not possible. */
static int open_state(const char *dir, struct rsd_state **st)
{
	int rc = rsd_state_open(dir, st);
	if (rc == -EWOULDBLOCK) {
		long pid = (long)rsd_state_lock_holder(dir);
		fprintf(stderr,
			"recipe-scraperd: state forget: the state directory %s is in use by "
			"another "
			"process (pid %ld); stop the daemon first\n",
			dir, pid);
		return RSD_EXIT_TEMPFAIL;
	}
	if (rc < 0) {
		fprintf(stderr,
			"recipe-scraperd: state forget: cannot open the crawl state in %s: %s\n",
			dir, strerror(-rc));
		return RSD_EXIT_FAILURE;
	}
	return RSD_EXIT_OK;
}

static int forget_in(struct forget *f, const char *dir)
{
	struct rsd_state *st = NULL;
	int code = open_state(dir, &st);
	if (code != RSD_EXIT_OK)
		return code;
	ssize_t n = rsd_state_forget(st, forget_match, forget_print, f, f->dry_run);
	rsd_state_close(st);
	if (n < 0) {
		fprintf(stderr, "recipe-scraperd: state forget: cannot rewrite %s/crawl.log: %s\n",
			dir, strerror((int)-n));
		return RSD_EXIT_FAILURE;
	}
	fprintf(stderr, "recipe-scraperd: %s %zd page%s in %s\n",
		f->dry_run ? "would forget" : "forgot", n, n == 1 ? "" : "s", dir);
	return RSD_EXIT_OK;
}

static int cmd_forget(int argc, char **argv)
{
	struct forget f = { .config_path = RSD_DEFAULT_CONFIG_PATH };
	int code = parse_forget(argc, argv, &f);
	if (code != RSD_EXIT_OK)
		return code;
	struct rsd_config *cfg = NULL;
	struct rsd_config_diag diag = { 0 };
	if (rsd_config_load(f.config_path, &cfg, &diag) < 0) {
		for (size_t i = 0; i < diag.n; i++)
			fprintf(stderr, "%s\n", diag.messages[i]);
		code = RSD_EXIT_CONFIG;
	} else {
		code = forget_in(&f, cfg->state_dir);
	}
	rsd_config_diag_clear(&diag);
	rsd_config_free(cfg);
	if (f.pattern)
		regfree(&f.re);
	return code;
}

int rsd_cmd_state(int argc, char **argv, const char *usage)
{
	if (argc < 2) {
		return rsd_usage_error("state: no command given (forget)");
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return fputs(usage, stdout), RSD_EXIT_OK;
	if (strcmp(argv[1], "forget") != 0) {
		return rsd_usage_error("state: unknown command '%s' (forget)", argv[1]);
	}
	return cmd_forget(argc - 1, argv + 1);
}
