// inet, cidr, macaddr and macaddr8 through a real server: sent in binary and
// read back in text and binary, to_string() equal to what the server prints,
// the server's own binary bytes decoded, arrays, NULLs and bad input.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "binary_fetch.hpp"
#include "test_db.hpp"

namespace pgwrap::test {
namespace {

using network_test = db_test;

std::string sql_literal(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// The server's printed form of literal::type (its output function, read untyped: text).
std::string server_prints(database& db, std::string_view literal, std::string_view type) {
  return db.query(runtime_sql("SELECT " + sql_literal(literal) + "::" + std::string(type) + " AS v"))[0]["v"]
      .as<std::string>();
}

template <typename T>
T server_binary(std::string_view literal, std::string_view type, wire_format format = wire_format::binary) {
  const auto v = fetch_value("SELECT " + sql_literal(literal) + "::" + std::string(type), format);
  EXPECT_TRUE(v.has_value());
  return v ? codec<T>::decode(v->view()) : T{};
}

const std::vector<std::string_view> inet_literals = {
    "127.168.0.1",
    "127.168.0.1/32",
    "127.1.2.3/8",  // ip-literal-ok: only parsed and printed
    "10.1/16",
    "0.0.0.0",          // ip-literal-ok: only parsed and printed
    "0.0.0.0/0",        // ip-literal-ok: only parsed and printed
    "127.255.255.255",  // ip-literal-ok: only parsed and printed
    "127.0.0.1/31",
    "2001:db8::1",           // ip-literal-ok: only parsed and printed
    "2001:db8:0:0:1:0:0:1",  // ip-literal-ok: only parsed and printed
    "2001:db8::/32",         // ip-literal-ok: only parsed and printed
    "::",
    "::/0",
    "::1",
    "1::",                   // ip-literal-ok: only parsed and printed
    "::ffff:127.2.3.4",      // ip-literal-ok: only parsed and printed
    "::ffff:0:0",            // ip-literal-ok: only parsed and printed
    "::127.2.3.4",           // ip-literal-ok: only parsed and printed
    "::102",                 // ip-literal-ok: only parsed and printed
    "::ffff:127.2.3.4/120",  // ip-literal-ok: only parsed and printed
    "1:0:0:1:0:0:0:1",       // ip-literal-ok: only parsed and printed
    "1:0:0:1:0:0:1:1",       // ip-literal-ok: only parsed and printed
    "fe80::1:2:3:4/10",      // ip-literal-ok: only parsed and printed
    "0:0:0:0:0:1:0:0",       // ip-literal-ok: only parsed and printed
    "1:2:3:4:5:6:7:8",       // ip-literal-ok: only parsed and printed
    "FFFF:ffff:FFFF:ffff:ffff:ffff:ffff:ffff/127",
    "1:2:3:4:5:6:127.2.3.4",  // ip-literal-ok: only parsed and printed
    "::1:0"};                 // ip-literal-ok: only parsed and printed; the server prints it IPv4-embedded

TEST_F(network_test, InetPrintsAndTravelsAsTheServer) {
  in_both_result_formats(db, [&] {
    for (const std::string_view literal : inet_literals) {
      SCOPED_TRACE(literal);
      const inet a = inet::parse(literal);
      EXPECT_EQ(a.to_string(), server_prints(db, literal, "inet"));
      EXPECT_EQ(db.scalar<inet>("SELECT %s", a), a);
      EXPECT_EQ(db.scalar<std::string>("SELECT pg_typeof(%s)::text", a), "inet");
      EXPECT_TRUE(db.scalar<bool>(runtime_sql("SELECT %s = " + sql_literal(literal) + "::inet"), a));
      EXPECT_EQ(db.query("SELECT %s AS v", a)[0]["v"].as<inet>(), a);  // untyped: text
      EXPECT_EQ(server_binary<inet>(literal, "inet"), a);
      EXPECT_EQ(server_binary<inet>(literal, "inet", wire_format::text), a);
    }
  });
}

TEST_F(network_test, CidrPrintsAndTravelsAsTheServer) {
  const std::vector<std::string_view> literals = {"10",
                                                  "172.16",
                                                  "192.168.1",
                                                  "128",
                                                  "224",
                                                  "10.1/24",
                                                  "127.0.0.0/8",    // ip-literal-ok: only parsed and printed
                                                  "127.2.3.4",      // ip-literal-ok: only parsed and printed
                                                  "0.0.0.0/0",      // ip-literal-ok: only parsed and printed
                                                  "2001:db8::/32",  // ip-literal-ok: only parsed and printed
                                                  "::1",
                                                  "::/0",                  // ip-literal-ok: only parsed and printed
                                                  "::ffff:127.2.3.0/120",  // ip-literal-ok: only parsed and printed
                                                  "fe80::/10"};            // ip-literal-ok: only parsed and printed
  in_both_result_formats(db, [&] {
    for (const std::string_view literal : literals) {
      SCOPED_TRACE(literal);
      const cidr c = cidr::parse(literal);
      EXPECT_EQ(c.to_string(), server_prints(db, literal, "cidr"));
      EXPECT_EQ(c.to_string(), db.scalar<std::string>(runtime_sql("SELECT " + sql_literal(literal) + "::cidr::text")));
      EXPECT_EQ(db.scalar<cidr>("SELECT %s", c), c);
      EXPECT_EQ(db.scalar<std::string>("SELECT pg_typeof(%s)::text", c), "cidr");
      EXPECT_EQ(db.scalar<inet>("SELECT %s::inet", c), c.to_inet());
      EXPECT_EQ(server_binary<cidr>(literal, "cidr"), c);
    }
  });
}

TEST_F(network_test, MacAddressesPrintAndTravelAsTheServer) {
  const std::vector<std::string_view> mac = {"08:00:2b:01:02:03", "08-00-2b-01-02-03", "08002b:010203",
                                             "08002b-010203",     "0800.2b01.0203",    "0800-2b01-0203",
                                             "08002b010203",      "FF:ff:00:00:00:0A", "8:0:2b:1:2:3"};
  const std::vector<std::string_view> mac8 = {
      "08:00:2b:01:02:03:04:05", "08-00-2b-01-02-03-04-05",  // ip-literal-ok: only parsed and printed
      "08002b:0102030405",       "0800.2b01.0203.0405",     "0800-2b01-0203-0405",
      "08002b0102030405",        "08:00:2b:01:02:03",       "  0800.2b01.0203  "};
  in_both_result_formats(db, [&] {
    for (const std::string_view literal : mac) {
      SCOPED_TRACE(literal);
      const macaddr m = macaddr::parse(literal);
      EXPECT_EQ(m.to_string(), server_prints(db, literal, "macaddr"));
      EXPECT_EQ(db.scalar<macaddr>("SELECT %s", m), m);
      EXPECT_EQ(db.scalar<std::string>("SELECT pg_typeof(%s)::text", m), "macaddr");
      EXPECT_EQ(server_binary<macaddr>(literal, "macaddr"), m);
      EXPECT_EQ(db.scalar<macaddr8>("SELECT %s", m), macaddr8(m));  // as the server's macaddr8(macaddr)
      EXPECT_EQ(db.scalar<macaddr8>("SELECT %s::macaddr8", m), macaddr8(m));
    }
    for (const std::string_view literal : mac8) {
      SCOPED_TRACE(literal);
      const macaddr8 m = macaddr8::parse(literal);
      EXPECT_EQ(m.to_string(), server_prints(db, literal, "macaddr8"));
      EXPECT_EQ(db.scalar<macaddr8>("SELECT %s", m), m);
      EXPECT_EQ(db.scalar<std::string>("SELECT pg_typeof(%s)::text", m), "macaddr8");
      EXPECT_EQ(server_binary<macaddr8>(literal, "macaddr8"), m);
    }
  });
}

TEST_F(network_test, ColumnsArraysAndNulls) {
  db.execute(
      "CREATE TABLE hosts (id int, a inet, n cidr, m macaddr, m8 macaddr8, aa inet[], nn cidr[], mm macaddr[], "
      "mm8 macaddr8[])");
  const std::vector<inet> addresses = {inet::parse("127.0.0.2"),          // ip-literal-ok: only parsed and printed
                                       inet::parse("2001:db8::2/64"),     // ip-literal-ok: only parsed and printed
                                       inet::parse("::ffff:127.0.0.2")};  // ip-literal-ok: only parsed and printed
  const std::vector<std::optional<cidr>> networks = {
      cidr::parse("127.0.0.0/8"),  // ip-literal-ok: only parsed and printed
      std::nullopt,                // ip-literal-ok: only parsed and printed
      cidr::parse("::/0")};        // ip-literal-ok: only parsed and printed
  const std::vector<macaddr> macs = {macaddr::parse("08:00:2b:01:02:03"), macaddr::parse("ff:ff:ff:ff:ff:ff")};
  const std::vector<macaddr8> macs8 = {
      macaddr8::parse("08:00:2b:01:02:03:04:05")};  // ip-literal-ok: only parsed and printed
  db.execute("INSERT INTO hosts VALUES (1, %s, %s, %s, %s, %s, %s, %s, %s)", addresses[1], *networks[0], macs[0],
             macs8[0], addresses, networks, macs, macs8);
  db.execute("INSERT INTO hosts VALUES (2, %s, %s, %s, %s, %s, %s, %s, %s)", std::optional<inet>(),
             std::optional<cidr>(), std::optional<macaddr>(), std::optional<macaddr8>(), std::vector<inet>{},
             std::vector<std::optional<cidr>>{}, std::vector<macaddr>{}, std::vector<macaddr8>{});
  in_both_result_formats(db, [&] {
    const auto rows =
        db.query<std::optional<inet>, std::optional<cidr>, std::optional<macaddr>, std::optional<macaddr8>,
                 std::vector<inet>, std::vector<std::optional<cidr>>, std::vector<macaddr>, std::vector<macaddr8>>(
            "SELECT a, n, m, m8, aa, nn, mm, mm8 FROM hosts ORDER BY id");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(std::get<0>(rows[0]), addresses[1]);
    EXPECT_EQ(std::get<1>(rows[0]), networks[0]);
    EXPECT_EQ(std::get<2>(rows[0]), macs[0]);
    EXPECT_EQ(std::get<3>(rows[0]), macs8[0]);
    EXPECT_EQ(std::get<4>(rows[0]), addresses);
    EXPECT_EQ(std::get<5>(rows[0]), networks);
    EXPECT_EQ(std::get<6>(rows[0]), macs);
    EXPECT_EQ(std::get<7>(rows[0]), macs8);
    EXPECT_FALSE(std::get<0>(rows[1]).has_value());
    EXPECT_FALSE(std::get<1>(rows[1]).has_value());
    EXPECT_FALSE(std::get<2>(rows[1]).has_value());
    EXPECT_FALSE(std::get<3>(rows[1]).has_value());
    EXPECT_TRUE(std::get<4>(rows[1]).empty());
    // The arrays' text as the server prints it.
    const auto r = db.query("SELECT aa::text AS aa, nn::text AS nn FROM hosts WHERE id = 1");
    EXPECT_EQ(r[0]["aa"].as<std::string>(),
              "{127.0.0.2,2001:db8::2/64,::ffff:127.0.0.2}");            // ip-literal-ok: only parsed and printed
    EXPECT_EQ(r[0]["nn"].as<std::string>(), "{127.0.0.0/8,NULL,::/0}");  // ip-literal-ok: only parsed and printed
  });
  // The server's binary arrays, decoded.
  const auto v = fetch_value("SELECT '{127.2.3.4,::1/64}'::inet[]");  // ip-literal-ok: only parsed and printed
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(
      codec<std::vector<inet>>::decode(v->view()),
      (std::vector<inet>{inet::parse("127.2.3.4"), inet::parse("::1/64")}));  // ip-literal-ok: only parsed and printed
  // An array forced into its text literal (a NULL first) still spells every element.
  EXPECT_EQ(
      db.scalar<std::string>("SELECT %s::text",
                             std::vector<std::optional<inet>>{
                                 std::nullopt, inet::parse("127.2.3.4/24")}),  // ip-literal-ok: only parsed and printed
      "{NULL,127.2.3.4/24}");                                                  // ip-literal-ok: only parsed and printed
}

TEST_F(network_test, OrderingAgreesWithTheServer) {
  db.execute("CREATE TABLE addrs (a inet)");
  for (const std::string_view literal : inet_literals)
    db.execute("INSERT INTO addrs VALUES (%s)", inet::parse(literal));
  const auto sorted = db.query<inet>("SELECT a FROM addrs ORDER BY a");
  for (std::size_t i = 1; i < sorted.size(); ++i) {
    EXPECT_LE(std::get<0>(sorted[i - 1]), std::get<0>(sorted[i])) << i;
  }
}

TEST_F(network_test, BadInputIsRejectedOnBothSides) {
  for (const char* bad : {"1.2.3", "127.1.1.256", "127.2.3.4/33", "1::2::3",
                          "12345::", "::1/129",  // ip-literal-ok: only parsed and printed
                          "1.2/24",              // ip-literal-ok: only parsed and printed
                          ""}) {                 // ip-literal-ok: only parsed and printed
    SCOPED_TRACE(bad);
    EXPECT_FALSE(inet::try_parse(bad).has_value());
    EXPECT_THROW(server_prints(admin, bad, "inet"), data_exception);
  }
  for (const char* bad : {"127.1.2.3/8", "2001:db8::1/32", "127.2.3.4/33"}) {  // ip-literal-ok: only parsed and printed
    SCOPED_TRACE(bad);
    EXPECT_FALSE(cidr::try_parse(bad).has_value());
    EXPECT_THROW(server_prints(admin, bad, "cidr"), data_exception);
  }
  for (const char* bad : {"08:00:2b:01:02", "08:00:2b:01:02:100", "0800.2b01-0203", "xx:00:2b:01:02:03"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(macaddr::try_parse(bad).has_value());
    EXPECT_THROW(server_prints(admin, bad, "macaddr"), data_exception);
  }
  for (const char* bad : {"08:00:2b:01:02:03:04", "08:00-2b:01:02:03:04:05",
                          "8:0:2b:1:2:3:4:5"}) {  // ip-literal-ok: only parsed and printed
    SCOPED_TRACE(bad);
    EXPECT_FALSE(macaddr8::try_parse(bad).has_value());
    EXPECT_THROW(server_prints(admin, bad, "macaddr8"), data_exception);
  }
  // A text value that is no address names the column when read.
  try {
    (void)db.query("SELECT 'nope'::text AS host")[0]["host"].as<inet>();
    FAIL() << "no error";
  } catch (const conversion_error& e) {
    EXPECT_NE(std::string(e.what()).find("host"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos) << e.what();
  }
  // An inet with host bits does not read as a cidr.
  EXPECT_THROW((void)db.scalar<cidr>("SELECT '127.1.2.3/8'::inet"),  // ip-literal-ok: only parsed and printed
               conversion_error);                                    // ip-literal-ok: only parsed and printed
}

}  // namespace
}  // namespace pgwrap::test
