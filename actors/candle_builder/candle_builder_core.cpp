#include "actors/candle_builder/candle_builder_core.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "messages/fixed_point.hpp"

namespace trader {

CandleBuilderCore::CandleBuilderCore(CandleBuilderConfig config) : config_(std::move(config)) {
  std::sort(config_.intervals_s.begin(), config_.intervals_s.end());
}

void CandleBuilderCore::emit(const std::string& symbol, std::uint32_t interval_s, Bucket& b, Outbox& out) {
  const std::int64_t len_ms = std::int64_t{interval_s} * 1000;
  Candle c;
  c.symbol = symbol;
  c.interval_s = interval_s;
  c.open_time_ms = b.open_time_ms;
  c.close_time_ms = b.open_time_ms + len_ms - 1;
  if (b.has_data) {
    c.open = b.open;
    c.high = b.high;
    c.low = b.low;
    c.close = b.close;
    c.volume = b.volume;
    c.quote_volume = b.quote_known ? b.quote_volume : 0;
    c.trades = b.trades;
    c.from_exchange = b.from_exchange;
    // The volume-weighted price, or the typical price where the quote volume is unknown or
    // the two volumes (an exchange's kline's, garbled) give a price past 64 bits.
    const auto vwap = b.quote_known && b.volume > 0 && b.quote_volume > 0
                          ? narrow_checked(static_cast<__int128>(b.quote_volume) * kFixedScale / b.volume)
                          : std::nullopt;
    c.vwap = vwap ? *vwap : static_cast<std::int64_t>((static_cast<__int128>(b.high) + b.low + b.close) / 3);
    b.last_close = b.close;
  } else {  // flat candle for an interval without trades
    c.open = c.high = c.low = c.close = c.vwap = b.last_close;
    c.from_exchange = b.from_exchange;
  }
  out.push_back({Actor::none, std::move(c)});
  b.open_time_ms += len_ms;
  b.has_data = false;
  b.volume = b.quote_volume = 0;
  b.trades = 0;
  b.quote_known = true;
}

void CandleBuilderCore::close_until(const std::string& symbol, std::uint32_t interval_s, Bucket& b,
                                    std::int64_t now_ms, const Delivery& in, Outbox& out) {
  if (!b.started) return;
  const std::int64_t len_ms = std::int64_t{interval_s} * 1000;
  if (b.has_data && b.open_time_ms + len_ms <= now_ms) emit(symbol, interval_s, b, out);
  const std::int64_t empty = now_ms >= b.open_time_ms + len_ms ? (now_ms - b.open_time_ms) / len_ms : 0;
  if (empty > config_.max_flat_candles) {
    const std::int64_t resume_ms = b.open_time_ms + empty * len_ms;
    out.push_back({Actor::none, ErrorReport{"candle_gap",
                                            fmt::format("{}s candles: no data from {} to {} ms ({} intervals, more than "
                                                        "candles.max_flat_candles = {}); no flat candles for them",
                                                        interval_s, b.open_time_ms, resume_ms, empty,
                                                        config_.max_flat_candles),
                                            symbol, in.seq, in.recv_ts_ns}});
    b.open_time_ms = resume_ms;
    return;
  }
  while (b.open_time_ms + len_ms <= now_ms) emit(symbol, interval_s, b, out);
}

void CandleBuilderCore::add(const std::string& symbol, std::uint32_t interval_s, Bucket& b, const Piece& p,
                            const Delivery& in, Outbox& out) {
  const std::int64_t len_ms = std::int64_t{interval_s} * 1000;
  const std::int64_t start = p.time_ms - (((p.time_ms % len_ms) + len_ms) % len_ms);
  if (!b.started) {
    b.started = true;
    b.open_time_ms = start;
  }
  close_until(symbol, interval_s, b, start, in, out);
  // Volumes of low-priced coins reach 1e12+ units a minute at 1e-8: a sum that would wrap
  // is refused whole, with an error, and never reaches a candle.
  const auto volume = add_checked(b.volume, p.volume);
  const auto quote_volume = add_checked(b.quote_volume, p.quote_volume);
  const auto trades = add_checked(static_cast<std::int64_t>(b.trades), static_cast<std::int64_t>(p.trades));
  if (!volume || !quote_volume || !trades) {
    out.push_back({Actor::none, ErrorReport{"arithmetic_overflow",
                                            "the " + std::to_string(interval_s) + "s candle's volume at " +
                                                std::to_string(b.open_time_ms) +
                                                " overflows 64-bit fixed point; this print is not added",
                                            symbol, in.seq, in.recv_ts_ns}});
    return;
  }
  if (!b.has_data) {
    b.has_data = true;
    b.open = p.open;
    b.high = p.high;
    b.low = p.low;
    b.from_exchange = p.from_exchange;
  } else {
    b.high = std::max(b.high, p.high);
    b.low = std::min(b.low, p.low);
  }
  b.close = p.close;
  b.volume = *volume;
  b.quote_volume = *quote_volume;
  b.quote_known = b.quote_known && p.quote_known;
  b.trades = static_cast<decltype(b.trades)>(*trades);
}

// Data older than what is already published cannot be added without rewriting history.
bool CandleBuilderCore::late(const std::string& symbol, const char* what, std::int64_t time_ms, const Delivery& in,
                             Outbox& out) const {
  const auto per_interval = buckets_.find(symbol);
  if (per_interval == buckets_.end()) return false;
  for (const auto& [iv, b] : per_interval->second) {
    if (!b.started || time_ms >= b.open_time_ms) continue;
    out.push_back({Actor::none, ErrorReport{fmt::format("late_{}", what),
                                            fmt::format("{} time {} is before the open candle ({}s at {}); not added",
                                                        what, time_ms, iv, b.open_time_ms),
                                            symbol, in.seq, in.recv_ts_ns}});
    return true;
  }
  return false;
}

void CandleBuilderCore::on_trade(const std::string& symbol, std::int64_t price, std::int64_t qty,
                                 std::int64_t trade_ts_ms, const Delivery& in, Outbox& out) {
  auto& per_interval = buckets_[symbol];
  if (late(symbol, "trade", trade_ts_ms, in, out)) return;
  const auto quote = mul_fixed_checked(price, qty);
  if (!quote) {
    out.push_back({Actor::none, ErrorReport{"arithmetic_overflow",
                                            "trade value " + format_fixed(price) + " x " + format_fixed(qty) +
                                                " overflows 64-bit fixed point; not added",
                                            symbol, in.seq, in.recv_ts_ns}});
    return;
  }
  const Piece p{trade_ts_ms, price, price, price, price, qty, *quote, 1, false, true};
  for (std::uint32_t iv : config_.intervals_s) add(symbol, iv, per_interval[iv], p, in, out);
}

void CandleBuilderCore::on_kline(const Kline& k, const Delivery& in, Outbox& out) {
  if (!k.closed || k.interval_s == 0) return;
  if (late(k.symbol, "kline", k.open_time_ms, in, out)) return;  // e.g. history a resumed session already has
  const Piece p{k.open_time_ms, k.open, k.high, k.low, k.close, k.volume, k.quote_volume, k.trades, true,
                k.quote_volume != 0 || k.volume == 0};
  auto& per_interval = buckets_[k.symbol];
  const std::int64_t kline_end_ms = k.open_time_ms + std::int64_t{k.interval_s} * 1000;
  const std::size_t first = out.size();
  for (std::uint32_t iv : config_.intervals_s) {
    if (iv < k.interval_s || iv % k.interval_s != 0) continue;
    Bucket& b = per_interval[iv];
    add(k.symbol, iv, b, p, in, out);
    close_until(k.symbol, iv, b, kline_end_ms, in, out);  // the last kline of the interval closes it
  }
  if (k.history)  // what a history kline closes is history too
    for (std::size_t i = first; i < out.size(); ++i)
      if (auto* c = std::get_if<Candle>(&out[i].message)) c->history = true;
}

void CandleBuilderCore::on(const Delivery& in, Outbox& out) {
  if (const auto* t = std::get_if<Trade>(&in.message)) {
    if (!config_.use_agg_trades) on_trade(t->symbol, t->price, t->qty, t->trade_ts_ms, in, out);
  } else if (const auto* a = std::get_if<AggTrade>(&in.message)) {
    if (config_.use_agg_trades) on_trade(a->symbol, a->price, a->qty, a->trade_ts_ms, in, out);
  } else if (const auto* k = std::get_if<Kline>(&in.message)) {
    on_kline(*k, in, out);
  } else if (const auto* tick = std::get_if<ClockTick>(&in.message)) {
    const std::int64_t now_ms = tick->ts_ns / 1'000'000 - config_.close_grace_ms;
    for (auto& [symbol, per_interval] : buckets_)
      for (auto& [iv, b] : per_interval) close_until(symbol, iv, b, now_ms, in, out);
  }
}

Quiet CandleBuilderCore::quiet() const {
  // A tick at t closes an interval when t / 1e6 - close_grace_ms reaches its end (on()).
  std::int64_t first_end_ms = std::numeric_limits<std::int64_t>::max();
  for (const auto& [symbol, per_interval] : buckets_)
    for (const auto& [iv, b] : per_interval)
      if (b.started) first_end_ms = std::min(first_end_ms, b.open_time_ms + std::int64_t{iv} * 1000);
  const auto before_ms = narrow_checked(static_cast<__int128>(first_end_ms) + config_.close_grace_ms);
  const auto before_ns = before_ms ? narrow_checked(static_cast<__int128>(*before_ms) * 1'000'000) : before_ms;
  const std::uint64_t answers = type_bit(Trade::kTypeId) | type_bit(AggTrade::kTypeId) | type_bit(Kline::kTypeId) |
                                type_bit(ClockTick::kTypeId);
  // Beyond 64 bits (nothing started): no tick closes anything.
  return {kAllTypes & ~answers, before_ns ? *before_ns : std::numeric_limits<std::int64_t>::max()};
}

std::optional<std::int64_t> CandleBuilderCore::history_resume_ms(const std::string& symbol) const {
  const auto per_interval = buckets_.find(symbol);
  if (per_interval == buckets_.end()) return std::nullopt;
  std::optional<std::int64_t> resume;
  for (const auto& [iv, b] : per_interval->second) {
    if (!b.started) continue;
    const bool shortest = iv == config_.intervals_s.front();
    const std::int64_t t = b.open_time_ms + (shortest && b.has_data ? std::int64_t{iv} * 1000 : 0);
    resume = std::max(resume.value_or(t), t);
  }
  return resume;
}

void CandleBuilderCore::save(StateWriter& w) const {
  w.u32(static_cast<std::uint32_t>(buckets_.size()));
  for (const auto& [symbol, per_interval] : buckets_) {
    w.str(symbol);
    w.u32(static_cast<std::uint32_t>(per_interval.size()));
    for (const auto& [iv, b] : per_interval) {
      w.u32(iv);
      w.i64(b.open_time_ms);
      w.boolean(b.has_data);
      w.boolean(b.started);
      for (auto v : {b.open, b.high, b.low, b.close, b.volume, b.quote_volume}) w.i64(v);
      w.u64(b.trades);
      w.boolean(b.from_exchange);
      w.boolean(b.quote_known);
      w.i64(b.last_close);
    }
  }
}

Status CandleBuilderCore::load(StateReader& r) {
  buckets_.clear();
  for (auto n = r.count(); n > 0 && r.ok(); --n) {
    auto& per_interval = buckets_[r.str()];
    for (auto m = r.count(); m > 0 && r.ok(); --m) {
      Bucket& b = per_interval[r.u32()];
      b.open_time_ms = r.i64();
      b.has_data = r.boolean();
      b.started = r.boolean();
      for (auto* v : {&b.open, &b.high, &b.low, &b.close, &b.volume, &b.quote_volume}) *v = r.i64();
      b.trades = r.u64();
      b.from_exchange = r.boolean();
      b.quote_known = r.boolean();
      b.last_close = r.i64();
    }
  }
  if (!r.ok()) return fail("candle_builder snapshot is truncated or corrupt");
  return {};
}

}  // namespace trader
