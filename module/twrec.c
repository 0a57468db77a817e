// SPDX-License-Identifier: GPL-2.0
/*
 * Length records: the TIME_WAIT length decided for a timewait socket when
 * it depends on what only the closing full socket knew (its RTT for the
 * peer class, its RTO for the floor). A timewait socket keeps neither, and a
 * retransmitted FIN must re-arm the timer with the same length as the first
 * arming, so that length is kept here, keyed by the timewait socket's
 * address, from its creation to its end (inet_twsk_kill()).
 *
 * This is the only per-socket state of twctl, and it exists only while a
 * namespace's policy needs it (twctl_policy_needs_records()): one record of
 * twctl_twrec_size bytes per such timewait socket, counted in the stats
 * (tw_records). Lookups are lock-free (RCU). Adding and removing take one
 * of 64 spinlocks (by bucket) with interrupts off, since both happen in
 * process and softirq context on the same CPU; a record is freed after an
 * RCU grace period.
 */
#include <linux/atomic.h>
#include <linux/hash.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "twrec.h"

#define TWCTL_TWREC_BITS	12
#define TWCTL_TWREC_LOCKS	64

struct twctl_twrec {
	struct hlist_node node;
	const void *tw;
	unsigned long len;
	u8 class;		/* enum twctl_peer_class */
	struct rcu_head rcu;
};

const size_t twctl_twrec_size = sizeof(struct twctl_twrec);

static struct hlist_head twctl_twrec_tab[1 << TWCTL_TWREC_BITS];
static spinlock_t twctl_twrec_lock[TWCTL_TWREC_LOCKS] = {
	[0 ... TWCTL_TWREC_LOCKS - 1] = __SPIN_LOCK_UNLOCKED(twctl_twrec_lock)
};

static atomic_long_t twctl_twrec_n = ATOMIC_LONG_INIT(0);

static u32 twctl_twrec_hash(const void *tw)
{
	return hash_ptr(tw, TWCTL_TWREC_BITS);
}

static spinlock_t *twctl_twrec_lockof(u32 h)
{
	return &twctl_twrec_lock[h % TWCTL_TWREC_LOCKS];
}

/* Under the bucket's lock or rcu_read_lock(). */
static struct twctl_twrec *twctl_twrec_find(u32 h, const void *tw)
{
	struct twctl_twrec *r;

	hlist_for_each_entry_rcu(r, &twctl_twrec_tab[h], node,
				 lockdep_is_held(twctl_twrec_lockof(h)))
		if (r->tw == tw)
			return r;
	return NULL;
}

/*
 * Record @len for @tw, any context. A record left by a socket that ended
 * unseen (it cannot happen while the hooks are armed) is overwritten.
 */
int twctl_twrec_add(const void *tw, unsigned long len, u8 class)
{
	u32 h = twctl_twrec_hash(tw);
	struct twctl_twrec *r, *old;
	unsigned long flags;

	r = kmalloc(sizeof(*r), GFP_ATOMIC | __GFP_NOWARN);
	if (!r)
		return -ENOMEM;
	r->tw = tw;
	r->len = len;
	r->class = class;
	spin_lock_irqsave(twctl_twrec_lockof(h), flags);
	old = twctl_twrec_find(h, tw);
	if (old) {
		WRITE_ONCE(old->len, len);
		WRITE_ONCE(old->class, class);
	} else {
		hlist_add_head_rcu(&r->node, &twctl_twrec_tab[h]);
		atomic_long_inc(&twctl_twrec_n);
	}
	spin_unlock_irqrestore(twctl_twrec_lockof(h), flags);
	if (old)
		kfree(r);
	return 0;
}

/* The length and peer class recorded for @tw, if any. */
bool twctl_twrec_get(const void *tw, unsigned long *len, u8 *class)
{
	struct twctl_twrec *r;
	bool found = false;

	if (!atomic_long_read(&twctl_twrec_n))
		return false;
	rcu_read_lock();
	r = twctl_twrec_find(twctl_twrec_hash(tw), tw);
	if (r) {
		*len = READ_ONCE(r->len);
		*class = READ_ONCE(r->class);
		found = true;
	}
	rcu_read_unlock();
	return found;
}

/* @tw ends: drop its record, if any. */
void twctl_twrec_del(const void *tw)
{
	u32 h = twctl_twrec_hash(tw);
	struct twctl_twrec *r;
	unsigned long flags;

	if (!atomic_long_read(&twctl_twrec_n))
		return;
	spin_lock_irqsave(twctl_twrec_lockof(h), flags);
	r = twctl_twrec_find(h, tw);
	if (r) {
		hlist_del_rcu(&r->node);
		atomic_long_dec(&twctl_twrec_n);
	}
	spin_unlock_irqrestore(twctl_twrec_lockof(h), flags);
	if (r)
		kfree_rcu(r, rcu);
}

long twctl_twrec_count(void)
{
	return atomic_long_read(&twctl_twrec_n);
}

/* Module exit, after the hooks are gone: free every record left. */
void twctl_twrec_exit(void)
{
	struct hlist_node *n;
	struct twctl_twrec *r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(twctl_twrec_tab); i++) {
		hlist_for_each_entry_safe(r, n, &twctl_twrec_tab[i], node) {
			hlist_del(&r->node);
			kfree(r);
		}
	}
	atomic_long_set(&twctl_twrec_n, 0);
}
