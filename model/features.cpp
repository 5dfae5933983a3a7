#include "model/features.hpp"

#include <cmath>

#include "messages/fixed_point.hpp"

namespace trader::model {
namespace {
constexpr double kPi = 3.14159265358979323846;

double stdev_last(const std::deque<double>& xs, std::size_t n) {
  const std::size_t k = std::min(n, xs.size());
  if (k < 2) return 0;
  double mean = 0;
  for (std::size_t i = xs.size() - k; i < xs.size(); ++i) mean += xs[i];
  mean /= static_cast<double>(k);
  double var = 0;
  for (std::size_t i = xs.size() - k; i < xs.size(); ++i) var += (xs[i] - mean) * (xs[i] - mean);
  return std::sqrt(var / static_cast<double>(k));
}

void save_deque(StateWriter& w, const std::deque<double>& d) {
  w.u32(static_cast<std::uint32_t>(d.size()));
  for (double x : d) w.f64(x);
}
void load_deque(StateReader& r, std::deque<double>& d) {
  d.clear();
  for (auto n = r.count(); n > 0 && r.ok(); --n) d.push_back(r.f64());
}
}  // namespace

const std::array<std::string_view, kFeatureCount>& feature_names() {
  static const std::array<std::string_view, kFeatureCount> names = {
      "ret_1", "ret_5",       "ret_15",    "ret_60",       "vol_15",    "vol_60",    "rsi_14",  "macd",
      "macd_signal", "macd_hist", "volume_ratio", "vwap_dist", "range_pct", "hour_sin", "hour_cos"};
  return names;
}

std::optional<FeatureRow> FeatureBuilder::add(const Candle& c) {
  const double close = static_cast<double>(c.close) / static_cast<double>(kFixedScale);
  const double volume = static_cast<double>(c.volume) / static_cast<double>(kFixedScale);
  const double price = static_cast<double>(c.vwap > 0 ? c.vwap : c.close) / static_cast<double>(kFixedScale);
  if (candles_ == 0) {
    ema12_ = ema26_ = close;
  } else {
    const double prev = closes_.back();
    const double ret = prev > 0 ? close / prev - 1.0 : 0.0;
    returns_.push_back(ret);
    if (returns_.size() > 60) returns_.pop_front();
    const double change = close - prev;
    const double gain = change > 0 ? change : 0, loss = change < 0 ? -change : 0;
    if (candles_ <= 14) {  // simple average to seed Wilder's smoothing
      avg_gain_ += gain / 14.0;
      avg_loss_ += loss / 14.0;
    } else {
      avg_gain_ = (avg_gain_ * 13.0 + gain) / 14.0;
      avg_loss_ = (avg_loss_ * 13.0 + loss) / 14.0;
    }
    ema12_ += (2.0 / 13.0) * (close - ema12_);
    ema26_ += (2.0 / 27.0) * (close - ema26_);
  }
  const double macd = close > 0 ? (ema12_ - ema26_) / close : 0.0;
  macd_signal_ = candles_ == 0 ? macd : macd_signal_ + 0.2 * (macd - macd_signal_);
  closes_.push_back(close);
  if (closes_.size() > 61) closes_.pop_front();
  volumes_.push_back(volume);
  pv_.push_back(price * volume);
  if (volumes_.size() > 60) {
    volumes_.pop_front();
    pv_.pop_front();
  }
  ++candles_;
  if (candles_ < kWarmup) return std::nullopt;

  auto ret_n = [&](std::size_t n) {
    const double then = closes_[closes_.size() - 1 - n];
    return then > 0 ? close / then - 1.0 : 0.0;
  };
  double vol_sum = 0, pv_sum = 0;
  for (std::size_t i = 0; i < volumes_.size(); ++i) {
    vol_sum += volumes_[i];
    pv_sum += pv_[i];
  }
  const double mean_volume = vol_sum / static_cast<double>(volumes_.size());
  const double rs_den = avg_gain_ + avg_loss_;
  const double hour = static_cast<double>(((c.close_time_ms + 1) % 86'400'000 + 86'400'000) % 86'400'000) / 3'600'000.0;
  const double macd_hist = macd - macd_signal_;
  FeatureRow f = {
      static_cast<float>(ret_n(1)),
      static_cast<float>(ret_n(5)),
      static_cast<float>(ret_n(15)),
      static_cast<float>(ret_n(60)),
      static_cast<float>(stdev_last(returns_, 15)),
      static_cast<float>(stdev_last(returns_, 60)),
      static_cast<float>(rs_den > 0 ? avg_gain_ / rs_den : 0.5),
      static_cast<float>(macd),
      static_cast<float>(macd_signal_),
      static_cast<float>(macd_hist),
      static_cast<float>(mean_volume > 0 ? volume / mean_volume : 1.0),
      static_cast<float>(vol_sum > 0 && pv_sum > 0 ? close / (pv_sum / vol_sum) - 1.0 : 0.0),
      static_cast<float>(close > 0 ? static_cast<double>(c.high - c.low) / static_cast<double>(kFixedScale) / close : 0.0),
      static_cast<float>(std::sin(2 * kPi * hour / 24.0)),
      static_cast<float>(std::cos(2 * kPi * hour / 24.0)),
  };
  return f;
}

void FeatureBuilder::save(StateWriter& w) const {
  w.u64(candles_);
  save_deque(w, closes_);
  save_deque(w, returns_);
  save_deque(w, volumes_);
  save_deque(w, pv_);
  for (double x : {ema12_, ema26_, macd_signal_, avg_gain_, avg_loss_}) w.f64(x);
}

Status FeatureBuilder::load(StateReader& r) {
  candles_ = r.u64();
  load_deque(r, closes_);
  load_deque(r, returns_);
  load_deque(r, volumes_);
  load_deque(r, pv_);
  for (double* x : {&ema12_, &ema26_, &macd_signal_, &avg_gain_, &avg_loss_}) *x = r.f64();
  if (!r.ok()) return fail("feature state is truncated or corrupt");
  return {};
}

}  // namespace trader::model
