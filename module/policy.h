/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Policy arithmetic and parsing. Pure functions: no kernel internals, no
 * locks, no allocation, so they can be unit tested with KUnit.
 */
#ifndef _TWCTL_POLICY_H
#define _TWCTL_POLICY_H

#include <linux/types.h>

struct twctl_policy {
	u32 msl_ms;
};

/* Which fields of a twctl_policy_patch carry a new value. */
#define TWCTL_P_MSL	0x1u

/* A partial update: the fields flagged in @set replace the current ones. */
struct twctl_policy_patch {
	struct twctl_policy val;
	u32 set;
};

void twctl_policy_init_default(struct twctl_policy *p);
int twctl_policy_validate(const struct twctl_policy *p);
int twctl_policy_apply(const struct twctl_policy *cur,
		       const struct twctl_policy_patch *patch,
		       struct twctl_policy *out);

int twctl_parse_u32(const char *buf, size_t len, u32 *out);
int twctl_parse_ranged(const char *buf, size_t len, u32 min, u32 max, u32 *out);

unsigned long twctl_ms_to_jiffies_hz(u64 ms, unsigned int hz);
unsigned long twctl_tw_timeo_hz(const struct twctl_policy *p, unsigned int hz);

static inline unsigned long twctl_tw_timeo(const struct twctl_policy *p)
{
	return twctl_tw_timeo_hz(p, HZ);
}

#endif /* _TWCTL_POLICY_H */
