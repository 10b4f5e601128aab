// numeric, uuid, bytea and json/jsonb through a real server: each value sent
// as a parameter comes back equal, its text agrees with the server's own text
// for the same literal, and the exact binary bytes the server sends decode to
// the same value as its text.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "binary_fetch.hpp"
#include "test_db.hpp"

namespace pgwrap::test {
namespace {

using scalar_roundtrip_test = db_test;
using bytes_t = std::vector<std::byte>;

// `text` as an SQL string literal ('...' with quotes doubled).
std::string sql_literal(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

// The server's own text for `literal`::type. The server folds the cast of a
// constant when it plans the statement, and a cached plan keeps that text
// even after a setting such as bytea_output changes: `tag` keeps such
// statements apart.
std::string server_text(database& db, std::string_view literal, std::string_view type, std::string_view tag = "") {
  return db.scalar<std::string>(runtime_sql("SELECT " + sql_literal(literal) + "::" + std::string(type) + "::text" +
                                            (tag.empty() ? "" : " -- " + std::string(tag))));
}

// The value the server sends in binary for `literal`::type, decoded by codec<T>;
// `wire` gets the bytes.
template <typename T>
T decode_binary(std::string_view literal, std::string_view type, std::string* wire = nullptr) {
  const auto v = fetch_value("SELECT " + sql_literal(literal) + "::" + std::string(type), wire_format::binary);
  EXPECT_TRUE(v.has_value());
  if (!v) return T{};
  EXPECT_EQ(v->format, wire_format::binary);
  if (wire) *wire = v->bytes;
  return codec<T>::decode(v->view());
}

// The same through text.
template <typename T>
T decode_text(std::string_view literal, std::string_view type) {
  const auto v = fetch_value("SELECT " + sql_literal(literal) + "::" + std::string(type), wire_format::text);
  EXPECT_TRUE(v.has_value());
  if (!v) return T{};
  return codec<T>::decode(v->view());
}

template <typename T>
std::string wire_bytes(const T& value) {
  std::string scratch;
  const param_ref ref = codec<T>::encode(value, scratch);
  return {ref.data, static_cast<std::size_t>(ref.length)};
}

std::string hex_literal(const bytes_t& bytes) {
  constexpr std::string_view hex = "0123456789abcdef";
  std::string out = "\\x";
  for (const std::byte b : bytes) {
    out += hex[static_cast<unsigned>(b) >> 4];
    out += hex[static_cast<unsigned>(b) & 0xF];
  }
  return out;
}

bytes_t byte_vector(std::string_view s) {
  bytes_t out;
  for (const char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}

std::string random_digits(std::mt19937& rng, std::size_t n) {
  std::uniform_int_distribution<int> d(0, 9);
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += static_cast<char>('0' + d(rng));
  s[0] = '7';
  s.back() = '3';
  return s;
}

// --- numeric ----------------------------------------------------------------------

TEST_F(scalar_roundtrip_test, NumericAgreesWithTheServerBothWays) {
  std::vector<std::string> literals = {"0",          "-0",
                                       "0.00",       "-12.3400",
                                       "1e-300",     "1.5e-300",
                                       "1e300",      "NaN",
                                       "Infinity",   "-Infinity",
                                       "inf",        "1.50e1",
                                       "0.0001",     "10000",
                                       "-99999999",  "9223372036854775808",
                                       "00012.3400", "123456789.000000001"};
  std::mt19937 rng(7);
  const std::string big = random_digits(rng, 1000);
  literals.push_back(big);
  literals.push_back("-" + big);
  literals.push_back(big.substr(0, 500) + "." + big.substr(500));
  literals.push_back("-0." + big);
  literals.push_back("0." + std::string(16382, '0') + "1");  // the largest scale
  literals.push_back(std::string(131072, '9'));              // the most digits before the point
  in_both_result_formats(db, [&] {
    for (const std::string& literal : literals) {
      SCOPED_TRACE(literal.substr(0, 40));
      const numeric n(literal);
      const std::string text = server_text(db, literal, "numeric");
      EXPECT_EQ(n.to_string(), text);                                 // parsing normalises as the server
      EXPECT_EQ(db.scalar<numeric>("SELECT %s", n), n);               // parameter, result
      EXPECT_EQ(db.scalar<std::string>("SELECT %s::text", n), text);  // the server reads our binary as written
      EXPECT_TRUE(db.scalar<bool>(runtime_sql("SELECT %s = " + sql_literal(literal) + "::numeric"), n));
      EXPECT_EQ(db.scalar<std::string>("SELECT pg_typeof(%s)::text", n), "numeric");
      std::string wire;
      EXPECT_EQ(decode_binary<numeric>(literal, "numeric", &wire), n);
      if (n.is_infinite()) {
        // The server sends dscale 32 for ±Infinity (numeric_send reads it from
        // the special value's header bits); numeric_recv ignores it, and we send 0.
        EXPECT_EQ(wire.substr(0, 6), wire_bytes(n).substr(0, 6));
      } else {
        EXPECT_EQ(wire, wire_bytes(n));  // our binary form is byte for byte the server's
      }
      EXPECT_EQ(decode_text<numeric>(literal, "numeric"), n);
    }
  });
}

TEST_F(scalar_roundtrip_test, NumericScaleIntegersAndColumns) {
  EXPECT_EQ(db.scalar<numeric>("SELECT %s::numeric(10, 2)", numeric("1.5")).to_string(), "1.50");
  EXPECT_EQ(db.scalar<numeric>("SELECT %s * 2", numeric("0.50")).to_string(), "1.00");
  EXPECT_EQ(db.scalar<numeric>("SELECT %s", std::numeric_limits<std::uint64_t>::max()),
            numeric(std::numeric_limits<std::uint64_t>::max()));
  EXPECT_EQ(db.scalar<numeric>("SELECT %s", numeric(std::numeric_limits<std::int64_t>::min())),
            numeric(std::numeric_limits<std::int64_t>::min()));
  EXPECT_EQ(db.scalar<numeric>("SELECT count(*) FROM generate_series(1, 3)"), numeric(3));  // bigint column
  EXPECT_EQ(db.scalar<numeric>("SELECT 32767::int2"), numeric(32767));
  EXPECT_EQ(db.scalar<numeric>("SELECT 1e100::float8").to_string(), "1" + std::string(100, '0'));  // float text
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT %s", numeric(42)), 42);  // an integral numeric read as an integer
  EXPECT_EQ(db.scalar<std::string>("SELECT %s", numeric("-1.20")), "-1.20");
  EXPECT_EQ(db.scalar<double>("SELECT %s", numeric("0.1")), 0.1);
  EXPECT_EQ(db.scalar<std::optional<numeric>>("SELECT %s", std::optional<numeric>{}), std::nullopt);
  EXPECT_EQ(db.scalar<std::string>("SELECT pg_typeof(%s)::text", std::optional<numeric>{}), "numeric");

  db.execute("CREATE TABLE prices (id int, amount numeric(12, 4), loose numeric)");
  db.execute("INSERT INTO prices VALUES (1, %s, %s)", numeric("19.99"), numeric("-0.000000000000000000001"));
  const auto r = db.query<numeric, numeric>("SELECT amount, loose FROM prices");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(std::get<0>(r[0]).to_string(), "19.9900");
  EXPECT_EQ(std::get<1>(r[0]).to_string(), "-0.000000000000000000001");
  EXPECT_THROW(db.execute("INSERT INTO prices VALUES (2, %s, 0)", numeric("123456789.5")),
               sql_error);  // overflows (12, 4)
}

// --- uuid -------------------------------------------------------------------------

TEST_F(scalar_roundtrip_test, UuidAgreesWithTheServerBothWays) {
  const char* literals[] = {"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",    "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
                            "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",  "a0eebc999c0b4ef8bb6d6bb9bd380a11",
                            "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11", "00000000-0000-0000-0000-000000000000",
                            "ffffffff-ffff-ffff-ffff-ffffffffffff",    "80000000-0000-0000-0000-000000000001"};
  in_both_result_formats(db, [&] {
    for (const char* literal : literals) {
      SCOPED_TRACE(literal);
      const uuid id = uuid::parse(literal);
      const std::string text = server_text(db, literal, "uuid");
      EXPECT_EQ(id.to_string(), text);
      EXPECT_EQ(db.scalar<uuid>("SELECT %s", id), id);
      EXPECT_EQ(db.scalar<std::string>("SELECT %s::text", id), text);
      EXPECT_EQ(db.scalar<std::string>("SELECT pg_typeof(%s)::text", id), "uuid");
      std::string wire;
      EXPECT_EQ(decode_binary<uuid>(literal, "uuid", &wire), id);
      EXPECT_EQ(wire, wire_bytes(id));
      EXPECT_EQ(decode_text<uuid>(literal, "uuid"), id);
    }
  });
}

TEST_F(scalar_roundtrip_test, UuidRejectsWhatTheServerRejects) {
  for (const char* bad : {"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                          "a0e-ebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-",
                          "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11", " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", ""}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW((void)uuid::parse(bad), conversion_error);
    EXPECT_THROW(server_text(admin, bad, "uuid"), data_exception);  // admin: autocommit, each error on its own
  }
}

TEST_F(scalar_roundtrip_test, UuidColumnsOrderAsTheServer) {
  db.execute("CREATE TABLE ids (id uuid PRIMARY KEY)");
  db.execute("INSERT INTO ids SELECT gen_random_uuid() FROM generate_series(1, 20)");
  const uuid mine = uuid::parse("ffffffff-0000-0000-0000-000000000000");
  db.execute("INSERT INTO ids VALUES (%s)", mine);
  const auto ids = db.query<uuid, std::string>("SELECT id, id::text FROM ids ORDER BY 1");
  ASSERT_EQ(ids.size(), 21u);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(std::get<0>(ids[i]).to_string(), std::get<1>(ids[i]));
    if (i > 0) {
      EXPECT_LT(std::get<0>(ids[i - 1]), std::get<0>(ids[i]));  // the same order as the server's
    }
  }
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM ids WHERE id = %s", mine), 1);
  EXPECT_EQ(db.scalar<uuid>("SELECT id FROM ids WHERE id::text = %s", mine.to_string()), mine);
  EXPECT_TRUE(db.scalar<bool>("SELECT %s IS NULL", std::optional<uuid>{}));
}

// --- bytea ------------------------------------------------------------------------

TEST_F(scalar_roundtrip_test, ByteaKeepsEveryByte) {
  bytes_t all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<std::byte>(i));
  const std::vector<bytes_t> values = {
      {},
      {std::byte{0}},
      all,
      byte_vector(std::string_view("a\0b\0\0c\0", 7)),
      byte_vector("ünïcødé ✓ 日本語"),
      byte_vector("\\x41"),  // looks like the hex form: still just bytes
      byte_vector("\\\\ \\000 '\""),
  };
  in_both_result_formats(db, [&] {
    for (const std::string_view output : {"hex", "escape"}) {
      db.execute(runtime_sql("SET bytea_output = " + std::string(output)));
      for (const bytes_t& v : values) {
        SCOPED_TRACE(std::string(output) + " " + hex_literal(v).substr(0, 40));
        const std::string text = server_text(db, hex_literal(v), "bytea", output);
        EXPECT_EQ(db.scalar<bytes_t>("SELECT %s", v), v);
        EXPECT_EQ(db.scalar<std::string>("SELECT %s::text", v), text);
        EXPECT_EQ(db.scalar<bytes_t>("SELECT %s", std::span<const std::byte>(v)), v);
        EXPECT_EQ(db.scalar<std::int32_t>("SELECT length(%s)", v), static_cast<std::int32_t>(v.size()));
        EXPECT_EQ(db.scalar<std::string>("SELECT pg_typeof(%s)::text", v), "bytea");
        EXPECT_EQ(db.scalar<bytes_t>(runtime_sql("SELECT " + sql_literal(hex_literal(v)) + "::bytea")), v);
        std::string wire;
        EXPECT_EQ(decode_binary<bytes_t>(hex_literal(v), "bytea", &wire), v);
        EXPECT_EQ(wire, wire_bytes(v));
        EXPECT_EQ(decode_text<bytes_t>(hex_literal(v), "bytea"), v);
      }
    }
  });
  db.execute("RESET bytea_output");
}

TEST_F(scalar_roundtrip_test, ByteaColumnsAndText) {
  db.execute("CREATE TABLE blobs (id int, data bytea)");
  const bytes_t with_nuls = byte_vector(std::string_view("\0\1\2\0", 4));
  db.execute("INSERT INTO blobs VALUES (1, %s), (2, %s)", with_nuls, bytes_t{});
  EXPECT_EQ(db.scalar<bytes_t>("SELECT data FROM blobs WHERE id = 1"), with_nuls);
  EXPECT_EQ(db.scalar<bytes_t>("SELECT data FROM blobs WHERE id = 2"), bytes_t{});
  EXPECT_FALSE(db.scalar<bool>("SELECT data IS NULL FROM blobs WHERE id = 2"));             // empty, not NULL
  EXPECT_EQ(db.scalar<std::string>("SELECT data FROM blobs WHERE id = 1"), "\\x00010200");  // the text form
  // Multibyte text and the empty string as their UTF-8 bytes.
  const std::string utf8 = "ünïcødé ✓ 日本語 🎉";
  EXPECT_EQ(db.scalar<bytes_t>("SELECT convert_to(%s, 'UTF8')", utf8), byte_vector(utf8));
  EXPECT_EQ(db.scalar<std::string>("SELECT convert_from(%s, 'UTF8')", byte_vector(utf8)), utf8);
  EXPECT_EQ(db.scalar<std::string>("SELECT %s", utf8), utf8);
  EXPECT_EQ(db.scalar<std::string>("SELECT %s", std::string()), "");
  EXPECT_EQ(db.scalar<bytes_t>("SELECT convert_to(%s, 'UTF8')", std::string()), bytes_t{});
}

// --- json / jsonb -----------------------------------------------------------------

constexpr std::string_view nested =
    R"({"b": [1, 2.50, {"c": null, "d": [[], {}]}], "a": {"x": "ünï ✓ \"q\"", "": ""}, "n": -0.5e3, "t": true})";

TEST_F(scalar_roundtrip_test, JsonAgreesWithTheServerBothWays) {
  const std::string literals[] = {
      std::string(nested),          "[]", "{}", "null", "\"\"", "[1, [2, [3, [4]]]]", R"({"dup": 1, "dup": 2})",
      R"(  {"spaced"  :  "out"}  )"};
  in_both_result_formats(db, [&] {
    for (const std::string& literal : literals) {
      SCOPED_TRACE(literal);
      // json keeps the text exactly.
      const json j{literal};
      EXPECT_EQ(server_text(db, literal, "json"), literal);
      EXPECT_EQ(db.scalar<json>("SELECT %s", j), j);
      EXPECT_EQ(db.scalar<std::string>("SELECT %s::text", j), literal);
      EXPECT_EQ(db.scalar<std::string>("SELECT pg_typeof(%s)::text", j), "json");
      EXPECT_EQ(decode_binary<json>(literal, "json"), j);
      EXPECT_EQ(decode_text<json>(literal, "json"), j);
      // jsonb comes back normalised, the same way in text and binary.
      const std::string normal = server_text(db, literal, "jsonb");
      EXPECT_EQ(db.scalar<jsonb>("SELECT %s", jsonb{literal}).text(), normal);
      EXPECT_EQ(db.scalar<std::string>("SELECT %s::text", jsonb{literal}), normal);
      EXPECT_EQ(db.scalar<std::string>("SELECT pg_typeof(%s)::text", jsonb{literal}), "jsonb");
      std::string wire;
      EXPECT_EQ(decode_binary<jsonb>(literal, "jsonb", &wire).text(), normal);
      EXPECT_EQ(wire, "\x01" + normal);
      EXPECT_EQ(decode_text<jsonb>(literal, "jsonb").text(), normal);
      EXPECT_EQ(decode_binary<json>(literal, "jsonb").text(), normal);  // either wrapper reads either type
    }
  });
}

TEST_F(scalar_roundtrip_test, JsonColumnsOperatorsAndErrors) {
  db.execute("CREATE TABLE docs (j json, jb jsonb)");
  db.execute("INSERT INTO docs VALUES (%s, %s)", jsonb{R"({"k": [1]})"}, json{R"({"z":1,"a":2})"});  // assignment casts
  EXPECT_EQ(db.scalar<json>("SELECT j FROM docs").text(), R"({"k": [1]})");
  EXPECT_EQ(db.scalar<jsonb>("SELECT jb FROM docs").text(), R"({"a": 2, "z": 1})");
  EXPECT_TRUE(db.scalar<bool>("SELECT jb @> %s FROM docs", jsonb{R"({"a": 2})"}));
  EXPECT_EQ(db.scalar<std::string>("SELECT %s->'a'->>'x'", jsonb{std::string(nested)}), "ünï ✓ \"q\"");
  EXPECT_EQ(db.scalar<std::string>("SELECT %s->>'t'", json{std::string(nested)}), "true");
  EXPECT_EQ(db.scalar<std::optional<jsonb>>("SELECT %s", std::optional<jsonb>{}), std::nullopt);
  EXPECT_EQ(db.scalar<jsonb>("SELECT %s::text", jsonb{"[1,2]"}).text(), "[1, 2]");  // a text column reads too
  EXPECT_THROW(db.scalar<json>("SELECT %s", json{"{not json"}), data_exception);    // last: it aborts the transaction
}

#if PGWRAP_HAS_NLOHMANN_JSON
TEST_F(scalar_roundtrip_test, NlohmannJsonRoundTrips) {
  const nlohmann::json doc = nlohmann::json::parse(nested);
  in_both_result_formats(db, [&] {
    EXPECT_EQ(db.scalar<nlohmann::json>("SELECT %s", doc), doc);
    EXPECT_EQ(db.scalar<std::string>("SELECT pg_typeof(%s)::text", doc), "jsonb");
    EXPECT_EQ(db.scalar<std::string>("SELECT %s::text", doc), server_text(db, doc.dump(), "jsonb"));
    EXPECT_EQ(db.scalar<std::string>("SELECT %s->'a'->>'x'", doc), "ünï ✓ \"q\"");
    EXPECT_EQ(db.scalar<nlohmann::json>("SELECT %s::json", std::string(nested)), doc);  // json column, text
    EXPECT_EQ(decode_binary<nlohmann::json>(std::string(nested), "jsonb"), doc);
    EXPECT_EQ(decode_binary<nlohmann::json>(std::string(nested), "json"), doc);
    EXPECT_EQ(db.scalar<nlohmann::json>("SELECT '[]'::jsonb"), nlohmann::json::array());
    const nlohmann::json empty_strings = {{"", ""}};
    EXPECT_EQ(db.scalar<nlohmann::json>("SELECT %s", empty_strings), empty_strings);
    EXPECT_THROW(db.scalar<nlohmann::json>("SELECT 'not json'::text"), conversion_error);
  });
}
#endif

}  // namespace
}  // namespace pgwrap::test
