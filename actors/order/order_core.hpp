#pragma once
// order: turns approved risk decisions into order requests to the venue and tracks each
// order's lifecycle from the venue's events.
//  - client order id = "<prefix><journal seq of the approving decision>": unique within a
//    journal and the same on every replay, so a retry can look an order up by it.
//  - Operator flatten cancels every open order.
#include <cstdint>
#include <map>
#include <string>

#include "actors/actor_core.hpp"

namespace trader {

struct OrderConfig {
  std::string client_id_prefix = "c";
};

class OrderCore final : public ActorCore {
 public:
  explicit OrderCore(OrderConfig config);
  Actor id() const override { return Actor::order; }
  void on(const Delivery& in, Outbox& out) override;
  void save(StateWriter& w) const override;
  Status load(StateReader& r) override;

  struct Open {
    std::string symbol;
    Side side;
    std::int64_t qty = 0, cum_qty = 0;
    std::uint64_t intent_id = 0;
  };
  const std::map<std::string, Open>& open_orders() const { return open_; }

 private:
  OrderConfig config_;
  std::map<std::string, Open> open_;  // by client order id
};

}  // namespace trader
