#pragma once
// order: turns approved risk decisions into order requests to the venue and tracks each
// order's lifecycle from the venue's events.
//  - client order id = "<prefix><journal seq of the approving decision>": unique within a
//    journal and the same on every replay, so a retry can look an order up by it.
//  - A limit order still open `limit_ttl_ms` after its decision is canceled at the first
//    clock tick past that (both times are receive times) (0: it rests until filled or canceled). An approved exit cancels
//    the symbol's resting limit entries first, so that what rests cannot buy back what
//    the exit sells.
//  - Operator flatten cancels every open order.
//  - A cancel is sent once per order; the venue's answer (canceled, or filled first)
//    ends the order.
#include <cstdint>
#include <map>
#include <string>

#include "actors/actor_core.hpp"

namespace trader {

struct OrderConfig {
  std::string client_id_prefix = "c";
  std::int64_t limit_ttl_ms = 60'000;
};

class OrderCore final : public ActorCore {
 public:
  explicit OrderCore(OrderConfig config);
  Actor id() const override { return Actor::order; }
  void on(const Delivery& in, Outbox& out) override;
  // Decisions and operator commands answer; a clock tick only while a limit order may
  // expire (none opens before the next decision); order events only update what is open.
  Quiet quiet() const override;
  void save(StateWriter& w) const override;
  Status load(StateReader& r) override;

  struct Open {
    std::string symbol;
    Side side;
    std::int64_t qty = 0, cum_qty = 0;
    std::uint64_t intent_id = 0;
    OrderType type = OrderType::market;
    bool is_exit = false;
    std::int64_t placed_ms = 0;  // when the decision's input was received
    bool cancel_sent = false;
  };
  const std::map<std::string, Open>& open_orders() const { return open_; }
  // What was requested for an open order, as the venue path needs it after a restart
  // (a limit order's fills are the maker's).
  static OrderRequest request_of(const std::string& client_order_id, const Open& o);

 private:
  OrderRequest cancel_of(const std::string& client_order_id, Open& o, std::int64_t ts_ms);

  OrderConfig config_;
  std::map<std::string, Open> open_;  // by client order id
};

}  // namespace trader
