/*
 * capture_int.h: the capture struct and helpers shared by capture.c,
 * capture_init.c and capture_advance.c.  Not a public interface.
 */
#ifndef YEDEK_ENG_CAPTURE_INT_H
#define YEDEK_ENG_CAPTURE_INT_H

#include <limits.h>
#include <pthread.h>

#include "capture.h"
#include "commits.h"
#include "dcm.h"
#include "elog.h"
#include "endian.h"
#include "pagecache.h"
#include "pagehash.h"
#include "wal.h"

struct capture {
    char db_path[PATH_MAX];
    char wal_path[PATH_MAX];
    char dir[PATH_MAX];
    int lock_fd;         /* flock: one capture step at a time, across processes */
    /* The database file, open for the capture's whole life.  Never open
     * and close it again while SQLite has it open in this process: closing
     * any descriptor of a file drops every POSIX lock the process holds on
     * it, SQLite's included, and another process would then believe it is
     * the last connection and delete the WAL under us. */
    int db_fd;
    /* DB-shm, opened on first need and kept for the same reason. */
    int shm_fd;
    uint64_t shm_ino;
    pthread_mutex_t mu;  /* ... and across threads of this process */
    cap_commits *commits;
    uint32_t page_size;
    int full;            /* FULL recovery: the log keeps page images */
    /* what this process's writes told the hooks */
    uint32_t cur_salt1, cur_salt2; /* salts of the WAL generation being written */
    int cur_salts_known;
    uint64_t used_hint;  /* commit notes consumed, as last seen here */
    /* A mark yedek_mark() made inside the write transaction a connection of
     * this process holds: its next commit carries it.  Only one connection
     * holds the write lock at a time; releasing it clears this. */
    uint64_t pending_mark;
    /* The last commit frame this process wrote into the WAL's current
     * generation: how long the WAL has grown, without a system call. */
    uint32_t wal_frames;
    /* This boot of the machine ("" when the system does not say): steps
     * skip their fsyncs only when a restart can be recognised. */
    char boot_id[37];
    /* DB-yedek/pagehash, mapped once and kept: mapping and unmapping it
     * every step costs every thread of the process a TLB flush.  Under
     * the lock. */
    cap_pagehash *ph;
    /* The bases of the engine log's page deltas (FULL recovery; NULL
     * until the first step).  Under the lock. */
    cap_pagecache *pcache;
};

/* Path of a file inside DB-yedek. */
int cap_path(const capture *c, const char *name, char *out, size_t size, yerr *e);

/* Take / release the capture lock (thread and process). */
int cap_lock(capture *c, yerr *e);
void cap_unlock(capture *c);

/* Read / atomically write DB-yedek/state. */
int cap_state_load(const capture *c, fmt_cstate *s, yerr *e);
int cap_state_save(const capture *c, const fmt_cstate *s, yerr *e);
int cap_state_save_dir(const char *dir, const fmt_cstate *s, int sync, yerr *e);
/* The same without refreshing state.prev (one link less, and no file to
 * free): for the steps between WAL generations. */
int cap_state_save_light(const capture *c, const fmt_cstate *s, yerr *e);

/* Write a small file in dir atomically: temporary name, optional fsync,
 * rename. */
int cap_write_atomic(const char *dir, const char *name, const void *buf, size_t len, int sync,
                     yerr *e);

/* Steps rewrite their files in place: a file of len bytes, at most one
 * page, gets one pwrite, and no inode is made or freed (on some
 * filesystems freeing one costs more than the whole step).  A write within
 * a page is all or nothing for a process that dies; a machine that stops
 * may tear it, which the reader's checksum tells.  Any other file goes
 * through cap_write_atomic. */
#define CAP_STATE_FILE 4096
int cap_write_inplace(const char *dir, const char *name, const void *buf, size_t len, yerr *e);

/*
 * The DCM files: `dcm`, the map of the current base full, and `dcm.next`,
 * present while a full backup runs: the map of the epoch that full will
 * start (clear at its snapshot LSN).  Every capture step marks both and
 * every break distrusts both, so whether the full is published (next
 * becomes current) or fails (next is dropped), no change goes unmarked.
 * A missing or damaged map loads as an empty untrusted one.
 */
typedef struct cap_maps {
    fmt_dcm cur;
    fmt_dcm next;
    int has_next;
} cap_maps;

int cap_maps_load(const capture *c, cap_maps *m, yerr *e);
int cap_maps_save(const capture *c, const cap_maps *m, yerr *e);
void cap_maps_free(cap_maps *m);
int cap_maps_mark(cap_maps *m, uint64_t off, yerr *e);
int cap_maps_grow(cap_maps *m, uint32_t n_extents, yerr *e);
void cap_maps_untrust(cap_maps *m);
/* Maps that cover `from` now cover `to` (records in between mark nothing). */
void cap_maps_cover(cap_maps *m, uint64_t from, uint64_t to);
/* Remove dcm.next (best effort: a leftover is never trusted without a
 * published full). */
void cap_maps_drop_next(const capture *c);
/* The initial map, written by cap_init into a folder not yet live. */
int cap_maps_init_dir(const char *dir, uint64_t size, uint64_t lsn, yerr *e);

/* Mark the chain broken in s (first reason wins) and the maps untrusted.
 * lost: changes may have been missed: they take an LSN of their own (the
 * engine log has no record for it, so no log restore crosses it), and the
 * rolling checksum is no longer known (until a base full re-bases it:
 * cap_rebase_open). */
void cap_break_state(fmt_cstate *s, cap_maps *m, const char *reason, int lost);

/* Walk the engine log at fd from its first record while records are
 * valid and begin before `limit`: *end is where they stop, *lsn_end the
 * last one's lsn_end (the file's first_lsn when none).  -1 when the file
 * is no engine log. */
int cap_log_valid_end(int fd, uint64_t limit, uint64_t *end, uint64_t *lsn_end);

/* Bring the page hashes forward through the engine log's records, from
 * the one starting at LSN *lsn (at byte *off of the log) to `to`, with the
 * hashes the records carry; *lsn and *off follow each record applied.  It
 * stops short (*lsn < to) at a record that does not follow on or cannot be
 * read. */
void cap_hashes_forward(cap_pagehash *ph, int log_fd, uint64_t *lsn, uint64_t *off,
                        uint64_t to);

/* The machine's boot id ("" when the system does not say). */
void cap_boot_id(char out[37]);

/* The wall clock, microseconds. */
int64_t cap_now(void);

/* Size and modification time of a file, for WAL continuity stamps. */
int cap_stat_stamp(const char *path, uint64_t *size, int64_t *mtime_ns, uint64_t *dev,
                   uint64_t *ino);

/* The capture step itself; caller holds the lock.  close_gen: the WAL is
 * about to be reset, truncated or deleted; succ: the salts of the next
 * generation when known (NULL otherwise). */
int cap_advance_locked(capture *c, int close_gen, const uint32_t *succ, yerr *e);

/* SQLite's wal-index header, when DB-shm holds a consistent one. */
int cap_wal_index(capture *c, fmt_wal_index *out);


#endif
