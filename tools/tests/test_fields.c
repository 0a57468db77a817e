// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: knob and counter tables (fields.c): value parsing and range
 * checks, request building with attribute offsets, reply decoding, text and
 * JSON output, and the refusal message built from an extack.
 */
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/twctl.h>

#include "fields.h"
#include "tap.h"
#include "units.h"

/* A knob of each other type, as future rows will look. */
static const char *const reuse_names[] = {
	"inherit", "off", "loopback", "always", NULL
};

static const struct field extra_fields[] = {
	{ .name = "reuse", .key = "reuse", .attr = 7, .width = 4,
	  .type = &field_enum, .names = reuse_names, .min = 0, .max = 3 },
	{ .name = "local_rtt", .key = "local_rtt_us", .attr = 8, .width = 4,
	  .type = &field_duration, .unit_us = 1, .min = 1, .max = 100000 },
	{ .name = "drops", .key = "drops", .attr = 9, .width = 8,
	  .type = &field_counter },
	{ .name = NULL }
};

static const struct field_table extra_table = {
	.what = "test", .nest = TWCTL_A_POLICY, .pad = 1,
	.unknown = "x_", .fields = extra_fields,
};

static const struct field *msl(void)
{
	return field_find(&policy_table, "msl");
}

static void test_table(void)
{
	const struct field *f = msl();

	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_STR(f->key, "msl_ms");
	CHECK_U64(f->attr, TWCTL_A_POLICY_MSL_MS);
	CHECK_U64(f->min, TWCTL_MSL_MIN_MS);
	CHECK_U64(f->max, TWCTL_MSL_MAX_MS);
	CHECK_U64(f->def, TWCTL_MSL_DEFAULT_MS);
	CHECK_U64(field_max(f), 600000);
	CHECK(field_find(&policy_table, "MSL") == NULL);
	CHECK(field_find(&policy_table, "ms") == NULL);
	CHECK_U64(field_count_rows(&policy_table), 8);
	CHECK_U64(field_count_rows(&stats_table), 24);
	f = field_find(&policy_table, "msl-local");
	CHECK(f && f->attr == TWCTL_A_POLICY_MSL_LOCAL_MS && f->min == 0 &&
	      f->max == TWCTL_MSL_MAX_MS && f->def == 0 && f->zero);
	f = field_find(&policy_table, "local-rtt");
	CHECK(f && f->attr == TWCTL_A_POLICY_LOCAL_RTT_US && f->unit_us == 1 &&
	      f->max == TWCTL_LOCAL_RTT_MAX_US);
	f = field_find(&policy_table, "rto-floor");
	CHECK(f && f->attr == TWCTL_A_POLICY_RTO_FLOOR && f->max == 1 &&
	      !strcmp(f->names[1], "on"));
	f = field_find(&policy_table, "reuse");
	CHECK(f && f->attr == TWCTL_A_POLICY_REUSE && f->def == TWCTL_REUSE_INHERIT &&
	      f->max == TWCTL_REUSE_ALWAYS && !strcmp(f->names[TWCTL_REUSE_LOOPBACK], "loopback"));
	f = field_find(&policy_table, "reuse-delay");
	CHECK(f && f->attr == TWCTL_A_POLICY_REUSE_DELAY_MS &&
	      f->max == TWCTL_REUSE_DELAY_MAX_MS && f->def == TWCTL_REUSE_DELAY_DEFAULT_MS);
	CHECK_U64(field_max(&extra_fields[2]), UINT64_MAX);
}

static void test_parse(void)
{
	const struct field *f = msl();
	char m[256];
	uint64_t v;

	CHECK(field_parse(f, "2s", true, &v, m, sizeof(m)) == 0);
	CHECK_U64(v, 2000);
	CHECK(field_parse(f, "unset", true, &v, m, sizeof(m)) < 0);
	{
		const struct field *c = field_find(&policy_table, "msl-remote");
		char buf[64];

		CHECK(c && field_parse(c, "unset", true, &v, m, sizeof(m)) == 0);
		CHECK_U64(v, 0);
		CHECK(c && field_parse(c, "0", true, &v, m, sizeof(m)) == 0);
		CHECK(c && field_parse(c, "2s", true, &v, m, sizeof(m)) == 0);
		CHECK_U64(v, 2000);
		if (c) {
			c->type->format(c, 0, buf, sizeof(buf));
			CHECK_STR(buf, "unset");
			field_syntax(c, buf, sizeof(buf));
			CHECK_STR(buf, "TIME|unset");
		}
	}
	CHECK(field_parse(f, "600000", true, &v, m, sizeof(m)) == 0);
	CHECK(field_parse(f, "1", true, &v, m, sizeof(m)) == 0);
	CHECK(field_parse(f, "700s", true, &v, m, sizeof(m)) < 0);
	CHECK_STR(m, "bad value for msl: \"700s\": out of range (allowed 1..600000 ms)");
	CHECK(field_parse(f, "0", true, &v, m, sizeof(m)) < 0);
	CHECK_HAS(m, "out of range");
	CHECK(field_parse(f, "abc", true, &v, m, sizeof(m)) < 0);
	CHECK_STR(m, "bad value for msl: \"abc\": not a number");
	/* Without client checks only the attribute's width limits. */
	CHECK(field_parse(f, "700000", false, &v, m, sizeof(m)) == 0);
	CHECK_U64(v, 700000);
	CHECK(field_parse(f, "0", false, &v, m, sizeof(m)) == 0);
	CHECK(field_parse(f, "4294967295", false, &v, m, sizeof(m)) == 0);
	CHECK(field_parse(f, "4294967296", false, &v, m, sizeof(m)) < 0);
	CHECK_HAS(m, "number too large");
	/* Counters cannot be set. */
	CHECK(field_parse(&extra_fields[2], "1", true, &v, m, sizeof(m)) < 0);
	CHECK_STR(m, "drops cannot be set");
}

static void test_enum(void)
{
	const struct field *f = &extra_fields[0];
	char m[256], buf[64];
	uint64_t v;

	CHECK(field_parse(f, "loopback", true, &v, m, sizeof(m)) == 0);
	CHECK_U64(v, 2);
	CHECK(field_parse(f, "bogus", true, &v, m, sizeof(m)) < 0);
	CHECK_STR(m, "bad value for reuse: \"bogus\": not one of inherit|off|loopback|always");
	f->type->format(f, 3, buf, sizeof(buf));
	CHECK_STR(buf, "always");
	f->type->format(f, 9, buf, sizeof(buf));
	CHECK_STR(buf, "9");
	f->type->range(f, 1, 2, buf, sizeof(buf));
	CHECK_STR(buf, "off|loopback");
	field_syntax(f, buf, sizeof(buf));
	CHECK_STR(buf, "inherit|off|loopback|always");
	field_syntax(msl(), buf, sizeof(buf));
	CHECK_STR(buf, "TIME");
	/* An off|on switch takes 0|1 too, as its sysfs file does. */
	f = field_find(&policy_table, "rto-floor");
	CHECK(f && field_parse(f, "1", true, &v, m, sizeof(m)) == 0);
	CHECK_U64(v, 1);
	CHECK(f && field_parse(f, "on", true, &v, m, sizeof(m)) == 0);
	CHECK_U64(v, 1);
	CHECK(f && field_parse(f, "0", true, &v, m, sizeof(m)) == 0);
	CHECK_U64(v, 0);
	CHECK(f && field_parse(f, "off", true, &v, m, sizeof(m)) == 0);
	CHECK_U64(v, 0);
	CHECK(f && field_parse(f, "2", true, &v, m, sizeof(m)) < 0);
	CHECK_STR(m, "bad value for rto-floor: \"2\": not one of off|on|0|1");
	CHECK(f && field_parse(f, "01", true, &v, m, sizeof(m)) < 0);
	/* Other enums do not take numbers. */
	CHECK(field_parse(field_find(&policy_table, "reuse"), "1", true, &v, m,
			  sizeof(m)) < 0);
	/* A microsecond knob. */
	CHECK(field_parse(&extra_fields[1], "1.5ms", true, &v, m,
			  sizeof(m)) == 0);
	CHECK_U64(v, 1500);
}

static struct nlmsghdr *new_msg(void *buf)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	nlh->nlmsg_type = 0x20;
	g->cmd = TWCTL_CMD_SET_POLICY;
	return nlh;
}

/* Settings land in the nest, and their offsets point at their attributes. */
static void test_put(void)
{
	_Alignas(8) char buf[1024];
	struct nlmsghdr *nlh = new_msg(buf);
	struct setting s[3] = {
		{ msl(), 2000, 0 },
		{ &extra_fields[0], 2, 0 },
		{ &extra_fields[2], 1ULL << 40, 0 },
	};
	const struct nlattr *nest, *a;
	size_t i;

	fields_put(nlh, &policy_table, s, 3);
	nest = (const struct nlattr *)((char *)nlh + NLMSG_HDRLEN +
				       GENL_HDRLEN);
	CHECK_U64(mnl_attr_get_type(nest), TWCTL_A_POLICY);
	CHECK(nest->nla_type & NLA_F_NESTED);
	for (i = 0; i < 3; i++) {
		CHECK(s[i].off > NLMSG_HDRLEN + GENL_HDRLEN);
		CHECK(s[i].off < nlh->nlmsg_len);
		if (s[i].off >= nlh->nlmsg_len)
			return;
		a = (const struct nlattr *)((char *)nlh + s[i].off);
		CHECK_U64(mnl_attr_get_type(a), s[i].f->attr);
		CHECK_U64(mnl_attr_get_payload_len(a), s[i].f->width);
	}
	a = (const struct nlattr *)((char *)nlh + s[0].off);
	CHECK_U64(mnl_attr_get_u32(a), 2000);
	CHECK_U64(s[0].off, NLMSG_HDRLEN + GENL_HDRLEN + 4);
	CHECK_U64(s[1].off, s[0].off + 8);
	CHECK_U64(s[2].off, s[1].off + 8);
}

static void put_nest(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, TWCTL_A_POLICY);

	mnl_attr_put_u32(nlh, TWCTL_A_POLICY_MSL_MS, 30000);
	mnl_attr_put_u32(nlh, 99, 5);			/* from a newer module */
	mnl_attr_put_strz(nlh, 98, "not a number");	/* skipped */
	mnl_attr_nest_end(nlh, n);
}

static void test_parse_nest(void)
{
	_Alignas(8) char buf[1024];
	struct nlmsghdr *nlh = new_msg(buf);
	struct field_vals vals;
	struct nlattr *n;

	put_nest(nlh);
	n = (struct nlattr *)((char *)nlh + NLMSG_HDRLEN + GENL_HDRLEN);
	CHECK(fields_parse_nest(&policy_table, n, &vals) == 0);
	CHECK_U64(vals.n, 2);
	CHECK(vals.e[0].f == msl());
	CHECK_U64(vals.e[0].v, 30000);
	CHECK(vals.e[1].f == NULL);
	CHECK_U64(vals.e[1].attr, 99);
	CHECK_U64(vals.e[1].v, 5);

	/* Pad attributes are skipped; a known one of the wrong size fails. */
	nlh = new_msg(buf);
	n = mnl_attr_nest_start(nlh, TWCTL_A_POLICY);
	mnl_attr_put_u64(nlh, 1, 0);
	mnl_attr_put_u64(nlh, 9, 1234);
	mnl_attr_nest_end(nlh, n);
	CHECK(fields_parse_nest(&extra_table, n, &vals) == 0);
	CHECK_U64(vals.n, 1);
	CHECK_U64(vals.e[0].v, 1234);
	nlh = new_msg(buf);
	n = mnl_attr_nest_start(nlh, TWCTL_A_POLICY);
	mnl_attr_put_u16(nlh, TWCTL_A_POLICY_MSL_MS, 5);
	mnl_attr_nest_end(nlh, n);
	CHECK(fields_parse_nest(&policy_table, n, &vals) == -EBADMSG);
}

static void sample_vals(struct field_vals *v)
{
	v->n = 2;
	v->e[0] = (struct field_val){ msl(), TWCTL_A_POLICY_MSL_MS, 30000 };
	v->e[1] = (struct field_val){ NULL, 99, 5 };
}

static void test_text(void)
{
	struct field_vals v;
	char *out;

	sample_vals(&v);
	v.n = 1;
	CAPTURE(out, fields_print_text(f, &policy_table, &v));
	CHECK_STR(out, "msl 30000ms (TIME_WAIT 60s)\n");
	free(out);
	v.n = 2;
	v.e[0].v = 500;
	CAPTURE(out, fields_print_text(f, &policy_table, &v));
	CHECK_STR(out, "msl     500ms (TIME_WAIT 1s)\n"
		  "attr_99 5\n");
	free(out);
	v.n = 0;
	CAPTURE(out, fields_print_text(f, &stats_table, &v));
	CHECK_STR(out, "");
	free(out);
}

static void test_json(void)
{
	struct field_vals v;
	struct json j;
	char *out;

	const struct field *k;

	/* A full reply, in another order than the table's: table order out. */
	v.n = 0;
	for (k = policy_table.fields; k->name; k++)
		v.e[v.n++] = (struct field_val){ k, k->attr, k->def };
	v.e[v.n++] = (struct field_val){ NULL, 99, 5 };
	v.e[0].v = 2000;				/* msl */
	v.e[4].v = 100;					/* msl-local */
	v.e[7].v = 1;					/* rto-floor */
	v.e[8] = v.e[1];
	v.e[1] = (struct field_val){ NULL, 99, 5 };
	v.n = 9;
	CAPTURE(out, (json_init(&j, f, false), json_open(&j, NULL),
		      fields_print_json(&j, &policy_table, &v),
		      json_close(&j)));
	CHECK_STR(out, "{\"msl_ms\":2000,\"time_wait_ms\":4000,"
		  "\"reuse\":\"inherit\",\"reuse_delay_ms\":1000,"
		  "\"msl_loopback_ms\":0,\"time_wait_loopback_ms\":4000,"
		  "\"msl_local_ms\":100,\"time_wait_local_ms\":200,"
		  "\"msl_remote_ms\":0,\"time_wait_remote_ms\":4000,"
		  "\"local_rtt_us\":0,\"rto_floor\":\"on\",\"attr_99\":5}\n");
	free(out);
	/* A reply without some knobs (an older module): null, still there. */
	sample_vals(&v);
	CAPTURE(out, (json_init(&j, f, false), json_open(&j, NULL),
		      fields_print_json(&j, &policy_table, &v),
		      json_close(&j)));
	CHECK_STR(out, "{\"msl_ms\":30000,\"time_wait_ms\":60000,"
		  "\"reuse\":null,\"reuse_delay_ms\":null,"
		  "\"msl_loopback_ms\":null,\"time_wait_loopback_ms\":null,"
		  "\"msl_local_ms\":null,\"time_wait_local_ms\":null,"
		  "\"msl_remote_ms\":null,\"time_wait_remote_ms\":null,"
		  "\"local_rtt_us\":null,\"rto_floor\":null,\"attr_99\":5}\n");
	free(out);
	v.n = 1;
	v.e[0] = (struct field_val){ &extra_fields[0], 7, 2 };
	CAPTURE(out, (json_init(&j, f, false), json_open(&j, NULL),
		      fields_print_json(&j, &extra_table, &v),
		      json_close(&j)));
	CHECK_STR(out, "{\"reuse\":\"loopback\",\"local_rtt_us\":null,\"drops\":null}\n");
	free(out);
	/* An enum value of a newer module is a string too. */
	v.e[0].v = 9;
	CAPTURE(out, (json_init(&j, f, false), json_open(&j, NULL),
		      fields_print_json(&j, &extra_table, &v),
		      json_close(&j)));
	CHECK_HAS(out, "{\"reuse\":\"unknown_9\",");
	free(out);
}

static void test_refusal(void)
{
	struct setting s[2] = { { msl(), 700000, 24 },
				{ &extra_fields[0], 2, 32 } };
	struct nl_error e = { .err = ERANGE, .refused = true,
			      .has_offs = true, .offs = 24,
			      .has_range = true, .umin = 1, .umax = 600000 };
	char buf[512];

	snprintf(e.msg, sizeof(e.msg), "integer out of range");
	fields_refusal(buf, sizeof(buf), &e, s, 2);
	CHECK_STR(buf, "kernel refused msl 700000ms: integer out of range (allowed 1..600000 ms)");
	e.offs = 32;
	e.umin = 0;
	e.umax = 1;
	fields_refusal(buf, sizeof(buf), &e, s, 2);
	CHECK_STR(buf, "kernel refused reuse loopback: integer out of range (allowed inherit|off)");
	e.has_range = false;
	e.msg[0] = 0;
	fields_refusal(buf, sizeof(buf), &e, s, 2);
	CHECK_STR(buf, "kernel refused reuse loopback: Numerical result out of range");
	e.offs = 28;		/* not one of ours */
	snprintf(e.msg, sizeof(e.msg), "integer out of range");
	fields_refusal(buf, sizeof(buf), &e, s, 2);
	CHECK_STR(buf, "kernel refused: Numerical result out of range: integer out of range");
	e = (struct nl_error){ .err = EPERM, .refused = true };
	fields_refusal(buf, sizeof(buf), &e, s, 2);
	CHECK_STR(buf, "kernel refused: Operation not permitted");
	fields_refusal(buf, sizeof(buf), &e, NULL, 0);
	CHECK_STR(buf, "kernel refused: Operation not permitted");
	e = (struct nl_error){ .err = EINVAL, .refused = true,
			       .has_offs = true, .offs = 24, .has_range = true,
			       .range_signed = true, .smin = -5, .smax = 5 };
	fields_refusal(buf, sizeof(buf), &e, s, 2);
	CHECK_STR(buf, "kernel refused msl 700000ms: Invalid argument (allowed -5..5)");
}

static void test_reply(void)
{
	_Alignas(8) char buf[1024];
	struct nlmsghdr *nlh = new_msg(buf);
	struct twctl_reply r;

	mnl_attr_put_u32(nlh, TWCTL_A_VERSION, 1);
	mnl_attr_put_strz(nlh, TWCTL_A_MODULE_VERSION, "0.1.0");
	put_nest(nlh);
	mnl_attr_put_u32(nlh, 200, 1);		/* unknown: ignored */
	CHECK(twctl_parse_reply(nlh, &r) == 0);
	CHECK_U64(r.cmd, TWCTL_CMD_SET_POLICY);
	CHECK(r.has_version);
	CHECK_U64(r.version, 1);
	CHECK_STR(r.module_version, "0.1.0");
	CHECK(r.has_policy && !r.has_stats);
	CHECK_U64(r.policy.n, 2);
	CHECK_U64(r.policy.e[0].v, 30000);

	nlh = new_msg(buf);
	mnl_attr_put_u16(nlh, TWCTL_A_VERSION, 1);
	CHECK(twctl_parse_reply(nlh, &r) == -EBADMSG);
	nlh = new_msg(buf);
	nlh->nlmsg_len = NLMSG_HDRLEN + 2;	/* truncated genl header */
	CHECK(twctl_parse_reply(nlh, &r) == -EBADMSG);
}

static void put_trans(struct nlmsghdr *nlh, uint32_t from, uint32_t to,
		      uint64_t count)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, TWCTL_A_STATS_TRANSITION);

	mnl_attr_put_u32(nlh, TWCTL_A_TRANS_FROM, from);
	mnl_attr_put_u32(nlh, TWCTL_A_TRANS_TO, to);
	mnl_attr_put_u64(nlh, TWCTL_A_TRANS_COUNT, count);
	mnl_attr_nest_end(nlh, n);
}

static void put_bucket(struct nlmsghdr *nlh, uint64_t lt_ms, uint64_t count)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, TWCTL_A_STATS_LIFETIME);

	mnl_attr_put_u64(nlh, TWCTL_A_HIST_PAD, 0);	/* as on 32-bit */
	mnl_attr_put_u64(nlh, TWCTL_A_HIST_LT_MS, lt_ms);
	mnl_attr_put_u64(nlh, TWCTL_A_HIST_COUNT, count);
	mnl_attr_nest_end(nlh, n);
}

/* A get-stats reply as the module builds it: counters, then the nests. */
static struct nlmsghdr *stats_reply(void *buf)
{
	struct nlmsghdr *nlh = new_msg(buf);
	struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	struct nlattr *st;

	g->cmd = TWCTL_CMD_GET_STATS;
	mnl_attr_put_u32(nlh, TWCTL_A_VERSION, 1);
	st = mnl_attr_nest_start(nlh, TWCTL_A_STATS);
	mnl_attr_put_u64(nlh, TWCTL_A_STATS_TW_CREATED, 7);
	mnl_attr_put_u64(nlh, TWCTL_A_STATS_TW_ALIVE, 2);
	put_trans(nlh, 1, 4, 5);		/* ESTABLISHED -> FIN_WAIT1 */
	put_trans(nlh, 5, 6, 1ULL << 40);	/* FIN_WAIT2 -> TIME_WAIT */
	put_trans(nlh, 99, 7, 3);		/* a state of a newer kernel */
	put_bucket(nlh, 1024, 9948);
	put_bucket(nlh, 1, 2);
	put_bucket(nlh, 4, 1);
	mnl_attr_put_u64(nlh, 60, 11);		/* a newer counter */
	mnl_attr_nest_end(nlh, st);
	return nlh;
}

static void test_stats_reply(void)
{
	_Alignas(8) char buf[4096];
	struct nlmsghdr *nlh = stats_reply(buf);
	struct twctl_reply r;
	const struct close_stats *c = &r.close;

	CHECK(twctl_parse_reply(nlh, &r) == 0);
	CHECK_U64(r.cmd, TWCTL_CMD_GET_STATS);
	CHECK(r.has_stats && !r.has_policy);
	/* The nests are not counters. */
	CHECK_U64(r.stats.n, 3);
	CHECK(r.stats.e[0].f == field_find(&stats_table, "tw_created"));
	CHECK_U64(r.stats.e[0].v, 7);
	CHECK(r.stats.e[1].f == field_find(&stats_table, "tw_alive"));
	CHECK_U64(r.stats.e[1].v, 2);
	CHECK(r.stats.e[2].f == NULL);
	CHECK_U64(r.stats.e[2].attr, 60);
	CHECK_U64(r.stats.e[2].v, 11);
	/* Transitions in the reply's order. */
	CHECK_U64(c->ntrans, 3);
	CHECK_U64(c->trans[0].from, 1);
	CHECK_U64(c->trans[0].to, 4);
	CHECK_U64(c->trans[0].count, 5);
	CHECK_U64(c->trans[1].from, 5);
	CHECK_U64(c->trans[1].to, 6);
	CHECK_U64(c->trans[1].count, 1ULL << 40);
	CHECK_U64(c->trans[2].from, 99);
	CHECK_U64(c->trans[2].count, 3);
	/* Buckets sorted by their bound. */
	CHECK_U64(c->nbuckets, 3);
	CHECK_U64(c->hist[0].lt_ms, 1);
	CHECK_U64(c->hist[0].count, 2);
	CHECK_U64(c->hist[1].lt_ms, 4);
	CHECK_U64(c->hist[1].count, 1);
	CHECK_U64(c->hist[2].lt_ms, 1024);
	CHECK_U64(c->hist[2].count, 9948);
}

/* A stats nest holding only @put's output, decoded by close_stats_parse. */
static int parse_only(void (*put)(struct nlmsghdr *nlh), struct close_stats *c)
{
	_Alignas(8) char buf[8192];
	struct nlmsghdr *nlh = new_msg(buf);
	struct nlattr *st = mnl_attr_nest_start(nlh, TWCTL_A_STATS);

	put(nlh);
	mnl_attr_nest_end(nlh, st);
	return close_stats_parse(st, c);
}

static void put_no_count(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, TWCTL_A_STATS_TRANSITION);

	mnl_attr_put_u32(nlh, TWCTL_A_TRANS_FROM, 1);
	mnl_attr_put_u32(nlh, TWCTL_A_TRANS_TO, 4);
	mnl_attr_nest_end(nlh, n);
}

static void put_short_state(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, TWCTL_A_STATS_TRANSITION);

	mnl_attr_put_u16(nlh, TWCTL_A_TRANS_FROM, 1);
	mnl_attr_put_u32(nlh, TWCTL_A_TRANS_TO, 4);
	mnl_attr_put_u64(nlh, TWCTL_A_TRANS_COUNT, 1);
	mnl_attr_nest_end(nlh, n);
}

static void put_twice(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, TWCTL_A_STATS_LIFETIME);

	mnl_attr_put_u64(nlh, TWCTL_A_HIST_LT_MS, 8);
	mnl_attr_put_u64(nlh, TWCTL_A_HIST_COUNT, 1);
	mnl_attr_put_u64(nlh, TWCTL_A_HIST_COUNT, 2);
	mnl_attr_nest_end(nlh, n);
}

static void put_zero_bound(struct nlmsghdr *nlh)
{
	put_bucket(nlh, 0, 1);
}

static void put_not_nested(struct nlmsghdr *nlh)
{
	mnl_attr_put_u32(nlh, TWCTL_A_STATS_LIFETIME, 1);
}

static void put_truncated(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, TWCTL_A_STATS_TRANSITION);

	mnl_attr_put_u32(nlh, TWCTL_A_TRANS_FROM, 1);
	mnl_attr_put_u32(nlh, TWCTL_A_TRANS_TO, 4);
	mnl_attr_put_u64(nlh, TWCTL_A_TRANS_COUNT, 1);
	mnl_attr_nest_end(nlh, n);
	n->nla_len -= 4;		/* cuts COUNT short */
}

static void put_extra_member(struct nlmsghdr *nlh)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, TWCTL_A_STATS_LIFETIME);

	mnl_attr_put_u64(nlh, TWCTL_A_HIST_COUNT, 3);
	mnl_attr_put_strz(nlh, 40, "from a newer module");
	mnl_attr_put_u64(nlh, TWCTL_A_HIST_LT_MS, 16);
	mnl_attr_nest_end(nlh, n);
	put_bucket(nlh, 16, 4);		/* the same bucket again: merged */
}

static void put_many(struct nlmsghdr *nlh)
{
	uint64_t i;

	for (i = 0; i < TRANSITIONS_MAX + 3; i++)
		put_trans(nlh, (uint32_t)i, 7, i + 1);
	for (i = 0; i < TWCTL_HIST_BUCKETS + 3; i++)
		put_bucket(nlh, 1ULL << i, i + 1);
}

static void test_stats_malformed(void)
{
	_Alignas(8) char buf[4096];
	struct nlmsghdr *nlh;
	struct twctl_reply r;
	struct close_stats c;

	CHECK(parse_only(put_no_count, &c) == -EBADMSG);
	CHECK(parse_only(put_short_state, &c) == -EBADMSG);
	CHECK(parse_only(put_twice, &c) == -EBADMSG);
	CHECK(parse_only(put_zero_bound, &c) == -EBADMSG);
	CHECK(parse_only(put_not_nested, &c) == -EBADMSG);
	CHECK(parse_only(put_truncated, &c) == -EBADMSG);
	/* Unknown members are skipped; a repeated bucket is merged. */
	CHECK(parse_only(put_extra_member, &c) == 0);
	CHECK_U64(c.ntrans, 0);
	CHECK_U64(c.nbuckets, 1);
	CHECK_U64(c.hist[0].lt_ms, 16);
	CHECK_U64(c.hist[0].count, 7);
	/* Beyond the room, records are dropped, not written past it. */
	CHECK(parse_only(put_many, &c) == 0);
	CHECK_U64(c.ntrans, TRANSITIONS_MAX);
	CHECK_U64(c.trans[TRANSITIONS_MAX - 1].count, TRANSITIONS_MAX);
	CHECK_U64(c.nbuckets, TWCTL_HIST_BUCKETS);
	CHECK_U64(c.hist[TWCTL_HIST_BUCKETS - 1].lt_ms,
		  1ULL << (TWCTL_HIST_BUCKETS - 1));
	/* A malformed nest fails the whole reply. */
	nlh = new_msg(buf);
	mnl_attr_put_u32(nlh, TWCTL_A_VERSION, 1);
	{
		struct nlattr *st = mnl_attr_nest_start(nlh, TWCTL_A_STATS);

		put_no_count(nlh);
		mnl_attr_nest_end(nlh, st);
	}
	CHECK(twctl_parse_reply(nlh, &r) == -EBADMSG);
}

int main(void)
{
	tap_suite = "fields";
	RUN(test_table, "the knob table matches the UAPI header");
	RUN(test_parse, "knob values: units, client-side range, width");
	RUN(test_enum, "enum and microsecond knob types");
	RUN(test_put, "set request: one nest, offsets point at each attribute");
	RUN(test_parse_nest, "reply nests: known, unknown, pad, malformed");
	RUN(test_text, "text output: value, derived TIME_WAIT, alignment");
	RUN(test_json, "JSON output: keys, derived key, unknown attributes");
	RUN(test_refusal, "refusal message names the knob and the kernel's range");
	RUN(test_reply, "reply decoding: version, module version, nests");
	RUN(test_stats_reply, "stats reply: counters, transition and lifetime nests");
	RUN(test_stats_malformed, "stats nests: missing, short, repeated members refused; room bounded");
	return tap_exit();
}
