#include <doctest/doctest.h>

#include <limits>
#include <map>

#include "actors/candle_builder/candle_builder_core.hpp"
#include "core_harness.hpp"
#include "exchange/capture_stream.hpp"
#include "messages/fixed_point.hpp"

using namespace trader;
using test::CoreHarness;
using test::of_type;
using test::px;

namespace {
Trade trade_at(std::int64_t t_ms, double price, double qty, std::uint64_t id = 1) {
  return Trade{"BTCUSDT", px(price), px(qty), id, t_ms, t_ms, false};
}
}  // namespace

TEST_CASE("1-minute candles of the real BTCUSDT capture equal an independent aggregation of each minute") {
  auto stream = CaptureStream::open({std::string(TRADER_TEST_DATA_DIR) + "/btcusdt_20240808_head20k.gz"});
  REQUIRE(stream.has_value());
  CandleBuilderCore core({{60, 300}, false, 2000});
  CoreHarness h(core);

  struct Agg {
    std::int64_t open = 0, high = 0, low = 0, close = 0, volume = 0;
    std::uint64_t count = 0;
  };
  std::map<std::int64_t, Agg> expected;  // minute start -> aggregation, computed here independently
  std::vector<Candle> got;
  CaptureItem item;
  for (;;) {
    auto more = (*stream)->next(item);
    REQUIRE(more.has_value());
    if (!*more) break;
    if (item.kind != CaptureItem::Kind::message) continue;
    const auto* t = std::get_if<Trade>(&item.message);
    if (!t) continue;
    Agg& a = expected[t->trade_ts_ms / 60000 * 60000];
    if (a.count == 0) a.open = a.high = a.low = t->price;
    a.high = std::max(a.high, t->price);
    a.low = std::min(a.low, t->price);
    a.close = t->price;
    a.volume += t->qty;
    ++a.count;
    for (const auto& c : of_type<Candle>(h.feed(item.message, item.recv_ts_ns))) got.push_back(c);
  }
  std::vector<Candle> minutes;
  for (const auto& c : got)
    if (c.interval_s == 60) minutes.push_back(c);
  REQUIRE(expected.size() >= 4);
  CHECK(minutes.size() == expected.size() - 1);  // the last minute is still open at the end of the data
  for (const auto& c : minutes) {
    INFO("minute " << c.open_time_ms);
    REQUIRE(expected.count(c.open_time_ms));
    const Agg& a = expected[c.open_time_ms];
    CHECK(c.open == a.open);
    CHECK(c.high == a.high);
    CHECK(c.low == a.low);
    CHECK(c.close == a.close);
    CHECK(c.volume == a.volume);
    CHECK(c.trades == a.count);
    CHECK(c.close_time_ms == c.open_time_ms + 59999);
    CHECK(c.symbol == "BTCUSDT");
    CHECK_FALSE(c.from_exchange);
    CHECK(c.vwap >= c.low);
    CHECK(c.vwap <= c.high);
  }
}

TEST_CASE("minutes without trades close as flat candles at the previous close") {
  CandleBuilderCore core({{60}, false, 2000});
  CoreHarness h(core);
  CHECK(h.feed(trade_at(10'000, 100, 1)).empty());
  CHECK(h.feed(trade_at(20'000, 101, 2)).empty());
  const auto candles = of_type<Candle>(h.feed(trade_at(3 * 60'000 + 5, 99, 1)));
  REQUIRE(candles.size() == 3);
  CHECK(candles[0].open_time_ms == 0);
  CHECK(candles[0].open == px(100));
  CHECK(candles[0].high == px(101));
  CHECK(candles[0].close == px(101));
  CHECK(candles[0].volume == px(3));
  CHECK(candles[0].trades == 2);
  CHECK(candles[0].quote_volume == px(302));
  CHECK(candles[0].vwap == 10066666666);  // 302 / 3, rounded down
  for (int i = 1; i <= 2; ++i) {
    CHECK(candles[i].open_time_ms == i * 60'000);
    CHECK(candles[i].open == px(101));
    CHECK(candles[i].high == px(101));
    CHECK(candles[i].low == px(101));
    CHECK(candles[i].close == px(101));
    CHECK(candles[i].volume == 0);
    CHECK(candles[i].trades == 0);
  }
}

TEST_CASE("a gap longer than max_flat_candles is one candle_gap error, and candles resume with the data") {
  CandleBuilderCore core({{60, 300}, false, 2000, 5});
  CoreHarness h(core);
  h.feed(trade_at(10'000, 100, 1));
  // 5 quiet minutes: filled with flat candles (the limit is inclusive).
  auto five = h.feed(trade_at(6 * 60'000 + 1, 101, 1, 2));
  CHECK(of_type<Candle>(five).size() == 6 + 1);  // minute 0, five flat minutes, and the 5m candle 0..5m
  CHECK(of_type<ErrorReport>(five).empty());

  // A year later: no half a million flat candles, one error per interval, then business as usual.
  const std::int64_t later = 365LL * 24 * 3'600'000 + 30'000;
  const auto& out = h.feed(trade_at(later, 102, 1, 3));
  const auto errors = of_type<ErrorReport>(out);
  const auto candles = of_type<Candle>(out);
  REQUIRE(errors.size() == 2);
  CHECK(errors[0].code == "candle_gap");
  CHECK(errors[0].context == "BTCUSDT");
  CHECK(errors[0].message.find("60s candles: no data from 420000 to ") == 0);
  CHECK(errors[0].message.find("more than candles.max_flat_candles = 5") != std::string::npos);
  CHECK(errors[1].message.find("300s candles") == 0);
  REQUIRE(candles.size() == 2);  // only the real candles that closed: minute 6 and the 5m candle 5..10m
  CHECK(candles[0].open_time_ms == 6 * 60'000);
  CHECK(candles[0].close == px(101));
  CHECK(candles[1].interval_s == 300);
  CHECK(candles[1].open_time_ms == 300'000);
  const auto next = of_type<Candle>(h.feed(trade_at(later + 60'000, 103, 1, 4)));
  REQUIRE(next.size() == 1);
  CHECK(next[0].open_time_ms == later - 30'000);  // the minute of the trade after the gap
  CHECK(next[0].open == px(102));
  CHECK(next[0].trades == 1);

  // A clock tick far ahead is bounded the same way.
  const auto& tick = h.feed(ClockTick{(later + 30LL * 24 * 3'600'000) * 1'000'000});
  CHECK(of_type<Candle>(tick).size() <= 2);
  CHECK(of_type<ErrorReport>(tick).size() == 2);
}

TEST_CASE("a clock tick closes a quiet interval only after the grace period") {
  CandleBuilderCore core({{60}, false, 2000});
  CoreHarness h(core);
  h.feed(trade_at(1'000, 100, 1));
  CHECK(h.feed(ClockTick{61'999'000'000LL}).empty());  // 60 s + 1.999 s
  const auto c = of_type<Candle>(h.feed(ClockTick{62'000'000'000LL}));
  REQUIRE(c.size() == 1);
  CHECK(c[0].open_time_ms == 0);
  CHECK(h.feed(ClockTick{62'000'000'000LL}).empty());  // nothing twice
}

TEST_CASE("the builder declares ticks quiet exactly until the first interval closes, plus the grace") {
  CandleBuilderCore core({{60, 300}, false, 2000});
  CoreHarness h(core);
  CHECK(core.quiet().covers(ClockTick::kTypeId, std::numeric_limits<std::int64_t>::max() - 1));  // nothing started
  CHECK_FALSE(core.quiet().covers(Trade::kTypeId, 0));
  CHECK_FALSE(core.quiet().covers(Kline::kTypeId, 0));
  h.feed(trade_at(1'000, 100, 1));
  const Quiet q = core.quiet();
  CHECK(q.ticks_before_ns == 62'000'000'000LL);  // the 60 s interval's end + 2 s
  // The last quiet tick closes nothing; the first one not quiet closes the minute.
  CHECK(q.covers(ClockTick::kTypeId, 61'999'999'999LL));
  CHECK(h.feed(ClockTick{61'999'999'999LL}).empty());
  CHECK(h.quiet_deliveries() == 1);  // the harness checked it as the sequencer would
  CHECK_FALSE(q.covers(ClockTick::kTypeId, 62'000'000'000LL));
  CHECK(of_type<Candle>(h.feed(ClockTick{62'000'000'000LL})).size() == 1);
  CHECK(core.quiet().ticks_before_ns == 122'000'000'000LL);  // the next minute
}

TEST_CASE("a trade for an interval already published is reported, not added") {
  CandleBuilderCore core({{60}, false, 2000});
  CoreHarness h(core);
  h.feed(trade_at(1'000, 100, 1));
  h.feed(trade_at(61'000, 100, 1));  // closes minute 0
  const auto& out = h.feed(trade_at(59'000, 100, 1));
  REQUIRE(of_type<ErrorReport>(out).size() == 1);
  CHECK(of_type<ErrorReport>(out)[0].code == "late_trade");
  CHECK(of_type<Candle>(out).empty());
}

TEST_CASE("aggTrades are used only when configured") {
  CandleBuilderCore trades_only({{60}, false, 2000});
  CandleBuilderCore aggs({{60}, true, 2000});
  CoreHarness ht(trades_only), ha(aggs);
  const AggTrade a{"XRPETH", px(0.0014), px(10), 1, 1, 1, 1'000, 1'000, false};
  const AggTrade b{"XRPETH", px(0.0015), px(10), 2, 2, 2, 61'000, 61'000, false};
  ht.feed(a);
  CHECK(ht.feed(b).empty());
  ha.feed(a);
  const auto c = of_type<Candle>(ha.feed(b));
  REQUIRE(c.size() == 1);
  CHECK(c[0].symbol == "XRPETH");
  CHECK(c[0].close == px(0.0014));
}

TEST_CASE("a kline whose volumes give a price past 64 bits makes a candle with its typical price as vwap") {
  CandleBuilderCore core({{60}, false, 2000});
  CoreHarness h(core);
  Kline k;
  k.symbol = "BTCUSDC";
  k.interval_s = 60;
  k.close_time_ms = 59'999;
  k.open = px(100);
  k.high = px(110);
  k.low = px(90);
  k.close = px(100);
  k.volume = 1;                                                  // one unit (1e-8)...
  k.quote_volume = std::numeric_limits<std::int64_t>::max() / 2;  // ...worth 4.6e10: a garbled kline
  k.closed = true;
  const auto c = of_type<Candle>(h.feed(k));
  REQUIRE(c.size() == 1);
  CHECK(c[0].vwap == px(100));  // (110 + 90 + 100) / 3; before, the wrapped quotient
}

TEST_CASE("closed klines pass through and roll up into longer intervals") {
  CandleBuilderCore core({{60, 300}, false, 2000});
  CoreHarness h(core);
  std::vector<Candle> c1, c5;
  for (int i = 0; i < 5; ++i) {
    Kline k;
    k.symbol = "BTCUSDC";
    k.interval_s = 60;
    k.open_time_ms = i * 60'000;
    k.close_time_ms = k.open_time_ms + 59'999;
    k.open = px(100 + i);
    k.high = px(110 + i);
    k.low = px(90 - i);
    k.close = px(101 + i);
    k.volume = px(1);
    k.closed = true;
    for (const auto& c : of_type<Candle>(h.feed(k))) (c.interval_s == 60 ? c1 : c5).push_back(c);
    CHECK(c1.size() == static_cast<std::size_t>(i + 1));  // each kline is its own 1m candle at once
  }
  REQUIRE(c5.size() == 1);  // the fifth kline closes the 5m candle
  CHECK(c5[0].open_time_ms == 0);
  CHECK(c5[0].open == px(100));
  CHECK(c5[0].high == px(114));
  CHECK(c5[0].low == px(86));
  CHECK(c5[0].close == px(105));
  CHECK(c5[0].volume == px(5));
  CHECK(c5[0].from_exchange);
  Kline open_kline;
  open_kline.symbol = "BTCUSDC";
  open_kline.interval_s = 60;
  open_kline.open_time_ms = 300'000;
  open_kline.closed = false;
  CHECK(h.feed(open_kline).empty());  // open klines are ignored
}

TEST_CASE("a low-priced coin's minute volume that would wrap int64 is refused with an error, never wrapped") {
  CandleBuilderCore core({{60}, false, 2000});
  CoreHarness h(core);
  // PEPE-like: 9e10 coins a print at 1e-8 scale is 9e18 units; two of them do not fit.
  const std::int64_t huge = 9'000'000'000'000'000'000LL;
  Trade t{"PEPEUSDT", 100, huge, 1, 1'000, 1'000, false};  // price 0.000001
  CHECK(of_type<ErrorReport>(h.feed(t)).empty());
  t.trade_id = 2;
  t.trade_ts_ms = t.exchange_ts_ms = 2'000;
  const auto errors = of_type<ErrorReport>(h.feed(t));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].code == "arithmetic_overflow");
  t.trade_id = 3;
  t.trade_ts_ms = t.exchange_ts_ms = 61'000;  // closes the minute
  const auto candles = of_type<Candle>(h.feed(t));
  REQUIRE(candles.size() == 1);
  CHECK(candles[0].volume == huge);  // the first print only: the second was refused, not wrapped
  CHECK(candles[0].volume > 0);
}

// A kline older than the open candles (a resumed warm-up's history, a venue resending) is
// reported, not added: before, it was folded into the open candle as if it were new.
// What history klines close is marked history.
TEST_CASE("a kline for an interval already published is reported, not added, history klines close history candles") {
  CandleBuilderCore core({{60, 300}, false, 2000});
  CoreHarness h(core);
  auto kline = [](int minute, double price, bool history) {
    Kline k;
    k.symbol = "BTCUSDC";
    k.interval_s = 60;
    k.open_time_ms = minute * 60'000;
    k.close_time_ms = k.open_time_ms + 59'999;
    k.open = k.high = k.low = k.close = px(price);
    k.volume = px(1);
    k.closed = true;
    k.history = history;
    return k;
  };
  const auto first = of_type<Candle>(h.feed(kline(0, 100, true)));
  REQUIRE(first.size() == 1);
  CHECK(first[0].history);
  h.feed(kline(1, 101, false));
  const auto& out = h.feed(kline(0, 500, false));  // minute 0 again, at another price
  REQUIRE(of_type<ErrorReport>(out).size() == 1);
  CHECK(of_type<ErrorReport>(out)[0].code == "late_kline");
  CHECK(of_type<Candle>(out).empty());
  std::vector<Candle> five;
  for (int m = 2; m < 5; ++m)
    for (const auto& c : of_type<Candle>(h.feed(kline(m, 100 + m, false))))
      if (c.interval_s == 300) five.push_back(c);
  REQUIRE(five.size() == 1);
  CHECK(five[0].high == px(104));  // the late 500 was not added
  CHECK(five[0].volume == px(5));
  CHECK_FALSE(five[0].history);    // closed by a live kline
}
