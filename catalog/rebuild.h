/*
 * rebuild.h: a lost catalog rebuilt from the media files alone.
 *
 * Every media file under the repository (REPO/DATABASE/NAME.ybk) carries
 * its catalog row in its header and trailer, so the backupset,
 * recoveryfork and backupmark tables can be rebuilt equal to the original
 * (rows are registered in the order the backups finished, as they were).
 * restorehistory cannot be: restores write no media.
 *
 * Each file is read whole (its SHA-256 is a column); encrypted media need
 * the key.  A file whose header reads but whose payload is damaged is
 * registered with is_damaged = 1; one whose header does not read is
 * skipped and reported.  The new catalog is built beside the old one and
 * renamed into place; an old catalog file is kept as CATALOG.old.
 */
#ifndef YEDEK_CAT_REBUILD_H
#define YEDEK_CAT_REBUILD_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct cat_rebuild_report {
    int registered;  /* rows registered */
    int damaged;     /* ... of which damaged */
    int skipped;     /* files not registered */
} cat_rebuild_report;

/* Called for each file skipped or registered damaged, with why. */
typedef void (*cat_rebuild_note_fn)(void *arg, const char *media_path, const char *why);

int cat_rebuild(const char *catalog_path, const char *repo_dir, const uint8_t *key,
                size_t key_len, cat_rebuild_note_fn note, void *arg, cat_rebuild_report *out,
                yerr *e);

#endif
