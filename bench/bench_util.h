/*
 * bench_util.h: the harness the benchmarks share (bench_backup,
 * bench_restore, bench_capture): timing, files, child processes measured
 * for wall time and peak RSS, the 1 GiB test database, the common options
 * and the table they print.  No global state: what a benchmark sets once
 * (its name, where a child's stderr goes, how many runs) travels in a
 * bench_ctx it owns.  Every failure exits the process (status 1, usage 2)
 * after a message on stderr that starts with the benchmark's name: a
 * benchmark of something that failed means nothing.
 *
 * Time and files
 *   bench_now_s()             CLOCK_MONOTONIC in seconds.
 *   bench_die(prog, w, y)     prints "PROG: W: Y" on stderr, exits 1.
 *   bench_file_size(path)     st_size, 0 when there is no such file.
 *   bench_rm_rf(path)         a file or a folder and all in it, removed
 *                             (nothing there is fine; links not followed).
 *   bench_show_file(path)     a child's stderr (kept in a file) on stderr,
 *                             each line behind "  | ".
 *   bench_tempdir(prog, parent, name, buf, size)
 *                             mkdtemp of PARENT/NAME.XXXXXX into buf; the
 *                             folder's path (buf), or exits.
 *   bench_keep_or_remove(dir, keep)
 *                             the end of a run: dir removed, or with keep
 *                             "kept DIR" printed on stdout.
 *
 * Children
 *   bench_run_child(c, argv, out_path, &wall, &rss_kib)
 *       argv once as a child (execvp): stdin /dev/null, stdout into
 *       out_path (NULL: /dev/null), stderr into c->err_path.  The peak RSS
 *       the forked copy inherits is reset through /proc/self/clear_refs
 *       before exec, so rss_kib (wait4's ru_maxrss, KiB; it covers the
 *       children the child waited for, so `sh -c 'cp && sync'` reports
 *       cp's) is the program's own.  wall is fork-to-reap time.  Either
 *       pointer may be NULL.  A child that fails (exit status not 0, or a
 *       signal) is printed with its stderr and the process exits 1.
 *   bench_measure(c, label, argv, fresh, out_path, on_best, arg, &m)
 *       one row: argv c->runs times (label and each time on stderr); before
 *       each run `fresh` (the previous run's output; NULL: nothing) is
 *       removed and sync() called, untimed.  m gets the fastest time and
 *       the largest peak RSS of all runs; on_best(arg) (NULL: none) is
 *       called right after each run that is the fastest so far, while
 *       out_path still holds that run's stdout.
 *   bench_rss_floor(c)        the peak RSS a child running `true` reports
 *                             (what every measured child costs at least).
 *
 * The test database
 *   bench_exec_or_die(prog, db, sql)
 *                             sqlite3_exec, or exits with SQLite's message.
 *   bench_build_db(prog, path, rows)
 *       creates the database: page size BENCH_PAGE_SIZE, one table t(id,
 *       b), `rows` rows of BENCH_ROW_BYTES, one per page, odd rows
 *       randomblob (incompressible), even rows a short phrase with the
 *       row's id repeated (compressible); built with journal_mode=OFF,
 *       synchronous=OFF through the unix VFS, then switched to WAL.  In a
 *       forked child, so SQLite's cache does not stay resident in this
 *       process (every measured child starts as a copy of it).
 *
 * Options (bench_backup's and bench_restore's common ones)
 *   bench_opts_init(o, yedek) defaults: --mb $YEDEK_BENCH_MB or 1024,
 *                             --runs 3, --dir $TMPDIR or /tmp, --yedek the
 *                             given program, no --keep.
 *   bench_opts_arg(o, argc, argv, &i)
 *                             1 when argv[i] is --mb/--runs/--dir/--yedek
 *                             (with its value: i moves past it) or --keep,
 *                             else 0 (a value missing at the end: 0).
 *   bench_opts_usage(f, prog, extra_synopsis, extra_help)
 *                             the usage text of those options, with a
 *                             benchmark's own after --runs (both strings
 *                             may be "").
 *   bench_bad_arg(arg, usage) an argument the benchmark does not take:
 *                             -h/--help prints usage on stdout, exits 0;
 *                             anything else on stderr, exits 2.
 *
 * The table
 *   bench_mib(bytes)          bytes in MiB.
 *   bench_verdict(ok)         "PASS" or "MISS".
 *   bench_table_header(width, first, mibs)
 *                             the header line of bench_row's columns.
 *   bench_row(width, name, m, bytes, ratio, against)
 *       one line: name (padded to width), best time, MiB/s over `bytes`,
 *       RSS in MiB, the ratio (0: "-") and what it is a ratio of.
 *   bench_print_method(runs, floor_kib, yedek)
 *       the three lines that say how the rows were measured.
 */
#ifndef YEDEK_BENCH_UTIL_H
#define YEDEK_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#define BENCH_PAGE_SIZE 4096
#define BENCH_ROW_BYTES 3800 /* one row per page: two would not fit in 4 KiB */
#define BENCH_EXTENT (64 * 1024)

/* What a benchmark sets once for its children and rows. */
typedef struct bench_ctx {
    const char *prog;     /* "bench_backup": the start of every message */
    const char *err_path; /* each child's stderr (rewritten by every child) */
    int runs;             /* bench_measure: each row the best of this many */
    int label_width;      /* bench_measure: labels padded to this on stderr */
    int arg_width;        /* a failed child's arguments after argv[0] cut to
                             this many bytes in the message; 0: whole */
    int install_hint;     /* a child exiting 127: suggest apt-get install */
} bench_ctx;

/* One row of the table. */
typedef struct bench_meas {
    double best_s; /* the fastest run */
    long rss_kib;  /* the largest peak RSS of all runs */
} bench_meas;

/* The options bench_backup and bench_restore share. */
typedef struct bench_opts {
    long mb;            /* database size in MiB (at least) */
    int runs;           /* each row: the best of this many */
    int keep;
    const char *parent; /* the temporary folder goes here */
    const char *yedek;
} bench_opts;

double bench_now_s(void);
_Noreturn void bench_die(const char *prog, const char *what, const char *why);
int64_t bench_file_size(const char *path);
void bench_rm_rf(const char *path);
void bench_show_file(const char *path);
const char *bench_tempdir(const char *prog, const char *parent, const char *name, char *buf,
                          size_t size);
void bench_keep_or_remove(const char *dir, int keep);

void bench_run_child(const bench_ctx *c, char *const argv[], const char *out_path, double *wall,
                     long *rss_kib);
void bench_measure(const bench_ctx *c, const char *label, char *const argv[], const char *fresh,
                   const char *out_path, void (*on_best)(void *arg), void *arg, bench_meas *m);
long bench_rss_floor(const bench_ctx *c);

void bench_exec_or_die(const char *prog, sqlite3 *db, const char *sql);
void bench_build_db(const char *prog, const char *path, long rows);

void bench_opts_init(bench_opts *o, const char *yedek);
int bench_opts_arg(bench_opts *o, int argc, char **argv, int *i);
void bench_opts_usage(FILE *f, const char *prog, const char *extra_synopsis,
                      const char *extra_help);
_Noreturn void bench_bad_arg(const char *arg, void (*usage)(FILE *f));

double bench_mib(double bytes);
const char *bench_verdict(int ok);
void bench_table_header(int width, const char *first, const char *mibs);
void bench_row(int width, const char *name, const bench_meas *m, double bytes, double ratio,
               const char *against);
void bench_print_method(int runs, long floor_kib, const char *yedek);

#endif
