/*
 * plan_query.c: the planner's reads of the catalog.
 *
 * The planner never loads a database's history whole.  It asks three
 * questions, each answered by an index range: which fulls or diffs can
 * serve as a base, which logs contain a given LSN, and which log resumes a
 * chain after a given LSN.  "Contains" is first_lsn <= x < last_lsn; the
 * index on first_lsn answers it once bounded below by x minus the longest
 * log of the fork, which another index yields in one probe.
 */
#include "plan_int.h"

#include <stdlib.h>
#include <string.h>

#include "isotime.h"

#define PROW_COLUMNS                                                          \
    "backup_id, backup_set_uuid, type, is_copy_only, first_lsn, last_lsn,"    \
    " first_time, last_time, backup_size, media_path, is_damaged,"            \
    " differential_base_guid, differential_base_lsn, checkpoint_lsn"

int prow_vec_push(prow_vec *vec, const prow *r, yerr *e)
{
    if (vec->n == vec->cap) {
        size_t cap = vec->cap ? vec->cap * 2 : 16;
        prow *v = realloc(vec->v, cap * sizeof *v);
        if (!v)
            return yerr_oom(e);
        vec->v = v;
        vec->cap = cap;
    }
    vec->v[vec->n++] = *r;
    return 0;
}

void prow_vec_free(prow_vec *vec)
{
    free(vec->v);
    memset(vec, 0, sizeof *vec);
}

static int read_prow(pquery *q, sqlite3_stmt *st, int span, prow *r, yerr *e)
{
    const char *uuid = (const char *)sqlite3_column_text(st, 1);
    const char *type = (const char *)sqlite3_column_text(st, 2);
    const char *ft = (const char *)sqlite3_column_text(st, 6);
    const char *lt = (const char *)sqlite3_column_text(st, 7);
    const char *media = (const char *)sqlite3_column_text(st, 9);
    const char *base = (const char *)sqlite3_column_text(st, 11);
    int t = type ? cat_backup_type_parse(type) : -1;

    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    if (!uuid || strlen(uuid) >= sizeof r->uuid || t < 0 || !ft || !lt || !media
        || (base && strlen(base) >= sizeof r->base_uuid))
        return yerr_set(e, YERR_FAIL, "backup %lld: malformed catalog row",
                        (long long)r->id);
    strcpy(r->uuid, uuid);
    if (base)
        strcpy(r->base_uuid, base);
    r->span = span;
    r->type = (enum cat_backup_type)t;
    r->copy_only = sqlite3_column_int(st, 3);
    r->first_lsn = sqlite3_column_int64(st, 4);
    r->last_lsn = sqlite3_column_int64(st, 5);
    r->base_lsn = sqlite3_column_int64(st, 12);
    r->checkpoint_lsn = sqlite3_column_int64(st, 13);
    r->size = sqlite3_column_int64(st, 8);
    if (ytime_parse(ft, &r->first_time, e) || ytime_parse(lt, &r->last_time, e))
        return yerr_ctx(e, "backup %s", r->uuid);
    r->damaged = sqlite3_column_int(st, 10) != 0;
    r->usable = !r->damaged && cat_media_exists(q->cat, media);
    return 0;
}

int pquery_open(pquery *q, catalog *cat, const char *database_guid,
                const cat_lineage *lin, yerr *e)
{
    sqlite3_stmt *span = NULL;

    memset(q, 0, sizeof *q);
    q->cat = cat;
    q->database_guid = database_guid;
    q->lin = lin;
    if (cat_prepare(cat, "SELECT " PROW_COLUMNS " FROM backupset"
                         " WHERE database_guid = ?1 AND recovery_fork_guid = ?2"
                         " AND type = 'log' AND first_lsn BETWEEN ?3 AND ?4"
                         " AND last_lsn > ?4 ORDER BY is_copy_only, backup_id",
                    &q->stab, e)
        || cat_prepare(cat, "SELECT " PROW_COLUMNS " FROM backupset"
                            " WHERE database_guid = ?1 AND recovery_fork_guid = ?2"
                            " AND type = 'log' AND first_lsn > ?3"
                            " AND first_lsn < last_lsn ORDER BY first_lsn, backup_id",
                       &q->after, e)
        || cat_prepare(cat, "SELECT max(last_lsn - first_lsn) FROM backupset"
                            " WHERE database_guid = ?1 AND recovery_fork_guid = ?2"
                            " AND type = 'log'",
                       &span, e)) {
        pquery_close(q);
        return e->code;
    }
    for (int i = 0; i < lin->n; i++) {
        sqlite3_bind_text(span, 1, database_guid, -1, SQLITE_STATIC);
        sqlite3_bind_text(span, 2, lin->span[i].fork_guid, -1, SQLITE_STATIC);
        if (sqlite3_step(span) != SQLITE_ROW) {
            cat_sql_error(cat, "find longest log", e);
            sqlite3_finalize(span);
            pquery_close(q);
            return e->code;
        }
        q->max_span[i] = sqlite3_column_int64(span, 0);
        sqlite3_reset(span);
    }
    sqlite3_finalize(span);
    return 0;
}

void pquery_close(pquery *q)
{
    sqlite3_finalize(q->stab);
    sqlite3_finalize(q->after);
    q->stab = q->after = NULL;
}

int pquery_stab(pquery *q, int64_t x, prow_vec *out, yerr *e)
{
    out->n = 0;
    for (int i = 0; i < q->lin->n; i++) {
        sqlite3_stmt *st = q->stab;
        prow r;
        int rc;
        /* A fork's logs serve states below its bound only. */
        if (x >= q->lin->span[i].hi_lsn)
            continue;
        sqlite3_bind_text(st, 1, q->database_guid, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, q->lin->span[i].fork_guid, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, x - q->max_span[i] > x ? INT64_MIN : x - q->max_span[i]);
        sqlite3_bind_int64(st, 4, x);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (read_prow(q, st, i, &r, e) || prow_vec_push(out, &r, e)) {
                sqlite3_reset(st);
                return e->code;
            }
        }
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return cat_sql_error(q->cat, "find logs", e);
    }
    return 0;
}

int pquery_next_log(pquery *q, int64_t x, prow *out, int *found, yerr *e)
{
    *found = 0;
    for (int i = 0; i < q->lin->n; i++) {
        sqlite3_stmt *st = q->after;
        prow r;
        int rc;
        if (x >= q->lin->span[i].hi_lsn)
            continue;
        sqlite3_bind_text(st, 1, q->database_guid, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, q->lin->span[i].fork_guid, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, x);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (read_prow(q, st, i, &r, e)) {
                sqlite3_reset(st);
                return e->code;
            }
            if (r.first_lsn >= q->lin->span[i].hi_lsn || (*found && r.first_lsn >= out->first_lsn))
                break;
            if (r.usable) {
                *out = r;
                *found = 1;
                break;
            }
        }
        sqlite3_reset(st);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
            return cat_sql_error(q->cat, "find next log", e);
    }
    return 0;
}

int pquery_each_log(pquery *q, int span, int (*fn)(const prow *r, void *arg, yerr *e),
                    void *arg, yerr *e)
{
    sqlite3_stmt *st = q->after;
    prow r;
    int rc;

    sqlite3_bind_text(st, 1, q->database_guid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, q->lin->span[span].fork_guid, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, INT64_MIN);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (read_prow(q, st, span, &r, e) || fn(&r, arg, e)) {
            sqlite3_reset(st);
            return e->code ? e->code : YERR_FAIL;
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return cat_sql_error(q->cat, "list logs", e);
    return 0;
}

/* Newest first: higher last_lsn, then higher backup_id. */
static int prow_newest_first(const void *a, const void *b)
{
    const prow *x = a, *y = b;
    if (x->last_lsn != y->last_lsn)
        return x->last_lsn > y->last_lsn ? -1 : 1;
    return x->id > y->id ? -1 : x->id < y->id;
}

int pquery_bases(pquery *q, enum cat_backup_type type, int64_t limit_lsn,
                 int64_t limit_time, prow_vec *out, yerr *e)
{
    sqlite3_stmt *st = NULL;
    int rc = SQLITE_DONE;

    out->n = 0;
    if (cat_prepare(q->cat, "SELECT " PROW_COLUMNS " FROM backupset"
                            " WHERE database_guid = ?1 AND recovery_fork_guid = ?2"
                            " AND type = ?3 AND last_lsn <= ?4"
                            " ORDER BY last_lsn DESC, backup_id DESC",
                    &st, e))
        return e->code;
    for (int i = 0; i < q->lin->n && rc == SQLITE_DONE; i++) {
        const cat_fork_span *s = &q->lin->span[i];
        prow r;
        sqlite3_bind_text(st, 1, q->database_guid, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, s->fork_guid, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, cat_backup_type_name(type), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, limit_lsn < s->hi_lsn ? limit_lsn : s->hi_lsn);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (read_prow(q, st, i, &r, e))
                goto fail;
            if (r.last_time > limit_time || r.last_time > s->hi_time)
                continue;
            if (prow_vec_push(out, &r, e))
                goto fail;
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return cat_sql_error(q->cat, "find base backups", e);
    if (q->lin->n > 1 && out->n > 1)
        qsort(out->v, out->n, sizeof *out->v, prow_newest_first);
    return 0;
fail:
    sqlite3_finalize(st);
    return e->code;
}
