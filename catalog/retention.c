/*
 * retention.c: the retention planner (see retention.h for the rules).
 *
 * Everything is decided on one in-memory copy of the catalog (the
 * "snapshot"), so a backup registering its row meanwhile changes nothing
 * half-way; the check deletes the chosen rows from a second copy and asks
 * the planner again.  The planner opens its own read transaction on every
 * call, which is why the simulation cannot be a savepoint on the live
 * connection: a copy of the catalog's pages is the cheap equivalent.
 */
#include "retention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "database.h"
#include "fork.h"
#include "isotime.h"
#include "plan.h"

#define DAY_US INT64_C(86400000000)

/* One backup of the database, as retention needs it. */
typedef struct rrow {
    int64_t id;
    char uuid[CAT_GUID_BUF];
    char fork[CAT_GUID_BUF];
    char base_uuid[CAT_GUID_BUF]; /* diff: its base full */
    enum cat_backup_type type;
    int copy_only, damaged, missing;
    int64_t first_lsn, last_lsn, first_time, last_time, size;
    int64_t checkpoint_lsn, base_lsn; /* base_lsn: diff's differential_base_lsn */
    int keep; /* some fork's window needs it (or the check put it back) */
} rrow;

/* One fork's view of the window. */
typedef struct reval {
    char fork[CAT_GUID_BUF];
    cat_lineage lin;
    int keep_all;   /* nothing of this lineage may go */
    int has_base;   /* the window's start is restorable on this fork */
    int64_t keep_lsn; /* b (has_base) or m */
    int64_t from_lsn; /* the first LSN the window guarantees: b, or m + 1 */
    char base_uuid[CAT_GUID_BUF], base_full_uuid[CAT_GUID_BUF];
    enum cat_backup_type base_type;
    int64_t base_time;
    enum cat_plan_error why; /* !has_base: why the start is unreachable */
} reval;

typedef struct rtarget {
    cat_target t;
    int reachable;      /* before the prune, and inside the window */
    int touched;        /* its plan before the prune used a chosen backup */
    int64_t latest_lsn; /* LATEST: where it restored to before */
} rtarget;

/* Log boundaries planned per fork: the first ones after the window's
 * start, then as many spread over the rest of the window.  (Every LSN is
 * checked anyway through the restorable windows.) */
#define CHECK_LOGS_HEAD 48
#define CHECK_LOGS_SPREAD 48

typedef struct rctx {
    const char *repo;
    unsigned char *img; /* the catalog's pages, for fresh copies */
    sqlite3_int64 img_n;
    catalog *snap;
    cat_database db;
    int64_t ws;
    rrow *rows;
    size_t n_rows;
    rrow **by_uuid;
    reval *evals;
    size_t n_evals;
    int newest; /* the newest fork's eval, -1 if none */
    rtarget *targets;
    size_t n_targets, cap_targets;
} rctx;

void cat_prune_plan_free(cat_prune_plan *p)
{
    free(p->items);
    p->items = NULL;
    p->n = 0;
}

/* ---- copies of the catalog ------------------------------------------------- */

static int snapshot_take(catalog *cat, rctx *c, yerr *e)
{
    sqlite3 *db = cat_sqlite(cat);
    int own = sqlite3_get_autocommit(db);

    if (own && cat_tx_begin_read(cat, e))
        return e->code;
    c->img = sqlite3_serialize(db, "main", &c->img_n, 0);
    if (own)
        cat_tx_rollback(cat);
    if (!c->img || c->img_n < 100)
        return yerr_set(e, YERR_FAIL, "copy the catalog: %s",
                        c->img ? "empty database" : "out of memory");
    /* In memory a WAL-mode image opens only as a rollback-journal one
     * (file format bytes 18 and 19). */
    if (c->img[18] == 2)
        c->img[18] = 1;
    if (c->img[19] == 2)
        c->img[19] = 1;
    return 0;
}

static int snapshot_open(const rctx *c, catalog **out, yerr *e)
{
    unsigned char *buf;
    int rc;

    if (cat_open(":memory:", c->repo, CAT_OPEN_CREATE, out, e))
        return yerr_ctx(e, "copy the catalog");
    buf = sqlite3_malloc64((sqlite3_uint64)c->img_n);
    if (!buf) {
        cat_close(*out);
        *out = NULL;
        return yerr_oom(e);
    }
    memcpy(buf, c->img, (size_t)c->img_n);
    /* FREEONCLOSE: the buffer is SQLite's now, on failure too. */
    rc = sqlite3_deserialize(cat_sqlite(*out), "main", buf, c->img_n, c->img_n,
                             SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE);
    if (rc != SQLITE_OK) {
        yerr_set(e, YERR_FAIL, "copy the catalog: %s", sqlite3_errstr(rc));
        cat_close(*out);
        *out = NULL;
        return e->code;
    }
    return 0;
}

/* ---- the database's rows ----------------------------------------------------- */

static int copy_text(char *dst, size_t size, const unsigned char *src)
{
    if (!src) {
        dst[0] = '\0';
        return 0;
    }
    if (strlen((const char *)src) >= size)
        return -1;
    strcpy(dst, (const char *)src);
    return 0;
}

static int by_uuid_cmp(const void *a, const void *b)
{
    return strcmp((*(rrow *const *)a)->uuid, (*(rrow *const *)b)->uuid);
}

static rrow *find_row(const rctx *c, const char *uuid)
{
    rrow key, *kp = &key, **hit;
    if (!uuid[0] || strlen(uuid) >= sizeof key.uuid)
        return NULL;
    strcpy(key.uuid, uuid);
    hit = bsearch(&kp, c->by_uuid, c->n_rows, sizeof *c->by_uuid, by_uuid_cmp);
    return hit ? *hit : NULL;
}

static int load_rows(rctx *c, yerr *e)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc;

    if (cat_prepare(c->snap,
                    "SELECT backup_id, backup_set_uuid, recovery_fork_guid, type,"
                    " is_copy_only, first_lsn, last_lsn, first_time, last_time,"
                    " backup_size, media_path, is_damaged, differential_base_guid,"
                    " checkpoint_lsn, differential_base_lsn"
                    " FROM backupset WHERE database_guid = ? ORDER BY backup_id",
                    &st, e))
        return e->code;
    sqlite3_bind_text(st, 1, c->db.guid, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rrow *r;
        const char *type = (const char *)sqlite3_column_text(st, 3);
        const char *ft = (const char *)sqlite3_column_text(st, 7);
        const char *lt = (const char *)sqlite3_column_text(st, 8);
        const char *media = (const char *)sqlite3_column_text(st, 10);
        int t = type ? cat_backup_type_parse(type) : -1;

        if (c->n_rows == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            rrow *v = realloc(c->rows, ncap * sizeof *v);
            if (!v) {
                sqlite3_finalize(st);
                return yerr_oom(e);
            }
            c->rows = v;
            cap = ncap;
        }
        r = &c->rows[c->n_rows];
        memset(r, 0, sizeof *r);
        r->id = sqlite3_column_int64(st, 0);
        if (copy_text(r->uuid, sizeof r->uuid, sqlite3_column_text(st, 1)) || !r->uuid[0]
            || copy_text(r->fork, sizeof r->fork, sqlite3_column_text(st, 2))
            || copy_text(r->base_uuid, sizeof r->base_uuid, sqlite3_column_text(st, 12))
            || t < 0 || !ft || !lt || !media) {
            sqlite3_finalize(st);
            return yerr_set(e, YERR_FAIL, "backup %lld: malformed catalog row",
                            (long long)r->id);
        }
        r->type = (enum cat_backup_type)t;
        r->copy_only = sqlite3_column_int(st, 4) != 0;
        r->first_lsn = sqlite3_column_int64(st, 5);
        r->last_lsn = sqlite3_column_int64(st, 6);
        r->size = sqlite3_column_int64(st, 9);
        r->damaged = sqlite3_column_int(st, 11) != 0;
        r->checkpoint_lsn = sqlite3_column_int64(st, 13);
        r->base_lsn = sqlite3_column_int64(st, 14);
        r->missing = !cat_media_exists(c->snap, media);
        if (ytime_parse(ft, &r->first_time, e) || ytime_parse(lt, &r->last_time, e)) {
            sqlite3_finalize(st);
            return yerr_ctx(e, "backup %s", r->uuid);
        }
        c->n_rows++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return cat_sql_error(c->snap, "read backups", e);
    c->by_uuid = malloc((c->n_rows ? c->n_rows : 1) * sizeof *c->by_uuid);
    if (!c->by_uuid)
        return yerr_oom(e);
    for (size_t i = 0; i < c->n_rows; i++)
        c->by_uuid[i] = &c->rows[i];
    qsort(c->by_uuid, c->n_rows, sizeof *c->by_uuid, by_uuid_cmp);
    return 0;
}

/* A backup the planner may use for some target of the lineage: its own
 * fork's, or a parent's up to the fork point (as plan_query.c bounds it). */
static int on_lineage(const cat_lineage *l, const rrow *r)
{
    int i = cat_lineage_find(l, r->fork);
    if (i < 0)
        return 0;
    if (r->type == CAT_LOG)
        return r->first_lsn < l->span[i].hi_lsn;
    return r->last_lsn <= l->span[i].hi_lsn && r->last_time <= l->span[i].hi_time;
}

static int usable(const rrow *r)
{
    return !r->damaged && !r->missing;
}

/* ---- the window ---------------------------------------------------------------- */

typedef struct rfull {
    int64_t last_lsn, id, last_time;
} rfull;

static int newest_first(const void *a, const void *b)
{
    const rfull *x = a, *y = b;
    if (x->last_lsn != y->last_lsn)
        return x->last_lsn > y->last_lsn ? -1 : 1;
    return x->id > y->id ? -1 : x->id < y->id;
}

/* The last_time of the n-th newest usable regular full of the lineage;
 * INT64_MIN when there are fewer. */
static int nth_full(const rctx *c, const cat_lineage *l, int n, int64_t *out, yerr *e)
{
    rfull *v = malloc((c->n_rows ? c->n_rows : 1) * sizeof *v);
    size_t k = 0;

    if (!v)
        return yerr_oom(e);
    for (size_t i = 0; i < c->n_rows; i++) {
        const rrow *r = &c->rows[i];
        if (r->type == CAT_FULL && !r->copy_only && usable(r) && on_lineage(l, r))
            v[k++] = (rfull){r->last_lsn, r->id, r->last_time};
    }
    qsort(v, k, sizeof *v, newest_first);
    *out = (size_t)n <= k ? v[n - 1].last_time : INT64_MIN;
    free(v);
    return 0;
}

static int window_start(rctx *c, const cat_retention_policy *p, int64_t now, yerr *e)
{
    int64_t by_days = INT64_MIN, by_fulls = INT64_MIN;

    if (p->keep_days > 0) {
        int64_t span;
        if ((int64_t)p->keep_days <= INT64_MAX / DAY_US) {
            span = (int64_t)p->keep_days * DAY_US;
            if (__builtin_sub_overflow(now, span, &by_days))
                by_days = INT64_MIN;
        }
    }
    if (p->keep_fulls > 0) {
        cat_lineage l;
        if (cat_fork_lineage(c->snap, c->db.guid, "", &l, e)
            || nth_full(c, &l, p->keep_fulls, &by_fulls, e))
            return e->code;
    }
    if (p->keep_days > 0 && p->keep_fulls > 0)
        c->ws = by_days < by_fulls ? by_days : by_fulls;
    else
        c->ws = p->keep_days > 0 ? by_days : by_fulls;
    return 0;
}

/* ---- what each fork keeps ------------------------------------------------------ */

static int keeps(const rctx *c, const reval *v, const rrow *r)
{
    if (!on_lineage(&v->lin, r))
        return 0;
    if (v->keep_all || r->last_time > c->ws)
        return 1;
    if (v->has_base
        && (strcmp(r->uuid, v->base_uuid) == 0 || strcmp(r->uuid, v->base_full_uuid) == 0))
        return 1;
    if (r->type == CAT_LOG)
        return r->last_lsn > v->keep_lsn;
    return v->has_base ? r->last_lsn >= v->keep_lsn : r->last_lsn > v->keep_lsn;
}

/* The full a diff applies on, when the planner would use it (usable,
 * regular, its checkpoint the diff's base LSN); else NULL. */
static const rrow *diff_full(const rctx *c, const rrow *d)
{
    const rrow *f = find_row(c, d->base_uuid);
    return f && f->type == CAT_FULL && usable(f) && !f->copy_only
                   && f->checkpoint_lsn == d->base_lsn
               ? f
               : NULL;
}

/*
 * The planner's plan for the window's start is the cheapest, which on a
 * tie in count may start from an older base than needed (full + two logs
 * against full + diff + one log).  Any usable full or diff at or before
 * the window's start whose LSN lies on the plan's log chain serves the
 * start as well (the chain's logs tile [b, end)): take the newest.
 */
static void advance_base(const rctx *c, reval *v, const cat_plan *pl)
{
    const cat_plan_step *last = &pl->steps[pl->n_steps - 1];
    const rrow *best = NULL;
    int64_t end = last->last_lsn;
    int span;

    if (last->type != CAT_LOG)
        return;
    span = cat_lineage_find(&v->lin, last->recovery_fork_guid);
    if (span >= 0 && end > v->lin.span[span].hi_lsn)
        end = v->lin.span[span].hi_lsn;
    for (size_t i = 0; i < c->n_rows; i++) {
        const rrow *r = &c->rows[i];
        if (r->type == CAT_LOG || !usable(r) || r->last_time > c->ws
            || r->last_lsn <= v->keep_lsn || r->last_lsn >= end || !on_lineage(&v->lin, r))
            continue;
        if (r->type == CAT_DIFF) {
            const rrow *f = diff_full(c, r);
            if (!f || !on_lineage(&v->lin, f))
                continue;
        }
        if (!best || r->last_lsn > best->last_lsn
            || (r->last_lsn == best->last_lsn && r->id > best->id))
            best = r;
    }
    if (!best)
        return;
    memcpy(v->base_uuid, best->uuid, sizeof v->base_uuid);
    v->base_full_uuid[0] = '\0';
    if (best->type == CAT_DIFF)
        memcpy(v->base_full_uuid, diff_full(c, best)->uuid, sizeof v->base_full_uuid);
    v->keep_lsn = best->last_lsn;
    v->base_type = best->type;
    v->base_time = best->last_time;
}

static int eval_fork(rctx *c, reval *v, yerr *e)
{
    cat_target t;
    cat_plan pl;
    yerr pe;
    int rc;

    if (cat_fork_lineage(c->snap, c->db.guid, v->fork, &v->lin, e))
        return e->code;
    memset(&t, 0, sizeof t);
    t.kind = CAT_TARGET_TIME;
    t.time = c->ws;
    memcpy(t.fork_guid, v->fork, sizeof t.fork_guid);
    yerr_clear(&pe);
    rc = cat_plan_find(c->snap, c->db.guid, &t, &pl, &pe);
    if (rc == 0 && pl.n_steps > 0) {
        const cat_plan_step *base = &pl.steps[0];
        if (pl.n_steps > 1 && pl.steps[1].type == CAT_DIFF) {
            base = &pl.steps[1];
            memcpy(v->base_full_uuid, pl.steps[0].backup_set_uuid, sizeof v->base_full_uuid);
        }
        memcpy(v->base_uuid, base->backup_set_uuid, sizeof v->base_uuid);
        v->has_base = 1;
        v->keep_lsn = base->last_lsn;
        v->base_type = base->type;
        v->base_time = base->last_time;
        advance_base(c, v, &pl);
        v->from_lsn = v->keep_lsn;
    } else if (rc == YERR_UNREACHABLE) {
        int64_t m = INT64_MIN;
        v->why = pl.failure.code;
        for (size_t i = 0; i < c->n_rows; i++) {
            const rrow *r = &c->rows[i];
            if (r->last_time <= c->ws && r->last_lsn > m && on_lineage(&v->lin, r))
                m = r->last_lsn;
        }
        v->keep_lsn = m;
        v->keep_all = m == INT64_MIN;
        v->from_lsn = m == INT64_MIN || m == INT64_MAX ? m : m + 1;
    } else {
        cat_plan_free(&pl);
        *e = pe;
        return rc ? rc : yerr_set(e, YERR_FAIL, "plan for the window's start is empty");
    }
    cat_plan_free(&pl);
    for (size_t i = 0; i < c->n_rows; i++)
        if (!c->rows[i].keep && keeps(c, v, &c->rows[i]))
            c->rows[i].keep = 1;
    return 0;
}

static int eval_forks(rctx *c, yerr *e)
{
    sqlite3_stmt *st = NULL;
    char newest[CAT_GUID_BUF];
    size_t cap = 0;
    int rc;

    if (cat_fork_newest(c->snap, c->db.guid, newest, e))
        return e->code;
    if (cat_prepare(c->snap,
                    "SELECT recovery_fork_guid FROM backupset WHERE database_guid = ?1"
                    " UNION SELECT fork_guid FROM recoveryfork WHERE database_guid = ?1",
                    &st, e))
        return e->code;
    sqlite3_bind_text(st, 1, c->db.guid, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        reval *v;
        if (c->n_evals == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            reval *nv = realloc(c->evals, ncap * sizeof *nv);
            if (!nv) {
                sqlite3_finalize(st);
                return yerr_oom(e);
            }
            c->evals = nv;
            cap = ncap;
        }
        v = &c->evals[c->n_evals];
        memset(v, 0, sizeof *v);
        if (copy_text(v->fork, sizeof v->fork, sqlite3_column_text(st, 0)) || !v->fork[0])
            continue;
        if (strcmp(v->fork, newest) == 0)
            c->newest = (int)c->n_evals;
        c->n_evals++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return cat_sql_error(c->snap, "list forks", e);
    for (size_t i = 0; i < c->n_evals; i++)
        if (eval_fork(c, &c->evals[i], e))
            return yerr_ctx(e, "fork %s", c->evals[i].fork);
    /* A kept diff keeps its base full. */
    for (size_t i = 0; i < c->n_rows; i++) {
        const rrow *r = &c->rows[i];
        if (r->keep && r->type == CAT_DIFF) {
            rrow *full = find_row(c, r->base_uuid);
            if (full)
                full->keep = 1;
        }
    }
    return 0;
}

/* ---- the check ------------------------------------------------------------------ */

static int add_target(rctx *c, const reval *v, enum cat_target_kind kind, int64_t lsn,
                      int64_t time, const char *mark, yerr *e)
{
    rtarget *t;
    if (c->n_targets == c->cap_targets) {
        size_t cap = c->cap_targets ? c->cap_targets * 2 : 256;
        rtarget *nv = realloc(c->targets, cap * sizeof *nv);
        if (!nv)
            return yerr_oom(e);
        c->targets = nv;
        c->cap_targets = cap;
    }
    t = &c->targets[c->n_targets++];
    memset(t, 0, sizeof *t);
    t->t.kind = kind;
    t->t.lsn = lsn;
    t->t.time = time;
    if (mark)
        snprintf(t->t.mark, sizeof t->t.mark, "%s", mark);
    memcpy(t->t.fork_guid, v->fork, sizeof t->t.fork_guid);
    return 0;
}

static int target_cmp(const void *a, const void *b)
{
    const cat_target *x = &((const rtarget *)a)->t, *y = &((const rtarget *)b)->t;
    int d = strcmp(x->fork_guid, y->fork_guid);
    if (d)
        return d;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if (x->lsn != y->lsn)
        return x->lsn < y->lsn ? -1 : 1;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return strcmp(x->mark, y->mark);
}

/* Targets inside the window of one fork that loses something: its start,
 * window_start_lsn, the last LSN and last time of every full and diff
 * that ends inside the window and of some logs (the first
 * CHECK_LOGS_HEAD after the start, CHECK_LOGS_SPREAD spread over the
 * rest), every mark made inside the window, and the latest point. */
static int fork_targets(rctx *c, const reval *v, sqlite3_stmt *marks, yerr *e)
{
    size_t n_logs = 0, k = 0, stride = 1;
    int rc;

    for (size_t i = 0; i < c->n_rows; i++)
        n_logs += c->rows[i].type == CAT_LOG && c->rows[i].last_time >= c->ws
                  && on_lineage(&v->lin, &c->rows[i]);
    if (n_logs > CHECK_LOGS_HEAD + CHECK_LOGS_SPREAD)
        stride = (n_logs - CHECK_LOGS_HEAD + CHECK_LOGS_SPREAD - 1) / CHECK_LOGS_SPREAD;
    if (add_target(c, v, CAT_TARGET_TIME, 0, c->ws, NULL, e)
        || add_target(c, v, CAT_TARGET_LATEST, 0, 0, NULL, e)
        || add_target(c, v, CAT_TARGET_LSN, v->from_lsn, 0, NULL, e))
        return e->code;
    for (size_t i = 0; i < c->n_rows; i++) {
        const rrow *r = &c->rows[i];
        if (r->last_time < c->ws || !on_lineage(&v->lin, r))
            continue;
        if (r->type == CAT_LOG && k++ >= CHECK_LOGS_HEAD
            && (k - CHECK_LOGS_HEAD) % stride != 0)
            continue;
        if ((r->last_lsn >= v->from_lsn
             && add_target(c, v, CAT_TARGET_LSN, r->last_lsn, 0, NULL, e))
            || add_target(c, v, CAT_TARGET_TIME, 0, r->last_time, NULL, e))
            return e->code;
    }
    sqlite3_bind_text(marks, 1, c->db.guid, -1, SQLITE_STATIC);
    cat_bind_time(marks, 2, c->ws);
    while ((rc = sqlite3_step(marks)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(marks, 0);
        if (name && (add_target(c, v, CAT_TARGET_MARK, 0, 0, name, e)
                     || add_target(c, v, CAT_TARGET_BEFORE_MARK, 0, 0, name, e))) {
            sqlite3_reset(marks);
            return e->code;
        }
    }
    sqlite3_reset(marks);
    if (rc != SQLITE_DONE)
        return cat_sql_error(c->snap, "read marks", e);
    return 0;
}

static int collect_targets(rctx *c, yerr *e)
{
    sqlite3_stmt *marks = NULL;

    if (cat_prepare(c->snap,
                    "SELECT DISTINCT name FROM backupmark WHERE database_guid = ?"
                    " AND mark_time >= ? ORDER BY name",
                    &marks, e))
        return e->code;
    for (size_t k = 0; k < c->n_evals; k++) {
        const reval *v = &c->evals[k];
        int loses = 0;
        if (v->keep_all)
            continue;
        for (size_t i = 0; i < c->n_rows && !loses; i++)
            loses = !c->rows[i].keep && on_lineage(&v->lin, &c->rows[i]);
        if (loses && fork_targets(c, v, marks, e))
            break;
    }
    sqlite3_finalize(marks);
    if (e->code)
        return e->code;
    if (c->n_targets > 1) {
        size_t k = 1;
        qsort(c->targets, c->n_targets, sizeof *c->targets, target_cmp);
        for (size_t i = 1; i < c->n_targets; i++)
            if (target_cmp(&c->targets[i], &c->targets[k - 1]) != 0)
                c->targets[k++] = c->targets[i];
        c->n_targets = k;
    }
    return 0;
}

static void target_text(const cat_target *t, char *buf, size_t size)
{
    char v[300];
    cat_target_value(t, v, sizeof v);
    snprintf(buf, size, "%s %s on fork %s", cat_target_kind_name(t->kind), v, t->fork_guid);
}

/* Plan one target on the snapshot: reachable before the prune (and, for
 * the latest point, inside the window), and whether its plan uses a
 * chosen backup. */
static int plan_before(rctx *c, rtarget *t, yerr *e)
{
    cat_plan pl;
    yerr pe;
    int rc;

    yerr_clear(&pe);
    rc = cat_plan_find(c->snap, c->db.guid, &t->t, &pl, &pe);
    t->reachable = rc == 0;
    t->latest_lsn = pl.restores_to_lsn;
    /* A fork's latest point before the window is not the window's. */
    if (rc == 0 && t->t.kind == CAT_TARGET_LATEST && pl.n_steps
        && pl.steps[pl.n_steps - 1].last_time < c->ws)
        t->reachable = 0;
    /* A plan whose backups all stay is still there after the prune; the
     * latest point is planned again whatever (its meaning moves). */
    t->touched = t->t.kind == CAT_TARGET_LATEST;
    for (size_t k = 0; rc == 0 && k < pl.n_steps && !t->touched; k++) {
        const rrow *r = find_row(c, pl.steps[k].backup_set_uuid);
        t->touched = !r || !r->keep;
    }
    cat_plan_free(&pl);
    if (rc && rc != YERR_UNREACHABLE) {
        *e = pe;
        return rc;
    }
    return 0;
}

/* A fresh copy without the rows (and marks) the plan lets go. */
static int simulate(const rctx *c, catalog **out, yerr *e)
{
    if (snapshot_open(c, out, e))
        return e->code;
    if (cat_tx_begin(*out, e))
        goto fail;
    for (size_t i = 0; i < c->n_rows; i++)
        if (!c->rows[i].keep && cat_backupset_delete(*out, c->rows[i].uuid, e)) {
            cat_tx_rollback(*out);
            yerr_ctx(e, "simulate the prune");
            goto fail;
        }
    if (cat_tx_commit(*out, e) == 0)
        return 0;
fail:
    cat_close(*out);
    *out = NULL;
    return e->code;
}

/* Put back every chosen backup of the target's plan before the prune. */
static int rescue(rctx *c, const rtarget *t, size_t *rescued, yerr *e)
{
    cat_plan pl;
    yerr pe;
    int rc;

    yerr_clear(&pe);
    rc = cat_plan_find(c->snap, c->db.guid, &t->t, &pl, &pe);
    if (rc) {
        cat_plan_free(&pl);
        *e = pe;
        return rc;
    }
    for (size_t i = 0; i < pl.n_steps; i++) {
        rrow *r = find_row(c, pl.steps[i].backup_set_uuid);
        if (r && !r->keep) {
            r->keep = 1;
            (*rescued)++;
        }
    }
    cat_plan_free(&pl);
    return 0;
}

/* Whether the target is lost after the prune (in copy w); rescues its
 * chosen backups when it is.  *lost counts losses, *rescued backups put
 * back; first_bad names the first loss. */
static int verify_target(rctx *c, catalog *w, const rtarget *t, size_t *lost, size_t *rescued,
                         char *first_bad, size_t size, yerr *e)
{
    cat_plan pl;
    yerr pe;
    int rc, gone;

    yerr_clear(&pe);
    rc = cat_plan_find(w, c->db.guid, &t->t, &pl, &pe);
    gone = rc == YERR_UNREACHABLE
           || (rc == 0 && t->t.kind == CAT_TARGET_LATEST && pl.restores_to_lsn < t->latest_lsn);
    cat_plan_free(&pl);
    if (rc && rc != YERR_UNREACHABLE) {
        *e = pe;
        return rc;
    }
    if (!gone)
        return 0;
    if (!(*lost)++)
        target_text(&t->t, first_bad, size);
    return rescue(c, t, rescued, e);
}

/* The first point of [lo, hi] that no window of `after` (for fork) holds;
 * INT64_MAX when all are held.  by_time: compare times, else LSNs. */
static int64_t first_uncovered(const cat_check *after, const char *fork, int by_time,
                               int64_t lo, int64_t hi)
{
    int64_t x = lo;
    for (;;) {
        int64_t best = INT64_MIN;
        for (size_t i = 0; i < after->n_windows; i++) {
            const cat_window *w = &after->windows[i];
            int64_t from = by_time ? w->from_time : w->from_lsn;
            int64_t to = by_time ? w->to_time : w->to_lsn;
            if (strcmp(w->fork_guid, fork) == 0 && from <= x && x <= to && to > best)
                best = to;
        }
        if (best == INT64_MIN)
            return x;
        if (best >= hi)
            return INT64_MAX;
        x = best + 1;
    }
}

/*
 * Every LSN (and time) of the window that a restorable window held before
 * the prune must be held after it.  Windows come from the planner's own
 * pieces (check.c), so this covers every point, not samples; a point
 * found uncovered is confirmed with the planner before and after, and a
 * real loss rescues its plan.
 */
static int verify_windows(rctx *c, catalog *w, const cat_check *before, size_t *lost,
                          size_t *rescued, char *first_bad, size_t size, yerr *e)
{
    cat_check after;

    if (cat_check_database(w, c->db.guid, &after, e))
        return e->code;
    for (size_t i = 0; i < before->n_windows && !e->code; i++) {
        const cat_window *bw = &before->windows[i];
        const reval *v = NULL;
        for (size_t k = 0; k < c->n_evals; k++)
            if (strcmp(c->evals[k].fork, bw->fork_guid) == 0)
                v = &c->evals[k];
        if (!v || v->keep_all)
            continue;
        for (int by_time = 0; by_time < 2 && !e->code; by_time++) {
            int64_t lo = by_time ? (bw->from_time > c->ws ? bw->from_time : c->ws)
                                 : (bw->from_lsn > v->from_lsn ? bw->from_lsn : v->from_lsn);
            int64_t hi = by_time ? bw->to_time : bw->to_lsn;
            int64_t x;
            rtarget t;
            if (lo > hi)
                continue;
            x = first_uncovered(&after, bw->fork_guid, by_time, lo, hi);
            if (x == INT64_MAX)
                continue;
            memset(&t, 0, sizeof t);
            t.t.kind = by_time ? CAT_TARGET_TIME : CAT_TARGET_LSN;
            t.t.time = x;
            t.t.lsn = x;
            memcpy(t.t.fork_guid, bw->fork_guid, sizeof t.t.fork_guid);
            if (plan_before(c, &t, e))
                break;
            if (t.reachable)
                verify_target(c, w, &t, lost, rescued, first_bad, size, e);
        }
    }
    cat_check_free(&after);
    return e->code;
}

static int check(rctx *c, size_t *n_rescued, yerr *e)
{
    cat_check before;
    int rc = 0;

    if (collect_targets(c, e))
        return e->code;
    for (size_t i = 0; i < c->n_targets; i++)
        if (plan_before(c, &c->targets[i], e))
            return e->code;
    if (cat_check_database(c->snap, c->db.guid, &before, e))
        return e->code;
    for (;;) {
        catalog *w = NULL;
        size_t lost = 0, rescued = 0;
        char first_bad[512] = "";

        if ((rc = simulate(c, &w, e)))
            break;
        for (size_t i = 0; i < c->n_targets && !rc; i++) {
            const rtarget *t = &c->targets[i];
            if (t->reachable && t->touched)
                rc = verify_target(c, w, t, &lost, &rescued, first_bad, sizeof first_bad, e);
        }
        if (!rc)
            rc = verify_windows(c, w, &before, &lost, &rescued, first_bad, sizeof first_bad, e);
        cat_close(w);
        *n_rescued += rescued;
        if (rc || !lost)
            break;
        if (!rescued) {
            rc = yerr_set(e, YERR_FAIL,
                          "retention would make %s unreachable, and no backup it chose"
                          " explains why",
                          first_bad);
            break;
        }
    }
    cat_check_free(&before);
    return rc;
}

/* ---- the answer -------------------------------------------------------------------- */

static const reval *own_eval(const rctx *c, const rrow *r)
{
    for (size_t i = 0; i < c->n_evals; i++)
        if (strcmp(c->evals[i].fork, r->fork) == 0)
            return &c->evals[i];
    return NULL;
}

static const char *type_word(enum cat_backup_type t, int copy_only)
{
    if (copy_only)
        return t == CAT_FULL ? "copy-only full" : t == CAT_LOG ? "copy-only log" : "copy-only diff";
    return cat_backup_type_name(t);
}

static void reason(const rctx *c, const rrow *r, char *out, size_t size)
{
    const reval *v = own_eval(c, r);
    const char *state = r->damaged ? " [damaged]" : r->missing ? " [media missing]" : "";
    char last[YTIME_BUF], ws[YTIME_BUF], bt[YTIME_BUF], fork[CAT_GUID_BUF + 16] = "";

    ytime_format_short(r->last_time, last);
    ytime_format_short(c->ws, ws);
    if (c->newest < 0 || strcmp(r->fork, c->evals[c->newest].fork) != 0)
        snprintf(fork, sizeof fork, " on fork %s", r->fork);
    if (v && v->has_base) {
        ytime_format_short(v->base_time, bt);
        if (r->type == CAT_LOG)
            snprintf(out, size,
                     "%s %s%s (LSN %lld..%lld, until %s) ends at LSN %lld, at or before"
                     " the window's base %s (%s at LSN %lld, %s): no point from %s on"
                     " needs it%s",
                     type_word(r->type, r->copy_only), r->uuid, fork,
                     (long long)r->first_lsn, (long long)r->last_lsn, last,
                     (long long)r->last_lsn, v->base_uuid, type_word(v->base_type, 0),
                     (long long)v->keep_lsn, bt, ws, state);
        else
            snprintf(out, size,
                     "%s %s%s (LSN %lld, %s) is older than the window's base %s (%s at"
                     " LSN %lld, %s) and no kept backup needs it%s",
                     type_word(r->type, r->copy_only), r->uuid, fork,
                     (long long)r->last_lsn, last, v->base_uuid, type_word(v->base_type, 0),
                     (long long)v->keep_lsn, bt, state);
    } else {
        snprintf(out, size,
                 "%s %s%s (LSN %lld..%lld, until %s) ends before the window starts (%s),"
                 " where fork %s cannot be restored (%s); only backups from LSN %lld on"
                 " can serve the window%s",
                 type_word(r->type, r->copy_only), r->uuid, fork, (long long)r->first_lsn,
                 (long long)r->last_lsn, last, ws, r->fork,
                 v ? cat_plan_error_name(v->why) : "?",
                 v ? (long long)v->keep_lsn : 0LL, state);
    }
}

static int build(rctx *c, cat_prune_plan *out, yerr *e)
{
    sqlite3_stmt *st = NULL;
    size_t n = 0, i = 0;
    int rc;

    for (size_t k = 0; k < c->n_rows; k++)
        n += !c->rows[k].keep;
    out->n_kept = c->n_rows - n;
    if (n == 0)
        return 0;
    out->items = calloc(n, sizeof *out->items);
    if (!out->items)
        return yerr_oom(e);
    if (cat_prepare(c->snap, "SELECT " CAT_BACKUPSET_COLUMNS " FROM backupset"
                             " WHERE database_guid = ? ORDER BY backup_id",
                    &st, e))
        return e->code;
    sqlite3_bind_text(st, 1, c->db.guid, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && i < c->n_rows) {
        const rrow *r = &c->rows[i++];
        cat_prune_item *it;
        if (r->keep)
            continue;
        it = &out->items[out->n];
        if (cat_backupset_read(st, 0, &it->row, e)) {
            sqlite3_finalize(st);
            return e->code;
        }
        if (it->row.backup_id != r->id) {
            sqlite3_finalize(st);
            return yerr_set(e, YERR_FAIL, "catalog copy changed while read");
        }
        reason(c, r, it->reason, sizeof it->reason);
        out->bytes += r->size;
        out->n++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return cat_sql_error(c->snap, "read backups", e);
    return 0;
}

static int retention_plan(rctx *c, catalog *cat, const char *database,
                          const cat_retention_policy *p, int64_t now, cat_prune_plan *out,
                          yerr *e)
{
    int found = 0;

    if (snapshot_take(cat, c, e) || snapshot_open(c, &c->snap, e))
        return e->code;
    if (cat_database_resolve(c->snap, database, &c->db, &found, e))
        return e->code;
    memcpy(out->database_name, c->db.name, sizeof out->database_name);
    memcpy(out->database_guid, c->db.guid, sizeof out->database_guid);
    if (load_rows(c, e) || window_start(c, p, now, e))
        return e->code;
    out->window_start_time = c->ws;
    out->window_start_lsn = INT64_MIN;
    if (cat_fork_newest(c->snap, c->db.guid, out->fork_guid, e))
        return e->code;
    if (c->ws == INT64_MIN) {
        out->n_kept = c->n_rows;
        return 0;
    }
    if (eval_forks(c, e))
        return e->code;
    if (c->newest >= 0) {
        const reval *v = &c->evals[c->newest];
        out->window_start_lsn = v->keep_all ? INT64_MIN : v->from_lsn;
        memcpy(out->base_uuid, v->base_uuid, sizeof out->base_uuid);
        memcpy(out->base_full_uuid, v->base_full_uuid, sizeof out->base_full_uuid);
    }
    if (check(c, &out->n_rescued, e))
        return e->code;
    out->n_checked = c->n_targets;
    return build(c, out, e);
}

int cat_retention_plan(catalog *cat, const char *database, const cat_retention_policy *p,
                       int64_t now_us, cat_prune_plan *out, yerr *e)
{
    rctx c;
    int rc;

    memset(out, 0, sizeof *out);
    out->window_start_time = INT64_MIN;
    out->window_start_lsn = INT64_MIN;
    if (p->keep_fulls < 0 || p->keep_days < 0 || (p->keep_fulls == 0 && p->keep_days == 0)) {
        yerr_set(e, YERR_USAGE, "retention for %s: keep_fulls %d, keep_days %d: %s", database,
                 p->keep_fulls, p->keep_days,
                 p->keep_fulls < 0 || p->keep_days < 0 ? "negative" : "no rule set");
        yerr_hint(e, "keep a number of fulls (--keep-fulls N), days (--keep-days D), or both");
        return e->code;
    }
    memset(&c, 0, sizeof c);
    c.repo = cat_repo_dir(cat);
    c.newest = -1;
    rc = retention_plan(&c, cat, database, p, now_us, out, e);
    if (rc) {
        yerr_ctx(e, "retention for %s", out->database_name[0] ? out->database_name : database);
        cat_prune_plan_free(out);
    }
    cat_close(c.snap);
    sqlite3_free(c.img);
    free(c.rows);
    free(c.by_uuid);
    free(c.evals);
    free(c.targets);
    return rc;
}
