#include "actors/strategy/rule_strategy_core.hpp"

#include <algorithm>
#include <cmath>

#include "base/decimal_text.hpp"
#include "messages/fixed_point.hpp"

namespace trader {

RuleStrategyCore::RuleStrategyCore(const RuleStrategyConfig& c, const CombineConfig& combine)
    : StrategyCore(StrategyMember{"", c.name, c.interval_s, c.symbols, 1'000'000, std::make_unique<RuleView>(c)},
                   StrategyCommon{c.reentry_cooldown_candles, c.market, c.entry, c.sizing, combine}) {}

Result<std::optional<View>> RuleView::evaluate(const Candle& c, Direction current) {
  Series& s = series_[c.symbol];
  const double close = static_cast<double>(c.close) / static_cast<double>(kFixedScale);
  const double a_fast = 2.0 / (config_.fast_ema + 1.0);
  const double a_slow = 2.0 / (config_.slow_ema + 1.0);
  if (s.candles == 0) {
    s.ema_fast = s.ema_slow = close;
  } else {
    s.ema_fast += a_fast * (close - s.ema_fast);
    s.ema_slow += a_slow * (close - s.ema_slow);
    if (!s.closes.empty() && s.closes.back() > 0) {
      s.returns.push_back(close / s.closes.back() - 1.0);
      if (s.returns.size() > config_.slow_ema) s.returns.pop_front();
    }
  }
  s.closes.push_back(close);
  if (s.closes.size() > config_.momentum_candles + 1) s.closes.pop_front();
  ++s.candles;
  if (s.candles < warmup_candles()) return std::optional<View>{};

  double mean = 0, var = 0;
  for (double r : s.returns) mean += r;
  mean /= static_cast<double>(s.returns.size());
  for (double r : s.returns) var += (r - mean) * (r - mean);
  const double vol = std::sqrt(var / static_cast<double>(s.returns.size()));
  const double spread = s.ema_fast / s.ema_slow - 1.0;
  const double momentum = s.closes.front() > 0 ? close / s.closes.front() - 1.0 : 0.0;

  View v;
  v.direction = current;
  if (spread > 0 && momentum * 1e4 > config_.entry_momentum_bps) v.direction = Direction::long_;
  else if (config_.allow_short && spread < 0 && -momentum * 1e4 > config_.entry_momentum_bps) v.direction = Direction::short_;
  else if (spread < 0 && current != Direction::short_) v.direction = Direction::flat;
  else if (spread > 0 && current == Direction::short_) v.direction = Direction::flat;
  const double z = vol > 0 ? std::abs(spread) / vol : 0.0;
  v.confidence_ppm = static_cast<std::uint32_t>(std::llround(std::min(1.0, z / config_.confidence_full_z) * 1e6));
  v.fraction_ppm = config_.position_fraction_ppm;
  // "ema12/ema48 spread 1.25 bp, momentum 3.10 bp, vol 0.87 bp", as "%.2f" writes each
  // number. Prices within 64-bit fixed point keep it under 150 characters, so the 160-byte
  // snprintf buffer that wrote it before never cut one, and recorded reasons replay equal.
  std::string& reason = v.reason;
  reason.reserve(96);
  reason += "ema";
  append_decimal(reason, config_.fast_ema);
  reason += "/ema";
  append_decimal(reason, config_.slow_ema);
  reason += " spread ";
  append_fixed(reason, spread * 1e4, 2);
  reason += " bp, momentum ";
  append_fixed(reason, momentum * 1e4, 2);
  reason += " bp, vol ";
  append_fixed(reason, vol * 1e4, 2);
  reason += " bp";
  v.values = {{"spread", spread}, {"momentum", momentum}, {"vol", vol}, {"z", z}};
  return std::optional<View>(std::move(v));
}

void RuleView::save(StateWriter& w) const {
  w.u32(static_cast<std::uint32_t>(series_.size()));
  for (const auto& [symbol, s] : series_) {
    w.str(symbol);
    w.u64(s.candles);
    w.f64(s.ema_fast);
    w.f64(s.ema_slow);
    w.u32(static_cast<std::uint32_t>(s.closes.size()));
    for (double c : s.closes) w.f64(c);
    w.u32(static_cast<std::uint32_t>(s.returns.size()));
    for (double x : s.returns) w.f64(x);
  }
}

Status RuleView::load(StateReader& r) {
  series_.clear();
  for (auto n = r.count(); n > 0 && r.ok(); --n) {
    Series& s = series_[r.str()];
    s.candles = r.u64();
    s.ema_fast = r.f64();
    s.ema_slow = r.f64();
    for (auto m = r.count(); m > 0 && r.ok(); --m) s.closes.push_back(r.f64());
    for (auto m = r.count(); m > 0 && r.ok(); --m) s.returns.push_back(r.f64());
  }
  if (!r.ok()) return fail("rule strategy snapshot is truncated or corrupt");
  return {};
}

}  // namespace trader
