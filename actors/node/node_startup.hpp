#pragma once
// What a node checks and prepares before its actors start, one step each, in the order
// run_node takes them. Every step that can refuse a start (the feed's files, the model,
// the venue and its keys, the control address) runs before the journal is touched; only
// then is an existing journal archived or replaced and the session begun.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/actor_core.hpp"
#include "actors/node/control_server.hpp"
#include "actors/node/node_runtime.hpp"
#include "actors/node/recovery.hpp"
#include "actors/node/venue_gateway.hpp"
#include "actors/node/wire.hpp"
#include "actors/venue_gateway/order_tracker.hpp"
#include "base/result.hpp"
#include "config/node_config.hpp"
#include "exchange/feed_source.hpp"
#include "exchange/venue.hpp"
#include "journal/journal.hpp"

namespace trader::node {

// The capture files, or the live stream (which connects when first read); with other
// venues ([feed.VENUE]) each venue's stream, merged in arrival order.
Result<std::unique_ptr<FeedSource>> open_feed_source(const NodeConfig& config, const std::atomic<bool>& stop);

// The orders the order core holds open, as the requests that opened them.
std::map<std::string, OrderRequest> open_requests(const Cores& cores);

// Testnet and live: each venue traded ([venue], then each [venue.VENUE]) reached and
// reconciled with the journal's state; what the venues say is journaled first
// (first_inputs), venue by venue. Paper: nothing.
struct VenueLink {
  VenueId id = VenueId::binance;
  std::unique_ptr<Venue> venue;
  OrderTracker tracker;       // the orders open at this venue
  VenueGatewayOptions options;
  std::int64_t timeout_ms = 5000;
};
struct VenueStart {
  std::vector<VenueLink> venues;
  std::vector<WireOutput> first_inputs;
};
// Orders the cores hold open (a resumed session's) are looked up at their venue with the
// trades the journal booked for them (booked_fills).
Result<VenueStart> connect_venue(const NodeConfig& config, const Cores& cores);

// The control API, bound (nullptr when control.listen is empty).
Result<std::unique_ptr<ControlServer>> start_control_api(const NodeConfig& config, caf::actor_system& system);

// The journal, opened for writing; `journal.if_exists` applied first unless resuming.
Result<std::shared_ptr<journal::Writer>> open_node_journal(const NodeConfig& config, bool resuming);

// The session begun: after a crash, the consequences it cut short are journaled and the
// recovered state is snapshotted first, and the new session records where it resumed.
struct SessionStart {
  std::uint64_t session_id = 0;
  std::uint64_t snapshot_seq = 0;  // the snapshot the session's state starts from (0: none)
  RunSummary known;                // what the summary knows before the run
};
Result<SessionStart> begin_node_session(journal::Writer& writer, const NodeConfig& config, const std::string& model_id,
                                        const Recovery* recovery, const Cores& cores);

}  // namespace trader::node
