/* test_check.c: chain breaks and restorable windows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "check.h"
#include "history.h"

static void check_history(const char *history, const char *db, cat_check *out)
{
    char dir[64];
    catalog *cat;
    yerr e;
    yerr_clear(&e);
    assert_int_equal(hist_open(dir, &cat, &e), 0);
    assert_int_equal(hist_build(cat, history, &e), 0);
    if (cat_check_database(cat, db, out, &e))
        fail_msg("check failed: %s", e.msg);
    hist_close(dir, cat);
}

static const cat_break *find_break(const cat_check *c, enum cat_break_kind k)
{
    for (size_t i = 0; i < c->n_breaks; i++)
        if (c->breaks[i].kind == k)
            return &c->breaks[i];
    return NULL;
}

static void test_intact_chain_one_window(void **state)
{
    cat_check c;
    (void)state;
    check_history("F1 full 0 100\nL1 log 0 150\nL2 log 150 200\nD1 diff 100 180\n"
                  "L3 log 200 300\n", "app", &c);
    assert_int_equal(c.n_breaks, 0);
    assert_int_equal(c.n_windows, 1);
    assert_int_equal(c.windows[0].from_lsn, 100);
    assert_int_equal(c.windows[0].to_lsn, 300);
    assert_int_equal(c.windows[0].from_time, HIST_EPOCH + 100 * HIST_SEC);
    assert_int_equal(c.windows[0].to_time, HIST_EPOCH + 300 * HIST_SEC);
    assert_string_equal(c.windows[0].base_uuid, "F1");
    cat_check_free(&c);
}

static void test_missing_log_gap_and_windows(void **state)
{
    cat_check c;
    const cat_break *b;
    (void)state;
    check_history("F1 full 0 100\nL1 log 100 200\nL2 log 200 300 missing\nL3 log 300 400\n"
                  "D1 diff 100 350\nL4 log 400 500\n", "app", &c);
    b = find_break(&c, CAT_BREAK_LOG_GAP);
    assert_non_null(b);
    assert_int_equal(b->from_lsn, 200);
    assert_int_equal(b->to_lsn, 300);
    assert_string_equal(b->before_uuid, "L1");
    assert_string_equal(b->after_uuid, "L3");
    assert_non_null(strstr(b->message, "no log backup covers LSN 200 to 300"));
    b = find_break(&c, CAT_BREAK_MISSING_MEDIA);
    assert_non_null(b);
    assert_string_equal(b->backup_set_uuid, "L2");
    /* L3 spans 300..400 and the diff at 350 reaches it: nothing unreachable. */
    assert_null(find_break(&c, CAT_BREAK_UNREACHABLE_LOGS));
    assert_int_equal(c.n_windows, 2);
    assert_int_equal(c.windows[0].from_lsn, 100);
    assert_int_equal(c.windows[0].to_lsn, 200);
    assert_int_equal(c.windows[1].from_lsn, 350);
    assert_int_equal(c.windows[1].to_lsn, 500);
    assert_string_equal(c.windows[1].base_uuid, "D1");
    cat_check_free(&c);
}

static void test_copy_only_log_bridges_the_gap(void **state)
{
    cat_check c;
    (void)state;
    check_history("F1 full 0 100\nL1 log 100 200\nL2 log 200 300 missing\nC1 log 200 260 copy\n"
                  "C2 log 200 320 copy\nL3 log 300 400\n", "app", &c);
    assert_null(find_break(&c, CAT_BREAK_LOG_GAP));
    assert_non_null(find_break(&c, CAT_BREAK_MISSING_MEDIA));
    assert_int_equal(c.n_windows, 1);
    assert_int_equal(c.windows[0].to_lsn, 400);
    cat_check_free(&c);
}

static void test_unreachable_logs_after_gap(void **state)
{
    cat_check c;
    const cat_break *b;
    (void)state;
    check_history("F1 full 0 100\nL1 log 100 200\nL3 log 300 400\nL4 log 400 500\n", "app", &c);
    b = find_break(&c, CAT_BREAK_UNREACHABLE_LOGS);
    assert_non_null(b);
    assert_int_equal(b->count, 2);
    assert_int_equal(b->from_lsn, 300);
    assert_int_equal(b->to_lsn, 500);
    assert_string_equal(b->backup_set_uuid, "L3");
    assert_int_equal(c.n_windows, 1);
    assert_int_equal(c.windows[0].to_lsn, 200);
    cat_check_free(&c);
}

static void test_diff_without_base_and_damaged(void **state)
{
    cat_check c;
    const cat_break *b;
    (void)state;
    check_history("F1 full 0 100 damaged\nD1 diff 100 200 base=F1\nF2 full 0 300\n", "app", &c);
    b = find_break(&c, CAT_BREAK_DIFF_BASE_MISSING);
    assert_non_null(b);
    assert_string_equal(b->backup_set_uuid, "D1");
    b = find_break(&c, CAT_BREAK_DAMAGED);
    assert_non_null(b);
    assert_string_equal(b->backup_set_uuid, "F1");
    assert_int_equal(c.n_windows, 1);
    assert_int_equal(c.windows[0].from_lsn, 300);
    assert_int_equal(c.windows[0].to_lsn, 300);
    cat_check_free(&c);
}

static void test_old_logs_before_full_are_history(void **state)
{
    cat_check c;
    (void)state;
    check_history("L0 log 0 50\nF1 full 40 100\nL1 log 50 150\n", "app", &c);
    assert_int_equal(c.n_breaks, 0);
    assert_int_equal(c.n_windows, 1);
    assert_int_equal(c.windows[0].from_lsn, 100);
    assert_int_equal(c.windows[0].to_lsn, 150);
    cat_check_free(&c);
}

static void test_forks_get_their_own_windows(void **state)
{
    cat_check c;
    (void)state;
    check_history("fork f0\nF1 full 0 100\nL1 log 100 200\nL2 log 200 300\n"
                  "fork f1 parent=f0 at=250\nM1 log 250 400 fork=f1\n", "app", &c);
    assert_int_equal(c.n_breaks, 0);
    assert_int_equal(c.n_windows, 2);
    /* Newest fork first: f1 reaches 400 through f0's history up to 250. */
    assert_string_equal(c.windows[0].fork_guid, "f1");
    assert_int_equal(c.windows[0].from_lsn, 100);
    assert_int_equal(c.windows[0].to_lsn, 400);
    assert_string_equal(c.windows[1].fork_guid, "f0");
    assert_int_equal(c.windows[1].to_lsn, 300);
    cat_check_free(&c);
}

static void test_two_databases_apart(void **state)
{
    cat_check c;
    (void)state;
    check_history("F1 full 0 100\nL1 log 100 200\nO1 full 0 100 db=other\n"
                  "OL log 150 250 db=other\n", "app", &c);
    assert_int_equal(c.n_breaks, 0);
    assert_int_equal(c.windows[0].to_lsn, 200);
    cat_check_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intact_chain_one_window),
        cmocka_unit_test(test_missing_log_gap_and_windows),
        cmocka_unit_test(test_copy_only_log_bridges_the_gap),
        cmocka_unit_test(test_unreachable_logs_after_gap),
        cmocka_unit_test(test_diff_without_base_and_damaged),
        cmocka_unit_test(test_old_logs_before_full_are_history),
        cmocka_unit_test(test_forks_get_their_own_windows),
        cmocka_unit_test(test_two_databases_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
