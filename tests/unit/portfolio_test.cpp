#include <doctest/doctest.h>

#include "actors/portfolio/portfolio_core.hpp"
#include "core_harness.hpp"

using namespace trader;
using test::CoreHarness;
using test::of_type;
using test::px;

namespace {
OrderEvent fill(Side side, double qty, double price, double fee, OrderEventKind kind = OrderEventKind::filled) {
  OrderEvent e;
  e.client_order_id = "c1";
  e.symbol = "BTCUSDT";
  e.side = side;
  e.kind = kind;
  e.fill_qty = px(qty);
  e.fill_price = px(price);
  e.fee = px(fee);
  e.fee_asset = "USDT";
  e.ts_ms = 1000;
  return e;
}
Candle mark(double close) {
  Candle c;
  c.symbol = "BTCUSDT";
  c.interval_s = 60;
  c.close = px(close);
  c.close_time_ms = 59'999;
  return c;
}
}  // namespace

TEST_CASE("buys and sells: cash, average entry, realized PnL and fees, to the 1e-8") {
  PortfolioCore core({"USDT", px(10000), 60});
  CoreHarness h(core);
  // Two partial buys at different prices average their entry.
  h.feed(fill(Side::buy, 0.1, 60000, 6, OrderEventKind::partially_filled));
  auto s = of_type<PortfolioState>(h.feed(fill(Side::buy, 0.1, 62000, 6.2)));
  REQUIRE(s.size() == 1);
  CHECK(s[0].cash == px(10000 - 6000 - 6 - 6200 - 6.2));
  REQUIRE(s[0].positions.size() == 1);
  CHECK(s[0].positions[0].qty == px(0.2));
  CHECK(s[0].positions[0].avg_entry_price == px(61000));
  CHECK(s[0].fees == px(12.2));
  CHECK(s[0].fills == 2);
  // Mark to market: equity = cash + qty * price.
  s = of_type<PortfolioState>(h.feed(mark(63000)));
  REQUIRE(s.size() == 1);
  CHECK(s[0].unrealized_pnl == px(400));
  CHECK(s[0].equity == px(10000 - 12212.2 + 12600));  // cash may go negative in this example
  // Sell everything above entry: realized = (63500 - 61000) * 0.2 = 500.
  s = of_type<PortfolioState>(h.feed(fill(Side::sell, 0.2, 63500, 12.7)));
  REQUIRE(s.size() == 1);
  CHECK(s[0].realized_pnl == px(500));
  CHECK(s[0].positions.empty());
  CHECK(s[0].cash == px(10000 - 12212.2 + 12700 - 12.7));
  CHECK(s[0].equity == s[0].cash);
  CHECK(s[0].equity - s[0].starting_cash == s[0].realized_pnl - s[0].fees);
  CHECK(s[0].round_trips == 1);
  CHECK(s[0].winning_round_trips == 1);
}

TEST_CASE("a round trip that gains less than its fees is not a win") {
  PortfolioCore core({"USDT", px(10000), 60});
  CoreHarness h(core);
  h.feed(fill(Side::buy, 1, 100, 0.1));
  const auto s = of_type<PortfolioState>(h.feed(fill(Side::sell, 1, 100.15, 0.1)));
  REQUIRE(s.size() == 1);
  CHECK(s[0].realized_pnl == px(0.15));
  CHECK(s[0].round_trips == 1);
  CHECK(s[0].winning_round_trips == 0);
}

TEST_CASE("peak equity, drawdown and the worst drawdown") {
  PortfolioCore core({"USDT", px(1000), 60});
  CoreHarness h(core);
  h.feed(fill(Side::buy, 10, 100, 0));
  auto s = of_type<PortfolioState>(h.feed(mark(110)));  // equity 1100, new peak
  CHECK(s[0].peak_equity == px(1100));
  CHECK(s[0].drawdown_ppm == 0);
  s = of_type<PortfolioState>(h.feed(mark(99)));  // equity 990: 10% below the peak
  CHECK(s[0].drawdown_ppm == 100000);
  s = of_type<PortfolioState>(h.feed(mark(104.5)));  // 1045: 5% below
  CHECK(s[0].drawdown_ppm == 50000);
  CHECK(s[0].max_drawdown_ppm == 100000);
}

TEST_CASE("selling more than held is reported (spot cannot short)") {
  PortfolioCore core({"USDT", px(1000), 60});
  CoreHarness h(core);
  h.feed(fill(Side::buy, 1, 100, 0));
  const auto& out = h.feed(fill(Side::sell, 2, 100, 0));
  REQUIRE(of_type<ErrorReport>(out).size() == 1);
  CHECK(of_type<ErrorReport>(out)[0].code == "oversold");
}

TEST_CASE("candles of other intervals do not mark") {
  PortfolioCore core({"USDT", px(1000), 60});
  CoreHarness h(core);
  Candle c = mark(100);
  c.interval_s = 300;
  CHECK(h.feed(c).empty());
}
