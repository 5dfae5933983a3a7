#include <doctest/doctest.h>

#include "actors/portfolio/portfolio_core.hpp"
#include "core_harness.hpp"
#include "replay/report.hpp"

using namespace trader;
using test::CoreHarness;
using test::of_type;

namespace {
std::int64_t px(double v) { return static_cast<std::int64_t>(v * 1e8 + (v >= 0 ? 0.5 : -0.5)); }

OrderEvent fill(const char* symbol, Side side, std::int64_t qty, std::int64_t price, std::int64_t fee, const char* fee_asset) {
  OrderEvent e;
  e.client_order_id = "c1";
  e.symbol = symbol;
  e.side = side;
  e.kind = OrderEventKind::filled;
  e.fill_qty = qty;
  e.fill_price = price;
  e.fee = fee;
  e.fee_asset = fee_asset;
  e.ts_ms = 1000;
  return e;
}
}  // namespace

TEST_CASE("report: what is open at the end adds up to the unrealized PnL, dust below one lot included") {
  PortfolioConfig config{"USDT", px(10000), 60};
  config.market.every_symbol.lot_step = px(0.001);
  PortfolioCore core(config);
  CoreHarness h(core);
  // A buy whose commission is taken in BTC (as Binance does without BNB) leaves 0.0999;
  // selling the whole lots leaves 0.0009, below one lot: valued, listed as no position.
  h.feed(fill("BTCUSDT", Side::buy, px(0.1), px(20000), px(0.0001), "BTC"));
  h.feed(fill("BTCUSDT", Side::sell, px(0.099), px(20000), px(1.98), "USDT"));
  h.feed(fill("ETHUSDT", Side::buy, px(0.5), px(2000), px(1), "USDT"));  // and a position that is listed
  const auto candle = [](const char* symbol, double close) {
    Candle c;
    c.symbol = symbol;
    c.interval_s = 60;
    c.close = px(close);
    c.close_time_ms = 59'999;
    return c;
  };
  h.feed(candle("BTCUSDT", 21000));
  const auto states = of_type<PortfolioState>(h.feed(candle("ETHUSDT", 2100)));
  REQUIRE(states.size() == 1);
  const PortfolioState& s = states[0];
  REQUIRE(s.positions.size() == 1);
  CHECK(s.positions[0].symbol == "ETHUSDT");
  CHECK(s.positions[0].unrealized_pnl == px(50));  // 0.5 x (2100 - 2000)
  CHECK(s.unrealized_pnl == px(50.9));             // and 0.0009 BTC x 1000 of dust
  CHECK(replay::unlisted_unrealized(s) == px(0.9));

  replay::SessionReport r;
  r.last = s;
  const std::string text = replay::render_report_text(r);
  CHECK(text.find("open at the end (1970-01-01T00:00:59.999Z)\n"
                  "  ETHUSDT: 0.5 at 2000, marked 2100, unrealized 50\n"
                  "  below one lot (dust): unrealized 0.9\n") != std::string::npos);
  const std::string html = replay::render_report_html(r);
  CHECK(html.find("<td>below one lot (dust)</td><td></td><td></td><td></td><td>0.9</td>") != std::string::npos);

  // Nothing held: said so, with no dust line.
  PortfolioState flat;
  flat.ts_ms = 59'999;
  r.last = flat;
  CHECK(replay::render_report_text(r).find("open at the end (1970-01-01T00:00:59.999Z)\n  nothing\n") != std::string::npos);
}
