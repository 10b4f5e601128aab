// Rows read into tuples and described structs, the statement cache, and the
// choice of binary results.
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "pgwrap/detail/libpq_limits.hpp"
#include "test_db.hpp"

namespace pgwrap::test {
namespace typed {

struct user {
  int id = 0;
  std::string name;
  std::optional<int> uid;
};
PGWRAP_DESCRIBE(user, id, name, uid)

struct custom_point {  // a type taught to pgwrap by this test: text "(x,y)" both ways
  double x = 0;
  double y = 0;
  bool operator==(const custom_point&) const = default;
};

struct format_probe {  // records the wire format its column arrived in
  wire_format seen = wire_format::text;
};

}  // namespace typed
}  // namespace pgwrap::test

template <>
struct pgwrap::codec<pgwrap::test::typed::format_probe> {
  static pgwrap::test::typed::format_probe decode(const value_view& v) { return {v.format}; }
  static bool reads_binary(std::uint32_t oid) { return oid == oid::int4; }
};

template <>
struct pgwrap::codec<pgwrap::test::typed::custom_point> {
  static constexpr std::uint32_t type_oid = 600;  // point
  static param_ref encode(const pgwrap::test::typed::custom_point& p, std::string& scratch) {
    scratch = "(" + std::to_string(p.x) + "," + std::to_string(p.y) + ")";
    return param_ref::text(scratch.c_str(), type_oid);
  }
  static pgwrap::test::typed::custom_point decode(const value_view& v) {
    pgwrap::test::typed::custom_point p;
    if (v.format != wire_format::text || std::sscanf(std::string(v.data).c_str(), "(%lf,%lf)", &p.x, &p.y) != 2) {
      detail::conversion_failure(v, "custom_point", "not a point");
    }
    return p;
  }
};

namespace pgwrap::test {
namespace {

using typed::custom_point;
using typed::user;
using typed_test = db_test;

void make_users(database& db) {
  db.execute("CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL, uid int)");
  db.execute("INSERT INTO users VALUES (1, 'Al Bert', 10), (2, 'Bo', NULL), (3, 'Cy', 30)");
}

TEST_F(typed_test, TuplesWithStructuredBindings) {
  make_users(db);
  std::vector<std::string> seen;
  for (auto [id, name, uid] : db.query<int, std::string, std::optional<int>>(
           "SELECT id, name, uid FROM users WHERE id >= %s ORDER BY id", 1)) {
    seen.push_back(std::to_string(id) + name + (uid ? std::to_string(*uid) : "-"));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"1Al Bert10", "2Bo-", "3Cy30"}));
}

TEST_F(typed_test, ColumnCountIsChecked) {
  make_users(db);
  try {
    (void)db.query<int, std::string>("SELECT id FROM users");
    FAIL() << "expected usage_error";
  } catch (const usage_error& e) {
    EXPECT_STREQ(e.what(), "the typed query reads 2 columns but the query returned 1: id");
  }
}

TEST_F(typed_test, NullIntoNonOptionalNamesTheColumn) {
  make_users(db);
  try {
    for (auto [uid] : db.query<int>("SELECT uid FROM users ORDER BY id")) (void)uid;
    FAIL() << "expected unexpected_null";
  } catch (const unexpected_null& e) {
    EXPECT_NE(std::string(e.what()).find("column \"uid\" is NULL"), std::string::npos) << e.what();
  }
}

TEST_F(typed_test, StructsByColumnName) {
  make_users(db);
  std::vector<user> users;
  for (const user& u : db.query<user>("SELECT uid, name, id FROM users ORDER BY id")) users.push_back(u);
  ASSERT_EQ(users.size(), 3u);
  EXPECT_EQ(users[0].name, "Al Bert");
  EXPECT_EQ(users[0].uid, 10);
  EXPECT_EQ(users[1].uid, std::nullopt);
  EXPECT_EQ(users[2].id, 3);
}

TEST_F(typed_test, MissingAndExtraColumnsAreErrorsUnlessRelaxed) {
  make_users(db);
  try {
    (void)db.query<user>("SELECT id, name FROM users");
    FAIL() << "expected usage_error";
  } catch (const usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("no column for member \"uid\"; the columns are: id, name"), std::string::npos)
        << e.what();
  }
  try {
    (void)db.query<user>("SELECT *, 1 AS extra FROM users");
    FAIL() << "expected usage_error";
  } catch (const usage_error& e) {
    EXPECT_NE(std::string(e.what()).find("columns no member takes: extra"), std::string::npos) << e.what();
  }
  const auto relaxed_users = db.query<relaxed<user>>("SELECT name, 1 AS extra FROM users ORDER BY id");
  EXPECT_EQ(relaxed_users[0].name, "Al Bert");
  EXPECT_EQ(relaxed_users[0].id, 0);  // missing: default-initialised
}

TEST_F(typed_test, QueryoneAndInsertWithStructs) {
  make_users(db);
  const std::optional<user> bo = db.queryone<user>("SELECT * FROM users WHERE name = %s", "Bo");
  ASSERT_TRUE(bo.has_value());
  EXPECT_EQ(bo->id, 2);
  EXPECT_FALSE(db.queryone<user>("SELECT * FROM users WHERE id = %s", 99).has_value());

  const user dee{4, "Dee", 40};
  EXPECT_EQ(db.insert("users", dee), 1);
  EXPECT_EQ(db.queryone<user>("SELECT * FROM users WHERE id = %s", 4)->name, "Dee");
  db.execute("CREATE TABLE auto_users (id serial PRIMARY KEY, name text, uid int)");
  EXPECT_EQ(db.insert("auto_users", to_fields(dee, {"id"})), 1);
  EXPECT_EQ(db.scalar<int>("SELECT id FROM auto_users WHERE name = %s", "Dee"), 1);
}

TEST_F(typed_test, TypedReadsComeInBinaryWhenEveryColumnAllows) {
  using typed::format_probe;
  EXPECT_EQ(std::get<0>(db.query<format_probe>("SELECT 1::int")[0]).seen, wire_format::binary);
  EXPECT_EQ(db.scalar<format_probe>("SELECT 1::int").seen, wire_format::binary);
  // A column whose codec reads no binary (custom_point) keeps the whole row in text.
  EXPECT_EQ(std::get<0>(db.query<format_probe, custom_point>("SELECT 1::int, point(1, 2)")[0]).seen, wire_format::text);
  // A column of a type the codec does not read in binary (bigint for the probe): text.
  EXPECT_EQ(std::get<0>(db.query<format_probe>("SELECT 1::bigint")[0]).seen, wire_format::text);
  // Untyped queries read text.
  EXPECT_EQ(db.query("SELECT 1::int")[0][0].raw().format, wire_format::text);
  // Without the statement cache, typed reads are text too (one round trip, nothing prepared).
  db.set_statement_cache_size(0);
  EXPECT_EQ(std::get<0>(db.query<format_probe>("SELECT 1::int")[0]).seen, wire_format::text);
}

// A typed read is described before it runs. A libpq before the 2026 fix
// drops the connection on the description of a statement with more than
// about 7,500 parameters; there such a read runs unprepared, in text. Both
// paths, whatever libpq this runs with: the forced one, then the real one.
TEST_F(typed_test, TypedReadsWithThousandsOfParametersWorkWithEveryLibpq) {
  const std::vector<int> many(9000, 2);
  const auto prepared_here = [&] {
    return db.scalar<std::int64_t>(
        "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT sum(x)::int8 FROM unnest%%'");
  };
  for (const bool limited : {true, false}) {
    SCOPED_TRACE(limited ? "libpq with the limit (forced)" : "this libpq");
    detail::force_parameter_description_limit(limited);
    EXPECT_EQ(db.scalar<std::int64_t>("SELECT sum(x)::int8 FROM unnest(ARRAY[%s]) AS x", pgwrap::list(many)), 18000);
    const auto rows = db.query<int, std::string>("SELECT x, 'v' FROM unnest(ARRAY[%s]) AS x", pgwrap::list(many));
    ASSERT_EQ(rows.size(), many.size());
    EXPECT_EQ(std::get<0>(rows[8999]), 2);
    std::size_t streamed = 0;
    for (auto [x] : db.stream<int>("SELECT x FROM unnest(ARRAY[%s]) AS x", pgwrap::list(many))) streamed += x == 2;
    EXPECT_EQ(streamed, many.size());
    EXPECT_TRUE(db.is_connected());
    EXPECT_EQ(prepared_here() > 0, !detail::parameter_description_limited());
  }
  detail::force_parameter_description_limit(false);
}

TEST_F(typed_test, ACustomTypeBothWays) {
  const custom_point p{1.5, -2};
  EXPECT_EQ(db.scalar<custom_point>("SELECT %s", p), p);
  const auto [back] = db.query<custom_point>("SELECT point(3, 4)")[0];
  EXPECT_EQ(back, (custom_point{3, 4}));
  EXPECT_THROW((void)db.scalar<custom_point>("SELECT 'nope'::text"), conversion_error);
}

TEST_F(typed_test, StatementCacheSurvivesSchemaChanges) {
  db.execute("CREATE TABLE t (a int)");
  db.execute("INSERT INTO t VALUES (1)");
  EXPECT_EQ(std::get<0>(db.query<int>("SELECT * FROM t")[0]), 1);
  db.execute("ALTER TABLE t ADD COLUMN b text DEFAULT 'x'");  // SELECT * now returns two columns
  const auto rows = db.query<int, std::string>("SELECT * FROM t");
  EXPECT_EQ(std::get<1>(rows[0]), "x");
  db.commit();

  // DDL from another connection: retried transparently outside a transaction.
  db.set_autocommit(true);
  EXPECT_EQ((db.query<int, std::string>("SELECT * FROM t").size()), 1u);
  admin.execute(runtime_sql("ALTER TABLE " + quote_identifier(schema) + ".t ADD COLUMN c int DEFAULT 7"));
  using three_columns = std::tuple<int, std::string, int>;
  const auto three = db.query<int, std::string, int>("SELECT * FROM t");
  EXPECT_EQ(three[0], three_columns(1, "x", 7));
}

TEST_F(typed_test, CacheSizeZeroPreparesNothing) {
  db.set_statement_cache_size(0);
  EXPECT_EQ(db.statement_cache_size(), 0u);
  EXPECT_EQ(std::get<0>(db.query<int>("SELECT %s::int", 5)[0]), 5);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM pg_prepared_statements"), 0);
  db.set_statement_cache_size(100);
  EXPECT_EQ(std::get<0>(db.query<int>("SELECT %s::int", 6)[0]), 6);
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM pg_prepared_statements"), 2);  // this one and the last
}

TEST_F(typed_test, UntypedStatementsArePreparedAfterFiveRuns) {
  auto count_in_session = [&] {
    // pg_prepared_statements is per session: ask db's own (untyped, so asking prepares nothing).
    return db.query("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", "%untyped marker%")[0][0]
        .as<std::int64_t>();
  };
  for (int run = 1; run <= 4; ++run)
    EXPECT_EQ(db.query("SELECT %s::int /* untyped marker */", run)[0][0].as<int>(), run);
  EXPECT_EQ(count_in_session(), 0);
  EXPECT_EQ(db.query("SELECT %s::int /* untyped marker */", 5)[0][0].as<int>(), 5);
  EXPECT_EQ(count_in_session(), 1);
  EXPECT_EQ(db.query("SELECT %s::int /* untyped marker */", 6)[0][0].as<int>(), 6);  // the prepared one, in text
  EXPECT_EQ(db.query("SELECT %s::int /* untyped marker */", 7)[0][0].raw().format, wire_format::text);
  EXPECT_EQ(count_in_session(), 1);
}

}  // namespace
}  // namespace pgwrap::test
