/*
 * prune.c: removing what retention decided (see prune.h).
 */
#include "prune.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int delete_rows(catalog *cat, const cat_prune_plan *p, yerr *e)
{
    sqlite3_stmt *del = NULL, *marks = NULL;
    int rc = 0;

    if (cat_tx_begin(cat, e))
        return e->code;
    if (cat_prepare(cat, "DELETE FROM backupset WHERE backup_set_uuid = ?", &del, e)
        || cat_prepare(cat, "DELETE FROM backupmark WHERE backup_set_uuid = ?", &marks, e))
        goto fail;
    for (size_t i = 0; i < p->n; i++) {
        const char *u = p->items[i].row.backup_set_uuid;
        sqlite3_bind_text(del, 1, u, -1, SQLITE_STATIC);
        sqlite3_bind_text(marks, 1, u, -1, SQLITE_STATIC);
        if (sqlite3_step(del) != SQLITE_DONE || sqlite3_step(marks) != SQLITE_DONE) {
            cat_sql_error(cat, "remove backup rows", e);
            goto fail;
        }
        sqlite3_reset(del);
        sqlite3_reset(marks);
    }
    sqlite3_finalize(del);
    sqlite3_finalize(marks);
    return cat_tx_commit(cat, e);
fail:
    rc = e->code;
    sqlite3_finalize(del);
    sqlite3_finalize(marks);
    cat_tx_rollback(cat);
    return rc;
}

int eng_prune(catalog *cat, const char *database, const cat_retention_policy *p, int64_t now,
              int dry_run, eng_prune_result *r, yerr *e)
{
    memset(r, 0, sizeof *r);
    if (cat_retention_plan(cat, database, p, now, &r->plan, e))
        return e->code;
    for (size_t i = 0; i < r->plan.n; i++)
        r->bytes += r->plan.items[i].row.backup_size;
    if (dry_run || r->plan.n == 0)
        return 0;
    if (delete_rows(cat, &r->plan, e))
        return yerr_ctx(e, "prune");
    for (size_t i = 0; i < r->plan.n; i++) {
        char path[PATH_MAX * 2];
        snprintf(path, sizeof path, "%s/%s", cat_repo_dir(cat), r->plan.items[i].row.media_path);
        /* The row is gone; a file that will not go is only space. */
        if (unlink(path) != 0 && errno != ENOENT)
            fprintf(stderr, "yedek: warning: prune: remove %s: %s\n", path, strerror(errno));
        r->removed++;
    }
    return 0;
}

void eng_prune_result_free(eng_prune_result *r)
{
    cat_prune_plan_free(&r->plan);
}
