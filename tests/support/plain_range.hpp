#pragma once
// A range that range-for can walk but that std::ranges does not count as one:
// its iterator has no difference_type and no postfix ++, as many hand-written
// and pre-C++20 ranges do. pgwrap asks of a range only what it uses (begin,
// end, !=, ++, *), so these work wherever a container does.

#include <ranges>

namespace pgwrap::test {

/// The integers [first, last), each made by `make` as it is reached.
template <typename Make>
class plain_range {
 public:
  plain_range(int first, int last, Make make) : first_(first), last_(last), make_(make) {}

  class iterator {
   public:
    iterator(int at, const Make* make) : at_(at), make_(make) {}
    auto operator*() const { return (*make_)(at_); }
    iterator& operator++() {
      ++at_;
      return *this;
    }
    bool operator!=(const iterator& other) const { return at_ != other.at_; }

   private:
    int at_;
    const Make* make_;
  };

  [[nodiscard]] iterator begin() const { return {first_, &make_}; }
  [[nodiscard]] iterator end() const { return {last_, &make_}; }

 private:
  int first_;
  int last_;
  Make make_;
};

template <typename Make>
plain_range(int, int, Make) -> plain_range<Make>;

}  // namespace pgwrap::test
