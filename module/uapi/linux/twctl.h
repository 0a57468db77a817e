/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * twctl: administrator control of TCP TIME_WAIT, per network namespace.
 *
 * This header is the single contract between the twctl kernel module and
 * user space (the twctl tool, the YNL spec in tools/ynl/twctl.yaml,
 * scripts). The generic netlink family acts on the network namespace of the
 * requesting socket; sysfs (/sys/kernel/twctl/) on the namespace of the
 * process opening the file. Both are views of one state.
 */
#ifndef _UAPI_LINUX_TWCTL_H
#define _UAPI_LINUX_TWCTL_H

#define TWCTL_GENL_NAME		"twctl"
/*
 * Family version. Bumped when a command or attribute changes meaning (never
 * for additions: new attributes are appended and old ones keep their number,
 * so a newer tool can detect an older module by the attributes it lacks).
 */
#define TWCTL_GENL_VERSION	1
#define TWCTL_MCGRP_EVENTS	"events"

/*
 * Maximum segment lifetime, in milliseconds. TIME_WAIT lasts 2 x MSL.
 * The kernel's own TIME_WAIT is TCP_TIMEWAIT_LEN = 60 s, i.e. an MSL of 30 s;
 * that is the default of every namespace, so loading the module changes
 * nothing until an administrator sets a value.
 */
#define TWCTL_MSL_MIN_MS	1
#define TWCTL_MSL_MAX_MS	600000
#define TWCTL_MSL_DEFAULT_MS	30000

enum twctl_cmd {
	TWCTL_CMD_UNSPEC,
	/* do; reply: TWCTL_A_VERSION, TWCTL_A_MODULE_VERSION, TWCTL_A_POLICY */
	TWCTL_CMD_GET_POLICY,
	/*
	 * do; request: TWCTL_A_POLICY with any subset of its attributes.
	 * Atomic: every attribute applies, or none does (and extack says
	 * why). Needs CAP_NET_ADMIN over the netns's owning user namespace.
	 */
	TWCTL_CMD_SET_POLICY,
	/* do; reply: TWCTL_A_VERSION, TWCTL_A_STATS */
	TWCTL_CMD_GET_STATS,
	/* do; zeroes the namespace's counters. Needs CAP_NET_ADMIN. */
	TWCTL_CMD_RESET_STATS,

	__TWCTL_CMD_MAX,
	TWCTL_CMD_MAX = __TWCTL_CMD_MAX - 1
};

enum twctl_attr {
	TWCTL_A_UNSPEC,
	TWCTL_A_VERSION,		/* u32: TWCTL_GENL_VERSION of the module */
	TWCTL_A_MODULE_VERSION,		/* string: the module's release */
	TWCTL_A_POLICY,			/* nest: enum twctl_policy_attr */
	TWCTL_A_STATS,			/* nest: enum twctl_stats_attr */

	__TWCTL_A_MAX,
	TWCTL_A_MAX = __TWCTL_A_MAX - 1
};

/*
 * Policy knobs, all u32 unless noted. Planned knobs are appended here as
 * they land (reuse mode and delay; per-peer-class MSL, local RTT threshold,
 * RTO floor), so numbers never move.
 */
enum twctl_policy_attr {
	TWCTL_A_POLICY_UNSPEC,
	TWCTL_A_POLICY_MSL_MS,		/* TWCTL_MSL_MIN_MS..TWCTL_MSL_MAX_MS */

	__TWCTL_A_POLICY_MAX,
	TWCTL_A_POLICY_MAX = __TWCTL_A_POLICY_MAX - 1
};

/* Counters, all u64; filled in as instrumentation lands. */
enum twctl_stats_attr {
	TWCTL_A_STATS_UNSPEC,
	TWCTL_A_STATS_PAD,

	__TWCTL_A_STATS_MAX,
	TWCTL_A_STATS_MAX = __TWCTL_A_STATS_MAX - 1
};

#endif /* _UAPI_LINUX_TWCTL_H */
