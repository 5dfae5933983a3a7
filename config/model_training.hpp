#pragma once
// What a config's model is trained on, written once for `train` and a sweep's folds: the
// strategy's candle interval and features, how candles are built, and the round trip a
// label's forward return must beat (the feed venue's taker fee and the paper slippage,
// each way). The caller adds the journal, the span and the horizon.
#include "config/node_config.hpp"
#include "model/journal_training.hpp"

namespace trader {

model::JournalTraining training_for(const NodeConfig& c);

}  // namespace trader
