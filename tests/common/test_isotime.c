#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "isotime.h"

#define SEC INT64_C(1000000)

struct good {
    const char *text;
    const char *want; /* canonical UTC form */
};

static void check_good(const struct good *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        yerr e;
        int64_t us = 0;
        char got[YTIME_BUF];

        yerr_clear(&e);
        if (ytime_parse(cases[i].text, &us, &e) != 0)
            fail_msg("'%s' refused: %s", cases[i].text, e.msg);
        ytime_format(us, got);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("'%s' parsed as %s, want %s", cases[i].text, got, cases[i].want);
    }
}

/* Zone-dependent cases need the zone's rules; without tzdata they are skipped. */
static void use_tz(const char *zone)
{
    char path[256];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", zone);
    if (access(path, R_OK) != 0)
        skip();
    setenv("TZ", zone, 1);
    tzset();
}

static int reset_tz(void **state)
{
    (void)state;
    unsetenv("TZ");
    tzset();
    return 0;
}

static void parse_utc_and_offsets(void **state)
{
    (void)state;
    static const struct good cases[] = {
        {"1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000000Z"},
        {"2026-11-21T12:30:00Z", "2026-11-21T12:30:00.000000Z"},
        {"2026-11-21t12:30:00z", "2026-11-21T12:30:00.000000Z"},
        {"2026-11-21T12:30:00+03:00", "2026-11-21T09:30:00.000000Z"},
        {"2026-11-21T12:30:00+0300", "2026-11-21T09:30:00.000000Z"},
        {"2026-11-21T12:30:00+03", "2026-11-21T09:30:00.000000Z"},
        {"2026-11-21T12:30:00-05:30", "2026-11-21T18:00:00.000000Z"},
        {"2026-11-21T12:30:00-00:00", "2026-11-21T12:30:00.000000Z"},
        {"2026-11-21T12:30:00+14:00", "2026-11-20T22:30:00.000000Z"},
        {"2026-11-21T01:00:00+03:00", "2026-11-20T22:00:00.000000Z"},
        {"2026-12-31T23:30:00-01:00", "2027-01-01T00:30:00.000000Z"},
        {"2026-11-21T12:30:00.250+03:00", "2026-11-21T09:30:00.250000Z"},
        {"2026-11-21 12:30:00Z", "2026-11-21T12:30:00.000000Z"},
        {"2026-11-21T12:30Z", "2026-11-21T12:30:00.000000Z"},
        {"2026-11-21 12:30+03:00", "2026-11-21T09:30:00.000000Z"},
        {"2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000000Z"},
        {"2000-02-29T00:00:00Z", "2000-02-29T00:00:00.000000Z"},
        {"9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"},
    };
    check_good(cases, sizeof cases / sizeof cases[0]);
}

static void parse_fractions(void **state)
{
    (void)state;
    static const struct good cases[] = {
        {"2026-11-21T12:30:00.2Z", "2026-11-21T12:30:00.200000Z"},
        {"2026-11-21T12:30:00.25Z", "2026-11-21T12:30:00.250000Z"},
        {"2026-11-21T12:30:00.025Z", "2026-11-21T12:30:00.025000Z"},
        {"2026-11-21T12:30:00.1234Z", "2026-11-21T12:30:00.123400Z"},
        {"2026-11-21T12:30:00.00001Z", "2026-11-21T12:30:00.000010Z"},
        {"2026-11-21T12:30:00.000001Z", "2026-11-21T12:30:00.000001Z"},
        {"2026-11-21T12:30:00.999999Z", "2026-11-21T12:30:00.999999Z"},
        {"2026-11-21T12:30:00.000000Z", "2026-11-21T12:30:00.000000Z"},
    };
    check_good(cases, sizeof cases / sizeof cases[0]);
}

static void parse_exact_values(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t us;
    } cases[] = {
        {"1970-01-01T00:00:00Z", 0},
        {"1970-01-01T00:00:00.000001Z", 1},
        {"2026-11-21T12:30:00Z", 1795264200 * SEC},
        {"2026-11-21T12:30:00.250+03:00", 1795253400 * SEC + 250000},
        {"2024-02-29T00:00:00Z", 1709164800 * SEC},
        {"9999-12-31T23:59:59Z", INT64_C(253402300799) * SEC},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        yerr e;
        int64_t us = -1;
        yerr_clear(&e);
        assert_int_equal(ytime_parse(cases[i].text, &us, &e), 0);
        assert_int_equal(us, cases[i].us);
    }
}

static void parse_rejects(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "",
        "abc",
        "now",
        "2026",
        "2026-11",
        "2026-1-05",
        "2026-11-5",
        "26-11-21",
        "20261121",
        " 2026-11-21",
        "2026-11-21 ",
        "2026-11-21x",
        "2026-11-21Z",
        "2026-11-21T",
        "2026-11-21T12",
        "2026-11-21T1230",
        "2026-11-21T12:3",
        "2026-11-21T12:30:",
        "2026-11-21T12:30:0Z",
        "2026-11-21T12:30:00 Z",
        "2026-11-21T12:30:00Zjunk",
        "2026-00-10",
        "2026-13-01",
        "2026-11-00",
        "2026-11-31",
        "2026-04-31",
        "2023-02-29",
        "1900-02-29",
        "2026-11-21T24:00:00Z",
        "2026-11-21T12:60:00Z",
        "2026-11-21T12:30:60Z",
        "2026-11-21T12:30:00.Z",
        "2026-11-21T12:30:00.",
        "2026-11-21T12:30:00.1234567Z",
        "2026-11-21T12:30:00.0000000",
        "2026-11-21T12:30.5Z",
        "2026-11-21T12:30:00+3",
        "2026-11-21T12:30:00+03:0",
        "2026-11-21T12:30:00+030",
        "2026-11-21T12:30:00+03:60",
        "2026-11-21T12:30:00+14:01",
        "2026-11-21T12:30:00+15",
        "2026-11-21T12:30:00+",
        "2026-11-21T12:30:00+03:00Z",
        "2026-11-21T12:30:00Z+03:00",
        "2026\xff-11-21",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        yerr e;
        int64_t us = 42;
        yerr_clear(&e);
        int rc = ytime_parse(cases[i], &us, &e);
        if (rc != YERR_USAGE || e.code != YERR_USAGE)
            fail_msg("'%s' gave %d, want YERR_USAGE", cases[i], rc);
        if (!strstr(e.msg, "invalid time"))
            fail_msg("'%s' message: %s", cases[i], e.msg);
        assert_true(e.hint[0] != '\0');
        assert_int_equal(us, 42);
    }
}

static void reject_names_input_and_reason(void **state)
{
    (void)state;
    yerr e;
    int64_t us;

    yerr_clear(&e);
    assert_int_equal(ytime_parse("2023-02-29", &us, &e), YERR_USAGE);
    assert_non_null(strstr(e.msg, "'2023-02-29'"));
    assert_non_null(strstr(e.msg, "day"));

    yerr_clear(&e);
    assert_int_equal(ytime_parse("2026-11-21T12:30:00.1234567Z", &us, &e), YERR_USAGE);
    assert_non_null(strstr(e.msg, "6 fraction digits"));

    /* Long junk is cut so the reason still fits. */
    char junk[4000];
    memset(junk, 'x', sizeof junk - 1);
    junk[sizeof junk - 1] = '\0';
    yerr_clear(&e);
    assert_int_equal(ytime_parse(junk, &us, &e), YERR_USAGE);
    assert_non_null(strstr(e.msg, "expected a date"));
}

static void parse_local_utc(void **state)
{
    (void)state;
    /* A POSIX TZ string needs no tzdata, so this case always runs. */
    setenv("TZ", "UTC0", 1);
    tzset();
    static const struct good cases[] = {
        {"2026-11-21", "2026-11-21T00:00:00.000000Z"},
        {"2026-11-21T12:30:00", "2026-11-21T12:30:00.000000Z"},
        {"2026-11-21 12:30", "2026-11-21T12:30:00.000000Z"},
        {"2026-11-21T12:30:00.000250", "2026-11-21T12:30:00.000250Z"},
        {"1970-01-01", "1970-01-01T00:00:00.000000Z"},
        {"9999-12-31T23:59:59", "9999-12-31T23:59:59.000000Z"},
    };
    check_good(cases, sizeof cases / sizeof cases[0]);
}

static void parse_local_istanbul(void **state)
{
    (void)state;
    use_tz("Europe/Istanbul");
    static const struct good cases[] = {
        {"2026-11-21", "2026-11-20T21:00:00.000000Z"},
        {"2026-11-21T12:30:00", "2026-11-21T09:30:00.000000Z"},
        {"2026-11-21 12:30", "2026-11-21T09:30:00.000000Z"},
        {"2026-11-21T12:30:00.250", "2026-11-21T09:30:00.250000Z"},
        {"2026-07-01T12:00:00", "2026-07-01T09:00:00.000000Z"},
        /* A zone in the text wins over TZ. */
        {"2026-11-21T12:30:00Z", "2026-11-21T12:30:00.000000Z"},
    };
    check_good(cases, sizeof cases / sizeof cases[0]);
}

static void parse_local_new_york_dst(void **state)
{
    (void)state;
    use_tz("America/New_York");
    static const struct good cases[] = {
        {"2026-03-08T01:30:00", "2026-03-08T06:30:00.000000Z"}, /* EST, before the change */
        {"2026-03-08T03:30:00", "2026-03-08T07:30:00.000000Z"}, /* EDT, after it */
        {"2026-07-01T12:00:00", "2026-07-01T16:00:00.000000Z"},
        {"2026-11-01T03:00:00", "2026-11-01T08:00:00.000000Z"}, /* EST again */
        {"2026-12-25", "2026-12-25T05:00:00.000000Z"},
        {"2026-07-04", "2026-07-04T04:00:00.000000Z"},
    };
    check_good(cases, sizeof cases / sizeof cases[0]);
}

static void format_fixed(void **state)
{
    (void)state;
    static const struct {
        int64_t us;
        const char *full, *brief;
    } cases[] = {
        {0, "1970-01-01T00:00:00.000000Z", "1970-01-01T00:00:00Z"},
        {1, "1970-01-01T00:00:00.000001Z", "1970-01-01T00:00:00.000001Z"},
        {1000, "1970-01-01T00:00:00.001000Z", "1970-01-01T00:00:00.001Z"},
        {250000, "1970-01-01T00:00:00.250000Z", "1970-01-01T00:00:00.250Z"},
        {250001, "1970-01-01T00:00:00.250001Z", "1970-01-01T00:00:00.250001Z"},
        {-1, "1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999999Z"},
        {-SEC, "1969-12-31T23:59:59.000000Z", "1969-12-31T23:59:59Z"},
        {951782400 * SEC, "2000-02-29T00:00:00.000000Z", "2000-02-29T00:00:00Z"},
        {1795264200 * SEC + 250000, "2026-11-21T12:30:00.250000Z", "2026-11-21T12:30:00.250Z"},
        {INT64_C(253402300799) * SEC + 999999, "9999-12-31T23:59:59.999999Z",
         "9999-12-31T23:59:59.999999Z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[YTIME_BUF];
        ytime_format(cases[i].us, buf);
        assert_string_equal(buf, cases[i].full);
        ytime_format_short(cases[i].us, buf);
        assert_string_equal(buf, cases[i].brief);
    }
}

static void format_extremes_fit(void **state)
{
    (void)state;
    static const int64_t cases[] = {INT64_MIN, INT64_MIN + 1, INT64_MAX, -SEC * 86400 * 366};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[YTIME_BUF];
        ytime_format(cases[i], buf);
        assert_true(strlen(buf) < YTIME_BUF);
        assert_int_equal(buf[strlen(buf) - 1], 'Z');
        ytime_format_short(cases[i], buf);
        assert_int_equal(buf[strlen(buf) - 1], 'Z');
    }
}

static void round_trip(void **state)
{
    (void)state;
    static const int64_t cases[] = {
        0,
        1,
        999999,
        SEC,
        1000,
        250000,
        951782400 * SEC,
        1709164800 * SEC + 123456,
        1795264200 * SEC + 250000,
        1795264200 * SEC + 86399 * SEC + 999999,
        INT64_C(253402300799) * SEC + 999999,
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char full[YTIME_BUF], brief[YTIME_BUF];
        int64_t a = -1, b = -1;
        yerr e;

        yerr_clear(&e);
        ytime_format(cases[i], full);
        ytime_format_short(cases[i], brief);
        assert_int_equal(ytime_parse(full, &a, &e), 0);
        assert_int_equal(ytime_parse(brief, &b, &e), 0);
        assert_int_equal(a, cases[i]);
        assert_int_equal(b, cases[i]);
    }
}

static void now_is_plausible(void **state)
{
    (void)state;
    int64_t now = ytime_now();
    int64_t t = (int64_t)time(NULL);
    assert_true(now > 1704067200 * SEC); /* 2024-01-01 */
    assert_in_range(now / SEC, t - 2, t + 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_utc_and_offsets),
        cmocka_unit_test(parse_fractions),
        cmocka_unit_test(parse_exact_values),
        cmocka_unit_test(parse_rejects),
        cmocka_unit_test(reject_names_input_and_reason),
        cmocka_unit_test_teardown(parse_local_utc, reset_tz),
        cmocka_unit_test_teardown(parse_local_istanbul, reset_tz),
        cmocka_unit_test_teardown(parse_local_new_york_dst, reset_tz),
        cmocka_unit_test(format_fixed),
        cmocka_unit_test(format_extremes_fit),
        cmocka_unit_test(round_trip),
        cmocka_unit_test(now_is_plausible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
