/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWCTL_SYSFS_H
#define _TWCTL_SYSFS_H

int twctl_sysfs_init(void);
void twctl_sysfs_exit(void);

#endif /* _TWCTL_SYSFS_H */
