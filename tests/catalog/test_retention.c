/*
 * test_retention.c: the retention planner, table-driven, with an injected
 * clock.
 *
 * Each scenario is a catalog in the history DSL (history.h) in which one
 * LSN is one HOUR: every backup line gets t=FIRST*3600..LAST*3600 unless
 * it says h=A..B (hours); fork and mark lines' t= are hours too.  `now` is
 * in hours after HIST_EPOCH, keep_days in days.
 *
 * expect:  NAME ... [base=NAME] [from=LSN] [rescued=N]
 *          the backups the plan deletes, in catalog order ("-" for none),
 *          then the window's base on the newest fork, its LSN, and how
 *          many backups the check had to put back (default 0: the rule
 *          alone must be right).
 *          !usage | !fail   cat_retention_plan must fail with that code.
 * reasons: "NAME|text;NAME|text": the item's reason contains the text.
 *
 * Every successful scenario then goes through an oracle that knows nothing
 * of the rule: plan a grid of targets (every half hour of the window and
 * each backup's boundaries, on every fork; every LSN from the window's LSN
 * on the newest fork; marks in the window; the latest point), delete the
 * plan's rows (and their marks) from the catalog, plan again: whatever was
 * reachable must still be, and the latest point must not move.
 *
 * The must-show runs on a generated month (weekly full, nightly
 * diff, a log every hour: 750 backups) with keep_days = 14, keep_fulls = 2
 * and both: the deleted set is computed independently, and after deleting
 * it every hour of the window is planned by time and by LSN.
 *
 * A command-line argument is passed to cmocka_set_test_filter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "backupset.h"
#include "catalog.h"
#include "error.h"
#include "history.h"
#include "isotime.h"
#include "plan.h"
#include "retention.h"
#include "target.h"

#define HOUR INT64_C(3600)

typedef struct scenario {
    const char *title;
    const char *history;
    int keep_fulls, keep_days;
    int64_t now_h;
    const char *expect;
    const char *reasons;
    const char *db; /* NULL: "app" */
} scenario;

/* ---- histories ---------------------------------------------------------------- */

#define H_ONE_FULL                                                            \
    "F1 full 10 10\n"                                                         \
    "L1 log 10 20\n"                                                          \
    "L2 log 20 30\n"

#define H_TWO_FULLS                                                           \
    "F1 full 10 10\n"                                                         \
    "L1 log 10 20\n"                                                          \
    "L2 log 20 30\n"                                                          \
    "F2 full 30 30\n"                                                         \
    "L3 log 30 40\n"

/* F2 was taken while L2 was open: L2 runs across it. */
#define H_CROSSING                                                            \
    "F1 full 10 10\n"                                                         \
    "L1 log 10 20\n"                                                          \
    "L2 log 20 35\n"                                                          \
    "F2 full 30 30\n"                                                         \
    "L3 log 35 40\n"

/* Three fulls, each with a diff between its logs. */
#define H_DIFFS_HEAD                                                          \
    "F1 full 10 10\n"                                                         \
    "L1 log 10 20\n"                                                          \
    "D1 diff 20 20\n"
#define H_DIFFS_TAIL                                                          \
    "F2 full 30 30\n"                                                         \
    "L3 log 30 40\n"                                                          \
    "D2 diff 40 40\n"                                                         \
    "L4 log 40 50\n"                                                          \
    "F3 full 50 50\n"
#define H_DIFFS                                                               \
    H_DIFFS_HEAD "L2 log 20 30\n" H_DIFFS_TAIL "L5 log 50 60\n"               \
    "D3 diff 60 60\n"                                                         \
    "L6 log 60 70\n"
#define H_DIFFS_L5_MISSING                                                    \
    H_DIFFS_HEAD "L2 log 20 30\n" H_DIFFS_TAIL "L5 log 50 60 missing\n"       \
    "D3 diff 60 60\n"                                                         \
    "L6 log 60 70\n"
#define H_DIFFS_L2_MISSING                                                    \
    H_DIFFS_HEAD "L2 log 20 30 missing\n" H_DIFFS_TAIL "L5 log 50 60\n"       \
    "D3 diff 60 60\n"                                                         \
    "L6 log 60 70\n"

/* The middle log is gone; F2 comes after the gap. */
#define H_GAP                                                                 \
    "F1 full 10 10\n"                                                         \
    "L1 log 10 20\n"                                                          \
    "L2 log 20 30 missing\n"                                                  \
    "L3 log 30 40\n"                                                          \
    "F2 full 40 40\n"                                                         \
    "L4 log 40 50\n"

/* D1 is on F1 (the newest regular full); C1 is a copy-only full between. */
#define H_COPY_BASE                                                           \
    "F1 full 10 10\n"                                                         \
    "L1 log 10 20\n"                                                          \
    "L2 log 20 30\n"                                                          \
    "C1 full 30 30 copy\n"                                                    \
    "L3 log 30 40\n"                                                          \
    "D1 diff 40 40\n"                                                         \
    "L4 log 40 50\n"

#define H_COPY_OLD                                                            \
    "C0 full 5 5 copy\n"                                                      \
    "F1 full 10 10\n"                                                         \
    "L1 log 10 20\n"                                                          \
    "F2 full 20 20\n"                                                         \
    "L2 log 20 30\n"

#define H_COPY_ONLY_NEWER                                                     \
    "F1 full 10 10\n"                                                         \
    "L1 log 10 20\n"                                                          \
    "C1 full 20 20 copy\n"                                                    \
    "L2 log 20 30\n"                                                          \
    "C2 full 30 30 copy\n"                                                    \
    "L3 log 30 40\n"

/* F2 is damaged: F1 + logs is the way past it. */
#define H_DAMAGED_FULL                                                        \
    "F1 full 10 10\n"                                                         \
    "L1 log 10 20\n"                                                          \
    "L2 log 20 30\n"                                                          \
    "F2 full 30 30 damaged\n"                                                 \
    "L3 log 30 40\n"                                                          \
    "F3 full 40 40\n"                                                         \
    "L4 log 40 50\n"

/* Copy-only logs: K0 before the window, K1 bridging L3's gap in it. */
#define H_COPY_LOGS                                                           \
    "F1 full 10 10\n"                                                         \
    "K0 log 5 15 copy\n"                                                      \
    "L1 log 10 20\n"                                                          \
    "F2 full 20 20\n"                                                         \
    "L2 log 20 30\n"                                                          \
    "L3 log 30 40 missing\n"                                                  \
    "K1 log 25 45 copy\n"                                                     \
    "L4 log 40 50\n"

/* f0 lived to 40h; f1 was restored from it at LSN 25 (at 42h) and has its
 * own full H1 since 50h. */
#define H_FORK_ABANDONED                                                      \
    "F1 full 10 10\n"                                                         \
    "L1 log 10 20\n"                                                          \
    "L2 log 20 30\n"                                                          \
    "F2 full 30 30\n"                                                         \
    "L3 log 30 40\n"                                                          \
    "fork f1 parent=f0 at=25\n"                                               \
    "G1 log 25 35 fork=f1 h=42..50\n"                                         \
    "H1 full 35 35 fork=f1 h=50..50\n"                                        \
    "G2 log 35 45 fork=f1 h=50..60\n"                                         \
    "G3 log 45 55 fork=f1 h=60..70\n"

/* Both forks live on: f0 with a full F2 at 35h, f1 (restored at LSN 25)
 * with its own full H1 at 38h. */
#define H_FORK_BOTH                                                           \
    "F1 full 10 10\n"                                                         \
    "L1 log 10 20\n"                                                          \
    "L2 log 20 30\n"                                                          \
    "fork f1 parent=f0 at=25\n"                                               \
    "G1 log 25 35 fork=f1 h=26..38\n"                                         \
    "L3 log 30 40\n"                                                          \
    "F2 full 35 35\n"                                                         \
    "H1 full 35 35 fork=f1 h=38..38\n"                                        \
    "L4 log 40 50\n"                                                          \
    "G2 log 35 45 fork=f1 h=38..50\n"

#define H_TWO_DBS                                                             \
    "F1 full 10 10\n"                                                         \
    "L1 log 10 20\n"                                                          \
    "F2 full 20 20\n"                                                         \
    "X1 full 5 5 db=other\n"                                                  \
    "XL log 5 25 db=other\n"                                                  \
    "L2 log 20 30\n"

#define H_SIMPLE                                                              \
    "F1 full 10 10\n"                                                         \
    "D1 diff 20 20\n"                                                         \
    "F2 full 30 30\n"                                                         \
    "D2 diff 40 40\n"                                                         \
    "D3 diff 50 50\n"

/* A mark whose time (40h, inside the window) disagrees with its LSN (15,
 * before the window's base F2): the rule lets F1 and L1 go, the check
 * finds "mark m" unreachable and puts them back. */
#define H_CLOCK_BACK                                                          \
    "F1 full 10 10\n"                                                         \
    "L1 log 10 20\n"                                                          \
    "L2 log 20 30\n"                                                          \
    "F2 full 30 30 h=24..24\n"                                                \
    "L3 log 30 40\n"                                                          \
    "mark m 15 t=40\n"

/* Empty logs and an idle stretch: E1 is empty, L2 finishes at 30h though
 * its last LSN is 25. */
#define H_IDLE                                                                \
    "F1 full 10 10\n"                                                         \
    "L1 log 10 20\n"                                                          \
    "E1 log 20 20 h=20..22\n"                                                 \
    "L2 log 20 25 h=22..30\n"                                                 \
    "F2 full 25 25 h=30..30\n"                                                \
    "L3 log 25 40 h=30..40\n"

/* ---- the table ------------------------------------------------------------------ */

static const scenario scenarios[] = {
    /* Nothing to prune. */
    {"one full and its logs, keep 1 full: nothing goes", H_ONE_FULL, 1, 0, 0,
     "- base=F1 from=10", NULL, NULL},
    {"fewer fulls than keep_fulls: nothing goes", H_DIFFS, 4, 0, 0, "-", NULL, NULL},
    {"keep_days reaching before the first backup: nothing goes", H_DIFFS, 0, 10, 70, "-",
     NULL, NULL},
    {"keep_fulls = every full: nothing goes", H_DIFFS, 3, 0, 0, "- base=F1 from=10", NULL,
     NULL},

    /* Count of fulls. */
    {"keep 1 full: the older full and the logs up to the newer one go", H_TWO_FULLS, 1, 0, 0,
     "F1 L1 L2 base=F2 from=30",
     "F1|older than the window's base F2 (full at LSN 30;"
     "L1|ends at LSN 20, at or before the window's base F2", NULL},
    {"keep 2 fulls: the first full, its diff and logs go; later diffs stay", H_DIFFS, 2, 0, 0,
     "F1 L1 D1 L2 base=F2 from=30", "D1|diff D1 (LSN 20,", NULL},
    {"keep 1 full of three", H_DIFFS, 1, 0, 0, "F1 L1 D1 L2 F2 L3 D2 L4 base=F3 from=50",
     NULL, NULL},
    {"a log chain crossing the full: the log spanning it stays", H_CROSSING, 1, 0, 0,
     "F1 L1 base=F2 from=30", NULL, NULL},
    {"copy-only fulls do not count toward keep_fulls", H_COPY_ONLY_NEWER, 1, 0, 0,
     "- base=F1 from=10", NULL, NULL},
    {"a damaged full does not count toward keep_fulls, and stays inside the window",
     H_DAMAGED_FULL, 2, 0, 0, "- base=F1 from=10", NULL, NULL},
    {"a damaged full older than the window goes, marked so", H_DAMAGED_FULL, 1, 0, 0,
     "F1 L1 L2 F2 L3 base=F3 from=40", "F2|[damaged]", NULL},
    {"an old copy-only full goes like a regular one", H_COPY_OLD, 1, 0, 0,
     "C0 F1 L1 base=F2 from=20", "C0|copy-only full C0", NULL},

    /* Age. */
    {"keep 1 day: the window starts after a diff: base diff, its full stays, logs"
     " between them go",
     H_DIFFS, 0, 1, 70, "F1 L1 D1 L2 L3 base=D2 from=40", "L3|at or before the window's base D2",
     NULL},
    {"keep 1 day at an earlier now: the window starts right after F2", H_DIFFS, 0, 1, 55,
     "F1 L1 D1 L2 base=F2 from=30", NULL, NULL},
    {"both rules: keep_days reaches further back, it wins", H_DIFFS, 1, 1, 70,
     "F1 L1 D1 L2 L3 base=D2 from=40", NULL, NULL},
    {"both rules: keep_fulls reaches further back, it wins", H_DIFFS, 2, 1, 70,
     "F1 L1 D1 L2 base=F2 from=30", NULL, NULL},
    {"keep_days at a full's exact time: the full alone is the base", H_DIFFS, 0, 1, 74,
     "F1 L1 D1 L2 F2 L3 D2 L4 base=F3 from=50", NULL, NULL},
    {"empty logs and an idle stretch before the window's base go", H_IDLE, 0, 1, 55,
     "F1 L1 E1 L2 base=F2 from=25", NULL, NULL},

    /* Broken chains. */
    {"a missing log inside the window stays", H_DIFFS_L5_MISSING, 1, 0, 0,
     "F1 L1 D1 L2 F2 L3 D2 L4 base=F3 from=50", NULL, NULL},
    {"a missing log before the window goes, marked so", H_DIFFS_L2_MISSING, 1, 0, 0,
     "F1 L1 D1 L2 F2 L3 D2 L4 base=F3 from=50", "L2|[media missing]", NULL},
    {"the window starts inside a log gap: what lies wholly before it goes", H_GAP, 0, 1, 50,
     "F1 L1 from=21", "F1|cannot be restored (log_gap)", NULL},

    /* Diffs and their fulls; copy-only backups. */
    {"a copy-only full is the window's base; the diff inside the window keeps its full",
     H_COPY_BASE, 0, 1, 59, "L1 L2 base=C1 from=30", NULL, NULL},
    {"simple recovery, keep 1 full: the old full and its diff go", H_SIMPLE, 1, 0, 0,
     "F1 D1 base=F2 from=30", NULL, NULL},
    {"simple recovery, keep 1 day from D2's time: D2 is the base, its full stays", H_SIMPLE,
     0, 1, 64, "F1 D1 base=D2 from=40", NULL, NULL},
    {"simple recovery, keep 1 day between two diffs: the start is no restorable point, only"
     " the diff inside the window and its full stay",
     H_SIMPLE, 0, 1, 68, "F1 D1 D2 from=41", "D2|cannot be restored (after_last_log)", NULL},
    {"copy-only logs: one before the window goes, one bridging a gap inside stays",
     H_COPY_LOGS, 1, 0, 0, "F1 K0 L1 base=F2 from=20", "K0|copy-only log K0", NULL},

    /* Forks. */
    {"an abandoned fork: its life after the fork point goes, the history the newest"
     " fork shares stays",
     H_FORK_ABANDONED, 0, 1, 70, "F2 L3 base=F1 from=10",
     "F2|on fork f0;F2|after_last_log;L3|on fork f0", NULL},
    {"an abandoned fork, the window after the new fork's own full", H_FORK_ABANDONED, 0, 1, 76,
     "F1 L1 L2 F2 L3 G1 base=H1 from=35", "G1|at or before the window's base H1", NULL},
    {"keep_fulls counts the parent's fulls up to the fork point only", H_FORK_ABANDONED, 2, 0,
     0, "- base=F1 from=10", NULL, NULL},
    {"keep 1 full on the newest fork: its own full", H_FORK_ABANDONED, 1, 0, 0,
     "F1 L1 L2 F2 L3 G1 base=H1 from=35", NULL, NULL},
    {"two live forks: each keeps its own window", H_FORK_BOTH, 0, 1, 63,
     "F1 L1 L2 G1 base=H1 from=35", NULL, NULL},
    {"two live forks, a window back before both fulls: the shared history stays",
     H_FORK_BOTH, 0, 1, 60, "- base=F1 from=10", NULL, NULL},

    /* Other databases; the check's own safety net. */
    {"two databases: the other one is untouched", H_TWO_DBS, 1, 0, 0, "F1 L1 base=F2 from=20",
     NULL, NULL},
    {"two databases: pruning the other one", H_TWO_DBS, 0, 1, 48, "-", NULL, "other"},
    {"a clock set back: the check puts back what a mark inside the window needs",
     H_CLOCK_BACK, 0, 1, 49, "- base=F2 from=30 rescued=2", NULL, NULL},

    /* Refusals. */
    {"no rule: usage error", H_ONE_FULL, 0, 0, 0, "!usage", NULL, NULL},
    {"a negative count: usage error", H_ONE_FULL, -1, 3, 0, "!usage", NULL, NULL},
    {"an unknown database: error", H_ONE_FULL, 1, 0, 0, "!fail", NULL, "ghost"},
};

#define N_SCENARIOS (sizeof scenarios / sizeof scenarios[0])


/* ---- hours -> the DSL's seconds ------------------------------------------------ */

/* One LSN is one hour: every line's times, in seconds. */
static char *in_hours(const char *h)
{
    sbuf b = {0};
    char *copy = strdup(h), *save = NULL;

    assert_non_null(copy);
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *tok[16], *s2 = NULL;
        int n = 0, has_t = 0;
        for (char *s = strtok_r(line, " ", &s2); s && n < 16; s = strtok_r(NULL, " ", &s2))
            tok[n++] = s;
        if (n == 0)
            continue;
        for (int i = 0; i < n; i++) {
            long long a, c;
            if (i > 0)
                sb_add(&b, " ");
            if (strncmp(tok[i], "h=", 2) == 0 && sscanf(tok[i] + 2, "%lld..%lld", &a, &c) == 2) {
                sb_add(&b, "t=%lld..%lld", a * HOUR, c * HOUR);
                has_t = 1;
            } else if (strncmp(tok[i], "t=", 2) == 0) {
                sb_add(&b, "t=%lld", atoll(tok[i] + 2) * HOUR);
                has_t = 1;
            } else {
                sb_add(&b, "%s", tok[i]);
            }
        }
        if (!has_t) {
            if (strcmp(tok[0], "fork") == 0) {
                for (int i = 1; i < n; i++)
                    if (strncmp(tok[i], "at=", 3) == 0)
                        sb_add(&b, " t=%lld", atoll(tok[i] + 3) * HOUR);
            } else if (strcmp(tok[0], "mark") == 0 && n >= 3) {
                sb_add(&b, " t=%lld", atoll(tok[2]) * HOUR);
            } else if (n >= 4) {
                sb_add(&b, " t=%lld..%lld", atoll(tok[2]) * HOUR, atoll(tok[3]) * HOUR);
            }
        }
        sb_add(&b, "\n");
    }
    free(copy);
    if (!b.s)
        sb_add(&b, "%s", "");
    return b.s;
}

/* ---- catalog helpers ---------------------------------------------------------------- */

/* Rows of one database (NULL: all). */
static long long count_rows(catalog *cat, const char *guid)
{
    sqlite3_stmt *st = NULL;
    long long n = -1;
    yerr e;
    yerr_clear(&e);
    assert_int_equal(cat_prepare(cat, "SELECT count(*) FROM backupset"
                                      " WHERE ?1 IS NULL OR database_guid = ?1",
                                 &st, &e),
                     0);
    if (guid)
        sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* What engine/prune.c does to the catalog: the rows and their marks. */
static void apply_plan(catalog *cat, const cat_prune_plan *p)
{
    sqlite3_stmt *del = NULL, *marks = NULL;
    yerr e;
    yerr_clear(&e);
    assert_int_equal(cat_tx_begin(cat, &e), 0);
    assert_int_equal(cat_prepare(cat, "DELETE FROM backupset WHERE backup_set_uuid = ?", &del, &e),
                     0);
    assert_int_equal(
        cat_prepare(cat, "DELETE FROM backupmark WHERE backup_set_uuid = ?", &marks, &e), 0);
    for (size_t i = 0; i < p->n; i++) {
        sqlite3_bind_text(del, 1, p->items[i].row.backup_set_uuid, -1, SQLITE_STATIC);
        sqlite3_bind_text(marks, 1, p->items[i].row.backup_set_uuid, -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(del), SQLITE_DONE);
        assert_int_equal(sqlite3_step(marks), SQLITE_DONE);
        sqlite3_reset(del);
        sqlite3_reset(marks);
    }
    sqlite3_finalize(del);
    sqlite3_finalize(marks);
    assert_int_equal(cat_tx_commit(cat, &e), 0);
}

/* ---- the oracle ---------------------------------------------------------------------- */

typedef struct otarget {
    cat_target t;
    int reachable;
    int64_t latest;
} otarget;

typedef struct oset {
    otarget *v;
    size_t n, cap;
} oset;

static void o_add(oset *s, const char *fork, enum cat_target_kind kind, int64_t lsn,
                  int64_t time, const char *mark)
{
    otarget *t;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        assert_non_null(s->v);
    }
    t = &s->v[s->n++];
    memset(t, 0, sizeof *t);
    t->t.kind = kind;
    t->t.lsn = lsn;
    t->t.time = time;
    if (mark)
        snprintf(t->t.mark, sizeof t->t.mark, "%s", mark);
    snprintf(t->t.fork_guid, sizeof t->t.fork_guid, "%s", fork);
}

static void describe(const cat_target *t, char *buf, size_t size)
{
    char v[300];
    if (t->kind == CAT_TARGET_TIME)
        snprintf(v, sizeof v, "%.2fh", (double)(t->time - HIST_EPOCH) / (double)(HOUR * HIST_SEC));
    else
        cat_target_value(t, v, sizeof v);
    snprintf(buf, size, "%s %s fork=%s", cat_target_kind_name(t->kind), v, t->fork_guid);
}

/* Targets no rule chose: a grid over the window and every boundary. */
static void oracle_targets(catalog *cat, const char *guid, const cat_prune_plan *p, oset *s)
{
    sqlite3_stmt *st = NULL;
    yerr e;
    int64_t ws = p->window_start_time, min_t = INT64_MAX, max_t = INT64_MIN;
    int64_t min_lsn = INT64_MAX, max_lsn = INT64_MIN;
    char forks[8][CAT_GUID_BUF];
    int n_forks = 0;

    yerr_clear(&e);
    assert_int_equal(cat_prepare(cat,
                                 "SELECT recovery_fork_guid FROM backupset WHERE database_guid = ?1"
                                 " UNION SELECT fork_guid FROM recoveryfork"
                                 " WHERE database_guid = ?1",
                                 &st, &e),
                     0);
    sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW && n_forks < 8)
        snprintf(forks[n_forks++], CAT_GUID_BUF, "%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);

    assert_int_equal(cat_prepare(cat, "SELECT " CAT_BACKUPSET_COLUMNS " FROM backupset"
                                      " WHERE database_guid = ?",
                                 &st, &e),
                     0);
    sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        cat_backupset r;
        assert_int_equal(cat_backupset_read(st, 0, &r, &e), 0);
        if (r.first_time < min_t)
            min_t = r.first_time;
        if (r.last_time > max_t)
            max_t = r.last_time;
        if (r.first_lsn < min_lsn)
            min_lsn = r.first_lsn;
        if (r.last_lsn > max_lsn)
            max_lsn = r.last_lsn;
        for (int f = 0; f < n_forks; f++) {
            int64_t ts[] = {r.first_time + HIST_SEC, r.last_time - HIST_SEC, r.last_time,
                            r.last_time + HIST_SEC};
            for (size_t k = 0; k < sizeof ts / sizeof *ts; k++)
                if (ts[k] >= ws)
                    o_add(s, forks[f], CAT_TARGET_TIME, 0, ts[k], NULL);
        }
    }
    sqlite3_finalize(st);
    if (ws == INT64_MIN)
        ws = min_t;
    for (int f = 0; f < n_forks; f++) {
        o_add(s, forks[f], CAT_TARGET_LATEST, 0, 0, NULL);
        for (int64_t t = ws; t <= max_t + HOUR * HIST_SEC; t += HOUR * HIST_SEC / 2)
            o_add(s, forks[f], CAT_TARGET_TIME, 0, t, NULL);
    }
    /* LSNs: the window's, on the newest fork (the one the plan names). */
    for (int64_t x = p->window_start_lsn == INT64_MIN ? min_lsn : p->window_start_lsn;
         x <= max_lsn + 1; x++)
        o_add(s, p->fork_guid, CAT_TARGET_LSN, x, 0, NULL);
    /* Marks made inside the window. */
    assert_int_equal(cat_prepare(cat, "SELECT name, mark_time FROM backupmark"
                                      " WHERE database_guid = ?",
                                 &st, &e),
                     0);
    sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t mt;
        assert_int_equal(ytime_parse((const char *)sqlite3_column_text(st, 1), &mt, &e), 0);
        if (mt < ws)
            continue;
        for (int f = 0; f < n_forks; f++) {
            o_add(s, forks[f], CAT_TARGET_MARK, 0, 0, (const char *)sqlite3_column_text(st, 0));
            o_add(s, forks[f], CAT_TARGET_BEFORE_MARK, 0, 0,
                  (const char *)sqlite3_column_text(st, 0));
        }
    }
    sqlite3_finalize(st);
}

static void oracle_before(catalog *cat, const char *db, int64_t ws, oset *s)
{
    for (size_t i = 0; i < s->n; i++) {
        cat_plan pl;
        yerr e;
        int rc;
        yerr_clear(&e);
        rc = cat_plan_find(cat, db, &s->v[i].t, &pl, &e);
        if (rc != 0 && rc != YERR_UNREACHABLE)
            print_error("oracle: planning failed: %s\n", e.msg);
        assert_true(rc == 0 || rc == YERR_UNREACHABLE);
        s->v[i].reachable = rc == 0;
        s->v[i].latest = pl.restores_to_lsn;
        /* A latest point older than the window (an abandoned fork's) is
         * not the window's to keep. */
        if (rc == 0 && s->v[i].t.kind == CAT_TARGET_LATEST
            && pl.steps[pl.n_steps - 1].last_time < ws)
            s->v[i].reachable = 0;
        cat_plan_free(&pl);
    }
}

/* Every target reachable before still is; the latest point has not moved.
 * Returns the number of losses (each printed). */
static int oracle_after(catalog *cat, const char *db, const oset *s, const char *title)
{
    int lost = 0;
    for (size_t i = 0; i < s->n; i++) {
        const otarget *t = &s->v[i];
        cat_plan pl;
        yerr e;
        int rc, bad;
        if (!t->reachable)
            continue;
        yerr_clear(&e);
        rc = cat_plan_find(cat, db, &t->t, &pl, &e);
        bad = rc != 0 || (t->t.kind == CAT_TARGET_LATEST && pl.restores_to_lsn != t->latest);
        if (bad && lost++ < 5) {
            char d[400];
            describe(&t->t, d, sizeof d);
            print_error("%s: after the prune, %s is lost: %s\n", title, d,
                        rc ? e.msg : "the latest point moved");
        }
        cat_plan_free(&pl);
    }
    return lost;
}

/* ---- expectations ----------------------------------------------------------------- */

static void render_plan(sbuf *b, const cat_prune_plan *p)
{
    if (p->n == 0)
        sb_add(b, "-");
    for (size_t i = 0; i < p->n; i++)
        sb_add(b, "%s%s", i ? " " : "", p->items[i].row.backup_set_uuid);
}

/* 1 when the plan matches `expect`; *why says what differs. */
static int match(const char *expect, const cat_prune_plan *p, sbuf *why)
{
    char *copy = strdup(expect), *save = NULL;
    sbuf names = {0}, want = {0};
    int ok = 1;
    long long rescued = 0;

    assert_non_null(copy);
    for (char *s = strtok_r(copy, " ", &save); s; s = strtok_r(NULL, " ", &save)) {
        if (strncmp(s, "base=", 5) == 0) {
            if (strcmp(p->base_uuid, s + 5) != 0) {
                sb_add(why, "base %s, expected %s; ", p->base_uuid[0] ? p->base_uuid : "(none)",
                       s + 5);
                ok = 0;
            }
        } else if (strncmp(s, "from=", 5) == 0) {
            if (p->window_start_lsn != atoll(s + 5)) {
                sb_add(why, "window_start_lsn %lld, expected %s; ",
                       (long long)p->window_start_lsn, s + 5);
                ok = 0;
            }
        } else if (strncmp(s, "rescued=", 8) == 0) {
            rescued = atoll(s + 8);
        } else {
            sb_add(&want, "%s%s", want.n ? " " : "", s);
        }
    }
    render_plan(&names, p);
    if (strcmp(sb_str(&names), sb_str(&want)) != 0) {
        sb_add(why, "deleted set differs; ");
        ok = 0;
    }
    if ((long long)p->n_rescued != rescued) {
        sb_add(why, "rescued %zu, expected %lld; ", p->n_rescued, rescued);
        ok = 0;
    }
    free(copy);
    free(names.s);
    free(want.s);
    return ok;
}

static int check_reasons(const char *spec, const cat_prune_plan *p, sbuf *why)
{
    char *copy, *save = NULL;
    int ok = 1;

    for (size_t i = 0; i < p->n; i++)
        if (!p->items[i].reason[0]) {
            sb_add(why, "%s has no reason; ", p->items[i].row.backup_set_uuid);
            ok = 0;
        }
    if (!spec)
        return ok;
    copy = strdup(spec);
    assert_non_null(copy);
    for (char *s = strtok_r(copy, ";", &save); s; s = strtok_r(NULL, ";", &save)) {
        char *bar = strchr(s, '|');
        int found = 0;
        assert_non_null(bar);
        *bar = '\0';
        for (size_t i = 0; i < p->n; i++)
            if (strcmp(p->items[i].row.backup_set_uuid, s) == 0) {
                found = 1;
                if (!strstr(p->items[i].reason, bar + 1)) {
                    sb_add(why, "reason of %s lacks '%s': %s; ", s, bar + 1, p->items[i].reason);
                    ok = 0;
                }
            }
        if (!found) {
            sb_add(why, "no item %s for its reason; ", s);
            ok = 0;
        }
    }
    free(copy);
    return ok;
}

/* ---- one scenario ------------------------------------------------------------------- */

static void run_scenario(void **state)
{
    const scenario *sc = *state;
    const char *db = sc->db ? sc->db : "app";
    cat_retention_policy pol = {sc->keep_fulls, sc->keep_days};
    char dir[64];
    catalog *cat = NULL;
    cat_prune_plan plan;
    oset targets = {0};
    sbuf why = {0}, got = {0};
    char *history = in_hours(sc->history);
    long long rows;
    yerr e;
    int rc, ok = 1, lost = 0;

    yerr_clear(&e);
    assert_int_equal(hist_open(dir, &cat, &e), 0);
    if (hist_build(cat, history, &e)) {
        print_error("%s: hist_build: %s\n", sc->title, e.msg);
        free(history);
        hist_close(dir, cat);
        fail();
    }
    free(history);
    rows = count_rows(cat, NULL);

    rc = cat_retention_plan(cat, db, &pol, HIST_EPOCH + sc->now_h * HOUR * HIST_SEC, &plan, &e);
    if (count_rows(cat, NULL) != rows) {
        sb_add(&why, "the planner changed the catalog; ");
        ok = 0;
    }
    if (sc->expect[0] == '!') {
        int want = strcmp(sc->expect, "!usage") == 0 ? YERR_USAGE : YERR_FAIL;
        if (rc != want || !e.msg[0] || plan.n != 0) {
            sb_add(&why, "expected error %d, got %d (%s); ", want, rc, e.msg);
            ok = 0;
        }
    } else if (rc != 0) {
        sb_add(&why, "failed: %s; ", e.msg);
        ok = 0;
    } else {
        render_plan(&got, &plan);
        ok = match(sc->expect, &plan, &why) && ok;
        ok = check_reasons(sc->reasons, &plan, &why) && ok;
        if ((long long)(plan.n_kept + plan.n) != count_rows(cat, plan.database_guid)) {
            sb_add(&why, "kept %zu + deleted %zu is not the database's rows; ", plan.n_kept,
                   plan.n);
            ok = 0;
        }
        /* The oracle. */
        oracle_targets(cat, plan.database_guid, &plan, &targets);
        oracle_before(cat, db, plan.window_start_time, &targets);
        apply_plan(cat, &plan);
        lost = oracle_after(cat, db, &targets, sc->title);
        if (lost) {
            sb_add(&why, "%d oracle targets lost; ", lost);
            ok = 0;
        }
    }
    if (!ok) {
        print_error("scenario: %s\n  expected: %s\n  actual:   %s\n  why:      %s\n",
                    sc->title, sc->expect, rc ? "(error)" : sb_str(&got), sb_str(&why));
        for (size_t i = 0; i < plan.n; i++)
            print_error("    %s\n", plan.items[i].reason);
    }
    free(targets.v);
    free(why.s);
    free(got.s);
    cat_prune_plan_free(&plan);
    hist_close(dir, cat);
    if (!ok)
        fail();
}

/* ---- the must-show: a month ------------------------------------------------------------ */

#define DAY INT64_C(86400)
#define MONTH_DAYS 30
/* The last log ends at day 30 00:00; now is ten minutes later. */
#define MONTH_NOW (MONTH_DAYS * DAY + 600)

/* One LSN a second (the DSL's default times): log L<i> covers hour i; at
 * 00:30 each day a full F<d> (every seventh day) or a diff D<d> on the
 * newest full, taken while that day's first log is open. */
static char *month_history(void)
{
    sbuf b = {0};
    for (int d = 0; d < MONTH_DAYS; d++) {
        int64_t at = d * DAY + 1800;
        if (d % 7 == 0)
            sb_add(&b, "F%d full %lld %lld\n", d, (long long)at, (long long)at);
        else
            sb_add(&b, "D%d diff %lld %lld\n", d, (long long)at, (long long)at);
        for (int h = 0; h < 24; h++) {
            int i = d * 24 + h;
            sb_add(&b, "L%d log %lld %lld\n", i, (long long)(i * HOUR), (long long)((i + 1) * HOUR));
        }
    }
    return b.s;
}

/* The deleted set, worked out by hand from the window's base: the base is
 * the newest full or diff at or before the window's start, at 00:30 of day
 * base_day; everything before it goes but the base's own full (day
 * base_day rounded down to a week) and the logs from the hour holding the
 * base on. */
static int month_expected(const char *name, int base_day)
{
    int full_day = base_day / 7 * 7;
    int n = atoi(name + 1);
    switch (name[0]) {
    case 'F':
        return n < full_day;
    case 'D':
        return n < base_day;
    default: /* L<i>: hour i, ending at (i+1) h; the base sits at 00:30 */
        return n < base_day * 24;
    }
}

static void run_month(int keep_fulls, int keep_days, int base_day, int64_t ws_expected,
                      size_t n_expected)
{
    char dir[64], title[96];
    catalog *cat = NULL;
    cat_retention_policy pol = {keep_fulls, keep_days};
    cat_prune_plan plan;
    char *history = month_history();
    struct timespec t0, t1;
    long long rows;
    size_t hours = 0;
    int lost = 0;
    yerr e;

    snprintf(title, sizeof title, "month keep_fulls=%d keep_days=%d", keep_fulls, keep_days);
    yerr_clear(&e);
    assert_int_equal(hist_open(dir, &cat, &e), 0);
    if (hist_build(cat, history, &e))
        print_error("hist_build: %s\n", e.msg);
    free(history);
    rows = count_rows(cat, NULL);
    assert_int_equal(rows, MONTH_DAYS * 25);

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (cat_retention_plan(cat, "app", &pol, HIST_EPOCH + MONTH_NOW * HIST_SEC, &plan, &e))
        print_error("%s: %s\n", title, e.msg);
    assert_int_equal(e.code, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    print_message("%s: %zu of %lld backups go, %zu kept, %zu targets checked, %.0f ms\n", title,
                  plan.n, rows, plan.n_kept, plan.n_checked,
                  (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);

    assert_int_equal(plan.window_start_time, HIST_EPOCH + ws_expected * HIST_SEC);
    assert_int_equal(plan.n_rescued, 0);
    assert_int_equal(plan.n, n_expected);
    assert_int_equal(plan.n + plan.n_kept, (size_t)rows);
    /* Exactly the expected set: every item expected, and as many. */
    for (size_t i = 0; i < plan.n; i++) {
        const cat_backupset *r = &plan.items[i].row;
        if (!month_expected(r->backup_set_uuid, base_day))
            print_error("%s: %s should stay: %s\n", title, r->backup_set_uuid,
                        plan.items[i].reason);
        assert_true(month_expected(r->backup_set_uuid, base_day));
        /* Nothing inside the window. */
        assert_true(r->last_time < plan.window_start_time);
    }
    {
        char base[16];
        snprintf(base, sizeof base, "%c%d", base_day % 7 ? 'D' : 'F', base_day);
        assert_string_equal(plan.base_uuid, base);
    }

    /* Delete, then every hour of the window by time and by LSN. */
    apply_plan(cat, &plan);
    assert_int_equal(count_rows(cat, NULL), (long long)plan.n_kept);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int64_t s = ws_expected; s <= MONTH_NOW; s += HOUR) {
        int64_t at = s > MONTH_DAYS * DAY ? MONTH_DAYS * DAY : s; /* logs end at day 30 */
        cat_target tt = {.kind = CAT_TARGET_TIME, .time = HIST_EPOCH + at * HIST_SEC};
        cat_target tl = {.kind = CAT_TARGET_LSN, .lsn = at};
        cat_target *ts[] = {&tt, &tl};
        for (int k = 0; k < 2; k++) {
            cat_plan pl;
            yerr pe;
            yerr_clear(&pe);
            if (cat_plan_find(cat, "app", ts[k], &pl, &pe) && lost++ < 5)
                print_error("%s: hour %lld (%s) unreachable: %s\n", title,
                            (long long)(s / HOUR), k ? "lsn" : "time", pe.msg);
            cat_plan_free(&pl);
        }
        hours++;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    print_message("%s: %zu hours of the window planned by time and LSN after the prune, %.0f ms\n",
                  title, hours,
                  (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    assert_int_equal(lost, 0);
    assert_true(hours >= (size_t)((MONTH_NOW - ws_expected) / HOUR));
    cat_prune_plan_free(&plan);
    hist_close(dir, cat);
}

/* keep_days = 14: the window starts at day 16 00:10, before that day's
 * diff, so the base is D15 (on F14); logs from hour 360 on stay. */
static void month_keep_days(void **state)
{
    (void)state;
    run_month(0, 14, 15, MONTH_NOW - 14 * DAY, 2 + 12 + 15 * 24);
}

/* keep_fulls = 2: F28 and F21; the window starts at F21 (day 21 00:30). */
static void month_keep_fulls(void **state)
{
    (void)state;
    run_month(2, 0, 21, 21 * DAY + 1800, 3 + 18 + 21 * 24);
}

/* Both: the earlier start (keep_days') wins. */
static void month_both(void **state)
{
    (void)state;
    run_month(2, 14, 15, MONTH_NOW - 14 * DAY, 2 + 12 + 15 * 24);
}

/* Pruning twice is pruning once: the second plan over the pruned catalog
 * at the same instant deletes nothing. */
static void month_idempotent(void **state)
{
    char dir[64];
    catalog *cat = NULL;
    cat_retention_policy pol = {0, 14};
    cat_prune_plan plan;
    char *history = month_history();
    yerr e;

    (void)state;
    yerr_clear(&e);
    assert_int_equal(hist_open(dir, &cat, &e), 0);
    assert_int_equal(hist_build(cat, history, &e), 0);
    free(history);
    assert_int_equal(cat_retention_plan(cat, "app", &pol, HIST_EPOCH + MONTH_NOW * HIST_SEC,
                                        &plan, &e),
                     0);
    apply_plan(cat, &plan);
    cat_prune_plan_free(&plan);
    assert_int_equal(cat_retention_plan(cat, "app", &pol, HIST_EPOCH + MONTH_NOW * HIST_SEC,
                                        &plan, &e),
                     0);
    assert_int_equal(plan.n, 0);
    assert_string_equal(plan.base_uuid, "D15");
    cat_prune_plan_free(&plan);
    hist_close(dir, cat);
}

/* 5-minute logs over 10 days (2880 logs, a full on days 0 and 7, a diff
 * on the others, all at 00:30), keep 9 days: the window holds more log
 * boundaries than the check plans one by one, so it samples them (and
 * compares restorable windows for every LSN); the oracle plans every hour
 * of the window after the prune. */
static void long_window_sampled(void **state)
{
    enum { DAYS = 10, PER_DAY = 288, STEP = 300 };
    char dir[64];
    catalog *cat = NULL;
    cat_retention_policy pol = {0, 9};
    cat_prune_plan plan;
    sbuf b = {0};
    int64_t now = DAYS * DAY + 600, ws = now - 9 * DAY;
    struct timespec t0, t1;
    int lost = 0;
    yerr e;

    (void)state;
    for (int d = 0; d < DAYS; d++) {
        int64_t at = d * DAY + 1800;
        sb_add(&b, "%c%d %s %lld %lld\n", d % 7 ? 'D' : 'F', d, d % 7 ? "diff" : "full",
               (long long)at, (long long)at);
        for (int k = 0; k < PER_DAY; k++) {
            int i = d * PER_DAY + k;
            sb_add(&b, "L%d log %lld %lld\n", i, (long long)i * STEP, (long long)(i + 1) * STEP);
        }
    }
    yerr_clear(&e);
    assert_int_equal(hist_open(dir, &cat, &e), 0);
    assert_int_equal(hist_build(cat, b.s, &e), 0);
    free(b.s);

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (cat_retention_plan(cat, "app", &pol, HIST_EPOCH + now * HIST_SEC, &plan, &e))
        print_error("%s\n", e.msg);
    assert_int_equal(e.code, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    print_message("10 days of 5-minute logs, keep 9 days: %zu go, %zu targets checked, %.0f ms\n",
                  plan.n, plan.n_checked,
                  (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    /* The window starts at day 1 00:10, before D1: the base is F0 (LSN
     * 1800), so the six logs ending at or before it go, nothing else. */
    assert_string_equal(plan.base_uuid, "F0");
    assert_int_equal(plan.n, 6);
    for (size_t i = 0; i < plan.n; i++) {
        char want[16];
        snprintf(want, sizeof want, "L%zu", i);
        assert_string_equal(plan.items[i].row.backup_set_uuid, want);
    }
    assert_int_equal(plan.n_rescued, 0);
    /* Planned targets are bounded (the restorable windows cover every
     * LSN): the fulls and diffs, 48 + 48 log boundaries, the extremes. */
    assert_true(plan.n_checked >= 2 * (48 + 48) && plan.n_checked <= 2 * (48 + 48 + 10) + 8);

    apply_plan(cat, &plan);
    for (int64_t t = ws; t <= DAYS * DAY; t += HOUR) {
        cat_target tt = {.kind = CAT_TARGET_TIME, .time = HIST_EPOCH + t * HIST_SEC};
        cat_target tl = {.kind = CAT_TARGET_LSN, .lsn = t};
        cat_target *ts[] = {&tt, &tl};
        for (int k = 0; k < 2; k++) {
            cat_plan pl;
            yerr pe;
            yerr_clear(&pe);
            if (cat_plan_find(cat, "app", ts[k], &pl, &pe) && lost++ < 5)
                print_error("hour %lld unreachable: %s\n", (long long)(t / HOUR), pe.msg);
            cat_plan_free(&pl);
        }
    }
    assert_int_equal(lost, 0);
    cat_prune_plan_free(&plan);
    hist_close(dir, cat);
}

int main(int argc, char **argv)
{
    static struct CMUnitTest tests[N_SCENARIOS + 5];
    size_t n = 0;

    for (size_t i = 0; i < N_SCENARIOS; i++) {
        tests[n].name = scenarios[i].title;
        tests[n].test_func = run_scenario;
        tests[n].setup_func = NULL;
        tests[n].teardown_func = NULL;
        tests[n].initial_state = (void *)&scenarios[i];
        n++;
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(month_keep_days);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(month_keep_fulls);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(month_both);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(month_idempotent);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(long_window_sampled);
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests_name("retention", tests, NULL, NULL);
}
