#include "config/model_training.hpp"

namespace trader {

model::JournalTraining training_for(const NodeConfig& c) {
  model::JournalTraining t;
  t.interval_s = c.strategy.interval_s;
  t.features = c.xgb.features;
  t.candles = c.candles;
  t.cost = model::round_trip_cost(c.paper.fees_at(c.feed_venue()).taker_ppm / 100.0, c.paper.slippage_bps);
  return t;
}

}  // namespace trader
