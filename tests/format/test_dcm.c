/* test_dcm.c: the Differential Change Map file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "dcm.h"

#define EXT ((uint64_t)FMT_DCM_EXTENT)

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Recompute both checksums of an encoded map edited by hand, so that the
 * decoder's other checks are the ones exercised. */
static void reseal(uint8_t *b, size_t len)
{
    put_le(b + 48, XXH3_64bits(b + FMT_DCM_HDR, len - FMT_DCM_HDR), 8);
    put_le(b + 56, XXH3_64bits(b, 56), 8);
}

static void expect_refused(const uint8_t *b, size_t len, const char *why)
{
    fmt_dcm d;
    yerr e;
    yerr_clear(&e);
    assert_int_equal(fmt_dcm_decode(b, len, &d, &e), YERR_FAIL);
    if (!strstr(e.msg, why))
        fail_msg("expected \"%s\" in \"%s\"", why, e.msg);
    assert_null(d.bits);
    fmt_dcm_free(&d);
}

static void test_mark_and_count(void **state)
{
    fmt_dcm d;
    yerr e;
    (void)state;

    assert_int_equal(fmt_dcm_init(&d, 10, 3, 500, &e), 0);
    assert_true(d.trusted);
    assert_int_equal(d.n_extents, 10);
    assert_int_equal(fmt_dcm_count(&d), 0);
    assert_int_equal(fmt_dcm_mark_offset(&d, 0, &e), 0);
    assert_int_equal(fmt_dcm_mark_offset(&d, EXT - 1, &e), 0); /* same extent */
    assert_int_equal(fmt_dcm_mark_offset(&d, 9 * EXT + 4096, &e), 0);
    assert_int_equal(fmt_dcm_mark_offset(&d, 8 * EXT, &e), 0);
    assert_int_equal(fmt_dcm_count(&d), 3);
    assert_true(fmt_dcm_is_set(&d, 0));
    assert_false(fmt_dcm_is_set(&d, 1));
    assert_true(fmt_dcm_is_set(&d, 8));
    assert_true(fmt_dcm_is_set(&d, 9));
    /* past the map nothing is proven unchanged */
    assert_true(fmt_dcm_is_set(&d, 10));
    assert_true(fmt_dcm_is_set(&d, UINT32_MAX));

    /* the database grew: the map follows */
    assert_int_equal(fmt_dcm_mark_offset(&d, 20 * EXT, &e), 0);
    assert_int_equal(d.n_extents, 21);
    assert_false(fmt_dcm_is_set(&d, 15));
    assert_true(fmt_dcm_is_set(&d, 20));
    assert_int_equal(fmt_dcm_count(&d), 4);
    assert_int_equal(fmt_dcm_grow(&d, 5, &e), 0); /* never shrinks */
    assert_int_equal(d.n_extents, 21);
    assert_int_equal(fmt_dcm_grow(&d, 1000, &e), 0);
    assert_int_equal(fmt_dcm_count(&d), 4);
    assert_false(fmt_dcm_is_set(&d, 999));

    assert_int_equal(fmt_dcm_grow(&d, FMT_DCM_MAX_EXTENTS + 1, &e), YERR_FAIL);
    assert_int_equal(fmt_dcm_mark_offset(&d, (uint64_t)FMT_DCM_MAX_EXTENTS * EXT, &e),
                     YERR_FAIL);
    assert_int_equal(fmt_dcm_mark_offset(&d, UINT64_MAX, &e), YERR_FAIL);
    assert_int_equal(d.n_extents, 1000);
    fmt_dcm_free(&d);
    assert_int_equal(fmt_dcm_init(&d, FMT_DCM_MAX_EXTENTS + 1, 1, 1, &e), YERR_FAIL);
    assert_null(d.bits);
}

static void test_round_trip(void **state)
{
    const uint32_t sizes[] = {0, 1, 7, 8, 9, 64, 1000};
    (void)state;

    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        fmt_dcm d, back;
        uint8_t *buf, *again;
        size_t len, len2;
        yerr e;

        assert_int_equal(fmt_dcm_init(&d, sizes[s], 7, 1234, &e), 0);
        for (uint32_t i = 0; i < sizes[s]; i += 3)
            assert_int_equal(fmt_dcm_mark_offset(&d, i * EXT + 17, &e), 0);
        d.covered_lsn = 5678;
        d.trusted = s % 2;
        assert_int_equal(fmt_dcm_encode(&d, &buf, &len, &e), 0);
        assert_int_equal(len, FMT_DCM_HDR + (sizes[s] + 7) / 8);
        assert_memory_equal(buf, "YEDEKDCM", 8);
        assert_int_equal(fmt_dcm_decode(buf, len, &back, &e), 0);
        assert_int_equal(back.epoch, 7);
        assert_int_equal(back.base_lsn, 1234);
        assert_int_equal(back.covered_lsn, 5678);
        assert_int_equal(back.trusted, s % 2);
        assert_int_equal(back.n_extents, sizes[s]);
        assert_int_equal(fmt_dcm_count(&back), fmt_dcm_count(&d));
        for (uint32_t i = 0; i < sizes[s]; i++)
            assert_int_equal(fmt_dcm_is_set(&back, i), i % 3 == 0);
        /* one map, one encoding */
        assert_int_equal(fmt_dcm_encode(&back, &again, &len2, &e), 0);
        assert_int_equal(len2, len);
        assert_memory_equal(again, buf, len);
        free(again);
        free(buf);
        fmt_dcm_free(&back);
        fmt_dcm_free(&d);
    }
}

/* An encoded map of 21 extents, 3 bytes of bitmap (3 padding bits). */
static uint8_t *sample(size_t *len)
{
    fmt_dcm d;
    uint8_t *buf;
    yerr e;
    assert_int_equal(fmt_dcm_init(&d, 21, 2, 300, &e), 0);
    assert_int_equal(fmt_dcm_mark_offset(&d, 3 * EXT, &e), 0);
    assert_int_equal(fmt_dcm_mark_offset(&d, 20 * EXT, &e), 0);
    assert_int_equal(fmt_dcm_encode(&d, &buf, len, &e), 0);
    fmt_dcm_free(&d);
    return buf;
}

static void test_truncated(void **state)
{
    size_t len;
    uint8_t *buf = sample(&len);
    (void)state;
    expect_refused(NULL, 0, "shorter");
    for (size_t cut = 0; cut < len; cut++)
        expect_refused(buf, cut, cut < FMT_DCM_HDR ? "shorter" : "bitmap");
    free(buf);
}

static void test_flipped(void **state)
{
    size_t len;
    uint8_t *buf = sample(&len);
    fmt_dcm d;
    yerr e;
    (void)state;
    for (size_t at = 0; at < len; at++) {
        for (int bit = 0; bit < 8; bit++) {
            buf[at] ^= (uint8_t)(1u << bit);
            assert_int_equal(fmt_dcm_decode(buf, len, &d, &e), YERR_FAIL);
            assert_null(d.bits);
            buf[at] ^= (uint8_t)(1u << bit);
        }
    }
    assert_int_equal(fmt_dcm_decode(buf, len, &d, &e), 0);
    fmt_dcm_free(&d);
    free(buf);
}

static void test_invalid_fields(void **state)
{
    size_t len;
    uint8_t *buf = sample(&len), *big;
    (void)state;

    /* n_extents past the bound, with consistent checksums */
    put_le(buf + 44, (uint64_t)FMT_DCM_MAX_EXTENTS + 1, 4);
    reseal(buf, len);
    expect_refused(buf, len, "too large");
    put_le(buf + 44, UINT32_MAX, 4);
    reseal(buf, len);
    expect_refused(buf, len, "too large");
    /* n_extents the file is too short for */
    put_le(buf + 44, 1000, 4);
    reseal(buf, len);
    expect_refused(buf, len, "needs");
    /* or too long for */
    put_le(buf + 44, 8, 4);
    reseal(buf, len);
    expect_refused(buf, len, "needs");
    /* trailing bytes past the bitmap */
    big = calloc(1, len + 5);
    assert_non_null(big);
    free(buf);
    buf = sample(&len);
    memcpy(big, buf, len);
    reseal(big, len + 5);
    expect_refused(big, len + 5, "needs");
    free(big);
    /* a bit set past the last extent */
    buf[FMT_DCM_HDR + 2] |= 0x80;
    reseal(buf, len);
    expect_refused(buf, len, "past its last");
    free(buf);

    buf = sample(&len);
    put_le(buf + 8, 2, 4);
    reseal(buf, len);
    expect_refused(buf, len, "version");
    free(buf);
    buf = sample(&len);
    put_le(buf + 12, 4096, 4);
    reseal(buf, len);
    expect_refused(buf, len, "extent size");
    free(buf);
    buf = sample(&len);
    put_le(buf + 40, 2, 4);
    reseal(buf, len);
    expect_refused(buf, len, "trusted");
    free(buf);
    buf = sample(&len);
    buf[7] = 'X';
    reseal(buf, len);
    expect_refused(buf, len, "magic");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mark_and_count),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_flipped),
        cmocka_unit_test(test_invalid_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
