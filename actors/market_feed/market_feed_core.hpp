#pragma once
// market_feed: the ingress core. Every market-data message from a venue (live stream or
// capture) passes through it before it is journaled. It checks continuity per symbol and
// stream -- trade ids, aggTrade ids, depth update ids (U = previous u + 1) -- and reports
// a break as a FeedStatus gap (expected id, received id) ahead of the message.
// It also derives the data-time clock: before a message whose receive time crosses a
// tick boundary, one ClockTick at the latest crossed boundary (not one per skipped tick).
// A trade, aggTrade or kline whose exchange time is further than `max_time_skew_ms` from
// its receive time is not let in: an `implausible_exchange_time` error record takes its
// place. Real frames are within a second or two; a garbled time (seconds for
// milliseconds, a far-future year) would otherwise open candles years away and make
// every later trade "late".
#include <cstdint>
#include <map>
#include <optional>
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
  // max_time_skew_ms = 0: exchange times are not checked (what-if re-reads what was let in).
  explicit MarketFeedCore(std::int64_t tick_ms, std::int64_t max_time_skew_ms = 0)
      : tick_ns_(tick_ms * 1'000'000), max_skew_ms_(max_time_skew_ms) {}

  // Appends what enters the node for one received message: maybe a tick, maybe a gap
  // report, then the message itself.
  void on_market_data(std::int64_t recv_ts_ns, Message message, std::vector<FeedInput>& out);
  // End of a recorded feed.
  void on_end(std::int64_t recv_ts_ns, const std::string& detail, std::vector<FeedInput>& out);

  std::uint64_t gaps() const { return gaps_; }
  std::uint64_t implausible_times() const { return implausible_; }

 private:
  void check(const std::string& symbol, const char* stream, std::uint64_t first, std::uint64_t last,
             std::int64_t recv_ts_ns, std::vector<FeedInput>& out);

  // The error that replaces a message whose exchange time is implausible, if it is.
  std::optional<ErrorReport> implausible_time(const Message& message, std::int64_t recv_ts_ns) const;

  std::int64_t tick_ns_;
  std::int64_t max_skew_ms_;
  std::uint64_t implausible_ = 0;
  std::int64_t last_tick_ns_ = 0;
  std::map<std::pair<std::string, std::string>, std::uint64_t> last_id_;  // (symbol, stream) -> last id
  std::uint64_t gaps_ = 0;
};

}  // namespace trader
