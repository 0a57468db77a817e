// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "twctl": policy and statistics of the network
 * namespace of the requesting socket. The commands and attributes are
 * defined in uapi/linux/twctl.h and described by the YNL spec
 * tools/ynl/twctl.yaml.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include <uapi/linux/twctl.h>
#include "compat.h"
#include "netlink.h"
#include "hooks.h"
#include "netns.h"
#include "twrec.h"
#include "version.h"

static struct genl_family twctl_genl_family;

static struct netlink_range_validation twctl_msl_range = {
	.min = TWCTL_MSL_MIN_MS,
	.max = TWCTL_MSL_MAX_MS,
};

static struct netlink_range_validation twctl_reuse_delay_range = {
	.min = TWCTL_REUSE_DELAY_MIN_MS,
	.max = TWCTL_REUSE_DELAY_MAX_MS,
};

/* per-class MSL: 0 (unset) or TWCTL_MSL_MIN_MS (1) .. TWCTL_MSL_MAX_MS */
static struct netlink_range_validation twctl_class_msl_range = {
	.min = 0,
	.max = TWCTL_MSL_MAX_MS,
};

static struct netlink_range_validation twctl_local_rtt_range = {
	.min = 0,
	.max = TWCTL_LOCAL_RTT_MAX_US,
};

static const struct nla_policy twctl_policy_nl_policy[TWCTL_A_POLICY_MAX + 1] = {
	[TWCTL_A_POLICY_MSL_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &twctl_msl_range),
	[TWCTL_A_POLICY_REUSE] = NLA_POLICY_MAX(NLA_U32, TWCTL_REUSE_ALWAYS),
	[TWCTL_A_POLICY_REUSE_DELAY_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &twctl_reuse_delay_range),
	[TWCTL_A_POLICY_MSL_LOOPBACK_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &twctl_class_msl_range),
	[TWCTL_A_POLICY_MSL_LOCAL_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &twctl_class_msl_range),
	[TWCTL_A_POLICY_MSL_REMOTE_MS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &twctl_class_msl_range),
	[TWCTL_A_POLICY_LOCAL_RTT_US] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &twctl_local_rtt_range),
	[TWCTL_A_POLICY_RTO_FLOOR] = NLA_POLICY_MAX(NLA_U32, 1),
};

/*
 * Requests carry TWCTL_A_POLICY only, and only set-policy does; the other
 * attributes exist in replies. Validation is strict (resv_start_op below):
 * unknown or unexpected attributes, trailing bytes and reserved header
 * fields are all refused.
 */
static const struct nla_policy twctl_nl_policy[TWCTL_A_MAX + 1] = {
	[TWCTL_A_VERSION] = { .type = NLA_REJECT },
	[TWCTL_A_MODULE_VERSION] = { .type = NLA_REJECT },
	[TWCTL_A_POLICY] = NLA_POLICY_NESTED(twctl_policy_nl_policy),
	[TWCTL_A_STATS] = { .type = NLA_REJECT },
	[TWCTL_A_EVENT] = { .type = NLA_REJECT },
};

/* One row per u32 knob: its attribute, its flag in a patch, its field. */
static const struct {
	u16 attr;
	u32 flag;
	size_t off;
} twctl_nl_knobs[] = {
	{ TWCTL_A_POLICY_MSL_MS, TWCTL_P_MSL,
	  offsetof(struct twctl_policy, msl_ms) },
	{ TWCTL_A_POLICY_REUSE, TWCTL_P_REUSE,
	  offsetof(struct twctl_policy, reuse) },
	{ TWCTL_A_POLICY_REUSE_DELAY_MS, TWCTL_P_REUSE_DELAY,
	  offsetof(struct twctl_policy, reuse_delay_ms) },
	{ TWCTL_A_POLICY_MSL_LOOPBACK_MS, TWCTL_P_MSL_LOOPBACK,
	  offsetof(struct twctl_policy, msl_class_ms[TWCTL_CLASS_LOOPBACK]) },
	{ TWCTL_A_POLICY_MSL_LOCAL_MS, TWCTL_P_MSL_LOCAL,
	  offsetof(struct twctl_policy, msl_class_ms[TWCTL_CLASS_LOCAL]) },
	{ TWCTL_A_POLICY_MSL_REMOTE_MS, TWCTL_P_MSL_REMOTE,
	  offsetof(struct twctl_policy, msl_class_ms[TWCTL_CLASS_REMOTE]) },
	{ TWCTL_A_POLICY_LOCAL_RTT_US, TWCTL_P_LOCAL_RTT,
	  offsetof(struct twctl_policy, local_rtt_us) },
	{ TWCTL_A_POLICY_RTO_FLOOR, TWCTL_P_RTO_FLOOR,
	  offsetof(struct twctl_policy, rto_floor) },
};

static u32 *twctl_knob_field(struct twctl_policy *p, size_t i)
{
	return (u32 *)((char *)p + twctl_nl_knobs[i].off);
}

static int twctl_nl_put_policy(struct sk_buff *msg, struct twctl_policy *p)
{
	struct nlattr *nest;
	size_t i;

	nest = nla_nest_start(msg, TWCTL_A_POLICY);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(twctl_nl_knobs); i++) {
		if (nla_put_u32(msg, twctl_nl_knobs[i].attr,
				*twctl_knob_field(p, i))) {
			nla_nest_cancel(msg, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int twctl_nl_put_trans(struct sk_buff *msg, int from, int to, u64 n)
{
	struct nlattr *nest = nla_nest_start(msg, TWCTL_A_STATS_TRANSITION);

	if (!nest ||
	    nla_put_u32(msg, TWCTL_A_TRANS_FROM, twctl_close_states[from]) ||
	    nla_put_u32(msg, TWCTL_A_TRANS_TO, twctl_close_states[to]) ||
	    nla_put_u64_64bit(msg, TWCTL_A_TRANS_COUNT, n, TWCTL_A_TRANS_PAD))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int twctl_nl_put_bucket(struct sk_buff *msg, unsigned int b, u64 n)
{
	struct nlattr *nest = nla_nest_start(msg, TWCTL_A_STATS_LIFETIME);

	if (!nest ||
	    nla_put_u64_64bit(msg, TWCTL_A_HIST_LT_MS, twctl_hist_lt_ms(b),
			      TWCTL_A_HIST_PAD) ||
	    nla_put_u64_64bit(msg, TWCTL_A_HIST_COUNT, n, TWCTL_A_HIST_PAD))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/*
 * The module-wide gauges (records alive, hook runs missed, namespaces) are
 * the host's, not the namespace's: they go to a request from init_net, or
 * from someone with CAP_NET_ADMIN over the initial user namespace (the
 * host's admin looking into a namespace), never to a container as if they
 * were its own.
 */
static int twctl_nl_put_module_wide(struct sk_buff *msg)
{
	if (nla_put_u64_64bit(msg, TWCTL_A_STATS_TW_RECORDS,
			      twctl_twrec_count(), TWCTL_A_STATS_PAD) ||
	    nla_put_u64_64bit(msg, TWCTL_A_STATS_HOOKS_MISSED,
			      twctl_hooks_missed(), TWCTL_A_STATS_PAD) ||
	    nla_put_u64_64bit(msg, TWCTL_A_STATS_NETNS_COUNT, twctl_netns_count(),
			      TWCTL_A_STATS_PAD))
		return -EMSGSIZE;
	return 0;
}

static int twctl_nl_put_stats_of(struct sk_buff *msg, struct net *net,
				 const struct twctl_stats *st)
{
	int i, j;

	for (i = 0; i < TWCTL_STAT_MAX; i++)
		if (nla_put_u64_64bit(msg, twctl_stat_desc[i].attr, st->v[i],
				      TWCTL_A_STATS_PAD))
			return -EMSGSIZE;
	if (nla_put_u64_64bit(msg, TWCTL_A_STATS_TW_ALIVE, twctl_tw_alive(net),
			      TWCTL_A_STATS_PAD) ||
	    nla_put_u64_64bit(msg, TWCTL_A_STATS_TW_RECORD_BYTES,
			      twctl_twrec_size, TWCTL_A_STATS_PAD))
		return -EMSGSIZE;
	for (i = 0; i < TWCTL_NSTATES; i++)
		for (j = 0; j < TWCTL_NSTATES; j++)
			if (st->trans[i][j] &&
			    twctl_nl_put_trans(msg, i, j, st->trans[i][j]))
				return -EMSGSIZE;
	for (i = 0; i < TWCTL_HIST_BUCKETS; i++)
		if (st->hist[i] && twctl_nl_put_bucket(msg, i, st->hist[i]))
			return -EMSGSIZE;
	return 0;
}

static int twctl_nl_put_stats_nest(struct sk_buff *msg, struct net *net,
				   bool module_wide)
{
	struct twctl_stats *st;
	struct nlattr *nest;
	int err = -ENOMEM;

	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return err;
	twctl_stats_read(net, st);
	nest = nla_nest_start(msg, TWCTL_A_STATS);
	err = nest ? twctl_nl_put_stats_of(msg, net, st) : -EMSGSIZE;
	if (!err && module_wide)
		err = twctl_nl_put_module_wide(msg);
	if (err)
		nla_nest_cancel(msg, nest);
	else
		nla_nest_end(msg, nest);
	kfree(st);
	return err;
}

static int twctl_nl_put_stats(struct sk_buff *msg, struct net *net)
{
	return twctl_nl_put_stats_nest(msg, net, true);
}

static int twctl_nl_put_stats_ns(struct sk_buff *msg, struct net *net)
{
	return twctl_nl_put_stats_nest(msg, net, false);
}

/* A reply to @info carrying the family version and what @fill adds. */
static int twctl_nl_reply(struct genl_info *info, u8 cmd,
			  int (*fill)(struct sk_buff *msg, struct net *net))
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &twctl_genl_family, 0, cmd);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free;
	}
	if (nla_put_u32(msg, TWCTL_A_VERSION, TWCTL_GENL_VERSION) ||
	    nla_put_string(msg, TWCTL_A_MODULE_VERSION, TWCTL_VERSION)) {
		err = -EMSGSIZE;
		goto err_free;
	}
	err = fill(msg, genl_info_net(info));
	if (err)
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return err;
}

/*
 * Newer kernels refuse a non-zero genlmsghdr.reserved for strict families
 * in the genetlink core; 6.1 does not, so check it here for every command.
 */
static int twctl_nl_check_hdr(struct genl_info *info)
{
	if (info->genlhdr->reserved) {
		NL_SET_ERR_MSG(info->extack, "genlmsghdr.reserved field is not 0");
		return -EINVAL;
	}
	return 0;
}

/* Commands that take no attribute refuse one rather than ignore it. */
static int twctl_nl_check_no_attrs(struct genl_info *info)
{
	int i;

	for (i = 1; i <= TWCTL_A_MAX; i++) {
		if (info->attrs[i]) {
			NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[i],
					    "this command takes no attributes");
			return -EINVAL;
		}
	}
	return twctl_nl_check_hdr(info);
}

static int twctl_nl_fill_policy(struct sk_buff *msg, struct net *net)
{
	struct twctl_policy p;

	twctl_policy_get(net, &p);
	return twctl_nl_put_policy(msg, &p);
}

static int twctl_nl_get_policy(struct sk_buff *skb, struct genl_info *info)
{
	return twctl_nl_check_no_attrs(info) ?:
	       twctl_nl_reply(info, TWCTL_CMD_GET_POLICY, twctl_nl_fill_policy);
}

static int twctl_nl_set_policy(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[TWCTL_A_POLICY_MAX + 1];
	struct twctl_policy_patch patch = {};
	struct nlattr *nest;
	size_t i;
	int err;

	err = twctl_nl_check_hdr(info);
	if (err)
		return err;
	if (GENL_REQ_ATTR_CHECK(info, TWCTL_A_POLICY))
		return -EINVAL;
	nest = info->attrs[TWCTL_A_POLICY];
	err = nla_parse_nested(tb, TWCTL_A_POLICY_MAX, nest,
			       twctl_policy_nl_policy, info->extack);
	if (err)
		return err;

	for (i = 0; i < ARRAY_SIZE(twctl_nl_knobs); i++) {
		if (!tb[twctl_nl_knobs[i].attr])
			continue;
		*twctl_knob_field(&patch.val, i) =
			nla_get_u32(tb[twctl_nl_knobs[i].attr]);
		patch.set |= twctl_nl_knobs[i].flag;
	}
	if (!patch.set) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest,
				    "no policy attribute to set");
		return -EINVAL;
	}

	err = twctl_policy_update(genl_info_net(info), &patch);
	if (err == -ENOMEM)
		NL_SET_ERR_MSG(info->extack, "out of memory for the new policy");
	else if (err)
		NL_SET_ERR_MSG_ATTR(info->extack, nest,
				    "policy values are inconsistent");
	return err;
}

static int twctl_nl_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	bool module_wide = net_eq(genl_info_net(info), &init_net) ||
			   netlink_capable(skb, CAP_NET_ADMIN);

	return twctl_nl_check_no_attrs(info) ?:
	       twctl_nl_reply(info, TWCTL_CMD_GET_STATS, module_wide ?
			      twctl_nl_put_stats : twctl_nl_put_stats_ns);
}

static int twctl_nl_reset_stats(struct sk_buff *skb, struct genl_info *info)
{
	int err = twctl_nl_check_no_attrs(info);

	if (!err)
		twctl_stats_reset(genl_info_net(info));
	return err;
}

static const struct genl_small_ops twctl_genl_ops[] = {
	{
		.cmd = TWCTL_CMD_GET_POLICY,
		.doit = twctl_nl_get_policy,
	},
	{
		.cmd = TWCTL_CMD_SET_POLICY,
		.doit = twctl_nl_set_policy,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = TWCTL_CMD_GET_STATS,
		.doit = twctl_nl_get_stats,
	},
	{
		.cmd = TWCTL_CMD_RESET_STATS,
		.doit = twctl_nl_reset_stats,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

/*
 * Events carry other sockets' addresses and ports: only CAP_NET_ADMIN in
 * the user namespace that owns the network namespace may listen (the
 * root of a container in its own).
 */
static const struct genl_multicast_group twctl_mcgrps[] = {
	{ .name = TWCTL_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

/*
 * Events each CPU may send for each namespace: a burst of TWCTL_EV_BURST,
 * then TWCTL_EV_PER_SEC a second (twctl_ev_bucket_take()). A busy
 * namespace's listener cannot use up another namespace's budget, and a
 * listener's share does not depend on where a second's edge falls.
 */
static bool twctl_ev_take(struct twctl_pernet *pn)
{
	return twctl_ev_bucket_take(this_cpu_ptr(pn->ev_budget), jiffies, HZ);
}

/* An event that will not be sent still takes its sequence number. */
static void twctl_ev_drop(struct twctl_pernet *pn)
{
	atomic64_inc(&pn->ev_seq);
	twctl_pn_stat_inc(pn, TWCTL_STAT_EVENTS_DROPPED);
}

/*
 * Whether anyone listens to the events, in some namespace (the listeners'
 * map is the protocol's, for all namespaces; the multicast finds which).
 * netlink_has_listeners() takes and drops the RCU read lock, out-of-line
 * calls with preemptible RCU, on each of a connection's six close-path
 * state changes: where the family is told of new members (compat.h), the
 * answer is kept per CPU for the rest of the jiffy. A new listener is
 * never missed: the bind callback runs before its membership takes effect
 * and every check asks the map for a second after it. One that left may
 * be seen for a jiffy more; sending to nobody costs only the datagram.
 */
#if TWCTL_GENL_BIND
struct twctl_listening {
	unsigned long at;	/* jiffies of the answer */
	bool yes;
};

static DEFINE_PER_CPU(struct twctl_listening, twctl_listening);
static unsigned long twctl_bound_at;	/* jiffies of the last join */
static unsigned long twctl_binds;	/* joins so far; under twctl_bind_lock */
static DEFINE_SPINLOCK(twctl_bind_lock);

static int twctl_genl_bind(int group)
{
	spin_lock(&twctl_bind_lock);
	twctl_binds++;
	WRITE_ONCE(twctl_bound_at, jiffies);
	spin_unlock(&twctl_bind_lock);
	return 0;
}

/*
 * The cache is right only if every join calls twctl_genl_bind() first. At
 * load, a kernel socket joins the events group and must be seen; its own
 * join then leaves no exact second behind, unless a listener joined too.
 */
static int twctl_genl_bind_check(void)
{
	unsigned int group = twctl_genl_family.mcgrp_offset;
	struct socket *sock;
	unsigned long n;
	int err;

	spin_lock(&twctl_bind_lock);
	n = twctl_binds;
	spin_unlock(&twctl_bind_lock);
	err = sock_create_kern(&init_net, PF_NETLINK, SOCK_RAW, NETLINK_GENERIC,
			       &sock);
	if (!err) {
		err = sock->ops->setsockopt(sock, SOL_NETLINK,
					    NETLINK_ADD_MEMBERSHIP,
					    KERNEL_SOCKPTR(&group), sizeof(group));
		sock_release(sock);
	}
	spin_lock(&twctl_bind_lock);
	if (!err && twctl_binds == n)
		err = -EINVAL;
	if (!err && twctl_binds == n + 1)
		WRITE_ONCE(twctl_bound_at, jiffies - 2 * HZ);
	spin_unlock(&twctl_bind_lock);
	if (err)
		pr_err("joining the events group does not reach the family's bind callback (%d)\n",
		       err);
	return err;
}

static bool twctl_anyone_listens(struct net *net)
{
	struct twctl_listening *l = this_cpu_ptr(&twctl_listening);
	unsigned long now = jiffies;

	if (l->at != now || time_before(now, READ_ONCE(twctl_bound_at) + HZ)) {
		l->yes = genl_has_listeners(&twctl_genl_family, net, 0);
		l->at = now;
	}
	return l->yes;
}
#else
static bool twctl_anyone_listens(struct net *net)
{
	return genl_has_listeners(&twctl_genl_family, net, 0);
}

static int twctl_genl_bind_check(void)
{
	return 0;
}
#endif

/*
 * Whether a hook is to build an event of @net, then sent with
 * twctl_event_send(): someone listens and @net's budget on this CPU has
 * room. One over the budget is dropped here, before it is built. Hooks
 * only: preemption is off.
 */
bool twctl_event_wanted(struct net *net)
{
	struct twctl_pernet *pn;

	if (!twctl_anyone_listens(net))
		return false;
	pn = twctl_pernet_hot(net);
	if (twctl_ev_take(pn))
		return true;
	twctl_ev_drop(pn);
	return false;
}

static int twctl_ev_fill(struct sk_buff *skb, const struct twctl_event *ev,
			 u64 seq)
{
	int alen = ev->family == AF_INET6 ? 16 : 4;
	struct nlattr *nest = nla_nest_start(skb, TWCTL_A_EVENT);

	if (!nest ||
	    nla_put_u64_64bit(skb, TWCTL_A_EV_SEQ, seq, TWCTL_A_EV_PAD) ||
	    nla_put_u32(skb, TWCTL_A_EV_KIND, ev->kind) ||
	    nla_put_u32(skb, TWCTL_A_EV_FAMILY, ev->family) ||
	    nla_put(skb, TWCTL_A_EV_SADDR, alen, ev->saddr) ||
	    nla_put(skb, TWCTL_A_EV_DADDR, alen, ev->daddr) ||
	    nla_put_u32(skb, TWCTL_A_EV_SPORT, ev->sport) ||
	    nla_put_u32(skb, TWCTL_A_EV_DPORT, ev->dport) ||
	    nla_put_u32(skb, TWCTL_A_EV_OLD, ev->old) ||
	    nla_put_u32(skb, TWCTL_A_EV_NEW, ev->new) ||
	    (ev->kind != TWCTL_EV_STATE &&
	     nla_put_u32(skb, TWCTL_A_EV_LIFETIME_MS, ev->lifetime_ms)))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * Events are made in the hooks, with preemption off (an ftrace callback, a
 * tracepoint probe), where nothing may sleep: on PREEMPT_RT that rules out
 * allocating (the slab's locks sleep there) and netlink_broadcast() (its
 * locks too), GFP_ATOMIC or not. So a hook only copies its event into a
 * queue preallocated at load, under a raw spinlock (a real spinning lock on
 * PREEMPT_RT as elsewhere), and a work item sends what is queued, from
 * process context. A queued event holds a reference on its namespace: one
 * with an event listener cannot be going away (the listening socket holds
 * one too), so maybe_get_net() fails only where nobody listens.
 *
 * The work runs TWCTL_EV_BATCH_MS after the first event queued, or at once
 * when the queue is half full, and sends the events of one namespace that
 * follow each other in the queue as one datagram of as many messages as a
 * page holds: a busy host's listener is woken and reads once for a batch,
 * not for every event, and the hooks' CPU allocates and multicasts once.
 * The budget refills at TWCTL_EV_PER_SEC, so a flood past its burst comes
 * at a steady trickle: waiting a tick (4 events at HZ 250) woke a listener
 * 250 times a second, waiting 20 ms wakes it 50 times with 20 each.
 *
 * The queue holds TWCTL_EVQ_LEN events, module-wide: two seconds of one
 * namespace's budget on one CPU. Every event takes its namespace's next
 * sequence number when it is queued or dropped (under the queue's lock,
 * so that the queue's order is the sequence's), and one that finds the
 * queue full, or no memory to be sent in, is counted in events_dropped:
 * listeners see the gap.
 */
#define TWCTL_EVQ_LEN	2048
#define TWCTL_EV_BATCH_MS	20

struct twctl_evq_item {
	struct net *net;
	u64 seq;
	struct twctl_event ev;
};

static struct {
	raw_spinlock_t lock;
	unsigned int head, len;		/* oldest item; items queued */
	struct twctl_evq_item *item;	/* TWCTL_EVQ_LEN of them */
	struct delayed_work work;
} twctl_evq = {
	.lock = __RAW_SPIN_LOCK_UNLOCKED(twctl_evq.lock),
};

/* After twctl_event_wanted() said yes; never sleeps or allocates. */
void twctl_event_send(struct net *net, const struct twctl_event *ev)
{
	struct twctl_pernet *pn = twctl_pernet_hot(net);
	struct twctl_evq_item *it;
	unsigned long flags;
	bool now;

	if (!maybe_get_net(net)) {
		twctl_ev_drop(pn);
		return;
	}
	raw_spin_lock_irqsave(&twctl_evq.lock, flags);
	if (twctl_evq.len == TWCTL_EVQ_LEN) {
		twctl_ev_drop(pn);
		raw_spin_unlock_irqrestore(&twctl_evq.lock, flags);
		put_net(net);	/* even the last reference: that only queues work */
		return;
	}
	it = &twctl_evq.item[(twctl_evq.head + twctl_evq.len++) % TWCTL_EVQ_LEN];
	it->net = net;
	it->seq = atomic64_inc_return(&pn->ev_seq);
	it->ev = *ev;
	now = twctl_evq.len >= TWCTL_EVQ_LEN / 2;
	raw_spin_unlock_irqrestore(&twctl_evq.lock, flags);
	if (now)
		mod_delayed_work(system_wq, &twctl_evq.work, 0);
	else
		queue_delayed_work(system_wq, &twctl_evq.work,
				   msecs_to_jiffies(TWCTL_EV_BATCH_MS));
}

/* Take the oldest queued event; false when none is left. */
static bool twctl_evq_pop(struct twctl_evq_item *it)
{
	bool any;

	raw_spin_lock_irq(&twctl_evq.lock);
	any = twctl_evq.len;
	if (any) {
		*it = twctl_evq.item[twctl_evq.head];
		twctl_evq.head = (twctl_evq.head + 1) % TWCTL_EVQ_LEN;
		twctl_evq.len--;
	}
	raw_spin_unlock_irq(&twctl_evq.lock);
	return any;
}

/* One more message in @skb; false, and @skb as it was, when it is full. */
static bool twctl_ev_append(struct sk_buff *skb, const struct twctl_evq_item *it)
{
	void *hdr = genlmsg_put(skb, 0, 0, &twctl_genl_family, 0,
				TWCTL_CMD_EVENT);

	if (!hdr)
		return false;
	if (twctl_ev_fill(skb, &it->ev, it->seq)) {
		genlmsg_cancel(skb, hdr);
		return false;
	}
	genlmsg_end(skb, hdr);
	return true;
}

/* Multicast @skb in @net and drop the reference its batch kept. */
static void twctl_ev_flush(struct sk_buff *skb, struct net *net)
{
	genlmsg_multicast_netns(&twctl_genl_family, net, skb, 0, 0, GFP_KERNEL);
	put_net(net);
}

/*
 * Send every queued event, oldest first, batched: a run of one namespace's
 * events shares a datagram, whose batch keeps one of their references.
 */
static void twctl_evq_work(struct work_struct *work)
{
	struct sk_buff *skb = NULL;
	struct twctl_evq_item it;
	struct net *net = NULL;

	while (twctl_evq_pop(&it)) {
		if (skb && it.net == net && twctl_ev_append(skb, &it)) {
			put_net(it.net);
			continue;
		}
		if (skb) {
			twctl_ev_flush(skb, net);
			cond_resched();
		}
		net = it.net;
		skb = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
		if (!skb || !twctl_ev_append(skb, &it)) {
			nlmsg_free(skb);
			skb = NULL;
			twctl_stat_inc(net, TWCTL_STAT_EVENTS_DROPPED);
			put_net(net);
		}
	}
	if (skb)
		twctl_ev_flush(skb, net);
}

static struct genl_family twctl_genl_family __ro_after_init = {
	.name = TWCTL_GENL_NAME,
	.version = TWCTL_GENL_VERSION,
	.maxattr = TWCTL_A_MAX,
	.policy = twctl_nl_policy,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.small_ops = twctl_genl_ops,
	.n_small_ops = ARRAY_SIZE(twctl_genl_ops),
	.mcgrps = twctl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(twctl_mcgrps),
#if TWCTL_GENL_BIND
	.bind = twctl_genl_bind,
#endif
	/* resv_start_op 0: the core checks every command strictly */
};

int twctl_genl_init(void)
{
	int err;

	twctl_evq.item = kvcalloc(TWCTL_EVQ_LEN, sizeof(*twctl_evq.item),
				  GFP_KERNEL);
	if (!twctl_evq.item)
		return -ENOMEM;
	INIT_DELAYED_WORK(&twctl_evq.work, twctl_evq_work);
#if TWCTL_GENL_BIND
	/* none yet: nobody can join before the family is registered below */
	twctl_bound_at = jiffies - 2 * HZ;
#endif
	err = genl_register_family(&twctl_genl_family);
	if (err)
		goto free;
	err = twctl_genl_bind_check();
	if (err)
		goto unregister;
	return 0;
unregister:
	genl_unregister_family(&twctl_genl_family);
free:
	kvfree(twctl_evq.item);
	return err;
}

/* After the hooks are gone: nothing queues any more. */
void twctl_genl_exit(void)
{
	flush_delayed_work(&twctl_evq.work);
	WARN_ON_ONCE(twctl_evq.len);
	genl_unregister_family(&twctl_genl_family);
	kvfree(twctl_evq.item);
}
