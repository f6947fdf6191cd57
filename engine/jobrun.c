/*
 * jobrun.c: one run of a job (see jobrun.h).
 */
#include "jobrun.h"

#include <stdio.h>
#include <string.h>

#include "capture.h"
#include "isotime.h"
#include "media.h"
#include "prune.h"

enum cat_backup_type eng_job_decide(enum cat_backup_type requested, const eng_job_facts *f,
                                    char *reason, size_t size)
{
    reason[0] = '\0';
    if (requested == CAT_DIFF && !f->has_base_full) {
        snprintf(reason, size, "no base full backup yet: took a full instead of a diff");
        return CAT_FULL;
    }
    if (requested == CAT_LOG && f->chain_broken) {
        snprintf(reason, size, "the log chain is broken (%s): took a full, which starts a new"
                               " chain", f->break_reason);
        return CAT_FULL;
    }
    if (requested == CAT_LOG && !f->has_base_full) {
        snprintf(reason, size, "no full backup yet, so no log chain: took a full instead of a"
                               " log");
        return CAT_FULL;
    }
    return requested;
}

int eng_job_facts_read(catalog *cat, const char *db_path, eng_job_facts *f, yerr *e)
{
    capture *c = NULL;
    cap_status st;
    cat_backupset base;

    memset(f, 0, sizeof *f);
    if (cap_open(db_path, &c, e) || cap_status_read(c, &st, e)) {
        cap_close(c);
        return e->code;
    }
    cap_close(c);
    f->chain_broken = st.state.broken;
    snprintf(f->break_reason, sizeof f->break_reason, "%s", st.state.break_reason);
    return cat_backupset_latest(cat, st.state.guid, st.state.fork_guid, CAT_FULL, 1, &base,
                                &f->has_base_full, e);
}

static int backup(catalog *cat, const cat_job *j, enum cat_backup_type type, eng_job_result *r,
                  yerr *e)
{
    eng_backup_opts o;
    eng_backup_result br;
    uint8_t key[FMT_MEDIA_KEY_MAX];
    size_t key_len = 0;
    int rc;

    memset(&o, 0, sizeof o);
    memset(&br, 0, sizeof br);
    o.type = type;
    o.zstd_level = 3;
    if (j->compress[0] && eng_compress_parse(j->compress, &o.zstd_level) != 0)
        return yerr_set(e, YERR_FAIL, "job %s: bad compression '%s'", j->name, j->compress);
    if (j->key_file[0] && fmt_media_key_read(j->key_file, key, sizeof key, &key_len, e))
        return e->code;
    o.key = key_len ? key : NULL;
    o.key_len = key_len;
    rc = eng_backup(cat, j->database_path, &o, &br, e);
    memset(key, 0, sizeof key);
    if (rc == 0) {
        r->run.bytes = br.row.backup_size;
        snprintf(r->run.backup_set_uuid, sizeof r->run.backup_set_uuid, "%s",
                 br.row.backup_set_uuid);
    }
    r->lock_busy = br.lock_busy;
    return rc;
}

int eng_job_run(catalog *cat, const cat_job *j, int manual, eng_job_result *r, yerr *e)
{
    cat_job_run *run = &r->run;
    eng_job_facts f;
    yerr why, post;
    int rc;

    memset(r, 0, sizeof *r);
    yerr_clear(&why);
    snprintf(run->job_name, sizeof run->job_name, "%s", j->name);
    snprintf(run->database_path, sizeof run->database_path, "%s", j->database_path);
    run->manual = manual;
    run->requested_type = j->type;
    run->start_time = ytime_now();
    if (cat_jobhistory_start(cat, run, e))
        return e->code;
    rc = eng_job_facts_read(cat, j->database_path, &f, &why);
    if (rc == 0) {
        run->actual_type = eng_job_decide(j->type, &f, run->type_change_reason,
                                          sizeof run->type_change_reason);
        run->has_actual = 1;
        rc = backup(cat, j, run->actual_type, r, &why);
    }
    if (rc == 0 && (j->keep_fulls || j->keep_days)) {
        cat_retention_policy p = {j->keep_fulls, j->keep_days};
        eng_prune_result pr;
        yerr_clear(&post);
        /* The backup stands whatever retention does; a failed prune is
         * reported, and tried again after the next run. */
        if (eng_prune(cat, j->database_path, &p, ytime_now(), 0, &pr, &post) == 0)
            run->pruned = (int)pr.removed;
        else
            snprintf(run->error, sizeof run->error, "retention: %s", post.msg);
        eng_prune_result_free(&pr);
    }
    run->end_time = ytime_now();
    run->outcome = rc ? CAT_RUN_FAILED : CAT_RUN_SUCCESS;
    if (rc)
        snprintf(run->error, sizeof run->error, "%s", why.msg);
    if (cat_jobhistory_finish(cat, run, e))
        return e->code;
    if (rc)
        *e = why;
    return rc;
}
