// engine::type_catalog: user types read from pg_type / pg_attribute, once
// per connection (see type_catalog.hpp).

#include "engine/type_catalog.hpp"

#include <charconv>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "engine/connection.hpp"
#include "pgwrap/error.hpp"

namespace pgwrap::engine {

namespace {
// One row per attribute of a composite (in order), or one row with NULL
// attributes for any other type. Arrays are told by their category, since
// fixed-size base types (point, name) have a typelem too. The extension
// that created a type tells hstore from a type of the same name elsewhere.
constexpr const char* lookup_query =
    "SELECT t.oid, t.typtype, CASE WHEN t.typcategory = 'A' THEN t.typelem ELSE 0 END, t.typbasetype, "
    "pg_catalog.format_type(t.oid, NULL), a.attname, a.atttypid, t.typname, "
    "(SELECT e.extname FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid "
    "WHERE d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass AND d.objid = t.oid "
    "AND d.refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND d.deptype = 'e' LIMIT 1) "
    "FROM pg_catalog.pg_type t "
    "LEFT JOIN pg_catalog.pg_attribute a ON t.typrelid <> 0 AND a.attrelid = t.typrelid AND a.attnum > 0 "
    "AND NOT a.attisdropped "
    "WHERE t.oid = ANY($1::pg_catalog.oid[]) ORDER BY t.oid, a.attnum";

constexpr const char* savepoint = "SAVEPOINT pgwrap_type_lookup";

std::uint32_t oid_at(const PGresult* res, int row, int column) {
  const char* text = PQgetvalue(res, row, column);
  std::uint32_t value = 0;
  std::from_chars(text, text + PQgetlength(res, row, column), value);
  return value;
}

bool is_user(std::uint32_t oid) { return oid >= detail::first_user_oid; }

std::string oid_list(std::span<const std::uint32_t> oids) {
  std::string text;
  for (const std::uint32_t oid : oids) {
    if (!text.empty()) text += ',';
    text += std::to_string(oid);
  }
  return text;
}
}  // namespace

type_catalog::lookup::lookup(std::span<const std::uint32_t> oids, bool in_transaction)
    : in_transaction_(in_transaction), parameter_("{" + oid_list(oids) + "}"), values_{parameter_.c_str()} {}

std::vector<command> type_catalog::lookup::commands() const {
  const command select = command::query(lookup_query, {1, nullptr, values_, nullptr, nullptr}, 0);
  if (!in_transaction_) return {select};
  return {command::query(savepoint), select, command::query(release)};
}

std::string type_catalog::failure_of(const request& r, const std::string& fallback) {
  for (const result_ptr& res : r.results) {
    if (!res || PQresultStatus(res.get()) != PGRES_FATAL_ERROR) continue;
    const char* message = PQresultErrorField(res.get(), PG_DIAG_MESSAGE_PRIMARY);
    if (message != nullptr) return message;
  }
  return fallback;
}

bool type_catalog::needs_lookup(const PGresult* res) noexcept {
  const int n = PQnfields(res);
  for (int i = 0; i < n; ++i) {
    if (is_user(PQftype(res, i))) return true;
  }
  return false;
}

std::vector<std::uint32_t> type_catalog::column_types(const PGresult* res) {
  std::vector<std::uint32_t> oids;
  const int n = PQnfields(res);
  oids.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) oids.push_back(PQftype(res, i));
  return oids;
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
    t.typname = PQgetvalue(rows, row, 7);
    t.extension = PQgetvalue(rows, row, 8);  // "" for NULL
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

std::shared_ptr<const detail::type_set> type_catalog::known_for(const PGresult* res) const {
  return needs_lookup(res) ? snapshot_ : nullptr;
}

std::shared_ptr<const detail::type_set> type_catalog::with_failure(std::span<const std::uint32_t> oids,
                                                                   const std::string& why) const {
  auto set = snapshot_ ? std::make_shared<detail::type_set>(*snapshot_) : std::make_shared<detail::type_set>();
  for (const std::uint32_t oid : oids) {
    detail::user_type t;
    t.oid = oid;
    t.lookup_error = why;
    set->add(std::move(t));
  }
  return set;
}

std::shared_ptr<const detail::type_set> type_catalog::types_for(connection& c, const PGresult* res,
                                                                bool in_transaction) {
  return types_for(c, column_types(res), in_transaction);
}

std::shared_ptr<const detail::type_set> type_catalog::types_for(connection& c, std::span<const std::uint32_t> oids,
                                                                bool in_transaction) {
  std::vector<std::uint32_t> wanted = missing(oids);
  for (int round = 0; !wanted.empty() && round < max_rounds; ++round) {
    const lookup one(wanted, in_transaction);
    std::string why;
    try {
      const std::vector<command> commands = one.commands();
      const request_ptr r = c.submit(commands);
      c.wait(*r);
      const PGresult* rows = one.rows_index() < r->results.size() ? r->results[one.rows_index()].get() : nullptr;
      if (rows != nullptr && PQresultStatus(rows) == PGRES_TUPLES_OK) {
        wanted = absorb(rows);
        continue;
      }
      why = failure_of(*r, c.error_message());
      if (one.needs_rollback() && c.is_ok()) {
        const request_ptr back = c.submit({command::query(lookup::rollback_to), command::query(lookup::release)});
        c.wait(*back);
      }
    } catch (const connection_error& e) {  // lost: the caller's next statement reports it
      why = e.what();
    }
    return with_failure(wanted, why);
  }
  return snapshot_;
}

}  // namespace pgwrap::engine
