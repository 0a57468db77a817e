// SPDX-License-Identifier: GPL-2.0
/* Unit tests: duration parsing and formatting (units.c). */
#include "tap.h"
#include "units.h"

static const struct {
	const char *in;
	uint64_t unit_us, want;
} good[] = {
	{ "500", US_PER_MS, 500 },
	{ "500ms", US_PER_MS, 500 },
	{ "2s", US_PER_MS, 2000 },
	{ "1.5s", US_PER_MS, 1500 },
	{ "1.25s", US_PER_MS, 1250 },
	{ "0.001s", US_PER_MS, 1 },
	{ "1m", US_PER_MS, 60000 },
	{ "1min", US_PER_MS, 60000 },
	{ "0.5min", US_PER_MS, 30000 },
	{ "10min", US_PER_MS, 600000 },
	{ "2000us", US_PER_MS, 2 },
	{ "1.0", US_PER_MS, 1 },
	{ "0", US_PER_MS, 0 },
	{ "600000", US_PER_MS, 600000 },
	{ "007", US_PER_MS, 7 },
	{ "4294967296", US_PER_MS, 4294967296ULL },
	{ "18446744073709551", US_PER_MS, 18446744073709551ULL },
	{ "1.5ms", 1, 1500 },
	{ "250", 1, 250 },
	{ "3s", US_PER_S, 3 },
	/* the spellings of tc and systemd */
	{ "2sec", US_PER_MS, 2000 },
	{ "2secs", US_PER_MS, 2000 },
	{ "250msec", US_PER_MS, 250 },
	{ "250msecs", US_PER_MS, 250 },
	{ "3000usec", US_PER_MS, 3 },
	{ "3000usecs", US_PER_MS, 3 },
	{ "0.1h", US_PER_MS, 360000 },
	{ "1h", US_PER_MS, 3600000 },
	{ "0.1hr", US_PER_MS, 360000 },
};

static const struct {
	const char *in, *why;
} bad[] = {
	{ "", "empty value" },
	{ "-1", "negative values are not allowed" },
	{ "-1s", "negative values are not allowed" },
	{ "+5", "not a number" },
	{ " 5", "not a number" },
	{ "5 ", "unknown unit \" \"" },
	{ "abc", "not a number" },
	{ "1e3", "unknown unit \"e3\"" },
	{ "5x", "unknown unit \"x\" (use us, ms, s, m, min or h)" },
	{ "1H", "unknown unit \"H\"" },
	{ "1hours", "unknown unit \"hours\"" },
	{ "1S", "unknown unit \"S\"" },
	{ "2 s", "unknown unit \" s\"" },
	{ "5ms5", "unknown unit \"ms5\"" },
	{ "0x10", "hexadecimal is not accepted (use a decimal number)" },
	{ "0X1f", "hexadecimal is not accepted" },
	{ "10x", "unknown unit \"x\"" },
	{ "1.5", "not a whole number of milliseconds" },
	{ "1.5ms", "not a whole number of milliseconds" },
	{ "1500us", "not a whole number of milliseconds" },
	{ "0.0001s", "not a whole number of milliseconds" },
	{ "1.0000000001s", "too many decimal places" },
	{ "1.", "not a number" },
	{ ".5", "not a number" },
	{ "1..5", "not a number" },
	{ "99999999999999999999", "number too large" },
	{ "18446744073709552", "number too large" },
	{ "307445734561825861m", "number too large" },
};

static void test_parse_good(void)
{
	char why[128];
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 12345;
		if (parse_duration(good[i].in, good[i].unit_us, &v, why,
				   sizeof(why)) < 0) {
			printf("# \"%s\" refused: %s\n", good[i].in, why);
			tap_case_failed = 1;
			continue;
		}
		CHECK_U64(v, good[i].want);
	}
}

static void test_parse_bad(void)
{
	char why[128];
	uint64_t v = 777;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = 0;
		if (parse_duration(bad[i].in, US_PER_MS, &v, why,
				   sizeof(why)) == 0) {
			printf("# \"%s\" accepted as %llu\n", bad[i].in,
			       (unsigned long long)v);
			tap_case_failed = 1;
			continue;
		}
		CHECK_HAS(why, bad[i].why);
		CHECK_U64(v, 777);	/* untouched on failure */
	}
}

static void test_format_exact(void)
{
	char buf[64];

	format_duration(30000, US_PER_MS, buf, sizeof(buf));
	CHECK_STR(buf, "30000ms");
	format_duration(0, US_PER_MS, buf, sizeof(buf));
	CHECK_STR(buf, "0ms");
	format_duration(250, 1, buf, sizeof(buf));
	CHECK_STR(buf, "250us");
	CHECK_STR(unit_name(US_PER_S), "s");
	CHECK_STR(unit_name(7), "?");
}

static void test_format_human(void)
{
	static const struct {
		uint64_t v, unit_us;
		const char *want;
	} t[] = {
		{ 60000, US_PER_MS, "60s" },
		{ 30000, US_PER_MS, "30s" },
		{ 1500, US_PER_MS, "1.5s" },
		{ 1001, US_PER_MS, "1.001s" },
		{ 1000, US_PER_MS, "1s" },
		{ 999, US_PER_MS, "999ms" },
		{ 1, US_PER_MS, "1ms" },
		{ 0, US_PER_MS, "0ms" },
		{ 90000, US_PER_MS, "90s" },
		{ 120000, US_PER_MS, "2min" },
		{ 1200000, US_PER_MS, "20min" },
		{ 150000, US_PER_MS, "150s" },
		{ 1500, 1, "1.5ms" },
		{ 7, 1, "7us" },
		{ 1000001, 1, "1.000001s" },
		{ UINT64_MAX, US_PER_MS, "18446744073709551615ms" },
	};
	char buf[64];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		format_duration_human(t[i].v, t[i].unit_us, buf, sizeof(buf));
		CHECK_STR(buf, t[i].want);
	}
}

/* Whatever the tool prints parses back to the same value. */
static void test_round_trip(void)
{
	char buf[64], why[128];
	uint64_t v, back;

	for (v = 0; v <= 1300000; v += (v < 2000 ? 1 : 997)) {
		format_duration_human(v, US_PER_MS, buf, sizeof(buf));
		if (parse_duration(buf, US_PER_MS, &back, why, sizeof(why)) ||
		    back != v) {
			printf("# %llu -> \"%s\" -> %s\n",
			       (unsigned long long)v, buf, why);
			tap_case_failed = 1;
			return;
		}
		format_duration(v, US_PER_MS, buf, sizeof(buf));
		CHECK(parse_duration(buf, US_PER_MS, &back, why,
				     sizeof(why)) == 0 && back == v);
	}
}

static void test_small_buffers(void)
{
	char buf[4], why[8];
	uint64_t v;

	format_duration_human(1500, US_PER_MS, buf, sizeof(buf));
	CHECK_STR(buf, "1.5");
	CHECK(parse_duration("5parsecs", US_PER_MS, &v, why, sizeof(why)));
	CHECK_STR(why, "unknown");
}

int main(void)
{
	tap_suite = "units";
	RUN(test_parse_good, "durations with and without units parse");
	RUN(test_parse_bad, "garbage, negatives, overflow, fractions refused with a reason");
	RUN(test_format_exact, "exact formatting in the base unit");
	RUN(test_format_human, "human formatting picks min, s, ms, us");
	RUN(test_round_trip, "formatted values parse back to themselves");
	RUN(test_small_buffers, "output is truncated safely");
	return tap_exit();
}
