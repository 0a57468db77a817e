/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny unit test harness: each test case is a function; CHECK*() record
 * failures with file, line and values; RUN() prints one TAP line per case
 * ("ok - suite: case" / "not ok - suite: case"). tap_exit() is the exit
 * status: 1 if any case failed.
 */
#ifndef TWCTL_TAP_H
#define TWCTL_TAP_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *tap_suite = "unit";
static int tap_case_failed, tap_failed;

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			printf("# %s:%d: CHECK(%s) failed\n",		\
			       __FILE__, __LINE__, #cond);		\
			tap_case_failed = 1;				\
		}							\
	} while (0)

#define CHECK_U64(got, want)						\
	do {								\
		uint64_t g_ = (got), w_ = (want);			\
		if (g_ != w_) {						\
			printf("# %s:%d: %s = %" PRIu64			\
			       ", want %" PRIu64 "\n",			\
			       __FILE__, __LINE__, #got, g_, w_);	\
			tap_case_failed = 1;				\
		}							\
	} while (0)

#define CHECK_STR(got, want)						\
	do {								\
		const char *g_ = (got), *w_ = (want);			\
		if (!g_ || strcmp(g_, w_)) {				\
			printf("# %s:%d: %s = \"%s\", want \"%s\"\n",	\
			       __FILE__, __LINE__, #got,		\
			       g_ ? g_ : "(null)", w_);			\
			tap_case_failed = 1;				\
		}							\
	} while (0)

/* @hay contains @needle. */
#define CHECK_HAS(hay, needle)						\
	do {								\
		const char *h_ = (hay), *n_ = (needle);			\
		if (!h_ || !strstr(h_, n_)) {				\
			printf("# %s:%d: \"%s\" lacks \"%s\"\n",	\
			       __FILE__, __LINE__, h_ ? h_ : "(null)",	\
			       n_);					\
			tap_case_failed = 1;				\
		}							\
	} while (0)

#define RUN(fn, name)							\
	do {								\
		tap_case_failed = 0;					\
		fn();							\
		printf("%sok - %s: %s\n", tap_case_failed ? "not " : "",\
		       tap_suite, name);				\
		tap_failed |= tap_case_failed;				\
	} while (0)

static inline int tap_exit(void)
{
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

/* Output of @fn(FILE *, arg) as a malloc()ed string (free it). */
#define CAPTURE(var, call_with_f)					\
	do {								\
		size_t len_;						\
		FILE *f;						\
		var = NULL;						\
		f = open_memstream(&var, &len_);			\
		if (!f)							\
			abort();					\
		call_with_f;						\
		fclose(f);						\
	} while (0)

#endif /* TWCTL_TAP_H */
