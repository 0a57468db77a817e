/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * twctl: administrator control of TCP TIME_WAIT, per network namespace.
 *
 * This header is the single contract between the twctl kernel module and
 * user space (the twctl tool, the YNL spec in tools/ynl/twctl.yaml,
 * scripts). The generic netlink family acts on the network namespace of the
 * requesting socket; sysfs (/sys/kernel/twctl/) on the namespace of the
 * process opening the file. Both are views of one state.
 */
#ifndef _UAPI_LINUX_TWCTL_H
#define _UAPI_LINUX_TWCTL_H

#define TWCTL_GENL_NAME		"twctl"
/*
 * Family version. Bumped when a command or attribute changes meaning (never
 * for additions: new attributes are appended and old ones keep their number,
 * so a newer tool can detect an older module by the attributes it lacks).
 */
#define TWCTL_GENL_VERSION	1
#define TWCTL_MCGRP_EVENTS	"events"

/*
 * Maximum segment lifetime, in milliseconds. TIME_WAIT lasts 2 x MSL.
 * The kernel's own TIME_WAIT is TCP_TIMEWAIT_LEN = 60 s, i.e. an MSL of 30 s;
 * that is the default of every namespace, so loading the module changes
 * nothing until an administrator sets a value.
 */
#define TWCTL_MSL_MIN_MS	1
#define TWCTL_MSL_MAX_MS	600000
#define TWCTL_MSL_DEFAULT_MS	30000

/*
 * TIME_WAIT reuse for new outgoing connections (connect() taking over the
 * 4-tuple of a TIME_WAIT socket). INHERIT leaves the decision to the kernel
 * (net.ipv4.tcp_tw_reuse of the namespace); the others replace it. Whatever
 * the mode, a TIME_WAIT socket is only reused when it has TCP timestamps
 * (PAWS protects the new connection), never in the FIN_WAIT2 substate, and
 * only when it has been in TIME_WAIT for at least reuse_delay_ms.
 */
enum twctl_reuse {
	TWCTL_REUSE_INHERIT,
	TWCTL_REUSE_OFF,
	TWCTL_REUSE_LOOPBACK,	/* only when either address is loopback, or bound to lo */
	TWCTL_REUSE_ALWAYS,
};

/*
 * At least 1 ms, as the kernel's own net.ipv4.tcp_tw_reuse_delay (6.14+):
 * PAWS protects a reused 4-tuple only once the peer's timestamp clock has
 * ticked since the old connection's last segment.
 */
#define TWCTL_REUSE_DELAY_MIN_MS	1
#define TWCTL_REUSE_DELAY_MAX_MS	600000
#define TWCTL_REUSE_DELAY_DEFAULT_MS	1000

/*
 * MSL by class of peer, decided when the connection closes: LOOPBACK when
 * either address is a loopback one (IPv4, IPv6 or v4-mapped) or the socket
 * is bound to lo; LOCAL when its smoothed RTT is below local_rtt_us; REMOTE
 * otherwise (also when no RTT was measured). A class MSL of 0 means "unset":
 * the class uses msl_ms. local_rtt_us 0 means no peer is LOCAL.
 */
enum twctl_peer_class {
	TWCTL_CLASS_LOOPBACK,
	TWCTL_CLASS_LOCAL,
	TWCTL_CLASS_REMOTE,
};

#define TWCTL_LOCAL_RTT_MAX_US		10000000

/*
 * rto_floor 1: a TIME_WAIT never lasts less than TWCTL_RTO_FLOOR_X2 / 2
 * times the connection's retransmission timeout at close (3.5 x RTO, the
 * kernel's own floor for FIN_WAIT2), so a peer whose last ACK was lost can
 * still retransmit its FIN and be answered.
 */
#define TWCTL_RTO_FLOOR_X2		7

enum twctl_cmd {
	TWCTL_CMD_UNSPEC,
	/* do; reply: TWCTL_A_VERSION, TWCTL_A_MODULE_VERSION, TWCTL_A_POLICY */
	TWCTL_CMD_GET_POLICY,
	/*
	 * do; request: TWCTL_A_POLICY with any subset of its attributes.
	 * Atomic: every attribute applies, or none does (and extack says
	 * why). Needs CAP_NET_ADMIN over the netns's owning user namespace.
	 */
	TWCTL_CMD_SET_POLICY,
	/* do; reply: TWCTL_A_VERSION, TWCTL_A_STATS */
	TWCTL_CMD_GET_STATS,
	/* do; zeroes the namespace's counters. Needs CAP_NET_ADMIN. */
	TWCTL_CMD_RESET_STATS,
	/* notification to the "events" group: TWCTL_A_EVENT */
	TWCTL_CMD_EVENT,

	__TWCTL_CMD_MAX,
	TWCTL_CMD_MAX = __TWCTL_CMD_MAX - 1
};

enum twctl_attr {
	TWCTL_A_UNSPEC,
	TWCTL_A_VERSION,		/* u32: TWCTL_GENL_VERSION of the module */
	TWCTL_A_MODULE_VERSION,		/* string: the module's release */
	TWCTL_A_POLICY,			/* nest: enum twctl_policy_attr */
	TWCTL_A_STATS,			/* nest: enum twctl_stats_attr */
	TWCTL_A_EVENT,			/* nest: enum twctl_event_attr */

	__TWCTL_A_MAX,
	TWCTL_A_MAX = __TWCTL_A_MAX - 1
};

/* Policy knobs, all u32. Knobs are appended as they land: numbers never move. */
enum twctl_policy_attr {
	TWCTL_A_POLICY_UNSPEC,
	TWCTL_A_POLICY_MSL_MS,		/* TWCTL_MSL_MIN_MS..TWCTL_MSL_MAX_MS */
	TWCTL_A_POLICY_REUSE,		/* enum twctl_reuse */
	TWCTL_A_POLICY_REUSE_DELAY_MS,	/* TWCTL_REUSE_DELAY_MIN_MS..MAX_MS */
	/* per peer class: 0 (unset: msl_ms) or TWCTL_MSL_MIN_MS..MAX_MS */
	TWCTL_A_POLICY_MSL_LOOPBACK_MS,
	TWCTL_A_POLICY_MSL_LOCAL_MS,
	TWCTL_A_POLICY_MSL_REMOTE_MS,
	TWCTL_A_POLICY_LOCAL_RTT_US,	/* 0..TWCTL_LOCAL_RTT_MAX_US */
	TWCTL_A_POLICY_RTO_FLOOR,	/* 0 or 1 */

	__TWCTL_A_POLICY_MAX,
	TWCTL_A_POLICY_MAX = __TWCTL_A_POLICY_MAX - 1
};

/* Counters of the namespace, all u64. */
enum twctl_stats_attr {
	TWCTL_A_STATS_UNSPEC,
	TWCTL_A_STATS_PAD,
	TWCTL_A_STATS_REUSE_GRANTED,	/* TIME_WAIT taken over by a connect() */
	TWCTL_A_STATS_REUSE_REFUSED_POLICY, /* refused: mode, peer class or delay */
	TWCTL_A_STATS_REUSE_REFUSED_NO_TS, /* refused: no TCP timestamps */
	/* timewait sockets: the kernel's TIME_WAIT and FIN_WAIT2 substates */
	TWCTL_A_STATS_TW_CREATED,	/* entered TIME_WAIT */
	TWCTL_A_STATS_TW_CREATED_FW2,	/* FIN_WAIT2 kept as a timewait socket */
	TWCTL_A_STATS_TW_EXPIRED,	/* ended by their timer */
	TWCTL_A_STATS_TW_REUSED,	/* taken over by a connect() */
	TWCTL_A_STATS_TW_KILLED_RST,	/* ended by a segment (RST, RFC 1337 off) */
	TWCTL_A_STATS_TW_KILLED_SYN,	/* ended by a new SYN taking over */
	TWCTL_A_STATS_TW_KILLED_NETNS,	/* ended with their network namespace */
	TWCTL_A_STATS_TW_REARMED,	/* timer restarted by a segment (FIN) */
	TWCTL_A_STATS_TW_OVERFLOW,	/* refused: tcp_max_tw_buckets reached */
	TWCTL_A_STATS_TW_ALIVE,		/* timewait sockets now (the kernel's count) */
	TWCTL_A_STATS_TRANSITION,	/* nest, repeated: enum twctl_trans_attr */
	TWCTL_A_STATS_LIFETIME,		/* nest, repeated: enum twctl_hist_attr */
	TWCTL_A_STATS_EVENTS_DROPPED,	/* events not sent (rate limit, memory) */
	/* timewait sockets created, by peer class */
	TWCTL_A_STATS_TW_CLASS_LOOPBACK,
	TWCTL_A_STATS_TW_CLASS_LOCAL,
	TWCTL_A_STATS_TW_CLASS_REMOTE,
	TWCTL_A_STATS_TW_RTO_FLOORED,	/* TIME_WAIT lengthened by rto_floor */
	/*
	 * Module-wide gauge: length records alive (see README, "MSL by peer
	 * class"); each takes TWCTL_A_STATS_TW_RECORD_BYTES bytes.
	 */
	TWCTL_A_STATS_TW_RECORDS,
	TWCTL_A_STATS_TW_RECORD_BYTES,
	TWCTL_A_STATS_TW_RECORD_FAILED,	/* no memory: class from addresses only */
	/*
	 * Module-wide: hook runs skipped because a twctl hook was already
	 * running in that context on the CPU; such an event is not counted
	 * (and a skipped TIME_WAIT arming keeps the kernel's length).
	 */
	TWCTL_A_STATS_HOOKS_MISSED,
	/*
	 * Module-wide gauge: network namespaces twctl holds state for. Back
	 * to its earlier value once removed namespaces are cleaned up; a
	 * namespace that never goes away keeps it up (a leak).
	 */
	TWCTL_A_STATS_NETNS_COUNT,
	/*
	 * Length records refused because the module's max_tw_records were
	 * alive: class from addresses only.
	 */
	TWCTL_A_STATS_TW_RECORD_CAPPED,

	__TWCTL_A_STATS_MAX,
	TWCTL_A_STATS_MAX = __TWCTL_A_STATS_MAX - 1
};

/*
 * One cell of the close-path state transition matrix of TCP sockets (only
 * cells with a non-zero count are sent). States are the kernel's TCP_*
 * numbers (include/net/tcp_states.h): ESTABLISHED, FIN_WAIT1, FIN_WAIT2,
 * CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT, CLOSE. "to TIME_WAIT" means
 * handed over to a timewait socket, "TIME_WAIT to CLOSE" its end.
 */
enum twctl_trans_attr {
	TWCTL_A_TRANS_UNSPEC,
	TWCTL_A_TRANS_PAD,
	TWCTL_A_TRANS_FROM,		/* u32: TCP state */
	TWCTL_A_TRANS_TO,		/* u32: TCP state */
	TWCTL_A_TRANS_COUNT,		/* u64 */

	__TWCTL_A_TRANS_MAX,
	TWCTL_A_TRANS_MAX = __TWCTL_A_TRANS_MAX - 1
};

/*
 * One bucket of the TIME_WAIT lifetime histogram (log2 of milliseconds):
 * lifetimes L with LE_MS / 2 <= L < LE_MS (the first bucket: L < 1 ms).
 */
#define TWCTL_HIST_BUCKETS	24

enum twctl_hist_attr {
	TWCTL_A_HIST_UNSPEC,
	TWCTL_A_HIST_PAD,
	TWCTL_A_HIST_LT_MS,		/* u64: upper bound, exclusive */
	TWCTL_A_HIST_COUNT,		/* u64 */

	__TWCTL_A_HIST_MAX,
	TWCTL_A_HIST_MAX = __TWCTL_A_HIST_MAX - 1
};

/*
 * Events of the "events" multicast group, sent in the namespace where they
 * happen: a close-path state change of a TCP socket, or the end of a
 * timewait socket. Rate-limited: a listener that finds a gap in SEQ has lost
 * SEQ difference - 1 events (to the rate limit, memory, or its own full
 * socket buffer, which also reports ENOBUFS).
 */
enum twctl_event_kind {
	TWCTL_EV_STATE,			/* OLD -> NEW state of a full socket */
	TWCTL_EV_TW_EXPIRED,		/* a timewait socket's end, and why */
	TWCTL_EV_TW_REUSED,
	TWCTL_EV_TW_KILLED_RST,
	TWCTL_EV_TW_KILLED_SYN,
	TWCTL_EV_TW_KILLED_NETNS,
};

enum twctl_event_attr {
	TWCTL_A_EV_UNSPEC,
	TWCTL_A_EV_PAD,
	TWCTL_A_EV_SEQ,			/* u64: per namespace, from 1 */
	TWCTL_A_EV_KIND,		/* u32: enum twctl_event_kind */
	TWCTL_A_EV_FAMILY,		/* u32: AF_INET, AF_INET6 */
	TWCTL_A_EV_SADDR,		/* binary: 4 or 16 bytes, local */
	TWCTL_A_EV_DADDR,		/* binary: remote */
	TWCTL_A_EV_SPORT,		/* u32: local port */
	TWCTL_A_EV_DPORT,		/* u32: remote port */
	TWCTL_A_EV_OLD,			/* u32: TCP state before */
	TWCTL_A_EV_NEW,			/* u32: TCP state after */
	TWCTL_A_EV_LIFETIME_MS,		/* u32: timewait ends: since last arming */

	__TWCTL_A_EV_MAX,
	TWCTL_A_EV_MAX = __TWCTL_A_EV_MAX - 1
};

#endif /* _UAPI_LINUX_TWCTL_H */
