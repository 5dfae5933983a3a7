#pragma once
// Runs the live node: the market feed, the six business actors and the journal actor as
// CAF actors. The journal actor drives the node's schedule, the Sequencer
// (actors/sequencer/sequencer.hpp, which states the rule), the same class replay drives;
// the feed's core decides next to it, so its state is the journal's. The start-up steps
// (feed, venue, control API, journal, session) are in node_startup.hpp.
#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "actors/core_factory/core_factory.hpp"
#include "base/result.hpp"
#include "config/node_config.hpp"
#include "messages/message_types.hpp"

namespace trader::node {

struct RunSummary {
  std::uint64_t session_id = 0;
  std::uint64_t first_seq = 0, last_seq = 0;
  std::map<Actor, std::uint64_t> by_source;
  std::map<std::uint16_t, std::uint64_t> by_type;
  std::uint64_t cancels = 0;  // order requests that cancel (by_type counts them with the orders)
  PortfolioState portfolio;  // the last one published
  // What the feed handed in: items (messages, statuses, unreadable frames; a Coinbase frame
  // of several trades is several), of them malformed and of unknown streams.
  std::uint64_t feed_items = 0, malformed_lines = 0, unknown_stream_lines = 0;
  std::uint64_t gaps = 0, implausible_times = 0, stale_ids = 0;  // the feed core's decisions
  std::string end_reason;
  std::string feed_failure;  // the feed's read error, if it ended on one (the run then failed)
  // The portfolio's reports that it lost its book ("seq N: ...", PortfolioCore::lost_book):
  // risk halted, and the run failed.
  std::vector<std::string> lost_book;
  // Fills whose fee the book could not value (in BNB, say): left out of its fees and PnL.
  std::uint64_t unvalued_fee_fills = 0;
  double wall_seconds = 0;
  std::uint64_t decisions = 0;
  std::string decision_hash;  // replay/decision_hash.hpp
  std::uint64_t snapshots = 0;
  std::uint64_t deliveries = 0;   // messages handed to an actor
  std::uint64_t round_trips = 0;  // of those, the ones whose answer the sequencer awaited (bench: the shell's cost)
  // Wall-clock ns from a market-data message entering market_feed to each order request
  // it caused being sequenced (the order actor's output). Measurement only.
  std::vector<std::int64_t> tick_to_order_ns;
  // For each of those, the deliveries between the input and the order request (hops).
  std::vector<std::uint32_t> tick_to_order_hops;
  // Set when the run resumed a journal (journal.if_exists = "resume").
  bool resumed = false;
  std::uint64_t resumed_session = 0, resumed_from_snapshot = 0, recovery_replayed = 0, recovery_completed = 0;
  std::string resumed_session_end;
};

// Runs until the feed ends or `stop` becomes true (then it drains what is queued, closes
// the session and returns). The journal holds everything on return. `factory` builds the
// business cores (tests hand it their own; a resume uses it too).
Result<RunSummary> run_node(const NodeConfig& config, const std::atomic<bool>& stop,
                            const CoreFactory& factory = make_cores);

}  // namespace trader::node
