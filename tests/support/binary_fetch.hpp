#pragma once
// Asks the server for a value in binary form with raw libpq, so codec tests
// can decode exactly the bytes PostgreSQL sends (pgwrap itself may not ask for
// binary for that query).

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <pgwrap/pgwrap.hpp>
#include <stdexcept>
#include <string>

#include "test_db.hpp"

namespace pgwrap::test {

/// One value the server sent, kept with its type and format.
struct fetched_value {
  std::string bytes;
  std::uint32_t type_oid = 0;
  wire_format format = wire_format::binary;
  [[nodiscard]] value_view view() const { return {bytes, type_oid, format}; }
};

/// Runs `sql` (no parameters, one row, one column) and returns the value in
/// `format`; std::nullopt for NULL. Throws std::runtime_error on failure.
inline std::optional<fetched_value> fetch_value(const std::string& sql, wire_format format = wire_format::binary) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(dsn().c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(conn.get()));
  PQclear(PQexec(conn.get(), "SET DateStyle = ISO; SET IntervalStyle = postgres"));
  std::unique_ptr<PGresult, decltype(&PQclear)> res(
      PQexecParams(conn.get(), sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, static_cast<int>(format)), &PQclear);
  if (PQresultStatus(res.get()) != PGRES_TUPLES_OK) throw std::runtime_error(PQresultErrorMessage(res.get()));
  if (PQntuples(res.get()) != 1 || PQnfields(res.get()) != 1) throw std::runtime_error("need one value: " + sql);
  if (PQgetisnull(res.get(), 0, 0)) return std::nullopt;
  return fetched_value{std::string(PQgetvalue(res.get(), 0, 0), static_cast<std::size_t>(PQgetlength(res.get(), 0, 0))),
                       PQftype(res.get(), 0), format};
}

}  // namespace pgwrap::test
