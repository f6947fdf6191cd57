/*
 * plan_edge.c: what applying one backup does to the planner's state, and
 * the greedy chain built from it.
 *
 * A log r carries state x forward iff first_lsn <= x < last_lsn and x is
 * below its fork's bound.  A log of a parent fork that crosses the child's
 * fork point is cut there: the restore stops at that LSN and continues with
 * the child's logs.  Whether the edge reaches the target depends on the
 * target's kind; the stop says where inside the log the restore ends.
 */
#include "plan_int.h"

#include <stdlib.h>
#include <string.h>

static pstep goal_stop(enum cat_stop_kind stop)
{
    pstep s;
    memset(&s, 0, sizeof s);
    s.kind = PEDGE_GOAL;
    s.stop = stop;
    return s;
}

pstep plan_edge(const pquery *q, const pgoal *g, const prow *r, int64_t x)
{
    const cat_fork_span *span = &q->lin->span[r->span];
    int clipped = r->last_lsn > span->hi_lsn;
    int64_t end = clipped ? span->hi_lsn : r->last_lsn;
    pstep s;

    memset(&s, 0, sizeof s);
    if (r->type != CAT_LOG || !(r->first_lsn <= x && x < r->last_lsn) || x >= span->hi_lsn)
        return s;

    switch (g->kind) {
    case CAT_TARGET_LSN:
    case CAT_TARGET_LATEST:
    case CAT_TARGET_BEFORE_MARK:
        if (end >= g->lsn) {
            if (r->last_lsn == g->lsn)
                return goal_stop(CAT_STOP_NONE);
            s = goal_stop(g->kind == CAT_TARGET_BEFORE_MARK ? CAT_STOP_MARK : CAT_STOP_LSN);
            s.stop_lsn = g->lsn;
            return s;
        }
        break;
    case CAT_TARGET_MARK:
        /* The marked transaction starts at g->lsn; the log that holds
         * its start holds all of it. */
        if (g->lsn < end) {
            s = goal_stop(CAT_STOP_MARK);
            s.stop_lsn = g->lsn;
            s.stop_inclusive = 1;
            return s;
        }
        break;
    case CAT_TARGET_TIME:
        if (r->last_time >= g->time && g->time <= span->hi_time) {
            if (r->last_time == g->time && !clipped)
                return goal_stop(CAT_STOP_NONE);
            s = goal_stop(CAT_STOP_TIME);
            s.stop_time = g->time;
            return s;
        }
        break;
    }
    s.kind = PEDGE_STATE;
    s.end = end;
    if (clipped) {
        s.stop = CAT_STOP_LSN;
        s.stop_lsn = end;
    }
    return s;
}

static int chain_push(pchain *c, int64_t x, yerr *e)
{
    if (c->n_states == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        int64_t *v = realloc(c->states, cap * sizeof *v);
        if (!v)
            return yerr_oom(e);
        c->states = v;
        c->cap = cap;
    }
    c->states[c->n_states++] = x;
    return 0;
}

int plan_greedy(pquery *q, const pgoal *g, int64_t x, pchain *c, yerr *e)
{
    prow_vec logs = {0};

    memset(c, 0, sizeof *c);
    if (chain_push(c, x, e))
        return e->code;
    c->end = x;
    while (g) {
        const prow *best = NULL;
        int64_t best_end = x;
        if (pquery_stab(q, x, &logs, e))
            goto fail;
        for (size_t i = 0; i < logs.n; i++) {
            const prow *r = &logs.v[i];
            pstep s;
            if (!r->usable)
                continue;
            s = plan_edge(q, g, r, x);
            if (s.kind == PEDGE_GOAL) {
                c->reached = 1;
                c->n_logs++;
                c->end = x;
                prow_vec_free(&logs);
                return 0;
            }
            if (s.kind == PEDGE_STATE && s.end > best_end) {
                best = r;
                best_end = s.end;
            }
        }
        if (!best)
            break;
        c->last = *best;
        c->n_logs++;
        x = best_end;
        c->end = x;
        if (chain_push(c, x, e))
            goto fail;
    }
    prow_vec_free(&logs);
    return 0;
fail:
    prow_vec_free(&logs);
    pchain_free(c);
    return e->code;
}

void pchain_free(pchain *c)
{
    free(c->states);
    memset(c, 0, sizeof *c);
}
