#include "actors/order/order_core.hpp"

namespace trader {

OrderCore::OrderCore(OrderConfig config) : config_(std::move(config)) {}

void OrderCore::on(const Delivery& in, Outbox& out) {
  if (const auto* d = std::get_if<RiskDecision>(&in.message)) {
    if (!d->approved || d->approved_qty <= 0) return;
    OrderRequest r;
    r.client_order_id = config_.client_id_prefix + std::to_string(in.seq);
    r.intent_id = d->intent_id;
    r.symbol = d->symbol;
    r.side = d->side;
    r.type = d->type;
    r.qty = d->approved_qty;
    r.limit_price = d->type == OrderType::limit ? d->limit_price : 0;
    r.time_in_force = TimeInForce::gtc;
    r.ts_ms = d->ts_ms;
    open_[r.client_order_id] = Open{r.symbol, r.side, r.qty, 0, r.intent_id};
    out.push_back({Actor::exchange, std::move(r)});
  } else if (const auto* e = std::get_if<OrderEvent>(&in.message)) {
    auto it = open_.find(e->client_order_id);
    if (it == open_.end()) return;
    it->second.cum_qty = e->cum_qty;
    switch (e->kind) {
      case OrderEventKind::filled:
      case OrderEventKind::canceled:
      case OrderEventKind::rejected:
      case OrderEventKind::expired: open_.erase(it); break;
      default: break;
    }
  } else if (const auto* c = std::get_if<OperatorCommand>(&in.message)) {
    if (c->kind != OperatorCommandKind::flatten) return;
    for (const auto& [id, o] : open_) {
      OrderRequest cancel;
      cancel.client_order_id = id;
      cancel.intent_id = o.intent_id;
      cancel.symbol = o.symbol;
      cancel.side = o.side;
      cancel.cancel = true;
      cancel.ts_ms = c->ts_ns / 1'000'000;
      out.push_back({Actor::exchange, std::move(cancel)});
    }
  }
}

void OrderCore::save(StateWriter& w) const {
  w.u32(static_cast<std::uint32_t>(open_.size()));
  for (const auto& [id, o] : open_) {
    w.str(id);
    w.str(o.symbol);
    w.u32(static_cast<std::uint32_t>(o.side));
    w.i64(o.qty);
    w.i64(o.cum_qty);
    w.u64(o.intent_id);
  }
}

Status OrderCore::load(StateReader& r) {
  open_.clear();
  for (auto n = r.count(); n > 0 && r.ok(); --n) {
    Open& o = open_[r.str()];
    o.symbol = r.str();
    o.side = static_cast<Side>(r.u32());
    o.qty = r.i64();
    o.cum_qty = r.i64();
    o.intent_id = r.u64();
  }
  if (!r.ok()) return fail("order snapshot is truncated or corrupt");
  return {};
}

}  // namespace trader
