// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/twctl/: the policy and counters of the network namespace of
 * the process that reads or writes a file. sysfs is the host administrator's
 * interface: writes need CAP_NET_ADMIN over the user namespace owning that
 * network namespace and must come from the initial user namespace.
 * Administrators of a container's user namespace use the netlink family.
 */
#include <linux/capability.h>
#include <linux/kobject.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/user_namespace.h>
#include <net/net_namespace.h>

#include <uapi/linux/twctl.h>
#include "hooks.h"
#include "netns.h"
#include "sysfs.h"
#include "twrec.h"
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

/* One policy knob's file (struct twctl_knob: shared with sysctl.c). */
struct twctl_knob_attr {
	struct kobj_attribute attr;
	const struct twctl_knob *k;
};

static ssize_t twctl_knob_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	struct twctl_knob_attr *ka = container_of(attr, struct twctl_knob_attr,
						  attr);
	struct twctl_policy p;

	twctl_policy_get(twctl_current_net(), &p);
	return twctl_knob_format(ka->k, &p, buf, PAGE_SIZE);
}

static ssize_t twctl_knob_store(struct kobject *kobj,
				struct kobj_attribute *attr, const char *buf,
				size_t count)
{
	struct twctl_knob_attr *ka = container_of(attr, struct twctl_knob_attr,
						  attr);
	struct net *net = twctl_current_net();
	struct twctl_policy_patch patch = { };
	int err;

	if (!twctl_may_write(net))
		return -EPERM;
	err = twctl_knob_parse(ka->k, buf, count, &patch);
	if (err)
		return err;
	err = twctl_policy_update(net, &patch);
	return err ? err : count;
}

static struct twctl_knob_attr twctl_knob_attrs[TWCTL_NKNOBS];

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", TWCTL_VERSION);
}

static struct kobj_attribute version_attr = __ATTR_RO(version);

static struct attribute *twctl_attrs[TWCTL_NKNOBS + 2];

static const struct attribute_group twctl_attr_group = {
	.attrs = twctl_attrs,
};

/* stats/: one read-only file per counter of twctl_stat_desc. */
struct twctl_stat_attr {
	struct kobj_attribute attr;
	enum twctl_stat idx;
};

static struct twctl_stat_attr twctl_stat_attrs[TWCTL_STAT_MAX];
/*
 * + tw_alive, tw_records, tw_record_bytes, hooks_missed, netns_count,
 * transitions, lifetime_ms
 */
#define TWCTL_STATS_EXTRA	7
static struct attribute *twctl_stats_attrs[TWCTL_STAT_MAX + TWCTL_STATS_EXTRA + 1];

/* The namespace's counters, or NULL (-ENOMEM); kfree() it. */
static struct twctl_stats *twctl_stats_get(void)
{
	struct twctl_stats *st = kmalloc(sizeof(*st), GFP_KERNEL);

	if (st)
		twctl_stats_read(twctl_current_net(), st);
	return st;
}

static ssize_t twctl_stat_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	struct twctl_stat_attr *a = container_of(attr, struct twctl_stat_attr,
						 attr);
	struct twctl_stats *st = twctl_stats_get();
	ssize_t n;

	if (!st)
		return -ENOMEM;
	n = sysfs_emit(buf, "%llu\n", st->v[a->idx]);
	kfree(st);
	return n;
}

static ssize_t tw_alive_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%llu\n", twctl_tw_alive(twctl_current_net()));
}

/* module-wide: length records alive, and the size of one */
/*
 * The module-wide gauges are the host's: readable from init_net, or with
 * CAP_NET_ADMIN over the initial user namespace; a container gets EPERM,
 * not the host's figures as if they were its own (netlink.c does the same).
 */
static bool twctl_sees_module_wide(void)
{
	return net_eq(twctl_current_net(), &init_net) ||
	       ns_capable_noaudit(&init_user_ns, CAP_NET_ADMIN);
}

static ssize_t tw_records_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	if (!twctl_sees_module_wide())
		return -EPERM;
	return sysfs_emit(buf, "%ld\n", twctl_twrec_count());
}

static ssize_t tw_record_bytes_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%zu\n", twctl_twrec_size);
}

static ssize_t hooks_missed_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	if (!twctl_sees_module_wide())
		return -EPERM;
	return sysfs_emit(buf, "%llu\n", twctl_hooks_missed());
}

static ssize_t netns_count_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	if (!twctl_sees_module_wide())
		return -EPERM;
	return sysfs_emit(buf, "%llu\n", twctl_netns_count());
}

/* "FROM TO COUNT" per non-zero cell of the close-path transition matrix */
static ssize_t transitions_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	struct twctl_stats *st = twctl_stats_get();
	int i, j, n = 0;

	if (!st)
		return -ENOMEM;
	for (i = 0; i < TWCTL_NSTATES; i++)
		for (j = 0; j < TWCTL_NSTATES; j++)
			if (st->trans[i][j])
				n += sysfs_emit_at(buf, n, "%s %s %llu\n",
						   twctl_state_name(twctl_close_states[i]),
						   twctl_state_name(twctl_close_states[j]),
						   st->trans[i][j]);
	kfree(st);
	return n;
}

/* "LT_MS COUNT" per bucket: lifetimes shorter than LT_MS, >= LT_MS / 2 */
static ssize_t lifetime_ms_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	struct twctl_stats *st = twctl_stats_get();
	int i, n = 0;

	if (!st)
		return -ENOMEM;
	for (i = 0; i < TWCTL_HIST_BUCKETS; i++)
		n += sysfs_emit_at(buf, n, "%llu %llu\n", twctl_hist_lt_ms(i),
				   st->hist[i]);
	kfree(st);
	return n;
}

static struct kobj_attribute twctl_stats_extra[] = {
	__ATTR_RO(tw_alive),
	__ATTR_RO(tw_records),
	__ATTR_RO(tw_record_bytes),
	__ATTR_RO(hooks_missed),
	__ATTR_RO(netns_count),
	__ATTR_RO(transitions),
	__ATTR_RO(lifetime_ms),
};

static const struct attribute_group twctl_stats_group = {
	.name = "stats",
	.attrs = twctl_stats_attrs,
};

static const struct attribute_group *twctl_groups[] = {
	&twctl_attr_group,
	&twctl_stats_group,
	NULL,
};

int twctl_sysfs_init(void)
{
	size_t i;
	int err;

	for (i = 0; i < TWCTL_NKNOBS; i++) {
		struct twctl_knob_attr *ka = &twctl_knob_attrs[i];

		sysfs_attr_init(&ka->attr.attr);
		ka->attr.attr.name = twctl_knobs[i].name;
		ka->attr.attr.mode = 0644;
		ka->attr.show = twctl_knob_show;
		ka->attr.store = twctl_knob_store;
		ka->k = &twctl_knobs[i];
		twctl_attrs[i] = &ka->attr.attr;
	}
	twctl_attrs[i] = &version_attr.attr;
	for (i = 0; i < TWCTL_STAT_MAX; i++) {
		struct twctl_stat_attr *a = &twctl_stat_attrs[i];

		sysfs_attr_init(&a->attr.attr);
		a->attr.attr.name = twctl_stat_desc[i].name;
		a->attr.attr.mode = 0444;
		a->attr.show = twctl_stat_show;
		a->idx = i;
		twctl_stats_attrs[i] = &a->attr.attr;
	}
	BUILD_BUG_ON(ARRAY_SIZE(twctl_stats_extra) != TWCTL_STATS_EXTRA);
	for (i = 0; i < ARRAY_SIZE(twctl_stats_extra); i++)
		twctl_stats_attrs[TWCTL_STAT_MAX + i] =
			&twctl_stats_extra[i].attr;

	twctl_kobj = kobject_create_and_add("twctl", kernel_kobj);
	if (!twctl_kobj)
		return -ENOMEM;
	err = sysfs_create_groups(twctl_kobj, twctl_groups);
	if (err)
		kobject_put(twctl_kobj);
	return err;
}

void twctl_sysfs_exit(void)
{
	sysfs_remove_groups(twctl_kobj, twctl_groups);
	kobject_put(twctl_kobj);
}
