/* SPDX-License-Identifier: MIT */
#ifndef RSD_HTML_TRIM_H
#define RSD_HTML_TRIM_H

/* The page as gumbo needs it for the DOM fallbacks: without the contents
 * of <script> and <style>. Those are a third to a half of a modern page's
 * bytes, gumbo tokenizes them one character at a time (a third of the
 * extraction time on the pages that need a DOM), and nothing reads them
 * from the DOM: the text walks skip both elements, JSON-LD comes from the
 * streaming scan. Removing them leaves every other node as it was, in the
 * same order (source offsets shift, but only their order is compared).
 *
 * The streaming scanner finds the contents while it scans the page; a
 * body is cut only where the scanner and gumbo's tokenizer certainly agree
 * on where it starts and ends. At the first sign they may not (foreign
 * content that holds HTML or is left by a breakout tag, <select> and
 * <frameset>, whose tree builder ignores <style>, a "--!>" comment end or
 * a CDATA section, which the scanner reads more simply, a script whose
 * "<!--" makes gumbo end it later than the scanner does), nothing after
 * that point is cut. */

#include <stdbool.h>
#include <stddef.h>

#include "extract/html_scan.h"

struct rsd_html_trim {
	struct rsd_html_cut {
		const char *p;
		size_t len;
		bool script;
	} * cuts;
	size_t n, cap;
	unsigned root_len; /* the open foreign root: 3 <svg>, 4 <math> */
	bool in_select; /* inside <select> */
	bool in_svg_title; /* inside a foreign <title> (holds HTML) */
	bool done; /* no more cuts: the scanner may disagree */
};

/* Follows one tag of the scan; depth_before is the scanner's
 * foreign_depth before it read the tag. -ENOMEM. */
int rsd_html_trim_track(struct rsd_html_trim *t, const struct rsd_html_scanner *s,
			unsigned depth_before, const struct rsd_html_tag *tag);
/* A malloc'd copy of html[0..len) without the cut contents (NUL
 * terminated, *out_len set), or NULL when nothing is cut (use html) or on
 * ENOMEM (*nomem set). */
char *rsd_html_trim_copy(const struct rsd_html_trim *t, const char *html, size_t len,
			 size_t *out_len, bool *nomem);
void rsd_html_trim_clear(struct rsd_html_trim *t);

#endif
