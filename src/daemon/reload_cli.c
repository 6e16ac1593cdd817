/* SPDX-License-Identifier: MIT */
/* `recipe-scraperd reload`: the unit's ExecReload=. A reload asked for with
 * a bare SIGHUP (kill -HUP) cannot fail in systemd's eyes; this command
 * signals the daemon, then waits for the daemon's verdict on that very
 * reload and exits with it, so that `systemctl reload` fails on a bad file
 * and prints why.
 *
 * Why not `recipe-scraperd -t` first: under DynamicUser= systemd 252 does
 * not let the unit's control processes read the credentials the file refers
 * to (${credential:...}), and a check of its own would not see what the
 * daemon sees anyway (its environment, a file changed in between). The
 * daemon's own verdict has neither problem.
 *
 * Waiting blocks in poll(2) on an inotify watch of the runtime directory
 * (the daemon renames each new verdict into place) and on a pidfd of the
 * daemon (a daemon that exits answers no more), with the timeout as the
 * bound. The generation in the verdict file tells this reload's verdict
 * from an earlier one's (reload_status.h). */
#include "daemon/reload_cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/util.h"
#include "daemon/cli.h"
#include "daemon/daemon.h"
#include "daemon/reload_status.h"

/* Below systemd's default TimeoutStartSec= (90 s), which also bounds
 * ExecReload=: on a timeout the message is ours, not a killed process. A
 * reload drains for at most shutdown_timeout_s (30 s) and checks topics for
 * at most 20 s. */
#define DEFAULT_TIMEOUT_S 80

struct reload_request {
	pid_t pid;
	int timeout_ms;
	char *dir; /* the runtime directory */
};

static int parse_number(const char *text, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < 1 || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_reload(int argc, char **argv, const char *usage, struct reload_request *req)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *pid = getenv("MAINPID");
	long v = DEFAULT_TIMEOUT_S;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'p')
			pid = optarg;
		else if (c == 'T' && parse_number(optarg, 3600, &v) < 0)
			return rsd_usage_error("reload: --timeout %s is not 1..3600 seconds",
					       optarg);
		else if (c == 'h')
			return fputs(usage, stdout), -1;
		else if (c != 'T')
			return rsd_usage_error("reload: unrecognized option '%s'",
					       argv[optind - 1]);
	}
	req->timeout_ms = (int)v * 1000;
	if (optind < argc)
		return rsd_usage_error("reload: unexpected argument '%s'", argv[optind]);
	long n;
	if (!pid)
		return rsd_usage_error("reload: no daemon: MAINPID is not set (systemd sets it for "
				       "ExecReload=) and no --pid given");
	if (parse_number(pid, INT_MAX, &n) < 0)
		return rsd_usage_error("reload: '%s' is not a process id", pid);
	req->pid = (pid_t)n;
	req->dir = rsd_reload_status_dir();
	if (!req->dir)
		return rsd_usage_error(
			"reload: RUNTIME_DIRECTORY is not set: the daemon writes its "
			"verdict there (RuntimeDirectory= in the unit)");
	return 0;
}

/* A pidfd of the daemon, so that its exit ends the wait; -1 where the
 * kernel (before 5.3) or a seccomp filter refuses one: then only the
 * timeout does. */
static int open_daemon(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

/* SIGHUP by the pidfd when there is one: it cannot reach another process
 * that reused a recycled pid. */
static int signal_daemon(int pidfd, pid_t pid)
{
#ifdef SYS_pidfd_send_signal
	if (pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, SIGHUP, NULL, 0) == 0)
		return 0;
	if (pidfd >= 0 && errno == ESRCH)
		return -ESRCH;
#endif
	return kill(pid, SIGHUP) < 0 ? -errno : 0;
}

/* The exit code of a final verdict, its messages on stderr. */
static int report_verdict(const struct reload_request *req, uint64_t gen,
			  enum rsd_reload_state state, const char *detail)
{
	if (*detail)
		fprintf(stderr, "%s\n", detail);
	switch (state) {
	case RSD_RELOAD_APPLIED:
		return RSD_EXIT_OK;
	case RSD_RELOAD_REJECTED:
		fprintf(stderr,
			"recipe-scraperd: reload %ju rejected: the daemon (pid %ld) runs on "
			"with its previous configuration\n",
			(uintmax_t)gen, (long)req->pid);
		return RSD_EXIT_CONFIG;
	default:
		fprintf(stderr, "recipe-scraperd: reload %ju %s by the daemon (pid %ld)\n",
			(uintmax_t)gen, rsd_reload_state_name(state), (long)req->pid);
		return RSD_EXIT_FAILURE;
	}
}

/* The verdict file's state; a missing or unreadable one counts as an
 * earlier generation (the daemon writes it at start, before READY=1). */
static bool read_verdict(const char *dir, uint64_t *gen, enum rsd_reload_state *state,
			 char **detail)
{
	*detail = NULL;
	return rsd_reload_status_read(dir, gen, state, detail) == 0;
}

/* Reads what the watch reported; the events themselves do not matter (the
 * file is read again). */
static void drain_events(int fd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	while (read(fd, buf, sizeof buf) > 0)
		;
}

/* Waits for a final verdict of a generation above after: woken by a new
 * verdict file (inotify), the daemon's exit (pidfd) or the timeout. */
static int await_verdict(const struct reload_request *req, int watch_fd, int pidfd, uint64_t after)
{
	int64_t deadline = rsd_now_ms() + req->timeout_ms;
	struct pollfd fds[] = { { watch_fd, POLLIN, 0 }, { pidfd, POLLIN, 0 } };
	bool gone = false;
	for (;;) {
		uint64_t gen;
		enum rsd_reload_state state;
		char *detail;
		bool seen = read_verdict(req->dir, &gen, &state, &detail);
		if (seen && gen > after && rsd_reload_state_final(state)) {
			int code = report_verdict(req, gen, state, detail);
			free(detail);
			return code;
		}
		free(detail);
		int64_t left = deadline - rsd_now_ms();
		if (gone || left <= 0)
			break;
		if (poll(fds, 2, (int)left) < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			drain_events(watch_fd);
		gone = fds[1].revents != 0; /* one more look at the file, then stop */
	}
	if (gone)
		fprintf(stderr,
			"recipe-scraperd: reload: the daemon (pid %ld) exited before it "
			"answered\n",
			(long)req->pid);
	else
		fprintf(stderr,
			"recipe-scraperd: reload: no verdict from the daemon (pid %ld) "
			"within %d s; it may still be reloading (journalctl -u "
			"recipe-scraperd)\n",
			(long)req->pid, req->timeout_ms / 1000);
	return RSD_EXIT_FAILURE;
}

static int run_reload(const struct reload_request *req)
{
	/* The watch comes before the first read: a verdict renamed into place
	 * in between is not missed. */
	int watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (watch_fd < 0 || inotify_add_watch(watch_fd, req->dir, IN_MOVED_TO) < 0) {
		fprintf(stderr, "recipe-scraperd: reload: cannot watch %s: %s\n", req->dir,
			strerror(errno));
		if (watch_fd >= 0)
			close(watch_fd);
		return RSD_EXIT_FAILURE;
	}
	uint64_t before = 0;
	enum rsd_reload_state state;
	char *detail;
	bool known = read_verdict(req->dir, &before, &state, &detail);
	free(detail);
	int pidfd = open_daemon(req->pid);
	int r = pidfd < 0 && errno == ESRCH ? -ESRCH : signal_daemon(pidfd, req->pid);
	int code = RSD_EXIT_FAILURE;
	if (r < 0)
		fprintf(stderr, "recipe-scraperd: reload: cannot signal the daemon (pid %ld): %s\n",
			(long)req->pid, strerror(-r));
	else if (!known) /* a daemon of a version without verdicts, or not under systemd */
		fprintf(stderr,
			"recipe-scraperd: reload: SIGHUP sent to pid %ld, which writes no "
			"verdict in %s: see its log for the outcome\n",
			(long)req->pid, req->dir);
	else
		code = await_verdict(req, watch_fd, pidfd, before);
	if (r == 0 && !known)
		code = RSD_EXIT_OK;
	if (pidfd >= 0)
		close(pidfd);
	close(watch_fd);
	return code;
}

int rsd_cmd_reload(int argc, char **argv, const char *usage)
{
	struct reload_request req = { 0 };
	int r = parse_reload(argc, argv, usage, &req);
	int code = r < 0 ? RSD_EXIT_OK : r > 0 ? r : run_reload(&req);
	free(req.dir);
	return code;
}
