/* SPDX-License-Identifier: MIT */
/* The reload verdict file (see reload_status.h). */
#include "daemon/reload_status.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A verdict is a few FILE:LINE messages; a file of errors is capped by
 * the loader long before this. */
#define MAX_STATUS_BYTES (64 * 1024)

static const char *const state_names[] = {
	[RSD_RELOAD_STARTED] = "started",   [RSD_RELOAD_APPLIED] = "applied",
	[RSD_RELOAD_REJECTED] = "rejected", [RSD_RELOAD_FAILED] = "failed",
	[RSD_RELOAD_IGNORED] = "ignored",
};

char *rsd_reload_status_dir(void)
{
	const char *env = getenv("RUNTIME_DIRECTORY");
	return env && *env ? strndup(env, strcspn(env, ":")) : NULL;
}

const char *rsd_reload_state_name(enum rsd_reload_state state)
{
	return state_names[state];
}

static int write_all(int fd, const char *text, size_t len)
{
	while (len) {
		ssize_t n = write(fd, text, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

int rsd_reload_status_write(const char *dir, uint64_t generation, enum rsd_reload_state state,
			    const char *detail)
{
	char *tmp = NULL, *path = NULL, *text = NULL;
	int len = asprintf(&text, "%" PRIu64 " %s\n%s%s", generation, state_names[state],
			   detail ? detail : "", detail && *detail ? "\n" : "");
	if (len < 0 || asprintf(&tmp, "%s/." RSD_RELOAD_STATUS_FILE ".tmp", dir) < 0 ||
	    asprintf(&path, "%s/" RSD_RELOAD_STATUS_FILE, dir) < 0) {
		free(text);
		free(tmp);
		return -ENOMEM;
	}
	int r = 0, fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		r = -errno;
	else {
		r = write_all(fd, text, (size_t)len);
		if (close(fd) < 0 && r == 0)
			r = -errno;
	}
	/* The rename is what a waiting reader's inotify sees (IN_MOVED_TO). */
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	free(text);
	free(tmp);
	free(path);
	return r;
}

static int parse_status(char *text, uint64_t *generation, enum rsd_reload_state *state,
			char **detail)
{
	char *nl = strchr(text, '\n'), *end;
	if (!nl)
		return -EBADMSG;
	*nl = '\0';
	char *space = strchr(text, ' ');
	if (!space || space == text)
		return -EBADMSG;
	*space = '\0';
	errno = 0;
	unsigned long long g = strtoull(text, &end, 10);
	if (errno || *end)
		return -EBADMSG;
	for (size_t i = 0; i < sizeof state_names / sizeof state_names[0]; i++)
		if (strcmp(space + 1, state_names[i]) == 0) {
			*generation = g;
			*state = (enum rsd_reload_state)i;
			size_t n = strlen(nl + 1);
			if (n && nl[n] == '\n')
				nl[n] = '\0'; /* the final line feed */
			*detail = strdup(nl + 1);
			return *detail ? 0 : -ENOMEM;
		}
	return -EBADMSG;
}

int rsd_reload_status_read(const char *dir, uint64_t *generation, enum rsd_reload_state *state,
			   char **detail)
{
	char *path = NULL, *text = malloc(MAX_STATUS_BYTES + 1);
	if (!text || asprintf(&path, "%s/" RSD_RELOAD_STATUS_FILE, dir) < 0) {
		free(text);
		return -ENOMEM;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	ssize_t len = fd < 0 ? -1 : read(fd, text, MAX_STATUS_BYTES);
	int r = len < 0 ? -errno : 0;
	if (fd >= 0)
		close(fd);
	if (r == 0) {
		text[len] = '\0';
		r = parse_status(text, generation, state, detail);
	}
	free(text);
	return r;
}
