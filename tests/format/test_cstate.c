/* test_cstate.c: the capture state file: round trip, and any damage refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "cstate.h"

static fmt_cstate sample(void)
{
    fmt_cstate s;
    memset(&s, 0, sizeof s);
    strcpy(s.guid, "7d4f2b3e-9c1a-4e5b-8f60-2a7c9d1e3b54");
    strcpy(s.fork_guid, "0b6e8f12-3c4d-4a5b-9e7f-1c2d3e4f5a6b");
    strcpy(s.name, "pos");
    s.recovery = FMT_RECOVERY_FULL;
    s.page_size = 4096;
    s.db_ino = 123456;
    s.created = 1795132800000000;
    s.broken = 1;
    strcpy(s.break_reason, "a reason with\na newline");
    s.break_lsn = 42;
    s.next_lsn = 43;
    s.log_end = 99999;
    s.db_pages = 7;
    s.cksum_known = 1;
    s.db_cksum = UINT64_MAX;
    s.gen_known = 1;
    s.wal.salt1 = 0xdeadbeef;
    s.wal.frame = 1000;
    s.hashes_lsn = 43;
    s.stamp_mtime_ns = -5;
    return s;
}

static void test_round_trip(void **state)
{
    fmt_cstate in = sample(), out;
    char buf[4096];
    int n;
    yerr e;
    (void)state;
    yerr_clear(&e);
    n = fmt_cstate_encode(&in, buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal(fmt_cstate_decode(buf, (size_t)n, &out, &e), 0);
    /* A newline in text cannot survive: it would end the line. */
    strcpy(in.break_reason, "a reason with a newline");
    assert_memory_equal(&in, &out, sizeof in);
    assert_int_equal(fmt_cstate_encode(&in, buf, 16), -1);
}

static void test_every_flip_and_cut_refused(void **state)
{
    fmt_cstate in = sample(), out;
    char buf[4096], bad[4096];
    int n;
    yerr e;
    (void)state;
    n = fmt_cstate_encode(&in, buf, sizeof buf);
    for (int i = 0; i < n; i++) {
        memcpy(bad, buf, (size_t)n);
        bad[i] ^= 0x01;
        yerr_clear(&e);
        assert_int_not_equal(fmt_cstate_decode(bad, (size_t)n, &out, &e), 0);
        assert_true(e.msg[0] != '\0');
    }
    for (int len = 0; len < n; len++) {
        yerr_clear(&e);
        assert_int_not_equal(fmt_cstate_decode(buf, (size_t)len, &out, &e), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_every_flip_and_cut_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
