// KuCoin spot and KuCoin Futures REST as Venues, against exchange-sim's KuCoin and KuCoin
// Futures personalities over TLS on loopback: every private request carries KC-API-*
// headers the sim verifies.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "exchange/kucoin/futures_rest_venue.hpp"
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

// exchange-sim --venue kucoin (or kucoin_futures) in-process, and a venue signed for its account.
struct KucoinSim {
  std::string dir;  // one per test: ctest runs them side by side
  std::unique_ptr<sim::SimServer> server;
  std::thread serving;
  kucoin::RestVenueOptions vo;

  KucoinSim(const std::string& name, sim::SimOptions options, VenueId venue = VenueId::kucoin,
            const char* capture = "kucoin_btcusdt_20240808.gz")
      : dir(std::filesystem::temp_directory_path() / name) {
    auto cert = net::make_self_signed();
    REQUIRE(cert.has_value());
    std::filesystem::create_directories(dir);
    { std::ofstream(dir + "/sim.pem") << cert->cert_pem; }
    options.venue = venue;
    options.api_key = "kc-key";
    options.api_secret = "kc-secret";
    options.api_passphrase = "kc-pass";
    options.captures = {std::string(TRADER_TEST_DATA_DIR) + "/" + capture};
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
  std::unique_ptr<kucoin::FuturesRestVenue> futures_venue() {
    auto v = kucoin::FuturesRestVenue::create(vo);
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

TEST_CASE("kucoin futures answers parse: contracts, orders in lots made base units") {
  auto c = kucoin::parse_contract(R"({"symbol":"XBTUSDTM","multiplier":0.001,"lotSize":1,"tickSize":0.1,)"
                                  R"("maxOrderQty":1000000,"isInverse":false})");
  REQUIRE(c.has_value());
  CHECK(c->symbol == "XBTUSDTM");
  CHECK(c->multiplier == kOne / 1000);
  CHECK(c->tick_size == kOne / 10);
  CHECK(c->lot_size == 1);
  CHECK(c->max_order_lots == 1'000'000);
  auto inverse = kucoin::parse_contract(R"({"symbol":"XBTUSDM","multiplier":-1,"tickSize":0.5,"isInverse":true})");
  REQUIRE_FALSE(inverse.has_value());
  CHECK(inverse.error().kind == VenueFailure::Kind::rejected);
  CHECK(inverse.error().message.find("inverse") != std::string::npos);

  constexpr const char* base = R"({{"id":"66b5","clientOid":"c9","symbol":"XBTUSDTM","side":"sell","type":"limit",)"
                               R"("size":5,"filledSize":{},"filledValue":"{}","isActive":{},"cancelExist":{},)"
                               R"("createdAt":1723161255000,"updatedAt":1723161255500}})";
  auto o = kucoin::parse_futures_order(fmt::format(fmt::runtime(base), 2, "121.4", "true", "false"), kOne / 1000);
  REQUIRE(o.has_value());
  CHECK(o->symbol == "XBTUSDTM@kucoin_futures");
  CHECK(o->side == Side::sell);
  CHECK(o->status == VenueOrderStatus::partially_filled);
  CHECK(o->orig_qty == 5 * kOne / 1000);  // 5 lots of 0.001 XBT
  CHECK(o->executed_qty == 2 * kOne / 1000);
  CHECK(o->quote_qty == 12140 * kOne / 100);
  CHECK(o->update_ms == 1723161255500);
  const std::int64_t lot = kOne / 1000;
  CHECK(kucoin::parse_futures_order(fmt::format(fmt::runtime(base), 0, "0", "true", "false"), lot)->status == VenueOrderStatus::open);
  CHECK(kucoin::parse_futures_order(fmt::format(fmt::runtime(base), 5, "303.5", "false", "false"), lot)->status ==
        VenueOrderStatus::filled);
  CHECK(kucoin::parse_futures_order(fmt::format(fmt::runtime(base), 2, "121.4", "false", "true"), lot)->status ==
        VenueOrderStatus::canceled);
  // Lots are whole and not negative; a size of 1.5 lots is no answer KuCoin gives.
  auto half = kucoin::parse_futures_order(fmt::format(fmt::runtime(base), 1.5, "1", "true", "false"), lot);
  REQUIRE_FALSE(half.has_value());
  CHECK(half.error().kind == VenueFailure::Kind::unknown);
  CHECK(half.error().message.find("filledSize") != std::string::npos);
  CHECK_FALSE(kucoin::parse_futures_order(fmt::format(fmt::runtime(base), -1, "1", "true", "false"), lot).has_value());
}

TEST_CASE("kucoin futures REST venue against exchange-sim over TLS: isolated orders in lots, shorts, positions, refusals") {
  sim::SimOptions options;
  options.balances = {{"USDT", 1000 * kOne}};
  KucoinSim sim("trader_kucoin_futures_venue_test", options, VenueId::kucoin_futures, "kucoin_futures_xbtusdtm_20240808.gz");
  auto venue = sim.futures_venue();
  auto& v = *venue;
  REQUIRE(v.sync_time().has_value());
  const std::string xbt = "XBTUSDTM@kucoin_futures";
  const std::int64_t lot = kOne / 1000;
  auto rules = v.rules(xbt);
  REQUIRE(rules.has_value());
  CHECK(rules->step_size == lot);  // lotSize 1 of 0.001 XBT
  CHECK(rules->min_qty == lot);
  CHECK(rules->max_qty == 1'000'000 * lot);
  CHECK(rules->tick_size == kOne / 10);
  auto opening = v.price(xbt);
  REQUIRE(opening.has_value());
  CHECK(*opening > 0);
  CHECK_FALSE(v.rules("BTC-USDT@kucoin").has_value());  // spot's, not a contract

  auto request = [&](const std::string& cid, Side side, OrderType type, std::int64_t qty, std::int64_t price = 0) {
    OrderRequest r = order(cid, side, type, qty, price);
    r.symbol = xbt;
    return r;
  };
  // No leverage yet: nothing is sent (isolated margin's leverage is each order's).
  auto early = v.place(request("kf-0", Side::buy, OrderType::market, 3 * lot));
  REQUIRE_FALSE(early.has_value());
  CHECK(early.error().message.find("no margin mode and leverage set") != std::string::npos);
  auto leverage = v.set_margin(xbt, futures::MarginMode::isolated, 5);
  REQUIRE(leverage.has_value());
  CHECK(*leverage == 5);
  // Not a whole number of lots: refused before anything is sent.
  auto odd = v.place(request("kf-odd", Side::buy, OrderType::market, lot + lot / 2));
  REQUIRE_FALSE(odd.has_value());
  CHECK(odd.error().kind == VenueFailure::Kind::rejected);
  CHECK(odd.error().message.find("not a whole number of lots of 0.001") != std::string::npos);

  // Long 3 lots, then sell 5: short 2 lots. Fills in base units, fees in USDT.
  auto bought = v.place(request("kf-1", Side::buy, OrderType::market, 3 * lot));
  REQUIRE(bought.has_value());
  CHECK(bought->status == VenueOrderStatus::filled);
  CHECK(bought->executed_qty == 3 * lot);
  auto fills = v.trades(xbt, bought->exchange_order_id);
  REQUIRE(fills.has_value());
  REQUIRE(fills->size() == 1);
  CHECK((*fills)[0].qty == 3 * lot);
  CHECK((*fills)[0].price == *opening);
  CHECK((*fills)[0].commission_asset == "USDT");
  CHECK((*fills)[0].commission > 0);
  auto positions = v.positions();
  REQUIRE(positions.has_value());
  REQUIRE(positions->size() == 1);
  CHECK((*positions)[0].symbol == xbt);
  CHECK((*positions)[0].qty == 3 * lot);
  CHECK((*positions)[0].entry_price == *opening);
  CHECK((*positions)[0].leverage == 5);
  auto sold = v.place(request("kf-2", Side::sell, OrderType::market, 5 * lot));
  REQUIRE(sold.has_value());
  CHECK(sold->executed_qty == 5 * lot);
  positions = v.positions();
  REQUIRE(positions.has_value());
  REQUIRE(positions->size() == 1);
  CHECK((*positions)[0].qty == -2 * lot);
  // A reduce-only sell while short would grow the short: refused, nothing placed.
  auto grow = request("kf-3", Side::sell, OrderType::market, lot);
  grow.reduce_only = true;
  auto refused = v.place(grow);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == 300009);
  CHECK(v.query(xbt, "kf-3").error().not_found());

  // A resting limit far above: open, listed, canceled; an unknown clientOid is not found.
  auto resting = v.place(request("kf-4", Side::sell, OrderType::limit, lot, 200'000 * kOne));
  REQUIRE(resting.has_value());
  CHECK(resting->status == VenueOrderStatus::open);
  auto open = v.open_orders();
  REQUIRE(open.has_value());
  REQUIRE(open->size() == 1);
  CHECK((*open)[0].client_order_id == "kf-4");
  CHECK((*open)[0].orig_qty == lot);
  auto canceled = v.cancel(xbt, "kf-4");
  REQUIRE(canceled.has_value());
  CHECK(canceled->status == VenueOrderStatus::canceled);
  CHECK(v.open_orders()->empty());
  auto twice = v.cancel(xbt, "kf-4");
  REQUIRE_FALSE(twice.has_value());
  CHECK(twice.error().kind == VenueFailure::Kind::rejected);
  auto missing = v.query(xbt, "kf-never");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().not_found());
  auto fok = request("kf-5", Side::buy, OrderType::limit, lot, 1000 * kOne);
  fok.time_in_force = TimeInForce::fok;
  CHECK(v.place(fok).error().message.find("no fill-or-kill") != std::string::npos);

  // The wallet paid both fees; the margin balance is split into free and held.
  auto balances = v.balances();
  REQUIRE(balances.has_value());
  REQUIRE(balances->size() == 1);
  CHECK((*balances)[0].asset == "USDT");
  CHECK((*balances)[0].locked > 0);  // the short's margin
  CHECK((*balances)[0].free < 1000 * kOne);
  CHECK_FALSE(v.klines(xbt, 60, 0, 1, 10, 1).has_value());
  CHECK_FALSE(v.place(order("kf-6", Side::buy, OrderType::market, lot)).has_value());  // BTC-USDT@kucoin: spot's

  // Cross margin: refused while the short is open (KuCoin's rule), then, flat, the symbol
  // goes CROSS with its own leverage, and orders trade in it.
  auto early_cross = v.set_margin(xbt, futures::MarginMode::cross, 3);
  REQUIRE_FALSE(early_cross.has_value());
  CHECK(early_cross.error().message.find("cannot be changed while a position is open") != std::string::npos);
  REQUIRE(v.place(request("kf-7", Side::buy, OrderType::market, 2 * lot)).has_value());  // flat
  auto cross = v.set_margin(xbt, futures::MarginMode::cross, 3);
  REQUIRE_MESSAGE(cross.has_value(), cross.error().message);
  CHECK(*cross == 3);
  auto crossed = v.place(request("kf-8", Side::sell, OrderType::market, lot));
  REQUIRE_MESSAGE(crossed.has_value(), crossed.error().message);
  positions = v.positions();
  REQUIRE(positions.has_value());
  REQUIRE(positions->size() == 1);
  CHECK((*positions)[0].qty == -lot);
  CHECK((*positions)[0].leverage == 3);
}
