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

/* Load or write the DCM file (a damaged one loads as untrusted). */
int cap_dcm_load(const capture *c, fmt_dcm *d, yerr *e);
int cap_dcm_save(const capture *c, const fmt_dcm *d, yerr *e);
int cap_dcm_save_dir(const char *dir, const fmt_dcm *d, int sync, yerr *e);

/* Mark the chain broken in s (first reason wins) and the DCM untrusted.
 * lost: changes may have been missed, so the rolling checksum is no longer
 * known either (a full backup re-bases it). */
void cap_break_state(fmt_cstate *s, fmt_dcm *d, const char *reason, int lost);

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
