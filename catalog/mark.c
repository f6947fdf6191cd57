#include "mark.h"

#include <stdio.h>
#include <string.h>

#include "isotime.h"

int cat_mark_find(catalog *cat, const char *database_guid, const cat_lineage *l,
                  const char *name, cat_mark *out, int *found, yerr *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    *found = 0;
    memset(out, 0, sizeof *out);
    if (cat_prepare(cat, "SELECT lsn, mark_time, backup_set_uuid, recovery_fork_guid"
                         " FROM backupmark WHERE database_guid = ? AND name = ?"
                         " ORDER BY lsn DESC",
                    &st, e))
        return yerr_ctx(e, "find mark %s", name);
    sqlite3_bind_text(st, 1, database_guid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t lsn = sqlite3_column_int64(st, 0);
        const char *t = (const char *)sqlite3_column_text(st, 1);
        const char *uuid = (const char *)sqlite3_column_text(st, 2);
        const char *fork = (const char *)sqlite3_column_text(st, 3);
        /* A mark without a fork predates fork tracking: any lineage. */
        int i = fork ? cat_lineage_find(l, fork) : 0;
        if (i < 0 || lsn > l->span[i].hi_lsn)
            continue;
        if (!t || ytime_parse(t, &out->time, e)) {
            sqlite3_finalize(st);
            return yerr_set(e, YERR_FAIL, "mark %s has an invalid mark_time", name);
        }
        snprintf(out->name, sizeof out->name, "%s", name);
        snprintf(out->backup_set_uuid, sizeof out->backup_set_uuid, "%s", uuid ? uuid : "");
        out->lsn = lsn;
        *found = 1;
        break;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return cat_sql_error(cat, "find mark", e);
    return 0;
}

int cat_mark_insert(catalog *cat, const char *database_guid, const char *fork_guid,
                    const cat_mark *m, yerr *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (cat_prepare(cat,
                    "INSERT INTO backupmark (database_guid, name, lsn, mark_time, backup_set_uuid,"
                    " recovery_fork_guid) VALUES (?,?,?,?,?,?)",
                    &st, e))
        return yerr_ctx(e, "record mark %s", m->name);
    sqlite3_bind_text(st, 1, database_guid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, m->lsn);
    cat_bind_time(st, 4, m->time);
    cat_bind_text_or_null(st, 5, m->backup_set_uuid);
    cat_bind_text_or_null(st, 6, fork_guid);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return cat_sql_error(cat, "record mark", e);
    return 0;
}
