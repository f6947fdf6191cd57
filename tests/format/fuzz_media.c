/*
 * fuzz_media.c: libFuzzer harness for the media reader.
 *
 * The first input byte picks a mode; the rest is the media file.  In
 * "reseal" mode (low bit set) the harness first recomputes what guards the
 * bytes behind it: for an uncompressed tar, every entry's checksum
 * attribute and every tar header's checksum; for an envelope, its header
 * checksum.  Then it reads the header alone, and the whole file without a
 * key and with FUZZ_KEY (seeds of encrypted media must be written with it).
 * Whatever the bytes, the reader must not crash, leak or overrun, and
 * whatever it accepts must be consistent: blocks in order, the trailer's
 * counts, the file's size and SHA-256, the same header both ways.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <xxhash.h>

#include "fuzz_file.h"
#include "media.h"

#define FUZZ_KEY "yedek-fuzz-key-0123456789abcdef!"

static size_t octal(const uint8_t *p, size_t n)
{
    size_t v = 0;
    for (size_t i = 0; i < n && p[i] >= '0' && p[i] <= '7' && v < ((size_t)1 << 40); i++)
        v = v * 8 + (size_t)(p[i] - '0');
    return v;
}

static void tar_checksum(uint8_t *h)
{
    unsigned sum = 0;
    memset(h + 148, ' ', 8);
    for (int i = 0; i < 512; i++)
        sum += h[i];
    for (int i = 6; i >= 0; i--, sum >>= 3)
        h[148 + i] = (uint8_t)('0' + (sum & 7));
    h[154] = '\0';
}

static void put_hex(uint8_t *p, uint64_t v)
{
    static const char d[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--, v >>= 4)
        p[i] = (uint8_t)d[v & 15];
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void reseal(uint8_t *b, size_t len)
{
    static const char key[] = "SCHILY.xattr.user.yedek.xxh3=";
    size_t off = 0, attr = 0;

    if (len >= 72 && memcmp(b, "YEDEKENC", 8) == 0) {
        size_t n = (size_t)b[20] | (size_t)b[21] << 8 | (size_t)b[22] << 16 |
                   (size_t)b[23] << 24;
        if (n <= len - 72)
            put_le64(b + 64 + n, XXH3_64bits(b, 64 + n));
        return;
    }
    while (off + 512 <= len) {
        uint8_t *h = b + off;
        size_t size = octal(h + 124, 12), body = off + 512;
        if (h[0] == 0)
            break;
        tar_checksum(h);
        if (size > len - body)
            break;
        if (h[156] == 'x') {
            attr = 0;
            for (size_t i = body; i + sizeof key - 1 + 16 <= body + size; i++)
                if (memcmp(b + i, key, sizeof key - 1) == 0)
                    attr = i + sizeof key - 1;
        } else {
            if (attr)
                put_hex(b + attr, XXH3_64bits(b + body, size));
            attr = 0;
        }
        off = body + (size + 511) / 512 * 512;
    }
}

/* Read everything; abort on anything inconsistent.  0 when accepted. */
static int read_all(int fd, const uint8_t *b, size_t len, const uint8_t *key, size_t key_len,
                    fmt_media_hdr *h)
{
    static fmt_media_trailer t;
    fmt_media_reader *r;
    enum fmt_media_section sec;
    const uint8_t *data;
    uint64_t off, blocks = 0, bytes = 0, next = 0, hashes = 0, size;
    uint8_t sha[32], want[32];
    size_t n;
    yerr e;
    int rc, have = 0;

    if (fmt_media_open(fd, key, key_len, &r, h, &e)) {
        if ((e.code != YERR_MEDIA && e.code != YERR_FAIL) || !e.msg[0])
            abort();
        return e.code;
    }
    while ((rc = fmt_media_next(r, &sec, &off, &data, &n, &e)) == 1) {
        if (n > FMT_MEDIA_BLOCK)
            abort();
        if (sec == FMT_MEDIA_DATA) {
            if (hashes || n == 0 || (have && off < next))
                abort();
            have = 1;
            next = off + n;
            blocks++;
            bytes += n;
        } else {
            if (sec != FMT_MEDIA_HASHES || off != hashes || n % 8 || n == 0 ||
                h->type != FMT_MEDIA_FULL)
                abort();
            hashes += n;
        }
    }
    if (rc == 0) {
        fmt_media_reader_trailer(r, &t, &size, sha);
        if (t.blocks != blocks || t.payload_bytes != bytes || size != len ||
            t.n_marks > FMT_MEDIA_MAX_MARKS)
            abort();
        if (EVP_Digest(b, len, want, NULL, EVP_sha256(), NULL) != 1 ||
            memcmp(sha, want, 32) != 0)
            abort();
    } else if (rc != -1 || (e.code != YERR_MEDIA && e.code != YERR_FAIL) || !e.msg[0]) {
        abort();
    }
    fmt_media_reader_free(r);
    return rc ? e.code : 0;
}

static void run(int fd, const uint8_t *b, size_t len)
{
    fmt_media_hdr h, h1, h2;
    yerr e;
    int rc_hdr = fmt_media_read_header(fd, &h, &e);
    int rc_plain = read_all(fd, b, len, NULL, 0, &h1);
    int rc_key = read_all(fd, b, len, (const uint8_t *)FUZZ_KEY, sizeof FUZZ_KEY - 1, &h2);

    /* what opens has the header read_header sees */
    if (rc_plain == 0 && (rc_hdr != 0 || memcmp(&h, &h1, sizeof h) != 0 || h1.encrypted))
        abort();
    if (rc_key == 0 && (rc_hdr != 0 || memcmp(&h, &h2, sizeof h) != 0))
        abort();
    /* an envelope never opens without the key */
    if (rc_hdr == 0 && h.encrypted && rc_plain != YERR_FAIL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_file(data, size, "fuzz_media", reseal, run);
}
