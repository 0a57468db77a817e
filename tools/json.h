/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal streaming JSON writer: objects, arrays, strings, unsigned
 * numbers and null. Compact ({"a":1,"b":"x"}) or pretty (one member per line, indented
 * by 4 spaces). The top-level value ends with a newline.
 */
#ifndef TWCTL_JSON_H
#define TWCTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The version of the JSON that show and stats print (key "schema_version",
 * docs/twctl.schema.json): raised when a key changes meaning or type or
 * goes away; added keys keep it.
 */
#define TWCTL_JSON_SCHEMA_VERSION	1

#define JSON_MAX_DEPTH	8

struct json {
	FILE *out;
	bool pretty;
	int depth;
	bool first[JSON_MAX_DEPTH];	/* no member written yet at a depth */
	char closer[JSON_MAX_DEPTH];	/* '}' or ']' of the value open there */
};

void json_init(struct json *j, FILE *out, bool pretty);
/* @key is NULL for the top-level object and for elements of an array. */
void json_open(struct json *j, const char *key);
/* An array: its elements are written with a NULL key. */
void json_open_array(struct json *j, const char *key);
/* Ends the innermost object or array. */
void json_close(struct json *j);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_str(struct json *j, const char *key, const char *s);
/* A string, or null when @s is NULL. */
void json_str_or_null(struct json *j, const char *key, const char *s);
void json_null(struct json *j, const char *key);
/* A JSON string literal (with quotes) of @s. */
/*
 * @s as a JSON string: quotes, backslashes and control characters
 * escaped; bytes that are not well-formed UTF-8 each become \ufffd, so
 * the output is always valid JSON (and lossy for such names).
 */
void json_write_string(FILE *out, const char *s);

/*
 * The length of the well-formed UTF-8 sequence at @p (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or 0.
 */
int json_utf8_len(const unsigned char *p);

#endif /* TWCTL_JSON_H */
