#include "actors/paper_exchange/paper_exchange_core.hpp"

#include <algorithm>
#include <optional>

#include "actors/perp_position_state.hpp"
#include "messages/fixed_point.hpp"
#include "messages/instrument.hpp"

namespace trader {
namespace {
// value * parts / per, rounded up: a fee, or a slipped price moved to the order's disadvantage.
std::int64_t share_up(std::int64_t value, std::uint32_t parts, std::int64_t per) {
  const __int128 p = static_cast<__int128>(value) * parts;
  return static_cast<std::int64_t>((p + per - 1) / per);
}
std::int64_t bps_up(std::int64_t value, std::uint32_t bps) { return share_up(value, bps, 10'000); }
std::int64_t fee_up(std::int64_t value, std::uint32_t ppm) { return share_up(value, ppm, 1'000'000); }
}  // namespace

const FeeRates& PaperExchangeConfig::fees_of(std::string_view instrument) const { return fees_at(venue_of(instrument)); }

const FeeRates& PaperExchangeConfig::fees_at(VenueId venue) const {
  const auto it = venue_fees.find(venue);
  return it == venue_fees.end() ? fees : it->second;
}

PaperExchangeCore::PaperExchangeCore(PaperExchangeConfig config) : config_(std::move(config)) {}

OrderEvent PaperExchangeCore::event(const Working& w, OrderEventKind kind, std::int64_t ts_ms) const {
  OrderEvent e;
  e.client_order_id = w.request.client_order_id;
  e.exchange_order_id = w.exchange_id;
  e.symbol = w.request.symbol;
  e.side = w.request.side;
  e.kind = kind;
  e.cum_qty = w.cum_qty;
  e.order_qty = w.request.qty;
  e.intent_id = w.request.intent_id;
  e.fee_asset = config_.fee_asset;
  e.ts_ms = ts_ms;
  return e;
}

void PaperExchangeCore::on_request(const OrderRequest& r, const Delivery& in, Outbox& out) {
  const std::int64_t ts_ms = in.recv_ts_ns / 1'000'000;
  if (r.cancel) {
    auto it = std::find_if(working_.begin(), working_.end(),
                           [&](const Working& w) { return w.request.client_order_id == r.client_order_id; });
    if (it == working_.end()) {
      Working ghost{r, "", 0, 0};
      auto e = event(ghost, OrderEventKind::rejected, ts_ms);
      e.reason = "cancel: unknown order";
      out.push_back({Actor::none, std::move(e)});
      return;
    }
    auto e = event(*it, OrderEventKind::canceled, ts_ms);
    e.reason = "canceled on request";
    working_.erase(it);
    out.push_back({Actor::none, std::move(e)});
    return;
  }
  Working w{r, "p" + std::to_string(next_order_id_++), in.recv_ts_ns + config_.latency_ms * 1'000'000, 0};
  // What a venue's filters refuse (LOT_SIZE, PRICE_FILTER, NOTIONAL), refused here as well:
  // a paper session fills only what the venue would take. A market order's value is at the
  // last print (unknown before one: taken); a reduce-only order is exempt from the minimum.
  const MarketRules& market = config_.market.of(r.symbol);
  const auto last = last_prices_.find(r.symbol);
  const std::int64_t value_price = r.type == OrderType::limit ? r.limit_price : last != last_prices_.end() ? last->second : 0;
  const auto value = mul_fixed_checked(r.qty, value_price);
  std::string problem;
  if (r.qty <= 0) problem = "quantity must be positive";
  else if (r.type == OrderType::limit && r.limit_price <= 0) problem = "limit order without a price";
  else if (market.lot_step > 0 && r.qty % market.lot_step != 0)
    problem = "quantity " + format_fixed(r.qty) + " is not a multiple of the lot step " + format_fixed(market.lot_step) +
              " (" + config_.market.key(r.symbol, "lot_step") + ")";
  else if (r.type == OrderType::limit && market.tick_size > 0 && r.limit_price % market.tick_size != 0)
    problem = "limit price " + format_fixed(r.limit_price) + " is not a multiple of the tick " +
              format_fixed(market.tick_size) + " (" + config_.market.key(r.symbol, "tick_size") + ")";
  else if (!r.reduce_only && value_price > 0 && value && *value < market.min_notional)
    problem = "order value " + format_fixed(*value) + " (" + format_fixed(r.qty) + " at " + format_fixed(value_price) +
              ") is below the minimum " + format_fixed(market.min_notional) + " (" +
              config_.market.key(r.symbol, "min_notional") + ")";
  else if (r.reduce_only && !reduces(r)) problem = "reduce-only order would open or grow the position";
  if (!problem.empty()) {
    auto e = event(w, OrderEventKind::rejected, ts_ms);
    e.reason = problem;
    out.push_back({Actor::none, std::move(e)});
    return;
  }
  out.push_back({Actor::none, event(w, OrderEventKind::accepted, ts_ms)});
  working_.push_back(std::move(w));
}

void PaperExchangeCore::on_print(const std::string& symbol, std::int64_t price, std::int64_t low,
                                 std::int64_t high, std::int64_t size, std::uint64_t trade_id, bool is_kline,
                                 const Delivery& in, Outbox& out) {
  std::int64_t available = size;
  const std::int64_t ts_ms = in.recv_ts_ns / 1'000'000;
  for (auto it = working_.begin(); it != working_.end() && available > 0;) {
    Working& w = *it;
    const auto& r = w.request;
    if (r.symbol != symbol || in.recv_ts_ns < w.live_from_ns) {
      ++it;
      continue;
    }
    std::optional<std::int64_t> fill_price;
    bool maker = false;
    if (r.type == OrderType::market) {
      const std::int64_t slip = bps_up(price, config_.slippage_bps);
      fill_price = r.side == Side::buy ? add_checked(price, slip) : add_checked(price, -slip);
    } else {
      const bool crosses = r.side == Side::buy ? (is_kline ? low : price) < r.limit_price
                                               : (is_kline ? high : price) > r.limit_price;
      if (!crosses) {
        ++it;
        continue;
      }
      fill_price = r.limit_price;
      maker = true;
    }
    const std::int64_t qty = std::min(r.qty - w.cum_qty, available);
    // A print at a price no fill can be stated at (its price with slippage, or the fill's
    // value, past 64-bit fixed point: a garbled print) fills nothing; the order works on.
    const auto notional = fill_price ? mul_fixed_checked(qty, *fill_price) : std::nullopt;
    if (!notional) {
      out.push_back({Actor::none, ErrorReport{"arithmetic_overflow",
                                              "a paper fill of " + format_fixed(qty) + " " + symbol + " at " +
                                                  format_fixed(price) + " overflows 64-bit fixed point; not filled",
                                              r.client_order_id, in.seq, in.recv_ts_ns}});
      ++it;
      continue;
    }
    available -= qty;
    w.cum_qty += qty;
    const bool done = w.cum_qty >= r.qty;
    auto e = event(w, done ? OrderEventKind::filled : OrderEventKind::partially_filled, ts_ms);
    e.fill_qty = qty;
    e.fill_price = *fill_price;
    const FeeRates& rates = config_.fees_of(symbol);
    e.fee = fee_up(*notional, maker ? rates.maker_ppm : rates.taker_ppm);
    e.liquidity = maker ? Liquidity::maker : Liquidity::taker;
    e.trade_id = trade_id;
    if (is_perpetual(symbol)) book_perp_fill(e, out);
    out.push_back({Actor::none, std::move(e)});
    it = done ? working_.erase(it) : it + 1;
  }
}

bool PaperExchangeCore::reduces(const OrderRequest& r) const {
  const auto it = perps_.find(r.symbol);
  const std::int64_t held = it == perps_.end() ? 0 : it->second.qty;
  return held != 0 && (held > 0) == (r.side == Side::sell) && r.qty <= quantity_size(held);
}

void PaperExchangeCore::book_perp_fill(const OrderEvent& e, Outbox& out) {
  futures::PerpPosition& p = perps_[e.symbol];
  if (p.qty == 0) p.leverage = std::max<std::uint32_t>(1, config_.perps.leverage);
  if (cross()) marks_.try_emplace(e.symbol, e.fill_price);  // until its first mark, as the portfolio does
  // The fill stands (the venue made it); a position that cannot hold it is said, loudly.
  if (auto booked = futures::apply_fill(p, e.side == Side::buy, e.fill_qty, e.fill_price, e.fee); !booked)
    out.push_back({Actor::none, ErrorReport{"arithmetic_overflow", "the paper venue's " + e.symbol + " position: " +
                                            booked.error().message, e.client_order_id, 0, e.ts_ms * 1'000'000}});
}

void PaperExchangeCore::cancel_for_liquidation(const std::string& symbol, std::int64_t ts_ms, Outbox& out) {
  for (auto w = working_.begin(); w != working_.end();) {
    if (cross() ? !is_perpetual(w->request.symbol) : w->request.symbol != symbol) {
      ++w;
      continue;
    }
    auto e = event(*w, OrderEventKind::canceled, ts_ms);
    e.reason = cross() ? "canceled by the cross-margin liquidation at " + symbol + "'s mark"
                       : "canceled by the liquidation of " + symbol;
    out.push_back({Actor::none, std::move(e)});
    w = working_.erase(w);
  }
}

void PaperExchangeCore::on_mark(const MarkPrice& m, const Delivery& in, Outbox& out) {
  if (cross()) return on_cross_mark(m, in, out);
  const auto it = perps_.find(m.symbol);
  if (it == perps_.end() || it->second.qty == 0) return;
  const futures::PerpContract* contract = config_.perps.find(m.symbol);
  if (!contract) return;  // the config names a contract for every perpetual it trades
  futures::PerpPosition& p = it->second;
  const auto check = futures::check_margin(p, *contract, m.price);
  if (!check || !check->liquidate) return;
  const std::int64_t ts_ms = in.recv_ts_ns / 1'000'000;
  // As a venue does: the symbol's open orders are canceled, then the position is closed
  // at its bankruptcy price and its margin is lost.
  cancel_for_liquidation(m.symbol, ts_ms, out);
  Liquidation l{m.symbol, p.qty, futures::entry_price(p), p.leverage, m.price,
                p.margin, check->margin_balance, check->maintenance, check->mmr,
                futures::liquidation_price(p, *contract).value_or(0), futures::bankruptcy_price(p), 0, ts_ms};
  if (auto closed = futures::liquidate(p); closed) {
    l.loss = -closed->realized;  // the margin left: what funding took beyond it is already out of the wallet
  } else {
    out.push_back({Actor::none, ErrorReport{"arithmetic_overflow", "the paper venue cannot liquidate " + m.symbol +
                                            ": " + closed.error().message, m.symbol, 0, in.recv_ts_ns}});
    return;
  }
  out.push_back({Actor::none, std::move(l)});
}

void PaperExchangeCore::on_cross_mark(const MarkPrice& m, const Delivery& in, Outbox& out) {
  const auto held = perps_.find(m.symbol);
  if (held == perps_.end()) return;  // marks of symbols traded, as the portfolio keeps them
  marks_[m.symbol] = m.price;
  if (held->second.qty == 0) return;  // only a held symbol's mark moves the balance
  auto overflow = [&](const std::string& what) {
    out.push_back({Actor::none, ErrorReport{"arithmetic_overflow", "the paper venue's cross margin: " + what +
                                            " overflows 64-bit fixed point", m.symbol, 0, in.recv_ts_ns}});
  };
  // The wallet: the paper cash and all that fills and funding moved.
  __int128 wallet = config_.wallet_start;
  std::vector<std::string> symbols;
  std::vector<futures::CrossLeg> legs;
  for (auto& [symbol, p] : perps_) {
    wallet += static_cast<__int128>(p.realized) - p.fees + p.funding;
    if (p.qty == 0) continue;
    const futures::PerpContract* contract = config_.perps.find(symbol);
    if (!contract) return;  // the config names a contract for every perpetual it trades
    // The marked symbol first: its record is the one the mark decided.
    const auto at = symbol == m.symbol ? legs.begin() : legs.end();
    symbols.insert(symbols.begin() + (at - legs.begin()), symbol);
    const auto mark = marks_.find(symbol);  // none only after a resume that changed the margin mode
    legs.insert(at, {&p, contract, mark != marks_.end() ? mark->second : futures::entry_price(p)});
  }
  const auto w = narrow_checked(wallet);
  const auto check = w ? futures::check_cross_margin(*w, legs) : std::nullopt;
  if (!check) return overflow("the margin balance");
  if (!check->liquidate) return;
  const auto losses = futures::cross_losses(*w, legs, 0);
  if (!losses) return overflow("a position's loss");
  std::vector<Liquidation> records;
  const std::int64_t ts_ms = in.recv_ts_ns / 1'000'000;
  for (std::size_t i = 0; i < legs.size(); ++i) {
    const futures::PerpPosition& p = *legs[i].position;
    const auto collateral = futures::cross_collateral(*w, legs, i);
    const auto notional = narrow_checked(static_cast<__int128>(quantity_size(p.qty)) * legs[i].mark / kFixedScale);
    if (!collateral || !notional) return overflow("a position's collateral");
    records.push_back({symbols[i], p.qty, futures::entry_price(p), p.leverage, legs[i].mark, *w, check->margin_balance,
                       check->maintenance, futures::tier_of(*legs[i].contract, *notional).mmr,
                       futures::liquidation_price(p, *legs[i].contract, collateral->liquidation).value_or(0),
                       futures::bankruptcy_price(p, collateral->bankruptcy), (*losses)[i], ts_ms, true});
  }
  // Checked before anything is booked: each close only fails if its realized PnL would overflow.
  for (std::size_t i = 0; i < legs.size(); ++i) {
    futures::PerpPosition copy = *legs[i].position;
    if (!futures::close_at_loss(copy, (*losses)[i])) return overflow(symbols[i] + "'s realized PnL");
  }
  cancel_for_liquidation(m.symbol, ts_ms, out);
  for (std::size_t i = 0; i < legs.size(); ++i) {
    (void)futures::close_at_loss(perps_.at(symbols[i]), (*losses)[i]);
    out.push_back({Actor::none, std::move(records[i])});
  }
}

void PaperExchangeCore::expire(const Delivery& in, Outbox& out) {
  const std::int64_t timeout_ns = config_.market_timeout_ms * 1'000'000;
  for (auto it = working_.begin(); it != working_.end();) {
    if (it->request.type == OrderType::market && in.recv_ts_ns - it->live_from_ns >= timeout_ns) {
      auto e = event(*it, OrderEventKind::expired, in.recv_ts_ns / 1'000'000);
      e.reason = "market order not filled within " + std::to_string(config_.market_timeout_ms) + " ms";
      out.push_back({Actor::none, std::move(e)});
      it = working_.erase(it);
    } else {
      ++it;
    }
  }
}

void PaperExchangeCore::on(const Delivery& in, Outbox& out) {
  if (const auto* r = std::get_if<OrderRequest>(&in.message)) {
    on_request(*r, in, out);
    return;
  }
  if (const auto* m = std::get_if<MarkPrice>(&in.message)) return on_mark(*m, in, out);
  if (const auto* f = std::get_if<Funding>(&in.message)) {
    if (auto it = perps_.find(f->symbol); it != perps_.end() && it->second.qty != 0) {
      if (cross()) marks_[f->symbol] = f->mark_price;  // the portfolio marks at the funding's mark
      if (auto paid = futures::apply_funding(it->second, f->mark_price, f->rate, config_.perps.margin_mode); !paid)
        out.push_back({Actor::none, ErrorReport{"arithmetic_overflow", "the paper venue's " + f->symbol +
                                                " funding: " + paid.error().message, f->symbol, 0, in.recv_ts_ns}});
    }
    return;
  }
  if (const auto* t = std::get_if<Trade>(&in.message)) last_prices_[t->symbol] = t->price;
  else if (const auto* a = std::get_if<AggTrade>(&in.message)) last_prices_[a->symbol] = a->price;
  else if (const auto* k = std::get_if<Kline>(&in.message); k && k->closed) last_prices_[k->symbol] = k->close;
  if (working_.empty()) return;
  if (const auto* t = std::get_if<Trade>(&in.message)) {
    on_print(t->symbol, t->price, t->price, t->price, t->qty, t->trade_id, false, in, out);
  } else if (const auto* a = std::get_if<AggTrade>(&in.message)) {
    on_print(a->symbol, a->price, a->price, a->price, a->qty, a->agg_trade_id, false, in, out);
  } else if (const auto* k = std::get_if<Kline>(&in.message)) {
    if (k->closed && k->volume > 0) {
      const std::int64_t cap = floor_to_lot(static_cast<std::int64_t>(static_cast<__int128>(k->volume) *
                                                                      config_.kline_participation_ppm / 1'000'000),
                                            config_.market.of(k->symbol).lot_step);
      on_print(k->symbol, k->open, k->low, k->high, cap, 0, true, in, out);
    }
  }
  expire(in, out);
}

Quiet PaperExchangeCore::quiet() const {
  if (!working_.empty()) return {};
  std::uint64_t answers = type_bit(OrderRequest::kTypeId);
  if (std::any_of(perps_.begin(), perps_.end(), [](const auto& p) { return p.second.qty != 0; }))
    answers |= type_bit(MarkPrice::kTypeId) | type_bit(Funding::kTypeId);
  return {kAllTypes & ~answers};
}

void PaperExchangeCore::save(StateWriter& w) const {
  w.u32(static_cast<std::uint32_t>(working_.size()));
  for (const auto& o : working_) {
    w.message(o.request);
    w.str(o.exchange_id);
    w.i64(o.live_from_ns);
    w.i64(o.cum_qty);
  }
  w.u64(next_order_id_);
  // Later sections each read only where present (snapshots written before them end earlier).
  w.u32(static_cast<std::uint32_t>(perps_.size()));
  for (const auto& [symbol, p] : perps_) {
    w.str(symbol);
    save_position(w, p);
  }
  if (cross()) {
    w.u32(static_cast<std::uint32_t>(marks_.size()));
    for (const auto& [symbol, mark] : marks_) {
      w.str(symbol);
      w.i64(mark);
    }
  }
  w.u32(static_cast<std::uint32_t>(last_prices_.size()));
  for (const auto& [symbol, price] : last_prices_) {
    w.str(symbol);
    w.i64(price);
  }
}

Status PaperExchangeCore::load(StateReader& r) {
  working_.clear();
  for (auto n = r.count(); n > 0 && r.ok(); --n) {
    auto m = r.message();
    auto* req = std::get_if<OrderRequest>(&m);
    if (!req) return fail("exchange snapshot: expected an order request");
    Working o{std::move(*req), r.str(), 0, 0};
    o.live_from_ns = r.i64();
    o.cum_qty = r.i64();
    working_.push_back(std::move(o));
  }
  next_order_id_ = r.u64();
  perps_.clear();
  if (r.ok() && !r.at_end())
    for (auto n = r.count(); n > 0 && r.ok(); --n) {
      const std::string symbol = r.str();
      perps_[symbol] = load_position(r);
    }
  marks_.clear();
  if (cross() && r.ok() && !r.at_end())
    for (auto n = r.count(); n > 0 && r.ok(); --n) {
      const std::string symbol = r.str();
      marks_[symbol] = r.i64();
    }
  last_prices_.clear();
  if (r.ok() && !r.at_end())
    for (auto n = r.count(); n > 0 && r.ok(); --n) {
      const std::string symbol = r.str();
      last_prices_[symbol] = r.i64();
    }
  if (!r.ok()) return fail("exchange snapshot is truncated or corrupt");
  return {};
}

}  // namespace trader
