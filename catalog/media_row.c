/*
 * media_row.c: media header and trailer <-> catalog row (see media_row.h).
 */
#include "media_row.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "isotime.h"
#include "mark.h"

static enum cat_backup_type row_type(enum fmt_media_type t)
{
    return t == FMT_MEDIA_FULL ? CAT_FULL : t == FMT_MEDIA_DIFF ? CAT_DIFF : CAT_LOG;
}

void cat_row_from_media(const fmt_media_hdr *h, const fmt_media_trailer *t,
                        const char *media_path, uint64_t size, const uint8_t sha256[32],
                        cat_backupset *row)
{
    memset(row, 0, sizeof *row);
    snprintf(row->backup_set_uuid, sizeof row->backup_set_uuid, "%s", h->backup_set_uuid);
    snprintf(row->database_name, sizeof row->database_name, "%s", h->database_name);
    snprintf(row->database_guid, sizeof row->database_guid, "%s", h->database_guid);
    snprintf(row->recovery_fork_guid, sizeof row->recovery_fork_guid, "%s", h->recovery_fork_guid);
    row->type = row_type(h->type);
    row->is_copy_only = h->is_copy_only;
    row->first_lsn = (int64_t)h->first_lsn;
    row->last_lsn = (int64_t)h->last_lsn;
    row->checkpoint_lsn = (int64_t)h->checkpoint_lsn;
    row->database_backup_lsn.is_set = h->has_database_backup_lsn;
    row->database_backup_lsn.v = h->has_database_backup_lsn ? (int64_t)h->database_backup_lsn : 0;
    row->differential_base_lsn.is_set = h->has_differential_base;
    row->differential_base_lsn.v = h->has_differential_base ? (int64_t)h->differential_base_lsn : 0;
    if (h->has_differential_base)
        snprintf(row->differential_base_guid, sizeof row->differential_base_guid, "%s",
                 h->differential_base_guid);
    row->begins_log_chain = h->begins_log_chain;
    row->first_time = h->first_time;
    row->last_time = h->last_time;
    row->backup_start_date = h->backup_start_date;
    row->backup_finish_date = t->backup_finish_date;
    row->backup_size = (int64_t)size;
    snprintf(row->media_path, sizeof row->media_path, "%s", media_path);
    for (int i = 0; i < 32; i++)
        snprintf(row->media_sha256 + 2 * i, 3, "%02x", sha256[i]);
    snprintf(row->recovery_model, sizeof row->recovery_model, "%s", h->recovery_model);
    snprintf(row->description, sizeof row->description, "%s", h->description);
}

void cat_fork_from_media(const fmt_media_hdr *h, cat_fork *f)
{
    memset(f, 0, sizeof *f);
    snprintf(f->fork_guid, sizeof f->fork_guid, "%s", h->recovery_fork_guid);
    snprintf(f->database_guid, sizeof f->database_guid, "%s", h->database_guid);
    snprintf(f->parent_fork_guid, sizeof f->parent_fork_guid, "%s", h->parent_fork_guid);
    f->fork_point_lsn = (int64_t)h->fork_point_lsn;
    f->fork_point_time = h->fork_point_time;
    f->created_time = h->fork_created_time;
}

int cat_register_media(catalog *cat, const fmt_media_hdr *h, const fmt_media_trailer *t,
                       cat_backupset *row, yerr *e)
{
    cat_fork f;

    cat_fork_from_media(h, &f);
    if (cat_fork_ensure(cat, &f, e) || cat_backupset_insert(cat, row, e))
        return e->code;
    for (uint32_t i = 0; i < t->n_marks && i < FMT_MEDIA_MAX_MARKS; i++) {
        cat_mark m;
        memset(&m, 0, sizeof m);
        snprintf(m.name, sizeof m.name, "%s", t->marks[i].name);
        m.lsn = (int64_t)t->marks[i].lsn;
        m.time = t->marks[i].time;
        snprintf(m.backup_set_uuid, sizeof m.backup_set_uuid, "%s", row->backup_set_uuid);
        if (cat_mark_insert(cat, row->database_guid, row->recovery_fork_guid, &m, e))
            return e->code;
    }
    return 0;
}

#define SAME_TEXT(col)                                                                     \
    if (strcmp(m->col, r->col) != 0)                                                        \
        return snprintf(why, size, #col ": media '%s', catalog '%s'", m->col, r->col), 0
#define SAME_INT(col)                                                                      \
    if (m->col != r->col)                                                                   \
        return snprintf(why, size, #col ": media %" PRId64 ", catalog %" PRId64,            \
                        (int64_t)m->col, (int64_t)r->col), 0
#define SAME_OPT(col)                                                                      \
    if (m->col.is_set != r->col.is_set || m->col.v != r->col.v)                             \
        return snprintf(why, size, #col ": media %s%" PRId64 ", catalog %s%" PRId64,        \
                        m->col.is_set ? "" : "NULL ", m->col.v, r->col.is_set ? "" : "NULL ", \
                        r->col.v), 0

int cat_row_matches(const cat_backupset *m, const cat_backupset *r, char *why, size_t size)
{
    SAME_TEXT(backup_set_uuid);
    SAME_TEXT(database_name);
    SAME_TEXT(database_guid);
    SAME_TEXT(recovery_fork_guid);
    SAME_INT(type);
    SAME_INT(is_copy_only);
    SAME_INT(first_lsn);
    SAME_INT(last_lsn);
    SAME_INT(checkpoint_lsn);
    SAME_OPT(database_backup_lsn);
    SAME_OPT(differential_base_lsn);
    SAME_TEXT(differential_base_guid);
    SAME_INT(begins_log_chain);
    SAME_INT(first_time);
    SAME_INT(last_time);
    SAME_INT(backup_start_date);
    SAME_INT(backup_finish_date);
    SAME_INT(backup_size);
    SAME_TEXT(media_path);
    SAME_TEXT(media_sha256);
    SAME_TEXT(recovery_model);
    SAME_TEXT(description);
    return 1;
}
