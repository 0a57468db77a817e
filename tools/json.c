// SPDX-License-Identifier: GPL-2.0
/* Minimal JSON writer: see json.h. */
#include "json.h"

void json_init(struct json *j, FILE *out, bool pretty)
{
	j->out = out;
	j->pretty = pretty;
	j->depth = 0;
	j->first[0] = true;
	j->closer[0] = '}';
}

/*
 * The length of the well-formed UTF-8 sequence at @p (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or 0.
 */
int json_utf8_len(const unsigned char *p)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int n, i;

	if (*p < 0x80)
		return 1;
	if (*p >= 0xc2 && *p <= 0xdf)
		n = 2;
	else if (*p >= 0xe0 && *p <= 0xef)
		n = 3;
	else if (*p >= 0xf0 && *p <= 0xf4)
		n = 4;
	else
		return 0;
	if (*p == 0xe0)
		lo = 0xa0;
	else if (*p == 0xed)
		hi = 0x9f;
	else if (*p == 0xf0)
		lo = 0x90;
	else if (*p == 0xf4)
		hi = 0x8f;
	for (i = 1; i < n; i++, lo = 0x80, hi = 0xbf)
		if (p[i] < lo || p[i] > hi)
			return 0;
	return n;
}

void json_write_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	fputc('"', out);
	for (; *p; p++) {
		if (*p >= 0x80) {
			/*
			 * JSON text is UTF-8: a byte that does not start a
			 * well-formed sequence (a namespace name is any
			 * bytes) becomes U+FFFD, the replacement character.
			 */
			n = json_utf8_len(p);
			if (!n) {
				fputs("\\ufffd", out);
				continue;
			}
			fwrite(p, 1, (size_t)n, out);
			p += n - 1;
			continue;
		}
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

static void newline_indent(struct json *j)
{
	int i;

	if (!j->pretty)
		return;
	fputc('\n', j->out);
	for (i = 0; i < j->depth; i++)
		fputs("    ", j->out);
}

/* Separator, indentation and "key": before a value at the current depth. */
static void member(struct json *j, const char *key)
{
	if (j->depth > 0) {
		if (!j->first[j->depth])
			fputc(',', j->out);
		newline_indent(j);
	}
	j->first[j->depth] = false;
	if (key) {
		json_write_string(j->out, key);
		fputs(j->pretty ? ": " : ":", j->out);
	}
}

static void open_value(struct json *j, const char *key, char opener,
		       char closer)
{
	member(j, key);
	fputc(opener, j->out);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
	j->closer[j->depth] = closer;
}

void json_open(struct json *j, const char *key)
{
	open_value(j, key, '{', '}');
}

void json_open_array(struct json *j, const char *key)
{
	open_value(j, key, '[', ']');
}

void json_close(struct json *j)
{
	bool empty = j->first[j->depth];
	char closer = j->closer[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (!empty)
		newline_indent(j);
	fputc(closer ? closer : '}', j->out);
	if (j->depth == 0)
		fputc('\n', j->out);
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	member(j, key);
	fprintf(j->out, "%llu", (unsigned long long)v);
}

void json_str(struct json *j, const char *key, const char *s)
{
	member(j, key);
	json_write_string(j->out, s);
}

void json_null(struct json *j, const char *key)
{
	member(j, key);
	fputs("null", j->out);
}

void json_str_or_null(struct json *j, const char *key, const char *s)
{
	if (s)
		json_str(j, key, s);
	else
		json_null(j, key);
}
