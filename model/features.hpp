#pragma once
// Features of one symbol's candles (one interval), computed incrementally. The same code
// runs in the live strategy, in replay and in training, so a model sees in production
// exactly the numbers it was trained on. Computed in double, handed out as float (what
// XGBoost uses). Ready after kWarmup candles.
//
//   ret_1, ret_5, ret_15, ret_60   close / close n candles ago - 1
//   vol_15, vol_60                 standard deviation of 1-candle returns over n candles
//   rsi_14                         Wilder's RSI over 14 candles, scaled to 0..1
//   macd                           (EMA12 - EMA26) / close
//   macd_signal                    EMA9 of macd
//   macd_hist                      macd - macd_signal
//   volume_ratio                   volume / mean volume of the last 60 candles (1 if none)
//   vwap_dist                      close / volume-weighted price of the last 60 candles - 1
//   range_pct                      (high - low) / close
//   hour_sin, hour_cos             time of day of the candle's close (UTC), on the circle
#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>

#include "actors/state_codec.hpp"
#include "base/result.hpp"
#include "messages/message_types.hpp"

namespace trader::model {

inline constexpr std::size_t kFeatureCount = 15;
inline constexpr std::size_t kWarmup = 61;
using FeatureRow = std::array<float, kFeatureCount>;

// The names above, in row order (journaled with models, printed by tools).
const std::array<std::string_view, kFeatureCount>& feature_names();

class FeatureBuilder {
 public:
  // Adds a closed candle; returns the features once warmed up.
  std::optional<FeatureRow> add(const Candle& c);
  std::uint64_t candles() const { return candles_; }

  void save(StateWriter& w) const;
  Status load(StateReader& r);

 private:
  std::uint64_t candles_ = 0;
  std::deque<double> closes_;   // last 61
  std::deque<double> returns_;  // last 60 one-candle returns
  std::deque<double> volumes_;  // last 60
  std::deque<double> pv_;       // last 60 price * volume
  double ema12_ = 0, ema26_ = 0, macd_signal_ = 0;
  double avg_gain_ = 0, avg_loss_ = 0;
};

}  // namespace trader::model
