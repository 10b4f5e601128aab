// hstore: its text form both ways and its binary form read, each length
// checked against the bytes that are really there before anything is copied.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pgwrap/error.hpp"
#include "pgwrap/types.hpp"

namespace pgwrap::detail {

namespace {

constexpr std::string_view cxx_type = "pgwrap::hstore";

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

void append_quoted(std::string_view text, std::string& out) {
  out += '"';
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}

void check_no_nul(std::string_view text, std::string_view what) {
  if (text.find('\0') != std::string_view::npos) {
    throw conversion_error("hstore " + std::string(what) + " contains a NUL byte; PostgreSQL text cannot hold NUL");
  }
}

// A reader of hstore's text form (what hstore_in accepts): pairs `key => value`
// separated by commas, keys and values "quoted" or bare, backslash escaping
// the next character in either, a bare NULL value for NULL.
class text_parser {
 public:
  explicit text_parser(const value_view& v) : v_(v), s_(v.data) {}

  hstore run() {
    hstore out;
    skip_spaces();
    while (i_ < s_.size()) {
      std::string key;
      bool quoted = false;
      if (!token(key, false, quoted)) fail("a key is missing");
      skip_spaces();
      if (s_.substr(i_, 2) != "=>") fail("expected => after the key");
      i_ += 2;
      skip_spaces();
      std::string value;
      if (!token(value, true, quoted)) fail("a value is missing");
      std::optional<std::string> stored;
      if (quoted || !is_null_word(value)) stored = std::move(value);
      out.emplace(std::move(key), std::move(stored));  // a repeated key keeps its first value, as hstore_in does
      skip_spaces();
      if (i_ == s_.size()) break;
      if (s_[i_] != ',') fail("expected a comma between pairs");
      ++i_;
      skip_spaces();
    }
    return out;
  }

 private:
  void skip_spaces() {
    while (i_ < s_.size() && is_space(s_[i_])) ++i_;
  }

  static bool is_null_word(std::string_view w) {
    return w.size() == 4 && (w[0] == 'N' || w[0] == 'n') && (w[1] == 'U' || w[1] == 'u') &&
           (w[2] == 'L' || w[2] == 'l') && (w[3] == 'L' || w[3] == 'l');
  }

  // A quoted or bare word. A bare key ends at a space or '=', a bare value at
  // a space or ','; a quote inside a bare word is an ordinary character.
  // `quoted` says whether it was quoted: a bare NULL is NULL even when
  // escaped (`\NULL`), as hstore_in has it.
  bool token(std::string& out, bool is_value, bool& quoted) {
    quoted = false;
    if (i_ == s_.size()) return false;
    if (s_[i_] == '"') {
      quoted = true;
      ++i_;
      while (true) {
        if (i_ == s_.size()) fail("a quoted string is not closed");
        const char c = s_[i_++];
        if (c == '"') return true;
        if (c == '\\') {
          if (i_ == s_.size()) fail("a backslash ends the text");
          out += s_[i_++];
        } else {
          out += c;
        }
      }
    }
    const std::size_t start = i_;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (is_space(c) || (is_value ? c == ',' : c == '=')) break;
      ++i_;
      if (c == '\\') {
        if (i_ == s_.size()) fail("a backslash ends the text");
        out += s_[i_++];
      } else {
        out += c;
      }
    }
    return i_ > start;
  }

  [[noreturn]] void fail(std::string_view why) const {
    conversion_failure(v_, cxx_type, std::string(why) + " at offset " + std::to_string(i_));
  }

  const value_view& v_;
  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

void write_hstore_text(const hstore& h, std::string& out) {
  // In hstore's own order (shorter keys first, then bytewise), so the text
  // is exactly what the server prints for the same value.
  std::vector<const hstore::value_type*> pairs;
  pairs.reserve(h.size());
  for (const auto& p : h) {
    check_no_nul(p.first, "key");
    if (p.second) check_no_nul(*p.second, "value");
    pairs.push_back(&p);
  }
  std::stable_sort(pairs.begin(), pairs.end(), [](const auto* a, const auto* b) {
    if (a->first.size() != b->first.size()) return a->first.size() < b->first.size();
    return a->first < b->first;
  });
  out.clear();
  for (const auto* p : pairs) {
    if (!out.empty()) out += ", ";
    append_quoted(p->first, out);
    out += "=>";
    if (p->second) {
      append_quoted(*p->second, out);
    } else {
      out += "NULL";
    }
  }
}

hstore read_hstore_text(const value_view& v) { return text_parser(v).run(); }

hstore read_hstore_binary(const value_view& v) {
  const std::string_view d = v.data;
  std::size_t at = 0;
  auto read_length = [&](std::string_view what) -> std::int32_t {
    if (d.size() - at < 4) {
      conversion_failure(v, cxx_type,
                         "ends inside the length of " + std::string(what) + " at offset " + std::to_string(at));
    }
    const auto n = load_be<std::int32_t>(d.data() + at);
    at += 4;
    return n;
  };
  const std::int32_t count = read_length("the pair count");
  // Every pair takes at least 8 bytes (two lengths): a larger count is a lie.
  if (count < 0 || static_cast<std::size_t>(count) > (d.size() - at) / 8) {
    conversion_failure(v, cxx_type,
                       "a count of " + std::to_string(count) + " pairs in " + std::to_string(d.size()) + " bytes");
  }
  hstore out;
  for (std::int32_t i = 0; i < count; ++i) {
    const std::int32_t key_length = read_length("a key");
    if (key_length < 0 || static_cast<std::size_t>(key_length) > d.size() - at) {
      conversion_failure(v, cxx_type,
                         "key " + std::to_string(i) + " claims " + std::to_string(key_length) + " bytes where " +
                             std::to_string(d.size() - at) + " remain");
    }
    std::string key(d.substr(at, static_cast<std::size_t>(key_length)));
    at += static_cast<std::size_t>(key_length);
    const std::int32_t value_length = read_length("a value");
    std::optional<std::string> value;
    if (value_length != -1) {
      if (value_length < 0 || static_cast<std::size_t>(value_length) > d.size() - at) {
        conversion_failure(v, cxx_type,
                           "value " + std::to_string(i) + " claims " + std::to_string(value_length) + " bytes where " +
                               std::to_string(d.size() - at) + " remain");
      }
      value.emplace(d.substr(at, static_cast<std::size_t>(value_length)));
      at += static_cast<std::size_t>(value_length);
    }
    out.emplace(std::move(key), std::move(value));
  }
  if (at != d.size()) {
    conversion_failure(v, cxx_type,
                       std::to_string(d.size() - at) + " bytes left over after " + std::to_string(count) + " pairs");
  }
  return out;
}

hstore read_hstore(const value_view& v) {
  if (v.format == wire_format::binary && !is_text_oid(v.type_oid)) return read_hstore_binary(v);
  const std::string_view text = read_text(v, cxx_type);
  return read_hstore_text(value_view{text, v.type_oid, wire_format::text});
}

bool hstore_reads_binary(std::uint32_t oid, const type_set* types) noexcept {
  return is_text_oid(oid) || (types != nullptr && types->is_extension_type(oid, "hstore", "hstore"));
}

std::string_view missing_extension_hint(std::string_view sqlstate, std::string_view message) noexcept {
  if (sqlstate != "42704") return {};
  // `type "hstore" does not exist`, also schema-qualified or as an array type.
  constexpr std::string_view prefix = "type \"";
  constexpr std::string_view suffix = "\" does not exist";
  if (!message.starts_with(prefix) || !message.ends_with(suffix)) return {};
  std::string_view name = message.substr(prefix.size(), message.size() - prefix.size() - suffix.size());
  if (name.ends_with("[]")) name.remove_suffix(2);
  if (const std::size_t dot = name.rfind('.'); dot != std::string_view::npos) name.remove_prefix(dot + 1);
  if (name != "hstore") return {};
  return "hstore is an extension: run CREATE EXTENSION hstore in this database (it ships with PostgreSQL's "
         "contrib modules)";
}

}  // namespace pgwrap::detail
