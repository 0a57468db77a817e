/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `twctl metrics`: the statistics of one or more network namespaces in the
 * Prometheus text exposition format (version 0.0.4), for node_exporter's
 * textfile collector or any scraper: # HELP and # TYPE per family,
 * counters as NAME_total, gauges as they are, the TIME_WAIT lifetime
 * histogram as twctl_tw_lifetime_seconds (cumulative le buckets, +Inf and
 * _count; no _sum: the module keeps none), every sample of a namespace
 * labelled netns="NAME" ("-" for the tool's own namespace). Module-wide
 * gauges carry no netns label and appear once.
 */
#ifndef TWCTL_METRICS_H
#define TWCTL_METRICS_H

#include <stdio.h>

#include "fields.h"

/* One namespace's stats reply, and its label ("-": the tool's own). */
struct metrics_ns {
	const char *name;
	struct twctl_reply r;
};

/* Every family, each with the samples of the @n namespaces @ns. */
void metrics_print(FILE *out, const struct metrics_ns *ns, size_t n);

#endif /* TWCTL_METRICS_H */
