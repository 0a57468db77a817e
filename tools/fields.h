/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Knobs and counters as data. Each is one row of a table (a struct field):
 * its name on the command line, its JSON key, its attribute in the module's
 * nest, its width and value type (a struct field_type: parser, printers,
 * range printer) and its limits. Everything the tool does with knobs and
 * counters (parse `set`, build the request, decode replies, print text and
 * JSON, explain a refusal) loops over these tables.
 */
#ifndef TWCTL_FIELDS_H
#define TWCTL_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <libmnl/libmnl.h>
#include <linux/twctl.h>

#include "json.h"
#include "nl.h"

struct field;

struct field_type {
	/* Value syntax for help texts ("TIME"), NULL: the names joined by |. */
	const char *syntax;
	/* 0, or -1 with a reason in @why. */
	int (*parse)(const struct field *f, const char *s, uint64_t *v,
		     char *why, size_t whylen);
	/* Exact value, as the module has it ("30000ms", "loopback", "12"). */
	void (*format)(const struct field *f, uint64_t v, char *buf,
		       size_t len);
	/* For people ("60s"); NULL: same as format. */
	void (*human)(const struct field *f, uint64_t v, char *buf,
		      size_t len);
	/* JSON member under @key. */
	void (*json)(struct json *j, const char *key, const struct field *f,
		     uint64_t v);
	/* "1..600000 ms", "inherit|off". */
	void (*range)(const struct field *f, uint64_t min, uint64_t max,
		      char *buf, size_t len);
};

extern const struct field_type field_duration;	/* .unit_us: base unit */
extern const struct field_type field_enum;	/* .names: value names */
extern const struct field_type field_counter;	/* counters */

struct field {
	const char *name;		/* command line and text output */
	const char *key;		/* JSON key */
	uint16_t attr;			/* attribute number in the nest */
	uint8_t width;			/* attribute size: 1, 2, 4 or 8 bytes */
	const struct field_type *type;
	uint64_t unit_us;		/* durations: base unit in us */
	const char *const *names;	/* enums: NULL-terminated */
	uint64_t min, max, def;		/* limits (both 0: the width's) */
	/* A value derived for display: TIME_WAIT = 2 x msl. */
	const char *zero;		/* durations: the word for 0 ("unset") */
	const char *derived, *derived_key;
	unsigned int derived_mul;
	/* 0 ("unset") means the value of this knob instead (its name). */
	const char *unset_uses;
	/* A gauge of the whole module, not of the namespace (JSON "module"). */
	bool module_wide;
	const char *help;
};

/* A table: the fields of one nest of the module's replies. */
struct field_table {
	const char *what;		/* "policy", "stats" */
	uint16_t nest;			/* TWCTL_A_POLICY, ... */
	uint16_t pad;			/* attribute to skip (0: none) */
	const char *unknown;		/* name prefix of unknown attributes */
	const struct field *fields;	/* ends with a row without name */
	/* Attributes of repeated nests in the nest, not fields (0-ended). */
	const uint16_t *records;
};

extern const struct field_table policy_table;	/* knobs */
extern const struct field_table stats_table;	/* counters */

#define FIELDS_MAX	64

/* A knob and value of `set`; @off: its attribute's offset in the request. */
struct setting {
	const struct field *f;
	uint64_t v;
	uint32_t off;
};

/* Values of one nest as decoded: @f is NULL for unknown attributes. */
struct field_val {
	const struct field *f;
	uint16_t attr;
	uint64_t v;
};

struct field_vals {
	size_t n;
	struct field_val e[FIELDS_MAX];
};

const struct field *field_find(const struct field_table *t, const char *name);
size_t field_count_rows(const struct field_table *t);
uint64_t field_max(const struct field *f);	/* f->max or the width's */

/*
 * Parse @s for knob @f; with @check, also against the knob's own range.
 * 0, or -1 with a complete message (no "twctl:" prefix) in @msg.
 */
int field_parse(const struct field *f, const char *s, bool check,
		uint64_t *v, char *msg, size_t len);

/* The value syntax of @f for help: "TIME" or "inherit|off". */
void field_syntax(const struct field *f, char *buf, size_t len);

/* Put @n settings into nest @t->nest of @nlh, recording their offsets. */
void fields_put(struct nlmsghdr *nlh, const struct field_table *t,
		struct setting *s, size_t n);

/* Decode nest @nest of @t. 0, or -EBADMSG when a known one is malformed. */
int fields_parse_nest(const struct field_table *t, const struct nlattr *nest,
		      struct field_vals *out);

/* One line per value: "msl 30000ms (TIME_WAIT 60s)", names aligned. */
void fields_print_text(FILE *out, const struct field_table *t,
		       const struct field_vals *vals);
/*
 * Members of the open JSON object: "msl_ms":30000,"time_wait_ms":60000.
 * Every known field of @t but the module-wide ones, in table order, each
 * with its derived key (a class MSL that is unset derives from msl); a
 * field the reply lacks (an older module) is null. Then unknown
 * attributes, as numbers.
 */
void fields_print_json(struct json *j, const struct field_table *t,
		       const struct field_vals *vals);

/* The module-wide fields of @t as members of the open JSON object. */
void fields_print_module_json(struct json *j, const struct field_table *t,
			      const struct field_vals *vals);

/*
 * The message for a refusal @e of a request carrying settings @s: names
 * the knob @e's offset points at, with the range the kernel allows.
 * "kernel refused msl 700000ms: integer out of range (allowed 1..600000 ms)"
 * or "kernel refused: Operation not permitted".
 */
void fields_refusal(char *buf, size_t len, const struct nl_error *e,
		    const struct setting *s, size_t n);

/*
 * The repeated nests of the stats nest: the non-zero cells of the
 * close-path transition matrix (TWCTL_A_STATS_TRANSITION) and the
 * non-empty buckets of the TIME_WAIT lifetime histogram
 * (TWCTL_A_STATS_LIFETIME). Members are decoded through small tables of
 * (attribute, width); every member is required, unknown ones are skipped.
 * Beyond the room here further records are ignored.
 */
#define TRANSITIONS_MAX	64

/* One cell: @count sockets went from TCP state @from to @to (TCP_* numbers). */
struct transition {
	uint64_t from, to, count;
};

/* One bucket: @count lifetimes L with @lt_ms / 2 <= L < @lt_ms (ms). */
struct lifetime_bucket {
	uint64_t lt_ms, count;
};

struct close_stats {
	size_t ntrans;			/* in the reply's order */
	struct transition trans[TRANSITIONS_MAX];
	size_t nbuckets;		/* sorted by lt_ms, each lt_ms once */
	struct lifetime_bucket hist[TWCTL_HIST_BUCKETS];
};

/*
 * Decode the transition and lifetime nests inside stats nest @nest.
 * 0, or -EBADMSG when one is malformed (a member missing, repeated or of
 * the wrong size; a bucket bound of 0).
 */
int close_stats_parse(const struct nlattr *nest, struct close_stats *out);

/* A reply (or event) of the module: what it carried. */
struct twctl_reply {
	uint8_t cmd;
	bool has_version;
	uint32_t version;			/* TWCTL_A_VERSION */
	char module_version[64];		/* TWCTL_A_MODULE_VERSION */
	bool has_policy, has_stats;
	struct field_vals policy, stats;
	struct close_stats close;		/* with has_stats */
};

/* Decode a message of the twctl family. 0, or -EBADMSG. */
int twctl_parse_reply(const struct nlmsghdr *nlh, struct twctl_reply *r);

#endif /* TWCTL_FIELDS_H */
