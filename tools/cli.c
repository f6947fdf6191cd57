#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "isotime.h"
#include "media.h"

void cli_catalog_path(const cli *c, char *out, size_t size)
{
    if (c->catalog_path)
        snprintf(out, size, "%s", c->catalog_path);
    else
        snprintf(out, size, "%s/catalog.db", c->repo);
}

int cli_open_catalog(const cli *c, enum cat_open_mode mode, catalog **out, yerr *e)
{
    char path[PATH_MAX];

    cli_catalog_path(c, path, sizeof path);
    if (mode == CAT_OPEN_CREATE && cli_mkdirs(c->repo, e))
        return yerr_ctx(e, "create repository");
    if (cat_open(path, c->repo, mode, out, e)) {
        if (mode == CAT_OPEN_EXISTING)
            yerr_hint(e, "check --repo (or $YEDEK_REPO); a repository gets its catalog"
                         " with its first backup");
        return e->code;
    }
    return 0;
}

int cli_usage(yerr *e, const char *cmd, const char *fmt, ...)
{
    char msg[YERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    yerr_set(e, YERR_USAGE, "%s: %s", cmd, msg);
    yerr_hint(e, "see 'yedek help %s'", cmd);
    return YERR_USAGE;
}

int cli_option_error(yerr *e, const char *cmd, int opt, char **argv)
{
    const char *word = argv[optind - 1];
    char what[128];

    if (opt == ':')
        snprintf(what, sizeof what, "option '%s' needs a value", word);
    else if (optopt)
        snprintf(what, sizeof what, "unknown option '-%c'", optopt);
    else
        snprintf(what, sizeof what, "unknown option '%s'", word);
    if (cmd)
        return cli_usage(e, cmd, "%s", what);
    yerr_set(e, YERR_USAGE, "%s", what);
    yerr_hint(e, "'yedek --help' lists the options");
    return YERR_USAGE;
}

int cli_mkdirs(const char *path, yerr *e)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);

    if (n >= sizeof buf)
        return yerr_set(e, YERR_FAIL, "%s: path too long", path);
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0700) != 0 && errno != EEXIST)
                return yerr_set(e, YERR_FAIL, "%s: %s", buf, strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    return 0;
}

static int parse_int64(const char *s, int64_t *out)
{
    char *end;
    long long v;
    if (*s < '0' || *s > '9')
        return -1; /* strtoll would take spaces, signs */
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0)
        return -1;
    *out = v;
    return 0;
}

int cli_target_option(int opt, const char *arg, cat_target *t, int *n_kinds, yerr *e)
{
    switch (opt) {
    case 'T':
        if (ytime_parse(arg, &t->time, e))
            return -1;
        t->kind = CAT_TARGET_TIME;
        break;
    case 'L':
        if (parse_int64(arg, &t->lsn)) {
            yerr_set(e, YERR_USAGE, "invalid LSN '%s': not a non-negative integer", arg);
            return -1;
        }
        t->kind = CAT_TARGET_LSN;
        break;
    case 'M':
    case 'B':
        if (strlen(arg) >= sizeof t->mark || !arg[0]) {
            yerr_set(e, YERR_USAGE, "invalid mark name '%s'", arg);
            return -1;
        }
        snprintf(t->mark, sizeof t->mark, "%s", arg);
        t->kind = opt == 'M' ? CAT_TARGET_MARK : CAT_TARGET_BEFORE_MARK;
        break;
    case 'F':
        if (strlen(arg) >= sizeof t->fork_guid) {
            yerr_set(e, YERR_USAGE, "invalid fork GUID '%s'", arg);
            return -1;
        }
        snprintf(t->fork_guid, sizeof t->fork_guid, "%s", arg);
        return 1;
    default:
        return 0;
    }
    if (++*n_kinds > 1) {
        yerr_set(e, YERR_USAGE, "give one target: --at, --lsn, --mark or --before-mark");
        return -1;
    }
    return 1;
}

void cli_json_print(json_t *doc)
{
    json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(doc);
}

json_t *cli_json_time(int64_t us)
{
    char buf[YTIME_BUF];
    ytime_format(us, buf);
    return json_string(buf);
}

void cli_human_bytes(int64_t n, char *buf, size_t size)
{
    static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    int u = -1;
    while (v >= 1024 && u < 3) {
        v /= 1024;
        u++;
    }
    if (u < 0)
        snprintf(buf, size, "%" PRId64 " B", n);
    else
        snprintf(buf, size, "%.1f %s", v, unit[u]);
}

static json_t *optint_json(cat_optint o)
{
    return o.is_set ? json_integer(o.v) : json_null();
}

static json_t *text_or_null(const char *s)
{
    return s[0] ? json_string(s) : json_null();
}

/* Every column of CONTRACT.md, under its column name. */
json_t *cli_backupset_json(const cat_backupset *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "backup_id", json_integer(r->backup_id));
    json_object_set_new(o, "backup_set_uuid", json_string(r->backup_set_uuid));
    json_object_set_new(o, "database_name", json_string(r->database_name));
    json_object_set_new(o, "database_guid", json_string(r->database_guid));
    json_object_set_new(o, "recovery_fork_guid", json_string(r->recovery_fork_guid));
    json_object_set_new(o, "type", json_string(cat_backup_type_name(r->type)));
    json_object_set_new(o, "is_copy_only", json_integer(r->is_copy_only));
    json_object_set_new(o, "first_lsn", json_integer(r->first_lsn));
    json_object_set_new(o, "last_lsn", json_integer(r->last_lsn));
    json_object_set_new(o, "checkpoint_lsn", json_integer(r->checkpoint_lsn));
    json_object_set_new(o, "database_backup_lsn", optint_json(r->database_backup_lsn));
    json_object_set_new(o, "differential_base_lsn", optint_json(r->differential_base_lsn));
    json_object_set_new(o, "differential_base_guid", text_or_null(r->differential_base_guid));
    json_object_set_new(o, "begins_log_chain", json_integer(r->begins_log_chain));
    json_object_set_new(o, "first_time", cli_json_time(r->first_time));
    json_object_set_new(o, "last_time", cli_json_time(r->last_time));
    json_object_set_new(o, "backup_start_date", cli_json_time(r->backup_start_date));
    json_object_set_new(o, "backup_finish_date", cli_json_time(r->backup_finish_date));
    json_object_set_new(o, "backup_size", json_integer(r->backup_size));
    json_object_set_new(o, "media_path", json_string(r->media_path));
    json_object_set_new(o, "media_sha256", text_or_null(r->media_sha256));
    json_object_set_new(o, "is_damaged", json_integer(r->is_damaged));
    json_object_set_new(o, "recovery_model", text_or_null(r->recovery_model));
    json_object_set_new(o, "description", text_or_null(r->description));
    return o;
}

/* ---- keys ------------------------------------------------------------- */

int cli_key_load(const char *opt, uint8_t *key, size_t size, size_t *len, yerr *e)
{
    const char *path = opt ? opt : getenv("YEDEK_KEY_FILE");
    *len = 0;
    if (!path || !path[0])
        return 0;
    if (fmt_media_key_read(path, key, size, len, e)) {
        yerr_hint(e, "a key file holds at least %d bytes of secret, for example from:"
                     " openssl rand -hex 32 > FILE", FMT_MEDIA_KEY_MIN);
        return e->code;
    }
    return 0;
}

/* ---- progress ----------------------------------------------------------- */

void cli_progress_start(cli_progress *p, const char *what)
{
    memset(p, 0, sizeof *p);
    p->on = isatty(2);
    p->start_us = p->last_us = ytime_now();
    p->what = what;
}

void cli_progress_update(void *arg, uint64_t done, uint64_t total)
{
    cli_progress *p = arg;
    int64_t now;
    double secs, rate;
    char d[32], t[32], r[32];

    if (!p->on)
        return;
    now = ytime_now();
    if (now - p->last_us < 200000 && done < total)
        return; /* five updates a second are plenty */
    p->last_us = now;
    secs = (double)(now - p->start_us) / 1e6;
    rate = secs > 0 ? (double)done / secs : 0;
    cli_human_bytes((int64_t)done, d, sizeof d);
    cli_human_bytes((int64_t)total, t, sizeof t);
    cli_human_bytes((int64_t)rate, r, sizeof r);
    if (rate > 0 && total > done)
        fprintf(stderr, "\r%s: %s of %s, %s/s, ETA %.0f s   ", p->what, d, t, r,
                (double)(total - done) / rate);
    else
        fprintf(stderr, "\r%s: %s of %s, %s/s   ", p->what, d, t, r);
}

void cli_progress_end(cli_progress *p)
{
    if (p->on && p->last_us != p->start_us)
        fprintf(stderr, "\n");
}
