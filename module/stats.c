// SPDX-License-Identifier: GPL-2.0
/*
 * Names and netlink attributes of the per-namespace counters, and the pure
 * arithmetic of the transition matrix and the lifetime histogram.
 */
#include <linux/bitops.h>
#include <linux/minmax.h>

#include <uapi/linux/twctl.h>
#include "stats.h"

const struct twctl_stat_desc twctl_stat_desc[TWCTL_STAT_MAX] = {
	[TWCTL_STAT_REUSE_GRANTED] = {
		"reuse_granted", TWCTL_A_STATS_REUSE_GRANTED },
	[TWCTL_STAT_REUSE_REFUSED_POLICY] = {
		"reuse_refused_policy", TWCTL_A_STATS_REUSE_REFUSED_POLICY },
	[TWCTL_STAT_REUSE_REFUSED_NO_TS] = {
		"reuse_refused_no_ts", TWCTL_A_STATS_REUSE_REFUSED_NO_TS },
	[TWCTL_STAT_TW_CREATED] = { "tw_created", TWCTL_A_STATS_TW_CREATED },
	[TWCTL_STAT_TW_CREATED_FW2] = {
		"tw_created_fin_wait2", TWCTL_A_STATS_TW_CREATED_FW2 },
	[TWCTL_STAT_TW_EXPIRED] = { "tw_expired", TWCTL_A_STATS_TW_EXPIRED },
	[TWCTL_STAT_TW_REUSED] = { "tw_reused", TWCTL_A_STATS_TW_REUSED },
	[TWCTL_STAT_TW_KILLED_RST] = {
		"tw_killed_rst", TWCTL_A_STATS_TW_KILLED_RST },
	[TWCTL_STAT_TW_KILLED_SYN] = {
		"tw_killed_syn", TWCTL_A_STATS_TW_KILLED_SYN },
	[TWCTL_STAT_TW_KILLED_NETNS] = {
		"tw_killed_netns", TWCTL_A_STATS_TW_KILLED_NETNS },
	[TWCTL_STAT_TW_REARMED] = { "tw_rearmed", TWCTL_A_STATS_TW_REARMED },
	[TWCTL_STAT_TW_OVERFLOW] = { "tw_overflow", TWCTL_A_STATS_TW_OVERFLOW },
	[TWCTL_STAT_EVENTS_DROPPED] = {
		"events_dropped", TWCTL_A_STATS_EVENTS_DROPPED },
	[TWCTL_STAT_TW_CLASS_LOOPBACK] = {
		"tw_class_loopback", TWCTL_A_STATS_TW_CLASS_LOOPBACK },
	[TWCTL_STAT_TW_CLASS_LOCAL] = {
		"tw_class_local", TWCTL_A_STATS_TW_CLASS_LOCAL },
	[TWCTL_STAT_TW_CLASS_REMOTE] = {
		"tw_class_remote", TWCTL_A_STATS_TW_CLASS_REMOTE },
	[TWCTL_STAT_TW_RTO_FLOORED] = {
		"tw_rto_floored", TWCTL_A_STATS_TW_RTO_FLOORED },
	[TWCTL_STAT_TW_RECORD_FAILED] = {
		"tw_record_failed", TWCTL_A_STATS_TW_RECORD_FAILED },
	[TWCTL_STAT_TW_RECORD_CAPPED] = {
		"tw_record_capped", TWCTL_A_STATS_TW_RECORD_CAPPED },
};

/* include/net/tcp_states.h numbers, without pulling in the networking core */
enum {
	TWCTL_TCP_ESTABLISHED = 1, TWCTL_TCP_FIN_WAIT1 = 4,
	TWCTL_TCP_FIN_WAIT2 = 5, TWCTL_TCP_TIME_WAIT = 6, TWCTL_TCP_CLOSE = 7,
	TWCTL_TCP_CLOSE_WAIT = 8, TWCTL_TCP_LAST_ACK = 9, TWCTL_TCP_CLOSING = 11,
};

const u8 twctl_close_states[TWCTL_NSTATES] = {
	TWCTL_TCP_ESTABLISHED, TWCTL_TCP_FIN_WAIT1, TWCTL_TCP_FIN_WAIT2,
	TWCTL_TCP_CLOSE_WAIT, TWCTL_TCP_CLOSING, TWCTL_TCP_LAST_ACK,
	TWCTL_TCP_TIME_WAIT, TWCTL_TCP_CLOSE,
};

static const char *const twctl_close_state_names[TWCTL_NSTATES] = {
	"ESTABLISHED", "FIN_WAIT1", "FIN_WAIT2", "CLOSE_WAIT", "CLOSING",
	"LAST_ACK", "TIME_WAIT", "CLOSE",
};

int twctl_close_state_index(int state)
{
	int i;

	for (i = 0; i < TWCTL_NSTATES; i++)
		if (twctl_close_states[i] == state)
			return i;
	return -1;
}

const char *twctl_state_name(int state)
{
	int i = twctl_close_state_index(state);

	return i < 0 ? "?" : twctl_close_state_names[i];
}

unsigned int twctl_hist_bucket(u64 ms)
{
	return min_t(unsigned int, fls64(ms), TWCTL_HIST_BUCKETS - 1);
}

u64 twctl_hist_lt_ms(unsigned int bucket)
{
	return 1ULL << bucket;
}
