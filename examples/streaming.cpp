// Large results: stream() reads rows batch by batch from a server-side
// cursor, so memory stays flat and the loop may run other statements on the
// same database; copy_out() exports with COPY. Runs against the default
// database (DATABASE_URL, else libpq's PG* variables) in temporary tables.
#include <pgwrap/pgwrap.hpp>

#include <cstdint>
#include <iostream>
#include <string>

int main() {
  auto& db = pgwrap::db();
  db.execute("CREATE TEMP TABLE orders (id bigint PRIMARY KEY, amount_cents bigint NOT NULL)");
  db.execute("INSERT INTO orders SELECT g, g %% 1000 FROM generate_series(1, 200000) g");
  db.execute("CREATE TEMP TABLE big_orders (id bigint PRIMARY KEY)");

  // 200,000 rows, 10,000 at a time; the inserts inside the loop use the same database.
  std::int64_t total = 0;
  std::int64_t flagged = 0;
  for (auto [id, cents] : db.stream<std::int64_t, std::int64_t>("SELECT id, amount_cents FROM orders ORDER BY id")) {
    total += cents;
    if (cents == 999) flagged += db.insert("big_orders", {{"id", id}});
  }
  std::cout << "streamed total " << total << ", flagged " << flagged << "\n";

  // A bulk export of the flagged ids, read as they arrive.
  std::int64_t exported = 0;
  for (auto row : db.copy_out("TABLE %I", pgwrap::ident("big_orders"))) exported += row[0].as<std::int64_t>() > 0;
  std::cout << "exported " << exported << " rows\n";
  db.commit();
}
