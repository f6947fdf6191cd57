/*
 * test_plan.c: the restore planner, table-driven.
 *
 * Each scenario is a catalog written in the history DSL (history.h), a
 * target and the expected answer, both in small languages of their own:
 *
 * target:  lsn N | time S | iso ISO8601 | mark NAME | before NAME | latest
 *          then optionally  fork=GUID  (cat_target.fork_guid)
 *                           db=NAME    (the database argument; default "app")
 *          "time S" is S whole seconds after HIST_EPOCH; "iso" goes through
 *          ytime_parse, so offsets and fractions are exercised.
 *
 * expect on success:  STEP ... =>LSN|? [bytes=N]
 *          STEP is a backup_set_uuid (the history line's NAME) with its stop:
 *            NAME             applied whole
 *            NAME@lsn=N       CAT_STOP_LSN at N (the target, or a fork point)
 *            NAME@time=S      CAT_STOP_TIME at S seconds after HIST_EPOCH
 *                             (S.uuuuuu when not a whole second)
 *            NAME@mark=M      CAT_STOP_MARK, inclusive (M = the target's mark)
 *            NAME@before=M    CAT_STOP_MARK, not inclusive
 *          "=>N" is restores_to_lsn (known); "=>?" means not known.
 *          ".." stands for any run of steps (only the steps before and after
 *          it are compared) and "n=K" checks n_steps, for the long chains.
 *          "bytes=N" checks bytes_to_read.
 * expect on failure (cat_plan_find must return YERR_UNREACHABLE):
 *          !log_gap FROM TO BEFORE AFTER   (gap_from_lsn, gap_to_lsn,
 *                                           before_uuid, after_uuid)
 *          !diff_base_missing DIFF         (failure.backup_set_uuid)
 *          !after_last_log | !target_too_early | !unknown_mark | !no_backups
 *
 * A history "@chain N [diff=LSN]" is generated: F1 full at 100, then N logs
 * L1..LN of 10 LSNs each (Li covers [100+10(i-1), 100+10i)), and with
 * diff= a diff D1 on F1 at that LSN.
 *
 * On a mismatch the test prints the title, the target, the expected and
 * the actual answer rendered in the same language (and the planner's
 * message), so a failure reads without a debugger.  Each scenario is its
 * own cmocka test named by its title; a command-line argument is passed to
 * cmocka_set_test_filter to run a subset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "backupset.h"
#include "catalog.h"
#include "error.h"
#include "history.h"
#include "isotime.h"
#include "plan.h"
#include "target.h"

typedef struct scenario {
    const char *title;
    const char *history;
    const char *target;
    const char *expect;
} scenario;

/* ---- histories ------------------------------------------------------------ */

/* Full, logs, a diff, more logs: the SQL Server textbook. */
#define H_TEXTBOOK                                                            \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300\n"                                                        \
    "D1 diff 350 350\n"                                                       \
    "L3 log 300 400\n"                                                        \
    "L4 log 400 500\n"

/* The full was taken while L1 was open: L1 starts before it and ends
 * after it.  L0 is older than the full. */
#define H_SPAN                                                                \
    "L0 log 0 50\n"                                                           \
    "F1 full 100 100\n"                                                       \
    "L1 log 50 150\n"                                                         \
    "L2 log 150 250\n"

/* Logs older than the only full; L1 ends exactly at it. */
#define H_OLD_LOGS                                                            \
    "L0 log 0 100\n"                                                          \
    "L1 log 100 200\n"                                                        \
    "F1 full 200 200\n"                                                       \
    "L2 log 200 300\n"

/* Empty log backups (first == last) scattered through the chain. */
#define H_EMPTY                                                               \
    "F1 full 100 100\n"                                                       \
    "E0 log 100 100\n"                                                        \
    "L1 log 100 200\n"                                                        \
    "E1 log 200 200\n"                                                        \
    "L2 log 200 300\n"                                                        \
    "E2 log 300 300\n"

/* Nothing committed from 200s to 300s: only an empty log covers it. */
#define H_IDLE_EMPTY                                                          \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "E1 log 200 200 t=200..300\n"                                             \
    "L2 log 200 300 t=300..400\n"

/* One full, a diff after every log. */
#define H_DIFFS_HEAD                                                          \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "D1 diff 200 200\n"                                                       \
    "L2 log 200 300\n"                                                        \
    "D2 diff 300 300\n"                                                       \
    "L3 log 300 400\n"
#define H_DIFFS H_DIFFS_HEAD "D3 diff 400 400\n" "L4 log 400 500\n"
#define H_DIFFS_D3_MISSING H_DIFFS_HEAD "D3 diff 400 400 missing\n" "L4 log 400 500\n"

/* The middle log's media is gone; a later diff may bridge it. */
#define H_GAP                                                                 \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300 missing\n"                                                \
    "D1 diff 350 350\n"                                                       \
    "L3 log 300 400\n"                                                        \
    "L4 log 400 500\n"
#define H_GAP_NO_DIFF                                                         \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300 damaged\n"                                                \
    "L3 log 300 400\n"                                                        \
    "L4 log 400 500\n"
/* The diff lies inside the missing log's range. */
#define H_GAP_DIFF_INSIDE                                                     \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300 missing\n"                                                \
    "D1 diff 250 250\n"                                                       \
    "L3 log 300 400\n"

/* A copy-only full in the middle of a log chain. */
#define H_COPY_FULL                                                           \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300\n"                                                        \
    "C1 full 250 250 copy\n"                                                  \
    "L3 log 300 400\n"

/* A diff recorded (wrongly) on a copy-only full, and one on the default
 * base, which history.c takes to be the newest regular full. */
#define H_COPY_BASE_HEAD                                                      \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "C1 full 200 200 copy\n"                                                  \
    "L2 log 200 300\n"                                                        \
    "L3 log 300 400\n"                                                        \
    "L4 log 400 500\n"
#define H_DIFF_ON_COPY H_COPY_BASE_HEAD "X1 diff 450 450 base=C1\n" "L5 log 500 600\n"
#define H_DIFF_AFTER_COPY H_COPY_BASE_HEAD "D1 diff 450 450\n" "L5 log 500 600\n"

/* A diff stranded by its base. */
#define H_DIFF_BASE_MISSING                                                   \
    "F1 full 100 100 missing\n"                                               \
    "D1 diff 200 200\n"                                                       \
    "L1 log 200 300\n"
#define H_DIFF_BASE_DAMAGED                                                   \
    "F1 full 100 100 damaged\n"                                               \
    "D1 diff 200 200\n"                                                       \
    "L1 log 200 300\n"
#define H_DIFF_BASE_MISSING_OLDER_FULL                                        \
    "F0 full 50 50\n"                                                         \
    "F1 full 100 100 missing\n"                                               \
    "D1 diff 200 200\n"                                                       \
    "L1 log 200 300\n"
/* The diff's base is damaged but an older full reaches through logs. */
#define H_DIFF_BASE_ROUTED                                                    \
    "F0 full 50 50\n"                                                         \
    "L0 log 50 100\n"                                                         \
    "F1 full 100 100 damaged\n"                                               \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300\n"                                                        \
    "D1 diff 350 350\n"                                                       \
    "L3 log 300 400\n"

/* Copy-only logs beside the regular chain. */
#define H_CLOG_BRIDGE                                                         \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300 missing\n"                                                \
    "K1 log 150 320 copy\n"                                                   \
    "L3 log 300 400\n"
#define H_CLOG_PRESENT                                                        \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300\n"                                                        \
    "K1 log 150 320 copy\n"                                                   \
    "L3 log 300 400\n"
#define H_CLOG_DUP_MISSING                                                    \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300 missing\n"                                                \
    "K2 log 200 300 copy\n"                                                   \
    "L3 log 300 400\n"
#define H_CLOG_DUP_PRESENT                                                    \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "K2 log 200 300 copy\n"                                                   \
    "L2 log 200 300\n"                                                        \
    "L3 log 300 400\n"
#define H_CLOG_LONG                                                           \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300\n"                                                        \
    "L3 log 300 400\n"                                                        \
    "K1 log 100 400 copy size=500\n"

/* An older full against a newer one. */
#define H_NEWER_FULL_DAMAGED                                                  \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 300\n"                                                        \
    "F2 full 200 200 damaged\n"                                               \
    "L2 log 300 400\n"
#define H_NEWER_FULL_OK                                                       \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 300\n"                                                        \
    "F2 full 200 200\n"                                                       \
    "L2 log 300 400\n"
#define H_BYTES_FULLS                                                         \
    "F1 full 100 100 size=500\n"                                              \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300\n"                                                        \
    "F2 full 250 250 size=2000\n"                                             \
    "K1 log 100 400 copy\n"
#define H_NEWER_FULL_MISSING                                                  \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300\n"                                                        \
    "F2 full 300 300 missing\n"                                               \
    "L3 log 300 400\n"
#define H_ONLY_FULL_MISSING                                                   \
    "F1 full 100 100 missing\n"                                               \
    "L1 log 100 200\n"
#define H_DAMAGED_LOG_NEWER_FULL                                              \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300 damaged\n"                                                \
    "F2 full 300 300\n"                                                       \
    "L3 log 300 400\n"

/* Ties. */
#define H_TIE_FULLS                                                           \
    "F1 full 100 100\n"                                                       \
    "F2 full 100 100\n"                                                       \
    "L1 log 100 200\n"
#define H_TIE_LOGS                                                            \
    "F1 full 100 100\n"                                                       \
    "L1a log 100 200\n"                                                       \
    "L1b log 100 200\n"
#define H_BYTES_LOGS                                                          \
    "F1 full 100 100\n"                                                       \
    "La log 100 250 size=50\n"                                                \
    "Lb log 100 200\n"                                                        \
    "Lc log 200 400\n"

/* Simple recovery: fulls and diffs only, then (second) log backups. */
#define H_SIMPLE                                                              \
    "F1 full 100 100\n"                                                       \
    "D1 diff 200 200\n"                                                       \
    "D2 diff 300 300\n"                                                       \
    "F2 full 400 400\n"                                                       \
    "D3 diff 500 500\n"
#define H_SIMPLE_THEN_LOGS                                                    \
    "F1 full 100 100\n"                                                       \
    "D1 diff 200 200\n"                                                       \
    "F2 full 300 300\n"                                                       \
    "L1 log 400 500\n"                                                        \
    "L2 log 500 600\n"

/* Marks: m1 inside L2, m2 exactly at L2's end (L3's start), m3 before the
 * full. */
#define H_MARKS                                                               \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300\n"                                                        \
    "L3 log 300 400\n"                                                        \
    "mark m1 250\n"                                                           \
    "mark m2 300\n"                                                           \
    "mark m3 50\n"
/* A full exactly at m1's LSN. */
#define H_MARK_FULL_AT                                                        \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300\n"                                                        \
    "F2 full 250 250\n"                                                       \
    "L3 log 300 400\n"                                                        \
    "mark m1 250\n"
/* A diff just after m1. */
#define H_MARK_DIFF_AFTER                                                     \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300\n"                                                        \
    "D1 diff 260 260\n"                                                       \
    "L3 log 300 400\n"                                                        \
    "mark m1 250\n"
/* The log holding m4 is gone (and it was the last one). */
#define H_MARK_LOG_MISSING                                                    \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300\n"                                                        \
    "L3 log 300 400 missing\n"                                                \
    "mark m4 350\n"

/* Times: L2 covers an idle stretch (LSN 300 reached, then nothing
 * committed until 400s). */
#define H_TIME                                                                \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300 t=200..400\n"                                             \
    "L3 log 300 400 t=400..500\n"
/* The full finished at 150s, nothing committed after LSN 100 until then. */
#define H_TIME_FULL_IDLE                                                      \
    "F1 full 100 100 t=100..150\n"                                            \
    "L1 log 100 200 t=150..200\n"
/* The diff's snapshot is at LSN 250 but it finished at 260s. */
#define H_TIME_DIFF                                                           \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "D1 diff 250 250 t=250..260\n"                                            \
    "L2 log 200 300\n"
#define H_TIME_GAP                                                            \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300 missing\n"                                                \
    "L3 log 300 400\n"

/* Forks: f1 was restored from f0 at LSN 250 (at 450s), so f0's L2 is cut
 * there and f1's logs carry on; F2 and L3 are f0's life after the fork
 * point.  mp is a mark of f0 after the fork point, mc one of f1. */
#define H_FORK                                                                \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300\n"                                                        \
    "F2 full 300 300\n"                                                       \
    "L3 log 300 400\n"                                                        \
    "fork f1 parent=f0 at=250\n"                                              \
    "G1 log 250 350 fork=f1 t=500..600\n"                                     \
    "G2 log 350 450 fork=f1 t=600..700\n"                                     \
    "mark mp 320\n"                                                           \
    "mark mc 400 fork=f1 t=650\n"
/* Three generations: f0 -> f1 at 250 -> f2 at 400; f1 has its own full. */
#define H_FORK3                                                               \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300\n"                                                        \
    "fork f1 parent=f0 at=250\n"                                              \
    "G1 log 250 350 fork=f1 t=500..600\n"                                     \
    "H1 full 350 350 fork=f1 t=600..600\n"                                    \
    "G2 log 350 450 fork=f1 t=600..700\n"                                     \
    "fork f2 parent=f1 at=400 t=650\n"                                       \
    "J1 log 400 480 fork=f2 t=800..900\n"

/* Two databases in one catalog: app has a gap that other's log would
 * fill if they were mixed. */
#define H_TWO_DBS                                                             \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "X1 full 150 150 db=other\n"                                              \
    "XL log 150 350 db=other\n"                                               \
    "L3 log 300 400\n"

/* A long copy-only log beside the regular ones, with times. */
#define H_TIME_CLOG                                                           \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300\n"                                                        \
    "K1 log 100 400 copy\n"                                                   \
    "L3 log 300 400\n"

/* Where a broken chain resumes: the usable log with the smallest first_lsn
 * after the break, copy-only included, unusable ones passed over. */
#define H_RESUME_COPY                                                         \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300 missing\n"                                                \
    "L3 log 300 400\n"                                                        \
    "K1 log 250 350 copy\n"
#define H_RESUME_SKIP                                                         \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300 missing\n"                                                \
    "L3 log 300 400 damaged\n"                                                \
    "L4 log 400 500\n"

/* The default fork: the most recent backup's, by finish date, then line. */
#define H_FORK_TIE                                                            \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300\n"                                                        \
    "L3 log 300 400\n"                                                        \
    "fork f1 parent=f0 at=250\n"                                              \
    "G1 log 250 350 fork=f1 t=390..400\n"
#define H_FORK_BY_DATE                                                        \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300\n"                                                        \
    "fork f1 parent=f0 at=250\n"                                              \
    "G1 log 250 350 fork=f1 t=450..500\n"                                     \
    "L3 log 300 400\n"

/* A mark of another database with the name asked for. */
#define H_MARK_OTHER_DB                                                       \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "X1 full 100 100 db=other\n"                                              \
    "XL log 100 200 db=other\n"                                               \
    "mark mo 150 db=other\n"

/* A newer full at the LSN a diff reaches. */
#define H_FULL_VS_DIFF                                                        \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "D1 diff 200 200\n"                                                       \
    "F2 full 200 200\n"                                                       \
    "L2 log 200 300\n"

#define H_LATEST_LAST_LOG_MISSING                                             \
    "F1 full 100 100\n"                                                       \
    "L1 log 100 200\n"                                                        \
    "L2 log 200 300\n"                                                        \
    "L3 log 300 400 missing\n"

/* ---- the table ------------------------------------------------------------ */

static scenario scenarios[] = {
    /* The textbook chain. */
    {"textbook: target inside the last log: full + diff + the logs after the diff",
     H_TEXTBOOK, "lsn 450", "F1 D1 L3 L4@lsn=450 =>450 bytes=1120"},
    {"textbook: target one LSN into the first log", H_TEXTBOOK, "lsn 101",
     "F1 L1@lsn=101 =>101"},
    {"textbook: target exactly at a log's last_lsn: that log whole, no stop",
     H_TEXTBOOK, "lsn 400", "F1 D1 L3 =>400 bytes=1110"},
    {"textbook: target exactly at the diff's last_lsn: full + diff, no log",
     H_TEXTBOOK, "lsn 350", "F1 D1 =>350 bytes=1100"},
    {"textbook: target exactly at the full's last_lsn: the full alone", H_TEXTBOOK,
     "lsn 100", "F1 =>100 bytes=1000"},
    {"textbook: target exactly at a log's first_lsn: the previous log ends there",
     H_TEXTBOOK, "lsn 200", "F1 L1 =>200"},
    {"textbook: the diff ends after the target: full + logs", H_TEXTBOOK, "lsn 320",
     "F1 L1 L2 L3@lsn=320 =>320"},
    {"textbook: latest: full + diff + every later log, no stop", H_TEXTBOOK, "latest",
     "F1 D1 L3 L4 =>500 bytes=1120"},
    {"textbook: target after the last log", H_TEXTBOOK, "lsn 600", "!after_last_log"},
    {"textbook: target before the first full", H_TEXTBOOK, "lsn 50",
     "!target_too_early"},
    {"textbook: time inside the last log", H_TEXTBOOK, "time 450",
     "F1 D1 L3 L4@time=450 =>?"},
    {"textbook: time exactly at the diff's last_time: no log, LSN known", H_TEXTBOOK,
     "time 350", "F1 D1 =>350"},

    /* A log spanning the full's start; older logs. */
    {"log spanning the full's start carries it (first_lsn < full < last_lsn)", H_SPAN,
     "lsn 200", "F1 L1 L2@lsn=200 =>200"},
    {"target inside the log spanning the full's start", H_SPAN, "lsn 120",
     "F1 L1@lsn=120 =>120"},
    {"logs older than the only full are ignored, the one ending at it skipped",
     H_OLD_LOGS, "lsn 250", "F1 L2@lsn=250 =>250 bytes=1010"},
    {"logs alone restore nothing: a target before the only full is too early",
     H_OLD_LOGS, "lsn 150", "!target_too_early"},

    /* Empty logs. */
    {"empty logs are never part of a plan", H_EMPTY, "lsn 250",
     "F1 L1 L2@lsn=250 =>250"},
    {"empty logs at a target boundary add nothing", H_EMPTY, "lsn 200", "F1 L1 =>200"},
    {"latest ignores a trailing empty log", H_EMPTY, "latest", "F1 L1 L2 =>300"},
    {"time in an idle stretch covered only by an empty log: the empty log never"
     " joins, the next log carries the time stop (literal: first log with"
     " last_time >= T)",
     H_IDLE_EMPTY, "time 250", "F1 L1 L2@time=250 =>?"},

    /* Several diffs on one full. */
    {"several diffs: the newest diff at or before the target, not one after it",
     H_DIFFS, "lsn 350", "F1 D2 L3@lsn=350 =>350"},
    {"several diffs: the newest diff, then its log", H_DIFFS, "lsn 450",
     "F1 D3 L4@lsn=450 =>450"},
    {"several diffs: target exactly at the newest diff", H_DIFFS, "lsn 400",
     "F1 D3 =>400"},
    {"several diffs: the newest diff's media missing: the one before it", H_DIFFS_D3_MISSING,
     "lsn 450", "F1 D2 L3 L4@lsn=450 =>450"},

    /* Missing and damaged logs. */
    {"missing middle log bridged by a later diff", H_GAP, "lsn 450",
     "F1 D1 L3 L4@lsn=450 =>450"},
    {"missing middle log, target inside it: log_gap", H_GAP, "lsn 250",
     "!log_gap 200 300 L1 L3"},
    {"missing middle log, target before the bridging diff: log_gap", H_GAP, "lsn 340",
     "!log_gap 200 300 L1 L3"},
    {"missing middle log, time target inside it: log_gap", H_GAP, "time 250",
     "!log_gap 200 300 L1 L3"},
    {"damaged middle log, no diff to bridge it: log_gap", H_GAP_NO_DIFF, "lsn 450",
     "!log_gap 200 300 L1 L3"},
    {"damaged middle log: latest is the end of the reachable chain", H_GAP_NO_DIFF,
     "latest", "F1 L1 =>200"},
    {"log_gap is named from the furthest reachable point: the diff inside the"
     " missing log's range",
     H_GAP_DIFF_INSIDE, "lsn 350", "!log_gap 250 300 D1 L3"},
    {"latest stops before a missing last log", H_LATEST_LAST_LOG_MISSING, "latest",
     "F1 L1 L2 =>300"},
    {"log_gap resumes at the earliest later usable log, here a copy-only one",
     H_RESUME_COPY, "lsn 380", "!log_gap 200 250 L1 K1"},
    {"log_gap resumes past an unusable log at the next usable one", H_RESUME_SKIP,
     "lsn 450", "!log_gap 200 400 L1 L4"},

    /* Copy-only fulls. */
    {"copy-only full is a restore base", H_COPY_FULL, "lsn 280",
     "C1 L2@lsn=280 =>280"},
    {"copy-only full saves a log", H_COPY_FULL, "lsn 380", "C1 L2 L3@lsn=380 =>380"},
    {"a diff recorded on a copy-only full is never applied", H_DIFF_ON_COPY, "lsn 550",
     "C1 L2 L3 L4 L5@lsn=550 =>550"},
    {"copy-only full is not the diff base: a later diff builds on the regular full",
     H_DIFF_AFTER_COPY, "lsn 550", "F1 D1 L4 L5@lsn=550 =>550"},

    /* Diffs without their base. */
    {"diff whose base full is missing, no other full: diff_base_missing",
     H_DIFF_BASE_MISSING, "lsn 250", "!diff_base_missing D1"},
    {"diff whose base full is damaged, time target: diff_base_missing",
     H_DIFF_BASE_DAMAGED, "time 250", "!diff_base_missing D1"},
    {"diff whose base is missing and an older full that does not reach: the only"
     " way would be the diff, so diff_base_missing (not log_gap from the older full)",
     H_DIFF_BASE_MISSING_OLDER_FULL, "lsn 250", "!diff_base_missing D1"},
    {"diff on a damaged full routed around: an older full and its logs",
     H_DIFF_BASE_ROUTED, "lsn 380", "F0 L0 L1 L2 L3@lsn=380 =>380"},

    /* Copy-only logs. */
    {"copy-only log bridges the gap left by a missing regular log", H_CLOG_BRIDGE,
     "lsn 350", "F1 L1 K1 L3@lsn=350 =>350"},
    {"copy-only log beside a present regular log: equal cost, the regular one",
     H_CLOG_PRESENT, "lsn 350", "F1 L1 L2 L3@lsn=350 =>350 bytes=1030"},
    {"copy-only duplicate of a missing regular log takes its place", H_CLOG_DUP_MISSING,
     "lsn 350", "F1 L1 K2 L3@lsn=350 =>350"},
    {"copy-only duplicate of a present regular log: the regular one, though the"
     " copy-only comes first in the catalog",
     H_CLOG_DUP_PRESENT, "lsn 350", "F1 L1 L2 L3@lsn=350 =>350"},
    {"fewest backups beats fewest bytes: one long copy-only log instead of three",
     H_CLOG_LONG, "lsn 350", "F1 K1@lsn=350 =>350 bytes=1500"},

    /* Older fulls against newer ones. */
    {"older full + long log beats a newer damaged full", H_NEWER_FULL_DAMAGED,
     "lsn 350", "F1 L1 L2@lsn=350 =>350"},
    {"equal count and bytes: the newer full", H_NEWER_FULL_OK, "lsn 350",
     "F2 L1 L2@lsn=350 =>350"},
    {"bytes decide between equal counts: old small full + long copy-only log beats"
     " new big full + the same log",
     H_BYTES_FULLS, "lsn 350", "F1 K1@lsn=350 =>350 bytes=510"},
    {"newer full's media missing: the older full and the whole chain",
     H_NEWER_FULL_MISSING, "lsn 350", "F1 L1 L2 L3@lsn=350 =>350"},
    {"the only full's media missing: no restorable full, target_too_early",
     H_ONLY_FULL_MISSING, "lsn 150", "!target_too_early"},
    {"damaged log: the newer full after it serves", H_DAMAGED_LOG_NEWER_FULL,
     "lsn 350", "F2 L3@lsn=350 =>350"},
    {"damaged log, target inside it: log_gap names the logs on each side",
     H_DAMAGED_LOG_NEWER_FULL, "lsn 250", "!log_gap 200 300 L1 L3"},

    /* Ties. */
    {"two fulls at the same LSN: the later line", H_TIE_FULLS, "lsn 150",
     "F2 L1@lsn=150 =>150"},
    {"two identical logs: the earlier line", H_TIE_LOGS, "lsn 150",
     "F1 L1a@lsn=150 =>150"},
    {"equal counts: fewer bytes", H_BYTES_LOGS, "lsn 350",
     "F1 Lb Lc@lsn=350 =>350 bytes=1020"},
    {"a newer full beats full + diff at the same LSN", H_FULL_VS_DIFF, "lsn 250",
     "F2 L2@lsn=250 =>250"},

    /* Simple recovery. */
    {"simple recovery: target at a diff boundary", H_SIMPLE, "lsn 300", "F1 D2 =>300"},
    {"simple recovery: target at the newer full", H_SIMPLE, "lsn 400", "F2 =>400"},
    {"simple recovery: target between diffs, no log at all: after_last_log",
     H_SIMPLE, "lsn 250", "!after_last_log"},
    {"simple recovery: latest is the newest diff on the newest full", H_SIMPLE,
     "latest", "F2 D3 =>500"},
    {"simple recovery: time at a diff boundary", H_SIMPLE, "time 300", "F1 D2 =>300"},
    {"simple recovery then logs: the log chain resumes later: log_gap",
     H_SIMPLE_THEN_LOGS, "lsn 450", "!log_gap 300 400 F2 L1"},

    /* Marks. */
    {"mark: through the marked transaction, in the log holding its start", H_MARKS,
     "mark m1", "F1 L1 L2@mark=m1 =>?"},
    {"before-mark: stops just before it, restores exactly to the mark's LSN",
     H_MARKS, "before m1", "F1 L1 L2@before=m1 =>250"},
    {"mark at a log boundary: the log starting there holds it", H_MARKS, "mark m2",
     "F1 L1 L2 L3@mark=m2 =>?"},
    {"before-mark at a log boundary: the log ending there, no stop", H_MARKS,
     "before m2", "F1 L1 L2 =>300"},
    {"unknown mark", H_MARKS, "mark nosuch", "!unknown_mark"},
    {"unknown mark, before", H_MARKS, "before nosuch", "!unknown_mark"},
    {"mark before the first full", H_MARKS, "mark m3", "!target_too_early"},
    {"before-mark with a full exactly at the mark: the full alone", H_MARK_FULL_AT,
     "before m1", "F2 =>250"},
    {"mark with a full exactly at the mark: the full + the log holding the mark",
     H_MARK_FULL_AT, "mark m1", "F2 L2@mark=m1 =>?"},
    {"mark: a diff ending just after the mark is no base", H_MARK_DIFF_AFTER,
     "mark m1", "F1 L1 L2@mark=m1 =>?"},
    {"before-mark: a diff ending just after the mark is no base", H_MARK_DIFF_AFTER,
     "before m1", "F1 L1 L2@before=m1 =>250"},
    {"mark in a log whose media is missing: after_last_log", H_MARK_LOG_MISSING,
     "mark m4", "!after_last_log"},

    /* Time targets. */
    {"time inside a log", H_TIME, "time 150", "F1 L1@time=150 =>?"},
    {"time exactly at a log's last_time: no stop, LSN known", H_TIME, "time 200",
     "F1 L1 =>200"},
    {"time in an idle stretch inside a log", H_TIME, "time 350",
     "F1 L1 L2@time=350 =>?"},
    {"time at the end of an idle stretch: no stop, restores to the log's last_lsn",
     H_TIME, "time 400", "F1 L1 L2 =>300"},
    {"time exactly at the full's last_time: the full alone", H_TIME, "time 100",
     "F1 =>100"},
    {"time before the first full", H_TIME, "time 50", "!target_too_early"},
    {"time after the last log", H_TIME, "time 600", "!after_last_log"},
    {"iso time with a +03:00 offset", H_TIME, "iso 2026-11-20T03:02:30+03:00",
     "F1 L1@time=150 =>?"},
    {"iso time with a -05:30 offset at a log's end", H_TIME,
     "iso 2026-11-19T18:36:40-05:30", "F1 L1 L2 =>300"},
    {"iso time with a fraction", H_TIME, "iso 2026-11-20T00:05:50.25Z",
     "F1 L1 L2@time=350.250000 =>?"},
    {"time inside the full's idle stretch: the full's last_time is after T, so it"
     " is no base (literal: every base has last_time <= T)",
     H_TIME_FULL_IDLE, "time 120", "!target_too_early"},
    {"time at the full's last_time after an idle stretch", H_TIME_FULL_IDLE,
     "time 150", "F1 =>100"},
    {"time before a diff's last_time: the diff is no base", H_TIME_DIFF, "time 255",
     "F1 L1 L2@time=255 =>?"},
    {"time exactly at a diff's last_time (after its last LSN's time)", H_TIME_DIFF,
     "time 260", "F1 D1 =>250"},
    {"time after a missing log: log_gap", H_TIME_GAP, "time 350",
     "!log_gap 200 300 L1 L3"},
    {"time: a long copy-only log is fewer backups than two regular ones",
     H_TIME_CLOG, "time 250", "F1 K1@time=250 =>?"},
    {"time: equal cost, the regular log before the copy-only one", H_TIME_CLOG,
     "time 150", "F1 L1@time=150 =>?"},

    /* Forks. */
    {"fork: the newest fork by default; the parent's log is cut at the fork point",
     H_FORK, "lsn 400", "F1 L1 L2@lsn=250 G1 G2@lsn=400 =>400"},
    {"fork: the older fork on request uses the parent's whole history", H_FORK,
     "lsn 400 fork=f0", "F2 L3 =>400"},
    {"fork: a parent full after the fork point never serves the child", H_FORK,
     "lsn 320", "F1 L1 L2@lsn=250 G1@lsn=320 =>320"},
    {"fork: the same LSN on the parent fork uses the parent's later full", H_FORK,
     "lsn 320 fork=f0", "F2 L3@lsn=320 =>320"},
    {"fork: target exactly at the fork point", H_FORK, "lsn 250",
     "F1 L1 L2@lsn=250 =>250"},
    {"fork: target before the fork point uses the parent alone", H_FORK, "lsn 200",
     "F1 L1 =>200"},
    {"fork: latest on the newest fork", H_FORK, "latest",
     "F1 L1 L2@lsn=250 G1 G2 =>450"},
    {"fork: latest on the parent fork", H_FORK, "latest fork=f0", "F2 L3 =>400"},
    {"fork: after the parent's last log on the parent fork", H_FORK,
     "lsn 420 fork=f0", "!after_last_log"},
    {"fork: time target on the child crossing the fork point", H_FORK, "time 650",
     "F1 L1 L2@lsn=250 G1 G2@time=650 =>?"},
    {"fork: a mark of the parent after the fork point is not on the child's lineage",
     H_FORK, "mark mp", "!unknown_mark"},
    {"fork: the same mark on the parent fork", H_FORK, "mark mp fork=f0",
     "F2 L3@mark=mp =>?"},
    {"fork: a mark of the child", H_FORK, "mark mc",
     "F1 L1 L2@lsn=250 G1 G2@mark=mc =>?"},
    {"fork: equal finish dates: the later line's fork is the default", H_FORK_TIE,
     "latest", "F1 L1 L2@lsn=250 G1 =>350"},
    {"fork: the default is the latest finish date, not the last line",
     H_FORK_BY_DATE, "latest", "F1 L1 L2@lsn=250 G1 =>350"},
    {"forks over three generations: the child's own full, the middle fork's log cut"
     " at the grandchild's fork point",
     H_FORK3, "lsn 470", "H1 G2@lsn=400 J1@lsn=470 =>470"},
    {"forks over three generations: the middle fork on request", H_FORK3,
     "lsn 420 fork=f1", "H1 G2@lsn=420 =>420"},
    {"forks over three generations: the root fork on request", H_FORK3,
     "lsn 280 fork=f0", "F1 L1 L2@lsn=280 =>280"},

    /* Two databases. */
    {"two databases: the other's log never fills this one's gap", H_TWO_DBS,
     "lsn 350", "!log_gap 200 300 L1 L3"},
    {"two databases: the other one's own chain", H_TWO_DBS, "lsn 350 db=other",
     "X1 XL =>350"},
    {"two databases: this one's chain", H_TWO_DBS, "lsn 150", "F1 L1@lsn=150 =>150"},
    {"two databases: this one's full does not serve the other", H_TWO_DBS,
     "lsn 120 db=other", "!target_too_early"},
    {"two databases: a mark of the other database is unknown here", H_MARK_OTHER_DB,
     "mark mo", "!unknown_mark"},
    {"two databases: the same mark in its own database", H_MARK_OTHER_DB,
     "mark mo db=other", "X1 XL@mark=mo =>?"},
    {"a database with no backups in a catalog with others", H_TWO_DBS,
     "lsn 100 db=ghost", "!no_backups"},
    {"an empty catalog", "", "latest", "!no_backups"},

    /* Long chains. */
    {"3000 logs and a diff near the end: full + diff + the few logs after it",
     "@chain 3000 diff=29955", "lsn 30055",
     "F1 D1 L2986 .. L2996@lsn=30055 n=13 =>30055"},
    {"3000 logs, no diff: every log up to the target", "@chain 3000", "lsn 30055",
     "F1 L1 .. L2996@lsn=30055 n=2997 =>30055"},
    {"3000 logs and a diff: latest", "@chain 3000 diff=29955", "latest",
     "F1 D1 L2986 .. L3000 n=17 =>30100"},
};

#define N_SCENARIOS (sizeof scenarios / sizeof scenarios[0])


/* ---- histories generated in C ---------------------------------------------- */

/* "@chain N [diff=LSN]" (see the top of the file); anything else as is. */
static char *expand_history(const char *h)
{
    sbuf b = {0};
    long n = 0, diff = -1;
    const char *d;

    if (strncmp(h, "@chain ", 7) != 0) {
        char *copy = strdup(h);
        assert_non_null(copy);
        return copy;
    }
    n = strtol(h + 7, NULL, 10);
    d = strstr(h, "diff=");
    if (d)
        diff = strtol(d + 5, NULL, 10);
    sb_add(&b, "F1 full 100 100\n");
    for (long i = 1; i <= n; i++)
        sb_add(&b, "L%ld log %ld %ld\n", i, 100 + 10 * (i - 1), 100 + 10 * i);
    if (diff >= 0)
        sb_add(&b, "D1 diff %ld %ld\n", diff, diff);
    return b.s;
}

/* ---- targets --------------------------------------------------------------- */

/* Parse the target language into *t and the database argument. */
static int parse_target(const char *text, cat_target *t, char db[CAT_NAME_BUF],
                        char *why, size_t why_size)
{
    char buf[512], *tok[8], *save = NULL;
    int n = 0, args;
    yerr e;

    memset(t, 0, sizeof *t);
    snprintf(db, CAT_NAME_BUF, "app");
    snprintf(buf, sizeof buf, "%s", text);
    for (char *s = strtok_r(buf, " ", &save); s && n < 8; s = strtok_r(NULL, " ", &save))
        tok[n++] = s;
    if (n == 0) {
        snprintf(why, why_size, "empty target");
        return -1;
    }
    if (strcmp(tok[0], "latest") == 0) {
        t->kind = CAT_TARGET_LATEST;
        args = 1;
    } else if (n >= 2 && strcmp(tok[0], "lsn") == 0) {
        t->kind = CAT_TARGET_LSN;
        t->lsn = strtoll(tok[1], NULL, 10);
        args = 2;
    } else if (n >= 2 && strcmp(tok[0], "time") == 0) {
        t->kind = CAT_TARGET_TIME;
        t->time = HIST_EPOCH + strtoll(tok[1], NULL, 10) * HIST_SEC;
        args = 2;
    } else if (n >= 2 && strcmp(tok[0], "iso") == 0) {
        t->kind = CAT_TARGET_TIME;
        yerr_clear(&e);
        if (ytime_parse(tok[1], &t->time, &e)) {
            snprintf(why, why_size, "bad iso time: %s", e.msg);
            return -1;
        }
        args = 2;
    } else if (n >= 2 && (strcmp(tok[0], "mark") == 0 || strcmp(tok[0], "before") == 0)) {
        t->kind = tok[0][0] == 'm' ? CAT_TARGET_MARK : CAT_TARGET_BEFORE_MARK;
        snprintf(t->mark, sizeof t->mark, "%s", tok[1]);
        args = 2;
    } else {
        snprintf(why, why_size, "bad target '%s'", text);
        return -1;
    }
    for (int i = args; i < n; i++) {
        if (strncmp(tok[i], "fork=", 5) == 0)
            snprintf(t->fork_guid, sizeof t->fork_guid, "%s", tok[i] + 5);
        else if (strncmp(tok[i], "db=", 3) == 0)
            snprintf(db, CAT_NAME_BUF, "%s", tok[i] + 3);
        else {
            snprintf(why, why_size, "bad target option '%s'", tok[i]);
            return -1;
        }
    }
    return 0;
}

/* ---- rendering the actual answer -------------------------------------------- */

static void add_seconds(sbuf *b, int64_t us)
{
    int64_t rel = us - HIST_EPOCH;
    if (rel % HIST_SEC == 0)
        sb_add(b, "%lld", (long long)(rel / HIST_SEC));
    else
        sb_add(b, "%lld.%06lld", (long long)(rel / HIST_SEC),
               (long long)(rel % HIST_SEC < 0 ? -(rel % HIST_SEC) : rel % HIST_SEC));
}

/* One step: NAME plus its stop. */
static void render_step(sbuf *b, const cat_plan *p, const cat_plan_step *s)
{
    sb_add(b, "%s", s->backup_set_uuid);
    switch (s->stop) {
    case CAT_STOP_NONE:
        break;
    case CAT_STOP_LSN:
        sb_add(b, "@lsn=%lld", (long long)s->stop_lsn);
        break;
    case CAT_STOP_TIME:
        sb_add(b, "@time=");
        add_seconds(b, s->stop_time);
        break;
    case CAT_STOP_MARK:
        sb_add(b, "@%s=%s", s->stop_inclusive ? "mark" : "before", p->target.mark);
        break;
    default:
        sb_add(b, "@stop%d", (int)s->stop);
    }
}

static void render_tail(sbuf *b, const cat_plan *p)
{
    if (p->restores_to_lsn_known)
        sb_add(b, "=>%lld", (long long)p->restores_to_lsn);
    else
        sb_add(b, "=>?");
}

/* The whole answer in the expect language (long plans elided with ".."). */
static void render(sbuf *b, const cat_plan *p, int rc, const yerr *e)
{
    if (rc == YERR_UNREACHABLE) {
        const cat_plan_failure *f = &p->failure;
        sb_add(b, "!%s", cat_plan_error_name(f->code));
        if (f->code == CAT_PLAN_LOG_GAP)
            sb_add(b, " %lld %lld %s %s", (long long)f->gap_from_lsn,
                   (long long)f->gap_to_lsn, f->before_uuid, f->after_uuid);
        else if (f->code == CAT_PLAN_DIFF_BASE_MISSING)
            sb_add(b, " %s", f->backup_set_uuid);
        return;
    }
    if (rc != 0) {
        sb_add(b, "!error(rc=%d): %s", rc, e->msg);
        return;
    }
    for (size_t i = 0; i < p->n_steps; i++) {
        if (p->n_steps > 24 && i == 6) {
            sb_add(b, ".. ");
            i = p->n_steps - 6;
        }
        render_step(b, p, &p->steps[i]);
        sb_add(b, " ");
    }
    if (p->n_steps > 24)
        sb_add(b, "n=%zu ", p->n_steps);
    render_tail(b, p);
    sb_add(b, " bytes=%lld", (long long)p->bytes_to_read);
}

/* ---- comparing ------------------------------------------------------------------ */

static int step_is(const cat_plan *p, size_t i, const char *want)
{
    sbuf b = {0};
    int same;
    render_step(&b, p, &p->steps[i]);
    same = strcmp(sb_str(&b), want) == 0;
    free(b.s);
    return same;
}

/* 1 when the plan matches a success expectation; *why says what differs. */
static int match_success(const char *expect, const cat_plan *p, sbuf *why)
{
    char *copy = strdup(expect), *save = NULL;
    char *steps[64];
    int n = 0, dots = -1, ok = 1;
    const char *tail = NULL, *bytes = NULL, *count = NULL;

    assert_non_null(copy);
    for (char *s = strtok_r(copy, " ", &save); s; s = strtok_r(NULL, " ", &save)) {
        if (strncmp(s, "=>", 2) == 0)
            tail = s;
        else if (strncmp(s, "bytes=", 6) == 0)
            bytes = s + 6;
        else if (strncmp(s, "n=", 2) == 0)
            count = s + 2;
        else if (strcmp(s, "..") == 0)
            dots = n;
        else if (n < 64)
            steps[n++] = s;
    }
    assert_non_null(tail); /* the table's own syntax */

    if (dots < 0) {
        if (p->n_steps != (size_t)n) {
            sb_add(why, "%zu steps, expected %d; ", p->n_steps, n);
            ok = 0;
        } else {
            for (int i = 0; i < n; i++)
                if (!step_is(p, (size_t)i, steps[i])) {
                    sb_add(why, "step %d differs (expected %s); ", i + 1, steps[i]);
                    ok = 0;
                    break;
                }
        }
    } else {
        size_t after = (size_t)(n - dots);
        if (p->n_steps < (size_t)n) {
            sb_add(why, "%zu steps, expected at least %d; ", p->n_steps, n);
            ok = 0;
        } else {
            for (int i = 0; i < dots && ok; i++)
                if (!step_is(p, (size_t)i, steps[i])) {
                    sb_add(why, "step %d differs (expected %s); ", i + 1, steps[i]);
                    ok = 0;
                }
            for (size_t i = 0; i < after && ok; i++) {
                size_t at = p->n_steps - after + i;
                if (!step_is(p, at, steps[dots + (int)i])) {
                    sb_add(why, "step %zu differs (expected %s); ", at + 1,
                           steps[dots + (int)i]);
                    ok = 0;
                }
            }
        }
    }
    if (count && p->n_steps != (size_t)strtoull(count, NULL, 10)) {
        sb_add(why, "n_steps %zu, expected %s; ", p->n_steps, count);
        ok = 0;
    }
    {
        sbuf t = {0};
        render_tail(&t, p);
        if (strcmp(sb_str(&t), tail) != 0) {
            sb_add(why, "restores_to %s, expected %s; ", sb_str(&t), tail);
            ok = 0;
        }
        free(t.s);
    }
    if (bytes && p->bytes_to_read != strtoll(bytes, NULL, 10)) {
        sb_add(why, "bytes_to_read %lld, expected %s; ", (long long)p->bytes_to_read,
               bytes);
        ok = 0;
    }
    free(copy);
    return ok;
}

/* What every successful plan must be, whatever the scenario: one full, at
 * most one diff, then non-empty logs; stops on logs only; bytes add up. */
static int plan_shape_ok(const cat_plan *p, sbuf *why)
{
    int64_t bytes = 0;
    int ok = 1;

    if (p->n_steps == 0 || p->steps[0].type != CAT_FULL) {
        sb_add(why, "a plan starts with a full; ");
        return 0;
    }
    for (size_t i = 0; i < p->n_steps; i++) {
        const cat_plan_step *s = &p->steps[i];
        bytes += s->backup_size;
        if (i > 0 && s->type == CAT_FULL) {
            sb_add(why, "step %zu is a second full; ", i + 1);
            ok = 0;
        }
        if (s->type == CAT_DIFF && i != 1) {
            sb_add(why, "step %zu is a diff not right after the full; ", i + 1);
            ok = 0;
        }
        if (s->type == CAT_LOG && s->first_lsn == s->last_lsn) {
            sb_add(why, "step %zu is an empty log; ", i + 1);
            ok = 0;
        }
        if (s->type != CAT_LOG && s->stop != CAT_STOP_NONE) {
            sb_add(why, "step %zu stops inside a %s; ", i + 1,
                   cat_backup_type_name(s->type));
            ok = 0;
        }
        if (!s->media_path || !s->media_path[0]) {
            sb_add(why, "step %zu has no media_path; ", i + 1);
            ok = 0;
        }
    }
    if (bytes != p->bytes_to_read) {
        sb_add(why, "bytes_to_read %lld is not the sum of the steps' sizes %lld; ",
               (long long)p->bytes_to_read, (long long)bytes);
        ok = 0;
    }
    return ok;
}

/* ---- one scenario ------------------------------------------------------------- */

static void run_scenario(void **state)
{
    const scenario *sc = *state;
    char dir[64], db[CAT_NAME_BUF], why_target[256];
    catalog *cat = NULL;
    cat_target target;
    cat_plan plan;
    yerr e;
    sbuf actual = {0}, why = {0};
    char *history;
    int rc, ok;

    if (parse_target(sc->target, &target, db, why_target, sizeof why_target)) {
        print_error("%s: %s\n", sc->title, why_target);
        fail();
    }
    history = expand_history(sc->history);
    yerr_clear(&e);
    if (hist_open(dir, &cat, &e)) {
        free(history);
        print_error("%s: hist_open: %s\n", sc->title, e.msg);
        fail();
    }
    if (hist_build(cat, history, &e)) {
        print_error("%s: hist_build: %s\n", sc->title, e.msg);
        free(history);
        hist_close(dir, cat);
        fail();
    }
    free(history);

    memset(&plan, 0, sizeof plan);
    yerr_clear(&e);
    rc = cat_plan_find(cat, db, &target, &plan, &e);
    render(&actual, &plan, rc, &e);

    if (sc->expect[0] == '!') {
        ok = rc == YERR_UNREACHABLE && strcmp(sb_str(&actual), sc->expect) == 0;
        if (rc == YERR_UNREACHABLE && e.msg[0] == '\0') {
            sb_add(&why, "no error message; ");
            ok = 0;
        }
    } else {
        ok = rc == 0 && match_success(sc->expect, &plan, &why);
        if (ok)
            ok = plan_shape_ok(&plan, &why);
    }
    if (!ok)
        print_error("scenario: %s\n"
                    "  target:   %s (database %s)\n"
                    "  expected: %s\n"
                    "  actual:   %s\n"
                    "%s%s%s"
                    "%s%s%s",
                    sc->title, sc->target, db, sc->expect, sb_str(&actual),
                    why.n ? "  why:      " : "", sb_str(&why), why.n ? "\n" : "",
                    e.msg[0] ? "  message:  " : "", e.msg, e.msg[0] ? "\n" : "");
    cat_plan_free(&plan);
    hist_close(dir, cat);
    free(actual.s);
    free(why.s);
    if (!ok)
        fail();
}

int main(int argc, char **argv)
{
    static struct CMUnitTest tests[N_SCENARIOS];

    for (size_t i = 0; i < N_SCENARIOS; i++) {
        tests[i].name = scenarios[i].title;
        tests[i].test_func = run_scenario;
        tests[i].setup_func = NULL;
        tests[i].teardown_func = NULL;
        tests[i].initial_state = &scenarios[i];
    }
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
