/*
 * retention.h: which backups a retention policy may delete, and why.
 *
 * A pure decision over the catalog: cat_retention_plan reads the catalog
 * and returns the backups to delete, each with a reason a DBA can check; it
 * deletes nothing (engine/prune.h carries the plan out: rows and their
 * marks in one transaction, then the media files).
 *
 * THE POLICY
 *
 *   keep_fulls = N (N > 0): the window starts at the last_time of the N-th
 *     newest usable regular full of the newest fork's lineage (copy-only
 *     fulls and fulls whose media is missing or damaged do not count; a
 *     parent fork's fulls count up to the fork point).  Fewer than N such
 *     fulls: the rule keeps everything.
 *   keep_days = D (D > 0): the window starts at now - D days.
 *   Both: the EARLIER of the two starts (the union of what each keeps).
 *   Neither, or a negative value: YERR_USAGE.
 *
 * The window is [window_start_time, now].  The guarantee: every point of
 * the window that can be restored before the prune (by time, by LSN, by
 * mark, and the latest point) can still be restored after it, on every
 * fork of the database.
 *
 * THE RULE (per recovery fork; the same window for every fork)
 *
 *   For each fork G of the database (every fork with a backup or a
 *   recoveryfork row), on G's lineage (G's backups, and its parents'
 *   backups up to the fork points, as the planner uses them):
 *
 *   1. The window's base: the planner's plan for the window's start
 *      (time window_start_time on fork G) starts from a base (a full, or
 *      a diff on its full).  When a newer usable full, or diff on a
 *      usable regular full, ends at or before the window's start at an
 *      LSN that the plan's own log chain carries, that newer one is the
 *      base instead (the plan is the cheapest, and on a tie it may start
 *      further back than needed).  Let b be the base's last_lsn.  Kept:
 *        - that base (and the full under it when it is a diff);
 *        - every full and diff with last_lsn >= b;
 *        - every log with last_lsn > b (it carries some state at or after
 *          the base forward, so the logs that bring the base to the
 *          window's start, and every log after, stay; a log chain that
 *          runs across a full stays whole from b on);
 *        - every backup that ends inside the window (last_time >
 *          window_start_time), whatever its state: missing media,
 *          damaged, empty.
 *   2. When the window's start itself cannot be restored on G (before the
 *      first full, inside a log gap, between two diffs of a database
 *      without logs, after the last log of an abandoned fork), let m be
 *      the highest last_lsn of G's lineage backups with last_time <=
 *      window_start_time.  Kept: every backup with last_lsn > m or
 *      last_time > window_start_time.  (Any point of the window that is
 *      restorable is then reached from a base inside the window.)  With no
 *      such backup, G keeps everything.
 *   3. A full that a kept diff names as its base is kept (whatever its
 *      age or state).
 *
 *   A backup is deleted when no fork keeps it.  So: a full older than the
 *   window's base goes unless a kept diff needs it; diffs older than the
 *   base go; logs that end at or before the base go (even those between
 *   the base's full and its diff: no point of the window needs them);
 *   an abandoned fork whose history ends before the window goes whole,
 *   except what another fork's lineage needs; copy-only backups follow
 *   the same test as regular ones; rows whose media is missing or that
 *   verify marked damaged follow it too (outside the window they go, with
 *   "[media missing]" / "[damaged]" in the reason; inside it they stay, so
 *   `catalog check` keeps reporting them).  Other databases are never
 *   touched.
 *
 * THE CHECK
 *
 *   Before returning, the plan is verified with the planner's own code on
 *   in-memory copies of the catalog (one as it is, one without the chosen
 *   rows and their marks), for each fork that loses a backup:
 *   - the restorable windows of `catalog check` (check.h) before and
 *     after: every LSN at or after window_start_lsn, and every time at or
 *     after window_start_time, that a window held before must be held
 *     after; an uncovered point is confirmed with the planner;
 *   - the planner, on targets: the window's start, window_start_lsn, the
 *     last LSN and last time of every full and diff ending inside the
 *     window and of its logs (all of them up to 48 + 48; beyond, the
 *     first 48 after the start and 48 spread over the rest), every mark
 *     made inside the window (mark and before-mark), and the latest point
 *     when it lies inside the window.  Each is planned before the prune;
 *     the ones whose plan used a chosen backup, and the latest point, are
 *     planned again after it (a plan whose backups all stay is still
 *     there).
 *   A point reachable before and not after (or a latest point that moves
 *   back) puts every chosen backup of its plan before the prune back
 *   among the kept ones (counted in n_rescued), and the check runs again;
 *   if nothing can be put back, cat_retention_plan fails.  The rule above
 *   does not need this on consistent catalogs; it covers catalogs whose
 *   times and LSNs disagree (a clock set back, a mark stamped with a
 *   wrong time) and the planner's literal time rule in idle stretches (a
 *   time after the base's last_time that only a log ending at the base's
 *   very LSN reaches).
 *
 * Ownership: cat_retention_plan fills a cat_prune_plan that the caller
 * releases with cat_prune_plan_free, on success and on failure alike.
 */
#ifndef YEDEK_CAT_RETENTION_H
#define YEDEK_CAT_RETENTION_H

#include <stddef.h>
#include <stdint.h>

#include "backupset.h"

/* 0 disables a rule; at least one must be set.  Positional initialisation
 * {keep_fulls, keep_days} is relied on (engine/job.c). */
typedef struct cat_retention_policy {
    int keep_fulls; /* keep the N newest usable regular fulls' windows */
    int keep_days;  /* keep D days back from now */
} cat_retention_policy;

#define CAT_PRUNE_REASON_BUF 512

typedef struct cat_prune_item {
    cat_backupset row;                  /* the catalog row, every column */
    char reason[CAT_PRUNE_REASON_BUF];  /* why nothing kept needs it */
} cat_prune_item;

typedef struct cat_prune_plan {
    char database_name[CAT_NAME_BUF];
    char database_guid[CAT_GUID_BUF];
    char fork_guid[CAT_GUID_BUF]; /* the newest fork (the default target's) */
    /* The window's start; INT64_MIN when the policy keeps everything (the
     * count rule found fewer than keep_fulls fulls and there is no age
     * rule, or the start is before every backup). */
    int64_t window_start_time;
    /* On the newest fork: the window base's last_lsn (b above), or m + 1
     * when the window's start is not restorable; INT64_MIN when
     * everything is kept.  Every LSN at or after it that is restorable
     * before the prune stays restorable. */
    int64_t window_start_lsn;
    /* The window's base on the newest fork: a full, or a diff and its
     * full ("" when the window's start is not restorable). */
    char base_uuid[CAT_GUID_BUF];
    char base_full_uuid[CAT_GUID_BUF];
    size_t n;
    cat_prune_item *items;  /* owned; oldest first (backup_id order) */
    int64_t bytes;          /* sum of the items' backup_size */
    size_t n_kept;          /* rows of the database that stay */
    size_t n_checked;       /* restore targets the check planned */
    size_t n_rescued;       /* items the check put back (see above) */
} cat_prune_plan;

/*
 * Decide what `p` lets go for `database` (catalog name, GUID or database
 * file path, as cat_plan_find takes) at instant now_us (microseconds since
 * the epoch, UTC; injected for tests).  Returns 0 with *out filled (n may
 * be 0); YERR_USAGE for a policy without a rule; YERR_FAIL when the
 * database has no backups or the catalog cannot be read.
 */
int cat_retention_plan(catalog *cat, const char *database, const cat_retention_policy *p,
                       int64_t now_us, cat_prune_plan *out, yerr *e);

/* Free what a plan owns and reset it; safe on a zeroed plan. */
void cat_prune_plan_free(cat_prune_plan *p);

#endif
