#include "actors/portfolio/portfolio_core.hpp"

#include <algorithm>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "actors/perp_position_state.hpp"
#include "messages/fixed_point.hpp"
#include "messages/instrument.hpp"

namespace trader {

PortfolioCore::PortfolioCore(PortfolioConfig config) : config_(std::move(config)) {
  state_.quote_asset = config_.quote_asset;
  state_.cash = state_.equity = state_.peak_equity = state_.starting_cash = config_.starting_cash;
}

namespace {
bool fits(__int128 v) {
  return v >= std::numeric_limits<std::int64_t>::min() && v <= std::numeric_limits<std::int64_t>::max();
}
// a * b / kFixedScale in 128 bits, toward zero (as mul_fixed, without narrowing).
__int128 mul_wide(std::int64_t a, std::int64_t b) { return static_cast<__int128>(a) * b / kFixedScale; }
}  // namespace

// What the venue did that the portfolio could not book (its figures would leave 64-bit
// fixed point): its book no longer matches the venue's, so risk is told (and halts), not
// only the journal.
void PortfolioCore::not_booked(const std::string& what, const std::string& context, std::int64_t ts_ms, Outbox& out) {
  out.push_back({Actor::risk, ErrorReport{std::string(kNotBooked), what + " overflows 64-bit fixed point; not booked",
                                          context, 0, ts_ms * 1'000'000}});
}

const ErrorReport* PortfolioCore::lost_book(Actor source, const Message& m) {
  if (source != Actor::portfolio) return nullptr;
  const auto* e = std::get_if<ErrorReport>(&m);
  return e && (e->code == kNotBooked || e->code == kNotValued) ? e : nullptr;
}

std::string PortfolioCore::lost_book_failure(std::size_t count, const std::string& first) {
  return fmt::format("the portfolio's book can no longer be trusted (a fill, funding or liquidation it could not "
                     "book, or a value it could not state), so risk halted trading there and the figures after it "
                     "are not the venue's ({} report(s), journaled as {} or {} errors; the first: {})",
                     count, kNotBooked, kNotValued, first);
}

PortfolioCore::FeeBooking PortfolioCore::fee_booking(const std::string& symbol, const std::string& fee_asset,
                                                     const std::string& quote_asset) {
  if (fee_asset.empty() || fee_asset == quote_asset) return FeeBooking::quote;
  if (!is_perpetual(symbol) && symbol.size() > fee_asset.size() && symbol.rfind(fee_asset, 0) == 0)
    return FeeBooking::base;
  return FeeBooking::unvalued;
}

void PortfolioCore::on_fill(const OrderEvent& e, Outbox& out) {
  auto error = [&](const char* code, std::string what) {
    out.push_back({Actor::none, ErrorReport{code, std::move(what), e.client_order_id, 0, e.ts_ms * 1'000'000}});
  };
  // Fees in the quote asset come out of cash. A venue may take its commission in the asset
  // bought (Binance does on spot buys): then less of it arrives, and the fee's value is
  // that quantity at the fill price.
  const FeeBooking booking = fee_booking(e.symbol, e.fee_asset, state_.quote_asset);
  const bool quote_fee = booking == FeeBooking::quote;
  const bool base_fee = booking == FeeBooking::base;
  if (booking == FeeBooking::unvalued)
    error(kFeeAssetUnvalued.data(),
          "fee in " + e.fee_asset + " is not valued (neither " + e.symbol + "'s base nor " + state_.quote_asset + ")");
  const std::int64_t fee_in_base = base_fee ? e.fee : 0;
  const std::int64_t cash_fee = quote_fee ? e.fee : 0;

  // Everything in 128 bits; the fill is booked only if every result fits, so a wrapped
  // number never reaches the state (the venue's fill is then reported, not booked).
  Holding h = holdings_[e.symbol];
  PortfolioState s = state_;
  const __int128 notional = mul_wide(e.fill_qty, e.fill_price);  // what the quote side moves
  const __int128 base_fee_value = mul_wide(fee_in_base, e.fill_price);
  const __int128 fee_value = cash_fee + base_fee_value;
  __int128 qty = h.qty, cost = h.cost, cash = s.cash, fees = s.fees, realized = 0, trip = h.trip_net;
  fees += fee_value;
  const std::int64_t one_lot = std::max<std::int64_t>(1, config_.market.of(e.symbol).lot_step);  // less is dust
  if (e.side == Side::buy) {
    if (h.qty < one_lot) trip = 0;
    // The commission's part of the notional is a fee, the rest is what the holding cost.
    qty += static_cast<__int128>(e.fill_qty) - fee_in_base;
    cost += notional - base_fee_value;
    cash -= notional + cash_fee;
    trip -= fee_value;
  } else {
    // Units leaving: those sold and those taken as a base-asset commission, valued at the
    // fill price; they take their share of the cost basis with them.
    const __int128 units = static_cast<__int128>(e.fill_qty) + fee_in_base;
    const __int128 value_out = notional + base_fee_value;
    const __int128 held = qty > 0 ? qty : 0;
    const __int128 take = units < held ? units : held;
    const __int128 cost_out = held > 0 ? cost * take / held : 0;  // all of it when all is sold
    // More than was held (spot cannot short; risk refuses such orders): the excess is
    // carried at what it was sold for, so it books no profit it did not make.
    const __int128 excess_value = units > take ? value_out * (units - take) / units : 0;
    if (units > take)
      error("oversold", "sold more " + e.symbol + " than held (spot cannot short): the excess is carried at its "
                        "sale price, not booked as profit");
    realized = value_out - excess_value - cost_out;
    qty -= units;
    cost -= cost_out + excess_value;
    cash += notional - cash_fee;
    trip += realized - fee_value;
  }
  // The fill's venue's cash moves with the total, if that venue's account was adopted.
  const auto at_venue = venue_cash_.find(std::string(venue_name(venue_of(e.symbol))));
  const __int128 venue_cash =
      at_venue == venue_cash_.end() ? 0 : static_cast<__int128>(at_venue->second) + (cash - s.cash);
  if (!quantity_fits(qty) || !fits(cost) || !fits(cash) || !fits(fees) || !fits(realized) || !fits(s.realized_pnl + realized) ||
      !fits(h.realized + realized) || !fits(trip) || !fits(notional) || !fits(fee_value) || !fits(venue_cash)) {
    return not_booked("fill of " + e.symbol, e.client_order_id, e.ts_ms, out);
  }
  h.qty = static_cast<std::int64_t>(qty);
  h.cost = static_cast<std::int64_t>(cost);
  h.realized += static_cast<std::int64_t>(realized);
  h.trip_net = static_cast<std::int64_t>(trip);
  h.last_price = e.fill_price;
  s.cash = static_cast<std::int64_t>(cash);
  s.fees = static_cast<std::int64_t>(fees);
  s.realized_pnl += static_cast<std::int64_t>(realized);
  ++s.fills;
  if (e.side == Side::sell && h.qty < one_lot) {  // closed (perhaps to dust)
    ++s.round_trips;
    if (h.trip_net > 0) ++s.winning_round_trips;
    h.trip_net = 0;
  }
  holdings_[e.symbol] = h;
  state_ = std::move(s);
  if (at_venue != venue_cash_.end()) at_venue->second = static_cast<std::int64_t>(venue_cash);
}

void PortfolioCore::on_perp_fill(const OrderEvent& e, Outbox& out) {
  auto error = [&](const char* code, std::string what) {
    out.push_back({Actor::none, ErrorReport{code, std::move(what), e.client_order_id, 0, e.ts_ms * 1'000'000}});
  };
  std::int64_t fee = e.fee;
  if (fee_booking(e.symbol, e.fee_asset, state_.quote_asset) != FeeBooking::quote) {
    error(kFeeAssetUnvalued.data(), "a fee of " + e.symbol + " in " + e.fee_asset + " is not valued (its margin and PnL "
                                "are in " + state_.quote_asset + "); booked as 0");
    fee = 0;
  }
  // Worked on a copy: booked only if every result fits.
  PerpHolding h = perps_.count(e.symbol) ? perps_.at(e.symbol) : PerpHolding{};
  if (h.pos.qty == 0) {
    h.pos.leverage = std::max<std::uint32_t>(1, config_.perps.leverage);
    h.trip_net = 0;
  }
  const std::int64_t before = h.pos.qty;
  auto effect = futures::apply_fill(h.pos, e.side == Side::buy, e.fill_qty, e.fill_price, fee);
  if (!effect) return not_booked("fill of " + e.symbol + " (" + effect.error().message + ")", e.client_order_id, e.ts_ms, out);
  const __int128 cash = static_cast<__int128>(state_.cash) + effect->wallet_delta;
  const __int128 fees = static_cast<__int128>(state_.fees) + fee;
  const __int128 realized = static_cast<__int128>(state_.realized_pnl) + effect->realized;
  const __int128 trip = static_cast<__int128>(h.trip_net) + effect->wallet_delta;
  const auto at_venue = venue_cash_.find(std::string(venue_name(venue_of(e.symbol))));
  const __int128 venue_cash =
      at_venue == venue_cash_.end() ? 0 : static_cast<__int128>(at_venue->second) + effect->wallet_delta;
  if (!fits(cash) || !fits(fees) || !fits(realized) || !fits(trip) || !fits(venue_cash))
    return not_booked("fill of " + e.symbol, e.client_order_id, e.ts_ms, out);
  state_.cash = static_cast<std::int64_t>(cash);
  state_.fees = static_cast<std::int64_t>(fees);
  state_.realized_pnl = static_cast<std::int64_t>(realized);
  ++state_.fills;
  // A round trip ends when the position comes back to flat or goes through it.
  if (effect->closed > 0 && (h.pos.qty == 0 || (h.pos.qty > 0) != (before > 0))) {
    ++state_.round_trips;
    if (trip > 0) ++state_.winning_round_trips;
    h.trip_net = 0;
  } else {
    h.trip_net = static_cast<std::int64_t>(trip);
  }
  if (h.mark == 0) h.mark = e.fill_price;  // until the first mark
  perps_[e.symbol] = h;
  if (at_venue != venue_cash_.end()) at_venue->second = static_cast<std::int64_t>(venue_cash);
}

void PortfolioCore::on_funding(const Funding& f, Outbox& out) {
  const auto it = perps_.find(f.symbol);
  if (it == perps_.end() || it->second.pos.qty == 0) return;  // nothing open pays or receives
  PerpHolding h = it->second;
  auto received = futures::apply_funding(h.pos, f.mark_price, f.rate, config_.perps.margin_mode);
  const __int128 cash = static_cast<__int128>(state_.cash) + (received ? *received : 0);
  const __int128 funding = static_cast<__int128>(state_.funding) + (received ? *received : 0);
  const __int128 trip = static_cast<__int128>(h.trip_net) + (received ? *received : 0);
  if (!received || !fits(cash) || !fits(funding) || !fits(trip))
    return not_booked("funding of " + f.symbol, "", f.funding_time_ms, out);
  h.trip_net = static_cast<std::int64_t>(trip);
  h.mark = f.mark_price;
  it->second = h;
  state_.cash = static_cast<std::int64_t>(cash);
  state_.funding = static_cast<std::int64_t>(funding);
  publish(f.funding_time_ms, out);
}

void PortfolioCore::on_liquidation(const Liquidation& l, Outbox& out) {
  auto error = [&](const char* code, std::string what) {
    out.push_back({Actor::none, ErrorReport{code, std::move(what), l.symbol, 0, l.ts_ms * 1'000'000}});
  };
  const auto it = perps_.find(l.symbol);
  if (it == perps_.end() || it->second.pos.qty == 0)
    return error("liquidation_unknown", "the venue liquidated " + l.symbol + ", where the portfolio holds nothing");
  PerpHolding h = it->second;
  // The venue's numbers and ours come from the same fills, funding and rules: a
  // difference is journaled, and the venue's closing is booked all the same. Cross, the
  // venue decides each position's share of the wallet it keeps: that loss is booked.
  if (l.qty != h.pos.qty || (!l.cross && l.margin != h.pos.margin))
    error("liquidation_differs", l.symbol + ": the venue liquidated " + format_fixed(l.qty) + " with margin " +
                                     format_fixed(l.margin) + ", the portfolio holds " + format_fixed(h.pos.qty) +
                                     " with margin " + format_fixed(h.pos.margin));
  auto effect = l.cross ? futures::close_at_loss(h.pos, l.loss) : futures::liquidate(h.pos);
  const __int128 cash = static_cast<__int128>(state_.cash) + (effect ? effect->wallet_delta : 0);
  const __int128 realized = static_cast<__int128>(state_.realized_pnl) + (effect ? effect->realized : 0);
  if (!effect || !fits(cash) || !fits(realized))
    return not_booked("the liquidation of " + l.symbol, l.symbol, l.ts_ms, out);
  state_.cash = static_cast<std::int64_t>(cash);
  state_.realized_pnl = static_cast<std::int64_t>(realized);
  ++state_.round_trips;
  if (h.trip_net + effect->wallet_delta > 0) ++state_.winning_round_trips;
  h.trip_net = 0;
  h.mark = l.mark_price;
  it->second = h;
  publish(l.ts_ms, out);
}

__int128 PortfolioCore::cash_at_venue(const std::string& venue) const {
  if (const auto it = venue_cash_.find(venue); it != venue_cash_.end()) return it->second;
  __int128 unclaimed = state_.cash;
  for (const auto& [other, held] : venue_cash_) unclaimed -= held;
  return unclaimed;
}

std::int64_t PortfolioCore::cash_at(const std::string& venue) const {
  const __int128 cash = cash_at_venue(venue);
  return static_cast<std::int64_t>(std::clamp<__int128>(cash, std::numeric_limits<std::int64_t>::min(),
                                                        std::numeric_limits<std::int64_t>::max()));
}

void PortfolioCore::adopt(const AccountBalances& b, Outbox& out) {
  auto error = [&](const char* code, std::string what) {
    out.push_back({Actor::none, ErrorReport{code, std::move(what), b.venue, 0, b.ts_ms * 1'000'000}});
  };
  if (b.quote_asset != state_.quote_asset) {
    error("venue_quote_asset_differs", "the venue's account is in " + b.quote_asset + ", the portfolio in " +
                                           state_.quote_asset + "; its balances are not adopted");
    return;
  }
  // Build the adopted state aside, in 128 bits, and take it only if everything fits.
  const __int128 venue_before = cash_at_venue(b.venue);
  __int128 cash = state_.cash, capital = state_.starting_cash, venue_now = venue_before;
  std::map<std::string, Holding> holdings = holdings_;
  std::map<std::string, std::int64_t> unvalued = unvalued_;
  for (const auto& a : b.balances) {
    const __int128 total = static_cast<__int128>(a.free) + a.locked;
    if (a.free < 0 || a.locked < 0 || !fits(total)) {
      error("venue_balance_invalid", a.asset + ": the venue reports a negative or oversized balance; not adopted");
      return;
    }
    if (a.symbol.empty()) {  // the quote asset: the cash the node trades with at this venue
      capital += total - venue_now;
      cash += total - venue_now;
      venue_now = total;
      continue;
    }
    Holding& h = holdings[a.symbol];
    std::int64_t& pending = unvalued[a.symbol];
    // The journal knows the cost of h.qty (and pending has none yet): keep the known part's
    // cost for as much as the venue holds, drop the rest from the capital.
    const __int128 known = std::min<__int128>(total, std::max<std::int64_t>(h.qty, 0));
    const __int128 kept_cost = h.qty > 0 ? static_cast<__int128>(h.cost) * known / h.qty : 0;
    capital -= h.cost - kept_cost;
    h.cost = static_cast<std::int64_t>(kept_cost);
    h.qty = static_cast<std::int64_t>(known);
    pending = static_cast<std::int64_t>(total - known);
    if (a.price > 0) {
      h.last_price = a.price;  // the venue's price now, newer than any the journal has
    } else if (pending > 0 && h.last_price > 0) {
      // An account record from before prices were read: the journal's last price values
      // it at once, unannounced, as the build that journaled it did (so it replays).
      const __int128 value = mul_wide(pending, h.last_price);
      h.cost += static_cast<std::int64_t>(value);
      h.qty += pending;
      capital += value;
      pending = 0;
    }
  }
  // Capital moved in or out is no gain or loss: the peak moves with it, or an account
  // smaller than portfolio.starting_cash would start in a drawdown (and halt trading).
  const __int128 peak = static_cast<__int128>(state_.peak_equity) + (capital - state_.starting_cash);
  if (!fits(cash) || !fits(capital) || !fits(peak) || !fits(venue_now)) {
    error("arithmetic_overflow", "the venue's balances overflow 64-bit fixed point; not adopted");
    return;
  }
  std::erase_if(unvalued, [](const auto& kv) { return kv.second == 0; });
  holdings_ = std::move(holdings);
  unvalued_ = std::move(unvalued);
  state_.cash = static_cast<std::int64_t>(cash);
  state_.starting_cash = static_cast<std::int64_t>(capital);
  state_.peak_equity = static_cast<std::int64_t>(peak);
  venue_cash_[b.venue] = static_cast<std::int64_t>(venue_now);
  // What the venue priced at the start is valued now.
  for (const auto& a : b.balances)
    if (!a.symbol.empty() && a.price > 0) value_adopted(a.symbol, a.price, b.ts_ms, out, "the venue's price at the start");
}

void PortfolioCore::value_adopted(const std::string& symbol, std::int64_t price, std::int64_t ts_ms, Outbox& out,
                                  const char* price_source) {
  auto it = unvalued_.find(symbol);
  if (it == unvalued_.end() || price <= 0) return;
  const __int128 value = mul_wide(it->second, price);
  Holding& h = holdings_[symbol];
  if (!fits(value) || !fits(h.cost + value) || !quantity_fits(static_cast<__int128>(h.qty) + it->second) ||
      !fits(state_.starting_cash + value) || !fits(state_.peak_equity + value)) {
    out.push_back({Actor::none, ErrorReport{"arithmetic_overflow", symbol + ": valuing the adopted holding overflows "
                                            "64-bit fixed point; not valued", "", 0, ts_ms * 1'000'000}});
    return;
  }
  out.push_back({Actor::none,
                 ErrorReport{"holding_valued_at_start_price",
                             symbol + ": " + format_fixed(it->second) + " held at the venue with no cost basis in the "
                                 "journal, valued at " + price_source + ", " + format_fixed(price) + " (cost basis " +
                                 format_fixed(static_cast<std::int64_t>(value)) + ")",
                             symbol, 0, ts_ms * 1'000'000}});
  h.qty += it->second;
  h.cost += static_cast<std::int64_t>(value);
  h.last_price = price;
  state_.starting_cash += static_cast<std::int64_t>(value);
  state_.peak_equity += static_cast<std::int64_t>(value);  // capital, not gain (see adopt)
  unvalued_.erase(it);
}

std::optional<std::int64_t> PortfolioCore::liquidation_price_of(const std::string& symbol) const {
  const PerpHolding& h = perps_.at(symbol);
  const auto* contract = config_.perps.find(symbol);
  if (!contract) return std::nullopt;
  if (config_.perps.margin_mode == futures::MarginMode::isolated) return futures::liquidation_price(h.pos, *contract);
  // Cross: the venue's wallet and its other positions at their marks stand for the margin.
  const VenueId venue = venue_of(symbol);
  std::vector<futures::CrossLeg> legs;
  std::size_t self = 0;
  for (const auto& [other, o] : perps_) {
    if (o.pos.qty == 0 || venue_of(other) != venue) continue;
    if (other == symbol) self = legs.size();
    legs.push_back({&o.pos, config_.perps.find(other), o.mark});
  }
  const auto wallet = narrow_checked(cash_at_venue(std::string(venue_name(venue))));
  const auto collateral = wallet ? futures::cross_collateral(*wallet, legs, self) : std::nullopt;
  if (!collateral) return std::nullopt;
  return futures::liquidation_price(h.pos, *contract, collateral->liquidation);
}

void PortfolioCore::publish(std::int64_t ts_ms, Outbox& out) {
  // equity - starting cash == realized + unrealized - fees, exactly: every fill moves both
  // sides by the same integers (see the header), and unrealized is value minus cost basis.
  __int128 unrealized = 0, holdings_value = 0;
  std::vector<Position> positions;
  for (const auto& [symbol, h] : holdings_) {
    if (h.qty == 0 && h.cost == 0) continue;
    const __int128 value = mul_wide(h.last_price, h.qty);
    holdings_value += value;
    unrealized += value - h.cost;
    if (h.qty < config_.market.of(symbol).lot_step || h.qty <= 0) continue;  // dust: valued, not traded
    if (!fits(value - h.cost)) continue;  // reported below with the totals
    const auto avg_entry = static_cast<std::int64_t>(static_cast<__int128>(h.cost) * kFixedScale / h.qty);
    positions.push_back({symbol, h.qty, avg_entry, h.last_price, static_cast<std::int64_t>(value - h.cost), h.realized});
  }
  // Perpetuals: valued at their unrealised PnL at the mark (a fill moved no notional).
  for (const auto& [symbol, h] : perps_) {
    if (h.pos.qty == 0) continue;
    const __int128 u = static_cast<__int128>(h.pos.qty) * h.mark / kFixedScale - h.pos.cost;
    unrealized += u;
    holdings_value += u;
    if (!fits(u)) continue;  // reported below with the totals
    const auto liq = liquidation_price_of(symbol);
    positions.push_back({symbol, h.pos.qty, futures::entry_price(h.pos), h.mark,
                         static_cast<std::int64_t>(u), h.pos.realized, h.pos.margin, liq.value_or(0), h.pos.leverage});
  }
  const __int128 equity = state_.cash + holdings_value;
  if (!fits(unrealized) || !fits(equity) || !fits(holdings_value)) {
    out.push_back({Actor::risk, ErrorReport{std::string(kNotValued), "portfolio value overflows 64-bit fixed point; "
                                            "state not published", "", 0, ts_ms * 1'000'000}});
    return;
  }
  state_.ts_ms = ts_ms;
  state_.unrealized_pnl = static_cast<std::int64_t>(unrealized);
  state_.positions = std::move(positions);
  state_.equity = static_cast<std::int64_t>(equity);
  if (state_.equity > state_.peak_equity) state_.peak_equity = state_.equity;
  state_.drawdown_ppm = state_.peak_equity > 0 && state_.equity < state_.peak_equity
                            ? static_cast<std::uint32_t>(static_cast<__int128>(state_.peak_equity - state_.equity) *
                                                         1'000'000 / state_.peak_equity)
                            : 0;
  if (state_.drawdown_ppm > state_.max_drawdown_ppm) state_.max_drawdown_ppm = state_.drawdown_ppm;
  out.push_back({Actor::none, state_});
}

void PortfolioCore::on(const Delivery& in, Outbox& out) {
  if (const auto* e = std::get_if<OrderEvent>(&in.message); e && e->fill_qty > 0 && is_perpetual(e->symbol)) {
    on_perp_fill(*e, out);
    publish(e->ts_ms, out);
  } else if (const auto* m = std::get_if<MarkPrice>(&in.message)) {
    if (auto it = perps_.find(m->symbol); it != perps_.end()) it->second.mark = m->price;  // valued at the next state
  } else if (const auto* f = std::get_if<Funding>(&in.message)) {
    on_funding(*f, out);
  } else if (const auto* l = std::get_if<Liquidation>(&in.message)) {
    on_liquidation(*l, out);
  } else if (const auto* e = std::get_if<OrderEvent>(&in.message)) {
    if (e->fill_qty > 0) {  // only fill events carry a fill quantity
      value_adopted(e->symbol, e->fill_price, e->ts_ms, out);
      on_fill(*e, out);
      publish(e->ts_ms, out);
    }
  } else if (const auto* c = std::get_if<Candle>(&in.message)) {
    // A warm-up's candles are the past: equity is marked from the first live one on.
    if (c->interval_s != config_.mark_interval_s || c->history) return;
    value_adopted(c->symbol, c->close, c->close_time_ms, out);
    if (auto it = holdings_.find(c->symbol); it != holdings_.end()) it->second.last_price = c->close;
    publish(c->close_time_ms, out);
  } else if (const auto* b = std::get_if<AccountBalances>(&in.message)) {
    adopt(*b, out);
    publish(b->ts_ms, out);
  }
}

void PortfolioCore::save(StateWriter& w) const {
  w.u32(static_cast<std::uint32_t>(holdings_.size()));
  for (const auto& [symbol, h] : holdings_) {
    w.str(symbol);
    for (auto v : {h.qty, h.cost, h.last_price, h.realized, h.trip_net}) w.i64(v);
  }
  w.message(state_);
  // Last and only when there is any, so that a paper session's snapshots are what they
  // were before adoption existed, and those older snapshots still load: what is unvalued,
  // then each venue's cash.
  if (unvalued_.empty() && venue_cash_.empty() && perps_.empty()) return;
  for (const auto* m : {&unvalued_, &venue_cash_}) {
    w.u32(static_cast<std::uint32_t>(m->size()));
    for (const auto& [key, v] : *m) {
      w.str(key);
      w.i64(v);
    }
  }
  // Then the perpetuals, only when there are any.
  if (perps_.empty()) return;
  w.u32(static_cast<std::uint32_t>(perps_.size()));
  for (const auto& [symbol, h] : perps_) {
    w.str(symbol);
    save_position(w, h.pos);
    w.i64(h.mark);
    w.i64(h.trip_net);
  }
}

Status PortfolioCore::load(StateReader& r) {
  holdings_.clear();
  for (auto n = r.count(); n > 0 && r.ok(); --n) {
    Holding& h = holdings_[r.str()];
    for (auto* v : {&h.qty, &h.cost, &h.last_price, &h.realized, &h.trip_net}) *v = r.i64();
  }
  auto m = r.message();
  if (auto* ps = std::get_if<PortfolioState>(&m)) state_ = std::move(*ps);
  else if (r.ok()) return fail("portfolio snapshot: expected a portfolio state");
  for (auto* m : {&unvalued_, &venue_cash_}) {
    m->clear();
    if (r.ok() && !r.at_end())
      for (auto n = r.count(); n > 0 && r.ok(); --n) {
        std::string key = r.str();
        (*m)[key] = r.i64();
      }
  }
  perps_.clear();
  if (r.ok() && !r.at_end())
    for (auto n = r.count(); n > 0 && r.ok(); --n) {
      PerpHolding& h = perps_[r.str()];
      h.pos = load_position(r);
      h.mark = r.i64();
      h.trip_net = r.i64();
    }
  if (!r.ok()) return fail("portfolio snapshot is truncated or corrupt");
  return {};
}

}  // namespace trader
