/* SPDX-License-Identifier: MIT */
/* The cut of a page read for a recipe without markup (see plain_prefix.h). */
#include <string.h>

#include "extract/plain_prefix.h"

/* The first "<h1" in p[0, n), either case: a memchr walk over the tags,
 * a few instructions a tag where a byte-by-byte compare took ~13 a byte
 * (3.3 M instructions on a 270 KB page, searched once before the cut and
 * once after it). */
static const char *find_h1(const char *p, size_t n)
{
	const char *end = p + n;
	for (const char *lt = p; (lt = memchr(lt, '<', (size_t)(end - lt))) != NULL; lt++)
		if (end - lt >= 3 && (lt[1] | 0x20) == 'h' && lt[2] == '1')
			return lt;
	return NULL;
}

/* Whether a search of the part before cut cannot give the whole page's
 * list of a kind whose container names all lie past it: the part holds
 * no container so named, so it finds the list by a heading or not at all,
 * and either disagrees with a name past the part
 * (rsd_html_lists_part_agrees). Parsing the part would be wasted. */
static bool names_only_after(const struct rsd_list_mentions m[2], const char *cut)
{
	for (int k = 0; k < 2; k++)
		if (m[k].first_name && m[k].first_name >= cut)
			return true;
	return false;
}

const char *rsd_plain_prefix_cut(const char *html, size_t len,
				 const struct rsd_list_mentions m[2], bool *h1_after)
{
	const char *h1 = find_h1(html, len), *at = h1 ? h1 : html;
	for (int k = 0; k < 2; k++)
		at = m[k].first && m[k].first > at ? m[k].first : at;
	*h1_after = false;
	if ((size_t)(html + len - at) <= RSD_PLAIN_PREFIX_AFTER)
		return NULL;
	const char *cut = memchr(at + RSD_PLAIN_PREFIX_AFTER, '<',
				 (size_t)(html + len - at) - RSD_PLAIN_PREFIX_AFTER);
	if (!cut || (size_t)(cut - html) >= len / 2 + len / 4 || names_only_after(m, cut))
		return NULL;
	*h1_after = find_h1(cut, (size_t)(html + len - cut)) != NULL;
	return cut;
}

bool rsd_plain_prefix_agrees(const struct rsd_plain_cut *c, const struct rsd_list_mentions m[2],
			     const char *html, const char *cut)
{
	for (int k = 0; k < 2; k++)
		if (c->searched[k] &&
		    !rsd_html_lists_part_agrees(&m[k], c->found[k], c->by_name[k], html, cut))
			return false;
	return !c->beyond;
}
