/* SPDX-License-Identifier: MIT */
#include "daemon/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#define RSD_LOG_MAX_FIELDS 64 /* the statistics entry has one field per counter */

static const char *log_identifier = "recipe-scraperd";
static bool log_to_journal;
/* Relaxed: a line of another thread may still see the previous level for a
 * moment after a reload; nothing else depends on it. */
static atomic_int log_level = LOG_INFO;

/* systemd sets JOURNAL_STREAM=DEV:INODE when stderr is connected to the
 * journal; compare with our actual stderr so a redirected stderr wins. */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

void rsd_log_init(const char *identifier)
{
	if (identifier && *identifier)
		log_identifier = identifier;
	log_to_journal = stderr_is_journal();
}

static void log_to_stderr(int priority, const char *message)
{
	/* One fprintf per line keeps lines from concurrent threads whole
	 * (stdio locks the stream per call). */
	fprintf(stderr, "<%d>%s\n", priority, message);
}

__attribute__((format(printf, 4, 0))) static void log_vevent(int priority, const char *message_id,
							     const char *const *fields,
							     const char *fmt, va_list ap)
{
	char message[4096];
	vsnprintf(message, sizeof message, fmt, ap);

	if (!log_to_journal) {
		log_to_stderr(priority, message);
		return;
	}

	char *owned[4] = { NULL };
	struct iovec iov[RSD_LOG_MAX_FIELDS + 4];
	size_t n = 0;

	if (asprintf(&owned[0], "MESSAGE=%s", message) < 0 ||
	    asprintf(&owned[1], "PRIORITY=%d", priority) < 0 ||
	    asprintf(&owned[2], "SYSLOG_IDENTIFIER=%s", log_identifier) < 0)
		goto fallback;
	for (int i = 0; i < 3; i++)
		iov[n++] = (struct iovec){ owned[i], strlen(owned[i]) };
	if (message_id) {
		if (asprintf(&owned[3], "MESSAGE_ID=%s", message_id) < 0)
			goto fallback;
		iov[n++] = (struct iovec){ owned[3], strlen(owned[3]) };
	}
	for (size_t i = 0; fields && fields[i] && n < RSD_LOG_MAX_FIELDS; i++)
		iov[n++] = (struct iovec){ (void *)fields[i], strlen(fields[i]) };
	if (sd_journal_sendv(iov, (int)n) < 0)
		goto fallback;
	for (int i = 0; i < 4; i++)
		free(owned[i]);
	return;
fallback:
	for (int i = 0; i < 4; i++)
		free(owned[i]);
	log_to_stderr(priority, message);
}

void rsd_log_set_level(int level)
{
	atomic_store_explicit(&log_level, level, memory_order_relaxed);
}

bool rsd_log_enabled(int priority)
{
	return priority <= atomic_load_explicit(&log_level, memory_order_relaxed);
}

void rsd_log(int priority, const char *fmt, ...)
{
	if (!rsd_log_enabled(priority))
		return;
	va_list ap;
	va_start(ap, fmt);
	log_vevent(priority, NULL, NULL, fmt, ap);
	va_end(ap);
}

void rsd_log_event(int priority, const char *message_id, const char *const *fields, const char *fmt,
		   ...)
{
	if (!rsd_log_enabled(priority))
		return;
	va_list ap;
	va_start(ap, fmt);
	log_vevent(priority, message_id, fields, fmt, ap);
	va_end(ap);
}

void rsd_log_event_always(int priority, const char *message_id, const char *const *fields,
			  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vevent(priority, message_id, fields, fmt, ap);
	va_end(ap);
}
