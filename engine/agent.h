/*
 * agent.h: the job runner.
 *
 * One pass runs every enabled job that is due at `now`, one after the
 * other: a job is due when its schedule has a slot after the slot its last
 * scheduled run served (or after its creation), and running it serves the
 * latest such slot, so after downtime each job catches up once, not once
 * per missed slot.  A job refused because another backup of its database
 * holds the lock keeps its slot and is tried again at the next pass.
 *
 * `yedek agent` loops over passes until asked to stop (it finishes the
 * job in progress first); `yedek job run-due` is one pass, for cron or a
 * systemd timer.  The clock and the job executor are parameters, so tests
 * drive a month of schedules in seconds.
 */
#ifndef YEDEK_ENG_AGENT_H
#define YEDEK_ENG_AGENT_H

#include <signal.h>
#include <stdint.h>

#include "jobrun.h"

typedef int (*eng_agent_exec_fn)(void *arg, catalog *cat, const cat_job *j, eng_job_result *r,
                                 yerr *e);
typedef void (*eng_agent_log_fn)(void *arg, const char *line);

typedef struct eng_agent {
    catalog *cat;
    eng_agent_exec_fn exec;        /* NULL: eng_job_run */
    void *exec_arg;
    eng_agent_log_fn log;          /* NULL: stderr */
    void *log_arg;
    volatile sig_atomic_t *stop;   /* set by a signal handler: no new job starts */
} eng_agent;

/* Run the jobs due at now.  *ran counts the runs; *next is the earliest
 * instant a job falls due after this pass (INT64_MAX: none). */
int eng_agent_pass(eng_agent *a, int64_t now, int *ran, int64_t *next, yerr *e);

/* Runs recorded as running whose database no backup holds any more (the
 * process running them was killed) become failed, "interrupted".  *n
 * counts them.  The agent calls this when it starts. */
int eng_agent_recover(catalog *cat, int *n, yerr *e);

/* Describe a finished run in one line (the agent's log, `job run`). */
void eng_agent_describe(const cat_job *j, const eng_job_result *r, char *buf, size_t size);

#endif
