/*
 * cli.h: what every `yedek` subcommand shares: the global options, the
 * catalog they name, the target options of plan and restore, and the one
 * way errors are reported (`yedek: what failed: why`, a hint line, the exit
 * codes of CONTRACT.md, and with --json a JSON error document on stdout).
 */
#ifndef YEDEK_CLI_H
#define YEDEK_CLI_H

#include <getopt.h>
#include <jansson.h>

#include "backupset.h"
#include "catalog.h"
#include "error.h"
#include "target.h"

typedef struct cli {
    const char *repo;         /* -r/--repo, $YEDEK_REPO, ./yedek-repo */
    const char *catalog_path; /* --catalog, else REPO/catalog.db */
    int json;                 /* --json */
    int verbosity;            /* -1 quiet, 0 normal, 1 verbose */
    int json_printed;         /* the command printed its JSON document, errors included */
} cli;

typedef int (*cli_cmd_fn)(cli *c, int argc, char **argv, yerr *e);

typedef struct cli_command {
    const char *name;
    cli_cmd_fn run; /* NULL: not implemented yet */
    const char *summary;
    const char *usage;
} cli_command;

/* The table of subcommands (tools/commands.c), ended by a NULL name. */
extern const cli_command CLI_COMMANDS[];

/* The catalog file the global options name. */
void cli_catalog_path(const cli *c, char *out, size_t size);

/* Open the catalog the global options name (creating it when asked). */
int cli_open_catalog(const cli *c, enum cat_open_mode mode, catalog **out, yerr *e);

/* Set a usage error naming the subcommand; returns YERR_USAGE. */
int cli_usage(yerr *e, const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Turn getopt's '?' or ':' (opterr = 0, optstring starting with ':') into a
 * usage error naming the option (cmd NULL: a global option); returns
 * YERR_USAGE. */
int cli_option_error(yerr *e, const char *cmd, int opt, char **argv);

/* Create a folder and its missing parents (mode 0700). */
int cli_mkdirs(const char *path, yerr *e);

/* Target options shared by plan and restore. */
#define CLI_TARGET_OPTIONS                                                    \
    {"at", required_argument, NULL, 'T'},                                     \
    {"lsn", required_argument, NULL, 'L'},                                    \
    {"mark", required_argument, NULL, 'M'},                                   \
    {"before-mark", required_argument, NULL, 'B'},                            \
    {"fork", required_argument, NULL, 'F'}

/* Apply one target option (a getopt code above) to *t; 1 if it was one,
 * 0 if not a target option, -1 on error (e is set). */
int cli_target_option(int opt, const char *arg, cat_target *t, int *n_kinds,
                      yerr *e);

/* Print to stdout and free a JSON document. */
void cli_json_print(json_t *doc);

/* An ISO 8601 UTC time as a JSON string. */
json_t *cli_json_time(int64_t us);

/* A backupset row as JSON: every column of CONTRACT.md under its name. */
json_t *cli_backupset_json(const cat_backupset *r);

/* The encryption key: from --key-file (opt, may be NULL), else the file
 * $YEDEK_KEY_FILE names; *len = 0 when neither is given. */
int cli_key_load(const char *opt, uint8_t *key, size_t size, size_t *len, yerr *e);

/* Progress on stderr, only when it is a terminal: bytes, rate, ETA. */
typedef struct cli_progress {
    int on;
    int64_t start_us, last_us;
    const char *what;
} cli_progress;

void cli_progress_start(cli_progress *p, const char *what);
/* An eng_progress_fn: arg is a cli_progress. */
void cli_progress_update(void *arg, uint64_t done, uint64_t total);
void cli_progress_end(cli_progress *p);

/* Bytes for people: "512 B", "1.5 KiB", "3.2 GiB". */
void cli_human_bytes(int64_t n, char *buf, size_t size);

#endif
