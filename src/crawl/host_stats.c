/* SPDX-License-Identifier: MIT */
/* Per-host page counts (see host_stats.h). A linear search under one mutex:
 * a few hundred string compares per page are nothing next to a fetch, and
 * the table is small by design. */
#include "crawl/host_stats.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/url.h"

struct rsd_host_stats {
	pthread_mutex_t lock; /* guards every field below */
	size_t capacity, n;
	struct rsd_host_count other; /* hosts past capacity, and URLs without a host */
	struct rsd_host_count entries[];
};

int rsd_host_stats_new(size_t capacity, struct rsd_host_stats **out)
{
	struct rsd_host_stats *t = calloc(1, sizeof *t + capacity * sizeof t->entries[0]);
	if (!t)
		return -ENOMEM;
	pthread_mutex_init(&t->lock, NULL);
	t->capacity = capacity;
	*out = t;
	return 0;
}

void rsd_host_stats_free(struct rsd_host_stats *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static struct rsd_host_count *entry_of(struct rsd_host_stats *t, const char *host)
{
	if (!host || strlen(host) >= RSD_HOST_NAME_MAX)
		return &t->other;
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->entries[i].host, host) == 0)
			return &t->entries[i];
	if (t->n == t->capacity)
		return &t->other;
	struct rsd_host_count *e = &t->entries[t->n++];
	strcpy(e->host, host); /* length checked above */
	return e;
}

void rsd_host_stats_count(struct rsd_host_stats *t, const char *url, bool failed)
{
	char *host = NULL;
	if (rsd_url_host(url, &host) < 0)
		host = NULL;
	pthread_mutex_lock(&t->lock);
	struct rsd_host_count *e = entry_of(t, host);
	*(failed ? &e->failed : &e->fetched) += 1;
	pthread_mutex_unlock(&t->lock);
	free(host);
}

size_t rsd_host_stats_read(struct rsd_host_stats *t, struct rsd_host_count *out, size_t n,
			   struct rsd_host_count *other)
{
	pthread_mutex_lock(&t->lock);
	size_t k = t->n < n ? t->n : n;
	memcpy(out, t->entries, k * sizeof out[0]);
	*other = t->other;
	for (size_t i = k; i < t->n; i++) { /* out too small: the rest counts as other */
		other->fetched += t->entries[i].fetched;
		other->failed += t->entries[i].failed;
	}
	pthread_mutex_unlock(&t->lock);
	other->host[0] = '\0';
	return k;
}
