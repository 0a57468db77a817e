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

/*
 * The load-time self-test (selftest.c): what the hooks saw of the loopback
 * connections it watches (by local port, in the initial namespace).
 */
enum twctl_st_event {
	TWCTL_ST_ENTRY,		/* tcp_time_wait() was entered */
	TWCTL_ST_FIRST_TW,	/* first arming, as TIME_WAIT */
	TWCTL_ST_FIRST_FW2,	/* first arming, as FIN_WAIT2 */
	TWCTL_ST_REARM,		/* re-armed as TIME_WAIT */
	TWCTL_ST_HANDED_OVER,	/* the full socket's close seen as its TIME_WAIT */
	TWCTL_ST_EXPIRED,	/* ended by its timer */
	TWCTL_ST_FREED,		/* freed (tcp_twsk_destructor()) */
};

#define TWCTL_ST_SLOTS 3

/* Watched TIME_WAITs get @timeo (jiffies) instead of TCP_TIMEWAIT_LEN. */
void twctl_hooks_selftest_begin(unsigned long timeo);
void twctl_hooks_selftest_watch(int slot, u16 port);
unsigned long twctl_hooks_selftest_seen(int slot);
void twctl_hooks_selftest_end(void);

#endif /* _TWCTL_HOOKS_H */
