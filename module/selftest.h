/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWCTL_SELFTEST_H
#define _TWCTL_SELFTEST_H

/* Prove the hooks on the running kernel; 0, or why twctl must not load. */
int twctl_selftest(void);

#endif /* _TWCTL_SELFTEST_H */
