#include "actors/market_feed/market_feed_core.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "messages/instrument.hpp"
#include "messages/message_json.hpp"
#include "messages/type_registry.hpp"

namespace trader {
namespace {

constexpr std::uint32_t kStateFormat = 1;

// The ids a message carries on its stream, if its stream has ids.
struct StreamIds {
  const std::string& symbol;
  const char* stream;
  std::uint64_t first, last;
  bool resync;  // a depth snapshot: raises the stream's position, never a gap or stale
  bool contiguous = true;  // each id is the last + 1; else they only rise (a skip is no gap)
};

// Book updates with id 0 are from a venue that numbers no book updates (Coinbase numbers
// its frames; the connection reports those gaps itself). KuCoin's trade ids (spot and
// futures) are the book's sequence at each match: they rise, and skip every book change
// between matches.
std::optional<StreamIds> ids_of(const Message& m) {
  if (const auto* t = std::get_if<Trade>(&m)) {
    const VenueId venue = venue_of(t->symbol);
    return StreamIds{t->symbol, "trade", t->trade_id, t->trade_id, false,
                     venue != VenueId::kucoin && venue != VenueId::kucoin_futures};
  }
  if (const auto* a = std::get_if<AggTrade>(&m))
    return StreamIds{a->symbol, "aggTrade", a->agg_trade_id, a->agg_trade_id, false};
  if (const auto* d = std::get_if<DepthUpdate>(&m); d && d->final_update_id != 0)
    return StreamIds{d->symbol, "depth", d->first_update_id, d->final_update_id, false};
  // A snapshot resynchronises a stream that broke, but never rewinds it: diffs received
  // before it may already reach past its lastUpdateId (as in the bundled BTCUSDT capture).
  if (const auto* s = std::get_if<DepthSnapshot>(&m); s && s->last_update_id != 0)
    return StreamIds{s->symbol, "depth", s->last_update_id, s->last_update_id, true};
  return std::nullopt;
}

// The streams whose gaps the core decides (ids_of); a gap on any other stream is one the
// source reported (a Coinbase connection's frame numbers), an input like a disconnect.
bool tracked_stream(std::string_view stream) { return stream == "trade" || stream == "aggTrade" || stream == "depth"; }

// Market data moves the clock; statuses and errors the shell made do not.
bool is_market_data(const Message& m) {
  return !std::holds_alternative<FeedStatus>(m) && !std::holds_alternative<ErrorReport>(m);
}

std::string describe(const std::vector<FeedInput>& group) {
  std::string s;
  for (const auto& in : group) {
    const TypeInfo* t = find_type(type_id_of(in.message));
    s += fmt::format("{}[{} -> {} at {}: {} {}]", s.empty() ? "" : ", ", actor_name(in.source),
                     actor_name(in.destination), in.recv_ts_ns, t ? t->name : "?", to_json(in.message));
  }
  return s;
}

// Market data moves the data-time clock; history klines (a warm-up) do not: a tick amid
// them would close the candles they are about to fill with flat ones.
bool moves_clock(const Message& m) {
  if (const auto* k = std::get_if<Kline>(&m)) return !k->history;
  return is_market_data(m);
}

}  // namespace

std::optional<ErrorReport> MarketFeedCore::implausible_time(const Message& message, std::int64_t recv_ts_ns) const {
  if (max_skew_ms_ <= 0) return std::nullopt;
  const std::int64_t recv_ms = recv_ts_ns / 1'000'000;
  auto off = [&](std::int64_t t) { return t < recv_ms - max_skew_ms_ || t > recv_ms + max_skew_ms_; };
  auto report = [&](const std::string& symbol, const char* what, std::int64_t t) {
    return ErrorReport{kImplausibleTime,
                       fmt::format("{} time {} ms is more than feed.max_time_skew_ms = {} from its receive time "
                                   "{} ms; not let in", what, t, max_skew_ms_, recv_ms),
                       symbol, 0, recv_ts_ns};
  };
  if (const auto* t = std::get_if<Trade>(&message); t && off(t->trade_ts_ms))
    return report(t->symbol, "trade", t->trade_ts_ms);
  if (const auto* a = std::get_if<AggTrade>(&message); a && off(a->trade_ts_ms))
    return report(a->symbol, "aggTrade", a->trade_ts_ms);
  // A kline's interval must reach the receive time: an open 1d kline's close is hours away.
  // A history kline (warm-up) is old by design; it must only be over by its receive time.
  if (const auto* k = std::get_if<Kline>(&message); k && k->history) {
    if (k->close_time_ms > recv_ms + max_skew_ms_) return report(k->symbol, "history kline close", k->close_time_ms);
  } else if (k && (k->open_time_ms > recv_ms + max_skew_ms_ || k->close_time_ms < recv_ms - max_skew_ms_)) {
    return report(k->symbol, "kline", k->open_time_ms > recv_ms ? k->open_time_ms : k->close_time_ms);
  }
  return std::nullopt;
}

std::optional<ErrorReport> MarketFeedCore::other_mark_source(const Message& message, std::int64_t recv_ts_ns) const {
  if (!perp_.mark_from_book) return std::nullopt;
  if (const auto* m = std::get_if<MarkPrice>(&message); m && m->source == MarkSource::venue)
    return ErrorReport{kOtherMarkSource,
                       fmt::format("the venue's mark of {}, in a session marked from the book (futures.mark_price = "
                                   "\"book_mid\"); not let in, or it would be marked twice (set \"venue\" to mark "
                                   "with the venue's)",
                                   m->symbol),
                       m->symbol, 0, recv_ts_ns};
  if (const auto* f = std::get_if<Funding>(&message); f && f->source == FundingSource::venue)
    return ErrorReport{kOtherMarkSource,
                       fmt::format("the venue's funding of {} at {}, in a session funded by the schedule "
                                   "(futures.mark_price = \"book_mid\"); not let in, or it would be funded twice (set "
                                   "\"venue\" to fund at the venue's)",
                                   f->symbol, f->funding_time_ms),
                       f->symbol, 0, recv_ts_ns};
  return std::nullopt;
}

namespace {
// The last funding time at or before `recv_ts_ns` (0 when funding is off).
std::int64_t funding_boundary_ms(const PerpetualFeed& p, std::int64_t recv_ts_ns) {
  if (p.funding_interval_ms <= 0) return 0;
  const std::int64_t ms = recv_ts_ns / 1'000'000;
  return ms - ms % p.funding_interval_ms;
}
}  // namespace

void MarketFeedCore::derive_perpetuals(std::int64_t recv_ts_ns, const Message& message,
                                       std::vector<FeedInput>& out) const {
  // Funding at each funding time crossed since the last, for every perpetual marked so far.
  if (const std::int64_t boundary = funding_boundary_ms(perp_, recv_ts_ns);
      boundary != 0 && last_funding_ms_ != 0 && boundary > last_funding_ms_ && moves_clock(message))
    for (std::int64_t t = last_funding_ms_ + perp_.funding_interval_ms; t <= boundary; t += perp_.funding_interval_ms)
      for (const auto& [symbol, mark] : mark_)
        out.push_back({Actor::market_feed, t * 1'000'000,
                       Funding{symbol, perp_.funding_rate, t, mark, FundingSource::schedule}});
}

void MarketFeedCore::admit(std::int64_t recv_ts_ns, Message message, std::vector<FeedInput>& out) const {
  if (tick_ns_ > 0 && moves_clock(message)) {
    const std::int64_t boundary = recv_ts_ns - recv_ts_ns % tick_ns_;
    if (last_tick_ns_ != 0 && boundary > last_tick_ns_)  // the clock starts with the data
      out.push_back({Actor::timer, boundary, ClockTick{boundary}});
  }
  derive_perpetuals(recv_ts_ns, message, out);
  auto quarantine = [&](ErrorReport why) {
    out.push_back({Actor::market_feed, recv_ts_ns, std::move(why)});
    out.push_back({Actor::market_feed, recv_ts_ns, std::move(message), Actor::market_feed});
  };
  if (const auto ids = ids_of(message); ids && !ids->resync) {
    if (auto it = last_id_.find({ids->symbol, ids->stream}); it != last_id_.end()) {
      if (ids->last <= it->second)
        return quarantine(ErrorReport{kStaleId,
                                      fmt::format("{} id {} is at or below the last one received ({}); not let in",
                                                  ids->stream, ids->last, it->second),
                                      ids->symbol, 0, recv_ts_ns});
      const std::uint64_t expected = it->second + 1;
      if (ids->contiguous && ids->first > expected)
        out.push_back({Actor::market_feed, recv_ts_ns,
                       FeedStatus{FeedStatusKind::gap, ids->symbol, ids->stream, expected, ids->first,
                                  std::to_string(ids->first - expected) + " id(s) missing", recv_ts_ns}});
    }
  }
  if (auto error = implausible_time(message, recv_ts_ns)) return quarantine(std::move(*error));
  if (auto error = other_mark_source(message, recv_ts_ns)) return quarantine(std::move(*error));
  // The mark of a perpetual whose best prices moved its mid, as the message is let in.
  if (const auto* b = std::get_if<BookTicker>(&message);
      b && perp_.mark_from_book && b->bid_price > 0 && b->ask_price > 0 && is_perpetual(b->symbol)) {
    const std::int64_t mid = static_cast<std::int64_t>((static_cast<__int128>(b->bid_price) + b->ask_price) / 2);
    if (const auto it = mark_.find(b->symbol); it == mark_.end() || it->second != mid)
      out.push_back({Actor::market_feed, recv_ts_ns, MarkPrice{b->symbol, mid, MarkSource::book_mid, b->exchange_ts_ms}});
  }
  // A venue mark that names a later funding time: the one announced before has passed.
  if (const auto* m = std::get_if<MarkPrice>(&message); m && m->source == MarkSource::venue && m->next_funding_time_ms > 0)
    if (const auto it = announced_.find(m->symbol); it != announced_.end()) {
      const AnnouncedFunding& a = it->second;
      if (a.time_ms > a.paid_ms && m->next_funding_time_ms > a.time_ms)
        out.push_back({Actor::market_feed, recv_ts_ns, Funding{m->symbol, a.rate, a.time_ms, a.mark, FundingSource::mark_stream}});
    }
  out.push_back({Actor::market_feed, recv_ts_ns, std::move(message)});
}

void MarketFeedCore::apply_decisions(const std::vector<FeedInput>& decisions) {
  for (const auto& in : decisions) {
    if (const auto* t = std::get_if<ClockTick>(&in.message); t && t->ts_ns > last_tick_ns_) last_tick_ns_ = t->ts_ns;
    if (const auto* m = std::get_if<MarkPrice>(&in.message)) {
      mark_[m->symbol] = m->price;
      // The first mark starts the funding clock: a position can be open from here on.
      if (last_funding_ms_ == 0) last_funding_ms_ = funding_boundary_ms(perp_, in.recv_ts_ns);
    }
    if (const auto* f = std::get_if<Funding>(&in.message); f && f->source == FundingSource::schedule &&
                                                           f->funding_time_ms > last_funding_ms_)
      last_funding_ms_ = f->funding_time_ms;
    if (const auto* f = std::get_if<Funding>(&in.message); f && f->source == FundingSource::mark_stream) {
      auto& paid = announced_[f->symbol].paid_ms;
      paid = std::max(paid, f->funding_time_ms);
    }
  }
}

void MarketFeedCore::apply(std::int64_t recv_ts_ns, const Message& message) {
  if (tick_ns_ > 0 && moves_clock(message)) {
    const std::int64_t boundary = recv_ts_ns - recv_ts_ns % tick_ns_;
    if (boundary > last_tick_ns_) last_tick_ns_ = boundary;
  }
  // The funding clock runs from the first mark on (apply_decisions starts it).
  if (const std::int64_t boundary = funding_boundary_ms(perp_, recv_ts_ns);
      last_funding_ms_ != 0 && boundary > last_funding_ms_ && moves_clock(message))
    last_funding_ms_ = boundary;
  // What a venue mark announces; a mark naming an earlier funding time (late) changes nothing.
  // (In a session marked from the book the venue's marks are not let in: they announce nothing.)
  if (const auto* m = std::get_if<MarkPrice>(&message);
      m && !perp_.mark_from_book && m->source == MarkSource::venue && m->next_funding_time_ms > 0)
    if (auto& a = announced_[m->symbol]; m->next_funding_time_ms >= a.time_ms) {
      a.rate = m->funding_rate;
      a.time_ms = m->next_funding_time_ms;
      a.mark = m->price;
    }
  // An id that arrived is not missing, even if the message was not let in.
  if (const auto ids = ids_of(message)) {
    auto [it, inserted] = last_id_.try_emplace({ids->symbol, ids->stream}, ids->last);
    if (!inserted && ids->last > it->second) it->second = ids->last;
  }
}

bool MarketFeedCore::is_decision(Actor source, const Message& message) {
  if (source == Actor::timer) return true;
  if (const auto* f = std::get_if<FeedStatus>(&message)) return f->kind == FeedStatusKind::gap && tracked_stream(f->stream);
  if (const auto* e = std::get_if<ErrorReport>(&message))
    return e->code == kStaleId || e->code == kImplausibleTime || e->code == kOtherMarkSource;
  // Derived for perpetuals; a venue's own marks and funding are received messages.
  if (const auto* m = std::get_if<MarkPrice>(&message)) return m->source == MarkSource::book_mid;
  if (const auto* f = std::get_if<Funding>(&message))
    return f->source == FundingSource::schedule || f->source == FundingSource::mark_stream;
  return false;
}

Status MarketFeedCore::record(const EnvelopeHeader& header, const Message& message) {
  FeedInput in{header.source, header.recv_ts_ns, message, header.destination};
  if (is_decision(in.source, in.message)) {
    pending_.push_back(std::move(in));
    return {};
  }
  // The group's received message: the decisions before it must be exactly the feed's.
  auto& expected = expected_;
  expected.clear();
  admit(in.recv_ts_ns, in.message, expected);
  const bool same = expected.size() == pending_.size() + 1 &&
                    std::equal(pending_.begin(), pending_.end(), expected.begin()) && expected.back() == in;
  if (!same && !trusting_) {
    pending_.push_back(std::move(in));
    auto error = fail(fmt::format("the feed decides {} where the journal holds {}", describe(expected), describe(pending_)));
    pending_.clear();
    return error;
  }
  apply_decisions(pending_);
  apply(in.recv_ts_ns, in.message);
  pending_.clear();
  return {};
}

void MarketFeedCore::settle() {
  // What a cut group journaled was delivered: its ticks, marks and funding stand.
  apply_decisions(pending_);
  pending_.clear();
}

void MarketFeedCore::save(StateWriter& w) const {
  w.u32(kStateFormat);
  w.i64(last_tick_ns_);
  w.u32(static_cast<std::uint32_t>(last_id_.size()));
  for (const auto& [key, id] : last_id_) {
    w.str(key.first);
    w.str(key.second);
    w.u64(id);
  }
  w.u32(static_cast<std::uint32_t>(pending_.size()));
  for (const auto& in : pending_) {
    w.u32(static_cast<std::uint32_t>(in.source));
    w.i64(in.recv_ts_ns);
    w.u32(static_cast<std::uint32_t>(in.destination));
    w.message(in.message);
  }
  // Last and only when used, so that spot sessions' snapshots keep their bytes.
  if (mark_.empty() && last_funding_ms_ == 0 && announced_.empty()) return;
  w.i64(last_funding_ms_);
  w.u32(static_cast<std::uint32_t>(mark_.size()));
  for (const auto& [symbol, mark] : mark_) {
    w.str(symbol);
    w.i64(mark);
  }
  if (announced_.empty()) return;
  w.u32(static_cast<std::uint32_t>(announced_.size()));
  for (const auto& [symbol, a] : announced_) {
    w.str(symbol);
    w.i64(a.rate);
    w.i64(a.time_ms);
    w.i64(a.mark);
    w.i64(a.paid_ms);
  }
}

Status MarketFeedCore::load(StateReader& r) {
  if (const auto format = r.u32(); r.ok() && format != kStateFormat)
    return fail(fmt::format("market_feed state format {} is not one this build reads ({})", format, kStateFormat));
  last_tick_ns_ = r.i64();
  last_id_.clear();
  for (auto n = r.count(); n > 0 && r.ok(); --n) {
    std::string symbol = r.str();
    std::string stream = r.str();
    last_id_[{std::move(symbol), std::move(stream)}] = r.u64();
  }
  pending_.clear();
  for (auto n = r.count(); n > 0 && r.ok(); --n) {
    FeedInput in{static_cast<Actor>(r.u32()), r.i64(), Message{}};
    in.destination = static_cast<Actor>(r.u32());
    in.message = r.message();
    pending_.push_back(std::move(in));
  }
  mark_.clear();
  last_funding_ms_ = 0;
  announced_.clear();
  if (r.ok() && !r.at_end()) {
    last_funding_ms_ = r.i64();
    for (auto n = r.count(); n > 0 && r.ok(); --n) {
      std::string symbol = r.str();
      mark_[std::move(symbol)] = r.i64();
    }
  }
  if (r.ok() && !r.at_end())
    for (auto n = r.count(); n > 0 && r.ok(); --n) {
      std::string symbol = r.str();
      AnnouncedFunding a;
      a.rate = r.i64();
      a.time_ms = r.i64();
      a.mark = r.i64();
      a.paid_ms = r.i64();
      announced_[std::move(symbol)] = a;
    }
  if (!r.ok()) return fail("market_feed state is truncated or corrupt");
  return {};
}

}  // namespace trader
