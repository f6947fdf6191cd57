/*
 * drill.c: restore, check, remove (see drill.h).
 */
#include "drill.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sqlite_api.h"

static void integrity(const char *path, eng_drill_result *r)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char uri[PATH_MAX + 32];

    /* Immutable: the check must not create a WAL or take locks on a file
     * nobody else knows. */
    snprintf(uri, sizeof uri, "file:%s?immutable=1", path);
    if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, "unix") == SQLITE_OK
        && sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK
        && sqlite3_step(st) == SQLITE_ROW) {
        snprintf(r->integrity, sizeof r->integrity, "%s", (const char *)sqlite3_column_text(st, 0));
        r->integrity_ok = strcmp(r->integrity, "ok") == 0;
    } else {
        snprintf(r->integrity, sizeof r->integrity, "%s", db ? sqlite3_errmsg(db) : "out of memory");
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

int eng_drill(catalog *cat, const char *database, const cat_target *target, const char *tmp_dir,
              const uint8_t *key, size_t key_len, eng_drill_result *r, yerr *e)
{
    char dir[PATH_MAX], path[PATH_MAX + 32];
    eng_restore_opts o;
    int rc;

    memset(r, 0, sizeof *r);
    snprintf(dir, sizeof dir, "%s/yedek-drill-XXXXXX", tmp_dir);
    if (!mkdtemp(dir))
        return yerr_set(e, YERR_FAIL, "restore drill: temporary folder in %s: %m", tmp_dir);
    snprintf(path, sizeof path, "%s/drill.db", dir);
    memset(&o, 0, sizeof o);
    o.to = path;
    o.key = key;
    o.key_len = key_len;
    /* The file is removed right after the check: a power failure loses
     * nothing a sync would have kept. */
    o.no_sync = 1;
    rc = eng_restore(cat, database, target, &o, &r->restore, e);
    if (rc == 0) {
        integrity(path, r);
        if (!r->integrity_ok)
            rc = yerr_set(e, YERR_MEDIA, "restore drill of %s: integrity_check says: %s",
                          r->restore.plan.database_name, r->integrity);
    }
    unlink(path);
    rmdir(dir);
    return rc;
}

void eng_drill_result_free(eng_drill_result *r)
{
    eng_restore_result_free(&r->restore);
}
