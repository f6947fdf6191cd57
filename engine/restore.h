/*
 * restore.h: a database as it was at a target, from its backups.
 *
 * The planner chooses the sequence (catalog/plan.h); restore applies it
 * into a new file beside the destination: the full image, the diff's
 * extents, then the logs' records in LSN order, stopping inside the last
 * log at the target (a time: every transaction committed at or before it;
 * an LSN; a mark: through the marked transaction, or just before it).
 * Every block and record checksum is verified on the way, each log must
 * follow the image it is applied to (its records' checksum-before), each
 * media file must be the backup the plan names, and at the end the
 * image's rolling checksum must be the one capture recorded at that LSN
 * (where capture knew it; kept as the image is written, so the image is
 * not read again).  Only then is the file synced and renamed into place; a
 * failure leaves no file at the destination.  The live database and its
 * capture state are never touched; a destination under capture is
 * refused, an existing one unless `replace`.
 *
 * no_sync skips the syncs of the file and its folder (for scratch
 * restores and drills, whose file nobody needs after a power failure):
 * the temporary file, the checks and the rename when complete stay, but
 * after a crash the destination may be incomplete or missing.  A restore
 * put into service (as_live) is always synced.
 *
 * as_live puts the restored database back into service as the same
 * database: capture starts on it with the database's GUID and a new
 * recovery fork whose parent is the target's fork and whose fork point is
 * the restored LSN, so its backups form their own chain and the planner
 * keeps the forks apart.
 *
 * Every restore is recorded in restorehistory.
 */
#ifndef YEDEK_ENG_RESTORE_H
#define YEDEK_ENG_RESTORE_H

#include <stddef.h>
#include <stdint.h>

#include "backup.h"
#include "plan.h"

typedef struct eng_restore_opts {
    const char *to;
    int replace;
    int as_live;
    int no_sync;              /* see above; refused with as_live */
    const uint8_t *key;       /* for encrypted media */
    size_t key_len;
    eng_progress_fn progress; /* may be NULL */
    void *progress_arg;
} eng_restore_opts;

typedef struct eng_restore_result {
    cat_plan plan;            /* the plan followed (or why there is none) */
    uint64_t lsn;             /* the restored database stands at this LSN */
    int64_t time;             /* commit time of its last transaction */
    int cksum_verified;       /* the rolling checksum was checked */
    char new_fork_guid[37];   /* as_live: the fork it started */
    char destination[4096];   /* absolute */
} eng_restore_result;

/* YERR_UNREACHABLE with r->plan.failure set when no sequence exists;
 * YERR_MEDIA when media failed; YERR_FAIL for anything else. */
int eng_restore(catalog *cat, const char *database, const cat_target *target,
                const eng_restore_opts *o, eng_restore_result *r, yerr *e);
void eng_restore_result_free(eng_restore_result *r);

#endif
