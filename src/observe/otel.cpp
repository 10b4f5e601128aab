// OpenTelemetry's names for an operation's attributes and a pool's metrics
// (database client semantic conventions: db.*, server.*, error.type).

#include <string>

#include "pgwrap/observer.hpp"
#include "pgwrap/pool.hpp"

namespace pgwrap {

attributes otel_attributes(const event& e) {
  attributes out;
  out.reserve(10);
  const auto text = [&](std::string_view key, std::string_view value) {
    if (!value.empty()) out.emplace_back(key, std::string(value));
  };
  text("db.system.name", "postgresql");
  text("db.namespace", e.database_name);
  text("db.query.text", e.query_text);
  text("db.operation.name", e.operation_name);
  text("db.collection.name", e.collection_name);
  if (e.batch_size >= 2) out.emplace_back("db.operation.batch.size", static_cast<std::int64_t>(e.batch_size));
  if (e.failed) {
    text("db.response.status_code", e.sqlstate);
    // The conventions prefer the database's status code; without one, the exception's class.
    text("error.type", e.sqlstate.empty() ? e.error_type : e.sqlstate);
  }
  text("server.address", e.server_address);
  if (e.server_port != 0) out.emplace_back("server.port", static_cast<std::int64_t>(e.server_port));
  return out;
}

std::vector<metric> pool_metrics(const pool_stats& s) {
  const auto seconds = [](std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); };
  return {
      {"db.client.connection.count", "{connection}", "idle", static_cast<double>(s.idle)},
      {"db.client.connection.count", "{connection}", "used", static_cast<double>(s.in_use)},
      {"db.client.connection.max", "{connection}", "", static_cast<double>(s.max_size)},
      {"db.client.connection.pending_requests", "{request}", "", static_cast<double>(s.waiting)},
      {"db.client.connection.timeouts", "{timeout}", "", static_cast<double>(s.timeouts)},
      {"db.client.connection.wait_time", "s", "", seconds(s.total_wait)},
      {"db.client.connection.use_time", "s", "", seconds(s.total_use)},
  };
}

}  // namespace pgwrap
