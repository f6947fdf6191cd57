/*
 * cmd_restore.c: `yedek restore DB TARGET --to PATH [--key-file FILE]
 * [--replace] [--as-live] [--no-sync]`: plan, then apply
 * (engine/restore.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "isotime.h"
#include "media.h"
#include "restore.h"

static void print_result(cli *c, const eng_restore_result *r)
{
    char t[YTIME_BUF];
    if (c->json) {
        json_t *o = json_pack("{s:s, s:o, s:I, s:b}", "destination", r->destination, "plan",
                              cli_plan_json(&r->plan), "restored_to_lsn", (json_int_t)r->lsn,
                              "checksum_verified", r->cksum_verified);
        json_object_set_new(o, "restored_to_time", r->time ? cli_json_time(r->time) : json_null());
        json_object_set_new(o, "new_recovery_fork_guid",
                            r->new_fork_guid[0] ? json_string(r->new_fork_guid) : json_null());
        cli_json_print(o);
        return;
    }
    ytime_format_short(r->time, t);
    printf("restored %s to LSN %llu (last commit %s) into %s\n", r->plan.database_name,
           (unsigned long long)r->lsn, r->time ? t : "unknown", r->destination);
    printf("  from %zu backup%s; %s\n", r->plan.n_steps, r->plan.n_steps == 1 ? "" : "s",
           r->cksum_verified ? "the database checksum matches the one capture recorded"
                             : "capture kept no database checksum for this point");
    if (r->new_fork_guid[0])
        printf("  in service under capture: recovery fork %s (parent %s, fork point LSN %llu)\n",
               r->new_fork_guid, r->plan.fork_guid, (unsigned long long)r->lsn);
}

int cmd_restore(cli *c, int argc, char **argv, yerr *e)
{
    static const struct option opts[] = {CLI_TARGET_OPTIONS,
                                         {"to", required_argument, NULL, 'o'},
                                         {"key-file", required_argument, NULL, 'k'},
                                         {"replace", no_argument, NULL, 'p'},
                                         {"as-live", no_argument, NULL, 'a'},
                                         {"no-sync", no_argument, NULL, 'n'},
                                         {NULL, 0, NULL, 0}};
    cat_target target;
    eng_restore_opts o;
    eng_restore_result *r = calloc(1, sizeof *r);
    catalog *cat = NULL;
    const char *key_file = NULL;
    uint8_t key[FMT_MEDIA_KEY_MAX];
    size_t key_len = 0;
    cli_progress pg;
    int opt, kinds = 0, rc;

    if (!r)
        return yerr_oom(e);
    memset(&target, 0, sizeof target);
    target.kind = CAT_TARGET_LATEST;
    memset(&o, 0, sizeof o);
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        int t = cli_target_option(opt, optarg, &target, &kinds, e);
        if (t < 0) {
            free(r);
            return yerr_ctx(e, "restore");
        }
        if (t > 0)
            continue;
        switch (opt) {
        case 'o': o.to = optarg; break;
        case 'k': key_file = optarg; break;
        case 'p': o.replace = 1; break;
        case 'a': o.as_live = 1; break;
        case 'n': o.no_sync = 1; break;
        default: free(r); return cli_option_error(e, "restore", opt, argv);
        }
    }
    if (optind != argc - 1 || !o.to) {
        free(r);
        return cli_usage(e, "restore", "give one database and --to PATH");
    }
    if (o.no_sync && o.as_live) {
        free(r);
        return cli_usage(e, "restore", "--no-sync does not go with --as-live: a database put"
                         " back into service is synced");
    }
    if (cli_key_load(key_file, key, sizeof key, &key_len, e) ||
        cli_open_catalog(c, CAT_OPEN_EXISTING, &cat, e)) {
        free(r);
        return e->code;
    }
    o.key = key_len ? key : NULL;
    o.key_len = key_len;
    cli_progress_start(&pg, "restore");
    o.progress = cli_progress_update;
    o.progress_arg = &pg;
    rc = eng_restore(cat, argv[optind], &target, &o, r, e);
    cli_progress_end(&pg);
    if (rc == 0)
        print_result(c, r);
    else if (rc == YERR_UNREACHABLE && c->json)
        cli_json_print(cli_plan_failure_json(&r->plan, e));
    eng_restore_result_free(r);
    free(r);
    cat_close(cat);
    memset(key, 0, sizeof key);
    return rc;
}
