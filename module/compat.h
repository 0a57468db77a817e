/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels twctl supports, in one place (as
 * WireGuard's compat layer keeps them), so that the rest of the module reads
 * the same on every kernel. Each entry says what differs and where it was
 * checked; the load-time self-test (selftest.c) proves on the running
 * kernel that the hooks chosen here see what they must.
 *
 * Feature tests come from Kbuild (TWCTL_HAVE_*, read off the kernel's own
 * headers) rather than from version numbers where a stable or vendor kernel
 * may carry the change earlier.
 */
#ifndef _TWCTL_COMPAT_H
#define _TWCTL_COMPAT_H

#include <linux/ftrace.h>
#include <linux/ptrace.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>
#include <net/inet_timewait_sock.h>

/*
 * The first arming of a timewait socket.
 *
 * Up to 6.10, tcp_time_wait() arms it itself with
 * __inet_twsk_schedule(tw, timeo, false) (through an inline in
 * inet_timewait_sock.h), so the exported function's entry sees it.
 *
 * From the tw_timer un-pinning (mainline 6.11; Debian 12's 6.12 and 13's
 * 6.12, sid's 7.x) tcp_time_wait() calls
 * inet_twsk_hashdance_schedule(tw, sk, hashinfo, timeo), which arms the
 * timer inside net/ipv4/inet_timewait_sock.c. There the compiler may call a
 * clone of __inet_twsk_schedule() instead of its entry (sid's 7.2 kernel
 * has __inet_twsk_schedule.part.0), so the first arming is hooked at
 * inet_twsk_hashdance_schedule()'s entry, which also has both sockets.
 * __inet_twsk_schedule() then only matters for re-armings (rearm true),
 * which come from tcp_minisocks.c through its exported entry.
 */
#ifdef TWCTL_HAVE_HASHDANCE_SCHEDULE
#define TWCTL_FIRST_ARM_HOOKED	1
#define TWCTL_FIRST_ARM_FUNC	"inet_twsk_hashdance_schedule"

/* inet_twsk_hashdance_schedule(tw, sk, hashinfo, timeo): x86_64 registers */
static inline struct inet_timewait_sock *twctl_first_arm_tw(struct pt_regs *regs)
{
	return (struct inet_timewait_sock *)regs->di;
}

static inline const struct sock *twctl_first_arm_sk(struct pt_regs *regs)
{
	return (const struct sock *)regs->si;
}

static inline unsigned long *twctl_first_arm_timeo(struct pt_regs *regs)
{
	return &regs->cx;
}
#else
#define TWCTL_FIRST_ARM_HOOKED	0
#define TWCTL_FIRST_ARM_FUNC	NULL

static inline struct inet_timewait_sock *twctl_first_arm_tw(struct pt_regs *regs)
{
	return NULL;
}

static inline const struct sock *twctl_first_arm_sk(struct pt_regs *regs)
{
	return NULL;
}

static inline unsigned long *twctl_first_arm_timeo(struct pt_regs *regs)
{
	return NULL;
}
#endif

#define TWCTL_SCHEDULE_FUNC	"__inet_twsk_schedule"

/*
 * The hooked functions' arguments. With CONFIG_DYNAMIC_FTRACE_WITH_ARGS
 * (every Debian x86_64 kernel from 6.1 on), ftrace's plain caller saves the
 * argument registers, the stack pointer and the address to resume at into
 * the ftrace_regs it hands the callback; when the callback returns, it
 * reloads the argument registers from there and resumes at the address
 * found there. So a hook may rewrite an argument, or redirect the call as
 * livepatch does, without FTRACE_OPS_FL_SAVE_REGS and its save of the
 * whole pt_regs. On x86_64 ftrace_regs wraps a struct pt_regs of which
 * only those fields are filled; since 6.13 (Debian's 6.12 carries the
 * change: Kbuild looks for linux/ftrace_regs.h) only arch_ftrace_regs()
 * reaches it. The hooks read nothing else (hooks.c), and the self-test
 * proves at load that a rewritten length takes effect. Without
 * CONFIG_DYNAMIC_FTRACE_WITH_ARGS, ftrace has to save all.
 */
#ifdef CONFIG_DYNAMIC_FTRACE_WITH_ARGS
#define TWCTL_FTRACE_FL_REGS	0

static __always_inline struct pt_regs *twctl_hook_regs(struct ftrace_regs *fregs)
{
#ifdef TWCTL_HAVE_ARCH_FTRACE_REGS
	return &arch_ftrace_regs(fregs)->regs;
#else
	return &fregs->regs;
#endif
}
#else
#define TWCTL_FTRACE_FL_REGS	FTRACE_OPS_FL_SAVE_REGS

static __always_inline struct pt_regs *twctl_hook_regs(struct ftrace_regs *fregs)
{
	return ftrace_get_regs(fregs);
}
#endif

/*
 * Where a timewait socket is freed, once, whatever ended it: in
 * inet_twsk_free(), when its last reference goes. Up to Debian 13's 6.12,
 * inet_twsk_free() calls tcp_twsk_destructor() through
 * tw->tw_prot->twsk_prot->twsk_destructor (so it cannot be inlined); sid's
 * 7.x calls it directly, from another file (net/ipv4/tcp_minisocks.c: not
 * inlined either without LTO). The self-test proves the hook sees it.
 */
#define TWCTL_FREE_FUNC		"tcp_twsk_destructor"

/*
 * The rhashtable bucket lock (twrec.c). Debian 12's 6.12 and later take it
 * with interrupts saved (rht_lock() returns the flags; Kbuild looks for
 * that), so the table may be written with interrupts off. 6.1 only turns
 * BH off: writing the table with interrupts off would end in a
 * local_bh_enable() that can run softirqs with interrupts on.
 */
#ifdef TWCTL_HAVE_RHT_LOCK_IRQSAVE
#define TWCTL_RHT_IRQSAFE	1
#else
#define TWCTL_RHT_IRQSAFE	0
#endif

/*
 * The address argument of kernel_bind() and kernel_connect(): struct
 * sockaddr up to 6.18, struct sockaddr_unsized since (Kbuild finds it in
 * linux/net.h).
 */
#ifdef TWCTL_HAVE_SOCKADDR_UNSIZED
#define twctl_sockaddr(a)	((struct sockaddr_unsized *)(a))
#else
#define twctl_sockaddr(a)	((struct sockaddr *)(a))
#endif

/*
 * net sysctls (sysctl.c). A proc_handler has parsed from a kernel buffer
 * (void *buffer) since 5.8, so on every kernel twctl supports; it takes a
 * const struct ctl_table since 6.11 (Debian 12's and 13's 6.12, sid's 7.x;
 * Kbuild reads the typedef in linux/sysctl.h). Tables are registered with
 * their size since 6.6 (register_net_sysctl_sz(); register_net_sysctl() is
 * then a macro taking ARRAY_SIZE() of an array) and ended by an empty entry
 * before (6.1); sysctl.c's tables have both.
 */
#ifdef TWCTL_HAVE_CONST_CTL_TABLE
#define TWCTL_CTL_TABLE		const struct ctl_table
#else
#define TWCTL_CTL_TABLE		struct ctl_table
#endif

static inline struct ctl_table_header *
twctl_register_net_sysctl(struct net *net, const char *path,
			  struct ctl_table *table, size_t n)
{
#ifdef TWCTL_HAVE_REGISTER_NET_SYSCTL_SZ
	return register_net_sysctl_sz(net, path, table, n);
#else
	return register_net_sysctl(net, path, table);	/* up to the empty entry */
#endif
}

/*
 * A generic netlink family is told when a socket joins one of its multicast
 * groups (struct genl_family's bind: not in 6.1; in Debian 12's and 13's 6.12,
 * sid's 7.x; Kbuild reads include/net/genetlink.h), before the membership
 * takes effect. netlink.c then keeps whether anyone listens per CPU for a
 * jiffy; without it (6.1) every event asks netlink_has_listeners().
 */
#ifdef TWCTL_HAVE_GENL_BIND
#define TWCTL_GENL_BIND		1
#else
#define TWCTL_GENL_BIND		0
#endif

/*
 * Test builds only (make TWCTL_TEST_MISHOOK=<function>): point the hook
 * that sees first armings at another function, to prove that the
 * self-test then refuses the load.
 */
#ifdef TWCTL_TEST_MISHOOK
#if TWCTL_FIRST_ARM_HOOKED
#undef TWCTL_FIRST_ARM_FUNC
#define TWCTL_FIRST_ARM_FUNC	TWCTL_TEST_MISHOOK
#else
#undef TWCTL_SCHEDULE_FUNC
#define TWCTL_SCHEDULE_FUNC	TWCTL_TEST_MISHOOK
#endif
#endif

/*
 * Benchmark builds only (make TWCTL_TEST_TRACEPOINT_ONLY=1): no function
 * hook and no self-test, only the tracepoint probe, to measure what the
 * probe alone costs (bench/guest.py's tracepoint_only). The hooks are
 * FTRACE_OPS_FL_PERMANENT, so they cannot be switched off at run time.
 */
#ifdef TWCTL_TEST_TRACEPOINT_ONLY
#undef TWCTL_TEST_TRACEPOINT_ONLY
#define TWCTL_TEST_TRACEPOINT_ONLY	1
#else
#define TWCTL_TEST_TRACEPOINT_ONLY	0
#endif

#endif /* _TWCTL_COMPAT_H */
