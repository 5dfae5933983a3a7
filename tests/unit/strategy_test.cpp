#include <doctest/doctest.h>

#include <limits>

#include <fmt/format.h>

#include "actors/core_factory/core_factory.hpp"
#include "actors/strategy/rule_strategy_core.hpp"
#include "config/node_config.hpp"
#include "core_harness.hpp"
#include "fast_rule.hpp"

using namespace trader;
using test::CoreHarness;
using test::of_type;
using test::px;

namespace {
RuleStrategyConfig cfg() { return test::fast_rule(); }
Candle candle(int i, double close) {
  Candle c;
  c.symbol = "BTCUSDT";
  c.interval_s = 60;
  c.open_time_ms = i * 60'000;
  c.close_time_ms = c.open_time_ms + 59'999;
  c.open = c.high = c.low = c.close = px(close);
  return c;
}
PortfolioState equity(double e, double held = 0) {
  PortfolioState p;
  p.equity = px(e);
  if (held > 0) p.positions.push_back(Position{"BTCUSDT", px(held), px(100), px(100), 0, 0});
  return p;
}
}  // namespace

TEST_CASE("rule strategy: warms up, goes long on a rising market sized by equity, exits on a falling one") {
  RuleStrategyCore core(cfg());
  CoreHarness h(core);
  h.feed(equity(10000));
  for (int i = 0; i < 5; ++i) CHECK(h.feed(candle(i, 100 + (i % 2) * 0.01)).empty());  // warming up, flat
  Outbox out;
  int i = 5;
  for (; i < 30 && of_type<OrderIntent>(out).empty(); ++i) out = h.feed(candle(i, 100 + i));
  const auto signals = of_type<Signal>(out);
  const auto intents = of_type<OrderIntent>(out);
  REQUIRE(intents.size() == 1);
  REQUIRE(signals.size() == 1);
  CHECK(signals[0].direction == Direction::long_);
  CHECK(signals[0].model_id == "rule:ema-momentum-v1");
  CHECK(signals[0].confidence_ppm > 0);
  // What the view was computed from: the spread of the EMAs and the momentum that sent it long.
  REQUIRE(signals[0].values.size() == 4);
  CHECK(signals[0].values[0].name == "spread");
  CHECK(signals[0].values[0].value > 0);
  CHECK(signals[0].values[1].name == "momentum");
  CHECK(signals[0].values[1].value * 1e4 > 5);  // above entry_momentum_bps
  CHECK(signals[0].values[2].name == "vol");
  CHECK(signals[0].values[3].name == "z");
  CHECK(intents[0].side == Side::buy);
  CHECK_FALSE(intents[0].is_exit);
  const std::int64_t close = px(100 + i - 1);
  const auto expected_qty =
      static_cast<std::int64_t>(static_cast<__int128>(px(2000)) * 100000000 / close) / px(0.001) * px(0.001);
  CHECK(intents[0].qty == expected_qty);  // 20% of equity at the close, rounded down to the lot step
  CHECK(intents[0].confidence_ppm == signals[0].confidence_ppm);

  // While the intent is undecided, nothing more is sent.
  CHECK(of_type<OrderIntent>(h.feed(candle(i++, 140))).empty());
  // Another order of the same symbol ends (say, a stop-loss exit risk sent): the strategy
  // still waits for its own.
  OrderEvent other;
  other.symbol = "BTCUSDT";
  other.kind = OrderEventKind::filled;
  other.intent_id = make_intent_id(IntentIssuer::risk, 1);
  h.feed(other);
  CHECK(of_type<OrderIntent>(h.feed(candle(i++, 141))).empty());
  // Its own order filled: the position shows up in the portfolio.
  OrderEvent filled;
  filled.symbol = "BTCUSDT";
  filled.kind = OrderEventKind::filled;
  filled.intent_id = intents[0].intent_id;
  h.feed(filled);
  h.feed(equity(10000, 15));
  // Prices fall: the view turns flat and the whole position is sold.
  out.clear();
  for (int k = 0; k < 20 && of_type<OrderIntent>(out).empty(); ++k) out = h.feed(candle(i++, 130 - 3 * k));
  const auto exits = of_type<OrderIntent>(out);
  REQUIRE(exits.size() == 1);
  CHECK(exits[0].side == Side::sell);
  CHECK(exits[0].is_exit);
  CHECK(exits[0].qty == px(15));
  CHECK(of_type<Signal>(out).at(0).direction == Direction::flat);
}

namespace {
// A long entered, filled, exited on a fall with all but 0.03 filled (a participation cap, a
// venue's partial fill): 3 at 100, below the minimum of 5. Then the fall goes on and prices
// rise again; what the strategy sent in that time.
std::vector<OrderIntent> after_exit_to_dust(std::uint64_t cooldown_candles) {
  RuleStrategyConfig c = cfg();
  c.reentry_cooldown_candles = cooldown_candles;
  RuleStrategyCore core(c);
  CoreHarness h(core);
  h.feed(equity(10000));
  for (int i = 0; i < 5; ++i) h.feed(candle(i, 100 + (i % 2) * 0.01));
  Outbox out;
  int i = 5;
  for (; i < 30 && of_type<OrderIntent>(out).empty(); ++i) out = h.feed(candle(i, 100 + i));
  const auto entry = of_type<OrderIntent>(out);
  REQUIRE(entry.size() == 1);
  OrderEvent ended;
  ended.symbol = "BTCUSDT";
  ended.kind = OrderEventKind::filled;
  ended.intent_id = entry[0].intent_id;
  h.feed(ended);
  h.feed(equity(10000, 15));
  out.clear();
  for (int k = 0; k < 20 && of_type<OrderIntent>(out).empty(); ++k) out = h.feed(candle(i++, 130 - 3 * k));
  const auto exit = of_type<OrderIntent>(out);
  REQUIRE(exit.size() == 1);
  CHECK(exit[0].qty == px(15));
  ended.kind = OrderEventKind::expired;
  ended.intent_id = exit[0].intent_id;
  h.feed(ended);
  h.feed(equity(10000, 0.03));
  std::vector<OrderIntent> sent;
  auto take = [&](double close) {
    for (auto& intent : of_type<OrderIntent>(h.feed(candle(i++, close)))) sent.push_back(std::move(intent));
  };
  for (int k = 0; k < 5; ++k) take(80 - k);
  for (int k = 0; k < 30 && sent.empty(); ++k) take(76 + 2 * k);
  return sent;
}
}  // namespace

TEST_CASE("rule strategy: a rest worth less than the minimum notional is dust: no exit for it, an entry adds to it") {
  // No exit of the dust while the fall goes on (a venue refuses it, at every candle); on
  // the rise an entry is sent beside it, and its exit will sell both.
  const auto sent = after_exit_to_dust(0);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].side == Side::buy);
  CHECK_FALSE(sent[0].is_exit);
  CHECK(sent[0].qty > px(0.03));
  // An exit that closed the position to dust closed it: the re-entry cooldown runs.
  CHECK(after_exit_to_dust(1000).empty());
}

TEST_CASE("rule strategy: no entry while risk is halted") {
  RuleStrategyCore core(cfg());
  CoreHarness h(core);
  h.feed(equity(10000));
  RiskState halted;
  halted.state = TradingState::halted;
  h.feed(halted);
  std::size_t intents = 0, signals = 0;
  for (int i = 0; i < 30; ++i) {
    const auto& out = h.feed(candle(i, 100 + i));
    intents += of_type<OrderIntent>(out).size();
    signals += of_type<Signal>(out).size();
  }
  CHECK(signals == 1);  // the view is still reported
  CHECK(intents == 0);
}

TEST_CASE("rule strategy: other intervals and symbols are ignored") {
  RuleStrategyConfig c = cfg();
  c.symbols = {"ETHUSDT"};
  RuleStrategyCore core(c);
  CoreHarness h(core);
  h.feed(equity(10000));
  for (int i = 0; i < 30; ++i) CHECK(h.feed(candle(i, 100 + i)).empty());
}

TEST_CASE("strategy: intent ids are unique by construction, whoever issues them and however many per input") {
  RuleStrategyCore core(cfg());
  CoreHarness h(core);
  h.feed(equity(10000));
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 40; ++i)
    for (const auto& in : of_type<OrderIntent>(h.feed(candle(i, 100 + i)))) ids.push_back(in.intent_id);
  REQUIRE(ids.size() == 1);
  CHECK(ids[0] == make_intent_id(IntentIssuer::strategy, 1));
  CHECK(ids[0] != make_intent_id(IntentIssuer::risk, 1));
}

TEST_CASE("strategy: an entry size that would overflow at a near-zero price is an error, not a wrapped intent") {
  RuleStrategyConfig c = cfg();
  c.market.every_symbol.lot_step = 1;
  c.market.every_symbol.min_notional = 1;
  RuleStrategyCore core(c);
  CoreHarness h(core);
  PortfolioState p;
  p.equity = std::numeric_limits<std::int64_t>::max() / 4;  // 20% of it, over a price of 1e-8...
  h.feed(p);
  std::vector<ErrorReport> errors;
  std::vector<OrderIntent> intents;
  for (int i = 0; i < 30; ++i) {
    Candle k;
    k.symbol = "BTCUSDT";
    k.interval_s = 60;
    k.open_time_ms = i * 60'000;
    k.close_time_ms = k.open_time_ms + 59'999;
    k.open = k.high = k.low = k.close = 1 + i;  // ...rising, so the rule wants in
    const auto& out = h.feed(k);
    for (const auto& e : of_type<ErrorReport>(out)) errors.push_back(e);
    for (const auto& x : of_type<OrderIntent>(out)) intents.push_back(x);
  }
  REQUIRE_FALSE(errors.empty());
  CHECK(errors[0].code == "arithmetic_overflow");
  for (const auto& x : intents) CHECK(x.qty > 0);
}

TEST_CASE("strategy: each symbol's entry is priced and sized by its own market rules, [market] by default") {
  // A cheap token beside BTC: on BTC's tick of 0.01, a bid meant 0.25 % below a close of
  // 0.1319 is 0.13, 1.4 % below it.
  auto run = [](bool own_rules) {
    RuleStrategyConfig c = cfg();
    c.symbols = {"BTCUSDT", "DOGEUSDT"};
    c.entry.type = OrderType::limit;
    c.entry.limit_offset_bps = 25;
    c.market.every_symbol.tick_size = px(0.01);
    if (own_rules) c.market.by_symbol["DOGEUSDT"] = MarketRules{px(1), px(1), px(0.00001)};
    RuleStrategyCore core(c);
    CoreHarness h(core);
    h.feed(equity(10000));
    Outbox out;
    for (int i = 0; i < 40 && of_type<OrderIntent>(out).empty(); ++i) {
      Candle k = candle(i, 0.1234 + i * 0.0017);
      k.symbol = "DOGEUSDT";
      out = h.feed(k);
    }
    const auto entries = of_type<OrderIntent>(out);
    REQUIRE(entries.size() == 1);
    return entries[0];
  };
  // The close the intent was made at, 0.25 % below it, and down to a tick.
  auto bid = [](const OrderIntent& x, std::int64_t tick) {
    const int i = static_cast<int>((x.ts_ms - 59'999) / 60'000);
    const std::int64_t close = px(0.1234 + i * 0.0017);
    const auto below = static_cast<std::int64_t>(static_cast<__int128>(close) * 9975 / 10000);
    return std::pair{close, below - below % tick};
  };
  const OrderIntent own = run(true);
  CHECK(own.symbol == "DOGEUSDT");
  const auto [close, wanted] = bid(own, px(0.00001));
  CHECK(own.limit_price == wanted);
  CHECK(close - own.limit_price < close / 300);  // within 0.33 % of the close
  CHECK(own.qty > 0);
  CHECK(own.qty % px(1) == 0);  // whole tokens: DOGEUSDT's lot
  const OrderIntent shared = run(false);
  const auto [shared_close, coarse] = bid(shared, px(0.01));
  CHECK(shared.limit_price == coarse);  // [market]'s tick: 0.13
  CHECK(shared_close - shared.limit_price > shared_close / 100);  // over 1 % below the close
}

TEST_CASE("strategy: a limit entry bids limit_offset_bps below the close, rounded down to the tick, sized at that "
          "price, exits stay market orders") {
  RuleStrategyConfig c = cfg();
  c.entry.type = OrderType::limit;
  c.entry.limit_offset_bps = 25;  // 0.25 %
  c.market.every_symbol.tick_size = px(0.1);
  RuleStrategyCore core(c);
  CoreHarness h(core);
  h.feed(equity(10000));
  Outbox out;
  int i = 0;
  for (; i < 40 && of_type<OrderIntent>(out).empty(); ++i) out = h.feed(candle(i, 100 + i * 1.37));
  const auto entries = of_type<OrderIntent>(out);
  REQUIRE(entries.size() == 1);
  const std::int64_t close = px(100 + (i - 1) * 1.37);
  // close x 0.9975, down to a multiple of 0.1
  const std::int64_t below = static_cast<std::int64_t>(static_cast<__int128>(close) * 9975 / 10000);
  const std::int64_t limit = below - below % px(0.1);
  CHECK(entries[0].type == OrderType::limit);
  CHECK(entries[0].limit_price == limit);
  CHECK(entries[0].limit_price % px(0.1) == 0);
  CHECK(entries[0].limit_price < close);
  const auto qty = static_cast<std::int64_t>(static_cast<__int128>(px(2000)) * 100000000 / limit) / px(0.001) * px(0.001);
  CHECK(entries[0].qty == qty);  // 20 % of equity at the limit price, whole lots

  OrderEvent canceled;  // rested too long, partly filled: the position is what filled
  canceled.symbol = "BTCUSDT";
  canceled.kind = OrderEventKind::canceled;
  canceled.intent_id = entries[0].intent_id;
  h.feed(canceled);
  h.feed(equity(10000, 3));
  out.clear();
  for (int k = 0; k < 30 && of_type<OrderIntent>(out).empty(); ++k) out = h.feed(candle(i++, 150 - 3 * k));
  const auto exits = of_type<OrderIntent>(out);
  REQUIRE(exits.size() == 1);
  CHECK(exits[0].is_exit);
  CHECK(exits[0].type == OrderType::market);
  CHECK(exits[0].qty == px(3));
}

namespace {
// Two rules in one strategy actor: "fast" on 1-minute candles, "slow" on 3-minute ones.
std::unique_ptr<StrategyCore> two_rules(CombineConfig combine) {
  std::vector<StrategyMember> members;
  RuleStrategyConfig fast = cfg(), slow = cfg();
  slow.interval_s = 180;
  members.push_back({"fast", fast.name, 60, {}, 1'000'000, std::make_unique<RuleView>(fast)});
  members.push_back({"slow", slow.name, 180, {}, 1'000'000, std::make_unique<RuleView>(slow)});
  const auto c = cfg();
  return std::make_unique<StrategyCore>(std::move(members),
                                        StrategyCommon{c.reentry_cooldown_candles, c.market, c.entry, c.sizing, combine});
}
// Minute i's candle, and at every third minute the 3-minute candle that closes with it.
std::vector<Candle> minute(int i, double close) {
  std::vector<Candle> out{candle(i, close)};
  if (i % 3 == 2) {
    Candle c3 = candle(i, close);
    c3.interval_s = 180;
    c3.open_time_ms = (i - 2) * 60'000;
    out.push_back(c3);
  }
  return out;
}
}  // namespace

TEST_CASE("several strategies: signals name their strategy, k_of_n waits for both, the intent carries their votes") {
  auto core = two_rules(CombineConfig{CombinePolicy::k_of_n, 2, 500'000});
  CoreHarness h(*core);
  h.feed(equity(10000));
  std::vector<Signal> signals;
  std::vector<OrderIntent> intents;
  for (int i = 0; i < 60 && intents.empty(); ++i)
    for (const auto& c : minute(i, 100 + i)) {
      const auto& out = h.feed(c);
      for (const auto& s : of_type<Signal>(out)) signals.push_back(s);
      for (const auto& x : of_type<OrderIntent>(out)) intents.push_back(x);
    }
  REQUIRE(intents.size() == 1);
  REQUIRE(signals.size() == 2);
  CHECK(signals[0].strategy_id == "fast");  // the 1-minute rule warms up first
  CHECK(signals[1].strategy_id == "slow");
  CHECK(signals[1].interval_s == 180);
  // The entry came only once the slow rule was long too: on a 3-minute candle.
  const auto& entry = intents[0];
  CHECK(entry.side == Side::buy);
  REQUIRE(entry.votes.size() == 2);
  CHECK(entry.votes[0] == StrategyVote{"fast", Direction::long_, entry.votes[0].confidence_ppm});
  CHECK(entry.votes[1].strategy_id == "slow");
  CHECK(entry.votes[1].direction == Direction::long_);
  CHECK(entry.reason.rfind("enter long: k_of_n: 2 of 2 long, 2 needed", 0) == 0);
}

TEST_CASE("several strategies: a snapshot holds every strategy's latest view, the restored core decides the same") {
  auto a = two_rules(CombineConfig{CombinePolicy::k_of_n, 2, 500'000});
  CoreHarness ha(*a);
  ha.feed(equity(10000));
  int i = 0;
  for (; i < 20; ++i)
    for (const auto& c : minute(i, 100 - i * 0.1 + (i % 3) * 0.05)) ha.feed(c);  // drifting down: flat
  StateWriter w;
  a->save(w);
  auto b = two_rules(CombineConfig{CombinePolicy::k_of_n, 2, 500'000});
  StateReader r(w.bytes());
  REQUIRE(b->load(r));
  CHECK(r.at_end());
  StateWriter again;
  b->save(again);
  CHECK(again.bytes() == w.bytes());
  CoreHarness hb(*b);
  std::size_t compared = 0, intents = 0;
  for (; i < 80; ++i)
    for (const auto& c : minute(i, 98 + (i - 20) * 0.5 + (i % 4) * 0.3)) {  // then rising
      const Outbox out_a = ha.feed(c);
      const Outbox out_b = hb.feed(c);
      REQUIRE(out_a.size() == out_b.size());
      for (std::size_t k = 0; k < out_a.size(); ++k) {
        Message x = out_a[k].message, y = out_b[k].message;
        // The harnesses number their deliveries apart: an intent's candle seq is theirs.
        if (auto* i1 = std::get_if<OrderIntent>(&x)) i1->signal_seq = 0;
        if (auto* i2 = std::get_if<OrderIntent>(&y)) i2->signal_seq = 0;
        CHECK(x == y);
      }
      compared += out_a.size();
      intents += of_type<OrderIntent>(out_a).size();
    }
  CHECK(intents > 0);
}

TEST_CASE("one named strategy under weighted: a restored snapshot keeps the strategy's own direction, not the combined one") {
  // The rule's confidence stays below min_score, so the combined view is flat while the
  // rule itself is long: the snapshot must restore the rule's direction (its hysteresis
  // and its signals depend on it), not the combined one.
  auto one = [] {
    std::vector<StrategyMember> members;
    const auto c = cfg();
    members.push_back({"rule", c.name, 60, {}, 1'000'000, std::make_unique<RuleView>(c)});
    return std::make_unique<StrategyCore>(
        std::move(members),
        StrategyCommon{c.reentry_cooldown_candles, c.market, c.entry, c.sizing, {CombinePolicy::weighted, 1, 1'000'001}});
  };
  auto a = one();
  CoreHarness ha(*a);
  ha.feed(equity(10000));
  std::size_t longs = 0;
  int i = 0;
  for (; i < 30; ++i)
    for (const auto& s : of_type<Signal>(ha.feed(candle(i, 100 + i)))) longs += s.direction == Direction::long_;
  REQUIRE(longs == 1);  // the rule went long; nothing was combined long
  StateWriter w;
  a->save(w);
  auto b = one();
  StateReader r(w.bytes());
  REQUIRE(b->load(r));
  CoreHarness hb(*b);
  std::size_t compared = 0;
  for (; i < 90; ++i) {
    const Candle c = candle(i, 130 - (i - 30) * 0.3 + (i % 3) * 0.2);
    const Outbox out_a = ha.feed(c);
    const Outbox out_b = hb.feed(c);
    REQUIRE(out_a.size() == out_b.size());
    for (std::size_t k = 0; k < out_a.size(); ++k) CHECK(out_a[k].message == out_b[k].message);
    compared += of_type<Signal>(out_a).size();
  }
  CHECK(compared > 0);  // the rule turned flat again: a signal both must agree on
}

// The one [strategy] form is built by core_factory like [[strategies]]: its [combine] is
// not ignored. Under "weighted", the one strategy's confidence must reach min_score.
TEST_CASE("a one-strategy [strategy] config obeys [combine]: weighted's min_score is its confidence floor") {
  struct Seen {
    std::vector<Signal> signals;
    std::vector<OrderIntent> intents;
  };
  auto run = [](std::vector<std::string> sets) {
    for (const char* s : {"strategy.fast_ema=3", "strategy.slow_ema=6", "strategy.momentum_candles=3",
                          "strategy.reentry_cooldown_candles=0"})
      sets.emplace_back(s);
    auto config = load_node_config_for_replay(std::string(TRADER_SOURCE_DIR) + "/config/paper.toml", sets);
    REQUIRE(config);
    auto cores = make_cores(*config, nullptr);
    REQUIRE(cores);
    CoreHarness h(*cores->at(Actor::strategy));
    h.feed(equity(10000));
    Seen seen;
    for (int i = 0; i < 40; ++i) {
      Candle c = candle(i, i < 6 ? 100 + (i % 2) * 0.01 : 100 + i * 0.3 + (i % 3) * 0.2);
      c.symbol = "BTCUSDC";
      for (const auto& o : h.feed(c)) {
        if (const auto* s = std::get_if<Signal>(&o.message)) seen.signals.push_back(*s);
        if (const auto* in = std::get_if<OrderIntent>(&o.message)) seen.intents.push_back(*in);
      }
    }
    return seen;
  };
  const Seen any = run({});
  REQUIRE(!any.intents.empty());
  REQUIRE(!any.signals.empty());
  const std::uint32_t confidence = any.intents.front().confidence_ppm;
  REQUIRE(confidence < 1'000'000);  // so a floor of 1 must refuse it
  // The floor at the entry's own confidence lets it through; one unit above does not.
  const Seen at = run({"combine.policy=weighted", fmt::format("combine.min_score={}", confidence / 1e6)});
  REQUIRE(!at.intents.empty());
  CHECK(at.intents.front().confidence_ppm == confidence);
  CHECK(at.intents.front().ts_ms == any.intents.front().ts_ms);
  const Seen above = run({"combine.policy=weighted", "combine.min_score=1"});
  CHECK(above.intents.empty());
  // The strategy's own view is unchanged: it still signals what it sees.
  CHECK(above.signals.size() == any.signals.size());
}

// A warm-up's candles (Candle.history) teach the view and may signal; no intent is formed
// on them, even with equity known (a resumed session). The first live candle trades.
TEST_CASE("history candles: the rule learns and signals on them, and trades from the first live candle only") {
  RuleStrategyCore core(cfg());
  CoreHarness h(core);
  h.feed(equity(10000));
  std::size_t signals = 0;
  for (int i = 0; i < 30; ++i) {
    Candle c = candle(i, 100 + i);
    c.history = true;
    const auto& out = h.feed(c);
    CHECK(of_type<OrderIntent>(out).empty());
    signals += of_type<Signal>(out).size();
  }
  CHECK(signals == 1);  // it went long on history
  const auto& live = h.feed(candle(30, 130));
  REQUIRE(of_type<OrderIntent>(live).size() == 1);  // its first live candle enters at once
  CHECK(of_type<Signal>(live).empty());             // no change of view: it was long already
}

namespace {
const char* kPerp = "BTCUSDT@binance_usdm";
Candle perp_candle(int i, double close, const char* symbol = kPerp) {
  Candle c = candle(i, close);
  c.symbol = symbol;
  return c;
}
PortfolioState holding(const char* symbol, double qty) {
  PortfolioState p;
  p.equity = px(10000);
  p.positions.push_back(Position{symbol, px(qty), px(100), px(100), 0, 0});
  return p;
}
// Feeds falling candles until an intent comes; returns it (and the signals on the way).
std::pair<OrderIntent, std::vector<Signal>> first_intent(CoreHarness& h, int& i, double from, double step,
                                                         const char* symbol = kPerp) {
  std::vector<Signal> signals;
  for (int k = 0; k < 60; ++k) {
    const auto out = h.feed(perp_candle(i++, from + step * k, symbol));
    for (const auto& s : of_type<Signal>(out)) signals.push_back(s);
    if (const auto intents = of_type<OrderIntent>(out); !intents.empty()) return {intents[0], signals};
  }
  FAIL("no intent in 60 candles");
  return {};
}
}  // namespace

TEST_CASE("allow_short: the rule sells a perpetual short on a falling market, sized as a long, and covers with a buy") {
  RuleStrategyConfig c = cfg();
  c.allow_short = true;
  c.entry.type = OrderType::limit;
  c.entry.limit_offset_bps = 25;
  c.market.every_symbol.tick_size = px(0.1);
  RuleStrategyCore core(c);
  CoreHarness h(core);
  h.feed(equity(10000));
  for (int k = 0; k < 5; ++k) h.feed(perp_candle(k, 300 + (k % 2) * 0.01));
  int i = 5;
  auto [short_entry, signals] = first_intent(h, i, 300, -1.37);
  REQUIRE_FALSE(signals.empty());
  CHECK(signals.back().direction == Direction::short_);
  CHECK(short_entry.side == Side::sell);
  CHECK_FALSE(short_entry.is_exit);
  CHECK(short_entry.reason.rfind("enter short: ", 0) == 0);
  // A limit above the close, rounded up to the tick; sized at that price like a long.
  const std::int64_t close = px(300 - 1.37 * (i - 6));
  const std::int64_t above = static_cast<std::int64_t>(static_cast<__int128>(close) * 10025 / 10000);
  const std::int64_t limit = above % px(0.1) == 0 ? above : above - above % px(0.1) + px(0.1);
  CHECK(short_entry.limit_price == limit);
  CHECK(short_entry.limit_price > close);
  CHECK(short_entry.qty ==
        static_cast<std::int64_t>(static_cast<__int128>(px(2000)) * 100000000 / limit) / px(0.001) * px(0.001));
  OrderEvent filled;
  filled.symbol = kPerp;
  filled.kind = OrderEventKind::filled;
  filled.intent_id = short_entry.intent_id;
  h.feed(filled);
  h.feed(holding(kPerp, -5));
  // The market turns up: the short is covered, at market, whole.
  auto [cover, turned] = first_intent(h, i, 200, 3);
  CHECK(cover.is_exit);
  CHECK(cover.side == Side::buy);
  CHECK(cover.qty == px(5));
  CHECK(cover.type == OrderType::market);
  CHECK(turned.back().direction != Direction::short_);
}

TEST_CASE("allow_short: on spot a short view sells only what is held, and without allow_short the rule never shorts") {
  RuleStrategyConfig c = cfg();
  c.allow_short = true;
  RuleStrategyCore core(c);
  CoreHarness h(core);
  h.feed(equity(10000));
  for (int k = 0; k < 5; ++k) h.feed(perp_candle(k, 300 + (k % 2) * 0.01, "BTCUSDT"));
  h.feed(holding("BTCUSDT", 2));
  int i = 5;
  auto [exit, signals] = first_intent(h, i, 300, -1.37, "BTCUSDT");
  CHECK(exit.is_exit);
  CHECK(exit.side == Side::sell);
  CHECK(exit.qty == px(2));
  h.feed(holding("BTCUSDT", 0));
  // Flat now, still falling, the view short: no sale short on spot.
  for (int k = 0; k < 30; ++k) CHECK(of_type<OrderIntent>(h.feed(perp_candle(i++, 250 - 1.37 * k, "BTCUSDT"))).empty());

  RuleStrategyCore long_only(cfg());
  CoreHarness l(long_only);
  l.feed(equity(10000));
  for (int k = 0; k < 40; ++k) {
    const auto out = l.feed(perp_candle(k, 300 - 1.37 * k));
    CHECK(of_type<OrderIntent>(out).empty());
    for (const auto& s : of_type<Signal>(out)) CHECK(s.direction != Direction::short_);
  }
}
