/*
 * bench_backup.c: what a backup costs, against the tools a user would
 * otherwise reach for, on one database of at least 1 GiB.
 *
 * In one run, on one machine, in a temporary folder:
 *
 *   1. builds the database (default 1 GiB): one table, one ~3.8 KB row per
 *      4 KiB page, odd rows randomblob (incompressible), even rows a short
 *      phrase with the row's id repeated (compressible), so zstd has half
 *      the file to squeeze; built with journal_mode=OFF, synchronous=OFF,
 *      then switched to WAL and put under capture with `yedek init`;
 *   2. times each command as a child process (fork/exec, wait4: wall time
 *      and the child's peak RSS, ru_maxrss), best of --runs (default 3)
 *      for every row alike, each run after removing the previous output and
 *      a sync() so no run pays for another's writeback; nothing is dropped
 *      from the page cache (the database stays warm for every command):
 *        cp DB OUT
 *        yedek backup full DB --compress none        (each run its own -r)
 *        zstd -3 -T1 -q -f DB -o OUT
 *        yedek backup full DB --compress zstd:3
 *        sqlite3 DB ".backup OUT",  sqlite3 DB "VACUUM INTO 'OUT'"
 *      and, because yedek syncs its media before publishing it and cp and
 *      zstd do not, the same two with an fsync of their output
 *      (`cp DB OUT && sync OUT`), for information;
 *   3. changes 1% of the 64 KiB extents: `yedek sql` updates one row in
 *      place (same size, new random bytes) every ~100 extents, evenly
 *      across the file, through capture so the DCM sees it;
 *   4. times `yedek --json backup diff DB --compress none` into the repo of
 *      the last --compress none full (the DCM's base) and reports its
 *      db_bytes_read, extents, extents_saved and media size from the JSON;
 *      then the same diff with --scan for comparison.
 *
 * Targets, each printed PASS or MISS:
 *   yedek full --compress none throughput / cp throughput   >= 0.90
 *   yedek full --compress zstd:3 time / zstd -3 -T1 time      <= 1.10
 *   diff time / full (--compress none) time                   <  0.03
 *   peak RSS of every yedek run                               <  64 MiB
 *
 * This is a benchmark, not a test: ctest does not run it.
 *
 *   bench_backup [--mb N] [--runs N] [--dir DIR] [--yedek PATH] [--keep]
 */
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

#define PROG "bench_backup"
#define LABEL_WIDTH 36 /* of a row's label on stderr */
#define TABLE_WIDTH 40 /* of a row's name in the table */
#define CHANGE_PERCENT 1.0

#define TARGET_PLAIN 0.90 /* yedek none throughput / cp throughput, at least */
#define TARGET_ZSTD 1.10  /* yedek zstd:3 time / zstd -3 -T1 time, at most */
#define TARGET_DIFF 0.03  /* diff time / full time, under */
#define TARGET_RSS_MIB 64 /* every yedek run, under */

/* What a diff's --json output says (of its fastest run). */
typedef struct diff_info {
    const char *json; /* the file its stdout goes to */
    long long db_bytes_read, extents, extents_saved, backup_size;
    int scanned;
} diff_info;

/* bench_measure's on_best for a diff: its JSON into the diff_info. */
static void parse_diff_json(void *arg)
{
    diff_info *d = arg;
    const char *path = d->json;
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    json_t *backup = root ? json_object_get(root, "backup") : NULL;

    if (!root || !backup)
        bench_die(PROG, path, root ? "no \"backup\" object in yedek's JSON" : jerr.text);
    d->db_bytes_read = json_integer_value(json_object_get(root, "db_bytes_read"));
    d->extents = json_integer_value(json_object_get(root, "extents"));
    d->extents_saved = json_integer_value(json_object_get(root, "extents_saved"));
    d->scanned = json_is_true(json_object_get(root, "scanned"));
    d->backup_size = json_integer_value(json_object_get(backup, "backup_size"));
    json_decref(root);
}

static void usage(FILE *f)
{
    bench_opts_usage(f, PROG, "", "");
}

static void parse(int argc, char **argv, bench_opts *o)
{
    bench_opts_init(o, YEDEK_BIN);
    for (int i = 1; i < argc; i++)
        if (!bench_opts_arg(o, argc, argv, &i))
            bench_bad_arg(argv[i], usage);
    /* Below 64 MiB 1% of the extents is under ten: no longer a 1% diff. */
    if (o->mb < 64 || o->runs < 1) {
        fprintf(stderr, "bench_backup: --mb must be at least 64, --runs at least 1\n");
        exit(2);
    }
}

int main(int argc, char **argv)
{
    bench_opts o;
    bench_ctx ctx;
    char tmpl[4096], db[4200], out[4200], repo_none[4200], repo_zstd[4200], json[4200];
    char err_path[4200];
    char sql[1024], cmd_backup[4300], cmd_vacuum[4300];
    const char *dir;
    long rows;
    int64_t db_bytes;
    long extents, nchange, step;
    double t_start = bench_now_s(), t_build;
    bench_meas cp, cp_sync, y_none, zs, zs_sync, y_zstd, sq_backup, sq_vacuum, y_diff, y_scan;
    diff_info diff, scan;
    long y_rss_max, floor_kib = 0;

    parse(argc, argv, &o);
    dir = bench_tempdir(PROG, o.parent, "yedek-bench-backup", tmpl, sizeof tmpl);
    snprintf(db, sizeof db, "%s/bench.db", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(repo_none, sizeof repo_none, "%s/repo-none", dir);
    snprintf(repo_zstd, sizeof repo_zstd, "%s/repo-zstd", dir);
    snprintf(json, sizeof json, "%s/out.json", dir);
    snprintf(err_path, sizeof err_path, "%s/stderr.txt", dir);
    ctx = (bench_ctx){.prog = PROG, .err_path = err_path, .runs = o.runs,
                      .label_width = LABEL_WIDTH, .install_hint = 1};

    /* One row per page: mb MiB of leaf pages, plus the interior pages. */
    rows = o.mb * (1024 * 1024 / BENCH_PAGE_SIZE);
    fprintf(stderr, "bench_backup: building a %ld MiB database in %s\n", o.mb, dir);
    bench_build_db(PROG, db, rows);
    db_bytes = bench_file_size(db);
    {
        char *init[] = {(char *)o.yedek, "-q", "init", db, NULL};
        bench_run_child(&ctx, init, NULL, NULL, NULL);
    }
    sync();
    t_build = bench_now_s() - t_start;
    floor_kib = bench_rss_floor(&ctx);
    extents = (long)((db_bytes + BENCH_EXTENT - 1) / BENCH_EXTENT);
    nchange = (long)((double)extents * CHANGE_PERCENT / 100.0 + 0.5);
    step = rows / nchange;

    printf("bench_backup: %.1f MiB database (%ld rows of %d bytes, one per %d-byte page; odd"
           " rows random, even rows a repeated phrase), %ld extents of 64 KiB; built and put"
           " under capture in %.1f s\n",
           bench_mib((double)db_bytes), rows, BENCH_ROW_BYTES, BENCH_PAGE_SIZE, extents, t_build);
    bench_print_method(o.runs, floor_kib, o.yedek);

    /* The plain tools first, then yedek: the last regular full taken, the
     * --compress none one, is the DCM's base for the diff. */
    {
        char *a[] = {"cp", db, out, NULL};
        bench_measure(&ctx, "cp DB OUT", a, out, NULL, NULL, NULL, &cp);
    }
    {
        char *a[] = {"sh", "-c", "cp \"$1\" \"$2\" && sync \"$2\"", "sh", db, out, NULL};
        bench_measure(&ctx, "cp DB OUT && sync OUT", a, out, NULL, NULL, NULL, &cp_sync);
    }
    {
        char *a[] = {"zstd", "-3", "-T1", "-q", "-f", db, "-o", out, NULL};
        bench_measure(&ctx, "zstd -3 -T1", a, out, NULL, NULL, NULL, &zs);
    }
    {
        char *a[] = {"sh", "-c", "zstd -3 -T1 -q -f \"$1\" -o \"$2\" && sync \"$2\"", "sh", db,
                     out, NULL};
        bench_measure(&ctx, "zstd -3 -T1 && sync OUT", a, out, NULL, NULL, NULL, &zs_sync);
    }
    {
        char *a[] = {"sqlite3", db, cmd_backup, NULL};
        snprintf(cmd_backup, sizeof cmd_backup, ".backup '%s'", out);
        bench_measure(&ctx, "sqlite3 DB .backup", a, out, NULL, NULL, NULL, &sq_backup);
    }
    {
        char *a[] = {"sqlite3", db, cmd_vacuum, NULL};
        snprintf(cmd_vacuum, sizeof cmd_vacuum, "VACUUM INTO '%s'", out);
        bench_measure(&ctx, "sqlite3 DB VACUUM INTO", a, out, NULL, NULL, NULL, &sq_vacuum);
    }
    bench_rm_rf(out);
    {
        char *a[] = {(char *)o.yedek, "-q", "-r", repo_zstd, "backup", "full", db,
                     "--compress", "zstd:3", NULL};
        bench_measure(&ctx, "yedek backup full --compress zstd:3", a, repo_zstd, NULL, NULL,
                      NULL, &y_zstd);
        bench_rm_rf(repo_zstd);
    }
    {
        char *a[] = {(char *)o.yedek, "-q", "-r", repo_none, "backup", "full", db,
                     "--compress", "none", NULL};
        bench_measure(&ctx, "yedek backup full --compress none", a, repo_none, NULL, NULL, NULL,
                      &y_none);
    }

    /* 1% of the extents: one row every `step` rows is one page every
     * ~100 extents, each rewritten in place (same size) with new bytes. */
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < %ld)"
             " UPDATE t SET b = randomblob(%d) WHERE id IN (SELECT %ld + i * %ld FROM k)",
             nchange, BENCH_ROW_BYTES, step / 2 + 1, step);
    {
        char *a[] = {(char *)o.yedek, "-q", "sql", db, sql, NULL};
        double w;
        bench_run_child(&ctx, a, NULL, &w, NULL);
        fprintf(stderr, "  updated %ld rows (1 in %ld) through capture in %.3f s\n", nchange,
                step, w);
    }
    memset(&diff, 0, sizeof diff);
    memset(&scan, 0, sizeof scan);
    diff.json = scan.json = json;
    {
        char *a[] = {(char *)o.yedek, "--json", "-q", "-r", repo_none, "backup", "diff", db,
                     "--compress", "none", NULL};
        bench_measure(&ctx, "yedek backup diff --compress none", a, NULL, json, parse_diff_json,
                      &diff, &y_diff);
    }
    {
        char *a[] = {(char *)o.yedek, "--json", "-q", "-r", repo_none, "backup", "diff", db,
                     "--compress", "none", "--scan", NULL};
        bench_measure(&ctx, "yedek backup diff --scan", a, NULL, json, parse_diff_json, &scan,
                      &y_scan);
    }

    bench_table_header(TABLE_WIDTH, "command (DB = the database)", "DB MiB/s");
    bench_row(TABLE_WIDTH, "cp DB OUT", &cp, (double)db_bytes, 0, "");
    bench_row(TABLE_WIDTH, "yedek backup full --compress none", &y_none, (double)db_bytes,
              cp.best_s / y_none.best_s, "throughput / cp's");
    bench_row(TABLE_WIDTH, "zstd -3 -T1 -q -f DB -o OUT", &zs, (double)db_bytes, 0, "");
    bench_row(TABLE_WIDTH, "yedek backup full --compress zstd:3", &y_zstd, (double)db_bytes,
              y_zstd.best_s / zs.best_s, "time / zstd's");
    bench_row(TABLE_WIDTH, "sqlite3 DB \".backup OUT\"", &sq_backup, (double)db_bytes,
              sq_backup.best_s / y_none.best_s, "time / yedek full none's");
    bench_row(TABLE_WIDTH, "sqlite3 DB \"VACUUM INTO 'OUT'\"", &sq_vacuum, (double)db_bytes,
              sq_vacuum.best_s / y_none.best_s, "time / yedek full none's");
    bench_row(TABLE_WIDTH, "yedek backup diff --compress none (1%)", &y_diff, (double)db_bytes,
              y_diff.best_s / y_none.best_s, "time / yedek full none's");
    bench_row(TABLE_WIDTH, "yedek backup diff --scan (1%)", &y_scan, (double)db_bytes,
              y_scan.best_s / y_none.best_s, "time / yedek full none's");
    printf("for information (yedek syncs its media before publishing it; cp and zstd do not):\n");
    bench_row(TABLE_WIDTH, "cp DB OUT && sync OUT", &cp_sync, (double)db_bytes,
              cp_sync.best_s / y_none.best_s, "yedek none throughput / this");
    bench_row(TABLE_WIDTH, "zstd -3 -T1 ... && sync OUT", &zs_sync, (double)db_bytes,
              y_zstd.best_s / zs_sync.best_s, "yedek zstd:3 time / this");

    printf("\ndiff after changing %ld of %ld extents (%.2f%%): db_bytes_read %lld (%.2f%% of the"
           " database), extents %lld, extents_saved %lld, media %.2f MiB (%.2f%% of the"
           " database), %s\n",
           nchange, extents, 100.0 * (double)nchange / (double)extents, diff.db_bytes_read,
           100.0 * (double)diff.db_bytes_read / (double)db_bytes, diff.extents,
           diff.extents_saved, bench_mib((double)diff.backup_size),
           100.0 * (double)diff.backup_size / (double)db_bytes,
           diff.scanned ? "SCANNED (the DCM was not used)" : "from the DCM");
    printf("diff --scan:                    db_bytes_read %lld, extents_saved %lld, media %.2f MiB\n",
           scan.db_bytes_read, scan.extents_saved, bench_mib((double)scan.backup_size));

    y_rss_max = y_none.rss_kib;
    if (y_zstd.rss_kib > y_rss_max)
        y_rss_max = y_zstd.rss_kib;
    if (y_diff.rss_kib > y_rss_max)
        y_rss_max = y_diff.rss_kib;
    if (y_scan.rss_kib > y_rss_max)
        y_rss_max = y_scan.rss_kib;
    printf("\ntargets:\n");
    printf("  %s  yedek full --compress none throughput / cp's = %.3f (target >= %.2f)\n",
           bench_verdict(cp.best_s / y_none.best_s >= TARGET_PLAIN), cp.best_s / y_none.best_s,
           TARGET_PLAIN);
    printf("  %s  yedek full --compress zstd:3 time / zstd -3 -T1's = %.3f (target <= %.2f)\n",
           bench_verdict(y_zstd.best_s / zs.best_s <= TARGET_ZSTD), y_zstd.best_s / zs.best_s,
           TARGET_ZSTD);
    printf("  %s  diff time / full time = %.4f (target < %.2f)%s\n",
           bench_verdict(y_diff.best_s / y_none.best_s < TARGET_DIFF && !diff.scanned),
           y_diff.best_s / y_none.best_s, TARGET_DIFF, diff.scanned ? "; the diff SCANNED" : "");
    printf("  %s  peak RSS of every yedek run = %.1f MiB at most (full none %.1f, full zstd:3"
           " %.1f, diff %.1f, diff --scan %.1f; target < %d)\n",
           bench_verdict((double)y_rss_max / 1024.0 < TARGET_RSS_MIB), (double)y_rss_max / 1024.0,
           (double)y_none.rss_kib / 1024.0, (double)y_zstd.rss_kib / 1024.0,
           (double)y_diff.rss_kib / 1024.0, (double)y_scan.rss_kib / 1024.0, TARGET_RSS_MIB);
    printf("\ntotal %.1f s\n", bench_now_s() - t_start);

    bench_keep_or_remove(dir, o.keep);
    return 0;
}
