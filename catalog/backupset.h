/*
 * backupset.h: one row of the `backupset` table, one backup.
 *
 * The struct mirrors CONTRACT.md's columns.  Times are held as microseconds
 * since the epoch (UTC) and become ISO 8601 text only at the SQL boundary.
 * Every field is a fixed-size buffer, so a row is a plain value: copy it,
 * keep it on the stack, free nothing.  Inputs longer than a buffer are
 * refused by cat_backupset_insert rather than truncated.
 */
#ifndef YEDEK_CAT_BACKUPSET_H
#define YEDEK_CAT_BACKUPSET_H

#include <stdint.h>

#include "catalog.h"

enum cat_backup_type { CAT_FULL, CAT_DIFF, CAT_LOG };

#define CAT_NAME_BUF 256
#define CAT_PATH_BUF 1024
#define CAT_SHA256_BUF 65
#define CAT_MODEL_BUF 8
#define CAT_DESC_BUF 1024

/* A nullable integer column. */
typedef struct cat_optint {
    int is_set;
    int64_t v;
} cat_optint;

typedef struct cat_backupset {
    int64_t backup_id;
    char backup_set_uuid[CAT_GUID_BUF];
    char database_name[CAT_NAME_BUF];
    char database_guid[CAT_GUID_BUF];
    char recovery_fork_guid[CAT_GUID_BUF];
    enum cat_backup_type type;
    int is_copy_only;
    int64_t first_lsn, last_lsn, checkpoint_lsn;
    cat_optint database_backup_lsn;
    cat_optint differential_base_lsn;
    char differential_base_guid[CAT_GUID_BUF]; /* "" when NULL */
    int begins_log_chain;
    int64_t first_time, last_time;                 /* see CONTRACT.md */
    int64_t backup_start_date, backup_finish_date; /* wall clock */
    int64_t backup_size;
    char media_path[CAT_PATH_BUF]; /* relative to the repository root */
    char media_sha256[CAT_SHA256_BUF]; /* "" when NULL */
    int is_damaged;
    char recovery_model[CAT_MODEL_BUF]; /* "full", "simple" or "" */
    char description[CAT_DESC_BUF];
} cat_backupset;

/* "full", "diff" or "log". */
const char *cat_backup_type_name(enum cat_backup_type t);

/* Parse "full"/"diff"/"log"; returns -1 for anything else. */
int cat_backup_type_parse(const char *s);

/*
 * The column list that cat_backupset_read expects, in order, for
 * "SELECT " CAT_BACKUPSET_COLUMNS " FROM backupset ...".
 */
#define CAT_BACKUPSET_COLUMNS                                                 \
    "backup_id, backup_set_uuid, database_name, database_guid,"               \
    " recovery_fork_guid, type, is_copy_only, first_lsn, last_lsn,"           \
    " checkpoint_lsn, database_backup_lsn, differential_base_lsn,"            \
    " differential_base_guid, begins_log_chain, first_time, last_time,"       \
    " backup_start_date, backup_finish_date, backup_size, media_path,"        \
    " media_sha256, is_damaged, recovery_model, description"

/* Fill *row from the current row of a statement selecting the columns above
 * starting at column `col`.  Fails on a malformed time or type. */
int cat_backupset_read(sqlite3_stmt *st, int col, cat_backupset *row, yerr *e);

/* Insert *row (backup_id is assigned and stored back).  The caller owns
 * the transaction. */
int cat_backupset_insert(catalog *cat, cat_backupset *row, yerr *e);

/* Find one backup by backup_set_uuid; YERR_FAIL "no backup ..." when none. */
int cat_backupset_get(catalog *cat, const char *uuid, cat_backupset *row, yerr *e);

/* Called once per row by cat_backupset_list; a non-zero return stops the
 * listing and is returned by it. */
typedef int (*cat_backupset_fn)(const cat_backupset *row, void *arg, yerr *e);

/* Every backup of one database (NULL: all), newest first. */
int cat_backupset_list(catalog *cat, const char *database_guid,
                       cat_backupset_fn fn, void *arg, yerr *e);

/* The newest backup of a type (by last_lsn) of a database on one fork;
 * regular_only skips copy-only ones.  *found = 0 when there is none. */
int cat_backupset_latest(catalog *cat, const char *database_guid, const char *fork_guid,
                         enum cat_backup_type type, int regular_only, cat_backupset *row,
                         int *found, yerr *e);

/* Remove a backup's row and the marks it holds (retention).  The caller
 * owns the transaction. */
int cat_backupset_delete(catalog *cat, const char *uuid, yerr *e);

/* Set or clear is_damaged (verify's verdict). */
int cat_backupset_set_damaged(catalog *cat, const char *uuid, int damaged, yerr *e);

/* 1 when the media file is present and the row is not marked damaged. */
int cat_backupset_usable(const catalog *cat, const cat_backupset *row);

#endif
