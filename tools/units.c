// SPDX-License-Identifier: GPL-2.0
/* Parsing and formatting of durations: see units.h. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "units.h"

static const struct suffix {
	const char *name;
	uint64_t us;
} suffixes[] = {
	{ "us", 1 },
	{ "usec", 1 },		/* tc, systemd */
	{ "usecs", 1 },		/* tc */
	{ "ms", US_PER_MS },
	{ "msec", US_PER_MS },
	{ "msecs", US_PER_MS },
	{ "s", US_PER_S },
	{ "sec", US_PER_S },
	{ "secs", US_PER_S },
	{ "m", US_PER_MIN },
	{ "min", US_PER_MIN },
	{ "h", US_PER_HOUR },	/* systemd */
	{ "hr", US_PER_HOUR },
};

#define NSUFFIXES (sizeof(suffixes) / sizeof(suffixes[0]))

const char *unit_name(uint64_t unit_us)
{
	switch (unit_us) {
	case 1:
		return "us";
	case US_PER_MS:
		return "ms";
	case US_PER_S:
		return "s";
	}
	return "?";
}

static const struct suffix *find_suffix(const char *s)
{
	size_t i;

	for (i = 0; i < NSUFFIXES; i++)
		if (!strcmp(s, suffixes[i].name))
			return &suffixes[i];
	return NULL;
}

/* Decimal digits at *@p into *@v; false on overflow. Advances *@p. */
static bool scan_digits(const char **p, uint64_t *v, int *ndigits)
{
	*v = 0;
	*ndigits = 0;
	for (; isdigit((unsigned char)**p); (*p)++, (*ndigits)++) {
		if (__builtin_mul_overflow(*v, 10, v) ||
		    __builtin_add_overflow(*v, (uint64_t)(**p - '0'), v))
			return false;
	}
	return true;
}

static int fail(char *why, size_t whylen, const char *msg)
{
	snprintf(why, whylen, "%s", msg);
	return -1;
}

int parse_duration(const char *s, uint64_t unit_us, uint64_t *out,
		   char *why, size_t whylen)
{
	uint64_t ipart, frac = 0, scale = 1, total, fracus;
	const struct suffix *sfx;
	const char *p = s;
	int nint, nfrac = 0;

	if (!*s)
		return fail(why, whylen, "empty value");
	if (*s == '-')
		return fail(why, whylen, "negative values are not allowed");
	if (!isdigit((unsigned char)*s))
		return fail(why, whylen, "not a number");
	if (!scan_digits(&p, &ipart, &nint))
		return fail(why, whylen, "number too large");
	if (nint == 1 && ipart == 0 && (*p == 'x' || *p == 'X'))
		return fail(why, whylen,
			    "hexadecimal is not accepted (use a decimal number)");
	if (*p == '.') {
		p++;
		if (!scan_digits(&p, &frac, &nfrac) || nfrac == 0 || nfrac > 9)
			return fail(why, whylen,
				    nfrac == 0 ? "not a number" :
				    "too many decimal places");
		while (nfrac--)
			scale *= 10;
	}
	if (!*p) {
		sfx = NULL;
	} else {
		sfx = find_suffix(p);
		if (!sfx) {
			snprintf(why, whylen,
				 "unknown unit \"%s\" (use us, ms, s, m, min or h)",
				 p);
			return -1;
		}
	}
	total = sfx ? sfx->us : unit_us;
	/* frac / scale of one unit, in microseconds: must be exact. */
	if ((frac * total) % scale)
		return fail(why, whylen, "finer than a microsecond");
	fracus = frac * total / scale;
	if (__builtin_mul_overflow(ipart, total, &total) ||
	    __builtin_add_overflow(total, fracus, &total))
		return fail(why, whylen, "number too large");
	if (total % unit_us) {
		snprintf(why, whylen, "not a whole number of %s",
			 unit_us == US_PER_MS ? "milliseconds" :
			 unit_name(unit_us));
		return -1;
	}
	*out = total / unit_us;
	return 0;
}

void format_duration(uint64_t v, uint64_t unit_us, char *buf, size_t len)
{
	snprintf(buf, len, "%llu%s", (unsigned long long)v, unit_name(unit_us));
}

/* @us / @div with up to the needed decimals, then @name: "1.25ms". */
static void format_scaled(uint64_t us, uint64_t div, const char *name,
			  char *buf, size_t len)
{
	uint64_t rem = us % div, d = div;
	char frac[24];
	int n = 0;

	while (rem && d > 1 && n < 20) {
		d /= 10;
		frac[n++] = (char)('0' + rem / d);
		rem %= d;
	}
	frac[n] = 0;
	snprintf(buf, len, "%llu%s%s%s", (unsigned long long)(us / div),
		 n ? "." : "", frac, name);
}

void format_duration_human(uint64_t v, uint64_t unit_us, char *buf,
			   size_t len)
{
	uint64_t us;

	if (__builtin_mul_overflow(v, unit_us, &us)) {
		format_duration(v, unit_us, buf, len);
		return;
	}
	if (us == 0)
		format_duration(0, unit_us, buf, len);
	else if (us >= 2 * US_PER_MIN && us % US_PER_MIN == 0)
		snprintf(buf, len, "%llumin",
			 (unsigned long long)(us / US_PER_MIN));
	else if (us >= US_PER_S)
		format_scaled(us, US_PER_S, "s", buf, len);
	else if (us >= US_PER_MS)
		format_scaled(us, US_PER_MS, "ms", buf, len);
	else
		snprintf(buf, len, "%lluus", (unsigned long long)us);
}
