/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWCTL_NETLINK_H
#define _TWCTL_NETLINK_H

int twctl_genl_init(void);
void twctl_genl_exit(void);

#endif /* _TWCTL_NETLINK_H */
