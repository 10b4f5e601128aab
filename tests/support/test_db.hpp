#pragma once
// Shared by the integration tests: where the test server is, and a fixture
// that gives each test its own schema, so tests can run in parallel.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <pgwrap/pgwrap.hpp>
#include <string>
#include <thread>

namespace pgwrap::test {

/// PGWRAP_TEST_DSN, else "" (libpq's PG* variables, as ./dev test sets them).
inline std::string dsn() {
  const char* d = std::getenv("PGWRAP_TEST_DSN");
  return d ? d : "";
}

/// True when the environment names a server at all. With none, the
/// integration tests skip; with one that cannot be reached, they fail.
inline bool server_configured() {
  return std::getenv("PGWRAP_TEST_DSN") != nullptr || std::getenv("PGHOST") != nullptr ||
         std::getenv("DATABASE_URL") != nullptr;
}

/// A backend leaves pg_stat_activity before its process exits and closes its
/// socket, so a client may still find the connection open for a moment. On
/// the test machine's own server the process itself can be watched: wait
/// (bounded: with a remote server the pid may name an unrelated local
/// process) until it is gone.
inline void wait_until_process_gone(int pid) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline && !(::kill(pid, 0) == -1 && errno == ESRCH)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

/// Waits (bounded) until the server backend `pid` has exited, so that what
/// its end did to its transaction is settled before anything is checked.
inline bool wait_until_backend_gone(pgwrap::database& admin, int pid) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (admin.scalar<std::int64_t>("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", pid) == 0) {
      wait_until_process_gone(pid);
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

/// Waits (bounded) until backend `pid` is running a statement that mentions
/// `text`, so that a cancel or a kill sent next hits that statement.
inline bool wait_until_running(pgwrap::database& admin, int pid, const std::string& text) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (admin.scalar<std::int64_t>(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND state = 'active' AND strpos(query, %s) > 0", pid,
            text) == 1) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

/// Terminates `pid`'s backend from `admin` and waits until it is gone, so the
/// next call on its connection deterministically finds it lost.
inline void terminate_backend(pgwrap::database& admin, int pid) {
  EXPECT_TRUE(admin.scalar<bool>("SELECT pg_terminate_backend(%s)", pid));
  EXPECT_TRUE(wait_until_backend_gone(admin, pid)) << "backend " << pid << " did not exit";
}

/// A fixture with `db` connected to a fresh schema (first on its search_path)
/// and `admin`, an autocommit connection for checks from outside.
class db_test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!server_configured()) GTEST_SKIP() << "no test server: set PGWRAP_TEST_DSN or run ./dev test";
    admin.connect(dsn());
    admin.set_autocommit(true);
    static int counter = 0;
    schema = "pgwrap_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    admin.execute(pgwrap::runtime_sql("CREATE SCHEMA " + pgwrap::quote_identifier(schema)));
    db = connect();
  }

  void TearDown() override {
    if (schema.empty()) return;
    db.close();
    admin.execute(pgwrap::runtime_sql("DROP SCHEMA " + pgwrap::quote_identifier(schema) + " CASCADE"));
  }

  /// The test DSN with this test's schema first on the search_path, set as
  /// a connection option so that it survives reconnects.
  std::string schema_dsn() const {
    const std::string base = dsn();
    const std::string option = "options=-csearch_path%3D" + schema;  // schema is [a-z0-9_]
    if (base.find("://") != std::string::npos) {
      return base + (base.find('?') == std::string::npos ? "?" : "&") + option;
    }
    return base + " options=-csearch_path=" + schema;
  }

  /// Another connection (lazy) to this test's schema.
  pgwrap::database connect() { return pgwrap::database(schema_dsn()); }

  pgwrap::database admin{dsn()};
  pgwrap::database db{dsn()};
  std::string schema;
};

/// Runs `check` twice: with `db`'s statement cache on, so typed reads come
/// in binary where their codecs read it, and off, so they come in text.
template <typename F>
void in_both_result_formats(pgwrap::database& db, F check) {
  for (const std::size_t cache : {std::size_t{100}, std::size_t{0}}) {
    SCOPED_TRACE(cache == 0 ? "text results" : "binary results");
    db.set_statement_cache_size(cache);
    check();
  }
  db.set_statement_cache_size(100);
}

/// `dsn` with one more connection keyword (a later keyword wins), in the
/// URL or the keyword form as `dsn` is; `value` needs no quoting.
inline std::string dsn_with(const std::string& base, const std::string& keyword, const std::string& value) {
  if (base.find("://") != std::string::npos) {
    return base + (base.find('?') == std::string::npos ? "?" : "&") + keyword + "=" + value;
  }
  return base + " " + keyword + "=" + value;
}

/// db_test with `db` connected to a database of its own instead, for what
/// is per database: an extension (installed once per database), a
/// catalog's privileges. Its name is `database_name`; it is dropped at the end.
class own_database_test : public db_test {
 protected:
  void SetUp() override {
    db_test::SetUp();
    if (IsSkipped()) return;
    database_name = schema + "_db";
    admin.execute(pgwrap::runtime_sql("CREATE DATABASE " + pgwrap::quote_identifier(database_name)));
    db.connect(database_dsn());
  }
  void TearDown() override {
    if (!database_name.empty()) {
      db.close();
      admin.execute(pgwrap::runtime_sql("DROP DATABASE IF EXISTS " + pgwrap::quote_identifier(database_name)));
    }
    db_test::TearDown();
  }
  /// The test DSN, connecting to this test's database.
  [[nodiscard]] std::string database_dsn() const { return dsn_with(dsn(), "dbname", database_name); }

  std::string database_name;
};

}  // namespace pgwrap::test
