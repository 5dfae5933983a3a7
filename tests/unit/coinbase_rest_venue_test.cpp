// Coinbase Advanced Trade REST as a Venue, against exchange-sim's Coinbase personality over
// TLS on loopback: every private request carries a fresh ES256 JWT the sim verifies.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "ec_key.hpp"
#include "exchange/coinbase/rest_venue.hpp"
#include "exchange/net/tls.hpp"
#include "exchange/sim/sim_server.hpp"

using namespace trader;

namespace {
constexpr std::int64_t kOne = 100'000'000;
constexpr const char* kKeyName = "organizations/sim-org/apiKeys/node-key";

OrderRequest order(const std::string& cid, Side side, OrderType type, std::int64_t qty, std::int64_t price = 0) {
  OrderRequest r;
  r.client_order_id = cid;
  r.symbol = "BTC-USD@coinbase";
  r.side = side;
  r.type = type;
  r.qty = qty;
  r.limit_price = price;
  return r;
}
}  // namespace

TEST_CASE("coinbase answers parse: orders by their configuration and status, products into rules, trade ids") {
  auto o = coinbase::parse_order(
      R"({"order_id":"a1","product_id":"BTC-USD","side":"SELL","client_order_id":"c9","status":"OPEN",)"
      R"("order_configuration":{"limit_limit_gtc":{"base_size":"0.5","limit_price":"70000","post_only":false}},)"
      R"("filled_size":"0.2","filled_value":"14000","created_time":"2024-08-08T23:54:15.5Z","last_fill_time":null})");
  REQUIRE(o.has_value());
  CHECK(o->symbol == "BTC-USD@coinbase");
  CHECK(o->side == Side::sell);
  CHECK(o->status == VenueOrderStatus::partially_filled);
  CHECK(o->orig_qty == kOne / 2);
  CHECK(o->executed_qty == kOne / 5);
  CHECK(o->quote_qty == 14000 * kOne);
  CHECK(o->update_ms == 1723161255500);
  for (auto [status, expected] : {std::pair{"FILLED", VenueOrderStatus::filled}, {"CANCELLED", VenueOrderStatus::canceled},
                                  {"EXPIRED", VenueOrderStatus::expired}, {"FAILED", VenueOrderStatus::rejected}}) {
    auto s = coinbase::parse_order(fmt::format(
        R"({{"order_id":"a","product_id":"BTC-USD","side":"BUY","status":"{}","filled_size":"0","filled_value":"0"}})", status));
    REQUIRE(s.has_value());
    CHECK(s->status == expected);
  }
  auto odd = coinbase::parse_order(R"({"order_id":"a","product_id":"BTC-USD","side":"BUY","status":"MAYBE","filled_size":"0","filled_value":"0"})");
  REQUIRE_FALSE(odd.has_value());
  CHECK(odd.error().kind == VenueFailure::Kind::unknown);
  CHECK(odd.error().message.find("MAYBE") != std::string::npos);

  auto rules = coinbase::parse_product_rules(
      R"({"product_id":"ETH-USD","base_increment":"0.00000001","quote_increment":"0.01","price_increment":"0.01",)"
      R"("base_min_size":"0.00000001","base_max_size":"15000","quote_min_size":"1"})");
  REQUIRE(rules.has_value());
  CHECK(rules->symbol == "ETH-USD@coinbase");
  CHECK(rules->step_size == 1);
  CHECK(rules->tick_size == kOne / 100);
  CHECK(rules->max_qty == 15000 * kOne);
  CHECK(rules->min_notional == kOne);
  CHECK_FALSE(coinbase::parse_product_rules(R"({"product_id":"ETH-USD","base_increment":"x"})").has_value());

  CHECK(trader::trade_number("123456") == 123456);
  CHECK(trader::trade_number("1111-11111-111111") == trader::trade_number("1111-11111-111111"));
  CHECK(trader::trade_number("1111-11111-111111") != trader::trade_number("1111-11111-111112"));
}

TEST_CASE("coinbase REST venue against exchange-sim over TLS: JWT per request, orders, lookups, fills, refusals") {
  auto cert = net::make_self_signed();
  REQUIRE(cert.has_value());
  const std::string dir = std::filesystem::temp_directory_path() / "trader_coinbase_venue_test";
  std::filesystem::create_directories(dir);
  const std::string ca = dir + "/sim.pem";
  { std::ofstream(ca) << cert->cert_pem; }
  const std::string key = test::ec_key_pem();
  sim::SimOptions options;
  options.venue = VenueId::coinbase;
  options.api_key = kKeyName;
  options.api_secret = key;
  options.captures = {std::string(TRADER_TEST_DATA_DIR) + "/coinbase_btcusd_20240808.gz"};
  options.balances = {{"USD", 1000 * kOne}};
  auto server = sim::SimServer::start(options, *cert);
  REQUIRE(server.has_value());
  std::thread serving([&] { (*server)->run(); });

  coinbase::RestVenueOptions vo;
  vo.base_url = "https://127.0.0.1:" + std::to_string((*server)->port());
  vo.ca_file = ca;
  vo.credentials = {kKeyName, key};
  auto venue = coinbase::RestVenue::create(vo);
  REQUIRE(venue.has_value());
  auto& v = **venue;
  auto offset = v.sync_time();
  REQUIRE(offset.has_value());
  CHECK(std::abs(*offset) < 1000);

  // Rules and price, named by instrument; a Binance symbol is not Coinbase's to look up.
  auto rules = v.rules("BTC-USD@coinbase");
  REQUIRE(rules.has_value());
  CHECK(rules->symbol == "BTC-USD@coinbase");
  CHECK(rules->step_size == 1'000);
  CHECK(rules->tick_size == kOne / 100);
  CHECK(rules->min_notional == 5 * kOne);
  auto opening = v.price("BTC-USD@coinbase");
  REQUIRE(opening.has_value());
  CHECK(*opening == 6183763000000);  // the capture's first trade: 61837.63
  auto binance = v.rules("BTCUSDT");
  REQUIRE_FALSE(binance.has_value());
  CHECK(binance.error().kind == VenueFailure::Kind::rejected);
  auto unknown_product = v.rules("ETH-USD@coinbase");
  REQUIRE_FALSE(unknown_product.has_value());
  CHECK(unknown_product.error().http_status == 404);

  // A resting limit buy far below the market: open, found by client id, canceled.
  auto placed = v.place(order("cb-1", Side::buy, OrderType::limit, kOne / 100, 1000 * kOne));
  REQUIRE(placed.has_value());
  CHECK(placed->status == VenueOrderStatus::open);
  CHECK(placed->client_order_id == "cb-1");
  CHECK(placed->symbol == "BTC-USD@coinbase");
  CHECK(placed->orig_qty == kOne / 100);
  auto open = v.open_orders();
  REQUIRE(open.has_value());
  REQUIRE(open->size() == 1);
  CHECK((*open)[0].exchange_order_id == placed->exchange_order_id);
  // Sent again (a resend after a timeout): the order it has, nothing placed twice.
  auto again = v.place(order("cb-1", Side::buy, OrderType::limit, kOne / 100, 1000 * kOne));
  REQUIRE(again.has_value());
  CHECK(again->exchange_order_id == placed->exchange_order_id);
  CHECK(v.open_orders()->size() == 1);
  auto canceled = v.cancel("BTC-USD@coinbase", "cb-1");
  REQUIRE(canceled.has_value());
  CHECK(canceled->status == VenueOrderStatus::canceled);
  auto twice = v.cancel("BTC-USD@coinbase", "cb-1");
  REQUIRE_FALSE(twice.has_value());
  CHECK(twice.error().kind == VenueFailure::Kind::rejected);
  CHECK(twice.error().message == "DUPLICATE_CANCEL_REQUEST");

  // A market buy fills at once; its fills carry the fee in USD, and the balance moves by
  // exactly cost and fee.
  auto bought = v.place(order("cb-2", Side::buy, OrderType::market, kOne / 1000));
  REQUIRE(bought.has_value());
  CHECK(bought->status == VenueOrderStatus::filled);
  CHECK(bought->executed_qty == kOne / 1000);
  auto fills = v.trades("BTC-USD@coinbase", bought->exchange_order_id);
  REQUIRE(fills.has_value());
  REQUIRE_FALSE(fills->empty());
  std::int64_t qty = 0, cost = 0, fees = 0;
  for (const auto& f : *fills) {
    CHECK(f.commission_asset == "USD");
    qty += f.qty;
    cost += static_cast<std::int64_t>(static_cast<__int128>(f.price) * f.qty / kOne);
    fees += f.commission;
  }
  CHECK(qty == kOne / 1000);
  CHECK(cost == bought->quote_qty);
  CHECK(fees > 0);
  auto balances = v.balances();
  REQUIRE(balances.has_value());
  std::int64_t usd = -1, btc = -1;
  for (const auto& b : *balances) {
    if (b.asset == "USD") usd = b.free + b.locked;
    if (b.asset == "BTC") btc = b.free + b.locked;
  }
  CHECK(usd == 1000 * kOne - cost - fees);
  CHECK(btc == kOne / 1000);

  // Refusals before anything is placed: too little money (the preview's reason too), an
  // order off the lot step; a lookup of an order it never had says so.
  auto poor = v.place(order("cb-3", Side::buy, OrderType::market, kOne));
  REQUIRE_FALSE(poor.has_value());
  CHECK(poor.error().kind == VenueFailure::Kind::rejected);
  CHECK(poor.error().message.find("INSUFFICIENT_FUND (PREVIEW_INSUFFICIENT_FUND)") == 0);
  auto odd = v.place(order("cb-4", Side::buy, OrderType::limit, kOne / 100 + 1, 1000 * kOne));
  REQUIRE_FALSE(odd.has_value());
  CHECK(odd.error().message.find("INVALID_SIZE_PRECISION") == 0);
  auto missing = v.query("BTC-USD@coinbase", "cb-never");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().not_found());
  CHECK_FALSE(v.klines("BTC-USD@coinbase", 60, 0, 1, 10, 1).has_value());

  // Another key's JWT, and a key that is no EC key: refused, nothing of either key in the error.
  const std::string other = test::ec_key_pem();
  vo.credentials = {kKeyName, other};
  auto wrong = coinbase::RestVenue::create(vo);
  REQUIRE(wrong.has_value());
  auto refused = (*wrong)->balances();
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().kind == VenueFailure::Kind::rejected);
  CHECK(refused.error().http_status == 401);
  CHECK(refused.error().message.find("signature") != std::string::npos);
  vo.credentials = {kKeyName, "not a key"};
  auto broken = coinbase::RestVenue::create(vo);
  REQUIRE(broken.has_value());
  auto unsigned_ = (*broken)->place(order("cb-5", Side::buy, OrderType::market, kOne / 1000));
  REQUIRE_FALSE(unsigned_.has_value());
  CHECK(unsigned_.error().kind == VenueFailure::Kind::rejected);
  CHECK(unsigned_.error().message.find("not a key") == std::string::npos);

  // A venue whose clock runs 5 minutes ahead of ours: a token dated on our clock has expired
  // by its; after sync_time tokens are dated on the venue's clock and pass.
  {
    sim::SimOptions ahead = options;
    ahead.clock_ahead_s = 300;
    auto late = sim::SimServer::start(ahead, *cert);
    REQUIRE(late.has_value());
    std::thread serving_late([&] { (*late)->run(); });
    coinbase::RestVenueOptions lo = vo;
    lo.base_url = "https://127.0.0.1:" + std::to_string((*late)->port());
    lo.credentials = {kKeyName, key};
    auto v2 = coinbase::RestVenue::create(lo);
    REQUIRE(v2.has_value());
    auto stale = (*v2)->balances();
    REQUIRE_FALSE(stale.has_value());
    CHECK(stale.error().message.find("the JWT has expired (exp)") != std::string::npos);
    auto skew = (*v2)->sync_time();
    REQUIRE(skew.has_value());
    CHECK(std::abs(*skew - 300'000) < 1000);
    CHECK((*v2)->balances().has_value());
    (*late)->stop();
    serving_late.join();
  }

  // Market data from its own URL (the sandbox has none): rules from there, the account not.
  vo.credentials = {kKeyName, key};
  vo.public_url = vo.base_url;
  vo.base_url = "https://127.0.0.1:1";
  auto split = coinbase::RestVenue::create(vo);
  REQUIRE(split.has_value());
  CHECK((*split)->rules("BTC-USD@coinbase").has_value());
  CHECK((*split)->sync_time().has_value());
  auto no_account = (*split)->balances();
  REQUIRE_FALSE(no_account.has_value());
  CHECK(no_account.error().kind == VenueFailure::Kind::unavailable);

  (*server)->stop();
  serving.join();
  std::filesystem::remove_all(dir);
}
