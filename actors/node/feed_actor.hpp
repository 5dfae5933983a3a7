#pragma once
// The market feed's CAF actor (detached: it blocks on its source). It reads a capture or
// the live stream, paces a capture at the configured speed, and on each request answers
// with the next received messages, each marked with its feed position (statuses and
// frames it could not read become records of their own). Their ticks, gaps and refusals
// are the feed core's to decide, next to the journal (MarketFeedCore), so its state is
// always the journal's. After a crash it fast-forwards a capture to where the journal
// stops.
#include <atomic>
#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "actors/node/wire.hpp"
#include "exchange/feed_source.hpp"

namespace trader::node {

struct FeedStats {
  std::atomic<std::uint64_t> lines{0}, malformed{0}, unknown{0}, filtered{0};
};

struct FeedState {
  std::unique_ptr<FeedSource> stream;  // a capture, or the live stream
  std::set<std::string> symbols;  // empty: all
  std::set<std::string> unknown_seen;
  double speed = 0;
  std::int64_t first_data_ns = 0, start_wall_ns = 0;
  bool ended = false;
  std::int64_t last_ts = 0;
  const std::atomic<bool>* stop = nullptr;
  std::shared_ptr<FeedStats> stats;
  // Resuming after a crash: items before `resume_item` were journaled already.
  std::uint64_t resume_item = 0;
};

feed_actor::behavior_type feed_fn(feed_actor::stateful_pointer<FeedState> self, std::shared_ptr<FeedState> init);

}  // namespace trader::node
