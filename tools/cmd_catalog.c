/*
 * cmd_catalog.c: `yedek catalog list|show|check|rebuild`, the catalog
 * inspection tool.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "commands.h"
#include "database.h"
#include "isotime.h"
#include "media.h"
#include "rebuild.h"

/* ---- list ---------------------------------------------------------------- */

typedef struct list_ctx {
    int json;
    json_t *rows;
    size_t n;
} list_ctx;

static int list_row(const cat_backupset *r, void *arg, yerr *e)
{
    list_ctx *l = arg;
    char t[YTIME_BUF], size[32], lsn[48];
    (void)e;
    if (l->json) {
        json_array_append_new(l->rows, cli_backupset_json(r));
        return 0;
    }
    if (l->n++ == 0)
        printf("%-36s  %-12s  %-4s  %-21s  %-24s  %10s  %s\n", "backup_set_uuid", "database",
               "type", "LSN", "finished", "size", "flags");
    ytime_format_short(r->backup_finish_date, t);
    cli_human_bytes(r->backup_size, size, sizeof size);
    snprintf(lsn, sizeof lsn, "%lld..%lld", (long long)r->first_lsn, (long long)r->last_lsn);
    printf("%-36s  %-12s  %-4s  %-21s  %-24s  %10s  %s%s\n", r->backup_set_uuid,
           r->database_name, cat_backup_type_name(r->type), lsn, t, size,
           r->is_copy_only ? "copy-only " : "", r->is_damaged ? "damaged" : "");
    return 0;
}

static int catalog_list(cli *c, catalog *cat, int argc, char **argv, yerr *e)
{
    list_ctx l = {c->json, c->json ? json_array() : NULL, 0};
    cat_database db;
    int found;

    if (argc > 2)
        return cli_usage(e, "catalog", "list takes at most one database");
    if (argc == 2 && cat_database_resolve(cat, argv[1], &db, &found, e)) {
        json_decref(l.rows);
        return yerr_ctx(e, "catalog list");
    }
    if (cat_backupset_list(cat, argc == 2 ? db.guid : NULL, list_row, &l, e)) {
        json_decref(l.rows);
        return e->code;
    }
    if (c->json)
        cli_json_print(l.rows);
    else if (l.n == 0)
        printf("no backups in the catalog\n");
    return 0;
}

/* ---- show ---------------------------------------------------------------- */

static int catalog_show(cli *c, catalog *cat, int argc, char **argv, yerr *e)
{
    cat_backupset r;
    json_t *o;
    const char *key;
    json_t *v;

    if (argc != 2)
        return cli_usage(e, "catalog", "show takes one backup_set_uuid");
    if (cat_backupset_get(cat, argv[1], &r, e))
        return yerr_ctx(e, "catalog show");
    o = cli_backupset_json(&r);
    if (c->json) {
        cli_json_print(o);
        return 0;
    }
    json_object_foreach(o, key, v) {
        char *text = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY);
        printf("%-24s %s\n", key, text ? text : json_string_value(v));
        free(text);
    }
    printf("%-24s %s\n", "media_present", cat_media_exists(cat, r.media_path) ? "yes" : "NO");
    json_decref(o);
    return 0;
}

/* ---- check --------------------------------------------------------------- */

typedef struct check_ctx {
    catalog *cat;
    int json;
    json_t *dbs;
    size_t n_breaks;
} check_ctx;

static json_t *check_json(const cat_check *k)
{
    json_t *breaks = json_array(), *windows = json_array();
    for (size_t i = 0; i < k->n_breaks; i++) {
        const cat_break *b = &k->breaks[i];
        json_t *o = json_pack("{s:s, s:s, s:s}", "kind", cat_break_kind_name(b->kind),
                              "message", b->message, "recovery_fork_guid", b->fork_guid);
        if (b->kind == CAT_BREAK_LOG_GAP) {
            json_object_set_new(o, "gap_from_lsn", json_integer(b->from_lsn));
            json_object_set_new(o, "gap_to_lsn", json_integer(b->to_lsn));
            json_object_set_new(o, "before_backup_set_uuid", json_string(b->before_uuid));
            json_object_set_new(o, "after_backup_set_uuid", json_string(b->after_uuid));
        } else {
            json_object_set_new(o, "backup_set_uuid", json_string(b->backup_set_uuid));
            json_object_set_new(o, "from_lsn", json_integer(b->from_lsn));
            json_object_set_new(o, "to_lsn", json_integer(b->to_lsn));
            if (b->kind == CAT_BREAK_UNREACHABLE_LOGS)
                json_object_set_new(o, "count", json_integer((json_int_t)b->count));
        }
        json_array_append_new(breaks, o);
    }
    for (size_t i = 0; i < k->n_windows; i++) {
        const cat_window *w = &k->windows[i];
        json_array_append_new(
            windows, json_pack("{s:s, s:I, s:I, s:o, s:o, s:s}", "recovery_fork_guid",
                               w->fork_guid, "from_lsn", (json_int_t)w->from_lsn, "to_lsn",
                               (json_int_t)w->to_lsn, "from_time", cli_json_time(w->from_time),
                               "to_time", cli_json_time(w->to_time), "base_backup_set_uuid",
                               w->base_uuid));
    }
    return json_pack("{s:s, s:s, s:s, s:o, s:o}", "database", k->database_name,
                     "database_guid", k->database_guid, "chain",
                     k->n_breaks ? "broken" : "intact", "breaks", breaks, "windows", windows);
}

static void check_print(const cat_check *k)
{
    printf("%s (database %s): chain %s\n", k->database_name, k->database_guid,
           k->n_breaks ? "BROKEN" : "intact");
    for (size_t i = 0; i < k->n_breaks; i++)
        printf("  break: %s\n", k->breaks[i].message);
    if (!k->n_windows)
        printf("  no restorable point\n");
    for (size_t i = 0; i < k->n_windows; i++) {
        const cat_window *w = &k->windows[i];
        char t1[YTIME_BUF], t2[YTIME_BUF];
        ytime_format_short(w->from_time, t1);
        ytime_format_short(w->to_time, t2);
        printf("  restorable: %s .. %s  (LSN %lld .. %lld, fork %s, from %s)\n", t1, t2,
               (long long)w->from_lsn, (long long)w->to_lsn, w->fork_guid, w->base_uuid);
    }
}

static int check_one(const char *database, void *arg, yerr *e)
{
    check_ctx *x = arg;
    cat_check k;

    if (cat_check_database(x->cat, database, &k, e))
        return e->code;
    x->n_breaks += k.n_breaks;
    if (x->json)
        json_array_append_new(x->dbs, check_json(&k));
    else
        check_print(&k);
    cat_check_free(&k);
    return 0;
}

static int catalog_check(cli *c, catalog *cat, int argc, char **argv, yerr *e)
{
    check_ctx x = {cat, c->json, json_array(), 0};
    int rc;

    if (argc > 2) {
        json_decref(x.dbs);
        return cli_usage(e, "catalog", "check takes at most one database");
    }
    rc = argc == 2 ? check_one(argv[1], &x, e) : cat_check_each_database(cat, check_one, &x, e);
    if (rc) {
        json_decref(x.dbs);
        return rc;
    }
    if (c->json)
        cli_json_print(json_pack("{s:o}", "databases", x.dbs));
    else
        json_decref(x.dbs);
    if (x.n_breaks) {
        /* The report is on stdout; the exit code lets scripts alert. */
        yerr_set(e, YERR_UNREACHABLE, "catalog check: %zu chain break%s found", x.n_breaks,
                 x.n_breaks == 1 ? "" : "s");
        return e->code;
    }
    return 0;
}

/* ---- rebuild ---------------------------------------------------------------- */

static void rebuild_note(void *arg, const char *media_path, const char *why)
{
    json_t *notes = arg;
    if (notes)
        json_array_append_new(notes, json_pack("{s:s, s:s}", "media_path", media_path, "why", why));
    else
        fprintf(stderr, "yedek: %s: %s\n", media_path, why);
}

static int catalog_rebuild(cli *c, int argc, char **argv, yerr *e)
{
    static const struct option opts[] = {{"key-file", required_argument, NULL, 'k'},
                                         {NULL, 0, NULL, 0}};
    const char *key_file = NULL;
    uint8_t key[FMT_MEDIA_KEY_MAX];
    size_t key_len = 0;
    char path[PATH_MAX];
    cat_rebuild_report rep;
    json_t *notes = c->json ? json_array() : NULL;
    int opt, rc;

    opterr = 0;
    optind = 0; /* glibc: reinitialise getopt */
    while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (opt != 'k') {
            json_decref(notes);
            return cli_option_error(e, "catalog", opt, argv);
        }
        key_file = optarg;
    }
    if (optind != argc) {
        json_decref(notes);
        return cli_usage(e, "catalog", "rebuild takes no database");
    }
    if (cli_key_load(key_file, key, sizeof key, &key_len, e)) {
        json_decref(notes);
        return e->code;
    }
    cli_catalog_path(c, path, sizeof path);
    rc = cat_rebuild(path, c->repo, key_len ? key : NULL, key_len, rebuild_note, notes, &rep, e);
    memset(key, 0, sizeof key);
    if (rc) {
        json_decref(notes);
        return rc;
    }
    if (c->json)
        cli_json_print(json_pack("{s:i, s:i, s:i, s:o}", "registered", rep.registered, "damaged",
                                 rep.damaged, "skipped", rep.skipped, "notes", notes));
    else
        printf("catalog rebuilt from the media: %d backup%s registered (%d damaged), %d file%s"
               " skipped\n", rep.registered, rep.registered == 1 ? "" : "s", rep.damaged,
               rep.skipped, rep.skipped == 1 ? "" : "s");
    return 0;
}

int cmd_catalog(cli *c, int argc, char **argv, yerr *e)
{
    catalog *cat = NULL;
    int rc;

    if (argc < 2)
        return cli_usage(e, "catalog", "give list, show, check or rebuild");
    argc--;
    argv++;
    if (strcmp(argv[0], "rebuild") == 0)
        return catalog_rebuild(c, argc, argv, e);
    if (strcmp(argv[0], "list") && strcmp(argv[0], "show") && strcmp(argv[0], "check"))
        return cli_usage(e, "catalog", "unknown subcommand '%s'", argv[0]);
    /* A repository without a catalog yet simply has no backups. */
    if (cli_open_catalog(c, CAT_OPEN_CREATE, &cat, e))
        return e->code;
    if (strcmp(argv[0], "list") == 0)
        rc = catalog_list(c, cat, argc, argv, e);
    else if (strcmp(argv[0], "show") == 0)
        rc = catalog_show(c, cat, argc, argv, e);
    else
        rc = catalog_check(c, cat, argc, argv, e);
    cat_close(cat);
    return rc;
}
