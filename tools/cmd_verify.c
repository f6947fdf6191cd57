/*
 * cmd_verify.c: `yedek verify [UUID...] [--key-file FILE]`: re-read media,
 * check every block, the decryption, the SHA-256 and the header against
 * the catalog, then the chains of the databases concerned.
 *
 * A backup that fails is marked is_damaged (the planner routes around it);
 * one that passes again is unmarked.  Exit 4 when any media failed, 1 when
 * one could not be checked (a key is missing), 3 when the media are sound
 * but a chain has a break, 0 otherwise.
 *
 * `yedek verify --restore-test [DB...]`: the drill (engine/drill.h) for
 * each database named, or every database of the catalog.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "drill.h"
#include "commands.h"
#include "media.h"
#include "verify.h"

typedef struct verify_ctx {
    cli *c;
    catalog *cat;
    const uint8_t *key;
    size_t key_len;
    json_t *rows;
    char (*guids)[CAT_GUID_BUF]; /* databases concerned */
    size_t n_guids;
    int failed, unchecked, passed;
} verify_ctx;

static void note_database(verify_ctx *x, const char *guid)
{
    for (size_t i = 0; i < x->n_guids; i++)
        if (strcmp(x->guids[i], guid) == 0)
            return;
    char(*g)[CAT_GUID_BUF] = realloc(x->guids, (x->n_guids + 1) * sizeof *g);
    if (!g)
        return;
    x->guids = g;
    snprintf(x->guids[x->n_guids++], CAT_GUID_BUF, "%s", guid);
}

static int verify_row(const cat_backupset *row, void *arg, yerr *e)
{
    verify_ctx *x = arg;
    yerr v;
    int rc;

    yerr_clear(&v);
    note_database(x, row->database_guid);
    rc = eng_verify_media(x->cat, row, x->key, x->key_len, &v);
    if (rc == YERR_MEDIA || (rc == YERR_FAIL && !cat_media_exists(x->cat, row->media_path)))
        x->failed++;
    else if (rc)
        x->unchecked++;
    else
        x->passed++;
    /* Damage is recorded; a file that is only missing the planner sees. */
    if ((rc == YERR_MEDIA) != (row->is_damaged != 0) && (rc == 0 || rc == YERR_MEDIA)
        && cat_backupset_set_damaged(x->cat, row->backup_set_uuid, rc == YERR_MEDIA, e))
        return e->code;
    if (x->c->json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:b}", "backup_set_uuid", row->backup_set_uuid,
                              "type", cat_backup_type_name(row->type), "media_path",
                              row->media_path, "ok", rc == 0);
        if (rc)
            json_object_set_new(o, "error", json_string(v.msg));
        json_array_append_new(x->rows, o);
    } else if (rc) {
        printf("FAILED  %s  %-4s  %s\n        %s\n", row->backup_set_uuid,
               cat_backup_type_name(row->type), row->media_path, v.msg);
        if (v.hint[0])
            printf("        %s\n", v.hint);
    } else if (x->c->verbosity >= 0) {
        printf("ok      %s  %-4s  %s\n", row->backup_set_uuid, cat_backup_type_name(row->type),
               row->media_path);
    }
    return 0;
}

static int check_chains(verify_ctx *x, json_t *chains, size_t *breaks, yerr *e)
{
    for (size_t i = 0; i < x->n_guids; i++) {
        cat_check k;
        if (cat_check_database(x->cat, x->guids[i], &k, e))
            return e->code;
        *breaks += k.n_breaks;
        for (size_t b = 0; b < k.n_breaks; b++) {
            if (chains)
                json_array_append_new(chains, json_pack("{s:s, s:s, s:s}", "database",
                                                        k.database_name, "kind",
                                                        cat_break_kind_name(k.breaks[b].kind),
                                                        "message", k.breaks[b].message));
            else
                printf("chain   %s: %s\n", k.database_name, k.breaks[b].message);
        }
        cat_check_free(&k);
    }
    return 0;
}

typedef struct drill_ctx {
    cli *c;
    catalog *cat;
    const uint8_t *key;
    size_t key_len;
    json_t *rows;
    int passed, failed, worst;
} drill_ctx;

static int drill_one(const char *database, void *arg, yerr *e)
{
    drill_ctx *x = arg;
    eng_drill_result *r = calloc(1, sizeof *r);
    cat_target t;
    const char *tmp = getenv("TMPDIR");
    yerr v;
    int rc;

    (void)e;
    if (!r)
        return yerr_oom(e);
    memset(&t, 0, sizeof t);
    t.kind = CAT_TARGET_LATEST;
    yerr_clear(&v);
    rc = eng_drill(x->cat, database, &t, tmp && *tmp ? tmp : "/tmp", x->key, x->key_len, r, &v);
    if (rc) {
        x->failed++;
        /* media damage outranks an unreachable point, which outranks the rest */
        if (rc == YERR_MEDIA || (rc == YERR_UNREACHABLE && x->worst != YERR_MEDIA)
            || x->worst == 0)
            x->worst = rc;
    } else {
        x->passed++;
    }
    if (x->c->json) {
        json_t *o = json_pack("{s:s, s:b}", "database",
                              r->restore.plan.database_name[0] ? r->restore.plan.database_name
                                                               : database,
                              "ok", rc == 0);
        json_object_set_new(o, "restored_to_lsn", rc == 0 || r->integrity[0]
                                                      ? json_integer((json_int_t)r->restore.lsn)
                                                      : json_null());
        json_object_set_new(o, "backups", json_integer((json_int_t)r->restore.plan.n_steps));
        json_object_set_new(o, "integrity_check", r->integrity[0] ? json_string(r->integrity)
                                                                  : json_null());
        if (rc)
            json_object_set_new(o, "error", json_string(v.msg));
        json_array_append_new(x->rows, o);
    } else if (rc) {
        printf("FAILED  restore drill of %s\n        %s\n", database, v.msg);
    } else {
        printf("ok      restore drill of %s: LSN %llu from %zu backup%s, integrity_check ok%s\n",
               r->restore.plan.database_name, (unsigned long long)r->restore.lsn,
               r->restore.plan.n_steps, r->restore.plan.n_steps == 1 ? "" : "s",
               r->restore.cksum_verified ? ", checksum matches capture's" : "");
    }
    eng_drill_result_free(r);
    free(r);
    return 0;
}

static int restore_test(cli *c, catalog *cat, const uint8_t *key, size_t key_len, int argc,
                        char **argv, yerr *e)
{
    drill_ctx x = {c, cat, key, key_len, json_array(), 0, 0, 0};
    int rc = 0;

    if (optind == argc)
        rc = cat_check_each_database(cat, drill_one, &x, e);
    for (int i = optind; i < argc && !rc; i++)
        rc = drill_one(argv[i], &x, e);
    if (!rc && c->json) {
        c->json_printed = 1;
        cli_json_print(json_pack("{s:O, s:i, s:i}", "restore_tests", x.rows, "passed", x.passed,
                                 "failed", x.failed));
    } else if (!rc) {
        printf("%d restore drill%s passed, %d failed\n", x.passed, x.passed == 1 ? "" : "s",
               x.failed);
    }
    json_decref(x.rows);
    if (rc)
        return rc;
    if (x.failed)
        return yerr_set(e, x.worst, "verify --restore-test: %d restore drill%s failed", x.failed,
                        x.failed == 1 ? "" : "s");
    return 0;
}

int cmd_verify(cli *c, int argc, char **argv, yerr *e)
{
    static const struct option opts[] = {{"key-file", required_argument, NULL, 'k'},
                                         {"restore-test", no_argument, NULL, 'R'},
                                         {NULL, 0, NULL, 0}};
    verify_ctx x;
    const char *key_file = NULL;
    uint8_t key[FMT_MEDIA_KEY_MAX];
    size_t key_len = 0, breaks = 0;
    json_t *chains = NULL;
    int opt, rc = 0, drill = 0;

    memset(&x, 0, sizeof x);
    opterr = 0;
    optind = 0; /* glibc: reinitialise getopt */
    while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (opt == 'k')
            key_file = optarg;
        else if (opt == 'R')
            drill = 1;
        else
            return cli_option_error(e, "verify", opt, argv);
    }
    if (cli_key_load(key_file, key, sizeof key, &key_len, e))
        return e->code;
    if (cli_open_catalog(c, CAT_OPEN_EXISTING, &x.cat, e))
        return e->code;
    if (drill) {
        rc = restore_test(c, x.cat, key_len ? key : NULL, key_len, argc, argv, e);
        cat_close(x.cat);
        memset(key, 0, sizeof key);
        return rc;
    }
    x.c = c;
    x.key = key_len ? key : NULL;
    x.key_len = key_len;
    x.rows = json_array();
    if (optind == argc) {
        rc = cat_backupset_list(x.cat, NULL, verify_row, &x, e);
    } else {
        for (int i = optind; i < argc && !rc; i++) {
            cat_backupset row;
            rc = cat_backupset_get(x.cat, argv[i], &row, e) || verify_row(&row, &x, e);
        }
        rc = rc ? e->code : 0;
    }
    if (!rc) {
        chains = c->json ? json_array() : NULL;
        rc = check_chains(&x, chains, &breaks, e);
    }
    if (!rc && c->json) {
        c->json_printed = 1;
        cli_json_print(json_pack("{s:O, s:O, s:i, s:i, s:i}", "backups", x.rows, "chain_breaks",
                                 chains, "passed", x.passed, "failed", x.failed, "unchecked",
                                 x.unchecked));
    } else if (!rc)
        printf("%d passed, %d failed, %d not checked; %zu chain break%s\n", x.passed, x.failed,
               x.unchecked, breaks, breaks == 1 ? "" : "s");
    json_decref(x.rows);
    json_decref(chains);
    free(x.guids);
    cat_close(x.cat);
    memset(key, 0, sizeof key);
    if (rc)
        return rc;
    if (x.failed)
        return yerr_set(e, YERR_MEDIA, "verify: %d backup%s failed verification", x.failed,
                        x.failed == 1 ? "" : "s");
    if (x.unchecked) {
        yerr_set(e, YERR_FAIL, "verify: %d backup%s could not be checked", x.unchecked,
                 x.unchecked == 1 ? "" : "s");
        yerr_hint(e, "give the key of encrypted backups with --key-file or $YEDEK_KEY_FILE");
        return e->code;
    }
    if (breaks)
        return yerr_set(e, YERR_UNREACHABLE, "verify: the media are sound, but %zu chain break%s"
                        " found", breaks, breaks == 1 ? " was" : "s were");
    return 0;
}
