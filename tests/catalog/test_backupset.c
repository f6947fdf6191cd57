/* test_backupset.c: backup rows and naming databases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "backupset.h"
#include "database.h"
#include "history.h"

static cat_backupset sample(void)
{
    cat_backupset r;
    memset(&r, 0, sizeof r);
    strcpy(r.backup_set_uuid, "9b2f6f7e-1d2c-4b3a-8e9f-0a1b2c3d4e5f");
    strcpy(r.database_name, "app");
    strcpy(r.database_guid, "c0ffee00-0000-4000-8000-000000000001");
    strcpy(r.recovery_fork_guid, "f0000000-0000-4000-8000-000000000001");
    r.type = CAT_DIFF;
    r.first_lsn = 100;
    r.last_lsn = 250;
    r.checkpoint_lsn = 240;
    r.database_backup_lsn = (cat_optint){1, 100};
    r.differential_base_lsn = (cat_optint){1, 100};
    strcpy(r.differential_base_guid, "11111111-0000-4000-8000-000000000001");
    r.first_time = HIST_EPOCH + 250;
    r.last_time = HIST_EPOCH + 123456789;
    r.backup_start_date = HIST_EPOCH + 1;
    r.backup_finish_date = HIST_EPOCH + 2;
    r.backup_size = 4096;
    strcpy(r.media_path, "app/diff/9b2f.ydk");
    strcpy(r.media_sha256, "ab");
    strcpy(r.recovery_model, "full");
    strcpy(r.description, "nightly");
    return r;
}

static void test_round_trip_every_column(void **state)
{
    char dir[64];
    catalog *cat;
    cat_backupset in = sample(), out;
    yerr e;
    (void)state;
    yerr_clear(&e);
    assert_int_equal(hist_open(dir, &cat, &e), 0);
    assert_int_equal(cat_backupset_insert(cat, &in, &e), 0);
    assert_true(in.backup_id > 0);
    assert_int_equal(cat_backupset_get(cat, in.backup_set_uuid, &out, &e), 0);
    assert_memory_equal(&in, &out, sizeof in);
    hist_close(dir, cat);
}

static void test_nulls_stay_null(void **state)
{
    char dir[64];
    catalog *cat;
    cat_backupset in = sample(), out;
    sqlite3_stmt *st;
    yerr e;
    (void)state;
    yerr_clear(&e);
    in.type = CAT_FULL;
    in.database_backup_lsn.is_set = 0;
    in.differential_base_lsn.is_set = 0;
    in.differential_base_guid[0] = in.media_sha256[0] = in.description[0] = '\0';
    assert_int_equal(hist_open(dir, &cat, &e), 0);
    assert_int_equal(cat_backupset_insert(cat, &in, &e), 0);
    assert_int_equal(cat_backupset_get(cat, in.backup_set_uuid, &out, &e), 0);
    assert_false(out.differential_base_lsn.is_set);
    assert_string_equal(out.differential_base_guid, "");
    assert_int_equal(sqlite3_prepare_v2(cat_sqlite(cat),
                                        "SELECT differential_base_guid IS NULL AND media_sha256 IS NULL"
                                        " AND database_backup_lsn IS NULL FROM backupset",
                                        -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1);
    sqlite3_finalize(st);
    hist_close(dir, cat);
}

static void test_bad_rows_are_refused(void **state)
{
    char dir[64];
    catalog *cat;
    cat_backupset r = sample(), dup = sample(), out;
    yerr e;
    (void)state;
    yerr_clear(&e);
    assert_int_equal(hist_open(dir, &cat, &e), 0);
    r.first_lsn = 300;
    assert_int_equal(cat_backupset_insert(cat, &r, &e), YERR_FAIL);
    assert_non_null(strstr(e.msg, "first_lsn 300 > last_lsn 250"));
    assert_int_equal(cat_backupset_insert(cat, &dup, &e), 0);
    dup = sample();
    assert_int_equal(cat_backupset_insert(cat, &dup, &e), YERR_FAIL);
    assert_non_null(strstr(e.msg, "UNIQUE"));
    assert_int_equal(cat_backupset_get(cat, "no-such-uuid", &out, &e), YERR_FAIL);
    assert_string_equal(e.msg, "no backup with uuid no-such-uuid in the catalog");
    hist_close(dir, cat);
}

typedef struct seen {
    char names[8][CAT_GUID_BUF];
    int n;
} seen;

static int collect(const cat_backupset *r, void *arg, yerr *e)
{
    seen *s = arg;
    (void)e;
    strcpy(s->names[s->n++], r->backup_set_uuid);
    return 0;
}

static void test_list_newest_first_and_filtered(void **state)
{
    char dir[64];
    catalog *cat;
    seen s = {0};
    yerr e;
    (void)state;
    yerr_clear(&e);
    assert_int_equal(hist_open(dir, &cat, &e), 0);
    assert_int_equal(hist_build(cat, "F1 full 0 100\nL1 log 0 200\nO1 full 0 50 db=other\n"
                                     "L2 log 200 300\n", &e), 0);
    assert_int_equal(cat_backupset_list(cat, "guid-app", collect, &s, &e), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.names[0], "L2");
    assert_string_equal(s.names[1], "L1");
    assert_string_equal(s.names[2], "F1");
    memset(&s, 0, sizeof s);
    assert_int_equal(cat_backupset_list(cat, NULL, collect, &s, &e), 0);
    assert_int_equal(s.n, 4);
    hist_close(dir, cat);
}

static void test_resolve_by_name_guid_and_path(void **state)
{
    char dir[64];
    catalog *cat;
    cat_database db;
    int found;
    yerr e;
    (void)state;
    yerr_clear(&e);
    assert_int_equal(hist_open(dir, &cat, &e), 0);
    assert_int_equal(hist_build(cat, "F1 full 0 100\nO1 full 0 50 db=other\n", &e), 0);
    assert_int_equal(cat_database_resolve(cat, "app", &db, &found, &e), 0);
    assert_string_equal(db.guid, "guid-app");
    assert_int_equal(cat_database_resolve(cat, "guid-other", &db, &found, &e), 0);
    assert_string_equal(db.name, "other");
    assert_int_equal(cat_database_resolve(cat, "/srv/data/app.db", &db, &found, &e), 0);
    assert_string_equal(db.guid, "guid-app");
    assert_int_equal(cat_database_resolve(cat, "nope", &db, &found, &e), YERR_FAIL);
    assert_int_equal(found, 0);
    assert_string_equal(e.msg, "no database 'nope' in the catalog");
    hist_close(dir, cat);
}

static void test_ambiguous_name_lists_guids(void **state)
{
    char dir[64];
    catalog *cat;
    cat_database db;
    int found;
    yerr e;
    (void)state;
    yerr_clear(&e);
    assert_int_equal(hist_open(dir, &cat, &e), 0);
    assert_int_equal(hist_build(cat, "F1 full 0 100\n", &e), 0);
    /* A second database that happens to share the name. */
    assert_int_equal(sqlite3_exec(cat_sqlite(cat),
                                  "INSERT INTO backupset (backup_set_uuid, database_name,"
                                  " database_guid, recovery_fork_guid, type, first_lsn, last_lsn,"
                                  " checkpoint_lsn, first_time, last_time, backup_start_date,"
                                  " backup_finish_date, backup_size, media_path) VALUES ('X',"
                                  " 'app', 'guid-twin', 'f9', 'full', 0, 1, 1, 't', 't', 't',"
                                  " 't', 1, 'x')", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(cat_database_resolve(cat, "app", &db, &found, &e), YERR_FAIL);
    assert_int_equal(found, 1);
    assert_non_null(strstr(e.msg, "ambiguous"));
    assert_non_null(strstr(e.msg, "guid-app"));
    assert_non_null(strstr(e.msg, "guid-twin"));
    assert_non_null(strstr(e.hint, "GUID"));
    hist_close(dir, cat);
}

static void test_name_from_path(void **state)
{
    char n[CAT_NAME_BUF];
    (void)state;
    cat_database_name_from_path("/var/lib/pos/shop.sqlite3", n);
    assert_string_equal(n, "shop");
    cat_database_name_from_path("app", n);
    assert_string_equal(n, "app");
    cat_database_name_from_path("dir/.hidden", n);
    assert_string_equal(n, ".hidden");
    cat_database_name_from_path("a.b.db", n);
    assert_string_equal(n, "a.b");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_column),
        cmocka_unit_test(test_nulls_stay_null),
        cmocka_unit_test(test_bad_rows_are_refused),
        cmocka_unit_test(test_list_newest_first_and_filtered),
        cmocka_unit_test(test_resolve_by_name_guid_and_path),
        cmocka_unit_test(test_ambiguous_name_lists_guids),
        cmocka_unit_test(test_name_from_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
