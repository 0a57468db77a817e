/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWCTL_NETNS_H
#define _TWCTL_NETNS_H

#include <net/net_namespace.h>
#include "policy.h"

/*
 * Per-netns state. The policy is an immutable snapshot replaced as a whole
 * under twctl_policy_mutex and read under RCU, so the hot path takes no lock
 * and always sees every field of one update, never a mix of two.
 */
struct twctl_snap {
	struct twctl_policy pol;
	unsigned long tw_timeo;		/* 2 x MSL in jiffies, for the hot path */
	struct rcu_head rcu;
};

struct twctl_pernet {
	struct twctl_snap __rcu *snap;
};

int twctl_netns_init(void);
void twctl_netns_exit(void);

/* Hot path. Caller holds rcu_read_lock(); may return NULL (dying netns). */
const struct twctl_snap *twctl_snap_rcu(const struct net *net);

void twctl_policy_get(const struct net *net, struct twctl_policy *out);
int twctl_policy_update(struct net *net, const struct twctl_policy_patch *patch);

#endif /* _TWCTL_NETNS_H */
