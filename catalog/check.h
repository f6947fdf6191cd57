/*
 * check.h: chain checking, the "before the disaster" report.
 *
 * For one database: every break in its backup chains (log gaps with the
 * LSNs and the backups on each side, diffs whose base is gone, logs no full
 * can reach, media missing or marked damaged) and the windows of LSNs and
 * times that are restorable, per recovery fork.
 *
 * Ownership: cat_check_database fills a cat_check that the caller releases
 * with cat_check_free.
 */
#ifndef YEDEK_CAT_CHECK_H
#define YEDEK_CAT_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "backupset.h"

enum cat_break_kind {
    CAT_BREAK_LOG_GAP,
    CAT_BREAK_DIFF_BASE_MISSING,
    CAT_BREAK_UNREACHABLE_LOGS,
    CAT_BREAK_MISSING_MEDIA,
    CAT_BREAK_DAMAGED
};

typedef struct cat_break {
    enum cat_break_kind kind;
    char fork_guid[CAT_GUID_BUF];
    int64_t from_lsn, to_lsn;              /* LOG_GAP, UNREACHABLE_LOGS */
    char before_uuid[CAT_GUID_BUF];        /* LOG_GAP: last log before */
    char after_uuid[CAT_GUID_BUF];         /* LOG_GAP: first log after */
    char backup_set_uuid[CAT_GUID_BUF];    /* the backup concerned */
    size_t count;                          /* UNREACHABLE_LOGS: how many */
    char message[512];
} cat_break;

typedef struct cat_window {
    char fork_guid[CAT_GUID_BUF];
    int64_t from_lsn, to_lsn;
    int64_t from_time, to_time;
    char base_uuid[CAT_GUID_BUF]; /* the full or diff the window starts at */
} cat_window;

typedef struct cat_check {
    char database_name[CAT_NAME_BUF];
    char database_guid[CAT_GUID_BUF];
    size_t n_breaks, n_windows;
    cat_break *breaks;   /* owned */
    cat_window *windows; /* owned */
} cat_check;

/* Check one database (name, GUID or file path). */
int cat_check_database(catalog *cat, const char *database, cat_check *out, yerr *e);

void cat_check_free(cat_check *c);

/* "log_gap", "diff_base_missing", "unreachable_logs", "missing_media",
 * "damaged". */
const char *cat_break_kind_name(enum cat_break_kind k);

/* Every database GUID in the catalog, for checking them all: calls fn once
 * per GUID, in name order; a non-zero return stops and is returned. */
int cat_check_each_database(catalog *cat, int (*fn)(const char *guid, void *arg, yerr *e),
                            void *arg, yerr *e);

#endif
