/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command line: options and commands as tables, parsed into a struct
 * cli before anything talks to the kernel; the help text is generated from
 * the same tables (and tests/host/tool.sh compares it with twctl.8).
 */
#ifndef TWCTL_CLI_H
#define TWCTL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fields.h"

/* Exit statuses. */
#define EXIT_USAGE	1	/* bad command line or value */
#define EXIT_REFUSED	2	/* the kernel refused, or talking to it failed */
#define EXIT_NOT_LOADED	3	/* no generic netlink family "twctl" */
#define EXIT_OUTPUT	4	/* writing the output failed (stdout) */

enum cmd_id {
	CMD_SHOW,
	CMD_SET,
	CMD_STATS,
	CMD_STATS_RESET,
	CMD_MONITOR,
	CMD_METRICS,
	CMD_METRICS_ALL,
	CMD_SHOWCONF,
	CMD_HELP,
	CMD_NR
};

#define CMDF_WRITES	1	/* changes state: needs matching versions */
#define CMDF_PAIRS	2	/* takes KNOB VALUE pairs */

struct command {
	const char *name;	/* words: "stats reset" */
	enum cmd_id id;
	const char *args;	/* synopsis of its arguments, or NULL */
	unsigned int flags;
	const char *help;
};

struct cli {
	const char *netns;		/* -n NETNS (a name or a path), or NULL */
	const char *batch;		/* -b FILE, or NULL */
	bool json, pretty, version, help;
	bool force;			/* -force: a batch goes on past failures */
	const struct command *cmd;	/* NULL with -V, -h or -b */
	size_t nset;
	struct setting set[FIELDS_MAX];	/* set: knobs and values */
};

/*
 * Parse @argc/@argv (without the program name). @client_checks: check set
 * values against the knobs' ranges (TWCTL_NO_CLIENT_CHECKS=1 turns it off
 * for testing the kernel's own checks). 0, or -1 with a message in @err.
 */
int cli_parse(struct cli *c, int argc, char *const argv[], bool client_checks,
	      char *err, size_t len);

/* The help text. */
void cli_usage(FILE *out);

enum verdict { VERDICT_OK, VERDICT_WARN, VERDICT_REFUSE };

/*
 * May a command run against a module speaking family version @module when
 * this tool speaks @tool? Reads go on with a warning; commands that change
 * state refuse. A message for the user goes to @msg unless VERDICT_OK.
 */
enum verdict version_verdict(uint32_t tool, uint32_t module, bool writes,
			     char *msg, size_t len);

#endif /* TWCTL_CLI_H */
