#pragma once
// The decoder fuzzer's harness: a table of every decoder pgwrap has, and
// run_input(), which feeds one input to the decoder it names and checks the
// invariants. Two drivers share it: decoder_fuzz.cpp (libFuzzer, built by
// tests/fuzz/CMakeLists.txt with clang) and decoder_replay.cpp (a plain
// program in the normal build that replays tests/fuzz/decoder_corpus/, ctest
// label `unit`).
//
// An input is
//   byte 0     which decoder: its index in decoders(), modulo their number;
//   byte 1     bit 0: the wire format (1 binary, 0 text); bit 1: the value is
//              SQL NULL; bits 2-7, modulo (the decoder's OIDs + 1): which of
//              the decoder's column types, or, past them, a raw OID in the
//              next 4 bytes (big-endian; missing bytes read as 0);
//   the rest   the value, exactly as a server would send it.
//
// The invariants (a violation prints what happened and aborts, so both
// libFuzzer and ctest report it):
//   1. no crash and no undefined behaviour (the fuzz build has ASan+UBSan);
//   2. no single allocation during a decode larger than
//        64 x (value bytes) + 4096 + the decoder's allowance;
//   3. the only exception is pgwrap::conversion_error; read through a row
//      (the path results take) it names the column and its type, and the
//      direct codec call and the row read agree on success or failure.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pgwrap/codec.hpp"

namespace pgwrap {
class row;
}

namespace pgwrap_fuzz {

/// One decoder the fuzzer can choose.
struct decoder {
  std::string_view name;                      ///< unique; seeds name their decoder by it
  std::vector<std::uint32_t> oids;            ///< column types to try, the decoder's own first
  std::size_t allowance;                      ///< bytes one allocation may take beyond the proportional bound
  void (*decode)(const pgwrap::value_view&);  ///< codec<T>::decode on the value, plus checks of the result
  void (*read)(const pgwrap::row&);           ///< row["hostile"].as<T>(), as results are read
};

/// Every decoder, in a fixed order: new ones go at the end (seeds name an index).
const std::vector<decoder>& decoders();

/// The index of the decoder called `name`; aborts when there is none.
std::size_t decoder_index(std::string_view name);

/// An input as the fuzzer reads it.
struct input {
  std::size_t decoder = 0;
  pgwrap::wire_format format = pgwrap::wire_format::text;
  bool null = false;
  std::uint32_t oid = 0;
  std::string_view value;
};
input split(const std::uint8_t* data, std::size_t size);

/// The bytes of an input for decoder `name` (the inverse of split).
std::string make_input(std::string_view name, pgwrap::wire_format format, std::uint32_t oid, std::string_view value,
                       bool null = false);

/// Feeds one input to its decoder and checks the invariants; aborts on a violation.
void run_input(const std::uint8_t* data, std::size_t size);

/// The largest single allocation seen during decodes so far, and the input size it came with.
struct allocation_record {
  std::size_t bytes = 0;
  std::size_t value_size = 0;
};
allocation_record largest_allocation();

}  // namespace pgwrap_fuzz
