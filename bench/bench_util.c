/*
 * bench_util.c: the benchmarks' shared harness (see bench_util.h).
 */
#include "bench_util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bench_die(const char *prog, const char *what, const char *why)
{
    fprintf(stderr, "%s: %s: %s\n", prog, what, why);
    exit(1);
}

int64_t bench_file_size(const char *path)
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

void bench_rm_rf(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void bench_show_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    while (f && fgets(line, sizeof line, f))
        fprintf(stderr, "  | %s", line);
    if (f)
        fclose(f);
}

const char *bench_tempdir(const char *prog, const char *parent, const char *name, char *buf,
                          size_t size)
{
    const char *dir;
    snprintf(buf, size, "%s/%s.XXXXXX", parent, name);
    if (!(dir = mkdtemp(buf)))
        bench_die(prog, buf, strerror(errno));
    return dir;
}

void bench_keep_or_remove(const char *dir, int keep)
{
    if (!keep)
        bench_rm_rf(dir);
    else
        printf("kept %s\n", dir);
}

void bench_run_child(const bench_ctx *c, char *const argv[], const char *out_path, double *wall,
                     long *rss_kib)
{
    struct rusage ru;
    int status = 0;
    double t0 = bench_now_s();
    pid_t pid = fork();

    if (pid < 0)
        bench_die(c->prog, "fork", strerror(errno));
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
        int err = open(c->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int in = open("/dev/null", O_RDONLY);
        if (out < 0 || err < 0 || in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0
            || dup2(err, 2) < 0)
            _exit(126);
        execvp(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (wait4(pid, &status, 0, &ru) != pid)
        bench_die(c->prog, "wait4", strerror(errno));
    if (wall)
        *wall = bench_now_s() - t0;
    if (rss_kib)
        *rss_kib = ru.ru_maxrss; /* KiB on Linux */
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "%s: `%s", c->prog, argv[0]);
        for (int i = 1; argv[i]; i++) {
            if (c->arg_width > 0)
                fprintf(stderr, " %.*s", c->arg_width, argv[i]);
            else
                fprintf(stderr, " %s", argv[i]);
        }
        fprintf(stderr, "` failed (%s %d); its stderr:\n",
                WIFEXITED(status) ? "exit" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        bench_show_file(c->err_path);
        if (c->install_hint && WIFEXITED(status) && WEXITSTATUS(status) == 127)
            fprintf(stderr, "%s: is %s installed? (apt-get install -y %s)\n", c->prog, argv[0],
                    argv[0]);
        exit(1);
    }
}

void bench_measure(const bench_ctx *c, const char *label, char *const argv[], const char *fresh,
                   const char *out_path, void (*on_best)(void *arg), void *arg, bench_meas *m)
{
    m->best_s = 1e30;
    m->rss_kib = 0;
    fprintf(stderr, "  %-*s", c->label_width, label);
    for (int i = 0; i < c->runs; i++) {
        double wall;
        long rss;
        if (fresh)
            bench_rm_rf(fresh);
        sync();
        bench_run_child(c, argv, out_path, &wall, &rss);
        fprintf(stderr, " %7.3f s", wall);
        if (rss > m->rss_kib)
            m->rss_kib = rss;
        if (wall < m->best_s) {
            m->best_s = wall;
            if (on_best)
                on_best(arg);
        }
    }
    fprintf(stderr, "\n");
}

long bench_rss_floor(const bench_ctx *c)
{
    char *a[] = {"true", NULL};
    long kib = 0;
    bench_run_child(c, a, NULL, NULL, &kib);
    return kib;
}

void bench_exec_or_die(const char *prog, sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        bench_die(prog, sql, err ? err : sqlite3_errmsg(db));
}

/* bench_build_db's child: through the unix VFS, with no journal and no
 * syncs (this is set-up, not what is measured). */
static void build_db(const char *prog, const char *path, long rows)
{
    sqlite3 *db = NULL;
    char sql[1024];

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "unix")
        != SQLITE_OK)
        bench_die(prog, path, db ? sqlite3_errmsg(db) : "out of memory");
    snprintf(sql, sizeof sql, "PRAGMA page_size=%d", BENCH_PAGE_SIZE);
    bench_exec_or_die(prog, db, sql);
    bench_exec_or_die(prog, db,
                      "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-65536");
    bench_exec_or_die(prog, db, "CREATE TABLE t(id INTEGER PRIMARY KEY, b BLOB NOT NULL)");
    /* Even rows: "row 00000042 of the yedek bench " (32 bytes) repeated
     * to BENCH_ROW_BYTES, built with replace() over a run of 'x' so it
     * costs BENCH_ROW_BYTES per row, not BENCH_ROW_BYTES per repeat. */
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < %ld)"
             " INSERT INTO t(id, b) SELECT i, CASE WHEN i %% 2 THEN randomblob(%d)"
             " ELSE CAST(substr(replace(printf('%%.%dc', 'x'), 'x',"
             "   printf('row %%08d of the yedek bench ', i)), 1, %d) AS BLOB) END FROM c",
             rows, BENCH_ROW_BYTES, BENCH_ROW_BYTES / 32 + 1, BENCH_ROW_BYTES);
    bench_exec_or_die(prog, db, sql);
    bench_exec_or_die(prog, db, "PRAGMA journal_mode=WAL");
    if (sqlite3_close(db) != SQLITE_OK)
        bench_die(prog, "close", path);
}

void bench_build_db(const char *prog, const char *path, long rows)
{
    int status = 0;
    pid_t pid = fork();

    if (pid < 0)
        bench_die(prog, "fork", strerror(errno));
    if (pid == 0) {
        build_db(prog, path, rows);
        _exit(0);
    }
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        bench_die(prog, "build the database", "failed (see above)");
}

void bench_opts_init(bench_opts *o, const char *yedek)
{
    const char *env = getenv("YEDEK_BENCH_MB");
    o->mb = env ? strtol(env, NULL, 10) : 1024;
    o->runs = 3;
    o->keep = 0;
    o->parent = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    o->yedek = yedek;
}

int bench_opts_arg(bench_opts *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    int has_value = *i + 1 < argc;

    if (strcmp(a, "--mb") == 0 && has_value)
        o->mb = strtol(argv[++*i], NULL, 10);
    else if (strcmp(a, "--runs") == 0 && has_value)
        o->runs = (int)strtol(argv[++*i], NULL, 10);
    else if (strcmp(a, "--dir") == 0 && has_value)
        o->parent = argv[++*i];
    else if (strcmp(a, "--yedek") == 0 && has_value)
        o->yedek = argv[++*i];
    else if (strcmp(a, "--keep") == 0)
        o->keep = 1;
    else
        return 0;
    return 1;
}

void bench_opts_usage(FILE *f, const char *prog, const char *extra_synopsis,
                      const char *extra_help)
{
    fprintf(f,
            "usage: %s [--mb N] [--runs N]%s [--dir DIR] [--yedek PATH] [--keep]\n"
            "  --mb N        database size in MiB, at least (default 1024, or $YEDEK_BENCH_MB)\n"
            "  --runs N      every row is the best of N runs (default 3)\n"
            "%s"
            "  --dir DIR     make the temporary folder in DIR (default $TMPDIR, else /tmp)\n"
            "  --yedek PATH  the yedek program (default the one built with this bench)\n"
            "  --keep        keep the temporary folder (its path is printed)\n",
            prog, extra_synopsis, extra_help);
}

void bench_bad_arg(const char *arg, void (*usage)(FILE *f))
{
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
        usage(stdout);
        exit(0);
    }
    usage(stderr);
    exit(2);
}

double bench_mib(double bytes)
{
    return bytes / (1024.0 * 1024.0);
}

const char *bench_verdict(int ok)
{
    return ok ? "PASS" : "MISS";
}

void bench_table_header(int width, const char *first, const char *mibs)
{
    printf("%-*s %8s %10s %9s %8s  %s\n", width, first, "wall s", mibs, "RSS MiB", "ratio",
           "ratio of");
}

void bench_row(int width, const char *name, const bench_meas *m, double bytes, double ratio,
               const char *against)
{
    char r[32] = "-";
    if (ratio > 0)
        snprintf(r, sizeof r, "%.3f", ratio);
    printf("%-*s %8.3f %10.0f %9.1f %8s  %s\n", width, name, m->best_s,
           bench_mib(bytes) / m->best_s, (double)m->rss_kib / 1024.0, r, against);
}

void bench_print_method(int runs, long floor_kib, const char *yedek)
{
    printf("each row: the best of %d run(s), each after removing the previous output and a"
           " sync(); page cache left warm; RSS: the largest of the runs\n",
           runs);
    printf("RSS floor: a child running `true` reports %.1f MiB\n", (double)floor_kib / 1024.0);
    printf("yedek: %s; SQLite %s (in this program)\n\n", yedek, sqlite3_libversion());
}
