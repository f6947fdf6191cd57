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

/* The name a database's newest backup carries. */
static int newest_name(catalog *cat, sqlite3_stmt *st, const char *guid, char *out, yerr *e)
{
    int rc;
    sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    out[0] = '\0';
    if (rc == SQLITE_ROW)
        snprintf(out, CAT_NAME_BUF, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return cat_sql_error(cat, "find database name", e);
    return 0;
}

#define MAX_CANDIDATES 16

typedef struct candidates {
    char guid[MAX_CANDIDATES][CAT_GUID_BUF];
    int n;
} candidates;

static void add_candidate(candidates *c, const char *guid)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->guid[i], guid) == 0)
            return;
    if (c->n < MAX_CANDIDATES && strlen(guid) < CAT_GUID_BUF)
        strcpy(c->guid[c->n++], guid);
}

/* Every GUID that ever carried `name`: a skip over the name index, one
 * probe per database rather than one row per backup. */
static int guids_named(catalog *cat, sqlite3_stmt *st, const char *name, candidates *c, yerr *e)
{
    char after[CAT_GUID_BUF] = "";
    int rc;
    for (;;) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, after, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            snprintf(after, sizeof after, "%s", (const char *)sqlite3_column_text(st, 0));
            add_candidate(c, after);
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW)
            break;
    }
    return rc == SQLITE_DONE ? 0 : cat_sql_error(cat, "find database", e);
}

int cat_database_resolve(catalog *cat, const char *arg, cat_database *out, int *found, yerr *e)
{
    sqlite3_stmt *by_name = NULL, *newest = NULL;
    char name[CAT_NAME_BUF], current[CAT_NAME_BUF], others[512] = "";
    candidates c = {.n = 0};
    int n = 0;

    *found = 0;
    memset(out, 0, sizeof *out);
    cat_database_name_from_path(arg, name);
    if (cat_prepare(cat, "SELECT database_guid FROM backupset WHERE database_name = ?1"
                         " AND database_guid > ?2 ORDER BY database_guid LIMIT 1",
                    &by_name, e)
        || cat_prepare(cat, "SELECT database_name FROM backupset WHERE database_guid = ?1"
                            " ORDER BY backup_finish_date DESC, backup_id DESC LIMIT 1",
                       &newest, e))
        goto out;
    /* A GUID matches exactly; a name matches a database's newest name. */
    if (newest_name(cat, newest, arg, current, e))
        goto out;
    if (current[0])
        add_candidate(&c, arg);
    if (guids_named(cat, by_name, arg, &c, e) || guids_named(cat, by_name, name, &c, e))
        goto out;
    for (int i = 0; i < c.n; i++) {
        if (newest_name(cat, newest, c.guid[i], current, e))
            goto out;
        if (strcmp(c.guid[i], arg) != 0 && strcmp(current, arg) != 0 && strcmp(current, name) != 0)
            continue;
        if (n++ == 0) {
            snprintf(out->guid, sizeof out->guid, "%s", c.guid[i]);
            snprintf(out->name, sizeof out->name, "%s", current);
        }
        size_t len = strlen(others);
        snprintf(others + len, sizeof others - len, "%s%s", len ? ", " : "", c.guid[i]);
    }
    if (n == 0) {
        yerr_set(e, YERR_FAIL, "no database '%s' in the catalog", arg);
        yerr_hint(e, "'yedek catalog list' shows the databases that have backups");
    } else {
        *found = 1;
        if (n > 1) {
            yerr_set(e, YERR_FAIL, "database name '%s' is ambiguous: %s", arg, others);
            yerr_hint(e, "name the database by its GUID");
        }
    }
out:
    sqlite3_finalize(by_name);
    sqlite3_finalize(newest);
    return e->code;
}
