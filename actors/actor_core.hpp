#pragma once
// The contract every business core implements: a plain class fed one delivered message
// at a time, producing outputs. No I/O, no clock, no threads, no randomness: time is
// what the messages say (`recv_ts_ns` and the bodies' exchange times). The CAF shell in
// the live node and the replay engine drive the same cores.
#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "actors/state_codec.hpp"
#include "base/result.hpp"
#include "messages/message_types.hpp"

namespace trader {

struct Delivery {
  std::uint64_t seq;          // journal seq of this message
  std::int64_t recv_ts_ns;    // when it entered the node (data time)
  Actor source;
  const Message& message;
};

struct Outgoing {
  Actor destination = Actor::none;  // none: published to the subscribers of its type
  Message message;
};

using Outbox = std::vector<Outgoing>;

// A set of message types, one bit per type id below 64 (a type id from 64 on is never in
// one).
constexpr std::uint64_t type_bit(std::uint16_t type_id) { return type_id < 64 ? std::uint64_t{1} << type_id : 0; }
constexpr std::uint64_t kAllTypes = ~std::uint64_t{0};

// What a value-bound quiet declaration (Quiet below) reads of a delivery, for the types
// it can bound: a candle's interval; a portfolio state's time, equity, starting cash,
// drawdown and whether it holds a position. Read from the value, by the node and replay
// alike (quiet_probe).
struct QuietProbe {
  std::uint32_t candle_interval_s = 0;
  std::int64_t ts_ms = 0, equity = 0, starting_cash = 0;
  std::uint32_t drawdown_ppm = 0;
  bool holds_positions = false;
};
QuietProbe quiet_probe(const Message& m);

// What a core, as it is now, answers with nothing (ActorCore::quiet): deliveries of these
// types, clock ticks received before a time (nothing it holds closes earlier; a tick is
// received at the time it marks: the market feed's core makes them so), candles of any
// interval but those it answers, and portfolio states within bounds (risk: no limit
// crossed, the same day and capital, and no position where it holds none).
struct Quiet {
  std::uint64_t types = 0;
  std::int64_t ticks_before_ns = 0;
  // Candles of an interval not listed are quiet too; none listed (all 0): no such bound.
  std::array<std::uint32_t, 4> candle_intervals{};
  struct PortfolioBound {
    bool on = false;
    std::int64_t from_ts_ms = 0, to_ts_ms = 0;  // ts_ms in [from, to)
    std::int64_t starting_cash = 0;             // exactly this
    std::uint32_t below_drawdown_ppm = 0;       // drawdown_ppm below this (0: any)
    std::int64_t above_equity = 0;              // equity above this (when equity_bound)
    bool equity_bound = false;
    bool flat = false;                          // holds no position
    bool covers(const QuietProbe& p) const {
      return on && p.ts_ms >= from_ts_ms && p.ts_ms < to_ts_ms && p.starting_cash == starting_cash &&
             (below_drawdown_ppm == 0 || p.drawdown_ppm < below_drawdown_ppm) &&
             (!equity_bound || p.equity > above_equity) && (!flat || !p.holds_positions);
    }
  } portfolio;

  // Whether a delivery of this type is quiet depends on its value (the driver then
  // reads a probe of it).
  bool bounds(std::uint16_t type_id) const {
    return (type_id == Candle::kTypeId && candle_intervals[0] != 0) ||
           (type_id == PortfolioState::kTypeId && portfolio.on);
  }
  // `probe`: the delivery's values, needed when bounds(type_id); without them a value bound covers nothing.
  bool covers(std::uint16_t type_id, std::int64_t recv_ts_ns, const QuietProbe* probe = nullptr) const {
    if ((types & type_bit(type_id)) != 0 || (type_id == ClockTick::kTypeId && recv_ts_ns < ticks_before_ns)) return true;
    if (!probe || !bounds(type_id)) return false;
    if (type_id == PortfolioState::kTypeId) return portfolio.covers(*probe);
    return std::find(candle_intervals.begin(), candle_intervals.end(), probe->candle_interval_s) ==
           candle_intervals.end();
  }
};

class ActorCore {
 public:
  virtual ~ActorCore() = default;
  virtual Actor id() const = 0;
  virtual void on(const Delivery& in, Outbox& out) = 0;

  // The deliveries this core, as it is now, answers with nothing, and goes on answering
  // with nothing however many of them it receives before one it answers. The sequencer
  // delivers those without waiting for an answer (the node batches them into the actor's
  // next message) and asks again after every delivery it awaited. A delivery declared
  // quiet that produces output stops the run, in the node and in replay alike. The
  // default, nothing: every delivery is awaited.
  virtual Quiet quiet() const { return {}; }

  // Snapshots: everything that influences future outputs, byte-exact. load() replaces the
  // whole state; a core restored from save() behaves exactly like the one saved.
  virtual void save(StateWriter& w) const = 0;
  virtual Status load(StateReader& r) = 0;

  // How much candle history (ms of data time) the core needs before it decides as well as
  // it ever will: what a live session's warm-up fetches. 0: none.
  virtual std::int64_t warmup_ms() const { return 0; }
};

// A node's business cores, one per actor, in actor order (the order snapshots list them).
using Cores = std::map<Actor, std::unique_ptr<ActorCore>>;

}  // namespace trader
