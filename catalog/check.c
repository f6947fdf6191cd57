/*
 * check.c: chain breaks and restorable windows (see check.h).
 *
 * Windows come from the planner's own pieces, so check and plan can never
 * disagree: from each base beyond the windows found so far, the greedy log
 * chain runs as far as it goes; everything from the base to that end is
 * restorable.  Gaps come from a sweep over each fork's usable logs in LSN
 * order.
 */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "database.h"
#include "isotime.h"
#include "plan_int.h"

const char *cat_break_kind_name(enum cat_break_kind k)
{
    static const char *const names[] = {"log_gap", "diff_base_missing", "unreachable_logs",
                                        "missing_media", "damaged"};
    return (unsigned)k < sizeof names / sizeof *names ? names[k] : "?";
}

void cat_check_free(cat_check *c)
{
    free(c->breaks);
    free(c->windows);
    c->breaks = NULL;
    c->windows = NULL;
    c->n_breaks = c->n_windows = 0;
}

static cat_break *add_break(cat_check *c, enum cat_break_kind kind, const char *fork, yerr *e)
{
    cat_break *v = realloc(c->breaks, (c->n_breaks + 1) * sizeof *v);
    if (!v) {
        yerr_oom(e);
        return NULL;
    }
    c->breaks = v;
    memset(&v[c->n_breaks], 0, sizeof *v);
    v[c->n_breaks].kind = kind;
    snprintf(v[c->n_breaks].fork_guid, CAT_GUID_BUF, "%s", fork);
    return &v[c->n_breaks++];
}

static int add_window(cat_check *c, const cat_window *w, yerr *e)
{
    cat_window *v = realloc(c->windows, (c->n_windows + 1) * sizeof *v);
    if (!v)
        return yerr_oom(e);
    c->windows = v;
    v[c->n_windows++] = *w;
    return 0;
}

/* ---- restorable windows of one fork's lineage ---------------------------- */

static int oldest_first(const void *a, const void *b)
{
    const prow *x = a, *y = b;
    if (x->last_lsn != y->last_lsn)
        return x->last_lsn < y->last_lsn ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int check_windows(pquery *q, cat_check *c, size_t *first_window, yerr *e)
{
    prow_vec fulls = {0}, diffs = {0}, bases = {0};
    pgoal never = {CAT_TARGET_LSN, INT64_MAX, 0};
    int64_t end = INT64_MIN;

    *first_window = c->n_windows;
    if (pquery_bases(q, CAT_FULL, INT64_MAX, INT64_MAX, &fulls, e)
        || pquery_bases(q, CAT_DIFF, INT64_MAX, INT64_MAX, &diffs, e))
        goto out;
    for (size_t i = 0; i < fulls.n; i++)
        if (fulls.v[i].usable && prow_vec_push(&bases, &fulls.v[i], e))
            goto out;
    for (size_t i = 0; i < diffs.n; i++) {
        const prow *d = &diffs.v[i];
        if (d->usable && plan_diff_base(&fulls, d)) {
            if (prow_vec_push(&bases, d, e))
                goto out;
        } else if (d->usable) {
            cat_break *b = add_break(c, CAT_BREAK_DIFF_BASE_MISSING, q->lin->span[0].fork_guid, e);
            if (!b)
                goto out;
            snprintf(b->backup_set_uuid, sizeof b->backup_set_uuid, "%s", d->uuid);
            b->from_lsn = d->first_lsn;
            b->to_lsn = d->last_lsn;
            snprintf(b->message, sizeof b->message,
                     "differential backup %s cannot be restored: its base full %s is"
                     " missing, damaged or not a valid base", d->uuid, d->base_uuid);
        }
    }
    if (bases.n)
        qsort(bases.v, bases.n, sizeof *bases.v, oldest_first);
    for (size_t i = 0; i < bases.n; i++) {
        const prow *b = &bases.v[i];
        cat_window w;
        pchain ch;
        if (b->last_lsn <= end)
            continue; /* inside the window already found: same end */
        if (plan_greedy(q, &never, b->last_lsn, &ch, e))
            goto out;
        memset(&w, 0, sizeof w);
        snprintf(w.fork_guid, sizeof w.fork_guid, "%s", q->lin->span[0].fork_guid);
        w.from_lsn = b->last_lsn;
        w.from_time = b->last_time;
        w.to_lsn = ch.end;
        w.to_time = ch.n_states > 1 ? ch.last.last_time : b->last_time;
        snprintf(w.base_uuid, sizeof w.base_uuid, "%s", b->uuid);
        end = ch.end;
        pchain_free(&ch);
        if (add_window(c, &w, e))
            goto out;
    }
out:
    prow_vec_free(&fulls);
    prow_vec_free(&diffs);
    prow_vec_free(&bases);
    return e->code;
}

/* ---- gaps and unreachable logs of one fork --------------------------------- */

typedef struct sweep {
    cat_check *c;
    const char *fork;
    size_t first_window; /* this fork's windows start here in c->windows */
    int started;
    int64_t cover;    /* usable logs cover LSNs up to here */
    prow last;        /* the usable log that reached `cover` */
    /* a run of logs no window reaches */
    size_t run;
    int64_t run_from, run_to;
    char run_first[CAT_GUID_BUF];
} sweep;

static int in_window(const sweep *s, const prow *r)
{
    for (size_t i = s->first_window; i < s->c->n_windows; i++) {
        const cat_window *w = &s->c->windows[i];
        if (r->first_lsn < w->to_lsn && r->last_lsn > w->from_lsn)
            return 1;
    }
    /* Logs older than every window are history, not a break. */
    return s->first_window == s->c->n_windows
               ? 0
               : r->last_lsn <= s->c->windows[s->first_window].from_lsn;
}

static int flush_run(sweep *s, yerr *e)
{
    cat_break *b;
    if (!s->run)
        return 0;
    b = add_break(s->c, CAT_BREAK_UNREACHABLE_LOGS, s->fork, e);
    if (!b)
        return e->code;
    b->from_lsn = s->run_from;
    b->to_lsn = s->run_to;
    b->count = s->run;
    snprintf(b->backup_set_uuid, sizeof b->backup_set_uuid, "%s", s->run_first);
    snprintf(b->message, sizeof b->message,
             "%zu log backup%s covering LSN %lld to %lld (from %s) cannot be reached from"
             " any full or diff; take a full backup to start a restorable chain",
             s->run, s->run == 1 ? "" : "s", (long long)s->run_from, (long long)s->run_to,
             s->run_first);
    s->run = 0;
    return 0;
}

static int sweep_log(const prow *r, void *arg, yerr *e)
{
    sweep *s = arg;
    char t1[YTIME_BUF], t2[YTIME_BUF];

    if (!r->usable)
        return 0;
    if (s->started && r->first_lsn > s->cover) {
        cat_break *b = add_break(s->c, CAT_BREAK_LOG_GAP, s->fork, e);
        if (!b)
            return e->code;
        b->from_lsn = s->cover;
        b->to_lsn = r->first_lsn;
        snprintf(b->before_uuid, sizeof b->before_uuid, "%s", s->last.uuid);
        snprintf(b->after_uuid, sizeof b->after_uuid, "%s", r->uuid);
        ytime_format_short(s->last.last_time, t1);
        ytime_format_short(r->first_time, t2);
        snprintf(b->message, sizeof b->message,
                 "no log backup covers LSN %lld to %lld: the chain breaks after %s"
                 " (ended %s) and resumes at %s (from %s)",
                 (long long)b->from_lsn, (long long)b->to_lsn, s->last.uuid, t1, r->uuid, t2);
    }
    if (!s->started || r->last_lsn > s->cover) {
        s->cover = r->last_lsn;
        s->last = *r;
    }
    s->started = 1;
    if (in_window(s, r))
        return flush_run(s, e);
    if (!s->run) {
        s->run_from = r->first_lsn;
        snprintf(s->run_first, sizeof s->run_first, "%s", r->uuid);
    }
    s->run++;
    s->run_to = r->last_lsn;
    return 0;
}

/* ---- per database --------------------------------------------------------- */

typedef struct media_ctx {
    catalog *cat;
    cat_check *c;
} media_ctx;

static int media_row(const cat_backupset *row, void *arg, yerr *e)
{
    media_ctx *m = arg;
    int damaged = row->is_damaged;
    cat_break *b;

    if (!damaged && cat_media_exists(m->cat, row->media_path))
        return 0;
    b = add_break(m->c, damaged ? CAT_BREAK_DAMAGED : CAT_BREAK_MISSING_MEDIA,
                  row->recovery_fork_guid, e);
    if (!b)
        return e->code;
    snprintf(b->backup_set_uuid, sizeof b->backup_set_uuid, "%s", row->backup_set_uuid);
    b->from_lsn = row->first_lsn;
    b->to_lsn = row->last_lsn;
    snprintf(b->message, sizeof b->message, "%s backup %s (LSN %lld to %lld) %s",
             cat_backup_type_name(row->type), row->backup_set_uuid, (long long)row->first_lsn,
             (long long)row->last_lsn,
             damaged ? "is marked damaged" : "has no media file in the repository");
    return 0;
}

static int database_forks(catalog *cat, const char *guid, char (**out)[CAT_GUID_BUF],
                          size_t *n, yerr *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    *out = NULL;
    *n = 0;
    if (cat_prepare(cat, "SELECT recovery_fork_guid FROM backupset WHERE database_guid = ?1"
                         " GROUP BY recovery_fork_guid ORDER BY max(backup_id) DESC",
                    &st, e))
        return e->code;
    sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char(*v)[CAT_GUID_BUF] = realloc(*out, (*n + 1) * sizeof *v);
        if (!v) {
            sqlite3_finalize(st);
            return yerr_oom(e);
        }
        *out = v;
        snprintf(v[(*n)++], CAT_GUID_BUF, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return cat_sql_error(cat, "list forks", e);
    return 0;
}

int cat_check_database(catalog *cat, const char *database, cat_check *out, yerr *e)
{
    cat_database db;
    char(*forks)[CAT_GUID_BUF] = NULL;
    size_t n_forks = 0;
    int found;
    media_ctx m = {cat, out};

    memset(out, 0, sizeof *out);
    if (cat_database_resolve(cat, database, &db, &found, e))
        return e->code;
    memcpy(out->database_name, db.name, sizeof out->database_name);
    memcpy(out->database_guid, db.guid, sizeof out->database_guid);
    if (cat_backupset_list(cat, db.guid, media_row, &m, e)
        || database_forks(cat, db.guid, &forks, &n_forks, e))
        goto out;
    for (size_t i = 0; i < n_forks; i++) {
        cat_lineage lin;
        pquery q;
        sweep s;
        if (cat_fork_lineage(cat, db.guid, forks[i], &lin, e) || pquery_open(&q, cat, db.guid, &lin, e))
            goto out;
        memset(&s, 0, sizeof s);
        s.c = out;
        s.fork = forks[i];
        if (check_windows(&q, out, &s.first_window, e)
            || pquery_each_log(&q, 0, sweep_log, &s, e) || flush_run(&s, e)) {
            pquery_close(&q);
            goto out;
        }
        pquery_close(&q);
    }
out:
    free(forks);
    if (e->code)
        yerr_ctx(e, "check %s", database);
    return e->code;
}

int cat_check_each_database(catalog *cat, int (*fn)(const char *guid, void *arg, yerr *e),
                            void *arg, yerr *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (cat_prepare(cat, "SELECT database_guid FROM backupset GROUP BY database_guid"
                         " ORDER BY min(database_name), database_guid",
                    &st, e))
        return e->code;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char guid[CAT_GUID_BUF];
        snprintf(guid, sizeof guid, "%s", (const char *)sqlite3_column_text(st, 0));
        if (fn(guid, arg, e)) {
            sqlite3_finalize(st);
            return e->code ? e->code : YERR_FAIL;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return cat_sql_error(cat, "list databases", e);
    return 0;
}
