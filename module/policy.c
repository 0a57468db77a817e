// SPDX-License-Identifier: GPL-2.0
/*
 * Policy arithmetic and parsing: what decides, apart from what hooks.
 */
#include <linux/errno.h>
#include <linux/jiffies.h>
#include <linux/limits.h>
#include <linux/math64.h>
#include <linux/kernel.h>
#include <linux/stddef.h>
#include <linux/string.h>

#include <uapi/linux/twctl.h>
#include "policy.h"

static const char *const twctl_reuse_names[] = {
	[TWCTL_REUSE_INHERIT] = "inherit",
	[TWCTL_REUSE_OFF] = "off",
	[TWCTL_REUSE_LOOPBACK] = "loopback",
	[TWCTL_REUSE_ALWAYS] = "always",
};

void twctl_policy_init_default(struct twctl_policy *p)
{
	p->msl_ms = TWCTL_MSL_DEFAULT_MS;
	p->reuse = TWCTL_REUSE_INHERIT;
	p->reuse_delay_ms = TWCTL_REUSE_DELAY_DEFAULT_MS;
	memset(p->msl_class_ms, 0, sizeof(p->msl_class_ms));
	p->local_rtt_us = 0;
	p->rto_floor = 0;
}

int twctl_policy_validate(const struct twctl_policy *p)
{
	int c;

	if (p->msl_ms < TWCTL_MSL_MIN_MS || p->msl_ms > TWCTL_MSL_MAX_MS)
		return -ERANGE;
	if (p->reuse > TWCTL_REUSE_ALWAYS)
		return -ERANGE;
	if (p->reuse_delay_ms < TWCTL_REUSE_DELAY_MIN_MS ||
	    p->reuse_delay_ms > TWCTL_REUSE_DELAY_MAX_MS)
		return -ERANGE;
	for (c = 0; c < TWCTL_NCLASSES; c++)
		if (p->msl_class_ms[c] > TWCTL_MSL_MAX_MS)
			return -ERANGE;	/* 0 is "unset", MIN_MS is 1 */
	if (p->local_rtt_us > TWCTL_LOCAL_RTT_MAX_US || p->rto_floor > 1)
		return -ERANGE;
	return 0;
}

/*
 * The policy that results from applying @patch to @cur, in @out, if it is
 * valid as a whole; otherwise an error and @out is undefined.
 */
int twctl_policy_apply(const struct twctl_policy *cur,
		       const struct twctl_policy_patch *patch,
		       struct twctl_policy *out)
{
	*out = *cur;
	if (patch->set & TWCTL_P_MSL)
		out->msl_ms = patch->val.msl_ms;
	if (patch->set & TWCTL_P_REUSE)
		out->reuse = patch->val.reuse;
	if (patch->set & TWCTL_P_REUSE_DELAY)
		out->reuse_delay_ms = patch->val.reuse_delay_ms;
	if (patch->set & TWCTL_P_MSL_LOOPBACK)
		out->msl_class_ms[TWCTL_CLASS_LOOPBACK] =
			patch->val.msl_class_ms[TWCTL_CLASS_LOOPBACK];
	if (patch->set & TWCTL_P_MSL_LOCAL)
		out->msl_class_ms[TWCTL_CLASS_LOCAL] =
			patch->val.msl_class_ms[TWCTL_CLASS_LOCAL];
	if (patch->set & TWCTL_P_MSL_REMOTE)
		out->msl_class_ms[TWCTL_CLASS_REMOTE] =
			patch->val.msl_class_ms[TWCTL_CLASS_REMOTE];
	if (patch->set & TWCTL_P_LOCAL_RTT)
		out->local_rtt_us = patch->val.local_rtt_us;
	if (patch->set & TWCTL_P_RTO_FLOOR)
		out->rto_floor = patch->val.rto_floor;
	return twctl_policy_validate(out);
}

/*
 * Strict decimal parsing for sysfs: digits only, one optional trailing
 * newline, nothing else (no sign, no base prefix, no white space).
 * Returns -EINVAL for malformed input, -ERANGE when it does not fit a u32.
 */
int twctl_parse_u32(const char *buf, size_t len, u32 *out)
{
	u64 v = 0;
	size_t i;

	if (len && buf[len - 1] == '\n')
		len--;
	/*
	 * kernfs hands a store at most one page of a longer write(2), so a
	 * long run of leading zeros could be cut to look like a valid number;
	 * no value a knob takes is written that long.
	 */
	if (!len || len > TWCTL_NUM_MAX_LEN)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (buf[i] < '0' || buf[i] > '9')
			return -EINVAL;
	for (i = 0; i < len; i++) {
		v = v * 10 + (buf[i] - '0');
		if (v > U32_MAX)
			return -ERANGE;
	}
	*out = v;
	return 0;
}

int twctl_parse_ranged(const char *buf, size_t len, u32 min, u32 max, u32 *out)
{
	u32 v;
	int err;

	err = twctl_parse_u32(buf, len, &v);
	if (err)
		return err;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

const char *twctl_reuse_name(u32 mode)
{
	return mode < ARRAY_SIZE(twctl_reuse_names) ? twctl_reuse_names[mode] :
						      "?";
}

/* A reuse mode by name, with one optional trailing newline (sysfs). */
int twctl_parse_reuse(const char *buf, size_t len, u32 *out)
{
	u32 i;

	if (len && buf[len - 1] == '\n')
		len--;
	for (i = 0; i < ARRAY_SIZE(twctl_reuse_names); i++) {
		if (strlen(twctl_reuse_names[i]) == len &&
		    !memcmp(buf, twctl_reuse_names[i], len)) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

#define TWCTL_KNOB(_name, _field, _flag, _min, _max, _named) {		\
	.name = #_name, .off = offsetof(struct twctl_policy, _field),	\
	.flag = (_flag), .min = (_min), .max = (_max), .named = (_named) }

const struct twctl_knob twctl_knobs[TWCTL_NKNOBS] = {
	TWCTL_KNOB(msl_ms, msl_ms, TWCTL_P_MSL,
		   TWCTL_MSL_MIN_MS, TWCTL_MSL_MAX_MS, false),
	TWCTL_KNOB(reuse, reuse, TWCTL_P_REUSE, 0, 0, true),
	TWCTL_KNOB(reuse_delay_ms, reuse_delay_ms, TWCTL_P_REUSE_DELAY,
		   TWCTL_REUSE_DELAY_MIN_MS, TWCTL_REUSE_DELAY_MAX_MS, false),
	/* per peer class: 0 is "unset" (msl_ms applies) */
	TWCTL_KNOB(msl_loopback_ms, msl_class_ms[TWCTL_CLASS_LOOPBACK],
		   TWCTL_P_MSL_LOOPBACK, 0, TWCTL_MSL_MAX_MS, false),
	TWCTL_KNOB(msl_local_ms, msl_class_ms[TWCTL_CLASS_LOCAL],
		   TWCTL_P_MSL_LOCAL, 0, TWCTL_MSL_MAX_MS, false),
	TWCTL_KNOB(msl_remote_ms, msl_class_ms[TWCTL_CLASS_REMOTE],
		   TWCTL_P_MSL_REMOTE, 0, TWCTL_MSL_MAX_MS, false),
	TWCTL_KNOB(local_rtt_us, local_rtt_us, TWCTL_P_LOCAL_RTT,
		   0, TWCTL_LOCAL_RTT_MAX_US, false),
	TWCTL_KNOB(rto_floor, rto_floor, TWCTL_P_RTO_FLOOR, 0, 1, false),
};

/*
 * A knob's text as written to its file (one optional trailing newline) into
 * @patch, which then sets that knob only. -EINVAL or -ERANGE as
 * twctl_parse_ranged() and twctl_parse_reuse(); @patch is then untouched.
 */
int twctl_knob_parse(const struct twctl_knob *k, const char *buf, size_t len,
		     struct twctl_policy_patch *patch)
{
	u32 v;
	int err;

	if (k->named)
		err = twctl_parse_reuse(buf, len, &v);
	else
		err = twctl_parse_ranged(buf, len, k->min, k->max, &v);
	if (err)
		return err;
	*(u32 *)((char *)&patch->val + k->off) = v;
	patch->set = k->flag;
	return 0;
}

/* A knob's value as shown, with a newline; returns its length. */
int twctl_knob_format(const struct twctl_knob *k, const struct twctl_policy *p,
		      char *buf, size_t size)
{
	u32 v = *(const u32 *)((const char *)p + k->off);

	if (k->named)
		return scnprintf(buf, size, "%s\n", twctl_reuse_name(v));
	return scnprintf(buf, size, "%u\n", v);
}

/*
 * Milliseconds to timer ticks at @hz, rounded up: never shorter than asked.
 * Saturates at MAX_JIFFY_OFFSET instead of overflowing.
 */
unsigned long twctl_ms_to_jiffies_hz(u64 ms, unsigned int hz)
{
	u64 j;

	if (hz && ms > div_u64(U64_MAX - 999, hz))
		return MAX_JIFFY_OFFSET;
	j = div_u64(ms * hz + 999, 1000);
	return min_t(u64, j, MAX_JIFFY_OFFSET);
}

/* TIME_WAIT length in ticks: 2 x MSL. */
unsigned long twctl_tw_timeo_hz(const struct twctl_policy *p, unsigned int hz)
{
	return twctl_ms_to_jiffies_hz(2ULL * p->msl_ms, hz);
}

/*
 * The class of a closing connection's peer: @loopback as the kernel's
 * tcp_tw_reuse=2 test decides it, @srtt_us its smoothed RTT (0: never
 * measured, which counts as remote: the longer wait is the safe side).
 */
enum twctl_peer_class twctl_peer_class(bool loopback, u32 srtt_us,
				       u32 local_rtt_us)
{
	if (loopback)
		return TWCTL_CLASS_LOOPBACK;
	if (srtt_us && srtt_us < local_rtt_us)
		return TWCTL_CLASS_LOCAL;
	return TWCTL_CLASS_REMOTE;
}

/* A class's MSL: its own when set, else msl_ms. */
u32 twctl_class_msl_ms(const struct twctl_policy *p, enum twctl_peer_class c)
{
	return p->msl_class_ms[c] ? p->msl_class_ms[c] : p->msl_ms;
}

/* A class's TIME_WAIT length in ticks: 2 x its MSL. */
unsigned long twctl_class_timeo_hz(const struct twctl_policy *p,
				   enum twctl_peer_class c, unsigned int hz)
{
	return twctl_ms_to_jiffies_hz(2ULL * twctl_class_msl_ms(p, c), hz);
}

/*
 * Whether a connection's class or TIME_WAIT length can depend on more than
 * its addresses (its RTT or RTO at close), which a timewait socket does not
 * keep: then both are recorded at close (see hooks.c).
 */
bool twctl_policy_needs_records(const struct twctl_policy *p)
{
	return p->rto_floor || p->local_rtt_us;
}

/* The RTO floor, in ticks, for an RTO of @rto ticks: 3.5 x RTO. */
unsigned long twctl_rto_floor(unsigned long rto)
{
	if (rto > ULONG_MAX / TWCTL_RTO_FLOOR_X2)
		return ULONG_MAX;
	return DIV_ROUND_UP(rto * TWCTL_RTO_FLOOR_X2, 2);
}

/*
 * TIME_WAIT length of a connection: its class's length, raised to the RTO
 * floor when that is on (*@floored tells whether it was), never beyond
 * INT_MAX.
 */
unsigned long twctl_tw_len(unsigned long class_len, bool rto_floor,
			   unsigned long rto, bool *floored)
{
	unsigned long floor = rto_floor ? twctl_rto_floor(rto) : 0;

	*floored = floor > class_len;
	/* armed through an int argument (timeo) */
	return min_t(unsigned long, max(class_len, floor), INT_MAX);
}

void twctl_age_bias_update(struct twctl_age_bias *b, unsigned long old_len,
			   unsigned long new_len, unsigned long now)
{
	bool active = time_before(now, b->until);

	if (new_len <= old_len)
		return;
	b->bias = max(new_len - old_len, active ? b->bias : 0UL);
	b->until = active && time_after(b->until, now + old_len) ?
		   b->until : now + old_len;
}

/*
 * The age, in whole jiffies, of a TIME_WAIT socket whose timer expires at
 * @expires, (re)armed with the length @len now in force. The kernel keeps no
 * entry time, so the age is read off the timer; it counts from the socket's
 * entry into TIME_WAIT or its last restart by a retransmitted FIN. Every
 * error is on the young side, which only delays reuse: the tick the socket
 * was armed in is not counted (it may have been nearly over), a timer
 * further away than @len (armed under a longer, earlier length) gives 0, and
 * while sockets armed under a shorter earlier length may live, @b's bias is
 * taken off.
 */
unsigned long twctl_tw_age(unsigned long expires, unsigned long now,
			   unsigned long len, const struct twctl_age_bias *b)
{
	long left = (long)(expires - now);
	unsigned long age;

	if (left >= 0 && (unsigned long)left >= len)
		return 0;
	age = len - left - 1;
	if (b && time_before(now, b->until))
		age = age > b->bias ? age - b->bias : 0;
	return age;
}

/*
 * How long a timewait socket armed with @len and expiring at @expires has
 * lived at @now, since its last (re)arming: for the lifetime histogram, so
 * no rounding towards either side. Timer lateness counts.
 */
unsigned long twctl_tw_lived(unsigned long expires, unsigned long now,
			     unsigned long len)
{
	long left = (long)(expires - now);

	if (left >= 0 && (unsigned long)left >= len)
		return 0;
	return len - left;
}

/*
 * Takes one event from the bucket at jiffies @now, or says there is none.
 * A second refills a whole bucket (TWCTL_EV_BURST <= TWCTL_EV_PER_SEC), so
 * a longer gap, a jiffies wrap included, needs no arithmetic that could
 * overflow: the products stay under TWCTL_EV_PER_SEC * hz.
 */
bool twctl_ev_bucket_take(struct twctl_ev_bucket *b, unsigned long now,
			  unsigned int hz)
{
	unsigned long elapsed = now - b->last;
	u32 refill;

	BUILD_BUG_ON(TWCTL_EV_BURST > TWCTL_EV_PER_SEC);
	b->last = now;
	refill = elapsed >= hz ? TWCTL_EV_PER_SEC * hz :
				 (u32)elapsed * TWCTL_EV_PER_SEC;
	b->spent -= min(b->spent, refill);
	if (b->spent + hz > TWCTL_EV_BURST * hz)
		return false;
	b->spent += hz;
	return true;
}

/*
 * May a new outgoing connection take over a TIME_WAIT socket's 4-tuple?
 * Only for an explicit mode (INHERIT is the kernel's business), never from
 * FIN_WAIT2, never without timestamps, and not before reuse_delay_ms.
 *
 * A connect() from a port the socket bound itself is the exception: the
 * kernel grants it whenever the old connection used timestamps, whatever
 * tcp_tw_reuse says, and so do LOOPBACK and ALWAYS; OFF refuses it.
 */
enum twctl_reuse_verdict twctl_reuse_decide(const struct twctl_policy *p,
					    const struct twctl_reuse_query *q)
{
	bool allowed = p->reuse == TWCTL_REUSE_ALWAYS ||
		       (p->reuse == TWCTL_REUSE_LOOPBACK && q->loopback);

	if (q->bound && (p->reuse == TWCTL_REUSE_ALWAYS ||
			 p->reuse == TWCTL_REUSE_LOOPBACK))
		return q->has_ts ? TWCTL_REUSE_GRANT : TWCTL_REUSE_DENY_NO_TS;
	if (q->fin_wait2 || !allowed)
		return TWCTL_REUSE_DENY_POLICY;
	if (!q->has_ts)
		return TWCTL_REUSE_DENY_NO_TS;
	if (q->age_ms < p->reuse_delay_ms)
		return TWCTL_REUSE_DENY_POLICY;
	return TWCTL_REUSE_GRANT;
}

/*
 * Whether twctl_reuse_decide() reads @q's age. Computing the age means
 * finding the socket's length, and a busy port search asks again for every
 * young socket it passes over, so the hook asks this first and leaves the
 * age at 0 when it would not be read. Same order of tests as above.
 */
bool twctl_reuse_needs_age(const struct twctl_policy *p,
			   const struct twctl_reuse_query *q)
{
	if (p->reuse != TWCTL_REUSE_ALWAYS && p->reuse != TWCTL_REUSE_LOOPBACK)
		return false;
	if (q->bound || q->fin_wait2 || !q->has_ts)
		return false;
	return p->reuse == TWCTL_REUSE_ALWAYS || q->loopback;
}
