#pragma once
// The market feed's CAF actor (detached: it blocks on its source). It reads a capture or
// the live stream, paces a capture at the configured speed, and runs each message through
// MarketFeedCore (ticks, id gaps, implausible times); on each request it answers with the
// next external inputs, each marked with its feed position. After a crash it fast-forwards
// a capture past what the journal already holds.
#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "actors/market_feed/market_feed_core.hpp"
#include "actors/node/wire.hpp"
#include "exchange/feed_source.hpp"

namespace trader::node {

struct FeedStats {
  std::atomic<std::uint64_t> lines{0}, malformed{0}, unknown{0}, gaps{0}, filtered{0}, implausible{0};
};

struct FeedState {
  std::unique_ptr<FeedSource> stream;  // a capture, or the live stream
  std::unique_ptr<MarketFeedCore> core;
  std::set<std::string> symbols;  // empty: all
  std::set<std::string> unknown_seen;
  double speed = 0;
  std::int64_t first_data_ns = 0, start_wall_ns = 0;
  bool ended = false;
  std::int64_t last_ts = 0;
  const std::atomic<bool>* stop = nullptr;
  std::shared_ptr<FeedStats> stats;
  // Resuming after a crash: items before `resume_item` were journaled already (they only
  // rebuild the feed's state); of item `resume_item`, the first `resume_skip` inputs were.
  std::uint64_t resume_item = 0, resume_skip = 0;
};

feed_actor::behavior_type feed_fn(feed_actor::stateful_pointer<FeedState> self, std::shared_ptr<FeedState> init);

}  // namespace trader::node
