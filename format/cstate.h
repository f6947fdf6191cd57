/*
 * cstate.h: the capture state file, DB-yedek/state.
 *
 * Who the database is (GUID, name, recovery model, fork), whether its chain
 * is intact (and why not), and where capture stands: the next LSN, the end
 * of the engine log, the position reached in the WAL, the database's size
 * and rolling checksum there.  It is rewritten whole after every capture
 * step, in place (see cap_write_inplace), so a process that dies leaves
 * the old or the new state, never a mix.
 *
 * Text, one "key value" line each, so a person can read it with cat; the
 * last line is "checksum <XXH3-64 hex of everything before it>".  The
 * last key, boot_id, may be absent (states written before it existed).
 * Spaces and newlines may follow the checksum line: capture pads the file
 * to one size, so that it can rewrite it in place.  The
 * parser survives any bytes: a missing, truncated or altered file is
 * refused with a reason, never half-read.
 */
#ifndef YEDEK_FMT_CSTATE_H
#define YEDEK_FMT_CSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "wal.h"

#define FMT_CSTATE_VERSION 1
#define FMT_CSTATE_TEXT_MAX 256

enum fmt_recovery { FMT_RECOVERY_FULL, FMT_RECOVERY_SIMPLE };

typedef struct fmt_cstate {
    /* identity */
    char guid[37];
    char fork_guid[37];
    char name[FMT_CSTATE_TEXT_MAX];
    enum fmt_recovery recovery;
    uint32_t page_size;
    uint64_t db_dev, db_ino; /* the database file capture started on */
    int64_t created;
    /* lineage: a database put back into service from a restore continues
     * its GUID on a new fork, whose history up to the fork point is the
     * parent fork's */
    char parent_fork_guid[37]; /* "" for a database's first fork */
    uint64_t fork_point_lsn;
    int64_t fork_point_time;
    /* chain */
    int broken;
    char break_reason[FMT_CSTATE_TEXT_MAX];
    uint64_t break_lsn;
    int64_t break_time;
    /* position */
    uint64_t next_lsn;     /* lsn_start of the next transaction */
    uint64_t log_end;      /* end of the engine log's valid records */
    int64_t last_commit_time;
    uint32_t db_pages;     /* database size after the last transaction */
    int cksum_known;       /* 0 after a break until a base full re-bases it */
    uint64_t db_cksum;     /* rolling checksum after the last transaction */
    uint32_t change_counter; /* database header bytes 24..27 */
    uint64_t commits_used; /* commit-time journal entries consumed */
    uint64_t hashes_lsn;   /* the page hashes reflect transactions below */
    uint64_t hashes_off;   /* engine log offset of the record at hashes_lsn */
    /* where capture stands in the WAL */
    int gen_known;         /* wal is an exact position in a known generation */
    fmt_wal_pos wal;
    int successor_known;   /* the next generation will carry these salts */
    uint32_t succ_salt1, succ_salt2;
    int stamp_known;       /* the WAL was fully captured, then closed, while */
    uint64_t stamp_size;   /* the database file looked like this: a new */
    int64_t stamp_mtime_ns; /* generation is continuous iff it still does */
    /* the machine's boot when this state was written ("" unknown): steps
     * do not fsync, so after a restart what reached the disk is checked */
    char boot_id[37];
} fmt_cstate;

/* Text of the state into buf (size bytes); returns bytes written, or -1
 * when it does not fit. */
int fmt_cstate_encode(const fmt_cstate *s, char *buf, size_t size);

/* Parse any bytes; YERR_FAIL with the reason when not a valid state. */
int fmt_cstate_decode(const char *buf, size_t len, fmt_cstate *s, yerr *e);

#endif
