/*
 * commands.h: the subcommands' entry points, one file each.
 * Each takes argv with argv[0] = the subcommand's name.
 */
#ifndef YEDEK_COMMANDS_H
#define YEDEK_COMMANDS_H

#include "cli.h"

int cmd_plan(cli *c, int argc, char **argv, yerr *e);
int cmd_catalog(cli *c, int argc, char **argv, yerr *e);
int cmd_init(cli *c, int argc, char **argv, yerr *e);
int cmd_sql(cli *c, int argc, char **argv, yerr *e);
int cmd_status(cli *c, int argc, char **argv, yerr *e);
int cmd_mark(cli *c, int argc, char **argv, yerr *e);
int cmd_extension(cli *c, int argc, char **argv, yerr *e);
int cmd_backup(cli *c, int argc, char **argv, yerr *e);
int cmd_verify(cli *c, int argc, char **argv, yerr *e);

#endif
