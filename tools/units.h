/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Durations on the command line and in output. A duration knob has a base
 * unit (its attribute's unit, e.g. ms); a plain number is in that unit, or
 * the number carries a suffix: us, ms, s, m or min, h, or the spellings tc
 * and systemd also take (usec, msec, sec, hr, ...). Decimal fractions are
 * accepted as long as the result is a whole number of base units
 * ("1.5s" = 1500 ms; "1.5ms" is refused for a ms knob).
 */
#ifndef TWCTL_UNITS_H
#define TWCTL_UNITS_H

#include <stddef.h>
#include <stdint.h>

#define US_PER_MS	1000ULL
#define US_PER_S	1000000ULL
#define US_PER_MIN	60000000ULL
#define US_PER_HOUR	3600000000ULL

/* Name of a base unit given in microseconds: "us", "ms", "s", or "?". */
const char *unit_name(uint64_t unit_us);

/*
 * Parse @s as a duration in units of @unit_us microseconds. Returns 0 and
 * sets *@out, or -1 with a reason (no value, no "twctl:" prefix) in @why.
 */
int parse_duration(const char *s, uint64_t unit_us, uint64_t *out,
		   char *why, size_t whylen);

/* "30000ms": the exact value in its base unit. */
void format_duration(uint64_t v, uint64_t unit_us, char *buf, size_t len);

/*
 * For people: "60s", "1.5s", "2min", "500ms", "1.25ms", "0ms". The result
 * parses back to the same value with parse_duration().
 */
void format_duration_human(uint64_t v, uint64_t unit_us, char *buf,
			   size_t len);

#endif /* TWCTL_UNITS_H */
