/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWCTL_HOOKS_H
#define _TWCTL_HOOKS_H

int twctl_hooks_init(void);
void twctl_hooks_exit(void);

#endif /* _TWCTL_HOOKS_H */
