/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `twctl stats` output: the counters (a field table, see fields.h), then
 * what the close-path nests of the reply say (struct close_stats): the
 * close kinds derived from the transition matrix, the matrix's non-zero
 * cells, and the TIME_WAIT lifetime histogram drawn as bars the way
 * bpftrace draws its hist(). Text or JSON.
 */
#ifndef TWCTL_STATS_H
#define TWCTL_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "fields.h"
#include "json.h"

/* The widest bar of the histogram, as bpftrace's. */
#define HIST_BAR_MAX	52

/* The name of kernel TCP state @state ("FIN_WAIT2"), or NULL. */
const char *tcp_state_name(uint64_t state);

/* Closes by kind: cells of the transition matrix. */
struct closes {
	uint64_t active;	/* ESTABLISHED -> FIN_WAIT1 */
	uint64_t passive;	/* ESTABLISHED -> CLOSE_WAIT */
	uint64_t simultaneous;	/* FIN_WAIT1 -> CLOSING */
};

void closes_count(const struct close_stats *cs, struct closes *c);

/*
 * A bucket bound of @ms milliseconds for people, rounded to at most two
 * significant digits from 1 s on: "0", "1ms", "512ms", "1s" (1024 ms),
 * "4.1s", "66s", "2.2min", "17min", "2.3h".
 */
void hist_bound(uint64_t ms, char *buf, size_t len);

/*
 * The histogram of @n buckets (sorted by lt_ms) from the first to the last
 * bucket, empty power-of-two buckets in between included, one line each:
 * "[512ms, 1s)         9948 |@@@...@@@|" with bars scaled to the largest
 * count (HIST_BAR_MAX '@'). Nothing when @n is 0.
 */
void hist_print(FILE *out, const struct lifetime_bucket *hist, size_t n);

/* Counters, closes, transitions and lifetimes, as `twctl stats` prints. */
void stats_print_text(FILE *out, const struct field_vals *counters,
		      const struct close_stats *cs);

/*
 * Members of the open JSON object: the namespace's counters, then
 * "module": {the module-wide gauges}, "closes": {...},
 * "transitions": [{"from","to","count"}...] and "lifetime_ms":
 * [{"lt_ms","count"}...]. Unknown states are "unknown_N".
 */
void stats_print_json(struct json *j, const struct field_vals *counters,
		      const struct close_stats *cs);

#endif /* TWCTL_STATS_H */
