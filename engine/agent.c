/*
 * agent.c: passes of the job runner (see agent.h).
 */
#include "agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "isotime.h"
#include "schedule.h"

typedef struct jobs {
    cat_job *v;
    size_t n, cap;
} jobs;

static int collect(const cat_job *j, void *arg, yerr *e)
{
    jobs *l = arg;
    if (l->n == l->cap) {
        cat_job *v = realloc(l->v, (l->cap = l->cap ? l->cap * 2 : 16) * sizeof *v);
        if (!v)
            return yerr_oom(e);
        l->v = v;
    }
    l->v[l->n++] = *j;
    return 0;
}

static void say(const eng_agent *a, const char *line)
{
    if (a->log)
        a->log(a->log_arg, line);
    else
        fprintf(stderr, "yedek agent: %s\n", line);
}

void eng_agent_describe(const cat_job *j, const eng_job_result *r, char *buf, size_t size)
{
    const cat_job_run *run = &r->run;
    char bytes[32];
    snprintf(bytes, sizeof bytes, "%lld bytes", (long long)run->bytes);
    if (run->outcome == CAT_RUN_SUCCESS)
        snprintf(buf, size, "job %s: %s backup of %s done, %s in %.2f s%s%s%s%s", j->name,
                 cat_backup_type_name(run->actual_type), j->database_path, bytes,
                 (double)(run->end_time - run->start_time) / 1e6,
                 run->type_change_reason[0] ? " (" : "", run->type_change_reason,
                 run->type_change_reason[0] ? ")" : "", run->error[0] ? "; " : "");
    else
        snprintf(buf, size, "job %s: FAILED: %s", j->name, run->error);
    if (run->outcome == CAT_RUN_SUCCESS && run->error[0]) {
        size_t n = strlen(buf);
        snprintf(buf + n, size - n, "%s", run->error);
    }
}

typedef struct stale {
    cat_job_run *v;
    size_t n, cap;
} stale;

static int collect_running(const cat_job_run *r, void *arg, yerr *e)
{
    stale *s = arg;
    if (r->outcome != CAT_RUN_RUNNING)
        return 0;
    if (s->n == s->cap) {
        cat_job_run *v = realloc(s->v, (s->cap = s->cap ? s->cap * 2 : 4) * sizeof *v);
        if (!v)
            return yerr_oom(e);
        s->v = v;
    }
    s->v[s->n++] = *r;
    return 0;
}

int eng_agent_recover(catalog *cat, int *n, yerr *e)
{
    stale s = {NULL, 0, 0};
    *n = 0;
    if (cat_jobhistory_list(cat, NULL, 0, collect_running, &s, e) == 0) {
        for (size_t i = 0; i < s.n; i++) {
            int fd, busy = 0;
            yerr ignored;
            /* Still running somewhere: its database's backup lock is held. */
            if (cap_backup_lock(s.v[i].database_path, &fd, &busy, &ignored) != 0 && busy)
                continue;
            cap_backup_unlock(fd);
            s.v[i].outcome = CAT_RUN_FAILED;
            s.v[i].end_time = ytime_now();
            snprintf(s.v[i].error, sizeof s.v[i].error,
                     "interrupted: the process running it ended before it finished");
            if (cat_jobhistory_finish(cat, &s.v[i], e))
                break;
            (*n)++;
        }
    }
    free(s.v);
    return e->code;
}

int eng_agent_pass(eng_agent *a, int64_t now, int *ran, int64_t *next, yerr *e)
{
    jobs l = {NULL, 0, 0};
    char line[2048];

    *ran = 0;
    *next = INT64_MAX;
    if (cat_job_list(a->cat, collect, &l, e))
        goto out;
    for (size_t i = 0; i < l.n; i++) {
        cat_job *j = &l.v[i];
        cat_sched s;
        eng_job_result r;
        int64_t from = j->last_slot ? j->last_slot : j->created_time, slot, n;
        yerr why;

        yerr_clear(&why);
        if (!j->enabled)
            continue;
        if (cat_sched_parse(j->schedule, &s, &why)) {
            snprintf(line, sizeof line, "job %s: bad schedule: %s", j->name, why.msg);
            say(a, line);
            continue;
        }
        slot = cat_sched_latest(&s, from, now);
        if (slot != INT64_MIN && !(a->stop && *a->stop)) {
            int rc = a->exec ? a->exec(a->exec_arg, a->cat, j, &r, &why)
                             : eng_job_run(a->cat, j, 0, &r, &why);
            (*ran)++;
            if (rc && !r.run.run_id) {
                /* not even recorded: the catalog itself failed */
                *e = why;
                goto out;
            }
            eng_agent_describe(j, &r, line, sizeof line);
            say(a, line);
            if (!r.lock_busy) {
                if (cat_job_set_last_slot(a->cat, j->name, slot, e))
                    goto out;
                from = slot;
            }
        }
        n = cat_sched_next(&s, from > now ? from : now);
        if (n < *next)
            *next = n;
    }
out:
    free(l.v);
    return e->code;
}
