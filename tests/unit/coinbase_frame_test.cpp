#include <doctest/doctest.h>

#include <fstream>

#include "base/time_format.hpp"
#include "exchange/capture_stream.hpp"
#include "exchange/coinbase/frame_parser.hpp"
#include "parsed_frame.hpp"
#include "test_support.hpp"

using namespace trader;
using test::as;
using test::TempDir;
using coinbase::FrameParser;

namespace {

// A frame of `channel` numbered `seq` around `events`, on one line.
std::string frame(const char* channel, std::uint64_t seq, std::string events) {
  std::erase(events, '\n');
  return std::string(R"({"channel":")") + channel + R"(","client_id":"","timestamp":"2024-08-08T23:54:15.343000Z","sequence_num":)" +
         std::to_string(seq) + R"(,"events":)" + events + "}";
}
}  // namespace

TEST_CASE("coinbase market_trades: each trade, oldest first, the taker's side, exact decimals") {
  FrameParser p;
  // A subscription's snapshot lists the newest trade first.
  const auto out = p.decode(frame("market_trades", 0, R"([{"type":"snapshot","trades":[
      {"trade_id":"3735683261","product_id":"BTC-USD","price":"61837.64","size":"0.001","side":"BUY","time":"2024-08-08T23:54:15.350Z"},
      {"trade_id":"3735683259","product_id":"BTC-USD","price":"61837.63000000","size":"0.02000000","side":"SELL","time":"2024-08-08T23:54:15.342123Z"}]}])"));
  REQUIRE(out.size() == 2);
  CHECK(as<Trade>(out[0]) == Trade{"BTC-USD@coinbase", 6183763000000, 2000000, 3735683259, 1723161255343, 1723161255342, true});
  CHECK(as<Trade>(out[1]) == Trade{"BTC-USD@coinbase", 6183764000000, 100000, 3735683261, 1723161255343, 1723161255350, false});
}

TEST_CASE("coinbase l2_data: snapshot and update, absolute quantities, no update ids") {
  FrameParser p;
  auto out = p.decode(frame("l2_data", 0, R"([{"type":"snapshot","product_id":"BTC-USD","updates":[
      {"side":"bid","event_time":"2024-08-08T23:54:15.208Z","price_level":"61837.63","new_quantity":"3.78826"},
      {"side":"offer","event_time":"2024-08-08T23:54:15.208Z","price_level":"61837.64","new_quantity":"1.54698"}]}])"));
  REQUIRE(out.size() == 1);
  CHECK(as<DepthSnapshot>(out[0]) ==
        DepthSnapshot{"BTC-USD@coinbase", 0, {{6183763000000, 378826000}}, {{6183764000000, 154698000}}});
  out = p.decode(frame("l2_data", 1, R"([{"type":"update","product_id":"BTC-USD","updates":[
      {"side":"offer","event_time":"2024-08-08T23:54:15.3Z","price_level":"61837.64","new_quantity":"0"}]}])"));
  REQUIRE(out.size() == 1);
  CHECK(as<DepthUpdate>(out[0]) == DepthUpdate{"BTC-USD@coinbase", 0, 0, 1723161255343, {}, {{6183764000000, 0}}});
}

TEST_CASE("coinbase ticker and candles") {
  FrameParser p;
  auto out = p.decode(frame("ticker", 0, R"([{"type":"update","tickers":[{"type":"ticker","product_id":"ETH-USD","price":"2500",
      "best_bid":"2499.5","best_bid_quantity":"1.5","best_ask":"2500.5","best_ask_quantity":"0.25"}]}])"));
  REQUIRE(out.size() == 1);
  CHECK(as<BookTicker>(out[0]) == BookTicker{"ETH-USD@coinbase", 0, 249950000000, 150000000, 250050000000, 25000000, 1723161255343});
  out = p.decode(frame("candles", 1, R"([{"type":"update","candles":[{"start":"1723161000","high":"61900","low":"61800",
      "open":"61850","close":"61837.63","volume":"12.5","product_id":"BTC-USD"}]}])"));
  REQUIRE(out.size() == 1);
  const auto& k = as<Kline>(out[0]);
  CHECK(k.interval_s == 300);
  CHECK(k.open_time_ms == 1723161000000);
  CHECK(k.close_time_ms == 1723161299999);
  CHECK(k.close == 6183763000000);
  CHECK(k.volume == 1250000000);
  CHECK_FALSE(k.closed);  // Coinbase never says a candle is over
}

TEST_CASE("coinbase sequence_num: a jump is a gap ahead of the frame's messages, heartbeats count, a reset is a new connection") {
  FrameParser p;
  CHECK(p.decode(frame("heartbeats", 7, R"([{"current_time":"x","heartbeat_counter":1}])")).empty());
  CHECK(p.decode(frame("subscriptions", 8, R"([{"subscriptions":{}}])")).empty());
  auto out = p.decode(frame("market_trades", 11, R"([{"type":"update","trades":[
      {"trade_id":"5","product_id":"BTC-USD","price":"1","size":"1","side":"BUY","time":"2024-08-08T23:54:15Z"}]}])"));
  REQUIRE(out.size() == 2);
  const auto& gap = as<FeedStatus>(out[0]);
  CHECK(gap.kind == FeedStatusKind::gap);
  CHECK(gap.stream == coinbase::kSequenceStream);
  CHECK(gap.expected_id == 9);
  CHECK(gap.received_id == 11);
  CHECK(std::holds_alternative<Trade>(out[1].message));
  // Numbering that starts again is a new connection (a capture across reconnects).
  CHECK(p.decode(frame("heartbeats", 0, "[{}]")).empty());
  CHECK(p.decode(frame("heartbeats", 1, "[{}]")).empty());
  p.reset();  // the live source on reconnecting
  CHECK(p.decode(frame("heartbeats", 5, "[{}]")).empty());
}

TEST_CASE("coinbase frames that are wrong are malformed whole, saying what, and an unknown channel is named") {
  FrameParser p;
  auto one = [&](const std::string& json) {
    auto out = p.decode(json);
    REQUIRE(out.size() == 1);
    return out[0];
  };
  auto f = one(R"({"type":"error","message":"failure to subscribe"})");
  CHECK(f.kind == ParsedFrame::Kind::malformed);
  CHECK(f.error == "coinbase error: failure to subscribe");
  CHECK(one(R"({"channel":"market_trades","timestamp":"2024-08-08T23:54:15Z","sequence_num":1,"events":[{"type":"update","trades":[)")
            .error.rfind("not JSON", 0) == 0);
  // The second trade is bad: the first is not let through alone.
  f = one(frame("market_trades", 2, R"([{"type":"update","trades":[
      {"trade_id":"5","product_id":"BTC-USD","price":"1","size":"1","side":"BUY","time":"2024-08-08T23:54:15Z"},
      {"trade_id":"6","product_id":"BTC-USD","price":"1.123456789","size":"1","side":"BUY","time":"2024-08-08T23:54:15Z"}]}])"));
  CHECK(f.kind == ParsedFrame::Kind::malformed);
  CHECK(f.error == "field \"price\": not a decimal with at most 8 places");
  CHECK(one(frame("market_trades", 3, R"([{"type":"update","trades":[{"trade_id":"abc","product_id":"BTC-USD","price":"1",
      "size":"1","side":"BUY","time":"2024-08-08T23:54:15Z"}]}])")).error == "field \"trade_id\": not a whole number");
  CHECK(one(frame("market_trades", 4, R"([{"type":"update","trades":[{"trade_id":"7","product_id":"BTCUSD","price":"1",
      "size":"1","side":"BUY","time":"2024-08-08T23:54:15Z"}]}])")).error.find("BASE-QUOTE") != std::string::npos);
  CHECK(one(frame("market_trades", 5, R"([{"type":"update","trades":[{"trade_id":"7","product_id":"BTC-USD","price":"1",
      "size":"1","side":"BUY","time":"1723161255342"}]}])")).error.find("RFC 3339") != std::string::npos);
  CHECK(one(R"({"channel":"ticker","timestamp":"2024-08-08T23:54:15Z","events":[]})").error.find("sequence_num") !=
        std::string::npos);
  f = one(frame("level3", 6, "[]"));
  CHECK(f.kind == ParsedFrame::Kind::unknown_stream);
  CHECK(f.stream == "level3");
}

TEST_CASE("coinbase time stamps") {
  CHECK(coinbase::parse_time_ms("2024-08-08T23:54:15.342123456Z") == 1723161255342);
  CHECK(coinbase::parse_time_ms("2024-08-08T23:54:15Z") == 1723161255000);
  CHECK_FALSE(coinbase::parse_time_ms("2024-08-08 23:54:15Z"));
  CHECK_FALSE(coinbase::parse_time_ms("1723161255342"));
  CHECK_FALSE(coinbase::parse_time_ms("2024-08-08T23:54:15+02:00"));
  // Past what 64-bit nanoseconds hold (the fuzzer's find: it overflowed, undefined behaviour).
  CHECK_FALSE(coinbase::parse_time_ms("7920-08-08T23:54:14.000000Z"));
  CHECK_FALSE(parse_time_ns("2262-04-12T00:00:00Z"));
  CHECK(parse_time_ns("2262-04-10T00:00:00Z").has_value());
}

TEST_CASE("a coinbase capture: a line of several trades makes several items, a heartbeat line none") {
  TempDir dir;
  const std::string path = dir.sub("cb.txt");
  std::ofstream(path) << ("1 " + frame("heartbeats", 0, "[{}]") + "\n" +
             "2 " + frame("market_trades", 1, R"([{"type":"update","trades":[
      {"trade_id":"5","product_id":"BTC-USD","price":"1","size":"1","side":"BUY","time":"2024-08-08T23:54:15Z"},
      {"trade_id":"6","product_id":"BTC-USD","price":"2","size":"1","side":"SELL","time":"2024-08-08T23:54:15Z"}]}])") + "\n" +
             "3 " + frame("heartbeats", 2, "[{}]") + "\n");
  auto stream = CaptureStream::open({path}, "", VenueId::coinbase);
  REQUIRE(stream);
  CaptureItem item;
  std::vector<std::uint64_t> ids;
  while (true) {
    auto more = (*stream)->next(item);
    REQUIRE(more);
    if (!*more) break;
    CHECK(item.recv_ts_ns == 2);
    CHECK(item.where == path + ":2");
    ids.push_back(std::get<Trade>(item.message).trade_id);
  }
  CHECK(ids == std::vector<std::uint64_t>{5, 6});
  CHECK((*stream)->lines() == 2);       // the feed position counts items
  CHECK((*stream)->lines_read() == 3);
}
