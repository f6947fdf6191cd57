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
    if (cap_open(argv[1], &cap, e))
        return yerr_ctx(e, "mark");
    /* Hold the write lock so nothing commits between catching up and the
     * mark: the mark sits between two transactions. */
    if (cap_vfs_register() != SQLITE_OK
        || sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK
        || sqlite3_busy_timeout(db, 10000) != SQLITE_OK
        || sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        yerr_set(e, YERR_FAIL, "mark: lock %s: %s", argv[1], db ? sqlite3_errmsg(db) : "out of memory");
    } else {
        cap_mark(cap, argv[2], &lsn, e);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    sqlite3_close(db);
    cap_close(cap);
    if (e->code)
        return e->code;
    if (c->json)
        cli_json_print(json_pack("{s:s, s:I}", "mark", argv[2], "lsn", (json_int_t)lsn));
    else
        printf("mark '%s' at LSN %llu\n", argv[2], (unsigned long long)lsn);
    return 0;
}
