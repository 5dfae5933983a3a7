#include <doctest/doctest.h>

#include <fmt/format.h>

#include "credentials/credentials.hpp"
#include "exchange/net/backoff.hpp"
#include "exchange/sim/rest_auth.hpp"
#include "exchange/binance/frame_parser.hpp"
#include "exchange/kucoin/frame_parser.hpp"
#include "exchange/sim/shift_times.hpp"
#include "exchange/sim/sim_marks.hpp"
#include "exchange/sim/sim_venue.hpp"

using namespace trader;
using namespace trader::sim;

namespace {
constexpr std::int64_t kOne = 100'000'000;
SimVenue venue() { return SimVenue({{"USDT", 1000 * kOne}}); }
}  // namespace

TEST_CASE("sim venue: market orders fill at the last trade with the fee on what is received") {
  auto v = venue();
  auto closed = v.new_order({{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "MARKET"}, {"quantity", "0.01"}}, 1);
  REQUIRE_FALSE(closed.has_value());
  CHECK(closed.error().code == -2010);  // no trade yet
  v.on_trade("BTCUSDT", 50000 * kOne, kOne, 2);
  auto r = v.new_order({{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "MARKET"}, {"quantity", "0.01"},
                        {"newClientOrderId", "c1"}}, 3);
  REQUIRE(r.has_value());
  CHECK(r->find(R"("status":"FILLED")") != std::string::npos);
  CHECK(r->find(R"("cummulativeQuoteQty":"500")") != std::string::npos);
  CHECK(r->find(R"("commission":"0.00001","commissionAsset":"BTC")") != std::string::npos);
  CHECK(v.account(4).find(R"({"asset":"BTC","free":"0.00999","locked":"0"})") != std::string::npos);
  CHECK(v.account(4).find(R"({"asset":"USDT","free":"500","locked":"0"})") != std::string::npos);
  auto dup = v.new_order({{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "MARKET"}, {"quantity", "0.01"},
                          {"newClientOrderId", "c1"}}, 5);
  REQUIRE_FALSE(dup.has_value());
  CHECK(dup.error().msg == "Duplicate order sent.");
  auto broke = v.new_order({{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "MARKET"}, {"quantity", "1"}}, 6);
  REQUIRE_FALSE(broke.has_value());
  CHECK(broke.error().msg.find("insufficient balance") != std::string::npos);
  CHECK(v.query_order({{"symbol", "BTCUSDT"}, {"origClientOrderId", "c1"}}).has_value());
  CHECK(v.query_order({{"symbol", "BTCUSDT"}, {"origClientOrderId", "nope"}}).error().code == -2013);
}

TEST_CASE("sim venue: with fees in BNB, both sides of a fill move whole and the BNB balance pays") {
  SimVenue v({{"USDT", 1000 * kOne}, {"BNB", kOne}}, 1000, {}, FeeAsset::bnb);
  v.on_trade("BTCUSDT", 50000 * kOne, kOne, 1);
  auto buy = v.new_order({{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "MARKET"}, {"quantity", "0.01"}}, 2);
  REQUIRE(buy.has_value());
  // 500 x 0.1 % x 3/4 = 0.375 of USDT, at 600 a BNB: 0.000625 BNB.
  CHECK(buy->find(R"("commission":"0.000625","commissionAsset":"BNB")") != std::string::npos);
  CHECK(v.account(3).find(R"({"asset":"BTC","free":"0.01","locked":"0"})") != std::string::npos);
  CHECK(v.account(3).find(R"({"asset":"USDT","free":"500","locked":"0"})") != std::string::npos);
  CHECK(v.account(3).find(R"({"asset":"BNB","free":"0.999375","locked":"0"})") != std::string::npos);
  // A limit sell resting, then crossed: all of the BTC leaves, all of the USDT arrives.
  REQUIRE(v.new_order({{"symbol", "BTCUSDT"}, {"side", "SELL"}, {"type", "LIMIT"}, {"timeInForce", "GTC"},
                       {"quantity", "0.01"}, {"price", "51000"}}, 4).has_value());
  v.on_trade("BTCUSDT", 51000 * kOne, kOne, 5);
  CHECK(v.account(6).find(R"({"asset":"BTC","free":"0","locked":"0"})") != std::string::npos);
  CHECK(v.account(6).find(R"({"asset":"USDT","free":"1010","locked":"0"})") != std::string::npos);
  CHECK(v.account(6).find(R"({"asset":"BNB","free":"0.9987375","locked":"0"})") != std::string::npos);  // 510 x 0.075 % / 600 = 0.0006375
}

TEST_CASE("sim venue: limit orders lock funds, fill when a trade crosses, cancel releases") {
  auto v = venue();
  v.on_trade("BTCUSDT", 50000 * kOne, kOne, 1);
  auto r = v.new_order({{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "LIMIT"}, {"timeInForce", "GTC"},
                        {"quantity", "0.01"}, {"price", "49000"}, {"newClientOrderId", "l1"}}, 2);
  REQUIRE(r.has_value());
  CHECK(r->find(R"("status":"NEW")") != std::string::npos);
  CHECK(v.account(3).find(R"({"asset":"USDT","free":"510","locked":"490"})") != std::string::npos);
  CHECK(v.open_orders({}).find(R"("clientOrderId":"l1")") != std::string::npos);
  v.on_trade("BTCUSDT", 49500 * kOne, kOne, 4);  // not low enough
  CHECK(v.open_orders({}) != "[]");
  v.on_trade("BTCUSDT", 48999 * kOne, kOne, 5);
  CHECK(v.open_orders({}) == "[]");
  CHECK(v.query_order({{"symbol", "BTCUSDT"}, {"orderId", "1"}})->find(R"("status":"FILLED")") != std::string::npos);
  CHECK(v.account(6).find(R"({"asset":"USDT","free":"510","locked":"0"})") != std::string::npos);

  REQUIRE(v.new_order({{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "LIMIT"}, {"timeInForce", "GTC"},
                       {"quantity", "0.01"}, {"price", "40000"}, {"newClientOrderId", "l2"}}, 7));
  auto c = v.cancel_order({{"symbol", "BTCUSDT"}, {"origClientOrderId", "l2"}}, 8);
  REQUIRE(c.has_value());
  CHECK(c->find(R"("status":"CANCELED")") != std::string::npos);
  CHECK(v.account(9).find(R"({"asset":"USDT","free":"510","locked":"0"})") != std::string::npos);
  CHECK(v.cancel_order({{"symbol", "BTCUSDT"}, {"origClientOrderId", "l2"}}, 10).error().code == -2011);
  auto ioc = v.new_order({{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "LIMIT"}, {"timeInForce", "IOC"},
                          {"quantity", "0.01"}, {"price", "40000"}}, 11);
  REQUIRE(ioc.has_value());
  CHECK(ioc->find(R"("status":"EXPIRED")") != std::string::npos);
  CHECK(v.new_order({{"symbol", "NOPE"}, {"side", "BUY"}, {"type", "MARKET"}, {"quantity", "1"}}, 12).error().code == -1121);
  CHECK(v.new_order({{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "LIMIT"}, {"quantity", "1"}}, 12).error().code == -1102);
}

TEST_CASE("sim venue: a trade smaller than a resting limit fills it partly, the order keeps working and cancels with "
          "the rest released") {
  auto v = venue();
  v.on_trade("BTCUSDT", 50000 * kOne, kOne, 1);
  REQUIRE(v.new_order({{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "LIMIT"}, {"timeInForce", "GTC"},
                       {"quantity", "0.01"}, {"price", "33333.33"}, {"newClientOrderId", "p1"}}, 2));
  // locked: 0.01 x 33333.33 = 333.3333
  CHECK(v.account(3).find(R"({"asset":"USDT","free":"666.6667","locked":"333.3333"})") != std::string::npos);
  v.on_trade("BTCUSDT", 33000 * kOne, 300'000, 4);  // 0.003 crosses
  auto part = v.query_order({{"symbol", "BTCUSDT"}, {"origClientOrderId", "p1"}});
  REQUIRE(part.has_value());
  CHECK(part->find(R"("executedQty":"0.003")") != std::string::npos);
  CHECK(part->find(R"("status":"PARTIALLY_FILLED")") != std::string::npos);
  CHECK(v.open_orders({}).find(R"("clientOrderId":"p1")") != std::string::npos);
  // 0.003 x 33333.33 = 99.99999 released and spent at the limit price (the maker's price)
  CHECK(v.account(5).find(R"({"asset":"USDT","free":"666.6667","locked":"233.33331"})") != std::string::npos);
  CHECK(v.my_trades({{"symbol", "BTCUSDT"}})->find(R"("qty":"0.003")") != std::string::npos);
  auto c = v.cancel_order({{"symbol", "BTCUSDT"}, {"origClientOrderId", "p1"}}, 6);
  REQUIRE(c.has_value());
  CHECK(c->find(R"("status":"CANCELED")") != std::string::npos);
  CHECK(c->find(R"("executedQty":"0.003")") != std::string::npos);
  // Nothing stays locked, and cash + spent adds up to the 1000 the account began with.
  CHECK(v.account(7).find(R"({"asset":"USDT","free":"900.00001","locked":"0"})") != std::string::npos);

  // Two resting orders share one trade in arrival order; the second takes what is left.
  REQUIRE(v.new_order({{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "LIMIT"}, {"timeInForce", "GTC"},
                       {"quantity", "0.002"}, {"price", "30000"}, {"newClientOrderId", "a"}}, 8));
  REQUIRE(v.new_order({{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "LIMIT"}, {"timeInForce", "GTC"},
                       {"quantity", "0.002"}, {"price", "30000"}, {"newClientOrderId", "b"}}, 9));
  v.on_trade("BTCUSDT", 29000 * kOne, 300'000, 10);
  CHECK(v.query_order({{"symbol", "BTCUSDT"}, {"origClientOrderId", "a"}})->find(R"("status":"FILLED")") != std::string::npos);
  auto b = v.query_order({{"symbol", "BTCUSDT"}, {"origClientOrderId", "b"}});
  CHECK(b->find(R"("executedQty":"0.001")") != std::string::npos);
  CHECK(b->find(R"("status":"PARTIALLY_FILLED")") != std::string::npos);
  v.on_trade("BTCUSDT", 29000 * kOne, kOne, 11);
  CHECK(v.query_order({{"symbol", "BTCUSDT"}, {"origClientOrderId", "b"}})->find(R"("status":"FILLED")") != std::string::npos);
  CHECK(v.account(12).find(R"({"asset":"USDT","free":"780.00001","locked":"0"})") != std::string::npos);
}

TEST_CASE("sim venue: exchangeInfo shows the symbol's filters (or every symbol's), orders that break them get -1013") {
  SymbolFilters f;
  f.step_size = f.min_qty = 100'000;  // 0.001
  f.min_notional = 10 * kOne;
  SimVenue v({{"USDT", 1000 * kOne}}, 1000, f);
  auto info = v.exchange_info({{"symbol", "BTCUSDT"}}, 1);
  REQUIRE(info.has_value());
  CHECK(info->find(R"({"filterType":"LOT_SIZE","minQty":"0.001","maxQty":"9000","stepSize":"0.001"})") != std::string::npos);
  CHECK(info->find(R"("minNotional":"10")") != std::string::npos);
  CHECK(v.exchange_info({{"symbol", "NOPE"}}, 1).error().code == -1121);
  // Without a symbol, as on Binance (ccxt's loadMarkets asks so): every symbol it trades.
  CHECK(*v.exchange_info({}, 1) == R"({"timezone":"UTC","serverTime":1,"rateLimits":[],"symbols":[]})");
  v.on_trade("BTCUSDT", 50000 * kOne, kOne, 2);
  v.open_at("ETHUSDT", 3000 * kOne);
  auto all = v.exchange_info({}, 1);
  REQUIRE(all.has_value());
  CHECK(all->find(R"("symbols":[{"symbol":"BTCUSDT","status":"TRADING","baseAsset":"BTC","quoteAsset":"USDT")") != std::string::npos);
  CHECK(all->find(R"(},{"symbol":"ETHUSDT","status":"TRADING","baseAsset":"ETH")") != std::string::npos);
  auto order = [&](const char* qty, const char* type, const char* price) {
    Params p{{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", type}, {"quantity", qty}};
    if (price != nullptr) p.insert({{"price", price}, {"timeInForce", "GTC"}});
    return v.new_order(p, 3);
  };
  CHECK(order("0.0015", "MARKET", nullptr).error().msg == "Filter failure: LOT_SIZE");
  CHECK(order("0.0001", "MARKET", nullptr).error().msg == "Filter failure: LOT_SIZE");  // below minQty
  CHECK(order("0.001", "LIMIT", "9000").error().msg == "Filter failure: NOTIONAL");     // 9 < 10
  CHECK(order("0.001", "LIMIT", "20000.005").error().msg == "Filter failure: PRICE_FILTER");
  CHECK(order("0.001", "LIMIT", "20000.005").error().code == -1013);
  CHECK(order("0.002", "MARKET", nullptr).has_value());
  CHECK(v.orders() == 1);  // the refused ones were never placed
}

TEST_CASE("sim auth: Binance's checks in Binance's order, signature over query + body") {
  const std::string key = "k", secret = "s";
  const std::string q = "symbol=BTCUSDT&timestamp=1000";
  const std::string sig = credentials::hmac_sha256_hex(secret, q);
  auto ok = authenticate({key, q + "&signature=" + sig, ""}, key, secret, 1500);
  REQUIRE(ok.has_value());
  CHECK(ok->at("symbol") == "BTCUSDT");
  CHECK_FALSE(ok->count("signature"));
  // Split between query and body: the body is appended to the query for the signature.
  const std::string body = "side=BUY&quantity=1";
  auto split = authenticate({key, "timestamp=1000", body + "&signature=" + credentials::hmac_sha256_hex(secret, "timestamp=1000" + body)},
                            key, secret, 1500);
  REQUIRE(split.has_value());
  CHECK(split->at("side") == "BUY");
  CHECK(authenticate({"", q + "&signature=" + sig, ""}, key, secret, 1500).error().code == -2014);
  CHECK(authenticate({"x", q + "&signature=" + sig, ""}, key, secret, 1500).error().code == -2015);
  CHECK(authenticate({key, q + "&signature=" + sig, ""}, key, secret, 7000).error().code == -1021);  // too old
  CHECK(authenticate({key, q + "&signature=" + sig, ""}, key, secret, -1000).error().code == -1021);  // from the future
  CHECK(authenticate({key, q, ""}, key, secret, 1500).error().code == -1102);
  CHECK(authenticate({key, q + "&signature=" + std::string(64, '0'), ""}, key, secret, 1500).error().code == -1022);
  CHECK(authenticate({key, "symbol=X&timestamp=1000&recvWindow=70000&signature=00", ""}, key, secret, 1500).error().code == -1131);
  CHECK(parse_params("a=1&b=%41%42&c=x+y&d")["b"] == "AB");
  CHECK(parse_params("a=1&b=%41%42&c=x+y&d")["c"] == "x y");
}

TEST_CASE("backoff: exponential with jitter, capped, reset") {
  using ms = std::chrono::milliseconds;
  net::Backoff b(ms(100), ms(1000), 7);
  std::int64_t cap = 100;
  for (int i = 0; i < 8; ++i) {
    const auto d = b.next().count();
    CHECK(d >= cap / 2);
    CHECK(d <= cap);
    cap = std::min<std::int64_t>(cap * 2, 1000);
  }
  b.reset();
  CHECK(b.next().count() <= 100);
}

TEST_CASE("sim venue: every order change is an executionReport for the user-data stream") {
  auto v = venue();
  v.on_trade("BTCUSDT", 50000 * kOne, kOne, 1);
  CHECK(v.take_events().empty());
  REQUIRE(v.new_order({{"symbol", "BTCUSDT"}, {"side", "BUY"}, {"type", "LIMIT"}, {"timeInForce", "GTC"},
                       {"quantity", "0.01"}, {"price", "49000"}, {"newClientOrderId", "u1"}}, 2));
  auto events = v.take_events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].find(R"("e":"executionReport")") != std::string::npos);
  CHECK(events[0].find(R"("c":"u1")") != std::string::npos);
  CHECK(events[0].find(R"("x":"NEW","X":"NEW")") != std::string::npos);
  v.on_trade("BTCUSDT", 48000 * kOne, 400'000, 3);  // 0.004 crosses
  events = v.take_events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].find(R"("x":"TRADE","X":"PARTIALLY_FILLED")") != std::string::npos);
  CHECK(events[0].find(R"("l":"0.004","z":"0.004","L":"49000")") != std::string::npos);
  CHECK(events[0].find(R"("t":1,)") != std::string::npos);
  CHECK(events[0].find(R"("m":true)") != std::string::npos);
  REQUIRE(v.cancel_order({{"symbol", "BTCUSDT"}, {"origClientOrderId", "u1"}}, 4));
  events = v.take_events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].find(R"("x":"CANCELED","X":"CANCELED")") != std::string::npos);
  CHECK(events[0].find(R"("c":"cancel-1")") != std::string::npos);
  CHECK(events[0].find(R"("C":"u1")") != std::string::npos);
  CHECK(v.take_events().empty());
}

TEST_CASE("sim clock: a frame's times within a day of its receive time move to today, nothing else does") {
  const std::int64_t received = 1677628860000;  // 2023-03-01T00:01:00Z
  const std::int64_t offset = 1'000'000'000;
  // A kline frame: event, open, close and trade ids; the kline opened a minute before.
  const std::string kline = R"({"e":"kline","E":1677628860000,"s":"BTCUSDC","k":{"t":1677628800000,"T":1677628859999,)"
                            R"("f":1234567890123,"L":1234567890999,"o":"23143.82","x":true}})";
  CHECK(sim::shift_times(kline, received, offset) ==
        R"({"e":"kline","E":1678628860000,"s":"BTCUSDC","k":{"t":1678628800000,"T":1678628859999,)"
        R"("f":1234567890123,"L":1234567890999,"o":"23143.82","x":true}})");
  // History: a kline closed 23 hours before the line that carries it still moves; a day and
  // a millisecond away is not a time of this line.
  const std::int64_t day = 86'400'000;
  CHECK(sim::shift_times(R"({"T":1677628860000})", received + day, offset) == R"({"T":1678628860000})");
  CHECK(sim::shift_times(R"({"T":1677628860000})", received + day + 1, offset) == R"({"T":1677628860000})");
  // Not 13 digits, not after ':' or not before ',' or '}': left alone.
  for (const std::string same : {R"({"E":16776288600001})", R"({"E":"1677628860000"})", R"({"E":1677628860000.5})",
                                 R"([1677628860000,1])"})
    CHECK(sim::shift_times(same, received, offset) == same);
}

TEST_CASE("sim marks: one markPrice frame per second per book, at its mid, announcing the next funding time") {
  SimMarks marks(MarkSchedule{1000, -5'000, 60'000});  // funding every minute, at -0.00005
  const std::int64_t t0 = 1'723'161'255'400;          // 23:54:15.4
  CHECK(marks.due(t0).empty());                       // the clock starts
  marks.on_book("BTCUSDT", 6180020000000, 6180030000001);
  CHECK(marks.due(t0 + 500).empty());                 // 23:54:15.9: no second passed
  const auto frames = marks.due(t0 + 2'700);          // 23:54:18.1: 16 s, 17 s and 18 s passed
  REQUIRE(frames.size() == 3);
  binance::FrameParser parser(VenueId::binance_usdm);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    CHECK(frames[i].stream == "btcusdt@markPrice@1s");
    auto parsed = parser.parse(frames[i].text);
    REQUIRE(parsed.kind == ParsedFrame::Kind::message);
    CHECK(std::get<MarkPrice>(parsed.message) ==
          MarkPrice{"BTCUSDT@binance_usdm", 6180025000000, MarkSource::venue,
                    1'723'161'256'000 + static_cast<std::int64_t>(i) * 1000, -5'000, 1'723'161'300'000});
  }
  // At a funding time the frame already names the next one; a second book joins in symbol order.
  marks.on_book("ETHUSDT", 260000000000, 260000000002);
  const auto at_funding = marks.due(1'723'161'300'000);
  REQUIRE(at_funding.size() == 2 * 42);
  auto last = parser.parse(at_funding.back().text);
  CHECK(std::get<MarkPrice>(last.message).symbol == "ETHUSDT@binance_usdm");
  CHECK(std::get<MarkPrice>(last.message).price == 260000000001);
  CHECK(std::get<MarkPrice>(last.message).next_funding_time_ms == 1'723'161'360'000);
}

TEST_CASE("sim marks, KuCoin Futures: instrument marks each second, its rate each minute, funding announced before its mark") {
  SimMarks marks(MarkSchedule{1000, -5'000, 60'000, true});  // funding every minute, at -0.00005
  kucoin::FrameParser parser(VenueId::kucoin_futures);
  const std::int64_t t0 = 1'723'161'298'400;  // 23:54:58.4
  CHECK(marks.due(t0).empty());
  marks.on_book("XBTUSDTM", 6180020000000, 6180030000001);
  const auto frames = marks.due(1'723'161'300'100);  // 23:54:59 and 23:55:00 (a funding time) passed
  std::vector<ParsedFrame> decoded;
  for (const auto& f : frames)
    for (auto& p : parser.decode(f.text)) decoded.push_back(std::move(p));
  REQUIRE(frames.size() == 4);
  const char* subjects[] = {"mark.index.price", "funding.begin", "funding.rate", "mark.index.price"};
  for (std::size_t i = 0; i < 4; ++i)
    CHECK(frames[i].text.find(fmt::format(R"("subject":"{}")", subjects[i])) != std::string::npos);
  CHECK(frames[0].stream == "/contract/instrument:XBTUSDTM");
  CHECK(frames[1].stream == "/contract/announcement:XBTUSDTM");  // the topic subscribed (the frame's names no symbol)
  // What the node journals: the mark, the funding at the mark before it, the mark with the rate.
  REQUIRE(decoded.size() == 3);
  CHECK(std::get<MarkPrice>(decoded[0].message) ==
        MarkPrice{"XBTUSDTM@kucoin_futures", 6180025000000, MarkSource::venue, 1'723'161'299'000, 0, 0});
  CHECK(std::get<Funding>(decoded[1].message) ==
        Funding{"XBTUSDTM@kucoin_futures", -5'000, 1'723'161'300'000, 6180025000000, FundingSource::venue});
  CHECK(std::get<MarkPrice>(decoded[2].message).funding_rate == -5'000);
}

TEST_CASE("sim venue, USDⓈ-M: a position opens, flips on margin with realized PnL, reduce-only and margin refusals") {
  SimVenue v({{"USDT", 1000 * kOne}}, 1000, {}, FeeAsset::quote, AccountKind::usdm);
  REQUIRE(v.set_leverage({{"symbol", "BTCUSDT"}, {"leverage", "10"}}).has_value());
  CHECK(v.set_leverage({{"symbol", "BTCUSDT"}, {"leverage", "126"}}).error().code == -4028);
  CHECK(v.set_leverage({{"symbol", "BTCUSDT"}, {"leverage", "5x"}}).error().code == -4028);  // the whole text
  // fapi's precision fields say what its filters say (step 0.00001, tick 0.01): ccxt reads either.
  CHECK(v.exchange_info({{"symbol", "BTCUSDT"}}, 1)->find(R"("pricePrecision":2,"quantityPrecision":5,)") != std::string::npos);
  v.on_trade("BTCUSDT", 100 * kOne, kOne, 1);
  auto order = [&](const char* side, const char* qty, bool reduce_only = false) {
    Params p{{"symbol", "BTCUSDT"}, {"side", side}, {"type", "MARKET"}, {"quantity", qty}};
    if (reduce_only) p["reduceOnly"] = "true";
    return v.new_order(p, 2);
  };
  // Long 1 at 100: margin 10 at 10x, fee 0.1 out of the wallet; the answer is fapi's (no fills).
  auto opened = order("BUY", "1");
  REQUIRE(opened.has_value());
  CHECK(opened->find(R"("status":"FILLED")") != std::string::npos);
  CHECK(opened->find(R"("avgPrice":"100","origQty":"1","executedQty":"1","cumQty":"1","cumQuote":"100")") != std::string::npos);
  CHECK(opened->find("fills") == std::string::npos);
  CHECK(v.balances().at("USDT") == 99990000000);  // 999.9
  // At 110, selling 1.5 closes the long (+10 realized) and opens a short of 0.5 at 110.
  v.on_trade("BTCUSDT", 110 * kOne, kOne, 3);
  auto flipped = order("SELL", "1.5");
  REQUIRE(flipped.has_value());
  CHECK(v.positions().at("BTCUSDT").qty == -kOne / 2);
  CHECK(v.positions().at("BTCUSDT").entry_price == 110 * kOne);
  CHECK(v.balances().at("USDT") == 100973500000);  // 999.9 - 0.165 fee + 10 realized
  auto trades = v.my_trades({{"symbol", "BTCUSDT"}, {"orderId", "2"}});
  REQUIRE(trades.has_value());
  CHECK(trades->find(R"("commission":"0.165","commissionAsset":"USDT")") != std::string::npos);
  CHECK(trades->find(R"("realizedPnl":"10","side":"SELL")") != std::string::npos);
  // Reduce-only: a buy of 1 would flip the short of 0.5: refused; 0.5 closes it.
  CHECK(order("BUY", "1", true).error().code == -2022);
  REQUIRE(order("BUY", "0.5", true).has_value());
  CHECK(v.positions().at("BTCUSDT").qty == 0);
  CHECK(v.balances().at("USDT") == 100968000000);  // less the 0.055 fee; closed at its entry: no PnL
  auto risk = v.position_risk({{"symbol", "BTCUSDT"}}, 4);
  REQUIRE(risk.has_value());
  CHECK(risk->find(R"("positionAmt":"0","entryPrice":"0")") != std::string::npos);
  CHECK(risk->find(R"("leverage":"10")") != std::string::npos);
  // A short of 100 at 110 needs 1,100 of margin: more than the wallet has.
  CHECK(order("SELL", "100").error().code == -2019);
  // Below the minimum notional (5): refused with fapi's code; reduce-only is exempt from it
  // but, flat, has nothing to reduce.
  CHECK(order("SELL", "0.01").error().code == -4164);
  CHECK(order("SELL", "0.01", true).error().code == -2022);
  // A resting limit holds its margin (12 at 10x), not the wallet; a cancel gives it back.
  auto resting = v.new_order({{"symbol", "BTCUSDT"}, {"side", "SELL"}, {"type", "LIMIT"}, {"quantity", "1"},
                              {"price", "120"}, {"timeInForce", "GTC"}, {"newClientOrderId", "rest"}},
                             5);
  REQUIRE(resting.has_value());
  CHECK(v.futures_balance(6).find(R"("balance":"1009.68","crossWalletBalance":"1009.68","crossUnPnl":"0","availableBalance":"997.68")") !=
        std::string::npos);
  REQUIRE(v.cancel_order({{"symbol", "BTCUSDT"}, {"origClientOrderId", "rest"}}, 7).has_value());
  CHECK(v.futures_balance(8).find(R"("availableBalance":"1009.68")") != std::string::npos);
  CHECK(v.locked("USDT") == 0);
}
