/*
 * plan_explain.c: why no restore sequence reaches a target, in the terms a
 * DBA uses: which LSN range no log covers and between which backups, that
 * the target lies after the last log, before the first restorable full, or
 * behind a diff whose base is gone; and which backups would have served
 * but have missing media or are marked damaged.
 */
#include "plan_int.h"

#include <stdio.h>
#include <string.h>

#include "isotime.h"

static void note_unusable(cat_plan_failure *f, const prow *r)
{
    if (f->n_unusable < CAT_PLAN_UNUSABLE_MAX)
        memcpy(f->unusable[f->n_unusable++], r->uuid, CAT_GUID_BUF);
}

static const char *why_unusable(const prow *r)
{
    return r->damaged ? "is marked damaged" : "has no media file";
}

/* Append " (backup X has no media file; ...)" naming unusable backups. */
static void append_unusable(char *msg, size_t size, const prow *v, size_t n)
{
    size_t len = strlen(msg);
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i].usable)
            continue;
        len = strlen(msg);
        snprintf(msg + len, size - len, "%s%s %s %s", any ? "; " : " (",
                 cat_backup_type_name(v[i].type), v[i].uuid, why_unusable(&v[i]));
        any = 1;
    }
    len = strlen(msg);
    if (any)
        snprintf(msg + len, size - len, ")");
}

static void target_text(const pgoal *g, const cat_plan *p, char *buf, size_t size)
{
    char t[YTIME_BUF];
    switch (p->target.kind) {
    case CAT_TARGET_TIME:
        ytime_format_short(g->time, t);
        snprintf(buf, size, "time %s", t);
        break;
    case CAT_TARGET_MARK:
        snprintf(buf, size, "mark '%s' (LSN %lld)", p->target.mark, (long long)g->lsn);
        break;
    case CAT_TARGET_BEFORE_MARK:
        snprintf(buf, size, "just before mark '%s' (LSN %lld)", p->target.mark,
                 (long long)g->lsn);
        break;
    case CAT_TARGET_LATEST:
        snprintf(buf, size, "the latest point");
        break;
    default:
        snprintf(buf, size, "LSN %lld", (long long)g->lsn);
    }
}

/* A usable diff past `after` stranded by its base is the precise answer:
 * restoring that full's media fixes the restore.  Returns 1 if reported. */
static int explain_diff_base(const pgoal *g, const prow_vec *fulls,
                             const prow_vec *diffs, int64_t after, cat_plan *p,
                             yerr *e)
{
    cat_plan_failure *f = &p->failure;
    char msg[YERR_MSG_MAX], what[160];

    target_text(g, p, what, sizeof what);
    for (size_t i = 0; i < diffs->n; i++) {
        const prow *d = &diffs->v[i];
        const prow *base = NULL;
        if (!d->usable || d->last_lsn <= after || plan_diff_base(fulls, d))
            continue;
        f->code = CAT_PLAN_DIFF_BASE_MISSING;
        memcpy(f->backup_set_uuid, d->uuid, CAT_GUID_BUF);
        memcpy(f->base_uuid, d->base_uuid, CAT_GUID_BUF);
        for (size_t j = 0; j < fulls->n && !base; j++)
            if (strcmp(fulls->v[j].uuid, d->base_uuid) == 0)
                base = &fulls->v[j];
        if (base && !base->usable)
            note_unusable(f, base);
        snprintf(msg, sizeof msg,
                 "differential backup %s needs its base full %s, which %s", d->uuid,
                 d->base_uuid,
                 !base ? "is not in the catalog"
                 : !base->usable ? why_unusable(base)
                 : base->copy_only ? "is copy-only and cannot be a diff base"
                                   : "does not match the diff's base LSN");
        yerr_set(e, YERR_UNREACHABLE, "cannot reach %s: %s", what, msg);
        yerr_hint(e, "restore the base full's media, or take a new full backup");
        return 1;
    }
    return 0;
}

static int explain_no_base(pquery *q, const pgoal *g, const prow_vec *fulls,
                           const prow_vec *diffs, cat_plan *p, yerr *e)
{
    cat_plan_failure *f = &p->failure;
    char msg[YERR_MSG_MAX], what[160], t[YTIME_BUF];
    prow_vec all = {0};
    const prow *first = NULL;

    if (explain_diff_base(g, fulls, diffs, INT64_MIN, p, e))
        return e->code;
    target_text(g, p, what, sizeof what);
    f->code = CAT_PLAN_TARGET_TOO_EARLY;
    if (pquery_bases(q, CAT_FULL, INT64_MAX, INT64_MAX, &all, e))
        return e->code;
    for (size_t i = 0; i < all.n; i++)
        if (all.v[i].usable)
            first = &all.v[i]; /* newest first: the last usable is the earliest */
    for (size_t i = 0; i < fulls->n; i++)
        if (!fulls->v[i].usable)
            note_unusable(f, &fulls->v[i]);
    if (first) {
        memcpy(f->backup_set_uuid, first->uuid, CAT_GUID_BUF);
        f->first_lsn = first->last_lsn;
        f->first_time = first->last_time;
        ytime_format_short(first->last_time, t);
        snprintf(msg, sizeof msg,
                 "%s is before the first restorable full backup %s (LSN %lld, %s)",
                 what, first->uuid, (long long)first->last_lsn, t);
    } else {
        snprintf(msg, sizeof msg, "%s: no restorable full backup", what);
    }
    append_unusable(msg, sizeof msg, fulls->v, fulls->n);
    prow_vec_free(&all);
    yerr_set(e, YERR_UNREACHABLE, "%s", msg);
    if (first)
        yerr_hint(e, "choose a target at or after %s", t);
    else
        yerr_hint(e, "take a full backup: yedek backup full DB");
    return e->code;
}

int plan_explain(pquery *q, const pgoal *g, const prow_vec *fulls,
                 const prow_vec *diffs, const prow *top, cat_plan *p, yerr *e)
{
    cat_plan_failure *f = &p->failure;
    char msg[YERR_MSG_MAX], what[160], t1[YTIME_BUF], t2[YTIME_BUF];
    pchain c;
    prow next, before;
    prow_vec stab = {0};
    int found;

    if (!top)
        return explain_no_base(q, g, fulls, diffs, p, e);
    target_text(g, p, what, sizeof what);
    if (plan_greedy(q, g, top->last_lsn, &c, e))
        return e->code;
    before = c.n_states > 1 ? c.last : *top;
    f->reach_lsn = c.end;
    f->reach_time = before.last_time;
    pchain_free(&c);
    if (explain_diff_base(g, fulls, diffs, f->reach_lsn, p, e))
        return e->code;
    memcpy(f->before_uuid, before.uuid, CAT_GUID_BUF);
    f->before_time = before.last_time;
    if (pquery_next_log(q, f->reach_lsn, &next, &found, e)
        || pquery_stab(q, f->reach_lsn, &stab, e))
        goto out;
    for (size_t i = 0; i < stab.n; i++)
        if (!stab.v[i].usable)
            note_unusable(f, &stab.v[i]);
    /* Fulls and diffs past the point reached would have served too. */
    for (size_t i = 0; i < fulls->n; i++)
        if (!fulls->v[i].usable && fulls->v[i].last_lsn > f->reach_lsn
            && prow_vec_push(&stab, &fulls->v[i], e) == 0)
            note_unusable(f, &fulls->v[i]);
    for (size_t i = 0; i < diffs->n; i++)
        if (!diffs->v[i].usable && diffs->v[i].last_lsn > f->reach_lsn
            && prow_vec_push(&stab, &diffs->v[i], e) == 0)
            note_unusable(f, &diffs->v[i]);
    if (e->code)
        goto out;
    ytime_format_short(before.last_time, t1);
    if (found) {
        f->code = CAT_PLAN_LOG_GAP;
        f->gap_from_lsn = f->reach_lsn;
        f->gap_to_lsn = next.first_lsn;
        memcpy(f->after_uuid, next.uuid, CAT_GUID_BUF);
        f->after_time = next.first_time;
        ytime_format_short(next.first_time, t2);
        snprintf(msg, sizeof msg,
                 "cannot reach %s: no log backup covers LSN %lld to %lld: the chain"
                 " breaks after %s (ended %s) and resumes at %s (from %s)",
                 what, (long long)f->gap_from_lsn, (long long)f->gap_to_lsn,
                 before.uuid, t1, next.uuid, t2);
        append_unusable(msg, sizeof msg, stab.v, stab.n);
        yerr_set(e, YERR_UNREACHABLE, "%s", msg);
        yerr_hint(e, "restore to %s (LSN %lld) or earlier, or take a full backup"
                     " so that later points are covered", t1, (long long)f->reach_lsn);
    } else {
        f->code = CAT_PLAN_AFTER_LAST_LOG;
        snprintf(msg, sizeof msg,
                 "cannot reach %s: it is after the last log backup; backups reach"
                 " LSN %lld (%s, %s)", what, (long long)f->reach_lsn, t1, before.uuid);
        append_unusable(msg, sizeof msg, stab.v, stab.n);
        yerr_set(e, YERR_UNREACHABLE, "%s", msg);
        yerr_hint(e, "take a log backup (yedek backup log DB), or a tail-log backup"
                     " if the database is damaged (yedek backup log DB --tail)");
    }
out:
    prow_vec_free(&stab);
    return e->code;
}
