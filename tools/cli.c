// SPDX-License-Identifier: GPL-2.0
/* Command line parsing and help: see cli.h. */
#include <stdarg.h>
#include <string.h>
#include <linux/twctl.h>

#include "cli.h"
#include "units.h"

enum opt_id {
	OPT_NETNS, OPT_JSON, OPT_PRETTY, OPT_BATCH, OPT_FORCE, OPT_VERSION,
	OPT_HELP
};

static const struct option_row {
	enum opt_id id;
	const char *shrt, *lng;	/* "-n", "--netns" */
	const char *arg;	/* NULL: a flag */
	const char *help;
} options[] = {
	{ OPT_NETNS, "-n", "--netns", "NETNS",
	  "act on network namespace NETNS (/run/netns/NETNS, or a path with a /)" },
	{ OPT_JSON, "-j", "--json", NULL, "JSON output" },
	{ OPT_PRETTY, "-p", "--pretty", NULL,
	  "pretty-print the JSON output (implies -j)" },
	{ OPT_BATCH, "-b", "--batch", "FILE",
	  "run the commands in FILE (- for stdin), one per line" },
	{ OPT_FORCE, "-f", "--force", NULL,
	  "with -b: go on past a failing line, fail at the end" },
	{ OPT_VERSION, "-V", "--version", NULL,
	  "print the versions of the tool and of the loaded module" },
	{ OPT_HELP, "-h", "--help", NULL, "print this help" },
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static const struct command commands[] = {
	{ "show", CMD_SHOW, NULL, 0,
	  "show the policy of the network namespace" },
	{ "set", CMD_SET, "KNOB VALUE [KNOB VALUE ...]",
	  CMDF_WRITES | CMDF_PAIRS,
	  "set knobs, all in one atomic request" },
	{ "stats", CMD_STATS, NULL, 0,
	  "show counters and close-path statistics" },
	{ "stats reset", CMD_STATS_RESET, NULL, CMDF_WRITES,
	  "zero the counters of the network namespace" },
	{ "monitor", CMD_MONITOR, NULL, 0,
	  "print the module's events as they happen" },
	{ "metrics", CMD_METRICS, NULL, 0,
	  "statistics in Prometheus text format" },
	{ "metrics all", CMD_METRICS_ALL, NULL, 0,
	  "the same for this and every named network namespace" },
	{ "showconf", CMD_SHOWCONF, NULL, 0,
	  "print the policy as a batch file for twctl -b" },
	{ "help", CMD_HELP, NULL, 0, "print this help" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

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

/* --- options --------------------------------------------------------------- */

/*
 * The option @arg names: "-n", "--netns", iproute2's "-netns", or
 * "--netns=VALUE" (then *@inline_val points at VALUE).
 */
static const struct option_row *find_option(const char *arg,
					    const char **inline_val)
{
	size_t i, n;

	*inline_val = NULL;
	for (i = 0; i < NOPTIONS; i++) {
		const struct option_row *o = &options[i];

		n = strlen(o->lng);
		if (!strcmp(arg, o->shrt) || !strcmp(arg, o->lng) ||
		    !strcmp(arg, o->lng + 1))
			return o;
		if (!strncmp(arg, o->lng, n) && arg[n] == '=') {
			*inline_val = arg + n + 1;
			return o;
		}
	}
	return NULL;
}

/* A name (in /run/netns) or, with a '/', a path (/proc/PID/ns/net). */
static int check_netns_name(const char *name, char *err, size_t len)
{
	if (strchr(name, '/')) {
		if (strlen(name) > 4000)
			return fail(err, len, "network namespace path too long");
		return 0;
	}
	if (!*name || !strcmp(name, ".") || !strcmp(name, "..") ||
	    strlen(name) > 200)
		return fail(err, len, "bad network namespace name \"%s\"",
			    name);
	return 0;
}

static int apply_option(struct cli *c, const struct option_row *o,
			const char *val, char *err, size_t len)
{
	switch (o->id) {
	case OPT_NETNS:
		c->netns = val;
		return check_netns_name(val, err, len);
	case OPT_PRETTY:
		c->pretty = true;
		/* fall through */
	case OPT_JSON:
		c->json = true;
		return 0;
	case OPT_BATCH:
		c->batch = val;
		return 0;
	case OPT_FORCE:
		c->force = true;
		return 0;
	case OPT_VERSION:
		c->version = true;
		return 0;
	case OPT_HELP:
		c->help = true;
		return 0;
	}
	return 0;
}

/* Options up to the command; returns the index of the command, or -1. */
static int parse_options(struct cli *c, int argc, char *const argv[],
			 char *err, size_t len)
{
	int i;

	for (i = 0; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const struct option_row *o;
		const char *val;

		if (!strcmp(argv[i], "--"))
			return i + 1;
		o = find_option(argv[i], &val);
		if (!o)
			return fail(err, len, "unknown option \"%s\"", argv[i]);
		if (o->arg && !val) {
			if (i + 1 == argc)
				return fail(err, len, "option %s needs %s",
					    argv[i], o->arg);
			val = argv[++i];
		} else if (!o->arg && val) {
			return fail(err, len, "option %s takes no value",
				    o->lng);
		}
		if (apply_option(c, o, val, err, len) < 0)
			return -1;
	}
	return i;
}

/* --- commands -------------------------------------------------------------- */

/* How many words of @name match @argv; 0 if not all of them do. */
static int match_words(const char *name, int argc, char *const argv[])
{
	int n = 0;

	while (*name) {
		size_t w = strcspn(name, " ");

		if (n == argc || strlen(argv[n]) != w ||
		    strncmp(argv[n], name, w))
			return 0;
		n++;
		name += w;
		name += *name == ' ';
	}
	return n;
}

/* The longest command matching the start of @argv; *@used: its words. */
static const struct command *find_command(int argc, char *const argv[],
					  int *used)
{
	const struct command *best = NULL;
	size_t i;

	*used = 0;
	for (i = 0; i < NCOMMANDS; i++) {
		int n = match_words(commands[i].name, argc, argv);

		if (n > *used) {
			*used = n;
			best = &commands[i];
		}
	}
	return best;
}

static int parse_pairs(struct cli *c, int argc, char *const argv[],
		       bool check, char *err, size_t len)
{
	size_t i;
	int a;

	if (argc == 0) {
		const struct field *f;
		size_t at;

		at = (size_t)snprintf(err, len, "set: no knob given (knobs:");
		for (f = policy_table.fields; f->name && at < len; f++)
			at += (size_t)snprintf(err + at, len - at, " %s",
					       f->name);
		if (at < len)
			snprintf(err + at, len - at, ")");
		return -1;
	}
	for (a = 0; a < argc; a += 2) {
		const struct field *f = field_find(&policy_table, argv[a]);
		struct setting *s = &c->set[c->nset];

		if (!f)
			return fail(err, len, "set: unknown knob \"%s\"",
				    argv[a]);
		for (i = 0; i < c->nset; i++)
			if (c->set[i].f == f)
				return fail(err, len,
					    "set: knob %s given twice",
					    f->name);
		if (a + 1 == argc)
			return fail(err, len, "set: knob %s needs a value",
				    f->name);
		if (c->nset == FIELDS_MAX)
			return fail(err, len, "set: too many knobs");
		if (field_parse(f, argv[a + 1], check, &s->v, err, len) < 0)
			return -1;
		s->f = f;
		c->nset++;
	}
	return 0;
}

int cli_parse(struct cli *c, int argc, char *const argv[], bool client_checks,
	      char *err, size_t len)
{
	int i, used;

	memset(c, 0, sizeof(*c));
	i = parse_options(c, argc, argv, err, len);
	if (i < 0)
		return -1;
	if (c->help || c->version)
		return 0;
	if (c->batch && i < argc)
		return fail(err, len, "-b %s: unexpected argument \"%s\"",
			    c->batch, argv[i]);
	if (c->force && !c->batch)
		return fail(err, len, "-force only goes with -b");
	if (c->batch)		/* the commands are in the file */
		return 0;
	if (i == argc)
		return fail(err, len, "no command given");
	c->cmd = find_command(argc - i, argv + i, &used);
	if (!c->cmd)
		return fail(err, len, "unknown command \"%s\"", argv[i]);
	i += used;
	if (c->cmd->id == CMD_HELP)
		c->help = true;
	if (c->cmd->flags & CMDF_PAIRS)
		return parse_pairs(c, argc - i, argv + i, client_checks, err,
				   len);
	if (i < argc)
		return fail(err, len, "%s: unexpected argument \"%s\"",
			    c->cmd->name, argv[i]);
	if (c->cmd->id == CMD_METRICS_ALL && c->netns)
		return fail(err, len, "metrics all: not with -n (it reads every named namespace)");
	return 0;
}

/* --- help ------------------------------------------------------------------ */

static void usage_options(FILE *out)
{
	char left[64];
	size_t i;

	fputs("Options:\n", out);
	for (i = 0; i < NOPTIONS; i++) {
		snprintf(left, sizeof(left), "%s, %s%s%s", options[i].shrt,
			 options[i].lng, options[i].arg ? " " : "",
			 options[i].arg ? options[i].arg : "");
		fprintf(out, "  %-17s  %s\n", left, options[i].help);
	}
}

static void usage_commands(FILE *out)
{
	char left[80];
	size_t i;

	fputs("\nCommands:\n", out);
	for (i = 0; i < NCOMMANDS; i++) {
		snprintf(left, sizeof(left), "%s%s%s", commands[i].name,
			 commands[i].args ? " " : "",
			 commands[i].args ? commands[i].args : "");
		fprintf(out, "  %-31s  %s\n", left, commands[i].help);
	}
}

static void usage_knobs(FILE *out)
{
	char syntax[96], range[96], def[64];
	const struct field *f;

	fputs("\nKnobs (set KNOB VALUE):\n", out);
	for (f = policy_table.fields; f->name; f++) {
		field_syntax(f, syntax, sizeof(syntax));
		f->type->range(f, f->min, field_max(f), range, sizeof(range));
		f->type->format(f, f->def, def, sizeof(def));
		fprintf(out, "  %s %s\n      %s\n      (%s, default %s)\n",
			f->name, syntax, f->help, range, def);
	}
}

void cli_usage(FILE *out)
{
	fputs("Usage: twctl [OPTIONS] COMMAND [ARGUMENTS]\n"
	      "       twctl [OPTIONS] -b FILE\n"
	      "Show and set the TCP TIME_WAIT policy of a network namespace\n"
	      "(twctl kernel module).\n\n", out);
	usage_options(out);
	usage_commands(out);
	usage_knobs(out);
	fputs("\nTIME: milliseconds, or a number with a unit: 500ms, 2s, 1.5s, "
	      "1m, 1min, 0.1h\n"
	      "(also usec, msec, sec, hr as tc and systemd write them).\n"
	      "Exit status: 0 ok, 1 usage error, 2 kernel refused, "
	      "3 module not loaded,\n"
	      "4 output could not be written.\n"
	      "See twctl(8).\n", out);
}

/* --- versions -------------------------------------------------------------- */

enum verdict version_verdict(uint32_t tool, uint32_t module, bool writes,
			     char *msg, size_t len)
{
	if (tool == module)
		return VERDICT_OK;
	snprintf(msg, len,
		 "module speaks twctl netlink v%u, this tool v%u; upgrade the %s%s",
		 module, tool, module < tool ? "module" : "tool",
		 writes ? " (refusing to change anything)" : "");
	return writes ? VERDICT_REFUSE : VERDICT_WARN;
}
