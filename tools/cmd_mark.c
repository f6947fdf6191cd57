/*
 * cmd_mark.c: `yedek mark DB NAME`: a named mark at the current LSN, an
 * empty transaction of its own (like BEGIN TRAN ... WITH MARK).
 */
#include <stdio.h>

#include "capture.h"
#include "commands.h"
#include "sqlite_api.h"
#include "vfs.h"

int cmd_mark(cli *c, int argc, char **argv, yerr *e)
{
    capture *cap = NULL;
    sqlite3 *db = NULL;
    uint64_t lsn = 0;

    if (argc != 3)
        return cli_usage(e, "mark", "give a database and a mark name");
    if (cap_vfs_register() != SQLITE_OK)
        return yerr_set(e, YERR_FAIL, "mark: cannot register the capture VFS");
    /* Hold the write lock so nothing commits between catching up and the
     * mark: the mark sits between two transactions. */
    if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK
        || sqlite3_busy_timeout(db, 10000) != SQLITE_OK
        || sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        yerr_set(e, YERR_FAIL, "mark: lock %s: %s", argv[1], db ? sqlite3_errmsg(db) : "out of memory");
    } else if (sqlite3_file_control(db, "main", CAP_FCNTL_CAPTURE, &cap) != SQLITE_OK || !cap) {
        yerr_set(e, YERR_FAIL, "mark: %s is not under capture", argv[1]);
        yerr_hint(e, "start capture with: yedek init %s", argv[1]);
    } else {
        cap_mark(cap, argv[2], 0, &lsn, e);
    }
    if (db)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    if (e->code)
        return e->code;
    if (c->json)
        cli_json_print(json_pack("{s:s, s:I}", "mark", argv[2], "lsn", (json_int_t)lsn));
    else
        printf("mark '%s' at LSN %llu\n", argv[2], (unsigned long long)lsn);
    return 0;
}
