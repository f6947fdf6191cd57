/*
 * test_schedule.c: job schedules: the SPEC grammar, its canonical text, and
 * the fire-time arithmetic, in UTC and across DST changes in several zones.
 *
 * cat_sched_next and cat_sched_latest are pure functions of the instant
 * passed in, so every case names its own "now".  Zones are driven through
 * TZ here (the library itself never touches it).  Besides the tables, a
 * brute-force oracle scans a year minute by minute, defining the DST rules
 * independently: an instant fires when a matching wall-clock minute is
 * reached for the first time (the minutes a gap skips are reached at its
 * end), and next() must agree with it at every minute.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "isotime.h"
#include "schedule.h"

#define US INT64_C(1000000)
#define NEVER INT64_MAX
#define NONE INT64_MIN
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static void set_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

static int64_t T(const char *iso)
{
    int64_t t;
    yerr e;
    yerr_clear(&e);
    if (ytime_parse(iso, &t, &e) != 0) {
        print_error("bad time in the test: %s\n", e.msg);
        fail();
    }
    return t;
}

static cat_sched P(const char *spec)
{
    cat_sched s;
    yerr e;
    yerr_clear(&e);
    if (cat_sched_parse(spec, &s, &e) != 0) {
        print_error("'%s' did not parse: %s\n", spec, e.msg);
        fail();
    }
    return s;
}

/* "2026-03-08T07:00:00Z (02:00:00 EST)", or never/none. */
static const char *show(int64_t us, char *buf, size_t size)
{
    char iso[YTIME_BUF], loc[64];
    if (us == NEVER)
        return "never";
    if (us == NONE)
        return "none";
    ytime_format_short(us, iso);
    time_t t = (time_t)(us / US);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(loc, sizeof loc, "%Y-%m-%d %H:%M:%S %Z", &tm);
    snprintf(buf, size, "%s (%s)", iso, loc);
    return buf;
}

static void expect_time(const char *what, int row, const char *spec, int64_t got, int64_t want)
{
    char a[96], b[96];
    if (got == want)
        return;
    print_error("%s row %d '%s': want %s, got %s\n", what, row, spec, show(want, a, sizeof a),
                show(got, b, sizeof b));
    fail();
}

/* ---- parsing: errors ---- */

typedef struct bad_case {
    const char *spec;
    const char *why; /* the message after "invalid schedule 'SPEC': " */
} bad_case;

static const bad_case BAD[] = {
    {"", "it is empty"},
    {"   ", "it is empty"},
    {"every", "expected 'every N' and a unit, like 'every 5m'"},
    {"every 5 m x", "expected 'every N' and a unit, like 'every 5m'"},
    {"every 5", "'every 5' needs a unit: s, m, h or d"},
    {"every 5w", "unknown unit 'w': use s, m, h or d"},
    {"every 5 parsecs", "unknown unit 'parsecs': use s, m, h or d"},
    {"every 0m", "the interval must be at least 1s"},
    {"every 0s", "the interval must be at least 1s"},
    {"every 367d", "the interval 367d is longer than 366 days"},
    {"every 8785h", "the interval 8785h is longer than 366 days"},
    {"every m", "expected a number after 'every', like 'every 5m', got 'm'"},
    {"every -5m", "expected a number after 'every', like 'every 5m', got '-5m'"},
    {"every 1.5h", "the interval must be a whole number, like 'every 90m'"},
    {"every 1,5 h", "expected a number after 'every', like 'every 5m', got '1,5'"},
    {"every 5m 10s", "expected a number after 'every', like 'every 5m', got '5m'"},
    {"every 1234567s", "expected a number after 'every', like 'every 5m', got '1234567s'"},
    {"hourly 15", "expected a minute like :15 after 'hourly', got '15'"},
    {"hourly :", "expected a minute like :15 after 'hourly', got ':'"},
    {"hourly :123", "expected a minute like :15 after 'hourly', got ':123'"},
    {"hourly :60", "minute 60 is out of range 0-59"},
    {"hourly :15 :30", "expected 'hourly' or 'hourly :MM'"},
    {"daily", "expected 'daily HH:MM', like 'daily 02:00'"},
    {"daily 02:00 03:00", "expected 'daily HH:MM', like 'daily 02:00'"},
    {"daily 2pm", "expected a time like 02:00, got '2pm'"},
    {"daily 2:5", "expected a time like 02:00, got '2:5'"},
    {"daily 002:00", "expected a time like 02:00, got '002:00'"},
    {"daily :00", "expected a time like 02:00, got ':00'"},
    {"daily 02:00:00", "expected a time like 02:00, got '02:00:00'"},
    {"daily 24:00", "hour 24 in '24:00' is out of range 0-23"},
    {"daily 02:60", "minute 60 in '02:60' is out of range 0-59"},
    {"weekly 01:00", "expected 'weekly DAY HH:MM', like 'weekly sun 01:00'"},
    {"weekly funday 01:00", "'funday' is not a day of the week (sun, mon, ... sat)"},
    {"weekly su 01:00", "'su' is not a day of the week (sun, mon, ... sat)"},
    {"weekly sundays 01:00", "'sundays' is not a day of the week (sun, mon, ... sat)"},
    {"weekly 0 01:00", "'0' is not a day of the week (sun, mon, ... sat)"},
    {"weekly sun 1am", "expected a time like 02:00, got '1am'"},
    {"monthly 03:00", "expected 'monthly D HH:MM', like 'monthly 1 03:00'"},
    {"monthly 0 03:00", "'0' is not a day of the month (1-31)"},
    {"monthly 32 03:00", "'32' is not a day of the month (1-31)"},
    {"monthly first 03:00", "'first' is not a day of the month (1-31)"},
    {"monthly 1 25:00", "hour 25 in '25:00' is out of range 0-23"},
    {"yearly 01-01", "unknown schedule 'yearly': expected every, hourly, daily, weekly, monthly "
                     "or a 5-field cron expression"},
    {"@daily", "unknown schedule '@daily': expected every, hourly, daily, weekly, monthly "
               "or a 5-field cron expression"},
    {"utc", "unknown schedule 'utc': expected every, hourly, daily, weekly, monthly "
            "or a 5-field cron expression"},
    {"* * * *", "a cron expression has 5 fields (minute hour day-of-month month day-of-week), "
                "this has 4"},
    {"0 * * * * *", "a cron expression has 5 fields (minute hour day-of-month month "
                    "day-of-week), this has 6"},
    {"0 0 * * * utc extra", "a cron expression has 5 fields (minute hour day-of-month month "
                            "day-of-week), this has 7"},
    {"a b c d e f g h i", "too many words"},
    {"60 * * * *", "minute field: 60 is out of range 0-59"},
    {"* 24 * * *", "hour field: 24 is out of range 0-23"},
    {"* * 0 * *", "day-of-month field: 0 is out of range 1-31"},
    {"* * 32 * *", "day-of-month field: 32 is out of range 1-31"},
    {"* * * 0 *", "month field: 0 is out of range 1-12"},
    {"* * * 13 *", "month field: 13 is out of range 1-12"},
    {"* * * * 8", "day-of-week field: 8 is out of range 0-7"},
    {"0-60 * * * *", "minute field: 60 is out of range 0-59"},
    {"* * * foo *", "month field: 'foo' is not a number or a month name"},
    {"* * * ja *", "month field: 'ja' is not a number or a month name"},
    {"* * * * funday", "day-of-week field: 'funday' is not a number or a day name"},
    {"jan * * * *", "minute field: 'jan' is not a number"},
    {"* * mon * *", "day-of-month field: 'mon' is not a number"},
    {"1000000 * * * *", "minute field: '1000000' is not a number"},
    {"*/0 * * * *", "minute field: the step 0 in '*/0' is out of range 1-59"},
    {"*/60 * * * *", "minute field: the step 60 in '*/60' is out of range 1-59"},
    {"* */24 * * *", "hour field: the step 24 in '*/24' is out of range 1-23"},
    {"* * * * 1/0", "day-of-week field: the step 0 in '1/0' is out of range 1-7"},
    {"*/ * * * *", "minute field: expected a step after '/' in '*/'"},
    {"*/x * * * *", "minute field: expected a step after '/' in '*/x'"},
    {"*/5/5 * * * *", "minute field: expected a step after '/' in '*/5/5'"},
    {"5-1 * * * *", "minute field: the range '5-1' runs backwards"},
    {"* * * dec-jan *", "month field: the range 'dec-jan' runs backwards"},
    {"* * * * fri-mon", "day-of-week field: the range 'fri-mon' runs backwards"},
    {"1,,2 * * * *", "minute field '1,,2' has an empty list item"},
    {"1, * * * *", "minute field '1,' has an empty list item"},
    {",1 * * * *", "minute field ',1' has an empty list item"},
    {"1- * * * *", "minute field: '1-' is missing a value"},
    {"-1 * * * *", "minute field: '-1' is missing a value"},
    {"*5 * * * *", "minute field: unexpected '5' in '*5'"},
    {"1-2-3 * * * *", "minute field: unexpected '-' in '1-2-3'"},
    {"*-5 * * * *", "minute field: unexpected '-' in '*-5'"},
    {"? * * * *", "minute field: '?' is not a number"},
    {"* * L * *", "day-of-month field: 'L' is not a number"},
    {"0 0 30 2 *", "it never fires: day-of-month '30' does not occur in month '2'"},
    {"0 0 30,31 feb *", "it never fires: day-of-month '30,31' does not occur in month 'feb'"},
    {"0 0 31 4,6,9,11 *", "it never fires: day-of-month '31' does not occur in month "
                          "'4,6,9,11'"},
    {"TZ=Europe/Paris daily 02:00", "zone 'Europe/Paris' is not supported: only UTC or local "
                                    "time"},
    {"CRON_TZ=America/New_York 0 2 * * *", "zone 'America/New_York' is not supported: only "
                                           "UTC or local time"},
    {"daily 02:00 Europe/Paris", "zone 'Europe/Paris' is not supported: only UTC or local "
                                 "time"},
    {"TZ=UTC", "nothing but a zone"},
    {"TZ=UTC daily 02:00 utc", "the zone is given twice"},
    {"TZ=UTC CRON_TZ=UTC daily 02:00", "the zone is given twice"},
    {"daily 02:00 utc utc", "expected 'daily HH:MM', like 'daily 02:00'"},
};

static void test_parse_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_OF(BAD); i++) {
        cat_sched s;
        char want[YERR_MSG_MAX];
        yerr e;
        yerr_clear(&e);
        memset(&s, 0xa5, sizeof s);
        cat_sched before = s;
        snprintf(want, sizeof want, "invalid schedule '%s': %s", BAD[i].spec, BAD[i].why);
        int rc = cat_sched_parse(BAD[i].spec, &s, &e);
        if (rc != YERR_USAGE || e.code != YERR_USAGE || strcmp(e.msg, want) != 0) {
            print_error("row %zu '%s': rc %d\n  want: %s\n  got:  %s\n", i, BAD[i].spec, rc,
                        want, e.msg);
            fail();
        }
        assert_non_null(strstr(e.hint, "'every 5m'"));
        assert_memory_equal(&s, &before, sizeof s); /* *out is left alone on failure */
    }
}

static void test_parse_error_message_is_bounded(void **state)
{
    char spec[600];
    yerr e;
    cat_sched s;
    (void)state;
    memset(spec, 'x', sizeof spec - 1);
    spec[sizeof spec - 1] = '\0';
    yerr_clear(&e);
    assert_int_equal(cat_sched_parse(spec, &s, &e), YERR_USAGE);
    assert_true(strlen(e.msg) < 400);
    assert_non_null(strstr(e.msg, "unknown schedule"));
}

/* ---- parsing: fields and canonical text ---- */

typedef struct fields_case {
    const char *spec;
    uint64_t minutes;
    uint32_t hours, mdays;
    uint16_t months;
    uint8_t wdays, form, utc;
    int64_t interval_s;
} fields_case;

#define ALL_MIN ((UINT64_C(1) << 60) - 1)
#define ALL_H ((UINT32_C(1) << 24) - 1)
#define ALL_DOM UINT32_C(0xfffffffe)
#define ALL_MON ((uint16_t)0x1ffe)
#define ALL_DOW ((uint8_t)0x7f)
#define B(n) (UINT64_C(1) << (n))

static const fields_case FIELDS[] = {
    {"every 5m", 0, 0, 0, 0, 0, CAT_SCHED_EVERY, 0, 300},
    {"every 30s", 0, 0, 0, 0, 0, CAT_SCHED_EVERY, 0, 30},
    {"every 2 hours utc", 0, 0, 0, 0, 0, CAT_SCHED_EVERY, 0, 7200},
    {"every 366d", 0, 0, 0, 0, 0, CAT_SCHED_EVERY, 0, 366 * 86400},
    {"hourly", B(0), ALL_H, ALL_DOM, ALL_MON, ALL_DOW, CAT_SCHED_HOURLY, 0, 0},
    {"hourly :07", B(7), ALL_H, ALL_DOM, ALL_MON, ALL_DOW, CAT_SCHED_HOURLY, 0, 0},
    {"daily 2:30", B(30), B(2), ALL_DOM, ALL_MON, ALL_DOW, CAT_SCHED_DAILY, 0, 0},
    {"daily 02:30 UTC", B(30), B(2), ALL_DOM, ALL_MON, ALL_DOW, CAT_SCHED_DAILY, 1, 0},
    {"weekly sun 01:00", B(0), B(1), ALL_DOM, ALL_MON, B(0), CAT_SCHED_WEEKLY, 0, 0},
    {"weekly Saturday 23:45", B(45), B(23), ALL_DOM, ALL_MON, B(6), CAT_SCHED_WEEKLY, 0, 0},
    {"monthly 31 02:00", B(0), B(2), B(31), ALL_MON, ALL_DOW, CAT_SCHED_MONTHLY, 0, 0},
    {"* * * * *", ALL_MIN, ALL_H, ALL_DOM, ALL_MON, ALL_DOW, CAT_SCHED_CRON, 0, 0},
    {"0-59 0-23 1-31 1-12 0-7", ALL_MIN, ALL_H, ALL_DOM, ALL_MON, ALL_DOW, CAT_SCHED_CRON, 0, 0},
    {"0 0 * * 7", B(0), B(0), ALL_DOM, ALL_MON, B(0), CAT_SCHED_CRON, 0, 0},
    {"0 0 * * 0,7", B(0), B(0), ALL_DOM, ALL_MON, B(0), CAT_SCHED_CRON, 0, 0},
    {"0 0 * * 5-7", B(0), B(0), ALL_DOM, ALL_MON, B(0) | B(5) | B(6), CAT_SCHED_CRON, 0, 0},
    {"0 0 * * 1/2", B(0), B(0), ALL_DOM, ALL_MON, B(1) | B(3) | B(5), CAT_SCHED_CRON, 0, 0},
    {"*/15 */6 */10 */4 */3", B(0) | B(15) | B(30) | B(45), B(0) | B(6) | B(12) | B(18),
     B(1) | B(11) | B(21) | B(31), B(1) | B(5) | B(9), B(0) | B(3) | B(6), CAT_SCHED_CRON, 0,
     0},
    {"10-50/20 1,2,3 2-4,30 JAN,Dec MON-wed", B(10) | B(30) | B(50), B(1) | B(2) | B(3),
     B(2) | B(3) | B(4) | B(30), B(1) | B(12), B(1) | B(2) | B(3), CAT_SCHED_CRON, 0, 0},
    {"58/1 23/1 31/1 12/1 6/1", B(58) | B(59), B(23), B(31), B(12), B(6), CAT_SCHED_CRON, 0, 0},
    {"0 0 1 january,february *", B(0), B(0), B(1), B(1) | B(2), ALL_DOW, CAT_SCHED_CRON, 0, 0},
    {"0 0 * * sunday-tuesday", B(0), B(0), ALL_DOM, ALL_MON, B(0) | B(1) | B(2),
     CAT_SCHED_CRON, 0, 0},
    {"TZ=UTC 0 2 * * *", B(0), B(2), ALL_DOM, ALL_MON, ALL_DOW, CAT_SCHED_CRON, 1, 0},
    {"0 0 29 2 *", B(0), B(0), B(29), B(2), ALL_DOW, CAT_SCHED_CRON, 0, 0},
    {"0 0 30 2 1", B(0), B(0), B(30), B(2), B(1), CAT_SCHED_CRON, 0, 0}, /* Mondays in Feb */
};

static void test_parse_fields(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_OF(FIELDS); i++) {
        const fields_case *c = &FIELDS[i];
        cat_sched s = P(c->spec), want;
        memset(&want, 0, sizeof want);
        want.minutes = c->minutes;
        want.hours = c->hours;
        want.mdays = c->mdays;
        want.months = c->months;
        want.wdays = c->wdays;
        want.form = c->form;
        want.utc = c->utc;
        want.interval_s = c->interval_s;
        if (memcmp(&s, &want, sizeof s) != 0) {
            print_error("row %zu '%s': min %llx h %x dom %x mon %x dow %x form %d utc %d "
                        "every %lld\n", i, c->spec, (unsigned long long)s.minutes, s.hours,
                        s.mdays, s.months, s.wdays, s.form, s.utc, (long long)s.interval_s);
            fail();
        }
    }
}

typedef struct canon_case {
    const char *spec, *canonical;
} canon_case;

static const canon_case CANON[] = {
    {"every 5m", "every 5m"},
    {"EVERY 5M", "every 5m"},
    {"every 300s", "every 5m"},
    {"every 300 seconds", "every 5m"},
    {"every 60m", "every 1h"},
    {"every 24h", "every 1d"},
    {"every 48 hours", "every 2d"},
    {"every 90s", "every 90s"},
    {"every 90 minutes", "every 90m"},
    {"every 1 day", "every 1d"},
    {"every 1 sec", "every 1s"},
    {"every 3 hrs", "every 3h"},
    {"every 366d", "every 366d"},
    {"every 5m utc", "every 5m"},
    {"every 5m local", "every 5m"},
    {"TZ=UTC every 1h", "every 1h"},
    {"hourly", "hourly :00"},
    {"hourly :5", "hourly :05"},
    {"Hourly :45 UTC", "hourly :45 utc"},
    {"daily 2:00", "daily 02:00"},
    {"  daily\t02:00  ", "daily 02:00"},
    {"daily 02:00\n", "daily 02:00"},
    {"daily 23:59 local", "daily 23:59"},
    {"DAILY 00:00 Etc/UTC", "daily 00:00 utc"},
    {"weekly Sunday 01:00", "weekly sun 01:00"},
    {"weekly SAT 23:30", "weekly sat 23:30"},
    {"weekly wednesday 9:05", "weekly wed 09:05"},
    {"monthly 31 02:00", "monthly 31 02:00"},
    {"TZ=UTC monthly 1 03:00", "monthly 1 03:00 utc"},
    {"CRON_TZ=utc daily 02:00", "daily 02:00 utc"},
    {"tz=Etc/UTC daily 02:00", "daily 02:00 utc"},
    {"* * * * *", "* * * * *"},
    {"*/1 */1 */1 */1 */1", "* * * * *"},
    {"0-59 0-23 1-31 1-12 0-7", "* * * * *"},
    {"* * * * 0-6", "* * * * *"},
    {"* * * * sun-sat", "* * * * *"},
    {"*/15 * * * *", "*/15 * * * *"},
    {"0,15,30,45 * * * *", "*/15 * * * *"},
    {"45,30,15,0 * * * *", "*/15 * * * *"},
    {"*/20 * * * *", "*/20 * * * *"},
    {"0,30 * * * *", "0,30 * * * *"},
    {"*/30 * * * *", "0,30 * * * *"},
    {"0,10,20 * * * *", "0,10,20 * * * *"},
    {"10-50/10 * * * *", "10-50/10 * * * *"},
    {"10,20,30,40,50 * * * *", "10-50/10 * * * *"},
    {"5/15 * * * *", "5-50/15 * * * *"},
    {"1,3,5 * * * *", "1,3,5 * * * *"},
    {"1,3,5,7 * * * *", "1-7/2 * * * *"},
    {"1,2,3,5 * * * *", "1-3,5 * * * *"},
    {"1,2 * * * *", "1,2 * * * *"},
    {"1-3,2-4 * * * *", "1-4 * * * *"},
    {"0 9-17 * * mon-fri", "0 9-17 * * 1-5"},
    {"0 0 * * 7", "0 0 * * 0"},
    {"0 0 * * 0,7", "0 0 * * 0"},
    {"0 0 * * 5-7", "0 0 * * 0,5,6"},
    {"0 0 * * sat,sun", "0 0 * * 0,6"},
    {"0 0 * * mon,wed,fri", "0 0 * * 1,3,5"},
    {"0 0 * * */2", "0 0 * * */2"},
    {"0 0 1 jan,jul *", "0 0 1 1,7 *"},
    {"0 0 1 */3 *", "0 0 1 */3 *"},
    {"0 0 1 1,4,7,10 *", "0 0 1 */3 *"},
    {"0 12 */2 * *", "0 12 */2 * *"},
    {"0 12 2-30/2 * *", "0 12 2-30/2 * *"},
    {"30 4 1,15 * 0", "30 4 1,15 * 0"},
    {"0 0 29 2 *", "0 0 29 2 *"},
    {"0 0 13 * fri", "0 0 13 * 5"},
    {"0 2 * * * UTC", "0 2 * * * utc"},
    {"TZ=UTC 0 2 * * *", "0 2 * * * utc"},
    {"0 2 * * * local", "0 2 * * *"},
    {"59 23 31 12 *", "59 23 31 12 *"},
    {"0,1,2,3,4,5,6,7,8,9,11,13,17,19,23,29,31,37,41,43,47,53,59 0,1,5,6,7,22 "
     "1,2,4,8,16 feb,mar,may 1,3", "0-9,11,13,17,19,23,29,31,37,41,43,47,53,59 0,1,5-7,22 "
     "1,2,4,8,16 2,3,5 1,3"},
};

static void test_canonical_round_trip(void **state)
{
    char buf[CAT_SCHED_BUF], again[CAT_SCHED_BUF];
    (void)state;
    for (size_t i = 0; i < N_OF(CANON); i++) {
        cat_sched s = P(CANON[i].spec);
        cat_sched_format(&s, buf, sizeof buf);
        if (strcmp(buf, CANON[i].canonical) != 0) {
            print_error("row %zu '%s': want '%s', got '%s'\n", i, CANON[i].spec,
                        CANON[i].canonical, buf);
            fail();
        }
        cat_sched c = P(buf);
        assert_memory_equal(&s, &c, sizeof s);
        cat_sched_format(&c, again, sizeof again);
        assert_string_equal(again, buf);
    }
}

static void test_format_truncates_safely(void **state)
{
    char buf[8];
    cat_sched s = P("1,3,5,8,13,21,34,55 * * * * utc");
    (void)state;
    memset(buf, 'z', sizeof buf);
    cat_sched_format(&s, buf, sizeof buf);
    assert_string_equal(buf, "1,3,5,8");
    cat_sched_format(&s, buf, 1);
    assert_string_equal(buf, "");
    cat_sched_format(&s, buf, 0); /* writes nothing at all */
}

/* ---- next() ---- */

typedef struct next_case {
    const char *tz, *spec, *after, *want; /* want NULL: never */
} next_case;

#define NY "America/New_York"
#define LON "Europe/London"
#define LHI "Australia/Lord_Howe"
#define IST "Europe/Istanbul"
#define SCL "America/Santiago"
#define HAV "America/Havana"
#define APIA "Pacific/Apia"

static const next_case NEXT[] = {
    /* every: multiples of the interval since the epoch */
    {"UTC", "every 5m", "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z"},
    {"UTC", "every 5m", "2026-01-01T00:04:59.999999Z", "2026-01-01T00:05:00Z"},
    {"UTC", "every 5m", "2026-01-01T00:05:00.000001Z", "2026-01-01T00:10:00Z"},
    {"UTC", "every 5m", "2026-12-31T23:58:00Z", "2027-01-01T00:00:00Z"},
    {"UTC", "every 30s", "2026-12-31T23:59:45Z", "2027-01-01T00:00:00Z"},
    {"UTC", "every 1s", "2026-06-01T12:00:00.5Z", "2026-06-01T12:00:01Z"},
    {"UTC", "every 1h", "2026-03-08T06:30:00Z", "2026-03-08T07:00:00Z"},
    {"UTC", "every 1d", "2026-02-28T12:00:00Z", "2026-03-01T00:00:00Z"},
    {"UTC", "every 1d", "2028-02-28T12:00:00Z", "2028-02-29T00:00:00Z"},
    {"UTC", "every 7d", "2026-01-01T00:00:00Z", "2026-01-08T00:00:00Z"}, /* Thursdays */
    {"UTC", "every 7m", "2026-01-01T00:00:00Z", "2026-01-01T00:07:00Z"},
    {"UTC", "every 7m", "2026-01-01T00:55:00Z", "2026-01-01T00:56:00Z"},
    {"UTC", "every 90s", "2026-01-01T00:00:00Z", "2026-01-01T00:01:30Z"},
    {"UTC", "every 1h", "1969-12-31T23:30:00Z", "1970-01-01T00:00:00Z"},
    {"UTC", "every 1h", "1969-12-31T22:00:00Z", "1969-12-31T23:00:00Z"},
    {"UTC", "every 366d", "1970-01-01T00:00:00Z", "1971-01-02T00:00:00Z"},
    {NY, "every 5m", "2026-03-08T01:57:00-05:00", "2026-03-08T03:00:00-04:00"},
    {NY, "every 1h", "2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00"},
    {NY, "every 5m", "2026-11-01T01:57:00-04:00", "2026-11-01T01:00:00-05:00"},
    {NY, "every 1h", "2026-11-01T01:00:00-04:00", "2026-11-01T01:00:00-05:00"},
    {NY, "every 1d", "2026-06-01T12:00:00-04:00", "2026-06-01T20:00:00-04:00"},
    {LHI, "every 30m", "2026-10-04T01:45:00+10:30", "2026-10-04T02:30:00+11:00"},
    {LHI, "every 30m", "2026-04-05T01:45:00+11:00", "2026-04-05T01:30:00+10:30"},

    /* hourly */
    {"UTC", "hourly", "2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z"},
    {"UTC", "hourly", "2026-01-01T00:59:59Z", "2026-01-01T01:00:00Z"},
    {"UTC", "hourly :15", "2026-01-01T00:14:59Z", "2026-01-01T00:15:00Z"},
    {"UTC", "hourly :15", "2026-01-01T00:15:00Z", "2026-01-01T01:15:00Z"},
    {"UTC", "hourly :59", "2026-12-31T23:59:00Z", "2027-01-01T00:59:00Z"},
    {"UTC", "hourly :00", "2028-02-28T23:30:00Z", "2028-02-29T00:00:00Z"},

    /* daily */
    {"UTC", "daily 02:00", "2026-01-31T02:00:00Z", "2026-02-01T02:00:00Z"},
    {"UTC", "daily 02:00", "2026-01-31T01:59:59.999999Z", "2026-01-31T02:00:00Z"},
    {"UTC", "daily 02:00", "2026-01-31T00:00:00Z", "2026-01-31T02:00:00Z"},
    {"UTC", "daily 23:59", "2026-12-31T23:59:00Z", "2027-01-01T23:59:00Z"},
    {"UTC", "daily 0:00", "2028-02-28T00:00:00Z", "2028-02-29T00:00:00Z"},
    {"UTC", "daily 00:00", "2028-02-29T00:00:00Z", "2028-03-01T00:00:00Z"},
    {"UTC", "daily 00:00", "2027-02-28T00:00:00Z", "2027-03-01T00:00:00Z"},
    {"UTC", "daily 00:00", "2100-02-28T00:00:00Z", "2100-03-01T00:00:00Z"},
    {"UTC", "daily 00:00", "2000-02-28T00:00:00Z", "2000-02-29T00:00:00Z"},
    {"UTC", "daily 12:00", "1969-12-31T12:00:00Z", "1970-01-01T12:00:00Z"},

    /* weekly */
    {"UTC", "weekly sun 01:00", "2026-01-01T00:00:00Z", "2026-01-04T01:00:00Z"},
    {"UTC", "weekly sun 01:00", "2026-01-04T01:00:00Z", "2026-01-11T01:00:00Z"},
    {"UTC", "weekly sun 01:00", "2026-01-04T00:59:00Z", "2026-01-04T01:00:00Z"},
    {"UTC", "weekly sat 23:30", "2026-12-27T00:00:00Z", "2027-01-02T23:30:00Z"},
    {"UTC", "weekly thursday 00:00", "2026-01-01T00:00:00Z", "2026-01-08T00:00:00Z"},
    {"UTC", "weekly mon 09:00", "2028-02-27T00:00:00Z", "2028-02-28T09:00:00Z"},
    {"UTC", "weekly tue 09:00", "2028-02-28T10:00:00Z", "2028-02-29T09:00:00Z"},

    /* monthly: months without the day are skipped */
    {"UTC", "monthly 31 02:00", "2026-01-31T02:00:00Z", "2026-03-31T02:00:00Z"},
    {"UTC", "monthly 31 02:00", "2026-03-31T02:00:00Z", "2026-05-31T02:00:00Z"},
    {"UTC", "monthly 31 00:00", "2026-07-31T00:00:00Z", "2026-08-31T00:00:00Z"},
    {"UTC", "monthly 31 00:00", "2026-12-31T00:00:00Z", "2027-01-31T00:00:00Z"},
    {"UTC", "monthly 30 00:00", "2026-01-30T00:00:00Z", "2026-03-30T00:00:00Z"},
    {"UTC", "monthly 29 00:00", "2027-01-29T00:00:00Z", "2027-03-29T00:00:00Z"},
    {"UTC", "monthly 29 00:00", "2028-01-29T00:00:00Z", "2028-02-29T00:00:00Z"},
    {"UTC", "monthly 1 03:00", "2026-12-15T00:00:00Z", "2027-01-01T03:00:00Z"},
    {"UTC", "monthly 1 03:00", "2027-01-01T02:59:00Z", "2027-01-01T03:00:00Z"},

    /* cron */
    {"UTC", "* * * * *", "2026-01-01T00:00:30Z", "2026-01-01T00:01:00Z"},
    {"UTC", "* * * * *", "2026-12-31T23:59:00Z", "2027-01-01T00:00:00Z"},
    {"UTC", "*/15 * * * *", "2026-01-01T00:00:00Z", "2026-01-01T00:15:00Z"},
    {"UTC", "*/15 * * * *", "2026-12-31T23:50:00Z", "2027-01-01T00:00:00Z"},
    {"UTC", "10-50/10 * * * *", "2026-01-01T00:50:00Z", "2026-01-01T01:10:00Z"},
    {"UTC", "5/15 * * * *", "2026-01-01T00:51:00Z", "2026-01-01T01:05:00Z"},
    {"UTC", "0 9-17/4 * * *", "2026-01-01T17:00:00Z", "2026-01-02T09:00:00Z"},
    {"UTC", "0 9-17/4 * * *", "2026-01-01T09:00:00Z", "2026-01-01T13:00:00Z"},
    {"UTC", "30 23 * * *", "2026-01-31T23:30:00Z", "2026-02-01T23:30:00Z"},
    {"UTC", "0 0 1 jan,jul *", "2026-01-01T00:00:00Z", "2026-07-01T00:00:00Z"},
    {"UTC", "0 0 1 1 *", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"},
    {"UTC", "0 0 1 1 *", "1969-06-01T00:00:00Z", "1970-01-01T00:00:00Z"},
    {"UTC", "59 23 31 12 *", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z"},
    {"UTC", "0 0 31 * *", "2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z"},
    {"UTC", "0 0 31 * *", "2026-10-31T00:00:00Z", "2026-12-31T00:00:00Z"},
    {"UTC", "0 0 * 2 *", "2026-02-28T00:00:00Z", "2027-02-01T00:00:00Z"},
    {"UTC", "0 0 * 2 *", "2028-02-28T00:00:00Z", "2028-02-29T00:00:00Z"},
    {"UTC", "0 0 29 2 *", "2026-01-01T00:00:00Z", "2028-02-29T00:00:00Z"},
    {"UTC", "0 0 29 2 *", "2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"},
    {"UTC", "0 0 29 2 *", "2096-02-29T00:00:00Z", "2104-02-29T00:00:00Z"},
    {"UTC", "0 0 29 2 *", "2399-03-01T00:00:00Z", "2400-02-29T00:00:00Z"},
    {"UTC", "0 0 * * 7", "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z"},
    {"UTC", "0 0 * * 0", "2026-01-04T00:00:00Z", "2026-01-11T00:00:00Z"},
    {"UTC", "0 0 * * mon-fri", "2026-01-02T00:00:00Z", "2026-01-05T00:00:00Z"},
    {"UTC", "0 0 * * 1", "2026-12-28T00:00:00Z", "2027-01-04T00:00:00Z"},
    {"UTC", "0 0 * * 2", "2028-02-22T00:00:00Z", "2028-02-29T00:00:00Z"},
    {"UTC", "0 0 * 3 1", "2026-01-01T00:00:00Z", "2026-03-02T00:00:00Z"},
    /* the Vixie rule: both day fields restricted, either matches */
    {"UTC", "0 12 13 * 5", "2026-02-01T00:00:00Z", "2026-02-06T12:00:00Z"},
    {"UTC", "0 12 13 * 5", "2026-02-06T12:00:00Z", "2026-02-13T12:00:00Z"},
    {"UTC", "0 12 13 * 5", "2026-02-13T12:00:00Z", "2026-02-20T12:00:00Z"},
    {"UTC", "0 12 13 * 5", "2026-04-10T12:00:00Z", "2026-04-13T12:00:00Z"},
    {"UTC", "0 12 13 * 5", "2026-04-13T12:00:00Z", "2026-04-17T12:00:00Z"},
    {"UTC", "0 12 13 * *", "2026-04-10T12:00:00Z", "2026-04-13T12:00:00Z"},
    {"UTC", "0 12 * * 5", "2026-04-10T12:00:00Z", "2026-04-17T12:00:00Z"},
    {"UTC", "0 12 1-31 * 5", "2026-04-10T12:00:00Z", "2026-04-17T12:00:00Z"},
    {"UTC", "0 12 13 * 0-7", "2026-04-10T12:00:00Z", "2026-04-13T12:00:00Z"},
    {"UTC", "0 12 */2 * 5", "2026-04-10T12:00:00Z", "2026-04-11T12:00:00Z"},
    {"UTC", "0 12 */2 * 5", "2026-04-11T12:00:00Z", "2026-04-13T12:00:00Z"},
    {"UTC", "0 12 2-30/2 * 5", "2026-04-10T12:00:00Z", "2026-04-12T12:00:00Z"},
    {"UTC", "30 4 1,15 * 0", "2026-01-01T04:30:00Z", "2026-01-04T04:30:00Z"},
    {"UTC", "30 4 1,15 * 0", "2026-01-11T04:30:00Z", "2026-01-15T04:30:00Z"},
    {"UTC", "30 4 1,15 * 0", "2026-01-15T04:30:00Z", "2026-01-18T04:30:00Z"},
    {"UTC", "0 0 30 2 1", "2026-01-01T00:00:00Z", "2026-02-02T00:00:00Z"},
    {"UTC", "0 0 31 feb sun", "2026-02-22T00:00:00Z", "2027-02-07T00:00:00Z"},
    /* the end of the searched range */
    {"UTC", "0 0 1 1 *", "9997-06-01T00:00:00Z", "9998-01-01T00:00:00Z"},
    {"UTC", "0 0 1 1 *", "9998-06-01T00:00:00Z", NULL},
    {"UTC", "daily 00:00 utc", "9999-06-01T00:00:00Z", NULL},

    /* a zone suffix pins the wall clock to UTC whatever TZ says */
    {NY, "daily 02:30 utc", "2026-03-07T12:00:00Z", "2026-03-08T02:30:00Z"},
    {NY, "0 2 * * * utc", "2026-03-08T01:00:00Z", "2026-03-08T02:00:00Z"},
    {LHI, "TZ=UTC hourly :30", "2026-10-03T15:00:00Z", "2026-10-03T15:30:00Z"},

    /* New York, spring forward 2026-03-08 02:00 EST -> 03:00 EDT */
    {NY, "daily 02:30", "2026-03-07T02:30:00-05:00", "2026-03-08T03:00:00-04:00"},
    {NY, "daily 02:30", "2026-03-08T01:59:59-05:00", "2026-03-08T03:00:00-04:00"},
    {NY, "daily 02:30", "2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"},
    {NY, "daily 02:00", "2026-03-07T12:00:00-05:00", "2026-03-08T03:00:00-04:00"},
    {NY, "daily 02:59", "2026-03-07T12:00:00-05:00", "2026-03-08T03:00:00-04:00"},
    {NY, "daily 03:00", "2026-03-07T12:00:00-05:00", "2026-03-08T03:00:00-04:00"},
    {NY, "daily 03:01", "2026-03-07T12:00:00-05:00", "2026-03-08T03:01:00-04:00"},
    {NY, "daily 01:59", "2026-03-07T12:00:00-05:00", "2026-03-08T01:59:00-05:00"},
    {NY, "weekly sun 02:30", "2026-03-01T02:30:00-05:00", "2026-03-08T03:00:00-04:00"},
    {NY, "weekly sun 02:30", "2026-03-08T03:00:00-04:00", "2026-03-15T02:30:00-04:00"},
    {NY, "monthly 8 02:15", "2026-02-08T02:15:00-05:00", "2026-03-08T03:00:00-04:00"},
    {NY, "0 2 8 3 *", "2026-01-01T00:00:00-05:00", "2026-03-08T03:00:00-04:00"},
    {NY, "*/30 * * * *", "2026-03-08T01:00:00-05:00", "2026-03-08T01:30:00-05:00"},
    {NY, "*/30 * * * *", "2026-03-08T01:30:00-05:00", "2026-03-08T03:00:00-04:00"},
    {NY, "*/30 * * * *", "2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00"},
    {NY, "15,45 * * * *", "2026-03-08T01:45:00-05:00", "2026-03-08T03:00:00-04:00"},
    {NY, "15,45 * * * *", "2026-03-08T03:00:00-04:00", "2026-03-08T03:15:00-04:00"},
    {NY, "* * * * *", "2026-03-08T01:59:00-05:00", "2026-03-08T03:00:00-04:00"},
    {NY, "* * * * *", "2026-03-08T01:59:59.999999-05:00", "2026-03-08T03:00:00-04:00"},
    {NY, "* * * * *", "2026-03-08T03:00:00-04:00", "2026-03-08T03:01:00-04:00"},
    {NY, "hourly :30", "2026-03-08T01:30:00-05:00", "2026-03-08T03:00:00-04:00"},
    {NY, "hourly :30", "2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00"},
    {NY, "0 * * * *", "2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00"},
    {NY, "0 * * * *", "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"},
    {NY, "0 0 * * *", "2026-03-07T12:00:00-05:00", "2026-03-08T00:00:00-05:00"},
    /* New York, fall back 2026-11-01 02:00 EDT -> 01:00 EST */
    {NY, "daily 01:30", "2026-10-31T12:00:00-04:00", "2026-11-01T01:30:00-04:00"},
    {NY, "daily 01:30", "2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"},
    {NY, "daily 01:30", "2026-11-01T01:15:00-05:00", "2026-11-02T01:30:00-05:00"},
    {NY, "daily 01:30", "2026-11-01T01:45:00-05:00", "2026-11-02T01:30:00-05:00"},
    {NY, "daily 01:00", "2026-10-31T12:00:00-04:00", "2026-11-01T01:00:00-04:00"},
    {NY, "daily 01:59", "2026-11-01T01:58:00-04:00", "2026-11-01T01:59:00-04:00"},
    {NY, "daily 02:00", "2026-11-01T01:30:00-04:00", "2026-11-01T02:00:00-05:00"},
    {NY, "daily 02:00", "2026-11-01T01:30:00-05:00", "2026-11-01T02:00:00-05:00"},
    {NY, "daily 00:59", "2026-10-31T12:00:00-04:00", "2026-11-01T00:59:00-04:00"},
    {NY, "*/30 * * * *", "2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00"},
    {NY, "*/30 * * * *", "2026-11-01T01:30:00-04:00", "2026-11-01T02:00:00-05:00"},
    {NY, "*/30 * * * *", "2026-11-01T01:00:00-05:00", "2026-11-01T02:00:00-05:00"},
    {NY, "* * * * *", "2026-11-01T01:59:00-04:00", "2026-11-01T02:00:00-05:00"},
    {NY, "* * * * *", "2026-11-01T01:30:00-05:00", "2026-11-01T02:00:00-05:00"},
    {NY, "* * * * *", "2026-11-01T01:58:59-04:00", "2026-11-01T01:59:00-04:00"},
    {NY, "hourly :30", "2026-11-01T00:30:00-04:00", "2026-11-01T01:30:00-04:00"},
    {NY, "hourly :30", "2026-11-01T01:30:00-04:00", "2026-11-01T02:30:00-05:00"},
    {NY, "weekly sun 01:30", "2026-10-25T01:30:00-04:00", "2026-11-01T01:30:00-04:00"},

    /* London: 2026-03-29 01:00 GMT -> 02:00 BST; 2026-10-25 02:00 BST -> 01:00 GMT */
    {LON, "daily 01:30", "2026-03-28T12:00:00Z", "2026-03-29T02:00:00+01:00"},
    {LON, "daily 01:00", "2026-03-28T12:00:00Z", "2026-03-29T02:00:00+01:00"},
    {LON, "daily 00:59", "2026-03-28T12:00:00Z", "2026-03-29T00:59:00Z"},
    {LON, "daily 02:00", "2026-03-28T12:00:00Z", "2026-03-29T02:00:00+01:00"},
    {LON, "*/20 1 * * *", "2026-03-28T12:00:00Z", "2026-03-29T02:00:00+01:00"},
    {LON, "*/20 1 * * *", "2026-03-29T02:00:00+01:00", "2026-03-30T01:00:00+01:00"},
    {LON, "daily 01:30", "2026-10-24T12:00:00+01:00", "2026-10-25T01:30:00+01:00"},
    {LON, "daily 01:30", "2026-10-25T01:30:00+01:00", "2026-10-26T01:30:00Z"},
    {LON, "daily 01:30", "2026-10-25T01:10:00Z", "2026-10-26T01:30:00Z"},
    {LON, "0 * * * *", "2026-10-25T01:00:00+01:00", "2026-10-25T02:00:00Z"},

    /* Lord Howe, 30-minute DST: 2026-10-04 02:00 -> 02:30 (+11:00); 2026-04-05 02:00 -> 01:30 */
    {LHI, "daily 02:15", "2026-10-03T12:00:00+10:30", "2026-10-04T02:30:00+11:00"},
    {LHI, "daily 02:00", "2026-10-03T12:00:00+10:30", "2026-10-04T02:30:00+11:00"},
    {LHI, "daily 02:29", "2026-10-03T12:00:00+10:30", "2026-10-04T02:30:00+11:00"},
    {LHI, "daily 02:30", "2026-10-03T12:00:00+10:30", "2026-10-04T02:30:00+11:00"},
    {LHI, "daily 02:15", "2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00"},
    {LHI, "daily 01:59", "2026-10-03T12:00:00+10:30", "2026-10-04T01:59:00+10:30"},
    {LHI, "*/15 * * * *", "2026-10-04T01:45:00+10:30", "2026-10-04T02:30:00+11:00"},
    {LHI, "*/15 * * * *", "2026-10-04T02:30:00+11:00", "2026-10-04T02:45:00+11:00"},
    {LHI, "daily 01:45", "2026-04-04T12:00:00+11:00", "2026-04-05T01:45:00+11:00"},
    {LHI, "daily 01:45", "2026-04-05T01:45:00+11:00", "2026-04-06T01:45:00+10:30"},
    {LHI, "daily 01:45", "2026-04-05T01:35:00+10:30", "2026-04-06T01:45:00+10:30"},
    {LHI, "daily 01:15", "2026-04-04T12:00:00+11:00", "2026-04-05T01:15:00+11:00"},
    {LHI, "daily 01:30", "2026-04-05T01:15:00+11:00", "2026-04-05T01:30:00+11:00"},
    {LHI, "*/15 * * * *", "2026-04-05T01:45:00+11:00", "2026-04-05T02:00:00+10:30"},
    {LHI, "*/15 * * * *", "2026-04-05T01:30:00+10:30", "2026-04-05T02:00:00+10:30"},
    {LHI, "hourly :45", "2026-04-05T00:45:00+11:00", "2026-04-05T01:45:00+11:00"},
    {LHI, "hourly :45", "2026-04-05T01:45:00+11:00", "2026-04-05T02:45:00+10:30"},

    /* Istanbul: +03:00 all year, nothing moves */
    {IST, "daily 02:30", "2026-03-29T00:00:00+03:00", "2026-03-29T02:30:00+03:00"},
    {IST, "0 3 * * *", "2026-10-24T12:00:00+03:00", "2026-10-25T03:00:00+03:00"},
    {IST, "daily 01:30", "2026-10-31T12:00:00+03:00", "2026-11-01T01:30:00+03:00"},
    {IST, "*/30 * * * *", "2026-03-08T01:30:00+03:00", "2026-03-08T02:00:00+03:00"},

    /* Santiago, changes at midnight: 2026-09-06 00:00 -> 01:00; 2026-04-05 00:00 -> 04-04 23:00 */
    {SCL, "daily 00:30", "2026-09-05T12:00:00-04:00", "2026-09-06T01:00:00-03:00"},
    {SCL, "daily 00:00", "2026-09-05T12:00:00-04:00", "2026-09-06T01:00:00-03:00"},
    {SCL, "0 0 6 9 *", "2026-01-01T00:00:00-03:00", "2026-09-06T01:00:00-03:00"},
    {SCL, "weekly sun 00:00", "2026-08-30T00:00:00-04:00", "2026-09-06T01:00:00-03:00"},
    {SCL, "daily 23:30", "2026-04-04T12:00:00-03:00", "2026-04-04T23:30:00-03:00"},
    {SCL, "daily 23:30", "2026-04-04T23:30:00-03:00", "2026-04-05T23:30:00-04:00"},
    {SCL, "daily 00:00", "2026-04-04T12:00:00-03:00", "2026-04-05T00:00:00-04:00"},
    {SCL, "weekly sat 23:45", "2026-04-04T23:10:00-04:00", "2026-04-11T23:45:00-04:00"},

    /* Havana: 2026-03-08 00:00 -> 01:00; 2026-11-01 01:00 -> 00:00 */
    {HAV, "daily 00:00", "2026-03-07T12:00:00-05:00", "2026-03-08T01:00:00-04:00"},
    {HAV, "monthly 8 00:15", "2026-02-08T00:15:00-05:00", "2026-03-08T01:00:00-04:00"},
    {HAV, "daily 00:30", "2026-10-31T12:00:00-04:00", "2026-11-01T00:30:00-04:00"},
    {HAV, "daily 00:30", "2026-11-01T00:30:00-04:00", "2026-11-02T00:30:00-05:00"},

    /* Apia skipped 2011-12-30 whole: 12-29 23:59:59 -10:00 -> 12-31 00:00 +14:00 */
    {APIA, "daily 12:00", "2011-12-28T13:00:00-10:00", "2011-12-29T12:00:00-10:00"},
    {APIA, "daily 12:00", "2011-12-29T12:00:00-10:00", "2011-12-31T00:00:00+14:00"},
    {APIA, "daily 12:00", "2011-12-31T00:00:00+14:00", "2011-12-31T12:00:00+14:00"},
    {APIA, "0 0 30 12 *", "2011-06-01T00:00:00-11:00", "2011-12-31T00:00:00+14:00"},
    {APIA, "weekly fri 09:00", "2011-12-29T12:00:00-10:00", "2011-12-31T00:00:00+14:00"},
    {APIA, "weekly fri 09:00", "2011-12-31T00:00:00+14:00", "2012-01-06T09:00:00+14:00"},
};

static void test_next_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_OF(NEXT); i++) {
        const next_case *c = &NEXT[i];
        set_tz(c->tz);
        cat_sched s = P(c->spec);
        int64_t want = c->want ? T(c->want) : NEVER;
        int64_t got = cat_sched_next(&s, T(c->after));
        expect_time(c->tz, (int)i, c->spec, got, want);
        if (want != NEVER) {
            /* The fire is in (after, want]: latest() over that span finds it ... */
            expect_time("latest", (int)i, c->spec, cat_sched_latest(&s, T(c->after), want),
                        want);
            /* ... and nothing fires between after and it. */
            expect_time("latest-1", (int)i, c->spec,
                        cat_sched_latest(&s, T(c->after), want - 1), NONE);
        }
    }
    set_tz("UTC");
}

/* Hand-made schedules that can never fire (the parser refuses those). */
static void test_next_never(void **state)
{
    cat_sched s = P("0 0 29 2 *");
    (void)state;
    set_tz("UTC");
    s.mdays = 1u << 30; /* Feb 30 */
    assert_true(cat_sched_next(&s, T("2026-01-01T00:00:00Z")) == NEVER);
    assert_true(cat_sched_latest(&s, INT64_MIN, T("2026-01-01T00:00:00Z")) == NONE);
    s.mdays = 1u << 31; /* Feb 31, in local time */
    s.utc = 0;
    set_tz(NY);
    assert_true(cat_sched_next(&s, T("2026-01-01T00:00:00Z")) == NEVER);
    set_tz("UTC");
    /* empty fields, or only bits out of range */
    cat_sched d = P("daily 02:00");
    s = d;
    s.minutes = 0;
    assert_true(cat_sched_next(&s, 0) == NEVER);
    assert_true(cat_sched_latest(&s, INT64_MIN, 0) == NONE);
    s = d;
    s.minutes = UINT64_C(1) << 61;
    assert_true(cat_sched_next(&s, 0) == NEVER);
    s = d;
    s.hours = 0;
    assert_true(cat_sched_latest(&s, INT64_MIN, 0) == NONE);
    s = d;
    s.months = 1; /* bit 0 is no month */
    assert_true(cat_sched_next(&s, 0) == NEVER);
    s = d;
    s.mdays = 0;
    s.wdays = 0;
    assert_true(cat_sched_next(&s, 0) == NEVER);
    cat_sched every = P("every 5m");
    every.interval_s = 0;
    assert_true(cat_sched_next(&every, 0) == NEVER);
    assert_true(cat_sched_latest(&every, INT64_MIN, 0) == NONE);
    every.interval_s = INT64_MAX / 2;
    assert_true(cat_sched_next(&every, 0) == NEVER);
    assert_true(cat_sched_latest(&every, INT64_MIN, 0) == NONE);
    s = d;
    s.hours |= UINT32_C(1) << 30; /* stray bits beside real ones are ignored */
    assert_true(cat_sched_next(&s, 0) == T("1970-01-01T02:00:00Z"));
}

static void test_extreme_instants(void **state)
{
    const char *specs[] = {"every 1s", "every 366d", "daily 02:00", "* * * * *",
                           "0 0 29 2 *", "daily 02:00 utc"};
    const char *zones[] = {"UTC", NY, LHI};
    (void)state;
    for (size_t z = 0; z < N_OF(zones); z++) {
        set_tz(zones[z]);
        for (size_t i = 0; i < N_OF(specs); i++) {
            cat_sched s = P(specs[i]);
            assert_true(cat_sched_next(&s, INT64_MAX) == NEVER);
            assert_true(cat_sched_next(&s, INT64_MAX - 1) == NEVER);
            assert_true(cat_sched_next(&s, INT64_MIN) > INT64_MIN);
            assert_true(cat_sched_latest(&s, INT64_MIN, INT64_MIN) == NONE);
            assert_true(cat_sched_latest(&s, INT64_MIN, INT64_MIN + 1) == NONE);
            int64_t l = cat_sched_latest(&s, INT64_MIN, INT64_MAX);
            assert_true(l != NONE && l < INT64_MAX);
            assert_true(cat_sched_latest(&s, INT64_MAX - 1, INT64_MAX) == NONE);
        }
    }
    set_tz("UTC");
}

/* ---- latest(): catching up once ---- */

typedef struct latest_case {
    const char *tz, *spec, *after, *now, *want; /* want NULL: none */
} latest_case;

static const latest_case LATEST[] = {
    /* three days down: only the last slot, once */
    {"UTC", "every 5m", "2026-01-01T00:00:00Z", "2026-01-04T00:02:30Z", "2026-01-04T00:00:00Z"},
    {"UTC", "every 5m", "2026-01-01T00:01:00Z", "2026-01-01T00:04:59Z", NULL},
    {"UTC", "every 5m", "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z", "2026-01-01T00:05:00Z"},
    {"UTC", "every 5m", "2026-01-01T00:05:00Z", "2026-01-01T00:05:00Z", NULL},
    {"UTC", "every 5m", "2026-01-01T00:05:00Z", "2026-01-01T00:04:00Z", NULL},
    {"UTC", "every 5m", "2026-01-01T00:04:59.999999Z", "2026-01-01T00:05:00Z",
     "2026-01-01T00:05:00Z"},
    {"UTC", "every 1h", "1969-12-31T20:00:00Z", "1969-12-31T23:59:59Z", "1969-12-31T23:00:00Z"},
    /* a week down: the last 02:00 */
    {"UTC", "daily 02:00", "2026-01-01T02:00:00Z", "2026-01-08T12:00:00Z", "2026-01-08T02:00:00Z"},
    {"UTC", "daily 02:00", "2026-01-01T02:00:00Z", "2026-01-08T01:59:59Z", "2026-01-07T02:00:00Z"},
    {"UTC", "daily 02:00", "2026-01-08T02:00:00Z", "2026-01-08T12:00:00Z", NULL},
    {"UTC", "daily 02:00", "2026-01-07T02:00:01Z", "2026-01-08T01:59:59Z", NULL},
    {"UTC", "weekly sun 01:00", "2026-01-01T00:00:00Z", "2026-02-01T00:59:00Z",
     "2026-01-25T01:00:00Z"},
    {"UTC", "0 0 29 2 *", "2025-01-01T00:00:00Z", "2030-01-01T00:00:00Z", "2028-02-29T00:00:00Z"},
    {"UTC", "0 0 29 2 *", "2096-03-01T00:00:00Z", "2104-02-28T00:00:00Z", NULL},
    {"UTC", "0 0 29 2 *", "2090-03-01T00:00:00Z", "2104-02-28T00:00:00Z", "2096-02-29T00:00:00Z"},
    {"UTC", "monthly 31 02:00", "2026-03-31T02:00:00Z", "2026-05-30T00:00:00Z", NULL},
    {"UTC", "monthly 31 02:00", "2026-03-31T02:00:00Z", "2026-05-31T02:00:00Z",
     "2026-05-31T02:00:00Z"},
    {"UTC", "monthly 31 02:00", "2026-01-01T00:00:00Z", "2026-03-30T00:00:00Z",
     "2026-01-31T02:00:00Z"},
    {"UTC", "0 12 13 * 5", "2026-04-01T00:00:00Z", "2026-04-15T00:00:00Z",
     "2026-04-13T12:00:00Z"},
    {"UTC", "0 12 13 * 5", "2026-04-01T00:00:00Z", "2026-04-12T00:00:00Z",
     "2026-04-10T12:00:00Z"},
    {"UTC", "*/15 9-17 * * 1-5", "2026-01-02T17:45:00Z", "2026-01-05T08:59:00Z", NULL},
    {"UTC", "*/15 9-17 * * 1-5", "2026-01-02T12:00:00Z", "2026-01-05T08:59:00Z",
     "2026-01-02T17:45:00Z"},
    {"UTC", "59 23 31 12 *", "2020-01-01T00:00:00Z", "2026-06-01T00:00:00Z",
     "2025-12-31T23:59:00Z"},
    {"UTC", "0 0 1 1 *", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000001Z", NULL},
    {"UTC", "0 0 1 1 *", "2025-12-31T23:59:59.999999Z", "2026-01-01T00:00:00Z",
     "2026-01-01T00:00:00Z"},
    /* a local daily job down over the spring-forward night */
    {NY, "daily 02:30", "2026-03-07T02:30:00-05:00", "2026-03-08T12:00:00-04:00",
     "2026-03-08T03:00:00-04:00"},
    {NY, "daily 02:30", "2026-03-07T02:30:00-05:00", "2026-03-08T03:00:00-04:00",
     "2026-03-08T03:00:00-04:00"},
    {NY, "daily 02:30", "2026-03-06T02:30:00-05:00", "2026-03-08T01:59:59-05:00",
     "2026-03-07T02:30:00-05:00"},
    {NY, "* * * * *", "2026-03-08T01:59:00-05:00", "2026-03-08T03:00:00-04:00",
     "2026-03-08T03:00:00-04:00"},
    {NY, "* * * * *", "2026-03-08T01:00:00-05:00", "2026-03-08T03:00:30-04:00",
     "2026-03-08T03:00:00-04:00"},
    {NY, "*/30 * * * *", "2026-03-08T00:00:00-05:00", "2026-03-08T03:29:00-04:00",
     "2026-03-08T03:00:00-04:00"},
    /* and over the fall-back night: the first 01:30 is the last fire */
    {NY, "daily 01:30", "2026-10-31T01:30:00-04:00", "2026-11-01T01:45:00-05:00",
     "2026-11-01T01:30:00-04:00"},
    {NY, "daily 01:30", "2026-10-31T01:30:00-04:00", "2026-11-01T01:10:00-05:00",
     "2026-11-01T01:30:00-04:00"},
    {NY, "daily 01:50", "2026-10-31T12:00:00-04:00", "2026-11-01T01:10:00-05:00",
     "2026-11-01T01:50:00-04:00"},
    {NY, "daily 01:50", "2026-11-01T01:50:00-04:00", "2026-11-01T01:55:00-05:00", NULL},
    {NY, "*/30 * * * *", "2026-11-01T01:30:00-04:00", "2026-11-01T01:59:00-05:00", NULL},
    {NY, "*/30 * * * *", "2026-11-01T00:00:00-04:00", "2026-11-01T01:59:00-05:00",
     "2026-11-01T01:30:00-04:00"},
    {NY, "* * * * *", "2026-11-01T00:00:00-04:00", "2026-11-01T01:00:00-05:00",
     "2026-11-01T01:59:00-04:00"},
    {NY, "* * * * *", "2026-11-01T00:00:00-04:00", "2026-11-01T02:00:00-05:00",
     "2026-11-01T02:00:00-05:00"},
    {NY, "every 5m", "2026-11-01T01:00:00-04:00", "2026-11-01T01:02:00-05:00",
     "2026-11-01T01:00:00-05:00"},
    {LHI, "daily 01:45", "2026-04-04T12:00:00+11:00", "2026-04-05T01:40:00+10:30",
     "2026-04-05T01:45:00+11:00"},
    {LHI, "daily 02:15", "2026-10-03T12:00:00+10:30", "2026-10-04T02:30:00+11:00",
     "2026-10-04T02:30:00+11:00"},
    {LHI, "daily 02:15", "2026-10-03T12:00:00+10:30", "2026-10-04T02:29:59+11:00", NULL},
    {LHI, "daily 02:15", "2026-10-02T12:00:00+10:30", "2026-10-04T02:29:59+11:00",
     "2026-10-03T02:15:00+10:30"},
    {SCL, "daily 23:30", "2026-04-03T23:30:00-03:00", "2026-04-04T23:40:00-04:00",
     "2026-04-04T23:30:00-03:00"},
    {APIA, "daily 12:00", "2011-12-29T12:00:00-10:00", "2011-12-31T11:00:00+14:00",
     "2011-12-31T00:00:00+14:00"},
    {LON, "daily 02:30 utc", "2026-03-28T02:30:00Z", "2026-03-29T03:00:00+01:00", NULL},
    {LON, "daily 02:30 utc", "2026-03-28T02:30:00Z", "2026-03-29T03:30:00+01:00",
     "2026-03-29T02:30:00Z"},
};

static void test_latest_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_OF(LATEST); i++) {
        const latest_case *c = &LATEST[i];
        set_tz(c->tz);
        cat_sched s = P(c->spec);
        int64_t after = T(c->after), now = T(c->now);
        int64_t want = c->want ? T(c->want) : NONE;
        expect_time(c->tz, (int)i, c->spec, cat_sched_latest(&s, after, now), want);
        if (want != NONE) /* the catch-up is the fire that next() finds before now */
            expect_time("next", (int)i, c->spec, cat_sched_next(&s, want - 1), want);
        if (now > after) /* the fire after now comes strictly later */
            assert_true(cat_sched_next(&s, now) > now);
    }
    set_tz("UTC");
}

/* ---- counts, TZ independence ---- */

static int count_fires(const cat_sched *s, int64_t from, int64_t to)
{
    int n = 0;
    for (int64_t t = cat_sched_next(s, from); t <= to; t = cat_sched_next(s, t))
        n++;
    return n;
}

static void test_a_month_of_every_5m(void **state)
{
    const char *zones[] = {"UTC", NY, LHI, LON};
    (void)state;
    for (size_t z = 0; z < N_OF(zones); z++) {
        set_tz(zones[z]);
        cat_sched s = P("every 5m");
        /* 30 days * 288 a day, whatever DST does in between */
        assert_int_equal(count_fires(&s, T("2026-04-01T00:00:00Z"), T("2026-05-01T00:00:00Z")),
                         8640);
        assert_int_equal(count_fires(&s, T("2026-03-01T00:00:00-05:00"),
                                     T("2026-03-31T00:00:00-05:00")), 8640);
        assert_int_equal(count_fires(&s, T("2026-10-15T00:02:00Z"),
                                     T("2026-11-14T00:02:00Z")), 8640);
    }
    set_tz("UTC");
}

static void test_counts_across_dst(void **state)
{
    (void)state;
    set_tz(NY);
    cat_sched hourly = P("hourly"), every = P("every 1h"), minute = P("* * * * *");
    cat_sched daily = P("daily 02:30"), half = P("*/30 * * * *");
    /* spring day: 23 real hours; 02:00 collapses into 03:00 */
    int64_t a = T("2026-03-08T00:00:00-05:00"), b = T("2026-03-09T00:00:00-04:00");
    assert_int_equal(count_fires(&hourly, a, b), 23);
    assert_int_equal(count_fires(&every, a, b), 23);
    assert_int_equal(count_fires(&minute, a, b), 23 * 60);
    assert_int_equal(count_fires(&daily, a, b), 1);
    assert_int_equal(count_fires(&half, a, b), 46); /* 48 slots, 02:00/02:30/03:00 as one */
    /* fall day: 25 real hours, the repeated one is silent */
    a = T("2026-11-01T00:00:00-04:00");
    b = T("2026-11-02T00:00:00-05:00");
    assert_int_equal(count_fires(&hourly, a, b), 24);
    assert_int_equal(count_fires(&every, a, b), 25);
    assert_int_equal(count_fires(&minute, a, b), 24 * 60);
    assert_int_equal(count_fires(&daily, a, b), 1);
    assert_int_equal(count_fires(&half, a, b), 48);
    /* a year of local dailies: one a day, DST or not */
    cat_sched d0130 = P("daily 01:30"), d0230 = P("daily 02:30");
    a = T("2026-01-01T00:00:00-05:00");
    b = T("2027-01-01T00:00:00-05:00");
    assert_int_equal(count_fires(&d0130, a, b), 365);
    assert_int_equal(count_fires(&d0230, a, b), 365);
    set_tz(LHI);
    cat_sched q = P("*/15 * * * *");
    a = T("2026-10-04T00:00:00+10:30");
    b = T("2026-10-05T00:00:00+11:00");
    assert_int_equal(count_fires(&q, a, b), 96 - 2); /* 02:00, 02:15, 02:30 as one */
    a = T("2026-04-05T00:00:00+11:00");
    b = T("2026-04-06T00:00:00+10:30");
    assert_int_equal(count_fires(&q, a, b), 96);
    set_tz("UTC");
}

/* The same "utc" schedule gives the same instants whatever TZ is. */
static void test_utc_specs_ignore_tz(void **state)
{
    const char *specs[] = {"daily 02:30 utc", "TZ=UTC */30 * * * *", "hourly :15 utc",
                           "weekly sun 01:00 utc", "monthly 31 00:00 utc",
                           "0 12 13 * 5 utc", "0 0 29 2 * utc", "every 7m"};
    const char *zones[] = {NY, LON, LHI, IST, SCL, APIA, "Asia/Kolkata", "Asia/Kathmandu"};
    const char *afters[] = {"2026-03-08T06:00:00Z", "2026-03-29T00:30:00Z",
                            "2026-10-04T15:00:00Z", "2026-11-01T05:30:00Z",
                            "2011-12-30T09:00:00Z", "2027-12-31T23:59:59Z"};
    (void)state;
    for (size_t i = 0; i < N_OF(specs); i++) {
        for (size_t k = 0; k < N_OF(afters); k++) {
            set_tz("UTC");
            cat_sched s = P(specs[i]);
            int64_t t = T(afters[k]), want_next[20], want_latest[20];
            int64_t x = t;
            for (int j = 0; j < 20; j++) {
                want_next[j] = x = cat_sched_next(&s, x);
                want_latest[j] = cat_sched_latest(&s, t - 86400 * US * 40, t + j * 3600 * US);
            }
            for (size_t z = 0; z < N_OF(zones); z++) {
                set_tz(zones[z]);
                x = t;
                for (int j = 0; j < 20; j++) {
                    x = cat_sched_next(&s, x);
                    expect_time(zones[z], (int)i, specs[i], x, want_next[j]);
                    expect_time(zones[z], (int)i, specs[i],
                                cat_sched_latest(&s, t - 86400 * US * 40, t + j * 3600 * US),
                                want_latest[j]);
                }
            }
        }
    }
    set_tz("UTC");
}

/* ---- the brute-force oracle ---- */

/* Days since 1970-01-01 of a civil date (the proleptic Gregorian calendar). */
static int64_t civil_days(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/*
 * The clock on the wall: for each whole minute from `from` (seconds), the
 * minute the clock reads then, counted as if UTC (local time through
 * localtime_r, or UTC).  All the zones used have whole-minute offsets.
 */
typedef struct tape {
    int64_t from;
    size_t n;
    int64_t *wall;
} tape;

static tape tape_make(bool utc, int64_t from, int64_t to)
{
    tape tp = {from, (size_t)((to - from) / 60 + 1), NULL};
    tp.wall = malloc(tp.n * sizeof *tp.wall);
    assert_non_null(tp.wall);
    for (size_t i = 0; i < tp.n; i++) {
        time_t t = (time_t)(from + (int64_t)i * 60);
        struct tm tm;
        if (utc)
            gmtime_r(&t, &tm);
        else
            localtime_r(&t, &tm);
        tp.wall[i] = civil_days(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 1440
                     + tm.tm_hour * 60 + tm.tm_min;
    }
    return tp;
}

/* Does the spec name wall minute w (its fields, the Vixie day rule)? */
static bool oracle_match(const cat_sched *s, int64_t w)
{
    time_t t = (time_t)(w * 60);
    struct tm tm;
    gmtime_r(&t, &tm);
    bool dom = s->mdays >> tm.tm_mday & 1, dow = s->wdays >> tm.tm_wday & 1;
    bool day = (s->mdays == ALL_DOM || s->wdays == ALL_DOW) ? dom && dow : dom || dow;
    return (s->minutes >> tm.tm_min & 1) && (s->hours >> tm.tm_hour & 1)
           && (s->months >> (tm.tm_mon + 1) & 1) && day;
}

/*
 * The instants on the tape that fire: the first time the clock reads a
 * matching minute, counting the minutes a gap jumps over as read at its
 * end.  Returns how many, written to out in seconds.
 */
static size_t oracle_scan(const cat_sched *s, const tape *tp, int64_t *out, size_t max)
{
    size_t n = 0;
    uint64_t hours = s->hours, minutes = s->minutes;
    int64_t seen = tp->wall[0]; /* the highest minute read so far */
    for (size_t i = 1; i < tp->n; i++) {
        int64_t w = tp->wall[i];
        if (w <= seen)
            continue; /* read before: the clocks went back */
        bool fire = false;
        for (int64_t u = seen + 1; u <= w && !fire; u++) { /* u < w: jumped over */
            int64_t mod = u % 1440;
            fire = (minutes >> (mod % 60) & 1) && (hours >> (mod / 60) & 1)
                   && oracle_match(s, u);
        }
        seen = w;
        if (fire) {
            assert_true(n < max);
            out[n++] = tp->from + (int64_t)i * 60;
        }
    }
    return n;
}

/* Specs that fire at least every 17 days, and sparser ones. */
static const char *const DENSE_SPECS[] = {
    "daily 02:30", "daily 01:30", "daily 00:00", "hourly :30", "*/30 * * * *",
    "15,45 * * * *", "0 2 * * *", "* 2 * * *", "*/7 1-3 * * sun", "weekly sun 02:00",
    "weekly sat 23:30", "0 0-3 * * 0,6", "0 12 13 * 5", "5 0 1,15 * *", "59 23 * * *",
};
static const char *const SPARSE_SPECS[] = {
    "monthly 31 01:59", "0 0-3 * 3,4,9-11 0,6", "30 1 29 2 *",
};

/*
 * For each spec and each minute in [from, to], next() must give the
 * oracle's next fire; and for every 7th minute, so must next() of the
 * minute's 30th second and of the microsecond before it, and latest() must
 * give the oracle's last fire at or before it.  The oracle scans margin
 * days on either side, so every spec must fire within that.
 */
static void cross_check(const char *tz, const char *suffix, const char *from_iso,
                        const char *to_iso, const char *const *specs, size_t nspecs,
                        int margin_days)
{
    static int64_t fires[600000];
    int64_t from = T(from_iso) / US, to = T(to_iso) / US, margin = margin_days * INT64_C(86400);
    set_tz(tz);
    tape tp = tape_make(strcmp(suffix, " utc") == 0, from - margin, to + margin);
    for (size_t i = 0; i < nspecs; i++) {
        char spec[128];
        snprintf(spec, sizeof spec, "%s%s", specs[i], suffix);
        cat_sched s = P(spec);
        size_t n = oracle_scan(&s, &tp, fires, N_OF(fires));
        size_t k = 0;
        for (int64_t q = from; q <= to; q += 60) {
            while (k < n && fires[k] <= q)
                k++;
            if (k == 0 || k == n) {
                print_error("%s '%s': no fire within %d days of %s\n", tz, spec, margin_days,
                            k ? "the end" : "the start");
                fail();
            }
            int64_t want = fires[k] * US, prev = fires[k - 1] * US;
            expect_time(tz, (int)i, spec, cat_sched_next(&s, q * US), want);
            if ((q / 60) % 7 == 0) {
                expect_time(tz, (int)i, spec, cat_sched_next(&s, q * US + 30 * US), want);
                expect_time(tz, (int)i, spec, cat_sched_next(&s, q * US - 1),
                            fires[k - 1] == q ? q * US : want);
                expect_time(tz, (int)i, spec, cat_sched_latest(&s, INT64_MIN, q * US), prev);
                expect_time(tz, (int)i, spec, cat_sched_latest(&s, prev, q * US + 59 * US),
                            NONE);
            }
        }
    }
    free(tp.wall);
    set_tz("UTC");
}

static void test_oracle_new_york_year(void **state)
{
    (void)state;
    cross_check(NY, "", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", DENSE_SPECS,
                N_OF(DENSE_SPECS), 20);
    cross_check(NY, "", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", SPARSE_SPECS, 2, 80);
}

static void test_oracle_utc_year(void **state)
{
    (void)state;
    cross_check("UTC", "", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", DENSE_SPECS,
                N_OF(DENSE_SPECS), 20);
    /* "utc" specs under another TZ: the same arithmetic, here with Feb 29 */
    set_tz(LHI);
    cross_check(LHI, " utc", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z", SPARSE_SPECS,
                N_OF(SPARSE_SPECS), 800);
}

/* Two weeks or so around each change, in zones with unusual ones. */
static void test_oracle_other_zones_around_changes(void **state)
{
    static const struct {
        const char *tz, *from, *to;
    } W[] = {
        {LHI, "2026-03-28T00:00:00Z", "2026-04-12T00:00:00Z"},
        {LHI, "2026-09-27T00:00:00Z", "2026-10-11T00:00:00Z"},
        {LON, "2026-03-22T00:00:00Z", "2026-04-05T00:00:00Z"},
        {LON, "2026-10-18T00:00:00Z", "2026-11-01T00:00:00Z"},
        {SCL, "2026-03-29T00:00:00Z", "2026-04-12T00:00:00Z"},
        {SCL, "2026-08-30T00:00:00Z", "2026-09-13T00:00:00Z"},
        {HAV, "2026-03-01T00:00:00Z", "2026-03-15T00:00:00Z"},
        {HAV, "2026-10-25T00:00:00Z", "2026-11-08T00:00:00Z"},
        {APIA, "2011-12-22T00:00:00Z", "2012-01-08T00:00:00Z"},
        {IST, "2026-03-22T00:00:00Z", "2026-04-05T00:00:00Z"},
    };
    (void)state;
    for (size_t i = 0; i < N_OF(W); i++)
        cross_check(W[i].tz, "", W[i].from, W[i].to, DENSE_SPECS, N_OF(DENSE_SPECS), 20);
}

/* ---- random specs: round trips and invariants ---- */

static uint64_t rng = 0x9e3779b97f4a7c15u;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* A random cron field over [lo, hi]. */
static void random_field(char *buf, size_t size, int lo, int hi)
{
    int a = lo + (int)rnd((unsigned)(hi - lo + 1)), b = a + (int)rnd((unsigned)(hi - a + 1));
    switch (rnd(6)) {
    case 0:
        snprintf(buf, size, "*");
        break;
    case 1:
        snprintf(buf, size, "*/%u", 1 + rnd((unsigned)(hi - lo)));
        break;
    case 2:
        snprintf(buf, size, "%d", a);
        break;
    case 3:
        snprintf(buf, size, "%d-%d", a, b);
        break;
    case 4:
        snprintf(buf, size, "%d-%d/%u", a, b, 1 + rnd(5));
        break;
    default:
        snprintf(buf, size, "%d,%d,%d", a, b, lo + (int)rnd((unsigned)(hi - lo + 1)));
        break;
    }
}

static void random_spec(char *buf, size_t size, bool *ok)
{
    char f[5][32];
    random_field(f[0], sizeof f[0], 0, 59);
    random_field(f[1], sizeof f[1], 0, 23);
    random_field(f[2], sizeof f[2], 1, 31);
    random_field(f[3], sizeof f[3], 1, 12);
    random_field(f[4], sizeof f[4], 0, 7);
    snprintf(buf, size, "%s %s %s %s %s%s", f[0], f[1], f[2], f[3], f[4],
             rnd(3) == 0 ? " utc" : "");
    cat_sched s;
    yerr e;
    yerr_clear(&e);
    *ok = cat_sched_parse(buf, &s, &e) == 0;
    if (!*ok)
        assert_non_null(strstr(e.msg, "never fires"));
}

static void test_random_round_trips(void **state)
{
    char spec[160], canon[CAT_SCHED_BUF], again[CAT_SCHED_BUF];
    (void)state;
    for (int i = 0; i < 20000; i++) {
        bool ok;
        random_spec(spec, sizeof spec, &ok);
        if (!ok)
            continue;
        cat_sched s = P(spec);
        cat_sched_format(&s, canon, sizeof canon);
        cat_sched c = P(canon);
        if (memcmp(&s, &c, sizeof s) != 0) {
            print_error("'%s' -> '%s' parses differently\n", spec, canon);
            fail();
        }
        cat_sched_format(&c, again, sizeof again);
        assert_string_equal(canon, again);
    }
}

/*
 * For random specs, zones and instants from 1900 to 2200: next() is the
 * first fire after t, latest() the last one at or before it, and they
 * agree with each other.
 */
static void test_random_invariants(void **state)
{
    const char *zones[] = {"UTC", NY, LON, LHI, SCL, HAV, IST, "Asia/Kathmandu"};
    char spec[160];
    (void)state;
    for (int i = 0; i < 3000; i++) {
        bool ok;
        random_spec(spec, sizeof spec, &ok);
        if (!ok)
            continue;
        set_tz(zones[rnd(N_OF(zones))]);
        cat_sched s = P(spec);
        int64_t t = (INT64_C(-2208988800) + (int64_t)rnd(1u << 31) * 4 + rnd(4)) * US
                    + rnd(1000000);
        for (int j = 0; j < 8; j++) {
            int64_t n = cat_sched_next(&s, t);
            assert_true(n > t && n != NEVER);
            assert_true(n % US == 0);
            int64_t l = cat_sched_latest(&s, INT64_MIN, t);
            assert_true(l <= t && l != NONE);
            /* nothing fires in (l, t] except l... */
            expect_time("next(latest)", i, spec, cat_sched_next(&s, l), n);
            /* ...nor in (t, n) */
            expect_time("latest(n)", i, spec, cat_sched_latest(&s, t, n), n);
            expect_time("latest(n-1)", i, spec, cat_sched_latest(&s, t, n - 1), NONE);
            expect_time("next(n-1)", i, spec, cat_sched_next(&s, n - 1), n);
            t = n + (int64_t)rnd(3) * 37 * US;
        }
    }
    set_tz("UTC");
}

/* The library never changes TZ: a schedule's local times follow the caller's. */
static void test_follows_the_callers_tz(void **state)
{
    cat_sched s = P("daily 02:00");
    (void)state;
    set_tz(NY);
    assert_true(cat_sched_next(&s, T("2026-06-01T00:00:00Z")) == T("2026-06-01T02:00:00-04:00"));
    set_tz("Asia/Kolkata");
    assert_true(cat_sched_next(&s, T("2026-06-01T00:00:00Z")) == T("2026-06-02T02:00:00+05:30"));
    set_tz("UTC");
    assert_true(cat_sched_next(&s, T("2026-06-01T00:00:00Z")) == T("2026-06-01T02:00:00Z"));
    assert_string_equal(getenv("TZ"), "UTC");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_error_message_is_bounded),
        cmocka_unit_test(test_parse_fields),
        cmocka_unit_test(test_canonical_round_trip),
        cmocka_unit_test(test_format_truncates_safely),
        cmocka_unit_test(test_next_table),
        cmocka_unit_test(test_next_never),
        cmocka_unit_test(test_extreme_instants),
        cmocka_unit_test(test_latest_table),
        cmocka_unit_test(test_a_month_of_every_5m),
        cmocka_unit_test(test_counts_across_dst),
        cmocka_unit_test(test_utc_specs_ignore_tz),
        cmocka_unit_test(test_oracle_new_york_year),
        cmocka_unit_test(test_oracle_utc_year),
        cmocka_unit_test(test_oracle_other_zones_around_changes),
        cmocka_unit_test(test_random_round_trips),
        cmocka_unit_test(test_random_invariants),
        cmocka_unit_test(test_follows_the_callers_tz),
    };
    set_tz("UTC");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
