// SPDX-License-Identifier: GPL-2.0
/*
 * The only file that touches kernel internals: where twctl hooks into the
 * TCP TIME_WAIT code. Everything it relies on is checked when it is set up,
 * and the module refuses to load with one clear line when a check fails.
 *
 * TIME_WAIT length: a timewait socket's timer is first armed by
 * tcp_time_wait() and re-armed by tcp_timewait_state_process() when a
 * retransmitted FIN (or another segment) restarts the 2MSL wait, always
 * with timeo == TCP_TIMEWAIT_LEN for the TIME_WAIT substate. Hooks at the
 * entries of the functions that arm it (compat.h: where the first arming
 * can be seen depends on the kernel) rewrite timeo with the namespace's
 * 2 x MSL. FIN_WAIT2 timewait sockets keep the kernel's tcp_fin_timeout
 * logic. The self-test (selftest.c) proves at load that they see every
 * arming on the running kernel.
 *
 * TIME_WAIT reuse: a connect() that meets a TIME_WAIT socket on its 4-tuple
 * asks tcp_twsk_unique(sk, sktw, twp) whether it may take it
 * over (directly on 6.12, through twsk_prot->twsk_unique on 6.1, for IPv4
 * and IPv6 alike). When the namespace has an explicit reuse mode, the hook
 * at its entry decides, and redirects the call, as livepatch does, to a
 * stand-in that grants or refuses: same arguments, same caller, same locks
 * held. For "inherit" the kernel's own function runs untouched.
 *
 * MSL by peer class: the class (loopback, local by RTT, remote) and the RTO
 * floor are decided from the full socket tcp_time_wait() hands over when
 * its timewait socket is first armed (its values, read while the kernel
 * holds it: no pointer to it is kept). When the length can depend on more
 * than the addresses, it is kept in a length record (twrec.c) that every
 * arming of that timewait socket then uses, until tcp_twsk_destructor()
 * frees it (compat.h); otherwise the class is read again off the timewait
 * socket's addresses.
 *
 * Hooks: function entries are hooked with ftrace_ops (what
 * kprobes on function entries use underneath, and livepatch for a
 * redirect), not kprobes. The kprobes layer lets one probe handler run per
 * CPU: a softirq taken while a handler runs in process context would find
 * it busy and its events would be skipped, losing counts. ftrace's recursion
 * guard is per context (task, softirq, hardirq, NMI), so a softirq always
 * runs its hooks. Only the return of tcp_timewait_state_process(), which
 * runs in softirq alone, uses a kretprobe.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ipv6.h>
#include <linux/ftrace.h>
#include <linux/jiffies.h>
#include <linux/kprobes.h>
#include <linux/net.h>
#include <linux/ptrace.h>
#include <linux/slab.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <net/inet_timewait_sock.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <net/tcp_states.h>

#include <uapi/linux/twctl.h>
#include "compat.h"
#include "hooks.h"
#include "netlink.h"
#include "netns.h"
#include "twrec.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

#ifndef CONFIG_X86_64
#error "twctl rewrites probed arguments in x86_64 registers only"
#endif

/*
 * Per-CPU notes between hooks that run one after the other on a CPU in the
 * same softirq (addresses of timewait sockets, see the instrumentation):
 * the one whose timer fired, the one a SYN takes over, and a FIN_WAIT2 one
 * tcp_timewait_state_process() is working on.
 */
static DEFINE_PER_CPU(unsigned long, twctl_expiring);
static DEFINE_PER_CPU(unsigned long, twctl_syn_tw);
static DEFINE_PER_CPU(unsigned long, twctl_fw2_tw);

/* What the first arming needs of the full socket a timewait socket is made from. */
struct twctl_skinfo {
	u32 srtt_us;
	u32 rto;
	bool loopback;
};

/*
 * The full socket tcp_time_wait() is handing over to a timewait socket, and
 * whether that timewait socket was armed (no arming: tcp_max_tw_buckets
 * refused it), from tcp_time_wait()'s entry to the socket's move to CLOSE
 * in tcp_done(). One note per context level, as tcp_time_wait() runs in
 * process context (socket backlog, close()) and in softirq, and a softirq
 * can come between the entry and the arming of a process-context one.
 *
 * The note keeps no pointer to follow: @sk is an identity, compared and
 * never dereferenced (a preempted task can move to another CPU between the
 * entry and the arming, leaving a stale note behind). Where the first
 * arming does not get the full socket (compat.h), the note carries what it
 * needs by value, with the namespace and 4-tuple to match it against.
 */
struct twctl_handover {
	unsigned long sk;
	bool armed;
	const struct net *net;
	__portpair ports;
	__addrpair addrs;
	struct in6_addr daddr6;
	struct twctl_skinfo info;
};

static DEFINE_PER_CPU(struct twctl_handover[4], twctl_handover);

static struct twctl_handover *twctl_handover_here(void)
{
	return this_cpu_ptr(&twctl_handover[interrupt_context_level()]);
}

/* struct proto of TCP over IPv4 and IPv6; tw->tw_prot is one of these. */
static const struct proto *twctl_tcp_prot[2] __read_mostly;

static bool twctl_is_tcp(const struct inet_timewait_sock *tw)
{
	return tw->tw_prot == twctl_tcp_prot[0] ||
	       (twctl_tcp_prot[1] && tw->tw_prot == twctl_tcp_prot[1]);
}

static void twctl_tw_tuple(const struct inet_timewait_sock *tw,
			   struct twctl_event *ev)
{
	ev->family = tw->tw_family;
	ev->sport = tw->tw_num;
	ev->dport = ntohs(tw->tw_dport);
#if IS_ENABLED(CONFIG_IPV6)
	if (tw->tw_family == AF_INET6) {
		memcpy(ev->saddr, &tw->tw_v6_rcv_saddr, 16);
		memcpy(ev->daddr, &tw->tw_v6_daddr, 16);
		return;
	}
#endif
	memcpy(ev->saddr, &tw->tw_rcv_saddr, 4);
	memcpy(ev->daddr, &tw->tw_daddr, 4);
}

static void twctl_sk_tuple(const struct sock *sk, struct twctl_event *ev)
{
	ev->family = sk->sk_family;
	ev->sport = ntohs(inet_sk(sk)->inet_sport);	/* sk_num is 0 once closed */
	ev->dport = ntohs(sk->sk_dport);
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		memcpy(ev->saddr, &sk->sk_v6_rcv_saddr, 16);
		memcpy(ev->daddr, &sk->sk_v6_daddr, 16);
		return;
	}
#endif
	memcpy(ev->saddr, &sk->sk_rcv_saddr, 4);
	memcpy(ev->daddr, &sk->sk_daddr, 4);
}

static void twctl_trace_tw(void (*trace)(u32, u16, const void *, const void *,
					 u16, u16, u8, u32),
			   const struct inet_timewait_sock *tw, u8 kind, u32 ms)
{
	struct twctl_event ev = {};

	twctl_tw_tuple(tw, &ev);
	trace(twsk_net(tw)->ns.inum, ev.family, ev.saddr, ev.daddr, ev.sport,
	      ev.dport, kind, ms);
}

/* The kernel's own test for tcp_tw_reuse=2 (tcp_twsk_unique()). */
static bool twctl_tw_loopback(const struct inet_timewait_sock *tw)
{
	if (tw->tw_bound_dev_if == LOOPBACK_IFINDEX)
		return true;
#if IS_ENABLED(CONFIG_IPV6)
	if (tw->tw_family == AF_INET6)
		return ipv6_addr_loopback(&tw->tw_v6_daddr) ||
		       ipv6_addr_v4mapped_loopback(&tw->tw_v6_daddr) ||
		       ipv6_addr_loopback(&tw->tw_v6_rcv_saddr) ||
		       ipv6_addr_v4mapped_loopback(&tw->tw_v6_rcv_saddr);
#endif
	return ipv4_is_loopback(tw->tw_daddr) ||
	       ipv4_is_loopback(tw->tw_rcv_saddr);
}

/* The same test on the full socket a timewait socket is made from. */
static bool twctl_sk_loopback(const struct sock *sk)
{
	if (sk->sk_bound_dev_if == LOOPBACK_IFINDEX)
		return true;
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6)
		return ipv6_addr_loopback(&sk->sk_v6_daddr) ||
		       ipv6_addr_v4mapped_loopback(&sk->sk_v6_daddr) ||
		       ipv6_addr_loopback(&sk->sk_v6_rcv_saddr) ||
		       ipv6_addr_v4mapped_loopback(&sk->sk_v6_rcv_saddr);
#endif
	return ipv4_is_loopback(sk->sk_daddr) ||
	       ipv4_is_loopback(sk->sk_rcv_saddr);
}

static void twctl_skinfo_get(const struct sock *sk, struct twctl_skinfo *i)
{
	i->loopback = twctl_sk_loopback(sk);
	i->srtt_us = READ_ONCE(tcp_sk(sk)->srtt_us) >> 3;
	i->rto = READ_ONCE(inet_csk(sk)->icsk_rto);
}

/*
 * The load-time self-test (selftest.c) watches up to two ports of its own
 * loopback connections in the initial namespace: the hooks note what they
 * see of them (enum twctl_st_event) and give their TIME_WAIT the test
 * length, and leave them out of the namespace's counters and events.
 */
static DEFINE_STATIC_KEY_FALSE(twctl_st_on);
static struct {
	u16 port[TWCTL_ST_SLOTS];
	unsigned long seen[TWCTL_ST_SLOTS];
	unsigned long timeo;
} twctl_st;

static noinline int twctl_st_find(const struct net *net, u16 port)
{
	int i;

	if (net != &init_net || !port)
		return -1;
	for (i = 0; i < TWCTL_ST_SLOTS; i++)
		if (READ_ONCE(twctl_st.port[i]) == port)
			return i;
	return -1;
}

/* Inline: outside the self-test, a patched-out jump in every hook. */
static __always_inline int twctl_st_slot(const struct net *net, u16 port)
{
	if (!static_branch_unlikely(&twctl_st_on))
		return -1;
	return twctl_st_find(net, port);
}

static void twctl_st_note(int slot, enum twctl_st_event e)
{
	set_bit(e, &twctl_st.seen[slot]);
}

void twctl_hooks_selftest_begin(unsigned long timeo)
{
	memset(&twctl_st, 0, sizeof(twctl_st));
	twctl_st.timeo = timeo;
	static_branch_enable(&twctl_st_on);
}

void twctl_hooks_selftest_watch(int slot, u16 port)
{
	WRITE_ONCE(twctl_st.port[slot], port);
}

unsigned long twctl_hooks_selftest_seen(int slot)
{
	return READ_ONCE(twctl_st.seen[slot]);
}

void twctl_hooks_selftest_end(void)
{
	static_branch_disable(&twctl_st_on);
	memset(twctl_st.port, 0, sizeof(twctl_st.port));
}

/* What tells @tw from a later timewait socket at its address (twrec.c). */
static void twctl_tw_id(const struct inet_timewait_sock *tw,
			struct twctl_twrec_id *id)
{
	id->net = twsk_net(tw);
	id->ports = (__force u32)tw->__tw_common.skc_portpair;
	id->snd_nxt = READ_ONCE(tcp_twsk((const struct sock *)tw)->tw_snd_nxt);
}

/*
 * The TIME_WAIT length and peer class of @tw under @s, in its namespace
 * @pn: its length record, or else the class read off its addresses
 * (without a record no peer is local: see twctl_policy_needs_records())
 * and that class's length now in force. *@exact tells whether the length
 * is the one the socket was armed with (a record).
 *
 * The table holds the records of every namespace, and looking one up costs
 * a hash and a chain walk. A namespace that never made a record has none
 * to find (records_made is set before its first one is added, and never
 * cleared), so its sockets do not pay for another namespace's records.
 * The flag is set at a first arming, before the timer is armed; whatever
 * re-arms or ends that socket later reached it through its timer or the
 * established hash, whose locks and RCU publication order the flag before.
 * Where tcp_time_wait() hashes the socket before arming it (compat.h), a
 * segment that finds it in between finds no record either way.
 */
static unsigned long twctl_tw_length(const struct inet_timewait_sock *tw,
				     struct twctl_pernet *pn,
				     const struct twctl_snap *s, bool *exact,
				     u8 *class)
{
	struct twctl_twrec_id id;
	unsigned long len;
	u8 c;

	*exact = false;
	if (READ_ONCE(pn->records_made)) {
		twctl_tw_id(tw, &id);
		*exact = twctl_twrec_get(tw, &id, &len, &c);
	}
	if (!*exact) {
		/* Where both classes last alike, only a caller asks which. */
		if (!class && s->class_timeo[TWCTL_CLASS_LOOPBACK] ==
			      s->class_timeo[TWCTL_CLASS_REMOTE])
			return s->class_timeo[TWCTL_CLASS_REMOTE];
		c = twctl_tw_loopback(tw) ? TWCTL_CLASS_LOOPBACK :
					    TWCTL_CLASS_REMOTE;
		len = s->class_timeo[c];
	}
	if (class)
		*class = c;
	return len;
}

static bool twctl_handover_addrs_match(const struct twctl_handover *h,
				       const struct inet_timewait_sock *tw)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (tw->tw_family == AF_INET6)
		return ipv6_addr_equal(&h->daddr6, &tw->tw_v6_daddr);
#endif
	return h->addrs == tw->__tw_common.skc_addrpair;
}

/*
 * The full socket @tw is being made from, at its first arming in
 * tcp_time_wait(): the note left at tcp_time_wait()'s entry in this
 * context. When @sk is at hand (compat.h), the note is found by identity;
 * otherwise by namespace and 4-tuple, and its values stand in for the
 * socket. Marks the hand-over as armed; NULL when no note matches.
 */
static const struct twctl_skinfo *
twctl_handover_find(const struct inet_timewait_sock *tw, const struct sock *sk,
		    struct twctl_skinfo *buf)
{
	struct twctl_handover *h = twctl_handover_here();

	if (sk) {
		if (h->sk == (unsigned long)sk)
			h->armed = true;
		twctl_skinfo_get(sk, buf);
		return buf;
	}
	if (!h->sk || h->net != twsk_net(tw) ||
	    h->ports != tw->__tw_common.skc_portpair ||
	    !twctl_handover_addrs_match(h, tw))
		return NULL;
	h->armed = true;
	return &h->info;
}

/*
 * The policy needs the class and length of a new timewait socket recorded:
 * decide them from the full socket @sk, while its RTT and RTO are at hand.
 * Runs with BH off (tcp_time_wait() arms under local_bh_disable()).
 */
static void twctl_tw_record(const struct twctl_skinfo *i,
			    const struct inet_timewait_sock *tw,
			    struct twctl_pernet *pn, const struct twctl_snap *s)
{
	struct twctl_twrec_id id;
	enum twctl_peer_class c;
	unsigned long len;
	bool floored;
	int err;

	c = twctl_peer_class(i->loopback, i->srtt_us, s->pol.local_rtt_us);
	len = twctl_tw_len(s->class_timeo[c], s->pol.rto_floor, i->rto, &floored);
	twctl_tw_id(tw, &id);
	if (!READ_ONCE(pn->records_made))
		WRITE_ONCE(pn->records_made, true);	/* before the record */
	err = twctl_twrec_add(tw, &id, len, c);
	if (err == -ENOSPC)
		twctl_pn_stat_inc(pn, TWCTL_STAT_TW_RECORD_CAPPED);
	else if (err)
		twctl_pn_stat_inc(pn, TWCTL_STAT_TW_RECORD_FAILED);
	else if (floored)
		twctl_pn_stat_inc(pn, TWCTL_STAT_TW_RTO_FLOORED);
}

/*
 * What every arming of a TCP timewait socket starts with: its namespace's
 * state, or NULL when twctl leaves the timeout alone. A self-test socket
 * (selftest.c) is noted as @e and, in TIME_WAIT proper, gets the test's
 * length instead.
 */
static const struct twctl_snap *
twctl_tw_arming(const struct inet_timewait_sock *tw, bool is_tw,
		enum twctl_st_event e, unsigned long *timeo,
		struct twctl_pernet **pn)
{
	int st = twctl_st_slot(twsk_net(tw), tw->tw_num);

	if (unlikely(st >= 0)) {
		twctl_st_note(st, e);
		if (is_tw)
			*timeo = twctl_st.timeo;
		return NULL;
	}
	*pn = twctl_pernet_hot(twsk_net(tw));
	return twctl_pn_snap(*pn);
}

/*
 * TIME_WAIT proper is always armed with TCP_TIMEWAIT_LEN, the first time and
 * on every rearm: give it the policy's @len instead. FIN_WAIT2's timeout is
 * the kernel's (tcp_fin_timeout). @kind is the tw_arm tracepoint's.
 */
static void twctl_tw_set_timeo(const struct inet_timewait_sock *tw, bool is_tw,
			       unsigned long len, unsigned long *timeo, int kind)
{
	if (is_tw && (int)*timeo == TCP_TIMEWAIT_LEN && len != TCP_TIMEWAIT_LEN)
		*timeo = min_t(unsigned long, len, INT_MAX);
	if (trace_tw_arm_enabled())
		twctl_trace_tw(trace_tw_arm, tw, kind, jiffies_to_msecs((int)*timeo));
}

/*
 * A timewait socket's first arming, with its timeout at *@timeo, and the
 * full socket it is made from when the hook has it (@sk, else NULL: see
 * twctl_handover_find()).
 */
static void twctl_tw_first_arm(struct inet_timewait_sock *tw,
			       const struct sock *sk, unsigned long *timeo)
{
	bool is_tw = READ_ONCE(tw->tw_substate) == TCP_TIME_WAIT;
	const struct twctl_skinfo *info;
	struct twctl_skinfo buf;
	const struct twctl_snap *s;
	struct twctl_pernet *pn;
	unsigned long len;
	bool exact;
	u8 class;

	if (!twctl_is_tcp(tw))
		return;
	info = twctl_handover_find(tw, sk, &buf);
	s = twctl_tw_arming(tw, is_tw, is_tw ? TWCTL_ST_FIRST_TW :
				       TWCTL_ST_FIRST_FW2, timeo, &pn);
	if (!s)
		return;
	if (info && s->records)
		twctl_tw_record(info, tw, pn, s);
	len = twctl_tw_length(tw, pn, s, &exact, &class);
	twctl_pn_stat_inc(pn, is_tw ? TWCTL_STAT_TW_CREATED :
				      TWCTL_STAT_TW_CREATED_FW2);
	twctl_pn_stat_inc(pn, TWCTL_STAT_TW_CLASS_LOOPBACK + class);
	twctl_tw_set_timeo(tw, is_tw, len, timeo, is_tw ? 0 : 1);
}

/*
 * A re-arming of a timewait socket's timer, with its timeout at *@timeo: it
 * gets the same length as the first arming.
 */
static void twctl_tw_rearm(struct inet_timewait_sock *tw, unsigned long *timeo)
{
	bool is_tw = READ_ONCE(tw->tw_substate) == TCP_TIME_WAIT;
	const struct twctl_snap *s;
	struct twctl_pernet *pn;
	unsigned long len;
	bool exact;

	if (!twctl_is_tcp(tw))
		return;
	s = twctl_tw_arming(tw, is_tw, TWCTL_ST_REARM, timeo, &pn);
	if (!s)
		return;
	len = twctl_tw_length(tw, pn, s, &exact, NULL);
	if (is_tw && this_cpu_read(twctl_fw2_tw) == (unsigned long)tw)
		this_cpu_write(twctl_fw2_tw, 0);	/* FIN_WAIT2 got its FIN */
	else if (is_tw)
		twctl_pn_stat_inc(pn, TWCTL_STAT_TW_REARMED);
	twctl_tw_set_timeo(tw, is_tw, len, timeo, 2);
}

/*
 * __inet_twsk_schedule(struct inet_timewait_sock *tw, int timeo, bool rearm):
 * every re-arming, and the first arming where compat.h has no hook of its own
 * for it.
 */
static void twctl_tw_schedule_pre(struct pt_regs *regs)
{
	struct inet_timewait_sock *tw = (void *)regs->di;

	if (regs->dx & 0xff)
		twctl_tw_rearm(tw, &regs->si);
	else if (!TWCTL_FIRST_ARM_HOOKED)
		twctl_tw_first_arm(tw, NULL, &regs->si);
}

/* The first arming where compat.h hooks it separately, with the full socket. */
static void twctl_tw_first_arm_pre(struct pt_regs *regs)
{
	twctl_tw_first_arm(twctl_first_arm_tw(regs), twctl_first_arm_sk(regs),
			   twctl_first_arm_timeo(regs));
}

static const enum twctl_stat twctl_reuse_stat[] = {
	[TWCTL_REUSE_GRANT] = TWCTL_STAT_REUSE_GRANTED,
	[TWCTL_REUSE_DENY_POLICY] = TWCTL_STAT_REUSE_REFUSED_POLICY,
	[TWCTL_REUSE_DENY_NO_TS] = TWCTL_STAT_REUSE_REFUSED_NO_TS,
};

/*
 * Stand-ins for tcp_twsk_unique() (same prototype, same caller, same locks
 * held) for namespaces with an explicit reuse mode. The pre-hook below
 * decides, reading the policy once, and resumes in one of them.
 */
static int twctl_twsk_deny(struct sock *sk, struct sock *sktw, void *twp)
{
	return 0;
}

/*
 * What the kernel's function does on a grant: take a reference on the
 * TIME_WAIT socket and seed the new connection's sequence number and
 * timestamp state from it, so PAWS keeps protecting the new connection from
 * the old one's segments. Counted only once the reference is taken: the
 * socket may be on its way out.
 */
static int twctl_twsk_grant(struct sock *sk, struct sock *sktw, void *twp)
{
	const struct tcp_timewait_sock *tcptw = tcp_twsk(sktw);
	struct tcp_sock *tp = tcp_sk(sk);

	if (!refcount_inc_not_zero(&sktw->sk_refcnt))
		return 0;
	if (likely(!tp->repair)) {
		u32 seq = tcptw->tw_snd_nxt + 65535 + 2;

		if (!seq)
			seq = 1;
		WRITE_ONCE(tp->write_seq, seq);
		tp->rx_opt.ts_recent = READ_ONCE(tcptw->tw_ts_recent);
		tp->rx_opt.ts_recent_stamp = READ_ONCE(tcptw->tw_ts_recent_stamp);
	}
	rcu_read_lock();
	if (twctl_snap_rcu(sock_net(sk)))
		twctl_stat_inc(sock_net(sk), TWCTL_STAT_REUSE_GRANTED);
	rcu_read_unlock();
	return 1;
}

/* tcp_twsk_unique(struct sock *sk, struct sock *sktw, void *twp) */
static void twctl_twsk_unique_pre(struct pt_regs *regs)
{
	struct sock *sk = (void *)regs->di, *sktw = (void *)regs->si;
	const struct inet_timewait_sock *tw = inet_twsk(sktw);
	struct net *net = sock_net(sk);
	struct twctl_pernet *pn = twctl_pernet_hot(net);
	const struct twctl_snap *s = twctl_pn_snap(pn);
	struct twctl_reuse_query q;
	enum twctl_reuse_verdict v;
	unsigned long len, age;
	bool exact;

	/* "inherit": the kernel's own function runs untouched. */
	if (!s || s->pol.reuse == TWCTL_REUSE_INHERIT)
		return;
	q = (struct twctl_reuse_query) {
		.fin_wait2 = READ_ONCE(tw->tw_substate) == TCP_FIN_WAIT2,
		.has_ts = READ_ONCE(tcp_twsk(sktw)->tw_ts_recent_stamp) != 0,
		.loopback = s->pol.reuse == TWCTL_REUSE_LOOPBACK &&
			    twctl_tw_loopback(tw),
		.bound = !regs->dx,
	};
	/*
	 * The age only where it decides (or is traced): a port search that
	 * passes over young sockets asks once for each of them.
	 */
	if (twctl_reuse_needs_age(&s->pol, &q) ||
	    trace_tw_reuse_decision_enabled()) {
		len = twctl_tw_length(tw, pn, s, &exact, NULL);
		age = twctl_tw_age(READ_ONCE(tw->tw_timer.expires), jiffies,
				   len, exact ? NULL : &s->age_bias);
		q.age_ms = jiffies_to_msecs(age);
	}
	v = twctl_reuse_decide(&s->pol, &q);
	if (v != TWCTL_REUSE_GRANT)
		twctl_pn_stat_inc(pn, twctl_reuse_stat[v]);
	if (trace_tw_reuse_decision_enabled())
		twctl_trace_tw(trace_tw_reuse_decision, tw, v, q.age_ms);
	/* Resume in a stand-in; it returns to the caller. */
	instruction_pointer_set(regs, v == TWCTL_REUSE_GRANT ?
				(unsigned long)twctl_twsk_grant :
				(unsigned long)twctl_twsk_deny);
}

/*
 * Instrumentation of the close path.
 *
 * State changes of full TCP sockets come from the sock:inet_sock_set_state
 * tracepoint. A socket handed over to a timewait socket reports X -> CLOSE
 * from tcp_done() at the end of tcp_time_wait(), whose entry hook notes the
 * socket; when its timewait socket was armed in between, that is counted as
 * X -> TIME_WAIT (and the timewait socket's end as TIME_WAIT -> CLOSE),
 * otherwise as a tcp_max_tw_buckets overflow.
 *
 * A timewait socket ends in inet_twsk_kill(), once: from its timer
 * (tw_timer_handler()), or through inet_twsk_deschedule_put() when a
 * connect() takes it over (process context), a segment kills it (softirq:
 * a RST, or a SYN that tcp_timewait_state_process() let take over), or its
 * namespace dies. The timer and SYN cases are told apart by per-CPU notes
 * left on the same CPU just before, in the same softirq. It is freed when
 * its last reference goes, right then or later (tcp_twsk_destructor()):
 * its length record goes then.
 *
 * Creation counts timewait sockets by their first substate; a FIN_WAIT2 one
 * that then gets its FIN moves to TIME_WAIT and re-arms, which is not
 * counted as a rearm.
 */

/*
 * twctl_close_state_index() of every TCP state, as a table the tracepoint
 * probe reads: it runs on every state change of every TCP socket, and most
 * of those (connecting, listening) are no close-path transition.
 */
static s8 twctl_state_idx[TCP_MAX_STATES] __read_mostly;

static void twctl_state_idx_init(void)
{
	int i;

	for (i = 0; i < TCP_MAX_STATES; i++)
		twctl_state_idx[i] = twctl_close_state_index(i);
}

/*
 * Out of line: the probe's own frame stays small (no event on its stack,
 * so no stack protector) for the many state changes that send none.
 */
static noinline void twctl_state_event(const struct sock *sk, int old, int new)
{
	struct twctl_event ev = {
		.kind = TWCTL_EV_STATE,
		.old = old,
		.new = new,
	};

	twctl_sk_tuple(sk, &ev);
	twctl_event_send(sock_net(sk), &ev);
}

static void twctl_set_state_probe(void *data, const struct sock *sk,
				  const int oldstate, const int newstate)
{
	struct twctl_pernet *pn;
	bool overflow = false;
	int from, to, st;

	if (sk->sk_protocol != IPPROTO_TCP ||
	    (unsigned int)oldstate >= TCP_MAX_STATES ||
	    (unsigned int)newstate >= TCP_MAX_STATES)
		return;
	from = twctl_state_idx[oldstate];
	to = twctl_state_idx[newstate];
	if (from < 0 || to < 0)
		return;
	if (newstate == TCP_CLOSE) {
		struct twctl_handover *h = twctl_handover_here();

		if (h->sk == (unsigned long)sk) {
			h->sk = 0;
			if (h->armed)
				to = twctl_state_idx[TCP_TIME_WAIT];
			else
				overflow = true;	/* it stays a full socket */
		}
	}
	st = twctl_st_slot(sock_net(sk), ntohs(inet_sk(sk)->inet_sport));
	if (unlikely(st >= 0)) {
		if (to == twctl_state_idx[TCP_TIME_WAIT])
			twctl_st_note(st, TWCTL_ST_HANDED_OVER);
		return;
	}
	pn = twctl_pernet_hot(sock_net(sk));
	if (!twctl_pn_snap(pn))
		return;
	if (overflow)
		twctl_pn_stat_inc(pn, TWCTL_STAT_TW_OVERFLOW);
	twctl_pn_trans_inc(pn, from, to);
	if (twctl_event_wanted(sock_net(sk)))
		twctl_state_event(sk, oldstate, twctl_close_states[to]);
}

/* tcp_time_wait(struct sock *sk, int state, int timeo) */
static void twctl_time_wait_pre(struct pt_regs *regs)
{
	struct twctl_handover *h = twctl_handover_here();
	const struct sock *sk = (void *)regs->di;
	int st;

	h->sk = regs->di;
	h->armed = false;
	st = twctl_st_slot(sock_net(sk), sk->sk_num);
	if (unlikely(st >= 0))
		twctl_st_note(st, TWCTL_ST_ENTRY);
	if (TWCTL_FIRST_ARM_HOOKED)
		return;
	/* The first arming will not have @sk: keep what it needs of it. */
	h->net = sock_net(sk);
	h->ports = sk->sk_portpair;
	h->addrs = sk->sk_addrpair;
#if IS_ENABLED(CONFIG_IPV6)
	h->daddr6 = sk->sk_v6_daddr;
#endif
	twctl_skinfo_get(sk, &h->info);
}

/* tw_timer_handler(struct timer_list *t) */
static void twctl_tw_timer_pre(struct pt_regs *regs)
{
	struct timer_list *t = (void *)regs->di;

	this_cpu_write(twctl_expiring, (unsigned long)
		       container_of(t, struct inet_timewait_sock, tw_timer));
}

static enum twctl_stat twctl_tw_end_cause(const struct inet_timewait_sock *tw,
					  const struct net *net)
{
	if (this_cpu_read(twctl_expiring) == (unsigned long)tw) {
		this_cpu_write(twctl_expiring, 0);
		return TWCTL_STAT_TW_EXPIRED;
	}
	if (this_cpu_read(twctl_syn_tw) == (unsigned long)tw) {
		this_cpu_write(twctl_syn_tw, 0);
		return TWCTL_STAT_TW_KILLED_SYN;
	}
	if (!check_net(net))
		return TWCTL_STAT_TW_KILLED_NETNS;
	if (in_serving_softirq())
		return TWCTL_STAT_TW_KILLED_RST;
	return TWCTL_STAT_TW_REUSED;
}

static const u8 twctl_end_event[TWCTL_STAT_MAX] = {
	[TWCTL_STAT_TW_EXPIRED] = TWCTL_EV_TW_EXPIRED,
	[TWCTL_STAT_TW_REUSED] = TWCTL_EV_TW_REUSED,
	[TWCTL_STAT_TW_KILLED_RST] = TWCTL_EV_TW_KILLED_RST,
	[TWCTL_STAT_TW_KILLED_SYN] = TWCTL_EV_TW_KILLED_SYN,
	[TWCTL_STAT_TW_KILLED_NETNS] = TWCTL_EV_TW_KILLED_NETNS,
};

static void twctl_tw_end_notify(const struct inet_timewait_sock *tw,
				struct net *net, enum twctl_stat cause, u32 ms)
{
	struct twctl_event ev = {
		.kind = twctl_end_event[cause],
		.old = TCP_TIME_WAIT,
		.new = TCP_CLOSE,
		.lifetime_ms = ms,
	};

	if (trace_tw_expire_enabled())
		twctl_trace_tw(trace_tw_expire, tw, ev.kind, ms);
	if (twctl_event_wanted(net)) {
		twctl_tw_tuple(tw, &ev);
		twctl_event_send(net, &ev);
	}
}

/*
 * A timewait socket that ended without a length record, as its namespace
 * had made none (twctl_tw_length()), so its free need not look for one.
 *
 * The free cannot ask the namespace: it comes when the last reference
 * goes, and a lookup of another namespace (the established hash is shared)
 * may hold that one past the namespace's end, when twctl's per-netns state
 * is freed (cleanup_net() frees it after every pernet exit, TCP's purge of
 * the namespace's timewait sockets included). The end still has it: it
 * comes from the socket's timer, a connect() or a segment that found the
 * socket, or that purge, all before. And mostly inet_twsk_kill() drops the
 * last reference itself (the timer's), or its caller right after
 * (inet_twsk_deschedule_put()), so the free follows on this CPU, with BH
 * still off: the end leaves a note here that the free takes.
 *
 * Otherwise (the free comes later, or elsewhere) the free looks up as
 * before. The note keeps the socket's identity (twrec.c), so a later
 * socket at that address, maybe of a namespace with records, does not take
 * a note left over from an earlier one. What a taken note skips is only a
 * record of another, earlier socket at that address, of another namespace,
 * left by a missed hook run: its identity keeps it from any later socket,
 * the next record there replaces it, and module exit frees it.
 */
struct twctl_unrecorded {
	unsigned long tw;
	struct twctl_twrec_id id;
};

static DEFINE_PER_CPU(struct twctl_unrecorded, twctl_unrecorded);

/* inet_twsk_kill(struct inet_timewait_sock *tw) */
static void twctl_tw_kill_pre(struct pt_regs *regs)
{
	const struct inet_timewait_sock *tw = (void *)regs->di;
	struct net *net = twsk_net(tw);
	const struct twctl_snap *s;
	struct twctl_pernet *pn;
	enum twctl_stat cause;
	u64 lived;
	int st;

	if (!twctl_is_tcp(tw))
		return;
	cause = twctl_tw_end_cause(tw, net);
	st = twctl_st_slot(net, tw->tw_num);
	if (unlikely(st >= 0)) {
		if (cause == TWCTL_STAT_TW_EXPIRED)
			twctl_st_note(st, TWCTL_ST_EXPIRED);
		return;
	}
	pn = twctl_pernet_hot(net);
	if (!READ_ONCE(pn->records_made)) {
		struct twctl_unrecorded *u = this_cpu_ptr(&twctl_unrecorded);

		twctl_tw_id(tw, &u->id);
		u->tw = (unsigned long)tw;
	}
	s = twctl_pn_snap(pn);
	if (s) {
		bool exact;

		twctl_pn_stat_inc(pn, cause);
		twctl_pn_trans_inc(pn, twctl_state_idx[TCP_TIME_WAIT],
				   twctl_state_idx[TCP_CLOSE]);
		lived = twctl_tw_lived(READ_ONCE(tw->tw_timer.expires), jiffies,
				       twctl_tw_length(tw, pn, s, &exact, NULL));
		if (READ_ONCE(tw->tw_substate) == TCP_TIME_WAIT)
			twctl_pn_hist_inc(pn, twctl_hist_bucket(jiffies_to_msecs(lived)));
		twctl_tw_end_notify(tw, net, cause, jiffies_to_msecs(lived));
	}
}

/*
 * tcp_twsk_destructor(struct sock *sk): a TCP timewait socket is freed
 * (compat.h), once its last reference is gone: its length record goes,
 * whether or not the netns still has policy. The netns may be gone: its
 * state is not read here (see struct twctl_unrecorded).
 */
static void twctl_tw_free_pre(struct pt_regs *regs)
{
	const struct inet_timewait_sock *tw = (void *)regs->di;
	struct twctl_unrecorded *u = this_cpu_ptr(&twctl_unrecorded);
	struct twctl_twrec_id id;
	int st;

	st = twctl_st_slot(twsk_net(tw), tw->tw_num);
	if (unlikely(st >= 0))
		twctl_st_note(st, TWCTL_ST_FREED);
	if (u->tw == (unsigned long)tw) {
		u->tw = 0;
		twctl_tw_id(tw, &id);
		if (twctl_twrec_id_eq(&u->id, &id))
			return;		/* it ended without a record */
	}
	twctl_twrec_del(tw);
}

/*
 * tcp_timewait_state_process(tw, skb, th), in softirq: note a FIN_WAIT2
 * timewait socket (its move to TIME_WAIT re-arms the timer: not a rearm by
 * a retransmitted FIN), and on return a SYN takeover.
 */
static int twctl_tw_process_entry(struct kretprobe_instance *ri,
				  struct pt_regs *regs)
{
	const struct inet_timewait_sock *tw = (void *)regs->di;

	*(const void **)ri->data = tw;
	this_cpu_write(twctl_fw2_tw, READ_ONCE(tw->tw_substate) == TCP_FIN_WAIT2 ?
				     (unsigned long)tw : 0);
	return 0;
}

static int twctl_tw_process_ret(struct kretprobe_instance *ri,
				struct pt_regs *regs)
{
	if (regs_return_value(regs) == TCP_TW_SYN)
		this_cpu_write(twctl_syn_tw, *(unsigned long *)ri->data);
	return 0;
}

u64 twctl_tw_alive(const struct net *net)
{
	return refcount_read(&net->ipv4.tcp_death_row.tw_refcount) - 1;
}

static struct kretprobe twctl_tw_process_krp = {
	.kp.symbol_name = "tcp_timewait_state_process",
	.entry_handler = twctl_tw_process_entry,
	.handler = twctl_tw_process_ret,
	.data_size = sizeof(void *),
};

static struct tracepoint *twctl_set_state_tp;

static void twctl_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "inet_sock_set_state"))
		twctl_set_state_tp = tp;
}

/*
 * The hooks on function entries. Those that do not redirect share one
 * ftrace_ops and are told apart by the traced address: every ftrace_ops
 * with its own trampoline costs an RCU-tasks grace period (and more on a
 * preemptible kernel) when it is unregistered, which made unloading slow.
 * The redirect of tcp_twsk_unique() needs FTRACE_OPS_FL_IPMODIFY, which
 * only one user of a function may hold, so it keeps an ops of its own and
 * its own clear error when a livepatch already has the function.
 */
struct twctl_hook {
	const char *name;
	unsigned long ip;	/* its ftrace site, found at setup */
};

/* Most frequent first: the thunk looks the address up in this order. */
enum {
	TWCTL_HOOK_TIME_WAIT,
	TWCTL_HOOK_FIRST_ARM,
	TWCTL_HOOK_SCHEDULE,
	TWCTL_HOOK_KILL,
	TWCTL_HOOK_FREE,
	TWCTL_HOOK_TIMER,
	TWCTL_NHOOKS
};

/* A hook without a name (compat.h) is not needed on this kernel. */
static struct twctl_hook twctl_hooks[TWCTL_NHOOKS] = {
	[TWCTL_HOOK_TIME_WAIT] = { .name = "tcp_time_wait" },
	[TWCTL_HOOK_FIRST_ARM] = { .name = TWCTL_FIRST_ARM_FUNC },
	[TWCTL_HOOK_SCHEDULE] = { .name = TWCTL_SCHEDULE_FUNC },
	[TWCTL_HOOK_KILL] = { .name = "inet_twsk_kill" },
	[TWCTL_HOOK_FREE] = { .name = TWCTL_FREE_FUNC },
	[TWCTL_HOOK_TIMER] = { .name = "tw_timer_handler" },
};

static struct twctl_hook twctl_redirect_hook = { .name = "tcp_twsk_unique" };

/* Hook runs skipped because a hook was already running in that context. */
static atomic_long_t twctl_hooks_skipped = ATOMIC_LONG_INIT(0);

/*
 * The function of both ops. ftrace calls it directly (no
 * FTRACE_OPS_FL_RECURSION, as for livepatch): the recursion lock here, per
 * context, also keeps preemption off for the hook (see twctl_pn_snap()).
 * The hooks read and write only the argument registers and the address to
 * resume at, all that ftrace_regs holds (compat.h).
 */
static void notrace twctl_hooks_thunk(unsigned long ip, unsigned long parent_ip,
				      struct ftrace_ops *ops,
				      struct ftrace_regs *fregs)
{
	struct pt_regs *regs = twctl_hook_regs(fregs);
	int bit;

	if (unlikely(!regs))
		return;
	bit = ftrace_test_recursion_trylock(ip, parent_ip);
	if (bit < 0) {
		atomic_long_inc(&twctl_hooks_skipped);
		return;
	}
	if (ip == twctl_hooks[TWCTL_HOOK_TIME_WAIT].ip)
		twctl_time_wait_pre(regs);
	else if (TWCTL_FIRST_ARM_HOOKED && ip == twctl_hooks[TWCTL_HOOK_FIRST_ARM].ip)
		twctl_tw_first_arm_pre(regs);
	else if (ip == twctl_hooks[TWCTL_HOOK_SCHEDULE].ip)
		twctl_tw_schedule_pre(regs);
	else if (ip == twctl_hooks[TWCTL_HOOK_KILL].ip)
		twctl_tw_kill_pre(regs);
	else if (ip == twctl_hooks[TWCTL_HOOK_FREE].ip)
		twctl_tw_free_pre(regs);
	else if (ip == twctl_hooks[TWCTL_HOOK_TIMER].ip)
		twctl_tw_timer_pre(regs);
	else if (ip == twctl_redirect_hook.ip)
		twctl_twsk_unique_pre(regs);
	ftrace_test_recursion_unlock(bit);
}

/*
 * FTRACE_OPS_FL_PERMANENT (as livepatch has it): while twctl is loaded,
 * `sysctl kernel.ftrace_enabled=0` is refused (EBUSY) instead of silently
 * switching every hook off; with ftrace disabled, twctl does not load.
 */
static struct ftrace_ops twctl_hooks_ops = {
	.func = twctl_hooks_thunk,
	.flags = TWCTL_FTRACE_FL_REGS | FTRACE_OPS_FL_PERMANENT,
};

static struct ftrace_ops twctl_redirect_ops = {
	.func = twctl_hooks_thunk,
	.flags = TWCTL_FTRACE_FL_REGS | FTRACE_OPS_FL_IPMODIFY |
		 FTRACE_OPS_FL_PERMANENT,
};

static const char *twctl_ftrace_refused(int err)
{
	return err == -EBUSY ? "ftrace is disabled (sysctl kernel.ftrace_enabled=0)" :
			       "ftrace refused the hooks";
}

static bool twctl_hooks_armed, twctl_redirect_armed, twctl_krp_armed;

static void twctl_hook_cannot(const struct twctl_hook *h, int err)
{
	pr_err("cannot hook %s (%d): this kernel lacks a TIME_WAIT function twctl needs, or ftrace cannot trace it\n",
	       h->name, err);
}

/*
 * The ftrace site of each hooked function, as kprobes finds it: a kprobe
 * on a function's entry sits on its ftrace site (past an ENDBR64 when the
 * kernel has IBT) and says so with KPROBE_FLAG_FTRACE. The kprobes are
 * registered disabled, never armed, and go again at once.
 */
static int twctl_hooks_locate(struct twctl_hook **hooks, size_t n)
{
	struct kprobe *kps, **kpp;
	size_t done;
	int err = 0;

	kps = kcalloc(n, sizeof(*kps), GFP_KERNEL);
	kpp = kcalloc(n, sizeof(*kpp), GFP_KERNEL);
	if (!kps || !kpp) {
		err = -ENOMEM;
		goto out;
	}
	for (done = 0; done < n; done++) {
		struct kprobe *kp = &kps[done];

		kpp[done] = kp;
		kp->symbol_name = hooks[done]->name;
		kp->flags = KPROBE_FLAG_DISABLED;
		err = register_kprobe(kp);
		if (!err && !(kp->flags & KPROBE_FLAG_FTRACE)) {
			unregister_kprobe(kp);
			err = -EOPNOTSUPP;
		}
		if (err) {
			twctl_hook_cannot(hooks[done], err);
			break;
		}
		hooks[done]->ip = (unsigned long)kp->addr;
	}
	if (done)
		unregister_kprobes(kpp, done);
out:
	kfree(kpp);
	kfree(kps);
	return err;
}

static int twctl_hooks_arm(void)
{
	struct twctl_hook *all[ARRAY_SIZE(twctl_hooks) + 1];
	size_t i, n = 0;
	int err;

	for (i = 0; i < ARRAY_SIZE(twctl_hooks); i++)
		if (twctl_hooks[i].name)
			all[n++] = &twctl_hooks[i];
	all[n++] = &twctl_redirect_hook;
	err = twctl_hooks_locate(all, n);
	if (err)
		return err;

	for (i = 0; i < ARRAY_SIZE(twctl_hooks); i++) {
		if (!twctl_hooks[i].name)
			continue;
		err = ftrace_set_filter_ip(&twctl_hooks_ops, twctl_hooks[i].ip,
					   0, 0);
		if (err) {
			twctl_hook_cannot(&twctl_hooks[i], err);
			goto err_free;
		}
	}
	err = register_ftrace_function(&twctl_hooks_ops);
	if (err) {
		pr_err("cannot hook the TIME_WAIT functions (%d): %s\n", err,
		       twctl_ftrace_refused(err));
		goto err_free;
	}
	twctl_hooks_armed = true;

	err = ftrace_set_filter_ip(&twctl_redirect_ops, twctl_redirect_hook.ip,
				   0, 0);
	if (err) {
		twctl_hook_cannot(&twctl_redirect_hook, err);
		goto err_free_redirect;
	}
	err = register_ftrace_function(&twctl_redirect_ops);
	if (err) {
		pr_err("cannot hook %s (%d): %s\n", twctl_redirect_hook.name, err,
		       err == -EBUSY ?
		       "another tool (a livepatch?) already redirects it" :
		       twctl_ftrace_refused(err));
		goto err_free_redirect;
	}
	twctl_redirect_armed = true;
	return 0;

err_free_redirect:
	ftrace_free_filter(&twctl_redirect_ops);
	return err;	/* the caller disarms the others */
err_free:
	ftrace_free_filter(&twctl_hooks_ops);
	return err;
}

/*
 * unregister_ftrace_function() returns once no CPU can be in the hooks'
 * handler any more.
 */
static void twctl_hooks_disarm(void)
{
	if (twctl_redirect_armed) {
		unregister_ftrace_function(&twctl_redirect_ops);
		ftrace_free_filter(&twctl_redirect_ops);
		twctl_redirect_armed = false;
	}
	if (twctl_hooks_armed) {
		unregister_ftrace_function(&twctl_hooks_ops);
		ftrace_free_filter(&twctl_hooks_ops);
		twctl_hooks_armed = false;
	}
}

/*
 * Never silent: a hook run that could not happen loses that event from the
 * counters (and a skipped __inet_twsk_schedule() keeps the kernel's
 * length). With per-context hooks this should stay 0.
 */
u64 twctl_hooks_missed(void)
{
	return atomic_long_read(&twctl_hooks_skipped) +
	       READ_ONCE(twctl_tw_process_krp.nmissed) +
	       READ_ONCE(twctl_tw_process_krp.kp.nmissed);
}

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

	twctl_state_idx_init();
	for_each_kernel_tracepoint(twctl_find_tp, NULL);
	if (!twctl_set_state_tp) {
		pr_err("this kernel has no sock:inet_sock_set_state tracepoint\n");
		return -ENOENT;
	}
	err = tracepoint_probe_register(twctl_set_state_tp,
					twctl_set_state_probe, NULL);
	if (err) {
		pr_err("cannot attach to sock:inet_sock_set_state (%d)\n", err);
		return err;
	}

	if (TWCTL_TEST_TRACEPOINT_ONLY)
		return 0;
	err = twctl_hooks_arm();
	if (err)
		goto err_hooks;
	err = register_kretprobe(&twctl_tw_process_krp);
	if (err) {
		pr_err("cannot probe the return of %s (%d): this kernel lacks a TIME_WAIT function twctl needs\n",
		       twctl_tw_process_krp.kp.symbol_name, err);
		goto err_hooks;
	}
	twctl_krp_armed = true;
	return 0;

err_hooks:
	twctl_hooks_disarm();
	tracepoint_probe_unregister(twctl_set_state_tp, twctl_set_state_probe,
				    NULL);
	tracepoint_synchronize_unregister();
	return err;
}

/*
 * Afterwards no CPU is in a hook, nor in twctl_twsk_grant() or _deny(),
 * which only run where their caller holds the established-hash bucket
 * spinlock (preemption off, or on PREEMPT_RT an RCU read-side section: the
 * RCU grace period waits for it). The tracepoint needs
 * its own synchronisation.
 */
void twctl_hooks_exit(void)
{
	if (twctl_krp_armed)
		unregister_kretprobe(&twctl_tw_process_krp);
	twctl_hooks_disarm();
	synchronize_rcu();
	tracepoint_probe_unregister(twctl_set_state_tp, twctl_set_state_probe,
				    NULL);
	tracepoint_synchronize_unregister();
}
