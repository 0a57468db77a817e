/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWCTL_NETNS_H
#define _TWCTL_NETNS_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "policy.h"
#include "stats.h"

/*
 * Per-netns state. The policy is an immutable snapshot replaced as a whole
 * under twctl_policy_mutex and read under RCU, so the hot path takes no lock
 * and always sees every field of one update, never a mix of two. Counters
 * are per-CPU; a reset records a baseline instead of writing other CPUs'
 * counters.
 */
struct twctl_snap {
	struct twctl_policy pol;
	unsigned long tw_timeo;		/* 2 x MSL in jiffies, for the hot path */
	unsigned long class_timeo[TWCTL_NCLASSES];	/* by peer class */
	bool records;			/* twctl_policy_needs_records() */
	struct twctl_age_bias age_bias;	/* for ages read off TW timers */
	struct rcu_head rcu;
};

/*
 * Readers and resets of a namespace's counters take its own stats_mutex,
 * never the policy mutex that namespace teardown takes: reading counters
 * cannot delay another namespace's exit.
 */
struct twctl_pernet {
	struct twctl_snap __rcu *snap;
	bool records_made;	/* see twctl_tw_length() (hooks.c) */
	struct twctl_stats __percpu *stats;
	struct mutex stats_mutex;	/* counter reads and resets */
	struct twctl_stats base;	/* at the last reset; under stats_mutex */
	atomic64_t ev_seq;		/* last event sequence number sent */
	struct twctl_ev_bucket __percpu *ev_budget;	/* twctl_ev_take() */
};

extern unsigned int twctl_net_id;

int twctl_netns_init(void);
void twctl_netns_exit(void);

/* Module-wide gauge: namespaces twctl holds state for (set up, not torn down). */
u64 twctl_netns_count(void);

static inline struct twctl_pernet *twctl_pernet(const struct net *net)
{
	return net_generic(net, twctl_net_id);
}

/* Hot path. Caller holds rcu_read_lock(); NULL while the netns dies. */
static inline const struct twctl_snap *twctl_snap_rcu(const struct net *net)
{
	return rcu_dereference(twctl_pernet(net)->snap);
}

/*
 * For the hooks, which look the namespace's state up once
 * (net_generic() takes and drops the RCU read lock each time) and run with
 * preemption off: inside a tracepoint or under ftrace's recursion lock. A
 * preemption-disabled region is an RCU read-side critical section for
 * synchronize_rcu() and kfree_rcu(), so they take no rcu_read_lock().
 */
static inline const struct twctl_snap *twctl_pn_snap(const struct twctl_pernet *pn)
{
	return rcu_dereference_sched(pn->snap);
}

/*
 * twctl_pernet() for those hooks: net_generic() without its rcu_read_lock(),
 * a pair of calls on a kernel with preemptible RCU (Debian's 6.12 and 7.x,
 * PREEMPT_DYNAMIC) on every state change of every TCP socket. The array is
 * freed with kfree_rcu(), so preemption off is enough to read it.
 * twctl_netns_init() checks at load that both find the same state.
 */
static inline struct twctl_pernet *twctl_pernet_hot(const struct net *net)
{
	return rcu_dereference_sched(net->gen)->ptr[twctl_net_id];
}

static inline void twctl_pn_stat_inc(struct twctl_pernet *pn, enum twctl_stat i)
{
	this_cpu_inc(pn->stats->v[i]);
}

static inline void twctl_pn_trans_inc(struct twctl_pernet *pn, int from, int to)
{
	this_cpu_inc(pn->stats->trans[from][to]);
}

static inline void twctl_pn_hist_inc(struct twctl_pernet *pn, unsigned int bucket)
{
	this_cpu_inc(pn->stats->hist[bucket]);
}

/* Any context; only while twctl_snap_rcu(net) is not NULL. */
static inline void twctl_stat_inc(const struct net *net, enum twctl_stat i)
{
	twctl_pn_stat_inc(twctl_pernet(net), i);
}

void twctl_policy_get(const struct net *net, struct twctl_policy *out);
int twctl_policy_update(struct net *net, const struct twctl_policy_patch *patch);
void twctl_stats_read(const struct net *net, struct twctl_stats *out);
void twctl_stats_reset(const struct net *net);

#endif /* _TWCTL_NETNS_H */
