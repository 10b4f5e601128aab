// Snippets that must not compile, each beside a twin that must: the twin
// proves the failure comes from the mistake, not from an unrelated error.
// tests/compile_fail/CMakeLists.txt compiles this file once per case, with
// PGWRAP_CASE_<name> defined, and again with PGWRAP_EXPECT_FAILURE too.
#include <pgwrap/pgwrap.hpp>
#include <string>
#include <tuple>
#include <vector>

#ifdef PGWRAP_EXPECT_FAILURE
#define PGWRAP_PICK(bad, good) bad
#else
#define PGWRAP_PICK(bad, good) good
#endif

struct no_codec {};

// Enum mappings are checked where they are declared, at namespace scope.
enum class hue { red, green };
#if defined(PGWRAP_CASE_enum_duplicate_label)
PGWRAP_ENUM_LABELS(hue, (red, "red"), (green, PGWRAP_PICK("red", "green")))
#elif defined(PGWRAP_CASE_enum_duplicate_enumerator)
PGWRAP_ENUM_LABELS(hue, (red, "red"), (PGWRAP_PICK(red, green), "green"))
#elif defined(PGWRAP_CASE_enum_empty_label)
PGWRAP_ENUM_LABELS(hue, (red, PGWRAP_PICK("", "red")), (green, "green"))
#endif

void snippet(pgwrap::database& db, const std::string& built_at_run_time) {
  (void)built_at_run_time;
  const pgwrap::fields map{{"a", 1}};
  (void)map;
#if defined(PGWRAP_CASE_too_few_arguments)
  db.execute(PGWRAP_PICK("SELECT %s, %s", "SELECT %s"), 1);
#elif defined(PGWRAP_CASE_too_many_arguments)
  db.execute(PGWRAP_PICK("SELECT %s", "SELECT %s, %s"), 1, 2);
#elif defined(PGWRAP_CASE_no_arguments_for_a_placeholder)
  db.execute(PGWRAP_PICK("SELECT %s", "SELECT 1"));
#elif defined(PGWRAP_CASE_unknown_directive)
  db.execute(PGWRAP_PICK("SELECT 7 % 2", "SELECT 7 %% 2"));
#elif defined(PGWRAP_CASE_percent_at_end)
  db.execute(PGWRAP_PICK("SELECT 7 %", "SELECT 7 %%"));
#elif defined(PGWRAP_CASE_unterminated_literal)
  db.execute(PGWRAP_PICK("SELECT 'it''s", "SELECT 'it''s'"));
#elif defined(PGWRAP_CASE_unterminated_escape_string)
  db.execute(PGWRAP_PICK("SELECT E'it\\'s", "SELECT E'it\\'s'"));
#elif defined(PGWRAP_CASE_unterminated_identifier)
  db.execute(PGWRAP_PICK("SELECT 1 AS \"a", "SELECT 1 AS \"a\""));
#elif defined(PGWRAP_CASE_unterminated_dollar_quote)
  db.execute(PGWRAP_PICK("SELECT $x$ body $y$", "SELECT $x$ body $x$"));
#elif defined(PGWRAP_CASE_unterminated_comment)
  db.execute(PGWRAP_PICK("SELECT 1 /* a /* b */", "SELECT 1 /* a /* b */ */"));
#elif defined(PGWRAP_CASE_dollar_placeholder)
  db.execute(PGWRAP_PICK("SELECT $1", "SELECT %s"), 1);
#elif defined(PGWRAP_CASE_malformed_named_directive)
  db.execute(PGWRAP_PICK("SELECT %(id", "SELECT %%(id"));
#elif defined(PGWRAP_CASE_runtime_text_without_opt_in)
  db.execute(PGWRAP_PICK(built_at_run_time, pgwrap::runtime_sql(built_at_run_time)));
#elif defined(PGWRAP_CASE_map_for_percent_s)
  db.execute(PGWRAP_PICK("SELECT %s", "UPDATE t SET %S"), map);
#elif defined(PGWRAP_CASE_value_for_map_directive)
  db.execute(PGWRAP_PICK("UPDATE t SET %S", "UPDATE t SET a = %s"), 1);
#elif defined(PGWRAP_CASE_number_for_identifier)
  db.execute(PGWRAP_PICK("SELECT * FROM %I", "SELECT * FROM t WHERE id = %s"), 1);
#elif defined(PGWRAP_CASE_identifier_for_percent_s)
  db.execute(PGWRAP_PICK("SELECT %s", "SELECT %I"), pgwrap::ident("s", "t"));
#elif defined(PGWRAP_CASE_named_count)
  db.execute(PGWRAP_PICK("SELECT %(a)s, %(b)s", "SELECT %(a)s, %(a)s"), pgwrap::arg("a", 1));
#elif defined(PGWRAP_CASE_type_without_codec)
  db.execute("SELECT %s", PGWRAP_PICK(no_codec{}, 1));
#elif defined(PGWRAP_CASE_copy_out_with_a_value)
  for (auto r : db.copy_out(PGWRAP_PICK("SELECT * FROM t WHERE id = %s", "SELECT * FROM %I"),
                            PGWRAP_PICK(1, pgwrap::ident("t")))) {
    (void)r;
  }
#elif defined(PGWRAP_CASE_executemany_without_a_range)
  const std::vector<std::tuple<int> > rows = {{1}};
  db.executemany("INSERT INTO t VALUES (%s)", PGWRAP_PICK(std::tuple<int>(1), rows));
#elif defined(PGWRAP_CASE_copy_in_without_a_range)
  const std::vector<std::tuple<int> > rows = {{1}};
  db.copy_in(pgwrap::ident("t"), {"id"}, PGWRAP_PICK(42, rows));
#elif defined(PGWRAP_CASE_list_without_a_range)
  const std::vector<int> ids = {1, 2};
  db.execute("DELETE FROM t WHERE id IN (%s)", pgwrap::list(PGWRAP_PICK(42, ids)));
#elif defined(PGWRAP_CASE_enum_duplicate_label) || defined(PGWRAP_CASE_enum_duplicate_enumerator) || \
    defined(PGWRAP_CASE_enum_empty_label)
  (void)db;  // the mapping above, at namespace scope, is the case
#else
#error "no PGWRAP_CASE_ given"
#endif
}
