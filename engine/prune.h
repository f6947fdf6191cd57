/*
 * prune.h: chain-safe retention, applied.
 *
 * The decision is the catalog's (catalog/retention.h: which backups no
 * restore point inside the kept window needs, each with its reason); here
 * it is carried out: the rows go first, in one catalog transaction (with
 * their marks), then the media files.  A crash in between leaves files no
 * row names, never a row whose file is gone.
 */
#ifndef YEDEK_ENG_PRUNE_H
#define YEDEK_ENG_PRUNE_H

#include <stddef.h>
#include <stdint.h>

#include "retention.h"

typedef struct eng_prune_result {
    cat_prune_plan plan;   /* what goes, and why (owned: eng_prune_result_free) */
    size_t removed;        /* 0 with dry_run */
    int64_t bytes;         /* media bytes freed (or that would be) */
} eng_prune_result;

/* database: a catalog name, GUID or database file path. */
int eng_prune(catalog *cat, const char *database, const cat_retention_policy *p, int64_t now,
              int dry_run, eng_prune_result *r, yerr *e);
void eng_prune_result_free(eng_prune_result *r);

#endif
