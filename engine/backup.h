/*
 * backup.h: full, differential and log backups of a database under
 * capture, into one media file each, registered in the catalog.
 *
 * full   the image at a snapshot LSN, with a hash per 64 KiB extent; unless
 *        copy-only it becomes the base of later diffs: a new DCM epoch starts
 *        at its LSN (changes committing while it runs stay marked), and a
 *        broken chain starts again there.
 * diff   the extents the DCM marks since the base full, read at one
 *        snapshot; when the map cannot be trusted for that base (or --scan),
 *        every extent is compared with the base's extent hashes instead.
 * log    the engine log records from the end of the previous log backup to
 *        the snapshot; then the engine log drops them (not for copy-only).
 *        Refused with YERR_CHAIN while the chain is broken.  tail: from the
 *        capture state and engine log alone, the database not opened.
 *
 * Publication: the media is written under a temporary name beside its
 * final one, synced, renamed, the folder synced, and only then is the row
 * inserted, in one catalog transaction.  Any failure before that removes
 * the temporary file: nothing half-written is ever visible or registered.
 * The database itself is only read.
 */
#ifndef YEDEK_ENG_BACKUP_H
#define YEDEK_ENG_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "backupset.h"
#include "error.h"

/* Called after each block: bytes done of an estimated total. */
typedef void (*eng_progress_fn)(void *arg, uint64_t done, uint64_t total);

typedef struct eng_backup_opts {
    enum cat_backup_type type;
    int copy_only;
    int scan;                 /* diff: compare extent hashes, ignore the DCM */
    int tail;                 /* log: from the capture state alone */
    int zstd_level;           /* 0: none */
    const uint8_t *key;       /* encrypt when set */
    size_t key_len;
    const char *description;  /* may be NULL */
    eng_progress_fn progress; /* may be NULL */
    void *progress_arg;
} eng_backup_opts;

typedef struct eng_backup_result {
    cat_backupset row;          /* as registered */
    uint64_t db_bytes_read;     /* bytes read from the database file and WAL */
    uint32_t extents;           /* extents in the image */
    uint32_t extents_saved;     /* full: all; diff: those it holds */
    int scanned;                /* diff: compared hashes instead of the DCM */
    char scan_reason[256];
    uint32_t marks;             /* log: marks it holds */
    int lock_busy;              /* refused: another backup of the database was running */
} eng_backup_result;

/* "none" (0), "zstd" (level 3) or "zstd:LEVEL" (1..19): the zstd level
 * --compress and a job's compression name; -1 for anything else. */
int eng_compress_parse(const char *s, int *level);

/* Take one backup of the database at db_path into the catalog's
 * repository. */
int eng_backup(catalog *cat, const char *db_path, const eng_backup_opts *o,
               eng_backup_result *r, yerr *e);

#endif
