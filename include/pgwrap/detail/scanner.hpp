#pragma once
// The SQL scanner: finds pgwrap's %-directives in SQL text while skipping
// everything PostgreSQL treats as quoted. It is constexpr so that the same
// code checks string literals at compile time and runtime SQL at run time.

#include <cstddef>
#include <string_view>

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
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
// PostgreSQL identifiers may contain '$' after the first character.
constexpr bool is_ident_char(char c) { return is_ident_start(c) || is_digit(c) || c == '$'; }
constexpr bool is_tag_char(char c) { return is_ident_start(c) || is_digit(c); }

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

/// Calls `on(directive)` for each directive outside quoted text, in order.
/// Stops at the first error and returns it.
template <typename OnDirective>
constexpr scan_result scan_sql(std::string_view s, OnDirective&& on) {
  const std::size_t n = s.size();
  std::size_t i = 0;
  std::size_t after_directive = std::string_view::npos;  // a directive ends here: not a word's end
  // Whether the character before `at` ends a word (so `$` or E' after it belong to that word).
  const auto after_word = [&](std::size_t at) { return at > 0 && at != after_directive && is_ident_char(s[at - 1]); };
  while (i < n) {
    const char c = s[i];
    const char next = i + 1 < n ? s[i + 1] : '\0';
    if (c == '\'') {
      // E'...' (preceded by E or e that is not the end of a longer word) takes backslash escapes.
      const bool escapes = i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') && !after_word(i - 1);
      const std::size_t start = i++;
      for (;;) {
        if (i >= n) return {scan_error::unterminated_quoted_string, start};
        if (escapes && s[i] == '\\') {
          i += 2;
        } else if (s[i] == '\'') {
          if (i + 1 < n && s[i + 1] == '\'') {
            i += 2;  // '' is an escaped quote
          } else if (const std::size_t more = escapes ? string_continuation(s, i + 1) : std::string_view::npos;
                     more != std::string_view::npos) {
            i = more + 1;  // the literal goes on, escapes and all
          } else {
            ++i;
            break;
          }
        } else {
          ++i;
        }
      }
    } else if (c == '"') {
      const std::size_t start = i++;
      for (;;) {
        if (i >= n) return {scan_error::unterminated_quoted_identifier, start};
        if (s[i] == '"') {
          if (i + 1 < n && s[i + 1] == '"') {
            i += 2;
          } else {
            ++i;
            break;
          }
        } else {
          ++i;
        }
      }
    } else if (c == '-' && next == '-') {
      while (i < n && s[i] != '\n' && s[i] != '\r') ++i;  // as PostgreSQL's lexer: either ends it
    } else if (c == '/' && next == '*') {
      const std::size_t start = i;
      int depth = 0;
      while (true) {
        if (i + 1 >= n) return {scan_error::unterminated_block_comment, start};
        if (s[i] == '/' && s[i + 1] == '*') {
          ++depth;
          i += 2;
        } else if (s[i] == '*' && s[i + 1] == '/') {
          i += 2;
          if (--depth == 0) break;
        } else {
          ++i;
        }
      }
    } else if (c == '$') {
      if (after_word(i)) {  // part of a name such as price$1
        ++i;
        continue;
      }
      if (is_digit(next)) return {scan_error::dollar_placeholder, i};
      // $tag$ ... $tag$ (the tag may be empty); a lone '$' is left to the server.
      std::size_t j = i + 1;
      if (j < n && !is_digit(s[j])) {
        while (j < n && is_tag_char(s[j])) ++j;
      }
      if (j < n && s[j] == '$') {
        const std::string_view tag = s.substr(i, j - i + 1);
        const std::size_t close = s.find(tag, j + 1);
        if (close == std::string_view::npos) return {scan_error::unterminated_dollar_quote, i};
        i = close + tag.size();
      } else {
        ++i;
      }
    } else if (c == '%') {
      directive d{i, i + 2, directive_kind::positional, {}};
      switch (next) {
        case '\0':
          if (i + 1 >= n) return {scan_error::percent_at_end, i};
          return {scan_error::unknown_directive, i};
        case 's': break;
        case '%': d.kind = directive_kind::percent; break;
        case 'S': d.kind = directive_kind::set_list; break;
        case 'W':
        case 'A': d.kind = directive_kind::and_list; break;
        case 'O': d.kind = directive_kind::or_list; break;
        case 'I': d.kind = directive_kind::identifier; break;
        case '(': {
          std::size_t j = i + 2;
          while (j < n && (is_ident_start(s[j]) || is_digit(s[j]))) ++j;
          if (j == i + 2 || j + 1 >= n || s[j] != ')' || s[j + 1] != 's') {
            return {scan_error::malformed_named_directive, i};
          }
          d.kind = directive_kind::named;
          d.name = s.substr(i + 2, j - (i + 2));
          d.end = j + 2;
          break;
        }
        default: return {scan_error::unknown_directive, i};
      }
      on(d);
      i = d.end;
      after_directive = i;
    } else {
      ++i;
    }
  }
  return {};
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
/// parts writes. Conservative: false when unsure, and the caller then runs
/// the statement as it is. Quoted text and comments are skipped.
constexpr bool cursor_accepts(std::string_view s) {
  const std::size_t n = s.size();
  std::string_view first;
  bool into = false;
  bool writes = false;
  bool ended = false;  // after a ';': anything more is a second statement
  // Skips a '...' literal opening at `i` (backslash escapes for E'...').
  const auto skip_literal = [&](std::size_t i, bool escapes) {
    for (++i; i < n; ++i) {
      if (escapes && s[i] == '\\') {
        ++i;
      } else if (s[i] == '\'') {
        if (i + 1 < n && s[i + 1] == '\'') {
          ++i;
        } else {
          return i + 1;
        }
      }
    }
    return n;
  };
  std::size_t i = 0;
  while (i < n) {
    const char c = s[i];
    const char next = i + 1 < n ? s[i + 1] : '\0';
    if (c == '\'') {
      i = skip_literal(i, false);
    } else if (c == '"') {
      const std::size_t close = s.find('"', i + 1);  // "" inside is two quoted parts: same effect
      i = close == std::string_view::npos ? n : close + 1;
    } else if (c == '-' && next == '-') {
      while (i < n && s[i] != '\n' && s[i] != '\r') ++i;
    } else if (c == '/' && next == '*') {
      int depth = 0;
      while (i < n) {
        if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
          ++depth;
          i += 2;
        } else if (s[i] == '*' && i + 1 < n && s[i + 1] == '/') {
          i += 2;
          if (--depth == 0) break;
        } else {
          ++i;
        }
      }
    } else if (c == '$' && !is_digit(next)) {
      std::size_t j = i + 1;
      while (j < n && is_tag_char(s[j])) ++j;
      if (j < n && s[j] == '$') {
        const std::size_t close = s.find(s.substr(i, j - i + 1), j + 1);
        i = close == std::string_view::npos ? n : close + (j - i + 1);
      } else {
        ++i;
      }
    } else if (is_ident_start(c)) {
      std::size_t j = i;
      while (j < n && is_ident_char(s[j])) ++j;
      const std::string_view word = s.substr(i, j - i);
      if (j < n && s[j] == '\'' && same_word(word, "E")) {
        i = skip_literal(j, true);
        continue;
      }
      if (ended) return false;
      if (first.empty()) first = word;
      into = into || same_word(word, "INTO");
      writes = writes || same_word(word, "INSERT") || same_word(word, "UPDATE") || same_word(word, "DELETE") ||
               same_word(word, "MERGE");
      i = j;
    } else {
      if (c == ';') ended = true;
      else if (ended && c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
      ++i;
    }
  }
  if (same_word(first, "SELECT") || same_word(first, "VALUES") || same_word(first, "TABLE")) return !into;
  return same_word(first, "WITH") && !into && !writes;
}

}  // namespace pgwrap::detail
