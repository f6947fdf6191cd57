#include "cstate.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* Keys in file order.  Each is an integer unless listed as text. */
enum ftype { F_U64, F_I64, F_U32, F_INT, F_TEXT, F_GUID };

typedef struct field {
    const char *key;
    enum ftype type;
    size_t off;
} field;

#define FLD(k, t, m) {k, t, offsetof(fmt_cstate, m)}

static const field FIELDS[] = {
    FLD("guid", F_GUID, guid),
    FLD("fork_guid", F_GUID, fork_guid),
    FLD("name", F_TEXT, name),
    FLD("recovery", F_INT, recovery),
    FLD("page_size", F_U32, page_size),
    FLD("db_dev", F_U64, db_dev),
    FLD("db_ino", F_U64, db_ino),
    FLD("created", F_I64, created),
    FLD("parent_fork_guid", F_GUID, parent_fork_guid),
    FLD("fork_point_lsn", F_U64, fork_point_lsn),
    FLD("fork_point_time", F_I64, fork_point_time),
    FLD("broken", F_INT, broken),
    FLD("break_reason", F_TEXT, break_reason),
    FLD("break_lsn", F_U64, break_lsn),
    FLD("break_time", F_I64, break_time),
    FLD("next_lsn", F_U64, next_lsn),
    FLD("log_end", F_U64, log_end),
    FLD("last_commit_time", F_I64, last_commit_time),
    FLD("db_pages", F_U32, db_pages),
    FLD("cksum_known", F_INT, cksum_known),
    FLD("db_cksum", F_U64, db_cksum),
    FLD("change_counter", F_U32, change_counter),
    FLD("commits_used", F_U64, commits_used),
    FLD("hashes_lsn", F_U64, hashes_lsn),
    FLD("hashes_off", F_U64, hashes_off),
    FLD("gen_known", F_INT, gen_known),
    FLD("wal_salt1", F_U32, wal.salt1),
    FLD("wal_salt2", F_U32, wal.salt2),
    FLD("wal_frame", F_U32, wal.frame),
    FLD("wal_cksum1", F_U32, wal.cksum1),
    FLD("wal_cksum2", F_U32, wal.cksum2),
    FLD("successor_known", F_INT, successor_known),
    FLD("succ_salt1", F_U32, succ_salt1),
    FLD("succ_salt2", F_U32, succ_salt2),
    FLD("stamp_known", F_INT, stamp_known),
    FLD("stamp_size", F_U64, stamp_size),
    FLD("stamp_mtime_ns", F_I64, stamp_mtime_ns),
    FLD("boot_id", F_GUID, boot_id), /* optional: the last key */
};
#define N_FIELDS (sizeof FIELDS / sizeof *FIELDS)

static size_t text_size(const field *f)
{
    return f->type == F_GUID ? 37 : FMT_CSTATE_TEXT_MAX;
}

int fmt_cstate_encode(const fmt_cstate *s, char *buf, size_t size)
{
    const char *base = (const char *)s;
    size_t n = 0;
    int w;

    w = snprintf(buf, size, "yedek-capture-state %d\n", FMT_CSTATE_VERSION);
    if (w < 0 || (size_t)w >= size)
        return -1;
    n = (size_t)w;
    for (size_t i = 0; i < N_FIELDS; i++) {
        const field *f = &FIELDS[i];
        const void *p = base + f->off;
        switch (f->type) {
        case F_U64: w = snprintf(buf + n, size - n, "%s %" PRIu64 "\n", f->key, *(const uint64_t *)p); break;
        case F_I64: w = snprintf(buf + n, size - n, "%s %" PRId64 "\n", f->key, *(const int64_t *)p); break;
        case F_U32: w = snprintf(buf + n, size - n, "%s %" PRIu32 "\n", f->key, *(const uint32_t *)p); break;
        case F_INT: w = snprintf(buf + n, size - n, "%s %d\n", f->key, *(const int *)p); break;
        default: {
            /* Text never holds a newline: it would end the line early. */
            char clean[FMT_CSTATE_TEXT_MAX];
            snprintf(clean, sizeof clean, "%s", (const char *)p);
            for (char *c = clean; *c; c++)
                if (*c == '\n' || *c == '\r')
                    *c = ' ';
            w = snprintf(buf + n, size - n, "%s %s\n", f->key, clean);
        }
        }
        if (w < 0 || (size_t)w >= size - n)
            return -1;
        n += (size_t)w;
    }
    w = snprintf(buf + n, size - n, "checksum %016llx\n",
                 (unsigned long long)XXH3_64bits(buf, n));
    if (w < 0 || (size_t)w >= size - n)
        return -1;
    return (int)(n + (size_t)w);
}

static int parse_value(const field *f, const char *v, void *p)
{
    char *end;
    errno = 0;
    switch (f->type) {
    case F_U64: *(uint64_t *)p = strtoull(v, &end, 10); break;
    case F_I64: *(int64_t *)p = strtoll(v, &end, 10); break;
    case F_U32: {
        unsigned long long x = strtoull(v, &end, 10);
        if (x > UINT32_MAX)
            return -1;
        *(uint32_t *)p = (uint32_t)x;
        break;
    }
    case F_INT: {
        long x = strtol(v, &end, 10);
        if (x < 0 || x > 1000)
            return -1;
        *(int *)p = (int)x;
        break;
    }
    default:
        if (strlen(v) >= text_size(f))
            return -1;
        strcpy((char *)p, v);
        return 0;
    }
    return (errno || end == v || *end) ? -1 : 0;
}

int fmt_cstate_decode(const char *buf, size_t len, fmt_cstate *s, yerr *e)
{
    char line[FMT_CSTATE_TEXT_MAX + 64];
    size_t pos = 0, body_end = 0;
    unsigned seen = 0, i = 0;
    int version = 0, have_sum = 0;
    unsigned long long sum = 0;

    memset(s, 0, sizeof *s);
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t n;
        char *sp;
        if (!nl)
            return yerr_set(e, YERR_FAIL, "capture state is truncated");
        n = (size_t)(nl - (buf + pos));
        if (n >= sizeof line || memchr(buf + pos, '\0', n))
            return yerr_set(e, YERR_FAIL, "capture state has a malformed line");
        memcpy(line, buf + pos, n);
        line[n] = '\0';
        sp = strchr(line, ' ');
        if (!sp)
            return yerr_set(e, YERR_FAIL, "capture state has a malformed line");
        *sp = '\0';
        if (pos == 0) {
            if (strcmp(line, "yedek-capture-state") || sscanf(sp + 1, "%d", &version) != 1)
                return yerr_set(e, YERR_FAIL, "not a capture state file");
            if (version != FMT_CSTATE_VERSION)
                return yerr_set(e, YERR_FAIL, "capture state version %d is not %d", version,
                                FMT_CSTATE_VERSION);
        } else if (strcmp(line, "checksum") == 0) {
            char *end;
            sum = strtoull(sp + 1, &end, 16);
            have_sum = *end == '\0' && end != sp + 1;
            body_end = pos;
            pos += n + 1;
            break;
        } else {
            if (i >= N_FIELDS || strcmp(line, FIELDS[i].key))
                return yerr_set(e, YERR_FAIL, "capture state: unexpected key '%s'", line);
            if (parse_value(&FIELDS[i], sp + 1, (char *)s + FIELDS[i].off))
                return yerr_set(e, YERR_FAIL, "capture state: bad value for %s", line);
            i++;
            seen++;
        }
        pos += n + 1;
    }
    while (pos < len && (buf[pos] == ' ' || buf[pos] == '\n'))
        pos++; /* padding: the file keeps one size, so it is rewritten in place */
    if (!have_sum || pos != len)
        return yerr_set(e, YERR_FAIL, "capture state is truncated or has trailing bytes");
    if (seen != N_FIELDS && seen != N_FIELDS - 1)
        return yerr_set(e, YERR_FAIL, "capture state lacks fields");
    if (XXH3_64bits(buf, body_end) != sum)
        return yerr_set(e, YERR_FAIL, "capture state checksum mismatch (damaged)");
    if (s->recovery != FMT_RECOVERY_FULL && s->recovery != FMT_RECOVERY_SIMPLE)
        return yerr_set(e, YERR_FAIL, "capture state: unknown recovery model");
    return 0;
}
