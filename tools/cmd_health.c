/*
 * cmd_health.c: `yedek health [--prometheus FILE]` and
 * `yedek health --set DB KEY=VALUE`: backup health for monitoring
 * (engine/health.h).  Exits like a monitoring plugin: 0 ok, 1 warning,
 * 2 critical.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "health.h"
#include "isotime.h"

static json_t *db_json(const eng_health_db *d)
{
    json_t *checks = json_array();
    json_t *o;
    for (size_t i = 0; i < d->n_checks; i++)
        json_array_append_new(checks, json_pack("{s:s, s:s, s:s}", "check", d->checks[i].check,
                                                "status", eng_health_level_name(d->checks[i].level),
                                                "message", d->checks[i].message));
    o = json_pack("{s:s, s:s, s:s, s:i, s:o}", "database", d->name, "database_guid", d->guid,
                  "status", eng_health_level_name(d->level), "consecutive_failures", d->failures,
                  "checks", checks);
    json_object_set_new(o, "last_full", d->last_full ? cli_json_time(d->last_full) : json_null());
    json_object_set_new(o, "last_diff", d->last_diff ? cli_json_time(d->last_diff) : json_null());
    json_object_set_new(o, "last_log", d->last_log ? cli_json_time(d->last_log) : json_null());
    json_object_set_new(o, "chain", d->chain_broken < 0 ? json_null()
                                    : json_string(d->chain_broken ? "broken" : "intact"));
    return o;
}

int cmd_health(cli *c, int argc, char **argv, yerr *e)
{
    static const struct option opts[] = {{"prometheus", required_argument, NULL, 'p'},
                                         {"set", required_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    const char *prom = NULL, *set_db = NULL;
    catalog *cat = NULL;
    eng_health h;
    int64_t now = ytime_now();
    int opt, rc = 0;

    opterr = 0;
    optind = 0;
    while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (opt == 'p')
            prom = optarg;
        else if (opt == 's')
            set_db = optarg;
        else
            return cli_option_error(e, "health", opt, argv);
    }
    if (cli_open_catalog(c, CAT_OPEN_CREATE, &cat, e))
        return e->code;
    if (set_db) {
        for (int i = optind; i < argc && !rc; i++) {
            char key[64];
            double v;
            char *eq = strchr(argv[i], '=');
            if (!eq || eq - argv[i] >= (long)sizeof key || sscanf(eq + 1, "%lf", &v) != 1) {
                rc = cli_usage(e, "health", "--set DB takes KEY=VALUE, not '%s'", argv[i]);
                break;
            }
            snprintf(key, sizeof key, "%.*s", (int)(eq - argv[i]), argv[i]);
            rc = eng_health_set(cat, set_db, key, v, e);
        }
        if (!rc && optind == argc)
            rc = cli_usage(e, "health", "--set DB takes KEY=VALUE...");
        cat_close(cat);
        return rc;
    }
    if (optind != argc) {
        cat_close(cat);
        return cli_usage(e, "health", "takes no arguments");
    }
    if (eng_health_read(cat, now, &h, e)) {
        cat_close(cat);
        return e->code;
    }
    if (prom)
        rc = eng_health_prometheus(&h, now, prom, e);
    if (c->json) {
        json_t *dbs = json_array();
        for (size_t i = 0; i < h.n; i++)
            json_array_append_new(dbs, db_json(&h.dbs[i]));
        cli_json_print(json_pack("{s:s, s:o}", "status", eng_health_level_name(h.level),
                                 "databases", dbs));
        c->json_printed = 1;
    } else {
        printf("YEDEK %s - %zu database%s\n", h.level == ENG_HEALTH_CRITICAL ? "CRITICAL"
                                              : h.level == ENG_HEALTH_WARNING ? "WARNING" : "OK",
               h.n, h.n == 1 ? "" : "s");
        for (size_t i = 0; i < h.n; i++) {
            printf("%-8s %s\n", eng_health_level_name(h.dbs[i].level), h.dbs[i].name);
            for (size_t k = 0; k < h.dbs[i].n_checks; k++)
                printf("  %-8s %-10s %s\n", eng_health_level_name(h.dbs[i].checks[k].level),
                       h.dbs[i].checks[k].check, h.dbs[i].checks[k].message);
        }
    }
    if (!rc && h.level == ENG_HEALTH_WARNING)
        rc = yerr_set(e, YERR_FAIL, "health: warning");
    else if (!rc && h.level == ENG_HEALTH_CRITICAL)
        rc = yerr_set(e, YERR_USAGE, "health: critical");
    eng_health_free(&h);
    cat_close(cat);
    return rc;
}
