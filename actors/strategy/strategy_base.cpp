#include "actors/strategy/strategy_base.hpp"

#include <algorithm>

#include "messages/fixed_point.hpp"

namespace trader {

bool StrategyBase::wants(const std::string& symbol) const {
  return common_.symbols.empty() ||
         std::find(common_.symbols.begin(), common_.symbols.end(), symbol) != common_.symbols.end();
}

void StrategyBase::on_candle(const Candle& c, const Delivery& in, Outbox& out) {
  if (c.interval_s != common_.interval_s || !wants(c.symbol)) return;
  SymbolState& s = symbols_[c.symbol];
  ++s.candles;
  auto evaluated = evaluate(c, s.view);
  if (!evaluated) {
    out.push_back({Actor::none, ErrorReport{"strategy_failed", evaluated.error().message, c.symbol, in.seq,
                                            in.recv_ts_ns}});
    return;
  }
  const auto& v = *evaluated;
  if (!v) return;  // warming up
  if (v->direction != s.view) {
    s.view = v->direction;
    out.push_back({Actor::none, Signal{c.symbol, c.close_time_ms, v->direction, v->confidence_ppm, common_.model_id,
                                       v->reason, c.open_time_ms, c.interval_s, v->values}});
  }
  if (s.pending) return;
  OrderIntent intent;
  intent.intent_id = make_intent_id(IntentIssuer::strategy, next_intent_ + 1);
  intent.symbol = c.symbol;
  intent.type = OrderType::market;
  intent.signal_seq = in.seq;  // the candle the view was computed on
  intent.ts_ms = c.close_time_ms;
  intent.confidence_ppm = v->confidence_ppm;
  intent.values = v->values;
  if (v->direction == Direction::long_ && s.held == 0) {
    if (risk_state_ != TradingState::active || !have_equity_ || s.candles < s.cooldown_until) return;
    const EntrySize size = size_entry(common_.sizing, v->fraction_ppm, v->confidence_ppm);
    const std::int64_t budget =
        static_cast<std::int64_t>(static_cast<__int128>(equity_) * size.fraction_ppm / 1'000'000);
    std::int64_t price = c.close;
    if (common_.entry.type == OrderType::limit) {
      const auto below = static_cast<std::int64_t>(static_cast<__int128>(c.close) *
                                                   (10'000 - common_.entry.limit_offset_bps) / 10'000);
      price = floor_to_tick(below, common_.market.tick_size);
      if (price <= 0) return;  // below one tick: no price to bid
      intent.type = OrderType::limit;
      intent.limit_price = price;
    }
    const auto units = div_fixed_checked(budget, price);  // a near-zero price could make it wrap
    if (!units) {
      out.push_back({Actor::none, ErrorReport{"arithmetic_overflow",
                                              "entry size " + format_fixed(budget) + " / " + format_fixed(price) +
                                                  " overflows 64-bit fixed point; no intent",
                                              c.symbol, in.seq, in.recv_ts_ns}});
      return;
    }
    const std::int64_t qty = floor_to_lot(*units, common_.market.lot_step);
    const auto notional = mul_fixed_checked(qty, price);
    if (qty <= 0 || !notional || *notional < common_.market.min_notional) return;
    intent.side = Side::buy;
    intent.qty = qty;
    intent.reason = "enter long: " + v->reason + (size.why.empty() ? "" : "; " + size.why);
  } else if (v->direction == Direction::flat && s.held > 0) {
    if (risk_state_ == TradingState::halted) return;
    intent.side = Side::sell;
    intent.qty = s.held;
    intent.is_exit = true;
    intent.reason = "exit: " + v->reason;
  } else {
    return;
  }
  ++next_intent_;
  s.pending = true;
  s.pending_intent = intent.intent_id;
  out.push_back({Actor::none, std::move(intent)});
}

void StrategyBase::on(const Delivery& in, Outbox& out) {
  if (const auto* c = std::get_if<Candle>(&in.message)) {
    on_candle(*c, in, out);
  } else if (const auto* p = std::get_if<PortfolioState>(&in.message)) {
    equity_ = p->equity;
    have_equity_ = true;
    for (auto& [symbol, s] : symbols_) {
      std::int64_t held = 0;
      for (const auto& pos : p->positions)
        if (pos.symbol == symbol) held = pos.qty;
      if (s.held > 0 && held == 0) s.cooldown_until = s.candles + common_.reentry_cooldown_candles;
      s.held = held;
    }
  } else if (const auto* d = std::get_if<RiskDecision>(&in.message)) {
    auto it = symbols_.find(d->symbol);
    if (it != symbols_.end() && it->second.pending_intent == d->intent_id && !d->approved) {
      it->second.pending = false;  // retry after the cooldown, not on every candle
      it->second.cooldown_until = it->second.candles + common_.reentry_cooldown_candles;
    }
  } else if (const auto* e = std::get_if<OrderEvent>(&in.message)) {
    // Only the final event of this symbol's own pending order ends the wait (a stop-loss
    // exit of the same symbol may be working beside it).
    auto it = symbols_.find(e->symbol);
    if (it != symbols_.end() && it->second.pending && e->intent_id == it->second.pending_intent && ends_order(e->kind))
      it->second.pending = false;
  } else if (const auto* r = std::get_if<RiskState>(&in.message)) {
    risk_state_ = r->state;
  }
}

void StrategyBase::save(StateWriter& w) const {
  w.u32(static_cast<std::uint32_t>(symbols_.size()));
  for (const auto& [symbol, s] : symbols_) {
    w.str(symbol);
    w.u64(s.candles);
    w.u32(static_cast<std::uint32_t>(s.view));
    w.boolean(s.pending);
    w.u64(s.pending_intent);
    w.i64(s.held);
    w.u64(s.cooldown_until);
  }
  w.i64(equity_);
  w.boolean(have_equity_);
  w.u32(static_cast<std::uint32_t>(risk_state_));
  w.u64(next_intent_);
  save_view_state(w);
}

Status StrategyBase::load(StateReader& r) {
  symbols_.clear();
  for (auto n = r.count(); n > 0 && r.ok(); --n) {
    SymbolState& s = symbols_[r.str()];
    s.candles = r.u64();
    s.view = static_cast<Direction>(r.u32());
    s.pending = r.boolean();
    s.pending_intent = r.u64();
    s.held = r.i64();
    s.cooldown_until = r.u64();
  }
  equity_ = r.i64();
  have_equity_ = r.boolean();
  risk_state_ = static_cast<TradingState>(r.u32());
  next_intent_ = r.u64();
  if (!r.ok()) return fail("strategy snapshot is truncated or corrupt");
  return load_view_state(r);
}

}  // namespace trader
