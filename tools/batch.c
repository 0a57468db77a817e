// SPDX-License-Identifier: GPL-2.0
/* Batch mode: reading and splitting command lines; see batch.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"

#define BATCH_MAX_SIZE	(1 << 20)	/* a policy file, not a data set */

static int fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

static bool blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' ||
	       ch == '\f';
}

int batch_split(char *line, char *argv[], int max, char *err, size_t len)
{
	char *in = line, *out, *end;
	int argc = 0;

	for (;;) {
		while (blank(*in))
			in++;
		if (!*in || *in == '#')
			return argc;
		if (argc == max)
			return fail(err, len, "too many words (at most %d)",
				    max);
		/* Copy the word onto itself, without its quote marks. */
		argv[argc++] = out = in;
		while (*in && !blank(*in)) {
			if (*in != '"' && *in != '\'') {
				*out++ = *in++;
				continue;
			}
			end = strchr(in + 1, *in);
			if (!end)
				return fail(err, len, "unterminated %s quote",
					    *in == '"' ? "double" : "single");
			memmove(out, in + 1, (size_t)(end - in - 1));
			out += end - in - 1;
			in = end + 1;
		}
		end = *in ? in + 1 : in;
		*out = '\0';
		in = end;
	}
}

char *batch_read(FILE *f, char *err, size_t len)
{
	size_t n = 0, cap = 4096;
	char *buf = NULL, *p;

	for (;;) {
		p = realloc(buf, cap + 1);
		if (!p) {
			fail(err, len, "out of memory");
			goto out;
		}
		buf = p;
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		if (cap >= BATCH_MAX_SIZE) {
			fail(err, len, "too long (limit %d bytes)",
			     BATCH_MAX_SIZE);
			goto out;
		}
		cap *= 2;
	}
	if (ferror(f)) {
		fail(err, len, "%s", strerror(errno));
		goto out;
	}
	if (memchr(buf, '\0', n)) {
		fail(err, len, "not a text file (NUL byte)");
		goto out;
	}
	buf[n] = '\0';
	return buf;
out:
	free(buf);
	return NULL;
}

int batch_for_each(const char *text, batch_fn *fn, void *arg,
		   unsigned int *lineno, char *err, size_t len)
{
	char *argv[BATCH_MAX_WORDS], *line;
	int argc, rc = 0;
	size_t n;

	line = malloc(strlen(text) + 1);
	if (!line)
		return fail(err, len, "out of memory");
	*lineno = 0;
	while (*text && !rc) {
		n = strcspn(text, "\n");
		memcpy(line, text, n);
		line[n] = '\0';
		text += n + (text[n] == '\n');
		(*lineno)++;
		argc = batch_split(line, argv, BATCH_MAX_WORDS, err, len);
		if (argc)
			rc = argc < 0 ? -1 : fn(argc, argv, *lineno, arg);
	}
	free(line);
	return rc;
}
