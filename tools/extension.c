/*
 * extension.c: the loadable SQLite extension, libyedek.so.
 *
 *   sqlite3 app.db '.load /path/to/libyedek' ...
 *   SELECT load_extension('/path/to/libyedek');
 *
 * Loading it registers the capture VFS as the process's default, so every
 * connection opened afterwards writes through capture (the connection that
 * loaded it was opened before, which is why `yedek sql` or a second open is
 * the way to write).  It stays loaded for the life of the process.  It also
 * adds the SQL function yedek_mark(NAME), a named mark at the current LSN.
 */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <string.h>

#include "capture.h"
#include "vfs.h"

static void fn_mark(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *name = (const char *)sqlite3_value_text(argv[0]);
    const char *db_path = sqlite3_db_filename(sqlite3_context_db_handle(ctx), "main");
    capture *c = NULL;
    uint64_t lsn = 0;
    yerr e;

    (void)argc;
    yerr_clear(&e);
    if (!name || !db_path || !db_path[0]) {
        sqlite3_result_error(ctx, "yedek_mark(NAME): a name and a database file are needed", -1);
        return;
    }
    /* Nothing may commit between catching up and the mark. */
    if (sqlite3_txn_state(sqlite3_context_db_handle(ctx), "main") != SQLITE_TXN_WRITE) {
        sqlite3_result_error(ctx, "yedek_mark(NAME) runs inside BEGIN IMMEDIATE ... COMMIT", -1);
        return;
    }
    if (cap_open(db_path, &c, &e) == 0)
        cap_mark(c, name, &lsn, &e);
    cap_close(c);
    if (e.code)
        sqlite3_result_error(ctx, e.msg, -1);
    else
        sqlite3_result_int64(ctx, (sqlite3_int64)lsn);
}

int sqlite3_yedek_init(sqlite3 *db, char **err, const sqlite3_api_routines *api)
{
    int rc;
    SQLITE_EXTENSION_INIT2(api);
    rc = cap_vfs_register();
    if (rc != SQLITE_OK) {
        *err = sqlite3_mprintf("yedek: cannot register the capture VFS");
        return rc;
    }
    rc = sqlite3_create_function(db, "yedek_mark", 1, SQLITE_UTF8, NULL, fn_mark, NULL, NULL);
    return rc == SQLITE_OK ? SQLITE_OK_LOAD_PERMANENTLY : rc;
}
