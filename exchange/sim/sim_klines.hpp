#pragma once
// exchange-sim's kline history: GET /api/v3/klines (and /fapi/v1/klines) from the closed
// klines of its captures. The binance_usdm personality, whose captures hold trades but no
// klines, gets 1-minute klines rolled up from those trades (for each symbol without any): open, high, low and close,
// volume and quote volume, the count, the taker buys. Times are the venue's (the capture's
// moved by the sim's clock offset), and a kline is served once it is over by the venue's
// clock, as Binance does. Only the interval a symbol's klines were recorded in is served
// (-1120 otherwise); a symbol the sim trades but has no klines of gets an empty list.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "exchange/sim/sim_venue.hpp"
#include "messages/message_types.hpp"

namespace trader::sim {

class SimKlines {
 public:
  // A closed kline of a capture, in capture time; each symbol's in order.
  void add(const Kline& k);
  // A trade of a capture (the venue's symbol, trade time), in order: rolled into 1-minute
  // klines, kept for symbols that end up with no recorded klines (finish_trades).
  void add_trade(const Trade& t);
  void finish_trades();
  // The answer to /api/v3/klines (symbol, interval, startTime, endTime, limit: default
  // 500, at most 1000). `known`: whether the sim trades the symbol at all.
  VenueResult<std::string> answer(const Params& p, bool known, std::int64_t now_ms, std::int64_t offset_ms) const;
  std::size_t size() const;
  bool has(const std::string& symbol) const { return by_symbol_.count(symbol) > 0; }

 private:
  std::map<std::string, std::vector<Kline>> by_symbol_;
  std::map<std::string, std::vector<Kline>> rolled_;  // from trades, until finish_trades
};

}  // namespace trader::sim
