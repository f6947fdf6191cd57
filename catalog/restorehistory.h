/*
 * restorehistory.h: one row per restore (CONTRACT.md's restorehistory):
 * when, what target, which backups, into which path, and the fork the
 * restored database started when it was put back into service.
 */
#ifndef YEDEK_CAT_RESTOREHISTORY_H
#define YEDEK_CAT_RESTOREHISTORY_H

#include <stdint.h>

#include "backupset.h"

typedef struct cat_restore_row {
    int64_t restore_date;                /* µs */
    char database_name[CAT_NAME_BUF];
    char database_guid[CAT_GUID_BUF];
    char recovery_fork_guid[CAT_GUID_BUF]; /* the fork the target lives on */
    char target_kind[16];                /* CONTRACT's words: time, lsn, ... */
    char target_value[CAT_NAME_BUF];
    int64_t restored_to_lsn;
    char destination[CAT_PATH_BUF];      /* absolute path */
    const char *backup_set_uuids;        /* a JSON array, in restore order */
    char new_fork_guid[CAT_GUID_BUF];    /* "" unless put into service */
    int replaced;                        /* the destination existed */
} cat_restore_row;

int cat_restorehistory_insert(catalog *cat, const cat_restore_row *r, yerr *e);

#endif
