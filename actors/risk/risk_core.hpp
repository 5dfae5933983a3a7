#pragma once
// risk: every order intent gets a RiskDecision with its reason; the trading state is
// ACTIVE, REDUCING (only exits pass) or HALTED (no strategy order passes).
//
// A limit intent first needs a price on market.tick_size ("price_off_tick").
// Checks on an entry intent, in order (first failure rejects):
//   state (halted / reducing), min_confidence, max_orders_per_minute,
//   max_trades_per_day, max_open_positions (new symbol), the correlation group
//   (correlation.hpp: a new symbol moving with those held), a known price,
//   then the size: the position's notional after the order may not exceed
//   max_position_notional nor max_position_equity x equity; a larger order is approved
//   reduced to fit (reason code "reduced_to_limit"), or rejected if less than the lot
//   step or the minimum notional would remain.
//   Entries approved and still working (their order not yet filled, canceled, rejected or
//   expired) count with their unfilled quantity as if held, at the price they were
//   approved at, in every limit above: a venue answers after the next candle may close, and
//   without them a second entry would see a book without the first and both would pass.
// Exit intents pass unless HALTED, capped at the position held.
// State: equity falling max_daily_loss below the day's first equity -> REDUCING until
// the next UTC day; drawdown from peak >= max_drawdown -> HALTED until an operator
// resumes. Operator halt/resume/flatten are obeyed; flatten closes every position and
// keeps at it: while a position is left (its exit expired, was rejected or canceled),
// each candle issues its exit again, until nothing is held or an operator resumes.
// Stop-loss / take-profit: on each candle of `candle_interval_s`, a position whose low
// reached the stop (or high the target) is closed with a market exit decided by risk
// itself; these protective exits are issued in every state. Stops are a percent of the
// average entry, or a multiple of the average true range (ATR over `atr_candles`).
// Perpetuals (futures/): positions are signed. A sell entry opens or adds to a short, a
// buy entry a long; an entry against the position held is refused (exit first). Exits
// are reduce-only: a long's exit sells, a short's buys, at most what is held. On an entry
// risk checks, after the size limits: the contract is configured (no_contract); the
// leverage against the lower of risk.max_leverage and the margin bracket the position's
// notional after the order falls in; the margin held plus the order's against
// risk.max_margin_use x equity (a larger order is reduced to fit, as for size); and the
// liquidation price the position would have, at least risk.min_liquidation_distance of
// the price away (cross margin: with the wallet and the other positions at their marks
// backing it). On each candle a position whose close came within that distance of its
// liquidation price is exited (liquidation_near). Stops and targets of a short are above
// and below its entry.
// Regimes (Regime messages from the strategy actor, with [regime]): an entry's size is
// multiplied by risk.regime_size_factor of the symbol's trend and of its volatility (both
// 1 until its first regime is read), rounded down to the lot, before the size limits; a
// factor of 0 refuses entries in that regime ("regime").
// Every state change is published as RiskState. Every decision lists the limits it checked
// with their numbers (LimitCheck: what is used, the limit, whether the intent fits), so
// explain shows each one's headroom.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "actors/actor_core.hpp"
#include "actors/market_rules.hpp"
#include "actors/regime/regime_filter.hpp"
#include "actors/risk/correlation.hpp"
#include "actors/risk/exposure.hpp"
#include "futures/contract.hpp"
#include "futures/perp_position.hpp"

namespace trader {

enum class StopMode { off, percent, volatility };

struct RiskConfig {
  std::int64_t max_position_notional = 5000 * 100000000LL;
  std::uint32_t max_position_equity_ppm = 250'000;  // 25% of equity
  std::uint32_t max_open_positions = 3;
  std::uint32_t max_orders_per_minute = 10;
  std::uint32_t max_trades_per_day = 50;
  std::int64_t max_daily_loss = 500 * 100000000LL;
  std::uint32_t max_drawdown_ppm = 100'000;         // 10%
  std::uint32_t min_confidence_ppm = 0;
  StopMode stop_loss_mode = StopMode::percent;
  std::uint32_t stop_loss_ppm = 20'000;             // 2% (percent mode)
  std::uint32_t stop_loss_atr_milli = 3000;         // 3.0 x ATR (volatility mode)
  StopMode take_profit_mode = StopMode::percent;
  std::uint32_t take_profit_ppm = 40'000;
  std::uint32_t take_profit_atr_milli = 6000;
  std::uint32_t candle_interval_s = 60;
  std::uint32_t atr_candles = 14;
  ExposureLimits exposure;  // across positions (exposure.hpp); off by default
  CorrelationLimits correlation;  // correlated groups (correlation.hpp); off by default
  RegimeSizeFactors regime_size;  // an entry's size in each regime; 1 (as is) by default
  MarketRuleBook market;
  // The portfolio's cash asset: entries only on instruments quoted in it (quoted_in);
  // empty, no such check.
  std::string quote_asset;
  // Perpetuals: their contracts and the leverage positions open at ([futures]), and the
  // limits on them.
  futures::Contracts perps;
  std::uint32_t max_leverage = 5;
  std::uint32_t max_margin_use_ppm = 500'000;              // of equity
  std::uint32_t min_liquidation_distance_ppm = 50'000;     // 5 % of the price
};

class RiskCore final : public ActorCore {
 public:
  explicit RiskCore(RiskConfig config);
  Actor id() const override { return Actor::risk; }
  void on(const Delivery& in, Outbox& out) override;
  // Intents, portfolio states (limits) and operator commands answer; candles while a
  // position is held (exits) or trading is reducing (a new day); order events, clock
  // ticks, regimes and the rest only update what risk knows. Positions come only with a
  // portfolio state, and the trading state changes only where risk answers.
  Quiet quiet() const override;
  void save(StateWriter& w) const override;
  Status load(StateReader& r) override;
  // ATR's candles, and the correlation's returns (it keeps twice its window), plus one.
  std::int64_t warmup_ms() const override;

  TradingState trading_state() const { return state_; }
  // The state as the last RiskState published it (e.g. for a resumed node's status view).
  RiskState state_message(std::int64_t ts_ms) const;

 private:
  struct SymbolState {
    std::int64_t last_price = 0;
    std::int64_t prev_close = 0;
    std::deque<std::int64_t> true_ranges;
    bool exit_pending = false;
  };
  struct SymbolRegime {
    TrendRegime trend = TrendRegime::range;
    VolatilityRegime volatility = VolatilityRegime::normal;
  };
  void on_intent(const OrderIntent& intent, const Delivery& in, Outbox& out);
  void on_candle(const Candle& c, const Delivery& in, Outbox& out);
  void on_portfolio(const PortfolioState& p, Outbox& out);
  void on_operator(const OperatorCommand& c, const Delivery& in, Outbox& out);
  void set_state(TradingState s, std::string reason, std::int64_t ts_ms, Outbox& out);
  // Risk's own exit of `held` (either sign), priced at `price` for the venue's minimum.
  void exit_position(const std::string& symbol, std::int64_t held, std::int64_t price, const char* code,
                     std::string reason, std::int64_t ts_ms, Outbox& out, std::vector<LimitCheck> checks = {});
  std::int64_t position_qty(const std::string& symbol) const;
  const Position* position(const std::string& symbol) const;
  // The perpetual checks of an entry of `qty` at `price`, added to d.checks; qty may be
  // reduced to fit the margin (reduced, with why).
  struct PerpVerdict {
    bool refused = false, reduced = false;
    std::string code, why;
  };
  PerpVerdict check_perpetual(const OrderIntent& intent, std::int64_t held_or_working, std::int64_t price,
                              std::int64_t& qty, RiskDecision& d) const;
  // Cross margin: where `pos` (the symbol's position after the order) would be liquidated,
  // the wallet and the other positions at their marks backing it.
  Result<std::optional<std::int64_t>> cross_liquidation_price(const std::string& symbol, const futures::PerpPosition& pos,
                                                              const futures::PerpContract& contract) const;
  // The book entries are checked against: the portfolio's positions and each working
  // entry's unfilled quantity (std::nullopt: a quantity does not fit 64 bits).
  std::optional<PortfolioState> book_with_working() const;
  void on_order_event(const OrderEvent& e);
  std::int64_t atr(const SymbolState& s) const;
  void roll_day(std::int64_t ts_ms);

  RiskConfig config_;
  TradingState state_ = TradingState::active;
  std::string state_reason_ = "start";
  bool halted_by_drawdown_or_operator_ = false;
  PortfolioState portfolio_;
  bool have_portfolio_ = false;
  std::map<std::string, SymbolState> symbols_;
  std::deque<std::int64_t> approvals_ms_;  // approvals in the last minute
  std::int64_t day_ = -1;                  // UTC day number of the current trading day
  std::int64_t day_start_equity_ = 0;
  bool day_start_known_ = false;
  std::uint32_t trades_today_ = 0;
  std::int64_t last_ts_ms_ = 0;
  std::uint64_t next_intent_ = 0;  // risk's own exits (stops, flatten): make_intent_id(risk, n)
  bool flattening_ = false;        // an operator flatten is still working: exits again until flat
  ReturnHistory returns_;          // candle returns per symbol, kept only with correlation limits on
  std::map<std::string, SymbolRegime> regimes_;  // the last regime read per symbol, kept only with factors set
  // Approved entries whose order has not ended, by intent id. `booked` is what the
  // portfolio has booked of them, `reported` what their events say filled: a fill stops
  // counting here only once the portfolio state that holds it has arrived.
  struct WorkingEntry {
    std::string symbol;
    std::int64_t qty = 0, price = 0, booked = 0, reported = 0;  // qty signed: a short's entry sells
    bool ended = false;
    std::int64_t left() const { return quantity_size(qty) - booked; }  // base units not yet booked
  };
  std::map<std::uint64_t, WorkingEntry> working_;
};

}  // namespace trader
