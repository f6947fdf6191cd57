/*
 * target.h: what a restore aims at.
 *
 * "The database at LSN x" holds every transaction whose end <= x.  "The
 * database at time T" holds every transaction committed at or before T.  A
 * mark names the start LSN of a transaction: MARK restores through it,
 * BEFORE_MARK stops just before it.  LATEST is the furthest restorable
 * point.
 */
#ifndef YEDEK_CAT_TARGET_H
#define YEDEK_CAT_TARGET_H

#include <stdint.h>

#include "backupset.h"

enum cat_target_kind {
    CAT_TARGET_LATEST,
    CAT_TARGET_TIME,
    CAT_TARGET_LSN,
    CAT_TARGET_MARK,
    CAT_TARGET_BEFORE_MARK
};

typedef struct cat_target {
    enum cat_target_kind kind;
    int64_t time;               /* TIME: microseconds since epoch, UTC */
    int64_t lsn;                /* LSN */
    char mark[CAT_NAME_BUF];    /* MARK, BEFORE_MARK */
    char fork_guid[CAT_GUID_BUF]; /* "" = the newest fork */
} cat_target;

/* "latest", "time", "lsn", "mark", "before_mark" (CONTRACT.md's words). */
const char *cat_target_kind_name(enum cat_target_kind k);

/* The target's value as text: an ISO time, an LSN, a mark name, or "". */
void cat_target_value(const cat_target *t, char *buf, size_t size);

#endif
