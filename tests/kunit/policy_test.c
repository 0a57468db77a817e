// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of twctl's policy arithmetic and parsing (module/policy.c).
 */
#include <kunit/test.h>
#include <linux/jiffies.h>
#include <linux/limits.h>

#include "policy.c"
#include "stats.c"
#include "params.c"

struct twctl_j_case {
	u64 ms;
	unsigned int hz;
	unsigned long want;
};

static const struct twctl_j_case twctl_j_cases[] = {
	{ 0, 250, 0 },
	{ 1, 100, 1 },		/* rounding up, never down */
	{ 1, 250, 1 },
	{ 1, 1000, 1 },
	{ 4, 250, 1 },
	{ 5, 250, 2 },
	{ 9, 100, 1 },
	{ 10, 100, 1 },
	{ 11, 100, 2 },
	{ 999, 1000, 999 },
	{ 1000, 250, 250 },
	{ 1001, 250, 251 },
	{ 60000, 100, 6000 },
	{ 60000, 250, 15000 },
	{ 60000, 1000, 60000 },
	/* the longest TIME_WAIT: 2 x TWCTL_MSL_MAX_MS */
	{ 1200000, 100, 120000 },
	{ 1200000, 250, 300000 },
	{ 1200000, 1000, 1200000 },
};

static void twctl_test_ms_to_jiffies(struct kunit *test)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(twctl_j_cases); i++) {
		const struct twctl_j_case *c = &twctl_j_cases[i];

		KUNIT_EXPECT_EQ_MSG(test, twctl_ms_to_jiffies_hz(c->ms, c->hz),
				    c->want, "%llu ms at HZ=%u", c->ms, c->hz);
	}
}

static void twctl_test_ms_to_jiffies_saturates(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, twctl_ms_to_jiffies_hz(U64_MAX, 1000),
			MAX_JIFFY_OFFSET);
	KUNIT_EXPECT_EQ(test, twctl_ms_to_jiffies_hz(U64_MAX / 100, 1000),
			MAX_JIFFY_OFFSET);
	KUNIT_EXPECT_EQ(test, twctl_ms_to_jiffies_hz(U32_MAX, 1000),
			(unsigned long)U32_MAX);
}

static void twctl_test_tw_timeo(struct kunit *test)
{
	struct twctl_policy p;

	twctl_policy_init_default(&p);
	/* the default is exactly the kernel's TCP_TIMEWAIT_LEN (60 s) */
	KUNIT_EXPECT_EQ(test, twctl_tw_timeo_hz(&p, 100), 6000UL);
	KUNIT_EXPECT_EQ(test, twctl_tw_timeo_hz(&p, 250), 15000UL);
	KUNIT_EXPECT_EQ(test, twctl_tw_timeo_hz(&p, 1000), 60000UL);
	KUNIT_EXPECT_EQ(test, twctl_tw_timeo(&p), (unsigned long)(60 * HZ));

	p.msl_ms = TWCTL_MSL_MIN_MS;	/* 2 ms: one tick at 250 Hz */
	KUNIT_EXPECT_EQ(test, twctl_tw_timeo_hz(&p, 250), 1UL);
	KUNIT_EXPECT_EQ(test, twctl_tw_timeo_hz(&p, 1000), 2UL);
	p.msl_ms = 500;
	KUNIT_EXPECT_EQ(test, twctl_tw_timeo_hz(&p, 250), 250UL);
	p.msl_ms = TWCTL_MSL_MAX_MS;
	KUNIT_EXPECT_EQ(test, twctl_tw_timeo_hz(&p, 1000), 1200000UL);
	KUNIT_EXPECT_LE(test, twctl_tw_timeo_hz(&p, 1000), (unsigned long)INT_MAX);
}

struct twctl_parse_case {
	const char *in;
	int err;
	u32 val;
};

static const struct twctl_parse_case twctl_parse_cases[] = {
	{ "0", 0, 0 },
	{ "1", 0, 1 },
	{ "500\n", 0, 500 },
	{ "4294967295", 0, U32_MAX },
	{ "00042", 0, 42 },
	{ "4294967296", -ERANGE, 0 },
	{ "99999999999999999999999", -ERANGE, 0 },
	{ "", -EINVAL, 0 },
	{ "\n", -EINVAL, 0 },
	{ "500\n\n", -EINVAL, 0 },
	{ "+1", -EINVAL, 0 },
	{ "-1", -EINVAL, 0 },
	{ " 1", -EINVAL, 0 },
	{ "1 ", -EINVAL, 0 },
	{ "0x10", -EINVAL, 0 },
	{ "1e3", -EINVAL, 0 },
	{ "1.5", -EINVAL, 0 },
	{ "12abc", -EINVAL, 0 },
	{ "\t7", -EINVAL, 0 },
};

static void twctl_test_parse_u32(struct kunit *test)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(twctl_parse_cases); i++) {
		const struct twctl_parse_case *c = &twctl_parse_cases[i];
		u32 v = 0xdeadbeef;
		int err = twctl_parse_u32(c->in, strlen(c->in), &v);

		KUNIT_EXPECT_EQ_MSG(test, err, c->err, "input \"%s\"", c->in);
		KUNIT_EXPECT_EQ_MSG(test, v, c->err ? 0xdeadbeef : c->val,
				    "input \"%s\"", c->in);
	}
}

static void twctl_test_parse_uses_len(struct kunit *test)
{
	static const char buf[] = { '1', '2', '3', 'x' };	/* no NUL */
	u32 v;

	KUNIT_EXPECT_EQ(test, twctl_parse_u32(buf, 3, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 123U);
	KUNIT_EXPECT_EQ(test, twctl_parse_u32(buf, 4, &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, twctl_parse_u32(buf, 0, &v), -EINVAL);
}

/* A page of leading zeros, cut by kernfs, must not read as a number. */
static void twctl_test_parse_long_input(struct kunit *test)
{
	char *buf = kunit_kzalloc(test, 4096, GFP_KERNEL);
	u32 v = 7;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	memset(buf, '0', 4096);
	memcpy(buf + 4093, "100", 3);
	KUNIT_EXPECT_EQ(test, twctl_parse_u32(buf, 4096, &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, twctl_parse_ranged(buf, 4096, 1, 600000, &v),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, v, 7U);
	/* The longest accepted input, and one more character. */
	memcpy(buf + TWCTL_NUM_MAX_LEN - 3, "100", 3);
	KUNIT_EXPECT_EQ(test, twctl_parse_u32(buf, TWCTL_NUM_MAX_LEN, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 100U);
	buf[TWCTL_NUM_MAX_LEN] = '\n';
	KUNIT_EXPECT_EQ(test, twctl_parse_u32(buf, TWCTL_NUM_MAX_LEN + 1, &v),
			0);
	KUNIT_EXPECT_EQ(test, twctl_parse_u32(buf + 1, TWCTL_NUM_MAX_LEN + 1,
					      &v), -EINVAL);
}

static void twctl_test_parse_ranged(struct kunit *test)
{
	u32 v = 7;

	KUNIT_EXPECT_EQ(test, twctl_parse_ranged("1", 1, 1, 600000, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 1U);
	KUNIT_EXPECT_EQ(test, twctl_parse_ranged("600000", 6, 1, 600000, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 600000U);
	KUNIT_EXPECT_EQ(test, twctl_parse_ranged("0", 1, 1, 600000, &v), -ERANGE);
	KUNIT_EXPECT_EQ(test, twctl_parse_ranged("600001", 6, 1, 600000, &v),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, twctl_parse_ranged("x", 1, 1, 600000, &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, v, 600000U);	/* unchanged by failures */
}

static void twctl_test_validate(struct kunit *test)
{
	struct twctl_policy p;

	twctl_policy_init_default(&p);
	KUNIT_EXPECT_EQ(test, p.msl_ms, (u32)TWCTL_MSL_DEFAULT_MS);
	KUNIT_EXPECT_EQ(test, twctl_policy_validate(&p), 0);
	p.msl_ms = 0;
	KUNIT_EXPECT_EQ(test, twctl_policy_validate(&p), -ERANGE);
	p.msl_ms = TWCTL_MSL_MIN_MS;
	KUNIT_EXPECT_EQ(test, twctl_policy_validate(&p), 0);
	p.msl_ms = TWCTL_MSL_MAX_MS;
	KUNIT_EXPECT_EQ(test, twctl_policy_validate(&p), 0);
	p.msl_ms = TWCTL_MSL_MAX_MS + 1;
	KUNIT_EXPECT_EQ(test, twctl_policy_validate(&p), -ERANGE);
	p.msl_ms = TWCTL_MSL_MAX_MS;
	/* the reuse delay: at least 1 ms, as the kernel's tcp_tw_reuse_delay */
	p.reuse_delay_ms = 0;
	KUNIT_EXPECT_EQ(test, twctl_policy_validate(&p), -ERANGE);
	p.reuse_delay_ms = TWCTL_REUSE_DELAY_MIN_MS;
	KUNIT_EXPECT_EQ(test, twctl_policy_validate(&p), 0);
	p.reuse_delay_ms = TWCTL_REUSE_DELAY_MAX_MS + 1;
	KUNIT_EXPECT_EQ(test, twctl_policy_validate(&p), -ERANGE);
}

static void twctl_test_validate_classes(struct kunit *test)
{
	struct twctl_policy p;
	int c;

	twctl_policy_init_default(&p);
	for (c = 0; c < TWCTL_NCLASSES; c++) {
		KUNIT_EXPECT_EQ(test, p.msl_class_ms[c], 0U);	/* unset */
		p.msl_class_ms[c] = TWCTL_MSL_MAX_MS;
		KUNIT_EXPECT_EQ(test, twctl_policy_validate(&p), 0);
		p.msl_class_ms[c] = TWCTL_MSL_MAX_MS + 1;
		KUNIT_EXPECT_EQ(test, twctl_policy_validate(&p), -ERANGE);
		p.msl_class_ms[c] = 0;
	}
	KUNIT_EXPECT_EQ(test, p.local_rtt_us, 0U);
	KUNIT_EXPECT_EQ(test, p.rto_floor, 0U);
	p.local_rtt_us = TWCTL_LOCAL_RTT_MAX_US;
	KUNIT_EXPECT_EQ(test, twctl_policy_validate(&p), 0);
	p.local_rtt_us = TWCTL_LOCAL_RTT_MAX_US + 1;
	KUNIT_EXPECT_EQ(test, twctl_policy_validate(&p), -ERANGE);
	p.local_rtt_us = 0;
	p.rto_floor = 1;
	KUNIT_EXPECT_EQ(test, twctl_policy_validate(&p), 0);
	p.rto_floor = 2;
	KUNIT_EXPECT_EQ(test, twctl_policy_validate(&p), -ERANGE);
}

static void twctl_test_peer_class(struct kunit *test)
{
	/* loopback wins whatever the RTT */
	KUNIT_EXPECT_EQ(test, twctl_peer_class(true, 0, 0), TWCTL_CLASS_LOOPBACK);
	KUNIT_EXPECT_EQ(test, twctl_peer_class(true, 900000, 1000),
			TWCTL_CLASS_LOOPBACK);
	/* strictly below the threshold is local */
	KUNIT_EXPECT_EQ(test, twctl_peer_class(false, 999, 1000), TWCTL_CLASS_LOCAL);
	KUNIT_EXPECT_EQ(test, twctl_peer_class(false, 1000, 1000),
			TWCTL_CLASS_REMOTE);
	KUNIT_EXPECT_EQ(test, twctl_peer_class(false, 1, 1000), TWCTL_CLASS_LOCAL);
	/* no threshold: nobody is local; no RTT sample: remote */
	KUNIT_EXPECT_EQ(test, twctl_peer_class(false, 5, 0), TWCTL_CLASS_REMOTE);
	KUNIT_EXPECT_EQ(test, twctl_peer_class(false, 0, 1000), TWCTL_CLASS_REMOTE);
}

static void twctl_test_class_msl(struct kunit *test)
{
	struct twctl_policy p;

	twctl_policy_init_default(&p);
	p.msl_ms = 2000;
	KUNIT_EXPECT_EQ(test, twctl_class_msl_ms(&p, TWCTL_CLASS_LOCAL), 2000U);
	KUNIT_EXPECT_EQ(test, twctl_class_timeo_hz(&p, TWCTL_CLASS_REMOTE, 250),
			1000UL);
	p.msl_class_ms[TWCTL_CLASS_LOOPBACK] = 3;
	KUNIT_EXPECT_EQ(test, twctl_class_msl_ms(&p, TWCTL_CLASS_LOOPBACK), 3U);
	KUNIT_EXPECT_EQ(test, twctl_class_msl_ms(&p, TWCTL_CLASS_REMOTE), 2000U);
	/* 6 ms at 250 Hz: 1.5 ticks, rounded up */
	KUNIT_EXPECT_EQ(test, twctl_class_timeo_hz(&p, TWCTL_CLASS_LOOPBACK, 250),
			2UL);

	/* records only when RTT or RTO can change a class or a length */
	KUNIT_EXPECT_FALSE(test, twctl_policy_needs_records(&p));
	p.msl_class_ms[TWCTL_CLASS_LOCAL] = 100;
	KUNIT_EXPECT_FALSE(test, twctl_policy_needs_records(&p));	/* no local */
	p.local_rtt_us = 500;
	KUNIT_EXPECT_TRUE(test, twctl_policy_needs_records(&p));
	p.local_rtt_us = 0;
	p.rto_floor = 1;
	KUNIT_EXPECT_TRUE(test, twctl_policy_needs_records(&p));
}

static void twctl_test_rto_floor(struct kunit *test)
{
	bool floored;

	/* 3.5 x RTO, rounded up, as the kernel's (rto << 2) - (rto >> 1) */
	KUNIT_EXPECT_EQ(test, twctl_rto_floor(50), 175UL);
	KUNIT_EXPECT_EQ(test, twctl_rto_floor(51), 179UL);
	KUNIT_EXPECT_EQ(test, twctl_rto_floor(0), 0UL);
	KUNIT_EXPECT_EQ(test, twctl_rto_floor(ULONG_MAX), ULONG_MAX);

	KUNIT_EXPECT_EQ(test, twctl_tw_len(100, false, 50, &floored), 100UL);
	KUNIT_EXPECT_FALSE(test, floored);
	KUNIT_EXPECT_EQ(test, twctl_tw_len(100, true, 50, &floored), 175UL);
	KUNIT_EXPECT_TRUE(test, floored);
	KUNIT_EXPECT_EQ(test, twctl_tw_len(200, true, 50, &floored), 200UL);
	KUNIT_EXPECT_FALSE(test, floored);
	KUNIT_EXPECT_EQ(test, twctl_tw_len(175, true, 50, &floored), 175UL);
	KUNIT_EXPECT_FALSE(test, floored);
	/* a huge RTO never makes a length the timer cannot take */
	KUNIT_EXPECT_EQ(test, twctl_tw_len(100, true, ULONG_MAX / 2, &floored),
			(unsigned long)INT_MAX);
}

static void twctl_test_apply_classes(struct kunit *test)
{
	struct twctl_policy cur, out;
	struct twctl_policy_patch patch = {};

	twctl_policy_init_default(&cur);
	patch.val.msl_class_ms[TWCTL_CLASS_LOCAL] = 50;
	patch.val.msl_class_ms[TWCTL_CLASS_REMOTE] = 7;	/* not flagged */
	patch.val.local_rtt_us = 300;
	patch.val.rto_floor = 1;
	patch.set = TWCTL_P_MSL_LOCAL | TWCTL_P_LOCAL_RTT | TWCTL_P_RTO_FLOOR;
	KUNIT_EXPECT_EQ(test, twctl_policy_apply(&cur, &patch, &out), 0);
	KUNIT_EXPECT_EQ(test, out.msl_class_ms[TWCTL_CLASS_LOCAL], 50U);
	KUNIT_EXPECT_EQ(test, out.msl_class_ms[TWCTL_CLASS_REMOTE], 0U);
	KUNIT_EXPECT_EQ(test, out.local_rtt_us, 300U);
	KUNIT_EXPECT_EQ(test, out.rto_floor, 1U);
	KUNIT_EXPECT_EQ(test, out.msl_ms, cur.msl_ms);
	/* one bad field refuses the whole patch */
	patch.val.rto_floor = 3;
	KUNIT_EXPECT_EQ(test, twctl_policy_apply(&cur, &patch, &out), -ERANGE);
}

static void twctl_test_apply(struct kunit *test)
{
	struct twctl_policy cur, out;
	struct twctl_policy_patch patch = {};

	twctl_policy_init_default(&cur);
	KUNIT_EXPECT_EQ(test, twctl_policy_apply(&cur, &patch, &out), 0);
	KUNIT_EXPECT_EQ(test, out.msl_ms, cur.msl_ms);

	patch.val.msl_ms = 1234;	/* not flagged: ignored */
	KUNIT_EXPECT_EQ(test, twctl_policy_apply(&cur, &patch, &out), 0);
	KUNIT_EXPECT_EQ(test, out.msl_ms, cur.msl_ms);

	patch.set = TWCTL_P_MSL;
	KUNIT_EXPECT_EQ(test, twctl_policy_apply(&cur, &patch, &out), 0);
	KUNIT_EXPECT_EQ(test, out.msl_ms, 1234U);

	patch.val.msl_ms = 0;
	KUNIT_EXPECT_EQ(test, twctl_policy_apply(&cur, &patch, &out), -ERANGE);
	KUNIT_EXPECT_EQ(test, cur.msl_ms, (u32)TWCTL_MSL_DEFAULT_MS);
}

static void twctl_test_reuse_names(struct kunit *test)
{
	static const char *const names[] = {
		"inherit", "off", "loopback", "always"
	};
	u32 i, v;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		KUNIT_EXPECT_STREQ(test, twctl_reuse_name(i), names[i]);
		KUNIT_EXPECT_EQ(test, twctl_parse_reuse(names[i],
							strlen(names[i]), &v), 0);
		KUNIT_EXPECT_EQ(test, v, i);
	}
	KUNIT_EXPECT_EQ(test, twctl_parse_reuse("always\n", 7, &v), 0);
	KUNIT_EXPECT_EQ(test, v, (u32)TWCTL_REUSE_ALWAYS);
	KUNIT_EXPECT_EQ(test, twctl_parse_reuse("alway", 5, &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, twctl_parse_reuse("always ", 7, &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, twctl_parse_reuse("ALWAYS", 6, &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, twctl_parse_reuse("3", 1, &v), -EINVAL);
	KUNIT_EXPECT_EQ(test, twctl_parse_reuse("", 0, &v), -EINVAL);
	KUNIT_EXPECT_STREQ(test, twctl_reuse_name(4), "?");
}

static void twctl_test_reuse_decide(struct kunit *test)
{
	struct twctl_policy p;
	struct twctl_reuse_query q = {
		.has_ts = true, .loopback = false, .age_ms = 5000,
	};

	twctl_policy_init_default(&p);
	p.reuse_delay_ms = 100;
	/* inherit and off never grant here (inherit is the kernel's call) */
	KUNIT_EXPECT_EQ(test, twctl_reuse_decide(&p, &q), TWCTL_REUSE_DENY_POLICY);
	p.reuse = TWCTL_REUSE_OFF;
	KUNIT_EXPECT_EQ(test, twctl_reuse_decide(&p, &q), TWCTL_REUSE_DENY_POLICY);
	p.reuse = TWCTL_REUSE_LOOPBACK;
	KUNIT_EXPECT_EQ(test, twctl_reuse_decide(&p, &q), TWCTL_REUSE_DENY_POLICY);
	q.loopback = true;
	KUNIT_EXPECT_EQ(test, twctl_reuse_decide(&p, &q), TWCTL_REUSE_GRANT);
	p.reuse = TWCTL_REUSE_ALWAYS;
	q.loopback = false;
	KUNIT_EXPECT_EQ(test, twctl_reuse_decide(&p, &q), TWCTL_REUSE_GRANT);
	/* the delay: granted from exactly reuse_delay_ms on */
	q.age_ms = 99;
	KUNIT_EXPECT_EQ(test, twctl_reuse_decide(&p, &q), TWCTL_REUSE_DENY_POLICY);
	q.age_ms = 100;
	KUNIT_EXPECT_EQ(test, twctl_reuse_decide(&p, &q), TWCTL_REUSE_GRANT);
	p.reuse_delay_ms = TWCTL_REUSE_DELAY_MIN_MS;
	q.age_ms = 0;
	KUNIT_EXPECT_EQ(test, twctl_reuse_decide(&p, &q), TWCTL_REUSE_DENY_POLICY);
	q.age_ms = 1;
	KUNIT_EXPECT_EQ(test, twctl_reuse_decide(&p, &q), TWCTL_REUSE_GRANT);
	/* never without timestamps, never from FIN_WAIT2 */
	q.has_ts = false;
	KUNIT_EXPECT_EQ(test, twctl_reuse_decide(&p, &q), TWCTL_REUSE_DENY_NO_TS);
	q.has_ts = true;
	q.fin_wait2 = true;
	KUNIT_EXPECT_EQ(test, twctl_reuse_decide(&p, &q), TWCTL_REUSE_DENY_POLICY);
}

/*
 * A connect() from a port the socket bound itself: the kernel's rule (grant
 * whenever timestamps were seen, at any age, even from FIN_WAIT2) in every
 * explicit mode but off.
 */
static void twctl_test_reuse_decide_bound(struct kunit *test)
{
	struct twctl_policy p;
	struct twctl_reuse_query q = {
		.has_ts = true, .loopback = false, .bound = true, .age_ms = 0,
	};

	twctl_policy_init_default(&p);
	p.reuse_delay_ms = 10000;
	p.reuse = TWCTL_REUSE_ALWAYS;
	KUNIT_EXPECT_EQ(test, twctl_reuse_decide(&p, &q), TWCTL_REUSE_GRANT);
	p.reuse = TWCTL_REUSE_LOOPBACK;
	KUNIT_EXPECT_EQ(test, twctl_reuse_decide(&p, &q), TWCTL_REUSE_GRANT);
	q.fin_wait2 = true;
	KUNIT_EXPECT_EQ(test, twctl_reuse_decide(&p, &q), TWCTL_REUSE_GRANT);
	q.has_ts = false;
	KUNIT_EXPECT_EQ(test, twctl_reuse_decide(&p, &q), TWCTL_REUSE_DENY_NO_TS);
	q.has_ts = true;
	p.reuse = TWCTL_REUSE_OFF;
	KUNIT_EXPECT_EQ(test, twctl_reuse_decide(&p, &q), TWCTL_REUSE_DENY_POLICY);
	p.reuse = TWCTL_REUSE_INHERIT;	/* never asked: the kernel decides */
	KUNIT_EXPECT_EQ(test, twctl_reuse_decide(&p, &q), TWCTL_REUSE_DENY_POLICY);
}

/*
 * The hook computes the age, and the loopback test, only when the decision
 * reads them. For every mode and every combination of the socket's flags:
 * twctl_reuse_needs_age() says yes exactly when the age changes the
 * verdict, and the loopback test changes it only in loopback mode.
 */
static void twctl_test_reuse_needs_age(struct kunit *test)
{
	struct twctl_policy p;
	struct twctl_reuse_query q;
	enum twctl_reuse_verdict young, old;
	unsigned int mode, bits, asked = 0;

	twctl_policy_init_default(&p);
	p.reuse_delay_ms = 100;
	for (mode = TWCTL_REUSE_INHERIT; mode <= TWCTL_REUSE_ALWAYS; mode++) {
		p.reuse = mode;
		for (bits = 0; bits < 16; bits++) {
			q = (struct twctl_reuse_query) {
				.fin_wait2 = bits & 1, .has_ts = bits & 2,
				.loopback = bits & 4, .bound = bits & 8,
			};
			young = twctl_reuse_decide(&p, &q);
			q.age_ms = U32_MAX;
			old = twctl_reuse_decide(&p, &q);
			KUNIT_EXPECT_EQ_MSG(test, twctl_reuse_needs_age(&p, &q),
					    young != old,
					    "mode %u flags %#x", mode, bits);
			asked += twctl_reuse_needs_age(&p, &q);
			if (mode == TWCTL_REUSE_LOOPBACK)
				continue;
			q.loopback = !q.loopback;
			KUNIT_EXPECT_EQ_MSG(test, twctl_reuse_decide(&p, &q), old,
					    "mode %u flags %#x", mode, bits);
		}
	}
	/* always: has_ts, not bound, not FIN_WAIT2 (2); loopback: also lo */
	KUNIT_EXPECT_EQ(test, asked, 3U);
}

static void twctl_test_tw_age(struct kunit *test)
{
	const unsigned long len = 1000, now = 50000;
	struct twctl_age_bias b = {};

	/*
	 * Armed len ago expires now; just armed expires now + len. The tick
	 * of the arming is not counted: a socket armed one tick ago may be
	 * only a moment old.
	 */
	KUNIT_EXPECT_EQ(test, twctl_tw_age(now + len, now, len, &b), 0UL);
	KUNIT_EXPECT_EQ(test, twctl_tw_age(now + len - 1, now, len, &b), 0UL);
	KUNIT_EXPECT_EQ(test, twctl_tw_age(now + len - 2, now, len, &b), 1UL);
	KUNIT_EXPECT_EQ(test, twctl_tw_age(now + 1, now, len, &b), len - 2);
	KUNIT_EXPECT_EQ(test, twctl_tw_age(now, now, len, &b), len - 1);
	KUNIT_EXPECT_EQ(test, twctl_tw_age(now - 5, now, len, &b), len + 4);
	/* armed under a longer, earlier length: taken as brand new */
	KUNIT_EXPECT_EQ(test, twctl_tw_age(now + 5 * len, now, len, &b), 0UL);
	/* across a jiffies wrap */
	KUNIT_EXPECT_EQ(test, twctl_tw_age(ULONG_MAX - 100 + 300, ULONG_MAX - 100,
					   len, NULL), 699UL);
	KUNIT_EXPECT_EQ(test, twctl_tw_age(5, (unsigned long)-5, len, NULL),
			len - 11);
}

static void twctl_test_age_bias(struct kunit *test)
{
	struct twctl_age_bias b = {};
	const unsigned long now = 10000;

	/* shorter or equal: nothing to correct */
	twctl_age_bias_update(&b, 1000, 500, now);
	KUNIT_EXPECT_EQ(test, b.bias, 0UL);
	/* 250 -> 15000: sockets armed with 250 look 14750 older, until now+250 */
	twctl_age_bias_update(&b, 250, 15000, now);
	KUNIT_EXPECT_EQ(test, b.bias, 14750UL);
	KUNIT_EXPECT_EQ(test, b.until, now + 250);
	/* armed 100 jiffies ago with 250, it expires in 150: 99 whole ticks */
	KUNIT_EXPECT_EQ(test, twctl_tw_age(now + 150, now, 15000, &b), 99UL);
	/* armed 100 jiffies ago with 15000: taken as new (the safe side) */
	KUNIT_EXPECT_EQ(test, twctl_tw_age(now + 14900, now, 15000, &b), 0UL);
	/* after until, ages are taken as they read */
	KUNIT_EXPECT_EQ(test, twctl_tw_age(now + 300 + 14000, now + 300, 15000, &b),
			999UL);
	/* a second raise while the first is active keeps the larger bias */
	twctl_age_bias_update(&b, 15000, 15100, now + 10);
	KUNIT_EXPECT_EQ(test, b.bias, 14750UL);
	KUNIT_EXPECT_EQ(test, b.until, now + 10 + 15000);
}

static void twctl_test_hist_bucket(struct kunit *test)
{
	static const struct { u64 ms; unsigned int b; } c[] = {
		{ 0, 0 }, { 1, 1 }, { 2, 2 }, { 3, 2 }, { 4, 3 }, { 599, 10 },
		{ 600, 10 }, { 1023, 10 }, { 1024, 11 }, { 60000, 16 },
		{ 1200000, 21 }, { U64_MAX, TWCTL_HIST_BUCKETS - 1 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		unsigned int b = twctl_hist_bucket(c[i].ms);

		KUNIT_EXPECT_EQ_MSG(test, b, c[i].b, "%llu ms", c[i].ms);
		/* the bucket's bounds hold the value (but in the open last one) */
		if (b < TWCTL_HIST_BUCKETS - 1) {
			KUNIT_EXPECT_LT(test, c[i].ms, twctl_hist_lt_ms(b));
			KUNIT_EXPECT_GE(test, c[i].ms, twctl_hist_lt_ms(b) / 2);
		}
	}
}

static void twctl_test_close_states(struct kunit *test)
{
	int i;

	for (i = 0; i < TWCTL_NSTATES; i++)
		KUNIT_EXPECT_EQ(test, twctl_close_state_index(twctl_close_states[i]), i);
	KUNIT_EXPECT_EQ(test, twctl_close_state_index(2), -1);	/* SYN_SENT */
	KUNIT_EXPECT_EQ(test, twctl_close_state_index(10), -1);	/* LISTEN */
	KUNIT_EXPECT_STREQ(test, twctl_state_name(6), "TIME_WAIT");
	KUNIT_EXPECT_STREQ(test, twctl_state_name(11), "CLOSING");
	KUNIT_EXPECT_STREQ(test, twctl_state_name(3), "?");
}

/* A new namespace's policy is whole, whatever its stack held before. */
static void twctl_test_params_default(struct kunit *test)
{
	struct twctl_policy p, want;

	memset(&p, 0xa5, sizeof(p));
	twctl_policy_init_default(&want);
	twctl_params_default(&p);
	KUNIT_EXPECT_EQ(test, twctl_policy_validate(&p), 0);
	KUNIT_EXPECT_EQ(test, memcmp(&p, &want, sizeof(p)), 0);
}

static void twctl_test_tw_lived(struct kunit *test)
{
	/* armed with 150 ticks, expiring in 50: lived 100; fired 3 late: 153 */
	KUNIT_EXPECT_EQ(test, twctl_tw_lived(1050, 1000, 150), 100UL);
	KUNIT_EXPECT_EQ(test, twctl_tw_lived(1000, 1003, 150), 153UL);
	KUNIT_EXPECT_EQ(test, twctl_tw_lived(1000 + 150, 1000, 150), 0UL);
	KUNIT_EXPECT_EQ(test, twctl_tw_lived(5000, 1000, 150), 0UL);
}

/* Takes from @b at @now until it says no; how many it gave. */
static unsigned int twctl_drain(struct twctl_ev_bucket *b, unsigned long now,
				unsigned int hz)
{
	unsigned int n = 0;

	while (n <= 2 * TWCTL_EV_BURST && twctl_ev_bucket_take(b, now, hz))
		n++;
	return n;
}

static void twctl_test_ev_bucket(struct kunit *test)
{
	struct twctl_ev_bucket b = { 0 };
	unsigned long t = 100000;

	/* zeroed is full: a burst, then nothing in the same jiffy */
	KUNIT_EXPECT_EQ(test, twctl_drain(&b, t, 250), TWCTL_EV_BURST);
	KUNIT_EXPECT_FALSE(test, twctl_ev_bucket_take(&b, t, 250));
	/* a jiffy at HZ 250 refills 4, refusals spent nothing */
	KUNIT_EXPECT_EQ(test, twctl_drain(&b, t + 1, 250), 4U);
	KUNIT_EXPECT_EQ(test, twctl_drain(&b, t + 1, 250), 0U);
	/* half a second: half the rate */
	KUNIT_EXPECT_EQ(test, twctl_drain(&b, t + 126, 250), 500U);
	/* a second or more: full, never more than the burst */
	KUNIT_EXPECT_EQ(test, twctl_drain(&b, t + 126 + 250, 250), TWCTL_EV_BURST);
	KUNIT_EXPECT_EQ(test, twctl_drain(&b, t + 100000, 250), TWCTL_EV_BURST);
}

static void twctl_test_ev_bucket_hz(struct kunit *test)
{
	struct twctl_ev_bucket b = { 0 };
	unsigned long t = 5000;
	unsigned int n = 0, j;

	/* HZ 300: 3 1/3 events a jiffy, no fraction lost */
	KUNIT_EXPECT_EQ(test, twctl_drain(&b, t, 300), TWCTL_EV_BURST);
	KUNIT_EXPECT_EQ(test, twctl_drain(&b, t + 3, 300), 10U);
	for (j = 1; j <= 300; j++)
		n += twctl_drain(&b, t + 3 + j, 300);
	KUNIT_EXPECT_EQ(test, n, (unsigned int)TWCTL_EV_PER_SEC);
	/* HZ 1000 and 100 */
	b = (struct twctl_ev_bucket){ 0 };
	KUNIT_EXPECT_EQ(test, twctl_drain(&b, t, 1000), TWCTL_EV_BURST);
	KUNIT_EXPECT_EQ(test, twctl_drain(&b, t + 7, 1000), 7U);
	b = (struct twctl_ev_bucket){ 0 };
	KUNIT_EXPECT_EQ(test, twctl_drain(&b, t, 100), TWCTL_EV_BURST);
	KUNIT_EXPECT_EQ(test, twctl_drain(&b, t + 7, 100), 70U);
}

static void twctl_test_ev_bucket_wrap(struct kunit *test)
{
	struct twctl_ev_bucket b = { 0 };

	/* jiffies wrap between two takes: 3 jiffies passed, not 2^64 - 3 */
	KUNIT_EXPECT_EQ(test, twctl_drain(&b, ULONG_MAX - 1, 250), TWCTL_EV_BURST);
	KUNIT_EXPECT_EQ(test, twctl_drain(&b, 1, 250), 12U);
}

static struct kunit_case twctl_policy_cases[] = {
	KUNIT_CASE(twctl_test_ms_to_jiffies),
	KUNIT_CASE(twctl_test_ms_to_jiffies_saturates),
	KUNIT_CASE(twctl_test_tw_timeo),
	KUNIT_CASE(twctl_test_parse_u32),
	KUNIT_CASE(twctl_test_parse_uses_len),
	KUNIT_CASE(twctl_test_parse_long_input),
	KUNIT_CASE(twctl_test_parse_ranged),
	KUNIT_CASE(twctl_test_validate),
	KUNIT_CASE(twctl_test_apply),
	KUNIT_CASE(twctl_test_validate_classes),
	KUNIT_CASE(twctl_test_peer_class),
	KUNIT_CASE(twctl_test_class_msl),
	KUNIT_CASE(twctl_test_rto_floor),
	KUNIT_CASE(twctl_test_apply_classes),
	KUNIT_CASE(twctl_test_reuse_names),
	KUNIT_CASE(twctl_test_reuse_decide),
	KUNIT_CASE(twctl_test_reuse_decide_bound),
	KUNIT_CASE(twctl_test_reuse_needs_age),
	KUNIT_CASE(twctl_test_tw_age),
	KUNIT_CASE(twctl_test_age_bias),
	KUNIT_CASE(twctl_test_hist_bucket),
	KUNIT_CASE(twctl_test_close_states),
	KUNIT_CASE(twctl_test_tw_lived),
	KUNIT_CASE(twctl_test_params_default),
	KUNIT_CASE(twctl_test_ev_bucket),
	KUNIT_CASE(twctl_test_ev_bucket_hz),
	KUNIT_CASE(twctl_test_ev_bucket_wrap),
	{}
};

static struct kunit_suite twctl_policy_suite = {
	.name = "twctl_policy",
	.test_cases = twctl_policy_cases,
};

kunit_test_suite(twctl_policy_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of twctl's policy arithmetic and parsing");
