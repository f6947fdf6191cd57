/*
 * schedule.c: parsing SPECs and the fire-time arithmetic (see schedule.h).
 *
 * Wall-clock schedules are searched in "wall seconds": a local date and
 * time counted as if it were UTC (days since 1970-01-01 * 86400 + time of
 * day).  Two functions tie wall seconds to instants, and hold all of the
 * DST rules:
 *
 *   instant_of_slot(w)  the instant slot w fires at: its only occurrence,
 *                       its first one, or the end of the gap it falls in;
 *   wall_max(t)         the greatest wall reading at any instant <= t.
 *
 * instant_of_slot is non-decreasing in w, and instant_of_slot(w) <= t
 * exactly when w <= wall_max(t).  So the first fire after t is the first matching slot
 * whose wall time is > wall_max(t), and the last fire at or before t is the
 * last matching slot <= wall_max(t): a calendar search over dates that never
 * looks at zones, plus a handful of localtime_r calls.  For UTC both maps
 * are the identity.
 */
#include "schedule.h"

#include "isotime.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define US_PER_SEC INT64_C(1000000)
#define SEC_PER_DAY INT64_C(86400)
#define MAX_INTERVAL_S (366 * SEC_PER_DAY)

#define ALL_MINUTES ((UINT64_C(1) << 60) - 1)
#define ALL_HOURS ((UINT32_C(1) << 24) - 1)
#define ALL_MDAYS (((UINT32_C(1) << 31) - 1) << 1)
#define ALL_MONTHS ((uint16_t)(((1u << 12) - 1) << 1))
#define ALL_WDAYS ((uint8_t)0x7f)

/* Enough for every real gap in fire times (Feb 29 across 2100: 8 years). */
#define HORIZON_DAYS (11 * 366)

/* ---- calendar arithmetic (H. Hinnant's algorithms, as in isotime.c) ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* 0 = Sunday; day 0 (1970-01-01) was a Thursday. */
static int weekday(int64_t days)
{
    int64_t w = (days + 4) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

/* The range the search covers: 1800-01-01 to 9999-01-01, in seconds. */
#define MIN_S (INT64_C(-5364662400))
#define MAX_S (INT64_C(253370764800))

/* ---- the calendar search over wall seconds ---- */

static bool day_matches(const cat_sched *s, int64_t days, int d)
{
    bool dom = s->mdays >> d & 1;
    bool dow = s->wdays >> weekday(days) & 1;
    if (s->mdays == ALL_MDAYS || s->wdays == ALL_WDAYS)
        return dom && dow;
    return dom || dow; /* both restricted: the Vixie rule */
}

static int lowest(uint64_t bits)
{
    return __builtin_ctzll(bits);
}

static int highest(uint64_t bits)
{
    return 63 - __builtin_clzll(bits);
}

/* The first matching slot at or after wall second w (minute-aligned). */
static bool slot_at_or_after(const cat_sched *s, int64_t w, int64_t *out)
{
    int64_t days = floor_div(w, SEC_PER_DAY), end = days + HORIZON_DAYS;
    int64_t sod = w - days * SEC_PER_DAY;
    int h = (int)(sod / 3600), mi = (int)(sod / 60 % 60);

    for (; days <= end; days++, h = 0, mi = 0) {
        int y, m, d;
        ytime_civil_from_days(days, &y, &m, &d);
        if (!(s->months >> m & 1)) {
            days += ytime_days_in_month(y, m) - d; /* to the month's last day */
            continue;
        }
        if (!day_matches(s, days, d))
            continue;
        uint64_t hm = (uint64_t)s->hours >> h;
        if (!hm)
            continue;
        if (lowest(hm)) {
            h += lowest(hm);
            mi = 0;
        }
        uint64_t mm = s->minutes >> mi;
        if (mm) {
            mi += lowest(mm);
        } else {
            if (h == 23 || !(hm = (uint64_t)s->hours >> (h + 1)))
                continue;
            h += 1 + lowest(hm);
            mi = lowest(s->minutes);
        }
        *out = days * SEC_PER_DAY + h * 3600 + mi * 60;
        return true;
    }
    return false;
}

/* The last matching slot at or before wall second w (minute-aligned). */
static bool slot_at_or_before(const cat_sched *s, int64_t w, int64_t *out)
{
    int64_t days = floor_div(w, SEC_PER_DAY), end = days - HORIZON_DAYS;
    int64_t sod = w - days * SEC_PER_DAY;
    int h = (int)(sod / 3600), mi = (int)(sod / 60 % 60);

    for (; days >= end; days--, h = 23, mi = 59) {
        int y, m, d;
        ytime_civil_from_days(days, &y, &m, &d);
        if (!(s->months >> m & 1)) {
            days -= d - 1; /* to the month's first day */
            continue;
        }
        if (!day_matches(s, days, d))
            continue;
        uint64_t hm = s->hours & ((UINT64_C(2) << h) - 1);
        if (!hm)
            continue;
        if (highest(hm) != h) {
            h = highest(hm);
            mi = 59;
        }
        uint64_t mm = s->minutes & ((UINT64_C(2) << mi) - 1);
        if (mm) {
            mi = highest(mm);
        } else {
            if (h == 0 || !(hm = s->hours & ((UINT64_C(1) << h) - 1)))
                continue;
            h = highest(hm);
            mi = highest(s->minutes);
        }
        *out = days * SEC_PER_DAY + h * 3600 + mi * 60;
        return true;
    }
    return false;
}

/* ---- wall seconds <-> instants ---- */

/* The UTC offset in seconds at instant t, in the process's local time. */
static int64_t offset_at(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!localtime_r(&tt, &tm))
        return 0;
    return tm.tm_gmtoff;
}

/*
 * Instants that read wall second w lie within [w - 15h, w + 15h] (offsets
 * run from -12:00 to +14:00); with at most one change in that window, the
 * offsets at its two ends are the only candidates.
 */
#define WINDOW_S (15 * INT64_C(3600))

/* The instant slot w fires at (see the DST rules in schedule.h). */
static int64_t instant_of_slot(const cat_sched *s, int64_t w)
{
    if (s->utc)
        return w;
    int64_t oa = offset_at(w - WINDOW_S), ob = offset_at(w + WINDOW_S);
    if (oa == ob)
        return w - oa;
    int64_t ta = w - oa, tb = w - ob;
    bool va = offset_at(ta) == oa, vb = offset_at(tb) == ob;
    if (va && vb)
        return ta < tb ? ta : tb; /* twice: the first occurrence */
    if (va)
        return ta;
    if (vb)
        return tb;
    /* In a gap (ob > oa): the change is in (tb, ta]; find its instant. */
    if (tb >= ta)
        return ta; /* not one change: the zone breaks the assumption */
    int64_t lo = tb, hi = ta;
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (offset_at(mid) == oa)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

/* The greatest wall reading at any instant <= t. */
static int64_t wall_max(const cat_sched *s, int64_t t)
{
    if (s->utc)
        return t;
    int64_t o = offset_at(t), wall = t + o;
    int64_t a = t - SEC_PER_DAY, oa = offset_at(a);
    if (oa <= o)
        return wall; /* no step back in the last day */
    /* The clocks went back at some T in (a, t]: the reading just before. */
    int64_t lo = a, hi = t;
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (offset_at(mid) == oa)
            lo = mid;
        else
            hi = mid;
    }
    int64_t before = lo + oa;
    return before > wall ? before : wall;
}

/* ---- next and latest ---- */

/*
 * The fields a calendar search may use: bits out of range dropped, and
 * false if a field is empty (only a hand-made value can be; it never fires).
 */
static bool usable(const cat_sched *s, cat_sched *c)
{
    *c = *s;
    c->minutes &= ALL_MINUTES;
    c->hours &= ALL_HOURS;
    c->mdays &= ALL_MDAYS;
    c->months &= ALL_MONTHS;
    c->wdays &= ALL_WDAYS;
    return c->minutes && c->hours && c->months && (c->mdays || c->wdays);
}

int64_t cat_sched_next(const cat_sched *s, int64_t after_us)
{
    if (s->form == CAT_SCHED_EVERY) {
        if (s->interval_s <= 0 || s->interval_s > MAX_INTERVAL_S)
            return INT64_MAX;
        int64_t p = s->interval_s * US_PER_SEC, k = floor_div(after_us, p);
        if (k >= INT64_MAX / p - 1)
            return INT64_MAX;
        return (k + 1) * p;
    }
    int64_t after = floor_div(after_us, US_PER_SEC);
    cat_sched c;
    if (after >= MAX_S || !usable(s, &c))
        return INT64_MAX;
    s = &c;
    if (after < MIN_S)
        after = MIN_S;
    int64_t m = wall_max(s, after), w;
    if (!slot_at_or_after(s, floor_div(m, 60) * 60 + 60, &w))
        return INT64_MAX;
    int64_t t = instant_of_slot(s, w);
    if (t >= MAX_S)
        return INT64_MAX;
    return t * US_PER_SEC;
}

int64_t cat_sched_latest(const cat_sched *s, int64_t after_us, int64_t now_us)
{
    int64_t t;
    if (now_us <= after_us)
        return INT64_MIN;
    if (s->form == CAT_SCHED_EVERY) {
        if (s->interval_s <= 0 || s->interval_s > MAX_INTERVAL_S)
            return INT64_MIN;
        int64_t p = s->interval_s * US_PER_SEC;
        if (now_us < INT64_MIN + p)
            return INT64_MIN;
        t = floor_div(now_us, p) * p;
    } else {
        int64_t now = floor_div(now_us, US_PER_SEC), w;
        cat_sched c;
        if (now < MIN_S || !usable(s, &c))
            return INT64_MIN;
        s = &c;
        if (now > MAX_S)
            now = MAX_S;
        if (!slot_at_or_before(s, floor_div(wall_max(s, now), 60) * 60, &w))
            return INT64_MIN;
        t = instant_of_slot(s, w) * US_PER_SEC;
    }
    return t > after_us ? t : INT64_MIN;
}

/* ---- parsing ---- */

static const char *const MONTHS[13] = {
    "", "january", "february", "march", "april", "may", "june", "july",
    "august", "september", "october", "november", "december"};
static const char *const WDAYS[7] = {
    "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};

/* A 3-letter abbreviation or the full name; -1 if neither. */
static int name_index(const char *const *names, int lo, int hi, const char *w, size_t n)
{
    for (int i = lo; i <= hi; i++)
        if ((n == 3 || n == strlen(names[i])) && strncasecmp(w, names[i], n) == 0)
            return i;
    return -1;
}

#define WHY_MAX 256
#define WORDS_MAX 8

typedef struct word {
    const char *p;
    size_t n;
} word;

static bool word_is(word w, const char *lit)
{
    return w.n == strlen(lit) && strncasecmp(w.p, lit, w.n) == 0;
}

/* Digits only, at most 6 of them; -1 otherwise. */
static long number(const char *p, size_t n)
{
    long v = 0;
    if (n == 0 || n > 6)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* "HH:MM" (H may be one digit). */
static bool parse_hhmm(word w, int *h, int *m, char *why)
{
    const char *colon = memchr(w.p, ':', w.n);
    if (!colon || colon == w.p || colon - w.p > 2 || w.p + w.n - colon != 3
        || number(w.p, (size_t)(colon - w.p)) < 0 || number(colon + 1, 2) < 0) {
        snprintf(why, WHY_MAX, "expected a time like 02:00, got '%.*s'", (int)w.n, w.p);
        return false;
    }
    *h = (int)number(w.p, (size_t)(colon - w.p));
    *m = (int)number(colon + 1, 2);
    if (*h > 23) {
        snprintf(why, WHY_MAX, "hour %d in '%.*s' is out of range 0-23", *h, (int)w.n, w.p);
        return false;
    }
    if (*m > 59) {
        snprintf(why, WHY_MAX, "minute %d in '%.*s' is out of range 0-59", *m, (int)w.n, w.p);
        return false;
    }
    return true;
}

static bool parse_every(const word *w, int n, cat_sched *s, char *why)
{
    const char *p, *u;
    size_t len, ulen;
    if (n == 2) {
        p = w[1].p;
        len = w[1].n;
        for (ulen = 0; ulen < len && p[ulen] >= '0' && p[ulen] <= '9'; ulen++)
            ;
        u = p + ulen;
        ulen = len - ulen;
        len -= ulen;
    } else if (n == 3) {
        p = w[1].p;
        len = w[1].n;
        u = w[2].p;
        ulen = w[2].n;
    } else {
        snprintf(why, WHY_MAX, "expected 'every N' and a unit, like 'every 5m'");
        return false;
    }
    long v = number(p, len);
    if (v < 0) {
        snprintf(why, WHY_MAX, "expected a number after 'every', like 'every 5m', got '%.*s'",
                 (int)(w[1].n), w[1].p);
        return false;
    }
    static const struct {
        const char *name;
        int64_t secs;
    } UNITS[] = {
        {"s", 1}, {"sec", 1}, {"secs", 1}, {"second", 1}, {"seconds", 1},
        {"m", 60}, {"min", 60}, {"mins", 60}, {"minute", 60}, {"minutes", 60},
        {"h", 3600}, {"hr", 3600}, {"hrs", 3600}, {"hour", 3600}, {"hours", 3600},
        {"d", 86400}, {"day", 86400}, {"days", 86400},
    };
    int64_t unit = 0;
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++)
        if (word_is((word){u, ulen}, UNITS[i].name))
            unit = UNITS[i].secs;
    if (!unit) {
        if (ulen > 0 && (u[0] == '.' || u[0] == ','))
            snprintf(why, WHY_MAX, "the interval must be a whole number, like 'every 90m'");
        else if (ulen == 0)
            snprintf(why, WHY_MAX, "'every %ld' needs a unit: s, m, h or d", v);
        else
            snprintf(why, WHY_MAX, "unknown unit '%.*s': use s, m, h or d", (int)ulen, u);
        return false;
    }
    if (v == 0) {
        snprintf(why, WHY_MAX, "the interval must be at least 1s");
        return false;
    }
    if (v * unit > MAX_INTERVAL_S) {
        snprintf(why, WHY_MAX, "the interval %ld%.*s is longer than 366 days", v, (int)ulen, u);
        return false;
    }
    s->interval_s = v * unit;
    return true;
}

/* ---- cron fields ---- */

typedef struct field {
    const char *name;
    int lo, hi;      /* the values accepted */
    int star_hi;     /* where * and N/S end (day of week: 6, as 7 is 0) */
    const char *const *names;
    int names_lo, names_hi;
} field;

static const field F_MINUTE = {"minute", 0, 59, 59, NULL, 0, 0};
static const field F_HOUR = {"hour", 0, 23, 23, NULL, 0, 0};
static const field F_MDAY = {"day-of-month", 1, 31, 31, NULL, 0, 0};
static const field F_MONTH = {"month", 1, 12, 12, MONTHS, 1, 12};
static const field F_WDAY = {"day-of-week", 0, 7, 6, WDAYS, 0, 6};

/* A number or a name at *p, ending at a '-', '/', ',' or the end. */
static bool field_value(const field *f, const char **p, const char *end, int *v, char *why,
                        word item)
{
    const char *q = *p;
    while (q < end && *q != '-' && *q != '/' && *q != ',')
        q++;
    size_t n = (size_t)(q - *p);
    long x = number(*p, n);
    if (n == 0) {
        snprintf(why, WHY_MAX, "%s field: '%.*s' is missing a value", f->name, (int)item.n,
                 item.p);
        return false;
    }
    if (x < 0 && f->names)
        x = name_index(f->names, f->names_lo, f->names_hi, *p, n);
    if (x < 0) {
        if (f->names)
            snprintf(why, WHY_MAX, "%s field: '%.*s' is not a number or a %s name",
                     f->name, (int)n, *p, f == &F_MONTH ? "month" : "day");
        else
            snprintf(why, WHY_MAX, "%s field: '%.*s' is not a number", f->name, (int)n, *p);
        return false;
    }
    if (x < f->lo || x > f->hi) {
        snprintf(why, WHY_MAX, "%s field: %ld is out of range %d-%d", f->name, x, f->lo, f->hi);
        return false;
    }
    *v = (int)x;
    *p = q;
    return true;
}

static bool parse_field(const field *f, word w, uint64_t *bits, char *why)
{
    const char *p = w.p, *end = w.p + w.n;
    *bits = 0;
    for (;;) {
        const char *istart = p;
        const char *iend = memchr(p, ',', (size_t)(end - p));
        if (!iend)
            iend = end;
        word item = {istart, (size_t)(iend - istart)};
        int a, b, step = 1;
        bool single = false;
        if (item.n == 0) {
            snprintf(why, WHY_MAX, "%s field '%.*s' has an empty list item", f->name,
                     (int)w.n, w.p);
            return false;
        }
        if (*p == '*') {
            a = f->lo;
            b = f->star_hi;
            p++;
        } else {
            if (!field_value(f, &p, iend, &a, why, item))
                return false;
            b = a;
            single = true;
            if (p < iend && *p == '-') {
                p++;
                if (!field_value(f, &p, iend, &b, why, item))
                    return false;
                single = false;
                if (b < a) {
                    snprintf(why, WHY_MAX, "%s field: the range '%.*s' runs backwards",
                             f->name, (int)item.n, item.p);
                    return false;
                }
            }
        }
        if (p < iend && *p == '/') {
            p++;
            long st = number(p, (size_t)(iend - p));
            if (st < 0) {
                snprintf(why, WHY_MAX, "%s field: expected a step after '/' in '%.*s'",
                         f->name, (int)item.n, item.p);
                return false;
            }
            if (st == 0 || st > f->hi) {
                snprintf(why, WHY_MAX, "%s field: the step %ld in '%.*s' is out of range 1-%d",
                         f->name, st, (int)item.n, item.p, f->hi);
                return false;
            }
            step = (int)st;
            if (single)
                b = f->star_hi;
            p = iend;
        }
        if (p != iend) {
            snprintf(why, WHY_MAX, "%s field: unexpected '%c' in '%.*s'", f->name, *p,
                     (int)item.n, item.p);
            return false;
        }
        for (int v = a; v <= b; v += step)
            *bits |= UINT64_C(1) << (f == &F_WDAY && v == 7 ? 0 : v);
        if (iend == end)
            return true;
        p = iend + 1;
    }
}

static bool parse_cron(const word *w, cat_sched *s, char *why)
{
    uint64_t b[5];
    const field *fs[5] = {&F_MINUTE, &F_HOUR, &F_MDAY, &F_MONTH, &F_WDAY};
    for (int i = 0; i < 5; i++)
        if (!parse_field(fs[i], w[i], &b[i], why))
            return false;
    s->minutes = b[0];
    s->hours = (uint32_t)b[1];
    s->mdays = (uint32_t)b[2];
    s->months = (uint16_t)b[3];
    s->wdays = (uint8_t)b[4];
    /* Only the day-of-month rule (both day fields unrestricted is always
     * fine; a restricted weekday ORs in days of every month) can never fire. */
    if (s->wdays == ALL_WDAYS) {
        for (int m = 1; m <= 12; m++)
            if ((s->months >> m & 1)
                && (s->mdays & ((UINT64_C(2) << (m == 2 ? 29 : ytime_days_in_month(2001, m))) - 1)))
                return true;
        snprintf(why, WHY_MAX, "it never fires: day-of-month '%.*s' does not occur in month '%.*s'",
                 (int)w[2].n, w[2].p, (int)w[3].n, w[3].p);
        return false;
    }
    return true;
}

static void set_time(cat_sched *s, int h, int m)
{
    s->minutes = UINT64_C(1) << m;
    s->hours = UINT32_C(1) << h;
}

static bool parse_words(word *w, int n, cat_sched *s, char *why)
{
    int h, m;
    if (word_is(w[0], "every")) {
        s->form = CAT_SCHED_EVERY;
        s->utc = 0;
        return parse_every(w, n, s, why);
    }
    s->hours = ALL_HOURS;
    s->mdays = ALL_MDAYS;
    s->months = ALL_MONTHS;
    s->wdays = ALL_WDAYS;
    if (word_is(w[0], "hourly")) {
        s->form = CAT_SCHED_HOURLY;
        long mm = 0;
        if (n > 2) {
            snprintf(why, WHY_MAX, "expected 'hourly' or 'hourly :MM'");
            return false;
        }
        if (n == 2 && (w[1].n < 2 || w[1].n > 3 || w[1].p[0] != ':'
                       || (mm = number(w[1].p + 1, w[1].n - 1)) < 0)) {
            snprintf(why, WHY_MAX, "expected a minute like :15 after 'hourly', got '%.*s'",
                     (int)w[1].n, w[1].p);
            return false;
        }
        if (mm > 59) {
            snprintf(why, WHY_MAX, "minute %ld is out of range 0-59", mm);
            return false;
        }
        s->minutes = UINT64_C(1) << mm;
        return true;
    }
    if (word_is(w[0], "daily")) {
        s->form = CAT_SCHED_DAILY;
        if (n != 2) {
            snprintf(why, WHY_MAX, "expected 'daily HH:MM', like 'daily 02:00'");
            return false;
        }
        if (!parse_hhmm(w[1], &h, &m, why))
            return false;
        set_time(s, h, m);
        return true;
    }
    if (word_is(w[0], "weekly")) {
        s->form = CAT_SCHED_WEEKLY;
        if (n != 3) {
            snprintf(why, WHY_MAX, "expected 'weekly DAY HH:MM', like 'weekly sun 01:00'");
            return false;
        }
        int d = name_index(WDAYS, 0, 6, w[1].p, w[1].n);
        if (d < 0) {
            snprintf(why, WHY_MAX, "'%.*s' is not a day of the week (sun, mon, ... sat)",
                     (int)w[1].n, w[1].p);
            return false;
        }
        if (!parse_hhmm(w[2], &h, &m, why))
            return false;
        s->wdays = (uint8_t)(1u << d);
        set_time(s, h, m);
        return true;
    }
    if (word_is(w[0], "monthly")) {
        s->form = CAT_SCHED_MONTHLY;
        if (n != 3) {
            snprintf(why, WHY_MAX, "expected 'monthly D HH:MM', like 'monthly 1 03:00'");
            return false;
        }
        long d = number(w[1].p, w[1].n);
        if (d < 1 || d > 31) {
            snprintf(why, WHY_MAX, "'%.*s' is not a day of the month (1-31)", (int)w[1].n,
                     w[1].p);
            return false;
        }
        if (!parse_hhmm(w[2], &h, &m, why))
            return false;
        s->mdays = UINT32_C(1) << d;
        set_time(s, h, m);
        return true;
    }
    char c = w[0].p[0];
    bool cronish = (c >= '0' && c <= '9') || c == '*';
    if (n == 5) {
        s->form = CAT_SCHED_CRON;
        return parse_cron(w, s, why);
    }
    if (cronish)
        snprintf(why, WHY_MAX, "a cron expression has 5 fields (minute hour day-of-month "
                               "month day-of-week), this has %d", n);
    else
        snprintf(why, WHY_MAX, "unknown schedule '%.*s': expected every, hourly, daily, "
                               "weekly, monthly or a 5-field cron expression",
                 (int)w[0].n, w[0].p);
    return false;
}

static bool is_utc_name(const char *p, size_t n)
{
    return word_is((word){p, n}, "utc") || word_is((word){p, n}, "etc/utc");
}

/* "Europe/Paris", not a cron field such as "*\/5" or "mon/2". */
static bool looks_like_zone(word w)
{
    const char *slash = memchr(w.p, '/', w.n);
    if (!slash || slash + 1 == w.p + w.n)
        return false;
    char c = (char)(slash[1] | 0x20);
    return c >= 'a' && c <= 'z';
}

/* Strip the zone words: "TZ=UTC " / "CRON_TZ=UTC " first, "utc"/"local" last. */
static bool parse_zone(word *w, int *n, cat_sched *s, char *why)
{
    bool given = false;
    for (int k = 0; k < 2 && *n > 0; k++) {
        const char *eq = memchr(w[0].p, '=', w[0].n);
        if (!eq)
            break;
        size_t kn = (size_t)(eq - w[0].p), vn = w[0].n - kn - 1;
        if (!word_is((word){w[0].p, kn}, "tz") && !word_is((word){w[0].p, kn}, "cron_tz"))
            break;
        if (!is_utc_name(eq + 1, vn)) {
            snprintf(why, WHY_MAX, "zone '%.*s' is not supported: only UTC or local time",
                     (int)vn, eq + 1);
            return false;
        }
        if (given) {
            snprintf(why, WHY_MAX, "the zone is given twice");
            return false;
        }
        given = true;
        s->utc = 1;
        memmove(w, w + 1, (size_t)(*n - 1) * sizeof *w);
        (*n)--;
    }
    if (*n > 1 && looks_like_zone(w[*n - 1]) && !is_utc_name(w[*n - 1].p, w[*n - 1].n)) {
        snprintf(why, WHY_MAX, "zone '%.*s' is not supported: only UTC or local time",
                 (int)w[*n - 1].n, w[*n - 1].p);
        return false;
    }
    if (*n > 1 && (is_utc_name(w[*n - 1].p, w[*n - 1].n) || word_is(w[*n - 1], "local"))) {
        if (given) {
            snprintf(why, WHY_MAX, "the zone is given twice");
            return false;
        }
        s->utc = !word_is(w[*n - 1], "local");
        (*n)--;
    }
    if (*n == 0) {
        snprintf(why, WHY_MAX, "nothing but a zone");
        return false;
    }
    return true;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int cat_sched_parse(const char *spec, cat_sched *out, yerr *e)
{
    word w[WORDS_MAX];
    int n = 0;
    char why[WHY_MAX];
    cat_sched s;
    const char *p = spec;

    memset(&s, 0, sizeof s);
    for (;;) {
        while (is_blank(*p))
            p++;
        if (!*p)
            break;
        if (n == WORDS_MAX) {
            snprintf(why, WHY_MAX, "too many words");
            goto bad;
        }
        w[n].p = p;
        while (*p && !is_blank(*p))
            p++;
        w[n].n = (size_t)(p - w[n].p);
        n++;
    }
    if (n == 0) {
        snprintf(why, WHY_MAX, "it is empty");
        goto bad;
    }
    if (!parse_zone(w, &n, &s, why) || !parse_words(w, n, &s, why))
        goto bad;
    if (s.form == CAT_SCHED_EVERY)
        s.utc = 0;
    *out = s;
    return 0;
bad:
    yerr_set(e, YERR_USAGE, "invalid schedule '%.100s': %s", spec, why);
    yerr_hint(e, "write e.g. 'every 5m', 'hourly :15', 'daily 02:00', 'weekly sun 01:00', "
                 "'monthly 1 03:00' or '*/15 * * * *'; add ' utc' for UTC wall-clock times");
    return YERR_USAGE;
}

/* ---- formatting ---- */

typedef struct out {
    char *buf;
    size_t size, len;
} out;

static void put(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(out *o, const char *fmt, ...)
{
    va_list ap;
    if (o->len >= o->size)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

/* One cron field: *, *\/S, A-B/S, or a list of numbers and A-B runs. */
static void put_field(out *o, uint64_t bits, int lo, int hi)
{
    uint64_t all = ((UINT64_C(2) << hi) - 1) & ~((UINT64_C(1) << lo) - 1);
    int v[64], n = 0;
    bits &= all;
    if (bits == all) {
        put(o, "*");
        return;
    }
    for (int i = lo; i <= hi; i++)
        if (bits >> i & 1)
            v[n++] = i;
    if (n == 0) {
        put(o, "%d", lo); /* not produced by the parser */
        return;
    }
    int step = n > 1 ? v[1] - v[0] : 0;
    bool progression = step > 1;
    for (int i = 2; i < n && progression; i++)
        progression = v[i] - v[i - 1] == step;
    if (progression && n >= 3 && v[0] == lo && v[n - 1] + step > hi) {
        put(o, "*/%d", step);
        return;
    }
    if (progression && n >= 4) {
        put(o, "%d-%d/%d", v[0], v[n - 1], step);
        return;
    }
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && v[j + 1] == v[j] + 1)
            j++;
        if (j - i >= 2) {
            put(o, "%s%d-%d", i ? "," : "", v[i], v[j]);
            i = j + 1;
        } else {
            put(o, "%s%d", i ? "," : "", v[i]);
            i++;
        }
    }
}

void cat_sched_format(const cat_sched *s, char *buf, size_t size)
{
    static const char WD[7][4] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    out o = {buf, size, 0};
    int mi = s->minutes ? lowest(s->minutes) : 0, h = s->hours ? lowest(s->hours) : 0;

    if (size == 0)
        return;
    buf[0] = '\0';
    switch (s->form) {
    case CAT_SCHED_EVERY: {
        int64_t v = s->interval_s;
        const char *u = "s";
        if (v > 0 && v % 86400 == 0)
            v /= 86400, u = "d";
        else if (v > 0 && v % 3600 == 0)
            v /= 3600, u = "h";
        else if (v > 0 && v % 60 == 0)
            v /= 60, u = "m";
        put(&o, "every %lld%s", (long long)v, u);
        return;
    }
    case CAT_SCHED_HOURLY:
        put(&o, "hourly :%02d", mi);
        break;
    case CAT_SCHED_DAILY:
        put(&o, "daily %02d:%02d", h, mi);
        break;
    case CAT_SCHED_WEEKLY:
        put(&o, "weekly %s %02d:%02d", WD[s->wdays ? lowest(s->wdays) % 7 : 0], h, mi);
        break;
    case CAT_SCHED_MONTHLY:
        put(&o, "monthly %d %02d:%02d", s->mdays ? lowest(s->mdays) : 1, h, mi);
        break;
    default:
        put_field(&o, s->minutes, 0, 59);
        put(&o, " ");
        put_field(&o, s->hours, 0, 23);
        put(&o, " ");
        put_field(&o, s->mdays, 1, 31);
        put(&o, " ");
        put_field(&o, s->months, 1, 12);
        put(&o, " ");
        put_field(&o, s->wdays, 0, 6);
        break;
    }
    if (s->utc)
        put(&o, " utc");
}
