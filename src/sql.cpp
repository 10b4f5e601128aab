// Turning pgwrap's %-directives into PostgreSQL's $n placeholders, and the
// run-time half of the SQL check: the same scanner as the compile-time check,
// with the same rules, reporting through usage_error instead.

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "internal.hpp"
#include "pgwrap/detail/scanner.hpp"
#include "pgwrap/error.hpp"
#include "pgwrap/format.hpp"
#include "pgwrap/identifier.hpp"
#include "pgwrap/sql.hpp"

namespace pgwrap::detail {

namespace {
std::string_view scan_error_text(scan_error e) {
  switch (e) {
    case scan_error::none: break;
    case scan_error::unterminated_quoted_string: return "unterminated quoted string";
    case scan_error::unterminated_quoted_identifier: return "unterminated quoted identifier";
    case scan_error::unterminated_dollar_quote: return "unterminated dollar-quoted string";
    case scan_error::unterminated_block_comment: return "unterminated /* comment";
    case scan_error::dollar_placeholder:
      return "$n placeholder written by hand; write %s and pass the value as an argument";
    case scan_error::percent_at_end: return "'%' at the end; write %% for a literal percent sign";
    case scan_error::unknown_directive:
      return "unknown directive; write %% for a literal percent sign (e.g. the modulo operator)";
    case scan_error::malformed_named_directive: return "malformed named directive; write %(name)s";
  }
  return "no error";
}

std::string plural(std::size_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

[[noreturn]] void fail(std::string_view sql, scan_result r) {
  std::string message = "invalid SQL: ";
  message += scan_error_text(r.error);
  message += " at offset " + std::to_string(r.position) + ": ";
  constexpr std::size_t context = 30;
  message += sql.substr(r.position, context);
  if (sql.size() > r.position + context) message += "...";
  throw usage_error(message);
}
}  // namespace

namespace {
std::string directive_text(std::string_view sql, const directive& d) {
  return std::string(sql.substr(d.begin, d.end - d.begin));
}

// Builds SQL text and parameters from the directives and the arguments.
class expander {
 public:
  static constexpr std::size_t max_parameters = 65535;

  expander(std::string_view sql, std::span<const arg_ref> args, std::string& out, std::vector<param_ref>& params)
      : sql_(sql), args_(args), out_(out), params_(params) {
    bool named = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (args[i].name.empty()) {
        ++positional_count_;
        continue;
      }
      named = true;
      for (std::size_t j = 0; j < i; ++j) {
        if (args[j].name == args[i].name) {
          throw usage_error("two arguments are named \"" + std::string(args[i].name) + "\"");
        }
      }
    }
    if (named) named_text_.resize(args.size());  // only then: most calls allocate nothing here
  }

  void run() {
    out_.clear();
    params_.clear();
    out_.reserve(sql_.size() + 16);
    std::size_t copied = 0;
    const scan_result scanned = scan_sql(sql_, [&](const directive& d) {
      out_.append(sql_.substr(copied, d.begin - copied));
      copied = d.end;
      // `a%s` must not become the name `a$1`, nor `%sx` run into `x`: keep the
      // expansion a token of its own, as the scanner saw it.
      if (d.kind != directive_kind::percent && !out_.empty() && is_ident_char(out_.back())) out_ += ' ';
      expand(d);
      if (d.kind != directive_kind::percent && d.end < sql_.size() && is_ident_char(sql_[d.end])) out_ += ' ';
    });
    if (scanned.error != scan_error::none) fail(sql_, scanned);
    if (positional_used_ != positional_count_) {
      throw usage_error("the SQL has " + plural(positional_used_, "placeholder") + " but " +
                        plural(positional_count_, "argument") +
                        (positional_count_ == 1 ? " was given" : " were given"));
    }
    for (std::size_t i = 0; i < args_.size(); ++i) {
      if (!args_[i].name.empty() && !named_text_[i]) {  // (named_text_ is sized when any is named)
        throw usage_error("the argument named \"" + std::string(args_[i].name) + "\" is not used: the SQL has no %(" +
                          std::string(args_[i].name) + ")s");
      }
    }
    // The protocol counts parameters in 16 bits: libpq would refuse only at sending, as if the connection failed.
    if (params_.size() > max_parameters) {
      throw usage_error("the statement has " + plural(params_.size(), "parameter") +
                        ", more than the 65535 PostgreSQL takes; send a long list as one array parameter "
                        "(= ANY(%s) with a std::vector) instead of a pgwrap::list");
    }
    out_.append(sql_.substr(copied));
  }

 private:
  void expand(const directive& d) {
    if (d.kind == directive_kind::percent) {
      out_ += '%';
      return;
    }
    if (d.kind == directive_kind::named) {
      expand_named(d);
      return;
    }
    const std::size_t index = next_positional();
    if (index == args_.size()) {
      ++positional_used_;  // counted, reported after the scan with the totals
      return;
    }
    render(d, index);
  }

  // The next argument without a name, or args_.size() when they ran out.
  std::size_t next_positional() {
    std::size_t seen = 0;
    for (std::size_t i = 0; i < args_.size(); ++i) {
      if (!args_[i].name.empty()) continue;
      if (seen++ == positional_used_) {
        ++positional_used_;
        return i;
      }
    }
    return args_.size();
  }

  // A name used twice stands for the same parameters both times.
  void expand_named(const directive& d) {
    for (std::size_t i = 0; i < args_.size(); ++i) {
      if (args_[i].name != d.name) continue;
      if (!named_text_[i]) {
        const std::size_t start = out_.size();
        render(d, i);
        named_text_[i] = out_.substr(start);
      } else {
        out_ += *named_text_[i];
      }
      return;
    }
    throw usage_error("no argument named \"" + std::string(d.name) + "\" for " + directive_text(sql_, d) +
                      "; pass pgwrap::arg(\"" + std::string(d.name) + "\", value)");
  }

  void render(const directive& d, std::size_t index) {
    const arg_ref& a = args_[index];
    if (!fits(d.kind, a.category)) mismatch(d, index);
    switch (d.kind) {
      case directive_kind::identifier:
        if (a.category == arg_category::identifier) {
          out_.append(a.text, a.text_size);
        } else if (a.text == nullptr) {
          fail_argument(d, index, "a null const char* is not an identifier");
        } else {
          out_ += quote_identifier({a.text, a.text_size});
        }
        return;
      case directive_kind::set_list:
      case directive_kind::and_list:
      case directive_kind::or_list: render_map(d, index); return;
      default: break;
    }
    if (a.category != arg_category::list) {
      parameter(a.value);
      return;
    }
    if (a.list.empty()) {
      fail_argument(d, index,
                    "the pgwrap::list is empty, and `IN ()` is not SQL; handle the empty case "
                    "first, or pass the container itself as one array for = ANY(%s)");
    }
    for (std::size_t i = 0; i < a.list.size(); ++i) {
      if (i > 0) out_ += ", ";
      parameter(a.list[i]);
    }
  }

  // %S: "a" = $1, "b" = $2.  %W / %A / %O: ("a" = $1 AND "b" IS NULL), in
  // parentheses so that the operators around them cannot regroup the pairs.
  void render_map(const directive& d, std::size_t index) {
    const auto& entries = args_[index].map;
    const bool set = d.kind == directive_kind::set_list;
    if (entries.empty()) {
      if (set) fail_argument(d, index, "the map is empty; a SET list needs at least one column");
      out_ += d.kind == directive_kind::or_list ? "FALSE" : "TRUE";
      return;
    }
    const char* separator = set ? ", " : d.kind == directive_kind::or_list ? " OR " : " AND ";
    if (!set) out_ += '(';
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (i > 0) out_ += separator;
      out_ += quote_identifier(entries[i].column);
      if (!set && entries[i].value.data == nullptr) {
        out_ += " IS NULL";  // `col = NULL` is never true
      } else {
        out_ += " = ";
        parameter(entries[i].value);
      }
    }
    if (!set) out_ += ')';
  }

  void parameter(const param_ref& p) {
    params_.push_back(p);
    out_ += '$';
    out_ += std::to_string(params_.size());
  }

  [[noreturn]] void fail_argument(const directive& d, std::size_t index, std::string_view why) {
    throw usage_error("argument " + std::to_string(index + 1) + " for " + directive_text(sql_, d) + ": " +
                      std::string(why));
  }

  [[noreturn]] void mismatch(const directive& d, std::size_t index) {
    static constexpr std::string_view names[] = {"a value",       "a string",    "a pgwrap::list", "a map",
                                                 "an identifier", "unsupported", "a map"};
    const std::string_view given = names[static_cast<std::size_t>(args_[index].category)];
    switch (d.kind) {
      case directive_kind::set_list:
      case directive_kind::and_list:
      case directive_kind::or_list:
        fail_argument(d, index, "needs a map of column to value, not " + std::string(given));
      case directive_kind::identifier:
        fail_argument(d, index, "needs an identifier or a string, not " + std::string(given));
      default:
        fail_argument(d, index,
                      "needs a value or a pgwrap::list, not " + std::string(given) +
                          " (maps go with %S, %W or %O; identifiers with %I)");
    }
  }

  std::string_view sql_;
  std::span<const arg_ref> args_;
  std::string& out_;
  std::vector<param_ref>& params_;
  std::size_t positional_count_ = 0;
  std::size_t positional_used_ = 0;
  std::vector<std::optional<std::string>> named_text_;  // what each named argument became
};
}  // namespace

void expand_sql(std::string_view sql, std::span<const arg_ref> args, std::string& out, std::vector<param_ref>& params) {
  expander(sql, args, out, params).run();
}

bool only_positional(std::string_view sql) {
  bool only = true;
  scan_sql(sql, [&](const directive& d) {
    if (d.kind != directive_kind::positional && d.kind != directive_kind::percent) only = false;
  });
  return only;
}

}  // namespace pgwrap::detail

namespace pgwrap {

formatted_query detail::format(std::string_view sql, std::span<const arg_ref> args) {
  formatted_query f;
  std::vector<param_ref> params;
  expand_sql(sql, args, f.sql, params);
  for (const param_ref& p : params) {
    std::optional<std::string> text;
    if (p.data != nullptr) {
      text.emplace();
      try {
        append_param_text(p, *text);
      } catch (const usage_error&) {  // a binary form with no text spelling here: show its size
        *text = "<" + std::to_string(p.length) + " bytes of binary " + type_name(p.oid) + ">";
      }
    }
    f.params.push_back(std::move(text));
    f.param_types.push_back(p.oid);
  }
  return f;
}

std::string formatted_query::to_string() const {
  std::string out = sql;
  for (std::size_t i = 0; i < params.size(); ++i) {
    out += i == 0 ? " -- " : ", ";
    out += '$';  // appended piece by piece: "$" + std::to_string(...) trips g++ 12's -Wrestrict at -O3
    out += std::to_string(i + 1);
    out += " = ";
    if (!params[i]) {
      out += "NULL";
      continue;
    }
    out += '\'';
    for (const char c : *params[i]) {
      if (c == '\'') out += '\'';
      out += c;
    }
    out += '\'';
  }
  return out;
}

std::string like_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

void detail::expansion_cache::expand(std::string_view text, bool literal, std::span<const arg_ref> args,
                                     std::string& sql, std::vector<param_ref>& params) {
  const bool plain = std::all_of(args.begin(), args.end(), [](const arg_ref& a) {
    return a.name.empty() && (a.category == arg_category::value || a.category == arg_category::text_value);
  });
  if (!plain) {
    expand_sql(text, args, sql, params);
    return;
  }
  // Runtime SQL is kept by its text (bounded): hashing it is cheaper than checking it again.
  if (!literal && runtime_texts.size() >= max_runtime_texts && !runtime_texts.contains(std::string(text))) {
    runtime_texts.clear();
  }
  literal_expansion& known = literal ? literals[text.data()] : runtime_texts[std::string(text)];
  if (known.fixed && known.placeholders == args.size() && known.text == text) {
    sql = known.sql;
    params.clear();
    for (const arg_ref& a : args) params.push_back(a.value);
    return;
  }
  expand_sql(text, args, sql, params);  // checks runtime SQL; throws before anything is kept
  known = {std::string(text), only_positional(text), params.size(), sql};
}

}  // namespace pgwrap
