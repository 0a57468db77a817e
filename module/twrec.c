// SPDX-License-Identifier: GPL-2.0
/*
 * Length records: the TIME_WAIT length decided for a timewait socket when
 * it depends on what only the closing full socket knew (its RTT for the
 * peer class, its RTO for the floor). A timewait socket keeps neither, and a
 * retransmitted FIN must re-arm the timer with the same length as the first
 * arming, so that length is kept here, keyed by the timewait socket's
 * address, from its first arming until it is freed.
 *
 * This is the only per-socket state of twctl, and it exists only while a
 * namespace's policy needs it (twctl_policy_needs_records()): one record of
 * twctl_twrec_size bytes per such timewait socket, counted in the stats
 * (tw_records), at most max_tw_records of them, module-wide. Beyond that a
 * socket gets no record (counted: tw_record_capped) and its class is read
 * off its addresses, as without memory for one (tw_record_failed).
 *
 * The table is an rhashtable: a namespace may hold tcp_max_tw_buckets
 * (262144 by default) timewait sockets, and the table grows with the
 * records (and shrinks after them) so that every arming, end and reuse
 * check walks a short chain. Resizing runs in a worker; an insert that
 * finds the table too full grows it at once, GFP_ATOMIC (on PREEMPT_RT it
 * makes no record instead, see twctl_twrec_table_full()). Lookups are
 * lock-free (RCU). Inserts and removals take the bucket's bit lock, from
 * softirq or from process context (the hooks, hooks.c), and never sleep;
 * where that lock only turns BH off (compat.h), not with interrupts off: a
 * record is then not made, or left for later. A record is freed after an
 * RCU grace period.
 *
 * Records go when their timewait socket is freed (tcp_twsk_destructor(),
 * hooks.c), not when it ends (inet_twsk_kill()): that is where the socket
 * really goes, once, reached only through a function pointer or from
 * another file, so no inlining can hide it. A record a missed hook run
 * leaves behind is removed by the next lookup or free at its address,
 * which its identity check (below) makes safe meanwhile. A namespace that
 * never made a record does not look here while its sockets live, nor
 * mostly when they are freed (hooks.c: twctl_tw_length(), struct
 * twctl_unrecorded), so such a leftover can stay until a socket of a
 * namespace with records is at its address, or until module exit.
 *
 * An address does not name a socket for long: timewait sockets come from a
 * SLAB_TYPESAFE_BY_RCU cache, so the memory of one that ends soon holds a
 * new one, of any namespace. A record whose socket ended unseen (a hook
 * run skipped, see hooks_missed) must not give its length to that new
 * one. So a record also keeps what a later socket at its address would not
 * share (struct twctl_twrec_id), and a lookup that finds a record of
 * another socket treats it as absent and removes it:
 *
 *   - the namespace, compared and never dereferenced;
 *   - the ports (skc_portpair): a socket of another connection mostly has
 *     other ones;
 *   - tw_snd_nxt, the sequence number after the connection's FIN: fixed
 *     for the timewait socket's life (include/net/tcp_ao.h relies on it),
 *     and a new connection on the same ports starts from a new initial
 *     sequence number (when it takes a TIME_WAIT over, 64 KiB beyond it),
 *     so two connections share it with odds of 2^-32 at most.
 *
 * The socket cookie would name the socket alone, but tw_cookie is only
 * what the full socket had: 0 unless something (ss, BPF) asked for it, and
 * then set on the timewait socket by the first inet_diag dump, after the
 * record was made. sock_gen_cookie() is not exported to set it earlier.
 */
#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "twrec.h"

struct twctl_twrec {
	struct rhash_head node;
	const void *tw;		/* the key: the timewait socket's address */
	struct twctl_twrec_id id;
	unsigned long len;
	u8 class;		/* enum twctl_peer_class */
	union {
		struct rcu_head rcu;		/* once out of the table */
		struct twctl_twrec *next;	/* in the pool */
	};
};

const size_t twctl_twrec_size = sizeof(struct twctl_twrec);

/*
 * The cap. A namespace holds at most tcp_max_tw_buckets timewait sockets:
 * by default half the established hash, which has one slot per 128 KiB of
 * memory up to 512Ki slots, so 262144 at most (from about 64 GiB of
 * memory). The default cap fits that many records (16 MiB of them), so
 * one namespace at the kernel's default limit is recorded in full on any
 * host. An administrator who raised tcp_max_tw_buckets, or runs many
 * namespaces that need records, raises it; at run time too (a lower cap
 * refuses new records until enough old ones are gone). The limit is the
 * largest established hash of a namespace (tcp_child_ehash_entries: 16Mi).
 */
#define TWCTL_TWREC_MAX_DEFAULT	262144
#define TWCTL_TWREC_MAX_LIMIT	16777216	/* 16Mi */

static unsigned int max_tw_records = TWCTL_TWREC_MAX_DEFAULT;

static int max_tw_records_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 0, TWCTL_TWREC_MAX_LIMIT);
}

static const struct kernel_param_ops max_tw_records_ops = {
	.set = max_tw_records_set,
	.get = param_get_uint,
};

module_param_cb(max_tw_records, &max_tw_records_ops, &max_tw_records, 0644);
MODULE_PARM_DESC(max_tw_records,
		 "length records kept at most, module-wide (0..16777216, default 262144); beyond, a TIME_WAIT's class comes from its addresses");

static const struct rhashtable_params twctl_twrec_params = {
	.head_offset = offsetof(struct twctl_twrec, node),
	.key_offset = offsetof(struct twctl_twrec, tw),
	.key_len = sizeof(const void *),
	.automatic_shrinking = true,
};

static struct rhashtable twctl_twrec_tab;

/* Records in the table, or about to be: never fewer. */
static atomic_long_t twctl_twrec_n = ATOMIC_LONG_INIT(0);

/*
 * Take one of @max places counted in @n: false when all are taken (or
 * more, after the cap was lowered).
 */
static bool twctl_twrec_reserve(atomic_long_t *n, long max)
{
	long c = atomic_long_read(n);

	do {
		if (c >= max)
			return false;
	} while (!atomic_long_try_cmpxchg(n, &c, c + 1));
	return true;
}

/* Whether the table may be written here (compat.h: TWCTL_RHT_IRQSAFE). */
static bool twctl_twrec_writable(void)
{
	return TWCTL_RHT_IRQSAFE || !irqs_disabled();
}

/* Under rcu_read_lock(): take @r out of the table, if it is still in. */
static void twctl_twrec_unlink(struct twctl_twrec *r)
{
	if (!twctl_twrec_writable())
		return;		/* the next lookup or free at its address will */
	if (rhashtable_remove_fast(&twctl_twrec_tab, &r->node,
				   twctl_twrec_params))
		return;		/* someone else did */
	atomic_long_dec(&twctl_twrec_n);
	kfree_rcu(r, rcu);
}

/*
 * Records are made in the hooks, with preemption off, where PREEMPT_RT
 * allows no allocation at all (the slab's locks sleep there). So they come
 * from a pool of TWCTL_TWREC_POOL records, taken under a raw spinlock and
 * refilled by a work item, in process context, once half of it is used.
 * Elsewhere an empty pool falls back to GFP_ATOMIC; on PREEMPT_RT a socket
 * then gets no record (counted: tw_record_failed). Used records go back to
 * the slab (kfree_rcu(), safe in any context), not to the pool.
 *
 * lib/rhashtable.c allocates too: an insert into a table fuller than its
 * size (inserts outpacing the resize worker, which grows it at 75 %), or
 * into a chain of RHT_ELASTICITY records, takes the slow path and allocates
 * a new table GFP_ATOMIC itself. On PREEMPT_RT twctl_twrec_table_full()
 * keeps inserts off that path (below).
 */
#define TWCTL_TWREC_POOL	1024

static struct {
	raw_spinlock_t lock;
	struct twctl_twrec *free;
	unsigned int n;
	struct work_struct work;
} twctl_twrec_pool = {
	.lock = __RAW_SPIN_LOCK_UNLOCKED(twctl_twrec_pool.lock),
};

static void twctl_twrec_pool_put(struct twctl_twrec *r)
{
	unsigned long flags;

	raw_spin_lock_irqsave(&twctl_twrec_pool.lock, flags);
	r->next = twctl_twrec_pool.free;
	twctl_twrec_pool.free = r;
	twctl_twrec_pool.n++;
	raw_spin_unlock_irqrestore(&twctl_twrec_pool.lock, flags);
}

static struct twctl_twrec *twctl_twrec_pool_get(void)
{
	struct twctl_twrec *r;
	unsigned long flags;
	bool low;

	raw_spin_lock_irqsave(&twctl_twrec_pool.lock, flags);
	r = twctl_twrec_pool.free;
	if (r) {
		twctl_twrec_pool.free = r->next;
		twctl_twrec_pool.n--;
	}
	low = twctl_twrec_pool.n < TWCTL_TWREC_POOL / 2;
	raw_spin_unlock_irqrestore(&twctl_twrec_pool.lock, flags);
	if (low)
		queue_work(system_wq, &twctl_twrec_pool.work);
	if (!r && !IS_ENABLED(CONFIG_PREEMPT_RT))
		r = kmalloc(sizeof(*r), GFP_ATOMIC | __GFP_NOWARN);
	return r;
}

/* Fill the pool up, in process context: 0 or -ENOMEM. */
static int twctl_twrec_pool_fill(void)
{
	struct twctl_twrec *r;

	while (READ_ONCE(twctl_twrec_pool.n) < TWCTL_TWREC_POOL) {
		r = kmalloc(sizeof(*r), GFP_KERNEL);
		if (!r)
			return -ENOMEM;
		twctl_twrec_pool_put(r);
	}
	return 0;
}

static void twctl_twrec_pool_work(struct work_struct *work)
{
	twctl_twrec_pool_fill();
}

static void twctl_twrec_pool_free(void)
{
	struct twctl_twrec *r;

	while ((r = twctl_twrec_pool.free)) {
		twctl_twrec_pool.free = r->next;
		kfree(r);
	}
	twctl_twrec_pool.n = 0;
}

/*
 * On PREEMPT_RT: true when an insert now could make lib/rhashtable.c grow
 * the table in the hook, i.e. the newest table (the one being resized to,
 * if any) is fuller than 75 %. The insert that crossed 75 % queued the
 * resize worker, which grows the table in process context; until it has,
 * sockets get no record (counted: tw_record_failed), as without memory.
 * With at most 75 % of the buckets used, a chain of RHT_ELASTICITY (16)
 * records under the table's random hash seed is not a case to plan for.
 * Call under rcu_read_lock().
 */
static bool twctl_twrec_table_full(void)
{
	struct rhashtable *ht = &twctl_twrec_tab;
	struct bucket_table *tbl, *next;

	if (!IS_ENABLED(CONFIG_PREEMPT_RT))
		return false;
	tbl = rht_dereference_rcu(ht->tbl, ht);
	while ((next = rht_dereference_rcu(tbl->future_tbl, ht)))
		tbl = next;
	return rht_grow_above_75(ht, tbl);
}

/*
 * Record @len for @tw, the socket @id names, any context but hardirq (BH
 * off in the hooks): 0, -ENOSPC when max_tw_records are alive, another
 * error when there is no memory for it (or the table cannot grow now). A
 * record left at that address by a socket that ended unseen is replaced.
 */
int twctl_twrec_add(const void *tw, const struct twctl_twrec_id *id,
		    unsigned long len, u8 class)
{
	struct twctl_twrec *r, *old;
	int err = -EBUSY, tries;

	if (!twctl_twrec_writable())
		return -EAGAIN;
	if (!twctl_twrec_reserve(&twctl_twrec_n, READ_ONCE(max_tw_records)))
		return -ENOSPC;
	r = twctl_twrec_pool_get();
	if (!r) {
		atomic_long_dec(&twctl_twrec_n);
		return -ENOMEM;
	}
	r->tw = tw;
	r->id = *id;
	r->len = len;
	r->class = class;
	rcu_read_lock();
	if (twctl_twrec_table_full())
		goto out;
	for (tries = 0; tries < 2; tries++) {
		old = rhashtable_lookup_get_insert_fast(&twctl_twrec_tab,
							&r->node,
							twctl_twrec_params);
		if (!old) {
			rcu_read_unlock();
			return 0;
		}
		if (IS_ERR(old)) {
			err = PTR_ERR(old);
			break;
		}
		if (!rhashtable_replace_fast(&twctl_twrec_tab, &old->node,
					     &r->node, twctl_twrec_params)) {
			/* @r takes the place @old counted */
			rcu_read_unlock();
			atomic_long_dec(&twctl_twrec_n);
			kfree_rcu(old, rcu);
			return 0;
		}
		/* @old went in the meantime: insert again */
	}
out:
	rcu_read_unlock();
	twctl_twrec_pool_put(r);	/* never seen by another CPU */
	atomic_long_dec(&twctl_twrec_n);
	return err;
}

/*
 * The length and peer class recorded for @tw, if any and if the record is
 * of the socket @id names; a record of another socket is removed.
 */
bool twctl_twrec_get(const void *tw, const struct twctl_twrec_id *id,
		     unsigned long *len, u8 *class)
{
	struct twctl_twrec *r;
	bool found = false;

	if (!atomic_long_read(&twctl_twrec_n))
		return false;
	rcu_read_lock();
	r = rhashtable_lookup(&twctl_twrec_tab, &tw, twctl_twrec_params);
	if (r && twctl_twrec_id_eq(&r->id, id)) {
		*len = r->len;
		*class = r->class;
		found = true;
	} else if (r) {
		twctl_twrec_unlink(r);	/* left by a socket that ended unseen */
	}
	rcu_read_unlock();
	return found;
}

/*
 * @tw is freed: drop the record at its address, whichever socket it is of
 * (this one, or one that ended unseen).
 */
void twctl_twrec_del(const void *tw)
{
	struct twctl_twrec *r;

	if (!atomic_long_read(&twctl_twrec_n))
		return;
	rcu_read_lock();
	r = rhashtable_lookup(&twctl_twrec_tab, &tw, twctl_twrec_params);
	if (r)
		twctl_twrec_unlink(r);
	rcu_read_unlock();
}

long twctl_twrec_count(void)
{
	return atomic_long_read(&twctl_twrec_n);
}

int twctl_twrec_init(void)
{
	int err;

	INIT_WORK(&twctl_twrec_pool.work, twctl_twrec_pool_work);
	err = twctl_twrec_pool_fill();
	if (!err)
		err = rhashtable_init(&twctl_twrec_tab, &twctl_twrec_params);
	if (err)
		twctl_twrec_pool_free();
	return err;
}

static void twctl_twrec_free(void *r, void *arg)
{
	kfree(r);
}

/*
 * Module exit, after the hooks are gone and an RCU grace period: free every
 * record left (of timewait sockets still alive, or freed since the hooks
 * went), and stop the resize worker.
 */
void twctl_twrec_exit(void)
{
	rhashtable_free_and_destroy(&twctl_twrec_tab, twctl_twrec_free, NULL);
	atomic_long_set(&twctl_twrec_n, 0);
	cancel_work_sync(&twctl_twrec_pool.work);
	twctl_twrec_pool_free();
}
