// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: `twctl monitor` output (event.c) on TWCTL_CMD_EVENT
 * notifications built here the way the module builds them, and lost
 * events from sequence gaps.
 */
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/twctl.h>

#include "event.h"
#include "tap.h"

/* An event message; @lifetime < 0: none (a state change). */
static struct nlmsghdr *event_msg(void *buf, uint64_t seq, uint32_t kind,
				  int family, const char *src, uint32_t sport,
				  const char *dst, uint32_t dport,
				  uint32_t old, uint32_t new, long lifetime)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	size_t alen = family == AF_INET6 ? 16 : 4;
	uint8_t s[16], d[16];
	struct nlattr *n;

	nlh->nlmsg_type = 0x20;
	g->cmd = TWCTL_CMD_EVENT;
	g->version = TWCTL_GENL_VERSION;
	inet_pton(family, src, s);
	inet_pton(family, dst, d);
	n = mnl_attr_nest_start(nlh, TWCTL_A_EVENT);
	mnl_attr_put_u64(nlh, TWCTL_A_EV_SEQ, seq);
	mnl_attr_put_u32(nlh, TWCTL_A_EV_KIND, kind);
	mnl_attr_put_u32(nlh, TWCTL_A_EV_FAMILY, family);
	mnl_attr_put(nlh, TWCTL_A_EV_SADDR, alen, s);
	mnl_attr_put(nlh, TWCTL_A_EV_DADDR, alen, d);
	mnl_attr_put_u32(nlh, TWCTL_A_EV_SPORT, sport);
	mnl_attr_put_u32(nlh, TWCTL_A_EV_DPORT, dport);
	mnl_attr_put_u32(nlh, TWCTL_A_EV_OLD, old);
	mnl_attr_put_u32(nlh, TWCTL_A_EV_NEW, new);
	if (lifetime >= 0)
		mnl_attr_put_u32(nlh, TWCTL_A_EV_LIFETIME_MS, lifetime);
	mnl_attr_nest_end(nlh, n);
	return nlh;
}

/* 12:34:56.789 local time (TZ=UTC). */
static const struct timespec when = { .tv_sec = 45296, .tv_nsec = 789123456 };

static void test_state(void)
{
	_Alignas(8) char buf[MNL_SOCKET_BUFFER_SIZE];
	struct twctl_event ev;
	char *out;

	CHECK(event_parse(event_msg(buf, 7, TWCTL_EV_STATE, AF_INET,
				    "127.0.0.1", 41000, "127.0.0.1", 7001,
				    1, 4, -1), &ev) == 0);
	CHECK_U64(ev.seq, 7);
	CHECK(!ev.has_lifetime);
	CAPTURE(out, event_print_text(f, &ev, &when, NULL));
	CHECK_STR(out, "12:34:56.789 - 127.0.0.1:41000 -> 127.0.0.1:7001 "
		  "ESTABLISHED -> FIN_WAIT1\n");
	free(out);
	CAPTURE(out, event_print_json(f, &ev, NULL, false));
	CHECK_STR(out, "{\"seq\":7,\"netns\":null,\"kind\":\"state\","
		  "\"family\":\"inet\",\"saddr\":\"127.0.0.1\",\"sport\":41000,"
		  "\"daddr\":\"127.0.0.1\",\"dport\":7001,"
		  "\"old\":\"ESTABLISHED\",\"new\":\"FIN_WAIT1\"}\n");
	free(out);
}

static void test_tw_end(void)
{
	_Alignas(8) char buf[MNL_SOCKET_BUFFER_SIZE];
	struct twctl_event ev;
	char *out;

	CHECK(event_parse(event_msg(buf, 9, TWCTL_EV_TW_EXPIRED, AF_INET6,
				    "::1", 41000, "2001:db8::2", 443,
				    6, 7, 412), &ev) == 0);
	CAPTURE(out, event_print_text(f, &ev, &when, "blue"));
	CHECK_STR(out, "12:34:56.789 blue [::1]:41000 -> [2001:db8::2]:443 "
		  "TIME_WAIT -> CLOSE expired lifetime 412ms\n");
	free(out);
	CAPTURE(out, event_print_json(f, &ev, "blue", false));
	CHECK_STR(out, "{\"seq\":9,\"netns\":\"blue\",\"kind\":\"tw_expired\","
		  "\"family\":\"inet6\",\"saddr\":\"::1\",\"sport\":41000,"
		  "\"daddr\":\"2001:db8::2\",\"dport\":443,"
		  "\"old\":\"TIME_WAIT\",\"new\":\"CLOSE\",\"lifetime_ms\":412}\n");
	free(out);
	CHECK(event_parse(event_msg(buf, 10, TWCTL_EV_TW_KILLED_RST, AF_INET,
				    "10.0.0.1", 1, "10.0.0.2", 2, 6, 7, 5),
			  &ev) == 0);
	CAPTURE(out, event_print_text(f, &ev, &when, NULL));
	CHECK_HAS(out, "TIME_WAIT -> CLOSE killed by RST lifetime 5ms\n");
	free(out);
}

/* The text line's own formatting: padding, octets, numbers, the time. */
static void test_text_format(void)
{
	_Alignas(8) char buf[MNL_SOCKET_BUFFER_SIZE];
	const struct timespec early = { .tv_sec = 45296, .tv_nsec = 5000000 };
	const struct timespec next = { .tv_sec = 45297, .tv_nsec = 0 };
	struct twctl_event ev;
	char *out;

	CHECK(event_parse(event_msg(buf, 3, TWCTL_EV_STATE, AF_INET,
				    "0.255.10.100", 0, "192.168.1.2", 65535,
				    1, 99, -1), &ev) == 0);
	CAPTURE(out, event_print_text(f, &ev, &early, NULL));
	CHECK_STR(out, "12:34:56.005 - 0.255.10.100:0 -> 192.168.1.2:65535 "
		  "ESTABLISHED -> 99\n");
	free(out);
	/* the next second: the cached clock moves on */
	CAPTURE(out, event_print_text(f, &ev, &next, NULL));
	CHECK_HAS(out, "12:34:57.000 - ");
	free(out);
	CHECK(event_parse(event_msg(buf, 4, 77, AF_INET, "10.0.0.1", 1,
				    "10.0.0.2", 2, 6, 7, 4294967295LL), &ev) == 0);
	CAPTURE(out, event_print_text(f, &ev, &when, NULL));
	CHECK_HAS(out, "TIME_WAIT -> CLOSE kind 77 lifetime 4294967295ms\n");
	free(out);
}

static void test_malformed(void)
{
	_Alignas(8) char buf[MNL_SOCKET_BUFFER_SIZE];
	struct twctl_event ev;
	struct nlmsghdr *nlh;

	char *fam;

	/* IPv6 family with 4-byte addresses: FAMILY after nest, SEQ, KIND */
	nlh = event_msg(buf, 1, TWCTL_EV_STATE, AF_INET, "127.0.0.1", 1,
			"127.0.0.1", 2, 1, 4, -1);
	CHECK(event_parse(nlh, &ev) == 0);
	fam = (char *)mnl_nlmsg_get_payload(nlh) + sizeof(struct genlmsghdr) +
	      4 + 12 + 8;
	CHECK_U64(mnl_attr_get_type((struct nlattr *)fam), TWCTL_A_EV_FAMILY);
	*(uint32_t *)(fam + 4) = AF_INET6;
	CHECK(event_parse(nlh, &ev) < 0);
	/* another command */
	nlh = event_msg(buf, 1, TWCTL_EV_STATE, AF_INET, "127.0.0.1", 1,
			"127.0.0.1", 2, 1, 4, -1);
	((struct genlmsghdr *)mnl_nlmsg_get_payload(nlh))->cmd =
		TWCTL_CMD_GET_STATS;
	CHECK(event_parse(nlh, &ev) < 0);
}

static void test_gaps(void)
{
	struct event_seq s = { .started = false };

	CHECK_U64(event_seq_lost(&s, 5), 0);	/* first seen: no gap */
	CHECK_U64(event_seq_lost(&s, 6), 0);
	CHECK_U64(event_seq_lost(&s, 10), 3);
	CHECK_U64(event_seq_lost(&s, 11), 0);
	CHECK_U64(event_seq_lost(&s, 1), 0);	/* module reloaded */
	CHECK_U64(event_seq_lost(&s, 3), 1);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	tap_suite = "event";
	RUN(test_state, "state change: text line and JSON object");
	RUN(test_tw_end, "timewait end: IPv6, netns, cause, lifetime");
	RUN(test_text_format, "text line: padding, octets, numbers, clock cache");
	RUN(test_malformed, "malformed or other messages are not events");
	RUN(test_gaps, "lost events from sequence gaps");
	return tap_exit();
}
