// SPDX-License-Identifier: GPL-2.0
/*
 * Module parameters: the policy every network namespace starts with (those
 * that exist when the module loads, and every new one), e.g. from
 * /etc/modprobe.d/twctl.conf:
 *
 *   options twctl default_msl_ms=5000 default_reuse=loopback
 *
 * Values are checked like the sysfs and netlink ones; a bad value makes the
 * load fail. Without parameters every namespace keeps the kernel's
 * behaviour.
 */
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include <uapi/linux/twctl.h>
#include "params.h"

static u32 default_msl_ms = TWCTL_MSL_DEFAULT_MS;
static u32 default_reuse = TWCTL_REUSE_INHERIT;
static u32 default_reuse_delay_ms = TWCTL_REUSE_DELAY_DEFAULT_MS;

static int twctl_param_set_u32(const char *val, u32 *v, u32 min, u32 max)
{
	return twctl_parse_ranged(val, strlen(val), min, max, v);
}

static int msl_set(const char *val, const struct kernel_param *kp)
{
	return twctl_param_set_u32(val, kp->arg, TWCTL_MSL_MIN_MS,
				   TWCTL_MSL_MAX_MS);
}

static int delay_set(const char *val, const struct kernel_param *kp)
{
	return twctl_param_set_u32(val, kp->arg, TWCTL_REUSE_DELAY_MIN_MS,
				   TWCTL_REUSE_DELAY_MAX_MS);
}

static int reuse_set(const char *val, const struct kernel_param *kp)
{
	return twctl_parse_reuse(val, strlen(val), kp->arg);
}

static int reuse_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", twctl_reuse_name(*(u32 *)kp->arg));
}

static const struct kernel_param_ops msl_ops = {
	.set = msl_set,
	.get = param_get_uint,
};

static const struct kernel_param_ops delay_ops = {
	.set = delay_set,
	.get = param_get_uint,
};

static const struct kernel_param_ops reuse_ops = {
	.set = reuse_set,
	.get = reuse_get,
};

module_param_cb(default_msl_ms, &msl_ops, &default_msl_ms, 0444);
MODULE_PARM_DESC(default_msl_ms,
		 "MSL in ms every namespace starts with (1..600000, default 30000: the kernel's)");
module_param_cb(default_reuse, &reuse_ops, &default_reuse, 0444);
MODULE_PARM_DESC(default_reuse,
		 "TIME_WAIT reuse mode every namespace starts with: inherit (default), off, loopback, always");
module_param_cb(default_reuse_delay_ms, &delay_ops, &default_reuse_delay_ms,
		0444);
MODULE_PARM_DESC(default_reuse_delay_ms,
		 "minimum TIME_WAIT age in ms before reuse (1..600000, default 1000)");

/*
 * Every field from the stock defaults first, then the three the parameters
 * set: @p is often an uninitialised stack variable.
 */
void twctl_params_default(struct twctl_policy *p)
{
	twctl_policy_init_default(p);
	p->msl_ms = default_msl_ms;
	p->reuse = default_reuse;
	p->reuse_delay_ms = default_reuse_delay_ms;
}
