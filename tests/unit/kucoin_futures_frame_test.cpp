// KuCoin Futures frames (exchange/kucoin/frame_parser.hpp): lots made base units by the
// contract's multiplier, marks and funding written as JSON numbers read exactly. The frames
// are KuCoin's documented examples (its API specification's), the contract its XBTUSDTM.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include "exchange/capture_stream.hpp"
#include "exchange/kucoin/frame_parser.hpp"
#include "parsed_frame.hpp"
#include "test_support.hpp"

using namespace trader;
using test::as;
using test::TempDir;
using kucoin::FrameParser;

namespace {
constexpr const char* kContract =
    R"({"code":"200000","data":{"symbol":"XBTUSDTM","rootSymbol":"USDT","type":"FFWCSX","baseCurrency":"XBT",)"
    R"("quoteCurrency":"USDT","settleCurrency":"USDT","lotSize":1,"tickSize":0.1,"multiplier":0.001,)"
    R"("isInverse":false,"status":"Open","maxLeverage":125}})";
constexpr const char* kExecution =
    R"({"topic":"/contractMarket/execution:XBTUSDTM","type":"message","subject":"match","sn":1794100537695,"data":{)"
    R"("symbol":"XBTUSDTM","sequence":1794100537695,"side":"buy","size":2,"price":"90503.9","takerOrderId":)"
    R"("247822202957807616","makerOrderId":"247822167163555840","tradeId":"1794100537695","ts":1731898619520000000}})";

std::vector<ParsedFrame> all(FrameParser& p, const std::string& json) { return p.decode(json); }
ParsedFrame one(FrameParser& p, const std::string& json) {
  auto out = all(p, json);
  REQUIRE(out.size() == 1);
  return out[0];
}
}  // namespace

TEST_CASE("kucoin futures: the contract first, then trades and tickers in lots of its multiplier, as base units") {
  FrameParser p(VenueId::kucoin_futures);
  // Before its contract a size in lots means nothing: refused, saying what is missing.
  const auto early = one(p, kExecution);
  CHECK(early.kind == ParsedFrame::Kind::malformed);
  CHECK(early.error.find("no contract of it came before") != std::string::npos);
  CHECK(early.error.find("XBTUSDTM@kucoin_futures") != std::string::npos);

  CHECK(all(p, kContract).empty());  // kept, nothing to journal
  auto t = as<Trade>(one(p, kExecution));
  // 2 lots of 0.001 XBT = 0.002; the taker bought; ns time to ms.
  CHECK(t == Trade{"XBTUSDTM@kucoin_futures", 9050390000000, 200000, 1794100537695ULL, 1731898619520, 1731898619520, false});
  auto b = as<BookTicker>(one(p, R"({"topic":"/contractMarket/tickerV2:XBTUSDTM","type":"message","subject":"tickerV2",)"
                                R"("sn":1709284589209,"data":{"symbol":"XBTUSDTM","sequence":1709284589209,"bestBidSize":713,)"
                                R"("bestBidPrice":"88987.4","bestAskPrice":"88987.5","bestAskSize":1037,"ts":1731665526461000000}})"));
  CHECK(b == BookTicker{"XBTUSDTM@kucoin_futures", 1709284589209ULL, 8898740000000, 71300000, 8898750000000, 103700000,
                        1731665526461});
}

TEST_CASE("kucoin futures: marks carry the funding rate announced last, funding is valued at the last mark") {
  FrameParser p(VenueId::kucoin_futures);
  const std::string funding =
      R"({"topic":"/contract/announcement","subject":"funding.begin","type":"message","data":{"symbol":"XBTUSDTM",)"
      R"("fundingTime":1551770400000,"fundingRate":-0.002966,"timestamp":1551770400000}})";
  // No mark heard yet: the payment cannot be valued, and the frame says so.
  CHECK(one(p, funding).error.find("before any mark price") != std::string::npos);
  CHECK(all(p, R"({"topic":"/contract/instrument:XBTUSDTM","type":"message","subject":"funding.rate","data":{)"
               R"("granularity":60000,"fundingRate":0.000125,"timestamp":1731899100000}})")
            .empty());
  auto m = as<MarkPrice>(one(p, R"({"topic":"/contract/instrument:XBTUSDTM","type":"message","subject":"mark.index.price",)"
                                R"("data":{"markPrice":90445.02,"indexPrice":90445.02,"granularity":1000,"timestamp":1731899129000}})"));
  CHECK(m.symbol == "XBTUSDTM@kucoin_futures");
  CHECK(m.price == 9044502000000);  // the double 90445.02 read back as the digits written: exact
  CHECK(m.source == MarkSource::venue);
  CHECK(m.exchange_ts_ms == 1731899129000);
  CHECK(m.funding_rate == 12500);  // 0.000125
  CHECK(m.next_funding_time_ms == 0);
  auto f = as<Funding>(one(p, funding));
  CHECK(f == Funding{"XBTUSDTM@kucoin_futures", -296600, 1551770400000, 9044502000000, FundingSource::venue});
  CHECK(all(p, R"({"topic":"/contract/announcement","subject":"funding.end","type":"message","data":{"symbol":"XBTUSDTM",)"
               R"("fundingTime":1551770400000,"fundingRate":-0.002966,"timestamp":1551770400000}})")
            .empty());
}

TEST_CASE("kucoin futures: what cannot be read exactly is malformed, each saying why") {
  FrameParser p(VenueId::kucoin_futures);
  const auto contract = [](std::string_view multiplier, std::string_view inverse) {
    return fmt::format(R"({{"code":"200000","data":{{"symbol":"XBTUSDTM","multiplier":{},"isInverse":{}}}}})", multiplier,
                       inverse);
  };
  CHECK(one(p, contract("0.001", "true")).error.find("inverse contract") != std::string::npos);
  CHECK(one(p, contract("0", "false")).error.find("expected a positive decimal") != std::string::npos);
  CHECK(one(p, contract("0.000000001", "false")).error.find("at most 8 places") != std::string::npos);
  CHECK(one(p, contract("\"x\"", "false")).error.find("multiplier") != std::string::npos);
  CHECK(all(p, contract("0.001", "false")).empty());
  auto execution = [](std::string_view size) {
    return fmt::format(R"({{"topic":"/contractMarket/execution:XBTUSDTM","type":"message","subject":"match","data":{{)"
                       R"("symbol":"XBTUSDTM","sequence":7,"side":"buy","size":{},"price":"90503.9","tradeId":"7","ts":1}}}})",
                       size);
  };
  CHECK(one(p, execution("1.5")).error.find("whole number of lots") != std::string::npos);
  CHECK(one(p, execution("-1")).error.find("whole number of lots") != std::string::npos);
  CHECK(one(p, execution("\"2\"")).error.find("whole number of lots") != std::string::npos);
  CHECK(one(p, execution("99999999999999999")).error.find("beyond 64-bit") != std::string::npos);
  CHECK(as<Trade>(one(p, execution("3"))).qty == 300000);
  CHECK(one(p, R"({"topic":"/contract/instrument:XBTUSDTM","type":"message","subject":"mark.index.price",)"
               R"("data":{"markPrice":1e300,"timestamp":1731899129000}})")
            .error.find("markPrice") != std::string::npos);
  CHECK(one(p, R"({"topic":"/contract/instrument:XBTUSDTM","type":"message","subject":"mark.index.price",)"
               R"("data":{"markPrice":-5.5,"timestamp":1731899129000}})")
            .error.find("positive price") != std::string::npos);
  // A spot topic on the futures connection, or a subject it does not read: an unknown stream.
  CHECK(one(p, R"({"topic":"/market/match:BTC-USDT","type":"message","subject":"trade.l3match","data":{}})").kind ==
        ParsedFrame::Kind::unknown_stream);
  CHECK(one(p, R"({"topic":"/contract/instrument:XBTUSDTM","type":"message","subject":"premium.index","data":{}})").kind ==
        ParsedFrame::Kind::unknown_stream);
}

TEST_CASE("the bundled KuCoin Futures capture: its contract first, then every trade and ticker read, none malformed") {
  auto stream = CaptureStream::open({std::string(TRADER_TEST_DATA_DIR) + "/kucoin_futures_xbtusdtm_20240808.gz"}, "",
                                    VenueId::kucoin_futures);
  REQUIRE(stream);
  CaptureItem item;
  std::size_t trades = 0, tickers = 0, other = 0;
  std::int64_t first_qty = 0;
  while (true) {
    auto more = (*stream)->next(item);
    REQUIRE(more);
    if (!*more) break;
    REQUIRE(item.kind == CaptureItem::Kind::message);
    if (const auto* t = std::get_if<Trade>(&item.message)) {
      if (trades++ == 0) first_qty = t->qty;
      CHECK(t->symbol == "XBTUSDTM@kucoin_futures");
    } else if (std::holds_alternative<BookTicker>(item.message)) {
      ++tickers;
    } else {
      ++other;
    }
  }
  CHECK(trades == 6231);  // tests/data/README.md
  CHECK(tickers == 1732);
  CHECK(other == 0);
  CHECK(first_qty == 600000);  // Binance's 0.006 BTC, written as 6 lots of 0.001
}
