#include "actors/portfolio/portfolio_core.hpp"

#include "messages/fixed_point.hpp"

namespace trader {

PortfolioCore::PortfolioCore(PortfolioConfig config) : config_(std::move(config)) {
  state_.quote_asset = config_.quote_asset;
  state_.cash = state_.equity = state_.peak_equity = state_.starting_cash = config_.starting_cash;
}

void PortfolioCore::on_fill(const OrderEvent& e, Outbox& out) {
  Holding& h = holdings_[e.symbol];
  const std::int64_t notional = mul_fixed(e.fill_qty, e.fill_price);
  // Fees in the quote asset come out of cash. A venue may take its commission in the asset
  // bought (Binance does on spot buys): then less of it arrives, and the fee's value is
  // that quantity at the fill price.
  const bool quote_fee = e.fee_asset.empty() || e.fee_asset == state_.quote_asset;
  const bool base_fee = !quote_fee && e.symbol.size() > e.fee_asset.size() && e.symbol.rfind(e.fee_asset, 0) == 0;
  if (!quote_fee && !base_fee)
    out.push_back({Actor::none, ErrorReport{"fee_asset_unvalued", "fee in " + e.fee_asset + " is not valued (neither " +
                                                                      e.symbol + "'s base nor " + state_.quote_asset + ")",
                                            e.client_order_id, 0, e.ts_ms * 1'000'000}});
  const std::int64_t fee_in_base = base_fee ? e.fee : 0;
  const std::int64_t fee_value = quote_fee ? e.fee : mul_fixed(fee_in_base, e.fill_price);
  const std::int64_t cash_fee = quote_fee ? e.fee : 0;
  state_.fees += fee_value;
  ++state_.fills;
  if (e.side == Side::buy) {
    if (h.qty < std::max<std::int64_t>(1, config_.dust_below)) h.trip_net = 0;
    const std::int64_t received = e.fill_qty - fee_in_base;
    const __int128 cost_basis = static_cast<__int128>(h.qty) * h.avg_entry + static_cast<__int128>(received) * e.fill_price;
    h.qty += received;
    h.avg_entry = h.qty > 0 ? static_cast<std::int64_t>(cost_basis / h.qty) : 0;
    state_.cash -= notional + cash_fee;
    h.trip_net -= fee_value;
  } else {
    const std::int64_t pnl = mul_fixed(e.fill_price - h.avg_entry, e.fill_qty);
    h.realized += pnl;
    state_.realized_pnl += pnl;
    state_.cash += notional - cash_fee;
    h.trip_net += pnl - fee_value;
    h.qty -= e.fill_qty + fee_in_base;
    if (h.qty < 0) {
      out.push_back({Actor::none, ErrorReport{"oversold", "sold more " + e.symbol + " than held (spot cannot short)",
                                              e.client_order_id, 0, e.ts_ms * 1'000'000}});
    }
    if (h.qty < std::max<std::int64_t>(1, config_.dust_below)) {  // closed (perhaps leaving dust)
      ++state_.round_trips;
      if (h.trip_net > 0) ++state_.winning_round_trips;
      h.trip_net = 0;
      if (h.qty <= 0) {
        h.qty = 0;
        h.avg_entry = 0;
      }
    }
  }
  h.last_price = e.fill_price;
}

void PortfolioCore::publish(std::int64_t ts_ms, Outbox& out) {
  state_.ts_ms = ts_ms;
  state_.unrealized_pnl = 0;
  std::int64_t holdings_value = 0;
  state_.positions.clear();
  for (const auto& [symbol, h] : holdings_) {
    if (h.qty == 0) continue;
    const std::int64_t unrealized = mul_fixed(h.last_price - h.avg_entry, h.qty);
    state_.unrealized_pnl += unrealized;
    holdings_value += mul_fixed(h.last_price, h.qty);
    if (h.qty < config_.dust_below) continue;  // dust: valued, not traded
    state_.positions.push_back({symbol, h.qty, h.avg_entry, h.last_price, unrealized, h.realized});
  }
  state_.equity = state_.cash + holdings_value;
  if (state_.equity > state_.peak_equity) state_.peak_equity = state_.equity;
  state_.drawdown_ppm = state_.peak_equity > 0
                            ? static_cast<std::uint32_t>(static_cast<__int128>(state_.peak_equity - state_.equity) *
                                                         1'000'000 / state_.peak_equity)
                            : 0;
  if (state_.drawdown_ppm > state_.max_drawdown_ppm) state_.max_drawdown_ppm = state_.drawdown_ppm;
  out.push_back({Actor::none, state_});
}

void PortfolioCore::on(const Delivery& in, Outbox& out) {
  if (const auto* e = std::get_if<OrderEvent>(&in.message)) {
    if (e->fill_qty > 0) {  // only fill events carry a fill quantity
      on_fill(*e, out);
      publish(e->ts_ms, out);
    }
  } else if (const auto* c = std::get_if<Candle>(&in.message)) {
    if (c->interval_s != config_.mark_interval_s) return;
    if (auto it = holdings_.find(c->symbol); it != holdings_.end()) it->second.last_price = c->close;
    publish(c->close_time_ms, out);
  }
}

void PortfolioCore::save(StateWriter& w) const {
  w.u32(static_cast<std::uint32_t>(holdings_.size()));
  for (const auto& [symbol, h] : holdings_) {
    w.str(symbol);
    for (auto v : {h.qty, h.avg_entry, h.last_price, h.realized, h.trip_net}) w.i64(v);
  }
  w.message(state_);
}

Status PortfolioCore::load(StateReader& r) {
  holdings_.clear();
  for (auto n = r.count(); n > 0 && r.ok(); --n) {
    Holding& h = holdings_[r.str()];
    for (auto* v : {&h.qty, &h.avg_entry, &h.last_price, &h.realized, &h.trip_net}) *v = r.i64();
  }
  auto m = r.message();
  if (auto* ps = std::get_if<PortfolioState>(&m)) state_ = std::move(*ps);
  else if (r.ok()) return fail("portfolio snapshot: expected a portfolio state");
  if (!r.ok()) return fail("portfolio snapshot is truncated or corrupt");
  return {};
}

}  // namespace trader
