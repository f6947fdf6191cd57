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

/* Apply a full or diff backup's media (open at media_fd) to the image at
 * out_fd; *h receives the media's header. */
int eng_apply_image(int out_fd, int media_fd, const uint8_t *key, size_t key_len,
                    fmt_media_hdr *h, yerr *e);

/* Replay a log backup's records with lsn_end <= stop_lsn onto the image at
 * out_fd, which must be at the LSN `at` (first_lsn <= at is required;
 * records below `at` are skipped).  tmp_dir holds the payload while it is
 * replayed.  *reached is the LSN the image is at afterwards. */
int eng_apply_log(int out_fd, int media_fd, const uint8_t *key, size_t key_len,
                  const char *tmp_dir, uint64_t at, uint64_t stop_lsn, fmt_media_hdr *h,
                  uint64_t *reached, yerr *e);

/* Check a log backup's records without applying them: every record's
 * checksums, LSNs following on from first_lsn to last_lsn, and the marks
 * its trailer lists.  tmp_dir holds the payload meanwhile. */
int eng_check_log(int media_fd, const uint8_t *key, size_t key_len, const char *tmp_dir,
                  yerr *e);

#endif
