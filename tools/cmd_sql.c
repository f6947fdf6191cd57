/*
 * cmd_sql.c: `yedek sql DB [SQL]`: run SQL (or standard input) against a
 * database with capture active; rows print as the sqlite3 shell's list
 * mode does (columns joined by '|').
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "commands.h"
#include "sqlite_api.h"
#include "vfs.h"

static int print_row(void *arg, int n, char **values, char **names)
{
    (void)arg;
    (void)names;
    for (int i = 0; i < n; i++)
        printf("%s%s", i ? "|" : "", values[i] ? values[i] : "");
    putchar('\n');
    return 0;
}

static char *read_stdin(yerr *e)
{
    size_t cap = 4096, len = 0, n;
    char *buf = malloc(cap);
    while (buf && (n = fread(buf + len, 1, cap - len - 1, stdin)) > 0) {
        len += n;
        if (cap - len < 2) {
            char *b = realloc(buf, cap * 2);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
    }
    if (!buf) {
        yerr_oom(e);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

int cmd_sql(cli *c, int argc, char **argv, yerr *e)
{
    capture *cap = NULL;
    sqlite3 *db = NULL;
    char *sql = NULL, *err = NULL;

    (void)c;
    if (argc < 2 || argc > 3)
        return cli_usage(e, "sql", "give a database and, optionally, the SQL");
    /* Refuse a database without capture: its writes would go unseen. */
    if (cap_open(argv[1], &cap, e))
        return yerr_ctx(e, "sql");
    cap_close(cap);
    if (cap_vfs_register() != SQLITE_OK)
        return yerr_set(e, YERR_FAIL, "sql: cannot register the capture VFS");
    sql = argc == 3 ? strdup(argv[2]) : read_stdin(e);
    if (!sql)
        return e->code ? e->code : yerr_oom(e);
    if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        yerr_set(e, YERR_FAIL, "sql: open %s: %s", argv[1], db ? sqlite3_errmsg(db) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(db, 10000);
    if (sqlite3_exec(db, sql, print_row, NULL, &err) != SQLITE_OK)
        yerr_set(e, YERR_FAIL, "sql: %s", err ? err : sqlite3_errmsg(db));
out:
    sqlite3_free(err);
    sqlite3_close(db);
    free(sql);
    return e->code;
}
