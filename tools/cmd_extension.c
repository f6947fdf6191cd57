/*
 * cmd_extension.c: `yedek extension`: the path of the loadable extension,
 * installed beside the yedek binary.
 */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

int cmd_extension(cli *c, int argc, char **argv, yerr *e)
{
    char exe[PATH_MAX], path[PATH_MAX + 16];
    ssize_t n;

    (void)argv;
    if (argc != 1)
        return cli_usage(e, "extension", "takes no arguments");
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n < 0)
        return yerr_set(e, YERR_FAIL, "extension: cannot find the yedek binary");
    exe[n] = '\0';
    snprintf(path, sizeof path, "%s/libyedek.so", dirname(exe));
    if (access(path, R_OK) != 0) {
        yerr_set(e, YERR_FAIL, "extension: %s is missing", path);
        yerr_hint(e, "build it with the yedek binary (cmake --build)");
        return e->code;
    }
    if (c->json)
        cli_json_print(json_pack("{s:s}", "path", path));
    else
        printf("%s\n", path);
    return 0;
}
