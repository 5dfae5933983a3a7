// Exposure limits: the pure function on a book, and risk applying it to entries.
#include <doctest/doctest.h>

#include "actors/risk/exposure.hpp"
#include "actors/risk/risk_core.hpp"
#include "core_harness.hpp"

using namespace trader;
using test::CoreHarness;
using test::of_type;
using test::px;

namespace {
Position held(const char* symbol, double qty, double price) { return Position{symbol, px(qty), px(price), px(price), 0, 0}; }
PortfolioState book(double equity, std::vector<Position> positions) {
  PortfolioState p;
  p.equity = px(equity);
  p.positions = std::move(positions);
  return p;
}
}  // namespace

TEST_CASE("an asset is its symbol without a stablecoin or fiat quote") {
  CHECK(base_asset("BTCUSDT") == "BTC");
  CHECK(base_asset("BTCUSDC") == "BTC");
  CHECK(base_asset("ETHFDUSD") == "ETH");
  CHECK(base_asset("SOLEUR") == "SOL");
  CHECK(base_asset("ETHBTC") == "ETHBTC");  // no stable quote: counts on its own
  CHECK(base_asset("USDT") == "USDT");      // nothing before the suffix
}

TEST_CASE("exposure room: total across positions, one asset across its symbols, off at 0") {
  const auto b = book(10000, {held("BTCUSDT", 0.05, 60000), held("BTCUSDC", 0.02, 60000), held("ETHUSDT", 1, 3000)});
  // held: BTC 3000 + 1200 = 4200, ETH 3000, total 7200
  auto none = exposure_room({}, b, "BTCUSDT", Side::buy);
  REQUIRE(none);
  CHECK(!none->binds);

  auto total = exposure_room({800'000, 0}, b, "SOLUSDT", Side::buy);
  REQUIRE(total);
  CHECK(total->quote == px(800));  // 80% of 10000 = 8000, 7200 held
  CHECK(total->binds == RiskLimit::max_total_exposure);
  CHECK(total->why == "total exposure 80.00% of equity 10000 = 8000, 7200 held or being entered");

  auto btc = exposure_room({800'000, 500'000}, b, "BTCUSDC", Side::buy);
  REQUIRE(btc);
  CHECK(btc->quote == px(800));  // BTC: 5000 - 4200 = 800; total 800 too: the first to bind is kept
  auto btc_tight = exposure_room({900'000, 450'000}, b, "BTCUSDC", Side::buy);
  REQUIRE(btc_tight);
  CHECK(btc_tight->quote == px(300));  // 4500 - 4200, below the total's 1800
  CHECK(btc_tight->binds == RiskLimit::max_asset_exposure);
  CHECK(btc_tight->why == "BTC exposure 45.00% of equity 10000 = 4500, 4200 held or being entered");

  auto full = exposure_room({500'000, 0}, b, "SOLUSDT", Side::buy);
  REQUIRE(full);
  CHECK(full->quote == 0);  // over the cap already: no room, never negative

  PortfolioState huge = book(10000, {Position{"BTCUSDT", std::numeric_limits<std::int64_t>::max(), 0,
                                              std::numeric_limits<std::int64_t>::max(), 0, 0}});
  CHECK_FALSE(exposure_room({800'000, 0}, huge, "BTCUSDT", Side::buy).has_value());  // does not fit: an error, not a wrap
}

TEST_CASE("risk cuts an entry to the exposure room, naming the limit and its numbers, refuses when none is left") {
  RiskConfig c;
  c.max_position_notional = px(100000);
  c.max_position_equity_ppm = 1'000'000;
  c.max_open_positions = 10;
  c.market.every_symbol.lot_step = px(0.001);
  c.market.every_symbol.min_notional = px(5);
  c.exposure = {0, 450'000};  // 45% of equity per asset
  RiskCore core(c);
  CoreHarness h(core);
  Candle btc;
  btc.symbol = "BTCUSDC";
  btc.interval_s = 60;
  btc.open = btc.high = btc.low = btc.close = px(60000);
  btc.close_time_ms = 59'999;
  h.feed(btc);
  h.feed(book(10000, {held("BTCUSDT", 0.07, 60000)}));  // 4200 of BTC through the other symbol
  OrderIntent i;
  i.intent_id = 7;
  i.symbol = "BTCUSDC";
  i.side = Side::buy;
  i.qty = px(0.02);  // 1200 more
  i.confidence_ppm = 900'000;
  i.ts_ms = 60'000;
  auto d = of_type<RiskDecision>(h.feed(i));
  REQUIRE(d.size() == 1);
  CHECK(d[0].approved);
  CHECK(d[0].approved_qty == px(0.005));  // 300 of room / 60000
  CHECK(d[0].reason_code == "reduced_to_limit");
  CHECK(d[0].reason == "reduced by max_asset_exposure: BTC exposure 45.00% of equity 10000 = 4500, 4200 held or being entered");

  h.feed(book(10000, {held("BTCUSDT", 0.075, 60000)}));  // 4500: at the cap
  i.intent_id = 8;
  d = of_type<RiskDecision>(h.feed(i));
  REQUIRE(d.size() == 1);
  CHECK_FALSE(d[0].approved);
  CHECK(d[0].reason_code == "max_asset_exposure");
}

TEST_CASE("net exposure: one asset's longs less shorts across spot and perpetuals, in the entry's direction") {
  // BTC: 3000 long on spot, 1800 short on USDⓈ-M, 600 short on KuCoin Futures (XBT is BTC): net 600 long.
  const auto b = book(10000, {held("BTCUSDT", 0.05, 60000), held("BTCUSDT@binance_usdm", -0.03, 60000),
                              held("XBTUSDTM@kucoin_futures", -0.01, 60000), held("ETHUSDT", 1, 3000)});
  const ExposureLimits net{0, 0, 300'000};  // 30 % of equity: 3000
  auto more_long = exposure_room(net, b, "BTCUSDT@binance_usdm", Side::buy);
  REQUIRE(more_long);
  CHECK(more_long->quote == px(2400));  // 3000 - 600
  CHECK(more_long->binds == RiskLimit::max_asset_net_exposure);
  CHECK(more_long->why == "BTC net long exposure 30.00% of equity 10000 = 3000, 600 held or being entered");
  REQUIRE(more_long->uses.size() == 1);
  CHECK(more_long->uses[0].used == px(600));
  auto more_short = exposure_room(net, b, "BTCUSDT@binance_usdm", Side::sell);
  REQUIRE(more_short);
  CHECK(more_short->quote == px(3600));  // against the net: its 600 back to flat, then 3000 short
  CHECK(more_short->uses[0].used == -px(600));
  CHECK(more_short->why == "BTC net short exposure 30.00% of equity 10000 = 3000, -600 held or being entered");
  // The gross limit counts every leg: 5400 of BTC, over a 30 % cap whichever the side.
  auto gross = exposure_room({0, 300'000, 0}, b, "BTCUSDT@binance_usdm", Side::sell);
  REQUIRE(gross);
  CHECK(gross->quote == 0);
  // Other assets do not count: ETH's net is its own 3000.
  auto eth = exposure_room(net, b, "ETHUSDT@binance_usdm", Side::buy);
  REQUIRE(eth);
  CHECK(eth->quote == 0);
  auto eth_short = exposure_room(net, b, "ETHUSDT@binance_usdm", Side::sell);
  REQUIRE(eth_short);
  CHECK(eth_short->quote == px(6000));
  // Overflow is an error, not a wrap, as for the other limits.
  PortfolioState huge = book(10000, {Position{"BTCUSDT", std::numeric_limits<std::int64_t>::max(), 0,
                                              std::numeric_limits<std::int64_t>::max(), 0, 0}});
  CHECK_FALSE(exposure_room(net, huge, "BTCUSDT", Side::buy).has_value());
}
