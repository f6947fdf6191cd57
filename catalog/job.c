/*
 * job.c: the job and jobhistory tables (see job.h).
 */
#include "job.h"

#include <stdio.h>
#include <string.h>

#include "isotime.h"

#define JOB_COLUMNS                                                                      \
    "job_id, name, database_path, type, schedule, enabled, keep_fulls, keep_days,"        \
    " compress, key_file, created_time, last_slot"

static void text_col(sqlite3_stmt *st, int i, char *out, size_t size)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(out, size, "%s", t ? (const char *)t : "");
}

static int time_col(sqlite3_stmt *st, int i, int64_t *out, yerr *e)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    *out = 0;
    return t ? ytime_parse((const char *)t, out, e) : 0;
}

static int read_job(sqlite3_stmt *st, cat_job *j, yerr *e)
{
    char type[8];
    int t;
    memset(j, 0, sizeof *j);
    j->job_id = sqlite3_column_int64(st, 0);
    text_col(st, 1, j->name, sizeof j->name);
    text_col(st, 2, j->database_path, sizeof j->database_path);
    text_col(st, 3, type, sizeof type);
    t = cat_backup_type_parse(type);
    if (t < 0)
        return yerr_set(e, YERR_FAIL, "job %s: bad type '%s'", j->name, type);
    j->type = (enum cat_backup_type)t;
    text_col(st, 4, j->schedule, sizeof j->schedule);
    j->enabled = sqlite3_column_int(st, 5);
    j->keep_fulls = sqlite3_column_int(st, 6);
    j->keep_days = sqlite3_column_int(st, 7);
    text_col(st, 8, j->compress, sizeof j->compress);
    text_col(st, 9, j->key_file, sizeof j->key_file);
    if (time_col(st, 10, &j->created_time, e) || time_col(st, 11, &j->last_slot, e))
        return yerr_ctx(e, "job %s", j->name);
    return 0;
}

static void bind_int_or_null(sqlite3_stmt *st, int i, int64_t v)
{
    if (v)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

int cat_job_add(catalog *cat, cat_job *j, yerr *e)
{
    sqlite3_stmt *st = NULL;
    int found = 0, rc;
    cat_job old;

    if (cat_job_get(cat, j->name, &old, &found, e))
        return e->code;
    if (found) {
        yerr_set(e, YERR_FAIL, "a job named '%s' exists", j->name);
        yerr_hint(e, "remove it first (yedek job remove %s), or choose another name", j->name);
        return e->code;
    }
    if (cat_prepare(cat,
                    "INSERT INTO job (name, database_path, type, schedule, enabled, keep_fulls,"
                    " keep_days, compress, key_file, created_time) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    &st, e))
        return yerr_ctx(e, "add job %s", j->name);
    sqlite3_bind_text(st, 1, j->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, j->database_path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, cat_backup_type_name(j->type), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, j->schedule, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, j->enabled ? 1 : 0);
    bind_int_or_null(st, 6, j->keep_fulls);
    bind_int_or_null(st, 7, j->keep_days);
    cat_bind_text_or_null(st, 8, j->compress);
    cat_bind_text_or_null(st, 9, j->key_file);
    cat_bind_time(st, 10, j->created_time);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return cat_sql_error(cat, "add job", e);
    j->job_id = sqlite3_last_insert_rowid(cat_sqlite(cat));
    return 0;
}

int cat_job_get(catalog *cat, const char *name, cat_job *j, int *found, yerr *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    *found = 0;
    if (cat_prepare(cat, "SELECT " JOB_COLUMNS " FROM job WHERE name = ?", &st, e))
        return yerr_ctx(e, "job %s", name);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *found = 1;
        read_job(st, j, e);
    } else if (rc != SQLITE_DONE) {
        cat_sql_error(cat, "read job", e);
    }
    sqlite3_finalize(st);
    return e->code;
}

int cat_job_list(catalog *cat, cat_job_fn fn, void *arg, yerr *e)
{
    sqlite3_stmt *st = NULL;
    cat_job j;
    int rc;

    if (cat_prepare(cat, "SELECT " JOB_COLUMNS " FROM job ORDER BY name", &st, e))
        return yerr_ctx(e, "list jobs");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (read_job(st, &j, e) || fn(&j, arg, e))
            break;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        cat_sql_error(cat, "list jobs", e);
    sqlite3_finalize(st);
    return e->code;
}

/* One UPDATE or DELETE of a job by name; "no job" when it touched none. */
static int job_change(catalog *cat, const char *sql, const char *name, int64_t v, int bind_v,
                      yerr *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (cat_prepare(cat, sql, &st, e))
        return yerr_ctx(e, "job %s", name);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (bind_v == 1)
        sqlite3_bind_int64(st, 2, v);
    else if (bind_v == 2)
        cat_bind_time(st, 2, v);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return cat_sql_error(cat, "change job", e);
    if (sqlite3_changes(cat_sqlite(cat)) == 0) {
        yerr_set(e, YERR_FAIL, "no job named '%s'", name);
        yerr_hint(e, "'yedek job list' shows the jobs");
        return e->code;
    }
    return 0;
}

int cat_job_remove(catalog *cat, const char *name, yerr *e)
{
    return job_change(cat, "DELETE FROM job WHERE name = ?1", name, 0, 0, e);
}

int cat_job_set_enabled(catalog *cat, const char *name, int enabled, yerr *e)
{
    return job_change(cat, "UPDATE job SET enabled = ?2 WHERE name = ?1", name, enabled ? 1 : 0, 1,
                      e);
}

int cat_job_set_last_slot(catalog *cat, const char *name, int64_t slot, yerr *e)
{
    return job_change(cat, "UPDATE job SET last_slot = ?2 WHERE name = ?1", name, slot, 2, e);
}

/* ---- history ---------------------------------------------------------------- */

static const char *outcome_name(int o)
{
    return o == CAT_RUN_SUCCESS ? "success" : o == CAT_RUN_FAILED ? "failed" : "running";
}

int cat_jobhistory_start(catalog *cat, cat_job_run *r, yerr *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (cat_prepare(cat,
                    "INSERT INTO jobhistory (job_name, database_path, trigger, requested_type,"
                    " start_time, outcome) VALUES (?,?,?,?,?,'running')",
                    &st, e))
        return yerr_ctx(e, "record job %s", r->job_name);
    sqlite3_bind_text(st, 1, r->job_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->database_path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->manual ? "manual" : "schedule", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, cat_backup_type_name(r->requested_type), -1, SQLITE_STATIC);
    cat_bind_time(st, 5, r->start_time);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return cat_sql_error(cat, "record job run", e);
    r->run_id = sqlite3_last_insert_rowid(cat_sqlite(cat));
    r->outcome = CAT_RUN_RUNNING;
    return 0;
}

int cat_jobhistory_finish(catalog *cat, const cat_job_run *r, yerr *e)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (cat_prepare(cat,
                    "UPDATE jobhistory SET actual_type = ?, type_change_reason = ?, end_time = ?,"
                    " duration_ms = ?, bytes = ?, outcome = ?, error = ?, backup_set_uuid = ?,"
                    " pruned = ? WHERE run_id = ?",
                    &st, e))
        return yerr_ctx(e, "record job %s", r->job_name);
    if (r->has_actual)
        sqlite3_bind_text(st, 1, cat_backup_type_name(r->actual_type), -1, SQLITE_STATIC);
    cat_bind_text_or_null(st, 2, r->type_change_reason);
    cat_bind_time(st, 3, r->end_time);
    sqlite3_bind_int64(st, 4, (r->end_time - r->start_time) / 1000);
    sqlite3_bind_int64(st, 5, r->bytes);
    sqlite3_bind_text(st, 6, outcome_name(r->outcome), -1, SQLITE_STATIC);
    cat_bind_text_or_null(st, 7, r->error);
    cat_bind_text_or_null(st, 8, r->backup_set_uuid);
    sqlite3_bind_int(st, 9, r->pruned);
    sqlite3_bind_int64(st, 10, r->run_id);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return cat_sql_error(cat, "record job run", e);
    return 0;
}

int cat_jobhistory_list(catalog *cat, const char *job, int limit, cat_job_run_fn fn, void *arg,
                        yerr *e)
{
    sqlite3_stmt *st = NULL;
    cat_job_run r;
    char buf[16];
    int rc, t;

    if (cat_prepare(cat,
                    "SELECT run_id, job_name, database_path, trigger, requested_type, actual_type,"
                    " type_change_reason, start_time, end_time, bytes, outcome, error,"
                    " backup_set_uuid, pruned FROM jobhistory WHERE (?1 IS NULL OR job_name = ?1)"
                    " ORDER BY start_time DESC, run_id DESC LIMIT ?2",
                    &st, e))
        return yerr_ctx(e, "job history");
    if (job)
        sqlite3_bind_text(st, 1, job, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, limit > 0 ? limit : -1);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&r, 0, sizeof r);
        r.run_id = sqlite3_column_int64(st, 0);
        text_col(st, 1, r.job_name, sizeof r.job_name);
        text_col(st, 2, r.database_path, sizeof r.database_path);
        text_col(st, 3, buf, sizeof buf);
        r.manual = strcmp(buf, "manual") == 0;
        text_col(st, 4, buf, sizeof buf);
        t = cat_backup_type_parse(buf);
        r.requested_type = t < 0 ? CAT_FULL : (enum cat_backup_type)t;
        text_col(st, 5, buf, sizeof buf);
        t = cat_backup_type_parse(buf);
        r.has_actual = t >= 0;
        r.actual_type = t < 0 ? CAT_FULL : (enum cat_backup_type)t;
        text_col(st, 6, r.type_change_reason, sizeof r.type_change_reason);
        if (time_col(st, 7, &r.start_time, e) || time_col(st, 8, &r.end_time, e))
            break;
        r.bytes = sqlite3_column_int64(st, 9);
        text_col(st, 10, buf, sizeof buf);
        r.outcome = strcmp(buf, "success") == 0  ? CAT_RUN_SUCCESS
                    : strcmp(buf, "failed") == 0 ? CAT_RUN_FAILED
                                                 : CAT_RUN_RUNNING;
        text_col(st, 11, r.error, sizeof r.error);
        text_col(st, 12, r.backup_set_uuid, sizeof r.backup_set_uuid);
        r.pruned = sqlite3_column_int(st, 13);
        if (fn(&r, arg, e))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        cat_sql_error(cat, "job history", e);
    sqlite3_finalize(st);
    return e->code;
}
