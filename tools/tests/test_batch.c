// SPDX-License-Identifier: GPL-2.0
/* Unit tests: batch mode (batch.c) and its option -b (cli.c). */
#include "batch.h"
#include "cli.h"
#include "tap.h"

static char *words[BATCH_MAX_WORDS];
static char err[256];

/* Split a copy of @line; the words stay valid until the next call. */
static int split(const char *line, int max)
{
	static char copy[512];

	snprintf(copy, sizeof(copy), "%s", line);
	err[0] = 0;
	return batch_split(copy, words, max, err, sizeof(err));
}

static void test_split(void)
{
	CHECK(split("set msl 2s", 8) == 3);
	CHECK_STR(words[0], "set");
	CHECK_STR(words[1], "msl");
	CHECK_STR(words[2], "2s");
	CHECK(split(" \t -n  web1\tshow \r", 8) == 3);
	CHECK_STR(words[0], "-n");
	CHECK_STR(words[1], "web1");
	CHECK_STR(words[2], "show");
	CHECK(split("", 8) == 0);
	CHECK(split(" \t\r", 8) == 0);
	CHECK(split("# set msl 1", 8) == 0);
	CHECK(split("   #", 8) == 0);
	CHECK(split("show # the policy", 8) == 1);
	CHECK_STR(words[0], "show");
	CHECK(split("a#b c", 8) == 2);
	CHECK_STR(words[0], "a#b");
	CHECK(split("x\fy\vz", 8) == 3);
	CHECK_STR(words[2], "z");
}

static void test_quotes(void)
{
	CHECK(split("-n \"web 1\" show", 8) == 3);
	CHECK_STR(words[1], "web 1");
	CHECK_STR(words[2], "show");
	CHECK(split("'a b'c\"d e\"f", 8) == 1);
	CHECK_STR(words[0], "a bcd ef");
	CHECK(split("set msl \"\"", 8) == 3);
	CHECK_STR(words[2], "");
	CHECK(split("'it\"s' \"it's\"", 8) == 2);
	CHECK_STR(words[0], "it\"s");
	CHECK_STR(words[1], "it's");
	CHECK(split("\"#not a comment\" '#'", 8) == 2);
	CHECK_STR(words[0], "#not a comment");
	CHECK_STR(words[1], "#");
	CHECK(split("show \"oops", 8) == -1);
	CHECK_STR(err, "unterminated double quote");
	CHECK(split("show 'oops", 8) == -1);
	CHECK_STR(err, "unterminated single quote");
	CHECK(split("a b c", 3) == 3);
	CHECK(split("a b c d", 3) == -1);
	CHECK_STR(err, "too many words (at most 3)");
	CHECK(split("a b c # d e", 3) == 3);
}

struct call {
	unsigned int lineno;
	int argc;
	char first[32];
};

static struct call calls[8];
static int ncalls, fail_at;

static int record(int argc, char *argv[], unsigned int lineno, void *arg)
{
	(void)arg;
	if (ncalls < 8) {
		calls[ncalls].lineno = lineno;
		calls[ncalls].argc = argc;
		snprintf(calls[ncalls].first, sizeof(calls[0].first), "%s",
			 argv[0]);
	}
	ncalls++;
	return lineno == (unsigned int)fail_at ? 7 : 0;
}

static int for_each(const char *text, int fail_line, unsigned int *lineno)
{
	ncalls = 0;
	fail_at = fail_line;
	memset(calls, 0, sizeof(calls));
	err[0] = 0;
	return batch_for_each(text, record, NULL, lineno, err, sizeof(err));
}

static void test_for_each(void)
{
	const char *text = "show\n\n# comment\n  set msl 1  \r\nstats reset";
	unsigned int n;

	CHECK(for_each(text, 0, &n) == 0);
	CHECK_U64(ncalls, 3);
	CHECK_U64(calls[0].lineno, 1);
	CHECK_STR(calls[0].first, "show");
	CHECK_U64(calls[1].lineno, 4);
	CHECK_U64(calls[1].argc, 3);
	CHECK_STR(calls[1].first, "set");
	CHECK_U64(calls[2].lineno, 5);
	CHECK_U64(calls[2].argc, 2);
	/* The first non-zero result stops the batch and is its result. */
	CHECK(for_each(text, 4, &n) == 7);
	CHECK_U64(ncalls, 2);
	CHECK_U64(n, 4);
	/* A line that cannot be split stops it before it is called. */
	CHECK(for_each("show\nset msl \"1\nstats\n", 0, &n) == -1);
	CHECK_U64(ncalls, 1);
	CHECK_U64(n, 2);
	CHECK_STR(err, "unterminated double quote");
	CHECK(for_each("", 0, &n) == 0);
	CHECK_U64(ncalls, 0);
	CHECK(for_each("\n\n#\n", 0, &n) == 0);
	CHECK_U64(ncalls, 0);
	CHECK(for_each("show\n", 0, &n) == 0);
	CHECK_U64(ncalls, 1);
}

static char *read_text(const char *data, size_t len)
{
	FILE *f = fmemopen((void *)data, len, "r");
	char *t;

	if (!f)
		abort();
	err[0] = 0;
	t = batch_read(f, err, sizeof(err));
	fclose(f);
	return t;
}

static void test_read(void)
{
	static char big[(1 << 20) + 2];
	char *t;

	t = read_text("show\nstats\n", 11);
	CHECK_STR(t, "show\nstats\n");
	free(t);
	/* Longer than the first buffer. */
	memset(big, 'x', 10000);
	big[10000] = 0;
	t = read_text(big, 10000);
	CHECK(t && strlen(t) == 10000);
	free(t);
	t = read_text("show\0stats\n", 11);
	CHECK(t == NULL);
	CHECK_STR(err, "not a text file (NUL byte)");
	memset(big, '\n', sizeof(big));
	t = read_text(big, sizeof(big));
	CHECK(t == NULL);
	CHECK_STR(err, "too long (limit 1048576 bytes)");
}

static void test_option(void)
{
	char *argv[4], b[] = "-b", file[] = "policy", show[] = "show";
	char batch[] = "--batch=-", n[] = "-n", ns[] = "web1";
	struct cli c;

	argv[0] = b;
	argv[1] = file;
	CHECK(cli_parse(&c, 2, argv, true, err, sizeof(err)) == 0);
	CHECK_STR(c.batch, "policy");
	CHECK(!c.cmd);
	argv[2] = show;
	CHECK(cli_parse(&c, 3, argv, true, err, sizeof(err)) < 0);
	CHECK_STR(err, "-b policy: unexpected argument \"show\"");
	CHECK(cli_parse(&c, 1, argv, true, err, sizeof(err)) < 0);
	CHECK_STR(err, "option -b needs FILE");
	argv[0] = n;
	argv[1] = ns;
	argv[2] = batch;
	CHECK(cli_parse(&c, 3, argv, true, err, sizeof(err)) == 0);
	CHECK_STR(c.batch, "-");
	CHECK_STR(c.netns, "web1");
}

int main(void)
{
	tap_suite = "batch";
	RUN(test_split, "split at blanks; blank and # comment lines are empty");
	RUN(test_quotes, "quotes keep blanks and #; bad quotes, too many words");
	RUN(test_for_each, "lines in order, numbered, up to the first failure");
	RUN(test_read, "reading: any length up to 1 MiB, text only");
	RUN(test_option, "-b FILE, --batch=-, no command after it");
	return tap_exit();
}
