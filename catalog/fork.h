/*
 * fork.h: recovery forks and the lineage a restore target lives on.
 *
 * A restore that stops short of the end starts a new recovery fork; the
 * fork's history up to its fork point is its parent's.  A plan for a target
 * on fork F may therefore use F's backups, its parent's backups for states
 * up to F's fork point, the grandparent's up to the parent's fork point, and
 * so on: the lineage.
 */
#ifndef YEDEK_CAT_FORK_H
#define YEDEK_CAT_FORK_H

#include <stdint.h>

#include "catalog.h"

#define CAT_LINEAGE_MAX 64

typedef struct cat_fork_span {
    char fork_guid[CAT_GUID_BUF];
    /* This fork's backups serve states up to this LSN and this time
     * (INT64_MAX for the target's own fork). */
    int64_t hi_lsn;
    int64_t hi_time;
} cat_fork_span;

/* span[0] is the target's fork, span[1] its parent, ... */
typedef struct cat_lineage {
    int n;
    cat_fork_span span[CAT_LINEAGE_MAX];
} cat_lineage;

/* The fork of the database's most recent backup. */
int cat_fork_newest(catalog *cat, const char *database_guid,
                     char out[CAT_GUID_BUF], yerr *e);

/* The lineage of `fork_guid` (empty: the newest fork).  Fails when the fork
 * is unknown for this database or its parents form a cycle. */
int cat_fork_lineage(catalog *cat, const char *database_guid,
                     const char *fork_guid, cat_lineage *out, yerr *e);

/* Index of `fork_guid` in the lineage, or -1. */
int cat_lineage_find(const cat_lineage *l, const char *fork_guid);

/* A recoveryfork row. */
typedef struct cat_fork {
    char fork_guid[CAT_GUID_BUF];
    char database_guid[CAT_GUID_BUF];
    char parent_fork_guid[CAT_GUID_BUF]; /* "" for a database's first fork */
    int64_t fork_point_lsn;              /* with a parent only */
    int64_t fork_point_time;             /* µs; with a parent only */
    int64_t created_time;                /* µs */
} cat_fork;

/* Record the fork unless the catalog knows it already. */
int cat_fork_ensure(catalog *cat, const cat_fork *f, yerr *e);

#endif
