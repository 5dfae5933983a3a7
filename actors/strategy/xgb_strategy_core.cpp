#include "actors/strategy/xgb_strategy_core.hpp"

#include <algorithm>
#include <cmath>

#include "base/decimal_text.hpp"

namespace trader {

XgbStrategyCore::XgbStrategyCore(const XgbStrategyConfig& c, std::shared_ptr<const model::XgbModel> model,
                                 const CombineConfig& combine)
    : StrategyCore(StrategyMember{"", model->id(), c.interval_s, c.symbols, 1'000'000, std::make_unique<XgbView>(c, model)},
                   StrategyCommon{c.reentry_cooldown_candles, c.market, c.entry, c.sizing, combine}) {}

XgbView::XgbView(XgbStrategyConfig config, std::shared_ptr<const model::XgbModel> model)
    : config_(std::move(config)),
      model_(std::move(model)),
      columns_(model::columns_or_default(config_.interval_s, config_.features)) {}

std::uint32_t XgbView::warmup_candles() const { return model::warmup_candles(config_.interval_s, columns_); }

model::TimeframeFeatures& XgbView::features_of(const std::string& symbol) {
  return features_.try_emplace(symbol, config_.interval_s, columns_).first->second;
}

void XgbView::observe(const Candle& c) { features_of(c.symbol).add(c); }

Result<std::optional<View>> XgbView::evaluate(const Candle& c, Direction current) {
  auto x = features_of(c.symbol).add(c);
  if (!x) return std::optional<View>{};
  auto p = model_->predict(*x);
  if (!p) return tl::unexpected(p.error());
  const double prob = *p;
  View v;
  v.direction = current;
  // A short reads the model the other way round: 1 - p is the probability of a fall.
  const double down = 1.0 - prob;
  if (prob >= config_.entry_probability) v.direction = Direction::long_;
  else if (config_.allow_short && down >= config_.entry_probability) v.direction = Direction::short_;
  else if (current == Direction::short_ ? down < config_.exit_probability : prob < config_.exit_probability)
    v.direction = Direction::flat;
  const double conviction = v.direction == Direction::short_ ? down : prob;
  v.confidence_ppm = static_cast<std::uint32_t>(std::llround(std::clamp(conviction, 0.0, 1.0) * 1e6));
  const double span = config_.full_probability - config_.entry_probability;
  const double t = span > 0 ? std::clamp((conviction - config_.entry_probability) / span, 0.0, 1.0) : 1.0;
  v.fraction_ppm = static_cast<std::uint32_t>(std::llround(
      config_.min_fraction_ppm + t * (static_cast<double>(config_.max_fraction_ppm) - config_.min_fraction_ppm)));
  // "p=0.6123 (enter >= 0.55, exit < 0.50)", as "%.4f" and "%.2f" write the numbers.
  v.reason.reserve(48);
  v.reason += "p=";
  append_fixed(v.reason, prob, 4);
  v.reason += " (enter >= ";
  append_fixed(v.reason, config_.entry_probability, 2);
  v.reason += ", exit < ";
  append_fixed(v.reason, config_.exit_probability, 2);
  v.reason += ")";
  v.values.reserve(x->size() + 1);
  for (std::size_t i = 0; i < x->size(); ++i) v.values.push_back({columns_[i].name, (*x)[i]});
  v.values.push_back({"p", prob});
  return std::optional<View>(std::move(v));
}

void XgbView::save(StateWriter& w) const {
  w.str(model_->id());
  w.u32(static_cast<std::uint32_t>(features_.size()));
  for (const auto& [symbol, f] : features_) {
    w.str(symbol);
    f.save(w);
  }
}

Status XgbView::load(StateReader& r) {
  const std::string id = r.str();
  if (r.ok() && id != model_->id())
    return fail("snapshot was taken with model " + id + ", this run has model " + model_->id());
  features_.clear();
  for (auto n = r.count(); n > 0 && r.ok(); --n)
    if (auto st = features_of(r.str()).load(r); !st) return st;
  if (!r.ok()) return fail("xgboost strategy snapshot is truncated or corrupt");
  return {};
}

}  // namespace trader
