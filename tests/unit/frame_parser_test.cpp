#include <doctest/doctest.h>

#include "exchange/binance/frame_parser.hpp"
#include "parsed_frame.hpp"

using namespace trader;
using test::as;
using binance::FrameParser;
using binance::ParsedFrame;

// The frames below are lines of the bundled real captures.
TEST_CASE("trade frame") {
  FrameParser p;
  auto f = p.parse(
      R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1723161255343,"s":"BTCUSDT","t":3735683259,"p":"61837.63000000","q":"0.02000000","T":1723161255342,"m":true,"M":true}})");
  const auto& t = as<Trade>(f);
  CHECK(f.stream == "btcusdt@trade");
  CHECK(t == Trade{"BTCUSDT", 6183763000000, 2000000, 3735683259, 1723161255343, 1723161255342, true});
}

TEST_CASE("aggTrade frame") {
  FrameParser p;
  auto f = p.parse(
      R"({"stream":"xrpeth@aggTrade","data":{"e":"aggTrade","E":1570752011620,"s":"XRPETH","a":13519807,"p":"0.00141342","q":"23.00000000","f":15373518,"l":15373518,"T":1570752011620,"m":true,"M":true}})");
  CHECK(as<AggTrade>(f) ==
        AggTrade{"XRPETH", 141342, 2300000000, 13519807, 15373518, 15373518, 1570752011620, 1570752011620, true});
}

TEST_CASE("bookTicker frame (spot: no event time)") {
  FrameParser p;
  auto f = p.parse(
      R"({"stream":"btcusdt@bookTicker","data":{"u":50093239212,"s":"BTCUSDT","b":"61837.63000000","B":"3.78826000","a":"61837.64000000","A":"1.54698000"}})");
  CHECK(as<BookTicker>(f) == BookTicker{"BTCUSDT", 50093239212, 6183763000000, 378826000, 6183764000000, 154698000, 0});
}

TEST_CASE("depth update frame") {
  FrameParser p;
  auto f = p.parse(
      R"({"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255308,"s":"BTCUSDT","U":50093239203,"u":50093239207,"b":[["55653.87000000","0.00000000"]],"a":[["61838.04000000","0.32332000"],["61844.30000000","0.40163000"]]}})");
  const auto& d = as<DepthUpdate>(f);
  CHECK(d.first_update_id == 50093239203);
  CHECK(d.final_update_id == 50093239207);
  CHECK(d.bids == std::vector<PriceLevel>{{5565387000000, 0}});
  CHECK(d.asks == std::vector<PriceLevel>{{6183804000000, 32332000}, {6184430000000, 40163000}});
}

TEST_CASE("kline frame") {
  FrameParser p;
  auto f = p.parse(
      R"({"stream":"btcusdc@kline_1m","data":{"e":"kline","E":1677628860000,"s":"BTCUSDC","k":{"t":1677628800000,"T":1677628859999,"s":"BTCUSDC","i":"1m","f":-1,"L":-1,"o":"23143.82","c":"23152.65","h":"23152.65","l":"23140.02","v":"0.26395","n":0,"x":true,"q":"0","V":"0","Q":"0","B":"0"}}})");
  const auto& k = as<Kline>(f);
  CHECK(k.interval_s == 60);
  CHECK(k.open_time_ms == 1677628800000);
  CHECK(k.close_time_ms == 1677628859999);
  CHECK(k.open == 2314382000000);
  CHECK(k.high == 2315265000000);
  CHECK(k.low == 2314002000000);
  CHECK(k.close == 2315265000000);
  CHECK(k.volume == 26395000);
  CHECK(k.first_trade_id == -1);
  CHECK(k.closed);
}

TEST_CASE("REST depth snapshot takes the symbol it is given") {
  FrameParser p;
  const std::string line = R"({"lastUpdateId":50093239218,"bids":[["61837.63000000","3.78826000"]],"asks":[]})";
  auto missing = p.parse(line);
  CHECK(missing.kind == ParsedFrame::Kind::malformed);
  CHECK(missing.error.find("symbol") != std::string::npos);
  p.set_snapshot_symbol("BTCUSDT");
  const auto frame = p.parse(line);
  const auto& s = as<DepthSnapshot>(frame);
  CHECK(s == DepthSnapshot{"BTCUSDT", 50093239218, {PriceLevel{6183763000000, 378826000}}, {}});
}

TEST_CASE("partial book depth stream becomes a snapshot named by the stream") {
  FrameParser p;
  auto f = p.parse(R"({"stream":"ethusdt@depth5@100ms","data":{"lastUpdateId":7,"bids":[["1.0","2.0"]],"asks":[["1.1","3"]]}})");
  CHECK(as<DepthSnapshot>(f).symbol == "ETHUSDT");
}

TEST_CASE("unknown streams are told apart from malformed frames") {
  FrameParser p;
  auto f = p.parse(R"({"stream":"btcusdt@miniTicker","data":{"e":"24hrMiniTicker"}})");
  CHECK(f.kind == ParsedFrame::Kind::unknown_stream);
  CHECK(f.stream == "btcusdt@miniTicker");
}

TEST_CASE("malformed frames say what is wrong") {
  FrameParser p;
  struct Case { const char* json; const char* expect; };
  const Case cases[] = {
      {R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1.123456789","q":"1","T":1,"m":true}})", "\"p\""},
      {R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","p":"1","q":"1","T":1,"m":true}})", "\"t\""},
      {R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":"x","p":"1","q":"1","T":1,"m":true}})", "\"t\""},
      {R"({"stream":"btcusdt@trade","data":[1,2]})", "\"data\""},
      {R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUS)", "JSON"},
      {R"([1,2,3])", "object"},
      {R"({"foo":1})", "neither"},
      {R"({"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1"]],"a":[]}})", "[price, qty]"},
      {R"({"stream":"btcusdc@kline_1m","data":{"e":"kline","E":1,"k":{"t":1,"T":2,"s":"X","i":"7q","f":-1,"L":-1,"o":"1","c":"1","h":"1","l":"1","v":"1","n":0,"x":true,"q":"0","V":"0","Q":"0"}}})", "interval"},
      {"", "JSON"},
      {R"({"stream":5,"data":{}})", "\"stream\": not a string"},
      // Times that cannot be exchange times: negative, and past year 9999 (as INT64_MAX).
      {R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1","q":"1","T":-5,"m":true}})", "\"T\": not a millisecond time"},
      {R"({"stream":"btcusdt@trade","data":{"e":"trade","E":9223372036854775807,"s":"BTCUSDT","t":1,"p":"1","q":"1","T":1,"m":true}})", "\"E\": not a millisecond time"},
      {R"({"stream":"btcusdc@kline_1m","data":{"e":"kline","E":1,"k":{"t":253402300800000,"T":2,"s":"X","i":"1m","f":-1,"L":-1,"o":"1","c":"1","h":"1","l":"1","v":"1","n":0,"x":true,"q":"0","V":"0","Q":"0"}}})", "\"t\": not a millisecond time"},
      // Symbols that are not Binance's: a NUL inside (the journal's text would end at it,
      // recording "BTC"), lower case, a venue suffix, a dash, nothing.
      {R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTC\u0000USDT","t":1,"p":"1","q":"1","T":1,"m":true}})", "\"s\": not a symbol"},
      {R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"btcusdt","t":1,"p":"1","q":"1","T":1,"m":true}})", "\"s\": not a symbol"},
      {R"({"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1,"s":"BTCUSDT@coinbase","a":1,"p":"1","q":"1","f":1,"l":1,"T":1,"m":true}})", "\"s\": not a symbol"},
      {R"({"stream":"btcusdt@bookTicker","data":{"u":1,"s":"BTC-USDT","b":"1","B":"1","a":"1","A":"1"}})", "\"s\": not a symbol"},
      {R"({"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"","U":1,"u":2,"b":[],"a":[]}})", "\"s\": not a symbol"},
      {R"({"stream":"btcusdc@kline_1m","data":{"e":"kline","E":1,"k":{"t":1,"T":2,"s":"BTC USDC","i":"1m","f":-1,"L":-1,"o":"1","c":"1","h":"1","l":"1","v":"1","n":0,"x":true,"q":"0","V":"0","Q":"0"}}})", "\"s\": not a symbol"},
      // Found by fuzz/frame_parser_fuzz: no "stream" key and broken JSON after it used to
      // be read further after simdjson had stopped (SEGV).
      {R"({"stre-am":"btcusdt@trade","data":{"e":"trade",2E":172t{"str00","f":1})", "JSON"},
  };
  for (const auto& c : cases) {
    INFO(c.json);
    auto f = p.parse(c.json);
    CHECK(f.kind == ParsedFrame::Kind::malformed);
    CHECK(f.error.find(c.expect) != std::string::npos);
  }
}

TEST_CASE("interval_seconds") {
  CHECK(binance::interval_seconds("1s") == 1);
  CHECK(binance::interval_seconds("1m") == 60);
  CHECK(binance::interval_seconds("15m") == 900);
  CHECK(binance::interval_seconds("4h") == 14400);
  CHECK(binance::interval_seconds("1d") == 86400);
  CHECK(binance::interval_seconds("1w") == 604800);
  CHECK(binance::interval_seconds("1M") == 2592000);
  CHECK(binance::interval_seconds("m") == 0);
  CHECK(binance::interval_seconds("1x") == 0);
}

TEST_CASE("Binance USDⓈ-M markPrice: the mark, and the funding rate announced for the next funding time") {
  FrameParser p(VenueId::binance_usdm);
  auto m = p.parse(
      R"({"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate","E":1723161257000,"s":"BTCUSDT","p":"61801.12345678","P":"61790.5","i":"61790.44","r":"-0.00012500","T":1723161600000}})");
  CHECK(as<MarkPrice>(m) ==
        MarkPrice{"BTCUSDT@binance_usdm", 6180112345678, MarkSource::venue, 1723161257000, -12500, 1723161600000});
  CHECK(m.stream == "btcusdt@markPrice@1s");
  // The 3-second stream is the same event.
  CHECK(as<MarkPrice>(p.parse(
                          R"({"stream":"btcusdt@markPrice","data":{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"1","r":"0","T":2}})"))
            .next_funding_time_ms == 2);
  // Without its rate, or with a mark that is no price, the frame is malformed, named by field.
  auto no_rate = p.parse(R"({"stream":"btcusdt@markPrice@1s","data":{"E":1,"s":"BTCUSDT","p":"1","T":2}})");
  CHECK(no_rate.kind != ParsedFrame::Kind::message);
  CHECK(no_rate.error == "field \"r\": missing or not a string");
  auto zero = p.parse(R"({"stream":"btcusdt@markPrice@1s","data":{"E":1,"s":"BTCUSDT","p":"0","r":"0","T":2}})");
  CHECK(zero.error == "field \"p\": not a positive price");
}

TEST_CASE("Binance USDⓈ-M frames parse as Binance's, their instruments named for the futures venue") {
  // Lines of the bundled USDⓈ-M capture (tests/data/btcusdt_usdm_20240808_trades_book.gz).
  FrameParser p(VenueId::binance_usdm);
  auto t = p.parse(
      R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256322,"T":1723161256322,"s":"BTCUSDT","t":5266583935,"p":"61800.30","q":"0.006","X":"MARKET","m":false}})");
  CHECK(as<Trade>(t) == Trade{"BTCUSDT@binance_usdm", 6180030000000, 600000, 5266583935, 1723161256322, 1723161256322,
                              false});
  auto b = p.parse(
      R"({"stream":"btcusdt@bookTicker","data":{"e":"bookTicker","u":5123107839020,"s":"BTCUSDT","b":"61800.20","B":"2.507","a":"61800.30","A":"2.510","T":1723161256313,"E":1723161256313}})");
  CHECK(as<BookTicker>(b).symbol == "BTCUSDT@binance_usdm");
  CHECK(as<BookTicker>(b).ask_price == 6180030000000);
  // A REST snapshot takes the symbol it is given, named once.
  p.set_snapshot_symbol("BTCUSDT@binance_usdm");
  auto s = p.parse(R"({"lastUpdateId":5123107852948,"E":1723161256501,"T":1723161256493,"bids":[["61800.20","2.909"]],"asks":[["61800.30","1.5"]]})");
  CHECK(as<DepthSnapshot>(s).symbol == "BTCUSDT@binance_usdm");
  // The spot parser keeps Binance's bare symbols.
  FrameParser spot;
  CHECK(as<Trade>(spot.parse(
                      R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256322,"T":1723161256322,"s":"BTCUSDT","t":5266583935,"p":"61800.30","q":"0.006","X":"MARKET","m":false}})"))
            .symbol == "BTCUSDT");
}
