#include "exchange/sim/sim_klines.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "exchange/binance/frame_parser.hpp"
#include "messages/fixed_point.hpp"

namespace trader::sim {

namespace {

bool read_ms(const Params& p, const char* key, std::int64_t& out) {
  const auto it = p.find(key);
  if (it == p.end()) return true;  // optional
  const auto& s = it->second;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

void SimKlines::add(const Kline& k) {
  auto& list = by_symbol_[k.symbol];
  if (!list.empty() && (k.open_time_ms <= list.back().open_time_ms || k.interval_s != list.back().interval_s)) return;
  list.push_back(k);
}

void SimKlines::add_trade(const Trade& t) {
  constexpr std::int64_t kMinute = 60'000;
  if (t.price <= 0 || t.qty <= 0) return;
  auto& list = rolled_[t.symbol];
  const std::int64_t open_ms = t.trade_ts_ms - t.trade_ts_ms % kMinute;
  if (!list.empty() && open_ms < list.back().open_time_ms) return;  // out of order: not the capture's to reorder
  const std::int64_t quote = static_cast<std::int64_t>(static_cast<__int128>(t.price) * t.qty / 100'000'000);
  if (list.empty() || open_ms > list.back().open_time_ms) {
    Kline k;
    k.symbol = t.symbol;
    k.interval_s = 60;
    k.open_time_ms = open_ms;
    k.close_time_ms = open_ms + kMinute - 1;
    k.open = k.high = k.low = t.price;
    k.closed = true;
    list.push_back(k);
  }
  Kline& k = list.back();
  k.high = std::max(k.high, t.price);
  k.low = std::min(k.low, t.price);
  k.close = t.price;
  k.volume += t.qty;
  k.quote_volume += quote;
  ++k.trades;
  if (!t.buyer_maker) {  // the buyer took the offer
    k.taker_buy_volume += t.qty;
    k.taker_buy_quote_volume += quote;
  }
}

void SimKlines::finish_trades() {
  for (auto& [symbol, list] : rolled_)
    if (!by_symbol_.count(symbol)) by_symbol_[symbol] = std::move(list);
  rolled_.clear();
}

std::size_t SimKlines::size() const {
  std::size_t n = 0;
  for (const auto& [symbol, list] : by_symbol_) n += list.size();
  return n;
}

VenueResult<std::string> SimKlines::answer(const Params& p, bool known, std::int64_t now_ms, std::int64_t offset_ms) const {
  const auto symbol = p.find("symbol");
  const auto interval = p.find("interval");
  if (symbol == p.end() || interval == p.end())
    return tl::unexpected(VenueError{400, -1102, "Mandatory parameter 'symbol' or 'interval' was not sent."});
  std::int64_t start = std::numeric_limits<std::int64_t>::min(), end = std::numeric_limits<std::int64_t>::max(), limit = 500;
  if (!read_ms(p, "startTime", start) || !read_ms(p, "endTime", end) || !read_ms(p, "limit", limit))
    return tl::unexpected(VenueError{400, -1100, "Illegal characters found in a parameter."});
  if (limit < 1 || limit > 1000) return tl::unexpected(VenueError{400, -1130, "Invalid data sent for a parameter."});
  const auto it = by_symbol_.find(symbol->second);
  if (it == by_symbol_.end()) {
    if (!known) return tl::unexpected(VenueError{400, -1121, "Invalid symbol."});
    return std::string("[]");
  }
  if (binance::interval_seconds(interval->second) != it->second.front().interval_s)
    return tl::unexpected(VenueError{400, -1120, "Invalid interval."});
  std::string out = "[";
  std::int64_t n = 0;
  // The first whose venue open time reaches the start.
  auto k = std::lower_bound(it->second.begin(), it->second.end(), start,
                            [offset_ms](const Kline& x, std::int64_t t) { return x.open_time_ms + offset_ms < t; });
  for (; k != it->second.end() && n < limit; ++k) {
    const std::int64_t open = k->open_time_ms + offset_ms, close = k->close_time_ms + offset_ms;
    if (open > end || close >= now_ms) break;  // beyond the asked span, or not over yet
    out += fmt::format(R"({}[{},"{}","{}","{}","{}","{}",{},"{}",{},"{}","{}","0"])", n == 0 ? "" : ",", open,
                       format_fixed(k->open), format_fixed(k->high), format_fixed(k->low), format_fixed(k->close),
                       format_fixed(k->volume), close, format_fixed(k->quote_volume), k->trades,
                       format_fixed(k->taker_buy_volume), format_fixed(k->taker_buy_quote_volume));
    ++n;
  }
  return out + "]";
}

}  // namespace trader::sim
