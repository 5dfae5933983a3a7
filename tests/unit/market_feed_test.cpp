#include <doctest/doctest.h>

#include "actors/market_feed/market_feed_core.hpp"

using namespace trader;

namespace {
Trade trade(std::uint64_t id) { return Trade{"BTCUSDT", 1, 1, id, 0, 0, false}; }

EnvelopeHeader header_of(const FeedInput& in) {
  return EnvelopeHeader{0, in.recv_ts_ns, in.source, in.destination, 0, type_id_of(in.message), 1};
}

// What the node does with each received message: the feed decides its group, and each
// record of it is journaled (here: recorded) in order.
struct Feed {
  MarketFeedCore core;
  std::size_t gaps = 0, refused = 0;
  void on_market_data(std::int64_t recv_ts_ns, Message m, std::vector<FeedInput>& out) {
    const auto from = out.size();
    core.admit(recv_ts_ns, std::move(m), out);
    for (auto i = from; i < out.size(); ++i) {
      REQUIRE(core.record(header_of(out[i]), out[i].message));
      if (const auto* f = std::get_if<FeedStatus>(&out[i].message); f && f->kind == FeedStatusKind::gap) ++gaps;
      if (out[i].destination == Actor::market_feed) ++refused;
    }
    CHECK_FALSE(core.group_open());
  }
};
}  // namespace

TEST_CASE("market feed: trade-id gaps are reported ahead of the trade") {
  Feed core{MarketFeedCore(0)};
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
  CHECK(core.gaps == 1);
}

TEST_CASE("market feed: depth update continuity, restarted by a snapshot") {
  Feed core{MarketFeedCore(0)};
  std::vector<FeedInput> out;
  core.on_market_data(1, DepthUpdate{"BTCUSDT", 10, 20, 0, {}, {}}, out);
  core.on_market_data(2, DepthUpdate{"BTCUSDT", 21, 25, 0, {}, {}}, out);
  CHECK(core.gaps == 0);
  core.on_market_data(3, DepthUpdate{"BTCUSDT", 30, 31, 0, {}, {}}, out);
  CHECK(core.gaps == 1);
  core.on_market_data(4, DepthSnapshot{"BTCUSDT", 100, {}, {}}, out);
  core.on_market_data(5, DepthUpdate{"BTCUSDT", 95, 105, 0, {}, {}}, out);  // overlaps the snapshot: fine
  CHECK(core.gaps == 1);
}

TEST_CASE("market feed: a snapshot older than the diffs already received does not rewind them") {
  // The ids of the first lines of the bundled BTCUSDT capture.
  Feed core{MarketFeedCore(0)};
  std::vector<FeedInput> out;
  core.on_market_data(1, DepthUpdate{"BTCUSDT", 50093239189, 50093239202, 0, {}, {}}, out);
  core.on_market_data(2, DepthUpdate{"BTCUSDT", 50093239203, 50093239207, 0, {}, {}}, out);
  core.on_market_data(3, DepthUpdate{"BTCUSDT", 50093239208, 50093239224, 0, {}, {}}, out);
  core.on_market_data(4, DepthSnapshot{"BTCUSDT", 50093239218, {}, {}}, out);
  core.on_market_data(5, DepthUpdate{"BTCUSDT", 50093239225, 50093239237, 0, {}, {}}, out);
  CHECK(core.gaps == 0);
}

TEST_CASE("market feed: one clock tick per crossed boundary, at the latest boundary, from timer") {
  Feed core{MarketFeedCore(1000)};
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
  Feed core{MarketFeedCore(0, 3'600'000)};
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
  REQUIRE(out.size() == 4);  // each: the error saying why, then the message, quarantined
  for (std::size_t i = 0; i < out.size(); i += 2) {
    const auto* e = std::get_if<ErrorReport>(&out[i].message);
    REQUIRE(e != nullptr);
    CHECK(e->code == "implausible_exchange_time");
    CHECK(e->context == "BTCUSDT");
    CHECK(e->message.find("more than feed.max_time_skew_ms = 3600000 from its receive time") != std::string::npos);
    CHECK(out[i].destination == Actor::none);
    CHECK(std::holds_alternative<Trade>(out[i + 1].message));
    CHECK(out[i + 1].destination == Actor::market_feed);
  }
  CHECK(core.refused == 2);
  out.clear();
  core.on_market_data(now_ms * 1'000'000, at(4, now_ms), out);  // ids 2 and 3 did arrive: no gap
  REQUIRE(out.size() == 1);
  CHECK(std::holds_alternative<Trade>(out[0].message));
  CHECK(core.gaps == 0);

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
  REQUIRE(out.size() == 2);
  CHECK(std::holds_alternative<ErrorReport>(out[0].message));
  CHECK(out[1].destination == Actor::market_feed);

  // 0: not checked.
  Feed unchecked{MarketFeedCore(0)};
  out.clear();
  unchecked.on_market_data(now_ms * 1'000'000, at(1, 0), out);
  REQUIRE(out.size() == 1);
  CHECK(std::holds_alternative<Trade>(out[0].message));
}

TEST_CASE("market feed: an id at or below the last one received is not let in") {
  Feed core{MarketFeedCore(0)};
  std::vector<FeedInput> out;
  core.on_market_data(1, trade(100), out);
  core.on_market_data(2, trade(101), out);
  out.clear();
  core.on_market_data(3, trade(101), out);  // resent after a reconnect
  core.on_market_data(4, trade(90), out);
  REQUIRE(out.size() == 4);
  CHECK(std::get<ErrorReport>(out[0].message).code == "stale_id");
  CHECK(std::get<ErrorReport>(out[0].message).message == "trade id 101 is at or below the last one received (101); not let in");
  CHECK(out[1].destination == Actor::market_feed);
  CHECK(std::get<ErrorReport>(out[2].message).code == "stale_id");
  out.clear();
  core.on_market_data(5, trade(102), out);  // no gap: the stream goes on from 101
  REQUIRE(out.size() == 1);
  CHECK(out[0].destination == Actor::none);
  // A depth diff wholly covered already is stale; one reaching past the last id is not.
  core.on_market_data(6, DepthUpdate{"BTCUSDT", 10, 20, 0, {}, {}}, out);
  out.clear();
  core.on_market_data(7, DepthUpdate{"BTCUSDT", 15, 20, 0, {}, {}}, out);
  core.on_market_data(8, DepthUpdate{"BTCUSDT", 15, 25, 0, {}, {}}, out);
  REQUIRE(out.size() == 3);
  CHECK(out[1].destination == Actor::market_feed);
  CHECK(out[2].destination == Actor::none);
  CHECK(core.gaps == 0);
  CHECK(core.refused == 3);
}

namespace {
// The journal of a few messages through the feed: records, as the node writes them.
std::vector<FeedInput> journal_of(MarketFeedCore core, const std::vector<std::pair<std::int64_t, Message>>& received) {
  std::vector<FeedInput> all;
  for (const auto& [ts, m] : received) {
    std::vector<FeedInput> group;
    core.admit(ts, m, group);
    for (const auto& in : group) REQUIRE(core.record(header_of(in), in.message));
    all.insert(all.end(), group.begin(), group.end());
  }
  return all;
}
Status replay_into(MarketFeedCore& core, const std::vector<FeedInput>& records) {
  for (const auto& in : records)
    if (auto st = core.record(header_of(in), in.message); !st) return st;
  return {};
}
}  // namespace

TEST_CASE("market feed: record() re-derives every decision and refuses a journal the feed would not write") {
  const std::vector<std::pair<std::int64_t, Message>> received{
      {1'500'000'000, trade(1)}, {2'100'000'000, trade(2)}, {5'300'000'000, trade(7)}, {5'400'000'000, trade(7)}};
  const auto records = journal_of(MarketFeedCore(1000), received);
  REQUIRE(records.size() == 8);  // 1 | tick 2 | tick 5, gap, 7 | stale, 7 quarantined
  {
    MarketFeedCore fresh(1000);
    CHECK(replay_into(fresh, records));
  }
  auto refused = [&](std::vector<FeedInput> edited) {
    MarketFeedCore fresh(1000);
    auto st = replay_into(fresh, edited);
    REQUIRE_FALSE(st);
    return st.error().message;
  };
  auto no_gap = records;
  no_gap.erase(no_gap.begin() + 4);  // the gap report
  CHECK(refused(no_gap).find("feed_status") != std::string::npos);
  auto no_tick = records;
  no_tick.erase(no_tick.begin() + 1);
  CHECK(refused(no_tick).find("clock_tick") != std::string::npos);
  auto let_in = records;  // the resent trade let in after all
  let_in.erase(let_in.begin() + 6);
  let_in.back().destination = Actor::none;
  refused(let_in);
  auto moved = records;  // a trade with another receive time than the feed saw
  moved[5].recv_ts_ns += 1'000'000'000;
  refused(moved);
  // Another configuration decides otherwise: ticks every 2 s.
  MarketFeedCore other(2000);
  CHECK_FALSE(replay_into(other, records));
  // Trusting (a state not known): applied, not checked.
  MarketFeedCore trusting(1000);
  trusting.trust();
  CHECK(replay_into(trusting, no_gap));
}

TEST_CASE("market feed: a snapshot mid-group holds the group, settle() ends a group a crash cut") {
  const std::vector<std::pair<std::int64_t, Message>> received{{1'500'000'000, trade(1)}, {3'100'000'000, trade(5)}};
  const auto records = journal_of(MarketFeedCore(1000), received);
  REQUIRE(records.size() == 4);  // 1 | tick 3, gap, 5
  MarketFeedCore before(1000);
  REQUIRE(replay_into(before, {records[0], records[1]}));  // the tick is journaled, the rest not yet
  CHECK(before.group_open());
  StateWriter w;
  before.save(w);
  MarketFeedCore restored(1000);
  StateReader r(w.bytes());
  REQUIRE(restored.load(r));
  CHECK(r.at_end());
  StateWriter again;
  restored.save(again);
  CHECK(again.bytes() == w.bytes());
  CHECK(replay_into(restored, {records[2], records[3]}));  // the group completes from the snapshot
  CHECK_FALSE(restored.group_open());

  // A live feed resumed after the crash: trade 5 is gone; trade 9 arrives at 3.2 s.
  MarketFeedCore live(1000);
  REQUIRE(replay_into(live, {records[0], records[1], records[2]}));
  live.settle();
  CHECK_FALSE(live.group_open());
  std::vector<FeedInput> next;
  live.admit(3'200'000'000, trade(9), next);
  REQUIRE(next.size() == 2);  // no second tick at 3 s; the gap since trade 1, wider
  CHECK(std::get<FeedStatus>(next[0].message).expected_id == 2);
  CHECK(std::get<FeedStatus>(next[0].message).received_id == 9);
  for (const auto& in : next) CHECK(live.record(header_of(in), in.message));

  // A state format this build does not know is refused, not guessed at.
  StateWriter future;
  future.u32(99);
  StateReader fr(future.bytes());
  MarketFeedCore f(1000);
  CHECK_FALSE(f.load(fr));
}

TEST_CASE("market feed: a venue without book update ids (Coinbase), and a gap its connection reported") {
  Feed core{MarketFeedCore(0)};
  std::vector<FeedInput> out;
  // Book messages with id 0 claim no continuity: none is stale, none is a gap.
  core.on_market_data(1, DepthSnapshot{"BTC-USD@coinbase", 0, {{1, 1}}, {}}, out);
  core.on_market_data(2, DepthUpdate{"BTC-USD@coinbase", 0, 0, 0, {{1, 2}}, {}}, out);
  core.on_market_data(3, DepthUpdate{"BTC-USD@coinbase", 0, 0, 0, {{1, 0}}, {}}, out);
  CHECK(out.size() == 3);
  CHECK(core.refused == 0);
  // A gap in the connection's frame numbers is the source's input, not a decision of the
  // feed's: it ends its own group, and record() takes it as it is.
  out.clear();
  const FeedStatus reported{FeedStatusKind::gap, "", "sequence_num", 9, 11, "2 frame(s) of the connection missing", 4};
  CHECK_FALSE(MarketFeedCore::is_decision(Actor::market_feed, reported));
  core.on_market_data(4, reported, out);
  REQUIRE(out.size() == 1);
  CHECK(out[0].message == Message{reported});
  // A trade-id gap the feed finds stays its own decision.
  CHECK(MarketFeedCore::is_decision(Actor::market_feed, FeedStatus{FeedStatusKind::gap, "BTCUSDT", "trade", 1, 3, "", 0}));
}

TEST_CASE("market feed: a perpetual's mark is its book's mid, journaled before the book when it moves") {
  Feed core{MarketFeedCore(0, 0, PerpetualFeed{true, 60'000, 10'000})};
  std::vector<FeedInput> out;
  const std::string perp = "BTCUSDT@binance_usdm";
  auto book = [&](std::uint64_t id, std::int64_t bid, std::int64_t ask) {
    return BookTicker{perp, id, bid, 1, ask, 1, 1723161256313};
  };
  core.on_market_data(1, book(1, 6180020000000, 6180030000000), out);
  REQUIRE(out.size() == 2);
  CHECK(std::get<MarkPrice>(out[0].message) == MarkPrice{perp, 6180025000000, MarkSource::book_mid, 1723161256313});
  CHECK(out[0].source == Actor::market_feed);
  CHECK(std::holds_alternative<BookTicker>(out[1].message));
  out.clear();
  core.on_market_data(2, book(2, 6180020000000, 6180030000000), out);  // same mid: no mark
  CHECK(out.size() == 1);
  out.clear();
  core.on_market_data(3, book(3, 6180020000001, 6180030000002), out);  // an odd sum: toward zero
  REQUIRE(out.size() == 2);
  CHECK(std::get<MarkPrice>(out[0].message).price == 6180025000001);
  out.clear();
  // A spot pair's book makes no mark.
  core.on_market_data(4, BookTicker{"BTCUSDT", 4, 1, 1, 3, 1, 0}, out);
  CHECK(out.size() == 1);
}

TEST_CASE("market feed: scheduled funding at each funding time the clock crosses, at the mark then") {
  Feed core{MarketFeedCore(0, 0, PerpetualFeed{true, 60'000, 10'000})};
  std::vector<FeedInput> out;
  const std::string perp = "BTCUSDT@binance_usdm";
  const std::int64_t t0 = 1'723'161'255'000;  // ms: 23:54:15
  auto ns = [](std::int64_t ms) { return ms * 1'000'000; };
  core.on_market_data(ns(t0), BookTicker{perp, 1, 100, 1, 200, 1, 0}, out);  // first mark: the clock starts
  core.on_market_data(ns(t0 + 30'000), trade(1), out);                       // 23:54:45: no funding time yet
  out.clear();
  core.on_market_data(ns(t0 + 45'000), trade(2), out);  // 23:55:00 crossed
  REQUIRE(out.size() == 2);
  CHECK(std::get<Funding>(out[0].message) == Funding{perp, 10'000, 1'723'161'300'000, 150, FundingSource::schedule});
  CHECK(out[0].recv_ts_ns == ns(1'723'161'300'000));
  out.clear();
  core.on_market_data(ns(t0 + 190'000), trade(3), out);  // 23:57:25: 23:56 and 23:57 crossed, one each
  REQUIRE(out.size() == 3);
  CHECK(std::get<Funding>(out[0].message).funding_time_ms == 1'723'161'360'000);
  CHECK(std::get<Funding>(out[1].message).funding_time_ms == 1'723'161'420'000);
}

TEST_CASE("market feed: marks and the funding clock survive a snapshot, and a journal the feed would not write is refused") {
  const PerpetualFeed perp{true, 60'000, -5'000};
  Feed core{MarketFeedCore(0, 0, perp)};
  std::vector<FeedInput> out;
  core.on_market_data(1'723'161'255'000'000'000, BookTicker{"ETHUSDT@binance_usdm", 1, 100, 1, 300, 1, 0}, out);
  StateWriter w;
  core.core.save(w);
  MarketFeedCore restored(0, 0, perp);
  StateReader r(w.bytes());
  REQUIRE(restored.load(r).has_value());
  StateWriter again;
  restored.save(again);
  CHECK(again.bytes() == w.bytes());
  // After the restore, the next funding time pays at the mark the snapshot kept.
  std::vector<FeedInput> next;
  restored.admit(1'723'161'300'000'000'000, trade(1), next);
  REQUIRE(next.size() == 2);
  CHECK(std::get<Funding>(next[0].message).mark_price == 200);
  CHECK(std::get<Funding>(next[0].message).rate == -5'000);
  // A journal whose mark is not the mid the feed derives fails record().
  MarketFeedCore checker(0, 0, perp);
  const FeedInput forged{Actor::market_feed, 5, MarkPrice{"ETHUSDT@binance_usdm", 201, MarkSource::book_mid, 0}};
  const FeedInput book{Actor::market_feed, 5, BookTicker{"ETHUSDT@binance_usdm", 1, 100, 1, 300, 1, 0}};
  REQUIRE(checker.record(header_of(forged), forged.message));
  CHECK_FALSE(checker.record(header_of(book), book.message).has_value());
}

TEST_CASE("market feed: funding the venue's marks announce is decided when a mark names the next funding time") {
  Feed core{MarketFeedCore(0)};  // no book marks, no schedule: the venue's stream says it all
  std::vector<FeedInput> out;
  const std::string perp = "BTCUSDT@binance_usdm";
  const std::int64_t t8 = 1'723'161'600'000;  // 2024-08-09T00:00Z, a funding time
  auto mark = [&](std::int64_t e, std::int64_t price, std::int64_t rate, std::int64_t next) {
    return MarkPrice{perp, price, MarkSource::venue, e, rate, next};
  };
  auto ns = [](std::int64_t ms) { return ms * 1'000'000; };
  CHECK_FALSE(MarketFeedCore::is_decision(Actor::market_feed, mark(1, 1, 1, 1)));  // a received message
  core.on_market_data(ns(t8 - 2'000), mark(t8 - 2'000, 6'000'000'000'000, 10'000, t8), out);
  core.on_market_data(ns(t8 - 1'000), mark(t8 - 1'000, 6'001'000'000'000, 12'000, t8), out);
  CHECK(out.size() == 2);  // before the funding time: the marks only
  out.clear();
  // The first mark naming the next funding time: the funding at t8, at the last rate and
  // mark announced for it, journaled before that mark.
  core.on_market_data(ns(t8 + 1'000), mark(t8 + 1'000, 6'002'000'000'000, 9'000, t8 + 28'800'000), out);
  REQUIRE(out.size() == 2);
  CHECK(std::get<Funding>(out[0].message) == Funding{perp, 12'000, t8, 6'001'000'000'000, FundingSource::mark_stream});
  CHECK(MarketFeedCore::is_decision(out[0].source, out[0].message));
  CHECK(std::holds_alternative<MarkPrice>(out[1].message));
  out.clear();
  // Later marks of the same period, and a late one naming the old time, decide nothing.
  core.on_market_data(ns(t8 + 2'000), mark(t8 + 2'000, 6'003'000'000'000, 9'500, t8 + 28'800'000), out);
  core.on_market_data(ns(t8 + 3'000), mark(t8 - 500, 6'001'500'000'000, 12'000, t8), out);
  CHECK(out.size() == 2);
  out.clear();
  // A snapshot keeps what was announced and what was paid: byte for byte, and the next
  // funding time is paid once, at the rate announced last (9'500, not the late 12'000).
  StateWriter w;
  core.core.save(w);
  MarketFeedCore restored(0);
  StateReader r(w.bytes());
  REQUIRE(restored.load(r).has_value());
  StateWriter again;
  restored.save(again);
  CHECK(again.bytes() == w.bytes());
  std::vector<FeedInput> next;
  restored.admit(ns(t8 + 28'801'000), mark(t8 + 28'801'000, 6'004'000'000'000, 8'000, t8 + 57'600'000), next);
  REQUIRE(next.size() == 2);
  CHECK(std::get<Funding>(next[0].message) ==
        Funding{perp, 9'500, t8 + 28'800'000, 6'003'000'000'000, FundingSource::mark_stream});
  // A journal without that funding (or with another rate) is not what the feed decides.
  MarketFeedCore checker(0);
  StateReader r2(w.bytes());
  REQUIRE(checker.load(r2).has_value());
  const FeedInput forged{Actor::market_feed, ns(t8 + 28'801'000),
                         Funding{perp, 9'000, t8 + 28'800'000, 6'003'000'000'000, FundingSource::mark_stream}};
  REQUIRE(checker.record(header_of(forged), forged.message));
  CHECK_FALSE(checker.record(header_of(next[1]), next[1].message).has_value());
}

TEST_CASE("market feed: a venue's marks and funding in a session marked from the book are not let in (counted twice)") {
  // futures.mark_price = "book_mid" with the schedule: the venue's own marks and funding
  // (a capture recorded with them) would mark and fund each perpetual a second time.
  Feed core{MarketFeedCore(0, 0, PerpetualFeed{true, 60'000, 10'000})};
  std::vector<FeedInput> out;
  const std::string perp = "XBTUSDTM@kucoin_futures";
  core.on_market_data(1'000'000, MarkPrice{perp, 6'000'000'000'000, MarkSource::venue, 1, 10'000, 60'000}, out);
  REQUIRE(out.size() == 2);
  CHECK(std::get<ErrorReport>(out[0].message).code == MarketFeedCore::kOtherMarkSource);
  CHECK(std::get<ErrorReport>(out[0].message).message.find("marked twice") != std::string::npos);
  CHECK(MarketFeedCore::is_decision(out[0].source, out[0].message));  // replay --verify re-decides it
  CHECK(out[1].destination == Actor::market_feed);                     // journaled, delivered to no one
  out.clear();
  core.on_market_data(2'000'000, Funding{perp, 10'000, 60'000, 6'000'000'000'000, FundingSource::venue}, out);
  REQUIRE(out.size() == 2);
  CHECK(std::get<ErrorReport>(out[0].message).message.find("funded twice") != std::string::npos);
  CHECK(core.refused == 2);
  // With the venue's marks (futures.mark_price = "venue") both are let in.
  Feed venue{MarketFeedCore(0, 0, PerpetualFeed{false, 60'000, 10'000})};
  out.clear();
  venue.on_market_data(1'000'000, MarkPrice{perp, 6'000'000'000'000, MarkSource::venue, 1, 10'000, 60'000}, out);
  venue.on_market_data(2'000'000, Funding{perp, 10'000, 60'000, 6'000'000'000'000, FundingSource::venue}, out);
  CHECK(out.size() == 2);
  CHECK(venue.refused == 0);
}

TEST_CASE("market feed: spot sessions keep their snapshot bytes (no perpetual state written)") {
  Feed core{MarketFeedCore(1000, 0, PerpetualFeed{true, 60'000, 10'000})};
  Feed plain{MarketFeedCore(1000)};
  std::vector<FeedInput> out;
  for (std::uint64_t i = 1; i <= 5; ++i) {
    core.on_market_data(static_cast<std::int64_t>(i) * 90'000'000'000, trade(i), out);
    plain.on_market_data(static_cast<std::int64_t>(i) * 90'000'000'000, trade(i), out);
  }
  StateWriter a, b;
  core.core.save(a);
  plain.core.save(b);
  CHECK(a.bytes() == b.bytes());
}
