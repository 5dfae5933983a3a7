#pragma once
// The closed candles of some intervals in a journal, per symbol and in journal order (the
// order a strategy sees them): the journaled candles when there are some of every interval
// asked for (a node or what-if run), otherwise all built from the journal's trades or
// klines by the node's own candle builder (an imported capture).
#include <map>
#include <string>
#include <vector>

#include "actors/candle_builder/candle_builder_core.hpp"
#include "base/result.hpp"

namespace trader::model {

struct JournalCandles {
  std::map<std::string, std::vector<Candle>> by_symbol;
  bool built = false;  // true when built from market data
  std::uint64_t first_seq = 0, last_seq = 0;
  std::string chain_head;
};

Result<JournalCandles> journal_candles(const std::string& dir, const std::vector<std::uint32_t>& intervals_s,
                                       const CandleBuilderConfig& builder);

}  // namespace trader::model
