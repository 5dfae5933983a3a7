#pragma once
// The strategy actor's core: one or several strategies (the [[strategies]] entries, or the
// one [strategy]), each a view of the market on candles of its interval, and what the
// actor does with their views.
//  - Each strategy evaluates a View (direction, confidence, share of equity, reason) on
//    each candle of its interval and symbols. A change of its direction emits a Signal
//    naming it (direction, confidence, model id, reason, and the values the view was
//    computed from).
//  - The strategies' latest views of the symbol are combined into one (combine.hpp). One
//    strategy's view passes through as it is.
//  - Whenever that view and the position disagree (level-triggered), an intent follows,
//    with the named strategies' views it was formed from (votes):
//    entering, a buy for the sizing policy's share of equity (by default the view's
//    `fraction`), rounded down to the lot step: at market, or
//    (entry.type = limit) a limit `limit_offset_bps` below the candle's close, rounded
//    down to the tick, sized at that price; exiting, a market sell of the whole position.
//    With allow_short, a short view of a perpetual enters a sell the same way (a limit
//    above the close, rounded up) and is exited by a market buy of the whole short; on
//    spot a short view means holding nothing (an exit, never a sale short).
//  - No new intent while one is undecided or its order works; no entry while risk is
//    HALTED or REDUCING (exits still go unless HALTED); no entry for
//    `reentry_cooldown_candles` (candles of the symbol that a strategy evaluated) after a
//    position closes or an intent is rejected. A strategy that fails to evaluate (an
//    error record) leaves its view as it was, and that candle forms no intent.
//  - A history candle (a live session's warm-up) updates the views, and may signal, but
//    forms no intent.
//  - With [regime]: each symbol's regime is read from its candles of the regime's interval
//    (regime_classifier.hpp), before the strategies see the candle, and a Regime message
//    is emitted whenever its trend or volatility changes. A strategy given regimes trades
//    only in them: outside them (or before the first reading) its view counts as flat, so
//    it makes no entry and what it holds is exited.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/actor_core.hpp"
#include "actors/market_rules.hpp"
#include "actors/regime/regime_filter.hpp"
#include "actors/strategy/combine.hpp"
#include "actors/strategy/sizing.hpp"

namespace trader {

// How a strategy enters: at market, or with a limit below the close (order.limit_ttl_ms
// cancels it if it rests that long: OrderCore).
struct EntryOrder {
  OrderType type = OrderType::market;
  std::uint32_t limit_offset_bps = 0;
};

// One strategy's view of the market: a rule, or a model. Per symbol, pure.
class StrategyView {
 public:
  virtual ~StrategyView() = default;
  // The view after this candle, or nullopt while warming up. `current` is its last
  // direction. An error (e.g. a failed prediction) is journaled, never swallowed.
  virtual Result<std::optional<View>> evaluate(const Candle& c, Direction current) = 0;
  // A candle of another interval, of a symbol it trades: what a view reading several
  // intervals learns from (a model's multi-timeframe features). Most ignore it.
  virtual void observe(const Candle&) {}
  virtual void save(StateWriter& w) const = 0;
  virtual Status load(StateReader& r) = 0;
  // Candles of its interval before evaluate() gives a view.
  virtual std::uint32_t warmup_candles() const = 0;
};

struct StrategyMember {
  std::string id;                    // the [[strategies]] entry's id; "" for a [strategy] config
  std::string model_id;              // the rule's name, or the model file's SHA-256
  std::uint32_t interval_s = 60;
  std::vector<std::string> symbols;  // empty: every symbol with candles
  std::uint32_t weight_ppm = 1'000'000;  // for combine = weighted
  std::unique_ptr<StrategyView> view;
  RegimeFilter regimes;                  // the regimes it trades in (with [regime])
};

// What the strategies share: how their views combine and how an intent is made.
struct StrategyCommon {
  std::uint32_t reentry_cooldown_candles = 10;
  MarketRuleBook market;
  EntryOrder entry;
  SizingConfig sizing;  // how much an entry spends (sizing.hpp)
  CombineConfig combine;
};

class StrategyCore : public ActorCore {
 public:
  StrategyCore(std::vector<StrategyMember> members, StrategyCommon common);
  // One strategy alone (a [strategy] config): no id, its view passed through.
  StrategyCore(StrategyMember alone, StrategyCommon common);
  Actor id() const override { return Actor::strategy; }
  void on(const Delivery& in, Outbox& out) final;
  // Only a candle can make a signal or an intent.
  // Candles only, and of those only the intervals a member trades on or the regime is
  // read from (on_candle: any other is observed, nothing more).
  Quiet quiet() const final;
  void save(StateWriter& w) const final;
  Status load(StateReader& r) final;
  std::int64_t warmup_ms() const final;  // the longest of its strategies' warm-ups (and the regime's)
  const std::vector<StrategyMember>& members() const { return members_; }
  // Read each symbol's regime, and condition each strategy on its `regimes` (one filter per
  // member, in order; none: any regime). Set before the first delivery.
  void read_regimes(RegimeSettings settings, const std::vector<RegimeFilter>& filters = {});

 private:
  struct SymbolState {
    std::uint64_t candles = 0;
    bool pending = false;              // an intent undecided or its order working
    std::uint64_t pending_intent = 0;
    std::int64_t held = 0;
    std::uint64_t cooldown_until = 0;  // candle count before which no entry
    std::vector<std::optional<View>> views;  // each strategy's latest view (none: warming up)
  };
  struct SymbolRegime {
    RegimeClassifier classifier;
    std::optional<RegimeReading> current;
  };
  void on_candle(const Candle& c, const Delivery& in, Outbox& out);
  void on_regime_candle(const Candle& c, Outbox& out);
  // Each strategy's view as it counts: flat outside the regimes it trades in.
  std::vector<std::optional<View>> counted_views(const std::string& symbol, const SymbolState& s) const;
  void intend(const Candle& c, const Delivery& in, SymbolState& s, const std::vector<std::optional<View>>& views,
              const View& v, Outbox& out);

  std::vector<StrategyMember> members_;
  StrategyCommon common_;
  std::map<std::string, SymbolState> symbols_;
  std::int64_t equity_ = 0;
  bool have_equity_ = false;
  TradingState risk_state_ = TradingState::active;
  std::uint64_t next_intent_ = 0;  // intent ids: make_intent_id(strategy, n)
  std::optional<RegimeSettings> regime_;
  std::map<std::string, SymbolRegime> regimes_;  // by symbol (with [regime])
};

}  // namespace trader
