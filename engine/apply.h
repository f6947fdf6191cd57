/*
 * apply.h: putting backups back into a database image, the building block
 * of restore.
 *
 * A full backup's blocks are the image; a diff's blocks are the extents
 * that changed since its base; both end by setting the file to the
 * database size the header records.  A log backup's payload is an engine
 * log: its records are replayed in LSN order (physical pages, no SQL), up
 * to a stop LSN.  Every block's checksum is verified while reading (the
 * media reader refuses anything damaged), every record's too.
 */
#ifndef YEDEK_ENG_APPLY_H
#define YEDEK_ENG_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "media.h"
#include "replay.h"

/* Where an image stands while backups are applied to it. */
typedef struct eng_image_pos {
    uint64_t lsn;       /* every transaction with end <= lsn is in */
    int64_t time;       /* commit time of the last one applied (or the base's last_time) */
    uint32_t db_pages;  /* the database's size there */
    int cksum_known;    /* the rolling checksum capture recorded there */
    uint64_t cksum;
} eng_image_pos;

/* The image being built, as restore builds it: its own checksum kept as
 * it is written (sum.on; replay.h), and no writeback started when nobody
 * will sync it (lazy).  The calls on a bare out_fd keep no checksum and
 * start writeback. */
typedef struct eng_image {
    int fd;
    int lazy;
    eng_image_sum sum;
} eng_image;

/* Apply a full or diff backup's media (open at media_fd) to the image at
 * out_fd; *pos becomes the backup's point, *h its header. */
int eng_apply_image(int out_fd, int media_fd, const uint8_t *key, size_t key_len,
                    eng_image_pos *pos, fmt_media_hdr *h, yerr *e);
int eng_apply_image_to(eng_image *img, int media_fd, const uint8_t *key, size_t key_len,
                       eng_image_pos *pos, fmt_media_hdr *h, yerr *e);

/* Where replaying stops: only transactions with lsn_end <= lsn and a
 * commit time <= time are applied (UINT64_MAX / INT64_MAX: no limit).
 * through_marked: lsn is the end of a mark's record, and the transaction
 * that mark was made in (flagged FMT_ELOG_MARKED, right after it) is
 * applied too. */
typedef struct eng_stop {
    uint64_t lsn;
    int64_t time;
    int through_marked;
} eng_stop;

/* Replay a log backup's records onto the image at out_fd, which stands at
 * *pos (the log must hold pos->lsn: first_lsn <= pos->lsn; records below
 * it are skipped), up to the stop.  *stopped = 1 when the stop fell inside
 * this log.  A record whose checksum-before differs from the image's is
 * refused: the log does not follow this image.  tmp_dir holds the payload
 * while it is replayed. */
int eng_apply_log(int out_fd, int media_fd, const uint8_t *key, size_t key_len,
                  const char *tmp_dir, const eng_stop *stop, eng_image_pos *pos,
                  fmt_media_hdr *h, int *stopped, yerr *e);
int eng_apply_log_to(eng_image *img, int media_fd, const uint8_t *key, size_t key_len,
                     const char *tmp_dir, const eng_stop *stop, eng_image_pos *pos,
                     fmt_media_hdr *h, int *stopped, yerr *e);

/* Check a log backup's records without applying them: every record's
 * checksums, LSNs following on from first_lsn to last_lsn, and the marks
 * its trailer lists.  tmp_dir holds the payload meanwhile. */
int eng_check_log(int media_fd, const uint8_t *key, size_t key_len, const char *tmp_dir,
                  yerr *e);

#endif
