#include <doctest/doctest.h>

#include <limits>
#include <map>
#include <random>

#include "actors/portfolio/portfolio_core.hpp"
#include "messages/fixed_point.hpp"
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
Candle mark(double close, const char* symbol = "BTCUSDT") {
  Candle c;
  c.symbol = symbol;
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

TEST_CASE("a holding below one lot of its own symbol is dust: valued, not a position, nor an open round trip") {
  PortfolioConfig config{"USDT", px(10000), 60};
  config.market.every_symbol.lot_step = px(0.00001);
  config.market.by_symbol["DOGEUSDT"].lot_step = px(1);  // whole tokens
  PortfolioCore p(config);
  CoreHarness h(p);
  OrderEvent doge = fill(Side::buy, 100, 0.1, 0);
  doge.symbol = "DOGEUSDT";
  h.feed(doge);
  h.feed(fill(Side::buy, 0.5, 100, 0));  // 0.5 BTC: 50000 lots of BTCUSDT
  doge.side = Side::sell;
  doge.fill_qty = px(99.5);  // 0.5 DOGE left: below DOGEUSDT's lot, a lot of 0.00001 would keep it a position
  h.feed(doge);
  const auto& s = p.state();
  REQUIRE(s.positions.size() == 1);
  CHECK(s.positions[0].symbol == "BTCUSDT");
  CHECK(s.round_trips == 1);  // DOGEUSDT's is closed
  CHECK(s.equity == px(10000));  // the 0.5 DOGE still count, at 0.1
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

namespace {
// A small deterministic generator (the test must be the same on every run and build).
struct Lcg {
  std::uint64_t s;
  std::uint64_t next() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return s >> 33;
  }
  std::int64_t in(std::int64_t lo, std::int64_t hi) { return lo + static_cast<std::int64_t>(next() % (hi - lo + 1)); }
};
}  // namespace

TEST_CASE("property: equity - starting cash == realized + unrealized - fees, to the unit, in every state") {
  const char* symbols[] = {"BTCUSDT", "ETHUSDT", "PEPEUSDT"};
  const char* bases[] = {"BTC", "ETH", "PEPE"};
  std::uint64_t states = 0, oversold = 0;
  for (std::uint64_t run = 0; run < 300; ++run) {
    Lcg g{run * 7919 + 1};
    PortfolioConfig config{"USDT", px(100000), 60};
    config.market.every_symbol.lot_step = 1000;
    PortfolioCore core(config);
    CoreHarness h(core);
    std::map<std::string, std::int64_t> held;
    for (int step = 0; step < 40; ++step) {
      const int k = static_cast<int>(g.in(0, 2));
      // Odd prices and quantities (not multiples of anything) make every rounding bite.
      const std::int64_t price = k == 2 ? g.in(1, 5000) : g.in(px(10), px(90000));
      Outbox out;
      if (g.in(0, 19) == 0) {  // the venue's account adopted (a testnet/live start): more, less or as much as held
        AccountBalances b{"venue", step * 60'000, "USDT", {AssetBalance{"USDT", "", g.in(0, px(50000)), g.in(0, px(100))}}};
        const auto r = g.in(0, 2);
        const std::int64_t qty = r == 0 ? held[symbols[k]] : r == 1 ? held[symbols[k]] / 2 : held[symbols[k]] + g.in(1, px(0.3));
        b.balances.push_back({bases[k], symbols[k], qty, 0});
        held[symbols[k]] = qty;
        out = h.feed(b);
      } else if (g.in(0, 9) < 2) {  // a mark candle
        Candle c;
        c.symbol = symbols[k];
        c.interval_s = 60;
        c.close = price;
        c.close_time_ms = step * 60'000;
        out = h.feed(c);
      } else {
        OrderEvent e;
        e.client_order_id = "c" + std::to_string(step);
        e.symbol = symbols[k];
        e.kind = OrderEventKind::filled;
        e.fill_price = price;
        e.ts_ms = step * 60'000;
        const bool buy = held[symbols[k]] == 0 || g.in(0, 1) == 0;
        e.side = buy ? Side::buy : Side::sell;
        if (buy) {
          e.fill_qty = k == 2 ? g.in(1, px(5e6)) : g.in(1, px(0.5));
        } else {
          // partial or whole sells, and now and then more than is held
          const auto h_qty = held[symbols[k]];
          const auto r = g.in(0, 9);
          e.fill_qty = r < 6 ? std::max<std::int64_t>(1, h_qty * g.in(1, 99) / 100) : r < 9 ? h_qty : h_qty + g.in(1, 1000);
          if (e.fill_qty > h_qty) ++oversold;
        }
        // fees in the quote asset, in the base asset (as Binance takes on buys), or none
        const auto f = g.in(0, 2);
        e.fee_asset = f == 0 ? "USDT" : f == 1 ? bases[k] : "USDT";
        e.fee = f == 2 ? 0 : f == 0 ? g.in(0, mul_fixed(e.fill_qty, price) / 500 + 1) : g.in(0, e.fill_qty / 500);
        if (buy) held[symbols[k]] += e.fill_qty - (f == 1 ? e.fee : 0);
        else held[symbols[k]] -= e.fill_qty + (f == 1 ? e.fee : 0);
        if (held[symbols[k]] < 0) held[symbols[k]] = 0;  // what the next sell is sized against
        out = h.feed(e);
      }
      for (const auto& ps : of_type<PortfolioState>(out)) {
        ++states;
        CAPTURE(run);
        CAPTURE(step);
        REQUIRE(ps.equity - ps.starting_cash == ps.realized_pnl + ps.unrealized_pnl - ps.fees);
      }
    }
  }
  CHECK(states > 9000);
  CHECK(oversold > 100);
}

TEST_CASE("a sell of more than is held books no profit it did not make") {
  PortfolioCore core({"USDT", px(10000), 60});
  CoreHarness h(core);
  h.feed(fill(Side::buy, 0.1, 60000, 0));
  auto out = h.feed(fill(Side::sell, 0.3, 61000, 0));  // 0.2 more than held
  auto s = of_type<PortfolioState>(out);
  REQUIRE(s.size() == 1);
  CHECK(s[0].realized_pnl == px(100));  // 0.1 * (61000 - 60000), nothing on the excess
  CHECK(s[0].unrealized_pnl == 0);      // the excess is carried at its sale price
  CHECK(of_type<ErrorReport>(out).size() == 1);
  CHECK(of_type<ErrorReport>(out)[0].code == "oversold");
  CHECK(s[0].equity - s[0].starting_cash == s[0].realized_pnl + s[0].unrealized_pnl - s[0].fees);
}

TEST_CASE("a fee in an asset the book cannot value (BNB) is reported and left out, never guessed") {
  PortfolioCore core({"USDT", px(10000), 60});
  CoreHarness h(core);
  OrderEvent e = fill(Side::buy, 0.1, 20000, 0.0025);
  e.fee_asset = "BNB";
  auto out = h.feed(e);
  const auto errors = of_type<ErrorReport>(out);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].code == "fee_asset_unvalued");
  CHECK(errors[0].message == "fee in BNB is not valued (neither BTCUSDT's base nor USDT)");
  const auto s = of_type<PortfolioState>(out).at(0);
  CHECK(s.cash == px(10000 - 2000));  // the notional only: the BNB came from no cash
  CHECK(s.fees == 0);
  CHECK(s.positions.at(0).qty == px(0.1));  // all of it arrived
  CHECK(s.equity - s.starting_cash == s.realized_pnl + s.unrealized_pnl - s.fees);
}

TEST_CASE("a fill that would overflow 64-bit fixed point is reported, not booked") {
  PortfolioCore core({"USDT", px(10000), 60});
  CoreHarness h(core);
  OrderEvent e = fill(Side::buy, 0, 0, 0);
  e.fill_qty = std::numeric_limits<std::int64_t>::max() / 2;  // PEPE-like quantity...
  e.fill_price = px(90000);                                  // ...at a BTC-like price
  auto out = h.feed(e);
  REQUIRE(of_type<ErrorReport>(out).size() == 1);
  CHECK(of_type<ErrorReport>(out)[0].code == PortfolioCore::kNotBooked);
  // Told to risk, not only journaled: the book no longer matches the venue's.
  const auto told = std::find_if(out.begin(), out.end(), [](const auto& o) { return std::holds_alternative<ErrorReport>(o.message); });
  CHECK(told->destination == Actor::risk);
  auto s = of_type<PortfolioState>(out);
  REQUIRE(s.size() == 1);
  CHECK(s[0].cash == px(10000));
  CHECK(s[0].fills == 0);
}

TEST_CASE("a holding stops at INT64_MAX units either way: an oversell to INT64_MIN is not booked") {
  // Every reader of a short or an oversold holding negates it, and -INT64_MIN is no int64.
  PortfolioCore core({"USDT", px(10000), 60});
  CoreHarness h(core);
  OrderEvent e = fill(Side::sell, 0, 0, 0);
  e.fill_qty = std::numeric_limits<std::int64_t>::max();
  e.fill_price = 1;  // 1e-8: the notional stays small
  auto out = h.feed(e);  // oversold to -INT64_MAX: carried, reported as oversold
  REQUIRE(of_type<ErrorReport>(out).size() == 1);
  CHECK(of_type<ErrorReport>(out)[0].code == "oversold");
  REQUIRE(of_type<PortfolioState>(out).size() == 1);
  CHECK(of_type<PortfolioState>(out)[0].fills == 1);
  e.fill_qty = 1;
  out = h.feed(e);  // one unit more would be INT64_MIN
  const auto errors = of_type<ErrorReport>(out);
  REQUIRE_FALSE(errors.empty());
  CHECK(errors.back().code == PortfolioCore::kNotBooked);
  const auto s = of_type<PortfolioState>(out);
  REQUIRE(s.size() == 1);
  CHECK(s[0].fills == 1);
}

TEST_CASE("a value that leaves 64-bit fixed point is not published: risk is told, and the state comes back once it fits") {
  PortfolioCore core({"USDT", px(10000), 60});
  CoreHarness h(core);
  h.feed(fill(Side::buy, 1'000'000'000, 0.00001, 0));  // 10,000 USDT of a token...
  const auto& out = h.feed(mark(1'000'000));               // ...marked at 1e6: 1e15 USDT, past int64 at 1e-8
  CHECK(of_type<PortfolioState>(out).empty());
  const auto errors = of_type<ErrorReport>(out);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].code == PortfolioCore::kNotValued);
  CHECK(out[0].destination == Actor::risk);  // before, only journaled: risk went on with the last state
  CHECK(PortfolioCore::lost_book(Actor::portfolio, out[0].message) != nullptr);
  CHECK(PortfolioCore::lost_book(Actor::risk, out[0].message) == nullptr);
  const auto back = of_type<PortfolioState>(h.feed(mark(0.00002)));
  REQUIRE(back.size() == 1);
  CHECK(back[0].equity == px(20000));
}

TEST_CASE("a venue start: cash and holdings from the venue, the journal's cost basis kept, the rest valued at the first price") {
  PortfolioCore core({"USDT", px(10000), 60});
  CoreHarness h(core);
  h.feed(fill(Side::buy, 0.1, 20000, 0));  // the journal knows 0.1 BTC at 2,000
  AccountBalances b{"binance-testnet", 2000, "USDT",
                    {AssetBalance{"USDT", "", px(5000), px(100)}, AssetBalance{"BTC", "BTCUSDT", px(0.25), 0},
                     AssetBalance{"ETH", "ETHUSDT", px(2), 0}}};
  auto out = h.feed(b);
  // An account record without prices (journaled before they were read) values the BTC
  // beyond what the journal knew at the journal's last price, unannounced, as the build
  // that journaled it did, so that such a journal replays identical.
  CHECK(of_type<ErrorReport>(out).empty());
  auto states = of_type<PortfolioState>(out);
  REQUIRE(states.size() == 1);
  const auto& s = states[0];
  CHECK(s.cash == px(5100));  // free + locked
  REQUIRE(s.positions.size() == 1);  // ETH has no price yet: it counts for nothing until it has one
  CHECK(s.positions[0].symbol == "BTCUSDT");
  CHECK(s.positions[0].qty == px(0.25));
  // 0.1 at the journal's cost (2,000), 0.15 more valued at the last price known (20,000): 3,000
  CHECK(s.positions[0].avg_entry_price == px(20000));
  CHECK(s.equity == px(5100 + 5000));
  CHECK(s.realized_pnl == 0);
  CHECK(s.starting_cash == px(10000) + px(5100 - 8000) + px(3000));  // adopting moves capital, not PnL
  CHECK(s.equity - s.starting_cash == s.realized_pnl + s.unrealized_pnl - s.fees);

  // The snapshot keeps what is still unvalued; a restored core goes on identically.
  StateWriter w;
  core.save(w);
  PortfolioCore restored({"USDT", px(10000), 60});
  StateReader r(w.bytes());
  REQUIRE(restored.load(r).has_value());
  CHECK(r.at_end());
  Candle eth = mark(1500);
  eth.symbol = "ETHUSDT";
  CoreHarness h2(restored);
  for (auto* harness : {&h, &h2}) {
    out = harness->feed(eth);
    auto notes = of_type<ErrorReport>(out);
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].code == "holding_valued_at_start_price");
    CHECK(notes[0].message == "ETHUSDT: 2 held at the venue with no cost basis in the journal, valued at the "
                              "first price seen, 1500 (cost basis 3000)");
    states = of_type<PortfolioState>(out);
    REQUIRE(states.size() == 1);
    CHECK(states[0].positions.size() == 2);
    CHECK(states[0].equity == px(5100 + 5000 + 3000));
    CHECK(states[0].starting_cash == px(10100 + 3000));
    CHECK(states[0].equity - states[0].starting_cash ==
          states[0].realized_pnl + states[0].unrealized_pnl - states[0].fees);
  }
  // A second mark values nothing again.
  CHECK(of_type<ErrorReport>(h.feed(eth)).empty());
}

TEST_CASE("a venue start with the venue's prices: every holding is valued in the first state, the journal's cost kept") {
  PortfolioCore core({"USDT", px(10000), 60});
  CoreHarness h(core);
  h.feed(fill(Side::buy, 0.1, 20000, 0));  // the journal knows 0.1 BTC at 2,000
  auto out = h.feed(AccountBalances{"binance-testnet", 2000, "USDT",
                                    {AssetBalance{"USDT", "", px(5100), 0}, AssetBalance{"BTC", "BTCUSDT", px(0.25), 0, px(30000)},
                                     AssetBalance{"ETH", "ETHUSDT", px(2), 0, px(1500)}}});
  auto notes = of_type<ErrorReport>(out);
  REQUIRE(notes.size() == 2);
  CHECK(notes[0].message == "BTCUSDT: 0.15 held at the venue with no cost basis in the journal, valued at the venue's "
                            "price at the start, 30000 (cost basis 4500)");
  CHECK(notes[1].message == "ETHUSDT: 2 held at the venue with no cost basis in the journal, valued at the venue's "
                            "price at the start, 1500 (cost basis 3000)");
  const auto s = of_type<PortfolioState>(out).at(0);
  REQUIRE(s.positions.size() == 2);
  CHECK(s.positions[0].avg_entry_price == px(26000));  // (2,000 + 4,500) / 0.25
  CHECK(s.positions[0].last_price == px(30000));       // the venue's price, not the journal's last (20,000)
  CHECK(s.equity == px(5100 + 7500 + 3000));
  CHECK(s.starting_cash == px(10000 - 2900 + 4500 + 3000));
  CHECK(s.unrealized_pnl == px(1000));  // the journal's 0.1 BTC, bought at 20,000, now at 30,000
  CHECK(s.realized_pnl == 0);
  CHECK(s.equity - s.starting_cash == s.realized_pnl + s.unrealized_pnl - s.fees);
  CHECK(of_type<ErrorReport>(h.feed(mark(31000))).empty());  // nothing is left to value
}

TEST_CASE("a venue start holding less than the journal: the journal's cost shrinks in proportion, no PnL is booked") {
  PortfolioCore core({"USDT", px(10000), 60});
  CoreHarness h(core);
  h.feed(fill(Side::buy, 0.1, 20000, 0));
  h.feed(mark(25000));
  auto s = of_type<PortfolioState>(h.feed(AccountBalances{"v", 2000, "USDT",
                                                         {AssetBalance{"USDT", "", px(8000), 0},
                                                          AssetBalance{"BTC", "BTCUSDT", px(0.04), 0}}}))[0];
  CHECK(s.positions.at(0).qty == px(0.04));
  CHECK(s.positions.at(0).avg_entry_price == px(20000));
  CHECK(s.realized_pnl == 0);
  CHECK(s.unrealized_pnl == px(0.04 * 5000));
  CHECK(s.starting_cash == px(10000 - 1200));  // 0.06 BTC left the account at their cost, 1,200
  CHECK(s.equity - s.starting_cash == s.realized_pnl + s.unrealized_pnl - s.fees);
}

TEST_CASE("a venue account smaller than portfolio.starting_cash starts without a drawdown: capital is no loss") {
  PortfolioCore core({"USD", px(10000), 60});
  CoreHarness h(core);
  auto s = of_type<PortfolioState>(h.feed(AccountBalances{"coinbase", 2000, "USD",
                                                         {AssetBalance{"USD", "", px(2000), 0},
                                                          AssetBalance{"BTC", "BTC-USD@coinbase", px(0.01), 0, px(60000)}}}))[0];
  CHECK(s.equity == px(2600));
  CHECK(s.starting_cash == px(2600));
  CHECK(s.peak_equity == px(2600));
  CHECK(s.drawdown_ppm == 0);
  // A real loss from there is a drawdown of the account's own peak: 10% of 2600.
  s = of_type<PortfolioState>(h.feed(mark(34000, "BTC-USD@coinbase")))[0];
  CHECK(s.equity == px(2340));
  CHECK(s.drawdown_ppm == 100'000);
}

TEST_CASE("two venues' accounts: each record sets its own venue's cash, fills move their venue's, a restart re-adopts") {
  PortfolioCore core({"USDC", px(10000), 60});
  CoreHarness h(core);
  auto state = [&](const Message& m) { return of_type<PortfolioState>(h.feed(m)).at(0); };
  // The first venue's record replaces the paper cash no venue had claimed; the second adds its own.
  auto s = state(AccountBalances{"binance", 1000, "USDC", {AssetBalance{"USDC", "", px(3000), 0}}});
  CHECK(s.cash == px(3000));
  s = state(AccountBalances{"coinbase", 1000, "USDC", {AssetBalance{"USDC", "", px(1500), px(500)}}});
  CHECK(s.cash == px(5000));
  CHECK(s.starting_cash == px(5000));
  OrderEvent buy = fill(Side::buy, 0.01, 60000, 0.6);
  buy.symbol = "BTC-USDC@coinbase";
  buy.fee_asset = "USDC";
  s = state(buy);
  CHECK(s.cash == px(5000 - 600 - 0.6));
  // A restart: each venue reports what it holds now; the same money is not counted twice,
  // and Coinbase's 1 USDC more than the journal knows is capital, not profit.
  StateWriter w;
  core.save(w);
  PortfolioCore restored({"USDC", px(10000), 60});
  StateReader r(w.bytes());
  REQUIRE(restored.load(r).has_value());
  CHECK(r.at_end());
  CoreHarness h2(restored);
  s = of_type<PortfolioState>(h2.feed(AccountBalances{"binance", 2000, "USDC", {AssetBalance{"USDC", "", px(3000), 0}}})).at(0);
  CHECK(s.cash == px(4399.4));
  CHECK(s.starting_cash == px(5000));
  s = of_type<PortfolioState>(h2.feed(AccountBalances{"coinbase", 2000, "USDC",
                                                      {AssetBalance{"USDC", "", px(1400.4), 0},
                                                       AssetBalance{"BTC", "BTC-USDC@coinbase", px(0.01), 0}}})).at(0);
  CHECK(s.cash == px(4400.4));
  CHECK(s.starting_cash == px(5001));
  CHECK(s.equity - s.starting_cash == s.realized_pnl + s.unrealized_pnl - s.fees);
}

TEST_CASE("a venue account in another quote asset, or with a negative balance, is refused and nothing is adopted") {
  PortfolioCore core({"USDT", px(10000), 60});
  CoreHarness h(core);
  auto out = h.feed(AccountBalances{"v", 1, "USDC", {AssetBalance{"USDC", "", px(5), 0}}});
  REQUIRE(of_type<ErrorReport>(out).size() == 1);
  CHECK(of_type<ErrorReport>(out)[0].code == "venue_quote_asset_differs");
  CHECK(of_type<PortfolioState>(out).at(0).cash == px(10000));
  out = h.feed(AccountBalances{"v", 1, "USDT", {AssetBalance{"USDT", "", px(5), 0}, AssetBalance{"BTC", "BTCUSDT", -1, 0}}});
  CHECK(of_type<ErrorReport>(out).at(0).code == "venue_balance_invalid");
  CHECK(of_type<PortfolioState>(out).at(0).cash == px(10000));
}

TEST_CASE("a history candle (a warm-up's) marks nothing: equity is marked from the first live candle") {
  PortfolioCore core({"USDT", px(10000), 60});
  CoreHarness h(core);
  h.feed(fill(Side::buy, 1, 100, 0));
  Candle past = mark(90);
  past.history = true;
  CHECK(of_type<PortfolioState>(h.feed(past)).empty());
  const auto live = of_type<PortfolioState>(h.feed(mark(110)));
  REQUIRE(live.size() == 1);
  CHECK(live[0].equity == px(10010));  // 9900 cash + 1 x 110
}

namespace {
const char* kPerp = "BTCUSDT@binance_usdm";
OrderEvent perp_fill(Side side, double qty, double price, double fee) {
  OrderEvent e = fill(side, qty, price, fee);
  e.symbol = kPerp;
  return e;
}
// equity - starting cash == realized + unrealized - fees + funding, exactly.
void check_identity(const PortfolioState& s) {
  CHECK(s.equity - s.starting_cash == s.realized_pnl + s.unrealized_pnl - s.fees + s.funding);
}
}  // namespace

TEST_CASE("perpetuals: a short moves no notional, is margined, marked, funded and closed exactly") {
  PortfolioConfig config{"USDT", px(10000), 60};
  config.perps.leverage = 10;
  config.perps.list.push_back(futures::PerpContract{kPerp, 100000000, px(0.001), px(0.1), 125,
                                                   {{0, px(0.004), 125}, {px(50000), px(0.005), 100}}});
  PortfolioCore core(config);
  CoreHarness h(core);
  auto s = of_type<PortfolioState>(h.feed(perp_fill(Side::sell, 0.5, 60000, 12)));  // short 0.5 at 60,000
  REQUIRE(s.size() == 1);
  CHECK(s[0].cash == px(10000 - 12));  // only the fee: the notional is not paid
  REQUIRE(s[0].positions.size() == 1);
  const Position& p = s[0].positions[0];
  CHECK(p.qty == -px(0.5));
  CHECK(p.avg_entry_price == px(60000));
  CHECK(p.margin == px(3000));  // 30,000 / 10
  CHECK(p.leverage == 10);
  // Binance's formula: (3000 + 0 + 30000) / (0.5 x 0.004 + 0.5) = 65737.0517928286...;
  // liquidated at and above it (maintenance rounds up, so the boundary may fall a unit lower)
  CHECK(p.liquidation_price >= px(65737.05179282));
  CHECK(p.liquidation_price <= px(65737.05179283));
  check_identity(s[0]);
  // A mark, then a candle publishes: the short gains as the price falls.
  h.feed(MarkPrice{kPerp, px(59000), MarkSource::book_mid, 0});
  s = of_type<PortfolioState>(h.feed(mark(59010, kPerp)));
  REQUIRE(s.size() == 1);
  CHECK(s[0].unrealized_pnl == px(500));  // valued at the mark, not the candle's close
  CHECK(s[0].equity == px(10000 - 12 + 500));
  check_identity(s[0]);
  // Funding at a positive rate: shorts receive 0.5 x 59,000 x 0.0001 = 2.95.
  s = of_type<PortfolioState>(h.feed(Funding{kPerp, px(0.0001), 1'723'161'600'000, px(59000), FundingSource::schedule}));
  REQUIRE(s.size() == 1);
  CHECK(s[0].funding == px(2.95));
  CHECK(s[0].cash == px(10000 - 12 + 2.95));
  CHECK(s[0].positions[0].margin == px(3002.95));
  check_identity(s[0]);
  // Bought back at 58,000: realised 1,000, back to flat, one winning round trip.
  s = of_type<PortfolioState>(h.feed(perp_fill(Side::buy, 0.5, 58000, 11.6)));
  REQUIRE(s.size() == 1);
  CHECK(s[0].realized_pnl == px(1000));
  CHECK(s[0].positions.empty());
  CHECK(s[0].cash == px(10000 - 12 + 2.95 + 1000 - 11.6));
  CHECK(s[0].round_trips == 1);
  CHECK(s[0].winning_round_trips == 1);
  check_identity(s[0]);
  // Funding with nothing open pays nothing and publishes nothing.
  CHECK(of_type<PortfolioState>(h.feed(Funding{kPerp, px(0.0001), 1'723'190'400'000, px(58000), FundingSource::schedule})).empty());
}

TEST_CASE("perpetuals: a liquidation loses the margin, names a difference from the venue's numbers, and survives a snapshot") {
  PortfolioConfig config{"USDT", px(10000), 60};
  config.perps.leverage = 20;
  PortfolioCore core(config);
  CoreHarness h(core);
  h.feed(perp_fill(Side::buy, 1, 60000, 0));  // long 1 at 20x: margin 3,000
  StateWriter w;
  core.save(w);
  PortfolioCore restored(config);
  StateReader r(w.bytes());
  REQUIRE(restored.load(r).has_value());
  StateWriter again;
  restored.save(again);
  CHECK(again.bytes() == w.bytes());
  Liquidation l{kPerp, px(1), px(60000), 20, px(57200), px(3000), px(200), px(236), px(0.004), px(57240.96385542),
                px(57000), px(3000), 2000};
  auto out = h.feed(l);
  auto s = of_type<PortfolioState>(out);
  REQUIRE(s.size() == 1);
  CHECK(s[0].realized_pnl == -px(3000));
  CHECK(s[0].cash == px(7000));
  CHECK(s[0].positions.empty());
  CHECK(s[0].round_trips == 1);
  CHECK(s[0].winning_round_trips == 0);
  check_identity(s[0]);
  CHECK(of_type<ErrorReport>(out).empty());
  // The venue naming other numbers is journaled, and its closing booked.
  PortfolioCore other(config);
  CoreHarness o(other);
  o.feed(perp_fill(Side::buy, 1, 60000, 0));
  l.margin = px(2999);
  auto errors = of_type<ErrorReport>(o.feed(l));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].code == "liquidation_differs");
  // A liquidation of nothing held is an error, not a booking.
  errors = of_type<ErrorReport>(o.feed(l));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].code == "liquidation_unknown");
}

TEST_CASE("perpetuals, cross margin: the wallet backs the positions, funding is its own, a liquidation books the venue's losses") {
  const char* kEth = "ETHUSDT@binance_usdm";
  PortfolioConfig config{"USDT", px(5000), 60};
  config.perps.leverage = 20;
  config.perps.margin_mode = futures::MarginMode::cross;
  const futures::PerpContract btc{kPerp, 100000000, px(0.001), px(0.1), 125, {{0, px(0.004), 125}, {px(50000), px(0.005), 100}}};
  futures::PerpContract eth = btc;
  eth.symbol = kEth;
  config.perps.list = {btc, eth};
  PortfolioCore core(config);
  CoreHarness h(core);
  h.feed(perp_fill(Side::buy, 1, 60000, 0));
  OrderEvent short_eth = perp_fill(Side::sell, 10, 3000, 0);
  short_eth.symbol = kEth;
  h.feed(short_eth);
  // Funding moves the wallet, not the margin (the initial margin, 60,000 / 20).
  auto s = of_type<PortfolioState>(h.feed(Funding{kPerp, px(0.0001), 1'723'161'600'000, px(60000), FundingSource::schedule}));
  REQUIRE(s.size() == 1);
  CHECK(s[0].cash == px(4994));
  REQUIRE(s[0].positions.size() == 2);
  CHECK(s[0].positions[0].margin == px(3000));
  check_identity(s[0]);
  // ETH marked at 2,900: the long's liquidation price is the cross one, the same library's.
  h.feed(MarkPrice{kEth, px(2900), MarkSource::book_mid, 0});
  s = of_type<PortfolioState>(h.feed(mark(60000, kPerp)));
  REQUIRE(s.size() == 1);
  futures::PerpPosition b, e;
  b.leverage = e.leverage = 20;
  REQUIRE(futures::apply_fill(b, true, px(1), px(60000), 0).has_value());
  REQUIRE(futures::apply_fill(e, false, px(10), px(3000), 0).has_value());
  std::vector<futures::CrossLeg> legs{{&b, &btc, px(60000)}, {&e, &eth, px(2900)}};
  const auto collateral = futures::cross_collateral(px(4994), legs, 0);
  REQUIRE(collateral.has_value());
  CHECK(s[0].positions[0].symbol == kPerp);
  CHECK(s[0].positions[0].liquidation_price == futures::liquidation_price(b, btc, collateral->liquidation));
  CHECK(s[0].positions[0].liquidation_price < futures::liquidation_price(b, btc));  // the wallet stands behind it
  check_identity(s[0]);
  // The venue liquidates both: each loss booked as it says; the wallet is gone.
  // At 54,000 the long's unrealized is -6,000, the short's +1,000: the long's loss is 6,000
  // and the rest of the balance (-6), the short's -1,000 (its profit); together the wallet.
  Liquidation lb{kPerp, px(1), px(60000), 20, px(54000), px(4994), px(-6), px(270 + 116), px(0.005), 0, 0,
                 px(5994), 3000, true};
  Liquidation le{kEth, -px(10), px(3000), 20, px(2900), px(4994), px(-6), px(270 + 116), px(0.004), 0, 0, -px(1000), 3000, true};
  auto out = h.feed(lb);
  CHECK(of_type<ErrorReport>(out).empty());
  out = h.feed(le);
  CHECK(of_type<ErrorReport>(out).empty());
  s = of_type<PortfolioState>(out);
  REQUIRE(s.size() == 1);
  CHECK(s[0].positions.empty());
  CHECK(s[0].cash == 0);
  CHECK(s[0].equity == 0);
  check_identity(s[0]);
}

TEST_CASE("property: spot and perpetual fills, marks and funding keep the equity identity to the unit") {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    auto pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
    PortfolioConfig config{"USDT", px(100000), 60};
    config.perps.leverage = static_cast<std::uint32_t>(pick(1, 50));
    PortfolioCore core(config);
    CoreHarness h(core);
    std::int64_t price = pick(px(20000), px(80000));
    std::int64_t spot_held = 0;
    for (int step = 0; step < 200; ++step) {
      price = std::max<std::int64_t>(px(1000), price + pick(-px(200), px(200)));
      const int what = static_cast<int>(pick(0, 9));
      OrderEvent e = fill(Side::buy, 0, 0, 0);
      e.fill_qty = pick(1, 500) * px(0.001);
      e.fill_price = price;
      e.fee = mul_fixed(mul_fixed(e.fill_qty, price), px(0.0004));
      if (what <= 3) {  // a perpetual fill, either side
        e.symbol = kPerp;
        e.side = pick(0, 1) ? Side::buy : Side::sell;
      } else if (what <= 5) {  // spot: buy, or sell what is held
        e.side = spot_held > 0 && pick(0, 1) ? Side::sell : Side::buy;
        if (e.side == Side::sell) e.fill_qty = std::min(e.fill_qty, spot_held);
        spot_held += e.side == Side::buy ? e.fill_qty : -e.fill_qty;
      }
      std::vector<PortfolioState> states;
      if (what <= 5) states = of_type<PortfolioState>(h.feed(e));
      else if (what == 6) h.feed(MarkPrice{kPerp, price, MarkSource::book_mid, 0});
      else if (what == 7) states = of_type<PortfolioState>(h.feed(Funding{kPerp, pick(-px(0.0005), px(0.0005)), step, price, FundingSource::schedule}));
      else states = of_type<PortfolioState>(h.feed(mark(static_cast<double>(price) / 1e8)));
      for (const auto& s : states) check_identity(s);
    }
  }
}
