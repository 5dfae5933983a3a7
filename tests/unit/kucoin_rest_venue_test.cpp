// KuCoin spot REST as a Venue, against exchange-sim's KuCoin personality over TLS on
// loopback: every private request carries KC-API-* headers the sim verifies.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "exchange/kucoin/rest_venue.hpp"
#include "exchange/net/tls.hpp"
#include "exchange/sim/sim_server.hpp"

using namespace trader;

namespace {
constexpr std::int64_t kOne = 100'000'000;

OrderRequest order(const std::string& cid, Side side, OrderType type, std::int64_t qty, std::int64_t price = 0) {
  OrderRequest r;
  r.client_order_id = cid;
  r.symbol = "BTC-USDT@kucoin";
  r.side = side;
  r.type = type;
  r.qty = qty;
  r.limit_price = price;
  return r;
}

// exchange-sim --venue kucoin in-process, and a venue signed for its account.
struct KucoinSim {
  std::string dir;  // one per test: ctest runs them side by side
  std::unique_ptr<sim::SimServer> server;
  std::thread serving;
  kucoin::RestVenueOptions vo;

  KucoinSim(const std::string& name, sim::SimOptions options) : dir(std::filesystem::temp_directory_path() / name) {
    auto cert = net::make_self_signed();
    REQUIRE(cert.has_value());
    std::filesystem::create_directories(dir);
    { std::ofstream(dir + "/sim.pem") << cert->cert_pem; }
    options.venue = VenueId::kucoin;
    options.api_key = "kc-key";
    options.api_secret = "kc-secret";
    options.api_passphrase = "kc-pass";
    options.captures = {std::string(TRADER_TEST_DATA_DIR) + "/kucoin_btcusdt_20240808.gz"};
    auto s = sim::SimServer::start(options, *cert);
    REQUIRE(s.has_value());
    server = std::move(*s);
    serving = std::thread([this] { server->run(); });
    vo.base_url = "https://127.0.0.1:" + std::to_string(server->port());
    vo.ca_file = dir + "/sim.pem";
    vo.credentials = {"kc-key", "kc-secret", "kc-pass"};
  }
  ~KucoinSim() {
    server->stop();
    serving.join();
    std::filesystem::remove_all(dir);
  }
  std::unique_ptr<kucoin::RestVenue> venue() {
    auto v = kucoin::RestVenue::create(vo);
    REQUIRE(v.has_value());
    return std::move(*v);
  }
};
}  // namespace

TEST_CASE("kucoin answers parse: HF orders by active and cancelExist, symbols into rules") {
  constexpr const char* base = R"({{"id":"66b5","clientOid":"c9","symbol":"BTC-USDT","side":"sell","type":"limit","size":"0.5",)"
                     R"("dealSize":"{}","dealFunds":"{}","active":{},"cancelExist":{},"createdAt":1723161255000,)"
                     R"("lastUpdatedAt":1723161255500}})";
  auto o = kucoin::parse_order(fmt::format(fmt::runtime(base), "0.2", "14000", "true", "false"));
  REQUIRE(o.has_value());
  CHECK(o->symbol == "BTC-USDT@kucoin");
  CHECK(o->side == Side::sell);
  CHECK(o->status == VenueOrderStatus::partially_filled);
  CHECK(o->orig_qty == kOne / 2);
  CHECK(o->executed_qty == kOne / 5);
  CHECK(o->quote_qty == 14000 * kOne);
  CHECK(o->update_ms == 1723161255500);
  CHECK(kucoin::parse_order(fmt::format(fmt::runtime(base), "0", "0", "true", "false"))->status == VenueOrderStatus::open);
  CHECK(kucoin::parse_order(fmt::format(fmt::runtime(base), "0.5", "35000", "false", "false"))->status == VenueOrderStatus::filled);
  CHECK(kucoin::parse_order(fmt::format(fmt::runtime(base), "0.2", "14000", "false", "true"))->status == VenueOrderStatus::canceled);
  auto odd = kucoin::parse_order(R"({"id":"a","symbol":"BTC-USDT","side":"both","size":"1","dealSize":"0","dealFunds":"0","active":true})");
  REQUIRE_FALSE(odd.has_value());
  CHECK(odd.error().kind == VenueFailure::Kind::unknown);

  auto rules = kucoin::parse_symbol_rules(R"({"symbol":"ETH-USDT","baseIncrement":"0.0000001","priceIncrement":"0.01",)"
                                          R"("baseMinSize":"0.0001","baseMaxSize":"10000000000","minFunds":"0.1"})");
  REQUIRE(rules.has_value());
  CHECK(rules->symbol == "ETH-USDT@kucoin");
  CHECK(rules->step_size == 10);
  CHECK(rules->min_qty == 10'000);
  CHECK(rules->tick_size == kOne / 100);
  CHECK(rules->min_notional == kOne / 10);
  CHECK_FALSE(kucoin::parse_symbol_rules(R"({"symbol":"ETH-USDT","baseIncrement":"x"})").has_value());
}

TEST_CASE("kucoin REST venue against exchange-sim over TLS: signed orders, lookups by clientOid, fills, refusals") {
  sim::SimOptions options;
  options.balances = {{"USDT", 1000 * kOne}};
  KucoinSim sim("trader_kucoin_venue_test", options);
  auto venue = sim.venue();
  auto& v = *venue;
  auto offset = v.sync_time();
  REQUIRE(offset.has_value());
  CHECK(std::abs(*offset) < 1000);

  auto rules = v.rules("BTC-USDT@kucoin");
  REQUIRE(rules.has_value());
  CHECK(rules->symbol == "BTC-USDT@kucoin");
  CHECK(rules->step_size == 1'000);
  CHECK(rules->tick_size == kOne / 100);
  CHECK(rules->min_notional == 5 * kOne);
  auto opening = v.price("BTC-USDT@kucoin");
  REQUIRE(opening.has_value());
  CHECK(*opening == 6183763000000);  // the capture's first trade: 61837.63
  CHECK_FALSE(v.rules("BTCUSDT").has_value());  // Binance's, not KuCoin's to look up

  // A resting limit buy far below the market: open, found by clientOid, canceled.
  auto placed = v.place(order("kc-1", Side::buy, OrderType::limit, kOne / 100, 1000 * kOne));
  REQUIRE(placed.has_value());
  CHECK(placed->status == VenueOrderStatus::open);
  CHECK(placed->client_order_id == "kc-1");
  CHECK(placed->exchange_order_id.size() == 24);
  auto open = v.open_orders();
  REQUIRE(open.has_value());
  REQUIRE(open->size() == 1);
  CHECK((*open)[0].client_order_id == "kc-1");
  // Sent again with the same clientOid: refused, nothing placed twice.
  auto again = v.place(order("kc-1", Side::buy, OrderType::limit, kOne / 100, 1000 * kOne));
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().code == 126033);
  CHECK(v.open_orders()->size() == 1);
  auto canceled = v.cancel("BTC-USDT@kucoin", "kc-1");
  REQUIRE(canceled.has_value());
  CHECK(canceled->status == VenueOrderStatus::canceled);
  CHECK(v.open_orders()->empty());
  auto twice = v.cancel("BTC-USDT@kucoin", "kc-1");
  REQUIRE_FALSE(twice.has_value());
  CHECK(twice.error().kind == VenueFailure::Kind::rejected);

  // A market buy fills at once; its fills carry the fee in USDT, and the balance moves by
  // exactly cost and fee.
  auto bought = v.place(order("kc-2", Side::buy, OrderType::market, kOne / 1000));
  REQUIRE(bought.has_value());
  CHECK(bought->status == VenueOrderStatus::filled);
  CHECK(bought->executed_qty == kOne / 1000);
  auto fills = v.trades("BTC-USDT@kucoin", bought->exchange_order_id);
  REQUIRE(fills.has_value());
  REQUIRE_FALSE(fills->empty());
  std::int64_t qty = 0, cost = 0, fees = 0;
  for (const auto& f : *fills) {
    CHECK(f.commission_asset == "USDT");
    qty += f.qty;
    cost += static_cast<std::int64_t>(static_cast<__int128>(f.price) * f.qty / kOne);
    fees += f.commission;
  }
  CHECK(qty == kOne / 1000);
  CHECK(cost == bought->quote_qty);
  CHECK(fees > 0);
  auto balances = v.balances();
  REQUIRE(balances.has_value());
  std::int64_t usdt = -1, btc = -1;
  for (const auto& b : *balances) {
    if (b.asset == "USDT") usdt = b.free + b.locked;
    if (b.asset == "BTC") btc = b.free + b.locked;
  }
  CHECK(usdt == 1000 * kOne - cost - fees);
  CHECK(btc == kOne / 1000);
  CHECK(v.used_weight() > 0);  // the resource pool's headers are read

  // Refusals before anything is placed; a lookup of an order it never had says so.
  auto poor = v.place(order("kc-3", Side::buy, OrderType::market, kOne));
  REQUIRE_FALSE(poor.has_value());
  CHECK(poor.error().kind == VenueFailure::Kind::rejected);
  CHECK(poor.error().code == 200004);
  auto missing = v.query("BTC-USDT@kucoin", "kc-never");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().not_found());
  CHECK_FALSE(v.klines("BTC-USDT@kucoin", 60, 0, 1, 10, 1).has_value());

  // A wrong passphrase and another key: refused with KuCoin's codes, no secret in the error.
  sim.vo.credentials = {"kc-key", "kc-secret", "not-it"};
  auto wrong = sim.venue()->balances();
  REQUIRE_FALSE(wrong.has_value());
  CHECK(wrong.error().kind == VenueFailure::Kind::rejected);
  CHECK(wrong.error().http_status == 401);
  CHECK(wrong.error().code == 400004);
  CHECK(wrong.error().message.find("not-it") == std::string::npos);
  sim.vo.credentials = {"someone", "kc-secret", "kc-pass"};
  CHECK(sim.venue()->balances().error().code == 400003);
  sim.vo.credentials = {"kc-key", "kc-secret", ""};
  CHECK_FALSE(kucoin::RestVenue::create(sim.vo).has_value());  // no passphrase: not even built
}

TEST_CASE("kucoin REST venue: 429000 is rate limited until the resource pool resets, nothing else done") {
  sim::SimOptions options;
  options.burst_429_every = 2;  // every second request starts a burst of three 429s
  KucoinSim sim("trader_kucoin_venue_429_test", options);
  auto v = sim.venue();
  auto first = v->sync_time();  // request 1 passes, then three are refused
  REQUIRE(first.has_value());
  auto limited = v->balances();
  REQUIRE_FALSE(limited.has_value());
  CHECK(limited.error().kind == VenueFailure::Kind::rate_limited);
  CHECK(limited.error().code == 429000);
  CHECK(limited.error().retry_after_ms == 1000);  // gw-ratelimit-reset
}
