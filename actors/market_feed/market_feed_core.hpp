#pragma once
// market_feed: the ingress core. Every message from a venue (live stream or capture)
// passes through it before it is journaled. It decides three things:
//  - the data-time clock: before a market-data message whose receive time crosses a tick
//    boundary, one ClockTick (source timer) at the latest crossed boundary;
//  - continuity per symbol and stream (trade ids, aggTrade ids, depth update ids, U =
//    previous u + 1): a break is a FeedStatus gap (expected id, received id) ahead of the
//    message; an id at or below the last one received (a resent trade, a stale depth
//    diff) is not let in (`stale_id`). KuCoin's trade ids rise but skip by design (they
//    are book sequences), so only their order is checked;
//  - perpetuals (feed.perpetuals): where the data carries no mark price, a MarkPrice
//    (book_mid) before each admitted best bid/ask of a perpetual whose mid moved; where it
//    carries no funding, a Funding (schedule) for every marked perpetual at each funding
//    time the data-time clock crosses (multiples of the interval since the epoch, UTC),
//    at the rate configured and the mark then; where the venue's marks announce funding
//    (USDⓈ-M markPrice: rate r for the next funding time T), a Funding (mark_stream) when
//    a mark names a later funding time than the one announced before: at that time, at
//    the last rate and mark announced for it;
//  - plausibility: a trade, aggTrade or kline whose exchange time is further than
//    `max_time_skew_ms` from its receive time is not let in (`implausible_exchange_time`).
//    A garbled time (seconds for milliseconds, a far-future year) would otherwise open
//    candles years away and make every later trade late. A history kline (what a live
//    session's warm-up fetched, Kline.history) is old by design: it must only be closed
//    by its receive time, and it moves no clock.
//
// Its decisions are journaled together with what they were made on, so replay re-derives
// them. Each received message ends a *group* of records: maybe a tick, maybe a gap report,
// maybe the error saying why it is not let in, and then the message itself, let in
// (destination none: to its subscribers) or quarantined (destination market_feed:
// journaled for audit, delivered to no one).
//
// admit() decides a group and changes nothing. record() takes every record the feed
// journals, in journal order; at the end of each group it checks that the group is
// exactly what admit() decides from the state before it, and only then applies it. The
// node, what-if, verify and recovery all pass the feed's records through record(), so the
// state is always the journal's: snapshots hold it, a resumed live feed reports the gap
// since the crash, and `replay --verify` re-checks every tick, gap and refusal.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/actor_core.hpp"
#include "messages/message_types.hpp"

namespace trader {

// What the feed derives for perpetuals when the data does not carry it.
struct PerpetualFeed {
  bool mark_from_book = false;         // MarkPrice = (best bid + best ask) / 2, toward zero
  std::int64_t funding_interval_ms = 0;  // 0: no scheduled funding
  std::int64_t funding_rate = 0;       // fixed point; positive: longs pay shorts
};

struct FeedInput {  // one record the feed puts into the journal
  Actor source;     // market_feed, or timer for ticks
  std::int64_t recv_ts_ns;
  Message message;
  Actor destination = Actor::none;  // market_feed: quarantined (delivered to no one)
  bool operator==(const FeedInput&) const = default;
};

// A journaled record the feed wrote (received messages and its own decisions).
inline bool from_feed(Actor source) { return source == Actor::market_feed || source == Actor::timer; }

class MarketFeedCore final : public ActorCore {
 public:
  // The codes of the errors that say why a message was not let in.
  static constexpr const char* kStaleId = "stale_id";
  static constexpr const char* kImplausibleTime = "implausible_exchange_time";
  // A venue's mark or funding in a session that marks perpetuals from the book and funds
  // them by the schedule (futures.mark_price = "book_mid"): let in, each would be marked,
  // and funded, a second time.
  static constexpr const char* kOtherMarkSource = "mark_source_mismatch";

  // max_time_skew_ms = 0: exchange times are not checked.
  explicit MarketFeedCore(std::int64_t tick_ms, std::int64_t max_time_skew_ms = 0, PerpetualFeed perpetuals = {})
      : tick_ns_(tick_ms * 1'000'000), max_skew_ms_(max_time_skew_ms), perp_(perpetuals) {}

  Actor id() const override { return Actor::market_feed; }
  // Nothing is routed to the feed: its inputs come from outside, through admit().
  void on(const Delivery&, Outbox&) override {}
  void save(StateWriter& w) const override;
  Status load(StateReader& r) override;

  // Appends the group one received message makes (see above), in journal order. The
  // message may be market data, or a status or error the shell made (connected,
  // malformed_frame, end of data...), which passes as it is.
  void admit(std::int64_t recv_ts_ns, Message message, std::vector<FeedInput>& out) const;

  // One journaled record of the feed's (from_feed(header.source)), in journal order. An
  // error means the journal holds what the feed would not have written there.
  Status record(const EnvelopeHeader& header, const Message& message);

  // Whether a journaled record is one of the feed's own decisions (a tick, a gap in ids it
  // tracks, why a message was refused): part of a group, not its end.
  static bool is_decision(Actor source, const Message& message);

  // A group is under way: its received message is not journaled yet.
  bool group_open() const { return !pending_.empty(); }
  std::size_t group_size() const { return pending_.size(); }

  // A live feed resumes after a crash that cut a group short. The message is gone; a tick
  // it caused stands (the next one is later), a gap it reported is reported again, wider.
  void settle();

  // The state is not known (a snapshot from a build that did not keep it): records are
  // applied from here on, not checked.
  void trust() { trusting_ = true; }

 private:
  void apply(std::int64_t recv_ts_ns, const Message& message);
  // The marks and funding times of journaled decisions (a group's, or a cut group's).
  void apply_decisions(const std::vector<FeedInput>& decisions);
  void derive_perpetuals(std::int64_t recv_ts_ns, const Message& message, std::vector<FeedInput>& out) const;
  std::optional<ErrorReport> implausible_time(const Message& message, std::int64_t recv_ts_ns) const;
  std::optional<ErrorReport> other_mark_source(const Message& message, std::int64_t recv_ts_ns) const;

  std::int64_t tick_ns_;
  std::int64_t max_skew_ms_;
  // State (snapshotted): the last tick, the last id per (symbol, stream), the open group.
  std::int64_t last_tick_ns_ = 0;
  std::map<std::pair<std::string, std::string>, std::uint64_t> last_id_;
  std::vector<FeedInput> pending_;
  bool trusting_ = false;
  std::vector<FeedInput> expected_;  // not state: record()'s scratch, kept for its capacity
  PerpetualFeed perp_;
  // Perpetuals (snapshotted only when used): the last mark per symbol, the last funding
  // time the clock passed.
  std::map<std::string, std::int64_t> mark_;
  std::int64_t last_funding_ms_ = 0;
  // Funding the venue's marks announce (snapshotted only when used), per symbol: the last
  // rate, funding time and mark announced, and the last funding time the feed decided.
  struct AnnouncedFunding {
    std::int64_t rate = 0, time_ms = 0, mark = 0, paid_ms = 0;
  };
  std::map<std::string, AnnouncedFunding> announced_;
};

}  // namespace trader
