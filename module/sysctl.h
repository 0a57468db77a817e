/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWCTL_SYSCTL_H
#define _TWCTL_SYSCTL_H

int twctl_sysctl_init(void);
void twctl_sysctl_exit(void);

#endif /* _TWCTL_SYSCTL_H */
