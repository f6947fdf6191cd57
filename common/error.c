#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void yerr_clear(yerr *e)
{
    e->code = YERR_OK;
    e->msg[0] = '\0';
    e->hint[0] = '\0';
}

int yerr_set(yerr *e, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->code = code;
    e->hint[0] = '\0';
    return code;
}

int yerr_ctx(yerr *e, const char *fmt, ...)
{
    char ctx[YERR_MSG_MAX];
    char old[YERR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(ctx, sizeof ctx, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    /* Truncation keeps the outer context; the root cause is the tail. */
    snprintf(e->msg, sizeof e->msg, "%s: %s", ctx, old);
    return e->code;
}

void yerr_hint(yerr *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->hint, sizeof e->hint, fmt, ap);
    va_end(ap);
}

int yerr_oom(yerr *e)
{
    return yerr_set(e, YERR_FAIL, "out of memory");
}
