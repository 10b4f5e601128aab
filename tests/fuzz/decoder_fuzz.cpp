// libFuzzer target: every decoder pgwrap has, fed hostile bytes. The table,
// the input format and the invariants are in decoder_harness.hpp; this file
// only hands libFuzzer's inputs to them.

#include <cstddef>
#include <cstdint>

#include "decoder_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pgwrap_fuzz::run_input(data, size);
  return 0;
}
