#include "dcm.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "endian.h"

static const uint8_t dcm_magic[8] = {'Y', 'E', 'D', 'E', 'K', 'D', 'C', 'M'};

/* Bytes covered by the header's own checksum. */
#define DCM_SUMMED 56

static size_t dcm_bytes(uint32_t n_extents)
{
    return ((size_t)n_extents + 7) / 8;
}

/* Never a zero-byte allocation, so bits is non-NULL in every live map. */
static uint8_t *dcm_alloc_bits(uint32_t n_extents)
{
    size_t n = dcm_bytes(n_extents);
    return calloc(n ? n : 1, 1);
}

int fmt_dcm_init(fmt_dcm *d, uint32_t n_extents, uint64_t epoch, uint64_t base_lsn, yerr *e)
{
    memset(d, 0, sizeof *d);
    if (n_extents > FMT_DCM_MAX_EXTENTS)
        return yerr_set(e, YERR_FAIL, "DCM of %u extents is too large (at most %u)", n_extents,
                        FMT_DCM_MAX_EXTENTS);
    d->bits = dcm_alloc_bits(n_extents);
    if (!d->bits)
        return yerr_oom(e);
    d->epoch = epoch;
    d->base_lsn = base_lsn;
    d->covered_lsn = base_lsn;
    d->trusted = 1;
    d->n_extents = n_extents;
    return 0;
}

void fmt_dcm_free(fmt_dcm *d)
{
    free(d->bits);
    memset(d, 0, sizeof *d);
}

int fmt_dcm_grow(fmt_dcm *d, uint32_t n_extents, yerr *e)
{
    size_t old = dcm_bytes(d->n_extents), want = dcm_bytes(n_extents);
    uint8_t *bits;

    if (n_extents <= d->n_extents)
        return 0;
    if (n_extents > FMT_DCM_MAX_EXTENTS)
        return yerr_set(e, YERR_FAIL, "DCM of %u extents is too large (at most %u)", n_extents,
                        FMT_DCM_MAX_EXTENTS);
    bits = realloc(d->bits, want);
    if (!bits)
        return yerr_oom(e);
    /* Bits past the old count in its last byte are already clear: every
     * map keeps them so (decode checks it). */
    memset(bits + old, 0, want - old);
    d->bits = bits;
    d->n_extents = n_extents;
    return 0;
}

int fmt_dcm_mark_offset(fmt_dcm *d, uint64_t off, yerr *e)
{
    uint64_t ext = off / FMT_DCM_EXTENT;

    if (ext >= FMT_DCM_MAX_EXTENTS)
        return yerr_set(e, YERR_FAIL, "DCM: offset %llu is past the largest database mapped",
                        (unsigned long long)off);
    if (ext >= d->n_extents && fmt_dcm_grow(d, (uint32_t)ext + 1, e))
        return e->code;
    d->bits[ext / 8] |= (uint8_t)(1u << (ext % 8));
    return 0;
}

int fmt_dcm_is_set(const fmt_dcm *d, uint32_t extent)
{
    if (extent >= d->n_extents)
        return 1;
    return (d->bits[extent / 8] >> (extent % 8)) & 1;
}

uint32_t fmt_dcm_count(const fmt_dcm *d)
{
    size_t n = dcm_bytes(d->n_extents);
    uint32_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += (uint32_t)__builtin_popcount(d->bits[i]);
    return c;
}

int fmt_dcm_encode(const fmt_dcm *d, uint8_t **out, size_t *len, yerr *e)
{
    size_t nb = dcm_bytes(d->n_extents);
    uint8_t *b = malloc(FMT_DCM_HDR + nb);

    *out = NULL;
    *len = 0;
    if (!b)
        return yerr_oom(e);
    memcpy(b, dcm_magic, sizeof dcm_magic);
    fmt_put_le32(b + 8, FMT_DCM_VERSION);
    fmt_put_le32(b + 12, FMT_DCM_EXTENT);
    fmt_put_le64(b + 16, d->epoch);
    fmt_put_le64(b + 24, d->base_lsn);
    fmt_put_le64(b + 32, d->covered_lsn);
    fmt_put_le32(b + 40, d->trusted ? 1 : 0);
    fmt_put_le32(b + 44, d->n_extents);
    fmt_put_le64(b + 48, XXH3_64bits(d->bits, nb));
    fmt_put_le64(b + DCM_SUMMED, XXH3_64bits(b, DCM_SUMMED));
    if (nb)
        memcpy(b + FMT_DCM_HDR, d->bits, nb);
    *out = b;
    *len = FMT_DCM_HDR + nb;
    return 0;
}

/* Check the header fields of a buffer already known to hold one. */
static int dcm_check_hdr(const uint8_t *buf, size_t len, yerr *e)
{
    uint32_t version = fmt_get_le32(buf + 8), extent = fmt_get_le32(buf + 12);
    uint32_t trusted = fmt_get_le32(buf + 40), n = fmt_get_le32(buf + 44);

    if (memcmp(buf, dcm_magic, sizeof dcm_magic) != 0)
        return yerr_set(e, YERR_FAIL, "not a DCM file: bad magic");
    if (fmt_get_le64(buf + DCM_SUMMED) != XXH3_64bits(buf, DCM_SUMMED))
        return yerr_set(e, YERR_FAIL, "DCM header checksum mismatch");
    if (version != FMT_DCM_VERSION)
        return yerr_set(e, YERR_FAIL, "unsupported DCM version %u (expected %u)", version,
                        FMT_DCM_VERSION);
    if (extent != FMT_DCM_EXTENT)
        return yerr_set(e, YERR_FAIL, "DCM extent size %u (expected %u)", extent,
                        FMT_DCM_EXTENT);
    if (trusted > 1)
        return yerr_set(e, YERR_FAIL, "DCM trusted flag is %u (expected 0 or 1)", trusted);
    if (n > FMT_DCM_MAX_EXTENTS)
        return yerr_set(e, YERR_FAIL, "DCM of %u extents is too large (at most %u)", n,
                        FMT_DCM_MAX_EXTENTS);
    if (len - FMT_DCM_HDR != dcm_bytes(n))
        return yerr_set(e, YERR_FAIL, "DCM of %u extents needs %zu bytes of bitmap, file has %zu",
                        n, dcm_bytes(n), len - FMT_DCM_HDR);
    return 0;
}

int fmt_dcm_decode(const uint8_t *buf, size_t len, fmt_dcm *d, yerr *e)
{
    const uint8_t *bits;
    uint32_t n;
    size_t nb;

    memset(d, 0, sizeof *d);
    if (len < FMT_DCM_HDR)
        return yerr_set(e, YERR_FAIL, "DCM file of %zu bytes is shorter than its header", len);
    if (dcm_check_hdr(buf, len, e))
        return e->code;
    bits = buf + FMT_DCM_HDR;
    n = fmt_get_le32(buf + 44);
    nb = dcm_bytes(n);
    if (fmt_get_le64(buf + 48) != XXH3_64bits(bits, nb))
        return yerr_set(e, YERR_FAIL, "DCM bitmap checksum mismatch");
    if (n % 8 && (bits[nb - 1] >> (n % 8)) != 0)
        return yerr_set(e, YERR_FAIL, "DCM marks extents past its last one (%u)", n);
    d->bits = dcm_alloc_bits(n);
    if (!d->bits)
        return yerr_oom(e);
    if (nb)
        memcpy(d->bits, bits, nb);
    d->epoch = fmt_get_le64(buf + 16);
    d->base_lsn = fmt_get_le64(buf + 24);
    d->covered_lsn = fmt_get_le64(buf + 32);
    d->trusted = (int)fmt_get_le32(buf + 40);
    d->n_extents = n;
    return 0;
}
