/*
 * drill.h: the restore drill users should run weekly: restore a
 * database's latest point into a temporary file, run PRAGMA
 * integrity_check on it with stock SQLite, remove it.  A backup nobody
 * has restored is a hope, not a backup.  The restore is not synced (the
 * file is removed right after the check); it is checked like any other.
 */
#ifndef YEDEK_ENG_DRILL_H
#define YEDEK_ENG_DRILL_H

#include <stddef.h>
#include <stdint.h>

#include "restore.h"

typedef struct eng_drill_result {
    eng_restore_result restore; /* what was restored (owned: eng_drill_result_free) */
    int integrity_ok;
    char integrity[256];        /* the first line integrity_check gave */
} eng_drill_result;

/* Restore `database` (name or GUID) to `target` into a temporary file in
 * tmp_dir, check it, remove it.  0 when the restore succeeded and the
 * check said ok; YERR_MEDIA when integrity_check did not; the restore's
 * own error otherwise. */
int eng_drill(catalog *cat, const char *database, const cat_target *target, const char *tmp_dir,
              const uint8_t *key, size_t key_len, eng_drill_result *r, yerr *e);
void eng_drill_result_free(eng_drill_result *r);

#endif
