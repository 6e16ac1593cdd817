/* SPDX-License-Identifier: MIT */
#ifndef RSD_CHARSET_H
#define RSD_CHARSET_H

/* Character encoding of a fetched page, and its conversion to UTF-8.
 * Precedence as in the HTML5 encoding sniffing algorithm: byte order mark,
 * then the HTTP Content-Type charset, then a <meta charset> or
 * <meta http-equiv=Content-Type> in the first 1024 bytes, else UTF-8 (the
 * encoding of almost every recipe site; invalid bytes are repaired). */

#include <stddef.h>

#include "core/text.h"

/* Writes the encoding label (lowercase, e.g. "utf-8", "windows-1252") into
 * label[0..size). Returns the length of a BOM to skip (0 when none). */
size_t rsd_charset_detect(const char *html, size_t len, const char *content_type, char *label,
			  size_t size);

/* Converts html to valid UTF-8 without NUL bytes.
 * If the page already is valid UTF-8 (the common case) nothing is copied:
 * *out points into html and out_buf stays empty. Otherwise the converted
 * text is in out_buf (owned by the caller) and *out points to it.
 * Returns 0 or -ENOMEM; an unknown encoding is treated as UTF-8. */
int rsd_charset_to_utf8(const char *html, size_t len, const char *content_type, const char **out,
			size_t *out_len, struct rsd_text_buf *out_buf);

#endif
