/*
 * cmd_status.c: `yedek status DB`: where capture stands (after catching
 * up): LSN, recovery model, marked extents, engine log size, chain state.
 */
#include <stdio.h>

#include "capture.h"
#include "commands.h"
#include "isotime.h"

static const char *model_name(enum fmt_recovery m)
{
    return m == FMT_RECOVERY_FULL ? "full" : "simple";
}

/* What keeps the engine log's records (CONTRACT: "what the log waits on"). */
static const char *waits_on(const cap_status *st)
{
    if (st->state.recovery != FMT_RECOVERY_FULL)
        return "nothing (simple recovery drops records once the DCM holds them)";
    if (st->state.broken)
        return "a full backup (the chain is broken)";
    return st->log_first_lsn == st->state.next_lsn ? "nothing (empty)" : "a log backup";
}

int cmd_status(cli *c, int argc, char **argv, yerr *e)
{
    capture *cap = NULL;
    cap_status st;
    const fmt_cstate *s = &st.state;
    char t[YTIME_BUF], bytes[32];

    if (argc != 2)
        return cli_usage(e, "status", "give one database file");
    if (cap_open(argv[1], &cap, e) || cap_status_read(cap, &st, e)) {
        cap_close(cap);
        return yerr_ctx(e, "status");
    }
    cap_close(cap);
    if (c->json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:I, s:b, s:s, s:I}",
                              "database", s->name, "database_guid", s->guid,
                              "recovery_fork_guid", s->fork_guid, "lsn", (json_int_t)s->next_lsn,
                              "recovery_model", model_name(s->recovery), "journal_mode",
                              st.wal_mode ? "wal" : "delete",
                              "log_bytes", (json_int_t)st.log_bytes, "dcm_extents_marked",
                              (json_int_t)st.dcm_marked, "dcm_extents", (json_int_t)st.dcm_extents,
                              "dcm_trusted", st.dcm_trusted, "chain",
                              s->broken ? "broken" : "intact", "db_pages",
                              (json_int_t)s->db_pages);
        json_object_set_new(o, "chain_break_reason",
                            s->broken ? json_string(s->break_reason) : json_null());
        json_object_set_new(o, "chain_break_lsn", s->broken ? json_integer((json_int_t)s->break_lsn)
                                                           : json_null());
        json_object_set_new(o, "log_first_lsn", json_integer((json_int_t)st.log_first_lsn));
        json_object_set_new(o, "log_waits_on", json_string(waits_on(&st)));
        json_object_set_new(o, "dcm_base_lsn", json_integer((json_int_t)st.dcm_base_lsn));
        json_object_set_new(o, "last_commit_time",
                            s->last_commit_time ? cli_json_time(s->last_commit_time) : json_null());
        json_object_set_new(o, "db_checksum", s->cksum_known ? json_sprintf("%016llx",
                                                   (unsigned long long)s->db_cksum)
                                                             : json_null());
        cli_json_print(o);
        return 0;
    }
    cli_human_bytes((int64_t)st.log_bytes, bytes, sizeof bytes);
    printf("database        %s (%s)\n", s->name, s->guid);
    printf("recovery        %s (journal mode %s)\n", model_name(s->recovery),
           st.wal_mode ? "wal" : "rollback: capture needs WAL");
    printf("lsn             %llu\n", (unsigned long long)s->next_lsn);
    if (s->last_commit_time) {
        ytime_format_short(s->last_commit_time, t);
        printf("last commit     %s\n", t);
    }
    printf("size            %u pages of %u bytes\n", s->db_pages, s->page_size);
    printf("engine log      %s, LSN %llu..%llu, waits on %s\n", bytes,
           (unsigned long long)st.log_first_lsn, (unsigned long long)s->next_lsn, waits_on(&st));
    if (st.dcm_trusted)
        printf("dcm             %u of %u extents marked since the full at LSN %llu\n",
               st.dcm_marked, st.dcm_extents, (unsigned long long)st.dcm_base_lsn);
    else
        printf("dcm             %u of %u extents marked (not trusted: the next diff compares"
               " every extent)\n", st.dcm_marked, st.dcm_extents);
    if (s->broken) {
        printf("chain           BROKEN at LSN %llu: %s\n", (unsigned long long)s->break_lsn,
               s->break_reason);
        printf("                log backups refuse until a full backup starts a new chain\n");
    } else {
        printf("chain           intact\n");
    }
    return 0;
}
