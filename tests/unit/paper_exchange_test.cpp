#include <doctest/doctest.h>

#include <cstdint>

#include "actors/paper_exchange/paper_exchange_core.hpp"
#include "core_harness.hpp"
#include "messages/fixed_point.hpp"

using namespace trader;
using test::CoreHarness;
using test::of_type;
using test::px;

namespace {
constexpr std::int64_t kMs = 1'000'000;
OrderRequest order(const char* id, Side side, OrderType type, double qty, double limit = 0) {
  OrderRequest r;
  r.client_order_id = id;
  r.symbol = "BTCUSDT";
  r.side = side;
  r.type = type;
  r.qty = px(qty);
  r.limit_price = px(limit);
  return r;
}
Trade print(double price, double qty, std::uint64_t id = 7) { return Trade{"BTCUSDT", px(price), px(qty), id, 0, 0, false}; }
PaperExchangeConfig cfg() {
  PaperExchangeConfig c;
  c.fees = {1000, 200};  // 10 and 2 bps
  c.slippage_bps = 5;
  c.latency_ms = 50;
  c.kline_participation_ppm = 100'000;
  c.market_timeout_ms = 60'000;
  c.market.every_symbol.lot_step = px(0.001);
  return c;
}
}  // namespace

TEST_CASE("a market buy fills against the following trades with slippage and taker fee, partially when large") {
  PaperExchangeCore core(cfg());
  CoreHarness h(core);
  auto acc = of_type<OrderEvent>(h.feed(order("c1", Side::buy, OrderType::market, 1.5), 1000 * kMs));
  REQUIRE(acc.size() == 1);
  CHECK(acc[0].kind == OrderEventKind::accepted);
  CHECK(h.feed(print(100, 5), 1040 * kMs).empty());  // inside the 50 ms latency: not seen
  auto f = of_type<OrderEvent>(h.feed(print(100, 1, 11), 1050 * kMs));
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == OrderEventKind::partially_filled);
  CHECK(f[0].fill_qty == px(1));
  CHECK(f[0].fill_price == px(100.05));  // +5 bp
  CHECK(f[0].fee == px(0.10005));        // 10 bp of 100.05
  CHECK(f[0].liquidity == Liquidity::taker);
  CHECK(f[0].trade_id == 11);
  f = of_type<OrderEvent>(h.feed(print(101, 3, 12), 1060 * kMs));
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == OrderEventKind::filled);
  CHECK(f[0].fill_qty == px(0.5));
  CHECK(f[0].cum_qty == px(1.5));
  CHECK(h.feed(print(101, 3), 1070 * kMs).empty());  // done
}

TEST_CASE("each fill pays its venue's fee rates, fractions of a basis point rounded up to the unit") {
  PaperExchangeConfig c = cfg();
  c.slippage_bps = 0;
  c.venue_fees[VenueId::coinbase] = {6000, 4000};  // Coinbase's first tier: 0.60 % taker, 0.40 % maker
  c.venue_fees[VenueId::binance] = {750, 750};     // Binance spot paid in BNB: 7.5 bps
  c.market.every_symbol.min_notional = 0;          // the rounding case below fills 0.10001
  PaperExchangeCore core(c);
  CoreHarness h(core);
  auto on = [](OrderRequest r, const char* symbol) {
    r.symbol = symbol;
    return r;
  };
  h.feed(on(order("b", Side::buy, OrderType::market, 0.3), "BTCUSDT"), 1000 * kMs);
  h.feed(on(order("cb", Side::buy, OrderType::market, 0.3), "BTC-USD@coinbase"), 1000 * kMs);
  h.feed(on(order("cl", Side::buy, OrderType::limit, 0.3, 99), "BTC-USD@coinbase"), 1000 * kMs);
  h.feed(on(order("k", Side::buy, OrderType::market, 0.3), "BTC-USDT@kucoin"), 1000 * kMs);
  auto fill = [&](const char* symbol, double price) {
    auto f = of_type<OrderEvent>(h.feed(Trade{symbol, px(price), px(1), 1, 0, 0, false}, 2000 * kMs));
    REQUIRE(!f.empty());
    return f;
  };
  // 0.3 x 100.01 = 30.003 at 7.5 bps = 0.0225022500 (exact).
  CHECK(fill("BTCUSDT", 100.01)[0].fee == px(0.02250225));
  const auto cb = fill("BTC-USD@coinbase", 98.99);
  REQUIRE(cb.size() == 2);
  CHECK(cb[0].fee == px(0.1781820));  // taker: 0.3 x 98.99 = 29.697 x 0.6 %
  CHECK(cb[1].liquidity == Liquidity::maker);
  CHECK(cb[1].fee == px(0.1188));     // maker at the limit: 0.3 x 99 = 29.7 x 0.4 %
  // A venue not listed pays [order]'s rates: 0.3 x 100.03 = 30.009 at 10 bps = 0.030009.
  CHECK(fill("BTC-USDT@kucoin", 100.03)[0].fee == px(0.030009));
  // Rounded up: 0.001 x 100.01 = 0.10001 at 7.5 bps = 0.0000750075 -> 0.00007501.
  h.feed(on(order("b2", Side::buy, OrderType::market, 0.001), "BTCUSDT"), 3000 * kMs);
  auto up = of_type<OrderEvent>(h.feed(Trade{"BTCUSDT", px(100.01), px(1), 2, 0, 0, false}, 4000 * kMs));
  REQUIRE(up.size() == 1);
  CHECK(up[0].fee == px(0.00007501));
}

TEST_CASE("with no order working, market data and ticks are quiet, and an order request makes them answer") {
  PaperExchangeCore core(cfg());
  CoreHarness h(core);
  for (auto* t : {&Trade::kTypeId, &Kline::kTypeId, &ClockTick::kTypeId}) CHECK(core.quiet().covers(*t, 0));
  CHECK_FALSE(core.quiet().covers(OrderRequest::kTypeId, 0));
  CHECK(h.feed(print(100, 5), 1000 * kMs).empty());
  CHECK(h.feed(order("c1", Side::buy, OrderType::market, 1), 2000 * kMs).size() == 1);  // accepted
  CHECK_FALSE(core.quiet().covers(Trade::kTypeId, 0));
  CHECK_FALSE(core.quiet().covers(ClockTick::kTypeId, 0));
  CHECK(of_type<OrderEvent>(h.feed(print(100, 5), 2100 * kMs)).size() == 1);  // filled
  CHECK(core.quiet().covers(Trade::kTypeId, 0));  // nothing works any more
  CHECK(h.feed(print(100, 5), 2200 * kMs).empty());
  CHECK(h.quiet_deliveries() == 1);  // the last print (the first was awaited: nothing was declared yet)
}

TEST_CASE("a print no fill can be stated at fills nothing, says so, and the order works on") {
  PaperExchangeCore core(cfg());
  CoreHarness h(core);
  h.feed(order("c1", Side::buy, OrderType::market, 50'000'000), 0);  // 5e7 units of a cheap token...
  // ...and a garbled print at 1e6: 5e13 of value, past 64-bit fixed point at 1e-8. The fill's
  // value wrapped (a fee of garbage) before; the portfolio then could not book it.
  const auto& out = h.feed(print(1'000'000, 60'000'000), 100 * kMs);
  CHECK(of_type<OrderEvent>(out).empty());
  const auto errors = of_type<ErrorReport>(out);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].code == "arithmetic_overflow");
  CHECK(errors[0].message.find("not filled") != std::string::npos);
  // A price the slippage would push past the range fills nothing either.
  CHECK(of_type<OrderEvent>(h.feed(Trade{"BTCUSDT", INT64_MAX - 1, px(1), 8, 0, 0, false}, 110 * kMs)).empty());
  // The next sane print fills it.
  const auto f = of_type<OrderEvent>(h.feed(print(0.0001, 60'000'000), 120 * kMs));
  REQUIRE(f.size() == 1);
  CHECK(f[0].kind == OrderEventKind::filled);
  CHECK(f[0].fill_qty == px(50'000'000));
}

TEST_CASE("a market sell slips down") {
  PaperExchangeCore core(cfg());
  CoreHarness h(core);
  h.feed(order("c1", Side::sell, OrderType::market, 1), 0);
  auto f = of_type<OrderEvent>(h.feed(print(100, 1), 100 * kMs));
  REQUIRE(f.size() == 1);
  CHECK(f[0].fill_price == px(99.95));
}

TEST_CASE("limit orders rest until a print trades through them, then fill at the limit as maker") {
  PaperExchangeCore core(cfg());
  CoreHarness h(core);
  h.feed(order("b", Side::buy, OrderType::limit, 1, 99), 0);
  h.feed(order("s", Side::sell, OrderType::limit, 1, 102), 0);
  CHECK(h.feed(print(99, 5), 100 * kMs).empty());   // at the limit: not through it
  CHECK(h.feed(print(102, 5), 110 * kMs).empty());
  auto f = of_type<OrderEvent>(h.feed(print(98.5, 0.4), 120 * kMs));
  REQUIRE(f.size() == 1);
  CHECK(f[0].client_order_id == "b");
  CHECK(f[0].fill_price == px(99));
  CHECK(f[0].fill_qty == px(0.4));
  CHECK(f[0].fee == px(0.00792));  // 2 bp of 39.6
  CHECK(f[0].liquidity == Liquidity::maker);
  f = of_type<OrderEvent>(h.feed(print(102.5, 2), 130 * kMs));
  REQUIRE(f.size() == 1);
  CHECK(f[0].client_order_id == "s");
  CHECK(f[0].kind == OrderEventKind::filled);
}

TEST_CASE("on kline data: market fills at the open, capped by participation and lot step, no fill on zero volume") {
  PaperExchangeCore core(cfg());
  CoreHarness h(core);
  h.feed(order("c1", Side::buy, OrderType::market, 1), 0);
  Kline k;
  k.symbol = "BTCUSDT";
  k.interval_s = 60;
  k.open = px(200);
  k.high = px(210);
  k.low = px(190);
  k.close = px(205);
  k.closed = true;
  k.volume = 0;
  CHECK(h.feed(k, 30'000 * kMs).empty());
  k.volume = px(2.5678);  // 10% = 0.25678 -> 0.256 by the lot step
  auto f = of_type<OrderEvent>(h.feed(k, 59'000 * kMs));  // within the market timeout
  REQUIRE(f.size() == 1);
  CHECK(f[0].fill_qty == px(0.256));
  CHECK(f[0].fill_price == px(200.1));

  // A symbol with a lot of its own is capped in its lots: 0.25678 -> 0.2.
  PaperExchangeConfig own = cfg();
  own.market.by_symbol["BTCUSDT"].lot_step = px(0.1);
  PaperExchangeCore coarse(own);
  CoreHarness hc(coarse);
  hc.feed(order("c1", Side::buy, OrderType::market, 1), 0);
  f = of_type<OrderEvent>(hc.feed(k, 59'000 * kMs));
  REQUIRE(f.size() == 1);
  CHECK(f[0].fill_qty == px(0.2));
}

TEST_CASE("market orders expire after the timeout, keeping what filled") {
  PaperExchangeCore core(cfg());
  CoreHarness h(core);
  h.feed(order("c1", Side::buy, OrderType::market, 2), 0);
  h.feed(print(100, 1), 100 * kMs);
  auto e = of_type<OrderEvent>(h.feed(Trade{"ETHUSDT", px(1), px(1), 1, 0, 0, false}, 60'050 * kMs));
  REQUIRE(e.size() == 1);
  CHECK(e[0].kind == OrderEventKind::expired);
  CHECK(e[0].cum_qty == px(1));
  CHECK(e[0].fill_qty == 0);
}

TEST_CASE("cancel, and rejects of invalid orders") {
  PaperExchangeCore core(cfg());
  CoreHarness h(core);
  h.feed(order("b", Side::buy, OrderType::limit, 1, 99), 0);
  OrderRequest cancel = order("b", Side::buy, OrderType::limit, 0);
  cancel.cancel = true;
  auto e = of_type<OrderEvent>(h.feed(cancel, kMs));
  REQUIRE(e.size() == 1);
  CHECK(e[0].kind == OrderEventKind::canceled);
  CHECK(h.feed(print(1, 100), 200 * kMs).empty());  // nothing left to fill
  e = of_type<OrderEvent>(h.feed(cancel, 300 * kMs));
  REQUIRE(e.size() == 1);
  CHECK(e[0].kind == OrderEventKind::rejected);
  e = of_type<OrderEvent>(h.feed(order("z", Side::buy, OrderType::market, 0), 0));
  REQUIRE(e.size() == 1);
  CHECK(e[0].kind == OrderEventKind::rejected);
  CHECK(e[0].reason == "quantity must be positive");
  e = of_type<OrderEvent>(h.feed(order("l", Side::buy, OrderType::limit, 1, 0), 0));
  REQUIRE(e.size() == 1);
  CHECK(e[0].kind == OrderEventKind::rejected);
  // What a venue's LOT_SIZE and PRICE_FILTER refuse: a part of a lot, a price off the tick.
  e = of_type<OrderEvent>(h.feed(order("q", Side::buy, OrderType::market, 1.0005), 0));
  REQUIRE(e.size() == 1);
  CHECK(e[0].kind == OrderEventKind::rejected);
  CHECK(e[0].reason == "quantity 1.0005 is not a multiple of the lot step 0.001 (market.lot_step)");
  e = of_type<OrderEvent>(h.feed(order("t", Side::buy, OrderType::limit, 1, 99.005), 0));
  REQUIRE(e.size() == 1);
  CHECK(e[0].reason == "limit price 99.005 is not a multiple of the tick 0.01 (market.tick_size)");
  // By the symbol's own rules where it has them.
  PaperExchangeConfig own = cfg();
  own.market.by_symbol["BTCUSDT"] = MarketRules{px(0.0001), px(5), px(0.001)};
  PaperExchangeCore fine(own);
  CoreHarness hf(fine);
  CHECK(of_type<OrderEvent>(hf.feed(order("t", Side::buy, OrderType::limit, 1.0005, 99.005), 0))[0].kind ==
        OrderEventKind::accepted);
  e = of_type<OrderEvent>(hf.feed(order("u", Side::buy, OrderType::limit, 1, 99.0005), 0));
  REQUIRE(e.size() == 1);
  CHECK(e[0].reason == "limit price 99.0005 is not a multiple of the tick 0.001 (market.BTCUSDT.tick_size)");
}

TEST_CASE("the paper venue refuses an order worth less than the minimum notional, a market order at the last print") {
  PaperExchangeCore core(cfg());
  CoreHarness h(core);
  auto kind = [&](const OrderRequest& r) {
    const auto e = of_type<OrderEvent>(h.feed(r, 0));
    REQUIRE(e.size() == 1);
    return e[0];
  };
  // Before any print a market order's value is unknown: the venue takes it.
  CHECK(kind(order("m0", Side::buy, OrderType::market, 0.001)).kind == OrderEventKind::accepted);
  h.feed(print(100, 0.001), 1000 * kMs);
  const auto small = kind(order("m1", Side::sell, OrderType::market, 0.04));
  CHECK(small.kind == OrderEventKind::rejected);
  CHECK(small.reason == "order value 4 (0.04 at 100) is below the minimum 5 (market.min_notional)");
  CHECK(kind(order("m2", Side::sell, OrderType::market, 0.05)).kind == OrderEventKind::accepted);
  CHECK(kind(order("l1", Side::buy, OrderType::limit, 0.04, 99)).kind == OrderEventKind::rejected);
  CHECK(kind(order("l2", Side::sell, OrderType::limit, 0.04, 130)).kind == OrderEventKind::accepted);
  // The last print survives a snapshot; a snapshot written before it was kept still loads.
  StateWriter w;
  core.save(w);
  PaperExchangeCore restored(cfg());
  StateReader r(w.bytes());
  REQUIRE(restored.load(r).has_value());
  CHECK(r.at_end());
  CoreHarness hr(restored);
  CHECK(of_type<OrderEvent>(hr.feed(order("m3", Side::sell, OrderType::market, 0.04), 0)).at(0).kind ==
        OrderEventKind::rejected);
  StateWriter old;
  old.u32(0);  // no working order
  old.u64(7);  // the next order id: where a spot snapshot used to end
  PaperExchangeCore from_old(cfg());
  StateReader ro(old.bytes());
  REQUIRE(from_old.load(ro).has_value());
  CoreHarness ho(from_old);
  CHECK(of_type<OrderEvent>(ho.feed(order("m4", Side::sell, OrderType::market, 0.04), 0)).at(0).kind ==
        OrderEventKind::accepted);
  // By the symbol's own minimum where it has one.
  PaperExchangeConfig own = cfg();
  own.market.by_symbol["BTCUSDT"] = MarketRules{px(0.001), px(1), px(0.01)};
  PaperExchangeCore lower(own);
  CoreHarness hl(lower);
  CHECK(of_type<OrderEvent>(hl.feed(order("o1", Side::buy, OrderType::limit, 0.04, 99), 0)).at(0).kind ==
        OrderEventKind::accepted);
  const auto tiny = of_type<OrderEvent>(hl.feed(order("o2", Side::buy, OrderType::limit, 0.001, 99), 0));
  CHECK(tiny.at(0).reason == "order value 0.099 (0.001 at 99) is below the minimum 1 (market.BTCUSDT.min_notional)");
}

namespace {
const char* kPerp = "BTCUSDT@binance_usdm";
futures::PerpContract btc_perp() {
  return {kPerp, px(1), px(0.001), px(0.1), 125, {{0, px(0.004), 125}, {px(50000), px(0.005), 100}}};
}
}  // namespace

TEST_CASE("perpetuals: the paper venue liquidates a position at the first mark at or past its liquidation price") {
  PaperExchangeConfig c = cfg();
  c.perps.leverage = 20;
  c.perps.list.push_back(btc_perp());
  PaperExchangeCore core(c);
  CoreHarness h(core);
  auto entry = order("long", Side::buy, OrderType::market, 1);
  entry.symbol = kPerp;
  h.feed(entry, 1000 * kMs);
  auto stop = order("tp", Side::sell, OrderType::limit, 1, 70000);  // resting: canceled by the liquidation
  stop.symbol = kPerp;
  h.feed(stop, 1001 * kMs);
  const auto fills = of_type<OrderEvent>(h.feed(Trade{kPerp, px(60000), px(2), 9, 0, 0, false}, 1100 * kMs));
  REQUIRE(fills.size() == 1);
  const std::int64_t price = fills[0].fill_price;  // 60,030 with 5 bp of slippage
  CHECK(price == px(60030));
  // The venue's position, rebuilt here with the same library: its liquidation price.
  futures::PerpPosition mine;
  mine.leverage = 20;
  REQUIRE(futures::apply_fill(mine, true, px(1), price, fills[0].fee).has_value());
  const auto liq = futures::liquidation_price(mine, btc_perp());
  REQUIRE(liq.has_value());
  CHECK(*liq > px(57000));
  CHECK(*liq < px(57500));
  // Funding moves the margin, and so the price: paid here (longs pay at a positive rate).
  h.feed(Funding{kPerp, px(0.0001), 1'723'161'600'000, px(60000), FundingSource::schedule}, 1200 * kMs);
  REQUIRE(futures::apply_funding(mine, px(60000), px(0.0001), futures::MarginMode::isolated).has_value());
  const auto liq_funded = futures::liquidation_price(mine, btc_perp());
  REQUIRE(liq_funded.has_value());
  CHECK(*liq_funded > *liq);
  // One tick above it: nothing. At it: liquidated, the working order canceled first.
  CHECK(h.feed(MarkPrice{kPerp, *liq_funded + px(0.1), MarkSource::book_mid, 0}, 1300 * kMs).empty());
  const auto out = h.feed(MarkPrice{kPerp, *liq_funded, MarkSource::book_mid, 0}, 1400 * kMs);
  REQUIRE(out.size() == 2);
  const auto canceled = of_type<OrderEvent>(out);
  REQUIRE(canceled.size() == 1);
  CHECK(canceled[0].kind == OrderEventKind::canceled);
  CHECK(canceled[0].client_order_id == "tp");
  const auto l = of_type<Liquidation>(out);
  REQUIRE(l.size() == 1);
  CHECK(l[0].symbol == kPerp);
  CHECK(l[0].qty == px(1));
  CHECK(l[0].entry_price == price);
  CHECK(l[0].leverage == 20);
  CHECK(l[0].mark_price == *liq_funded);
  CHECK(l[0].margin == mine.margin);  // 60,030 / 20 less the funding paid
  CHECK(l[0].margin == px(3001.5) - px(6));
  CHECK(l[0].maintenance_rate == px(0.005));  // 57,000 of notional: the second bracket
  CHECK(l[0].margin_balance <= l[0].maintenance);
  CHECK(l[0].margin_balance == l[0].margin + (mul_fixed(px(1), *liq_funded) - price));
  CHECK(l[0].liquidation_price == *liq_funded);
  CHECK(l[0].bankruptcy_price == futures::bankruptcy_price(mine));
  CHECK(l[0].loss == l[0].margin);
  CHECK(l[0].ts_ms == 1400);
  // Closed: later marks, lower still, liquidate nothing more.
  CHECK(h.feed(MarkPrice{kPerp, px(50000), MarkSource::book_mid, 0}, 1500 * kMs).empty());
}

TEST_CASE("cross margin: the paper venue liquidates every position when the wallet no longer covers their maintenance") {
  const char* kEth = "ETHUSDT@binance_usdm";
  PaperExchangeConfig c = cfg();
  c.slippage_bps = 0;
  c.fees.taker_ppm = 0;
  c.perps.leverage = 20;
  c.perps.margin_mode = futures::MarginMode::cross;
  c.perps.list.push_back(btc_perp());
  auto eth = btc_perp();
  eth.symbol = kEth;
  c.perps.list.push_back(eth);
  c.wallet_start = px(5000);
  PaperExchangeCore core(c);
  CoreHarness h(core);
  auto entry = order("long", Side::buy, OrderType::market, 1);  // 60,000 of BTC at 20x
  entry.symbol = kPerp;
  h.feed(entry, 1000 * kMs);
  auto hedge = order("short", Side::sell, OrderType::market, 10);  // 30,000 of ETH
  hedge.symbol = kEth;
  h.feed(hedge, 1000 * kMs);
  auto tp = order("tp", Side::sell, OrderType::limit, 1, 70000);
  tp.symbol = kPerp;
  h.feed(tp, 1001 * kMs);
  REQUIRE(of_type<OrderEvent>(h.feed(Trade{kPerp, px(60000), px(2), 9, 0, 0, false}, 1100 * kMs)).size() == 1);
  REQUIRE(of_type<OrderEvent>(h.feed(Trade{kEth, px(3000), px(20), 10, 0, 0, false}, 1100 * kMs)).size() == 1);
  // Funding is the wallet's: paid by the long (6.00), received by the short (3.00).
  h.feed(Funding{kPerp, px(0.0001), 1'723'161'600'000, px(60000), FundingSource::schedule}, 1150 * kMs);
  h.feed(Funding{kEth, px(0.0001), 1'723'161'600'000, px(3000), FundingSource::schedule}, 1150 * kMs);
  const std::int64_t wallet = px(5000) - px(6) + px(3);
  // ETH falls to 2,900 (+1,000 to the short); the wallet and that profit less its
  // maintenance back the long: the same library gives its liquidation price.
  CHECK(h.feed(MarkPrice{kEth, px(2900), MarkSource::book_mid, 0}, 1200 * kMs).empty());
  futures::PerpPosition b, e;
  b.leverage = e.leverage = 20;
  REQUIRE(futures::apply_fill(b, true, px(1), px(60000), 0).has_value());
  REQUIRE(futures::apply_fill(e, false, px(10), px(3000), 0).has_value());
  const auto btc = btc_perp();
  std::vector<futures::CrossLeg> legs{{&b, &btc, px(60000)}, {&e, &eth, px(2900)}};
  const auto collateral = futures::cross_collateral(wallet, legs, 0);
  REQUIRE(collateral.has_value());
  const auto liq = futures::liquidation_price(b, btc, collateral->liquidation);
  REQUIRE(liq.has_value());
  // (4,997 + 1,000 - 116 + 50 - 60,000) / (0.005 - 1) = 54,340.7; isolated at 20x it would
  // be 57,236.2 (its margin of 3,000 alone): the wallet stands behind it.
  CHECK(*liq > px(54340));
  CHECK(*liq < px(54341));
  CHECK(h.feed(MarkPrice{kPerp, *liq + px(0.1), MarkSource::book_mid, 0}, 1300 * kMs).empty());
  const auto out = h.feed(MarkPrice{kPerp, *liq, MarkSource::book_mid, 0}, 1400 * kMs);
  const auto canceled = of_type<OrderEvent>(out);
  REQUIRE(canceled.size() == 1);
  CHECK(canceled[0].client_order_id == "tp");
  CHECK(canceled[0].reason == "canceled by the cross-margin liquidation at BTCUSDT@binance_usdm's mark");
  const auto l = of_type<Liquidation>(out);
  REQUIRE(l.size() == 2);
  CHECK(l[0].symbol == kPerp);  // the marked one first
  CHECK(l[1].symbol == kEth);
  for (const auto& one : l) {
    CHECK(one.cross);
    CHECK(one.margin == wallet);
    CHECK(one.margin_balance == wallet + (*liq - px(60000)) + px(1000));
    CHECK(one.margin_balance <= one.maintenance);
    CHECK(one.ts_ms == 1400);
  }
  CHECK(l[0].liquidation_price == *liq);
  CHECK(l[0].bankruptcy_price == futures::bankruptcy_price(b, collateral->bankruptcy));
  CHECK(l[0].mark_price == *liq);
  CHECK(l[1].mark_price == px(2900));
  CHECK(l[1].qty == -px(10));
  CHECK(l[1].loss == -px(1000));  // the short's profit at its mark
  CHECK(l[0].loss + l[1].loss == wallet);  // the wallet, lost whole
  // Closed: lower marks liquidate nothing more.
  CHECK(h.feed(MarkPrice{kPerp, px(40000), MarkSource::book_mid, 0}, 1500 * kMs).empty());
}

TEST_CASE("perpetuals: the paper venue's positions survive a snapshot, and a spot-only snapshot keeps its bytes") {
  PaperExchangeConfig c = cfg();
  c.perps.leverage = 50;
  c.perps.list.push_back(btc_perp());
  PaperExchangeCore spot(c);
  CoreHarness hs(spot);
  hs.feed(order("s", Side::buy, OrderType::limit, 1, 100), 1000 * kMs);
  StateWriter spot_bytes;
  spot.save(spot_bytes);
  PaperExchangeCore old_format(cfg());  // no perpetual configured: the bytes a spot venue always wrote
  CoreHarness ho(old_format);
  ho.feed(order("s", Side::buy, OrderType::limit, 1, 100), 1000 * kMs);
  StateWriter old_bytes;
  old_format.save(old_bytes);
  CHECK(spot_bytes.bytes() == old_bytes.bytes());

  PaperExchangeCore core(c);
  CoreHarness h(core);
  auto entry = order("short", Side::sell, OrderType::market, 0.5);
  entry.symbol = kPerp;
  h.feed(entry, 1000 * kMs);
  REQUIRE(of_type<OrderEvent>(h.feed(Trade{kPerp, px(60000), px(2), 9, 0, 0, false}, 1100 * kMs)).size() == 1);
  StateWriter w;
  core.save(w);
  PaperExchangeCore restored(c);
  StateReader r(w.bytes());
  REQUIRE(restored.load(r).has_value());
  StateWriter again;
  restored.save(again);
  CHECK(again.bytes() == w.bytes());
  // The restored venue liquidates the short where the original does.
  CoreHarness a(core), b(restored);
  const MarkPrice high{kPerp, px(61500), MarkSource::book_mid, 0};  // 2.5 % against 50x: past maintenance
  const auto la = of_type<Liquidation>(a.feed(high, 1200 * kMs));
  const auto lb = of_type<Liquidation>(b.feed(high, 1200 * kMs));
  REQUIRE(la.size() == 1);
  CHECK(la == lb);
  CHECK(la[0].qty == -px(0.5));
}

TEST_CASE("perpetuals: the paper venue refuses a reduce-only order that would open or grow a position, as Binance does") {
  PaperExchangeConfig c = cfg();
  c.perps.leverage = 5;
  c.perps.list.push_back(btc_perp());
  c.market.every_symbol.min_notional = px(100);
  PaperExchangeCore core(c);
  CoreHarness h(core);
  auto reduce = [&](const char* id, Side side, double qty, std::int64_t at_ms) {
    auto r = order(id, side, OrderType::market, qty);
    r.symbol = kPerp;
    r.reduce_only = true;
    return of_type<OrderEvent>(h.feed(r, at_ms * kMs));
  };
  // Flat: nothing to reduce.
  auto flat = reduce("r1", Side::sell, 1, 1000);
  REQUIRE(flat.size() == 1);
  CHECK(flat[0].kind == OrderEventKind::rejected);
  CHECK(flat[0].reason == "reduce-only order would open or grow the position");
  auto entry = order("short", Side::sell, OrderType::market, 0.5);
  entry.symbol = kPerp;
  h.feed(entry, 1001 * kMs);
  REQUIRE(of_type<OrderEvent>(h.feed(Trade{kPerp, px(60000), px(2), 9, 0, 0, false}, 1100 * kMs)).size() == 1);
  // Short 0.5: a reduce-only sell grows it, a buy of 1 would flip it; a buy of 0.5 closes it.
  CHECK(reduce("r2", Side::sell, 0.1, 1200).at(0).kind == OrderEventKind::rejected);
  CHECK(reduce("r3", Side::buy, 1, 1201).at(0).kind == OrderEventKind::rejected);
  // Below the minimum (0.001 at 60000: 60 < 100) an opening order is refused; a reduce-only
  // one is exempt, as on Binance's futures.
  auto small = order("n1", Side::buy, OrderType::market, 0.001);
  small.symbol = kPerp;
  CHECK(of_type<OrderEvent>(h.feed(small, 1202 * kMs)).at(0).reason ==
        "order value 60 (0.001 at 60000) is below the minimum 100 (market.min_notional)");
  CHECK(reduce("r5", Side::buy, 0.001, 1202).at(0).kind == OrderEventKind::accepted);
  auto cancel = small;
  cancel.client_order_id = "r5";
  cancel.cancel = true;
  CHECK(of_type<OrderEvent>(h.feed(cancel, 1202 * kMs)).at(0).kind == OrderEventKind::canceled);
  CHECK(reduce("r4", Side::buy, 0.5, 1202).at(0).kind == OrderEventKind::accepted);
  const auto closed = of_type<OrderEvent>(h.feed(Trade{kPerp, px(59000), px(2), 10, 0, 0, false}, 1300 * kMs));
  REQUIRE(closed.size() == 1);
  CHECK(closed[0].kind == OrderEventKind::filled);
  CHECK(closed[0].cum_qty == px(0.5));
}
