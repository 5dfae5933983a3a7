#pragma once
// The `exchange` actor when orders go to a real venue (order.mode = testnet | live): a
// thin CAF shell around a Venue (exchange/venue.hpp) and the OrderTracker.
//  - The sequencer hands it an OrderRequest only after the request is committed to the
//    journal, so an order the venue knows of is always in the journal.
//  - Client order ids come from the journal seq (OrderCore): after a timeout, or after a
//    restart, an order is looked up by that id before anything is resent; an order the
//    venue does not know after a restart is reported rejected, never resent blindly.
//  - Every outcome goes back to the sequencer as an external input, journaled before it
//    is delivered: order events, and ErrorReports for timeouts, rate limits, unreachable
//    venue, reconciliation differences. No secret is in any of them.
//  - 429/418: nothing more is sent until Retry-After has passed; near the weight limit,
//    requests wait for the next minute.
//  - The venue's push stream (Binance: the user-data stream), when it has one, reports
//    fills as they happen; polling every poll_interval stays, as the fallback and as the
//    cross-check (OrderTracker). Its subscriptions and drops are journaled as FeedStatus
//    of stream "userData"; a gap in its reports, or a drop, is looked up over REST.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actors/market_rules.hpp"
#include "actors/node/wire.hpp"
#include "actors/venue_gateway/order_tracker.hpp"
#include "config/node_config.hpp"
#include "exchange/venue.hpp"

namespace trader {
class PortfolioCore;
}

namespace trader::node {

struct VenueGatewayOptions {
  std::chrono::milliseconds poll_interval{1000};  // how often resting orders are looked up
  int max_unavailable_attempts = 5;               // a venue unreachable this often: the order is rejected
  std::int64_t weight_limit = 6000;               // the venue's request weight per minute
  bool user_stream = true;                        // follow the venue's push stream too (if it has one)
};

// Start-up, before the first new message: sync the clock, look up every order the journal
// says is open, compare balances with the portfolio. Returns what must be journaled first.
struct JournalOpenOrder {
  OrderRequest request;
  std::int64_t cum_qty = 0;  // filled, as the journal booked it
  BookedFills booked;        // by which trades
};
struct StartupReconciliation {
  std::vector<Message> messages;  // OrderEvents and ErrorReports, in order, then the AccountBalances to start from
  std::string summary;            // for the log
};
// The venue `v` names (Binance spot or USDⓈ-M, Coinbase Advanced Trade or KuCoin REST, for testnet, live and
// exchange-sim), with its credentials from the environment or the encrypted key file. A new
// exchange is a new folder under exchange/ implementing Venue, plus its case here.
Result<std::unique_ptr<Venue>> make_venue(const NodeConfig::Venue& v, OrderMode mode);
// The venue a live feed's warm-up reads klines from (history.rest_url): public data, no keys.
Result<std::unique_ptr<Venue>> make_history_venue(const NodeConfig& config);

// The node sizes orders by `market.*` (journaled with its config, so replay sizes them the
// same); the venue's filters for `symbol` must accept what that symbol's rules produce. An
// error says which key to set to what.
Status check_market_rules(const MarketRuleBook& ours, const std::string& symbol, const SymbolRules& venue);

// Also checks `market.*` against the venue's rules for each of `symbols`: a mismatch stops
// the start, before any order could be refused for it.
Result<StartupReconciliation> reconcile_at_start(Venue& venue, OrderTracker& tracker,
                                                 const std::vector<JournalOpenOrder>& open_orders,
                                                 const PortfolioCore& portfolio, const MarketRuleBook& market,
                                                 const std::vector<std::string>& symbols, std::int64_t now_ms);

using venue_order_atom = caf::atom_constant<caf::atom("vorder")>;
using venue_event_atom = caf::atom_constant<caf::atom("vevent")>;
using attach_venue_atom = caf::atom_constant<caf::atom("vattach")>;
using venue_done_atom = caf::atom_constant<caf::atom("vdone")>;          // one request handled (after its events)
using venue_wait_over_atom = caf::atom_constant<caf::atom("vwaitover")>;

// Spawns the gateway (a detached actor: it blocks on the venue's I/O). Its outputs go to
// `sequencer` as (venue_event_atom, WireBatch).
caf::actor spawn_venue_gateway(caf::actor_system& system, std::unique_ptr<Venue> venue, OrderTracker tracker,
                               VenueGatewayOptions options, caf::actor sequencer);

}  // namespace trader::node
