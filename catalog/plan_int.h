/*
 * plan_int.h: the planner's internal view of the catalog, shared by the
 * search (plan.c), its failure explanations (plan_explain.c) and the chain
 * check (check.c).  Not part of the catalog's public interface.
 */
#ifndef YEDEK_CAT_PLAN_INT_H
#define YEDEK_CAT_PLAN_INT_H

#include <stdint.h>

#include "fork.h"
#include "plan.h"

/* A backup as the planner sees it: no paths, no descriptions. */
typedef struct prow {
    int64_t id;
    char uuid[CAT_GUID_BUF];
    char base_uuid[CAT_GUID_BUF]; /* diff: its base full */
    int span;                     /* index in the lineage */
    enum cat_backup_type type;
    int copy_only;
    int usable;                   /* media present and not damaged */
    int damaged;                  /* is_damaged (else unusable: no media) */
    int64_t first_lsn, last_lsn, checkpoint_lsn, base_lsn;
    int64_t first_time, last_time;
    int64_t size;
} prow;

typedef struct prow_vec {
    prow *v;
    size_t n, cap;
} prow_vec;

int prow_vec_push(prow_vec *vec, const prow *r, yerr *e);
void prow_vec_free(prow_vec *vec);

/* What "reached the target" means, resolved from a cat_target. */
typedef struct pgoal {
    enum cat_target_kind kind; /* LATEST is resolved to LSN before search */
    int64_t lsn;               /* LSN, BEFORE_MARK: the LSN; MARK: its start */
    int64_t time;              /* TIME */
} pgoal;

/* The catalog access the planner needs, with its prepared statements. */
typedef struct pquery {
    catalog *cat;
    const char *database_guid;
    const cat_lineage *lin;
    sqlite3_stmt *stab;    /* logs of one fork with first <= x < last */
    sqlite3_stmt *after;   /* logs of one fork with first > x, by first */
    int64_t max_span[CAT_LINEAGE_MAX];
} pquery;

int pquery_open(pquery *q, catalog *cat, const char *database_guid,
                const cat_lineage *lin, yerr *e);
void pquery_close(pquery *q);

/* Every log (usable or not) on the lineage that contains state x, in a
 * fixed order: regular before copy-only, then by backup_id. */
int pquery_stab(pquery *q, int64_t x, prow_vec *out, yerr *e);

/* The usable log on the lineage with the smallest first_lsn > x (the
 * one a chain that stopped at x resumes with); *found = 0 when none. */
int pquery_next_log(pquery *q, int64_t x, prow *out, int *found, yerr *e);

/* Every non-empty log of lineage fork `span`, by first_lsn; fn returning
 * non-zero stops the walk. */
int pquery_each_log(pquery *q, int span, int (*fn)(const prow *r, void *arg, yerr *e),
                    void *arg, yerr *e);

/* Fulls or diffs of the lineage that can serve as a base for states up to
 * limit_lsn (and, for time targets, limit_time), newest first. */
int pquery_bases(pquery *q, enum cat_backup_type type, int64_t limit_lsn,
                 int64_t limit_time, prow_vec *out, yerr *e);

/* Applying log r at state x: where it leads. */
enum pedge { PEDGE_NONE, PEDGE_STATE, PEDGE_GOAL };
typedef struct pstep {
    enum pedge kind;
    int64_t end;             /* the state reached (PEDGE_STATE) */
    enum cat_stop_kind stop; /* where the restore stops inside r */
    int64_t stop_lsn, stop_time;
    int stop_inclusive;
} pstep;

pstep plan_edge(const pquery *q, const pgoal *g, const prow *r, int64_t x);

/* Greedy log chain from state x: at each state the usable log that reaches
 * furthest (a goal-reaching log ends it).  Greedy is optimal in count. */
typedef struct pchain {
    int reached;      /* the goal was reached */
    int64_t *states;  /* states[0] = x, then the state after each log */
    size_t n_states, cap;
    int64_t end;      /* last state (before the goal log, if reached) */
    prow last;        /* the log that led to `end` (valid if n_states > 1) */
    size_t n_logs;    /* logs used, the goal log included */
} pchain;

/* g == NULL: the chain of the start state alone, no log. */
int plan_greedy(pquery *q, const pgoal *g, int64_t x, pchain *out, yerr *e);
void pchain_free(pchain *c);

/* The full a diff applies on, when that full is usable, regular (not
 * copy-only) and its checkpoint matches; else NULL. */
const prow *plan_diff_base(const prow_vec *fulls, const prow *diff);

/* Fill p->failure and e for a target that no sequence reaches. */
int plan_explain(pquery *q, const pgoal *g, const prow_vec *fulls,
                 const prow_vec *diffs, const prow *top, cat_plan *p, yerr *e);

#endif
