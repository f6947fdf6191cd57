/*
 * fuzz_cstate.c: libFuzzer harness for the capture state parser.  A state
 * that parses must encode to text that parses to the same state.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fmt_cstate s, again;
    char buf[8192];
    int n;
    yerr e;

    yerr_clear(&e);
    if (fmt_cstate_decode((const char *)data, size, &s, &e) != 0)
        return 0;
    n = fmt_cstate_encode(&s, buf, sizeof buf);
    if (n < 0 || fmt_cstate_decode(buf, (size_t)n, &again, &e) != 0
        || memcmp(&s, &again, sizeof s) != 0)
        abort();
    return 0;
}
