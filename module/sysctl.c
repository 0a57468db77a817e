// SPDX-License-Identifier: GPL-2.0
/*
 * net.twctl.<knob>: the policy knobs as per-netns sysctls, for sysctl.d,
 * sysctl -w and the container runtimes that set a container's sysctls (OCI
 * linux.sysctl, Kubernetes securityContext.sysctls, CNI tuning). Names,
 * units, parsing, ranges and format are those of /sys/kernel/twctl/
 * (struct twctl_knob); a write goes through twctl_policy_update() like
 * sysfs and netlink ones.
 *
 * Permissions are the kernel's own for net sysctls (net/sysctl_net.c,
 * net_ctl_permissions()): CAP_NET_ADMIN over the user namespace that owns
 * the network namespace gives the owner's mode bits, so the root of a
 * container's user namespace may write its own namespace's values and no
 * other's.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "compat.h"
#include "netns.h"
#include "policy.h"
#include "sysctl.h"

struct twctl_sysctl_net {
	struct ctl_table_header *hdr;
	struct ctl_table *table;
};

static unsigned int twctl_sysctl_net_id __read_mostly;

/*
 * An entry's data is its namespace (per-netns memory, so the kernel leaves
 * it writable: ensure_safe_net_sysctl()), extra1 its knob.
 */
static int twctl_sysctl_handler(TWCTL_CTL_TABLE *table, int write,
				void *buffer, size_t *lenp, loff_t *ppos)
{
	const struct twctl_knob *k = table->extra1;
	struct net *net = table->data;
	struct twctl_policy_patch patch = { };
	char text[TWCTL_KNOB_TEXT_MAX];
	struct twctl_policy p;
	size_t len;
	int err;

	if (write) {
		/* an empty write(2) changes nothing, as kernfs's for sysfs */
		if (!*lenp)
			return 0;
		/* one write(2) sets a value; a continued one is refused */
		if (*ppos)
			return -EINVAL;
		err = twctl_knob_parse(k, buffer, *lenp, &patch);
		if (!err)
			err = twctl_policy_update(net, &patch);
		if (err)
			return err;
		*ppos += *lenp;
		return 0;
	}

	twctl_policy_get(net, &p);
	len = twctl_knob_format(k, &p, text, sizeof(text));
	if (*ppos >= len) {
		*lenp = 0;
		return 0;
	}
	len = min(len - (size_t)*ppos, *lenp);
	memcpy(buffer, text + *ppos, len);
	*lenp = len;
	*ppos += len;
	return 0;
}

static int __net_init twctl_sysctl_net_init(struct net *net)
{
	struct twctl_sysctl_net *sn = net_generic(net, twctl_sysctl_net_id);
	struct ctl_table *t;
	size_t i;

	/* one more, zeroed: the end marker of kernels before 6.6 */
	t = kcalloc(TWCTL_NKNOBS + 1, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	for (i = 0; i < TWCTL_NKNOBS; i++) {
		t[i].procname = twctl_knobs[i].name;
		t[i].mode = 0644;
		t[i].proc_handler = twctl_sysctl_handler;
		t[i].data = net;
		t[i].extra1 = (void *)&twctl_knobs[i];
	}
	sn->hdr = twctl_register_net_sysctl(net, "net/twctl", t, TWCTL_NKNOBS);
	if (!sn->hdr) {
		kfree(t);
		return -ENOMEM;
	}
	sn->table = t;
	return 0;
}

static void __net_exit twctl_sysctl_net_exit(struct net *net)
{
	struct twctl_sysctl_net *sn = net_generic(net, twctl_sysctl_net_id);

	/* waits for handlers still running */
	unregister_net_sysctl_table(sn->hdr);
	kfree(sn->table);
}

static struct pernet_operations twctl_sysctl_net_ops = {
	.init = twctl_sysctl_net_init,
	.exit = twctl_sysctl_net_exit,
	.id = &twctl_sysctl_net_id,
	.size = sizeof(struct twctl_sysctl_net),
};

/*
 * After twctl_netns_init(): a namespace's policy exists before its sysctls
 * and outlives them (the netns core sets namespaces up in registration
 * order and dismantles them in reverse).
 */
int twctl_sysctl_init(void)
{
	return register_pernet_subsys(&twctl_sysctl_net_ops);
}

void twctl_sysctl_exit(void)
{
	unregister_pernet_subsys(&twctl_sysctl_net_ops);
}
