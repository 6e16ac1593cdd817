/* SPDX-License-Identifier: MIT */
/* Encoding detection and conversion to UTF-8 (see charset.h). */
#include "extract/charset.h"

#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <string.h>

/* Copies a charset label from s (up to a delimiter), lowercased. */
static void copy_label(const char *s, size_t len, char *label, size_t size)
{
	size_t i = 0, n = 0;
	while (i < len && (s[i] == ' ' || s[i] == '"' || s[i] == '\'' || s[i] == '='))
		i++;
	for (; i < len && n + 1 < size; i++) {
		char c = s[i];
		if (c == ';' || c == '"' || c == '\'' || c == ' ' || c == '>' || c == '/' ||
		    c == ',' || c == '\t' || c == '\n' || c == '\r')
			break;
		label[n++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	label[n] = '\0';
}

/* "text/html; charset=ISO-8859-1" -> "iso-8859-1" */
static bool label_from_content_type(const char *ct, size_t len, char *label, size_t size)
{
	const char *c = rsd_text_icasefind(ct, len, "charset");
	if (!c)
		return false;
	c += 7;
	size_t rest = len - (size_t)(c - ct);
	while (rest && (*c == ' ' || *c == '\t')) {
		c++;
		rest--;
	}
	if (!rest || *c != '=')
		return false;
	copy_label(c, rest, label, size);
	return label[0] != '\0';
}

/* <meta charset=...> or <meta http-equiv=content-type content="...;
 * charset=..."> within the first 1024 bytes (the HTML5 prescan window). */
static bool label_from_meta(const char *html, size_t len, char *label, size_t size)
{
	size_t window = len < 1024 ? len : 1024;
	const char *p = html, *end = html + window;
	while ((p = rsd_text_icasefind(p, (size_t)(end - p), "<meta")) != NULL) {
		const char *close = memchr(p, '>', (size_t)(end - p));
		const char *tag_end = close ? close : end;
		if (label_from_content_type(p, (size_t)(tag_end - p), label, size))
			return true;
		p += 5;
	}
	return false;
}

size_t rsd_charset_detect(const char *html, size_t len, const char *content_type, char *label,
			  size_t size)
{
	const unsigned char *u = (const unsigned char *)html;
	if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
		copy_label("utf-8", 5, label, size);
		return 3;
	}
	if (len >= 2 && u[0] == 0xFF && u[1] == 0xFE) {
		copy_label("utf-16le", 8, label, size);
		return 2;
	}
	if (len >= 2 && u[0] == 0xFE && u[1] == 0xFF) {
		copy_label("utf-16be", 8, label, size);
		return 2;
	}
	if (content_type &&
	    label_from_content_type(content_type, strlen(content_type), label, size))
		return 0;
	if (label_from_meta(html, len, label, size))
		return 0;
	copy_label("utf-8", 5, label, size);
	return 0;
}

/* WHATWG label aliases that iconv names differently or that browsers
 * decode as a superset. */
static const char *iconv_name(const char *label)
{
	static const struct {
		const char *label, *name;
	} ALIASES[] = {
		{ "iso-8859-1", "WINDOWS-1252" }, { "latin1", "WINDOWS-1252" },
		{ "iso8859-1", "WINDOWS-1252" },  { "l1", "WINDOWS-1252" },
		{ "us-ascii", "WINDOWS-1252" },   { "ascii", "WINDOWS-1252" },
		{ "iso-8859-9", "WINDOWS-1254" }, { "tis-620", "WINDOWS-874" },
		{ "x-sjis", "SHIFT_JIS" },        { "gb2312", "GBK" },
		{ "ks_c_5601-1987", "CP949" },    { "euc-kr", "CP949" },
	};
	for (size_t i = 0; i < sizeof ALIASES / sizeof ALIASES[0]; i++)
		if (strcmp(label, ALIASES[i].label) == 0)
			return ALIASES[i].name;
	return label;
}

static bool is_utf8_label(const char *label)
{
	return strcmp(label, "utf-8") == 0 || strcmp(label, "utf8") == 0 ||
	       strcmp(label, "unicode-1-1-utf-8") == 0 ||
	       /* A page that claims UTF-16 in a meta tag cannot be UTF-16
		* (the tag itself was readable as ASCII): HTML5 says UTF-8. */
	       strcmp(label, "utf-16") == 0 || strcmp(label, "x-user-defined") == 0;
}

/* iconv loop; an invalid or incomplete input sequence becomes U+FFFD. */
static int convert(iconv_t cd, const char *in, size_t len, struct rsd_text_buf *out)
{
	char *src = (char *)in;
	size_t left = len;
	while (left > 0) {
		if (rsd_text_buf_reserve(out, left * 2 + 16) < 0)
			return -ENOMEM;
		char *dst = out->data + out->len;
		size_t room = out->cap - out->len - 1;
		size_t rc = iconv(cd, &src, &left, &dst, &room);
		out->len = (size_t)(dst - out->data);
		out->data[out->len] = '\0';
		if (rc != (size_t)-1)
			break;
		if (errno == E2BIG)
			continue;
		/* EILSEQ / EINVAL: skip one byte and mark it */
		if (rsd_text_buf_append(out, "\xEF\xBF\xBD", 3) < 0)
			return -ENOMEM;
		src++;
		left--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	return 0;
}

int rsd_charset_to_utf8(const char *html, size_t len, const char *content_type, const char **out,
			size_t *out_len, struct rsd_text_buf *out_buf)
{
	char label[48];
	size_t bom = rsd_charset_detect(html, len, content_type, label, sizeof label);
	html += bom;
	len -= bom;
	iconv_t cd = (iconv_t)-1;
	if (!is_utf8_label(label))
		cd = iconv_open("UTF-8", iconv_name(label));
	if (cd == (iconv_t)-1) {
		if (rsd_text_utf8_valid(html, len)) {
			*out = html;
			*out_len = len;
			return 0;
		}
		if (rsd_text_utf8_repair(html, len, out_buf) < 0)
			return -ENOMEM;
	} else {
		struct rsd_text_buf tmp = { 0 };
		int rc = convert(cd, html, len, &tmp);
		iconv_close(cd);
		/* the converter may emit NUL for NUL input: repair drops it */
		if (rc == 0)
			rc = rsd_text_utf8_repair(tmp.data ? tmp.data : "", tmp.len, out_buf);
		rsd_text_buf_free(&tmp);
		if (rc < 0)
			return -ENOMEM;
	}
	if (!out_buf->data && rsd_text_buf_reserve(out_buf, 0) < 0)
		return -ENOMEM;
	*out = out_buf->data;
	*out_len = out_buf->len;
	return 0;
}
