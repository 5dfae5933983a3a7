#pragma once
// Bytes as lowercase hex, two digits a byte: hashes, signatures, ids. The one encoder.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace trader {

inline void append_hex(std::string& out, std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out.reserve(out.size() + 2 * bytes.size());
  for (const std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
}

inline std::string to_hex(std::span<const std::uint8_t> bytes) {
  std::string out;
  append_hex(out, bytes);
  return out;
}

}  // namespace trader
