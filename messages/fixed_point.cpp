#include "messages/fixed_point.hpp"

#include <limits>

namespace trader {

std::optional<std::int64_t> parse_fixed(std::string_view text, int decimals) {
  if (decimals < 0 || decimals > 18) return std::nullopt;
  bool negative = false;
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) {
    negative = text[i] == '-';
    ++i;
  }
  unsigned __int128 acc = 0;
  // Magnitude of INT64_MIN; anything above it cannot be represented. The accumulator is
  // capped far below the 128-bit range so multiplying by 10 can never wrap.
  constexpr unsigned __int128 kLimit = static_cast<unsigned __int128>(std::numeric_limits<std::int64_t>::max()) + 1;
  constexpr unsigned __int128 kCap = kLimit * 1'000'000'000'000'000'000ULL;
  bool any_digit = false;
  for (; i < text.size() && text[i] != '.'; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    acc = acc * 10 + static_cast<unsigned>(c - '0');
    any_digit = true;
    if (acc > kCap) return std::nullopt;
  }
  int frac_digits = 0;
  if (i < text.size()) {  // at '.'
    ++i;
    for (; i < text.size(); ++i) {
      const char c = text[i];
      if (c < '0' || c > '9') return std::nullopt;
      any_digit = true;
      if (frac_digits < decimals) {
        acc = acc * 10 + static_cast<unsigned>(c - '0');
        ++frac_digits;
        if (acc > kCap) return std::nullopt;
      } else if (c != '0') {
        return std::nullopt;  // more precision than the scale holds
      }
    }
  }
  if (!any_digit) return std::nullopt;
  for (; frac_digits < decimals; ++frac_digits) {
    acc *= 10;
    if (acc > kCap) return std::nullopt;
  }
  if (negative) {
    if (acc > kLimit) return std::nullopt;
    return static_cast<std::int64_t>(-static_cast<__int128>(acc));
  }
  if (acc >= kLimit) return std::nullopt;
  return static_cast<std::int64_t>(acc);
}

std::string format_fixed(std::int64_t value, int decimals) {
  const bool negative = value < 0;
  // Work in unsigned 128 so INT64_MIN has a magnitude.
  unsigned __int128 mag = negative ? static_cast<unsigned __int128>(-static_cast<__int128>(value))
                                   : static_cast<unsigned __int128>(value);
  char digits[48];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + static_cast<int>(mag % 10));
    mag /= 10;
  } while (mag != 0);
  while (n <= decimals) digits[n++] = '0';  // at least one integer digit
  // digits[] is little-endian: [0, decimals) fractional, the rest integer.
  int frac_end = 0;  // number of trailing fractional zeros to drop
  while (frac_end < decimals && digits[frac_end] == '0') ++frac_end;
  std::string out;
  out.reserve(static_cast<std::size_t>(n) + 2);
  if (negative) out.push_back('-');
  for (int k = n - 1; k >= decimals; --k) out.push_back(digits[k]);
  if (frac_end < decimals) {
    out.push_back('.');
    for (int k = decimals - 1; k >= frac_end; --k) out.push_back(digits[k]);
  }
  return out;
}

std::int64_t mul_fixed(std::int64_t a, std::int64_t b, std::int64_t scale) {
  return static_cast<std::int64_t>(static_cast<__int128>(a) * b / scale);
}

}  // namespace trader
