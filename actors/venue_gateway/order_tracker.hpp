#pragma once
// The live order path's bookkeeping: what the node has already been told about each order
// it sent to a venue, so that every venue answer (new-order answer, a lookup, a poll, the
// order's trades) becomes exactly the OrderEvents not yet emitted: accepted once, each
// fill once (by trade id), one final event. Pure logic: the gateway shell does the I/O.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "exchange/venue.hpp"

namespace trader {

class OrderTracker {
 public:
  // An order about to be sent.
  void track(const OrderRequest& request);
  // An order sent before a restart: the journal says `cum_qty` of it has filled already;
  // fills up to that quantity (oldest trade first) are not reported again.
  void restore(const OrderRequest& request, std::int64_t cum_qty);

  // Events for the venue's view of an order (its fills, when the view carries them).
  std::vector<OrderEvent> update(const VenueOrder& order);
  // The venue refused the order, or it is gone: a final rejected event.
  std::vector<OrderEvent> reject(const std::string& client_order_id, const std::string& reason, std::int64_t ts_ms);

  // The venue says more has executed than the fills reported so far: fetch its trades.
  bool missing_fills(const VenueOrder& order) const;
  // Orders sent and not final, oldest first.
  std::vector<OrderRequest> open() const;
  bool tracks(const std::string& client_order_id) const { return orders_.count(client_order_id) > 0; }
  std::string exchange_id(const std::string& client_order_id) const;

 private:
  struct Tracked {
    OrderRequest request;
    std::string exchange_id;
    bool accepted = false, final = false;
    std::int64_t cum_qty = 0;
    std::int64_t restored_qty = 0;  // filled before a restart, not yet matched to trades
    std::set<std::uint64_t> trade_ids;
    std::uint64_t order = 0;  // tracking order
  };
  OrderEvent event(const Tracked& t, OrderEventKind kind, std::int64_t ts_ms) const;

  std::map<std::string, Tracked> orders_;  // by client order id
  std::uint64_t next_ = 0;
};

}  // namespace trader
