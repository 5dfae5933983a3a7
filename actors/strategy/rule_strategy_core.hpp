#pragma once
// strategy (kind "rule"): the baseline until the XGBoost strategy lands. Long-only on
// candles of one interval:
//   features: fast and slow EMA of the close, momentum = close / close N candles ago - 1,
//             volatility = standard deviation of 1-candle returns over the slow window.
//   long  when fast EMA > slow EMA and momentum > entry_momentum_bps;
//   flat  when fast EMA < slow EMA;  otherwise keep the previous view.
//   confidence = min(1, |fast/slow - 1| / volatility / confidence_full_z).
// A change of view emits a Signal (direction, confidence, reason). Whenever the view and
// the position disagree (level-triggered), an intent follows: entering, a market buy for
// position_fraction of equity rounded down to the lot step; exiting, a market sell of the
// whole position. No new intent while one is undecided or its order works, no entry
// while risk is HALTED or REDUCING (exits still go unless HALTED), and no entry for
// `reentry_cooldown_candles` after a position closes or an intent is rejected.
// Features use doubles (deterministic on one build: no -ffast-math); sizes are fixed point.
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "actors/actor_core.hpp"
#include "actors/market_rules.hpp"

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
  MarketRules market;
};

class RuleStrategyCore final : public ActorCore {
 public:
  explicit RuleStrategyCore(RuleStrategyConfig config);
  Actor id() const override { return Actor::strategy; }
  void on(const Delivery& in, Outbox& out) override;
  void save(StateWriter& w) const override;
  Status load(StateReader& r) override;

 private:
  struct SymbolState {
    std::uint64_t candles = 0;
    double ema_fast = 0, ema_slow = 0;
    std::deque<double> closes;   // last momentum_candles + 1 closes
    std::deque<double> returns;  // last slow_ema returns
    Direction view = Direction::flat;
    bool pending = false;        // an intent undecided or its order working
    std::uint64_t pending_intent = 0;
    std::int64_t held = 0;
    std::uint64_t cooldown_until = 0;  // candle count before which no entry
  };
  void on_candle(const Candle& c, const Delivery& in, Outbox& out);
  bool wants(const std::string& symbol) const;

  RuleStrategyConfig config_;
  std::map<std::string, SymbolState> symbols_;
  std::int64_t equity_ = 0;
  bool have_equity_ = false;
  TradingState risk_state_ = TradingState::active;
};

}  // namespace trader
