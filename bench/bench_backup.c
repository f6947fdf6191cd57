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
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#ifndef YEDEK_BIN
#error "YEDEK_BIN must name the yedek program"
#endif

#define PAGE_SIZE 4096
#define ROW_BYTES 3800 /* one row per page: two would not fit in 4 KiB */
#define EXTENT (64 * 1024)
#define CHANGE_PERCENT 1.0

#define TARGET_PLAIN 0.90 /* yedek none throughput / cp throughput, at least */
#define TARGET_ZSTD 1.10  /* yedek zstd:3 time / zstd -3 -T1 time, at most */
#define TARGET_DIFF 0.03  /* diff time / full time, under */
#define TARGET_RSS_MIB 64 /* every yedek run, under */

typedef struct options {
    long mb;           /* database size in MiB (at least) */
    int runs;          /* each row: the best of this many */
    int keep;
    const char *parent; /* the temporary folder goes here */
    const char *yedek;
} options;

/* One row of the table. */
typedef struct meas {
    double best_s;  /* the fastest run */
    long rss_kib;   /* the largest peak RSS of all runs */
} meas;

/* What a diff's --json output says (of its fastest run). */
typedef struct diff_info {
    long long db_bytes_read, extents, extents_saved, backup_size;
    int scanned;
} diff_info;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_backup: %s: %s\n", what, why);
    exit(1);
}

static int64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* A file or a folder, gone (nothing there is fine). */
static void rm_rf(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Print a child's stderr (kept in a file) after it failed. */
static void show_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    while (f && fgets(line, sizeof line, f))
        fprintf(stderr, "  | %s", line);
    if (f)
        fclose(f);
}

/*
 * Run argv once as a child: stdout into out_path (NULL: /dev/null), stderr
 * into err_path.  *wall gets fork-to-reap time, *rss_kib the child's peak
 * RSS (wait4's rusage covers the child and the children it waited for, so
 * `sh -c 'cp && sync'` reports cp's).  Exits on any failure: a benchmark of
 * a command that failed means nothing.
 */
static void run_child(char *const argv[], const char *out_path, const char *err_path, double *wall,
                      long *rss_kib)
{
    struct rusage ru;
    int status = 0;
    double t0 = now_s();
    pid_t pid = fork();

    if (pid < 0)
        die("fork", strerror(errno));
    if (pid == 0) {
        int out = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int cr = open("/proc/self/clear_refs", O_WRONLY);
        /* The forked copy inherits this process's peak RSS, and exec keeps
         * the larger of it and the program's own: "5" resets the peak to
         * what is resident now (this small process), so ru_maxrss is the
         * program's (see the floor printed at the start). */
        if (cr >= 0) {
            if (write(cr, "5", 1) != 1)
                _exit(125);
            close(cr);
        }
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int in = open("/dev/null", O_RDONLY);
        if (out < 0 || err < 0 || in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0
            || dup2(err, 2) < 0)
            _exit(126);
        execvp(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (wait4(pid, &status, 0, &ru) != pid)
        die("wait4", strerror(errno));
    *wall = now_s() - t0;
    *rss_kib = ru.ru_maxrss; /* KiB on Linux */
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_backup: `%s", argv[0]);
        for (int i = 1; argv[i]; i++)
            fprintf(stderr, " %s", argv[i]);
        fprintf(stderr, "` failed (%s %d); its stderr:\n",
                WIFEXITED(status) ? "exit" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        show_file(err_path);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
            fprintf(stderr, "bench_backup: is %s installed? (apt-get install -y %s)\n", argv[0],
                    argv[0]);
        exit(1);
    }
}

static void parse_diff_json(const char *path, diff_info *d)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    json_t *backup = root ? json_object_get(root, "backup") : NULL;

    if (!root || !backup)
        die(path, root ? "no \"backup\" object in yedek's JSON" : jerr.text);
    d->db_bytes_read = json_integer_value(json_object_get(root, "db_bytes_read"));
    d->extents = json_integer_value(json_object_get(root, "extents"));
    d->extents_saved = json_integer_value(json_object_get(root, "extents_saved"));
    d->scanned = json_is_true(json_object_get(root, "scanned"));
    d->backup_size = json_integer_value(json_object_get(backup, "backup_size"));
    json_decref(root);
}

/*
 * One row: argv the best of `runs` times.  Before each run, `fresh` (the
 * previous run's output file or repository; NULL: nothing) is removed and
 * everything synced, untimed.  With json set, stdout goes there and a
 * diff's output is parsed into *d from the fastest run.
 */
static void measure(const options *o, const char *dir, const char *label, char *const argv[],
                    const char *fresh, const char *json, diff_info *d, meas *m)
{
    char err_path[4200];
    snprintf(err_path, sizeof err_path, "%s/stderr.txt", dir);
    m->best_s = 1e30;
    m->rss_kib = 0;
    fprintf(stderr, "  %-36s", label);
    for (int i = 0; i < o->runs; i++) {
        double wall;
        long rss;
        if (fresh)
            rm_rf(fresh);
        sync();
        run_child(argv, json, err_path, &wall, &rss);
        fprintf(stderr, " %7.3f s", wall);
        if (rss > m->rss_kib)
            m->rss_kib = rss;
        if (wall < m->best_s) {
            m->best_s = wall;
            if (json && d)
                parse_diff_json(json, d);
        }
    }
    fprintf(stderr, "\n");
}

static void exec_or_die(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        die(sql, err ? err : sqlite3_errmsg(db));
}

/* The database: rows rows of ROW_BYTES, one per page, half compressible.
 * Through the unix VFS, with no journal and no syncs: this is set-up, not
 * what is measured. */
static void build_db(const char *path, long rows)
{
    sqlite3 *db = NULL;
    char sql[1024];

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "unix")
        != SQLITE_OK)
        die(path, db ? sqlite3_errmsg(db) : "out of memory");
    snprintf(sql, sizeof sql, "PRAGMA page_size=%d", PAGE_SIZE);
    exec_or_die(db, sql);
    exec_or_die(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-65536");
    exec_or_die(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB NOT NULL)");
    /* Even rows: "row 00000042 of the yedek bench " (32 bytes) repeated
     * to ROW_BYTES, built with replace() over a run of 'x' so it costs
     * ROW_BYTES per row, not ROW_BYTES per repeat. */
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < %ld)"
             " INSERT INTO t(id, b) SELECT i, CASE WHEN i %% 2 THEN randomblob(%d)"
             " ELSE CAST(substr(replace(printf('%%.%dc', 'x'), 'x',"
             "   printf('row %%08d of the yedek bench ', i)), 1, %d) AS BLOB) END FROM c",
             rows, ROW_BYTES, ROW_BYTES / 32 + 1, ROW_BYTES);
    exec_or_die(db, sql);
    exec_or_die(db, "PRAGMA journal_mode=WAL");
    if (sqlite3_close(db) != SQLITE_OK)
        die("close", path);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bench_backup [--mb N] [--runs N] [--dir DIR] [--yedek PATH] [--keep]\n"
            "  --mb N        database size in MiB, at least (default 1024, or $YEDEK_BENCH_MB)\n"
            "  --runs N      every row is the best of N runs (default 3)\n"
            "  --dir DIR     make the temporary folder in DIR (default $TMPDIR, else /tmp)\n"
            "  --yedek PATH  the yedek program (default the one built with this bench)\n"
            "  --keep        keep the temporary folder (its path is printed)\n");
}

static void parse(int argc, char **argv, options *o)
{
    const char *env = getenv("YEDEK_BENCH_MB");
    o->mb = env ? strtol(env, NULL, 10) : 1024;
    o->runs = 3;
    o->keep = 0;
    o->parent = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    o->yedek = YEDEK_BIN;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mb") == 0 && i + 1 < argc) {
            o->mb = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            o->runs = (int)strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            o->parent = argv[++i];
        } else if (strcmp(argv[i], "--yedek") == 0 && i + 1 < argc) {
            o->yedek = argv[++i];
        } else if (strcmp(argv[i], "--keep") == 0) {
            o->keep = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            exit(0);
        } else {
            usage(stderr);
            exit(2);
        }
    }
    /* Below 64 MiB 1% of the extents is under ten: no longer a 1% diff. */
    if (o->mb < 64 || o->runs < 1) {
        fprintf(stderr, "bench_backup: --mb must be at least 64, --runs at least 1\n");
        exit(2);
    }
}

static double mib(double bytes)
{
    return bytes / (1024.0 * 1024.0);
}

static const char *verdict(int ok)
{
    return ok ? "PASS" : "MISS";
}

/* One line of the table: time, throughput over the database's size, RSS,
 * a ratio (0: none) and what it is measured against. */
static void row(const char *name, const meas *m, double db_bytes, double ratio, const char *against)
{
    char r[32] = "-";
    if (ratio > 0)
        snprintf(r, sizeof r, "%.3f", ratio);
    printf("%-40s %8.3f %10.0f %9.1f %8s  %s\n", name, m->best_s, mib(db_bytes) / m->best_s,
           (double)m->rss_kib / 1024.0, r, against);
}

int main(int argc, char **argv)
{
    options o;
    char tmpl[4096], db[4200], out[4200], repo_none[4200], repo_zstd[4200], json[4200];
    char sql[1024], cmd_backup[4300], cmd_vacuum[4300];
    const char *dir;
    long rows;
    int64_t db_bytes;
    long extents, nchange, step;
    double t_start = now_s(), t_build;
    meas cp, cp_sync, y_none, zs, zs_sync, y_zstd, sq_backup, sq_vacuum, y_diff, y_scan;
    diff_info diff, scan;
    long y_rss_max, floor_kib = 0;

    parse(argc, argv, &o);
    snprintf(tmpl, sizeof tmpl, "%s/yedek-bench-backup.XXXXXX", o.parent);
    if (!(dir = mkdtemp(tmpl)))
        die(tmpl, strerror(errno));
    snprintf(db, sizeof db, "%s/bench.db", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(repo_none, sizeof repo_none, "%s/repo-none", dir);
    snprintf(repo_zstd, sizeof repo_zstd, "%s/repo-zstd", dir);
    snprintf(json, sizeof json, "%s/out.json", dir);

    /* One row per page: mb MiB of leaf pages, plus the interior pages. */
    rows = o.mb * (1024 * 1024 / PAGE_SIZE);
    fprintf(stderr, "bench_backup: building a %ld MiB database in %s\n", o.mb, dir);
    /* In a child: SQLite's cache would otherwise stay resident here, and
     * every measured child starts as a copy of this process. */
    {
        int status = 0;
        pid_t pid = fork();
        if (pid < 0)
            die("fork", strerror(errno));
        if (pid == 0) {
            build_db(db, rows);
            _exit(0);
        }
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            die("build the database", "failed (see above)");
    }
    db_bytes = file_size(db);
    {
        char *init[] = {(char *)o.yedek, "-q", "init", db, NULL};
        char err_path[4200];
        double w;
        long r;
        snprintf(err_path, sizeof err_path, "%s/stderr.txt", dir);
        run_child(init, NULL, err_path, &w, &r);
    }
    sync();
    t_build = now_s() - t_start;
    {
        char *a[] = {"true", NULL};
        char err_path[4200];
        double w;
        snprintf(err_path, sizeof err_path, "%s/stderr.txt", dir);
        run_child(a, NULL, err_path, &w, &floor_kib);
    }
    extents = (long)((db_bytes + EXTENT - 1) / EXTENT);
    nchange = (long)((double)extents * CHANGE_PERCENT / 100.0 + 0.5);
    step = rows / nchange;

    printf("bench_backup: %.1f MiB database (%ld rows of %d bytes, one per %d-byte page; odd"
           " rows random, even rows a repeated phrase), %ld extents of 64 KiB; built and put"
           " under capture in %.1f s\n",
           mib((double)db_bytes), rows, ROW_BYTES, PAGE_SIZE, extents, t_build);
    printf("each row: the best of %d run(s), each after removing the previous output and a"
           " sync(); page cache left warm; RSS: the largest of the runs\n",
           o.runs);
    printf("RSS floor: a child running `true` reports %.1f MiB\n", (double)floor_kib / 1024.0);
    printf("yedek: %s; SQLite %s (in this program)\n\n", o.yedek, sqlite3_libversion());

    /* The plain tools first, then yedek: the last regular full taken, the
     * --compress none one, is the DCM's base for the diff. */
    {
        char *a[] = {"cp", db, out, NULL};
        measure(&o, dir, "cp DB OUT", a, out, NULL, NULL, &cp);
    }
    {
        char *a[] = {"sh", "-c", "cp \"$1\" \"$2\" && sync \"$2\"", "sh", db, out, NULL};
        measure(&o, dir, "cp DB OUT && sync OUT", a, out, NULL, NULL, &cp_sync);
    }
    {
        char *a[] = {"zstd", "-3", "-T1", "-q", "-f", db, "-o", out, NULL};
        measure(&o, dir, "zstd -3 -T1", a, out, NULL, NULL, &zs);
    }
    {
        char *a[] = {"sh", "-c", "zstd -3 -T1 -q -f \"$1\" -o \"$2\" && sync \"$2\"", "sh", db,
                     out, NULL};
        measure(&o, dir, "zstd -3 -T1 && sync OUT", a, out, NULL, NULL, &zs_sync);
    }
    {
        char *a[] = {"sqlite3", db, cmd_backup, NULL};
        snprintf(cmd_backup, sizeof cmd_backup, ".backup '%s'", out);
        measure(&o, dir, "sqlite3 DB .backup", a, out, NULL, NULL, &sq_backup);
    }
    {
        char *a[] = {"sqlite3", db, cmd_vacuum, NULL};
        snprintf(cmd_vacuum, sizeof cmd_vacuum, "VACUUM INTO '%s'", out);
        measure(&o, dir, "sqlite3 DB VACUUM INTO", a, out, NULL, NULL, &sq_vacuum);
    }
    rm_rf(out);
    {
        char *a[] = {(char *)o.yedek, "-q", "-r", repo_zstd, "backup", "full", db,
                     "--compress", "zstd:3", NULL};
        measure(&o, dir, "yedek backup full --compress zstd:3", a, repo_zstd, NULL, NULL,
                &y_zstd);
        rm_rf(repo_zstd);
    }
    {
        char *a[] = {(char *)o.yedek, "-q", "-r", repo_none, "backup", "full", db,
                     "--compress", "none", NULL};
        measure(&o, dir, "yedek backup full --compress none", a, repo_none, NULL, NULL, &y_none);
    }

    /* 1% of the extents: one row every `step` rows is one page every
     * ~100 extents, each rewritten in place (same size) with new bytes. */
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i + 1 < %ld)"
             " UPDATE t SET b = randomblob(%d) WHERE id IN (SELECT %ld + i * %ld FROM k)",
             nchange, ROW_BYTES, step / 2 + 1, step);
    {
        char *a[] = {(char *)o.yedek, "-q", "sql", db, sql, NULL};
        char err_path[4200];
        double w;
        long r;
        snprintf(err_path, sizeof err_path, "%s/stderr.txt", dir);
        run_child(a, NULL, err_path, &w, &r);
        fprintf(stderr, "  updated %ld rows (1 in %ld) through capture in %.3f s\n", nchange,
                step, w);
    }
    memset(&diff, 0, sizeof diff);
    memset(&scan, 0, sizeof scan);
    {
        char *a[] = {(char *)o.yedek, "--json", "-q", "-r", repo_none, "backup", "diff", db,
                     "--compress", "none", NULL};
        measure(&o, dir, "yedek backup diff --compress none", a, NULL, json, &diff, &y_diff);
    }
    {
        char *a[] = {(char *)o.yedek, "--json", "-q", "-r", repo_none, "backup", "diff", db,
                     "--compress", "none", "--scan", NULL};
        measure(&o, dir, "yedek backup diff --scan", a, NULL, json, &scan, &y_scan);
    }

    printf("%-40s %8s %10s %9s %8s  %s\n", "command (DB = the database)", "wall s", "DB MiB/s",
           "RSS MiB", "ratio", "ratio of");
    row("cp DB OUT", &cp, (double)db_bytes, 0, "");
    row("yedek backup full --compress none", &y_none, (double)db_bytes, cp.best_s / y_none.best_s,
        "throughput / cp's");
    row("zstd -3 -T1 -q -f DB -o OUT", &zs, (double)db_bytes, 0, "");
    row("yedek backup full --compress zstd:3", &y_zstd, (double)db_bytes,
        y_zstd.best_s / zs.best_s, "time / zstd's");
    row("sqlite3 DB \".backup OUT\"", &sq_backup, (double)db_bytes,
        sq_backup.best_s / y_none.best_s, "time / yedek full none's");
    row("sqlite3 DB \"VACUUM INTO 'OUT'\"", &sq_vacuum, (double)db_bytes,
        sq_vacuum.best_s / y_none.best_s, "time / yedek full none's");
    row("yedek backup diff --compress none (1%)", &y_diff, (double)db_bytes,
        y_diff.best_s / y_none.best_s, "time / yedek full none's");
    row("yedek backup diff --scan (1%)", &y_scan, (double)db_bytes,
        y_scan.best_s / y_none.best_s, "time / yedek full none's");
    printf("for information (yedek syncs its media before publishing it; cp and zstd do not):\n");
    row("cp DB OUT && sync OUT", &cp_sync, (double)db_bytes, cp_sync.best_s / y_none.best_s,
        "yedek none throughput / this");
    row("zstd -3 -T1 ... && sync OUT", &zs_sync, (double)db_bytes,
        y_zstd.best_s / zs_sync.best_s, "yedek zstd:3 time / this");

    printf("\ndiff after changing %ld of %ld extents (%.2f%%): db_bytes_read %lld (%.2f%% of the"
           " database), extents %lld, extents_saved %lld, media %.2f MiB (%.2f%% of the"
           " database), %s\n",
           nchange, extents, 100.0 * (double)nchange / (double)extents, diff.db_bytes_read,
           100.0 * (double)diff.db_bytes_read / (double)db_bytes, diff.extents,
           diff.extents_saved, mib((double)diff.backup_size),
           100.0 * (double)diff.backup_size / (double)db_bytes,
           diff.scanned ? "SCANNED (the DCM was not used)" : "from the DCM");
    printf("diff --scan:                    db_bytes_read %lld, extents_saved %lld, media %.2f MiB\n",
           scan.db_bytes_read, scan.extents_saved, mib((double)scan.backup_size));

    y_rss_max = y_none.rss_kib;
    if (y_zstd.rss_kib > y_rss_max)
        y_rss_max = y_zstd.rss_kib;
    if (y_diff.rss_kib > y_rss_max)
        y_rss_max = y_diff.rss_kib;
    if (y_scan.rss_kib > y_rss_max)
        y_rss_max = y_scan.rss_kib;
    printf("\ntargets:\n");
    printf("  %s  yedek full --compress none throughput / cp's = %.3f (target >= %.2f)\n",
           verdict(cp.best_s / y_none.best_s >= TARGET_PLAIN), cp.best_s / y_none.best_s,
           TARGET_PLAIN);
    printf("  %s  yedek full --compress zstd:3 time / zstd -3 -T1's = %.3f (target <= %.2f)\n",
           verdict(y_zstd.best_s / zs.best_s <= TARGET_ZSTD), y_zstd.best_s / zs.best_s,
           TARGET_ZSTD);
    printf("  %s  diff time / full time = %.4f (target < %.2f)%s\n",
           verdict(y_diff.best_s / y_none.best_s < TARGET_DIFF && !diff.scanned),
           y_diff.best_s / y_none.best_s, TARGET_DIFF, diff.scanned ? "; the diff SCANNED" : "");
    printf("  %s  peak RSS of every yedek run = %.1f MiB at most (full none %.1f, full zstd:3"
           " %.1f, diff %.1f, diff --scan %.1f; target < %d)\n",
           verdict((double)y_rss_max / 1024.0 < TARGET_RSS_MIB), (double)y_rss_max / 1024.0,
           (double)y_none.rss_kib / 1024.0, (double)y_zstd.rss_kib / 1024.0,
           (double)y_diff.rss_kib / 1024.0, (double)y_scan.rss_kib / 1024.0, TARGET_RSS_MIB);
    printf("\ntotal %.1f s\n", now_s() - t_start);

    if (!o.keep)
        rm_rf(dir);
    else
        printf("kept %s\n", dir);
    return 0;
}
