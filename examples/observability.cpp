// Observers: a slow-query log for the whole process, and an observer on one
// database that prints each statement's OpenTelemetry attributes, as a tracer
// would set them on the statement's span. Runs against the default database
// (DATABASE_URL, else libpq's PG* variables) in a temporary table.
#include <pgwrap/pgwrap.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

// Called on the thread that runs the statement; this program has one.
class print_attributes final : public pgwrap::observer {
 public:
  void on_end(const pgwrap::event& e) override {
    std::cout << pgwrap::to_string(e.kind) << (e.failed ? " (failed)" : "") << "\n";
    for (const auto& [key, value] : pgwrap::otel_attributes(e)) {
      std::cout << "  " << key << "=";
      std::visit([](const auto& v) { std::cout << v; }, value);
      std::cout << "\n";
    }
  }
};

int main() {
  pgwrap::database db;  // DATABASE_URL, else libpq's PG* variables
  db.connect();         // now, so that the lazy connect is not part of the first statement

  // Every database in the process: statements over 50 ms, one line each, never a value.
  auto slow_log =
      pgwrap::slow_query_log(std::chrono::milliseconds(50), [](std::string_view line) { std::cout << line << "\n"; });
  pgwrap::add_observer(slow_log);
  // This database only.
  db.add_observer(std::make_shared<print_attributes>());

  db.execute("CREATE TEMP TABLE stock (id int PRIMARY KEY, item text NOT NULL, qty int NOT NULL)");
  db.execute("INSERT INTO stock (id, item, qty) VALUES (%s, %s, %s)", 1, "pencil", 40);
  db.execute("UPDATE stock SET qty = qty - %s WHERE item = %s", 5, "pencil");
  auto qty = db.scalar<int>("SELECT qty FROM stock WHERE id = %s", 1);  // fast: not in the slow log
  db.query("SELECT pg_sleep(%s)", 0.1);                                 // 100 ms: logged
  db.commit();

  // A failure: the attributes carry the SQLSTATE, never the server's message (it quotes the value).
  try {
    db.execute("INSERT INTO stock (id, item, qty) VALUES (%s, %s, %s)", 1, "eraser", 3);
  } catch (const pgwrap::unique_violation& e) {
    std::cout << "caught " << e.sqlstate() << "\n";
    db.rollback();
  }

  pgwrap::remove_observer(slow_log);
  std::cout << "pencils left: " << qty << "\n";
}
