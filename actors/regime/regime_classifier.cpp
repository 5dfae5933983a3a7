#include "actors/regime/regime_classifier.hpp"

#include <algorithm>

#include "actors/risk/correlation.hpp"
#include "base/int_sqrt.hpp"

namespace trader {
namespace {

struct Sums {
  __int128 n = 0, sum = 0, sum_sq = 0;
  // n * sum r^2 - (sum r)^2: n^2 times the (population) variance, never negative.
  __int128 spread() const { return n * sum_sq - sum * sum; }
};

Sums last(const std::deque<std::int64_t>& xs, std::size_t n) {
  Sums s;
  for (std::size_t i = xs.size() - n; i < xs.size(); ++i) {
    s.sum += xs[i];
    s.sum_sq += static_cast<__int128>(xs[i]) * xs[i];
  }
  s.n = static_cast<__int128>(n);
  return s;
}

void put128(StateWriter& w, __int128 v) {
  w.u64(static_cast<std::uint64_t>(static_cast<unsigned __int128>(v) >> 64));
  w.u64(static_cast<std::uint64_t>(v));
}
__int128 get128(StateReader& r) {
  const auto hi = r.u64(), lo = r.u64();
  return static_cast<__int128>((static_cast<unsigned __int128>(hi) << 64) | lo);
}

}  // namespace

std::uint32_t RegimeClassifier::warmup_candles() const {
  // One candle before the first return, then the windows, then the variances to rank among.
  return 1 + std::max(config_.trend_window, config_.vol_window + config_.vol_history);
}

std::optional<RegimeReading> RegimeClassifier::add(const Candle& c) {
  if (c.close <= 0) return std::nullopt;
  const bool had_close = prev_close_ > 0;
  const std::int64_t prev = prev_close_;
  prev_close_ = c.close;
  if (!had_close) return std::nullopt;
  returns_.push_back(candle_return_ppm(prev, c.close));
  while (returns_.size() > std::max(config_.trend_window, config_.vol_window)) returns_.pop_front();

  if (returns_.size() < config_.vol_window) return std::nullopt;
  const __int128 variance = last(returns_, config_.vol_window).spread();
  // The rank among the variances before this one; then this one joins them.
  const bool ranked = variances_.size() == config_.vol_history;
  std::uint32_t rank_ppm = 0;
  if (ranked) {
    const auto below = std::count_if(variances_.begin(), variances_.end(), [&](__int128 v) { return v < variance; });
    rank_ppm = static_cast<std::uint32_t>(static_cast<std::uint64_t>(below) * 1'000'000 / variances_.size());
  }
  variances_.push_back(variance);
  while (variances_.size() > config_.vol_history) variances_.pop_front();
  if (!ranked || returns_.size() < config_.trend_window) return std::nullopt;

  RegimeReading out;
  out.vol_rank_ppm = rank_ppm;
  out.volatility = rank_ppm >= config_.high_vol_ppm  ? VolatilityRegime::high
                   : rank_ppm <= config_.low_vol_ppm ? VolatilityRegime::low
                                                     : VolatilityRegime::normal;
  // The path y_0 = 0, y_k = r_1 + ... + r_k against x = 0..n. With Sxx = m sum x^2 -
  // (sum x)^2 and likewise Syy, Sxy (m = n + 1 points): t^2 = (m - 2) Sxy^2 / (Sxx Syy - Sxy^2).
  __int128 sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, y = 0;
  const std::size_t n = config_.trend_window;
  for (std::size_t x = 0; x <= n; ++x) {
    if (x > 0) y += returns_[returns_.size() - n + x - 1];
    const auto xi = static_cast<__int128>(x);
    sx += xi;
    sy += y;
    sxx += xi * xi;
    syy += y * y;
    sxy += xi * y;
  }
  const auto m = static_cast<__int128>(n + 1);
  const __int128 Sxx = m * sxx - sx * sx, Syy = m * syy - sy * sy, Sxy = m * sxy - sx * sy;
  const __int128 num = (m - 2) * Sxy * Sxy * 10'000, den = Sxx * Syy - Sxy * Sxy;
  const __int128 limit = static_cast<__int128>(config_.trend_t_centi) * config_.trend_t_centi;
  const bool trending = Sxy != 0 && (den == 0 || num >= limit * den);
  if (den == 0) out.trend_t_centi = Sxy == 0 ? 0 : (Sxy > 0 ? INT32_MAX : -INT32_MAX);
  else {
    const auto root = static_cast<std::int64_t>(std::min<unsigned __int128>(isqrt(static_cast<unsigned __int128>(num / den)), INT32_MAX));
    out.trend_t_centi = static_cast<std::int32_t>(Sxy > 0 ? root : -root);
  }
  out.trend = !trending ? TrendRegime::range : Sxy > 0 ? TrendRegime::up : TrendRegime::down;
  return out;
}

void RegimeClassifier::save(StateWriter& w) const {
  w.i64(prev_close_);
  w.u32(static_cast<std::uint32_t>(returns_.size()));
  for (auto r : returns_) w.i64(r);
  w.u32(static_cast<std::uint32_t>(variances_.size()));
  for (auto v : variances_) put128(w, v);
}

Status RegimeClassifier::load(StateReader& r) {
  prev_close_ = r.i64();
  returns_.clear();
  for (auto n = r.count(); n > 0 && r.ok(); --n) returns_.push_back(r.i64());
  variances_.clear();
  for (auto n = r.count(); n > 0 && r.ok(); --n) variances_.push_back(get128(r));
  if (!r.ok()) return fail("regime state is truncated or corrupt");
  return {};
}

}  // namespace trader
