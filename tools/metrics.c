// SPDX-License-Identifier: GPL-2.0
/* `twctl metrics`: Prometheus text format; see metrics.h. */
#include <string.h>

#include "json.h"
#include "metrics.h"
#include "stats.h"

#define PREFIX	"twctl_"

/* A label value: backslash, quote and newline escaped; valid UTF-8. */
static void label_value(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	for (; *p; p++) {
		if (*p == '\\' || *p == '"')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p < 0x80)
			fputc(*p, out);
		else if ((n = json_utf8_len(p)) == 0)
			fputs("\xef\xbf\xbd", out);	/* U+FFFD */
		else {
			fwrite(p, 1, (size_t)n, out);
			p += n - 1;
		}
	}
}

static void family(FILE *out, const char *name, const char *suffix,
		   const char *type, const char *help)
{
	fprintf(out, "# HELP " PREFIX "%s%s %s\n", name, suffix, help);
	fprintf(out, "# TYPE " PREFIX "%s%s %s\n", name, suffix, type);
}

/* "twctl_NAMESUFFIX{netns="NS"" without the closing brace. */
static void sample_start2(FILE *out, const char *name, const char *suffix,
			  const char *ns)
{
	fprintf(out, PREFIX "%s%s{netns=\"", name, suffix);
	label_value(out, ns);
	fputc('"', out);
}

static void sample_start(FILE *out, const char *name, const char *ns)
{
	fprintf(out, PREFIX "%s{netns=\"", name);
	label_value(out, ns);
	fputc('"', out);
}

static const struct field_val *val_of(const struct field_vals *vals,
				      const struct field *f)
{
	size_t i;

	for (i = 0; i < vals->n; i++)
		if (vals->e[i].f == f)
			return &vals->e[i];
	return NULL;
}

/* Counters that are levels, not totals: gauges in Prometheus terms. */
static bool is_gauge(const struct field *f)
{
	return !strcmp(f->name, "tw_alive") || !strcmp(f->name, "tw_records") ||
	       !strcmp(f->name, "tw_record_bytes") ||
	       !strcmp(f->name, "netns_count");
}

/*
 * The metric name of @f: its name, but for netns_count (promtool keeps
 * _count for histograms and summaries).
 */
static const char *metric_name(const struct field *f)
{
	return strcmp(f->name, "netns_count") ? f->name : "namespaces";
}

static void print_fields(FILE *out, const struct metrics_ns *ns, size_t n)
{
	const struct field *f;
	size_t i;

	for (f = stats_table.fields; f->name; f++) {
		bool gauge = is_gauge(f);
		const char *suffix = gauge ? "" : "_total";
		const char *name = metric_name(f);

		family(out, name, suffix, gauge ? "gauge" : "counter",
		       f->help);
		for (i = 0; i < n; i++) {
			const struct field_val *e = val_of(&ns[i].r.stats, f);

			if (!e)
				continue;
			if (f->module_wide) {
				/* One value for the whole module. */
				fprintf(out, PREFIX "%s%s %llu\n", name,
					suffix, (unsigned long long)e->v);
				break;
			}
			sample_start2(out, name, suffix, ns[i].name);
			fprintf(out, "} %llu\n", (unsigned long long)e->v);
		}
	}
}

static void state_label(FILE *out, const char *key, uint64_t state)
{
	const char *name = tcp_state_name(state);

	if (name)
		fprintf(out, ",%s=\"%s\"", key, name);
	else
		fprintf(out, ",%s=\"unknown_%llu\"", key,
			(unsigned long long)state);
}

static void print_closes(FILE *out, const struct metrics_ns *ns, size_t n)
{
	static const char *const kinds[] = {
		"active", "passive", "simultaneous"
	};
	struct closes c;
	uint64_t v[3];
	size_t i, k, t;

	family(out, "closes", "_total", "counter",
	       "TCP closes by kind: active (ESTABLISHED -> FIN_WAIT1), passive (ESTABLISHED -> CLOSE_WAIT), simultaneous (FIN_WAIT1 -> CLOSING)");
	for (i = 0; i < n; i++) {
		closes_count(&ns[i].r.close, &c);
		v[0] = c.active;
		v[1] = c.passive;
		v[2] = c.simultaneous;
		for (k = 0; k < 3; k++) {
			sample_start(out, "closes_total", ns[i].name);
			fprintf(out, ",kind=\"%s\"} %llu\n", kinds[k],
				(unsigned long long)v[k]);
		}
	}
	family(out, "transitions", "_total", "counter",
	       "TCP close-path state transitions (non-zero cells of the from -> to matrix)");
	for (i = 0; i < n; i++) {
		const struct close_stats *cs = &ns[i].r.close;

		for (t = 0; t < cs->ntrans; t++) {
			sample_start(out, "transitions_total", ns[i].name);
			state_label(out, "from", cs->trans[t].from);
			state_label(out, "to", cs->trans[t].to);
			fprintf(out, "} %llu\n",
				(unsigned long long)cs->trans[t].count);
		}
	}
}

/*
 * The bound of bucket @lt_ms as le: lifetimes are whole milliseconds and
 * the bucket holds L < lt_ms, i.e. L <= lt_ms - 1 ms, in seconds.
 */
static void le_seconds(uint64_t lt_ms, char *buf, size_t len)
{
	uint64_t ms = lt_ms - 1;
	char frac[8];
	int i;

	snprintf(frac, sizeof(frac), "%03llu", (unsigned long long)(ms % 1000));
	for (i = 2; i >= 0 && frac[i] == '0'; i--)
		frac[i] = 0;
	snprintf(buf, len, "%llu%s%s", (unsigned long long)(ms / 1000),
		 frac[0] ? "." : "", frac);
}

static void print_histogram(FILE *out, const struct metrics_ns *ns, size_t n)
{
	char le[32];
	size_t i, b, k;

	family(out, "tw_lifetime_seconds", "", "histogram",
	       "TIME_WAIT lifetimes, from the last (re)arming of the timer to the socket's end (whole milliseconds)");
	for (i = 0; i < n; i++) {
		const struct close_stats *cs = &ns[i].r.close;
		uint64_t cum = 0;

		/*
		 * The same buckets in every scrape: every power of two but
		 * the last, which the module also fills with longer ones.
		 */
		for (k = 0; k + 1 < TWCTL_HIST_BUCKETS; k++) {
			uint64_t lt = 1ULL << k;

			for (b = 0; b < cs->nbuckets; b++)
				if (cs->hist[b].lt_ms == lt)
					cum += cs->hist[b].count;
			le_seconds(lt, le, sizeof(le));
			sample_start(out, "tw_lifetime_seconds_bucket",
				     ns[i].name);
			fprintf(out, ",le=\"%s\"} %llu\n", le,
				(unsigned long long)cum);
		}
		for (b = 0, cum = 0; b < cs->nbuckets; b++)
			cum += cs->hist[b].count;
		sample_start(out, "tw_lifetime_seconds_bucket", ns[i].name);
		fprintf(out, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
		sample_start(out, "tw_lifetime_seconds_count", ns[i].name);
		fprintf(out, "} %llu\n", (unsigned long long)cum);
	}
}

void metrics_print(FILE *out, const struct metrics_ns *ns, size_t n)
{
	print_fields(out, ns, n);
	print_closes(out, ns, n);
	print_histogram(out, ns, n);
}
