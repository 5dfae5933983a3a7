#include "actors/strategy/rule_strategy_core.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "messages/fixed_point.hpp"

namespace trader {

RuleStrategyCore::RuleStrategyCore(RuleStrategyConfig config) : config_(std::move(config)) {}

bool RuleStrategyCore::wants(const std::string& symbol) const {
  return config_.symbols.empty() ||
         std::find(config_.symbols.begin(), config_.symbols.end(), symbol) != config_.symbols.end();
}

void RuleStrategyCore::on_candle(const Candle& c, const Delivery& in, Outbox& out) {
  if (c.interval_s != config_.interval_s || !wants(c.symbol)) return;
  SymbolState& s = symbols_[c.symbol];
  const double close = static_cast<double>(c.close) / static_cast<double>(kFixedScale);
  const double a_fast = 2.0 / (config_.fast_ema + 1.0);
  const double a_slow = 2.0 / (config_.slow_ema + 1.0);
  if (s.candles == 0) {
    s.ema_fast = s.ema_slow = close;
  } else {
    s.ema_fast += a_fast * (close - s.ema_fast);
    s.ema_slow += a_slow * (close - s.ema_slow);
    if (!s.closes.empty() && s.closes.back() > 0) {
      s.returns.push_back(close / s.closes.back() - 1.0);
      if (s.returns.size() > config_.slow_ema) s.returns.pop_front();
    }
  }
  s.closes.push_back(close);
  if (s.closes.size() > config_.momentum_candles + 1) s.closes.pop_front();
  ++s.candles;
  if (s.candles < std::max(config_.slow_ema, config_.momentum_candles + 1)) return;  // warming up

  double mean = 0, var = 0;
  for (double r : s.returns) mean += r;
  mean /= static_cast<double>(s.returns.size());
  for (double r : s.returns) var += (r - mean) * (r - mean);
  const double vol = std::sqrt(var / static_cast<double>(s.returns.size()));
  const double spread = s.ema_fast / s.ema_slow - 1.0;
  const double momentum = s.closes.front() > 0 ? close / s.closes.front() - 1.0 : 0.0;

  Direction view = s.view;
  if (spread > 0 && momentum * 1e4 > config_.entry_momentum_bps) view = Direction::long_;
  else if (spread < 0) view = Direction::flat;

  const double z = vol > 0 ? std::abs(spread) / vol : 0.0;
  const auto confidence_ppm =
      static_cast<std::uint32_t>(std::llround(std::min(1.0, z / config_.confidence_full_z) * 1e6));
  char reason[160];
  std::snprintf(reason, sizeof reason, "ema%u/ema%u spread %.2f bp, momentum %.2f bp, vol %.2f bp",
                config_.fast_ema, config_.slow_ema, spread * 1e4, momentum * 1e4, vol * 1e4);
  if (view != s.view) {
    s.view = view;
    out.push_back({Actor::none, Signal{c.symbol, c.close_time_ms, view, confidence_ppm, config_.name, reason,
                                       c.open_time_ms, c.interval_s}});
  }

  // Level-triggered: act whenever the view and the position disagree and nothing is pending.
  if (s.pending) return;
  OrderIntent intent;
  intent.intent_id = in.seq * 16;
  intent.symbol = c.symbol;
  intent.type = OrderType::market;
  intent.signal_seq = in.seq;  // the candle the view was computed on
  intent.ts_ms = c.close_time_ms;
  intent.confidence_ppm = confidence_ppm;
  if (view == Direction::long_ && s.held == 0) {
    if (risk_state_ != TradingState::active || !have_equity_ || s.candles < s.cooldown_until) return;
    const std::int64_t budget = static_cast<std::int64_t>(static_cast<__int128>(equity_) *
                                                          config_.position_fraction_ppm / 1'000'000);
    const std::int64_t qty = floor_to_lot(
        static_cast<std::int64_t>(static_cast<__int128>(budget) * kFixedScale / c.close), config_.market.lot_step);
    if (qty <= 0 || mul_fixed(qty, c.close) < config_.market.min_notional) return;
    intent.side = Side::buy;
    intent.qty = qty;
    intent.reason = std::string("enter long: ") + reason;
  } else if (view == Direction::flat && s.held > 0) {
    if (risk_state_ == TradingState::halted) return;
    intent.side = Side::sell;
    intent.qty = s.held;
    intent.is_exit = true;
    intent.reason = std::string("exit: ") + reason;
  } else {
    return;
  }
  s.pending = true;
  s.pending_intent = intent.intent_id;
  out.push_back({Actor::none, std::move(intent)});
}

void RuleStrategyCore::on(const Delivery& in, Outbox& out) {
  if (const auto* c = std::get_if<Candle>(&in.message)) {
    on_candle(*c, in, out);
  } else if (const auto* p = std::get_if<PortfolioState>(&in.message)) {
    equity_ = p->equity;
    have_equity_ = true;
    for (auto& [symbol, s] : symbols_) {
      std::int64_t held = 0;
      for (const auto& pos : p->positions)
        if (pos.symbol == symbol) held = pos.qty;
      if (s.held > 0 && held == 0) s.cooldown_until = s.candles + config_.reentry_cooldown_candles;
      s.held = held;
    }
  } else if (const auto* d = std::get_if<RiskDecision>(&in.message)) {
    auto it = symbols_.find(d->symbol);
    if (it != symbols_.end() && it->second.pending_intent == d->intent_id && !d->approved) {
      it->second.pending = false;  // retry after the cooldown, not on every candle
      it->second.cooldown_until = it->second.candles + config_.reentry_cooldown_candles;
    }
  } else if (const auto* e = std::get_if<OrderEvent>(&in.message)) {
    auto it = symbols_.find(e->symbol);
    if (it != symbols_.end() &&
        (e->kind == OrderEventKind::filled || e->kind == OrderEventKind::canceled ||
         e->kind == OrderEventKind::rejected || e->kind == OrderEventKind::expired))
      it->second.pending = false;
  } else if (const auto* r = std::get_if<RiskState>(&in.message)) {
    risk_state_ = r->state;
  }
}

void RuleStrategyCore::save(StateWriter& w) const {
  w.u32(static_cast<std::uint32_t>(symbols_.size()));
  for (const auto& [symbol, s] : symbols_) {
    w.str(symbol);
    w.u64(s.candles);
    w.f64(s.ema_fast);
    w.f64(s.ema_slow);
    w.u32(static_cast<std::uint32_t>(s.closes.size()));
    for (double c : s.closes) w.f64(c);
    w.u32(static_cast<std::uint32_t>(s.returns.size()));
    for (double x : s.returns) w.f64(x);
    w.u32(static_cast<std::uint32_t>(s.view));
    w.boolean(s.pending);
    w.u64(s.pending_intent);
    w.i64(s.held);
    w.u64(s.cooldown_until);
  }
  w.i64(equity_);
  w.boolean(have_equity_);
  w.u32(static_cast<std::uint32_t>(risk_state_));
}

Status RuleStrategyCore::load(StateReader& r) {
  symbols_.clear();
  for (auto n = r.count(); n > 0 && r.ok(); --n) {
    SymbolState& s = symbols_[r.str()];
    s.candles = r.u64();
    s.ema_fast = r.f64();
    s.ema_slow = r.f64();
    for (auto m = r.count(); m > 0 && r.ok(); --m) s.closes.push_back(r.f64());
    for (auto m = r.count(); m > 0 && r.ok(); --m) s.returns.push_back(r.f64());
    s.view = static_cast<Direction>(r.u32());
    s.pending = r.boolean();
    s.pending_intent = r.u64();
    s.held = r.i64();
    s.cooldown_until = r.u64();
  }
  equity_ = r.i64();
  have_equity_ = r.boolean();
  risk_state_ = static_cast<TradingState>(r.u32());
  if (!r.ok()) return fail("strategy snapshot is truncated or corrupt");
  return {};
}

}  // namespace trader
