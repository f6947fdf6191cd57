/*
 * cmd_backup.c: `yedek backup full|diff|log DB [options]`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "commands.h"
#include "media.h"

static void print_result(const cli *c, const eng_backup_result *r, double secs)
{
    char size[32];
    if (c->json) {
        json_t *o = json_pack("{s:o, s:I, s:i, s:i, s:b, s:i, s:f}", "backup",
                              cli_backupset_json(&r->row), "db_bytes_read",
                              (json_int_t)r->db_bytes_read, "extents", (int)r->extents,
                              "extents_saved", (int)r->extents_saved, "scanned", r->scanned,
                              "marks", (int)r->marks, "seconds", secs);
        if (r->scanned)
            json_object_set_new(o, "scan_reason", json_string(r->scan_reason));
        cli_json_print(o);
        return;
    }
    cli_human_bytes(r->row.backup_size, size, sizeof size);
    printf("%s%s backup of %s: LSN %lld..%lld, %s in %.2f s\n",
           cat_backup_type_name(r->row.type), r->row.is_copy_only ? " (copy-only)" : "",
           r->row.database_name, (long long)r->row.first_lsn, (long long)r->row.last_lsn, size,
           secs);
    if (r->row.type == CAT_DIFF)
        printf("  %u of %u extents changed since base %s\n", r->extents_saved, r->extents,
               r->row.differential_base_guid);
    if (r->scanned)
        printf("  compared every extent with the base's hashes: %s\n", r->scan_reason);
    if (r->marks)
        printf("  holds %u mark%s\n", r->marks, r->marks == 1 ? "" : "s");
    printf("  %s  %s\n", r->row.backup_set_uuid, r->row.media_path);
}

int cmd_backup(cli *c, int argc, char **argv, yerr *e)
{
    static const struct option opts[] = {
        {"copy-only", no_argument, NULL, 'c'},   {"scan", no_argument, NULL, 's'},
        {"tail", no_argument, NULL, 't'},        {"compress", required_argument, NULL, 'z'},
        {"key-file", required_argument, NULL, 'k'}, {"description", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0}};
    eng_backup_opts o;
    eng_backup_result r;
    catalog *cat = NULL;
    const char *key_file = NULL;
    uint8_t key[FMT_MEDIA_KEY_MAX];
    size_t key_len = 0;
    cli_progress pg;
    int opt, type, rc;

    memset(&o, 0, sizeof o);
    o.zstd_level = 3;
    opterr = 0;
    optind = 0; /* glibc: reinitialise getopt */
    while ((opt = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (opt) {
        case 'c': o.copy_only = 1; break;
        case 's': o.scan = 1; break;
        case 't': o.tail = 1; break;
        case 'z':
            if (eng_compress_parse(optarg, &o.zstd_level) != 0)
                return cli_usage(e, "backup", "--compress takes none, zstd or zstd:LEVEL"
                                 " (1..19), not '%s'", optarg);
            break;
        case 'k': key_file = optarg; break;
        case 'd': o.description = optarg; break;
        default: return cli_option_error(e, "backup", opt, argv);
        }
    }
    if (argc - optind != 2)
        return cli_usage(e, "backup", "give the type (full, diff or log) and the database");
    type = cat_backup_type_parse(argv[optind]);
    if (type < 0)
        return cli_usage(e, "backup", "the type is full, diff or log, not '%s'", argv[optind]);
    o.type = (enum cat_backup_type)type;
    if (o.scan && o.type != CAT_DIFF)
        return cli_usage(e, "backup", "--scan is for diff backups");
    if (o.tail && o.type != CAT_LOG)
        return cli_usage(e, "backup", "--tail is for log backups");
    if (o.copy_only && o.type == CAT_DIFF)
        return cli_usage(e, "backup", "--copy-only is for full and log backups");
    if (cli_key_load(key_file, key, sizeof key, &key_len, e))
        return e->code;
    o.key = key_len ? key : NULL;
    o.key_len = key_len;
    if (cli_open_catalog(c, CAT_OPEN_CREATE, &cat, e))
        return e->code;
    cli_progress_start(&pg, "backup");
    o.progress = cli_progress_update;
    o.progress_arg = &pg;
    rc = eng_backup(cat, argv[optind + 1], &o, &r, e);
    cli_progress_end(&pg);
    if (rc == 0)
        print_result(c, &r, (double)(r.row.backup_finish_date - r.row.backup_start_date) / 1e6);
    cat_close(cat);
    memset(key, 0, sizeof key);
    return rc;
}
