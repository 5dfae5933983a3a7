#pragma once
// Conditioning on the regime (regime_classifier.hpp): which regimes a strategy trades in,
// and how risk scales an entry's size in each. Pure values, read from the config.
#include <cstdint>
#include <string>

#include "actors/regime/regime_classifier.hpp"
#include "messages/message_types.hpp"

namespace trader {

// The candles a symbol's regime is read from ([regime]), and how.
struct RegimeSettings {
  std::uint32_t interval_s = 3600;
  RegimeConfig classifier;
};

// The regimes a strategy trades in: a trend and a volatility each among the allowed (a bit
// per enum value; all set: any). Outside them its view counts as flat.
struct RegimeFilter {
  std::uint8_t trends = 0b111, volatilities = 0b111;
  bool any() const { return trends == 0b111 && volatilities == 0b111; }
  bool allows(TrendRegime t, VolatilityRegime v) const {
    return (trends >> static_cast<unsigned>(t) & 1U) != 0 && (volatilities >> static_cast<unsigned>(v) & 1U) != 0;
  }
  bool operator==(const RegimeFilter&) const = default;
};

// Risk's factor on an entry's size in each regime, in ppm of the size (1'000'000: as is).
// The trend's and the volatility's factors multiply.
struct RegimeSizeFactors {
  std::uint32_t range = 1'000'000, up = 1'000'000, down = 1'000'000;
  std::uint32_t low_vol = 1'000'000, normal_vol = 1'000'000, high_vol = 1'000'000;
  bool any() const {
    return range != 1'000'000 || up != 1'000'000 || down != 1'000'000 || low_vol != 1'000'000 ||
           normal_vol != 1'000'000 || high_vol != 1'000'000;
  }
  std::uint32_t of(TrendRegime t) const { return t == TrendRegime::up ? up : t == TrendRegime::down ? down : range; }
  std::uint32_t of(VolatilityRegime v) const {
    return v == VolatilityRegime::high ? high_vol : v == VolatilityRegime::low ? low_vol : normal_vol;
  }
};

}  // namespace trader
