/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWCTL_VERSION_H
#define _TWCTL_VERSION_H

/* Kbuild passes the version from the top-level VERSION file. */
#ifndef TWCTL_VERSION
#define TWCTL_VERSION "unknown"
#endif

#endif /* _TWCTL_VERSION_H */
