#include "messages/fixed_point.hpp"
#include "messages/fixed_point_display.hpp"

#include <limits>

namespace trader {
namespace {

constexpr std::uint64_t kPow10[19] = {1ULL,
                                      10ULL,
                                      100ULL,
                                      1'000ULL,
                                      10'000ULL,
                                      100'000ULL,
                                      1'000'000ULL,
                                      10'000'000ULL,
                                      100'000'000ULL,
                                      1'000'000'000ULL,
                                      10'000'000'000ULL,
                                      100'000'000'000ULL,
                                      1'000'000'000'000ULL,
                                      10'000'000'000'000ULL,
                                      100'000'000'000'000ULL,
                                      1'000'000'000'000'000ULL,
                                      10'000'000'000'000'000ULL,
                                      100'000'000'000'000'000ULL,
                                      1'000'000'000'000'000'000ULL};

constexpr unsigned __int128 kLimit = static_cast<unsigned __int128>(std::numeric_limits<std::int64_t>::max()) + 1;

// A magnitude as an int64 of its sign, or nothing when it does not fit.
std::optional<std::int64_t> signed_value(unsigned __int128 magnitude, bool negative) {
  if (negative) {
    if (magnitude > kLimit) return std::nullopt;
    return static_cast<std::int64_t>(-static_cast<__int128>(magnitude));
  }
  if (magnitude >= kLimit) return std::nullopt;
  return static_cast<std::int64_t>(magnitude);
}

// The text exchanges send ("61737.63000000", "0.00100000"): an optional sign, at most 18
// digits with at most one '.', nothing else. Those fit a uint64 as they are, so the value
// takes one product or one division instead of 128-bit work per digit (the general parser
// below was an eighth of an import). False: not such text, the general parser decides
// (every error included); true: `out` is the result, the general parser's to the bit
// (the unit tests compare the two on random text).
bool parse_plain_decimal(std::string_view text, int decimals, std::optional<std::int64_t>& out) {
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  std::uint64_t digits = 0;
  const std::size_t first = i;
  // The whole part, then (after a '.') the fraction: two tight loops, no state per digit.
  const auto take_digits = [&] {
    for (; i < text.size(); ++i) {
      const unsigned d = static_cast<unsigned>(text[i] - '0');
      if (d > 9) break;
      digits = digits * 10 + d;
    }
  };
  take_digits();
  const std::size_t whole_end = i;
  if (i < text.size() && text[i] == '.') {
    ++i;
    take_digits();
  }
  if (i != text.size()) return false;  // anything else: the general parser decides
  const int fraction = static_cast<int>(i - whole_end) - (whole_end < i ? 1 : 0);
  const int count = static_cast<int>(i - first) - (whole_end < i ? 1 : 0);
  if (count > 18) return false;  // `digits` may have wrapped: the general parser decides
  if (count == 0) return false;
  if (fraction > decimals) {  // more decimals than the scale: exact only if they are zeros
    const std::uint64_t drop = kPow10[fraction - decimals];
    out = digits % drop != 0 ? std::nullopt : signed_value(digits / drop, negative);
    return true;
  }
  out = signed_value(static_cast<unsigned __int128>(digits) * kPow10[decimals - fraction], negative);
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_fixed(std::string_view text, int decimals) {
  if (decimals < 0 || decimals > 18) return std::nullopt;
  if (std::optional<std::int64_t> plain; parse_plain_decimal(text, decimals, plain)) return plain;
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';

  // value = digits * 10^exp10, built from the significant digits only.
  constexpr int kMaxDigits = 36;  // keeps every product below in 128 bits
  unsigned __int128 digits = 0;
  int significant = 0;
  int exp10 = 0;
  int pending_zeros = 0;  // zeros seen after the last non-zero digit, not yet multiplied in
  bool any_digit = false, in_fraction = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.') {
      if (in_fraction) return std::nullopt;
      in_fraction = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    any_digit = true;
    if (in_fraction) --exp10;
    if (c == '0') {
      ++pending_zeros;  // trailing zeros never need to be multiplied in
      continue;
    }
    if (significant > 0) {
      significant += pending_zeros;
      if (significant + 1 > kMaxDigits) return std::nullopt;
      for (; pending_zeros > 0; --pending_zeros) digits *= 10;
    }
    pending_zeros = 0;
    digits = digits * 10 + static_cast<unsigned>(c - '0');
    ++significant;
  }
  if (!any_digit) return std::nullopt;
  exp10 += pending_zeros;  // the zeros dropped after the last significant digit
  if (i < text.size()) {   // an exponent: e.g. "5.4e-05" as written by float formatters
    if (text[i] != 'e' && text[i] != 'E') return std::nullopt;
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) exp_negative = text[i++] == '-';
    int e = 0;
    bool exp_digit = false;
    for (; i < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      e = e * 10 + (text[i] - '0');
      exp_digit = true;
      if (e > 1000) return std::nullopt;
    }
    if (!exp_digit) return std::nullopt;
    exp10 += exp_negative ? -e : e;
  }

  int shift = exp10 + decimals;  // scaled = digits * 10^shift, exactly or not at all
  if (digits == 0) return 0;
  for (; shift < 0; ++shift) {
    if (digits % 10 != 0) return std::nullopt;  // more precision than the scale holds
    digits /= 10;
  }
  for (; shift > 0; --shift) {
    digits *= 10;
    if (digits > kLimit) return std::nullopt;
  }
  return signed_value(digits, negative);
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

std::optional<std::int64_t> narrow_checked(__int128 v) {
  if (v < std::numeric_limits<std::int64_t>::min() || v > std::numeric_limits<std::int64_t>::max()) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

std::optional<std::int64_t> mul_fixed_checked(std::int64_t a, std::int64_t b, std::int64_t scale) {
  return narrow_checked(static_cast<__int128>(a) * b / scale);  // |a*b| < 2^126: no 128-bit overflow
}

std::optional<std::int64_t> div_fixed_checked(std::int64_t a, std::int64_t b, std::int64_t scale) {
  if (b <= 0) return std::nullopt;
  return narrow_checked(static_cast<__int128>(a) * scale / b);
}

std::optional<std::int64_t> add_checked(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

double fixed_to_double(std::int64_t fixed) { return static_cast<double>(fixed) / static_cast<double>(kFixedScale); }

std::string format_checked(const std::optional<std::int64_t>& v) { return v ? format_fixed(*v) : "(out of range)"; }

std::string percent_of_ppm(std::int64_t ppm) {
  const std::uint64_t a = ppm < 0 ? 0 - static_cast<std::uint64_t>(ppm) : static_cast<std::uint64_t>(ppm);
  const auto hundredths = a / 100 % 100;
  return (ppm < 0 ? "-" : "") + std::to_string(a / 10'000) + (hundredths < 10 ? ".0" : ".") +
         std::to_string(hundredths) + "%";
}

}  // namespace trader
