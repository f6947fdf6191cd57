/*
 * oracle_writer.c: a writer process for the capture tests.
 *
 *   oracle_writer DB ID NTXN SEED OUT [oracle|crash]
 *
 * Registers the capture VFS, opens DB through it and commits NTXN
 * transactions (0: forever, until killed), each ending with
 * UPDATE meta SET seq=seq+1.
 *
 * $YEDEK_TEST_WRITER_PAUSE_US: in oracle mode, a pause after each commit.
 *
 * oracle mode: random inserts (some blobs of 2..20 KiB, so pages overflow),
 * updates and deletes; once a schema change (CREATE TABLE extra_ID, CREATE
 * INDEX); writer 0 once a big DELETE and later a DROP INDEX; writer 1 once
 * a VACUUM between transactions (it leaves seq unchanged); checkpoints now
 * and then; now and then it closes and reopens its connection.  Inside each transaction, after the seq update, the logical
 * checksum of the whole content is computed; after COMMIT "seq checksum"
 * is appended to OUT.
 *
 * crash mode: meant to be killed with SIGKILL at a random instant: small
 * and big transactions, transactions rewriting many pages, PASSIVE and
 * TRUNCATE checkpoints, and now and then closing and reopening the
 * connection (the last close checkpoints and deletes the WAL).  OUT is not
 * written.
 *
 * Exit status 0 when all went well; 1 with a message on stderr otherwise.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oracle_common.h"
#include "vfs.h"

static const char *g_db_path;
static int g_id;

static void die(sqlite3 *db, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "oracle_writer %d: ", g_id);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (db)
        fprintf(stderr, ": %s (%d)", sqlite3_errmsg(db), sqlite3_extended_errcode(db));
    fputc('\n', stderr);
    exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
    for (int attempt = 0;; attempt++) {
        int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return;
        if ((rc & 0xff) == SQLITE_BUSY && attempt < 100) {
            usleep(10000);
            continue;
        }
        die(db, "%s", sql);
    }
}

static sqlite3 *open_db(void)
{
    sqlite3 *db = NULL;
    char *vfs = NULL;

    if (sqlite3_open(g_db_path, &db) != SQLITE_OK)
        die(db, "open %s", g_db_path);
    sqlite3_busy_timeout(db, 60000);
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_VFSNAME, &vfs) != SQLITE_OK || !vfs
        || strncmp(vfs, CAP_VFS_NAME, strlen(CAP_VFS_NAME)) != 0)
        die(NULL, "the connection does not go through the capture VFS (vfs %s)",
            vfs ? vfs : "?");
    sqlite3_free(vfs);
    exec(db, "PRAGMA synchronous=NORMAL");
    return db;
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
        die(db, "prepare %s", sql);
    return st;
}

static void run(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    if (rc != SQLITE_DONE)
        die(db, "%s", what);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

typedef struct stmts {
    sqlite3_stmt *ins, *upd_a, *upd_ab, *del, *count, *bump, *extra;
} stmts;

static void stmts_prepare(sqlite3 *db, stmts *s)
{
    s->ins = prep(db, "INSERT INTO items(a, b) VALUES(?1, ?2)");
    s->upd_a = prep(db, "UPDATE items SET a = ?1 WHERE id = "
                        "(SELECT id FROM items WHERE id >= ?2 ORDER BY id LIMIT 1)");
    s->upd_ab = prep(db, "UPDATE items SET a = ?1, b = ?3 WHERE id = "
                         "(SELECT id FROM items WHERE id >= ?2 ORDER BY id LIMIT 1)");
    s->del = prep(db, "DELETE FROM items WHERE id = "
                      "(SELECT id FROM items WHERE id >= ?1 ORDER BY id LIMIT 1)");
    s->count = prep(db, "SELECT count(*), coalesce(max(id), 0) FROM items");
    s->bump = prep(db, "UPDATE meta SET seq = seq + 1");
    s->extra = NULL; /* prepared once the table exists */
}

static void stmts_finalize(stmts *s)
{
    sqlite3_finalize(s->ins);
    sqlite3_finalize(s->upd_a);
    sqlite3_finalize(s->upd_ab);
    sqlite3_finalize(s->del);
    sqlite3_finalize(s->count);
    sqlite3_finalize(s->bump);
    sqlite3_finalize(s->extra);
    memset(s, 0, sizeof *s);
}

static void bind_text(orng *r, sqlite3_stmt *st, int i)
{
    char a[160];
    size_t n = (size_t)orng_range(r, 8, 120);
    for (size_t k = 0; k < n; k++)
        a[k] = (char)('a' + orng_range(r, 0, 25));
    sqlite3_bind_text(st, i, a, (int)n, SQLITE_TRANSIENT);
}

/* NULL, a small blob, or (big_pct percent) one of 2..20 KiB. */
static void bind_blob(orng *r, sqlite3_stmt *st, int i, int big_pct)
{
    static uint8_t buf[20480];
    uint64_t k = orng_range(r, 0, 99);
    size_t n;
    if ((int)k < big_pct)
        n = (size_t)orng_range(r, 2048, 20480);
    else if (k < 50)
        n = (size_t)orng_range(r, 16, 600);
    else {
        sqlite3_bind_null(st, i);
        return;
    }
    orng_fill(r, buf, n);
    sqlite3_bind_blob(st, i, buf, (int)n, SQLITE_TRANSIENT);
}

static void counts(sqlite3 *db, stmts *s, int64_t *n, int64_t *max_id)
{
    if (sqlite3_step(s->count) != SQLITE_ROW)
        die(db, "count items");
    *n = sqlite3_column_int64(s->count, 0);
    *max_id = sqlite3_column_int64(s->count, 1);
    sqlite3_reset(s->count);
}

/* One random insert, update or delete; the table stays around `target`
 * rows. */
static void random_op(sqlite3 *db, stmts *s, orng *r, int64_t target, int big_pct)
{
    int64_t n, max_id;
    uint64_t k = orng_range(r, 0, 99);
    counts(db, s, &n, &max_id);
    int del_pct = n > target ? 60 : n < target / 4 ? 5 : 20;
    if (k < (uint64_t)del_pct && n > 0) {
        sqlite3_bind_int64(s->del, 1, (int64_t)orng_range(r, 0, (uint64_t)max_id));
        run(db, s->del, "delete");
    } else if (k < (uint64_t)del_pct + 30 && n > 0) {
        sqlite3_stmt *st = orng_range(r, 0, 1) ? s->upd_a : s->upd_ab;
        bind_text(r, st, 1);
        sqlite3_bind_int64(st, 2, (int64_t)orng_range(r, 0, (uint64_t)max_id));
        if (st == s->upd_ab)
            bind_blob(r, st, 3, big_pct);
        run(db, st, "update");
    } else {
        bind_text(r, s->ins, 1);
        bind_blob(r, s->ins, 2, big_pct);
        run(db, s->ins, "insert");
    }
}

static void checkpoint(sqlite3 *db, orng *r, int pct_passive, int pct_truncate_of_1000)
{
    if (orng_range(r, 0, 999) < (uint64_t)pct_truncate_of_1000)
        exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    else if (orng_range(r, 0, 999) < (uint64_t)pct_passive)
        exec(db, "PRAGMA wal_checkpoint(PASSIVE)");
}

static int oracle_mode(long ntxn, orng *r, FILE *out)
{
    sqlite3 *db = open_db();
    stmts s;
    char sql[256];
    long schema_at = ntxn / 3 + g_id * 7, big_delete_at = ntxn / 2, drop_at = 2 * ntxn / 3;
    long vacuum_after = ntxn / 2 + 3;
    const char *pause = getenv("YEDEK_TEST_WRITER_PAUSE_US");
    long pause_us = pause ? atol(pause) : 0;

    stmts_prepare(db, &s);
    for (long i = 0; i < ntxn; i++) {
        uint64_t ck;
        int64_t seq;
        int nops = (int)orng_range(r, 1, 4);

        exec(db, "BEGIN IMMEDIATE");
        for (int k = 0; k < nops; k++)
            random_op(db, &s, r, 150, 12);
        if (i == schema_at) {
            snprintf(sql, sizeof sql,
                     "CREATE TABLE extra_%d(x); CREATE INDEX items_a_%d ON items(a)", g_id, g_id);
            exec(db, sql);
            snprintf(sql, sizeof sql, "INSERT INTO extra_%d(x) VALUES(?1)", g_id);
            s.extra = prep(db, sql);
        }
        if (s.extra && orng_range(r, 0, 3) == 0) {
            sqlite3_bind_int64(s.extra, 1, (int64_t)(orng_next(r) >> 1));
            run(db, s.extra, "insert extra");
        }
        if (g_id == 0 && i == big_delete_at)
            exec(db, "DELETE FROM items WHERE id % 4 != 0");
        if (g_id == 0 && i == drop_at)
            exec(db, "DROP INDEX IF EXISTS items_a_0");
        run(db, s.bump, "bump seq");
        if (lcksum(db, &ck, &seq) != SQLITE_OK)
            die(db, "logical checksum");
        exec(db, "COMMIT");
        if (fprintf(out, "%" PRId64 " %016" PRIx64 "\n", seq, ck) < 0)
            die(NULL, "write output");
        if (pause_us > 0)
            usleep((useconds_t)pause_us);
        if (g_id == 1 && i == vacuum_after)
            exec(db, "VACUUM");
        checkpoint(db, r, 5, 1);
        if (orng_range(r, 0, 149) == 0) {
            /* Close and reopen between transactions: a capture catch-up at
             * close and a cap_open at open, while the other writer goes on. */
            int had_extra = s.extra != NULL;
            stmts_finalize(&s);
            if (sqlite3_close(db) != SQLITE_OK)
                die(db, "close");
            db = open_db();
            stmts_prepare(db, &s);
            if (had_extra) {
                snprintf(sql, sizeof sql, "INSERT INTO extra_%d(x) VALUES(?1)", g_id);
                s.extra = prep(db, sql);
            }
        }
    }
    stmts_finalize(&s);
    if (sqlite3_close(db) != SQLITE_OK)
        die(db, "close");
    return 0;
}

static int crash_mode(long ntxn, orng *r)
{
    sqlite3 *db = open_db();
    stmts s;
    sqlite3_stmt *rewrite_blobs, *rewrite_all, *trim;

    stmts_prepare(db, &s);
    rewrite_blobs = prep(db, "UPDATE items SET b = randomblob(length(b)) "
                             "WHERE b IS NOT NULL AND id % 3 = ?1");
    rewrite_all = prep(db, "UPDATE items SET a = printf('%016x-%d', abs(random()), id)");
    trim = prep(db, "DELETE FROM items WHERE id IN (SELECT id FROM items ORDER BY id LIMIT 60)");
    for (long i = 0; ntxn == 0 || i < ntxn; i++) {
        uint64_t k = orng_range(r, 0, 99);
        int64_t n, max_id;

        exec(db, "BEGIN IMMEDIATE");
        if (k < 55) {
            int nops = (int)orng_range(r, 1, 3);
            for (int j = 0; j < nops; j++)
                random_op(db, &s, r, 250, 5);
        } else if (k < 75) {
            int nops = (int)orng_range(r, 1, 4);
            for (int j = 0; j < nops; j++)
                random_op(db, &s, r, 250, 60);
        } else if (k < 85) {
            sqlite3_bind_int64(rewrite_blobs, 1, (int64_t)orng_range(r, 0, 2));
            run(db, rewrite_blobs, "rewrite blobs");
        } else if (k < 92) {
            run(db, rewrite_all, "rewrite all");
        } else {
            counts(db, &s, &n, &max_id);
            if (n > 200)
                run(db, trim, "trim");
            else
                random_op(db, &s, r, 250, 30);
        }
        run(db, s.bump, "bump seq");
        exec(db, "COMMIT");
        checkpoint(db, r, 30, 8);
        if (orng_range(r, 0, 299) == 0) {
            /* The last connection of the process closes: a checkpoint and
             * the WAL's deletion, under capture. */
            sqlite3_finalize(rewrite_blobs);
            sqlite3_finalize(rewrite_all);
            sqlite3_finalize(trim);
            stmts_finalize(&s);
            if (sqlite3_close(db) != SQLITE_OK)
                die(db, "close");
            db = open_db();
            stmts_prepare(db, &s);
            rewrite_blobs = prep(db, "UPDATE items SET b = randomblob(length(b)) "
                                     "WHERE b IS NOT NULL AND id % 3 = ?1");
            rewrite_all = prep(db, "UPDATE items SET a = printf('%016x-%d', abs(random()), id)");
            trim = prep(db,
                        "DELETE FROM items WHERE id IN (SELECT id FROM items ORDER BY id LIMIT 60)");
        }
    }
    sqlite3_finalize(rewrite_blobs);
    sqlite3_finalize(rewrite_all);
    sqlite3_finalize(trim);
    stmts_finalize(&s);
    if (sqlite3_close(db) != SQLITE_OK)
        die(db, "close");
    return 0;
}

/* Capture reports its failures through sqlite3_log: show them. */
static void log_cb(void *arg, int code, const char *msg)
{
    (void)arg;
    if (strstr(msg, "yedek"))
        fprintf(stderr, "oracle_writer %d: sqlite3_log(%d): %s\n", g_id, code, msg);
}

int main(int argc, char **argv)
{
    orng r;
    long ntxn;
    FILE *out = NULL;
    int crash, rc;

    if (argc < 6 || argc > 7) {
        fprintf(stderr, "usage: oracle_writer DB ID NTXN SEED OUT [oracle|crash]\n");
        return 2;
    }
    g_db_path = argv[1];
    g_id = atoi(argv[2]);
    ntxn = atol(argv[3]);
    r.s = strtoull(argv[4], NULL, 0) * 1000003u + (uint64_t)g_id;
    crash = argc == 7 && strcmp(argv[6], "crash") == 0;
    sqlite3_config(SQLITE_CONFIG_LOG, log_cb, NULL);
    if (cap_vfs_register() != SQLITE_OK)
        die(NULL, "cap_vfs_register failed");
    if (crash)
        return crash_mode(ntxn, &r);
    out = fopen(argv[5], "w");
    if (!out)
        die(NULL, "open %s", argv[5]);
    rc = oracle_mode(ntxn, &r, out);
    if (fclose(out) != 0)
        die(NULL, "close %s", argv[5]);
    return rc;
}
