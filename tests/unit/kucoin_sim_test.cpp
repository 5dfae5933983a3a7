#include <doctest/doctest.h>

#include "credentials/kucoin_sign.hpp"
#include "exchange/kucoin/handshake.hpp"
#include "exchange/sim/kucoin_api.hpp"
#include "exchange/sim/kucoin_futures_api.hpp"
#include "exchange/sim/shift_times.hpp"

using namespace trader;
using namespace trader::sim;

namespace {
constexpr std::int64_t kOne = 100'000'000;
constexpr std::int64_t kNow = 1723161255000;

struct Sim {
  SimVenue venue{{{"USDT", 1000 * kOne}}, 1000, SymbolFilters{}, FeeAsset::quote};
  KucoinApi api{venue};
  HttpAnswer post(std::string_view path, std::string_view body) { return api.answer("POST", path, {}, body, kNow); }
  HttpAnswer get(std::string_view path, Params q = {}) { return api.answer("GET", path, q, "", kNow); }
  HttpAnswer del(std::string_view path, Params q = {}) { return api.answer("DELETE", path, q, "", kNow); }
};

bool has(const HttpAnswer& a, std::string_view text) { return a.body.find(text) != std::string::npos; }

}  // namespace

TEST_CASE("kucoin sim: order ids are 24 hex digits carrying the venue's number") {
  CHECK(kucoin_order_id(7) == "000000000000000000000007");
  CHECK(parse_kucoin_order_id("0000000000000000000000ff") == 255);
  CHECK_FALSE(parse_kucoin_order_id("670fd33bf9406e0007ab394"));   // 23 digits
  CHECK_FALSE(parse_kucoin_order_id("00000000000000000000zz07"));
  CHECK(KucoinApi::is_private("/api/v1/accounts"));
  CHECK(KucoinApi::is_private("/api/v1/hf/orders"));
  CHECK_FALSE(KucoinApi::is_private("/api/v2/symbols"));
  CHECK_FALSE(KucoinApi::is_private("/api/v1/timestamp"));
}

TEST_CASE("kucoin sim: a market buy pays cost and fee in USDT, to the unit, and reads back by both ids") {
  Sim s;
  s.venue.on_trade("BTC-USDT", 50000 * kOne, kOne, 1);
  auto r = s.post("/api/v1/hf/orders", R"({"clientOid":"c1","symbol":"BTC-USDT","side":"buy","type":"market","size":"0.002"})");
  REQUIRE(r.status == 200);
  CHECK(r.body == R"({"code":"200000","data":{"orderId":"000000000000000000000001","clientOid":"c1"}})");
  // 0.002 BTC at 50000: 100 USDT and a 0.1% fee of 0.1 USDT.
  CHECK(s.venue.balances().at("USDT") == 1000 * kOne - 100 * kOne - kOne / 10);
  CHECK(s.venue.balances().at("BTC") == 200'000);
  for (const auto& path : {"/api/v1/hf/orders/000000000000000000000001", "/api/v1/hf/orders/client-order/c1"}) {
    auto o = s.get(path, {{"symbol", "BTC-USDT"}});
    CHECK(has(o, R"("dealSize":"0.002")"));
    CHECK(has(o, R"("dealFunds":"100")"));
    CHECK(has(o, R"("fee":"0.1","feeCurrency":"USDT")"));
    CHECK(has(o, R"("active":false)"));
  }
  // Another symbol's lookup does not find it (KuCoin scopes HF orders by symbol).
  CHECK(has(s.get("/api/v1/hf/orders/client-order/c1", {{"symbol", "ETH-USDT"}}), "order not exist."));
  auto f = s.get("/api/v1/hf/fills", {{"symbol", "BTC-USDT"}, {"orderId", "000000000000000000000001"}});
  CHECK(has(f, R"("price":"50000","size":"0.002","funds":"100","fee":"0.1","feeRate":"0.001","feeCurrency":"USDT")"));
  CHECK(has(f, R"("liquidity":"taker")"));
  auto a = s.get("/api/v1/accounts", {{"type", "trade"}});
  CHECK(has(a, R"("currency":"USDT","type":"trade","balance":"899.9","available":"899.9","holds":"0")"));
}

TEST_CASE("kucoin sim: a buy by funds, a resting limit's hold, its cancel, and KuCoin's refusals") {
  Sim s;
  s.venue.on_trade("BTC-USDT", 50000 * kOne, kOne, 1);
  auto funds = s.post("/api/v1/hf/orders", R"({"clientOid":"f1","symbol":"BTC-USDT","side":"buy","type":"market","funds":"20"})");
  REQUIRE(funds.status == 200);
  CHECK(s.venue.balances().at("BTC") == 40'000);  // 20 USDT buys 0.0004 BTC at 50000
  auto rest = s.post("/api/v1/hf/orders",
                     R"({"clientOid":"l1","symbol":"BTC-USDT","side":"buy","type":"limit","price":"1000","size":"0.01"})");
  REQUIRE(rest.status == 200);
  CHECK(has(s.get("/api/v1/accounts"), R"("currency":"USDT","type":"trade","balance":"979.98","available":"969.97","holds":"10.01")"));
  CHECK(has(s.get("/api/v1/hf/orders/active", {{"symbol", "BTC-USDT"}}), R"("clientOid":"l1")"));
  CHECK(s.del("/api/v1/hf/orders/client-order/l1", {{"symbol", "BTC-USDT"}}).body == R"({"code":"200000","data":{"clientOid":"l1"}})");
  CHECK(has(s.del("/api/v1/hf/orders/client-order/l1", {{"symbol", "BTC-USDT"}}), "order_not_exist_or_not_allow_to_cancel"));
  CHECK(has(s.get("/api/v1/hf/orders/done", {{"symbol", "BTC-USDT"}}), R"("cancelExist":true)"));
  // The same clientOid twice: refused, nothing placed.
  const auto orders = s.venue.orders();
  CHECK(has(s.post("/api/v1/hf/orders", R"({"clientOid":"l1","symbol":"BTC-USDT","side":"buy","type":"limit","price":"1000","size":"0.01"})"),
            R"("code":"126033")"));
  CHECK(s.venue.orders() == orders);
  CHECK(has(s.post("/api/v1/hf/orders", R"({"clientOid":"big","symbol":"BTC-USDT","side":"buy","type":"market","size":"1"})"),
            R"({"code":"200004","msg":"Balance insufficient!"})"));
  CHECK(has(s.post("/api/v1/hf/orders", R"({"clientOid":"odd","symbol":"BTC-USDT","side":"buy","type":"limit","price":"1000","size":"0.000015"})"),
            "Order size increment invalid."));
  CHECK(has(s.post("/api/v1/hf/orders", R"({"clientOid":"x","symbol":"DOGE-USDT","side":"buy","type":"market","size":"1"})"),
            "Unsupported trading pair."));
  CHECK(s.get("/api/v1/nothing").status == 404);
}

TEST_CASE("kucoin sim: signed requests are checked in KuCoin's order, with its codes") {
  credentials::ApiCredentials c{"key-1", "secret-1", "pass-1"};
  const std::string target = "/api/v1/accounts?type=trade";
  auto h = credentials::kucoin_headers(c, kNow, "GET", target, "");
  auto check = [&](const credentials::KucoinHeaders& x, std::string_view t = "/api/v1/accounts?type=trade", std::int64_t now = kNow) {
    return kucoin_auth_error({x.key, x.sign, x.timestamp, x.passphrase, x.key_version}, "GET", t, "", "key-1", "secret-1",
                             "pass-1", now);
  };
  CHECK_FALSE(check(h));
  auto code_of = [](const std::optional<HttpAnswer>& a) {
    REQUIRE(a);
    CHECK(a->status == 401);
    return a->body.substr(9, 6);
  };
  auto missing = h;
  missing.passphrase.clear();
  CHECK(code_of(check(missing)) == "400001");
  CHECK(code_of(check(h, target, kNow + 6000)) == "400002");
  auto other_key = h;
  other_key.key = "key-2";
  CHECK(code_of(check(other_key)) == "400003");
  CHECK(code_of(check(credentials::kucoin_headers({"key-1", "secret-1", "pass-2"}, kNow, "GET", target, ""))) == "400004");
  CHECK(code_of(check(h, "/api/v1/accounts?type=main")) == "400005");  // signed for another request
}

TEST_CASE("kucoin futures sim: lots of the recorded contract, isolated leverage from the order, KuCoin's codes") {
  SimVenue venue{{{"USDT", 1000 * kOne}}, 1000, SymbolFilters{}, FeeAsset::quote, AccountKind::usdm};
  KucoinFuturesApi api{venue};
  CHECK_FALSE(api.add_contract(R"({"code":"200000","data":{"symbol":"XBTUSDTM"}})"));  // no multiplier
  REQUIRE(api.add_contract(R"({"code":"200000","data":{"symbol":"XBTUSDTM","multiplier":0.001,"tickSize":0.1}})"));
  venue.on_trade("XBTUSDTM", 50000 * kOne, kOne, 1);
  auto post = [&](std::string_view body) { return api.answer("POST", "/api/v1/orders", {}, body, kNow); };
  // A leverage that is not a whole number is refused as a bad request, not as a missing order.
  for (const char* bad : {R"("5x")", R"("0")", "126"}) {
    auto r = post(std::string(R"({"clientOid":"b","symbol":"XBTUSDTM","side":"buy","type":"market","size":1,"leverage":)") +
                  bad + "}");
    CHECK(r.status == 400);
    CHECK(has(r, R"("code":"400100")"));
  }
  // 3 lots of 0.001 XBT at 50000, isolated at 4x: the position takes the order's leverage.
  auto r = post(R"({"clientOid":"k1","symbol":"XBTUSDTM","side":"sell","type":"market","size":3,"leverage":"4"})");
  REQUIRE(r.status == 200);
  CHECK(venue.positions().at("XBTUSDTM").qty == -3 * kOne / 1000);
  CHECK(venue.positions().at("XBTUSDTM").leverage == 4);
  auto o = api.answer("GET", "/api/v1/orders/byClientOid", {{"clientOid", "k1"}}, "", kNow);
  CHECK(has(o, R"("size":3,"value":"0","dealValue":"150")"));
  CHECK(has(o, R"("marginMode":"ISOLATED")"));
  CHECK(api.answer("GET", "/api/v1/orders/byClientOid", {{"clientOid", "none"}}, "", kNow).body ==
        R"({"code":"200000","data":null})");
  CHECK(has(api.answer("GET", "/api/v1/orders/0000000000000000000000ff", {}, "", kNow), R"("code":"100001")"));
  // Cross leverage is refused while the symbol is isolated; the mode does not change with a position open.
  CHECK(has(api.answer("POST", "/api/v2/changeCrossUserLeverage", {}, R"({"symbol":"XBTUSDTM","leverage":"5"})", kNow),
            "is ISOLATED"));
  CHECK(has(api.answer("POST", "/api/v2/position/changeMarginMode", {}, R"({"symbol":"XBTUSDTM","marginMode":"CROSS"})", kNow),
            "cannot be changed while a position is open"));
  // A cross order on an isolated symbol: refused, naming both modes.
  CHECK(has(post(R"({"clientOid":"k2","symbol":"XBTUSDTM","side":"sell","type":"market","size":1,"marginMode":"CROSS"})"),
            "The margin mode of XBTUSDTM is ISOLATED: the order's is CROSS."));
}

TEST_CASE("kucoin sim: frames move to now, milliseconds and trade nanoseconds alike") {
  const std::string match =
      R"({"topic":"/market/match:BTC-USDT","data":{"price":"61837.63","sequence":"3735683259","time":"1723161255342000000","tradeId":"3735683259"}})";
  const auto shifted = shift_kucoin_times(match, 1723161254087, 1000);
  CHECK(shifted.find(R"("time":"1723161256342000000")") != std::string::npos);
  CHECK(shifted.find(R"("sequence":"3735683259")") != std::string::npos);  // ids stay
  const std::string ticker = R"({"topic":"/market/ticker:BTC-USDT","data":{"sequence":"50093239219","time":1723161255343}})";
  CHECK(shift_kucoin_times(ticker, 1723161254116, 1000).find(R"("time":1723161256343})") != std::string::npos);
  // KuCoin Futures: bare nanosecond numbers after "ts"; sequences and sizes stay.
  const std::string execution =
      R"({"topic":"/contractMarket/execution:XBTUSDTM","sn":5266583935,"data":{"sequence":5266583935,"size":6,)"
      R"("tradeId":"5266583935","ts":1723161256322000000}})";
  const auto moved = shift_kucoin_times(execution, 1723161255088, 1000);
  CHECK(moved.find(R"("ts":1723161257322000000})") != std::string::npos);
  CHECK(moved.find(R"("sequence":5266583935,"size":6,)") != std::string::npos);
  const std::string ticker_v2 = R"({"data":{"bestAskSize":2510,"ts":1723161256313000000,"sequence":5123107839020}})";
  CHECK(shift_kucoin_times(ticker_v2, 1723161255088, -5).find(R"("ts":1723161256308000000,)") != std::string::npos);
}

TEST_CASE("kucoin handshake: a frame's kind names welcome, ack and KuCoin's errors") {
  CHECK(kucoin::frame_kind(R"({"id":"c-1","type":"welcome"})")->type == "welcome");
  CHECK(kucoin::frame_kind(R"({"id":"7","type":"ack"})")->id == "7");
  auto e = kucoin::frame_kind(R"({"id":"c-1","type":"error","code":401,"data":"token is expired"})");
  REQUIRE(e);
  CHECK(e->error == "kucoin error 401: token is expired");
  CHECK_FALSE(kucoin::frame_kind("not json"));
}
