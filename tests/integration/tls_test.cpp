// TLS with certificates from a self-signed CA, and passwords kept out of
// every message. Needs the environment of scripts/pg_tls.sh (ctest runs
// these as env.tls through tests/env/run_env_test.sh); without it they skip.
// The server takes TCP connections only with TLS and scram-sha-256.
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <pgwrap/pgwrap.hpp>
#include <string>

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

class tls : public ::testing::Test {
 protected:
  void SetUp() override {
    port = env("PGWRAP_TLS_PORT");
    ca = env("PGWRAP_TLS_CA");
    other_ca = env("PGWRAP_TLS_OTHER_CA");
    user = env("PGWRAP_TLS_USER");
    password = env("PGWRAP_TLS_PASSWORD");
    if (port.empty() || ca.empty() || other_ca.empty() || user.empty() || password.empty()) {
      GTEST_SKIP() << "no TLS environment: run `ctest -R env.tls` (tests/env/run_env_test.sh tls <this binary>)";
    }
  }

  /// A conninfo for this server; `extra` is appended (later keywords win).
  std::string conninfo(const std::string& host, const std::string& extra = "") const {
    return "host=" + host + " port=" + port + " dbname=postgres user=" + user + " password=" + password + " " + extra;
  }
  std::string verified(const std::string& host = "localhost") const {
    return conninfo(host, "sslmode=verify-full sslrootcert=" + ca);
  }

  /// Connects with `info`, expects connection_error, and returns its message,
  /// after checking that the password is not in it.
  std::string connect_error(const std::string& info) {
    pgwrap::database db(info);
    try {
      db.connect();
    } catch (const pgwrap::connection_error& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.find(password), std::string::npos) << "password in: " << message;
      EXPECT_EQ(db.to_string().find(password), std::string::npos) << db.to_string();
      return message;
    }
    ADD_FAILURE() << "connected, but expected a connection_error";
    return "";
  }

  std::string port, ca, other_ca, user, password;
};

TEST_F(tls, VerifyFullConnectsOverTls) {
  pgwrap::database db(verified());
  db.set_autocommit(true);
  EXPECT_TRUE(db.scalar<bool>("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"));
  EXPECT_EQ(db.scalar<std::string>("SELECT current_user"), user);
  // The certificate names 127.0.0.1 too (subjectAltName IP), which libpq checks as well.
  pgwrap::database by_address(verified("127.0.0.1"));
  EXPECT_TRUE(by_address.scalar<bool>("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"));
}

TEST_F(tls, UriConninfoWorksToo) {
  pgwrap::database db("postgresql://" + user + ":" + password + "@localhost:" + port +
                      "/postgres?sslmode=verify-full&sslrootcert=" + ca);
  EXPECT_TRUE(db.scalar<bool>("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"));
  EXPECT_EQ(db.to_string().find(password), std::string::npos) << db.to_string();
}

TEST_F(tls, CertificateFromAnotherCaIsRejected) {
  const std::string message = connect_error(conninfo("localhost", "sslmode=verify-full sslrootcert=" + other_ca));
  EXPECT_NE(message.find("certificate verify failed"), std::string::npos) << message;
  // verify-ca checks the chain but not the name: the wrong CA fails there too.
  const std::string ca_only = connect_error(conninfo("localhost", "sslmode=verify-ca sslrootcert=" + other_ca));
  EXPECT_NE(ca_only.find("certificate verify failed"), std::string::npos) << ca_only;
}

TEST_F(tls, HostNameNotInTheCertificateIsRejected) {
  // hostaddr connects to 127.0.0.1; the name checked against the certificate is `host`.
  const std::string message =
      connect_error(conninfo("pgwrap.invalid", "hostaddr=127.0.0.1 sslmode=verify-full sslrootcert=" + ca));
  EXPECT_NE(message.find("does not match host name \"pgwrap.invalid\""), std::string::npos) << message;
  // An IP address is checked against the certificate's IP entries: 127.0.0.2 is not one.
  const std::string by_ip =
      connect_error(conninfo("127.0.0.2", "hostaddr=127.0.0.1 sslmode=verify-full sslrootcert=" + ca));
  EXPECT_NE(by_ip.find("does not match host name \"127.0.0.2\""), std::string::npos) << by_ip;
  // verify-ca does not check the name.
  pgwrap::database db(conninfo("pgwrap.invalid", "hostaddr=127.0.0.1 sslmode=verify-ca sslrootcert=" + ca));
  EXPECT_TRUE(db.scalar<bool>("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"));
}

TEST_F(tls, MissingRootCertificateFileIsReported) {
  const std::string message =
      connect_error(conninfo("localhost", "sslmode=verify-full sslrootcert=/nonexistent/ca.crt"));
  EXPECT_NE(message.find("root certificate file \"/nonexistent/ca.crt\" does not exist"), std::string::npos) << message;
}

TEST_F(tls, PlainTcpIsRefusedByTheServer) {
  const std::string message = connect_error(conninfo("localhost", "sslmode=disable"));
  EXPECT_NE(message.find("no encryption"), std::string::npos) << message;
}

TEST_F(tls, PasswordIsCheckedAndNeverShown) {
  // A wrong password is refused, and shown neither.
  const std::string wrong = "wrong-" + password;
  pgwrap::database db(verified() + " password=" + wrong);
  try {
    db.connect();
    ADD_FAILURE() << "connected with a wrong password";
  } catch (const pgwrap::connection_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("password authentication failed"), std::string::npos) << message;
    EXPECT_EQ(message.find(password), std::string::npos) << message;
  }
  EXPECT_EQ(db.to_string().find(password), std::string::npos) << db.to_string();

  // Errors with the right password in the conninfo: a bad keyword value, an
  // unknown database, each as key=value and as a URI.
  connect_error(verified() + " sslmode=bogus");
  connect_error(verified() + " dbname=pgwrap_no_such_database");
  connect_error("postgresql://" + user + ":" + password + "@localhost:" + port +
                "/pgwrap_no_such_database?sslmode=verify-full&sslrootcert=" + ca);
  connect_error("postgresql://" + user + ":" + password + "@localhost:" + port + "/postgres?sslmode=bogus");

  // Connected: to_string, a server error, and a lost connection.
  pgwrap::database connected(verified());
  connected.set_autocommit(true);
  connected.connect();
  const std::string shown = connected.to_string();
  EXPECT_EQ(shown.find(password), std::string::npos) << shown;
  EXPECT_NE(shown.find("password=********"), std::string::npos) << shown;
  try {
    connected.execute("SELECT * FROM pgwrap_no_such_table");
    ADD_FAILURE() << "expected sql_error";
  } catch (const pgwrap::sql_error& e) {
    EXPECT_EQ(std::string(e.what()).find(password), std::string::npos) << e.what();
  }
  try {
    connected.execute("SELECT pg_terminate_backend(pg_backend_pid())");
    connected.execute("SELECT 1");
    ADD_FAILURE() << "expected connection_error";
  } catch (const pgwrap::connection_error& e) {
    EXPECT_EQ(std::string(e.what()).find(password), std::string::npos) << e.what();
  }
  EXPECT_EQ(connected.scalar<int>("SELECT 1"), 1);  // reconnected, over TLS again
  EXPECT_TRUE(connected.scalar<bool>("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"));
}

}  // namespace
