/* test_media.c: the backup media file (format/media.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <xxhash.h>

#include "media.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#ifdef HAVE_ASAN
/* From the sanitizer runtime (its header is not always installed). */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#define MIB ((size_t)1 << 20)
#define BLOCK ((size_t)FMT_MEDIA_BLOCK)

static const uint8_t KEY[] = "0123456789abcdef0123456789abcdef-key";
#define KEY_LEN (sizeof KEY - 1)
static const uint8_t WRONG[] = "0123456789abcdef0123456789abcdef-kez";

/* ---- payloads ------------------------------------------------------------ */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    return x ^ (x >> 33);
}

/* Half random pages, half text: something for zstd to do and not do. */
static void gen(uint8_t *buf, size_t len, uint64_t seed, int random_only)
{
    static const char text[] = "INSERT INTO t VALUES (42, 'compressible row text'); ";
    for (size_t i = 0; i < len; i += 8) {
        uint64_t page = i / 4096, v;
        size_t k = len - i < 8 ? len - i : 8;
        if (random_only || page % 2) {
            v = mix(seed * 0x9e3779b97f4a7c15ULL + i);
            memcpy(buf + i, &v, k);
        } else {
            for (size_t j = 0; j < k; j++)
                buf[i + j] = (uint8_t)text[(i + j) % (sizeof text - 1)];
        }
    }
}

static uint64_t hash_val(uint32_t i)
{
    return mix(i + 12345);
}

/* ---- files --------------------------------------------------------------- */

static int mem_fd(void)
{
    int fd = memfd_create("media", 0);
    assert_true(fd >= 0);
    return fd;
}

/* An unnamed file in $TMPDIR (or /tmp): a file system that may take
 * O_DIRECT, which a memfd does not. */
static int disk_fd(void)
{
    const char *dir = getenv("TMPDIR");
    int fd = open(dir && *dir ? dir : "/tmp", O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    return fd;
}

static int fd_with(const uint8_t *b, size_t len)
{
    int fd = mem_fd();
    assert_int_equal(pwrite(fd, b, len, 0), (ssize_t)len);
    return fd;
}

static uint8_t *slurp(int fd, size_t *len)
{
    struct stat st;
    uint8_t *b;
    assert_int_equal(fstat(fd, &st), 0);
    *len = (size_t)st.st_size;
    b = malloc(*len + 1);
    assert_non_null(b);
    assert_int_equal(pread(fd, b, *len, 0), (ssize_t)*len);
    return b;
}

static void sha256(const uint8_t *b, size_t len, uint8_t out[32])
{
    assert_int_equal(EVP_Digest(b, len, out, NULL, EVP_sha256(), NULL), 1);
}

/* ---- what a test writes ------------------------------------------------- */

typedef struct plan {
    enum fmt_media_type type;
    int level;
    int keyed;
    size_t n_blocks;
    uint64_t off[24];
    size_t len[24];
    uint32_t n_hashes;
    uint32_t n_marks;
    int random_only;
    int on_disk;      /* a file in a real folder, where O_DIRECT may work */
} plan;

static void sample_hdr(fmt_media_hdr *h, enum fmt_media_type type)
{
    memset(h, 0, sizeof *h);
    h->type = type;
    strcpy(h->backup_set_uuid, "1b4e28ba-2fa1-11d2-883f-0016d3cca427");
    strcpy(h->database_name, "  shop db \\ with spaces, tab\tand\nnewline, üñí  ");
    strcpy(h->database_guid, "7d4f2b3e-0000-4000-8000-000000000001");
    strcpy(h->recovery_fork_guid, "0b6e8f12-0000-4000-8000-000000000002");
    strcpy(h->parent_fork_guid, "guid-parent");
    h->fork_point_lsn = 77;
    h->fork_point_time = -5;
    h->fork_created_time = INT64_C(1795132800000000);
    h->is_copy_only = type == FMT_MEDIA_LOG;
    h->first_lsn = 100;
    h->last_lsn = UINT64_MAX;
    h->checkpoint_lsn = 150;
    h->has_database_backup_lsn = 1;
    h->database_backup_lsn = 90;
    if (type == FMT_MEDIA_DIFF) {
        h->has_differential_base = 1;
        h->differential_base_lsn = 95;
        strcpy(h->differential_base_guid, "f00dfeed-0000-4000-8000-000000000003");
    }
    h->begins_log_chain = type == FMT_MEDIA_LOG;
    h->first_time = INT64_MIN;
    h->last_time = INT64_MAX;
    h->backup_start_date = INT64_C(1795132800123456);
    strcpy(h->recovery_model, type == FMT_MEDIA_DIFF ? "simple" : "full");
    strcpy(h->description, "nightly\r\nsecond line \x01\x7f end ");
    h->page_size = 4096;
    h->db_pages = 12345;
    h->db_cksum_known = 1;
    h->db_cksum = UINT64_C(0x8000000000000001);
}

static void sample_trailer(fmt_media_trailer *t, uint32_t n_marks)
{
    memset(t, 0, sizeof *t);
    t->backup_finish_date = INT64_C(1795132899000001);
    t->blocks = 999; /* the writer's to fill in */
    t->n_marks = n_marks; /* may be more than fit: the writer must refuse */
    for (uint32_t i = 0; i < n_marks && i < FMT_MEDIA_MAX_MARKS; i++) {
        snprintf(t->marks[i].name, sizeof t->marks[i].name, "mark %u: \\ \n\t \xc3\xa9", i);
        t->marks[i].lsn = 1000 + i;
        t->marks[i].time = -(int64_t)i;
    }
}

/* A plan of n blocks, from 0 and contiguous, or with gaps. */
static plan simple_plan(enum fmt_media_type type, int level, int keyed, size_t n, size_t len,
                        int gaps)
{
    plan p;
    uint64_t off = 0;
    memset(&p, 0, sizeof p);
    p.type = type;
    p.level = level;
    p.keyed = keyed;
    p.n_blocks = n;
    for (size_t i = 0; i < n; i++) {
        p.off[i] = off;
        p.len[i] = len - (i == n - 1 ? len / 3 : 0);
        off += p.len[i] + (gaps ? BLOCK * (i % 2) + 4096 : 0);
    }
    if (type == FMT_MEDIA_FULL)
        p.n_hashes = 1000;
    p.n_marks = 3;
    return p;
}

/* Write the plan's media to a new memfd; *h the header given. */
static int make(const plan *p, fmt_media_hdr *h, fmt_media_trailer *t, uint64_t *size,
                uint8_t sha[32])
{
    fmt_media_opts o = {p->level, p->keyed ? KEY : NULL, p->keyed ? KEY_LEN : 0};
    fmt_media_writer *w;
    uint8_t *buf = malloc(BLOCK);
    uint64_t *hashes = calloc(p->n_hashes + 1, 8);
    int fd = p->on_disk ? disk_fd() : mem_fd(), flags = fcntl(fd, F_GETFL);
    yerr e;

    assert_non_null(buf);
    assert_non_null(hashes);
    sample_hdr(h, p->type);
    sample_trailer(t, p->n_marks);
    yerr_clear(&e);
    if (fmt_media_create(fd, h, &o, &w, &e))
        fail_msg("create: %s", e.msg);
    for (size_t i = 0; i < p->n_blocks; i++) {
        gen(buf, p->len[i], i + 1, p->random_only);
        if (fmt_media_write_block(w, p->off[i], buf, p->len[i], &e))
            fail_msg("block %zu: %s", i, e.msg);
    }
    for (uint32_t i = 0; i < p->n_hashes; i++)
        hashes[i] = hash_val(i);
    if (p->n_hashes && fmt_media_write_hashes(w, hashes, p->n_hashes, &e))
        fail_msg("hashes: %s", e.msg);
    if (fmt_media_finish(w, t, size, sha, &e))
        fail_msg("finish: %s", e.msg);
    /* the writer gives the fd back as it was (no O_DIRECT left on) */
    assert_int_equal(fcntl(fd, F_GETFL), flags);
    fmt_media_writer_free(w);
    free(hashes);
    free(buf);
    h->version = FMT_MEDIA_VERSION;
    h->encrypted = p->keyed;
    h->compressed = p->level > 0;
    return fd;
}

/* Open and read everything; with a plan, every block is checked against
 * it.  0, or the error's code. */
static int verify(int fd, const uint8_t *key, size_t key_len, const plan *p, fmt_media_hdr *h,
                  fmt_media_trailer *t, uint64_t *size, uint8_t sha[32], yerr *e)
{
    fmt_media_reader *r;
    enum fmt_media_section sec;
    const uint8_t *data;
    uint8_t *want = malloc(BLOCK);
    uint64_t off, hoff = 0;
    size_t len, bi = 0;
    int rc;

    assert_non_null(want);
    yerr_clear(e);
    if (fmt_media_open(fd, key, key_len, &r, h, e)) {
        assert_true(e->code != 0);
        free(want);
        return e->code;
    }
    while ((rc = fmt_media_next(r, &sec, &off, &data, &len, e)) == 1) {
        assert_true(len <= BLOCK);
        if (!p)
            continue;
        if (sec == FMT_MEDIA_DATA) {
            assert_true(bi < p->n_blocks);
            assert_int_equal(off, p->off[bi]);
            assert_int_equal(len, p->len[bi]);
            gen(want, len, bi + 1, p->random_only);
            assert_memory_equal(data, want, len);
            bi++;
        } else {
            assert_int_equal(sec, FMT_MEDIA_HASHES);
            assert_int_equal(bi, p->n_blocks);
            assert_int_equal(off, hoff);
            assert_int_equal(len % 8, 0);
            for (size_t i = 0; i < len / 8; i++) {
                uint64_t v = 0;
                for (int k = 7; k >= 0; k--)
                    v = v << 8 | data[8 * i + (size_t)k];
                assert_int_equal(v, hash_val((uint32_t)(hoff / 8 + i)));
            }
            hoff += len;
        }
    }
    if (rc == 0) {
        fmt_media_reader_trailer(r, t, size, sha);
        /* done stays done */
        assert_int_equal(fmt_media_next(r, &sec, &off, &data, &len, e), 0);
        if (p) {
            assert_int_equal(bi, p->n_blocks);
            assert_int_equal(hoff, (uint64_t)p->n_hashes * 8);
        }
    } else {
        assert_int_equal(rc, -1);
        assert_true(e->code != 0);
        /* a failure repeats */
        yerr again;
        assert_int_equal(fmt_media_next(r, &sec, &off, &data, &len, &again), -1);
        assert_string_equal(again.msg, e->msg);
    }
    fmt_media_reader_free(r);
    free(want);
    return rc < 0 ? e->code : 0;
}

static void assert_trailer_equal(const fmt_media_trailer *a, const fmt_media_trailer *b)
{
    assert_int_equal(a->backup_finish_date, b->backup_finish_date);
    assert_int_equal(a->blocks, b->blocks);
    assert_int_equal(a->payload_bytes, b->payload_bytes);
    assert_int_equal(a->n_marks, b->n_marks);
    for (uint32_t i = 0; i < a->n_marks; i++) {
        assert_string_equal(a->marks[i].name, b->marks[i].name);
        assert_int_equal(a->marks[i].lsn, b->marks[i].lsn);
        assert_int_equal(a->marks[i].time, b->marks[i].time);
    }
}

/* Write, then read back and compare everything. */
static void round_trip(const plan *p)
{
    static fmt_media_trailer t, t2;
    fmt_media_hdr h, h2, h3;
    uint64_t size, size2, payload = 0;
    uint8_t sha[32], sha2[32], real[32], *bytes;
    size_t len;
    yerr e;
    int fd = make(p, &h, &t, &size, sha);

    for (size_t i = 0; i < p->n_blocks; i++)
        payload += p->len[i];
    assert_int_equal(t.blocks, p->n_blocks);
    assert_int_equal(t.payload_bytes, payload);
    bytes = slurp(fd, &len);
    assert_int_equal(size, len);
    sha256(bytes, len, real);
    assert_memory_equal(sha, real, 32);
    if (p->keyed)
        assert_memory_equal(bytes, "YEDEKENC", 8);

    if (verify(fd, p->keyed ? KEY : NULL, p->keyed ? KEY_LEN : 0, p, &h2, &t2, &size2, sha2, &e))
        fail_msg("verify: %s", e.msg);
    assert_memory_equal(&h, &h2, sizeof h);
    assert_trailer_equal(&t, &t2);
    assert_int_equal(size2, len);
    assert_memory_equal(sha2, real, 32);

    /* the header alone, also without the key */
    yerr_clear(&e);
    if (fmt_media_read_header(fd, &h3, &e))
        fail_msg("read header: %s", e.msg);
    assert_memory_equal(&h, &h3, sizeof h);
    free(bytes);
    close(fd);
}

/* ---- tests ----------------------------------------------------------------- */

static void test_type_names(void **state)
{
    (void)state;
    for (int t = FMT_MEDIA_FULL; t <= FMT_MEDIA_LOG; t++)
        assert_int_equal(fmt_media_type_parse(fmt_media_type_name((enum fmt_media_type)t)), t);
    assert_int_equal(fmt_media_type_parse("FULL"), -1);
    assert_int_equal(fmt_media_type_parse(""), -1);
    assert_int_equal(fmt_media_type_parse("full "), -1);
}

static void test_round_trips(void **state)
{
    (void)state;
    for (int type = FMT_MEDIA_FULL; type <= FMT_MEDIA_LOG; type++)
        for (int level = 0; level <= 3; level += 3)
            for (int keyed = 0; keyed <= 1; keyed++) {
                plan p = simple_plan((enum fmt_media_type)type, level, keyed, 3, 300 * 1024,
                                     type != FMT_MEDIA_LOG);
                round_trip(&p);
            }
}

/* Whole blocks, several frames, several chunks of extent hashes. */
static void test_large_round_trip(void **state)
{
    (void)state;
    for (int keyed = 0; keyed <= 1; keyed++) {
        plan p = simple_plan(FMT_MEDIA_FULL, keyed ? 1 : 0, keyed, 4, BLOCK, 0);
        p.n_hashes = 3 * (uint32_t)(BLOCK / 8) + 17;
        p.n_marks = FMT_MEDIA_MAX_MARKS;
        round_trip(&p);
    }
}

/* On a real file system the writer writes whole aligned pieces with
 * O_DIRECT and the rest through the page cache: whole blocks with an odd
 * tail, small blocks with gaps (a diff), compressed, and encrypted (whose
 * envelope header puts every later piece off alignment). */
static void test_on_disk(void **state)
{
    static const struct { enum fmt_media_type type; size_t n, len; int gaps; } shapes[] = {
        {FMT_MEDIA_FULL, 5, BLOCK, 0}, {FMT_MEDIA_DIFF, 24, 64 * 1024, 1},
        {FMT_MEDIA_LOG, 3, 5000, 0}};
    (void)state;
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++)
        for (int level = 0; level <= 3; level += 3)
            for (int keyed = 0; keyed <= 1; keyed++) {
                plan p = simple_plan(shapes[k].type, level, keyed, shapes[k].n, shapes[k].len,
                                     shapes[k].gaps);
                p.random_only = 1;
                p.on_disk = 1;
                round_trip(&p);
            }
    /* a writer abandoned halfway gives the fd back as it was, too */
    {
        fmt_media_opts o = {0, NULL, 0};
        fmt_media_writer *w;
        fmt_media_hdr h;
        uint8_t *buf = malloc(BLOCK);
        int fd = disk_fd(), flags = fcntl(fd, F_GETFL);
        yerr e;

        assert_non_null(buf);
        sample_hdr(&h, FMT_MEDIA_FULL);
        gen(buf, BLOCK, 1, 1);
        assert_int_equal(fmt_media_create(fd, &h, &o, &w, &e), 0);
        for (int i = 0; i < 3; i++)
            assert_int_equal(fmt_media_write_block(w, (uint64_t)i * BLOCK, buf, BLOCK, &e), 0);
        fmt_media_writer_free(w);
        assert_int_equal(fcntl(fd, F_GETFL), flags);
        free(buf);
        close(fd);
    }
}

static void test_empty_payload(void **state)
{
    (void)state;
    for (int keyed = 0; keyed <= 1; keyed++)
        for (int level = 0; level <= 19; level += 19) {
            plan p = simple_plan(FMT_MEDIA_FULL, level, keyed, 0, 1, 0);
            p.n_hashes = 0;
            p.n_marks = 0;
            round_trip(&p);
        }
}

/* Every byte a C string can hold, in every text field, comes back. */
static void test_text_round_trip(void **state)
{
    static fmt_media_trailer t, t2;
    fmt_media_opts o = {0, NULL, 0};
    fmt_media_writer *w;
    fmt_media_hdr h, h2;
    uint64_t size;
    uint8_t sha[32];
    yerr e;
    int fd = mem_fd();
    (void)state;

    sample_hdr(&h, FMT_MEDIA_LOG);
    for (size_t i = 0; i < sizeof h.description - 1; i++)
        h.description[i] = (char)(1 + i % 255);
    for (size_t i = 0; i < sizeof h.database_name - 1; i++)
        h.database_name[i] = (char)(255 - i % 255);
    memset(h.parent_fork_guid, 0, sizeof h.parent_fork_guid);
    h.fork_point_lsn = 0;
    h.fork_point_time = 0;
    h.db_cksum_known = 0;
    h.db_cksum = 0;
    h.has_database_backup_lsn = 0;
    h.database_backup_lsn = 0;
    h.page_size = 65536;
    h.db_pages = UINT32_MAX;
    sample_trailer(&t, FMT_MEDIA_MAX_MARKS);
    for (uint32_t m = 0; m < t.n_marks; m++) {
        for (size_t i = 0; i < sizeof t.marks[m].name - 1; i++)
            t.marks[m].name[i] = (char)(1 + (i + m) % 255);
        t.marks[m].lsn = UINT64_MAX - m;
        t.marks[m].time = m % 2 ? INT64_MIN : INT64_MAX;
    }
    t.marks[7].name[0] = '\0'; /* an empty name too */
    assert_int_equal(fmt_media_create(fd, &h, &o, &w, &e), 0);
    assert_int_equal(fmt_media_finish(w, &t, &size, sha, &e), 0);
    fmt_media_writer_free(w);
    h.version = 1;
    if (verify(fd, NULL, 0, NULL, &h2, &t2, &size, sha, &e))
        fail_msg("%s", e.msg);
    assert_memory_equal(&h, &h2, sizeof h);
    assert_trailer_equal(&t, &t2);
    close(fd);
}

static void expect_create_refused(const fmt_media_hdr *h, const fmt_media_opts *o,
                                  const char *why)
{
    fmt_media_writer *w = (fmt_media_writer *)1;
    struct stat st;
    yerr e;
    int fd = mem_fd();
    yerr_clear(&e);
    assert_int_equal(fmt_media_create(fd, h, o, &w, &e), YERR_FAIL);
    assert_null(w);
    if (!strstr(e.msg, why))
        fail_msg("expected \"%s\" in \"%s\"", why, e.msg);
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal(st.st_size, 0); /* nothing written */
    close(fd);
}

static void test_writer_refuses(void **state)
{
    fmt_media_opts o = {0, NULL, 0}, bad;
    fmt_media_hdr h, g;
    (void)state;

    sample_hdr(&h, FMT_MEDIA_FULL);
    bad = o;
    bad.zstd_level = 20;
    expect_create_refused(&h, &bad, "zstd level");
    bad.zstd_level = -1;
    expect_create_refused(&h, &bad, "zstd level");
    bad = o;
    bad.key = KEY;
    bad.key_len = FMT_MEDIA_KEY_MIN - 1;
    expect_create_refused(&h, &bad, "key of");
    g = h, g.type = (enum fmt_media_type)7;
    expect_create_refused(&g, &o, "type");
    g = h, g.is_copy_only = 2;
    expect_create_refused(&g, &o, "is_copy_only");
    g = h, strcpy(g.database_guid, "has space");
    expect_create_refused(&g, &o, "database_guid");
    g = h, g.backup_set_uuid[0] = '\0';
    expect_create_refused(&g, &o, "backup_set_uuid");
    g = h, memset(g.recovery_fork_guid, 'a', sizeof g.recovery_fork_guid);
    expect_create_refused(&g, &o, "NUL-terminated");
    g = h, memset(g.description, 'a', sizeof g.description);
    expect_create_refused(&g, &o, "NUL-terminated");
    g = h, strcpy(g.recovery_model, "bulk");
    expect_create_refused(&g, &o, "recovery model");
    g = h, g.page_size = 1000;
    expect_create_refused(&g, &o, "page size");
    g = h, g.has_differential_base = 1;
    expect_create_refused(&g, &o, "differential base");
    g = h, g.has_database_backup_lsn = 0;
    expect_create_refused(&g, &o, "database_backup_lsn");
    g = h, g.parent_fork_guid[0] = '\0';
    expect_create_refused(&g, &o, "fork point");
    g = h, g.db_cksum_known = 0;
    expect_create_refused(&g, &o, "db_cksum");
}

static void test_writer_order(void **state)
{
    static fmt_media_trailer t;
    fmt_media_opts o = {0, NULL, 0};
    fmt_media_writer *w;
    fmt_media_hdr h;
    uint8_t buf[64] = {1}, sha[32];
    uint64_t hashes[2] = {1, 2}, size;
    yerr e;
    int fd = mem_fd();
    (void)state;

    sample_hdr(&h, FMT_MEDIA_FULL);
    assert_int_equal(fmt_media_create(fd, &h, &o, &w, &e), 0);
    assert_int_equal(fmt_media_write_block(w, 100, buf, 0, &e), YERR_FAIL);
    assert_int_equal(fmt_media_write_block(w, 100, buf, BLOCK + 1, &e), YERR_FAIL);
    assert_int_equal(fmt_media_write_block(w, 100, buf, 64, &e), 0);
    assert_int_equal(fmt_media_write_block(w, 100, buf, 64, &e), YERR_FAIL);
    assert_int_equal(fmt_media_write_block(w, 163, buf, 64, &e), YERR_FAIL); /* overlaps */
    assert_int_equal(fmt_media_write_block(w, UINT64_MAX - 10, buf, 64, &e), YERR_FAIL);
    assert_int_equal(fmt_media_write_block(w, 164, buf, 64, &e), 0);
    assert_int_equal(fmt_media_write_hashes(w, hashes, 2, &e), 0);
    assert_int_equal(fmt_media_write_hashes(w, hashes, 0, &e), 0);
    assert_int_equal(fmt_media_write_block(w, 1000, buf, 64, &e), YERR_FAIL);
    assert_true(strstr(e.msg, "after the extent hashes") != NULL);
    sample_trailer(&t, FMT_MEDIA_MAX_MARKS + 1);
    assert_int_equal(fmt_media_finish(w, &t, &size, sha, &e), YERR_FAIL);
    sample_trailer(&t, 1);
    assert_int_equal(fmt_media_finish(w, &t, &size, sha, &e), 0);
    assert_int_equal(t.blocks, 2);
    assert_int_equal(t.payload_bytes, 128);
    assert_int_equal(fmt_media_finish(w, &t, &size, sha, &e), YERR_FAIL);
    fmt_media_writer_free(w);
    fmt_media_writer_free(NULL);
    close(fd);

    /* extent hashes belong to full backups only */
    fd = mem_fd();
    sample_hdr(&h, FMT_MEDIA_DIFF);
    assert_int_equal(fmt_media_create(fd, &h, &o, &w, &e), 0);
    assert_int_equal(fmt_media_write_hashes(w, hashes, 2, &e), YERR_FAIL);
    /* abandoned: freeing writes nothing more */
    {
        struct stat before, after;
        assert_int_equal(fstat(fd, &before), 0);
        fmt_media_writer_free(w);
        assert_int_equal(fstat(fd, &after), 0);
        assert_int_equal(before.st_size, after.st_size);
    }
    close(fd);

    /* a write that fails: YERR_FAIL naming the offset, when the bytes go
     * out (a buffer or the end), and every later call refused */
    {
        char path[] = "/tmp/yedek-ro-XXXXXX";
        int tmp = mkstemp(path);
        assert_true(tmp >= 0);
        close(tmp);
        fd = open(path, O_RDONLY);
        assert_true(fd >= 0);
        sample_hdr(&h, FMT_MEDIA_FULL);
        for (int level = 0; level <= 3; level += 3) {
            o.zstd_level = level;
            assert_int_equal(fmt_media_create(fd, &h, &o, &w, &e), 0);
            sample_trailer(&t, 0);
            assert_int_equal(fmt_media_finish(w, &t, &size, sha, &e), YERR_FAIL);
            assert_non_null(strstr(e.msg, "write media at offset 0"));
            assert_int_equal(fmt_media_finish(w, &t, &size, sha, &e), YERR_FAIL);
            assert_non_null(strstr(e.msg, "earlier call failed"));
            fmt_media_writer_free(w);
        }
        /* a failure met while blocks go in */
        {
            uint8_t *big = calloc(1, BLOCK);
            int rc = 0;
            assert_non_null(big);
            o.zstd_level = 0;
            assert_int_equal(fmt_media_create(fd, &h, &o, &w, &e), 0);
            for (uint64_t i = 0; i < 8 && !rc; i++)
                rc = fmt_media_write_block(w, i * BLOCK, big, BLOCK, &e);
            assert_int_equal(rc, YERR_FAIL);
            assert_non_null(strstr(e.msg, "write media at offset 0"));
            fmt_media_writer_free(w);
            free(big);
        }
        close(fd);
        unlink(path);
    }
}

/* ---- damage ------------------------------------------------------------- */

/* The entries of an uncompressed tar as the test sees them. */
typedef struct tent {
    size_t start;  /* first header (the pax header when there is one) */
    size_t data, size, end;
    size_t attr;   /* the 16 hex digits of the checksum attribute */
    char name[101];
} tent;

static size_t octal(const uint8_t *p, size_t n)
{
    size_t v = 0;
    for (size_t i = 0; i < n && p[i] >= '0' && p[i] <= '7'; i++)
        v = v * 8 + (p[i] - '0');
    return v;
}

static size_t pad512(size_t n)
{
    return (n + 511) / 512 * 512;
}

static size_t walk(const uint8_t *b, size_t len, tent *out, size_t max)
{
    size_t off = 0, n = 0;
    static const uint8_t zero[512];
    while (off + 512 <= len && memcmp(b + off, zero, 512) != 0 && n < max) {
        tent *t = &out[n];
        memset(t, 0, sizeof *t);
        t->start = off;
        if (b[off + 156] == 'x') {
            size_t ps = octal(b + off + 124, 12);
            const char *key = "SCHILY.xattr.user.yedek.xxh3=";
            for (size_t i = off + 512; i + strlen(key) + 16 <= off + 512 + ps; i++)
                if (memcmp(b + i, key, strlen(key)) == 0)
                    t->attr = i + strlen(key);
            off += 512 + pad512(ps);
        }
        memcpy(t->name, b + off, 100);
        t->size = octal(b + off + 124, 12);
        t->data = off + 512;
        t->end = t->data + pad512(t->size);
        off = t->end;
        n++;
    }
    return n;
}

static const tent *find(const tent *ents, size_t n, const char *prefix)
{
    for (size_t i = 0; i < n; i++)
        if (strncmp(ents[i].name, prefix, strlen(prefix)) == 0)
            return &ents[i];
    fail_msg("no entry %s", prefix);
    return NULL;
}

static void put_hex(uint8_t *p, uint64_t v)
{
    static const char d[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--, v >>= 4)
        p[i] = (uint8_t)d[v & 15];
}

/* Read damaged bytes; the code and words expected, and a place named. */
static void expect_fault(const uint8_t *b, size_t len, const uint8_t *key, int code,
                         const char *why)
{
    static fmt_media_trailer t;
    fmt_media_hdr h;
    uint64_t size;
    uint8_t sha[32];
    yerr e;
    int fd = fd_with(b, len);
    int rc = verify(fd, key, key ? KEY_LEN : 0, NULL, &h, &t, &size, sha, &e);

    close(fd);
    if (getenv("MEDIA_TEST_VERBOSE") && rc)
        print_message("%d %s\n", rc, e.msg);
    if (rc != code)
        fail_msg("expected code %d, got %d (%s)", code, rc, rc ? e.msg : "accepted");
    if (why && !strstr(e.msg, why))
        fail_msg("expected \"%s\" in \"%s\"", why, e.msg);
    if (code == YERR_MEDIA && !strstr(e.msg, "offset") && !strstr(e.msg, "entry") &&
        !strstr(e.msg, "frame"))
        fail_msg("no place named in \"%s\"", e.msg);
}

static uint8_t *sample_media(int level, int keyed, size_t *len, plan *out)
{
    static fmt_media_trailer t;
    plan p = simple_plan(FMT_MEDIA_FULL, level, keyed, 3, 100 * 1024, 0);
    fmt_media_hdr h;
    uint64_t size;
    uint8_t sha[32], *b;
    int fd = make(&p, &h, &t, &size, sha);
    b = slurp(fd, len);
    close(fd);
    if (out)
        *out = p;
    return b;
}

static void test_damage_plain(void **state)
{
    size_t len, n;
    uint8_t *b = sample_media(0, 0, &len, NULL), *c;
    tent ents[16];
    const tent *hd, *d0, *d1, *d2, *tr;
    char want[160];
    (void)state;

    n = walk(b, len, ents, 16);
    assert_int_equal(n, 6); /* header, 3 blocks, hashes, trailer */
    hd = find(ents, n, "yedek-header");
    d0 = find(ents, n, "data/0000000000000000");
    d1 = find(ents, n, "data/0000000000019000");
    d2 = find(ents, n, "data/0000000000032000");
    tr = find(ents, n, "yedek-trailer");
    find(ents, n, "extent-hashes/0000000000000000");
    expect_fault(b, len, NULL, 0, NULL);
    c = malloc(2 * len + 4096);
    assert_non_null(c);

    /* one flipped byte: in the header's text, a block, its checksum */
    memcpy(c, b, len);
    c[hd->data + 20] ^= 1;
    expect_fault(c, len, NULL, YERR_MEDIA, "yedek-header): checksum mismatch");
    memcpy(c, b, len);
    c[d1->data + 5000] ^= 0x40;
    snprintf(want, sizeof want,
             "media offset %zu (entry data/0000000000019000): checksum mismatch", d1->start);
    expect_fault(c, len, NULL, YERR_MEDIA, want);
    memcpy(c, b, len);
    c[d1->attr + 3] = c[d1->attr + 3] == '0' ? '1' : '0';
    expect_fault(c, len, NULL, YERR_MEDIA, "data/0000000000019000): checksum mismatch");
    memcpy(c, b, len);
    c[d1->attr + 3] = 'X';
    expect_fault(c, len, NULL, YERR_MEDIA, "malformed checksum attribute");
    memcpy(c, b, len);
    c[tr->data + 3] ^= 2;
    expect_fault(c, len, NULL, YERR_MEDIA, "yedek-trailer): checksum mismatch");
    /* a flip in a tar header is caught by the tar's own checksum */
    memcpy(c, b, len);
    c[d2->data - 512 + 10] ^= 1;
    expect_fault(c, len, NULL, YERR_MEDIA, "offset");

    /* two equal blocks swapped, names and all: out of order */
    {
        plan p = simple_plan(FMT_MEDIA_LOG, 0, 0, 3, 100 * 1024, 0);
        static fmt_media_trailer t;
        fmt_media_hdr h;
        uint64_t size;
        uint8_t sha[32], *lb, *lc;
        size_t ll, ln;
        tent le[8];
        int fd;
        p.len[2] = p.len[1];
        fd = make(&p, &h, &t, &size, sha);
        lb = slurp(fd, &ll);
        lc = malloc(ll);
        assert_non_null(lc);
        close(fd);
        ln = walk(lb, ll, le, 8);
        assert_int_equal(ln, 5);
        assert_int_equal(le[1].end - le[1].start, le[2].end - le[2].start);
        memcpy(lc, lb, ll);
        memcpy(lc + le[1].start, lb + le[2].start, le[2].end - le[2].start);
        memcpy(lc + le[2].start, lb + le[1].start, le[1].end - le[1].start);
        expect_fault(lc, ll, NULL, YERR_MEDIA, "out of order");
        free(lc);
        free(lb);
    }

    /* two blocks' contents swapped under their own names, each with its
     * checksum: only the trailer's chain can tell */
    memcpy(c, b, len);
    memcpy(c + d0->data, b + d1->data, d0->size);
    memcpy(c + d1->data, b + d0->data, d1->size);
    memcpy(c + d0->attr, b + d1->attr, 16);
    memcpy(c + d1->attr, b + d0->attr, 16);
    expect_fault(c, len, NULL, YERR_MEDIA, "chained checksum mismatch");

    /* a trailer that miscounts, resealed */
    memcpy(c, b, len);
    {
        char *at = memmem(c + tr->data, tr->size, "blocks 3\n", 9);
        assert_non_null(at);
        at[7] = '4';
        put_hex(c + tr->attr, XXH3_64bits(c + tr->data, tr->size));
        expect_fault(c, len, NULL, YERR_MEDIA, "says 4 blocks");
    }
    /* a header that says it is compressed, resealed */
    memcpy(c, b, len);
    {
        char *at = memmem(c + hd->data, hd->size, "compressed 0\n", 13);
        assert_non_null(at);
        at[11] = '1';
        put_hex(c + hd->attr, XXH3_64bits(c + hd->data, hd->size));
        expect_fault(c, len, NULL, YERR_MEDIA, "says compressed 1");
        at[11] = '7';
        put_hex(c + hd->attr, XXH3_64bits(c + hd->data, hd->size));
        expect_fault(c, len, NULL, YERR_MEDIA, "bad value for compressed");
    }

    /* truncation anywhere */
    for (size_t cut = 0; cut < len; cut += cut < len - 1600 ? 509 : 1)
        expect_fault(b, cut, NULL, YERR_MEDIA, NULL);
    /* junk after the end; zeros are padding */
    memcpy(c, b, len);
    memcpy(c + len, "junk", 4);
    expect_fault(c, len + 4, NULL, YERR_MEDIA, "other than zeros");
    memset(c + len, 0, 4096);
    expect_fault(c, len + 4096, NULL, 0, NULL);
    c[len + 4000] = 1;
    expect_fault(c, len + 4096, NULL, YERR_MEDIA, "other than zeros");
    /* cut inside the end marker */
    expect_fault(b, len - 1, NULL, YERR_MEDIA, "end marker");
    expect_fault(b, len - 512, NULL, YERR_MEDIA, "end marker");
    expect_fault(b, len - 1024, NULL, YERR_MEDIA, "end marker");
    /* an entry of our own kind placed after the trailer */
    memcpy(c, b, len - 1024);
    memcpy(c + len - 1024, b + d0->start, d0->end - d0->start);
    memset(c + len - 1024 + (d0->end - d0->start), 0, 1024);
    expect_fault(c, len + (d0->end - d0->start), NULL, YERR_MEDIA, "after the trailer");
    /* the trailer removed */
    memcpy(c, b, tr->start);
    memset(c + tr->start, 0, 1024);
    expect_fault(c, tr->start + 1024, NULL, YERR_MEDIA, "without a trailer");
    /* a block moved after the extent hashes */
    {
        const tent *hs = find(ents, n, "extent-hashes/");
        size_t at = 0;
        memcpy(c, b, d2->start);
        at = d2->start;
        memcpy(c + at, b + hs->start, hs->end - hs->start);
        at += hs->end - hs->start;
        memcpy(c + at, b + d2->start, d2->end - d2->start);
        at += d2->end - d2->start;
        memcpy(c + at, b + tr->start, len - tr->start);
        expect_fault(c, len, NULL, YERR_MEDIA, "after the extent hashes");
    }
    /* an unknown entry */
    memcpy(c, b, len);
    {
        uint8_t *hdr = c + d1->data - 512;
        unsigned sum = 0;
        memcpy(hdr, "data/zzzz", 9);
        memset(hdr + 148, ' ', 8);
        for (int i = 0; i < 512; i++)
            sum += hdr[i];
        snprintf((char *)hdr + 148, 8, "%06o", sum);
        expect_fault(c, len, NULL, YERR_MEDIA, "unknown entry");
    }
    /* not media at all */
    expect_fault((const uint8_t *)"hello", 5, NULL, YERR_MEDIA, "offset 0");
    free(c);
    free(b);
}

static void test_damage_zstd(void **state)
{
    size_t len;
    uint8_t *b = sample_media(3, 0, &len, NULL), *c = malloc(len + 64);
    (void)state;

    assert_non_null(c);
    assert_memory_equal(b, "\x28\xb5\x2f\xfd", 4);
    expect_fault(b, len, NULL, 0, NULL);
    for (size_t at = 0; at < len; at += 97) {
        memcpy(c, b, len);
        c[at] ^= 0x10;
        expect_fault(c, len, NULL, YERR_MEDIA, NULL);
    }
    for (size_t cut = 0; cut < len; cut += cut < len - 600 ? 101 : 1)
        expect_fault(b, cut, NULL, YERR_MEDIA, NULL);
    memcpy(c, b, len);
    memcpy(c + len, "junk", 4);
    expect_fault(c, len + 4, NULL, YERR_MEDIA, "media offset");
    memset(c + len, 0, 64);
    expect_fault(c, len + 64, NULL, YERR_MEDIA, NULL);
    /* a second zstd frame after the first: the archive's end is followed
     * by bytes that are not zeros */
    {
        size_t l2;
        uint8_t *b2 = sample_media(3, 0, &l2, NULL), *cat = malloc(len + l2);
        assert_non_null(cat);
        memcpy(cat, b, len);
        memcpy(cat + len, b2, l2);
        expect_fault(cat, len + l2, NULL, YERR_MEDIA, "other than zeros");
        free(cat);
        free(b2);
    }
    free(c);
    free(b);
}

static uint32_t env_text_len(const uint8_t *b)
{
    return (uint32_t)b[20] | (uint32_t)b[21] << 8 | (uint32_t)b[22] << 16 |
           (uint32_t)b[23] << 24;
}

static void test_damage_encrypted(void **state)
{
    static fmt_media_trailer t;
    size_t len, hlen;
    plan p;
    uint8_t *b = sample_media(0, 1, &len, &p), *c = malloc(len + 64);
    fmt_media_hdr h;
    yerr e;
    int fd;
    (void)state;

    assert_non_null(c);
    hlen = 72 + env_text_len(b);
    expect_fault(b, len, KEY, 0, NULL);
    /* no key, wrong key */
    expect_fault(b, len, NULL, YERR_FAIL, "encrypted: it needs its key");
    expect_fault(b, len, WRONG, YERR_FAIL, "wrong key");
    /* the header is there without the key */
    fd = fd_with(b, len);
    yerr_clear(&e);
    assert_int_equal(fmt_media_read_header(fd, &h, &e), 0);
    assert_int_equal(h.encrypted, 1);
    assert_int_equal(h.compressed, 0);
    assert_string_equal(h.backup_set_uuid, "1b4e28ba-2fa1-11d2-883f-0016d3cca427");
    /* a failed open leaves what read_header gave */
    {
        fmt_media_reader *r = (fmt_media_reader *)1;
        fmt_media_hdr before = h;
        assert_int_equal(fmt_media_open(fd, NULL, 0, &r, &h, &e), YERR_FAIL);
        assert_null(r);
        assert_memory_equal(&h, &before, sizeof h);
        assert_int_equal(fmt_media_open(fd, WRONG, KEY_LEN, &r, &h, &e), YERR_FAIL);
        assert_memory_equal(&h, &before, sizeof h);
    }
    close(fd);

    /* damage in the envelope header: damage, never "wrong key" */
    for (size_t at = 0; at < hlen; at += 7) {
        memcpy(c, b, len);
        c[at] ^= 4;
        expect_fault(c, len, KEY, YERR_MEDIA, NULL);
        expect_fault(c, len, NULL, YERR_MEDIA, NULL);
    }
    /* in a frame, in its tag */
    memcpy(c, b, len);
    c[hlen + 1000] ^= 1;
    expect_fault(c, len, KEY, YERR_MEDIA, "frame 0 failed authentication");
    memcpy(c, b, len);
    c[len - 3] ^= 1;
    expect_fault(c, len, KEY, YERR_MEDIA, "frame 0 failed authentication");
    /* truncation anywhere, junk after the end */
    for (size_t cut = 0; cut < len; cut += cut < len - 300 ? 211 : 1)
        expect_fault(b, cut, KEY, YERR_MEDIA, NULL);
    memcpy(c, b, len);
    memcpy(c + len, "junk", 4);
    expect_fault(c, len + 4, KEY, YERR_MEDIA, "frame 0");
    memset(c + len, 0, 64);
    expect_fault(c, len + 64, KEY, YERR_MEDIA, "frame 0");
    free(c);
    free(b);

    /* several frames: swapped, dropped, repeated, cut at a frame's end */
    {
        plan q = simple_plan(FMT_MEDIA_LOG, 0, 1, 3, BLOCK, 0);
        uint64_t size;
        uint8_t sha[32];
        size_t f = BLOCK + 16;
        fd = make(&q, &h, &t, &size, sha);
        b = slurp(fd, &len);
        close(fd);
        hlen = 72 + env_text_len(b);
        assert_true(len > hlen + 2 * f);
        c = malloc(len + f);
        assert_non_null(c);
        expect_fault(b, len, KEY, 0, NULL);
        memcpy(c, b, len);
        memcpy(c + hlen, b + hlen + f, f);
        memcpy(c + hlen + f, b + hlen, f);
        expect_fault(c, len, KEY, YERR_MEDIA, "frame 0 failed authentication");
        memcpy(c, b, hlen + f);
        memcpy(c + hlen + f, b + hlen + 2 * f, len - hlen - 2 * f);
        expect_fault(c, len - f, KEY, YERR_MEDIA, "frame 1 failed authentication");
        memcpy(c, b, hlen + f);
        memcpy(c + hlen + f, b + hlen, len - hlen);
        expect_fault(c, len + f, KEY, YERR_MEDIA, "frame 1 failed authentication");
        expect_fault(b, hlen + 2 * f, KEY, YERR_MEDIA, "truncated: the file ends after frame 1");
        /* a byte appended to a short last frame is part of it */
        memcpy(c, b, len);
        memcpy(c + len, "x", 1);
        expect_fault(c, len + 1, KEY, YERR_MEDIA, "frame 2 failed authentication");
        /* a frame from another file with the same key */
        {
            uint8_t *o;
            size_t ol;
            fd = make(&q, &h, &t, &size, sha);
            o = slurp(fd, &ol);
            close(fd);
            assert_int_equal(ol, len);
            memcpy(c, b, len);
            memcpy(c + hlen + f, o + hlen + f, f);
            expect_fault(c, len, KEY, YERR_MEDIA, "frame 1 failed authentication");
            /* and its envelope header: a key check of another salt */
            memcpy(c, o, hlen);
            memcpy(c + hlen, b + hlen, len - hlen);
            expect_fault(c, len, KEY, YERR_MEDIA, "frame 0");
            free(o);
        }
        free(c);
        free(b);

        /* a tar stream of exactly three frames: its last frame is full, so
         * appended bytes start a frame of their own.  The unencrypted,
         * uncompressed file of the same plan is the tar stream itself. */
        q.keyed = 0;
        for (int round = 0; round < 3; round++) {
            fd = make(&q, &h, &t, &size, sha);
            close(fd);
            q.len[2] += 3 * BLOCK - size;
        }
        assert_int_equal(size, 3 * BLOCK);
        q.keyed = 1;
        fd = make(&q, &h, &t, &size, sha);
        b = slurp(fd, &len);
        close(fd);
        hlen = 72 + env_text_len(b);
        assert_int_equal(len, hlen + 3 * f);
        c = malloc(len + 1);
        assert_non_null(c);
        expect_fault(b, len, KEY, 0, NULL);
        memcpy(c, b, len);
        c[len] = 'x';
        expect_fault(c, len + 1, KEY, YERR_MEDIA, "bytes after the last frame");
        expect_fault(b, len - f, KEY, YERR_MEDIA, "truncated: the file ends after frame 1");
        free(c);
        free(b);
    }
}

/* ---- memory and streaming -------------------------------------------- */

static size_t heap_in_use(void)
{
#ifdef HAVE_ASAN
    return __sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
#endif
}

/* 20 MiB through each mode: the file grows as blocks go in (nothing held
 * back beyond the writer's buffers and the compressor's window), the heap
 * stays small, and it reads back. */
static void test_streaming(void **state)
{
    const size_t total = 20 * MIB;
    static const struct { int level, keyed; } modes[] = {{0, 0}, {3, 0}, {0, 1}, {3, 1}};
    uint8_t *buf = malloc(BLOCK);
    (void)state;

    assert_non_null(buf);
    for (size_t m = 0; m < sizeof modes / sizeof *modes; m++) {
        static fmt_media_trailer t, t2;
        fmt_media_opts o = {modes[m].level, modes[m].keyed ? KEY : NULL,
                            modes[m].keyed ? KEY_LEN : 0};
        fmt_media_writer *w;
        fmt_media_reader *r;
        fmt_media_hdr h, h2;
        enum fmt_media_section sec;
        const uint8_t *data;
        uint64_t size, off, got = 0;
        uint8_t sha[32], sha2[32];
        size_t base, peak = 0, len;
        struct stat st;
        yerr e;
        int fd = mem_fd(), rc;

        sample_hdr(&h, FMT_MEDIA_LOG);
        sample_trailer(&t, 0);
        base = heap_in_use();
        assert_int_equal(fmt_media_create(fd, &h, &o, &w, &e), 0);
        for (size_t done = 0; done < total; done += BLOCK) {
            size_t now;
            gen(buf, BLOCK, done / BLOCK, 1);
            if (fmt_media_write_block(w, done, buf, BLOCK, &e))
                fail_msg("%s", e.msg);
            assert_int_equal(fstat(fd, &st), 0);
            if ((uint64_t)st.st_size + 3 * MIB + MIB / 2 < done + BLOCK)
                fail_msg("mode %zu: %zu bytes in, file holds %lld", m, done + BLOCK,
                         (long long)st.st_size);
            now = heap_in_use();
            if (now > base && now - base > peak)
                peak = now - base;
        }
        assert_int_equal(fmt_media_finish(w, &t, &size, sha, &e), 0);
        fmt_media_writer_free(w);
        if (getenv("MEDIA_TEST_VERBOSE"))
            print_message("mode %zu: writer heap peak %zu KiB\n", m, peak / 1024);
        /* three 1 MiB buffers in 4 MiB (two huge pages), and zstd's state
         * when compressing */
        if (peak > (modes[m].level ? 10 : 5) * MIB)
            fail_msg("mode %zu: writer heap grew by %zu bytes", m, peak);

        peak = 0;
        base = heap_in_use();
        assert_int_equal(fmt_media_open(fd, o.key, o.key_len, &r, &h2, &e), 0);
        while ((rc = fmt_media_next(r, &sec, &off, &data, &len, &e)) == 1) {
            size_t now = heap_in_use();
            assert_int_equal(off, got);
            gen(buf, BLOCK, off / BLOCK, 1);
            assert_memory_equal(data, buf, len);
            got += len;
            if (now > base && now - base > peak)
                peak = now - base;
        }
        if (rc)
            fail_msg("%s", e.msg);
        fmt_media_reader_trailer(r, &t2, &size, sha2);
        fmt_media_reader_free(r);
        assert_int_equal(got, total);
        assert_memory_equal(sha, sha2, 32);
        if (getenv("MEDIA_TEST_VERBOSE"))
            print_message("mode %zu: reader heap peak %zu KiB\n", m, peak / 1024);
        /* a read buffer and a block (and zstd's window) */
        if (peak > (modes[m].level ? 7 : 3) * MIB)
            fail_msg("mode %zu: reader heap grew by %zu bytes", m, peak);
        close(fd);
    }
    free(buf);
}

/* ---- readable without yedek ----------------------------------------------- */

static int run(const char *cmd, char *out, size_t size, size_t *got)
{
    FILE *p = popen(cmd, "r");
    size_t n = 0, k;
    assert_non_null(p);
    while ((k = fread(out + n, 1, size - n, p)) > 0)
        n += k;
    *got = n;
    return pclose(p);
}

static void test_bsdtar(void **state)
{
    static fmt_media_trailer t;
    char path[] = "/tmp/yedek-media-XXXXXX", cmd[256], *out;
    plan p = simple_plan(FMT_MEDIA_FULL, 3, 0, 3, 200 * 1024, 0);
    fmt_media_hdr h;
    uint64_t size;
    uint8_t sha[32], *bytes, *want;
    size_t len, got, total = 0;
    int fd, tmp;
    (void)state;

    if (system("command -v bsdtar >/dev/null 2>&1") != 0)
        skip();
    fd = make(&p, &h, &t, &size, sha);
    bytes = slurp(fd, &len);
    close(fd);
    tmp = mkstemp(path);
    assert_true(tmp >= 0);
    assert_int_equal(write(tmp, bytes, len), (ssize_t)len);
    close(tmp);
    out = malloc(4 * MIB);
    assert_non_null(out);

    snprintf(cmd, sizeof cmd, "bsdtar -tvf %s", path);
    assert_int_equal(run(cmd, out, 4 * MIB - 1, &got), 0);
    out[got] = '\0';
    assert_non_null(strstr(out, "yedek-header"));
    assert_non_null(strstr(out, "data/0000000000000000"));
    assert_non_null(strstr(out, "data/0000000000032000"));
    assert_non_null(strstr(out, "extent-hashes/0000000000000000"));
    assert_non_null(strstr(out, "yedek-trailer"));

    snprintf(cmd, sizeof cmd, "bsdtar -xOf %s 'data/*'", path);
    assert_int_equal(run(cmd, out, 4 * MIB, &got), 0);
    want = malloc(4 * MIB);
    assert_non_null(want);
    for (size_t i = 0; i < p.n_blocks; i++) {
        gen(want + total, p.len[i], i + 1, 0);
        total += p.len[i];
    }
    assert_int_equal(got, total);
    assert_memory_equal(out, want, total);

    snprintf(cmd, sizeof cmd, "bsdtar -xOf %s yedek-header", path);
    assert_int_equal(run(cmd, out, 4 * MIB - 1, &got), 0);
    out[got] = '\0';
    assert_non_null(strstr(out, "yedek-header 1\ntype full\n"));
    free(want);
    free(out);
    free(bytes);
    unlink(path);
}

/* ---- key files ---------------------------------------------------------- */

static void key_file(const char *path, const char *content, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, len), (ssize_t)len);
    close(fd);
}

static void test_key_read(void **state)
{
    char path[] = "/tmp/yedek-key-XXXXXX";
    uint8_t key[FMT_MEDIA_KEY_MAX];
    char *big = malloc(FMT_MEDIA_KEY_MAX + 2);
    size_t len;
    yerr e;
    int fd = mkstemp(path);
    (void)state;

    assert_true(fd >= 0);
    close(fd);
    key_file(path, (const char *)KEY, KEY_LEN);
    assert_int_equal(fmt_media_key_read(path, key, sizeof key, &len, &e), 0);
    assert_int_equal(len, KEY_LEN);
    assert_memory_equal(key, KEY, KEY_LEN);
    /* one trailing newline is dropped, a second one is key */
    key_file(path, "0123456789abcdef0123456789abcdef\n", 33);
    assert_int_equal(fmt_media_key_read(path, key, sizeof key, &len, &e), 0);
    assert_int_equal(len, 32);
    key_file(path, "0123456789abcdef0123456789abcde\n\n", 33);
    assert_int_equal(fmt_media_key_read(path, key, sizeof key, &len, &e), 0);
    assert_int_equal(len, 32);
    key_file(path, "0123456789abcdef0123456789abcde\n", 32);
    assert_int_equal(fmt_media_key_read(path, key, sizeof key, &len, &e), YERR_FAIL);
    assert_non_null(strstr(e.msg, path));
    assert_non_null(big);
    memset(big, 'k', FMT_MEDIA_KEY_MAX + 2);
    key_file(path, big, FMT_MEDIA_KEY_MAX);
    assert_int_equal(fmt_media_key_read(path, key, sizeof key, &len, &e), 0);
    assert_int_equal(len, FMT_MEDIA_KEY_MAX);
    assert_int_equal(fmt_media_key_read(path, key, 100, &len, &e), YERR_FAIL);
    key_file(path, big, FMT_MEDIA_KEY_MAX + 1);
    assert_int_equal(fmt_media_key_read(path, key, sizeof key, &len, &e), YERR_FAIL);
    assert_non_null(strstr(e.msg, "longer"));
    unlink(path);
    assert_int_equal(fmt_media_key_read(path, key, sizeof key, &len, &e), YERR_FAIL);
    assert_non_null(strstr(e.msg, path));
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_large_round_trip),
        cmocka_unit_test(test_on_disk),
        cmocka_unit_test(test_empty_payload),
        cmocka_unit_test(test_text_round_trip),
        cmocka_unit_test(test_writer_refuses),
        cmocka_unit_test(test_writer_order),
        cmocka_unit_test(test_damage_plain),
        cmocka_unit_test(test_damage_zstd),
        cmocka_unit_test(test_damage_encrypted),
        cmocka_unit_test(test_streaming),
        cmocka_unit_test(test_bsdtar),
        cmocka_unit_test(test_key_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
