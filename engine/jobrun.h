/*
 * jobrun.h: running one scheduled job, the way SQL Server Agent with Ola
 * Hallengren's @ChangeBackupType does.
 *
 * A diff job on a database without a base full takes a full; a log job on
 * a broken chain takes a full (which starts a new chain); the run's
 * history says so.  Each run is a jobhistory row, written when it starts
 * and finished with its outcome, duration, bytes and error; a failed
 * run's error names the cause (disk full, permission, broken chain, lock
 * held).  After a successful run, the job's retention prunes what the
 * kept window does not need.
 */
#ifndef YEDEK_ENG_JOBRUN_H
#define YEDEK_ENG_JOBRUN_H

#include <stdint.h>

#include "backup.h"
#include "job.h"

/* What a job of type `requested` takes, given what the database has:
 * the actual type and, when it changed, why (into reason). */
typedef struct eng_job_facts {
    int has_base_full;   /* a regular full on the database's current fork */
    int chain_broken;
    char break_reason[256];
} eng_job_facts;

enum cat_backup_type eng_job_decide(enum cat_backup_type requested, const eng_job_facts *f,
                                    char *reason, size_t size);

/* Gather the facts for a database file (capture state and catalog). */
int eng_job_facts_read(catalog *cat, const char *db_path, eng_job_facts *f, yerr *e);

typedef struct eng_job_result {
    cat_job_run run;           /* as recorded */
    int lock_busy;             /* another backup of the database held its lock: not run */
} eng_job_result;

/* Run the job now; manual: by `job run` rather than on schedule.  Returns
 * 0 when the backup succeeded, else its error (also in r->run.error). */
int eng_job_run(catalog *cat, const cat_job *j, int manual, eng_job_result *r, yerr *e);

#endif
