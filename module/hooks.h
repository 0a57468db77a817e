/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWCTL_HOOKS_H
#define _TWCTL_HOOKS_H

#include <linux/types.h>

struct net;

int twctl_hooks_init(void);
void twctl_hooks_exit(void);

/* Timewait sockets of @net now, as the kernel counts them. */
u64 twctl_tw_alive(const struct net *net);

/* Module-wide: hook runs that were skipped (a hook was busy in that context). */
u64 twctl_hooks_missed(void);

#endif /* _TWCTL_HOOKS_H */
