/*
 * bench_plan.c: how fast the restore planner is on a big catalog, and
 * whether its memory stays flat as the catalog grows.
 *
 * For each of two catalog sizes (N/10 and N backups, N = 1,000,000 unless
 * --rows says otherwise) it
 *   1. builds a catalog of realistic history in a temporary repository:
 *      per database a weekly full, a daily diff and a log every 15 minutes
 *      (1 full : 6 diffs : 672 logs a week), about 0.1% extra copy-only
 *      logs, all rows through one prepared INSERT in one transaction;
 *   2. closes it, reopens it (so SQLite's page cache starts empty; the OS
 *      cache stays warm) and plans P restores to random times and P to
 *      random LSNs inside random databases' histories, timing each
 *      cat_plan_find + cat_plan_free with CLOCK_MONOTONIC;
 *   3. checks every plan: it must succeed and have exactly the number of
 *      steps the schedule implies (the newest base at or before the target,
 *      then one log per 15 minutes up to it);
 *   4. reports the mean, p50, p99 and max milliseconds per plan and the
 *      mean steps, per target kind and per way of naming the database
 *      (name or GUID: cat_database_resolve runs a different query for
 *      each), plus VmRSS and VmHWM (/proc/self/status) right after
 *      reopening and after all plans, side by side for both sizes.
 *
 * The goal it states and checks is under 20 ms per plan.  This is a
 * benchmark, not a test: ctest does not run it.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backupset.h"
#include "catalog.h"
#include "error.h"
#include "isotime.h"
#include "plan.h"
#include "target.h"

#define SEC INT64_C(1000000)
#define SLOT (15 * 60 * SEC) /* a log backup every 15 minutes */
#define SLOTS_PER_DAY 96
#define SLOTS_PER_WEEK (7 * SLOTS_PER_DAY)
#define HISTORY_START INT64_C(1736035200000000) /* 2025-01-05T00:00:00Z, a Sunday */
#define COPY_ONLY_PER_MILLE 1                   /* ~0.1% of logs */
#define TARGET_MS 20.0

/* Every row's media_path is this one file.  The planner stat()s each
 * backup's media and routes around missing files, so the file must exist
 * or nothing would be restorable; one shared file keeps a million-row
 * catalog from needing a million files. */
#define MEDIA_PATH "media/shared"

/* ---- options -------------------------------------------------------------- */

enum by { BY_BOTH, BY_NAME, BY_GUID };

typedef struct options {
    int64_t rows;
    int dbs;
    int plans;
    int keep;
    enum by by;
    uint64_t seed;
} options;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bench_plan [--rows N] [--dbs N] [--plans N] [--by both|name|guid]\n"
            "                  [--seed N] [--keep] [--quick]\n"
            "  --rows N   backups in the large catalog (default 1000000); a catalog of\n"
            "             N/10 is measured too, side by side\n"
            "  --dbs N    databases the backups are spread over (default 100)\n"
            "  --plans N  plans per target kind (time, LSN) and size (default 200)\n"
            "  --by HOW   name the database to cat_plan_find by name, by GUID, or\n"
            "             both in turn (default both)\n"
            "  --seed N   random seed (default 1)\n"
            "  --keep     keep the temporary repository and print where it is\n"
            "  --quick    a smoke run: --rows 50000\n");
}

static int parse_num(const char *opt, const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    long long v;
    errno = 0;
    v = s ? strtoll(s, &end, 10) : 0;
    if (!s || errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "bench_plan: %s wants a number from %lld to %lld\n", opt,
                (long long)lo, (long long)hi);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_options(int argc, char **argv, options *o)
{
    o->rows = 1000000;
    o->dbs = 100;
    o->plans = 200;
    o->keep = 0;
    o->by = BY_BOTH;
    o->seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int64_t v;
        if (strcmp(a, "--rows") == 0) {
            if (parse_num(a, i + 1 < argc ? argv[++i] : NULL, 10, INT64_C(1) << 40, &v))
                return -1;
            o->rows = v;
        } else if (strcmp(a, "--dbs") == 0) {
            if (parse_num(a, i + 1 < argc ? argv[++i] : NULL, 1, 1000000, &v))
                return -1;
            o->dbs = (int)v;
        } else if (strcmp(a, "--plans") == 0) {
            if (parse_num(a, i + 1 < argc ? argv[++i] : NULL, 1, 10000000, &v))
                return -1;
            o->plans = (int)v;
        } else if (strcmp(a, "--seed") == 0) {
            if (parse_num(a, i + 1 < argc ? argv[++i] : NULL, 0, INT64_MAX, &v))
                return -1;
            o->seed = (uint64_t)v;
        } else if (strcmp(a, "--by") == 0) {
            const char *v = i + 1 < argc ? argv[++i] : "";
            if (strcmp(v, "both") == 0)
                o->by = BY_BOTH;
            else if (strcmp(v, "name") == 0)
                o->by = BY_NAME;
            else if (strcmp(v, "guid") == 0)
                o->by = BY_GUID;
            else {
                fprintf(stderr, "bench_plan: --by wants both, name or guid\n");
                return -1;
            }
        } else if (strcmp(a, "--keep") == 0) {
            o->keep = 1;
        } else if (strcmp(a, "--quick") == 0) {
            o->rows = 50000;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else {
            fprintf(stderr, "bench_plan: unknown option %s\n", a);
            usage(stderr);
            return -1;
        }
    }
    return 0;
}

/* ---- small helpers ------------------------------------------------------- */

static uint64_t rng = 1;

/* xorshift64*: fast, and the same history for the same seed. */
static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * UINT64_C(2685821657736338717);
}

/* Uniform in [lo, hi]. */
static int64_t rnd_in(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* "1,234,567" */
static const char *commas(int64_t v, char buf[32])
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)(v < 0 ? -v : v));
    int j = 0;
    if (v < 0)
        buf[j++] = '-';
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0)
            buf[j++] = ',';
        buf[j++] = tmp[i];
    }
    buf[j] = '\0';
    return buf;
}

static void die(const char *what, const yerr *e)
{
    fprintf(stderr, "bench_plan: %s: %s\n", what, e->msg);
    if (e->hint[0])
        fprintf(stderr, "  hint: %s\n", e->hint);
    exit(1);
}

/* VmRSS and VmHWM of this process, in KiB. */
static void read_mem(long *rss, long *hwm)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    *rss = *hwm = -1;
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            *rss = strtol(line + 6, NULL, 10);
        else if (strncmp(line, "VmHWM:", 6) == 0)
            *hwm = strtol(line + 6, NULL, 10);
    }
    fclose(f);
}

/* Reset VmHWM to the current RSS (Linux >= 4.0), so the peak measured is
 * the planning's and not the catalog build's.  1 when it worked. */
static int reset_hwm(void)
{
    int fd = open("/proc/self/clear_refs", O_WRONLY);
    int ok;
    if (fd < 0)
        return 0;
    ok = write(fd, "5", 1) == 1;
    close(fd);
    return ok;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0)
        fprintf(stderr, "bench_plan: remove %s: %s\n", path, strerror(errno));
    return 0;
}

static void rm_tree(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The temporary repository, removed at exit (a failed run included)
 * unless --keep. */
static char repo[4096];
static int keep_repo;

static void cleanup(void)
{
    if (!repo[0])
        return;
    if (keep_repo)
        printf("kept the repository %s\n", repo);
    else
        rm_tree(repo);
}

/* ---- the history ----------------------------------------------------------- */

/* One database's schedule as it is generated.  Slot k is the instant
 * t0 + k * 15 minutes: a log ends there (k > 0), and a full (k a multiple
 * of a week) or a diff (k a multiple of a day) is taken there. */
typedef struct dbgen {
    unsigned index;
    char name[16];
    char guid[CAT_GUID_BUF];
    char fork[CAT_GUID_BUF];
    int64_t t0;
    int64_t *lsn; /* lsn[k]: the database's LSN at slot k */
    size_t n_slots, cap_slots;
    int64_t next_delta; /* the LSN growth to the next slot, drawn ahead */
    uint64_t n_backups; /* for the backup_set_uuid */
    char full_uuid[CAT_GUID_BUF];
    int64_t full_ckpt;
    int has_full;
} dbgen;

/* One row to insert. */
typedef struct brow {
    enum cat_backup_type type;
    int copy_only;
    int64_t first_lsn, last_lsn, checkpoint_lsn;
    int has_db_lsn;
    int64_t db_lsn;
    int has_base;
    int64_t base_lsn;
    int begins_chain;
    int64_t first_time, last_time, start, finish;
    int64_t size;
} brow;

typedef struct loader {
    sqlite3 *db;
    sqlite3_stmt *ins;
    int64_t left; /* rows still to insert */
    /* Bound with SQLITE_STATIC, so they live as long as the statement. */
    char uuid[CAT_GUID_BUF];
    char times[4][YTIME_BUF];
} loader;

static int slot_push(dbgen *g, int64_t lsn)
{
    if (g->n_slots == g->cap_slots) {
        size_t cap = g->cap_slots ? g->cap_slots * 2 : 1024;
        int64_t *v = realloc(g->lsn, cap * sizeof *v);
        if (!v)
            return -1;
        g->lsn = v;
        g->cap_slots = cap;
    }
    g->lsn[g->n_slots++] = lsn;
    return 0;
}

/* Insert one row of database g; returns 1 when inserted, 0 when the row
 * budget is spent, -1 on error (message printed). */
static int put(loader *ld, dbgen *g, const brow *r)
{
    sqlite3_stmt *st = ld->ins;
    if (ld->left <= 0)
        return 0;
    snprintf(ld->uuid, sizeof ld->uuid, "%08x-0000-4000-8000-%012llx", g->index,
             (unsigned long long)g->n_backups);
    ytime_format(r->first_time, ld->times[0]);
    ytime_format(r->last_time, ld->times[1]);
    ytime_format(r->start, ld->times[2]);
    ytime_format(r->finish, ld->times[3]);
    sqlite3_bind_text(st, 1, ld->uuid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, g->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, g->guid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, g->fork, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, cat_backup_type_name(r->type), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, r->copy_only);
    sqlite3_bind_int64(st, 7, r->first_lsn);
    sqlite3_bind_int64(st, 8, r->last_lsn);
    sqlite3_bind_int64(st, 9, r->checkpoint_lsn);
    if (r->has_db_lsn)
        sqlite3_bind_int64(st, 10, r->db_lsn);
    else
        sqlite3_bind_null(st, 10);
    if (r->has_base) {
        sqlite3_bind_int64(st, 11, r->base_lsn);
        sqlite3_bind_text(st, 12, g->full_uuid, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(st, 11);
        sqlite3_bind_null(st, 12);
    }
    sqlite3_bind_int(st, 13, r->begins_chain);
    sqlite3_bind_text(st, 14, ld->times[0], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 15, ld->times[1], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 16, ld->times[2], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 17, ld->times[3], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 18, r->size);
    sqlite3_bind_text(st, 19, MEDIA_PATH, -1, SQLITE_STATIC);
    sqlite3_bind_null(st, 20);
    sqlite3_bind_int(st, 21, 0);
    sqlite3_bind_text(st, 22, "full", -1, SQLITE_STATIC);
    sqlite3_bind_null(st, 23);
    if (sqlite3_step(st) != SQLITE_DONE) {
        fprintf(stderr, "bench_plan: insert %s: %s\n", ld->uuid, sqlite3_errmsg(ld->db));
        sqlite3_reset(st);
        return -1;
    }
    sqlite3_reset(st);
    ld->left--;
    g->n_backups++;
    return 1;
}

/* A full or a diff at slot k. */
static int put_base(loader *ld, dbgen *g, size_t k, enum cat_backup_type type)
{
    int64_t lsn = g->lsn[k];
    int64_t floor_lsn = k ? g->lsn[k - 1] : 1;
    int64_t t = g->t0 + (int64_t)k * SLOT;
    int64_t days = (int64_t)(k % SLOTS_PER_WEEK) / SLOTS_PER_DAY;
    brow r;
    int rc;

    memset(&r, 0, sizeof r);
    r.type = type;
    /* first_lsn: the oldest active transaction, a little before. */
    r.first_lsn = lsn - rnd_in(0, 50);
    if (r.first_lsn < floor_lsn)
        r.first_lsn = floor_lsn;
    r.last_lsn = r.checkpoint_lsn = lsn;
    r.has_db_lsn = g->has_full;
    r.db_lsn = g->full_ckpt;
    r.first_time = r.last_time = t;
    if (type == CAT_FULL) {
        r.start = t - rnd_in(600, 3600) * SEC;
        r.size = rnd_in(INT64_C(8) << 30, INT64_C(12) << 30);
    } else {
        r.has_base = 1;
        r.base_lsn = g->full_ckpt;
        r.start = t - rnd_in(60, 600) * SEC;
        r.size = days * rnd_in(INT64_C(200) << 20, INT64_C(400) << 20);
    }
    r.finish = t + rnd_in(1, 30) * SEC;
    rc = put(ld, g, &r);
    if (rc == 1 && type == CAT_FULL) {
        /* The diffs that follow name this full as their base. */
        memcpy(g->full_uuid, ld->uuid, sizeof g->full_uuid);
        g->full_ckpt = lsn;
        g->has_full = 1;
    }
    return rc;
}

/* Everything database g backs up at slot k; 0 when the budget ran out. */
static int gen_slot(loader *ld, dbgen *g, size_t k)
{
    int64_t t = g->t0 + (int64_t)k * SLOT;
    int rc;

    if (k == 0) {
        if (ld->left <= 0)
            return 0;
        if (slot_push(g, rnd_in(1000, 100000)))
            return -1;
        g->next_delta = rnd_in(1, 200);
        rc = put_base(ld, g, 0, CAT_FULL);
        if (rc <= 0)
            return rc;
    } else {
        brow r;
        memset(&r, 0, sizeof r);
        r.type = CAT_LOG;
        r.first_lsn = g->lsn[k - 1]; /* the chain tiles the LSN line */
        r.last_lsn = r.first_lsn + g->next_delta;
        r.checkpoint_lsn = r.first_lsn;
        r.has_db_lsn = 1;
        r.db_lsn = g->full_ckpt;
        r.begins_chain = k == 1;
        r.first_time = t - SLOT;
        r.last_time = t;
        r.start = t;
        r.finish = t + rnd_in(1, 20) * SEC;
        r.size = rnd_in(INT64_C(1) << 20, INT64_C(64) << 20);
        rc = put(ld, g, &r);
        if (rc <= 0)
            return rc;
        if (slot_push(g, r.last_lsn))
            return -1;
        g->next_delta = rnd_in(1, 200);
        if (k % SLOTS_PER_WEEK == 0)
            rc = put_base(ld, g, k, CAT_FULL);
        else if (k % SLOTS_PER_DAY == 0)
            rc = put_base(ld, g, k, CAT_DIFF);
        if (rc <= 0)
            return rc;
    }
    if (rnd() % 1000 < COPY_ONLY_PER_MILLE) {
        /* A copy-only log half way to the next slot: it starts where the
         * chain stands and does not move it (the next regular log still
         * starts at lsn[k]). */
        brow r;
        memset(&r, 0, sizeof r);
        r.type = CAT_LOG;
        r.copy_only = 1;
        r.first_lsn = g->lsn[k];
        r.last_lsn = g->lsn[k] + (g->next_delta + 1) / 2;
        r.checkpoint_lsn = r.first_lsn;
        r.has_db_lsn = 1;
        r.db_lsn = g->full_ckpt;
        r.first_time = t;
        r.last_time = t + SLOT / 2;
        r.start = r.last_time;
        r.finish = r.last_time + rnd_in(1, 20) * SEC;
        r.size = rnd_in(INT64_C(1) << 20, INT64_C(32) << 20);
        rc = put(ld, g, &r);
        if (rc <= 0)
            return rc;
    }
    return 1;
}

static int exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "bench_plan: %s: %s\n", sql, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Build the catalog at `path` with `rows` backups over the databases in g. */
static void build(const char *path, const char *repo, int64_t rows, dbgen *g, int n_dbs)
{
    catalog *cat;
    loader ld;
    sqlite3_stmt *fork = NULL;
    yerr e;
    int rc = 1;

    yerr_clear(&e);
    if (cat_open(path, repo, CAT_OPEN_CREATE, &cat, &e))
        die("create catalog", &e);
    memset(&ld, 0, sizeof ld);
    ld.db = cat_sqlite(cat);
    ld.left = rows;
    /* A bigger page cache while loading keeps the indexes' hot pages in
     * memory; the planning later runs with the default. */
    if (exec(ld.db, "PRAGMA synchronous=OFF; PRAGMA cache_size=-65536")
        || cat_prepare(cat, "INSERT INTO backupset (" CAT_BACKUPSET_COLUMNS ") VALUES"
                            " (NULL,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       &ld.ins, &e)
        || cat_prepare(cat, "INSERT INTO recoveryfork (fork_guid, database_guid,"
                            " parent_fork_guid, fork_point_lsn, created_time)"
                            " VALUES (?, ?, NULL, NULL, ?)",
                       &fork, &e)
        || cat_tx_begin(cat, &e))
        die("prepare the load", &e);

    for (int d = 0; d < n_dbs; d++) {
        char created[YTIME_BUF];
        memset(&g[d], 0, sizeof g[d]);
        g[d].index = (unsigned)d;
        snprintf(g[d].name, sizeof g[d].name, "db%03d", d);
        snprintf(g[d].guid, sizeof g[d].guid, "%08x-d000-4000-8000-000000000000", d);
        snprintf(g[d].fork, sizeof g[d].fork, "%08x-f000-4000-8000-000000000000", d);
        /* Databases' schedules are a few seconds apart. */
        g[d].t0 = HISTORY_START + (int64_t)d * 9 * SEC;
        ytime_format(g[d].t0 - 3600 * SEC, created);
        sqlite3_bind_text(fork, 1, g[d].fork, -1, SQLITE_STATIC);
        sqlite3_bind_text(fork, 2, g[d].guid, -1, SQLITE_STATIC);
        sqlite3_bind_text(fork, 3, created, -1, SQLITE_STATIC);
        if (sqlite3_step(fork) != SQLITE_DONE) {
            fprintf(stderr, "bench_plan: insert fork: %s\n", sqlite3_errmsg(ld.db));
            exit(1);
        }
        sqlite3_reset(fork);
    }
    sqlite3_finalize(fork);

    /* Slot by slot across all databases, as the backups would have been
     * taken, so a database's rows are spread over the table like in a
     * real catalog rather than stored together. */
    for (size_t k = 0; rc > 0; k++)
        for (int d = 0; d < n_dbs && rc > 0; d++)
            rc = gen_slot(&ld, &g[d], k);
    if (rc < 0)
        exit(1);
    sqlite3_finalize(ld.ins);
    if (cat_tx_commit(cat, &e))
        die("commit the load", &e);
    if (exec(ld.db, "PRAGMA synchronous=NORMAL"))
        exit(1);
    cat_close(cat);
}

/* ---- targets ------------------------------------------------------------- */

typedef struct btarget {
    int db;
    cat_target t;
    size_t expect_steps;
} btarget;

/* Steps of the best plan to a state between slots: fl is the last slot at
 * or before the target, j the first slot at or after it.  The newest base
 * at or before fl is a diff (2 steps: its full and itself) unless it is a
 * week's full; then one log per slot from it to j.  A diff base always
 * beats the older full: it saves at least 96 logs for one extra step. */
static size_t expect_steps(size_t fl, size_t j)
{
    size_t b = fl - fl % SLOTS_PER_DAY;
    return (b % SLOTS_PER_WEEK == 0 ? 1 : 2) + (j - b);
}

static void make_targets(btarget *tt, int plans, const dbgen *g, int n_dbs)
{
    for (int i = 0; i < plans; i++) {
        /* Targets inside [the first full, slot n-2]: every row of those
         * slots was inserted (the last slot may lack its diff or full). */
        int d = (int)rnd_in(0, n_dbs - 1);
        const dbgen *x = &g[d];
        size_t last = x->n_slots - 2;
        btarget *a = &tt[2 * i], *b = &tt[2 * i + 1];
        int64_t t, l;
        size_t fl, j;

        memset(a, 0, sizeof *a);
        a->db = d;
        a->t.kind = CAT_TARGET_TIME;
        t = rnd_in(x->t0, x->t0 + (int64_t)last * SLOT);
        a->t.time = t;
        fl = (size_t)((t - x->t0) / SLOT);
        j = fl + ((t - x->t0) % SLOT != 0);
        a->expect_steps = expect_steps(fl, j);

        d = (int)rnd_in(0, n_dbs - 1);
        x = &g[d];
        last = x->n_slots - 2;
        memset(b, 0, sizeof *b);
        b->db = d;
        b->t.kind = CAT_TARGET_LSN;
        l = rnd_in(x->lsn[0], x->lsn[last]);
        b->t.lsn = l;
        {
            size_t lo = 0, hi = last; /* first slot with lsn >= l */
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (x->lsn[mid] < l)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            j = lo;
        }
        fl = x->lsn[j] == l ? j : j - 1;
        b->expect_steps = expect_steps(fl, j);
    }
}

/* ---- measuring ------------------------------------------------------------- */

/* ---- measuring ------------------------------------------------------------- */

/* Each plan counts in two groups: its target kind and how the database
 * was named. */
enum { G_TIME, G_LSN, G_NAME, G_GUID, N_GROUPS };
static const char *const GROUP_NAMES[N_GROUPS] = {
    "time target", "LSN target", "by name", "by GUID"};

typedef struct gstats {
    int n;
    double mean, p50, p99, max;
    double steps;
} gstats;

typedef struct result {
    int64_t rows;
    int dbs;
    double build_s;
    double db_mib;
    gstats g[N_GROUPS];
    long rss_open, rss_end, hwm_plans;
    int hwm_reset;
    int64_t sqlite_peak;
    int copy_only_plans;
    double first_ms; /* the first plan: schema load, empty page cache */
} result;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v. */
static double pct(const double *v, int n, double p)
{
    int i = (int)(p * n + 0.999999) - 1;
    if (i < 0)
        i = 0;
    if (i >= n)
        i = n - 1;
    return v[i];
}

static void summarize(double *ms, int n, size_t steps, gstats *s)
{
    double sum = 0;
    s->n = n;
    if (!n)
        return;
    qsort(ms, (size_t)n, sizeof *ms, cmp_double);
    for (int i = 0; i < n; i++)
        sum += ms[i];
    s->mean = sum / n;
    s->p50 = pct(ms, n, 0.50);
    s->p99 = pct(ms, n, 0.99);
    s->max = ms[n - 1];
    s->steps = (double)steps / n;
}

static void run_size(const char *repo, int64_t rows, const options *o, result *res)
{
    char path[4096];
    dbgen *g = calloc((size_t)o->dbs, sizeof *g);
    btarget *tt = calloc((size_t)o->plans * 2, sizeof *tt);
    double *ms[N_GROUPS];
    size_t steps[N_GROUPS] = {0};
    int nk[N_GROUPS] = {0};
    char c1[32];
    catalog *cat;
    struct stat st;
    double t0;
    yerr e;

    for (int k = 0; k < N_GROUPS; k++)
        if (!(ms[k] = calloc((size_t)o->plans * 2, sizeof(double)))) {
            fprintf(stderr, "bench_plan: out of memory\n");
            exit(1);
        }
    if (!g || !tt) {
        fprintf(stderr, "bench_plan: out of memory\n");
        exit(1);
    }
    memset(res, 0, sizeof *res);
    res->rows = rows;
    res->dbs = o->dbs;
    snprintf(path, sizeof path, "%s/catalog-%lld.db", repo, (long long)rows);

    fprintf(stderr, "building %s backups over %d databases in %s ...\n",
            commas(rows, c1), o->dbs, path);
    t0 = now_ms();
    build(path, repo, rows, g, o->dbs);
    res->build_s = (now_ms() - t0) / 1e3;
    if (stat(path, &st) == 0)
        res->db_mib = (double)st.st_size / (1 << 20);
    for (int d = 0; d < o->dbs; d++)
        if (g[d].n_slots < 3) {
            fprintf(stderr, "bench_plan: %s rows are too few for %d databases"
                            " (each needs a full and two logs)\n", commas(rows, c1), o->dbs);
            exit(2);
        }
    make_targets(tt, o->plans, g, o->dbs);
    /* The generator's memory is not the planner's: give it back before
     * measuring, heap included. */
    for (int d = 0; d < o->dbs; d++)
        free(g[d].lsn);
    malloc_trim(0);

    yerr_clear(&e);
    if (cat_open(path, repo, CAT_OPEN_EXISTING, &cat, &e))
        die("reopen catalog", &e);
    res->hwm_reset = reset_hwm();
    sqlite3_memory_highwater(1);
    read_mem(&res->rss_open, &res->hwm_plans);
    fprintf(stderr, "planning %d time and %d LSN targets ...\n", o->plans, o->plans);

    /* Time and LSN targets alternate; with --by both, the database is
     * named by name and by GUID in turn (pairs of plans), so each lookup
     * sees both kinds of target. */
    for (int i = 0; i < 2 * o->plans; i++) {
        const btarget *t = &tt[i];
        int kind = t->t.kind == CAT_TARGET_TIME ? G_TIME : G_LSN;
        int by_guid = o->by == BY_GUID || (o->by == BY_BOTH && (i / 2) % 2);
        const char *dbarg = by_guid ? g[t->db].guid : g[t->db].name;
        int groups[2] = {kind, by_guid ? G_GUID : G_NAME};
        cat_plan p;
        double a, b, c, took;
        int rc;
        char v[64];

        yerr_clear(&e);
        a = now_ms();
        rc = cat_plan_find(cat, dbarg, &t->t, &p, &e);
        b = now_ms();
        cat_target_value(&t->t, v, sizeof v);
        if (rc) {
            fprintf(stderr, "bench_plan: plan %s to %s %s failed (%d): %s\n", dbarg,
                    cat_target_kind_name(t->t.kind), v, rc, e.msg);
            exit(1);
        }
        if (p.n_steps != t->expect_steps
            || (t->t.kind == CAT_TARGET_LSN
                && (!p.restores_to_lsn_known || p.restores_to_lsn != t->t.lsn))) {
            fprintf(stderr, "bench_plan: plan %s to %s %s has %zu steps, expected %zu\n",
                    dbarg, cat_target_kind_name(t->t.kind), v, p.n_steps, t->expect_steps);
            exit(1);
        }
        for (size_t s = 0; s < p.n_steps; s++)
            if (p.steps[s].is_copy_only) {
                res->copy_only_plans++;
                break;
            }
        /* The time covers cat_plan_find and cat_plan_free, not the checks. */
        c = now_ms();
        cat_plan_free(&p);
        took = (b - a) + (now_ms() - c);
        if (i == 0)
            res->first_ms = took;
        for (int k = 0; k < 2; k++) {
            steps[groups[k]] += t->expect_steps;
            ms[groups[k]][nk[groups[k]]++] = took;
        }
    }
    read_mem(&res->rss_end, &res->hwm_plans);
    res->sqlite_peak = sqlite3_memory_highwater(0);
    cat_close(cat);
    malloc_trim(0);

    for (int k = 0; k < N_GROUPS; k++) {
        summarize(ms[k], nk[k], steps[k], &res->g[k]);
        free(ms[k]);
    }
    free(tt);
    free(g);
}

/* ---- the report -------------------------------------------------------------- */

static void label(const char *fmt, const char *a, const char *b)
{
    char buf[64];
    snprintf(buf, sizeof buf, fmt, a, b);
    printf("\n%-36s", buf);
}

static void report(const result *r, int n, const options *o)
{
    static const char *const what[] = {"mean", "p50", "p99", "max"};
    char b[32];
    int ok = 1;

    printf("\nyedek planner benchmark: SQLite %s, %d time + %d LSN targets per size,"
           " databases named %s\n",
           sqlite3_libversion(), o->plans, o->plans,
           o->by == BY_BOTH ? "by name and by GUID in turn"
           : o->by == BY_NAME ? "by name" : "by GUID");
    printf("goal: under %.0f ms per plan (p99), memory flat as the catalog grows\n\n",
           TARGET_MS);
    printf("%-36s", "rows (backups)");
    for (int i = 0; i < n; i++)
        printf("%16s", commas(r[i].rows, b));
    label("%s%s", "databases", "");
    for (int i = 0; i < n; i++)
        printf("%16d", r[i].dbs);
    label("%s%s", "build, s", "");
    for (int i = 0; i < n; i++)
        printf("%16.1f", r[i].build_s);
    label("%s%s", "catalog file, MiB", "");
    for (int i = 0; i < n; i++)
        printf("%16.0f", r[i].db_mib);
    for (int k = 0; k < N_GROUPS; k++) {
        if (!r[0].g[k].n)
            continue;
        printf("\n");
        label("%s: %s", GROUP_NAMES[k], "plans");
        for (int i = 0; i < n; i++)
            printf("%16d", r[i].g[k].n);
        for (int w = 0; w < 4; w++) {
            char unit[16];
            snprintf(unit, sizeof unit, "%s ms", what[w]);
            label("%s: %s", GROUP_NAMES[k], unit);
            for (int i = 0; i < n; i++) {
                const gstats *s = &r[i].g[k];
                const double v[] = {s->mean, s->p50, s->p99, s->max};
                printf("%16.2f", v[w]);
                if (w == 2 && v[w] >= TARGET_MS)
                    ok = 0;
            }
        }
        label("%s: %s", GROUP_NAMES[k], "steps/plan");
        for (int i = 0; i < n; i++)
            printf("%16.1f", r[i].g[k].steps);
    }
    printf("\n");
    label("%s%s", "first plan after reopen, ms", "");
    for (int i = 0; i < n; i++)
        printf("%16.2f", r[i].first_ms);
    label("%s%s", "plans using a copy-only log", "");
    for (int i = 0; i < n; i++)
        printf("%16d", r[i].copy_only_plans);
    label("%s%s", "VmRSS after reopen, KiB", "");
    for (int i = 0; i < n; i++)
        printf("%16ld", r[i].rss_open);
    label("%s%s", "VmRSS after plans, KiB", "");
    for (int i = 0; i < n; i++)
        printf("%16ld", r[i].rss_end);
    label("%s%s", r[0].hwm_reset ? "VmHWM during plans, KiB" : "VmHWM (whole run), KiB", "");
    for (int i = 0; i < n; i++)
        printf("%16ld", r[i].hwm_plans);
    label("%s%s", "growth (VmHWM - reopen RSS), KiB", "");
    for (int i = 0; i < n; i++)
        printf("%16ld", r[i].hwm_plans - r[i].rss_open);
    label("%s%s", "SQLite heap peak, KiB", "");
    for (int i = 0; i < n; i++)
        printf("%16lld", (long long)(r[i].sqlite_peak / 1024));
    printf("\n\n");
    if (!r[0].hwm_reset)
        printf("note: /proc/self/clear_refs unavailable; VmHWM includes the catalog build\n");
    printf("p99 %s %.0f ms per plan at every size, target kind and lookup: %s\n",
           ok ? "under" : "NOT under", TARGET_MS, ok ? "ok" : "MISSED");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    options o;
    char media[4200];
    const char *tmp = getenv("TMPDIR");
    result res[2];
    int64_t sizes[2];
    FILE *f;

    if (parse_options(argc, argv, &o))
        return 2;
    rng = o.seed * UINT64_C(0x9E3779B97F4A7C15) + 1;
    sizes[0] = o.rows / 10;
    sizes[1] = o.rows;

    snprintf(repo, sizeof repo, "%s/yedek-bench-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(repo)) {
        fprintf(stderr, "bench_plan: mkdtemp %s: %s\n", repo, strerror(errno));
        repo[0] = '\0';
        return 1;
    }
    keep_repo = o.keep;
    atexit(cleanup);
    snprintf(media, sizeof media, "%s/media", repo);
    if (mkdir(media, 0755) != 0) {
        fprintf(stderr, "bench_plan: mkdir %s: %s\n", media, strerror(errno));
        return 1;
    }
    snprintf(media, sizeof media, "%s/%s", repo, MEDIA_PATH);
    f = fopen(media, "w");
    if (!f || fputs("stand-in media for every backup of the benchmark\n", f) < 0 || fclose(f)) {
        fprintf(stderr, "bench_plan: create %s: %s\n", media, strerror(errno));
        return 1;
    }

    for (int i = 0; i < 2; i++)
        run_size(repo, sizes[i], &o, &res[i]);
    report(res, 2, &o);
    return 0;
}
