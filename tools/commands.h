/*
 * commands.h: the subcommands' entry points, one file each.
 * Each takes argv with argv[0] = the subcommand's name.
 */
#ifndef YEDEK_COMMANDS_H
#define YEDEK_COMMANDS_H

#include "cli.h"
#include "plan.h"

int cmd_plan(cli *c, int argc, char **argv, yerr *e);
int cmd_catalog(cli *c, int argc, char **argv, yerr *e);
int cmd_init(cli *c, int argc, char **argv, yerr *e);
int cmd_sql(cli *c, int argc, char **argv, yerr *e);
int cmd_status(cli *c, int argc, char **argv, yerr *e);
int cmd_mark(cli *c, int argc, char **argv, yerr *e);
int cmd_extension(cli *c, int argc, char **argv, yerr *e);
int cmd_backup(cli *c, int argc, char **argv, yerr *e);
int cmd_verify(cli *c, int argc, char **argv, yerr *e);
int cmd_restore(cli *c, int argc, char **argv, yerr *e);
int cmd_job(cli *c, int argc, char **argv, yerr *e);
int cmd_agent(cli *c, int argc, char **argv, yerr *e);
int cmd_prune(cli *c, int argc, char **argv, yerr *e);
int cmd_health(cli *c, int argc, char **argv, yerr *e);

/* "4w", "2f", "2f,30d": full backups kept and/or days kept (cmd_job.c). */
int cli_retention_parse(const char *s, int *fulls, int *days, yerr *e);

/* A plan as plan prints it (cmd_plan.c), for restore too. */
json_t *cli_plan_json(const cat_plan *p);
json_t *cli_plan_failure_json(const cat_plan *p, const yerr *e);
void cli_plan_print(const cat_plan *p);

#endif
