/*
 * mark.h: named marks (backupmark rows), like SQL Server's marked
 * transactions.  A mark's lsn is the start LSN of the marked transaction.
 */
#ifndef YEDEK_CAT_MARK_H
#define YEDEK_CAT_MARK_H

#include <stdint.h>

#include "fork.h"

typedef struct cat_mark {
    char name[256];
    int64_t lsn;
    int64_t time;
    char backup_set_uuid[CAT_GUID_BUF];
} cat_mark;

/*
 * The mark `name` of a database on the lineage (a mark of a parent fork
 * counts only at or before that fork's bound).  A name used more than once
 * means its newest use.  *found = 0 when there is none.
 */
int cat_mark_find(catalog *cat, const char *database_guid, const cat_lineage *l,
                  const char *name, cat_mark *out, int *found, yerr *e);

/* Record a mark held by a backup (backup_set_uuid in m). */
int cat_mark_insert(catalog *cat, const char *database_guid, const char *fork_guid,
                    const cat_mark *m, yerr *e);

#endif
