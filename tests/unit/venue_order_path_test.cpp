// The live order path: the tracker turning venue answers into order events, Binance's
// order answers parsed, and the REST venue talking to exchange-sim over real TLS.
#include <doctest/doctest.h>

#include "exchange/net/backoff.hpp"

#include <filesystem>
#include <fstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "actors/node/recovery.hpp"
#include "actors/node/venue_gateway.hpp"
#include "actors/portfolio/portfolio_core.hpp"
#include "actors/risk/risk_core.hpp"
#include "actors/venue_gateway/order_tracker.hpp"
#include "base/percent_encoding.hpp"
#include "exchange/binance/rest_venue.hpp"
#include "exchange/binance/user_stream.hpp"
#include "exchange/net/https_client.hpp"
#include "exchange/net/tls.hpp"
#include "exchange/sim/sim_server.hpp"
#include "journal/journal.hpp"
#include "sim_over_tls.hpp"
#include "test_support.hpp"

using namespace trader;

namespace {
constexpr std::int64_t kOne = 100'000'000;

// The in-process simulator logs each request; the tests read its answers instead.
const bool quiet = [] {
  spdlog::set_level(spdlog::level::warn);
  return true;
}();

OrderRequest market_buy(const std::string& cid, std::int64_t qty) {
  OrderRequest r;
  r.client_order_id = cid;
  r.symbol = "BTCUSDT";
  r.side = Side::buy;
  r.type = OrderType::market;
  r.qty = qty;
  return r;
}

VenueOrder view(const std::string& cid, VenueOrderStatus status, std::int64_t qty, std::int64_t executed,
                std::vector<VenueFill> fills = {}) {
  VenueOrder o;
  o.client_order_id = cid;
  o.exchange_order_id = "77";
  o.symbol = "BTCUSDT";
  o.status = status;
  o.orig_qty = qty;
  o.executed_qty = executed;
  o.update_ms = 1000;
  o.fills = std::move(fills);
  return o;
}
}  // namespace

TEST_CASE("the Host header names the port unless it is https' default") {
  auto live = net::parse_https_url("https://api.binance.com");
  REQUIRE(live);
  CHECK(live->host_header() == "api.binance.com");
  auto explicit_default = net::parse_https_url("https://testnet.binance.vision:443/");
  REQUIRE(explicit_default);
  CHECK(explicit_default->host_header() == "testnet.binance.vision");
  auto sim = net::parse_https_url("https://127.0.0.1:18443");
  REQUIRE(sim);
  CHECK(sim->host == "127.0.0.1");
  CHECK(sim->host_header() == "127.0.0.1:18443");
}

TEST_CASE("query values are percent-encoded: unreserved characters stay, every other byte is %XX") {
  CHECK(percent_encode("BTCUSDT") == "BTCUSDT");
  CHECK(percent_encode("n1-7_a.b~") == "n1-7_a.b~");
  CHECK(percent_encode("stop now & flat=1") == "stop%20now%20%26%20flat%3D1");
  CHECK(percent_encode("\xC3\xA9/?#") == "%C3%A9%2F%3F%23");
  CHECK(percent_encode("") == "");
}

TEST_CASE("order tracker: accepted once, each fill once by trade id, one final event") {
  OrderTracker t;
  t.track(market_buy("c1", 10 * kOne));
  auto first = t.update(view("c1", VenueOrderStatus::partially_filled, 10 * kOne, 4 * kOne,
                             {{100 * kOne, 4 * kOne, 4000, "BTC", 1}}));
  REQUIRE(first.size() == 2);
  CHECK(first[0].kind == OrderEventKind::accepted);
  CHECK(first[0].exchange_order_id == "77");
  CHECK(first[1].kind == OrderEventKind::partially_filled);
  CHECK(first[1].fill_qty == 4 * kOne);
  CHECK(first[1].fee_asset == "BTC");
  CHECK(first[1].liquidity == Liquidity::taker);
  // The same view again (a poll): nothing new.
  CHECK(t.update(view("c1", VenueOrderStatus::partially_filled, 10 * kOne, 4 * kOne,
                      {{100 * kOne, 4 * kOne, 4000, "BTC", 1}})).empty());
  // A poll without fills while more executed: the trades must be fetched first.
  CHECK(t.missing_fills(view("c1", VenueOrderStatus::filled, 10 * kOne, 10 * kOne)));
  CHECK(t.update(view("c1", VenueOrderStatus::filled, 10 * kOne, 10 * kOne)).empty());
  auto done = t.update(view("c1", VenueOrderStatus::filled, 10 * kOne, 10 * kOne,
                            {{101 * kOne, 6 * kOne, 6000, "BTC", 2}, {100 * kOne, 4 * kOne, 4000, "BTC", 1}}));
  REQUIRE(done.size() == 1);
  CHECK(done[0].kind == OrderEventKind::filled);
  CHECK(done[0].cum_qty == 10 * kOne);
  CHECK(done[0].trade_id == 2);
  CHECK(t.open().empty());
  CHECK(t.update(view("c1", VenueOrderStatus::filled, 10 * kOne, 10 * kOne)).empty());
}

TEST_CASE("order tracker: cancel after a partial fill, rejection, restore after a restart") {
  OrderTracker t;
  t.track(market_buy("c1", 10 * kOne));
  auto ev = t.update(view("c1", VenueOrderStatus::canceled, 10 * kOne, 3 * kOne, {{100 * kOne, 3 * kOne, 0, "BTC", 5}}));
  REQUIRE(ev.size() == 3);
  CHECK(ev[1].kind == OrderEventKind::partially_filled);
  CHECK(ev[2].kind == OrderEventKind::canceled);
  CHECK(ev[2].cum_qty == 3 * kOne);

  t.track(market_buy("c2", kOne));
  auto rej = t.reject("c2", "venue rejected: code -2010: Account has insufficient balance", 5);
  REQUIRE(rej.size() == 1);
  CHECK(rej[0].kind == OrderEventKind::rejected);
  CHECK(rej[0].reason.find("-2010") != std::string::npos);
  CHECK(t.reject("c2", "again", 6).empty());

  // Restored with 4 of 10 filled before the crash: the old trade is not reported again.
  t.restore(market_buy("c3", 10 * kOne), 4 * kOne);
  auto after = t.update(view("c3", VenueOrderStatus::filled, 10 * kOne, 10 * kOne,
                             {{100 * kOne, 4 * kOne, 0, "BTC", 8}, {100 * kOne, 6 * kOne, 0, "BTC", 9}}));
  REQUIRE(after.size() == 1);  // no second accepted, the old fill skipped
  CHECK(after[0].kind == OrderEventKind::filled);
  CHECK(after[0].fill_qty == 6 * kOne);
  CHECK(after[0].cum_qty == 10 * kOne);
}

TEST_CASE("binance order answers parse into the venue's view") {
  // The shape of Binance's documented FULL new-order answer.
  auto o = binance::parse_order(
      R"({"symbol":"BTCUSDT","orderId":28,"orderListId":-1,"clientOrderId":"6gCrw2kRUAF9CvJDGP16IP",)"
      R"("transactTime":1507725176595,"price":"0.00000000","origQty":"10.00000000","executedQty":"10.00000000",)"
      R"("cummulativeQuoteQty":"10.00000000","status":"FILLED","timeInForce":"GTC","type":"MARKET","side":"SELL",)"
      R"("fills":[{"price":"4000.00000000","qty":"1.00000000","commission":"4.00000000","commissionAsset":"USDT","tradeId":56},)"
      R"({"price":"3999.00000000","qty":"5.00000000","commission":"19.99500000","commissionAsset":"USDT","tradeId":57}]})");
  REQUIRE(o.has_value());
  CHECK(o->exchange_order_id == "28");
  CHECK(o->side == Side::sell);
  CHECK(o->status == VenueOrderStatus::filled);
  CHECK(o->executed_qty == 10 * kOne);
  CHECK(o->update_ms == 1507725176595);
  REQUIRE(o->fills.size() == 2);
  CHECK(o->fills[1].commission == 1999500000);
  CHECK(o->fills[1].trade_id == 57);
  auto bad = binance::parse_order(R"({"symbol":"BTCUSDT","orderId":1,"status":"WEIRD"})");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().kind == VenueFailure::Kind::unknown);  // unreadable: it may exist, look it up
}

TEST_CASE("portfolio: a commission taken in the asset bought reduces the position, valued at the fill") {
  PortfolioCore p({"USDT", 1000 * kOne, 60});
  Outbox out;
  OrderEvent buy;
  buy.symbol = "BTCUSDT";
  buy.side = Side::buy;
  buy.kind = OrderEventKind::filled;
  buy.fill_qty = kOne / 100;  // 0.01 BTC at 10000
  buy.fill_price = 10000 * kOne;
  buy.fee = kOne / 100'000;  // 0.00001 BTC
  buy.fee_asset = "BTC";
  const Message m = buy;
  p.on(Delivery{1, 0, Actor::exchange, m}, out);
  CHECK(p.state().cash == 900 * kOne);     // no quote fee
  CHECK(p.state().fees == kOne / 10);      // 0.00001 BTC at 10000 = 0.1 USDT
  REQUIRE(p.state().positions.size() == 1);
  CHECK(p.state().positions[0].qty == kOne / 100 - kOne / 100'000);
  CHECK(p.state().equity == 1000 * kOne - kOne / 10);
}

TEST_CASE("portfolio: what a base-asset commission leaves below one lot is dust: valued, not a position") {
  PortfolioConfig config{"USDT", 1000 * kOne, 60};
  config.market.every_symbol.lot_step = kOne / 100'000;  // lot 0.00001
  PortfolioCore p(config);
  Outbox out;
  OrderEvent e;
  e.symbol = "BTCUSDT";
  e.kind = OrderEventKind::filled;
  e.fill_price = 10000 * kOne;
  e.side = Side::buy;
  e.fill_qty = kOne / 100;       // 0.01
  e.fee = 1000;                  // 0.00001 BTC
  e.fee_asset = "BTC";
  const Message buy = e;
  p.on(Delivery{1, 0, Actor::exchange, buy}, out);
  REQUIRE(p.state().positions.size() == 1);
  CHECK(p.state().positions[0].qty == 999000);  // 0.00999
  e.side = Side::sell;
  e.fill_qty = 998500;  // all but 0.000005
  e.fee = 0;
  e.fee_asset = "USDT";
  const Message sell = e;
  p.on(Delivery{2, 0, Actor::exchange, sell}, out);
  CHECK(p.state().positions.empty());           // 0.000005 BTC: dust
  CHECK(p.state().round_trips == 1);
  CHECK(p.state().equity == p.state().cash + 500 * 10000);  // the dust still counts, at 10000
}

TEST_CASE("risk: exits are whole lots, less than a lot is not exited") {
  RiskConfig config;
  config.market.every_symbol.lot_step = 1000;  // 0.00001
  RiskCore risk(config);
  Outbox out;
  PortfolioState ps;
  ps.ts_ms = 1;
  ps.cash = ps.equity = ps.peak_equity = ps.starting_cash = 1000 * kOne;
  ps.positions.push_back({"BTCUSDT", 3230766, 10000 * kOne, 10000 * kOne, 0, 0});  // 0.03230766
  const Message state = ps;
  risk.on(Delivery{1, 0, Actor::portfolio, state}, out);
  OrderIntent exit;
  exit.intent_id = 32;
  exit.symbol = "BTCUSDT";
  exit.side = Side::sell;
  exit.qty = 3230766;
  exit.is_exit = true;
  exit.ts_ms = 2;
  const Message m = exit;
  risk.on(Delivery{2, 0, Actor::strategy, m}, out);
  const auto* d = std::get_if<RiskDecision>(&out.back().message);
  REQUIRE(d != nullptr);
  CHECK(d->approved);
  CHECK(d->approved_qty == 3230000);  // 0.0323
}

TEST_CASE("risk: a second exit is refused while one is working") {
  RiskConfig config;
  RiskCore risk(config);
  Outbox out;
  PortfolioState ps;
  ps.ts_ms = 1;
  ps.cash = ps.equity = ps.peak_equity = ps.starting_cash = 1000 * kOne;
  ps.positions.push_back({"BTCUSDT", kOne / 100, 10000 * kOne, 10000 * kOne, 0, 0});
  const Message state = ps;
  risk.on(Delivery{1, 0, Actor::portfolio, state}, out);
  OrderIntent exit;
  exit.intent_id = 16;
  exit.symbol = "BTCUSDT";
  exit.side = Side::sell;
  exit.qty = kOne / 100;
  exit.is_exit = true;
  exit.ts_ms = 2;
  for (std::uint64_t seq : {2, 3}) {
    exit.intent_id = seq * 16;
    const Message m = exit;
    risk.on(Delivery{seq, 0, Actor::strategy, m}, out);
  }
  std::vector<RiskDecision> decisions;
  for (const auto& o : out)
    if (const auto* d = std::get_if<RiskDecision>(&o.message)) decisions.push_back(*d);
  REQUIRE(decisions.size() == 2);
  CHECK(decisions[0].approved);
  CHECK_FALSE(decisions[1].approved);
  CHECK(decisions[1].reason_code == "exit_pending");
}

TEST_CASE("binance REST venue against exchange-sim over TLS: orders, lookups, trades, signatures, 429") {
  auto cert = net::make_self_signed();
  REQUIRE(cert.has_value());
  const std::string dir = std::filesystem::temp_directory_path() / "trader_venue_test";
  std::filesystem::create_directories(dir);
  const std::string ca = dir + "/sim.pem";
  { std::ofstream(ca) << cert->cert_pem; }
  sim::SimOptions options;
  options.api_key = "key-1";
  options.api_secret = "secret-1";
  options.captures = {std::string(TRADER_TEST_DATA_DIR) + "/btcusdt_20240808_head20k.gz"};
  options.burst_429_every = 0;
  auto server = sim::SimServer::start(options, *cert);
  REQUIRE(server.has_value());
  std::thread serving([&] { (*server)->run(); });

  binance::RestVenueOptions vo;
  vo.base_url = "https://127.0.0.1:" + std::to_string((*server)->port());
  vo.ca_file = ca;
  vo.credentials = {"key-1", "secret-1"};
  auto venue = binance::RestVenue::create(vo);
  REQUIRE(venue.has_value());
  auto& v = **venue;
  auto offset = v.sync_time();
  REQUIRE(offset.has_value());
  CHECK(std::abs(*offset) < 1000);

  // Nobody subscribed, so no trade is replayed yet: the venue quotes the capture's first
  // price (its opening), and a symbol the capture never trades has no price, and no market.
  auto opening = v.price("BTCUSDT");
  REQUIRE(opening.has_value());
  CHECK(*opening == 6183763000000);  // the capture's first trade: 61837.63
  auto none = v.price("ETHUSDT");
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().code == -1121);
  OrderRequest eth = market_buy("t-1", kOne / 1000);
  eth.symbol = "ETHUSDT";
  auto closed = v.place(eth);
  REQUIRE_FALSE(closed.has_value());
  CHECK(closed.error().kind == VenueFailure::Kind::rejected);
  CHECK(closed.error().code == -2010);
  // A resting limit buy far below the market.
  OrderRequest limit = market_buy("t-2", kOne / 100);
  limit.type = OrderType::limit;
  limit.limit_price = 1000 * kOne;
  auto placed = v.place(limit);
  REQUIRE(placed.has_value());
  CHECK(placed->status == VenueOrderStatus::open);
  auto open = v.open_orders();
  REQUIRE(open.has_value());
  REQUIRE(open->size() == 1);
  CHECK((*open)[0].client_order_id == "t-2");
  auto found = v.query("BTCUSDT", "t-2");
  REQUIRE(found.has_value());
  CHECK(found->exchange_order_id == placed->exchange_order_id);
  auto missing = v.query("BTCUSDT", "t-nope");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().not_found());
  // The venue's filters: what exchangeInfo says, and what it refuses.
  auto rules = v.rules("BTCUSDT");
  REQUIRE(rules.has_value());
  CHECK(rules->step_size == kOne / 100'000);
  CHECK(rules->min_qty == kOne / 100'000);
  CHECK(rules->tick_size == kOne / 100);
  CHECK(rules->min_notional == 5 * kOne);
  CHECK(v.rules("NOPE").error().code == -1121);
  OrderRequest odd_lot = limit;
  odd_lot.client_order_id = "t-odd";
  odd_lot.qty = kOne / 100 + 1;
  auto refused_lot = v.place(odd_lot);
  REQUIRE_FALSE(refused_lot.has_value());
  CHECK(refused_lot.error().code == -1013);
  CHECK(refused_lot.error().message == "Filter failure: LOT_SIZE");
  auto canceled = v.cancel("BTCUSDT", "t-2");
  REQUIRE(canceled.has_value());
  CHECK(canceled->status == VenueOrderStatus::canceled);
  auto trades = v.trades("BTCUSDT", placed->exchange_order_id);
  REQUIRE(trades.has_value());
  CHECK(trades->empty());
  auto balances = v.balances();
  REQUIRE(balances.has_value());
  CHECK_FALSE(balances->empty());
  CHECK(v.used_weight() > 0);

  // The wrong secret: Binance's -1022, reported as a rejection, and the secret nowhere in it.
  vo.credentials = {"key-1", "not-the-secret"};
  auto wrong = binance::RestVenue::create(vo);
  REQUIRE(wrong.has_value());
  auto refused = (*wrong)->open_orders();
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == -1022);
  CHECK(refused.error().message.find("not-the-secret") == std::string::npos);

  // Nothing listening: never sent, safe to retry.
  vo.base_url = "https://127.0.0.1:1";
  auto nowhere = binance::RestVenue::create(vo);
  REQUIRE(nowhere.has_value());
  auto unsent = (*nowhere)->place(market_buy("t-3", kOne));
  REQUIRE_FALSE(unsent.has_value());
  CHECK(unsent.error().kind == VenueFailure::Kind::unavailable);

  (*server)->stop();
  serving.join();
  std::filesystem::remove_all(dir);
}

TEST_CASE("exchange-sim's 429 bursts come back as rate_limited with Retry-After") {
  sim::SimOptions options;
  options.burst_429_every = 4;  // requests 4, 5 and 6 get 429
  test::SimOverTls sim("trader_venue_429_test", options);
  auto& venue = sim.venue();
  int limited = 0, answered = 0;
  for (int i = 0; i < 6; ++i) {
    auto r = venue.balances();
    if (r) ++answered;
    else if (r.error().kind == VenueFailure::Kind::rate_limited && r.error().retry_after_ms == 1000) ++limited;
  }
  CHECK(limited == 3);
  CHECK(answered == 3);
}

TEST_CASE("a 418 without Retry-After comes back as rate_limited with no wait given, the wait then backs off, capped") {
  sim::SimOptions options;
  options.burst_429_every = 2;
  options.burst_as_418 = true;
  test::SimOverTls sim("trader_venue_418_test", options);
  auto& venue = sim.venue();
  int banned = 0;
  for (int i = 0; i < 4; ++i) {
    auto r = venue.balances();
    if (!r && r.error().kind == VenueFailure::Kind::rate_limited && r.error().http_status == 418 &&
        r.error().retry_after_ms == 0)
      ++banned;
  }
  CHECK(banned == 3);

  // What the gateway waits: the venue's Retry-After when given (and the backoff does not
  // move); otherwise 1 s, 2 s, 4 s ... (each jittered down to half) up to the cap.
  using ms = std::chrono::milliseconds;
  net::RateLimitWait wait(ms(1000), ms(8000), 11);
  CHECK(wait.next(3000) == ms(3000));
  std::int64_t cap = 1000;
  for (int i = 0; i < 6; ++i) {
    const auto w = wait.next(0).count();
    CHECK(w >= cap / 2);
    CHECK(w <= cap);
    cap = std::min<std::int64_t>(cap * 2, 8000);
  }
  CHECK(wait.next(0).count() >= 4000);  // capped at 8 s, never back to 1 s while banned
  CHECK(wait.next(2000) == ms(2000));
  wait.reset();  // a request got through
  CHECK(wait.next(0).count() <= 1000);
}

TEST_CASE("start-up reconciliation: lost orders rejected (not resent), unknown venue orders and balance differences reported") {
  sim::SimOptions options;
  test::SimOverTls sim("trader_venue_reconcile_test", options);
  auto& venue = sim.venue();
  // An order someone else placed on the account, resting.
  OrderRequest other = market_buy("manual-1", kOne / 100);
  other.type = OrderType::limit;
  other.limit_price = 1000 * kOne;
  REQUIRE(venue.place(other).has_value());

  OrderTracker tracker;
  PortfolioCore portfolio({"USDT", 9000 * kOne, 60});  // the sim holds 10000 USDT (10 locked by the manual order)
  auto r = node::reconcile_at_start(venue, tracker, {{market_buy("c-lost-7", kOne / 100), 0}}, portfolio,
                                    MarketRuleBook{}, {"BTCUSDT"}, 123);
  REQUIRE(r.has_value());
  std::vector<std::string> seen;
  for (const auto& m : r->messages) {
    if (const auto* e = std::get_if<OrderEvent>(&m)) {
      CHECK(e->client_order_id == "c-lost-7");
      CHECK(e->kind == OrderEventKind::rejected);
      CHECK(e->reason.find("not resent") != std::string::npos);
      seen.push_back("rejected");
    } else if (const auto* er = std::get_if<ErrorReport>(&m)) {
      seen.push_back(er->code);
      if (er->code == "venue_balance_differs") CHECK(er->message == "USDT: the venue holds 10000, the journal's portfolio 9000");
    }
  }
  CHECK(seen == std::vector<std::string>{"rejected", "venue_order_unknown", "venue_balance_differs"});
  CHECK(r->summary.find("market rules of 1 symbol(s) match market.*; 0 open order(s) from the journal found, 1 not at "
                        "the venue; 1 unknown open order(s); 1 balance difference(s); 0 perpetual position(s) as the journal's") != std::string::npos);
  CHECK(tracker.open().empty());
  // A venue with coarser lots than market.lot_step: the start stops, naming the key.
  MarketRuleBook fine;
  fine.every_symbol.lot_step = 1;
  OrderTracker other_tracker;
  auto refused = node::reconcile_at_start(venue, other_tracker, {}, portfolio, fine, {"BTCUSDT"}, 124);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().message.find("market.lot_step = 0.00000001: BTCUSDT takes quantities in steps of 0.00001") !=
        std::string::npos);
  // Whole ticks, but coarser than the venue's: the start goes on, and its summary says so.
  MarketRuleBook coarse;
  coarse.by_symbol["BTCUSDT"].tick_size = kOne;
  OrderTracker third_tracker;
  auto started = node::reconcile_at_start(venue, third_tracker, {}, portfolio, coarse, {"BTCUSDT"}, 125);
  REQUIRE(started.has_value());
  CHECK(started->summary.find("market rules of 1 symbol(s) match market.* (limit prices on coarser ticks: "
                              "market.BTCUSDT.tick_size 1 (100 of the venue's ticks of 0.01));") != std::string::npos);
  CHECK(r->summary.find("coarser") == std::string::npos);
}

TEST_CASE("exchangeInfo filters parse (NOTIONAL or the older MIN_NOTIONAL), market.* is checked against them") {
  const std::string info = R"({"timezone":"UTC","serverTime":1,"symbols":[
    {"symbol":"ETHUSDT","filters":[{"filterType":"LOT_SIZE","minQty":"0.00010000","maxQty":"9000.00000000","stepSize":"0.00010000"}]},
    {"symbol":"BTCUSDT","status":"TRADING","filters":[
      {"filterType":"PRICE_FILTER","minPrice":"0.01000000","maxPrice":"1000000.00000000","tickSize":"0.01000000"},
      {"filterType":"LOT_SIZE","minQty":"0.00001000","maxQty":"9000.00000000","stepSize":"0.00001000"},
      {"filterType":"ICEBERG_PARTS","limit":10},
      {"filterType":"MIN_NOTIONAL","minNotional":"10.00000000","applyToMarket":true,"avgPriceMins":5}]}]})";
  auto r = binance::parse_symbol_rules(info, "BTCUSDT");
  REQUIRE(r.has_value());
  CHECK(r->step_size == 1000);
  CHECK(r->max_qty == 9000 * kOne);
  CHECK(r->tick_size == kOne / 100);
  CHECK(r->min_notional == 10 * kOne);
  CHECK(binance::parse_symbol_rules(info, "XRPUSDT").error().code == -1121);
  CHECK(binance::parse_symbol_rules(R"({"symbols":[{"symbol":"BTCUSDT","filters":[{"filterType":"LOT_SIZE"}]}]})", "BTCUSDT")
            .error()
            .message.find("LOT_SIZE filter of BTCUSDT") != std::string::npos);

  MarketRuleBook book;  // every symbol: lot 0.00001, min notional 5
  MarketRules& ours = book.every_symbol;
  auto below = node::check_market_rules(book, "BTCUSDT", *r);
  REQUIRE_FALSE(below.has_value());
  CHECK(below.error().message ==
        "market.min_notional = 5: BTCUSDT refuses orders worth less than 10 (NOTIONAL); set it to at least that (or "
        "give BTCUSDT its own in [market.\"BTCUSDT\"])");
  ours.min_notional = 10 * kOne;
  CHECK(node::check_market_rules(book, "BTCUSDT", *r).has_value());
  ours.lot_step = 1500;  // 0.000015: not whole steps of 0.00001
  auto lot = node::check_market_rules(book, "BTCUSDT", *r);
  REQUIRE_FALSE(lot.has_value());
  CHECK(lot.error().message.find("market.lot_step = 0.000015: BTCUSDT takes quantities in steps of 0.00001") == 0);
  ours.lot_step = 2000;  // coarser whole steps are fine
  CHECK(node::check_market_rules(book, "BTCUSDT", *r).has_value());
  ours.tick_size = kOne / 1000;  // 0.001: finer than the venue's 0.01
  auto tick = node::check_market_rules(book, "BTCUSDT", *r);
  REQUIRE_FALSE(tick.has_value());
  CHECK(tick.error().message ==
        "market.tick_size = 0.001: BTCUSDT takes prices in steps of 0.01 (PRICE_FILTER); set it to a multiple of that "
        "(or give BTCUSDT its own in [market.\"BTCUSDT\"])");
  ours.tick_size = kOne / 10;  // 0.1: whole ticks
  CHECK(node::check_market_rules(book, "BTCUSDT", *r).has_value());

  // A symbol with rules of its own is checked by those, and the error names its keys.
  book.every_symbol = MarketRules{};  // 0.00001, 5, 0.01: refused by BTCUSDT's NOTIONAL of 10
  MarketRules btc;
  btc.min_notional = 10 * kOne;
  btc.tick_size = kOne / 1000;  // finer than 0.01
  book.by_symbol["BTCUSDT"] = btc;
  auto own = node::check_market_rules(book, "BTCUSDT", *r);
  REQUIRE_FALSE(own.has_value());
  CHECK(own.error().message ==
        "market.BTCUSDT.tick_size = 0.001: BTCUSDT takes prices in steps of 0.01 (PRICE_FILTER); set it to a multiple "
        "of that");
  book.by_symbol["BTCUSDT"].tick_size = kOne / 100;
  CHECK(node::check_market_rules(book, "BTCUSDT", *r).has_value());
}

TEST_CASE("order tracker cross-check: the user stream and REST must agree on each order they both watched") {
  OrderTracker t;
  t.set_stream_live(true);
  t.track(market_buy("agree", 10 * kOne));
  t.track(market_buy("stream_short", 10 * kOne));
  t.track(market_buy("rest_short", 10 * kOne));
  // agree: the stream reports both fills first (their reason says so), REST confirms.
  auto ev = t.update(view("agree", VenueOrderStatus::partially_filled, 10 * kOne, 4 * kOne, {{100 * kOne, 4 * kOne, 0, "BTC", 1}}),
                     ReportPath::stream);
  REQUIRE(ev.size() == 2);
  CHECK(ev[1].reason == "user stream");
  ev = t.update(view("agree", VenueOrderStatus::filled, 10 * kOne, 10 * kOne, {{100 * kOne, 6 * kOne, 0, "BTC", 2}}),
                ReportPath::stream);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].kind == OrderEventKind::filled);
  // Ended by the stream, not yet confirmed by REST: the poll still looks it up.
  auto polled = t.to_poll();
  CHECK(std::count_if(polled.begin(), polled.end(), [](const OrderRequest& r) { return r.client_order_id == "agree"; }) == 1);
  CHECK(t.update(view("agree", VenueOrderStatus::filled, 10 * kOne, 10 * kOne)).empty());
  // stream_short: one fill reached REST only (its event says REST).
  t.update(view("stream_short", VenueOrderStatus::partially_filled, 10 * kOne, 4 * kOne, {{100 * kOne, 4 * kOne, 0, "BTC", 3}}),
           ReportPath::stream);
  ev = t.update(view("stream_short", VenueOrderStatus::filled, 10 * kOne, 10 * kOne,
                     {{100 * kOne, 4 * kOne, 0, "BTC", 3}, {100 * kOne, 6 * kOne, 0, "BTC", 4}}));
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].reason == "REST");
  // rest_short: the stream ended it with 10 executed, REST's final view says 7.
  t.update(view("rest_short", VenueOrderStatus::filled, 10 * kOne, 10 * kOne, {{100 * kOne, 10 * kOne, 0, "BTC", 5}}),
           ReportPath::stream);
  t.update(view("rest_short", VenueOrderStatus::canceled, 10 * kOne, 7 * kOne));

  // stream_short waits for its end on the stream (it may still be on its way), then counts it missing.
  auto first = t.cross_check(1);
  REQUIRE(first.size() == 1);
  CHECK(first[0].client_order_id == "rest_short");
  CHECK(first[0].code == "rest_missed_fill");
  CHECK(first[0].message == "rest_short: REST reports 7 executed, the user stream 10; the venue's REST view lacks fills "
                            "its stream reported");
  auto second = t.cross_check(1);
  REQUIRE(second.size() == 1);
  CHECK(second[0].code == "user_stream_missed_fill");
  CHECK(second[0].message == "stream_short: REST reports 10 executed, the user stream 4; the fills it missed were "
                             "reported from REST");
  CHECK(t.cross_check(1).empty());  // each order once
  CHECK(t.cross_checked() == 3);    // agree passed

  // An order that lived through a drop, or was sent while the stream was down, is not cross-checked.
  t.track(market_buy("through_drop", 10 * kOne));
  t.set_stream_live(false);
  t.track(market_buy("while_down", 10 * kOne));
  t.update(view("through_drop", VenueOrderStatus::filled, 10 * kOne, 10 * kOne, {{100 * kOne, 10 * kOne, 0, "BTC", 6}}));
  t.update(view("while_down", VenueOrderStatus::filled, 10 * kOne, 10 * kOne, {{100 * kOne, 10 * kOne, 0, "BTC", 7}}));
  for (int i = 0; i < 5; ++i) CHECK(t.cross_check(1).empty());
  CHECK(t.cross_checked() == 3);
  CHECK(t.to_poll().empty());
}

TEST_CASE("user-data stream frames: execution reports become order views with their trade, answers say subscribed or "
          "refused, unreadable frames are errors") {
  auto trade = binance::parse_user_stream_frame(
      R"({"subscriptionId":0,"event":{"e":"executionReport","E":1,"s":"BTCUSDT","c":"c1","S":"BUY","o":"LIMIT","f":"GTC",)"
      R"("q":"0.01","p":"50000","x":"TRADE","X":"PARTIALLY_FILLED","r":"NONE","i":7,"l":"0.004","z":"0.004","L":"49999.5",)"
      R"("n":"0.000004","N":"BTC","T":123,"t":42,"w":true,"m":true,"O":1,"Z":"199.998","C":""}})");
  REQUIRE(trade.has_value());
  CHECK(trade->kind == VenueUpdate::Kind::order);
  CHECK(trade->order.client_order_id == "c1");
  CHECK(trade->order.exchange_order_id == "7");
  CHECK(trade->order.status == VenueOrderStatus::partially_filled);
  CHECK(trade->order.orig_qty == kOne / 100);
  CHECK(trade->order.executed_qty == 400'000);
  CHECK(trade->order.update_ms == 123);
  REQUIRE(trade->order.fills.size() == 1);
  CHECK(trade->order.fills[0].price == 4'999'950'000'000);
  CHECK(trade->order.fills[0].qty == 400'000);
  CHECK(trade->order.fills[0].commission == 400);
  CHECK(trade->order.fills[0].commission_asset == "BTC");
  CHECK(trade->order.fills[0].trade_id == 42);
  // A cancel names the canceled order in C (c is the cancel request's own id).
  auto cancel = binance::parse_user_stream_frame(
      R"({"subscriptionId":0,"event":{"e":"executionReport","s":"BTCUSDT","c":"cancel-7","S":"BUY","q":"0.01","x":"CANCELED",)"
      R"("X":"CANCELED","i":7,"l":"0","z":"0.004","L":"0","n":"0","N":null,"T":124,"t":-1,"Z":"199.998","C":"c1"}})");
  REQUIRE(cancel.has_value());
  CHECK(cancel->order.client_order_id == "c1");
  CHECK(cancel->order.status == VenueOrderStatus::canceled);
  CHECK(cancel->order.fills.empty());
  auto ok = binance::parse_user_stream_frame(R"({"id":"sub-1","status":200,"result":{"subscriptionId":3}})");
  REQUIRE(ok.has_value());
  CHECK(ok->kind == VenueUpdate::Kind::subscribed);
  auto refused = binance::parse_user_stream_frame(
      R"({"id":"sub-1","status":400,"error":{"code":-1022,"msg":"Signature for this request is not valid."}})");
  REQUIRE(refused.has_value());
  CHECK(refused->kind == VenueUpdate::Kind::refused);
  CHECK(refused->detail == "status 400, code -1022: Signature for this request is not valid.");
  CHECK(binance::parse_user_stream_frame(R"({"event":{"e":"outboundAccountPosition","B":[]}})")->kind ==
        VenueUpdate::Kind::other);
  CHECK(binance::parse_user_stream_frame(R"({"event":{"e":"eventStreamTerminated"}})")->kind ==
        VenueUpdate::Kind::dropped);
  CHECK(binance::parse_user_stream_frame("{not json").error().message == "not JSON");
  auto no_qty = binance::parse_user_stream_frame(
      R"({"event":{"e":"executionReport","s":"BTCUSDT","c":"c1","S":"BUY","x":"NEW","X":"NEW","i":7}})");
  REQUIRE_FALSE(no_qty.has_value());
  CHECK(no_qty.error().message == "executionReport without a readable quantity (q, z, Z)");
}

TEST_CASE("the user-data stream subscription is signed over its sorted parameters") {
  credentials::ApiCredentials keys{"key-1", "secret-1"};
  const auto request = binance::user_stream_subscribe_request("sub-9", keys, 1700000000000, 5000);
  const std::string signature =
      credentials::hmac_sha256_hex("secret-1", "apiKey=key-1&recvWindow=5000&timestamp=1700000000000");
  CHECK(request == R"({"id":"sub-9","method":"userDataStream.subscribe.signature","params":{"apiKey":"key-1",)"
                   R"("recvWindow":5000,"timestamp":1700000000000,"signature":")" + signature + R"("}})");
  CHECK(request.find("secret-1") == std::string::npos);
}

TEST_CASE("order tracker: a push update that shows more executed than was reported is a gap, found before it ends "
          "the order") {
  OrderTracker t;
  t.track(market_buy("g", 10 * kOne));
  t.update(view("g", VenueOrderStatus::partially_filled, 10 * kOne, 4 * kOne, {{100 * kOne, 4 * kOne, 0, "BTC", 1}}),
           ReportPath::stream);
  // The next trade's report, as expected: no gap.
  CHECK_FALSE(t.stream_gap(view("g", VenueOrderStatus::partially_filled, 10 * kOne, 6 * kOne,
                                {{100 * kOne, 2 * kOne, 0, "BTC", 2}})));
  // The report of trade 2 was lost; the cancel says 6 executed with no trade of its own.
  const auto cancel = view("g", VenueOrderStatus::canceled, 10 * kOne, 6 * kOne);
  CHECK(t.stream_gap(cancel));
  // What the gateway does: REST first (with the order's trades), then the push update.
  auto found = t.update(view("g", VenueOrderStatus::canceled, 10 * kOne, 6 * kOne,
                             {{100 * kOne, 4 * kOne, 0, "BTC", 1}, {100 * kOne, 2 * kOne, 0, "BTC", 2}}));
  REQUIRE(found.size() == 2);
  CHECK(found[0].kind == OrderEventKind::partially_filled);
  CHECK(found[0].fill_qty == 2 * kOne);
  CHECK(found[0].reason == "REST");
  CHECK(found[1].kind == OrderEventKind::canceled);
  CHECK(found[1].cum_qty == 6 * kOne);
  CHECK(t.update(cancel, ReportPath::stream).empty());
  CHECK_FALSE(t.stream_gap(cancel));  // ended
}

TEST_CASE("order tracker: after a restart, a trade the user stream pushes is new, never one reported before the crash") {
  OrderTracker t;
  // 4 of 10 filled (trade 8) before the crash; the restart's lookup saw nothing more, so
  // no trades were read and the tracker still counts 4 as reported.
  t.restore(market_buy("r", 10 * kOne), 4 * kOne);
  auto pushed = t.update(view("r", VenueOrderStatus::partially_filled, 10 * kOne, 6 * kOne,
                              {{100 * kOne, 2 * kOne, 0, "BTC", 9}}),
                         ReportPath::stream);
  REQUIRE(pushed.size() == 1);
  CHECK(pushed[0].kind == OrderEventKind::partially_filled);
  CHECK(pushed[0].trade_id == 9);
  CHECK(pushed[0].cum_qty == 6 * kOne);
  // REST's whole list later: trade 8 is the one from before the crash, 9 was pushed, 10 is new.
  auto listed = t.update(view("r", VenueOrderStatus::filled, 10 * kOne, 10 * kOne,
                              {{100 * kOne, 4 * kOne, 0, "BTC", 8}, {100 * kOne, 2 * kOne, 0, "BTC", 9},
                               {100 * kOne, 4 * kOne, 0, "BTC", 10}}));
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].kind == OrderEventKind::filled);
  CHECK(listed[0].trade_id == 10);
  CHECK(listed[0].cum_qty == 10 * kOne);
}

TEST_CASE("after a restart, a trade whose report was lost just before the crash is reported, though a later trade of "
          "the order was booked") {
  // The journal: c1 accepted, trade 8 (4) booked, trade 9's report lost (its lookup failed,
  // and the node crashed before the poll that would have found it), trade 10 (2) booked.
  test::TempDir dir;
  const std::string path = dir.sub("journal");
  auto fill = [](const std::string& cid, std::uint64_t trade, std::int64_t qty, std::int64_t cum) {
    OrderEvent e;
    e.client_order_id = cid;
    e.symbol = "BTCUSDT";
    e.kind = OrderEventKind::partially_filled;
    e.fill_qty = qty;
    e.fill_price = 100 * kOne;
    e.cum_qty = cum;
    e.order_qty = 10 * kOne;
    e.trade_id = trade;
    return e;
  };
  {
    auto w = journal::Writer::open(path);
    REQUIRE(w.has_value());
    OrderEvent accepted = fill("c1", 0, 0, 0);
    accepted.kind = OrderEventKind::accepted;
    std::int64_t ts = 1;
    for (const Message& m : {Message{fill("c0", 5, kOne, kOne)}, Message{accepted}, Message{fill("c1", 8, 4 * kOne, 4 * kOne)},
                             Message{ClockTick{7}}, Message{fill("c1", 10, 2 * kOne, 6 * kOne)}})
      (*w)->append(test::header_at(ts++, Actor::exchange), m);
    REQUIRE((*w)->commit().has_value());
  }
  auto reader = journal::Reader::open(path);
  REQUIRE(reader.has_value());
  auto booked = node::booked_fills(**reader, {"c1", "c2"});
  REQUIRE(booked.has_value());
  REQUIRE(booked->size() == 1);  // c0 is not asked for; c2 has no fill
  const BookedFills& c1 = booked->at("c1");
  CHECK(c1.trade_ids == std::set<std::uint64_t>{8, 10});
  CHECK(c1.qty == 6 * kOne);

  OrderTracker t;
  t.restore(market_buy("c1", 10 * kOne), 6 * kOne, c1);
  const auto no_trades = view("c1", VenueOrderStatus::partially_filled, 10 * kOne, 7 * kOne);
  CHECK(t.missing_fills(no_trades));
  auto found = t.update(view("c1", VenueOrderStatus::partially_filled, 10 * kOne, 7 * kOne,
                             {{100 * kOne, 4 * kOne, 0, "BTC", 8}, {100 * kOne, kOne, 0, "BTC", 9},
                              {100 * kOne, 2 * kOne, 0, "BTC", 10}}));
  REQUIRE(found.size() == 1);  // 8 and 10 were booked; by quantity alone, 9 would pass for one of them
  CHECK(found[0].kind == OrderEventKind::partially_filled);
  CHECK(found[0].trade_id == 9);
  CHECK(found[0].fill_qty == kOne);
  CHECK(found[0].cum_qty == 7 * kOne);
  CHECK_FALSE(t.missing_fills(no_trades));
}

// exchange-sim's USDⓈ-M personality on the bundled perpetual capture.
static sim::SimOptions usdm_sim_options() {
  sim::SimOptions options;
  options.venue = VenueId::binance_usdm;
  options.captures = {std::string(TRADER_TEST_DATA_DIR) + "/btcusdt_usdm_20240808_trades_book.gz"};
  return options;
}

TEST_CASE("binance USDⓈ-M REST venue against exchange-sim over TLS: a short, its fill from userTrades, the position, the wallet") {
  test::SimOverTls sim("trader_venue_usdm_test", usdm_sim_options(), binance::Market::usdm);
  auto& v = sim.venue();
  CHECK(v.name() == "binance_usdm");
  REQUIRE(v.sync_time().has_value());
  // The node names the perpetual "BTCUSDT@binance_usdm"; the venue's requests carry "BTCUSDT".
  const std::string perp = "BTCUSDT@binance_usdm";
  auto price = v.price(perp);
  REQUIRE(price.has_value());
  CHECK(*price == 6180030000000);  // the capture's first trade: 61800.30
  auto rules = v.rules(perp);  // fapi's MIN_NOTIONAL names its field "notional"
  REQUIRE(rules.has_value());
  CHECK(rules->symbol == perp);
  CHECK(rules->min_notional == 5 * kOne);
  CHECK(rules->step_size == 1000);
  // A new account's margin type is CROSSED: set ISOLATED (the portfolio's), then again
  // (Binance's -4046 "No need to change margin type." is success).
  auto leverage = v.set_margin(perp, futures::MarginMode::isolated, 10);
  REQUIRE_MESSAGE(leverage.has_value(), leverage.error().message);
  CHECK(*leverage == 10);
  REQUIRE(v.set_margin(perp, futures::MarginMode::isolated, 10).has_value());

  OrderRequest sell = market_buy("short-1", kOne / 100);  // 0.01 BTC
  sell.side = Side::sell;
  sell.symbol = perp;
  auto placed = v.place(sell);
  REQUIRE(placed.has_value());
  CHECK(placed->symbol == perp);
  CHECK(placed->status == VenueOrderStatus::filled);
  CHECK(placed->executed_qty == kOne / 100);
  CHECK(placed->quote_qty == 61800300000);  // 618.003
  CHECK(placed->fills.empty());  // fapi's answer has none: they are the order's trades
  // With the position open the margin type stays: cross is refused (-4048, so the symbol is
  // ISOLATED at the venue), isolated again is still success.
  auto to_cross = v.set_margin(perp, futures::MarginMode::cross, 10);
  REQUIRE_FALSE(to_cross.has_value());
  CHECK(to_cross.error().code == -4048);
  CHECK(to_cross.error().message.find("exists position") != std::string::npos);
  REQUIRE(v.set_margin(perp, futures::MarginMode::isolated, 10).has_value());
  auto fills = v.trades(perp, placed->exchange_order_id);
  REQUIRE(fills.has_value());
  REQUIRE(fills->size() == 1);
  CHECK((*fills)[0].price == 6180030000000);
  CHECK((*fills)[0].commission == 61800300);  // 0.618003: 0.1 % of the notional, in USDT
  CHECK((*fills)[0].commission_asset == "USDT");
  auto looked_up = v.query(perp, "short-1");
  REQUIRE(looked_up.has_value());
  CHECK(looked_up->status == VenueOrderStatus::filled);

  auto positions = v.positions();
  REQUIRE(positions.has_value());
  REQUIRE(positions->size() == 1);
  CHECK((*positions)[0].symbol == perp);
  CHECK((*positions)[0].qty == -kOne / 100);
  CHECK((*positions)[0].entry_price == 6180030000000);
  CHECK((*positions)[0].leverage == 10);
  auto wallet = v.balances();
  REQUIRE(wallet.has_value());
  bool usdt = false;
  for (const auto& b : *wallet)
    if (b.asset == "USDT") {
      usdt = true;
      CHECK(b.free + b.locked == 999938199700);  // 10000 - the fee
      CHECK(b.locked == 6180030000);             // the short's margin: 618.003 at 10x
    }
  CHECK(usdt);
  CHECK(v.open_orders().value().empty());
  // Reduce-only: a sell would grow the short (refused, -2022); a buy of its size closes it.
  OrderRequest grow = sell;
  grow.client_order_id = "grow-1";
  grow.reduce_only = true;
  auto refused = v.place(grow);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == -2022);
  OrderRequest close = grow;
  close.client_order_id = "close-1";
  close.side = Side::buy;
  REQUIRE(v.place(close).has_value());
  CHECK(v.positions().value().at(0).qty == 0);

  // The USDⓈ-M personality has no spot API: a spot client meets 404 there.
  binance::RestVenueOptions spot;
  spot.base_url = sim.url();
  spot.ca_file = sim.ca_file();
  spot.credentials = {"k", "s"};
  auto spot_venue = binance::RestVenue::create(spot);
  REQUIRE(spot_venue.has_value());
  auto no_spot = (*spot_venue)->price("BTCUSDT");
  REQUIRE_FALSE(no_spot.has_value());
  CHECK(no_spot.error().http_status == 404);
}

TEST_CASE("binance USDⓈ-M positionRisk: every field read exactly, a leverage that is not a whole 1..125 refused") {
  const auto risk = [](std::string_view leverage) {
    return fmt::format(R"([{{"symbol":"BTCUSDT","positionAmt":"-0.010","entryPrice":"61800.3","markPrice":"61790.1",)"
                       R"("unRealizedProfit":"0.10200000","leverage":"{}"}}])",
                       leverage);
  };
  auto read = binance::parse_positions(risk("20"));
  REQUIRE(read.has_value());
  REQUIRE(read->size() == 1);
  CHECK((*read)[0].qty == -kOne / 100);
  CHECK((*read)[0].unrealized_pnl == 10200000);
  CHECK((*read)[0].leverage == 20);
  for (std::string_view odd : {"20x", "", "0", "126", "-3", "99999999999"}) {
    auto refused = binance::parse_positions(risk(odd));
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().message.find("leverage") != std::string::npos);
  }
}

TEST_CASE("start-up reconciliation of perpetuals: a traded one must be as the journal holds it, others are reported") {
  test::SimOverTls sim("trader_venue_usdm_reconcile_test", usdm_sim_options(), binance::Market::usdm);
  auto& venue = sim.venue();
  const std::string perp = "BTCUSDT@binance_usdm";
  OrderRequest shorted = market_buy("someone-else", kOne / 100);
  shorted.symbol = perp;
  shorted.side = Side::sell;
  REQUIRE(venue.place(shorted).has_value());
  PortfolioCore flat({"USDT", 10000 * kOne, 60});
  MarketRuleBook rules;
  rules.every_symbol.lot_step = kOne / 1000;
  // Traded by the node, held by nobody in its journal: the start stops, naming both.
  OrderTracker tracker;
  auto refused = node::reconcile_at_start(venue, tracker, {}, flat, rules, {perp}, 1);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().message.find("BTCUSDT@binance_usdm is -0.01 at the venue, 0 in the journal's portfolio") !=
        std::string::npos);
  // Not traded by this node: the account's own, reported and left alone.
  OrderTracker other;
  auto reported = node::reconcile_at_start(venue, other, {}, flat, rules, {}, 2);
  REQUIRE(reported.has_value());
  bool seen = false;
  for (const auto& m : reported->messages)
    if (const auto* e = std::get_if<ErrorReport>(&m); e && e->code == "venue_position_unknown") {
      seen = true;
      CHECK(e->message == "position BTCUSDT@binance_usdm -0.01 at the venue is not traded by this node; left alone");
    }
  CHECK(seen);
}
