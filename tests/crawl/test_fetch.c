/* SPDX-License-Identifier: MIT */
/* fetch.c: address ranges, Retry-After, and single transfers against the
 * loopback server (size caps, gzip bombs, classification). */

#include "crawl/fetch.h"
#include "httpd.h"
#include "crawl_test.h"
#include "check_main.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ip_case {
	const char *ip;
	bool restricted;
};

static const struct ip_case ips[] = {
	{ "127.0.0.1", true },
	{ "127.255.0.9", true },
	{ "10.1.2.3", true },
	{ "172.16.0.1", true },
	{ "172.31.255.255", true },
	{ "172.32.0.1", false },
	{ "192.168.1.1", true },
	{ "169.254.169.254", true },
	{ "100.64.0.1", true },
	{ "100.128.0.1", false },
	{ "0.0.0.0", true },
	{ "224.0.0.1", true },
	{ "239.255.255.250", true },
	{ "255.255.255.255", true },
	{ "240.0.0.1", true },
	{ "198.18.0.1", true },
	{ "8.8.8.8", false },
	{ "93.184.216.34", false },
	{ "::", true },
	{ "::1", true },
	{ "fe80::1", true },
	{ "febf::1", true },
	{ "fc00::1", true },
	{ "fd12:3456::1", true },
	{ "ff02::1", true },
	{ "::ffff:127.0.0.1", true },
	{ "::ffff:10.0.0.1", true },
	{ "::ffff:8.8.8.8", false },
	{ "::127.0.0.1", true },
	{ "64:ff9b::a00:1", true },
	{ "64:ff9b::808:808", false },
	{ "2001:4860:4860::8888", false },
	{ "2a00:1450::1", false },
	{ "not-an-ip", true },
	{ "", true },
	/* each special-purpose range: its first and last address, and the
	 * addresses just outside */
	{ "0.255.255.255", true },
	{ "1.0.0.0", false },
	{ "9.255.255.255", false },
	{ "10.255.255.255", true },
	{ "11.0.0.0", false },
	{ "100.63.255.255", false },
	{ "100.127.255.255", true },
	{ "126.255.255.255", false },
	{ "128.0.0.0", false },
	{ "169.253.255.255", false },
	{ "169.255.0.0", false },
	{ "172.15.255.255", false },
	{ "191.255.255.255", false },
	{ "192.0.0.0", true },
	{ "192.0.0.255", true },
	{ "192.0.1.0", false },
	{ "192.0.2.0", true },
	{ "192.0.2.255", true },
	{ "192.0.3.0", false },
	{ "192.88.98.255", false },
	{ "192.88.99.1", true },
	{ "192.88.100.0", false },
	{ "192.167.255.255", false },
	{ "192.168.255.255", true },
	{ "192.169.0.0", false },
	{ "198.17.255.255", false },
	{ "198.19.255.255", true },
	{ "198.20.0.0", false },
	{ "198.51.99.255", false },
	{ "198.51.100.0", true },
	{ "198.51.100.255", true },
	{ "198.51.101.0", false },
	{ "203.0.112.255", false },
	{ "203.0.113.0", true },
	{ "203.0.113.255", true },
	{ "203.0.114.0", false },
	{ "223.255.255.255", false },
	{ "224.0.0.0", true },
	{ "64:ff9b::7f00:1", true },
	{ "64:ff9b::c000:201", true }, /* NAT64 of loopback, TEST-NET-1 */
	{ "64:ff9b:1::", true },
	{ "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", true },
	{ "64:ff9b:0:0:0:1::", true }, /* outside the /96: ::/8 reserved */
	{ "::ffff:0.0.0.1", true },
	{ "::ffff:203.0.113.9", true },
	{ "::ffff:1.1.1.1", false },
	{ "::fffe:ffff:ffff", true }, /* outside 2000::/3: reserved */
	{ "400::1", true },
	{ "1fff:ffff::", true },
	{ "2000::", false },
	{ "3fff:ffff:ffff::", false },
	{ "4000::", true },
	{ "::ffff:0:a00:1", true },
	{ "::ffff:0:808:808", false }, /* SIIT, by the IPv4 rules */
	{ "::1:0:0:0", true }, /* ::/8 reserved */
	{ "100::", true },
	{ "100::ffff:ffff:ffff:ffff", true },
	{ "100:0:0:1::", true },
	{ "100:0:0:1:ffff:ffff:ffff:ffff", true },
	{ "100:0:0:2::", true },
	{ "ff::ffff", true }, /* 100::/8, ::/8 reserved */
	{ "2001::1", true },
	{ "2001:1ff:ffff::", true },
	{ "2001:200::", false },
	{ "2000:ffff::1", false },
	{ "2001:db8::1", true },
	{ "2001:db8:ffff::1", true },
	{ "2001:db7:ffff::1", false },
	{ "2001:db9::", false },
	{ "2002::1", true },
	{ "2002:7f00:1::1", true },
	{ "2002:ffff::", true },
	{ "2003::1", false },
	{ "2001:ffff::", false },
	{ "3fff::1", true },
	{ "3fff:fff::1", true },
	{ "3fff:1000::", false },
	{ "3ffe:ffff::", false },
	{ "5f00::1", true }, /* 5f00::/16, fc00::/7 ... are outside 2000::/3 too */
	{ "fdff::1", true },
	{ "fe80::", true },
	{ "fec0::1", true },
	{ "ff00::", true },
	{ "feff:ffff::", true },
};

/* One test for the whole table (a loop test would fork per row). */
START_TEST(test_address_ranges)
{
	for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++)
		ck_assert_msg(rsd_fetch_ip_restricted(ips[i].ip) == ips[i].restricted, "%s",
			      ips[i].ip);
}
END_TEST

START_TEST(test_retry_after)
{
	unsigned s = 99;
	ck_assert_int_eq(rsd_fetch_parse_retry_after("120", 0, &s), 0);
	ck_assert_uint_eq(s, 120);
	ck_assert_int_eq(rsd_fetch_parse_retry_after(" 0 ", 0, &s), 0);
	ck_assert_uint_eq(s, 0);
	ck_assert_int_eq(rsd_fetch_parse_retry_after("99999999999999999999", 0, &s), 0);
	ck_assert_uint_eq(s, UINT_MAX);
	/* HTTP-date (IMF-fixdate), relative to now; past dates mean now */
	time_t date = 1445412480; /* Wed, 21 Oct 2015 07:28:00 GMT */
	ck_assert_int_eq(
		rsd_fetch_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", date - 30, &s), 0);
	ck_assert_uint_eq(s, 30);
	ck_assert_int_eq(rsd_fetch_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", date + 5, &s),
			 0);
	ck_assert_uint_eq(s, 0);
	/* obsolete RFC 850 form is still an HTTP-date */
	ck_assert_int_eq(
		rsd_fetch_parse_retry_after("Wednesday, 21-Oct-15 07:28:00 GMT", date - 1, &s), 0);
	ck_assert_uint_eq(s, 1);
	ck_assert_int_eq(rsd_fetch_parse_retry_after("-5", 0, &s), -EINVAL);
	ck_assert_int_eq(rsd_fetch_parse_retry_after("1.5", 0, &s), -EINVAL);
	ck_assert_int_eq(rsd_fetch_parse_retry_after("soon", 0, &s), -EINVAL);
	ck_assert_int_eq(rsd_fetch_parse_retry_after("", 0, &s), -EINVAL);
}
END_TEST

/* ---- transfers ---- */

static char *read_text(const char *path)
{
	FILE *fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "%s", path);
	char *buf = calloc(1, 16384);
	ck_assert_uint_lt(fread(buf, 1, 16383, fp), 16383);
	fclose(fp);
	return buf;
}

static struct rsd_httpd *srv;

static void setup_server(void)
{
	ck_assert_int_eq(rsd_httpd_start(NULL, &srv), 0);
}

static void teardown_server(void)
{
	rsd_httpd_free(srv);
	srv = NULL;
}

static const struct rsd_fetch_options defaults = {
	.user_agent = "testbot/1.0",
	.timeout_s = 10,
	.max_bytes = 64 * 1024,
	.allow_private = true,
};

/* Runs one transfer synchronously; the caller frees *f. */
static void run(const struct rsd_fetch_options *o, const char *path, struct rsd_fetch **f,
		struct rsd_fetch_result *res)
{
	char url[256];
	snprintf(url, sizeof(url), "%s%s", rsd_httpd_base(srv), path);
	ck_assert_int_eq(rsd_fetch_new(o, url, NULL, f), 0);
	CURLcode code = curl_easy_perform((*f)->easy);
	rsd_fetch_result(*f, code, res);
}

/* Fetching url with o fails in curl with want, before any body. */
static void expect_curl_error(const struct rsd_fetch_options *o, const char *url, CURLcode want)
{
	struct rsd_fetch *f;
	ck_assert_int_eq(rsd_fetch_new(o, url, NULL, &f), 0);
	CURLcode code = curl_easy_perform(f->easy);
	struct rsd_fetch_result res;
	rsd_fetch_result(f, code, &res);
	ck_assert_int_eq(code, want);
	ck_assert_int_eq(res.status, RSD_FETCH_ERROR);
	ck_assert_ptr_null(f->body);
	rsd_fetch_free(f);
}

START_TEST(test_ok_and_gzip)
{
	static const char page[] = "<html><body>Soup</body></html>";
	ck_assert_int_eq(
		rsd_httpd_route(srv, &(struct rsd_httpd_route){ .path = "/p", .body = page }), 0);
	ck_assert_int_eq(
		rsd_httpd_route(
			srv, &(struct rsd_httpd_route){ .path = "/z", .body = page, .gzip = true }),
		0);
	const char *paths[] = { "/p", "/z" };
	for (int i = 0; i < 2; i++) {
		struct rsd_fetch *f;
		struct rsd_fetch_result res;
		run(&defaults, paths[i], &f, &res);
		ck_assert_int_eq(res.status, RSD_FETCH_OK);
		ck_assert_int_eq(res.http_code, 200);
		ck_assert_str_eq(res.content_type, "text/html; charset=utf-8");
		ck_assert_uint_eq(f->len, strlen(page));
		ck_assert_str_eq(f->body, page);
		rsd_fetch_free(f);
	}
	struct rsd_httpd_request *log;
	size_t n = rsd_httpd_log(srv, &log);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(log[0].user_agent, "testbot/1.0");
	free(log);
}
END_TEST

START_TEST(test_private_address_refused)
{
	ck_assert_int_eq(
		rsd_httpd_route(srv, &(struct rsd_httpd_route){ .path = "/p", .body = "x" }), 0);
	struct rsd_fetch_options o = defaults;
	o.allow_private = false;
	struct rsd_fetch *f;
	struct rsd_fetch_result res;
	run(&o, "/p", &f, &res);
	ck_assert_int_eq(res.status, RSD_FETCH_BLOCKED);
	rsd_fetch_free(f);
	ck_assert_uint_eq(rsd_httpd_count(srv, "/p"), 0); /* never connected */
}
END_TEST

START_TEST(test_size_caps)
{
	/* announced by Content-Length */
	ck_assert_int_eq(rsd_httpd_route(srv, &(struct rsd_httpd_route){ .path = "/big",
									 .fill_len = 200 * 1024 }),
			 0);
	/* 8 MiB of 'x' compresses to a few KiB: the cap must apply after decoding */
	ck_assert_int_eq(rsd_httpd_route(srv, &(struct rsd_httpd_route){ .path = "/bomb",
									 .fill_len = 8 << 20,
									 .gzip = true }),
			 0);
	const char *paths[] = { "/big", "/bomb" };
	for (int i = 0; i < 2; i++) {
		struct rsd_fetch *f;
		struct rsd_fetch_result res;
		run(&defaults, paths[i], &f, &res);
		ck_assert_msg(res.status == RSD_FETCH_TOO_BIG, "%s: %d", paths[i], res.status);
		ck_assert_uint_le(f->len, defaults.max_bytes);
		rsd_fetch_free(f);
	}
	/* truncate mode (robots.txt) keeps the first max_bytes and succeeds */
	struct rsd_fetch_options o = defaults;
	o.truncate = true;
	struct rsd_fetch *f;
	struct rsd_fetch_result res;
	run(&o, "/bomb", &f, &res);
	ck_assert_int_eq(res.status, RSD_FETCH_OK);
	ck_assert_uint_eq(f->len, o.max_bytes);
	rsd_fetch_free(f);
}
END_TEST

START_TEST(test_classification)
{
	ck_assert_int_eq(rsd_httpd_route(srv, &(struct rsd_httpd_route){ .path = "/busy",
									 .status = 503,
									 .retry_after = "7" }),
			 0);
	ck_assert_int_eq(rsd_httpd_route(srv, &(struct rsd_httpd_route){ .path = "/slow-down",
									 .status = 429 }),
			 0);
	ck_assert_int_eq(
		rsd_httpd_route(srv, &(struct rsd_httpd_route){ .path = "/gone", .status = 410 }),
		0);
	ck_assert_int_eq(
		rsd_httpd_route(srv, &(struct rsd_httpd_route){ .path = "/moved",
								.status = 301,
								.location = "../there?x=1" }),
		0);
	ck_assert_int_eq(rsd_httpd_route(srv, &(struct rsd_httpd_route){ .path = "/hang",
									 .delay_ms = 5000 }),
			 0);
	struct {
		const char *path;
		enum rsd_fetch_status status;
		long code;
	} want[] = {
		{ "/busy", RSD_FETCH_RETRY, 503 },      { "/slow-down", RSD_FETCH_RETRY, 429 },
		{ "/gone", RSD_FETCH_HTTP_ERROR, 410 }, { "/nothing", RSD_FETCH_HTTP_ERROR, 404 },
		{ "/moved", RSD_FETCH_REDIRECT, 301 },  { "/hang", RSD_FETCH_RETRY, 0 },
	};
	struct rsd_fetch_options o = defaults;
	o.timeout_s = 1;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct rsd_fetch *f;
		struct rsd_fetch_result res;
		run(&o, want[i].path, &f, &res);
		ck_assert_msg(res.status == want[i].status, "%s: %d", want[i].path, res.status);
		ck_assert_int_eq(res.http_code, want[i].code);
		if (i == 0)
			ck_assert_uint_eq(res.retry_after_ms, 7000);
		if (want[i].status == RSD_FETCH_REDIRECT) {
			char expect[128];
			snprintf(expect, sizeof(expect), "%s/there?x=1", rsd_httpd_base(srv));
			ck_assert_str_eq(res.location, expect);
		}
		rsd_fetch_free(f);
	}
}
END_TEST

START_TEST(test_other_protocols_refused)
{
	expect_curl_error(&defaults, "file:///etc/hostname", CURLE_UNSUPPORTED_PROTOCOL);
	rsd_fetch_free(NULL);
}
END_TEST

/* The check is on the address connected, not on the name: a public-looking
 * name that resolves (or re-resolves: DNS rebinding) to loopback is
 * refused. CURLOPT_RESOLVE plays the resolver. */
START_TEST(test_name_resolving_to_loopback_refused)
{
	ck_assert_int_eq(
		rsd_httpd_route(srv, &(struct rsd_httpd_route){ .path = "/p", .body = "x" }), 0);
	char url[128], entry[128];
	snprintf(url, sizeof(url), "http://rebind.example:%u/p", rsd_httpd_port(srv));
	snprintf(entry, sizeof(entry), "rebind.example:%u:127.0.0.1", rsd_httpd_port(srv));
	struct curl_slist *resolve = curl_slist_append(NULL, entry);
	struct rsd_fetch_options o = defaults;
	o.allow_private = false;
	struct rsd_fetch *f;
	ck_assert_int_eq(rsd_fetch_new(&o, url, NULL, &f), 0);
	curl_easy_setopt(f->easy, CURLOPT_RESOLVE, resolve);
	struct rsd_fetch_result res;
	rsd_fetch_result(f, curl_easy_perform(f->easy), &res);
	ck_assert_int_eq(res.status, RSD_FETCH_BLOCKED);
	ck_assert_str_eq(res.reason, "127.0.0.1 is a loopback address (127.0.0.0/8)");
	rsd_fetch_free(f);
	ck_assert_uint_eq(rsd_httpd_count(srv, "/p"), 0);
	/* an IPv4-mapped IPv6 literal is judged by its IPv4 address */
	o.follow_redirects = true;
	snprintf(url, sizeof(url), "http://[::ffff:127.0.0.1]:%u/p", rsd_httpd_port(srv));
	ck_assert_int_eq(rsd_fetch_new(&o, url, NULL, &f), 0);
	rsd_fetch_result(f, curl_easy_perform(f->easy), &res);
	ck_assert_int_eq(res.status, RSD_FETCH_BLOCKED);
	ck_assert_str_eq(res.reason, "::ffff:127.0.0.1 is a loopback address (127.0.0.0/8)");
	rsd_fetch_free(f);
	/* the same name allowed: it is the address that decided */
	o.allow_private = true;
	snprintf(url, sizeof(url), "http://rebind.example:%u/p", rsd_httpd_port(srv));
	ck_assert_int_eq(rsd_fetch_new(&o, url, NULL, &f), 0);
	curl_easy_setopt(f->easy, CURLOPT_RESOLVE, resolve);
	rsd_fetch_result(f, curl_easy_perform(f->easy), &res);
	ck_assert_int_eq(res.status, RSD_FETCH_OK);
	rsd_fetch_free(f);
	curl_slist_free_all(resolve);
	ck_assert_uint_eq(rsd_httpd_count(srv, "/p"), 1);
}
END_TEST

/* The test's address check: 127.0.0.2 stands for a non-public address,
 * 127.0.0.1 for a public one (all traffic stays on loopback). */
static const char *refuse_127_0_0_2(const struct sockaddr *sa)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
	bool refused = sa->sa_family != AF_INET || ntohl(in->sin_addr.s_addr) == 0x7f000002;
	return refused ? "refused by the test" : NULL;
}

static void run_resolved(const char *entry, const char *url, bool follow,
			 struct rsd_fetch_result *res, struct rsd_fetch **f)
{
	struct curl_slist *resolve = curl_slist_append(NULL, entry);
	struct rsd_fetch_options o = defaults;
	o.allow_private = false;
	o.follow_redirects = follow;
	ck_assert_int_eq(rsd_fetch_new(&o, url, NULL, f), 0);
	(*f)->addr_kind = refuse_127_0_0_2;
	curl_easy_setopt((*f)->easy, CURLOPT_RESOLVE, resolve);
	rsd_fetch_result(*f, curl_easy_perform((*f)->easy), res);
	curl_slist_free_all(resolve);
}

/* BLOCKED is about connection attempts: a name whose first address is
 * refused and whose second connects is fetched (not BLOCKED); a name with
 * only refused addresses is BLOCKED; so is a followed redirect whose
 * target is refused after the first hop connected. */
START_TEST(test_blocked_per_attempt)
{
	ck_assert_int_eq(
		rsd_httpd_route(srv, &(struct rsd_httpd_route){ .path = "/p", .body = "x" }), 0);
	unsigned port = rsd_httpd_port(srv);
	char url[128], entry[128];
	snprintf(url, sizeof(url), "http://two.example:%u/p", port);
	snprintf(entry, sizeof(entry), "two.example:%u:127.0.0.2,127.0.0.1", port);
	struct rsd_fetch *f;
	struct rsd_fetch_result res;
	run_resolved(entry, url, false, &res, &f);
	ck_assert_int_eq(res.status, RSD_FETCH_OK);
	ck_assert_int_eq(res.http_code, 200);
	rsd_fetch_free(f);
	ck_assert_uint_eq(rsd_httpd_count(srv, "/p"), 1);

	snprintf(url, sizeof(url), "http://one.example:%u/p", port);
	snprintf(entry, sizeof(entry), "one.example:%u:127.0.0.2", port);
	run_resolved(entry, url, false, &res, &f);
	ck_assert_int_eq(res.status, RSD_FETCH_BLOCKED);
	rsd_fetch_free(f);

	char target[128];
	snprintf(target, sizeof(target), "http://one.example:%u/p", port);
	ck_assert_int_eq(rsd_httpd_route(srv, &(struct rsd_httpd_route){ .path = "/away",
									 .status = 302,
									 .location = target }),
			 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/away", port);
	run_resolved(entry, url, true, &res, &f);
	ck_assert_int_eq(res.status, RSD_FETCH_BLOCKED);
	rsd_fetch_free(f);
	ck_assert_uint_eq(rsd_httpd_count(srv, "/away"), 1);
	ck_assert_uint_eq(rsd_httpd_count(srv, "/p"), 1);
}
END_TEST

/* Followed redirects (robots.txt, sitemaps) stay on http/https too. */
START_TEST(test_redirect_to_other_protocol_refused)
{
	ck_assert_int_eq(
		rsd_httpd_route(srv,
				&(struct rsd_httpd_route){ .path = "/to-file",
							   .status = 302,
							   .location = "file:///etc/hostname" }),
		0);
	ck_assert_int_eq(
		rsd_httpd_route(srv,
				&(struct rsd_httpd_route){ .path = "/to-gopher",
							   .status = 302,
							   .location = "gopher://127.0.0.1/" }),
		0);
	const char *paths[] = { "/to-file", "/to-gopher" };
	struct rsd_fetch_options o = defaults;
	o.follow_redirects = true;
	for (size_t i = 0; i < 2; i++) {
		char url[128];
		snprintf(url, sizeof(url), "%s%s", rsd_httpd_base(srv), paths[i]);
		expect_curl_error(&o, url, CURLE_UNSUPPORTED_PROTOCOL);
	}
}
END_TEST

/* TLS verification is always on: a certificate the system does not trust
 * is refused (not "some TLS error": the verification one), and the same
 * server passes once its certificate is made trusted. */
START_TEST(test_tls_verified)
{
	char *key = read_text(crawl_fixture("tls/key.pem"));
	char *cert = read_text(crawl_fixture("tls/cert.pem"));
	struct rsd_httpd *tls;
	ck_assert_int_eq(rsd_httpd_start_tls(key, cert, &tls), 0);
	ck_assert_int_eq(
		rsd_httpd_route(tls, &(struct rsd_httpd_route){ .path = "/p", .body = "secure" }),
		0);
	char url[128];
	snprintf(url, sizeof(url), "%s/p", rsd_httpd_base(tls));
	ck_assert_int_eq(strncmp(url, "https://127.0.0.1:", 18), 0);
	expect_curl_error(&defaults, url, CURLE_PEER_FAILED_VERIFICATION);
	ck_assert_uint_eq(rsd_httpd_count(tls, "/p"), 0);
	/* control: trusted, the same request succeeds */
	struct rsd_fetch *f;
	struct rsd_fetch_result res;
	ck_assert_int_eq(rsd_fetch_new(&defaults, url, NULL, &f), 0);
	curl_easy_setopt(f->easy, CURLOPT_CAINFO, crawl_fixture("tls/cert.pem"));
	rsd_fetch_result(f, curl_easy_perform(f->easy), &res);
	ck_assert_int_eq(res.status, RSD_FETCH_OK);
	ck_assert_str_eq(f->body, "secure");
	rsd_fetch_free(f);
	rsd_httpd_free(tls);
	free(key);
	free(cert);
}
END_TEST

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	Suite *s = suite_create("fetch");
	TCase *tc = tcase_create("units");
	tcase_add_test(tc, test_address_ranges);
	tcase_add_test(tc, test_retry_after);
	suite_add_tcase(s, tc);
	tc = tcase_create("loopback");
	tcase_add_checked_fixture(tc, setup_server, teardown_server);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ok_and_gzip);
	tcase_add_test(tc, test_private_address_refused);
	tcase_add_test(tc, test_size_caps);
	tcase_add_test(tc, test_classification);
	tcase_add_test(tc, test_other_protocols_refused);
	tcase_add_test(tc, test_name_resolving_to_loopback_refused);
	tcase_add_test(tc, test_blocked_per_attempt);
	tcase_add_test(tc, test_redirect_to_other_protocol_refused);
	tcase_add_test(tc, test_tls_verified);
	suite_add_tcase(s, tc);
	int rc = rsd_check_run(s);

	curl_global_cleanup();
	return rc;
}
