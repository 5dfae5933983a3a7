#pragma once
// A model's feature row from several intervals of one symbol (multi-timeframe features):
// its columns are (interval, feature) pairs, e.g. ret_1 and vol_15 of the strategy's own 1m
// candles, rsi_14 of 1h candles and macd of 4h and 1d ones. A column of the strategy's own
// interval is named as in features.hpp ("ret_1"), another's with it ("rsi_14@1h").
//
// The rule, one for node, replay and `train` (all three read a symbol's candles in journal
// order): a candle of another interval updates that interval's features as it arrives; each
// candle of the strategy's interval forms a row from its own features and the latest of the
// others. The candle builder publishes the candles one input closes in ascending interval
// order, so the 1h candle closing at 10:00 comes after the 1m candle closing at 10:00: the
// 10:00 row holds the 1h features as of 9:00, never a value from after its own close.
// A row is ready once every interval it reads has had kWarmup candles.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/features.hpp"

namespace trader::model {

struct FeatureColumn {
  std::uint32_t interval_s = 60;
  std::size_t feature = 0;  // index into feature_names()
  std::string name;         // "ret_1" on the strategy's interval, else "rsi_14@1h"
  bool operator==(const FeatureColumn&) const = default;
};

// Every feature of one interval in features.hpp order: what a model trained without
// `features` in its config reads.
std::vector<FeatureColumn> default_columns(std::uint32_t interval_s);

// The columns a strategy reads: `configured`, or default_columns(base) when none are.
std::vector<FeatureColumn> columns_or_default(std::uint32_t base_interval_s, const std::vector<FeatureColumn>& configured);

// The intervals the columns read, ascending, the base among them.
std::vector<std::uint32_t> column_intervals(std::uint32_t base_interval_s, const std::vector<FeatureColumn>& columns);

// Candles of the base interval before the first row: the slowest interval's kWarmup
// candles, plus one of it (its candle closing with a base candle is seen after it).
std::uint32_t warmup_candles(std::uint32_t base_interval_s, const std::vector<FeatureColumn>& columns);

// One symbol's features over the intervals its columns read.
class TimeframeFeatures {
 public:
  TimeframeFeatures(std::uint32_t base_interval_s, std::vector<FeatureColumn> columns);
  // A candle of the base interval: the row once every interval is warm. A candle of
  // another interval the columns read: updates it, nullopt. Any other: ignored.
  std::optional<std::vector<float>> add(const Candle& c);

  // The base interval's state first, byte for byte FeatureBuilder's (a default-column
  // model's snapshot is what it was before other intervals existed), then each other
  // interval's with its latest row.
  void save(StateWriter& w) const;
  Status load(StateReader& r);

 private:
  struct Frame {
    FeatureBuilder builder;
    std::optional<FeatureRow> latest;  // of its last candle (other intervals only)
  };
  std::uint32_t base_interval_s_;
  std::vector<FeatureColumn> columns_;
  std::map<std::uint32_t, Frame> frames_;  // per interval read, the base included
};

}  // namespace trader::model
