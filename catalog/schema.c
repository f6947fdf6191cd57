#include "schema.h"

#include <stdio.h>

#include "catalog.h"

/*
 * Version 1: the tables of CONTRACT.md plus the indexes the planner's
 * queries need.  Times are ISO 8601 UTC text with microseconds and a Z, so
 * they sort as text.
 */
static const char SCHEMA_V1[] =
    "CREATE TABLE backupset ("
    "  backup_id INTEGER PRIMARY KEY,"
    "  backup_set_uuid TEXT UNIQUE NOT NULL,"
    "  database_name TEXT NOT NULL,"
    "  database_guid TEXT NOT NULL,"
    "  recovery_fork_guid TEXT NOT NULL,"
    "  type TEXT NOT NULL CHECK (type IN ('full','diff','log')),"
    "  is_copy_only INTEGER NOT NULL DEFAULT 0,"
    "  first_lsn INTEGER NOT NULL,"
    "  last_lsn INTEGER NOT NULL,"
    "  checkpoint_lsn INTEGER NOT NULL,"
    "  database_backup_lsn INTEGER,"
    "  differential_base_lsn INTEGER,"
    "  differential_base_guid TEXT,"
    "  begins_log_chain INTEGER NOT NULL DEFAULT 0,"
    "  first_time TEXT NOT NULL,"
    "  last_time TEXT NOT NULL,"
    "  backup_start_date TEXT NOT NULL,"
    "  backup_finish_date TEXT NOT NULL,"
    "  backup_size INTEGER NOT NULL,"
    "  media_path TEXT NOT NULL,"
    "  media_sha256 TEXT,"
    "  is_damaged INTEGER NOT NULL DEFAULT 0,"
    "  recovery_model TEXT,"
    "  description TEXT,"
    "  CHECK (first_lsn <= last_lsn)"
    ");"
    /* Bases at or before a target, newest first. */
    "CREATE INDEX backupset_by_last_lsn"
    "  ON backupset(database_guid, recovery_fork_guid, type, last_lsn);"
    /* Logs containing an LSN: first_lsn in [x - longest span, x]. */
    "CREATE INDEX backupset_by_first_lsn"
    "  ON backupset(database_guid, recovery_fork_guid, type, first_lsn);"
    /* The longest log, which bounds that range. */
    "CREATE INDEX backupset_by_span"
    "  ON backupset(database_guid, recovery_fork_guid, type,"
    "               last_lsn - first_lsn);"
    "CREATE INDEX backupset_by_diff_base"
    "  ON backupset(differential_base_guid);"
    /* Naming a database: each GUID that carries a name, one probe each. */
    "CREATE INDEX backupset_by_name ON backupset(database_name, database_guid);"
    /* A database's newest backup: its current name and fork. */
    "CREATE INDEX backupset_by_finish"
    "  ON backupset(database_guid, backup_finish_date, backup_id);"
    "CREATE TABLE backupmark ("
    "  database_guid TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  lsn INTEGER NOT NULL,"
    "  mark_time TEXT NOT NULL,"
    "  backup_set_uuid TEXT,"
    "  recovery_fork_guid TEXT"
    ");"
    "CREATE INDEX backupmark_by_name ON backupmark(database_guid, name);"
    "CREATE TABLE recoveryfork ("
    "  fork_guid TEXT PRIMARY KEY,"
    "  database_guid TEXT NOT NULL,"
    "  parent_fork_guid TEXT,"
    "  fork_point_lsn INTEGER,"
    "  created_time TEXT NOT NULL,"
    /* Commit time of the fork point: the parent serves times up to it. */
    "  fork_point_time TEXT"
    ");"
    "CREATE INDEX recoveryfork_by_db ON recoveryfork(database_guid);"
    "CREATE TABLE restorehistory ("
    "  restore_id INTEGER PRIMARY KEY,"
    "  restore_date TEXT NOT NULL,"
    "  database_name TEXT NOT NULL,"
    "  database_guid TEXT NOT NULL,"
    "  recovery_fork_guid TEXT,"
    "  target_kind TEXT NOT NULL,"
    "  target_value TEXT,"
    "  restored_to_lsn INTEGER,"
    "  destination TEXT NOT NULL,"
    "  backup_set_uuids TEXT NOT NULL," /* JSON array, in restore order */
    "  new_fork_guid TEXT,"
    "  replaced INTEGER NOT NULL DEFAULT 0"
    ");";

/*
 * Version 2: scheduled jobs (SQL Server Agent's jobs, kept in the catalog
 * as msdb keeps them), their run history, and per-database health
 * thresholds.
 */
static const char SCHEMA_V2[] =
    "CREATE TABLE job ("
    "  job_id INTEGER PRIMARY KEY,"
    "  name TEXT UNIQUE NOT NULL,"
    "  database_path TEXT NOT NULL,"     /* the live database file, absolute */
    "  type TEXT NOT NULL CHECK (type IN ('full','diff','log')),"
    "  schedule TEXT NOT NULL,"          /* canonical SPEC */
    "  enabled INTEGER NOT NULL DEFAULT 1,"
    "  keep_fulls INTEGER,"              /* retention after each run; NULL: none */
    "  keep_days INTEGER,"
    "  compress TEXT,"                   /* as --compress; NULL: the default */
    "  key_file TEXT,"                   /* a path, never a key */
    "  created_time TEXT NOT NULL,"
    "  last_slot TEXT"                   /* the schedule slot the last scheduled run served */
    ");"
    "CREATE TABLE jobhistory ("
    "  run_id INTEGER PRIMARY KEY,"
    "  job_name TEXT NOT NULL,"
    "  database_path TEXT NOT NULL,"
    "  trigger TEXT NOT NULL CHECK (trigger IN ('schedule','manual')),"
    "  requested_type TEXT NOT NULL,"
    "  actual_type TEXT,"
    "  type_change_reason TEXT,"         /* why a diff or log became a full */
    "  start_time TEXT NOT NULL,"
    "  end_time TEXT,"
    "  duration_ms INTEGER,"
    "  bytes INTEGER,"
    "  outcome TEXT NOT NULL CHECK (outcome IN ('running','success','failed')),"
    "  error TEXT,"
    "  backup_set_uuid TEXT,"
    "  pruned INTEGER"                   /* backups retention removed after the run */
    ");"
    "CREATE INDEX jobhistory_by_job ON jobhistory(job_name, start_time);"
    "CREATE TABLE healthconfig ("
    "  database_name TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value REAL NOT NULL,"
    "  PRIMARY KEY (database_name, key)"
    ");";

static int user_version(sqlite3 *db, int *out, yerr *e)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK
        || sqlite3_step(st) != SQLITE_ROW) {
        yerr_set(e, YERR_FAIL, "read schema version: %s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return e->code;
    }
    *out = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return 0;
}

static int exec(sqlite3 *db, const char *sql, const char *what, yerr *e)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        yerr_set(e, YERR_FAIL, "%s: %s", what, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return e->code;
    }
    return 0;
}

int cat_schema_migrate(sqlite3 *db, yerr *e)
{
    int version = 0;

    if (exec(db, "BEGIN IMMEDIATE", "lock catalog for migration", e))
        return e->code;
    if (user_version(db, &version, e))
        goto fail;
    if (version > CAT_SCHEMA_VERSION) {
        yerr_set(e, YERR_FAIL,
                 "catalog schema version %d is newer than this yedek (%d)",
                 version, CAT_SCHEMA_VERSION);
        yerr_hint(e, "upgrade yedek, or use the catalog with the yedek that wrote it");
        goto fail;
    }
    if (version < 1 && exec(db, SCHEMA_V1, "create catalog schema", e))
        goto fail;
    if (version < 2 && exec(db, SCHEMA_V2, "add the job tables", e))
        goto fail;
    /* Later versions add their steps here, each guarded by `version < N`. */
    if (version < CAT_SCHEMA_VERSION) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", CAT_SCHEMA_VERSION);
        if (exec(db, sql, "record schema version", e))
            goto fail;
    }
    return exec(db, "COMMIT", "commit schema migration", e);
fail:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return e->code;
}
