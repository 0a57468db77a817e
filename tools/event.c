// SPDX-License-Identifier: GPL-2.0
/* `twctl monitor` output: see event.h. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/twctl.h>

#include "event.h"
#include "json.h"
#include "stats.h"

static const char *const kind_names[] = {
	[TWCTL_EV_STATE] = "state",
	[TWCTL_EV_TW_EXPIRED] = "tw_expired",
	[TWCTL_EV_TW_REUSED] = "tw_reused",
	[TWCTL_EV_TW_KILLED_RST] = "tw_killed_rst",
	[TWCTL_EV_TW_KILLED_SYN] = "tw_killed_syn",
	[TWCTL_EV_TW_KILLED_NETNS] = "tw_killed_netns",
};

/* The cause of a timewait end, for people. */
static const char *const kind_causes[] = {
	[TWCTL_EV_TW_EXPIRED] = "expired",
	[TWCTL_EV_TW_REUSED] = "reused",
	[TWCTL_EV_TW_KILLED_RST] = "killed by RST",
	[TWCTL_EV_TW_KILLED_SYN] = "killed by SYN",
	[TWCTL_EV_TW_KILLED_NETNS] = "killed with netns",
};

#define NKINDS (sizeof(kind_names) / sizeof(kind_names[0]))

const char *event_kind_name(uint32_t kind)
{
	return kind < NKINDS ? kind_names[kind] : NULL;
}

struct parse {
	struct twctl_event *ev;
	unsigned int seen;		/* bit per attribute */
	size_t slen, dlen;
};

static int ev_attr_cb(const struct nlattr *a, void *data)
{
	struct parse *p = data;
	struct twctl_event *ev = p->ev;
	uint16_t type = mnl_attr_get_type(a);
	uint16_t len = mnl_attr_get_payload_len(a);

	switch (type) {
	case TWCTL_A_EV_SEQ:
		if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
			return MNL_CB_ERROR;
		ev->seq = mnl_attr_get_u64(a);
		break;
	case TWCTL_A_EV_SADDR:
	case TWCTL_A_EV_DADDR:
		if (len != 4 && len != 16)
			return MNL_CB_ERROR;
		memcpy(type == TWCTL_A_EV_SADDR ? ev->saddr : ev->daddr,
		       mnl_attr_get_payload(a), len);
		*(type == TWCTL_A_EV_SADDR ? &p->slen : &p->dlen) = len;
		break;
	case TWCTL_A_EV_KIND:
	case TWCTL_A_EV_FAMILY:
	case TWCTL_A_EV_SPORT:
	case TWCTL_A_EV_DPORT:
	case TWCTL_A_EV_OLD:
	case TWCTL_A_EV_NEW:
	case TWCTL_A_EV_LIFETIME_MS: {
		uint32_t v;

		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		v = mnl_attr_get_u32(a);
		if (type == TWCTL_A_EV_KIND)
			ev->kind = v;
		else if (type == TWCTL_A_EV_FAMILY)
			ev->family = v;
		else if (type == TWCTL_A_EV_SPORT)
			ev->sport = v;
		else if (type == TWCTL_A_EV_DPORT)
			ev->dport = v;
		else if (type == TWCTL_A_EV_OLD)
			ev->old = v;
		else if (type == TWCTL_A_EV_NEW)
			ev->new = v;
		else {
			ev->lifetime_ms = v;
			ev->has_lifetime = true;
		}
		break;
	}
	default:
		return MNL_CB_OK;	/* newer attributes */
	}
	p->seen |= 1u << type;
	return MNL_CB_OK;
}

static int attr_cb(const struct nlattr *a, void *data)
{
	struct parse *p = data;

	if (mnl_attr_get_type(a) != TWCTL_A_EVENT)
		return MNL_CB_OK;
	if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
		return MNL_CB_ERROR;
	p->seen |= 1u << 31;
	return mnl_attr_parse_nested(a, ev_attr_cb, p);
}

int event_parse(const struct nlmsghdr *nlh, struct twctl_event *ev)
{
	const unsigned int need = 1u << 31 | 1u << TWCTL_A_EV_SEQ |
		1u << TWCTL_A_EV_KIND | 1u << TWCTL_A_EV_FAMILY |
		1u << TWCTL_A_EV_SADDR | 1u << TWCTL_A_EV_DADDR |
		1u << TWCTL_A_EV_SPORT | 1u << TWCTL_A_EV_DPORT |
		1u << TWCTL_A_EV_OLD | 1u << TWCTL_A_EV_NEW;
	struct parse p = { .ev = ev };
	const struct genlmsghdr *g;
	size_t alen;

	memset(ev, 0, sizeof(*ev));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
		return -1;
	g = mnl_nlmsg_get_payload(nlh);
	if (g->cmd != TWCTL_CMD_EVENT)
		return -1;
	if (mnl_attr_parse(nlh, sizeof(*g), attr_cb, &p) < 0 ||
	    (p.seen & need) != need)
		return -1;
	alen = ev->family == AF_INET6 ? 16 : ev->family == AF_INET ? 4 : 0;
	if (!alen || p.slen != alen || p.dlen != alen)
		return -1;
	return 0;
}

/*
 * A text line is built in a buffer and written once: on a busy host the
 * monitor prints up to a thousand events a second per CPU and namespace,
 * and printf-family formatting was most of a listener's cost (bench/NOTES.md).
 */
struct line {
	char b[256];
	size_t n;
};

static void put_mem(struct line *l, const char *s, size_t k)
{
	if (k > sizeof(l->b) - l->n)
		k = sizeof(l->b) - l->n;
	memcpy(l->b + l->n, s, k);
	l->n += k;
}

static void put_str(struct line *l, const char *s)
{
	put_mem(l, s, strlen(s));
}

/* @v in decimal, zero-padded to @width digits. */
static void put_u(struct line *l, unsigned long v, int width)
{
	char t[24];
	int i = sizeof(t);

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v || (int)sizeof(t) - i < width);
	put_mem(l, t + i, sizeof(t) - i);
}

/* "127.0.0.1:41000" or "[::1]:41000". */
static void put_endpoint(struct line *l, uint32_t family, const uint8_t *addr,
			 uint32_t port)
{
	char a[INET6_ADDRSTRLEN];
	int i;

	if (family == AF_INET6) {
		inet_ntop(family, addr, a, sizeof(a));
		put_str(l, "[");
		put_str(l, a);
		put_str(l, "]");
	} else {
		for (i = 0; i < 4; i++) {
			if (i)
				put_str(l, ".");
			put_u(l, addr[i], 1);
		}
	}
	put_str(l, ":");
	put_u(l, port, 1);
}

static void put_state(struct line *l, uint32_t state)
{
	const char *name = tcp_state_name(state);

	if (name)
		put_str(l, name);
	else
		put_u(l, state, 1);
}

void event_print_text(FILE *out, const struct twctl_event *ev,
		      const struct timespec *when, const char *netns)
{
	/* localtime_r() and strftime() once a second, not per event */
	static time_t hms_sec = (time_t)-1;
	static char hms[16];
	struct line l = { .n = 0 };

	if (when->tv_sec != hms_sec) {
		struct tm tm;

		localtime_r(&when->tv_sec, &tm);
		strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
		hms_sec = when->tv_sec;
	}
	put_str(&l, hms);
	put_str(&l, ".");
	put_u(&l, (unsigned long)(when->tv_nsec / 1000000), 3);
	put_str(&l, " ");
	put_str(&l, netns ? netns : "-");
	put_str(&l, " ");
	put_endpoint(&l, ev->family, ev->saddr, ev->sport);
	put_str(&l, " -> ");
	put_endpoint(&l, ev->family, ev->daddr, ev->dport);
	put_str(&l, " ");
	put_state(&l, ev->old);
	put_str(&l, " -> ");
	put_state(&l, ev->new);
	if (ev->kind != TWCTL_EV_STATE) {
		const char *cause = ev->kind < NKINDS ? kind_causes[ev->kind]
						      : NULL;

		put_str(&l, " ");
		if (cause) {
			put_str(&l, cause);
		} else {
			put_str(&l, "kind ");
			put_u(&l, ev->kind, 1);
		}
	}
	if (ev->has_lifetime) {
		put_str(&l, " lifetime ");
		put_u(&l, ev->lifetime_ms, 1);
		put_str(&l, "ms");
	}
	put_str(&l, "\n");
	fwrite(l.b, 1, l.n, out);
}

static void addr_json(struct json *j, const char *key, uint32_t family,
		      const uint8_t *addr)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(family, addr, a, sizeof(a));
	json_str(j, key, a);
}

static void state_json(struct json *j, const char *key, uint32_t state)
{
	const char *name = tcp_state_name(state);

	if (name)
		json_str(j, key, name);
	else
		json_u64(j, key, state);
}

void event_print_json(FILE *out, const struct twctl_event *ev,
		      const char *netns, bool pretty)
{
	const char *kind = event_kind_name(ev->kind);
	struct json j;

	json_init(&j, out, pretty);
	json_open(&j, NULL);
	json_u64(&j, "seq", ev->seq);
	json_str_or_null(&j, "netns", netns);
	if (kind)
		json_str(&j, "kind", kind);
	else
		json_u64(&j, "kind", ev->kind);
	json_str(&j, "family", ev->family == AF_INET6 ? "inet6" : "inet");
	addr_json(&j, "saddr", ev->family, ev->saddr);
	json_u64(&j, "sport", ev->sport);
	addr_json(&j, "daddr", ev->family, ev->daddr);
	json_u64(&j, "dport", ev->dport);
	state_json(&j, "old", ev->old);
	state_json(&j, "new", ev->new);
	if (ev->has_lifetime)
		json_u64(&j, "lifetime_ms", ev->lifetime_ms);
	json_close(&j);
}

uint64_t event_seq_lost(struct event_seq *s, uint64_t seq)
{
	uint64_t lost = 0;

	if (s->started && seq > s->last + 1)
		lost = seq - s->last - 1;
	s->started = true;
	s->last = seq;
	return lost;
}
