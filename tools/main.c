/*
 * main.c: `yedek`, git-style subcommands.  Global options come before the
 * subcommand; each subcommand parses its own.  Every failure ends here and
 * leaves as `yedek: what failed: why`, a hint line, and the exit code of
 * CONTRACT.md (with --json, also a JSON error document on stdout unless the
 * command wrote its own).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"

#ifndef YEDEK_VERSION
#define YEDEK_VERSION "unknown"
#endif

static void usage(FILE *out)
{
    fprintf(out,
            "usage: yedek [-r REPO] [--catalog FILE] [--json] [-q|-v] COMMAND [ARGS]\n"
            "\n"
            "Full, differential and log backups for SQLite, with a catalog of\n"
            "every backup and a planner that restores to any second, LSN or mark.\n"
            "\n"
            "Global options:\n"
            "  -r, --repo DIR      backup repository ($YEDEK_REPO, else ./yedek-repo)\n"
            "  --catalog FILE      catalog database (REPO/catalog.db)\n"
            "  --json              machine-readable output on stdout\n"
            "  -q, --quiet         less on stderr\n"
            "  -v, --verbose       more on stderr\n"
            "  -h, --help          this text;  --version  the version\n"
            "\n"
            "Commands:\n");
    for (const cli_command *c = CLI_COMMANDS; c->name; c++)
        fprintf(out, "  %-10s %s%s\n", c->name, c->summary,
                c->run ? "" : " (not implemented yet)");
    fprintf(out, "\n'yedek help COMMAND' shows a command's usage.\n");
}

static const cli_command *find_command(const char *name)
{
    for (const cli_command *c = CLI_COMMANDS; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

static int help(int argc, char **argv, yerr *e)
{
    const cli_command *c;
    if (argc < 2) {
        usage(stdout);
        return 0;
    }
    c = find_command(argv[1]);
    if (!c) {
        yerr_set(e, YERR_USAGE, "help: unknown command '%s'", argv[1]);
        yerr_hint(e, "'yedek --help' lists the commands");
        return YERR_USAGE;
    }
    printf("usage: %s\n\n%s.\n", c->usage, c->summary);
    return 0;
}

static void report(const cli *c, const yerr *e)
{
    if (c->json && !c->json_printed && e->code != YERR_UNREACHABLE) {
        /* plan/restore print their own documented error shape */
        json_t *doc = json_pack("{s:s, s:s}", "error",
                                e->code == YERR_USAGE ? "usage" : "error", "message", e->msg);
        if (e->hint[0])
            json_object_set_new(doc, "hint", json_string(e->hint));
        cli_json_print(doc);
    }
    fflush(stdout); /* the report first, then why it failed */
    fprintf(stderr, "yedek: %s\n", e->msg);
    if (e->hint[0] && c->verbosity >= 0)
        fprintf(stderr, "hint: %s\n", e->hint);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"repo", required_argument, NULL, 'r'},
        {"catalog", required_argument, NULL, 'C'},
        {"json", no_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}};
    cli c = {getenv("YEDEK_REPO"), NULL, 0, 0, 0};
    const cli_command *cmd;
    yerr e;
    int opt;

    yerr_clear(&e);
    if (!c.repo || !c.repo[0])
        c.repo = "./yedek-repo";
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+:r:qvh", opts, NULL)) != -1) {
        switch (opt) {
        case 'r': c.repo = optarg; break;
        case 'C': c.catalog_path = optarg; break;
        case 'j': c.json = 1; break;
        case 'q': c.verbosity = -1; break;
        case 'v': c.verbosity = 1; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("yedek %s\n", YEDEK_VERSION); return 0;
        default:
            cli_option_error(&e, NULL, opt, argv);
            report(&c, &e);
            return e.code;
        }
    }
    if (optind >= argc) {
        yerr_set(&e, YERR_USAGE, "no command given");
        yerr_hint(&e, "'yedek --help' lists the commands");
        report(&c, &e);
        return e.code;
    }
    argc -= optind;
    argv += optind;
    optind = 0; /* glibc: reinitialise getopt for the subcommand */
    if (strcmp(argv[0], "help") == 0) {
        if (help(argc, argv, &e))
            report(&c, &e);
        return e.code;
    }
    cmd = find_command(argv[0]);
    if (!cmd) {
        yerr_set(&e, YERR_USAGE, "unknown command '%s'", argv[0]);
        yerr_hint(&e, "'yedek --help' lists the commands");
    } else if (!cmd->run) {
        yerr_set(&e, YERR_USAGE, "%s: not implemented yet", cmd->name);
    } else {
        cmd->run(&c, argc, argv, &e);
    }
    if (e.code)
        report(&c, &e);
    return e.code;
}
