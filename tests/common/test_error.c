/* test_error.c: the error convention: codes, context, hints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "error.h"

static void test_set_returns_code(void **state)
{
    yerr e;
    (void)state;
    yerr_clear(&e);
    assert_int_equal(e.code, YERR_OK);
    assert_int_equal(yerr_set(&e, YERR_MEDIA, "block %d: checksum mismatch", 7), YERR_MEDIA);
    assert_string_equal(e.msg, "block 7: checksum mismatch");
    assert_string_equal(e.hint, "");
}

static void test_context_reads_outside_in(void **state)
{
    yerr e;
    (void)state;
    yerr_set(&e, YERR_FAIL, "database is locked");
    yerr_hint(&e, "retry in a moment");
    assert_int_equal(yerr_ctx(&e, "read catalog"), YERR_FAIL);
    yerr_ctx(&e, "plan %s", "app");
    assert_string_equal(e.msg, "plan app: read catalog: database is locked");
    assert_string_equal(e.hint, "retry in a moment");
}

static void test_long_context_is_bounded(void **state)
{
    yerr e;
    char big[3000];
    (void)state;
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    yerr_set(&e, YERR_FAIL, "%s", big);
    yerr_ctx(&e, "%s", big);
    assert_int_equal(strlen(e.msg), YERR_MSG_MAX - 1);
    assert_int_equal(yerr_oom(&e), YERR_FAIL);
    assert_string_equal(e.msg, "out of memory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_returns_code),
        cmocka_unit_test(test_context_reads_outside_in),
        cmocka_unit_test(test_long_context_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
