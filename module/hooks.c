// SPDX-License-Identifier: GPL-2.0
/*
 * The only file that touches kernel internals: where twctl hooks into the
 * TCP TIME_WAIT code. Everything it relies on is checked when it is set up,
 * and the module refuses to load with one clear line when a check fails.
 *
 * TIME_WAIT length: every TIME_WAIT timer, the first arming from
 * tcp_time_wait() and the re-arming by tcp_timewait_state_process() when a
 * retransmitted FIN (or another segment) restarts the 2MSL wait, goes
 * through the exported __inet_twsk_schedule(tw, timeo, rearm), always with
 * timeo == TCP_TIMEWAIT_LEN for the TIME_WAIT substate. A kprobe pre-handler
 * rewrites timeo (the second argument) with the namespace's 2 x MSL.
 * FIN_WAIT2 timewait sockets keep the kernel's tcp_fin_timeout logic.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kprobes.h>
#include <linux/net.h>
#include <linux/ptrace.h>
#include <net/inet_timewait_sock.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/tcp_states.h>

#include "hooks.h"
#include "netns.h"

#ifndef CONFIG_X86_64
#error "twctl rewrites probed arguments in x86_64 registers only"
#endif

/* struct proto of TCP over IPv4 and IPv6; tw->tw_prot is one of these. */
static const struct proto *twctl_tcp_prot[2] __read_mostly;

static bool twctl_is_tcp(const struct inet_timewait_sock *tw)
{
	return tw->tw_prot == twctl_tcp_prot[0] ||
	       (twctl_tcp_prot[1] && tw->tw_prot == twctl_tcp_prot[1]);
}

/* __inet_twsk_schedule(struct inet_timewait_sock *tw, int timeo, bool rearm) */
static int twctl_tw_schedule_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct inet_timewait_sock *tw = (void *)regs->di;
	const struct twctl_snap *s;

	if ((int)regs->si != TCP_TIMEWAIT_LEN ||
	    READ_ONCE(tw->tw_substate) != TCP_TIME_WAIT || !twctl_is_tcp(tw))
		return 0;

	rcu_read_lock();
	s = twctl_snap_rcu(twsk_net(tw));
	if (s && s->tw_timeo != TCP_TIMEWAIT_LEN)
		regs->si = s->tw_timeo;
	rcu_read_unlock();
	return 0;
}

static struct kprobe twctl_tw_schedule_kp = {
	.symbol_name = "__inet_twsk_schedule",
	.pre_handler = twctl_tw_schedule_pre,
};

/*
 * tcp_prot is exported; tcpv6_prot is not, so read it from a kernel socket.
 * A socket of either family keeps sk_prot_creator, which inet_twsk_alloc()
 * copies to tw_prot, even after an IPv6 socket turns v4-mapped.
 */
static int twctl_find_tcp_protos(void)
{
	struct socket *sock;
	int err;

	twctl_tcp_prot[0] = &tcp_prot;
	err = sock_create_kern(&init_net, PF_INET6, SOCK_STREAM, IPPROTO_TCP,
			       &sock);
	if (err == -EAFNOSUPPORT) {
		pr_info("IPv6 not available, TIME_WAIT control for IPv4 only\n");
		return 0;
	}
	if (err) {
		pr_err("cannot create an IPv6 TCP socket to find tcpv6_prot: %d\n",
		       err);
		return err;
	}
	twctl_tcp_prot[1] = sock->sk->sk_prot_creator;
	sock_release(sock);
	return 0;
}

int twctl_hooks_init(void)
{
	int err;

	err = twctl_find_tcp_protos();
	if (err)
		return err;

	err = register_kprobe(&twctl_tw_schedule_kp);
	if (err) {
		pr_err("cannot probe %s (%d): this kernel lacks the TIME_WAIT scheduling function twctl needs\n",
		       twctl_tw_schedule_kp.symbol_name, err);
		return err;
	}
	return 0;
}

void twctl_hooks_exit(void)
{
	/* Waits until no CPU is inside the handler any more. */
	unregister_kprobe(&twctl_tw_schedule_kp);
}
