/*
 * plan.c: the restore planner's search (see plan.h for the rules).
 *
 * A* over LSN states.  Start edges are the usable fulls, and the usable
 * diffs on a usable full, at or before the target; log edges come from
 * index probes as states are expanded.  Cost is (backups, bytes), compared
 * in that order.  The lower bound h(x) on the logs still needed comes from
 * greedy chains: a greedy chain from s0 reaching the target with k logs
 * passes states s0 < s1 < ..., and no state at or below s_i can do better
 * than k - i (a later state never needs more logs than an earlier one).
 * The same chains give the best count C* before the search starts, so
 * states whose bound exceeds it are never expanded.
 */
#include "plan_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "database.h"
#include "isotime.h"
#include "mark.h"

typedef struct pstate {
    int64_t lsn;
    int count;
    int64_t bytes;
    int pred;      /* previous state, -1 for a state reached from a base */
    int row;       /* the backup that led here (index in rows) */
    int base_full; /* for a diff start edge: its full (index), else -1 */
    pstep step;    /* where the restore stops inside `row` */
    int closed;
} pstate;

typedef struct pheap_item {
    int f;
    int64_t bytes;
    uint64_t seq;
    int state;
} pheap_item;

typedef struct psearch {
    pquery *q;
    const pgoal *g;
    prow_vec rows;
    pstate *states;
    size_t n_states, cap_states;
    int *slots; /* open addressing: lsn -> state index + 1 */
    size_t n_slots;
    pheap_item *heap;
    size_t n_heap, cap_heap;
    uint64_t seq;
    const pchain *chains[2];
    int best; /* C*: the fewest backups that reach the target */
    int goal; /* state index of the goal, -1 until reached */
} psearch;

const char *cat_plan_error_name(enum cat_plan_error code)
{
    static const char *const names[] = {
        "ok", "log_gap", "after_last_log", "target_too_early",
        "diff_base_missing", "unknown_mark", "no_backups"};
    return (unsigned)code < sizeof names / sizeof *names ? names[code] : "?";
}

void cat_plan_free(cat_plan *p)
{
    for (size_t i = 0; i < p->n_steps; i++)
        free(p->steps[i].media_path);
    free(p->steps);
    p->steps = NULL;
    p->n_steps = 0;
}

/* ---- the lower bound ---------------------------------------------------- */

static int chain_bound(const pchain *c, int64_t x)
{
    size_t lo = 0, hi = c->n_states;
    int k = (int)c->n_logs;
    if (x > c->states[c->n_states - 1])
        return 1;
    while (lo < hi) { /* first state >= x */
        size_t mid = (lo + hi) / 2;
        if (c->states[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return k - (int)lo;
}

static int bound(const psearch *s, int64_t x)
{
    int h = 1;
    for (int i = 0; i < 2; i++)
        if (s->chains[i] && s->chains[i]->reached) {
            int b = chain_bound(s->chains[i], x);
            if (b > h)
                h = b;
        }
    return h;
}

/* ---- states, by LSN ----------------------------------------------------- */

static size_t slot_of(const psearch *s, int64_t lsn)
{
    uint64_t h = (uint64_t)lsn * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h >> 17) & (s->n_slots - 1);
}

static int grow_slots(psearch *s, yerr *e)
{
    size_t n = s->n_slots ? s->n_slots * 2 : 256;
    int *slots = calloc(n, sizeof *slots);
    if (!slots)
        return yerr_oom(e);
    free(s->slots);
    s->slots = slots;
    s->n_slots = n;
    for (size_t i = 0; i < s->n_states; i++) {
        size_t j = slot_of(s, s->states[i].lsn);
        while (s->slots[j])
            j = (j + 1) & (n - 1);
        s->slots[j] = (int)i + 1;
    }
    return 0;
}

/* The state for `lsn`, created unreached (count INT_MAX) when new. */
static int state_at(psearch *s, int64_t lsn, int *out, yerr *e)
{
    size_t j;
    if ((s->n_states + 1) * 2 > s->n_slots && grow_slots(s, e))
        return e->code;
    for (j = slot_of(s, lsn); s->slots[j]; j = (j + 1) & (s->n_slots - 1))
        if (s->states[s->slots[j] - 1].lsn == lsn) {
            *out = s->slots[j] - 1;
            return 0;
        }
    if (s->n_states == s->cap_states) {
        size_t cap = s->cap_states ? s->cap_states * 2 : 64;
        pstate *v = realloc(s->states, cap * sizeof *v);
        if (!v)
            return yerr_oom(e);
        s->states = v;
        s->cap_states = cap;
    }
    memset(&s->states[s->n_states], 0, sizeof *s->states);
    s->states[s->n_states].lsn = lsn;
    s->states[s->n_states].count = -1;
    s->slots[j] = (int)s->n_states + 1;
    *out = (int)s->n_states++;
    return 0;
}

/* ---- the open set -------------------------------------------------------- */

static int item_less(const pheap_item *a, const pheap_item *b)
{
    if (a->f != b->f)
        return a->f < b->f;
    if (a->bytes != b->bytes)
        return a->bytes < b->bytes;
    return a->seq < b->seq;
}

static int heap_push(psearch *s, pheap_item it, yerr *e)
{
    size_t i;
    if (s->n_heap == s->cap_heap) {
        size_t cap = s->cap_heap ? s->cap_heap * 2 : 64;
        pheap_item *v = realloc(s->heap, cap * sizeof *v);
        if (!v)
            return yerr_oom(e);
        s->heap = v;
        s->cap_heap = cap;
    }
    it.seq = s->seq++;
    for (i = s->n_heap++; i > 0 && item_less(&it, &s->heap[(i - 1) / 2]); i = (i - 1) / 2)
        s->heap[i] = s->heap[(i - 1) / 2];
    s->heap[i] = it;
    return 0;
}

static pheap_item heap_pop(psearch *s)
{
    pheap_item top = s->heap[0], last = s->heap[--s->n_heap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->n_heap)
            break;
        if (c + 1 < s->n_heap && item_less(&s->heap[c + 1], &s->heap[c]))
            c++;
        if (!item_less(&s->heap[c], &last))
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->n_heap)
        s->heap[i] = last;
    return top;
}

/* ---- relaxation ---------------------------------------------------------- */

/* Offer a way into the state at `lsn` (or into the goal): kept when it is
 * cheaper than what the state has and its bound does not exceed the best. */
static int relax(psearch *s, int to_lsn_is_goal, int64_t lsn, int count,
                 int64_t bytes, int pred, const prow *row, int base_full,
                 const pstep *step, yerr *e)
{
    int idx, h;
    pstate *st;

    if (to_lsn_is_goal) {
        if (s->goal < 0) {
            /* The goal is one more state, under an LSN no real one has. */
            if (state_at(s, INT64_MIN, &s->goal, e))
                return e->code;
        }
        idx = s->goal;
        h = 0;
    } else {
        if (state_at(s, lsn, &idx, e))
            return e->code;
        h = bound(s, lsn);
    }
    if (count + h > s->best)
        return 0;
    st = &s->states[idx];
    if (st->count >= 0 && (st->count < count || (st->count == count && st->bytes <= bytes)))
        return 0;
    if (prow_vec_push(&s->rows, row, e))
        return e->code;
    st = &s->states[idx];
    st->count = count;
    st->bytes = bytes;
    st->pred = pred;
    st->row = (int)s->rows.n - 1;
    st->base_full = base_full;
    if (step)
        st->step = *step;
    else
        memset(&st->step, 0, sizeof st->step);
    return heap_push(s, (pheap_item){count + h, bytes, 0, idx}, e);
}

static int start_edge(psearch *s, const prow *base, const prow *full, yerr *e)
{
    const pgoal *g = s->g;
    int count = full ? 2 : 1;
    int64_t bytes = base->size + (full ? full->size : 0);
    int goal, full_idx = -1;

    switch (g->kind) {
    case CAT_TARGET_TIME:
        goal = base->last_time == g->time;
        break;
    case CAT_TARGET_MARK:
        goal = 0;
        break;
    default:
        goal = base->last_lsn == g->lsn;
    }
    if (full) {
        if (prow_vec_push(&s->rows, full, e))
            return e->code;
        full_idx = (int)s->rows.n - 1;
    }
    return relax(s, goal, base->last_lsn, count, bytes, -1, base, full_idx, NULL, e);
}

static int expand(psearch *s, int idx, prow_vec *logs, yerr *e)
{
    int64_t x = s->states[idx].lsn;

    if (pquery_stab(s->q, x, logs, e))
        return e->code;
    for (size_t i = 0; i < logs->n; i++) {
        const prow *r = &logs->v[i];
        const pstate *st = &s->states[idx];
        pstep step;
        if (!r->usable)
            continue;
        step = plan_edge(s->q, s->g, r, x);
        if (step.kind == PEDGE_NONE || (step.kind == PEDGE_STATE && step.end <= x))
            continue;
        if (relax(s, step.kind == PEDGE_GOAL, step.end, st->count + 1,
                  st->bytes + r->size, idx, r, -1, &step, e))
            return e->code;
    }
    return 0;
}

/* ---- building the answer ----------------------------------------------- */

static int add_step(catalog *cat, cat_plan *p, const prow *r, const pstep *step,
                    yerr *e)
{
    cat_backupset full;
    cat_plan_step *st = &p->steps[p->n_steps];

    if (cat_backupset_get(cat, r->uuid, &full, e))
        return e->code;
    memset(st, 0, sizeof *st);
    st->media_path = strdup(full.media_path);
    if (!st->media_path)
        return yerr_oom(e);
    p->n_steps++;
    st->backup_id = r->id;
    memcpy(st->backup_set_uuid, r->uuid, sizeof st->backup_set_uuid);
    memcpy(st->recovery_fork_guid, full.recovery_fork_guid, sizeof st->recovery_fork_guid);
    st->type = r->type;
    st->is_copy_only = r->copy_only;
    st->first_lsn = r->first_lsn;
    st->last_lsn = r->last_lsn;
    st->first_time = r->first_time;
    st->last_time = r->last_time;
    st->backup_size = r->size;
    if (step) {
        st->stop = step->stop;
        st->stop_lsn = step->stop_lsn;
        st->stop_time = step->stop_time;
        st->stop_inclusive = step->stop_inclusive;
    }
    p->bytes_to_read += r->size;
    return 0;
}

static int build_plan(psearch *s, cat_plan *p, yerr *e)
{
    size_t n = 0;
    const pstate *last;
    int i;

    for (i = s->goal; i >= 0; i = s->states[i].pred)
        n += s->states[i].base_full >= 0 ? 2 : 1;
    p->steps = calloc(n, sizeof *p->steps);
    if (!p->steps)
        return yerr_oom(e);
    /* Walk back from the goal, filling the steps from the end. */
    {
        int *order = malloc(n * sizeof *order);
        size_t k = 0;
        if (!order)
            return yerr_oom(e);
        for (i = s->goal; i >= 0; i = s->states[i].pred)
            order[k++] = i;
        for (size_t j = k; j-- > 0;) {
            const pstate *st = &s->states[order[j]];
            if (st->base_full >= 0 && add_step(s->q->cat, p, &s->rows.v[st->base_full], NULL, e))
                break;
            if (add_step(s->q->cat, p, &s->rows.v[st->row], st->pred >= 0 ? &st->step : NULL, e))
                break;
        }
        free(order);
        if (e->code)
            return e->code;
    }
    last = &s->states[s->goal];
    switch (s->g->kind) {
    case CAT_TARGET_LSN:
    case CAT_TARGET_LATEST:
    case CAT_TARGET_BEFORE_MARK:
        p->restores_to_lsn_known = 1;
        p->restores_to_lsn = s->g->lsn;
        break;
    case CAT_TARGET_TIME:
        if (last->step.stop == CAT_STOP_NONE) {
            p->restores_to_lsn_known = 1;
            p->restores_to_lsn = p->steps[p->n_steps - 1].last_lsn;
        }
        break;
    case CAT_TARGET_MARK:
        break;
    }
    return 0;
}

/* A diff counts as a base only on its own usable, regular full. */
const prow *plan_diff_base(const prow_vec *fulls, const prow *d)
{
    for (size_t j = 0; j < fulls->n; j++) {
        const prow *f = &fulls->v[j];
        if (strcmp(f->uuid, d->base_uuid) == 0)
            return f->usable && !f->copy_only && f->checkpoint_lsn == d->base_lsn ? f : NULL;
    }
    return NULL;
}

static void search_free(psearch *s)
{
    prow_vec_free(&s->rows);
    free(s->states);
    free(s->slots);
    free(s->heap);
}

static int search(pquery *q, const pgoal *g, const prow_vec *fulls,
                  const prow_vec *diffs, const pchain *cf, const pchain *cd,
                  int best, cat_plan *p, yerr *e)
{
    psearch s;
    prow_vec logs = {0};

    memset(&s, 0, sizeof s);
    s.q = q;
    s.g = g;
    s.chains[0] = cf;
    s.chains[1] = cd;
    s.best = best;
    s.goal = -1;
    for (size_t i = 0; i < diffs->n; i++) {
        const prow *full = plan_diff_base(fulls, &diffs->v[i]);
        if (diffs->v[i].usable && full && start_edge(&s, &diffs->v[i], full, e))
            goto out;
    }
    for (size_t i = 0; i < fulls->n; i++)
        if (fulls->v[i].usable && start_edge(&s, &fulls->v[i], NULL, e))
            goto out;
    while (s.n_heap) {
        pheap_item it = heap_pop(&s);
        pstate *st = &s.states[it.state];
        if (it.state == s.goal)
            break;
        if (st->closed || it.bytes != st->bytes || it.f != st->count + bound(&s, st->lsn))
            continue;
        st->closed = 1;
        if (expand(&s, it.state, &logs, e))
            goto out;
    }
    if (s.goal < 0)
        yerr_set(e, YERR_FAIL, "planner found no path although a chain reaches the target");
    else
        build_plan(&s, p, e);
out:
    prow_vec_free(&logs);
    search_free(&s);
    return e->code;
}

/* ---- the entry point ----------------------------------------------------- */

static const prow *top_full(const prow_vec *fulls)
{
    for (size_t i = 0; i < fulls->n; i++)
        if (fulls->v[i].usable)
            return &fulls->v[i];
    return NULL;
}

static const prow *top_diff(const prow_vec *fulls, const prow_vec *diffs)
{
    for (size_t i = 0; i < diffs->n; i++)
        if (diffs->v[i].usable && plan_diff_base(fulls, &diffs->v[i]))
            return &diffs->v[i];
    return NULL;
}

/* The greedy chain from a base; a base that is itself the target needs no
 * log at all. */
static int chain_from(pquery *q, const pgoal *g, const prow *base, pchain *c,
                      yerr *e)
{
    int direct = g->kind == CAT_TARGET_TIME ? base->last_time == g->time
                 : g->kind == CAT_TARGET_MARK ? 0
                                              : base->last_lsn == g->lsn;
    if (plan_greedy(q, direct ? NULL : g, base->last_lsn, c, e))
        return e->code;
    c->reached |= direct;
    return 0;
}

static int resolve_target(catalog *cat, cat_plan *p, const cat_lineage *lin,
                          pgoal *g, yerr *e)
{
    const cat_target *t = &p->target;
    memset(g, 0, sizeof *g);
    g->kind = t->kind;
    g->lsn = t->lsn;
    g->time = t->time;
    if (t->kind == CAT_TARGET_MARK || t->kind == CAT_TARGET_BEFORE_MARK) {
        cat_mark m;
        int found;
        if (cat_mark_find(cat, p->database_guid, lin, t->mark, &m, &found, e))
            return e->code;
        if (!found) {
            p->failure.code = CAT_PLAN_UNKNOWN_MARK;
            yerr_set(e, YERR_UNREACHABLE, "no mark named '%s' for database %s",
                     t->mark, p->database_name);
            yerr_hint(e, "a mark reaches the catalog with the log backup that holds it;"
                         " check the name, or take a log backup first");
            return e->code;
        }
        g->lsn = m.lsn;
        p->mark_lsn = m.lsn;
        p->mark_time = m.time;
    }
    return 0;
}

static int plan_find(catalog *cat, const char *database, const cat_target *target,
                     cat_plan *p, yerr *e)
{
    cat_database db;
    cat_lineage lin;
    pquery q;
    pgoal g;
    prow_vec fulls = {0}, diffs = {0};
    pchain cf = {0}, cd = {0};
    const prow *tf, *td, *top;
    int found, best = -1;

    memset(p, 0, sizeof *p);
    p->target = *target;
    if (cat_database_resolve(cat, database, &db, &found, e)) {
        if (found)
            return e->code;
        snprintf(p->database_name, sizeof p->database_name, "%s", database);
        p->failure.code = CAT_PLAN_NO_BACKUPS;
        yerr_set(e, YERR_UNREACHABLE, "no backups of database '%s' in the catalog", database);
        yerr_hint(e, "take a full backup first: yedek backup full DB");
        return e->code;
    }
    memcpy(p->database_name, db.name, sizeof p->database_name);
    memcpy(p->database_guid, db.guid, sizeof p->database_guid);
    if (cat_fork_lineage(cat, db.guid, target->fork_guid, &lin, e))
        return e->code;
    memcpy(p->fork_guid, lin.span[0].fork_guid, sizeof p->fork_guid);
    if (resolve_target(cat, p, &lin, &g, e))
        return e->code;
    if (pquery_open(&q, cat, db.guid, &lin, e))
        return e->code;

    {
        int64_t limit_lsn = INT64_MAX, limit_time = INT64_MAX;
        if (g.kind == CAT_TARGET_TIME)
            limit_time = g.time;
        else if (g.kind != CAT_TARGET_LATEST)
            limit_lsn = g.lsn;
        if (pquery_bases(&q, CAT_FULL, limit_lsn, limit_time, &fulls, e)
            || pquery_bases(&q, CAT_DIFF, limit_lsn, limit_time, &diffs, e))
            goto out;
    }
    tf = top_full(&fulls);
    td = top_diff(&fulls, &diffs);
    top = !td || (tf && tf->last_lsn >= td->last_lsn) ? tf : td;
    if (g.kind == CAT_TARGET_LATEST && top) {
        /* The latest point is as far as a chain from the newest base goes. */
        pgoal never = {CAT_TARGET_LSN, INT64_MAX, 0};
        if (plan_greedy(&q, &never, top->last_lsn, &cf, e))
            goto out;
        g.kind = CAT_TARGET_LSN;
        g.lsn = cf.end;
        pchain_free(&cf);
    }
    if (tf && chain_from(&q, &g, tf, &cf, e))
        goto out;
    if (td && chain_from(&q, &g, td, &cd, e))
        goto out;
    if (cf.reached)
        best = 1 + (int)cf.n_logs;
    if (cd.reached && (best < 0 || 2 + (int)cd.n_logs < best))
        best = 2 + (int)cd.n_logs;
    if (best < 0) {
        plan_explain(&q, &g, &fulls, &diffs, top, p, e);
        goto out;
    }
    if (target->kind == CAT_TARGET_LATEST)
        g.kind = CAT_TARGET_LATEST;
    search(&q, &g, &fulls, &diffs, &cf, &cd, best, p, e);
out:
    pchain_free(&cf);
    pchain_free(&cd);
    prow_vec_free(&fulls);
    prow_vec_free(&diffs);
    pquery_close(&q);
    return e->code;
}

int cat_plan_find(catalog *cat, const char *database, const cat_target *target,
                  cat_plan *p, yerr *e)
{
    /* One snapshot of the catalog for the whole search, even while a
     * backup registers its row. */
    if (cat_tx_begin_read(cat, e))
        return yerr_ctx(e, "plan %s", database);
    if (plan_find(cat, database, target, p, e))
        yerr_ctx(e, "plan %s", p->database_name[0] ? p->database_name : database);
    cat_tx_rollback(cat);
    return e->code;
}
