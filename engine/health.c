/*
 * health.c: the health checks (see health.h).
 */
#include "health.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "capture.h"
#include "check.h"
#include "database.h"
#include "job.h"
#include "isotime.h"
#include "schedule.h"

#define HOUR_US (3600.0 * 1e6)

static const char *const KEYS[] = {"max_failures", "full_age_hours", "diff_age_hours",
                                   "log_age_factor", "duration_factor"};
static const double DEFAULTS[] = {3, 192, 26, 3, 1.5};
#define N_KEYS (sizeof KEYS / sizeof *KEYS)

const char *eng_health_level_name(enum eng_health_level l)
{
    return l == ENG_HEALTH_CRITICAL ? "critical"
           : l == ENG_HEALTH_WARNING ? "warning"
           : l == ENG_HEALTH_INFO    ? "info"
                                     : "ok";
}

int eng_health_set(catalog *cat, const char *database, const char *key, double value, yerr *e)
{
    sqlite3_stmt *st = NULL;
    size_t i;
    int rc;

    for (i = 0; i < N_KEYS && strcmp(KEYS[i], key) != 0; i++)
        ;
    if (i == N_KEYS)
        return yerr_set(e, YERR_USAGE, "health: unknown threshold '%s' (max_failures,"
                        " full_age_hours, diff_age_hours, log_age_factor, duration_factor)", key);
    if (value <= 0)
        return yerr_set(e, YERR_USAGE, "health: %s must be positive", key);
    if (cat_prepare(cat, "INSERT OR REPLACE INTO healthconfig (database_name, key, value)"
                         " VALUES (?,?,?)", &st, e))
        return e->code;
    sqlite3_bind_text(st, 1, database, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, value);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : cat_sql_error(cat, "set threshold", e);
}

static void thresholds(catalog *cat, const char *database, double *v)
{
    sqlite3_stmt *st = NULL;
    yerr ignored;
    memcpy(v, DEFAULTS, sizeof DEFAULTS);
    if (cat_prepare(cat, "SELECT key, value FROM healthconfig WHERE database_name = ?", &st,
                    &ignored))
        return;
    sqlite3_bind_text(st, 1, database, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW)
        for (size_t i = 0; i < N_KEYS; i++)
            if (strcmp((const char *)sqlite3_column_text(st, 0), KEYS[i]) == 0)
                v[i] = sqlite3_column_double(st, 1);
    sqlite3_finalize(st);
}

static void add(eng_health_db *d, const char *check, enum eng_health_level level, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));

static void add(eng_health_db *d, const char *check, enum eng_health_level level, const char *fmt,
                ...)
{
    eng_health_check *c;
    va_list ap;
    if (d->n_checks == ENG_HEALTH_MAX_CHECKS)
        return;
    c = &d->checks[d->n_checks++];
    snprintf(c->check, sizeof c->check, "%s", check);
    c->level = level;
    va_start(ap, fmt);
    vsnprintf(c->message, sizeof c->message, fmt, ap);
    va_end(ap);
    if (level != ENG_HEALTH_INFO && level > d->level)
        d->level = level;
}

/* A job and the database its file is: by the GUID its capture state
 * holds, or (state unreadable: the file is gone) by its catalog name. */
typedef struct jobinfo {
    cat_job job;
    char guid[CAT_GUID_BUF];
    char name[CAT_NAME_BUF];
    int broken;
    char reason[256];
} jobinfo;

typedef struct ctx {
    catalog *cat;
    int64_t now;
    jobinfo *jobs;
    size_t n_jobs, cap_jobs;
    eng_health *h;
} ctx;

static int collect_job(const cat_job *j, void *arg, yerr *e)
{
    ctx *x = arg;
    capture *c = NULL;
    cap_point p;
    jobinfo *ji;
    yerr ignored;

    if (x->n_jobs == x->cap_jobs) {
        jobinfo *v = realloc(x->jobs, (x->cap_jobs = x->cap_jobs ? x->cap_jobs * 2 : 8) * sizeof *v);
        if (!v)
            return yerr_oom(e);
        x->jobs = v;
    }
    ji = &x->jobs[x->n_jobs++];
    memset(ji, 0, sizeof *ji);
    ji->job = *j;
    ji->broken = -1;
    cat_database_name_from_path(j->database_path, ji->name);
    yerr_clear(&ignored);
    /* The capture state as it stands: no capture step, the database untouched. */
    if (cap_open_tail(j->database_path, &c, &ignored) == 0
        && cap_point_take(c, 0, &p, &ignored) == 0) {
        snprintf(ji->guid, sizeof ji->guid, "%s", p.state.guid);
        ji->broken = p.state.broken;
        snprintf(ji->reason, sizeof ji->reason, "%s", p.state.break_reason);
        cap_point_free(&p);
    }
    cap_close(c);
    return 0;
}

static int64_t last_finish(catalog *cat, const char *guid, const char *type)
{
    sqlite3_stmt *st = NULL;
    yerr ignored;
    int64_t t = 0;
    if (cat_prepare(cat, "SELECT max(backup_finish_date) FROM backupset WHERE database_guid = ?"
                         " AND type = ? AND is_damaged = 0", &st, &ignored))
        return 0;
    sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        ytime_parse((const char *)sqlite3_column_text(st, 0), &t, &ignored);
    sqlite3_finalize(st);
    return t;
}

static int64_t last_full_size(catalog *cat, const char *guid)
{
    sqlite3_stmt *st = NULL;
    yerr ignored;
    int64_t n = 0;
    if (cat_prepare(cat, "SELECT backup_size FROM backupset WHERE database_guid = ? AND type ="
                         " 'full' ORDER BY backup_finish_date DESC LIMIT 1", &st, &ignored))
        return 0;
    sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* Runs of the database's jobs, newest first. */
typedef struct runs {
    const ctx *x;
    const char *guid, *name;
    int failures, counting;
    const char *job;       /* for durations: one job */
    double durations[64];
    int n_durations;
} runs;

static int job_of(const jobinfo *ji, const char *guid, const char *name)
{
    return ji->guid[0] ? strcmp(ji->guid, guid) == 0 : strcmp(ji->name, name) == 0;
}

static int job_is_db(const ctx *x, const char *job, const char *guid, const char *name)
{
    for (size_t i = 0; i < x->n_jobs; i++)
        if (strcmp(x->jobs[i].job.name, job) == 0)
            return job_of(&x->jobs[i], guid, name);
    return 0;
}

static int count_run(const cat_job_run *r, void *arg, yerr *e)
{
    runs *u = arg;
    (void)e;
    if (r->outcome == CAT_RUN_RUNNING || !job_is_db(u->x, r->job_name, u->guid, u->name))
        return 0;
    if (u->counting && r->outcome == CAT_RUN_FAILED)
        u->failures++;
    else
        u->counting = 0;
    return 0;
}

static int duration_run(const cat_job_run *r, void *arg, yerr *e)
{
    runs *u = arg;
    (void)e;
    if (r->outcome == CAT_RUN_SUCCESS && u->n_durations < 64)
        u->durations[u->n_durations++] = (double)(r->end_time - r->start_time);
    return 0;
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One database: by the GUID the catalog knows it under, or, for a
 * database whose jobs never made a backup, by the job's view of it (guid
 * may be "" then, name is set). */
static int check_one(ctx *x, const char *guid, const char *name, yerr *e)
{
    eng_health_db *d;
    double v[N_KEYS];
    cat_check k;
    int has_diff_job = 0;
    double log_interval_h = 0;
    char broken_reason[256] = "";

    {
        eng_health_db *dbs = realloc(x->h->dbs, (x->h->n + 1) * sizeof *dbs);
        if (!dbs)
            return yerr_oom(e);
        x->h->dbs = dbs;
    }
    d = &x->h->dbs[x->h->n++];
    memset(d, 0, sizeof *d);
    d->chain_broken = -1;
    snprintf(d->guid, sizeof d->guid, "%s", guid);
    if (name) {
        snprintf(d->name, sizeof d->name, "%s", name);
    } else {
        if (cat_check_database(x->cat, guid, &k, e))
            return e->code;
        snprintf(d->name, sizeof d->name, "%s", k.database_name);
        cat_check_free(&k);
    }
    thresholds(x->cat, d->name, v);
    d->last_full = last_finish(x->cat, guid, "full");
    d->last_diff = last_finish(x->cat, guid, "diff");
    d->last_log = last_finish(x->cat, guid, "log");

    for (size_t i = 0; i < x->n_jobs; i++) {
        const jobinfo *ji = &x->jobs[i];
        cat_sched s;
        yerr ignored;
        if (!job_of(ji, guid, d->name))
            continue;
        if (ji->broken >= 0)
            d->chain_broken = d->chain_broken > 0 ? 1 : ji->broken;
        if (ji->broken > 0)
            snprintf(broken_reason, sizeof broken_reason, "%s", ji->reason);
        if (!ji->job.enabled)
            continue;
        has_diff_job |= ji->job.type == CAT_DIFF;
        if (ji->job.type == CAT_LOG && cat_sched_parse(ji->job.schedule, &s, &ignored) == 0) {
            int64_t a = cat_sched_next(&s, x->now), b = a != INT64_MAX ? cat_sched_next(&s, a)
                                                                       : INT64_MAX;
            if (b != INT64_MAX && (log_interval_h == 0 || (b - a) / HOUR_US < log_interval_h))
                log_interval_h = (double)(b - a) / HOUR_US;
        }
        {
            runs u;
            memset(&u, 0, sizeof u);
            u.x = x;
            u.guid = guid;
            if (cat_jobhistory_list(x->cat, ji->job.name, 64, duration_run, &u, e))
                return e->code;
            if (u.n_durations >= 4) {
                double last = u.durations[0], med;
                qsort(u.durations + 1, (size_t)u.n_durations - 1, sizeof(double), by_double);
                med = u.durations[1 + (u.n_durations - 1) / 2];
                if (med > 0 && last > v[4] * med)
                    add(d, "duration", ENG_HEALTH_INFO, "job %s took %.1f s, over %.1f times its"
                        " median %.1f s", ji->job.name, last / 1e6, v[4], med / 1e6);
            }
        }
    }
    if (d->chain_broken > 0)
        add(d, "chain", ENG_HEALTH_CRITICAL, "the log chain is broken: %s; the next log job"
            " takes a full", broken_reason);
    {
        runs u;
        memset(&u, 0, sizeof u);
        u.x = x;
        u.guid = guid;
        u.name = d->name;
        u.counting = 1;
        if (cat_jobhistory_list(x->cat, NULL, 0, count_run, &u, e))
            return e->code;
        d->failures = u.failures;
        if (u.failures >= (int)v[0])
            add(d, "failures", ENG_HEALTH_CRITICAL, "the last %d job runs failed", u.failures);
    }
    if (!d->last_full)
        add(d, "full_age", ENG_HEALTH_WARNING, "no full backup");
    else if ((double)(x->now - d->last_full) / HOUR_US > v[1])
        add(d, "full_age", ENG_HEALTH_WARNING, "the last full backup is %.1f hours old (over %g)",
            (double)(x->now - d->last_full) / HOUR_US, v[1]);
    if (has_diff_job && (!d->last_diff || (double)(x->now - d->last_diff) / HOUR_US > v[2]))
        add(d, "diff_age", ENG_HEALTH_WARNING, "the last diff backup is %s%.1f hours old (over %g)",
            d->last_diff ? "" : "missing: ", d->last_diff ? (double)(x->now - d->last_diff) / HOUR_US
                                                          : 0.0, v[2]);
    if (log_interval_h > 0
        && (!d->last_log || (double)(x->now - d->last_log) / HOUR_US > v[3] * log_interval_h))
        add(d, "log_age", ENG_HEALTH_WARNING, "the last log backup is %s%.2f hours old (over %g"
            " times the log job's %.2f h interval)", d->last_log ? "" : "missing: ",
            d->last_log ? (double)(x->now - d->last_log) / HOUR_US : 0.0, v[3], log_interval_h);
    {
        struct statvfs sv;
        int64_t need = last_full_size(x->cat, guid);
        if (need > 0 && statvfs(cat_repo_dir(x->cat), &sv) == 0
            && (int64_t)sv.f_bavail * (int64_t)sv.f_frsize < need)
            add(d, "free_space", ENG_HEALTH_WARNING, "the repository has %lld MiB free, the last"
                " full took %lld MiB", (long long)((int64_t)sv.f_bavail * (int64_t)sv.f_frsize >> 20),
                (long long)(need >> 20));
    }
    if (d->level > x->h->level)
        x->h->level = d->level;
    return 0;
}

static int check_db(const char *guid, void *arg, yerr *e)
{
    return check_one(arg, guid, NULL, e);
}

/* Databases with jobs but no backup yet (every run failed, or none ran):
 * they must show up too, or a policy that never worked stays silent. */
static int check_job_only(ctx *x, yerr *e)
{
    for (size_t i = 0; i < x->n_jobs; i++) {
        const jobinfo *ji = &x->jobs[i];
        int seen = 0;
        for (size_t k = 0; k < x->h->n && !seen; k++)
            seen = job_of(ji, x->h->dbs[k].guid, x->h->dbs[k].name);
        if (!seen && check_one(x, ji->guid, ji->name, e))
            return e->code;
    }
    return 0;
}

int eng_health_read(catalog *cat, int64_t now, eng_health *out, yerr *e)
{
    ctx x;
    memset(out, 0, sizeof *out);
    memset(&x, 0, sizeof x);
    x.cat = cat;
    x.now = now;
    x.h = out;
    if (cat_job_list(cat, collect_job, &x, e) == 0
        && cat_check_each_database(cat, check_db, &x, e) == 0)
        check_job_only(&x, e);
    free(x.jobs);
    if (e->code)
        eng_health_free(out);
    return e->code;
}

void eng_health_free(eng_health *h)
{
    free(h->dbs);
    memset(h, 0, sizeof *h);
}

int eng_health_prometheus(const eng_health *h, int64_t now, const char *path, yerr *e)
{
    char tmp[PATH_MAX + 8];
    FILE *f;

    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    f = fopen(tmp, "w");
    if (!f)
        return yerr_set(e, YERR_FAIL, "write %s: %s", tmp, strerror(errno));
    fprintf(f, "# HELP yedek_health_status 0 ok, 1 warning, 2 critical\n"
               "# TYPE yedek_health_status gauge\n");
    for (size_t i = 0; i < h->n; i++)
        fprintf(f, "yedek_health_status{database=\"%s\"} %d\n", h->dbs[i].name, h->dbs[i].level);
    fprintf(f, "# HELP yedek_last_backup_age_seconds age of the newest backup of each type\n"
               "# TYPE yedek_last_backup_age_seconds gauge\n");
    for (size_t i = 0; i < h->n; i++) {
        const eng_health_db *d = &h->dbs[i];
        const int64_t t[3] = {d->last_full, d->last_diff, d->last_log};
        static const char *const type[3] = {"full", "diff", "log"};
        for (int k = 0; k < 3; k++)
            if (t[k])
                fprintf(f, "yedek_last_backup_age_seconds{database=\"%s\",type=\"%s\"} %.3f\n",
                        d->name, type[k], (double)(now - t[k]) / 1e6);
    }
    fprintf(f, "# HELP yedek_consecutive_failures job runs failed in a row\n"
               "# TYPE yedek_consecutive_failures gauge\n");
    for (size_t i = 0; i < h->n; i++)
        fprintf(f, "yedek_consecutive_failures{database=\"%s\"} %d\n", h->dbs[i].name,
                h->dbs[i].failures);
    fprintf(f, "# HELP yedek_chain_broken 1 when capture reports a broken log chain\n"
               "# TYPE yedek_chain_broken gauge\n");
    for (size_t i = 0; i < h->n; i++)
        if (h->dbs[i].chain_broken >= 0)
            fprintf(f, "yedek_chain_broken{database=\"%s\"} %d\n", h->dbs[i].name,
                    h->dbs[i].chain_broken);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        yerr_set(e, YERR_FAIL, "write %s: %s", path, strerror(errno));
        unlink(tmp);
        return e->code;
    }
    return 0;
}
