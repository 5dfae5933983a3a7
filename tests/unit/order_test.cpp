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
