// engine::type_catalog: user types read from pg_type / pg_attribute, once
// per connection (see type_catalog.hpp).

#include "engine/type_catalog.hpp"

#include <charconv>
#include <string>
#include <string_view>
#include <utility>

#include "engine/connection.hpp"
#include "pgwrap/error.hpp"

namespace pgwrap::engine {

namespace {
// One row per attribute of a composite (in order), or one row with NULL
// attributes for any other type. Arrays are told by their category, since
// fixed-size base types (point, name) have a typelem too.
constexpr const char* lookup_query =
    "SELECT t.oid, t.typtype, CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE 0 END, t.typbasetype, "
    "pg_catalog.format_type(t.oid, NULL), a.attname, a.atttypid "
    "FROM pg_catalog.pg_type t "
    "LEFT JOIN pg_catalog.pg_attribute a ON t.typrelid <> 0 AND a.attrelid = t.typrelid AND a.attnum > 0 "
    "AND NOT a.attisdropped "
    "WHERE t.oid = ANY($1::pg_catalog.oid[]) ORDER BY t.oid, a.attnum";

// No more levels of nesting than this are followed (a guard, not a limit
// anyone meets: composites cannot contain themselves).
constexpr int max_rounds = 32;

std::uint32_t oid_at(const PGresult* res, int row, int column) {
  const char* text = PQgetvalue(res, row, column);
  std::uint32_t value = 0;
  std::from_chars(text, text + PQgetlength(res, row, column), value);
  return value;
}

bool is_user(std::uint32_t oid) { return oid >= detail::first_user_oid; }

// Runs one catalog statement and waits for it; null when it failed.
result_ptr run(connection& c, const char* sql, const std::string& parameter) {
  const char* values[] = {parameter.c_str()};
  const command q = command::query(sql, {1, nullptr, values, nullptr, nullptr}, 0);
  const request_ptr r = c.submit({q});
  c.wait(*r);
  if (r->results.empty() || !r->results[0] || PQresultStatus(r->results[0].get()) != PGRES_TUPLES_OK) return nullptr;
  return std::move(r->results[0]);
}
}  // namespace

bool type_catalog::needs_lookup(const PGresult* res) noexcept {
  const int n = PQnfields(res);
  for (int i = 0; i < n; ++i) {
    if (is_user(PQftype(res, i))) return true;
  }
  return false;
}

std::vector<std::uint32_t> type_catalog::missing(std::span<const std::uint32_t> oids) const {
  std::vector<std::uint32_t> out;
  for (const std::uint32_t oid : oids) {
    if (!is_user(oid) || (snapshot_ && snapshot_->contains(oid))) continue;
    bool seen = false;
    for (const std::uint32_t o : out) seen = seen || o == oid;
    if (!seen) out.push_back(oid);
  }
  return out;
}

const char* type_catalog::lookup_sql() noexcept { return lookup_query; }

std::string type_catalog::lookup_parameter(std::span<const std::uint32_t> oids) {
  std::string text = "{";
  for (const std::uint32_t oid : oids) {
    if (text.size() > 1) text += ',';
    text += std::to_string(oid);
  }
  text += '}';
  return text;
}

std::vector<std::uint32_t> type_catalog::absorb(const PGresult* rows) {
  // A new set sharing the known entries: results holding the old one keep it.
  auto next = snapshot_ ? std::make_shared<detail::type_set>(*snapshot_) : std::make_shared<detail::type_set>();
  std::vector<std::uint32_t> referred;
  const int n = PQntuples(rows);
  for (int row = 0; row < n;) {
    detail::user_type t;
    t.oid = oid_at(rows, row, 0);
    t.kind = PQgetlength(rows, row, 1) > 0 ? PQgetvalue(rows, row, 1)[0] : '\0';
    t.element_oid = oid_at(rows, row, 2);
    t.base_oid = oid_at(rows, row, 3);
    t.name = PQgetvalue(rows, row, 4);
    referred.push_back(t.element_oid);
    referred.push_back(t.base_oid);
    for (; row < n && oid_at(rows, row, 0) == t.oid; ++row) {
      if (PQgetisnull(rows, row, 5) != 0) continue;
      t.attributes.push_back({PQgetvalue(rows, row, 5), oid_at(rows, row, 6)});
      referred.push_back(t.attributes.back().type_oid);
    }
    next->add(std::move(t));
  }
  snapshot_ = std::move(next);
  return missing(referred);
}

std::shared_ptr<const detail::type_set> type_catalog::types_for(connection& c, const PGresult* res) {
  const int n = PQnfields(res);
  std::vector<std::uint32_t> oids;
  oids.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) oids.push_back(PQftype(res, i));
  return types_for(c, oids);
}

std::shared_ptr<const detail::type_set> type_catalog::types_for(connection& c, std::span<const std::uint32_t> oids) {
  std::vector<std::uint32_t> wanted = missing(oids);
  for (int round = 0; !wanted.empty() && round < max_rounds; ++round) {
    result_ptr rows;
    try {
      rows = run(c, lookup_query, lookup_parameter(wanted));
    } catch (...) {  // lost: the caller's next statement reports it
      break;
    }
    if (!rows) break;
    wanted = absorb(rows.get());
  }
  return snapshot_;
}

std::optional<std::uint32_t> type_catalog::oid_of(connection& c, std::string_view name) {
  std::string key(name);
  if (const auto it = names_.find(key); it != names_.end()) {
    if (it->second == 0) return std::nullopt;
    return it->second;
  }
  const result_ptr rows = run(c, "SELECT pg_catalog.to_regtype($1)::pg_catalog.oid", key);
  if (!rows) throw usage_error("could not look up type " + key + ": " + c.error_message());
  const std::uint32_t oid = PQntuples(rows.get()) == 1 && PQgetisnull(rows.get(), 0, 0) == 0 ? oid_at(rows.get(), 0, 0) : 0;
  names_.emplace(std::move(key), oid);
  if (oid == 0) return std::nullopt;
  return oid;
}

}  // namespace pgwrap::engine
