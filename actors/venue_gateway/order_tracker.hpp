#pragma once
// The live order path's bookkeeping: what the node has already been told about each order
// it sent to a venue, so that every venue answer (new-order answer, a lookup, a poll, the
// order's trades) becomes exactly the OrderEvents not yet emitted: accepted once, each
// fill once (by trade id), one final event. Pure logic: the gateway shell does the I/O.
//
// Two paths report fills: REST (answers, lookups, polls) and the venue's push stream.
// Whichever reports a trade first makes its event (its reason says which); the other is
// the cross-check. An order sent while the stream was subscribed, and ended without the
// stream dropping meanwhile, must have the same executed quantity on both paths once both
// have reported its end; a difference is an error for the journal, never a silent fix.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "exchange/venue.hpp"

namespace trader {

enum class ReportPath : std::uint8_t { rest, stream };

// A fill one path reported and the other did not.
struct PathDifference {
  std::string client_order_id;
  std::string code;     // user_stream_missed_fill | rest_missed_fill
  std::string message;
};

// What the journal booked of an order's fills, by the venue's trade ids.
struct BookedFills {
  std::set<std::uint64_t> trade_ids;
  std::int64_t qty = 0;  // the quantity those trades filled
};

class OrderTracker {
 public:
  // An order about to be sent.
  void track(const OrderRequest& request);
  // An order sent before a restart: the journal says `cum_qty` of it has filled already,
  // by the trades in `booked`. Those are never reported again; any other trade is new,
  // even one older than a booked one (a report lost just before the crash). Fills the
  // journal booked without a trade id, if any, are matched by quantity, oldest first.
  void restore(const OrderRequest& request, std::int64_t cum_qty, const BookedFills& booked = {});

  // Events for the venue's view of an order (its fills, when the view carries them), as
  // reported by `path`.
  std::vector<OrderEvent> update(const VenueOrder& order, ReportPath path = ReportPath::rest);
  // The push stream is subscribed (orders sent from now on are cross-checked), or it
  // dropped (orders open now may miss events legitimately: not cross-checked).
  void set_stream_live(bool live);
  // The venue refused the order, or it is gone: a final rejected event.
  std::vector<OrderEvent> reject(const std::string& client_order_id, const std::string& reason, std::int64_t ts_ms);

  // The venue says more has executed than the fills reported so far: fetch its trades.
  bool missing_fills(const VenueOrder& order) const;
  // A push update (one trade at most) says more has executed than every fill reported so
  // far plus its own: an update before it went missing.
  bool stream_gap(const VenueOrder& update) const;
  // Orders sent and not final, oldest first.
  std::vector<OrderRequest> open() const;
  // What a poll looks up: the open orders, and ended ones whose end REST has not yet
  // confirmed for the cross-check.
  std::vector<OrderRequest> to_poll() const;
  // After a poll: the cross-checks that can be decided now. An order whose end one path
  // has reported waits `patience` polls for the other before the other counts as missing.
  std::vector<PathDifference> cross_check(int patience = 3);
  std::uint64_t cross_checked() const { return cross_checked_; }
  bool tracks(const std::string& client_order_id) const { return orders_.count(client_order_id) > 0; }
  std::string exchange_id(const std::string& client_order_id) const;

 private:
  struct Tracked {
    OrderRequest request;
    std::string exchange_id;
    bool accepted = false, final = false;
    std::int64_t cum_qty = 0;
    std::int64_t restored_qty = 0;  // booked before a restart without a trade id, not yet matched
    std::set<std::uint64_t> trade_ids;
    std::uint64_t order = 0;  // tracking order
    // The cross-check: what each path has seen of it.
    bool watched = false;  // sent while the stream was subscribed, and it has not dropped since
    std::set<std::uint64_t> stream_trades;
    std::int64_t stream_qty = 0, rest_executed = 0;
    bool stream_final = false, rest_final = false, checked = false;
    int waits = 0;
  };
  OrderEvent event(const Tracked& t, OrderEventKind kind, std::int64_t ts_ms) const;

  std::map<std::string, Tracked> orders_;  // by client order id
  std::uint64_t next_ = 0;
  bool stream_live_ = false;
  std::uint64_t cross_checked_ = 0;
};

}  // namespace trader
