#include "history.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backupset.h"
#include "isotime.h"

#define MAX_TOK 16

static int split(char *line, char *tok[MAX_TOK])
{
    int n = 0;
    for (char *s = strtok(line, " \t"); s && n < MAX_TOK; s = strtok(NULL, " \t"))
        tok[n++] = s;
    return n;
}

/* Value of "key=value" among tok[from..n), or NULL. */
static const char *opt(char **tok, int from, int n, const char *key)
{
    size_t k = strlen(key);
    for (int i = from; i < n; i++)
        if (strncmp(tok[i], key, k) == 0 && tok[i][k] == '=')
            return tok[i] + k + 1;
    return NULL;
}

static int flag(char **tok, int from, int n, const char *name)
{
    for (int i = from; i < n; i++)
        if (strcmp(tok[i], name) == 0)
            return 1;
    return 0;
}

static int exec_sql(catalog *cat, const char *sql, const char *a, const char *b,
                    const char *c, int64_t x, const char *d, const char *f, yerr *e)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (cat_prepare(cat, sql, &st, e))
        return e->code;
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    if (c)
        sqlite3_bind_text(st, 3, c, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, x);
    sqlite3_bind_text(st, 5, d, -1, SQLITE_STATIC);
    if (f)
        sqlite3_bind_text(st, 6, f, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : cat_sql_error(cat, "history", e);
}

static void iso(int64_t sec, char buf[YTIME_BUF])
{
    ytime_format(HIST_EPOCH + sec * HIST_SEC, buf);
}

/* The newest earlier regular full of the same database and fork. */
static int default_base(catalog *cat, const cat_backupset *r, char *out, yerr *e)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (cat_prepare(cat, "SELECT backup_set_uuid FROM backupset WHERE type = 'full'"
                         " AND is_copy_only = 0 AND database_guid = ?"
                         " AND recovery_fork_guid = ? ORDER BY backup_id DESC LIMIT 1",
                    &st, e))
        return e->code;
    sqlite3_bind_text(st, 1, r->database_guid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->recovery_fork_guid, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        snprintf(out, CAT_GUID_BUF, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return yerr_set(e, YERR_FAIL, "history: diff %s has no full before it",
                        r->backup_set_uuid);
    return 0;
}

static int add_backup(catalog *cat, char **tok, int n, yerr *e)
{
    cat_backupset r, base;
    const char *v;
    int type = cat_backup_type_parse(tok[1]);

    if (type < 0 || n < 4)
        return yerr_set(e, YERR_FAIL, "history: bad line for %s", tok[0]);
    memset(&r, 0, sizeof r);
    snprintf(r.backup_set_uuid, sizeof r.backup_set_uuid, "%s", tok[0]);
    v = opt(tok, 4, n, "db");
    snprintf(r.database_name, sizeof r.database_name, "%s", v ? v : "app");
    snprintf(r.database_guid, sizeof r.database_guid, "guid-%s", r.database_name);
    v = opt(tok, 4, n, "fork");
    snprintf(r.recovery_fork_guid, sizeof r.recovery_fork_guid, "%s", v ? v : "f0");
    r.type = (enum cat_backup_type)type;
    r.is_copy_only = flag(tok, 4, n, "copy");
    r.first_lsn = atoll(tok[2]);
    r.last_lsn = atoll(tok[3]);
    v = opt(tok, 4, n, "ckpt");
    r.checkpoint_lsn = v ? atoll(v) : r.last_lsn;
    v = opt(tok, 4, n, "t");
    if (v) {
        long long a = 0, b = 0;
        if (sscanf(v, "%lld..%lld", &a, &b) != 2)
            return yerr_set(e, YERR_FAIL, "history: bad t= for %s", tok[0]);
        r.first_time = HIST_EPOCH + a * HIST_SEC;
        r.last_time = HIST_EPOCH + b * HIST_SEC;
    } else {
        r.first_time = HIST_EPOCH + r.first_lsn * HIST_SEC;
        r.last_time = HIST_EPOCH + r.last_lsn * HIST_SEC;
    }
    r.backup_start_date = r.last_time;
    r.backup_finish_date = r.last_time;
    v = opt(tok, 4, n, "size");
    r.backup_size = v ? atoll(v) : (type == CAT_FULL ? 1000 : type == CAT_DIFF ? 100 : 10);
    snprintf(r.media_path, sizeof r.media_path, "media/%s", tok[0]);
    r.is_damaged = flag(tok, 4, n, "damaged");
    snprintf(r.recovery_model, sizeof r.recovery_model, "full");
    if (type == CAT_DIFF) {
        v = opt(tok, 4, n, "base");
        if (v)
            snprintf(r.differential_base_guid, sizeof r.differential_base_guid, "%s", v);
        else if (default_base(cat, &r, r.differential_base_guid, e))
            return e->code;
        if (cat_backupset_get(cat, r.differential_base_guid, &base, e))
            return e->code;
        r.differential_base_lsn.is_set = 1;
        r.differential_base_lsn.v = base.checkpoint_lsn;
    }
    if (cat_backupset_insert(cat, &r, e))
        return e->code;
    if (!flag(tok, 4, n, "missing")) {
        char path[512];
        FILE *f;
        snprintf(path, sizeof path, "%s/media/%s", cat_repo_dir(cat), tok[0]);
        f = fopen(path, "w");
        if (!f)
            return yerr_set(e, YERR_FAIL, "history: create %s", path);
        fclose(f);
    }
    return 0;
}

static int add_fork(catalog *cat, char **tok, int n, yerr *e)
{
    const char *parent = opt(tok, 2, n, "parent");
    const char *at = opt(tok, 2, n, "at");
    const char *t = opt(tok, 2, n, "t");
    const char *db = opt(tok, 2, n, "db");
    char guid[64], when[YTIME_BUF];
    if (n < 2 || (parent && !at))
        return yerr_set(e, YERR_FAIL, "history: bad fork line");
    snprintf(guid, sizeof guid, "guid-%s", db ? db : "app");
    iso(t ? atoll(t) : (at ? atoll(at) : 0), when);
    return exec_sql(cat, "INSERT INTO recoveryfork (fork_guid, database_guid,"
                         " parent_fork_guid, fork_point_lsn, created_time, fork_point_time)"
                         " VALUES (?1, ?2, ?3, CASE WHEN ?3 IS NULL THEN NULL ELSE ?4 END, ?5, ?5)",
                    tok[1], guid, parent, at ? atoll(at) : 0, when, NULL, e);
}

static int add_mark(catalog *cat, char **tok, int n, yerr *e)
{
    const char *t = opt(tok, 3, n, "t");
    const char *db = opt(tok, 3, n, "db");
    const char *fork = opt(tok, 3, n, "fork");
    char guid[64], when[YTIME_BUF];
    if (n < 3)
        return yerr_set(e, YERR_FAIL, "history: bad mark line");
    snprintf(guid, sizeof guid, "guid-%s", db ? db : "app");
    iso(t ? atoll(t) : atoll(tok[2]), when);
    return exec_sql(cat, "INSERT INTO backupmark (database_guid, name, lsn, mark_time,"
                         " backup_set_uuid, recovery_fork_guid) VALUES (?1, ?2, ?4, ?5, NULL, ?6)",
                    guid, tok[1], NULL, atoll(tok[2]), when, fork ? fork : "f0", e);
}

int hist_build(catalog *cat, const char *text, yerr *e)
{
    char *copy = strdup(text), *save = NULL;
    char path[512];
    int rc = 0;

    if (!copy)
        return yerr_oom(e);
    snprintf(path, sizeof path, "%s/media", cat_repo_dir(cat));
    mkdir(path, 0700);
    if (cat_tx_begin(cat, e)) {
        free(copy);
        return e->code;
    }
    for (char *line = strtok_r(copy, "\n", &save); line && !rc;
         line = strtok_r(NULL, "\n", &save)) {
        char *tok[MAX_TOK];
        char *hash = strchr(line, '#');
        int n;
        if (hash)
            *hash = '\0';
        n = split(line, tok);
        if (n == 0)
            continue;
        if (strcmp(tok[0], "fork") == 0)
            rc = add_fork(cat, tok, n, e);
        else if (strcmp(tok[0], "mark") == 0)
            rc = add_mark(cat, tok, n, e);
        else
            rc = add_backup(cat, tok, n, e);
    }
    free(copy);
    if (rc) {
        cat_tx_rollback(cat);
        return rc;
    }
    return cat_tx_commit(cat, e);
}

int hist_open(char dir[64], catalog **cat, yerr *e)
{
    char path[128];
    snprintf(dir, 64, "/tmp/yedek-hist-XXXXXX");
    if (!mkdtemp(dir))
        return yerr_set(e, YERR_FAIL, "mkdtemp failed");
    snprintf(path, sizeof path, "%s/catalog.db", dir);
    return cat_open(path, dir, CAT_OPEN_CREATE, cat, e);
}

void hist_close(char dir[64], catalog *cat)
{
    char cmd[128];
    cat_close(cat);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "history: could not remove %s\n", dir);
}

void sb_add(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0)
        return;
    if (b->n + (size_t)len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *s;
        while (b->n + (size_t)len + 1 > cap)
            cap *= 2;
        s = realloc(b->s, cap);
        if (!s)
            abort();
        b->s = s;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += (size_t)len;
}

const char *sb_str(const sbuf *b)
{
    return b->s ? b->s : "";
}
