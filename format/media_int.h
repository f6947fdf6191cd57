/*
 * media_int.h: what the parts of the media module share (media_text.c,
 * media_crypt.c, media_write.c, media_read.c).  Not for other modules:
 * media.h is the interface, docs/format.md the byte-level description.
 */
#ifndef YEDEK_FMT_MEDIA_INT_H
#define YEDEK_FMT_MEDIA_INT_H

#include <stddef.h>
#include <stdint.h>
#include <xxhash.h>

#include "media.h"

/* Entry names of the tar. */
#define MEDIA_HEADER_NAME "yedek-header"
#define MEDIA_TRAILER_NAME "yedek-trailer"
#define MEDIA_DATA_DIR "data/"
#define MEDIA_HASHES_DIR "extent-hashes/"

/* The one extended attribute every entry carries: the XXH3-64 of its
 * content, 16 lowercase hex digits.  libarchive writes it as the pax record
 * "SCHILY.xattr.user.yedek.xxh3"; the "user." namespace lets `bsdtar -x`
 * restore it on Linux instead of failing on an unknown one. */
#define MEDIA_XATTR "user.yedek.xxh3"

/* Bounds a reader applies before reading an entry. */
#define MEDIA_HEADER_MAX (64 * 1024)
#define MEDIA_TRAILER_MAX FMT_MEDIA_BLOCK
/* One hash per 64 KiB extent of a database of at most 2^29 extents (the
 * DCM's bound), 8 bytes each. */
#define MEDIA_HASHES_MAX (UINT64_C(8) << 29)

/* The envelope of encrypted media (see media_crypt.c and docs/format.md). */
#define MEDIA_ENV_MAGIC "YEDEKENC"
#define MEDIA_ENV_VERSION 1
#define MEDIA_ENV_SUITE 1          /* HKDF-SHA256, AES-256-GCM */
#define MEDIA_ENV_FIXED 64         /* bytes before the header text */
#define MEDIA_ENV_SUM 8            /* the XXH3-64 after the text */
#define MEDIA_FRAME FMT_MEDIA_BLOCK /* plaintext bytes of every frame but the last */
#define MEDIA_TAG 16
#define MEDIA_SALT 16
#define MEDIA_PREFIX 4
#define MEDIA_CHECK 16
#define MEDIA_KEY 32

/* ---- text (media_text.c) ---- */

/* Check the fields a writer is given: what a reader would refuse is
 * refused before anything is written. */
int media_hdr_check(const fmt_media_hdr *h, yerr *e);

/* The header's text into buf (MEDIA_HEADER_MAX bytes); *len set. */
int media_hdr_encode(const fmt_media_hdr *h, char *buf, size_t *len, yerr *e);

/* Parse the header's text: keys in order, every one present, numbers in
 * their one canonical spelling, so a header has exactly one encoding.
 * YERR_MEDIA with the line at fault. */
int media_hdr_decode(const char *buf, size_t len, fmt_media_hdr *h, yerr *e);

/* What the trailer carries besides fmt_media_trailer. */
typedef struct media_sums {
    uint64_t hash_bytes; /* bytes of extent hashes */
    uint64_t chain;      /* XXH3-64 over every entry's (offset, length, xxh3) */
} media_sums;

int media_trailer_check(const fmt_media_trailer *t, yerr *e);
/* The trailer's text in a buffer the caller frees; *len set. */
int media_trailer_encode(const fmt_media_trailer *t, const media_sums *s, char **out,
                         size_t *len, yerr *e);
int media_trailer_decode(const char *buf, size_t len, fmt_media_trailer *t, media_sums *s,
                         yerr *e);

/* 16 lowercase hex digits and a NUL. */
void media_hex64(uint64_t v, char out[17]);
/* Exactly 16 lowercase hex digits (the one spelling media_hex64 writes). */
int media_parse_hex64(const char *s, size_t len, uint64_t *v);

/* One entry's record in the trailer's chain. */
void media_chain_add(XXH3_state_t *st, uint64_t offset, uint64_t len, uint64_t xxh3);

/* ---- the envelope (media_crypt.c) ---- */

typedef struct media_env {
    uint8_t salt[MEDIA_SALT];
    uint8_t prefix[MEDIA_PREFIX];
    uint8_t check[MEDIA_CHECK];
    const char *text; /* the header text, inside the envelope's bytes */
    size_t text_len;
} media_env;

/* Per-file key and key check value from the key material and the salt. */
int media_derive(const uint8_t *ikm, size_t ikm_len, const uint8_t salt[MEDIA_SALT],
                 uint8_t key[MEDIA_KEY], uint8_t check[MEDIA_CHECK], yerr *e);

/* A new envelope header for the text: a random salt and nonce prefix, the
 * key derived into key.  *out (freed by the caller) holds *len bytes. */
int media_env_create(const uint8_t *ikm, size_t ikm_len, const char *text, size_t text_len,
                     uint8_t key[MEDIA_KEY], uint8_t **out, size_t *len, media_env *env,
                     yerr *e);

/* Read and check the envelope header at offset 0 of fd: *buf (freed by the
 * caller) gets its *len bytes and env points into it.  YERR_MEDIA when
 * damaged, YERR_FAIL on I/O errors. */
int media_env_read(int fd, uint8_t **buf, size_t *len, media_env *env, yerr *e);

/* AES-256-GCM over frames; the key schedule is kept across frames. */
typedef struct media_gcm {
    void *ctx; /* EVP_CIPHER_CTX */
    int enc;
    uint8_t prefix[MEDIA_PREFIX];
    uint8_t digest[32]; /* SHA-256 of the envelope header */
} media_gcm;

int media_gcm_init(media_gcm *g, int enc, const uint8_t key[MEDIA_KEY],
                   const uint8_t prefix[MEDIA_PREFIX], const uint8_t *env, size_t env_len,
                   yerr *e);
/* Seal buf in place and write its tag. */
int media_gcm_seal(media_gcm *g, uint64_t index, int last, uint8_t *buf, size_t len,
                   uint8_t tag[MEDIA_TAG], yerr *e);
/* Open buf in place: 1 when it authenticates, 0 when not (buf then holds
 * garbage), -1 on a library failure (e set). */
int media_gcm_open(media_gcm *g, uint64_t index, int last, uint8_t *buf, size_t len,
                   const uint8_t tag[MEDIA_TAG], yerr *e);
void media_gcm_free(media_gcm *g);

/* SHA-256 of the file's bytes as they go by. */
void *media_sha_new(void);
int media_sha_update(void *sha, const void *buf, size_t len);
int media_sha_final(void *sha, uint8_t out[32]);
void media_sha_free(void *sha);

/* Fill buf with random bytes (salts, nonce prefixes). */
int media_random(uint8_t *buf, size_t len, yerr *e);

#endif
