// SPDX-License-Identifier: GPL-2.0
/*
 * Policy arithmetic and parsing: what decides, apart from what hooks.
 */
#include <linux/errno.h>
#include <linux/jiffies.h>
#include <linux/limits.h>
#include <linux/math64.h>
#include <linux/kernel.h>

#include <uapi/linux/twctl.h>
#include "policy.h"

void twctl_policy_init_default(struct twctl_policy *p)
{
	p->msl_ms = TWCTL_MSL_DEFAULT_MS;
}

int twctl_policy_validate(const struct twctl_policy *p)
{
	if (p->msl_ms < TWCTL_MSL_MIN_MS || p->msl_ms > TWCTL_MSL_MAX_MS)
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
	if (!len)
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
