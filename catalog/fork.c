#include "fork.h"

#include <stdio.h>
#include <string.h>

#include "isotime.h"

int cat_fork_newest(catalog *cat, const char *database_guid,
                     char out[CAT_GUID_BUF], yerr *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    out[0] = '\0';
    if (cat_prepare(cat, "SELECT recovery_fork_guid FROM backupset"
                         " WHERE database_guid = ?"
                         " ORDER BY backup_finish_date DESC, backup_id DESC LIMIT 1",
                    &st, e))
        return e->code;
    sqlite3_bind_text(st, 1, database_guid, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        snprintf(out, CAT_GUID_BUF, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return cat_sql_error(cat, "find newest fork", e);
    return 0;
}

/* Parent and fork point of one fork; *known = 0 when recoveryfork has no
 * row for it (a root fork, or a catalog rebuilt without fork rows). */
static int fork_parent(catalog *cat, const char *database_guid, const char *fork,
                       char parent[CAT_GUID_BUF], int64_t *point_lsn,
                       int64_t *point_time, int *known, yerr *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    *known = 0;
    parent[0] = '\0';
    if (cat_prepare(cat, "SELECT parent_fork_guid, fork_point_lsn,"
                         " coalesce(fork_point_time, created_time)"
                         " FROM recoveryfork WHERE fork_guid = ? AND database_guid = ?",
                    &st, e))
        return e->code;
    sqlite3_bind_text(st, 1, fork, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, database_guid, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(st, 0);
        const char *t = (const char *)sqlite3_column_text(st, 2);
        *known = 1;
        if (p && sqlite3_column_type(st, 1) != SQLITE_NULL) {
            snprintf(parent, CAT_GUID_BUF, "%s", p);
            *point_lsn = sqlite3_column_int64(st, 1);
            if (!t || ytime_parse(t, point_time, e)) {
                sqlite3_finalize(st);
                return yerr_set(e, YERR_FAIL, "fork %s has no valid fork point time", fork);
            }
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return cat_sql_error(cat, "read recovery fork", e);
    return 0;
}

static int fork_has_backups(catalog *cat, const char *database_guid,
                            const char *fork, int *yes, yerr *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (cat_prepare(cat, "SELECT 1 FROM backupset WHERE database_guid = ?"
                         " AND recovery_fork_guid = ? LIMIT 1", &st, e))
        return e->code;
    sqlite3_bind_text(st, 1, database_guid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, fork, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *yes = rc == SQLITE_ROW;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return cat_sql_error(cat, "find fork", e);
    return 0;
}

int cat_fork_lineage(catalog *cat, const char *database_guid,
                     const char *fork_guid, cat_lineage *out, yerr *e)
{
    char fork[CAT_GUID_BUF];
    int64_t hi_lsn = INT64_MAX, hi_time = INT64_MAX;

    memset(out, 0, sizeof *out);
    if (fork_guid && fork_guid[0]) {
        int known = 0, has = 0;
        char parent[CAT_GUID_BUF];
        int64_t pl, pt;
        snprintf(fork, sizeof fork, "%s", fork_guid);
        if (fork_parent(cat, database_guid, fork, parent, &pl, &pt, &known, e)
            || fork_has_backups(cat, database_guid, fork, &has, e))
            return e->code;
        if (!known && !has) {
            yerr_set(e, YERR_FAIL, "fork %s is not a fork of database %s",
                     fork_guid, database_guid);
            yerr_hint(e, "'yedek catalog check DB' lists the database's forks");
            return e->code;
        }
    } else if (cat_fork_newest(cat, database_guid, fork, e)) {
        return e->code;
    }
    while (fork[0]) {
        char parent[CAT_GUID_BUF];
        int64_t point_lsn = 0, point_time = 0;
        int known;

        if (cat_lineage_find(out, fork) >= 0 || out->n == CAT_LINEAGE_MAX)
            return yerr_set(e, YERR_FAIL, "recovery forks of %s form a cycle at %s",
                            database_guid, fork);
        cat_fork_span *s = &out->span[out->n++];
        snprintf(s->fork_guid, sizeof s->fork_guid, "%s", fork);
        s->hi_lsn = hi_lsn;
        s->hi_time = hi_time;
        if (fork_parent(cat, database_guid, fork, parent, &point_lsn, &point_time,
                        &known, e))
            return e->code;
        /* A parent serves no state past the child's fork point, nor past
         * any bound already inherited from further down the lineage. */
        if (point_lsn < hi_lsn)
            hi_lsn = point_lsn;
        if (point_time < hi_time)
            hi_time = point_time;
        snprintf(fork, sizeof fork, "%s", parent);
    }
    return 0;
}

int cat_lineage_find(const cat_lineage *l, const char *fork_guid)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->span[i].fork_guid, fork_guid) == 0)
            return i;
    return -1;
}

int cat_fork_ensure(catalog *cat, const cat_fork *f, yerr *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (cat_prepare(cat,
                    "INSERT OR IGNORE INTO recoveryfork (fork_guid, database_guid, parent_fork_guid,"
                    " fork_point_lsn, created_time, fork_point_time) VALUES (?,?,?,?,?,?)",
                    &st, e))
        return yerr_ctx(e, "record fork %s", f->fork_guid);
    sqlite3_bind_text(st, 1, f->fork_guid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, f->database_guid, -1, SQLITE_STATIC);
    cat_bind_text_or_null(st, 3, f->parent_fork_guid);
    if (f->parent_fork_guid[0]) {
        sqlite3_bind_int64(st, 4, f->fork_point_lsn);
        cat_bind_time(st, 6, f->fork_point_time);
    }
    cat_bind_time(st, 5, f->created_time);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return cat_sql_error(cat, "record fork", e);
    return 0;
}
