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

TEST_CASE("market feed: an exchange time far from the receive time is an error record, not market data") {
  MarketFeedCore core(0, 3'600'000);
  std::vector<FeedInput> out;
  const std::int64_t now_ms = 1'723'100'000'000;  // receive time, ms
  auto at = [](std::uint64_t id, std::int64_t t_ms) { return Trade{"BTCUSDT", 1, 1, id, t_ms, t_ms, false}; };
  core.on_market_data(now_ms * 1'000'000, at(1, now_ms - 900), out);
  REQUIRE(out.size() == 1);
  CHECK(std::holds_alternative<Trade>(out[0].message));
  out.clear();
  // Seconds where milliseconds belong, and a far-future year.
  core.on_market_data(now_ms * 1'000'000, at(2, now_ms / 1000), out);
  core.on_market_data(now_ms * 1'000'000, at(3, now_ms * 1000), out);
  REQUIRE(out.size() == 2);
  for (const auto& in : out) {
    const auto* e = std::get_if<ErrorReport>(&in.message);
    REQUIRE(e != nullptr);
    CHECK(e->code == "implausible_exchange_time");
    CHECK(e->context == "BTCUSDT");
    CHECK(e->message.find("more than feed.max_time_skew_ms = 3600000 from its receive time") != std::string::npos);
  }
  CHECK(core.implausible_times() == 2);
  out.clear();
  core.on_market_data(now_ms * 1'000'000, at(4, now_ms), out);  // ids 2 and 3 did arrive: no gap
  REQUIRE(out.size() == 1);
  CHECK(std::holds_alternative<Trade>(out[0].message));
  CHECK(core.gaps() == 0);

  // An open daily kline opened hours ago and closes hours ahead: plausible.
  Kline day{"BTCUSDT", 86'400, now_ms - 20 * 3'600'000, now_ms + 4 * 3'600'000};
  out.clear();
  core.on_market_data(now_ms * 1'000'000, day, out);
  REQUIRE(out.size() == 1);
  CHECK(std::holds_alternative<Kline>(out[0].message));
  Kline old = day;
  old.open_time_ms -= 2 * 86'400'000;
  old.close_time_ms -= 2 * 86'400'000;
  out.clear();
  core.on_market_data(now_ms * 1'000'000, old, out);
  REQUIRE(out.size() == 1);
  CHECK(std::holds_alternative<ErrorReport>(out[0].message));

  // 0: not checked (what-if re-reads what the node let in).
  MarketFeedCore unchecked(0);
  out.clear();
  unchecked.on_market_data(now_ms * 1'000'000, at(1, 0), out);
  REQUIRE(out.size() == 1);
  CHECK(std::holds_alternative<Trade>(out[0].message));
}
