/* test_catalog.c: opening, creating and migrating the catalog. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "catalog.h"
#include "history.h"

static int pragma_int(catalog *cat, const char *sql)
{
    sqlite3_stmt *st;
    int v;
    assert_int_equal(sqlite3_prepare_v2(cat_sqlite(cat), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void test_create_has_contract_tables(void **state)
{
    char dir[64];
    catalog *cat;
    yerr e;
    (void)state;
    yerr_clear(&e);
    assert_int_equal(hist_open(dir, &cat, &e), 0);
    assert_int_equal(pragma_int(cat, "PRAGMA user_version"), CAT_SCHEMA_VERSION);
    assert_int_equal(pragma_int(cat, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                                     " AND name IN ('backupset', 'backupmark', 'recoveryfork',"
                                     " 'restorehistory')"), 4);
    /* Every column CONTRACT.md names exists. */
    assert_int_equal(pragma_int(cat, "SELECT count(*) FROM pragma_table_info('backupset')"
                                     " WHERE name IN ('backup_id','backup_set_uuid','database_name',"
                                     "'database_guid','recovery_fork_guid','type','is_copy_only',"
                                     "'first_lsn','last_lsn','checkpoint_lsn','database_backup_lsn',"
                                     "'differential_base_lsn','differential_base_guid',"
                                     "'begins_log_chain','first_time','last_time',"
                                     "'backup_start_date','backup_finish_date','backup_size',"
                                     "'media_path','media_sha256','is_damaged','recovery_model',"
                                     "'description')"), 24);
    hist_close(dir, cat);
}

static void test_open_existing_missing_file_fails(void **state)
{
    catalog *cat = (catalog *)1;
    yerr e;
    (void)state;
    yerr_clear(&e);
    assert_int_equal(cat_open("/nonexistent/yedek/catalog.db", "/nonexistent", CAT_OPEN_EXISTING,
                              &cat, &e), YERR_FAIL);
    assert_null(cat);
    assert_non_null(strstr(e.msg, "open catalog /nonexistent/yedek/catalog.db"));
}

static void test_newer_schema_is_refused(void **state)
{
    char dir[64], path[128];
    catalog *cat;
    yerr e;
    (void)state;
    yerr_clear(&e);
    assert_int_equal(hist_open(dir, &cat, &e), 0);
    assert_int_equal(sqlite3_exec(cat_sqlite(cat), "PRAGMA user_version = 99", NULL, NULL, NULL),
                     SQLITE_OK);
    cat_close(cat);
    snprintf(path, sizeof path, "%s/catalog.db", dir);
    assert_int_equal(cat_open(path, dir, CAT_OPEN_EXISTING, &cat, &e), YERR_FAIL);
    assert_non_null(strstr(e.msg, "newer than this yedek"));
    assert_non_null(strstr(e.hint, "upgrade yedek"));
    hist_close(dir, NULL);
}

static void test_reopen_keeps_rows_and_wal(void **state)
{
    char dir[64], path[128];
    catalog *cat;
    yerr e;
    (void)state;
    yerr_clear(&e);
    assert_int_equal(hist_open(dir, &cat, &e), 0);
    assert_int_equal(hist_build(cat, "F1 full 0 100\nL1 log 0 200\n", &e), 0);
    cat_close(cat);
    snprintf(path, sizeof path, "%s/catalog.db", dir);
    assert_int_equal(cat_open(path, dir, CAT_OPEN_EXISTING, &cat, &e), 0);
    assert_int_equal(pragma_int(cat, "SELECT count(*) FROM backupset"), 2);
    assert_int_equal(pragma_int(cat, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
    assert_int_equal(cat_media_exists(cat, "media/F1"), 1);
    assert_int_equal(cat_media_exists(cat, "media/nope"), 0);
    hist_close(dir, cat);
}

static void test_rollback_leaves_nothing(void **state)
{
    char dir[64];
    catalog *cat;
    yerr e;
    (void)state;
    yerr_clear(&e);
    assert_int_equal(hist_open(dir, &cat, &e), 0);
    /* The second line is bad: the whole history is rolled back. */
    assert_int_not_equal(hist_build(cat, "F1 full 0 100\nX1 bogus 1 2\n", &e), 0);
    assert_int_equal(pragma_int(cat, "SELECT count(*) FROM backupset"), 0);
    hist_close(dir, cat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_has_contract_tables),
        cmocka_unit_test(test_open_existing_missing_file_fails),
        cmocka_unit_test(test_newer_schema_is_refused),
        cmocka_unit_test(test_reopen_keeps_rows_and_wal),
        cmocka_unit_test(test_rollback_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
