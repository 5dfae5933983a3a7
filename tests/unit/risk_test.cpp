#include <doctest/doctest.h>

#include <algorithm>
#include <limits>
#include <set>
#include <string>

#include "actors/portfolio/portfolio_core.hpp"
#include "actors/risk/risk_core.hpp"
#include "core_harness.hpp"
#include "messages/enum_names.hpp"
#include "messages/risk_limits.hpp"

using namespace trader;
using test::CoreHarness;
using test::of_type;
using test::px;

namespace {
RiskConfig base() {
  RiskConfig c;
  c.max_position_notional = px(5000);
  c.max_position_equity_ppm = 500'000;
  c.max_open_positions = 2;
  c.max_orders_per_minute = 100;
  c.max_trades_per_day = 100;
  c.max_daily_loss = px(500);
  c.max_drawdown_ppm = 100'000;
  c.min_confidence_ppm = 300'000;
  c.stop_loss_mode = StopMode::percent;
  c.stop_loss_ppm = 20'000;
  c.take_profit_mode = StopMode::percent;
  c.take_profit_ppm = 40'000;
  c.candle_interval_s = 60;
  c.market.every_symbol.lot_step = px(0.001);
  c.market.every_symbol.min_notional = px(5);
  return c;
}
PortfolioState portfolio(double equity, std::vector<Position> positions = {}, std::uint32_t dd_ppm = 0,
                         std::int64_t ts_ms = 1000) {
  PortfolioState p;
  p.ts_ms = ts_ms;
  p.equity = px(equity);
  p.drawdown_ppm = dd_ppm;
  p.positions = std::move(positions);
  return p;
}
Candle candle(const char* symbol, double low, double high, double close, std::int64_t close_time_ms = 59'999) {
  Candle c;
  c.symbol = symbol;
  c.interval_s = 60;
  c.low = px(low);
  c.high = px(high);
  c.close = px(close);
  c.open = px(close);
  c.close_time_ms = close_time_ms;
  return c;
}
OrderIntent entry(const char* symbol, double qty, std::uint32_t confidence = 900'000, std::int64_t ts_ms = 60'000) {
  OrderIntent i;
  i.intent_id = 42;
  i.symbol = symbol;
  i.side = Side::buy;
  i.qty = px(qty);
  i.confidence_ppm = confidence;
  i.ts_ms = ts_ms;
  return i;
}
RiskDecision decide(CoreHarness& h, const OrderIntent& i) {
  const auto d = of_type<RiskDecision>(h.feed(i));
  REQUIRE(d.size() == 1);
  CHECK(d[0].intent_id == i.intent_id);
  CHECK(d[0].symbol == i.symbol);
  return d[0];
}
// The order event that ends an approved entry's order: `filled` of it, then rejected (or
// filled, when all of it filled).
OrderEvent order_ended(const RiskDecision& d, std::int64_t filled = 0) {
  OrderEvent e;
  e.client_order_id = "c" + std::to_string(d.intent_id);
  e.symbol = d.symbol;
  e.side = d.side;
  e.kind = filled == d.approved_qty ? OrderEventKind::filled : OrderEventKind::rejected;
  e.cum_qty = filled;
  e.order_qty = d.approved_qty;
  e.intent_id = d.intent_id;
  return e;
}
// A risk core that knows a price for BTCUSDT (100) and ETHUSDT (10) and an equity of 10000.
struct Ready {
  RiskCore core;
  CoreHarness h{core};
  explicit Ready(RiskConfig c = base()) : core(c) {
    h.feed(candle("BTCUSDT", 100, 100, 100));
    h.feed(candle("ETHUSDT", 10, 10, 10));
    h.feed(portfolio(10000));
  }
};
}  // namespace

TEST_CASE("an entry within every limit is approved as asked") {
  Ready r;
  const auto d = decide(r.h, entry("BTCUSDT", 10));
  CHECK(d.approved);
  CHECK(d.approved_qty == px(10));
  CHECK(d.reason_code == "ok");
  CHECK(d.side == Side::buy);
}

TEST_CASE("an entry on an instrument quoted in another asset than the portfolio's cash is refused, its exit is not") {
  RiskConfig c = base();
  c.quote_asset = "USDT";
  Ready r(c);
  r.h.feed(candle("XRPETH", 0.0014, 0.0014, 0.0014));
  r.h.feed(candle("BTCUSDC", 100, 100, 100));
  for (const char* other : {"XRPETH", "BTCUSDC"}) {
    const auto d = decide(r.h, entry(other, 10));
    CHECK_FALSE(d.approved);
    CHECK(d.reason_code == "other_quote_asset");
    CHECK(d.reason == std::string(other) + " is not quoted in USDT, the portfolio's cash asset (portfolio.quote_asset)");
  }
  CHECK(decide(r.h, entry("BTCUSDT", 10)).approved);
  // A position held in one (adopted from a venue, or from before) can still be closed.
  r.h.feed(portfolio(10000, {Position{"XRPETH", px(10000), px(0.0014), px(0.0014), 0, 0}}, 0, 2000));
  OrderIntent exit = entry("XRPETH", 10000);  // 14 ETH: above the minimum notional
  exit.side = Side::sell;
  exit.is_exit = true;
  CHECK(decide(r.h, exit).approved);
}

TEST_CASE("a limit entry off market.tick_size, or without a price, is refused before any other check") {
  RiskConfig c = base();
  c.market.every_symbol.tick_size = px(0.01);
  Ready r(c);
  OrderIntent i = entry("BTCUSDT", 1);
  i.type = OrderType::limit;
  i.limit_price = px(99.995);
  auto d = decide(r.h, i);
  CHECK_FALSE(d.approved);
  CHECK(d.reason_code == "price_off_tick");
  CHECK(d.reason == "limit price 99.995 is not a multiple of market.tick_size = 0.01");
  i.limit_price = 0;
  CHECK(decide(r.h, i).reason_code == "no_limit_price");
  i.limit_price = px(99.99);
  d = decide(r.h, i);
  CHECK(d.approved);
  CHECK(d.type == OrderType::limit);
  CHECK(d.limit_price == px(99.99));
}

TEST_CASE("each symbol is checked by its own market rules where it has them, by [market] otherwise") {
  RiskConfig c = base();
  c.market.every_symbol.tick_size = px(0.01);
  c.market.by_symbol["ETHUSDT"] = MarketRules{px(0.1), px(20), px(0.005)};  // lot, min notional, tick
  Ready r(c);
  auto limit_at = [](const char* symbol, double qty, double price) {
    OrderIntent i = entry(symbol, qty);
    i.type = OrderType::limit;
    i.limit_price = px(price);
    return i;
  };
  // Ticks: ETHUSDT's 0.005, BTCUSDT's [market] 0.01; an error names the key that set it.
  CHECK(decide(r.h, limit_at("ETHUSDT", 3, 9.995)).approved);
  auto d = decide(r.h, limit_at("ETHUSDT", 3, 9.997));
  CHECK(d.reason_code == "price_off_tick");
  CHECK(d.reason == "limit price 9.997 is not a multiple of market.ETHUSDT.tick_size = 0.005");
  d = decide(r.h, limit_at("BTCUSDT", 1, 99.995));
  CHECK(d.reason == "limit price 99.995 is not a multiple of market.tick_size = 0.01");
  // Minimum notional: 15 is below ETHUSDT's 20; 10 is above BTCUSDT's 5.
  d = decide(r.h, entry("ETHUSDT", 1.5));
  CHECK_FALSE(d.approved);
  CHECK(d.reason == "order below the minimum notional after applying the limit");
  CHECK(decide(r.h, entry("BTCUSDT", 0.1)).approved);
  // Lots: an exit sells whole lots of its symbol.
  r.h.feed(portfolio(10000, {Position{"ETHUSDT", px(10.05), px(10), px(10), 0, 0},
                             Position{"BTCUSDT", px(1.0005), px(100), px(100), 0, 0}}, 0, 2000));
  for (auto [symbol, held, lots] : {std::tuple{"ETHUSDT", 10.05, 10.0}, std::tuple{"BTCUSDT", 1.0005, 1.0}}) {
    OrderIntent exit = entry(symbol, held);
    exit.side = Side::sell;
    exit.is_exit = true;
    d = decide(r.h, exit);
    CHECK(d.approved);
    CHECK(d.approved_qty == px(lots));
  }
}

TEST_CASE("min_confidence rejects") {
  Ready r;
  const auto d = decide(r.h, entry("BTCUSDT", 1, 299'999));
  CHECK_FALSE(d.approved);
  CHECK(d.reason_code == "min_confidence");
}

TEST_CASE("max_position_notional reduces the order to fit, or rejects when nothing fits") {
  Ready r;
  auto d = decide(r.h, entry("BTCUSDT", 80));  // 8000 > 5000
  CHECK(d.approved);
  CHECK(d.approved_qty == px(50));
  CHECK(d.reason_code == "reduced_to_limit");
  r.h.feed(portfolio(10000, {Position{"BTCUSDT", px(50), px(100), px(100), 0, 0}}));
  d = decide(r.h, entry("BTCUSDT", 1));
  CHECK_FALSE(d.approved);
  CHECK(d.reason_code == "max_position_notional");
}

TEST_CASE("max_position_equity binds when tighter than the notional limit") {
  RiskConfig c = base();
  c.max_daily_loss = px(1'000'000);  // the equity drop below is not what this test is about
  Ready r(c);
  r.h.feed(portfolio(6000));  // 50% of 6000 = 3000 < 5000
  const auto d = decide(r.h, entry("BTCUSDT", 40));
  CHECK(d.approved);
  CHECK(d.approved_qty == px(30));
  r.h.feed(portfolio(6000, {Position{"BTCUSDT", px(30), px(100), px(100), 0, 0}}));
  const auto d2 = decide(r.h, entry("BTCUSDT", 1));
  CHECK_FALSE(d2.approved);
  CHECK(d2.reason_code == "max_position_equity");
}

TEST_CASE("max_open_positions rejects a new symbol but not adding to a held one") {
  RiskConfig c = base();
  c.max_open_positions = 1;
  Ready r(c);
  r.h.feed(portfolio(10000, {Position{"BTCUSDT", px(1), px(100), px(100), 0, 0}}));
  auto d = decide(r.h, entry("ETHUSDT", 1));
  CHECK_FALSE(d.approved);
  CHECK(d.reason_code == "max_open_positions");
  d = decide(r.h, entry("BTCUSDT", 1));
  CHECK(d.approved);
}

TEST_CASE("max_orders_per_minute rejects within a minute and frees up after it") {
  RiskConfig c = base();
  c.max_orders_per_minute = 2;
  Ready r(c);
  CHECK(decide(r.h, entry("BTCUSDT", 1, 900'000, 60'000)).approved);
  CHECK(decide(r.h, entry("BTCUSDT", 1, 900'000, 70'000)).approved);
  const auto d = decide(r.h, entry("BTCUSDT", 1, 900'000, 80'000));
  CHECK_FALSE(d.approved);
  CHECK(d.reason_code == "max_orders_per_minute");
  CHECK(decide(r.h, entry("BTCUSDT", 1, 900'000, 120'001)).approved);  // the first one left the window
}

TEST_CASE("max_trades_per_day rejects until the next UTC day") {
  RiskConfig c = base();
  c.max_trades_per_day = 1;
  Ready r(c);
  CHECK(decide(r.h, entry("BTCUSDT", 1, 900'000, 60'000)).approved);
  const auto d = decide(r.h, entry("BTCUSDT", 1, 900'000, 3'600'000));
  CHECK_FALSE(d.approved);
  CHECK(d.reason_code == "max_trades_per_day");
  CHECK(decide(r.h, entry("BTCUSDT", 1, 900'000, 86'400'000 + 60'000)).approved);
}

TEST_CASE("an unknown price rejects") {
  Ready r;
  const auto d = decide(r.h, entry("SOLUSDT", 1));
  CHECK_FALSE(d.approved);
  CHECK(d.reason_code == "no_price");
}

TEST_CASE("max_daily_loss -> REDUCING: entries rejected, exits allowed, a new day trades again") {
  Ready r;
  r.h.feed(portfolio(10000, {Position{"BTCUSDT", px(1), px(100), px(100), 0, 0}}, 0, 2000));
  const auto states = of_type<RiskState>(r.h.feed(portfolio(9499, {Position{"BTCUSDT", px(1), px(100), px(100), 0, 0}}, 0, 3000)));
  REQUIRE(states.size() == 1);
  CHECK(states[0].state == TradingState::reducing);
  CHECK(r.core.trading_state() == TradingState::reducing);
  auto d = decide(r.h, entry("BTCUSDT", 1));
  CHECK_FALSE(d.approved);
  CHECK(d.reason_code == "reducing");
  OrderIntent exit = entry("BTCUSDT", 5);
  exit.side = Side::sell;
  exit.is_exit = true;
  d = decide(r.h, exit);
  CHECK(d.approved);
  CHECK(d.approved_qty == px(1));  // capped at what is held
  r.h.feed(candle("BTCUSDT", 100, 100, 100, 86'400'000 + 59'999));
  CHECK(r.core.trading_state() == TradingState::active);
}

TEST_CASE("capital moved in or out (a venue account adopted) is no daily loss: the day's start moves with it") {
  Ready r;  // the day starts at 10000 of capital
  PortfolioState adopted = portfolio(2600, {}, 0, 2000);
  adopted.starting_cash = px(-7400);  // 7400 less capital than the state before (whose capital read 0)
  CHECK(of_type<RiskState>(r.h.feed(adopted)).empty());
  CHECK(r.core.trading_state() == TradingState::active);
  // From there a real loss counts: 501 below the moved start reduces, 500 would not.
  PortfolioState lost = portfolio(2099, {}, 0, 3000);
  lost.starting_cash = adopted.starting_cash;
  const auto states = of_type<RiskState>(r.h.feed(lost));
  REQUIRE(states.size() == 1);
  CHECK(states[0].state == TradingState::reducing);
  CHECK(states[0].daily_pnl == px(-501));
}

TEST_CASE("max_drawdown -> HALTED: nothing from the strategy passes until an operator resumes") {
  Ready r;
  const auto states = of_type<RiskState>(r.h.feed(portfolio(9000, {}, 100'000)));
  REQUIRE(states.size() == 1);
  CHECK(states[0].state == TradingState::halted);
  auto d = decide(r.h, entry("BTCUSDT", 1));
  CHECK_FALSE(d.approved);
  CHECK(d.reason_code == "halted");
  OrderIntent exit = entry("BTCUSDT", 1);
  exit.is_exit = true;
  exit.side = Side::sell;
  CHECK_FALSE(decide(r.h, exit).approved);
  r.h.feed(OperatorCommand{OperatorCommandKind::resume, "test", "checked", 0});
  CHECK(r.core.trading_state() == TradingState::active);
  CHECK(decide(r.h, entry("BTCUSDT", 1)).approved);
}

TEST_CASE("a fill the portfolio could not book halts trading until an operator resumes, and other errors do not") {
  Ready r;
  // A venue's doing the portfolio reports without halting anything.
  CHECK(of_type<RiskState>(r.h.feed(ErrorReport{"oversold", "sold more BTCUSDT than held", "c1", 0, 0})).empty());
  CHECK(decide(r.h, entry("BTCUSDT", 1)).approved);
  // Before, risk went on approving entries against a book that had lost a fill.
  const ErrorReport lost{std::string(PortfolioCore::kNotBooked), "fill of BTCUSDT overflows 64-bit fixed point; not booked",
                         "c2", 0, 5'000'000};
  CHECK(of_type<RiskState>(r.h.feed(lost, 0, Actor::order)).empty());  // only the portfolio's word counts
  const auto s = of_type<RiskState>(r.h.feed(lost, 0, Actor::portfolio));
  REQUIRE(s.size() == 1);
  CHECK(s[0].state == TradingState::halted);
  CHECK(s[0].reason.find("the portfolio's book no longer matches the venue's: fill of BTCUSDT") == 0);
  CHECK(decide(r.h, entry("BTCUSDT", 1)).reason_code == "halted");
  r.h.feed(portfolio(10000));  // a state that looks fine does not lift it
  CHECK(r.core.trading_state() == TradingState::halted);
  r.h.feed(OperatorCommand{OperatorCommandKind::resume, "ops", "book reconciled", 0});
  CHECK(decide(r.h, entry("BTCUSDT", 1)).approved);
}

TEST_CASE("a portfolio value the portfolio could not state halts trading: risk would check against its last state") {
  Ready r;
  const auto s = of_type<RiskState>(r.h.feed(ErrorReport{std::string(PortfolioCore::kNotValued),
                                                         "portfolio value overflows 64-bit fixed point; state not published",
                                                         "", 0, 5'000'000},
                                             0, Actor::portfolio));
  REQUIRE(s.size() == 1);
  CHECK(s[0].state == TradingState::halted);
  CHECK(decide(r.h, entry("BTCUSDT", 1)).reason_code == "halted");
}

TEST_CASE("operator halt rejects with reason HALTED") {
  Ready r;
  const auto s = of_type<RiskState>(r.h.feed(OperatorCommand{OperatorCommandKind::halt, "cli", "manual", 0}));
  REQUIRE(s.size() == 1);
  CHECK(s[0].state == TradingState::halted);
  CHECK(decide(r.h, entry("BTCUSDT", 1)).reason_code == "halted");
}

TEST_CASE("percent stop-loss and take-profit close the position with a market exit") {
  Ready r;
  r.h.feed(portfolio(10000, {Position{"BTCUSDT", px(2), px(100), px(100), 0, 0}}));
  CHECK(of_type<RiskDecision>(r.h.feed(candle("BTCUSDT", 98.01, 101, 99))).empty());  // stop at 98
  auto d = of_type<RiskDecision>(r.h.feed(candle("BTCUSDT", 97.5, 99, 98)));
  REQUIRE(d.size() == 1);
  CHECK(d[0].approved);
  CHECK(d[0].reason_code == "stop_loss");
  CHECK(d[0].is_exit);
  CHECK(d[0].side == Side::sell);
  CHECK(d[0].approved_qty == px(2));
  CHECK(of_type<RiskDecision>(r.h.feed(candle("BTCUSDT", 90, 99, 95))).empty());  // exit already working

  Ready t;
  t.h.feed(portfolio(10000, {Position{"BTCUSDT", px(2), px(100), px(100), 0, 0}}));
  d = of_type<RiskDecision>(t.h.feed(candle("BTCUSDT", 100, 104, 103)));
  REQUIRE(d.size() == 1);
  CHECK(d[0].reason_code == "take_profit");
}

TEST_CASE("volatility stop: a multiple of the average true range") {
  RiskConfig c = base();
  c.stop_loss_mode = StopMode::volatility;
  c.stop_loss_atr_milli = 2000;  // 2 x ATR
  c.take_profit_mode = StopMode::off;
  c.atr_candles = 3;
  Ready r(c);  // one BTC candle at 100 seen
  for (int i = 0; i < 3; ++i) r.h.feed(candle("BTCUSDT", 99, 101, 100));  // true range 2 -> ATR 2
  r.h.feed(portfolio(10000, {Position{"BTCUSDT", px(1), px(100), px(100), 0, 0}}));
  // The range widens with the move: TR 4.5 -> ATR (2+2+4.5)/3 = 2.83 -> stop 94.33.
  CHECK(of_type<RiskDecision>(r.h.feed(candle("BTCUSDT", 96.5, 101, 100))).empty());
  // TR 15 -> ATR (2+4.5+15)/3 = 7.17 -> stop 85.67: a low of 85 reaches it.
  auto d = of_type<RiskDecision>(r.h.feed(candle("BTCUSDT", 85, 100, 95)));
  REQUIRE(d.size() == 1);
  CHECK(d[0].reason_code == "stop_loss");
}

TEST_CASE("operator flatten halts and exits every position") {
  Ready r;
  r.h.feed(portfolio(10000, {Position{"BTCUSDT", px(1), px(100), px(100), 0, 0},
                             Position{"ETHUSDT", px(3), px(10), px(10), 0, 0}}));
  const auto& out = r.h.feed(OperatorCommand{OperatorCommandKind::flatten, "cli", "emergency", 0});
  const auto d = of_type<RiskDecision>(out);
  REQUIRE(d.size() == 2);
  CHECK(d[0].symbol == "BTCUSDT");
  CHECK(d[1].symbol == "ETHUSDT");
  CHECK(d[1].approved_qty == px(3));
  CHECK(d[0].reason_code == "flatten");
  CHECK(r.core.trading_state() == TradingState::halted);
}

TEST_CASE("a flatten of 20 positions gives 20 distinct intent ids, none shared with the next input's") {
  RiskConfig c = base();
  c.max_open_positions = 100;
  Ready r(c);
  std::vector<Position> positions;
  for (int k = 0; k < 20; ++k) positions.push_back(Position{"S" + std::to_string(k) + "USDT", px(1), px(100), px(100), 0, 0});
  r.h.feed(portfolio(10000, positions));
  const auto d = of_type<RiskDecision>(r.h.feed(OperatorCommand{OperatorCommandKind::flatten, "cli", "all", 0}));
  REQUIRE(d.size() == 20);
  std::set<std::uint64_t> ids;
  for (const auto& x : d) ids.insert(x.intent_id);
  // the next input's exits (a stop-loss) must not reuse one either
  r.h.feed(OperatorCommand{OperatorCommandKind::resume, "cli", "", 0});
  r.h.feed(portfolio(10000, {Position{"BTCUSDT", px(1), px(100), px(100), 0, 0}}));
  const auto stop = of_type<RiskDecision>(r.h.feed(candle("BTCUSDT", 90, 100, 95, 119'999)));
  REQUIRE(stop.size() == 1);
  CHECK(stop[0].reason_code == "stop_loss");
  ids.insert(stop[0].intent_id);
  CHECK(ids.size() == 21);
  for (auto id : ids) CHECK((id >> 56) == static_cast<std::uint64_t>(IntentIssuer::risk));
}

TEST_CASE("a sell that is not an exit is refused: spot cannot sell what it does not hold") {
  Ready r;
  r.h.feed(portfolio(10000, {Position{"BTCUSDT", px(1), px(100), px(100), 0, 0}}));
  OrderIntent i = entry("BTCUSDT", 5);
  i.side = Side::sell;
  const auto d = decide(r.h, i);
  CHECK_FALSE(d.approved);
  CHECK(d.reason_code == "no_short");
  // an exit asking for more than is held is cut to the holding
  i.is_exit = true;
  const auto e = decide(r.h, i);
  CHECK(e.approved);
  CHECK(e.approved_qty == px(1));
}

TEST_CASE("a flatten whose exit ends unfilled exits again at the next candle, until flat or resumed") {
  Ready r;
  r.h.feed(portfolio(10000, {Position{"BTCUSDT", px(1), px(100), px(100), 0, 0}}));
  auto d = of_type<RiskDecision>(r.h.feed(OperatorCommand{OperatorCommandKind::flatten, "cli", "emergency", 0}));
  REQUIRE(d.size() == 1);
  // While that exit works, candles add nothing.
  CHECK(of_type<RiskDecision>(r.h.feed(candle("BTCUSDT", 100, 100, 100, 119'999))).empty());
  // The market order expires unfilled (a paper night without volume; a venue that refused it).
  OrderEvent expired;
  expired.symbol = "BTCUSDT";
  expired.side = Side::sell;
  expired.kind = OrderEventKind::expired;
  r.h.feed(expired);
  d = of_type<RiskDecision>(r.h.feed(candle("BTCUSDT", 100, 100, 100, 179'999)));
  REQUIRE(d.size() == 1);
  CHECK(d[0].reason_code == "flatten");
  CHECK(d[0].approved_qty == px(1));
  CHECK(r.core.trading_state() == TradingState::halted);

  // The state survives a snapshot: a restored core retries too.
  StateWriter w;
  r.core.save(w);
  RiskCore restored(base());
  StateReader rd(w.bytes());
  REQUIRE(restored.load(rd).has_value());
  CHECK(rd.at_end());
  test::CoreHarness h2{restored};
  h2.feed(expired);
  CHECK(of_type<RiskDecision>(h2.feed(candle("BTCUSDT", 100, 100, 100, 239'999))).size() == 1);

  // Once flat it stops: a later position is the strategy's again (no flatten exit).
  r.h.feed(portfolio(10000));
  r.h.feed(OperatorCommand{OperatorCommandKind::resume, "cli", "", 0});
  r.h.feed(portfolio(10000, {Position{"BTCUSDT", px(1), px(100), px(100), 0, 0}}));
  r.h.feed(expired);
  CHECK(of_type<RiskDecision>(r.h.feed(candle("BTCUSDT", 100, 100, 100, 299'999))).empty());
}

TEST_CASE("a resume ends a flatten that had not finished, dust below the minimum notional is never sent") {
  Ready r;
  r.h.feed(portfolio(10000, {Position{"BTCUSDT", px(1), px(100), px(100), 0, 0},
                             Position{"ETHUSDT", px(0.4), px(10), px(10), 0, 0}}));  // 4 < min notional 5
  auto d = of_type<RiskDecision>(r.h.feed(OperatorCommand{OperatorCommandKind::flatten, "cli", "x", 0}));
  REQUIRE(d.size() == 1);  // a venue refuses the dust: only BTC's exit
  CHECK(d[0].symbol == "BTCUSDT");
  OrderEvent expired;
  expired.side = Side::sell;
  expired.kind = OrderEventKind::rejected;
  CHECK(of_type<RiskDecision>(r.h.feed(candle("ETHUSDT", 10, 10, 10, 119'999))).empty());
  // Once the price makes it worth the minimum, it is no longer dust: the flatten sells it.
  CHECK(of_type<RiskDecision>(r.h.feed(candle("ETHUSDT", 12.5, 12.5, 12.5, 179'999))).size() == 1);
  expired.symbol = "BTCUSDT";
  r.h.feed(expired);
  r.h.feed(OperatorCommand{OperatorCommandKind::resume, "cli", "", 0});
  CHECK(of_type<RiskDecision>(r.h.feed(candle("BTCUSDT", 100, 100, 100, 119'999))).empty());
}

TEST_CASE("an exit worth less than the minimum notional is dust: refused as a venue would, and risk's stops leave it") {
  Ready r;
  r.h.feed(portfolio(10000, {Position{"BTCUSDT", px(0.04), px(100), px(100), 0, 0}}));  // 4 at 100 < 5
  OrderIntent exit = entry("BTCUSDT", 0.04);
  exit.side = Side::sell;
  exit.is_exit = true;
  auto d = decide(r.h, exit);
  CHECK_FALSE(d.approved);
  CHECK(d.reason_code == "below_min_notional");
  CHECK(d.reason == "an exit of 0.04 BTCUSDT at 100 is worth less than market.min_notional = 5: no venue takes it; "
                    "the position is dust, held and valued");
  // A limit exit priced where it is worth the minimum is a venue's to take.
  exit.type = OrderType::limit;
  exit.limit_price = px(130);
  exit.intent_id = 43;
  CHECK(decide(r.h, exit).approved);

  // Risk's own stop: the low passes the 2 % stop, but at the close the position is dust.
  Ready s;
  s.h.feed(portfolio(10000, {Position{"BTCUSDT", px(0.04), px(100), px(100), 0, 0}}));
  CHECK(of_type<RiskDecision>(s.h.feed(candle("BTCUSDT", 90, 100, 95, 119'999))).empty());
  // Worth the minimum (0.06 at 95: 5.7), the same stop is sent.
  s.h.feed(portfolio(10000, {Position{"BTCUSDT", px(0.06), px(100), px(95), 0, 0}}));
  const auto stop = of_type<RiskDecision>(s.h.feed(candle("BTCUSDT", 90, 100, 95, 179'999)));
  REQUIRE(stop.size() == 1);
  CHECK(stop[0].reason_code == "stop_loss");
  CHECK(stop[0].approved_qty == px(0.06));
}

TEST_CASE("exit_qty: the whole lots worth the minimum notional, a reduce-only exit exempt, with no price the venue decides") {
  const MarketRules m{px(0.001), px(5), px(0.01)};
  CHECK(exit_qty(px(0.0505), px(100), m, false) == px(0.05));  // 5 at 100: whole lots, worth the minimum
  CHECK(exit_qty(-px(0.0505), px(100), m, false) == px(0.05));  // a short's, by a buy
  CHECK(exit_qty(px(0.049), px(100), m, false) == 0);           // 4.9: dust
  CHECK(exit_qty(px(0.049), px(100), m, true) == px(0.049));    // a perpetual's reduce-only exit
  CHECK(exit_qty(px(0.0009), px(100), m, true) == 0);           // below one lot: dust everywhere
  CHECK(exit_qty(px(0.049), 0, m, false) == px(0.049));         // no price yet
  CHECK(exit_qty(std::numeric_limits<std::int64_t>::max(), px(100), m, false) > 0);  // beyond 64 bits: far above
  CHECK(exit_qty(std::numeric_limits<std::int64_t>::min(), px(100), m, false) > 0);
}

TEST_CASE("a risk snapshot taken before flatten retried still loads (the flag reads as off)") {
  Ready r;
  StateWriter w;
  r.core.save(w);
  auto bytes = w.bytes();
  bytes.pop_back();  // the flatten flag is the last byte
  RiskCore old(base());
  StateReader rd(bytes);
  REQUIRE(old.load(rd).has_value());
  CHECK(rd.at_end());
}

namespace {
// The checks of a decision as "limit value bound within", one per line, for whole-list checks.
std::string checks_of(const RiskDecision& d) {
  std::string out;
  for (const auto& c : d.checks)
    out += std::string(enum_name(c.limit)) + " " + std::to_string(c.value) + " " + std::to_string(c.bound) +
           (c.within ? " within\n" : " not within\n");
  return out;
}
}  // namespace

TEST_CASE("an approved entry lists every limit checked with its numbers, in the order checked") {
  RiskConfig c = base();
  c.exposure.max_total_ppm = 800'000;
  Ready r(c);
  r.h.feed(portfolio(10000, {Position{"ETHUSDT", px(100), px(10), px(10), 0, 0}}, 20'000));
  const auto d = decide(r.h, entry("BTCUSDT", 10));
  REQUIRE(d.approved);
  // equity 10000 at the day's start and now: no loss; one position of 1000 held
  CHECK(checks_of(d) == "max_drawdown 20000 100000 within\n"
                        "max_daily_loss 0 50000000000 within\n"
                        "min_confidence 900000 300000 within\n"
                        "max_orders_per_minute 0 100 within\n"
                        "max_trades_per_day 0 100 within\n"
                        "max_open_positions 1 2 within\n"
                        "max_position_notional 0 500000000000 within\n"
                        "max_position_equity 0 500000000000 within\n"
                        "max_total_exposure 100000000000 800000000000 within\n");
  CHECK(headroom(d.checks[0]) == 80'000);           // 8% of drawdown left
  CHECK(headroom(d.checks[2]) == 600'000);          // a floor: confidence above its minimum
  CHECK(headroom(d.checks[8]) == px(7000));         // total exposure: 8000 - 1000
  CHECK(limit_unit(d.checks[8].limit) == LimitUnit::quote);
}

TEST_CASE("a reduced entry marks the limits it did not fit, a refusal by a count or a floor ends its checks") {
  Ready r;
  auto d = decide(r.h, entry("BTCUSDT", 80));  // 8000 > 5000 (both position limits are 5000)
  REQUIRE(d.reason_code == "reduced_to_limit");
  REQUIRE(d.checks.size() >= 2);
  CHECK(d.checks[d.checks.size() - 2].limit == RiskLimit::max_position_notional);
  CHECK_FALSE(d.checks[d.checks.size() - 2].within);
  CHECK_FALSE(d.checks.back().within);
  r.h.feed(order_ended(d));  // the venue refused it: nothing of it is held or working
  CHECK(decide(r.h, entry("BTCUSDT", 50)).checks.back().within);  // 50 x 100 fits 5000 exactly

  RiskConfig c = base();
  c.max_orders_per_minute = 1;
  Ready q(c);
  REQUIRE(decide(q.h, entry("BTCUSDT", 1)).approved);
  d = decide(q.h, entry("BTCUSDT", 1));
  CHECK(d.reason_code == "max_orders_per_minute");
  REQUIRE_FALSE(d.checks.empty());
  CHECK(d.checks.back() == LimitCheck{RiskLimit::max_orders_per_minute, 1, 1, false});
  CHECK(std::count_if(d.checks.begin(), d.checks.end(), [](const LimitCheck& x) { return !x.within; }) == 1);

  d = decide(q.h, entry("BTCUSDT", 1, 10));
  CHECK(d.reason_code == "min_confidence");
  CHECK(d.checks.back() == LimitCheck{RiskLimit::min_confidence, 10, 300'000, false});
  CHECK(headroom(d.checks.back()) == 10 - 300'000);
}

TEST_CASE("exits list the position held, risk's own stops list the price that triggered them") {
  Ready r;
  r.h.feed(portfolio(10000, {Position{"BTCUSDT", px(2), px(100), px(100), 0, 0}}));
  OrderIntent x = entry("BTCUSDT", 3);
  x.side = Side::sell;
  x.is_exit = true;
  auto d = decide(r.h, x);
  CHECK(d.reason_code == "reduced_to_position");
  CHECK(d.checks == std::vector<LimitCheck>{{RiskLimit::position_held, px(3), px(2), false}});

  Ready s;
  s.h.feed(portfolio(10000, {Position{"BTCUSDT", px(2), px(100), px(100), 0, 0}}));
  auto stops = of_type<RiskDecision>(s.h.feed(candle("BTCUSDT", 97.5, 99, 98)));
  REQUIRE(stops.size() == 1);
  CHECK(stops[0].checks == std::vector<LimitCheck>{{RiskLimit::stop_loss, px(97.5), px(98), false}});
  CHECK(headroom(stops[0].checks[0]) == -px(0.5));  // a floor: the low went 0.5 below the stop
}

TEST_CASE("a history candle (a warm-up's) makes no stop exit, the same prices live do") {
  Ready r;
  r.h.feed(portfolio(10000, {Position{"BTCUSDT", px(2), px(100), px(100), 0, 0}}));
  Candle past = candle("BTCUSDT", 97.5, 99, 98);  // below the 98 stop
  past.history = true;
  CHECK(of_type<RiskDecision>(r.h.feed(past)).empty());
  const auto d = of_type<RiskDecision>(r.h.feed(candle("BTCUSDT", 97.5, 99, 98, 119'999)));
  REQUIRE(d.size() == 1);
  CHECK(d[0].reason_code == "stop_loss");
}

TEST_CASE("an entry approved and still working counts as held until its order ends and its fill is booked") {
  RiskConfig c = base();
  c.exposure.max_asset_ppm = 300'000;  // 3000 of BTC at an equity of 10000
  Ready r(c);
  r.h.feed(candle("BTC-USDT@coinbase", 100, 100, 100));
  OrderIntent first = entry("BTCUSDT", 20);
  first.intent_id = 1;
  const auto on_binance = decide(r.h, first);
  REQUIRE(on_binance.approved);
  CHECK(on_binance.approved_qty == px(20));
  // Its fill has not come back: an entry in the same asset on another venue sees it.
  OrderIntent second = entry("BTC-USDT@coinbase", 20);
  second.intent_id = 2;
  const auto on_coinbase = decide(r.h, second);
  REQUIRE(on_coinbase.approved);
  CHECK(on_coinbase.approved_qty == px(10));
  CHECK(on_coinbase.reason ==
        "reduced by max_asset_exposure: BTC exposure 30.00% of equity 10000 = 3000, 2000 held or being entered");
  // Two symbols held or being entered: a third is refused (max_open_positions = 2).
  OrderIntent third = entry("ETHUSDT", 1);
  third.intent_id = 3;
  CHECK(decide(r.h, third).reason == "2 positions open or being entered");

  // A snapshot keeps what is working.
  StateWriter w;
  r.core.save(w);
  RiskCore restored(c);
  StateReader rd(w.bytes());
  REQUIRE(restored.load(rd).has_value());
  CHECK(rd.at_end());
  CoreHarness h2{restored};
  CHECK(decide(h2, third).reason == "2 positions open or being entered");

  // The first fills: it counts as working until the portfolio state that books it, then
  // as the position it is; never twice, never not at all.
  r.h.feed(order_ended(on_binance, px(20)));
  CHECK(decide(r.h, third).reason_code == "max_open_positions");
  r.h.feed(portfolio(10000, {Position{"BTCUSDT", px(20), px(100), px(100), 0, 0}}));
  OrderIntent more = entry("BTC-USDT@coinbase", 20);
  more.intent_id = 4;
  const auto after_fill = decide(r.h, more);  // 2000 held + 1000 being entered: the cap
  CHECK_FALSE(after_fill.approved);
  CHECK(after_fill.reason == "BTC exposure 30.00% of equity 10000 = 3000, 3000 held or being entered");
  // The second is refused by its venue: it stops counting at once.
  r.h.feed(order_ended(on_coinbase));
  more.intent_id = 5;
  const auto freed = decide(r.h, more);
  CHECK(freed.approved);
  CHECK(freed.approved_qty == px(10));
}

namespace {
const char* kPerp = "BTCUSDT@binance_usdm";
// 10x on a 10,000 account, perpetual notional up to 10x equity; 5 % from liquidation.
RiskConfig perp_config(std::uint32_t leverage = 10) {
  RiskConfig c = base();
  c.max_position_notional = px(1'000'000);
  c.max_position_equity_ppm = 10'000'000;
  c.max_leverage = 20;
  c.max_margin_use_ppm = 500'000;
  c.min_liquidation_distance_ppm = 50'000;
  c.perps.leverage = leverage;
  c.perps.list.push_back({kPerp, px(1), px(0.001), px(0.1), 125,
                          {{0, px(0.004), 125}, {px(50000), px(0.005), 100}, {px(250000), px(0.01), 20}}});
  return c;
}
struct PerpReady : Ready {
  explicit PerpReady(RiskConfig c = perp_config()) : Ready(c) { h.feed(candle(kPerp, 60000, 60000, 60000)); }
};
OrderIntent sell_entry(double qty) {
  OrderIntent i = entry(kPerp, qty);
  i.side = Side::sell;
  return i;
}
const LimitCheck* checked(const RiskDecision& d, RiskLimit limit) {
  for (const auto& c : d.checks)
    if (c.limit == limit) return &c;
  return nullptr;
}
Position short_held(double qty, double entry_price, double margin, double liquidation) {
  Position p{kPerp, -px(qty), px(entry_price), px(entry_price), 0, 0};
  p.margin = px(margin);
  p.liquidation_price = px(liquidation);
  p.leverage = 10;
  return p;
}
}  // namespace

TEST_CASE("perpetuals: a short that hedges spot is within the net exposure limit, a long beside it is cut to it") {
  RiskConfig c = perp_config();
  c.exposure.max_asset_net_ppm = 400'000;  // 4,000 of BTC net, either way
  PerpReady r(c);
  r.h.feed(portfolio(10000, {Position{"BTCUSDT", px(30), px(100), px(100), 0, 0}}));  // 3,000 of spot BTC
  OrderIntent more_long = entry(kPerp, 0.05);  // 3,000 more long: 1,000 of room
  const auto cut = decide(r.h, more_long);
  CHECK(cut.approved);
  CHECK(cut.approved_qty == px(0.016));  // 1,000 / 60,000 in whole lots
  CHECK(cut.reason == "reduced by max_asset_net_exposure: BTC net long exposure 40.00% of equity 10000 = 4000, "
                      "3000 held or being entered");
  r.h.feed(order_ended(cut));  // rejected: the long is working no more
  const auto hedge = decide(r.h, sell_entry(0.1));  // 6,000 short: 3,000 offsets the spot, 3,000 net short
  CHECK(hedge.approved);
  CHECK(hedge.approved_qty == px(0.1));
  const auto* net = checked(hedge, RiskLimit::max_asset_net_exposure);
  REQUIRE(net);
  CHECK(net->value == -px(3000));
  CHECK(net->bound == px(4000));
  CHECK(net->within);
  // The gross limit at the same share counts both legs and cuts the hedge.
  RiskConfig gross_c = perp_config();
  gross_c.exposure.max_asset_ppm = 400'000;
  PerpReady g(gross_c);
  g.h.feed(portfolio(10000, {Position{"BTCUSDT", px(30), px(100), px(100), 0, 0}}));
  const auto gross = decide(g.h, sell_entry(0.1));
  CHECK(gross.approved_qty == px(0.016));
  CHECK(gross.reason_code == "reduced_to_limit");
}

TEST_CASE("perpetuals: a short entry is approved with its margin, leverage and liquidation distance checked") {
  PerpReady r;
  const auto d = decide(r.h, sell_entry(0.5));  // 30,000 of notional at 10x: 3,000 of margin
  CHECK(d.approved);
  CHECK(d.approved_qty == px(0.5));
  CHECK(d.side == Side::sell);
  const auto* margin = checked(d, RiskLimit::max_margin_use);
  REQUIRE(margin);
  CHECK(margin->value == 0);
  CHECK(margin->bound == px(5000));
  const auto* lev = checked(d, RiskLimit::max_leverage);
  REQUIRE(lev);
  CHECK(lev->value == 10);
  CHECK(lev->bound == 20);  // risk's 20 binds before the bracket's 125
  const auto* far = checked(d, RiskLimit::liquidation_distance);
  REQUIRE(far);
  // Liquidated near 60,000 x 1.1 / 1.004 = 65,737: 9.56 % above.
  CHECK(far->value > 95'000);
  CHECK(far->value < 96'000);
  CHECK(far->within);
  CHECK(limit_is_floor(RiskLimit::liquidation_distance));
  // A spot sell is still no entry, and a perpetual without its contract is refused.
  OrderIntent spot = sell_entry(0.5);
  spot.symbol = "BTCUSDT";
  CHECK(decide(r.h, spot).reason_code == "no_short");
  RiskConfig none = perp_config();
  none.perps.list.clear();
  PerpReady bare(none);
  const auto unknown = decide(bare.h, sell_entry(0.5));
  CHECK_FALSE(unknown.approved);
  CHECK(unknown.reason_code == "no_contract");
}

TEST_CASE("perpetuals: leverage above risk's or the bracket's, and a liquidation too near, are refused") {
  RiskConfig strict = perp_config();
  strict.max_leverage = 5;
  PerpReady a(strict);
  const auto over = decide(a.h, sell_entry(0.5));
  CHECK_FALSE(over.approved);
  CHECK(over.reason_code == "max_leverage");
  CHECK(over.reason.find("10x is above the 5x allowed") != std::string::npos);
  // The bracket: 25x is allowed up to a notional of 250,000, then 20x.
  RiskConfig wide = perp_config(25);
  wide.max_leverage = 125;
  wide.max_margin_use_ppm = 1'000'000;
  wide.min_liquidation_distance_ppm = 0;
  PerpReady b(wide);
  b.h.feed(portfolio(100000));
  const auto big = decide(b.h, sell_entry(5));  // 300,000 of notional
  CHECK_FALSE(big.approved);
  CHECK(big.reason_code == "max_leverage");
  CHECK(big.reason.find("the bracket from 250000: 20x") != std::string::npos);
  CHECK(decide(b.h, sell_entry(4)).approved);  // 240,000 of notional
  // 20x: liquidated about 4.6 % away, inside the 5 % asked.
  PerpReady c(perp_config(20));
  const auto near = decide(c.h, sell_entry(0.5));
  CHECK_FALSE(near.approved);
  CHECK(near.reason_code == "liquidation_distance");
  const auto* far = checked(near, RiskLimit::liquidation_distance);
  REQUIRE(far);
  CHECK_FALSE(far->within);
  CHECK(far->value < 50'000);
}

TEST_CASE("perpetuals, cross margin: the wallet backs the entry, so its liquidation is Binance's cross price, farther") {
  // At 20x isolated the short would be liquidated 4.6 % away (refused above); in cross the
  // wallet of 10,000 stands behind it: (10,000 + 30,000) / (0.5 x 0.004 + 0.5) = 79,681.27,
  // 32.8 % above 60,000.
  RiskConfig c = perp_config(20);
  c.perps.margin_mode = futures::MarginMode::cross;
  // The same short, decided with `cash` in the wallet (an equity of 10,000 either way).
  auto short_with_cash = [&](double cash) {
    PerpReady r(c);
    PortfolioState wallet = portfolio(10000);
    wallet.cash = px(cash);
    r.h.feed(wallet);
    return decide(r.h, sell_entry(0.5));
  };
  const auto d = short_with_cash(10000);
  CHECK(d.approved);
  const auto* far = checked(d, RiskLimit::liquidation_distance);
  REQUIRE(far);
  CHECK(far->within);
  CHECK(far->value > 328'000);
  CHECK(far->value < 328'100);
  // A thin wallet brings it near: 100 of cash is 0.5 % away, refused.
  const auto near = short_with_cash(100);
  CHECK_FALSE(near.approved);
  CHECK(near.reason_code == "liquidation_distance");
}

TEST_CASE("perpetuals: an entry is reduced to the margin left, and never against the position held") {
  PerpReady r;
  const auto d = decide(r.h, sell_entry(2));  // 120,000 at 10x: 12,000 of margin, 5,000 allowed
  CHECK(d.approved);
  CHECK(d.reason_code == "reduced_to_limit");
  CHECK(d.approved_qty == px(0.833));  // 5,000 x 10 / 60,000, down to the lot
  CHECK(d.reason.find("max_margin_use") != std::string::npos);
  CHECK_FALSE(checked(d, RiskLimit::max_margin_use)->within);
  // The working short counts: a buy entry against it is refused.
  OrderIntent buy = entry(kPerp, 0.1);
  buy.intent_id = 43;
  const auto against = decide(r.h, buy);
  CHECK_FALSE(against.approved);
  CHECK(against.reason_code == "opposite_position");
  // Its margin counts too: no room left for another short.
  OrderIntent more = sell_entry(0.1);
  more.intent_id = 44;
  const auto full = decide(r.h, more);
  CHECK_FALSE(full.approved);
  CHECK(full.reason_code == "max_margin_use");
}

TEST_CASE("perpetuals: a short's exit buys, at most what is held, and a sell is not its exit") {
  PerpReady r;
  r.h.feed(portfolio(10000, {short_held(0.5, 60000, 3000, 65737)}));
  OrderIntent wrong = sell_entry(0.5);
  wrong.is_exit = true;
  const auto refused = decide(r.h, wrong);
  CHECK_FALSE(refused.approved);
  CHECK(refused.reason_code == "not_reducing");
  OrderIntent exit = entry(kPerp, 0.8);
  exit.is_exit = true;
  exit.intent_id = 43;
  const auto d = decide(r.h, exit);
  CHECK(d.approved);
  CHECK(d.side == Side::buy);
  CHECK(d.approved_qty == px(0.5));
  CHECK(d.reason_code == "reduced_to_position");
}

TEST_CASE("perpetuals: a short is stopped above its entry, takes profit below, and is exited near liquidation") {
  auto exits_on = [](const Candle& c, Position held) {
    PerpReady r;
    r.h.feed(portfolio(10000, {held}));
    return of_type<RiskDecision>(r.h.feed(c));
  };
  const Position held = short_held(0.5, 60000, 3000, 65737);
  auto stop = exits_on(candle(kPerp, 60000, 61200, 61000, 119'999), held);  // 2 % above
  REQUIRE(stop.size() == 1);
  CHECK(stop[0].reason_code == "stop_loss");
  CHECK(stop[0].side == Side::buy);
  CHECK(stop[0].approved_qty == px(0.5));
  REQUIRE(stop[0].checks.size() == 1);
  CHECK(stop[0].checks[0].limit == RiskLimit::stop_loss_short);
  CHECK(stop[0].checks[0].bound == px(61200));
  CHECK_FALSE(limit_is_floor(RiskLimit::stop_loss_short));
  CHECK(exits_on(candle(kPerp, 59000, 61199, 61000, 119'999), held).empty());  // one unit short of it
  auto target = exits_on(candle(kPerp, 57600, 60000, 58000, 119'999), held);   // 4 % below
  REQUIRE(target.size() == 1);
  CHECK(target[0].reason_code == "take_profit");
  CHECK(target[0].checks[0].limit == RiskLimit::take_profit_short);
  CHECK(target[0].checks[0].bound == px(57600));
  // Liquidated at 62,000: a close at 61,000 is 1.6 % from it, inside 5 %.
  auto near = exits_on(candle(kPerp, 60900, 61100, 61000, 119'999), short_held(0.5, 60000, 1000, 62000));
  REQUIRE(near.size() == 1);
  CHECK(near[0].reason_code == "liquidation_near");
  CHECK(near[0].side == Side::buy);
  CHECK(near[0].checks[0].limit == RiskLimit::liquidation_distance);
  CHECK_FALSE(near[0].checks[0].within);
}

TEST_CASE("perpetuals: an operator flatten buys back a short") {
  PerpReady r;
  r.h.feed(portfolio(10000, {short_held(0.5, 60000, 3000, 65737)}));
  const auto out = of_type<RiskDecision>(r.h.feed(OperatorCommand{OperatorCommandKind::flatten, "cli", "test", 61'000'000'000}));
  REQUIRE(out.size() == 1);
  CHECK(out[0].reason_code == "flatten");
  CHECK(out[0].side == Side::buy);
  CHECK(out[0].approved_qty == px(0.5));
}

TEST_CASE("risk's quiet declaration holds near every limit: a portfolio state or candle it covers answers nothing") {
  // Random states around the drawdown and daily-loss limits, across day boundaries, with
  // capital moved in and out and positions opened and closed; candles of its interval and
  // another; entries, exits, halts and resumes. The harness checks every delivery the last
  // awaited declaration covers (as the sequencer would not wait for it) answers nothing.
  // Held positions, long and short (some near a liquidation price), with entries around
  // the candles' prices, so candles fall inside, on and past the stops and targets; percent,
  // off and volatility modes.
  std::uint64_t covered_states = 0, answered_states = 0, covered_candles = 0, halts = 0;
  std::uint64_t answered_held_candles = 0;
  for (std::uint64_t run = 0; run < 200; ++run) {
    std::uint64_t x = run * 2654435761u + 17;
    auto next = [&](std::uint64_t n) {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      return (x >> 33) % n;
    };
    RiskConfig config = base();
    if (run % 4 == 1) config.take_profit_mode = StopMode::off;
    if (run % 4 == 2) config.stop_loss_mode = StopMode::off;
    if (run % 8 == 3) config.stop_loss_mode = StopMode::volatility;
    config.stop_loss_atr_milli = 2000;
    RiskCore core(config);
    CoreHarness h(core);
    std::int64_t ts = 86'400'000LL * 19'000;  // a UTC midnight
    double cash = 10000;
    bool holding = false;  // what the last portfolio state fed holds
    for (int step = 0; step < 300; ++step) {
      ts += static_cast<std::int64_t>(next(4) == 0 ? 3'600'000 * next(30) : 60'000);  // now and then hours, days
      const auto kind = next(10);
      if (kind < 5) {
        const double equity = 10000 - 600 + static_cast<double>(next(1200));  // around the daily loss of 500
        std::vector<Position> held;
        const double entry = 97 + static_cast<double>(next(7));
        if (const auto k = next(3); k != 0) {
          held.push_back(Position{"BTCUSDT", px(k == 1 ? 1 : -1), px(entry), px(100), 0, 0});
          if (next(3) == 0) held.back().liquidation_price = px(k == 1 ? entry - 6 : entry + 6);  // within 5 % of some closes
        }
        if (next(4) == 0) held.push_back(Position{"ETHUSDT", px(2), px(entry), px(100), 0, 0});
        if (next(20) == 0) cash += 100;  // capital moved in
        holding = !held.empty();
        PortfolioState p = portfolio(equity, held, static_cast<std::uint32_t>(80'000 + next(40'000)), ts);
        p.starting_cash = px(cash);
        const std::size_t before = h.quiet_deliveries();
        const auto& out = h.feed(p);
        if (h.quiet_deliveries() > before) ++covered_states;
        if (!out.empty()) ++answered_states;
      } else if (kind < 8) {
        const std::size_t before = h.quiet_deliveries();
        const double price = 95 + static_cast<double>(next(10));
        const double spread = 0.5 * static_cast<double>(1 + next(9));  // whole prices too: candles on the edges
        Candle c = candle(next(3) == 0 ? "ETHUSDT" : "BTCUSDT", price - spread, price + spread, price, ts);
        c.interval_s = next(4) == 0 ? 300 : 60;
        const auto& out = h.feed(c);
        if (h.quiet_deliveries() > before) ++covered_candles;
        if (holding && c.interval_s == 60) answered_held_candles += !out.empty();
      } else if (kind == 8) {
        OrderIntent i = entry("BTCUSDT", 1, 900'000, ts);
        i.intent_id = 1000 + static_cast<std::uint64_t>(step);
        i.side = next(2) == 0 ? Side::buy : Side::sell;
        i.is_exit = i.side == Side::sell;
        h.feed(i);
      } else {
        OperatorCommand c;
        c.kind = next(2) == 0 ? OperatorCommandKind::halt : OperatorCommandKind::resume;
        c.issued_by = "test";
        c.ts_ns = ts * 1'000'000;
        halts += c.kind == OperatorCommandKind::halt;
        h.feed(c);
      }
    }
  }
  // Neither side empty: the bounds covered states and candles, and states crossed limits.
  CHECK(covered_states > 1000);
  CHECK(answered_states > 100);
  CHECK(covered_candles > 1000);
  CHECK(answered_held_candles > 100);  // stops, targets and liquidation exits reached
  CHECK(halts > 100);
}
