/*
 * commands.c: the one table of `yedek` subcommands.  Commands that later
 * work fills in have no function yet and answer "not implemented yet".
 */
#include "cli.h"
#include "commands.h"

const cli_command CLI_COMMANDS[] = {
    {"init", cmd_init, "start capture for a database",
     "yedek init DB [--name NAME] [--recovery full|simple]"},
    {"sql", cmd_sql, "run SQL against a database with capture active",
     "yedek sql DB [SQL]"},
    {"extension", cmd_extension, "print the path of the loadable SQLite extension",
     "yedek extension"},
    {"status", cmd_status, "show capture state: LSN, DCM, engine log, chain",
     "yedek status DB"},
    {"backup", cmd_backup, "take a full, differential or log backup",
     "yedek backup full|diff|log DB [--copy-only] [--scan] [--tail]\n"
     "       [--compress none|zstd[:LEVEL]] [--key-file FILE] [--description TEXT]"},
    {"mark", cmd_mark, "set a named mark at the current LSN", "yedek mark DB NAME"},
    {"plan", cmd_plan, "print the restore sequence for a target, or why none exists",
     "yedek plan DB [--at TIME | --lsn LSN | --mark NAME | --before-mark NAME]"
     " [--fork GUID]\n"
     "  DB is the database's catalog name, its GUID or its file's path.\n"
     "  TIME is ISO 8601: 2026-11-21T12:30:00Z, 2026-11-21T12:30:00.250+03:00,\n"
     "  or without a zone for local time.  No target: the latest restorable point.\n"
     "  Exit 3 when the target cannot be reached."},
    {"restore", cmd_restore, "restore a database to a target into a new file",
     "yedek restore DB [--at TIME | --lsn LSN | --mark NAME | --before-mark NAME]"
     " [--fork GUID]\n"
     "              --to PATH [--key-file FILE] [--replace] [--as-live | --no-sync]\n"
     "  Builds the database as it was at the target into a new file, checking every\n"
     "  checksum; --as-live then puts it into service as the same database on a new\n"
     "  recovery fork.  --no-sync skips syncing the file: for scratch restores, which\n"
     "  a power failure may leave incomplete or missing.\n"
     "  Exit 3 when the target cannot be reached, 4 when media failed."},
    {"verify", cmd_verify, "check media: checksums, decryption, chain",
     "yedek verify [UUID...] [--key-file FILE]\n"
     "yedek verify --restore-test [DB...] [--key-file FILE]\n"
     "  Re-reads media against the catalog; exit 4 when media failed, 3 when a chain\n"
     "  has a break.  --restore-test restores each database's latest point into a\n"
     "  temporary file ($TMPDIR), runs PRAGMA integrity_check and removes it."},
    {"catalog", cmd_catalog, "inspect the catalog: list, show, check, rebuild",
     "yedek catalog list [DB]       backups, newest first\n"
     "yedek catalog show UUID       one backup, every field\n"
     "yedek catalog check [DB]      chain breaks and restorable windows\n"
     "                              (exit 3 when a break is found)\n"
     "yedek catalog rebuild [--key-file FILE]\n"
     "                              rebuild the catalog from the media files"},
    {"job", cmd_job, "scheduled backup jobs",
     "yedek job add NAME --db DB --type full|diff|log --schedule SPEC\n"
     "              [--retention 4w|2f|2f,30d] [--compress C] [--key-file F] [--disabled]\n"
     "yedek job list | remove NAME | enable NAME | disable NAME\n"
     "yedek job run NAME        run it now\n"
     "yedek job run-due         one pass of the agent (for cron or a systemd timer)\n"
     "yedek job history [NAME]\n"
     "  SPEC: \"every 5m\", \"daily 02:00\", \"weekly sun 01:00\", or cron \"*/15 * * * *\";\n"
     "  local time unless it ends with \" utc\"."},
    {"agent", cmd_agent, "run scheduled jobs until stopped (SIGTERM finishes the running job)",
     "yedek agent [--poll SECONDS]"},
    {"prune", cmd_prune, "remove backups the kept window does not need",
     "yedek prune DB --retention 4w|2f|2f,30d [--dry-run]"},
    {"health", cmd_health, "backup health for monitoring (exit 0 ok, 1 warning, 2 critical)",
     "yedek health [--json] [--prometheus FILE]\n"
     "yedek health --set DB KEY=VALUE...   thresholds: max_failures, full_age_hours,\n"
     "                                     diff_age_hours, log_age_factor, duration_factor"},
    {NULL, NULL, NULL, NULL}};
