/*
 * workload.h: the live database the backup and restore oracles share.
 *
 * Two oracle_writer processes commit transactions through capture
 * (inserts, updates, deletes, overflowing blobs, a schema change each, a
 * big DELETE and a VACUUM that shrinks the file, checkpoints), each
 * recording (seq, logical content checksum) after its commits, while this
 * process takes backups of the database through the engine in a cycle
 * (full, logs, diffs, a copy-only full and log now and then, compression
 * and encryption varied) and, when asked, named marks.  It ends with a log
 * backup up to the last commit.
 */
#ifndef YEDEK_TEST_WORKLOAD_H
#define YEDEK_TEST_WORKLOAD_H

#include <limits.h>
#include <stdint.h>

#include "backup.h"
#include "oracle_common.h"

#define WL_MAXB 400
#define WL_MAXMARKS 64

extern const uint8_t WL_KEY[32];

typedef struct wl_backup {
    cat_backupset row;
    int encrypted;
} wl_backup;

typedef struct workload {
    char dir[PATH_MAX], db[PATH_MAX], repo[PATH_MAX];
    catalog *cat;
    wl_backup b[WL_MAXB];
    int nb;
    int full0;             /* the first full backup, or -1 */
    uint64_t *rec;         /* rec[seq]: the writers' content checksum (rec[0]: the start) */
    long total;            /* seqs 1..total */
    int n_marks;
    char marks[WL_MAXMARKS][32];
} workload;

/* Set up, write and back up; checks go to c.  Returns 0 when the workload
 * ran (its checks may still have failed). */
int wl_run(workload *w, const char *writer, int with_marks, checks *c);
/* Close the catalog; remove the folder unless YEDEK_TEST_KEEP is set. */
void wl_done(workload *w);

/* One backup through the engine (variant picks compression and key). */
int wl_take(workload *w, checks *c, enum cat_backup_type type, int copy_only, int scan,
            int variant, wl_backup *out, eng_backup_result *res);

/* integrity_check of the database file at path says ok. */
int wl_integrity_ok(const char *path);

#endif
