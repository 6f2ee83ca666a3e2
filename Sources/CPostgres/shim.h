#ifndef FLIGHTDECK_CPOSTGRES_SHIM_H
#define FLIGHTDECK_CPOSTGRES_SHIM_H

// libpq, PostgreSQL's own client (Debian: libpq-dev).
#include <libpq-fe.h>

#endif
