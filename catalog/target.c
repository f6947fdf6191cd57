#include "target.h"

#include <stdio.h>

#include "isotime.h"

const char *cat_target_kind_name(enum cat_target_kind k)
{
    switch (k) {
    case CAT_TARGET_LATEST: return "latest";
    case CAT_TARGET_TIME: return "time";
    case CAT_TARGET_LSN: return "lsn";
    case CAT_TARGET_MARK: return "mark";
    case CAT_TARGET_BEFORE_MARK: return "before_mark";
    }
    return "?";
}

void cat_target_value(const cat_target *t, char *buf, size_t size)
{
    char tb[YTIME_BUF];

    switch (t->kind) {
    case CAT_TARGET_TIME:
        ytime_format(t->time, tb);
        snprintf(buf, size, "%s", tb);
        break;
    case CAT_TARGET_LSN:
        snprintf(buf, size, "%lld", (long long)t->lsn);
        break;
    case CAT_TARGET_MARK:
    case CAT_TARGET_BEFORE_MARK:
        snprintf(buf, size, "%s", t->mark);
        break;
    default:
        snprintf(buf, size, "%s", "");
    }
}
