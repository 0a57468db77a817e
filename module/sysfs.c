// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/twctl/: the policy of the network namespace of the process
 * that reads or writes a file. sysfs is the host administrator's interface:
 * writes need CAP_NET_ADMIN over the user namespace owning that network
 * namespace and must come from the initial user namespace. Administrators
 * of a container's user namespace use the netlink family instead.
 */
#include <linux/capability.h>
#include <linux/kobject.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/sysfs.h>
#include <linux/user_namespace.h>
#include <net/net_namespace.h>

#include <uapi/linux/twctl.h>
#include "netns.h"
#include "sysfs.h"
#include "version.h"

static struct kobject *twctl_kobj;

static struct net *twctl_current_net(void)
{
	return current->nsproxy->net_ns;
}

static bool twctl_may_write(struct net *net)
{
	return current_user_ns() == &init_user_ns &&
	       ns_capable(net->user_ns, CAP_NET_ADMIN);
}

static ssize_t msl_ms_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	struct twctl_policy p;

	twctl_policy_get(twctl_current_net(), &p);
	return sysfs_emit(buf, "%u\n", p.msl_ms);
}

static ssize_t msl_ms_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	struct net *net = twctl_current_net();
	struct twctl_policy_patch patch = { .set = TWCTL_P_MSL };
	int err;

	if (!twctl_may_write(net))
		return -EPERM;

	err = twctl_parse_ranged(buf, count, TWCTL_MSL_MIN_MS,
				 TWCTL_MSL_MAX_MS, &patch.val.msl_ms);
	if (err)
		return err;
	err = twctl_policy_update(net, &patch);
	return err ? err : count;
}

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", TWCTL_VERSION);
}

static struct kobj_attribute msl_ms_attr = __ATTR_RW(msl_ms);
static struct kobj_attribute version_attr = __ATTR_RO(version);

static struct attribute *twctl_attrs[] = {
	&msl_ms_attr.attr,
	&version_attr.attr,
	NULL,
};

static const struct attribute_group twctl_attr_group = {
	.attrs = twctl_attrs,
};

int twctl_sysfs_init(void)
{
	int err;

	twctl_kobj = kobject_create_and_add("twctl", kernel_kobj);
	if (!twctl_kobj)
		return -ENOMEM;
	err = sysfs_create_group(twctl_kobj, &twctl_attr_group);
	if (err)
		kobject_put(twctl_kobj);
	return err;
}

void twctl_sysfs_exit(void)
{
	kobject_put(twctl_kobj);
}
