// Protobuf's own log lines, rate-limited: it logs an ERROR for every string field of a request
// that is not valid UTF-8, so any client (authenticated or not) could fill the server's log.
#pragma once

namespace tqdb::server {

// Routes protobuf's log through a handler that writes at most one line per interval to stderr,
// with a count of the lines left out since; FATAL lines always pass. Call once at start-up.
void RateLimitProtobufLogs(int interval_seconds = 60);

}  // namespace tqdb::server
