#include "backupset.h"

#include <stdio.h>
#include <string.h>

#include "isotime.h"

static const char *const TYPE_NAMES[] = {"full", "diff", "log"};

const char *cat_backup_type_name(enum cat_backup_type t)
{
    return (unsigned)t < 3 ? TYPE_NAMES[t] : "?";
}

int cat_backup_type_parse(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(s, TYPE_NAMES[i]) == 0)
            return i;
    return -1;
}

/* Copy a nullable TEXT column; refuses values that do not fit. */
static int read_text(sqlite3_stmt *st, int col, char *buf, size_t size,
                     const char *name, yerr *e)
{
    const unsigned char *v = sqlite3_column_text(st, col);
    size_t n = v ? strlen((const char *)v) : 0;
    if (n >= size)
        return yerr_set(e, YERR_FAIL, "column %s too long (%zu bytes)", name, n);
    memcpy(buf, v ? (const char *)v : "", n + 1);
    return 0;
}

static int read_time(sqlite3_stmt *st, int col, int64_t *out, const char *name,
                     yerr *e)
{
    const unsigned char *v = sqlite3_column_text(st, col);
    if (!v)
        return yerr_set(e, YERR_FAIL, "column %s is NULL", name);
    if (ytime_parse((const char *)v, out, e))
        return yerr_ctx(e, "column %s", name);
    return 0;
}

static cat_optint read_optint(sqlite3_stmt *st, int col)
{
    cat_optint o = {0, 0};
    if (sqlite3_column_type(st, col) != SQLITE_NULL) {
        o.is_set = 1;
        o.v = sqlite3_column_int64(st, col);
    }
    return o;
}

int cat_backupset_read(sqlite3_stmt *st, int c, cat_backupset *r, yerr *e)
{
    char type[8];
    int t;

    memset(r, 0, sizeof *r);
    r->backup_id = sqlite3_column_int64(st, c + 0);
    if (read_text(st, c + 1, r->backup_set_uuid, sizeof r->backup_set_uuid, "backup_set_uuid", e)
        || read_text(st, c + 2, r->database_name, sizeof r->database_name, "database_name", e)
        || read_text(st, c + 3, r->database_guid, sizeof r->database_guid, "database_guid", e)
        || read_text(st, c + 4, r->recovery_fork_guid, sizeof r->recovery_fork_guid, "recovery_fork_guid", e)
        || read_text(st, c + 5, type, sizeof type, "type", e))
        goto fail;
    t = cat_backup_type_parse(type);
    if (t < 0) {
        yerr_set(e, YERR_FAIL, "unknown backup type '%s'", type);
        goto fail;
    }
    r->type = (enum cat_backup_type)t;
    r->is_copy_only = sqlite3_column_int(st, c + 6);
    r->first_lsn = sqlite3_column_int64(st, c + 7);
    r->last_lsn = sqlite3_column_int64(st, c + 8);
    r->checkpoint_lsn = sqlite3_column_int64(st, c + 9);
    r->database_backup_lsn = read_optint(st, c + 10);
    r->differential_base_lsn = read_optint(st, c + 11);
    if (read_text(st, c + 12, r->differential_base_guid, sizeof r->differential_base_guid, "differential_base_guid", e))
        goto fail;
    r->begins_log_chain = sqlite3_column_int(st, c + 13);
    if (read_time(st, c + 14, &r->first_time, "first_time", e)
        || read_time(st, c + 15, &r->last_time, "last_time", e)
        || read_time(st, c + 16, &r->backup_start_date, "backup_start_date", e)
        || read_time(st, c + 17, &r->backup_finish_date, "backup_finish_date", e))
        goto fail;
    r->backup_size = sqlite3_column_int64(st, c + 18);
    if (read_text(st, c + 19, r->media_path, sizeof r->media_path, "media_path", e)
        || read_text(st, c + 20, r->media_sha256, sizeof r->media_sha256, "media_sha256", e))
        goto fail;
    r->is_damaged = sqlite3_column_int(st, c + 21);
    if (read_text(st, c + 22, r->recovery_model, sizeof r->recovery_model, "recovery_model", e)
        || read_text(st, c + 23, r->description, sizeof r->description, "description", e))
        goto fail;
    return 0;
fail:
    return yerr_ctx(e, "read backup %lld", (long long)r->backup_id);
}

static void cat_bind_optint(sqlite3_stmt *st, int i, cat_optint o)
{
    if (o.is_set)
        sqlite3_bind_int64(st, i, o.v);
    else
        sqlite3_bind_null(st, i);
}

int cat_backupset_insert(catalog *cat, cat_backupset *r, yerr *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (r->first_lsn > r->last_lsn)
        return yerr_set(e, YERR_FAIL, "register backup %s: first_lsn %lld > last_lsn %lld",
                        r->backup_set_uuid, (long long)r->first_lsn, (long long)r->last_lsn);
    if (cat_prepare(cat,
                    "INSERT INTO backupset (" CAT_BACKUPSET_COLUMNS ") VALUES"
                    " (NULL,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    &st, e))
        return yerr_ctx(e, "register backup %s", r->backup_set_uuid);
    sqlite3_bind_text(st, 1, r->backup_set_uuid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->database_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->database_guid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->recovery_fork_guid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, cat_backup_type_name(r->type), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, r->is_copy_only ? 1 : 0);
    sqlite3_bind_int64(st, 7, r->first_lsn);
    sqlite3_bind_int64(st, 8, r->last_lsn);
    sqlite3_bind_int64(st, 9, r->checkpoint_lsn);
    cat_bind_optint(st, 10, r->database_backup_lsn);
    cat_bind_optint(st, 11, r->differential_base_lsn);
    cat_bind_text_or_null(st, 12, r->differential_base_guid);
    sqlite3_bind_int(st, 13, r->begins_log_chain ? 1 : 0);
    cat_bind_time(st, 14, r->first_time);
    cat_bind_time(st, 15, r->last_time);
    cat_bind_time(st, 16, r->backup_start_date);
    cat_bind_time(st, 17, r->backup_finish_date);
    sqlite3_bind_int64(st, 18, r->backup_size);
    sqlite3_bind_text(st, 19, r->media_path, -1, SQLITE_STATIC);
    cat_bind_text_or_null(st, 20, r->media_sha256);
    sqlite3_bind_int(st, 21, r->is_damaged ? 1 : 0);
    cat_bind_text_or_null(st, 22, r->recovery_model);
    cat_bind_text_or_null(st, 23, r->description);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        cat_sql_error(cat, "insert", e);
        return yerr_ctx(e, "register backup %s", r->backup_set_uuid);
    }
    r->backup_id = sqlite3_last_insert_rowid(cat_sqlite(cat));
    return 0;
}

int cat_backupset_get(catalog *cat, const char *uuid, cat_backupset *row, yerr *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (cat_prepare(cat, "SELECT " CAT_BACKUPSET_COLUMNS
                         " FROM backupset WHERE backup_set_uuid = ?", &st, e))
        return e->code;
    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        rc = cat_backupset_read(st, 0, row, e) ? -1 : 0;
    else if (rc == SQLITE_DONE)
        rc = yerr_set(e, YERR_FAIL, "no backup with uuid %s in the catalog", uuid);
    else
        rc = cat_sql_error(cat, "read backup", e);
    sqlite3_finalize(st);
    return rc ? e->code : 0;
}

int cat_backupset_list(catalog *cat, const char *database_guid,
                       cat_backupset_fn fn, void *arg, yerr *e)
{
    sqlite3_stmt *st = NULL;
    cat_backupset row;
    int rc;

    if (cat_prepare(cat, "SELECT " CAT_BACKUPSET_COLUMNS " FROM backupset"
                         " WHERE ?1 IS NULL OR database_guid = ?1"
                         " ORDER BY backup_finish_date DESC, backup_id DESC",
                    &st, e))
        return e->code;
    if (database_guid)
        sqlite3_bind_text(st, 1, database_guid, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (cat_backupset_read(st, 0, &row, e) || fn(&row, arg, e)) {
            sqlite3_finalize(st);
            return e->code ? e->code : YERR_FAIL;
        }
    }
    if (rc != SQLITE_DONE)
        cat_sql_error(cat, "list backups", e);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : e->code;
}

int cat_backupset_usable(const catalog *cat, const cat_backupset *row)
{
    return !row->is_damaged && cat_media_exists(cat, row->media_path);
}

int cat_backupset_latest(catalog *cat, const char *database_guid, const char *fork_guid,
                         enum cat_backup_type type, int regular_only, cat_backupset *row,
                         int *found, yerr *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    *found = 0;
    if (cat_prepare(cat,
                    "SELECT " CAT_BACKUPSET_COLUMNS " FROM backupset"
                    " WHERE database_guid = ? AND recovery_fork_guid = ? AND type = ?"
                    " AND (? = 0 OR is_copy_only = 0)"
                    " ORDER BY last_lsn DESC, backup_id DESC LIMIT 1",
                    &st, e))
        return yerr_ctx(e, "newest %s backup", cat_backup_type_name(type));
    sqlite3_bind_text(st, 1, database_guid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, fork_guid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, cat_backup_type_name(type), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, regular_only ? 1 : 0);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *found = 1;
        cat_backupset_read(st, 0, row, e);
    } else if (rc != SQLITE_DONE) {
        cat_sql_error(cat, "newest backup", e);
    }
    sqlite3_finalize(st);
    return e->code;
}

int cat_backupset_set_damaged(catalog *cat, const char *uuid, int damaged, yerr *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (cat_prepare(cat, "UPDATE backupset SET is_damaged = ? WHERE backup_set_uuid = ?", &st, e))
        return yerr_ctx(e, "mark %s", uuid);
    sqlite3_bind_int(st, 1, damaged ? 1 : 0);
    sqlite3_bind_text(st, 2, uuid, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return cat_sql_error(cat, "mark damaged", e);
    return 0;
}

int cat_backupset_delete(catalog *cat, const char *uuid, yerr *e)
{
    static const char *const sql[] = {"DELETE FROM backupset WHERE backup_set_uuid = ?",
                                       "DELETE FROM backupmark WHERE backup_set_uuid = ?"};
    for (int i = 0; i < 2; i++) {
        sqlite3_stmt *st = NULL;
        int rc;
        if (cat_prepare(cat, sql[i], &st, e))
            return yerr_ctx(e, "remove backup %s", uuid);
        sqlite3_bind_text(st, 1, uuid, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return cat_sql_error(cat, "remove backup", e);
    }
    return 0;
}
