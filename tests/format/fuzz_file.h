/*
 * fuzz_file.h: the entry point the file-reading harnesses share.  The first
 * input byte picks a mode; the rest is the file.  With the mode's low bit
 * set the harness first reseals the file (recomputes its checksums) so the
 * fuzzer reaches the checks behind them.  The file is put in a memfd and
 * handed to the harness's reader by descriptor, as the real code reads.
 */
#ifndef YEDEK_FUZZ_FILE_H
#define YEDEK_FUZZ_FILE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static inline int fuzz_file(const uint8_t *data, size_t size, const char *name,
                            void (*reseal)(uint8_t *b, size_t len),
                            void (*run)(int fd, const uint8_t *b, size_t len))
{
    uint8_t *b;
    size_t len;
    int fd;

    if (size == 0)
        return 0;
    len = size - 1;
    b = malloc(len + 1);
    fd = memfd_create(name, 0);
    if (!b || fd < 0)
        abort();
    memcpy(b, data + 1, len);
    if (data[0] & 1)
        reseal(b, len);
    if (pwrite(fd, b, len, 0) != (ssize_t)len)
        abort();
    run(fd, b, len);
    close(fd);
    free(b);
    return 0;
}

#endif
