// SPDX-License-Identifier: GPL-2.0
/*
 * Per-network-namespace policy and counters.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "netns.h"
#include "params.h"

unsigned int twctl_net_id __read_mostly;

/* Serialises policy writers and counter resets; readers use RCU. */
static DEFINE_MUTEX(twctl_policy_mutex);

void twctl_policy_get(const struct net *net, struct twctl_policy *out)
{
	const struct twctl_snap *s;

	rcu_read_lock();
	s = twctl_snap_rcu(net);
	if (s)
		*out = s->pol;
	else
		twctl_policy_init_default(out);
	rcu_read_unlock();
}

static struct twctl_snap *twctl_snap_new(const struct twctl_policy *p,
					 const struct twctl_snap *old)
{
	struct twctl_snap *s = kzalloc(sizeof(*s), GFP_KERNEL);
	unsigned long now = jiffies;
	int c;

	if (!s)
		return NULL;
	s->pol = *p;
	s->tw_timeo = twctl_tw_timeo(p);
	s->records = twctl_policy_needs_records(p);
	if (old)
		s->age_bias = old->age_bias;
	for (c = 0; c < TWCTL_NCLASSES; c++) {
		s->class_timeo[c] = twctl_class_timeo_hz(p, c, HZ);
		/* the bias covers the class whose length grew most */
		if (old)
			twctl_age_bias_update(&s->age_bias, old->class_timeo[c],
					      s->class_timeo[c], now);
	}
	return s;
}

static struct twctl_snap *twctl_snap_locked(struct twctl_pernet *pn)
{
	return rcu_dereference_protected(pn->snap,
					 lockdep_is_held(&twctl_policy_mutex));
}

/*
 * Apply @patch to the policy of @net as one update: either every field in it
 * takes effect or, when the result is invalid, none does. Writers are
 * serialised, so concurrent patches of different fields do not undo each
 * other.
 */
int twctl_policy_update(struct net *net, const struct twctl_policy_patch *patch)
{
	struct twctl_pernet *pn = twctl_pernet(net);
	struct twctl_snap *cur, *s;
	struct twctl_policy p;
	int err = -ENODEV;

	mutex_lock(&twctl_policy_mutex);
	cur = twctl_snap_locked(pn);
	if (!cur)
		goto out;		/* the namespace is being dismantled */
	err = twctl_policy_apply(&cur->pol, patch, &p);
	if (err)
		goto out;
	s = twctl_snap_new(&p, cur);
	if (!s) {
		err = -ENOMEM;
		goto out;
	}
	rcu_assign_pointer(pn->snap, s);
	kfree_rcu(cur, rcu);
out:
	mutex_unlock(&twctl_policy_mutex);
	return err;
}

/* struct twctl_stats is u64 counters only; sum it as a flat array. */
#define TWCTL_STATS_N	(sizeof(struct twctl_stats) / sizeof(u64))

static void twctl_stats_sum(const struct twctl_pernet *pn,
			    struct twctl_stats *sum)
{
	u64 *out = (u64 *)sum;
	int cpu;
	size_t i;

	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		const u64 *c = (const u64 *)per_cpu_ptr(pn->stats, cpu);

		for (i = 0; i < TWCTL_STATS_N; i++)
			out[i] += READ_ONCE(c[i]);
	}
}

void twctl_stats_read(const struct net *net, struct twctl_stats *out)
{
	struct twctl_pernet *pn = twctl_pernet(net);
	const u64 *base = (const u64 *)&pn->base;
	u64 *o = (u64 *)out;
	size_t i;

	mutex_lock(&pn->stats_mutex);
	twctl_stats_sum(pn, out);
	for (i = 0; i < TWCTL_STATS_N; i++)
		o[i] -= base[i];
	mutex_unlock(&pn->stats_mutex);
}

void twctl_stats_reset(const struct net *net)
{
	struct twctl_pernet *pn = twctl_pernet(net);

	mutex_lock(&pn->stats_mutex);
	twctl_stats_sum(pn, &pn->base);
	mutex_unlock(&pn->stats_mutex);
}

static atomic_long_t twctl_netns_alive = ATOMIC_LONG_INIT(0);

u64 twctl_netns_count(void)
{
	return atomic_long_read(&twctl_netns_alive);
}

static int __net_init twctl_net_init(struct net *net)
{
	struct twctl_pernet *pn = twctl_pernet(net);
	struct twctl_policy p;
	struct twctl_snap *s;

	mutex_init(&pn->stats_mutex);
	pn->stats = alloc_percpu(struct twctl_stats);
	pn->ev_budget = alloc_percpu(struct twctl_ev_bucket);	/* zeroed: full */
	twctl_params_default(&p);
	s = pn->stats && pn->ev_budget ? twctl_snap_new(&p, NULL) : NULL;
	if (!s) {
		free_percpu(pn->ev_budget);
		free_percpu(pn->stats);
		return -ENOMEM;
	}
	RCU_INIT_POINTER(pn->snap, s);
	atomic_long_inc(&twctl_netns_alive);
	return 0;
}

/*
 * Unpublish the policy first; the netns core waits for an RCU grace period
 * between pre_exit and exit, so no hook still uses the counters when exit
 * frees them.
 */
static void __net_exit twctl_net_pre_exit(struct net *net)
{
	struct twctl_pernet *pn = twctl_pernet(net);
	struct twctl_snap *old;

	mutex_lock(&twctl_policy_mutex);
	old = twctl_snap_locked(pn);
	RCU_INIT_POINTER(pn->snap, NULL);
	mutex_unlock(&twctl_policy_mutex);
	kfree_rcu(old, rcu);
}

static void __net_exit twctl_net_exit(struct net *net)
{
	free_percpu(twctl_pernet(net)->ev_budget);
	free_percpu(twctl_pernet(net)->stats);
	atomic_long_dec(&twctl_netns_alive);
}

static struct pernet_operations twctl_net_ops = {
	.init = twctl_net_init,
	.pre_exit = twctl_net_pre_exit,
	.exit = twctl_net_exit,
	.id = &twctl_net_id,
	.size = sizeof(struct twctl_pernet),
};

int twctl_netns_init(void)
{
	bool same;
	int err;

	err = register_pernet_subsys(&twctl_net_ops);
	if (err)
		return err;
	preempt_disable();
	same = twctl_pernet_hot(&init_net) == twctl_pernet(&init_net);
	preempt_enable();
	if (!same) {
		pr_err("net_generic() is not read as this module expects\n");
		unregister_pernet_subsys(&twctl_net_ops);
		return -EINVAL;
	}
	return 0;
}

void twctl_netns_exit(void)
{
	unregister_pernet_subsys(&twctl_net_ops);
}
