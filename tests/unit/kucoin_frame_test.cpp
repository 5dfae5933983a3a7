#include <doctest/doctest.h>

#include <fstream>

#include "actors/market_feed/market_feed_core.hpp"
#include "exchange/capture_stream.hpp"
#include "exchange/kucoin/frame_parser.hpp"
#include "exchange/kucoin/handshake.hpp"
#include "parsed_frame.hpp"
#include "test_support.hpp"

using namespace trader;
using test::as;
using test::TempDir;
using kucoin::FrameParser;

namespace {
ParsedFrame one(FrameParser& p, const std::string& json) {
  const auto out = p.decode(json);
  REQUIRE(out.size() == 1);
  return out[0];
}
}  // namespace

TEST_CASE("kucoin match: a trade, the taker's side, nanosecond time, the trade id (or the sequence for an old hex id)") {
  FrameParser p;
  auto t = as<Trade>(one(p, R"({"topic":"/market/match:BTC-USDT","type":"message","subject":"trade.l3match","data":{
      "makerOrderId":"671b5007389355000701b1d3","price":"67523","sequence":"11067996711960577","side":"buy",
      "size":"0.003","symbol":"BTC-USDT","takerOrderId":"671b50161777ff00074c168d","time":"1729843222921000000",
      "tradeId":"11067996711960577","type":"match"}})"));
  CHECK(t == Trade{"BTC-USDT@kucoin", 6752300000000, 300000, 11067996711960577ULL, 1729843222921, 1729843222921, false});
  // KuCoin's older documents: 20-place decimals, a hexadecimal trade id.
  t = as<Trade>(one(p, R"({"type":"message","topic":"/market/match:BTC-USDT","subject":"trade.l3match","data":{
      "sequence":"1545896669145","type":"match","symbol":"BTC-USDT","side":"sell","price":"0.08200000000000000000",
      "size":"0.01022222000000000000","tradeId":"5c24c5da03aa673885cd67aa","takerOrderId":"5c24c5d903aa6772d55b371e",
      "makerOrderId":"5c2187d003aa677bd09d5c93","time":"1545913818099033203"}})"));
  CHECK(t == Trade{"BTC-USDT@kucoin", 8200000, 1022222, 1545896669145ULL, 1545913818099, 1545913818099, true});
}

TEST_CASE("kucoin ticker, level2 increments with their sequences, and the recorded REST order book") {
  FrameParser p;
  const auto b = as<BookTicker>(one(p, R"({"type":"message","topic":"/market/ticker:BTC-USDT","subject":"trade.ticker",
      "data":{"sequence":"1545896668986","price":"0.08","size":"0.011","bestAsk":"0.08","bestAskSize":"0.188",
      "bestBid":"0.049","bestBidSize":"0.036","time":1704867054829}})"));
  CHECK(b == BookTicker{"BTC-USDT@kucoin", 1545896668986ULL, 4900000, 3600000, 8000000, 18800000, 1704867054829});
  const auto u = as<DepthUpdate>(one(p, R"({"topic":"/market/level2:BTC-USDT","type":"message","subject":"trade.l2update",
      "data":{"changes":{"asks":[["67993.3","1.21427407","14701689783"]],"bids":[["67990","0","14701689784"]]},
      "sequenceEnd":14701689784,"sequenceStart":14701689783,"symbol":"BTC-USDT","time":1729816425625}})"));
  CHECK(u == DepthUpdate{"BTC-USDT@kucoin", 14701689783ULL, 14701689784ULL, 1729816425625, {{6799000000000, 0}},
                         {{6799330000000, 121427407}}});
  // The REST book recorded beside the stream belongs to the symbol of the frames before it...
  auto s = as<DepthSnapshot>(one(p, R"({"code":"200000","data":{"time":1729816425700,"sequence":"14701689790",
      "bids":[["67990.1","0.5"]],"asks":[["67993.3","1.2"]]}})"));
  CHECK(s == DepthSnapshot{"BTC-USDT@kucoin", 14701689790ULL, {{6799010000000, 50000000}}, {{6799330000000, 120000000}}});
  // ...or to the one given; before any frame, without one, it is refused, saying why.
  FrameParser fresh;
  CHECK(one(fresh, R"({"code":"200000","data":{"sequence":"1","bids":[],"asks":[]}})").error.find("--snapshot-symbol") !=
        std::string::npos);
  fresh.set_snapshot_symbol("ETH-USDT");
  s = as<DepthSnapshot>(one(fresh, R"({"code":"200000","data":{"sequence":"1","bids":[],"asks":[]}})"));
  CHECK(s.symbol == "ETH-USDT@kucoin");
  // A book the live stream hands on names its symbol itself, whatever came before.
  s = as<DepthSnapshot>(one(fresh, R"({"code":"200000","data":{"symbol":"SOL-USDT","sequence":"2","bids":[],"asks":[]}})"));
  CHECK(s.symbol == "SOL-USDT@kucoin");
  CHECK(kucoin::book_symbols({"BTC-USDT@kucoin", "ETH-USDT@kucoin"}, {"match", "level2"}) ==
        std::vector<std::string>{"BTC-USDT", "ETH-USDT"});
  CHECK(kucoin::book_symbols({"BTC-USDT@kucoin"}, {"match", "ticker"}).empty());
}

TEST_CASE("kucoin connection frames say nothing, errors and wrong frames are malformed saying what, other topics named") {
  FrameParser p;
  for (const char* quiet : {R"({"id":"hQvf8jkno","type":"welcome"})", R"({"id":"1545910660739","type":"ack"})",
                            R"({"id":"1545910590801","type":"pong","timestamp":1764000000000000})"})
    CHECK(p.decode(quiet).empty());
  auto f = one(p, R"({"id":"1","type":"error","code":401,"data":"token is expired"})");
  CHECK(f.kind == ParsedFrame::Kind::malformed);
  CHECK(f.error == "kucoin error 401: token is expired");
  CHECK(one(p, R"({"topic":"/market/match:BTC-USDT","type":"message","subject":"trade.l3match")").error.rfind("not JSON", 0) == 0);
  const std::string match = R"({"topic":"/market/match:BTC-USDT","type":"message","subject":"trade.l3match","data":{)";
  CHECK(one(p, match + R"("price":"1.000000001","size":"1","side":"buy","symbol":"BTC-USDT","time":"1","tradeId":"1"}})").error ==
        "field \"price\": not a decimal with at most 8 places");
  CHECK(one(p, match + R"("price":"1","size":"1","side":"up","symbol":"BTC-USDT","time":"1","tradeId":"1"}})").error ==
        "field \"side\": expected \"buy\" or \"sell\"");
  CHECK(one(p, match + R"("price":"1","size":"1","side":"buy","symbol":"BTCUSDT","time":"1","tradeId":"1"}})").error.find(
            "BASE-QUOTE") != std::string::npos);
  CHECK(one(p, match + R"("price":"1","size":"1","side":"buy","symbol":"BTC-USDT","time":"1.5","tradeId":"1"}})").error ==
        "field \"time\": not a whole number");
  CHECK(one(p, R"({"topic":"/market/level2:BTC-USDT","type":"message","subject":"trade.l2update","data":{"changes":{"asks":[],"bids":[]},
      "sequenceEnd":5,"sequenceStart":7,"symbol":"BTC-USDT","time":1}})").error == "field \"sequenceEnd\": expected 0 < sequenceStart <= sequenceEnd");
  CHECK(one(p, R"({"code":"400100","msg":"bad"})").error == "kucoin REST error 400100");
  f = one(p, R"({"topic":"/market/candles:BTC-USDT_1min","type":"message","subject":"trade.candles.update","data":{}})");
  CHECK(f.kind == ParsedFrame::Kind::unknown_stream);
  CHECK(f.stream == "/market/candles");
}

TEST_CASE("kucoin trade ids rise but skip (book sequences): only their order is checked, book updates for gaps") {
  MarketFeedCore feed(0);
  std::vector<FeedInput> out;
  auto admit = [&](Message m) {
    out.clear();
    feed.admit(1, m, out);
    for (const auto& in : out)
      REQUIRE(feed.record(EnvelopeHeader{0, in.recv_ts_ns, in.source, in.destination, 0, type_id_of(in.message), 1},
                          in.message));
    return out;
  };
  Trade t{"BTC-USDT@kucoin", 100, 1, 500, 1, 1, false};
  CHECK(admit(t).size() == 1);
  t.trade_id = 530;  // 29 book changes between the matches: no gap
  CHECK(admit(t).size() == 1);
  Trade perp{"XBTUSDTM@kucoin_futures", 100, 1, 900, 1, 1, false};  // KuCoin Futures' likewise
  CHECK(admit(perp).size() == 1);
  perp.trade_id = 950;
  CHECK(admit(perp).size() == 1);
  t.trade_id = 520;  // below the last: stale, not let in
  const auto stale = admit(t);
  REQUIRE(stale.size() == 2);
  CHECK(std::get<ErrorReport>(stale[0].message).code == MarketFeedCore::kStaleId);
  DepthUpdate d{"BTC-USDT@kucoin", 10, 12, 1, {}, {}};
  CHECK(admit(d).size() == 1);
  d.first_update_id = 15;  // 13 and 14 missing
  d.final_update_id = 16;
  const auto gap = admit(d);
  REQUIRE(gap.size() == 2);
  CHECK(std::get<FeedStatus>(gap[0].message).kind == FeedStatusKind::gap);
  CHECK(std::get<FeedStatus>(gap[0].message).expected_id == 13);
}

TEST_CASE("a kucoin capture: every frame in order, the connection's own frames none") {
  TempDir dir;
  const std::string path = dir.sub("k.txt");
  std::ofstream(path) << R"(1723161253937085768 {"id":"kc-welcome-1","type":"welcome"})" "\n"
                      << R"(1723161254087896568 {"topic":"/market/match:BTC-USDT","type":"message","subject":"trade.l3match","data":{"price":"61837.63","sequence":"3735683259","side":"sell","size":"0.02","symbol":"BTC-USDT","time":"1723161255342000000","tradeId":"3735683259","type":"match"}})" "\n"
                      << R"(1723161254206652067 {"code":"200000","data":{"time":1723161255408,"sequence":"50093239218","bids":[["61837.63","3.78826"]],"asks":[["61837.64","1.54698"]]}})" "\n";
  auto stream = CaptureStream::open({path}, "", VenueId::kucoin);
  REQUIRE(stream);
  CaptureItem item;
  std::vector<std::string> kinds;
  while (true) {
    auto more = (*stream)->next(item);
    REQUIRE(more);
    if (!*more) break;
    REQUIRE(item.kind == CaptureItem::Kind::message);
    kinds.push_back(std::holds_alternative<Trade>(item.message) ? "trade" : "snapshot");
  }
  CHECK(kinds == std::vector<std::string>{"trade", "snapshot"});
}
