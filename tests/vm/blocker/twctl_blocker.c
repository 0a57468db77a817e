// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper: holds an IP-modifying ftrace hook on tcp_twsk_unique(), as
 * a livepatch would, so that twctl's own (IP-modifying) probe there cannot
 * be armed and twctl must refuse to load, cleanly.
 */
#include <linux/ftrace.h>
#include <linux/module.h>
#include <linux/string.h>

static void twctl_blocker_func(unsigned long ip, unsigned long parent_ip,
			       struct ftrace_ops *op, struct ftrace_regs *fregs)
{
}

static struct ftrace_ops twctl_blocker_ops = {
	.func = twctl_blocker_func,
	.flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY,
};

static int __init twctl_blocker_init(void)
{
	static char sym[] = "tcp_twsk_unique";
	int err;

	err = ftrace_set_filter(&twctl_blocker_ops, sym, strlen(sym), 0);
	if (err)
		return err;
	err = register_ftrace_function(&twctl_blocker_ops);
	if (err)
		ftrace_free_filter(&twctl_blocker_ops);
	return err;
}

static void __exit twctl_blocker_exit(void)
{
	unregister_ftrace_function(&twctl_blocker_ops);
	ftrace_free_filter(&twctl_blocker_ops);	/* the filter hash */
}

module_init(twctl_blocker_init);
module_exit(twctl_blocker_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("twctl test helper: occupies tcp_twsk_unique()");
