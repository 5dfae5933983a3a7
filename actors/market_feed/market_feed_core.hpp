#pragma once
// market_feed: the ingress core. Every market-data message from a venue (live stream or
// capture) passes through it before it is journaled. It checks continuity per symbol and
// stream -- trade ids, aggTrade ids, depth update ids (U = previous u + 1) -- and reports
// a break as a FeedStatus gap (expected id, received id) ahead of the message.
// It also derives the data-time clock: before a message whose receive time crosses a
// tick boundary, one ClockTick at the latest crossed boundary (not one per skipped tick).
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "messages/message_types.hpp"

namespace trader {

struct FeedInput {  // one message entering the node from outside
  Actor source;     // market_feed for market data, timer for ticks
  std::int64_t recv_ts_ns;
  Message message;
};

class MarketFeedCore {
 public:
  explicit MarketFeedCore(std::int64_t tick_ms) : tick_ns_(tick_ms * 1'000'000) {}

  // Appends what enters the node for one received message: maybe a tick, maybe a gap
  // report, then the message itself.
  void on_market_data(std::int64_t recv_ts_ns, Message message, std::vector<FeedInput>& out);
  // End of a recorded feed.
  void on_end(std::int64_t recv_ts_ns, const std::string& detail, std::vector<FeedInput>& out);

  std::uint64_t gaps() const { return gaps_; }

 private:
  void check(const std::string& symbol, const char* stream, std::uint64_t first, std::uint64_t last,
             std::int64_t recv_ts_ns, std::vector<FeedInput>& out);

  std::int64_t tick_ns_;
  std::int64_t last_tick_ns_ = 0;
  std::map<std::pair<std::string, std::string>, std::uint64_t> last_id_;  // (symbol, stream) -> last id
  std::uint64_t gaps_ = 0;
};

}  // namespace trader
