#include <doctest/doctest.h>

#include "credentials/jwt.hpp"
#include "exchange/sim/coinbase_api.hpp"
#include "exchange/sim/shift_times.hpp"
#include "ec_key.hpp"

using namespace trader;
using namespace trader::sim;
using trader::test::ec_key_pem;

namespace {
constexpr std::int64_t kOne = 100'000'000;

struct Sim {
  SimVenue venue{{{"USD", 1000 * kOne}}, 1000, SymbolFilters{}, FeeAsset::quote};
  CoinbaseApi api{venue};
  HttpAnswer post(std::string_view path, std::string_view body) { return api.answer("POST", path, {}, body, 1723161255000); }
  HttpAnswer get(std::string_view path, Params q = {}) { return api.answer("GET", path, q, "", 1723161255000); }
};

bool has(const HttpAnswer& a, std::string_view text) { return a.body.find(text) != std::string::npos; }

}  // namespace

TEST_CASE("coinbase sim: order ids look like Coinbase's and carry the venue's number") {
  CHECK(coinbase_order_id(7) == "00000000-0000-4000-8000-000000000007");
  CHECK(parse_coinbase_order_id("00000000-0000-4000-8000-0000000000ff") == 255);
  CHECK_FALSE(parse_coinbase_order_id("52cfe5e2-0b29-4c19-a245-a6a773de5030"));
  CHECK_FALSE(parse_coinbase_order_id("00000000-0000-4000-8000-00000000zz07"));
  CHECK(CoinbaseApi::is_private("/api/v3/brokerage/accounts"));
  CHECK_FALSE(CoinbaseApi::is_private("/api/v3/brokerage/market/products"));
  CHECK_FALSE(CoinbaseApi::is_private("/api/v3/brokerage/time"));
}

TEST_CASE("coinbase sim: a market buy for an amount of USD pays cost and fee in USD, to the unit") {
  Sim s;
  s.venue.on_trade("BTC-USD", 50000 * kOne, kOne, 1);
  auto r = s.post("/api/v3/brokerage/orders",
                  R"({"client_order_id":"c1","product_id":"BTC-USD","side":"BUY","order_configuration":{"market_market_ioc":{"quote_size":"100"}}})");
  REQUIRE(r.status == 200);
  CHECK(has(r, R"("success":true)"));
  CHECK(has(r, R"("order_id":"00000000-0000-4000-8000-000000000001")"));
  // 100 USD buys 0.002 BTC at 50000 (on the 0.00001 step): 100 USD and a 0.1% fee of 0.1 USD.
  CHECK(s.venue.balances().at("USD") == 1000 * kOne - 100 * kOne - kOne / 10);
  CHECK(s.venue.balances().at("BTC") == 200'000);
  auto o = s.get("/api/v3/brokerage/orders/historical/00000000-0000-4000-8000-000000000001");
  CHECK(has(o, R"("status":"FILLED")"));
  CHECK(has(o, R"("filled_size":"0.002")"));
  CHECK(has(o, R"("filled_value":"100")"));
  CHECK(has(o, R"("total_fees":"0.1")"));
  CHECK(has(o, R"("average_filled_price":"50000")"));
  CHECK(has(o, R"("created_time":"2024-08-08T23:54:15.000Z")"));
  // The same client order id: the order it has, nothing placed.
  r = s.post("/api/v3/brokerage/orders",
             R"({"client_order_id":"c1","product_id":"BTC-USD","side":"BUY","order_configuration":{"market_market_ioc":{"quote_size":"100"}}})");
  CHECK(has(r, R"("order_id":"00000000-0000-4000-8000-000000000001")"));
  CHECK(s.venue.orders() == 1);
  auto fills = s.get("/api/v3/brokerage/orders/historical/fills", {{"product_id", "BTC-USD"}});
  CHECK(has(fills, R"("size":"0.002","commission":"0.1")"));
  CHECK(has(fills, R"("liquidity_indicator":"TAKER")"));
}

TEST_CASE("coinbase sim: a resting limit holds cost and fee, a cancel frees it, a second cancel is refused") {
  Sim s;
  s.venue.on_trade("BTC-USD", 50000 * kOne, kOne, 1);
  auto r = s.post("/api/v3/brokerage/orders",
                  R"({"client_order_id":"l1","product_id":"BTC-USD","side":"BUY","order_configuration":{"limit_limit_gtc":{"base_size":"0.01","limit_price":"1000","post_only":false}}})");
  REQUIRE(has(r, R"("success":true)"));
  CHECK(s.venue.locked("USD") == 10 * kOne + kOne / 100);  // 10 USD and its 0.01 fee
  CHECK(has(s.get("/api/v3/brokerage/accounts"), R"("hold":{"value":"10.01","currency":"USD"})"));
  CHECK(has(s.get("/api/v3/brokerage/orders/historical/batch", {{"order_status", "OPEN"}}), R"("client_order_id":"l1")"));
  r = s.post("/api/v3/brokerage/orders/batch_cancel", R"({"order_ids":["00000000-0000-4000-8000-000000000001"]})");
  CHECK(has(r, R"("success":true)"));
  CHECK(s.venue.locked("USD") == 0);
  CHECK(s.venue.balances().at("USD") == 1000 * kOne);
  r = s.post("/api/v3/brokerage/orders/batch_cancel", R"({"order_ids":["00000000-0000-4000-8000-000000000001","x"]})");
  CHECK(has(r, R"("success":false,"failure_reason":"DUPLICATE_CANCEL_REQUEST")"));
  CHECK(has(r, R"("success":false,"failure_reason":"UNKNOWN_CANCEL_ORDER","order_id":"x")"));
  // A trade through a resting limit fills it as the maker, at its price.
  s.post("/api/v3/brokerage/orders",
         R"({"client_order_id":"l2","product_id":"BTC-USD","side":"BUY","order_configuration":{"limit_limit_gtc":{"base_size":"0.01","limit_price":"49000"}}})");
  s.venue.on_trade("BTC-USD", 48000 * kOne, kOne, 2);
  CHECK(has(s.get("/api/v3/brokerage/orders/historical/00000000-0000-4000-8000-000000000002"), R"("status":"FILLED")"));
  CHECK(s.venue.balances().at("USD") == 1000 * kOne - 490 * kOne - 49 * kOne / 100);
  CHECK(has(s.get("/api/v3/brokerage/orders/historical/fills"), R"("liquidity_indicator":"MAKER")"));
}

TEST_CASE("coinbase sim: refusals in Coinbase's words") {
  Sim s;
  s.venue.on_trade("BTC-USD", 50000 * kOne, kOne, 1);
  auto order = [&](const std::string& config) {
    return s.post("/api/v3/brokerage/orders",
                  R"({"client_order_id":")" + std::to_string(s.venue.orders() + 100) +
                      R"(","product_id":"BTC-USD","side":"BUY","order_configuration":)" + config + "}");
  };
  CHECK(has(order(R"({"market_market_ioc":{"quote_size":"5000"}})"), R"("preview_failure_reason":"PREVIEW_INSUFFICIENT_FUND")"));
  CHECK(has(order(R"({"limit_limit_gtc":{"base_size":"0.00001","limit_price":"1000"}})"), "PREVIEW_INVALID_QUOTE_SIZE_TOO_SMALL"));
  CHECK(has(order(R"({"limit_limit_gtc":{"base_size":"0.000015","limit_price":"50000"}})"), "INVALID_SIZE_PRECISION"));
  CHECK(has(order(R"({"limit_limit_gtc":{"base_size":"0.01","limit_price":"50001","post_only":true}})"),
            "INVALID_LIMIT_PRICE_POST_ONLY"));
  CHECK(has(order(R"({"twap_limit_gtd":{}})"), "UNSUPPORTED_ORDER_CONFIGURATION"));
  CHECK(s.venue.orders() == 0);
  const auto nope = s.get("/api/v3/brokerage/orders/historical/00000000-0000-4000-8000-000000000063");
  CHECK(nope.status == 404);
  CHECK(has(nope, "order with this orderID was not found"));
  CHECK(s.get("/api/v3/brokerage/products/ETH-USD").status == 404);
  CHECK(s.get("/api/v3/brokerage/nothing").status == 404);
  CHECK(has(s.get("/api/v3/brokerage/market/products", {{"product_type", "FUTURE"}}), R"("num_products":0)"));
}

TEST_CASE("coinbase sim: the JWT must be this key's, for this request, and fresh") {
  const std::string pem = ec_key_pem();
  const std::string name = "organizations/o/apiKeys/k";
  const std::int64_t now = 1723161255;
  auto token = [&](std::int64_t at, std::string uri, std::string key_name = "") {
    auto t = credentials::es256_jwt(pem, {key_name.empty() ? name : key_name, at, std::move(uri), "00"});
    REQUIRE(t.has_value());
    return "Bearer " + *t;
  };
  const std::string uri = "GET 127.0.0.1:8443/api/v3/brokerage/accounts";
  auto check_auth = [&](const std::string& auth) {
    return coinbase_auth_error(auth, "GET", "127.0.0.1:8443", "/api/v3/brokerage/accounts", name, pem, now);
  };
  CHECK_FALSE(check_auth(token(now, uri)));
  CHECK_FALSE(check_auth(token(now - 100, uri)));  // still within its 120 s
  auto why = [&](const std::string& auth) {
    auto e = check_auth(auth);
    REQUIRE(e);
    CHECK(e->status == 401);
    return e->body;
  };
  CHECK(why(token(now - 121, uri)).find("expired") != std::string::npos);
  CHECK(why(token(now + 60, uri)).find("not valid yet") != std::string::npos);
  CHECK(why(token(now, "GET 127.0.0.1:8443/api/v3/brokerage/orders")).find("uri is not") != std::string::npos);
  CHECK(why(token(now, "")).find("uri is not") != std::string::npos);  // a WebSocket token is no REST token
  CHECK(why(token(now, uri, "organizations/o/apiKeys/other")).find("kid is not this API key") != std::string::npos);
  CHECK(why("Basic abc").find("Bearer") != std::string::npos);
  auto t = token(now, uri);
  char& c = t[t.size() - 20];  // in the signature's s
  c = c == 'A' ? 'B' : 'A';
  CHECK(why(t).find("signature") != std::string::npos);
}

TEST_CASE("coinbase sim: a recorded frame's times move to the sim's now, to the microsecond") {
  const std::string frame =
      R"({"channel":"market_trades","timestamp":"2024-08-08T23:54:15.343000Z","sequence_num":4,"events":[{"type":"update",)"
      R"("trades":[{"trade_id":"3735683259","product_id":"BTC-USD","price":"61837.63","size":"0.02","side":"SELL",)"
      R"("time":"2024-08-08T23:54:15.342123Z"}]},{"candles":[{"start":"1723161000","open":"1"}]}]})";
  const std::string shifted = shift_coinbase_times(frame, 86'400'001);  // a day and a millisecond
  CHECK(shifted.find(R"("timestamp":"2024-08-09T23:54:15.344000Z")") != std::string::npos);
  CHECK(shifted.find(R"("time":"2024-08-09T23:54:15.343123Z")") != std::string::npos);
  CHECK(shifted.find(R"("start":"1723247400")") != std::string::npos);
  CHECK(shifted.find(R"("trade_id":"3735683259","product_id":"BTC-USD","price":"61837.63")") != std::string::npos);
  CHECK(shift_coinbase_times(frame, 0) == frame);  // nothing else is touched
}
