/*
 * restorehistory.c: recording restores (see restorehistory.h).
 */
#include "restorehistory.h"

int cat_restorehistory_insert(catalog *cat, const cat_restore_row *r, yerr *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (cat_prepare(cat,
                    "INSERT INTO restorehistory (restore_date, database_name, database_guid,"
                    " recovery_fork_guid, target_kind, target_value, restored_to_lsn, destination,"
                    " backup_set_uuids, new_fork_guid, replaced) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    &st, e))
        return yerr_ctx(e, "record the restore");
    cat_bind_time(st, 1, r->restore_date);
    sqlite3_bind_text(st, 2, r->database_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->database_guid, -1, SQLITE_STATIC);
    cat_bind_text_or_null(st, 4, r->recovery_fork_guid);
    sqlite3_bind_text(st, 5, r->target_kind, -1, SQLITE_STATIC);
    cat_bind_text_or_null(st, 6, r->target_value);
    sqlite3_bind_int64(st, 7, r->restored_to_lsn);
    sqlite3_bind_text(st, 8, r->destination, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, r->backup_set_uuids, -1, SQLITE_STATIC);
    cat_bind_text_or_null(st, 10, r->new_fork_guid);
    sqlite3_bind_int(st, 11, r->replaced ? 1 : 0);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return cat_sql_error(cat, "record the restore", e);
    return 0;
}
