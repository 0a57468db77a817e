// SPDX-License-Identifier: GPL-2.0
/* Unit tests: command line parsing, help text, version verdicts (cli.c). */
#include "cli.h"
#include "tap.h"

static struct cli c;
static char err[512];

/* Parse @line split at spaces ("" is no argument at all). */
static int parse(const char *line, bool checks)
{
	static char copy[512];
	char *argv[32], *p;
	int argc = 0;

	snprintf(copy, sizeof(copy), "%s", line);
	err[0] = 0;
	for (p = strtok(copy, " "); p && argc < 32; p = strtok(NULL, " "))
		argv[argc++] = p;
	return cli_parse(&c, argc, argv, checks, err, sizeof(err));
}

static enum cmd_id cmd(void)
{
	return c.cmd ? c.cmd->id : CMD_NR;
}

static void test_commands(void)
{
	CHECK(parse("show", true) == 0);
	CHECK(cmd() == CMD_SHOW);
	CHECK(!c.json && !c.pretty && !c.netns && !c.help && !c.version);
	CHECK(parse("stats", true) == 0 && cmd() == CMD_STATS);
	CHECK(parse("stats reset", true) == 0 && cmd() == CMD_STATS_RESET);
	CHECK(c.cmd->flags & CMDF_WRITES);
	CHECK(parse("monitor", true) == 0 && cmd() == CMD_MONITOR);
	CHECK(parse("help", true) == 0 && cmd() == CMD_HELP && c.help);
	CHECK(parse("set msl 1", true) == 0 && cmd() == CMD_SET);
	CHECK(c.cmd->flags & CMDF_WRITES);
}

static void test_options(void)
{
	CHECK(parse("-j show", true) == 0 && c.json && !c.pretty);
	CHECK(parse("--json show", true) == 0 && c.json);
	CHECK(parse("-json show", true) == 0 && c.json);
	CHECK(parse("-p show", true) == 0 && c.json && c.pretty);
	CHECK(parse("-j -p --pretty show", true) == 0 && c.pretty);
	CHECK(parse("-n web1 show", true) == 0);
	CHECK_STR(c.netns, "web1");
	CHECK(parse("--netns web2 -j stats", true) == 0 && c.json);
	CHECK_STR(c.netns, "web2");
	CHECK(parse("--netns=web3 show", true) == 0);
	CHECK_STR(c.netns, "web3");
	CHECK(parse("-netns web4 show", true) == 0);
	CHECK_STR(c.netns, "web4");
	CHECK(parse("-- show", true) == 0 && cmd() == CMD_SHOW);
	CHECK(parse("-V", true) == 0 && c.version && !c.cmd);
	CHECK(parse("--version", true) == 0 && c.version);
	CHECK(parse("-h", true) == 0 && c.help);
	CHECK(parse("--help whatever", true) == 0 && c.help);
	CHECK(parse("-n ns1 -V", true) == 0 && c.version);
	CHECK_STR(c.netns, "ns1");
	/* a path: anything with a / */
	CHECK(parse("-n /proc/1/ns/net show", true) == 0);
	CHECK_STR(c.netns, "/proc/1/ns/net");
	CHECK(parse("-n a/b show", true) == 0);
	CHECK_STR(c.netns, "a/b");
	CHECK(parse("-force -b f", true) == 0 && c.force);
	CHECK(parse("-f -b f", true) == 0 && c.force);
	CHECK(parse("showconf", true) == 0 && c.cmd->id == CMD_SHOWCONF);
}

static void test_usage_errors(void)
{
	static const struct {
		const char *line, *err;
	} t[] = {
		{ "", "no command given" },
		{ "-j", "no command given" },
		{ "frob", "unknown command \"frob\"" },
		{ "sh", "unknown command \"sh\"" },
		{ "-x show", "unknown option \"-x\"" },
		{ "--jso show", "unknown option \"--jso\"" },
		{ "-n", "option -n needs NETNS" },
		{ "--json=1 show", "option --json takes no value" },
		{ "-force show", "-force only goes with -b" },
		{ "-f set msl 1", "-force only goes with -b" },
		{ "-n .. show", "bad network namespace name \"..\"" },
		{ "--netns= show", "bad network namespace name \"\"" },
		{ "show extra", "show: unexpected argument \"extra\"" },
		{ "stats zero", "stats: unexpected argument \"zero\"" },
		{ "stats reset now", "stats reset: unexpected argument \"now\"" },
		{ "monitor x", "monitor: unexpected argument \"x\"" },
		{ "show -j", "show: unexpected argument \"-j\"" },
		{ "set", "set: no knob given (knobs: msl reuse reuse-delay msl-loopback msl-local msl-remote local-rtt rto-floor)" },
		{ "set msl", "set: knob msl needs a value" },
		{ "set foo 1", "set: unknown knob \"foo\"" },
		{ "set msl 1 msl 2", "set: knob msl given twice" },
		{ "set msl abc", "bad value for msl: \"abc\": not a number" },
		{ "set msl -1", "bad value for msl: \"-1\": negative values are not allowed" },
		{ "set msl 1.5ms", "bad value for msl: \"1.5ms\": not a whole number of milliseconds" },
		{ "set msl 5parsecs", "bad value for msl: \"5parsecs\": unknown unit \"parsecs\"" },
		{ "set msl 99999999999999999999", "bad value for msl: \"99999999999999999999\": number too large" },
		{ "set msl 0", "bad value for msl: \"0\": out of range (allowed 1..600000 ms)" },
		{ "set msl 11min", "bad value for msl: \"11min\": out of range (allowed 1..600000 ms)" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (parse(t[i].line, true) == 0) {
			printf("# \"%s\" accepted\n", t[i].line);
			tap_case_failed = 1;
			continue;
		}
		CHECK_HAS(err, t[i].err);
	}
}

static void test_set(void)
{
	CHECK(parse("set msl 2s", true) == 0);
	CHECK_U64(c.nset, 1);
	CHECK_STR(c.set[0].f->name, "msl");
	CHECK_U64(c.set[0].v, 2000);
	CHECK(parse("set msl 1.5s", true) == 0);
	CHECK_U64(c.set[0].v, 1500);
	CHECK(parse("set msl 1min", true) == 0);
	CHECK_U64(c.set[0].v, 60000);
	CHECK(parse("set msl 10min", true) == 0);
	CHECK_U64(c.set[0].v, 600000);
	CHECK(parse("-n x set msl 500ms", true) == 0);
	CHECK_U64(c.set[0].v, 500);
	/* TWCTL_NO_CLIENT_CHECKS: past the range, not past the syntax. */
	CHECK(parse("set msl 700000", false) == 0);
	CHECK_U64(c.set[0].v, 700000);
	CHECK(parse("set msl 0", false) == 0);
	CHECK_U64(c.set[0].v, 0);
	CHECK(parse("set msl 1.5ms", false) < 0);
	CHECK(parse("set msl 4294967296", false) < 0);
}

static void test_usage_text(void)
{
	char *out;

	CAPTURE(out, cli_usage(f));
	CHECK_HAS(out, "Usage: twctl [OPTIONS] COMMAND");
	CHECK_HAS(out, "  -n, --netns NETNS ");
	CHECK_HAS(out, "  -j, --json ");
	CHECK_HAS(out, "  -p, --pretty ");
	CHECK_HAS(out, "  -V, --version ");
	CHECK_HAS(out, "  -h, --help ");
	CHECK_HAS(out, "  set KNOB VALUE [KNOB VALUE ...] ");
	CHECK_HAS(out, "  stats reset ");
	CHECK_HAS(out, "  msl TIME\n");
	CHECK_HAS(out, "  reuse inherit|off|loopback|always\n");
	CHECK_HAS(out, "(1..600000 ms, default 30000ms)");
	free(out);
}

static void test_versions(void)
{
	char m[256] = "";

	CHECK(version_verdict(1, 1, true, m, sizeof(m)) == VERDICT_OK);
	CHECK_STR(m, "");
	CHECK(version_verdict(1, 2, false, m, sizeof(m)) == VERDICT_WARN);
	CHECK_STR(m, "module speaks twctl netlink v2, this tool v1; upgrade the tool");
	CHECK(version_verdict(99, 1, false, m, sizeof(m)) == VERDICT_WARN);
	CHECK_STR(m, "module speaks twctl netlink v1, this tool v99; upgrade the module");
	CHECK(version_verdict(99, 1, true, m, sizeof(m)) == VERDICT_REFUSE);
	CHECK_STR(m, "module speaks twctl netlink v1, this tool v99; upgrade the module (refusing to change anything)");
	CHECK(version_verdict(1, 2, true, m, sizeof(m)) == VERDICT_REFUSE);
}

int main(void)
{
	tap_suite = "cli";
	RUN(test_commands, "commands and their flags");
	RUN(test_options, "options: short, long, iproute2 style, --opt=value");
	RUN(test_usage_errors, "bad command lines refused with a message");
	RUN(test_set, "set: units, several forms, client checks switchable");
	RUN(test_usage_text, "help text lists options, commands, knobs");
	RUN(test_versions, "version mismatch: reads warn, writes refuse");
	return tap_exit();
}
