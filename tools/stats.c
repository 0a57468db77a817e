// SPDX-License-Identifier: GPL-2.0
/* `twctl stats` output: see stats.h. */
#include <string.h>

#include "stats.h"

/* include/net/tcp_states.h */
static const char *const tcp_states[] = {
	[1] = "ESTABLISHED", [2] = "SYN_SENT", [3] = "SYN_RECV",
	[4] = "FIN_WAIT1", [5] = "FIN_WAIT2", [6] = "TIME_WAIT",
	[7] = "CLOSE", [8] = "CLOSE_WAIT", [9] = "LAST_ACK", [10] = "LISTEN",
	[11] = "CLOSING", [12] = "NEW_SYN_RECV", [13] = "BOUND_INACTIVE",
};

enum {
	TCP_ESTABLISHED_ = 1, TCP_FIN_WAIT1_ = 4, TCP_CLOSE_WAIT_ = 8,
	TCP_CLOSING_ = 11,
};

const char *tcp_state_name(uint64_t state)
{
	if (state >= sizeof(tcp_states) / sizeof(tcp_states[0]))
		return NULL;
	return tcp_states[state];
}

static void state_text(uint64_t state, char *buf, size_t len)
{
	const char *name = tcp_state_name(state);

	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "%llu", (unsigned long long)state);
}

/* Always a string: a state this tool does not know is "unknown_N". */
static void state_json(struct json *j, const char *key, uint64_t state)
{
	const char *name = tcp_state_name(state);
	char unknown[32];

	if (!name) {
		snprintf(unknown, sizeof(unknown), "unknown_%llu",
			 (unsigned long long)state);
		name = unknown;
	}
	json_str(j, key, name);
}

void closes_count(const struct close_stats *cs, struct closes *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < cs->ntrans; i++) {
		const struct transition *t = &cs->trans[i];

		if (t->from == TCP_ESTABLISHED_ && t->to == TCP_FIN_WAIT1_)
			c->active += t->count;
		else if (t->from == TCP_ESTABLISHED_ && t->to == TCP_CLOSE_WAIT_)
			c->passive += t->count;
		else if (t->from == TCP_FIN_WAIT1_ && t->to == TCP_CLOSING_)
			c->simultaneous += t->count;
	}
}

/* --- the lifetime histogram ------------------------------------------------ */

#define MS_PER_S	1000ULL
#define MS_PER_MIN	60000ULL
#define MS_PER_H	3600000ULL

void hist_bound(uint64_t ms, char *buf, size_t len)
{
	uint64_t unit, tenths, whole;
	const char *name;

	if (ms == 0) {
		snprintf(buf, len, "0");
		return;
	}
	if (ms < MS_PER_S) {
		snprintf(buf, len, "%llums", (unsigned long long)ms);
		return;
	}
	if (ms < 2 * MS_PER_MIN)
		unit = MS_PER_S, name = "s";
	else if (ms < 2 * MS_PER_H)
		unit = MS_PER_MIN, name = "min";
	else
		unit = MS_PER_H, name = "h";
	/* Rounded to a tenth below 10 units, to a whole unit above. */
	tenths = ms / unit * 10 + ((ms % unit) * 10 + unit / 2) / unit;
	if (tenths < 100) {
		if (tenths % 10)
			snprintf(buf, len, "%llu.%llu%s",
				 (unsigned long long)(tenths / 10),
				 (unsigned long long)(tenths % 10), name);
		else
			snprintf(buf, len, "%llu%s",
				 (unsigned long long)(tenths / 10), name);
		return;
	}
	whole = ms / unit + ((ms % unit) * 2 >= unit);
	snprintf(buf, len, "%llu%s", (unsigned long long)whole, name);
}

typedef void (*hist_line_fn)(uint64_t lt_ms, uint64_t count, void *arg);

/*
 * @fn for every line of the histogram: each bucket, and between two
 * buckets the empty power-of-two buckets the kernel did not send.
 */
static void hist_walk(const struct lifetime_bucket *hist, size_t n,
		      hist_line_fn fn, void *arg)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t lt = hist[i].lt_ms;

		fn(lt, hist[i].count, arg);
		if (i + 1 == n || (lt & (lt - 1)))
			continue;
		while (lt <= UINT64_MAX / 2 && lt * 2 < hist[i + 1].lt_ms) {
			lt *= 2;
			fn(lt, 0, arg);
		}
	}
}

struct hist_layout {
	FILE *out;
	int label_w, count_w;
	uint64_t max;
};

static void hist_label(uint64_t lt_ms, char *buf, size_t len)
{
	char lo[32], hi[32];

	hist_bound(lt_ms / 2, lo, sizeof(lo));
	hist_bound(lt_ms, hi, sizeof(hi));
	snprintf(buf, len, "[%s, %s)", lo, hi);
}

static int digits(uint64_t v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static void hist_measure(uint64_t lt_ms, uint64_t count, void *arg)
{
	struct hist_layout *l = arg;
	char label[80];
	int w;

	hist_label(lt_ms, label, sizeof(label));
	w = (int)strlen(label) + 1;
	if (w > l->label_w)
		l->label_w = w;
	if (digits(count) > l->count_w)
		l->count_w = digits(count);
	if (count > l->max)
		l->max = count;
}

static void hist_line(uint64_t lt_ms, uint64_t count, void *arg)
{
	struct hist_layout *l = arg;
	char label[80], bar[HIST_BAR_MAX + 1];
	size_t n = 0;

	hist_label(lt_ms, label, sizeof(label));
	if (l->max)
		n = (size_t)((unsigned __int128)count * HIST_BAR_MAX / l->max);
	memset(bar, '@', n);
	memset(bar + n, ' ', HIST_BAR_MAX - n);
	bar[HIST_BAR_MAX] = 0;
	fprintf(l->out, "%-*s%*llu |%s|\n", l->label_w, label, l->count_w,
		(unsigned long long)count, bar);
}

void hist_print(FILE *out, const struct lifetime_bucket *hist, size_t n)
{
	/* bpftrace's columns: 16 for the label, 8 for the count. */
	struct hist_layout l = { .out = out, .label_w = 16, .count_w = 8 };

	hist_walk(hist, n, hist_measure, &l);
	hist_walk(hist, n, hist_line, &l);
}

/* --- stats ------------------------------------------------------------------ */

/* "  NAME  COUNT" lines: names aligned, counts right-aligned. */
struct row {
	char name[56];
	uint64_t v;
};

static void print_rows(FILE *out, const struct row *rows, size_t n)
{
	int name_w = 0, count_w = 1;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((int)strlen(rows[i].name) > name_w)
			name_w = (int)strlen(rows[i].name);
		if (digits(rows[i].v) > count_w)
			count_w = digits(rows[i].v);
	}
	for (i = 0; i < n; i++)
		fprintf(out, "  %-*s  %*llu\n", name_w, rows[i].name, count_w,
			(unsigned long long)rows[i].v);
}

void stats_print_text(FILE *out, const struct field_vals *counters,
		      const struct close_stats *cs)
{
	struct row rows[TRANSITIONS_MAX];
	char from[24], to[24];
	struct closes c;
	size_t i;

	fields_print_text(out, &stats_table, counters);
	closes_count(cs, &c);
	rows[0] = (struct row){ "active", c.active };
	rows[1] = (struct row){ "passive", c.passive };
	rows[2] = (struct row){ "simultaneous", c.simultaneous };
	fputs("\ncloses:\n", out);
	print_rows(out, rows, 3);

	fputs("\ntransitions:\n", out);
	for (i = 0; i < cs->ntrans; i++) {
		state_text(cs->trans[i].from, from, sizeof(from));
		state_text(cs->trans[i].to, to, sizeof(to));
		snprintf(rows[i].name, sizeof(rows[i].name), "%s -> %s", from,
			 to);
		rows[i].v = cs->trans[i].count;
	}
	print_rows(out, rows, cs->ntrans);
	if (!cs->ntrans)
		fputs("  none\n", out);

	fputs("\nTIME_WAIT lifetimes:\n", out);
	hist_print(out, cs->hist, cs->nbuckets);
	if (!cs->nbuckets)
		fputs("  none\n", out);
}

void stats_print_json(struct json *j, const struct field_vals *counters,
		      const struct close_stats *cs)
{
	struct closes c;
	size_t i;

	fields_print_json(j, &stats_table, counters);
	json_open(j, "module");
	fields_print_module_json(j, &stats_table, counters);
	json_close(j);
	closes_count(cs, &c);
	json_open(j, "closes");
	json_u64(j, "active", c.active);
	json_u64(j, "passive", c.passive);
	json_u64(j, "simultaneous", c.simultaneous);
	json_close(j);
	json_open_array(j, "transitions");
	for (i = 0; i < cs->ntrans; i++) {
		json_open(j, NULL);
		state_json(j, "from", cs->trans[i].from);
		state_json(j, "to", cs->trans[i].to);
		json_u64(j, "count", cs->trans[i].count);
		json_close(j);
	}
	json_close(j);
	json_open_array(j, "lifetime_ms");
	for (i = 0; i < cs->nbuckets; i++) {
		json_open(j, NULL);
		json_u64(j, "lt_ms", cs->hist[i].lt_ms);
		json_u64(j, "count", cs->hist[i].count);
		json_close(j);
	}
	json_close(j);
}
