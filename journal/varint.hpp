#pragma once
// Internal: LEB128 varints and zigzag, for the compacted blocks' streams.
#include <cstdint>
#include <span>
#include <vector>

namespace trader::journal {

inline void put_varint(std::vector<std::uint8_t>& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

// False when `in` ends inside the varint or it runs past 64 bits.
inline bool get_varint(std::span<const std::uint8_t> in, std::size_t& at, std::uint64_t& v) {
  v = 0;
  for (unsigned shift = 0; shift < 64 && at < in.size(); shift += 7) {
    const std::uint8_t b = in[at++];
    v |= std::uint64_t{b & 0x7fu} << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

// A difference taken in unsigned arithmetic (it wraps, and adding it back undoes it
// exactly), folded so that small negative numbers are small too.
inline std::uint64_t zigzag(std::uint64_t difference) {
  return (difference << 1) ^ (0 - (difference >> 63));
}
inline std::uint64_t unzigzag(std::uint64_t z) { return (z >> 1) ^ (0 - (z & 1)); }

}  // namespace trader::journal
