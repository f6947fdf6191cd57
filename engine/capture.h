/*
 * capture.h: one database under capture.
 *
 * Capture keeps, beside the database in DB-yedek/, the database's identity
 * and chain state (state), its engine log (log), its differential change
 * map (dcm), the hash of every page (pagehash), the commit-time journal
 * (commits) and a lock file serialising capture steps across processes.
 *
 * Work at commit time is tiny: the VFS shim notes the commit frame's
 * position and time (cap_on_wal_write).  Pages are copied in batches by
 * cap_advance, which re-reads the WAL from where capture stands,
 * validates frames the way SQLite's recovery does, and appends one engine
 * log record per committed transaction (pages as deltas against what it
 * logged before).  It runs on the capture thread (cap_worker_*) every few
 * dozen commits, and before anything can take frames away from the WAL
 * (a reset, a truncation, a deletion), when the commit journal fills,
 * when the last connection of a process closes, and whenever a command
 * needs capture to be current.
 *
 * Anything capture cannot prove it saw (a commit without a note, a WAL
 * generation that does not follow on, a replaced file, a switch to a
 * rollback journal, a damaged state) breaks the chain: the reason is
 * recorded, the DCM stops being trusted, and log backups will refuse until
 * a full backup starts a new chain.
 *
 * Ownership: cap_open allocates a capture, cap_close frees it.
 */
#ifndef YEDEK_ENG_CAPTURE_H
#define YEDEK_ENG_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "cstate.h"
#include "error.h"

#define CAP_DIR_SUFFIX "-yedek"

typedef struct capture capture;

/* DB-yedek for a database path. */
int cap_dir_of(const char *db_path, char *out, size_t size, yerr *e);

/*
 * Start capture for the database at db_path: it must be a SQLite database
 * in WAL mode.  Checkpoints the WAL away while holding the write lock, so
 * capture starts from the database file alone, and records the starting
 * page hashes.  *out receives the new state (its GUID for the user).
 */
int cap_init(const char *db_path, const char *name, enum fmt_recovery model,
             fmt_cstate *out, yerr *e);

/* Start capture for a database restored from backups, putting it back into
 * service as the same database: lineage->guid is kept, a new recovery fork
 * begins whose parent is lineage->fork_guid and whose fork point is
 * lineage->next_lsn (the LSN the restore reached, committed at
 * lineage->last_commit_time); LSNs go on from there. */
int cap_init_restored(const char *db_path, const char *name, enum fmt_recovery model,
                      const fmt_cstate *lineage, fmt_cstate *out, yerr *e);

/* Open capture for a database; YERR_FAIL "not under capture" when it was
 * never initialised (or its DB-yedek folder was removed). */
int cap_open(const char *db_path, capture **out, yerr *e);
void cap_close(capture *c);

/* Bring the engine log up to the last commit in the WAL. */
int cap_advance(capture *c, yerr *e);

/* The VFS shim's hooks; each returns 0 or an error code with e set.
 * Before bytes are written to the WAL: */
int cap_on_wal_write(capture *c, const void *buf, int amt, int64_t off, yerr *e);
/* Before the WAL is truncated or deleted: */
int cap_on_wal_gone(capture *c, yerr *e);
/* Before bytes are written to the database file itself (checkpoints, or a
 * rollback-journal write that bypasses the WAL): */
int cap_on_db_write(capture *c, const void *buf, int amt, int64_t off, yerr *e);

/* A named mark: an empty transaction of its own at the current LSN.  The
 * caller holds the database's write lock (BEGIN IMMEDIATE), so nothing
 * commits between the advance and the mark.  in_txn: the caller's own
 * transaction, which holds that lock, is the marked one: its commit record
 * will carry FMT_ELOG_MARKED (if it rolls back, the mark marks nothing). */
int cap_mark(capture *c, const char *name, int in_txn, uint64_t *lsn, yerr *e);

/* The shim's hook: SQLite released the WAL write lock. */
void cap_on_write_unlock(capture *c);

/* Record a chain break (once; the first reason is kept). */
int cap_break(capture *c, const char *reason, yerr *e);

typedef struct cap_status {
    fmt_cstate state;
    uint32_t dcm_marked, dcm_extents;
    int dcm_trusted;
    uint64_t dcm_base_lsn;
    uint64_t log_bytes;      /* records the engine log holds */
    uint64_t log_first_lsn;  /* the first of them (where the next log backup starts) */
    int wal_mode;     /* the database file's header says WAL */
} cap_status;

/* Advance, then report. */
int cap_status_read(capture *c, cap_status *out, yerr *e);

/* ---- what backups ask of capture (capture_backup.c) ---- */

/* Open only the capture state and engine log of a database that may be
 * missing or damaged, for a tail-log backup: no capture step can run. */
int cap_open_tail(const char *db_path, capture **out, yerr *e);

/* One backup of a database at a time, across processes: a lock file in
 * DB-yedek.  YERR_FAIL "another backup ... is running (lock held)" and
 * *busy = 1 when held.  *fd is released with cap_backup_unlock. */
int cap_backup_lock(const char *db_path, int *fd, int *busy, yerr *e);
void cap_backup_unlock(int fd);

/* Where capture stands at a backup's snapshot. */
typedef struct cap_point {
    fmt_cstate state;           /* state.next_lsn is the snapshot's LSN */
    uint64_t log_first_lsn;     /* the engine log holds [log_first_lsn, next_lsn) */
    uint64_t log_start_off;     /* ... in bytes [log_start_off, state.log_end) */
    /* The DCM as of the snapshot (bits owned; cap_point_free). */
    uint32_t dcm_extents;
    uint8_t *dcm_bits;
    int dcm_trusted;
    uint64_t dcm_base_lsn;
} cap_point;

enum cap_point_flags {
    CAP_POINT_DCM = 1,          /* copy the DCM into the point */
    CAP_POINT_NEW_EPOCH = 2     /* start the next DCM epoch at this LSN (a base full) */
};

/* Advance capture and report where it stands, under the capture lock, so
 * that the caller, who holds the database's write lock, gets the LSN its
 * snapshot is at.  Without a capture step for cap_open_tail captures. */
int cap_point_take(capture *c, int flags, cap_point *p, yerr *e);
void cap_point_free(cap_point *p);

/* A base full at `lsn`, of `pages` pages, was published: its epoch's map
 * becomes the DCM, a broken chain starts again at `lsn` (the log keeps
 * records from there), and a lost checksum is re-based (cap_rebase_open);
 * unless anything broke while the full ran. */
int cap_epoch_commit(capture *c, uint64_t lsn, uint32_t pages, yerr *e);
/* A base full failed: its epoch's map goes (and any page hashes it wrote
 * for cap_rebase_open). */
void cap_epoch_abort(capture *c);

/* A rolling checksum capture no longer knows (after a break that may hide
 * changes) comes back with the next base full in FULL recovery: the full
 * writes the hash (fmt_page_hash) of every page of its image, page 1
 * first, as u64 little-endian, into the file this opens (for writing,
 * emptied); cap_epoch_commit then takes them as the page hashes at the
 * full's LSN, brings them forward through the engine log's records since,
 * and the checksum is known again.  *fd is the caller's to close; a full
 * that could not write them all calls cap_rebase_cancel. */
int cap_rebase_open(capture *c, int *fd, yerr *e);
void cap_rebase_cancel(capture *c);

/* A log backup saved the records below `lsn`, which start at byte `off`
 * of the engine log: drop them (one header write, then a hole). */
int cap_log_cut(capture *c, uint64_t lsn, uint64_t off, yerr *e);

/* ---- the background step (capture_worker.c) ---- */

/* Commits noted in the commit journal that no capture step has consumed
 * yet, as this process last saw. */
uint64_t cap_lag(const capture *c);

/* Whether a checkpoint should wait for the worker: more than a kick's
 * worth of commits wait to be captured, and the WAL is still under
 * CAP_WAL_SOFT_MAX.  A checkpoint that goes ahead lets the next writer
 * reset the WAL, and the reset must first capture everything, inside that
 * writer's commit: fine for a few dozen commits, not for thousands.
 * Deferred, the WAL grows a little while the worker catches up beside the
 * writer.  Past the bound, the writer waits instead: the WAL stays
 * bounded. */
#define CAP_WAL_SOFT_MAX (16u << 20)
/* Commits noted since the last kick before the worker is woken. */
#define CAP_WORKER_KICK 64
int cap_checkpoint_waits(const capture *c);

/* A thread that runs capture steps for c when kicked (and every quarter
 * second while commits wait), so that writers do not.  A step that fails
 * is handed to on_fail (on the worker's thread).  cap_worker_stop joins
 * the thread and frees the worker; c must outlive it. */
typedef struct cap_worker cap_worker;
typedef void (*cap_worker_fail_fn)(void *arg, const yerr *e);
int cap_worker_start(capture *c, cap_worker_fail_fn on_fail, void *arg, cap_worker **out,
                     yerr *e);
/* Wake the worker: cheap when it is already awake. */
void cap_worker_kick(cap_worker *w);
/* Whether w has a thread in this process (a child forked from the process
 * that started it has not: kicks do nothing there, and stopping it leaves
 * the parent's worker alone). */
int cap_worker_running(const cap_worker *w);
void cap_worker_stop(cap_worker *w);

/* Paths inside DB-yedek (for tools and tests). */
const char *cap_db_path(const capture *c);
const char *cap_state_dir(const capture *c);

#endif
