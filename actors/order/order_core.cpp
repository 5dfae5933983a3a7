#include "actors/order/order_core.hpp"

#include <algorithm>

#include "messages/instrument.hpp"

namespace trader {

OrderCore::OrderCore(OrderConfig config) : config_(std::move(config)) {}

OrderRequest OrderCore::request_of(const std::string& client_order_id, const Open& o) {
  OrderRequest r;
  r.client_order_id = client_order_id;
  r.intent_id = o.intent_id;
  r.symbol = o.symbol;
  r.side = o.side;
  r.type = o.type;
  r.qty = o.qty;
  return r;
}

OrderRequest OrderCore::cancel_of(const std::string& client_order_id, Open& o, std::int64_t ts_ms) {
  o.cancel_sent = true;
  OrderRequest cancel = request_of(client_order_id, o);
  cancel.qty = 0;
  cancel.cancel = true;
  cancel.ts_ms = ts_ms;
  return cancel;
}

void OrderCore::on(const Delivery& in, Outbox& out) {
  if (const auto* d = std::get_if<RiskDecision>(&in.message)) {
    if (!d->approved || d->approved_qty <= 0) return;
    if (d->is_exit)
      for (auto& [id, o] : open_)
        if (o.symbol == d->symbol && o.type == OrderType::limit && !o.is_exit && !o.cancel_sent)
          out.push_back({Actor::exchange, cancel_of(id, o, d->ts_ms)});
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
    // A perpetual's exit may only close: should the venue's position be gone (liquidated,
    // closed by hand), the exit is refused rather than opening the other way.
    r.reduce_only = d->is_exit && is_perpetual(d->symbol);
    // Expiry runs on the receive-time clock the clock ticks come from (journaled, so
    // replay expires the same orders), not on the exchange's data time.
    open_[r.client_order_id] =
        Open{r.symbol, r.side, r.qty, 0, r.intent_id, r.type, d->is_exit, in.recv_ts_ns / 1'000'000, false};
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
  } else if (const auto* t = std::get_if<ClockTick>(&in.message)) {
    if (config_.limit_ttl_ms <= 0) return;
    const std::int64_t now_ms = t->ts_ns / 1'000'000;
    for (auto& [id, o] : open_)
      if (o.type == OrderType::limit && !o.cancel_sent && now_ms - o.placed_ms >= config_.limit_ttl_ms)
        out.push_back({Actor::exchange, cancel_of(id, o, now_ms)});
  } else if (const auto* c = std::get_if<OperatorCommand>(&in.message)) {
    if (c->kind != OperatorCommandKind::flatten) return;
    for (auto& [id, o] : open_)
      if (!o.cancel_sent) out.push_back({Actor::exchange, cancel_of(id, o, c->ts_ns / 1'000'000)});
  }
}

Quiet OrderCore::quiet() const {
  std::uint64_t answers = type_bit(RiskDecision::kTypeId) | type_bit(OperatorCommand::kTypeId);
  if (config_.limit_ttl_ms > 0 &&
      std::any_of(open_.begin(), open_.end(), [](const auto& o) { return o.second.type == OrderType::limit && !o.second.cancel_sent; }))
    answers |= type_bit(ClockTick::kTypeId);
  return {kAllTypes & ~answers};
}

void OrderCore::save(StateWriter& w) const {
  w.u32(static_cast<std::uint32_t>(open_.size()));
  std::uint32_t extended = 0;
  auto has_more = [](const Open& o) { return o.type == OrderType::limit || o.cancel_sent; };
  for (const auto& [id, o] : open_) {
    w.str(id);
    w.str(o.symbol);
    w.u32(static_cast<std::uint32_t>(o.side));
    w.i64(o.qty);
    w.i64(o.cum_qty);
    w.u64(o.intent_id);
    extended += has_more(o);
  }
  // Limit orders' own fields, and cancels sent, follow only when there are any: a
  // snapshot of market orders alone is byte for byte what it was before they existed.
  if (extended == 0) return;
  w.u32(extended);
  for (const auto& [id, o] : open_) {
    if (!has_more(o)) continue;
    w.str(id);
    w.u32(static_cast<std::uint32_t>(o.type));
    w.boolean(o.is_exit);
    w.i64(o.placed_ms);
    w.boolean(o.cancel_sent);
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
  if (r.ok() && !r.at_end()) {
    for (auto n = r.count(); n > 0 && r.ok(); --n) {
      auto it = open_.find(r.str());
      if (it == open_.end()) return fail("order snapshot names an order that is not open");
      it->second.type = static_cast<OrderType>(r.u32());
      it->second.is_exit = r.boolean();
      it->second.placed_ms = r.i64();
      it->second.cancel_sent = r.boolean();
    }
  }
  if (!r.ok()) return fail("order snapshot is truncated or corrupt");
  return {};
}

}  // namespace trader
