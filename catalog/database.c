#include "database.h"

#include <stdio.h>
#include <string.h>

void cat_database_name_from_path(const char *path, char out[CAT_NAME_BUF])
{
    const char *base = strrchr(path, '/');
    const char *dot;
    size_t n;

    base = base ? base + 1 : path;
    dot = strrchr(base, '.');
    n = (dot && dot != base) ? (size_t)(dot - base) : strlen(base);
    if (n >= CAT_NAME_BUF)
        n = CAT_NAME_BUF - 1;
    memcpy(out, base, n);
    out[n] = '\0';
}

int cat_database_resolve(catalog *cat, const char *arg, cat_database *out,
                         int *found, yerr *e)
{
    sqlite3_stmt *st = NULL;
    char name[CAT_NAME_BUF];
    int n = 0, rc;
    char others[512] = "";

    *found = 0;
    memset(out, 0, sizeof *out);
    cat_database_name_from_path(arg, name);
    /* A GUID matches exactly; otherwise the newest name of each database. */
    if (cat_prepare(cat,
                    "SELECT database_guid, database_name FROM backupset b"
                    " WHERE database_guid = ?1 OR"
                    "  ((database_name = ?1 OR database_name = ?2) AND backup_id ="
                    "   (SELECT max(backup_id) FROM backupset"
                    "    WHERE database_guid = b.database_guid))"
                    " GROUP BY database_guid ORDER BY database_guid",
                    &st, e))
        return yerr_ctx(e, "find database %s", arg);
    sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *guid = (const char *)sqlite3_column_text(st, 0);
        const char *dbname = (const char *)sqlite3_column_text(st, 1);
        if (n++ == 0) {
            snprintf(out->guid, sizeof out->guid, "%s", guid);
            snprintf(out->name, sizeof out->name, "%s", dbname);
        }
        size_t len = strlen(others);
        snprintf(others + len, sizeof others - len, "%s%s", len ? ", " : "", guid);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return cat_sql_error(cat, "find database", e);
    if (n == 0) {
        yerr_set(e, YERR_FAIL, "no database '%s' in the catalog", arg);
        yerr_hint(e, "'yedek catalog list' shows the databases that have backups");
        return e->code;
    }
    *found = 1;
    if (n > 1) {
        yerr_set(e, YERR_FAIL, "database name '%s' is ambiguous: %s", arg, others);
        yerr_hint(e, "name the database by its GUID");
        return e->code;
    }
    return 0;
}
