// SPDX-License-Identifier: GPL-2.0
/*
 * Per-network-namespace policy storage.
 */
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <net/netns/generic.h>

#include "netns.h"

static unsigned int twctl_net_id __read_mostly;

/* Serialises writers; readers use RCU. */
static DEFINE_MUTEX(twctl_policy_mutex);

static struct twctl_pernet *twctl_pernet(const struct net *net)
{
	return net_generic(net, twctl_net_id);
}

const struct twctl_snap *twctl_snap_rcu(const struct net *net)
{
	return rcu_dereference(twctl_pernet(net)->snap);
}

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

static struct twctl_snap *twctl_snap_new(const struct twctl_policy *p)
{
	struct twctl_snap *s = kzalloc(sizeof(*s), GFP_KERNEL);

	if (!s)
		return NULL;
	s->pol = *p;
	s->tw_timeo = twctl_tw_timeo(p);
	return s;
}

/* Publish @s (may be NULL) as the policy of @pn; caller holds the mutex. */
static void twctl_snap_swap(struct twctl_pernet *pn, struct twctl_snap *s)
{
	struct twctl_snap *old;

	old = rcu_replace_pointer(pn->snap, s,
				  lockdep_is_held(&twctl_policy_mutex));
	kfree_rcu(old, rcu);
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
	const struct twctl_snap *cur;
	struct twctl_policy base, p;
	struct twctl_snap *s;
	int err;

	mutex_lock(&twctl_policy_mutex);
	cur = rcu_dereference_protected(pn->snap,
					lockdep_is_held(&twctl_policy_mutex));
	if (cur)
		base = cur->pol;
	else
		twctl_policy_init_default(&base);
	err = twctl_policy_apply(&base, patch, &p);
	if (err)
		goto out;
	s = twctl_snap_new(&p);
	if (!s) {
		err = -ENOMEM;
		goto out;
	}
	twctl_snap_swap(pn, s);
out:
	mutex_unlock(&twctl_policy_mutex);
	return err;
}

static int __net_init twctl_net_init(struct net *net)
{
	struct twctl_policy p;
	struct twctl_snap *s;

	twctl_policy_init_default(&p);
	s = twctl_snap_new(&p);
	if (!s)
		return -ENOMEM;
	RCU_INIT_POINTER(twctl_pernet(net)->snap, s);
	return 0;
}

static void __net_exit twctl_net_exit(struct net *net)
{
	mutex_lock(&twctl_policy_mutex);
	twctl_snap_swap(twctl_pernet(net), NULL);
	mutex_unlock(&twctl_policy_mutex);
}

static struct pernet_operations twctl_net_ops = {
	.init = twctl_net_init,
	.exit = twctl_net_exit,
	.id = &twctl_net_id,
	.size = sizeof(struct twctl_pernet),
};

int twctl_netns_init(void)
{
	return register_pernet_subsys(&twctl_net_ops);
}

void twctl_netns_exit(void)
{
	unregister_pernet_subsys(&twctl_net_ops);
}
