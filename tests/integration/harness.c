/* SPDX-License-Identifier: MIT */
#include "harness.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void harness_init(struct harness_proc *p)
{
	memset(p, 0, sizeof *p);
	p->pid = -1;
	p->pidfd = -1;
	snprintf(p->dir, sizeof p->dir, "/tmp/rsd-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(p->dir));
	snprintf(p->stdout_path, sizeof p->stdout_path, "%s/stdout", p->dir);
	snprintf(p->stderr_path, sizeof p->stderr_path, "%s/stderr", p->dir);
	snprintf(p->notify_path, sizeof p->notify_path, "%s/notify", p->dir);

	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", p->notify_path);
	p->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(p->notify_fd, 0);
	ck_assert_int_eq(bind(p->notify_fd, (struct sockaddr *)&sa, sizeof sa), 0);
}

void harness_cleanup(struct harness_proc *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		p->pid = -1;
	}
	if (p->pidfd >= 0)
		close(p->pidfd);
	if (p->notify_fd >= 0)
		close(p->notify_fd);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", p->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", p->dir);
}

const char *harness_path(const struct harness_proc *p, const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", p->dir, name);
	return buf;
}

void harness_write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
	fputs(content, f);
	ck_assert_int_eq(fclose(f), 0);
}

char *harness_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(mem);
	if (f) {
		char chunk[65536];
		size_t n;
		while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
			fwrite(chunk, 1, n, mem);
		fclose(f);
	}
	fclose(mem);
	return buf;
}

void harness_spawn(struct harness_proc *p, const char *const *argv)
{
	const char *binary = getenv("RSD_BINARY");
	ck_assert_msg(binary != NULL, "RSD_BINARY is not set (run through meson test)");

	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int out = open(p->stdout_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int err = open(p->stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 || chdir(p->dir) < 0)
			_exit(127);
		setenv("NOTIFY_SOCKET", p->notify_path, 1);
		unsetenv("JOURNAL_STREAM");
		unsetenv("WATCHDOG_USEC");
		execv(binary, (char *const *)argv);
		_exit(127);
	}
	p->pid = pid;
	p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	ck_assert_int_ge(p->pidfd, 0);
}

static int count_lines(const char *text, const char *want)
{
	int n = 0;
	size_t wl = strlen(want);
	for (const char *s = text; (s = strstr(s, want)) != NULL; s += wl) {
		bool starts = s == text || s[-1] == '\n';
		n += starts; /* a line that starts with want: "STATUS=Reload rejected" matches */
	}
	return n;
}

static void drain_notify(struct harness_proc *p)
{
	char buf[4096];
	ssize_t n;
	while ((n = recv(p->notify_fd, buf, sizeof buf - 1, 0)) > 0) {
		buf[n] = '\0';
		size_t used = strlen(p->notified);
		if (used + (size_t)n + 2 < sizeof p->notified) {
			memcpy(p->notified + used, buf, (size_t)n);
			p->notified[used + (size_t)n] = '\n';
			p->notified[used + (size_t)n + 1] = '\0';
		} else {
			/* Keep the newest datagrams: drop the oldest half. */
			memmove(p->notified, p->notified + used / 2, used - used / 2 + 1);
		}
	}
}

bool harness_wait_notify(struct harness_proc *p, const char *want, int nth, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	for (;;) {
		drain_notify(p);
		if (count_lines(p->notified, want) >= nth)
			return true;
		long long left = deadline - now_ms();
		if (left <= 0)
			return false;
		struct pollfd fds[] = { { p->notify_fd, POLLIN, 0 }, { p->pidfd, POLLIN, 0 } };
		if (poll(fds, 2, (int)left) < 0 && errno != EINTR)
			return false;
		if (fds[1].revents & POLLIN) { /* exited: whatever it sent is all there is */
			drain_notify(p);
			return count_lines(p->notified, want) >= nth;
		}
	}
}

int harness_wait_exit(struct harness_proc *p, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	/* Keep reading the notify socket: its queue holds only a few
	 * datagrams and a full one blocks the daemon's sd_notify(). */
	for (;;) {
		struct pollfd fds[] = { { p->pidfd, POLLIN, 0 }, { p->notify_fd, POLLIN, 0 } };
		long long left = deadline - now_ms();
		if (poll(fds, 2, left > 0 ? (int)left : 0) < 0 && errno != EINTR)
			return -1;
		drain_notify(p);
		if (fds[0].revents & POLLIN)
			break;
		if (left <= 0)
			return -1;
	}
	int status;
	ck_assert_int_eq(waitpid(p->pid, &status, 0), p->pid);
	p->pid = -1;
	drain_notify(p);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

void harness_dump_stacks(const struct harness_proc *p)
{
	char cmd[160];
	if (p->pid <= 0 || access("/usr/bin/gdb", X_OK) != 0)
		return;
	snprintf(cmd, sizeof cmd,
		 "/usr/bin/gdb -batch -nx -p %d -ex 'thread apply all bt' </dev/null 2>&1",
		 (int)p->pid);
	fflush(stdout);
	if (system(cmd) == -1)
		printf("harness: could not run gdb for pid %d\n", (int)p->pid);
	fflush(stdout);
}

void harness_signal(struct harness_proc *p, int sig)
{
	ck_assert_int_gt(p->pid, 0);
	ck_assert_int_eq(kill(p->pid, sig), 0);
}

cJSON *harness_json_lines(const char *path)
{
	char *text = harness_slurp(path);
	cJSON *all = cJSON_CreateArray();
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cJSON *obj = cJSON_Parse(line);
		ck_assert_msg(obj != NULL, "not JSON on %s: %.200s", path, line);
		cJSON_AddItemToArray(all, obj);
	}
	free(text);
	return all;
}

char *harness_subst(const char *tmpl, const char *const *vars)
{
	char *out = strdup(tmpl);
	for (size_t i = 0; vars[i] && vars[i + 1]; i += 2) {
		char marker[64];
		snprintf(marker, sizeof marker, "@%s@", vars[i]);
		char *at;
		while ((at = strstr(out, marker)) != NULL) {
			char *next = NULL;
			ck_assert_int_ge(asprintf(&next, "%.*s%s%s", (int)(at - out), out,
						  vars[i + 1], at + strlen(marker)),
					 0);
			free(out);
			out = next;
		}
	}
	return out;
}
