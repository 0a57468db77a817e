// SPDX-License-Identifier: GPL-2.0
/* Generic netlink plumbing: see nl.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <linux/netlink.h>

#include "nl.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK		11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK		10
#endif

int nl_open(struct nl *nl, unsigned int timeout_s)
{
	struct timeval tv = { .tv_sec = timeout_s };
	int one = 1, err;

	memset(nl, 0, sizeof(*nl));
	nl->buf = malloc(NL_BUFSIZE);
	if (!nl->buf)
		return -ENOMEM;
	nl->sk = mnl_socket_open(NETLINK_GENERIC);
	if (!nl->sk)
		goto fail;
	if (mnl_socket_bind(nl->sk, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	nl->portid = mnl_socket_get_portid(nl->sk);
	nl->seq = (uint32_t)time(NULL);
	/* Both are best effort: kernels without them still answer. */
	mnl_socket_setsockopt(nl->sk, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sk, NETLINK_CAP_ACK, &one, sizeof(one));
	if (timeout_s &&
	    setsockopt(mnl_socket_get_fd(nl->sk), SOL_SOCKET, SO_RCVTIMEO,
		       &tv, sizeof(tv)) < 0)
		goto fail;
	return 0;
fail:
	err = -errno;
	nl_close(nl);
	return err;
}

void nl_close(struct nl *nl)
{
	if (nl->sk)
		mnl_socket_close(nl->sk);
	free(nl->buf);
	nl->sk = NULL;
	nl->buf = NULL;
}

struct nlmsghdr *nl_genl_request(struct nl *nl, void *buf, uint16_t type,
				 uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

/* --- error ACKs ------------------------------------------------------------ */

struct policy_seen {
	struct nl_error *e;
	unsigned int bits;
};

enum { SEEN_UMIN = 1, SEEN_UMAX = 2, SEEN_SMIN = 4, SEEN_SMAX = 8 };

static int policy_attr_cb(const struct nlattr *a, void *data)
{
	struct policy_seen *s = data;

	if (mnl_attr_get_payload_len(a) != sizeof(uint64_t))
		return MNL_CB_OK;
	switch (mnl_attr_get_type(a)) {
	case NL_POLICY_TYPE_ATTR_MIN_VALUE_U:
		s->e->umin = mnl_attr_get_u64(a);
		s->bits |= SEEN_UMIN;
		break;
	case NL_POLICY_TYPE_ATTR_MAX_VALUE_U:
		s->e->umax = mnl_attr_get_u64(a);
		s->bits |= SEEN_UMAX;
		break;
	case NL_POLICY_TYPE_ATTR_MIN_VALUE_S:
		s->e->smin = (int64_t)mnl_attr_get_u64(a);
		s->bits |= SEEN_SMIN;
		break;
	case NL_POLICY_TYPE_ATTR_MAX_VALUE_S:
		s->e->smax = (int64_t)mnl_attr_get_u64(a);
		s->bits |= SEEN_SMAX;
		break;
	}
	return MNL_CB_OK;
}

static void parse_policy(const struct nlattr *nest, struct nl_error *e)
{
	struct policy_seen s = { .e = e };

	mnl_attr_parse_nested(nest, policy_attr_cb, &s);
	if ((s.bits & (SEEN_UMIN | SEEN_UMAX)) == (SEEN_UMIN | SEEN_UMAX)) {
		e->has_range = true;
	} else if ((s.bits & (SEEN_SMIN | SEEN_SMAX)) ==
		   (SEEN_SMIN | SEEN_SMAX)) {
		e->has_range = true;
		e->range_signed = true;
	}
}

static int error_attr_cb(const struct nlattr *a, void *data)
{
	struct nl_error *e = data;

	switch (mnl_attr_get_type(a)) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(e->msg, sizeof(e->msg), "%s",
				 mnl_attr_get_str(a));
		break;
	case NLMSGERR_ATTR_OFFS:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
			e->offs = mnl_attr_get_u32(a);
			e->has_offs = true;
		}
		break;
	case NLMSGERR_ATTR_POLICY:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) == 0)
			parse_policy(a, e);
		break;
	case NLMSGERR_ATTR_MISS_TYPE:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
			e->miss_type = mnl_attr_get_u32(a);
			e->has_miss = true;
		}
		break;
	}
	return MNL_CB_OK;
}

int nl_parse_error(const struct nlmsghdr *nlh, struct nl_error *e)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*err);

	memset(e, 0, sizeof(*e));
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		e->err = EBADMSG;
		return -EBADMSG;
	}
	e->err = -err->error;
	e->refused = true;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (off >= mnl_nlmsg_get_payload_len(nlh))
		return 0;
	mnl_attr_parse(nlh, (unsigned int)off, error_attr_cb, e);
	return 0;
}

/* --- transactions ---------------------------------------------------------- */

static ssize_t send_all(struct nl *nl, const struct nlmsghdr *req)
{
	ssize_t n;

	do
		n = mnl_socket_sendto(nl->sk, req, req->nlmsg_len);
	while (n < 0 && errno == EINTR);
	return n;
}

static ssize_t recv_some(struct nl *nl)
{
	ssize_t n;

	do
		n = mnl_socket_recvfrom(nl->sk, nl->buf, NL_BUFSIZE);
	while (n < 0 && errno == EINTR);
	return n;
}

static int local_error(struct nl_error *e, int err)
{
	memset(e, 0, sizeof(*e));
	e->err = err;
	return -err;
}

int nl_transact(struct nl *nl, struct nlmsghdr *req, nl_reply_cb cb,
		void *data, struct nl_error *e)
{
	struct nl_error dummy;
	int cb_err = 0;

	if (!e)
		e = &dummy;
	if (send_all(nl, req) < 0)
		return local_error(e, errno);
	for (;;) {
		const struct nlmsghdr *nlh;
		ssize_t n = recv_some(nl);
		int len;

		if (n < 0)
			return local_error(e, errno == EWOULDBLOCK ? EAGAIN : errno);
		len = (int)n;
		for (nlh = (struct nlmsghdr *)nl->buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			/* Answers to someone else, or stale ones: not ours. */
			if (nlh->nlmsg_seq != req->nlmsg_seq ||
			    nlh->nlmsg_pid != nl->portid)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				if (nl_parse_error(nlh, e) < 0)
					return -e->err;
				if (e->err)
					return -e->err;
				return cb_err ? local_error(e, -cb_err) : 0;
			}
			if (nlh->nlmsg_type == NLMSG_DONE)
				return cb_err ? local_error(e, -cb_err) : 0;
			if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
				continue;
			if (cb && !cb_err)
				cb_err = cb(nlh, data);
		}
	}
}

/* --- the controller -------------------------------------------------------- */

static int group_attr_cb(const struct nlattr *a, void *data)
{
	struct nl_mcgrp *g = data;

	switch (mnl_attr_get_type(a)) {
	case CTRL_ATTR_MCAST_GRP_NAME:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		snprintf(g->name, sizeof(g->name), "%s", mnl_attr_get_str(a));
		break;
	case CTRL_ATTR_MCAST_GRP_ID:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		g->id = mnl_attr_get_u32(a);
		break;
	}
	return MNL_CB_OK;
}

static int parse_groups(const struct nlattr *nest, struct nl_family *fam)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest) {
		struct nl_mcgrp g = { .id = 0 };

		if (fam->ngroups == NL_MAX_GROUPS)
			break;
		if (mnl_attr_parse_nested(a, group_attr_cb, &g) < 0)
			return MNL_CB_ERROR;
		if (g.id && g.name[0])
			fam->groups[fam->ngroups++] = g;
	}
	return MNL_CB_OK;
}

static int family_attr_cb(const struct nlattr *a, void *data)
{
	struct nl_family *fam = data;

	switch (mnl_attr_get_type(a)) {
	case CTRL_ATTR_FAMILY_ID:
		if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
			return MNL_CB_ERROR;
		fam->id = mnl_attr_get_u16(a);
		break;
	case CTRL_ATTR_VERSION:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		fam->version = mnl_attr_get_u32(a);
		break;
	case CTRL_ATTR_MCAST_GROUPS:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			return MNL_CB_ERROR;
		return parse_groups(a, fam);
	}
	return MNL_CB_OK;
}

int nl_parse_family(const struct nlmsghdr *nlh, struct nl_family *fam)
{
	memset(fam, 0, sizeof(*fam));
	if (mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb,
			   fam) < 0 || !fam->id)
		return -EBADMSG;
	return 0;
}

static int family_reply_cb(const struct nlmsghdr *nlh, void *data)
{
	return nl_parse_family(nlh, data);
}

int nl_get_family(struct nl *nl, const char *name, struct nl_family *fam,
		  struct nl_error *e)
{
	_Alignas(8) char buf[NL_REQSIZE];
	struct nl_error dummy;
	struct nlmsghdr *nlh;
	int err;

	if (!e)
		e = &dummy;
	memset(fam, 0, sizeof(*fam));
	nlh = nl_genl_request(nl, buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	err = nl_transact(nl, nlh, family_reply_cb, fam, e);
	if (!err && !fam->id)
		return local_error(e, EBADMSG);
	return err;
}

uint32_t nl_family_group(const struct nl_family *fam, const char *name)
{
	size_t i;

	for (i = 0; i < fam->ngroups; i++)
		if (!strcmp(fam->groups[i].name, name))
			return fam->groups[i].id;
	return 0;
}
