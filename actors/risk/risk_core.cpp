#include "actors/risk/risk_core.hpp"

#include "messages/instrument.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "actors/portfolio/portfolio_core.hpp"
#include "base/time_format.hpp"
#include "futures/perp_position.hpp"
#include "messages/enum_names.hpp"
#include "messages/fixed_point.hpp"

namespace trader {
namespace {
std::int64_t ppm_of(std::int64_t value, std::uint32_t ppm) {
  return static_cast<std::int64_t>(static_cast<__int128>(value) * ppm / 1'000'000);
}

// How far `price` (positive) is from a liquidation price, in millionths of `price`, at most
// 100 %: a price far from it (a garbled print) would not fit in 64 bits, and a wrapped
// distance could read as near.
std::int64_t liquidation_distance_ppm(std::int64_t price, std::int64_t liquidation) {
  const __int128 gap = price > liquidation ? static_cast<__int128>(price) - liquidation
                                           : static_cast<__int128>(liquidation) - price;
  return static_cast<std::int64_t>(std::min<__int128>(gap * 1'000'000 / price, 1'000'000));
}
}  // namespace

RiskCore::RiskCore(RiskConfig config) : config_(std::move(config)) {}

std::int64_t RiskCore::warmup_ms() const {
  std::int64_t candles = 0;
  if (config_.stop_loss_mode == StopMode::volatility || config_.take_profit_mode == StopMode::volatility)
    candles = config_.atr_candles + 1;  // a true range needs the close before
  if (config_.correlation.window > 0) candles = std::max<std::int64_t>(candles, 2 * config_.correlation.window + 1);
  return candles * config_.candle_interval_s * 1000;
}

const Position* RiskCore::position(const std::string& symbol) const {
  for (const auto& p : portfolio_.positions)
    if (p.symbol == symbol) return &p;
  return nullptr;
}

std::int64_t RiskCore::position_qty(const std::string& symbol) const {
  const Position* p = position(symbol);
  return p ? p->qty : 0;
}

std::optional<PortfolioState> RiskCore::book_with_working() const {
  PortfolioState book = portfolio_;
  for (const auto& entry : working_) {
    const WorkingEntry& w = entry.second;  // a named reference: clang 14 cannot capture a structured binding
    const std::int64_t unsigned_left = w.left();
    if (unsigned_left <= 0) continue;
    const std::int64_t left = w.qty < 0 ? -unsigned_left : unsigned_left;
    auto p = std::find_if(book.positions.begin(), book.positions.end(), [&w](const Position& x) { return x.symbol == w.symbol; });
    if (p == book.positions.end()) {
      book.positions.push_back(Position{w.symbol, left, w.price, w.price, 0, 0});
    } else {
      const auto qty = add_checked(p->qty, left);
      if (!qty) return std::nullopt;
      p->qty = *qty;
    }
  }
  return book;
}

void RiskCore::on_order_event(const OrderEvent& e) {
  // A failed exit frees the symbol for the next protective exit: an order on the side that
  // reduces what is held (a long's sell, a short's buy; on spot, every sell).
  const std::int64_t held = position_qty(e.symbol);
  const bool reduces = e.side == Side::sell ? held >= 0 : held < 0;
  if (reduces && (e.kind == OrderEventKind::rejected || e.kind == OrderEventKind::canceled ||
                  e.kind == OrderEventKind::expired))
    symbols_[e.symbol].exit_pending = false;
  const auto w = working_.find(e.intent_id);
  if (w == working_.end()) return;
  w->second.reported = std::max(w->second.reported, e.cum_qty);
  w->second.ended = w->second.ended || ends_order(e.kind);
  // Nothing of it left for the portfolio to book: it stops counting now.
  if (w->second.ended && w->second.reported == w->second.booked) working_.erase(w);
}

std::int64_t RiskCore::atr(const SymbolState& s) const {
  if (s.true_ranges.empty()) return 0;
  __int128 sum = 0;
  for (auto tr : s.true_ranges) sum += tr;
  return static_cast<std::int64_t>(sum / static_cast<__int128>(s.true_ranges.size()));
}

void RiskCore::set_state(TradingState s, std::string reason, std::int64_t ts_ms, Outbox& out) {
  if (s == state_ && reason == state_reason_) return;
  state_ = s;
  state_reason_ = std::move(reason);
  out.push_back({Actor::none, state_message(ts_ms)});
}

RiskState RiskCore::state_message(std::int64_t ts_ms) const {
  RiskState rs;
  rs.ts_ms = ts_ms;
  rs.state = state_;
  rs.reason = state_reason_;
  rs.daily_pnl = day_start_known_ ? portfolio_.equity - day_start_equity_ : 0;
  rs.drawdown_ppm = portfolio_.drawdown_ppm;
  rs.orders_last_minute = static_cast<std::uint32_t>(approvals_ms_.size());
  rs.trades_today = trades_today_;
  rs.open_positions = static_cast<std::uint32_t>(portfolio_.positions.size());
  return rs;
}

void RiskCore::roll_day(std::int64_t ts_ms) {
  const std::int64_t day = utc_day_number(ts_ms);
  if (day == day_) return;
  day_ = day;
  trades_today_ = 0;
  day_start_known_ = false;  // the next portfolio state sets the day's starting equity
}

void RiskCore::exit_position(const std::string& symbol, std::int64_t held, std::int64_t price, const char* code,
                             std::string reason, std::int64_t ts_ms, Outbox& out, std::vector<LimitCheck> checks) {
  // What a venue takes of it (exit_qty); the rest, or all of a position worth less than the
  // minimum, is dust: sending it would be refused at every candle. A short is exited by a buy.
  const std::int64_t qty = exit_qty(held, price, config_.market.of(symbol), is_perpetual(symbol));
  if (qty <= 0) return;
  RiskDecision d;
  d.intent_id = make_intent_id(IntentIssuer::risk, ++next_intent_);  // risk's own exit
  d.approved = true;
  d.approved_qty = qty;
  d.reason_code = code;
  d.reason = std::move(reason);
  d.state = state_;
  d.ts_ms = ts_ms;
  d.symbol = symbol;
  d.side = held < 0 ? Side::buy : Side::sell;
  d.type = OrderType::market;
  d.is_exit = true;
  d.checks = std::move(checks);
  symbols_[symbol].exit_pending = true;
  out.push_back({Actor::none, std::move(d)});
}

Result<std::optional<std::int64_t>> RiskCore::cross_liquidation_price(const std::string& symbol,
                                                                      const futures::PerpPosition& pos,
                                                                      const futures::PerpContract& contract) const {
  // The wallet (the config allows cross only where the cash is one venue's) and the other
  // positions at their marks, each rebuilt exactly: its cost is value at the mark less unrealized.
  std::vector<futures::PerpPosition> others;
  others.reserve(portfolio_.positions.size());
  std::vector<futures::CrossLeg> legs{{&pos, &contract, 0}};
  for (const Position& p : portfolio_.positions) {
    if (p.symbol == symbol || !is_perpetual(p.symbol) || p.qty == 0) continue;
    const auto cost = narrow_checked(static_cast<__int128>(p.qty) * p.last_price / kFixedScale - p.unrealized_pnl);
    if (!cost) return fail(p.symbol + "'s cost overflows 64-bit fixed point");
    others.push_back({p.qty, *cost});
    legs.push_back({&others.back(), config_.perps.find(p.symbol), p.last_price});
  }
  const auto collateral = futures::cross_collateral(portfolio_.cash, legs, 0);
  if (!collateral) return fail("the wallet and the other positions overflow 64-bit fixed point (or one has no contract)");
  return futures::liquidation_price(pos, contract, collateral->liquidation);
}

RiskCore::PerpVerdict RiskCore::check_perpetual(const OrderIntent& intent, std::int64_t held_or_working,
                                                 std::int64_t price, std::int64_t& qty, RiskDecision& d) const {
  const futures::PerpContract& contract = *config_.perps.find(intent.symbol);  // the caller checked it
  const MarketRules& market = config_.market.of(intent.symbol);
  const std::uint32_t leverage = std::max<std::uint32_t>(1, config_.perps.leverage);
  auto margin_of = [&](std::int64_t units, std::int64_t at) {
    return futures::initial_margin(static_cast<__int128>(units) * at / kFixedScale, leverage);
  };
  // Margin use: what the perpetual positions hold, what working entries will post, and this order's.
  __int128 held_margin = 0;
  for (const auto& p : portfolio_.positions)
    if (is_perpetual(p.symbol)) held_margin += p.margin;
  for (const auto& [id, w] : working_) {
    const std::int64_t left = w.left();
    if (left > 0 && is_perpetual(w.symbol)) held_margin += margin_of(left, w.price);
  }
  const __int128 margin_cap = static_cast<__int128>(portfolio_.equity) * config_.max_margin_use_ppm / 1'000'000;
  const auto fits = [](__int128 v) { return narrow_checked(v).has_value(); };
  if (!fits(held_margin) || !fits(margin_cap)) return {true, false, "arithmetic_overflow", "margins overflow 64-bit fixed point"};
  PerpVerdict v;
  const bool margin_fits = held_margin + margin_of(qty, price) <= margin_cap;
  d.checks.push_back({RiskLimit::max_margin_use, static_cast<std::int64_t>(held_margin),
                      static_cast<std::int64_t>(margin_cap), margin_fits});
  if (!margin_fits) {
    const __int128 room = margin_cap - held_margin;
    const __int128 units = room > 0 ? room * leverage * kFixedScale / price : 0;
    const std::int64_t max_qty = floor_to_lot(static_cast<std::int64_t>(std::min<__int128>(units, qty)),
                                              market.lot_step);
    const std::string why = fmt::format("margin held {} and this order's at {}x would pass risk.max_margin_use {:.2f} % "
                                        "of equity {}", format_fixed(static_cast<std::int64_t>(held_margin)), leverage,
                                        static_cast<double>(config_.max_margin_use_ppm) / 1e4,
                                        format_fixed(portfolio_.equity));
    if (max_qty <= 0 || mul_fixed(max_qty, price) < market.min_notional) return {true, false, "max_margin_use", why};
    qty = max_qty;
    v.reduced = true;
    v.why = why;
  }
  // Leverage: the lower of risk's and the bracket's the notional after the order falls in.
  const std::int64_t abs_hw = quantity_size(held_or_working);
  const __int128 after = (static_cast<__int128>(abs_hw) + qty) * price / kFixedScale;
  const auto after_notional = narrow_checked(after);
  if (!after_notional) return {true, false, "arithmetic_overflow", "the position's notional overflows 64-bit fixed point"};
  const futures::MarginTier& tier = futures::tier_of(contract, *after_notional);
  const std::uint32_t allowed = std::min(tier.max_leverage, config_.max_leverage);
  d.checks.push_back({RiskLimit::max_leverage, leverage, allowed, leverage <= allowed});
  if (leverage > allowed)
    return {true, false, "max_leverage",
            fmt::format("{}x is above the {}x allowed for a notional of {} (the bracket from {}: {}x; risk.max_leverage: "
                        "{}x)", leverage, allowed, format_fixed(*after_notional), format_fixed(tier.floor),
                        tier.max_leverage, config_.max_leverage)};
  // Where the position after the order would be liquidated: the one held (from its entry
  // and margin), the entries working, then this order, all at the same leverage.
  futures::PerpPosition pos;
  pos.leverage = leverage;
  bool booked = true;
  if (const Position* held = position(intent.symbol); held && held->qty != 0) {
    const auto cost = narrow_checked(static_cast<__int128>(held->qty) * held->avg_entry_price / kFixedScale);
    booked = cost.has_value();
    pos.qty = held->qty;
    pos.cost = cost.value_or(0);
    pos.margin = held->margin;
  }
  for (const auto& [id, w] : working_) {
    const std::int64_t left = w.left();
    if (booked && left > 0 && w.symbol == intent.symbol)
      booked = futures::apply_fill(pos, w.qty > 0, left, w.price, 0).has_value();
  }
  if (booked) booked = futures::apply_fill(pos, intent.side == Side::buy, qty, price, 0).has_value();
  if (!booked) return {true, false, "arithmetic_overflow", "the position after the order overflows 64-bit fixed point"};
  std::optional<std::int64_t> liquidation;
  if (config_.perps.margin_mode == futures::MarginMode::isolated) {
    liquidation = futures::liquidation_price(pos, contract);
  } else {
    auto cross = cross_liquidation_price(intent.symbol, pos, contract);
    if (!cross) return {true, false, "arithmetic_overflow", "cross margin: " + cross.error().message};
    liquidation = *cross;
  }
  const std::int64_t distance = liquidation ? liquidation_distance_ppm(price, *liquidation) : 1'000'000;
  const bool far = distance >= config_.min_liquidation_distance_ppm;
  d.checks.push_back({RiskLimit::liquidation_distance, distance, config_.min_liquidation_distance_ppm, far});
  if (!far)
    return {true, false, "liquidation_distance",
            fmt::format("the position would be liquidated at {}, {:.2f} % from {}: closer than "
                        "risk.min_liquidation_distance {:.2f} %", format_fixed(liquidation.value_or(0)),
                        static_cast<double>(distance) / 1e4, format_fixed(price),
                        static_cast<double>(config_.min_liquidation_distance_ppm) / 1e4)};
  return v;
}

void RiskCore::on_intent(const OrderIntent& intent, const Delivery& in, Outbox& out) {
  last_ts_ms_ = std::max(last_ts_ms_, intent.ts_ms);
  roll_day(intent.ts_ms);
  while (!approvals_ms_.empty() && approvals_ms_.front() <= intent.ts_ms - 60'000) approvals_ms_.pop_front();

  RiskDecision d;
  d.intent_id = intent.intent_id;
  d.ts_ms = intent.ts_ms;
  d.symbol = intent.symbol;
  d.side = intent.side;
  d.type = intent.type;
  d.limit_price = intent.limit_price;
  d.is_exit = intent.is_exit;
  auto reject = [&](std::string_view code, std::string why) {
    d.approved = false;
    d.reason_code = code;
    d.reason = std::move(why);
    d.state = state_;
    out.push_back({Actor::none, std::move(d)});
  };
  // Each limit checked goes into the decision with its numbers, so `explain` shows the
  // headroom left; the check's result is what decides.
  auto check = [&](RiskLimit limit, std::int64_t value, std::int64_t bound, bool within) {
    d.checks.push_back({limit, value, bound, within});
    return within;
  };
  const bool perp = is_perpetual(intent.symbol);
  const MarketRules& market = config_.market.of(intent.symbol);
  const std::int64_t held = position_qty(intent.symbol);
  const std::int64_t abs_held = quantity_size(held);
  // The venue refuses a limit price off its tick (PRICE_FILTER); it is refused here first,
  // journaled with its reason, instead of leaving the process.
  if (intent.type == OrderType::limit && intent.limit_price <= 0)
    return reject("no_limit_price", "a limit order for " + intent.symbol + " without a price");
  if (intent.type == OrderType::limit && market.tick_size > 0 && intent.limit_price % market.tick_size != 0)
    return reject("price_off_tick", "limit price " + format_fixed(intent.limit_price) + " is not a multiple of " +
                                        config_.market.key(intent.symbol, "tick_size") + " = " +
                                        format_fixed(market.tick_size));

  if (intent.is_exit) {
    if (state_ == TradingState::halted) return reject("halted", "trading halted: " + state_reason_);
    check(RiskLimit::position_held, intent.qty, abs_held, intent.qty <= abs_held);
    if (held == 0) return reject("no_position", "nothing to exit in " + intent.symbol);
    // Reduce-only: a long's exit sells, a short's buys.
    if ((held > 0) != (intent.side == Side::sell))
      return reject("not_reducing", fmt::format("an exit that {}s {} adds to the position of {} held", enum_name(intent.side),
                                                intent.symbol, format_fixed(held)));
    // One exit at a time: a second would sell what the first is already selling (on a
    // venue that answers slowly, a stop-loss and the strategy's exit can meet).
    if (symbols_[intent.symbol].exit_pending)
      return reject("exit_pending", "an exit of " + intent.symbol + " is already working");
    d.approved_qty = floor_to_lot(std::min(intent.qty, abs_held), market.lot_step);
    if (d.approved_qty <= 0) return reject("below_lot", "less than one lot of " + intent.symbol + " to exit");
    // Worth less than the minimum, a venue refuses it (and would at every retry): dust.
    const Position* pos = position(intent.symbol);
    const std::int64_t last = symbols_[intent.symbol].last_price;
    const std::int64_t at = intent.type == OrderType::limit ? intent.limit_price : last > 0 ? last : pos ? pos->last_price : 0;
    if (exit_qty(d.approved_qty, at, market, perp) == 0)
      return reject("below_min_notional", fmt::format("an exit of {} {} at {} is worth less than {} = {}: no venue "
                                                      "takes it; the position is dust, held and valued",
                                                      format_fixed(d.approved_qty), intent.symbol, format_fixed(at),
                                                      config_.market.key(intent.symbol, "min_notional"),
                                                      format_fixed(market.min_notional)));
    d.approved = true;
    d.reason_code = d.approved_qty < intent.qty ? "reduced_to_position" : "ok";
    d.reason = "exit";
    d.state = state_;
    approvals_ms_.push_back(intent.ts_ms);
    symbols_[intent.symbol].exit_pending = true;
    out.push_back({Actor::none, std::move(d)});
    return;
  }

  if (state_ == TradingState::halted) return reject("halted", "trading halted: " + state_reason_);
  // One portfolio counts one cash asset: an entry on an instrument quoted in another would
  // spend and value that asset as if it were this one (XRPETH's prices as dollars).
  if (!config_.quote_asset.empty() && !quoted_in(intent.symbol, config_.quote_asset))
    return reject("other_quote_asset", fmt::format("{} is not quoted in {}, the portfolio's cash asset "
                                                   "(portfolio.quote_asset)", intent.symbol, config_.quote_asset));
  // Spot cannot short: a sell that is not an exit never reaches a venue (an exit is cut
  // to what is held, above).
  if (intent.side == Side::sell && !perp)
    return reject("no_short", "a sell of " + intent.symbol + " that is not an exit (spot cannot sell what it does not hold)");
  if (perp && !config_.perps.find(intent.symbol))
    return reject("no_contract", intent.symbol + " has no [[futures.contracts]] entry: its margin and liquidation "
                                                 "cannot be known");
  if (state_ == TradingState::reducing) return reject("reducing", "only exits allowed: " + state_reason_);
  if (have_portfolio_) {  // the limits that keep the state ACTIVE, as they stand
    check(RiskLimit::max_drawdown, portfolio_.drawdown_ppm, config_.max_drawdown_ppm,
          portfolio_.drawdown_ppm < config_.max_drawdown_ppm);
    if (const auto loss = narrow_checked(static_cast<__int128>(day_start_equity_) - portfolio_.equity);
        day_start_known_ && loss)
      check(RiskLimit::max_daily_loss, *loss, config_.max_daily_loss, *loss < config_.max_daily_loss);
  }
  if (!check(RiskLimit::min_confidence, intent.confidence_ppm, config_.min_confidence_ppm,
             intent.confidence_ppm >= config_.min_confidence_ppm))
    return reject("min_confidence", "confidence " + std::to_string(intent.confidence_ppm) + " ppm below " +
                                        std::to_string(config_.min_confidence_ppm));
  const auto orders = static_cast<std::int64_t>(approvals_ms_.size());
  if (!check(RiskLimit::max_orders_per_minute, orders, config_.max_orders_per_minute,
             orders < config_.max_orders_per_minute))
    return reject("max_orders_per_minute", std::to_string(approvals_ms_.size()) + " orders in the last minute");
  if (!check(RiskLimit::max_trades_per_day, trades_today_, config_.max_trades_per_day,
             trades_today_ < config_.max_trades_per_day))
    return reject("max_trades_per_day", std::to_string(trades_today_) + " entries today");
  const auto book = book_with_working();
  if (!book) return reject("arithmetic_overflow", "the positions and working entries overflow 64-bit fixed point");
  std::int64_t held_or_working = 0;
  for (const auto& p : book->positions)
    if (p.symbol == intent.symbol) held_or_working = p.qty;
  // An entry adds to the position in its own direction; turning a long into a short (or
  // back) is an exit first.
  if ((held_or_working > 0 && intent.side == Side::sell) || (held_or_working < 0 && intent.side == Side::buy))
    return reject("opposite_position", fmt::format("an entry that {}s {} against the position of {} held or being "
                                                   "entered: exit it first", enum_name(intent.side), intent.symbol,
                                                   format_fixed(held_or_working)));
  const auto open = static_cast<std::int64_t>(book->positions.size());
  if (held_or_working == 0 &&
      !check(RiskLimit::max_open_positions, open, config_.max_open_positions, open < config_.max_open_positions))
    return reject("max_open_positions", std::to_string(open) + " positions open or being entered");
  if (held_or_working == 0) {
    auto correlated = check_correlation(config_.correlation, returns_, *book, intent.symbol);
    if (correlated.check) d.checks.push_back(*correlated.check);
    if (correlated.refused) return reject("max_correlation", correlated.why);
  }
  const std::int64_t price = intent.limit_price > 0 ? intent.limit_price : symbols_[intent.symbol].last_price;
  if (price <= 0) return reject("no_price", "no price known for " + intent.symbol);
  if (!have_portfolio_) return reject("no_portfolio", "portfolio state not known yet");

  const std::int64_t by_equity = ppm_of(portfolio_.equity, config_.max_position_equity_ppm);
  const bool equity_binds = by_equity < config_.max_position_notional;
  const std::int64_t cap = std::min(config_.max_position_notional, by_equity);
  RiskLimit binding = equity_binds ? RiskLimit::max_position_equity : RiskLimit::max_position_notional;
  // A wrapped number never reaches a decision: what does not fit is refused as such.
  const auto held_value = mul_fixed_checked(quantity_size(held_or_working), price);
  if (!held_value) return reject("arithmetic_overflow", "the position's value overflows 64-bit fixed point");
  std::int64_t room = cap - *held_value;
  // Exposure across positions may bind first; its numbers then go into the reason.
  const auto exposure = exposure_room(config_.exposure, *book, intent.symbol, intent.side);
  if (!exposure) return reject("arithmetic_overflow", "the positions' value overflows 64-bit fixed point");
  std::string detail;
  if (exposure->binds && exposure->quote < room) {
    room = exposure->quote;
    binding = *exposure->binds;
    detail = exposure->why;
  }
  // The symbol's regime scales the entry first (risk.regime_size_factor).
  std::int64_t qty = intent.qty;
  std::string scaled;
  if (auto g = regimes_.find(intent.symbol); g != regimes_.end()) {
    const auto& f = config_.regime_size;
    const std::uint64_t factor =
        std::uint64_t{f.of(g->second.trend)} * f.of(g->second.volatility) / 1'000'000;  // ppm
    if (factor != 1'000'000) {
      const std::string where = fmt::format("{}: trend {}, volatility {}", intent.symbol,
                                            enum_name(g->second.trend), enum_name(g->second.volatility));
      if (factor == 0) return reject("regime", "risk.regime_size_factor is 0 for " + where);
      qty = floor_to_lot(static_cast<std::int64_t>(static_cast<__int128>(qty) * factor / 1'000'000),
                         market.lot_step);
      scaled = fmt::format("size x {:.4g} (risk.regime_size_factor: {})", static_cast<double>(factor) / 1e6, where);
      if (qty <= 0) return reject("regime", "less than one lot after " + scaled);
    }
  }
  // Each size limit's numbers; the intent fits one when its quantity is within the whole
  // lots that limit's room buys at this price (the rule the binding limit decides by, below).
  auto size_check = [&](RiskLimit limit, std::int64_t used, std::int64_t bound) {
    const auto left = narrow_checked(static_cast<__int128>(bound) - used);
    const auto units = left && *left > 0 ? div_fixed_checked(*left, price) : std::optional<std::int64_t>(0);
    check(limit, used, bound, left && *left > 0 && (!units || qty <= floor_to_lot(*units, market.lot_step)));
  };
  size_check(RiskLimit::max_position_notional, *held_value, config_.max_position_notional);
  size_check(RiskLimit::max_position_equity, *held_value, by_equity);
  for (const auto& use : exposure->uses) size_check(use.limit, use.used, use.cap);
  std::string_view limit_code = enum_name(binding);
  if (room <= 0) return reject(limit_code, detail.empty() ? "position already at the limit" : detail);
  const auto room_units = div_fixed_checked(room, price);
  if (!room_units) return reject("arithmetic_overflow", "the room left / price overflows 64-bit fixed point");
  const std::int64_t max_qty = floor_to_lot(*room_units, market.lot_step);
  bool reduced = false;
  if (qty > max_qty) {
    qty = max_qty;
    reduced = true;
  }
  if (qty <= 0 || mul_fixed(qty, price) < market.min_notional)  // qty <= max_qty: fits the cap
    return reject(limit_code, "order below the minimum notional after applying the limit");
  if (perp) {
    const PerpVerdict v = check_perpetual(intent, held_or_working, price, qty, d);
    if (v.refused) return reject(v.code, v.why);
    if (v.reduced) {
      reduced = true;
      limit_code = "max_margin_use";
      detail = v.why;
    }
  }

  d.approved = true;
  d.approved_qty = qty;
  d.reason_code = reduced ? "reduced_to_limit" : scaled.empty() ? "ok" : "regime_scaled";
  d.reason = reduced ? "reduced by " + std::string(limit_code) + (detail.empty() ? "" : ": " + detail) : "within limits";
  if (!scaled.empty()) d.reason += "; " + scaled;
  d.state = state_;
  approvals_ms_.push_back(intent.ts_ms);
  ++trades_today_;
  working_[intent.intent_id] = WorkingEntry{intent.symbol, intent.side == Side::sell ? -qty : qty, price, 0, 0, false};
  out.push_back({Actor::none, std::move(d)});
  (void)in;
}

void RiskCore::on_candle(const Candle& c, const Delivery& in, Outbox& out) {
  if (c.interval_s != config_.candle_interval_s) return;
  last_ts_ms_ = std::max(last_ts_ms_, c.close_time_ms);
  roll_day(c.close_time_ms);
  if (state_ == TradingState::reducing && halted_by_drawdown_or_operator_ == false && !day_start_known_)
    set_state(TradingState::active, "new trading day", c.close_time_ms, out);
  SymbolState& s = symbols_[c.symbol];
  if (s.prev_close > 0) {
    const std::int64_t tr = std::max({c.high - c.low, c.high - s.prev_close, s.prev_close - c.low});
    s.true_ranges.push_back(tr);
    while (s.true_ranges.size() > config_.atr_candles) s.true_ranges.pop_front();
  }
  s.prev_close = c.close;
  s.last_price = c.close;
  // Twice the window: the symbols' latest candles need not close at the same time.
  if (config_.correlation.window > 0) returns_.add(c.symbol, c.close_time_ms, c.close, 2 * config_.correlation.window);
  if (c.history) return;  // a warm-up's candle: volatility and returns learn from it; no exit is made on it

  const std::int64_t held = position_qty(c.symbol);
  if (held == 0 || s.exit_pending) return;
  if (flattening_) {  // the flatten's exit of this symbol ended unfilled: again, at this candle
    exit_position(c.symbol, held, c.close, "flatten", "operator flatten: the last exit ended unfilled, exiting again",
                  c.close_time_ms, out);
    return;
  }
  const Position* pos = position(c.symbol);
  const std::int64_t entry = pos ? pos->avg_entry_price : 0;
  if (entry <= 0) return;
  // A perpetual whose close came near its liquidation price is exited before the venue
  // liquidates it (and takes the whole margin).
  if (pos->liquidation_price > 0 && config_.min_liquidation_distance_ppm > 0 && c.close > 0) {
    const std::int64_t distance = liquidation_distance_ppm(c.close, pos->liquidation_price);
    if (distance < config_.min_liquidation_distance_ppm) {
      exit_position(c.symbol, held, c.close, "liquidation_near",
                    fmt::format("close {} is {:.2f} % from the liquidation price {}, within "
                                "risk.min_liquidation_distance {:.2f} %", format_fixed(c.close),
                                static_cast<double>(distance) / 1e4, format_fixed(pos->liquidation_price),
                                static_cast<double>(config_.min_liquidation_distance_ppm) / 1e4),
                    c.close_time_ms, out,
                    {{RiskLimit::liquidation_distance, distance, config_.min_liquidation_distance_ppm, false}});
      return;
    }
  }
  const std::int64_t a = atr(s);
  auto distance = [&](StopMode mode, std::uint32_t ppm, std::uint32_t atr_milli) -> std::int64_t {
    if (mode == StopMode::percent) return ppm_of(entry, ppm);
    if (mode == StopMode::volatility && a > 0) return static_cast<std::int64_t>(static_cast<__int128>(a) * atr_milli / 1000);
    return 0;
  };
  const auto stop = distance(config_.stop_loss_mode, config_.stop_loss_ppm, config_.stop_loss_atr_milli);
  const auto target = distance(config_.take_profit_mode, config_.take_profit_ppm, config_.take_profit_atr_milli);
  if (held < 0) {  // a short: stopped above its entry, its target below
    if (stop > 0 && c.high >= entry + stop)
      exit_position(c.symbol, held, c.close, "stop_loss",
                    "high " + format_fixed(c.high) + " reached the short's stop " + format_fixed(entry + stop) +
                        " (entry " + format_fixed(entry) + ")",
                    c.close_time_ms, out, {{RiskLimit::stop_loss_short, c.high, entry + stop, false}});
    else if (target > 0 && target < entry && c.low <= entry - target)
      exit_position(c.symbol, held, c.close, "take_profit",
                    "low " + format_fixed(c.low) + " reached the short's target " + format_fixed(entry - target) +
                        " (entry " + format_fixed(entry) + ")",
                    c.close_time_ms, out, {{RiskLimit::take_profit_short, c.low, entry - target, false}});
    return;
  }
  if (const auto d = stop; d > 0 && c.low <= entry - d) {
    exit_position(c.symbol, held, c.close, "stop_loss",
                  "low " + format_fixed(c.low) + " reached stop " + format_fixed(entry - d) + " (entry " +
                      format_fixed(entry) + ")",
                  c.close_time_ms, out, {{RiskLimit::stop_loss, c.low, entry - d, false}});
  } else if (const auto t = target; t > 0 && c.high >= entry + t) {
    exit_position(c.symbol, held, c.close, "take_profit",
                  "high " + format_fixed(c.high) + " reached target " + format_fixed(entry + t) + " (entry " +
                      format_fixed(entry) + ")",
                  c.close_time_ms, out, {{RiskLimit::take_profit, c.high, entry + t, false}});
  }
}

void RiskCore::on_portfolio(const PortfolioState& p, Outbox& out) {
  // Capital moved in or out (a venue's account adopted at a start) is no gain or loss:
  // the day's starting equity moves with it.
  if (have_portfolio_ && day_start_known_ && p.starting_cash != portfolio_.starting_cash) {
    const auto moved = narrow_checked(static_cast<__int128>(day_start_equity_) + p.starting_cash - portfolio_.starting_cash);
    if (moved) day_start_equity_ = *moved;
  }
  portfolio_ = p;
  have_portfolio_ = true;
  // The portfolio has booked every fill reported before it (its fills come first).
  for (auto w = working_.begin(); w != working_.end();) {
    w->second.booked = w->second.reported;
    w = w->second.ended ? working_.erase(w) : std::next(w);
  }
  last_ts_ms_ = std::max(last_ts_ms_, p.ts_ms);
  roll_day(p.ts_ms);
  if (!day_start_known_) {
    day_start_equity_ = p.equity;
    day_start_known_ = true;
  }
  for (auto& [symbol, s] : symbols_)
    if (s.exit_pending && position_qty(symbol) == 0) s.exit_pending = false;
  if (flattening_ && std::none_of(p.positions.begin(), p.positions.end(), [&](const Position& x) {
        return exit_qty(x.qty, x.last_price, config_.market.of(x.symbol), is_perpetual(x.symbol)) > 0;
      }))
    flattening_ = false;  // nothing a venue takes is left (dust stays): the flatten is done
  if (state_ != TradingState::halted && p.drawdown_ppm >= config_.max_drawdown_ppm) {
    halted_by_drawdown_or_operator_ = true;
    set_state(TradingState::halted,
              "drawdown " + std::to_string(p.drawdown_ppm / 100) + " bp reached the maximum of " +
                  std::to_string(config_.max_drawdown_ppm / 100) + " bp",
              p.ts_ms, out);
  } else if (state_ == TradingState::active && day_start_equity_ - p.equity >= config_.max_daily_loss) {
    set_state(TradingState::reducing, "daily loss " + format_fixed(day_start_equity_ - p.equity) +
                                          " reached the maximum of " + format_fixed(config_.max_daily_loss),
              p.ts_ms, out);
  }
}

void RiskCore::on_operator(const OperatorCommand& c, const Delivery& in, Outbox& out) {
  const std::int64_t ts_ms = std::max(last_ts_ms_, c.ts_ns / 1'000'000);
  switch (c.kind) {
    case OperatorCommandKind::halt:
      halted_by_drawdown_or_operator_ = true;
      set_state(TradingState::halted, "operator halt by " + c.issued_by + ": " + c.reason, ts_ms, out);
      break;
    case OperatorCommandKind::resume:
      halted_by_drawdown_or_operator_ = false;
      flattening_ = false;
      set_state(TradingState::active, "operator resume by " + c.issued_by + ": " + c.reason, ts_ms, out);
      break;
    case OperatorCommandKind::flatten: {
      halted_by_drawdown_or_operator_ = true;
      set_state(TradingState::halted, "operator flatten by " + c.issued_by + ": " + c.reason, ts_ms, out);
      flattening_ = true;
      for (const auto& p : portfolio_.positions)
        if (p.qty != 0)
          exit_position(p.symbol, p.qty, p.last_price, "flatten", "operator flatten", ts_ms, out);
      break;
    }
    case OperatorCommandKind::shutdown: break;  // the node handles shutdown
  }
}

void RiskCore::on(const Delivery& in, Outbox& out) {
  if (const auto* i = std::get_if<OrderIntent>(&in.message)) on_intent(*i, in, out);
  else if (const auto* c = std::get_if<Candle>(&in.message)) on_candle(*c, in, out);
  else if (const auto* p = std::get_if<PortfolioState>(&in.message)) on_portfolio(*p, out);
  else if (const auto* o = std::get_if<OperatorCommand>(&in.message)) on_operator(*o, in, out);
  else if (const auto* e = std::get_if<OrderEvent>(&in.message)) on_order_event(*e);
  else if (const auto* r = PortfolioCore::lost_book(in.source, in.message)) {
    // The portfolio could not book what the venue did, or state its value: every figure
    // risk checks against is wrong from here on, so nothing new is opened until an
    // operator has looked.
    halted_by_drawdown_or_operator_ = true;
    set_state(TradingState::halted, "the portfolio's book no longer matches the venue's: " + r->message,
              std::max(last_ts_ms_, r->ts_ns / 1'000'000), out);
  }
  else if (const auto* t = std::get_if<ClockTick>(&in.message)) {
    roll_day(t->ts_ns / 1'000'000);
  } else if (const auto* g = std::get_if<Regime>(&in.message)) {
    if (config_.regime_size.any()) regimes_[g->symbol] = {g->trend, g->volatility};
  }
}

Quiet RiskCore::quiet() const {
  std::uint64_t answers = type_bit(OrderIntent::kTypeId) | type_bit(PortfolioState::kTypeId) |
                          type_bit(OperatorCommand::kTypeId) | type_bit(ErrorReport::kTypeId);
  const bool holds = holds_any(portfolio_.positions);  // dust included: a rising price can make it an exit
  if (state_ == TradingState::reducing || holds) answers |= type_bit(Candle::kTypeId);
  Quiet q{kAllTypes & ~answers};
  q.candle_intervals[0] = config_.candle_interval_s;  // on_candle ignores every other interval
  // A portfolio state answers nothing unless it crosses a limit (on_portfolio): the
  // drawdown (not when halted already), the day's loss (only when active), measured from
  // the day's start, which moves on a new day or with capital moved in or out. A position
  // where risk holds none makes candles answered: that state is awaited, so risk says so.
  // (Quiet candles cannot change any of this: they roll the day, which the state's time
  // then leaves the bound's day.)
  if (have_portfolio_ && day_start_known_ && (state_ == TradingState::halted || config_.max_drawdown_ppm > 0)) {
    auto& b = q.portfolio;
    const auto from = utc_day_start_ms(day_);
    const auto to = utc_day_start_ms(day_ + 1);
    const auto floor = narrow_checked(static_cast<__int128>(day_start_equity_) - config_.max_daily_loss);
    if (from && to) {
      b.on = true;
      b.from_ts_ms = *from;
      b.to_ts_ms = *to;
      b.starting_cash = portfolio_.starting_cash;
      if (state_ != TradingState::halted) b.below_drawdown_ppm = config_.max_drawdown_ppm;
      if (state_ == TradingState::active) {
        b.equity_bound = true;
        b.above_equity = floor ? *floor : std::numeric_limits<std::int64_t>::min();
      }
      b.flat = !holds;
    }
  }
  return q;
}

void RiskCore::save(StateWriter& w) const {
  w.u32(static_cast<std::uint32_t>(state_));
  w.str(state_reason_);
  w.boolean(halted_by_drawdown_or_operator_);
  w.message(portfolio_);
  w.boolean(have_portfolio_);
  w.u32(static_cast<std::uint32_t>(symbols_.size()));
  for (const auto& [symbol, s] : symbols_) {
    w.str(symbol);
    w.i64(s.last_price);
    w.i64(s.prev_close);
    w.u32(static_cast<std::uint32_t>(s.true_ranges.size()));
    for (auto tr : s.true_ranges) w.i64(tr);
    w.boolean(s.exit_pending);
  }
  w.u32(static_cast<std::uint32_t>(approvals_ms_.size()));
  for (auto t : approvals_ms_) w.i64(t);
  w.i64(day_);
  w.i64(day_start_equity_);
  w.boolean(day_start_known_);
  w.u32(trades_today_);
  w.i64(last_ts_ms_);
  w.u64(next_intent_);
  w.boolean(flattening_);
  if (config_.correlation.window > 0) returns_.save(w);  // only then: a state without it keeps its bytes
  if (config_.regime_size.any()) {                      // likewise
    w.u32(static_cast<std::uint32_t>(regimes_.size()));
    for (const auto& [symbol, g] : regimes_) {
      w.str(symbol);
      w.u32(static_cast<std::uint32_t>(g.trend));
      w.u32(static_cast<std::uint32_t>(g.volatility));
    }
  }
  if (working_.empty()) return;  // likewise: last, so that a state without it reads as none
  w.u32(static_cast<std::uint32_t>(working_.size()));
  for (const auto& [id, e] : working_) {
    w.u64(id);
    w.str(e.symbol);
    w.i64(e.qty);
    w.i64(e.price);
    w.i64(e.booked);
    w.i64(e.reported);
    w.boolean(e.ended);
  }
}

Status RiskCore::load(StateReader& r) {
  state_ = static_cast<TradingState>(r.u32());
  state_reason_ = r.str();
  halted_by_drawdown_or_operator_ = r.boolean();
  auto p = r.message();
  if (auto* ps = std::get_if<PortfolioState>(&p)) portfolio_ = std::move(*ps);
  else if (r.ok()) return fail("risk snapshot: expected a portfolio state");
  have_portfolio_ = r.boolean();
  symbols_.clear();
  for (auto n = r.count(); n > 0 && r.ok(); --n) {
    SymbolState& s = symbols_[r.str()];
    s.last_price = r.i64();
    s.prev_close = r.i64();
    for (auto m = r.count(); m > 0 && r.ok(); --m) s.true_ranges.push_back(r.i64());
    s.exit_pending = r.boolean();
  }
  approvals_ms_.clear();
  for (auto n = r.count(); n > 0 && r.ok(); --n) approvals_ms_.push_back(r.i64());
  day_ = r.i64();
  day_start_equity_ = r.i64();
  day_start_known_ = r.boolean();
  trades_today_ = r.u32();
  last_ts_ms_ = r.i64();
  next_intent_ = r.u64();
  flattening_ = !r.at_end() && r.boolean();  // absent from snapshots taken before flatten retried
  if (config_.correlation.window > 0 && !r.at_end()) returns_.load(r);  // kept with correlation limits on
  regimes_.clear();
  if (config_.regime_size.any())
    for (auto n = r.count(); n > 0 && r.ok(); --n) {
      SymbolRegime& g = regimes_[r.str()];
      g.trend = static_cast<TrendRegime>(r.u32());
      g.volatility = static_cast<VolatilityRegime>(r.u32());
    }
  working_.clear();
  if (r.ok() && !r.at_end())  // absent: no entry was working (or the snapshot predates them)
    for (auto n = r.count(); n > 0 && r.ok(); --n) {
      const std::uint64_t id = r.u64();
      WorkingEntry& e = working_[id];
      e.symbol = r.str();
      e.qty = r.i64();
      e.price = r.i64();
      e.booked = r.i64();
      e.reported = r.i64();
      e.ended = r.boolean();
    }
  if (!r.ok()) return fail("risk snapshot is truncated or corrupt");
  return {};
}

}  // namespace trader
