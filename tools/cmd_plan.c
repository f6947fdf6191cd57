/*
 * cmd_plan.c: `yedek plan DB TARGET`: the restore sequence for a person,
 * or CONTRACT.md's JSON shape; exit 3 with the failure's code when the
 * target cannot be reached.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "isotime.h"
#include "plan.h"

static json_t *stop_json(const cat_plan *p, const cat_plan_step *s)
{
    switch (s->stop) {
    case CAT_STOP_LSN:
        return json_pack("{s:I}", "lsn", (json_int_t)s->stop_lsn);
    case CAT_STOP_TIME:
        return json_pack("{s:o}", "time", cli_json_time(s->stop_time));
    case CAT_STOP_MARK:
        return json_pack("{s:s, s:b, s:I}", "mark", p->target.mark, "inclusive",
                         s->stop_inclusive, "lsn", (json_int_t)s->stop_lsn);
    default:
        return json_null();
    }
}

static json_t *target_json(const cat_plan *p)
{
    char value[CAT_NAME_BUF];
    json_t *t;
    cat_target_value(&p->target, value, sizeof value);
    t = json_pack("{s:s, s:s}", "kind", cat_target_kind_name(p->target.kind), "value", value);
    if (p->target.kind == CAT_TARGET_LATEST)
        json_object_set_new(t, "value", json_null());
    return t;
}

json_t *cli_plan_json(const cat_plan *p)
{
    json_t *steps = json_array();
    for (size_t i = 0; i < p->n_steps; i++) {
        const cat_plan_step *s = &p->steps[i];
        json_array_append_new(
            steps, json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:o, s:o, s:i, s:I, s:s}",
                             "backup_set_uuid", s->backup_set_uuid,
                             "type", cat_backup_type_name(s->type),
                             "media_path", s->media_path,
                             "first_lsn", (json_int_t)s->first_lsn,
                             "last_lsn", (json_int_t)s->last_lsn,
                             "stop_at", stop_json(p, s),
                             "first_time", cli_json_time(s->first_time),
                             "last_time", cli_json_time(s->last_time),
                             "is_copy_only", s->is_copy_only,
                             "backup_size", (json_int_t)s->backup_size,
                             "recovery_fork_guid", s->recovery_fork_guid));
    }
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:I}",
                     "database", p->database_name,
                     "database_guid", p->database_guid,
                     "recovery_fork_guid", p->fork_guid,
                     "target", target_json(p),
                     "steps", steps,
                     "restores_to_lsn", p->restores_to_lsn_known
                                            ? json_integer(p->restores_to_lsn)
                                            : json_null(),
                     "bytes_to_read", (json_int_t)p->bytes_to_read);
}

json_t *cli_plan_failure_json(const cat_plan *p, const yerr *e)
{
    const cat_plan_failure *f = &p->failure;
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s}",
                            "error", cat_plan_error_name(f->code),
                            "message", e->msg,
                            "database", p->database_name,
                            "database_guid", p->database_guid);
    json_t *unusable = json_array();

    json_object_set_new(doc, "target", target_json(p));
    if (e->hint[0])
        json_object_set_new(doc, "hint", json_string(e->hint));
    switch (f->code) {
    case CAT_PLAN_LOG_GAP:
        json_object_set_new(doc, "gap_from_lsn", json_integer(f->gap_from_lsn));
        json_object_set_new(doc, "gap_to_lsn", json_integer(f->gap_to_lsn));
        json_object_set_new(doc, "before_backup_set_uuid", json_string(f->before_uuid));
        json_object_set_new(doc, "after_backup_set_uuid", json_string(f->after_uuid));
        json_object_set_new(doc, "before_time", cli_json_time(f->before_time));
        json_object_set_new(doc, "after_time", cli_json_time(f->after_time));
        /* the furthest point reachable, as for after_last_log */
        __attribute__((fallthrough));
    case CAT_PLAN_AFTER_LAST_LOG:
        json_object_set_new(doc, "restorable_to_lsn", json_integer(f->reach_lsn));
        json_object_set_new(doc, "restorable_to_time", cli_json_time(f->reach_time));
        break;
    case CAT_PLAN_TARGET_TOO_EARLY:
        if (f->backup_set_uuid[0]) {
            json_object_set_new(doc, "first_full_backup_set_uuid", json_string(f->backup_set_uuid));
            json_object_set_new(doc, "first_restorable_lsn", json_integer(f->first_lsn));
            json_object_set_new(doc, "first_restorable_time", cli_json_time(f->first_time));
        }
        break;
    case CAT_PLAN_DIFF_BASE_MISSING:
        json_object_set_new(doc, "backup_set_uuid", json_string(f->backup_set_uuid));
        json_object_set_new(doc, "differential_base_guid", json_string(f->base_uuid));
        break;
    default:
        break;
    }
    for (int i = 0; i < f->n_unusable; i++)
        json_array_append_new(unusable, json_string(f->unusable[i]));
    json_object_set_new(doc, "unusable_backups", unusable);
    return doc;
}

static void stop_text(const cat_plan *p, const cat_plan_step *s, char *buf, size_t size)
{
    char t[YTIME_BUF];
    switch (s->stop) {
    case CAT_STOP_LSN:
        snprintf(buf, size, "stop at LSN %lld", (long long)s->stop_lsn);
        break;
    case CAT_STOP_TIME:
        ytime_format_short(s->stop_time, t);
        snprintf(buf, size, "stop at %s", t);
        break;
    case CAT_STOP_MARK:
        snprintf(buf, size, "stop %s mark '%s'", s->stop_inclusive ? "after" : "before",
                 p->target.mark);
        break;
    default:
        buf[0] = '\0';
    }
}

void cli_plan_print(const cat_plan *p)
{
    char value[CAT_NAME_BUF], bytes[32];

    if (p->target.kind == CAT_TARGET_TIME)
        ytime_format_short(p->target.time, value);
    else
        cat_target_value(&p->target, value, sizeof value);
    printf("Restore plan for %s (database %s, fork %s)\n", p->database_name,
           p->database_guid, p->fork_guid);
    printf("Target: %s%s%s\n\n", cat_target_kind_name(p->target.kind), value[0] ? " " : "",
           value);
    printf("  %4s  %-4s  %-21s  %-49s  %10s  %-36s  %s\n", "#", "type", "LSN", "time", "size",
           "backup_set_uuid", "media");
    for (size_t i = 0; i < p->n_steps; i++) {
        const cat_plan_step *s = &p->steps[i];
        char lsn[48], times[64], t1[YTIME_BUF], t2[YTIME_BUF], stop[CAT_NAME_BUF + 32];
        snprintf(lsn, sizeof lsn, "%lld..%lld", (long long)s->first_lsn, (long long)s->last_lsn);
        ytime_format_short(s->first_time, t1);
        ytime_format_short(s->last_time, t2);
        if (s->type == CAT_LOG)
            snprintf(times, sizeof times, "%s .. %s", t1, t2);
        else
            snprintf(times, sizeof times, "%s", t2);
        cli_human_bytes(s->backup_size, bytes, sizeof bytes);
        stop_text(p, s, stop, sizeof stop);
        printf("  %4zu  %-4s  %-21s  %-49s  %10s  %-36s  %s%s%s%s\n", i + 1,
               cat_backup_type_name(s->type), lsn, times, bytes, s->backup_set_uuid,
               s->media_path,
               s->is_copy_only ? " (copy-only)" : "", stop[0] ? "  <- " : "", stop);
    }
    cli_human_bytes(p->bytes_to_read, bytes, sizeof bytes);
    printf("\n%zu backup%s, %s to read", p->n_steps, p->n_steps == 1 ? "" : "s", bytes);
    if (p->restores_to_lsn_known)
        printf("; restores to LSN %lld.\n", (long long)p->restores_to_lsn);
    else
        printf("; the exact LSN is found while reading the last log.\n");
}

int cmd_plan(cli *c, int argc, char **argv, yerr *e)
{
    static const struct option opts[] = {CLI_TARGET_OPTIONS, {NULL, 0, NULL, 0}};
    cat_target target;
    cat_plan plan;
    catalog *cat = NULL;
    int opt, kinds = 0;

    memset(&target, 0, sizeof target);
    target.kind = CAT_TARGET_LATEST;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        int r = cli_target_option(opt, optarg, &target, &kinds, e);
        if (r < 0)
            return yerr_ctx(e, "plan");
        if (r == 0)
            return cli_option_error(e, "plan", opt, argv);
    }
    if (optind != argc - 1)
        return cli_usage(e, "plan", "give one database");
    if (cli_open_catalog(c, CAT_OPEN_EXISTING, &cat, e))
        return e->code;
    if (cat_plan_find(cat, argv[optind], &target, &plan, e) == 0) {
        if (c->json)
            cli_json_print(cli_plan_json(&plan));
        else
            cli_plan_print(&plan);
    } else if (e->code == YERR_UNREACHABLE && c->json) {
        cli_json_print(cli_plan_failure_json(&plan, e));
    }
    cat_plan_free(&plan);
    cat_close(cat);
    return e->code;
}
