#include "actors/market_feed/market_feed_core.hpp"

#include <fmt/format.h>

namespace trader {

void MarketFeedCore::check(const std::string& symbol, const char* stream, std::uint64_t first, std::uint64_t last,
                           std::int64_t recv_ts_ns, std::vector<FeedInput>& out) {
  auto [it, inserted] = last_id_.try_emplace({symbol, stream}, last);
  if (inserted) return;
  const std::uint64_t expected = it->second + 1;
  if (first > expected) {
    ++gaps_;
    out.push_back({Actor::market_feed, recv_ts_ns,
                   FeedStatus{FeedStatusKind::gap, symbol, stream, expected, first,
                              std::to_string(first - expected) + " id(s) missing", recv_ts_ns}});
  }
  if (last > it->second) it->second = last;
}

std::optional<ErrorReport> MarketFeedCore::implausible_time(const Message& message, std::int64_t recv_ts_ns) const {
  if (max_skew_ms_ <= 0) return std::nullopt;
  const std::int64_t recv_ms = recv_ts_ns / 1'000'000;
  auto off = [&](std::int64_t t) { return t < recv_ms - max_skew_ms_ || t > recv_ms + max_skew_ms_; };
  auto report = [&](const std::string& symbol, const char* what, std::int64_t t) {
    return ErrorReport{"implausible_exchange_time",
                       fmt::format("{} time {} ms is more than feed.max_time_skew_ms = {} from its receive time "
                                   "{} ms; not let in", what, t, max_skew_ms_, recv_ms),
                       symbol, 0, recv_ts_ns};
  };
  if (const auto* t = std::get_if<Trade>(&message); t && off(t->trade_ts_ms))
    return report(t->symbol, "trade", t->trade_ts_ms);
  if (const auto* a = std::get_if<AggTrade>(&message); a && off(a->trade_ts_ms))
    return report(a->symbol, "aggTrade", a->trade_ts_ms);
  // A kline's interval must reach the receive time: an open 1d kline's close is hours away.
  if (const auto* k = std::get_if<Kline>(&message);
      k && (k->open_time_ms > recv_ms + max_skew_ms_ || k->close_time_ms < recv_ms - max_skew_ms_))
    return report(k->symbol, "kline", k->open_time_ms > recv_ms ? k->open_time_ms : k->close_time_ms);
  return std::nullopt;
}

void MarketFeedCore::on_market_data(std::int64_t recv_ts_ns, Message message, std::vector<FeedInput>& out) {
  if (tick_ns_ > 0) {
    const std::int64_t boundary = recv_ts_ns - recv_ts_ns % tick_ns_;
    if (last_tick_ns_ == 0) {
      last_tick_ns_ = boundary;  // the clock starts with the data
    } else if (boundary > last_tick_ns_) {
      last_tick_ns_ = boundary;
      out.push_back({Actor::timer, boundary, ClockTick{boundary}});
    }
  }
  if (const auto* t = std::get_if<Trade>(&message)) {
    check(t->symbol, "trade", t->trade_id, t->trade_id, recv_ts_ns, out);
  } else if (const auto* a = std::get_if<AggTrade>(&message)) {
    check(a->symbol, "aggTrade", a->agg_trade_id, a->agg_trade_id, recv_ts_ns, out);
  } else if (const auto* d = std::get_if<DepthUpdate>(&message)) {
    check(d->symbol, "depth", d->first_update_id, d->final_update_id, recv_ts_ns, out);
  } else if (const auto* s = std::get_if<DepthSnapshot>(&message)) {
    // A snapshot resynchronises a stream that broke, but never rewinds it: diffs received
    // before it may already reach past its lastUpdateId (as in the bundled BTCUSDT capture).
    auto [it, inserted] = last_id_.try_emplace({s->symbol, "depth"}, s->last_update_id);
    if (!inserted && s->last_update_id > it->second) it->second = s->last_update_id;
  }
  // After the id check: the id did arrive, so the next one is not a gap.
  if (auto error = implausible_time(message, recv_ts_ns)) {
    ++implausible_;
    out.push_back({Actor::market_feed, recv_ts_ns, std::move(*error)});
    return;
  }
  out.push_back({Actor::market_feed, recv_ts_ns, std::move(message)});
}

void MarketFeedCore::on_end(std::int64_t recv_ts_ns, const std::string& detail, std::vector<FeedInput>& out) {
  out.push_back({Actor::market_feed, recv_ts_ns, FeedStatus{FeedStatusKind::end_of_data, "", "", 0, 0, detail, recv_ts_ns}});
}

}  // namespace trader
