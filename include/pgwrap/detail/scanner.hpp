#pragma once
// The SQL scanner. One tokenizer (tokenize_sql) splits SQL text the way
// PostgreSQL's lexer does, as far as pgwrap cares: what is quoted, commented,
// a word, a $n parameter or a %-directive. On it are built scan_sql (finds
// pgwrap's directives) and cursor_accepts (can the statement be a cursor's
// query), so the two never disagree about what is code. It is constexpr so
// that the same code checks string literals at compile time and runtime SQL
// at run time.

#include <cstddef>
#include <string_view>

#include "pgwrap/detail/visibility.hpp"
PGWRAP_API_BEGIN

namespace pgwrap::detail {

enum class directive_kind : unsigned char {
  positional,  // %s      one argument, one parameter
  named,       // %(name)s
  set_list,    // %S      map -> "a" = $1, "b" = $2
  and_list,    // %W, %A  map -> "a" = $1 AND "b" IS NULL
  or_list,     // %O      map -> ... OR ...
  identifier,  // %I      a quoted identifier
  percent,     // %%      a literal %
};

struct directive {
  std::size_t begin;  // offset of the '%'
  std::size_t end;    // one past the directive
  directive_kind kind;
  std::string_view name;  // for named: the name between the parentheses
};

enum class scan_error : unsigned char {
  none,
  unterminated_quoted_string,
  unterminated_quoted_identifier,
  unterminated_dollar_quote,
  unterminated_block_comment,
  dollar_placeholder,
  percent_at_end,
  unknown_directive,
  malformed_named_directive,
};

struct scan_result {
  scan_error error = scan_error::none;
  std::size_t position = 0;  // where the error starts
};

constexpr bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
// PostgreSQL identifiers may contain '$' after the first character.
constexpr bool is_ident_char(char c) { return is_ident_start(c) || is_digit(c) || c == '$'; }

/// Where a string literal that just closed at `i` continues, or npos.
/// PostgreSQL joins 'a'<newline>'b' into one literal: only whitespace and --
/// comments between the parts, with at least one newline among them. It
/// matters for E'' strings, whose later parts keep backslash escapes.
constexpr std::size_t string_continuation(std::string_view s, std::size_t i) {
  bool newline = false;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '\n' || c == '\r') {
      newline = true;
      ++i;
    } else if (c == ' ' || c == '\t' || c == '\f' || c == '\v') {
      ++i;
    } else if (c == '-' && i + 1 < s.size() && s[i + 1] == '-') {
      while (i < s.size() && s[i] != '\n' && s[i] != '\r') ++i;
    } else {
      break;
    }
  }
  return newline && i < s.size() && s[i] == '\'' ? i : std::string_view::npos;
}

/// What a '%' in SQL code is to `tokenize_sql`.
enum class sql_form : unsigned char {
  directives,  // SQL as written for pgwrap: '%' starts a directive, and a bad one is an error
  expanded,    // SQL as the server gets it: '%' is the modulo operator
};

enum class token_kind : unsigned char {
  word,               // an identifier or keyword: a letter, '_' or non-ASCII byte, then those, digits and '$'
  number,             // 12, 1.5, 1e-3; only so that a word glued on (1into) is a word, as in PostgreSQL 14
  string,             // '...', or E'...' with its continued parts; begins at the E
  quoted_identifier,  // "..."
  dollar_string,      // $tag$...$tag$
  comment,            // -- up to the end of the line (not included), or /* ... */ with nesting
  parameter,          // $n
  directive,          // a pgwrap directive (sql_form::directives only)
  symbol,             // any other character but whitespace, one per token: ; ( , % ...
};

// Kept to three scalars: the constant evaluator copies every member of every token.
struct sql_token {
  token_kind kind;
  std::size_t begin;
  std::size_t end;  // one past the token

  [[nodiscard]] constexpr std::string_view text(std::string_view sql) const { return sql.substr(begin, end - begin); }
};

constexpr bool is_sql_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Byte classes for the tokenizer's loops, looked up rather than computed:
// in the compiler's constant evaluator a function call costs far more than
// an array read, and every literal pgwrap::sql_string is tokenized there.
enum : unsigned char { byte_ident_start = 1, byte_digit = 2, byte_dollar = 4, byte_space = 8 };
inline constexpr unsigned char byte_word = byte_ident_start | byte_digit | byte_dollar;  // is_ident_char
struct byte_table {
  unsigned char of[256];
};
constexpr byte_table make_byte_table() {
  byte_table t{};
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(static_cast<unsigned char>(b));
    t.of[b] = static_cast<unsigned char>((is_ident_start(c) ? byte_ident_start : 0) | (is_digit(c) ? byte_digit : 0) |
                                         (c == '$' ? byte_dollar : 0) | (is_sql_space(c) ? byte_space : 0));
  }
  return t;
}
inline constexpr byte_table sql_bytes = make_byte_table();

/// One past the '...' string whose opening quote is at `quote`, or npos if
/// it is unterminated. With `escapes` (E'...') a backslash escapes the next
/// byte and continued parts ('a'<newline>'b') are part of it.
constexpr std::size_t string_end(std::string_view s, std::size_t quote, bool escapes) {
  const char* const p = s.data();
  const std::size_t n = s.size();
  std::size_t j = quote + 1;
  while (j < n) {
    if (p[j] == '\\' && escapes) {  // NOLINT(bugprone-branch-clone): a backslash escape, not the '' below
      j += 2;
    } else if (p[j] != '\'') {
      ++j;
    } else if (j + 1 < n && p[j + 1] == '\'') {
      j += 2;  // '' is an escaped quote
    } else if (const std::size_t more = escapes ? string_continuation(s, j + 1) : std::string_view::npos;
               more != std::string_view::npos) {
      j = more + 1;  // the literal goes on, escapes and all (a plain one's next part lexes the same alone)
    } else {
      return j + 1;
    }
  }
  return std::string_view::npos;
}

/// Whether the byte before `at` ends a word or a closing $, so that a '$'
/// or an E at `at` belongs to it; not where a directive ended (`unglued`).
/// By bytes, not tokens: 1$1 and $$x$$E'' stay whole, as they always did.
constexpr bool glued_at(std::string_view s, std::size_t at, std::size_t unglued) {
  return at > 0 && at != unglued && (sql_bytes.of[static_cast<unsigned char>(s[at - 1])] & byte_word) != 0;
}

/// The one SQL lexer: calls `on(sql_token)` for each token in order, and
/// stops when it returns false. Whitespace makes no token. Returns the first
/// lexical error (unterminated quote or comment; in sql_form::directives a
/// bad directive); a $n parameter is a token, not an error. Which text is
/// quoted follows PostgreSQL's lexer with standard_conforming_strings on.
template <typename OnToken>
constexpr scan_result tokenize_sql(std::string_view s, sql_form form, OnToken&& on) {
  constexpr std::size_t npos = std::string_view::npos;
  const char* const p = s.data();
  const unsigned char* const cls = sql_bytes.of;
  const std::size_t n = s.size();
  std::size_t unglued = npos;  // a directive ends here: not a word's end
  std::size_t i = 0;
  while (i < n) {
    const char c = p[i];
    const unsigned char k = cls[static_cast<unsigned char>(c)];
    if ((k & byte_space) != 0) {
      ++i;
      continue;
    }
    const char next = i + 1 < n ? p[i + 1] : '\0';
    sql_token t{token_kind::symbol, i, i + 1};
    if (c == '\'' || ((c == 'E' || c == 'e') && next == '\'' && !glued_at(s, i, unglued))) {
      // E'...' (an E that begins a token) takes backslash escapes.
      const std::size_t quote = c == '\'' ? i : i + 1;
      t.kind = token_kind::string;
      t.end = string_end(s, quote, c != '\'');
      if (t.end == npos) return {scan_error::unterminated_quoted_string, quote};
    } else if ((k & byte_ident_start) != 0 || (c == '$' && glued_at(s, i, unglued))) {
      std::size_t j = i + 1;
      while (j < n && (cls[static_cast<unsigned char>(p[j])] & byte_word) != 0) ++j;
      t.kind = token_kind::word;
      t.end = j;
    } else if ((k & byte_digit) != 0) {
      // Digits, a fraction, an exponent. No 0x or 1_000 forms: their tails are words that are no keywords.
      std::size_t j = i + 1;
      while (j < n && (cls[static_cast<unsigned char>(p[j])] & byte_digit) != 0) ++j;
      if (j + 1 < n && p[j] == '.' && p[j + 1] != '.') {
        for (++j; j < n && (cls[static_cast<unsigned char>(p[j])] & byte_digit) != 0;) ++j;
      }
      if (j < n && (p[j] == 'e' || p[j] == 'E')) {
        std::size_t e = j + 1;
        if (e < n && (p[e] == '+' || p[e] == '-')) ++e;
        if (e < n && (cls[static_cast<unsigned char>(p[e])] & byte_digit) != 0) {
          for (j = e + 1; j < n && (cls[static_cast<unsigned char>(p[j])] & byte_digit) != 0;) ++j;
        }
      }
      t.kind = token_kind::number;
      t.end = j;
    } else if (c == '"') {
      std::size_t j = i + 1;
      for (;;) {
        if (j >= n) return {scan_error::unterminated_quoted_identifier, i};
        if (p[j] != '"') {
          ++j;
        } else if (j + 1 < n && p[j + 1] == '"') {
          j += 2;
        } else {
          break;
        }
      }
      t.kind = token_kind::quoted_identifier;
      t.end = j + 1;
    } else if (c == '-' && next == '-') {
      std::size_t j = i + 2;
      while (j < n && p[j] != '\n' && p[j] != '\r') ++j;  // as PostgreSQL's lexer: either ends it
      t.kind = token_kind::comment;
      t.end = j;
    } else if (c == '/' && next == '*') {
      std::size_t j = i + 2;
      int depth = 1;
      while (depth > 0) {
        if (j + 1 >= n) return {scan_error::unterminated_block_comment, i};
        if (p[j] == '/' && p[j + 1] == '*') {
          ++depth;
          j += 2;
        } else if (p[j] == '*' && p[j + 1] == '/') {
          --depth;
          j += 2;
        } else {
          ++j;
        }
      }
      t.kind = token_kind::comment;
      t.end = j;
    } else if (c == '$') {
      std::size_t j = i + 1;
      if ((cls[static_cast<unsigned char>(next)] & byte_digit) != 0) {
        while (j < n && (cls[static_cast<unsigned char>(p[j])] & byte_digit) != 0) ++j;
        t.kind = token_kind::parameter;
        t.end = j;
      } else {
        // $tag$ ... $tag$ (the tag may be empty); a lone '$' is a symbol, left to the server.
        while (j < n && (cls[static_cast<unsigned char>(p[j])] & (byte_ident_start | byte_digit)) != 0) ++j;
        if (j < n && p[j] == '$') {
          const std::string_view tag = s.substr(i, j - i + 1);
          const std::size_t close = s.find(tag, j + 1);
          if (close == npos) return {scan_error::unterminated_dollar_quote, i};
          t.kind = token_kind::dollar_string;
          t.end = close + tag.size();
        }
      }
    } else if (c == '%' && form == sql_form::directives) {
      t.kind = token_kind::directive;
      t.end = i + 2;
      switch (next) {
        case '\0':
          if (i + 1 >= n) return {scan_error::percent_at_end, i};
          return {scan_error::unknown_directive, i};
        case 's':
        case '%':
        case 'S':
        case 'W':
        case 'A':
        case 'O':
        case 'I': break;
        case '(': {
          std::size_t j = i + 2;
          while (j < n && (cls[static_cast<unsigned char>(p[j])] & (byte_ident_start | byte_digit)) != 0) ++j;
          if (j == i + 2 || j + 1 >= n || p[j] != ')' || p[j + 1] != 's') {
            return {scan_error::malformed_named_directive, i};
          }
          t.end = j + 2;
          break;
        }
        default: return {scan_error::unknown_directive, i};
      }
      unglued = t.end;  // the expansion is spaced off: %s$$ is a directive and a dollar quote
    }
    if (!on(t)) return {};
    i = t.end;
  }
  return {};
}

/// The directive a token_kind::directive token of `s` is.
constexpr directive directive_of(std::string_view s, const sql_token& t) {
  directive d{t.begin, t.end, directive_kind::positional, {}};
  switch (s[t.begin + 1]) {
    case '%': d.kind = directive_kind::percent; break;
    case 'S': d.kind = directive_kind::set_list; break;
    case 'W':
    case 'A': d.kind = directive_kind::and_list; break;
    case 'O': d.kind = directive_kind::or_list; break;
    case 'I': d.kind = directive_kind::identifier; break;
    case '(':
      d.kind = directive_kind::named;
      d.name = s.substr(t.begin + 2, t.end - t.begin - 4);  // %(name)s
      break;
    default: break;  // %s
  }
  return d;
}

/// Calls `on(directive)` for each directive outside quoted text, in order.
/// Stops at the first error and returns it: a lexical one, or a hand-written
/// $n (pgwrap numbers the parameters itself).
template <typename OnDirective>
constexpr scan_result scan_sql(std::string_view s, OnDirective&& on) {
  scan_result placeholder;
  const scan_result lexed = tokenize_sql(s, sql_form::directives, [&](const sql_token& t) {
    if (t.kind == token_kind::directive) {
      on(directive_of(s, t));
    } else if (t.kind == token_kind::parameter) {
      placeholder = {scan_error::dollar_placeholder, t.begin};
      return false;
    }
    return true;
  });
  return placeholder.error != scan_error::none ? placeholder : lexed;
}

constexpr bool takes_positional_argument(directive_kind k) {
  return k != directive_kind::percent && k != directive_kind::named;
}

/// What a piece of SQL needs from its arguments.
struct sql_shape {
  scan_result scan;
  std::size_t positional = 0;  // directives that each take the next positional argument
  std::size_t named = 0;       // %(name)s directives, counting repeats
};

constexpr sql_shape analyze_sql(std::string_view s) {
  sql_shape shape;
  shape.scan = scan_sql(s, [&shape](const directive& d) {
    if (takes_positional_argument(d.kind)) ++shape.positional;
    if (d.kind == directive_kind::named) ++shape.named;
  });
  return shape;
}

constexpr bool same_word(std::string_view word, std::string_view upper) {
  if (word.size() != upper.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    const char c = word[i] >= 'a' && word[i] <= 'z' ? static_cast<char>(word[i] - 'a' + 'A') : word[i];
    if (c != upper[i]) return false;
  }
  return true;
}

/// Whether `DECLARE ... CURSOR FOR <sql>` accepts the (expanded) statement:
/// one SELECT, VALUES or TABLE without INTO, or a WITH query none of whose
/// parts writes. Conservative: false when unsure (unterminated text too), and
/// the caller then runs the statement as it is. Keywords count only as words
/// in code: quoted text and comments are skipped.
constexpr bool cursor_accepts(std::string_view s) {
  bool started = false;  // the statement's first token (past any '(') is seen
  bool with = false;     // it was WITH: a data-modifying part makes it no cursor query
  bool ended = false;    // after a ';': anything but comments and ';' is a second statement
  bool refused = false;
  const scan_result lexed = tokenize_sql(s, sql_form::expanded, [&](const sql_token& t) {
    if (t.kind == token_kind::comment) return true;
    const std::string_view text = t.text(s);
    if (t.kind == token_kind::symbol && text == ";") {
      ended = true;
      return true;
    }
    const bool word = t.kind == token_kind::word;
    if (ended) {
      refused = true;
    } else if (!started) {
      if (t.kind == token_kind::symbol && text == "(") return true;  // (SELECT ...) UNION ...
      started = true;
      with = word && same_word(text, "WITH");
      refused =
          !with && !(word && (same_word(text, "SELECT") || same_word(text, "VALUES") || same_word(text, "TABLE")));
    } else if (word) {
      refused = same_word(text, "INTO") || (with && (same_word(text, "INSERT") || same_word(text, "UPDATE") ||
                                                     same_word(text, "DELETE") || same_word(text, "MERGE")));
    }
    return !refused;
  });
  return started && !refused && lexed.error == scan_error::none;
}

/// What observers are told about a statement (see pgwrap::event): its verb,
/// in capitals, and the first table it names, as written. `complete` is
/// set by summarize_sql(); it stays false (the expanded SQL then tells)
/// for a summary not made yet (runtime SQL, pgwrap's own statements) and
/// when a directive (%I) stands where the table is.
struct statement_summary {
  std::string_view operation;
  std::string_view collection;
  bool complete = false;
};

/// The verbs observers are told, as the server's command tags spell them.
inline constexpr std::string_view summary_verbs[] = {
    "SELECT",  "INSERT",   "UPDATE",   "DELETE",    "MERGE",   "VALUES",  "TABLE",   "WITH",       "COPY",    "CALL",
    "DO",      "TRUNCATE", "LOCK",     "CREATE",    "ALTER",   "DROP",    "COMMENT", "GRANT",      "REVOKE",  "EXPLAIN",
    "ANALYZE", "VACUUM",   "REFRESH",  "CLUSTER",   "REINDEX", "SET",     "RESET",   "SHOW",       "BEGIN",   "START",
    "COMMIT",  "END",      "ROLLBACK", "SAVEPOINT", "RELEASE", "PREPARE", "EXECUTE", "DEALLOCATE", "DECLARE", "FETCH",
    "MOVE",    "CLOSE",    "LISTEN",   "UNLISTEN",  "NOTIFY",  "DISCARD", "IMPORT",  "SECURITY"};

constexpr std::string_view summary_verb(std::string_view word) {
  for (const std::string_view verb : summary_verbs) {
    if (same_word(word, verb)) return verb;
  }
  return {};
}

/// Whether a statement with this verb names a table observers are told.
constexpr bool has_table(std::string_view verb) {
  return verb == "SELECT" || verb == "INSERT" || verb == "UPDATE" || verb == "DELETE" || verb == "MERGE" ||
         verb == "TABLE" || verb == "COPY" || verb == "TRUNCATE" || verb == "LOCK";
}

/// Whether the table comes right after the verb (UPDATE t), not after FROM or INTO.
constexpr bool names_table_next(std::string_view verb) {
  return verb == "UPDATE" || verb == "COPY" || verb == "TABLE" || verb == "TRUNCATE" || verb == "LOCK";
}

/// The statement's verb and first table (see statement_summary). A WITH
/// query's verb is its main statement's; tables are looked for only at the
/// main statement's level, never inside parentheses (subqueries, CTEs).
constexpr statement_summary summarize_sql(std::string_view s, sql_form form) {
  enum class step : unsigned char { verb, main_verb, before_table, table, after_table, done };
  statement_summary out{{}, {}, true};
  step at = step::verb;
  std::string_view table_word;  // FROM, INTO, ... : the keyword after which the table comes
  int depth = 0;
  std::size_t table_begin = 0;
  std::size_t table_end = 0;
  bool dot = false;  // a '.' after a name part: another part follows
  tokenize_sql(s, form, [&](const sql_token& t) {
    if (t.kind == token_kind::comment) return true;
    const std::string_view text = t.text(s);
    const bool word = t.kind == token_kind::word;
    if (t.kind == token_kind::symbol && (text == "(" || text == ")")) {
      if (at == step::table) at = step::done;  // "FROM t(" does not happen; "COPY t (a, b)" ends the name
      depth += text == "(" ? 1 : -1;
      // FROM (subquery), COPY (query): no table. A parenthesis before the
      // keyword (SELECT count(*) FROM t) is an expression: look on after it.
      if (at == step::before_table && depth > 0 && (!table_word.empty() || names_table_next(out.operation))) {
        at = step::done;
      }
      return at != step::done;
    }
    if (text == ";") return false;
    if (depth != 0) return true;
    switch (at) {
      case step::verb:
        if (!word) return false;
        out.operation = summary_verb(text);
        if (out.operation == "WITH") {
          at = step::main_verb;
          break;
        }
        at = step::before_table;
        return has_table(out.operation);
      case step::main_verb:
        if (word && (same_word(text, "SELECT") || same_word(text, "INSERT") || same_word(text, "UPDATE") ||
                     same_word(text, "DELETE") || same_word(text, "MERGE"))) {
          out.operation = summary_verb(text);
          at = step::before_table;
        }
        break;
      case step::before_table: {
        const std::string_view verb = out.operation;
        const bool right_after = names_table_next(verb);
        if (word && (same_word(text, "ONLY") || (same_word(text, "TABLE") && verb != "TABLE"))) break;
        if (table_word.empty() && !right_after) {
          if (word && ((same_word(text, "FROM") && (verb == "SELECT" || verb == "DELETE")) ||
                       (same_word(text, "INTO") && (verb == "INSERT" || verb == "MERGE")))) {
            table_word = text;
          }
          break;
        }
        if (t.kind == token_kind::directive) {
          out.complete = false;
          return false;
        }
        if (!word && t.kind != token_kind::quoted_identifier) return false;
        table_begin = t.begin;
        table_end = t.end;
        at = step::table;
        break;
      }
      case step::table:
        if (t.kind == token_kind::symbol && text == "." && !dot) {
          dot = true;
        } else if (dot && (word || t.kind == token_kind::quoted_identifier)) {
          dot = false;
          table_end = t.end;
        } else {
          if (dot && t.kind == token_kind::directive) out.complete = false;
          return false;
        }
        break;
      default: return false;
    }
    return true;
  });
  // Incomplete (a directive in the name, as in s.%I): the part before it is no table's name.
  if (out.complete && table_end > table_begin) {
    std::string_view name = s.substr(table_begin, table_end - table_begin);
    // One quoted name without doubled quotes reads better without them.
    if (name.size() >= 2 && name.front() == '"' && name.find('"', 1) == name.size() - 1) {
      name = name.substr(1, name.size() - 2);
    }
    out.collection = name;
  }
  return out;
}

}  // namespace pgwrap::detail
PGWRAP_API_END
