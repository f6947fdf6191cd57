/*
 * media_row.h: a backup's catalog row as its media file describes it.
 *
 * The media header carries every column known when the backup starts, the
 * trailer the finish time and marks, and the file itself its size and
 * SHA-256.  The one mapping between the two lives here, used when a backup
 * is registered, when verify compares a file with its row, and when the
 * catalog is rebuilt from the files alone.
 */
#ifndef YEDEK_CAT_MEDIA_ROW_H
#define YEDEK_CAT_MEDIA_ROW_H

#include <stddef.h>
#include <stdint.h>

#include "backupset.h"
#include "fork.h"
#include "media.h"

/* The row for media at media_path (relative to the repository). */
void cat_row_from_media(const fmt_media_hdr *h, const fmt_media_trailer *t,
                        const char *media_path, uint64_t size, const uint8_t sha256[32],
                        cat_backupset *row);

/* The recoveryfork row the header describes. */
void cat_fork_from_media(const fmt_media_hdr *h, cat_fork *f);

/* Insert what a media file describes: its fork (unless known), its row
 * (backup_id stored back) and the marks its trailer holds.  The caller
 * owns the transaction. */
int cat_register_media(catalog *cat, const fmt_media_hdr *h, const fmt_media_trailer *t,
                       cat_backupset *row, yerr *e);

/* 1 when every CONTRACT column but backup_id and is_damaged agrees; else 0
 * with the first difference in why ("first_lsn: media 5, catalog 6"). */
int cat_row_matches(const cat_backupset *media, const cat_backupset *row, char *why,
                    size_t size);

#endif
