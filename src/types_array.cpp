// The array codec's non-template half: building array parameters (binary
// array format or text literal) and taking array results apart (text literal
// or binary array format).

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pgwrap/error.hpp"
#include "pgwrap/types.hpp"

namespace pgwrap::detail {

namespace {
constexpr auto int32_max = static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());

// The C++ side of a message: "std::vector", "std::vector<std::vector>", ...
std::string vector_name(std::size_t rank) {
  std::string name = "std::vector";
  for (std::size_t i = 1; i < rank; ++i) name += "<std::vector";
  name.append(rank > 0 ? rank - 1 : 0, '>');
  return name;
}

// "[i][j]": the C++ indices of element `index` (row-major) of an array with `dims`.
std::string subscripts(std::span<const std::size_t> dims, std::size_t index) {
  std::array<std::size_t, max_array_dimensions> at{};
  for (std::size_t k = dims.size(); k-- > 0;) {
    at[k] = dims[k] == 0 ? 0 : index % dims[k];
    index = dims[k] == 0 ? 0 : index / dims[k];
  }
  std::string out;
  for (std::size_t k = 0; k < dims.size(); ++k) {
    out += '[';
    out += std::to_string(at[k]);
    out += ']';
  }
  return out;
}

std::string elements(std::size_t n) { return std::to_string(n) + (n == 1 ? " element" : " elements"); }

std::string dimensions_text(std::size_t n) { return std::to_string(n) + "-D"; }

// array_isspace in PostgreSQL's arrayfuncs.c.
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

bool is_null_word(std::string_view s) {
  if (s.size() != 4) return false;
  constexpr std::string_view null_word = "null";
  for (std::size_t i = 0; i < 4; ++i) {
    const char c = (s[i] >= 'A' && s[i] <= 'Z') ? static_cast<char>(s[i] - 'A' + 'a') : s[i];
    if (c != null_word[i]) return false;
  }
  return true;
}

// The text form of an array: `[lb:ub]...=` decoration (checked, then
// dropped), then braces, as PostgreSQL's array_in reads it.
class text_parser {
 public:
  text_parser(const value_view& v, std::size_t rank, array_contents& out) : v_(v), s_(v.data), rank_(rank), out_(out) {}

  void run() {
    std::vector<std::int64_t> bounds;  // lower, upper per dimension
    skip_space();
    if (peek() == '[') {
      while (peek() == '[') {
        if (bounds.size() == 2 * max_array_dimensions) fail("more than 6 dimensions");
        ++pos_;
        std::int64_t lower = 1;
        std::int64_t upper = read_bound();
        skip_space();
        if (peek() == ':') {
          ++pos_;
          lower = upper;
          upper = read_bound();
          skip_space();
        }
        if (peek() != ']') fail("expected ] after the array bounds");
        ++pos_;
        if (upper < lower - 1) fail("the upper bound is less than the lower bound");
        bounds.push_back(lower);
        bounds.push_back(upper);
        skip_space();
      }
      if (peek() != '=') fail("expected = after the array bounds");
      ++pos_;
      skip_space();
    }
    braces();
    skip_space();
    if (pos_ != s_.size()) fail("unexpected text after the array");
    if (!bounds.empty()) {
      bool match = bounds.size() / 2 == out_.dims.size();
      for (std::size_t k = 0; match && k < out_.dims.size(); ++k) {
        match = bounds[2 * k + 1] - bounds[2 * k] + 1 == static_cast<std::int64_t>(out_.dims[k]);
      }
      if (!match) fail("the array bounds do not match the array's contents", false);
    }
    out_.element_oid = array_element_oid(v_.type_oid);
    if (out_.element_oid == oid::unknown) out_.element_oid = user_array_element(v_.type_oid, v_.types);
    out_.element_format = wire_format::text;
  }

 private:
  [[noreturn]] void fail(std::string_view why, bool at = true) const {
    std::string message = "malformed array literal: ";
    message += why;
    if (at) {
      message += pos_ < s_.size() ? " at offset " + std::to_string(pos_) : std::string(" at its end");
    }
    conversion_failure(v_, vector_name(rank_), message);
  }

  [[nodiscard]] char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }

  void skip_space() {
    while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
  }

  std::int64_t read_bound() {
    skip_space();
    bool negative = false;
    if (peek() == '+' || peek() == '-') {
      negative = peek() == '-';
      ++pos_;
    }
    if (peek() < '0' || peek() > '9') fail("expected a number in the array bounds");
    std::int64_t n = 0;
    while (peek() >= '0' && peek() <= '9') {
      n = n * 10 + (peek() - '0');
      if (n > std::numeric_limits<std::int32_t>::max()) fail("an array bound is out of range");
      ++pos_;
    }
    return negative ? -n : n;
  }

  void braces() {
    if (peek() != '{') fail("expected {");
    ++pos_;
    std::array<std::size_t, max_array_dimensions> counts{};  // items so far in each open level
    std::array<std::size_t, max_array_dimensions> dims{};
    std::array<bool, max_array_dimensions> known{};  // whether dims[k] is set
    std::size_t level = 1;                           // open braces
    std::size_t ndim = 0;                            // 0 until the first element shows the depth
    bool expect_item = true;
    for (;;) {
      skip_space();
      if (pos_ >= s_.size()) fail("unterminated array");
      const char c = s_[pos_];
      if (c == '{') {
        if (!expect_item) fail("expected , or }");
        if (ndim != 0 && level >= ndim) fail("unexpected {: sub-arrays are deeper than elements elsewhere");
        if (level == max_array_dimensions) fail("more than 6 dimensions");
        counts[level] = 0;
        ++level;
        ++pos_;
      } else if (c == '}') {
        const std::size_t n = counts[level - 1];
        if (expect_item && n > 0) fail("expected an element after ,");
        if (expect_item && level > 1) fail("empty sub-array");
        ++pos_;
        if (expect_item) return;  // `{}`: no elements, no dimensions
        if (!known[level - 1]) {
          known[level - 1] = true;
          dims[level - 1] = n;
        } else if (dims[level - 1] != n) {
          --pos_;
          fail("sub-arrays have different lengths");
        }
        if (--level == 0) break;
        ++counts[level - 1];
        expect_item = false;
      } else if (c == ',') {
        if (expect_item) fail("unexpected ,");
        expect_item = true;
        ++pos_;
      } else {
        if (!expect_item) fail("expected , or }");
        if (ndim == 0) {
          ndim = level;
        } else if (level != ndim) {
          fail("an element where a sub-array was expected");
        }
        element();
        ++counts[level - 1];
        expect_item = false;
      }
    }
    out_.dims.assign(dims.begin(), dims.begin() + static_cast<std::ptrdiff_t>(ndim));
  }

  void element() {
    if (s_[pos_] == '"') {
      quoted();
    } else {
      unquoted();
    }
  }

  // The first element with quoting or escapes: room for all of them at once
  // (never more than the input), so that the views into it stay valid.
  void reserve_unescaped() {
    if (out_.unescaped.capacity() < s_.size()) out_.unescaped.reserve(s_.size());
  }

  // "...": everything up to the closing quote, with \x read as x.
  void quoted() {
    const std::size_t begin = ++pos_;
    const std::size_t buffer_begin = out_.unescaped.size();
    bool escaped = false;
    for (;;) {
      if (pos_ >= s_.size()) fail("unterminated quoted element");
      const char c = s_[pos_];
      if (c == '"') break;
      if (c == '\\') {
        if (!escaped) {
          escaped = true;
          reserve_unescaped();
          out_.unescaped.append(s_.substr(begin, pos_ - begin));
        }
        if (++pos_ >= s_.size()) fail("unterminated quoted element");
        out_.unescaped += s_[pos_++];
        continue;
      }
      if (escaped) out_.unescaped += c;
      ++pos_;
    }
    const std::size_t end = pos_++;
    out_.elements.push_back(
        {escaped ? std::string_view(out_.unescaped).substr(buffer_begin) : s_.substr(begin, end - begin), false});
  }

  // Unquoted: up to , or }, with \x read as x and trailing (unescaped)
  // whitespace dropped; NULL in any case is SQL NULL.
  void unquoted() {
    const std::size_t begin = pos_;
    const std::size_t buffer_begin = out_.unescaped.size();
    bool escaped = false;
    std::size_t kept = begin;  // source: end of the last significant character
    std::size_t kept_buffer = buffer_begin;
    for (;;) {
      if (pos_ >= s_.size()) fail("unterminated array");
      const char c = s_[pos_];
      if (c == ',' || c == '}') break;
      if (c == '{' || c == '"') fail(c == '{' ? "unexpected { in an element" : "unexpected \" in an element");
      if (c == '\\') {
        if (!escaped) {
          escaped = true;
          reserve_unescaped();
          out_.unescaped.append(s_.substr(begin, pos_ - begin));
          kept_buffer = buffer_begin + (kept - begin);
        }
        if (++pos_ >= s_.size()) fail("unterminated array");
        out_.unescaped += s_[pos_++];
        kept_buffer = out_.unescaped.size();
        continue;
      }
      ++pos_;
      if (escaped) {
        out_.unescaped += c;
        if (!is_space(c)) kept_buffer = out_.unescaped.size();
      } else if (!is_space(c)) {
        kept = pos_;
      }
    }
    if (escaped) {
      out_.unescaped.resize(kept_buffer);
      out_.elements.push_back({std::string_view(out_.unescaped).substr(buffer_begin), false});
    } else {
      const std::string_view text = s_.substr(begin, kept - begin);
      out_.elements.push_back({is_null_word(text) ? std::string_view() : text, is_null_word(text)});
    }
  }

  const value_view& v_;
  std::string_view s_;
  std::size_t rank_;
  array_contents& out_;
  std::size_t pos_ = 0;
};

// The binary form (array_send): int32 ndim, int32 has-NULL flag, uint32
// element type, per dimension int32 length and int32 lower bound, then per
// element int32 length (-1 for NULL) and the bytes.
void parse_binary(const value_view& v, std::size_t rank, array_contents& out) {
  auto fail = [&](const std::string& why) { conversion_failure(v, vector_name(rank), why); };
  std::string_view rest = v.data;
  auto take = [&](std::size_t n, const char* what) {
    if (rest.size() < n) fail(std::string("truncated binary array (") + what + ")");
    const std::string_view piece = rest.substr(0, n);
    rest.remove_prefix(n);
    return piece;
  };
  const auto ndim = load_be<std::int32_t>(take(4, "header").data());
  const auto flags = load_be<std::int32_t>(take(4, "header").data());
  const auto element = load_be<std::uint32_t>(take(4, "header").data());
  if (ndim < 0 || static_cast<std::size_t>(ndim) > max_array_dimensions) {
    fail("binary array with " + std::to_string(ndim) + " dimensions");
  }
  if (flags != 0 && flags != 1) fail("binary array with invalid flags");
  std::uint32_t expected = array_element_oid(v.type_oid);
  if (expected == oid::unknown) expected = user_array_element(v.type_oid, v.types);
  if (expected != oid::unknown && element != expected) {
    fail("binary array of " + type_name(element) + " elements in a column of " + type_name(v.type_oid));
  }
  std::size_t total = ndim > 0 ? 1 : 0;
  std::array<std::size_t, max_array_dimensions> dims{};
  for (std::int32_t k = 0; k < ndim; ++k) {
    const auto length = load_be<std::int32_t>(take(4, "dimensions").data());
    (void)take(4, "dimensions");  // the lower bound: dropped
    if (length < 0) fail("binary array with a negative dimension");
    dims[static_cast<std::size_t>(k)] = static_cast<std::size_t>(length);
    total *= static_cast<std::size_t>(length);
    if (total > rest.size() / 4) {  // every element takes at least its 4-byte length
      fail("truncated binary array (more elements than bytes)");
    }
  }
  out.element_oid = element;
  out.element_format = wire_format::binary;
  if (total == 0) {
    if (!rest.empty()) fail("binary array with bytes after its end");
    return;
  }
  out.dims.assign(dims.begin(), dims.begin() + ndim);
  out.elements.reserve(total);
  for (std::size_t i = 0; i < total; ++i) {
    const auto length = load_be<std::int32_t>(take(4, "element length").data());
    if (length == -1) {
      out.elements.push_back({{}, true});
      continue;
    }
    if (length < 0) fail("binary array with a negative element length");
    out.elements.push_back({take(static_cast<std::size_t>(length), "element"), false});
  }
  if (!rest.empty()) fail("binary array with bytes after its end");
}
}  // namespace

// ---- sending ----

array_encoder::array_encoder(std::string& out, std::span<const std::size_t> dims, std::uint32_t null_oid)
    : out_(out), null_oid_(null_oid) {
  out_.clear();
  if (dims.size() > max_array_dimensions) throw usage_error("PostgreSQL arrays have at most 6 dimensions");
  total_ = dims.empty() ? 0 : 1;
  for (const std::size_t d : dims) total_ *= d;
  if (total_ == 0) return;  // `{}`, whatever the nesting
  for (std::size_t k = 0; k < dims.size(); ++k) {
    if (dims[k] > int32_max) {
      throw conversion_error("array dimension " + std::to_string(k + 1) + " has " + std::to_string(dims[k]) +
                             " elements, more than PostgreSQL arrays hold");
    }
    dims_[k] = dims[k];
  }
  ndim_ = dims.size();
  if (total_ > int32_max) throw conversion_error("array has more elements than PostgreSQL arrays hold");
}

void array_encoder::restart_as_text() {
  out_.clear();
  mode_ = mode::undecided;
  force_text_ = true;
  has_null_ = false;
  mixed_types_ = false;
  element_oid_ = 0;
  index_ = 0;
  leading_nulls_ = 0;
}

// Before element index_: the braces that close and open around it.
void array_encoder::text_separator() {
  if (index_ == 0) {
    out_.append(ndim_, '{');
    return;
  }
  std::size_t boundaries = 0;
  std::size_t stride = 1;
  for (std::size_t k = ndim_; k-- > 1;) {
    stride *= dims_[k];
    if (index_ % stride != 0) break;
    ++boundaries;
  }
  out_.append(boundaries, '}');
  out_ += ',';
  out_.append(boundaries, '{');
}

void array_encoder::start(const param_ref& first) {
  element_oid_ = first.oid;
  const std::size_t nulls = leading_nulls_;
  if (!force_text_ && first.format == wire_format::binary && first.oid != oid::unknown &&
      array_oid(first.oid) != oid::unknown) {
    mode_ = mode::binary;
    store_be(static_cast<std::int32_t>(ndim_), out_);
    store_be(std::int32_t{0}, out_);  // the has-NULL flag, set in finish()
    store_be(element_oid_, out_);
    for (std::size_t k = 0; k < ndim_; ++k) {
      store_be(static_cast<std::int32_t>(dims_[k]), out_);
      store_be(std::int32_t{1}, out_);
    }
    for (std::size_t i = 0; i < nulls; ++i) store_be(std::int32_t{-1}, out_);
    has_null_ = nulls > 0;
    return;
  }
  mode_ = mode::text;
  const std::size_t next = index_;
  for (index_ = 0; index_ < nulls; ++index_) {
    text_separator();
    out_ += "NULL";
  }
  index_ = next;
}

bool array_encoder::add(const param_ref& element) {
  if (element.data == nullptr) {
    switch (mode_) {
      case mode::undecided: ++leading_nulls_; break;
      case mode::binary:
        store_be(std::int32_t{-1}, out_);
        has_null_ = true;
        break;
      case mode::text:
        text_separator();
        out_ += "NULL";
        break;
    }
    ++index_;
    return true;
  }
  if (mode_ == mode::undecided) start(element);
  if (mode_ == mode::binary) {
    if (element.format != wire_format::binary || element.oid != element_oid_) return false;
    if (element.length < 0) throw usage_error("array element with a negative binary length");
    store_be(element.length, out_);
    out_.append(element.data, static_cast<std::size_t>(element.length));
  } else {
    add_text(element);
  }
  ++index_;
  return true;
}

void array_encoder::add_text(const param_ref& element) {
  text_separator();
  if (element.oid != element_oid_) mixed_types_ = true;
  if (element.format == wire_format::text) {
    append_array_element(element.data, out_);
    return;
  }
  element_text_.clear();
  try {
    append_param_text(element, element_text_);
  } catch (const usage_error& e) {
    throw usage_error("array element " + subscripts({dims_.data(), ndim_}, index_) + ": " + e.what() +
                      "; it cannot go in an array literal");
  }
  append_array_element(element_text_, out_);
}

param_ref array_encoder::finish() {
  if (mode_ == mode::undecided) {  // no elements, or only NULLs
    if (total_ == 0) {
      out_ = "{}";
      return param_ref::text(out_.c_str(), array_oid(null_oid_));
    }
    mode_ = mode::text;
    element_oid_ = null_oid_;
    const std::size_t nulls = leading_nulls_;
    for (index_ = 0; index_ < nulls; ++index_) {
      text_separator();
      out_ += "NULL";
    }
  }
  if (out_.size() > int32_max) throw conversion_error("array parameter of more than 2 GB");
  if (mode_ == mode::binary) {
    if (has_null_) out_[7] = '\1';
    return param_ref::binary(out_, array_oid(element_oid_));
  }
  out_.append(ndim_, '}');
  // Elements of several types: let the server infer the array type.
  return param_ref::text(out_.c_str(), mixed_types_ ? oid::unknown : array_oid(element_oid_));
}

void ragged_array(std::span<const std::size_t> at, std::size_t size, std::size_t expected) {
  std::string where;
  std::string first;
  for (const std::size_t i : at) {
    where += '[' + std::to_string(i) + ']';
    first += "[0]";
  }
  throw conversion_error("cannot send a ragged nested vector as an array: element " + where + " has " + elements(size) +
                         " where element " + first + " has " + elements(expected) +
                         "; the sub-arrays of a PostgreSQL array all have the same length");
}

// ---- reading ----

void parse_array(const value_view& v, std::size_t rank, array_contents& out) {
  if (v.format == wire_format::binary) {
    parse_binary(v, rank, out);
  } else {
    text_parser(v, rank, out).run();
  }
  if (rank != 0 && !out.dims.empty() && out.dims.size() != rank) {
    conversion_failure(v, vector_name(rank),
                       "a " + dimensions_text(out.dims.size()) + " array does not fit a " + dimensions_text(rank) +
                           " vector (nest one std::vector per dimension)");
  }
}

void null_array_element(const value_view& v, std::size_t rank, const array_contents& a, std::size_t index) {
  conversion_failure(
      v, vector_name(rank),
      "element " + subscripts(a.dims, index) + " is NULL; read the elements as std::optional to accept NULLs");
}

void bad_array_element(const array_contents& a, std::size_t index, const char* why) {
  throw conversion_error("array element " + subscripts(a.dims, index) + ": " + why);
}

bool append_array_param_text(const param_ref& p, std::string& out) {
  if (p.data == nullptr || p.format != wire_format::binary || array_element_oid(p.oid) == oid::unknown) {
    return false;
  }
  const value_view v{{p.data, static_cast<std::size_t>(p.length)}, p.oid, wire_format::binary};
  array_contents a;
  parse_array(v, 0, a);
  std::string text;
  array_encoder encoder(text, a.dims, a.element_oid);
  encoder.restart_as_text();
  for (const array_element& e : a.elements) {
    (void)encoder.add(e.null ? param_ref::null(a.element_oid) : param_ref::binary(e.data, a.element_oid));
  }
  const param_ref literal = encoder.finish();
  out += literal.data;
  return true;
}

}  // namespace pgwrap::detail
