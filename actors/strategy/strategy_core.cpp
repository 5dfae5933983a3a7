#include "actors/strategy/strategy_core.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "messages/enum_names.hpp"
#include "messages/fixed_point.hpp"
#include "messages/instrument.hpp"

namespace trader {

namespace {

bool trades(const StrategyMember& m, const std::string& symbol) {
  return m.symbols.empty() || std::find(m.symbols.begin(), m.symbols.end(), symbol) != m.symbols.end();
}

void save_view(StateWriter& w, const View& v) {
  w.u32(static_cast<std::uint32_t>(v.direction));
  w.u32(v.confidence_ppm);
  w.u32(v.fraction_ppm);
  w.str(v.reason);
  w.u32(static_cast<std::uint32_t>(v.values.size()));
  for (const auto& value : v.values) {
    w.str(value.name);
    w.f64(value.value);
  }
}

View load_view(StateReader& r) {
  View v;
  v.direction = static_cast<Direction>(r.u32());
  v.confidence_ppm = r.u32();
  v.fraction_ppm = r.u32();
  v.reason = r.str();
  for (auto n = r.count(); n > 0 && r.ok(); --n) {
    SignalValue value;
    value.name = r.str();
    value.value = r.f64();
    v.values.push_back(std::move(value));
  }
  return v;
}

}  // namespace

StrategyCore::StrategyCore(std::vector<StrategyMember> members, StrategyCommon common)
    : members_(std::move(members)), common_(std::move(common)) {}

StrategyCore::StrategyCore(StrategyMember alone, StrategyCommon common) : common_(std::move(common)) {
  members_.push_back(std::move(alone));
}

std::int64_t StrategyCore::warmup_ms() const {
  std::int64_t longest = 0;
  for (const auto& m : members_)
    longest = std::max(longest, std::int64_t{m.view->warmup_candles()} * m.interval_s * 1000);
  if (regime_)
    longest = std::max(longest, std::int64_t{RegimeClassifier(regime_->classifier).warmup_candles()} *
                                    regime_->interval_s * 1000);
  return longest;
}

void StrategyCore::read_regimes(RegimeSettings settings, const std::vector<RegimeFilter>& filters) {
  regime_ = settings;
  for (std::size_t i = 0; i < filters.size() && i < members_.size(); ++i) members_[i].regimes = filters[i];
}

void StrategyCore::on_regime_candle(const Candle& c, Outbox& out) {
  auto it = regimes_.find(c.symbol);
  if (it == regimes_.end())
    it = regimes_.emplace(c.symbol, SymbolRegime{RegimeClassifier(regime_->classifier), std::nullopt}).first;
  SymbolRegime& r = it->second;
  const auto reading = r.classifier.add(c);
  if (!reading) return;
  const bool changed = !r.current || r.current->trend != reading->trend || r.current->volatility != reading->volatility;
  r.current = reading;
  if (changed)
    out.push_back({Actor::none, Regime{c.symbol, c.interval_s, c.close_time_ms, reading->trend, reading->volatility,
                                       reading->trend_t_centi, reading->vol_rank_ppm}});
}

std::vector<std::optional<View>> StrategyCore::counted_views(const std::string& symbol, const SymbolState& s) const {
  std::vector<std::optional<View>> views = s.views;
  auto it = regimes_.find(symbol);
  const RegimeReading* now = it != regimes_.end() && it->second.current ? &*it->second.current : nullptr;
  for (std::size_t i = 0; i < views.size(); ++i) {
    auto& v = views[i];
    const RegimeFilter& allowed = members_[i].regimes;
    if (!v || v->direction == Direction::flat || allowed.any() || (now && allowed.allows(now->trend, now->volatility)))
      continue;
    v->direction = Direction::flat;
    v->confidence_ppm = 0;
    v->reason = now ? fmt::format("outside its regimes (trend {}, volatility {})", enum_name(now->trend),
                                  enum_name(now->volatility))
                    : "outside its regimes (none read yet)";
  }
  return views;
}

Quiet StrategyCore::quiet() const {
  Quiet q{kAllTypes & ~type_bit(Candle::kTypeId)};
  auto& listed = q.candle_intervals;
  std::size_t n = 0;
  auto answer = [&](std::uint32_t interval_s) {
    if (std::find(listed.begin(), listed.begin() + n, interval_s) != listed.begin() + n) return true;
    if (n == listed.size()) return false;
    listed[n++] = interval_s;
    return true;
  };
  bool fits = true;
  for (const auto& m : members_) fits = fits && answer(m.interval_s);
  if (regime_) fits = fits && answer(regime_->interval_s);
  if (!fits) listed = {};  // more intervals than a declaration lists: every candle is awaited
  return q;
}

void StrategyCore::on_candle(const Candle& c, const Delivery& in, Outbox& out) {
  if (regime_ && c.interval_s == regime_->interval_s) on_regime_candle(c, out);
  SymbolState* s = nullptr;
  bool failed = false;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    const auto& m = members_[i];
    if (!trades(m, c.symbol)) continue;
    if (c.interval_s != m.interval_s) {
      m.view->observe(c);
      continue;
    }
    if (!s) {
      s = &symbols_[c.symbol];
      s->views.resize(members_.size());
      ++s->candles;
    }
    auto& latest = s->views[i];
    const Direction before = latest ? latest->direction : Direction::flat;
    auto evaluated = m.view->evaluate(c, before);
    if (!evaluated) {
      out.push_back({Actor::none, ErrorReport{"strategy_failed", evaluated.error().message, c.symbol, in.seq,
                                              in.recv_ts_ns}});
      failed = true;
      continue;
    }
    latest = std::move(*evaluated);  // none: warming up
    if (latest && latest->direction != before)
      out.push_back({Actor::none, Signal{c.symbol, c.close_time_ms, latest->direction, latest->confidence_ppm,
                                         m.model_id, latest->reason, c.open_time_ms, c.interval_s, latest->values,
                                         m.id}});
  }
  if (!s || failed || c.history) return;  // a warm-up's candle teaches the views; nobody trades on it
  // Views are copied only when a strategy trades in some regimes alone (risk's factors
  // need the regime read, not the views changed).
  const bool conditioned =
      regime_ && std::any_of(members_.begin(), members_.end(), [](const auto& m) { return !m.regimes.any(); });
  std::vector<std::optional<View>> counted;
  const auto& views = conditioned ? (counted = counted_views(c.symbol, *s)) : s->views;
  std::vector<Ballot> ballots;
  for (std::size_t i = 0; i < members_.size(); ++i)
    if (trades(members_[i], c.symbol))
      ballots.push_back({members_[i].id, members_[i].weight_ppm, views[i] ? &*views[i] : nullptr});
  const auto v = combine(common_.combine, ballots);
  if (!v) return;  // every strategy still warming up
  intend(c, in, *s, views, *v, out);
}

void StrategyCore::intend(const Candle& c, const Delivery& in, SymbolState& s,
                          const std::vector<std::optional<View>>& views, const View& view, Outbox& out) {
  if (s.pending) return;
  OrderIntent intent;
  for (std::size_t i = 0; i < members_.size(); ++i)  // the named strategies' views it is formed from
    if (!members_[i].id.empty() && views[i])
      intent.votes.push_back({members_[i].id, views[i]->direction, views[i]->confidence_ppm});
  intent.intent_id = make_intent_id(IntentIssuer::strategy, next_intent_ + 1);
  intent.symbol = c.symbol;
  intent.type = OrderType::market;
  intent.signal_seq = in.seq;  // the candle the view was computed on
  intent.ts_ms = c.close_time_ms;
  intent.confidence_ppm = view.confidence_ppm;
  intent.values = view.values;
  // Spot cannot short: there a short view means holding nothing.
  const bool perp = is_perpetual(c.symbol);
  const Direction want = view.direction == Direction::short_ && !perp ? Direction::flat : view.direction;
  const MarketRules& market = common_.market.of(c.symbol);
  // Dust (what no venue takes of the position at this close) counts as nothing held: no
  // exit is sent for it (it would be refused at every candle), an entry may add to it, and
  // that position's exit sells both.
  const std::int64_t open = exit_qty(s.held, c.close, market, perp) > 0 ? s.held : 0;
  if (want != Direction::flat && open == 0) {
    if (risk_state_ != TradingState::active || !have_equity_ || s.candles < s.cooldown_until) return;
    const bool buy = want == Direction::long_;
    const EntrySize size = size_entry(common_.sizing, view.fraction_ppm, view.confidence_ppm);
    const std::int64_t budget =
        static_cast<std::int64_t>(static_cast<__int128>(equity_) * size.fraction_ppm / 1'000'000);
    std::int64_t price = c.close;
    if (common_.entry.type == OrderType::limit) {
      // A buy bids below the close, a short offers above it.
      const auto offset = static_cast<std::int64_t>(
          static_cast<__int128>(c.close) *
          (buy ? 10'000 - common_.entry.limit_offset_bps : 10'000 + common_.entry.limit_offset_bps) / 10'000);
      price = buy ? floor_to_tick(offset, market.tick_size) : ceil_to_tick(offset, market.tick_size);
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
    const std::int64_t qty = floor_to_lot(*units, market.lot_step);
    const auto notional = mul_fixed_checked(qty, price);
    if (qty <= 0 || !notional || *notional < market.min_notional) return;
    intent.side = buy ? Side::buy : Side::sell;
    intent.qty = qty;
    intent.reason = (buy ? "enter long: " : "enter short: ") + view.reason + (size.why.empty() ? "" : "; " + size.why);
  } else if ((open > 0 && want != Direction::long_) || (open < 0 && want != Direction::short_)) {
    if (risk_state_ == TradingState::halted) return;
    intent.side = s.held > 0 ? Side::sell : Side::buy;  // a short is covered by a buy
    intent.qty = s.held > 0 ? s.held : -s.held;
    intent.is_exit = true;
    intent.reason = "exit: " + view.reason;
  } else {
    return;
  }
  ++next_intent_;
  s.pending = true;
  s.pending_intent = intent.intent_id;
  out.push_back({Actor::none, std::move(intent)});
}

void StrategyCore::on(const Delivery& in, Outbox& out) {
  if (const auto* c = std::get_if<Candle>(&in.message)) {
    on_candle(*c, in, out);
  } else if (const auto* p = std::get_if<PortfolioState>(&in.message)) {
    equity_ = p->equity;
    have_equity_ = true;
    for (auto& [symbol, s] : symbols_) {
      const Position* pos = nullptr;
      for (const auto& x : p->positions)
        if (x.symbol == symbol) pos = &x;
      const std::int64_t held = pos ? pos->qty : 0;
      // Closed, to nothing or to dust (an exit filled in part can leave a rest no venue takes).
      const bool closed = held == 0 || (quantity_size(held) < quantity_size(s.held) &&
                                        exit_qty(held, pos->last_price, common_.market.of(symbol), is_perpetual(symbol)) == 0);
      if (s.held != 0 && closed) s.cooldown_until = s.candles + common_.reentry_cooldown_candles;
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

void StrategyCore::save(StateWriter& w) const {
  w.u32(static_cast<std::uint32_t>(symbols_.size()));
  for (const auto& [symbol, s] : symbols_) {
    w.str(symbol);
    w.u64(s.candles);
    // The first strategy's direction: all a one-strategy snapshot keeps of its view (below).
    w.u32(static_cast<std::uint32_t>(!s.views.empty() && s.views[0] ? s.views[0]->direction : Direction::flat));
    w.boolean(s.pending);
    w.u64(s.pending_intent);
    w.i64(s.held);
    w.u64(s.cooldown_until);
  }
  w.i64(equity_);
  w.boolean(have_equity_);
  w.u32(static_cast<std::uint32_t>(risk_state_));
  w.u64(next_intent_);
  for (const auto& m : members_) m.view->save(w);
  // Several strategies: each one's latest view of each symbol, which the next candle
  // combines. One strategy's view is re-evaluated before it is used, so a one-strategy
  // snapshot (the format before [[strategies]]) has none.
  if (members_.size() > 1)
    for (const auto& [symbol, s] : symbols_)
      for (const auto& v : s.views) {
        w.boolean(v.has_value());
        if (v) save_view(w, *v);
      }
  // Each symbol's regime, with [regime] only: a state without it keeps its bytes.
  if (!regime_) return;
  w.u32(static_cast<std::uint32_t>(regimes_.size()));
  for (const auto& [symbol, r] : regimes_) {
    w.str(symbol);
    r.classifier.save(w);
    w.boolean(r.current.has_value());
    if (!r.current) continue;
    w.u32(static_cast<std::uint32_t>(r.current->trend));
    w.u32(static_cast<std::uint32_t>(r.current->volatility));
    w.i64(r.current->trend_t_centi);
    w.u32(r.current->vol_rank_ppm);
  }
}

Status StrategyCore::load(StateReader& r) {
  symbols_.clear();
  std::map<std::string, Direction> first;  // the first strategy's direction, per symbol
  for (auto n = r.count(); n > 0 && r.ok(); --n) {
    const std::string symbol = r.str();
    SymbolState& s = symbols_[symbol];
    s.candles = r.u64();
    first[symbol] = static_cast<Direction>(r.u32());
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
  for (auto& m : members_)
    if (auto st = m.view->load(r); !st) return st;
  for (auto& [symbol, s] : symbols_) {
    s.views.assign(members_.size(), std::nullopt);
    if (members_.size() == 1) {
      s.views[0] = View{first[symbol], 0, 0, {}, {}};  // its direction is all the next candle reads
      continue;
    }
    for (auto& v : s.views)
      if (r.boolean()) v = load_view(r);
  }
  regimes_.clear();
  if (regime_) {
    for (auto n = r.count(); n > 0 && r.ok(); --n) {
      const std::string symbol = r.str();
      SymbolRegime& sr = regimes_.emplace(symbol, SymbolRegime{RegimeClassifier(regime_->classifier), std::nullopt})
                             .first->second;
      if (auto st = sr.classifier.load(r); !st) return st;
      if (!r.boolean()) continue;
      RegimeReading now;
      now.trend = static_cast<TrendRegime>(r.u32());
      now.volatility = static_cast<VolatilityRegime>(r.u32());
      now.trend_t_centi = static_cast<std::int32_t>(r.i64());
      now.vol_rank_ppm = r.u32();
      sr.current = now;
    }
  }
  if (!r.ok()) return fail("strategy snapshot is truncated or corrupt");
  return {};
}

}  // namespace trader
