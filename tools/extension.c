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
    sqlite3 *db = sqlite3_context_db_handle(ctx);
    capture *c = NULL;
    uint64_t lsn = 0;
    yerr e;

    (void)argc;
    yerr_clear(&e);
    if (!name) {
        sqlite3_result_error(ctx, "yedek_mark(NAME): a name is needed", -1);
        return;
    }
    /* Nothing may commit between catching up and the mark. */
    if (sqlite3_txn_state(db, "main") != SQLITE_TXN_WRITE) {
        sqlite3_result_error(ctx, "yedek_mark(NAME) runs inside BEGIN IMMEDIATE ... COMMIT", -1);
        return;
    }
    /* The connection's own capture: opening a second one would mean a
     * second descriptor of the database, whose close drops SQLite's locks. */
    if (sqlite3_file_control(db, "main", CAP_FCNTL_CAPTURE, &c) != SQLITE_OK || !c) {
        sqlite3_result_error(ctx, "yedek_mark(NAME): this connection does not write through"
                                  " capture (open it after loading the extension, on a"
                                  " database started with yedek init)", -1);
        return;
    }
    cap_mark(c, name, 1, &lsn, &e);
    if (e.code)
        sqlite3_result_error(ctx, e.msg, -1);
    else
        sqlite3_result_int64(ctx, (sqlite3_int64)lsn);
}

/* Every connection opened from now on gets the SQL functions too. */
static int add_functions(sqlite3 *db, char **err, const sqlite3_api_routines *api)
{
    (void)err;
    (void)api;
    return sqlite3_create_function(db, "yedek_mark", 1, SQLITE_UTF8, NULL, fn_mark, NULL, NULL);
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
    rc = sqlite3_auto_extension((void (*)(void))add_functions);
    if (rc == SQLITE_OK)
        rc = add_functions(db, err, api);
    return rc == SQLITE_OK ? SQLITE_OK_LOAD_PERMANENTLY : rc;
}
