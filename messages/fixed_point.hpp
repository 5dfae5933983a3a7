#pragma once
// Fixed-point numbers: prices, quantities and money are int64 scaled by 10^8
// (Binance's precision). Parsing is exact; a value that needs more than 8 decimals
// or does not fit is an error, never a rounding.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace trader {

inline constexpr int kFixedDecimals = 8;
inline constexpr std::int64_t kFixedScale = 100'000'000;
// Ratios in messages and config (confidence, fractions, correlations) are parts per million.
inline constexpr std::int64_t kPpm = 1'000'000;

// "61737.63000000" -> 6173763000000. Accepts an optional sign, digits, an optional '.'
// and an optional exponent ("5.4e-05", as float formatters write it); the value must be
// exact at the scale (extra trailing zeros are fine, a ninth significant decimal is not).
std::optional<std::int64_t> parse_fixed(std::string_view text, int decimals = kFixedDecimals);

// Exact decimal string with trailing zeros trimmed: 6173763000000 -> "61737.63".
std::string format_fixed(std::int64_t value, int decimals = kFixedDecimals);

// a * b / scale, rounded toward zero, computed in 128 bits (price * qty -> notional).
// Only where the result provably fits (e.g. below a configured cap); otherwise use the
// checked form and refuse the action on nullopt.
std::int64_t mul_fixed(std::int64_t a, std::int64_t b, std::int64_t scale = kFixedScale);

// Checked arithmetic: std::nullopt when the exact result does not fit in int64 (then the
// caller journals an arithmetic_overflow error and refuses what it was about to do).
std::optional<std::int64_t> narrow_checked(__int128 v);
std::optional<std::int64_t> mul_fixed_checked(std::int64_t a, std::int64_t b, std::int64_t scale = kFixedScale);
// a * scale / b, toward zero (quote budget / price -> quantity); b must be positive.
std::optional<std::int64_t> div_fixed_checked(std::int64_t a, std::int64_t b, std::int64_t scale = kFixedScale);
std::optional<std::int64_t> add_checked(std::int64_t a, std::int64_t b);
// Whether a quantity (a holding, a position) computed in 128 bits may be kept: it fits in
// int64 and so does its size, since every reader of a short negates it and -INT64_MIN is
// no int64. Quantities stop at +-INT64_MAX; a fill beyond is refused like any overflow.
inline bool quantity_fits(__int128 q) {
  return q > std::numeric_limits<std::int64_t>::min() && q <= std::numeric_limits<std::int64_t>::max();
}
// A signed quantity's size (a short's too): defined for every quantity kept, by the above.
inline std::int64_t quantity_size(std::int64_t q) { return q < 0 ? -q : q; }

}  // namespace trader
