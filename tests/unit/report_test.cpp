#include <doctest/doctest.h>

#include <limits>

#include "actors/portfolio/portfolio_core.hpp"
#include "core_harness.hpp"
#include "journal/journal.hpp"
#include "test_support.hpp"
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
  // A minute's candle (what the portfolio marks on), by its close only.
  const auto candle = [](const char* symbol, double close) { return Candle{symbol, 60, 0, 59'999, 0, 0, 0, px(close)}; };
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
                  "  not a position (dust below one lot, or oversold): unrealized 0.9\n") != std::string::npos);
  const std::string html = replay::render_report_html(r);
  CHECK(html.find("<td>not a position (dust below one lot, or oversold)</td><td></td><td></td><td></td><td>0.9</td>") != std::string::npos);

  // A perpetual: its leverage, and its liquidation price when its contract gives one.
  PortfolioState perp;
  perp.ts_ms = 59'999;
  perp.positions.push_back(Position{"BTCUSDT@binance_usdm", -px(0.5), px(60000), px(59000), px(500), 0, px(6000),
                                    px(71000), 5});
  perp.unrealized_pnl = px(500);
  r.last = perp;
  CHECK(replay::render_report_text(r).find("  BTCUSDT@binance_usdm: -0.5 at 60000, marked 59000, unrealized 500 (5x, "
                                           "liquidation at 71000)\n") != std::string::npos);
  r.last.positions[0].liquidation_price = 0;
  CHECK(replay::render_report_text(r).find("unrealized 500 (5x)\n") != std::string::npos);
  CHECK(replay::render_report_text(r).find("not a position") == std::string::npos);

  // Nothing held: said so, with no dust line.
  PortfolioState flat;
  flat.ts_ms = 59'999;
  r.last = flat;
  CHECK(replay::render_report_text(r).find("open at the end (1970-01-01T00:00:59.999Z)\n  nothing\n") != std::string::npos);
}

TEST_CASE("report: fees the book cannot value are summed by asset and said to be left out of the PnL") {
  using B = PortfolioCore::FeeBooking;
  CHECK(PortfolioCore::fee_booking("BTCUSDT", "USDT", "USDT") == B::quote);
  CHECK(PortfolioCore::fee_booking("BTCUSDT", "", "USDT") == B::quote);
  CHECK(PortfolioCore::fee_booking("BTCUSDT", "BTC", "USDT") == B::base);
  CHECK(PortfolioCore::fee_booking("BTC-USD@coinbase", "BTC", "USD") == B::base);
  CHECK(PortfolioCore::fee_booking("BTCUSDT", "BNB", "USDT") == B::unvalued);
  CHECK(PortfolioCore::fee_booking("BTCUSDT@binance_usdm", "BTC", "USDT") == B::unvalued);  // a perpetual has no base to take
  CHECK(PortfolioCore::fee_booking("BTCUSDT@binance_usdm", "USDT", "USDT") == B::quote);

  std::vector<replay::ReportFill> fills(4);
  fills[0] = {1, 0, "BTCUSDT", "a", "BNB", Side::buy, px(0.1), px(20000), px(0.0025)};
  fills[1] = {2, 0, "BTCUSDT", "b", "USDT", Side::sell, px(0.1), px(20000), px(2)};
  fills[2] = {3, 0, "ETHUSDT", "c", "BNB", Side::buy, px(1), px(2000), px(0.0005)};
  fills[3] = {4, 0, "ETHUSDT", "d", "BNB", Side::sell, px(1), px(2000), 0};  // no fee: not counted
  const auto fees = replay::unvalued_fees(fills, "USDT");
  REQUIRE(fees.size() == 1);
  CHECK(fees.at("BNB").amount == px(0.003));
  CHECK(fees.at("BNB").fills == 2);
  fills[0].fee = fills[2].fee = std::numeric_limits<std::int64_t>::max();
  CHECK_FALSE(replay::unvalued_fees(fills, "USDT").at("BNB").amount.has_value());  // said, not wrapped

  replay::SessionReport r;
  r.last.quote_asset = "USDT";
  r.unvalued_fees = {{"BNB", {px(0.003), 2}}};
  CHECK(replay::render_report_text(r).find("  fees not valued 0.003 BNB (2 fill(s)): left out of the fees and the PnL "
                                           "above\n") != std::string::npos);
  CHECK(replay::render_report_html(r).find("<td>0.003 BNB (2 fill(s))</td>") != std::string::npos);
}

TEST_CASE("report: a journal whose fills paid fees in BNB says so under its PnL") {
  // The portfolio's own answers to the fills, journaled as a node would, then read back.
  test::TempDir dir;
  {
    auto w = journal::Writer::open(dir.sub("run"));
    REQUIRE(w.has_value());
    PortfolioCore core({"USDT", px(10000), 60});
    CoreHarness h(core);
    for (const auto& e : {fill("BTCUSDT", Side::buy, px(0.1), px(20000), px(0.0025), "BNB"),
                          fill("BTCUSDT", Side::sell, px(0.1), px(20100), px(0.0026), "BNB")}) {
      EnvelopeHeader in;
      in.source = Actor::exchange;
      in.destination = Actor::portfolio;
      const std::uint64_t cause = (*w)->append(in, e);
      for (const auto& o : h.feed(e)) {
        EnvelopeHeader out;
        out.source = Actor::portfolio;
        out.cause_seq = cause;
        (*w)->append(out, o.message);
      }
    }
    REQUIRE((*w)->commit().has_value());
  }
  auto reader = journal::Reader::open(dir.sub("run"));
  REQUIRE(reader.has_value());
  auto report = replay::build_report(**reader, dir.sub("run"));
  REQUIRE(report.has_value());
  REQUIRE(report->has_value());
  const replay::SessionReport& r = **report;
  CHECK(r.last.fees == 0);
  CHECK(r.last.realized_pnl == px(10));  // 0.1 x 100, the BNB fees not in it
  REQUIRE(r.unvalued_fees.size() == 1);
  CHECK(r.unvalued_fees.at("BNB").amount == px(0.0051));
  CHECK(r.unvalued_fees.at("BNB").fills == 2);
  CHECK(replay::render_report_text(r).find("fees not valued 0.0051 BNB (2 fill(s))") != std::string::npos);
}
