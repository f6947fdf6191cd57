/*
 * bench_capture.c: what capture costs the application's writer.
 *
 * In one run, on one machine, four cases, each on a fresh database in a
 * temporary folder:
 *
 *   plain   / synchronous=NORMAL   the unix VFS, no capture
 *   capture / synchronous=NORMAL   the capture VFS (cap_vfs_register), after
 *                                  cap_init in FULL recovery
 *   plain   / synchronous=FULL
 *   capture / synchronous=FULL
 *
 * Each case runs N single-row INSERT transactions (autocommit, one prepared
 * statement, a 100-byte text payload) in WAL mode with SQLite's default
 * autocheckpoint, timing the loop with CLOCK_MONOTONIC and every commit on
 * its own (p50, p99, max).  Every 1000 transactions it samples the size of
 * the -wal file and keeps the largest.  For capture it then times the final
 * catch-up (cap_open + cap_advance with the connection still open), the
 * close (SQLite's last checkpoint, which capture precedes with a step) and
 * reports the engine log's size per transaction (DB-yedek/log / N).
 *
 * With --rounds R the four cases run R times, interleaved; each row shows
 * the round with the median wall time of that case.  --simple runs capture
 * in SIMPLE recovery (no page images) to separate the cost of copying pages
 * from the rest; --only CASE runs one case (for perf).
 *
 * The goal it states: capture/plain loop time at most 1.10 with
 * synchronous=NORMAL.  This is a benchmark, not a test: ctest does not run
 * it.
 *
 *   bench_capture [--txns N] [--rounds R] [--only CASE] [--simple] [--keep]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "bench_util.h"
#include "capture.h"
#include "error.h"
#include "vfs.h"

#define PROG "bench_capture"
#define TARGET_RATIO 1.10
#define SAMPLE_EVERY 1000

typedef struct options {
    long txns;
    int rounds;
    int keep;
    int only; /* -1: all four cases, else the one case to run (for profiling) */
    int simple; /* capture in SIMPLE recovery (no page images) */
} options;

typedef struct result {
    double loop_s;      /* the N transactions */
    double writer_cpu_s; /* CPU time of the writing thread during the loop */
    double other_cpu_s;  /* CPU time of the process's other threads (capture's) */
    double p50_us, p99_us, max_us;
    int64_t wal_max;    /* largest -wal size sampled */
    double catchup_s;   /* capture: cap_open + cap_advance after the loop */
    double close_s;     /* sqlite3_close (last checkpoint, capture's step) */
    int64_t log_bytes;  /* capture: DB-yedek/log after the catch-up */
    uint64_t lsn;       /* capture: next LSN after everything */
    int chain_intact;
    char break_reason[256];
} result;

/* Capture reports its own failures through sqlite3_log (it never fails the
 * application's write): show the first few, count all. */
static long capture_warnings;
static void log_cb(void *arg, int code, const char *msg)
{
    (void)arg;
    if (strncmp(msg, "yedek capture:", 14) != 0)
        return;
    if (capture_warnings++ < 5)
        fprintf(stderr, "  sqlite3_log(%d): %s\n", code, msg);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double cpu_s(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6
           + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* One case: a fresh database in dir, N transactions. */
static void run_case(const char *dir, int with_capture, int sync_full, int simple, long txns,
                     double *lat, result *r)
{
    char db_path[4096], wal_path[4200], log_path[4200], sql[128];
    const char *vfs = with_capture ? CAP_VFS_NAME : "unix";
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL;
    char payload[101];
    yerr e;
    double t0, t1;

    memset(r, 0, sizeof *r);
    snprintf(db_path, sizeof db_path, "%s/%s-%s.db", dir, with_capture ? "capture" : "plain",
             sync_full ? "full" : "normal");
    snprintf(wal_path, sizeof wal_path, "%s-wal", db_path);
    snprintf(log_path, sizeof log_path, "%s%s/log", db_path, CAP_DIR_SUFFIX);

    /* The database, created without capture. */
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "unix")
        != SQLITE_OK)
        bench_die(PROG, db_path, db ? sqlite3_errmsg(db) : "out of memory");
    bench_exec_or_die(PROG, db, "PRAGMA journal_mode=WAL");
    bench_exec_or_die(PROG, db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    sqlite3_close(db);
    db = NULL;
    if (with_capture) {
        fmt_cstate s;
        yerr_clear(&e);
        if (cap_init(db_path, "bench", simple ? FMT_RECOVERY_SIMPLE : FMT_RECOVERY_FULL, &s, &e))
            bench_die(PROG, "cap_init", e.msg);
    }

    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, vfs) != SQLITE_OK)
        bench_die(PROG, db_path, db ? sqlite3_errmsg(db) : "out of memory");
    snprintf(sql, sizeof sql, "PRAGMA synchronous=%s", sync_full ? "FULL" : "NORMAL");
    bench_exec_or_die(PROG, db, sql);
    if (sqlite3_prepare_v2(db, "INSERT INTO t(v) VALUES (?1)", -1, &ins, NULL) != SQLITE_OK)
        bench_die(PROG, "prepare", sqlite3_errmsg(db));
    memset(payload, 'x', 100);
    payload[100] = '\0';

    double cpu_self = cpu_s(RUSAGE_SELF), cpu_thread = cpu_s(RUSAGE_THREAD);
    t0 = bench_now_s();
    for (long i = 0; i < txns; i++) {
        double a = bench_now_s();
        snprintf(payload, sizeof payload, "%08ld", i);
        payload[8] = 'x';
        sqlite3_bind_text(ins, 1, payload, 100, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE)
            bench_die(PROG, "insert", sqlite3_errmsg(db));
        sqlite3_reset(ins);
        lat[i] = bench_now_s() - a;
        if ((i + 1) % SAMPLE_EVERY == 0) {
            int64_t w = bench_file_size(wal_path);
            if (w > r->wal_max)
                r->wal_max = w;
        }
    }
    t1 = bench_now_s();
    r->loop_s = t1 - t0;
    r->writer_cpu_s = cpu_s(RUSAGE_THREAD) - cpu_thread;
    r->other_cpu_s = cpu_s(RUSAGE_SELF) - cpu_self - r->writer_cpu_s;
    sqlite3_finalize(ins);

    if (with_capture) {
        capture *c = NULL;
        cap_status st;
        t0 = bench_now_s();
        yerr_clear(&e);
        if (cap_open(db_path, &c, &e) || cap_advance(c, &e))
            bench_die(PROG, "final catch-up", e.msg);
        r->catchup_s = bench_now_s() - t0;
        r->log_bytes = bench_file_size(log_path);
        cap_close(c);
        t0 = bench_now_s();
        sqlite3_close(db);
        r->close_s = bench_now_s() - t0;
        yerr_clear(&e);
        if (cap_open(db_path, &c, &e) || cap_status_read(c, &st, &e))
            bench_die(PROG, "status", e.msg);
        r->lsn = st.state.next_lsn;
        r->chain_intact = !st.state.broken;
        snprintf(r->break_reason, sizeof r->break_reason, "%s", st.state.break_reason);
        cap_close(c);
    } else {
        t0 = bench_now_s();
        sqlite3_close(db);
        r->close_s = bench_now_s() - t0;
    }

    qsort(lat, (size_t)txns, sizeof *lat, cmp_double);
    r->p50_us = lat[txns / 2] * 1e6;
    r->p99_us = lat[(size_t)((double)txns * 0.99)] * 1e6;
    r->max_us = lat[txns - 1] * 1e6;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_capture [--txns N] [--rounds R] [--only CASE] [--simple] [--keep]\n"
               "  --txns N     single-row INSERT transactions per case (default 100000)\n"
               "  --rounds R   run the four cases R times, interleaved; each row of the\n"
               "               table is then the round with the median wall time of that\n"
               "               case, and ratios are of medians (default 1)\n"
               "  --only CASE  run one case (plain-normal, capture-normal, plain-full,\n"
               "               capture-full), e.g. under perf\n"
               "  --simple     capture in SIMPLE recovery (no page images) instead of FULL\n"
               "  --keep       keep the temporary folder (its path is printed)\n");
}

static void parse(int argc, char **argv, options *o)
{
    o->txns = 100000;
    o->rounds = 1;
    o->keep = 0;
    o->only = -1;
    o->simple = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--txns") == 0 && i + 1 < argc) {
            o->txns = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
            o->rounds = (int)strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            static const char *ids[4] = {"plain-normal", "capture-normal", "plain-full",
                                         "capture-full"};
            i++;
            for (int k = 0; k < 4; k++)
                if (strcmp(argv[i], ids[k]) == 0)
                    o->only = k;
            if (o->only < 0) {
                usage(stderr);
                exit(2);
            }
        } else if (strcmp(argv[i], "--simple") == 0) {
            o->simple = 1;
        } else if (strcmp(argv[i], "--keep") == 0) {
            o->keep = 1;
        } else {
            bench_bad_arg(argv[i], usage);
        }
    }
    if (o->txns < SAMPLE_EVERY || o->rounds < 1) {
        fprintf(stderr, "bench_capture: --txns must be at least %d, --rounds at least 1\n",
                SAMPLE_EVERY);
        exit(2);
    }
}

static void mib(int64_t bytes, char *out, size_t size)
{
    snprintf(out, size, "%.1f MiB", (double)bytes / (1024.0 * 1024.0));
}

int main(int argc, char **argv)
{
    options o;
    char tmpl[] = "/tmp/yedek-bench-capture.XXXXXX";
    const char *dir;
    double *lat;
    result (*res)[4];
    static const char *names[4] = {"plain   NORMAL", "capture NORMAL", "plain   FULL",
                                   "capture FULL"};

    parse(argc, argv, &o);
    sqlite3_config(SQLITE_CONFIG_LOG, log_cb, NULL);
    if (cap_vfs_register() != SQLITE_OK)
        bench_die(PROG, "cap_vfs_register", "failed");
    if (!(dir = mkdtemp(tmpl)))
        bench_die(PROG, "mkdtemp", strerror(errno));
    lat = malloc(sizeof *lat * (size_t)o.txns);
    res = calloc((size_t)o.rounds, sizeof *res);
    if (!lat || !res)
        bench_die(PROG, "malloc", "out of memory");

    printf("bench_capture: %ld single-row INSERT transactions per case, WAL mode, "
           "autocheckpoint 1000 pages, capture in %s recovery, SQLite %s, %d round(s), in %s\n",
           o.txns, o.simple ? "SIMPLE" : "FULL", sqlite3_libversion(), o.rounds, dir);
    for (int round = 0; round < o.rounds; round++) {
        for (int k = 0; k < 4; k++) {
            char sub[4200];
            int with_capture = k % 2, full = k / 2;
            if (o.only >= 0 && k != o.only)
                continue;
            snprintf(sub, sizeof sub, "%s/r%d", dir, round);
            mkdir(sub, 0700);
            run_case(sub, with_capture, full, o.simple, o.txns, lat, &res[round][k]);
            fprintf(stderr, "  round %d: %s  %.2f s\n", round + 1, names[k],
                    res[round][k].loop_s);
            if (!o.keep) /* the engine log of a big run is large: free it now */
                bench_rm_rf(sub);
        }
    }

    /* Per case, the round with the median wall time. */
    result med[4];
    for (int k = 0; k < 4; k++) {
        double *t = malloc(sizeof *t * (size_t)o.rounds);
        for (int i = 0; i < o.rounds; i++)
            t[i] = res[i][k].loop_s;
        qsort(t, (size_t)o.rounds, sizeof *t, cmp_double);
        med[k] = res[0][k];
        for (int i = 0; i < o.rounds; i++)
            if (res[i][k].loop_s == t[o.rounds / 2])
                med[k] = res[i][k];
        free(t);
    }
    if (o.rounds > 1) {
        printf("wall seconds of every round:\n");
        for (int k = 0; k < 4; k++) {
            if (o.only >= 0 && k != o.only)
                continue;
            printf("  %s ", names[k]);
            for (int i = 0; i < o.rounds; i++)
                printf(" %7.2f", res[i][k].loop_s);
            printf("\n");
        }
    }

    result *r = med;
    printf("\n%-15s %9s %9s %9s %9s %9s %11s %11s %10s %12s %11s %11s\n", "case", "wall s",
           "txn/s", "p50 us", "p99 us", "max ms", "max WAL", "catch-up s", "close s",
           "log B/txn", "CPU us/txn", "+thread us");
    for (int k = 0; k < 4; k++) {
        char wal[32], logb[32] = "-", cu[32] = "-";
        if (o.only >= 0 && k != o.only)
            continue;
        mib(r[k].wal_max, wal, sizeof wal);
        if (k % 2) {
            snprintf(logb, sizeof logb, "%.0f", (double)r[k].log_bytes / (double)o.txns);
            snprintf(cu, sizeof cu, "%.3f", r[k].catchup_s);
        }
        printf("%-15s %9.2f %9.0f %9.1f %9.1f %9.2f %11s %11s %10.3f %12s %11.2f %11.2f\n",
               names[k], r[k].loop_s, (double)o.txns / r[k].loop_s, r[k].p50_us, r[k].p99_us,
               r[k].max_us / 1000.0, wal, cu, r[k].close_s, logb,
               r[k].writer_cpu_s * 1e6 / (double)o.txns, r[k].other_cpu_s * 1e6 / (double)o.txns);
    }
    if (o.only < 0) {
        printf("\n%-10s %18s %26s %12s\n", "sync", "capture/plain", "with catch-up + close",
               "target");
        for (int full = 0; full < 2; full++) {
            const result *p = &r[full * 2], *c = &r[full * 2 + 1];
            double ratio = c->loop_s / p->loop_s;
            double all = (c->loop_s + c->catchup_s + c->close_s) / (p->loop_s + p->close_s);
            printf("%-10s %18.3f %26.3f %12s\n", full ? "FULL" : "NORMAL", ratio, all,
                   full ? "-" : (ratio <= TARGET_RATIO ? "<= 1.10 ok" : "> 1.10 MISSED"));
        }
    }
    for (int k = 1; k < 4; k += 2) {
        if (o.only >= 0 && k != o.only)
            continue;
        if (r[k].lsn != (uint64_t)o.txns + 1 || !r[k].chain_intact)
            printf("WARNING: %s: capture ended at LSN %llu (expected %ld), chain %s%s%s\n",
                   names[k], (unsigned long long)r[k].lsn, o.txns + 1,
                   r[k].chain_intact ? "intact" : "BROKEN", r[k].chain_intact ? "" : ": ",
                   r[k].break_reason);
    }
    if (capture_warnings)
        printf("WARNING: capture reported %ld failure(s) through sqlite3_log (first ones on stderr)\n",
               capture_warnings);
    bench_keep_or_remove(dir, o.keep);
    free(lat);
    free(res);
    return 0;
}
