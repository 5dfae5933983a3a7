#pragma once
// The rule strategy the unit tests trade with: short averages on 1-minute candles, so a
// few dozen candles give a view, and a lot and a minimum order value small enough for a
// 10000 equity to enter.
#include "actors/strategy/rule_strategy_core.hpp"
#include "core_harness.hpp"

namespace trader::test {

inline RuleStrategyConfig fast_rule() {
  RuleStrategyConfig c;
  c.interval_s = 60;
  c.fast_ema = 3;
  c.slow_ema = 6;
  c.momentum_candles = 3;
  c.entry_momentum_bps = 5;
  c.position_fraction_ppm = 200'000;
  c.reentry_cooldown_candles = 0;
  c.market.every_symbol.lot_step = px(0.001);
  c.market.every_symbol.min_notional = px(5);
  return c;
}

}  // namespace trader::test
