/*
 * fuzz_dcm.c: libFuzzer harness for the DCM decoder.
 *
 * The first input byte picks a mode; the rest is the file.  In "reseal"
 * mode (low bit set) the harness first recomputes both checksums, so the
 * fuzzer explores the field checks behind them.  A map that decodes must
 * encode back to the very same bytes (there is one encoding per map).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "dcm.h"

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void reseal(uint8_t *b, size_t len)
{
    if (len < FMT_DCM_HDR)
        return;
    put_le64(b + 48, XXH3_64bits(b + FMT_DCM_HDR, len - FMT_DCM_HDR));
    put_le64(b + 56, XXH3_64bits(b, 56));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fmt_dcm d;
    uint8_t *b, *out;
    size_t len, out_len;
    yerr e;

    if (size == 0)
        return 0;
    len = size - 1;
    b = malloc(len + 1);
    if (!b)
        abort();
    memcpy(b, data + 1, len);
    if (data[0] & 1)
        reseal(b, len);
    if (fmt_dcm_decode(b, len, &d, &e) == 0) {
        if (fmt_dcm_count(&d) > d.n_extents)
            abort();
        if (fmt_dcm_encode(&d, &out, &out_len, &e) || out_len != len ||
            memcmp(out, b, len) != 0)
            abort();
        free(out);
    } else if (d.bits) {
        abort();
    }
    fmt_dcm_free(&d);
    free(b);
    return 0;
}
