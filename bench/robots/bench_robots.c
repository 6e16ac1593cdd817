/* SPDX-License-Identifier: MIT */
/* robots.txt verdict cost (issue 17): microseconds per rsd_robots_allowed
 * for the hostile file (500 KiB of "/", "*", a^k, "b" rules)
 * against 8 KiB paths, and for the worst file the caps allow: 10,000
 * different rules of 32 random a/b octets against a random a/b path, where
 * every rule's search runs the whole path; and rules "/" "*" X "*" Y where
 * each X ends early in the path and Y occurs only before it, the case the
 * suffix automaton cannot answer. Prints "key value" lines; numbers only,
 * nothing passes or fails on them. */

#include "crawl/robots.h"
#include "hostile_robots.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 200

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void report(const char *key, const struct rsd_robots *r, const char *path, int want)
{
	double t0 = now_s();
	int got = 0;
	for (int i = 0; i < ROUNDS; i++)
		got += rsd_robots_allowed(r, path);
	double us = (now_s() - t0) / ROUNDS * 1e6;
	printf("%s_us %.1f\n", key, us);
	if (got != want * ROUNDS)
		printf("%s_wrong_verdict 1\n", key);
}

/* xorshift32: an LCG's low bits repeat too soon for 330,000 draws */
static unsigned next_rand(unsigned *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* 10,000 rules of "/", "*" and 32 random a/b octets, and an 8 KiB path
 * of random a/b octets: a 32-octet string is in it with odds about
 * 8192 / 2^32 (for all rules: 0.02), so every rule is searched through
 * the whole path. */
static void worst_case(void)
{
	unsigned seed = 1;
	size_t cap = RSD_ROBOTS_MAX_RULES * 48 + 64, n = 0;
	char *txt = malloc(cap);
	n += (size_t)snprintf(txt, cap, "User-agent: *\n");
	for (int i = 0; i < RSD_ROBOTS_MAX_RULES; i++) {
		n += (size_t)snprintf(txt + n, cap - n, "Disallow: /*");
		for (int k = 0; k < 32; k++)
			txt[n++] = "ab"[next_rand(&seed) & 1];
		txt[n++] = '\n';
	}
	struct rsd_robots *r;
	double t0 = now_s();
	if (rsd_robots_parse(txt, n, "x", &r) != 0)
		exit(1);
	printf("capped_parse_ms %.1f\n", (now_s() - t0) * 1e3);
	char *path = malloc(RSD_URL_MAX_BYTES - 31);
	path[0] = '/';
	for (size_t i = 1; i < RSD_URL_MAX_BYTES - 32; i++)
		path[i] = "ab"[next_rand(&seed) & 1];
	path[RSD_URL_MAX_BYTES - 32] = '\0';
	report("capped_10000_rules_8k_path", r, path, 1);
	rsd_robots_free(r);
	free(path);
	free(txt);
}

/* About 5,000 rules (500 KiB) "/" "*" X "*" b^32: each X a different
 * piece of the path's first 140 octets, b^32 only at the path's start, so
 * the automaton knows b^32 occurs but not whether after X: memmem must
 * look from there (once: the miss is remembered for the next rules). */
static void fallback_case(void)
{
	unsigned seed = 7;
	size_t n = RSD_URL_MAX_BYTES - 192;
	char *path = malloc(n + 1), *txt = malloc(RSD_ROBOTS_MAX_BYTES + 256);
	path[0] = '/';
	memset(path + 1, 'b', 32);
	for (size_t i = 33; i < n; i++)
		path[i] = "ab"[next_rand(&seed) & 1];
	for (size_t i = 33; i + 12 < n; i++) /* no other run of 12 b's */
		if (memcmp(path + i, "bbbbbbbbbbbb", 12) == 0)
			path[i + 6] = 'a';
	path[n] = '\0';
	size_t len = (size_t)sprintf(txt, "User-agent: *\n");
	for (int o = 0; o < 100; o++)
		for (int l = 8; l < 108 && len + 200 < RSD_ROBOTS_MAX_BYTES; l++)
			len += (size_t)sprintf(txt + len, "Disallow: /*%.*s*%.32s\n", l,
					       path + 33 + o, path + 1);
	struct rsd_robots *r;
	if (rsd_robots_parse(txt, len, "x", &r) != 0)
		exit(1);
	report("fallback_5000_rules_8k_path", r, path, 1);
	rsd_robots_free(r);
	free(path);
	free(txt);
}

int main(void)
{
	size_t len;
	char *txt = hostile_robots_txt(RSD_ROBOTS_MAX_BYTES, &len);
	struct rsd_robots *r;
	double t0 = now_s();
	if (!txt || rsd_robots_parse(txt, len, "x", &r) != 0)
		return 1;
	printf("hostile_parse_ms %.1f\n", (now_s() - t0) * 1e3);
	size_t n = RSD_URL_MAX_BYTES - 32;
	char *none = hostile_path("/", n, ""), *first = hostile_path("/b", n, ""),
	     *late = hostile_path("/b", n, "-ab"), *last = hostile_path("/", n, "b");
	report("hostile_no_b", r, none, 1);
	report("hostile_b_first", r, first, 1);
	report("hostile_refused_by_last_rule", r, late, 0);
	report("hostile_refused_by_first_rule", r, last, 0);
	rsd_robots_free(r);
	free(none);
	free(first);
	free(late);
	free(last);
	free(txt);
	worst_case();
	fallback_case();
	return 0;
}
