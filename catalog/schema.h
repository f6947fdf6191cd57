/*
 * schema.h: creating and migrating the catalog's tables.
 *
 * PRAGMA user_version holds the schema version.  Each migration step moves
 * the schema one version up inside the caller's transaction, so a catalog is
 * always at exactly one known version.
 */
#ifndef YEDEK_CAT_SCHEMA_H
#define YEDEK_CAT_SCHEMA_H

#include <sqlite3.h>

#include "error.h"

/* Bring the schema of `db` to CAT_SCHEMA_VERSION; refuses newer versions. */
int cat_schema_migrate(sqlite3 *db, yerr *e);

#endif
