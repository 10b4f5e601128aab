// The SQL scanner (pgwrap::detail::tokenize_sql, and scan_sql / analyze_sql /
// cursor_accepts on it) and the compile-time checked SQL type built on it.
// No server needed.
#include <gtest/gtest.h>

#include <cstddef>
#include <ostream>
#include <pgwrap/pgwrap.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace pgwrap::test {
namespace {

using detail::analyze_sql;
using detail::cursor_accepts;
using detail::directive;
using detail::directive_kind;
using detail::scan_error;
using detail::scan_result;
using detail::scan_sql;
using detail::sql_form;
using detail::sql_token;
using detail::token_kind;
using detail::tokenize_sql;

std::string_view kind_name(directive_kind k) {
  switch (k) {
    case directive_kind::positional: return "positional";
    case directive_kind::named: return "named";
    case directive_kind::set_list: return "set_list";
    case directive_kind::and_list: return "and_list";
    case directive_kind::or_list: return "or_list";
    case directive_kind::identifier: return "identifier";
    case directive_kind::percent: return "percent";
  }
  return "?";
}

std::string_view error_name(scan_error e) {
  switch (e) {
    case scan_error::none: return "none";
    case scan_error::unterminated_quoted_string: return "unterminated_quoted_string";
    case scan_error::unterminated_quoted_identifier: return "unterminated_quoted_identifier";
    case scan_error::unterminated_dollar_quote: return "unterminated_dollar_quote";
    case scan_error::unterminated_block_comment: return "unterminated_block_comment";
    case scan_error::dollar_placeholder: return "dollar_placeholder";
    case scan_error::percent_at_end: return "percent_at_end";
    case scan_error::unknown_directive: return "unknown_directive";
    case scan_error::malformed_named_directive: return "malformed_named_directive";
  }
  return "?";
}

// One directive as the tables spell it: kind, where its '%' is, the text it
// covers in the SQL, and (for named) its name.
struct expected_directive {
  directive_kind kind;
  std::size_t begin;
  std::string_view text;
  std::string_view name = {};
};

std::string describe(const expected_directive& d) {
  std::string out(kind_name(d.kind));
  out += " '" + std::string(d.text) + "' at " + std::to_string(d.begin);
  if (!d.name.empty()) out += " name=" + std::string(d.name);
  return out;
}

std::string describe(std::string_view sql, const directive& d) {
  return describe(expected_directive{d.kind, d.begin, sql.substr(d.begin, d.end - d.begin), d.name});
}

struct scanned {
  scan_result result;
  std::vector<std::string> directives;  // described
};

scanned scan(std::string_view sql) {
  scanned out;
  out.result = scan_sql(sql, [&](const directive& d) {
    EXPECT_LT(d.begin, d.end);
    EXPECT_LE(d.end, sql.size());
    EXPECT_EQ(sql[d.begin], '%');
    out.directives.push_back(describe(sql, d));
  });
  return out;
}

std::vector<std::string> describe_all(const std::vector<expected_directive>& ds) {
  std::vector<std::string> out;
  for (const auto& d : ds) out.push_back(describe(d));
  return out;
}

// --- directives ---------------------------------------------------------------

struct directive_case {
  std::string_view sql;
  std::vector<expected_directive> expected;
};

using K = directive_kind;

void check_directives(const std::vector<directive_case>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::Message() << "SQL: [" << c.sql << "]");
    const scanned s = scan(c.sql);
    EXPECT_EQ(s.result.error, scan_error::none) << error_name(s.result.error) << " at " << s.result.position;
    EXPECT_EQ(s.directives, describe_all(c.expected));
  }
}

TEST(scanner, EveryDirectiveKind) {
  check_directives({
      {"", {}},
      {"SELECT 1", {}},
      {"%s", {{K::positional, 0, "%s"}}},
      {"SELECT %s", {{K::positional, 7, "%s"}}},
      {"%s,%s", {{K::positional, 0, "%s"}, {K::positional, 3, "%s"}}},
      {"%%", {{K::percent, 0, "%%"}}},
      {"7 %% 3", {{K::percent, 2, "%%"}}},
      {"UPDATE t SET %S", {{K::set_list, 13, "%S"}}},
      {"WHERE %W", {{K::and_list, 6, "%W"}}},
      {"WHERE %A", {{K::and_list, 6, "%A"}}},
      {"WHERE %O", {{K::or_list, 6, "%O"}}},
      {"FROM %I", {{K::identifier, 5, "%I"}}},
      {"a=%(id)s", {{K::named, 2, "%(id)s", "id"}}},
      {"%(a_1)s%(B2)s", {{K::named, 0, "%(a_1)s", "a_1"}, {K::named, 7, "%(B2)s", "B2"}}},
      {"%(x)s%%%I", {{K::named, 0, "%(x)s", "x"}, {K::percent, 5, "%%"}, {K::identifier, 7, "%I"}}},
      {"SELECT 10 %% 3, '%s', %s", {{K::percent, 10, "%%"}, {K::positional, 22, "%s"}}},
  });
}

TEST(scanner, NamedDirectiveGivesItsName) {
  std::vector<std::string_view> names;
  const std::string_view sql = "SELECT %(first)s, %(second_2)s, %(first)s";
  const scan_result r = scan_sql(sql, [&](const directive& d) {
    ASSERT_EQ(d.kind, directive_kind::named);
    names.push_back(d.name);
  });
  EXPECT_EQ(r.error, scan_error::none);
  EXPECT_EQ(names, (std::vector<std::string_view>{"first", "second_2", "first"}));
  // The name views the SQL itself.
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names[0].data(), sql.data() + 9);
}

TEST(scanner, PercentPercentIsALiteralPercentNotADirectivePrefix) {
  check_directives({
      {"%%s", {{K::percent, 0, "%%"}}},  // a literal % followed by the letter s
      {"%%%s", {{K::percent, 0, "%%"}, {K::positional, 2, "%s"}}},
      {"%%%%", {{K::percent, 0, "%%"}, {K::percent, 2, "%%"}}},
  });
  EXPECT_EQ(analyze_sql("%%s").positional, 0u);
  EXPECT_EQ(analyze_sql("%%%s").positional, 1u);
}

TEST(scanner, SingleQuotedStrings) {
  check_directives({
      {"'%s'", {}},
      {"'%%' '%' '$1' '%d' '%(' '/*' '--'", {}},
      {"'it''s %s'", {}},
      {"'it''s' %s", {{K::positional, 8, "%s"}}},
      {"'%s''%s'", {}},
      {"''%s", {{K::positional, 2, "%s"}}},
      {"'a'%s", {{K::positional, 3, "%s"}}},  // a % right after a string
      {"'a'%%", {{K::percent, 3, "%%"}}},
      // Without the E prefix a backslash is an ordinary character (standard_conforming_strings).
      {"'\\' %s", {{K::positional, 4, "%s"}}},
      // A word that merely ends in e is not an E prefix.
      {"some'\\' %s", {{K::positional, 8, "%s"}}},
      {"'\xc3\xbc%s' %s", {{K::positional, 7, "%s"}}},  // multibyte UTF-8 inside
  });
}

TEST(scanner, EscapeStrings) {
  check_directives({
      {"E'\\'%s'", {}},                             // E'\'%s'
      {"E'\\'' %s", {{K::positional, 6, "%s"}}},    // E'\'' then %s
      {"e'\\'%s' %s", {{K::positional, 8, "%s"}}},  // lower-case e
      {"E'\\\\' %s", {{K::positional, 6, "%s"}}},   // E'\\' is one backslash
      {"E'a''%s' %s", {{K::positional, 9, "%s"}}},  // '' works in E strings too
      {"SELECT E'\\'' || %s", {{K::positional, 16, "%s"}}},
      {"(E'x\\'%s')", {}},  // E after a non-identifier character
      // 'a'<newline>'b' is one literal, and a continued E string keeps its escapes in every part.
      {"E'a'\n'\\' %s -- '", {}},
      {"E'a'\n'\\' -- ' || %s", {{K::positional, 17, "%s"}}},
      {"E'a' -- note\n'\\' %s'", {}},                // a -- comment may come between the parts
      {"E'a' '\\' %s", {{K::positional, 9, "%s"}}},  // no newline: a new, plain string
      {"'a'\n'\\' %s", {{K::positional, 8, "%s"}}},  // a plain string's parts have no escapes
  });
}

TEST(scanner, QuotedIdentifiers) {
  check_directives({
      {"\"%s\"", {}},
      {"\"a\"\"%s\" %s", {{K::positional, 8, "%s"}}},  // "a""%s" is one identifier
      {"\"$1\" \"%\" \"'\" %s", {{K::positional, 13, "%s"}}},
      {"\"/*\" %s", {{K::positional, 5, "%s"}}},
      {"\"--\"%s", {{K::positional, 4, "%s"}}},
  });
}

TEST(scanner, DollarQuotes) {
  check_directives({
      {"$$%s$$ %s", {{K::positional, 7, "%s"}}},
      {"$$ $1 '%s %% /* -- $$", {}},
      {"$tag$ %s $b$ %s $tag$ %s", {{K::positional, 22, "%s"}}},  // $b$ inside does not close $tag$
      {"$a$ $b$ $a$%s", {{K::positional, 11, "%s"}}},
      {"$_x1$%s$_x1$", {}},
      {"SELECT $ %s", {{K::positional, 9, "%s"}}},  // a lone $ is left to the server
  });
}

TEST(scanner, DollarInsideANameIsNotAPlaceholder) {
  check_directives({
      {"price$1 %s", {{K::positional, 8, "%s"}}},
      {"SELECT price$1, a$b$c FROM t WHERE x = %s", {{K::positional, 39, "%s"}}},
      {"a$$b %s", {{K::positional, 5, "%s"}}},
      {"\xc3\xbc$1 %s", {{K::positional, 5, "%s"}}},  // a name starting with a non-ASCII letter
  });
}

TEST(scanner, Comments) {
  check_directives({
      {"-- %s $1 'x\n%s", {{K::positional, 12, "%s"}}},
      {"%s -- %s", {{K::positional, 0, "%s"}}},
      {"-- %", {}},
      {"/* %s */ %s", {{K::positional, 9, "%s"}}},
      {"/* /* %s */ %s */ %s", {{K::positional, 18, "%s"}}},  // comments nest
      {"/**/%s", {{K::positional, 4, "%s"}}},
      {"/* -- */ %s", {{K::positional, 9, "%s"}}},
      {"-- /*\n%s", {{K::positional, 6, "%s"}}},
  });
}

TEST(scanner, CommentsInsideStringsAndStringsInsideComments) {
  check_directives({
      {"/* ' */ %s", {{K::positional, 8, "%s"}}},
      {"/* \" */ %s", {{K::positional, 8, "%s"}}},
      {"/* $$ */ %s", {{K::positional, 9, "%s"}}},
      {"-- it's\n%s", {{K::positional, 8, "%s"}}},
      {"'-- %s' %s", {{K::positional, 8, "%s"}}},
      {"'/* %s' %s", {{K::positional, 8, "%s"}}},
      {"$$ /* $$ %s", {{K::positional, 9, "%s"}}},
  });
}

// PostgreSQL's lexer ends a -- comment at a carriage return as well as at a
// line feed (scan.l: non_newline = [^\n\r]), so what follows a bare \r is SQL.
TEST(scanner, DashDashCommentEndsAtCarriageReturnToo) {
  check_directives({
      {"-- %s\r%s", {{K::positional, 6, "%s"}}},
      {"-- c\r\n%s", {{K::positional, 6, "%s"}}},
  });
  EXPECT_EQ(analyze_sql("SELECT 1 -- c\r+ %s").positional, 1u);
  // And a hand-written $1 there is a real placeholder to the server.
  EXPECT_EQ(analyze_sql("SELECT 1 -- c\r+ $1").scan.error, scan_error::dollar_placeholder);
}

// --- errors -------------------------------------------------------------------

struct error_case {
  std::string_view sql;
  scan_error error;
  std::size_t position;
};

TEST(scanner, EveryErrorWithItsPosition) {
  const std::vector<error_case> cases = {
      {"'abc", scan_error::unterminated_quoted_string, 0},
      {"SELECT 'abc", scan_error::unterminated_quoted_string, 7},
      {"'it''s", scan_error::unterminated_quoted_string, 0},
      {"'abc''", scan_error::unterminated_quoted_string, 0},
      {"'a' 'b", scan_error::unterminated_quoted_string, 4},
      {"E'abc\\'", scan_error::unterminated_quoted_string, 1},  // \' does not close an E string
      {"E'abc\\", scan_error::unterminated_quoted_string, 1},
      {"\"abc", scan_error::unterminated_quoted_identifier, 0},
      {"x \"a\"\"", scan_error::unterminated_quoted_identifier, 2},
      {"$$abc", scan_error::unterminated_dollar_quote, 0},
      {"SELECT $tag$ abc $tag", scan_error::unterminated_dollar_quote, 7},
      {"$a$ x $b$", scan_error::unterminated_dollar_quote, 0},
      {"/* abc", scan_error::unterminated_block_comment, 0},
      {"/* /* */", scan_error::unterminated_block_comment, 0},
      {"x /* */ /*", scan_error::unterminated_block_comment, 8},
      {"/*/", scan_error::unterminated_block_comment, 0},
      {"/* *", scan_error::unterminated_block_comment, 0},
      {"$1", scan_error::dollar_placeholder, 0},
      {"SELECT $1", scan_error::dollar_placeholder, 7},
      {"%s, $2", scan_error::dollar_placeholder, 4},
      {"($1)", scan_error::dollar_placeholder, 1},
      {"\"a\"$1", scan_error::dollar_placeholder, 3},
      {"%", scan_error::percent_at_end, 0},
      {"SELECT 5 %", scan_error::percent_at_end, 9},
      {"'x' %", scan_error::percent_at_end, 4},
      {"% ", scan_error::unknown_directive, 0},
      {"%d", scan_error::unknown_directive, 0},
      {"SELECT 5 % 2", scan_error::unknown_directive, 9},
      {"%x", scan_error::unknown_directive, 0},
      {"%i", scan_error::unknown_directive, 0},
      {std::string_view("%\0", 2), scan_error::unknown_directive, 0},  // a NUL is not the end
      {"%(name", scan_error::malformed_named_directive, 0},
      {"%()s", scan_error::malformed_named_directive, 0},
      {"%(x)d", scan_error::malformed_named_directive, 0},
      {"%(x)", scan_error::malformed_named_directive, 0},
      {"%(x", scan_error::malformed_named_directive, 0},
      {"%(a b)s", scan_error::malformed_named_directive, 0},
      {"x %(", scan_error::malformed_named_directive, 2},
      // The first error wins.
      {"%d '", scan_error::unknown_directive, 0},
      {"' %d", scan_error::unterminated_quoted_string, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::Message() << "SQL: [" << c.sql << "]");
    const scan_result r = scan(c.sql).result;
    EXPECT_EQ(error_name(r.error), error_name(c.error));
    EXPECT_EQ(r.position, c.position);
  }
}

TEST(scanner, DirectivesBeforeAnErrorAreReportedThenScanningStops) {
  const scanned s = scan("%s %I %d %s");
  EXPECT_EQ(s.result.error, scan_error::unknown_directive);
  EXPECT_EQ(s.result.position, 6u);
  EXPECT_EQ(s.directives, describe_all({{K::positional, 0, "%s"}, {K::identifier, 3, "%I"}}));
}

TEST(scanner, NoErrorMeansPositionZero) {
  const scan_result r = scan("SELECT %s").result;
  EXPECT_EQ(r.error, scan_error::none);
  EXPECT_EQ(r.position, 0u);
}

// --- analyze_sql ----------------------------------------------------------------

TEST(scanner, AnalyzeCountsPositionalAndNamedArguments) {
  struct shape_case {
    std::string_view sql;
    std::size_t positional;
    std::size_t named;
  };
  const std::vector<shape_case> cases = {
      {"SELECT 1", 0, 0},
      {"SELECT %s, '%s'", 1, 0},
      {"%s %S %W %A %O %I", 6, 0},  // every list/identifier directive takes one argument
      {"%% %%", 0, 0},
      {"%(a)s %(b)s %(a)s", 0, 3},  // repeats count
      {"%(a)s %s %% %I", 2, 1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::Message() << "SQL: [" << c.sql << "]");
    const auto shape = analyze_sql(c.sql);
    EXPECT_EQ(shape.scan.error, scan_error::none);
    EXPECT_EQ(shape.positional, c.positional);
    EXPECT_EQ(shape.named, c.named);
  }
  const auto bad = analyze_sql("SELECT %s, $1");
  EXPECT_EQ(bad.scan.error, scan_error::dollar_placeholder);
  EXPECT_EQ(bad.scan.position, 11u);
}

// --- tokenize_sql ----------------------------------------------------------------

std::string_view token_name(token_kind k) {
  switch (k) {
    case token_kind::word: return "word";
    case token_kind::number: return "number";
    case token_kind::string: return "string";
    case token_kind::quoted_identifier: return "quoted_identifier";
    case token_kind::dollar_string: return "dollar_string";
    case token_kind::comment: return "comment";
    case token_kind::parameter: return "parameter";
    case token_kind::directive: return "directive";
    case token_kind::symbol: return "symbol";
  }
  return "?";
}

// Each token as kind:text.
std::vector<std::string> tokens(std::string_view sql, sql_form form, scan_result* result = nullptr) {
  std::vector<std::string> out;
  const scan_result r = tokenize_sql(sql, form, [&](const sql_token& t) {
    out.push_back(std::string(token_name(t.kind)) + ":" + std::string(t.text(sql)));
    return true;
  });
  if (result != nullptr) *result = r;
  return out;
}

TEST(tokenizer, SplitsSqlAsPostgresDoes) {
  using V = std::vector<std::string>;
  EXPECT_EQ(tokens("SELECT a1$b, 1.5e-3 FROM \"t\"\"x\";", sql_form::expanded),
            (V{"word:SELECT", "word:a1$b", "symbol:,", "number:1.5e-3", "word:FROM", "quoted_identifier:\"t\"\"x\"",
               "symbol:;"}));
  EXPECT_EQ(tokens("E'a\\'b'\n  'c' 'd' -- x\n/* /* */ */$q$ $ $q$ $1 $", sql_form::expanded),
            (V{"string:E'a\\'b'\n  'c'", "string:'d'", "comment:-- x", "comment:/* /* */ */", "dollar_string:$q$ $ $q$",
               "parameter:$1", "symbol:$"}));
  // A word ending in e is no E prefix; an E glued to a closing $ is none either.
  EXPECT_EQ(tokens("some'x' $$y$$E'z'", sql_form::expanded),
            (V{"word:some", "string:'x'", "dollar_string:$$y$$", "word:E", "string:'z'"}));
  // A number ends where PostgreSQL 14 ends it: 1into is a number and a word.
  EXPECT_EQ(tokens("1into 2..3", sql_form::expanded),
            (V{"number:1", "word:into", "number:2", "symbol:.", "symbol:.", "number:3"}));
}

TEST(tokenizer, PercentIsADirectiveOrAnOperator) {
  using V = std::vector<std::string>;
  EXPECT_EQ(tokens("a %(n)s %% %s$$x$$", sql_form::directives),
            (V{"word:a", "directive:%(n)s", "directive:%%", "directive:%s", "dollar_string:$$x$$"}));
  EXPECT_EQ(tokens("a %(n)s %% %s$$x$$", sql_form::expanded),
            (V{"word:a", "symbol:%", "symbol:(", "word:n", "symbol:)", "word:s", "symbol:%", "symbol:%", "symbol:%",
               "word:s$$x$$"}));
  scan_result r;
  tokens("7 % 2", sql_form::directives, &r);
  EXPECT_EQ(r.error, scan_error::unknown_directive);
  tokens("7 % 2", sql_form::expanded, &r);
  EXPECT_EQ(r.error, scan_error::none);
}

TEST(tokenizer, ReportsTokensUpToAnErrorAndStopsWhenAsked) {
  scan_result r;
  EXPECT_EQ(tokens("SELECT 'abc", sql_form::expanded, &r), std::vector<std::string>{"word:SELECT"});
  EXPECT_EQ(r.error, scan_error::unterminated_quoted_string);
  EXPECT_EQ(r.position, 7u);
  int seen = 0;
  r = tokenize_sql("a b c 'unterminated", sql_form::expanded, [&](const sql_token&) { return ++seen < 2; });
  EXPECT_EQ(seen, 2);
  EXPECT_EQ(r.error, scan_error::none);  // stopped before reaching the quote
}

// --- cursor_accepts ---------------------------------------------------------------

struct cursor_case {
  std::string_view sql;
  bool accepts;
};

void check_cursor(const std::vector<cursor_case>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::Message() << "SQL: [" << c.sql << "]");
    EXPECT_EQ(cursor_accepts(c.sql), c.accepts);
  }
}

TEST(cursor_accepts, QueriesThatReadOnly) {
  check_cursor({
      {"SELECT 1", true},
      {"select * from t where a = $1 and b = $2 % 3", true},  // the text as sent: $n and the % operator
      {"  ((VALUES (1), (2)))", true},
      {"TABLE t", true},
      {"WITH a AS (SELECT 1) SELECT * FROM a", true},
      {"SELECT * FROM t FOR UPDATE", true},
      {"SELECT 1 AS intox, into_, x.\"INTO\" FROM t", true},
      {"EXPLAIN SELECT 1", false},
      {"SHOW search_path", false},
      {"INSERT INTO t VALUES (1) RETURNING *", false},
      {"SELECT * INTO t FROM s", false},
      {"select 1 into t", false},
      {"VALUES (1) INTO t", false},
      {"", false},
      {"  -- nothing\n", false},
      {";", false},
      {"( )", false},
  });
}

TEST(cursor_accepts, WithQueriesThatWrite) {
  check_cursor({
      {"WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", false},
      {"WITH i AS (INSERT INTO t VALUES (1) RETURNING *) SELECT 1", false},
      {"WITH u AS (update t SET a = 1 RETURNING *) SELECT 1", false},
      {"WITH m AS (MERGE t USING s ON true WHEN MATCHED THEN DO NOTHING RETURNING *) SELECT 1", false},
      // Conservative: FOR UPDATE inside WITH reads as a write.
      {"WITH a AS (SELECT * FROM t FOR UPDATE) SELECT * FROM a", false},
  });
}

TEST(cursor_accepts, KeywordsInQuotesAndCommentsDoNotCount) {
  check_cursor({
      {"SELECT 'INSERT INTO x' AS \"delete\" -- update\n FROM t FOR UPDATE", true},
      {"SELECT E'\\' into', $$ into $$ /* into */", true},
      {"WITH \"insert\" AS (SELECT 1 AS \"into\") SELECT * FROM \"insert\"", true},
      {"SELECT 1 AS \"a\"\"into;\"", true},  // "" inside a quoted identifier
      {"SELECT 1 AS \"into", false},         // unterminated
      {"SELECT $tag$ ; DELETE INTO $x$ $tag$", true},
      {"SELECT $a$ $b$ INTO $b$ $a$", true},
      {"SELECT $tag$ x", false},
      {"SELECT price$1, a$into FROM t", true},  // $ inside a name is part of it
  });
}

TEST(cursor_accepts, EscapeStringsContinueAcrossLines) {
  check_cursor({
      // E'a' and its continuation '\' into' are one literal: a' into.
      {"SELECT E'a'\n'\\' into'", true},
      {"SELECT E'a' -- c\n  '\\' into'", true},
      {"SELECT E'a'\r\n'\\' ' INTO t", false},
      // A plain string has no escapes: '\' is a whole string and INTO is code.
      {"SELECT 'a'\n'\\' INTO t", false},
      // Without a newline there is no continuation: '\' is a plain string of its own.
      {"SELECT E'a' || '\\' || 'x'", true},
      {"SELECT E'a\\", false},  // unterminated
  });
}

TEST(cursor_accepts, CommentsNest) {
  check_cursor({
      {"SELECT 1 /* /* INTO */ still a comment; DELETE */", true},
      {"/* c */ SELECT 1 /**/", true},
      {"SELECT 1 /* /* */", false},  // unterminated
      {"SELECT 1 -- ; INTO t", true},
      {"SELECT 1 -- c\r INTO t", false},  // a carriage return ends a -- comment
  });
}

TEST(cursor_accepts, OneStatementOnly) {
  check_cursor({
      {"SELECT 1;", true},
      {"SELECT 1 ; ;  -- done\n /* c */", true},
      {"SELECT 1; SELECT 2", false},
      {"SELECT 1; 'x'", false},
      {"SELECT 1; \"t\"", false},
      {"SELECT 1; $$x$$", false},
      {"SELECT 1; (", false},
      {"; SELECT 1", false},
      {"SELECT ';' AS a, \";\" AS b, $$;$$ AS c", true},
  });
}

TEST(cursor_accepts, NumbersDoNotHideAKeyword) {
  check_cursor({
      {"SELECT 1into t", false},  // PostgreSQL 14 reads 1 INTO t
      {"SELECT 1e5into t", false},
      {"SELECT 1.into t", false},
      {"SELECT 1e5, .5, 0x1F, 1_000", true},
  });
}

static_assert(cursor_accepts("SELECT E'a'\n'\\' into'"));
static_assert(!cursor_accepts("SELECT 1; SELECT 2"));
static_assert(!cursor_accepts("SELECT /* /* */ INTO */ 1 INTO t"));

// --- compile time ----------------------------------------------------------------

// The scanner is constexpr: all of this is evaluated by the compiler.
static_assert(analyze_sql("SELECT %s, '%s'").positional == 1);
static_assert(analyze_sql("SELECT %s, %s -- %s").positional == 2);
static_assert(analyze_sql("%(a)s %(a)s %%").named == 2);
static_assert(analyze_sql("%(a)s %(a)s %%").positional == 0);
static_assert(analyze_sql("SELECT $$%s$$, E'\\'%s', \"%s\", /* /* %s */ */ %s").positional == 1);
static_assert(analyze_sql("SELECT $1").scan.error == scan_error::dollar_placeholder);
static_assert(analyze_sql("SELECT $1").scan.position == 7);
static_assert(analyze_sql("SELECT 'abc").scan.error == scan_error::unterminated_quoted_string);
static_assert(analyze_sql("%(x)d").scan.error == scan_error::malformed_named_directive);
static_assert(analyze_sql("price$1 %s").positional == 1);

constexpr std::string_view second_name = [] {
  std::string_view found;
  int seen = 0;
  scan_sql("%(first)s %s %(second)s", [&](const directive& d) {
    if (d.kind == directive_kind::named && ++seen == 2) found = d.name;
  });
  return found;
}();
static_assert(second_name == "second");

TEST(sql_string, AcceptsGoodSqlAtCompileTime) {
  const pgwrap::sql_string<int> q("SELECT %s");
  EXPECT_EQ(q.text(), "SELECT %s");
  EXPECT_TRUE(q.checked());

  constexpr pgwrap::sql_string<int, std::string> two("SELECT %s, '%s', %s -- %s");
  static_assert(two.checked());
  static_assert(two.text() == "SELECT %s, '%s', %s -- %s");

  constexpr pgwrap::sql_string<> none("SELECT 7 %% 3, $$%s$$, price$1");
  static_assert(none.checked());

  // Arguments are taken as decayed types: const int& is an int argument.
  constexpr pgwrap::sql_string<const int&, std::string&&> refs("%s %s");
  static_assert(std::is_same_v<decltype(refs), const pgwrap::basic_sql_string<int, std::string>>);

  // Text from a std::string_view constant works the same.
  static constexpr std::string_view text = "SELECT %s FROM t WHERE a = %s";
  constexpr pgwrap::sql_string<int, int> lists(text);
  static_assert(lists.text() == text);
}

TEST(sql_string, RuntimeSqlIsMarkedUnchecked) {
  const std::string built = std::string("SELECT ") + "%s";
  const pgwrap::sql_string<int> q(pgwrap::runtime_sql{built});
  EXPECT_EQ(q.text(), built);
  EXPECT_EQ(q.text().data(), built.data());  // viewed, not copied
  EXPECT_FALSE(q.checked());
}

}  // namespace
}  // namespace pgwrap::test
