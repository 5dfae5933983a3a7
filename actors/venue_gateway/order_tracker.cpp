#include "actors/venue_gateway/order_tracker.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "messages/fixed_point.hpp"

namespace trader {

namespace {
bool is_final(VenueOrderStatus s) {
  return s == VenueOrderStatus::filled || s == VenueOrderStatus::canceled || s == VenueOrderStatus::rejected ||
         s == VenueOrderStatus::expired;
}
}  // namespace

void OrderTracker::track(const OrderRequest& request) {
  Tracked& t = orders_[request.client_order_id];
  t.request = request;
  t.order = next_++;
  t.watched = stream_live_;
}

void OrderTracker::set_stream_live(bool live) {
  stream_live_ = live;
  if (live) return;
  for (auto& [id, t] : orders_)
    if (!t.checked) t.watched = false;
}

void OrderTracker::restore(const OrderRequest& request, std::int64_t cum_qty, const BookedFills& booked) {
  track(request);
  Tracked& t = orders_[request.client_order_id];
  t.accepted = true;  // it was sent; an accepted event may be journaled already
  t.cum_qty = cum_qty;
  t.trade_ids = booked.trade_ids;
  t.restored_qty = std::max<std::int64_t>(0, cum_qty - booked.qty);
  t.watched = false;  // what happened while the node was down reached no stream
}

OrderEvent OrderTracker::event(const Tracked& t, OrderEventKind kind, std::int64_t ts_ms) const {
  OrderEvent e;
  e.client_order_id = t.request.client_order_id;
  e.exchange_order_id = t.exchange_id;
  e.symbol = t.request.symbol;
  e.side = t.request.side;
  e.kind = kind;
  e.cum_qty = t.cum_qty;
  e.order_qty = t.request.qty;
  e.intent_id = t.request.intent_id;
  e.ts_ms = ts_ms;
  return e;
}

std::vector<OrderEvent> OrderTracker::update(const VenueOrder& order, ReportPath path) {
  std::vector<OrderEvent> out;
  auto it = orders_.find(order.client_order_id);
  if (it == orders_.end()) return out;
  Tracked& t = it->second;
  if (path == ReportPath::stream) {
    for (const auto& f : order.fills)
      if (f.qty > 0 && t.stream_trades.insert(f.trade_id).second) t.stream_qty += f.qty;
    if (is_final(order.status)) t.stream_final = true;
  } else {
    t.rest_executed = std::max(t.rest_executed, order.executed_qty);
    if (is_final(order.status)) t.rest_final = true;
  }
  if (t.final) return out;
  if (t.exchange_id.empty()) t.exchange_id = order.exchange_order_id;
  if (!t.accepted && order.status != VenueOrderStatus::rejected) {
    t.accepted = true;
    out.push_back(event(t, OrderEventKind::accepted, order.update_ms));
  }
  std::vector<VenueFill> fills = order.fills;
  std::sort(fills.begin(), fills.end(), [](const VenueFill& a, const VenueFill& b) { return a.trade_id < b.trade_id; });
  for (const auto& f : fills) {
    if (f.qty <= 0 || !t.trade_ids.insert(f.trade_id).second) continue;
    // Booked before the restart without a trade id (the booked ids were skipped above):
    // REST lists an order's trades oldest first, so the first `restored_qty` of the rest
    // are those. The stream pushes only trades made since it subscribed, which no journal
    // has seen.
    if (t.restored_qty > 0 && path == ReportPath::rest) {
      t.restored_qty -= std::min(t.restored_qty, f.qty);
      continue;
    }
    t.cum_qty += f.qty;
    const bool done = t.cum_qty >= t.request.qty;
    OrderEvent e = event(t, done ? OrderEventKind::filled : OrderEventKind::partially_filled, order.update_ms);
    e.fill_qty = f.qty;
    e.fill_price = f.price;
    e.fee = f.commission;
    e.fee_asset = f.commission_asset;
    e.liquidity = t.request.type == OrderType::market ? Liquidity::taker : Liquidity::maker;
    e.trade_id = f.trade_id;
    e.reason = path == ReportPath::stream ? "user stream" : "REST";
    if (done) t.final = true;
    out.push_back(std::move(e));
  }
  if (t.final) return out;
  OrderEventKind end{};
  switch (order.status) {
    case VenueOrderStatus::canceled: end = OrderEventKind::canceled; break;
    case VenueOrderStatus::expired: end = OrderEventKind::expired; break;
    case VenueOrderStatus::rejected: end = OrderEventKind::rejected; break;
    default: return out;  // open, partially filled, or filled with fills still to fetch
  }
  t.final = true;
  OrderEvent e = event(t, end, order.update_ms);
  e.reason = path == ReportPath::stream ? "venue status (user stream)" : "venue status";
  out.push_back(std::move(e));
  return out;
}

std::vector<OrderEvent> OrderTracker::reject(const std::string& client_order_id, const std::string& reason,
                                             std::int64_t ts_ms) {
  auto it = orders_.find(client_order_id);
  if (it == orders_.end() || it->second.final) return {};
  it->second.final = true;
  it->second.rest_final = true;  // the venue has no such order: nothing for either path to report
  OrderEvent e = event(it->second, OrderEventKind::rejected, ts_ms);
  e.reason = reason;
  return {e};
}

bool OrderTracker::missing_fills(const VenueOrder& order) const {
  auto it = orders_.find(order.client_order_id);
  if (it == orders_.end() || it->second.final) return false;
  std::int64_t reported = 0;
  for (const auto& f : order.fills) reported += f.qty;
  return order.executed_qty > std::max(it->second.cum_qty, reported);
}

bool OrderTracker::stream_gap(const VenueOrder& update) const {
  auto it = orders_.find(update.client_order_id);
  if (it == orders_.end() || it->second.final) return false;
  std::int64_t unseen = 0;
  for (const auto& f : update.fills)
    if (!it->second.trade_ids.count(f.trade_id)) unseen += f.qty;
  return update.executed_qty > it->second.cum_qty + unseen;
}

std::vector<OrderRequest> OrderTracker::open() const {
  std::vector<const Tracked*> list;
  for (const auto& [id, t] : orders_)
    if (!t.final) list.push_back(&t);
  std::sort(list.begin(), list.end(), [](const Tracked* a, const Tracked* b) { return a->order < b->order; });
  std::vector<OrderRequest> out;
  for (const auto* t : list) out.push_back(t->request);
  return out;
}

std::vector<OrderRequest> OrderTracker::to_poll() const {
  std::vector<const Tracked*> list;
  for (const auto& [id, t] : orders_)
    if (!t.final || (t.watched && !t.checked && !t.rest_final)) list.push_back(&t);
  std::sort(list.begin(), list.end(), [](const Tracked* a, const Tracked* b) { return a->order < b->order; });
  std::vector<OrderRequest> out;
  for (const auto* t : list) out.push_back(t->request);
  return out;
}

std::vector<PathDifference> OrderTracker::cross_check(int patience) {
  std::vector<PathDifference> out;
  for (auto& [id, t] : orders_) {
    if (!t.watched || t.checked || !t.final || !t.rest_final) continue;
    if (!t.stream_final && ++t.waits <= patience) continue;  // its end may still be on its way
    t.checked = true;
    ++cross_checked_;
    if (t.stream_qty == t.rest_executed) continue;
    const bool stream_short = t.stream_qty < t.rest_executed;
    out.push_back({id, stream_short ? "user_stream_missed_fill" : "rest_missed_fill",
                   fmt::format("{}: REST reports {} executed, the user stream {}{}", id, format_fixed(t.rest_executed),
                               format_fixed(t.stream_qty),
                               stream_short ? "; the fills it missed were reported from REST"
                                            : "; the venue's REST view lacks fills its stream reported")});
  }
  return out;
}

std::string OrderTracker::exchange_id(const std::string& client_order_id) const {
  auto it = orders_.find(client_order_id);
  return it == orders_.end() ? std::string() : it->second.exchange_id;
}

}  // namespace trader
