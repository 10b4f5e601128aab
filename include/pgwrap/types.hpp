#pragma once
/// @file
/// The built-in codecs (how C++ values become parameters and results become
/// C++ values), and pgwrap::param, one parameter value owned and type-erased.

#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "pgwrap/codec.hpp"            // IWYU pragma: export
#include "pgwrap/types/array.hpp"      // IWYU pragma: export
#include "pgwrap/types/bytea.hpp"      // IWYU pragma: export
#include "pgwrap/types/chrono.hpp"     // IWYU pragma: export
#include "pgwrap/types/composite.hpp"  // IWYU pragma: export
#include "pgwrap/types/core.hpp"       // IWYU pragma: export
#include "pgwrap/types/enum.hpp"       // IWYU pragma: export
#include "pgwrap/types/hstore.hpp"     // IWYU pragma: export
#include "pgwrap/types/json.hpp"       // IWYU pragma: export
#include "pgwrap/types/network.hpp"    // IWYU pragma: export
#include "pgwrap/types/numeric.hpp"    // IWYU pragma: export
#include "pgwrap/types/range.hpp"      // IWYU pragma: export
#include "pgwrap/types/uuid.hpp"       // IWYU pragma: export

namespace pgwrap {

/// One parameter value, owned and type-erased: what `fields` and `batch` hold.
/**
 * It keeps its own copy of the bytes a codec produced, so it can outlive
 * the value it was made from (a std::span of bytes included). A described
 * struct (or an array of them) that owns its data is also kept whole, so
 * that its members are still placed by attribute name when it is sent
 * (param_ref::late_copy); one with a std::string_view, span or pointer
 * inside keeps only its declaration-order text.
 */
class param {
 public:
  /// Encodes `value` with its codec and keeps the result.
  /**
   * @par Errors
   * What the codec throws, e.g. conversion_error for a string holding a
   * NUL byte.
   */
  // (The same_as test comes first: clang must not ask whether param is encodable while defining it.)
  template <typename T>
  requires(!std::same_as<std::remove_cvref_t<T>, param> && encodable<T>)
      param(const T& value) {  // NOLINT(google-explicit-constructor): {"col", 10} must read naturally
    const param_ref ref = codec<detail::codec_type<T>>::encode(value, data_);
    oid_ = ref.oid;
    format_ = ref.format;
    null_ = ref.data == nullptr;
    if (null_) return;
    const std::size_t size = ref.format == wire_format::binary ? static_cast<std::size_t>(ref.length)
                                                               : std::char_traits<char>::length(ref.data);
    if (ref.data != data_.data()) data_.assign(ref.data, size);
    keep_late(ref);
  }

  /// A copy of a parameter as a codec produced it.
  static param copy_of(const param_ref& ref) {
    param p;
    p.oid_ = ref.oid;
    p.format_ = ref.format;
    p.null_ = ref.data == nullptr;
    if (!p.null_) {
      p.data_.assign(ref.data, ref.format == wire_format::binary ? static_cast<std::size_t>(ref.length)
                                                                 : std::char_traits<char>::length(ref.data));
      p.keep_late(ref);
    }
    return p;
  }

  /// SQL NULL.
  [[nodiscard]] bool is_null() const noexcept { return null_; }
  /// The parameter's type OID (0: the server infers it).
  [[nodiscard]] std::uint32_t type_oid() const noexcept { return oid_; }
  /// Text or binary.
  [[nodiscard]] wire_format format() const noexcept { return format_; }
  /// The bytes sent to the server: text, or the binary form (empty for NULL).
  [[nodiscard]] std::string_view data() const noexcept { return data_; }
  /// The parameter as libpq takes it.
  /**
   * @par Lifetime
   * It points into this param, so it is valid while the param lives
   * unchanged.
   */
  [[nodiscard]] param_ref ref() const noexcept {
    if (null_) return param_ref::null(oid_);
    param_ref p =
        format_ == wire_format::binary ? param_ref::binary(data_, oid_) : param_ref::text(data_.c_str(), oid_);
    p.late_source = late_value_.get();
    p.late_write = late_write_;
    p.late_copy = late_copy_;
    return p;
  }

 private:
  param() = default;

  // A copy of the value the late writer reads, shared by copies of this param.
  void keep_late(const param_ref& ref) {
    if (ref.late_write == nullptr || ref.late_copy == nullptr || ref.late_source == nullptr) return;
    late_value_ = ref.late_copy(ref.late_source);
    late_write_ = ref.late_write;
    late_copy_ = ref.late_copy;
  }

  std::shared_ptr<const void> late_value_;
  late_writer late_write_ = nullptr;
  late_copier late_copy_ = nullptr;

  std::string data_;
  std::uint32_t oid_ = 0;
  wire_format format_ = wire_format::text;
  bool null_ = false;
};

/// A pgwrap::param is sent as it was encoded. Parameters only.
template <>
struct codec<param> {
  /// @brief The codec interface (see pgwrap::codec).
  /// @{
  static param_ref encode(const param& p, std::string&) { return p.ref(); }
  /// @}
};

}  // namespace pgwrap
