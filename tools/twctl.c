// SPDX-License-Identifier: GPL-2.0
/*
 * twctl: show and set the TCP TIME_WAIT policy of a network namespace
 * through the twctl module's generic netlink family. See twctl(8).
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/netlink.h>
#include <linux/twctl.h>

#include "batch.h"
#include "cli.h"
#include "event.h"
#include "fields.h"
#include "json.h"
#include "metrics.h"
#include "nl.h"
#include "stats.h"

#ifndef TWCTL_TOOL_VERSION
#define TWCTL_TOOL_VERSION "unknown"
#endif
/* The family version this tool speaks; overridable to test mismatches. */
#ifndef TWCTL_TOOL_GENL_VERSION
#define TWCTL_TOOL_GENL_VERSION TWCTL_GENL_VERSION
#endif

#define TIMEOUT_S	10

struct ctx {
	struct cli *c;
	struct nl nl;
	struct nl_family fam;
	uint32_t warned_version;	/* module version already warned about */
};

/* "FILE:LINE" of the batch command being checked or run, or NULL. */
static const char *msg_where;

static void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void msg(const char *fmt, ...)
{
	va_list ap;

	fputs("twctl: ", stderr);
	if (msg_where)
		fprintf(stderr, "%s: ", msg_where);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The file of network namespace @name: a path, or /run/netns/NAME. */
static const char *netns_path(const char *name, char *buf, size_t len)
{
	if (strchr(name, '/'))
		return name;
	snprintf(buf, len, "/run/netns/%s", name);
	return buf;
}

static int enter_netns(const char *name)
{
	char buf[256];
	const char *path = netns_path(name, buf, sizeof(buf));
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (path == name)
			msg("cannot open network namespace %s: %s", path,
			    strerror(errno));
		else
			msg("cannot open network namespace \"%s\" (%s): %s",
			    name, path, strerror(errno));
		return EXIT_USAGE;
	}
	err = setns(fd, CLONE_NEWNET);
	if (err < 0)
		msg("cannot enter network namespace \"%s\": %s", name,
		    strerror(errno));
	close(fd);
	return err < 0 ? EXIT_REFUSED : 0;
}

/* --- talking to the module ------------------------------------------------- */

static void not_loaded(void)
{
	msg("the twctl kernel module is not loaded (no generic netlink family \"%s\")",
	    TWCTL_GENL_NAME);
	msg("load it with \"modprobe twctl\", or \"insmod twctl.ko\" from a build tree");
}

/* Socket and family lookup: 0, or an exit status after a message. */
static int connect_module(struct ctx *x, unsigned int timeout_s, bool quiet)
{
	struct nl_error e;
	int err;

	err = nl_open(&x->nl, timeout_s);
	if (err < 0) {
		msg("cannot open a generic netlink socket: %s", strerror(-err));
		return EXIT_REFUSED;
	}
	err = nl_get_family(&x->nl, TWCTL_GENL_NAME, &x->fam, &e);
	if (err == -ENOENT) {
		if (!quiet)
			not_loaded();
		return EXIT_NOT_LOADED;
	}
	if (err < 0) {
		msg("cannot look up generic netlink family \"%s\": %s",
		    TWCTL_GENL_NAME, strerror(-err));
		return EXIT_REFUSED;
	}
	return 0;
}

/* Version check of @module against this tool: 0 or EXIT_REFUSED. */
static int check_version(struct ctx *x, uint32_t module)
{
	bool writes = x->c->cmd && (x->c->cmd->flags & CMDF_WRITES);
	char text[256];
	enum verdict v;

	if (module == x->warned_version)
		return 0;
	v = version_verdict(TWCTL_TOOL_GENL_VERSION, module, writes, text,
			    sizeof(text));
	if (v == VERDICT_OK)
		return 0;
	x->warned_version = module;
	msg("%s", text);
	return v == VERDICT_REFUSE ? EXIT_REFUSED : 0;
}

static int reply_cb(const struct nlmsghdr *nlh, void *data)
{
	return twctl_parse_reply(nlh, data);
}

/*
 * One request of @cmd (with settings @s when @n) and its reply into @r
 * (when not NULL): 0, or EXIT_REFUSED after saying why.
 */
static int request(struct ctx *x, uint8_t cmd, struct setting *s, size_t n,
		   struct twctl_reply *r)
{
	_Alignas(8) char buf[NL_REQSIZE];
	struct nlmsghdr *nlh;
	struct nl_error e;
	char text[512];

	nlh = nl_genl_request(&x->nl, buf, x->fam.id, cmd,
			      TWCTL_TOOL_GENL_VERSION);
	if (n)
		fields_put(nlh, &policy_table, s, n);
	if (r)
		memset(r, 0, sizeof(*r));
	if (nl_transact(&x->nl, nlh, r ? reply_cb : NULL, r, &e) == 0)
		return r && r->has_version ? check_version(x, r->version) : 0;
	if (!e.refused && e.err == EAGAIN)
		msg("no answer from the kernel in %d s", TIMEOUT_S);
	else if (!e.refused && e.err == EBADMSG)
		msg("malformed reply from the module (%s)", strerror(e.err));
	else if (!e.refused)
		msg("netlink: %s", strerror(e.err));
	else {
		fields_refusal(text, sizeof(text), &e, s, n);
		msg("%s", text);
	}
	return EXIT_REFUSED;
}

/* --- output ---------------------------------------------------------------- */

/*
 * A policy or stats nest, as text or as one JSON object; @cs: the
 * close-path statistics that come with a stats nest, or NULL.
 */
static void print_nest(const struct ctx *x, const struct field_table *t,
		       const struct field_vals *vals,
		       const struct close_stats *cs, const char *event)
{
	struct json j;

	if (!x->c->json) {
		if (event)
			printf("%s\n", event);
		if (cs)
			stats_print_text(stdout, vals, cs);
		else
			fields_print_text(stdout, t, vals);
		return;
	}
	json_init(&j, stdout, x->c->pretty);
	json_open(&j, NULL);
	json_u64(&j, "schema_version", TWCTL_JSON_SCHEMA_VERSION);
	if (event)
		json_str(&j, "event", event);
	json_str_or_null(&j, "netns", x->c->netns);
	if (cs)
		stats_print_json(&j, vals, cs);
	else
		fields_print_json(&j, t, vals);
	json_close(&j);
}

/* --- commands -------------------------------------------------------------- */

static int run_show(struct ctx *x)
{
	struct twctl_reply r;
	int rc = request(x, TWCTL_CMD_GET_POLICY, NULL, 0, &r);

	if (!rc)
		print_nest(x, &policy_table, &r.policy, NULL, NULL);
	return rc;
}

/*
 * The policy as a batch file: one set line with every knob the tool knows,
 * which twctl -b applies back as one atomic request. Without -n, so that
 * it can be applied to any namespace.
 */
static int run_showconf(struct ctx *x)
{
	struct twctl_reply r;
	char val[64];
	size_t i;
	int rc = request(x, TWCTL_CMD_GET_POLICY, NULL, 0, &r);

	if (rc)
		return rc;
	printf("# twctl policy%s%s (twctl showconf); apply with twctl [-n NETNS] -b FILE\n",
	       x->c->netns ? " of network namespace " : "",
	       x->c->netns ? x->c->netns : "");
	fputs("set", stdout);
	for (i = 0; i < r.policy.n; i++) {
		const struct field_val *e = &r.policy.e[i];

		if (!e->f)
			continue;	/* a knob this tool does not know */
		e->f->type->format(e->f, e->v, val, sizeof(val));
		printf(" %s %s", e->f->name, val);
	}
	putchar('\n');
	return 0;
}

static int run_set(struct ctx *x)
{
	struct cli *c = x->c;

	return request(x, TWCTL_CMD_SET_POLICY, c->set, c->nset, NULL);
}

static int run_stats(struct ctx *x)
{
	struct twctl_reply r;
	int rc = request(x, TWCTL_CMD_GET_STATS, NULL, 0, &r);

	if (!rc)
		print_nest(x, &stats_table, &r.stats, &r.close, NULL);
	return rc;
}

static int run_stats_reset(struct ctx *x)
{
	return request(x, TWCTL_CMD_RESET_STATS, NULL, 0, NULL);
}

/* --- metrics: Prometheus text format ------------------------------------------- */

static int named_netns(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/*
 * The stats of the named namespace @name into @m: 0, 1 when it is gone or
 * is the namespace @self (same inode), or an exit status.
 */
static int metrics_named(struct ctx *x, const char *name, const struct stat *self,
			 struct metrics_ns *m)
{
	struct ctx y = { .c = x->c, .warned_version = x->warned_version };
	char path[300];
	struct stat st;
	int fd, rc;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0 || fstat(fd, &st) < 0 || setns(fd, CLONE_NEWNET) < 0) {
		msg("metrics: cannot enter network namespace \"%s\": %s", name,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_REFUSED;
	}
	close(fd);
	if (st.st_dev == self->st_dev && st.st_ino == self->st_ino)
		return 1;
	rc = connect_module(&y, TIMEOUT_S, false);
	if (!rc)
		rc = request(&y, TWCTL_CMD_GET_STATS, NULL, 0, &m->r);
	nl_close(&y.nl);
	m->name = name;
	return rc;
}

static int run_metrics(struct ctx *x)
{
	bool all = x->c->cmd->id == CMD_METRICS_ALL;
	struct dirent **names = NULL;
	struct metrics_ns *ns;
	int i, nnames = 0, home = -1, rc;
	struct stat self;
	size_t n = 1;

	if (all)
		nnames = scandir("/run/netns", &names, named_netns, alphasort);
	if (nnames < 0)		/* no /run/netns: no named namespaces */
		nnames = 0;
	ns = calloc((size_t)nnames + 1, sizeof(*ns));
	if (!ns) {
		msg("metrics: out of memory");
		rc = EXIT_REFUSED;
		goto out;
	}
	ns[0].name = x->c->netns ? x->c->netns : "-";
	rc = request(x, TWCTL_CMD_GET_STATS, NULL, 0, &ns[0].r);
	if (!rc && nnames) {
		home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (home < 0 || fstat(home, &self) < 0) {
			msg("cannot open /proc/self/ns/net: %s", strerror(errno));
			rc = EXIT_REFUSED;
		}
	}
	for (i = 0; !rc && i < nnames; i++) {
		rc = metrics_named(x, names[i]->d_name, &self, &ns[n]);
		n += rc == 0;
		rc = rc == 1 ? 0 : rc;
	}
	if (home >= 0) {
		if (setns(home, CLONE_NEWNET) < 0 && !rc) {
			msg("cannot return to the original network namespace: %s",
			    strerror(errno));
			rc = EXIT_REFUSED;
		}
		close(home);
	}
	if (!rc)
		metrics_print(stdout, ns, n);
out:
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	free(ns);
	return rc;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void print_event(struct ctx *x, const struct nlmsghdr *nlh,
			struct event_seq *seq)
{
	struct twctl_event ev;
	struct timespec now;
	uint64_t lost;

	if (nlh->nlmsg_type != x->fam.id || event_parse(nlh, &ev) < 0)
		return;
	lost = event_seq_lost(seq, ev.seq);
	if (lost && x->c->json)
		printf("{\"lost\":%llu}\n", (unsigned long long)lost);
	else if (lost)
		printf("lost %llu events\n", (unsigned long long)lost);
	if (x->c->json) {
		event_print_json(stdout, &ev, x->c->netns, x->c->pretty);
	} else {
		clock_gettime(CLOCK_REALTIME, &now);
		event_print_text(stdout, &ev, &now, x->c->netns);
	}
}

static int run_monitor(struct ctx *x)
{
	struct sigaction sa = { .sa_handler = on_signal };
	uint32_t group = nl_family_group(&x->fam, TWCTL_MCGRP_EVENTS);
	struct event_seq seq = { .started = false };

	if (!group) {
		msg("monitor: not supported by this module (no \"%s\" multicast group)",
		    TWCTL_MCGRP_EVENTS);
		return EXIT_REFUSED;
	}
	if (mnl_socket_setsockopt(x->nl.sk, NETLINK_ADD_MEMBERSHIP, &group,
				  sizeof(group)) < 0) {
		msg("monitor: cannot join group \"%s\": %s",
		    TWCTL_MCGRP_EVENTS, strerror(errno));
		return EXIT_REFUSED;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop) {
		ssize_t n = mnl_socket_recvfrom(x->nl.sk, x->nl.buf,
						NL_BUFSIZE);
		const struct nlmsghdr *nlh;
		int len;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			/* The kernel dropped events for us: say so, go on. */
			if (x->c->json)
				printf("{\"lost\":null}\n");
			else
				printf("lost events (socket buffer full)\n");
			fflush(stdout);
			continue;
		}
		if (n < 0) {
			msg("monitor: %s", strerror(errno));
			return EXIT_REFUSED;
		}
		len = (int)n;
		/* A datagram holds a batch of events: one write for all. */
		for (nlh = (struct nlmsghdr *)x->nl.buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len))
			print_event(x, nlh, &seq);
		fflush(stdout);
	}
	return 0;
}

static int (*const runners[CMD_NR])(struct ctx *x) = {
	[CMD_SHOW] = run_show,
	[CMD_SET] = run_set,
	[CMD_STATS] = run_stats,
	[CMD_STATS_RESET] = run_stats_reset,
	[CMD_MONITOR] = run_monitor,
	[CMD_METRICS] = run_metrics,
	[CMD_METRICS_ALL] = run_metrics,
	[CMD_SHOWCONF] = run_showconf,
};

/* -V: the tool's versions, and the module's when it is loaded. */
static int run_version(struct ctx *x)
{
	struct twctl_reply r = { .has_version = false };
	bool loaded = connect_module(x, TIMEOUT_S, true) == 0;
	const char *mver = "unknown";
	struct json j;

	if (loaded && request(x, TWCTL_CMD_GET_POLICY, NULL, 0, &r) == 0)
		mver = r.module_version;
	if (!x->c->json) {
		printf("twctl %s (netlink v%u)\n", TWCTL_TOOL_VERSION,
		       TWCTL_TOOL_GENL_VERSION);
		if (loaded)
			printf("module %s (netlink v%u)\n", mver, x->fam.version);
		else
			printf("module not loaded\n");
		return 0;
	}
	json_init(&j, stdout, x->c->pretty);
	json_open(&j, NULL);
	json_str(&j, "version", TWCTL_TOOL_VERSION);
	json_u64(&j, "netlink_version", TWCTL_TOOL_GENL_VERSION);
	json_str_or_null(&j, "module_version", loaded ? mver : NULL);
	if (loaded)
		json_u64(&j, "module_netlink_version", x->fam.version);
	else
		json_null(&j, "module_netlink_version");
	json_close(&j);
	return 0;
}

static int run(struct ctx *x)
{
	int rc;

	if (x->c->netns) {
		rc = enter_netns(x->c->netns);
		if (rc)
			return rc;
	}
	if (x->c->version)
		return run_version(x);
	rc = connect_module(x, x->c->cmd->id == CMD_MONITOR ? 0 : TIMEOUT_S,
			    false);
	if (!rc)
		rc = check_version(x, x->fam.version);
	if (!rc)
		rc = runners[x->c->cmd->id](x);
	return rc;
}

static bool client_checks(void)
{
	const char *v = getenv("TWCTL_NO_CLIENT_CHECKS");

	return !v || strcmp(v, "1");
}

/* --- batch mode: -b FILE --------------------------------------------------- */

struct batch {
	const struct cli *g;	/* the command line: -n, -j, -p for every line */
	const char *name;	/* FILE, or "<stdin>" */
	bool run;		/* false: only check the lines */
	int home;		/* our network namespace, once a line leaves it */
	char where[320];	/* "FILE:LINE" for messages */
	/* -force: the lines that failed their check (not run), the first
	 * failure's exit status */
	unsigned int *bad;
	size_t nbad, capbad;
	int failed;
	bool lost;		/* could not return home: stop */
};

static bool batch_is_bad(const struct batch *b, unsigned int lineno)
{
	size_t i;

	for (i = 0; i < b->nbad; i++)
		if (b->bad[i] == lineno)
			return true;
	return false;
}

/* -force: remember a failed line and go on; else stop with its status. */
static int batch_failed(struct batch *b, unsigned int lineno, int rc)
{
	unsigned int *p;

	if (!b->g->force)
		return rc;
	if (!b->failed)
		b->failed = rc;
	if (b->run)
		return 0;
	if (b->nbad == b->capbad) {
		b->capbad = b->capbad ? 2 * b->capbad : 16;
		p = realloc(b->bad, b->capbad * sizeof(*p));
		if (!p) {
			msg("out of memory");
			return EXIT_REFUSED;
		}
		b->bad = p;
	}
	b->bad[b->nbad++] = lineno;
	return 0;
}

/* One line: check it, or run it as one twctl command would. */
static int batch_line1(int argc, char *argv[], unsigned int lineno,
		       struct batch *b)
{
	struct ctx x = { .warned_version = TWCTL_TOOL_GENL_VERSION };
	char err[512], buf[256];
	const char *netns;
	struct cli c;
	int rc;

	snprintf(b->where, sizeof(b->where), "%s:%u", b->name, lineno);
	msg_where = b->where;
	if (cli_parse(&c, argc, argv, client_checks(), err, sizeof(err)) < 0) {
		msg("%s", err);
		return EXIT_USAGE;
	}
	if (c.batch || (c.cmd && c.cmd->id == CMD_MONITOR)) {
		msg("%s: not allowed in a batch", c.batch ? "-b" : "monitor");
		return EXIT_USAGE;
	}
	netns = c.netns ? c.netns : b->g->netns;
	if (!b->run) {
		/* a namespace that is not there fails the check, not the run */
		if (netns && access(netns_path(netns, buf, sizeof(buf)), F_OK)) {
			msg("network namespace \"%s\" does not exist (%s): %s",
			    netns, netns_path(netns, buf, sizeof(buf)),
			    strerror(errno));
			return EXIT_USAGE;
		}
		return 0;
	}
	if (c.help) {
		cli_usage(stdout);
		return 0;
	}
	c.json |= b->g->json;
	c.pretty |= b->g->pretty;
	c.netns = netns;
	if (c.netns && b->home < 0) {
		b->home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (b->home < 0) {
			msg("cannot open /proc/self/ns/net: %s",
			    strerror(errno));
			return EXIT_REFUSED;
		}
	}
	x.c = &c;
	rc = run(&x);
	nl_close(&x.nl);
	fflush(stdout);
	if (c.netns && setns(b->home, CLONE_NEWNET) < 0) {
		msg("cannot return to the original network namespace: %s",
		    strerror(errno));
		/* the next lines would run in the wrong namespace */
		b->lost = true;
		return EXIT_REFUSED;
	}
	return rc;
}

static int batch_line(int argc, char *argv[], unsigned int lineno, void *arg)
{
	struct batch *b = arg;
	int rc;

	if (b->run && batch_is_bad(b, lineno))
		return 0;
	rc = batch_line1(argc, argv, lineno, b);
	if (!rc)
		return 0;
	if (b->lost)
		return rc;	/* not even -force goes on */
	return batch_failed(b, lineno, rc);
}

/*
 * Every line is checked before the first one runs (its words, and that the
 * network namespace it names exists), so a mistake anywhere in the file
 * changes nothing; then they run in order up to the first failure, whose
 * exit status is the result. With -force (as ip -force -b), every failing
 * line is reported as FILE:LINE and skipped, the others run, and the
 * status is the first failure's. A line that cannot be split into words
 * (an unterminated quote) stops the batch even then.
 */
static int run_batch(const struct cli *g)
{
	struct batch b = { .g = g, .home = -1 };
	bool in = !strcmp(g->batch, "-");
	char err[512], *text;
	unsigned int lineno;
	FILE *f;
	int rc;

	b.name = in ? "<stdin>" : g->batch;
	f = in ? stdin : fopen(g->batch, "re");
	if (!f) {
		msg("cannot open %s: %s", g->batch, strerror(errno));
		return EXIT_USAGE;
	}
	text = batch_read(f, err, sizeof(err));
	if (!in)
		fclose(f);
	if (!text) {
		msg("cannot read %s: %s", b.name, err);
		return EXIT_USAGE;
	}
	rc = batch_for_each(text, batch_line, &b, &lineno, err, sizeof(err));
	if (!rc) {
		b.run = true;
		rc = batch_for_each(text, batch_line, &b, &lineno, err,
				    sizeof(err));
	}
	msg_where = NULL;
	if (rc < 0) {
		msg("%s:%u: %s", b.name, lineno, err);
		rc = EXIT_USAGE;
	}
	if (!rc && b.failed)
		rc = b.failed;	/* -force: the first failure's status */
	if (b.home >= 0)
		close(b.home);
	free(b.bad);
	free(text);
	return rc;
}

/*
 * Every command's output goes to stdout: a failed write there (a full disk,
 * a closed pipe) is said on stderr and is an exit status of its own, unless
 * the command had already failed.
 */
static int flush_output(int rc)
{
	int err = fflush(stdout) ? errno : 0;

	if (!err && !ferror(stdout))
		return rc;
	if (err)
		msg("cannot write the output: %s", strerror(err));
	else
		msg("cannot write the output");
	return rc ? rc : EXIT_OUTPUT;
}

int main(int argc, char **argv)
{
	struct ctx x = { .warned_version = TWCTL_TOOL_GENL_VERSION };
	char err[512];
	struct cli c;
	int rc;

	if (cli_parse(&c, argc - 1, argv + 1, client_checks(), err,
		      sizeof(err)) < 0) {
		msg("%s", err);
		fputs("Try \"twctl --help\".\n", stderr);
		return EXIT_USAGE;
	}
	if (c.help) {
		cli_usage(stdout);
		return flush_output(0);
	}
	if (c.batch && !c.version) {
		rc = run_batch(&c);
	} else {
		x.c = &c;
		rc = run(&x);
		nl_close(&x.nl);
	}
	return flush_output(rc);
}
