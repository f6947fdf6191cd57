/*
 * history.h: catalogs written as a few lines of text, for planner and
 * chain-check tests.
 *
 * One backup per line:   NAME TYPE FIRST LAST [option ...]
 *   TYPE        full | diff | log
 *   FIRST LAST  first_lsn and last_lsn
 * Options:
 *   copy        copy-only
 *   base=NAME   diff: its base full (default: the newest earlier non-copy-only
 *               full of the same database and fork)
 *   ckpt=N      checkpoint_lsn (default LAST)
 *   t=A..B      first_time..last_time in seconds after HIST_EPOCH
 *               (default FIRST..LAST: one LSN a second)
 *   size=N      backup_size (default full 1000, diff 100, log 10)
 *   missing     the media file does not exist
 *   damaged     is_damaged = 1
 *   db=NAME     database (default app); database_guid is "guid-NAME"
 *   fork=NAME   recovery_fork_guid (default f0)
 * Other lines:
 *   fork NAME parent=PARENT at=LSN [t=S] [db=NAME]   a recoveryfork row
 *   mark NAME LSN [t=S] [db=NAME] [fork=NAME]        a backupmark row
 *   # a comment, or a blank line
 *
 * backup_set_uuid is NAME itself, so expected plans read as names.
 * backup_id follows line order, so "newer" means "later in the text".
 */
#ifndef YEDEK_TEST_HISTORY_H
#define YEDEK_TEST_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"

/* 2026-11-20T00:00:00Z in microseconds. */
#define HIST_EPOCH INT64_C(1795132800000000)
#define HIST_SEC INT64_C(1000000)

/* Insert the history's rows into `cat` and create the media files of the
 * backups that are not `missing` under the catalog's repository. */
int hist_build(catalog *cat, const char *text, yerr *e);

/* A fresh repository folder with an empty catalog; *dir must hold 64
 * bytes.  hist_close removes the folder. */
int hist_open(char dir[64], catalog **cat, yerr *e);
void hist_close(char dir[64], catalog *cat);

/* A growing string for building expected texts (aborts when out of
 * memory: a test cannot go on). */
typedef struct sbuf {
    char *s;
    size_t n, cap;
} sbuf;

void sb_add(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text so far ("" when empty); b->s is the caller's to free. */
const char *sb_str(const sbuf *b);

#endif
