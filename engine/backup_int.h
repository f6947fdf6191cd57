/*
 * backup_int.h: one backup in progress, shared by backup.c and the
 * writers of each type.  Not a public interface.
 */
#ifndef YEDEK_ENG_BACKUP_INT_H
#define YEDEK_ENG_BACKUP_INT_H

#include <limits.h>

#include "backup.h"
#include "capture.h"
#include "media.h"
#include "snapshot.h"

typedef struct bk_job {
    catalog *cat;
    const eng_backup_opts *o;
    eng_backup_result *r;
    const char *db_path;
    eng_snap *snap;             /* NULL for a tail-log backup */
    capture *tail_cap;          /* the tail-log backup's capture */
    cap_point tail_point;
    const cap_point *point;     /* where capture stood at the snapshot */
    cat_backupset base;         /* the newest regular full of the database's fork, */
    int has_base;               /* read once per backup */
    fmt_media_hdr hdr;
    fmt_media_trailer *trailer; /* owned (large) */
    fmt_media_writer *w;
    uint8_t *buf;               /* FMT_MEDIA_BLOCK bytes */
    uint64_t done, total;       /* progress */
    /* set by the log writer: the engine log bytes it saves */
    uint64_t log_start_off, log_end_off;
} bk_job;

/* Write one payload block and report progress. */
int bk_block(bk_job *j, uint64_t off, const uint8_t *data, size_t len, yerr *e);

/* The payload writers: each fills the type's header fields before the
 * media is created (prepare) and writes the payload (write). */
int bk_full_prepare(bk_job *j, yerr *e);
int bk_full_write(bk_job *j, yerr *e);
int bk_diff_prepare(bk_job *j, yerr *e);
int bk_diff_write(bk_job *j, yerr *e);
int bk_log_prepare(bk_job *j, yerr *e);
int bk_log_write(bk_job *j, yerr *e);

/* The image checksum capture holds for the snapshot, into the header. */
void bk_image_checksum_hdr(bk_job *j);

/* Read the extent hashes of a full backup's media (n set to their count;
 * *hashes freed by the caller). */
int bk_read_extent_hashes(catalog *cat, const cat_backupset *full, const uint8_t *key,
                          size_t key_len, uint64_t **hashes, uint32_t *n, yerr *e);

#endif
