/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWCTL_NETLINK_H
#define _TWCTL_NETLINK_H

#include <linux/types.h>

struct net;

int twctl_genl_init(void);
void twctl_genl_exit(void);

/* An event for the "events" group, filled in by the hooks. */
struct twctl_event {
	u32 kind;			/* enum twctl_event_kind */
	u16 family;
	u16 sport, dport;		/* host order */
	u8 saddr[16], daddr[16];	/* IPv4: the first 4 bytes */
	u32 old, new;			/* TCP states */
	u32 lifetime_ms;
};

/* Any CPU, any context. Cheap when nobody listens in @net. */
bool twctl_event_wanted(struct net *net);
void twctl_event_send(struct net *net, const struct twctl_event *ev);

#endif /* _TWCTL_NETLINK_H */
