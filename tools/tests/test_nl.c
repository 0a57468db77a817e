// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: decoding of the kernel's error ACKs (extack) and of the
 * controller's family description (nl.c), on messages built here the way
 * the kernel builds them.
 */
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "nl.h"
#include "tap.h"

/* A request: header, genl header, one nest holding one u32. */
static struct nlmsghdr *request(void *buf)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	struct nlattr *n;

	nlh->nlmsg_type = 0x20;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 42;
	g->cmd = 2;
	n = mnl_attr_nest_start(nlh, 3);
	mnl_attr_put_u32(nlh, 1, 700000);
	mnl_attr_nest_end(nlh, n);
	return nlh;
}

/*
 * The kernel's error ACK to @req: @capped as with NETLINK_CAP_ACK,
 * @tlvs as with NETLINK_EXT_ACK.
 */
static struct nlmsghdr *error_ack(void *buf, const struct nlmsghdr *req,
				  int error, int capped, int tlvs)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *e;
	struct nlattr *pol;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = req->nlmsg_seq;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	e->msg = *req;
	if (!capped) {
		size_t body = req->nlmsg_len - sizeof(*req);

		memcpy(mnl_nlmsg_put_extra_header(nlh, body), req + 1, body);
	} else {
		nlh->nlmsg_flags |= NLM_F_CAPPED;
	}
	if (!tlvs)
		return nlh;
	nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "integer out of range");
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 24);
	pol = mnl_attr_nest_start(nlh, NLMSGERR_ATTR_POLICY);
	mnl_attr_put_u32(nlh, NL_POLICY_TYPE_ATTR_TYPE, NL_ATTR_TYPE_U32);
	mnl_attr_put_u64(nlh, NL_POLICY_TYPE_ATTR_MIN_VALUE_U, 1);
	mnl_attr_put_u64(nlh, NL_POLICY_TYPE_ATTR_MAX_VALUE_U, 600000);
	mnl_attr_nest_end(nlh, pol);
	return nlh;
}

static void check_extack(const struct nl_error *e)
{
	CHECK_U64(e->err, ERANGE);
	CHECK(e->refused);
	CHECK_STR(e->msg, "integer out of range");
	CHECK(e->has_offs);
	CHECK_U64(e->offs, 24);
	CHECK(e->has_range && !e->range_signed);
	CHECK_U64(e->umin, 1);
	CHECK_U64(e->umax, 600000);
	CHECK(!e->has_miss);
}

static void test_error_capped(void)
{
	_Alignas(8) char rq[256], buf[1024];
	struct nl_error e;

	CHECK(nl_parse_error(error_ack(buf, request(rq), -ERANGE, 1, 1),
			     &e) == 0);
	check_extack(&e);
}

static void test_error_uncapped(void)
{
	_Alignas(8) char rq[256], buf[1024];
	struct nl_error e;

	CHECK(nl_parse_error(error_ack(buf, request(rq), -ERANGE, 0, 1),
			     &e) == 0);
	check_extack(&e);
}

static void test_error_plain(void)
{
	_Alignas(8) char rq[256], buf[1024];
	struct nlmsghdr *nlh;
	struct nl_error e;

	CHECK(nl_parse_error(error_ack(buf, request(rq), -EPERM, 1, 0),
			     &e) == 0);
	CHECK_U64(e.err, EPERM);
	CHECK_STR(e.msg, "");
	CHECK(!e.has_offs && !e.has_range);
	/* A plain ACK. */
	CHECK(nl_parse_error(error_ack(buf, request(rq), 0, 1, 0), &e) == 0);
	CHECK_U64(e.err, 0);
	/* Truncated. */
	nlh = error_ack(buf, request(rq), -EPERM, 1, 0);
	nlh->nlmsg_len = NLMSG_HDRLEN + 2;
	CHECK(nl_parse_error(nlh, &e) == -EBADMSG);
	CHECK_U64(e.err, EBADMSG);
}

static void test_error_signed_and_miss(void)
{
	_Alignas(8) char rq[256], buf[1024];
	struct nlmsghdr *nlh;
	struct nl_error e;
	struct nlattr *pol;

	nlh = error_ack(buf, request(rq), -EINVAL, 1, 0);
	nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
	pol = mnl_attr_nest_start(nlh, NLMSGERR_ATTR_POLICY);
	mnl_attr_put_u64(nlh, NL_POLICY_TYPE_ATTR_MIN_VALUE_S, (uint64_t)-3);
	mnl_attr_put_u64(nlh, NL_POLICY_TYPE_ATTR_MAX_VALUE_S, 3);
	mnl_attr_nest_end(nlh, pol);
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_MISS_TYPE, 5);
	mnl_attr_put_u16(nlh, NLMSGERR_ATTR_OFFS, 1);	/* malformed: ignored */
	CHECK(nl_parse_error(nlh, &e) == 0);
	CHECK(e.has_range && e.range_signed);
	CHECK(e.smin == -3 && e.smax == 3);
	CHECK(e.has_miss);
	CHECK_U64(e.miss_type, 5);
	CHECK(!e.has_offs);
}

/* CTRL_CMD_NEWFAMILY as the controller sends it. */
static struct nlmsghdr *family_msg(void *buf, int groups)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	struct nlattr *all, *one;

	nlh->nlmsg_type = GENL_ID_CTRL;
	g->cmd = CTRL_CMD_NEWFAMILY;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "twctl");
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x1d);
	mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, 3);
	mnl_attr_put_u32(nlh, CTRL_ATTR_HDRSIZE, 0);
	if (!groups)
		return nlh;
	all = mnl_attr_nest_start(nlh, CTRL_ATTR_MCAST_GROUPS);
	one = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, 9);
	mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, "config");
	mnl_attr_nest_end(nlh, one);
	one = mnl_attr_nest_start(nlh, 2);
	mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, "events");
	mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, 10);
	mnl_attr_nest_end(nlh, one);
	mnl_attr_nest_end(nlh, all);
	return nlh;
}

static void test_family(void)
{
	_Alignas(8) char buf[1024];
	struct nl_family fam;
	struct nlmsghdr *nlh;

	CHECK(nl_parse_family(family_msg(buf, 1), &fam) == 0);
	CHECK_U64(fam.id, 0x1d);
	CHECK_U64(fam.version, 3);
	CHECK_U64(fam.ngroups, 2);
	CHECK_U64(nl_family_group(&fam, "events"), 10);
	CHECK_U64(nl_family_group(&fam, "config"), 9);
	CHECK_U64(nl_family_group(&fam, "event"), 0);

	CHECK(nl_parse_family(family_msg(buf, 0), &fam) == 0);
	CHECK_U64(fam.ngroups, 0);
	CHECK_U64(nl_family_group(&fam, "events"), 0);

	nlh = family_msg(buf, 0);
	mnl_attr_put_u8(nlh, CTRL_ATTR_VERSION, 1);	/* malformed */
	CHECK(nl_parse_family(nlh, &fam) == -EBADMSG);
}

static void test_request(void)
{
	_Alignas(8) char buf[NL_REQSIZE];
	struct nl nl = { .seq = 41 };
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	nlh = nl_genl_request(&nl, buf, 0x1d, 2, 7);
	g = mnl_nlmsg_get_payload(nlh);
	CHECK_U64(nlh->nlmsg_type, 0x1d);
	CHECK_U64(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	CHECK_U64(nlh->nlmsg_seq, 42);
	CHECK_U64(nlh->nlmsg_len, NLMSG_HDRLEN + GENL_HDRLEN);
	CHECK_U64(g->cmd, 2);
	CHECK_U64(g->version, 7);
	CHECK_U64(g->reserved, 0);
	nlh = nl_genl_request(&nl, buf, 0x1d, 2, 7);
	CHECK_U64(nlh->nlmsg_seq, 43);
}

/* The real socket: the controller answers, and refuses unknown families. */
static void test_socket(void)
{
	struct nl_family fam;
	struct nl_error e;
	struct nl nl;
	int err = nl_open(&nl, 5);

	if (err == -EPROTONOSUPPORT || err == -EAFNOSUPPORT) {
		printf("# no generic netlink here (%s): skipped\n",
		       strerror(-err));
		return;
	}
	CHECK(err == 0);
	if (err)
		return;
	CHECK(nl.portid != 0);
	CHECK(nl_get_family(&nl, "nlctrl", &fam, &e) == 0);
	CHECK_U64(fam.id, GENL_ID_CTRL);
	CHECK(nl_get_family(&nl, "twctl_nofam", &fam, &e) ==
	      -ENOENT);
	CHECK(e.refused);
	CHECK_U64(e.err, ENOENT);
	nl_close(&nl);
	nl_close(&nl);	/* twice is harmless */
}

int main(void)
{
	tap_suite = "netlink";
	RUN(test_error_capped, "extack of a capped error ACK: message, offset, range");
	RUN(test_error_uncapped, "extack after an echoed request");
	RUN(test_error_plain, "error without extack, plain ACK, truncated error");
	RUN(test_error_signed_and_miss, "signed range, missing attribute, malformed offset");
	RUN(test_family, "family id, version and multicast groups");
	RUN(test_request, "request header: flags, sequence numbers, genl header");
	RUN(test_socket, "controller lookup over a real socket; ENOENT for no family");
	return tap_exit();
}
