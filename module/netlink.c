// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "twctl": policy and statistics of the network
 * namespace of the requesting socket. The commands and attributes are
 * defined in uapi/linux/twctl.h and described by the YNL spec
 * tools/ynl/twctl.yaml.
 */
#include <linux/kernel.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include <uapi/linux/twctl.h>
#include "netlink.h"
#include "netns.h"
#include "version.h"

static struct genl_family twctl_genl_family;

static struct netlink_range_validation twctl_msl_range = {
	.min = TWCTL_MSL_MIN_MS,
	.max = TWCTL_MSL_MAX_MS,
};

static const struct nla_policy twctl_policy_nl_policy[TWCTL_A_POLICY_MAX + 1] = {
	[TWCTL_A_POLICY_MSL_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &twctl_msl_range),
};

/*
 * Requests carry TWCTL_A_POLICY only; the other attributes exist in replies.
 * Validation is strict (resv_start_op below): unknown or unexpected
 * attributes, trailing bytes and reserved header fields are all refused.
 */
static const struct nla_policy twctl_nl_policy[TWCTL_A_MAX + 1] = {
	[TWCTL_A_VERSION] = { .type = NLA_REJECT },
	[TWCTL_A_MODULE_VERSION] = { .type = NLA_REJECT },
	[TWCTL_A_POLICY] = NLA_POLICY_NESTED(twctl_policy_nl_policy),
	[TWCTL_A_STATS] = { .type = NLA_REJECT },
};

/* One row per u32 knob: its attribute, its flag in a patch, its field. */
static const struct {
	u16 attr;
	u32 flag;
	size_t off;
} twctl_nl_knobs[] = {
	{ TWCTL_A_POLICY_MSL_MS, TWCTL_P_MSL,
	  offsetof(struct twctl_policy, msl_ms) },
};

static u32 *twctl_knob_field(struct twctl_policy *p, size_t i)
{
	return (u32 *)((char *)p + twctl_nl_knobs[i].off);
}

static int twctl_nl_put_policy(struct sk_buff *msg, struct twctl_policy *p)
{
	struct nlattr *nest;
	size_t i;

	nest = nla_nest_start(msg, TWCTL_A_POLICY);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(twctl_nl_knobs); i++) {
		if (nla_put_u32(msg, twctl_nl_knobs[i].attr,
				*twctl_knob_field(p, i))) {
			nla_nest_cancel(msg, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int twctl_nl_put_stats(struct sk_buff *msg, struct net *net)
{
	struct nlattr *nest = nla_nest_start(msg, TWCTL_A_STATS);

	if (!nest)
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

/* A reply to @info carrying the family version and what @fill adds. */
static int twctl_nl_reply(struct genl_info *info, u8 cmd,
			  int (*fill)(struct sk_buff *msg, struct net *net))
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &twctl_genl_family, 0, cmd);
	if (!hdr) {
		err = -EMSGSIZE;
		goto err_free;
	}
	if (nla_put_u32(msg, TWCTL_A_VERSION, TWCTL_GENL_VERSION) ||
	    nla_put_string(msg, TWCTL_A_MODULE_VERSION, TWCTL_VERSION)) {
		err = -EMSGSIZE;
		goto err_free;
	}
	err = fill(msg, genl_info_net(info));
	if (err)
		goto err_free;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	nlmsg_free(msg);
	return err;
}

/*
 * Newer kernels refuse a non-zero genlmsghdr.reserved for strict families
 * in the genetlink core; 6.1 does not, so check it here for every command.
 */
static int twctl_nl_check_hdr(struct genl_info *info)
{
	if (info->genlhdr->reserved) {
		NL_SET_ERR_MSG(info->extack, "genlmsghdr.reserved field is not 0");
		return -EINVAL;
	}
	return 0;
}

static int twctl_nl_fill_policy(struct sk_buff *msg, struct net *net)
{
	struct twctl_policy p;

	twctl_policy_get(net, &p);
	return twctl_nl_put_policy(msg, &p);
}

static int twctl_nl_get_policy(struct sk_buff *skb, struct genl_info *info)
{
	return twctl_nl_check_hdr(info) ?: twctl_nl_reply(info, TWCTL_CMD_GET_POLICY, twctl_nl_fill_policy);
}

static int twctl_nl_set_policy(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[TWCTL_A_POLICY_MAX + 1];
	struct twctl_policy_patch patch = {};
	struct nlattr *nest;
	size_t i;
	int err;

	err = twctl_nl_check_hdr(info);
	if (err)
		return err;
	if (GENL_REQ_ATTR_CHECK(info, TWCTL_A_POLICY))
		return -EINVAL;
	nest = info->attrs[TWCTL_A_POLICY];
	err = nla_parse_nested(tb, TWCTL_A_POLICY_MAX, nest,
			       twctl_policy_nl_policy, info->extack);
	if (err)
		return err;

	for (i = 0; i < ARRAY_SIZE(twctl_nl_knobs); i++) {
		if (!tb[twctl_nl_knobs[i].attr])
			continue;
		*twctl_knob_field(&patch.val, i) =
			nla_get_u32(tb[twctl_nl_knobs[i].attr]);
		patch.set |= twctl_nl_knobs[i].flag;
	}
	if (!patch.set) {
		NL_SET_ERR_MSG_ATTR(info->extack, nest,
				    "no policy attribute to set");
		return -EINVAL;
	}

	err = twctl_policy_update(genl_info_net(info), &patch);
	if (err == -ENOMEM)
		NL_SET_ERR_MSG(info->extack, "out of memory for the new policy");
	else if (err)
		NL_SET_ERR_MSG_ATTR(info->extack, nest,
				    "policy values are inconsistent");
	return err;
}

static int twctl_nl_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	return twctl_nl_check_hdr(info) ?: twctl_nl_reply(info, TWCTL_CMD_GET_STATS, twctl_nl_put_stats);
}

static int twctl_nl_reset_stats(struct sk_buff *skb, struct genl_info *info)
{
	return twctl_nl_check_hdr(info);
}

static const struct genl_small_ops twctl_genl_ops[] = {
	{
		.cmd = TWCTL_CMD_GET_POLICY,
		.doit = twctl_nl_get_policy,
	},
	{
		.cmd = TWCTL_CMD_SET_POLICY,
		.doit = twctl_nl_set_policy,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = TWCTL_CMD_GET_STATS,
		.doit = twctl_nl_get_stats,
	},
	{
		.cmd = TWCTL_CMD_RESET_STATS,
		.doit = twctl_nl_reset_stats,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static struct genl_family twctl_genl_family __ro_after_init = {
	.name = TWCTL_GENL_NAME,
	.version = TWCTL_GENL_VERSION,
	.maxattr = TWCTL_A_MAX,
	.policy = twctl_nl_policy,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.small_ops = twctl_genl_ops,
	.n_small_ops = ARRAY_SIZE(twctl_genl_ops),
	.resv_start_op = TWCTL_CMD_MAX + 1,
};

int twctl_genl_init(void)
{
	return genl_register_family(&twctl_genl_family);
}

void twctl_genl_exit(void)
{
	genl_unregister_family(&twctl_genl_family);
}
