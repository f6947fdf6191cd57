/*
 * catalog.h: the catalog database, modelled on SQL Server's msdb.
 *
 * The catalog is an ordinary SQLite file (REPO/catalog.db by default) that
 * anyone may open read-only.  Its tables and columns are fixed by
 * CONTRACT.md (backupset, backupmark, recoveryfork, restorehistory); this
 * module owns the connection, the schema and its migrations.
 *
 * The connection runs in WAL mode with a busy timeout, so a scheduled backup
 * registering a row and a user listing backups do not fail on each other.
 * Every write goes through one transaction (cat_tx_begin/commit/rollback);
 * every statement binds its parameters.
 *
 * Ownership: cat_open allocates a catalog, cat_close frees it.
 */
#ifndef YEDEK_CATALOG_H
#define YEDEK_CATALOG_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* The schema version this build writes; older catalogs are migrated. */
#define CAT_SCHEMA_VERSION 2

/* A GUID as text: 36 characters and a NUL. */
#define CAT_GUID_BUF 37

typedef struct catalog catalog;

enum cat_open_mode {
    CAT_OPEN_EXISTING, /* fail when the catalog file does not exist */
    CAT_OPEN_CREATE    /* create the file (and its schema) when missing */
};

/*
 * Open the catalog at `path`; `repo_dir` is the repository root that
 * media_path values are relative to.  Migrates an older schema; refuses a
 * newer one.
 */
int cat_open(const char *path, const char *repo_dir, enum cat_open_mode mode,
             catalog **out, yerr *e);

/* Close and free; NULL is a no-op. */
void cat_close(catalog *cat);

/* The raw connection, for the catalog's own modules. */
sqlite3 *cat_sqlite(catalog *cat);

/* The repository root given to cat_open. */
const char *cat_repo_dir(const catalog *cat);

int cat_tx_begin(catalog *cat, yerr *e);
/* A read transaction: one consistent view for a query made of many. */
int cat_tx_begin_read(catalog *cat, yerr *e);
int cat_tx_commit(catalog *cat, yerr *e);
/* Roll back; safe to call when no transaction is open. */
void cat_tx_rollback(catalog *cat);

/*
 * Prepare `sql` on the catalog; on failure records "prepare: <sqlite msg>".
 * The caller finalizes the statement.
 */
int cat_prepare(catalog *cat, const char *sql, sqlite3_stmt **out, yerr *e);

/* Record the connection's last SQLite error as "what: <sqlite msg>". */
int cat_sql_error(catalog *cat, const char *what, yerr *e);

/* Bind helpers shared by the tables' writers: "" binds NULL; a time binds
 * as ISO 8601 text. */
void cat_bind_text_or_null(sqlite3_stmt *st, int i, const char *s);
void cat_bind_time(sqlite3_stmt *st, int i, int64_t us);

/* 1 when REPO/media_path exists as a regular file, else 0. */
int cat_media_exists(const catalog *cat, const char *media_path);

#endif
