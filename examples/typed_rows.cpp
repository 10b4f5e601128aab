// Rows read into tuples and structs, bulk loads with executemany and copy_in,
// and the query-formatting directives. Runs against the default database
// (DATABASE_URL, else libpq's PG* variables) in a temporary table.
#include <pgwrap/pgwrap.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

struct reading {
  std::int64_t id = 0;
  std::string sensor;
  double value = 0;
  std::optional<std::string> note;
};
PGWRAP_DESCRIBE(reading, id, sensor, value, note)

int main() {
  auto& db = pgwrap::db();
  db.execute("CREATE TEMP TABLE readings (id bigint PRIMARY KEY, sensor text NOT NULL, value float8, note text)");

  // Many rows at once: pipelined, then by COPY.
  std::vector<std::tuple<std::int64_t, std::string, double>> first = {{1, "north", 20.5}, {2, "south", 18.25}};
  db.executemany("INSERT INTO readings (id, sensor, value) VALUES (%s, %s, %s)", first);
  std::vector<reading> more = {{3, "north", 21.0, "sunny"}, {4, "east", 19.75, std::nullopt}};
  db.copy_in("readings", {}, more);

  // Tuples with structured bindings, and structs by column name.
  for (auto [sensor, average] :
       db.query<std::string, double>("SELECT sensor, avg(value) FROM readings GROUP BY sensor ORDER BY sensor"))
    std::cout << sensor << " averages " << average << "\n";
  for (const reading& r :
       db.query<reading>("SELECT * FROM readings WHERE %W ORDER BY id", pgwrap::fields{{"sensor", "north"}}))
    std::cout << "north #" << r.id << ": " << r.value << (r.note ? " (" + *r.note + ")" : "") << "\n";

  // Lists, maps and identifiers, always as parameters or quoted names.
  std::vector<std::int64_t> ids{2, 4};
  db.execute("UPDATE %I SET %S WHERE id IN (%s)", "readings", pgwrap::fields{{"note", "checked"}}, pgwrap::list(ids));
  std::cout << db.scalar<std::int64_t>("SELECT count(*) FROM readings WHERE note = %s", "checked")
            << " readings checked\n";
  db.commit();
}
