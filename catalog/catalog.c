#include "catalog.h"

#include "isotime.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "schema.h"

struct catalog {
    sqlite3 *db;
    char repo_dir[PATH_MAX];
};

/* Long enough to ride out a backup registering its row, short enough that a
 * wedged writer is reported rather than waited on forever. */
#define CAT_BUSY_TIMEOUT_MS 10000

int cat_open(const char *path, const char *repo_dir, enum cat_open_mode mode,
             catalog **out, yerr *e)
{
    catalog *cat;
    int flags = SQLITE_OPEN_READWRITE;
    struct stat st;

    *out = NULL;
    if (mode == CAT_OPEN_EXISTING && stat(path, &st) != 0)
        return yerr_set(e, YERR_FAIL, "open catalog %s: %s", path, strerror(errno));
    if (strlen(repo_dir) >= sizeof cat->repo_dir)
        return yerr_set(e, YERR_FAIL, "repository path too long: %s", repo_dir);
    if (mode == CAT_OPEN_CREATE)
        flags |= SQLITE_OPEN_CREATE;

    cat = calloc(1, sizeof *cat);
    if (!cat)
        return yerr_oom(e);
    snprintf(cat->repo_dir, sizeof cat->repo_dir, "%s", repo_dir);

    if (sqlite3_open_v2(path, &cat->db, flags, NULL) != SQLITE_OK) {
        yerr_set(e, YERR_FAIL, "open catalog %s: %s", path,
                 cat->db ? sqlite3_errmsg(cat->db) : "out of memory");
        cat_close(cat);
        return e->code;
    }
    sqlite3_busy_timeout(cat->db, CAT_BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(cat->db, 1);
    if (sqlite3_exec(cat->db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;",
                     NULL, NULL, NULL) != SQLITE_OK) {
        yerr_set(e, YERR_FAIL, "open catalog %s: %s", path, sqlite3_errmsg(cat->db));
        cat_close(cat);
        return e->code;
    }
    if (cat_schema_migrate(cat->db, e)) {
        yerr_ctx(e, "open catalog %s", path);
        cat_close(cat);
        return e->code;
    }
    *out = cat;
    return 0;
}

void cat_close(catalog *cat)
{
    if (!cat)
        return;
    sqlite3_close_v2(cat->db);
    free(cat);
}

sqlite3 *cat_sqlite(catalog *cat)
{
    return cat->db;
}

const char *cat_repo_dir(const catalog *cat)
{
    return cat->repo_dir;
}

static int cat_exec(catalog *cat, const char *sql, const char *what, yerr *e)
{
    if (sqlite3_exec(cat->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return cat_sql_error(cat, what, e);
    return 0;
}

int cat_tx_begin(catalog *cat, yerr *e)
{
    return cat_exec(cat, "BEGIN IMMEDIATE", "begin catalog transaction", e);
}

int cat_tx_begin_read(catalog *cat, yerr *e)
{
    return cat_exec(cat, "BEGIN", "begin catalog read", e);
}

int cat_tx_commit(catalog *cat, yerr *e)
{
    return cat_exec(cat, "COMMIT", "commit catalog transaction", e);
}

void cat_tx_rollback(catalog *cat)
{
    if (!sqlite3_get_autocommit(cat->db))
        sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
}

int cat_prepare(catalog *cat, const char *sql, sqlite3_stmt **out, yerr *e)
{
    if (sqlite3_prepare_v2(cat->db, sql, -1, out, NULL) != SQLITE_OK)
        return cat_sql_error(cat, "prepare catalog query", e);
    return 0;
}

int cat_sql_error(catalog *cat, const char *what, yerr *e)
{
    return yerr_set(e, YERR_FAIL, "%s: %s", what, sqlite3_errmsg(cat->db));
}

int cat_media_exists(const catalog *cat, const char *media_path)
{
    char full[PATH_MAX];
    struct stat st;
    int n;

    if (media_path[0] == '/')
        n = snprintf(full, sizeof full, "%s", media_path);
    else
        n = snprintf(full, sizeof full, "%s/%s", cat->repo_dir, media_path);
    if (n < 0 || (size_t)n >= sizeof full)
        return 0;
    return stat(full, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- binding values ---- */

void cat_bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s[0])
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

void cat_bind_time(sqlite3_stmt *st, int i, int64_t us)
{
    char buf[YTIME_BUF];
    ytime_format(us, buf);
    sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT);
}
