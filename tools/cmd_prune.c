/*
 * cmd_prune.c: `yedek prune DB --retention SPEC [--dry-run]`: chain-safe
 * retention (engine/prune.h).
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "prune.h"
#include "isotime.h"

int cmd_prune(cli *c, int argc, char **argv, yerr *e)
{
    static const struct option opts[] = {{"retention", required_argument, NULL, 'r'},
                                         {"dry-run", no_argument, NULL, 'n'},
                                         {NULL, 0, NULL, 0}};
    cat_retention_policy p = {0, 0};
    eng_prune_result r;
    catalog *cat = NULL;
    int opt, dry = 0, rc;

    opterr = 0;
    optind = 0;
    while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (opt == 'r') {
            if (cli_retention_parse(optarg, &p.keep_fulls, &p.keep_days, e))
                return e->code;
        } else if (opt == 'n') {
            dry = 1;
        } else {
            return cli_option_error(e, "prune", opt, argv);
        }
    }
    if (optind != argc - 1 || (!p.keep_fulls && !p.keep_days))
        return cli_usage(e, "prune", "give one database and --retention (e.g. 4w, 2f, 2f,30d)");
    if (cli_open_catalog(c, CAT_OPEN_EXISTING, &cat, e))
        return e->code;
    rc = eng_prune(cat, argv[optind], &p, ytime_now(), dry, &r, e);
    if (rc == 0 && c->json) {
        json_t *items = json_array();
        for (size_t i = 0; i < r.plan.n; i++)
            json_array_append_new(items, json_pack("{s:o, s:s}", "backup",
                                                   cli_backupset_json(&r.plan.items[i].row),
                                                   "reason", r.plan.items[i].reason));
        cli_json_print(json_pack("{s:b, s:o, s:I, s:I, s:o}", "dry_run", dry, "prune", items,
                                 "removed", (json_int_t)r.removed, "bytes", (json_int_t)r.bytes,
                                 "window_start", cli_json_time(r.plan.window_start_time)));
    } else if (rc == 0) {
        char t[YTIME_BUF], size[32];
        ytime_format_short(r.plan.window_start_time, t);
        cli_human_bytes(r.bytes, size, sizeof size);
        printf("kept window: from %s; %zu backup%s %s (%s)\n", t, r.plan.n,
               r.plan.n == 1 ? "" : "s", dry ? "would go" : "removed", size);
        for (size_t i = 0; i < r.plan.n; i++)
            printf("  %s %-4s %s\n      %s\n", dry ? "would remove" : "removed",
                   cat_backup_type_name(r.plan.items[i].row.type),
                   r.plan.items[i].row.media_path, r.plan.items[i].reason);
    }
    eng_prune_result_free(&r);
    cat_close(cat);
    return rc;
}
