#include <doctest/doctest.h>

#include "actors/order/order_core.hpp"
#include "core_harness.hpp"

using namespace trader;
using test::CoreHarness;
using test::of_type;
using test::px;

TEST_CASE("approved decisions become requests to the venue with a client id from the journal seq") {
  OrderCore core({"n1-"});
  CoreHarness h(core);
  RiskDecision d;
  d.intent_id = 9;
  d.approved = true;
  d.approved_qty = px(0.5);
  d.symbol = "BTCUSDT";
  d.side = Side::buy;
  d.type = OrderType::limit;
  d.limit_price = px(100);
  const auto& out = h.feed(d);
  REQUIRE(out.size() == 1);
  CHECK(out[0].destination == Actor::exchange);
  const auto r = std::get<OrderRequest>(out[0].message);
  CHECK(r.client_order_id == "n1-" + std::to_string(h.last_seq()));
  CHECK(r.qty == px(0.5));
  CHECK(r.limit_price == px(100));
  CHECK(r.intent_id == 9);
  CHECK(core.open_orders().size() == 1);

  d.approved = false;
  CHECK(h.feed(d).empty());  // a rejection sends nothing

  // Flatten cancels what is open; a final event closes it.
  const auto cancels = of_type<OrderRequest>(h.feed(OperatorCommand{OperatorCommandKind::flatten, "cli", "", 0}));
  REQUIRE(cancels.size() == 1);
  CHECK(cancels[0].cancel);
  CHECK(cancels[0].client_order_id == r.client_order_id);
  OrderEvent e;
  e.client_order_id = r.client_order_id;
  e.kind = OrderEventKind::canceled;
  h.feed(e);
  CHECK(core.open_orders().empty());
}

namespace {
RiskDecision approved(const char* symbol, Side side, OrderType type, double qty, double limit, std::int64_t ts_ms,
                      bool is_exit = false) {
  RiskDecision d;
  d.intent_id = 7;
  d.approved = true;
  d.approved_qty = px(qty);
  d.symbol = symbol;
  d.side = side;
  d.type = type;
  d.limit_price = px(limit);
  d.ts_ms = ts_ms;
  d.is_exit = is_exit;
  return d;
}
ClockTick tick_at_ms(std::int64_t ms) { return ClockTick{ms * 1'000'000}; }
// A decision whose input was received at `ms`: expiry counts from then.
const Outbox& decide_at(CoreHarness& h, const RiskDecision& d) { return h.feed(d, d.ts_ms * 1'000'000); }
}  // namespace

TEST_CASE("a limit order still open limit_ttl_ms after its decision is canceled once, at the first tick past it") {
  OrderCore core({"c", 30'000});
  CoreHarness h(core);
  const auto placed = of_type<OrderRequest>(decide_at(h, approved("BTCUSDT", Side::buy, OrderType::limit, 0.5, 100, 60'000)));
  REQUIRE(placed.size() == 1);
  decide_at(h, approved("BTCUSDT", Side::buy, OrderType::market, 0.1, 0, 60'000));  // a market order never expires here
  CHECK(h.feed(tick_at_ms(89'999)).empty());
  // Partly filled meanwhile: still open, still canceled at its time.
  OrderEvent part;
  part.client_order_id = placed[0].client_order_id;
  part.kind = OrderEventKind::partially_filled;
  part.cum_qty = px(0.2);
  h.feed(part);
  const auto cancels = of_type<OrderRequest>(h.feed(tick_at_ms(90'000)));
  REQUIRE(cancels.size() == 1);
  CHECK(cancels[0].cancel);
  CHECK(cancels[0].client_order_id == placed[0].client_order_id);
  CHECK(cancels[0].symbol == "BTCUSDT");
  CHECK(cancels[0].ts_ms == 90'000);
  CHECK(h.feed(tick_at_ms(91'000)).empty());  // sent once; the venue's answer ends it
  CHECK(core.open_orders().size() == 2);
  OrderEvent done = part;
  done.kind = OrderEventKind::canceled;
  h.feed(done);
  CHECK(core.open_orders().size() == 1);

  OrderCore forever({"c", 0});  // 0: rests until filled or canceled
  CoreHarness f(forever);
  decide_at(f, approved("BTCUSDT", Side::buy, OrderType::limit, 0.5, 100, 0));
  CHECK(f.feed(tick_at_ms(86'400'000)).empty());
}

TEST_CASE("a perpetual's exit is sent reduce-only, its entries and every spot order are not") {
  OrderCore core({"c", 0});
  CoreHarness h(core);
  const char* perp = "BTCUSDT@binance_usdm";
  const auto entry = of_type<OrderRequest>(decide_at(h, approved(perp, Side::sell, OrderType::market, 0.5, 0, 1)));
  const auto exit = of_type<OrderRequest>(decide_at(h, approved(perp, Side::buy, OrderType::market, 0.5, 0, 2, true)));
  const auto spot_exit = of_type<OrderRequest>(decide_at(h, approved("BTCUSDT", Side::sell, OrderType::market, 0.5, 0, 3, true)));
  REQUIRE(entry.size() == 1);
  REQUIRE(exit.size() == 1);
  REQUIRE(spot_exit.size() == 1);
  CHECK_FALSE(entry[0].reduce_only);
  CHECK(exit[0].reduce_only);
  CHECK_FALSE(spot_exit[0].reduce_only);  // a spot sell cannot open a short anyway
}

TEST_CASE("an approved exit cancels the symbol's resting limit entries before it is sent") {
  OrderCore core({"c", 0});
  CoreHarness h(core);
  const auto btc = of_type<OrderRequest>(decide_at(h, approved("BTCUSDT", Side::buy, OrderType::limit, 0.5, 100, 1)));
  decide_at(h, approved("ETHUSDT", Side::buy, OrderType::limit, 1, 10, 1));
  const auto& out = decide_at(h, approved("BTCUSDT", Side::sell, OrderType::market, 0.2, 0, 2, true));
  const auto requests = of_type<OrderRequest>(out);
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].cancel);
  CHECK(requests[0].client_order_id == btc.at(0).client_order_id);  // ETHUSDT's entry rests on
  CHECK_FALSE(requests[1].cancel);
  CHECK(requests[1].side == Side::sell);
  // A flatten afterwards cancels what is open, but not twice what a cancel was sent for.
  const auto flatten = of_type<OrderRequest>(h.feed(OperatorCommand{OperatorCommandKind::flatten, "cli", "", 0}));
  REQUIRE(flatten.size() == 2);
  CHECK(flatten[0].client_order_id == "c2");  // ETHUSDT's entry
  CHECK(flatten[1].client_order_id == "c3");  // the exit itself
}

TEST_CASE("order snapshots keep limit orders' expiry, a snapshot of market orders alone is as before") {
  OrderCore market({"c", 1000});
  CoreHarness m(market);
  decide_at(m, approved("BTCUSDT", Side::buy, OrderType::market, 0.5, 0, 5));
  StateWriter before;
  market.save(before);
  // The layout of a market order's entry, field by field, with nothing after it.
  StateWriter expected;
  expected.u32(1);
  expected.str("c1");
  expected.str("BTCUSDT");
  expected.u32(0);
  expected.i64(px(0.5));
  expected.i64(0);
  expected.u64(7);
  CHECK(before.bytes() == expected.bytes());

  OrderCore core({"c", 1000});
  CoreHarness h(core);
  decide_at(h, approved("BTCUSDT", Side::buy, OrderType::limit, 0.5, 100, 5));
  decide_at(h, approved("BTCUSDT", Side::buy, OrderType::market, 0.1, 0, 5));
  StateWriter w;
  core.save(w);
  OrderCore restored({"c", 1000});
  StateReader r(w.bytes());
  REQUIRE(restored.load(r).has_value());
  CoreHarness h2(restored);
  const auto cancels = of_type<OrderRequest>(h2.feed(tick_at_ms(1005)));
  REQUIRE(cancels.size() == 1);
  CHECK(cancels[0].client_order_id == "c1");
  StateWriter w2;
  restored.save(w2);
  OrderCore again({"c", 1000});
  StateReader r2(w2.bytes());
  REQUIRE(again.load(r2).has_value());
  CoreHarness h3(again);
  CHECK(h3.feed(tick_at_ms(2000)).empty());  // the cancel was sent before the snapshot

  auto cut = w.bytes();
  cut.resize(cut.size() - 3);
  StateReader bad(cut);
  CHECK_FALSE(OrderCore({"c", 1000}).load(bad).has_value());
}

TEST_CASE("a cancel sent before a snapshot is not sent again after a restore") {
  OrderCore core({"c", 0});
  CoreHarness h(core);
  decide_at(h, approved("BTCUSDT", Side::buy, OrderType::market, 0.5, 0, 5));
  CHECK(of_type<OrderRequest>(h.feed(OperatorCommand{OperatorCommandKind::flatten, "cli", "", 0})).size() == 1);
  StateWriter w;
  core.save(w);
  OrderCore restored({"c", 0});
  StateReader r(w.bytes());
  REQUIRE(restored.load(r).has_value());
  CoreHarness h2(restored);
  CHECK(h2.feed(OperatorCommand{OperatorCommandKind::flatten, "cli", "", 0}).empty());
}

TEST_CASE("limit expiry counts receive time, the clock ticks' own clock, whatever the exchange's data time says") {
  OrderCore core({"c", 30'000});
  CoreHarness h(core);
  // A feed replayed faster than real time runs its data time ahead of its receive time.
  const RiskDecision ahead = approved("BTCUSDT", Side::buy, OrderType::limit, 0.5, 100, 600'000);
  h.feed(ahead, 60'000LL * 1'000'000);
  CHECK(h.feed(tick_at_ms(89'000)).empty());
  CHECK(of_type<OrderRequest>(h.feed(tick_at_ms(90'000))).size() == 1);
}
