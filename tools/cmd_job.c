/*
 * cmd_job.c: `yedek job add|list|remove|enable|disable|run|run-due|history`,
 * scheduled backup jobs kept in the catalog (engine/job.h, engine/agent.h).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent.h"
#include "capture.h"
#include "commands.h"
#include "isotime.h"
#include "schedule.h"

int cli_retention_parse(const char *s, int *fulls, int *days, yerr *e)
{
    char buf[128], *tok, *save = NULL;
    snprintf(buf, sizeof buf, "%s", s);
    *fulls = *days = 0;
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *end;
        long n = strtol(tok, &end, 10);
        while (*end == ' ')
            end++;
        if (end == tok || n <= 0 || n > 100000)
            goto bad;
        if (strcmp(end, "d") == 0 || strcmp(end, "days") == 0)
            *days = (int)n;
        else if (strcmp(end, "w") == 0 || strcmp(end, "weeks") == 0)
            *days = (int)n * 7;
        else if (strcmp(end, "f") == 0 || strcmp(end, "full") == 0 || strcmp(end, "fulls") == 0)
            *fulls = (int)n;
        else
            goto bad;
    }
    if (*fulls || *days)
        return 0;
bad:
    return yerr_set(e, YERR_USAGE, "retention '%s': give Nd (days), Nw (weeks) and/or Nf (full"
                    " backups kept), comma-separated: 4w, 2f, 2f,30d", s);
}

static json_t *job_json(const cat_job *j)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b}", "name", j->name, "database_path",
                          j->database_path, "type", cat_backup_type_name(j->type), "schedule",
                          j->schedule, "enabled", j->enabled);
    json_object_set_new(o, "keep_fulls", j->keep_fulls ? json_integer(j->keep_fulls) : json_null());
    json_object_set_new(o, "keep_days", j->keep_days ? json_integer(j->keep_days) : json_null());
    json_object_set_new(o, "compress", j->compress[0] ? json_string(j->compress) : json_null());
    json_object_set_new(o, "key_file", j->key_file[0] ? json_string(j->key_file) : json_null());
    json_object_set_new(o, "created_time", cli_json_time(j->created_time));
    json_object_set_new(o, "last_slot", j->last_slot ? cli_json_time(j->last_slot) : json_null());
    {
        cat_sched s;
        yerr e;
        int64_t from = j->last_slot ? j->last_slot : j->created_time, now = ytime_now();
        if (j->enabled && cat_sched_parse(j->schedule, &s, &e) == 0) {
            int64_t n = cat_sched_next(&s, from > now ? from : now);
            if (cat_sched_latest(&s, from, now) != INT64_MIN)
                n = now; /* due now */
            json_object_set_new(o, "next_run", n != INT64_MAX ? cli_json_time(n) : json_null());
        } else {
            json_object_set_new(o, "next_run", json_null());
        }
    }
    return o;
}

static int list_one(const cat_job *j, void *arg, yerr *e)
{
    json_t *rows = arg;
    json_t *o = job_json(j);
    (void)e;
    if (rows) {
        json_array_append_new(rows, o);
        return 0;
    }
    {
        const char *next = json_string_value(json_object_get(o, "next_run"));
        char keep[64] = "";
        if (j->keep_fulls && j->keep_days)
            snprintf(keep, sizeof keep, "keep %d fulls, %d days", j->keep_fulls, j->keep_days);
        else if (j->keep_fulls)
            snprintf(keep, sizeof keep, "keep %d fulls", j->keep_fulls);
        else if (j->keep_days)
            snprintf(keep, sizeof keep, "keep %d days", j->keep_days);
        printf("%-16s %-4s %-28s %-8s next %-28s %s  %s\n", j->name, cat_backup_type_name(j->type),
               j->schedule, j->enabled ? "enabled" : "DISABLED", next ? next : "-",
               j->database_path, keep);
    }
    json_decref(o);
    return 0;
}

static int job_add(cli *c, catalog *cat, int argc, char **argv, yerr *e)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"type", required_argument, NULL, 't'},
                                         {"schedule", required_argument, NULL, 's'},
                                         {"retention", required_argument, NULL, 'r'},
                                         {"compress", required_argument, NULL, 'z'},
                                         {"key-file", required_argument, NULL, 'k'},
                                         {"disabled", no_argument, NULL, 'D'},
                                         {NULL, 0, NULL, 0}};
    cat_job j;
    cat_sched s;
    const char *db = NULL, *sched = NULL;
    char dir[PATH_MAX + 16];
    struct stat st;
    int opt, type = -1;

    memset(&j, 0, sizeof j);
    j.enabled = 1;
    opterr = 0;
    optind = 0;
    while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (opt) {
        case 'd': db = optarg; break;
        case 't':
            type = cat_backup_type_parse(optarg);
            if (type < 0)
                return cli_usage(e, "job", "--type is full, diff or log, not '%s'", optarg);
            break;
        case 's': sched = optarg; break;
        case 'r':
            if (cli_retention_parse(optarg, &j.keep_fulls, &j.keep_days, e))
                return e->code;
            break;
        case 'z': {
            int level;
            if (eng_compress_parse(optarg, &level) != 0)
                return cli_usage(e, "job", "--compress takes none, zstd or zstd:LEVEL (1..19),"
                                 " not '%s'", optarg);
            snprintf(j.compress, sizeof j.compress, "%s", optarg);
            break;
        }
        case 'k':
            if (!realpath(optarg, j.key_file))
                return yerr_set(e, YERR_FAIL, "job add: key file %s: %m", optarg);
            break;
        case 'D': j.enabled = 0; break;
        default: return cli_option_error(e, "job", opt, argv);
        }
    }
    if (optind != argc - 1 || !db || type < 0 || !sched)
        return cli_usage(e, "job", "add takes NAME --db DB --type full|diff|log --schedule SPEC");
    if (strlen(argv[optind]) >= sizeof j.name)
        return cli_usage(e, "job", "the name is too long");
    snprintf(j.name, sizeof j.name, "%s", argv[optind]);
    j.type = (enum cat_backup_type)type;
    if (!realpath(db, j.database_path))
        return yerr_set(e, YERR_FAIL, "job add: %s: %m", db);
    snprintf(dir, sizeof dir, "%s%s", j.database_path, CAP_DIR_SUFFIX);
    if (stat(dir, &st) != 0) {
        yerr_set(e, YERR_FAIL, "job add: %s is not under capture", db);
        yerr_hint(e, "start capture with: yedek init %s", db);
        return e->code;
    }
    if (cat_sched_parse(sched, &s, e))
        return yerr_ctx(e, "job add");
    cat_sched_format(&s, j.schedule, sizeof j.schedule);
    j.created_time = ytime_now();
    if (cat_job_add(cat, &j, e))
        return e->code;
    if (c->json)
        cli_json_print(job_json(&j));
    else
        printf("job %s: %s backup of %s, %s\n", j.name, cat_backup_type_name(j.type),
               j.database_path, j.schedule);
    return 0;
}

static int history_one(const cat_job_run *r, void *arg, yerr *e)
{
    json_t *rows = arg;
    char t[YTIME_BUF];
    const char *outcome = r->outcome == CAT_RUN_SUCCESS ? "success"
                          : r->outcome == CAT_RUN_FAILED ? "failed" : "running";
    (void)e;
    if (rows) {
        json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s}", "run_id",
                              (json_int_t)r->run_id, "job", r->job_name, "database_path",
                              r->database_path, "trigger", r->manual ? "manual" : "schedule",
                              "requested_type", cat_backup_type_name(r->requested_type),
                              "start_time", cli_json_time(r->start_time), "outcome", outcome);
        json_object_set_new(o, "actual_type", r->has_actual
                                                  ? json_string(cat_backup_type_name(r->actual_type))
                                                  : json_null());
        json_object_set_new(o, "type_change_reason", r->type_change_reason[0]
                                                         ? json_string(r->type_change_reason)
                                                         : json_null());
        json_object_set_new(o, "end_time", r->end_time ? cli_json_time(r->end_time) : json_null());
        json_object_set_new(o, "duration_ms", r->end_time ? json_integer((r->end_time
                                                                         - r->start_time) / 1000)
                                                          : json_null());
        json_object_set_new(o, "bytes", json_integer(r->bytes));
        json_object_set_new(o, "error", r->error[0] ? json_string(r->error) : json_null());
        json_object_set_new(o, "backup_set_uuid", r->backup_set_uuid[0]
                                                      ? json_string(r->backup_set_uuid)
                                                      : json_null());
        json_object_set_new(o, "pruned", json_integer(r->pruned));
        json_array_append_new(rows, o);
        return 0;
    }
    ytime_format_short(r->start_time, t);
    printf("%-24s %-16s %-8s %-4s%s%-5s %-8s %8.2f s %10lld B  %s%s%s\n", t, r->job_name,
           r->manual ? "manual" : "schedule", cat_backup_type_name(r->requested_type),
           r->has_actual && r->actual_type != r->requested_type ? "->" : "  ",
           r->has_actual && r->actual_type != r->requested_type
               ? cat_backup_type_name(r->actual_type) : "",
           outcome, r->end_time ? (double)(r->end_time - r->start_time) / 1e6 : 0.0,
           (long long)r->bytes, r->error[0] ? r->error : "", r->type_change_reason[0] ? " " : "",
           r->type_change_reason);
    return 0;
}

static int job_run(cli *c, catalog *cat, const char *name, yerr *e)
{
    cat_job j;
    eng_job_result r;
    char line[2048];
    int found = 0, rc;

    if (cat_job_get(cat, name, &j, &found, e))
        return e->code;
    if (!found) {
        yerr_set(e, YERR_FAIL, "no job named '%s'", name);
        yerr_hint(e, "'yedek job list' shows the jobs");
        return e->code;
    }
    rc = eng_job_run(cat, &j, 1, &r, e);
    if (r.run.run_id) {
        if (c->json) {
            json_t *rows = json_array();
            history_one(&r.run, rows, e);
            cli_json_print(json_incref(json_array_get(rows, 0)));
            json_decref(rows);
            c->json_printed = 1;
        } else {
            eng_agent_describe(&j, &r, line, sizeof line);
            printf("%s\n", line);
        }
    }
    return rc;
}

static int job_run_due(cli *c, catalog *cat, yerr *e)
{
    eng_agent a;
    int ran = 0;
    int64_t next;
    memset(&a, 0, sizeof a);
    a.cat = cat;
    if (eng_agent_pass(&a, ytime_now(), &ran, &next, e))
        return e->code;
    if (c->json) {
        cli_json_print(json_pack("{s:i, s:o}", "ran", ran,
                                 "next_due", next != INT64_MAX ? cli_json_time(next) : json_null()));
    } else if (c->verbosity >= 0) {
        char t[YTIME_BUF];
        ytime_format_short(next, t);
        printf("%d job%s run; next due %s\n", ran, ran == 1 ? "" : "s",
               next != INT64_MAX ? t : "never");
    }
    return 0;
}

int cmd_job(cli *c, int argc, char **argv, yerr *e)
{
    catalog *cat = NULL;
    const char *sub;
    int rc = 0;

    if (argc < 2)
        return cli_usage(e, "job", "give add, list, remove, enable, disable, run, run-due or"
                                   " history");
    sub = argv[1];
    if (cli_open_catalog(c, CAT_OPEN_CREATE, &cat, e))
        return e->code;
    if (strcmp(sub, "add") == 0) {
        rc = job_add(c, cat, argc - 1, argv + 1, e);
    } else if (strcmp(sub, "list") == 0 && argc == 2) {
        json_t *rows = c->json ? json_array() : NULL;
        rc = cat_job_list(cat, list_one, rows, e);
        if (rows && !rc)
            cli_json_print(rows);
        else
            json_decref(rows);
    } else if ((strcmp(sub, "remove") == 0 || strcmp(sub, "enable") == 0
                || strcmp(sub, "disable") == 0 || strcmp(sub, "run") == 0)
               && argc == 3) {
        if (strcmp(sub, "remove") == 0)
            rc = cat_job_remove(cat, argv[2], e);
        else if (strcmp(sub, "run") == 0)
            rc = job_run(c, cat, argv[2], e);
        else
            rc = cat_job_set_enabled(cat, argv[2], strcmp(sub, "enable") == 0, e);
        if (!rc && strcmp(sub, "run") != 0 && c->verbosity >= 0 && !c->json)
            printf("job %s: %sd\n", argv[2], sub);
    } else if (strcmp(sub, "run-due") == 0 && argc == 2) {
        rc = job_run_due(c, cat, e);
    } else if (strcmp(sub, "history") == 0 && argc <= 3) {
        json_t *rows = c->json ? json_array() : NULL;
        rc = cat_jobhistory_list(cat, argc == 3 ? argv[2] : NULL, 0, history_one, rows, e);
        if (rows && !rc)
            cli_json_print(rows);
        else
            json_decref(rows);
    } else {
        rc = cli_usage(e, "job", "unknown or malformed subcommand '%s'", sub);
    }
    cat_close(cat);
    return rc;
}
