/* SPDX-License-Identifier: MIT */
/* Unit tests of the configuration loader, continued (test_config.c runs
 * them): ${ENV} and ${credential:NAME} references, and include. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "config_test.h"

/* ------------------------------------------------------------ references */

/* Check forks each test: the environment changes stay in it. */

/* One error of a one-file load, returned (owned by the caller). */
static char *load_error(const char *text)
{
	struct rsd_config *cfg = NULL;
	struct rsd_config_diag diag = { 0 };
	ck_assert_int_eq(rsd_config_load_string("t.ini", text, &cfg, &diag), -EINVAL);
	ck_assert_ptr_null(cfg);
	dump(&diag);
	ck_assert_uint_eq(diag.n, 1);
	char *msg = strdup(diag.messages[0]);
	rsd_config_diag_clear(&diag);
	return msg;
}

static char *temp_dir(const char *prefix)
{
	char *dir = NULL;
	ck_assert_int_ge(asprintf(&dir, "/tmp/%s-XXXXXX", prefix), 0);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

static void put_file(const char *dir, const char *name, const char *text)
{
	char *path = NULL;
	ck_assert_int_ge(asprintf(&path, "%s/%s", dir, name), 0);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static void remove_dir(char *dir)
{
	char *cmd = NULL;
	ck_assert_int_ge(asprintf(&cmd, "rm -rf '%s'", dir), 0);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(dir);
}

/* A credentials directory holding name = content; returns its path. */
static char *credentials(const char *name, const char *content)
{
	char *dir = temp_dir("rsd-cred");
	put_file(dir, name, content);
	ck_assert_int_eq(setenv("CREDENTIALS_DIRECTORY", dir, 1), 0);
	return dir;
}

START_TEST(environment_reference)
{
	ck_assert_int_eq(setenv("RSD_TEST_AGENT", "agent-from-env", 1), 0);
	ck_assert_int_eq(setenv("RSD_TEST_HOST", "recipes.example", 1), 0);
	struct rsd_config *cfg = load_ok(
		"[scraper]\nstart_urls = https://${RSD_TEST_HOST}/\n"
		"  https://other.example/$$x/${RSD_TEST_HOST}\n"
		"user_agent = bot ${RSD_TEST_AGENT} $${NOT_EXPANDED} cost$ 5$\n"
		"follow = ^https://[^/]+/.*$\n");
	ck_assert_str_eq(cfg->start_urls.items[0], "https://recipes.example/");
	ck_assert_str_eq(cfg->start_urls.items[1], "https://other.example/$x/recipes.example");
	ck_assert_str_eq(cfg->user_agent, "bot agent-from-env ${NOT_EXPANDED} cost$ 5$");
	/* a '$' not followed by '{' or '$' is kept: regex anchors need no escape */
	ck_assert_str_eq(cfg->follow, "^https://[^/]+/.*$");
	rsd_config_free(cfg);
}
END_TEST

START_TEST(environment_reference_errors)
{
	unsetenv("RSD_TEST_UNSET");
	char *msg = load_error(BASE "user_agent = a ${RSD_TEST_UNSET}\n");
	ck_assert_str_eq(
		msg, "t.ini:3: ${RSD_TEST_UNSET}: environment variable RSD_TEST_UNSET is not set");
	free(msg);
	msg = load_error(BASE "user_agent = ${1BAD}\n");
	ck_assert_str_eq(msg, "t.ini:3: ${1BAD}: not a valid environment variable name");
	free(msg);
	msg = load_error(BASE "user_agent = ${OPEN\n");
	ck_assert_str_eq(msg, "t.ini:3: '${' without a closing '}' (write $$ for a literal '$')");
	free(msg);
	/* a required key whose value cannot be expanded is not also "missing" */
	msg = load_error("[scraper]\nstart_urls = ${RSD_TEST_UNSET}\n");
	ck_assert_str_eq(
		msg, "t.ini:2: ${RSD_TEST_UNSET}: environment variable RSD_TEST_UNSET is not set");
	free(msg);
}
END_TEST

START_TEST(credential_reference)
{
	char *dir = credentials("kafka-password", "s3cr3t value\n");
	struct rsd_config *cfg = load_ok(BASE "[kafka]\nsasl.mechanism = SCRAM-SHA-512\n"
					      "sasl.username = scraper\n"
					      "sasl.password = ${credential:kafka-password}\n");
	ck_assert_uint_eq(cfg->kafka_props.n, 3);
	ck_assert_str_eq(cfg->kafka_props.items[2].key, "sasl.password");
	/* one trailing newline is stripped, nothing else */
	ck_assert_str_eq(cfg->kafka_props.items[2].value, "s3cr3t value");
	rsd_config_free(cfg);

	char *msg = load_error(BASE "user_agent = ${credential:absent}\n");
	char *want = NULL;
	ck_assert_int_ge(asprintf(&want,
				  "t.ini:3: ${credential:absent}: cannot read "
				  "$CREDENTIALS_DIRECTORY/absent: No such file or directory"),
			 0);
	ck_assert_str_eq(msg, want);
	free(msg);
	free(want);
	msg = load_error(BASE "user_agent = ${credential:../etc/passwd}\n");
	ck_assert_str_eq(msg, "t.ini:3: ${credential:../etc/passwd}: not a valid credential name");
	free(msg);
	remove_dir(dir);

	unsetenv("CREDENTIALS_DIRECTORY");
	msg = load_error(BASE "user_agent = ${credential:kafka-password}\n");
	ck_assert_str_eq(msg,
			 "t.ini:3: ${credential:kafka-password}: CREDENTIALS_DIRECTORY is not set "
			 "(LoadCredential= or SetCredential= in the unit provide it)");
	free(msg);
}
END_TEST

/* Messages quote values; a value from a reference is shown as "(secret)". */
START_TEST(secrets_never_in_messages)
{
	char *dir = credentials("pw", "hunter2-secret\n");
	ck_assert_int_eq(setenv("RSD_TEST_SECRET", "topsecret-env", 1), 0);
	struct rsd_config *cfg = NULL;
	struct rsd_config_diag diag = { 0 };
	ck_assert_int_eq(rsd_config_load_string("t.ini",
						BASE
						"[consumer]\n"
						/* librdkafka rejects it and quotes the value */
						"auto.offset.reset = ${credential:pw}\n"
						"socket.timeout.ms = ${RSD_TEST_SECRET}\n"
						"[producer]\ntopic = x${RSD_TEST_SECRET}/\n",
						&cfg, &diag),
			 -EINVAL);
	dump(&diag);
	ck_assert_uint_eq(diag.n, 3);
	for (size_t i = 0; i < diag.n; i++) {
		ck_assert_ptr_null(strstr(diag.messages[i], "hunter2"));
		ck_assert_ptr_null(strstr(diag.messages[i], "topsecret"));
	}
	ck_assert_str_eq(diag.messages[0],
			 "t.ini:4: consumer.auto.offset.reset: rejected by librdkafka: "
			 "invalid value (secret)");
	ck_assert_str_eq(diag.messages[1], "t.ini:5: consumer.socket.timeout.ms: rejected by "
					   "librdkafka: invalid value (secret)");
	ck_assert_str_eq(diag.messages[2],
			 "t.ini:7: producer.topic: (secret) is not a valid Kafka "
			 "topic name (letters, digits, '.', '_' and '-', at most 249)");
	rsd_config_diag_clear(&diag);
	remove_dir(dir);
}
END_TEST

/* The mark is structural, not a search for the secret's text: a secret of
 * one character, which is everywhere in a message, is still never shown,
 * and the rest of the message is intact. Keys that are secrets by name are
 * marked whatever their value is written as. */
START_TEST(one_character_secret)
{
	char *dir = credentials("n", "0\n");
	put_file(dir, "t", "/");
	put_file(dir, "pw", "a");
	struct rsd_config *cfg = NULL;
	struct rsd_config_diag diag = { 0 };
	ck_assert_int_eq(
		rsd_config_load_string("t.ini",
				       "[scraper]\nstart_urls = https://example.com/\n"
				       "threads = ${credential:n}\n"
				       "[producer]\ntopic = ${credential:t}\n"
				       "[kafka]\nsasl.kerberos.min.time.before.relogin = a\n",
				       &cfg, &diag),
		-EINVAL);
	dump(&diag);
	ck_assert_uint_eq(diag.n, 3);
	ck_assert_str_eq(diag.messages[0],
			 "t.ini:3: scraper.threads: (secret) is out of range 1..64");
	ck_assert_str_eq(diag.messages[1],
			 "t.ini:5: producer.topic: (secret) is not a valid Kafka "
			 "topic name (letters, digits, '.', '_' and '-', at most 249)");
	/* sasl.*: a secret by its name, written in the file or not */
	ck_assert_str_eq(
		diag.messages[2],
		"t.ini:7: kafka.sasl.kerberos.min.time.before.relogin: rejected by librdkafka: "
		"invalid value (secret)");
	rsd_config_diag_clear(&diag);

	cfg = load_ok(BASE "user_agent = bot ${credential:pw}\n[kafka]\nsasl.username = u\n"
			   "sasl.password = ${credential:pw}\nclient.rack = r1\n"
			   "[metrics]\nlisten = 127.0.0.1:9464\n");
	ck_assert(rsd_config_secret(cfg, "scraper", "user_agent"));
	ck_assert_str_eq(rsd_config_shown(cfg, "scraper", "user_agent", cfg->user_agent),
			 "(secret)");
	ck_assert(!rsd_config_secret(cfg, "scraper", "start_urls"));
	ck_assert(!rsd_config_secret(cfg, "metrics", "listen"));
	ck_assert_str_eq(rsd_config_shown(cfg, "metrics", "listen", cfg->metrics_listen),
			 "127.0.0.1:9464");
	ck_assert_str_eq(rsd_config_origin(cfg, "metrics", "listen"), "t.ini:9");
	ck_assert_ptr_null(rsd_config_origin(cfg, "scraper", "threads"));
	ck_assert_uint_eq(cfg->kafka_props.n, 3);
	ck_assert(cfg->kafka_props.items[0].secret); /* sasl.username, by its name */
	ck_assert(cfg->kafka_props.items[1].secret); /* sasl.password, a reference */
	ck_assert(!cfg->kafka_props.items[2].secret);
	ck_assert_str_eq(cfg->kafka_props.items[1].value, "a");
	rsd_config_free(cfg);
	remove_dir(dir);
}
END_TEST

/* A check across keys shows a secret key's value as "(secret)" too. */
START_TEST(secret_in_checks_across_keys)
{
	ck_assert_int_eq(setenv("RSD_TEST_TOPIC", "t", 1), 0);
	char *msg = load_error(BASE "[producer]\ntopic = ${RSD_TEST_TOPIC}\nraw_topic = t\n");
	ck_assert_str_eq(msg, "t.ini:5: producer.raw_topic: must differ from producer.topic "
			      "((secret))");
	free(msg);
	msg = load_error(BASE "[producer]\ntopic = t\nraw_topic = t\n");
	ck_assert_str_eq(msg, "t.ini:5: producer.raw_topic: must differ from producer.topic ('t')");
	free(msg);
}
END_TEST

/* ------------------------------------------------------------ include */

/* Loads DIR/name; returns the code, the messages in *diag. */
static int load_in(const char *dir, const char *name, struct rsd_config **cfg,
		   struct rsd_config_diag *diag)
{
	char *path = NULL;
	ck_assert_int_ge(asprintf(&path, "%s/%s", dir, name), 0);
	int rc = rsd_config_load(path, cfg, diag);
	dump(diag);
	free(path);
	return rc;
}

/* Sorted order, later files and later lines override earlier ones (lists
 * are replaced), relative to the including file, and no match is fine. */
START_TEST(include_overrides_in_order)
{
	char *dir = temp_dir("rsd-include"), *sub = NULL;
	ck_assert_int_ge(asprintf(&sub, "%s/conf.d", dir), 0);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	put_file(dir, "main.ini",
		 "include = conf.d/*.ini\n"
		 "include = absent.d/*.ini\n"
		 "[scraper]\nstart_urls = https://example.com/\ndelay_ms = 7\n"
		 "[kafka]\nclient.id = main\n"
		 "include = late/*.ini\n");
	put_file(sub, "20-b.ini",
		 "[scraper]\ndelay_ms = 20\nthreads = 5\n"
		 "start_urls = https://b.example/\n[kafka]\nsasl.username = b\n");
	put_file(sub, "10-a.ini",
		 "[scraper]\nthreads = 4\nmax_depth = 9\n"
		 "[kafka]\nsasl.username = a\nclient.id = a\n");
	put_file(sub, "notes.txt", "not = ini\n");
	struct rsd_config *cfg = NULL;
	struct rsd_config_diag diag = { 0 };
	ck_assert_int_eq(load_in(dir, "main.ini", &cfg, &diag), 0);
	ck_assert_uint_eq(cfg->threads, 5); /* 20-b after 10-a */
	ck_assert_uint_eq(cfg->max_depth, 9); /* only 10-a sets it */
	ck_assert_uint_eq(cfg->delay_ms, 7); /* main's line after the include */
	ck_assert_uint_eq(cfg->start_urls.n, 1); /* a list is replaced */
	ck_assert_str_eq(cfg->start_urls.items[0], "https://example.com/");
	ck_assert_uint_eq(cfg->kafka_props.n, 2);
	ck_assert_str_eq(cfg->kafka_props.items[0].key, "sasl.username");
	ck_assert_str_eq(cfg->kafka_props.items[0].value, "b");
	ck_assert_str_eq(cfg->kafka_props.items[1].value, "main");
	rsd_config_free(cfg);
	free(sub);
	remove_dir(dir);
}
END_TEST

/* Errors name the included file and its line; they follow the main file's. */
START_TEST(include_errors_name_the_file)
{
	char *dir = temp_dir("rsd-include");
	put_file(dir, "main.ini",
		 "[scraper]\nstart_urls = https://example.com/\n"
		 "include = bad.ini\nthreads = 0\n");
	put_file(dir, "bad.ini",
		 "[scraper]\nmax_depth = deep\n[kafka]\nclient.id = a\n"
		 "client.id = b\n");
	struct rsd_config *cfg = NULL;
	struct rsd_config_diag diag = { 0 };
	ck_assert_int_eq(load_in(dir, "main.ini", &cfg, &diag), -EINVAL);
	ck_assert_uint_eq(diag.n, 3);
	char *want[3];
	ck_assert_int_ge(
		asprintf(&want[0], "%s/main.ini:4: scraper.threads: 0 is out of range 1..64", dir),
		0);
	ck_assert_int_ge(asprintf(&want[1],
				  "%s/bad.ini:2: scraper.max_depth: expected an unsigned "
				  "integer, got 'deep'",
				  dir),
			 0);
	ck_assert_int_ge(asprintf(&want[2],
				  "%s/bad.ini:5: kafka.client.id: duplicate key (first set "
				  "on line 4)",
				  dir),
			 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_str_eq(diag.messages[i], want[i]);
		free(want[i]);
	}
	ck_assert_uint_eq(diag.lines[1], 2);
	rsd_config_diag_clear(&diag);
	remove_dir(dir);
}
END_TEST

/* A loop, nesting too deep and a matching file that cannot be read are
 * errors at the include line. */
START_TEST(include_loops_depth_and_unreadable)
{
	char *dir = temp_dir("rsd-include"), *sub = NULL;
	put_file(dir, "loop.ini", BASE "include = loop.ini\n");
	struct rsd_config *cfg = NULL;
	struct rsd_config_diag diag = { 0 };
	ck_assert_int_eq(load_in(dir, "loop.ini", &cfg, &diag), -EINVAL);
	ck_assert_uint_eq(diag.n, 1);
	char *want = NULL;
	ck_assert_int_ge(asprintf(&want,
				  "%s/loop.ini:3: include: %s/loop.ini is already being read "
				  "(an include loop)",
				  dir, dir),
			 0);
	ck_assert_str_eq(diag.messages[0], want);
	free(want);
	rsd_config_diag_clear(&diag);

	/* n0 includes n1 ... n9: the ninth level is refused, in n8 */
	for (int i = 0; i < 10; i++) {
		char name[16], text[64];
		snprintf(name, sizeof name, "n%d.ini", i);
		snprintf(text, sizeof text, "%sinclude = n%d.ini\n", i ? "" : BASE, i + 1);
		put_file(dir, name, text);
	}
	ck_assert_int_eq(load_in(dir, "n0.ini", &cfg, &diag), -EINVAL);
	ck_assert_uint_eq(diag.n, 1);
	ck_assert_int_ge(asprintf(&want, "%s/n8.ini:1: include: nested more than 8 deep", dir), 0);
	ck_assert_str_eq(diag.messages[0], want);
	free(want);
	rsd_config_diag_clear(&diag);

	/* a directory that the pattern matches cannot be read as a file */
	ck_assert_int_ge(asprintf(&sub, "%s/dir.ini", dir), 0);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	put_file(dir, "main.ini", BASE "include = dir.ini\n");
	ck_assert_int_eq(load_in(dir, "main.ini", &cfg, &diag), -EINVAL);
	ck_assert_uint_eq(diag.n, 1);
	ck_assert_int_ge(
		asprintf(&want, "%s/main.ini:3: include: cannot read %s: Is a directory", dir, sub),
		0);
	ck_assert_str_eq(diag.messages[0], want);
	free(want);
	rsd_config_diag_clear(&diag);
	free(sub);
	remove_dir(dir);
}
END_TEST

/* The secret lives in a 0600 file of its own, expanded like any value. */
START_TEST(include_a_secret_file)
{
	char *dir = temp_dir("rsd-include");
	ck_assert_int_eq(setenv("RSD_TEST_PW", "from-env", 1), 0);
	put_file(dir, "main.ini", BASE "[kafka]\nsasl.username = u\ninclude = secret.ini\n");
	put_file(dir, "secret.ini", "[kafka]\nsasl.password = ${RSD_TEST_PW}-x$$\n");
	struct rsd_config *cfg = NULL;
	struct rsd_config_diag diag = { 0 };
	ck_assert_int_eq(load_in(dir, "main.ini", &cfg, &diag), 0);
	ck_assert_str_eq(cfg->kafka_props.items[1].key, "sasl.password");
	ck_assert_str_eq(cfg->kafka_props.items[1].value, "from-env-x$");
	rsd_config_free(cfg);
	remove_dir(dir);
}
END_TEST

void config_add_reference_cases(Suite *s)
{
	TCase *refs = tcase_create("references");
	tcase_add_test(refs, environment_reference);
	tcase_add_test(refs, environment_reference_errors);
	tcase_add_test(refs, credential_reference);
	tcase_add_test(refs, secrets_never_in_messages);
	tcase_add_test(refs, one_character_secret);
	tcase_add_test(refs, secret_in_checks_across_keys);
	suite_add_tcase(s, refs);

	TCase *inc = tcase_create("include");
	tcase_add_test(inc, include_overrides_in_order);
	tcase_add_test(inc, include_errors_name_the_file);
	tcase_add_test(inc, include_loops_depth_and_unreadable);
	tcase_add_test(inc, include_a_secret_file);
	suite_add_tcase(s, inc);
}
