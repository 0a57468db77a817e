// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests: `twctl stats` output (stats.c): TCP state names, close kinds,
 * histogram bucket labels, the histogram's bars, the text of a whole
 * reply and its JSON.
 */
#include <linux/twctl.h>

#include "stats.h"
#include "tap.h"

/* 52 '@' and 52 blanks: a full and an empty bar. */
#define FULL	"@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@"
#define EMPTY	"                                                    "
#define SP51	"                                                   "
#define AT25	"@@@@@@@@@@@@@@@@@@@@@@@@@"
#define SP27	"                           "
#define AT26	"@@@@@@@@@@@@@@@@@@@@@@@@@@"
#define SP26	"                          "

static void test_states(void)
{
	CHECK_STR(tcp_state_name(1), "ESTABLISHED");
	CHECK_STR(tcp_state_name(4), "FIN_WAIT1");
	CHECK_STR(tcp_state_name(5), "FIN_WAIT2");
	CHECK_STR(tcp_state_name(6), "TIME_WAIT");
	CHECK_STR(tcp_state_name(7), "CLOSE");
	CHECK_STR(tcp_state_name(8), "CLOSE_WAIT");
	CHECK_STR(tcp_state_name(9), "LAST_ACK");
	CHECK_STR(tcp_state_name(11), "CLOSING");
	CHECK(tcp_state_name(0) == NULL);
	CHECK(tcp_state_name(14) == NULL);
	CHECK(tcp_state_name(UINT64_MAX) == NULL);
}

/* A sample of every kind: the close kinds, others, an unknown state. */
static const struct close_stats sample = {
	.ntrans = 6,
	.trans = {
		{ 1, 4, 5 },		/* ESTABLISHED -> FIN_WAIT1: active */
		{ 1, 8, 3 },		/* ESTABLISHED -> CLOSE_WAIT: passive */
		{ 4, 11, 1 },		/* FIN_WAIT1 -> CLOSING: simultaneous */
		{ 5, 6, 4 },		/* FIN_WAIT2 -> TIME_WAIT */
		{ 99, 7, 2 },		/* a state the tool does not know */
		{ 4, 5, 4 },		/* FIN_WAIT1 -> FIN_WAIT2 */
	},
	.nbuckets = 2,
	.hist = { { 256, 12 }, { 1024, 9948 } },
};

static void test_closes(void)
{
	struct close_stats cs = sample;
	struct closes c;

	closes_count(&cs, &c);
	CHECK_U64(c.active, 5);
	CHECK_U64(c.passive, 3);
	CHECK_U64(c.simultaneous, 1);
	cs.ntrans = 0;
	closes_count(&cs, &c);
	CHECK_U64(c.active + c.passive + c.simultaneous, 0);
}

static void test_bounds(void)
{
	static const struct {
		uint64_t ms;
		const char *want;
	} t[] = {
		{ 0, "0" },
		{ 1, "1ms" },
		{ 2, "2ms" },
		{ 512, "512ms" },
		{ 999, "999ms" },
		{ 1000, "1s" },
		{ 1024, "1s" },
		{ 1049, "1s" },
		{ 1050, "1.1s" },
		{ 1500, "1.5s" },
		{ 2048, "2s" },
		{ 4096, "4.1s" },
		{ 8192, "8.2s" },
		{ 9960, "10s" },
		{ 16384, "16s" },
		{ 32768, "33s" },
		{ 65536, "66s" },
		{ 119999, "120s" },
		{ 120000, "2min" },
		{ 131072, "2.2min" },
		{ 262144, "4.4min" },
		{ 524288, "8.7min" },
		{ 1048576, "17min" },
		{ 2097152, "35min" },
		{ 4194304, "70min" },
		{ 7200000, "2h" },
		{ 8388608, "2.3h" },
		{ 1ULL << 62, "1281023894008h" },
		{ UINT64_MAX, "5124095576030h" },
	};
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		hist_bound(t[i].ms, buf, sizeof(buf));
		CHECK_STR(buf, t[i].want);
	}
	hist_bound(4096, buf, 3);
	CHECK_STR(buf, "4.");
}

static void test_hist(void)
{
	static const struct lifetime_bucket gaps[] = {
		{ 1, 3 }, { 4, 104 }, { 16, 1 },
	};
	static const struct lifetime_bucket one[] = { { 1024, 9948 } };
	static const struct lifetime_bucket odd[] = {
		{ 3, UINT64_MAX }, { 100, UINT64_MAX / 2 }, { 101, 1 },
	};
	static const struct lifetime_bucket top[] = {
		{ 1ULL << 62, 1 }, { 1ULL << 63, 2 }, { UINT64_MAX, 0 },
	};
	char *out;

	/* Empty power-of-two buckets between are drawn; bars are floor(). */
	CAPTURE(out, hist_print(f, gaps, 3));
	CHECK_STR(out,
		  "[0, 1ms)               3 |@" SP51 "|\n"
		  "[1ms, 2ms)             0 |" EMPTY "|\n"
		  "[2ms, 4ms)           104 |" FULL "|\n"
		  "[4ms, 8ms)             0 |" EMPTY "|\n"
		  "[8ms, 16ms)            1 |" EMPTY "|\n");
	free(out);
	CAPTURE(out, hist_print(f, one, 1));
	CHECK_STR(out, "[512ms, 1s)         9948 |" FULL "|\n");
	free(out);
	/* Other bounds: no filling; huge counts widen the column, exact bars. */
	CAPTURE(out, hist_print(f, odd, 3));
	CHECK_STR(out,
		  "[1ms, 3ms)      18446744073709551615 |" FULL "|\n"
		  "[50ms, 100ms)    9223372036854775807 |" AT25 SP27 "|\n"
		  "[50ms, 101ms)                      1 |" EMPTY "|\n");
	free(out);
	/* Long labels widen theirs; no overflow at the top of u64. */
	CAPTURE(out, hist_print(f, top, 3));
	CHECK_STR(out,
		  "[640511947004h, 1281023894008h)         1 |" AT26 SP26 "|\n"
		  "[1281023894008h, 2562047788015h)        2 |" FULL "|\n"
		  "[2562047788015h, 5124095576030h)        0 |" EMPTY "|\n");
	free(out);
	CAPTURE(out, hist_print(f, one, 0));
	CHECK_STR(out, "");
	free(out);
}

static void sample_counters(struct field_vals *v)
{
	v->n = 2;
	v->e[0] = (struct field_val){ field_find(&stats_table, "tw_created"),
				      TWCTL_A_STATS_TW_CREATED, 7 };
	v->e[1] = (struct field_val){ field_find(&stats_table, "tw_alive"),
				      TWCTL_A_STATS_TW_ALIVE, 2 };
}

static void test_text(void)
{
	struct close_stats empty = { .ntrans = 0 };
	struct field_vals v;
	char *out;

	sample_counters(&v);
	CAPTURE(out, stats_print_text(f, &v, &sample));
	CHECK_STR(out,
		  "tw_created 7\n"
		  "tw_alive   2\n"
		  "\n"
		  "closes:\n"
		  "  active        5\n"
		  "  passive       3\n"
		  "  simultaneous  1\n"
		  "\n"
		  "transitions:\n"
		  "  ESTABLISHED -> FIN_WAIT1   5\n"
		  "  ESTABLISHED -> CLOSE_WAIT  3\n"
		  "  FIN_WAIT1 -> CLOSING       1\n"
		  "  FIN_WAIT2 -> TIME_WAIT     4\n"
		  "  99 -> CLOSE                2\n"
		  "  FIN_WAIT1 -> FIN_WAIT2     4\n"
		  "\n"
		  "TIME_WAIT lifetimes:\n"
		  "[128ms, 256ms)        12 |" EMPTY "|\n"
		  "[256ms, 512ms)         0 |" EMPTY "|\n"
		  "[512ms, 1s)         9948 |" FULL "|\n");
	free(out);
	v.n = 0;
	CAPTURE(out, stats_print_text(f, &v, &empty));
	CHECK_STR(out,
		  "\n"
		  "closes:\n"
		  "  active        0\n"
		  "  passive       0\n"
		  "  simultaneous  0\n"
		  "\n"
		  "transitions:\n"
		  "  none\n"
		  "\n"
		  "TIME_WAIT lifetimes:\n"
		  "  none\n");
	free(out);
}

/* Every counter of the table, each with its row number + 1 as value. */
static void all_counters(struct field_vals *v)
{
	const struct field *k;

	v->n = 0;
	for (k = stats_table.fields; k->name; k++, v->n++)
		v->e[v->n] = (struct field_val){ k, k->attr, v->n + 1 };
}

static void test_json(void)
{
	struct close_stats cs = { .ntrans = 0 };
	struct field_vals v;
	struct json j;
	char *out;

	all_counters(&v);
	CAPTURE(out, (json_init(&j, f, false), json_open(&j, NULL),
		      stats_print_json(&j, &v, &sample), json_close(&j)));
	CHECK_STR(out, "{\"reuse_granted\":1,\"reuse_refused_policy\":2,"
		  "\"reuse_refused_no_ts\":3,\"tw_created\":4,"
		  "\"tw_created_fin_wait2\":5,\"tw_expired\":6,\"tw_reused\":7,"
		  "\"tw_killed_rst\":8,\"tw_killed_syn\":9,\"tw_killed_netns\":10,"
		  "\"tw_rearmed\":11,\"tw_overflow\":12,\"tw_alive\":13,"
		  "\"events_dropped\":14,\"tw_class_loopback\":15,"
		  "\"tw_class_local\":16,\"tw_class_remote\":17,"
		  "\"tw_rto_floored\":18,\"tw_record_failed\":21,"
		  "\"tw_record_capped\":22,"
		  "\"module\":{\"tw_records\":19,\"tw_record_bytes\":20,"
		  "\"hooks_missed\":23,\"netns_count\":24},"
		  "\"closes\":{\"active\":5,\"passive\":3,\"simultaneous\":1},"
		  "\"transitions\":["
		  "{\"from\":\"ESTABLISHED\",\"to\":\"FIN_WAIT1\",\"count\":5},"
		  "{\"from\":\"ESTABLISHED\",\"to\":\"CLOSE_WAIT\",\"count\":3},"
		  "{\"from\":\"FIN_WAIT1\",\"to\":\"CLOSING\",\"count\":1},"
		  "{\"from\":\"FIN_WAIT2\",\"to\":\"TIME_WAIT\",\"count\":4},"
		  "{\"from\":\"unknown_99\",\"to\":\"CLOSE\",\"count\":2},"
		  "{\"from\":\"FIN_WAIT1\",\"to\":\"FIN_WAIT2\",\"count\":4}],"
		  "\"lifetime_ms\":[{\"lt_ms\":256,\"count\":12},"
		  "{\"lt_ms\":1024,\"count\":9948}]}\n");
	free(out);
	/* Counters the reply lacks (an older module) are null, not gone. */
	sample_counters(&v);
	CAPTURE(out, (json_init(&j, f, false), json_open(&j, NULL),
		      stats_print_json(&j, &v, &sample), json_close(&j)));
	CHECK_HAS(out, "{\"reuse_granted\":null,");
	CHECK_HAS(out, ",\"tw_created\":7,");
	CHECK_HAS(out, ",\"tw_alive\":2,");
	CHECK_HAS(out, ",\"module\":{\"tw_records\":null,\"tw_record_bytes\":null,"
		  "\"hooks_missed\":null,\"netns_count\":null},\"closes\":");
	free(out);
	cs.ntrans = 1;
	cs.trans[0] = (struct transition){ 6, 7, 9 };
	cs.nbuckets = 1;
	cs.hist[0] = (struct lifetime_bucket){ 1, 9 };
	CAPTURE(out, (json_init(&j, f, true), json_open(&j, NULL),
		      stats_print_json(&j, &v, &cs), json_close(&j)));
	CHECK_HAS(out, "{\n    \"reuse_granted\": null,\n");
	CHECK_HAS(out, "\n    \"tw_record_capped\": null,\n"
		  "    \"module\": {\n"
		  "        \"tw_records\": null,\n"
		  "        \"tw_record_bytes\": null,\n"
		  "        \"hooks_missed\": null,\n"
		  "        \"netns_count\": null\n"
		  "    },\n"
		  "    \"closes\": {\n"
		  "        \"active\": 0,\n"
		  "        \"passive\": 0,\n"
		  "        \"simultaneous\": 0\n"
		  "    },\n"
		  "    \"transitions\": [\n"
		  "        {\n"
		  "            \"from\": \"TIME_WAIT\",\n"
		  "            \"to\": \"CLOSE\",\n"
		  "            \"count\": 9\n"
		  "        }\n"
		  "    ],\n"
		  "    \"lifetime_ms\": [\n"
		  "        {\n"
		  "            \"lt_ms\": 1,\n"
		  "            \"count\": 9\n"
		  "        }\n"
		  "    ]\n"
		  "}\n");
	free(out);
	cs.ntrans = cs.nbuckets = 0;
	CAPTURE(out, (json_init(&j, f, false), json_open(&j, NULL),
		      stats_print_json(&j, &v, &cs), json_close(&j)));
	CHECK_HAS(out, ",\"closes\":{\"active\":0,\"passive\":0,\"simultaneous\":0},"
		  "\"transitions\":[],\"lifetime_ms\":[]}\n");
	free(out);
}

int main(void)
{
	tap_suite = "stats";
	RUN(test_states, "TCP state names of include/net/tcp_states.h");
	RUN(test_closes, "close kinds from the transition matrix");
	RUN(test_bounds, "histogram bucket bounds in ms, s, min, h");
	RUN(test_hist, "histogram bars: gaps, scaling, widths, u64 limits");
	RUN(test_text, "stats text: counters, closes, transitions, histogram");
	RUN(test_json, "stats JSON: closes, transitions, lifetime_ms; pretty arrays");
	return tap_exit();
}
