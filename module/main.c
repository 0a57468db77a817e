// SPDX-License-Identifier: GPL-2.0
/*
 * twctl: administrator control of TCP TIME_WAIT, per network namespace.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>

#include "hooks.h"
#include "netlink.h"
#include "netns.h"
#include "selftest.h"
#include "sysctl.h"
#include "sysfs.h"
#include "twrec.h"
#include "version.h"

/*
 * The hooks come last and go first: they feed the counters and the netlink
 * events, so everything they use exists while they run.
 */
static int __init twctl_init(void)
{
	int err;

	err = twctl_netns_init();
	if (err)
		return err;
	err = twctl_sysctl_init();
	if (err)
		goto err_netns;
	err = twctl_sysfs_init();
	if (err)
		goto err_sysctl;
	err = twctl_genl_init();
	if (err)
		goto err_sysfs;
	err = twctl_twrec_init();
	if (err)
		goto err_genl;
	err = twctl_hooks_init();
	if (err)
		goto err_twrec;
	err = twctl_selftest();
	if (err)
		goto err_hooks;

	pr_info("version %s loaded\n", TWCTL_VERSION);
	return 0;

err_hooks:
	twctl_hooks_exit();
err_twrec:
	twctl_twrec_exit();
err_genl:
	twctl_genl_exit();
err_sysfs:
	twctl_sysfs_exit();
err_sysctl:
	twctl_sysctl_exit();
err_netns:
	twctl_netns_exit();
	return err;
}

static void __exit twctl_exit(void)
{
	twctl_hooks_exit();
	twctl_twrec_exit();
	twctl_genl_exit();
	twctl_sysfs_exit();
	twctl_sysctl_exit();
	twctl_netns_exit();
}

module_init(twctl_init);
module_exit(twctl_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Administrator control of TCP TIME_WAIT per network namespace");
MODULE_AUTHOR("twctl developers");
MODULE_VERSION(TWCTL_VERSION);
