// Connecting: conninfo forms, the default database, lazy connect, close,
// connection failures and passwords kept out of messages.
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

#include "test_db.hpp"

namespace pgwrap::test {
namespace {

using connect_test = db_test;

/// Sets an environment variable for one scope, then puts back what was there
/// (the old value, or none), also when an assertion ends the test early: the
/// tests after it (and ./dev test's DATABASE_URL) must see the environment unchanged.
class scoped_env {
 public:
  scoped_env(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~scoped_env() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

std::string connect_error_of(const std::string& conninfo) {
  pgwrap::database d(conninfo);
  try {
    d.connect();
  } catch (const connection_error& e) {
    return e.what();
  }
  return "connected";
}

TEST_F(connect_test, KeyValueConninfo) { EXPECT_EQ(db.scalar<std::string>("SELECT current_schema()"), schema); }

TEST_F(connect_test, UriConninfo) {
  // Rebuild where we are connected as a postgresql:// URI.
  const auto where = db.queryone(
      "SELECT current_user AS u, current_database() AS d, current_setting('port') AS p, "
      "coalesce(host(inet_server_addr()), split_part(current_setting('unix_socket_directories'), ',', 1)) AS h");
  ASSERT_TRUE(where.has_value());
  std::string host;
  for (const char c : (*where)["h"].as<std::string>()) host += c == '/' ? std::string("%2F") : std::string(1, c);
  const std::string uri = "postgresql://" + (*where)["u"].as<std::string>() + "@/" + (*where)["d"].as<std::string>() +
                          "?host=" + host + "&port=" + (*where)["p"].as<std::string>();
  pgwrap::database d(uri);
  EXPECT_EQ(d.scalar<int>("SELECT 1"), 1);
}

TEST_F(connect_test, EmptyConninfoMeansLibpqDefaults) {
  if (std::getenv("PGHOST") == nullptr) GTEST_SKIP() << "PG* variables not set";
  pgwrap::database d("");
  EXPECT_EQ(d.scalar<int>("SELECT 2"), 2);
}

TEST_F(connect_test, DefaultDatabaseReadsDatabaseUrl) {
  const scoped_env url("DATABASE_URL", schema_dsn());
  pgwrap::database d;  // resolved when it connects
  EXPECT_EQ(d.scalar<std::string>("SELECT current_schema()"), schema);
}

TEST_F(connect_test, ProcessWideDefaultIsOneLazyDatabase) {
  const scoped_env url("DATABASE_URL", schema_dsn());
  EXPECT_EQ(&pgwrap::db(), &pgwrap::db());
  EXPECT_FALSE(pgwrap::db().is_connected());
  EXPECT_EQ(pgwrap::db().scalar<std::string>("SELECT current_schema()"), schema);
  EXPECT_TRUE(pgwrap::db().is_connected());
  pgwrap::db().close();
}

TEST_F(connect_test, ConnectsLazilyOnFirstUse) {
  pgwrap::database d(schema_dsn());
  EXPECT_FALSE(d.is_connected());
  d.execute("SELECT 1");
  EXPECT_TRUE(d.is_connected());

  pgwrap::database unreachable("host=/nonexistent/pgwrap-test port=1");  // no error until used
  EXPECT_THROW(unreachable.execute("SELECT 1"), connection_error);
}

TEST_F(connect_test, ConnectionFailuresGiveLibpqsMessage) {
  const std::string refused = connect_error_of("host=/nonexistent/pgwrap-test port=1");
  EXPECT_NE(refused.find("could not connect"), std::string::npos) << refused;
  EXPECT_NE(refused.find("/nonexistent/pgwrap-test"), std::string::npos) << refused;

  const std::string bad_option = connect_error_of("no_such_option=1");
  EXPECT_NE(bad_option.find("invalid connection option \"no_such_option\""), std::string::npos) << bad_option;

  const std::string bad_uri = connect_error_of("postgresql://host:notaport/db");
  EXPECT_NE(bad_uri.find("could not connect"), std::string::npos) << bad_uri;
}

TEST_F(connect_test, PasswordsNeverAppearInMessages) {
  for (const std::string& conninfo : {
           std::string("postgresql://someone:Sup3rS3cret@/db?host=/nonexistent/pgwrap&port=1"),
           std::string("postgresql://someone:Sup3rS3cret@host:notaport/db"),
           std::string("host=/nonexistent/pgwrap port=1 password=Sup3rS3cret"),
           std::string("password='Sup3rS3cret' port=notaport"),
           std::string("password=Sup3rS3cret no_such_option=Sup3rS3cret"),
           // libpq quotes these back whole, password included, unless pgwrap masks it:
           std::string("postgresql://someone:Sup3r%zzS3cret@host/db"),
           std::string("postgresql://someone:Sup3rS3cret@[host/db"),
       }) {
    const std::string message = connect_error_of(conninfo);
    EXPECT_EQ(message.find("Sup3r"), std::string::npos) << message;
    EXPECT_NE(message.find("could not connect"), std::string::npos) << message;
  }
}

TEST_F(connect_test, UseAfterCloseIsAnErrorUntilConnect) {
  db.execute("SELECT 1");
  db.close();
  EXPECT_FALSE(db.is_connected());
  try {
    db.execute("SELECT 1");
    FAIL() << "expected usage_error";
  } catch (const usage_error& e) {
    EXPECT_STREQ(e.what(), "the database is closed; call connect() to open it again");
  }
  db.connect();
  EXPECT_EQ(db.scalar<std::string>("SELECT current_schema()"), schema);
}

TEST_F(connect_test, ConnectWithNewConninfoSwitchesDatabase) {
  pgwrap::database d("host=/nonexistent/pgwrap-test port=1");
  d.connect(schema_dsn());
  EXPECT_TRUE(d.is_connected());
  EXPECT_EQ(d.scalar<std::string>("SELECT current_schema()"), schema);
}

TEST_F(connect_test, MovedFromDatabaseIsAUsageError) {
  pgwrap::database a(schema_dsn());
  a.execute("SELECT 1");
  pgwrap::database b(std::move(a));
  EXPECT_EQ(b.scalar<int>("SELECT 3"), 3);
  EXPECT_THROW(a.execute("SELECT 1"), usage_error);  // NOLINT(bugprone-use-after-move): the point
}

TEST_F(connect_test, ClientEncodingIsUtf8) { EXPECT_EQ(db.scalar<std::string>("SHOW client_encoding"), "UTF8"); }

TEST_F(connect_test, ToStringNeverShowsThePassword) {
  for (const std::string& conninfo : {std::string("host=/nonexistent/x port=1 user=al password=Sup3rS3cret dbname=app"),
                                      std::string("postgresql://al:Sup3rS3cret@localhost:5433/app?sslmode=disable")}) {
    const pgwrap::database d(conninfo);
    const std::string shown = d.to_string();
    EXPECT_EQ(shown.find("Sup3rS3cret"), std::string::npos) << shown;
    EXPECT_NE(shown.find("password=********"), std::string::npos) << shown;
    EXPECT_NE(shown.find("dbname=app"), std::string::npos) << shown;
    EXPECT_NE(shown.find("[not connected]"), std::string::npos) << shown;
  }
  EXPECT_EQ(pgwrap::database("password='Sup3rS3cret").to_string(),  // unterminated quote
            "pgwrap::database (a conninfo libpq cannot parse) [not connected]");
  EXPECT_NE(db.to_string().find("["), std::string::npos);
}

}  // namespace
}  // namespace pgwrap::test
