/*
 * plan.h: the restore planner.
 *
 * Given a database, a target and the catalog, find the cheapest valid
 * restore sequence: one full (copy-only included) whose image is at or
 * before the target, at most one diff whose base is that very full, then
 * log backups that carry the database to the target without a gap, all on
 * the target's fork lineage.  Cheapest means fewest backups, then fewest
 * bytes to read.
 *
 * It is a shortest path over LSN states, not "the latest full before the
 * target": a state is "the database at LSN x"; a full or diff is a start
 * edge into state last_lsn; a log L is an edge from any state x with
 * first_lsn <= x < last_lsn into state last_lsn.  The search is A* with a
 * lower bound taken from a greedy log chain, so old fulls that cannot tie
 * are dismissed with one index probe each, and memory grows with the
 * states explored, never with the catalog.
 *
 * Ties are broken the same way every time: the newer base first (higher
 * last_lsn, then higher backup_id), then regular logs before copy-only
 * ones, then lower backup_id.
 *
 * Backups whose media file is missing or whose row is marked damaged are
 * routed around; when no sequence exists the failure says why in terms a
 * DBA understands (CONTRACT.md's error codes), naming the LSNs and the
 * backups on each side of a gap and any unusable backup that would have
 * served.
 *
 * Ownership: cat_plan_find fills a cat_plan that the caller releases with
 * cat_plan_free, on success and on failure alike.
 */
#ifndef YEDEK_CAT_PLAN_H
#define YEDEK_CAT_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "backupset.h"
#include "target.h"

enum cat_stop_kind { CAT_STOP_NONE, CAT_STOP_LSN, CAT_STOP_TIME, CAT_STOP_MARK };

typedef struct cat_plan_step {
    int64_t backup_id;
    char backup_set_uuid[CAT_GUID_BUF];
    char recovery_fork_guid[CAT_GUID_BUF];
    enum cat_backup_type type;
    int is_copy_only;
    int64_t first_lsn, last_lsn;
    int64_t first_time, last_time;
    int64_t backup_size;
    char *media_path; /* owned by the plan */
    /* Where to stop inside this log (NONE: apply it whole).  A log of a
     * parent fork is cut at the child's fork point (LSN); the last log is
     * cut at the target. */
    enum cat_stop_kind stop;
    int64_t stop_lsn;  /* CAT_STOP_LSN */
    int64_t stop_time; /* CAT_STOP_TIME */
    int stop_inclusive; /* CAT_STOP_MARK: through the marked transaction */
} cat_plan_step;

enum cat_plan_error {
    CAT_PLAN_OK,
    CAT_PLAN_LOG_GAP,
    CAT_PLAN_AFTER_LAST_LOG,
    CAT_PLAN_TARGET_TOO_EARLY,
    CAT_PLAN_DIFF_BASE_MISSING,
    CAT_PLAN_UNKNOWN_MARK,
    CAT_PLAN_NO_BACKUPS
};

#define CAT_PLAN_UNUSABLE_MAX 8

/* Why no sequence exists; the human message is in the yerr. */
typedef struct cat_plan_failure {
    enum cat_plan_error code;
    /* LOG_GAP: no usable log covers [gap_from_lsn, gap_to_lsn); the chain
     * ends with before_uuid and resumes with after_uuid. */
    int64_t gap_from_lsn, gap_to_lsn;
    char before_uuid[CAT_GUID_BUF];
    char after_uuid[CAT_GUID_BUF];
    int64_t before_time, after_time;
    /* AFTER_LAST_LOG, LOG_GAP: the furthest point reachable. */
    int64_t reach_lsn, reach_time;
    /* TARGET_TOO_EARLY: the first restorable full (empty when none);
     * DIFF_BASE_MISSING: the diff, and its base in base_uuid. */
    char backup_set_uuid[CAT_GUID_BUF];
    char base_uuid[CAT_GUID_BUF];
    int64_t first_lsn, first_time;
    /* Backups that would have served but whose media is missing or
     * damaged. */
    int n_unusable;
    char unusable[CAT_PLAN_UNUSABLE_MAX][CAT_GUID_BUF];
} cat_plan_failure;

typedef struct cat_plan {
    char database_name[CAT_NAME_BUF];
    char database_guid[CAT_GUID_BUF];
    char fork_guid[CAT_GUID_BUF];
    cat_target target;
    /* For mark targets: the marked transaction's start LSN and time. */
    int64_t mark_lsn, mark_time;
    size_t n_steps;
    cat_plan_step *steps; /* owned */
    /* The LSN the restore ends at; known = 0 when it depends on what the
     * last log holds (a stop at a time, or through a marked transaction;
     * a before-mark stop ends exactly at the mark's LSN). */
    int restores_to_lsn_known;
    int64_t restores_to_lsn;
    int64_t bytes_to_read;
    cat_plan_failure failure;
} cat_plan;

/*
 * Plan a restore of `database` (name, GUID or file path) to `target`.
 * Returns 0 with out->steps set; YERR_UNREACHABLE with out->failure set
 * when no sequence exists; another code when the catalog cannot be read.
 */
int cat_plan_find(catalog *cat, const char *database, const cat_target *target,
                  cat_plan *out, yerr *e);

/* Free what a plan owns and reset it; safe on a zeroed plan. */
void cat_plan_free(cat_plan *p);

/* CONTRACT.md's code for a failure: "log_gap", "after_last_log", ... */
const char *cat_plan_error_name(enum cat_plan_error code);

#endif
