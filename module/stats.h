/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The counters kept per network namespace: one enum entry and one row of
 * twctl_stat_desc each; sysfs and netlink loop over the table.
 */
#ifndef _TWCTL_STATS_H
#define _TWCTL_STATS_H

#include <linux/types.h>

#include <uapi/linux/twctl.h>

enum twctl_stat {
	TWCTL_STAT_REUSE_GRANTED,
	TWCTL_STAT_REUSE_REFUSED_POLICY,
	TWCTL_STAT_REUSE_REFUSED_NO_TS,
	TWCTL_STAT_TW_CREATED,
	TWCTL_STAT_TW_CREATED_FW2,
	TWCTL_STAT_TW_EXPIRED,
	TWCTL_STAT_TW_REUSED,
	TWCTL_STAT_TW_KILLED_RST,
	TWCTL_STAT_TW_KILLED_SYN,
	TWCTL_STAT_TW_KILLED_NETNS,
	TWCTL_STAT_TW_REARMED,
	TWCTL_STAT_TW_OVERFLOW,
	TWCTL_STAT_EVENTS_DROPPED,
	TWCTL_STAT_TW_CLASS_LOOPBACK,	/* + enum twctl_peer_class */
	TWCTL_STAT_TW_CLASS_LOCAL,
	TWCTL_STAT_TW_CLASS_REMOTE,
	TWCTL_STAT_TW_RTO_FLOORED,
	TWCTL_STAT_TW_RECORD_FAILED,
	TWCTL_STAT_TW_RECORD_CAPPED,
	TWCTL_STAT_MAX
};

/* The close-path states of the transition matrix, in this order. */
#define TWCTL_NSTATES	8

struct twctl_stats {
	u64 v[TWCTL_STAT_MAX];
	u64 trans[TWCTL_NSTATES][TWCTL_NSTATES];
	u64 hist[TWCTL_HIST_BUCKETS];	/* TIME_WAIT lifetimes, log2 ms */
};

struct twctl_stat_desc {
	const char *name;	/* sysfs file under stats/ */
	u16 attr;		/* TWCTL_A_STATS_* */
};

extern const struct twctl_stat_desc twctl_stat_desc[TWCTL_STAT_MAX];

/* TCP_* state of matrix index @i, and the reverse (-1: not a close state). */
extern const u8 twctl_close_states[TWCTL_NSTATES];
int twctl_close_state_index(int state);
const char *twctl_state_name(int state);

/* Histogram bucket of a lifetime, and the bucket's exclusive upper bound. */
unsigned int twctl_hist_bucket(u64 ms);
u64 twctl_hist_lt_ms(unsigned int bucket);

#endif /* _TWCTL_STATS_H */
