/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Batch mode (twctl -b FILE), like ip -b: one twctl command line per line.
 * Words are separated by blanks; '...' and "..." quote blanks (no escapes
 * inside quotes); a word starting with # makes the rest of the line a
 * comment. Only reading and splitting here; twctl.c checks and runs.
 */
#ifndef TWCTL_BATCH_H
#define TWCTL_BATCH_H

#include <stddef.h>
#include <stdio.h>

#define BATCH_MAX_WORDS	64

/*
 * Split @line (one line without its newline; modified in place) into at
 * most @max words in @argv. Returns the number of words (0: a blank or
 * comment line), or -1 with a message in @err.
 */
int batch_split(char *line, char *argv[], int max, char *err, size_t len);

/* All of @f as a string (free() it), or NULL with a message in @err. */
char *batch_read(FILE *f, char *err, size_t len);

/* A command of a batch: the @argc words in @argv of line @lineno. */
typedef int batch_fn(int argc, char *argv[], unsigned int lineno, void *arg);

/*
 * Call @fn for every line of @text that has words, in order, until it
 * returns non-zero. Returns 0, that non-zero value, or -1 for a line that
 * cannot be split (a message in @err). *@lineno: the last line looked at.
 */
int batch_for_each(const char *text, batch_fn *fn, void *arg,
		   unsigned int *lineno, char *err, size_t len);

#endif /* TWCTL_BATCH_H */
