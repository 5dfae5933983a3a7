#pragma once
// strategy kind "rule": the baseline, long-only, on candles of one interval
// (what the strategy actor does with its view: strategy_core.hpp):
//   features: fast and slow EMA of the close, momentum = close / close N candles ago - 1,
//             volatility = standard deviation of 1-candle returns over the slow window.
//   long  when fast EMA > slow EMA and momentum > entry_momentum_bps;
//   flat  when fast EMA < slow EMA;  otherwise keep the previous view.
//   confidence = min(1, |fast/slow - 1| / volatility / confidence_full_z);
//   entries use position_fraction of equity.
// Features use doubles (deterministic on one build: no -ffast-math); sizes are fixed point.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "actors/strategy/strategy_core.hpp"

namespace trader {

struct RuleStrategyConfig {
  std::string name = "rule:ema-momentum-v1";
  std::uint32_t interval_s = 60;
  std::vector<std::string> symbols;  // empty: every symbol with candles
  std::uint32_t fast_ema = 12;
  std::uint32_t slow_ema = 48;
  std::uint32_t momentum_candles = 10;
  double entry_momentum_bps = 5.0;
  double confidence_full_z = 2.0;
  std::uint32_t position_fraction_ppm = 200'000;  // 20% of equity per entry
  std::uint32_t reentry_cooldown_candles = 10;
  bool allow_short = false;  // the mirror of the long rule goes short (traded on perpetuals only)
  MarketRuleBook market;
  EntryOrder entry;
  SizingConfig sizing;
};

// The rule's view of each symbol.
class RuleView final : public StrategyView {
 public:
  explicit RuleView(RuleStrategyConfig config) : config_(std::move(config)) {}
  Result<std::optional<View>> evaluate(const Candle& c, Direction current) override;
  void save(StateWriter& w) const override;
  Status load(StateReader& r) override;
  std::uint32_t warmup_candles() const override {
    return std::max(config_.slow_ema, config_.momentum_candles + 1);  // what evaluate() waits for
  }

 private:
  struct Series {
    std::uint64_t candles = 0;
    double ema_fast = 0, ema_slow = 0;
    std::deque<double> closes;   // last momentum_candles + 1 closes
    std::deque<double> returns;  // last slow_ema returns
  };
  RuleStrategyConfig config_;
  std::map<std::string, Series> series_;
};

// A strategy actor core running the rule alone (a [strategy] config of kind "rule").
class RuleStrategyCore final : public StrategyCore {
 public:
  // combine: [combine] applies to one strategy too (weighted: its confidence must reach min_score).
  explicit RuleStrategyCore(const RuleStrategyConfig& config, const CombineConfig& combine = {});
};

}  // namespace trader
