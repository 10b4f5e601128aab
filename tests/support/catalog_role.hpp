#pragma once
// A database of its own holding a composite type `item` and a table `log`,
// and a role that may insert into `log` but not read pg_attribute: its
// catalog look-ups of composites fail, every time, the same way.

#include <cstdint>
#include <string>

#include "test_db.hpp"

// The C++ side of the types these tests create: `item (name text, qty int)`
// and the enum `color ('red', 'green', 'blue')`.
namespace catalog_types {
struct item {
  std::string name;
  int qty = 0;
  friend bool operator==(const item&, const item&) = default;
};
PGWRAP_DESCRIBE(item, name, qty)

enum class color { red, green, blue };
PGWRAP_ENUM(color, red, green, blue)
}  // namespace catalog_types

namespace pgwrap::test {

class catalog_role_test : public own_database_test {
 protected:
  void SetUp() override {
    own_database_test::SetUp();
    if (IsSkipped()) return;
    role = database_name + "_role";
    admin.execute(pgwrap::runtime_sql("CREATE ROLE " + pgwrap::quote_identifier(role) + " LOGIN"));
    db.execute("CREATE TYPE item AS (name text, qty int)");
    db.execute("CREATE TABLE log (note text)");
    db.execute(pgwrap::runtime_sql("GRANT SELECT, INSERT ON log TO " + pgwrap::quote_identifier(role)));
    db.execute("REVOKE SELECT ON pg_catalog.pg_attribute FROM PUBLIC");
    db.commit();
  }
  void TearDown() override {
    own_database_test::TearDown();  // the database first: the role's privileges go with it
    if (!role.empty()) admin.execute(pgwrap::runtime_sql("DROP ROLE IF EXISTS " + pgwrap::quote_identifier(role)));
  }
  /// The test database's DSN as the role.
  [[nodiscard]] std::string role_dsn() const { return dsn_with(database_dsn(), "user", role); }
  /// The OID of type `item`, as the errors name it.
  [[nodiscard]] std::string item_oid() {
    return std::to_string(db.scalar<std::int64_t>("SELECT 'item'::regtype::oid::int8"));
  }

  std::string role;
};

}  // namespace pgwrap::test
