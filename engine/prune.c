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
    if (cat_tx_begin(cat, e))
        return e->code;
    for (size_t i = 0; i < p->n; i++)
        if (cat_backupset_delete(cat, p->items[i].row.backup_set_uuid, e)) {
            cat_tx_rollback(cat);
            return e->code;
        }
    return cat_tx_commit(cat, e);
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
