/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TWCTL_PARAMS_H
#define _TWCTL_PARAMS_H

#include "policy.h"

/* The policy every namespace starts with: the module parameters. */
void twctl_params_default(struct twctl_policy *p);

#endif /* _TWCTL_PARAMS_H */
