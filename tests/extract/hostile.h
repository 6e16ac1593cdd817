/* SPDX-License-Identifier: MIT */
#ifndef RSD_TEST_HOSTILE_H
#define RSD_TEST_HOSTILE_H

/* Hostile pages: markup that makes an HTML parser or an extractor do more
 * than linear work, each class written to a requested size, so that the
 * tests can double the size and compare the cost.
 *
 * Every page opens with a recipe the extractor can find, so that it takes
 * the path under test and a well-behaved extractor still returns a record:
 * - HOSTILE_JSONLD: a JSON-LD Recipe (the streaming path, no DOM);
 * - HOSTILE_MICRODATA: a microdata Recipe and no JSON-LD (the DOM path:
 *   gumbo parses the page). */

#include <stddef.h>

enum hostile_path { HOSTILE_JSONLD, HOSTILE_MICRODATA };

struct hostile_class {
	const char *name;
	const char *what; /* one line: the construct and why it costs */
	struct shape {
		const char *open, *first;
		unsigned share; /* quarters of the size for first's repetitions */
		const char *middle, *second, *close;
	} shape; /* (hostile.c); second NULL: NUL bytes */
};

extern const struct hostile_class hostile_classes[];
extern const size_t hostile_n_classes;

/* A whole page of about size bytes (malloc'd, NUL-terminated, *len set):
 * the recipe head for path, then class c's body, then the closing tags. */
char *hostile_page(const struct hostile_class *c, enum hostile_path path, size_t size, size_t *len);

#endif
