/*
 * bench_restore.c: what a restore costs, against cp of the file it writes,
 * on a database of at least 1 GiB restored from a full, a diff and 100 log
 * backups.
 *
 * In one run, on one machine, in a temporary folder:
 *
 *   1. builds the database (default 1 GiB) as bench_backup does: one table,
 *      one ~3.8 KB row per 4 KiB page, odd rows randomblob, even rows a
 *      repeated phrase; copies it (the copy gets the same history, backed
 *      up with zstd:3); `yedek init` on both;
 *   2. makes the history, the same on both databases, each into its own
 *      repository (-r): the database `bench.db` with --compress none for
 *      every backup, the copy `bench-z.db` with zstd:3 (the default):
 *        backup full;
 *        two passes of `yedek sql`, each rewriting in place one row in
 *        every ~100 extents (1% of the 64 KiB extents per pass, different
 *        extents, evenly across the file), each followed by a log backup;
 *        backup diff (2% of the extents);
 *        100 rounds of one `yedek sql` with 5 autocommit transactions (3
 *        rows rewritten in place, spread over the file, 2 rows appended)
 *        and a log backup.
 *      The two logs before the diff are what make the planner take the
 *      diff: full + diff + 100 logs is one backup fewer than full + 102
 *      logs.  `yedek --json plan` must show 1 full, 1 diff and 100 logs;
 *   3. times each command as a child process (fork/exec, wait4: wall time
 *      and the child's peak RSS, ru_maxrss, with the inherited peak reset
 *      through /proc/self/clear_refs before exec), best of --runs (default
 *      3), each run after removing the previous output and a sync() so no
 *      run pays for another's writeback; nothing is dropped from the page
 *      cache (media and files stay warm for every command).  Each restore
 *      is compared with a cp that syncs as it does:
 *        yedek restore DB --to OUT --no-sync    (full + diff + 100 logs)
 *        cp OUT COPY                            (OUT: the restored file)
 *        yedek restore DB --to OUT              (synced)
 *        cp OUT COPY && sync COPY
 *      and for information (synced, against cp && sync):
 *        yedek restore of the zstd:3 history
 *        yedek restore DB --lsn L --to OUT      (L: the full's; the full alone)
 *   4. checks each restored file against its live database: the live file
 *      (and its -wal, if any) copied and checkpointed with
 *      PRAGMA wal_checkpoint(TRUNCATE) must be byte for byte the restored
 *      file, and a summary query (rows, max id, bytes) must agree.
 *
 * Targets, each printed PASS or MISS (the issue's: a restore at most 1.5
 * times cp's time; neither syncing, and both syncing):
 *   yedek restore --no-sync time / cp time                    <= 1.50
 *   yedek restore time / (cp && sync) time                    <= 1.50
 *   peak RSS of every yedek restore                           <  64 MiB
 * A failed check (a plan of another shape, a restore that differs from its
 * live database) exits 1.
 *
 * This is a benchmark, not a test: ctest does not run it.
 *
 *   bench_restore [--mb N] [--runs N] [--logs N] [--dir DIR] [--yedek PATH] [--keep]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "bench_util.h"

#ifndef YEDEK_BIN
#error "YEDEK_BIN must name the yedek program"
#endif

#define PROG "bench_restore"
#define LABEL_WIDTH 44 /* of a row's label on stderr */
#define TABLE_WIDTH 48 /* of a row's name in the table */
#define PASS_PERCENT 1.0 /* extents changed by each pass before the diff */
#define PASSES 2         /* each followed by a log backup */
#define ROUND_UPDATES 3  /* per round after the diff: rows rewritten */
#define ROUND_INSERTS 2  /* and rows appended, each its own transaction */

#define TARGET_RATIO 1.50 /* restore time / cp time, at most */
#define TARGET_RSS_MIB 64 /* every yedek restore, under */

typedef struct options {
    bench_opts c; /* --mb, --runs, --dir, --yedek, --keep */
    int logs;     /* log backups after the diff */
} options;

/* One history: a database, its repository and what its plan says. */
typedef struct history {
    const char *label;    /* "none", "zstd:3" */
    const char *compress; /* --compress for every backup */
    char db[4200], repo[4200], out[4200];
    int n_full, n_diff, n_log, n_other;
    long long full_bytes, diff_bytes, log_bytes, bytes_to_read;
    long long full_lsn, restores_to_lsn;
    long long diff_extents, diff_saved;
    bench_meas restore;
} history;

static const char *g_dir; /* the temporary folder */
static bench_ctx g_bench; /* set once in main: messages, DIR/stderr.txt, --runs */

/* A set-up command: run once, its time not reported. */
static double setup(char *const argv[], const char *out)
{
    double w;
    bench_run_child(&g_bench, argv, out, &w, NULL);
    return w;
}

static double y_sql(const options *o, const char *db, const char *sql)
{
    char *a[] = {(char *)o->c.yedek, "-q", "sql", (char *)db, (char *)sql, NULL};
    return setup(a, NULL);
}

static double y_backup(const options *o, history *h, const char *type, const char *json)
{
    char *a[] = {(char *)o->c.yedek, "--json", "-q", "-r", h->repo, "backup", (char *)type,
                 h->db, "--compress", (char *)h->compress, NULL};
    return setup(a, json);
}

static json_t *load_json(const char *path)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root)
        bench_die(PROG, path, jerr.text);
    return root;
}

static long long jint(json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

/* The plan's shape: backups of each type, their bytes, where it ends. */
static void read_plan(json_t *plan, history *h)
{
    json_t *steps = json_object_get(plan, "steps"), *s;
    size_t i;

    h->n_full = h->n_diff = h->n_log = h->n_other = 0;
    h->full_bytes = h->diff_bytes = h->log_bytes = 0;
    if (!json_is_array(steps))
        bench_die(PROG, "plan", "no \"steps\" array in yedek's JSON");
    json_array_foreach(steps, i, s) {
        const char *type = json_string_value(json_object_get(s, "type"));
        long long size = jint(s, "backup_size");
        if (type && strcmp(type, "full") == 0) {
            h->n_full++;
            h->full_bytes += size;
            h->full_lsn = jint(s, "last_lsn");
        } else if (type && strcmp(type, "diff") == 0) {
            h->n_diff++;
            h->diff_bytes += size;
        } else if (type && strcmp(type, "log") == 0) {
            h->n_log++;
            h->log_bytes += size;
        } else {
            h->n_other++;
        }
    }
    h->bytes_to_read = jint(plan, "bytes_to_read");
    h->restores_to_lsn = jint(plan, "restores_to_lsn");
}

/* The history of step 2, on one database into its repository. */
static void make_history(const options *o, history *h, long rows, long extents, double *t_sql,
                         double *t_log)
{
    char json[4200], sql[2048];
    long nchange = (long)((double)extents * PASS_PERCENT / 100.0 + 0.5);
    long step = rows / (nchange ? nchange : 1);
    json_t *root;

    snprintf(json, sizeof json, "%s/backup.json", g_dir);
    y_backup(o, h, "full", NULL);
    for (int p = 0; p < PASSES; p++) {
        /* One row every `step` rows, at a different offset each pass:
         * PASS_PERCENT of the extents each, rewritten in place. */
        snprintf(sql, sizeof sql,
                 "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < %ld)"
                 " UPDATE t SET b = randomblob(%d) WHERE id IN (SELECT %ld + i * %ld FROM k)",
                 nchange, BENCH_ROW_BYTES, step * (2 * p + 1) / (2 * PASSES) + 1, step);
        *t_sql += y_sql(o, h->db, sql);
        *t_log += y_backup(o, h, "log", NULL);
    }
    y_backup(o, h, "diff", json);
    root = load_json(json);
    h->diff_extents = jint(root, "extents");
    h->diff_saved = jint(root, "extents_saved");
    json_decref(root);
    for (int r = 0; r < o->logs; r++) {
        size_t n = 0;
        for (int k = 0; k < ROUND_UPDATES; k++) {
            /* spread over the file: a multiplicative hash of the round */
            uint64_t id = 1 + (uint64_t)(r * ROUND_UPDATES + k) * 2654435761u % (uint64_t)rows;
            n += (size_t)snprintf(sql + n, sizeof sql - n,
                                  "UPDATE t SET b = randomblob(%d) WHERE id = %llu;",
                                  BENCH_ROW_BYTES,
                                  (unsigned long long)id);
        }
        for (int k = 0; k < ROUND_INSERTS; k++)
            n += (size_t)snprintf(sql + n, sizeof sql - n,
                                  "INSERT INTO t(b) VALUES (randomblob(%d));",
                                  BENCH_ROW_BYTES);
        *t_sql += y_sql(o, h->db, sql);
        *t_log += y_backup(o, h, "log", NULL);
    }
}

/* `yedek --json plan DB` for the latest point: 1 full, 1 diff, N logs. */
static void check_plan(const options *o, history *h)
{
    char json[4200];
    char *a[] = {(char *)o->c.yedek, "--json", "-q", "-r", h->repo, "plan", h->db, NULL};
    json_t *root;

    snprintf(json, sizeof json, "%s/plan.json", g_dir);
    setup(a, json);
    root = load_json(json);
    read_plan(root, h);
    json_decref(root);
    printf("plan (%s): %d full (%.1f MiB), %d diff (%.1f MiB, %lld of %lld extents), %d logs"
           " (%.2f MiB), restores to LSN %lld, %.1f MiB to read\n",
           h->label, h->n_full, bench_mib((double)h->full_bytes), h->n_diff,
           bench_mib((double)h->diff_bytes), h->diff_saved, h->diff_extents, h->n_log,
           bench_mib((double)h->log_bytes), h->restores_to_lsn,
           bench_mib((double)h->bytes_to_read));
    if (h->n_full != 1 || h->n_diff != 1 || h->n_log != o->logs || h->n_other) {
        fprintf(stderr, "bench_restore: the %s plan is not 1 full + 1 diff + %d logs\n",
                h->label, o->logs);
        exit(1);
    }
}

/* What `yedek --json restore` says of the last run: the LSN the plan
 * promised, the rolling checksum checked. */
static void check_restore_json(const char *path, const history *h, long long lsn)
{
    json_t *root = load_json(path);
    long long got = jint(root, "restored_to_lsn");
    int verified = json_is_true(json_object_get(root, "checksum_verified"));
    json_decref(root);
    if (got != lsn || !verified) {
        fprintf(stderr, "bench_restore: the %s restore reached LSN %lld (expected %lld),"
                " checksum_verified %d\n", h->label, got, lsn, verified);
        exit(1);
    }
}

/* rows, max(id), total bytes of t: through immutable=1, nothing written. */
static void summary(const char *path, char *buf, size_t size)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char uri[4300];

    snprintf(uri, sizeof uri, "file:%s?immutable=1", path);
    if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, "unix") != SQLITE_OK
        || sqlite3_prepare_v2(db, "SELECT count(*), max(id), sum(length(b)) FROM t", -1, &st,
                              NULL) != SQLITE_OK
        || sqlite3_step(st) != SQLITE_ROW)
        bench_die(PROG, path, sqlite3_errmsg(db));
    snprintf(buf, size, "%lld rows, max id %lld, %lld bytes", (long long)sqlite3_column_int64(st, 0),
             (long long)sqlite3_column_int64(st, 1), (long long)sqlite3_column_int64(st, 2));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* -1: the same bytes; else the first offset where they differ (or where
 * the shorter one ends). */
static long long first_difference(const char *a, const char *b)
{
    enum { CHUNK = 1 << 20 };
    char *x = malloc(CHUNK), *y = malloc(CHUNK);
    int fa = open(a, O_RDONLY), fb = open(b, O_RDONLY);
    long long off = 0, at = -1;

    if (!x || !y || fa < 0 || fb < 0)
        bench_die(PROG, "compare", strerror(errno ? errno : ENOMEM));
    for (;;) {
        ssize_t na = read(fa, x, CHUNK), nb = read(fb, y, CHUNK);
        if (na < 0 || nb < 0)
            bench_die(PROG, "compare", strerror(errno));
        if (na != nb || memcmp(x, y, (size_t)na) != 0) {
            ssize_t n = na < nb ? na : nb, i = 0;
            while (i < n && x[i] == y[i])
                i++;
            at = off + i;
            break;
        }
        if (na == 0)
            break;
        off += na;
    }
    close(fa);
    close(fb);
    free(x);
    free(y);
    return at;
}

/*
 * The restored file against its live database: the live file (and its
 * -wal) copied, checkpointed and truncated on the copy (capture's own
 * checkpoints are left alone), then compared byte for byte and by a
 * summary query.  Returns 1 when they match.
 */
static int verify(history *h)
{
    char copy[4300], wal[4300], wal_copy[4300], live_sum[256], out_sum[256];
    sqlite3 *db = NULL;
    long long at;
    int same;

    snprintf(copy, sizeof copy, "%s/live-copy.db", g_dir);
    snprintf(wal, sizeof wal, "%s-wal", h->db);
    snprintf(wal_copy, sizeof wal_copy, "%s-wal", copy);
    bench_rm_rf(copy);
    bench_rm_rf(wal_copy);
    {
        char *a[] = {"cp", h->db, copy, NULL};
        setup(a, NULL);
    }
    if (bench_file_size(wal) > 0) {
        char *a[] = {"cp", wal, wal_copy, NULL};
        setup(a, NULL);
    }
    if (sqlite3_open_v2(copy, &db, SQLITE_OPEN_READWRITE, "unix") != SQLITE_OK)
        bench_die(PROG, copy, sqlite3_errmsg(db));
    bench_exec_or_die(PROG, db, "PRAGMA wal_checkpoint(TRUNCATE)");
    if (sqlite3_close(db) != SQLITE_OK)
        bench_die(PROG, "close", copy);
    at = first_difference(h->out, copy);
    summary(copy, live_sum, sizeof live_sum);
    summary(h->out, out_sum, sizeof out_sum);
    same = at < 0 && strcmp(live_sum, out_sum) == 0;
    printf("  %s  %s: the restored file (%lld bytes) ", same ? "ok    " : "FAILED", h->label,
           (long long)bench_file_size(h->out));
    if (at < 0)
        printf("is byte for byte");
    else
        printf("DIFFERS at offset %lld from", at);
    printf(" the live database, copied and checkpointed (%lld bytes)\n"
           "          restored: %s\n"
           "          live:     %s\n",
           (long long)bench_file_size(copy), out_sum, live_sum);
    bench_rm_rf(copy);
    bench_rm_rf(wal_copy);
    return same;
}

static void usage(FILE *f)
{
    bench_opts_usage(f, PROG, " [--logs N]",
                     "  --logs N      log backups after the diff (default 100)\n");
}

static void parse(int argc, char **argv, options *o)
{
    bench_opts_init(&o->c, YEDEK_BIN);
    o->logs = 100;
    for (int i = 1; i < argc; i++) {
        if (bench_opts_arg(&o->c, argc, argv, &i))
            continue;
        if (strcmp(argv[i], "--logs") == 0 && i + 1 < argc)
            o->logs = (int)strtol(argv[++i], NULL, 10);
        else
            bench_bad_arg(argv[i], usage);
    }
    /* Below 64 MiB 1% of the extents is under ten: no longer spread. */
    if (o->c.mb < 64 || o->c.runs < 1 || o->logs < 1) {
        fprintf(stderr, "bench_restore: --mb must be at least 64, --runs and --logs at least 1\n");
        exit(2);
    }
}

int main(int argc, char **argv)
{
    options o;
    char tmpl[4096], copy[4200], json[4200], out_full[4200], lsn[32], err_path[4200];
    history hn, hz;
    history *hs[2] = {&hn, &hz};
    const char *dir;
    long rows, extents, floor_kib = 0;
    int64_t db_bytes, out_bytes;
    double t_start = bench_now_s(), t_build, t_hist, t_sql = 0, t_log = 0;
    bench_meas cp, cp_sync, full_only, nosync;
    history hns; /* the none history restored with --no-sync */
    int ok_n, ok_ns, ok_z;

    parse(argc, argv, &o);
    dir = bench_tempdir(PROG, o.c.parent, "yedek-bench-restore", tmpl, sizeof tmpl);
    g_dir = dir;
    snprintf(err_path, sizeof err_path, "%s/stderr.txt", dir);
    g_bench = (bench_ctx){.prog = PROG, .err_path = err_path, .runs = o.c.runs,
                          .label_width = LABEL_WIDTH, .arg_width = 200};
    memset(&hn, 0, sizeof hn);
    memset(&hz, 0, sizeof hz);
    hn.label = "none";
    hn.compress = "none";
    hz.label = "zstd:3";
    hz.compress = "zstd:3";
    snprintf(hn.db, sizeof hn.db, "%s/bench.db", dir);
    snprintf(hz.db, sizeof hz.db, "%s/bench-z.db", dir);
    snprintf(hn.repo, sizeof hn.repo, "%s/repo-none", dir);
    snprintf(hz.repo, sizeof hz.repo, "%s/repo-zstd", dir);
    snprintf(hn.out, sizeof hn.out, "%s/restored.db", dir);
    snprintf(hz.out, sizeof hz.out, "%s/restored-z.db", dir);
    hns = hn;
    hns.label = "none, --no-sync";
    snprintf(hns.out, sizeof hns.out, "%s/restored-nosync.db", dir);
    snprintf(out_full, sizeof out_full, "%s/restored-full.db", dir);
    snprintf(copy, sizeof copy, "%s/copy.db", dir);
    snprintf(json, sizeof json, "%s/restore.json", dir);

    /* One row per page: mb MiB of leaf pages, plus the interior pages. */
    rows = o.c.mb * (1024 * 1024 / BENCH_PAGE_SIZE);
    fprintf(stderr, "bench_restore: building a %ld MiB database in %s\n", o.c.mb, dir);
    bench_build_db(PROG, hn.db, rows);
    db_bytes = bench_file_size(hn.db);
    extents = (long)((db_bytes + BENCH_EXTENT - 1) / BENCH_EXTENT);
    {
        char *a[] = {"cp", hn.db, hz.db, NULL};
        setup(a, NULL);
    }
    for (int i = 0; i < 2; i++) {
        char *a[] = {(char *)o.c.yedek, "-q", "init", hs[i]->db, NULL};
        setup(a, NULL);
    }
    sync();
    t_build = bench_now_s() - t_start;
    fprintf(stderr, "bench_restore: built, copied and put under capture in %.1f s; making the"
            " histories (full, %d x (sql + log), diff, %d x (sql + log))\n",
            t_build, PASSES, o.logs);
    t_hist = bench_now_s();
    for (int i = 0; i < 2; i++)
        make_history(&o, hs[i], rows, extents, &t_sql, &t_log);
    sync();
    t_hist = bench_now_s() - t_hist;
    floor_kib = bench_rss_floor(&g_bench);

    printf("bench_restore: %.1f MiB database (%ld rows of %d bytes, one per %d-byte page; odd"
           " rows random, even rows a repeated phrase), %ld extents of 64 KiB; built, copied"
           " and put under capture in %.1f s\n",
           bench_mib((double)db_bytes), rows, BENCH_ROW_BYTES, BENCH_PAGE_SIZE, extents, t_build);
    printf("history, on the database and on its copy: full; %d x (a `yedek sql` rewriting %.0f%%"
           " of the extents + a log); diff; %d x (a `yedek sql` of %d autocommit transactions,"
           " %d updates + %d inserts, + a log): %.1f s (%d `yedek sql` %.1f s, %d log"
           " backups %.1f s)\n",
           PASSES, PASS_PERCENT, o.logs, ROUND_UPDATES + ROUND_INSERTS, ROUND_UPDATES,
           ROUND_INSERTS, t_hist, 2 * (PASSES + o.logs), t_sql, 2 * (PASSES + o.logs), t_log);
    check_plan(&o, &hn);
    check_plan(&o, &hz);
    bench_print_method(o.c.runs, floor_kib, o.c.yedek);

    /* For information first: the full alone, then the zstd:3 history;
     * then the measured restore, whose file cp copies right after. */
    {
        char *a[] = {(char *)o.c.yedek, "--json", "-q", "-r", hn.repo, "restore", hn.db,
                     "--lsn", lsn, "--to", out_full, NULL};
        snprintf(lsn, sizeof lsn, "%lld", hn.full_lsn);
        bench_measure(&g_bench, "yedek restore --lsn FULL (the full alone)", a, out_full, json,
                      NULL, NULL, &full_only);
        check_restore_json(json, &hn, hn.full_lsn);
        bench_rm_rf(out_full);
    }
    {
        char *a[] = {(char *)o.c.yedek, "--json", "-q", "-r", hz.repo, "restore", hz.db, "--to",
                     hz.out, NULL};
        bench_measure(&g_bench, "yedek restore (zstd:3 history)", a, hz.out, json, NULL, NULL,
                      &hz.restore);
        check_restore_json(json, &hz, hz.restores_to_lsn);
    }
    {
        char *a[] = {(char *)o.c.yedek, "--json", "-q", "-r", hn.repo, "restore", hn.db, "--to",
                     hn.out, NULL};
        bench_measure(&g_bench, "yedek restore (none history)", a, hn.out, json, NULL, NULL,
                      &hn.restore);
        check_restore_json(json, &hn, hn.restores_to_lsn);
    }
    {
        char *a[] = {(char *)o.c.yedek, "--json", "-q", "-r", hn.repo, "restore", hn.db, "--to",
                     hns.out, "--no-sync", NULL};
        bench_measure(&g_bench, "yedek restore --no-sync (none history)", a, hns.out, json,
                      NULL, NULL, &nosync);
        check_restore_json(json, &hn, hn.restores_to_lsn);
    }
    out_bytes = bench_file_size(hn.out);
    {
        char *a[] = {"cp", hn.out, copy, NULL};
        bench_measure(&g_bench, "cp RESULT COPY", a, copy, NULL, NULL, NULL, &cp);
    }
    {
        char *a[] = {"sh", "-c", "cp \"$1\" \"$2\" && sync \"$2\"", "sh", hn.out, copy, NULL};
        bench_measure(&g_bench, "cp RESULT COPY && sync COPY", a, copy, NULL, NULL, NULL,
                      &cp_sync);
    }
    bench_rm_rf(copy);

    bench_table_header(TABLE_WIDTH, "command (RESULT = the restored file)", "MiB/s");
    printf("neither syncs:\n");
    bench_row(TABLE_WIDTH, "cp RESULT COPY", &cp, (double)out_bytes, 0, "");
    {
        char name[96];
        snprintf(name, sizeof name, "yedek restore --no-sync, full + diff + %d logs", o.logs);
        bench_row(TABLE_WIDTH, name, &nosync, (double)out_bytes, nosync.best_s / cp.best_s,
                  "time / cp's");
    }
    printf("both sync:\n");
    bench_row(TABLE_WIDTH, "cp RESULT COPY && sync COPY", &cp_sync, (double)out_bytes, 0, "");
    {
        char name[96];
        snprintf(name, sizeof name, "yedek restore, full + diff + %d logs", o.logs);
        bench_row(TABLE_WIDTH, name, &hn.restore, (double)out_bytes,
                  hn.restore.best_s / cp_sync.best_s, "time / cp && sync's");
    }
    printf("for information (synced):\n");
    bench_row(TABLE_WIDTH, "yedek restore, the same history in zstd:3", &hz.restore,
              (double)out_bytes, hz.restore.best_s / cp_sync.best_s, "time / cp && sync's");
    bench_row(TABLE_WIDTH, "yedek restore --lsn FULL (the full alone)", &full_only,
              (double)db_bytes, full_only.best_s / cp_sync.best_s, "time / cp && sync's");
    printf("\nMiB/s: over the restored file (%.1f MiB; the full alone: %.1f MiB).  Media read:"
           " none %.1f MiB (%.0f MiB/s), zstd:3 %.1f MiB (%.0f MiB/s)\n",
           bench_mib((double)out_bytes), bench_mib((double)db_bytes),
           bench_mib((double)hn.bytes_to_read),
           bench_mib((double)hn.bytes_to_read) / hn.restore.best_s,
           bench_mib((double)hz.bytes_to_read),
           bench_mib((double)hz.bytes_to_read) / hz.restore.best_s);

    printf("\nchecks (the last run of each restore):\n");
    ok_n = verify(&hn);
    ok_ns = verify(&hns);
    ok_z = verify(&hz);

    printf("\ntargets (the issue's: a restore at most %.2f times cp's time, like for like):\n",
           TARGET_RATIO);
    printf("  %s  yedek restore --no-sync time / cp's = %.3f (target <= %.2f; neither syncs)\n",
           bench_verdict(nosync.best_s / cp.best_s <= TARGET_RATIO), nosync.best_s / cp.best_s,
           TARGET_RATIO);
    printf("  %s  yedek restore time / cp && sync's = %.3f (target <= %.2f; both sync; against"
           " plain cp: %.3f)\n",
           bench_verdict(hn.restore.best_s / cp_sync.best_s <= TARGET_RATIO),
           hn.restore.best_s / cp_sync.best_s, TARGET_RATIO, hn.restore.best_s / cp.best_s);
    {
        long m = hn.restore.rss_kib;
        if (nosync.rss_kib > m)
            m = nosync.rss_kib;
        if (hz.restore.rss_kib > m)
            m = hz.restore.rss_kib;
        if (full_only.rss_kib > m)
            m = full_only.rss_kib;
        printf("  %s  peak RSS of every yedek restore = %.1f MiB at most (none %.1f, --no-sync"
               " %.1f, zstd:3 %.1f, the full alone %.1f; target < %d)\n",
               bench_verdict((double)m / 1024.0 < TARGET_RSS_MIB), (double)m / 1024.0,
               (double)hn.restore.rss_kib / 1024.0, (double)nosync.rss_kib / 1024.0,
               (double)hz.restore.rss_kib / 1024.0, (double)full_only.rss_kib / 1024.0,
               TARGET_RSS_MIB);
    }
    printf("\ntotal %.1f s\n", bench_now_s() - t_start);

    bench_keep_or_remove(dir, o.c.keep);
    return ok_n && ok_ns && ok_z ? 0 : 1;
}
