/* SPDX-License-Identifier: MIT */
/* What the commands of the command line share. */
#include "daemon/cli.h"

#include <stdarg.h>
#include <stdio.h>

#include "daemon/daemon.h"

int rsd_usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "recipe-scraperd: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry 'recipe-scraperd --help' for more information.\n");
	va_end(ap);
	return RSD_EXIT_USAGE;
}
