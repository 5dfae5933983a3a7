#pragma once
// A symbol's market regime from its candles, a pure function of the last returns:
//  - trend: the t-statistic of the least-squares slope of the price path (log price, as
//    the running sum of returns) over the last `trend_window` returns. |t| >= trend_t is a
//    trend, up or down by its sign; else a range.
//  - volatility: the variance of the last `vol_window` returns, ranked among its own last
//    `vol_history` values: at or above the high_vol rank is high, at or below the low_vol
//    one is low, else normal.
// Returns are close to close in integer ppm, clamped to +-100% (as the correlation limit
// counts them); sums are 128-bit and t is compared squared, so a regime is exact and the
// same on every build. The sums stay in 128 bits for windows up to kMaxRegimeWindow and
// trend_t up to kMaxTrendTCenti: the config ([regime]) refuses more, and windows under 2.
// No regime until both windows are full and the volatility has `vol_history` values to be
// ranked among. The strategy actor runs one per symbol (strategy_core.hpp).
#include <cstdint>
#include <deque>
#include <optional>

#include "actors/state_codec.hpp"
#include "base/result.hpp"
#include "messages/message_types.hpp"

namespace trader {

inline constexpr std::uint32_t kMaxRegimeWindow = 200;
inline constexpr std::uint32_t kMaxTrendTCenti = 10'000;

struct RegimeConfig {
  std::uint32_t trend_window = 24;       // returns in the trend's slope (2..kMaxRegimeWindow)
  std::uint32_t trend_t_centi = 500;     // |t| at or above this (in hundredths: 5.00) is a trend
  std::uint32_t vol_window = 24;         // returns in the realized variance (2..kMaxRegimeWindow)
  std::uint32_t vol_history = 168;       // past variances the current one is ranked among
  std::uint32_t high_vol_ppm = 800'000;  // rank at or above: high volatility
  std::uint32_t low_vol_ppm = 200'000;   // rank at or below: low volatility
};

struct RegimeReading {
  TrendRegime trend = TrendRegime::range;
  VolatilityRegime volatility = VolatilityRegime::normal;
  std::int32_t trend_t_centi = 0;  // t, in hundredths, rounded toward zero
  std::uint32_t vol_rank_ppm = 0;  // share of the past variances below the current one
  bool operator==(const RegimeReading&) const = default;
};

// One symbol's candles of one interval, in time order.
class RegimeClassifier {
 public:
  explicit RegimeClassifier(RegimeConfig config) : config_(config) {}
  // The regime after this candle; nullopt while warming up.
  std::optional<RegimeReading> add(const Candle& c);
  // Candles before the first regime.
  std::uint32_t warmup_candles() const;

  void save(StateWriter& w) const;
  Status load(StateReader& r);

 private:
  RegimeConfig config_;
  std::int64_t prev_close_ = 0;
  std::deque<std::int64_t> returns_;   // the last max(trend_window, vol_window), ppm
  std::deque<__int128> variances_;     // the last vol_history (n * sum r^2 - (sum r)^2)
};

}  // namespace trader
