// The psycopgwrap workflow in C++: the default database, insert, queryone,
// a query iterated with rows read by name and by position, commit/rollback.
#include <cstdint>
#include <iostream>
#include <pgwrap/pgwrap.hpp>
#include <string>

int main() {
  auto& db = pgwrap::db();  // process-wide default database, connects lazily on first use
  // db.connect("dbname=testdb");  // optional: otherwise DATABASE_URL, then libpq's PG* variables
  db.execute("CREATE TABLE IF NOT EXISTS users (id serial PRIMARY KEY, name text NOT NULL, uid int)");
  db.insert("users", {{"name", "Al Bert"}, {"uid", 10}});

  std::string name = "Al Bert";
  auto user = db.queryone("SELECT * FROM users WHERE name = %s", name);
  if (!user)
    std::cout << "No such user " << name << "\n";
  else
    std::cout << "User id: " << (*user)["id"].as<int>() << "\n";

  std::int64_t count = (*db.queryone("SELECT COUNT(*) FROM users"))[0].as<std::int64_t>();
  std::cout << count << " users\n";

  for (auto row : db.query("SELECT * FROM users WHERE uid > %s ORDER BY id", 5))
    std::cout << "id " << row["id"].as<int>() << " or " << row[0].as<int>() << "\n";

  try {
    db.commit();
  } catch (const pgwrap::error&) {
    db.rollback();
  }
}
