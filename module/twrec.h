/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWCTL_TWREC_H
#define _TWCTL_TWREC_H

#include <linux/types.h>

struct net;

/* A length record: the TIME_WAIT length decided for one timewait socket. */
struct twctl_twrec;

/*
 * What tells a timewait socket from a later one at the same address
 * (twrec.c says why these).
 */
struct twctl_twrec_id {
	const struct net *net;	/* compared, never dereferenced */
	u32 ports;		/* skc_portpair, only compared */
	u32 snd_nxt;		/* tw_snd_nxt */
};

static inline bool twctl_twrec_id_eq(const struct twctl_twrec_id *a,
				     const struct twctl_twrec_id *b)
{
	return a->net == b->net && a->ports == b->ports &&
	       a->snd_nxt == b->snd_nxt;
}

extern const size_t twctl_twrec_size;

int twctl_twrec_add(const void *tw, const struct twctl_twrec_id *id,
		    unsigned long len, u8 class);
bool twctl_twrec_get(const void *tw, const struct twctl_twrec_id *id,
		     unsigned long *len, u8 *class);
void twctl_twrec_del(const void *tw);
long twctl_twrec_count(void);
int twctl_twrec_init(void);
void twctl_twrec_exit(void);

#endif /* _TWCTL_TWREC_H */
