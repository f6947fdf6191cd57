/*
 * sqlite_api.h: the SQLite API as the engine sees it.  Inside the loadable
 * extension every call must go through the host's routine table (the host
 * may have SQLite compiled in, so linking our own would load a second,
 * different SQLite); everywhere else it is the ordinary library.
 */
#ifndef YEDEK_ENG_SQLITE_API_H
#define YEDEK_ENG_SQLITE_API_H

#ifdef YEDEK_SQLITE_EXTENSION
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3
#else
#include <sqlite3.h>
#endif

#endif
