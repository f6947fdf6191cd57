/*
 * media_text.c: the text of the yedek-header and yedek-trailer entries.
 *
 * One "key value" line each, keys in a fixed order, so `bsdtar -xOf F
 * yedek-header` is readable as it is.  Every field has one spelling
 * (decimal numbers without leading zeros, checksums as 16 lowercase hex
 * digits, text with only the bytes that would break a line escaped), so a
 * header round-trips exactly and a reader can refuse anything that is not
 * what a writer produces.
 */
#include "media_int.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endian.h"

/* ---- small parsers over (pointer, length) ------------------------------ */

static int parse_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int parse_i64(const char *s, size_t n, int64_t *out)
{
    uint64_t m;
    if (n > 0 && s[0] == '-') {
        /* "-0" is not the spelling of zero */
        if (parse_u64(s + 1, n - 1, &m) || m == 0 || m > (uint64_t)INT64_MAX + 1)
            return -1;
        *out = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
        return 0;
    }
    if (parse_u64(s, n, &m) || m > (uint64_t)INT64_MAX)
        return -1;
    *out = (int64_t)m;
    return 0;
}

void media_hex64(uint64_t v, char out[17])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--, v >>= 4)
        out[i] = digits[v & 15];
    out[16] = '\0';
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int media_parse_hex64(const char *s, size_t len, uint64_t *v)
{
    uint64_t x = 0;
    if (len != 16)
        return -1;
    for (size_t i = 0; i < 16; i++) {
        int d = hex_digit(s[i]);
        if (d < 0)
            return -1;
        x = x << 4 | (uint64_t)d;
    }
    *v = x;
    return 0;
}

void media_chain_add(XXH3_state_t *st, uint64_t offset, uint64_t len, uint64_t xxh3)
{
    uint8_t rec[24];
    fmt_put_le64(rec, offset);
    fmt_put_le64(rec + 8, len);
    fmt_put_le64(rec + 16, xxh3);
    XXH3_64bits_update(st, rec, sizeof rec);
}

/* ---- escaped text ------------------------------------------------------ */

/* Bytes that would end or blur a line; everything else, UTF-8 included,
 * is written as it is. */
static int needs_escape(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

/* Append the escaped form of s; -1 when it does not fit. */
static int put_text(char *buf, size_t size, size_t *n, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char tmp[5];
        size_t k;
        if (*p == '\\') {
            tmp[0] = tmp[1] = '\\';
            k = 2;
        } else if (needs_escape(*p)) {
            snprintf(tmp, sizeof tmp, "\\x%02x", *p);
            k = 4;
        } else {
            tmp[0] = (char)*p;
            k = 1;
        }
        if (size - *n <= k)
            return -1;
        memcpy(buf + *n, tmp, k);
        *n += k;
    }
    return 0;
}

/* Undo put_text into dst (cap bytes with the NUL); -1 unless s is exactly
 * what put_text writes for some string that fits. */
static int get_text(const char *s, size_t n, char *dst, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\') {
            if (i + 1 < n && s[i + 1] == '\\') {
                c = '\\';
                i += 1;
            } else if (i + 3 < n && s[i + 1] == 'x' && hex_digit(s[i + 2]) >= 0 &&
                       hex_digit(s[i + 3]) >= 0) {
                c = (unsigned char)(hex_digit(s[i + 2]) << 4 | hex_digit(s[i + 3]));
                if (!needs_escape(c) || c == 0)
                    return -1;
                i += 3;
            } else {
                return -1;
            }
        } else if (needs_escape(c)) {
            return -1;
        }
        if (o + 1 >= cap)
            return -1;
        dst[o++] = (char)c;
    }
    dst[o] = '\0';
    return 0;
}

/* ---- header fields ----------------------------------------------------- */

enum ftype { F_TYPE, F_GUID, F_GUID_OPT, F_TEXT, F_MODEL, F_U64, F_I64, F_U32, F_BOOL, F_HEX };

typedef struct field {
    const char *key;
    enum ftype type;
    size_t off;
    size_t size; /* of a char array */
} field;

#define FLD(k, t, m) {k, t, offsetof(fmt_media_hdr, m), sizeof(((fmt_media_hdr *)0)->m)}

static const field FIELDS[] = {
    FLD("type", F_TYPE, type),
    FLD("backup_set_uuid", F_GUID, backup_set_uuid),
    FLD("database_name", F_TEXT, database_name),
    FLD("database_guid", F_GUID, database_guid),
    FLD("recovery_fork_guid", F_GUID, recovery_fork_guid),
    FLD("parent_fork_guid", F_GUID_OPT, parent_fork_guid),
    FLD("fork_point_lsn", F_U64, fork_point_lsn),
    FLD("fork_point_time", F_I64, fork_point_time),
    FLD("fork_created_time", F_I64, fork_created_time),
    FLD("is_copy_only", F_BOOL, is_copy_only),
    FLD("first_lsn", F_U64, first_lsn),
    FLD("last_lsn", F_U64, last_lsn),
    FLD("checkpoint_lsn", F_U64, checkpoint_lsn),
    FLD("has_database_backup_lsn", F_BOOL, has_database_backup_lsn),
    FLD("database_backup_lsn", F_U64, database_backup_lsn),
    FLD("has_differential_base", F_BOOL, has_differential_base),
    FLD("differential_base_lsn", F_U64, differential_base_lsn),
    FLD("differential_base_guid", F_GUID_OPT, differential_base_guid),
    FLD("begins_log_chain", F_BOOL, begins_log_chain),
    FLD("first_time", F_I64, first_time),
    FLD("last_time", F_I64, last_time),
    FLD("backup_start_date", F_I64, backup_start_date),
    FLD("recovery_model", F_MODEL, recovery_model),
    FLD("description", F_TEXT, description),
    FLD("page_size", F_U32, page_size),
    FLD("db_pages", F_U32, db_pages),
    FLD("db_cksum_known", F_BOOL, db_cksum_known),
    FLD("db_cksum", F_HEX, db_cksum),
    FLD("encrypted", F_BOOL, encrypted),
    FLD("compressed", F_BOOL, compressed),
};
#define N_FIELDS (sizeof FIELDS / sizeof *FIELDS)

const char *fmt_media_type_name(enum fmt_media_type t)
{
    switch (t) {
    case FMT_MEDIA_FULL: return "full";
    case FMT_MEDIA_DIFF: return "diff";
    case FMT_MEDIA_LOG: return "log";
    }
    return "?";
}

int fmt_media_type_parse(const char *s)
{
    if (strcmp(s, "full") == 0)
        return FMT_MEDIA_FULL;
    if (strcmp(s, "diff") == 0)
        return FMT_MEDIA_DIFF;
    if (strcmp(s, "log") == 0)
        return FMT_MEDIA_LOG;
    return -1;
}

/* A GUID field is an identifier, not prose: letters, digits, '-', '_' and
 * '.', at most 36 of them (uuid_unparse's form fits, so do test names). */
static int guid_ok(const char *s, int optional)
{
    size_t n = strlen(s);
    if (n == 0)
        return optional;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

/* The rules every header obeys, checked by the writer (code YERR_FAIL: bad
 * input) and the reader (YERR_MEDIA: damage).  Char arrays are known to be
 * terminated here. */
static int hdr_rules(const fmt_media_hdr *h, int code, yerr *e)
{
    const char *base = (const char *)h;

    if (h->type != FMT_MEDIA_FULL && h->type != FMT_MEDIA_DIFF && h->type != FMT_MEDIA_LOG)
        return yerr_set(e, code, "media header: unknown backup type %d", (int)h->type);
    for (size_t i = 0; i < N_FIELDS; i++) {
        const field *f = &FIELDS[i];
        const void *p = base + f->off;
        if ((f->type == F_GUID || f->type == F_GUID_OPT) &&
            !guid_ok((const char *)p, f->type == F_GUID_OPT))
            return yerr_set(e, code, "media header: %s \"%s\" is not an identifier", f->key,
                            (const char *)p);
        if (f->type == F_BOOL && *(const int *)p != 0 && *(const int *)p != 1)
            return yerr_set(e, code, "media header: %s is %d (0 or 1)", f->key,
                            *(const int *)p);
    }
    if (strcmp(h->recovery_model, "full") != 0 && strcmp(h->recovery_model, "simple") != 0)
        return yerr_set(e, code, "media header: recovery model \"%s\" (full or simple)",
                        h->recovery_model);
    if (!fmt_page_size_ok(h->page_size))
        return yerr_set(e, code, "media header: page size %u", h->page_size);
    /* An absent value is 0, so each header has one spelling. */
    if (!h->parent_fork_guid[0] && (h->fork_point_lsn != 0 || h->fork_point_time != 0))
        return yerr_set(e, code, "media header: a fork point without a parent fork");
    if (!h->has_database_backup_lsn && h->database_backup_lsn != 0)
        return yerr_set(e, code, "media header: database_backup_lsn without its flag");
    if (h->has_differential_base && h->type != FMT_MEDIA_DIFF)
        return yerr_set(e, code, "media header: a differential base on a %s backup",
                        fmt_media_type_name(h->type));
    if (h->has_differential_base != (h->differential_base_guid[0] != '\0') ||
        (!h->has_differential_base && h->differential_base_lsn != 0))
        return yerr_set(e, code,
                        "media header: differential base fields disagree with their flag");
    if (!h->db_cksum_known && h->db_cksum != 0)
        return yerr_set(e, code, "media header: db_cksum without db_cksum_known");
    return 0;
}

int media_hdr_check(const fmt_media_hdr *h, yerr *e)
{
    const char *base = (const char *)h;
    for (size_t i = 0; i < N_FIELDS; i++) {
        const field *f = &FIELDS[i];
        if (f->type >= F_GUID && f->type <= F_MODEL && !memchr(base + f->off, '\0', f->size))
            return yerr_set(e, YERR_FAIL, "media header: %s is not NUL-terminated", f->key);
    }
    return hdr_rules(h, YERR_FAIL, e);
}

/* Append one formatted piece; -1 when it does not fit. */
static int put(char *buf, size_t size, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int put(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
    va_list ap;
    int w;
    va_start(ap, fmt);
    w = vsnprintf(buf + *n, size - *n, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= size - *n)
        return -1;
    *n += (size_t)w;
    return 0;
}

int media_hdr_encode(const fmt_media_hdr *h, char *buf, size_t *len, yerr *e)
{
    const size_t size = MEDIA_HEADER_MAX;
    const char *base = (const char *)h;
    size_t n = 0;
    int bad;

    bad = put(buf, size, &n, "%s %u\n", MEDIA_HEADER_NAME, h->version);
    for (size_t i = 0; i < N_FIELDS && !bad; i++) {
        const field *f = &FIELDS[i];
        const void *p = base + f->off;
        char hex[17];
        bad = put(buf, size, &n, "%s ", f->key);
        switch (f->type) {
        case F_TYPE: bad |= put(buf, size, &n, "%s", fmt_media_type_name(h->type)); break;
        case F_U64: bad |= put(buf, size, &n, "%" PRIu64, *(const uint64_t *)p); break;
        case F_I64: bad |= put(buf, size, &n, "%" PRId64, *(const int64_t *)p); break;
        case F_U32: bad |= put(buf, size, &n, "%" PRIu32, *(const uint32_t *)p); break;
        case F_BOOL: bad |= put(buf, size, &n, "%d", *(const int *)p); break;
        case F_HEX:
            media_hex64(*(const uint64_t *)p, hex);
            bad |= put(buf, size, &n, "%s", hex);
            break;
        default: bad |= put_text(buf, size, &n, (const char *)p); break;
        }
        bad |= put(buf, size, &n, "\n");
    }
    if (bad)
        return yerr_set(e, YERR_FAIL, "media header text is longer than %d bytes",
                        MEDIA_HEADER_MAX);
    *len = n;
    return 0;
}

typedef struct line {
    const char *key, *val;
    size_t key_len, val_len;
} line;

/* Cut the next line off [*pos, len) into key and value (everything after
 * the first space); -1 when there is no complete "key value" line. */
static int next_line(const char *buf, size_t len, size_t *pos, line *l)
{
    const char *s = buf + *pos, *nl, *sp;
    size_t n;
    if (*pos >= len)
        return -1;
    nl = memchr(s, '\n', len - *pos);
    if (!nl)
        return -1;
    n = (size_t)(nl - s);
    sp = memchr(s, ' ', n);
    if (!sp)
        return -1;
    l->key = s;
    l->key_len = (size_t)(sp - s);
    l->val = sp + 1;
    l->val_len = n - l->key_len - 1;
    *pos += n + 1;
    return 0;
}

static int key_is(const line *l, const char *key)
{
    return l->key_len == strlen(key) && memcmp(l->key, key, l->key_len) == 0;
}

static int parse_field(const field *f, const line *l, void *p)
{
    uint64_t u;
    char tmp[8];

    switch (f->type) {
    case F_TYPE: {
        int t;
        if (l->val_len >= sizeof tmp)
            return -1;
        memcpy(tmp, l->val, l->val_len);
        tmp[l->val_len] = '\0';
        if ((t = fmt_media_type_parse(tmp)) < 0)
            return -1;
        *(enum fmt_media_type *)p = (enum fmt_media_type)t;
        return 0;
    }
    case F_U64: return parse_u64(l->val, l->val_len, (uint64_t *)p);
    case F_I64: return parse_i64(l->val, l->val_len, (int64_t *)p);
    case F_U32:
        if (parse_u64(l->val, l->val_len, &u) || u > UINT32_MAX)
            return -1;
        *(uint32_t *)p = (uint32_t)u;
        return 0;
    case F_BOOL:
        if (l->val_len != 1 || (l->val[0] != '0' && l->val[0] != '1'))
            return -1;
        *(int *)p = l->val[0] - '0';
        return 0;
    case F_HEX: return media_parse_hex64(l->val, l->val_len, (uint64_t *)p);
    default: return get_text(l->val, l->val_len, (char *)p, f->size);
    }
}

/* The first line: "<name> <version>". */
static int parse_version(const char *buf, size_t len, size_t *pos, const char *name,
                         uint32_t *version, yerr *e)
{
    line l;
    uint64_t v;
    if (next_line(buf, len, pos, &l) || !key_is(&l, name))
        return yerr_set(e, YERR_MEDIA, "%s: does not begin with \"%s\"", name, name);
    if (parse_u64(l.val, l.val_len, &v) || v != FMT_MEDIA_VERSION)
        return yerr_set(e, YERR_MEDIA, "%s: unsupported version \"%.*s\" (expected %d)", name,
                        (int)(l.val_len < 20 ? l.val_len : 20), l.val, FMT_MEDIA_VERSION);
    *version = (uint32_t)v;
    return 0;
}

int media_hdr_decode(const char *buf, size_t len, fmt_media_hdr *h, yerr *e)
{
    char *base = (char *)h;
    size_t pos = 0;

    memset(h, 0, sizeof *h);
    if (memchr(buf, '\0', len))
        return yerr_set(e, YERR_MEDIA, "yedek-header: holds a NUL byte");
    if (parse_version(buf, len, &pos, MEDIA_HEADER_NAME, &h->version, e))
        return e->code;
    for (size_t i = 0; i < N_FIELDS; i++) {
        const field *f = &FIELDS[i];
        line l;
        if (next_line(buf, len, &pos, &l))
            return yerr_set(e, YERR_MEDIA, "yedek-header: line %zu: expected \"%s\"", i + 2,
                            f->key);
        if (!key_is(&l, f->key))
            return yerr_set(e, YERR_MEDIA, "yedek-header: line %zu: \"%.*s\" where \"%s\" belongs",
                            i + 2, (int)(l.key_len < 40 ? l.key_len : 40), l.key, f->key);
        if (parse_field(f, &l, base + f->off))
            return yerr_set(e, YERR_MEDIA, "yedek-header: line %zu: bad value for %s", i + 2,
                            f->key);
    }
    if (pos != len)
        return yerr_set(e, YERR_MEDIA, "yedek-header: %zu bytes after the last field",
                        len - pos);
    return hdr_rules(h, YERR_MEDIA, e);
}

/* ---- trailer ----------------------------------------------------------- */

int media_trailer_check(const fmt_media_trailer *t, yerr *e)
{
    if (t->n_marks > FMT_MEDIA_MAX_MARKS)
        return yerr_set(e, YERR_FAIL, "media trailer: %u marks (at most %d)", t->n_marks,
                        FMT_MEDIA_MAX_MARKS);
    for (uint32_t i = 0; i < t->n_marks; i++)
        if (!memchr(t->marks[i].name, '\0', sizeof t->marks[i].name))
            return yerr_set(e, YERR_FAIL, "media trailer: mark %u's name is not NUL-terminated",
                            i);
    return 0;
}

/* Room for the fixed lines and every mark's line, names fully escaped. */
static size_t trailer_bound(uint32_t n_marks)
{
    return 512 + (size_t)n_marks * (4 * sizeof(((fmt_media_mark *)0)->name) + 64);
}

int media_trailer_encode(const fmt_media_trailer *t, const media_sums *s, char **out,
                         size_t *len, yerr *e)
{
    size_t size = trailer_bound(t->n_marks), n = 0;
    char *buf = malloc(size), hex[17];
    int bad;

    *out = NULL;
    if (!buf)
        return yerr_oom(e);
    media_hex64(s->chain, hex);
    bad = put(buf, size, &n,
              "%s %d\nbackup_finish_date %" PRId64 "\nblocks %" PRIu64
              "\npayload_bytes %" PRIu64 "\nhash_bytes %" PRIu64 "\nchain %s\nmarks %u\n",
              MEDIA_TRAILER_NAME, FMT_MEDIA_VERSION, t->backup_finish_date, t->blocks,
              t->payload_bytes, s->hash_bytes, hex, t->n_marks);
    for (uint32_t i = 0; i < t->n_marks && !bad; i++) {
        bad = put(buf, size, &n, "mark %" PRIu64 " %" PRId64 " ", t->marks[i].lsn,
                  t->marks[i].time);
        bad |= put_text(buf, size, &n, t->marks[i].name);
        bad |= put(buf, size, &n, "\n");
    }
    if (bad) {
        free(buf);
        return yerr_set(e, YERR_FAIL, "media trailer text does not fit");
    }
    *out = buf;
    *len = n;
    return 0;
}

/* "<lsn> <time> <name>" of a mark line's value. */
static int parse_mark(const line *l, fmt_media_mark *m)
{
    const char *v = l->val, *sp1, *sp2;
    size_t n = l->val_len;
    sp1 = memchr(v, ' ', n);
    if (!sp1)
        return -1;
    sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - v));
    if (!sp2)
        return -1;
    if (parse_u64(v, (size_t)(sp1 - v), &m->lsn) ||
        parse_i64(sp1 + 1, (size_t)(sp2 - sp1 - 1), &m->time))
        return -1;
    return get_text(sp2 + 1, n - (size_t)(sp2 + 1 - v), m->name, sizeof m->name);
}

int media_trailer_decode(const char *buf, size_t len, fmt_media_trailer *t, media_sums *s,
                         yerr *e)
{
    static const char *const keys[] = {"backup_finish_date", "blocks", "payload_bytes",
                                       "hash_bytes", "chain", "marks"};
    size_t pos = 0;
    uint64_t marks = 0;
    uint32_t version;
    line l;

    memset(t, 0, sizeof *t);
    memset(s, 0, sizeof *s);
    if (memchr(buf, '\0', len))
        return yerr_set(e, YERR_MEDIA, "yedek-trailer: holds a NUL byte");
    if (parse_version(buf, len, &pos, MEDIA_TRAILER_NAME, &version, e))
        return e->code;
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        int bad;
        if (next_line(buf, len, &pos, &l) || !key_is(&l, keys[i]))
            return yerr_set(e, YERR_MEDIA, "yedek-trailer: line %zu: expected \"%s\"", i + 2,
                            keys[i]);
        switch (i) {
        case 0: bad = parse_i64(l.val, l.val_len, &t->backup_finish_date); break;
        case 1: bad = parse_u64(l.val, l.val_len, &t->blocks); break;
        case 2: bad = parse_u64(l.val, l.val_len, &t->payload_bytes); break;
        case 3: bad = parse_u64(l.val, l.val_len, &s->hash_bytes); break;
        case 4: bad = media_parse_hex64(l.val, l.val_len, &s->chain); break;
        default:
            bad = parse_u64(l.val, l.val_len, &marks) || marks > FMT_MEDIA_MAX_MARKS;
            break;
        }
        if (bad)
            return yerr_set(e, YERR_MEDIA, "yedek-trailer: line %zu: bad value for %s", i + 2,
                            keys[i]);
    }
    for (uint32_t i = 0; i < marks; i++) {
        if (next_line(buf, len, &pos, &l) || !key_is(&l, "mark") ||
            parse_mark(&l, &t->marks[i]))
            return yerr_set(e, YERR_MEDIA, "yedek-trailer: line %u: bad mark %u of %u", i + 8,
                            i + 1, (unsigned)marks);
    }
    t->n_marks = (uint32_t)marks;
    if (pos != len)
        return yerr_set(e, YERR_MEDIA, "yedek-trailer: %zu bytes after the last mark",
                        len - pos);
    return 0;
}
