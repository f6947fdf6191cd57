/*
 * media_crypt.c: the key file, the envelope header of encrypted media and
 * its frames, and the SHA-256 of whole files; all the cryptography is
 * OpenSSL's.
 *
 * The per-file key is HKDF-SHA256 of the key file's content with a random
 * salt, so no two files share a key (and nonces never repeat under one
 * key even if the random prefix did).  A second HKDF output, under another
 * info string, is stored as a key check value: it tells a wrong key apart
 * from damage without decrypting anything, and reveals nothing of the key.
 * Each frame's associated data binds it to this file's envelope header,
 * to its place and to whether it ends the file, so frames cannot be
 * altered, dropped, repeated, moved, or cut off without the tag failing.
 */
#include "media_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "endian.h"

static const char info_key[] = "yedek media v1 key";
static const char info_check[] = "yedek media v1 key check";

/* ---- key file ---------------------------------------------------------- */

int fmt_media_key_read(const char *path, uint8_t *key, size_t size, size_t *len, yerr *e)
{
    uint8_t buf[FMT_MEDIA_KEY_MAX + 2];
    size_t n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    *len = 0;
    if (fd < 0)
        return yerr_set(e, YERR_FAIL, "key file %s: %s", path, strerror(errno));
    /* One byte more than the largest key and its newline tells "too long". */
    while (n < sizeof buf) {
        ssize_t r = read(fd, buf + n, sizeof buf - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int err = errno;
            close(fd);
            OPENSSL_cleanse(buf, sizeof buf);
            return yerr_set(e, YERR_FAIL, "key file %s: %s", path, strerror(err));
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (n > 0 && buf[n - 1] == '\n')
        n--;
    if (n < FMT_MEDIA_KEY_MIN || n > FMT_MEDIA_KEY_MAX || n > size) {
        OPENSSL_cleanse(buf, sizeof buf);
        if (n > FMT_MEDIA_KEY_MAX)
            return yerr_set(e, YERR_FAIL, "key file %s: longer than %d bytes", path,
                            FMT_MEDIA_KEY_MAX);
        if (n > size)
            return yerr_set(e, YERR_FAIL, "key file %s: %zu bytes do not fit in %zu", path, n,
                            size);
        return yerr_set(e, YERR_FAIL, "key file %s: holds %zu bytes of key (at least %d needed)",
                        path, n, FMT_MEDIA_KEY_MIN);
    }
    memcpy(key, buf, n);
    OPENSSL_cleanse(buf, sizeof buf);
    *len = n;
    return 0;
}

/* ---- key derivation ---------------------------------------------------- */

static int hkdf(const uint8_t *ikm, size_t ikm_len, const uint8_t salt[MEDIA_SALT],
                const char *info, uint8_t *out, size_t out_len, yerr *e)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[5];
    int ok;

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len);
    params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
                                                  MEDIA_SALT);
    params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
                                                  strlen(info));
    params[4] = OSSL_PARAM_construct_end();
    ok = kctx && EVP_KDF_derive(kctx, out, out_len, params) == 1;
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    if (!ok)
        return yerr_set(e, YERR_FAIL, "HKDF-SHA256 failed (OpenSSL)");
    return 0;
}

int media_derive(const uint8_t *ikm, size_t ikm_len, const uint8_t salt[MEDIA_SALT],
                 uint8_t key[MEDIA_KEY], uint8_t check[MEDIA_CHECK], yerr *e)
{
    if (ikm_len < FMT_MEDIA_KEY_MIN || ikm_len > FMT_MEDIA_KEY_MAX)
        return yerr_set(e, YERR_FAIL, "key of %zu bytes (%d to %d needed)", ikm_len,
                        FMT_MEDIA_KEY_MIN, FMT_MEDIA_KEY_MAX);
    if (hkdf(ikm, ikm_len, salt, info_key, key, MEDIA_KEY, e) ||
        hkdf(ikm, ikm_len, salt, info_check, check, MEDIA_CHECK, e)) {
        OPENSSL_cleanse(key, MEDIA_KEY);
        return e->code;
    }
    return 0;
}

int media_random(uint8_t *buf, size_t len, yerr *e)
{
    if (RAND_bytes(buf, (int)len) != 1)
        return yerr_set(e, YERR_FAIL, "no random bytes (OpenSSL RAND_bytes failed)");
    return 0;
}

/* ---- envelope header --------------------------------------------------- */

int media_env_create(const uint8_t *ikm, size_t ikm_len, const char *text, size_t text_len,
                     uint8_t key[MEDIA_KEY], uint8_t **out, size_t *len, media_env *env,
                     yerr *e)
{
    size_t n = MEDIA_ENV_FIXED + text_len + MEDIA_ENV_SUM;
    uint8_t *b;

    *out = NULL;
    memset(env, 0, sizeof *env);
    if (media_random(env->salt, MEDIA_SALT, e) || media_random(env->prefix, MEDIA_PREFIX, e) ||
        media_derive(ikm, ikm_len, env->salt, key, env->check, e))
        return e->code;
    b = calloc(1, n);
    if (!b)
        return yerr_oom(e);
    memcpy(b, MEDIA_ENV_MAGIC, 8);
    fmt_put_le32(b + 8, MEDIA_ENV_VERSION);
    fmt_put_le32(b + 12, MEDIA_ENV_SUITE);
    fmt_put_le32(b + 16, MEDIA_FRAME);
    fmt_put_le32(b + 20, (uint32_t)text_len);
    memcpy(b + 24, env->salt, MEDIA_SALT);
    memcpy(b + 40, env->prefix, MEDIA_PREFIX);
    memcpy(b + 44, env->check, MEDIA_CHECK);
    /* 60..63 stay zero */
    memcpy(b + MEDIA_ENV_FIXED, text, text_len);
    fmt_put_le64(b + MEDIA_ENV_FIXED + text_len, XXH3_64bits(b, MEDIA_ENV_FIXED + text_len));
    env->text = (const char *)b + MEDIA_ENV_FIXED;
    env->text_len = text_len;
    *out = b;
    *len = n;
    return 0;
}

static int env_pread(int fd, uint8_t *buf, size_t len, uint64_t off, yerr *e)
{
    ssize_t got = fmt_pread_full(fd, buf, len, off);
    if (got < 0)
        return yerr_set(e, YERR_FAIL, "read media at offset %llu: %s", (unsigned long long)off,
                        strerror(errno));
    if ((size_t)got < len)
        return yerr_set(e, YERR_MEDIA,
                        "media offset %llu: envelope header truncated (file ends there)",
                        (unsigned long long)(off + (size_t)got));
    return 0;
}

int media_env_read(int fd, uint8_t **out, size_t *len, media_env *env, yerr *e)
{
    uint8_t fixed[MEDIA_ENV_FIXED], *b;
    uint32_t text_len, v;
    size_t n;

    *out = NULL;
    memset(env, 0, sizeof *env);
    if (env_pread(fd, fixed, sizeof fixed, 0, e))
        return e->code;
    if (memcmp(fixed, MEDIA_ENV_MAGIC, 8) != 0)
        return yerr_set(e, YERR_MEDIA, "media offset 0: not an envelope (bad magic)");
    text_len = fmt_get_le32(fixed + 20);
    if (text_len == 0 || text_len > MEDIA_HEADER_MAX)
        return yerr_set(e, YERR_MEDIA,
                        "media offset 20: envelope header text of %u bytes (1 to %d)", text_len,
                        MEDIA_HEADER_MAX);
    n = MEDIA_ENV_FIXED + (size_t)text_len + MEDIA_ENV_SUM;
    b = malloc(n);
    if (!b)
        return yerr_oom(e);
    memcpy(b, fixed, sizeof fixed);
    if (env_pread(fd, b + MEDIA_ENV_FIXED, n - MEDIA_ENV_FIXED, MEDIA_ENV_FIXED, e))
        goto fail;
    if (fmt_get_le64(b + n - MEDIA_ENV_SUM) != XXH3_64bits(b, n - MEDIA_ENV_SUM)) {
        yerr_set(e, YERR_MEDIA, "media offset 0..%zu: envelope header damaged (checksum mismatch)",
                 n);
        goto fail;
    }
    if ((v = fmt_get_le32(b + 8)) != MEDIA_ENV_VERSION) {
        yerr_set(e, YERR_MEDIA, "media offset 8: envelope version %u (expected %d)", v,
                 MEDIA_ENV_VERSION);
        goto fail;
    }
    if ((v = fmt_get_le32(b + 12)) != MEDIA_ENV_SUITE) {
        yerr_set(e, YERR_MEDIA, "media offset 12: unknown cipher suite %u", v);
        goto fail;
    }
    if ((v = fmt_get_le32(b + 16)) != MEDIA_FRAME) {
        yerr_set(e, YERR_MEDIA, "media offset 16: frame size %u (expected %u)", v, MEDIA_FRAME);
        goto fail;
    }
    if (fmt_get_le32(b + 60) != 0) {
        yerr_set(e, YERR_MEDIA, "media offset 60: reserved envelope bytes are not zero");
        goto fail;
    }
    memcpy(env->salt, b + 24, MEDIA_SALT);
    memcpy(env->prefix, b + 40, MEDIA_PREFIX);
    memcpy(env->check, b + 44, MEDIA_CHECK);
    env->text = (const char *)b + MEDIA_ENV_FIXED;
    env->text_len = text_len;
    *out = b;
    *len = n;
    return 0;
fail:
    free(b);
    return e->code;
}

/* ---- frames ------------------------------------------------------------ */

int media_gcm_init(media_gcm *g, int enc, const uint8_t key[MEDIA_KEY],
                   const uint8_t prefix[MEDIA_PREFIX], const uint8_t *env, size_t env_len,
                   yerr *e)
{
    EVP_CIPHER_CTX *ctx;

    memset(g, 0, sizeof *g);
    g->enc = enc;
    memcpy(g->prefix, prefix, MEDIA_PREFIX);
    if (EVP_Digest(env, env_len, g->digest, NULL, EVP_sha256(), NULL) != 1)
        return yerr_set(e, YERR_FAIL, "SHA-256 failed (OpenSSL)");
    ctx = EVP_CIPHER_CTX_new();
    if (!ctx)
        return yerr_oom(e);
    g->ctx = ctx;
    /* The key schedule once; each frame only sets its nonce. */
    if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, NULL, enc) != 1)
        return yerr_set(e, YERR_FAIL, "AES-256-GCM setup failed (OpenSSL)");
    return 0;
}

/* Nonce and associated data of frame `index`, then the cipher ready. */
static int frame_start(media_gcm *g, uint64_t index, int last)
{
    uint8_t iv[12], aad[32 + 8 + 1];
    int outl;

    memcpy(iv, g->prefix, MEDIA_PREFIX);
    fmt_put_be32(iv + 4, (uint32_t)(index >> 32));
    fmt_put_be32(iv + 8, (uint32_t)index);
    memcpy(aad, g->digest, 32);
    memcpy(aad + 32, iv + 4, 8);
    aad[40] = last ? 1 : 0;
    if (EVP_CipherInit_ex(g->ctx, NULL, NULL, NULL, iv, g->enc) != 1)
        return -1;
    return EVP_CipherUpdate(g->ctx, NULL, &outl, aad, (int)sizeof aad) == 1 ? 0 : -1;
}

int media_gcm_seal(media_gcm *g, uint64_t index, int last, uint8_t *buf, size_t len,
                   uint8_t tag[MEDIA_TAG], yerr *e)
{
    int outl = 0, fin = 0;
    if (frame_start(g, index, last) ||
        (len && EVP_EncryptUpdate(g->ctx, buf, &outl, buf, (int)len) != 1) ||
        EVP_EncryptFinal_ex(g->ctx, buf + outl, &fin) != 1 ||
        EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_GET_TAG, MEDIA_TAG, tag) != 1)
        return yerr_set(e, YERR_FAIL, "AES-256-GCM sealing frame %llu failed (OpenSSL)",
                        (unsigned long long)index);
    return 0;
}

int media_gcm_open(media_gcm *g, uint64_t index, int last, uint8_t *buf, size_t len,
                   const uint8_t tag[MEDIA_TAG], yerr *e)
{
    uint8_t t[MEDIA_TAG];
    int outl = 0, fin = 0;

    memcpy(t, tag, MEDIA_TAG);
    if (frame_start(g, index, last) ||
        (len && EVP_DecryptUpdate(g->ctx, buf, &outl, buf, (int)len) != 1) ||
        EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_GCM_SET_TAG, MEDIA_TAG, t) != 1) {
        yerr_set(e, YERR_FAIL, "AES-256-GCM opening frame %llu failed (OpenSSL)",
                 (unsigned long long)index);
        return -1;
    }
    /* Only the tag decides; a failed final is the answer, not an error. */
    return EVP_DecryptFinal_ex(g->ctx, buf + outl, &fin) == 1 ? 1 : 0;
}

void media_gcm_free(media_gcm *g)
{
    EVP_CIPHER_CTX_free(g->ctx); /* also wipes the key schedule */
    g->ctx = NULL;
}

/* ---- SHA-256 of the file ----------------------------------------------- */

void *media_sha_new(void)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

int media_sha_update(void *sha, const void *buf, size_t len)
{
    return EVP_DigestUpdate(sha, buf, len) == 1 ? 0 : -1;
}

int media_sha_final(void *sha, uint8_t out[32])
{
    unsigned n = 0;
    return EVP_DigestFinal_ex(sha, out, &n) == 1 && n == 32 ? 0 : -1;
}

void media_sha_free(void *sha)
{
    EVP_MD_CTX_free(sha);
}
