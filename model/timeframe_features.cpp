#include "model/timeframe_features.hpp"

#include <algorithm>

namespace trader::model {

std::vector<FeatureColumn> default_columns(std::uint32_t interval_s) {
  std::vector<FeatureColumn> out;
  for (std::size_t i = 0; i < kFeatureCount; ++i) out.push_back({interval_s, i, std::string(feature_names()[i])});
  return out;
}

std::vector<FeatureColumn> columns_or_default(std::uint32_t base_interval_s, const std::vector<FeatureColumn>& configured) {
  return configured.empty() ? default_columns(base_interval_s) : configured;
}

std::vector<std::uint32_t> column_intervals(std::uint32_t base_interval_s, const std::vector<FeatureColumn>& columns) {
  std::vector<std::uint32_t> out{base_interval_s};
  for (const auto& c : columns) out.push_back(c.interval_s);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::uint32_t warmup_candles(std::uint32_t base_interval_s, const std::vector<FeatureColumn>& columns) {
  std::uint64_t most = kWarmup;
  for (const auto interval : column_intervals(base_interval_s, columns)) {
    if (interval == base_interval_s) continue;
    const std::uint64_t span_s = (kWarmup + 1) * std::uint64_t{interval};
    most = std::max(most, (span_s + base_interval_s - 1) / base_interval_s);
  }
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(most, UINT32_MAX));
}

TimeframeFeatures::TimeframeFeatures(std::uint32_t base_interval_s, std::vector<FeatureColumn> columns)
    : base_interval_s_(base_interval_s), columns_(std::move(columns)) {
  for (const auto interval : column_intervals(base_interval_s_, columns_)) frames_[interval];
}

std::optional<std::vector<float>> TimeframeFeatures::add(const Candle& c) {
  const auto frame = frames_.find(c.interval_s);
  if (frame == frames_.end()) return std::nullopt;
  auto row = frame->second.builder.add(c);
  if (c.interval_s != base_interval_s_) {
    frame->second.latest = row;
    return std::nullopt;
  }
  if (!row) return std::nullopt;
  std::vector<float> out;
  out.reserve(columns_.size());
  for (const auto& col : columns_) {
    const auto& from = col.interval_s == base_interval_s_ ? row : frames_.at(col.interval_s).latest;
    if (!from) return std::nullopt;  // that interval is still warming up
    out.push_back((*from)[col.feature]);
  }
  return out;
}

void TimeframeFeatures::save(StateWriter& w) const {
  frames_.at(base_interval_s_).builder.save(w);
  for (const auto& [interval, frame] : frames_) {
    if (interval == base_interval_s_) continue;
    w.u32(interval);
    frame.builder.save(w);
    w.boolean(frame.latest.has_value());
    if (frame.latest)
      for (float x : *frame.latest) w.f64(x);
  }
}

Status TimeframeFeatures::load(StateReader& r) {
  if (auto st = frames_.at(base_interval_s_).builder.load(r); !st) return st;
  for (auto& [interval, frame] : frames_) {
    if (interval == base_interval_s_) continue;
    if (const auto saved = r.u32(); r.ok() && saved != interval)
      return fail("feature snapshot was taken with other intervals than this model's columns read");
    if (auto st = frame.builder.load(r); !st) return st;
    frame.latest.reset();
    if (r.boolean()) {
      FeatureRow row{};
      for (auto& x : row) x = static_cast<float>(r.f64());
      frame.latest = row;
    }
  }
  if (!r.ok()) return fail("feature state is truncated or corrupt");
  return {};
}

}  // namespace trader::model
