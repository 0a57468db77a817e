/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWCTL_TWREC_H
#define _TWCTL_TWREC_H

#include <linux/types.h>

/* A length record: the TIME_WAIT length decided for one timewait socket. */
struct twctl_twrec;

extern const size_t twctl_twrec_size;

int twctl_twrec_add(const void *tw, unsigned long len, u8 class);
bool twctl_twrec_get(const void *tw, unsigned long *len, u8 *class);
void twctl_twrec_del(const void *tw);
long twctl_twrec_count(void);
int twctl_twrec_init(void);
void twctl_twrec_exit(void);

#endif /* _TWCTL_TWREC_H */
