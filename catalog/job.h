/*
 * job.h: scheduled backup jobs and their run history, kept in the catalog
 * as SQL Server Agent keeps its jobs in msdb.
 *
 * A job names a live database file, a backup type, a schedule (the
 * canonical text of catalog/schedule.h) and optionally a retention policy
 * applied after each successful run.  last_slot is the schedule slot the
 * last scheduled run served: a job is due when a slot later than it has
 * come, and running it serves the latest such slot, so a runner that was
 * down for a week catches up once, not once per missed slot.
 *
 * Each run is a jobhistory row: written as 'running' when it starts (so a
 * run killed mid-way stays visible as such) and finished with its outcome,
 * duration, bytes, the backup it made, and, when the type had to change
 * (a diff without a base, a log on a broken chain), why.
 */
#ifndef YEDEK_CAT_JOB_H
#define YEDEK_CAT_JOB_H

#include <stdint.h>

#include "backupset.h"
#include "schedule.h"

typedef struct cat_job {
    int64_t job_id;
    char name[CAT_NAME_BUF];
    char database_path[CAT_PATH_BUF];
    enum cat_backup_type type;
    char schedule[CAT_SCHED_BUF];
    int enabled;
    int keep_fulls, keep_days; /* 0: no such rule */
    char compress[32];         /* "" : the default */
    char key_file[CAT_PATH_BUF];
    int64_t created_time;
    int64_t last_slot;         /* 0: never ran on schedule */
} cat_job;

/* Insert; YERR_FAIL when a job of that name exists. */
int cat_job_add(catalog *cat, cat_job *j, yerr *e);
/* *found = 0 when there is no such job. */
int cat_job_get(catalog *cat, const char *name, cat_job *j, int *found, yerr *e);
typedef int (*cat_job_fn)(const cat_job *j, void *arg, yerr *e);
/* Every job, by name. */
int cat_job_list(catalog *cat, cat_job_fn fn, void *arg, yerr *e);
/* YERR_FAIL "no job ..." when there is none. */
int cat_job_remove(catalog *cat, const char *name, yerr *e);
int cat_job_set_enabled(catalog *cat, const char *name, int enabled, yerr *e);
int cat_job_set_last_slot(catalog *cat, const char *name, int64_t slot, yerr *e);

typedef struct cat_job_run {
    int64_t run_id;
    char job_name[CAT_NAME_BUF];
    char database_path[CAT_PATH_BUF];
    int manual;                      /* trigger: 'manual' or 'schedule' */
    enum cat_backup_type requested_type;
    int has_actual;                  /* actual_type known */
    enum cat_backup_type actual_type;
    char type_change_reason[256];
    int64_t start_time, end_time;    /* end 0 while running */
    int64_t bytes;
    enum { CAT_RUN_RUNNING, CAT_RUN_SUCCESS, CAT_RUN_FAILED } outcome;
    char error[1024];
    char backup_set_uuid[CAT_GUID_BUF];
    int pruned;
} cat_job_run;

/* Record a run starting (outcome running); sets run_id. */
int cat_jobhistory_start(catalog *cat, cat_job_run *r, yerr *e);
/* Record its end: every field of r. */
int cat_jobhistory_finish(catalog *cat, const cat_job_run *r, yerr *e);
typedef int (*cat_job_run_fn)(const cat_job_run *r, void *arg, yerr *e);
/* Runs of one job (NULL: all), newest first, at most `limit` (0: all). */
int cat_jobhistory_list(catalog *cat, const char *job, int limit, cat_job_run_fn fn, void *arg,
                        yerr *e);

#endif
