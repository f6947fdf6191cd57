/*
 * database.h: naming a database the way users do.
 *
 * Commands that take DB (plan, restore, catalog ...) accept the catalog
 * name (the file's base name without its extension unless `init --name`
 * chose another), the database GUID, or the path of the database file.
 */
#ifndef YEDEK_CAT_DATABASE_H
#define YEDEK_CAT_DATABASE_H

#include "backupset.h"

typedef struct cat_database {
    char guid[CAT_GUID_BUF];
    char name[CAT_NAME_BUF];
} cat_database;

/*
 * Resolve `arg` to one database of the catalog.  Returns 0 and fills *out;
 * YERR_FAIL with "no database ..." and *found = 0 when the catalog has no
 * backup of it (so the planner can answer no_backups); YERR_FAIL when the
 * name is ambiguous (two GUIDs share it: the message lists them).
 */
int cat_database_resolve(catalog *cat, const char *arg, cat_database *out,
                         int *found, yerr *e);

/* The catalog name for a database file: its base name without extension. */
void cat_database_name_from_path(const char *path, char out[CAT_NAME_BUF]);

#endif
