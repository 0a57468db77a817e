/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `twctl monitor` output: decoding of a TWCTL_CMD_EVENT notification
 * (TWCTL_A_EVENT nest), one line of text or one JSON object per event, and
 * detection of lost events from gaps in the per-namespace sequence.
 */
#ifndef TWCTL_EVENT_H
#define TWCTL_EVENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <libmnl/libmnl.h>

struct twctl_event {
	uint64_t seq;
	uint32_t kind;			/* enum twctl_event_kind */
	uint32_t family;		/* AF_INET, AF_INET6 */
	uint8_t saddr[16], daddr[16];
	uint32_t sport, dport;
	uint32_t old, new;		/* TCP states */
	bool has_lifetime;
	uint32_t lifetime_ms;		/* timewait ends */
};

/* @nlh, a generic netlink message: 0 and @ev when it is an event, else -1. */
int event_parse(const struct nlmsghdr *nlh, struct twctl_event *ev);

/* "state", "tw_expired"...; NULL for an unknown kind. */
const char *event_kind_name(uint32_t kind);

/*
 * One line: "HH:MM:SS.mmm NETNS SADDR:SPORT -> DADDR:DPORT OLD -> NEW",
 * then for timewait ends " CAUSE lifetime Nms". @when: local time;
 * @netns: "-" when NULL.
 */
void event_print_text(FILE *out, const struct twctl_event *ev,
		      const struct timespec *when, const char *netns);

/*
 * One JSON object: seq, netns, kind, family, saddr, sport, daddr, dport,
 * old, new, and lifetime_ms for timewait ends.
 */
void event_print_json(FILE *out, const struct twctl_event *ev,
		      const char *netns, bool pretty);

/* Sequence tracking of one namespace's events. */
struct event_seq {
	bool started;
	uint64_t last;
};

/*
 * Record @seq: the number of events lost before it (0 without a gap; a
 * sequence that goes back, as after a module reload, starts again).
 */
uint64_t event_seq_lost(struct event_seq *s, uint64_t seq);

#endif /* TWCTL_EVENT_H */
