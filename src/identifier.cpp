// Identifier quoting. Done here rather than with PQescapeIdentifier because
// names are quoted before any connection exists (insert() builds its SQL
// first), and PostgreSQL's rule is simple: wrap in "..." and double any ".

#include <string>
#include <string_view>

#include "pgwrap/error.hpp"
#include "pgwrap/identifier.hpp"

namespace pgwrap {

namespace {
constexpr std::size_t max_identifier_bytes = 63;  // NAMEDATALEN - 1 in a default build
}

std::string quote_identifier(std::string_view name) {
  if (name.empty()) throw usage_error("empty identifier: a table or column name cannot be empty");
  if (name.find('\0') != std::string_view::npos) {
    throw usage_error("identifier contains a NUL byte");
  }
  if (name.size() > max_identifier_bytes) {
    std::size_t shown = 20;  // a prefix for the message, not cut inside a UTF-8 character
    while (shown > 0 && (static_cast<unsigned char>(name[shown]) & 0xC0) == 0x80) --shown;
    throw usage_error("identifier \"" + std::string(name.substr(0, shown)) + "...\" is " + std::to_string(name.size()) +
                      " bytes long; PostgreSQL would cut it to 63 bytes");
  }
  std::string quoted;
  quoted.reserve(name.size() + 2);
  quoted += '"';
  for (const char c : name) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

ident::ident(std::string_view name) : quoted_(quote_identifier(name)) {}

ident::ident(std::string_view schema, std::string_view name)
    : quoted_(quote_identifier(schema) + "." + quote_identifier(name)) {}

}  // namespace pgwrap
