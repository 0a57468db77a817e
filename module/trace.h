/* SPDX-License-Identifier: GPL-2.0 */
/*
 * twctl's own tracepoints (tracefs events/twctl/, perf, bpftrace
 * tracepoint:twctl:*): a timewait socket armed, ended, and a reuse decision.
 * Addresses are 16 bytes: IPv4 in the first 4. kind: tw_arm 0 = armed in
 * TIME_WAIT, 1 = armed in FIN_WAIT2, 2 = re-armed; tw_expire the cause
 * (enum twctl_event_kind); tw_reuse_decision 0 = granted, 1 = refused by
 * policy, 2 = refused for lack of timestamps.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM twctl

#if !defined(_TWCTL_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TWCTL_TRACE_H

#include <linux/tracepoint.h>

#define TWCTL_TW_PROTO	TP_PROTO(u32 netns, u16 family, const void *saddr, \
				 const void *daddr, u16 sport, u16 dport,  \
				 u8 kind, u32 arg_ms)
#define TWCTL_TW_ARGS	TP_ARGS(netns, family, saddr, daddr, sport, dport, \
				kind, arg_ms)

DECLARE_EVENT_CLASS(twctl_tw_class, TWCTL_TW_PROTO, TWCTL_TW_ARGS,
		    TP_STRUCT__entry(__field(u32, netns)
				     __field(u16, family)
				     __array(u8, saddr, 16)
				     __array(u8, daddr, 16)
				     __field(u16, sport)
				     __field(u16, dport)
				     __field(u8, kind)
				     __field(u32, arg_ms)),
		    TP_fast_assign(__entry->netns = netns;
				   __entry->family = family;
				   memcpy(__entry->saddr, saddr,
					  family == AF_INET6 ? 16 : 4);
				   memcpy(__entry->daddr, daddr,
					  family == AF_INET6 ? 16 : 4);
				   __entry->sport = sport;
				   __entry->dport = dport;
				   __entry->kind = kind;
				   __entry->arg_ms = arg_ms;),
		    TP_printk("netns=%u family=%u sport=%u dport=%u kind=%u ms=%u",
			      __entry->netns, __entry->family, __entry->sport,
			      __entry->dport, __entry->kind, __entry->arg_ms));

/* armed or re-armed; ms: the TIME_WAIT length it was armed with */
DEFINE_EVENT(twctl_tw_class, tw_arm, TWCTL_TW_PROTO, TWCTL_TW_ARGS);
/* ended (expired, reused, killed); ms: lifetime since the last arming */
DEFINE_EVENT(twctl_tw_class, tw_expire, TWCTL_TW_PROTO, TWCTL_TW_ARGS);
/* a reuse decision of twctl; ms: the socket's age */
DEFINE_EVENT(twctl_tw_class, tw_reuse_decision, TWCTL_TW_PROTO, TWCTL_TW_ARGS);

#endif /* _TWCTL_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
