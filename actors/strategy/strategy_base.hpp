#pragma once
// What every strategy does with its view of the market, so that strategies differ only in
// the view: on each candle of its interval a strategy evaluates a View (direction,
// confidence, position size as a share of equity, reason).
//  - A change of direction emits a Signal (direction, confidence, model id, reason, and
//    the values the view was computed from; an intent carries them too, as of its candle).
//  - Whenever the view and the position disagree (level-triggered), an intent follows:
//    entering, a buy for the sizing policy's share of equity (by default the view's
//    `fraction`), rounded down to the lot step: at market, or
//    (entry.type = limit) a limit `limit_offset_bps` below the candle's close, rounded
//    down to the tick, sized at that price; exiting, a market sell of the whole position.
//  - No new intent while one is undecided or its order works; no entry while risk is
//    HALTED or REDUCING (exits still go unless HALTED); no entry for
//    `reentry_cooldown_candles` after a position closes or an intent is rejected.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "actors/actor_core.hpp"
#include "actors/market_rules.hpp"
#include "actors/strategy/sizing.hpp"

namespace trader {

// How a strategy enters: at market, or with a limit below the close (order.limit_ttl_ms
// cancels it if it rests that long: OrderCore).
struct EntryOrder {
  OrderType type = OrderType::market;
  std::uint32_t limit_offset_bps = 0;
};

struct StrategyCommon {
  std::string model_id;  // the rule's name, or the model file's SHA-256
  std::uint32_t interval_s = 60;
  std::vector<std::string> symbols;  // empty: every symbol with candles
  std::uint32_t reentry_cooldown_candles = 10;
  MarketRules market;
  EntryOrder entry;
  SizingConfig sizing;  // how much an entry spends (sizing.hpp)
};

struct View {
  Direction direction = Direction::flat;
  std::uint32_t confidence_ppm = 0;
  std::uint32_t fraction_ppm = 0;  // share of equity for an entry
  std::string reason;
  std::vector<SignalValue> values;  // what it was computed from: journaled with signal and intent
};

class StrategyBase : public ActorCore {
 public:
  Actor id() const override { return Actor::strategy; }
  void on(const Delivery& in, Outbox& out) final;
  void save(StateWriter& w) const final;
  Status load(StateReader& r) final;

 protected:
  explicit StrategyBase(StrategyCommon common) : common_(std::move(common)) {}
  // The view after this candle, or nullopt while warming up. `current` is the last view.
  // An error (e.g. a failed prediction) is journaled as an `error` record, never swallowed.
  virtual Result<std::optional<View>> evaluate(const Candle& c, Direction current) = 0;
  virtual void save_view_state(StateWriter& w) const = 0;
  virtual Status load_view_state(StateReader& r) = 0;

 private:
  struct SymbolState {
    std::uint64_t candles = 0;
    Direction view = Direction::flat;
    bool pending = false;        // an intent undecided or its order working
    std::uint64_t pending_intent = 0;
    std::int64_t held = 0;
    std::uint64_t cooldown_until = 0;  // candle count before which no entry
  };
  void on_candle(const Candle& c, const Delivery& in, Outbox& out);
  bool wants(const std::string& symbol) const;

  StrategyCommon common_;
  std::map<std::string, SymbolState> symbols_;
  std::int64_t equity_ = 0;
  bool have_equity_ = false;
  TradingState risk_state_ = TradingState::active;
  std::uint64_t next_intent_ = 0;  // intent ids: make_intent_id(strategy, n)
};

}  // namespace trader
