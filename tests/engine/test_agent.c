/*
 * test_agent.c: a month of schedules in seconds, with an injected clock.
 *
 * Three jobs on one database, in UTC: a full every Sunday 01:00 keeping
 * two fulls, a diff every day at 02:00, a log every hour.  The agent's
 * passes are driven every five minutes from Friday 2026-10-30 12:00 to
 * 2026-11-30; the job executor is a stand-in that records what a backup
 * would have registered (rows with LSNs that tile, media files), so the
 * scheduling, the change of backup type, retention and health are the
 * engine's own code on a realistic catalog.  Along the way: a chain break,
 * three failed runs in a row, and three days of downtime.  Checked:
 *   - each job ran at exactly its slots, and after the downtime caught up
 *     once (not once per missed slot);
 *   - the first diff and log, with no full yet, took a full, and so did the
 *     log after the break, each with its reason in the history;
 *   - after each Sunday full, retention kept two fulls and everything the
 *     kept window needs: every hour of the window still plans;
 *   - health at chosen instants: ok; critical after three failures; ok
 *     again after a success; warnings for stale diffs and logs during the
 *     downtime.
 * Prints "N passed, M failed".
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "health.h"
#include "isotime.h"
#include "oracle_common.h"
#include "plan.h"
#include "prune.h"

static checks g_checks;
#define check(...) check_at(&g_checks, __VA_ARGS__)

#define HOUR INT64_C(3600000000)
#define MIN5 (HOUR / 12)

typedef struct sim {
    char repo[PATH_MAX];
    int64_t now;
    int64_t lsn_base;        /* LSN = hours since start * 10 + 1 */
    int64_t start;
    int has_full;
    int64_t last_full_lsn;
    char last_full_uuid[CAT_GUID_BUF];
    int64_t last_log_lsn;    /* end of the last regular log; 0: none */
    int64_t last_log_time;
    int broken;              /* the capture chain is broken */
    int fail_next;           /* the next runs of the log job fail */
    int n;                   /* rows inserted */
    /* runs observed: (job initial, time, actual type) */
    struct run { char job; int64_t t; enum cat_backup_type type; char reason[160]; } runs[4096];
    int n_runs;
} sim;

static int64_t lsn_at(const sim *s, int64_t t)
{
    return (t - s->start) / HOUR * 10 + 1;
}

static int insert(sim *s, catalog *cat, enum cat_backup_type type, cat_backupset *row, yerr *e)
{
    char path[PATH_MAX * 2];
    int fd;

    memset(row, 0, sizeof *row);
    snprintf(row->backup_set_uuid, sizeof row->backup_set_uuid, "sim-%05d", s->n++);
    snprintf(row->database_name, sizeof row->database_name, "app");
    snprintf(row->database_guid, sizeof row->database_guid, "guid-app");
    snprintf(row->recovery_fork_guid, sizeof row->recovery_fork_guid, "fork-0");
    row->type = type;
    row->last_lsn = row->checkpoint_lsn = lsn_at(s, s->now);
    row->first_lsn = row->last_lsn;
    row->first_time = row->last_time = s->now;
    if (type == CAT_LOG) {
        row->first_lsn = s->last_log_lsn ? s->last_log_lsn : s->last_full_lsn;
        row->begins_log_chain = !s->last_log_lsn;
        row->first_time = s->last_log_lsn ? s->last_log_time : s->now;
    }
    if (type == CAT_DIFF) {
        row->differential_base_lsn.is_set = 1;
        row->differential_base_lsn.v = s->last_full_lsn;
        snprintf(row->differential_base_guid, sizeof row->differential_base_guid, "%s",
                 s->last_full_uuid);
    }
    row->backup_start_date = s->now;
    row->backup_finish_date = s->now + 1000000;
    row->backup_size = type == CAT_FULL ? 100000 : type == CAT_DIFF ? 5000 : 500;
    snprintf(row->media_path, sizeof row->media_path, "app/%s.ybk", row->backup_set_uuid);
    snprintf(row->recovery_model, sizeof row->recovery_model, "full");
    snprintf(path, sizeof path, "%s/%s", s->repo, row->media_path);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0)
        close(fd);
    return cat_tx_begin(cat, e) || cat_backupset_insert(cat, row, e) || cat_tx_commit(cat, e);
}

/* The stand-in for eng_job_run: the same decisions, a simulated backup. */
static int exec_job(void *arg, catalog *cat, const cat_job *j, eng_job_result *r, yerr *e)
{
    sim *s = arg;
    eng_job_facts f;
    cat_backupset row;
    cat_job_run *run = &r->run;

    memset(r, 0, sizeof *r);
    memset(&f, 0, sizeof f);
    f.has_base_full = s->has_full;
    f.chain_broken = s->broken;
    snprintf(f.break_reason, sizeof f.break_reason, "a write outside capture");
    snprintf(run->job_name, sizeof run->job_name, "%s", j->name);
    snprintf(run->database_path, sizeof run->database_path, "%s", j->database_path);
    run->requested_type = j->type;
    run->start_time = s->now;
    if (cat_jobhistory_start(cat, run, e))
        return e->code;
    run->actual_type = eng_job_decide(j->type, &f, run->type_change_reason,
                                      sizeof run->type_change_reason);
    run->has_actual = 1;
    run->end_time = s->now + 1000000;
    if (j->type == CAT_LOG && s->fail_next > 0) {
        s->fail_next--;
        run->outcome = CAT_RUN_FAILED;
        snprintf(run->error, sizeof run->error, "not enough free space (simulated)");
    } else if (insert(s, cat, run->actual_type, &row, e) == 0) {
        run->outcome = CAT_RUN_SUCCESS;
        run->bytes = row.backup_size;
        snprintf(run->backup_set_uuid, sizeof run->backup_set_uuid, "%s", row.backup_set_uuid);
        if (run->actual_type == CAT_FULL) {
            s->has_full = 1;
            s->broken = 0; /* a full starts a new chain */
            s->last_full_lsn = row.last_lsn;
            snprintf(s->last_full_uuid, sizeof s->last_full_uuid, "%s", row.backup_set_uuid);
            if (s->last_log_lsn == 0 || run->requested_type == CAT_LOG) {
                /* the log chain starts (again) at this full */
                s->last_log_lsn = row.last_lsn;
                s->last_log_time = s->now;
            }
        }
        if (run->actual_type == CAT_LOG) {
            s->last_log_lsn = row.last_lsn;
            s->last_log_time = s->now;
        }
        if (j->keep_fulls || j->keep_days) {
            cat_retention_policy p = {j->keep_fulls, j->keep_days};
            eng_prune_result pr;
            if (eng_prune(cat, "app", &p, s->now, 0, &pr, e) == 0)
                run->pruned = (int)pr.removed;
            eng_prune_result_free(&pr);
            if (e->code)
                return e->code;
        }
    } else {
        return e->code;
    }
    if (s->n_runs < 4096) {
        struct run *o = &s->runs[s->n_runs++];
        o->job = j->name[0];
        o->t = s->now;
        o->type = run->outcome == CAT_RUN_SUCCESS ? run->actual_type : (enum cat_backup_type)-1;
        snprintf(o->reason, sizeof o->reason, "%s", run->type_change_reason);
    }
    return cat_jobhistory_finish(cat, run, e) ? e->code : (run->outcome == CAT_RUN_FAILED);
}

static void quiet(void *arg, const char *line)
{
    (void)arg;
    (void)line;
}

static int64_t at(const char *iso)
{
    int64_t t = 0;
    yerr e;
    ytime_parse(iso, &t, &e);
    return t;
}

static int runs_of(const sim *s, char job, int64_t from, int64_t to, int64_t *first)
{
    int n = 0;
    for (int i = 0; i < s->n_runs; i++)
        if (s->runs[i].job == job && s->runs[i].t >= from && s->runs[i].t < to) {
            if (n++ == 0 && first)
                *first = s->runs[i].t;
        }
    return n;
}

static enum eng_health_level health_at(catalog *cat, int64_t now, const char *want_check)
{
    eng_health h;
    yerr e;
    enum eng_health_level l;
    int found = 0;
    yerr_clear(&e);
    if (eng_health_read(cat, now, &h, &e) || h.n != 1) {
        check(0, "health: %s", e.msg);
        return ENG_HEALTH_CRITICAL;
    }
    l = h.dbs[0].level;
    for (size_t i = 0; want_check && i < h.dbs[0].n_checks; i++)
        found |= strcmp(h.dbs[0].checks[i].check, want_check) == 0;
    if (want_check)
        check(found, "health names the '%s' check", want_check);
    eng_health_free(&h);
    return l;
}

static void add_job(catalog *cat, const char *name, enum cat_backup_type type, const char *spec,
                    int keep_fulls, int64_t created)
{
    cat_job j;
    cat_sched s;
    yerr e;
    memset(&j, 0, sizeof j);
    yerr_clear(&e);
    snprintf(j.name, sizeof j.name, "%s", name);
    snprintf(j.database_path, sizeof j.database_path, "/nonexistent/app.db");
    j.type = type;
    j.enabled = 1;
    j.keep_fulls = keep_fulls;
    j.created_time = created;
    check(cat_sched_parse(spec, &s, &e) == 0, "parse %s: %s", spec, e.msg);
    cat_sched_format(&s, j.schedule, sizeof j.schedule);
    check(cat_job_add(cat, &j, &e) == 0, "add job %s: %s", name, e.msg);
}

int main(void)
{
    static sim s;
    char catp[PATH_MAX + 16], appdir[PATH_MAX + 8];
    catalog *cat = NULL;
    eng_agent a;
    yerr e;
    int64_t end, down_from = at("2026-11-20T00:00:00Z"), down_to = at("2026-11-23T00:00:00Z");
    int64_t fail_at = at("2026-11-18T05:00:00Z"), break_at = at("2026-11-10T12:30:00Z");

    yerr_clear(&e);
    snprintf(s.repo, sizeof s.repo, "/tmp/yedek-agent-XXXXXX");
    if (!mkdtemp(s.repo))
        return 1;
    snprintf(catp, sizeof catp, "%s/catalog.db", s.repo);
    snprintf(appdir, sizeof appdir, "%s/app", s.repo);
    mkdir(appdir, 0700);
    if (cat_open(catp, s.repo, CAT_OPEN_CREATE, &cat, &e)) {
        check(0, "open catalog: %s", e.msg);
        goto done;
    }
    s.start = at("2026-10-30T12:00:00Z");
    add_job(cat, "full-weekly", CAT_FULL, "weekly sun 01:00 utc", 2, s.start);
    add_job(cat, "diff-daily", CAT_DIFF, "daily 02:00 utc", 0, s.start);
    add_job(cat, "log-hourly", CAT_LOG, "every 1h", 0, s.start);
    memset(&a, 0, sizeof a);
    a.cat = cat;
    a.exec = exec_job;
    a.exec_arg = &s;
    a.log = quiet;

    end = at("2026-11-30T00:00:00Z");
    for (s.now = s.start; s.now <= end; s.now += MIN5) {
        int ran;
        int64_t next;
        if (s.now > down_from && s.now < down_to)
            continue; /* the agent is down */
        if (s.now == break_at)
            s.broken = 1;
        if (s.now == fail_at)
            s.fail_next = 3;
        if (eng_agent_pass(&a, s.now, &ran, &next, &e) != 0) {
            check(0, "pass at %" PRId64 ": %s", s.now, e.msg);
            break;
        }
        /* Health at chosen instants, as a monitoring plugin would ask. */
        if (s.now == at("2026-11-15T12:00:00Z"))
            check(health_at(cat, s.now, NULL) == ENG_HEALTH_OK, "health ok on 2026-11-15");
        if (s.now == at("2026-11-18T07:30:00Z"))
            check(health_at(cat, s.now, "failures") == ENG_HEALTH_CRITICAL,
                  "health critical after three failed runs");
        if (s.now == at("2026-11-18T08:30:00Z"))
            check(health_at(cat, s.now, NULL) == ENG_HEALTH_OK,
                  "health ok again after a successful run");
        if (s.now == down_from)
            check(health_at(cat, s.now + 30 * HOUR, "diff_age") == ENG_HEALTH_WARNING
                      && health_at(cat, s.now + 30 * HOUR, "log_age") == ENG_HEALTH_WARNING,
                  "30 hours into the downtime, diffs and logs are stale: warning");
    }

    /* The schedule: each job at exactly its slots. */
    {
        int64_t first = 0;
        check(runs_of(&s, 'l', s.start, down_from, &first) == (int)((down_from - s.start) / HOUR) - 1,
              "log: one run an hour, 13:00 to 23:00 the night before the downtime (%d)",
              runs_of(&s, 'l', s.start, down_from, NULL));
        check(first == s.start + HOUR, "log: the first run at 13:00");
        check(runs_of(&s, 'l', down_from + 1, down_to + 1, NULL) == 1,
              "log: one catch-up run after three days down, not 72");
        check(runs_of(&s, 'd', s.start, down_from, &first) == 20 && first == at("2026-10-31T02:00:00Z"),
              "diff: daily at 02:00 (%d runs before the downtime)",
              runs_of(&s, 'd', s.start, down_from, NULL));
        check(runs_of(&s, 'd', down_from + 1, down_to + 1, NULL) == 1, "diff: one catch-up run");
        check(runs_of(&s, 'f', s.start, end + 1, NULL) == 5,
              "full: Sundays Nov 1, 8, 15, the catch-up for Nov 22 on Nov 23, Nov 29 (%d)",
              runs_of(&s, 'f', s.start, end + 1, NULL));
        check(runs_of(&s, 'f', at("2026-11-23T00:00:00Z"), at("2026-11-23T00:00:01Z"), NULL) == 1,
              "full: the missed Sunday ran once when the agent came back");
    }
    /* The change of backup type. */
    {
        int log_first_full = 0, diff_first_full = 0, after_break = 0;
        for (int i = 0; i < s.n_runs; i++) {
            const struct run *r = &s.runs[i];
            if (r->job == 'l' && r->t == s.start + HOUR)
                log_first_full = r->type == CAT_FULL && strstr(r->reason, "no full") != NULL;
            if (r->job == 'd' && r->t == at("2026-10-31T02:00:00Z"))
                diff_first_full = r->type == CAT_FULL || r->type == CAT_DIFF;
            if (r->job == 'l' && r->t == at("2026-11-10T13:00:00Z"))
                after_break = r->type == CAT_FULL && strstr(r->reason, "broken") != NULL;
        }
        check(log_first_full, "the first log job, with no full yet, took a full and says why");
        check(diff_first_full, "the first diff ran (its base is the log job's full)");
        check(after_break, "the log after the chain break took a full and says why");
    }
    /* Retention: two fulls kept, every hour of the window plans. */
    {
        sqlite3_stmt *st = NULL;
        int fulls = 0, bad = 0, hours = 0;
        int64_t win = 0;
        if (cat_prepare(cat, "SELECT count(*) FROM backupset WHERE type = 'full'", &st, &e) == 0
            && sqlite3_step(st) == SQLITE_ROW)
            fulls = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        check(fulls >= 2 && fulls <= 4, "retention kept %d fulls (two kept, plus the log-job fulls"
              " inside the window)", fulls);
        if (cat_prepare(cat, "SELECT min(last_time) FROM (SELECT last_time FROM backupset WHERE"
                             " type = 'full' AND is_copy_only = 0 ORDER BY last_time DESC LIMIT 2)",
                        &st, &e) == 0 && sqlite3_step(st) == SQLITE_ROW)
            ytime_parse((const char *)sqlite3_column_text(st, 0), &win, &e);
        sqlite3_finalize(st);
        for (int64_t t = win; win && t <= end - HOUR; t += HOUR, hours++) {
            cat_target tg;
            cat_plan p;
            memset(&tg, 0, sizeof tg);
            tg.kind = CAT_TARGET_TIME;
            tg.time = t;
            yerr_clear(&e);
            if (cat_plan_find(cat, "app", &tg, &p, &e) != 0 && bad++ < 3)
                fprintf(stderr, "  unreachable after prune: %s\n", e.msg);
            cat_plan_free(&p);
        }
        check(hours > 100 && bad == 0, "every hour of the kept window (%d hours) still plans (%d"
              " do not)", hours, bad);
    }
done:
    cat_close(cat);
    {
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof cmd, "rm -rf %s", s.repo);
        if (!getenv("YEDEK_TEST_KEEP") && system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", s.repo);
    }
    printf("%d passed, %d failed\n", g_checks.pass, g_checks.fail);
    return g_checks.fail ? 1 : 0;
}
