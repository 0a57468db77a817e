// SPDX-License-Identifier: GPL-2.0
/* Knobs and counters as table rows: see fields.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/twctl.h>

#include "fields.h"
#include "units.h"

/* --- the tables: a new knob or counter is one row here --------------------- */

/* Indexed by enum twctl_reuse. */
static const char *const reuse_names[] = {
	"inherit", "off", "loopback", "always", NULL
};

static const char *const off_on_names[] = { "off", "on", NULL };

/* MSL of a peer class: 0 is "unset", the class then uses msl. */
#define CLASS_MSL(_name, _key, _attr, _derived_key, _help) {		\
	.name = _name, .key = _key, .attr = _attr, .width = 4,		\
	.type = &field_duration, .unit_us = US_PER_MS,			\
	.min = 0, .max = TWCTL_MSL_MAX_MS, .def = 0, .zero = "unset",	\
	.derived = "TIME_WAIT", .derived_key = _derived_key,		\
	.derived_mul = 2, .unset_uses = "msl", .help = _help }

static const struct field policy_fields[] = {
	{
		.name = "msl", .key = "msl_ms",
		.attr = TWCTL_A_POLICY_MSL_MS, .width = 4,
		.type = &field_duration, .unit_us = US_PER_MS,
		.min = TWCTL_MSL_MIN_MS, .max = TWCTL_MSL_MAX_MS,
		.def = TWCTL_MSL_DEFAULT_MS,
		.derived = "TIME_WAIT", .derived_key = "time_wait_ms",
		.derived_mul = 2,
		.help = "maximum segment lifetime; TIME_WAIT lasts 2 x msl",
	},
	{
		.name = "reuse", .key = "reuse",
		.attr = TWCTL_A_POLICY_REUSE, .width = 4,
		.type = &field_enum, .names = reuse_names,
		.min = TWCTL_REUSE_INHERIT, .max = TWCTL_REUSE_ALWAYS,
		.def = TWCTL_REUSE_INHERIT,
		.help = "TIME_WAIT reuse by new outgoing connections",
	},
	{
		.name = "reuse-delay", .key = "reuse_delay_ms",
		.attr = TWCTL_A_POLICY_REUSE_DELAY_MS, .width = 4,
		.type = &field_duration, .unit_us = US_PER_MS,
		.min = TWCTL_REUSE_DELAY_MIN_MS, .max = TWCTL_REUSE_DELAY_MAX_MS,
		.def = TWCTL_REUSE_DELAY_DEFAULT_MS,
		.help = "minimum time in TIME_WAIT before reuse",
	},
	CLASS_MSL("msl-loopback", "msl_loopback_ms",
		  TWCTL_A_POLICY_MSL_LOOPBACK_MS, "time_wait_loopback_ms",
		  "msl for loopback peers (unset: msl)"),
	CLASS_MSL("msl-local", "msl_local_ms",
		  TWCTL_A_POLICY_MSL_LOCAL_MS, "time_wait_local_ms",
		  "msl for peers with an RTT below local-rtt (unset: msl)"),
	CLASS_MSL("msl-remote", "msl_remote_ms",
		  TWCTL_A_POLICY_MSL_REMOTE_MS, "time_wait_remote_ms",
		  "msl for every other peer (unset: msl)"),
	{
		.name = "local-rtt", .key = "local_rtt_us",
		.attr = TWCTL_A_POLICY_LOCAL_RTT_US, .width = 4,
		.type = &field_duration, .unit_us = 1,
		.min = 0, .max = TWCTL_LOCAL_RTT_MAX_US, .def = 0,
		.zero = "off",
		.help = "peers with a smoothed RTT below this are local",
	},
	{
		.name = "rto-floor", .key = "rto_floor",
		.attr = TWCTL_A_POLICY_RTO_FLOOR, .width = 4,
		.type = &field_enum, .names = off_on_names,
		.min = 0, .max = 1, .def = 0,
		.help = "TIME_WAIT at least 3.5 x the connection's RTO",
	},
	{ .name = NULL }
};

#define COUNTER(_name, _attr, _help) {					\
	.name = _name, .key = _name, .attr = _attr, .width = 8,		\
	.type = &field_counter, .help = _help }

/* A gauge of the whole module: JSON puts it under "module". */
#define GAUGE(_name, _attr, _help) {					\
	.name = _name, .key = _name, .attr = _attr, .width = 8,		\
	.type = &field_counter, .module_wide = true, .help = _help }

static const struct field stats_fields[] = {
	COUNTER("reuse_granted", TWCTL_A_STATS_REUSE_GRANTED,
		"TIME_WAIT sockets taken over by a new connection"),
	COUNTER("reuse_refused_policy", TWCTL_A_STATS_REUSE_REFUSED_POLICY,
		"reuse refused by mode, peer class or delay"),
	COUNTER("reuse_refused_no_ts", TWCTL_A_STATS_REUSE_REFUSED_NO_TS,
		"reuse refused: no TCP timestamps"),
	COUNTER("tw_created", TWCTL_A_STATS_TW_CREATED,
		"timewait sockets created in TIME_WAIT"),
	COUNTER("tw_created_fin_wait2", TWCTL_A_STATS_TW_CREATED_FW2,
		"FIN_WAIT2 sockets kept as timewait sockets"),
	COUNTER("tw_expired", TWCTL_A_STATS_TW_EXPIRED,
		"timewait sockets ended by their timer"),
	COUNTER("tw_reused", TWCTL_A_STATS_TW_REUSED,
		"timewait sockets taken over by a connect()"),
	COUNTER("tw_killed_rst", TWCTL_A_STATS_TW_KILLED_RST,
		"timewait sockets ended by a segment (RST)"),
	COUNTER("tw_killed_syn", TWCTL_A_STATS_TW_KILLED_SYN,
		"timewait sockets ended by a SYN taking over"),
	COUNTER("tw_killed_netns", TWCTL_A_STATS_TW_KILLED_NETNS,
		"timewait sockets ended with their namespace"),
	COUNTER("tw_rearmed", TWCTL_A_STATS_TW_REARMED,
		"TIME_WAIT timers restarted by a segment"),
	COUNTER("tw_overflow", TWCTL_A_STATS_TW_OVERFLOW,
		"timewait sockets refused: tcp_max_tw_buckets"),
	COUNTER("tw_alive", TWCTL_A_STATS_TW_ALIVE,
		"timewait sockets now"),
	COUNTER("events_dropped", TWCTL_A_STATS_EVENTS_DROPPED,
		"events not sent (rate limit, memory)"),
	COUNTER("tw_class_loopback", TWCTL_A_STATS_TW_CLASS_LOOPBACK,
		"timewait sockets created for loopback peers"),
	COUNTER("tw_class_local", TWCTL_A_STATS_TW_CLASS_LOCAL,
		"timewait sockets created for local peers"),
	COUNTER("tw_class_remote", TWCTL_A_STATS_TW_CLASS_REMOTE,
		"timewait sockets created for remote peers"),
	COUNTER("tw_rto_floored", TWCTL_A_STATS_TW_RTO_FLOORED,
		"TIME_WAIT lengths raised to the RTO floor"),
	GAUGE("tw_records", TWCTL_A_STATS_TW_RECORDS,
		"length records alive (module-wide)"),
	GAUGE("tw_record_bytes", TWCTL_A_STATS_TW_RECORD_BYTES,
		"bytes per length record"),
	COUNTER("tw_record_failed", TWCTL_A_STATS_TW_RECORD_FAILED,
		"length records not allocated (no memory)"),
	COUNTER("tw_record_capped", TWCTL_A_STATS_TW_RECORD_CAPPED,
		"length records refused: max_tw_records alive"),
	GAUGE("hooks_missed", TWCTL_A_STATS_HOOKS_MISSED,
		"hook runs skipped (module-wide)"),
	GAUGE("netns_count", TWCTL_A_STATS_NETNS_COUNT,
		"network namespaces with twctl state (module-wide)"),
	{ .name = NULL }
};

const struct field_table policy_table = {
	.what = "policy", .nest = TWCTL_A_POLICY,
	.unknown = "attr_", .fields = policy_fields,
};

static const uint16_t stats_records[] = {
	TWCTL_A_STATS_TRANSITION, TWCTL_A_STATS_LIFETIME, 0
};

const struct field_table stats_table = {
	.what = "stats", .nest = TWCTL_A_STATS, .pad = TWCTL_A_STATS_PAD,
	.unknown = "counter_", .fields = stats_fields,
	.records = stats_records,
};

/* Members of the repeated nests of the stats nest, in record order. */
struct member {
	uint16_t attr;
	uint8_t width;
};

static const struct member transition_members[] = {
	{ TWCTL_A_TRANS_FROM, 4 },
	{ TWCTL_A_TRANS_TO, 4 },
	{ TWCTL_A_TRANS_COUNT, 8 },
};

static const struct member lifetime_members[] = {
	{ TWCTL_A_HIST_LT_MS, 8 },
	{ TWCTL_A_HIST_COUNT, 8 },
};

#define NMEMBERS(m)	(sizeof(m) / sizeof((m)[0]))

/* --- value types ----------------------------------------------------------- */

static int duration_parse(const struct field *f, const char *s, uint64_t *v,
			  char *why, size_t whylen)
{
	if (f->zero && !strcmp(s, f->zero)) {
		*v = 0;
		return 0;
	}
	return parse_duration(s, f->unit_us, v, why, whylen);
}

static void duration_format(const struct field *f, uint64_t v, char *buf,
			    size_t len)
{
	if (!v && f->zero)
		snprintf(buf, len, "%s", f->zero);
	else
		format_duration(v, f->unit_us, buf, len);
}

static void duration_human(const struct field *f, uint64_t v, char *buf,
			   size_t len)
{
	if (!v && f->zero)
		snprintf(buf, len, "%s", f->zero);
	else
		format_duration_human(v, f->unit_us, buf, len);
}

static void number_json(struct json *j, const char *key,
			const struct field *f, uint64_t v)
{
	(void)f;
	json_u64(j, key, v);
}

static void duration_range(const struct field *f, uint64_t min, uint64_t max,
			   char *buf, size_t len)
{
	snprintf(buf, len, "%llu..%llu %s", (unsigned long long)min,
		 (unsigned long long)max, unit_name(f->unit_us));
}

const struct field_type field_duration = {
	.syntax = "TIME",
	.parse = duration_parse,
	.format = duration_format,
	.human = duration_human,
	.json = number_json,
	.range = duration_range,
};

static size_t enum_count(const struct field *f)
{
	size_t n = 0;

	while (f->names[n])
		n++;
	return n;
}

static int enum_parse(const struct field *f, const char *s, uint64_t *v,
		      char *why, size_t whylen)
{
	size_t i, n = enum_count(f);

	for (i = 0; i < n; i++) {
		if (!strcmp(s, f->names[i])) {
			*v = i;
			return 0;
		}
	}
	/* off|on switches also take 0|1, as their sysfs files do. */
	if (f->names == off_on_names && (!strcmp(s, "0") || !strcmp(s, "1"))) {
		*v = s[0] == '1';
		return 0;
	}
	snprintf(why, whylen, "not one of ");
	for (i = 0; i < n; i++)
		snprintf(why + strlen(why), whylen - strlen(why), "%s%s",
			 i ? "|" : "", f->names[i]);
	if (f->names == off_on_names)
		snprintf(why + strlen(why), whylen - strlen(why), "|0|1");
	return -1;
}

static void enum_format(const struct field *f, uint64_t v, char *buf,
			size_t len)
{
	if (v < enum_count(f))
		snprintf(buf, len, "%s", f->names[v]);
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

static void enum_json(struct json *j, const char *key, const struct field *f,
		      uint64_t v)
{
	char unknown[32];

	if (v < enum_count(f)) {
		json_str(j, key, f->names[v]);
		return;
	}
	/* Always a string in JSON: a value of a newer module. */
	snprintf(unknown, sizeof(unknown), "unknown_%llu",
		 (unsigned long long)v);
	json_str(j, key, unknown);
}

static void enum_range(const struct field *f, uint64_t min, uint64_t max,
		       char *buf, size_t len)
{
	size_t i, n = enum_count(f);
	const char *sep = "";

	buf[0] = 0;
	for (i = min; i <= max && i < n; i++, sep = "|")
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", sep,
			 f->names[i]);
}

const struct field_type field_enum = {
	.syntax = NULL,
	.parse = enum_parse,
	.format = enum_format,
	.json = enum_json,
	.range = enum_range,
};

static void counter_format(const struct field *f, uint64_t v, char *buf,
			   size_t len)
{
	(void)f;
	snprintf(buf, len, "%llu", (unsigned long long)v);
}

static void counter_range(const struct field *f, uint64_t min, uint64_t max,
			  char *buf, size_t len)
{
	(void)f;
	snprintf(buf, len, "%llu..%llu", (unsigned long long)min,
		 (unsigned long long)max);
}

const struct field_type field_counter = {
	.syntax = "N",
	.format = counter_format,
	.json = number_json,
	.range = counter_range,
};

/* --- lookups and parsing --------------------------------------------------- */

const struct field *field_find(const struct field_table *t, const char *name)
{
	const struct field *f;

	for (f = t->fields; f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

static const struct field *field_by_attr(const struct field_table *t,
					 uint16_t attr)
{
	const struct field *f;

	for (f = t->fields; f->name; f++)
		if (f->attr == attr)
			return f;
	return NULL;
}

size_t field_count_rows(const struct field_table *t)
{
	size_t n = 0;

	while (t->fields[n].name)
		n++;
	return n;
}

static uint64_t width_max(uint8_t width)
{
	return width >= 8 ? UINT64_MAX : (1ULL << (8 * width)) - 1;
}

uint64_t field_max(const struct field *f)
{
	return f->min || f->max ? f->max : width_max(f->width);
}

int field_parse(const struct field *f, const char *s, bool check,
		uint64_t *v, char *msg, size_t len)
{
	char why[160], range[160];

	if (!f->type->parse) {
		snprintf(msg, len, "%s cannot be set", f->name);
		return -1;
	}
	if (f->type->parse(f, s, v, why, sizeof(why)) < 0) {
		snprintf(msg, len, "bad value for %s: \"%s\": %s", f->name, s,
			 why);
		return -1;
	}
	if (*v > width_max(f->width)) {
		snprintf(msg, len, "bad value for %s: \"%s\": number too large",
			 f->name, s);
		return -1;
	}
	if (check && (*v < f->min || *v > field_max(f))) {
		f->type->range(f, f->min, field_max(f), range, sizeof(range));
		snprintf(msg, len,
			 "bad value for %s: \"%s\": out of range (allowed %s)",
			 f->name, s, range);
		return -1;
	}
	return 0;
}

void field_syntax(const struct field *f, char *buf, size_t len)
{
	if (f->type->syntax && f->zero)
		snprintf(buf, len, "%s|%s", f->type->syntax, f->zero);
	else if (f->type->syntax)
		snprintf(buf, len, "%s", f->type->syntax);
	else
		f->type->range(f, 0, UINT64_MAX, buf, len);
}

/* --- netlink --------------------------------------------------------------- */

static void put_width(struct nlmsghdr *nlh, uint16_t attr, uint8_t width,
		      uint64_t v)
{
	switch (width) {
	case 1:
		mnl_attr_put_u8(nlh, attr, (uint8_t)v);
		break;
	case 2:
		mnl_attr_put_u16(nlh, attr, (uint16_t)v);
		break;
	case 4:
		mnl_attr_put_u32(nlh, attr, (uint32_t)v);
		break;
	default:
		mnl_attr_put_u64(nlh, attr, v);
	}
}

void fields_put(struct nlmsghdr *nlh, const struct field_table *t,
		struct setting *s, size_t n)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, t->nest);
	size_t i;

	for (i = 0; i < n; i++) {
		s[i].off = (uint32_t)((char *)mnl_nlmsg_get_payload_tail(nlh) -
				      (char *)nlh);
		put_width(nlh, s[i].f->attr, s[i].f->width, s[i].v);
	}
	mnl_attr_nest_end(nlh, nest);
}

/* The value of an integer attribute of 1, 2, 4 or 8 bytes. */
static int get_int(const struct nlattr *a, uint64_t *v)
{
	switch (mnl_attr_get_payload_len(a)) {
	case 1:
		*v = mnl_attr_get_u8(a);
		return 0;
	case 2:
		*v = mnl_attr_get_u16(a);
		return 0;
	case 4:
		*v = mnl_attr_get_u32(a);
		return 0;
	case 8:
		*v = mnl_attr_get_u64(a);
		return 0;
	}
	return -1;
}

/* A repeated nest of @t, or any nest: not a field's value. */
static bool is_record(const struct field_table *t, const struct nlattr *a)
{
	const uint16_t *r;

	if (a->nla_type & NLA_F_NESTED)
		return true;
	for (r = t->records; r && *r; r++)
		if (*r == mnl_attr_get_type(a))
			return true;
	return false;
}

int fields_parse_nest(const struct field_table *t, const struct nlattr *nest,
		      struct field_vals *out)
{
	const struct nlattr *a;

	out->n = 0;
	mnl_attr_for_each_nested(a, nest) {
		uint16_t attr = mnl_attr_get_type(a);
		const struct field *f = field_by_attr(t, attr);
		uint64_t v;

		if ((t->pad && attr == t->pad) || is_record(t, a))
			continue;
		if (f && mnl_attr_get_payload_len(a) != f->width)
			return -EBADMSG;
		if (get_int(a, &v) < 0 || out->n == FIELDS_MAX)
			continue;	/* unknown and not an integer */
		out->e[out->n++] = (struct field_val){ f, attr, v };
	}
	return 0;
}

/* --- output ---------------------------------------------------------------- */

static void val_name(const struct field_table *t, const struct field_val *e,
		     char *buf, size_t len)
{
	if (e->f)
		snprintf(buf, len, "%s", e->f->name);
	else
		snprintf(buf, len, "%s%u", t->unknown, e->attr);
}

static void print_line(FILE *out, const struct field_table *t,
		       const struct field_val *e, int width)
{
	const struct field *f = e->f;
	char name[64], val[96], der[96];

	val_name(t, e, name, sizeof(name));
	if (!f) {
		fprintf(out, "%-*s %llu\n", width, name,
			(unsigned long long)e->v);
		return;
	}
	f->type->format(f, e->v, val, sizeof(val));
	fprintf(out, "%-*s %s", width, name, val);
	if (f->derived && (e->v || !f->zero)) {
		(f->type->human ? f->type->human : f->type->format)
			(f, e->v * f->derived_mul, der, sizeof(der));
		fprintf(out, " (%s %s)", f->derived, der);
	}
	fputc('\n', out);
}

void fields_print_text(FILE *out, const struct field_table *t,
		       const struct field_vals *vals)
{
	char name[64];
	int width = 0;
	size_t i;

	for (i = 0; i < vals->n; i++) {
		val_name(t, &vals->e[i], name, sizeof(name));
		if ((int)strlen(name) > width)
			width = (int)strlen(name);
	}
	for (i = 0; i < vals->n; i++)
		print_line(out, t, &vals->e[i], width);
}

/* The value of @f in @vals, or NULL when the reply did not carry it. */
static const struct field_val *val_of(const struct field_vals *vals,
				      const struct field *f)
{
	size_t i;

	for (i = 0; f && i < vals->n; i++)
		if (vals->e[i].f == f)
			return &vals->e[i];
	return NULL;
}

/* @f's derived key: 2 x its value, or 2 x the value it falls back to. */
static void derived_json(struct json *j, const struct field_table *t,
			 const struct field_vals *vals, const struct field *f,
			 const struct field_val *e)
{
	if (e && !e->v && f->zero && f->unset_uses)
		e = val_of(vals, field_find(t, f->unset_uses));
	if (e)
		json_u64(j, f->derived_key, e->v * f->derived_mul);
	else
		json_null(j, f->derived_key);
}

void fields_print_json(struct json *j, const struct field_table *t,
		       const struct field_vals *vals)
{
	const struct field *f;
	char key[64];
	size_t i;

	for (f = t->fields; f->name; f++) {
		const struct field_val *e = val_of(vals, f);

		if (f->module_wide)
			continue;
		if (e)
			f->type->json(j, f->key, f, e->v);
		else
			json_null(j, f->key);
		if (f->derived_key)
			derived_json(j, t, vals, f, e);
	}
	for (i = 0; i < vals->n; i++) {
		if (vals->e[i].f)
			continue;
		val_name(t, &vals->e[i], key, sizeof(key));
		json_u64(j, key, vals->e[i].v);
	}
}

void fields_print_module_json(struct json *j, const struct field_table *t,
			      const struct field_vals *vals)
{
	const struct field *f;

	for (f = t->fields; f->name; f++) {
		const struct field_val *e = val_of(vals, f);

		if (!f->module_wide)
			continue;
		if (e)
			f->type->json(j, f->key, f, e->v);
		else
			json_null(j, f->key);
	}
}

/* --- repeated nests of the stats nest ------------------------------------- */

/*
 * The @n members @m of record nest @rec into @v (same order): 0, or -1
 * when one is missing, repeated or of the wrong size. Pads and members
 * of a newer module are skipped.
 */
static int parse_members(const struct nlattr *rec, uint16_t pad,
			 const struct member *m, size_t n, uint64_t *v)
{
	const struct nlattr *a;
	unsigned int seen = 0;
	size_t i;

	if (mnl_attr_validate(rec, MNL_TYPE_NESTED) < 0)
		return -1;
	mnl_attr_for_each_nested(a, rec) {
		uint16_t attr = mnl_attr_get_type(a);

		if (attr == pad)
			continue;
		for (i = 0; i < n && m[i].attr != attr; i++)
			;
		if (i == n)
			continue;
		if (seen & (1U << i) ||
		    mnl_attr_get_payload_len(a) != m[i].width ||
		    get_int(a, &v[i]) < 0)
			return -1;
		seen |= 1U << i;
	}
	return seen == (1U << n) - 1 ? 0 : -1;
}

/* Into @hist (@n buckets, sorted by lt_ms): a bucket, merged or inserted. */
static void add_bucket(struct lifetime_bucket *hist, size_t *n,
		       uint64_t lt_ms, uint64_t count)
{
	size_t i = 0;

	while (i < *n && hist[i].lt_ms < lt_ms)
		i++;
	if (i < *n && hist[i].lt_ms == lt_ms) {
		hist[i].count += count;
		return;
	}
	if (*n == TWCTL_HIST_BUCKETS)
		return;
	memmove(&hist[i + 1], &hist[i], (*n - i) * sizeof(*hist));
	hist[i] = (struct lifetime_bucket){ lt_ms, count };
	(*n)++;
}

int close_stats_parse(const struct nlattr *nest, struct close_stats *out)
{
	const struct nlattr *a;
	uint64_t v[3];

	memset(out, 0, sizeof(*out));
	mnl_attr_for_each_nested(a, nest) {
		switch (mnl_attr_get_type(a)) {
		case TWCTL_A_STATS_TRANSITION:
			if (parse_members(a, TWCTL_A_TRANS_PAD,
					  transition_members,
					  NMEMBERS(transition_members), v) < 0)
				return -EBADMSG;
			if (out->ntrans < TRANSITIONS_MAX)
				out->trans[out->ntrans++] =
					(struct transition){ v[0], v[1], v[2] };
			break;
		case TWCTL_A_STATS_LIFETIME:
			if (parse_members(a, TWCTL_A_HIST_PAD,
					  lifetime_members,
					  NMEMBERS(lifetime_members), v) < 0 ||
			    v[0] == 0)
				return -EBADMSG;
			add_bucket(out->hist, &out->nbuckets, v[0], v[1]);
			break;
		}
	}
	return 0;
}

/* --- replies -------------------------------------------------------------- */

static int reply_attr_cb(const struct nlattr *a, void *data)
{
	struct twctl_reply *r = data;

	switch (mnl_attr_get_type(a)) {
	case TWCTL_A_VERSION:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		r->version = mnl_attr_get_u32(a);
		r->has_version = true;
		break;
	case TWCTL_A_MODULE_VERSION:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		snprintf(r->module_version, sizeof(r->module_version), "%s",
			 mnl_attr_get_str(a));
		break;
	case TWCTL_A_POLICY:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 ||
		    fields_parse_nest(&policy_table, a, &r->policy) < 0)
			return MNL_CB_ERROR;
		r->has_policy = true;
		break;
	case TWCTL_A_STATS:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 ||
		    fields_parse_nest(&stats_table, a, &r->stats) < 0 ||
		    close_stats_parse(a, &r->close) < 0)
			return MNL_CB_ERROR;
		r->has_stats = true;
		break;
	}
	return MNL_CB_OK;
}

int twctl_parse_reply(const struct nlmsghdr *nlh, struct twctl_reply *r)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);

	memset(r, 0, sizeof(*r));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
		return -EBADMSG;
	r->cmd = g->cmd;
	if (mnl_attr_parse(nlh, sizeof(*g), reply_attr_cb, r) < 0)
		return -EBADMSG;
	return 0;
}

/* --- refusals -------------------------------------------------------------- */

static void kernel_range(const struct field *f, const struct nl_error *e,
			 char *buf, size_t len)
{
	if (!e->range_signed)
		f->type->range(f, e->umin, e->umax, buf, len);
	else if (e->smin >= 0)
		f->type->range(f, (uint64_t)e->smin, (uint64_t)e->smax, buf,
			       len);
	else
		snprintf(buf, len, "%lld..%lld", (long long)e->smin,
			 (long long)e->smax);
}

void fields_refusal(char *buf, size_t len, const struct nl_error *e,
		    const struct setting *s, size_t n)
{
	const struct setting *hit = NULL;
	char val[96], range[160] = "";
	size_t i;

	for (i = 0; e->has_offs && i < n; i++)
		if (s[i].off == e->offs)
			hit = &s[i];
	if (!hit) {
		snprintf(buf, len, "kernel refused: %s%s%s", strerror(e->err),
			 e->msg[0] ? ": " : "", e->msg);
		return;
	}
	hit->f->type->format(hit->f, hit->v, val, sizeof(val));
	if (e->has_range)
		kernel_range(hit->f, e, range, sizeof(range));
	snprintf(buf, len, "kernel refused %s %s: %s%s%s%s", hit->f->name, val,
		 e->msg[0] ? e->msg : strerror(e->err),
		 range[0] ? " (allowed " : "", range, range[0] ? ")" : "");
}
