// RunServe: the composition root of `tessera serve`. It alone knows the concrete store, the
// services and the HTTP server, wires them, and runs until SIGINT/SIGTERM.
//
// Start-up, in order: data directory (0700); store (SQLite by default, migrations applied);
// an active signing key (created on first start); the bootstrap administrator from
// TESSERA_ADMIN_CLIENT_ID/_SECRET when both are set and no such app exists; demo objects with
// --demo; routes; listener; a background purge of expired jti and revocation rows.
#ifndef TESSERA_SERVER_SERVE_H_
#define TESSERA_SERVER_SERVE_H_

#include <ostream>

#include "server/config.h"

namespace tessera::server {

// Runs the server until a stop signal. Returns a failed Status if it could not start.
// `out` receives the start banner (and the demo commands).
Status RunServe(const ServeConfig& config, std::ostream& out);

}  // namespace tessera::server

#endif  // TESSERA_SERVER_SERVE_H_
