/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR MIT) */
/*
 * twctl: administrator control of TCP TIME_WAIT, per network namespace.
 *
 * This header is the single contract between the twctl kernel module and
 * user space (the twctl tool, YNL specs, scripts).
 */
#ifndef _UAPI_LINUX_TWCTL_H
#define _UAPI_LINUX_TWCTL_H

/*
 * Maximum segment lifetime, in milliseconds. TIME_WAIT lasts 2 x MSL.
 * The kernel's own TIME_WAIT is TCP_TIMEWAIT_LEN = 60 s, i.e. an MSL of 30 s;
 * that is the default of every namespace, so loading the module changes
 * nothing until an administrator sets a value.
 */
#define TWCTL_MSL_MIN_MS	1
#define TWCTL_MSL_MAX_MS	600000
#define TWCTL_MSL_DEFAULT_MS	30000

#endif /* _UAPI_LINUX_TWCTL_H */
