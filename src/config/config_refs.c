/* SPDX-License-Identifier: MIT */
/* References in values: ${NAME} from the environment, ${credential:NAME}
 * from $CREDENTIALS_DIRECTORY, $$ for a dollar sign (config.c's loader
 * calls cfg_expand for every value before it is parsed). Nothing here logs
 * or exits: problems become "FILE:LINE: message" through cfg_report. */
#include "config/config_spec.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Values may refer to secrets kept out of the file: ${NAME} is the
 * environment variable NAME, ${credential:NAME} the file NAME in
 * $CREDENTIALS_DIRECTORY (systemd's LoadCredential=/SetCredential=), without
 * one trailing newline; $$ is a literal '$'. A '$' followed by anything else
 * stays as it is, so regex anchors need no escape. Every value goes through
 * here once, before its key's parser, so every key accepts references. */

#define CREDENTIAL_PREFIX "credential:"
/* A credential is a password or a token; systemd itself caps them at 1 MiB. */
#define MAX_CREDENTIAL_BYTES (64 * 1024)

static bool valid_env_name(const char *name)
{
	if (!*name || isdigit((unsigned char)*name))
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
	       strlen(name);
}

/* systemd's rule for credential names: a file name, no '/'. */
static bool valid_credential_name(const char *name)
{
	return *name && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 && !strchr(name, '/') &&
	       strlen(name) <= NAME_MAX;
}

static int read_credential(const char *name, char **value)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	if (!dir || !*dir)
		return -ENOTDIR;
	char *path = NULL;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return -errno;
	size_t len = 0;
	int rc = cfg_read_all(fd, value, &len, MAX_CREDENTIAL_BYTES);
	close(fd);
	if (rc < 0)
		return rc;
	if (memchr(*value, '\0', len)) {
		free(*value);
		return -EILSEQ;
	}
	if (len && (*value)[len - 1] == '\n')
		(*value)[len - 1] = '\0';
	return 0;
}

/* The value of the reference ${name} (name as written, between the braces)
 * in *value (owned by the caller); reports and returns false if it has none. */
static bool resolve(struct loader *ld, unsigned line, const char *name, char **value)
{
	*value = NULL;
	if (strncmp(name, CREDENTIAL_PREFIX, strlen(CREDENTIAL_PREFIX)) != 0) {
		const char *env = valid_env_name(name) ? getenv(name) : NULL;
		if (!valid_env_name(name))
			cfg_report(ld, line, "${%s}: not a valid environment variable name", name);
		else if (!env)
			cfg_report(ld, line, "${%s}: environment variable %s is not set", name,
				   name);
		else
			*value = cfg_oom_check(ld, strdup(env));
		return *value != NULL;
	}
	const char *cred = name + strlen(CREDENTIAL_PREFIX);
	int rc = valid_credential_name(cred) ? read_credential(cred, value) : -EINVAL;
	char buf[128];
	if (rc == -EINVAL)
		cfg_report(ld, line, "${%s}: not a valid credential name", name);
	else if (rc == -ENOTDIR)
		cfg_report(ld, line,
			   "${%s}: CREDENTIALS_DIRECTORY is not set (LoadCredential= or "
			   "SetCredential= in the unit provide it)",
			   name);
	else if (rc == -ENOMEM)
		ld->oom = true;
	else if (rc == -EILSEQ)
		cfg_report(ld, line, "${%s}: the credential contains a NUL byte", name);
	else if (rc < 0)
		cfg_report(ld, line, "${%s}: cannot read $CREDENTIALS_DIRECTORY/%s: %s", name, cred,
			   strerror_r(-rc, buf, sizeof(buf)));
	return rc == 0;
}

/* Expands one ${...} at *p into f; advances *p past it. */
static bool expand_reference(struct loader *ld, unsigned line, const char **p, FILE *f)
{
	const char *start = *p, *end = strchr(start + 2, '}');
	if (!end) {
		cfg_report(ld, line, "'${' without a closing '}' (write $$ for a literal '$')");
		*p = start + strlen(start);
		return false;
	}
	char *name = cfg_oom_check(ld, strndup(start + 2, (size_t)(end - start - 2)));
	char *value = NULL;
	bool ok = name && resolve(ld, line, name, &value);
	free(name);
	if (ok) {
		fputs(value, f);
		/* The text of a secret should not linger in freed memory. */
		explicit_bzero(value, strlen(value));
		free(value);
	}
	*p = end + 1;
	return ok;
}

/* The value with its references expanded (owned by the caller), or NULL
 * after reporting every reference that has no value. *referenced: it had
 * one (the value is then a secret). */
char *cfg_expand(struct loader *ld, const char *raw, unsigned line, bool *referenced)
{
	char *out = NULL;
	size_t len = 0;
	bool ok = true;
	FILE *f = open_memstream(&out, &len);
	if (!f) {
		ld->oom = true;
		return NULL;
	}
	for (const char *p = raw; *p;) {
		if (p[0] == '$' && p[1] == '$') {
			fputc('$', f);
			p += 2;
		} else if (p[0] == '$' && p[1] == '{') {
			*referenced = true;
			ok = expand_reference(ld, line, &p, f) && ok;
		} else {
			fputc(*p++, f);
		}
	}
	if (fclose(f) != 0)
		ld->oom = true;
	if (!ok || ld->oom) {
		free(out);
		return NULL;
	}
	return out;
}
