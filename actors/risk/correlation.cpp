#include "actors/risk/correlation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>

#include "base/int_sqrt.hpp"
#include "messages/fixed_point.hpp"

namespace trader {

std::int64_t candle_return_ppm(std::int64_t prev_close, std::int64_t close) {
  // Past +-100% counts as 100%: the sums stay in 128 bits. Clamped before it is narrowed: a
  // close a million times the last one would not fit in 64 bits.
  const __int128 r = static_cast<__int128>(close - prev_close) * kPpm / prev_close;
  return static_cast<std::int64_t>(std::clamp<__int128>(r, -kPpm, kPpm));
}

void ReturnHistory::add(const std::string& symbol, std::int64_t close_time_ms, std::int64_t close, std::uint32_t keep) {
  Series& s = series_[symbol];
  if (s.prev_close > 0 && close > 0) {
    s.returns.emplace_back(close_time_ms, candle_return_ppm(s.prev_close, close));
    while (s.returns.size() > keep) s.returns.pop_front();
  }
  if (close > 0) s.prev_close = close;
}

std::optional<std::int32_t> ReturnHistory::rho_ppm(const std::string& a, const std::string& b,
                                                   std::uint32_t window) const {
  const auto ia = series_.find(a), ib = series_.find(b);
  if (window < 2 || ia == series_.end() || ib == series_.end()) return std::nullopt;
  // The common close times, newest first, until the window is full.
  std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
  auto pa = ia->second.returns.rbegin(), pb = ib->second.returns.rbegin();
  while (pa != ia->second.returns.rend() && pb != ib->second.returns.rend() && pairs.size() < window) {
    if (pa->first == pb->first) {
      pairs.emplace_back(pa->second, pb->second);
      ++pa;
      ++pb;
    } else if (pa->first > pb->first) {
      ++pa;
    } else {
      ++pb;
    }
  }
  if (pairs.size() < window) return std::nullopt;
  __int128 sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (const auto& [x, y] : pairs) {
    sa += x;
    sb += y;
    saa += static_cast<__int128>(x) * x;
    sbb += static_cast<__int128>(y) * y;
    sab += static_cast<__int128>(x) * y;
  }
  const auto n = static_cast<__int128>(pairs.size());
  const __int128 cov = n * sab - sa * sb;
  const __int128 va = n * saa - sa * sa, vb = n * sbb - sb * sb;
  if (va <= 0 || vb <= 0) return std::nullopt;  // a symbol that did not move has no correlation
  const auto den = isqrt(static_cast<unsigned __int128>(va) * static_cast<unsigned __int128>(vb));
  if (den == 0) return std::nullopt;
  const __int128 rho = cov * kPpm / static_cast<__int128>(den);
  return static_cast<std::int32_t>(std::clamp<__int128>(rho, -kPpm, kPpm));
}

void ReturnHistory::save(StateWriter& w) const {
  w.u32(static_cast<std::uint32_t>(series_.size()));
  for (const auto& [symbol, s] : series_) {
    w.str(symbol);
    w.i64(s.prev_close);
    w.u32(static_cast<std::uint32_t>(s.returns.size()));
    for (const auto& [t, r] : s.returns) {
      w.i64(t);
      w.i64(r);
    }
  }
}

void ReturnHistory::load(StateReader& r) {
  series_.clear();
  for (auto n = r.count(); n > 0 && r.ok(); --n) {
    Series& s = series_[r.str()];
    s.prev_close = r.i64();
    for (auto m = r.count(); m > 0 && r.ok(); --m) {
      const auto t = r.i64();
      s.returns.emplace_back(t, r.i64());
    }
  }
}

CorrelationVerdict check_correlation(const CorrelationLimits& limits, const ReturnHistory& returns,
                                     const PortfolioState& book, const std::string& symbol) {
  CorrelationVerdict v;
  if (limits.window == 0) return v;
  std::int64_t largest = -1;
  std::uint32_t group = 1;  // the new position
  std::string list;
  for (const auto& p : book.positions) {  // in the book's order: by symbol
    if (p.symbol == symbol || p.qty <= 0) continue;
    const auto rho = returns.rho_ppm(symbol, p.symbol, limits.window);
    if (!rho) continue;
    const std::int64_t magnitude = std::abs(static_cast<std::int64_t>(*rho));
    largest = std::max(largest, magnitude);
    if (magnitude <= limits.max_ppm) continue;
    ++group;
    list += fmt::format("{}{} (rho {:.3f})", list.empty() ? "" : ", ", p.symbol, *rho / 1e6);
  }
  if (largest < 0) return v;  // no position held with a known correlation
  v.refused = group > limits.max_correlated;
  v.check = LimitCheck{RiskLimit::max_correlation, largest, limits.max_ppm, !v.refused};
  if (!list.empty())
    v.why = fmt::format("{} moves with {} over {} candles: {} position(s) in the group, at most {}", symbol, list,
                        limits.window, group, limits.max_correlated);
  return v;
}

}  // namespace trader
