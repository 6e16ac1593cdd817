/* SPDX-License-Identifier: MIT */
/* Facts a page states in prose (see prose.h): labelled yields and times,
 * a line of facts under a plain page's title, and the page's own labelled
 * yields read from the raw bytes with the streaming scanner. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract/prose.h"
#include "extract/fields.h"
#include "extract/html_scan.h"
#include "core/text.h"

/* ---- labelled yields and times in prose --------------------------------- */

/* Letters of a word: ASCII letters and any non-ASCII UTF-8 byte. */
static bool word_byte(char c)
{
	unsigned char u = (unsigned char)c;
	return ((u | 0x20) >= 'a' && (u | 0x20) <= 'z') || u >= 0x80;
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Length of the blank at p: a space, a tab or a no-break space (pages put
 * one between a number and its unit: "45&nbsp;min"), else 0. */
static size_t blank_at(const char *p, const char *end)
{
	if (p < end && (*p == ' ' || *p == '\t'))
		return 1;
	return end - p >= 2 && (unsigned char)p[0] == 0xC2 && (unsigned char)p[1] == 0xA0 ? 2 : 0;
}

static const char *skip_blanks(const char *p, const char *end)
{
	for (size_t n; (n = blank_at(p, end)) != 0;)
		p += n;
	return p;
}

/* Length of phrase `lower` at s (ASCII case-insensitive) when it ends a
 * word there, else 0. */
static size_t phrase_at(const char *s, const char *end, const char *lower)
{
	size_t n = strlen(lower);
	if ((size_t)(end - s) < n || !rsd_text_ieq(s, n, lower))
		return 0;
	bool nbsp = end - (s + n) >= 2 && (unsigned char)s[n] == 0xC2 &&
		    (unsigned char)s[n + 1] == 0xA0;
	return s + n < end && word_byte(s[n]) && !nbsp ? 0 : n;
}

/* The separators between a label and its value: "Serves: 4", "Prep - 10 min". */
static const char *skip_separators(const char *p, const char *end)
{
	static const char *const SEP[] = {
		" ",      "\xc2\xa0", ":",    "-",     "=", "\xe2\x80\x93", "\xe2\x80\x94",
		"about ", "approx. ", "ca. ", "env. ", NULL
	};
	for (bool again = true; again;) {
		again = false;
		for (size_t i = 0; SEP[i]; i++) {
			size_t n = strlen(SEP[i]);
			if ((size_t)(end - p) >= n && rsd_text_ieq(p, n, SEP[i])) {
				p += n;
				again = true;
			}
		}
	}
	return p;
}

/* A count ("4", "2.5", "2-4", "2 - 4", "2 to 4") at p: its end, or p. */
static const char *count_end(const char *p, const char *end)
{
	const char *q = p;
	while (q < end && digit(*q))
		q++;
	if (q == p || q - p > 6)
		return p; /* no count, or a number too long for one (an id, a price) */
	if (q + 1 < end && (*q == '.' || *q == ',') && digit(q[1]))
		for (q++; q < end && digit(*q); q++)
			;
	const char *r = q;
	while (r < end && *r == ' ')
		r++;
	size_t dash = r < end && *r == '-'                                  ? 1
		      : (end - r >= 3 && memcmp(r, "\xe2\x80\x93", 3) == 0) ? 3
		      : phrase_at(r, end, "to")                             ? 2
									    : 0;
	if (dash) {
		r += dash;
		while (r < end && *r == ' ')
			r++;
		if (r < end && digit(*r)) {
			for (q = r; q < end && digit(*q); q++)
				;
		}
	}
	return q;
}

static bool in_list(const char *s, const char *end, const char *const *words)
{
	for (size_t i = 0; words[i]; i++)
		if (phrase_at(s, end, words[i]))
			return true;
	return false;
}

/* Minutes of "1 hour 30 min", "25 minutes", "1 Std. 10 Min." at p, or -1;
 * *stop (when given) is set to the end of the last unit read. */
static long prose_minutes(const char *p, const char *end, const char **stop)
{
	static const char *const HOURS[] = { "h",     "hr",     "hrs",     "hour",  "hours",
					     "std",   "stunde", "stunden", "heure", "heures",
					     "hora",  "horas",  "ora",     "ore",   "uur",
					     "timme", "timmar", "time",    "timer", "godz",
					     "hod",   "hodina", "hodiny",  "hodin", NULL };
	static const char *const MINUTES[] = { "m",       "min",      "mins",     "minute",
					       "minutes", "minuten",  "minuti",   "minuto",
					       "minutos", "minuter",  "minutter", "minut",
					       "minuty",  "minutach", NULL };
	double total = 0;
	bool any = false;
	for (int part = 0; part < 3; part++) {
		p = skip_separators(p, end);
		const char *q = count_end(p, end);
		if (q == p)
			break;
		double v = strtod(p, NULL); /* the lower bound of a range */
		q = skip_blanks(q, end);
		const char *u = q;
		while (q < end && word_byte(*q))
			q++;
		double scale = in_list(u, end, HOURS) ? 60 : in_list(u, end, MINUTES) ? 1 : 0;
		if (!scale)
			break;
		total += v * scale;
		any = true;
		p = q;
		if (stop)
			*stop = q;
		if (p < end && *p == '.')
			p++;
		p = skip_blanks(p, end);
		size_t and = phrase_at(p, end, "and")   ? 3
			     : phrase_at(p, end, "und") ? 3
			     : phrase_at(p, end, "et")  ? 2
							: 0;
		p += and;
	}
	return any && total < 1e6 ? lround(total) : -1;
}

/* The end of at most two words at w ("cookies", "small loaves"), or w. */
static const char *two_words_end(const char *w, const char *end)
{
	const char *q = w;
	for (int words = 0; words < 2 && q < end && word_byte(*q); words++) {
		while (q < end && word_byte(*q))
			q++;
		if (q + 1 < end && *q == ' ' && word_byte(q[1]))
			q++;
	}
	while (q > w && q[-1] == ' ')
		q--;
	return q;
}

/* What follows a count that "makes" something: "12 cookies", "2 loaves". */
static char *made_count(const char *count, const char *count_stop, const char *end)
{
	const char *w = count_stop;
	w = skip_blanks(w, end);
	const char *q = two_words_end(w, end);
	char *num = strndup(count, (size_t)(count_stop - count));
	char *out = NULL;
	if (num && q > w) {
		if (asprintf(&out, "%s %.*s", num, (int)(q - w), w) < 0)
			out = NULL;
	} else if (num) {
		out = rsd_fields_yields_text(num);
	}
	free(num);
	return out;
}

/* Labels before a count of servings, and before a count of things made. */
static const char *const SERVES[] = { "servings",  "serving",   "serves",   "portions",
				      "portionen", "porciones", "porzioni", "porções",
				      "personnes", "personen",  "porce",    "porcje",
				      "portioner", NULL };
static const char *const MAKES[] = { "yields",    "yield",       "makes", "ergibt",
				     "rendement", "rendimiento", NULL };

/* "Serves 4", "Makes 12 cookies", "4 personnes": yields at p, or NULL. */
static char *prose_yields(const char *p, const char *end, bool *nomem)
{
	static const char *const UNITS[] = {
		"servings",  "serving",  "people",    "persons",   "personnes", "personen",
		"portionen", "portions", "porciones", "porzioni",  "porções",   "porce",
		"porcí",     "porcje",   "porcji",    "osoby",     "osób",      "os",
		"personas",  "persone",  "personer",  "portioner", "pers",      NULL
	}; /* "os.": Polish persons */
	char *out = NULL;
	if (digit(*p)) {
		const char *q = count_end(p, end), *u = q;
		u = skip_blanks(u, end);
		if (q > p && in_list(u, end, UNITS)) {
			char *num = strndup(p, (size_t)(q - p));
			out = num ? rsd_fields_yields_text(num) : NULL;
			free(num);
			*nomem = !out;
		}
		return out;
	}
	for (int makes = 0; makes < 2; makes++) {
		const char *const *labels = makes ? MAKES : SERVES;
		for (size_t i = 0; labels[i]; i++) {
			size_t n = phrase_at(p, end, labels[i]);
			if (!n)
				continue;
			const char *v = skip_separators(p + n, end), *q = count_end(v, end);
			if (q == v)
				return NULL;
			char *num = strndup(v, (size_t)(q - v));
			if (num)
				out = makes ? made_count(v, q, end) : rsd_fields_yields_text(num);
			*nomem = !out;
			free(num);
			return out;
		}
	}
	return NULL;
}

/* A yields label at the start of one of the page's text nodes: ">Serves
 * <b>4</b>", ">Servings</div> <div>4", ">4 porce". Recipe cards show it
 * where the Recipe data has none. Text nodes are read in document order,
 * outside raw-text elements (scripts, styles, the title); only those that
 * start with a digit or a label's first word are cleaned (a few dozen
 * bytes of them, tags dropped) and read. */
static bool may_start_yields(const char *p, const char *end)
{
	static const char *const FIRST[] = { "serv",      "yield",       "makes", "portion",
					     "porcion",   "porzion",     "porçõ", "personne",
					     "personen",  "porce",       "porcj", "ergibt",
					     "rendement", "rendimiento", NULL };
	if (digit(*p))
		return true;
	for (size_t i = 0; FIRST[i]; i++) {
		size_t n = strlen(FIRST[i]);
		if ((size_t)(end - p) >= n && rsd_text_ieq(p, n, FIRST[i]))
			return true;
	}
	return false;
}

/* The text from p to the next tag, at most max bytes of it, cleaned. */
static char *text_node(const char *p, const char *end, size_t max)
{
	const char *lt = memchr(p, '<', (size_t)(end - p));
	size_t n = (size_t)((lt ? lt : end) - p);
	return rsd_text_clean(p, n < max ? n : max);
}

static bool blank(const char *p, const char *end)
{
	p = rsd_text_skip_space(p, end);
	return p == end || *p == '<';
}

/* The option a <select> shows: the one marked selected, else the first
 * (as a browser does). Leaves *s after </select>. */
static char *shown_option(struct rsd_html_scanner *s)
{
	enum { MAX_OPTIONS = 200, COUNT_BYTES = 32 };
	struct rsd_html_tag t;
	const char *first = NULL, *selected = NULL;
	for (int n = 0; n < MAX_OPTIONS && rsd_html_scan_next(s, &t); n++) {
		if (rsd_html_scan_is(&t, "select") && t.is_end)
			break;
		if (!rsd_html_scan_is(&t, "option") || t.is_end)
			continue;
		first = first ? first : s->p;
		if (!selected && rsd_html_scan_attr(&t, "selected"))
			selected = s->p;
	}
	const char *shown = selected ? selected : first;
	return shown ? text_node(shown, s->end, COUNT_BYTES) : strdup("");
}

/* The next text from s, at most two tags further ("</select>
 * <span>people</span>"), or NULL. */
static const char *next_text(struct rsd_html_scanner s)
{
	struct rsd_html_tag t;
	for (int n = 0; n < 3 && blank(s.p, s.end) && rsd_html_scan_next(&s, &t); n++)
		;
	return blank(s.p, s.end) ? NULL : s.p;
}

/* The last word of the text node at p ("Servings" of "Number of
 * Servings:"), or "" when it ends with no word. */
static char *last_word(const char *p, const char *end)
{
	enum { TAIL = 48 };
	const char *lt = memchr(p, '<', (size_t)(end - p));
	end = lt ? lt : end;
	if (end - p > TAIL)
		for (p = end - TAIL; p < end && ((unsigned char)*p & 0xC0) == 0x80; p++)
			; /* from the start of a character */
	char *text = rsd_text_clean(p, (size_t)(end - p));
	if (!text)
		return NULL;
	size_t n = strlen(text);
	while (n > 0 && (text[n - 1] == ':' || text[n - 1] == ' '))
		n--;
	size_t w = n;
	while (w > 0 && word_byte(text[w - 1]))
		w--;
	memmove(text, text + w, n - w);
	text[n - w] = '\0';
	return text;
}

/* A servings scaler, the count a <select> whose shown option holds it:
 * "Servings: <select><option selected>4</option>…</select>",
 * "<label>Makes</label> <select>…</select> cookies", "Pour <select>…
 * </select> personnes". label is the last text before the <select> (at
 * most two tags before it), or NULL; its last word is the yields label,
 * or else the text after the count is the unit. Leaves *s after the
 * </select>: its options are no text of their own. */
static int scaler_yields(struct rsd_html_scanner *s, const char *label, char **yields)
{
	enum { UNIT_BYTES = 48 };
	char *count = shown_option(s);
	const char *after = next_text(*s);
	char *unit = after ? text_node(after, s->end, UNIT_BYTES) : strdup("");
	char *word = label ? last_word(label, s->end) : strdup("");
	char *text = NULL;
	bool nomem = !count || !unit || !word;
	if (!nomem && *count && asprintf(&text, "%s %s %s", word, count, unit) < 0)
		nomem = true;
	if (text) {
		const char *end = text + strlen(text), *at_count = text + strlen(word) + 1;
		if (*word)
			*yields = prose_yields(text, end, &nomem);
		if (!*yields && !nomem)
			*yields = prose_yields(at_count, end, &nomem);
	}
	free(text);
	free(word);
	free(count);
	free(unit);
	return nomem ? -ENOMEM : 0;
}

/* Whether the digits at p (the page's bytes: not NUL-terminated, so no
 * strtol) make a number of at least min. */
static bool count_at_least(const char *p, const char *end, unsigned long min)
{
	unsigned long v = 0;
	for (; p < end && digit(*p) && v < min; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	return v >= min;
}

int rsd_prose_page_yields(const char *html, size_t len, char **yields)
{
	enum { WINDOW = 96 };
	struct rsd_html_scanner s;
	struct rsd_html_tag t;
	const char *end = html + len, *label = NULL;
	int tags_since_label = 0;
	bool nomem = false;
	rsd_html_scan_init(&s, html, len);
	while (!*yields && !nomem) {
		const char *before = s.p;
		if (!rsd_html_scan_next(&s, &t))
			break;
		if (!blank(before, end)) {
			label = before;
			tags_since_label = 0;
		} else if (tags_since_label <= 2) {
			tags_since_label++;
		}
		if (rsd_html_scan_is(&t, "select") && !t.is_end) {
			int rc = scaler_yields(&s, tags_since_label <= 2 ? label : NULL, yields);
			if (rc < 0)
				return rc;
			continue;
		}
		const char *p = rsd_text_skip_space(s.p, end);
		if (p == end || *p == '<' || !may_start_yields(p, end))
			continue;
		if (count_at_least(p, end, 100))
			continue; /* "1309 people saved this": a page's counter, no yield */
		size_t n = (size_t)(end - p) < WINDOW ? (size_t)(end - p) : WINDOW;
		const char *select = rsd_text_icasefind(p, n, "<select");
		if (select)
			n = (size_t)(select - p); /* the scaler's shown option, not its first */
		char *text = rsd_text_clean(p, n);
		if (!text)
			return -ENOMEM;
		*yields = prose_yields(text, text + strlen(text), &nomem);
		free(text);
	}
	return nomem ? -ENOMEM : 0;
}

/* The time labels: the field they fill, longest phrases first. Each
 * starts with one of the letters time_label() looks for first. */
static const struct {
	const char *label;
	size_t field; /* offsetof the long in rsd_recipe_fields */
} TIME_LABELS[] = {
#define PREP offsetof(struct rsd_recipe_fields, prep_time)
#define COOK offsetof(struct rsd_recipe_fields, cook_time)
#define TOTAL offsetof(struct rsd_recipe_fields, total_time)
	{ "preparation time", PREP },
	{ "prep time", PREP },
	{ "preparation", PREP },
	{ "prep", PREP },
	{ "zubereitungszeit", PREP },
	{ "vorbereitungszeit", PREP },
	{ "arbeitszeit", PREP },
	{ "vorbereitung", PREP },
	{ "temps de préparation", PREP },
	{ "préparation", PREP },
	{ "tiempo de preparación", PREP },
	{ "preparación", PREP },
	{ "tempo di preparazione", PREP },
	{ "preparazione", PREP },
	{ "bereidingstijd", PREP },
	{ "voorbereidingstijd", PREP },
	{ "tempo de preparo", PREP },
	{ "příprava", PREP },
	{ "czas przygotowania", PREP },
	{ "cooking time", COOK },
	{ "cook time", COOK },
	{ "cooking", COOK },
	{ "cook", COOK },
	{ "kochzeit", COOK },
	{ "backzeit", COOK },
	{ "garzeit", COOK },
	{ "temps de cuisson", COOK },
	{ "cuisson", COOK },
	{ "tiempo de cocción", COOK },
	{ "cocción", COOK },
	{ "tempo di cottura", COOK },
	{ "cottura", COOK },
	{ "kooktijd", COOK },
	{ "baktijd", COOK },
	{ "tempo de cozimento", COOK },
	{ "czas gotowania", COOK },
	{ "total time", TOTAL },
	{ "ready in", TOTAL },
	{ "total", TOTAL },
	{ "gesamtzeit", TOTAL },
	{ "temps total", TOTAL },
	{ "tiempo total", TOTAL },
	{ "tempo totale", TOTAL },
	{ "totale tijd", TOTAL },
	{ "tempo total", TOTAL },
	{ "celkový čas", TOTAL },
	{ "czas całkowity", TOTAL },
#undef PREP
#undef COOK
#undef TOTAL
};

enum { NO_LABEL = sizeof TIME_LABELS / sizeof TIME_LABELS[0] };

/* The time label at p (its index in TIME_LABELS, *len its length), or
 * NO_LABEL. Every label starts with one of a few ASCII letters: a look at
 * the first byte spares most text the list. */
static size_t time_label(const char *p, const char *end, size_t *len)
{
	if (p == end || !strchr("abcgkprtvz", *p | 0x20))
		return NO_LABEL;
	for (size_t i = 0; i < NO_LABEL; i++)
		if ((*len = phrase_at(p, end, TIME_LABELS[i].label)) != 0)
			return i;
	return NO_LABEL;
}

/* Whether a label's value follows a mark that sets it off ("Prep: 10
 * mins", "Cook time | 20 minutes", "Total = 1 h"), not just a space (the
 * "Cook 5 minutes, stirring" of a method). */
static bool marked_value(const char *p, const char *end)
{
	p = skip_blanks(p, end);
	return p < end && (*p == ':' || *p == '=' || *p == '|');
}

/* A time label and its duration at p: fills the field when still unset.
 * marked: only a value set off by a mark (marked_value). */
static void prose_time(const char *p, const char *end, bool marked, struct rsd_recipe_fields *f)
{
	size_t n, i = time_label(p, end, &n);
	if (i == NO_LABEL || (marked && !marked_value(p + n, end)))
		return;
	const char *v = p + n;
	if (marked) /* past the mark: skip_separators knows no '|' */
		v = skip_blanks(v, end) + 1;
	long *field = (long *)((char *)f + TIME_LABELS[i].field);
	long m = prose_minutes(v, end, NULL);
	if (m >= 0 && *field < 0)
		*field = m;
}

/* ---- a line of facts under a plain page's title ---------------------------
 *
 * Pages without recipe markup often give the yields and the time on a short
 * line of their own under the title, unlabelled: "10 pieces — 20 minutes",
 * "Serves 4 | 1 hour 10 min", "12 cookies · 45 min". A line made only of
 * such parts, with exactly one duration, gives that duration as the total
 * time and its count as the yields. Anything else on the line ("5 min read",
 * a date, a name, two durations) and the line is left alone. */

enum fact { FACT_NONE, FACT_DURATION, FACT_COUNT, FACT_OTHER };

enum { FACT_LINE_MAX = 120 };

/* Length of a separator between two facts at p, or 0. Dashes that may
 * write a range ("20-25", "20–25") count only between spaces. */
static size_t fact_separator(const char *p, const char *end)
{
	static const char *const SEP[] = {
		"\xe2\x80\x94", " \xe2\x80\x93 ", " - ", "|", "/", "\xc2\xb7", "\xe2\x80\xa2", NULL
	}; /* em dash, en dash, -, |, /, middle dot, bullet */
	for (size_t i = 0; SEP[i]; i++) {
		size_t n = strlen(SEP[i]);
		if ((size_t)(end - p) >= n && memcmp(p, SEP[i], n) == 0)
			return n;
	}
	return 0;
}

/* p..*end without the blanks around it. */
static const char *fact_trim(const char *p, const char **end)
{
	p = skip_blanks(p, *end);
	for (;;) {
		if (*end > p && ((*end)[-1] == ' ' || (*end)[-1] == '\t'))
			*end -= 1;
		else if (*end - p >= 2 && blank_at(*end - 2, *end) == 2)
			*end -= 2;
		else
			return p;
	}
}

/* What the part p..end of a facts line is: a duration (*minutes set), a
 * count and its noun ("10 pieces", "Serves 4"), another count a recipe
 * header shows ("5 ingredients"), or nothing of the kind. A count of the
 * page's own ("3 comments", "12 reviews") makes a line of the page's
 * metadata, whose minutes are more likely a reading time. */
static enum fact fact_kind(const char *p, const char *end, long *minutes)
{
	static const char *const NOT_YIELDS[] = { "ingredients", "ingredient", "steps", "step",
						  "calories",    "kcal",       "cal",   NULL };
	static const char *const PAGE_COUNTS[] = { "comments", "comment", "reviews", "review",
						   "ratings",  "rating",  "votes",   "vote",
						   "stars",    "views",   "likes",   "shares",
						   NULL };
	const char *stop = NULL;
	long m = prose_minutes(p, end, &stop);
	if (m > 0 && stop && (stop == end || (stop + 1 == end && *stop == '.'))) {
		*minutes = m;
		return FACT_DURATION;
	}
	const char *count = p;
	if (!digit(*p)) { /* "Serves 4", "Makes 12 cookies" */
		if (!in_list(p, end, SERVES) && !in_list(p, end, MAKES))
			return FACT_NONE;
		const char *label = p;
		while (label < end && word_byte(*label))
			label++;
		count = skip_separators(label, end);
	}
	const char *q = count_end(count, end);
	if (q == count)
		return FACT_NONE;
	const char *w = q;
	w = skip_blanks(w, end);
	if (two_words_end(w, end) != end || (count == p && w == end))
		return FACT_NONE; /* more than a noun after the count, or a bare number */
	if (in_list(w, end, PAGE_COUNTS))
		return FACT_NONE;
	return in_list(w, end, NOT_YIELDS) ? FACT_OTHER : FACT_COUNT;
}

/* The yields of a count part: "4 servings" for "Serves 4", "10 pieces". */
static char *fact_yields(const char *p, const char *end)
{
	bool nomem = false;
	char *y = prose_yields(p, end, &nomem);
	if (y || nomem)
		return y;
	const char *q = count_end(p, end);
	return made_count(p, q, end);
}

/* Reads the line p..end when it is a line of facts (see above). */
static int fact_line(const char *p, const char *end, struct rsd_recipe_fields *f)
{
	if (end - p > FACT_LINE_MAX)
		return 0;
	const char *count = NULL, *count_end_at = NULL;
	long minutes = -1;
	int parts = 0, durations = 0;
	while (p < end) {
		const char *e = p;
		while (e < end && !fact_separator(e, end))
			e++;
		const char *next = e < end ? e + fact_separator(e, end) : end;
		const char *s = fact_trim(p, &e);
		long m = -1;
		switch (s < e ? fact_kind(s, e, &m) : FACT_NONE) {
		case FACT_NONE:
			return 0;
		case FACT_DURATION:
			durations++;
			minutes = m;
			break;
		case FACT_COUNT:
			if (count)
				return 0; /* two counts: which one is the yield? */
			count = s;
			count_end_at = e;
			break;
		case FACT_OTHER:
			break;
		}
		parts++;
		p = next;
	}
	if (parts < 2 || durations != 1)
		return 0;
	if (f->total_time < 0)
		f->total_time = minutes;
	if (!f->yields && count && !(f->yields = fact_yields(count, count_end_at)))
		return -ENOMEM;
	return 0;
}

static int fact_lines(const char *text, const char *end, struct rsd_recipe_fields *f)
{
	int rc = 0;
	for (const char *p = text; rc == 0 && p < end;) {
		const char *newline = memchr(p, '\n', (size_t)(end - p));
		const char *e = newline ? newline : end;
		const char *s = fact_trim(p, &e);
		if (s < e)
			rc = fact_line(s, e, f);
		p = newline ? newline + 1 : end;
	}
	return rc;
}

/* A total time the page does not state: its preparation and cooking. */
static void total_from_parts(struct rsd_recipe_fields *f)
{
	if (f->total_time < 0 && (f->prep_time > 0 || f->cook_time > 0))
		f->total_time = (f->prep_time > 0 ? f->prep_time : 0) +
				(f->cook_time > 0 ? f->cook_time : 0);
}

int rsd_prose_fields(const char *text, size_t len, struct rsd_recipe_fields *f)
{
	const char *end = text + len;
	bool had_total = f->total_time >= 0;
	for (const char *p = text; p < end; p++) {
		bool nbsp = p - text >= 2 && (unsigned char)p[-2] == 0xC2 &&
			    (unsigned char)p[-1] == 0xA0;
		if (p > text && !nbsp &&
		    (word_byte(p[-1]) || digit(p[-1]) || p[-1] == '.' || p[-1] == ','))
			continue; /* not at the start of a word or a number */
		if (!f->yields) {
			bool nomem = false;
			f->yields = prose_yields(p, end, &nomem);
			if (nomem)
				return -ENOMEM;
		}
		if (!digit(*p))
			prose_time(p, end, false, f);
	}
	int rc = fact_lines(text, end, f); /* after the labels: a label says more */
	if (rc < 0)
		return rc;
	if (!had_total)
		total_from_parts(f);
	return 0;
}

/* Whether the text node at p has a mark a labelled value follows
 * (marked_value) within its first n bytes: where a label's would be. */
static bool has_mark(const char *p, size_t n)
{
	const char *lt = memchr(p, '<', n);
	n = lt ? (size_t)(lt - p) : n;
	return memchr(p, ':', n) || memchr(p, '|', n) || memchr(p, '=', n);
}

int rsd_prose_page_times(const char *html, size_t len, struct rsd_recipe_fields *f)
{
	/* LABEL: the longest label ("tiempo de preparación") and a "&nbsp;"
	 * before its mark; WINDOW: it and the value */
	enum { LABEL = 32, WINDOW = 64 };
	const char *end = html + len, *gt = html;
	/* Text nodes start after a '>': a memchr walk, cheaper than the tag
	 * scanner for a look at each node's first bytes (a script's text has
	 * no labelled time to give). */
	while ((f->prep_time < 0 || f->cook_time < 0) &&
	       (gt = memchr(gt, '>', (size_t)(end - gt))) != NULL) {
		const char *p = rsd_text_skip_space(++gt, end);
		if (p == end || *p == '<' || digit(*p))
			continue;
		size_t n = (size_t)(end - p) < WINDOW ? (size_t)(end - p) : WINDOW;
		size_t label;
		if (!has_mark(p, n < LABEL ? n : LABEL) || time_label(p, p + n, &label) == NO_LABEL)
			continue; /* the common case, and cheap: no text cleaned */
		char *text = rsd_text_clean(p, n);
		if (!text)
			return -ENOMEM;
		prose_time(text, text + strlen(text), true, f);
		free(text);
	}
	total_from_parts(f);
	return 0;
}
