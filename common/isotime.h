/*
 * isotime.h: instants as microseconds since the Unix epoch (UTC), and their
 * ISO 8601 text.
 *
 * yedek keeps every time as an int64 count of microseconds, UTC, so times
 * compare as integers and the catalog's TEXT columns sort as text.  The
 * catalog form is fixed-width: "2026-11-21T12:30:00.250000Z".
 *
 * Parsing accepts what a user types on the command line:
 *   2026-11-21T12:30:00Z             UTC
 *   2026-11-21T12:30:00.250+03:00    an offset (also +0300, +03, -05:30)
 *   2026-11-21T12:30:00              no zone: local time (TZ), DST resolved
 *   2026-11-21 12:30                 a space for T, seconds optional
 *   2026-11-21                       midnight, local time
 * Fractions keep up to 6 digits (microseconds); more digits are an error
 * rather than a silent rounding.
 */
#ifndef YEDEK_ISOTIME_H
#define YEDEK_ISOTIME_H

#include <stdint.h>

#include "error.h"

/* Bytes needed by ytime_format, terminating NUL included. */
#define YTIME_BUF 32

/* Parse ISO 8601 text into *out (microseconds since epoch, UTC). */
int ytime_parse(const char *text, int64_t *out, yerr *e);

/* Format as "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" into buf (YTIME_BUF bytes). */
void ytime_format(int64_t us, char buf[YTIME_BUF]);

/* Format for people: UTC, without microseconds when they are zero. */
void ytime_format_short(int64_t us, char buf[YTIME_BUF]);

/* The proleptic Gregorian calendar: days since 1970-01-01 for a date, the
 * date of a day, and the length of a month (m 1..12). */
int64_t ytime_days_from_civil(int64_t y, int m, int d);
void ytime_civil_from_days(int64_t days, int *y, int *m, int *d);
int ytime_days_in_month(int y, int m);

/* The wall clock now, in microseconds since epoch. */
int64_t ytime_now(void);

#endif
