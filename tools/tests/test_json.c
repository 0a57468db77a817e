// SPDX-License-Identifier: GPL-2.0
/* Unit tests: the JSON writer (json.c). */
#include "json.h"
#include "tap.h"

static void show_doc(struct json *j)
{
	json_open(j, NULL);
	json_null(j, "netns");
	json_u64(j, "msl_ms", 30000);
	json_u64(j, "time_wait_ms", 60000);
	json_close(j);
}

static void test_compact(void)
{
	struct json j;
	char *out;

	CAPTURE(out, (json_init(&j, f, false), show_doc(&j)));
	CHECK_STR(out, "{\"netns\":null,\"msl_ms\":30000,\"time_wait_ms\":60000}\n");
	free(out);
}

static void test_pretty(void)
{
	struct json j;
	char *out;

	CAPTURE(out, (json_init(&j, f, true), show_doc(&j)));
	CHECK_STR(out, "{\n"
		  "    \"netns\": null,\n"
		  "    \"msl_ms\": 30000,\n"
		  "    \"time_wait_ms\": 60000\n"
		  "}\n");
	free(out);
}

static void nested_doc(struct json *j)
{
	json_open(j, NULL);
	json_str(j, "a", "x");
	json_open(j, "empty");
	json_close(j);
	json_open(j, "inner");
	json_u64(j, "max", UINT64_MAX);
	json_str_or_null(j, "s", NULL);
	json_str_or_null(j, "t", "y");
	json_close(j);
	json_close(j);
}

static void test_nested(void)
{
	struct json j;
	char *out;

	CAPTURE(out, (json_init(&j, f, false), nested_doc(&j)));
	CHECK_STR(out, "{\"a\":\"x\",\"empty\":{},\"inner\":"
		  "{\"max\":18446744073709551615,\"s\":null,\"t\":\"y\"}}\n");
	free(out);
	CAPTURE(out, (json_init(&j, f, true), nested_doc(&j)));
	CHECK_STR(out, "{\n"
		  "    \"a\": \"x\",\n"
		  "    \"empty\": {},\n"
		  "    \"inner\": {\n"
		  "        \"max\": 18446744073709551615,\n"
		  "        \"s\": null,\n"
		  "        \"t\": \"y\"\n"
		  "    }\n"
		  "}\n");
	free(out);
}

static void test_empty(void)
{
	struct json j;
	char *out;

	CAPTURE(out, (json_init(&j, f, true), json_open(&j, NULL),
		      json_close(&j)));
	CHECK_STR(out, "{}\n");
	free(out);
}

static void array_doc(struct json *j)
{
	json_open(j, NULL);
	json_open_array(j, "none");
	json_close(j);
	json_open_array(j, "rows");
	json_open(j, NULL);
	json_u64(j, "n", 1);
	json_close(j);
	json_open(j, NULL);
	json_str(j, "s", "x");
	json_close(j);
	json_close(j);
	json_u64(j, "after", 2);
	json_close(j);
}

static void test_array(void)
{
	struct json j;
	char *out;

	CAPTURE(out, (json_init(&j, f, false), array_doc(&j)));
	CHECK_STR(out, "{\"none\":[],\"rows\":[{\"n\":1},{\"s\":\"x\"}],\"after\":2}\n");
	free(out);
	CAPTURE(out, (json_init(&j, f, true), array_doc(&j)));
	CHECK_STR(out, "{\n"
		  "    \"none\": [],\n"
		  "    \"rows\": [\n"
		  "        {\n"
		  "            \"n\": 1\n"
		  "        },\n"
		  "        {\n"
		  "            \"s\": \"x\"\n"
		  "        }\n"
		  "    ],\n"
		  "    \"after\": 2\n"
		  "}\n");
	free(out);
}

static void test_escape(void)
{
	char *out;

	CAPTURE(out, json_write_string(f, "a\"b\\c\nd\te\x01\x1f\x7f/\xc3\xa9"));
	CHECK_STR(out, "\"a\\\"b\\\\c\\nd\\te\\u0001\\u001f\\u007f/\xc3\xa9\"");
	free(out);
	/* Valid UTF-8 of 2, 3 and 4 bytes passes as it is. */
	CAPTURE(out, json_write_string(f, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbd"));
	CHECK_STR(out, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbd\"");
	free(out);
	/* Anything else: each bad byte is U+FFFD (a netns name is any bytes). */
	CAPTURE(out, json_write_string(f, "ns\xff"));
	CHECK_STR(out, "\"ns\\ufffd\"");
	free(out);
	CAPTURE(out, json_write_string(f, "\x80\xc0\xaf.\xed\xa0\x80.\xf4\x90\x80\x80.\xe2\x82.\xc3"));
	CHECK_STR(out, "\"\\ufffd\\ufffd\\ufffd.\\ufffd\\ufffd\\ufffd."
		  "\\ufffd\\ufffd\\ufffd\\ufffd.\\ufffd\\ufffd.\\ufffd\"");
	free(out);
	CAPTURE(out, json_write_string(f, ""));
	CHECK_STR(out, "\"\"");
	free(out);
}

int main(void)
{
	tap_suite = "json";
	RUN(test_compact, "compact object");
	RUN(test_pretty, "pretty object, 4-space indent");
	RUN(test_nested, "nested and empty objects, null, u64 max");
	RUN(test_empty, "empty top-level object");
	RUN(test_array, "arrays of objects, empty array, compact and pretty");
	RUN(test_escape, "string escaping");
	return tap_exit();
}
