// libFuzzer target for pgwrap's SQL scanner: pgwrap::detail::scan_sql and
// cursor_accepts, both built on the one tokenizer, tokenize_sql.
//
// For every input it checks
//   1. the shape of the result: directives in increasing, non-overlapping
//      order inside the text, each directive's text matching its kind, a
//      named directive's name being the text between its parentheses, an
//      error position inside the text and pointing at what the error names;
//   2. that scanning is deterministic and never looks past the end of the
//      view (the same text followed by different bytes scans the same);
//   3. agreement with `reference`, below: a deliberately plain, separate
//      lexer written from PostgreSQL's own rules (src/backend/parser/scan.l,
//      PostgreSQL 16-18, standard_conforming_strings = on; 15 differs only in
//      numeric literal forms and in \v not being whitespace), one character
//      at a time. Every '%' the scanner reports as a directive must be SQL
//      code to PostgreSQL, every '%' in code (but the second of a "%%") must
//      be reported, no $n parameter may get through, and the scanner's errors
//      must match what the reference sees. Where PostgreSQL gives up on the
//      text anyway, the comparison stops: at a lexer error (`1e'x'`: trailing
//      junk) or a token no statement can hold (`1$$x$$`, `$$a$$$$b$$`, a lone
//      `$`; each checked against a PostgreSQL 15 server).
//   4. cursor_accepts (may `DECLARE ... CURSOR FOR <text>` run the text, as
//      the server gets it: '%' an operator, $n parameters) against a plain
//      rule written on the reference's view of that text; that it is
//      deterministic and reads nothing past the end; that a ';' more changes
//      nothing; and that it never accepts text scan_sql finds unterminated.
//
// The reference shares no code with the scanner and must not call it: when
// they disagree, one of them is wrong, and which one is PostgreSQL's call.
// Any violation prints the input and aborts, so libFuzzer saves it.
//
// Build: tests/fuzz/CMakeLists.txt (clang, -fsanitize=fuzzer,address,undefined).
// Reproduce a saved input: ./scanner_fuzz crash-<hash>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "pgwrap/detail/scanner.hpp"

namespace {

using pgwrap::detail::directive;
using pgwrap::detail::directive_kind;
using pgwrap::detail::scan_error;
using pgwrap::detail::scan_result;

// --- failure reporting -------------------------------------------------------

std::string_view g_input;  // the input being checked, for the failure message

std::string escaped(std::string_view s) {
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
      // A following hex digit would extend the escape in a C++ literal.
    } else {
      if (!out.empty() && out.size() >= 4 && out[out.size() - 4] == '\\' && out[out.size() - 3] == 'x' &&
          ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
        out += "\"\"";
      }
      out += static_cast<char>(c);
    }
  }
  return out;
}

[[noreturn]] void fail(const char* what, std::size_t position) {
  std::fprintf(stderr, "\n*** scanner_fuzz: %s\n*** at offset %zu of %zu\n*** input (C++ literal): \"%s\"\n", what,
               position, g_input.size(), escaped(g_input).c_str());
  if (position < g_input.size()) {
    const std::size_t from = position > 20 ? position - 20 : 0;
    std::fprintf(stderr, "*** around it: \"%s\" >>>\"%s\"<<< \"%s\"\n",
                 escaped(g_input.substr(from, position - from)).c_str(), escaped(g_input.substr(position, 1)).c_str(),
                 escaped(g_input.substr(position + 1, 20)).c_str());
  }
  std::abort();
}

void check(bool ok, const char* what, std::size_t position) {
  if (!ok) fail(what, position);
}

// --- the reference lexer -------------------------------------------------------
//
// Written from PostgreSQL's scan.l, not from pgwrap's scanner. The names in
// the comments are scan.l's. It classifies each byte and notes what
// PostgreSQL would make of the text as a whole.

enum class where : unsigned char {
  code,           // SQL outside any quoted text or comment
  string,         // '...', B'...', X'...', N'...', U&'...' (no backslash escapes)
  escape_string,  // E'...' (backslash escapes)
  identifier,     // "..." and U&"..."
  dollar,         // $$...$$, $tag$...$tag$ (delimiters included)
  comment,        // -- ... and /* ... */, and what joins continued strings
};

enum class unterminated : unsigned char { none, string, identifier, dollar, comment };

struct lexed {
  std::vector<where> at;                   // one per input byte
  std::vector<bool> segment_start;         // a quote that opens a string or a continued part of one
  std::vector<bool> param_start;           // a '$' starting a $n parameter token
  std::vector<bool> word_start;            // the first byte of an {identifier} token (keywords too)
  unterminated open = unterminated::none;  // what was still open at the end
  std::size_t open_start = 0;              // where it started (for strings: its last segment's quote)
  // Why and where PostgreSQL gives up on the text whatever any pgwrap
  // scanner does: a lexer error, or a token no statement can hold where it
  // is (a lone '$', two constants in a row). Past that point the text means
  // nothing, so nothing there is compared.
  const char* pg_rejects = nullptr;
  std::size_t pg_rejects_at = SIZE_MAX;
};

bool is_letter(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_dec(unsigned char c) { return c >= '0' && c <= '9'; }
// ident_start [A-Za-z\200-\377_]   (ident_cont adds [0-9\$]: see in_code)
bool ident_start(unsigned char c) { return is_letter(c) || c == '_' || c >= 0x80; }
// dolq_start [A-Za-z\200-\377_]    dolq_cont adds [0-9] (no '$')
bool dolq_start(unsigned char c) { return is_letter(c) || c == '_' || c >= 0x80; }
bool dolq_cont(unsigned char c) { return dolq_start(c) || is_dec(c); }
bool is_hex(unsigned char c) { return is_dec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
// space [ \t\n\r\f\v]   newline [\n\r]
bool is_newline(unsigned char c) { return c == '\n' || c == '\r'; }
bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

class reference {
 public:
  // `directives`: pgwrap's %-directives are tokens (SQL as written for
  // pgwrap); otherwise '%' is an operator (SQL as the server gets it).
  reference(std::string_view s, bool directives) : s_(s), n_(s.size()), directives_(directives) {
    out_.at.assign(n_, where::code);
    out_.segment_start.assign(n_, false);
    out_.param_start.assign(n_, false);
    out_.word_start.assign(n_, false);
  }

  lexed run() {
    std::size_t i = 0;
    while (i < n_) {
      switch (state_) {
        case st::code: i = in_code(i); break;
        case st::string:
        case st::escape_string: i = in_string(i); break;
        case st::identifier: i = in_identifier(i); break;
        case st::dollar: i = in_dollar(i); break;
        case st::line_comment: i = in_line_comment(i); break;
        case st::block_comment: i = in_block_comment(i); break;
      }
    }
    switch (state_) {
      case st::code:
      case st::line_comment: break;  // a -- comment may end the text
      case st::string:
      case st::escape_string: out_.open = unterminated::string; break;
      case st::identifier: out_.open = unterminated::identifier; break;
      case st::dollar: out_.open = unterminated::dollar; break;
      case st::block_comment: out_.open = unterminated::comment; break;
    }
    return std::move(out_);
  }

 private:
  enum class st : unsigned char { code, string, escape_string, identifier, dollar, line_comment, block_comment };
  // What the last token in code was, as far as the next character cares.
  enum class tok : unsigned char { none, word, number, dollar_string };

  unsigned char c(std::size_t i) const { return i < n_ ? static_cast<unsigned char>(s_[i]) : 0; }
  bool has(std::size_t i) const { return i < n_; }

  void rejects(const char* why, std::size_t at) {
    if (at < out_.pg_rejects_at) {
      out_.pg_rejects = why;
      out_.pg_rejects_at = at;
    }
  }
  void mark(std::size_t from, std::size_t to, where w) {
    for (std::size_t k = from; k < to && k < n_; ++k) out_.at[k] = w;
  }

  // One step in code, starting a token at i (or continuing a word).
  std::size_t in_code(std::size_t i) {
    const unsigned char ch = c(i);
    // {comment}: "--" to the end of the line; {xcstart}: "/*". An operator
    // never swallows them (the {operator} rule cuts itself short there).
    if (ch == '-' && c(i + 1) == '-' && has(i + 1)) {
      mark(i, i + 2, where::comment);
      state_ = st::line_comment;
      last_ = tok::none;
      return i + 2;
    }
    if (ch == '/' && c(i + 1) == '*' && has(i + 1)) {
      mark(i, i + 2, where::comment);
      state_ = st::block_comment;
      depth_ = 0;
      start_ = i;
      last_ = tok::none;
      return i + 2;
    }
    if (ch == '\'') {
      // {xestart} [eE]{quote} beats {identifier} only where the E begins a
      // token: a one-letter word E right before the quote.
      const bool e_prefix = last_ == tok::word && word_start_ + 1 == i && (c(i - 1) == 'E' || c(i - 1) == 'e');
      if (e_prefix && last_before_word_ == tok::dollar_string) {
        rejects("an E'' string right after a dollar-quoted string (two constants in a row)", i - 1);
      }
      if (e_prefix) out_.word_start[i - 1] = false;  // the E begins the string token, not a word
      state_ = e_prefix ? st::escape_string : st::string;
      open_quote(i);
      return i + 1;
    }
    if (ch == '"') {
      mark(i, i + 1, where::identifier);
      state_ = st::identifier;
      start_ = i;
      return i + 1;
    }
    if (ch == '$') return dollar_in_code(i);
    if (ch == '%' && has(i + 1) && directives_) {
      // pgwrap's directives become tokens of their own (the expansion is
      // spaced off from words), so a word never runs on through one: `a%s$$`
      // is the word a, a parameter, then a dollar quote.
      const unsigned char d = c(i + 1);
      if (d == 's' || d == 'S' || d == 'W' || d == 'A' || d == 'O' || d == 'I' || d == '%') {
        last_ = tok::none;
        return i + 2;
      }
      if (d == '(') {
        std::size_t k = i + 2;
        while (has(k) && (ident_start(c(k)) || is_dec(c(k)))) ++k;
        if (k > i + 2 && has(k + 1) && c(k) == ')' && c(k + 1) == 's') {
          last_ = tok::none;
          return k + 2;
        }
      }
    }
    if (ident_start(ch)) {
      if (last_ != tok::word) {
        last_before_word_ = last_;
        word_start_ = i;
        out_.word_start[i] = true;
      }
      last_ = tok::word;
      return i + 1;
    }
    if (is_dec(ch)) {
      if (last_ == tok::word) return i + 1;  // ident_cont
      return number(i);
    }
    if (ch == '.' && is_dec(c(i + 1)) && has(i + 1)) return number(i);  // numeric: \.{decinteger}
    last_ = tok::none;  // operators, punctuation, whitespace, anything else
    return i + 1;
  }

  // A '$' in code: part of a word, a parameter, a dollar quote, or alone.
  std::size_t dollar_in_code(std::size_t i) {
    if (last_ == tok::word) return i + 1;  // ident_cont includes '$': price$1, a$$b
    if (last_ == tok::number) rejects("a $ token right after a number or parameter (two constants in a row)", i);
    if (last_ == tok::dollar_string) rejects("a $ token right after a dollar-quoted string", i);
    // {param} \${decdigit}+
    if (is_dec(c(i + 1)) && has(i + 1)) {
      out_.param_start[i] = true;
      std::size_t j = i + 1;
      while (has(j) && is_dec(c(j))) ++j;
      last_ = tok::number;
      return junk(j, "trailing junk after parameter");  // {param_junk} \${decdigit}+{identifier}
    }
    // {dolqdelim} \$({dolq_start}{dolq_cont}*)?\$
    std::size_t j = i + 1;
    if (has(j) && dolq_start(c(j))) {
      ++j;
      while (has(j) && dolq_cont(c(j))) ++j;
    }
    if (has(j) && c(j) == '$') {
      tag_ = s_.substr(i, j + 1 - i);
      mark(i, j + 1, where::dollar);
      state_ = st::dollar;
      start_ = i;
      return j + 1;
    }
    // {dolqfailed} or {other}: a '$' token on its own, which no statement has.
    rejects("a lone $ (not a parameter, not a dollar quote)", i);
    last_ = tok::none;
    return i + 1;
  }

  // A numeric literal by PostgreSQL 16's rules, longest match:
  // decinteger {decdigit}(_?{decdigit})*, hex/oct/bininteger 0[xXoObB](_?{digit})+,
  // numeric (decinteger\.decinteger?|\.decinteger), numericfail decinteger\.\.
  // (lexed as the integer), real (decinteger|numeric)[Ee][-+]?decinteger.
  std::size_t number(std::size_t i) {
    auto digits = [&](std::size_t k, bool (*ok)(unsigned char)) {
      if (!has(k) || !ok(c(k))) return k;
      ++k;
      for (;;) {
        if (has(k) && ok(c(k))) {
          ++k;
        } else if (c(k) == '_' && has(k + 1) && ok(c(k + 1))) {
          k += 2;
        } else {
          return k;
        }
      }
    };
    auto dec = [](unsigned char x) { return x >= '0' && x <= '9'; };
    auto oct = [](unsigned char x) { return x >= '0' && x <= '7'; };
    auto bin = [](unsigned char x) { return x == '0' || x == '1'; };
    auto hex = [](unsigned char x) { return is_hex(x); };
    auto exponent = [&](std::size_t k) {  // [Ee][-+]?{decinteger}, if all there
      if (!((c(k) == 'e' || c(k) == 'E') && has(k))) return k;
      std::size_t m = k + 1;
      if (c(m) == '+' || c(m) == '-') ++m;
      const std::size_t e = digits(m, dec);
      return e > m ? e : k;  // otherwise realfail / junk: the E is left over
    };
    std::size_t k = i;
    const unsigned char base = c(i + 1) | 0x20;
    if (c(i) == '0' && has(i + 1) && (base == 'x' || base == 'o' || base == 'b')) {
      bool (*ok)(unsigned char) = base == 'x' ? +hex : base == 'o' ? +oct : +bin;
      std::size_t p = i + 2;
      if (c(p) == '_') ++p;
      const std::size_t end = digits(p, ok);
      k = end > p ? end : i + 1;  // hexfail and friends: "0" and then junk
    } else if (c(i) == '.') {
      k = exponent(digits(i + 1, dec));
    } else {
      k = digits(i, dec);
      const bool numericfail = c(k) == '.' && c(k + 1) == '.' && has(k + 1);  // 1..10
      if (!numericfail) {
        if (c(k) == '.' && has(k)) k = digits(k + 1, dec);
        k = exponent(k);
      }
    }
    last_ = tok::number;
    // A digit can follow only a 0b/0o number (0b12): {decinteger}{identifier} is longer there too.
    if (has(k) && is_dec(c(k))) {
      rejects("trailing junk after numeric literal", k);
      return junk(k + 1, nullptr);
    }
    return junk(k, "trailing junk after numeric literal");
  }

  // {integer_junk} {decinteger}{identifier}, {numeric_junk}, {real_junk},
  // {param_junk}: a number glued to an identifier is one token, and an error
  // ("trailing junk after numeric literal", PostgreSQL 15 on; 14 and older
  // split it, so 1.E'\'' was 1. and an E'' string there).
  std::size_t junk(std::size_t k, const char* why) {
    if (why != nullptr) {
      if (!has(k) || !ident_start(c(k))) return k;
      rejects(why, k);
    }
    while (has(k) && (ident_start(c(k)) || is_dec(c(k)) || c(k) == '$')) ++k;  // ident_cont
    last_ = tok::none;
    return k;
  }

  // Opens a string or a continued part of one at the quote i.
  void open_quote(std::size_t i) {
    mark(i, i + 1, state_ == st::escape_string ? where::escape_string : where::string);
    out_.segment_start[i] = true;
    start_ = i;
  }

  std::size_t in_string(std::size_t i) {
    const where w = state_ == st::escape_string ? where::escape_string : where::string;
    const unsigned char ch = c(i);
    if (state_ == st::escape_string && ch == '\\') {
      // {xeescape} [\\][^0-7], {xeoctesc}, {xehexesc}, {xeunicode}: a backslash
      // and at least the next character belong to the string.
      mark(i, i + 2, w);
      return i + 2;
    }
    if (ch != '\'') {
      mark(i, i + 1, w);
      return i + 1;
    }
    mark(i, i + 1, w);
    if (c(i + 1) == '\'' && has(i + 1)) {  // {xqdouble}
      mark(i + 1, i + 2, w);
      return i + 2;
    }
    // The closing quote. <xqs>{quotecontinue}: whitespace holding at least
    // one newline (and -- comments) and then a quote continues the same
    // literal, in the same state (so an E'' string keeps its escapes).
    const std::size_t next = continuation(i + 1);
    if (next != 0) {
      mark(i + 1, next, where::comment);
      open_quote(next);
      return next + 1;
    }
    state_ = st::code;
    last_ = tok::none;
    return i + 1;
  }

  // Where the quote continuing a string that closed just before `from` is,
  // or 0: {whitespace_with_newline}{quote}, i.e. only [ \t\n\r\f\v] and
  // -- comments, with at least one newline among them, then a quote.
  std::size_t continuation(std::size_t from) const {
    bool newline = false;
    std::size_t k = from;
    for (;;) {
      if (!has(k)) return 0;
      const unsigned char ch = c(k);
      if (is_space(ch)) {
        newline = newline || is_newline(ch);
        ++k;
      } else if (ch == '-' && c(k + 1) == '-' && has(k + 1)) {
        k += 2;
        while (has(k) && !is_newline(c(k))) ++k;
      } else if (ch == '\'' && newline) {
        return k;
      } else {
        return 0;
      }
    }
  }

  std::size_t in_identifier(std::size_t i) {
    mark(i, i + 1, where::identifier);
    if (c(i) != '"') return i + 1;
    if (c(i + 1) == '"' && has(i + 1)) {  // {xddouble}
      mark(i + 1, i + 2, where::identifier);
      return i + 2;
    }
    state_ = st::code;
    last_ = tok::none;
    return i + 1;
  }

  // <xdolq>: at each '$', a {dolqdelim} equal to the opening one closes the
  // string; any other $...$ is content, and its last '$' is looked at again.
  std::size_t in_dollar(std::size_t i) {
    mark(i, i + 1, where::dollar);
    if (c(i) != '$') return i + 1;
    std::size_t j = i + 1;
    if (has(j) && dolq_start(c(j))) {
      ++j;
      while (has(j) && dolq_cont(c(j))) ++j;
    }
    if (has(j) && c(j) == '$' && s_.substr(i, j + 1 - i) == tag_) {
      mark(i, j + 1, where::dollar);
      state_ = st::code;
      last_ = tok::dollar_string;
      return j + 1;
    }
    return i + 1;
  }

  std::size_t in_line_comment(std::size_t i) {
    if (is_newline(c(i))) {  // comment ("--"{non_newline}*) stops before [\n\r]
      state_ = st::code;
      last_ = tok::none;
      return i + 1;
    }
    mark(i, i + 1, where::comment);
    return i + 1;
  }

  // <xc>: {xcstart} nests, {xcstop} \*+\/ closes one level.
  std::size_t in_block_comment(std::size_t i) {
    mark(i, i + 1, where::comment);
    if (c(i) == '/' && c(i + 1) == '*' && has(i + 1)) {
      mark(i + 1, i + 2, where::comment);
      ++depth_;
      return i + 2;
    }
    if (c(i) == '*' && c(i + 1) == '/' && has(i + 1)) {
      mark(i + 1, i + 2, where::comment);
      if (depth_ == 0) {
        state_ = st::code;
        last_ = tok::none;
      } else {
        --depth_;
      }
      return i + 2;
    }
    return i + 1;
  }

  std::string_view s_;
  std::size_t n_;
  lexed out_;
  st state_ = st::code;
  tok last_ = tok::none;
  tok last_before_word_ = tok::none;
  std::size_t word_start_ = 0;
  std::size_t start_ = 0;  // where the open string, identifier, dollar quote or comment began
  std::string_view tag_;
  int depth_ = 0;
  bool directives_;

  friend lexed lex(std::string_view, bool);
};

lexed lex(std::string_view s, bool directives = true) {
  reference r(s, directives);
  lexed out = r.run();
  if (out.open != unterminated::none) out.open_start = r.start_;
  return out;
}

// --- the scanner, recorded ------------------------------------------------------

struct scanned {
  scan_result result;
  std::vector<directive> directives;
};

scanned scan(std::string_view s) {
  scanned out;
  out.result = pgwrap::detail::scan_sql(s, [&out](const directive& d) { out.directives.push_back(d); });
  return out;
}

// Equal results; names compared by their offsets in their own texts.
bool same(const scanned& a, const char* a_text, const scanned& b, const char* b_text) {
  if (a.result.error != b.result.error || a.result.position != b.result.position) return false;
  if (a.directives.size() != b.directives.size()) return false;
  for (std::size_t k = 0; k < a.directives.size(); ++k) {
    const directive& x = a.directives[k];
    const directive& y = b.directives[k];
    if (x.begin != y.begin || x.end != y.end || x.kind != y.kind || x.name.size() != y.name.size()) return false;
    if (!x.name.empty() && x.name.data() - a_text != y.name.data() - b_text) return false;
  }
  return true;
}

bool name_char(unsigned char c) { return is_letter(c) || is_dec(c) || c == '_' || c >= 0x80; }

// --- 1. shape -------------------------------------------------------------------

void check_shape(std::string_view s, const scanned& r) {
  const std::size_t n = s.size();
  std::size_t previous_end = 0;
  for (const directive& d : r.directives) {
    check(d.begin >= previous_end, "directives out of order or overlapping", d.begin);
    check(d.begin < d.end && d.end <= n, "directive outside the text", d.begin);
    check(s[d.begin] == '%', "directive does not start with %", d.begin);
    previous_end = d.end;
    const std::string_view text = s.substr(d.begin, d.end - d.begin);
    if (d.kind == directive_kind::named) {
      check(text.size() >= 5 && text.substr(0, 2) == "%(" && text.substr(text.size() - 2) == ")s",
            "named directive is not %(name)s", d.begin);
      check(d.name.data() == s.data() + d.begin + 2 && d.name.size() == text.size() - 4,
            "named directive's name is not the text between its parentheses", d.begin);
      for (const char ch : d.name) check(name_char(static_cast<unsigned char>(ch)), "odd character in a name", d.begin);
      continue;
    }
    check(d.name.empty(), "a name on a directive that is not %(name)s", d.begin);
    check(text.size() == 2, "directive is not two characters", d.begin);
    const char k = text[1];
    bool fits = false;
    switch (d.kind) {
      case directive_kind::positional: fits = k == 's'; break;
      case directive_kind::percent: fits = k == '%'; break;
      case directive_kind::set_list: fits = k == 'S'; break;
      case directive_kind::and_list: fits = k == 'W' || k == 'A'; break;
      case directive_kind::or_list: fits = k == 'O'; break;
      case directive_kind::identifier: fits = k == 'I'; break;
      case directive_kind::named: break;
    }
    check(fits, "directive's kind does not match its text", d.begin);
  }

  const std::size_t p = r.result.position;
  if (r.result.error == scan_error::none) {
    check(p == 0, "position set without an error", p);
    return;
  }
  check(p < n, "error position outside the text", p);
  check(previous_end <= p, "a directive reported past the error", p);
  const auto at = [&](std::size_t k) { return k < n ? s[k] : '\0'; };
  switch (r.result.error) {
    case scan_error::none: break;
    case scan_error::unterminated_quoted_string: check(at(p) == '\'', "unterminated string not at a quote", p); break;
    case scan_error::unterminated_quoted_identifier: check(at(p) == '"', "unterminated identifier not at \"", p); break;
    case scan_error::unterminated_dollar_quote: check(at(p) == '$', "unterminated dollar quote not at $", p); break;
    case scan_error::unterminated_block_comment:
      check(at(p) == '/' && at(p + 1) == '*', "unterminated comment not at /*", p);
      break;
    case scan_error::dollar_placeholder:
      check(at(p) == '$' && p + 1 < n && is_dec(static_cast<unsigned char>(at(p + 1))),
            "dollar_placeholder not at $<digit>", p);
      break;
    case scan_error::percent_at_end: check(at(p) == '%' && p + 1 == n, "percent_at_end not at a final %", p); break;
    case scan_error::unknown_directive: {
      const std::string_view known = "s%SWAOI(";
      check(at(p) == '%' && p + 1 < n && known.find(at(p + 1)) == std::string_view::npos,
            "unknown_directive at a known directive", p);
      break;
    }
    case scan_error::malformed_named_directive:
      check(at(p) == '%' && at(p + 1) == '(' && p + 1 < n, "malformed_named_directive not at %(", p);
      break;
  }
}

// --- 2. determinism, and nothing read past the end --------------------------------

void check_deterministic(std::string_view s, const scanned& first) {
  const scanned again = scan(s);
  check(same(first, s.data(), again, s.data()), "scanning the same text twice gave different results", 0);
  // The same bytes elsewhere, followed by bytes that would change the
  // outcome were they read: the result must not change.
  for (const std::string_view tail : {std::string_view("'\"$*/%s\n"), std::string_view("s(x)s*/'$$")}) {
    std::string copy(s);
    copy += tail;
    const scanned moved = scan(std::string_view(copy).substr(0, s.size()));
    check(same(first, s.data(), moved, copy.data()), "the result depends on bytes past the end of the text", 0);
  }
  const auto shape = pgwrap::detail::analyze_sql(s);
  std::size_t positional = 0;
  std::size_t named = 0;
  for (const directive& d : first.directives) {
    positional += pgwrap::detail::takes_positional_argument(d.kind) ? 1 : 0;
    named += d.kind == directive_kind::named ? 1 : 0;
  }
  check(shape.scan.error == first.result.error && shape.scan.position == first.result.position &&
            shape.positional == positional && shape.named == named,
        "analyze_sql disagrees with scan_sql", 0);
}

// --- 3. agreement with the reference -------------------------------------------

void check_agreement(std::string_view s, const scanned& r, const lexed& ref) {
  const std::size_t n = s.size();
  // Compare up to where PostgreSQL gives up on the text anyway (past it the
  // text has no meaning for the scanner to keep).
  const std::size_t limit = std::min(n, ref.pg_rejects_at);
  const bool whole = limit == n;
  const std::size_t stop = std::min(limit, r.result.error == scan_error::none ? n : r.result.position);

  // Every directive the scanner reports is SQL code, all of it.
  for (const directive& d : r.directives) {
    if (d.begin >= limit) break;
    for (std::size_t k = d.begin; k < d.end; ++k) {
      check(ref.at[k] == where::code, "the scanner reports a directive PostgreSQL sees inside quotes or a comment", k);
    }
  }

  // Every '%' in code up to where the scanner stopped starts a directive,
  // except the second of a "%%".
  std::size_t next = 0;  // index into r.directives
  bool after_first_of_pair = false;
  for (std::size_t k = 0; k < stop; ++k) {
    const bool code_percent = s[k] == '%' && ref.at[k] == where::code;
    if (!code_percent) {
      after_first_of_pair = false;
      continue;
    }
    if (after_first_of_pair) {  // "%%": its second '%'
      after_first_of_pair = false;
      continue;
    }
    after_first_of_pair = true;
    while (next < r.directives.size() && r.directives[next].begin < k) ++next;
    check(next < r.directives.size() && r.directives[next].begin == k,
          "a % in SQL code that the scanner does not report", k);
  }

  // No $n parameter in code before the scanner stopped: the scanner must
  // flag a hand-written one.
  for (std::size_t k = 0; k < stop; ++k) {
    check(!ref.param_start[k], "a $n parameter in SQL code that the scanner lets through", k);
  }

  const std::size_t p = r.result.position;
  if (r.result.error == scan_error::none) {
    check(!whole || ref.open == unterminated::none, "the scanner accepts text PostgreSQL finds unterminated",
          ref.open_start);
    return;
  }
  if (p >= limit) return;
  switch (r.result.error) {
    case scan_error::none: break;
    case scan_error::unterminated_quoted_string:
      check(ref.open == unterminated::string && ref.segment_start[p],
            "the scanner's unterminated string is not PostgreSQL's", p);
      break;
    case scan_error::unterminated_quoted_identifier:
      check(ref.open == unterminated::identifier && ref.open_start == p,
            "the scanner's unterminated identifier is not PostgreSQL's", p);
      break;
    case scan_error::unterminated_dollar_quote:
      check(ref.open == unterminated::dollar && ref.open_start == p,
            "the scanner's unterminated dollar quote is not PostgreSQL's", p);
      break;
    case scan_error::unterminated_block_comment:
      check(ref.open == unterminated::comment && ref.open_start == p,
            "the scanner's unterminated comment is not PostgreSQL's", p);
      break;
    case scan_error::dollar_placeholder:
      check(ref.param_start[p], "the scanner reports a $n that PostgreSQL does not see as a parameter", p);
      break;
    case scan_error::percent_at_end:
    case scan_error::unknown_directive:
    case scan_error::malformed_named_directive:
      check(ref.at[p] == where::code, "the scanner reports a bad directive PostgreSQL sees inside quotes", p);
      break;
  }
}

// --- 4. the cursor check ----------------------------------------------------------
//
// What cursor_accepts must answer, by a rule of this file's own on the
// reference's view of the text as the server gets it: the statement's first
// token past any '(' is the keyword SELECT, VALUES, TABLE or WITH; no INTO
// anywhere; for WITH no INSERT, UPDATE, DELETE or MERGE either (a writing
// part); after a ';' only whitespace, comments and more ';'; and nothing
// unterminated. Keywords are {identifier} tokens in code, in any case.

// The {identifier} token starting at k: ident_start, then ident_cont [A-Za-z\200-\377_0-9\$].
std::string_view word_at(std::string_view s, std::size_t k) {
  std::size_t e = k + 1;
  while (e < s.size() &&
         (ident_start(static_cast<unsigned char>(s[e])) || is_dec(static_cast<unsigned char>(s[e])) || s[e] == '$')) {
    ++e;
  }
  return s.substr(k, e - k);
}

bool is_keyword(std::string_view word, std::string_view upper) {
  if (word.size() != upper.size()) return false;
  for (std::size_t k = 0; k < word.size(); ++k) {
    const auto ch = static_cast<unsigned char>(word[k]);
    if ((ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch) != static_cast<unsigned char>(upper[k])) return false;
  }
  return true;
}

bool reference_cursor(std::string_view s, const lexed& ref) {
  if (ref.open != unterminated::none) return false;
  const std::size_t n = s.size();
  const auto code = [&](std::size_t k) { return ref.at[k] == where::code; };
  const auto blank = [&](std::size_t k) {
    return ref.at[k] == where::comment || (code(k) && is_space(static_cast<unsigned char>(s[k])));
  };
  std::size_t k = 0;
  while (k < n && (blank(k) || (code(k) && s[k] == '('))) ++k;
  if (k == n || !ref.word_start[k]) return false;
  const std::string_view first = word_at(s, k);
  const bool with = is_keyword(first, "WITH");
  if (!with && !is_keyword(first, "SELECT") && !is_keyword(first, "VALUES") && !is_keyword(first, "TABLE")) {
    return false;
  }
  bool ended = false;
  for (; k < n; ++k) {
    if (blank(k)) continue;
    if (code(k) && s[k] == ';') {
      ended = true;
    } else if (ended) {
      return false;  // a second statement
    } else if (ref.word_start[k]) {
      const std::string_view w = word_at(s, k);
      if (is_keyword(w, "INTO")) return false;
      if (with &&
          (is_keyword(w, "INSERT") || is_keyword(w, "UPDATE") || is_keyword(w, "DELETE") || is_keyword(w, "MERGE"))) {
        return false;
      }
    }
  }
  return true;
}

bool unterminated_error(scan_error e) {
  return e == scan_error::unterminated_quoted_string || e == scan_error::unterminated_quoted_identifier ||
         e == scan_error::unterminated_dollar_quote || e == scan_error::unterminated_block_comment;
}

void check_cursor(std::string_view s, const scanned& r) {
  const bool accepts = pgwrap::detail::cursor_accepts(s);
  check(pgwrap::detail::cursor_accepts(s) == accepts, "cursor_accepts gave two answers for the same text", 0);
  for (const std::string_view tail :
       {std::string_view(" INTO x"), std::string_view("'\"$$/*"), std::string_view(";1")}) {
    std::string copy(s);
    copy += tail;
    check(pgwrap::detail::cursor_accepts(std::string_view(copy).substr(0, s.size())) == accepts,
          "cursor_accepts depends on bytes past the end of the text", 0);
  }
  // A ';' ends the statement, or sits in a comment or unterminated text: no change.
  check(pgwrap::detail::cursor_accepts(std::string(s) + ";") == accepts, "cursor_accepts changes with a ';' added",
        s.size());
  // Text without directives reads the same to both: what scan_sql finds unterminated is no query.
  if (r.directives.empty() && unterminated_error(r.result.error)) {
    check(!accepts, "cursor_accepts accepts text scan_sql finds unterminated", r.result.position);
  }
  const lexed ref = lex(s, false);
  if (ref.pg_rejects != nullptr) return;  // the server refuses it either way
  check(accepts == reference_cursor(s, ref),
        accepts ? "cursor_accepts accepts what the reference rule refuses"
                : "cursor_accepts refuses what the reference rule accepts",
        0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  g_input = s;
  const scanned r = scan(s);
  check_shape(s, r);
  check_deterministic(s, r);
  check_agreement(s, r, lex(s));
  check_cursor(s, r);
  return 0;
}
