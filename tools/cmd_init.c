/*
 * cmd_init.c: `yedek init DB [--name NAME] [--recovery full|simple]`:
 * start capture for a database; prints its GUID.
 */
#include <stdio.h>
#include <string.h>

#include "capture.h"
#include "commands.h"
#include "database.h"

int cmd_init(cli *c, int argc, char **argv, yerr *e)
{
    static const struct option opts[] = {{"name", required_argument, NULL, 'n'},
                                          {"recovery", required_argument, NULL, 'R'},
                                          {NULL, 0, NULL, 0}};
    char name[CAT_NAME_BUF] = "";
    enum fmt_recovery model = FMT_RECOVERY_FULL;
    fmt_cstate s;
    int opt;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (opt == 'n' && strlen(optarg) > 0 && strlen(optarg) < sizeof name)
            snprintf(name, sizeof name, "%s", optarg);
        else if (opt == 'R' && strcmp(optarg, "full") == 0)
            model = FMT_RECOVERY_FULL;
        else if (opt == 'R' && strcmp(optarg, "simple") == 0)
            model = FMT_RECOVERY_SIMPLE;
        else if (opt == 'n' || opt == 'R')
            return cli_usage(e, "init", "bad value '%s' for %s", optarg, argv[optind - 1]);
        else
            return cli_option_error(e, "init", opt, argv);
    }
    if (optind != argc - 1)
        return cli_usage(e, "init", "give one database file");
    if (!name[0])
        cat_database_name_from_path(argv[optind], name);
    if (cap_init(argv[optind], name, model, &s, e))
        return e->code;
    if (c->json)
        cli_json_print(json_pack("{s:s, s:s, s:s, s:s, s:I}", "database", s.name, "database_guid",
                                 s.guid, "recovery_fork_guid", s.fork_guid, "recovery_model",
                                 model == FMT_RECOVERY_FULL ? "full" : "simple", "lsn",
                                 (json_int_t)s.next_lsn));
    else
        printf("%s\n", s.guid);
    if (c->verbosity >= 0 && !c->json)
        fprintf(stderr, "capture started for %s (%s recovery, name '%s')\n", argv[optind],
                model == FMT_RECOVERY_FULL ? "full" : "simple", s.name);
    return 0;
}
