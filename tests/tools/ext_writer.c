/*
 * ext_writer.c: a tiny SQLite application for test_capture_cli.sh, the way
 * a C program would use yedek's capture: load the extension into a first
 * connection (which registers the capture VFS as the process's default),
 * then open the database with a second sqlite3_open_v2 and write.
 *
 *   ext_writer EXTENSION DB [SQL | - | .vfsname]...
 *
 * Each argument runs in order: SQL is executed (rows print as the sqlite3
 * shell's list mode); "-" reads standard input a line at a time, executes
 * each line and prints "done N" after line N, so a test can keep the
 * connection open and step it through a fifo; ".vfsname" prints the name of
 * the VFS the database connection uses ("yedek/unix" under capture).
 * Exit status: 0, or 1 on the first error (printed on stderr).
 *
 * Links only SQLite: nothing of yedek but the extension it loads.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static int print_row(void *arg, int n, char **values, char **names)
{
    (void)arg;
    (void)names;
    for (int i = 0; i < n; i++)
        printf("%s%s", i ? "|" : "", values[i] ? values[i] : "");
    putchar('\n');
    return 0;
}

static int run(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (strcmp(sql, ".vfsname") == 0) {
        char *name = NULL;
        if (sqlite3_file_control(db, "main", SQLITE_FCNTL_VFSNAME, &name) == SQLITE_OK && name)
            printf("%s\n", name);
        else
            printf("?\n");
        sqlite3_free(name);
        fflush(stdout);
        return 0;
    }
    if (sqlite3_exec(db, sql, print_row, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "ext_writer: %s: %s\n", sql, err ? err : sqlite3_errmsg(db));
        sqlite3_free(err);
        return 1;
    }
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    sqlite3 *db0 = NULL, *db = NULL;
    char *err = NULL, line[65536];
    int rc = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: ext_writer EXTENSION DB [SQL | - | .vfsname]...\n");
        return 2;
    }
    if (sqlite3_open_v2(":memory:", &db0, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK
        || sqlite3_enable_load_extension(db0, 1) != SQLITE_OK
        || sqlite3_load_extension(db0, argv[1], NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "ext_writer: load %s: %s\n", argv[1],
                err ? err : db0 ? sqlite3_errmsg(db0) : "out of memory");
        sqlite3_free(err);
        sqlite3_close(db0);
        return 1;
    }
    /* Opened after loading: the capture VFS is now the default. */
    if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf(stderr, "ext_writer: open %s: %s\n", argv[2],
                db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        sqlite3_close(db0);
        return 1;
    }
    sqlite3_busy_timeout(db, 20000);
    for (int i = 3; i < argc && rc == 0; i++) {
        if (strcmp(argv[i], "-") != 0) {
            rc = run(db, argv[i]);
            continue;
        }
        unsigned n = 0;
        while (rc == 0 && fgets(line, sizeof line, stdin)) {
            line[strcspn(line, "\n")] = '\0';
            if (line[0] && (rc = run(db, line)) == 0) {
                printf("done %u\n", ++n);
                fflush(stdout);
            }
        }
    }
    sqlite3_close(db);
    sqlite3_close(db0);
    return rc;
}
