// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: `twctl metrics` (metrics.c), the Prometheus text format.
 * With TWCTL_METRICS_SAMPLE=FILE the sample output is also written to FILE
 * (tests/host/tool.sh runs promtool check metrics on it).
 */
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "tap.h"

static struct metrics_ns ns[2];

static void set(struct twctl_reply *r, const char *name, uint64_t v)
{
	const struct field *f = field_find(&stats_table, name);

	r->stats.e[r->stats.n++] = (struct field_val){ f, f->attr, v };
}

static void sample(void)
{
	const struct field *f;

	memset(ns, 0, sizeof(ns));
	ns[0].name = "-";
	ns[1].name = "web\"1\\\n\xff";
	for (f = stats_table.fields; f->name; f++) {
		set(&ns[0].r, f->name, 0);
		set(&ns[1].r, f->name, 0);
	}
	ns[0].r.stats.e[3].v = 7;		/* tw_created */
	ns[1].r.stats.e[3].v = 9;
	ns[0].r.stats.e[12].v = 2;		/* tw_alive */
	ns[0].r.stats.e[23].v = 3;		/* netns_count */
	ns[1].r.stats.e[23].v = 3;
	ns[1].r.close.ntrans = 2;
	ns[1].r.close.trans[0] = (struct transition){ 1, 4, 5 };
	ns[1].r.close.trans[1] = (struct transition){ 99, 7, 1 };
	ns[1].r.close.nbuckets = 3;
	ns[1].r.close.hist[0] = (struct lifetime_bucket){ 1, 2 };
	ns[1].r.close.hist[1] = (struct lifetime_bucket){ 512, 3 };
	ns[1].r.close.hist[2] = (struct lifetime_bucket){ 1ULL << 23, 4 };
}

static void test_metrics(void)
{
	const char *file = getenv("TWCTL_METRICS_SAMPLE");
	char *out;

	sample();
	CAPTURE(out, metrics_print(f, ns, 2));
	CHECK_HAS(out, "# HELP twctl_tw_created_total timewait sockets created in TIME_WAIT\n"
		  "# TYPE twctl_tw_created_total counter\n"
		  "twctl_tw_created_total{netns=\"-\"} 7\n"
		  "twctl_tw_created_total{netns=\"web\\\"1\\\\\\n\xef\xbf\xbd\"} 9\n");
	CHECK_HAS(out, "# TYPE twctl_tw_alive gauge\n"
		  "twctl_tw_alive{netns=\"-\"} 2\n");
	/* Module-wide: once, no netns label. */
	CHECK_HAS(out, "# TYPE twctl_namespaces gauge\n"
		  "twctl_namespaces 3\n# HELP");
	CHECK_HAS(out, "# TYPE twctl_hooks_missed_total counter\n"
		  "twctl_hooks_missed_total 0\n# HELP");
	CHECK_HAS(out, "twctl_closes_total{netns=\"-\",kind=\"active\"} 0\n");
	CHECK_HAS(out, "# TYPE twctl_transitions_total counter\n"
		  "twctl_transitions_total{netns=\"web\\\"1\\\\\\n\xef\xbf\xbd\",from=\"ESTABLISHED\",to=\"FIN_WAIT1\"} 5\n");
	CHECK_HAS(out, "from=\"unknown_99\",to=\"CLOSE\"} 1\n");
	/* Cumulative buckets, le = the last whole ms inside, in seconds. */
	CHECK_HAS(out, "# TYPE twctl_tw_lifetime_seconds histogram\n"
		  "twctl_tw_lifetime_seconds_bucket{netns=\"-\",le=\"0\"} 0\n");
	CHECK_HAS(out, "\"} 0\ntwctl_tw_lifetime_seconds_bucket{netns=\"-\",le=\"+Inf\"} 0\n"
		  "twctl_tw_lifetime_seconds_count{netns=\"-\"} 0\n");
	CHECK_HAS(out, ",le=\"0\"} 2\n");
	CHECK_HAS(out, ",le=\"0.255\"} 2\n");
	CHECK_HAS(out, ",le=\"0.511\"} 5\n");
	CHECK_HAS(out, ",le=\"1.023\"} 5\n");
	CHECK_HAS(out, ",le=\"4194.303\"} 5\n");
	CHECK_HAS(out, ",le=\"+Inf\"} 9\n");
	CHECK_HAS(out, "_count{netns=\"web\\\"1\\\\\\n\xef\xbf\xbd\"} 9\n");
	CHECK(strstr(out, "le=\"8388.607\"") == NULL);
	if (file) {
		FILE *w = fopen(file, "w");

		CHECK(w != NULL);
		if (w) {
			fputs(out, w);
			fclose(w);
		}
	}
	free(out);
}

int main(void)
{
	tap_suite = "metrics";
	RUN(test_metrics, "Prometheus text: HELP/TYPE, _total, gauges, module-wide, histogram, label escapes");
	return tap_exit();
}
