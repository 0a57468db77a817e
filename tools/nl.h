/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic netlink plumbing: one socket with extended ACKs, family lookup
 * through the controller, and request/reply transactions that check
 * sequence numbers and decode the kernel's error ACK (extack).
 */
#ifndef TWCTL_NL_H
#define TWCTL_NL_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#define NL_BUFSIZE	32768	/* replies */
#define NL_REQSIZE	8192	/* requests */
#define NL_MAX_GROUPS	16
#define NL_MSG_MAX	256

struct nl_mcgrp {
	char name[GENL_NAMSIZ];
	uint32_t id;
};

/* What the controller says about a family (CTRL_CMD_GETFAMILY). */
struct nl_family {
	uint16_t id;
	uint32_t version;
	size_t ngroups;
	struct nl_mcgrp groups[NL_MAX_GROUPS];
};

/* A refusal, decoded from NLMSG_ERROR and its extack attributes. */
struct nl_error {
	int err;			/* positive errno */
	bool refused;			/* from the kernel's NLMSG_ERROR */
	char msg[NL_MSG_MAX];		/* NLMSGERR_ATTR_MSG, or "" */
	bool has_offs;
	uint32_t offs;			/* NLMSGERR_ATTR_OFFS */
	bool has_range, range_signed;	/* from NLMSGERR_ATTR_POLICY */
	int64_t smin, smax;
	uint64_t umin, umax;
	bool has_miss;
	uint32_t miss_type;		/* NLMSGERR_ATTR_MISS_TYPE */
};

struct nl {
	struct mnl_socket *sk;
	uint32_t portid;
	uint32_t seq;
	char *buf;			/* NL_BUFSIZE bytes for replies */
};

/* Reply callback: one message of the answer (not the ACK). */
typedef int (*nl_reply_cb)(const struct nlmsghdr *nlh, void *data);

/* 0, or -errno. @timeout_s bounds each wait for an answer (0: none). */
int nl_open(struct nl *nl, unsigned int timeout_s);
void nl_close(struct nl *nl);

/*
 * A generic netlink request in @buf (NL_REQSIZE bytes): header for
 * @type/@cmd/@version, NLM_F_REQUEST | NLM_F_ACK and the next sequence
 * number of @nl.
 */
struct nlmsghdr *nl_genl_request(struct nl *nl, void *buf, uint16_t type,
				 uint8_t cmd, uint8_t version);

/*
 * Send @req and read until its ACK. Messages of the answer go to @cb.
 * Returns 0; -errno of a refusal, with @e filled (when not NULL); or
 * another -errno (EAGAIN: no answer in time) with e->err set too.
 */
int nl_transact(struct nl *nl, struct nlmsghdr *req, nl_reply_cb cb,
		void *data, struct nl_error *e);

/* Look up family @name: 0, -ENOENT when the kernel has none, or -errno. */
int nl_get_family(struct nl *nl, const char *name, struct nl_family *fam,
		  struct nl_error *e);

/* The id of multicast group @name of @fam, or 0 when it has none. */
uint32_t nl_family_group(const struct nl_family *fam, const char *name);

/* Pure decoders, exposed for the unit tests. */
int nl_parse_error(const struct nlmsghdr *nlh, struct nl_error *e);
int nl_parse_family(const struct nlmsghdr *nlh, struct nl_family *fam);

#endif /* TWCTL_NL_H */
