/*
 * schedule.h: when a scheduled job fires.
 *
 * A job's SPEC (yedek job add ... --schedule SPEC) is parsed once into a
 * cat_sched, a plain value of 32 bytes that can be copied, stored and
 * compared with memcmp.  Its fire times are pure functions of the instants
 * passed in: nothing here reads the clock, so the agent passes ytime_now()
 * and the tests pass whatever they like.
 *
 * SPEC grammar
 * ------------
 * Words are separated by blanks; case does not matter.
 *
 *   every N UNIT        UNIT is s, m, h or d (also sec, min, hour, day and
 *                       their plurals; "every 5m" = "every 5 minutes").
 *                       1s <= interval <= 366d.  Fires at every multiple of
 *                       the interval since the Unix epoch, 1970-01-01
 *                       00:00:00 UTC: "every 5m" at :00, :05, :10 ...;
 *                       "every 1d" at 00:00 UTC; "every 7d" on Thursdays at
 *                       00:00 UTC (the epoch was a Thursday).  The fire
 *                       times depend on nothing else, so they are stable
 *                       across restarts of the agent and edits of the job,
 *                       and they are absolute time: DST does not touch them.
 *                       An interval that does not divide a day ("every 7m")
 *                       is not aligned to the hour.
 *   hourly [:MM]        every hour at minute MM (default :00).
 *   daily HH:MM         every day at HH:MM (H may be one digit).
 *   weekly DAY HH:MM    DAY is sun, mon, tue, wed, thu, fri, sat or the full
 *                       name (sunday ... saturday).
 *   monthly D HH:MM     on day D (1-31) of each month; months without that
 *                       day are skipped ("monthly 31 ..." fires 7 times a
 *                       year), as in cron.
 *   M H DOM MON DOW     a 5-field cron expression: minute 0-59, hour 0-23,
 *                       day of month 1-31, month 1-12 or jan-dec, day of week
 *                       0-7 or sun-sat (0 and 7 are both Sunday).  Each
 *                       field is a comma list of items; an item is *, N,
 *                       or N-M, optionally followed by /STEP, e.g. "*\/15",
 *                       "1-5", "1,3,5", "10-50/10", "mon-fri".  "N/STEP"
 *                       means N-max/STEP.  Names (3-letter or full) only in
 *                       the month and day-of-week fields.  A range may not
 *                       run backwards (fri-mon is refused: write
 *                       0,1,5,6).  No seconds field, no L, W, # or ?.
 *                       Day rule (Vixie cron): when both day fields are
 *                       restricted, a day matches if EITHER matches
 *                       ("0 0 13 * fri" fires on every 13th and on every
 *                       Friday); otherwise both must match.  A field is
 *                       restricted when it does not cover its whole range,
 *                       however it is written: "1-31" and "*" are the same,
 *                       and "*\/2" in the day-of-month field is restricted
 *                       (Vixie cron, which looks at the leading '*', would
 *                       treat it as unrestricted).
 *
 * Zone.  The wall-clock forms (hourly, daily, weekly, monthly, cron) are in
 * the local time of the process (its TZ, as the C library's localtime_r
 * sees it: a process that changes TZ calls tzset() itself) unless the SPEC
 * ends with the word "utc" or starts with "TZ=UTC" or "CRON_TZ=UTC"
 * ("Etc/UTC" too, any case); a trailing "local" says the default
 * explicitly.  Other zones are refused.  "every" is always counted in UTC;
 * a zone word on it is accepted and changes nothing.
 *
 * A schedule that can never fire ("0 0 30 2 *": February has no 30th) is
 * refused by the parser.
 *
 * DST and other offset changes (local wall-clock schedules)
 * -----------------------------------------------------------
 * The schedule names wall-clock minutes ("slots"); each slot fires at one
 * instant:
 *   - a slot that exists once fires then;
 *   - a slot that occurs twice when the clocks go back fires once, at its
 *     first occurrence (daily 01:30 on 2026-11-01 in New York fires at
 *     01:30 EDT, not again at 01:30 EST);
 *   - a slot that does not exist because the clocks go forward fires at the
 *     first instant after the gap, i.e. the instant of the change (daily
 *     02:30 on 2026-03-08 in New York fires at 03:00 EDT): a daily or
 *     weekly job is never skipped.
 * Slots that land on the same instant fire once.  So "*\/30 * * * *" on the
 * New York spring-forward day fires at 01:30 EST, then once at 03:00 EDT
 * (for the lost 02:00 and 02:30 slots and the real 03:00 together), then
 * 03:30; and on the fall-back day at 01:00 EDT, 01:30 EDT, then 02:00 EST:
 * the repeated hour does not fire again.  Minute-by-minute specs behave
 * the same way: in the gap hour nothing fires but the single catch-up at
 * its end.  Fires thus keep the wall-clock order of their slots, and the
 * same rules hold for 30-minute shifts (Lord Howe), changes at midnight
 * (Santiago, Havana) and a skipped day (Apia, 2011-12-30).  "every N"
 * schedules and "utc" schedules never see DST.
 *
 * Catching up
 * -----------
 * After downtime, the agent asks cat_sched_latest(s, last_run, now): the
 * last fire time in (last_run, now], if any, and runs the job once for it,
 * however many slots were missed; then it waits for
 * cat_sched_next(s, now).
 *
 * Limitations: minute resolution for the wall-clock forms, second
 * resolution for "every"; zone offsets come from localtime_r, assuming a
 * zone's offset changes at most once in any 30 hours and stays within
 * +-15h (true of every zone in the tz database from 1900 on); fire times
 * are searched from 1800 up to, not including, 9999-01-01; one call takes
 * well under a microsecond for ordinary specs (a few localtime_r calls and
 * a day-by-day search that skips months).
 */
#ifndef YEDEK_CAT_SCHEDULE_H
#define YEDEK_CAT_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Bytes that always hold cat_sched_format's text, NUL included. */
#define CAT_SCHED_BUF 512

/* The surface form a SPEC was written in (cat_sched_format writes it back). */
enum cat_sched_form {
    CAT_SCHED_EVERY = 1,
    CAT_SCHED_HOURLY,
    CAT_SCHED_DAILY,
    CAT_SCHED_WEEKLY,
    CAT_SCHED_MONTHLY,
    CAT_SCHED_CRON
};

/*
 * A parsed SPEC.  Every wall-clock form is held as cron field sets (so
 * "daily 02:00" has minutes {0}, hours {2} and every day); EVERY uses only
 * interval_s.  Unused fields and pad are zero, so two parses of the same
 * schedule are memcmp-equal.
 */
typedef struct cat_sched {
    uint64_t minutes;   /* bit m set: minute m (0-59) */
    int64_t interval_s; /* EVERY: the period in seconds; else 0 */
    uint32_t hours;     /* bit h: hour h (0-23) */
    uint32_t mdays;     /* bit d: day of month d (1-31) */
    uint16_t months;    /* bit m: month m (1-12) */
    uint8_t wdays;      /* bit d: weekday d (0-6, 0 = Sunday) */
    uint8_t form;       /* enum cat_sched_form */
    uint8_t utc;        /* wall-clock fields are UTC, not local time */
    uint8_t pad[3];
} cat_sched;

/*
 * Parse SPEC into *out (written only on success).  A bad SPEC is
 * YERR_USAGE, with a message that quotes it and names what is wrong
 * ("invalid schedule '0 0 30 2 *': it never fires: day-of-month '30' does
 * not occur in month '2'") and a hint with examples.
 */
int cat_sched_parse(const char *spec, cat_sched *out, yerr *e);

/*
 * The canonical text of s, which parses back to a memcmp-equal value:
 * lower case, single spaces, the form it was written in, "every" in the
 * largest unit that divides the interval, HH:MM with two-digit hours, cron
 * fields as numbers (Sunday is 0) written "*" for the whole range, "*\/S"
 * for 3 or more steps from the start to the end, "A-B/S" for 4 or more
 * steps, else a list of values and A-B runs of 3 or more; then " utc" when
 * the zone is UTC (never for "every").  Writes at most size bytes, always
 * NUL-terminated when size > 0; CAT_SCHED_BUF always suffices.
 * Examples: "every 2h", "hourly :15", "daily 02:00", "weekly sun 01:00",
 * "monthly 1 03:00", "*\/15 9-17 * * 1-5", "0 2 * * * utc".
 */
void cat_sched_format(const cat_sched *s, char *buf, size_t size);

/*
 * The first fire time strictly after after_us (microseconds since the
 * epoch, UTC); INT64_MAX if there is none before 9999-01-01 (for a parsed
 * schedule, that happens only within a few years of that date).
 */
int64_t cat_sched_next(const cat_sched *s, int64_t after_us);

/*
 * The last fire time in (after_us, now_us], or INT64_MIN if there is none.
 * The agent runs a job once when this exists: one catch-up, not one run
 * per missed slot.
 */
int64_t cat_sched_latest(const cat_sched *s, int64_t after_us, int64_t now_us);

#endif
