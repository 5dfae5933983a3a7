#include <doctest/doctest.h>

#include "actors/market_feed/market_feed_core.hpp"

using namespace trader;

namespace {
Trade trade(std::uint64_t id) { return Trade{"BTCUSDT", 1, 1, id, 0, 0, false}; }
}  // namespace

TEST_CASE("market feed: trade-id gaps are reported ahead of the trade") {
  MarketFeedCore core(0);
  std::vector<FeedInput> out;
  core.on_market_data(1, trade(100), out);
  core.on_market_data(2, trade(101), out);
  CHECK(out.size() == 2);
  out.clear();
  core.on_market_data(3, trade(105), out);
  REQUIRE(out.size() == 2);
  const auto& gap = std::get<FeedStatus>(out[0].message);
  CHECK(gap.kind == FeedStatusKind::gap);
  CHECK(gap.expected_id == 102);
  CHECK(gap.received_id == 105);
  CHECK(gap.stream == "trade");
  CHECK(std::holds_alternative<Trade>(out[1].message));
  CHECK(core.gaps() == 1);
}

TEST_CASE("market feed: depth update continuity, restarted by a snapshot") {
  MarketFeedCore core(0);
  std::vector<FeedInput> out;
  core.on_market_data(1, DepthUpdate{"BTCUSDT", 10, 20, 0, {}, {}}, out);
  core.on_market_data(2, DepthUpdate{"BTCUSDT", 21, 25, 0, {}, {}}, out);
  CHECK(core.gaps() == 0);
  core.on_market_data(3, DepthUpdate{"BTCUSDT", 30, 31, 0, {}, {}}, out);
  CHECK(core.gaps() == 1);
  core.on_market_data(4, DepthSnapshot{"BTCUSDT", 100, {}, {}}, out);
  core.on_market_data(5, DepthUpdate{"BTCUSDT", 95, 105, 0, {}, {}}, out);  // overlaps the snapshot: fine
  CHECK(core.gaps() == 1);
}

TEST_CASE("market feed: a snapshot older than the diffs already received does not rewind them") {
  // The ids of the first lines of the bundled BTCUSDT capture.
  MarketFeedCore core(0);
  std::vector<FeedInput> out;
  core.on_market_data(1, DepthUpdate{"BTCUSDT", 50093239189, 50093239202, 0, {}, {}}, out);
  core.on_market_data(2, DepthUpdate{"BTCUSDT", 50093239203, 50093239207, 0, {}, {}}, out);
  core.on_market_data(3, DepthUpdate{"BTCUSDT", 50093239208, 50093239224, 0, {}, {}}, out);
  core.on_market_data(4, DepthSnapshot{"BTCUSDT", 50093239218, {}, {}}, out);
  core.on_market_data(5, DepthUpdate{"BTCUSDT", 50093239225, 50093239237, 0, {}, {}}, out);
  CHECK(core.gaps() == 0);
}

TEST_CASE("market feed: one clock tick per crossed boundary, at the latest boundary, from timer") {
  MarketFeedCore core(1000);
  std::vector<FeedInput> out;
  core.on_market_data(1'500'000'000, trade(1), out);  // starts the clock, no tick
  CHECK(out.size() == 1);
  out.clear();
  core.on_market_data(1'900'000'000, trade(2), out);
  CHECK(out.size() == 1);
  out.clear();
  core.on_market_data(9'200'000'000, trade(3), out);  // crossed 2..9 s: one tick at 9 s
  REQUIRE(out.size() == 2);
  CHECK(out[0].source == Actor::timer);
  CHECK(std::get<ClockTick>(out[0].message).ts_ns == 9'000'000'000);
  CHECK(out[0].recv_ts_ns == 9'000'000'000);
}
