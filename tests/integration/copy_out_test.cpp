// copy_out(): COPY ... TO STDOUT read as rows, text and binary, compared with
// what query() reads of the same rows.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "test_db.hpp"

namespace pgwrap::test {
namespace exporting {
struct item {
  std::int64_t id = 0;
  std::optional<std::string> note;
};
PGWRAP_DESCRIBE(item, id, note)
}  // namespace exporting

namespace {

using copy_out_test = db_test;

const std::vector<std::string> hostile = {
    "plain",           "tab\there", "new\nline", "carriage\rreturn", "back\\slash",     "\\N",
    "quote ' and \" ", "ünïcødé ✓", "",          "trailing\\",       "\\x41 and \\101", "ends with tab\t",
    "\b\f\v controls"};

void make_items(database& d) {
  d.execute("CREATE TABLE items (id int8 PRIMARY KEY, note text, amount numeric, at timestamptz, ok bool)");
  for (std::size_t i = 0; i < hostile.size(); ++i) {
    d.insert("items", {{"id", static_cast<std::int64_t>(i)},
                       {"note", hostile[i]},
                       {"amount", i % 3 == 0 ? std::optional<std::string>() : std::optional<std::string>("12.50")},
                       {"at", std::chrono::sys_days{std::chrono::year{2026} / 11 / 27} + std::chrono::hours(i)},
                       {"ok", i % 2 == 0}});
  }
  d.insert("items", {{"id", std::int64_t{100}}, {"note", std::optional<std::string>()}});
}

TEST_F(copy_out_test, text_rows_match_what_query_reads) {
  make_items(db);
  const auto expected = db.query("SELECT * FROM items ORDER BY id");
  std::size_t i = 0;
  for (auto r : db.copy_out("SELECT * FROM %I ORDER BY id", ident("items"))) {
    ASSERT_LT(i, expected.size());
    ASSERT_EQ(r.size(), expected[i].size());
    for (std::size_t c = 0; c < r.size(); ++c) {
      EXPECT_EQ(r[c].is_null(), expected[i][c].is_null()) << "row " << i << " column " << c;
      EXPECT_EQ(r[c].text(), expected[i][c].text()) << "row " << i << " column " << c;
      EXPECT_EQ(r[c].type_oid(), expected[i][c].type_oid());
      EXPECT_EQ(r[c].name(), expected[i][c].name());
    }
    ++i;
  }
  EXPECT_EQ(i, expected.size());
  EXPECT_EQ(db.scalar<std::int64_t>("SELECT count(*) FROM items"), static_cast<std::int64_t>(expected.size()));
}

TEST_F(copy_out_test, typed_rows_come_in_binary_and_match_query) {
  make_items(db);
  using row_t = std::tuple<std::int64_t, std::optional<std::string>,
                           std::optional<std::chrono::sys_time<std::chrono::microseconds>>, std::optional<bool>>;
  const auto expected = db.query<std::int64_t, std::optional<std::string>,
                                 std::optional<std::chrono::sys_time<std::chrono::microseconds>>, std::optional<bool>>(
      "SELECT id, note, at, ok FROM items ORDER BY id");
  std::vector<row_t> got;
  for (auto t : db.copy_out<std::int64_t, std::optional<std::string>,
                            std::optional<std::chrono::sys_time<std::chrono::microseconds>>, std::optional<bool>>(
           "SELECT id, note, at, ok FROM items ORDER BY id")) {
    got.push_back(t);
  }
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], expected[i]) << "row " << i;
  ASSERT_LT(12U, got.size());
  EXPECT_EQ(std::get<1>(got[1]), "tab\there");
}

TEST_F(copy_out_test, structs_and_whole_tables) {
  make_items(db);
  std::vector<exporting::item> items;
  for (const exporting::item& it : db.copy_out<relaxed<exporting::item>>("TABLE %I", ident("items"))) {
    items.push_back(it);
  }
  ASSERT_EQ(items.size(), hostile.size() + 1);
  EXPECT_EQ(items.back().id, 100);
  EXPECT_FALSE(items.back().note.has_value());
  EXPECT_EQ(items[2].note, "new\nline");
}

TEST_F(copy_out_test, every_row_arrives_across_batches) {
  db.set_stream_batch_size(7);
  std::int64_t expected = 1;
  for (auto [n, text] :
       db.copy_out<std::int64_t, std::string>("SELECT g::int8, g::text FROM generate_series(1, 1000) g")) {
    EXPECT_EQ(n, expected);
    EXPECT_EQ(text, std::to_string(expected));
    ++expected;
  }
  EXPECT_EQ(expected, 1001);
  int none = 0;
  for (auto r : db.copy_out("SELECT 1 WHERE false")) none += static_cast<int>(r.size());
  EXPECT_EQ(none, 0);
}

TEST_F(copy_out_test, a_column_without_a_binary_reader_makes_the_copy_text) {
  std::vector<std::string> points;
  for (auto [p] : db.copy_out<std::string>("SELECT point(g, -g) FROM generate_series(1, 3) g")) points.push_back(p);
  EXPECT_EQ(points, (std::vector<std::string>{"(1,-1)", "(2,-2)", "(3,-3)"}));
}

TEST_F(copy_out_test, the_connection_is_busy_until_the_loop_ends) {
  db.set_stream_batch_size(10);
  int seen = 0;
  for (auto r : db.copy_out("SELECT generate_series(1, 100)")) {
    ++seen;
    if (seen == 5) {
      EXPECT_THROW(db.scalar<int>("SELECT 1"), usage_error);
    }
    (void)r;
  }
  EXPECT_EQ(seen, 100);
  EXPECT_EQ(db.scalar<int>("SELECT 2"), 2);
}

TEST_F(copy_out_test, leaving_the_loop_early_leaves_the_database_usable) {
  db.set_stream_batch_size(10);
  for (auto r : db.copy_out("SELECT generate_series(1, 100000)")) {
    if (r[0].as<int>() == 3) break;
  }
  EXPECT_EQ(db.scalar<int>("SELECT 3"), 3);
  db.commit();
}

TEST_F(copy_out_test, a_server_error_during_the_copy_is_thrown_by_the_loop) {
  db.set_stream_batch_size(10);
  int seen = 0;
  try {
    for (auto r : db.copy_out("SELECT 1 / (50 - g) FROM generate_series(1, 100) g")) {
      ++seen;
      (void)r;
    }
    FAIL() << "no error";
  } catch (const data_exception& e) {
    EXPECT_EQ(e.sqlstate(), "22012");
  }
  EXPECT_GE(seen, 40);
  db.rollback();
  EXPECT_EQ(db.scalar<int>("SELECT 4"), 4);
}

TEST_F(copy_out_test, a_bad_query_fails_before_any_row) {
  EXPECT_THROW((void)db.copy_out("SELECT * FROM %I", ident("no_such_table")), undefined_table);
  db.rollback();
  EXPECT_EQ(db.scalar<int>("SELECT 5"), 5);
}

}  // namespace
}  // namespace pgwrap::test
