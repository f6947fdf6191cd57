#include "isotime.h"

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#define US_PER_SEC INT64_C(1000000)
#define SEC_PER_DAY INT64_C(86400)
#define MAX_OFFSET_MIN (14 * 60) /* the widest zone in use, Kiribati */

/*
 * Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's
 * algorithm).  Pure arithmetic, so UTC and offset times never go through
 * TZ or libc's shared state.
 */
int64_t ytime_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void ytime_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(era * 400 + yoe + (*m <= 2));
}

int ytime_days_in_month(int y, int m)
{
    static const int DAYS[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return DAYS[m - 1] + (m == 2 && leap);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Exactly n digits: "2026-1-5" is refused rather than guessed at. */
static bool take_digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit((*p)[i]))
            return false;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return true;
}

static bool take_char(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

static int bad(yerr *e, const char *text, const char *why)
{
    /* The cap keeps the reason visible when the input is long junk. */
    yerr_set(e, YERR_USAGE, "invalid time '%.64s': %s", text, why);
    yerr_hint(e, "write it as 2026-11-21T12:30:00Z, 2026-11-21T12:30:00.250+03:00, "
                 "or without a zone for local time");
    return YERR_USAGE;
}

/* "+03:00", "+0300", "+03" or the same with '-'; *p is on the sign. */
static const char *take_offset(const char **p, int *minutes)
{
    int sign = **p == '-' ? -1 : 1;
    int h, m = 0;

    (*p)++;
    if (!take_digits(p, 2, &h))
        return "expected an offset like +03:00";
    if ((take_char(p, ':') || is_digit(**p)) && !take_digits(p, 2, &m))
        return "expected an offset like +03:00";
    if (m > 59 || h * 60 + m > MAX_OFFSET_MIN)
        return "offset beyond 14:00";
    *minutes = sign * (h * 60 + m);
    return NULL;
}

/* ".25" is 250000 us; seven digits would need rounding, so they are refused. */
static const char *take_fraction(const char **p, int *us)
{
    int n = 0, v = 0;

    while (is_digit((*p)[n])) {
        if (n == 6)
            return "more than 6 fraction digits";
        v = v * 10 + ((*p)[n] - '0');
        n++;
    }
    if (n == 0)
        return "expected digits after '.'";
    for (int i = n; i < 6; i++)
        v *= 10;
    *p += n;
    *us = v;
    return NULL;
}

int ytime_parse(const char *text, int64_t *out, yerr *e)
{
    const char *p = text;
    const char *why;
    int y, mo, d, h = 0, mi = 0, s = 0, frac = 0, offset = 0;
    bool local = true;

    if (!take_digits(&p, 4, &y) || !take_char(&p, '-') || !take_digits(&p, 2, &mo)
        || !take_char(&p, '-') || !take_digits(&p, 2, &d))
        return bad(e, text, "expected a date like 2026-11-21");
    if (mo < 1 || mo > 12)
        return bad(e, text, "month out of range");
    if (d < 1 || d > ytime_days_in_month(y, mo))
        return bad(e, text, "no such day in that month");

    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (!take_digits(&p, 2, &h) || !take_char(&p, ':') || !take_digits(&p, 2, &mi))
            return bad(e, text, "expected a time like 12:30");
        if (take_char(&p, ':')) {
            if (!take_digits(&p, 2, &s))
                return bad(e, text, "expected seconds after ':'");
            if (take_char(&p, '.') && (why = take_fraction(&p, &frac)))
                return bad(e, text, why);
        }
        if (h > 23)
            return bad(e, text, "hour out of range");
        if (mi > 59)
            return bad(e, text, "minute out of range");
        /* A leap second has no POSIX time of its own; better refused than moved. */
        if (s > 59)
            return bad(e, text, "second out of range");

        if (*p == 'Z' || *p == 'z') {
            p++;
            local = false;
        } else if (*p == '+' || *p == '-') {
            if ((why = take_offset(&p, &offset)))
                return bad(e, text, why);
            local = false;
        }
    }
    if (*p)
        return bad(e, text, "unexpected text after the time");

    if (!local) {
        int64_t secs = ytime_days_from_civil(y, mo, d) * SEC_PER_DAY + h * 3600 + mi * 60 + s
                       - offset * 60;
        *out = secs * US_PER_SEC + frac;
        return 0;
    }

    /* Local time has to follow TZ's rules, DST included; only mktime knows them. */
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
        .tm_hour = h, .tm_min = mi, .tm_sec = s,
        .tm_isdst = -1,
        .tm_wday = -1, /* mktime's -1 is also a real time; this tells failure apart */
    };
    time_t t = mktime(&tm);
    if (t == (time_t)-1 && tm.tm_wday == -1)
        return bad(e, text, "not representable in local time");
    *out = (int64_t)t * US_PER_SEC + frac;
    return 0;
}

/* Writes the text through the seconds and returns its length and the microseconds. */
static int format_seconds(int64_t us, char buf[YTIME_BUF], int *frac)
{
    /* Floor division, so times before 1970 still print as valid dates. */
    int64_t secs = us / US_PER_SEC, sub = us % US_PER_SEC;
    if (sub < 0) {
        sub += US_PER_SEC;
        secs--;
    }
    int64_t days = secs / SEC_PER_DAY, sod = secs % SEC_PER_DAY;
    if (sod < 0) {
        sod += SEC_PER_DAY;
        days--;
    }
    int y, m, d;
    ytime_civil_from_days(days, &y, &m, &d);
    *frac = (int)sub;
    /* Even int64's extremes (years of 6 digits and a sign) fit in YTIME_BUF. */
    return snprintf(buf, YTIME_BUF, "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d,
                    (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
}

void ytime_format(int64_t us, char buf[YTIME_BUF])
{
    int frac;
    int n = format_seconds(us, buf, &frac);
    snprintf(buf + n, YTIME_BUF - (size_t)n, ".%06dZ", frac);
}

void ytime_format_short(int64_t us, char buf[YTIME_BUF])
{
    int frac;
    int n = format_seconds(us, buf, &frac);
    if (frac == 0)
        snprintf(buf + n, YTIME_BUF - (size_t)n, "Z");
    else if (frac % 1000 == 0)
        snprintf(buf + n, YTIME_BUF - (size_t)n, ".%03dZ", frac / 1000);
    else
        snprintf(buf + n, YTIME_BUF - (size_t)n, ".%06dZ", frac);
}

int64_t ytime_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * US_PER_SEC + ts.tv_nsec / 1000;
}
